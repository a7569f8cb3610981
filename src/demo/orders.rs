//! The demo's orders under the 2026 contracts: one delivered, accepted and payable; one
//! acknowledged and now past its delivery deadline with nothing shipped; one just submitted.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::orders::DeliveryRules;
use crate::store::orders::{self as os, DeliveryNote, NewLine, Receipt, ShipLine};
use crate::store::tenders as ts;
use crate::store::{parties, Act, DbConn, StoreError};

pub fn load(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    today: NaiveDate,
    township_code: &str,
) -> Result<(), StoreError> {
    let r = DeliveryRules::default();
    let inst = parties::institution_by_code(conn, township_code)?
        .ok_or_else(|| StoreError::NotFound("demo township center".into()))?;
    let commitments = ts::commitments_of_institution(conn, inst.id)?;
    let Some((k, ..)) = commitments.first() else {
        return Ok(());
    };
    let (contract, supplier) = (k.id, k.supplier_id);
    let ago = |d: i64| now - Duration::days(d);
    let day = |d: i64| today - Duration::days(d);
    let clerk = |d: i64| Act::new("institution", ago(d));
    let shipper = |d: i64| Act::new(format!("supplier-{supplier}"), ago(d));

    // Delivered and accepted 10 days ago: payable in 20 days.
    let (o, lines) = os::place_order(
        conn,
        &clerk(12),
        &r,
        inst.id,
        false,
        &[NewLine {
            contract_id: contract,
            quantity: 300,
        }],
        day(12),
    )?;
    os::acknowledge(conn, &shipper(12), o.id, supplier)?;
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
    let shipped = os::ship(conn, &shipper(11), &r, &note, day(11))?;
    os::confirm(
        conn,
        &clerk(10),
        &r,
        shipped.lines[0].id,
        inst.id,
        Receipt::Accepted,
        day(10),
    )?;

    // Acknowledged three days ago, nothing shipped: late.
    let (o, _) = os::place_order(
        conn,
        &clerk(3),
        &r,
        inst.id,
        false,
        &[NewLine {
            contract_id: contract,
            quantity: 120,
        }],
        day(3),
    )?;
    os::acknowledge(conn, &shipper(3), o.id, supplier)?;

    // Submitted an hour ago, urgent.
    os::place_order(
        conn,
        &Act::new("institution", now - Duration::hours(1)),
        &r,
        inst.id,
        true,
        &[NewLine {
            contract_id: contract,
            quantity: 40,
        }],
        today,
    )?;
    Ok(())
}
