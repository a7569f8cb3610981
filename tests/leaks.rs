//! What must not leak before its time: who bid on which lot (audit page), a draft tender's lots,
//! the length of a price; and the technical review takes the licences as they stood when the
//! bid was sealed, not as they are at the opening.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::*;
use serde_json::json;

use jicai::domain::tender::TechnicalResult;
use jicai::store::{parties, tenders as ts, Act};

async fn sealed_until_their_time(db: TestDb) {
    let state = state_with_demo(&db);
    let (good, expired) = d0012_bidders(&state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let center = token_for(&state, "center");
    let rfc = |d: Duration| (state.clock.now() + d).to_rfc3339();

    // A window with demand for D0012, closed; one tender published, one left a draft.
    let window = common::closed_window_d0012(&mut c, &state, &center, "Leak window").await;
    let mut tender_ids = vec![];
    for title in ["Published tender", "Secret draft tender"] {
        let r = c
            .api_post("/api/v1/tenders", &center, Some(json!({"title": title, "window_id": window, "bid_deadline": rfc(Duration::days(2)),
                    "lots": [{"drug_code": "D0012", "max_unit_price": "1.2345", "consistency_required": false,
                              "policy": {"kind": "lowest_price"}}]})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        tender_ids.push((
            r.json()["id"].as_i64().unwrap(),
            r.json()["lots"][0]["id"].as_i64().unwrap(),
        ));
    }
    let ((tender, lot), (draft, draft_lot)) = (tender_ids[0], tender_ids[1]);
    let r = c
        .api_post(
            &format!("/api/v1/tenders/{tender}/actions/publish"),
            &center,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A draft's lot does not exist for a supplier: neither its products nor its bid form (the
    // refused form told its title and maximum price).
    let (sa, pa) = good[0];
    let sa_user = supplier_user(&state, sa);
    let ta = token_for(&state, &sa_user);
    let r = c
        .api_get(&format!("/api/v1/lots/{draft_lot}/products"), &ta)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = c
        .api_get(&format!("/api/v1/lots/{lot}/products"), &ta)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut page = Client::logged_in(app.clone(), &sa_user, "/home").await;
    let r = page
        .get(&format!("/tenders/{draft}/lots/{draft_lot}/bid"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = page
        .multipart(
            &format!("/tenders/{draft}/lots/{draft_lot}/bid"),
            &[
                ("product_id", "x"),
                ("annual_capacity", ""),
                ("package_price", ""),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for secret in ["Secret draft tender", "1.2345"] {
        assert!(!r.body.contains(secret), "{secret} leaked: {}", r.body);
    }

    // Three bids whose prices have different numbers of digits: envelopes of one length.
    let (sb, pb) = good[1];
    let (sc, pc) = expired;
    let tb = token_for(&state, &supplier_user(&state, sb));
    let tc = token_for(&state, &supplier_user(&state, sc));
    for (t, p, price) in [(&ta, pa, "7"), (&tb, pb, "30.1234"), (&tc, pc, "1234567.8")] {
        let r = c
            .api_post(&format!("/api/v1/lots/{lot}/bid"), t, // Confirmed: the largest is above the lot's ceiling (still the bidder's choice).
                Some(json!({"product_id": p, "annual_capacity": 100000, "package_price": price, "confirm_above_max": true})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let bids = ts::bids_of_lot(&mut state.store.conn().unwrap(), lot).unwrap();
    assert_eq!(bids.len(), 3);
    assert!(
        bids.iter()
            .all(|b| b.commercial_sealed.len() == bids[0].commercial_sealed.len()),
        "{:?}",
        bids.iter()
            .map(|b| b.commercial_sealed.len())
            .collect::<Vec<_>>()
    );

    // Before the deadline the audit page shows that bids came, not who bid on which lot.
    let mut staff = Client::logged_in(app.clone(), "center", "/home").await;
    let audit_before = staff.get("/audit?entity=bid").await;
    assert_eq!(audit_before.status, StatusCode::OK);
    assert!(
        audit_before.body.contains("一份投标（投标截止前保密）")
            || audit_before
                .body
                .contains("A bid (sealed until the bid deadline)"),
        "{}",
        audit_before.body
    );
    for b in &bids {
        assert!(
            !audit_before.body.contains(&b.commercial_digest),
            "a receipt of a bid before the deadline"
        );
    }
    assert!(
        !audit_before.body.contains(&sa_user),
        "{}",
        audit_before.body
    );

    // After the deadline, the supplier with the expired GMP certificate adds a valid one: the
    // technical review still takes the licences of its sealed bid, and fails it.
    state.clock.advance(Duration::days(3));
    parties::add_licence(
        &mut state.store.conn().unwrap(),
        &Act::new("test", state.clock.now()),
        sc,
        &jicai::domain::catalog::LicenceInput {
            kind: jicai::domain::catalog::LicenceKind::Gmp,
            number: "GMP-LATE-0001".into(),
            expires_on: state.clock.now().date_naive() + Duration::days(700),
        },
    )
    .unwrap();
    let r = c
        .api_post(
            &format!("/api/v1/tenders/{tender}/actions/open_technical"),
            &center,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bc = ts::bids_of_lot(&mut state.store.conn().unwrap(), lot)
        .unwrap()
        .into_iter()
        .find(|b| b.supplier_id == sc)
        .unwrap();
    assert_eq!(bc.technical_result, Some(TechnicalResult::Failed));
    assert!(
        bc.reason_msgs()
            .iter()
            .any(|m| m.code == jicai::domain::Code::NoValidGmpCertificate),
        "{:?}",
        bc.reason_msgs()
    );

    // And now the audit page names the bidders (to staff logged in again: days have passed).
    let mut staff = Client::new(app.clone());
    staff.login("center", PW).await;
    let audit_after = staff.get("/audit?entity=bid").await;
    assert!(audit_after.body.contains(&sa_user), "{}", audit_after.body);
}

on_both_databases!(demo: sealed_until_their_time);
