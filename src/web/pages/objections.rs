//! Objections on the tender's page: a bidder lodges one against a lot's provisional award,
//! center staff answer it.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use crate::app::tenders;
use crate::web::auth::Viewer;
use crate::web::view;
use crate::web::{run, AppState, Error};

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    answer: String,
}

#[post("/tenders/{id}/lots/{lot}/objection")]
async fn object(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    f: web::Form<TextForm>,
) -> Result<HttpResponse, Error> {
    let (tid, lid) = path.into_inner();
    let (p, text) = (v.p.clone(), f.text.clone());
    run(&state, move |cx| {
        tenders::objections::lodge(cx, &p, lid, &text)
    })
    .await?;
    Ok(view::see_other(&format!("/tenders/{tid}")))
}

#[post("/objections/{id}/answer")]
async fn answer(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<TextForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (p, text) = (v.p.clone(), f.answer.clone());
    let o = run(&state, move |cx| {
        tenders::objections::answer(cx, &p, id, &text)
    })
    .await?;
    Ok(view::see_other(&format!("/tenders/{}", o.tender_id)))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(object).service(answer);
}
