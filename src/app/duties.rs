//! What the scheduled duties find: each reads through `store` and decides with `domain` which
//! things need an alert now (an order overdue, a payable coming due or overdue, a licence at
//! its first or second warning, a contract behind its even pace or ending, a bid deadline
//! near). `jobs::duties` turns the findings into alerts; nothing there decides.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::domain::alerts::{execution_behind, AlertKind};
use crate::domain::orders::overdue;
use crate::store::duties::{
    self as sd, ContractProgress, ExpiringLicence, OpenPayable, OverdueOrder, TenderDeadline,
};
use crate::store::{DbConn, Result};

/// Orders past their delivery deadline (less `grace`) with lines still unfilled.
pub fn overdue_orders(
    conn: &mut DbConn,
    at: NaiveDateTime,
    grace: Duration,
) -> Result<Vec<OverdueOrder>> {
    sd::overdue_orders(conn, at - grace, 60)
}

/// Unpaid payables due within `days_ahead` (or overdue, up to 90 days back), each with its
/// alert: due or overdue.
pub fn payments(
    conn: &mut DbConn,
    today: NaiveDate,
    days_ahead: i64,
) -> Result<Vec<(OpenPayable, AlertKind)>> {
    let ahead = today + Duration::days(days_ahead);
    Ok(
        sd::unpaid_payables(conn, today - Duration::days(90), ahead)?
            .into_iter()
            .map(|p| {
                let kind = if overdue(false, p.due_on, today) {
                    AlertKind::PaymentOverdue
                } else {
                    AlertKind::PaymentDue
                };
                (p, kind)
            })
            .collect(),
    )
}

/// Licences expiring within `first_days`, each with the days left and its warning: the first
/// (`first_days`) or, from `second_days` left, the second.
pub fn licences(
    conn: &mut DbConn,
    today: NaiveDate,
    first_days: i64,
    second_days: i64,
) -> Result<Vec<(ExpiringLicence, i64, i64)>> {
    let until = today + Duration::days(first_days);
    Ok(sd::licences_expiring(conn, today, until)?
        .into_iter()
        .map(|l| {
            let left = (l.expires_on - today).num_days();
            let stage = if left <= second_days {
                second_days
            } else {
                first_days
            };
            (l, left, stage)
        })
        .collect())
}

/// Contracts in force whose purchases are below `behind_pct` % of what the time elapsed calls
/// for (once `min_elapsed_days` have run), each with what an even pace expects by today.
pub fn contracts_behind(
    conn: &mut DbConn,
    today: NaiveDate,
    behind_pct: i64,
    min_elapsed_days: i64,
) -> Result<Vec<(ContractProgress, i64)>> {
    let mut out = vec![];
    for c in sd::contracts_in_force(conn, today, None, true)? {
        let elapsed = (today - c.starts_on).num_days();
        let term = (c.ends_on - c.starts_on).num_days() + 1;
        let (committed, purchased) = (c.committed_volume, c.purchased);
        if !execution_behind(
            committed,
            purchased,
            elapsed,
            term,
            behind_pct,
            min_elapsed_days,
        ) {
            continue;
        }
        let expected = (committed as i128 * elapsed.min(term) as i128 / term as i128) as i64;
        out.push((c, expected));
    }
    Ok(out)
}

/// Contracts in force that end within `days_ahead`.
pub fn contracts_ending(
    conn: &mut DbConn,
    today: NaiveDate,
    days_ahead: i64,
) -> Result<Vec<ContractProgress>> {
    sd::contracts_in_force(conn, today, Some(today + Duration::days(days_ahead)), false)
}

/// Tenders whose bid deadline falls within `hours_ahead`, and the suppliers to tell (all).
pub fn bid_deadlines(
    conn: &mut DbConn,
    at: NaiveDateTime,
    hours_ahead: i64,
) -> Result<(Vec<TenderDeadline>, Vec<i64>)> {
    let tenders = sd::bid_deadlines(conn, at, at + Duration::hours(hours_ahead))?;
    let suppliers = if tenders.is_empty() {
        vec![]
    } else {
        sd::all_suppliers(conn)?
    };
    Ok((tenders, suppliers))
}
