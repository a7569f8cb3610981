//! Order pages: institutions place, follow, cancel orders and confirm receipt line by line;
//! suppliers acknowledge, decline lines and ship with delivery notes; payables.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::{cols, local_time, yuan};
use crate::app::orders;
use crate::app::parties::acting_supplier;
use crate::domain::bounds::Quantity;
use crate::domain::orders::{DeclineReason, OrderState};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::{Code, Invalid};
use crate::i18n::Tr;
use crate::store::orders::{self as os, Receipt, ShipLine};
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Link, ListPage, Section, Table};
use crate::web::{run, AppState, Error};

/// The order list narrowed to one state (`?state=submitted`: the home page's to-do lines link
/// to exactly the orders they count); a word no order state has is refused. A page at a time
/// (`?page=2`).
#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    #[serde(default)]
    page: String,
}

/// The page asked for (`?page=`): the first when it is not a number.
pub(super) fn page_asked(page: &str) -> PageRequest {
    PageRequest::new(page.trim().parse().ok(), None)
}

#[get("/orders")]
async fn order_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let only = match q.state.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(OrderState::parse("state", s).map_err(|e| Error::Invalid(vec![e]))?),
    };
    let tz = state.config.time_zone;
    let now = crate::store::micros(state.clock.now());
    let p = v.p.clone();
    let page = page_asked(&q.page);
    let (found, names) = run(&state, move |cx| orders::order_page(cx, &p, only, &page)).await?;
    let pager = view::Pager::of(
        &t,
        &found,
        "/orders",
        &[(
            "state",
            only.map(|s| s.as_str().to_string()).unwrap_or_default(),
        )],
    );
    let table = order_table(&t, tz, now, &found.items, &names);
    let actions = if v.p.role == Role::Institution {
        vec![Link::new("/orders/new", t.get("order.new"))]
    } else {
        vec![]
    };
    paged_list(&v, "nav.orders", table, pager, actions)
}

/// The orders of the page: one row each (`order_row`).
fn order_table(
    t: &Tr,
    tz: chrono_tz::Tz,
    now: chrono::NaiveDateTime,
    found: &[os::Order],
    names: &std::collections::HashMap<i64, os::OrderNames>,
) -> Table {
    Table {
        columns: cols(
            t,
            &[
                "ordui.order",
                "order.drugs",
                "ordui.supplier",
                "ordui.institution",
                "ordui.amount",
                "order.state",
                "order.submitted",
                "order.deliver_by",
            ],
        ),
        rows: found
            .iter()
            .map(|o| {
                order_row(
                    t,
                    tz,
                    now,
                    o,
                    &names.get(&o.id).cloned().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// An order's row of the list: its title (a link), drugs, parties, amount, state (urgent
/// said), when submitted and the delivery deadline (marked when an open order is past it).
fn order_row(
    t: &Tr,
    tz: chrono_tz::Tz,
    now: chrono::NaiveDateTime,
    o: &os::Order,
    n: &os::OrderNames,
) -> Vec<Cell> {
    let open = matches!(
        o.state,
        OrderState::Submitted
            | OrderState::Acknowledged
            | OrderState::Shipped
            | OrderState::PartiallyReceived
    );
    let due = Cell::text(local_time(tz, o.deliver_by));
    let mut state_text = t.get(&format!("order.state.{}", o.state)).to_string();
    if o.urgent {
        state_text = format!("{state_text} · {}", t.get("ordui.urgent"));
    }
    vec![
        Cell::link(order_title(t, o.id, n), format!("/orders/{}", o.id)),
        Cell::text(drug_list(n, t.zh())),
        Cell::text(n.supplier.clone()),
        Cell::text(n.institution.clone()),
        Cell::num(yuan(t, n.amount)),
        Cell::text(state_text),
        Cell::text(local_time(tz, o.submitted_at)),
        if open && o.deliver_by < now {
            due.with_class("bad")
        } else {
            due
        },
    ]
}

/// A list a page at a time (orders, payables), headed by the string `heading`, with its
/// actions.
pub(super) fn paged_list(
    v: &Viewer,
    heading: &str,
    table: Table,
    pager: view::Pager,
    actions: Vec<Link>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    view::ok(&ListPage {
        chrome: v.chrome(t.get(heading)),
        heading: t.get(heading).into(),
        search: None,
        actions,
        table,
        pager: Some(pager),
        empty: t.get("page.no_results").into(),
    })
}

/// What an order is called on pages: its number and first drug ("DD000007 · 阿莫西林胶囊 等 2 种").
fn order_title(t: &Tr, id: i64, n: &os::OrderNames) -> String {
    let number = super::delivery_notes::order_number(id);
    match n.drugs.as_slice() {
        [] => number,
        [(_, d)] => format!("{number} · {}", d.label(t.zh())),
        [(_, d), rest @ ..] => format!(
            "{number} · {} {}",
            d.label(t.zh()),
            t.get("ordui.and_more")
                .replace("{n}", &rest.len().to_string())
        ),
    }
}

/// The drugs of an order ("D0013 阿莫西林 胶囊剂 0.25g"), each once, in line order.
fn drug_list(n: &os::OrderNames, zh: bool) -> String {
    let mut seen: Vec<String> = vec![];
    for (_, d) in &n.drugs {
        let l = format!("{} {}", d.code, d.label(zh));
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    seen.join("；")
}

#[get("/orders/{id}")]
async fn order_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let id = id.into_inner();
    let p = v.p.clone();
    let orders::OrderView {
        order: o,
        lines,
        deliveries: dls,
        may_supply,
        names,
        notes,
        ..
    } = run(&state, move |cx| orders::order(cx, &p, id)).await?;
    // An institution's user sees only its own orders (and its clinics'): this one is.
    let mine = v.p.role == Role::Institution;
    let state_word = o.state;
    let mut sections = vec![lines_section(
        &t, id, &lines, &names, may_supply, state_word,
    )];
    sections.push(deliveries_section(
        &t, tz, id, &notes, &dls, &lines, &names, mine,
    ));
    let mut actions = vec![Link::new("/orders", t.get("nav.orders"))];
    if mine
        && matches!(state_word, OrderState::Submitted | OrderState::Acknowledged)
        && lines.iter().all(|l| l.shipped == 0)
    {
        let mut cancel_section = Section::new(t.get("order.cancel"));
        let mut f = Form::button(format!("/orders/{id}/cancel"), t.get("order.cancel"));
        f.danger = true;
        cancel_section.forms.push(f);
        sections.push(cancel_section);
    }
    if mine {
        actions.push(Link::new("/payables", t.get("nav.payables")));
    }
    let title = order_title(&t, id, &names);
    view::ok(&DetailPage {
        chrome: v.chrome(title.clone()),
        heading: title,
        props: vec![
            (
                t.get("order.state").into(),
                t.get(&format!("order.state.{}", o.state)).into(),
            ),
            (t.get("ordui.supplier").into(), names.supplier.clone()),
            (t.get("ordui.institution").into(), names.institution.clone()),
            (t.get("ordui.amount").into(), yuan(&t, names.amount)),
            (t.get("order.urgent").into(), super::yes_no(&t, o.urgent)),
            (
                t.get("order.submitted").into(),
                local_time(tz, o.submitted_at),
            ),
            (
                t.get("order.acknowledge_by").into(),
                local_time(tz, o.acknowledge_by),
            ),
            (
                t.get("order.deliver_by").into(),
                local_time(tz, o.deliver_by),
            ),
        ],
        actions,
        sections,
    })
}

/// The drug of an order line, as the reader's language names it.
fn line_drug(names: &os::OrderNames, line: i64, zh: bool) -> String {
    names
        .drugs
        .iter()
        .find(|(l, _)| *l == line)
        .map(|(_, d)| d.label(zh))
        .unwrap_or_default()
}

/// The lines, with the supplier's forms (acknowledge, ship, decline) when it may supply.
fn lines_section(
    t: &Tr,
    id: i64,
    lines: &[os::OrderLine],
    names: &os::OrderNames,
    may_supply: bool,
    state_word: OrderState,
) -> Section {
    let zh = t.zh();
    let mut s = Section::new(t.get("order.lines"));
    s.table = Some(Table {
        columns: cols(
            t,
            &[
                "order.drug",
                "order.quantity",
                "order.unit_price",
                "ordui.amount",
                "order.shipped",
                "order.accepted",
                "ordui.rejected",
                "order.declined",
            ],
        ),
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    Cell::link(
                        line_drug(names, l.id, zh),
                        format!("/contracts/{}", l.contract_id),
                    ),
                    Cell::num(l.quantity.to_string()),
                    Cell::num(yuan(t, l.unit_price)),
                    Cell::num(yuan(t, l.unit_price.saturating_mul(l.quantity))),
                    Cell::num(l.shipped.to_string()),
                    Cell::num(l.accepted.to_string()),
                    Cell::num((l.confirmed - l.accepted).to_string()),
                    Cell::text(
                        l.declined_reason
                            .map(|r| t.get(&format!("order.decline.{r}")).to_string())
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect(),
    });
    if may_supply {
        supplier_forms(t, id, lines, names, state_word, &mut s);
    }
    s
}

/// The supplier's forms: acknowledge a submitted order; ship or decline each open line.
fn supplier_forms(
    t: &Tr,
    id: i64,
    lines: &[os::OrderLine],
    names: &os::OrderNames,
    state_word: OrderState,
    s: &mut Section,
) {
    if state_word == OrderState::Submitted {
        s.forms.push(Form::button(
            format!("/orders/{id}/acknowledge"),
            t.get("order.acknowledge"),
        ));
    }
    let reasons = decline_reasons(t);
    for l in lines
        .iter()
        .filter(|l| l.declined_reason.is_none() && l.shipped < l.quantity)
    {
        let drug = line_drug(names, l.id, t.zh());
        if matches!(
            state_word,
            OrderState::Acknowledged | OrderState::Shipped | OrderState::PartiallyReceived
        ) {
            s.forms.push(ship_form(t, id, l, &drug));
        }
        if l.shipped == 0
            && !matches!(
                state_word,
                OrderState::Cancelled | OrderState::Closed | OrderState::Received
            )
        {
            s.forms.push(decline_form(t, l, &drug, reasons.clone()));
        }
    }
}

/// The reasons a supplier may give for declining a line, in the reader's language.
fn decline_reasons(t: &Tr) -> Vec<(String, String)> {
    DeclineReason::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                t.get(&format!("order.decline.{}", r.as_str())).to_string(),
            )
        })
        .collect()
}

/// The form that ships what is left of line `l` of order `id`: quantity, batch, dates, trace
/// codes.
fn ship_form(t: &Tr, id: i64, l: &os::OrderLine, drug: &str) -> Form {
    Form::new(
        format!("/orders/{id}/ship"),
        format!("{} · {drug}", t.get("order.ship")),
        vec![
            Field {
                kind: "hidden",
                ..Field::text("order_line_id", "", &l.id.to_string())
            },
            Field::text(
                "quantity",
                t.get("order.quantity"),
                &(l.quantity - l.shipped).to_string(),
            )
            .required(),
            Field::text("batch_no", t.get("order.batch"), "").required(),
            Field::text("production_date", t.get("order.production_date"), "")
                .kind("date")
                .required(),
            Field::text("expiry_date", t.get("order.expiry_date"), "")
                .kind("date")
                .required(),
            Field::text("trace_codes", t.get("order.trace_codes"), ""),
        ],
    )
}

/// The form that declines line `l` with a reason and a note (irreversible: it asks first).
fn decline_form(t: &Tr, l: &os::OrderLine, drug: &str, reasons: Vec<(String, String)>) -> Form {
    let mut f = Form::new(
        format!("/order-lines/{}/decline", l.id),
        format!("{} · {drug}", t.get("order.decline")),
        vec![
            Field::select("reason", t.get("order.reason"), "out_of_stock", reasons),
            Field::text("note", t.get("order.note"), ""),
        ],
    );
    f.danger = true;
    f
}

/// The delivery notes (each a link to its printable page, where the institution receives
/// it) and the delivered lines with their receipt.
#[allow(clippy::too_many_arguments)]
fn deliveries_section(
    t: &Tr,
    tz: chrono_tz::Tz,
    order_id: i64,
    notes: &[os::Delivery],
    dls: &[os::DeliveryLine],
    lines: &[os::OrderLine],
    names: &os::OrderNames,
    mine: bool,
) -> Section {
    let mut s = Section::new(t.get("order.deliveries"));
    s.links = notes
        .iter()
        .map(|n| note_link(t, tz, order_id, n, dls, mine))
        .collect();
    s.table = Some(delivered_table(t, order_id, dls, lines, names));
    s
}

/// The link to a delivery note: its number, when it shipped and how many of its lines wait
/// for their receipt (for the institution: to receive).
fn note_link(
    t: &Tr,
    tz: chrono_tz::Tz,
    order_id: i64,
    n: &os::Delivery,
    dls: &[os::DeliveryLine],
    mine: bool,
) -> Link {
    use super::delivery_notes::note_number;
    let waiting = dls
        .iter()
        .filter(|d| d.delivery_id == n.id && d.receipt.is_none())
        .count();
    let mut label = format!(
        "{} {} · {}",
        t.get("rcpt.note"),
        note_number(n.id),
        local_time(tz, n.shipped_at)
    );
    if waiting > 0 {
        label = format!(
            "{label} · {}",
            t.get(if mine {
                "ordui.to_receive"
            } else {
                "ordui.waiting_receipt"
            })
            .replace("{n}", &waiting.to_string())
        );
    }
    Link::new(format!("/orders/{order_id}/deliveries/{}", n.id), label)
}

/// The delivered lines: note, drug, quantity, batch, expiry, lateness and receipt.
fn delivered_table(
    t: &Tr,
    order_id: i64,
    dls: &[os::DeliveryLine],
    lines: &[os::OrderLine],
    names: &os::OrderNames,
) -> Table {
    use super::delivery_notes::note_number;
    let drug_of = |order_line: i64| {
        lines
            .iter()
            .find(|l| l.id == order_line)
            .map(|l| line_drug(names, l.id, t.zh()))
            .unwrap_or_default()
    };
    Table {
        columns: cols(
            t,
            &[
                "rcpt.note_no",
                "order.drug",
                "order.quantity",
                "order.batch",
                "order.expiry_date",
                "order.late",
                "order.receipt",
            ],
        ),
        rows: dls
            .iter()
            .map(|d| {
                vec![
                    Cell::link(
                        note_number(d.delivery_id),
                        format!("/orders/{order_id}/deliveries/{}", d.delivery_id),
                    ),
                    Cell::text(drug_of(d.order_line_id)),
                    Cell::num(d.quantity.to_string()),
                    Cell::text(&d.batch_no),
                    Cell::text(d.expiry_date.to_string()),
                    if d.late {
                        Cell::text(t.get("word.yes")).with_class("bad")
                    } else {
                        Cell::text(t.get("word.no"))
                    },
                    Cell::text(match d.receipt {
                        Some(_) => super::delivery_notes::receipt_words(
                            t,
                            d.accepted,
                            d.rejected,
                            d.receipt_reason,
                        ),
                        None => "—".into(),
                    }),
                ]
            })
            .collect(),
    }
}

#[post("/orders/{id}/acknowledge")]
async fn acknowledge(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (id, p) = (id.into_inner(), v.p.clone());
    run(&state, move |cx| orders::acknowledge(cx, &p, id)).await?;
    Ok(view::see_other(&format!("/orders/{id}")))
}

#[post("/orders/{id}/cancel")]
async fn cancel(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (id, p) = (id.into_inner(), v.p.clone());
    run(&state, move |cx| orders::cancel(cx, &p, id)).await?;
    Ok(view::see_other(&format!("/orders/{id}")))
}

#[derive(Deserialize)]
struct DeclineForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

#[post("/order-lines/{id}/decline")]
async fn decline(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<DeclineForm>,
) -> Result<HttpResponse, Error> {
    acting_supplier(&v.p, Code::SupplierUsersOnly)?;
    let reason = DeclineReason::parse("reason", &f.reason)?;
    let (id, p, note) = (id.into_inner(), v.p.clone(), f.into_inner().note);
    let order_id = run(&state, move |cx| orders::decline(cx, &p, id, reason, &note)).await?;
    Ok(view::see_other(&format!("/orders/{order_id}")))
}

#[derive(Deserialize)]
struct ShipForm {
    order_line_id: Option<i64>,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    batch_no: String,
    #[serde(default)]
    production_date: String,
    #[serde(default)]
    expiry_date: String,
    #[serde(default)]
    trace_codes: String,
}

#[post("/orders/{id}/ship")]
async fn ship(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ShipForm>,
) -> Result<HttpResponse, Error> {
    acting_supplier(&v.p, Code::SupplierUsersOnly)?;
    let id = id.into_inner();
    let date = crate::domain::date;
    let line = ShipLine {
        order_line_id: f
            .order_line_id
            .ok_or_else(|| Invalid::new("order_line_id", Code::Required))?,
        quantity: Quantity::parse("quantity", &f.quantity)?.get(),
        batch_no: f.batch_no.clone(),
        production_date: date("production_date", &f.production_date)?,
        expiry_date: date("expiry_date", &f.expiry_date)?,
        trace_codes: f
            .trace_codes
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let p = v.p.clone();
    run(&state, move |cx| orders::ship(cx, &p, id, &[line], None)).await?;
    Ok(view::see_other(&format!("/orders/{id}")))
}

/// Accepts a whole delivered line (all it shipped), back to the order.
#[post("/delivery-lines/{id}/accept")]
async fn accept(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (id, p) = (id.into_inner(), v.p.clone());
    let (_, order_id) = run(&state, move |cx| {
        orders::confirm(cx, &p, id, Receipt::Accepted)
    })
    .await?;
    Ok(view::see_other(&format!("/orders/{order_id}")))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    super::bad_faith::routes(cfg);
    super::ordering::routes(cfg);
    super::delivery_notes::routes(cfg);
    cfg.service(order_list)
        .service(order_page)
        .service(acknowledge)
        .service(cancel)
        .service(decline)
        .service(ship)
        .service(accept);
    super::payables::routes(cfg);
}
