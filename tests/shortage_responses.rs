//! The center's shortage responses act on supply, on both databases: a switch to backup moves a
//! county's new orders to its backup winner at the backup's own awarded price and back to the
//! award contract when the center withdraws it; a designated producer takes the affected
//! counties at the negotiated price, and only a manufacturer with a product of the drug may be
//! designated; a resolution ends the responses with their arrangements. Where orders go is
//! read through the routing (`store::supply::arrangements_for` + `domain::supply::serving`).

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::shortage::{county_with_backup, open_shortage, post_backup_switch, routed, run_scan};
use common::{app, field, field_codes, state_with_demo, Client, TestDb, PW};
use jicai::domain::catalog::SupplierKind;
use jicai::domain::supply::ContractKind;
use jicai::domain::tender::ContractStatus;
use jicai::store::{names, regions, shortages as ss};
use jicai::web::AppState;

/// An open shortage record of the drug in the institution's county (its report).
fn shortage_of(state: &AppState, inst: i64, drug: i64) -> i64 {
    open_shortage(state, inst, drug).id
}

/// The outbox's e-mails of a response's end (`id` 0: every e-mail): (key, recipient, subject,
/// text).
fn ended_mails(state: &jicai::web::AppState, id: i64) -> Vec<(String, String, String, String)> {
    use diesel::prelude::*;
    use jicai::store::schema::outbox;
    let rows: Vec<(String, String, String, String)> = outbox::table
        .select((
            outbox::dedup_key,
            outbox::recipient,
            outbox::subject,
            outbox::text_body,
        ))
        .load(&mut state.store.conn().unwrap())
        .unwrap();
    let key = format!("shortage_response_ended:{id}");
    rows.into_iter()
        .filter(|r| id == 0 || r.0.starts_with(&key))
        .collect()
}

async fn a_switch_moves_a_county_to_its_backup_and_back_when_withdrawn(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, backup) = county_with_backup(&state);
    let today = state.today();
    let before = routed(&state, county, drug, today).expect("the award serves the county");
    assert_eq!(before.kind, ContractKind::Award);
    assert_ne!(before.supplier_id, backup.supplier_id);
    let id = shortage_of(&state, inst, drug);

    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    // The record's page gives the form's token.
    let page = center.get(&format!("/shortages/{id}")).await;
    assert!(page.body.contains("backup_switch"), "{}", page.body);
    let path = format!("/shortages/{id}/responses");
    let until = (today + Duration::days(30)).to_string();
    let county_s = county.to_string();
    let r = post_backup_switch(&mut center, &path, &until, &county_s).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = routed(&state, county, drug, today).unwrap();
    assert_eq!(now.kind, ContractKind::BackupSwitch);
    assert_eq!(now.supplier_id, backup.supplier_id);
    assert_eq!(now.unit_price, backup.unit_price, "the backup's own price");
    assert_eq!(now.counties, vec![county]);
    assert_eq!(now.ends_on.to_string(), until);
    // After its end date the award serves again.
    let later = today + Duration::days(31);
    assert_eq!(
        routed(&state, county, drug, later).unwrap().contract_id,
        before.contract_id
    );
    // A regulator may not withdraw it; the center does, and the county goes back.
    let resp = ss::responses_of(&mut state.store.conn().unwrap(), id).unwrap()[0].clone();
    assert_eq!(
        resp.kind,
        jicai::domain::shortage::ResponseKind::BackupSwitch
    );
    let withdraw = format!("/shortages/{id}/responses/{}/withdraw", resp.id);
    let page = center.get(&format!("/shortages/{id}")).await;
    assert!(page.body.contains(&withdraw), "{}", page.body);
    let mut reg = Client::logged_in(app.clone(), "regulator", &format!("/shortages/{id}")).await;
    assert_eq!(reg.post(&withdraw, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        center.post(&withdraw, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        routed(&state, county, drug, today).unwrap().contract_id,
        before.contract_id
    );
    let c =
        jicai::store::tenders::contract(&mut state.store.conn().unwrap(), now.contract_id).unwrap();
    assert_eq!(c.status, ContractStatus::Ended);
    // Its end is e-mailed to the people its start was (the county's institutions, the
    // suppliers, center staff), saying that supply goes back to the award.
    let ended = ended_mails(&state, resp.id);
    let to = |mails: &[(String, String, String, String)]| {
        let mut v: Vec<String> = mails.iter().map(|m| m.1.clone()).collect();
        v.sort();
        v
    };
    let started: Vec<_> = ended_mails(&state, 0)
        .into_iter()
        .filter(|(k, ..)| *k == format!("shortage_response:{}", resp.id))
        .collect();
    assert!(!started.is_empty(), "the start was e-mailed");
    assert_eq!(to(&ended), to(&started), "the end to the same people");
    for (_, _, subject, body) in &ended {
        assert!(
            subject.contains("结束") || subject.contains("ended"),
            "{subject}"
        );
        assert!(
            body.contains("恢复由各县中选企业供应") || body.contains("back to the awarded"),
            "{body}"
        );
    }
    assert_eq!(
        center.post(&withdraw, &[]).await.status,
        StatusCode::CONFLICT,
        "ended once"
    );
    assert_eq!(
        ended_mails(&state, resp.id).len(),
        ended.len(),
        "a refused second withdrawal sends nothing"
    );
}

async fn a_designated_producer_serves_until_the_shortage_resolves(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, _) = county_with_backup(&state);
    let today = state.today();
    let award = routed(&state, county, drug, today).unwrap();
    let id = shortage_of(&state, inst, drug);
    let before_responses = ss::responses_of(&mut state.store.conn().unwrap(), id)
        .unwrap()
        .len();
    // A manufacturer with a product of the drug, and a distributor.
    let (maker, distributor) = {
        use diesel::prelude::*;
        use jicai::store::schema::{products, suppliers};
        let mut c = state.store.conn().unwrap();
        let maker: i64 = products::table
            .filter(products::drug_id.eq(drug))
            .select(products::manufacturer_id)
            .first(&mut *c)
            .unwrap();
        let distributor: i64 = suppliers::table
            .filter(suppliers::kind.eq(SupplierKind::Distributor))
            .select(suppliers::id)
            .first(&mut *c)
            .unwrap();
        (maker, distributor)
    };
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    // The record's page gives the form's token.
    let page = center.get(&format!("/shortages/{id}")).await;
    assert!(page.body.contains("backup_switch"), "{}", page.body);
    let path = format!("/shortages/{id}/responses");
    let until = (today + Duration::days(60)).to_string();
    let d = distributor.to_string();
    let r = center
        .post(
            &path,
            &[
                ("kind", "designated_producer"),
                ("until_on", &until),
                ("supplier_id", &d),
                ("unit_price", "9.50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("data-code=\"designated_not_manufacturer\""));
    assert_eq!(
        ss::responses_of(&mut state.store.conn().unwrap(), id)
            .unwrap()
            .len(),
        before_responses
    );
    let m = maker.to_string();
    let r = center
        .post(
            &path,
            &[
                ("kind", "designated_producer"),
                ("until_on", &until),
                ("supplier_id", &m),
                ("unit_price", "9.50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = routed(&state, county, drug, today).unwrap();
    assert_eq!(now.kind, ContractKind::Designated);
    assert_eq!(now.supplier_id, maker);
    assert_eq!(now.unit_price.ten_thousandths(), 95_000);
    // The shortage resolves (the report leaves the window): the designation ends with it.
    state.clock.advance(Duration::days(31));
    run_scan(&state);
    assert_eq!(
        ss::get(&mut state.store.conn().unwrap(), id)
            .unwrap()
            .status,
        jicai::domain::shortage::ShortageStatus::Resolved
    );
    let day = state.today();
    assert_eq!(
        routed(&state, county, drug, day).unwrap().contract_id,
        award.contract_id
    );
    let resp = ss::responses_of(&mut state.store.conn().unwrap(), id).unwrap();
    assert!(
        resp.iter().all(|r| r.ended_at.is_some()),
        "every response ended"
    );
    // Each end e-mailed, naming the designated producer by its name.
    let designated = resp.iter().find(|r| r.supplier_id == Some(maker)).unwrap();
    let mails = ended_mails(&state, designated.id);
    assert!(!mails.is_empty(), "the end of the designation is e-mailed");
    let name = jicai::store::parties::get_supplier(&mut state.store.conn().unwrap(), maker)
        .unwrap()
        .name;
    assert!(
        mails.iter().all(|m| m.3.contains(&name)),
        "the supplier named {name}: {}",
        mails[0].3
    );
}

async fn a_retender_drafts_a_tender_with_the_affected_counties_demand(db: TestDb) {
    use jicai::store::tenders as ts;
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, _) = county_with_backup(&state);
    let id = shortage_of(&state, inst, drug);
    let (old, prev_tender) = ss::latest_lot_of_drug(&mut state.store.conn().unwrap(), drug)
        .unwrap()
        .expect("the drug was tendered");
    let app = app(state.clone()).await;
    let mut center = Client::logged_in(app.clone(), "center", &format!("/shortages/{id}")).await;
    let county_s = county.to_string();
    let r = center
        .post(
            &format!("/shortages/{id}/responses"),
            &[("kind", "retender"), ("counties", &county_s)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut c = state.store.conn().unwrap();
    let resp = ss::responses_of(&mut c, id).unwrap()[0].clone();
    let tender = ts::tender(&mut c, resp.tender_id.expect("a draft tender")).unwrap();
    assert_eq!(tender.state, jicai::domain::tender::TenderState::Draft);
    let lots = ts::lots_of(&mut c, tender.id).unwrap();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0].drug_id, drug);
    let window = prev_tender.window_id.unwrap();
    let code = regions::all(&mut c)
        .unwrap()
        .into_iter()
        .find(|r| r.id == county)
        .unwrap()
        .code;
    let drug_code = jicai::store::catalog::get_drug(&mut c, drug).unwrap().code;
    let demand: i64 = ts::demand_by_region(&mut c, window)
        .unwrap()
        .iter()
        .filter(|r| r.0 == code && r.2 == drug_code)
        .map(|r| r.4)
        .sum();
    assert!(demand > 0);
    assert_eq!(
        lots[0].reported_demand, demand,
        "the affected county's demand"
    );
    assert_ne!(lots[0].id, old.id);
    assert_eq!(lots[0].max_unit_price, old.max_unit_price);
    assert_eq!(lots[0].policy, old.policy);
    assert_eq!(lots[0].min_bidders, old.min_bidders);
    assert_eq!(lots[0].agreed_share_bp, old.agreed_share_bp);
}

/// `jicai demo` shows each arrangement: a county switched to its backup, a direct listing with
/// an order delivered and accepted under it, and a re-tender draft.
async fn the_demo_shows_each_arrangement(db: TestDb) {
    use diesel::prelude::*;
    use jicai::store::schema::{contracts, order_lines, shortage_responses, tenders};
    let state = state_with_demo(&db);
    let c = &mut *state.store.conn().unwrap();
    let kinds: Vec<ContractKind> = contracts::table
        .filter(contracts::status.eq(ContractStatus::InForce))
        .select(contracts::kind)
        .load(c)
        .unwrap();
    assert!(kinds.contains(&ContractKind::BackupSwitch), "{kinds:?}");
    assert!(kinds.contains(&ContractKind::DirectListing), "{kinds:?}");
    let accepted: Vec<i64> = order_lines::table
        .inner_join(contracts::table)
        .filter(contracts::kind.eq(ContractKind::DirectListing))
        .select(order_lines::accepted)
        .load(c)
        .unwrap();
    assert!(accepted.iter().any(|&a| a > 0), "{accepted:?}");
    let drafts: Vec<Option<chrono::NaiveDateTime>> = shortage_responses::table
        .inner_join(tenders::table.on(shortage_responses::tender_id.eq(tenders::id.nullable())))
        .select(tenders::published_at)
        .load(c)
        .unwrap();
    assert!(
        drafts.iter().any(|p| p.is_none()),
        "a re-tender draft: {drafts:?}"
    );
}

/// The same over the JSON API: center staff respond (a backup switch for one county) and
/// withdraw; a regulator may not; a malformed response is refused naming its field and writes
/// nothing.
async fn responses_over_the_api(db: TestDb) {
    use serde_json::json;
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, backup) = county_with_backup(&state);
    let today = state.today();
    let award = routed(&state, county, drug, today).unwrap();
    let id = shortage_of(&state, inst, drug);
    let before = ss::responses_of(&mut state.store.conn().unwrap(), id)
        .unwrap()
        .len();
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let center = common::token_for(&state, "center");
    let regulator = common::token_for(&state, "regulator");
    let path = format!("/api/v1/shortages/{id}/responses");
    let until = (today + Duration::days(30)).to_string();
    let body = json!({ "kind": "backup_switch", "counties": [county], "until_on": until });
    let r = c.api_post(&path, &regulator, Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let bad = json!({ "kind": "backup_switch", "counties": [county], "until_on": "2020-01-01" });
    let r = c.api_post(&path, &center, Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.json()["error"]["fields"][0]["field"],
        "until_on",
        "{}",
        r.body
    );
    assert_eq!(
        ss::responses_of(&mut state.store.conn().unwrap(), id)
            .unwrap()
            .len(),
        before,
        "nothing written"
    );
    let r = c.api_post(&path, &center, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let resp = r.json()["id"].as_i64().expect("the response's id");
    let now = routed(&state, county, drug, today).unwrap();
    assert_eq!(now.kind, ContractKind::BackupSwitch);
    assert_eq!(now.supplier_id, backup.supplier_id);
    // It shows on the record.
    let r = c
        .api_get(&format!("/api/v1/shortages/{id}"), &regulator)
        .await;
    assert!(
        r.json()["responses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == resp),
        "{}",
        r.body
    );
    let withdraw = format!("/api/v1/shortage-responses/{resp}/withdraw");
    let r = c.api_post(&withdraw, &regulator, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = c.api_post(&withdraw, &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["ended_at"].is_string(), "{}", r.body);
    assert_eq!(
        routed(&state, county, drug, today).unwrap().contract_id,
        award.contract_id
    );
    let r = c.api_post(&withdraw, &center, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

/// A re-tender of a drug that was never tendered is refused with a message saying what to do
/// (there is no lot to take its parameters from), and nothing is written.
async fn a_retender_of_a_never_tendered_drug_is_refused(db: TestDb) {
    use diesel::prelude::*;
    use jicai::store::schema::{drugs, lots, shortages};
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, _, drug, _) = county_with_backup(&state);
    let id = shortage_of(&state, inst, drug);
    // The record made a record of a drug no tender ever had a lot for.
    let untendered: i64 = {
        let mut c = state.store.conn().unwrap();
        let tendered: Vec<i64> = lots::table.select(lots::drug_id).load(&mut *c).unwrap();
        let d = drugs::table
            .filter(drugs::id.ne_all(&tendered))
            .select(drugs::id)
            .first(&mut *c)
            .unwrap();
        diesel::update(shortages::table.find(id))
            .set(shortages::drug_id.eq(d))
            .execute(&mut *c)
            .unwrap();
        d
    };
    assert!(
        ss::latest_lot_of_drug(&mut state.store.conn().unwrap(), untendered)
            .unwrap()
            .is_none()
    );
    let app = app(state.clone()).await;
    let mut center = Client::logged_in(app.clone(), "center", &format!("/shortages/{id}")).await;
    let before = ss::responses_of(&mut state.store.conn().unwrap(), id)
        .unwrap()
        .len();
    let r = center
        .post(
            &format!("/shortages/{id}/responses"),
            &[("kind", "retender")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("retender_needs_tendered_drug") && r.body.contains("新建招标"),
        "{}",
        r.body
    );
    assert_eq!(
        ss::responses_of(&mut state.store.conn().unwrap(), id)
            .unwrap()
            .len(),
        before,
        "nothing written"
    );
}

/// The products of the drug, by id: (product, manufacturer).
fn products_of_drug(state: &AppState, drug: i64) -> Vec<(i64, i64)> {
    use diesel::prelude::*;
    use jicai::store::schema::products;
    products::table
        .filter(products::drug_id.eq(drug))
        .order(products::id)
        .select((products::id, products::manufacturer_id))
        .load(&mut *state.store.conn().unwrap())
        .unwrap()
}

/// A product of the drug added to the catalog for this manufacturer.
fn add_product(state: &AppState, drug: i64, maker: i64, approval: &str) -> i64 {
    use diesel::prelude::*;
    use jicai::store::schema::products;
    diesel::insert_into(products::table)
        .values((
            products::drug_id.eq(drug),
            products::manufacturer_id.eq(maker),
            products::approval_number.eq(approval),
            products::units_per_package.eq(24),
            products::consistency_passed.eq(true),
            products::originator.eq(false),
        ))
        .returning(products::id)
        .get_result(&mut *state.store.conn().unwrap())
        .unwrap()
}

/// Every manufacturer, by id.
fn manufacturers(state: &AppState) -> Vec<i64> {
    use diesel::prelude::*;
    use jicai::store::schema::suppliers;
    suppliers::table
        .filter(suppliers::kind.eq(SupplierKind::Manufacturer))
        .order(suppliers::id)
        .select(suppliers::id)
        .load(&mut *state.store.conn().unwrap())
        .unwrap()
}

/// Two manufacturers of the drug: the first with exactly one product of it, the second with
/// two or more (products added to the catalog where the demo has none).
fn one_and_several(state: &AppState, drug: i64) -> ((i64, i64), (i64, Vec<i64>)) {
    let ps = products_of_drug(state, drug);
    let own = |m: i64| -> Vec<i64> {
        products_of_drug(state, drug)
            .into_iter()
            .filter(|p| p.1 == m)
            .map(|p| p.0)
            .collect()
    };
    let makers = manufacturers(state);
    let single = ps
        .iter()
        .map(|p| p.1)
        .find(|m| own(*m).len() == 1)
        .unwrap_or_else(|| {
            let m = *makers.iter().find(|m| own(**m).is_empty()).unwrap();
            add_product(state, drug, m, "国药准字H20260141");
            m
        });
    let several = ps
        .iter()
        .map(|p| p.1)
        .find(|m| *m != single)
        .unwrap_or_else(|| *makers.iter().find(|m| **m != single).unwrap());
    for n in own(several).len()..2 {
        add_product(state, drug, several, &format!("国药准字H2026014{}", n + 2));
    }
    let one = own(single);
    assert_eq!(one.len(), 1);
    ((single, one[0]), (several, own(several)))
}

/// A shortage record's count of responses and the count of arrangements (contracts): what a
/// refused response must leave as it was.
fn written(state: &AppState, shortage: i64) -> (usize, i64) {
    use diesel::prelude::*;
    use jicai::store::schema::contracts;
    let mut c = state.store.conn().unwrap();
    let responses = ss::responses_of(&mut c, shortage).unwrap().len();
    let contracts: i64 = contracts::table.count().get_result(&mut *c).unwrap();
    (responses, contracts)
}

/// A user of the institution (password `PW`), and an API token of it.
fn institution_token(state: &AppState, name: &str, institution_id: i64) -> String {
    common::orders::institution_user(state, name, institution_id, "en");
    common::token_for(state, name)
}

/// Over the API: a designated producer with several products of the drug and none chosen is
/// refused on `product_id`, so is another maker's product, and nothing is written; with its
/// product chosen, the affected county's order of the drug goes to it with that product at the
/// negotiated price.
async fn the_designated_producers_chosen_product_is_the_one_ordered(db: TestDb) {
    use serde_json::json;
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, _) = county_with_backup(&state);
    let today = state.today();
    let id = shortage_of(&state, inst, drug);
    let ((_, other), (maker, own)) = one_and_several(&state, drug);
    let chosen = *own.last().unwrap();
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let center = common::token_for(&state, "center");
    let path = format!("/api/v1/shortages/{id}/responses");
    let until = (today + Duration::days(30)).to_string();
    let body = |product: Option<i64>| {
        json!({
            "kind": "designated_producer",
            "counties": [county],
            "until_on": until,
            "supplier_id": maker,
            "unit_price": "9.50",
            "product_id": product,
        })
    };
    let before = written(&state, id);
    let r = c.api_post(&path, &center, Some(body(None))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        vec![("product_id".into(), "choose_designated_product".into())],
        "{}",
        r.body
    );
    assert_eq!(written(&state, id), before, "nothing written");
    let r = c.api_post(&path, &center, Some(body(Some(other)))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_codes(&r),
        vec![("product_id".into(), "designated_product_not_own".into())],
        "{}",
        r.body
    );
    assert_eq!(written(&state, id), before, "nothing written");
    let r = c.api_post(&path, &center, Some(body(Some(chosen)))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["product_id"], chosen, "{}", r.body);
    let now = routed(&state, county, drug, today).unwrap();
    assert_eq!(now.kind, ContractKind::Designated);
    assert_eq!((now.supplier_id, now.product_id), (maker, chosen));
    assert_eq!(now.unit_price.ten_thousandths(), 95_000);
    // The county's institution orders the drug: the line is the designated producer's, with
    // the product chosen, at the negotiated price.
    let token = institution_token(&state, "designated_buyer", inst);
    let code = jicai::store::catalog::get_drug(&mut state.store.conn().unwrap(), drug)
        .unwrap()
        .code;
    let r = c
        .api_post(
            "/api/v1/orders",
            &token,
            Some(json!({"lines": [{"drug": code, "quantity": 10}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["supplier_id"], maker, "{v}");
    let line = &v["lines"][0];
    assert_eq!(line["contract_id"], now.contract_id, "{v}");
    assert_eq!(line["product_id"], chosen, "{v}");
    assert_eq!(line["unit_price"], "9.50", "{v}");
    let stored: (i64, i64) = {
        use diesel::prelude::*;
        use jicai::store::schema::order_lines;
        order_lines::table
            .find(line["id"].as_i64().unwrap())
            .select((order_lines::product_id, order_lines::unit_price))
            .first(&mut *state.store.conn().unwrap())
            .unwrap()
    };
    assert_eq!(stored, (chosen, 95_000));
}

/// The page's form offers the drug's products by maker, name and spec; a producer with several
/// and none chosen comes back 422 with the error next to the product and what was typed kept;
/// a producer with one needs none chosen.
async fn the_form_picks_the_designated_product_by_name(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, _) = county_with_backup(&state);
    let today = state.today();
    let id = shortage_of(&state, inst, drug);
    let ((single, one), (several, _)) = one_and_several(&state, drug);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let page = center.get(&format!("/shortages/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let picker = field(&page.body, "product_id");
    assert!(picker.contains("<select"), "{picker}");
    let products = names::products_of_drug(&mut state.store.conn().unwrap(), drug).unwrap();
    assert!(products.len() >= 3);
    for p in &products {
        let label = format!(
            "<option value=\"{}\">{} — {} {} · {} · ×{}",
            p.id,
            p.manufacturer_name,
            p.drug_name,
            p.strength,
            p.approval_number,
            p.units_per_package
        );
        assert!(picker.contains(&label), "{label} in {picker}");
    }
    let path = format!("/shortages/{id}/responses");
    let until = (today + Duration::days(30)).to_string();
    let county_s = county.to_string();
    let (several_s, single_s) = (several.to_string(), single.to_string());
    let before = written(&state, id);
    let r = center
        .post(
            &path,
            &[
                ("kind", "designated_producer"),
                ("until_on", &until),
                ("counties", &county_s),
                ("supplier_id", &several_s),
                ("product_id", ""),
                ("unit_price", "9.50"),
                ("note", "先试一个月"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let picker = field(&r.body, "product_id");
    assert!(picker.contains("class=\"error\""), "{picker}");
    assert!(
        picker.contains("data-code=\"choose_designated_product\""),
        "{picker}"
    );
    assert!(
        picker.contains("请选择其中一个") || picker.contains("choose one"),
        "said in words: {picker}"
    );
    assert!(
        field(&r.body, "supplier_id").contains(&format!("<option value=\"{several}\" selected"))
    );
    assert!(field(&r.body, "unit_price").contains("value=\"9.50\""));
    assert!(field(&r.body, "note").contains("value=\"先试一个月\""));
    assert_eq!(written(&state, id), before, "nothing written");
    let r = center
        .post(
            &path,
            &[
                ("kind", "designated_producer"),
                ("until_on", &until),
                ("counties", &county_s),
                ("supplier_id", &single_s),
                ("product_id", ""),
                ("unit_price", "9.50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = routed(&state, county, drug, today).unwrap();
    assert_eq!(now.kind, ContractKind::Designated);
    assert_eq!((now.supplier_id, now.product_id), (single, one));
    let resp = ss::responses_of(&mut state.store.conn().unwrap(), id).unwrap()[0].clone();
    assert_eq!(resp.product_id, Some(one), "the response keeps its product");
    // The responses name the producer and its product.
    let page = center.get(&format!("/shortages/{id}")).await;
    let p = products.iter().find(|p| p.id == one).unwrap();
    let named = format!(
        "{0} · {0} — {1} {2} · {3}",
        p.manufacturer_name, p.drug_name, p.strength, p.approval_number
    );
    assert!(page.body.contains(&named), "{named} in {}", page.body);
}

on_both_databases!(
    demo: the_demo_shows_each_arrangement,
    the_designated_producers_chosen_product_is_the_one_ordered,
    the_form_picks_the_designated_product_by_name,
    a_retender_of_a_never_tendered_drug_is_refused,
    responses_over_the_api,
    a_switch_moves_a_county_to_its_backup_and_back_when_withdrawn,
    a_retender_drafts_a_tender_with_the_affected_counties_demand,
    a_designated_producer_serves_until_the_shortage_resolves
);
