//! The catalog: drugs and products, kept by center staff.

use super::{may_administer, Ctx, Result};
use crate::domain::catalog::{DrugForm, ProductForm};
use crate::domain::roles::Principal;
use crate::store::catalog::{self as store, Drug, Product};

#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn create_drug(cx: &Ctx, p: &Principal, form: &DrugForm) -> Result<Drug> {
    may_administer(p)?;
    let input = form.validate()?;
    Ok(store::create_drug(&mut *cx.conn()?, &cx.act(p), &input)?)
}

#[tracing::instrument(skip_all, fields(user = %p.username, drug = id))]
pub fn update_drug(cx: &Ctx, p: &Principal, id: i64, form: &DrugForm) -> Result<Drug> {
    may_administer(p)?;
    let input = form.validate()?;
    Ok(store::update_drug(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        &input,
    )?)
}

#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn create_product(cx: &Ctx, p: &Principal, form: &ProductForm) -> Result<Product> {
    may_administer(p)?;
    let input = form.validate()?;
    Ok(store::create_product(&mut *cx.conn()?, &cx.act(p), &input)?)
}

#[tracing::instrument(skip_all, fields(user = %p.username, product = id))]
pub fn update_product(cx: &Ctx, p: &Principal, id: i64, form: &ProductForm) -> Result<Product> {
    may_administer(p)?;
    let input = form.validate()?;
    Ok(store::update_product(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        &input,
    )?)
}

/// The drugs a picker offers (the catalog is read by every signed-in role).
pub fn drug_choices(cx: &Ctx) -> Result<Vec<Drug>> {
    Ok(store::all_drugs(&mut *cx.conn()?)?)
}

/// These drugs, by id (the catalog is read by every signed-in role): for naming them in the
/// reader's language.
pub fn drugs_by_id(cx: &Ctx, ids: &[i64]) -> Result<std::collections::BTreeMap<i64, Drug>> {
    Ok(crate::store::names::drugs_by_id(&mut *cx.conn()?, ids)?)
}
