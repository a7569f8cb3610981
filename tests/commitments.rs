//! Committed volumes and their pace (issue 14), on both databases: for every institution and
//! contract of the demo the figures the API gives add up (bought, counted here from the order
//! lines, + remaining = committed; remaining never below 0); an institution sees only its own
//! (and its village clinics'), center staff filter by county and supplier, others are refused;
//! the page says what counts.

mod common;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, supplier_user, token_for, Client, TestDb, PW};
use diesel::prelude::*;
use jicai::domain::tender::ContractStatus;
use jicai::store::schema::{
    contract_allocations, contracts, institutions, order_lines, orders, suppliers,
};
use serde_json::Value;

/// (contract, institution) → committed volume, for every allocation of a contract in force.
fn allocations(state: &jicai::web::AppState) -> BTreeMap<(i64, i64), i64> {
    let mut c = state.store.conn().unwrap();
    contract_allocations::table
        .inner_join(contracts::table)
        .filter(contracts::status.eq(ContractStatus::InForce))
        .select((
            contract_allocations::contract_id,
            contract_allocations::institution_id,
            contract_allocations::volume,
        ))
        .load::<(i64, i64, i64)>(&mut c)
        .unwrap()
        .into_iter()
        .map(|(k, i, v)| ((k, i), v))
        .collect()
}

/// What an institution ordered under a contract: lines not declined, of orders not cancelled.
fn bought(state: &jicai::web::AppState, contract: i64, institution: i64) -> i64 {
    let mut c = state.store.conn().unwrap();
    let lines: Vec<i64> = order_lines::table
        .inner_join(orders::table)
        .filter(order_lines::contract_id.eq(contract))
        .filter(orders::institution_id.eq(institution))
        .filter(orders::cancelled_at.is_null())
        .filter(order_lines::declined_reason.is_null())
        .select(order_lines::quantity)
        .load(&mut c)
        .unwrap();
    lines.iter().sum()
}

fn rows(r: &common::Resp) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

fn n(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"))
}

async fn figures_add_up_for_every_institution_and_contract(db: TestDb) {
    let state = state_with_demo(&db);
    let center = token_for(&state, "center");
    let mut c = Client::new(app(state.clone()).await);
    let all = rows(&c.api_get("/api/v1/commitments", &center).await);
    let expected = allocations(&state);
    assert!(!expected.is_empty(), "the demo has committed volumes");
    assert_eq!(all.len(), expected.len(), "one row per allocation");
    let mut some_bought = false;
    for r in &all {
        let key = (n(r, "contract_id"), n(r, "institution_id"));
        let committed = expected[&key];
        let b = bought(&state, key.0, key.1);
        assert_eq!(n(r, "committed"), committed, "{r}");
        assert_eq!(n(r, "bought"), b, "{r}");
        assert_eq!(n(r, "remaining"), (committed - b).max(0), "{r}");
        if b <= committed {
            assert_eq!(n(r, "bought") + n(r, "remaining"), committed, "{r}");
        }
        assert!(n(r, "pace") >= 0 && n(r, "pace") <= committed, "{r}");
        let behind = (b as i128) * 100 < (n(r, "pace") as i128) * 80;
        assert_eq!(r["behind"].as_bool(), Some(behind), "{r}");
        some_bought |= b > 0;
    }
    assert!(some_bought, "the demo's orders count against a commitment");
    // Filters: by supplier and by county, each a part of the whole.
    let s = n(&all[0], "supplier_id");
    let by_supplier = rows(
        &c.api_get(&format!("/api/v1/commitments?supplier_id={s}"), &center)
            .await,
    );
    let want = all.iter().filter(|r| n(r, "supplier_id") == s).count();
    assert_eq!(by_supplier.len(), want);
    let county = n(&all[0], "county_id");
    let by_county = rows(
        &c.api_get(&format!("/api/v1/commitments?county_id={county}"), &center)
            .await,
    );
    let want = all.iter().filter(|r| n(r, "county_id") == county).count();
    assert!(want > 0);
    assert_eq!(by_county.len(), want);
}

async fn an_institution_sees_only_its_own(db: TestDb) {
    let state = state_with_demo(&db);
    let mut conn = state.store.conn().unwrap();
    let user = jicai::store::users::by_username(&mut conn, "institution")
        .unwrap()
        .unwrap();
    let own = user.institution_id.unwrap();
    let mut mine: Vec<i64> = institutions::table
        .filter(institutions::parent_id.eq(own))
        .select(institutions::id)
        .load(&mut conn)
        .unwrap();
    mine.push(own);
    let expected = allocations(&state);
    let others = expected.keys().filter(|(_, i)| !mine.contains(i)).count();
    assert!(others > 0, "other institutions have commitments too");
    let ti = token_for(&state, "institution");
    let mut c = Client::new(app(state.clone()).await);
    let got = rows(&c.api_get("/api/v1/commitments", &ti).await);
    assert!(!got.is_empty());
    assert!(got.iter().all(|r| mine.contains(&n(r, "institution_id"))));
    let want = expected.keys().filter(|(_, i)| mine.contains(i)).count();
    assert_eq!(got.len(), want);
    // A filter does not widen what it sees.
    let county = n(&got[0], "county_id");
    let got = rows(
        &c.api_get(&format!("/api/v1/commitments?county_id={county}"), &ti)
            .await,
    );
    assert!(got.iter().all(|r| mine.contains(&n(r, "institution_id"))));
    // Suppliers and experts are refused with the code.
    let first: i64 = suppliers::table
        .select(suppliers::id)
        .order(suppliers::id)
        .first(&mut conn)
        .unwrap();
    let s = supplier_user(&state, first);
    let ts = token_for(&state, &s);
    let r = c.api_get("/api/v1/commitments", &ts).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"]["reason"], "commitments_not_for_role");
    // The page: the institution's rows, and what counts as bought and as behind.
    c.login("institution", PW).await;
    let page = c.get("/commitments").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("不含已取消的订单和供应商拒绝的订单行"));
    assert!(page.body.contains("80%"), "the threshold is said");
    let stranger = expected
        .keys()
        .find(|(_, i)| !mine.contains(i))
        .map(|(_, i)| *i)
        .unwrap();
    assert!(!page.body.contains(&format!("/institutions/{stranger}\"")));
}

async fn center_staff_see_counties_and_suppliers(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state.clone()).await);
    c.login("center", PW).await;
    let page = c.get("/commitments").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("按县区和供应商"), "{}", page.body);
    assert!(page.body.contains("name=\"county\""));
    let bad = c.get("/commitments?county=999999").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    c.login("expert", PW).await;
    let r = c.get("/commitments").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

on_both_databases!(
    demo: figures_add_up_for_every_institution_and_contract,
    an_institution_sees_only_its_own,
    center_staff_see_counties_and_suppliers,
);
