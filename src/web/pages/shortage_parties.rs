//! Shortage pages of the parties: institutions' shortage reports, suppliers' supply
//! interruptions, each user's choice of alerts.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

use super::cols;
use super::local_time;
use super::shortages::{drug_choices, drug_namer};
use crate::app::parties::acting_supplier;
use crate::app::{self, shortage_picks, shortages};
use crate::domain::alerts::AlertKind;
use crate::domain::roles::Role;
use crate::domain::Code;
use crate::store::shortages as ss;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Section, Table};
use crate::web::{run, AppState, Error};

// ---------- institutions' shortage reports ----------

#[get("/shortage-reports")]
async fn report_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    reports_page(&v, &state, None).await
}

/// The reports list with the reporting form; a refused report comes back with what was typed
/// and its errors next to their fields (422).
async fn reports_page(
    v: &Viewer,
    state: &web::Data<AppState>,
    refused: Option<(ReportForm, Vec<crate::domain::Invalid>)>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let inst = match v.p.role {
        Role::Institution => Some(v.p.institution_id.ok_or_else(Error::forbidden)?),
        Role::Center | Role::Regulator => None,
        _ => return Err(Error::forbidden()),
    };
    let (reports, geo, drugs, insts) = run(state, move |cx| {
        let reports = ss::reports(&mut *cx.conn()?, inst, 500)?;
        let ids: Vec<i64> = reports.iter().map(|(r, ..)| r.institution_id).collect();
        let geo = ss::geography(&mut *cx.conn()?)?;
        let drugs = shortage_picks::drugs(cx)?;
        let (_, insts) = shortage_picks::parties(cx, &ids)?;
        Ok((reports, geo, drugs, insts))
    })
    .await?;
    let mut s = Section::new(t.get("nav.shortage_reports"));
    let drug_name = drug_namer(&t, &drugs);
    s.table = Some(reports_table(
        &t,
        state.config.time_zone,
        &reports,
        &geo,
        &drug_name,
        &insts,
    ));
    if inst.is_some() {
        let form = report_form(&t, &drugs, refused.as_ref().map(|(f, _)| f));
        s.push_form(&t, form, refused.as_ref().map(|(_, es)| es.as_slice()));
    }
    one_section_page(v, "nav.shortage_reports", s, refused.is_some())
}

/// A page of one section headed by the string `heading`: 422 when it shows a refused form
/// again.
fn one_section_page(
    v: &Viewer,
    heading: &str,
    s: Section,
    refused: bool,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    view::render(
        super::refused_status(refused),
        &DetailPage {
            chrome: v.chrome(t.get(heading)),
            heading: t.get(heading).into(),
            props: vec![],
            actions: vec![],
            sections: vec![s],
        },
    )
}

/// The institutions' reports: when, which drug, where, who (the institution and its user) and
/// what they noted.
fn reports_table(
    t: &crate::i18n::Tr,
    tz: chrono_tz::Tz,
    reports: &[(ss::Report, String, String)],
    geo: &ss::Geo,
    drug_name: &impl Fn(i64, &str) -> String,
    insts: &BTreeMap<i64, String>,
) -> Table {
    Table {
        columns: cols(
            t,
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
            .map(|(r, _, name)| {
                vec![
                    Cell::text(local_time(tz, r.reported_at)),
                    Cell::text(drug_name(r.drug_id, name)),
                    Cell::text(geo.name(r.county_id, t.lang)),
                    Cell::link(
                        insts.get(&r.institution_id).cloned().unwrap_or_default(),
                        format!("/institutions/{}", r.institution_id),
                    ),
                    Cell::text(&r.note),
                    Cell::text(&r.reported_by),
                ]
            })
            .collect(),
    }
}

/// The drug a party's form is about: a required choice among `drugs`, sent back by its code.
fn drug_field(t: &crate::i18n::Tr, drugs: &[crate::store::catalog::Drug], code: &str) -> Field {
    Field::select(
        "drug_code",
        t.get("shortage.drug"),
        code,
        drug_choices(t, drugs, t.get("shortui.choose_drug")),
    )
    .required()
}

/// The form that reports a shortage: empty or as typed.
fn report_form(
    t: &crate::i18n::Tr,
    drugs: &[crate::store::catalog::Drug],
    typed: Option<&ReportForm>,
) -> Form {
    let blank = ReportForm::default();
    let f = typed.unwrap_or(&blank);
    Form::new(
        "/shortage-reports",
        t.get("shortage.report"),
        vec![
            drug_field(t, drugs, &f.drug_code),
            Field::text("note", t.get("shortage.note"), &f.note),
        ],
    )
}

#[derive(Deserialize, Default, Clone)]
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
    let typed = f.clone();
    let done = run(&state, move |cx| {
        shortages::report(cx, &p, "drug_code", &f.drug_code, &f.note)
    })
    .await;
    match done {
        Ok(_) => Ok(view::see_other("/shortage-reports")),
        Err(Error::Invalid(es)) => reports_page(&v, &state, Some((typed, es))).await,
        Err(e) => Err(e),
    }
}

// ---------- suppliers' supply interruptions ----------

#[get("/supply-interruptions")]
async fn interruption_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    interruptions_page(&v, &state, None).await
}

/// The declarations with the declaring form; a refused one comes back with what was typed and
/// its errors next to their fields (422).
async fn interruptions_page(
    v: &Viewer,
    state: &web::Data<AppState>,
    refused: Option<(InterruptionForm, Vec<crate::domain::Invalid>)>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let supplier = match v.p.role {
        Role::Supplier => Some(acting_supplier(
            &v.p,
            Code::OnlySupplierUsersSeeDeclarations,
        )?),
        Role::Center | Role::Regulator => None,
        _ => return Err(Error::forbidden()),
    };
    let (rows, drugs, suppliers) = run(state, move |cx| {
        let rows = ss::interruptions(&mut *cx.conn()?, supplier, None, 500)?;
        let (suppliers, _) = shortage_picks::parties(cx, &[])?;
        Ok((rows, shortage_picks::drugs(cx)?, suppliers))
    })
    .await?;
    let drug_name = drug_namer(&t, &drugs);
    let today = state.today();
    let mut s = Section::new(t.get("nav.interruptions"));
    s.table = Some(interruptions_table(
        &t,
        state.config.time_zone,
        &rows,
        &drug_name,
        &suppliers,
    ));
    if supplier.is_some() {
        s.forms.extend(end_forms(&t, &rows, today, &drug_name));
        let form = declare_form(&t, &drugs, today, refused.as_ref().map(|(f, _)| f));
        s.push_form(&t, form, refused.as_ref().map(|(_, es)| es.as_slice()));
    }
    one_section_page(v, "nav.interruptions", s, refused.is_some())
}

/// The suppliers' declarations: when, which drug, which supplier, why, from when until when.
fn interruptions_table(
    t: &crate::i18n::Tr,
    tz: chrono_tz::Tz,
    rows: &[(ss::Interruption, String, String)],
    drug_name: &impl Fn(i64, &str) -> String,
    suppliers: &BTreeMap<i64, String>,
) -> Table {
    Table {
        columns: cols(
            t,
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
            .map(|(r, _, name)| {
                vec![
                    Cell::text(local_time(tz, r.declared_at)),
                    Cell::text(drug_name(r.drug_id, name)),
                    Cell::link(
                        suppliers.get(&r.supplier_id).cloned().unwrap_or_default(),
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
    }
}

/// A button that ends each interruption still running `today` (irreversible: it asks first).
fn end_forms(
    t: &crate::i18n::Tr,
    rows: &[(ss::Interruption, String, String)],
    today: chrono::NaiveDate,
    drug_name: &impl Fn(i64, &str) -> String,
) -> Vec<Form> {
    rows.iter()
        .filter(|(r, ..)| r.ends_on.is_none_or(|e| e >= today))
        .map(|(r, _, name)| {
            Form::button(
                format!("/supply-interruptions/{}/end", r.id),
                format!(
                    "{} · {}",
                    t.get("shortage.end_interruption"),
                    drug_name(r.drug_id, name)
                ),
            )
            .danger()
        })
        .collect()
}

/// The form that declares an interruption: empty (starting today) or as typed.
fn declare_form(
    t: &crate::i18n::Tr,
    drugs: &[crate::store::catalog::Drug],
    today: chrono::NaiveDate,
    typed: Option<&InterruptionForm>,
) -> Form {
    let blank = InterruptionForm {
        starts_on: today.to_string(),
        ..Default::default()
    };
    let f = typed.unwrap_or(&blank);
    Form::new(
        "/supply-interruptions",
        t.get("shortage.declare"),
        vec![
            drug_field(t, drugs, &f.drug_code),
            Field::text("reason", t.get("shortage.reason"), &f.reason).required(),
            Field::text("starts_on", t.get("shortage.starts_on"), &f.starts_on).kind("date"),
            Field::text("ends_on", t.get("shortage.ends_on"), &f.ends_on).kind("date"),
        ],
    )
}

#[derive(Deserialize, Default, Clone)]
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
    let typed = f.clone();
    let mut errors = vec![];
    let starts_on = crate::domain::optional_date("starts_on", &f.starts_on)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let ends_on = crate::domain::optional_date("ends_on", &f.ends_on)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return interruptions_page(&v, &state, Some((typed, errors))).await;
    }
    let done = run(&state, move |cx| {
        let d = shortages::Declare {
            drug_field: "drug_code",
            drug: &f.drug_code,
            reason: &f.reason,
            starts_on,
            ends_on,
        };
        shortages::declare_interruption(cx, &p, &d)
    })
    .await;
    match done {
        Ok(_) => Ok(view::see_other("/supply-interruptions")),
        Err(Error::Invalid(es)) => interruptions_page(&v, &state, Some((typed, es))).await,
        Err(e) => Err(e),
    }
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

// ---------- each user's alerts ----------

#[get("/account/alerts")]
async fn alert_prefs(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let p = v.p.clone();
    let off = run(&state, move |cx| app::users::alert_optouts(cx, &p)).await?;
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
    let p = v.p.clone();
    run(&state, move |cx| {
        app::users::set_alert_optouts(cx, &p, &off)
    })
    .await?;
    Ok(view::see_other("/account/alerts"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(report_list)
        .service(report)
        .service(interruption_list)
        .service(declare)
        .service(end_interruption)
        .service(alert_prefs)
        .service(save_alert_prefs);
}
