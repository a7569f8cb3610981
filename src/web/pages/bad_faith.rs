//! The bad-faith list: warnings and entries on a supplier's page, and the public list.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::cols;
use crate::store::orders as os;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, Field, Form, Link, ListPage, Section, Table};
use crate::web::{db, AppState, Error};

/// The warnings and bad-faith sections of a supplier's page (staff, regulators and the
/// supplier itself), with the forms to warn and then to list it (center staff).
pub async fn bad_faith_sections(
    v: &Viewer,
    state: &AppState,
    supplier_id: i64,
) -> Result<Vec<Section>, Error> {
    let t = v.t;
    let (warnings, entries) = db(state, move |c| {
        Ok((
            os::warnings_of(c, supplier_id)?,
            os::bad_faith_of(c, supplier_id)?,
        ))
    })
    .await?;
    let mut w = Section::new(t.get("badfaith.warnings"));
    w.table = Some(Table {
        columns: cols(
            &t,
            &["badfaith.reason", "badfaith.issued_at", "badfaith.by"],
        ),
        rows: warnings
            .iter()
            .map(|e| {
                vec![
                    Cell::text(&e.reason),
                    Cell::text(super::local_time(state.config.time_zone, e.issued_at)),
                    Cell::text(&e.issued_by),
                ]
            })
            .collect(),
    });
    if v.p.can_administer() {
        w.forms.push(warning_form(&t, supplier_id, ""));
    }
    let mut s = Section::new(t.get("badfaith.title"));
    s.table = Some(Table {
        columns: cols(
            &t,
            &[
                "badfaith.reason",
                "badfaith.starts_on",
                "badfaith.ends_on",
                "badfaith.by",
            ],
        ),
        rows: entries
            .iter()
            .map(|e| {
                vec![
                    Cell::text(&e.reason),
                    Cell::text(e.starts_on.to_string()),
                    Cell::text(e.ends_on.to_string()),
                    Cell::text(&e.created_by),
                ]
            })
            .collect(),
    });
    if v.p.can_administer() && warnings.is_empty() {
        s.text.push(t.get("badfaith.needs_warning").into());
    } else if v.p.can_administer() {
        let today = state.today();
        let until = today
            .checked_add_months(chrono::Months::new(24))
            .unwrap_or(today);
        s.forms.push(bad_faith_form(
            &t,
            supplier_id,
            &BadFaithForm {
                reason: String::new(),
                starts_on: today.to_string(),
                ends_on: until.to_string(),
            },
        ));
    }
    Ok(vec![w, s])
}

fn warning_form(t: &crate::i18n::Tr, supplier_id: i64, reason: &str) -> Form {
    Form::new(
        format!("/suppliers/{supplier_id}/bad-faith/warning"),
        t.get("badfaith.warn"),
        vec![Field::text("reason", t.get("badfaith.reason"), reason)
            .kind("textarea")
            .required()],
    )
}

fn bad_faith_form(t: &crate::i18n::Tr, supplier_id: i64, f: &BadFaithForm) -> Form {
    let mut form = Form::new(
        format!("/suppliers/{supplier_id}/bad-faith"),
        t.get("badfaith.add"),
        vec![
            Field::text("reason", t.get("badfaith.reason"), &f.reason)
                .kind("textarea")
                .required(),
            Field::text("starts_on", t.get("badfaith.starts_on"), &f.starts_on)
                .kind("date")
                .required(),
            Field::text("ends_on", t.get("badfaith.ends_on"), &f.ends_on)
                .kind("date")
                .required(),
        ],
    );
    form.danger = true;
    form
}

/// A refused form of the supplier's page again, with what was typed (422).
fn again(v: &Viewer, id: i64, form: Form, e: Error) -> Result<HttpResponse, Error> {
    super::catalog::form_or_error(
        v,
        &form.submit.clone(),
        form,
        e,
        Some(Link::new(
            format!("/suppliers/{id}"),
            v.t.get("action.back"),
        )),
    )
}

#[derive(Deserialize)]
struct WarningForm {
    #[serde(default)]
    reason: String,
}

#[post("/suppliers/{id}/bad-faith/warning")]
async fn warn_supplier(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<WarningForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let reason = f.reason.clone();
    let act = state.act(&v.p.username);
    match db(&state, move |c| os::warn_supplier(c, &act, id, &reason)).await {
        Ok(_) => Ok(view::see_other(&format!("/suppliers/{id}"))),
        Err(e) => again(&v, id, warning_form(&v.t, id, &f.reason), e),
    }
}

#[derive(Deserialize)]
struct BadFaithForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

#[post("/suppliers/{id}/bad-faith")]
async fn add_bad_faith(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<BadFaithForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let date = crate::domain::date;
    let result = match (date("starts_on", &f.starts_on), date("ends_on", &f.ends_on)) {
        (Ok(starts), Ok(ends)) => {
            let reason = f.reason.clone();
            let act = state.act(&v.p.username);
            db(&state, move |c| {
                os::put_on_bad_faith_list(c, &act, id, &reason, starts, ends)
            })
            .await
            .map(|_| ())
        }
        (a, b) => Err(Error::Invalid(
            [a.err(), b.err()].into_iter().flatten().collect(),
        )),
    };
    match result {
        Ok(()) => Ok(view::see_other(&format!("/suppliers/{id}"))),
        Err(e) => again(&v, id, bad_faith_form(&v.t, id, &f), e),
    }
}

/// The public bad-faith list (no login): who is barred today, why, and until when.
#[get("/bad-faith")]
async fn public_bad_faith(
    req: actix_web::HttpRequest,
    session: actix_session::Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let t = crate::web::auth::language(&session, &req, None);
    let day = state.today();
    let rows = db(&state, move |c| os::bad_faith_today(c, day)).await?;
    let mut chrome = crate::web::auth::anon_chrome(
        t,
        crate::web::auth::csrf_token(&session),
        t.get("badfaith.title"),
    );
    chrome.nav = vec![
        Link::new("/results", t.get("nav.results")),
        Link::new("/login", t.get("login.title")),
    ];
    view::ok(&ListPage {
        chrome,
        heading: t.get("badfaith.title").into(),
        search: None,
        actions: vec![],
        table: Table {
            columns: cols(
                &t,
                &[
                    "order.supplier",
                    "badfaith.reason",
                    "badfaith.starts_on",
                    "badfaith.ends_on",
                ],
            ),
            rows: rows
                .iter()
                .map(|(e, name)| {
                    vec![
                        Cell::text(name),
                        Cell::text(&e.reason),
                        Cell::text(e.starts_on.to_string()),
                        Cell::text(e.ends_on.to_string()),
                    ]
                })
                .collect(),
        },
        pager: None,
        empty: t.get("page.no_results").into(),
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(add_bad_faith)
        .service(warn_supplier)
        .service(public_bad_faith);
}
