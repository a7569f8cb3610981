//! The layout in a real browser (headless Chromium through chromedriver), for each demo role,
//! at 390×844 (mobile emulation) and 1366×900, in zh-CN and en: every link of the role's
//! menu opens a page in the language asked for that does not scroll sideways, has no serious or
//! critical axe-core violation and marks the current page; on the
//! phone the menu is closed at first (header and closed menu within 120 px) and opens by
//! tapping its summary. Screenshots go to `target/screenshots/`. Without Chromium the test
//! says so and passes, except under CI.

mod common;

use fantoccini::Locator;

use common::browser::{self, serve, Browser, DESKTOP, PHONE};
use common::{state_with_demo, Backend, TestDb};

async fn number(b: &Browser, script: &str) -> f64 {
    b.client
        .execute(script, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(f64::NAN)
}

#[actix_web::test]
async fn every_menu_page_fits_a_phone_and_a_desktop() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let (base, handle) = serve(&state);
    let mut problems: Vec<String> = vec![];
    for viewport in [PHONE, DESKTOP] {
        let phone = viewport.mobile;
        let width = viewport.tag();
        for lang in ["zh-CN", "en"] {
            // The browser asks for the language: the page follows Accept-Language.
            let Some(b) = browser::start(viewport, lang).await else {
                return;
            };
            for user in ["center", "expert", "supplier", "institution", "regulator"] {
                b.client.delete_all_cookies().await.unwrap();
                b.log_in(&base, user).await.unwrap();
                // A demo account keeps the language it was last used in: switch when needed.
                b.use_browser_language().await.unwrap();
                let links: Vec<String> = b
                    .client
                    .execute(
                        "return [...document.querySelectorAll('details.menu nav a')].map(a => a.getAttribute('href'))",
                        vec![],
                    )
                    .await
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                assert!(links.len() >= 4, "{user}: {links:?}");
                b.screenshot(&format!("layout-home-{user}-{width}-{lang}"))
                    .await
                    .unwrap();
                for href in &links {
                    b.goto(&format!("{base}{href}")).await.unwrap();
                    let at = format!("{user} {width} {lang} {href}");
                    // The page in the asked language, no sideways scroll, no serious or
                    // critical axe-core violation, errors in the page's language.
                    let name = format!(
                        "layout-{user}-{width}-{lang}-{}",
                        href.trim_start_matches('/')
                            .replace(['/', '?', '=', '&'], "_")
                    );
                    problems.extend(
                        b.check_page(&name)
                            .await
                            .unwrap()
                            .into_iter()
                            .map(|p| format!("{at}: {p}")),
                    );
                    let marked: Vec<serde_json::Value> = b
                        .client
                        .execute(
                            "return [...document.querySelectorAll('details.menu a[aria-current=page]')].map(a => a.getAttribute('href'))",
                            vec![],
                        )
                        .await
                        .unwrap()
                        .as_array()
                        .unwrap()
                        .clone();
                    if marked != vec![serde_json::Value::String(href.clone())] {
                        problems.push(format!("{at}: marked {marked:?}"));
                    }
                    // Shown: laid out and not inside a closed disclosure.
                    let nav_shown = number(
                        &b,
                        "return document.querySelector('details.menu nav').checkVisibility() ? 1 : 0",
                    )
                    .await;
                    if phone {
                        // Closed at first, header and summary within 120 px.
                        let top = number(
                            &b,
                            "return document.querySelector('details.menu').getBoundingClientRect().bottom",
                        )
                        .await;
                        if nav_shown > 0.0 || top > 120.0 {
                            problems.push(format!("{at}: menu open ({nav_shown}) or tall ({top})"));
                        }
                    } else if nav_shown <= 0.0 {
                        problems.push(format!("{at}: the menu is hidden on a desktop"));
                    }
                }
                if phone {
                    // Tapping the summary opens the menu.
                    b.client
                        .find(Locator::Css("details.menu > summary"))
                        .await
                        .unwrap()
                        .click()
                        .await
                        .unwrap();
                    let shown = number(
                        &b,
                        "return document.querySelector('details.menu nav').getBoundingClientRect().height",
                    )
                    .await;
                    assert!(
                        shown > 100.0,
                        "{user} {lang}: the menu did not open ({shown})"
                    );
                    b.screenshot(&format!("layout-menu-{user}-{width}-{lang}"))
                        .await
                        .unwrap();
                }
            }
            b.close().await;
        }
    }
    handle.stop(false).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
