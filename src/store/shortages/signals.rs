//! The signals of the scan, read from the live records.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use crate::domain::orders::DeclineReason;
use crate::domain::shortage::{CountySignals, DrugSignals};
use crate::domain::tender::{ContractStatus, LotStatus};
use crate::store::{sql_date, sql_ts, sql_word, DbConn, Result};
use diesel::sql_types::BigInt;

/// Everything the scan reads, per drug.
#[derive(Debug, Default)]
pub struct Signals {
    pub counties: BTreeMap<i64, BTreeMap<i64, CountySignals>>,
    pub drugs: BTreeMap<i64, DrugSignals>,
    /// The suppliers with a contract in force, per drug.
    pub contracted: BTreeMap<i64, BTreeSet<i64>>,
}

#[derive(QueryableByName)]
struct LineSignal {
    #[diesel(sql_type = BigInt)]
    drug_id: i64,
    #[diesel(sql_type = BigInt)]
    county_id: i64,
    #[diesel(sql_type = BigInt)]
    declined: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
    #[diesel(sql_type = BigInt)]
    due_lines: i64,
    #[diesel(sql_type = BigInt)]
    due_ordered: i64,
    #[diesel(sql_type = BigInt)]
    due_shipped: i64,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
}

#[derive(QueryableByName)]
struct Triple {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
}

/// Reads every signal of the window [now − window_days, now): one grouped query over the order
/// lines of the window (quantities delivered: shipped less the units rejected on receipt), and small ones over reports, contracts, lots and interruptions.
/// The BIGINT sums cannot overflow: every order line's quantity (and so its shipped quantity)
/// is within bounds::Quantity (at most 10^7), so i64 holds the sum of 9 × 10^11 lines.
pub fn read_signals(
    conn: &mut DbConn,
    now: NaiveDateTime,
    today: NaiveDate,
    window_days: i64,
) -> Result<Signals> {
    let from = now - chrono::Duration::days(window_days);
    let (f, n) = (sql_ts(from), sql_ts(now));
    let mut s = Signals::default();
    read_order_line_signals(conn, &f, &n, &mut s)?;
    read_report_counts(conn, &f, &n, &mut s)?;
    read_drug_signals(conn, today, &mut s)?;
    Ok(s)
}

/// The county signals of the order lines submitted in [f, n], per drug and county: lines
/// declined as out of stock, lines overdue, and the lines, units ordered and units delivered
/// that were due by `n` (orders without a county are left out).
fn read_order_line_signals(conn: &mut DbConn, f: &str, n: &str, s: &mut Signals) -> Result<()> {
    let lines: Vec<LineSignal> = diesel::sql_query(format!(
        "SELECT products.drug_id AS drug_id, CAST(COALESCE(orders.county_id, 0) AS BIGINT) AS county_id, \
         CAST(SUM(CASE WHEN order_lines.declined_reason = {out_of_stock} THEN 1 ELSE 0 END) AS BIGINT) AS declined, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} AND order_lines.declined_reason IS NULL \
              AND order_lines.shipped < order_lines.quantity THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} THEN 1 ELSE 0 END) AS BIGINT) AS due_lines, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} THEN order_lines.quantity ELSE 0 END) AS BIGINT) AS due_ordered, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} AND order_lines.declined_reason IS NULL \
              THEN {delivered} ELSE 0 END) AS BIGINT) AS due_shipped \
         FROM order_lines JOIN orders ON orders.id = order_lines.order_id \
         JOIN products ON products.id = order_lines.product_id \
         WHERE orders.cancelled_at IS NULL AND orders.submitted_at >= {f} AND orders.submitted_at <= {n} \
         GROUP BY products.drug_id, orders.county_id",
        out_of_stock = sql_word(DeclineReason::OutOfStock),
        delivered = crate::store::performance::DELIVERED_OF_LINE,
    ))
    .load(conn)?;
    for l in lines {
        if l.county_id == 0 {
            continue;
        }
        let c = CountySignals {
            declined_out_of_stock: l.declined,
            overdue_lines: l.overdue,
            due_lines: l.due_lines,
            due_ordered: l.due_ordered,
            due_shipped: l.due_shipped,
            reports: 0,
        };
        s.counties
            .entry(l.drug_id)
            .or_default()
            .insert(l.county_id, c);
    }
    Ok(())
}

/// The institutions that reported each drug short in each county in [f, n] (withdrawn reports
/// left out).
fn read_report_counts(conn: &mut DbConn, f: &str, n: &str, s: &mut Signals) -> Result<()> {
    let reports: Vec<Triple> = diesel::sql_query(format!(
        "SELECT drug_id AS a, county_id AS b, CAST(COUNT(DISTINCT institution_id) AS BIGINT) AS c \
         FROM shortage_reports WHERE withdrawn_at IS NULL AND reported_at >= {f} AND reported_at <= {n} \
         GROUP BY drug_id, county_id"
    ))
    .load(conn)?;
    for r in reports {
        s.counties
            .entry(r.a)
            .or_default()
            .entry(r.b)
            .or_default()
            .reports = r.c;
    }
    Ok(())
}

/// The drug-wide signals on `today`: the suppliers under contract and how many of them are
/// interrupted, whether the drug was ever procured, whether a lot of it failed.
fn read_drug_signals(conn: &mut DbConn, today: NaiveDate, s: &mut Signals) -> Result<()> {
    let t = sql_date(today);
    let contracted = contracted_by_drug(conn, today, None)?;
    let interrupted: Vec<Pair> = diesel::sql_query(format!(
        "SELECT DISTINCT drug_id AS a, supplier_id AS b FROM supply_interruptions \
         WHERE starts_on <= {t} AND (ends_on IS NULL OR ends_on >= {t})"
    ))
    .load(conn)?;
    let procured: Vec<Pair> = diesel::sql_query(
        "SELECT DISTINCT products.drug_id AS a, CAST(0 AS BIGINT) AS b FROM contracts \
         JOIN products ON products.id = contracts.product_id",
    )
    .load(conn)?;
    let failed: Vec<Pair> = diesel::sql_query(format!(
        "SELECT DISTINCT drug_id AS a, CAST(0 AS BIGINT) AS b FROM lots WHERE status = {}",
        sql_word(LotStatus::Failed)
    ))
    .load(conn)?;
    for (drug, sup) in &contracted {
        s.drugs.entry(*drug).or_default().contracted_suppliers = sup.len() as i64;
    }
    for p in interrupted {
        if contracted.get(&p.a).is_some_and(|c| c.contains(&p.b)) {
            s.drugs.entry(p.a).or_default().interrupted_suppliers += 1;
        }
    }
    for p in procured {
        s.drugs.entry(p.a).or_default().procured = true;
    }
    for p in failed {
        s.drugs.entry(p.a).or_default().failed_lot = true;
    }
    s.contracted = contracted;
    Ok(())
}

/// For many drugs at once (one pass over the window): the (county, institution) pairs that
/// ordered each drug since `from` or reported it short.
pub fn institutions_by_drug(
    conn: &mut DbConn,
    drugs: &[i64],
    from: NaiveDateTime,
) -> Result<BTreeMap<i64, BTreeSet<(i64, i64)>>> {
    let mut out: BTreeMap<i64, BTreeSet<(i64, i64)>> = BTreeMap::new();
    for chunk in drugs.chunks(1000) {
        let list = chunk
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<Triple> = diesel::sql_query(format!(
            "SELECT DISTINCT products.drug_id AS a, CAST(COALESCE(orders.county_id, 0) AS BIGINT) AS b, \
             orders.institution_id AS c FROM order_lines \
             JOIN orders ON orders.id = order_lines.order_id \
             JOIN products ON products.id = order_lines.product_id \
             WHERE orders.submitted_at >= {} AND products.drug_id IN ({list}) \
             UNION SELECT DISTINCT drug_id AS a, county_id AS b, institution_id AS c \
             FROM shortage_reports WHERE withdrawn_at IS NULL AND drug_id IN ({list})",
            sql_ts(from)
        ))
        .load(conn)?;
        for r in rows {
            out.entry(r.a).or_default().insert((r.b, r.c));
        }
    }
    Ok(out)
}

/// The suppliers with a contract in force on `today`, per drug (of one drug, or all).
fn contracted_by_drug(
    conn: &mut DbConn,
    today: NaiveDate,
    drug_id: Option<i64>,
) -> Result<BTreeMap<i64, BTreeSet<i64>>> {
    let t = sql_date(today);
    let one = drug_id
        .map(|d| format!(" AND products.drug_id = {d}"))
        .unwrap_or_default();
    let rows: Vec<Pair> = diesel::sql_query(format!(
        "SELECT DISTINCT products.drug_id AS a, contracts.supplier_id AS b FROM contracts \
         JOIN products ON products.id = contracts.product_id \
         WHERE contracts.status = {in_force} AND contracts.starts_on <= {t} \
         AND contracts.ends_on >= {t}{one}",
        in_force = sql_word(ContractStatus::InForce),
    ))
    .load(conn)?;
    let mut out: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for p in rows {
        out.entry(p.a).or_default().insert(p.b);
    }
    Ok(out)
}

/// The suppliers with a contract in force for the drug.
pub fn contracted_suppliers(conn: &mut DbConn, drug_id: i64, today: NaiveDate) -> Result<Vec<i64>> {
    Ok(contracted_by_drug(conn, today, Some(drug_id))?
        .remove(&drug_id)
        .unwrap_or_default()
        .into_iter()
        .collect())
}
