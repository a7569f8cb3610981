//! The orders part of the JSON API: institutions order under contracts in force and confirm
//! receipt; suppliers (or the distributor named for the county) acknowledge, decline lines and
//! ship with delivery notes (an `Idempotency-Key` header makes a retried request harmless);
//! payables.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{db, institution_scope, ApiError, AppState, Error};

use crate::domain::bounds::Quantity;
use crate::domain::money::Money;
use crate::domain::orders::{DeclineReason, OrderState, ReceiptOutcome, RejectReason};
use crate::domain::roles::{Principal, Role, Scope};
use crate::domain::{Code, Invalid};
use crate::store::orders::{self as os, NewLine, Receipt, ShipLine};

/// The supplier a supplier's user acts for (its own, or as the distributor named for a
/// county); anyone else is refused with `refusal`.
pub(crate) fn acting_supplier(p: &Principal, refusal: Code) -> Result<i64, Error> {
    match (p.role, p.supplier_id) {
        (Role::Supplier, Some(s)) => Ok(s),
        _ => Err(Error::Forbidden(refusal.into())),
    }
}

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
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
    /// accepted or rejected, once confirmed.
    pub receipt: Option<String>,
    pub receipt_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
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

#[derive(Deserialize, ToSchema)]
pub struct LineIn {
    pub contract_id: i64,
    /// Units of use, 1 to 10,000,000.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub quantity: i64,
}

/// A new order. The price of each line is the contract's; none is taken from the request.
#[derive(Deserialize, ToSchema)]
pub struct OrderIn {
    /// Defaults to the caller's institution; a township center may order for its village clinics.
    pub institution_id: Option<i64>,
    #[serde(default)]
    pub urgent: bool,
    pub lines: Vec<LineIn>,
}

#[utoipa::path(tag = "orders", request_body = OrderIn, responses((status = 201, body = OrderOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders")]
pub async fn place_order(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<OrderIn>,
) -> Result<HttpResponse, ApiError> {
    if u.p.role != Role::Institution {
        return Err(Error::Forbidden(Code::OnlyInstitutionsOrder.into()).into());
    }
    let b = body.into_inner();
    let inst = b
        .institution_id
        .or(u.p.institution_id)
        .ok_or_else(Error::forbidden)?;
    if !institution_scope(&state, &u.p).await?.allows(inst) {
        return Err(Error::Forbidden(Code::OrderOutsideScope.into()).into());
    }
    let lines: Vec<NewLine> = b
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(NewLine {
                contract_id: l.contract_id,
                quantity: Quantity::new(&format!("lines[{i}].quantity"), l.quantity)?.get(),
            })
        })
        .collect::<Result<_, Invalid>>()?;
    let act = state.act(&u.p.username);
    let rules = state.config.delivery;
    let day = state.today();
    let (o, ls) = db(&state, move |c| {
        os::place_order(c, &act, &rules, inst, b.urgent, &lines, day)
    })
    .await?;
    Ok(HttpResponse::Created().json(order_out(o, ls, vec![])))
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
    let scope = institution_scope(&state, &u.p).await?;
    let (insts, supplier): (Option<Vec<i64>>, Option<i64>) = match u.p.role {
        Role::Center | Role::Regulator => (None, None),
        Role::Institution => match scope {
            Scope::Only(ids) => (Some(ids), None),
            Scope::All => (None, None),
        },
        Role::Supplier => (None, Some(acting_supplier(&u.p, Code::SupplierUsersOnly)?)),
        Role::Expert => return Err(Error::forbidden().into()),
    };
    let filter = match q.state.as_deref() {
        Some(s) => Some(OrderState::parse("state", s)?),
        None => None,
    };
    let rows = db(&state, move |c| {
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

async fn visible_order(u: &ApiUser, state: &AppState, id: i64) -> Result<OrderOut, Error> {
    let o = full_order(state, id).await?;
    let ok = match u.p.role {
        Role::Center | Role::Regulator => true,
        Role::Institution => institution_scope(state, &u.p)
            .await?
            .allows(o.institution_id),
        Role::Supplier => {
            let sid = acting_supplier(&u.p, Code::SupplierUsersOnly)?;
            o.supplier_id == sid
                || db(state, move |c| {
                    Ok(os::order_for_supplier(c, id, sid)?.is_some())
                })
                .await?
        }
        Role::Expert => false,
    };
    if ok {
        Ok(o)
    } else {
        Err(Error::NotFound(Code::OrderNotFound.into()))
    }
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

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id")), responses((status = 200, body = OrderOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders/{id}/acknowledge")]
pub async fn acknowledge(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<OrderOut>, ApiError> {
    let sid = acting_supplier(&u.p, Code::SupplierUsersOnly)?;
    let id = id.into_inner();
    let act = state.act(&u.p.username);
    db(&state, move |c| os::acknowledge(c, &act, id, sid)).await?;
    Ok(web::Json(full_order(&state, id).await?))
}

#[utoipa::path(tag = "orders", params(("id" = i64, Path, description = "order id")), responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/orders/{id}/cancel")]
pub async fn cancel(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    if u.p.role != Role::Institution {
        return Err(Error::Forbidden(Code::OnlyOrdererCancels.into()).into());
    }
    let id = id.into_inner();
    visible_order(&u, &state, id).await?;
    let act = state.act(&u.p.username);
    db(&state, move |c| os::cancel(c, &act, id)).await?;
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
    let sid = acting_supplier(&u.p, Code::SupplierUsersOnly)?;
    let reason = DeclineReason::parse("reason", &body.reason)?;
    let note = crate::domain::optional_text("note", &body.note, 1000)?.unwrap_or_default();
    let id = id.into_inner();
    let act = state.act(&u.p.username);
    db(&state, move |c| {
        os::decline_line(c, &act, id, sid, reason, &note)
    })
    .await?;
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
    let sid = acting_supplier(&u.p, Code::SupplierUsersOnly)?;
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
    let id = id.into_inner();
    let act = state.act(&u.p.username);
    let rules = state.config.delivery;
    let day = state.today();
    let s = db(&state, move |c| {
        let note = os::DeliveryNote {
            order_id: id,
            shipper_id: sid,
            idempotency_key: key.as_deref(),
            lines: &lines,
        };
        os::ship(c, &act, &rules, &note, day)
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

#[derive(Deserialize, ToSchema)]
pub struct ConfirmIn {
    /// accepted or rejected
    pub outcome: String,
    /// When rejected: damaged, short_dated, wrong_item or quality_doubt.
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
        return Err(Error::Forbidden(Code::OnlyReceiverConfirms.into()).into());
    }
    // A reason, when given, is one of the words even beside `accepted` (where it is not kept).
    let reason = match body.reason.as_deref() {
        Some(r) => Some(RejectReason::parse("reason", r)?),
        None => None,
    };
    let outcome = match ReceiptOutcome::parse("outcome", &body.outcome)? {
        ReceiptOutcome::Accepted => Receipt::Accepted,
        ReceiptOutcome::Rejected => {
            Receipt::Rejected(reason.ok_or_else(|| RejectReason::parse("reason", "").unwrap_err())?)
        }
    };
    let id = id.into_inner();
    let scope = institution_scope(&state, &u.p).await?;
    let inst = db(&state, move |c| os::institution_of_delivery_line(c, id)).await?;
    if !scope.allows(inst) {
        return Err(Error::NotFound(Code::DeliveryLineNotFound.into()).into());
    }
    let act = state.act(&u.p.username);
    let rules = state.config.delivery;
    let day = state.today();
    let (changed, order_id) = db(&state, move |c| {
        let changed = os::confirm(c, &act, &rules, id, inst, outcome, day)?;
        Ok((changed, os::order_of_delivery_line(c, id)?))
    })
    .await?;
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
    let (inst, sup) = match u.p.role {
        Role::Center | Role::Regulator => (None, None),
        Role::Institution => (Some(u.p.institution_id.ok_or_else(Error::forbidden)?), None),
        Role::Supplier => (None, Some(acting_supplier(&u.p, Code::SupplierUsersOnly)?)),
        Role::Expert => return Err(Error::forbidden().into()),
    };
    let day = state.today();
    let ps = db(&state, move |c| os::payables_of(c, inst, sup)).await?;
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
                overdue: p.paid_at.is_none() && p.due_on < day,
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
    let inst = match (u.p.role, u.p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::Forbidden(Code::OnlyPayerMarksPaid.into()).into()),
    };
    let id = id.into_inner();
    let act = state.act(&u.p.username);
    db(&state, move |c| os::mark_paid(c, &act, id, inst)).await?;
    Ok(HttpResponse::NoContent().finish())
}
