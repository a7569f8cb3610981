//! Key custody in the JSON API: a custodian registers its key, fetches a tender's custody file,
//! sends its dealing and its contributions to the opening (all made on its own machine by
//! `jicai custodian`); center staff appoint custodians; anyone who may see a tender reads the
//! envelope digests fixed at its deadline.

use actix_web::{get, post, put, web, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{json_body, run, ApiError, AppState, Error};
use crate::app::custody as app;
use crate::domain::{Code, Msg};
use crate::sealing::quorum::Dealing;

/// Largest contributions file (100,000 envelopes take about 27 MB).
pub const CONTRIBUTIONS_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize, ToSchema)]
pub struct KeyIn {
    /// The custodian's public key (hex), as `jicai custodian keygen` printed it.
    pub public_key: String,
}

/// Registers the caller's custodian key (center staff).
#[utoipa::path(tag = "custody", request_body = KeyIn, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/custodian-key")]
pub async fn register_key(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<KeyIn>,
) -> Result<HttpResponse, ApiError> {
    let p = u.p;
    run(&state, move |cx| {
        app::register_key(cx, &p, &body.public_key)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct AppointIn {
    /// The custodians' user ids, in order (2 to 15, each with a registered key).
    pub custodians: Vec<i64>,
    /// How many of them open (2 to n).
    pub quorum: i32,
}

#[derive(Serialize, ToSchema)]
pub struct CustodianOut {
    pub idx: i32,
    pub user_id: i64,
    pub name: String,
    pub public_key: String,
    pub dealt: bool,
    pub contributed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CustodiansOut {
    pub tender_id: i64,
    pub quorum: i32,
    /// The tender's public key, once every custodian has dealt (empty before).
    pub tender_key: String,
    pub custodians: Vec<CustodianOut>,
}

fn custodians_out(
    t: &crate::store::tenders::Tender,
    cs: Vec<crate::store::tenders::custody::Custodian>,
) -> CustodiansOut {
    CustodiansOut {
        tender_id: t.id,
        quorum: t.quorum,
        tender_key: t.envelope_key.clone(),
        custodians: cs
            .into_iter()
            .map(|c| CustodianOut {
                idx: c.idx,
                user_id: c.user_id,
                name: c.name,
                public_key: c.public_key,
                dealt: c.dealt_at.is_some(),
                contributed: c.contributed_at.is_some(),
            })
            .collect(),
    }
}

/// Appoints (or replaces) a draft tender's key custodians (center staff).
#[utoipa::path(tag = "custody", params(("id" = i64, Path, description = "tender id")), request_body = AppointIn, responses((status = 200, body = CustodiansOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/tenders/{id}/custodians")]
pub async fn appoint(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<AppointIn>,
) -> Result<web::Json<CustodiansOut>, ApiError> {
    let (p, id, b) = (u.p, id.into_inner(), body.into_inner());
    let out = run(&state, move |cx| {
        app::appoint(cx, &p, id, &b.custodians, b.quorum)?;
        app::custodians(cx, &p, id)
    })
    .await?;
    Ok(web::Json(custodians_out(&out.0, out.1)))
}

/// A tender's custodians and who has dealt and contributed.
#[utoipa::path(tag = "custody", params(("id" = i64, Path, description = "tender id")), responses((status = 200, body = CustodiansOut), (status = 404, body = ErrorBody)))]
#[get("/tenders/{id}/custodians")]
pub async fn custodians(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<CustodiansOut>, ApiError> {
    let (p, id) = (u.p, id.into_inner());
    let (t, cs) = run(&state, move |cx| app::custodians(cx, &p, id)).await?;
    Ok(web::Json(custodians_out(&t, cs)))
}

/// The caller's custody file of a tender, for `jicai custodian deal|check|open` (custodians
/// of the tender only).
#[utoipa::path(tag = "custody", params(("id" = i64, Path, description = "tender id")), responses((status = 200, body = Object, description = "the custody file: tender_id, title, state, quorum, you, tender_key, custodians, dealings, envelopes"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/tenders/{id}/custody")]
pub async fn custody_file(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (p, id) = (u.p, id.into_inner());
    let f = run(&state, move |cx| app::custody_file(cx, &p, id)).await?;
    Ok(HttpResponse::Ok().json(f))
}

#[derive(Serialize, ToSchema)]
pub struct ProgressOut {
    pub done: usize,
    pub of: usize,
}

/// A dealing as `jicai custodian deal` writes it: the dealer's index, the commitments to its
/// polynomial's coefficients (points, hex), its proof of knowledge, and one sealed share per
/// custodian (R‖nonce and ciphertext, hex).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DealingIn {
    pub dealer: u32,
    pub commitments: Vec<String>,
    pub proof: String,
    #[schema(schema_with = share_pairs)]
    pub shares: Vec<[String; 2]>,
}

fn hex() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^[0-9a-f]*$"))
}

/// Each share is a pair of hex strings, `[R‖nonce, ciphertext]`.
fn share_pairs() -> utoipa::openapi::ArrayBuilder {
    use utoipa::openapi::ArrayBuilder;
    let pair = ArrayBuilder::new()
        .items(hex())
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new().items(pair)
}

/// The contributions file (`jicai custodian open`): an object from bid id (decimal digits) to
/// contribution (hex).
pub struct ContributionsIn;

impl utoipa::PartialSchema for ContributionsIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        contributions_body().into()
    }
}

impl ToSchema for ContributionsIn {}

fn contributions_body() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .property_names(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .pattern(Some("^[1-9][0-9]{0,17}$")),
        ))
        .additional_properties(Some(hex()))
}

/// The caller's dealing for a draft tender (the output of `jicai custodian deal`).
#[utoipa::path(tag = "custody", params(("id" = i64, Path, description = "tender id")), request_body = DealingIn, responses((status = 200, body = ProgressOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/tenders/{id}/dealing")]
pub async fn deal(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<web::Json<ProgressOut>, ApiError> {
    let d: Dealing = json_body(&body)?;
    let (p, id) = (u.p, id.into_inner());
    let (done, of) = run(&state, move |cx| app::deal(cx, &p, id, &d)).await?;
    Ok(web::Json(ProgressOut { done, of }))
}

/// The caller's contributions to a tender's opening (the output of `jicai custodian open`: an
/// object from bid id to contribution), once its technical results are published. Up to 64 MB;
/// answers how many custodians have contributed and how many must.
#[utoipa::path(tag = "custody", params(("id" = i64, Path, description = "tender id")), request_body = ContributionsIn, responses((status = 200, body = ProgressOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/tenders/{id}/contributions")]
pub async fn contribute(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    mut body: web::Payload,
) -> Result<web::Json<ProgressOut>, ApiError> {
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| Error::BadRequest(Msg::new(Code::JsonUnreadable).arg("detail", e)))?;
        if bytes.len() + chunk.len() > CONTRIBUTIONS_LIMIT {
            return Err(Error::TooLarge(
                Msg::new(Code::JsonTooLarge).arg("max", CONTRIBUTIONS_LIMIT),
            )
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    let items: BTreeMap<i64, String> = json_body(&bytes)?;
    let (p, id) = (u.p, id.into_inner());
    let (done, of) = run(&state, move |cx| app::contribute(cx, &p, id, &items)).await?;
    Ok(web::Json(ProgressOut { done, of }))
}

#[derive(Serialize, ToSchema)]
pub struct DigestOut {
    pub lot_no: i32,
    pub digest: String,
}

#[derive(Serialize, ToSchema)]
pub struct DigestsOut {
    /// False before the bid deadline (no list yet).
    pub published: bool,
    pub envelopes: Vec<DigestOut>,
}

/// The envelope digests fixed at the bid deadline: lot and digest of every bid that counts.
#[utoipa::path(tag = "custody", params(("id" = i64, Path, description = "tender id")), responses((status = 200, body = DigestsOut), (status = 404, body = ErrorBody)))]
#[get("/tenders/{id}/envelope-digests")]
pub async fn digests(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<DigestsOut>, ApiError> {
    let (p, id) = (u.p, id.into_inner());
    let list = run(&state, move |cx| app::digest_list(cx, &p, id)).await?;
    Ok(web::Json(DigestsOut {
        published: list.is_some(),
        envelopes: list
            .unwrap_or_default()
            .into_iter()
            .map(|(lot_no, digest)| DigestOut { lot_no, digest })
            .collect(),
    }))
}
