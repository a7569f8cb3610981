//! Tenders, stage by stage: who sees which tender (here), demand collection (`demand`), a new
//! tender with its lots (`lots`), the tender's steps up to the award and the contracts
//! (`actions`), objections (`objections`) and contracts (`contracts`). Each rule once, for the
//! pages, the API and the jobs alike.

pub mod actions;
pub mod contracts;
pub mod demand;
pub mod lots;
pub mod objections;

use super::{Ctx, Error, Result};
use crate::domain::roles::Principal;
use crate::domain::tender::tender_visible_to;
use crate::domain::Code;
use crate::store::tenders::{self as ts, Lot, Tender};

/// A lot with its drug's code, name and strength.
pub type LotWithDrug = (Lot, String, String, String);

/// Center staff run the tenders: demand windows, new tenders, the tender's steps, answers to
/// objections. Anyone else is refused.
pub fn may_run_tenders(p: &Principal) -> Result<()> {
    if p.can_administer() {
        Ok(())
    } else {
        Err(Error::Forbidden(Code::OnlyCenterStaff.into()))
    }
}

/// May this principal see this tender?
pub fn may_see(p: &Principal, t: &Tender) -> bool {
    tender_visible_to(p.role, t.published_at.is_some())
}

/// A tender the principal may see, with its lots; any other does not exist for it.
#[tracing::instrument(skip_all, fields(user = %p.username, tender = id))]
pub fn tender(cx: &Ctx, p: &Principal, id: i64) -> Result<(Tender, Vec<LotWithDrug>)> {
    let mut c = cx.conn()?;
    let t = ts::tender(&mut c, id)?;
    if !may_see(p, &t) {
        return Err(Error::NotFound(Code::TenderNotFound.into()));
    }
    let lots = ts::lots_with_drugs(&mut c, id)?;
    Ok((t, lots))
}

/// The tenders the principal may see, newest first.
pub fn visible(cx: &Ctx, p: &Principal) -> Result<Vec<Tender>> {
    let all = ts::tenders_list(&mut *cx.conn()?)?;
    Ok(all.into_iter().filter(|t| may_see(p, t)).collect())
}

/// The tenders the principal may see, with their lots.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn list(cx: &Ctx, p: &Principal) -> Result<Vec<(Tender, Vec<LotWithDrug>)>> {
    let mut c = cx.conn()?;
    let mut out = vec![];
    for t in ts::tenders_list(&mut c)?
        .into_iter()
        .filter(|t| may_see(p, t))
    {
        let lots = ts::lots_with_drugs(&mut c, t.id)?;
        out.push((t, lots));
    }
    Ok(out)
}

/// A lot the principal may see, with its tender; a lot of a tender it may not see does not
/// exist for it.
pub fn visible_lot(cx: &Ctx, p: &Principal, lot_id: i64) -> Result<(Lot, Tender)> {
    let mut c = cx.conn()?;
    let lot = ts::lot(&mut c, lot_id)?;
    let t = ts::tender(&mut c, lot.tender_id)?;
    if !may_see(p, &t) {
        return Err(Error::NotFound(Code::LotNotFound.into()));
    }
    Ok((lot, t))
}

/// The published results of every awarded tender (anyone, signed in or not), with the drugs
/// they name (a page names them in its reader's language).
pub type PublicResults = (
    Vec<(Tender, Vec<ts::PublicRow>)>,
    std::collections::BTreeMap<i64, crate::store::catalog::Drug>,
);

pub fn public_results(cx: &Ctx) -> Result<PublicResults> {
    let mut c = cx.conn()?;
    let rows = ts::public_results(&mut c)?;
    let ids: Vec<i64> = rows
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(|r| r.drug_id))
        .collect();
    let drugs = crate::store::names::drugs_by_id(&mut c, &ids)?;
    Ok((rows, drugs))
}
