//! Orders, deliveries, receipt confirmation and payables. Prices come from the contract and
//! are never taken from the caller; quantities are checked against what was ordered; every
//! step writes its audit record in the same transaction. The rules (states, quantities,
//! shelf life, payables) are `domain::orders`'; this module reads and writes.
//!
//! Here: the rows, reading orders, writing a new one; the steps of an order (acknowledge,
//! decline, cancel, ship, confirm, pay) in [`steps`]; the bad-faith list in [`bad_faith`].

#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

mod bad_faith;
mod steps;

pub use bad_faith::*;
pub use steps::*;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    contract_distributors, credit_events, deliveries, delivery_lines, institutions, order_lines,
    orders, payables, regions,
};
use super::{audit, Act, DbConn, Result, StoreError};
use crate::domain::catalog::RegionLevel;
use crate::domain::orders::{
    self as rules, CreditEventKind, DeclineReason, LineQuantities, OrderState, ReceiptOutcome,
    RejectReason,
};
use crate::domain::paging::{Page, PageRequest};
use crate::domain::Code;

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
    /// Units accepted on receipt (0 until confirmed).
    pub accepted: i64,
    /// Units rejected on receipt, for `receipt_reason` (0 until confirmed).
    pub rejected: i64,
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

/// A page of the orders of these institutions (all when `None`) with this supplier (any when
/// `None`), newest first, only those in `state` when it is given.
pub fn orders_page(
    conn: &mut DbConn,
    institution_ids: Option<&[i64]>,
    supplier_id: Option<i64>,
    state: Option<OrderState>,
    page: &PageRequest,
) -> Result<Page<Order>> {
    let build = || {
        let mut q = orders::table.into_boxed::<super::MultiBackend>();
        if let Some(ids) = institution_ids {
            q = q.filter(orders::institution_id.eq_any(ids.to_vec()));
        }
        if let Some(s) = supplier_id {
            q = q.filter(orders::supplier_id.eq(s));
        }
        if let Some(s) = state {
            q = q.filter(orders::state.eq(s));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order(orders::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Order::as_select())
        .load(conn)?;
    Ok(page.of(items, total))
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

/// A drug as a page names it: generic name (Chinese, and the INN for English readers), dosage
/// form, strength.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct DrugName {
    pub code: String,
    pub name_zh: String,
    pub inn: String,
    pub form: String,
    pub strength: String,
    pub unit: String,
}

impl DrugName {
    /// "阿莫西林 胶囊剂 0.25g" (zh) or "amoxicillin capsule 0.25g" (en; the Chinese name when
    /// the drug has no INN).
    pub fn label(&self, zh: bool) -> String {
        let name = if zh || self.inn.trim().is_empty() {
            &self.name_zh
        } else {
            &self.inn
        };
        [name.as_str(), self.form.as_str(), self.strength.as_str()]
            .iter()
            .filter(|s| !s.trim().is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What an order list or page names an order by: its institution, its supplier, the drug of
/// each line (in line order), and its amount (1/10,000 yuan: quantity × price of the lines not
/// declined, saturating).
#[derive(Debug, Clone, Default)]
pub struct OrderNames {
    pub institution: String,
    pub supplier: String,
    /// (order line id, its drug), in line order.
    pub drugs: Vec<(i64, DrugName)>,
    pub amount: i64,
}

/// The names of these orders (see [`OrderNames`]): three queries per 500 orders.
pub fn order_names(
    conn: &mut DbConn,
    order_ids: &[i64],
) -> Result<std::collections::HashMap<i64, OrderNames>> {
    use super::schema::{drugs, products, suppliers};
    let mut out: std::collections::HashMap<i64, OrderNames> = std::collections::HashMap::new();
    for chunk in order_ids.chunks(500) {
        let heads: Vec<(i64, String, String)> = orders::table
            .inner_join(institutions::table)
            .inner_join(suppliers::table.on(suppliers::id.eq(orders::supplier_id)))
            .filter(orders::id.eq_any(chunk))
            .select((orders::id, institutions::name, suppliers::name))
            .load(conn)?;
        for (id, inst, sup) in heads {
            let n = out.entry(id).or_default();
            n.institution = inst;
            n.supplier = sup;
        }
        let rows: Vec<(i64, i64, i64, i64, bool, DrugName)> = order_lines::table
            .inner_join(products::table.inner_join(drugs::table))
            .filter(order_lines::order_id.eq_any(chunk))
            .order(order_lines::id.asc())
            .select((
                order_lines::order_id,
                order_lines::id,
                order_lines::quantity,
                order_lines::unit_price,
                order_lines::declined_reason.is_null(),
                (
                    drugs::code,
                    drugs::name_zh,
                    drugs::inn,
                    drugs::dosage_form,
                    drugs::strength,
                    drugs::unit,
                ),
            ))
            .load::<(
                i64,
                i64,
                i64,
                i64,
                bool,
                (String, String, String, String, String, String),
            )>(conn)?
            .into_iter()
            .map(
                |(o, l, q, p, open, (code, name_zh, inn, form, strength, unit))| {
                    (
                        o,
                        l,
                        q,
                        p,
                        open,
                        DrugName {
                            code,
                            name_zh,
                            inn,
                            form,
                            strength,
                            unit,
                        },
                    )
                },
            )
            .collect();
        for (o, l, q, p, open, d) in rows {
            let n = out.entry(o).or_default();
            if open {
                n.amount = n.amount.saturating_add(q.saturating_mul(p));
            }
            n.drugs.push((l, d));
        }
    }
    Ok(out)
}

/// One delivery note of one order; any other id is "not found".
pub fn delivery_of_order(conn: &mut DbConn, order_id: i64, delivery_id: i64) -> Result<Delivery> {
    deliveries::table
        .find(delivery_id)
        .filter(deliveries::order_id.eq(order_id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(
                crate::domain::Msg::new(Code::DeliveryNoteNotFound).arg("id", delivery_id),
            )
        })
}

/// A supplier's name (empty when there is none of that id).
pub fn supplier_name(conn: &mut DbConn, supplier_id: i64) -> Result<String> {
    use super::schema::suppliers;
    Ok(suppliers::table
        .find(supplier_id)
        .select(suppliers::name)
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// The payables of these delivery lines: delivery line id → payable.
pub fn payables_of_lines(
    conn: &mut DbConn,
    delivery_line_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Payable>> {
    let mut out = std::collections::HashMap::new();
    for chunk in delivery_line_ids.chunks(500) {
        let ps: Vec<Payable> = payables::table
            .filter(payables::delivery_line_id.eq_any(chunk))
            .select(Payable::as_select())
            .load(conn)?;
        out.extend(ps.into_iter().map(|p| (p.delivery_line_id, p)));
    }
    Ok(out)
}

/// Where each of these delivery lines belongs: delivery line id → (order, delivery note, order
/// line, units accepted).
pub fn delivery_line_places(
    conn: &mut DbConn,
    delivery_line_ids: &[i64],
) -> Result<std::collections::HashMap<i64, (i64, i64, i64, i64)>> {
    let mut out = std::collections::HashMap::new();
    for chunk in delivery_line_ids.chunks(500) {
        let rows: Vec<(i64, i64, i64, i64, i64)> = delivery_lines::table
            .inner_join(deliveries::table)
            .filter(delivery_lines::id.eq_any(chunk))
            .select((
                delivery_lines::id,
                deliveries::order_id,
                deliveries::id,
                delivery_lines::order_line_id,
                delivery_lines::accepted,
            ))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(d, o, n, l, a)| (d, (o, n, l, a))));
    }
    Ok(out)
}
