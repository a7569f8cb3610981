//! The shortage list: the records and their history (here), the signals read from the live
//! records (`signals`), institutions' reports and suppliers' interruptions (`reports`), the
//! center's responses and direct listings (`responses`).

mod reports;
mod responses;
mod signals;

pub use reports::*;
pub use responses::*;
pub use signals::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::schema::{drugs, shortage_events, shortages};
use super::{audit, Act, DbConn, MultiBackend, Result, StoreError};
use crate::domain::catalog::RegionLevel;
use crate::domain::shortage::{
    counties_parse, counties_text, Change, Current, EventKind, Geography, Level, Reading, Scope,
    ShortageStatus,
};
use crate::domain::{Code, Msg};

/// The regions, to place a county in its city.
#[derive(Debug, Default, Clone)]
pub struct Geo {
    parent: BTreeMap<i64, Option<i64>>,
    names: BTreeMap<i64, (String, String)>,
    province: i64,
}

impl Geo {
    /// The tree of these regions (all of them: it needs the province).
    pub fn of(regions: &[crate::store::regions::Region]) -> Result<Geo> {
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
    Geo::of(&crate::store::regions::all(conn)?)
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
