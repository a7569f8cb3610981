//! In a real browser, on a phone (390×844, mobile emulation) and a desktop (1366×900), in
//! Chinese and English: a supplier bids and reopens its receipt. It opens the tender open for
//! bids, picks the lot and its product, types a bad price first (the error shows next to the
//! field in the page's language, what was typed is kept), then a good one; the sealed bid lands
//! on its receipt; it goes elsewhere and comes back to the receipt from the tender's page; the
//! digests are those stored. Every page visited passes the harness's checks (page language,
//! no sideways scroll, axe-core serious/critical, errors in the page's language) and is
//! screenshotted to `target/screenshots/bid-*`.

mod common;

use fantoccini::Locator;

use common::browser::{self as harness, serve, CmdError, Viewport, DESKTOP, PHONE};
use common::{state_with_demo, Backend, TestDb};
use jicai::store::tenders as ts;

/// The demo's open tender, its lot of D0012 and the demo supplier's product of that drug.
fn open_lot(state: &jicai::web::AppState) -> (i64, i64, i64, i64) {
    let mut c = state.store.conn().unwrap();
    let (tender, lots) = common::demo_open_tender(&mut c);
    let lot = lots.iter().find(|l| l.1 == "D0012").unwrap().0.clone();
    let supplier = jicai::store::users::by_username(&mut c, "supplier")
        .unwrap()
        .unwrap()
        .supplier_id
        .unwrap();
    let product = ts::own_products(&mut c, supplier, lot.drug_id).unwrap()[0].id;
    (tender, lot.id, product, supplier)
}

async fn bid_and_reopen_the_receipt(viewport: Viewport, lang: &'static str) {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let Some(session) = harness::start(viewport, lang).await else {
        return;
    };
    let (tender, lot, product, supplier) = open_lot(&state);
    let (base, server) = serve(&state);
    let tag = format!("bid-{}-{lang}", viewport.tag());
    let b = &session.client;
    let mut problems = vec![];
    let outcome = async {
        session.log_in(&base, "supplier").await?;
        // The user's own language is the session's: switch when the browser asks for another.
        session.use_browser_language().await?;
        problems.extend(session.check_page(&format!("{tag}-1-home")).await?);
        // The tenders, then the open one by its title.
        b.goto(&format!("{base}/tenders")).await?;
        session
            .wait_and_click(Locator::Css(&format!("a[href='/tenders/{tender}']")))
            .await?;
        let bid_link = format!("a[href='/tenders/{tender}/lots/{lot}/bid']");
        b.wait().for_element(Locator::Css(&bid_link)).await?;
        problems.extend(session.check_page(&format!("{tag}-2-tender")).await?);
        session.click(Locator::Css(&bid_link)).await?;
        // The bid form: the product picked by its name, a bad price first.
        let option = format!("#f-product_id option[value='{product}']");
        session.wait_and_click(Locator::Css(&option)).await?;
        problems.extend(session.check_page(&format!("{tag}-3-form")).await?);
        session
            .send_keys_to(Locator::Id("f-annual_capacity"), "500000")
            .await?;
        session
            .send_keys_to(Locator::Id("f-package_price"), "abc")
            .await?;
        session.submit_form().await?;
        let err = b
            .wait()
            .for_element(Locator::Css("label.has-error #f-package_price ~ em.error"))
            .await?
            .text()
            .await?;
        let kept = (
            b.find(Locator::Id("f-package_price"))
                .await?
                .prop("value")
                .await?,
            b.find(Locator::Id("f-annual_capacity"))
                .await?
                .prop("value")
                .await?,
            b.find(Locator::Css(&option))
                .await?
                .prop("selected")
                .await?,
        );
        problems.extend(session.check_page(&format!("{tag}-4-refused")).await?);
        // A good price: sealed, on to the receipt.
        let price = b.find(Locator::Id("f-package_price")).await?;
        price.clear().await?;
        price.send_keys("25.80").await?;
        session.submit_form().await?;
        let first = session.receipt_text().await?;
        let receipt_url = b.current_url().await?.path().to_string();
        problems.extend(session.check_page(&format!("{tag}-5-receipt")).await?);
        // Elsewhere, then back from the tender's page.
        b.goto(&format!("{base}/home")).await?;
        b.goto(&format!("{base}/tenders/{tender}")).await?;
        let link = format!("a[href='{receipt_url}']");
        session.wait_and_click(Locator::Css(&link)).await?;
        let again = session.receipt_text().await?;
        problems.extend(session.check_page(&format!("{tag}-6-reopened")).await?);
        Ok::<_, CmdError>((err, kept, receipt_url, first, again))
    }
    .await;
    session.close().await;
    server.stop(true).await;
    let (err, kept, receipt_url, first, again) = outcome.expect("the browser session runs");
    assert!(problems.is_empty(), "{tag}:\n{}", problems.join("\n"));
    // The refusal in the page's language, next to the price; what was typed kept.
    assert!(harness::is_in_language(&err, lang), "{err}");
    assert!(
        err.contains(if lang == "en" { "amount" } else { "金额" }),
        "{err}"
    );
    assert_eq!(kept.0.as_deref(), Some("abc"));
    assert_eq!(kept.1.as_deref(), Some("500000"));
    assert_eq!(kept.2.as_deref(), Some("true"), "the product stays picked");
    // The receipt at its own address, the same when reopened, with the stored digests.
    let bid = ts::bids_of_supplier(&mut state.store.conn().unwrap(), tender, supplier)
        .unwrap()
        .into_iter()
        .find(|b| b.lot_id == lot)
        .expect("the bid is stored");
    assert_eq!(receipt_url, format!("/bids/{}/receipt", bid.id));
    for text in [&first, &again] {
        assert!(text.contains(&bid.technical_digest), "{text}");
        assert!(text.contains(&bid.commercial_digest), "{text}");
        assert!(!text.contains("25.80"), "the price stays sealed: {text}");
    }
}

#[actix_web::test]
async fn a_supplier_bids_and_reopens_its_receipt_on_a_phone_in_chinese() {
    bid_and_reopen_the_receipt(PHONE, "zh-CN").await;
}

#[actix_web::test]
async fn a_supplier_bids_and_reopens_its_receipt_on_a_phone_in_english() {
    bid_and_reopen_the_receipt(PHONE, "en").await;
}

#[actix_web::test]
async fn a_supplier_bids_and_reopens_its_receipt_on_a_desktop_in_chinese() {
    bid_and_reopen_the_receipt(DESKTOP, "zh-CN").await;
}

#[actix_web::test]
async fn a_supplier_bids_and_reopens_its_receipt_on_a_desktop_in_english() {
    bid_and_reopen_the_receipt(DESKTOP, "en").await;
}
