//! What the home pages' to-do lists read: one query per kind of waiting record. Who may see
//! which is the caller's (`app::todo`): each query takes the institutions or the supplier to
//! read for.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orders::Order;
use super::schema::{
    bids, deliveries, delivery_lines, lots, objections, order_lines, orders, outbox,
    shortage_reports, tenders,
};
use super::{DbConn, MultiBackend, Result};
use crate::domain::award::PolicyKind;
use crate::domain::mail::MailStatus;
use crate::domain::orders::OrderState;
use crate::domain::tender::{BidStatus, TechnicalResult, TenderState};

/// Orders in one of `states`, of these institutions or of this supplier (none: all), their
/// delivery deadline soonest first.
pub fn orders_in(
    conn: &mut DbConn,
    states: &[OrderState],
    institutions: Option<&[i64]>,
    supplier: Option<i64>,
) -> Result<Vec<Order>> {
    let mut q = orders::table
        .filter(orders::state.eq_any(states.to_vec()))
        .select(Order::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(ids) = institutions {
        q = q.filter(orders::institution_id.eq_any(ids.to_vec()));
    }
    if let Some(s) = supplier {
        q = q.filter(orders::supplier_id.eq(s));
    }
    Ok(q.order((orders::deliver_by.asc(), orders::id.asc()))
        .load(conn)?)
}

/// Deliveries with a line not yet confirmed, to these institutions (none: all): `(delivery,
/// order, shipped at)`, oldest first.
pub fn deliveries_to_confirm(
    conn: &mut DbConn,
    institutions: Option<&[i64]>,
) -> Result<Vec<(i64, i64, NaiveDateTime)>> {
    let mut q = delivery_lines::table
        .inner_join(deliveries::table.inner_join(orders::table))
        .filter(delivery_lines::confirmed_at.is_null())
        .filter(orders::state.ne(OrderState::Cancelled))
        .select((deliveries::id, deliveries::order_id, deliveries::shipped_at))
        .distinct()
        .into_boxed::<MultiBackend>();
    if let Some(ids) = institutions {
        q = q.filter(orders::institution_id.eq_any(ids.to_vec()));
    }
    Ok(
        q.order((deliveries::shipped_at.asc(), deliveries::id.asc()))
            .load(conn)?,
    )
}

/// Lines of this supplier's orders submitted since `since` that it declined.
pub fn declined_lines(conn: &mut DbConn, supplier: i64, since: NaiveDateTime) -> Result<i64> {
    Ok(order_lines::table
        .inner_join(orders::table)
        .filter(orders::supplier_id.eq(supplier))
        .filter(orders::submitted_at.ge(since))
        .filter(order_lines::declined_reason.is_not_null())
        .count()
        .get_result(conn)?)
}

/// Delivery lines of this supplier's orders shipped since `since` after their deadline.
pub fn late_lines(conn: &mut DbConn, supplier: i64, since: NaiveDateTime) -> Result<i64> {
    Ok(delivery_lines::table
        .inner_join(deliveries::table.inner_join(orders::table))
        .filter(orders::supplier_id.eq(supplier))
        .filter(deliveries::shipped_at.ge(since))
        .filter(delivery_lines::late.eq(true))
        .count()
        .get_result(conn)?)
}

/// Unanswered objections per tender: `(tender, count)`.
pub fn unanswered_objections(conn: &mut DbConn) -> Result<Vec<(i64, i64)>> {
    let ids: Vec<i64> = objections::table
        .filter(objections::answer.is_null())
        .order(objections::tender_id.asc())
        .select(objections::tender_id)
        .load(conn)?;
    let mut out: Vec<(i64, i64)> = vec![];
    for id in ids {
        match out.last_mut() {
            Some((t, n)) if *t == id => *n += 1,
            _ => out.push((id, 1)),
        }
    }
    Ok(out)
}

/// Messages of the outbox in this status.
pub fn count_mail(conn: &mut DbConn, status: MailStatus) -> Result<i64> {
    Ok(outbox::table
        .filter(outbox::status.eq(status))
        .count()
        .get_result(conn)?)
}

/// Shortage reports of these institutions, not withdrawn, made since `since`.
pub fn open_reports(conn: &mut DbConn, institutions: &[i64], since: NaiveDateTime) -> Result<i64> {
    Ok(shortage_reports::table
        .filter(shortage_reports::institution_id.eq_any(institutions.to_vec()))
        .filter(shortage_reports::withdrawn_at.is_null())
        .filter(shortage_reports::reported_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Composite-score lots of tenders whose technical envelopes are open with a qualified bid not
/// yet scored: `(tender, title, lots)`, per tender (the rule `publish_technical` waits for).
pub fn lots_to_score(conn: &mut DbConn) -> Result<Vec<(i64, String, i64)>> {
    let rows: Vec<(i64, String, i64)> = bids::table
        .inner_join(lots::table.inner_join(tenders::table))
        .filter(tenders::state.eq(TenderState::TechnicalOpened))
        .filter(lots::policy.eq(PolicyKind::CompositeScore))
        .filter(bids::status.eq(BidStatus::Active))
        .filter(bids::technical_result.eq(TechnicalResult::Passed))
        .filter(bids::technical_score.is_null())
        .select((tenders::id, tenders::title, lots::id))
        .distinct()
        .order((tenders::id.asc(), lots::id.asc()))
        .load(conn)?;
    let mut out: Vec<(i64, String, i64)> = vec![];
    for (t, title, _) in rows {
        match out.last_mut() {
            Some((id, _, n)) if *id == t => *n += 1,
            _ => out.push((t, title, 1)),
        }
    }
    Ok(out)
}
