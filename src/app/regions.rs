//! The province's regions (province, cities, counties, townships), kept by center staff.

use super::{may_administer, Ctx, Result};
use crate::domain::catalog::RegionInput;
use crate::domain::roles::Principal;
use crate::store::regions::{self as store, Region};

/// Every region (read by every signed-in role: pickers and names).
pub fn all(cx: &Ctx) -> Result<Vec<Region>> {
    Ok(store::all(&mut *cx.conn()?)?)
}

/// A new region (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn create(cx: &Ctx, p: &Principal, input: &RegionInput) -> Result<Region> {
    may_administer(p)?;
    Ok(store::create(&mut *cx.conn()?, &cx.act(p), input)?)
}

/// Changes a region (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username, region = id))]
pub fn update(cx: &Ctx, p: &Principal, id: i64, input: &RegionInput) -> Result<Region> {
    may_administer(p)?;
    Ok(store::update(&mut *cx.conn()?, &cx.act(p), id, input)?)
}
