//! Performance pages on both databases: orders placed, shipped on time and late, declined and
//! rejected with the clock set by the test; the rates, fill rate and execution the pages show,
//! their charts, filters and CSV/XLSX exports; who may see what.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::{app, state_with_demo, supplier_user, Client, TestDb, PW};
use jicai::app::ordering::{place_basket, BasketLine, Item};
use jicai::domain::orders::{DeclineReason, RejectReason};
use jicai::store::orders::{self as os, DeliveryNote, Receipt, ShipLine};
use jicai::store::{tenders as ts, users};
use jicai::web::AppState;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

fn ship(state: &AppState, supplier: i64, order_id: i64, line: i64, qty: i64) -> i64 {
    let shipped = os::ship(
        &mut conn(state),
        &state.act("supplier"),
        &state.config.delivery,
        &DeliveryNote {
            order_id,
            shipper_id: supplier,
            idempotency_key: None,
            lines: &[ShipLine {
                order_line_id: line,
                quantity: qty,
                batch_no: "B1".into(),
                production_date: state.today() - Duration::days(30),
                expiry_date: state.today() + Duration::days(700),
                trace_codes: vec![],
            }],
        },
        state.today(),
    )
    .unwrap();
    shipped.lines[0].id
}

/// The first table row (between <tr> and </tr>) that holds `needle`.
fn row_with<'a>(html: &'a str, needle: &str) -> &'a str {
    let tables = html.find("<table").expect("a table");
    let at = tables
        + html[tables..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in a table: {html}"));
    let start = html[..at].rfind("<tr>").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

async fn the_pages_show_what_happened(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c0 = conn(&state);
    let inst = users::by_username(&mut c0, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let (k, ..) = ts::commitments_of_institution(&mut c0, inst)
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo institution has contracts");
    let (contract, supplier) = (k.id, k.supplier_id);
    let supplier_name = jicai::store::parties::get_supplier(&mut c0, supplier)
        .unwrap()
        .name;
    drop(c0);

    // Forty days on (after the demo's own orders), three orders of this contract.
    state.clock.advance(Duration::days(40));
    let day0 = state.today();
    let place = |qty: i64| {
        let (o, ls) = place_basket(
            &mut conn(&state),
            &state.act("institution"),
            &state.config.delivery,
            inst,
            false,
            &[BasketLine {
                item: Item::Contract(contract),
                quantity: qty,
            }],
            state.today(),
        )
        .unwrap()
        .remove(0);
        os::acknowledge(&mut conn(&state), &state.act("supplier"), o.id, supplier).unwrap();
        (o.id, ls[0].id)
    };
    let (a, a_line) = place(100);
    let (b, b_line) = place(50);
    // A: 60 on time, accepted; B: declined out of stock.
    let on_time = ship(&state, supplier, a, a_line, 60);
    os::confirm(
        &mut conn(&state),
        &state.act("institution"),
        &state.config.delivery,
        on_time,
        inst,
        Receipt::Accepted,
        state.today(),
    )
    .unwrap();
    os::decline_line(
        &mut conn(&state),
        &state.act("supplier"),
        b_line,
        supplier,
        DeclineReason::OutOfStock,
        "",
    )
    .unwrap();
    let _ = b;
    // Three days on, past the deadlines: A's other 40 late, rejected; C placed, not yet due.
    state.clock.advance(Duration::days(3));
    let late = ship(&state, supplier, a, a_line, 40);
    os::confirm(
        &mut conn(&state),
        &state.act("institution"),
        &state.config.delivery,
        late,
        inst,
        Receipt::Rejected(RejectReason::Damaged),
        state.today(),
    )
    .unwrap();
    let _c = place(20);
    let period = format!("from={day0}&to={}", state.today());

    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    center.login("center", PW).await;

    // Due: A (100 ordered, 100 shipped of which 40 rejected: 60 delivered) and B (50, none):
    // delivery rate 60/150, in quantities; of the 60 delivered all on time (the late 40 were
    // rejected); one line of three declined; 40 units rejected.
    let r = center.get(&format!("/performance?{period}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let row = row_with(&r.body, &supplier_name);
    for cell in [">3<", ">40.0%<", ">100.0%<", ">33.3%<", ">1<", ">40<"] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert!(r.body.contains("<svg"), "a chart is drawn");
    assert!(r.body.contains("export=csv") && r.body.contains("table=suppliers"));
    let open = row_with(&r.body, "/institutions/");
    assert!(open.contains(">1<"), "order C is open: {open}");

    // Filtered to another supplier: this one is not in it.
    let other = jicai::store::parties::count_suppliers(&mut conn(&state)).unwrap();
    assert!(other > 1);
    let r = center
        .get(&format!("/performance?{period}&supplier={}", supplier + 1))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains(&format!("href=\"/suppliers/{supplier}\"")));

    // Fill rate of the contract's drug in its county: 60 delivered (100 shipped, 40 rejected)
    // of 150 due.
    let r = center.get(&format!("/performance/fill?{period}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let drug = jicai::store::catalog::get_product(&mut conn(&state), k.product_id)
        .unwrap()
        .drug_code;
    let row = row_with(&r.body, &format!(">{drug}<"));
    assert!(
        row.contains(">150<") && row.contains(">60<") && row.contains(">40.0%<"),
        "{row}"
    );

    // Execution: 100 + 20 purchased (the declined line is not), over the whole term.
    let r = center
        .get(&format!("/performance/contracts?{period}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let row = row_with(&r.body, &format!("/performance/contracts/{contract}\""));
    let purchased: i64 = 120 + demo_purchases(&state, contract);
    assert!(
        row.contains(&format!(">{purchased}<")),
        "{purchased} in {row}"
    );
    let r = center
        .get(&format!("/performance/contracts/{contract}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<svg") && r.body.contains(&format!(">{purchased}<")));

    // Exports: the same table as CSV and as XLSX.
    let r = center
        .get(&format!("/performance?{period}&export=csv&table=suppliers"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let kind = r.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(kind.starts_with("text/csv"), "{kind}");
    let line = r
        .body
        .lines()
        .find(|l| l.contains(&supplier_name))
        .expect("the supplier's row");
    assert!(line.contains(",3,40.0%,100.0%,33.3%,1,40"), "{line}");
    let r = center
        .get(&format!(
            "/performance/fill?{period}&export=xlsx&table=fill"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = jicai::sheet::read_table("fill.xlsx", &r.bytes).unwrap();
    let row = rows.iter().find(|r| r[0] == drug).expect("the drug's row");
    assert_eq!((row[3].as_str(), row[4].as_str()), ("150", "60"));
    assert_eq!(row[5], "0.4", "{row:?}");

    // Bad input: a clear error, nothing else.
    for (q, status, code) in [
        (
            "from=yesterday",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_date",
        ),
        (
            "from=2026-05-01&to=2026-04-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "period_ends_before_start",
        ),
        (
            "county=999999",
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_such_county",
        ),
        (
            "supplier=abc",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_in_list",
        ),
        (
            "export=pdf&table=suppliers",
            StatusCode::BAD_REQUEST,
            "export_format_unknown",
        ),
        (
            "export=csv&table=nope",
            StatusCode::BAD_REQUEST,
            "no_export_table",
        ),
    ] {
        let r = center.get(&format!("/performance?{q}")).await;
        assert_eq!(r.status, status, "{q}: {}", r.body);
        let needle = format!("data-code=\"{code}\"");
        assert!(r.body.contains(&needle), "{q}: {needle} in {}", r.body);
    }

    // A supplier sees its own figures only; an institution none.
    let mut s = Client::new(app.clone());
    s.login(&supplier_user(&state, supplier), PW).await;
    let r = s.get(&format!("/performance?{period}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&supplier_name));
    assert!(
        !r.body.contains("name=\"supplier\""),
        "no supplier filter for a supplier"
    );
    let r = s
        .get(&format!("/performance?{period}&supplier={}", supplier + 1))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut i = Client::new(app.clone());
    i.login("institution", PW).await;
    assert_eq!(i.get("/performance").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        i.get("/performance/fill").await.status,
        StatusCode::FORBIDDEN
    );
}

/// What the demo itself ordered under the contract (lines not declined, orders not cancelled).
fn demo_purchases(state: &AppState, contract: i64) -> i64 {
    let day0 = state.today() - Duration::days(3);
    jicai::store::performance::purchases_of(&mut conn(state), contract)
        .unwrap()
        .into_iter()
        .filter(|(at, _)| at.date() < day0 - Duration::days(1))
        .map(|(_, q)| q)
        .sum()
}

on_both_databases!(demo: the_pages_show_what_happened);
