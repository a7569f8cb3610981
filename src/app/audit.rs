//! Reading the audit log: center staff and regulators, a page at a time, with the names of the
//! records and actors. Who bid on which lot stays unknown to everybody until the bid deadline:
//! such records are shown sealed.

use super::{Ctx, Error, Result};
use crate::domain::paging::{Page, PageRequest};
use crate::domain::roles::Principal;
use crate::domain::Code;
use crate::store::audit::{self, Entry, Names, Search};

/// Center staff and regulators read the log; nobody else.
pub fn may_read(p: &Principal) -> Result<()> {
    if p.reads_everything() {
        Ok(())
    } else {
        Err(Error::forbidden())
    }
}

/// An entry as it may be shown: `sealed` when it is a bid's before its tender's deadline (its
/// actor, record and contents hidden).
#[derive(Debug, Clone)]
pub struct Shown {
    pub entry: Entry,
    pub sealed: bool,
}

fn seal_bids(cx: &Ctx, c: &mut crate::store::DbConn, entries: Vec<Entry>) -> Result<Vec<Shown>> {
    let bids: Vec<i64> = entries
        .iter()
        .filter(|e| e.entity == "bid")
        .filter_map(|e| e.entity_id.parse().ok())
        .collect();
    let deadlines = crate::store::tenders::deadlines_of_bids(c, &bids)?;
    let now = cx.clock.now().naive_utc();
    Ok(entries
        .into_iter()
        .map(|mut e| {
            let sealed = e.entity == "bid"
                && e.entity_id
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| deadlines.get(&id))
                    .is_none_or(|d| *d > now);
            if sealed {
                e.actor = "—".into();
                e.entity_id = "—".into();
                e.before.clear();
                e.after.clear();
            }
            Shown { entry: e, sealed }
        })
        .collect())
}

/// A page of the log as searched, newest first, with the names it mentions.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn search(
    cx: &Ctx,
    p: &Principal,
    s: &Search,
    page: &PageRequest,
) -> Result<(Page<Shown>, Names)> {
    may_read(p)?;
    let mut c = cx.conn()?;
    let found = audit::search(&mut c, s, page)?;
    let names = audit::names_of(&mut c, &found.items)?;
    let items = seal_bids(cx, &mut c, found.items)?;
    Ok((
        Page {
            items,
            page: found.page,
            per_page: found.per_page,
            total: found.total,
        },
        names,
    ))
}

/// The filters' choices: the actors and action codes in the log, with the actors' names.
pub fn choices(cx: &Ctx, p: &Principal) -> Result<(Vec<String>, Vec<String>, Names)> {
    may_read(p)?;
    let mut c = cx.conn()?;
    let (actors, actions) = audit::actors_and_actions(&mut c)?;
    let as_entries: Vec<Entry> = actors
        .iter()
        .map(|a| Entry {
            actor: a.clone(),
            ..Entry::default()
        })
        .collect();
    let names = audit::names_of(&mut c, &as_entries)?;
    Ok((actors, actions, names))
}

/// One entry with its names, and whether the chain verifies (the entry page says so).
#[tracing::instrument(skip_all, fields(user = %p.username, entry = id))]
pub fn entry(cx: &Ctx, p: &Principal, id: i64) -> Result<(Shown, Names)> {
    may_read(p)?;
    let mut c = cx.conn()?;
    let e = audit::entry(&mut c, id)?.ok_or_else(|| {
        Error::NotFound(crate::domain::Msg::new(Code::AuditEntryNotFound).arg("id", id))
    })?;
    let names = audit::names_of(&mut c, std::slice::from_ref(&e))?;
    let shown = seal_bids(cx, &mut c, vec![e])?
        .pop()
        .ok_or_else(|| Error::Internal("no entry".into()))?;
    Ok((shown, names))
}

/// Whether the chain is intact (the list page says so).
pub fn verify(cx: &Ctx, p: &Principal) -> Result<audit::Verification> {
    may_read(p)?;
    Ok(audit::verify(&mut *cx.conn()?)?)
}
