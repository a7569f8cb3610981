//! The audit log as people read it (center staff and regulators): each entry a sentence in the
//! reader's language ("王敏 开启了招标「…」的商务标"), from its action code's sentence
//! (`auditlog.action.CODE`), the actor's name and the record's; filtered by actor, action,
//! record and date, a page at a time, newest first. The raw before/after on the entry's page.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone};
use serde::Deserialize;

use crate::app;
use crate::domain::paging::{Page, PageRequest};
use crate::domain::{Code, Invalid};
use crate::i18n::Tr;
use crate::store::audit::{Entry, Names, Search};
use crate::web::auth::Viewer;
use crate::web::view::{self, Chrome, Field, Pager};
use crate::web::{run, AppState, Error};

/// Entries a page shows.
const PER_PAGE: i64 = 50;

/// The record kinds the log names (the filter's choices), in the order offered.
pub const ENTITIES: &[&str] = &[
    "tender",
    "bid",
    "objection",
    "contract",
    "order",
    "order_line",
    "delivery",
    "delivery_line",
    "payable",
    "shortage",
    "shortage_report",
    "shortage_response",
    "supply_interruption",
    "direct_listing",
    "direct_purchase",
    "drug",
    "product",
    "institution",
    "supplier",
    "region",
    "demand_window",
    "demand_report",
    "user",
    "api_token",
    "mail",
];

fn pick(t: &Tr, names: &Names, kind: &str, id: &str) -> Option<String> {
    names
        .get(&(kind.to_string(), id.to_string()))
        .map(|(zh, en)| if t.zh() { zh.clone() } else { en.clone() })
}

/// The record an entry is about, in words: its kind and its name (or number).
pub fn record(t: &Tr, names: &Names, e: &Entry) -> String {
    let key = format!("auditlog.entity.{}", e.entity);
    let kind = match t.get(&key) {
        k if k == key => e.entity.replace('_', " "),
        k => k.to_string(),
    };
    let name =
        pick(t, names, &e.entity, &e.entity_id).unwrap_or_else(|| format!("#{}", e.entity_id));
    t.get("auditlog.record")
        .replace("{kind}", &kind)
        .replace("{name}", &name)
}

/// The sentence of an entry in the reader's language.
pub fn sentence(t: &Tr, names: &Names, e: &Entry, sealed: bool) -> String {
    let actor = pick(t, names, "actor", &e.actor).unwrap_or_else(|| e.actor.clone());
    if sealed {
        return t.get("auditlog.sealed_bid").to_string();
    }
    let key = format!("auditlog.action.{}", e.action);
    let text = match t.get(&key) {
        k if k == key => t
            .get("auditlog.action_other")
            .replace("{action}", &e.action),
        k => k.to_string(),
    };
    text.replace("{actor}", &actor)
        .replace("{record}", &record(t, names, e))
}

/// An action code's words without actor and record (the filter's choice).
fn action_label(t: &Tr, code: &str) -> String {
    let key = format!("auditlog.action.{code}");
    match t.get(&key) {
        k if k == key => code.to_string(),
        k => {
            let s = k.replace("{actor}", "").replace("{record}", "…");
            format!("{} ({code})", s.trim())
        }
    }
}

fn local(tz: chrono_tz::Tz, at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or(at.to_string())
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
    /// The old list's parameter: a record kind.
    #[serde(default)]
    kind: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The search as asked, checked: dates are dates (a day in the province's zone), the period
/// does not end before it starts.
fn checked(q: &AuditQuery, tz: chrono_tz::Tz) -> Result<Search, Vec<Invalid>> {
    let mut errors = vec![];
    let mut day = |field: &str, s: &str| -> Option<NaiveDate> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        crate::domain::date(field, s)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let (from, to) = (day("from", &q.from), day("to", &q.to));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(Invalid::new("to", Code::PeriodEndsBeforeStart));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let stamp = |d: NaiveDate| {
        let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(local)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string()
    };
    Ok(Search {
        actor: some(&q.actor),
        action: some(&q.action),
        entity: some(&q.entity).or_else(|| some(&q.kind)),
        entity_id: some(&q.entity_id),
        from: from.map(stamp),
        to: to.map(|d| stamp(d + Duration::days(1))),
    })
}

pub struct Line {
    pub id: i64,
    pub sentence: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "pages/audit.html")]
struct AuditPage {
    chrome: Chrome,
    heading: String,
    chain: String,
    filters: Vec<Field>,
    entries: Vec<Line>,
    pager: Option<Pager>,
    empty: String,
}

fn filters(
    t: &Tr,
    q: &AuditQuery,
    actors: &[String],
    actions: &[String],
    names: &Names,
) -> Vec<Field> {
    let any = t.get("auditlog.any").to_string();
    let with_any = |v: Vec<(String, String)>| {
        let mut o = vec![(String::new(), any.clone())];
        o.extend(v);
        o
    };
    let actor_opts = with_any(
        actors
            .iter()
            .map(|a| {
                let n = pick(t, names, "actor", a)
                    .map(|n| format!("{n} ({a})"))
                    .unwrap_or(a.clone());
                (a.clone(), n)
            })
            .collect(),
    );
    let action_opts = with_any(
        actions
            .iter()
            .map(|a| (a.clone(), action_label(t, a)))
            .collect(),
    );
    let entity_opts = with_any(
        ENTITIES
            .iter()
            .map(|e| {
                (
                    e.to_string(),
                    t.get(&format!("auditlog.entity.{e}")).to_string(),
                )
            })
            .collect(),
    );
    let entity = if q.entity.trim().is_empty() {
        q.kind.clone()
    } else {
        q.entity.clone()
    };
    vec![
        Field::select("actor", t.get("auditlog.actor"), &q.actor, actor_opts),
        Field::select("action", t.get("auditlog.action"), &q.action, action_opts),
        Field::select("entity", t.get("auditlog.entity"), &entity, entity_opts),
        Field::text("entity_id", t.get("auditlog.entity_id"), &q.entity_id),
        Field::text("from", t.get("auditlog.from"), &q.from).kind("date"),
        Field::text("to", t.get("auditlog.to"), &q.to).kind("date"),
    ]
}

#[get("/audit")]
async fn audit_page(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, Error> {
    app::audit::may_read(&v.p)?;
    let t = v.t;
    let tz = state.config.time_zone;
    let q = q.into_inner();
    let asked = checked(&q, tz);
    let page = PageRequest::new(q.page.trim().parse().ok(), Some(PER_PAGE));
    let (p, search) = (v.p.clone(), asked.clone().ok());
    let log = run(&state, move |cx| read_log(cx, &p, search.as_ref(), &page)).await?;
    let mut fields = filters(&t, &q, &log.actors, &log.actions, &log.names);
    if let Err(es) = &asked {
        for e in es {
            if let Some(f) = fields.iter_mut().find(|f| f.name == e.field) {
                f.error = Some(t.msg(&e.msg));
                f.error_code = e.msg.code.as_str();
            }
        }
    }
    let params: Vec<(&str, String)> = vec![
        ("actor", q.actor.clone()),
        ("action", q.action.clone()),
        ("entity", q.entity.clone()),
        ("entity_id", q.entity_id.clone()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
    ];
    let pager = asked
        .is_ok()
        .then(|| Pager::of(&t, &log.found, "/audit", &params));
    let entries = log
        .found
        .items
        .iter()
        .map(|s| Line {
            id: s.entry.id,
            sentence: sentence(&t, &log.names, &s.entry, s.sealed),
            at: local(tz, &s.entry.at),
        })
        .collect();
    view::render(
        super::refused_status(asked.is_err()),
        &AuditPage {
            chrome: v.chrome(t.get("nav.audit")),
            heading: t.get("nav.audit").to_string(),
            chain: chain_words(&t, &log.check),
            filters: fields,
            entries,
            pager,
            empty: t.get("page.no_results").to_string(),
        },
    )
}

/// What the audit page reads: the page of entries asked, the names of their actors and
/// records, the filters' choices (every actor and action), the chain's check.
struct Log {
    found: Page<app::audit::Shown>,
    names: Names,
    actors: Vec<String>,
    actions: Vec<String>,
    check: crate::store::audit::Verification,
}

/// Reads the [`Log`]: the entries found by `search` (none when the search was refused).
fn read_log(
    cx: &app::Ctx,
    p: &crate::domain::roles::Principal,
    search: Option<&Search>,
    page: &PageRequest,
) -> Result<Log, Error> {
    let (found, mut names) = match search {
        Some(search) => app::audit::search(cx, p, search, page)?,
        None => (
            Page {
                items: vec![],
                page: 1,
                per_page: PER_PAGE,
                total: 0,
            },
            Names::new(),
        ),
    };
    let (actors, actions, actor_names) = app::audit::choices(cx, p)?;
    names.extend(actor_names);
    Ok(Log {
        found,
        names,
        actors,
        actions,
        check: app::audit::verify(cx, p)?,
    })
}

/// What the chain's check says: intact (over how many records), or where it broke and why.
fn chain_words(t: &Tr, check: &crate::store::audit::Verification) -> String {
    match &check.broken {
        None => t
            .get("audit.intact")
            .replace("{n}", &check.records.to_string()),
        Some(b) => t
            .get("audit.broken")
            .replace("{id}", &b.id.to_string())
            .replace("{reason}", &b.reason),
    }
}

#[derive(Template)]
#[template(path = "pages/audit_entry.html")]
struct EntryPage {
    chrome: Chrome,
    heading: String,
    sentence: String,
    props: Vec<(String, String)>,
    blocks: Vec<(String, String)>,
    back: String,
}

/// A stored JSON value laid out to read (as stored when it is not JSON).
fn pretty(s: &str) -> String {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| s.to_string())
}

#[get("/audit/{id}")]
async fn audit_entry(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let (id, p) = (id.into_inner(), v.p.clone());
    let (shown, names) = run(&state, move |cx| app::audit::entry(cx, &p, id)).await?;
    let e = &shown.entry;
    let actor = pick(&t, &names, "actor", &e.actor).unwrap_or_else(|| e.actor.clone());
    let label = |k: &str| t.get(k).to_string();
    let mut blocks = vec![];
    if shown.sealed {
        blocks.push((label("audit.after"), label("audit.sealed_until_deadline")));
    } else {
        if !e.before.is_empty() {
            blocks.push((label("auditlog.before"), pretty(&e.before)));
        }
        if !e.after.is_empty() {
            blocks.push((label("audit.after"), pretty(&e.after)));
        }
    }
    let heading = format!("{} #{}", t.get("auditlog.entry"), e.id);
    view::ok(&EntryPage {
        chrome: v.chrome(heading.clone()),
        heading,
        sentence: sentence(&t, &names, e, shown.sealed),
        props: vec![
            (label("audit.at"), local(tz, &e.at)),
            (
                label("audit.actor"),
                if actor == e.actor {
                    actor
                } else {
                    format!("{actor} ({})", e.actor)
                },
            ),
            (label("audit.action"), e.action.clone()),
            (label("audit.entity"), record(&t, &names, e)),
        ],
        blocks,
        back: t.get("nav.audit").to_string(),
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(audit_page).service(audit_entry);
}
