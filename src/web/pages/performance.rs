//! Performance pages: per supplier its delivery, timely delivery and decline rates; per drug
//! and county its fill rate; per contract its execution over time; per institution its open
//! orders. Charts drawn on the server; filters by period, county and supplier; every table
//! exported as CSV or XLSX. Center staff and regulators see all; a supplier sees its own.

use actix_web::{get, web, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::app::parties::acting_supplier;
use crate::domain::catalog::RegionLevel;
use crate::domain::performance::{self as perf, percent, ContractKey, Totals};
use crate::domain::roles::Role;
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::performance::{self as ps, By, Filter, Names};
use crate::web::auth::Viewer;
use crate::web::charts::{self, Series};
use crate::web::export::{self, ExportFormat};
use crate::web::view::{self, Cell, Field, Link, Report, ReportPage, Table};
use crate::web::{db, AppState, Error};

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
    let (supplier, own) = match v.p.role {
        Role::Center | Role::Regulator => (asked_supplier, false),
        Role::Supplier => {
            let own = acting_supplier(&v.p, Code::OwnPerformanceOnly)?;
            if asked_supplier.is_some_and(|s| s != own) {
                return Err(Error::Forbidden(Code::OwnPerformanceOnly.into()));
            }
            (Some(own), true)
        }
        _ => return Err(Error::Forbidden(Code::PerformanceNotForRole.into())),
    };
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
        let mut counties: Vec<(String, String)> = vec![(String::new(), t.get("perf.all").into())];
        let mut cs: Vec<(&i64, &(String, String, RegionLevel))> = names
            .regions
            .iter()
            .filter(|(_, r)| r.2 == RegionLevel::County)
            .collect();
        cs.sort_by(|x, y| x.1 .0.cmp(&y.1 .0));
        counties.extend(cs.into_iter().map(|(id, (zh, en, _))| {
            (id.to_string(), if t.zh() { zh.clone() } else { en.clone() })
        }));
        v.push(Field::select(
            "county",
            t.get("perf.county"),
            &a.county.map(|c| c.to_string()).unwrap_or_default(),
            counties,
        ));
    }
    if !a.own_supplier {
        let mut ss: Vec<(String, String)> = vec![(String::new(), t.get("perf.all").into())];
        let mut list: Vec<(&i64, &String)> = names.suppliers.iter().collect();
        list.sort_by(|x, y| x.1.cmp(y.1));
        ss.extend(list.into_iter().map(|(id, n)| (id.to_string(), n.clone())));
        v.push(Field::select(
            "supplier",
            t.get("perf.supplier"),
            &a.supplier.map(|s| s.to_string()).unwrap_or_default(),
            ss,
        ));
    }
    v
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

fn cols(t: &Tr, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t.get(k).to_string()).collect()
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
    let names = db(state, ps::names).await?;
    let asked = ask(v, state, q, &names)?;
    let mut f = asked.filter(state.config.time_zone);
    let now = crate::store::micros(state.clock.now());
    let (from, to) = (asked.from, asked.to);
    db(state, move |c| {
        let mut contracts = ps::contracts_of(c, &f)?;
        if whole_terms {
            // Execution counts every order of a contract's term, for the contracts in force
            // at some time in the period.
            contracts.retain(|k| k.starts_on <= to && k.ends_on >= from);
            f.from = NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default();
            f.to = NaiveDate::from_ymd_opt(9999, 12, 31)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default();
            f.county_id = None;
        }
        let only: Option<Vec<i64>> =
            whole_terms.then(|| contracts.iter().map(|k| k.contract_id).collect());
        let totals = ps::totals(c, &f, now, by, only.as_deref())?;
        Ok((
            asked,
            Figures {
                names,
                contracts,
                totals,
            },
        ))
    })
    .await
}

#[get("/performance")]
async fn suppliers_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let (a, fig) = figures(&v, &state, &q, By::Contract, false).await?;
    let supplier_of = fig.supplier_of();
    let by_supplier = perf::fold_by(&fig.totals, |(c, _)| supplier_of.get(c).copied());
    let mut rows: Vec<(i64, Totals)> = by_supplier.into_iter().collect();
    rows.sort_by(|x, y| worst_first(x.1.delivery_rate(), y.1.delivery_rate()).then(x.0.cmp(&y.0)));
    let name = |id: i64| fig.names.suppliers.get(&id).cloned().unwrap_or_default();
    let shown: Vec<&(i64, Totals)> = rows.iter().take(CHART_ROWS).collect();
    let chart = (!shown.is_empty())
        .then(|| {
            charts::bars(
                &shown.iter().map(|(id, _)| name(*id)).collect::<Vec<_>>(),
                &[
                    Series::new(
                        t.get("perf.delivery_rate"),
                        shown
                            .iter()
                            .map(|(_, r)| r.delivery_rate().unwrap_or(0.0))
                            .collect(),
                    ),
                    Series::new(
                        t.get("perf.timely_rate"),
                        shown
                            .iter()
                            .map(|(_, r)| r.timely_rate().unwrap_or(0.0))
                            .collect(),
                    ),
                    Series::new(
                        t.get("perf.decline_rate"),
                        shown
                            .iter()
                            .map(|(_, r)| r.decline_rate().unwrap_or(0.0))
                            .collect(),
                    ),
                ],
                true,
            )
        })
        .transpose()?;
    let table = Table {
        columns: cols(
            &t,
            &[
                "perf.supplier",
                "perf.lines",
                "perf.delivery_rate",
                "perf.timely_rate",
                "perf.decline_rate",
                "perf.declined",
                "perf.rejected",
            ],
        ),
        rows: rows
            .iter()
            .map(|(id, r)| {
                let rate_cell = |x: Option<f64>, low: f64| {
                    let c = Cell::num(percent(x));
                    if x.is_some_and(|x| x < low) {
                        c.with_class("num bad")
                    } else {
                        c
                    }
                };
                vec![
                    Cell::link(name(*id), format!("/suppliers/{id}")),
                    Cell::num(r.lines.to_string()),
                    rate_cell(r.delivery_rate(), 0.9),
                    rate_cell(r.timely_rate(), 0.9),
                    Cell::num(percent(r.decline_rate())),
                    Cell::num(r.declined.to_string()),
                    Cell::num(r.rejected_lines.to_string()),
                ]
            })
            .collect(),
    };
    let f = a.filter(state.config.time_zone);
    let now = crate::store::micros(state.clock.now());
    let open = db(&state, move |c| ps::open_orders(c, &f, now)).await?;
    let top: Vec<&ps::OpenOrders> = open.iter().take(CHART_ROWS).collect();
    let open_chart = (!top.is_empty())
        .then(|| {
            charts::bars(
                &top.iter()
                    .map(|o| o.institution.clone())
                    .collect::<Vec<_>>(),
                &[
                    Series::new(
                        t.get("perf.open"),
                        top.iter().map(|o| o.open as f64).collect(),
                    ),
                    Series::new(
                        t.get("perf.overdue"),
                        top.iter().map(|o| o.overdue as f64).collect(),
                    ),
                ],
                false,
            )
        })
        .transpose()?;
    let open_table = Table {
        columns: cols(&t, &["perf.institution", "perf.open", "perf.overdue"]),
        rows: open
            .iter()
            .map(|o| {
                vec![
                    Cell::link(
                        o.institution.clone(),
                        format!("/institutions/{}", o.institution_id),
                    ),
                    Cell::num(o.open.to_string()),
                    if o.overdue > 0 {
                        Cell::num(o.overdue.to_string()).with_class("num bad")
                    } else {
                        Cell::num("0")
                    },
                ]
            })
            .collect(),
    };
    let reports = vec![
        report(
            "suppliers",
            t.get("perf.suppliers").into(),
            chart,
            table,
            vec![t.get("perf.rates_note").into()],
        ),
        report(
            "open_orders",
            t.get("perf.open_orders").into(),
            open_chart,
            open_table,
            vec![],
        ),
    ];
    answer(
        &v,
        &q,
        &a,
        &fig.names,
        Page {
            heading: t.get("perf.title").into(),
            action: "/performance",
            with_county: true,
            reports,
        },
    )
}

#[get("/performance/fill")]
async fn fill_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let (a, fig) = figures(&v, &state, &q, By::ProductCounty, false).await?;
    let drug_of = db(&state, ps::product_drugs).await?;
    let by_place = perf::fold_by(&fig.totals, |(product, county)| {
        drug_of.get(product).map(|d| (*d, *county))
    });
    let mut rows: Vec<((i64, i64), Totals)> = by_place
        .into_iter()
        .filter(|(_, r)| r.due_ordered > 0)
        .collect();
    rows.sort_by(|x, y| worst_first(x.1.fill_rate(), y.1.fill_rate()).then(x.0.cmp(&y.0)));
    let label = |(drug, county): (i64, i64)| {
        format!(
            "{} · {}",
            drug_name(&fig.names, drug).1,
            region_name(&t, &fig.names, county)
        )
    };
    let shown: Vec<&((i64, i64), Totals)> = rows.iter().take(CHART_ROWS).collect();
    let chart = (!shown.is_empty())
        .then(|| {
            charts::bars(
                &shown.iter().map(|(k, _)| label(*k)).collect::<Vec<_>>(),
                &[Series::new(
                    t.get("perf.fill_rate"),
                    shown
                        .iter()
                        .map(|(_, r)| r.fill_rate().unwrap_or(0.0))
                        .collect(),
                )],
                true,
            )
        })
        .transpose()?;
    let table = Table {
        columns: cols(
            &t,
            &[
                "perf.drug_code",
                "perf.drug",
                "perf.county",
                "perf.ordered",
                "perf.delivered",
                "perf.fill_rate",
            ],
        ),
        rows: rows
            .iter()
            .map(|((drug, county), r)| {
                let (code, name) = drug_name(&fig.names, *drug);
                let rate = r.fill_rate();
                vec![
                    Cell::link(code, format!("/drugs/{drug}")),
                    Cell::text(name),
                    Cell::text(region_name(&t, &fig.names, *county)),
                    Cell::num(r.due_ordered.to_string()),
                    Cell::num(r.due_delivered.to_string()),
                    if rate.is_some_and(|x| x < 0.9) {
                        Cell::num(percent(rate)).with_class("num bad")
                    } else {
                        Cell::num(percent(rate))
                    },
                ]
            })
            .collect(),
    };
    let reports = vec![report(
        "fill",
        t.get("perf.fill").into(),
        chart,
        table,
        vec![t.get("perf.fill_note").into()],
    )];
    answer(
        &v,
        &q,
        &a,
        &fig.names,
        Page {
            heading: t.get("perf.fill").into(),
            action: "/performance/fill",
            with_county: true,
            reports,
        },
    )
}

#[get("/performance/contracts")]
async fn contracts_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let (a, fig) = figures(&v, &state, &q, By::Contract, true).await?;
    let today = state.today();
    struct Row<'a> {
        k: &'a ContractKey,
        purchased: i64,
        pace: f64,
        behind: bool,
    }
    let mut rows: Vec<Row> = fig
        .contracts
        .iter()
        .map(|k| {
            let purchased = fig
                .totals
                .get(&(k.contract_id, 0))
                .map_or(0, |t| t.purchased);
            Row {
                k,
                purchased,
                pace: perf::elapsed(k.starts_on, k.ends_on, today),
                behind: perf::behind_schedule(k, purchased, today, BEHIND_SHARE),
            }
        })
        .collect();
    let lag = |r: &Row| perf::execution(r.purchased, r.k.committed).unwrap_or(0.0) - r.pace;
    rows.sort_by(|x, y| {
        lag(x)
            .total_cmp(&lag(y))
            .then(x.k.contract_id.cmp(&y.k.contract_id))
    });
    let label = |r: &Row| {
        format!(
            "#{} {} · {}",
            r.k.contract_id,
            drug_name(&fig.names, r.k.drug_id).1,
            region_name(&t, &fig.names, r.k.region_id)
        )
    };
    let shown: Vec<&Row> = rows.iter().take(CHART_ROWS).collect();
    let chart = (!shown.is_empty())
        .then(|| {
            charts::bars(
                &shown.iter().map(|r| label(r)).collect::<Vec<_>>(),
                &[
                    Series::new(
                        t.get("perf.execution"),
                        shown
                            .iter()
                            .map(|r| perf::execution(r.purchased, r.k.committed).unwrap_or(0.0))
                            .collect(),
                    ),
                    Series::new(t.get("perf.pace"), shown.iter().map(|r| r.pace).collect()),
                ],
                true,
            )
        })
        .transpose()?;
    let table = Table {
        columns: cols(
            &t,
            &[
                "perf.contract",
                "perf.supplier",
                "perf.drug",
                "perf.region",
                "perf.committed",
                "perf.purchased",
                "perf.execution",
                "perf.pace",
                "perf.behind",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::link(
                        format!("#{}", r.k.contract_id),
                        format!("/performance/contracts/{}", r.k.contract_id),
                    ),
                    Cell::text(
                        fig.names
                            .suppliers
                            .get(&r.k.supplier_id)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    Cell::text(drug_name(&fig.names, r.k.drug_id).1),
                    Cell::text(region_name(&t, &fig.names, r.k.region_id)),
                    Cell::num(r.k.committed.to_string()),
                    Cell::num(r.purchased.to_string()),
                    Cell::num(percent(perf::execution(r.purchased, r.k.committed))),
                    Cell::num(percent(Some(r.pace))),
                    if r.behind {
                        Cell::text(t.get("word.yes")).with_class("bad")
                    } else {
                        Cell::text(t.get("word.no"))
                    },
                ]
            })
            .collect(),
    };
    let reports = vec![report(
        "contracts",
        t.get("perf.contracts").into(),
        chart,
        table,
        vec![t.get("perf.execution_note").into()],
    )];
    answer(
        &v,
        &q,
        &a,
        &fig.names,
        Page {
            heading: t.get("perf.contracts").into(),
            action: "/performance/contracts",
            with_county: false,
            reports,
        },
    )
}

#[get("/performance/contracts/{id}")]
async fn contract_page(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = path.into_inner();
    let names = db(&state, ps::names).await?;
    let a = ask(&v, &state, &q, &names)?;
    let only_supplier = a.supplier.filter(|_| a.own_supplier);
    let (key, purchases) = db(&state, move |c| {
        let all = ps::contracts_of(
            c,
            &Filter {
                supplier_id: only_supplier,
                ..Default::default()
            },
        )?;
        let key = all
            .into_iter()
            .find(|k| k.contract_id == id)
            .ok_or_else(|| crate::store::StoreError::NotFound(Code::ContractNotFound.into()))?;
        Ok((key, ps::purchases_of(c, id)?))
    })
    .await?;
    let tz = state.config.time_zone;
    let today = state.today();
    let last = today.min(key.ends_on).max(key.starts_on);
    let months = perf::months_between(key.starts_on, last);
    let index: BTreeMap<(i32, u32), usize> =
        months.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let amounts: Vec<(usize, i64)> = purchases
        .iter()
        .filter_map(|(at, qty)| {
            let local = at.and_utc().with_timezone(&tz).date_naive();
            index
                .get(&(local.year(), local.month()))
                .map(|i| (*i, *qty))
        })
        .collect();
    let cumulative = perf::cumulative(months.len(), &amounts);
    let month_end = |(y, m): (i32, u32)| {
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        next.map(|d| d - Duration::days(1)).unwrap_or(key.ends_on)
    };
    let pace: Vec<f64> = months
        .iter()
        .map(|m| key.committed as f64 * perf::elapsed(key.starts_on, key.ends_on, month_end(*m)))
        .collect();
    let labels: Vec<String> = months.iter().map(|(y, m)| format!("{y}-{m:02}")).collect();
    let chart = charts::lines(
        &labels,
        &[
            Series::new(t.get("perf.purchased_cumulative"), cumulative.clone()),
            Series::new(t.get("perf.pace_volume"), pace.clone()),
            Series::new(
                t.get("perf.committed"),
                vec![key.committed as f64; months.len()],
            ),
        ],
    )?;
    let mut prev = 0.0;
    let table = Table {
        columns: cols(
            &t,
            &[
                "perf.month",
                "perf.purchased",
                "perf.purchased_cumulative",
                "perf.execution",
                "perf.pace",
            ],
        ),
        rows: labels
            .iter()
            .zip(cumulative.iter().zip(pace.iter()))
            .map(|(l, (cum, p))| {
                let month = cum - prev;
                prev = *cum;
                vec![
                    Cell::text(l.clone()),
                    Cell::num(format!("{month:.0}")),
                    Cell::num(format!("{cum:.0}")),
                    Cell::num(percent(perf::execution(*cum as i64, key.committed))),
                    Cell::num(percent(perf::ratio(*p as i64, key.committed))),
                ]
            })
            .collect(),
    };
    let heading = format!(
        "{} #{} · {} · {} · {}",
        t.get("perf.contract"),
        key.contract_id,
        drug_name(&names, key.drug_id).1,
        region_name(&t, &names, key.region_id),
        names
            .suppliers
            .get(&key.supplier_id)
            .cloned()
            .unwrap_or_default()
    );
    let base = format!("/performance/contracts/{id}");
    let reports = vec![report(
        "execution",
        t.get("perf.execution_over_time").into(),
        Some(chart),
        table,
        vec![format!(
            "{}: {} · {} – {}",
            t.get("perf.committed"),
            key.committed,
            key.starts_on,
            key.ends_on
        )],
    )];
    answer(
        &v,
        &q,
        &a,
        &names,
        Page {
            heading,
            action: &base,
            with_county: false,
            reports,
        },
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(suppliers_page)
        .service(fill_page)
        .service(contracts_page)
        .service(contract_page);
}
