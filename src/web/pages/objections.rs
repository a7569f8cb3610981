//! Objections on the tender's page: a bidder lodges one against a lot's provisional award,
//! center staff answer it.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use crate::app::tenders;
use crate::web::auth::Viewer;
use crate::web::view::{self, Field, Form, Link};
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
    match run(&state, move |cx| {
        tenders::objections::lodge(cx, &p, lid, &text)
    })
    .await
    {
        Ok(_) => Ok(view::see_other(&format!("/tenders/{tid}"))),
        Err(e) => {
            let t = v.t;
            let form = Form::new(
                format!("/tenders/{tid}/lots/{lid}/objection"),
                t.get("tender.lodge_an_objection"),
                vec![Field::text("text", t.get("tender.objection"), &f.text)
                    .kind("textarea")
                    .required()],
            );
            back_to_tender(&v, tid, form, e)
        }
    }
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
    match run(&state, move |cx| {
        tenders::objections::answer(cx, &p, id, &text)
    })
    .await
    {
        Ok(o) => Ok(view::see_other(&format!("/tenders/{}", o.tender_id))),
        Err(e) => {
            let t = v.t;
            let form = Form::new(
                format!("/objections/{id}/answer"),
                t.get("tender.answer"),
                vec![Field::text("answer", t.get("tender.answer"), &f.answer)
                    .kind("textarea")
                    .required()],
            );
            super::catalog::form_or_error(&v, t.get("tender.answer"), form, e, None)
        }
    }
}

/// A refused form of a tender's page again, with what was typed (422) and the way back.
pub(super) fn back_to_tender(
    v: &Viewer,
    tender_id: i64,
    form: Form,
    e: Error,
) -> Result<HttpResponse, Error> {
    super::catalog::form_or_error(
        v,
        &form.submit.clone(),
        form,
        e,
        Some(Link::new(
            format!("/tenders/{tender_id}"),
            v.t.get("tender.back_to_the_tender"),
        )),
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(object).service(answer);
}
