//! Shortage pages of the parties: institutions' shortage reports, suppliers' supply
//! interruptions, each user's choice of alerts.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeSet;

use super::local_time;
use super::shortages::{cols, drug_choices, drug_label};
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
    let tz = state.config.time_zone;
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
    let by_id: std::collections::BTreeMap<i64, &crate::store::catalog::Drug> =
        drugs.iter().map(|d| (d.id, d)).collect();
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
            .map(|(r, _, name)| {
                vec![
                    Cell::text(local_time(tz, r.reported_at)),
                    Cell::text(
                        by_id
                            .get(&r.drug_id)
                            .map(|d| drug_label(&t, d))
                            .unwrap_or(name.clone()),
                    ),
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
    });
    let status = if refused.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    if inst.is_some() {
        let blank = ReportForm::default();
        let f = refused.as_ref().map(|(f, _)| f).unwrap_or(&blank);
        let form = Form::new(
            "/shortage-reports",
            t.get("shortage.report"),
            vec![
                Field::select(
                    "drug_code",
                    t.get("shortage.drug"),
                    &f.drug_code,
                    drug_choices(&t, &drugs, t.get("shortui.choose_drug")),
                )
                .required(),
                Field::text("note", t.get("shortage.note"), &f.note),
            ],
        );
        s.push_form(&t, form, refused.as_ref().map(|(_, es)| es.as_slice()));
    }
    view::render(
        status,
        &DetailPage {
            chrome: v.chrome(t.get("nav.shortage_reports")),
            heading: t.get("nav.shortage_reports").into(),
            props: vec![],
            actions: vec![],
            sections: vec![s],
        },
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
    let tz = state.config.time_zone;
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
    let by_id: std::collections::BTreeMap<i64, &crate::store::catalog::Drug> =
        drugs.iter().map(|d| (d.id, d)).collect();
    let drug_name = |id: i64, fallback: &str| {
        by_id
            .get(&id)
            .map(|d| drug_label(&t, d))
            .unwrap_or(fallback.to_string())
    };
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
    });
    let status = if refused.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    if supplier.is_some() {
        for (r, _, name) in rows
            .iter()
            .filter(|(r, ..)| r.ends_on.is_none_or(|e| e >= today))
        {
            s.forms.push(
                Form::button(
                    format!("/supply-interruptions/{}/end", r.id),
                    format!(
                        "{} · {}",
                        t.get("shortage.end_interruption"),
                        drug_name(r.drug_id, name)
                    ),
                )
                .danger(),
            );
        }
        let form = declare_form(&t, &drugs, today, refused.as_ref().map(|(f, _)| f));
        s.push_form(&t, form, refused.as_ref().map(|(_, es)| es.as_slice()));
    }
    view::render(
        status,
        &DetailPage {
            chrome: v.chrome(t.get("nav.interruptions")),
            heading: t.get("nav.interruptions").into(),
            props: vec![],
            actions: vec![],
            sections: vec![s],
        },
    )
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
            Field::select(
                "drug_code",
                t.get("shortage.drug"),
                &f.drug_code,
                drug_choices(t, drugs, t.get("shortui.choose_drug")),
            )
            .required(),
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
