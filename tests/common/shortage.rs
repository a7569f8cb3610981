//! Shortage set-up shared by the tests: the scheduled scan run at once, the arrangement that
//! serves a county, and a county whose award names a backup supplier.

use chrono::NaiveDate;
use jicai::domain::award::{LotAward, Winner};
use jicai::domain::supply::{serving, Arrangement, ContractKind};
use jicai::store::{regions, supply};
use jicai::web::AppState;

/// Runs the shortage scan of `jobs/shortage_scan.toml` now; it reports no error.
pub fn run_scan(state: &AppState) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/shortage_scan.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = jicai::domain::jobs::parse(
        "shortage_scan.toml",
        "shortage_scan",
        &text,
        chrono_tz::Asia::Shanghai,
    )
    .unwrap();
    let r = jicai::jobs::shortage::scan(
        &mut state.store.conn().unwrap(),
        &spec,
        state.clock.now(),
        state.config.time_zone,
        "http://jicai.test",
    )
    .unwrap();
    assert!(r.errors.is_empty(), "{r}");
}

/// The demo institution, and a contract in force of it whose drug has no open shortage record:
/// (institution, contract, supplier, drug).
pub fn quiet_contract(state: &AppState) -> (i64, i64, i64, i64) {
    use jicai::domain::tender::ContractStatus;
    use jicai::store::{catalog, shortages, tenders};
    let inst = super::orders::demo_institution(state);
    let mut c = state.store.conn().unwrap();
    let open = shortages::open_records(&mut c).unwrap();
    let today = state.today();
    for (k, ..) in tenders::commitments_of_institution(&mut c, inst).unwrap() {
        if k.status != ContractStatus::InForce || k.starts_on > today || k.ends_on < today {
            continue;
        }
        let drug = catalog::get_product(&mut c, k.product_id).unwrap().drug_id;
        if !open.contains_key(&drug) {
            return (inst, k.id, k.supplier_id, drug);
        }
    }
    panic!("the demo institution has a contract whose drug is not short");
}

/// The open shortage record of the drug, if there is one.
pub fn open_record(state: &AppState, drug: i64) -> Option<jicai::store::shortages::Shortage> {
    jicai::store::shortages::open_records(&mut state.store.conn().unwrap())
        .unwrap()
        .remove(&drug)
}

/// The arrangement that serves the county with the drug on `day`.
pub fn routed(state: &AppState, county: i64, drug: i64, day: NaiveDate) -> Option<Arrangement> {
    let arr = supply::arrangements_for(&mut state.store.conn().unwrap(), county, drug).unwrap();
    serving(&arr, county, drug, day).cloned()
}

/// An institution, its county and a drug whose award names a backup for that county, the
/// county served by the award today (not under a switch already: the demo switched one):
/// (institution, county, drug, backup winner).
pub fn county_with_backup(state: &AppState) -> (i64, i64, i64, Winner) {
    use diesel::prelude::*;
    use jicai::store::schema::{institutions, lots};
    let mut c = state.store.conn().unwrap();
    let today = state.today();
    let regions = regions::all(&mut c).unwrap();
    let awards: Vec<(i64, LotAward)> = lots::table
        .select((lots::drug_id, lots::result_json))
        .load::<(i64, Option<String>)>(&mut *c)
        .unwrap()
        .into_iter()
        .filter_map(|(d, j)| Some((d, serde_json::from_str(&j?).ok()?)))
        .collect();
    let insts: Vec<i64> = institutions::table
        .select(institutions::id)
        .order(institutions::id)
        .load(&mut *c)
        .unwrap();
    drop(c);
    for inst in insts {
        let county =
            regions::county_of_institution(&mut state.store.conn().unwrap(), inst).unwrap();
        let code = &regions.iter().find(|r| r.id == county).unwrap().code;
        for (drug, a) in &awards {
            let Some(w) = jicai::domain::shortage_response::backup_for(a, code) else {
                continue;
            };
            if routed(state, county, *drug, today).is_some_and(|r| r.kind == ContractKind::Award) {
                return (inst, county, *drug, w.clone());
            }
        }
    }
    panic!("the demo has a multiple-winner award with a backup for a county");
}

/// The institution reports the drug short (`note`) and the scan runs.
pub fn report_short(state: &AppState, inst: i64, drug: i64, note: &str) {
    jicai::store::shortages::report(
        &mut state.store.conn().unwrap(),
        &state.act("institution"),
        inst,
        drug,
        note,
    )
    .unwrap();
    run_scan(state);
}

/// The institution reports the drug short and the scan runs: the open record of the drug in
/// its county (the demo's, when it has one already).
pub fn open_shortage(state: &AppState, inst: i64, drug: i64) -> jicai::store::shortages::Shortage {
    report_short(state, inst, drug, "none left");
    open_record(state, drug).expect("a record of the drug")
}

/// Center staff switch the counties of a shortage record to their backup until `until`
/// (`path`: the record's responses); the answer.
pub async fn post_backup_switch<S, B>(
    c: &mut super::Client<S>,
    path: &str,
    until: &str,
    counties: &str,
) -> super::Resp
where
    S: super::TestService<B>,
    B: actix_web::body::MessageBody,
{
    c.post(
        path,
        &[
            ("kind", "backup_switch"),
            ("until_on", until),
            ("counties", counties),
        ],
    )
    .await
}
