//! Key custody for people: the custodian's own page (`/custody`: the custodian key, the
//! tenders where the reader keeps a part of the key and what each waits for, the custody file to
//! download, the commands to run on one's own machine and the upload of what they made), and
//! center staff's appointment of a draft tender's custodians from the tender's page. Thin over
//! `app::custody`.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::tenders::state_label;
use crate::app::custody::{self as app, CustodyStep};
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::sealing::quorum::Dealing;
use crate::store::tenders as ts;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Link, Section, Table};
use crate::web::{run, AppState, Error};

/// Largest dealing file (a dealing of 15 custodians is about 6 KB).
pub const DEALING_LIMIT: usize = 256 * 1024;
/// Largest contributions file (as the API takes).
pub use crate::web::custody_api::CONTRIBUTIONS_LIMIT;

/// The name of a tender's custody file as it is downloaded (and as the commands name it).
pub fn file_name(tender_id: i64) -> String {
    format!("custody-tender-{tender_id}.json")
}

/// A long hex value shortened for a table: its first and last 8 digits.
pub fn short(hex: &str) -> String {
    if hex.len() <= 20 {
        hex.to_string()
    } else {
        format!("{}…{}", &hex[..8], &hex[hex.len() - 8..])
    }
}

/// The words of a custodian's step.
pub fn step_label(t: &Tr, s: CustodyStep) -> &'static str {
    t.get(match s {
        CustodyStep::Deal => "custody.step.deal",
        CustodyStep::Waiting => "custody.step.waiting",
        CustodyStep::Check => "custody.step.check",
        CustodyStep::Contribute => "custody.step.contribute",
        CustodyStep::Done => "custody.step.done",
    })
}

/// A form of the page that was refused: the key form (`tender` None, with what was typed) or
/// the upload of one tender; its errors.
struct Refused {
    tender: Option<i64>,
    typed: String,
    errors: Vec<Invalid>,
}

#[get("/custody")]
async fn custody_page(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    page(&v, &state, None).await
}

async fn page(
    v: &Viewer,
    state: &web::Data<AppState>,
    refused: Option<Refused>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let now = state.clock.now();
    let p = v.p.clone();
    let (key, duties) = run(state, move |cx| {
        Ok((app::my_key(cx, &p)?, app::my_duties(cx, &p)?))
    })
    .await?;
    let errors_for = |tender: Option<i64>| {
        refused
            .as_ref()
            .filter(|r| r.tender == tender)
            .map(|r| r.errors.as_slice())
    };
    let typed = refused
        .as_ref()
        .filter(|r| r.tender.is_none())
        .map(|r| r.typed.as_str())
        .unwrap_or_default();
    let [mine, make] = key_sections(&t, key.as_deref(), typed, errors_for(None));
    let mut sections = vec![mine, make];
    sections.push(tenders_section(&t, &duties, now));
    for (tender, _, step) in &duties {
        if !matches!(step, CustodyStep::Done | CustodyStep::Waiting) {
            sections.push(step_section(&t, tender, *step, errors_for(Some(tender.id))));
        }
    }
    let status = super::refused_status(refused.is_some());
    view::render(
        status,
        &DetailPage {
            chrome: v.chrome(t.get("custody.title")),
            heading: t.get("custody.title").into(),
            props: vec![],
            actions: vec![],
            sections,
        },
    )
}

/// The custodian's registered key, and how to make one (the secret stays home, the command,
/// then the form for what it prints).
fn key_sections(
    t: &Tr,
    key: Option<&str>,
    typed: &str,
    refused: Option<&[Invalid]>,
) -> [Section; 2] {
    let mut mine = Section::new(t.get("custody.your_key"));
    match key {
        Some(k) => {
            mine.text.push(t.get("custody.key_registered").into());
            mine.code.push(k.to_string());
        }
        None => mine.text.push(t.get("custody.no_key").into()),
    }
    let verb = t.get(if key.is_some() {
        "custody.replace_key"
    } else {
        "custody.register_key"
    });
    let mut make = Section::new(verb);
    make.text.push(t.get("custody.secret_stays").into());
    make.text.push(t.get("custody.how_to_make_a_key").into());
    make.code
        .push("jicai custodian keygen --key my.key".to_string());
    let form = Form::new(
        "/custody/key",
        verb,
        vec![Field::text("public_key", t.get("custody.public_key"), typed).required()],
    );
    make.push_form(t, form, refused);
    [mine, make]
}

/// The tenders the custodian keeps a part of the key of, with what each waits for.
fn tenders_section(
    t: &Tr,
    duties: &[(ts::Tender, ts::custody::Custodian, CustodyStep)],
    now: chrono::DateTime<chrono::Utc>,
) -> Section {
    let mut list = Section::new(t.get("custody.your_tenders"));
    if duties.is_empty() {
        list.text.push(t.get("custody.no_tenders").into());
        return list;
    }
    list.table = Some(Table {
        columns: vec![
            t.get("tender.tender").into(),
            t.get("tender.state").into(),
            t.get("custody.you_are").into(),
            t.get("custody.waits_for").into(),
            t.get("custody.file").into(),
        ],
        rows: duties
            .iter()
            .map(|(tender, c, step)| {
                vec![
                    Cell::link(&tender.title, format!("/tenders/{}", tender.id)),
                    Cell::text(state_label(t, ts::effective_state(tender, now))),
                    Cell::text(
                        t.get("custody.custodian_n_quorum")
                            .replace("{n}", &c.idx.to_string())
                            .replace("{k}", &tender.quorum.to_string()),
                    ),
                    Cell::text(step_label(t, *step)).with_class(if step.asks() {
                        "warn"
                    } else {
                        ""
                    }),
                    Cell::link(
                        file_name(tender.id),
                        format!("/custody/tenders/{}/file", tender.id),
                    ),
                ]
            })
            .collect(),
    });
    list
}

/// What one tender asks of the custodian now: the file, the command to run on its own machine,
/// and the form for what the command wrote.
fn step_section(
    t: &Tr,
    tender: &ts::Tender,
    step: CustodyStep,
    refused: Option<&[Invalid]>,
) -> Section {
    let id = tender.id;
    let file = file_name(id);
    let mut s = Section::new(format!("{} · {}", tender.title, step_label(t, step)));
    s.links.push(Link::new(
        format!("/custody/tenders/{id}/file"),
        format!("{} {file}", t.get("custody.download")),
    ));
    let (what, command, upload) = match step {
        CustodyStep::Deal => (
            "custody.do_deal",
            format!("jicai custodian deal --key my.key --custody {file} --out dealing.json"),
            Some(("dealing", "custody.upload_dealing", "custody.send_dealing")),
        ),
        CustodyStep::Check => (
            "custody.do_check",
            format!("jicai custodian check --key my.key --custody {file}"),
            None,
        ),
        _ => (
            "custody.do_contribute",
            format!("jicai custodian open --key my.key --custody {file} --out contributions.json"),
            Some((
                "contributions",
                "custody.upload_contributions",
                "custody.send_contributions",
            )),
        ),
    };
    s.text.push(t.get(what).into());
    s.code.push(command);
    if step == CustodyStep::Contribute && tender.envelope_key.is_empty() {
        s.text.push(t.get("custody.key_not_formed").into());
    }
    if let Some((field, label, submit)) = upload {
        let mut form = Form::new(
            format!("/custody/tenders/{id}/{field}"),
            t.get(submit),
            vec![Field::text(field, t.get(label), "").kind("file").required()],
        );
        form.multipart = true;
        s.push_form(t, form, refused);
    }
    s
}

#[derive(Deserialize)]
struct KeyForm {
    #[serde(default)]
    public_key: String,
}

#[post("/custody/key")]
async fn register_key(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<KeyForm>,
) -> Result<HttpResponse, Error> {
    let (p, key) = (v.p.clone(), f.public_key.clone());
    match run(&state, move |cx| app::register_key(cx, &p, &key)).await {
        Ok(()) => Ok(view::see_other("/custody")),
        Err(Error::Invalid(errors)) => {
            let typed: String = f.public_key.chars().take(200).collect();
            page(
                &v,
                &state,
                Some(Refused {
                    tender: None,
                    typed,
                    errors,
                }),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// A tender's custody file, as the API serves it, downloaded as `custody-tender-ID.json`.
#[get("/custody/tenders/{id}/file")]
async fn custody_file(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (p, id) = (v.p.clone(), id.into_inner());
    let f = run(&state, move |cx| app::custody_file(cx, &p, id)).await?;
    let body = serde_json::to_vec_pretty(&f).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file_name(id)),
        ))
        .body(body))
}

/// Reads the one file of an upload form, its bytes counted while they stream in: past `limit`
/// the rest is not read. Errors are the field's.
async fn read_file(mut mp: Multipart, field: &str, limit: usize) -> Result<Vec<u8>, Invalid> {
    let unreadable = |e: actix_multipart::MultipartError| {
        tracing::info!("custody upload unreadable: {e}");
        Invalid::new(field, Code::BidFormUnreadable)
    };
    let mut bytes = Vec::new();
    while let Some(item) = mp.next().await {
        let mut part = item.map_err(unreadable)?;
        let is_file = part
            .content_disposition()
            .is_some_and(|cd| cd.get_name() == Some(field) && cd.get_filename().is_some());
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if !is_file {
                // Any other part (the CSRF token rides in the query) is small or refused.
                if chunk.len() > 4096 {
                    return Err(Invalid::new(field, Code::BidFormUnreadable));
                }
                continue;
            }
            if bytes.len() + chunk.len() > limit {
                return Err(Invalid::new(
                    field,
                    Msg::new(Code::CustodyFileTooLarge).arg("max", limit / 1024),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    if bytes.is_empty() {
        return Err(Invalid::new(field, Code::Required));
    }
    Ok(bytes)
}

/// The refusals of an upload, each next to the upload's field.
fn next_to(field: &str, e: Error) -> Result<Vec<Invalid>, Error> {
    match e {
        Error::Invalid(es) => Ok(es),
        Error::Conflict(m) | Error::BadRequest(m) | Error::TooLarge(m) => {
            Ok(vec![Invalid::new(field, m)])
        }
        e => Err(e),
    }
}

async fn upload(
    v: Viewer,
    state: web::Data<AppState>,
    id: i64,
    field: &'static str,
    mp: Multipart,
) -> Result<HttpResponse, Error> {
    // Only custodians of the tender upload anything: checked before the body is read.
    let p = v.p.clone();
    run(&state, move |cx| app::may_upload(cx, &p, id)).await?;
    let limit = if field == "dealing" {
        DEALING_LIMIT
    } else {
        CONTRIBUTIONS_LIMIT
    };
    let bytes = match read_file(mp, field, limit).await {
        Ok(b) => b,
        Err(e) => return refused(&v, &state, id, vec![e]).await,
    };
    let unreadable = |e: serde_json::Error| {
        Error::BadRequest(Msg::new(Code::CustodyFileUnreadable).arg("detail", e))
    };
    let p = v.p.clone();
    let done = if field == "dealing" {
        match serde_json::from_slice::<Dealing>(&bytes) {
            Ok(d) => run(&state, move |cx| app::deal(cx, &p, id, &d).map(|_| ())).await,
            Err(e) => Err(unreadable(e)),
        }
    } else {
        match serde_json::from_slice::<BTreeMap<i64, String>>(&bytes) {
            Ok(items) => {
                run(&state, move |cx| {
                    app::contribute(cx, &p, id, &items).map(|_| ())
                })
                .await
            }
            Err(e) => Err(unreadable(e)),
        }
    };
    match done {
        Ok(()) => Ok(view::see_other("/custody")),
        Err(e) => {
            let es = next_to(field, e)?;
            refused(&v, &state, id, es).await
        }
    }
}

async fn refused(
    v: &Viewer,
    state: &web::Data<AppState>,
    id: i64,
    errors: Vec<Invalid>,
) -> Result<HttpResponse, Error> {
    page(
        v,
        state,
        Some(Refused {
            tender: Some(id),
            typed: String::new(),
            errors,
        }),
    )
    .await
}

#[post("/custody/tenders/{id}/dealing")]
async fn deal(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    mp: Multipart,
) -> Result<HttpResponse, Error> {
    upload(v, state, id.into_inner(), "dealing", mp).await
}

#[post("/custody/tenders/{id}/contributions")]
async fn contribute(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    mp: Multipart,
) -> Result<HttpResponse, Error> {
    upload(v, state, id.into_inner(), "contributions", mp).await
}

/// The appointment form of a draft tender's page: one checkbox per candidate (`c{user id}`),
/// the quorum k.
#[post("/tenders/{id}/custodians")]
async fn appoint(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let users: Vec<i64> = f
        .iter()
        .filter_map(|(k, _)| k.strip_prefix('c')?.parse().ok())
        .collect();
    let quorum_typed = f
        .iter()
        .find(|(k, _)| k == "quorum")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let p = v.p.clone();
    let result = match quorum_typed.parse::<i32>() {
        Ok(k) => {
            let users = users.clone();
            run(&state, move |cx| {
                app::appoint(cx, &p, id, &users, k).map(|_| ())
            })
            .await
        }
        Err(_) => Err(Error::Invalid(vec![Invalid::new(
            "quorum",
            Msg::new(Code::QuorumOutOfRange).arg("n", users.len()),
        )])),
    };
    match result {
        Ok(()) => Ok(view::see_other(&format!("/tenders/{id}"))),
        Err(e) => {
            let p = v.p.clone();
            let candidates = run(&state, move |cx| app::candidates(cx, &p)).await?;
            let form = appoint_form(&v.t, id, &candidates, &users, &quorum_typed);
            super::objections::back_to_tender(&v, id, form, e)
        }
    }
}

/// The form that appoints a draft tender's custodians: every center user with a key, those
/// `chosen` ticked, and the quorum.
pub fn appoint_form(
    t: &Tr,
    tender_id: i64,
    candidates: &[(i64, String, String)],
    chosen: &[i64],
    quorum: &str,
) -> Form {
    let mut fields: Vec<Field> = candidates
        .iter()
        .map(|(id, name, key)| {
            Field::checkbox(
                &format!("c{id}"),
                &format!("{name} · {}", short(key)),
                chosen.contains(id),
            )
        })
        .collect();
    fields.push(
        Field::text("quorum", t.get("custody.quorum_k"), quorum)
            .inputmode("numeric")
            .required(),
    );
    // Errors about the custodians as a whole go next to this line.
    fields.push(Field::text("custodians", t.get("custody.custodians_chosen"), "").kind("note"));
    Form::new(
        format!("/tenders/{tender_id}/custodians"),
        t.get("custody.appoint"),
        fields,
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(custody_page)
        .service(register_key)
        .service(custody_file)
        .service(deal)
        .service(contribute);
}

/// Before `/tenders/{id}` routes of the tender pages.
pub fn tender_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(appoint);
}
