//! Demand collection: center staff open and close windows and read the province's totals;
//! an institution's user reports for its institution and its village clinics, by form,
//! spreadsheet or API.
#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use super::super::{parties, Ctx, Error, Result};
use super::may_run_tenders;
use crate::domain::demand as rules;
use crate::domain::roles::{Principal, Role, Scope};
use crate::domain::{Code, Invalid};
use crate::store::catalog::Drug;
use crate::store::tenders::{self as ts, DemandWindow};
use crate::store::{catalog, micros, names, parties as sp};

/// Who looks at demand windows: staff and regulators (the totals), institutions (their reports).
pub fn may_read_windows(p: &Principal) -> Result<()> {
    if p.reads_everything() || p.role == Role::Institution {
        Ok(())
    } else {
        Err(Error::forbidden())
    }
}

/// The province's totals: staff and regulators only.
pub fn may_read_totals(p: &Principal) -> Result<()> {
    if p.reads_everything() {
        Ok(())
    } else {
        Err(Error::forbidden())
    }
}

/// Only an institution's user reports demand; its institution's id.
pub fn may_report(p: &Principal) -> Result<i64> {
    match (p.role, p.institution_id) {
        (Role::Institution, Some(i)) => Ok(i),
        _ => Err(Error::Forbidden(Code::OnlyInstitutionsReportDemand.into())),
    }
}

/// The windows, newest first.
pub fn windows(cx: &Ctx, p: &Principal) -> Result<Vec<DemandWindow>> {
    may_read_windows(p)?;
    Ok(ts::windows(&mut *cx.conn()?)?)
}

/// Opens a window over the province.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn open_window(
    cx: &Ctx,
    p: &Principal,
    title: &str,
    closes_at: DateTime<Utc>,
) -> Result<DemandWindow> {
    may_run_tenders(p)?;
    let title = rules::check_new_window(title, micros(closes_at), micros(cx.clock.now()))?;
    let mut c = cx.conn()?;
    let province = crate::store::regions::all(&mut c)?
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .ok_or_else(|| Error::Conflict(Code::DemandWindowNeedsProvince.into()))?;
    Ok(ts::open_window(
        &mut c,
        &cx.act(p),
        &title,
        province.id,
        closes_at,
    )?)
}

/// Closes a window: no more reports.
#[tracing::instrument(skip_all, fields(user = %p.username, window = id))]
pub fn close_window(cx: &Ctx, p: &Principal, id: i64) -> Result<()> {
    may_run_tenders(p)?;
    Ok(ts::close_window(&mut *cx.conn()?, &cx.act(p), id)?)
}

/// The province's reported demand: by drug (id, code, name, strength, total), by county (county
/// code, county name, drug code, drug name, total), and the institutions (id, code, name) that
/// have reported nothing; the drugs they name, by code (a page names them in its reader's
/// language).
pub struct Totals {
    pub by_drug: Vec<(i64, String, String, String, i64)>,
    pub by_county: Vec<(String, String, String, String, i64)>,
    pub not_reported: Vec<(i64, String, String)>,
    pub drugs: BTreeMap<String, Drug>,
}

/// These drugs, by code.
fn drugs_by_code(c: &mut crate::store::DbConn, ids: &[i64]) -> Result<BTreeMap<String, Drug>> {
    Ok(names::drugs_by_id(c, ids)?
        .into_values()
        .map(|d| (d.code.clone(), d))
        .collect())
}

/// The totals of a window (staff and regulators).
pub fn totals(cx: &Ctx, p: &Principal, id: i64) -> Result<Totals> {
    may_read_totals(p)?;
    let mut c = cx.conn()?;
    let by_drug = ts::demand_totals(&mut c, id)?;
    let ids: Vec<i64> = by_drug.iter().map(|r| r.0).collect();
    Ok(Totals {
        by_county: ts::demand_by_region(&mut c, id)?,
        not_reported: ts::not_reported(&mut c, id)?,
        drugs: drugs_by_code(&mut c, &ids)?,
        by_drug,
    })
}

/// What an institution's user sees of a window: its institutions' reports (institution id,
/// institution name, drug id, drug code, drug name, strength, quantity) and the institutions it
/// reports for (id, "code name"); the drugs reported, by code.
pub struct OwnReports {
    pub reports: Vec<(i64, String, i64, String, String, String, i64)>,
    pub institutions: Vec<(i64, String)>,
    pub drugs: BTreeMap<String, Drug>,
}

/// A window as its reader sees it.
pub struct WindowView {
    pub window: DemandWindow,
    /// The window takes reports now.
    pub takes_reports: bool,
    pub detail: WindowDetail,
}

pub enum WindowDetail {
    /// Staff and regulators: the province's totals.
    Province(Totals),
    /// An institution's user: its own reports.
    Own(OwnReports),
}

/// A window with what its reader may see of it.
#[tracing::instrument(skip_all, fields(user = %p.username, window = id))]
pub fn window(cx: &Ctx, p: &Principal, id: i64) -> Result<WindowView> {
    may_read_windows(p)?;
    let w = ts::window(&mut *cx.conn()?, id)?;
    let takes_reports = rules::takes_reports(w.status, w.closes_at, micros(cx.clock.now()));
    let detail = if p.reads_everything() {
        WindowDetail::Province(totals(cx, p, id)?)
    } else {
        WindowDetail::Own(own_reports(cx, p, id)?)
    };
    Ok(WindowView {
        window: w,
        takes_reports,
        detail,
    })
}

fn own_reports(cx: &Ctx, p: &Principal, id: i64) -> Result<OwnReports> {
    let mut c = cx.conn()?;
    let ids = match parties::acting_scope(&mut c, p)? {
        Scope::Only(ids) => ids,
        Scope::All => vec![],
    };
    let mut institutions = vec![];
    for i in &ids {
        let inst = sp::get_institution(&mut c, *i)?;
        institutions.push((inst.id, format!("{} {}", inst.code, inst.name)));
    }
    let reports = ts::reports_of(&mut c, id, &ids)?;
    let drug_ids: Vec<i64> = reports.iter().map(|r| r.2).collect();
    Ok(OwnReports {
        drugs: drugs_by_code(&mut c, &drug_ids)?,
        reports,
        institutions,
    })
}

/// One report typed on the page: for the user's institution or one of its village clinics.
pub struct ReportOne {
    pub institution_id: Option<i64>,
    pub drug_code: String,
    pub quantity: i64,
}

/// Records (or changes) one report.
#[tracing::instrument(skip_all, fields(user = %p.username, window = window_id))]
pub fn report(cx: &Ctx, p: &Principal, window_id: i64, cmd: &ReportOne) -> Result<()> {
    let own = may_report(p)?;
    let inst = cmd.institution_id.unwrap_or(own);
    let mut c = cx.conn()?;
    if !parties::acting_scope(&mut c, p)?.allows(inst) {
        return Err(Error::Forbidden(Code::ReportOnlyOwnInstitutions.into()));
    }
    let q = rules::check_quantity("quantity", cmd.quantity)?;
    let code = cmd.drug_code.trim();
    let drug = rules::known_drug(
        "drug_code",
        code,
        catalog::drug_by_code(&mut c, code)?.map(|d| d.id),
    )?;
    Ok(ts::report_demand(
        &mut c,
        &cx.act(p),
        window_id,
        inst,
        drug,
        q,
    )?)
}

/// Before a spreadsheet is read: the uploader reports demand and the window takes reports now.
/// The code of the uploader's institution (the rows' default).
pub fn check_upload(cx: &Ctx, p: &Principal, window_id: i64) -> Result<String> {
    let own = may_report(p)?;
    let mut c = cx.conn()?;
    let w = ts::window(&mut c, window_id)?;
    rules::check_takes_reports(w.status, w.closes_at, micros(cx.clock.now()))?;
    Ok(sp::get_institution(&mut c, own)?.code)
}

/// A spreadsheet's row: (row number, institution code, drug code, quantity).
pub type SheetRow = (usize, String, String, i64);

/// One row of the API: institution code (default: the caller's), drug code, quantity.
pub struct ReportRow {
    pub institution_code: Option<String>,
    pub drug_code: String,
    pub quantity: i64,
}

/// Records the API's rows, all or nothing (each quantity named by its index when refused).
#[tracing::instrument(skip_all, fields(user = %p.username, window = window_id))]
pub fn report_rows(cx: &Ctx, p: &Principal, window_id: i64, rows: Vec<ReportRow>) -> Result<usize> {
    let own = may_report(p)?;
    let errs: Vec<Invalid> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| rules::check_quantity(&format!("[{i}].quantity"), r.quantity).err())
        .collect();
    if !errs.is_empty() {
        return Err(Error::Invalid(errs));
    }
    let own_code = sp::get_institution(&mut *cx.conn()?, own)?.code;
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let inst = r.institution_code.unwrap_or_else(|| own_code.clone());
            (i + 1, inst, r.drug_code, r.quantity)
        })
        .collect::<Vec<_>>();
    import(cx, p, window_id, &rows)
}

/// Records a spreadsheet's rows (row number, institution code, drug code, quantity), all or
/// nothing: every row is checked before any is written.
#[tracing::instrument(skip_all, fields(user = %p.username, window = window_id))]
pub fn import(cx: &Ctx, p: &Principal, window_id: i64, rows: &[SheetRow]) -> Result<usize> {
    may_report(p)?;
    let mut c = cx.conn()?;
    let scope = parties::acting_scope(&mut c, p)?;
    Ok(ts::import_demand(
        &mut c,
        &cx.act(p),
        window_id,
        &scope,
        rows,
    )?)
}
