//! The delivery note (随货同行单) of one shipment: its own printable page (A4, no menu) that the
//! institution checks against the boxes, with the receipt by quantity of each line (accepted,
//! rejected with a reason) and "accept all" for the whole note.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{local_time, yuan};
use crate::app::orders::{self, NoteView};
use crate::domain::bounds;
use crate::domain::orders::{Receipt, RejectReason};
use crate::domain::{Code, Invalid};
use crate::i18n::Tr;
use crate::web::auth::Viewer;
use crate::web::view::{self, Chrome};
use crate::web::{run, AppState, Error};

/// One line of the note as the page shows it.
pub struct NoteLine {
    pub id: i64,
    pub no: usize,
    pub drug: String,
    pub form: String,
    pub strength: String,
    pub unit: String,
    pub quantity: String,
    pub batch: String,
    pub production: String,
    pub expiry: String,
    pub trace_codes: Vec<String>,
    /// What the receipt said ("验收 180，拒收 20（破损）"), once confirmed.
    pub receipt: Option<String>,
    /// The payable of the accepted units, in yuan, once confirmed.
    pub payable: Option<String>,
    /// The receipt form, while the line waits for it and the reader may confirm.
    pub form_fields: Option<ReceiptFields>,
}

/// The receipt form of one line: the values shown (typed ones kept after an error) and the
/// error of each field.
pub struct ReceiptFields {
    pub accepted: String,
    pub rejected: String,
    pub reason: String,
    pub accepted_error: Option<(String, &'static str)>,
    pub rejected_error: Option<(String, &'static str)>,
    pub reason_error: Option<(String, &'static str)>,
    /// Errors of no field of the form.
    pub general: Vec<String>,
}

#[derive(Template)]
#[template(path = "pages/delivery_note.html")]
pub struct NotePage {
    pub chrome: Chrome,
    pub heading: String,
    pub order_href: String,
    pub order_label: String,
    pub print_href: String,
    /// The print view: no menu, no forms.
    pub bare: bool,
    pub props: Vec<(String, String)>,
    pub lines: Vec<NoteLine>,
    pub reasons: Vec<(String, String)>,
    /// Where "accept all" posts, when lines wait and the reader may confirm.
    pub accept_all: Option<String>,
    pub base: String,
}

impl NotePage {
    fn tr(&self) -> &Tr {
        &self.chrome.t
    }
    pub fn w(&self, key: &str) -> String {
        self.tr().get(key).to_string()
    }
}

/// What was typed into one line's form, kept to show it again with its errors.
struct Typed {
    line: i64,
    accepted: String,
    rejected: String,
    reason: String,
    errors: Vec<Invalid>,
}

/// A receipt's words in the reader's language: "accepted 180, rejected 20 (damaged)".
pub fn receipt_words(t: &Tr, accepted: i64, rejected: i64, reason: Option<RejectReason>) -> String {
    let mut s = format!("{} {accepted}", t.get("rcpt.accepted"));
    if rejected > 0 {
        s.push_str(&format!(
            "{}{} {rejected}",
            t.get("rcpt.sep"),
            t.get("rcpt.rejected")
        ));
        if let Some(r) = reason {
            s.push_str(&format!(" ({})", t.get(&format!("rcpt.reason.{r}"))));
        }
    }
    s
}

/// The note's page: its head, its lines with their receipts (and the receipt forms while
/// lines wait and the reader may confirm, none in the print view), `notice` from the last
/// receipt, `typed`: a line's refused form as typed.
fn note_page(
    v: &Viewer,
    tz: chrono_tz::Tz,
    n: NoteView,
    typed: Option<Typed>,
    notice: Option<String>,
    bare: bool,
) -> NotePage {
    let t = v.t;
    let (oid, nid) = (n.order.id, n.note.id);
    let base = format!("/orders/{oid}/deliveries/{nid}");
    let waiting = n.lines.iter().filter(|l| l.receipt.is_none()).count();
    let mut chrome = v.chrome(format!("{} {}", t.get("rcpt.note"), note_number(nid)));
    chrome.notice = notice;
    NotePage {
        chrome,
        heading: t.get("rcpt.note").to_string(),
        order_href: format!("/orders/{oid}"),
        order_label: format!("{} {}", t.get("rcpt.back_to_order"), order_number(oid)),
        print_href: format!("{base}?print=1"),
        bare,
        props: note_props(&t, tz, &n),
        lines: note_lines(&t, &n, typed.as_ref(), bare),
        reasons: RejectReason::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_string(),
                    t.get(&format!("rcpt.reason.{r}")).to_string(),
                )
            })
            .collect(),
        accept_all: (n.may_confirm && waiting > 0 && !bare).then(|| format!("{base}/accept-all")),
        base,
    }
}

/// The head of the note: supplier, institution, the shipper (when another), order and note
/// numbers, when it shipped.
fn note_props(t: &Tr, tz: chrono_tz::Tz, n: &NoteView) -> Vec<(String, String)> {
    let mut props = vec![
        (t.get("rcpt.supplier").to_string(), n.names.supplier.clone()),
        (
            t.get("rcpt.institution").to_string(),
            n.names.institution.clone(),
        ),
    ];
    if n.shipper != n.names.supplier {
        props.push((t.get("rcpt.shipper").to_string(), n.shipper.clone()));
    }
    props.push((t.get("rcpt.order").to_string(), order_number(n.order.id)));
    props.push((t.get("rcpt.note_no").to_string(), note_number(n.note.id)));
    props.push((
        t.get("rcpt.shipped_at").to_string(),
        local_time(tz, n.note.shipped_at),
    ));
    props
}

/// The note's lines: the drug in the reader's language, quantity, batch, dates, trace codes,
/// the receipt and payable once confirmed, else its form (`receipt_fields`) unless `bare`.
fn note_lines(t: &Tr, n: &NoteView, typed: Option<&Typed>, bare: bool) -> Vec<NoteLine> {
    let drug_of = |order_line: i64| {
        n.names
            .drugs
            .iter()
            .find(|(l, _)| *l == order_line)
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    };
    n.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let d = drug_of(l.order_line_id);
            let form_fields = (n.may_confirm && l.receipt.is_none() && !bare)
                .then(|| receipt_fields(t, l, typed.filter(|x| x.line == l.id)));
            NoteLine {
                id: l.id,
                no: i + 1,
                drug: if t.zh() || d.inn.trim().is_empty() {
                    d.name_zh.clone()
                } else {
                    d.inn.clone()
                },
                form: d.form.clone(),
                strength: d.strength.clone(),
                unit: d.unit.clone(),
                quantity: l.quantity.to_string(),
                batch: l.batch_no.clone(),
                production: l.production_date.to_string(),
                expiry: l.expiry_date.to_string(),
                trace_codes: l
                    .trace_codes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                receipt: l
                    .receipt
                    .map(|_| receipt_words(t, l.accepted, l.rejected, l.receipt_reason)),
                payable: n.payables.get(&l.id).map(|p| yuan(t, p.amount)),
                form_fields,
            }
        })
        .collect()
}

/// The receipt form of one line: what was typed (`mine`, when its form was refused, with its
/// errors by field) or the shipped quantity accepted, none rejected.
fn receipt_fields(
    t: &Tr,
    l: &crate::store::orders::DeliveryLine,
    mine: Option<&Typed>,
) -> ReceiptFields {
    let err = |field: &str| {
        mine.and_then(|x| x.errors.iter().find(|e| e.field == field))
            .map(|e| (t.msg(&e.msg), e.msg.code.as_str()))
    };
    ReceiptFields {
        accepted: mine
            .map(|x| x.accepted.clone())
            .unwrap_or_else(|| l.quantity.to_string()),
        rejected: mine
            .map(|x| x.rejected.clone())
            .unwrap_or_else(|| "0".into()),
        reason: mine.map(|x| x.reason.clone()).unwrap_or_default(),
        accepted_error: err("accepted"),
        rejected_error: err("rejected"),
        reason_error: err("reason"),
        general: mine
            .map(|x| {
                x.errors
                    .iter()
                    .filter(|e| !["accepted", "rejected", "reason"].contains(&e.field.as_str()))
                    .map(|e| t.invalid(e))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// An order's number as pages show it: "DD000007".
pub fn order_number(id: i64) -> String {
    format!("DD{id:06}")
}

/// A delivery note's number: "SH000012".
pub fn note_number(id: i64) -> String {
    format!("SH{id:06}")
}

#[derive(Deserialize)]
struct NoteQuery {
    print: Option<String>,
    done: Option<String>,
    n: Option<usize>,
}

/// The notice a redirect asks for (only these known words; nothing typed is echoed).
fn notice_of(t: &Tr, q: &NoteQuery) -> Option<String> {
    match q.done.as_deref() {
        Some("line") => Some(t.get("rcpt.done_line").to_string()),
        Some("all") => Some(
            t.get("rcpt.done_all")
                .replace("{n}", &q.n.unwrap_or(0).to_string()),
        ),
        _ => None,
    }
}

#[get("/orders/{id}/deliveries/{note}")]
async fn note(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    q: web::Query<NoteQuery>,
) -> Result<HttpResponse, Error> {
    let (oid, nid) = path.into_inner();
    let p = v.p.clone();
    let n = run(&state, move |cx| orders::delivery_note(cx, &p, oid, nid)).await?;
    let notice = notice_of(&v.t, &q);
    let bare = q.print.is_some();
    view::ok(&note_page(
        &v,
        state.config.time_zone,
        n,
        None,
        notice,
        bare,
    ))
}

#[derive(Deserialize)]
struct ReceiptForm {
    #[serde(default)]
    accepted: String,
    #[serde(default)]
    rejected: String,
    #[serde(default)]
    reason: String,
}

/// The typed receipt of a line, as numbers and a reason, or what is wrong with it (before the
/// domain's check of the sums, which needs the shipped quantity).
fn parse_receipt(f: &ReceiptForm) -> Result<Receipt, Vec<Invalid>> {
    let range = 0..=bounds::Quantity::MAX;
    let accepted = bounds::whole("accepted", &f.accepted, range.clone());
    let rejected = if f.rejected.trim().is_empty() {
        Ok(0)
    } else {
        bounds::whole("rejected", &f.rejected, range)
    };
    let reason = if f.reason.trim().is_empty() {
        Ok(None)
    } else {
        RejectReason::parse("reason", &f.reason).map(Some)
    };
    match (accepted, rejected, reason) {
        (Ok(accepted), Ok(rejected), Ok(reason)) => Ok(Receipt::Counted {
            accepted,
            rejected,
            reason,
        }),
        (a, r, w) => Err([a.err(), r.err(), w.err()].into_iter().flatten().collect()),
    }
}

#[post("/orders/{id}/deliveries/{note}/lines/{line}/confirm")]
async fn confirm_line(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, i64)>,
    f: web::Form<ReceiptForm>,
) -> Result<HttpResponse, Error> {
    let (oid, nid, line) = path.into_inner();
    let f = f.into_inner();
    let p = v.p.clone();
    // The line must be one of this note's: anything else is not found, before any input is read.
    let n = run(&state, move |cx| orders::delivery_note(cx, &p, oid, nid)).await?;
    if !n.lines.iter().any(|l| l.id == line) {
        return Err(Error::NotFound(Code::DeliveryLineNotFound.into()));
    }
    let errors = match parse_receipt(&f) {
        Ok(receipt) => {
            let p = v.p.clone();
            match run(&state, move |cx| orders::confirm(cx, &p, line, receipt)).await {
                Ok(_) => {
                    return Ok(view::see_other(&format!(
                        "/orders/{oid}/deliveries/{nid}?done=line#line-{line}"
                    )))
                }
                Err(Error::Invalid(es)) => es,
                Err(e) => return Err(e),
            }
        }
        Err(es) => es,
    };
    let typed = Typed {
        line,
        accepted: f.accepted,
        rejected: f.rejected,
        reason: f.reason,
        errors,
    };
    view::render(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        &note_page(&v, state.config.time_zone, n, Some(typed), None, false),
    )
}

#[post("/orders/{id}/deliveries/{note}/accept-all")]
async fn accept_all(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (oid, nid) = path.into_inner();
    let p = v.p.clone();
    let n = run(&state, move |cx| orders::accept_note(cx, &p, oid, nid)).await?;
    Ok(view::see_other(&format!(
        "/orders/{oid}/deliveries/{nid}?done=all&n={n}"
    )))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(note).service(confirm_line).service(accept_all);
}
