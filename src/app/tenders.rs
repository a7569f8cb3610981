//! Tenders as people look at them: who sees which tender (one rule for pages and API).
//! The stages (lots, bids, review, opening and award, objections, contracts) still call the
//! store from the web; they move here next.

use super::{Ctx, Error, Result};
use crate::domain::roles::Principal;
use crate::domain::tender::tender_visible_to;
use crate::domain::Code;
use crate::store::tenders::{self as ts, Lot, Tender};

/// A lot with its drug's code, name and strength.
pub type LotWithDrug = (Lot, String, String, String);

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
