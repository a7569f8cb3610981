//! Names for pages that would otherwise show ids: the drugs of a picker, the institutions and
//! the manufacturers a page mentions.

use diesel::prelude::*;
use std::collections::BTreeMap;

use super::catalog::Drug;
use super::schema::{drugs, institutions, products, suppliers};
use super::{DbConn, Result};

/// Every drug of the catalog, by code (a picker's choices).
pub fn drugs(conn: &mut DbConn) -> Result<Vec<Drug>> {
    Ok(drugs::table
        .order(drugs::code.asc())
        .select(Drug::as_select())
        .load(conn)?)
}

/// These drugs, by id.
pub fn drugs_by_id(conn: &mut DbConn, ids: &[i64]) -> Result<BTreeMap<i64, Drug>> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<Drug> = drugs::table
            .filter(drugs::id.eq_any(chunk))
            .select(Drug::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|d| (d.id, d)));
    }
    Ok(out)
}

/// These institutions' names, by id.
pub fn institutions(conn: &mut DbConn, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = institutions::table
            .filter(institutions::id.eq_any(chunk))
            .select((institutions::id, institutions::name))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// The suppliers that may be designated producers of this drug: the manufacturers with a
/// product of it and the national agents of its imported products, `(supplier, name)`, by name.
pub fn makers_of_drug(conn: &mut DbConn, drug_id: i64) -> Result<Vec<(i64, String)>> {
    let mut v: Vec<(i64, String)> = products::table
        .inner_join(suppliers::table.on(suppliers::id.eq(products::manufacturer_id)))
        .filter(products::drug_id.eq(drug_id))
        .select((suppliers::id, suppliers::name))
        .distinct()
        .load(conn)?;
    let agents: Vec<(i64, String)> = products::table
        .inner_join(suppliers::table.on(products::national_agent_id.eq(suppliers::id.nullable())))
        .filter(products::drug_id.eq(drug_id))
        .select((suppliers::id, suppliers::name))
        .distinct()
        .load(conn)?;
    v.extend(agents);
    v.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
    v.dedup();
    Ok(v)
}

/// The products of this drug (with their maker), by maker, approval number and package.
pub fn products_of_drug(conn: &mut DbConn, drug_id: i64) -> Result<Vec<super::catalog::Product>> {
    let ids: Vec<i64> = products::table
        .filter(products::drug_id.eq(drug_id))
        .select(products::id)
        .load(conn)?;
    let mut v = super::catalog::products_by_ids(conn, &ids)?;
    v.sort_by(|a, b| {
        (
            &a.manufacturer_name,
            &a.approval_number,
            a.units_per_package,
            a.id,
        )
            .cmp(&(
                &b.manufacturer_name,
                &b.approval_number,
                b.units_per_package,
                b.id,
            ))
    });
    Ok(v)
}

/// A drug's name fields, for `domain::naming`.
pub fn names_of(d: &Drug) -> crate::domain::naming::DrugNames<'_> {
    crate::domain::naming::DrugNames {
        code: &d.code,
        name_zh: &d.name_zh,
        inn: &d.inn,
        dosage_form: &d.dosage_form,
        strength: &d.strength,
    }
}
