//! Home pages and the shortage response in a real browser (the shared harness,
//! `tests/common/browser.rs`): every role's home page at a phone's and a desktop's width, in
//! Chinese and at the phone's in English, each passing the no-sideways-scroll and axe-core
//! checks, with a screenshot `target/screenshots/home-<role>-<width>-<lang>.png`; and center
//! staff, from the home page's open-shortages line, switching a county to its backup supplier
//! by name, at both widths in Chinese and at the phone's in English.

mod common;

use chrono::Duration;
use fantoccini::Locator;

use common::browser::{self as harness, serve, CmdError, Viewport, DESKTOP, PHONE};
use common::shortage::{county_with_backup, open_shortage, routed, run_scan};
use common::{state_with_demo, Backend, TestDb};
use jicai::domain::supply::ContractKind;
use jicai::store::shortages as ss;

const ROLES: [&str; 5] = ["center", "supplier", "institution", "regulator", "expert"];

/// Logs in and, when the browser asks for English, switches the demo user (who reads
/// Chinese) to English with the header's switch, as a person would.
async fn log_in(b: &harness::Browser, base: &str, user: &str) -> Result<(), CmdError> {
    b.log_in(base, user).await?;
    b.use_browser_language().await
}

/// Picks an option of a select (a phone's native picker is not driven through clicks).
async fn pick(b: &harness::Browser, id: &str, value: &str) -> Result<(), CmdError> {
    b.client
        .execute(
            "const s = document.getElementById(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![serde_json::json!(id), serde_json::json!(value)],
        )
        .await?;
    Ok(())
}

/// Presses a form's button (through the page: a phone's emulated touch does not always reach a
/// button far down a long page).
async fn submit_form(b: &harness::Browser, css: &str) -> Result<(), CmdError> {
    let button = b.client.find(Locator::Css(css)).await?;
    b.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
            vec![serde_json::to_value(&button).unwrap_or_default()],
        )
        .await?;
    Ok(())
}

async fn log_out(b: &harness::Browser) -> Result<(), CmdError> {
    b.click(Locator::Id("logout")).await?;
    b.client
        .wait()
        .for_element(Locator::Id("login-button"))
        .await?;
    Ok(())
}

#[actix_web::test]
async fn every_roles_home_page_at_both_widths_and_in_both_languages() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    run_scan(&state);
    let (base, server) = serve(&state);
    let mut problems = vec![];
    for (vp, lang) in [(PHONE, "zh-CN"), (DESKTOP, "zh-CN"), (PHONE, "en")] {
        let Some(b) = harness::start(vp, lang).await else {
            server.stop(true).await;
            return;
        };
        let outcome = async {
            for role in ROLES {
                log_in(&b, &base, role).await?;
                b.goto(&format!("{base}/home")).await?;
                b.client
                    .wait()
                    .for_element(Locator::Css("section.todo"))
                    .await?;
                let name = format!("home-{role}-{}-{lang}", vp.tag());
                problems.extend(b.check_page(&name).await?);
                // The lines are links to their records (the expert has none on the demo).
                let items = b.client.find_all(Locator::Css("ul.todo-list li a")).await?;
                if role != "expert" && items.is_empty() {
                    problems.push(format!("{name}: no to-do line"));
                }
                log_out(&b).await?;
            }
            Ok::<_, CmdError>(())
        }
        .await;
        b.close().await;
        if let Err(e) = outcome {
            server.stop(true).await;
            panic!("{vp:?} {lang}: {e}");
        }
    }
    server.stop(true).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Center staff find which drug is short in which county and switch the county to its backup
/// supplier: from the home page's line, the list, the record, the response form (the county
/// and its backup picked by name), a refusal first (no end date: said in the page's language),
/// then the switch; the county's new orders go to the backup.
async fn switch_a_county_to_its_backup(vp: Viewport, lang: &'static str) {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    run_scan(&state);
    let (inst, county, drug, backup) = county_with_backup(&state);
    let rec = open_shortage(&state, inst, drug);
    let today = state.today();
    let Some(b) = harness::start(vp, lang).await else {
        return;
    };
    let (base, server) = serve(&state);
    let tag = format!("{}-{lang}", vp.tag());
    let outcome = async {
        let mut problems = vec![];
        log_in(&b, &base, "center").await?;
        b.goto(&format!("{base}/home")).await?;
        problems.extend(b.check_page(&format!("switch-1-home-{tag}")).await?);
        // The home page's line of the record's level leads to the list of that level.
        let line = b
            .client
            .find(Locator::Css(&format!(
                "li.todo-shortages a[href$='level={}']",
                rec.level
            )))
            .await?;
        line.click().await?;
        b.client
            .wait()
            .for_element(Locator::Css(&format!("a[href='/shortages/{}']", rec.id)))
            .await?;
        problems.extend(b.check_page(&format!("switch-2-list-{tag}")).await?);
        b.click(Locator::Css(&format!("a[href='/shortages/{}']", rec.id)))
            .await?;
        b.client
            .wait()
            .for_element(Locator::Id("f-counties"))
            .await?;
        problems.extend(b.check_page(&format!("switch-3-record-{tag}")).await?);
        // The county picked by its name, which says its backup supplier.
        let counties = b.client.find(Locator::Id("f-counties")).await?;
        let option = counties
            .find(Locator::Css(&format!("option[value='{county}']")))
            .await?;
        let label = option.text().await?;
        pick(&b, "f-kind", "backup_switch").await?;
        pick(&b, "f-counties", &county.to_string()).await?;
        let submit = format!(
            "form[action='/shortages/{}/responses'] button[type=submit]",
            rec.id
        );
        // No end date: refused, said next to the field in the page's language.
        submit_form(&b, &submit).await?;
        b.client
            .wait()
            .for_element(Locator::Css("label.has-error em.error"))
            .await?;
        problems.extend(b.check_page(&format!("switch-4-refused-{tag}")).await?);
        let errors = b.error_texts().await?;
        let kept = b
            .client
            .find(Locator::Css("#f-counties option:checked"))
            .await?
            .text()
            .await?;
        let until = (today + Duration::days(30)).to_string();
        b.client
            .execute(
                "document.getElementById('f-until_on').value = arguments[0];",
                vec![serde_json::json!(until)],
            )
            .await?;
        submit_form(&b, &submit).await?;
        b.client
            .wait()
            .for_element(Locator::Css(&format!(
                "form[action^='/shortages/{}/responses/']",
                rec.id
            )))
            .await?;
        problems.extend(b.check_page(&format!("switch-5-done-{tag}")).await?);
        let page = b.client.source().await?;
        Ok::<_, CmdError>((problems, label, errors, kept, page))
    }
    .await;
    if outcome.is_err() {
        let _ = b.screenshot(&format!("switch-failed-{tag}")).await;
        if let Ok(src) = b.client.source().await {
            eprintln!("{src}");
        }
    }
    b.close().await;
    server.stop(true).await;
    let (problems, label, errors, kept, page) = outcome.expect("the browser session runs");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let names = jicai::store::tenders::supplier_names(&mut state.store.conn().unwrap()).unwrap();
    let backup_name = &names[&backup.supplier_id];
    let geo = ss::geography(&mut state.store.conn().unwrap()).unwrap();
    let county_name = geo.name(county, lang);
    assert!(
        label.contains(&county_name) && label.contains(backup_name.as_str()),
        "the county is picked by name with its backup: {label}"
    );
    assert_eq!(kept, label, "the county picked is kept after the refusal");
    assert!(!errors.is_empty(), "the missing end date is said");
    assert!(
        page.contains(&format!("{county_name} → {backup_name}")),
        "the response names the county and its backup"
    );
    let now = routed(&state, county, drug, today).unwrap();
    assert_eq!(now.kind, ContractKind::BackupSwitch);
    assert_eq!(
        now.supplier_id, backup.supplier_id,
        "the county's orders go to the backup"
    );
}

#[actix_web::test]
async fn center_staff_switch_a_county_to_its_backup_on_a_phone() {
    switch_a_county_to_its_backup(PHONE, "zh-CN").await;
}

#[actix_web::test]
async fn center_staff_switch_a_county_to_its_backup_on_a_desktop() {
    switch_a_county_to_its_backup(DESKTOP, "zh-CN").await;
}

#[actix_web::test]
async fn center_staff_switch_a_county_to_its_backup_in_english() {
    switch_a_county_to_its_backup(PHONE, "en").await;
}
