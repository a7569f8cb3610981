//! Orders, deliveries, receipts and payables: who may see an order, place, acknowledge, cancel,
//! decline, ship, confirm and pay — each rule once, for the pages, the API and the jobs alike.

use super::ordering::{place_basket, BasketLine, Placed};
use super::parties::{self, acting_supplier};
use super::{Ctx, Error, Result};
use crate::domain::orders::OrderState;
use crate::domain::paging::{Page, PageRequest};
use crate::domain::roles::{Principal, Role, Scope};
use crate::domain::Code;
use crate::store::orders::{
    self as os, Delivery, DeliveryLine, DeliveryNote, Order, OrderLine, Payable, Receipt, ShipLine,
    Shipped,
};
use crate::store::DbConn;
use std::collections::HashMap;

/// An order with its lines and delivery lines.
pub struct OrderView {
    pub order: Order,
    pub lines: Vec<OrderLine>,
    pub deliveries: Vec<DeliveryLine>,
    /// The principal is a supplier's user who may supply it (its own or as named distributor).
    pub may_supply: bool,
    /// The drug of each line: line id → (code, Chinese name, strength).
    pub drugs: std::collections::HashMap<i64, (String, String, String)>,
    /// The institution, supplier, drugs and amount the pages name the order by.
    pub names: os::OrderNames,
    /// The order's delivery notes, oldest first.
    pub notes: Vec<Delivery>,
}

/// Which orders a principal sees: staff and regulators all; an institution's user those of its
/// institution and village clinics; a supplier's user its own and those it delivers as named
/// distributor; an expert none.
fn may_see(conn: &mut DbConn, p: &Principal, o: &Order) -> Result<bool> {
    Ok(match p.role {
        Role::Center | Role::Regulator => true,
        Role::Institution => parties::acting_scope(conn, p)?.allows(o.institution_id),
        Role::Supplier => match p.supplier_id {
            Some(s) => o.supplier_id == s || os::order_for_supplier(conn, o.id, s)?.is_some(),
            None => false,
        },
        Role::Expert => false,
    })
}

/// An order the principal may see; any other does not exist for it.
#[tracing::instrument(skip_all, fields(user = %p.username, order = id))]
pub fn order(cx: &Ctx, p: &Principal, id: i64) -> Result<OrderView> {
    let mut c = cx.conn()?;
    let order = os::order(&mut c, id)?;
    if !may_see(&mut c, p, &order)? {
        return Err(Error::NotFound(Code::OrderNotFound.into()));
    }
    let may_supply = match (p.role, p.supplier_id) {
        (Role::Supplier, Some(s)) => os::order_for_supplier(&mut c, id, s)?.is_some(),
        _ => false,
    };
    Ok(OrderView {
        drugs: os::line_drugs(&mut c, &[id])?,
        names: os::order_names(&mut c, &[id])?
            .remove(&id)
            .unwrap_or_default(),
        notes: os::deliveries_of(&mut c, id)?,
        lines: os::lines_of(&mut c, id)?,
        deliveries: os::delivery_lines_of(&mut c, id)?,
        order,
        may_supply,
    })
}

/// The orders a principal sees, newest first: `(institutions, supplier)` to filter by.
pub fn order_filter(conn: &mut DbConn, p: &Principal) -> Result<(Option<Vec<i64>>, Option<i64>)> {
    match p.role {
        Role::Center | Role::Regulator => Ok((None, None)),
        Role::Institution => match parties::acting_scope(conn, p)? {
            Scope::Only(ids) => Ok((Some(ids), None)),
            Scope::All => Ok((None, None)),
        },
        Role::Supplier => Ok((None, Some(acting_supplier(p, Code::SupplierUsersOnly)?))),
        Role::Expert => Err(Error::forbidden()),
    }
}

/// A page of the orders a principal sees (as [`order_filter`]), newest first, only those in
/// `state` when it is given; with the names the list shows them by.
pub fn order_page(
    cx: &Ctx,
    p: &Principal,
    state: Option<OrderState>,
    page: &PageRequest,
) -> Result<(Page<Order>, HashMap<i64, os::OrderNames>)> {
    let mut c = cx.conn()?;
    let (insts, supplier) = order_filter(&mut c, p)?;
    let found = os::orders_page(&mut c, insts.as_deref(), supplier, state, page)?;
    let ids: Vec<i64> = found.items.iter().map(|o| o.id).collect();
    let names = os::order_names(&mut c, &ids)?;
    Ok((found, names))
}

/// What an institution orders: a basket of drugs, for itself or (a township center) for one of
/// its village clinics.
pub struct PlaceOrder {
    pub institution_id: Option<i64>,
    pub urgent: bool,
    pub lines: Vec<BasketLine>,
}

/// The institution an institution's user orders for: itself, or one in its scope (a township
/// center's village clinic); anyone else is refused.
fn ordering_institution(conn: &mut DbConn, p: &Principal, asked: Option<i64>) -> Result<i64> {
    if p.role != Role::Institution {
        return Err(Error::Forbidden(Code::OnlyInstitutionsOrder.into()));
    }
    let inst = asked.or(p.institution_id).ok_or_else(Error::forbidden)?;
    if !parties::acting_scope(conn, p)?.allows(inst) {
        return Err(Error::Forbidden(Code::OrderOutsideScope.into()));
    }
    Ok(inst)
}

/// Places a basket: only an institution's user, for an institution in its scope; each line
/// under the arrangement serving that institution's county today, at its price; one order per
/// supplier (see [`super::ordering`]).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn place(cx: &Ctx, p: &Principal, cmd: &PlaceOrder) -> Result<Vec<Placed>> {
    let mut c = cx.conn()?;
    let inst = ordering_institution(&mut c, p, cmd.institution_id)?;
    Ok(place_basket(
        &mut c,
        &cx.act(p),
        &cx.config.delivery,
        inst,
        cmd.urgent,
        &cmd.lines,
        cx.today(),
    )?)
}

/// What an institution's user may pick on the order form: the drugs some arrangement in force
/// supplies to its county today, as (code, name, strength).
pub fn orderable_drugs(cx: &Ctx, p: &Principal) -> Result<Vec<(String, String, String)>> {
    let mut c = cx.conn()?;
    let inst = ordering_institution(&mut c, p, None)?;
    let county = crate::store::regions::county_of_institution(&mut c, inst)?;
    Ok(
        crate::store::supply::drugs_arranged_for(&mut c, county, cx.today())?
            .into_iter()
            .map(|(_, code, name, strength)| (code, name, strength))
            .collect(),
    )
}

/// An order's delivery notes with their lines, for whoever may see the order.
#[tracing::instrument(skip_all, fields(user = %p.username, order = id))]
pub fn deliveries(cx: &Ctx, p: &Principal, id: i64) -> Result<Vec<(Delivery, Vec<DeliveryLine>)>> {
    let v = order(cx, p, id)?;
    let notes = os::deliveries_of(&mut *cx.conn()?, id)?;
    Ok(notes
        .into_iter()
        .map(|d| {
            let lines = v
                .deliveries
                .iter()
                .filter(|l| l.delivery_id == d.id)
                .cloned()
                .collect();
            (d, lines)
        })
        .collect())
}

/// The supplier (or its named distributor) acknowledges an order.
#[tracing::instrument(skip_all, fields(user = %p.username, order = id))]
pub fn acknowledge(cx: &Ctx, p: &Principal, id: i64) -> Result<Order> {
    let sid = acting_supplier(p, Code::SupplierUsersOnly)?;
    Ok(os::acknowledge(&mut *cx.conn()?, &cx.act(p), id, sid)?)
}

/// The ordering institution cancels an order before it ships.
#[tracing::instrument(skip_all, fields(user = %p.username, order = id))]
pub fn cancel(cx: &Ctx, p: &Principal, id: i64) -> Result<()> {
    if p.role != Role::Institution {
        return Err(Error::Forbidden(Code::OnlyOrdererCancels.into()));
    }
    let mut c = cx.conn()?;
    let o = os::order(&mut c, id)?;
    if !may_see(&mut c, p, &o)? {
        return Err(Error::NotFound(Code::OrderNotFound.into()));
    }
    Ok(os::cancel(&mut c, &cx.act(p), id)?)
}

/// The supplier declines a line (out of stock is a shortage signal); the order's id.
#[tracing::instrument(skip_all, fields(user = %p.username, line = line_id))]
pub fn decline(
    cx: &Ctx,
    p: &Principal,
    line_id: i64,
    reason: crate::domain::orders::DeclineReason,
    note: &str,
) -> Result<i64> {
    let sid = acting_supplier(p, Code::SupplierUsersOnly)?;
    let note = crate::domain::optional_text("note", note, 1000)?.unwrap_or_default();
    let mut c = cx.conn()?;
    os::decline_line(&mut c, &cx.act(p), line_id, sid, reason, &note)?;
    Ok(os::order_of_line(&mut c, line_id)?)
}

/// The supplier ships (part of) an order with a delivery note; a repeated idempotency key
/// returns the first delivery.
#[tracing::instrument(skip_all, fields(user = %p.username, order = order_id))]
pub fn ship(
    cx: &Ctx,
    p: &Principal,
    order_id: i64,
    lines: &[ShipLine],
    idempotency_key: Option<&str>,
) -> Result<Shipped> {
    let sid = acting_supplier(p, Code::SupplierUsersOnly)?;
    let note = DeliveryNote {
        order_id,
        shipper_id: sid,
        idempotency_key,
        lines,
    };
    Ok(os::ship(
        &mut *cx.conn()?,
        &cx.act(p),
        &cx.config.delivery,
        &note,
        cx.today(),
    )?)
}

/// The receiving institution (or its township center) confirms a delivery line: whether it
/// changed anything (confirming twice does not) and the order's id.
#[tracing::instrument(skip_all, fields(user = %p.username, delivery_line = id))]
pub fn confirm(cx: &Ctx, p: &Principal, id: i64, outcome: Receipt) -> Result<(bool, i64)> {
    if p.role != Role::Institution {
        return Err(Error::Forbidden(Code::OnlyReceiverConfirms.into()));
    }
    let mut c = cx.conn()?;
    let inst = os::institution_of_delivery_line(&mut c, id)?;
    if !parties::acting_scope(&mut c, p)?.allows(inst) {
        return Err(Error::NotFound(Code::DeliveryLineNotFound.into()));
    }
    let changed = os::confirm(
        &mut c,
        &cx.act(p),
        &cx.config.delivery,
        id,
        inst,
        outcome,
        cx.today(),
    )?;
    Ok((changed, os::order_of_delivery_line(&mut c, id)?))
}

/// A delivery note (随货同行单) as printed and checked against the boxes: the order and its
/// names, the note, its lines, who shipped it, and whether the principal may confirm receipt.
pub struct NoteView {
    pub order: Order,
    pub names: os::OrderNames,
    pub note: Delivery,
    pub lines: Vec<DeliveryLine>,
    /// Each line's order line (its price and ordered quantity): order line id → line.
    pub order_lines: std::collections::HashMap<i64, OrderLine>,
    /// The company that shipped it (the supplier, or its named distributor).
    pub shipper: String,
    /// The principal is a user of the receiving institution (or its township center).
    pub may_confirm: bool,
    /// The payable each accepted line made: delivery line id → payable.
    pub payables: std::collections::HashMap<i64, Payable>,
}

/// One delivery note of an order, for whoever may see the order (the institution and its
/// township center, the supplier and its named distributor, center staff and regulators); an
/// expert is refused, anyone else finds nothing.
#[tracing::instrument(skip_all, fields(user = %p.username, order = order_id, note = note_id))]
pub fn delivery_note(cx: &Ctx, p: &Principal, order_id: i64, note_id: i64) -> Result<NoteView> {
    if p.role == Role::Expert {
        return Err(Error::forbidden());
    }
    let mut c = cx.conn()?;
    let order = os::order(&mut c, order_id)?;
    if !may_see(&mut c, p, &order)? {
        return Err(Error::NotFound(Code::OrderNotFound.into()));
    }
    let note = os::delivery_of_order(&mut c, order_id, note_id)?;
    let lines: Vec<DeliveryLine> = os::delivery_lines_of(&mut c, order_id)?
        .into_iter()
        .filter(|l| l.delivery_id == note_id)
        .collect();
    Ok(NoteView {
        names: os::order_names(&mut c, &[order_id])?
            .remove(&order_id)
            .unwrap_or_default(),
        order_lines: os::lines_of(&mut c, order_id)?
            .into_iter()
            .map(|l| (l.id, l))
            .collect(),
        shipper: os::supplier_name(&mut c, note.shipper_id)?,
        payables: os::payables_of_lines(&mut c, &lines.iter().map(|l| l.id).collect::<Vec<_>>())?,
        may_confirm: p.role == Role::Institution,
        order,
        note,
        lines,
    })
}

/// The receiving institution (or its township center) accepts every line of a delivery note
/// not confirmed yet, all in one step: how many lines it confirmed.
#[tracing::instrument(skip_all, fields(user = %p.username, order = order_id, note = note_id))]
pub fn accept_note(cx: &Ctx, p: &Principal, order_id: i64, note_id: i64) -> Result<usize> {
    if p.role != Role::Institution {
        return Err(Error::Forbidden(Code::OnlyReceiverConfirms.into()));
    }
    let mut c = cx.conn()?;
    let o = os::order(&mut c, order_id)?;
    if !parties::acting_scope(&mut c, p)?.allows(o.institution_id) {
        return Err(Error::NotFound(Code::OrderNotFound.into()));
    }
    os::delivery_of_order(&mut c, order_id, note_id)?;
    Ok(os::accept_note(
        &mut c,
        &cx.act(p),
        &cx.config.delivery,
        note_id,
        o.institution_id,
        cx.today(),
    )?)
}

/// Whose payables a principal sees: `(institution, supplier)` to filter by (an institution's
/// own, a supplier's own, all for staff and regulators).
fn payable_filter(p: &Principal) -> Result<(Option<i64>, Option<i64>)> {
    match p.role {
        Role::Center | Role::Regulator => Ok((None, None)),
        Role::Institution => Ok((Some(p.institution_id.ok_or_else(Error::forbidden)?), None)),
        Role::Supplier => Ok((None, Some(acting_supplier(p, Code::SupplierUsersOnly)?))),
        Role::Expert => Err(Error::forbidden()),
    }
}

/// The payables a principal sees (see [`payable_filter`]).
pub fn payables(cx: &Ctx, p: &Principal) -> Result<Vec<Payable>> {
    let (inst, sup) = payable_filter(p)?;
    Ok(os::payables_of(&mut *cx.conn()?, inst, sup)?)
}

/// A payable as its page names it: the order, its delivery note, the drug, the institution and
/// the supplier, the units accepted.
pub struct NamedPayable {
    pub payable: Payable,
    pub order_id: i64,
    pub note_id: i64,
    pub accepted: i64,
    pub drug: os::DrugName,
    pub institution: String,
    pub supplier: String,
}

/// A page of the payables a principal sees (as [`payables`]), by the day they are due, only
/// the unpaid ones due or overdue on `today` when `unpaid` is given; with their names.
pub fn named_payables(
    cx: &Ctx,
    p: &Principal,
    unpaid: Option<(os::Unpaid, chrono::NaiveDate)>,
    page: &PageRequest,
) -> Result<Page<NamedPayable>> {
    let (inst, sup) = payable_filter(p)?;
    let mut c = cx.conn()?;
    let found = os::payables_page(&mut c, inst, sup, unpaid, page)?;
    let items = named(&mut c, found.items)?;
    Ok(Page {
        items,
        page: found.page,
        per_page: found.per_page,
        total: found.total,
    })
}

/// These payables with their names.
fn named(c: &mut DbConn, ps: Vec<Payable>) -> Result<Vec<NamedPayable>> {
    let places = os::delivery_line_places(
        c,
        &ps.iter().map(|p| p.delivery_line_id).collect::<Vec<_>>(),
    )?;
    let mut order_ids: Vec<i64> = places.values().map(|v| v.0).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let names = os::order_names(c, &order_ids)?;
    Ok(ps
        .into_iter()
        .map(|p| {
            let (order_id, note_id, line, accepted) =
                places.get(&p.delivery_line_id).copied().unwrap_or_default();
            let n = names.get(&order_id);
            NamedPayable {
                order_id,
                note_id,
                accepted,
                drug: n
                    .and_then(|n| n.drugs.iter().find(|(l, _)| *l == line))
                    .map(|(_, d)| d.clone())
                    .unwrap_or_default(),
                institution: n.map(|n| n.institution.clone()).unwrap_or_default(),
                supplier: n.map(|n| n.supplier.clone()).unwrap_or_default(),
                payable: p,
            }
        })
        .collect())
}

/// The paying institution marks a payable paid.
#[tracing::instrument(skip_all, fields(user = %p.username, payable = id))]
pub fn mark_paid(cx: &Ctx, p: &Principal, id: i64) -> Result<()> {
    let inst = match (p.role, p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::Forbidden(Code::OnlyPayerMarksPaid.into())),
    };
    Ok(os::mark_paid(&mut *cx.conn()?, &cx.act(p), id, inst)?)
}
