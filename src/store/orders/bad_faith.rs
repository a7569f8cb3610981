//! Warnings and the bad-faith list (a warning first, then named publicly).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::super::{audit, Act, DbConn, Result};
use super::credit_event;
use crate::domain::orders::CreditEventKind;

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = super::super::schema::bad_faith)]
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
#[diesel(table_name = super::super::schema::bad_faith_warnings)]
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
    use super::super::schema::bad_faith_warnings as w;
    let reason = crate::domain::required_text("reason", reason, 2000)?;
    super::super::write_tx(conn, |conn| {
        super::super::parties::get_supplier(conn, supplier_id)?;
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
    use super::super::schema::bad_faith_warnings as w;
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
    use super::super::schema::bad_faith;
    let reason = crate::domain::orders::bad_faith_entry(reason, starts_on, ends_on)?;
    super::super::write_tx(conn, |conn| {
        super::super::parties::get_supplier(conn, supplier_id)?;
        crate::domain::orders::check_warned(warnings_of(conn, supplier_id)?.len())?;
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
    use super::super::schema::bad_faith;
    Ok(bad_faith::table
        .filter(bad_faith::supplier_id.eq(supplier_id))
        .order(bad_faith::id.desc())
        .select(BadFaith::as_select())
        .load(conn)?)
}

/// Is the supplier on the list on this day?
pub fn on_bad_faith_list(conn: &mut DbConn, supplier_id: i64, day: NaiveDate) -> Result<bool> {
    use super::super::schema::bad_faith;
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
    use super::super::schema::{bad_faith, suppliers};
    Ok(bad_faith::table
        .inner_join(suppliers::table)
        .filter(bad_faith::starts_on.le(day))
        .filter(bad_faith::ends_on.ge(day))
        .order(bad_faith::starts_on.desc())
        .select((BadFaith::as_select(), suppliers::name))
        .load(conn)?)
}
