//! Ordering set-up shared by the tests: the demo institution, the contracts that serve its
//! county today, the drugs two suppliers serve it with, the institutions, and a user of one.

use jicai::domain::paging::PageRequest;
use jicai::domain::roles::{Role, Scope};
use jicai::domain::supply::serving;
use jicai::store::{parties, regions, supply, tenders as ts, users, Act};
use jicai::web::AppState;

use super::PW;

/// The demo institution (a township health center) the `institution` user works for.
pub fn demo_institution(state: &AppState) -> i64 {
    users::by_username(&mut state.store.conn().unwrap(), "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap()
}

/// The contracts that serve the demo institution's county today: (institution, [(contract,
/// supplier, drug)]), the supplier with the most such contracts first.
pub fn serving_contracts(state: &AppState) -> (i64, Vec<(i64, i64, i64)>) {
    let inst = demo_institution(state);
    let mut c = state.store.conn().unwrap();
    // Only the contracts that serve the institution's county today (the demo switches one of
    // its county's drugs to the backup supplier).
    let county = regions::county_of_institution(&mut c, inst).unwrap();
    let today = state.today();
    let mut ks: Vec<(i64, i64, i64)> = ts::commitments_of_institution(&mut c, inst)
        .unwrap()
        .into_iter()
        .filter(|(k, ..)| {
            let arr = supply::arrangements_for(&mut c, county, k.drug_id).unwrap();
            serving(&arr, county, k.drug_id, today).is_some_and(|a| a.contract_id == k.id)
        })
        .map(|(k, ..)| (k.id, k.supplier_id, k.drug_id))
        .collect();
    let count = |s: i64, ks: &[(i64, i64, i64)]| ks.iter().filter(|k| k.1 == s).count();
    let copy = ks.clone();
    ks.sort_by_key(|k| std::cmp::Reverse(count(k.1, &copy)));
    (inst, ks)
}

/// Two drugs that two different suppliers serve the demo institution's county with today:
/// (institution, [(drug code, supplier)]).
pub fn two_suppliers_serving(state: &AppState) -> (i64, Vec<(String, i64)>) {
    let inst = demo_institution(state);
    let mut c = state.store.conn().unwrap();
    let county = regions::county_of_institution(&mut c, inst).unwrap();
    let today = state.today();
    let mut picks: Vec<(String, i64)> = vec![];
    for (id, code, ..) in supply::drugs_arranged_for(&mut c, county, today).unwrap() {
        let all = supply::arrangements_for(&mut c, county, id).unwrap();
        let a = serving(&all, county, id, today).unwrap();
        if picks.len() < 2 && picks.iter().all(|p| p.1 != a.supplier_id) {
            picks.push((code, a.supplier_id));
        }
    }
    (inst, picks)
}

/// The institution orders 10 under the contract, today: (order, its line).
pub fn order_ten_under(state: &AppState, inst: i64, contract: i64) -> (i64, i64) {
    let mut c = state.store.conn().unwrap();
    let (o, lines) = jicai::app::ordering::place_basket(
        &mut c,
        &state.act("institution"),
        &state.config.delivery,
        inst,
        false,
        &[jicai::app::ordering::BasketLine {
            item: jicai::app::ordering::Item::Contract(contract),
            quantity: 10,
        }],
        state.today(),
    )
    .unwrap()
    .remove(0);
    (o.id, lines[0].id)
}

/// The JSON body of an order of one line: `quantity` under the contract.
pub fn one_line_order(contract: i64, quantity: i64) -> serde_json::Value {
    serde_json::json!({"lines": [{"contract_id": contract, "quantity": quantity}]})
}

/// The province's institutions (the demo's fit one page).
pub fn institutions(state: &AppState) -> Vec<parties::Institution> {
    parties::list_institutions(
        &mut state.store.conn().unwrap(),
        &Scope::All,
        "",
        None,
        &PageRequest::new(Some(1), Some(200)),
    )
    .unwrap()
    .items
}

/// Makes a user of the institution with this id (password `PW`, reading `language`); its name.
pub fn institution_user(
    state: &AppState,
    name: &str,
    institution_id: i64,
    language: &str,
) -> String {
    users::create(
        &mut state.store.conn().unwrap(),
        &Act::new("test", chrono::Utc::now()),
        &users::NewUser {
            username: name.into(),
            password_hash: jicai::security::hash_password(PW).unwrap(),
            display_name: name.into(),
            role: Role::Institution,
            supplier_id: None,
            institution_id: Some(institution_id),
            email: format!("{name}@test"),
            language: language.into(),
        },
    )
    .unwrap();
    name.into()
}
