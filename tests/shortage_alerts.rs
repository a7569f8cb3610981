//! Shortage alerts reach everyone affected, in their language, tried against a real SMTP server
//! on both databases: a drug-wide record (every contracted supplier interrupted: no county)
//! alerts every institution that ordered the drug in the window; a resolution reaches everyone
//! the record alerted before, even out of the window; each change of the history keeps its own
//! evidence, on the page and in `GET /api/v1/shortages/{id}`; an English alert names regions,
//! signals and levels in English.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::shortage::{open_record as record, quiet_contract, report_short, run_scan};
use common::smtp::{Received, Smtp};
use common::{app, state_with_demo, token_for, Client, TestDb, PW};
use jicai::domain::shortage::{Level, Scope, ShortageStatus};
use jicai::i18n::Tr;
use jicai::mail::{send_due, Mailer};
use jicai::store::{catalog, regions, shortages as ss, Act};
use jicai::web::AppState;

/// A demo with a real SMTP server behind its outbox.
fn with_smtp(db: &TestDb) -> (AppState, Smtp, tempfile::TempDir) {
    let mut state = state_with_demo(db);
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = Smtp::new(&dir.path().join("maildir"));
    smtp.start();
    state.config.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
    (state, smtp, dir)
}

/// Delivers what is due over SMTP; returns every message received so far.
async fn deliver(state: &AppState, smtp: &Smtp) -> Vec<Received> {
    let mailer = Mailer::from_config(&state.config).unwrap();
    let r = send_due(&state.store, &mailer, state.clock.now(), 10_000)
        .await
        .unwrap();
    assert_eq!(r.failed, 0, "{r}");
    smtp.decoded()
}

/// The messages about record `id` that reached `to`.
fn about<'a>(got: &'a [Received], id: i64, to: &str) -> Vec<&'a Received> {
    let link = format!("/shortages/{id}\n");
    got.iter()
        .filter(|m| m.to.contains(to) && m.text.replace("\r\n", "\n").contains(&link))
        .collect()
}

/// Every supplier with a contract in force for the drug declares an interruption from today;
/// returns (supplier, interruption) pairs.
fn interrupt_all(state: &AppState, drug: i64) -> Vec<(i64, i64)> {
    let mut c = state.store.conn().unwrap();
    let today = state.today();
    let sups = ss::contracted_suppliers(&mut c, drug, today).unwrap();
    assert!(!sups.is_empty());
    sups.into_iter()
        .map(|s| {
            let i = ss::declare_interruption(
                &mut c,
                &state.act("supplier"),
                s,
                drug,
                "production line stopped",
                today,
                Some(today + Duration::days(3)),
            )
            .unwrap();
            (s, i.id)
        })
        .collect()
}

/// Every contracted supplier of a drug interrupted: a province-wide record with no county,
/// which alerts the institution that ordered the drug in the window; when it resolves a month
/// later (the order long out of the window), the institution and the suppliers are told too.
async fn a_drug_wide_record_alerts_who_ordered_and_its_end_reaches_them(db: TestDb) {
    let (state, smtp, _dir) = with_smtp(&db);
    run_scan(&state);
    let (inst, contract, _supplier, drug) = quiet_contract(&state);
    common::orders::order_ten_under(&state, inst, contract);
    let sups = ss::contracted_suppliers(&mut state.store.conn().unwrap(), drug, state.today());
    // The supplier's user, to be alerted.
    let sup_mail = format!("{}@test", common::supplier_user(&state, sups.unwrap()[0]));
    interrupt_all(&state, drug);
    run_scan(&state);
    let rec = record(&state, drug).expect("a record opened");
    assert_eq!(rec.scope, Scope::Province);
    assert_eq!(rec.counties, "", "no county: the record is drug-wide");
    let got = deliver(&state, &smtp).await;
    assert_eq!(
        about(&got, rec.id, "institution@demo.jicai.test").len(),
        1,
        "the institution that ordered the drug is alerted: {:?}",
        got.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    assert_eq!(about(&got, rec.id, &sup_mail).len(), 1);

    // A month on: the interruptions ended, the order out of the window. Resolved, and the
    // resolution reaches the institution and the supplier alerted when it opened.
    state.clock.advance(Duration::days(31));
    run_scan(&state);
    assert!(record(&state, drug).is_none());
    let got = deliver(&state, &smtp).await;
    for who in [
        "institution@demo.jicai.test",
        "center@demo.jicai.test",
        &sup_mail,
    ] {
        let mails = about(&got, rec.id, who);
        assert_eq!(mails.len(), 2, "{who}: opened and resolved");
    }
    let resolved = Tr::new("zh-CN").get("shortage.change.resolved");
    assert!(
        about(&got, rec.id, "institution@demo.jicai.test")
            .iter()
            .any(|m| m.subject.contains(resolved)),
        "{resolved}"
    );
}

/// Opened by an institution's report (county evidence), escalated by every supplier's
/// interruption (drug-wide evidence), resolved: each change keeps the evidence it rested on,
/// in the API's history and on the page, and the resolution reaches the reporting institution.
async fn each_change_keeps_its_own_evidence(db: TestDb) {
    let (state, smtp, _dir) = with_smtp(&db);
    run_scan(&state);
    let (inst, _contract, _supplier, drug) = quiet_contract(&state);
    report_short(&state, inst, drug, "none left");
    let id = record(&state, drug).expect("opened by the report").id;
    state.clock.advance(Duration::hours(1));
    interrupt_all(&state, drug);
    run_scan(&state);
    assert!(record(&state, drug).unwrap().level >= Level::Shortage);
    state.clock.advance(Duration::days(31));
    run_scan(&state);
    let rec = ss::get(&mut state.store.conn().unwrap(), id).unwrap();
    assert_eq!(rec.status, ShortageStatus::Resolved);

    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let tc = token_for(&state, "center");
    let r = c.api_get(&format!("/api/v1/shortages/{id}"), &tc).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["id"], id);
    assert_eq!(j["status"], "resolved");
    let h = j["history"].as_array().unwrap();
    let changes: Vec<&str> = h.iter().map(|e| e["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["resolved", "escalated", "opened"], "{j}");
    let signals = |e: &serde_json::Value| -> Vec<String> {
        e["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["signal"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        signals(&h[0]).is_empty(),
        "a resolution has no evidence left"
    );
    assert!(signals(&h[1]).contains(&"all_suppliers_interrupted".to_string()));
    assert!(signals(&h[1]).contains(&"shortage_reports".to_string()));
    assert_eq!(signals(&h[2]), ["shortage_reports"], "{}", h[2]);
    assert_eq!(h[2]["level"], "watch");
    assert_eq!(h[2]["actor"], "job:shortage_scan");
    // Only center staff and regulators read it.
    let ti = token_for(&state, "institution");
    let r = c.api_get(&format!("/api/v1/shortages/{id}"), &ti).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.api_get("/api/v1/shortages/999999", &tc).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The page shows the opening evidence in the history, after the record resolved.
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;
    let page = center.get(&format!("/shortages/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let t = Tr::new("zh-CN");
    let county = regions::county_of_institution(&mut state.store.conn().unwrap(), inst).unwrap();
    let name = regions::all(&mut state.store.conn().unwrap())
        .unwrap()
        .into_iter()
        .find(|r| r.id == county)
        .unwrap()
        .name_zh;
    let opening = format!(
        "{name} · {}: 1 → {}",
        t.get("shortage.signal.shortage_reports"),
        t.get("shortage.level.watch")
    );
    assert!(
        page.body.contains(&format!(">{opening}<")),
        "{opening}: {}",
        page.body
    );

    // The reporting institution heard of the opening and of the resolution.
    let got = deliver(&state, &smtp).await;
    assert_eq!(about(&got, id, "institution@demo.jicai.test").len(), 3);
}

/// An English reader's alert names the county, the signal, the level and the drug in English;
/// a Chinese reader's, in Chinese.
async fn english_alerts_name_regions_in_english(db: TestDb) {
    let (state, smtp, _dir) = with_smtp(&db);
    common::add_analyst(
        &mut state.store.conn().unwrap(),
        &Act::new("test", state.clock.now()),
    );
    run_scan(&state);
    let (inst, _contract, _supplier, drug) = quiet_contract(&state);
    report_short(&state, inst, drug, "");
    let id = record(&state, drug).unwrap().id;
    let got = deliver(&state, &smtp).await;
    let mut c = state.store.conn().unwrap();
    let county = regions::county_of_institution(&mut c, inst).unwrap();
    let region = regions::all(&mut c)
        .unwrap()
        .into_iter()
        .find(|r| r.id == county)
        .unwrap();
    let d = catalog::get_drug(&mut c, drug).unwrap();
    let en = about(&got, id, "analyst@jicai.test");
    assert_eq!(en.len(), 1);
    let m = en[0];
    let en_t = Tr::new("en");
    for part in [&m.text, &m.html] {
        assert!(
            part.contains(&format!("{} · ", region.name_en)),
            "{}: {part}",
            region.name_en
        );
        assert!(part.contains(en_t.get("shortage.signal.shortage_reports")));
        assert!(part.contains(en_t.get("shortage.level.watch")));
        assert!(part.contains(&d.inn), "{part}");
    }
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(!cjk(&m.subject), "{}", m.subject);
    assert!(!cjk(&m.text), "{}", m.text);
    let zh = about(&got, id, "center@demo.jicai.test");
    assert_eq!(zh.len(), 1);
    assert!(zh[0].text.contains(&format!("{} · ", region.name_zh)));
    assert!(zh[0].subject.contains(&d.name_zh), "{}", zh[0].subject);
}

on_both_databases!(
    demo: a_drug_wide_record_alerts_who_ordered_and_its_end_reaches_them,
    each_change_keeps_its_own_evidence,
    english_alerts_name_regions_in_english
);
