//! The payables: what institutions owe their suppliers for accepted deliveries, listed (all,
//! due or overdue, a page at a time), and marked paid by the institution.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::orders::{page_asked, paged_list};
use super::{cols, yuan};
use crate::app::orders;
use crate::domain::roles::Role;
use crate::domain::{Code, Invalid};
use crate::i18n::Tr;
use crate::store::orders as os;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, Form, Link, Table};
use crate::web::{run, AppState, Error};

/// The payables narrowed to those `due` (not paid, not yet overdue) or `overdue` (not paid,
/// past their day), as the home page's to-do lines link to them; a page at a time.
#[derive(Deserialize)]
struct PayableQuery {
    status: Option<String>,
    #[serde(default)]
    page: String,
}

#[get("/payables")]
async fn payable_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<PayableQuery>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let day = state.today();
    let p = v.p.clone();
    let (status, unpaid) = unpaid_asked(q.status.as_deref())?;
    let unpaid = unpaid.map(|u| (u, day));
    let page = page_asked(&q.page);
    let found = run(&state, move |cx| {
        orders::named_payables(cx, &p, unpaid, &page)
    })
    .await?;
    let pager = view::Pager::of(&t, &found, "/payables", &[("status", status.to_string())]);
    let table = payable_table(&t, day, &found.items);
    // An institution's user gets each unpaid payable's "mark paid" link in the actions row.
    let actions = if v.p.role == Role::Institution {
        pay_links(&t, &found.items)
    } else {
        vec![]
    };
    paged_list(&v, "nav.payables", table, pager, actions)
}

/// The payables asked for (`?status=`): all, or the unpaid ones `due` or `overdue`, with the
/// word kept for the pager; another word is refused.
fn unpaid_asked(status: Option<&str>) -> Result<(&'static str, Option<os::Unpaid>), Error> {
    match status.map(str::trim) {
        None | Some("") => Ok(("", None)),
        Some("due") => Ok(("due", Some(os::Unpaid::Due))),
        Some("overdue") => Ok(("overdue", Some(os::Unpaid::Overdue))),
        Some(other) => {
            let m = crate::domain::Msg::new(Code::NotOneOf)
                .arg("value", other)
                .arg("words", "due, overdue");
            Err(Error::Invalid(vec![Invalid::new("status", m)]))
        }
    }
}

/// The payables: order (a link to its delivery note), drug, parties, accepted units, amount,
/// due day and status (paid, overdue on `day`, due).
fn payable_table(t: &Tr, day: chrono::NaiveDate, ps: &[orders::NamedPayable]) -> Table {
    Table {
        columns: cols(
            t,
            &[
                "ordui.order",
                "order.drug",
                "ordui.institution",
                "order.supplier",
                "order.accepted",
                "order.amount",
                "order.due_on",
                "order.status",
            ],
        ),
        rows: ps
            .iter()
            .map(|n| {
                let p = &n.payable;
                let status = if p.paid_at.is_some() {
                    Cell::text(t.get("order.paid")).with_class("good")
                } else if p.due_on < day {
                    Cell::text(t.get("order.overdue")).with_class("bad")
                } else {
                    Cell::text(t.get("order.due"))
                };
                vec![
                    Cell::link(
                        super::delivery_notes::order_number(n.order_id),
                        format!("/orders/{}/deliveries/{}", n.order_id, n.note_id),
                    ),
                    Cell::text(n.drug.label(t.zh())),
                    Cell::text(n.institution.clone()),
                    Cell::text(n.supplier.clone()),
                    Cell::num(n.accepted.to_string()),
                    Cell::num(yuan(t, p.amount)),
                    Cell::text(p.due_on.to_string()),
                    status,
                ]
            })
            .collect(),
    }
}

/// The "mark paid" link of each unpaid payable: amount and due day.
fn pay_links(t: &Tr, ps: &[orders::NamedPayable]) -> Vec<Link> {
    ps.iter()
        .map(|n| &n.payable)
        .filter(|p| p.paid_at.is_none())
        .map(|p| {
            Link::new(
                format!("/payables/{}/pay", p.id),
                format!(
                    "{} · {} · {}",
                    t.get("order.mark_paid"),
                    yuan(t, p.amount),
                    p.due_on
                ),
            )
        })
        .collect()
}

#[get("/payables/{id}/pay")]
async fn pay_page(v: Viewer, id: web::Path<i64>) -> Result<HttpResponse, Error> {
    if v.p.role != Role::Institution {
        return Err(Error::forbidden());
    }
    let t = v.t;
    let id = id.into_inner();
    let form = Form::new(
        format!("/payables/{id}/paid"),
        t.get("order.mark_paid"),
        vec![],
    );
    super::catalog::form_page(
        &v,
        t.get("order.mark_paid"),
        form,
        Some(Link::new("/payables", t.get("nav.payables"))),
    )
}

#[post("/payables/{id}/paid")]
async fn paid(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (id, p) = (id.into_inner(), v.p.clone());
    run(&state, move |cx| orders::mark_paid(cx, &p, id)).await?;
    Ok(view::see_other("/payables"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(payable_list).service(pay_page).service(paid);
}
