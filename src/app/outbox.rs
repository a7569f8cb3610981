//! The e-mail outbox as people see it: center staff and regulators read what waits and what
//! failed; center staff send a failed message again.

use super::{may_administer, Ctx, Error, Result};
use crate::domain::mail::MailStatus;
use crate::domain::roles::Principal;
use crate::store::outbox::{self as store, Mail};

/// What failed and what waits, at most `limit` of each.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn failed_and_waiting(cx: &Ctx, p: &Principal, limit: i64) -> Result<(Vec<Mail>, Vec<Mail>)> {
    if !p.reads_everything() {
        return Err(Error::forbidden());
    }
    let mut c = cx.conn()?;
    Ok((
        store::with_status(&mut c, MailStatus::Failed, limit)?,
        store::with_status(&mut c, MailStatus::Pending, limit)?,
    ))
}

/// A failed message is due again now, its tries counted afresh.
#[tracing::instrument(skip_all, fields(user = %p.username, mail = id))]
pub fn resend(cx: &Ctx, p: &Principal, id: i64) -> Result<Mail> {
    may_administer(p)?;
    Ok(store::resend(&mut *cx.conn()?, &cx.act(p), id)?)
}
