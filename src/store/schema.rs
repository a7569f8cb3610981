// The tables, as diesel sees them on both backends.

diesel::table! {
    regions (id) {
        id -> BigInt,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        level -> Text,
        parent_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    institutions (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        region_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        remote -> Bool,
        emails -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    suppliers (id) {
        id -> BigInt,
        uscc -> Text,
        name -> Text,
        kind -> Text,
        region_id -> BigInt,
        credit_status -> Text,
        emails -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    licences (id) {
        id -> BigInt,
        supplier_id -> BigInt,
        kind -> Text,
        number -> Text,
        expires_on -> Date,
    }
}

diesel::table! {
    drugs (id) {
        id -> BigInt,
        code -> Text,
        name_zh -> Text,
        inn -> Text,
        dosage_form -> Text,
        strength -> Text,
        unit -> Text,
        origin -> Text,
        category -> Text,
        atc_code -> Nullable<Text>,
        search_text -> Text,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        drug_id -> BigInt,
        manufacturer_id -> BigInt,
        approval_number -> Text,
        units_per_package -> Integer,
        gtin -> Nullable<Text>,
        consistency_passed -> Bool,
        originator -> Bool,
        reference_price -> Nullable<BigInt>,
        national_agent_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        supplier_id -> Nullable<BigInt>,
        institution_id -> Nullable<BigInt>,
        email -> Text,
        language -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        at -> Timestamp,
        address -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Text,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before_json -> Text,
        after_json -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_pending (id) {
        id -> BigInt,
        at -> Text,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before_json -> Text,
        after_json -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> BigInt,
        last_id -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    demand_windows (id) {
        id -> BigInt,
        title -> Text,
        region_id -> BigInt,
        closes_at -> Timestamp,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    demand_reports (id) {
        id -> BigInt,
        window_id -> BigInt,
        institution_id -> BigInt,
        drug_id -> BigInt,
        quantity -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tenders (id) {
        id -> BigInt,
        title -> Text,
        region_id -> BigInt,
        window_id -> Nullable<BigInt>,
        state -> Text,
        bid_deadline -> Timestamp,
        objection_days -> Integer,
        objection_deadline -> Nullable<Timestamp>,
        contract_months -> Integer,
        key_salt -> Text,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        envelope_key -> Text,
        sealing -> Text,
        quorum -> Integer,
        digests_published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    custodian_keys (user_id) {
        user_id -> BigInt,
        public_key -> Text,
        registered_at -> Timestamp,
    }
}

diesel::table! {
    tender_custodians (tender_id, idx) {
        tender_id -> BigInt,
        idx -> Integer,
        user_id -> BigInt,
        public_key -> Text,
        dealing -> Nullable<Text>,
        dealt_at -> Nullable<Timestamp>,
        contributed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    envelope_digests (bid_id) {
        bid_id -> BigInt,
        tender_id -> BigInt,
        lot_id -> BigInt,
        digest -> Text,
    }
}

diesel::table! {
    opening_contributions (tender_id, idx, bid_id) {
        tender_id -> BigInt,
        idx -> Integer,
        bid_id -> BigInt,
        contribution -> Text,
    }
}

diesel::table! {
    lots (id) {
        id -> BigInt,
        tender_id -> BigInt,
        lot_no -> Integer,
        drug_id -> BigInt,
        reported_demand -> BigInt,
        agreed_share_bp -> Integer,
        agreed_volume -> BigInt,
        max_unit_price -> BigInt,
        min_bidders -> Integer,
        consistency_required -> Bool,
        policy -> Text,
        policy_json -> Text,
        status -> Text,
        result_json -> Nullable<Text>,
    }
}

diesel::table! {
    bids (id) {
        id -> BigInt,
        lot_id -> BigInt,
        supplier_id -> BigInt,
        status -> Text,
        version -> Integer,
        submission_seq -> BigInt,
        product_id -> BigInt,
        annual_capacity -> BigInt,
        technical_json -> Text,
        technical_digest -> Text,
        commercial_digest -> Text,
        commercial_nonce -> Text,
        commercial_sealed -> Text,
        submitted_at -> Timestamp,
        technical_result -> Nullable<Text>,
        technical_reasons -> Nullable<Text>,
        technical_score -> Nullable<BigInt>,
        package_price -> Nullable<BigInt>,
        unit_price -> Nullable<BigInt>,
    }
}

diesel::table! {
    bid_versions (id) {
        id -> BigInt,
        bid_id -> BigInt,
        version -> Integer,
        action -> Text,
        at -> Timestamp,
        product_id -> BigInt,
        annual_capacity -> BigInt,
        technical_json -> Text,
        technical_digest -> Text,
        commercial_digest -> Text,
        commercial_nonce -> Text,
        commercial_sealed -> Text,
    }
}

diesel::table! {
    bid_documents (id) {
        id -> BigInt,
        bid_id -> BigInt,
        version -> Integer,
        name -> Text,
        sha256 -> Text,
        size -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    objections (id) {
        id -> BigInt,
        tender_id -> BigInt,
        lot_id -> BigInt,
        supplier_id -> BigInt,
        text -> Text,
        lodged_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    contracts (id) {
        id -> BigInt,
        lot_id -> Nullable<BigInt>,
        bid_id -> Nullable<BigInt>,
        supplier_id -> BigInt,
        product_id -> BigInt,
        region_id -> BigInt,
        unit_price -> BigInt,
        committed_volume -> BigInt,
        starts_on -> Date,
        ends_on -> Date,
        status -> Text,
        created_at -> Timestamp,
        kind -> Text,
        response_id -> Nullable<BigInt>,
        drug_id -> BigInt,
    }
}

diesel::table! {
    contract_counties (contract_id, county_id) {
        contract_id -> BigInt,
        county_id -> BigInt,
    }
}

diesel::table! {
    contract_allocations (id) {
        id -> BigInt,
        contract_id -> BigInt,
        institution_id -> BigInt,
        volume -> BigInt,
    }
}

diesel::table! {
    contract_distributors (id) {
        id -> BigInt,
        contract_id -> BigInt,
        county_id -> BigInt,
        distributor_id -> BigInt,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        institution_id -> BigInt,
        supplier_id -> BigInt,
        urgent -> Bool,
        state -> Text,
        submitted_at -> Timestamp,
        acknowledge_by -> Timestamp,
        deliver_by -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        placed_by -> Text,
        county_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        contract_id -> BigInt,
        product_id -> BigInt,
        quantity -> BigInt,
        unit_price -> BigInt,
        declined_reason -> Nullable<Text>,
        declined_note -> Nullable<Text>,
        shipped -> BigInt,
        confirmed -> BigInt,
        accepted -> BigInt,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        order_id -> BigInt,
        shipper_id -> BigInt,
        idempotency_key -> Nullable<Text>,
        shipped_at -> Timestamp,
    }
}

diesel::table! {
    delivery_lines (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        order_line_id -> BigInt,
        quantity -> BigInt,
        batch_no -> Text,
        production_date -> Date,
        expiry_date -> Date,
        trace_codes -> Text,
        late -> Bool,
        receipt -> Nullable<Text>,
        receipt_reason -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        confirmed_by -> Nullable<Text>,
        accepted -> BigInt,
        rejected -> BigInt,
    }
}

diesel::table! {
    payables (id) {
        id -> BigInt,
        delivery_line_id -> BigInt,
        institution_id -> BigInt,
        supplier_id -> BigInt,
        amount -> BigInt,
        due_on -> Date,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credit_events (id) {
        id -> BigInt,
        supplier_id -> BigInt,
        kind -> Text,
        order_line_id -> Nullable<BigInt>,
        at -> Timestamp,
        detail -> Text,
    }
}

diesel::table! {
    bad_faith (id) {
        id -> BigInt,
        supplier_id -> BigInt,
        reason -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    bad_faith_warnings (id) {
        id -> BigInt,
        supplier_id -> BigInt,
        reason -> Text,
        issued_at -> Timestamp,
        issued_by -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        dedup_key -> Text,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(institutions -> regions (region_id));
diesel::joinable!(suppliers -> regions (region_id));
diesel::joinable!(licences -> suppliers (supplier_id));
diesel::joinable!(products -> drugs (drug_id));
diesel::joinable!(products -> suppliers (manufacturer_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(demand_reports -> demand_windows (window_id));
diesel::joinable!(demand_reports -> institutions (institution_id));
diesel::joinable!(demand_reports -> drugs (drug_id));
diesel::joinable!(lots -> tenders (tender_id));
diesel::joinable!(tender_custodians -> users (user_id));
diesel::joinable!(tender_custodians -> tenders (tender_id));
diesel::joinable!(custodian_keys -> users (user_id));
diesel::joinable!(envelope_digests -> lots (lot_id));
diesel::joinable!(lots -> drugs (drug_id));
diesel::joinable!(bids -> lots (lot_id));
diesel::joinable!(bids -> suppliers (supplier_id));
diesel::joinable!(bids -> products (product_id));
diesel::joinable!(contracts -> lots (lot_id));
diesel::joinable!(contracts -> suppliers (supplier_id));
diesel::joinable!(contract_allocations -> contracts (contract_id));
diesel::joinable!(contract_counties -> contracts (contract_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_lines -> contracts (contract_id));
diesel::joinable!(order_lines -> products (product_id));
diesel::joinable!(deliveries -> orders (order_id));
diesel::joinable!(delivery_lines -> deliveries (delivery_id));
diesel::joinable!(delivery_lines -> order_lines (order_line_id));
diesel::joinable!(orders -> institutions (institution_id));
diesel::joinable!(bad_faith -> suppliers (supplier_id));
diesel::joinable!(bad_faith_warnings -> suppliers (supplier_id));
diesel::joinable!(contract_distributors -> regions (county_id));
diesel::joinable!(contract_distributors -> suppliers (distributor_id));
diesel::joinable!(contract_allocations -> institutions (institution_id));

diesel::allow_tables_to_appear_in_same_query!(
    custodian_keys,
    tender_custodians,
    envelope_digests,
    opening_contributions,
    regions,
    institutions,
    suppliers,
    licences,
    drugs,
    products,
    users,
    api_tokens,
    login_failures,
    sessions,
    audit_log,
    audit_head,
    audit_pending,
    demand_windows,
    demand_reports,
    tenders,
    lots,
    bids,
    bid_versions,
    bid_documents,
    objections,
    contracts,
    contract_counties,
    contract_allocations,
    contract_distributors,
    counters,
    orders,
    order_lines,
    deliveries,
    delivery_lines,
    payables,
    credit_events,
    bad_faith,
    bad_faith_warnings,
    outbox,
    job_firings,
    shortages,
    shortage_events,
    shortage_reports,
    supply_interruptions,
    shortage_responses,
    alert_optouts,
    direct_listings,
    direct_purchases,
);

diesel::table! {
    job_firings (id) {
        id -> BigInt,
        job -> Text,
        fired_at -> Timestamp,
        replica -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    shortages (id) {
        id -> BigInt,
        drug_id -> BigInt,
        level -> Text,
        scope -> Text,
        region_id -> BigInt,
        counties -> Text,
        evidence -> Text,
        status -> Text,
        opened_at -> Timestamp,
        updated_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        alerted_institutions -> Text,
        alerted_suppliers -> Text,
    }
}

diesel::table! {
    shortage_events (id) {
        id -> BigInt,
        shortage_id -> BigInt,
        at -> Timestamp,
        change -> Text,
        level -> Text,
        scope -> Text,
        region_id -> BigInt,
        counties -> Text,
        evidence -> Text,
        actor -> Text,
    }
}

diesel::table! {
    shortage_reports (id) {
        id -> BigInt,
        institution_id -> BigInt,
        drug_id -> BigInt,
        county_id -> BigInt,
        note -> Text,
        reported_at -> Timestamp,
        reported_by -> Text,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    supply_interruptions (id) {
        id -> BigInt,
        supplier_id -> BigInt,
        drug_id -> BigInt,
        reason -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        declared_at -> Timestamp,
        declared_by -> Text,
    }
}

diesel::table! {
    shortage_responses (id) {
        id -> BigInt,
        shortage_id -> BigInt,
        drug_id -> BigInt,
        kind -> Text,
        counties -> Text,
        price_cap -> Nullable<BigInt>,
        until_on -> Nullable<Date>,
        supplier_id -> Nullable<BigInt>,
        note -> Text,
        created_at -> Timestamp,
        created_by -> Text,
        unit_price -> Nullable<BigInt>,
        ended_at -> Nullable<Timestamp>,
        tender_id -> Nullable<BigInt>,
        product_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    alert_optouts (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
    }
}

diesel::joinable!(shortages -> drugs (drug_id));
diesel::joinable!(shortage_events -> shortages (shortage_id));
diesel::joinable!(shortage_reports -> drugs (drug_id));
diesel::joinable!(shortage_reports -> institutions (institution_id));
diesel::joinable!(supply_interruptions -> drugs (drug_id));
diesel::joinable!(supply_interruptions -> suppliers (supplier_id));

diesel::table! {
    direct_listings (id) {
        id -> BigInt,
        response_id -> BigInt,
        supplier_id -> BigInt,
        product_id -> BigInt,
        unit_price -> BigInt,
        listed_at -> Timestamp,
        listed_by -> Text,
    }
}

diesel::table! {
    direct_purchases (id) {
        id -> BigInt,
        listing_id -> BigInt,
        institution_id -> BigInt,
        county_id -> BigInt,
        quantity -> BigInt,
        unit_price -> BigInt,
        placed_at -> Timestamp,
        placed_by -> Text,
    }
}

diesel::joinable!(direct_listings -> shortage_responses (response_id));
diesel::joinable!(direct_purchases -> direct_listings (listing_id));
