//! Orders over the JSON API, on both databases: an order from placement through two partial
//! deliveries (one retried with its idempotency key), a declined line, a rejected line,
//! confirmation and payment; the refusals; two concurrent confirmations of one line counting
//! once; deadlines by urgency and remoteness with the clock set by the test.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::orders::{institution_user, institutions, one_line_order, serving_contracts};
use common::{app, field_codes, state_with_demo, supplier_user, token_for, Client, TestDb, PW};
use jicai::app::ordering::{place_basket, BasketLine, Item};
use jicai::domain::orders::{CreditEventKind, OrderState};
use jicai::domain::tender::{TechnicalResult, TenderState};
use jicai::store::{audit, orders as os, parties, tenders as ts, Act};
use jicai::web::AppState;
use serde_json::json;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

/// The demo institution's contracts in force: (contract id, supplier id), the supplier with the
/// most contracts first.
fn contracts(state: &AppState) -> (i64, Vec<(i64, i64)>) {
    let (inst, ks) = serving_contracts(state);
    (inst, ks.into_iter().map(|(k, s, _)| (k, s)).collect())
}

fn ship_line(line: i64, qty: i64, expiry: &str) -> serde_json::Value {
    json!({"order_line_id": line, "quantity": qty, "batch_no": "B2026-11", "production_date": "2026-09-01", "expiry_date": expiry, "trace_codes": ["81234567890123456789"]})
}

/// Confirms the delivery lines as accepted, each as its clerk, all at the same moment (a thread
/// each, released together): whether each confirmation changed anything, in the order given.
fn accept_at_once(state: &AppState, inst: i64, confirmations: Vec<(String, i64)>) -> Vec<bool> {
    let rules = state.config.delivery;
    let today = state.today();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(confirmations.len()));
    let handles: Vec<_> = confirmations
        .into_iter()
        .map(|(clerk, line)| {
            let (store, barrier) = (state.store.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut c = store.conn().unwrap();
                barrier.wait();
                os::confirm(
                    &mut c,
                    &Act::new(clerk, chrono::Utc::now()),
                    &rules,
                    line,
                    inst,
                    os::Receipt::Accepted,
                    today,
                )
                .unwrap()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

async fn an_order_from_placement_to_payment(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, ks) = contracts(&state);
    let supplier = ks[0].1;
    let same: Vec<i64> = ks.iter().filter(|k| k.1 == supplier).map(|k| k.0).collect();
    assert!(
        same.len() >= 2,
        "the demo gives the institution two contracts with one supplier: {ks:?}"
    );
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let tsup = token_for(&state, &supplier_user(&state, supplier));

    // Refusals: nothing, zero, no contract, no such drug, neither, someone else's institution, a
    // supplier (lines of two suppliers make two orders: tests/supply.rs).
    for (body, field, code) in [
        (json!({"lines": []}), "lines", "order_needs_lines"),
        (
            one_line_order(same[0], 0),
            "lines[0].quantity",
            "out_of_range",
        ),
        (
            json!({"lines": [{"contract_id": 999999, "quantity": 5}]}),
            "lines[0].contract_id",
            "no_such_contract",
        ),
        (
            json!({"lines": [{"contract_id": same[0], "quantity": 5}, {"drug": "NO-SUCH", "quantity": 5}]}),
            "lines[1].drug",
            "no_drug_with_code",
        ),
        (
            json!({"lines": [{"quantity": 5}]}),
            "lines[0].drug",
            "name_drug_or_contract",
        ),
    ] {
        let r = c.api_post("/api/v1/orders", &ti, Some(body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            field_codes(&r).contains(&(field.into(), code.into())),
            "{field} {code}: {}",
            r.body
        );
    }
    let kids = parties::children_of(&mut conn(&state), inst).unwrap();
    let all = institutions(&state);
    let stranger = all
        .iter()
        .find(|i| i.id != inst && !kids.contains(&i.id))
        .unwrap();
    let r = c.api_post("/api/v1/orders", &ti, Some(json!({"institution_id": stranger.id, "lines": [{"contract_id": same[0], "quantity": 5}]}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .api_post("/api/v1/orders", &tsup, Some(one_line_order(same[0], 5)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A price in the request is ignored: the contract's price is used.
    let r = c
        .api_post("/api/v1/orders", &ti, Some(json!({"lines": [{"contract_id": same[0], "quantity": 100, "unit_price": "0.01"}, {"contract_id": same[1], "quantity": 40}]})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json();
    let oid = order["id"].as_i64().unwrap();
    let k0 = ts::contract(&mut conn(&state), same[0]).unwrap();
    assert_eq!(
        order["lines"][0]["unit_price"],
        jicai::domain::money::Money::from_ten_thousandths(k0.unit_price).to_string()
    );
    assert_eq!(order["state"], "submitted");
    let l1 = order["lines"][0]["id"].as_i64().unwrap();
    let l2 = order["lines"][1]["id"].as_i64().unwrap();

    // Another supplier sees nothing of it; shipping before acknowledging is refused.
    let tother = token_for(
        &state,
        &supplier_user(&state, ks.iter().find(|k| k.1 != supplier).unwrap().1),
    );
    assert_eq!(
        c.api_get_status(&format!("/api/v1/orders/{oid}"), &tother)
            .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api_post_status(&format!("/api/v1/orders/{oid}/acknowledge"), &tother, None)
            .await,
        StatusCode::NOT_FOUND
    );
    let r = c
        .api_post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            &tsup,
            Some(json!({"lines": [ship_line(l1, 10, "2028-06-30")]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .api_post(&format!("/api/v1/orders/{oid}/acknowledge"), &tsup, None)
        .await;
    assert_eq!(r.json()["state"], "acknowledged", "{}", r.body);

    // Line 2 declined (out of stock): a credit event.
    let r = c
        .api_post(
            &format!("/api/v1/order-lines/{l2}/decline"),
            &tsup,
            Some(json!({"reason": "out_of_stock", "note": "factory line stopped"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        c.api_post_status(
            &format!("/api/v1/order-lines/{l2}/decline"),
            &tsup,
            Some(json!({"reason": "sold out"}))
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // First delivery: 60 of 100, retried with the same key: one delivery.
    let first = json!({"lines": [ship_line(l1, 60, "2028-06-30")]});
    let (deliveries, note_1) = (
        format!("/api/v1/orders/{oid}/deliveries"),
        ("Idempotency-Key", "note-1"),
    );
    let r = c
        .api_with_header(
            "POST",
            &deliveries,
            Some(&tsup),
            note_1,
            Some(first.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let d1 = r.json()["delivery_id"].as_i64().unwrap();
    let r = c
        .api_with_header("POST", &deliveries, Some(&tsup), note_1, Some(first))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["delivery_id"].as_i64().unwrap(), d1);
    assert_eq!(r.json()["created"], false);
    let o = c
        .api_get(&format!("/api/v1/orders/{oid}"), &ti)
        .await
        .json();
    assert_eq!(
        o["lines"][0]["shipped"], 60,
        "the retry shipped nothing more"
    );
    assert_eq!(o["state"], "shipped");
    // The order's delivery notes: one note (the retry made none), with its line, for the
    // institution and the supplier; another supplier finds no such order.
    for token in [&ti, &tsup] {
        let r = c
            .api_get(&format!("/api/v1/orders/{oid}/deliveries"), token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let notes = r.json();
        assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
        assert_eq!(notes[0]["id"], d1);
        assert_eq!(notes[0]["order_id"], oid);
        assert_eq!(notes[0]["shipper_id"], supplier);
        assert_eq!(notes[0]["lines"][0]["order_line_id"], l1);
        assert_eq!(notes[0]["lines"][0]["quantity"], 60);
    }
    let r = c
        .api_get(&format!("/api/v1/orders/{oid}/deliveries"), &tother)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // More than ordered, short-dated goods, a bad date: refused, nothing changes.
    for (body, field, code) in [
        (
            json!({"lines": [ship_line(l1, 41, "2028-06-30")]}),
            "quantity",
            "shipment_exceeds_order",
        ),
        (
            json!({"lines": [ship_line(l1, 10, "2027-01-31")]}),
            "expiry_date",
            "shelf_life_too_short",
        ),
        (
            json!({"lines": [ship_line(l1, 10, "soon")]}),
            "expiry_date",
            "not_a_date",
        ),
        (
            json!({"lines": [ship_line(l2, 5, "2028-06-30")]}),
            "quantity",
            "line_declined",
        ),
    ] {
        let r = c
            .api_post(
                &format!("/api/v1/orders/{oid}/deliveries"),
                &tsup,
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            field_codes(&r).contains(&(field.into(), code.into())),
            "{field} {code}: {}",
            r.body
        );
    }
    // Cancelling after shipment is refused.
    assert_eq!(
        c.api_post_status(&format!("/api/v1/orders/{oid}/cancel"), &ti, None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Receipt of the first delivery: accepted; confirming again changes nothing.
    let dl1 = o["deliveries"][0]["id"].as_i64().unwrap();
    let r = c
        .api_post(
            &format!("/api/v1/delivery-lines/{dl1}/confirm"),
            &ti,
            Some(json!({"outcome": "accepted"})),
        )
        .await;
    assert_eq!(r.json()["changed"], true, "{}", r.body);
    assert_eq!(r.json()["order"]["state"], "partially_received");
    let r = c
        .api_post(
            &format!("/api/v1/delivery-lines/{dl1}/confirm"),
            &ti,
            Some(json!({"outcome": "rejected", "reason": "damaged"})),
        )
        .await;
    assert_eq!(r.json()["changed"], false);
    assert_eq!(r.json()["order"]["lines"][0]["accepted"], 60);
    assert_eq!(
        c.api_post_status(
            &format!("/api/v1/delivery-lines/{dl1}/confirm"),
            &tsup,
            Some(json!({"outcome": "accepted"}))
        )
        .await,
        StatusCode::FORBIDDEN
    );

    // Second delivery: the remaining 40 in two lines (two batches).
    let r = c
        .api_with_header("POST", &format!("/api/v1/orders/{oid}/deliveries"), Some(&tsup), ("Idempotency-Key", "note-2"), Some(json!({"lines": [ship_line(l1, 30, "2028-06-30"), ship_line(l1, 10, "2028-07-31")]})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let dl2 = r.json()["lines"][0]["id"].as_i64().unwrap();
    let dl3 = r.json()["lines"][1]["id"].as_i64().unwrap();
    // Two people confirm the same line at the same moment (two threads): it counts once.
    let today = state.today();
    let changed = accept_at_once(
        &state,
        inst,
        (0..2).map(|k| (format!("clerk{k}"), dl2)).collect(),
    );
    assert_eq!(changed.iter().filter(|c| **c).count(), 1, "{changed:?}");
    let r = c
        .api_post(
            &format!("/api/v1/delivery-lines/{dl3}/confirm"),
            &ti,
            Some(json!({"outcome": "rejected", "reason": "damaged"})),
        )
        .await;
    assert_eq!(r.json()["order"]["state"], "received", "{}", r.body);
    let line = &r.json()["order"]["lines"][0];
    assert_eq!(
        (
            line["shipped"].as_i64(),
            line["confirmed"].as_i64(),
            line["accepted"].as_i64()
        ),
        (Some(100), Some(100), Some(90))
    );
    let events: Vec<CreditEventKind> = os::credit_events_of(&mut conn(&state), supplier)
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(
        events.contains(&CreditEventKind::Declined) && events.contains(&CreditEventKind::Rejected),
        "{events:?}"
    );

    // Payables: one per accepted line, due in 30 days; paid once.
    let r = c.api_get("/api/v1/payables", &ti).await;
    let all = r.json();
    let ps: Vec<&serde_json::Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| [dl1, dl2].contains(&p["delivery_line_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(ps.len(), 2, "{}", r.body);
    assert_eq!(ps[0]["due_on"], (today + Duration::days(30)).to_string());
    let p = ps[0]["id"].as_i64().unwrap();
    assert_eq!(
        c.api_post_status(&format!("/api/v1/payables/{p}/paid"), &tsup, None)
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.api_post_status(&format!("/api/v1/payables/{p}/paid"), &ti, None)
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.api_post_status(&format!("/api/v1/payables/{p}/paid"), &ti, None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = c.api_get("/api/v1/payables", &tsup).await;
    assert_eq!(
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["paid"] == true)
            .count(),
        1
    );
    assert!(audit::verify(&mut conn(&state)).unwrap().broken.is_none());
}

async fn deadlines_follow_urgency_and_remoteness(db: TestDb) {
    let state = state_with_demo(&db);
    let (_, ks) = contracts(&state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let now = state.clock.now();
    let at = |o: &serde_json::Value, k: &str| {
        chrono::DateTime::parse_from_rfc3339(o[k].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // From the time the order was taken (stored to the microsecond) to its deadline.
    let deadline = |o: &serde_json::Value| now + (at(o, "deliver_by") - at(o, "submitted_at"));
    let r = c
        .api_post(
            "/api/v1/orders",
            &ti,
            Some(json!({"urgent": true, "lines": [{"contract_id": ks[0].0, "quantity": 5}]})),
        )
        .await;
    let urgent = r.json();
    assert_eq!(deadline(&urgent) - now, Duration::hours(24), "{}", r.body);
    let r = c
        .api_post("/api/v1/orders", &ti, Some(one_line_order(ks[0].0, 5)))
        .await;
    let normal = r.json();
    assert_eq!(deadline(&normal) - now, Duration::hours(48));
    // A remote institution's normal order: 72 h.
    let all = institutions(&state);
    let remote = all
        .iter()
        .find(|i| i.remote)
        .expect("the demo has remote institutions");
    let tr = token_for(
        &state,
        &institution_user(&state, "remote-clerk", remote.id, "en"),
    );
    let r = c
        .api_post("/api/v1/orders", &tr, Some(one_line_order(ks[0].0, 5)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(deadline(&r.json()) - now, Duration::hours(72));
    // The normal order shipped after 49 hours is late: flagged, and a credit event.
    let tsup = token_for(&state, &supplier_user(&state, ks[0].1));
    let oid = normal["id"].as_i64().unwrap();
    c.api_post(&format!("/api/v1/orders/{oid}/acknowledge"), &tsup, None)
        .await;
    state.clock.advance(Duration::hours(49));
    let line = normal["lines"][0]["id"].as_i64().unwrap();
    let r = c
        .api_post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            &tsup,
            Some(json!({"lines": [ship_line(line, 5, "2028-06-30")]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["lines"][0]["late"], true);
    assert!(os::credit_events_of(&mut conn(&state), ks[0].1)
        .unwrap()
        .iter()
        .any(|e| e.0 == CreditEventKind::Late));
    // The urgent one is cancelled before shipment.
    let uid = urgent["id"].as_i64().unwrap();
    assert_eq!(
        c.api_post_status(&format!("/api/v1/orders/{uid}/cancel"), &ti, None)
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        os::order(&mut conn(&state), uid).unwrap().state,
        OrderState::Cancelled
    );
}

/// The same steps through the pages: order, acknowledge, ship, accept, pay; and who may not.
async fn an_order_through_the_pages(db: TestDb) {
    let state = state_with_demo(&db);
    let (_, ks) = contracts(&state);
    let (contract, supplier) = ks[0];
    let app = app(state.clone()).await;
    let mut inst = Client::logged_in(app.clone(), "institution", "/home").await;
    let mut sup = Client::logged_in(app.clone(), &supplier_user(&state, supplier), "/home").await;
    let other = ks.iter().find(|k| k.1 != supplier).unwrap().1;
    let mut stranger = Client::logged_in(app.clone(), &supplier_user(&state, other), "/home").await;
    assert_eq!(inst.get("/orders/new").await.status, StatusCode::OK);
    assert_eq!(sup.get("/orders/new").await.status, StatusCode::FORBIDDEN);
    // A price with thousands to group: ¥1,234.50 a unit, 25 units ¥30,862.50.
    {
        use diesel::prelude::*;
        use jicai::store::schema::contracts as k;
        diesel::update(k::table.filter(k::id.eq(contract)))
            .set(k::unit_price.eq(12_345_000i64))
            .execute(&mut conn(&state))
            .unwrap();
    }
    let contract_page = inst.get(&format!("/contracts/{contract}")).await;
    assert!(
        contract_page.body.contains("¥1,234.50"),
        "the unit price in the reader's locale: {}",
        contract_page.body
    );
    let k = contract.to_string();
    let r = inst
        .post("/orders", &[("contract_id", &k), ("quantity", "-3")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = inst
        .post(
            "/orders",
            &[("contract_id", &k), ("quantity", "25"), ("urgent", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location().unwrap().to_string();
    let page = inst.get(&path).await;
    assert!(
        page.body.contains("订单已提交：1 个订单"),
        "the notice of one order placed, once: {}",
        page.body
    );
    assert!(!inst.get(&path).await.body.contains("订单已提交"));
    for shown in ["¥1,234.50", "¥30,862.50"] {
        assert!(
            page.body.contains(shown),
            "{shown} on the order: {}",
            page.body
        );
    }
    assert!(
        !page.body.contains("30862.5"),
        "no amount without its separators"
    );
    let list = inst.get("/orders").await;
    assert!(list.body.contains("¥30,862.50"), "{}", list.body);
    let oid: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(stranger.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(sup
        .get(&path)
        .await
        .body
        .contains(&format!("/orders/{oid}/acknowledge")));
    assert_eq!(
        sup.post_status(&format!("/orders/{oid}/acknowledge"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    let line = os::lines_of(&mut conn(&state), oid).unwrap()[0]
        .id
        .to_string();
    let ship = |q: &'static str| {
        [
            ("order_line_id", line.clone()),
            ("quantity", q.to_string()),
            ("batch_no", "P-1".to_string()),
            ("production_date", "2026-10-01".to_string()),
            ("expiry_date", "2028-10-01".to_string()),
            ("trace_codes", "8100001 8100002".to_string()),
        ]
    };
    let form = ship("30");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = sup.post(&format!("/orders/{oid}/ship"), &fields).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than ordered: {}",
        r.body
    );
    let form = ship("25");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = sup.post(&format!("/orders/{oid}/ship"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let dl = os::delivery_lines_of(&mut conn(&state), oid).unwrap()[0].clone();
    assert_eq!(dl.trace_codes, "8100001,8100002");
    assert_eq!(
        sup.post_status(&format!("/delivery-lines/{}/accept", dl.id), &[])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        inst.post_status(&format!("/delivery-lines/{}/accept", dl.id), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        os::order(&mut conn(&state), oid).unwrap().state,
        OrderState::Received
    );
    let page = inst.get("/payables").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("¥30,862.50"),
        "the payable in the reader's locale: {}",
        page.body
    );
    let p = os::payables_of(&mut conn(&state), None, Some(supplier))
        .unwrap()
        .into_iter()
        .find(|p| p.delivery_line_id == dl.id)
        .unwrap();
    assert!(page.body.contains(&format!("/payables/{}/pay", p.id)));
    assert_eq!(
        inst.post_status(&format!("/payables/{}/paid", p.id), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    assert!(os::payables_of(&mut conn(&state), None, Some(supplier))
        .unwrap()
        .iter()
        .any(|x| x.id == p.id && x.paid_at.is_some()));
    assert_eq!(sup.get("/payables").await.status, StatusCode::OK);
}

/// Center staff warn a supplier, then (only then) put it on the bad-faith list (page); the
/// public sees the list, not the warning; the tender review of a tender whose deadline falls
/// in the period disqualifies the supplier's bid.
async fn the_bad_faith_list_bars_a_supplier_from_tenders(db: TestDb) {
    let state = state_with_demo(&db);
    let open = ts::tenders_list(&mut conn(&state))
        .unwrap()
        .into_iter()
        .find(|t| t.state == TenderState::Open)
        .unwrap();
    let lot = ts::lots_of(&mut conn(&state), open.id).unwrap().remove(0);
    let bid = ts::bids_of_lot(&mut conn(&state), lot.id)
        .unwrap()
        .remove(0);
    let app = app(state.clone()).await;
    let mut center = Client::logged_in(app.clone(), "center", "/home").await;
    let mut sup = Client::logged_in(
        app.clone(),
        &supplier_user(&state, bid.supplier_id),
        "/home",
    )
    .await;
    let today = state.today().to_string();
    let until = (state.today() + Duration::days(730)).to_string();
    let path = format!("/suppliers/{}/bad-faith", bid.supplier_id);
    let good = [
        ("reason", "Forged inspection report"),
        ("starts_on", today.as_str()),
        ("ends_on", until.as_str()),
    ];
    assert_eq!(sup.post(&path, &good).await.status, StatusCode::FORBIDDEN);
    let bad = [
        ("reason", "x"),
        ("starts_on", until.as_str()),
        ("ends_on", today.as_str()),
    ];
    assert_eq!(
        center.post(&path, &bad).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a period that ends before it starts"
    );
    // A warning first: listing a supplier never warned is refused, and nothing is listed.
    let r = center.post(&path, &good).await;
    common::assert_refused_with_code(&r, "supplier_not_warned");
    assert!(os::bad_faith_of(&mut conn(&state), bid.supplier_id)
        .unwrap()
        .is_empty());
    let warn = format!("{path}/warning");
    let warning = [("reason", "Late deliveries in three counties")];
    assert_eq!(
        sup.post(&warn, &warning).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        center.post(&warn, &[("reason", " ")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a warning without a reason"
    );
    assert_eq!(
        center.post(&warn, &warning).await.status,
        StatusCode::SEE_OTHER
    );
    // Warned, not named: the supplier sees its warning; the public list does not show it.
    let own = sup.get(&format!("/suppliers/{}", bid.supplier_id)).await;
    assert!(
        own.body.contains("Late deliveries in three counties"),
        "{}",
        own.body
    );
    let name = parties::get_supplier(&mut conn(&state), bid.supplier_id)
        .unwrap()
        .name;
    let mut anon = Client::new(app.clone());
    assert!(!anon.get("/bad-faith").await.body.contains(&name));
    assert_eq!(
        center.post(&path, &good).await.status,
        StatusCode::SEE_OTHER
    );
    let page = center.get(&format!("/suppliers/{}", bid.supplier_id)).await;
    assert!(page.body.contains("Forged inspection report"));
    let public = anon.get("/bad-faith").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains(&name), "{}", public.body);
    // After the deadline, the technical review disqualifies the bid, with the reason.
    state.clock.advance(Duration::days(15));
    let r = center
        .post(&format!("/tenders/{}/actions/open_technical", open.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let b = ts::bid(&mut conn(&state), bid.id).unwrap();
    assert_eq!(b.technical_result, Some(TechnicalResult::Failed));
    assert!(
        b.reasons().iter().any(|r| r.contains("bad-faith")),
        "{:?}",
        b.reasons()
    );
    assert!(os::credit_events_of(&mut conn(&state), bid.supplier_id)
        .unwrap()
        .iter()
        .any(|e| e.0 == CreditEventKind::BadFaith));
    assert!(os::credit_events_of(&mut conn(&state), bid.supplier_id)
        .unwrap()
        .iter()
        .any(|e| e.0 == CreditEventKind::Warning));
}

/// The lines of one order confirmed at the same moment by several people (threads, each on its
/// own connection): the order ends received, not stuck half-way on a state computed by each
/// from the lines it saw; and two deliveries of one line shipped at once never exceed it.
async fn one_orders_lines_confirmed_at_once(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, ks) = contracts(&state);
    let supplier = ks[0].1;
    let mine: Vec<i64> = ks
        .iter()
        .filter(|k| k.1 == supplier)
        .map(|k| k.0)
        .take(4)
        .collect();
    assert!(mine.len() >= 2, "the demo supplier has several contracts");
    let rules = state.config.delivery;
    let today = state.today();
    let act = |who: &str| Act::new(who, chrono::Utc::now());
    let batch = |line: i64, quantity: i64| os::ShipLine {
        order_line_id: line,
        quantity,
        batch_no: "B1".into(),
        production_date: today - Duration::days(30),
        expiry_date: today + Duration::days(700),
        trace_codes: vec![],
    };
    for round in 0..5 {
        let lines: Vec<BasketLine> = mine
            .iter()
            .map(|&k| BasketLine {
                item: Item::Contract(k),
                quantity: 10,
            })
            .collect();
        let (o, ls) = place_basket(
            &mut conn(&state),
            &act("institution"),
            &rules,
            inst,
            false,
            &lines,
            today,
        )
        .unwrap()
        .remove(0);
        os::acknowledge(&mut conn(&state), &act("supplier"), o.id, supplier).unwrap();
        // Two deliveries of 10 for the first line at once: one ships, the other is refused.
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let shipped: Vec<Result<os::Shipped, String>> = (0..2)
            .map(|k| {
                let (store, barrier) = (state.store.clone(), barrier.clone());
                let ship = vec![batch(ls[0].id, 10)];
                let key = format!("order-{}-note-{k}", o.id);
                std::thread::spawn(move || {
                    let mut c = store.conn().unwrap();
                    barrier.wait();
                    let note = os::DeliveryNote {
                        order_id: o.id,
                        shipper_id: supplier,
                        idempotency_key: Some(&key),
                        lines: &ship,
                    };
                    os::ship(
                        &mut c,
                        &Act::new("supplier", chrono::Utc::now()),
                        &rules,
                        &note,
                        today,
                    )
                    .map_err(|e| format!("{e:?}"))
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(
            shipped.iter().filter(|s| s.is_ok()).count(),
            1,
            "round {round}: {:?}",
            shipped.iter().map(|s| s.as_ref().err()).collect::<Vec<_>>()
        );
        let rest: Vec<os::ShipLine> = ls[1..].iter().map(|l| batch(l.id, 10)).collect();
        let note = os::DeliveryNote {
            order_id: o.id,
            shipper_id: supplier,
            idempotency_key: None,
            lines: &rest,
        };
        os::ship(&mut conn(&state), &act("supplier"), &rules, &note, today).unwrap();
        let dls = os::delivery_lines_of(&mut conn(&state), o.id).unwrap();
        assert_eq!(dls.len(), ls.len());
        let clerks = dls
            .iter()
            .map(|d| (format!("clerk{}", d.id), d.id))
            .collect();
        for changed in accept_at_once(&state, inst, clerks) {
            assert!(changed);
        }
        let after = os::order(&mut conn(&state), o.id).unwrap();
        assert_eq!(after.state, OrderState::Received, "round {round}");
    }
}

/// An order whose state column holds a word the program does not have (written behind its
/// back) is an error when read: the store says so, the API and the page answer 500 without
/// the word, and no step is taken on it as though it were in some state.
async fn an_unknown_stored_order_state_is_an_error_not_a_default(db: TestDb) {
    use diesel::RunQueryDsl;
    let state = state_with_demo(&db);
    let (_, ks) = contracts(&state);
    let supplier = ks[0].1;
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let tsup = token_for(&state, &supplier_user(&state, supplier));
    let r = c
        .api_post("/api/v1/orders", &ti, Some(one_line_order(ks[0].0, 10)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let oid = r.json()["id"].as_i64().unwrap();
    let line = r.json()["lines"][0]["id"].as_i64().unwrap();
    let set = |sql: String| {
        diesel::sql_query(sql).execute(&mut conn(&state)).unwrap();
    };
    set(format!(
        "UPDATE orders SET state = 'bogus' WHERE id = {oid}"
    ));
    match os::order(&mut conn(&state), oid) {
        Err(e @ jicai::store::StoreError::Db(diesel::result::Error::DeserializationError(_))) => {
            assert!(
                e.to_string()
                    .ends_with("the database holds \"bogus\", which is not a word of OrderState"),
                "{e}"
            )
        }
        other => panic!("read as {other:?}"),
    }
    for path in [format!("/api/v1/orders/{oid}"), "/api/v1/orders".into()] {
        let r = c.api_get(&path, &ti).await;
        assert_eq!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["code"], "internal", "{}", r.body);
        assert!(!r.body.contains("bogus"), "{}", r.body);
    }
    let r = c
        .api_post(&format!("/api/v1/orders/{oid}/acknowledge"), &tsup, None)
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    let mut page = Client::new(app.clone());
    page.login("institution", PW).await;
    let r = page.get(&format!("/orders/{oid}")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.contains("bogus"), "{}", r.body);
    let r = page.get("/orders").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    // Nothing was written: the word is still there, as it was.
    #[derive(diesel::QueryableByName)]
    struct Raw {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    let raw: Raw = diesel::sql_query(format!("SELECT state FROM orders WHERE id = {oid}"))
        .get_result(&mut conn(&state))
        .unwrap();
    assert_eq!(raw.state, "bogus");
    // A line's decline reason and a delivery line's receipt likewise.
    set(format!(
        "UPDATE orders SET state = 'submitted' WHERE id = {oid}"
    ));
    assert_eq!(
        os::order(&mut conn(&state), oid).unwrap().state,
        OrderState::Submitted
    );
    set(format!(
        "UPDATE order_lines SET declined_reason = 'sold_out' WHERE id = {line}"
    ));
    assert!(os::lines_of(&mut conn(&state), oid).is_err());
    let r = c.api_get(&format!("/api/v1/orders/{oid}"), &ti).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(!r.body.contains("sold_out"), "{}", r.body);
}

/// The ids a list page links to after `marker` (`href="/orders/` → the orders of the order
/// list, `/deliveries/` → the delivery notes of the payables list), each once, in order.
fn linked_ids(body: &str, marker: &str) -> Vec<i64> {
    let mut out = vec![];
    for (i, _) in body.match_indices(marker) {
        let digits: String = body[i + marker.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = digits.parse::<i64>() {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// The address of the next page of a list, if it has one.
fn next_page(body: &str) -> Option<String> {
    let end = body.find("\" rel=\"next\"")?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// Every row of a list from `first` on, page after page: the ids after `marker`, and the
/// addresses of the pages after the first.
async fn every_page<S, B>(c: &mut Client<S>, first: &str, marker: &str) -> (Vec<i64>, Vec<String>)
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let (mut ids, mut later) = (vec![], vec![]);
    let mut path = first.to_string();
    loop {
        let r = c.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        let rows = linked_ids(&r.body, marker);
        assert!(rows.len() <= 20, "{path}: one page holds at most 20 rows");
        ids.extend(rows);
        match next_page(&r.body) {
            Some(next) if later.len() < 50 => {
                later.push(next.clone());
                path = next;
            }
            _ => return (ids, later),
        }
    }
}

/// The order list and the payables list come a page at a time, filtered in the query: a state
/// (a status) shows exactly the orders (payables) in it, the pages follow one another with the
/// filter kept, and no page shows another institution's or another supplier's rows.
async fn order_and_payable_lists_page_and_filter_within_scope(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, ks) = contracts(&state);
    let (contract, supplier) = ks[0];
    let rules = state.config.delivery;
    let today = state.today();
    let act = |who: &str| Act::new(who, chrono::Utc::now());
    // 26 more orders: 24 delivered and accepted (3 of their payables overdue), 2 acknowledged.
    for n in 0..26 {
        let line = BasketLine {
            item: Item::Contract(contract),
            quantity: 1,
        };
        let (o, ls) = place_basket(
            &mut conn(&state),
            &act("institution"),
            &rules,
            inst,
            false,
            &[line],
            today,
        )
        .unwrap()
        .remove(0);
        os::acknowledge(&mut conn(&state), &act("supplier"), o.id, supplier).unwrap();
        if n >= 24 {
            continue;
        }
        let ship = [os::ShipLine {
            order_line_id: ls[0].id,
            quantity: 1,
            batch_no: "B1".into(),
            production_date: today - Duration::days(30),
            expiry_date: today + Duration::days(700),
            trace_codes: vec![],
        }];
        let key = format!("paging-{n}");
        let note = os::DeliveryNote {
            order_id: o.id,
            shipper_id: supplier,
            idempotency_key: Some(&key),
            lines: &ship,
        };
        let shipped = os::ship(&mut conn(&state), &act("supplier"), &rules, &note, today).unwrap();
        let dl = shipped.lines[0].id;
        os::confirm(
            &mut conn(&state),
            &act("institution"),
            &rules,
            dl,
            inst,
            os::Receipt::Accepted,
            today,
        )
        .unwrap();
        if n < 3 {
            use diesel::prelude::*;
            use jicai::store::schema::payables as p;
            diesel::update(p::table.filter(p::delivery_line_id.eq(dl)))
                .set(p::due_on.eq(today - Duration::days(10)))
                .execute(&mut conn(&state))
                .unwrap();
        }
    }
    // What the institution's user sees, from the database: its orders and its clinics'.
    let mut scope = parties::children_of(&mut conn(&state), inst).unwrap();
    scope.push(inst);
    let orders = os::orders_for(&mut conn(&state), Some(&scope), None).unwrap();
    assert!(orders.len() > 26, "{}", orders.len());
    let app = app(state.clone()).await;
    let mut me = Client::logged_in(app.clone(), "institution", "/home").await;
    let r = me.get("/orders").await;
    assert_eq!(linked_ids(&r.body, "href=\"/orders/").len(), 20);
    assert_eq!(next_page(&r.body).as_deref(), Some("/orders?page=2"));
    let (all, later) = every_page(&mut me, "/orders", "href=\"/orders/").await;
    assert_eq!(all, orders.iter().map(|o| o.id).collect::<Vec<_>>());
    assert_eq!(later, ["/orders?page=2"], "two pages");
    for s in [
        OrderState::Submitted,
        OrderState::Acknowledged,
        OrderState::Received,
    ] {
        let first = format!("/orders?state={}", s.as_str());
        let (shown, later) = every_page(&mut me, &first, "href=\"/orders/").await;
        let expected: Vec<i64> = orders
            .iter()
            .filter(|o| o.state == s)
            .map(|o| o.id)
            .collect();
        assert!(!expected.is_empty(), "{s:?}");
        assert_eq!(shown, expected, "{s:?}");
        for l in &later {
            assert!(l.contains(&format!("state={}", s.as_str())), "{l}");
        }
        if s == OrderState::Received {
            assert_eq!(later[0], "/orders?state=received&page=2");
        }
    }

    // The payables: the institution's own, by due day.
    let ps = os::payables_of(&mut conn(&state), Some(inst), None).unwrap();
    let lines: Vec<i64> = ps.iter().map(|p| p.delivery_line_id).collect();
    let places = os::delivery_line_places(&mut conn(&state), &lines).unwrap();
    let notes = |keep: &dyn Fn(&os::Payable) -> bool| -> Vec<i64> {
        let mut v: Vec<i64> = vec![];
        for p in ps.iter().filter(|p| keep(p)) {
            let n = places[&p.delivery_line_id].1;
            if !v.contains(&n) {
                v.push(n);
            }
        }
        v
    };
    let r = me.get("/payables").await;
    assert_eq!(linked_ids(&r.body, "/deliveries/").len(), 20);
    assert_eq!(next_page(&r.body).as_deref(), Some("/payables?page=2"));
    let (all, _) = every_page(&mut me, "/payables", "/deliveries/").await;
    assert_eq!(all, notes(&|_| true));
    let (overdue, _) = every_page(&mut me, "/payables?status=overdue", "/deliveries/").await;
    let expected = notes(&|p| p.paid_at.is_none() && p.due_on < today);
    assert!(expected.len() >= 3, "{expected:?}");
    assert_eq!(overdue, expected);
    let (due, later) = every_page(&mut me, "/payables?status=due", "/deliveries/").await;
    assert_eq!(due, notes(&|p| p.paid_at.is_none() && p.due_on >= today));
    assert_eq!(later[0], "/payables?status=due&page=2");

    // Another institution's user and another supplier's see none of these rows.
    let others = institutions(&state);
    let other = others.iter().find(|i| !scope.contains(&i.id)).unwrap();
    let name = institution_user(&state, "paging-other", other.id, "en");
    let mut them = Client::logged_in(app.clone(), &name, "/home").await;
    let stranger = ks.iter().find(|k| k.1 != supplier).unwrap().1;
    let mut rival = Client::logged_in(app.clone(), &supplier_user(&state, stranger), "/home").await;
    for (who, c, mine) in [
        ("another institution", &mut them, notes(&|_| true)),
        (
            "another supplier",
            &mut rival,
            notes(&|p| p.supplier_id == supplier),
        ),
    ] {
        for first in ["/orders", "/orders?state=received"] {
            let (seen, _) = every_page(c, first, "href=\"/orders/").await;
            let ours: Vec<i64> = orders
                .iter()
                .filter(|o| who == "another institution" || o.supplier_id == supplier)
                .map(|o| o.id)
                .collect();
            assert!(
                seen.iter().all(|id| !ours.contains(id)),
                "{who} sees our orders on {first}"
            );
        }
        for first in [
            "/payables",
            "/payables?status=due",
            "/payables?status=overdue",
        ] {
            let (seen, _) = every_page(c, first, "/deliveries/").await;
            assert!(
                seen.iter().all(|n| !mine.contains(n)),
                "{who} sees our payables on {first}"
            );
        }
    }
}

on_both_databases!(
    demo: an_order_from_placement_to_payment,
    an_unknown_stored_order_state_is_an_error_not_a_default,
    deadlines_follow_urgency_and_remoteness,
    an_order_through_the_pages,
    the_bad_faith_list_bars_a_supplier_from_tenders,
    one_orders_lines_confirmed_at_once,
    order_and_payable_lists_page_and_filter_within_scope
);
