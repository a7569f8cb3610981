//! Shortage pages: the shortage list with its evidence, history and the center's responses
//! (center staff act, regulators read); institutions' shortage reports; suppliers' supply
//! interruptions; each user's choice of alerts.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{cols, local_time, yuan};
use crate::app::{shortage_picks, shortage_responses, shortages};
use crate::domain::catalog::RegionLevel;
use crate::domain::shortage::{counties_parse, Evidence, Level, ShortageStatus};
use crate::domain::shortage_response::{ResponseInput, OFFERED};
use crate::store::shortages::{self as ss, ListFilter};
use crate::web::auth::Viewer;
use crate::web::view::{
    self, Cell, DetailPage, Field, Form, Link, ListPage, Search, Section, Table,
};
use crate::web::{db, run, AppState, Error};

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

/// A drug named for people: generic name, form, strength.
pub(super) fn drug_label(t: &crate::i18n::Tr, d: &crate::store::catalog::Drug) -> String {
    crate::store::names::names_of(d).label(t.zh())
}

/// The drug picker's choices: each drug's label with its code (what the form sends back).
pub(super) fn drug_choices(
    t: &crate::i18n::Tr,
    drugs: &[crate::store::catalog::Drug],
    blank: &str,
) -> Vec<(String, String)> {
    let mut v = vec![(String::new(), blank.to_string())];
    v.extend(drugs.iter().map(|d| {
        (
            d.code.clone(),
            crate::store::names::names_of(d).choice(t.zh()),
        )
    }));
    v
}

/// Names the drug of a row by its id: its label (`drug_label`) among `drugs`, else the name
/// the row carries.
pub(super) fn drug_namer<'a>(
    t: &'a crate::i18n::Tr,
    drugs: &'a [crate::store::catalog::Drug],
) -> impl Fn(i64, &str) -> String + 'a {
    let by_id: std::collections::BTreeMap<i64, &crate::store::catalog::Drug> =
        drugs.iter().map(|d| (d.id, d)).collect();
    move |id, fallback| {
        by_id
            .get(&id)
            .map(|d| drug_label(t, d))
            .unwrap_or_else(|| fallback.to_string())
    }
}

#[get("/shortages")]
async fn shortage_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    shortages::may_read_shortages(&v.p)?;
    let t = v.t;
    let f = list_filter(&state, &q).await?;
    let p = v.p.clone();
    let (rows, regions, drugs) = run(&state, move |cx| {
        Ok((
            shortages::list(cx, &p, &f, 500)?,
            crate::store::regions::all(&mut *cx.conn()?)?,
            shortage_picks::drugs(cx)?,
        ))
    })
    .await?;
    let geo = ss::Geo::of(&regions)?;
    let table = shortage_table(&t, state.config.time_zone, &geo, &rows, &drugs);
    let search = list_search(&t, &q, &regions, &drugs);
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

/// The list's filter as asked: open or resolved records, a level, a drug (by its code or
/// name), a region.
async fn list_filter(state: &web::Data<AppState>, q: &ListQuery) -> Result<ListFilter, Error> {
    let drug_id = if q.drug.trim().is_empty() {
        None
    } else {
        let text = q.drug.clone();
        Some(db(state, move |c| Ok(shortages::drug_named(c, "drug", &text))).await??)
    };
    Ok(ListFilter {
        open: ShortageStatus::parse("status", &q.status) != Ok(ShortageStatus::Resolved),
        level: Level::parse("level", &q.level).ok(),
        drug_id,
        region_id: q.region.trim().parse::<i64>().ok(),
    })
}

/// The shortage records: drug (a link to the record), level, scope, counties, when opened and
/// last updated.
fn shortage_table(
    t: &crate::i18n::Tr,
    tz: chrono_tz::Tz,
    geo: &ss::Geo,
    rows: &[ss::Listed],
    drugs: &[crate::store::catalog::Drug],
) -> Table {
    let drug_name = drug_namer(t, drugs);
    Table {
        columns: cols(
            t,
            &[
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
                    Cell::link(
                        drug_name(s.drug_id, &r.drug_name),
                        format!("/shortages/{}", s.id),
                    ),
                    level_cell(t, s.level),
                    Cell::text(format!(
                        "{} · {}",
                        t.get(&format!("shortage.scope.{}", s.scope)),
                        geo.name(s.region_id, t.lang)
                    )),
                    Cell::text(names_of(t, geo, &s.counties)),
                    Cell::text(local_time(tz, s.opened_at)),
                    Cell::text(local_time(tz, s.updated_at)),
                ]
            })
            .collect(),
    }
}

/// The list's filters: status, level, drug, region.
fn list_search(
    t: &crate::i18n::Tr,
    q: &ListQuery,
    regions: &[crate::store::regions::Region],
    drugs: &[crate::store::catalog::Drug],
) -> Search {
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
    Search {
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
            Field::select(
                "drug",
                t.get("shortage.drug"),
                &q.drug,
                drug_choices(t, drugs, t.get("shortui.any_drug")),
            ),
            Field::select("region", t.get("shortage.region"), &q.region, region_opts),
        ],
    }
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
    record_page(&v, &state, id.into_inner(), None).await
}

/// A record's page; with a refused response, its form again with what was typed and each
/// error next to its field (422).
async fn record_page(
    v: &Viewer,
    state: &web::Data<AppState>,
    id: i64,
    refused: Option<(ResponseForm, Vec<crate::domain::Invalid>)>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let p = v.p.clone();
    let (d, geo, picks) = run(state, move |cx| {
        let d = shortages::get(cx, &p, id)?;
        let picks = shortage_picks::of_shortage(cx, &p, &d)?;
        Ok((d, ss::geography(&mut *cx.conn()?)?, picks))
    })
    .await?;
    let rec = &d.record;
    let evidence: Vec<Evidence> = serde_json::from_str(&rec.evidence).unwrap_or_default();
    let mut ev = Section::new(t.get("shortage.evidence"));
    ev.table = Some(evidence_table(&t, &geo, &evidence));
    let mut resp = responses_section(&t, tz, &geo, &d.responses, &picks);
    if v.p.can_administer() {
        for r in d.responses.iter().filter(|r| r.ended_at.is_none()) {
            resp.forms.push(
                Form::button(
                    format!("/shortages/{id}/responses/{}/withdraw", r.id),
                    format!(
                        "{} · {} · {}",
                        t.get("shortage.withdraw"),
                        t.get(&format!("shortage.response.{}", r.kind)),
                        names_of(&t, &geo, &r.counties)
                    ),
                )
                .danger(),
            );
        }
    }
    let status = super::refused_status(refused.is_some());
    if v.p.can_administer() && rec.status == ShortageStatus::Open {
        let typed = refused.as_ref().map(|(f, _)| f);
        let form = response_form(&t, id, &geo, &picks, typed);
        resp.push_form(&t, form, refused.as_ref().map(|(_, es)| es.as_slice()));
    }
    let drug = drug_label(&t, &d.drug);
    view::render(
        status,
        &DetailPage {
            chrome: v.chrome(format!("{} · {drug}", t.get("nav.shortages"))),
            heading: format!(
                "{drug} · {}",
                t.get(&format!("shortage.level.{}", rec.level))
            ),
            props: record_props(&t, tz, &geo, &d),
            actions: vec![Link::new("/shortages", t.get("nav.shortages"))],
            sections: vec![ev, resp, history_section(&t, tz, &geo, &d.events)],
        },
    )
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
            format!("{} ({})", drug_label(t, drug), drug.code),
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
    picks: &shortage_picks::Picks,
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
                "shortage.ended",
            ],
        ),
        rows: responses
            .iter()
            .map(|r| {
                vec![
                    Cell::text(t.get(&format!("shortage.response.{}", r.kind))),
                    Cell::text(names_of(t, geo, &r.counties)),
                    Cell::num(r.price_cap.map(|v| yuan(t, v)).unwrap_or_default()),
                    Cell::text(r.until_on.map(|d| d.to_string()).unwrap_or_default()),
                    match (r.supplier_id, r.tender_id) {
                        (Some(s), _) => {
                            let name = picks.suppliers.get(&s).cloned().unwrap_or_default();
                            let product = r
                                .product_id
                                .and_then(|id| picks.products.iter().find(|p| p.id == id));
                            let text = match product {
                                Some(p) => format!("{name} · {}", product_label(t, picks, p)),
                                None => name,
                            };
                            Cell::link(text, format!("/suppliers/{s}"))
                        }
                        (None, Some(x)) => Cell::link(
                            picks.tenders.get(&x).cloned().unwrap_or_default(),
                            format!("/tenders/{x}"),
                        ),
                        _ if r.kind == crate::domain::shortage::ResponseKind::BackupSwitch => {
                            Cell::text(backups_of(t, geo, picks, &r.counties))
                        }
                        _ => Cell::text(""),
                    },
                    Cell::text(&r.note),
                    Cell::text(format!(
                        "{} · {}",
                        r.created_by,
                        local_time(tz, r.created_at)
                    )),
                    Cell::text(r.ended_at.map(|e| local_time(tz, e)).unwrap_or_default()),
                ]
            })
            .collect(),
    });
    if responses.is_empty() {
        resp.text.push(t.get("shortage.no_responses").into());
    }
    resp
}

/// Each county of `counties` with the supplier that backs it up: "金寨县 → 某药业".
fn backups_of(
    t: &crate::i18n::Tr,
    geo: &ss::Geo,
    picks: &shortage_picks::Picks,
    counties: &str,
) -> String {
    counties_parse(counties)
        .iter()
        .map(|c| {
            let backup = picks
                .counties
                .iter()
                .find(|x| x.id == *c)
                .and_then(|x| x.backup.as_ref())
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| t.get("shortui.no_backup").into());
            format!("{} → {backup}", geo.name(*c, t.lang))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A product as the form and the responses name it: "maker — drug strength · approval number ·
/// ×units per package", and the national agent of an imported one.
fn product_label(
    t: &crate::i18n::Tr,
    picks: &shortage_picks::Picks,
    p: &crate::store::catalog::Product,
) -> String {
    let agent = p
        .national_agent_id
        .and_then(|a| picks.suppliers.get(&a))
        .map(|n| format!(" · {}: {n}", t.get("shortui.national_agent")))
        .unwrap_or_default();
    format!(
        "{} — {} {} · {} · ×{}{agent}",
        p.manufacturer_name, p.drug_name, p.strength, p.approval_number, p.units_per_package
    )
}

/// The response form: the kind, the counties (each with its backup supplier, by name), the end
/// date, the price cap, the designated manufacturer (by name), its product (by maker, name and
/// spec), its price, a note; what was typed kept when it comes back refused.
fn response_form(
    t: &crate::i18n::Tr,
    id: i64,
    geo: &ss::Geo,
    picks: &shortage_picks::Picks,
    typed: Option<&ResponseForm>,
) -> Form {
    let kinds: Vec<(String, String)> = OFFERED
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                t.get(&format!("shortage.response.{}", k.as_str()))
                    .to_string(),
            )
        })
        .collect();
    let mut counties = vec![(String::new(), t.get("shortui.all_counties").to_string())];
    counties.extend(picks.counties.iter().map(|c| {
        let backup = c
            .backup
            .as_ref()
            .map(|(_, n)| t.get("shortui.backup_is").replace("{supplier}", n))
            .unwrap_or_else(|| t.get("shortui.no_backup").into());
        (
            c.id.to_string(),
            format!("{} · {backup}", geo.name(c.id, t.lang)),
        )
    }));
    let mut makers = vec![(String::new(), t.get("shortui.no_producer").to_string())];
    makers.extend(picks.makers.iter().map(|(i, n)| (i.to_string(), n.clone())));
    let mut products = vec![(String::new(), t.get("shortui.product_the_one").to_string())];
    products.extend(
        picks
            .products
            .iter()
            .map(|p| (p.id.to_string(), product_label(t, picks, p))),
    );
    let blank = ResponseForm::default();
    let f = typed.unwrap_or(&blank);
    Form::new(
        format!("/shortages/{id}/responses"),
        t.get("shortage.respond"),
        vec![
            Field::select("kind", t.get("shortage.response"), &f.kind, kinds),
            Field::select("counties", t.get("shortui.county"), &f.counties, counties),
            Field::text("until_on", t.get("shortage.until"), &f.until_on).kind("date"),
            Field::text("price_cap", t.get("shortage.price_cap"), &f.price_cap),
            Field::select(
                "supplier_id",
                t.get("shortui.producer"),
                &f.supplier_id,
                makers,
            ),
            Field::select(
                "product_id",
                t.get("shortui.product"),
                &f.product_id,
                products,
            ),
            Field::text(
                "unit_price",
                t.get("shortage.negotiated_price"),
                &f.unit_price,
            ),
            Field::text("note", t.get("shortage.note"), &f.note),
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

#[derive(Deserialize, Default, Clone)]
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
    pub unit_price: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub counties: String,
    #[serde(default)]
    pub product_id: String,
}

impl ResponseForm {
    fn input(&self) -> ResponseInput<'_> {
        ResponseInput {
            kind: &self.kind,
            price_cap: &self.price_cap,
            until_on: &self.until_on,
            supplier_id: &self.supplier_id,
            unit_price: &self.unit_price,
            note: &self.note,
            counties: &self.counties,
            product_id: &self.product_id,
        }
    }
}

#[post("/shortages/{id}/responses")]
async fn respond(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ResponseForm>,
) -> Result<HttpResponse, Error> {
    shortage_responses::may_respond(&v.p)?;
    let (id, f) = (id.into_inner(), f.into_inner());
    let r = match f.input().check(state.today()) {
        Ok(r) => r,
        Err(es) => return record_page(&v, &state, id, Some((f, es))).await,
    };
    let (p, master) = (v.p.clone(), state.master.clone());
    let done = run(&state, move |cx| {
        shortage_responses::respond(cx, &p, id, &r, &master)
    })
    .await;
    match done {
        Ok(_) => Ok(view::see_other(&format!("/shortages/{id}"))),
        Err(Error::Invalid(es)) => record_page(&v, &state, id, Some((f, es))).await,
        // A county without a backup (or another refusal of the response as a whole): said
        // next to the counties picked.
        Err(Error::Conflict(m)) => {
            let es = vec![crate::domain::Invalid::new("counties", m)];
            record_page(&v, &state, id, Some((f, es))).await
        }
        Err(e) => Err(e),
    }
}

#[post("/shortages/{id}/responses/{response}/withdraw")]
async fn withdraw(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let ((id, response), p) = (path.into_inner(), v.p.clone());
    run(&state, move |cx| {
        shortage_responses::withdraw(cx, &p, response)
    })
    .await?;
    Ok(view::see_other(&format!("/shortages/{id}")))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(shortage_list)
        .service(shortage_page)
        .service(respond)
        .service(withdraw);
    super::shortage_parties::routes(cfg);
    super::direct_listings::routes(cfg);
}
