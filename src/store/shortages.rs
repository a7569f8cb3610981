//! The shortage list: the signals read from the live records, the records and their history,
//! institutions' reports, suppliers' interruptions and the center's responses.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::schema::{
    drugs, shortage_events, shortage_reports, shortage_responses, shortages, supply_interruptions,
};
use super::{
    audit, sql_date, sql_ts, sql_word, write_tx, Act, DbConn, MultiBackend, Result, StoreError,
};
use crate::domain::catalog::RegionLevel;
use crate::domain::orders::DeclineReason;
use crate::domain::shortage::{
    counties_parse, counties_text, Change, CountySignals, Current, DrugSignals, EventKind,
    Geography, Level, Reading, ResponseKind, Scope, ShortageStatus,
};
use crate::domain::tender::{ContractStatus, LotStatus};
use crate::domain::{Code, Invalid, Msg};

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
/// lines of the window, and small ones over reports, contracts, lots and interruptions.
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
    let lines: Vec<LineSignal> = diesel::sql_query(format!(
        "SELECT products.drug_id AS drug_id, CAST(COALESCE(orders.county_id, 0) AS BIGINT) AS county_id, \
         CAST(SUM(CASE WHEN order_lines.declined_reason = {out_of_stock} THEN 1 ELSE 0 END) AS BIGINT) AS declined, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} AND order_lines.declined_reason IS NULL \
              AND order_lines.shipped < order_lines.quantity THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} THEN 1 ELSE 0 END) AS BIGINT) AS due_lines, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} THEN order_lines.quantity ELSE 0 END) AS BIGINT) AS due_ordered, \
         CAST(SUM(CASE WHEN orders.deliver_by <= {n} AND order_lines.declined_reason IS NULL \
              THEN order_lines.shipped ELSE 0 END) AS BIGINT) AS due_shipped \
         FROM order_lines JOIN orders ON orders.id = order_lines.order_id \
         JOIN products ON products.id = order_lines.product_id \
         WHERE orders.cancelled_at IS NULL AND orders.submitted_at >= {f} AND orders.submitted_at <= {n} \
         GROUP BY products.drug_id, orders.county_id",
        out_of_stock = sql_word(DeclineReason::OutOfStock),
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
    Ok(s)
}

/// The regions, to place a county in its city.
#[derive(Debug, Default, Clone)]
pub struct Geo {
    parent: BTreeMap<i64, Option<i64>>,
    names: BTreeMap<i64, (String, String)>,
    province: i64,
}

impl Geo {
    /// The tree of these regions (all of them: it needs the province).
    pub fn of(regions: &[super::regions::Region]) -> Result<Geo> {
        let province = regions
            .iter()
            .find(|r| r.level == RegionLevel::Province)
            .map(|r| r.id)
            .ok_or_else(|| StoreError::NotFound(Code::ProvinceRegionNotFound.into()))?;
        Ok(Geo {
            parent: regions.iter().map(|r| (r.id, r.parent_id)).collect(),
            names: regions
                .iter()
                .map(|r| (r.id, (r.name_zh.clone(), r.name_en.clone())))
                .collect(),
            province,
        })
    }

    /// The region itself and every region below it.
    pub fn within(&self, region_id: i64) -> BTreeSet<i64> {
        let mut set = BTreeSet::from([region_id]);
        loop {
            let before = set.len();
            for (id, p) in &self.parent {
                if p.is_some_and(|p| set.contains(&p)) {
                    set.insert(*id);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    /// A region's names: Chinese, English.
    pub fn names(&self, id: i64) -> (String, String) {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| (format!("#{id}"), format!("#{id}")))
    }

    /// A region's name in a language ("zh-CN" or "en").
    pub fn name(&self, id: i64, lang: &str) -> String {
        match self.names.get(&id) {
            Some((zh, en)) => {
                if lang.starts_with("zh") || en.is_empty() {
                    zh.clone()
                } else {
                    en.clone()
                }
            }
            None => format!("#{id}"),
        }
    }
}

impl Geography for Geo {
    fn city_of(&self, county_id: i64) -> Option<i64> {
        self.parent.get(&county_id).copied().flatten()
    }
    fn province(&self) -> i64 {
        self.province
    }
}

pub fn geography(conn: &mut DbConn) -> Result<Geo> {
    Geo::of(&super::regions::all(conn)?)
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = shortages)]
pub struct Shortage {
    pub id: i64,
    pub drug_id: i64,
    pub level: Level,
    pub scope: Scope,
    pub region_id: i64,
    pub counties: String,
    pub evidence: String,
    pub status: ShortageStatus,
    pub opened_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    /// The institutions and suppliers alerted at any change (comma-separated ids).
    pub alerted_institutions: String,
    pub alerted_suppliers: String,
}

impl Shortage {
    pub fn current(&self) -> Current {
        Current {
            level: self.level,
            scope: self.scope,
            region_id: self.region_id,
            counties: counties_parse(&self.counties),
        }
    }
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = shortage_events)]
pub struct Event {
    pub id: i64,
    pub shortage_id: i64,
    pub at: NaiveDateTime,
    pub change: EventKind,
    pub level: Level,
    pub scope: Scope,
    pub region_id: i64,
    pub counties: String,
    pub evidence: String,
    pub actor: String,
}

/// The open records, by drug.
pub fn open_records(conn: &mut DbConn) -> Result<BTreeMap<i64, Shortage>> {
    let rows: Vec<Shortage> = shortages::table
        .filter(shortages::status.eq(ShortageStatus::Open))
        .select(Shortage::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.drug_id, r)).collect())
}

/// Writes one change of a drug's record with its history event and audit record (call inside
/// the transaction that also writes its alerts). Returns the record and the event.
pub fn apply(
    conn: &mut DbConn,
    act: &Act,
    drug_id: i64,
    current: Option<&Shortage>,
    change: Change,
    reading: Option<&Reading>,
) -> Result<(Shortage, Event)> {
    let at = act.stamp();
    let id = match (current, reading) {
        (None, Some(r)) => diesel::insert_into(shortages::table)
            .values((
                shortages::drug_id.eq(drug_id),
                shortages::level.eq(r.level),
                shortages::scope.eq(r.scope),
                shortages::region_id.eq(r.region_id),
                shortages::counties.eq(counties_text(&r.counties)),
                shortages::evidence.eq(serde_json::to_string(&r.evidence).unwrap_or_default()),
                shortages::status.eq(ShortageStatus::Open),
                shortages::opened_at.eq(at),
                shortages::updated_at.eq(at),
            ))
            .returning(shortages::id)
            .get_result(conn)?,
        (Some(c), Some(r)) => {
            diesel::update(shortages::table.find(c.id))
                .set((
                    shortages::level.eq(r.level),
                    shortages::scope.eq(r.scope),
                    shortages::region_id.eq(r.region_id),
                    shortages::counties.eq(counties_text(&r.counties)),
                    shortages::evidence.eq(serde_json::to_string(&r.evidence).unwrap_or_default()),
                    shortages::updated_at.eq(at),
                ))
                .execute(conn)?;
            c.id
        }
        (Some(c), None) => {
            diesel::update(shortages::table.find(c.id))
                .set((
                    shortages::status.eq(ShortageStatus::Resolved),
                    shortages::updated_at.eq(at),
                    shortages::resolved_at.eq(Some(at)),
                ))
                .execute(conn)?;
            c.id
        }
        (None, None) => return Err(StoreError::Conflict(Code::NothingToChange.into())),
    };
    let rec: Shortage = shortages::table
        .find(id)
        .select(Shortage::as_select())
        .first(conn)?;
    // Each event keeps the evidence of its own change; a resolution has none left.
    let evidence = if change == Change::Resolved {
        "[]"
    } else {
        rec.evidence.as_str()
    };
    let event = add_event(conn, act, &rec, change.into(), evidence)?;
    audit::append(
        conn,
        act,
        &format!("shortage_{}", change.as_str()),
        "shortage",
        id,
        current,
        Some(&rec),
    )?;
    Ok((rec, event))
}

/// Adds institutions and suppliers to those a record alerted (call in the transaction that
/// writes the alert).
pub fn note_alerted(
    conn: &mut DbConn,
    rec: &Shortage,
    institutions: &BTreeSet<i64>,
    suppliers: &BTreeSet<i64>,
) -> Result<()> {
    let mut inst = counties_parse(&rec.alerted_institutions);
    let mut sup = counties_parse(&rec.alerted_suppliers);
    let before = (inst.len(), sup.len());
    inst.extend(institutions);
    sup.extend(suppliers);
    if before != (inst.len(), sup.len()) {
        diesel::update(shortages::table.find(rec.id))
            .set((
                shortages::alerted_institutions.eq(counties_text(&inst)),
                shortages::alerted_suppliers.eq(counties_text(&sup)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Writes a history event of a record as it stands after `change`.
fn add_event(
    conn: &mut DbConn,
    act: &Act,
    rec: &Shortage,
    change: EventKind,
    evidence: &str,
) -> Result<Event> {
    let id: i64 = diesel::insert_into(shortage_events::table)
        .values((
            shortage_events::shortage_id.eq(rec.id),
            shortage_events::at.eq(act.stamp()),
            shortage_events::change.eq(change),
            shortage_events::level.eq(rec.level),
            shortage_events::scope.eq(rec.scope),
            shortage_events::region_id.eq(rec.region_id),
            shortage_events::counties.eq(&rec.counties),
            shortage_events::evidence.eq(evidence),
            shortage_events::actor.eq(&act.actor),
        ))
        .returning(shortage_events::id)
        .get_result(conn)?;
    Ok(shortage_events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)?)
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

/// Which records the list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Open records (true) or resolved ones (false).
    pub open: bool,
    pub level: Option<Level>,
    pub drug_id: Option<i64>,
    /// Records whose scope region or affected counties include this region.
    pub region_id: Option<i64>,
}

/// A record with its drug's names.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub record: Shortage,
    pub drug_code: String,
    pub drug_name: String,
}

pub fn list(conn: &mut DbConn, f: &ListFilter, limit: i64) -> Result<Vec<Listed>> {
    let mut q = shortages::table
        .inner_join(drugs::table)
        .select((Shortage::as_select(), drugs::code, drugs::name_zh))
        .filter(shortages::status.eq(if f.open {
            ShortageStatus::Open
        } else {
            ShortageStatus::Resolved
        }))
        .into_boxed::<MultiBackend>();
    if let Some(l) = f.level {
        q = q.filter(shortages::level.eq(l));
    }
    if let Some(d) = f.drug_id {
        q = q.filter(shortages::drug_id.eq(d));
    }
    let rows: Vec<(Shortage, String, String)> = q
        .order((shortages::updated_at.desc(), shortages::id.desc()))
        .limit(if f.region_id.is_some() {
            100_000
        } else {
            limit
        })
        .load(conn)?;
    let mut out = vec![];
    let region_counties = match f.region_id {
        Some(r) => Some(geography(conn)?.within(r)),
        None => None,
    };
    for (record, drug_code, drug_name) in rows {
        if let (Some(r), Some(within)) = (f.region_id, &region_counties) {
            let counties = counties_parse(&record.counties);
            let hit = record.region_id == r
                || counties.iter().any(|c| within.contains(c))
                || record.scope == Scope::Province;
            if !hit {
                continue;
            }
        }
        out.push(Listed {
            record,
            drug_code,
            drug_name,
        });
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(out)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Shortage> {
    shortages::table
        .find(id)
        .select(Shortage::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Msg::new(Code::ShortageNotFound).arg("id", id)))
}

pub fn events_of(conn: &mut DbConn, id: i64) -> Result<Vec<Event>> {
    Ok(shortage_events::table
        .filter(shortage_events::shortage_id.eq(id))
        .order(shortage_events::id.desc())
        .select(Event::as_select())
        .load(conn)?)
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = shortage_reports)]
pub struct Report {
    pub id: i64,
    pub institution_id: i64,
    pub drug_id: i64,
    pub county_id: i64,
    pub note: String,
    pub reported_at: NaiveDateTime,
    pub reported_by: String,
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// An institution reports a drug short: a signal of the scan for its county.
pub fn report(
    conn: &mut DbConn,
    act: &Act,
    institution_id: i64,
    drug_id: i64,
    note: &str,
) -> Result<Report> {
    let note = crate::domain::optional_text("note", note, 2000)?.unwrap_or_default();
    write_tx(conn, |conn| {
        drug_exists(conn, drug_id)?;
        let county = super::regions::county_of_institution(conn, institution_id)?;
        let id: i64 = diesel::insert_into(shortage_reports::table)
            .values((
                shortage_reports::institution_id.eq(institution_id),
                shortage_reports::drug_id.eq(drug_id),
                shortage_reports::county_id.eq(county),
                shortage_reports::note.eq(note),
                shortage_reports::reported_at.eq(act.stamp()),
                shortage_reports::reported_by.eq(&act.actor),
            ))
            .returning(shortage_reports::id)
            .get_result(conn)?;
        let r: Report = shortage_reports::table
            .find(id)
            .select(Report::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "report",
            "shortage_report",
            id,
            None::<&()>,
            Some(&r),
        )?;
        Ok(r)
    })
}

/// Reports, newest first: one institution's, or all.
/// Reports, newest first, each with its drug's code and Chinese name.
pub fn reports(
    conn: &mut DbConn,
    institution_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Report, String, String)>> {
    let mut q = shortage_reports::table
        .inner_join(drugs::table)
        .select((Report::as_select(), drugs::code, drugs::name_zh))
        .into_boxed::<MultiBackend>();
    if let Some(i) = institution_id {
        q = q.filter(shortage_reports::institution_id.eq(i));
    }
    Ok(q.order(shortage_reports::id.desc())
        .limit(limit)
        .load(conn)?)
}

fn drug_exists(conn: &mut DbConn, drug_id: i64) -> Result<()> {
    drugs::table
        .find(drug_id)
        .select(drugs::id)
        .first::<i64>(conn)
        .optional()?
        .map(|_| ())
        .ok_or_else(|| {
            Invalid::new("drug_id", Msg::new(Code::NoDrugWithId).arg("id", drug_id)).into()
        })
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = supply_interruptions)]
pub struct Interruption {
    pub id: i64,
    pub supplier_id: i64,
    pub drug_id: i64,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub declared_at: NaiveDateTime,
    pub declared_by: String,
}

/// A supplier declares it cannot supply a drug from `starts_on` (until `ends_on`, or until
/// further notice).
pub fn declare_interruption(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    drug_id: i64,
    reason: &str,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
) -> Result<Interruption> {
    let reason = crate::domain::required_text("reason", reason, 2000)?;
    if ends_on.is_some_and(|e| e < starts_on) {
        return Err(Invalid::new("ends_on", Code::PeriodEndsBeforeStart).into());
    }
    write_tx(conn, |conn| {
        drug_exists(conn, drug_id)?;
        let id: i64 = diesel::insert_into(supply_interruptions::table)
            .values((
                supply_interruptions::supplier_id.eq(supplier_id),
                supply_interruptions::drug_id.eq(drug_id),
                supply_interruptions::reason.eq(&reason),
                supply_interruptions::starts_on.eq(starts_on),
                supply_interruptions::ends_on.eq(ends_on),
                supply_interruptions::declared_at.eq(act.stamp()),
                supply_interruptions::declared_by.eq(&act.actor),
            ))
            .returning(supply_interruptions::id)
            .get_result(conn)?;
        let r: Interruption = supply_interruptions::table
            .find(id)
            .select(Interruption::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "declare",
            "supply_interruption",
            id,
            None::<&()>,
            Some(&r),
        )?;
        Ok(r)
    })
}

/// A supplier ends its interruption (from `on`).
pub fn end_interruption(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    id: i64,
    on: NaiveDate,
) -> Result<Interruption> {
    write_tx(conn, |conn| {
        let before: Interruption = supply_interruptions::table
            .find(id)
            .filter(supply_interruptions::supplier_id.eq(supplier_id))
            .select(Interruption::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(Msg::new(Code::InterruptionNotFound).arg("id", id))
            })?;
        let end = on.max(before.starts_on);
        diesel::update(supply_interruptions::table.find(id))
            .set(supply_interruptions::ends_on.eq(Some(end)))
            .execute(conn)?;
        let after = Interruption {
            ends_on: Some(end),
            ..before.clone()
        };
        audit::append(
            conn,
            act,
            "end",
            "supply_interruption",
            id,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

pub fn interruptions(
    conn: &mut DbConn,
    supplier_id: Option<i64>,
    drug_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Interruption, String, String)>> {
    let mut q = supply_interruptions::table
        .inner_join(drugs::table)
        .select((Interruption::as_select(), drugs::code, drugs::name_zh))
        .into_boxed::<MultiBackend>();
    if let Some(s) = supplier_id {
        q = q.filter(supply_interruptions::supplier_id.eq(s));
    }
    if let Some(d) = drug_id {
        q = q.filter(supply_interruptions::drug_id.eq(d));
    }
    Ok(q.order(supply_interruptions::id.desc())
        .limit(limit)
        .load(conn)?)
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = shortage_responses)]
pub struct Response {
    pub id: i64,
    pub shortage_id: i64,
    pub drug_id: i64,
    pub kind: ResponseKind,
    pub counties: String,
    pub price_cap: Option<i64>,
    pub until_on: Option<NaiveDate>,
    pub supplier_id: Option<i64>,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

/// A response as the center gives it, checked by the caller's domain rules.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub kind: ResponseKind,
    pub counties: BTreeSet<i64>,
    pub price_cap: Option<i64>,
    pub until_on: Option<NaiveDate>,
    pub supplier_id: Option<i64>,
    pub note: String,
}

/// Records the center's response to an open shortage, with a history event.
pub fn respond(
    conn: &mut DbConn,
    act: &Act,
    shortage_id: i64,
    r: &NewResponse,
) -> Result<(Shortage, Response)> {
    write_tx(conn, |conn| {
        let s = get(conn, shortage_id)?;
        if s.status != ShortageStatus::Open {
            return Err(StoreError::Conflict(Code::ShortageResolved.into()));
        }
        if let Some(sup) = r.supplier_id {
            super::parties::get_supplier(conn, sup).map_err(|_| {
                Invalid::new(
                    "supplier_id",
                    Msg::new(Code::NoSupplierWithId).arg("id", sup),
                )
            })?;
        }
        let counties = if r.counties.is_empty() {
            counties_parse(&s.counties)
        } else {
            r.counties.clone()
        };
        let id: i64 = diesel::insert_into(shortage_responses::table)
            .values((
                shortage_responses::shortage_id.eq(shortage_id),
                shortage_responses::drug_id.eq(s.drug_id),
                shortage_responses::kind.eq(r.kind),
                shortage_responses::counties.eq(counties_text(&counties)),
                shortage_responses::price_cap.eq(r.price_cap),
                shortage_responses::until_on.eq(r.until_on),
                shortage_responses::supplier_id.eq(r.supplier_id),
                shortage_responses::note.eq(r.note.trim()),
                shortage_responses::created_at.eq(act.stamp()),
                shortage_responses::created_by.eq(&act.actor),
            ))
            .returning(shortage_responses::id)
            .get_result(conn)?;
        let resp: Response = shortage_responses::table
            .find(id)
            .select(Response::as_select())
            .first(conn)?;
        add_event(
            conn,
            act,
            &s,
            r.kind.into(),
            &serde_json::to_string(&resp).unwrap_or_default(),
        )?;
        audit::append(
            conn,
            act,
            "respond",
            "shortage",
            shortage_id,
            None::<&()>,
            Some(&resp),
        )?;
        Ok((s, resp))
    })
}

pub fn responses_of(conn: &mut DbConn, shortage_id: i64) -> Result<Vec<Response>> {
    Ok(shortage_responses::table
        .filter(shortage_responses::shortage_id.eq(shortage_id))
        .order(shortage_responses::id.desc())
        .select(Response::as_select())
        .load(conn)?)
}

use super::schema::{direct_listings, direct_purchases, licences, products};

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = direct_listings)]
pub struct Listing {
    pub id: i64,
    pub response_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    pub unit_price: i64,
    pub listed_at: NaiveDateTime,
    pub listed_by: String,
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = direct_purchases)]
pub struct Purchase {
    pub id: i64,
    pub listing_id: i64,
    pub institution_id: i64,
    pub county_id: i64,
    pub quantity: i64,
    pub unit_price: i64,
    pub placed_at: NaiveDateTime,
    pub placed_by: String,
}

/// Direct-listing responses in force on `today` (their end date not passed), newest first.
pub fn direct_listing_responses(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<Response>> {
    Ok(shortage_responses::table
        .filter(shortage_responses::kind.eq(ResponseKind::DirectListing))
        .filter(shortage_responses::until_on.ge(today))
        .order(shortage_responses::id.desc())
        .select(Response::as_select())
        .load(conn)?)
}

fn response_in_force(conn: &mut DbConn, response_id: i64, today: NaiveDate) -> Result<Response> {
    let r: Response = shortage_responses::table
        .find(response_id)
        .select(Response::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(Msg::new(Code::DirectListingNotFound).arg("id", response_id))
        })?;
    if r.kind != ResponseKind::DirectListing {
        return Err(StoreError::NotFound(
            Msg::new(Code::DirectListingNotFound).arg("id", response_id),
        ));
    }
    if r.until_on.is_none_or(|u| u < today) {
        return Err(StoreError::Conflict(
            Msg::new(Code::DirectListingEnded).arg(
                "date",
                r.until_on.map(|d| d.to_string()).unwrap_or_default(),
            ),
        ));
    }
    Ok(r)
}

/// A licensed supplier lists a product of the drug at its own price within the cap.
pub fn list_product(
    conn: &mut DbConn,
    act: &Act,
    response_id: i64,
    supplier_id: i64,
    product_id: i64,
    unit_price: i64,
    today: NaiveDate,
) -> Result<Listing> {
    write_tx(conn, |conn| {
        let r = response_in_force(conn, response_id, today)?;
        let licensed: i64 = licences::table
            .filter(licences::supplier_id.eq(supplier_id))
            .filter(licences::expires_on.ge(today))
            .count()
            .get_result(conn)?;
        if licensed == 0 {
            return Err(StoreError::Conflict(Code::LicenceNeededToList.into()));
        }
        let drug: Option<i64> = products::table
            .find(product_id)
            .select(products::drug_id)
            .first(conn)
            .optional()?;
        match drug {
            None => {
                return Err(Invalid::new(
                    "product_id",
                    Msg::new(Code::NoProductWithId).arg("id", product_id),
                )
                .into())
            }
            Some(d) if d != r.drug_id => {
                return Err(Invalid::new("product_id", Code::ProductNotOfShortageDrug).into())
            }
            _ => {}
        }
        let cap = r.price_cap.unwrap_or(0);
        if unit_price <= 0 || unit_price > cap {
            return Err(Invalid::new(
                "unit_price",
                Msg::new(Code::PriceNotWithinCap).arg(
                    "cap",
                    crate::domain::money::Money::from_ten_thousandths(cap),
                ),
            )
            .into());
        }
        let id: i64 = diesel::insert_into(direct_listings::table)
            .values((
                direct_listings::response_id.eq(response_id),
                direct_listings::supplier_id.eq(supplier_id),
                direct_listings::product_id.eq(product_id),
                direct_listings::unit_price.eq(unit_price),
                direct_listings::listed_at.eq(act.stamp()),
                direct_listings::listed_by.eq(&act.actor),
            ))
            .returning(direct_listings::id)
            .get_result(conn)
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(Code::ProductAlreadyListed.into()),
                e => e,
            })?;
        let l: Listing = direct_listings::table
            .find(id)
            .select(Listing::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "list",
            "direct_listing",
            id,
            None::<&()>,
            Some(&l),
        )?;
        Ok(l)
    })
}

/// Listings under the responses in force, with their response.
pub fn listings_in_force(
    conn: &mut DbConn,
    today: NaiveDate,
    supplier_id: Option<i64>,
) -> Result<Vec<(Listing, Response)>> {
    let mut q = direct_listings::table
        .inner_join(shortage_responses::table)
        .filter(shortage_responses::until_on.ge(today))
        .select((Listing::as_select(), Response::as_select()))
        .into_boxed::<MultiBackend>();
    if let Some(s) = supplier_id {
        q = q.filter(direct_listings::supplier_id.eq(s));
    }
    Ok(q.order(direct_listings::id.desc()).load(conn)?)
}

/// An institution of an affected county buys under a listing at its price (not editable).
pub fn buy(
    conn: &mut DbConn,
    act: &Act,
    listing_id: i64,
    institution_id: i64,
    quantity: i64,
    today: NaiveDate,
) -> Result<Purchase> {
    crate::domain::bounds::Quantity::new("quantity", quantity)?;
    write_tx(conn, |conn| {
        let l: Listing = direct_listings::table
            .find(listing_id)
            .select(Listing::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(Msg::new(Code::ListingNotFound).arg("id", listing_id))
            })?;
        let r = response_in_force(conn, l.response_id, today)?;
        let county = super::regions::county_of_institution(conn, institution_id)?;
        if !counties_parse(&r.counties).contains(&county) {
            return Err(StoreError::Conflict(Code::NotInAffectedCounty.into()));
        }
        let id: i64 = diesel::insert_into(direct_purchases::table)
            .values((
                direct_purchases::listing_id.eq(listing_id),
                direct_purchases::institution_id.eq(institution_id),
                direct_purchases::county_id.eq(county),
                direct_purchases::quantity.eq(quantity),
                direct_purchases::unit_price.eq(l.unit_price),
                direct_purchases::placed_at.eq(act.stamp()),
                direct_purchases::placed_by.eq(&act.actor),
            ))
            .returning(direct_purchases::id)
            .get_result(conn)?;
        let p: Purchase = direct_purchases::table
            .find(id)
            .select(Purchase::as_select())
            .first(conn)?;
        audit::append(
            conn,
            act,
            "buy",
            "direct_purchase",
            id,
            None::<&()>,
            Some(&p),
        )?;
        Ok(p)
    })
}

/// Purchases under direct listing, newest first: one institution's, one supplier's, or all.
pub fn purchases(
    conn: &mut DbConn,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(Purchase, Listing)>> {
    let mut q = direct_purchases::table
        .inner_join(direct_listings::table)
        .select((Purchase::as_select(), Listing::as_select()))
        .into_boxed::<MultiBackend>();
    if let Some(i) = institution_id {
        q = q.filter(direct_purchases::institution_id.eq(i));
    }
    if let Some(s) = supplier_id {
        q = q.filter(direct_listings::supplier_id.eq(s));
    }
    Ok(q.order(direct_purchases::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Suppliers holding a licence valid on `today` (those a direct listing is open to).
pub fn licensed_suppliers(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<i64>> {
    let mut v: Vec<i64> = licences::table
        .filter(licences::expires_on.ge(today))
        .select(licences::supplier_id)
        .distinct()
        .load(conn)?;
    v.sort_unstable();
    Ok(v)
}
