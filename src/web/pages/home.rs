//! Each role's home page.

use actix_web::{get, web, HttpResponse};

use crate::domain::catalog::days_to_expiry;
use crate::domain::roles::Role;
use crate::store::{catalog, parties};
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Link, Section, Table};
use crate::web::{db, AppState, Error};

#[get("/home")]
async fn home(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let today = state.today();
    let mut props = vec![];
    let mut sections = vec![];
    let mut actions = vec![];
    match v.p.role {
        Role::Center | Role::Regulator | Role::Expert => {
            let (drugs, insts, sups) = db(&state, |c| {
                Ok((
                    catalog::count_drugs(c)?,
                    parties::count_institutions(c)?,
                    parties::count_suppliers(c)?,
                ))
            })
            .await?;
            props.push((t.get("nav.drugs").to_string(), drugs.to_string()));
            if v.p.role != Role::Expert {
                props.push((t.get("nav.institutions").to_string(), insts.to_string()));
                props.push((t.get("nav.suppliers").to_string(), sups.to_string()));
            }
            let mut s = Section::new(t.get("home.tasks"));
            s.text.push(
                t.get(&format!("home.intro.{}", v.p.role.as_str()))
                    .to_string(),
            );
            sections.push(s);
            actions.extend(v.chrome("").nav.into_iter().skip(1));
        }
        Role::Supplier => {
            if let Some(id) = v.p.supplier_id {
                let (s, lic) = db(&state, move |c| {
                    Ok((parties::get_supplier(c, id)?, parties::licences_of(c, id)?))
                })
                .await?;
                props.push((t.get("field.name").to_string(), s.name.clone()));
                props.push((t.get("field.uscc").to_string(), s.uscc.clone()));
                let mut sec = Section::new(t.get("section.licences"));
                sec.table = Some(Table {
                    columns: vec![
                        t.get("field.number").into(),
                        t.get("field.expires_on").into(),
                        t.get("field.status").into(),
                    ],
                    rows: lic
                        .iter()
                        .map(|l| {
                            let d = days_to_expiry(l.expires_on, today);
                            let st = if d < 0 {
                                Cell::text(t.get("licence.expired")).with_class("bad")
                            } else if d <= 30 {
                                Cell::text(
                                    t.get("licence.expiring").replace("{days}", &d.to_string()),
                                )
                                .with_class("warn")
                            } else {
                                Cell::text(t.get("licence.valid")).with_class("good")
                            };
                            vec![
                                Cell::text(&l.number),
                                Cell::text(l.expires_on.to_string()),
                                st,
                            ]
                        })
                        .collect(),
                });
                sections.push(sec);
                actions.push(Link::new(
                    format!("/suppliers/{id}"),
                    t.get("nav.my_supplier"),
                ));
            }
        }
        Role::Institution => {
            if let Some(id) = v.p.institution_id {
                let (i, kids) = db(&state, move |c| {
                    Ok((
                        parties::get_institution(c, id)?,
                        parties::children_of(c, id)?.len(),
                    ))
                })
                .await?;
                props.push((t.get("field.name").to_string(), i.name.clone()));
                props.push((
                    t.get("field.region").to_string(),
                    format!("{} {}", i.region_code, i.region_name),
                ));
                if kids > 0 {
                    props.push((
                        t.get("section.village_clinics").to_string(),
                        kids.to_string(),
                    ));
                }
                actions.push(Link::new(
                    format!("/institutions/{id}"),
                    t.get("nav.my_institution"),
                ));
            }
        }
    }
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.home")),
        heading: format!("{} · {}", t.get("home.welcome"), v.display_name),
        props,
        actions,
        sections,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
}

/// What no route answers: under `/api/` the API's JSON 404 (or 405 with `Allow`); elsewhere a
/// 404 page in the reader's language, in the site's layout (with the navigation when logged
/// in), saying which path has no page.
pub async fn unrouted(
    req: actix_web::HttpRequest,
    session: actix_session::Session,
    v: Option<Viewer>,
) -> Result<HttpResponse, Error> {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        return Ok(crate::web::api_doc::unrouted(&req));
    }
    let msg = crate::domain::Msg::new(crate::domain::Code::NoSuchPage).arg("path", path);
    let (t, chrome) = match &v {
        Some(v) => (v.t, v.chrome(v.t.get("error.status_404"))),
        None => {
            let t = crate::web::auth::language(&session, &req, None);
            let csrf = crate::web::auth::csrf_token(&session);
            (
                t,
                crate::web::auth::anon_chrome(t, csrf, t.get("error.status_404")),
            )
        }
    };
    let mut s = Section::new(t.msg(&msg));
    let start = if v.is_some() { "/home" } else { "/login" };
    s.links.push(Link::new(start, t.get("nav.home")));
    view::render(
        actix_web::http::StatusCode::NOT_FOUND,
        &DetailPage {
            chrome,
            heading: format!("404 {}", t.get("error.status_404")),
            props: vec![],
            actions: vec![],
            sections: vec![s],
        },
    )
}
