//! Orders, deliveries, receipt confirmation and payables. Prices come from the contract and
//! are never taken from the caller; quantities are checked against what was ordered; every
//! step writes its audit record in the same transaction.

#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    contract_distributors, credit_events, deliveries, delivery_lines, institutions, order_lines,
    orders, payables, regions,
};
use super::{audit, Act, DbConn, Result, StoreError};
use crate::domain::catalog::RegionLevel;
use crate::domain::money::Money;
use crate::domain::orders::{
    self as rules, CreditEventKind, DeclineReason, DeliveryRules, LineQuantities, OrderState,
    ReceiptOutcome, RejectReason,
};
use crate::domain::{Code, Invalid, Msg};

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: i64,
    pub institution_id: i64,
    pub supplier_id: i64,
    pub urgent: bool,
    pub state: OrderState,
    pub submitted_at: NaiveDateTime,
    pub acknowledge_by: NaiveDateTime,
    pub deliver_by: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub placed_by: String,
}

impl Order {
    pub fn state(&self) -> OrderState {
        self.state
    }
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = order_lines)]
pub struct OrderLine {
    pub id: i64,
    pub order_id: i64,
    pub contract_id: i64,
    pub product_id: i64,
    pub quantity: i64,
    /// 1/10,000 yuan per unit of use, from the contract.
    pub unit_price: i64,
    pub declined_reason: Option<DeclineReason>,
    pub declined_note: Option<String>,
    pub shipped: i64,
    pub confirmed: i64,
    pub accepted: i64,
}

impl OrderLine {
    fn quantities(&self) -> LineQuantities {
        LineQuantities {
            ordered: self.quantity,
            declined: self.declined_reason.is_some(),
            shipped: self.shipped,
            confirmed: self.confirmed,
            accepted: self.accepted,
        }
    }
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = delivery_lines)]
pub struct DeliveryLine {
    pub id: i64,
    pub delivery_id: i64,
    pub order_line_id: i64,
    pub quantity: i64,
    pub batch_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub trace_codes: String,
    pub late: bool,
    pub receipt: Option<ReceiptOutcome>,
    pub receipt_reason: Option<RejectReason>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub confirmed_by: Option<String>,
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = payables)]
pub struct Payable {
    pub id: i64,
    pub delivery_line_id: i64,
    pub institution_id: i64,
    pub supplier_id: i64,
    pub amount: i64,
    pub due_on: NaiveDate,
    pub paid_at: Option<NaiveDateTime>,
}

/// One line of a new order, priced by the application from the arrangement that serves it.
#[derive(Debug, Clone, Serialize)]
pub struct PricedLine {
    pub contract_id: i64,
    pub product_id: i64,
    pub quantity: i64,
    /// 1/10,000 yuan per unit of use: the arrangement's price.
    pub unit_price: i64,
}

/// A new order of one supplier, as the application decided it.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub institution_id: i64,
    pub supplier_id: i64,
    /// The ordering institution's county.
    pub county_id: i64,
    pub urgent: bool,
    pub acknowledge_by: NaiveDateTime,
    pub deliver_by: NaiveDateTime,
    pub lines: Vec<PricedLine>,
}

pub fn order(conn: &mut DbConn, id: i64) -> Result<Order> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::OrderNotFound.into()))
}

pub fn lines_of(conn: &mut DbConn, order_id: i64) -> Result<Vec<OrderLine>> {
    Ok(order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .order(order_lines::id.asc())
        .select(OrderLine::as_select())
        .load(conn)?)
}

pub fn delivery_lines_of(conn: &mut DbConn, order_id: i64) -> Result<Vec<DeliveryLine>> {
    Ok(delivery_lines::table
        .inner_join(deliveries::table)
        .filter(deliveries::order_id.eq(order_id))
        .order(delivery_lines::id.asc())
        .select(DeliveryLine::as_select())
        .load(conn)?)
}

/// A delivery note (its lines apart).
#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub order_id: i64,
    pub shipper_id: i64,
    pub shipped_at: NaiveDateTime,
}

/// An order's delivery notes, oldest first.
pub fn deliveries_of(conn: &mut DbConn, order_id: i64) -> Result<Vec<Delivery>> {
    Ok(deliveries::table
        .filter(deliveries::order_id.eq(order_id))
        .order(deliveries::id.asc())
        .select(Delivery::as_select())
        .load(conn)?)
}

fn credit_event(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    kind: CreditEventKind,
    line: Option<i64>,
    detail: &str,
) -> Result<()> {
    diesel::insert_into(credit_events::table)
        .values((
            credit_events::supplier_id.eq(supplier_id),
            credit_events::kind.eq(kind),
            credit_events::order_line_id.eq(line),
            credit_events::at.eq(act.stamp()),
            credit_events::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// Credit events of a supplier: (kind, at, detail).
pub fn credit_events_of(
    conn: &mut DbConn,
    supplier_id: i64,
) -> Result<Vec<(CreditEventKind, NaiveDateTime, String)>> {
    Ok(credit_events::table
        .filter(credit_events::supplier_id.eq(supplier_id))
        .order(credit_events::id.asc())
        .select((
            credit_events::kind,
            credit_events::at,
            credit_events::detail,
        ))
        .load(conn)?)
}

/// Moves the order to the state its lines say, if that changed.
fn follow_lines(conn: &mut DbConn, act: &Act, o: &Order) -> Result<OrderState> {
    let q: Vec<LineQuantities> = lines_of(conn, o.id)?
        .iter()
        .map(OrderLine::quantities)
        .collect();
    let next = rules::state_from_lines(o.state(), &q);
    if next != o.state() {
        diesel::update(orders::table.find(o.id))
            .set(orders::state.eq(next))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "state",
            "order",
            o.id,
            Some(&o.state),
            Some(&next),
        )?;
    }
    Ok(next)
}

/// Whether an institution is remote, and its county: what an order of it needs.
pub fn orderer(conn: &mut DbConn, institution_id: i64) -> Result<(bool, i64)> {
    let (remote, region, level, parent): (bool, i64, RegionLevel, Option<i64>) =
        institutions::table
            .inner_join(regions::table)
            .filter(institutions::id.eq(institution_id))
            .select((
                institutions::remote,
                regions::id,
                regions::level,
                regions::parent_id,
            ))
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::InstitutionNotFound.into()))?;
    Ok((remote, super::regions::county_of(region, level, parent)))
}

/// Writes a new order and its lines, audited (inside the caller's transaction when there is one).
pub fn insert_order(
    conn: &mut DbConn,
    act: &Act,
    new: &NewOrder,
) -> Result<(Order, Vec<OrderLine>)> {
    super::write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(orders::table)
            .values((
                orders::institution_id.eq(new.institution_id),
                orders::supplier_id.eq(new.supplier_id),
                orders::urgent.eq(new.urgent),
                orders::state.eq(OrderState::Submitted),
                orders::submitted_at.eq(act.stamp()),
                orders::acknowledge_by.eq(new.acknowledge_by),
                orders::deliver_by.eq(new.deliver_by),
                orders::placed_by.eq(&act.actor),
                orders::county_id.eq(new.county_id),
            ))
            .returning(orders::id)
            .get_result(conn)?;
        for l in &new.lines {
            diesel::insert_into(order_lines::table)
                .values((
                    order_lines::order_id.eq(id),
                    order_lines::contract_id.eq(l.contract_id),
                    order_lines::product_id.eq(l.product_id),
                    order_lines::quantity.eq(l.quantity),
                    order_lines::unit_price.eq(l.unit_price),
                ))
                .execute(conn)?;
        }
        let o = order(conn, id)?;
        let ls = lines_of(conn, id)?;
        audit::append(
            conn,
            act,
            "place",
            "order",
            id,
            None::<&()>,
            Some(&(&o, &ls)),
        )?;
        Ok((o, ls))
    })
}

/// The drugs of each of these orders, as `code name strength`, in line order: order id → drugs.
pub fn order_drugs(
    conn: &mut DbConn,
    order_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<String>>> {
    use super::schema::{drugs, products};
    let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for chunk in order_ids.chunks(500) {
        let rows: Vec<(i64, String, String, String)> = order_lines::table
            .inner_join(products::table.inner_join(drugs::table))
            .filter(order_lines::order_id.eq_any(chunk))
            .order(order_lines::id.asc())
            .select((
                order_lines::order_id,
                drugs::code,
                drugs::name_zh,
                drugs::strength,
            ))
            .load(conn)?;
        for (o, code, name, strength) in rows {
            out.entry(o)
                .or_default()
                .push(format!("{code} {name} {strength}"));
        }
    }
    Ok(out)
}

/// The drug of each line of these orders: order line id → (drug code, Chinese name, strength).
pub fn line_drugs(
    conn: &mut DbConn,
    order_ids: &[i64],
) -> Result<std::collections::HashMap<i64, (String, String, String)>> {
    use super::schema::{drugs, products};
    let mut out = std::collections::HashMap::new();
    for chunk in order_ids.chunks(500) {
        let rows: Vec<(i64, String, String, String)> = order_lines::table
            .inner_join(products::table.inner_join(drugs::table))
            .filter(order_lines::order_id.eq_any(chunk))
            .select((
                order_lines::id,
                drugs::code,
                drugs::name_zh,
                drugs::strength,
            ))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(l, c, n, s)| (l, (c, n, s))));
    }
    Ok(out)
}

/// May this supplier act on this order: the contracted supplier, or the distribution enterprise
/// it named for the institution's county?
fn may_supply(conn: &mut DbConn, o: &Order, supplier_id: i64) -> Result<bool> {
    if o.supplier_id == supplier_id {
        return Ok(true);
    }
    let county = super::regions::county_of_institution(conn, o.institution_id)?;
    let contract_ids: Vec<i64> = order_lines::table
        .filter(order_lines::order_id.eq(o.id))
        .select(order_lines::contract_id)
        .load(conn)?;
    let named: i64 = contract_distributors::table
        .filter(contract_distributors::contract_id.eq_any(contract_ids))
        .filter(contract_distributors::county_id.eq(county))
        .filter(contract_distributors::distributor_id.eq(supplier_id))
        .count()
        .get_result(conn)?;
    Ok(named > 0)
}

/// An order's state as a refusal names it ("partially received").
fn state_word(o: &Order) -> String {
    o.state.as_str().replace('_', " ")
}

/// The supplier's order, or "not found" for anyone else.
/// Reads an order and locks its row until the transaction ends: every change to an order or
/// its lines takes this lock first, so that two at once (two lines confirmed, two deliveries
/// shipped) are taken one after the other and the second sees what the first did (its order
/// state, its quantities), never a state computed from half of them.
fn locked_order(conn: &mut DbConn, id: i64) -> Result<Order> {
    diesel::update(orders::table.find(id))
        .set(orders::id.eq(orders::id))
        .returning(orders::id)
        .get_result::<i64>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::OrderNotFound.into()))?;
    order(conn, id)
}

/// The order, locked (see [`locked_order`]), if this supplier may supply it.
fn supplier_order(conn: &mut DbConn, order_id: i64, supplier_id: i64) -> Result<Order> {
    let o = locked_order(conn, order_id)?;
    if !may_supply(conn, &o, supplier_id)? {
        return Err(StoreError::NotFound(Code::OrderNotFound.into()));
    }
    Ok(o)
}

pub fn acknowledge(conn: &mut DbConn, act: &Act, order_id: i64, supplier_id: i64) -> Result<Order> {
    super::write_tx(conn, |conn| {
        let o = supplier_order(conn, order_id, supplier_id)?;
        if o.state() != OrderState::Submitted {
            return Err(Invalid::new(
                "state",
                Msg::new(Code::OrderNotAwaitingAcknowledgement).arg("state", state_word(&o)),
            )
            .into());
        }
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
    super::write_tx(conn, |conn| {
        let l: OrderLine = order_lines::table
            .find(line_id)
            .select(OrderLine::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::OrderLineNotFound.into()))?;
        let o = supplier_order(conn, l.order_id, supplier_id)?;
        if matches!(
            o.state(),
            OrderState::Cancelled | OrderState::Closed | OrderState::Received
        ) {
            return Err(Invalid::new(
                "state",
                Msg::new(Code::OrderNoLongerOpen).arg("state", state_word(&o)),
            )
            .into());
        }
        if l.declined_reason.is_some() {
            return Err(Invalid::new("line", Code::LineAlreadyDeclined).into());
        }
        if l.shipped > 0 {
            return Err(Invalid::new("line", Code::LinePartlyShipped).into());
        }
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
    super::write_tx(conn, |conn| {
        let o = locked_order(conn, order_id)?;
        let shipped: i64 = lines_of(conn, order_id)?.iter().map(|l| l.shipped).sum();
        if !matches!(o.state(), OrderState::Submitted | OrderState::Acknowledged) || shipped > 0 {
            return Err(Invalid::new(
                "state",
                Msg::new(Code::OrderNotCancellable).arg("state", state_word(&o)),
            )
            .into());
        }
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

/// One line of a delivery note.
#[derive(Debug, Clone)]
pub struct ShipLine {
    pub order_line_id: i64,
    pub quantity: i64,
    pub batch_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub trace_codes: Vec<String>,
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
        Some((_, o)) if o != order_id => {
            Err(Invalid::new("idempotency_key", Code::IdempotencyKeyReused).into())
        }
        Some((id, _)) => {
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
    let (order_id, shipper_id, lines) = (note.order_id, note.shipper_id, note.lines);
    let key = note
        .idempotency_key
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(k) = key {
        if k.len() > 200 {
            return Err(
                Invalid::new("idempotency_key", Msg::new(Code::TooLong).arg("max", 200)).into(),
            );
        }
    }
    let attempt = |conn: &mut DbConn| {
        super::write_tx(conn, |conn| {
            let o = supplier_order(conn, order_id, shipper_id)?;
            if let Some(k) = key {
                if let Some(s) = existing_delivery(conn, order_id, shipper_id, k)? {
                    return Ok(s);
                }
            }
            if !matches!(
                o.state(),
                OrderState::Acknowledged | OrderState::Shipped | OrderState::PartiallyReceived
            ) {
                return Err(Invalid::new(
                    "state",
                    Msg::new(Code::OrderNotAcknowledged).arg("state", state_word(&o)),
                )
                .into());
            }
            if lines.is_empty() {
                return Err(Invalid::new("lines", Code::DeliveryNeedsLines).into());
            }
            let mut ols = lines_of(conn, order_id)?;
            let mut errs = vec![];
            for (i, s) in lines.iter().enumerate() {
                let Some(ol) = ols.iter_mut().find(|l| l.id == s.order_line_id) else {
                    errs.push(Invalid::new(
                        "order_line_id",
                        Msg::new(Code::NotALineOfThisOrder)
                            .arg("line", i + 1)
                            .arg("id", s.order_line_id),
                    ));
                    continue;
                };
                let q = ol.quantities();
                if let Err(e) = rules::check_shipment(&q, s.quantity) {
                    errs.push(Invalid::new(e.field, e.msg.arg("line", i + 1)));
                    continue;
                }
                if let Err(e) = r.check_shelf_life(s.production_date, s.expiry_date, today) {
                    errs.push(Invalid::new(e.field, e.msg.arg("line", i + 1)));
                }
                if s.batch_no.trim().is_empty() {
                    errs.push(Invalid::new(
                        "batch_no",
                        Msg::new(Code::BatchNumberRequired).arg("line", i + 1),
                    ));
                }
                ol.shipped += s.quantity;
            }
            if !errs.is_empty() {
                return Err(StoreError::Invalid(errs));
            }
            let id: i64 = diesel::insert_into(deliveries::table)
                .values((
                    deliveries::order_id.eq(order_id),
                    deliveries::shipper_id.eq(shipper_id),
                    deliveries::idempotency_key.eq(key),
                    deliveries::shipped_at.eq(act.stamp()),
                ))
                .returning(deliveries::id)
                .get_result(conn)?;
            let late = act.stamp() > o.deliver_by;
            for s in lines {
                diesel::insert_into(delivery_lines::table)
                    .values((
                        delivery_lines::delivery_id.eq(id),
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
            let dl: Vec<DeliveryLine> = delivery_lines::table
                .filter(delivery_lines::delivery_id.eq(id))
                .order(delivery_lines::id.asc())
                .select(DeliveryLine::as_select())
                .load(conn)?;
            audit::append(conn, act, "ship", "delivery", id, None::<&()>, Some(&dl))?;
            follow_lines(conn, act, &o)?;
            Ok(Shipped {
                delivery_id: id,
                created: true,
                lines: dl,
            })
        })
    };
    match attempt(conn) {
        // The same key sent twice at once: the second meets the first's row and returns it.
        Err(StoreError::Conflict(_)) if key.is_some() => {
            existing_delivery(conn, order_id, shipper_id, key.expect("checked"))?
                .ok_or_else(|| StoreError::Conflict(Code::DeliveryNotWritten.into()))
        }
        r => r,
    }
}

/// The outcome of confirming a delivered line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    Accepted,
    Rejected(RejectReason),
}

/// The institution confirms one delivered line. Returns false when it was confirmed already
/// (by this or another person): nothing changes. Two confirmations at once count once.
pub fn confirm(
    conn: &mut DbConn,
    act: &Act,
    r: &DeliveryRules,
    delivery_line_id: i64,
    institution_id: i64,
    outcome: Receipt,
    today: NaiveDate,
) -> Result<bool> {
    super::write_tx(conn, |conn| {
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
        let o = locked_order(conn, o.id)?;
        let (word, reason) = match outcome {
            Receipt::Accepted => (ReceiptOutcome::Accepted, None),
            Receipt::Rejected(r) => (ReceiptOutcome::Rejected, Some(r)),
        };
        // Only the first confirmation writes: the condition makes a second one (even at the
        // same moment, on another connection) change nothing.
        let changed = diesel::update(
            delivery_lines::table
                .filter(delivery_lines::id.eq(delivery_line_id))
                .filter(delivery_lines::receipt.is_null()),
        )
        .set((
            delivery_lines::receipt.eq(Some(word)),
            delivery_lines::receipt_reason.eq(reason),
            delivery_lines::confirmed_at.eq(Some(act.stamp())),
            delivery_lines::confirmed_by.eq(Some(&act.actor)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(false);
        }
        let accepted = if outcome == Receipt::Accepted {
            dl.quantity
        } else {
            0
        };
        diesel::update(order_lines::table.find(dl.order_line_id))
            .set((
                order_lines::confirmed.eq(order_lines::confirmed + dl.quantity),
                order_lines::accepted.eq(order_lines::accepted + accepted),
            ))
            .execute(conn)?;
        match outcome {
            Receipt::Accepted => {
                let price: i64 = order_lines::table
                    .find(dl.order_line_id)
                    .select(order_lines::unit_price)
                    .first(conn)?;
                let amount = price
                    .checked_mul(dl.quantity)
                    .ok_or_else(|| Invalid::new("quantity", Code::AmountTooLarge))?;
                diesel::insert_into(payables::table)
                    .values((
                        payables::delivery_line_id.eq(delivery_line_id),
                        payables::institution_id.eq(o.institution_id),
                        payables::supplier_id.eq(o.supplier_id),
                        payables::amount.eq(amount),
                        payables::due_on.eq(today + Duration::days(r.payment_days)),
                    ))
                    .execute(conn)?;
            }
            Receipt::Rejected(why) => credit_event(
                conn,
                act,
                o.supplier_id,
                CreditEventKind::Rejected,
                Some(dl.order_line_id),
                why.as_str(),
            )?,
        }
        audit::append(
            conn,
            act,
            "confirm",
            "delivery_line",
            delivery_line_id,
            None::<&()>,
            Some(&(word, reason)),
        )?;
        let o = order(conn, o.id)?;
        follow_lines(conn, act, &o)?;
        Ok(true)
    })
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

/// The payer marks a payable paid (once).
pub fn mark_paid(conn: &mut DbConn, act: &Act, payable_id: i64, institution_id: i64) -> Result<()> {
    super::write_tx(conn, |conn| {
        let p: Payable = payables::table
            .find(payable_id)
            .select(Payable::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::PayableNotFound.into()))?;
        if p.institution_id != institution_id {
            return Err(StoreError::NotFound(Code::PayableNotFound.into()));
        }
        if p.paid_at.is_some() {
            return Err(Invalid::new("payable", Code::PayableAlreadyPaid).into());
        }
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

/// Orders of these institutions, or of a supplier (as contracted supplier), newest first.
pub fn orders_for(
    conn: &mut DbConn,
    institution_ids: Option<&[i64]>,
    supplier_id: Option<i64>,
) -> Result<Vec<Order>> {
    let mut q = orders::table
        .order(orders::id.desc())
        .select(Order::as_select())
        .into_boxed();
    if let Some(ids) = institution_ids {
        q = q.filter(orders::institution_id.eq_any(ids.to_vec()));
    }
    if let Some(s) = supplier_id {
        q = q.filter(orders::supplier_id.eq(s));
    }
    Ok(q.limit(500).load(conn)?)
}

/// The order, if this supplier may act on it (as contracted supplier or named distributor).
pub fn order_for_supplier(
    conn: &mut DbConn,
    order_id: i64,
    supplier_id: i64,
) -> Result<Option<Order>> {
    let o = match order(conn, order_id) {
        Ok(o) => o,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(may_supply(conn, &o, supplier_id)?.then_some(o))
}

/// The institution a delivered line goes to.
pub fn institution_of_delivery_line(conn: &mut DbConn, id: i64) -> Result<i64> {
    delivery_lines::table
        .inner_join(deliveries::table.inner_join(orders::table))
        .filter(delivery_lines::id.eq(id))
        .select(orders::institution_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::DeliveryLineNotFound.into()))
}

pub fn order_of_delivery_line(conn: &mut DbConn, id: i64) -> Result<i64> {
    delivery_lines::table
        .inner_join(deliveries::table)
        .filter(delivery_lines::id.eq(id))
        .select(deliveries::order_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::DeliveryLineNotFound.into()))
}

pub fn order_of_line(conn: &mut DbConn, line_id: i64) -> Result<i64> {
    order_lines::table
        .find(line_id)
        .select(order_lines::order_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::OrderLineNotFound.into()))
}

// ---------- the bad-faith list ----------

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = super::schema::bad_faith)]
pub struct BadFaith {
    pub id: i64,
    pub supplier_id: i64,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = super::schema::bad_faith_warnings)]
pub struct Warning {
    pub id: i64,
    pub supplier_id: i64,
    pub reason: String,
    pub issued_at: NaiveDateTime,
    pub issued_by: String,
}

/// Center staff warn a supplier, with the reason: the step before the bad-faith list. Not
/// public, bars nothing; a credit event.
pub fn warn_supplier(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    reason: &str,
) -> Result<Warning> {
    use super::schema::bad_faith_warnings as w;
    let reason = crate::domain::required_text("reason", reason, 2000)?;
    super::write_tx(conn, |conn| {
        super::parties::get_supplier(conn, supplier_id)?;
        let id: i64 = diesel::insert_into(w::table)
            .values((
                w::supplier_id.eq(supplier_id),
                w::reason.eq(&reason),
                w::issued_at.eq(act.stamp()),
                w::issued_by.eq(&act.actor),
            ))
            .returning(w::id)
            .get_result(conn)?;
        credit_event(
            conn,
            act,
            supplier_id,
            CreditEventKind::Warning,
            None,
            &reason,
        )?;
        let warning: Warning = w::table.find(id).select(Warning::as_select()).first(conn)?;
        audit::append(
            conn,
            act,
            "warning",
            "supplier",
            supplier_id,
            None::<&()>,
            Some(&warning),
        )?;
        Ok(warning)
    })
}

/// A supplier's warnings, newest first.
pub fn warnings_of(conn: &mut DbConn, supplier_id: i64) -> Result<Vec<Warning>> {
    use super::schema::bad_faith_warnings as w;
    Ok(w::table
        .filter(w::supplier_id.eq(supplier_id))
        .order(w::id.desc())
        .select(Warning::as_select())
        .load(conn)?)
}

/// Center staff put a supplier on the bad-faith list for a period, with the reason: only a
/// supplier warned before (DOMAIN.md: a warning first, then named publicly).
pub fn put_on_bad_faith_list(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    reason: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<BadFaith> {
    use super::schema::bad_faith;
    let reason = crate::domain::required_text("reason", reason, 2000)?;
    if ends_on < starts_on {
        return Err(Invalid::new("ends_on", Code::PeriodEndsBeforeStart).into());
    }
    super::write_tx(conn, |conn| {
        super::parties::get_supplier(conn, supplier_id)?;
        if warnings_of(conn, supplier_id)?.is_empty() {
            return Err(Invalid::new("reason", Code::SupplierNotWarned).into());
        }
        let id: i64 = diesel::insert_into(bad_faith::table)
            .values((
                bad_faith::supplier_id.eq(supplier_id),
                bad_faith::reason.eq(&reason),
                bad_faith::starts_on.eq(starts_on),
                bad_faith::ends_on.eq(ends_on),
                bad_faith::created_at.eq(act.stamp()),
                bad_faith::created_by.eq(&act.actor),
            ))
            .returning(bad_faith::id)
            .get_result(conn)?;
        credit_event(
            conn,
            act,
            supplier_id,
            CreditEventKind::BadFaith,
            None,
            &reason,
        )?;
        let b: BadFaith = bad_faith::table
            .find(id)
            .select(BadFaith::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "bad_faith",
            "supplier",
            supplier_id,
            None::<&()>,
            Some(&b),
        )?;
        Ok(b)
    })
}

/// A supplier's entries, newest first.
pub fn bad_faith_of(conn: &mut DbConn, supplier_id: i64) -> Result<Vec<BadFaith>> {
    use super::schema::bad_faith;
    Ok(bad_faith::table
        .filter(bad_faith::supplier_id.eq(supplier_id))
        .order(bad_faith::id.desc())
        .select(BadFaith::as_select())
        .load(conn)?)
}

/// Is the supplier on the list on this day?
pub fn on_bad_faith_list(conn: &mut DbConn, supplier_id: i64, day: NaiveDate) -> Result<bool> {
    use super::schema::bad_faith;
    let n: i64 = bad_faith::table
        .filter(bad_faith::supplier_id.eq(supplier_id))
        .filter(bad_faith::starts_on.le(day))
        .filter(bad_faith::ends_on.ge(day))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Everyone on the list today, with the supplier's name (the public list).
pub fn bad_faith_today(conn: &mut DbConn, day: NaiveDate) -> Result<Vec<(BadFaith, String)>> {
    use super::schema::{bad_faith, suppliers};
    Ok(bad_faith::table
        .inner_join(suppliers::table)
        .filter(bad_faith::starts_on.le(day))
        .filter(bad_faith::ends_on.ge(day))
        .order(bad_faith::starts_on.desc())
        .select((BadFaith::as_select(), suppliers::name))
        .load(conn)?)
}

/// The lines and delivered lines of many orders, in two queries: (order id → lines, deliveries).
pub fn details_of(
    conn: &mut DbConn,
    order_ids: &[i64],
) -> Result<std::collections::HashMap<i64, (Vec<OrderLine>, Vec<DeliveryLine>)>> {
    let mut out: std::collections::HashMap<i64, (Vec<OrderLine>, Vec<DeliveryLine>)> =
        order_ids.iter().map(|id| (*id, (vec![], vec![]))).collect();
    for chunk in order_ids.chunks(500) {
        let lines: Vec<OrderLine> = order_lines::table
            .filter(order_lines::order_id.eq_any(chunk))
            .order(order_lines::id.asc())
            .select(OrderLine::as_select())
            .load(conn)?;
        for l in lines {
            out.entry(l.order_id).or_default().0.push(l);
        }
        let dls: Vec<(i64, DeliveryLine)> = delivery_lines::table
            .inner_join(deliveries::table)
            .filter(deliveries::order_id.eq_any(chunk))
            .order(delivery_lines::id.asc())
            .select((deliveries::order_id, DeliveryLine::as_select()))
            .load(conn)?;
        for (o, d) in dls {
            out.entry(o).or_default().1.push(d);
        }
    }
    Ok(out)
}
