//! Shortage monitoring on both databases, with the clock set by the test: each signal opening a
//! record of the right level, escalation, resolution, a second run changing nothing and alerts
//! not repeated; institutions' reports and suppliers' interruptions over the API and the pages;
//! the center's responses; the other duties alerting once per state.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::orders::order_ten_under as order;
use common::shortage::{open_record as record, quiet_contract};
use common::{app, state_with_demo, supplier_user, token_for, Client, TestDb, PW};
use diesel::prelude::*;
use jicai::domain::alerts::AlertKind;
use jicai::domain::jobs::{parse, JobSpec};
use jicai::domain::orders::DeclineReason;
use jicai::domain::shortage::{EventKind, Level, Scope, ShortageStatus};
use jicai::jobs::shortage::{scan, ScanReport};
use jicai::store::schema::{outbox, shortage_events};
use jicai::store::{catalog, orders as os, shortages as ss, users};
use jicai::web::AppState;
use serde_json::json;

fn spec(name: &str) -> JobSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("jobs")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    parse(
        &path.display().to_string(),
        name,
        &text,
        chrono_tz::Asia::Shanghai,
    )
    .unwrap()
}

fn run_scan(state: &AppState) -> ScanReport {
    let mut c = state.store.conn().unwrap();
    let r = scan(
        &mut c,
        &spec("shortage_scan"),
        state.clock.now(),
        state.config.time_zone,
        "http://jicai.test",
    )
    .unwrap();
    assert!(r.errors.is_empty(), "{r}");
    r
}

fn outbox_keys(state: &AppState) -> Vec<(String, String)> {
    let mut c = state.store.conn().unwrap();
    outbox::table
        .select((outbox::dedup_key, outbox::recipient))
        .order(outbox::id)
        .load(&mut *c)
        .unwrap()
}

fn events(state: &AppState, id: i64) -> Vec<EventKind> {
    let mut c = state.store.conn().unwrap();
    shortage_events::table
        .filter(shortage_events::shortage_id.eq(id))
        .order(shortage_events::id)
        .select(shortage_events::change)
        .load(&mut *c)
        .unwrap()
}

fn decline(state: &AppState, line: i64, supplier: i64) {
    os::decline_line(
        &mut state.store.conn().unwrap(),
        &state.act("supplier"),
        line,
        supplier,
        DeclineReason::OutOfStock,
        "no stock at the distributor",
    )
    .unwrap();
}

async fn signals_open_escalate_and_resolve(db: TestDb) {
    let state = state_with_demo(&db);
    // The demo's own situations first; then the drug under test has no record.
    run_scan(&state);
    let (inst, contract, supplier, drug) = quiet_contract(&state);
    assert!(record(&state, drug).is_none());

    // One line declined as out of stock: a watch in the institution's county.
    let (_, line) = order(&state, inst, contract);
    decline(&state, line, supplier);
    state.clock.advance(Duration::minutes(5));
    let r = run_scan(&state);
    assert_eq!(r.opened, 1, "{r}");
    let rec = record(&state, drug).expect("a record opened");
    assert_eq!((rec.level, rec.scope), (Level::Watch, Scope::County));
    assert!(
        rec.evidence.contains("declined_out_of_stock"),
        "{}",
        rec.evidence
    );
    let mails = outbox_keys(&state);
    let key = format!("shortage:{}:", rec.id);
    let first: Vec<_> = mails.iter().filter(|m| m.0.starts_with(&key)).collect();
    assert!(
        first.iter().any(|m| m.1 == "center@demo.jicai.test"),
        "center staff are told: {first:?}"
    );
    assert!(
        first.iter().any(|m| m.1 == "institution@demo.jicai.test"),
        "the affected institution is told: {first:?}"
    );

    // The same data again: nothing changes, nobody is told twice.
    state.clock.advance(Duration::minutes(15));
    let again = run_scan(&state);
    assert_eq!(
        (
            again.opened,
            again.escalated,
            again.eased,
            again.resolved,
            again.spread,
            again.mails
        ),
        (0, 0, 0, 0, 0, 0),
        "{again}"
    );
    assert_eq!(outbox_keys(&state), mails);
    assert_eq!(events(&state, rec.id), vec![EventKind::Opened]);

    // Three declines: shortage.
    for _ in 0..2 {
        let (_, l) = order(&state, inst, contract);
        decline(&state, l, supplier);
    }
    let r = run_scan(&state);
    assert!(r.escalated >= 1, "{r}");
    assert_eq!(record(&state, drug).unwrap().level, Level::Shortage);

    // Lines unfilled past their deadline (48 h) and a fill rate near zero: critical.
    for _ in 0..3 {
        order(&state, inst, contract);
    }
    state.clock.advance(Duration::hours(49));
    let r = run_scan(&state);
    assert!(r.escalated >= 1, "{r}");
    let rec = record(&state, drug).unwrap();
    assert_eq!(rec.level, Level::Critical);
    assert!(rec.evidence.contains("overdue_lines"), "{}", rec.evidence);
    assert!(rec.evidence.contains("fill_rate_pct"), "{}", rec.evidence);
    let before = outbox_keys(&state);
    assert_eq!(run_scan(&state).mails, 0);
    assert_eq!(outbox_keys(&state), before);

    // A month later the window holds none of those orders: resolved, kept as history.
    state.clock.advance(Duration::days(31));
    let r = run_scan(&state);
    assert!(r.resolved >= 1, "{r}");
    assert!(record(&state, drug).is_none());
    assert_eq!(
        events(&state, rec.id),
        vec![
            EventKind::Opened,
            EventKind::Escalated,
            EventKind::Escalated,
            EventKind::Resolved
        ]
    );
    let resolved = ss::get(&mut state.store.conn().unwrap(), rec.id).unwrap();
    assert_eq!(resolved.status, ShortageStatus::Resolved);
    assert!(resolved.resolved_at.is_some());
    let keys: std::collections::BTreeSet<String> = outbox_keys(&state)
        .into_iter()
        .map(|m| m.0)
        .filter(|k| k.starts_with(&key))
        .collect();
    assert_eq!(keys.len(), 4, "one message per change of state: {keys:?}");
    assert_eq!(run_scan(&state).resolved, 0);

    // Once every contract of the drug has ended, no contract is in force: a province-wide
    // shortage opens (a new record; the old one stays resolved).
    let ends = {
        use jicai::store::schema::{contracts, products};
        contracts::table
            .inner_join(products::table.on(products::id.eq(contracts::product_id)))
            .filter(products::drug_id.eq(drug))
            .select(diesel::dsl::max(contracts::ends_on))
            .first::<Option<chrono::NaiveDate>>(&mut *state.store.conn().unwrap())
            .unwrap()
            .unwrap()
    };
    let days = (ends - state.today()).num_days() + 2;
    state.clock.advance(Duration::days(days));
    run_scan(&state);
    let ended = record(&state, drug).expect("a record for the drug without a contract");
    assert_ne!(ended.id, rec.id);
    assert_eq!(
        (ended.level, ended.scope),
        (Level::Shortage, Scope::Province)
    );
    assert!(
        ended.evidence.contains("no_contract_in_force"),
        "{}",
        ended.evidence
    );
}

async fn reports_interruptions_and_responses(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let (_inst, _contract, supplier, drug) = quiet_contract(&state);
    let code = catalog::get_drug(&mut state.store.conn().unwrap(), drug)
        .unwrap()
        .code;
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let sup = supplier_user(&state, supplier);
    let ts_ = token_for(&state, &sup);
    let tc = token_for(&state, "center");
    let reports0 = ss::reports(&mut state.store.conn().unwrap(), None, 100)
        .unwrap()
        .len();

    // Refusals change nothing.
    for (tok, path, body, status) in [
        (
            &ti,
            "/api/v1/shortage-reports",
            json!({"drug": "NOPE"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &ts_,
            "/api/v1/shortage-reports",
            json!({"drug": code}),
            StatusCode::FORBIDDEN,
        ),
        (
            &ti,
            "/api/v1/supply-interruptions",
            json!({"drug": code, "reason": "x"}),
            StatusCode::FORBIDDEN,
        ),
        (
            &ts_,
            "/api/v1/supply-interruptions",
            json!({"drug": code, "reason": "line stopped", "starts_on": "2026-12-10", "ends_on": "2026-12-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &ts_,
            "/api/v1/supply-interruptions",
            json!({"drug": code, "reason": "line stopped", "starts_on": "someday"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &ts_,
            "/api/v1/supply-interruptions",
            json!({"drug": code, "reason": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = c.api_post(path, tok, Some(body.clone())).await;
        assert_eq!(r.status, status, "{path} {body}: {}", r.body);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            r.body
        );
    }
    assert_eq!(
        ss::reports(&mut state.store.conn().unwrap(), None, 100)
            .unwrap()
            .len(),
        reports0
    );
    assert_eq!(
        ss::interruptions(&mut state.store.conn().unwrap(), None, None, 10)
            .unwrap()
            .len(),
        0
    );

    // An institution's report: a watch in its county.
    let r = c
        .api_post(
            "/api/v1/shortage-reports",
            &ti,
            Some(json!({"drug": code, "note": "none left at the pharmacy"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rep = run_scan(&state);
    assert_eq!(rep.opened, 1, "{rep}");
    let rec = record(&state, drug).unwrap();
    assert_eq!(rec.level, Level::Watch);
    assert!(rec.evidence.contains("shortage_reports"));

    // The only contracted supplier declares an interruption: a province-wide shortage, and with
    // the county's own signal, critical.
    let today = state.today();
    let r = c
        .api_post("/api/v1/supply-interruptions", &ts_, Some(json!({"drug": code, "reason": "API supplier stopped the line", "starts_on": today.to_string()})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let contracted =
        ss::contracted_suppliers(&mut state.store.conn().unwrap(), drug, today).unwrap();
    run_scan(&state);
    let rec = record(&state, drug).unwrap();
    assert_eq!(
        rec.scope,
        Scope::Province,
        "an interruption is province-wide"
    );
    assert_eq!(events(&state, rec.id).len(), 2, "one change");
    if contracted.len() == 1 {
        // Every contracted supplier interrupted: a shortage province-wide (critical only with
        // a county at shortage level as well; the report alone is a watch).
        assert!(rec.level >= Level::Shortage, "{}", rec.evidence);
        assert!(
            rec.evidence.contains("all_suppliers_interrupted"),
            "{}",
            rec.evidence
        );
    } else {
        assert!(
            rec.evidence.contains("supply_interruption"),
            "{}",
            rec.evidence
        );
    }

    // The list over the API: center staff and regulators only.
    let r = c.api_get("/api/v1/shortages?level=nonsense", &tc).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .api_get(&format!("/api/v1/shortages?drug_id={drug}"), &tc)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()[0]["id"], rec.id);
    let r = c.api_get("/api/v1/shortages", &ti).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Pages: the regulator reads, the supplier may not; center staff respond.
    let mut reg = Client::new(app.clone());
    reg.login("regulator", PW).await;
    let p = reg.get(&format!("/shortages?drug={code}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains(&format!("/shortages/{}", rec.id)),
        "{}",
        p.body
    );
    let p = reg.get(&format!("/shortages/{}", rec.id)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        !p.body.contains("/responses\""),
        "a regulator has no response form"
    );
    let mut s = Client::new(app.clone());
    s.login(&sup, PW).await;
    assert_eq!(s.get("/shortages").await.status, StatusCode::FORBIDDEN);
    let p = s.get("/supply-interruptions").await;
    assert!(p.body.contains("API supplier stopped the line"));

    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let page = center.get(&format!("/shortages/{}", rec.id)).await;
    assert!(page
        .body
        .contains(&format!("/shortages/{}/responses", rec.id)));
    let path = format!("/shortages/{}/responses", rec.id);
    for (form, field) in [
        (
            vec![("kind", "direct_listing"), ("until_on", "2027-01-31")],
            "data-code=\"direct_listing_needs_price_cap\"",
        ),
        (
            vec![("kind", "direct_listing"), ("price_cap", "12.5")],
            "data-code=\"direct_listing_needs_end_date\"",
        ),
        (
            vec![
                ("kind", "direct_listing"),
                ("price_cap", "-3"),
                ("until_on", "2027-01-31"),
            ],
            "price_cap",
        ),
        (
            vec![("kind", "designated_producer"), ("until_on", "2099-01-31")],
            "data-code=\"name_designated_producer\"",
        ),
        (
            vec![("kind", "backup_switch")],
            "data-code=\"response_needs_end_date\"",
        ),
        (
            vec![("kind", "alternate_supplier")],
            "data-code=\"choose_response_kind\"",
        ),
        (vec![("kind", "wish")], "data-code=\"choose_response_kind\""),
    ] {
        let r = center.post(&path, &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(r.body.contains(field), "{form:?}: {}", r.body);
    }
    assert!(ss::responses_of(&mut state.store.conn().unwrap(), rec.id)
        .unwrap()
        .is_empty());
    // Another licensed supplier, to be told of the direct listing.
    let other_licensed = ss::licensed_suppliers(&mut state.store.conn().unwrap(), today)
        .unwrap()
        .into_iter()
        .find(|s| *s != supplier)
        .expect("the demo has another licensed supplier");
    let other = supplier_user(&state, other_licensed);
    let until = (today + Duration::days(30)).to_string();
    let r = center
        .post(
            &path,
            &[
                ("kind", "direct_listing"),
                ("price_cap", "12.50"),
                ("until_on", &until),
                ("note", "licensed suppliers may list"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = center
        .post(&path, &[("kind", "retender"), ("note", "next round")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = center.get(&format!("/shortages/{}", rec.id)).await;
    assert!(page.body.contains("12.5"), "{}", page.body);
    assert!(page.body.contains("licensed suppliers may list"));
    let county = *jicai::domain::shortage::counties_parse(&rec.counties)
        .iter()
        .next()
        .unwrap();
    let listing = ss::direct_listing_responses(&mut state.store.conn().unwrap(), today)
        .unwrap()
        .into_iter()
        .find(|r| r.drug_id == drug)
        .expect("a direct listing in force for the drug");
    assert!(jicai::domain::shortage::counties_parse(&listing.counties).contains(&county));
    assert_eq!(listing.price_cap, Some(125_000));
    // Regulators may not respond.
    let r = reg.post(&path, &[("kind", "retender")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ss::responses_of(&mut state.store.conn().unwrap(), rec.id)
            .unwrap()
            .len(),
        2
    );
    // Each response is e-mailed once to center staff, the institutions it covers and the
    // contracted suppliers, in their language.
    {
        let mut c = state.store.conn().unwrap();
        let rows: Vec<(String, String, String)> = outbox::table
            .filter(outbox::dedup_key.like("shortage_response:%"))
            .select((outbox::dedup_key, outbox::recipient, outbox::subject))
            .load(&mut *c)
            .unwrap();
        let keys: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r.0).collect();
        assert_eq!(keys.len(), 2, "{rows:?}");
        for who in ["center@demo.jicai.test", "institution@demo.jicai.test"] {
            assert_eq!(
                rows.iter().filter(|r| r.1 == who).count(),
                2,
                "{who}: {rows:?}"
            );
        }
        let o_mail = format!("{other}@test");
        assert_eq!(
            rows.iter().filter(|r| r.1 == o_mail).count(),
            1,
            "a licensed supplier hears of the direct listing, not of the re-tender: {rows:?}"
        );
        let s_mail = format!("{sup}@test");
        assert!(
            rows.iter()
                .any(|r| r.1 == s_mail && r.2.starts_with("[Jicai] Response to the shortage of")),
            "{rows:?}"
        );
    }
    // The responses are in the history; a response does not change the level.
    let ev = events(&state, rec.id);
    assert!(ev.contains(&EventKind::DirectListing), "{ev:?}");
    assert_eq!(run_scan(&state).mails, 0);

    // Direct listing: a licensed supplier lists a product of the drug within the cap; the
    // institution of the affected county buys at the listed price until the end date.
    let response = ss::direct_listing_responses(&mut state.store.conn().unwrap(), today)
        .unwrap()
        .into_iter()
        .find(|r| r.shortage_id == rec.id)
        .expect("the direct listing is in force");
    let product: i64 = {
        use jicai::store::schema::products;
        products::table
            .filter(products::drug_id.eq(drug))
            .select(products::id)
            .first(&mut *state.store.conn().unwrap())
            .unwrap()
    };
    let rid = response.id.to_string();
    let pid = product.to_string();
    for (price, status) in [
        ("13.00", StatusCode::UNPROCESSABLE_ENTITY),
        ("abc", StatusCode::UNPROCESSABLE_ENTITY),
        ("12.00", StatusCode::SEE_OTHER),
        ("11.00", StatusCode::CONFLICT),
    ] {
        let r = s
            .post(
                "/direct-listings",
                &[
                    ("response_id", &rid),
                    ("product_id", &pid),
                    ("unit_price", price),
                ],
            )
            .await;
        assert_eq!(r.status, status, "{price}: {}", r.body);
    }
    // This response's listings (the demo has one of its own, under another response).
    let listings: Vec<_> = ss::listings_in_force(&mut state.store.conn().unwrap(), today, None)
        .unwrap()
        .into_iter()
        .filter(|l| l.0.response_id.to_string() == rid)
        .collect();
    assert_eq!(listings.len(), 1);
    assert_eq!(listings[0].0.unit_price, 120_000);
    // The listing is a direct-listing arrangement for the affected county and the response's
    // period: with no switch or designation there, the county's orders of the drug go to it.
    let mut conn = state.store.conn().unwrap();
    let arr = jicai::store::supply::arrangements_for(&mut conn, county, drug).unwrap();
    let serving = jicai::domain::supply::serving(&arr, county, drug, today).unwrap();
    assert_eq!(
        serving.kind,
        jicai::domain::supply::ContractKind::DirectListing
    );
    assert_eq!(serving.supplier_id, supplier);
    assert_eq!(serving.unit_price.ten_thousandths(), 120_000);
    assert_eq!(serving.ends_on, listing.until_on.unwrap());
    let listing_contract = serving.contract_id;
    drop(conn);
    let mut i = Client::new(app.clone());
    i.login("institution", PW).await;
    let page = i.get("/direct-listings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/buy"), "no separate purchase any more");
    assert_eq!(
        i.post_status(
            &format!("/direct-listings/{}/buy", listings[0].0.id),
            &[("quantity", "5")]
        )
        .await,
        StatusCode::NOT_FOUND
    );
    // It orders the drug by its code through the order API, as any other: the line goes under
    // the listing, to the listing supplier, at the listed price.
    let code = jicai::store::catalog::get_drug(&mut state.store.conn().unwrap(), drug)
        .unwrap()
        .code;
    let token = token_for(&state, "institution");
    let r = i
        .api_post(
            "/api/v1/orders",
            &token,
            Some(serde_json::json!({ "lines": [{ "drug": code, "quantity": 7 }] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let placed = r.json();
    assert_eq!(placed["orders"].as_array().unwrap().len(), 1, "{placed}");
    assert_eq!(placed["supplier_id"], supplier);
    let line = &placed["lines"][0];
    assert_eq!(line["contract_id"], listing_contract);
    assert_eq!(line["quantity"], 7);
    let unit: rust_decimal::Decimal = line["unit_price"].as_str().unwrap().parse().unwrap();
    assert_eq!(unit, rust_decimal::Decimal::new(12, 0), "{line}");

    // The institution's page shows its report; the form refuses an unknown drug.
    let p = i.get("/shortage-reports").await;
    assert!(p.body.contains("none left at the pharmacy"));
    let r = i.post("/shortage-reports", &[("drug_code", "NOPE")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        ss::reports(&mut state.store.conn().unwrap(), None, 100)
            .unwrap()
            .len(),
        reports0 + 1
    );
}

async fn alert_preferences_are_honoured(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let p = center.get("/account/alerts").await;
    assert_eq!(p.status, StatusCode::OK);
    // Keep everything but shortages.
    let r = center
        .post(
            "/account/alerts",
            &[("overdue_delivery", "on"), ("payment_due", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let uid = users::by_username(&mut state.store.conn().unwrap(), "center")
        .unwrap()
        .unwrap()
        .id;
    let off = jicai::store::alerts::optouts(&mut state.store.conn().unwrap(), uid).unwrap();
    assert!(
        off.contains(&AlertKind::Shortage) && !off.contains(&AlertKind::OverdueDelivery),
        "{off:?}"
    );
    run_scan(&state);
    let mails = outbox_keys(&state);
    assert!(
        mails
            .iter()
            .any(|m| m.0.starts_with("shortage:") && m.1 == "institution@demo.jicai.test"),
        "the demo's shortage reaches the institution: {mails:?}"
    );
    assert!(
        !mails
            .iter()
            .any(|m| m.0.starts_with("shortage:") && m.1 == "center@demo.jicai.test"),
        "not the center user, who turned shortages off: {mails:?}"
    );
}

async fn duties_alert_once_per_state(db: TestDb) {
    let state = state_with_demo(&db);
    let run = |name: &str| {
        let mut c = state.store.conn().unwrap();
        jicai::jobs::duties::run(
            &mut c,
            &spec(name),
            state.clock.now(),
            state.config.time_zone,
            "http://jicai.test",
        )
        .unwrap()
    };
    // The demo has a delivery overdue and a licence expiring within 30 days.
    let r = run("overdue_deliveries");
    assert!(r.found >= 1 && r.mails >= 1, "{r}");
    assert_eq!(run("overdue_deliveries").mails, 0, "told once");
    let r = run("licences");
    assert!(r.found >= 1 && r.mails >= 1, "{r}");
    assert_eq!(run("licences").mails, 0);
    let expires = {
        use jicai::store::schema::licences;
        let mut c = state.store.conn().unwrap();
        licences::table
            .select(licences::expires_on)
            .filter(licences::expires_on.ge(state.today()))
            .order(licences::expires_on)
            .first::<chrono::NaiveDate>(&mut *c)
            .unwrap()
    };
    // Five days before it expires: told again (the 7-day notice), once.
    let target = expires - Duration::days(5);
    let now = state.clock.now();
    let days = (target - state.today()).num_days();
    state.clock.set(now + Duration::days(days));
    let r = run("licences");
    assert!(r.mails >= 1, "{r}");
    assert_eq!(run("licences").mails, 0);
    let keys = outbox_keys(&state);
    assert!(
        keys.iter()
            .any(|k| k.0.starts_with("licence_expiring:") && k.0.ends_with(":7")),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .any(|k| k.0.starts_with("licence_expiring:") && k.0.ends_with(":30")),
        "{keys:?}"
    );
    for job in [
        "payments",
        "contract_execution",
        "contracts_ending",
        "bid_deadlines",
    ] {
        run(job);
        assert_eq!(run(job).mails, 0, "{job} tells once");
    }
    // Every alert has a text and an HTML part in the recipient's language.
    let mut c = state.store.conn().unwrap();
    let rows: Vec<(String, String, String)> = outbox::table
        .select((outbox::recipient, outbox::text_body, outbox::html_body))
        .load(&mut *c)
        .unwrap();
    assert!(!rows.is_empty());
    for (to, text, html) in rows {
        assert!(
            html.contains("<html lang=\"zh-CN\">") || html.contains("<html lang=\"en\">"),
            "{to}: {html}"
        );
        assert!(!text.contains('<'), "{to}: {text}");
    }
}

/// A shortage record whose level holds a word the program does not have is an error when read:
/// the scan stops instead of taking it for some level (and escalating or easing it), and the
/// list answers 500 without the word.
async fn an_unknown_stored_shortage_level_is_an_error_not_a_default(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let open = ss::open_records(&mut state.store.conn().unwrap()).unwrap();
    let (drug, rec) = open.iter().next().expect("the demo has a shortage");
    let (drug, id) = (*drug, rec.id);
    let set = |sql: String| {
        diesel::sql_query(sql)
            .execute(&mut state.store.conn().unwrap())
            .unwrap();
    };
    set(format!(
        "UPDATE shortages SET level = 'severe' WHERE id = {id}"
    ));
    let err = ss::open_records(&mut state.store.conn().unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("the database holds \"severe\", which is not a word of Level"),
        "{err}"
    );
    let events = |state: &AppState| -> i64 {
        shortage_events::table
            .count()
            .get_result(&mut state.store.conn().unwrap())
            .unwrap()
    };
    let before = events(&state);
    let r = scan(
        &mut state.store.conn().unwrap(),
        &spec("shortage_scan"),
        state.clock.now(),
        state.config.time_zone,
        "http://jicai.test",
    );
    assert!(
        r.is_err(),
        "the scan went on: {:?}",
        r.map(|r| r.to_string())
    );
    assert_eq!(events(&state), before, "nothing written");
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let tc = token_for(&state, "center");
    let r = c.api_get("/api/v1/shortages", &tc).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(!r.body.contains("severe"), "{}", r.body);
    let mut page = Client::new(app.clone());
    page.login("center", PW).await;
    for path in ["/shortages".to_string(), format!("/shortages/{id}")] {
        let r = page.get(&path).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(!r.body.contains("severe"), "{}", r.body);
    }
    // Its word put right, the record reads again; a bad scope or status is refused alike.
    set(format!(
        "UPDATE shortages SET level = 'watch' WHERE id = {id}"
    ));
    assert_eq!(record(&state, drug).unwrap().level, Level::Watch);
    for (col, word) in [("scope", "region"), ("status", "closed")] {
        set(format!(
            "UPDATE shortages SET {col} = '{word}' WHERE id = {id}"
        ));
        assert!(
            ss::get(&mut state.store.conn().unwrap(), id).is_err(),
            "{col}"
        );
        set(format!(
            "UPDATE shortages SET {col} = '{}' WHERE id = {id}",
            if col == "scope" {
                rec.scope.as_str()
            } else {
                "open"
            }
        ));
    }
    assert_eq!(
        ss::get(&mut state.store.conn().unwrap(), id).unwrap().id,
        id
    );
}

on_both_databases!(
    demo: signals_open_escalate_and_resolve,
    an_unknown_stored_shortage_level_is_an_error_not_a_default,
    reports_interruptions_and_responses,
    alert_preferences_are_honoured,
    duties_alert_once_per_state
);
