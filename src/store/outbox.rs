//! The e-mail outbox: messages written in the transaction of the change that causes them,
//! claimed one at a time by a sender, marked sent, retried with backoff or marked failed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::outbox;
use super::{audit, Act, DbConn, Result, StoreError};
use crate::domain::mail::{after_failure, AfterFailure, MailStatus};

/// How long a claimed message is left to its sender before another may try it (a sender that
/// died mid-send).
pub const LEASE: Duration = Duration::minutes(5);

/// A message to one recipient. `dedup_key` names the change of state it reports (e.g.
/// `shortage:17:critical`): the same key and recipient are written once, however often asked.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub dedup_key: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = outbox)]
pub struct Mail {
    pub id: i64,
    pub dedup_key: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Writes messages (call inside the transaction of the change they report); a (key,
/// recipient) pair already in the outbox is left alone. Returns how many were new.
pub fn enqueue(conn: &mut DbConn, now: NaiveDateTime, mails: &[NewMail]) -> Result<usize> {
    let mut added = 0;
    for m in mails {
        let row = (
            outbox::dedup_key.eq(&m.dedup_key),
            outbox::recipient.eq(m.recipient.trim()),
            outbox::subject.eq(&m.subject),
            outbox::text_body.eq(&m.text_body),
            outbox::html_body.eq(&m.html_body),
            outbox::status.eq(MailStatus::Pending),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        );
        added += match conn {
            DbConn::Pg(c) => diesel::insert_into(outbox::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConn::Sqlite(c) => diesel::insert_into(outbox::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
    }
    Ok(added)
}

/// Messages due for a try, oldest first.
pub fn due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<Vec<Mail>> {
    Ok(outbox::table
        .filter(outbox::status.eq(MailStatus::Pending))
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::id.asc())
        .limit(limit)
        .select(Mail::as_select())
        .load(conn)?)
}

/// Takes a due message for one try: counts the try and leases it for [`LEASE`]. False when
/// another sender took it first (it is no longer due).
pub fn claim(conn: &mut DbConn, m: &Mail, now: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(m.id))
            .filter(outbox::status.eq(MailStatus::Pending))
            .filter(outbox::attempts.eq(m.attempts))
            .filter(outbox::next_attempt_at.le(now)),
    )
    .set((
        outbox::attempts.eq(m.attempts + 1),
        outbox::next_attempt_at.eq(now + LEASE),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(MailStatus::Sent),
            outbox::sent_at.eq(Some(now)),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed try (`attempt` is its number): the next one after the backoff, or
/// failed after the last. Returns the message's new status.
pub fn mark_failed_try(
    conn: &mut DbConn,
    id: i64,
    attempt: i32,
    error: &str,
    now: NaiveDateTime,
) -> Result<MailStatus> {
    let error: String = error.chars().take(2000).collect();
    let (status, next) = match after_failure(attempt) {
        AfterFailure::RetryIn(d) => (MailStatus::Pending, now + d),
        AfterFailure::Failed => (MailStatus::Failed, now),
    };
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(status),
            outbox::next_attempt_at.eq(next),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(status)
}

/// Messages in one status, newest first (center staff see the failed ones).
pub fn with_status(conn: &mut DbConn, status: MailStatus, limit: i64) -> Result<Vec<Mail>> {
    Ok(outbox::table
        .filter(outbox::status.eq(status))
        .order(outbox::id.desc())
        .limit(limit)
        .select(Mail::as_select())
        .load(conn)?)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Mail> {
    outbox::table
        .find(id)
        .select(Mail::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(crate::domain::Code::MessageNotFound.into()))
}

/// Center staff send a failed message again: it is due now, with its tries counted afresh.
pub fn resend(conn: &mut DbConn, act: &Act, id: i64) -> Result<Mail> {
    super::write_tx(conn, |conn| {
        let m = get(conn, id)?;
        if m.status != MailStatus::Failed {
            return Err(crate::domain::Invalid::new(
                "status",
                crate::domain::Msg::new(crate::domain::Code::MessageNotFailed)
                    .arg("status", m.status),
            )
            .into());
        }
        diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq(MailStatus::Pending),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(act.at.naive_utc()),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "resend",
            "mail",
            id,
            Some(&m.status),
            Some(&MailStatus::Pending),
        )?;
        get(conn, id)
    })
}
