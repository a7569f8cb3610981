//! The steps of an order after it is placed: the supplier acknowledges, declines a line, ships
//! with delivery notes; the institution cancels, confirms receipt line by line, pays. Each
//! locks the order first (see `locked_order`) and asks `domain::orders` whether it may be done.

#![allow(clippy::type_complexity)]

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::super::schema::{deliveries, delivery_lines, order_lines, orders, payables};
use super::super::{audit, Act, DbConn, Result, StoreError};
use super::{
    credit_event, follow_lines, lines_of, locked_order, order, supplier_order, DeliveryLine, Order,
    OrderLine, Payable,
};
use crate::domain::money::Money;
pub use crate::domain::orders::ShipLine;
use crate::domain::orders::{
    self as rules, CreditEventKind, DeclineReason, DeliveryRules, OrderState,
};
use crate::domain::paging::{Page, PageRequest};
use crate::domain::Code;

pub fn acknowledge(conn: &mut DbConn, act: &Act, order_id: i64, supplier_id: i64) -> Result<Order> {
    super::super::write_tx(conn, |conn| {
        let o = supplier_order(conn, order_id, supplier_id)?;
        rules::check_acknowledge(o.state())?;
        diesel::update(orders::table.find(order_id))
            .set((
                orders::state.eq(OrderState::Acknowledged),
                orders::acknowledged_at.eq(Some(act.stamp())),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "acknowledge",
            "order",
            order_id,
            Some(&o.state),
            Some(&OrderState::Acknowledged),
        )?;
        order(conn, order_id)
    })
}

/// The supplier declines a line (nothing shipped on it yet), with a reason: a credit event.
pub fn decline_line(
    conn: &mut DbConn,
    act: &Act,
    line_id: i64,
    supplier_id: i64,
    reason: DeclineReason,
    note: &str,
) -> Result<()> {
    super::super::write_tx(conn, |conn| {
        let l: OrderLine = order_lines::table
            .find(line_id)
            .select(OrderLine::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::OrderLineNotFound.into()))?;
        let o = supplier_order(conn, l.order_id, supplier_id)?;
        rules::check_decline(o.state(), &l.quantities())?;
        diesel::update(order_lines::table.find(line_id))
            .set((
                order_lines::declined_reason.eq(Some(reason)),
                order_lines::declined_note.eq(Some(note.trim())),
            ))
            .execute(conn)?;
        credit_event(
            conn,
            act,
            o.supplier_id,
            CreditEventKind::Declined,
            Some(line_id),
            reason.as_str(),
        )?;
        audit::append(
            conn,
            act,
            "decline",
            "order_line",
            line_id,
            None::<&()>,
            Some(&(reason.as_str(), note)),
        )?;
        follow_lines(conn, act, &o)?;
        Ok(())
    })
}

/// The institution cancels an order before anything is shipped.
pub fn cancel(conn: &mut DbConn, act: &Act, order_id: i64) -> Result<()> {
    super::super::write_tx(conn, |conn| {
        let o = locked_order(conn, order_id)?;
        let shipped: i64 = lines_of(conn, order_id)?.iter().map(|l| l.shipped).sum();
        rules::check_cancel(o.state(), shipped)?;
        diesel::update(orders::table.find(order_id))
            .set((
                orders::state.eq(OrderState::Cancelled),
                orders::cancelled_at.eq(Some(act.stamp())),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "cancel",
            "order",
            order_id,
            Some(&o.state),
            Some(&OrderState::Cancelled),
        )?;
        Ok(())
    })
}

/// A delivery note as written: its id, whether this call created it (false: the same
/// idempotency key was seen before and nothing changed), and its lines.
#[derive(Debug, Clone, Serialize)]
pub struct Shipped {
    pub delivery_id: i64,
    pub created: bool,
    pub lines: Vec<DeliveryLine>,
}

fn existing_delivery(
    conn: &mut DbConn,
    order_id: i64,
    shipper_id: i64,
    key: &str,
) -> Result<Option<Shipped>> {
    let found: Option<(i64, i64)> = deliveries::table
        .filter(deliveries::shipper_id.eq(shipper_id))
        .filter(deliveries::idempotency_key.eq(key))
        .select((deliveries::id, deliveries::order_id))
        .first(conn)
        .optional()?;
    match found {
        None => Ok(None),
        Some((id, o)) => {
            rules::check_key_reuse(o, order_id)?;
            let lines = delivery_lines::table
                .filter(delivery_lines::delivery_id.eq(id))
                .order(delivery_lines::id.asc())
                .select(DeliveryLine::as_select())
                .load(conn)?;
            Ok(Some(Shipped {
                delivery_id: id,
                created: false,
                lines,
            }))
        }
    }
}

/// A delivery note to write: which order, who ships, its lines, and the caller's idempotency key.
#[derive(Debug, Clone)]
pub struct DeliveryNote<'a> {
    pub order_id: i64,
    pub shipper_id: i64,
    pub idempotency_key: Option<&'a str>,
    pub lines: &'a [ShipLine],
}

/// Ships (part of) an order with a delivery note. With an idempotency key, a retried request
/// returns the first delivery and changes nothing.
pub fn ship(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    note: &DeliveryNote,
    today: NaiveDate,
) -> Result<Shipped> {
    let (order_id, shipper_id) = (note.order_id, note.shipper_id);
    let key = rules::idempotency_key(note.idempotency_key)?;
    let written =
        super::super::write_tx(conn, |conn| write_delivery(conn, act, r, note, key, today));
    match (written, key) {
        // The same key sent twice at once: the second meets the first's row and returns it.
        (Err(StoreError::Conflict(_)), Some(key)) => {
            existing_delivery(conn, order_id, shipper_id, key)?
                .ok_or_else(|| StoreError::Conflict(Code::DeliveryNotWritten.into()))
        }
        (r, _) => r,
    }
}

/// The body of `ship`, in its transaction: the delivery the key already wrote, or a new
/// delivery with its lines, its audit record and the order's state followed.
fn write_delivery(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    note: &DeliveryNote,
    key: Option<&str>,
    today: NaiveDate,
) -> Result<Shipped> {
    let (order_id, shipper_id, lines) = (note.order_id, note.shipper_id, note.lines);
    let o = supplier_order(conn, order_id, shipper_id)?;
    if let Some(k) = key {
        if let Some(s) = existing_delivery(conn, order_id, shipper_id, k)? {
            return Ok(s);
        }
    }
    let ols: Vec<(i64, rules::LineQuantities)> = lines_of(conn, order_id)?
        .iter()
        .map(|l| (l.id, l.quantities()))
        .collect();
    rules::check_delivery(r, o.state(), &ols, lines, today).map_err(StoreError::Invalid)?;
    let id: i64 = diesel::insert_into(deliveries::table)
        .values((
            deliveries::order_id.eq(order_id),
            deliveries::shipper_id.eq(shipper_id),
            deliveries::idempotency_key.eq(key),
            deliveries::shipped_at.eq(act.stamp()),
        ))
        .returning(deliveries::id)
        .get_result(conn)?;
    let dl = write_delivery_lines(conn, act, &o, id, lines)?;
    audit::append(conn, act, "ship", "delivery", id, None::<&()>, Some(&dl))?;
    follow_lines(conn, act, &o)?;
    Ok(Shipped {
        delivery_id: id,
        created: true,
        lines: dl,
    })
}

/// Writes a delivery's lines, adds them to the order lines' shipped quantities and, when the
/// delivery is past the order's deadline, records a late delivery against the supplier per
/// line; the delivery's lines as written.
fn write_delivery_lines(
    conn: &mut DbConn,
    act: &Act,
    o: &Order,
    delivery_id: i64,
    lines: &[ShipLine],
) -> Result<Vec<DeliveryLine>> {
    let late = act.stamp() > o.deliver_by;
    for s in lines {
        diesel::insert_into(delivery_lines::table)
            .values((
                delivery_lines::delivery_id.eq(delivery_id),
                delivery_lines::order_line_id.eq(s.order_line_id),
                delivery_lines::quantity.eq(s.quantity),
                delivery_lines::batch_no.eq(s.batch_no.trim()),
                delivery_lines::production_date.eq(s.production_date),
                delivery_lines::expiry_date.eq(s.expiry_date),
                delivery_lines::trace_codes.eq(s.trace_codes.join(",")),
                delivery_lines::late.eq(late),
            ))
            .execute(conn)?;
        diesel::update(order_lines::table.find(s.order_line_id))
            .set(order_lines::shipped.eq(order_lines::shipped + s.quantity))
            .execute(conn)?;
        if late {
            credit_event(
                conn,
                act,
                o.supplier_id,
                CreditEventKind::Late,
                Some(s.order_line_id),
                &format!("delivered after {}", o.deliver_by),
            )?;
        }
    }
    Ok(delivery_lines::table
        .filter(delivery_lines::delivery_id.eq(delivery_id))
        .order(delivery_lines::id.asc())
        .select(DeliveryLine::as_select())
        .load(conn)?)
}

pub use crate::domain::orders::Receipt;
use crate::domain::orders::Received;

/// The institution confirms one delivered line: how many units it accepts and how many it
/// rejects, for which reason (`domain::orders::check_receipt`: together what the line
/// shipped). Returns false when it was confirmed already (by this or another person): nothing
/// changes. Two confirmations at once count once.
pub fn confirm(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    delivery_line_id: i64,
    institution_id: i64,
    outcome: Receipt,
    today: NaiveDate,
) -> Result<bool> {
    super::super::write_tx(conn, |conn| {
        let (dl, o): (DeliveryLine, Order) = delivery_lines::table
            .inner_join(deliveries::table.inner_join(orders::table))
            .filter(delivery_lines::id.eq(delivery_line_id))
            .select((DeliveryLine::as_select(), Order::as_select()))
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::DeliveryLineNotFound.into()))?;
        if o.institution_id != institution_id {
            return Err(StoreError::NotFound(Code::DeliveryLineNotFound.into()));
        }
        let got = rules::check_receipt(dl.quantity, outcome).map_err(StoreError::Invalid)?;
        let o = locked_order(conn, o.id)?;
        let word = got.outcome();
        // Only the first confirmation writes: the condition makes a second one (even at the
        // same moment, on another connection) change nothing.
        let changed = diesel::update(
            delivery_lines::table
                .filter(delivery_lines::id.eq(delivery_line_id))
                .filter(delivery_lines::receipt.is_null()),
        )
        .set((
            delivery_lines::receipt.eq(Some(word)),
            delivery_lines::receipt_reason.eq(got.reason),
            delivery_lines::accepted.eq(got.accepted),
            delivery_lines::rejected.eq(got.rejected),
            delivery_lines::confirmed_at.eq(Some(act.stamp())),
            delivery_lines::confirmed_by.eq(Some(&act.actor)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(false);
        }
        diesel::update(order_lines::table.find(dl.order_line_id))
            .set((
                order_lines::confirmed.eq(order_lines::confirmed + dl.quantity),
                order_lines::accepted.eq(order_lines::accepted + got.accepted),
            ))
            .execute(conn)?;
        settle(conn, act, r, &dl, &o, &got, today)?;
        audit::append(
            conn,
            act,
            "confirm",
            "delivery_line",
            delivery_line_id,
            None::<&()>,
            Some(&(word, got.reason, got.accepted, got.rejected)),
        )?;
        let o = order(conn, o.id)?;
        follow_lines(conn, act, &o)?;
        Ok(true)
    })
}

/// The institution accepts every line of a delivery note not confirmed yet, in one
/// transaction: how many lines it confirmed.
pub fn accept_note(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    delivery_id: i64,
    institution_id: i64,
    today: NaiveDate,
) -> Result<usize> {
    super::super::write_tx(conn, |conn| {
        let open: Vec<i64> = delivery_lines::table
            .filter(delivery_lines::delivery_id.eq(delivery_id))
            .filter(delivery_lines::receipt.is_null())
            .order(delivery_lines::id.asc())
            .select(delivery_lines::id)
            .load(conn)?;
        let mut n = 0;
        for id in open {
            if confirm(conn, act, r, id, institution_id, Receipt::Accepted, today)? {
                n += 1;
            }
        }
        Ok(n)
    })
}

/// What a confirmed line leaves behind: its accepted units a payable
/// (`domain::orders::payable`, accepted quantity × price), its rejected units a credit event
/// of the supplier.
fn settle(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    dl: &DeliveryLine,
    o: &Order,
    got: &Received,
    today: NaiveDate,
) -> Result<()> {
    if got.accepted > 0 {
        let price: i64 = order_lines::table
            .find(dl.order_line_id)
            .select(order_lines::unit_price)
            .first(conn)?;
        let (amount, due_on) = rules::payable(r, price, got.accepted, today)?;
        diesel::insert_into(payables::table)
            .values((
                payables::delivery_line_id.eq(dl.id),
                payables::institution_id.eq(o.institution_id),
                payables::supplier_id.eq(o.supplier_id),
                payables::amount.eq(amount),
                payables::due_on.eq(due_on),
            ))
            .execute(conn)?;
    }
    if let (true, Some(why)) = (got.rejected > 0, got.reason) {
        credit_event(
            conn,
            act,
            o.supplier_id,
            CreditEventKind::Rejected,
            Some(dl.order_line_id),
            why.as_str(),
        )?;
    }
    Ok(())
}

/// Payables of an institution (or of a supplier), oldest due first.
pub fn payables_of(
    conn: &mut DbConn,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
) -> Result<Vec<Payable>> {
    let mut q = payables::table
        .order((payables::due_on.asc(), payables::id.asc()))
        .select(Payable::as_select())
        .into_boxed();
    if let Some(i) = institution_id {
        q = q.filter(payables::institution_id.eq(i));
    }
    if let Some(s) = supplier_id {
        q = q.filter(payables::supplier_id.eq(s));
    }
    Ok(q.load(conn)?)
}

/// The unpaid payables a list narrows to: those not yet past their day, or those past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpaid {
    Due,
    Overdue,
}

/// A page of the payables of this institution and this supplier (each: any when `None`), by
/// the day they are due, only the unpaid ones due or overdue on `today` when `unpaid` is given.
pub fn payables_page(
    conn: &mut DbConn,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
    unpaid: Option<(Unpaid, NaiveDate)>,
    page: &PageRequest,
) -> Result<Page<Payable>> {
    let build = || {
        let mut q = payables::table.into_boxed::<super::super::MultiBackend>();
        if let Some(i) = institution_id {
            q = q.filter(payables::institution_id.eq(i));
        }
        if let Some(s) = supplier_id {
            q = q.filter(payables::supplier_id.eq(s));
        }
        match unpaid {
            Some((Unpaid::Due, today)) => {
                q = q
                    .filter(payables::paid_at.is_null())
                    .filter(payables::due_on.ge(today));
            }
            Some((Unpaid::Overdue, today)) => {
                q = q
                    .filter(payables::paid_at.is_null())
                    .filter(payables::due_on.lt(today));
            }
            None => {}
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order((payables::due_on.asc(), payables::id.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(Payable::as_select())
        .load(conn)?;
    Ok(page.of(items, total))
}

/// The payer marks a payable paid (once).
pub fn mark_paid(conn: &mut DbConn, act: &Act, payable_id: i64, institution_id: i64) -> Result<()> {
    super::super::write_tx(conn, |conn| {
        let p: Payable = payables::table
            .find(payable_id)
            .select(Payable::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::PayableNotFound.into()))?;
        if p.institution_id != institution_id {
            return Err(StoreError::NotFound(Code::PayableNotFound.into()));
        }
        rules::check_unpaid(p.paid_at.is_some())?;
        diesel::update(payables::table.find(payable_id))
            .set(payables::paid_at.eq(Some(act.stamp())))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "pay",
            "payable",
            payable_id,
            None::<&()>,
            Some(&Money::from_ten_thousandths(p.amount)),
        )?;
        Ok(())
    })
}
