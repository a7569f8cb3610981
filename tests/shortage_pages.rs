//! Shortage pages with names and pickers, on both databases: the lists and the record name the
//! drug (generic name, form, strength), the counties and the suppliers, never "#N"; the report
//! and declaration forms pick the drug from a list by name (a typed name of one drug works too);
//! the response form picks the county (with its backup supplier) and the designated producer by
//! name; refusals come back with their errors next to their fields and what was typed kept.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::shortage::{county_with_backup, open_shortage, post_backup_switch, routed, run_scan};
use common::{app, field, state_with_demo, Client, TestDb, PW};
use jicai::domain::supply::ContractKind;
use jicai::store::{catalog, names, shortages as ss};
use jicai::web::AppState;

fn drug_label(state: &AppState, id: i64, zh: bool) -> String {
    let d = catalog::get_drug(&mut state.store.conn().unwrap(), id).unwrap();
    names::names_of(&d).label(zh)
}

async fn the_shortage_pages_name_things_and_pick_by_name(db: TestDb) {
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, backup) = county_with_backup(&state);
    // The institution reports the drug short, picking it from the list by its label.
    let app = app(state.clone()).await;
    let mut i = Client::new(app.clone());
    i.login("institution", PW).await;
    let page = i.get("/shortage-reports").await;
    assert_eq!(page.status, StatusCode::OK);
    let d = catalog::get_drug(&mut state.store.conn().unwrap(), drug).unwrap();
    let choice = names::names_of(&d).choice(true);
    let picker = field(&page.body, "drug_code");
    assert!(
        picker.contains("<select") && picker.contains(&choice),
        "{picker}"
    );
    assert!(!page.body.contains(">#"), "no record named by number");
    // A typed name that no drug has: said next to the field, the note kept.
    let r = i
        .post(
            "/shortage-reports",
            &[("drug_code", "没有这种药"), ("note", "急需")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let f = field(&r.body, "drug_code");
    assert!(
        f.contains("data-code=\"pick_unknown\"") && f.contains("没有与“没有这种药”相符的记录"),
        "{f}"
    );
    assert!(
        r.body.contains(">急需<") || r.body.contains("value=\"急需\""),
        "the note kept"
    );
    // The picked choice (the select sends the code; a pasted label works too).
    let r = i
        .post(
            "/shortage-reports",
            &[("drug_code", &choice), ("note", "none left")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = i.get("/shortage-reports").await;
    assert!(list.body.contains(&drug_label(&state, drug, true)));
    let inst_name = jicai::store::parties::get_institution(&mut state.store.conn().unwrap(), inst)
        .unwrap()
        .name;
    let _ = inst_name;
    // A name only one drug has works as typed.
    let unique = names::drugs(&mut state.store.conn().unwrap())
        .unwrap()
        .into_iter()
        .find(|x| {
            names::drugs(&mut state.store.conn().unwrap())
                .unwrap()
                .iter()
                .filter(|y| y.name_zh == x.name_zh)
                .count()
                == 1
        })
        .unwrap();
    let r = i
        .post(
            "/shortage-reports",
            &[("drug_code", &unique.name_zh), ("note", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The scan opens (or keeps) the drug's record.
    let id = open_shortage(&state, inst, drug).id;

    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let list = center.get("/shortages").await;
    assert!(!list.body.contains(">#"), "no record named by number");
    assert!(
        list.body.contains(&format!(
            "<a href=\"/shortages/{id}\">{}</a>",
            drug_label(&state, drug, true)
        )),
        "{}",
        list.body
    );
    let geo = ss::geography(&mut state.store.conn().unwrap()).unwrap();
    let county_name = geo.name(county, "zh-CN");
    let backup_name = jicai::store::tenders::supplier_names(&mut state.store.conn().unwrap())
        .unwrap()
        .remove(&backup.supplier_id)
        .unwrap();
    let page = center.get(&format!("/shortages/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let counties = field(&page.body, "counties");
    assert!(
        counties.contains(&format!(
            "<option value=\"{county}\">{county_name} · 备供：{backup_name}</option>"
        )),
        "{counties}"
    );
    let producer = field(&page.body, "supplier_id");
    assert!(
        producer.contains("<select"),
        "the producer is picked: {producer}"
    );
    for (sid, name) in names::makers_of_drug(&mut state.store.conn().unwrap(), drug).unwrap() {
        assert!(producer.contains(&format!("<option value=\"{sid}\">{name}</option>")));
    }
    // A designated producer without one: said next to its field, the rest kept.
    let path = format!("/shortages/{id}/responses");
    let until = (state.today() + Duration::days(30)).to_string();
    let county_s = county.to_string();
    let r = center
        .post(
            &path,
            &[
                ("kind", "designated_producer"),
                ("until_on", &until),
                ("counties", &county_s),
                ("unit_price", "abc"),
                ("note", "先试一个月"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(field(&r.body, "supplier_id").contains("class=\"error\""));
    assert!(field(&r.body, "unit_price").contains("class=\"error\""));
    assert!(field(&r.body, "unit_price").contains("value=\"abc\""));
    assert!(field(&r.body, "note").contains("value=\"先试一个月\""));
    assert!(field(&r.body, "counties").contains(&format!("<option value=\"{county}\" selected")));
    // The switch of the county to its backup, picked by name.
    let r = post_backup_switch(&mut center, &path, &until, &county_s).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = routed(&state, county, drug, state.today()).unwrap();
    assert_eq!(
        (now.kind, now.supplier_id),
        (ContractKind::BackupSwitch, backup.supplier_id)
    );
    let page = center.get(&format!("/shortages/{id}")).await;
    assert!(
        page.body
            .contains(&format!("{county_name} → {backup_name}")),
        "the response names the county and its backup: {}",
        page.body
    );
    assert!(!page.body.contains(">#"), "{}", page.body);
}

async fn a_supplier_declares_an_interruption_picking_the_drug(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut s = Client::new(app.clone());
    s.login("supplier", PW).await;
    let page = s.get("/supply-interruptions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(field(&page.body, "drug_code").contains("<select"));
    let d = names::drugs(&mut state.store.conn().unwrap()).unwrap()[0].clone();
    let r = s
        .post(
            "/supply-interruptions",
            &[
                ("drug_code", &d.code),
                ("reason", "原料短缺"),
                ("starts_on", "2026-02-30"),
                ("ends_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let f = field(&r.body, "starts_on");
    assert!(
        f.contains("class=\"error\"") && f.contains("value=\"2026-02-30\""),
        "{f}"
    );
    assert!(field(&r.body, "reason").contains("value=\"原料短缺\""));
    assert!(field(&r.body, "drug_code").contains(&format!("<option value=\"{}\" selected", d.code)));
    let r = s
        .post(
            "/supply-interruptions",
            &[
                ("drug_code", &d.code),
                ("reason", "原料短缺"),
                ("starts_on", ""),
                ("ends_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = s.get("/supply-interruptions").await;
    assert!(page.body.contains(&names::names_of(&d).label(true)));
    assert!(!page.body.contains(">#"), "{}", page.body);
}

on_both_databases!(
    demo: the_shortage_pages_name_things_and_pick_by_name,
    a_supplier_declares_an_interruption_picking_the_drug,
);
