//! Institutions and suppliers: who may see which, and who may change their contacts. Each rule
//! is stated once; pages and the API both ask here.

use super::{may_administer, Ctx, Error, Result};
use crate::domain::catalog::{InstitutionInput, LicenceForm, SupplierInput};
use crate::domain::roles::{Principal, Role, Scope};
use crate::domain::{email_list, Code};
use crate::store::parties::{self, Institution, Licence, Supplier};
use crate::store::DbConn;

/// Institutions a principal acts for or reads: every one for staff and regulators, an
/// institution and its village clinics for an institution's user, none for anyone else.
pub fn acting_scope(conn: &mut DbConn, p: &Principal) -> Result<Scope> {
    match (p.role, p.institution_id) {
        (Role::Institution, Some(id)) => {
            let kids = parties::children_of(conn, id)?;
            Ok(p.institution_scope(&kids))
        }
        _ => Ok(p.institution_scope(&[])),
    }
}

/// The institutions a principal may look at: staff, regulators and institutions' users (their
/// own and its clinics); anyone else is refused.
pub fn institution_scope(conn: &mut DbConn, p: &Principal) -> Result<Scope> {
    match (p.role, p.institution_id) {
        (Role::Center | Role::Regulator, _) | (Role::Institution, Some(_)) => acting_scope(conn, p),
        _ => Err(Error::forbidden()),
    }
}

/// The suppliers a principal may look at: staff and regulators all, a supplier's user its own;
/// anyone else is refused.
pub fn supplier_scope(p: &Principal) -> Result<Scope> {
    match p.role {
        Role::Center | Role::Regulator | Role::Supplier => Ok(p.supplier_scope()),
        _ => Err(Error::forbidden()),
    }
}

/// The supplier a supplier's user acts for; anyone else is refused with `refusal`.
pub fn acting_supplier(p: &Principal, refusal: Code) -> Result<i64> {
    match (p.role, p.supplier_id) {
        (Role::Supplier, Some(s)) => Ok(s),
        _ => Err(Error::Forbidden(refusal.into())),
    }
}

/// An institution the principal may see (outside its scope it does not exist for it).
#[tracing::instrument(skip_all, fields(user = %p.username, institution = id))]
pub fn institution(cx: &Ctx, p: &Principal, id: i64) -> Result<Institution> {
    let mut c = cx.conn()?;
    if !institution_scope(&mut c, p)?.allows(id) {
        return Err(Error::NotFound(Code::InstitutionNotFound.into()));
    }
    Ok(parties::get_institution(&mut c, id)?)
}

/// A supplier the principal may see (outside its scope it does not exist for it).
#[tracing::instrument(skip_all, fields(user = %p.username, supplier = id))]
pub fn supplier(cx: &Ctx, p: &Principal, id: i64) -> Result<Supplier> {
    if !supplier_scope(p)?.allows(id) {
        return Err(Error::NotFound(Code::SupplierNotFound.into()));
    }
    Ok(parties::get_supplier(&mut *cx.conn()?, id)?)
}

/// Replaces an institution's contact e-mails: center staff, or the institution's own user (a
/// township center's user for its village clinics too).
#[tracing::instrument(skip_all, fields(user = %p.username, institution = id))]
pub fn set_institution_contacts(
    cx: &Ctx,
    p: &Principal,
    id: i64,
    emails: &str,
) -> Result<Institution> {
    let inst = institution(cx, p, id)?;
    if !p.can_edit_institution(id, inst.parent_id) {
        return Err(Error::forbidden());
    }
    let emails = email_list("emails", emails)?;
    Ok(parties::set_institution_emails(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        &emails,
    )?)
}

/// May this principal change this supplier's records (contacts, licences)? A supplier's user
/// who is not the supplier's does not see it at all (404); others who see it are refused (403).
pub fn check_supplier_edit(p: &Principal, id: i64) -> Result<()> {
    if !supplier_scope(p)?.allows(id) {
        return Err(Error::NotFound(Code::SupplierNotFound.into()));
    }
    if !p.can_edit_supplier(id) {
        return Err(Error::forbidden());
    }
    Ok(())
}

/// Replaces a supplier's contact e-mails: center staff or the supplier's own users.
#[tracing::instrument(skip_all, fields(user = %p.username, supplier = id))]
pub fn set_supplier_contacts(cx: &Ctx, p: &Principal, id: i64, emails: &str) -> Result<Supplier> {
    check_supplier_edit(p, id)?;
    let emails = email_list("emails", emails)?;
    Ok(parties::set_supplier_emails(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        &emails,
    )?)
}

/// A new institution (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn create_institution(
    cx: &Ctx,
    p: &Principal,
    input: &InstitutionInput,
) -> Result<Institution> {
    may_administer(p)?;
    Ok(parties::create_institution(
        &mut *cx.conn()?,
        &cx.act(p),
        input,
    )?)
}

/// Changes an institution's record (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username, institution = id))]
pub fn update_institution(
    cx: &Ctx,
    p: &Principal,
    id: i64,
    input: &InstitutionInput,
) -> Result<Institution> {
    may_administer(p)?;
    Ok(parties::update_institution(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        input,
    )?)
}

/// A new supplier (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn create_supplier(cx: &Ctx, p: &Principal, input: &SupplierInput) -> Result<Supplier> {
    may_administer(p)?;
    Ok(parties::create_supplier(
        &mut *cx.conn()?,
        &cx.act(p),
        input,
    )?)
}

/// Changes a supplier's record (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username, supplier = id))]
pub fn update_supplier(
    cx: &Ctx,
    p: &Principal,
    id: i64,
    input: &SupplierInput,
) -> Result<Supplier> {
    may_administer(p)?;
    Ok(parties::update_supplier(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        input,
    )?)
}

/// Adds a licence to a supplier's record: center staff or the supplier's own users.
#[tracing::instrument(skip_all, fields(user = %p.username, supplier = id))]
pub fn add_licence(cx: &Ctx, p: &Principal, id: i64, form: &LicenceForm) -> Result<Licence> {
    check_supplier_edit(p, id)?;
    let input = form.validate()?;
    Ok(parties::add_licence(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        &input,
    )?)
}

/// Removes a licence from a supplier's record: center staff or the supplier's own users.
#[tracing::instrument(skip_all, fields(user = %p.username, supplier = id, licence = licence))]
pub fn remove_licence(cx: &Ctx, p: &Principal, id: i64, licence: i64) -> Result<()> {
    check_supplier_edit(p, id)?;
    Ok(parties::remove_licence(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        licence,
    )?)
}

/// What the pickers of center staff's forms offer: every institution and supplier as (id, code,
/// name), every region. Staff and regulators only (they read every party).
pub struct PartyChoices {
    pub institutions: Vec<(i64, String, String)>,
    pub suppliers: Vec<(i64, String, String)>,
    pub regions: Vec<crate::store::regions::Region>,
}

pub fn party_choices(cx: &Ctx, p: &Principal) -> Result<PartyChoices> {
    if !p.reads_everything() {
        return Err(Error::forbidden());
    }
    let mut c = cx.conn()?;
    Ok(PartyChoices {
        institutions: parties::institution_names(&mut c)?,
        suppliers: parties::supplier_names(&mut c)?,
        regions: crate::store::regions::all(&mut c)?,
    })
}
