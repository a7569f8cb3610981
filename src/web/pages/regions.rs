//! The regions pages: the province's tree of cities, counties and townships.

use actix_web::{get, post, web, HttpResponse};

use super::pickers;
use super::{edit_page, field, new_record_page, record_form, save_form, word_field};
use crate::app;
use crate::domain::catalog::{RegionForm, RegionLevel};
use crate::store::regions;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, Field, Link, ListPage, Table};
use crate::web::{db, run, AppState, Error};

#[get("/regions")]
async fn region_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_reader()?;
    let t = v.t;
    let all = run(&state, crate::app::regions::all).await?;
    let code_of = |id: Option<i64>| {
        id.and_then(|id| all.iter().find(|r| r.id == id))
            .map(|r| r.code.clone())
            .unwrap_or_default()
    };
    let table = Table {
        columns: [
            "field.code",
            "field.name_zh",
            "field.name_en",
            "field.level",
            "field.parent_code",
        ]
        .iter()
        .map(|k| t.get(k).to_string())
        .collect(),
        rows: all
            .iter()
            .map(|r| {
                let code = if v.p.can_administer() {
                    Cell::link(&r.code, format!("/regions/{}/edit", r.id))
                } else {
                    Cell::text(&r.code)
                };
                vec![
                    code,
                    Cell::text(&r.name_zh),
                    Cell::text(&r.name_en),
                    Cell::text(r.level.label(t.lang)),
                    Cell::text(code_of(r.parent_id)),
                ]
            })
            .collect(),
    };
    let actions = if v.p.can_administer() {
        vec![Link::new("/regions/new", t.get("action.new_region"))]
    } else {
        vec![]
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("nav.regions")),
        heading: t.get("nav.regions").to_string(),
        search: None,
        actions,
        table,
        pager: None,
        empty: t.get("page.no_results").to_string(),
    })
}

fn region_fields(v: &Viewer, f: &RegionForm, pk: &pickers::Parties) -> Vec<Field> {
    let t = &v.t;
    vec![
        field(t, "code", &f.code).required(),
        field(t, "name_zh", &f.name_zh).required(),
        field(t, "name_en", &f.name_en).required(),
        word_field::<RegionLevel>(t, "level", &f.level),
        pickers::region_field(t, "parent_code", &f.parent_code, pk),
    ]
}

#[get("/regions/new")]
async fn new_region(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let pk = pickers::parties(&v, &state).await?;
    let fields = region_fields(&v, &RegionForm::default(), &pk);
    new_record_page(&v, "/regions", "action.new_region", "nav.regions", fields)
}

#[post("/regions")]
async fn create_region(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<RegionForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let f = f.into_inner();
    let pk = pickers::parties(&v, &state).await?;
    let form = record_form(&v, "/regions", region_fields(&v, &f, &pk));
    save_form(
        &v,
        &state,
        v.t.get("action.new_region"),
        form,
        f.validate(),
        app::regions::create,
        |_| "/regions".into(),
    )
    .await
}

#[get("/regions/{id}/edit")]
async fn edit_region(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let (r, parent) = db(&state, move |c| {
        let r = regions::get(c, id)?;
        let parent = match r.parent_id {
            Some(p) => Some(regions::get(c, p)?.code),
            None => None,
        };
        Ok((r, parent))
    })
    .await?;
    let f = RegionForm {
        code: r.code,
        name_zh: r.name_zh,
        name_en: r.name_en,
        level: r.level.to_string(),
        parent_code: parent.unwrap_or_default(),
    };
    let pk = pickers::parties(&v, &state).await?;
    edit_page(
        &v,
        format!("/regions/{id}"),
        region_fields(&v, &f, &pk),
        Link::new("/regions", v.t.get("nav.regions")),
    )
}

#[post("/regions/{id}")]
async fn update_region(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<RegionForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let f = f.into_inner();
    let pk = pickers::parties(&v, &state).await?;
    save_form(
        &v,
        &state,
        v.t.get("action.edit"),
        record_form(&v, format!("/regions/{id}"), region_fields(&v, &f, &pk)),
        f.validate(),
        move |cx, p, input| app::regions::update(cx, p, id, input),
        |_| "/regions".into(),
    )
    .await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(region_list)
        .service(new_region)
        .service(create_region)
        .service(edit_region)
        .service(update_region);
}
