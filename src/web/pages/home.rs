//! Each role's home page: its to-do list (`app::todo`), each line a count or a deadline and a
//! link to the records it counts.

use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::{local_time, yuan};
use crate::app::todo::{self, Figure, Item, Windows};
use crate::domain::catalog::LicenceKind;
use crate::domain::performance::percent;
use crate::i18n::Tr;
use crate::web::auth::Viewer;
use crate::web::view::{self, Chrome, DetailPage, Link, Section};
use crate::web::{run, AppState, Error};

/// One line of the list as the page shows it.
pub struct Line {
    /// What kind of item (a class, for the style and for tests).
    pub kind: &'static str,
    pub text: String,
    pub meta: String,
    pub href: String,
    /// `bad`, `warn`, `good` or empty.
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    chrome: Chrome,
    heading: String,
    title: String,
    nothing: String,
    items: Vec<Line>,
}

/// A string with its `{name}` placeholders filled.
fn fill(t: &Tr, key: &str, args: &[(&str, String)]) -> String {
    let mut s = t.get(key).to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// `path` with the query string of `params`.
fn query(path: &str, params: &[(&str, String)]) -> String {
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// The line of an item: its words in the reader's language and where it leads.
pub fn line(t: &Tr, tz: chrono_tz::Tz, i: &Item) -> Line {
    let (href, class) = target(i);
    Line {
        kind: kind(i),
        text: sentence(t, i),
        meta: detail(t, tz, i),
        href,
        class,
    }
}

/// What kind of item it is: the word after `todo-` in the line's class, and its sentence's key
/// (`todo.KIND`).
fn kind(i: &Item) -> &'static str {
    match i {
        Item::TenderStep { .. } => "tender_step",
        Item::Shortages { .. } => "shortages",
        Item::FailedMail { .. } => "failed_mail",
        Item::Objections { .. } => "objections",
        Item::OverduePayables { .. } => "overdue_payables",
        Item::PayablesDue { .. } => "payables_due",
        Item::ToAcknowledge { .. } => "to_acknowledge",
        Item::ToShip { .. } => "to_ship",
        Item::OpenTender { .. } => "open_tender",
        Item::Licence { .. } => "licence",
        Item::Declines { .. } => "declines",
        Item::LateLines { .. } => "late_lines",
        Item::ToConfirm { .. } => "to_confirm",
        Item::BehindPace { .. } => "behind_pace",
        Item::ShortageReports { .. } => "shortage_reports",
        Item::Rate {
            figure: Figure::TimelyRate,
            ..
        } => "timely_rate",
        Item::Rate {
            figure: Figure::FillRate,
            ..
        } => "fill_rate",
        Item::OpenShortages { .. } => "open_shortages",
        Item::LotsToScore { .. } => "lots_to_score",
    }
}

/// What the line says: its kind's sentence with the item's figures, names and words filled.
fn sentence(t: &Tr, i: &Item) -> String {
    let n = |c: &i64| ("n", c.to_string());
    let days = |d: &i64| ("days", d.to_string());
    let title = |s: &String| ("title", s.clone());
    let amount = |a: &i64| ("amount", yuan(t, *a));
    let args = match i {
        Item::TenderStep { title: x, step, .. } => {
            vec![
                title(x),
                ("step", t.get(&format!("todo.step.{step}")).into()),
            ]
        }
        Item::Shortages { level, count } => {
            let level = t.get(&format!("shortage.level.{level}")).to_string();
            vec![n(count), ("level", level)]
        }
        Item::Objections {
            title: x, count, ..
        } => vec![n(count), title(x)],
        Item::LotsToScore { title: x, lots, .. } => vec![n(lots), title(x)],
        Item::OpenTender { title: x, .. } => vec![title(x)],
        Item::OverduePayables { count, amount: a }
        | Item::PayablesDue {
            count, amount: a, ..
        } => {
            vec![n(count), amount(a)]
        }
        Item::FailedMail { count }
        | Item::ToAcknowledge { count, .. }
        | Item::ToShip { count, .. }
        | Item::ToConfirm { count, .. }
        | Item::BehindPace { count }
        | Item::OpenShortages { count } => vec![n(count)],
        Item::Declines { count, days: d }
        | Item::LateLines { count, days: d }
        | Item::ShortageReports { count, days: d } => vec![n(count), days(d)],
        Item::Rate { rate, .. } => vec![("rate", percent(*rate))],
        Item::Licence {
            kind: licence,
            number,
            expires_on,
            expired,
            ..
        } => return licence_sentence(t, licence, number, expires_on, *expired),
    };
    fill(t, &format!("todo.{}", kind(i)), &args)
}

/// What a licence's line says: expired or expiring, which licence, and the day.
fn licence_sentence(
    t: &Tr,
    licence: &LicenceKind,
    number: &str,
    expires_on: &chrono::NaiveDate,
    expired: bool,
) -> String {
    let key = if expired {
        "todo.licence_expired"
    } else {
        "todo.licence_expiring"
    };
    fill(
        t,
        key,
        &[
            ("kind", licence.label(t.lang).to_string()),
            ("number", number.to_string()),
            ("date", expires_on.to_string()),
        ],
    )
}

/// What the line shows beside its sentence: the deadline, date or period it is about (none
/// for most items).
fn detail(t: &Tr, tz: chrono_tz::Tz, i: &Item) -> String {
    let at = |x: &chrono::NaiveDateTime| local_time(tz, *x);
    match i {
        Item::PayablesDue { soonest, .. } => {
            fill(t, "todo.first_due", &[("date", soonest.to_string())])
        }
        Item::ToAcknowledge { soonest, .. } | Item::ToShip { soonest, .. } => {
            fill(t, "todo.soonest", &[("at", at(soonest))])
        }
        Item::OpenTender { deadline, .. } => fill(t, "todo.bids_close", &[("at", at(deadline))]),
        Item::ToConfirm { oldest, .. } => fill(t, "todo.oldest_shipped", &[("at", at(oldest))]),
        Item::Rate { from, to, .. } => fill(t, "todo.period", &period(*from, *to)),
        _ => String::new(),
    }
}

/// A period as the query parameters (and placeholders) `from` and `to`.
fn period(from: chrono::NaiveDate, to: chrono::NaiveDate) -> [(&'static str, String); 2] {
    [("from", from.to_string()), ("to", to.to_string())]
}

/// Where the line leads (the records it counts) and how it is marked: `bad`, `warn`, `good`
/// or empty.
fn target(i: &Item) -> (String, &'static str) {
    let tender = |id: &i64| format!("/tenders/{id}");
    let orders = |state: &str| query("/orders", &[("state", state.into())]);
    let none_is_good = |count: &i64| if *count > 0 { "bad" } else { "good" };
    match i {
        Item::TenderStep { tender_id, .. } | Item::OpenTender { tender_id, .. } => {
            (tender(tender_id), "")
        }
        Item::Objections { tender_id, .. } | Item::LotsToScore { tender_id, .. } => {
            (tender(tender_id), "warn")
        }
        Item::Shortages { level, .. } => (
            query(
                "/shortages",
                &[("status", "open".into()), ("level", level.to_string())],
            ),
            if *level == crate::domain::shortage::Level::Watch {
                "warn"
            } else {
                "bad"
            },
        ),
        Item::OpenShortages { count } => (
            query("/shortages", &[("status", "open".into())]),
            none_is_good(count),
        ),
        Item::FailedMail { .. } => ("/outbox".into(), "bad"),
        Item::OverduePayables { count, .. } => (
            query("/payables", &[("status", "overdue".into())]),
            none_is_good(count),
        ),
        Item::PayablesDue { .. } => (query("/payables", &[("status", "due".into())]), ""),
        Item::ToAcknowledge { .. } => (orders("submitted"), "warn"),
        Item::ToShip { .. } => (orders("acknowledged"), "warn"),
        Item::ToConfirm { .. } => (orders("shipped"), "warn"),
        Item::Licence {
            supplier_id,
            expired,
            ..
        } => (
            format!("/suppliers/{supplier_id}"),
            if *expired { "bad" } else { "warn" },
        ),
        Item::Declines { .. } => ("/performance".into(), "warn"),
        Item::LateLines { .. } => ("/performance".into(), "bad"),
        Item::BehindPace { .. } => ("/commitments".into(), "warn"),
        Item::ShortageReports { .. } => ("/shortage-reports".into(), ""),
        Item::Rate {
            figure, from, to, ..
        } => {
            let path = match figure {
                Figure::TimelyRate => "/performance",
                Figure::FillRate => "/performance/fill",
            };
            (query(path, &period(*from, *to)), "")
        }
    }
}

/// The window of the licence warnings: the licence job's first warning, as configured.
fn licence_days(state: &AppState) -> i64 {
    crate::jobs::load(state.config.jobs_dir.as_deref(), state.config.time_zone)
        .ok()
        .and_then(|(specs, _)| {
            specs
                .into_iter()
                .find(|s| s.kind == crate::domain::jobs::JobKind::Licences)
                .map(|s| s.threshold("first_days"))
        })
        .unwrap_or(30)
}

#[get("/home")]
async fn home(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let w = Windows {
        licence_days: if v.p.role == crate::domain::roles::Role::Supplier {
            licence_days(&state)
        } else {
            30
        },
        figure_days: 90,
    };
    let p = v.p.clone();
    let items = run(&state, move |cx| todo::for_principal(cx, &p, w)).await?;
    let tz = state.config.time_zone;
    let title = if v.p.role == crate::domain::roles::Role::Regulator {
        t.get("todo.glance")
    } else {
        t.get("todo.title")
    };
    view::ok(&HomePage {
        chrome: v.chrome(t.get("nav.home")),
        heading: format!("{} · {}", t.get("home.welcome"), v.display_name),
        title: title.into(),
        nothing: t.get("todo.nothing").into(),
        items: items.iter().map(|i| line(&t, tz, i)).collect(),
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
