//! The JSON API under `/api/v1` for suppliers' and institutions' own systems: bearer tokens,
//! the same rules of who sees what as the pages. `/api/openapi.json` is generated from these
//! handlers' annotations, so it cannot drift from them.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{get, post, put, web, HttpMessage, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_actix_web::scope::scope as api_scope;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{bid_api, demand_api, orders_api, tender_api};
use super::{db, run, ApiError, AppState, Error};
use crate::app;
use crate::domain::catalog::{Category, DrugForm};
use crate::domain::paging::{Page, PageRequest};
use crate::domain::roles::Scope;
use crate::domain::{Code, Msg};
use crate::store::catalog::{self as cat, Drug, Product, ProductFilter};
use crate::store::parties::{self, Institution, Licence, Supplier};
use crate::store::regions::{self, Region};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Jicai API", description = "Provincial centralized drug procurement: the API for suppliers' and institutions' own systems. Every call needs `Authorization: Bearer <token>`; tokens are issued by the procurement center."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

impl ApiDoc {
    pub fn openapi_base() -> utoipa::openapi::OpenApi {
        <ApiDoc as OpenApi>::openapi()
    }
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T: ToSchema> From<Page<T>> for Paged<T> {
    fn from(p: Page<T>) -> Self {
        Paged {
            items: p.items,
            page: p.page,
            per_page: p.per_page,
            total: p.total,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Search text: code, Chinese or English name (case-insensitive).
    #[serde(default)]
    pub q: String,
    /// Drug category: chemical, biological, chinese_patent.
    pub category: Option<String>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// Results per page (1–200, default 20).
    pub per_page: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductParams {
    /// Search text: code, Chinese or English name (case-insensitive).
    #[serde(default)]
    pub q: String,
    /// Only products of this drug.
    pub drug_id: Option<i64>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// Results per page (1–200, default 20).
    pub per_page: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartyParams {
    /// Search text: code or name (case-insensitive).
    #[serde(default)]
    pub q: String,
    /// 1-based page number.
    pub page: Option<i64>,
    /// Results per page (1–200, default 20).
    pub per_page: Option<i64>,
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
}

#[utoipa::path(tag = "account", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
#[get("/me")]
async fn me(u: ApiUser) -> Result<web::Json<Me>, ApiError> {
    Ok(web::Json(Me {
        user_id: u.p.user_id,
        username: u.p.username.clone(),
        role: u.p.role.as_str().into(),
        supplier_id: u.p.supplier_id,
        institution_id: u.p.institution_id,
    }))
}

/// Searches the drug catalog.
#[utoipa::path(tag = "catalog", params(SearchParams), responses((status = 200, body = Paged<Drug>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/drugs")]
async fn list_drugs(
    _u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<SearchParams>,
) -> Result<web::Json<Paged<Drug>>, ApiError> {
    let page = PageRequest::new(q.page, q.per_page);
    let category = match &q.category {
        Some(c) => Some(Category::parse("category", c)?),
        None => None,
    };
    let text = q.q.clone();
    let p = db(&state, move |c| {
        cat::search_drugs(c, &text, category, &page)
    })
    .await?;
    Ok(web::Json(p.into()))
}

#[utoipa::path(tag = "catalog", params(("id" = i64, Path, description = "drug id")), responses((status = 200, body = Drug), (status = 404, body = ErrorBody)))]
#[get("/drugs/{id}")]
async fn get_drug(
    _u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Drug>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(db(&state, move |c| cat::get_drug(c, id)).await?))
}

/// The fields of a new drug (center staff only).
#[derive(Deserialize, ToSchema)]
pub struct NewDrug {
    pub code: String,
    pub name_zh: String,
    pub inn: String,
    pub dosage_form: String,
    pub strength: String,
    /// tablet, capsule, ampoule, vial, bag, g, pill, bottle
    pub unit: String,
    /// national or provincial
    pub origin: String,
    /// chemical, biological or chinese_patent
    pub category: String,
    pub atc_code: Option<String>,
}

#[utoipa::path(tag = "catalog", request_body = NewDrug, responses((status = 201, body = Drug), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/drugs")]
async fn create_drug(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<NewDrug>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let form = DrugForm {
        code: b.code,
        name_zh: b.name_zh,
        inn: b.inn,
        dosage_form: b.dosage_form,
        strength: b.strength,
        unit: b.unit,
        origin: b.origin,
        category: b.category,
        atc_code: b.atc_code.unwrap_or_default(),
    };
    let p = u.p;
    let d = run(&state, move |cx| app::catalog::create_drug(cx, &p, &form)).await?;
    Ok(HttpResponse::Created().json(d))
}

/// Lists products (one manufacturer's registered versions of a drug).
#[utoipa::path(tag = "catalog", params(ProductParams), responses((status = 200, body = Paged<Product>)))]
#[get("/products")]
async fn list_products(
    _u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<ProductParams>,
) -> Result<web::Json<Paged<Product>>, ApiError> {
    let page = PageRequest::new(q.page, q.per_page);
    let f = ProductFilter {
        q: q.q.clone(),
        drug_id: q.drug_id,
        ..Default::default()
    };
    Ok(web::Json(
        db(&state, move |c| cat::list_products(c, &f, &page))
            .await?
            .into(),
    ))
}

#[utoipa::path(tag = "regions", responses((status = 200, body = Vec<Region>)))]
#[get("/regions")]
async fn list_regions(
    _u: ApiUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Region>>, ApiError> {
    Ok(web::Json(db(&state, regions::all).await?))
}

async fn institution_scope(u: &ApiUser, state: &AppState) -> Result<Scope, Error> {
    let p = u.p.clone();
    db(state, move |c| Ok(app::parties::institution_scope(c, &p))).await?
}

/// Institutions the caller may see: all for staff and regulators; an institution and its
/// village clinics for an institution's user.
#[utoipa::path(tag = "parties", params(PartyParams), responses((status = 200, body = Paged<Institution>), (status = 403, body = ErrorBody)))]
#[get("/institutions")]
async fn list_institutions(
    u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<PartyParams>,
) -> Result<web::Json<Paged<Institution>>, ApiError> {
    let scope = institution_scope(&u, &state).await?;
    let page = PageRequest::new(q.page, q.per_page);
    let text = q.q.clone();
    Ok(web::Json(
        db(&state, move |c| {
            parties::list_institutions(c, &scope, &text, None, &page)
        })
        .await?
        .into(),
    ))
}

#[utoipa::path(tag = "parties", params(("id" = i64, Path)), responses((status = 200, body = Institution), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/institutions/{id}")]
async fn get_institution(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Institution>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    Ok(web::Json(
        run(&state, move |cx| app::parties::institution(cx, &p, id)).await?,
    ))
}

/// Contact e-mails (comma-separated).
#[derive(Deserialize, ToSchema)]
pub struct Contacts {
    pub emails: String,
}

#[utoipa::path(tag = "parties", params(("id" = i64, Path)), request_body = Contacts, responses((status = 200, body = Institution), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/institutions/{id}/contacts")]
async fn put_institution_contacts(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Contacts>,
) -> Result<web::Json<Institution>, ApiError> {
    let (id, p, emails) = (id.into_inner(), u.p, body.into_inner().emails);
    Ok(web::Json(
        run(&state, move |cx| {
            app::parties::set_institution_contacts(cx, &p, id, &emails)
        })
        .await?,
    ))
}

fn supplier_scope(u: &ApiUser) -> Result<Scope, Error> {
    app::parties::supplier_scope(&u.p)
}

/// Suppliers the caller may see: all for staff and regulators; its own for a supplier's user.
#[utoipa::path(tag = "parties", params(PartyParams), responses((status = 200, body = Paged<Supplier>), (status = 403, body = ErrorBody)))]
#[get("/suppliers")]
async fn list_suppliers(
    u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<PartyParams>,
) -> Result<web::Json<Paged<Supplier>>, ApiError> {
    let scope = supplier_scope(&u)?;
    let page = PageRequest::new(q.page, q.per_page);
    let text = q.q.clone();
    Ok(web::Json(
        db(&state, move |c| {
            parties::list_suppliers(c, &scope, &text, None, &page)
        })
        .await?
        .into(),
    ))
}

#[utoipa::path(tag = "parties", params(("id" = i64, Path)), responses((status = 200, body = Supplier), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/suppliers/{id}")]
async fn get_supplier(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Supplier>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    Ok(web::Json(
        run(&state, move |cx| app::parties::supplier(cx, &p, id)).await?,
    ))
}

#[utoipa::path(tag = "parties", params(("id" = i64, Path)), responses((status = 200, body = Vec<Licence>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/suppliers/{id}/licences")]
async fn get_licences(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<Licence>>, ApiError> {
    let id = id.into_inner();
    if !supplier_scope(&u)?.allows(id) {
        return Err(Error::NotFound(Code::SupplierNotFound.into()).into());
    }
    db(&state, move |c| parties::get_supplier(c, id)).await?;
    Ok(web::Json(
        db(&state, move |c| parties::licences_of(c, id)).await?,
    ))
}

#[utoipa::path(tag = "parties", params(("id" = i64, Path)), request_body = Contacts, responses((status = 200, body = Supplier), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/suppliers/{id}/contacts")]
async fn put_supplier_contacts(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Contacts>,
) -> Result<web::Json<Supplier>, ApiError> {
    let (id, p, emails) = (id.into_inner(), u.p, body.into_inner().emails);
    Ok(web::Json(
        run(&state, move |cx| {
            app::parties::set_supplier_contacts(cx, &p, id, &emails)
        })
        .await?,
    ))
}

/// The OpenAPI document of everything under `/api/v1` (see [`super::api_doc`]).
#[get("/api/openapi.json")]
async fn openapi_json(doc: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(super::api_doc::served(doc.get_ref()))
}

/// Largest JSON body the API reads (the same as the `JsonConfig` limit of [`super::build_app`]).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// JSON does not tell `2` from `2.0`, and the document's `integer` (JSON Schema) admits both, so
/// an API body's whole numbers written with a fraction (`2.0`, `-0.0`, `1e3`) are read as the
/// integers they are; serde would refuse them for an integer field. Numbers beyond 2^53 are left
/// as they are (no float spells them exactly) and so are bodies that are not JSON at all: the
/// `Json` extractor answers for those.
async fn whole_numbers(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse, actix_web::Error> {
    // A custodian's contributions to a large opening are read by their own handler, under
    // their own limit (and hold no numbers to mend).
    let contributions = req.path().ends_with("/contributions");
    let json = !contributions
        && req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
    if json {
        let mut payload = req.take_payload();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > JSON_LIMIT {
                let e = ApiError(Error::BadRequest(
                    Msg::new(Code::JsonTooLarge).arg("max", JSON_LIMIT),
                ));
                return Ok(req.error_response(e));
            }
            body.extend_from_slice(&chunk);
        }
        let mut bytes = body.freeze();
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            if whole(&mut v) {
                bytes = serde_json::to_vec(&v).map(Into::into).unwrap_or(bytes);
            }
        }
        req.set_payload(Payload::from(bytes));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Turns whole floats into integers, everywhere in `v`; says whether it changed anything.
fn whole(v: &mut serde_json::Value) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match v {
        serde_json::Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                *v = serde_json::Value::from(f as i64);
                true
            }
            _ => false,
        },
        serde_json::Value::Array(xs) => xs.iter_mut().fold(false, |c, x| whole(x) | c),
        serde_json::Value::Object(m) => m.values_mut().fold(false, |c, x| whole(x) | c),
        _ => false,
    }
}

/// A path value that is not of its type (`/orders/abc`): nothing of that id, as JSON.
fn path_error(e: actix_web::error::PathError, req: &actix_web::HttpRequest) -> actix_web::Error {
    let why = match &e {
        actix_web::error::PathError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    ApiError(Error::NotFound(
        Msg::new(Code::PathNotFound)
            .arg("path", req.path())
            .arg("detail", why),
    ))
    .into()
}

/// A query that cannot be read as the operation's parameters: 400, as JSON.
fn query_error(
    e: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    let why = match &e {
        actix_web::error::QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    ApiError(Error::BadRequest(
        Msg::new(Code::QueryUnreadable).arg("detail", why),
    ))
    .into()
}

pub fn scope() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    api_scope("/api/v1")
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .default_service(web::to(super::api_doc::fallback))
        .wrap(from_fn(whole_numbers))
        .service(me)
        .service(list_drugs)
        .service(create_drug)
        .service(get_drug)
        .service(list_products)
        .service(list_regions)
        .service(list_institutions)
        .service(get_institution)
        .service(put_institution_contacts)
        .service(list_suppliers)
        .service(get_supplier)
        .service(get_licences)
        .service(put_supplier_contacts)
        .service(tender_api::list_tenders)
        .service(tender_api::tender_ocds)
        .service(tender_api::get_tender)
        .service(demand_api::report_demand)
        .service(bid_api::submit_bid)
        .service(bid_api::withdraw_bid)
        .service(bid_api::get_bid)
        .service(tender_api::list_contracts)
        .service(tender_api::all_ocds)
        .service(bid_api::lot_products)
        .service(demand_api::open_window)
        .service(demand_api::close_window)
        .service(demand_api::demand_totals)
        .service(tender_api::create_tender)
        .service(tender_api::tender_action)
        .service(bid_api::score_bid)
        .service(bid_api::lot_bids)
        .service(tender_api::lodge_objection)
        .service(tender_api::list_objections)
        .service(tender_api::answer_objection)
        .service(tender_api::name_distributor)
        .service(orders_api::place_order)
        .service(orders_api::list_orders)
        .service(orders_api::get_order)
        .service(orders_api::list_deliveries)
        .service(orders_api::acknowledge)
        .service(orders_api::cancel)
        .service(orders_api::decline)
        .service(orders_api::ship)
        .service(orders_api::confirm)
        .service(orders_api::list_payables)
        .service(orders_api::mark_paid)
        .service(super::shortage_api::list_shortages)
        .service(super::shortage_api::get_shortage)
        .service(super::shortage_api::report_shortage)
        .service(super::shortage_api::declare_interruption)
        .service(super::shortage_api::respond)
        .service(super::shortage_api::withdraw_response)
        .service(super::commitments_api::list_commitments)
        .service(super::custody_api::register_key)
        .service(super::custody_api::appoint)
        .service(super::custody_api::custodians)
        .service(super::custody_api::custody_file)
        .service(super::custody_api::deal)
        .service(super::custody_api::contribute)
        .service(super::custody_api::digests)
}

/// The OpenAPI document, and JSON 404/405 for whatever else is asked under `/api/` (registered
/// after the `/api/v1` scope, which answers its own).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json)
        .service(web::scope("/api").default_service(web::to(super::api_doc::fallback)));
}

#[cfg(test)]
mod tests {
    use super::whole;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_and_nothing_else_changes() {
        let mut v: serde_json::Value =
            serde_json::from_str(r#"{"a": 2.0, "b": [-0.0, 1e3, 2.5, 1e300], "c": "3.0", "d": 7}"#)
                .unwrap();
        assert!(whole(&mut v));
        assert_eq!(
            v,
            json!({"a": 2, "b": [0, 1000, 2.5, 1e300], "c": "3.0", "d": 7})
        );
        let mut w = json!({"a": 1, "b": [2.5]});
        assert!(!whole(&mut w));
    }
}
