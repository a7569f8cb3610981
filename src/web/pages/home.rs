//! Each role's home page: its to-do list (`app::todo`), each line a count or a deadline and a
//! link to the records it counts.

use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::{local_time, yuan};
use crate::app::todo::{self, Figure, Item, Windows};
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

fn query(path: &str, params: &[(&str, String)]) -> String {
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// The line of an item: its words in the reader's language and where it leads.
pub fn line(t: &Tr, tz: chrono_tz::Tz, i: &Item) -> Line {
    let n = |c: &i64| ("n", c.to_string());
    let at = |x: &chrono::NaiveDateTime| local_time(tz, *x);
    let l = |kind, text, meta: String, href: String, class| Line {
        kind,
        text,
        meta,
        href,
        class,
    };
    match i {
        Item::TenderStep {
            tender_id,
            title,
            step,
        } => l(
            "tender_step",
            fill(
                t,
                "todo.tender_step",
                &[
                    ("title", title.clone()),
                    ("step", t.get(&format!("todo.step.{step}")).to_string()),
                ],
            ),
            String::new(),
            format!("/tenders/{tender_id}"),
            "",
        ),
        Item::Shortages { level, count } => l(
            "shortages",
            fill(
                t,
                "todo.shortages",
                &[
                    n(count),
                    (
                        "level",
                        t.get(&format!("shortage.level.{level}")).to_string(),
                    ),
                ],
            ),
            String::new(),
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
        Item::FailedMail { count } => l(
            "failed_mail",
            fill(t, "todo.failed_mail", &[n(count)]),
            String::new(),
            "/outbox".into(),
            "bad",
        ),
        Item::Objections {
            tender_id,
            title,
            count,
        } => l(
            "objections",
            fill(t, "todo.objections", &[n(count), ("title", title.clone())]),
            String::new(),
            format!("/tenders/{tender_id}"),
            "warn",
        ),
        Item::OverduePayables { count, amount } => l(
            "overdue_payables",
            fill(
                t,
                "todo.overdue_payables",
                &[n(count), ("amount", yuan(t, *amount))],
            ),
            String::new(),
            query("/payables", &[("status", "overdue".into())]),
            if *count > 0 { "bad" } else { "good" },
        ),
        Item::PayablesDue {
            count,
            amount,
            soonest,
        } => l(
            "payables_due",
            fill(
                t,
                "todo.payables_due",
                &[n(count), ("amount", yuan(t, *amount))],
            ),
            fill(t, "todo.first_due", &[("date", soonest.to_string())]),
            query("/payables", &[("status", "due".into())]),
            "",
        ),
        Item::ToAcknowledge { count, soonest } => l(
            "to_acknowledge",
            fill(t, "todo.to_acknowledge", &[n(count)]),
            fill(t, "todo.soonest", &[("at", at(soonest))]),
            query("/orders", &[("state", "submitted".into())]),
            "warn",
        ),
        Item::ToShip { count, soonest } => l(
            "to_ship",
            fill(t, "todo.to_ship", &[n(count)]),
            fill(t, "todo.soonest", &[("at", at(soonest))]),
            query("/orders", &[("state", "acknowledged".into())]),
            "warn",
        ),
        Item::OpenTender {
            tender_id,
            title,
            deadline,
        } => l(
            "open_tender",
            fill(t, "todo.open_tender", &[("title", title.clone())]),
            fill(t, "todo.bids_close", &[("at", at(deadline))]),
            format!("/tenders/{tender_id}"),
            "",
        ),
        Item::Licence {
            supplier_id,
            kind,
            number,
            expires_on,
            expired,
        } => l(
            "licence",
            fill(
                t,
                if *expired {
                    "todo.licence_expired"
                } else {
                    "todo.licence_expiring"
                },
                &[
                    ("kind", kind.label(t.lang).to_string()),
                    ("number", number.clone()),
                    ("date", expires_on.to_string()),
                ],
            ),
            String::new(),
            format!("/suppliers/{supplier_id}"),
            if *expired { "bad" } else { "warn" },
        ),
        Item::Declines { count, days } => l(
            "declines",
            fill(t, "todo.declines", &[n(count), ("days", days.to_string())]),
            String::new(),
            "/performance".into(),
            "warn",
        ),
        Item::LateLines { count, days } => l(
            "late_lines",
            fill(
                t,
                "todo.late_lines",
                &[n(count), ("days", days.to_string())],
            ),
            String::new(),
            "/performance".into(),
            "bad",
        ),
        Item::ToConfirm { count, oldest } => l(
            "to_confirm",
            fill(t, "todo.to_confirm", &[n(count)]),
            fill(t, "todo.oldest_shipped", &[("at", at(oldest))]),
            query("/orders", &[("state", "shipped".into())]),
            "warn",
        ),
        Item::BehindPace { count } => l(
            "behind_pace",
            fill(t, "todo.behind_pace", &[n(count)]),
            String::new(),
            "/commitments".into(),
            "warn",
        ),
        Item::ShortageReports { count, days } => l(
            "shortage_reports",
            fill(
                t,
                "todo.shortage_reports",
                &[n(count), ("days", days.to_string())],
            ),
            String::new(),
            "/shortage-reports".into(),
            "",
        ),
        Item::Rate {
            figure,
            rate,
            from,
            to,
        } => {
            let (kind, key, path) = match figure {
                Figure::TimelyRate => ("timely_rate", "todo.timely_rate", "/performance"),
                Figure::FillRate => ("fill_rate", "todo.fill_rate", "/performance/fill"),
            };
            let period = [("from", from.to_string()), ("to", to.to_string())];
            l(
                kind,
                fill(t, key, &[("rate", percent(*rate))]),
                fill(t, "todo.period", &period),
                query(path, &period),
                "",
            )
        }
        Item::OpenShortages { count } => l(
            "open_shortages",
            fill(t, "todo.open_shortages", &[n(count)]),
            String::new(),
            query("/shortages", &[("status", "open".into())]),
            if *count > 0 { "bad" } else { "good" },
        ),
        Item::LotsToScore {
            tender_id,
            title,
            lots,
        } => l(
            "lots_to_score",
            fill(
                t,
                "todo.lots_to_score",
                &[n(lots), ("title", title.clone())],
            ),
            String::new(),
            format!("/tenders/{tender_id}"),
            "warn",
        ),
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
