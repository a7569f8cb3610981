//! Performance pages: per supplier its delivery, timely delivery and decline rates; per drug
//! and county its fill rate; per contract its execution over time; per institution its open
//! orders. Charts drawn on the server; filters by period, county and supplier; every table
//! exported as CSV or XLSX. Center staff and regulators see all; a supplier sees its own.

use actix_web::{get, web, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::cols;
use crate::app;
use crate::domain::catalog::RegionLevel;
use crate::domain::performance::{self as perf, percent, ContractKey, Totals};
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::performance::{self as ps, By, Filter, Names};
use crate::web::auth::Viewer;
use crate::web::charts::{self, Series};
use crate::web::export::{self, ExportFormat};
use crate::web::view::{self, Cell, Field, Link, Report, ReportPage, Table};
use crate::web::{run, AppState, Error};

mod contracts;
mod rates;

/// Rows a page shows of a table (the export has them all).
const PAGE_ROWS: usize = 200;
/// Categories a chart shows (the worst first).
const CHART_ROWS: usize = 15;
/// A contract is behind schedule below this share of an even pace.
const BEHIND_SHARE: f64 = 0.8;

#[derive(Deserialize, Default, Clone)]
struct Query {
    from: Option<String>,
    to: Option<String>,
    county: Option<String>,
    supplier: Option<String>,
    export: Option<String>,
    table: Option<String>,
}

/// The filter as asked, checked.
struct Asked {
    from: NaiveDate,
    to: NaiveDate,
    county: Option<i64>,
    supplier: Option<i64>,
    /// A supplier user sees only its own figures.
    own_supplier: bool,
}

impl Asked {
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("from", self.from.to_string()), ("to", self.to.to_string())];
        if let Some(c) = self.county {
            v.push(("county", c.to_string()));
        }
        if let Some(s) = self.supplier.filter(|_| !self.own_supplier) {
            v.push(("supplier", s.to_string()));
        }
        v
    }

    fn link(&self, base: &str, extra: &[(&str, &str)]) -> String {
        let mut qs: Vec<(&str, String)> = self.params();
        qs.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&qs).unwrap_or_default()
        )
    }

    /// The period as UTC instants: from the first day's local midnight to the day after the last.
    fn filter(&self, tz: chrono_tz::Tz) -> Filter {
        Filter {
            from: local_midnight(tz, self.from),
            to: local_midnight(tz, self.to + Duration::days(1)),
            county_id: self.county,
            supplier_id: self.supplier,
        }
    }
}

fn local_midnight(tz: chrono_tz::Tz, d: NaiveDate) -> NaiveDateTime {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.naive_utc())
        .unwrap_or(local)
}

fn optional_id(field: &str, s: &Option<String>, known: bool) -> Result<Option<i64>, Invalid> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match s.parse::<i64>() {
            Ok(id) if known || id > 0 => Ok(Some(id)),
            _ => Err(Invalid::new(
                field,
                Msg::new(Code::NotInList).arg("value", s),
            )),
        },
    }
}

/// Checks the query against what the viewer may see: a supplier only its own figures.
fn ask(v: &Viewer, state: &AppState, q: &Query, names: &Names) -> Result<Asked, Error> {
    let today = state.today();
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::domain::date("to", s)?,
        None => today,
    };
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::domain::date("from", s)?,
        None => to - Duration::days(89),
    };
    if to < from {
        return Err(Invalid::new("to", Code::PeriodEndsBeforeStart).into());
    }
    let county = optional_id("county", &q.county, false)?;
    if let Some(c) = county {
        if !names.is_county(c) {
            return Err(Invalid::new("county", Code::NoSuchCounty).into());
        }
    }
    let asked_supplier = optional_id("supplier", &q.supplier, false)?;
    if let Some(s) = asked_supplier {
        if !names.suppliers.contains_key(&s) {
            return Err(
                Invalid::new("supplier", Msg::new(Code::NoSupplierWithId).arg("id", s)).into(),
            );
        }
    }
    let (supplier, own) = app::performance::supplier_seen(&v.p, asked_supplier)?;
    Ok(Asked {
        from,
        to,
        county,
        supplier,
        own_supplier: own,
    })
}

fn filter_fields(t: &Tr, a: &Asked, names: &Names, with_county: bool) -> Vec<Field> {
    let mut v = vec![
        Field::text("from", t.get("perf.from"), &a.from.to_string()).kind("date"),
        Field::text("to", t.get("perf.to"), &a.to.to_string()).kind("date"),
    ];
    if with_county {
        v.push(county_field(t, names, a.county));
    }
    if !a.own_supplier {
        v.push(supplier_field(t, names, a.supplier));
    }
    v
}

/// The county filter: every county by name, or all (`chosen` selected).
pub(in crate::web::pages) fn county_field(t: &Tr, names: &Names, chosen: Option<i64>) -> Field {
    let mut counties: Vec<(String, String)> = vec![(String::new(), t.get("perf.all").into())];
    let mut cs: Vec<(&i64, &(String, String, RegionLevel))> = names
        .regions
        .iter()
        .filter(|(_, r)| r.2 == RegionLevel::County)
        .collect();
    cs.sort_by(|x, y| x.1 .0.cmp(&y.1 .0));
    counties.extend(
        cs.into_iter().map(|(id, (zh, en, _))| {
            (id.to_string(), if t.zh() { zh.clone() } else { en.clone() })
        }),
    );
    let chosen = chosen.map(|c| c.to_string()).unwrap_or_default();
    Field::select("county", t.get("perf.county"), &chosen, counties)
}

/// The supplier filter: every supplier by name, or all (`chosen` selected).
pub(in crate::web::pages) fn supplier_field(t: &Tr, names: &Names, chosen: Option<i64>) -> Field {
    let mut ss: Vec<(String, String)> = vec![(String::new(), t.get("perf.all").into())];
    let mut list: Vec<(&i64, &String)> = names.suppliers.iter().collect();
    list.sort_by(|x, y| x.1.cmp(y.1));
    ss.extend(list.into_iter().map(|(id, n)| (id.to_string(), n.clone())));
    let chosen = chosen.map(|s| s.to_string()).unwrap_or_default();
    Field::select("supplier", t.get("perf.supplier"), &chosen, ss)
}

fn tabs(t: &Tr, a: &Asked) -> Vec<Link> {
    vec![
        Link::new(a.link("/performance", &[]), t.get("perf.suppliers")),
        Link::new(a.link("/performance/fill", &[]), t.get("perf.fill")),
        Link::new(
            a.link("/performance/contracts", &[]),
            t.get("perf.contracts"),
        ),
    ]
}

fn region_name(t: &Tr, names: &Names, id: i64) -> String {
    names
        .regions
        .get(&id)
        .map(|(zh, en, _)| if t.zh() { zh.clone() } else { en.clone() })
        .unwrap_or_else(|| "—".into())
}

fn drug_name(names: &Names, id: i64) -> (String, String) {
    names
        .drugs
        .get(&id)
        .cloned()
        .unwrap_or_else(|| (id.to_string(), String::new()))
}

/// Orders rates worst first, those with nothing to count last.
fn worst_first(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// A report: the whole table (for export), its chart and notes; `answer` adds the export links.
fn report(
    id: &str,
    title: String,
    chart: Option<String>,
    table: Table,
    notes: Vec<String>,
) -> Report {
    Report {
        id: id.into(),
        title,
        chart,
        exports: vec![],
        table,
        notes,
    }
}

/// What a page shows: its heading, its address (the filter form's action and the base of its
/// export links), whether the county filter applies, its reports.
struct Page<'a> {
    heading: String,
    action: &'a str,
    with_county: bool,
    reports: Vec<Report>,
}

/// Answers with the export the query asks for, or the page with each table cut to its first rows.
fn answer(
    v: &Viewer,
    q: &Query,
    a: &Asked,
    names: &Names,
    page: Page,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    if let Some(fmt) = q.export.as_deref() {
        let fmt = ExportFormat::parse(fmt)?;
        let id = q.table.as_deref().unwrap_or_default();
        let r = page
            .reports
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::BadRequest(Msg::new(Code::NoExportTable).arg("table", id)))?;
        return export::respond(&r.table, fmt, &format!("{id}-{}-{}", a.from, a.to));
    }
    let Page {
        heading,
        action,
        with_county,
        mut reports,
    } = page;
    for r in &mut reports {
        r.exports = vec![
            Link::new(
                a.link(action, &[("export", "csv"), ("table", &r.id)]),
                t.get("perf.export_csv"),
            ),
            Link::new(
                a.link(action, &[("export", "xlsx"), ("table", &r.id)]),
                t.get("perf.export_xlsx"),
            ),
        ];
        let n = r.table.rows.len();
        if n > PAGE_ROWS {
            r.table.rows.truncate(PAGE_ROWS);
            r.notes.push(
                t.get("perf.first_rows")
                    .replace("{shown}", &PAGE_ROWS.to_string())
                    .replace("{total}", &n.to_string()),
            );
        }
    }
    view::ok(&ReportPage {
        chrome: v.chrome(heading.clone()),
        heading,
        tabs: tabs(&t, a),
        action: action.into(),
        filters: filter_fields(&t, a, names, with_county),
        reports,
    })
}

/// Everything a page needs read in one go: names, contracts, totals.
struct Figures {
    names: Names,
    contracts: Vec<ContractKey>,
    totals: BTreeMap<(i64, i64), Totals>,
}

impl Figures {
    fn supplier_of(&self) -> BTreeMap<i64, i64> {
        self.contracts
            .iter()
            .map(|k| (k.contract_id, k.supplier_id))
            .collect()
    }
}

/// The names the figures are shown with, and the query checked against them.
async fn asked(
    v: &Viewer,
    state: &web::Data<AppState>,
    q: &Query,
) -> Result<(Asked, Names), Error> {
    let p = v.p.clone();
    let names = run(state, move |cx| app::performance::names(cx, &p)).await?;
    Ok((ask(v, state, q, &names)?, names))
}

/// Reads the figures: totals `by` contract or by product and county; with `whole_terms`, the
/// contracts in force in the period, each over its whole term (the county filter left aside:
/// a contract's committed volume is the whole tender region's).
async fn figures(
    v: &Viewer,
    state: &web::Data<AppState>,
    q: &Query,
    by: By,
    whole_terms: bool,
) -> Result<(Asked, Figures), Error> {
    let (asked, names) = asked(v, state, q).await?;
    let f = asked.filter(state.config.time_zone);
    let now = crate::store::micros(state.clock.now());
    let period = whole_terms.then_some((asked.from, asked.to));
    let p = v.p.clone();
    let fig = run(state, move |cx| {
        app::performance::figures(cx, &p, f, now, by, period)
    })
    .await?;
    Ok((
        asked,
        Figures {
            names,
            contracts: fig.contracts,
            totals: fig.totals,
        },
    ))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(rates::suppliers_page)
        .service(rates::fill_page)
        .service(contracts::contracts_page)
        .service(contracts::contract_page);
}
