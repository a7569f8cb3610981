//! Institutions' shortage reports and suppliers' supply interruptions.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::domain::shortage::{check_period, must_exist};
use crate::domain::{Code, Msg};
use crate::store::schema::{drugs, shortage_reports, supply_interruptions};
use crate::store::{audit, write_tx, Act, DbConn, MultiBackend, Result, StoreError};

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = shortage_reports)]
pub struct Report {
    pub id: i64,
    pub institution_id: i64,
    pub drug_id: i64,
    pub county_id: i64,
    pub note: String,
    pub reported_at: NaiveDateTime,
    pub reported_by: String,
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// An institution reports a drug short: a signal of the scan for its county.
pub fn report(
    conn: &mut DbConn,
    act: &Act,
    institution_id: i64,
    drug_id: i64,
    note: &str,
) -> Result<Report> {
    let note = crate::domain::optional_text("note", note, 2000)?.unwrap_or_default();
    write_tx(conn, |conn| {
        drug_exists(conn, drug_id)?;
        let county = crate::store::regions::county_of_institution(conn, institution_id)?;
        let id: i64 = diesel::insert_into(shortage_reports::table)
            .values((
                shortage_reports::institution_id.eq(institution_id),
                shortage_reports::drug_id.eq(drug_id),
                shortage_reports::county_id.eq(county),
                shortage_reports::note.eq(note),
                shortage_reports::reported_at.eq(act.stamp()),
                shortage_reports::reported_by.eq(&act.actor),
            ))
            .returning(shortage_reports::id)
            .get_result(conn)?;
        let r: Report = shortage_reports::table
            .find(id)
            .select(Report::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "report",
            "shortage_report",
            id,
            None::<&()>,
            Some(&r),
        )?;
        Ok(r)
    })
}

/// Reports, newest first: one institution's, or all.
/// Reports, newest first, each with its drug's code and Chinese name.
pub fn reports(
    conn: &mut DbConn,
    institution_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Report, String, String)>> {
    let mut q = shortage_reports::table
        .inner_join(drugs::table)
        .select((Report::as_select(), drugs::code, drugs::name_zh))
        .into_boxed::<MultiBackend>();
    if let Some(i) = institution_id {
        q = q.filter(shortage_reports::institution_id.eq(i));
    }
    Ok(q.order(shortage_reports::id.desc())
        .limit(limit)
        .load(conn)?)
}

fn drug_exists(conn: &mut DbConn, drug_id: i64) -> Result<()> {
    let found = drugs::table
        .find(drug_id)
        .select(drugs::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(must_exist(
        found.is_some(),
        "drug_id",
        Code::NoDrugWithId,
        drug_id,
    )?)
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = supply_interruptions)]
pub struct Interruption {
    pub id: i64,
    pub supplier_id: i64,
    pub drug_id: i64,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub declared_at: NaiveDateTime,
    pub declared_by: String,
}

/// A supplier declares it cannot supply a drug from `starts_on` (until `ends_on`, or until
/// further notice).
pub fn declare_interruption(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    drug_id: i64,
    reason: &str,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
) -> Result<Interruption> {
    let reason = crate::domain::required_text("reason", reason, 2000)?;
    check_period(starts_on, ends_on)?;
    write_tx(conn, |conn| {
        drug_exists(conn, drug_id)?;
        let id: i64 = diesel::insert_into(supply_interruptions::table)
            .values((
                supply_interruptions::supplier_id.eq(supplier_id),
                supply_interruptions::drug_id.eq(drug_id),
                supply_interruptions::reason.eq(&reason),
                supply_interruptions::starts_on.eq(starts_on),
                supply_interruptions::ends_on.eq(ends_on),
                supply_interruptions::declared_at.eq(act.stamp()),
                supply_interruptions::declared_by.eq(&act.actor),
            ))
            .returning(supply_interruptions::id)
            .get_result(conn)?;
        let r: Interruption = supply_interruptions::table
            .find(id)
            .select(Interruption::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "declare",
            "supply_interruption",
            id,
            None::<&()>,
            Some(&r),
        )?;
        Ok(r)
    })
}

/// A supplier ends its interruption (from `on`).
pub fn end_interruption(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    id: i64,
    on: NaiveDate,
) -> Result<Interruption> {
    write_tx(conn, |conn| {
        let before: Interruption = supply_interruptions::table
            .find(id)
            .filter(supply_interruptions::supplier_id.eq(supplier_id))
            .select(Interruption::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(Msg::new(Code::InterruptionNotFound).arg("id", id))
            })?;
        let end = on.max(before.starts_on);
        diesel::update(supply_interruptions::table.find(id))
            .set(supply_interruptions::ends_on.eq(Some(end)))
            .execute(conn)?;
        let after = Interruption {
            ends_on: Some(end),
            ..before.clone()
        };
        audit::append(
            conn,
            act,
            "end",
            "supply_interruption",
            id,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

pub fn interruptions(
    conn: &mut DbConn,
    supplier_id: Option<i64>,
    drug_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Interruption, String, String)>> {
    let mut q = supply_interruptions::table
        .inner_join(drugs::table)
        .select((Interruption::as_select(), drugs::code, drugs::name_zh))
        .into_boxed::<MultiBackend>();
    if let Some(s) = supplier_id {
        q = q.filter(supply_interruptions::supplier_id.eq(s));
    }
    if let Some(d) = drug_id {
        q = q.filter(supply_interruptions::drug_id.eq(d));
    }
    Ok(q.order(supply_interruptions::id.desc())
        .limit(limit)
        .load(conn)?)
}
