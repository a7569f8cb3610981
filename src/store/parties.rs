//! Institutions and suppliers (with their licences).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::{institutions, licences, regions, suppliers};
use super::{audit, regions as region_store, Act, DbConn, Result, StoreError};
use crate::domain::catalog::{
    CreditStatus, InstitutionInput, InstitutionKind, LicenceInput, LicenceKind, SupplierInput,
    SupplierKind,
};
use crate::domain::paging::{like_pattern, Page, PageRequest};
use crate::domain::roles::Scope;
use crate::domain::{Code, Invalid, Msg};

// ---------- institutions ----------

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = institutions)]
pub struct InstitutionRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: InstitutionKind,
    pub region_id: i64,
    pub parent_id: Option<i64>,
    pub remote: bool,
    pub emails: String,
    pub created_at: NaiveDateTime,
}

/// An institution with its region, as lists and the API show it.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Institution {
    pub id: i64,
    pub code: String,
    pub name: String,
    #[schema(value_type = String)]
    pub kind: InstitutionKind,
    pub region_id: i64,
    pub region_code: String,
    pub region_name: String,
    pub parent_id: Option<i64>,
    pub remote: bool,
    pub emails: String,
}

fn institution_view(
    (r, region_code, region_name): (InstitutionRow, String, String),
) -> Institution {
    Institution {
        id: r.id,
        code: r.code,
        name: r.name,
        kind: r.kind,
        region_id: r.region_id,
        region_code,
        region_name,
        parent_id: r.parent_id,
        remote: r.remote,
        emails: r.emails,
    }
}

fn scoped<'a>(
    mut q: institutions::BoxedQuery<'a, super::MultiBackend>,
    scope: &Scope,
) -> institutions::BoxedQuery<'a, super::MultiBackend> {
    if let Scope::Only(ids) = scope {
        q = q.filter(institutions::id.eq_any(ids.clone()));
    }
    q
}

/// Institutions in scope, searched by code or name, in code order.
pub fn list_institutions(
    conn: &mut DbConn,
    scope: &Scope,
    q: &str,
    kind: Option<InstitutionKind>,
    page: &PageRequest,
) -> Result<Page<Institution>> {
    let build = || {
        let mut b = scoped(institutions::table.into_boxed(), scope);
        if !q.trim().is_empty() {
            let p = like_pattern(q);
            b = b.filter(
                institutions::name
                    .like(p.clone())
                    .escape('\\')
                    .or(institutions::code.like(p).escape('\\')),
            );
        }
        if let Some(k) = kind {
            b = b.filter(institutions::kind.eq(k));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let ids: Vec<i64> = build()
        .order(institutions::code.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(institutions::id)
        .load(conn)?;
    let items = institutions_by_ids(conn, &ids)?;
    Ok(page.of(items, total))
}

fn institutions_by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Institution>> {
    let rows: Vec<(InstitutionRow, String, String)> = institutions::table
        .inner_join(regions::table)
        .filter(institutions::id.eq_any(ids))
        .order(institutions::code.asc())
        .select((InstitutionRow::as_select(), regions::code, regions::name_zh))
        .load(conn)?;
    Ok(rows.into_iter().map(institution_view).collect())
}

pub fn get_institution(conn: &mut DbConn, id: i64) -> Result<Institution> {
    institutions_by_ids(conn, &[id])?
        .pop()
        .ok_or_else(|| StoreError::NotFound(Code::InstitutionNotFound.into()))
}

pub fn institution_by_code(conn: &mut DbConn, code: &str) -> Result<Option<Institution>> {
    let id: Option<i64> = institutions::table
        .filter(institutions::code.eq(code))
        .select(institutions::id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => Ok(Some(get_institution(conn, id)?)),
        None => Ok(None),
    }
}

/// Village clinics under a township center.
pub fn children_of(conn: &mut DbConn, id: i64) -> Result<Vec<i64>> {
    Ok(institutions::table
        .filter(institutions::parent_id.eq(id))
        .select(institutions::id)
        .load(conn)?)
}

pub fn count_institutions(conn: &mut DbConn) -> Result<i64> {
    Ok(institutions::table.count().get_result(conn)?)
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = institutions, treat_none_as_null = true)]
struct InstitutionChanges<'a> {
    code: &'a str,
    name: &'a str,
    kind: InstitutionKind,
    region_id: i64,
    parent_id: Option<i64>,
    remote: bool,
    emails: &'a str,
}

fn institution_changes<'a>(
    conn: &mut DbConn,
    self_id: Option<i64>,
    input: &'a InstitutionInput,
) -> Result<InstitutionChanges<'a>> {
    let region_id = region_store::id_of(conn, "region_code", &input.region_code)?;
    let parent_id = match &input.parent_code {
        None => None,
        Some(pc) => {
            let parent = institution_by_code(conn, pc)?.ok_or_else(|| {
                Invalid::new(
                    "parent_code",
                    Msg::new(Code::NoInstitutionWithCode).arg("code", pc),
                )
            })?;
            if parent.kind != InstitutionKind::TownshipCenter {
                return Err(Invalid::new(
                    "parent_code",
                    Msg::new(Code::NotATownshipCenter).arg("code", pc),
                )
                .into());
            }
            if Some(parent.id) == self_id {
                return Err(Invalid::new("parent_code", Code::OwnParent).into());
            }
            Some(parent.id)
        }
    };
    Ok(InstitutionChanges {
        code: &input.code,
        name: &input.name,
        kind: input.kind,
        region_id,
        parent_id,
        remote: input.remote,
        emails: &input.emails,
    })
}

#[derive(Insertable)]
#[diesel(table_name = institutions)]
struct NewInstitution<'a> {
    #[diesel(embed)]
    fields: InstitutionChanges<'a>,
    created_at: NaiveDateTime,
}

pub fn create_institution(
    conn: &mut DbConn,
    act: &Act,
    input: &InstitutionInput,
) -> Result<Institution> {
    super::write_tx(conn, |conn| {
        if institution_by_code(conn, &input.code)?.is_some() {
            return Err(Invalid::new(
                "code",
                Msg::new(Code::InstitutionExists).arg("code", &input.code),
            )
            .into());
        }
        let fields = institution_changes(conn, None, input)?;
        let id: i64 = diesel::insert_into(institutions::table)
            .values(NewInstitution {
                fields,
                created_at: act.stamp(),
            })
            .returning(institutions::id)
            .get_result(conn)?;
        let after = get_institution(conn, id)?;
        audit::append(
            conn,
            act,
            "create",
            "institution",
            id,
            None::<&()>,
            Some(&after),
        )?;
        Ok(after)
    })
}

pub fn update_institution(
    conn: &mut DbConn,
    act: &Act,
    id: i64,
    input: &InstitutionInput,
) -> Result<Institution> {
    super::audited_update(
        conn,
        act,
        ("update", "institution", id),
        get_institution,
        |conn| {
            let holder = institution_by_code(conn, &input.code)?.map(|o| o.id);
            super::unique_but_for(holder, id, "code", Code::InstitutionExists, &input.code)?;
            let changes = institution_changes(conn, Some(id), input)?;
            diesel::update(institutions::table.find(id))
                .set(&changes)
                .execute(conn)?;
            Ok(())
        },
    )
}

/// Changes only the contact e-mails: what an institution's own user may edit.
pub fn set_institution_emails(
    conn: &mut DbConn,
    act: &Act,
    id: i64,
    emails: &str,
) -> Result<Institution> {
    super::audited_update(
        conn,
        act,
        ("update_contacts", "institution", id),
        get_institution,
        |conn| {
            diesel::update(institutions::table.find(id))
                .set(institutions::emails.eq(emails))
                .execute(conn)?;
            Ok(())
        },
    )
}

// ---------- suppliers ----------

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone)]
#[diesel(table_name = suppliers)]
pub struct Supplier {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    #[schema(value_type = String)]
    pub kind: SupplierKind,
    pub region_id: i64,
    #[schema(value_type = String)]
    pub credit_status: CreditStatus,
    pub emails: String,
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone)]
#[diesel(table_name = licences)]
pub struct Licence {
    pub id: i64,
    pub supplier_id: i64,
    #[schema(value_type = String)]
    pub kind: LicenceKind,
    pub number: String,
    pub expires_on: chrono::NaiveDate,
}

pub fn list_suppliers(
    conn: &mut DbConn,
    scope: &Scope,
    q: &str,
    kind: Option<SupplierKind>,
    page: &PageRequest,
) -> Result<Page<Supplier>> {
    let build = || {
        let mut b = suppliers::table.into_boxed();
        if let Scope::Only(ids) = scope {
            b = b.filter(suppliers::id.eq_any(ids.clone()));
        }
        if !q.trim().is_empty() {
            let p = like_pattern(q);
            b = b.filter(
                suppliers::name
                    .like(p.clone())
                    .escape('\\')
                    .or(suppliers::uscc.like(p.to_uppercase()).escape('\\')),
            );
        }
        if let Some(k) = kind {
            b = b.filter(suppliers::kind.eq(k));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order(suppliers::name.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Supplier::as_select())
        .load(conn)?;
    Ok(page.of(items, total))
}

pub fn get_supplier(conn: &mut DbConn, id: i64) -> Result<Supplier> {
    suppliers::table
        .find(id)
        .select(Supplier::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::SupplierNotFound.into()))
}

pub fn supplier_by_uscc(conn: &mut DbConn, uscc: &str) -> Result<Option<Supplier>> {
    Ok(suppliers::table
        .filter(suppliers::uscc.eq(uscc))
        .select(Supplier::as_select())
        .first(conn)
        .optional()?)
}

pub fn count_suppliers(conn: &mut DbConn) -> Result<i64> {
    Ok(suppliers::table.count().get_result(conn)?)
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = suppliers)]
struct SupplierChanges<'a> {
    uscc: &'a str,
    name: &'a str,
    kind: SupplierKind,
    region_id: i64,
    credit_status: CreditStatus,
    emails: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = suppliers)]
struct NewSupplier<'a> {
    #[diesel(embed)]
    fields: SupplierChanges<'a>,
    created_at: NaiveDateTime,
}

/// A supplier with its licences, as recorded in the audit log.
#[derive(Serialize)]
struct SupplierRecord<'a> {
    supplier: &'a Supplier,
    licences: &'a [Licence],
}

pub fn create_supplier(conn: &mut DbConn, act: &Act, input: &SupplierInput) -> Result<Supplier> {
    super::write_tx(conn, |conn| {
        if supplier_by_uscc(conn, &input.uscc)?.is_some() {
            return Err(Invalid::new(
                "uscc",
                Msg::new(Code::SupplierExists).arg("code", &input.uscc),
            )
            .into());
        }
        let region_id = region_store::id_of(conn, "region_code", &input.region_code)?;
        let id: i64 = diesel::insert_into(suppliers::table)
            .values(NewSupplier {
                fields: supplier_changes(input, region_id),
                created_at: act.stamp(),
            })
            .returning(suppliers::id)
            .get_result(conn)?;
        let after = get_supplier(conn, id)?;
        audit::append(
            conn,
            act,
            "create",
            "supplier",
            id,
            None::<&()>,
            Some(&after),
        )?;
        Ok(after)
    })
}

/// The columns a supplier's form sets.
fn supplier_changes(input: &SupplierInput, region_id: i64) -> SupplierChanges<'_> {
    SupplierChanges {
        uscc: &input.uscc,
        name: &input.name,
        kind: input.kind,
        region_id,
        credit_status: input.credit_status,
        emails: &input.emails,
    }
}

pub fn update_supplier(
    conn: &mut DbConn,
    act: &Act,
    id: i64,
    input: &SupplierInput,
) -> Result<Supplier> {
    super::audited_update(
        conn,
        act,
        ("update", "supplier", id),
        get_supplier,
        |conn| {
            let holder = supplier_by_uscc(conn, &input.uscc)?.map(|o| o.id);
            super::unique_but_for(holder, id, "uscc", Code::SupplierExists, &input.uscc)?;
            let region_id = region_store::id_of(conn, "region_code", &input.region_code)?;
            diesel::update(suppliers::table.find(id))
                .set(supplier_changes(input, region_id))
                .execute(conn)?;
            Ok(())
        },
    )
}

/// Changes only the contact e-mails: what a supplier's own user may edit.
pub fn set_supplier_emails(
    conn: &mut DbConn,
    act: &Act,
    id: i64,
    emails: &str,
) -> Result<Supplier> {
    super::audited_update(
        conn,
        act,
        ("update_contacts", "supplier", id),
        get_supplier,
        |conn| {
            diesel::update(suppliers::table.find(id))
                .set(suppliers::emails.eq(emails))
                .execute(conn)?;
            Ok(())
        },
    )
}

pub fn licences_of(conn: &mut DbConn, supplier_id: i64) -> Result<Vec<Licence>> {
    Ok(licences::table
        .filter(licences::supplier_id.eq(supplier_id))
        .order((licences::kind.asc(), licences::expires_on.asc()))
        .select(Licence::as_select())
        .load(conn)?)
}

#[derive(Insertable)]
#[diesel(table_name = licences)]
struct NewLicence<'a> {
    supplier_id: i64,
    kind: LicenceKind,
    number: &'a str,
    expires_on: chrono::NaiveDate,
}

pub fn add_licence(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    input: &LicenceInput,
) -> Result<Licence> {
    super::write_tx(conn, |conn| {
        let supplier = get_supplier(conn, supplier_id)?;
        let before = licences_of(conn, supplier_id)?;
        let id: i64 = diesel::insert_into(licences::table)
            .values(NewLicence {
                supplier_id,
                kind: input.kind,
                number: &input.number,
                expires_on: input.expires_on,
            })
            .returning(licences::id)
            .get_result(conn)?;
        let after = licences_of(conn, supplier_id)?;
        audit::append(
            conn,
            act,
            "add_licence",
            "supplier",
            supplier_id,
            Some(&SupplierRecord {
                supplier: &supplier,
                licences: &before,
            }),
            Some(&SupplierRecord {
                supplier: &supplier,
                licences: &after,
            }),
        )?;
        after
            .into_iter()
            .find(|l| l.id == id)
            .ok_or_else(|| StoreError::NotFound(Code::LicenceNotFound.into()))
    })
}

pub fn remove_licence(
    conn: &mut DbConn,
    act: &Act,
    supplier_id: i64,
    licence_id: i64,
) -> Result<()> {
    super::write_tx(conn, |conn| {
        let supplier = get_supplier(conn, supplier_id)?;
        let before = licences_of(conn, supplier_id)?;
        let n = diesel::delete(
            licences::table
                .filter(licences::id.eq(licence_id))
                .filter(licences::supplier_id.eq(supplier_id)),
        )
        .execute(conn)?;
        if n == 0 {
            return Err(StoreError::NotFound(Code::LicenceNotFound.into()));
        }
        let after = licences_of(conn, supplier_id)?;
        audit::append(
            conn,
            act,
            "remove_licence",
            "supplier",
            supplier_id,
            Some(&SupplierRecord {
                supplier: &supplier,
                licences: &before,
            }),
            Some(&SupplierRecord {
                supplier: &supplier,
                licences: &after,
            }),
        )?;
        Ok(())
    })
}

/// Every institution as (id, code, name), by name: what an institution picker offers.
pub fn institution_names(conn: &mut DbConn) -> Result<Vec<(i64, String, String)>> {
    Ok(institutions::table
        .order((institutions::name.asc(), institutions::id.asc()))
        .select((institutions::id, institutions::code, institutions::name))
        .load(conn)?)
}

/// Every supplier as (id, USCC, name), by name: what a supplier picker offers.
pub fn supplier_names(conn: &mut DbConn) -> Result<Vec<(i64, String, String)>> {
    Ok(suppliers::table
        .order((suppliers::name.asc(), suppliers::id.asc()))
        .select((suppliers::id, suppliers::uscc, suppliers::name))
        .load(conn)?)
}
