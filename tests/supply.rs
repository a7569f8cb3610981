//! Supply arrangements, on both databases: the counties each award contract of the demo
//! supplies (a multiple-winner lot's winner its primary counties, the other policies every
//! county of the tender's region), and orders that follow them county by county.

mod common;

use actix_web::http::StatusCode;
use common::{app, field_codes, state_with_demo, token_for, Client, TestDb, PW};
use diesel::prelude::*;
use jicai::domain::award::{Outcome, PolicyKind};
use jicai::domain::money::Money;
use jicai::domain::supply::{serving, ContractKind};
use jicai::store::schema::{contracts, drugs, institutions, regions};
use jicai::store::{parties, regions as rs, supply, tenders as ts, users};
use jicai::web::AppState;
use serde_json::json;
use std::collections::BTreeMap;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

/// Region id → code.
fn codes(state: &AppState) -> BTreeMap<i64, String> {
    regions::table
        .select((regions::id, regions::code))
        .load::<(i64, String)>(&mut *conn(state))
        .unwrap()
        .into_iter()
        .collect()
}

async fn award_contracts_supply_their_counties(db: TestDb) {
    let state = state_with_demo(&db);
    let c = &mut *conn(&state);
    let code = codes(&state);
    // The award's contracts (the demo's shortage responses made arrangements of other kinds).
    let ids: Vec<i64> = contracts::table
        .filter(contracts::kind.eq(ContractKind::Award))
        .order(contracts::id.asc())
        .select(contracts::id)
        .load(c)
        .unwrap();
    assert!(!ids.is_empty());
    let counties = supply::counties_of(c, &ids).unwrap();
    let mut multiple = 0;
    for id in ids {
        let k = ts::contract(c, id).unwrap();
        assert_eq!(k.kind, ContractKind::Award);
        let lot = ts::lot(c, k.lot_id.unwrap()).unwrap();
        assert_eq!(k.drug_id, lot.drug_id, "contract {id}: the lot's drug");
        let mut got: Vec<String> = counties[&id].iter().map(|r| code[r].clone()).collect();
        got.sort();
        let expected: Vec<String> = if lot.policy == PolicyKind::MultipleWinners {
            multiple += 1;
            let Some(Outcome::Awarded { winners, .. }) = lot.result().map(|r| r.outcome) else {
                panic!("lot {} awarded", lot.id)
            };
            let w = winners.iter().find(|w| Some(w.bid_id) == k.bid_id).unwrap();
            w.primary_counties.clone()
        } else {
            let t = ts::tender(c, lot.tender_id).unwrap();
            let mut all: Vec<String> = supply::counties_under(c, t.region_id)
                .unwrap()
                .iter()
                .map(|r| code[r].clone())
                .collect();
            all.sort();
            all
        };
        assert_eq!(got, expected, "contract {id} ({:?})", lot.policy);
    }
    assert!(multiple > 0, "the demo has a multiple-winner lot");
    // The case of the issue: contract 2 of supplier 4 serves 340122 and 341525.
    let mut two: Vec<&str> = counties[&2].iter().map(|r| code[r].as_str()).collect();
    two.sort();
    assert_eq!(two, ["340122", "341525"]);
}

/// A user of the institution with this id (password `PW`), and an API token of it.
fn institution_user(state: &AppState, name: &str, institution_id: i64) -> (String, String) {
    let name = common::orders::institution_user(state, name, institution_id, "en");
    let token = token_for(state, &name);
    (name, token)
}

fn drug_code(state: &AppState, id: i64) -> String {
    drugs::table
        .find(id)
        .select(drugs::code)
        .first(&mut *conn(state))
        .unwrap()
}

/// Under a multiple-winner lot, an institution of each county orders the lot's drug by its code
/// and lands with that county's primary supplier, under its contract, at its price.
async fn each_county_orders_from_its_primary_supplier(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut client = Client::new(app.clone());
    let c = &mut *conn(&state);
    let k2 = ts::contract(c, 2).unwrap();
    let lot = ts::lot(c, k2.lot_id.unwrap()).unwrap();
    assert_eq!(lot.policy, PolicyKind::MultipleWinners);
    let drug = drug_code(&state, lot.drug_id);
    let award: Vec<i64> = contracts::table
        .filter(contracts::lot_id.eq(lot.id))
        .order(contracts::id.asc())
        .select(contracts::id)
        .load(c)
        .unwrap();
    let counties = supply::counties_of(c, &award).unwrap();
    let all: Vec<(i64, i64)> = institutions::table
        .order(institutions::id.asc())
        .select((institutions::id, institutions::region_id))
        .load(c)
        .unwrap();
    let mut ordered = 0;
    for k in &award {
        let contract = ts::contract(c, *k).unwrap();
        for county in &counties[k] {
            // A county a shortage response serves instead (the demo switches one to its
            // backup) is tests/shortage_responses.rs's.
            let arr = supply::arrangements_for(c, *county, lot.drug_id).unwrap();
            if arr
                .iter()
                .any(|a| a.kind != jicai::domain::supply::ContractKind::Award)
            {
                continue;
            }
            let Some((inst, _)) = all
                .iter()
                .find(|(i, _)| rs::county_of_institution(c, *i).unwrap() == *county)
            else {
                continue;
            };
            let (_, token) = institution_user(&state, &format!("buyer{k}x{county}"), *inst);
            let r = client
                .api_post(
                    "/api/v1/orders",
                    &token,
                    Some(json!({"lines": [{"drug": drug, "quantity": 10}]})),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            let v = r.json();
            assert_eq!(v["orders"].as_array().unwrap().len(), 1, "{v}");
            assert_eq!(v["supplier_id"], contract.supplier_id, "county {county}");
            assert_eq!(v["lines"][0]["contract_id"], *k, "county {county}");
            assert_eq!(
                v["lines"][0]["unit_price"],
                Money::from_ten_thousandths(contract.unit_price).to_string()
            );
            ordered += 1;
        }
    }
    assert!(
        ordered >= 2,
        "institutions of at least two counties ordered"
    );
}

/// Contract 2 (supplier 4, counties 340122 and 341525) is refused to I0002 (county 340121), on
/// the API and on the page posted directly; nothing is written.
async fn another_countys_contract_is_refused(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut client = Client::new(app.clone());
    let i2 = parties::institution_by_code(&mut conn(&state), "I0002")
        .unwrap()
        .unwrap();
    let before: i64 = jicai::store::schema::orders::table
        .count()
        .get_result(&mut *conn(&state))
        .unwrap();
    let (name, token) = institution_user(&state, "shuihu", i2.id);
    let r = client
        .api_post(
            "/api/v1/orders",
            &token,
            Some(json!({"lines": [{"contract_id": 2, "quantity": 5}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        [(
            "lines[0].contract_id".to_string(),
            "contract_not_for_county".to_string()
        )]
    );
    client.login(&name, PW).await;
    client.get("/home").await;
    let r = client
        .post("/orders", &[("contract_id", "2"), ("quantity", "5")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The form again, the refusal in the user's language on it.
    assert!(
        r.body
            .contains("contract 2 is not what supplies this institution"),
        "{}",
        r.body
    );
    let after: i64 = jicai::store::schema::orders::table
        .count()
        .get_result(&mut *conn(&state))
        .unwrap();
    assert_eq!(before, after, "nothing was ordered");
}

/// A basket of two drugs of two suppliers becomes two orders, each with its drug at its
/// arrangement's price; a basket with a drug nothing serves is refused whole, naming the drug.
async fn a_basket_splits_by_supplier_and_refuses_an_unserved_drug(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut client = Client::new(app.clone());
    let token = token_for(&state, "institution");
    let c = &mut *conn(&state);
    let inst = users::by_username(c, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let county = rs::county_of_institution(c, inst).unwrap();
    let today = state.today();
    let mut picks: Vec<(String, i64, i64)> = vec![];
    for (id, code, ..) in supply::drugs_arranged_for(c, county, today).unwrap() {
        let all = supply::arrangements_for(c, county, id).unwrap();
        let a = serving(&all, county, id, today).unwrap();
        if picks.iter().all(|p| p.1 != a.supplier_id) {
            picks.push((code, a.supplier_id, a.contract_id));
        }
        if picks.len() == 2 {
            break;
        }
    }
    assert_eq!(
        picks.len(),
        2,
        "two drugs of two suppliers serve the county"
    );
    let served: Vec<i64> = supply::drugs_arranged_for(c, county, today)
        .unwrap()
        .iter()
        .map(|d| d.0)
        .collect();
    let unserved: (i64, String) = drugs::table
        .filter(drugs::id.ne_all(served))
        .order(drugs::code.asc())
        .select((drugs::id, drugs::code))
        .first(c)
        .unwrap();
    let before: i64 = jicai::store::schema::orders::table
        .count()
        .get_result(c)
        .unwrap();
    let r = client
        .api_post(
            "/api/v1/orders",
            &token,
            Some(json!({"lines": [
                {"drug": picks[0].0, "quantity": 20},
                {"drug": unserved.1, "quantity": 5},
            ]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let f = &r.json()["error"]["fields"][0];
    assert_eq!(f["field"], "lines[1].drug", "{}", r.body);
    assert_eq!(f["code"], "no_arrangement_for_drug", "{}", r.body);
    assert_eq!(f["args"]["drug"], unserved.1, "{}", r.body);
    let after: i64 = jicai::store::schema::orders::table
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(before, after, "all or nothing");

    let r = client
        .api_post(
            "/api/v1/orders",
            &token,
            Some(json!({"urgent": true, "lines": [
                {"drug": picks[0].0, "quantity": 20},
                {"drug": picks[1].0, "quantity": 7},
            ]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let orders = r.json()["orders"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 2, "{}", r.body);
    for (o, (_, supplier, contract)) in orders.iter().zip(&picks) {
        assert_eq!(o["supplier_id"], *supplier);
        assert_eq!(o["urgent"], true);
        let lines = o["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["contract_id"], *contract);
        let k = ts::contract(c, *contract).unwrap();
        assert_eq!(
            lines[0]["unit_price"],
            Money::from_ten_thousandths(k.unit_price).to_string()
        );
    }
    assert_eq!(orders[1]["lines"][0]["quantity"], 7);
    let after: i64 = jicai::store::schema::orders::table
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(after, before + 2);
    // The same through the page: the picker offers the county's drugs; two rows of two
    // suppliers make two orders, each listed with its drug.
    client.login("institution", PW).await;
    let form = client.get("/orders/new").await;
    assert!(
        form.body.contains(&format!("value=\"{}\"", picks[0].0)),
        "{}",
        form.body
    );
    assert!(!form.body.contains(&format!("value=\"{}\"", unserved.1)));
    let r = client
        .post(
            "/orders",
            &[
                ("drug_1", &picks[0].0),
                ("quantity_1", "3"),
                ("drug_2", &picks[1].0),
                ("quantity_2", "4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/orders"));
    let list = client.get("/orders").await.body;
    for (code, ..) in &picks {
        assert!(list.contains(code.as_str()), "{list}");
    }
    let now: i64 = jicai::store::schema::orders::table
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(now, before + 4);
    // Each order reads back with its own line only.
    let id = orders[1]["id"].as_i64().unwrap();
    let r = client
        .api_get(&format!("/api/v1/orders/{id}"), &token)
        .await;
    assert_eq!(r.json()["lines"].as_array().unwrap().len(), 1);
}

on_both_databases!(
    demo: award_contracts_supply_their_counties,
    each_county_orders_from_its_primary_supplier,
    another_countys_contract_is_refused,
    a_basket_splits_by_supplier_and_refuses_an_unserved_drug
);
