//! The tender's steps, center staff's alone: publish, close, the technical opening and its
//! results, the commercial opening with the award, the final award, the contracts, or a
//! cancellation with its reason. Each step does its work in the transaction that records it.

use super::super::{Ctx, Result};
use super::{may_run_tenders, LotWithDrug};
use crate::domain::roles::Principal;
use crate::domain::tender::TenderAction;
use crate::sealing::MasterKey;
use crate::store::tenders::{self as ts, Tender};

/// Takes one step of a tender (`reason`: why it is cancelled, checked by
/// `tender_stages::cancel_reason` once the state allows the step); the tender after it.
#[tracing::instrument(skip_all, fields(user = %p.username, tender = id, action = action.as_str()))]
pub fn apply(
    cx: &Ctx,
    p: &Principal,
    master: &MasterKey,
    id: i64,
    action: TenderAction,
    reason: Option<&str>,
) -> Result<(Tender, Vec<LotWithDrug>)> {
    may_run_tenders(p)?;
    let mut c = cx.conn()?;
    let t = ts::apply_action(
        &mut c,
        &cx.act(p),
        master,
        cx.config.time_zone,
        id,
        action,
        reason,
    )?;
    let lots = ts::lots_with_drugs(&mut c, id)?;
    Ok((t, lots))
}
