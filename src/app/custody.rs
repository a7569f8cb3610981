//! Key custody of quorum-sealed tenders, one rule each: center staff register their custodian
//! keys and appoint a draft tender's custodians; each custodian deals its part of the tender's
//! key and contributes to the opening, for itself only; anyone who may see a tender sees its
//! custodians' progress and, after the deadline, the list of envelope digests.

use std::collections::BTreeMap;

use super::{Ctx, Error, Result};
use crate::domain::roles::{Principal, Role};
use crate::domain::tender::TenderState;
use crate::domain::Code;
use crate::sealing::quorum::Dealing;
use crate::store::tenders::custody::{self, Custodian, OpeningItem};
use crate::store::tenders::{self as ts, Tender};

/// Only center staff hold a custodian duty (the director, the discipline-inspection officer,
/// the notary are given center accounts for it).
fn may_keep_keys(p: &Principal) -> Result<()> {
    if p.role == Role::Center {
        Ok(())
    } else {
        Err(Error::Forbidden(Code::OnlyCenterStaff.into()))
    }
}

/// Registers the principal's own custodian public key (made by `jicai custodian keygen` on
/// the custodian's machine; the secret never comes here).
pub fn register_key(cx: &Ctx, p: &Principal, public_key: &str) -> Result<()> {
    may_keep_keys(p)?;
    let mut c = cx.conn()?;
    custody::register_key(&mut c, &cx.act(p), p.user_id, public_key.trim())?;
    Ok(())
}

/// Center staff who may be appointed: (user id, name, key).
pub fn candidates(cx: &Ctx, p: &Principal) -> Result<Vec<(i64, String, String)>> {
    super::tenders::may_run_tenders(p)?;
    Ok(custody::custodian_candidates(&mut *cx.conn()?)?)
}

/// Appoints (or replaces) a draft tender's custodians and quorum.
pub fn appoint(
    cx: &Ctx,
    p: &Principal,
    tender_id: i64,
    users: &[i64],
    quorum: i32,
) -> Result<Vec<Custodian>> {
    super::tenders::may_run_tenders(p)?;
    let mut c = cx.conn()?;
    Ok(custody::appoint(
        &mut c,
        &cx.act(p),
        tender_id,
        users,
        quorum,
    )?)
}

/// A tender's custodians, for whoever may see the tender.
pub fn custodians(cx: &Ctx, p: &Principal, tender_id: i64) -> Result<(Tender, Vec<Custodian>)> {
    let (t, _) = super::tenders::tender(cx, p, tender_id)?;
    let cs = custody::custodians_of(&mut *cx.conn()?, tender_id)?;
    Ok((t, cs))
}

pub use crate::sealing::custodian::{CustodianPublic, CustodyFile, EnvelopeToOpen};

fn as_custodian(cs: &[Custodian], p: &Principal) -> Result<Custodian> {
    cs.iter()
        .find(|c| c.user_id == p.user_id)
        .cloned()
        .ok_or_else(|| Error::Forbidden(Code::NotACustodian.into()))
}

/// The custody file of a tender, for one of its custodians only.
pub fn custody_file(cx: &Ctx, p: &Principal, tender_id: i64) -> Result<CustodyFile> {
    may_keep_keys(p)?;
    let mut c = cx.conn()?;
    let t = ts::tender(&mut c, tender_id)?;
    let cs = custody::custodians_of(&mut c, tender_id)?;
    let me = as_custodian(&cs, p)?;
    let dealings = custody::dealings(&mut c, tender_id)?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    let envelopes = if ts::effective_state(&t, cx.clock.now()) == TenderState::TechnicalPublished {
        custody::opening_items(&mut c, tender_id)?
            .into_iter()
            .map(|i: OpeningItem| EnvelopeToOpen {
                bid_id: i.bid_id,
                lot_id: i.lot_id,
                nonce: i.nonce,
                ciphertext: i.ciphertext,
                digest: i.digest,
            })
            .collect()
    } else {
        vec![]
    };
    Ok(CustodyFile {
        tender_id,
        title: t.title.clone(),
        state: t.state().as_str().to_string(),
        quorum: t.quorum,
        you: me.idx,
        tender_key: t.envelope_key.clone(),
        custodians: cs
            .iter()
            .map(|c| CustodianPublic {
                idx: c.idx,
                name: c.name.clone(),
                public_key: c.public_key.clone(),
                dealt: c.dealt_at.is_some(),
                contributed: c.contributed_at.is_some(),
            })
            .collect(),
        dealings,
        envelopes,
    })
}

/// Records the principal's dealing for a draft tender; (dealt, n).
pub fn deal(cx: &Ctx, p: &Principal, tender_id: i64, d: &Dealing) -> Result<(usize, usize)> {
    may_keep_keys(p)?;
    let mut c = cx.conn()?;
    as_custodian(&custody::custodians_of(&mut c, tender_id)?, p)?;
    Ok(custody::record_dealing(
        &mut c,
        &cx.act(p),
        tender_id,
        p.user_id,
        d,
    )?)
}

/// Records the principal's contributions to a tender's opening; (contributed, quorum).
pub fn contribute(
    cx: &Ctx,
    p: &Principal,
    tender_id: i64,
    items: &BTreeMap<i64, String>,
) -> Result<(usize, usize)> {
    may_keep_keys(p)?;
    let mut c = cx.conn()?;
    as_custodian(&custody::custodians_of(&mut c, tender_id)?, p)?;
    Ok(custody::record_contributions(
        &mut c,
        &cx.act(p),
        tender_id,
        p.user_id,
        items,
    )?)
}

/// A custodian's tenders with what each waits for from it.
pub fn my_tenders(cx: &Ctx, p: &Principal) -> Result<Vec<(Tender, Custodian)>> {
    may_keep_keys(p)?;
    Ok(custody::tenders_of_custodian(&mut *cx.conn()?, p.user_id)?)
}

/// The list of envelope digests fixed at the deadline (lot number, digest), for whoever may
/// see the tender; None before the deadline.
pub fn digest_list(cx: &Ctx, p: &Principal, tender_id: i64) -> Result<Option<Vec<(i32, String)>>> {
    super::tenders::tender(cx, p, tender_id)?;
    Ok(custody::digest_list(&mut *cx.conn()?, tender_id)?)
}

/// The job: fixes the digest list of every tender whose deadline has passed. How many.
pub fn publish_due_digests(cx: &Ctx) -> Result<usize> {
    let mut c = cx.conn()?;
    let act = crate::store::Act::new("system", cx.clock.now());
    let mut n = 0;
    for id in custody::tenders_awaiting_digests(&mut c, act.at)? {
        if custody::publish_digests(&mut c, &act, id)? {
            n += 1;
        }
    }
    Ok(n)
}

/// The principal's registered custodian key, if any.
pub fn my_key(cx: &Ctx, p: &Principal) -> Result<Option<String>> {
    may_keep_keys(p)?;
    Ok(custody::key_of(&mut *cx.conn()?, p.user_id)?)
}

/// What a tender waits for from one of its custodians, now.
pub fn step_of(cx: &Ctx, t: &Tender, c: &Custodian) -> CustodyStep {
    crate::domain::custody::step(
        ts::effective_state(t, cx.clock.now()),
        !t.envelope_key.is_empty(),
        c.dealt_at.is_some(),
        c.contributed_at.is_some(),
    )
}

pub use crate::domain::custody::CustodyStep;

/// The principal's custodian duties: each tender with what it waits for from the principal.
pub fn my_duties(cx: &Ctx, p: &Principal) -> Result<Vec<(Tender, Custodian, CustodyStep)>> {
    Ok(my_tenders(cx, p)?
        .into_iter()
        .map(|(t, c)| {
            let s = step_of(cx, &t, &c);
            (t, c, s)
        })
        .collect())
}

/// The job: every custodian asked to act now (to deal, to contribute), with the tender.
pub fn custodians_asked(cx: &Ctx) -> Result<Vec<(Tender, Custodian, CustodyStep)>> {
    Ok(custody::custodians_at_work(&mut *cx.conn()?)?
        .into_iter()
        .filter_map(|(t, c)| {
            let s = step_of(cx, &t, &c);
            s.asks().then_some((t, c, s))
        })
        .collect())
}

/// Refuses anyone but a custodian of the tender (checked before an upload is read).
pub fn may_upload(cx: &Ctx, p: &Principal, tender_id: i64) -> Result<()> {
    may_keep_keys(p)?;
    as_custodian(&custody::custodians_of(&mut *cx.conn()?, tender_id)?, p).map(|_| ())
}
