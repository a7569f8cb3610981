//! A new tender: center staff create it as a draft from a demand window, one lot per drug of
//! the window's reported demand.
#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::super::{Ctx, Result};
use super::{may_run_tenders, LotWithDrug};
use crate::domain::roles::Principal;
use crate::domain::tender_stages::{LotSpec, TenderSpec};
use crate::sealing::MasterKey;
use crate::store::catalog;
use crate::store::tenders::{self as ts, DemandWindow, Tender};

/// What the form of a new tender starts from: the windows, and the reported demand of the one
/// chosen (by default the newest): (drug id, code, name, strength, total).
pub struct DraftInputs {
    pub windows: Vec<DemandWindow>,
    pub demand: Vec<(i64, String, String, String, i64)>,
    /// The drugs of the demand, by id (the form names them in its reader's language).
    pub drugs: BTreeMap<i64, catalog::Drug>,
}

/// The windows and the chosen window's demand, for the form of a new tender.
pub fn draft_inputs(cx: &Ctx, p: &Principal, window_id: Option<i64>) -> Result<DraftInputs> {
    may_run_tenders(p)?;
    let mut c = cx.conn()?;
    let windows = ts::windows(&mut c)?;
    let demand = match window_id.or(windows.first().map(|w| w.id)) {
        Some(w) => ts::demand_totals(&mut c, w)?,
        None => vec![],
    };
    let ids: Vec<i64> = demand.iter().map(|d| d.0).collect();
    let drugs = crate::store::names::drugs_by_id(&mut c, &ids)?;
    Ok(DraftInputs {
        windows,
        demand,
        drugs,
    })
}

/// The drugs a window has demand for, by code (the lots a tender from it may have).
pub fn window_drugs(cx: &Ctx, p: &Principal, window_id: i64) -> Result<BTreeMap<String, i64>> {
    may_run_tenders(p)?;
    let totals = ts::demand_totals(&mut *cx.conn()?, window_id)?;
    Ok(totals.into_iter().map(|d| (d.1, d.0)).collect())
}

/// The catalog's drugs by these codes (none where no drug has the code).
pub fn drugs_by_code(cx: &Ctx, p: &Principal, codes: &[String]) -> Result<Vec<Option<i64>>> {
    may_run_tenders(p)?;
    let mut c = cx.conn()?;
    codes
        .iter()
        .map(|code| Ok(catalog::drug_by_code(&mut c, code.trim())?.map(|d| d.id)))
        .collect()
}

/// A tender to create: everything but what the window and the settings give.
pub struct NewTender {
    pub title: String,
    pub window_id: i64,
    pub bid_deadline: DateTime<Utc>,
    pub contract_months: i32,
    pub lots: Vec<LotSpec>,
}

/// Creates the draft (its region is the window's, its objection window the province's setting).
#[tracing::instrument(skip_all, fields(user = %p.username, window = cmd.window_id))]
pub fn create(
    cx: &Ctx,
    p: &Principal,
    master: &MasterKey,
    cmd: NewTender,
) -> Result<(Tender, Vec<LotWithDrug>)> {
    may_run_tenders(p)?;
    let mut c = cx.conn()?;
    let spec = TenderSpec {
        region_id: ts::window(&mut c, cmd.window_id)?.region_id,
        title: cmd.title,
        window_id: cmd.window_id,
        bid_deadline: cmd.bid_deadline,
        objection_days: cx.config.objection_days as i32,
        contract_months: cmd.contract_months,
        lots: cmd.lots,
    };
    spec.validate()?;
    let t = ts::create_tender(&mut c, &cx.act(p), master, &spec)?;
    let lots = ts::lots_with_drugs(&mut c, t.id)?;
    Ok((t, lots))
}
