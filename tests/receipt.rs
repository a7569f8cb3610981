//! Receipt by quantity, the printable delivery note and the order pages with names (issue 15),
//! on both databases: 200 shipped, 180 accepted and 20 rejected as damaged on the delivery
//! note's page make a payable of exactly 180 × the price, and performance and the shortage
//! signals count 180; bad numbers are refused next to their field in the user's language with
//! what was typed kept and nothing written; "accept all"; who may see and confirm a note.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::orders::{institution_user, institutions, serving_contracts as contracts};
use common::{app, state_with_demo, supplier_user, token_for, Client, TestDb, PW};
use jicai::domain::money::Money;
use jicai::domain::orders::{CreditEventKind, OrderState, ReceiptOutcome, RejectReason};
use jicai::store::performance::{self as perf, By, Filter};
use jicai::store::{orders as os, shortages, tenders as ts};
use jicai::web::AppState;
use serde_json::json;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

/// A user of an institution outside the demo institution's scope (another county's).
fn stranger_institution_user(state: &AppState, inst: i64) -> String {
    let mut c = conn(state);
    let county = jicai::store::regions::county_of_institution(&mut c, inst).unwrap();
    let other = institutions(state)
        .into_iter()
        .find(|i| {
            i.parent_id.is_none()
                && jicai::store::regions::county_of_institution(&mut c, i.id).unwrap() != county
        })
        .expect("the demo has institutions in other counties");
    institution_user(state, "elsewhere", other.id, "zh-CN")
}

fn ship_line(line: i64, qty: i64) -> serde_json::Value {
    json!({"order_line_id": line, "quantity": qty, "batch_no": "B2026-12", "production_date": "2026-09-01", "expiry_date": "2028-08-31", "trace_codes": ["81234567890123456789", "81234567890123456790"]})
}

/// Places an order of these (contract, quantity) lines over the API, has the supplier
/// acknowledge it and ship everything in one delivery note: (order, note, its line ids).
async fn shipped_order<S, B>(
    c: &mut Client<S>,
    ti: &str,
    tsup: &str,
    lines: &[(i64, i64)],
) -> (i64, i64, Vec<i64>)
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let body: Vec<serde_json::Value> = lines
        .iter()
        .map(|(k, q)| json!({"contract_id": k, "quantity": q}))
        .collect();
    let r = c
        .api_post("/api/v1/orders", ti, Some(json!({ "lines": body })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let o = r.json()["orders"][0].clone();
    let oid = o["id"].as_i64().unwrap();
    let r = c
        .api_post(&format!("/api/v1/orders/{oid}/acknowledge"), tsup, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ship: Vec<serde_json::Value> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| ship_line(l["id"].as_i64().unwrap(), l["quantity"].as_i64().unwrap()))
        .collect();
    let r = c
        .api_post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            tsup,
            Some(json!({ "lines": ship })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let note = r.json()["delivery_id"].as_i64().unwrap();
    let dls = r.json()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    (oid, note, dls)
}

fn delivery_line(state: &AppState, oid: i64, id: i64) -> os::DeliveryLine {
    os::delivery_lines_of(&mut conn(state), oid)
        .unwrap()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap()
}

/// The value an input of the page shows.
fn input_value(body: &str, id: &str) -> Option<String> {
    let i = body.find(&format!("id=\"{id}\""))?;
    let tag_start = body[..i].rfind('<')?;
    let tag = &body[tag_start..tag_start + body[tag_start..].find('>')?];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

async fn receipt_by_quantity_pays_for_what_was_accepted(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, ks) = contracts(&state);
    let (contract, supplier, drug) = ks[0];
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let tsup = token_for(&state, &supplier_user(&state, supplier));
    let now = state.clock.now();
    let later = now + Duration::hours(100);
    let today = now.with_timezone(&state.config.time_zone).date_naive();
    let county = jicai::store::regions::county_of_institution(&mut conn(&state), inst).unwrap();
    let filter = Filter {
        from: (now - Duration::days(1)).naive_utc(),
        to: (now + Duration::days(1)).naive_utc(),
        county_id: None,
        supplier_id: None,
    };
    let totals = |state: &AppState| {
        perf::totals(
            &mut conn(state),
            &filter,
            later.naive_utc(),
            By::Contract,
            Some(&[contract]),
        )
        .unwrap()
        .get(&(contract, 0))
        .copied()
        .unwrap_or_default()
    };
    let signal = |state: &AppState| {
        shortages::read_signals(&mut conn(state), later.naive_utc(), today, 30)
            .unwrap()
            .counties
            .get(&drug)
            .and_then(|m| m.get(&county))
            .copied()
            .unwrap_or_default()
    };
    let (t0, s0) = (totals(&state), signal(&state));

    let (oid, note, dls) = shipped_order(&mut c, &ti, &tsup, &[(contract, 200)]).await;
    let dl = dls[0];
    let price = os::lines_of(&mut conn(&state), oid).unwrap()[0].unit_price;
    let names = os::order_names(&mut conn(&state), &[oid])
        .unwrap()
        .remove(&oid)
        .unwrap();
    let drug_name = names.drugs[0].1.label(true);

    let mut nurse = Client::new(app.clone());
    nurse.login("institution", PW).await;
    let path = format!("/orders/{oid}/deliveries/{note}");
    let page = nurse.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for what in [
        "随货同行单",
        drug_name.as_str(),
        names.supplier.as_str(),
        names.institution.as_str(),
        "B2026-12",
        "2028-08-31",
        "81234567890123456790",
        "DD",
    ] {
        assert!(page.body.contains(what), "the note shows {what}");
    }
    assert_eq!(
        input_value(&page.body, &format!("accepted-{dl}")).as_deref(),
        Some("200")
    );
    assert!(page.body.contains("@media print") || page.body.contains("site.css"));

    // Bad numbers: refused next to the field, in Chinese, what was typed kept, nothing written.
    let confirm = format!("{path}/lines/{dl}/confirm");
    for (accepted, rejected, reason, field, code) in [
        ("abc", "0", "", "accepted", "not_a_whole_number"),
        ("1,000", "0", "", "accepted", "not_a_whole_number"),
        ("-5", "0", "", "accepted", "out_of_range"),
        ("250", "0", "", "accepted", "out_of_range"),
        (
            "200",
            "20",
            "damaged",
            "accepted",
            "receipt_does_not_add_up",
        ),
        ("180", "20", "", "reason", "reject_reason_required"),
    ] {
        let r = nurse
            .post(
                &confirm,
                &[
                    ("accepted", accepted),
                    ("rejected", rejected),
                    ("reason", reason),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{accepted}: {}",
            r.body
        );
        assert!(
            r.body.contains(&format!("data-code=\"{code}\"")),
            "{accepted}/{rejected}: {code} by its field: {}",
            r.body
        );
        assert_eq!(
            input_value(&r.body, &format!("accepted-{dl}")).as_deref(),
            Some(accepted),
            "typed value kept"
        );
        assert_eq!(
            input_value(&r.body, &format!("rejected-{dl}")).as_deref(),
            Some(rejected)
        );
        let _ = field;
        assert!(
            delivery_line(&state, oid, dl).receipt.is_none(),
            "nothing written"
        );
    }
    let r = nurse
        .post(
            &confirm,
            &[("accepted", "abc"), ("rejected", "0"), ("reason", "")],
        )
        .await;
    assert!(
        r.body.contains("整数"),
        "the error is in Chinese: {}",
        r.body
    );
    let r = nurse
        .post(
            &confirm,
            &[
                ("accepted", "200"),
                ("rejected", "20"),
                ("reason", "damaged"),
            ],
        )
        .await;
    assert!(
        r.body.contains("验收 200 + 拒收 20 须等于发货数量 200"),
        "{}",
        r.body
    );
    // Over the API too: the sum must be what was shipped.
    let api = format!("/api/v1/delivery-lines/{dl}/confirm");
    let r = c
        .api_post(
            &api,
            &ti,
            Some(json!({"accepted": 190, "rejected": 20, "reason": "damaged"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "receipt_does_not_add_up"
    );
    assert_eq!(r.json()["error"]["fields"][0]["field"], "accepted");
    assert!(os::payables_of(&mut conn(&state), None, Some(supplier))
        .unwrap()
        .iter()
        .all(|p| p.delivery_line_id != dl));

    // Another institution and the supplier cannot confirm it.
    let elsewhere = stranger_institution_user(&state, inst);
    let mut other = Client::logged_in(app.clone(), &elsewhere, "/home").await;
    let r = other
        .post(
            &confirm,
            &[("accepted", "200"), ("rejected", "0"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = c
        .api(
            "POST",
            &api,
            Some(&token_for(&state, &elsewhere)),
            Some(json!({"accepted": 200})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = c
        .api_post(&api, &tsup, Some(json!({"accepted": 200})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(delivery_line(&state, oid, dl).receipt.is_none());

    // 180 accepted, 20 rejected as damaged.
    let r = nurse
        .post(
            &confirm,
            &[
                ("accepted", "180"),
                ("rejected", "20"),
                ("reason", "damaged"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = r.location().unwrap().to_string();
    assert!(back.starts_with(&format!("{path}?done=line")), "{back}");
    let d = delivery_line(&state, oid, dl);
    assert_eq!(
        (d.accepted, d.rejected, d.receipt, d.receipt_reason),
        (
            180,
            20,
            Some(ReceiptOutcome::Partial),
            Some(RejectReason::Damaged)
        )
    );
    let page = nurse.get(&back).await;
    assert!(
        page.body.contains("已验收该行"),
        "the notice: {}",
        page.body
    );
    let expected = Money::from_ten_thousandths(price * 180).to_string();
    let shown =
        jicai::i18n::Tr::new("zh-CN").price(Money::from_ten_thousandths(price * 180).decimal());
    assert!(
        page.body.contains(&shown),
        "the payable on the note: {expected}"
    );
    assert!(
        page.body.contains("验收 180，拒收 20 (破损)"),
        "{}",
        page.body
    );
    // The payable is for the accepted quantity only, exactly.
    let ps = c.api_get("/api/v1/payables", &ti).await.json();
    let p = ps
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["delivery_line_id"] == dl)
        .expect("a payable");
    assert_eq!(p["amount"], expected);
    // The payables page names it: the order, the drug, 180 accepted, the amount.
    let page = nurse.get("/payables").await;
    assert!(page
        .body
        .contains(&format!("/orders/{oid}/deliveries/{note}")));
    assert!(page.body.contains(&drug_name), "{}", page.body);
    assert!(page.body.contains(&shown), "{}", page.body);
    // The rejected units are the supplier's credit event.
    assert!(os::credit_events_of(&mut conn(&state), supplier)
        .unwrap()
        .iter()
        .any(|(k, _, detail)| *k == CreditEventKind::Rejected && detail == "damaged"));
    // The order is received (everything shipped was confirmed); the API shows the counts.
    let o = c
        .api_get(&format!("/api/v1/orders/{oid}"), &ti)
        .await
        .json();
    assert_eq!(o["state"], "received");
    assert_eq!(o["deliveries"][0]["accepted"], 180);
    assert_eq!(o["deliveries"][0]["rejected"], 20);
    assert_eq!(o["deliveries"][0]["receipt"], "partial");
    assert_eq!(o["lines"][0]["accepted"], 180);
    // Confirming again changes nothing.
    let r = c
        .api_post(&api, &ti, Some(json!({"outcome": "accepted"})))
        .await;
    assert_eq!(r.json()["changed"], false, "{}", r.body);

    // Performance and the shortage signals count 180 delivered of the 200.
    let (t1, s1) = (totals(&state), signal(&state));
    assert_eq!(t1.due_ordered - t0.due_ordered, 200);
    assert_eq!(t1.due_delivered - t0.due_delivered, 180);
    assert_eq!(t1.delivered - t0.delivered, 180);
    assert_eq!(t1.rejected - t0.rejected, 20);
    assert_eq!(s1.due_ordered - s0.due_ordered, 200);
    assert_eq!(s1.due_shipped - s0.due_shipped, 180);
}

async fn accept_all_confirms_a_whole_note(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, ks) = contracts(&state);
    let supplier = ks[0].1;
    let same: Vec<i64> = ks.iter().filter(|k| k.1 == supplier).map(|k| k.0).collect();
    assert!(same.len() >= 2, "{ks:?}");
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let sup_login = supplier_user(&state, supplier);
    let tsup = token_for(&state, &sup_login);
    let (oid, note, dls) = shipped_order(&mut c, &ti, &tsup, &[(same[0], 30), (same[1], 12)]).await;
    assert_eq!(dls.len(), 2);
    let path = format!("/orders/{oid}/deliveries/{note}");

    // Nobody else accepts it: another institution finds nothing, a supplier is refused.
    let elsewhere = stranger_institution_user(&state, inst);
    let mut other = Client::logged_in(app.clone(), &elsewhere, "/home").await;
    assert_eq!(
        other.post(&format!("{path}/accept-all"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let mut sup = Client::logged_in(app.clone(), &sup_login, "/home").await;
    assert_eq!(
        sup.post(&format!("{path}/accept-all"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(os::delivery_lines_of(&mut conn(&state), oid)
        .unwrap()
        .iter()
        .all(|d| d.receipt.is_none()));

    let mut nurse = Client::new(app.clone());
    nurse.login("institution", PW).await;
    let page = nurse.get(&path).await;
    assert!(page.body.contains(&format!("{path}/accept-all")));
    let r = nurse.post(&format!("{path}/accept-all"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = nurse.get(r.location().unwrap()).await;
    assert!(page.body.contains("已全部验收：2 行"), "{}", page.body);
    assert!(!page.body.contains("/accept-all"), "nothing left to accept");
    let lines = os::lines_of(&mut conn(&state), oid).unwrap();
    let ps = os::payables_of(&mut conn(&state), Some(inst), None).unwrap();
    for (dl, l) in dls.iter().zip(&lines) {
        let d = delivery_line(&state, oid, *dl);
        assert_eq!((d.accepted, d.rejected), (l.quantity, 0));
        let p = ps.iter().find(|p| p.delivery_line_id == *dl).unwrap();
        assert_eq!(p.amount, l.unit_price * l.quantity);
    }
    assert_eq!(
        os::order(&mut conn(&state), oid).unwrap().state,
        OrderState::Received
    );
    // Again: nothing changes.
    let r = nurse.post(&format!("{path}/accept-all"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        os::payables_of(&mut conn(&state), Some(inst), None)
            .unwrap()
            .len(),
        ps.len()
    );
}

async fn the_delivery_note_is_seen_only_by_its_parties(db: TestDb) {
    let state = state_with_demo(&db);
    let (inst, ks) = contracts(&state);
    let supplier = ks[0].1;
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let ti = token_for(&state, "institution");
    let supplier_login = supplier_user(&state, supplier);
    let tsup = token_for(&state, &supplier_login);
    let (oid, note, _) = shipped_order(&mut c, &ti, &tsup, &[(ks[0].0, 7)]).await;
    let (oid2, note2, _) = shipped_order(&mut c, &ti, &tsup, &[(ks[0].0, 3)]).await;
    let path = format!("/orders/{oid}/deliveries/{note}");
    let other_supplier = ks
        .iter()
        .find(|k| k.1 != supplier)
        .map(|k| supplier_user(&state, k.1))
        .expect("two suppliers serve the county");
    let elsewhere = stranger_institution_user(&state, inst);
    for (who, status) in [
        ("institution", StatusCode::OK),
        ("center", StatusCode::OK),
        ("regulator", StatusCode::OK),
        (supplier_login.as_str(), StatusCode::OK),
        (other_supplier.as_str(), StatusCode::NOT_FOUND),
        (elsewhere.as_str(), StatusCode::NOT_FOUND),
        ("expert", StatusCode::FORBIDDEN),
    ] {
        let mut u = Client::new(app.clone());
        u.login(who, PW).await;
        let r = u.get(&path).await;
        assert_eq!(r.status, status, "{who}: {}", r.body);
        if status == StatusCode::OK {
            assert!(r.body.contains("B2026-12"), "{who}");
            // Only the receiving institution gets the receipt forms.
            assert_eq!(
                r.body.contains("/accept-all"),
                who == "institution",
                "{who}"
            );
        }
    }
    let mut nurse = Client::new(app.clone());
    nurse.login("institution", PW).await;
    // A note of another order under this order's address: not found.
    assert_eq!(
        nurse
            .get(&format!("/orders/{oid}/deliveries/{note2}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        nurse
            .get(&format!("/orders/{oid2}/deliveries/{note2}"))
            .await
            .status,
        StatusCode::OK
    );
    // The print view: the document, no forms, and a way back.
    let r = nurse.get(&format!("{path}?print=1")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("dn-bare") && !r.body.contains("/accept-all"));
    assert!(r.body.contains("收货人签字"));
    // The order page links its notes by number, names the drug and the supplier.
    let r = nurse.get(&format!("/orders/{oid}")).await;
    assert!(r.body.contains(&path), "{}", r.body);
    let names = os::order_names(&mut conn(&state), &[oid])
        .unwrap()
        .remove(&oid)
        .unwrap();
    assert!(r.body.contains(&names.supplier));
    assert!(r.body.contains(&names.drugs[0].1.label(true)));
    assert!(!r.body.contains("合同 #"), "{}", r.body);
}

async fn order_pages_name_drugs_and_keep_the_basket(db: TestDb) {
    let state = state_with_demo(&db);
    let (_, ks) = contracts(&state);
    let app = app(state.clone()).await;
    let mut nurse = Client::new(app.clone());
    nurse.login("institution", PW).await;
    let form = nurse.get("/orders/new").await;
    assert_eq!(form.status, StatusCode::OK);
    // Two drugs of two suppliers, so the basket makes two orders.
    let (a, b) = {
        let first = ks[0];
        let second = ks.iter().find(|k| k.1 != first.1).unwrap();
        let mut c = conn(&state);
        let code = |drug: i64, c: &mut jicai::store::Conn| {
            jicai::store::catalog::get_drug(c, drug).unwrap().code
        };
        (code(first.2, &mut c), code(second.2, &mut c))
    };
    assert!(
        form.body.contains(&format!("value=\"{a}\"")),
        "the picker offers {a}"
    );
    // A bad quantity: the form again, 422, the error by its field in Chinese, typed kept.
    let r = nurse
        .post(
            "/orders",
            &[
                ("drug_1", a.as_str()),
                ("quantity_1", "1,000"),
                ("drug_2", b.as_str()),
                ("quantity_2", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"1,000\""), "{}", r.body);
    assert!(
        r.body.contains("data-code=\"not_a_whole_number\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("整数"), "{}", r.body);
    assert!(
        r.body.contains(&format!("value=\"{b}\" selected")),
        "the chosen drug stays chosen"
    );
    let r = nurse
        .post(
            "/orders",
            &[
                ("drug_1", a.as_str()),
                ("quantity_1", "10"),
                ("drug_2", b.as_str()),
                ("quantity_2", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/orders"));
    let list = nurse.get("/orders").await;
    assert!(list.body.contains("订单已提交：2 个订单"), "{}", list.body);
    let mut c = conn(&state);
    let supplier = ts::supplier_names(&mut c).unwrap()[&ks[0].1].clone();
    assert!(list.body.contains(&supplier), "the list names the supplier");
    assert!(list.body.contains("¥"), "the list shows amounts");
    assert!(
        !list.body.contains(">#"),
        "no links by bare numbers: {}",
        list.body
    );
    let drug = jicai::store::catalog::get_drug(&mut c, ks[0].2).unwrap();
    assert!(list.body.contains(&drug.name_zh), "the list names the drug");
    // In English the same list names the drugs by their INN, states in English.
    let mut en = Client::logged_in(app.clone(), "institution", "/home").await;
    let r = en.post("/lang/en", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = en.get("/orders").await;
    assert!(list.body.contains("Supplier") && list.body.contains("Amount"));
    assert!(list.body.contains(&drug.inn) || drug.inn.is_empty());
}

on_both_databases!(
    demo: receipt_by_quantity_pays_for_what_was_accepted,
    accept_all_confirms_a_whole_note,
    the_delivery_note_is_seen_only_by_its_parties,
    order_pages_name_drugs_and_keep_the_basket
);
