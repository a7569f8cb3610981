//! Numbers and dates out of their domain range (issue 12, item 3), on both databases: each is
//! answered 422 naming the field, changes nothing, and leaves the performance pages and the
//! monitoring jobs working.

mod common;

use actix_web::http::StatusCode;
use common::orders::one_line_order;
use common::{app, state_with_demo, supplier_user, token_for, Client, TestDb, PW};
use diesel::prelude::*;
use jicai::store::schema::{demand_reports, order_lines, orders, tenders};
use jicai::store::{orders as os, parties, tenders as ts, users, Act};
use jicai::web::AppState;
use serde_json::json;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

fn institution_id(state: &AppState) -> i64 {
    users::by_username(&mut conn(state), "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap()
}

/// A contract in force for the demo institution: (contract id, supplier id).
fn a_contract(state: &AppState) -> (i64, i64) {
    let inst = institution_id(state);
    let (k, ..) = ts::commitments_of_institution(&mut conn(state), inst)
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo institution has contracts");
    (k.id, k.supplier_id)
}

fn counts(state: &AppState) -> (i64, i64) {
    let mut c = conn(state);
    (
        orders::table.count().get_result(&mut *c).unwrap(),
        order_lines::table.count().get_result(&mut *c).unwrap(),
    )
}

/// The field names of a JSON error.
/// `q` was refused (422) as the quantity of the first line, and nothing else.
fn assert_first_line_quantity_refused(r: &common::Resp, q: i64) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{q}: {}",
        r.body
    );
    assert_eq!(fields(r), ["lines[0].quantity"], "{}", r.body);
}

fn fields(r: &common::Resp) -> Vec<String> {
    r.json()["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Does an error page name this field among what was wrong?
fn names(r: &common::Resp, field: &str) -> bool {
    r.body.contains(&format!("<b>{field}</b>:")) || r.body.contains(&format!("<li>{field}: "))
}

/// The performance pages answer and the monitoring jobs run.
async fn monitoring_works<S, B>(state: &AppState, center: &mut Client<S>)
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    for page in [
        "/performance",
        "/performance/fill",
        "/performance/contracts",
    ] {
        let r = center.get(page).await;
        assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
    }
    let jobs = common::repository_jobs(state);
    let runner = common::job_runner(state);
    for name in ["contract_execution", "shortage_scan"] {
        let job = jobs.iter().find(|j| j.name == name).unwrap();
        let out = runner.run(job).await;
        assert!(out.is_ok(), "{name}: {out:?}");
    }
}

const HUGE: &str = "9223372036854775807";

async fn order_quantities_out_of_range_are_refused_and_monitoring_goes_on(db: TestDb) {
    let state = state_with_demo(&db);
    let (contract, _) = a_contract(&state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let before = counts(&state);

    for q in [i64::MAX, i64::MIN, 10_000_001, 0, -1] {
        let r = c
            .api_post("/api/v1/orders", &ti, Some(one_line_order(contract, q)))
            .await;
        assert_first_line_quantity_refused(&r, q);
    }
    // The second line's fault is named by its index.
    let r = c
        .api_post("/api/v1/orders", &ti, Some(json!({"lines": [{"contract_id": contract, "quantity": 5}, {"contract_id": contract, "quantity": i64::MAX}]})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), ["lines[1].quantity"], "{}", r.body);

    let mut page = Client::logged_in(app.clone(), "institution", "/orders/new").await;
    let k = contract.to_string();
    for q in [HUGE, "10000001", "1e30", "1,000", "NaN", "-0"] {
        let r = page
            .post("/orders", &[("contract_id", &k), ("quantity", q)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.body
        );
        assert!(names(&r, "quantity"), "{q}: {}", r.body);
    }
    assert_eq!(counts(&state), before, "a refused order stored nothing");

    // The largest quantity a line takes is accepted, and the figures still add up.
    let r = c
        .api_post(
            "/api/v1/orders",
            &ti,
            Some(one_line_order(contract, 10_000_000)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(counts(&state), (before.0 + 1, before.1 + 1));

    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    monitoring_works(&state, &mut center).await;
}

async fn shipments_out_of_range_are_refused_and_the_line_ships_later(db: TestDb) {
    let state = state_with_demo(&db);
    let (contract, supplier) = a_contract(&state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let sname = supplier_user(&state, supplier);
    let tsup = token_for(&state, &sname);
    let r = c
        .api_post("/api/v1/orders", &ti, Some(one_line_order(contract, 10)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let oid = r.json()["id"].as_i64().unwrap();
    let line = r.json()["lines"][0]["id"].as_i64().unwrap();
    let r = c
        .api_post(&format!("/api/v1/orders/{oid}/acknowledge"), &tsup, None)
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let ship = |q: i64| json!({"lines": [{"order_line_id": line, "quantity": q, "batch_no": "B1", "production_date": "2026-09-01", "expiry_date": "2030-01-01"}]});
    let shipped = |state: &AppState| os::lines_of(&mut conn(state), oid).unwrap()[0].shipped;

    for q in [i64::MAX, i64::MAX - 5, i64::MIN, 0] {
        let r = c
            .api_post(
                &format!("/api/v1/orders/{oid}/deliveries"),
                &tsup,
                Some(ship(q)),
            )
            .await;
        assert_first_line_quantity_refused(&r, q);
    }
    // More than ordered, within the range: refused by the line's own rule.
    let r = c
        .api_post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            &tsup,
            Some(ship(11)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), ["quantity"], "{}", r.body);

    let mut page = Client::logged_in(app.clone(), &sname, &format!("/orders/{oid}")).await;
    let l = line.to_string();
    let r = page
        .post(
            &format!("/orders/{oid}/ship"),
            &[
                ("order_line_id", &l),
                ("quantity", HUGE),
                ("batch_no", "B1"),
                ("production_date", "2026-09-01"),
                ("expiry_date", "2030-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(names(&r, "quantity"), "{}", r.body);
    assert_eq!(shipped(&state), 0, "nothing was shipped by a refused note");

    // The line is not stuck: the whole quantity ships.
    let r = c
        .api_post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            &tsup,
            Some(ship(10)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(shipped(&state), 10);

    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    monitoring_works(&state, &mut center).await;
}

async fn demand_out_of_range_is_refused_and_totals_stay_exact(db: TestDb) {
    let state = state_with_demo(&db);
    let inst = institution_id(&state);
    let (own, kid) = {
        let mut c = conn(&state);
        let kid = parties::children_of(&mut c, inst).unwrap()[0];
        (
            parties::get_institution(&mut c, inst).unwrap().code,
            parties::get_institution(&mut c, kid).unwrap().code,
        )
    };
    let drug: String = {
        use jicai::store::schema::drugs;
        drugs::table
            .select(drugs::code)
            .order(drugs::id)
            .first(&mut *conn(&state))
            .unwrap()
    };
    let province = jicai::store::regions::all(&mut conn(&state))
        .unwrap()
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .unwrap();
    let now = state.clock.now();
    let w = ts::open_window(
        &mut conn(&state),
        &Act::new("test", now),
        "2028 demand",
        province.id,
        now + chrono::Duration::days(10),
    )
    .unwrap();
    let reports = |state: &AppState| -> i64 {
        demand_reports::table
            .filter(demand_reports::window_id.eq(w.id))
            .count()
            .get_result(&mut *conn(state))
            .unwrap()
    };
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let path = format!("/api/v1/demand/{}/reports", w.id);

    let r = c
        .api_post(
            &path,
            &ti,
            Some(json!([
                {"institution_code": own, "drug_code": drug, "quantity": i64::MAX},
                {"institution_code": kid, "drug_code": drug, "quantity": i64::MAX},
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), ["[0].quantity", "[1].quantity"], "{}", r.body);

    let mut page =
        Client::logged_in(app.clone(), "institution", &format!("/demand/{}", w.id)).await;
    let r = page
        .post(
            &format!("/demand/{}/report", w.id),
            &[("drug_code", &drug), ("quantity", HUGE)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The form again, the refusal next to the quantity.
    let at = r.body.find("name=\"quantity\"").expect("the form again");
    let label = &r.body[at..at + r.body[at..].find("</label>").unwrap()];
    assert!(label.contains("<em class=\"error\""), "{}", r.body);
    let csv =
        format!("institution_code,drug_code,quantity\n{own},{drug},{HUGE}\n{kid},{drug},-1\n");
    let r = page
        .upload(
            &format!("/demand/{}/upload", w.id),
            "demand.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(names(&r, "row 2 quantity"), "{}", r.body);
    assert!(names(&r, "row 3 quantity"), "{}", r.body);
    assert_eq!(reports(&state), 0, "refused reports stored nothing");

    // Two rows at the largest quantity add up exactly.
    let r = c
        .api_post(
            &path,
            &ti,
            Some(json!([
                {"institution_code": own, "drug_code": drug, "quantity": 10_000_000},
                {"institution_code": kid, "drug_code": drug, "quantity": 10_000_000},
            ])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let totals = ts::demand_totals(&mut conn(&state), w.id).unwrap();
    assert_eq!(totals.len(), 1, "{totals:?}");
    assert_eq!(totals[0].4, 20_000_000);
}

async fn far_dates_are_refused_on_the_performance_pages(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    for page in [
        "/performance",
        "/performance/fill",
        "/performance/contracts",
    ] {
        for (q, field) in [
            ("to=%2B262142-12-31", "to"),
            ("to=262142-12-31", "to"),
            ("to=9999-12-31", "to"),
            ("from=-262143-01-01", "from"),
            ("from=1900-01-01", "from"),
        ] {
            let r = center.get(&format!("{page}?{q}")).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{page}?{q}: {}",
                r.body
            );
            assert!(names(&r, field), "{page}?{q}: {}", r.body);
        }
    }
    monitoring_works(&state, &mut center).await;
}

async fn unbounded_policy_parameters_are_refused(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let tc = token_for(&state, "center");
    let window = ts::windows(&mut conn(&state)).unwrap()[0].id;
    let drug: String = {
        use jicai::store::schema::drugs;
        drugs::table
            .select(drugs::code)
            .order(drugs::id)
            .first(&mut *conn(&state))
            .unwrap()
    };
    let tenders_now = |state: &AppState| -> i64 {
        tenders::table
            .count()
            .get_result(&mut *conn(state))
            .unwrap()
    };
    let before = tenders_now(&state);
    let deadline = (state.clock.now() + chrono::Duration::days(20)).to_rfc3339();
    let tender = |lot: serde_json::Value| json!({"title": "bounds", "window_id": window, "bid_deadline": deadline, "lots": [lot]});
    let huge = "79228162514264337593543950335";
    for (lot, needle) in [
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "policy": {"kind": "multiple_winners", "price_ratio": huge}}),
            "price_ratio",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "policy": {"kind": "multiple_winners", "price_ratio": "10.5"}}),
            "price_ratio",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "policy": {"kind": "multiple_winners", "max_price_fraction": huge}}),
            "max_price_fraction",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "policy": {"kind": "multiple_winners", "shares": [huge]}}),
            "shares",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "policy": {"kind": "composite_score", "technical_weight": huge, "price_weight": "-79228162514264337593543950334"}}),
            "weights",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "agreed_share_percent": huge, "policy": {"kind": "lowest_price"}}),
            "agreed_share_percent",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": "1.00", "min_bidders": 2147483647, "policy": {"kind": "lowest_price"}}),
            "min_bidders",
        ),
        (
            json!({"drug_code": drug, "max_unit_price": huge, "policy": {"kind": "lowest_price"}}),
            "max_unit_price",
        ),
    ] {
        let r = c.api_post("/api/v1/tenders", &tc, Some(tender(lot))).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{needle}: {}",
            r.body
        );
        assert!(
            fields(&r).iter().any(|f| f.ends_with(needle)),
            "{needle}: {}",
            r.body
        );
    }
    let r = c
        .api_post("/api/v1/tenders", &tc, Some(json!({"title": "bounds", "window_id": window, "bid_deadline": "+262142-12-31T00:00:00Z", "lots": []})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r), ["bid_deadline"], "{}", r.body);
    assert_eq!(tenders_now(&state), before, "no tender was created");
}

async fn tender_forms_scores_bids_and_listings_out_of_range_are_refused(db: TestDb) {
    let state = state_with_demo(&db);
    let (window, code) = ts::windows(&mut conn(&state))
        .unwrap()
        .into_iter()
        .find_map(|w| {
            let t = ts::demand_totals(&mut conn(&state), w.id).unwrap();
            t.first().map(|d| (w.id, d.1.clone()))
        })
        .expect("a demo window with reported demand");
    let counted = |state: &AppState| -> (i64, i64) {
        use jicai::store::schema::bids;
        let mut c = conn(state);
        (
            tenders::table.count().get_result(&mut *c).unwrap(),
            bids::table.count().get_result(&mut *c).unwrap(),
        )
    };
    let before = counted(&state);
    let app = app(state.clone()).await;
    let mut center = Client::logged_in(app.clone(), "center", "/tenders/new").await;
    let huge = "79228162514264337593543950335";
    let deadline = (state.clock.now() + chrono::Duration::days(20))
        .with_timezone(&state.config.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let w = window.to_string();
    // A refused line of lots is named by its code, in the center's language (the demo's: zh-CN).
    use jicai::domain::{Code, Msg};
    let line = |code: Code, value: &str| {
        jicai::i18n::Tr::new("zh-CN").msg(&Msg::new(code).arg("line", 1).arg("value", value))
    };
    for (lots, months, at, field, needle) in [
        (
            format!("{code}, 1.00, composite_score, 2, yes, 70, {huge}"),
            "12",
            deadline.as_str(),
            "lots",
            line(Code::LotLineTechnicalWeight, huge),
        ),
        (
            format!("{code}, 1.00, composite_score, 2, yes, 70, 1e30"),
            "12",
            &deadline,
            "lots",
            line(Code::LotLineTechnicalWeight, "1e30"),
        ),
        (
            format!("{code}, 1.00, lowest_price, 2147483648"),
            "12",
            &deadline,
            "lots",
            jicai::i18n::Tr::new("zh-CN").msg(
                &Msg::new(Code::LotLineMinBidders)
                    .arg("line", 1)
                    .arg("value", "2147483648")
                    .arg("min", 1)
                    .arg("max", 100),
            ),
        ),
        (
            format!("{code}, 1.00, lowest_price, 2, yes, {huge}"),
            "12",
            &deadline,
            "lots",
            line(Code::LotLineAgreedShare, huge),
        ),
        (
            format!("{code}, {huge}, lowest_price"),
            "12",
            &deadline,
            "lots",
            jicai::i18n::Tr::new("zh-CN").msg(
                &Msg::new(Code::LotLineMaxPrice)
                    .arg("line", 1)
                    .arg("value", huge)
                    .arg("max", jicai::domain::money::Money::MAX_ENTERED),
            ),
        ),
        (
            format!("{code}, 1.00, lowest_price"),
            "9223372036854775807",
            &deadline,
            "contract_months",
            "contract_months".to_string(),
        ),
        (
            format!("{code}, 1.00, lowest_price"),
            "12",
            "+262142-12-31 17:00",
            "bid_deadline",
            "bid_deadline".to_string(),
        ),
        (
            format!("{code}, 1.00, lowest_price"),
            "12",
            "9999-12-31",
            "bid_deadline",
            "bid_deadline".to_string(),
        ),
    ] {
        let r = center
            .post(
                "/tenders",
                &[
                    ("title", "bounds"),
                    ("window_id", &w),
                    ("bid_deadline", at),
                    ("contract_months", months),
                    ("lots", &lots),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{lots} {months} {at}: {}",
            r.body
        );
        assert!(
            r.body.contains(field) && r.body.contains(&needle),
            "{needle}: {}",
            r.body
        );
    }

    let mut c = Client::new(app.clone());
    let expert = token_for(&state, "expert");
    for score in [i64::MAX, i64::MIN, 101, -1] {
        let r = c
            .api_post(
                "/api/v1/bids/1/score",
                &expert,
                Some(json!({"score": score})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{score}: {}",
            r.body
        );
        assert_eq!(fields(&r), ["score"], "{}", r.body);
    }
    let (_, supplier) = a_contract(&state);
    let tsup = token_for(&state, &supplier_user(&state, supplier));
    for (bid, field) in [
        (
            json!({"product_id": 1, "annual_capacity": i64::MAX, "package_price": "1.00"}),
            "annual_capacity",
        ),
        (
            json!({"product_id": 1, "annual_capacity": 0, "package_price": "1.00"}),
            "annual_capacity",
        ),
        (
            json!({"product_id": 1, "annual_capacity": 1000, "package_price": huge}),
            "package_price",
        ),
        (
            json!({"product_id": 1, "annual_capacity": 1000, "package_price": "1e30"}),
            "package_price",
        ),
        (
            json!({"product_id": 1, "annual_capacity": 1000, "package_price": "NaN"}),
            "package_price",
        ),
    ] {
        let r = c.api_post("/api/v1/lots/1/bid", &tsup, Some(bid)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert_eq!(fields(&r), [field], "{}", r.body);
    }

    assert_eq!(counted(&state), before, "nothing was created");
    monitoring_works(&state, &mut center).await;
}

on_both_databases!(
    demo: order_quantities_out_of_range_are_refused_and_monitoring_goes_on,
    shipments_out_of_range_are_refused_and_the_line_ships_later,
    demand_out_of_range_is_refused_and_totals_stay_exact,
    far_dates_are_refused_on_the_performance_pages,
    unbounded_policy_parameters_are_refused,
    tender_forms_scores_bids_and_listings_out_of_range_are_refused,
);
