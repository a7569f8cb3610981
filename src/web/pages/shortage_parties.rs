//! Shortage pages of the parties: institutions' shortage reports, suppliers' supply
//! interruptions, each user's choice of alerts.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeSet;

use super::local_time;
use super::shortages::cols;
use crate::app::parties::acting_supplier;
use crate::app::shortages;
use crate::domain::alerts::AlertKind;
use crate::domain::roles::Role;
use crate::domain::Code;
use crate::store::alerts as sa;
use crate::store::shortages as ss;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Section, Table};
use crate::web::{db, run, AppState, Error};

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
    cfg.service(report_list)
        .service(report)
        .service(interruption_list)
        .service(declare)
        .service(end_interruption)
        .service(alert_prefs)
        .service(save_alert_prefs);
}
