//! `GET /api/v1/commitments`: committed volumes, what was bought against them, what remains
//! and whether the buyer keeps pace (an institution its own; center staff and regulators all,
//! by county and supplier).

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{run, ApiError, AppState};
use crate::app::commitments::{self, Asked, Line};

#[derive(Serialize, ToSchema)]
pub struct CommitmentOut {
    pub contract_id: i64,
    pub institution_id: i64,
    pub institution_code: String,
    pub institution_name: String,
    /// The county the institution lies in.
    pub county_id: i64,
    pub supplier_id: i64,
    pub supplier_name: String,
    pub drug_id: i64,
    pub drug_code: String,
    pub drug_name: String,
    /// Committed volume, units of use.
    pub committed: i64,
    /// Ordered under the contract on lines neither cancelled (the order) nor declined (the line).
    pub bought: i64,
    /// committed − bought, never below 0 (buying beyond the commitment is allowed).
    pub remaining: i64,
    /// What an even pace over the contract's period would have bought by today.
    pub pace: i64,
    /// Bought below the configured share of the pace (`JICAI_COMMITMENT_BEHIND_PCT`, 80 %).
    pub behind: bool,
    pub starts_on: String,
    pub ends_on: String,
}

impl From<Line> for CommitmentOut {
    fn from(l: Line) -> Self {
        let c = l.c;
        CommitmentOut {
            contract_id: c.contract_id,
            institution_id: c.institution_id,
            institution_code: c.institution_code,
            institution_name: c.institution_name,
            county_id: c.county_id,
            supplier_id: c.supplier_id,
            supplier_name: c.supplier_name,
            drug_id: c.drug_id,
            drug_code: c.drug_code,
            drug_name: c.drug_name,
            committed: l.p.committed,
            bought: l.p.bought,
            remaining: l.p.remaining,
            pace: l.p.pace,
            behind: l.p.behind,
            starts_on: c.starts_on.to_string(),
            ends_on: c.ends_on.to_string(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct CommitmentQuery {
    /// Only institutions in this county (region id).
    pub county_id: Option<i64>,
    /// Only contracts of this supplier.
    pub supplier_id: Option<i64>,
}

/// The committed volumes the caller may read: an institution's user its own institution's
/// (and its village clinics'), center staff and regulators every institution's.
#[utoipa::path(tag = "orders", params(CommitmentQuery), responses((status = 200, body = Vec<CommitmentOut>), (status = 403, body = ErrorBody)))]
#[get("/commitments")]
pub async fn list_commitments(
    u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<CommitmentQuery>,
) -> Result<web::Json<Vec<CommitmentOut>>, ApiError> {
    let a = Asked {
        county_id: q.county_id,
        supplier_id: q.supplier_id,
    };
    let p = u.p;
    let lines = run(&state, move |cx| commitments::list(cx, &p, a)).await?;
    Ok(web::Json(lines.into_iter().map(Into::into).collect()))
}
