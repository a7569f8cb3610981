//! The orders part of the JSON API: institutions order under contracts in force and confirm
//! receipt; suppliers (or the distributor named for the county) acknowledge, decline lines and
//! ship with delivery notes (an `Idempotency-Key` header makes a retried request harmless);
//! payables.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{db, run, ApiError, AppState, Error};
use crate::app::orders;

use crate::app::ordering::{BasketLine, Item};
use crate::domain::bounds::Quantity;
use crate::domain::money::Money;
use crate::domain::orders::{DeclineReason, OrderState, ReceiptOutcome, RejectReason};
use crate::domain::roles::Role;
use crate::domain::{Code, Invalid};
use crate::store::orders::{self as os, Receipt, ShipLine};

/// The supplier a supplier's user acts for (its own, or as the distributor named for a
/// county); anyone else is refused with `refusal`.

#[derive(Serialize, ToSchema, Clone)]
pub struct OrderLineOut {
    pub id: i64,
    pub contract_id: i64,
    pub product_id: i64,
    pub quantity: i64,
    /// Contract price, yuan per unit of use.
    pub unit_price: String,
    pub declined_reason: Option<String>,
    pub shipped: i64,
    pub confirmed: i64,
    pub accepted: i64,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct DeliveryLineOut {
    pub id: i64,
    pub delivery_id: i64,
    pub order_line_id: i64,
    pub quantity: i64,
    pub batch_no: String,
    pub production_date: String,
    pub expiry_date: String,
    pub trace_codes: Vec<String>,
    pub late: bool,
    /// accepted, rejected or partial, once confirmed.
    pub receipt: Option<String>,
    /// Why the rejected units were rejected (none when none was).
    pub receipt_reason: Option<String>,
    /// Units accepted on receipt (0 until confirmed).
    pub accepted: i64,
    /// Units rejected on receipt (0 until confirmed); accepted + rejected = quantity once confirmed.
    pub rejected: i64,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct OrderOut {
    pub id: i64,
    pub institution_id: i64,
    pub supplier_id: i64,
    pub urgent: bool,
    /// submitted, acknowledged, shipped, partially_received, received, closed, cancelled
    pub state: String,
    pub submitted_at: String,
    pub acknowledge_by: String,
    pub deliver_by: String,
    pub lines: Vec<OrderLineOut>,
    pub deliveries: Vec<DeliveryLineOut>,
}

fn dl_out(d: os::DeliveryLine) -> DeliveryLineOut {
    DeliveryLineOut {
        id: d.id,
        delivery_id: d.delivery_id,
        order_line_id: d.order_line_id,
        quantity: d.quantity,
        batch_no: d.batch_no,
        production_date: d.production_date.to_string(),
        expiry_date: d.expiry_date.to_string(),
        trace_codes: d
            .trace_codes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        late: d.late,
        receipt: d.receipt.map(|r| r.to_string()),
        receipt_reason: d.receipt_reason.map(|r| r.to_string()),
        accepted: d.accepted,
        rejected: d.rejected,
    }
}

fn order_out(o: os::Order, lines: Vec<os::OrderLine>, dls: Vec<os::DeliveryLine>) -> OrderOut {
    OrderOut {
        id: o.id,
        institution_id: o.institution_id,
        supplier_id: o.supplier_id,
        urgent: o.urgent,
        state: o.state.to_string(),
        submitted_at: o.submitted_at.and_utc().to_rfc3339(),
        acknowledge_by: o.acknowledge_by.and_utc().to_rfc3339(),
        deliver_by: o.deliver_by.and_utc().to_rfc3339(),
        lines: lines
            .into_iter()
            .map(|l| OrderLineOut {
                id: l.id,
                contract_id: l.contract_id,
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price: Money::from_ten_thousandths(l.unit_price).to_string(),
                declined_reason: l.declined_reason.map(|r| r.to_string()),
                shipped: l.shipped,
                confirmed: l.confirmed,
                accepted: l.accepted,
            })
            .collect(),
        deliveries: dls.into_iter().map(dl_out).collect(),
    }
}

async fn full_order(state: &AppState, id: i64) -> Result<OrderOut, Error> {
    let (o, l, d) = db(state, move |c| {
        Ok((
            os::order(c, id)?,
            os::lines_of(c, id)?,
            os::delivery_lines_of(c, id)?,
        ))
    })
    .await?;
    Ok(order_out(o, l, d))
}

/// One line of a basket: a drug by its code (`{"drug": "D0013", "quantity": 100}`), or (the
/// older form) a contract, accepted only when it is the arrangement that serves the ordering
/// institution's county with its drug today.
#[derive(Deserialize, ToSchema)]
pub struct LineIn {
    /// The drug's code: the line goes under the arrangement serving the institution's county.
    pub drug: Option<String>,
    /// Instead of `drug`: a contract, refused unless it is what serves the county today.
    pub contract_id: Option<i64>,
    /// Units of use, 1 to 10,000,000.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub quantity: i64,
}

/// A new basket. Each line's price is its arrangement's; none is taken from the request. Lines
/// of several suppliers become one order per supplier, all placed or none.
#[derive(Deserialize, ToSchema)]
pub struct OrderIn {
    /// Defaults to the caller's institution; a township center may order for its village clinics.
    pub institution_id: Option<i64>,
    #[serde(default)]
    pub urgent: bool,
    pub lines: Vec<LineIn>,
}

/// The orders a basket became: the first one's fields at the top level (what a one-supplier
/// basket answered before), and every order created, the first included, in `orders`.
#[derive(Serialize, ToSchema)]
pub struct PlacedOut {
    #[serde(flatten)]
    pub first: OrderOut,
    pub orders: Vec<OrderOut>,
}

/// Reads the basket's lines: each names a drug or a contract, not both, not neither.
fn basket_lines(lines: Vec<LineIn>) -> Result<Vec<BasketLine>, Error> {
    let mut out = vec![];
    let mut errs = vec![];
    for (i, l) in lines.into_iter().enumerate() {
        let item = match (l.drug, l.contract_id) {
            (Some(d), None) if !d.trim().is_empty() => Item::Drug(d),
            (None, Some(k)) => Item::Contract(k),
            _ => {
                errs.push(Invalid::new(
                    format!("lines[{i}].drug"),
                    Code::NameDrugOrContract,
                ));
                continue;
            }
        };
        match Quantity::new(&format!("lines[{i}].quantity"), l.quantity) {
            Ok(q) => out.push(BasketLine {
                item,
                quantity: q.get(),
            }),
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(errs))
    }
}

#[utoipa::path(tag = "orders", request_body = OrderIn, responses((status = 201, body = PlacedOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders")]
pub async fn place_order(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<OrderIn>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let cmd = orders::PlaceOrder {
        institution_id: b.institution_id,
        urgent: b.urgent,
        lines: basket_lines(b.lines)?,
    };
    let p = u.p;
    let placed = run(&state, move |cx| orders::place(cx, &p, &cmd)).await?;
    let mut all: Vec<OrderOut> = placed
        .into_iter()
        .map(|(o, ls)| order_out(o, ls, vec![]))
        .collect();
    if all.is_empty() {
        return Err(Error::Internal("a basket placed no order".into()).into());
    }
    let first = all.remove(0);
    let orders = std::iter::once(first.clone()).chain(all).collect();
    Ok(HttpResponse::Created().json(PlacedOut { first, orders }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OrderQuery {
    /// Only orders in this state.
    pub state: Option<String>,
}

/// The caller's orders: an institution's (and its village clinics'), a supplier's, or all for staff.
#[utoipa::path(tag = "orders", params(OrderQuery), responses((status = 200, body = Vec<OrderOut>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/orders")]
pub async fn list_orders(
    u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<OrderQuery>,
) -> Result<web::Json<Vec<OrderOut>>, ApiError> {
    let filter = match q.state.as_deref() {
        Some(s) => Some(OrderState::parse("state", s)?),
        None => None,
    };
    let p = u.p;
    let rows = run(&state, move |cx| {
        let c = &mut *cx.conn()?;
        let (insts, supplier) = orders::order_filter(c, &p)?;
        let orders: Vec<os::Order> = os::orders_for(c, insts.as_deref(), supplier)?
            .into_iter()
            .filter(|o| filter.as_ref().is_none_or(|f| *f == o.state))
            .collect();
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let mut details = os::details_of(c, &ids)?;
        Ok(orders
            .into_iter()
            .map(|o| {
                let (l, d) = details.remove(&o.id).unwrap_or_default();
                (o, l, d)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(o, l, d)| order_out(o, l, d))
            .collect(),
    ))
}

async fn visible_order(
    u: &ApiUser,
    state: &web::Data<AppState>,
    id: i64,
) -> Result<OrderOut, Error> {
    let p = u.p.clone();
    let v = run(state, move |cx| orders::order(cx, &p, id)).await?;
    Ok(order_out(v.order, v.lines, v.deliveries))
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id")), responses((status = 200, body = OrderOut), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/orders/{id}")]
pub async fn get_order(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<OrderOut>, ApiError> {
    Ok(web::Json(visible_order(&u, &state, id.into_inner()).await?))
}

/// A delivery note of an order, with its lines.
#[derive(Serialize, ToSchema)]
pub struct DeliveryNoteOut {
    pub id: i64,
    pub order_id: i64,
    /// The supplier that shipped it (the contracted supplier or its named distributor).
    pub shipper_id: i64,
    pub shipped_at: String,
    pub lines: Vec<DeliveryLineOut>,
}

/// An order's delivery notes, oldest first, for whoever may see the order.
#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id")), responses((status = 200, body = Vec<DeliveryNoteOut>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/orders/{id}/deliveries")]
pub async fn list_deliveries(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<DeliveryNoteOut>>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let notes = run(&state, move |cx| orders::deliveries(cx, &p, id)).await?;
    Ok(web::Json(
        notes
            .into_iter()
            .map(|(d, lines)| DeliveryNoteOut {
                id: d.id,
                order_id: d.order_id,
                shipper_id: d.shipper_id,
                shipped_at: d.shipped_at.and_utc().to_rfc3339(),
                lines: lines.into_iter().map(dl_out).collect(),
            })
            .collect(),
    ))
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id")), responses((status = 200, body = OrderOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders/{id}/acknowledge")]
pub async fn acknowledge(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<OrderOut>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    run(&state, move |cx| orders::acknowledge(cx, &p, id)).await?;
    Ok(web::Json(full_order(&state, id).await?))
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id")), responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders/{id}/cancel")]
pub async fn cancel(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    run(&state, move |cx| orders::cancel(cx, &p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct DeclineIn {
    /// out_of_stock, discontinued or other
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order line id")), request_body = DeclineIn, responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/order-lines/{id}/decline")]
pub async fn decline(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<DeclineIn>,
) -> Result<HttpResponse, ApiError> {
    crate::app::parties::acting_supplier(&u.p, Code::SupplierUsersOnly)?;
    let reason = DeclineReason::parse("reason", &body.reason)?;
    let (id, p, note) = (id.into_inner(), u.p, body.into_inner().note);
    run(&state, move |cx| orders::decline(cx, &p, id, reason, &note)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct ShipLineIn {
    pub order_line_id: i64,
    /// Units of use, 1 to 10,000,000 (and no more than is left to ship on the line).
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub quantity: i64,
    pub batch_no: String,
    /// YYYY-MM-DD
    pub production_date: String,
    /// YYYY-MM-DD
    pub expiry_date: String,
    #[serde(default)]
    pub trace_codes: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct DeliveryIn {
    pub lines: Vec<ShipLineIn>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub delivery_id: i64,
    /// false when the Idempotency-Key was seen before: this is the first delivery, unchanged.
    pub created: bool,
    pub lines: Vec<DeliveryLineOut>,
}

/// Ships (part of) an order with a delivery note. Send an `Idempotency-Key` header: a retried
/// request with the same key returns the first delivery (200) and creates nothing.
#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id"), ("Idempotency-Key" = Option<String>, Header, description = "makes retries harmless")), request_body = DeliveryIn, responses((status = 201, body = DeliveryOut), (status = 200, body = DeliveryOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders/{id}/deliveries")]
pub async fn ship(
    u: ApiUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<DeliveryIn>,
) -> Result<HttpResponse, ApiError> {
    crate::app::parties::acting_supplier(&u.p, Code::SupplierUsersOnly)?;
    let key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut lines = vec![];
    let mut errs = vec![];
    for (i, l) in body.into_inner().lines.into_iter().enumerate() {
        match (
            Quantity::new(&format!("lines[{i}].quantity"), l.quantity),
            crate::domain::date("production_date", &l.production_date),
            crate::domain::date("expiry_date", &l.expiry_date),
        ) {
            (Ok(q), Ok(p), Ok(e)) => lines.push(ShipLine {
                order_line_id: l.order_line_id,
                quantity: q.get(),
                batch_no: l.batch_no,
                production_date: p,
                expiry_date: e,
                trace_codes: l.trace_codes,
            }),
            (q, a, b) => errs.extend(q.err().into_iter().chain(a.err()).chain(b.err())),
        }
    }
    if !errs.is_empty() {
        return Err(Error::Invalid(errs).into());
    }
    let (id, p) = (id.into_inner(), u.p);
    let s = run(&state, move |cx| {
        orders::ship(cx, &p, id, &lines, key.as_deref())
    })
    .await?;
    let out = DeliveryOut {
        delivery_id: s.delivery_id,
        created: s.created,
        lines: s.lines.into_iter().map(dl_out).collect(),
    };
    Ok(if out.created {
        HttpResponse::Created().json(out)
    } else {
        HttpResponse::Ok().json(out)
    })
}

/// The receipt of one delivered line, by quantity: `{"accepted": 180, "rejected": 20,
/// "reason": "damaged"}` (accepted + rejected must be the line's shipped quantity; a reason is
/// needed when anything is rejected). The older whole-line form `{"outcome": "accepted"}` or
/// `{"outcome": "rejected", "reason": "damaged"}` still works and means all or none; when
/// `accepted` or `rejected` is sent, the counts decide (a missing one is 0) and `outcome` is
/// not read.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmIn {
    /// Units accepted.
    pub accepted: Option<i64>,
    /// Units rejected.
    pub rejected: Option<i64>,
    /// Whole-line form (without counts): accepted or rejected.
    pub outcome: Option<String>,
    /// Why units are rejected: damaged, short_dated, wrong_item, quality_doubt or missing.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmOut {
    /// false when the line was confirmed already: nothing changed.
    pub changed: bool,
    pub order: OrderOut,
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "delivery line id")), request_body = ConfirmIn, responses((status = 200, body = ConfirmOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/delivery-lines/{id}/confirm")]
pub async fn confirm(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ConfirmIn>,
) -> Result<web::Json<ConfirmOut>, ApiError> {
    if u.p.role != Role::Institution {
        // Refused before the body is judged, as the service would refuse it.
        return Err(Error::Forbidden(Code::OnlyReceiverConfirms.into()).into());
    }
    // A reason, when given, is one of the words even beside `accepted` (where it is not kept).
    let reason = match body.reason.as_deref() {
        Some(r) => Some(RejectReason::parse("reason", r)?),
        None => None,
    };
    let outcome = if body.accepted.is_some() || body.rejected.is_some() {
        Receipt::Counted {
            accepted: body.accepted.unwrap_or(0),
            rejected: body.rejected.unwrap_or(0),
            reason,
        }
    } else {
        match ReceiptOutcome::parse("outcome", body.outcome.as_deref().unwrap_or_default())? {
            ReceiptOutcome::Accepted => Receipt::Accepted,
            ReceiptOutcome::Rejected => Receipt::Rejected(
                reason.ok_or_else(|| Invalid::new("reason", Code::RejectReasonRequired))?,
            ),
            ReceiptOutcome::Partial => {
                return Err(Error::Invalid(vec![Invalid::new("accepted", Code::Required)]).into())
            }
        }
    };
    let (id, p) = (id.into_inner(), u.p);
    let (changed, order_id) = run(&state, move |cx| orders::confirm(cx, &p, id, outcome)).await?;
    Ok(web::Json(ConfirmOut {
        changed,
        order: full_order(&state, order_id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PayableOut {
    pub id: i64,
    pub delivery_line_id: i64,
    pub institution_id: i64,
    pub supplier_id: i64,
    /// Yuan.
    pub amount: String,
    pub due_on: String,
    pub paid: bool,
    pub overdue: bool,
}

#[utoipa::path(tag = "orders", responses((status = 200, body = Vec<PayableOut>), (status = 403, body = ErrorBody)))]
#[get("/payables")]
pub async fn list_payables(
    u: ApiUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<PayableOut>>, ApiError> {
    let day = state.today();
    let p = u.p;
    let ps = run(&state, move |cx| orders::payables(cx, &p)).await?;
    Ok(web::Json(
        ps.into_iter()
            .map(|p| PayableOut {
                id: p.id,
                delivery_line_id: p.delivery_line_id,
                institution_id: p.institution_id,
                supplier_id: p.supplier_id,
                amount: Money::from_ten_thousandths(p.amount).to_string(),
                due_on: p.due_on.to_string(),
                paid: p.paid_at.is_some(),
                overdue: crate::domain::orders::overdue(p.paid_at.is_some(), p.due_on, day),
            })
            .collect(),
    ))
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "payable id")), responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/payables/{id}/paid")]
pub async fn mark_paid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    run(&state, move |cx| orders::mark_paid(cx, &p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
