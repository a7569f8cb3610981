//! Objections to a provisional award. A bidder on the lot lodges one while the objection window
//! is open; center staff answer each, once, before the award becomes final.
//!
//! Who reads them: center staff and regulators every objection with its answer (staff resolve
//! them, regulators oversee); a supplier's user the objections its supplier lodged, with their
//! answers (an objection is the bidder's case against a competitor's bid, between it and the
//! center); experts and institutions none (they take no part in the objection).

use super::super::parties::acting_supplier;
use super::super::{Ctx, Error, Result};
use super::{may_run_tenders, visible_lot};
use crate::domain::roles::{Principal, Role};
use crate::domain::tender_stages;
use crate::domain::Code;
use crate::store::tenders::{self as ts, Objection};

/// Only a supplier's user objects (the store then checks it bid on the lot); its supplier.
pub fn may_lodge(p: &Principal) -> Result<i64> {
    acting_supplier(p, Code::OnlySuppliersObject)
}

/// Which objections the principal reads: `None` all, `Some(s)` supplier `s`'s own; anyone
/// else is refused.
pub fn may_read(p: &Principal) -> Result<Option<i64>> {
    match p.role {
        Role::Center | Role::Regulator => Ok(None),
        Role::Supplier => acting_supplier(p, Code::ObjectionsStaffAndLodgersOnly).map(Some),
        Role::Expert | Role::Institution => {
            Err(Error::Forbidden(Code::ObjectionsStaffAndLodgersOnly.into()))
        }
    }
}

/// Lodges an objection to a lot's provisional award.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn lodge(cx: &Ctx, p: &Principal, lot_id: i64, text: &str) -> Result<Objection> {
    let sid = may_lodge(p)?;
    let text = tender_stages::objection_text(text)?;
    Ok(ts::lodge_objection(
        &mut *cx.conn()?,
        &cx.act(p),
        lot_id,
        sid,
        &text,
    )?)
}

/// Answers an objection; the objection answered.
#[tracing::instrument(skip_all, fields(user = %p.username, objection = id))]
pub fn answer(cx: &Ctx, p: &Principal, id: i64, text: &str) -> Result<Objection> {
    may_run_tenders(p)?;
    let text = tender_stages::answer_text(text)?;
    let mut c = cx.conn()?;
    ts::answer_objection(&mut c, &cx.act(p), id, &text)?;
    Ok(ts::objections_of_id(&mut c, id)?)
}

/// The objections to a lot the principal may read, oldest first (a lot of a tender it may not
/// see does not exist for it).
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn of_lot(cx: &Ctx, p: &Principal, lot_id: i64) -> Result<Vec<Objection>> {
    let only = may_read(p)?;
    visible_lot(cx, p, lot_id)?;
    Ok(ts::objections_of_lot(&mut *cx.conn()?, lot_id, only)?)
}

/// The objections to a tender's lots the principal may read (none for those who read none).
pub fn of_tender(cx: &Ctx, p: &Principal, tender_id: i64) -> Result<Vec<Objection>> {
    let Ok(only) = may_read(p) else {
        return Ok(vec![]);
    };
    let all = ts::objections_of(&mut *cx.conn()?, tender_id)?;
    Ok(all
        .into_iter()
        .filter(|o| only.is_none_or(|s| o.supplier_id == s))
        .collect())
}
