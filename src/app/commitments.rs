//! Committed volumes and their pace (issue 14): an institution sees, per contract, what it
//! committed to buy, what it has bought, what remains and whether it keeps pace; center staff
//! and regulators see every institution's, by county and supplier. The job
//! `commitment_pace` alerts the institutions behind pace.

use chrono::NaiveDate;

use super::{parties::acting_scope, Ctx, Error, Result};
use crate::domain::commitments::{progress, Progress};
use crate::domain::roles::{Principal, Role, Scope};
use crate::domain::Code;
use crate::store::commitments::{self as cs, Commitment};
use crate::store::DbConn;

/// Which commitments a reader asks for (within what it may see).
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked {
    pub county_id: Option<i64>,
    pub supplier_id: Option<i64>,
}

/// One commitment with its progress on the day asked.
#[derive(Debug, Clone)]
pub struct Line {
    pub c: Commitment,
    pub p: Progress,
}

/// Who reads which commitments: an institution's user its own institution's (a township
/// center's user its village clinics' too), center staff and regulators all; nobody else.
pub fn may_read(conn: &mut DbConn, p: &Principal) -> Result<Option<Vec<i64>>> {
    match p.role {
        Role::Center | Role::Regulator => Ok(None),
        Role::Institution => match acting_scope(conn, p)? {
            Scope::Only(ids) => Ok(Some(ids)),
            _ => Err(Error::Forbidden(Code::CommitmentsNotForRole.into())),
        },
        _ => Err(Error::Forbidden(Code::CommitmentsNotForRole.into())),
    }
}

/// The commitments the principal may read, filtered as asked, with their progress today
/// (behind: bought below the configured share of the pace).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn list(cx: &Ctx, p: &Principal, a: Asked) -> Result<Vec<Line>> {
    let mut c = cx.conn()?;
    let institutions = may_read(&mut c, p)?;
    let f = cs::Filter {
        institutions,
        county_id: a.county_id,
        supplier_id: a.supplier_id,
    };
    let rows = cs::list(&mut c, &f)?;
    Ok(with_progress(
        rows,
        cx.today(),
        cx.config.commitment_behind_pct,
    ))
}

/// Every commitment behind pace on `today`, of contracts running since `min_elapsed_days` at
/// least and not ended (for the job; no principal: it reads all).
pub fn behind_pace(
    conn: &mut DbConn,
    today: NaiveDate,
    behind_pct: i64,
    min_elapsed_days: i64,
) -> crate::store::Result<Vec<Line>> {
    let rows = cs::list(conn, &cs::Filter::default())?;
    Ok(with_progress(rows, today, behind_pct)
        .into_iter()
        .filter(|l| {
            l.p.behind
                && (today - l.c.starts_on).num_days() >= min_elapsed_days
                && today <= l.c.ends_on
        })
        .collect())
}

fn with_progress(rows: Vec<Commitment>, today: NaiveDate, behind_pct: i64) -> Vec<Line> {
    rows.into_iter()
        .map(|c| {
            let p = progress(
                c.committed,
                c.bought,
                c.starts_on,
                c.ends_on,
                today,
                behind_pct,
            );
            Line { c, p }
        })
        .collect()
}
