//! The demo's orders under the 2026 contracts: one delivered, accepted and payable within the
//! week; one acknowledged and now past its delivery deadline with nothing shipped; one just
//! submitted; and a drug falling short (three lines declined as out of stock over the last
//! days, and the institution's shortage report), so that the scheduled jobs have something to
//! say at once.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::app::ordering::{place_basket, BasketLine, Item, Placed};
use crate::domain::orders::DeliveryRules;
use crate::domain::{Code, Msg};
use crate::store::orders::{self as os, DeliveryNote, Receipt, ShipLine};
use crate::store::tenders as ts;
use crate::store::{parties, Act, DbConn, StoreError};

pub fn load(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    today: NaiveDate,
    township_code: &str,
) -> Result<(), StoreError> {
    let r = DeliveryRules::default();
    let inst = parties::institution_by_code(conn, township_code)?.ok_or_else(|| {
        StoreError::NotFound(Msg::new(Code::InstitutionNotFound).arg("code", township_code))
    })?;
    let commitments = ts::commitments_of_institution(conn, inst.id)?;
    let Some((k, ..)) = commitments.first() else {
        return Ok(());
    };
    let (contract, supplier) = (k.id, k.supplier_id);
    let ago = |d: i64| now - Duration::days(d);
    let day = |d: i64| today - Duration::days(d);
    let clerk = |d: i64| Act::new("institution", ago(d));
    let shipper = |d: i64| Act::new(format!("supplier-{supplier}"), ago(d));

    // Delivered and accepted 25 days ago: payable in 5 days.
    let (o, lines) = place_one(conn, &clerk(27), &r, inst.id, false, contract, 300, day(27))?;
    os::acknowledge(conn, &shipper(27), o.id, supplier)?;
    let ship = [ShipLine {
        order_line_id: lines[0].id,
        quantity: 300,
        batch_no: "20260815".into(),
        production_date: day(100),
        expiry_date: day(100) + Duration::days(730),
        trace_codes: vec!["81000012345678901234".into()],
    }];
    let note = DeliveryNote {
        order_id: o.id,
        shipper_id: supplier,
        idempotency_key: Some("demo-1"),
        lines: &ship,
    };
    let shipped = os::ship(conn, &shipper(26), &r, &note, day(26))?;
    os::confirm(
        conn,
        &clerk(25),
        &r,
        shipped.lines[0].id,
        inst.id,
        Receipt::Accepted,
        day(25),
    )?;

    // Acknowledged three days ago, nothing shipped: late.
    let (o, _) = place_one(conn, &clerk(3), &r, inst.id, false, contract, 120, day(3))?;
    os::acknowledge(conn, &shipper(3), o.id, supplier)?;

    // Submitted an hour ago, urgent.
    place_one(
        conn,
        &Act::new("institution", now - Duration::hours(1)),
        &r,
        inst.id,
        true,
        contract,
        40,
        today,
    )?;

    // A drug falling short: another drug's supplier declined three orders as out of stock
    // over the last days, and the township center reported it short.
    let other = commitments
        .iter()
        .map(|c| &c.0)
        .find(|c| c.product_id != k.product_id && c.supplier_id != supplier)
        .or_else(|| {
            commitments
                .iter()
                .map(|c| &c.0)
                .find(|c| c.product_id != k.product_id)
        });
    if let Some(k2) = other {
        let drug = crate::store::catalog::get_product(conn, k2.product_id)?.drug_id;
        for d in [4, 3, 2] {
            let (o, lines) = place_one(conn, &clerk(d), &r, inst.id, false, k2.id, 60, day(d))?;
            os::decline_line(
                conn,
                &Act::new(
                    format!("supplier-{}", k2.supplier_id),
                    ago(d) + Duration::hours(2),
                ),
                lines[0].id,
                k2.supplier_id,
                crate::domain::orders::DeclineReason::OutOfStock,
                "缺货：原料药供应中断 / out of stock: API supply interrupted",
            )?;
            let _ = o;
        }
        crate::store::shortages::report(
            conn,
            &clerk(1),
            inst.id,
            drug,
            "药房已无库存，村卫生室也在要 / none left in the pharmacy; village clinics are asking",
        )?;
    }
    Ok(())
}

/// Places a one-line order under a contract (the demo's own county's, so the choice of
/// arrangement takes it).
#[allow(clippy::too_many_arguments)]
fn place_one(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    institution_id: i64,
    urgent: bool,
    contract_id: i64,
    quantity: i64,
    today: NaiveDate,
) -> Result<Placed, StoreError> {
    let line = BasketLine {
        item: Item::Contract(contract_id),
        quantity,
    };
    place_basket(conn, act, r, institution_id, urgent, &[line], today)?
        .pop()
        .ok_or_else(|| StoreError::Conflict(Code::OrderNeedsLines.into()))
}
