//! The bid part of the JSON API, thin over `app::bids`: sealed bids (submit, replace, withdraw,
//! read one's own), the products a supplier may bid with, experts' scores, and a lot's bids for
//! center staff and experts (within what the tender's state allows).

use actix_session::SessionExt;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{run, ApiError, AppState, Error};
use crate::app::bids::{self, LotBids, PriceIn, SealedPrice, SubmitBid};
use crate::domain::award::Outcome;
use crate::domain::bidding::{LotBidsView, PriceCheck};
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::roles::Principal;
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::tenders::{BidDetail, Document, Receipt};

/// The caller's supplier, for what only a supplier's users do (bid, object, name distributors).
pub fn own_bidder(p: &Principal) -> Result<i64, Error> {
    bids::bidder(p)
}

/// A document of the technical envelope.
#[derive(Deserialize, ToSchema)]
pub struct DocumentIn {
    pub name: String,
    /// The PDF, base64-encoded.
    pub content_base64: String,
}

/// A sealed bid: technical envelope (product, capacity, documents) and price per package.
#[derive(Deserialize, ToSchema)]
pub struct BidIn {
    /// One of the caller's own products of the lot's drug (`GET /api/v1/lots/{id}/products`).
    pub product_id: i64,
    /// Units of use per year, 1 to 10^12.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub annual_capacity: i64,
    /// Yuan per package, e.g. "27.00", for a tender sealed by the server (demos and tests);
    /// a quorum tender refuses it (422 `price_must_be_sealed`): send `commercial_envelope`.
    #[serde(default)]
    pub package_price: Option<String>,
    /// The price envelope sealed on the bidder's side (README "Sealed envelope format"; `jicai
    /// seal` makes one): required by a quorum tender, whose server never sees the price.
    #[serde(default)]
    pub commercial_envelope: Option<EnvelopeIn>,
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
    /// Submit even though the unit price is above the lot's maximum valid unit price (the bid
    /// will be invalid at the opening). Without it such a bid is refused with 422
    /// `bid_above_max_unconfirmed`, naming the unit price and the ceiling.
    #[serde(default)]
    pub confirm_above_max: bool,
}

/// A sealed price envelope: hex(R‖nonce), the ciphertext and SHA-256(R‖nonce‖ciphertext).
#[derive(Deserialize, ToSchema)]
pub struct EnvelopeIn {
    pub nonce: String,
    pub ciphertext: String,
    pub digest: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    pub bid_id: i64,
    pub lot_id: i64,
    pub version: i32,
    pub submitted_at: String,
    /// SHA-256 of the technical envelope.
    pub technical_digest: String,
    /// The sealed price envelope's digest (quorum sealing: SHA-256 of the envelope, as in the
    /// list published at the deadline; server sealing: of its plaintext).
    pub commercial_digest: String,
    /// Yuan per package, as submitted (server sealing only; shown to the bidder only, in this
    /// answer). The fields below are absent for a price the bidder sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units_per_package: Option<i32>,
    /// Package price ÷ units per package, rounded half up to 1/10,000 yuan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
    /// The lot's maximum valid unit price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unit_price: Option<String>,
    /// The unit price is above the ceiling: the bid will be invalid at the opening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above_max_unit_price: Option<bool>,
}

impl ReceiptOut {
    fn new(r: Receipt, c: Option<&PriceCheck>) -> Self {
        ReceiptOut {
            bid_id: r.bid_id,
            lot_id: r.lot_id,
            version: r.version,
            submitted_at: r.submitted_at,
            technical_digest: r.technical_digest,
            commercial_digest: r.commercial_digest,
            package_price: c.map(|c| c.package_price.to_string()),
            units_per_package: c.map(|c| c.units_per_package),
            unit_price: c.map(|c| c.unit_price.to_string()),
            max_unit_price: c.map(|c| c.max_unit_price.to_string()),
            above_max_unit_price: c.map(|c| c.above_max()),
        }
    }
}

fn documents(docs: Vec<DocumentIn>) -> Result<Vec<Document>, Error> {
    docs.into_iter()
        .map(|d| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(d.content_base64.trim())
                .map_err(|_| {
                    Error::from(Invalid::new(
                        "documents",
                        Msg::new(Code::DocumentNotBase64).arg("name", &d.name),
                    ))
                })?;
            Ok(Document {
                name: d.name,
                bytes,
            })
        })
        .collect()
}

/// Submits (or replaces) the caller's bid on a lot; returns the receipt. Only the product's
/// maker (for an imported product, its national agent) bids, with its own product.
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), request_body = BidIn, responses((status = 201, body = ReceiptOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/lots/{id}/bid")]
pub async fn submit_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<BidIn>,
) -> Result<HttpResponse, ApiError> {
    own_bidder(&u.p)?;
    let b = body.into_inner();
    let cmd = SubmitBid {
        lot_id: id.into_inner(),
        product_id: b.product_id,
        annual_capacity: bounds::in_range("annual_capacity", b.annual_capacity, bounds::CAPACITY)?,
        price: match (b.commercial_envelope, b.package_price) {
            (Some(e), None) => PriceIn::Sealed(SealedPrice {
                nonce: e.nonce,
                ciphertext: e.ciphertext,
                digest: e.digest,
            }),
            (None, Some(p)) => PriceIn::Clear(Money::parse_positive("package_price", &p)?),
            (None, None) => {
                return Err(Error::from(Invalid::new("commercial_envelope", Code::Required)).into())
            }
            (Some(_), Some(_)) => {
                return Err(
                    Error::from(Invalid::new("package_price", Code::PriceMustBeSealed)).into(),
                )
            }
        },
        documents: documents(b.documents)?,
        confirm_above_max: b.confirm_above_max,
    };
    let act = state.act(&u.p.username);
    let s = bids::submit_queued(&state.bids, act, &u.p, cmd).await?;
    match s.receipt {
        Some(r) => Ok(HttpResponse::Created().json(ReceiptOut::new(r, s.price.as_ref()))),
        None => match s.price {
            Some(c) => Err(Error::from(Invalid::new("package_price", c.warning())).into()),
            None => Err(Error::Internal("a sealed bid was not written".into()).into()),
        },
    }
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/lots/{id}/bid")]
pub async fn withdraw_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    run(&state, move |cx| bids::withdraw(cx, &p, None, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A bid as its supplier sees it: the price only after the commercial opening.
#[derive(Serialize, ToSchema)]
pub struct BidOut {
    pub id: i64,
    pub lot_id: i64,
    pub status: String,
    pub version: i32,
    pub technical_digest: String,
    pub commercial_digest: String,
    /// passed or failed, once the technical results are published.
    pub technical_result: Option<String>,
    /// Why the review failed the bid: each reason's stable code, its arguments and its words
    /// in the language of `Accept-Language` (default zh-CN).
    pub technical_reasons: Vec<ReasonOut>,
    pub unit_price: Option<String>,
}

/// A reason of the technical review.
#[derive(Serialize, ToSchema)]
pub struct ReasonOut {
    /// e.g. no_valid_gmp_certificate, capacity_below_required
    #[schema(value_type = String)]
    pub code: Code,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    pub message: String,
}

impl ReasonOut {
    fn new(m: &Msg, t: &Tr) -> Self {
        ReasonOut {
            code: m.code,
            args: m
                .args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            message: t.msg(m),
        }
    }
}

fn reader_language(req: &HttpRequest) -> Tr {
    super::auth::language(&req.get_session(), req, None)
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "bid id")), responses((status = 200, body = BidOut), (status = 404, body = ErrorBody)))]
#[get("/bids/{id}")]
pub async fn get_bid(
    req: HttpRequest,
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<BidOut>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let o = run(&state, move |cx| bids::own_bid(cx, &p, id)).await?;
    let b = o.bid;
    let t = reader_language(&req);
    Ok(web::Json(BidOut {
        id: b.id,
        lot_id: b.lot_id,
        status: b.status.to_string(),
        version: b.version,
        technical_digest: b.technical_digest.clone(),
        commercial_digest: b.commercial_digest.clone(),
        technical_result: b
            .technical_result
            .filter(|_| o.results)
            .map(|r| r.to_string()),
        technical_reasons: if o.results {
            b.reason_msgs()
                .iter()
                .map(|m| ReasonOut::new(m, &t))
                .collect()
        } else {
            vec![]
        },
        unit_price: b
            .unit_price
            .filter(|_| o.price)
            .map(|p| Money::from_ten_thousandths(p).to_string()),
    }))
}

/// Products of a lot's drug, to choose from when bidding: for a supplier its own (those it may
/// bid with; a distribution enterprise that is no national agent: 403 `distributors_do_not_bid`);
/// for others who see the lot, all of them.
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 200, body = Vec<crate::store::catalog::Product>), (status = 403, body = ErrorBody)))]
#[get("/lots/{id}/products")]
pub async fn lot_products(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<crate::store::catalog::Product>>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let ps = run(&state, move |cx| bids::lot_products(cx, &p, id)).await?;
    Ok(web::Json(ps))
}

#[derive(Deserialize, ToSchema)]
pub struct ScoreIn {
    /// Whole points, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub score: i64,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "bid id")), request_body = ScoreIn, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/bids/{id}/score")]
pub async fn score_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ScoreIn>,
) -> Result<HttpResponse, ApiError> {
    if u.p.role != crate::domain::roles::Role::Expert {
        return Err(Error::Forbidden(Code::OnlyExpertsScore.into()).into());
    }
    let (id, p) = (id.into_inner(), u.p);
    let score = bounds::in_range("score", body.score, bounds::SCORE)?;
    run(&state, move |cx| bids::score(cx, &p, id, score)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------- a lot's bids, for review ----------

/// A licence declared in a technical envelope.
#[derive(Serialize, ToSchema)]
pub struct LicenceOut {
    /// manufacturing, business, gmp, gsp
    pub kind: String,
    pub number: String,
    pub expires_on: String,
}

/// A document of a technical envelope, by its digest.
#[derive(Serialize, ToSchema)]
pub struct DocumentOut {
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

/// A bid's technical envelope and its review.
#[derive(Serialize, ToSchema)]
pub struct TechnicalOut {
    pub product_id: i64,
    pub approval_number: String,
    pub units_per_package: i32,
    pub manufacturer_id: i64,
    pub manufacturer_name: String,
    /// For an imported product, the national agent who bids with it.
    pub national_agent_id: Option<i64>,
    /// Units of use a year.
    pub annual_capacity: i64,
    pub licences: Vec<LicenceOut>,
    pub documents: Vec<DocumentOut>,
    /// SHA-256 of the technical envelope.
    pub technical_digest: String,
    /// passed or failed.
    pub result: Option<String>,
    pub reasons: Vec<ReasonOut>,
    /// An expert's technical score (composite-score lots).
    pub score: Option<i64>,
}

/// A bid's opened price and its rank.
#[derive(Serialize, ToSchema)]
pub struct CommercialOut {
    /// Yuan per package (absent for a bid whose envelope was not opened: not qualified).
    pub package_price: Option<String>,
    /// Yuan per unit of use.
    pub unit_price: Option<String>,
    /// Valid at the opening (qualified, priced, within the maximum valid price).
    pub valid: bool,
    /// Why not valid: bid_not_qualified, bid_price_not_positive, bid_price_above_max.
    pub invalid_reason: Option<String>,
    /// 1 = first, among the valid bids (absent when invalid or the lot failed).
    pub rank: Option<usize>,
}

/// One bid of a lot as center staff and experts review it.
#[derive(Serialize, ToSchema)]
pub struct LotBidOut {
    pub bid_id: i64,
    pub supplier_id: i64,
    pub supplier_name: String,
    pub version: i32,
    pub submitted_at: String,
    pub technical: TechnicalOut,
    /// Only after the commercial opening.
    pub commercial: Option<CommercialOut>,
}

/// A lot's active bids.
#[derive(Serialize, ToSchema)]
pub struct LotBidsOut {
    pub tender_id: i64,
    pub lot_id: i64,
    /// The tender's state.
    pub state: String,
    /// What is shown: technical (after the technical opening) or commercial (after the
    /// commercial opening: prices and ranks too).
    pub stage: String,
    pub bids: Vec<LotBidOut>,
}

fn technical_out(d: &BidDetail, t: &Tr) -> TechnicalOut {
    let b = &d.bid;
    TechnicalOut {
        product_id: d.product.id,
        approval_number: d.product.approval_number.clone(),
        units_per_package: d.product.units_per_package,
        manufacturer_id: d.product.manufacturer_id,
        manufacturer_name: d.product.manufacturer_name.clone(),
        national_agent_id: d.product.national_agent_id,
        annual_capacity: b.annual_capacity,
        licences: d
            .licences
            .iter()
            .map(|(k, n, e)| LicenceOut {
                kind: k.to_string(),
                number: n.clone(),
                expires_on: e.to_string(),
            })
            .collect(),
        documents: d
            .documents
            .iter()
            .map(|x| DocumentOut {
                name: x.name.clone(),
                sha256: x.sha256.clone(),
                size: x.size,
            })
            .collect(),
        technical_digest: b.technical_digest.clone(),
        result: b.technical_result.map(|r| r.to_string()),
        reasons: b
            .reason_msgs()
            .iter()
            .map(|m| ReasonOut::new(m, t))
            .collect(),
        score: b.technical_score,
    }
}

fn commercial_out(d: &BidDetail, award: Option<&Outcome>) -> CommercialOut {
    let b = &d.bid;
    let (ranking, invalid) = match award {
        Some(Outcome::Awarded {
            ranking, invalid, ..
        }) => (&ranking[..], &invalid[..]),
        Some(Outcome::Failed { invalid, .. }) => (&[][..], &invalid[..]),
        None => (&[][..], &[][..]),
    };
    let invalid_reason = invalid
        .iter()
        .find(|i| i.bid_id == b.id)
        .map(|i| i.reason.clone());
    CommercialOut {
        package_price: b
            .package_price
            .map(|p| Money::from_ten_thousandths(p).to_string()),
        unit_price: b
            .unit_price
            .map(|p| Money::from_ten_thousandths(p).to_string()),
        valid: award.is_some() && invalid_reason.is_none(),
        invalid_reason,
        rank: ranking.iter().find(|r| r.bid_id == b.id).map(|r| r.rank),
    }
}

fn lot_bids_out(l: LotBids, t: &Tr) -> LotBidsOut {
    let outcome = l.award.as_ref().map(|a| &a.outcome);
    LotBidsOut {
        tender_id: l.tender.id,
        lot_id: l.lot.id,
        state: l.state.to_string(),
        stage: match l.view {
            LotBidsView::Technical => "technical",
            LotBidsView::Commercial => "commercial",
        }
        .into(),
        bids: l
            .bids
            .iter()
            .map(|d| LotBidOut {
                bid_id: d.bid.id,
                supplier_id: d.bid.supplier_id,
                supplier_name: d.supplier_name.clone(),
                version: d.bid.version,
                submitted_at: d.bid.submitted_at.and_utc().to_rfc3339(),
                technical: technical_out(d, t),
                commercial: match l.view {
                    LotBidsView::Commercial => Some(commercial_out(d, outcome)),
                    LotBidsView::Technical => None,
                },
            })
            .collect(),
    }
}

/// A lot's bids, for center staff and experts only: the technical envelopes (product, maker,
/// licences, capacity, documents' digests, review result) once the technical envelopes are
/// opened; prices and ranks once the price envelopes are. Before the technical opening the
/// bids are sealed: 409 `bids_sealed_until_technical_opening` (never an empty list).
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "tender id"), ("lot" = i64, Path, description = "lot id")), responses((status = 200, body = LotBidsOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[get("/tenders/{id}/lots/{lot}/bids")]
pub async fn lot_bids(
    req: HttpRequest,
    u: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<LotBidsOut>, ApiError> {
    let ((tid, lid), p) = (path.into_inner(), u.p);
    let l = run(&state, move |cx| bids::lot_bids(cx, &p, tid, lid)).await?;
    Ok(web::Json(lot_bids_out(l, &reader_language(&req))))
}
