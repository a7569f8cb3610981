//! Shortage rules (DOMAIN.md, "Shortage monitoring"): the signals read per drug and county,
//! the level they give (watch, shortage, critical), the scope they spread to (county, city,
//! province), and what a new reading does to the record already open. Pure: the store reads
//! the signals, this decides.

use serde::{Deserialize, Serialize};

use super::{Code, Invalid, Msg};
use std::collections::{BTreeMap, BTreeSet};

words! {
    /// How short a drug is, in rising order.
    #[derive(PartialOrd, Ord)]
    pub enum Level {
        Watch => "watch",
        Shortage => "shortage",
        Critical => "critical",
    }
}

words! {
    /// How far a shortage has spread.
    #[derive(PartialOrd, Ord)]
    pub enum Scope {
        County => "county",
        City => "city",
        Province => "province",
    }
}

words! {
    /// A shortage record: open while the drug is short, then resolved.
    pub enum ShortageStatus {
        Open => "open",
        Resolved => "resolved",
    }
}

/// The thresholds of the shortage scan (its `jobs/` file; the defaults are the province's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// The trailing window the order signals are read over, in days.
    pub window_days: i64,
    /// Fewer lines due than this in a county: its fill rate is not judged.
    pub min_due_lines: i64,
    pub fill_watch_pct: i64,
    pub fill_shortage_pct: i64,
    pub fill_critical_pct: i64,
    pub declines_watch: i64,
    pub declines_shortage: i64,
    pub overdue_watch: i64,
    pub overdue_shortage: i64,
    pub reports_watch: i64,
    pub reports_shortage: i64,
    /// Counties at shortage level or worse that make the drug critical.
    pub critical_counties: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            window_days: 30,
            min_due_lines: 3,
            fill_watch_pct: 90,
            fill_shortage_pct: 70,
            fill_critical_pct: 50,
            declines_watch: 1,
            declines_shortage: 3,
            overdue_watch: 1,
            overdue_shortage: 3,
            reports_watch: 1,
            reports_shortage: 3,
            critical_counties: 5,
        }
    }
}

/// What the live records say about one drug in one county over the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountySignals {
    /// Lines declined as out of stock.
    pub declined_out_of_stock: i64,
    /// Lines past their delivery deadline, not declined, not fully shipped.
    pub overdue_lines: i64,
    /// Lines whose deadline has passed, and their ordered and shipped quantities (declined
    /// lines count as ordered and not shipped).
    pub due_lines: i64,
    pub due_ordered: i64,
    pub due_shipped: i64,
    /// Institutions that reported the drug short.
    pub reports: i64,
}

/// What is known of one drug across the province.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrugSignals {
    /// Distinct suppliers with a contract in force for the drug.
    pub contracted_suppliers: i64,
    /// Of those, how many declared a supply interruption in force.
    pub interrupted_suppliers: i64,
    /// The drug was tendered or contracted before (so having no contract now matters).
    pub procured: bool,
    /// A lot of the drug failed in its last tender.
    pub failed_lot: bool,
}

/// One piece of evidence: which signal, where, how strong, and the level it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub signal: String,
    /// The county it was read in; none for a province-wide signal.
    pub county_id: Option<i64>,
    pub value: i64,
    /// The threshold it crossed (for the fill rate: the percentage it fell below).
    pub threshold: i64,
    pub level: Level,
}

fn rate_level(r: &Rules, pct: i64) -> Option<(Level, i64)> {
    if pct < r.fill_critical_pct {
        Some((Level::Critical, r.fill_critical_pct))
    } else if pct < r.fill_shortage_pct {
        Some((Level::Shortage, r.fill_shortage_pct))
    } else if pct < r.fill_watch_pct {
        Some((Level::Watch, r.fill_watch_pct))
    } else {
        None
    }
}

fn count_level(v: i64, watch: i64, shortage: i64) -> Option<(Level, i64)> {
    if v >= shortage {
        Some((Level::Shortage, shortage))
    } else if v >= watch && v > 0 {
        Some((Level::Watch, watch))
    } else {
        None
    }
}

/// The level one county's signals give, with their evidence; none when nothing is wrong.
/// Two different signals at shortage level or worse make it critical.
pub fn assess_county(
    r: &Rules,
    county_id: i64,
    s: &CountySignals,
) -> Option<(Level, Vec<Evidence>)> {
    let mut ev = vec![];
    let mut push = |signal: &str, value: i64, hit: Option<(Level, i64)>| {
        if let Some((level, threshold)) = hit {
            ev.push(Evidence {
                signal: signal.into(),
                county_id: Some(county_id),
                value,
                threshold,
                level,
            });
        }
    };
    push(
        "declined_out_of_stock",
        s.declined_out_of_stock,
        count_level(
            s.declined_out_of_stock,
            r.declines_watch,
            r.declines_shortage,
        ),
    );
    push(
        "overdue_lines",
        s.overdue_lines,
        count_level(s.overdue_lines, r.overdue_watch, r.overdue_shortage),
    );
    if s.due_lines >= r.min_due_lines && s.due_ordered > 0 {
        let pct = (s.due_shipped.min(s.due_ordered) * 100) / s.due_ordered;
        push("fill_rate_pct", pct, rate_level(r, pct));
    }
    push(
        "shortage_reports",
        s.reports,
        count_level(s.reports, r.reports_watch, r.reports_shortage),
    );
    let mut level = ev.iter().map(|e| e.level).max()?;
    if ev.iter().filter(|e| e.level >= Level::Shortage).count() >= 2 {
        level = Level::Critical;
    }
    Some((level, ev))
}

/// The level the province-wide facts of a drug give: no contract in force for a drug the
/// province buys (a failed lot, or contracts ended), every contracted supplier interrupted, a
/// single supplier remaining, an interruption declared.
pub fn assess_drug(s: &DrugSignals) -> Option<(Level, Vec<Evidence>)> {
    let e = |signal: &str, value: i64, threshold: i64, level| Evidence {
        signal: signal.into(),
        county_id: None,
        value,
        threshold,
        level,
    };
    let mut ev = vec![];
    if s.contracted_suppliers == 0 {
        if s.failed_lot {
            ev.push(e("failed_lot", 1, 1, Level::Shortage));
        } else if s.procured {
            ev.push(e("no_contract_in_force", 0, 1, Level::Shortage));
        }
    } else {
        let remaining = s.contracted_suppliers - s.interrupted_suppliers;
        if remaining <= 0 {
            ev.push(e(
                "all_suppliers_interrupted",
                s.interrupted_suppliers,
                s.contracted_suppliers,
                Level::Shortage,
            ));
        } else if s.interrupted_suppliers > 0 {
            ev.push(e(
                "supply_interruption",
                s.interrupted_suppliers,
                1,
                Level::Watch,
            ));
            if remaining == 1 {
                ev.push(e("single_remaining_supplier", 1, 1, Level::Watch));
            }
        }
    }
    let level = ev.iter().map(|e| e.level).max()?;
    Some((level, ev))
}

/// Where a county lies: its city and the province.
pub trait Geography {
    fn city_of(&self, county_id: i64) -> Option<i64>;
    fn province(&self) -> i64;
}

/// What the shortage record of a drug should say now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub level: Level,
    pub scope: Scope,
    /// The county, city or province of the scope.
    pub region_id: i64,
    pub counties: BTreeSet<i64>,
    pub evidence: Vec<Evidence>,
}

/// Puts one drug's county readings and province-wide facts together: the worst level (critical
/// when many counties are short, or a province-wide shortage meets a county one), the scope by
/// how far the counties spread.
pub fn combine(
    r: &Rules,
    counties: &BTreeMap<i64, (Level, Vec<Evidence>)>,
    drug: Option<(Level, Vec<Evidence>)>,
    geo: &impl Geography,
) -> Option<Reading> {
    let mut level = counties.values().map(|c| c.0).max();
    let short_counties = counties.values().filter(|c| c.0 >= Level::Shortage).count() as i64;
    let mut evidence: Vec<Evidence> = counties.values().flat_map(|c| c.1.clone()).collect();
    let drug_wide = drug.is_some();
    if let Some((dl, dev)) = drug {
        if dl >= Level::Shortage && short_counties > 0 {
            level = Some(Level::Critical);
        } else {
            level = Some(level.map_or(dl, |l| l.max(dl)));
        }
        evidence.extend(dev);
    }
    let mut level = level?;
    if short_counties >= r.critical_counties {
        level = Level::Critical;
    }
    let set: BTreeSet<i64> = counties.keys().copied().collect();
    let cities: BTreeSet<Option<i64>> = set.iter().map(|c| geo.city_of(*c)).collect();
    let (scope, region_id) = if drug_wide || set.is_empty() {
        (Scope::Province, geo.province())
    } else if set.len() == 1 {
        (Scope::County, *set.iter().next().unwrap_or(&geo.province()))
    } else if cities.len() == 1 {
        match cities.into_iter().next().flatten() {
            Some(city) => (Scope::City, city),
            None => (Scope::Province, geo.province()),
        }
    } else {
        (Scope::Province, geo.province())
    };
    Some(Reading {
        level,
        scope,
        region_id,
        counties: set,
        evidence,
    })
}

/// The record as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub level: Level,
    pub scope: Scope,
    pub region_id: i64,
    pub counties: BTreeSet<i64>,
}

words! {
    /// What a reading does to the record.
    pub enum Change {
        Opened => "opened",
        Escalated => "escalated",
        Eased => "eased",
        /// The scope widened or narrowed at the same level.
        Spread => "spread",
        /// The same level and scope, other counties (kept, not alerted).
        Counties => "counties",
        Resolved => "resolved",
    }
}

impl Change {
    /// A change of state people are told of by e-mail.
    pub fn alerts(self) -> bool {
        !matches!(self, Change::Counties)
    }
}

/// The change a reading makes; none when the record already says it (a second run on the same
/// data changes nothing).
pub fn transition(current: Option<&Current>, reading: Option<&Reading>) -> Option<Change> {
    match (current, reading) {
        (None, None) => None,
        (None, Some(_)) => Some(Change::Opened),
        (Some(_), None) => Some(Change::Resolved),
        (Some(c), Some(r)) => {
            if r.level > c.level {
                Some(Change::Escalated)
            } else if r.level < c.level {
                Some(Change::Eased)
            } else if r.scope != c.scope || r.region_id != c.region_id {
                Some(Change::Spread)
            } else if r.counties != c.counties {
                Some(Change::Counties)
            } else {
                None
            }
        }
    }
}

/// Counties as stored: comma-separated ids.
pub fn counties_text(c: &BTreeSet<i64>) -> String {
    c.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn counties_parse(s: &str) -> BTreeSet<i64> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

words! {
    /// The responses the center can make to a shortage: temporary off-contract purchasing
    /// under a price cap until a date (direct listing), an alternate (backup) supplier for the
    /// affected counties, re-tender.
    pub enum ResponseKind {
        DirectListing => "direct_listing",
        /// Recorded only, before responses acted (kept for history; no longer given).
        AlternateSupplier => "alternate_supplier",
        Retender => "retender",
        /// Each affected county switched to its backup winner at the backup's awarded price.
        BackupSwitch => "backup_switch",
        /// A named manufacturer at a negotiated price (定点生产).
        DesignatedProducer => "designated_producer",
    }
}

words! {
    /// What an event of a record's history notes: a change the scan made, or a response of
    /// the center.
    pub enum EventKind {
        Opened => "opened",
        Escalated => "escalated",
        Eased => "eased",
        Spread => "spread",
        Counties => "counties",
        Resolved => "resolved",
        DirectListing => "response_direct_listing",
        AlternateSupplier => "response_alternate_supplier",
        Retender => "response_retender",
        BackupSwitch => "response_backup_switch",
        DesignatedProducer => "response_designated_producer",
    }
}

impl From<Change> for EventKind {
    fn from(c: Change) -> EventKind {
        match c {
            Change::Opened => EventKind::Opened,
            Change::Escalated => EventKind::Escalated,
            Change::Eased => EventKind::Eased,
            Change::Spread => EventKind::Spread,
            Change::Counties => EventKind::Counties,
            Change::Resolved => EventKind::Resolved,
        }
    }
}

impl From<ResponseKind> for EventKind {
    fn from(r: ResponseKind) -> EventKind {
        match r {
            ResponseKind::DirectListing => EventKind::DirectListing,
            ResponseKind::AlternateSupplier => EventKind::AlternateSupplier,
            ResponseKind::Retender => EventKind::Retender,
            ResponseKind::BackupSwitch => EventKind::BackupSwitch,
            ResponseKind::DesignatedProducer => EventKind::DesignatedProducer,
        }
    }
}

impl EventKind {
    /// The change, or the response, the event notes.
    pub fn split(self) -> Result<Change, ResponseKind> {
        match self {
            EventKind::Opened => Ok(Change::Opened),
            EventKind::Escalated => Ok(Change::Escalated),
            EventKind::Eased => Ok(Change::Eased),
            EventKind::Spread => Ok(Change::Spread),
            EventKind::Counties => Ok(Change::Counties),
            EventKind::Resolved => Ok(Change::Resolved),
            EventKind::DirectListing => Err(ResponseKind::DirectListing),
            EventKind::AlternateSupplier => Err(ResponseKind::AlternateSupplier),
            EventKind::Retender => Err(ResponseKind::Retender),
            EventKind::BackupSwitch => Err(ResponseKind::BackupSwitch),
            EventKind::DesignatedProducer => Err(ResponseKind::DesignatedProducer),
        }
    }
}

/// A thing named by its id must exist: none is refused on the field it was named in.
pub fn must_exist(found: bool, field: &str, code: Code, id: i64) -> Result<(), Invalid> {
    if found {
        Ok(())
    } else {
        Err(Invalid::new(field, Msg::new(code).arg("id", id)))
    }
}

/// A declared interruption's end, when given, is not before its start.
pub fn check_period(
    starts_on: chrono::NaiveDate,
    ends_on: Option<chrono::NaiveDate>,
) -> Result<(), Invalid> {
    if ends_on.is_some_and(|e| e < starts_on) {
        Err(Invalid::new("ends_on", Code::PeriodEndsBeforeStart))
    } else {
        Ok(())
    }
}

/// A product listed under a direct listing: of the shortage's drug (`product_drug` is the
/// drug of the product named, none when there is no such product), at a price above zero and
/// within the cap (1/10,000 yuan).
pub fn check_listing(
    product_id: i64,
    product_drug: Option<i64>,
    drug_id: i64,
    unit_price: i64,
    cap: Option<i64>,
) -> Result<(), Invalid> {
    match product_drug {
        None => must_exist(false, "product_id", Code::NoProductWithId, product_id)?,
        Some(d) if d != drug_id => {
            return Err(Invalid::new("product_id", Code::ProductNotOfShortageDrug))
        }
        _ => {}
    }
    let cap = cap.unwrap_or(0);
    if unit_price <= 0 || unit_price > cap {
        return Err(Invalid::new(
            "unit_price",
            Msg::new(Code::PriceNotWithinCap).arg(
                "cap",
                crate::domain::money::Money::from_ten_thousandths(cap),
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Geo;
    impl Geography for Geo {
        fn city_of(&self, county: i64) -> Option<i64> {
            Some(county / 100)
        }
        fn province(&self) -> i64 {
            1
        }
    }

    fn county(s: CountySignals) -> Option<Level> {
        assess_county(&Rules::default(), 101, &s).map(|x| x.0)
    }

    #[test]
    fn each_signal_gives_its_level() {
        let r = CountySignals::default();
        assert_eq!(county(r), None);
        let d = |n| CountySignals {
            declined_out_of_stock: n,
            ..r
        };
        assert_eq!(county(d(1)), Some(Level::Watch));
        assert_eq!(county(d(3)), Some(Level::Shortage));
        let o = |n| CountySignals {
            overdue_lines: n,
            ..r
        };
        assert_eq!(county(o(2)), Some(Level::Watch));
        assert_eq!(county(o(5)), Some(Level::Shortage));
        let f = |lines, shipped| CountySignals {
            due_lines: lines,
            due_ordered: 100,
            due_shipped: shipped,
            ..r
        };
        assert_eq!(county(f(10, 95)), None);
        assert_eq!(county(f(10, 85)), Some(Level::Watch));
        assert_eq!(county(f(10, 60)), Some(Level::Shortage));
        assert_eq!(county(f(10, 40)), Some(Level::Critical));
        // Too few lines due: the rate is not judged.
        assert_eq!(county(f(2, 0)), None);
        let rep = |n| CountySignals { reports: n, ..r };
        assert_eq!(county(rep(1)), Some(Level::Watch));
        assert_eq!(county(rep(3)), Some(Level::Shortage));
        // Two signals at shortage level: critical.
        assert_eq!(
            county(CountySignals {
                declined_out_of_stock: 3,
                reports: 3,
                ..r
            }),
            Some(Level::Critical)
        );
    }

    #[test]
    fn province_wide_facts() {
        let s = DrugSignals::default();
        assert_eq!(assess_drug(&s), None);
        assert_eq!(
            assess_drug(&DrugSignals {
                failed_lot: true,
                ..s
            })
            .map(|x| x.0),
            Some(Level::Shortage)
        );
        let two = DrugSignals {
            contracted_suppliers: 2,
            procured: true,
            ..s
        };
        assert_eq!(assess_drug(&two), None);
        let one_left = assess_drug(&DrugSignals {
            interrupted_suppliers: 1,
            ..two
        })
        .unwrap();
        assert_eq!(one_left.0, Level::Watch);
        assert!(one_left
            .1
            .iter()
            .any(|e| e.signal == "single_remaining_supplier"));
        assert_eq!(
            assess_drug(&DrugSignals {
                interrupted_suppliers: 2,
                ..two
            })
            .map(|x| x.0),
            Some(Level::Shortage)
        );
    }

    fn reading(counties: &[(i64, Level)], drug: Option<Level>) -> Option<Reading> {
        let m = counties
            .iter()
            .map(|(c, l)| (*c, (*l, vec![])))
            .collect::<BTreeMap<_, _>>();
        combine(&Rules::default(), &m, drug.map(|l| (l, vec![])), &Geo)
    }

    #[test]
    fn scope_follows_the_spread() {
        let one = reading(&[(101, Level::Watch)], None).unwrap();
        assert_eq!((one.scope, one.region_id), (Scope::County, 101));
        let city = reading(&[(101, Level::Watch), (102, Level::Shortage)], None).unwrap();
        assert_eq!(
            (city.scope, city.region_id, city.level),
            (Scope::City, 1, Level::Shortage)
        );
        let prov = reading(&[(101, Level::Watch), (205, Level::Watch)], None).unwrap();
        assert_eq!(prov.scope, Scope::Province);
        let wide = reading(&[(101, Level::Shortage)], Some(Level::Shortage)).unwrap();
        assert_eq!((wide.scope, wide.level), (Scope::Province, Level::Critical));
        let many: Vec<_> = (101..106).map(|c| (c, Level::Shortage)).collect();
        assert_eq!(reading(&many, None).unwrap().level, Level::Critical);
        assert_eq!(reading(&[], None), None);
    }

    #[test]
    fn transitions() {
        let r = reading(&[(101, Level::Shortage)], None).unwrap();
        let cur = Current {
            level: r.level,
            scope: r.scope,
            region_id: r.region_id,
            counties: r.counties.clone(),
        };
        assert_eq!(transition(None, Some(&r)), Some(Change::Opened));
        assert_eq!(transition(Some(&cur), Some(&r)), None);
        assert_eq!(transition(Some(&cur), None), Some(Change::Resolved));
        let worse = reading(&[(101, Level::Critical)], None).unwrap();
        assert_eq!(
            transition(Some(&cur), Some(&worse)),
            Some(Change::Escalated)
        );
        let better = reading(&[(101, Level::Watch)], None).unwrap();
        assert_eq!(transition(Some(&cur), Some(&better)), Some(Change::Eased));
        let wider = reading(&[(101, Level::Shortage), (102, Level::Watch)], None).unwrap();
        assert_eq!(transition(Some(&cur), Some(&wider)), Some(Change::Spread));
        assert_eq!(transition(None, None), None);
    }
}
