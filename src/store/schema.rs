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
    audit_head (id) {
        id -> BigInt,
        last_id -> BigInt,
        last_hash -> Text,
    }
}

diesel::joinable!(institutions -> regions (region_id));
diesel::joinable!(suppliers -> regions (region_id));
diesel::joinable!(licences -> suppliers (supplier_id));
diesel::joinable!(products -> drugs (drug_id));
diesel::joinable!(products -> suppliers (manufacturer_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    institutions,
    suppliers,
    licences,
    drugs,
    products,
    users,
    api_tokens,
    login_failures,
    audit_log,
    audit_head,
);
