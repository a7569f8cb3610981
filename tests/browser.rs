//! Pages in a real browser: headless Chromium driven through chromedriver (Debian's `chromium`
//! and `chromium-driver`). Without them the test says so and passes, except under CI, where
//! `.ci/run` installs them and their absence is a failure.

mod common;

use fantoccini::Locator;

use common::browser::{self as harness, serve, Viewport};
use common::{state_with_demo, Backend, TestDb};
use jicai::web::AppState;

/// The window the tests below were written at.
const LAPTOP: Viewport = Viewport {
    width: 1280,
    height: 900,
    mobile: false,
};

/// Runs `steps` in a browser at the laptop's size asking for Chinese pages, against the
/// application on `state` served for it, after logging in as `user`; then closes the browser
/// and stops the server, whatever the steps did, and panics if they failed. `None` when
/// Chromium is not installed here (said so).
async fn on_a_laptop_as<T>(
    state: &AppState,
    user: &str,
    steps: impl AsyncFnOnce(&harness::Browser, &str) -> Result<T, harness::CmdError>,
) -> Option<T> {
    let session = harness::start(LAPTOP, "zh-CN").await?;
    let (base, server_handle) = serve(state);
    let outcome = async {
        session.log_in(&base, user).await?;
        steps(&session, &base).await
    }
    .await;
    session.close().await;
    server_handle.stop(true).await;
    Some(outcome.expect("the browser session runs"))
}

/// Keeps a screenshot as `<name>.png` in the tests' temporary folder (best effort).
fn save_png(name: &str, png: Vec<u8>) {
    let _ = std::fs::write(format!("{}/{name}.png", env!("CARGO_TARGET_TMPDIR")), png);
}

#[actix_web::test]
async fn center_staff_logs_in_and_searches_the_drug_list() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let Some((url, rows, png)) = on_a_laptop_as(
        &state,
        "center",
        async |session: &harness::Browser, _base: &str| {
            let browser = &session.client;
            session.click(Locator::LinkText("药品目录")).await?;
            session
                .wait_and_send_keys(Locator::Id("q"), "阿莫西林")
                .await?;
            session.click(Locator::Id("search-button")).await?;
            // The list before the search has rows too: wait for the search's own page first.
            let mut url = browser.current_url().await?;
            for _ in 0..100 {
                if url.query().is_some_and(|q| q.contains("q=")) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                url = browser.current_url().await?;
            }
            browser
                .wait()
                .for_element(Locator::Css("table tbody tr"))
                .await?;
            let rows = browser.find_all(Locator::Css("table tbody tr")).await?;
            let mut texts = vec![];
            for r in &rows {
                texts.push(r.text().await?);
            }
            let png = browser.screenshot().await?;
            Ok::<_, fantoccini::error::CmdError>((url, texts, png))
        },
    )
    .await
    else {
        return;
    };
    save_png("drug-search", png);
    assert!(
        url.as_str()
            .contains("q=%E9%98%BF%E8%8E%AB%E8%A5%BF%E6%9E%97"),
        "searched: {url}"
    );
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.contains("阿莫西林")),
        "only matching drugs: {rows:?}"
    );
}

#[actix_web::test]
async fn a_supplier_submits_a_bid_and_sees_its_receipt() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let (supplier_id, supplier_name) = {
        let mut c = state.store.conn().unwrap();
        let u = jicai::store::users::by_username(&mut c, "supplier")
            .unwrap()
            .unwrap();
        let id = u.supplier_id.unwrap();
        (
            id,
            jicai::store::parties::get_supplier(&mut c, id)
                .unwrap()
                .name,
        )
    };
    let Some((text, png)) = on_a_laptop_as(
        &state,
        "supplier",
        async |session: &harness::Browser, _base: &str| {
            let browser = &session.client;
            session.click(Locator::LinkText("招标")).await?;
            session
                .wait_and_click(Locator::XPath("//a[contains(., '第二批')]"))
                .await?;
            session
                .wait_and_click(Locator::XPath("//a[contains(., '硝苯地平')]"))
                .await?;
            let option =
                format!("//select[@id='f-product_id']/option[contains(., '{supplier_name}')]");
            session.wait_and_click(Locator::XPath(&option)).await?;
            session
                .send_keys_to(Locator::Id("f-annual_capacity"), "500000")
                .await?;
            session
                .send_keys_to(Locator::Id("f-package_price"), "25.80")
                .await?;
            session.submit_form().await?;
            browser
                .wait()
                .for_element(Locator::XPath("//h1[contains(., '投标回执')]"))
                .await?;
            let text = browser.find(Locator::Css("main")).await?.text().await?;
            let png = browser.screenshot().await?;
            Ok::<_, fantoccini::error::CmdError>((text, png))
        },
    )
    .await
    else {
        return;
    };
    save_png("bid-receipt", png);
    assert!(text.contains("SHA-256"), "{text}");
    // The receipt's digests are those the platform stored for the bid that now counts.
    let mut c = state.store.conn().unwrap();
    let tender = jicai::store::tenders::tenders_list(&mut c)
        .unwrap()
        .into_iter()
        .find(|t| t.state == jicai::domain::tender::TenderState::Open)
        .unwrap();
    let bid = jicai::store::tenders::bids_of_supplier(&mut c, tender.id, supplier_id)
        .unwrap()
        .into_iter()
        .max_by_key(|b| b.submission_seq)
        .unwrap();
    assert!(
        text.contains(&bid.commercial_digest) && text.contains(&bid.technical_digest),
        "{text}"
    );
    // The receipt, at its own address (/bids/{id}/receipt), shows the lot's ceiling, never
    // the price: that stays sealed, on the page and in the database.
    assert!(text.contains("¥1.80"), "{text}");
    assert!(!text.contains("25.80"), "{text}");
    assert!(!bid.commercial_sealed.contains("25.80"));
}

#[actix_web::test]
async fn an_institution_confirms_a_delivery_in_the_page() {
    use jicai::store::orders as os;
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    // A demo order waits, acknowledged; its supplier ships it.
    let (order_id, delivery_line) = {
        let mut c = state.store.conn().unwrap();
        let inst = jicai::store::users::by_username(&mut c, "institution")
            .unwrap()
            .unwrap()
            .institution_id
            .unwrap();
        let o = os::orders_for(&mut c, Some(&[inst]), None)
            .unwrap()
            .into_iter()
            .find(|o| o.state == jicai::domain::orders::OrderState::Acknowledged)
            .expect("a demo order waits for delivery");
        let line = os::lines_of(&mut c, o.id).unwrap().remove(0);
        let today = state.today();
        let ship = [os::ShipLine {
            order_line_id: line.id,
            quantity: line.quantity,
            batch_no: "B-BROWSER".into(),
            production_date: today - chrono::Duration::days(30),
            expiry_date: today + chrono::Duration::days(700),
            trace_codes: vec![],
        }];
        let note = os::DeliveryNote {
            order_id: o.id,
            shipper_id: o.supplier_id,
            idempotency_key: None,
            lines: &ship,
        };
        let shipped = os::ship(
            &mut c,
            &jicai::store::Act::new("supplier", state.clock.now()),
            &state.config.delivery,
            &note,
            today,
        )
        .unwrap();
        (o.id, shipped.lines[0].id)
    };
    let Some(text) = on_a_laptop_as(
        &state,
        "institution",
        async |session: &harness::Browser, _base: &str| {
            let browser = &session.client;
            session.click(Locator::LinkText("订单")).await?;
            // The order is named by its number and drug; its delivery note is where it is received.
            session
                .wait_and_click(Locator::XPath(&format!(
                    "//a[contains(., 'DD{order_id:06}')]"
                )))
                .await?;
            session
                .wait_and_click(Locator::XPath("//a[contains(., '随货同行单')]"))
                .await?;
            // The delivery note as a phone shows it (the window tall enough to hold it all).
            browser
                .wait()
                .for_element(Locator::Css("form.dn-form button[type=submit]"))
                .await?;
            browser.set_window_size(390, 2000).await?;
            let narrow: i64 = browser
                .execute(
                    "return document.documentElement.scrollWidth - window.innerWidth",
                    vec![],
                )
                .await?
                .as_i64()
                .unwrap_or(i64::MAX);
            let phone = browser.screenshot().await?;
            session
                .click(Locator::Css("form.dn-form button[type=submit]"))
                .await?;
            browser.wait().for_element(Locator::Css("p.notice")).await?;
            browser.set_window_size(1366, 900).await?;
            let desk = browser.screenshot().await?;
            let text = browser.find(Locator::Css("main")).await?.text().await?;
            for (name, png) in [
                ("delivery-note-390px", phone),
                ("delivery-note-received-1366px", desk),
            ] {
                save_png(name, png);
            }
            assert!(
                narrow <= 0,
                "the note scrolls sideways on a phone by {narrow} px"
            );
            Ok::<_, fantoccini::error::CmdError>(text)
        },
    )
    .await
    else {
        return;
    };
    assert!(text.contains("已验收该行"), "the line is received: {text}");
    let mut c = state.store.conn().unwrap();
    let dl = os::delivery_lines_of(&mut c, order_id)
        .unwrap()
        .into_iter()
        .find(|d| d.id == delivery_line)
        .unwrap();
    assert_eq!(
        dl.receipt,
        Some(jicai::domain::orders::ReceiptOutcome::Accepted)
    );
    assert_eq!(dl.confirmed_by.as_deref(), Some("institution"));
}

#[actix_web::test]
async fn bad_input_is_refused_in_chinese_next_to_its_field() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let Some((text, code, png)) = on_a_laptop_as(
        &state,
        "center",
        async |session: &harness::Browser, base: &str| {
            let browser = &session.client;
            browser.set_window_size(390, 844).await?;
            browser.goto(&format!("{base}/suppliers/new")).await?;
            session
                .wait_and_send_keys(Locator::Id("f-uscc"), "91340100MA2N0Q1X3A")
                .await?;
            session
                .send_keys_to(Locator::Id("f-name"), "测试药业有限公司")
                .await?;
            session
                .send_keys_to(Locator::Id("f-region_code"), "340000")
                .await?;
            session.submit_form().await?;
            let error = browser
                .wait()
                .for_element(Locator::Css("label.has-error em.error"))
                .await?;
            let (text, code) = (error.text().await?, error.attr("data-code").await?);
            // The form as the phone shows it, scrolled to (the page's menu fills the first screen).
            let png = browser
                .find(Locator::Css("form.stack"))
                .await?
                .screenshot()
                .await?;
            Ok::<_, fantoccini::error::CmdError>((text, code, png))
        },
    )
    .await
    else {
        return;
    };
    save_png("bad-uscc-390px", png);
    assert_eq!(code.as_deref(), Some("uscc_check"));
    assert!(
        text.contains("校验码错误"),
        "the error is in Chinese: {text}"
    );
    assert!(!text.contains("check character"), "no English: {text}");
}

#[actix_web::test]
async fn a_township_center_orders_two_drugs_of_two_suppliers_on_a_phone() {
    use jicai::store::orders as os;
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    // Two drugs that two different suppliers serve the township center's county with.
    let (inst, picks) = common::orders::two_suppliers_serving(&state);
    assert_eq!(picks.len(), 2, "two suppliers serve the county");
    let order_both = async |session: &harness::Browser, base: &str| {
        let browser = &session.client;
        browser.set_window_size(390, 844).await?;
        browser.goto(&format!("{base}/orders/new")).await?;
        for (i, (code, _)) in picks.iter().enumerate() {
            browser
                .wait()
                .for_element(Locator::Id(&format!("f-drug_{}", i + 1)))
                .await?
                .select_by_value(code)
                .await?;
            session
                .send_keys_to(
                    Locator::Id(&format!("f-quantity_{}", i + 1)),
                    &format!("{}", 10 + i),
                )
                .await?;
        }
        session.submit_form().await?;
        let notice = browser
            .wait()
            .for_element(Locator::Css("p.notice"))
            .await?
            .text()
            .await?;
        let url = browser.current_url().await?;
        // One line per row (on a phone each row is a card, a line per cell).
        let text = browser
            .execute(
                "return [...document.querySelectorAll('main table tbody tr')].map(tr => tr.innerText.replace(/\\s*\\n\\s*/g, ' ')).join('\\n')",
                vec![],
            )
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string();
        // The list as the phone shows it, 390 px wide, the window made tall enough to hold it
        // (the page's menu fills the first screen).
        browser.set_window_size(390, 2400).await?;
        let png = browser
            .find(Locator::Css("main table"))
            .await?
            .screenshot()
            .await?;
        Ok::<_, fantoccini::error::CmdError>((url, text, png, notice))
    };
    let Some((url, text, png, notice)) = on_a_laptop_as(&state, "institution", order_both).await
    else {
        return;
    };
    save_png("basket-two-suppliers-390px", png);
    assert!(url.path().ends_with("/orders"), "{url}");
    assert!(
        notice.contains("订单已提交：2 个订单"),
        "the notice: {notice}"
    );
    // Two new orders, one per supplier, each naming its own drug.
    let mut c = state.store.conn().unwrap();
    let mine = os::orders_for(&mut c, Some(&[inst]), None).unwrap();
    let new: Vec<&os::Order> = mine.iter().take(2).collect();
    let drugs = os::order_drugs(&mut c, &[new[0].id, new[1].id]).unwrap();
    for (code, supplier) in &picks {
        let o = new
            .iter()
            .find(|o| o.supplier_id == *supplier)
            .expect("an order of each supplier");
        let names = &drugs[&o.id];
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].starts_with(code.as_str()), "{names:?}");
        let drug = jicai::store::catalog::drug_by_code(&mut c, code)
            .unwrap()
            .unwrap();
        let row = text
            .lines()
            .find(|l| l.contains(&format!("DD{:06}", o.id)))
            .unwrap_or_else(|| panic!("order {} listed: {text}", o.id));
        assert!(row.contains(&drug.name_zh), "the row names its drug: {row}");
    }
}

/// The harness itself: a phone's width with mobile emulation, the page in the language the
/// browser asks for, and axe-core finding a violation when there is one (an image without a
/// text alternative, put into the login page).
#[actix_web::test]
async fn the_harness_sees_a_phone_in_english_and_axe_finds_what_is_wrong() {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let Some(session) = harness::start(harness::PHONE, "en").await else {
        return;
    };
    let (base, server_handle) = serve(&state);
    let outcome = async {
        session.goto(&format!("{base}/login")).await?;
        let lang = session.page_lang().await?;
        let width = session
            .client
            .execute("return window.innerWidth", vec![])
            .await?;
        let touch = session
            .client
            .execute("return navigator.maxTouchPoints > 0", vec![])
            .await?;
        let before = session.axe_violations().await?;
        session
            .client
            .execute(
                "const i = document.createElement('img'); i.src = '/x.png';
                 document.querySelector('main').appendChild(i);",
                vec![],
            )
            .await?;
        let after = session.axe_violations().await?;
        let overflow = session.sideways_overflow().await?;
        // A block wider than the phone: the page now scrolls sideways (the phone zooms out to
        // show it, so innerWidth grows too — the check measures against the device's width).
        session
            .client
            .execute(
                "const d = document.createElement('div'); d.style.width = '800px';
                 d.textContent = 'wide'; document.querySelector('main').appendChild(d);",
                vec![],
            )
            .await?;
        let wide = session.sideways_overflow().await?;
        Ok::<_, harness::CmdError>((lang, width, touch, before, after, (overflow, wide)))
    }
    .await;
    session.close().await;
    server_handle.stop(true).await;
    let (lang, width, touch, before, after, (overflow, wide)) =
        outcome.expect("the browser session runs");
    assert_eq!(lang, "en");
    assert_eq!(width, serde_json::json!(390));
    assert_eq!(touch, serde_json::json!(true), "a phone has touch");
    assert!(overflow <= 0, "the login page fits a phone: {overflow}");
    assert!(wide > 0, "an 800 px block makes it scroll sideways: {wide}");
    let (Some(before), Some(after)) = (before, after) else {
        return; // axe-core not installed here (outside CI): said so on stderr
    };
    assert!(
        after.iter().any(|v| v.contains("image-alt")),
        "axe finds the image without alt: {after:?}"
    );
    assert!(
        !before.iter().any(|v| v.contains("image-alt")),
        "and not before it was put there: {before:?}"
    );
}
