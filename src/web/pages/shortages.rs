//! Shortage pages: the shortage list with its evidence, history and the center's responses
//! (center staff act, regulators read); institutions' shortage reports; suppliers' supply
//! interruptions; each user's choice of alerts.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeSet;

use super::{local_time, money};
use crate::app::parties::acting_supplier;
use crate::app::shortages;
use crate::domain::alerts::AlertKind;
use crate::domain::catalog::RegionLevel;
use crate::domain::money::Money;
use crate::domain::roles::Role;
use crate::domain::shortage::{counties_parse, Evidence, Level, ResponseKind, ShortageStatus};
use crate::domain::{Code, Invalid, Msg};
use crate::store::shortages::{self as ss, ListFilter, NewResponse};
use crate::store::{alerts as sa, catalog};
use crate::web::auth::Viewer;
use crate::web::view::{
    self, Cell, DetailPage, Field, Form, Link, ListPage, Search, Section, Table,
};
use crate::web::{db, run, AppState, Error};

fn cols(t: &crate::i18n::Tr, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t.get(k).to_string()).collect()
}

fn level_cell(t: &crate::i18n::Tr, level: Level) -> Cell {
    let c = Cell::text(t.get(&format!("shortage.level.{level}")));
    match level {
        Level::Critical | Level::Shortage => c.with_class("bad"),
        Level::Watch => c,
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    drug: String,
    #[serde(default)]
    region: String,
}

#[get("/shortages")]
async fn shortage_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    shortages::may_read_shortages(&v.p)?;
    let t = v.t;
    let tz = state.config.time_zone;
    let drug_id = if q.drug.trim().is_empty() {
        None
    } else {
        let text = q.drug.clone();
        Some(db(&state, move |c| Ok(shortages::drug_named(c, "drug", &text))).await??)
    };
    let region_id = q.region.trim().parse::<i64>().ok();
    let f = ListFilter {
        open: ShortageStatus::parse("status", &q.status) != Ok(ShortageStatus::Resolved),
        level: Level::parse("level", &q.level).ok(),
        drug_id,
        region_id,
    };
    let p = v.p.clone();
    let (rows, regions) = run(&state, move |cx| {
        Ok((
            shortages::list(cx, &p, &f, 500)?,
            crate::store::regions::all(&mut *cx.conn()?)?,
        ))
    })
    .await?;
    let geo = ss::Geo::of(&regions)?;
    let table = Table {
        columns: cols(
            &t,
            &[
                "shortage.record",
                "shortage.drug",
                "shortage.level",
                "shortage.scope",
                "shortage.counties",
                "shortage.opened",
                "shortage.updated",
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                let s = &r.record;
                vec![
                    Cell::link(format!("#{}", s.id), format!("/shortages/{}", s.id)),
                    Cell::text(format!("{} {}", r.drug_code, r.drug_name)),
                    level_cell(&t, s.level),
                    Cell::text(format!(
                        "{} · {}",
                        t.get(&format!("shortage.scope.{}", s.scope)),
                        geo.name(s.region_id, t.lang)
                    )),
                    Cell::num(counties_parse(&s.counties).len().to_string()),
                    Cell::text(local_time(tz, s.opened_at)),
                    Cell::text(local_time(tz, s.updated_at)),
                ]
            })
            .collect(),
    };
    let mut levels = vec![(String::new(), t.get("shortage.any_level").to_string())];
    levels.extend(Level::ALL.iter().map(|l| {
        (
            l.as_str().to_string(),
            t.get(&format!("shortage.level.{}", l.as_str())).to_string(),
        )
    }));
    let mut region_opts = vec![(String::new(), t.get("shortage.any_region").to_string())];
    region_opts.extend(
        regions
            .iter()
            .filter(|r| r.level != RegionLevel::Township)
            .map(|r| (r.id.to_string(), format!("{} {}", r.code, r.name(t.lang)))),
    );
    let search = Search {
        action: "/shortages".into(),
        q: String::new(),
        filters: vec![
            Field::select(
                "status",
                t.get("shortage.status"),
                &q.status,
                ShortageStatus::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.as_str().to_string(),
                            t.get(&format!("shortage.status.{s}")).to_string(),
                        )
                    })
                    .collect(),
            ),
            Field::select("level", t.get("shortage.level"), &q.level, levels),
            Field::text("drug", t.get("shortage.drug_code"), &q.drug),
            Field::select("region", t.get("shortage.region"), &q.region, region_opts),
        ],
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("nav.shortages")),
        heading: t.get("nav.shortages").into(),
        search: Some(search),
        actions: vec![
            Link::new("/supply-interruptions", t.get("nav.interruptions")),
            Link::new("/shortage-reports", t.get("nav.shortage_reports")),
        ],
        table,
        pager: None,
        empty: t.get("shortage.none").into(),
    })
}

fn evidence_table(t: &crate::i18n::Tr, geo: &ss::Geo, evidence: &[Evidence]) -> Table {
    Table {
        columns: cols(
            t,
            &[
                "shortage.signal",
                "shortage.county",
                "shortage.value",
                "shortage.threshold",
                "shortage.level",
            ],
        ),
        rows: evidence
            .iter()
            .map(|e| {
                vec![
                    Cell::text(t.get(&format!("shortage.signal.{}", e.signal))),
                    Cell::text(
                        e.county_id
                            .map(|c| geo.name(c, t.lang))
                            .unwrap_or_else(|| t.get("shortage.scope.province").into()),
                    ),
                    Cell::num(e.value.to_string()),
                    Cell::num(e.threshold.to_string()),
                    level_cell(t, e.level),
                ]
            })
            .collect(),
    }
}

#[get("/shortages/{id}")]
async fn shortage_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let (id, p) = (id.into_inner(), v.p.clone());
    let (d, geo) = run(&state, move |cx| {
        let d = shortages::get(cx, &p, id)?;
        Ok((d, ss::geography(&mut *cx.conn()?)?))
    })
    .await?;
    let rec = &d.record;
    let evidence: Vec<Evidence> = serde_json::from_str(&rec.evidence).unwrap_or_default();
    let mut ev = Section::new(t.get("shortage.evidence"));
    ev.table = Some(evidence_table(&t, &geo, &evidence));
    let mut resp = responses_section(&t, tz, &geo, &d.responses);
    if v.p.can_administer() && rec.status == ShortageStatus::Open {
        resp.forms.push(response_form(&t, id));
    }
    view::ok(&DetailPage {
        chrome: v.chrome(format!("{} #{}", t.get("nav.shortages"), id)),
        heading: format!("{} #{id} · {}", t.get("nav.shortages"), d.drug.name_zh),
        props: record_props(&t, tz, &geo, &d),
        actions: vec![Link::new("/shortages", t.get("nav.shortages"))],
        sections: vec![ev, resp, history_section(&t, tz, &geo, &d.events)],
    })
}

fn names_of(t: &crate::i18n::Tr, geo: &ss::Geo, counties: &str) -> String {
    counties_parse(counties)
        .iter()
        .map(|c| geo.name(*c, t.lang))
        .collect::<Vec<_>>()
        .join(", ")
}

fn record_props(
    t: &crate::i18n::Tr,
    tz: chrono_tz::Tz,
    geo: &ss::Geo,
    d: &shortages::Detail,
) -> Vec<(String, String)> {
    let (rec, drug) = (&d.record, &d.drug);
    let label = |k: &str| t.get(k).to_string();
    vec![
        (
            label("shortage.drug"),
            format!("{} {} ({})", drug.code, drug.name_zh, drug.inn),
        ),
        (
            label("shortage.status"),
            label(&format!("shortage.status.{}", rec.status)),
        ),
        (
            label("shortage.level"),
            label(&format!("shortage.level.{}", rec.level)),
        ),
        (
            label("shortage.scope"),
            format!(
                "{} · {}",
                t.get(&format!("shortage.scope.{}", rec.scope)),
                geo.name(rec.region_id, t.lang)
            ),
        ),
        (label("shortage.counties"), names_of(t, geo, &rec.counties)),
        (label("shortage.opened"), local_time(tz, rec.opened_at)),
        (label("shortage.updated"), local_time(tz, rec.updated_at)),
    ]
}

fn responses_section(
    t: &crate::i18n::Tr,
    tz: chrono_tz::Tz,
    geo: &ss::Geo,
    responses: &[ss::Response],
) -> Section {
    let mut resp = Section::new(t.get("shortage.responses"));
    resp.table = Some(Table {
        columns: cols(
            t,
            &[
                "shortage.response",
                "shortage.counties",
                "shortage.price_cap",
                "shortage.until",
                "shortage.supplier",
                "shortage.note",
                "shortage.by",
            ],
        ),
        rows: responses
            .iter()
            .map(|r| {
                vec![
                    Cell::text(t.get(&format!("shortage.response.{}", r.kind))),
                    Cell::text(names_of(t, geo, &r.counties)),
                    Cell::num(r.price_cap.map(money).unwrap_or_default()),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                    match r.supplier_id {
                        Some(s) => Cell::link(format!("#{s}"), format!("/suppliers/{s}")),
                        None => Cell::text(""),
                    },
                    Cell::text(&r.note),
                    Cell::text(format!(
                        "{} · {}",
                        r.created_by,
                        local_time(tz, r.created_at)
                    )),
                ]
            })
            .collect(),
    });
    if responses.is_empty() {
        resp.text.push(t.get("shortage.no_responses").into());
    }
    resp
}

fn response_form(t: &crate::i18n::Tr, id: i64) -> Form {
    let kinds: Vec<(String, String)> = ResponseKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                t.get(&format!("shortage.response.{}", k.as_str()))
                    .to_string(),
            )
        })
        .collect();
    Form::new(
        format!("/shortages/{id}/responses"),
        t.get("shortage.respond"),
        vec![
            Field::select("kind", t.get("shortage.response"), "", kinds),
            Field::text("price_cap", t.get("shortage.price_cap"), ""),
            Field::text("until_on", t.get("shortage.until"), "").kind("date"),
            Field::text("supplier_id", t.get("shortage.alternate_supplier"), ""),
            Field::text("note", t.get("shortage.note"), ""),
        ],
    )
}

/// One line per piece of evidence of a change: where, which signal, its value and the level it
/// gives, in the reader's language.
fn evidence_text(t: &crate::i18n::Tr, geo: &ss::Geo, evidence: &[Evidence]) -> String {
    evidence
        .iter()
        .map(|e| {
            format!(
                "{} · {}: {} → {}",
                e.county_id
                    .map(|c| geo.name(c, t.lang))
                    .unwrap_or_else(|| t.get("shortage.scope.province").into()),
                t.get(&format!("shortage.signal.{}", e.signal)),
                e.value,
                t.get(&format!("shortage.level.{}", e.level))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The history, newest first: each change with the evidence it rested on (a response of the
/// center names the response).
fn history_section(
    t: &crate::i18n::Tr,
    tz: chrono_tz::Tz,
    geo: &ss::Geo,
    events: &[ss::Event],
) -> Section {
    let mut hist = Section::new(t.get("shortage.history"));
    let rows = events
        .iter()
        .map(|e| {
            let (change, evidence) = match e.change.split() {
                Err(k) => (
                    format!(
                        "{}: {}",
                        t.get("shortage.response"),
                        t.get(&format!("shortage.response.{k}"))
                    ),
                    String::new(),
                ),
                Ok(c) => {
                    let ev: Vec<Evidence> = serde_json::from_str(&e.evidence).unwrap_or_default();
                    (
                        t.get(&format!("shortage.change.{c}")).to_string(),
                        evidence_text(t, geo, &ev),
                    )
                }
            };
            vec![
                Cell::text(local_time(tz, e.at)),
                Cell::text(change),
                level_cell(t, e.level),
                Cell::text(format!(
                    "{} · {}",
                    t.get(&format!("shortage.scope.{}", e.scope)),
                    geo.name(e.region_id, t.lang)
                )),
                Cell::text(evidence),
                Cell::text(&e.actor),
            ]
        })
        .collect();
    hist.table = Some(Table {
        columns: cols(
            t,
            &[
                "shortage.at",
                "shortage.change",
                "shortage.level",
                "shortage.scope",
                "shortage.evidence_of_change",
                "shortage.by",
            ],
        ),
        rows,
    });
    hist
}

#[derive(Deserialize)]
pub struct ResponseForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub price_cap: String,
    #[serde(default)]
    pub until_on: String,
    #[serde(default)]
    pub supplier_id: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub counties: String,
}

impl ResponseForm {
    /// Checks a response: direct listing needs a price cap and an end date not in the past; an
    /// alternate supplier needs the supplier.
    pub fn check(&self, today: NaiveDate) -> Result<NewResponse, Error> {
        let mut errors = vec![];
        let kind = ResponseKind::parse("kind", &self.kind).ok();
        if kind.is_none() {
            errors.push(Invalid::new("kind", Code::ChooseResponseKind));
        }
        let price_cap = if self.price_cap.trim().is_empty() {
            None
        } else {
            match Money::parse_positive("price_cap", &self.price_cap) {
                Ok(m) => Some(m.ten_thousandths()),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        };
        let until_on =
            crate::domain::optional_date("until_on", &self.until_on).unwrap_or_else(|e| {
                errors.push(e);
                None
            });
        let supplier_id = if self.supplier_id.trim().is_empty() {
            None
        } else {
            match self.supplier_id.trim().parse::<i64>() {
                Ok(s) => Some(s),
                Err(_) => {
                    errors.push(Invalid::new("supplier_id", Code::SupplierIdNotANumber));
                    None
                }
            }
        };
        match kind {
            Some(ResponseKind::DirectListing) => {
                if price_cap.is_none() && !errors.iter().any(|e| e.field == "price_cap") {
                    errors.push(Invalid::new("price_cap", Code::DirectListingNeedsPriceCap));
                }
                match until_on {
                    None if !errors.iter().any(|e| e.field == "until_on") => {
                        errors.push(Invalid::new("until_on", Code::DirectListingNeedsEndDate))
                    }
                    Some(d) if d < today => errors.push(Invalid::new(
                        "until_on",
                        Msg::new(Code::DateInPast).arg("date", d),
                    )),
                    _ => {}
                }
            }
            Some(ResponseKind::AlternateSupplier)
                if supplier_id.is_none() && !errors.iter().any(|e| e.field == "supplier_id") =>
            {
                errors.push(Invalid::new("supplier_id", Code::NameAlternateSupplier));
            }
            _ => {}
        }
        let note = crate::domain::optional_text("note", &self.note, 2000)
            .unwrap_or_else(|e| {
                errors.push(e);
                None
            })
            .unwrap_or_default();
        let counties: BTreeSet<i64> = counties_parse(&self.counties);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(NewResponse {
            kind: kind.unwrap_or(ResponseKind::Retender),
            counties,
            price_cap,
            until_on,
            supplier_id,
            note,
        })
    }
}

#[post("/shortages/{id}/responses")]
async fn respond(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ResponseForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let r = f.check(state.today())?;
    let act = state.act(&v.p.username);
    let url = state.config.public_url.clone();
    let today = state.today();
    db(&state, move |c| {
        crate::jobs::shortage::respond(c, &act, id, &r, &url, 30, today)
    })
    .await?;
    Ok(view::see_other(&format!("/shortages/{id}")))
}

// ---------- institutions' shortage reports ----------

#[get("/shortage-reports")]
async fn report_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let inst = match v.p.role {
        Role::Institution => Some(v.p.institution_id.ok_or_else(Error::forbidden)?),
        Role::Center | Role::Regulator => None,
        _ => return Err(Error::forbidden()),
    };
    let (reports, geo) = db(&state, move |c| {
        Ok((ss::reports(c, inst, 500)?, ss::geography(c)?))
    })
    .await?;
    let mut s = Section::new(t.get("nav.shortage_reports"));
    s.table = Some(Table {
        columns: cols(
            &t,
            &[
                "shortage.reported_at",
                "shortage.drug",
                "shortage.county",
                "shortage.institution",
                "shortage.note",
                "shortage.by",
            ],
        ),
        rows: reports
            .iter()
            .map(|(r, code, name)| {
                vec![
                    Cell::text(local_time(tz, r.reported_at)),
                    Cell::text(format!("{code} {name}")),
                    Cell::text(geo.name(r.county_id, t.lang)),
                    Cell::link(
                        format!("#{}", r.institution_id),
                        format!("/institutions/{}", r.institution_id),
                    ),
                    Cell::text(&r.note),
                    Cell::text(&r.reported_by),
                ]
            })
            .collect(),
    });
    if inst.is_some() {
        s.forms.push(Form::new(
            "/shortage-reports",
            t.get("shortage.report"),
            vec![
                Field::text("drug_code", t.get("shortage.drug_code"), "").required(),
                Field::text("note", t.get("shortage.note"), ""),
            ],
        ));
    }
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.shortage_reports")),
        heading: t.get("nav.shortage_reports").into(),
        props: vec![],
        actions: vec![],
        sections: vec![s],
    })
}

#[derive(Deserialize)]
struct ReportForm {
    #[serde(default)]
    drug_code: String,
    #[serde(default)]
    note: String,
}

#[post("/shortage-reports")]
async fn report(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<ReportForm>,
) -> Result<HttpResponse, Error> {
    let (p, f) = (v.p.clone(), f.into_inner());
    run(&state, move |cx| {
        shortages::report(cx, &p, "drug_code", &f.drug_code, &f.note)
    })
    .await?;
    Ok(view::see_other("/shortage-reports"))
}

// ---------- suppliers' supply interruptions ----------

#[get("/supply-interruptions")]
async fn interruption_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let supplier = match v.p.role {
        Role::Supplier => Some(acting_supplier(
            &v.p,
            Code::OnlySupplierUsersSeeDeclarations,
        )?),
        Role::Center | Role::Regulator => None,
        _ => return Err(Error::forbidden()),
    };
    let rows = db(&state, move |c| ss::interruptions(c, supplier, None, 500)).await?;
    let today = state.today();
    let mut s = Section::new(t.get("nav.interruptions"));
    s.table = Some(Table {
        columns: cols(
            &t,
            &[
                "shortage.declared_at",
                "shortage.drug",
                "shortage.supplier",
                "shortage.reason",
                "shortage.starts_on",
                "shortage.ends_on",
            ],
        ),
        rows: rows
            .iter()
            .map(|(r, code, name)| {
                vec![
                    Cell::text(local_time(tz, r.declared_at)),
                    Cell::text(format!("{code} {name}")),
                    Cell::link(
                        format!("#{}", r.supplier_id),
                        format!("/suppliers/{}", r.supplier_id),
                    ),
                    Cell::text(&r.reason),
                    Cell::text(r.starts_on.to_string()),
                    Cell::text(
                        r.ends_on
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| t.get("shortage.until_notice").into()),
                    ),
                ]
            })
            .collect(),
    });
    if supplier.is_some() {
        for (r, code, name) in rows
            .iter()
            .filter(|(r, ..)| r.ends_on.is_none_or(|e| e >= today))
        {
            s.forms.push(Form::button(
                format!("/supply-interruptions/{}/end", r.id),
                format!("{} · {code} {name}", t.get("shortage.end_interruption")),
            ));
        }
        s.forms.push(Form::new(
            "/supply-interruptions",
            t.get("shortage.declare"),
            vec![
                Field::text("drug_code", t.get("shortage.drug_code"), "").required(),
                Field::text("reason", t.get("shortage.reason"), "").required(),
                Field::text("starts_on", t.get("shortage.starts_on"), &today.to_string())
                    .kind("date"),
                Field::text("ends_on", t.get("shortage.ends_on"), "").kind("date"),
            ],
        ));
    }
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.interruptions")),
        heading: t.get("nav.interruptions").into(),
        props: vec![],
        actions: vec![],
        sections: vec![s],
    })
}

#[derive(Deserialize)]
struct InterruptionForm {
    #[serde(default)]
    drug_code: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

#[post("/supply-interruptions")]
async fn declare(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<InterruptionForm>,
) -> Result<HttpResponse, Error> {
    let (p, f) = (v.p.clone(), f.into_inner());
    let (starts_on, ends_on) = (
        crate::domain::optional_date("starts_on", &f.starts_on)?,
        crate::domain::optional_date("ends_on", &f.ends_on)?,
    );
    run(&state, move |cx| {
        let d = shortages::Declare {
            drug_field: "drug_code",
            drug: &f.drug_code,
            reason: &f.reason,
            starts_on,
            ends_on,
        };
        shortages::declare_interruption(cx, &p, &d)
    })
    .await?;
    Ok(view::see_other("/supply-interruptions"))
}

#[post("/supply-interruptions/{id}/end")]
async fn end_interruption(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (id, p) = (id.into_inner(), v.p.clone());
    run(&state, move |cx| shortages::end_interruption(cx, &p, id)).await?;
    Ok(view::see_other("/supply-interruptions"))
}

// ---------- direct listing (temporary off-contract purchasing) ----------

/// Suppliers see the direct listings in force and list a product within the cap; institutions
/// of the affected counties see the listings and buy; center staff and regulators see all.
#[get("/direct-listings")]
async fn direct_listings(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let today = state.today();
    let (supplier, institution) = match v.p.role {
        Role::Supplier => (
            Some(acting_supplier(&v.p, Code::OnlySupplierUsersList)?),
            None,
        ),
        Role::Institution => (None, Some(v.p.institution_id.ok_or_else(Error::forbidden)?)),
        Role::Center | Role::Regulator => (None, None),
        Role::Expert => return Err(Error::forbidden()),
    };
    let (responses, listings, bought, geo, names) = db(&state, move |c| {
        let responses = ss::direct_listing_responses(c, today)?;
        let listings = ss::listings_in_force(c, today, supplier)?;
        let bought = ss::purchases(c, institution, supplier, 200)?;
        let mut names = std::collections::BTreeMap::new();
        for r in &responses {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(r.drug_id) {
                let d = catalog::get_drug(c, r.drug_id)?;
                e.insert(format!("{} {}", d.code, d.name_zh));
            }
        }
        Ok((responses, listings, bought, ss::geography(c)?, names))
    })
    .await?;
    let county_names = |c: &str| {
        counties_parse(c)
            .iter()
            .map(|x| geo.name(*x, t.lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut open = Section::new(t.get("listing.open"));
    open.table = Some(Table {
        columns: cols(
            &t,
            &[
                "listing.response",
                "shortage.drug",
                "shortage.counties",
                "shortage.price_cap",
                "shortage.until",
            ],
        ),
        rows: responses
            .iter()
            .map(|r| {
                vec![
                    Cell::num(r.id.to_string()),
                    Cell::text(names.get(&r.drug_id).cloned().unwrap_or_default()),
                    Cell::text(county_names(&r.counties)),
                    Cell::num(r.price_cap.map(money).unwrap_or_default()),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                ]
            })
            .collect(),
    });
    if supplier.is_some() && !responses.is_empty() {
        open.forms.push(Form::new(
            "/direct-listings",
            t.get("listing.list"),
            vec![
                Field::select(
                    "response_id",
                    t.get("listing.response"),
                    "",
                    responses
                        .iter()
                        .map(|r| {
                            (
                                r.id.to_string(),
                                format!(
                                    "#{} {}",
                                    r.id,
                                    names.get(&r.drug_id).cloned().unwrap_or_default()
                                ),
                            )
                        })
                        .collect(),
                ),
                Field::text("product_id", t.get("listing.product"), "").required(),
                Field::text("unit_price", t.get("listing.price"), "").required(),
            ],
        ));
    }
    let mut listed = Section::new(t.get("listing.listings"));
    listed.table = Some(Table {
        columns: cols(
            &t,
            &[
                "listing.listing",
                "shortage.drug",
                "shortage.supplier",
                "listing.product",
                "listing.price",
                "shortage.counties",
                "shortage.until",
            ],
        ),
        rows: listings
            .iter()
            .map(|(l, r)| {
                vec![
                    Cell::num(l.id.to_string()),
                    Cell::text(names.get(&r.drug_id).cloned().unwrap_or_default()),
                    Cell::link(
                        format!("#{}", l.supplier_id),
                        format!("/suppliers/{}", l.supplier_id),
                    ),
                    Cell::num(l.product_id.to_string()),
                    Cell::num(money(l.unit_price)),
                    Cell::text(county_names(&r.counties)),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                ]
            })
            .collect(),
    });
    if institution.is_some() {
        for (l, _) in &listings {
            listed.forms.push(Form::new(
                format!("/direct-listings/{}/buy", l.id),
                format!(
                    "{} #{} · ¥{}",
                    t.get("listing.buy"),
                    l.id,
                    money(l.unit_price)
                ),
                vec![Field::text("quantity", t.get("order.quantity"), "").required()],
            ));
        }
    }
    let mut p = Section::new(t.get("listing.purchases"));
    p.table = Some(Table {
        columns: cols(
            &t,
            &[
                "listing.purchase",
                "listing.listing",
                "shortage.institution",
                "order.quantity",
                "listing.price",
                "shortage.at",
            ],
        ),
        rows: bought
            .iter()
            .map(|(b, l)| {
                vec![
                    Cell::num(b.id.to_string()),
                    Cell::num(l.id.to_string()),
                    Cell::link(
                        format!("#{}", b.institution_id),
                        format!("/institutions/{}", b.institution_id),
                    ),
                    Cell::num(b.quantity.to_string()),
                    Cell::num(money(b.unit_price)),
                    Cell::text(local_time(tz, b.placed_at)),
                ]
            })
            .collect(),
    });
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.direct_listings")),
        heading: t.get("nav.direct_listings").into(),
        props: vec![],
        actions: vec![],
        sections: vec![open, listed, p],
    })
}

#[derive(Deserialize)]
struct ListingForm {
    response_id: Option<i64>,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    unit_price: String,
}

#[post("/direct-listings")]
async fn list_product(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<ListingForm>,
) -> Result<HttpResponse, Error> {
    if v.p.role != Role::Supplier {
        return Err(Error::Forbidden(Code::OnlySuppliersList.into()));
    }
    let supplier = acting_supplier(&v.p, Code::OnlySupplierUsersList)?;
    let response = f
        .response_id
        .ok_or_else(|| Invalid::new("response_id", Code::ChooseDirectListing))?;
    let product: i64 = f
        .product_id
        .trim()
        .parse()
        .map_err(|_| Invalid::new("product_id", Code::ProductIdNotANumber))?;
    let price = Money::parse_positive("unit_price", &f.unit_price)?.ten_thousandths();
    let act = state.act(&v.p.username);
    let today = state.today();
    db(&state, move |c| {
        ss::list_product(c, &act, response, supplier, product, price, today)
    })
    .await?;
    Ok(view::see_other("/direct-listings"))
}

#[derive(Deserialize)]
struct BuyForm {
    #[serde(default)]
    quantity: String,
}

#[post("/direct-listings/{id}/buy")]
async fn buy(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<BuyForm>,
) -> Result<HttpResponse, Error> {
    let inst = match (v.p.role, v.p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::Forbidden(Code::OnlyInstitutionsBuyDirect.into())),
    };
    let quantity = crate::domain::bounds::Quantity::parse("quantity", &f.quantity)?.get();
    let id = id.into_inner();
    let act = state.act(&v.p.username);
    let today = state.today();
    db(&state, move |c| ss::buy(c, &act, id, inst, quantity, today)).await?;
    Ok(view::see_other("/direct-listings"))
}

// ---------- each user's alerts ----------

#[get("/account/alerts")]
async fn alert_prefs(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let uid = v.p.user_id;
    let off = db(&state, move |c| sa::optouts(c, uid)).await?;
    let fields = AlertKind::ALL
        .iter()
        .map(|k| {
            Field::checkbox(
                k.as_str(),
                t.get(&format!("alert.kind.{}", k.as_str())),
                !off.contains(k),
            )
        })
        .collect();
    super::catalog::form_page(
        &v,
        t.get("nav.alerts"),
        Form::new("/account/alerts", t.get("action.save"), fields),
        None,
    )
}

#[post("/account/alerts")]
async fn save_alert_prefs(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Error> {
    let on: BTreeSet<String> = f.iter().map(|(k, _)| k.clone()).collect();
    let off: BTreeSet<AlertKind> = AlertKind::ALL
        .iter()
        .copied()
        .filter(|k| !on.contains(k.as_str()))
        .collect();
    let uid = v.p.user_id;
    let act = state.act(&v.p.username);
    db(&state, move |c| sa::set_optouts(c, &act, uid, &off)).await?;
    Ok(view::see_other("/account/alerts"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(shortage_list)
        .service(shortage_page)
        .service(respond)
        .service(report_list)
        .service(report)
        .service(interruption_list)
        .service(declare)
        .service(end_interruption)
        .service(direct_listings)
        .service(list_product)
        .service(buy)
        .service(alert_prefs)
        .service(save_alert_prefs);
}
