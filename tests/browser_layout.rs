//! The layout in a real browser (headless Chromium through chromedriver), for each demo role,
//! at 390×844 (mobile emulation) and 1366×900, in zh-CN and en: every link of the role's
//! menu opens a page that does not scroll sideways, with the current page marked; on the
//! phone the menu is closed at first (header and closed menu within 120 px) and opens by
//! tapping its summary. Screenshots go to `target/screenshots/`. Without Chromium the test
//! says so and passes, except under CI.

mod common;

use actix_web::HttpServer;
use fantoccini::{ClientBuilder, Locator};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{free_port, state_with_demo, Backend, KillOnDrop, TestDb, PW};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Starts chromedriver and a browser `phone`-sized (390×844, mobile emulation) or 1366×900.
async fn start_driver(phone: bool) -> Option<(KillOnDrop, fantoccini::Client)> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        if std::env::var("CI").is_ok() {
            panic!("chromium and chromium-driver are required under CI");
        }
        eprintln!("chromium/chromedriver not installed: browser test skipped");
        return None;
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = KillOnDrop(child);
    let mut opts = serde_json::json!({
        "binary": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--hide-scrollbars",
                 "--disable-component-update", "--disable-sync", "--window-size=1366,900"]
    });
    if phone {
        opts["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0, "touch": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), opts);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let mut b = ClientBuilder::rustls().expect("tls");
        b.capabilities(caps.clone());
        if let Ok(c) = b.connect(&url).await {
            return Some((driver, c));
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

async fn number(b: &fantoccini::Client, script: &str) -> f64 {
    b.execute(script, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(f64::NAN)
}

async fn screenshot(b: &fantoccini::Client, name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
    std::fs::create_dir_all(dir).unwrap();
    if let Ok(png) = b.screenshot().await {
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

#[actix_web::test]
async fn every_menu_page_fits_a_phone_and_a_desktop() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let port = free_port();
    let server = HttpServer::new(move || jicai::web::build_app(state.clone()))
        .workers(2)
        .bind(("127.0.0.1", port))
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let base = format!("http://127.0.0.1:{port}");
    let mut problems: Vec<String> = vec![];
    for phone in [true, false] {
        let Some((_driver, b)) = start_driver(phone).await else {
            return;
        };
        let width = if phone { "390" } else { "1366" };
        for lang in ["zh-CN", "en"] {
            for user in ["center", "expert", "supplier", "institution", "regulator"] {
                b.delete_all_cookies().await.unwrap();
                b.goto(&format!("{base}/login")).await.unwrap();
                b.find(Locator::Id("username"))
                    .await
                    .unwrap()
                    .send_keys(user)
                    .await
                    .unwrap();
                b.find(Locator::Id("password"))
                    .await
                    .unwrap()
                    .send_keys(PW)
                    .await
                    .unwrap();
                b.find(Locator::Id("login-button"))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
                b.wait().for_element(Locator::Id("logout")).await.unwrap();
                let zh = b.source().await.unwrap().contains("<html lang=\"zh-CN\"");
                if (lang == "en") == zh {
                    b.find(Locator::Id("lang-switch"))
                        .await
                        .unwrap()
                        .click()
                        .await
                        .unwrap();
                    b.wait().for_element(Locator::Id("logout")).await.unwrap();
                }
                let links: Vec<String> = b
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
                screenshot(&b, &format!("home-{user}-{width}-{lang}")).await;
                for href in &links {
                    b.goto(&format!("{base}{href}")).await.unwrap();
                    let at = format!("{user} {width} {lang} {href}");
                    let sideways = number(
                        &b,
                        "return document.documentElement.scrollWidth - window.innerWidth",
                    )
                    .await;
                    if sideways > 0.0 {
                        problems.push(format!("{at}: scrolls sideways by {sideways}px"));
                        screenshot(
                            &b,
                            &format!(
                                "wide-{user}-{width}-{lang}-{}",
                                href.replace(['/', '?', '='], "_")
                            ),
                        )
                        .await;
                    }
                    let marked: Vec<serde_json::Value> = b
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
                    b.find(Locator::Css("details.menu > summary"))
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
                    screenshot(&b, &format!("menu-{user}-{width}-{lang}")).await;
                }
            }
        }
        b.close().await.unwrap();
    }
    handle.stop(false).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
