//! Committed volumes and what has been bought against them: one row per contract allocation
//! (contract in force × institution), with the quantity the institution ordered under that
//! contract on lines neither cancelled (the order) nor declined (the line).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

use super::{sql_word, DbConn, Result};
use crate::domain::catalog::RegionLevel;
use crate::domain::tender::ContractStatus;

/// One institution's committed volume under one contract, and what it bought.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    #[diesel(sql_type = BigInt)]
    pub contract_id: i64,
    #[diesel(sql_type = BigInt)]
    pub institution_id: i64,
    #[diesel(sql_type = Text)]
    pub institution_code: String,
    #[diesel(sql_type = Text)]
    pub institution_name: String,
    /// The township center of a village clinic.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub parent_id: Option<i64>,
    /// The county the institution lies in.
    #[diesel(sql_type = BigInt)]
    pub county_id: i64,
    #[diesel(sql_type = Text)]
    pub county_name_zh: String,
    #[diesel(sql_type = Text)]
    pub county_name_en: String,
    #[diesel(sql_type = BigInt)]
    pub supplier_id: i64,
    #[diesel(sql_type = Text)]
    pub supplier_name: String,
    #[diesel(sql_type = BigInt)]
    pub drug_id: i64,
    #[diesel(sql_type = Text)]
    pub drug_code: String,
    #[diesel(sql_type = Text)]
    pub drug_name: String,
    #[diesel(sql_type = Text)]
    pub drug_inn: String,
    #[diesel(sql_type = BigInt)]
    pub committed: i64,
    #[diesel(sql_type = BigInt)]
    pub bought: i64,
    #[diesel(sql_type = Date)]
    pub starts_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub ends_on: NaiveDate,
}

/// Which commitments to read: of these institutions (None: all), of institutions in a county,
/// under one supplier's contracts.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub institutions: Option<Vec<i64>>,
    pub county_id: Option<i64>,
    pub supplier_id: Option<i64>,
}

/// The commitments under contracts in force the filter covers, by drug code, contract and
/// institution code. The BIGINT sum cannot overflow (each line is within bounds::Quantity).
pub fn list(conn: &mut DbConn, f: &Filter) -> Result<Vec<Commitment>> {
    let county = format!(
        "(CASE WHEN r.level = {} AND r.parent_id IS NOT NULL THEN r.parent_id ELSE r.id END)",
        sql_word(RegionLevel::Township)
    );
    let mut cond = format!("k.status = {}", sql_word(ContractStatus::InForce));
    if let Some(ids) = &f.institutions {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        cond.push_str(&format!(" AND a.institution_id IN ({})", ids.join(",")));
    }
    if let Some(c) = f.county_id {
        cond.push_str(&format!(" AND {county} = {c}"));
    }
    if let Some(s) = f.supplier_id {
        cond.push_str(&format!(" AND k.supplier_id = {s}"));
    }
    Ok(diesel::sql_query(format!(
        "SELECT a.contract_id AS contract_id, a.institution_id AS institution_id, \
         i.code AS institution_code, i.name AS institution_name, i.parent_id AS parent_id, \
         CAST({county} AS BIGINT) AS county_id, c.name_zh AS county_name_zh, \
         c.name_en AS county_name_en, k.supplier_id AS supplier_id, s.name AS supplier_name, \
         d.id AS drug_id, d.code AS drug_code, d.name_zh AS drug_name, d.inn AS drug_inn, \
         a.volume AS committed, CAST(COALESCE(b.bought, 0) AS BIGINT) AS bought, \
         k.starts_on AS starts_on, k.ends_on AS ends_on \
         FROM contract_allocations a \
         JOIN contracts k ON k.id = a.contract_id \
         JOIN institutions i ON i.id = a.institution_id \
         JOIN regions r ON r.id = i.region_id \
         JOIN regions c ON c.id = {county} \
         JOIN suppliers s ON s.id = k.supplier_id \
         JOIN products p ON p.id = k.product_id \
         JOIN drugs d ON d.id = p.drug_id \
         LEFT JOIN (SELECT orders.institution_id AS institution_id, \
            order_lines.contract_id AS contract_id, \
            CAST(SUM(order_lines.quantity) AS BIGINT) AS bought \
            FROM order_lines JOIN orders ON orders.id = order_lines.order_id \
            WHERE orders.cancelled_at IS NULL AND order_lines.declined_reason IS NULL \
            GROUP BY orders.institution_id, order_lines.contract_id) b \
         ON b.institution_id = a.institution_id AND b.contract_id = a.contract_id \
         WHERE {cond} \
         ORDER BY d.code, a.contract_id, i.code"
    ))
    .load(conn)?)
}
