//! Supply arrangements, on both databases: the counties each award contract of the demo
//! supplies (a multiple-winner lot's winner its primary counties, the other policies every
//! county of the tender's region), and orders that follow them county by county.

mod common;

use common::{state_with_demo, TestDb};
use diesel::prelude::*;
use jicai::domain::award::{Outcome, PolicyKind};
use jicai::domain::supply::ContractKind;
use jicai::store::schema::{contracts, regions};
use jicai::store::{supply, tenders as ts};
use jicai::web::AppState;
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

on_both_databases!(demo: award_contracts_supply_their_counties);
