//! Delivery performance read from the live records: totals per contract in two grouped
//! queries, open orders per institution, one contract's purchases over time.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::collections::BTreeMap;

use super::schema::{contracts, order_lines, orders, products};
use super::{sql_ts, sql_word, DbConn, MultiBackend, Result};
use crate::domain::catalog::RegionLevel;
use crate::domain::orders::OrderState;

/// What an order line has delivered, in units: shipped, less the units rejected on receipt
/// (`confirmed − accepted`; units shipped and not yet confirmed count as delivered).
pub(crate) const DELIVERED_OF_LINE: &str =
    "(order_lines.shipped - (order_lines.confirmed - order_lines.accepted))";
use crate::domain::performance::{ContractKey, Totals};

/// Which records the figures count: orders submitted in [from, to), of institutions in a
/// county, under one supplier's contracts.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub county_id: Option<i64>,
    pub supplier_id: Option<i64>,
}

/// The contracts the filter covers (its supplier's), with their drug.
pub fn contracts_of(conn: &mut DbConn, f: &Filter) -> Result<Vec<ContractKey>> {
    let mut q = contracts::table
        .inner_join(products::table.on(products::id.eq(contracts::product_id)))
        .select((
            contracts::id,
            contracts::supplier_id,
            products::drug_id,
            contracts::region_id,
            contracts::committed_volume,
            contracts::starts_on,
            contracts::ends_on,
        ))
        .order(contracts::id)
        .into_boxed::<MultiBackend>();
    if let Some(s) = f.supplier_id {
        q = q.filter(contracts::supplier_id.eq(s));
    }
    let rows: Vec<(
        i64,
        i64,
        i64,
        i64,
        i64,
        chrono::NaiveDate,
        chrono::NaiveDate,
    )> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(contract_id, supplier_id, drug_id, region_id, committed, starts_on, ends_on)| {
                ContractKey {
                    contract_id,
                    supplier_id,
                    drug_id,
                    region_id,
                    committed,
                    starts_on,
                    ends_on,
                }
            },
        )
        .collect())
}

/// `AND order_lines.contract_id IN (…)` for a filtered set (numbers only, no user text).
fn contract_clause(only: Option<&[i64]>) -> String {
    match only {
        None => String::new(),
        Some([]) => " AND 1 = 0".into(),
        Some(ids) => format!(
            " AND order_lines.contract_id IN ({})",
            ids.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// What the totals are kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// (contract, 0)
    Contract,
    /// (product, county the order went to)
    ProductCounty,
}

impl By {
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            By::Contract => (
                "order_lines.contract_id AS k1, CAST(0 AS BIGINT) AS k2",
                "order_lines.contract_id",
            ),
            By::ProductCounty => (
                "order_lines.product_id AS k1, CAST(COALESCE(orders.county_id, 0) AS BIGINT) AS k2",
                "order_lines.product_id, orders.county_id",
            ),
        }
    }
}

#[derive(QueryableByName)]
struct LineRow {
    #[diesel(sql_type = BigInt)]
    k1: i64,
    #[diesel(sql_type = BigInt)]
    k2: i64,
    #[diesel(sql_type = BigInt)]
    lines: i64,
    #[diesel(sql_type = BigInt)]
    declined: i64,
    #[diesel(sql_type = BigInt)]
    purchased: i64,
    #[diesel(sql_type = BigInt)]
    due_ordered: i64,
    #[diesel(sql_type = BigInt)]
    due_delivered: i64,
}

#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = BigInt)]
    k1: i64,
    #[diesel(sql_type = BigInt)]
    k2: i64,
    #[diesel(sql_type = BigInt)]
    delivered: i64,
    #[diesel(sql_type = BigInt)]
    timely: i64,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
}

/// Totals of the orders the filter covers, kept `by` contract or by product and county; `now`
/// decides which lines are due. Quantities, not lines: what was delivered is what was shipped
/// less what the institution rejected on receipt. `only` limits them to these contracts. Two grouped queries,
/// over the order lines and over the delivery lines.
/// The BIGINT sums cannot overflow: every order line's quantity (and so its shipped quantity)
/// is within bounds::Quantity (at most 10^7), so i64 holds the sum of 9 × 10^11 lines.
pub fn totals(
    conn: &mut DbConn,
    f: &Filter,
    now: NaiveDateTime,
    by: By,
    only: Option<&[i64]>,
) -> Result<BTreeMap<(i64, i64), Totals>> {
    let mut period = format!(
        "orders.cancelled_at IS NULL AND orders.submitted_at >= {} AND orders.submitted_at < {}{}",
        sql_ts(f.from),
        sql_ts(f.to),
        contract_clause(only)
    );
    if let Some(c) = f.county_id {
        period.push_str(&format!(" AND orders.county_id = {c}"));
    }
    if let Some(s) = f.supplier_id {
        period.push_str(&format!(" AND orders.supplier_id = {s}"));
    }
    let (keys, group) = by.columns();
    let due = sql_ts(now);
    let lines: Vec<LineRow> = diesel::sql_query(format!(
        "SELECT {keys}, COUNT(*) AS lines, \
         CAST(SUM(CASE WHEN order_lines.declined_reason IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS declined, \
         CAST(SUM(CASE WHEN order_lines.declined_reason IS NULL THEN order_lines.quantity ELSE 0 END) AS BIGINT) AS purchased, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {due} THEN order_lines.quantity ELSE 0 END) AS BIGINT) AS due_ordered, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {due} THEN {delivered} ELSE 0 END) AS BIGINT) AS due_delivered \
         FROM order_lines JOIN orders ON orders.id = order_lines.order_id \
         WHERE {period} GROUP BY {group}",
        delivered = DELIVERED_OF_LINE,
    ))
    .load(conn)?;
    let shipped: Vec<DeliveryRow> = diesel::sql_query(format!(
        "SELECT {keys}, \
         CAST(SUM(delivery_lines.quantity - delivery_lines.rejected) AS BIGINT) AS delivered, \
         CAST(SUM(CASE WHEN delivery_lines.late THEN 0 \
              ELSE delivery_lines.quantity - delivery_lines.rejected END) AS BIGINT) AS timely, \
         CAST(SUM(delivery_lines.rejected) AS BIGINT) AS rejected \
         FROM delivery_lines JOIN order_lines ON order_lines.id = delivery_lines.order_line_id \
         JOIN orders ON orders.id = order_lines.order_id \
         WHERE {period} GROUP BY {group}"
    ))
    .load(conn)?;
    let mut out: BTreeMap<(i64, i64), Totals> = BTreeMap::new();
    for r in lines {
        let t = out.entry((r.k1, r.k2)).or_default();
        t.lines = r.lines;
        t.declined = r.declined;
        t.purchased = r.purchased;
        t.due_ordered = r.due_ordered;
        t.due_delivered = r.due_delivered;
    }
    for r in shipped {
        let t = out.entry((r.k1, r.k2)).or_default();
        t.delivered = r.delivered;
        t.timely = r.timely;
        t.rejected = r.rejected;
    }
    Ok(out)
}

/// An institution's orders still waiting for goods or receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrders {
    pub institution_id: i64,
    pub institution: String,
    pub open: i64,
    /// Of those, past their delivery deadline.
    pub overdue: i64,
}

const OPEN_STATES: [OrderState; 4] = [
    OrderState::Submitted,
    OrderState::Acknowledged,
    OrderState::Shipped,
    OrderState::PartiallyReceived,
];

#[derive(QueryableByName)]
struct OpenRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    open: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
}

/// Open orders per institution (the filter's period, county and supplier), most overdue first.
pub fn open_orders(conn: &mut DbConn, f: &Filter, now: NaiveDateTime) -> Result<Vec<OpenOrders>> {
    let states = OPEN_STATES
        .iter()
        .map(|s| sql_word(*s))
        .collect::<Vec<_>>()
        .join(",");
    let mut cond = format!(
        "orders.state IN ({states}) AND orders.submitted_at >= {} AND orders.submitted_at < {}",
        sql_ts(f.from),
        sql_ts(f.to)
    );
    if let Some(c) = f.county_id {
        cond.push_str(&format!(
            " AND ((regions.level = {township} AND regions.parent_id = {c}) \
             OR (regions.level <> {township} AND regions.id = {c}))",
            township = sql_word(RegionLevel::Township),
        ));
    }
    if let Some(s) = f.supplier_id {
        cond.push_str(&format!(" AND orders.supplier_id = {s}"));
    }
    let rows: Vec<OpenRow> = diesel::sql_query(format!(
        "SELECT institutions.id AS id, institutions.name AS name, COUNT(*) AS open, \
         CAST(SUM(CASE WHEN orders.deliver_by < {} THEN 1 ELSE 0 END) AS BIGINT) AS overdue \
         FROM orders JOIN institutions ON institutions.id = orders.institution_id \
         JOIN regions ON regions.id = institutions.region_id \
         WHERE {cond} GROUP BY institutions.id, institutions.name \
         ORDER BY overdue DESC, open DESC, institutions.id",
        sql_ts(now)
    ))
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| OpenOrders {
            institution_id: r.id,
            institution: r.name,
            open: r.open,
            overdue: r.overdue,
        })
        .collect())
}

/// One contract: when each quantity was ordered (lines not declined, orders not cancelled).
pub fn purchases_of(conn: &mut DbConn, contract_id: i64) -> Result<Vec<(NaiveDateTime, i64)>> {
    Ok(order_lines::table
        .inner_join(orders::table)
        .filter(order_lines::contract_id.eq(contract_id))
        .filter(orders::cancelled_at.is_null())
        .filter(order_lines::declined_reason.is_null())
        .select((orders::submitted_at, order_lines::quantity))
        .order(orders::submitted_at)
        .load(conn)?)
}

/// The names the figures are shown under: suppliers, drugs (code and name), counties.
#[derive(Debug, Default)]
pub struct Names {
    pub suppliers: BTreeMap<i64, String>,
    pub drugs: BTreeMap<i64, (String, String)>,
    /// Region id → (Chinese name, English name, level).
    pub regions: BTreeMap<i64, (String, String, RegionLevel)>,
}

impl Names {
    pub fn is_county(&self, id: i64) -> bool {
        self.regions
            .get(&id)
            .is_some_and(|r| r.2 == RegionLevel::County)
    }
}

pub fn names(conn: &mut DbConn) -> Result<Names> {
    use super::schema::{drugs, regions, suppliers};
    Ok(Names {
        suppliers: suppliers::table
            .select((suppliers::id, suppliers::name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect(),
        drugs: drugs::table
            .select((drugs::id, drugs::code, drugs::name_zh))
            .load::<(i64, String, String)>(conn)?
            .into_iter()
            .map(|(id, code, name)| (id, (code, name)))
            .collect(),
        regions: regions::table
            .select((
                regions::id,
                regions::name_zh,
                regions::name_en,
                regions::level,
            ))
            .load::<(i64, String, String, RegionLevel)>(conn)?
            .into_iter()
            .map(|(id, zh, en, level)| (id, (zh, en, level)))
            .collect(),
    })
}

/// Each product's drug.
pub fn product_drugs(conn: &mut DbConn) -> Result<BTreeMap<i64, i64>> {
    Ok(products::table
        .select((products::id, products::drug_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}
