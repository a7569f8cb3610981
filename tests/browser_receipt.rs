// PENDING: written against the shared browser harness (`tests/common/browser.rs`: `start`,
// `serve`, `Browser::check_page`, `PHONE`/`DESKTOP`), which had not landed on main when this
// branch was finished; move this file to `tests/browser_receipt.rs` (and add `pub mod browser;`
// to tests/common if the harness does not) once it has. Kept here, outside cargo's test
// targets, so that every commit compiles.
//! End to end in headless Chromium (issue 15): a village clinic's township center orders two
//! drugs and confirms a delivery with 20 units rejected as damaged — at 390×844 (phone
//! emulation) and 1366×900, in zh-CN and en. Every page visited passes the harness's checks
//! (page language, no sideways scroll, no serious or critical axe-core violation, error
//! messages in the page's language); one bad quantity is refused in the page's language with
//! what was typed kept; the payable shown is 180 × the price.

mod common;

use common::browser::{self, Browser, CmdError, Viewport, DESKTOP, PHONE};
use common::orders::two_suppliers_serving;
use common::{state_with_demo, Backend, TestDb};
use fantoccini::Locator;
use jicai::domain::money::Money;
use jicai::store::{orders as os, Act};

/// The page's text of one element.
async fn text_of(b: &Browser, css: &str) -> Result<String, CmdError> {
    b.client.find(Locator::Css(css)).await?.text().await
}

/// Types `value` into the input with this id, replacing what it held.
async fn township_center_receives_a_delivery(viewport: Viewport, lang: &'static str) {
    let db = TestDb::demo(Backend::Sqlite).unwrap();
    let state = state_with_demo(&db);
    let tag = format!("receipt-{}-{lang}", viewport.tag());
    // Two drugs that two suppliers serve the township center's county with.
    let (inst, picks) = two_suppliers_serving(&state);
    assert_eq!(picks.len(), 2, "two suppliers serve the county");
    let Some(b) = browser::start(viewport, lang).await else {
        return;
    };
    let (base, server) = browser::serve(&state);
    let run = async {
        let mut problems = vec![];
        b.log_in(&base, "institution").await?;
        // The demo user reads Chinese: the header's switch changes the language.
        b.use_browser_language().await?;
        problems.extend(b.check_page(&format!("{tag}-1-home")).await?);

        // The basket: two drugs; first with a quantity typed "1,000".
        b.goto(&format!("{base}/orders/new")).await?;
        for (i, (code, _)) in picks.iter().enumerate() {
            b.client
                .wait()
                .for_element(Locator::Id(&format!("f-drug_{}", i + 1)))
                .await?
                .select_by_value(code)
                .await?;
        }
        b.type_into("f-quantity_1", "1,000").await?;
        b.type_into("f-quantity_2", "50").await?;
        problems.extend(b.check_page(&format!("{tag}-2-basket")).await?);
        let err = b
            .click_then_text("form.stack button[type=submit]", "label.has-error em.error")
            .await?;
        let kept = b.value_of("f-quantity_1").await?;
        problems.extend(b.check_page(&format!("{tag}-3-basket-error")).await?);
        b.type_into("f-quantity_1", "200").await?;
        let placed = b
            .click_then_text("form.stack button[type=submit]", "p.notice")
            .await?;
        problems.extend(b.check_page(&format!("{tag}-4-orders")).await?);

        // The supplier of the first drug acknowledges and ships 200 (in the store: its clerk's
        // pages are another test's).
        let (oid, note, dl, price) = {
            let mut c = state.store.conn().unwrap();
            let o = os::orders_for(&mut c, Some(&[inst]), None)
                .unwrap()
                .into_iter()
                .find(|o| o.supplier_id == picks[0].1)
                .expect("the new order of the first drug's supplier");
            let act = Act::new("supplier", state.clock.now());
            os::acknowledge(&mut c, &act, o.id, o.supplier_id).unwrap();
            let line = os::lines_of(&mut c, o.id).unwrap().remove(0);
            assert_eq!(line.quantity, 200);
            let today = state.today();
            let ship = [os::ShipLine {
                order_line_id: line.id,
                quantity: 200,
                batch_no: "B-20261206".into(),
                production_date: today - chrono::Duration::days(30),
                expiry_date: today + chrono::Duration::days(700),
                trace_codes: vec!["81000000000000000001".into(), "81000000000000000002".into()],
            }];
            let shipped = os::ship(
                &mut c,
                &act,
                &state.config.delivery,
                &os::DeliveryNote {
                    order_id: o.id,
                    shipper_id: o.supplier_id,
                    idempotency_key: None,
                    lines: &ship,
                },
                today,
            )
            .unwrap();
            (
                o.id,
                shipped.delivery_id,
                shipped.lines[0].id,
                line.unit_price,
            )
        };

        // The order, then its delivery note.
        b.goto(&format!("{base}/orders/{oid}")).await?;
        problems.extend(b.check_page(&format!("{tag}-5-order")).await?);
        b.click(Locator::Css(&format!(
            "a[href='/orders/{oid}/deliveries/{note}']"
        )))
        .await?;
        b.client
            .wait()
            .for_element(Locator::Id(&format!("receive-{dl}")))
            .await?;
        problems.extend(b.check_page(&format!("{tag}-6-note")).await?);

        // One bad quantity: refused by its field, in the page's language, kept.
        b.type_into(&format!("accepted-{dl}"), "18O").await?;
        let bad = b
            .click_then_text(
                &format!("#receive-{dl} button[type=submit]"),
                &format!("#receive-{dl} em.error"),
            )
            .await?;
        let bad_kept = b.value_of(&format!("accepted-{dl}")).await?;
        problems.extend(b.check_page(&format!("{tag}-7-note-error")).await?);

        // 180 accepted, 20 rejected as damaged.
        b.type_into(&format!("accepted-{dl}"), "180").await?;
        b.type_into(&format!("rejected-{dl}"), "20").await?;
        b.client
            .find(Locator::Id(&format!("reason-{dl}")))
            .await?
            .select_by_value("damaged")
            .await?;
        let notice = b
            .click_then_text(&format!("#receive-{dl} button[type=submit]"), "p.notice")
            .await?;
        let note_text = text_of(&b, "main").await?;
        problems.extend(b.check_page(&format!("{tag}-8-note-received")).await?);
        // The printable view, as a record of what prints.
        b.goto(&format!("{base}/orders/{oid}/deliveries/{note}?print=1"))
            .await?;
        problems.extend(b.check_page(&format!("{tag}-9-print")).await?);
        Ok::<_, CmdError>((
            problems, err, kept, placed, bad, bad_kept, notice, note_text, dl, price,
        ))
    }
    .await;
    b.close().await;
    server.stop(true).await;
    let (problems, err, kept, placed, bad, bad_kept, notice, note_text, dl, price) =
        run.expect("the browser session runs");
    assert!(problems.is_empty(), "{tag}:\n{}", problems.join("\n"));
    assert!(browser::is_in_language(&err, lang), "{lang}: {err}");
    assert_eq!(kept.as_deref(), Some("1,000"));
    let (two, bad_word, done_word) = if lang == "en" {
        ("Orders placed: 2", "whole number", "Line received")
    } else {
        ("订单已提交：2 个订单", "整数", "已验收该行")
    };
    assert!(placed.contains(two), "{placed}");
    assert!(
        bad.contains(bad_word) && browser::is_in_language(&bad, lang),
        "{bad}"
    );
    assert_eq!(bad_kept.as_deref(), Some("18O"));
    assert!(notice.contains(done_word), "{notice}");
    let amount =
        jicai::i18n::Tr::new(lang).price(Money::from_ten_thousandths(price * 180).decimal());
    assert!(note_text.contains(&amount), "{amount}: {note_text}");
    let mut c = state.store.conn().unwrap();
    let order = os::order_of_delivery_line(&mut c, dl).unwrap();
    let d = os::delivery_lines_of(&mut c, order)
        .unwrap()
        .into_iter()
        .find(|d| d.id == dl)
        .unwrap();
    assert_eq!((d.accepted, d.rejected), (180, 20));
    let p = os::payables_of(&mut c, Some(inst), None)
        .unwrap()
        .into_iter()
        .find(|p| p.delivery_line_id == dl)
        .expect("a payable");
    assert_eq!(p.amount, price * 180);
}

#[actix_web::test]
async fn on_a_phone_in_chinese() {
    township_center_receives_a_delivery(PHONE, "zh-CN").await;
}

#[actix_web::test]
async fn on_a_desktop_in_chinese() {
    township_center_receives_a_delivery(DESKTOP, "zh-CN").await;
}

#[actix_web::test]
async fn on_a_phone_in_english() {
    township_center_receives_a_delivery(PHONE, "en").await;
}

#[actix_web::test]
async fn on_a_desktop_in_english() {
    township_center_receives_a_delivery(DESKTOP, "en").await;
}
