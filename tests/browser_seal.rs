//! In a real browser, on a phone in Chinese and a desktop in English: a supplier bids on a
//! tender sealed by quorum. The page's script seals the price (the server receives the
//! envelope, never the price: nothing the server stores holds it), the receipt shows the
//! envelope's digest; then, after the deadline, three of the five custodians contribute and the
//! commercial opening finds exactly the price typed in the browser.

mod common;

use diesel::prelude::*;
use fantoccini::Locator;

use common::browser::{self as harness, serve, CmdError, Viewport, DESKTOP, PHONE};
use common::{state_with_demo, Backend, TestDb};
use jicai::domain::tender::TenderAction;
use jicai::sealing::quorum::{self, CustodianKey};
use jicai::store::schema::{bids, tenders};
use jicai::store::tenders::{self as ts, custody};
use jicai::store::Act;

/// The price typed in the browser: distinctive, so that its absence from the database means
/// something.
const PRICE: &str = "3.0917";

async fn a_price_sealed_in_the_browser(viewport: Viewport, lang: &'static str) {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let mut state = state_with_demo(&db);
    state.master =
        std::sync::Arc::new(common::demo_master_key().sealing(jicai::sealing::Mode::Quorum));
    let Some(session) = harness::start(viewport, lang).await else {
        return;
    };
    // The demo's custodians and its quorum tender (keyed by their five dealings, open).
    let keys_dir = tempfile::tempdir().unwrap();
    let now = state.clock.now();
    let mut c = state.store.conn().unwrap();
    jicai::store::write_tx(&mut c, |c| {
        jicai::demo::custody::load(
            c,
            keys_dir.path(),
            &state.master,
            now,
            chrono_tz::Asia::Shanghai,
        )
    })
    .unwrap();
    let t = ts::tenders_list(&mut c)
        .unwrap()
        .into_iter()
        .find(|t| t.sealing() == jicai::sealing::Mode::Quorum)
        .expect("the quorum tender");
    let supplier = jicai::store::users::by_username(&mut c, "supplier")
        .unwrap()
        .unwrap()
        .supplier_id
        .unwrap();
    let lots = ts::lots_with_drugs(&mut c, t.id).unwrap();
    let (lot, product) = lots
        .iter()
        .find_map(|l| {
            ts::own_products(&mut c, supplier, l.0.drug_id)
                .unwrap()
                .first()
                .map(|p| (l.0.clone(), p.id))
        })
        .expect("the demo supplier makes a drug of the quorum tender");
    drop(c);
    let (base, server) = serve(&state);
    let tag = format!("seal-{}-{lang}", viewport.tag());
    let b = &session.client;
    let mut problems = vec![];
    let outcome = async {
        session.log_in(&base, "supplier").await?;
        session.use_browser_language().await?;
        b.goto(&format!("{base}/tenders/{}/lots/{}/bid", t.id, lot.id))
            .await?;
        let option = format!("#f-product_id option[value='{product}']");
        session.wait_and_click(Locator::Css(&option)).await?;
        // The script enables the button once it is ready to seal.
        b.wait()
            .for_element(Locator::Css(
                "form[data-seal=quorum] button[type=submit]:enabled",
            ))
            .await?;
        problems.extend(session.check_page(&format!("{tag}-1-form")).await?);
        let confirm_before = b
            .find(Locator::Css(".seal-confirm"))
            .await?
            .is_displayed()
            .await?;
        session
            .send_keys_to(Locator::Id("f-annual_capacity"), "500000")
            .await?;
        // Above the ceiling: the page asks first, in its language, and sends nothing.
        let price = b.find(Locator::Id("f-package_price")).await?;
        price.send_keys("999").await?;
        session.submit_form().await?;
        let warning = b
            .wait()
            .for_element(Locator::Css(".seal-note:not([hidden])"))
            .await?
            .text()
            .await?;
        let confirm_after = b
            .find(Locator::Css(".seal-confirm"))
            .await?
            .is_displayed()
            .await?;
        problems.extend(session.check_page(&format!("{tag}-2-above")).await?);
        price.clear().await?;
        price.send_keys(PRICE).await?;
        session.submit_form().await?;
        let receipt = session.receipt_text().await?;
        problems.extend(session.check_page(&format!("{tag}-3-receipt")).await?);
        Ok::<_, CmdError>((receipt, confirm_before, confirm_after, warning))
    }
    .await;
    session.close().await;
    server.stop(true).await;
    let (receipt, confirm_before, confirm_after, warning) =
        outcome.expect("the browser session runs");
    assert!(problems.is_empty(), "{tag}:\n{}", problems.join("\n"));
    assert!(
        !confirm_before,
        "the confirmation of a price above the ceiling is hidden until needed"
    );
    assert!(
        confirm_after,
        "and shown when the price is above the ceiling"
    );
    assert!(harness::is_in_language(&warning, lang), "{warning}");

    let mut c = state.store.conn().unwrap();
    let bid = ts::bids_of_supplier(&mut c, t.id, supplier)
        .unwrap()
        .into_iter()
        .find(|b| b.lot_id == lot.id)
        .expect("the bid is stored");
    assert!(receipt.contains(&bid.commercial_digest), "{receipt}");
    // Sealed by the page: a v3 envelope whose digest is its own, and no price anywhere.
    quorum::Envelope::price_from_fields(
        &bid.commercial_nonce,
        &bid.commercial_sealed,
        &bid.commercial_digest,
    )
    .expect("a well-formed envelope with its own digest");
    assert!(
        !db.dump().contains(PRICE),
        "the price is nowhere in the database"
    );
    assert!(!receipt.contains(PRICE));

    // After the deadline: the list, the review taken as passed, three custodians, the opening.
    let later = t.deadline() + chrono::Duration::minutes(1);
    let act = Act::new("center", later);
    custody::publish_digests(&mut c, &act, t.id).unwrap();
    diesel::update(bids::table.find(bid.id))
        .set(bids::technical_result.eq(Some("passed")))
        .execute(&mut c)
        .unwrap();
    diesel::update(tenders::table.find(t.id))
        .set(tenders::state.eq("technical_published"))
        .execute(&mut c)
        .unwrap();
    let dealings = custody::dealings(&mut c, t.id).unwrap();
    let items = custody::opening_items(&mut c, t.id).unwrap();
    for (j, (username, _)) in jicai::demo::custody::KEEPERS.iter().enumerate().take(3) {
        let key = CustodianKey::from_seed(format!("jicai demo {username}").as_bytes());
        let x = quorum::my_share(t.id, j as u32 + 1, &key, &dealings).unwrap();
        let map = jicai::sealing::custodian::contributions(
            &x,
            items.iter().map(|i| {
                (
                    i.bid_id,
                    i.nonce.as_str(),
                    i.ciphertext.as_str(),
                    i.digest.as_str(),
                )
            }),
        )
        .0;
        let user = jicai::store::users::by_username(&mut c, username)
            .unwrap()
            .unwrap()
            .id;
        custody::record_contributions(&mut c, &act, t.id, user, &map).unwrap();
    }
    ts::apply_action(
        &mut c,
        &act,
        &state.master,
        chrono_tz::Asia::Shanghai,
        t.id,
        TenderAction::OpenCommercial,
        None,
    )
    .unwrap();
    let opened = ts::bid(&mut c, bid.id).unwrap();
    assert_eq!(
        opened.package_price,
        Some(30917),
        "the price typed in the browser, opened by the quorum"
    );
}

#[actix_web::test]
async fn a_price_sealed_in_the_browser_on_a_phone_in_chinese_opens_with_the_quorum() {
    a_price_sealed_in_the_browser(PHONE, "zh-CN").await;
}

#[actix_web::test]
async fn a_price_sealed_in_the_browser_on_a_desktop_in_english_opens_with_the_quorum() {
    a_price_sealed_in_the_browser(DESKTOP, "en").await;
}
