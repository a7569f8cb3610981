//! Job firings: one row per (job, firing instant); the replica whose insert succeeds runs it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::job_firings;
use super::{DbConn, Result};

/// Claims one firing of a job for this replica: true when it is ours to run, false when
/// another replica (or an earlier wake of this one) claimed it first.
pub fn claim_firing(
    conn: &mut DbConn,
    job: &str,
    fired_at: NaiveDateTime,
    replica: &str,
    now: NaiveDateTime,
) -> Result<bool> {
    let row = (
        job_firings::job.eq(job),
        job_firings::fired_at.eq(fired_at),
        job_firings::replica.eq(replica),
        job_firings::started_at.eq(now),
    );
    let n = match conn {
        DbConn::Pg(c) => diesel::insert_into(job_firings::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(job_firings::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(n == 1)
}

/// Notes how a claimed firing ended.
pub fn finish_firing(
    conn: &mut DbConn,
    job: &str,
    fired_at: NaiveDateTime,
    now: NaiveDateTime,
    outcome: &str,
) -> Result<()> {
    let outcome: String = outcome.chars().take(4000).collect();
    diesel::update(
        job_firings::table
            .filter(job_firings::job.eq(job))
            .filter(job_firings::fired_at.eq(fired_at)),
    )
    .set((
        job_firings::finished_at.eq(Some(now)),
        job_firings::outcome.eq(Some(outcome)),
    ))
    .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = job_firings)]
pub struct Firing {
    pub id: i64,
    pub job: String,
    pub fired_at: NaiveDateTime,
    pub replica: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
}

/// The latest firings, newest first (of one job, or all).
pub fn firings(conn: &mut DbConn, job: Option<&str>, limit: i64) -> Result<Vec<Firing>> {
    let mut q = job_firings::table
        .select(Firing::as_select())
        .into_boxed::<super::MultiBackend>();
    if let Some(j) = job {
        q = q.filter(job_firings::job.eq(j.to_string()));
    }
    Ok(q.order(job_firings::id.desc()).limit(limit).load(conn)?)
}
