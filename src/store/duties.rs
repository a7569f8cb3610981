//! What the other scheduled duties look for (DOMAIN.md, "Other scheduled duties"), read from
//! the live records: overdue deliveries, payables coming due and overdue, licences expiring,
//! contracts behind schedule or ending, bid deadlines near.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text, Timestamp};

use super::{sql_date, sql_ts, sql_word, DbConn, Result};
use crate::domain::catalog::LicenceKind;
use crate::domain::tender::{ContractStatus, TenderState};

/// An order past its delivery deadline with lines not yet shipped in full.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct OverdueOrder {
    #[diesel(sql_type = BigInt)]
    pub order_id: i64,
    #[diesel(sql_type = BigInt)]
    pub institution_id: i64,
    #[diesel(sql_type = BigInt)]
    pub supplier_id: i64,
    #[diesel(sql_type = Timestamp)]
    pub deliver_by: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    pub unfilled_lines: i64,
    #[diesel(sql_type = Text)]
    pub institution: String,
    #[diesel(sql_type = Text)]
    pub supplier: String,
}

/// Orders submitted over the last `lookback_days` whose deadline passed before `before` with
/// lines neither declined nor shipped in full.
pub fn overdue_orders(
    conn: &mut DbConn,
    before: NaiveDateTime,
    lookback_days: i64,
) -> Result<Vec<OverdueOrder>> {
    let from = before - chrono::Duration::days(lookback_days);
    Ok(diesel::sql_query(format!(
        "SELECT orders.id AS order_id, orders.institution_id AS institution_id, \
         orders.supplier_id AS supplier_id, orders.deliver_by AS deliver_by, \
         CAST(COUNT(*) AS BIGINT) AS unfilled_lines, \
         MIN(institutions.name) AS institution, MIN(suppliers.name) AS supplier \
         FROM orders JOIN order_lines ON order_lines.order_id = orders.id \
         JOIN institutions ON institutions.id = orders.institution_id \
         JOIN suppliers ON suppliers.id = orders.supplier_id \
         WHERE orders.submitted_at >= {} AND orders.deliver_by < {} AND orders.cancelled_at IS NULL \
         AND order_lines.declined_reason IS NULL AND order_lines.shipped < order_lines.quantity \
         GROUP BY orders.id, orders.institution_id, orders.supplier_id, orders.deliver_by \
         ORDER BY orders.id",
        sql_ts(from),
        sql_ts(before)
    ))
    .load(conn)?)
}

/// An unpaid payable.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct OpenPayable {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub institution_id: i64,
    #[diesel(sql_type = BigInt)]
    pub supplier_id: i64,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub institution: String,
    #[diesel(sql_type = Text)]
    pub supplier: String,
}

/// Unpaid payables due from `from` to `to` (inclusive).
pub fn unpaid_payables(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<OpenPayable>> {
    Ok(diesel::sql_query(format!(
        "SELECT payables.id AS id, payables.institution_id AS institution_id, \
         payables.supplier_id AS supplier_id, payables.amount AS amount, payables.due_on AS due_on, \
         institutions.name AS institution, suppliers.name AS supplier \
         FROM payables JOIN institutions ON institutions.id = payables.institution_id \
         JOIN suppliers ON suppliers.id = payables.supplier_id \
         WHERE payables.paid_at IS NULL AND payables.due_on >= {} AND payables.due_on <= {} \
         ORDER BY payables.id",
        sql_date(from),
        sql_date(to)
    ))
    .load(conn)?)
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ExpiringLicence {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub supplier_id: i64,
    #[diesel(sql_type = Text)]
    pub kind: LicenceKind,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Date)]
    pub expires_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub supplier: String,
}

/// Licences expiring from `from` to `to` (inclusive).
pub fn licences_expiring(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ExpiringLicence>> {
    Ok(diesel::sql_query(format!(
        "SELECT licences.id AS id, licences.supplier_id AS supplier_id, licences.kind AS kind, \
         licences.number AS number, licences.expires_on AS expires_on, suppliers.name AS supplier \
         FROM licences JOIN suppliers ON suppliers.id = licences.supplier_id \
         WHERE licences.expires_on >= {} AND licences.expires_on <= {} ORDER BY licences.id",
        sql_date(from),
        sql_date(to)
    ))
    .load(conn)?)
}

/// A contract in force with its purchases so far.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ContractProgress {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub supplier_id: i64,
    #[diesel(sql_type = BigInt)]
    pub committed_volume: i64,
    #[diesel(sql_type = Date)]
    pub starts_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub ends_on: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub purchased: i64,
    #[diesel(sql_type = Text)]
    pub supplier: String,
    #[diesel(sql_type = Text)]
    pub drug: String,
}

/// Contracts in force on `today` (those ending by `ending_by` when given), with the quantity
/// ordered under each (lines not declined, orders not cancelled).
/// The BIGINT sums cannot overflow: every order line's quantity (and so its shipped quantity)
/// is within bounds::Quantity (at most 10^7), so i64 holds the sum of 9 × 10^11 lines.
pub fn contracts_in_force(
    conn: &mut DbConn,
    today: NaiveDate,
    ending_by: Option<NaiveDate>,
    with_purchases: bool,
) -> Result<Vec<ContractProgress>> {
    let t = sql_date(today);
    let ending = ending_by
        .map(|d| format!(" AND contracts.ends_on <= {}", sql_date(d)))
        .unwrap_or_default();
    let purchased = if with_purchases {
        "COALESCE((SELECT CAST(SUM(order_lines.quantity) AS BIGINT) FROM order_lines \
         JOIN orders ON orders.id = order_lines.order_id \
         WHERE order_lines.contract_id = contracts.id AND order_lines.declined_reason IS NULL \
         AND orders.cancelled_at IS NULL), 0)"
    } else {
        "CAST(0 AS BIGINT)"
    };
    Ok(diesel::sql_query(format!(
        "SELECT contracts.id AS id, contracts.supplier_id AS supplier_id, \
         contracts.committed_volume AS committed_volume, contracts.starts_on AS starts_on, \
         contracts.ends_on AS ends_on, CAST({purchased} AS BIGINT) AS purchased, \
         suppliers.name AS supplier, drugs.name_zh AS drug \
         FROM contracts JOIN suppliers ON suppliers.id = contracts.supplier_id \
         JOIN products ON products.id = contracts.product_id JOIN drugs ON drugs.id = products.drug_id \
         WHERE contracts.status = {in_force} AND contracts.starts_on <= {t} AND contracts.ends_on >= {t}{ending} \
         ORDER BY contracts.id",
        in_force = sql_word(ContractStatus::InForce),
    ))
    .load(conn)?)
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct TenderDeadline {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Timestamp)]
    pub bid_deadline: NaiveDateTime,
}

/// Tenders open for bids whose deadline falls in (now, until].
pub fn bid_deadlines(
    conn: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Vec<TenderDeadline>> {
    Ok(diesel::sql_query(format!(
        "SELECT id, title, bid_deadline FROM tenders WHERE state = {} \
         AND bid_deadline > {} AND bid_deadline <= {} ORDER BY id",
        sql_word(TenderState::Open),
        sql_ts(now),
        sql_ts(until)
    ))
    .load(conn)?)
}

/// Every active supplier (those a bid-deadline reminder goes to).
pub fn all_suppliers(conn: &mut DbConn) -> Result<Vec<i64>> {
    use super::schema::suppliers;
    Ok(suppliers::table
        .select(suppliers::id)
        .order(suppliers::id)
        .load(conn)?)
}
