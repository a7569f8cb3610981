//! `/commitments`: committed volumes and their pace. An institution sees, per contracted drug,
//! its committed volume, what it bought, what remains and whether it keeps pace; center staff
//! and regulators see every institution's, and the same summed per county and supplier.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::cols;
use super::performance::{county_field, supplier_field};
use crate::app::commitments::{self, Asked, Line};
use crate::domain::Invalid;
use crate::i18n::Tr;
use crate::store::performance as ps;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, Report, ReportPage, Table};
use crate::web::{db, run, AppState, Error};

#[derive(Deserialize, Default)]
struct Query {
    county: Option<String>,
    supplier: Option<String>,
}

/// An id typed in a filter: empty is none; anything else must be a known one.
fn chosen(
    field: &str,
    s: &Option<String>,
    known: impl Fn(i64) -> bool,
) -> Result<Option<i64>, Error> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match s.parse::<i64>() {
            Ok(id) if known(id) => Ok(Some(id)),
            _ => Err(Invalid::new(
                field,
                crate::domain::Msg::new(crate::domain::Code::NotInList).arg("value", s),
            )
            .into()),
        },
    }
}

fn county_name(t: &Tr, l: &Line) -> String {
    if t.zh() || l.c.county_name_en.is_empty() {
        l.c.county_name_zh.clone()
    } else {
        l.c.county_name_en.clone()
    }
}

fn on_pace_cell(t: &Tr, behind: bool) -> Cell {
    if behind {
        Cell::text(t.get("commit.behind")).with_class("bad")
    } else {
        Cell::text(t.get("commit.on_pace")).with_class("good")
    }
}

/// One row per institution and contract.
fn institution_table(t: &Tr, lines: &[Line], with_county: bool) -> Table {
    let mut keys = vec![
        "perf.drug_code",
        "perf.drug",
        "perf.supplier",
        "perf.contract",
    ];
    if with_county {
        keys.push("perf.county");
    }
    keys.extend([
        "perf.institution",
        "perf.committed",
        "commit.bought",
        "commit.remaining",
        "commit.pace",
        "commit.status",
    ]);
    let rows = lines
        .iter()
        .map(|l| {
            let mut row = vec![
                Cell::link(&l.c.drug_code, format!("/drugs/{}", l.c.drug_id)),
                Cell::text(&l.c.drug_name),
                Cell::text(&l.c.supplier_name),
                Cell::link(
                    format!("{} · {}", l.c.drug_name, l.c.supplier_name),
                    format!("/contracts/{}", l.c.contract_id),
                ),
            ];
            if with_county {
                row.push(Cell::text(county_name(t, l)));
            }
            row.extend([
                Cell::link(
                    &l.c.institution_name,
                    format!("/institutions/{}", l.c.institution_id),
                ),
                Cell::num(l.p.committed.to_string()),
                Cell::num(l.p.bought.to_string()),
                Cell::num(l.p.remaining.to_string()),
                Cell::num(l.p.pace.to_string()),
                on_pace_cell(t, l.p.behind),
            ]);
            row
        })
        .collect();
    Table {
        columns: cols(t, &keys),
        rows,
    }
}

/// The same summed per county and supplier, with how many of its institutions are behind.
fn county_table(t: &Tr, lines: &[Line]) -> Table {
    #[derive(Default)]
    struct Sum {
        county: String,
        supplier: String,
        committed: i64,
        bought: i64,
        remaining: i64,
        pace: i64,
        behind: i64,
        of: i64,
    }
    let mut sums: BTreeMap<(String, String), Sum> = BTreeMap::new();
    for l in lines {
        let county = county_name(t, l);
        let s = sums
            .entry((county.clone(), l.c.supplier_name.clone()))
            .or_insert_with(|| Sum {
                county,
                supplier: l.c.supplier_name.clone(),
                ..Default::default()
            });
        s.committed = s.committed.saturating_add(l.p.committed);
        s.bought = s.bought.saturating_add(l.p.bought);
        s.remaining = s.remaining.saturating_add(l.p.remaining);
        s.pace = s.pace.saturating_add(l.p.pace);
        s.behind += i64::from(l.p.behind);
        s.of += 1;
    }
    Table {
        columns: cols(
            t,
            &[
                "perf.county",
                "perf.supplier",
                "perf.committed",
                "commit.bought",
                "commit.remaining",
                "commit.pace",
                "commit.behind_count",
            ],
        ),
        rows: sums
            .into_values()
            .map(|s| {
                let behind = Cell::num(format!("{} / {}", s.behind, s.of));
                vec![
                    Cell::text(s.county),
                    Cell::text(s.supplier),
                    Cell::num(s.committed.to_string()),
                    Cell::num(s.bought.to_string()),
                    Cell::num(s.remaining.to_string()),
                    Cell::num(s.pace.to_string()),
                    if s.behind > 0 {
                        behind.with_class("num bad")
                    } else {
                        behind
                    },
                ]
            })
            .collect(),
    }
}

#[get("/commitments")]
async fn commitments_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let staff = v.p.reads_everything();
    let names = db(&state, ps::names).await?;
    let a = Asked {
        county_id: chosen("county", &q.county, |c| names.is_county(c))?,
        supplier_id: chosen("supplier", &q.supplier, |s| {
            names.suppliers.contains_key(&s)
        })?,
    };
    let p = v.p.clone();
    let lines = run(&state, move |cx| commitments::list(cx, &p, a)).await?;
    let pct = state.config.commitment_behind_pct.to_string();
    let notes = vec![
        t.get("commit.bought_note").to_string(),
        t.get("commit.pace_note").replace("{pct}", &pct),
    ];
    let mut reports = vec![];
    if staff {
        reports.push(Report {
            id: "by_county".into(),
            title: t.get("commit.by_county").into(),
            chart: None,
            table: county_table(&t, &lines),
            notes: vec![],
            exports: vec![],
        });
    }
    reports.push(Report {
        id: "commitments".into(),
        title: t.get("commit.by_institution").into(),
        chart: None,
        table: institution_table(&t, &lines, staff),
        notes,
        exports: vec![],
    });
    view::ok(&ReportPage {
        chrome: v.chrome(t.get("nav.commitments")),
        heading: t.get("nav.commitments").into(),
        tabs: vec![],
        action: "/commitments".into(),
        filters: if staff {
            vec![
                county_field(&t, &names, a.county_id),
                supplier_field(&t, &names, a.supplier_id),
            ]
        } else {
            vec![]
        },
        reports,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(commitments_page);
}
