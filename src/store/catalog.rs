//! The drug catalog: drugs (generic name + form + strength) and products (one manufacturer's
//! registered version), with all-or-nothing imports.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::{drugs, products, suppliers};
use super::{audit, parties, Act, DbConn, Result, StoreError};
use crate::domain::catalog::{Category, DrugInput, ListOrigin, ProductInput, SupplierKind, Unit};
use crate::domain::import::{ImportReport, RowError};
use crate::domain::money::Money;
use crate::domain::paging::{like_pattern, Page, PageRequest};
use crate::domain::{Code, Invalid, Msg};

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone, PartialEq)]
#[diesel(table_name = drugs)]
pub struct Drug {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub inn: String,
    pub dosage_form: String,
    pub strength: String,
    #[schema(value_type = String)]
    pub unit: Unit,
    #[schema(value_type = String)]
    pub origin: ListOrigin,
    #[schema(value_type = String)]
    pub category: Category,
    pub atc_code: Option<String>,
}

/// The lower-cased text a search matches: code, both names, ATC code.
fn search_text(d: &DrugInput) -> String {
    format!(
        "{} {} {} {}",
        d.code,
        d.name_zh,
        d.inn,
        d.atc_code.as_deref().unwrap_or("")
    )
    .to_lowercase()
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = drugs, treat_none_as_null = true)]
struct DrugRow<'a> {
    code: &'a str,
    name_zh: &'a str,
    inn: &'a str,
    dosage_form: &'a str,
    strength: &'a str,
    unit: Unit,
    origin: ListOrigin,
    category: Category,
    atc_code: Option<&'a str>,
    search_text: String,
}

fn drug_row(d: &DrugInput) -> DrugRow<'_> {
    DrugRow {
        code: &d.code,
        name_zh: &d.name_zh,
        inn: &d.inn,
        dosage_form: &d.dosage_form,
        strength: &d.strength,
        unit: d.unit,
        origin: d.origin,
        category: d.category,
        atc_code: d.atc_code.as_deref(),
        search_text: search_text(d),
    }
}

/// Drugs matching a search (code, Chinese or English name, ATC code; case-insensitive), in code order.
pub fn search_drugs(
    conn: &mut DbConn,
    q: &str,
    category: Option<Category>,
    page: &PageRequest,
) -> Result<Page<Drug>> {
    let build = || {
        let mut b = drugs::table.into_boxed();
        if !q.trim().is_empty() {
            b = b.filter(
                drugs::search_text
                    .like(like_pattern(&q.to_lowercase()))
                    .escape('\\'),
            );
        }
        if let Some(c) = category {
            b = b.filter(drugs::category.eq(c));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order(drugs::code.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Drug::as_select())
        .load(conn)?;
    Ok(page.of(items, total))
}

pub fn get_drug(conn: &mut DbConn, id: i64) -> Result<Drug> {
    drugs::table
        .find(id)
        .select(Drug::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::DrugNotFound.into()))
}

pub fn drug_by_code(conn: &mut DbConn, code: &str) -> Result<Option<Drug>> {
    Ok(drugs::table
        .filter(drugs::code.eq(code))
        .select(Drug::as_select())
        .first(conn)
        .optional()?)
}

/// The drugs with these codes (a code no drug has is left out): one statement.
pub fn drugs_by_codes(conn: &mut DbConn, codes: &[&str]) -> Result<Vec<Drug>> {
    if codes.is_empty() {
        return Ok(vec![]);
    }
    Ok(drugs::table
        .filter(drugs::code.eq_any(codes))
        .select(Drug::as_select())
        .load(conn)?)
}

pub fn count_drugs(conn: &mut DbConn) -> Result<i64> {
    Ok(drugs::table.count().get_result(conn)?)
}

fn insert_drug(conn: &mut DbConn, act: &Act, d: &DrugInput) -> Result<Drug> {
    if drug_by_code(conn, &d.code)?.is_some() {
        return Err(Invalid::new("code", Msg::new(Code::DrugExists).arg("code", &d.code)).into());
    }
    let id: i64 = diesel::insert_into(drugs::table)
        .values(drug_row(d))
        .returning(drugs::id)
        .get_result(conn)?;
    let after = get_drug(conn, id)?;
    audit::append(conn, act, "create", "drug", id, None::<&()>, Some(&after))?;
    Ok(after)
}

pub fn create_drug(conn: &mut DbConn, act: &Act, d: &DrugInput) -> Result<Drug> {
    super::write_tx(conn, |conn| insert_drug(conn, act, d))
}

pub fn update_drug(conn: &mut DbConn, act: &Act, id: i64, d: &DrugInput) -> Result<Drug> {
    super::audited_update(conn, act, ("update", "drug", id), get_drug, |conn| {
        let holder = drug_by_code(conn, &d.code)?.map(|o| o.id);
        super::unique_but_for(holder, id, "code", Code::DrugExists, &d.code)?;
        diesel::update(drugs::table.find(id))
            .set(drug_row(d))
            .execute(conn)?;
        Ok(())
    })
}

/// Imports validated drug rows, all or nothing: a row whose code already exists is reported
/// and nothing is written.
pub fn import_drugs(
    conn: &mut DbConn,
    act: &Act,
    rows: &[(usize, DrugInput)],
) -> Result<ImportReport> {
    let result = super::write_tx(conn, |conn| {
        let codes: Vec<&str> = rows.iter().map(|(_, d)| d.code.as_str()).collect();
        let existing: Vec<String> = codes
            .chunks(500)
            .map(|chunk| {
                drugs::table
                    .filter(drugs::code.eq_any(chunk))
                    .select(drugs::code)
                    .load::<String>(conn)
            })
            .collect::<Result<Vec<_>, _>>()?
            .concat();
        let errors: Vec<RowError> = rows
            .iter()
            .filter(|(_, d)| existing.contains(&d.code))
            .map(|(row, d)| {
                RowError::new(
                    *row,
                    Invalid::new("code", Msg::new(Code::DrugExists).arg("code", &d.code)),
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(StoreError::Rejected(errors));
        }
        for (_, d) in rows {
            insert_drug(conn, act, d)?;
        }
        Ok(rows.len())
    });
    import_report(rows.len(), result)
}

// ---------- products ----------

/// A product with its drug and manufacturer, as lists and the API show it.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub drug_id: i64,
    pub drug_code: String,
    pub drug_name: String,
    pub strength: String,
    pub manufacturer_id: i64,
    pub manufacturer_name: String,
    pub approval_number: String,
    pub units_per_package: i32,
    pub gtin: Option<String>,
    pub consistency_passed: bool,
    pub originator: bool,
    /// Yuan per package, exact to 1/10,000.
    #[schema(value_type = Option<String>)]
    pub reference_price: Option<Money>,
    /// For an imported product: the supplier registered as its national agent, who bids with
    /// it instead of the manufacturer.
    pub national_agent_id: Option<i64>,
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = products)]
struct ProductRow {
    id: i64,
    drug_id: i64,
    manufacturer_id: i64,
    approval_number: String,
    units_per_package: i32,
    gtin: Option<String>,
    consistency_passed: bool,
    originator: bool,
    reference_price: Option<i64>,
    national_agent_id: Option<i64>,
}

type ProductJoin = (ProductRow, String, String, String, String);

fn product_view((p, drug_code, drug_name, strength, manufacturer_name): ProductJoin) -> Product {
    Product {
        id: p.id,
        drug_id: p.drug_id,
        drug_code,
        drug_name,
        strength,
        manufacturer_id: p.manufacturer_id,
        manufacturer_name,
        approval_number: p.approval_number,
        units_per_package: p.units_per_package,
        gtin: p.gtin,
        consistency_passed: p.consistency_passed,
        originator: p.originator,
        reference_price: p.reference_price.map(Money::from_ten_thousandths),
        national_agent_id: p.national_agent_id,
    }
}

/// What to list products by.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub q: String,
    pub drug_id: Option<i64>,
    pub manufacturer_id: Option<i64>,
    /// Order by reference price (lowest first) instead of by approval number.
    pub by_price: bool,
}

pub fn list_products(
    conn: &mut DbConn,
    f: &ProductFilter,
    page: &PageRequest,
) -> Result<Page<Product>> {
    let build = || {
        let mut b = products::table
            .inner_join(drugs::table)
            .inner_join(suppliers::table)
            .into_boxed();
        if !f.q.trim().is_empty() {
            let p = like_pattern(&f.q.to_lowercase());
            b = b.filter(
                drugs::search_text
                    .like(p.clone())
                    .escape('\\')
                    .or(products::approval_number
                        .like(like_pattern(&f.q))
                        .escape('\\'))
                    .or(suppliers::name.like(like_pattern(&f.q)).escape('\\')),
            );
        }
        if let Some(d) = f.drug_id {
            b = b.filter(products::drug_id.eq(d));
        }
        if let Some(m) = f.manufacturer_id {
            b = b.filter(products::manufacturer_id.eq(m));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let q = build();
    let q = if f.by_price {
        q.order((products::reference_price.asc(), products::id.asc()))
    } else {
        q.order((
            drugs::code.asc(),
            products::approval_number.asc(),
            products::id.asc(),
        ))
    };
    let rows: Vec<ProductJoin> = q
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            ProductRow::as_select(),
            drugs::code,
            drugs::name_zh,
            drugs::strength,
            suppliers::name,
        ))
        .load(conn)?;
    Ok(page.of(rows.into_iter().map(product_view).collect(), total))
}

pub fn get_product(conn: &mut DbConn, id: i64) -> Result<Product> {
    products::table
        .inner_join(drugs::table)
        .inner_join(suppliers::table)
        .filter(products::id.eq(id))
        .select((
            ProductRow::as_select(),
            drugs::code,
            drugs::name_zh,
            drugs::strength,
            suppliers::name,
        ))
        .first::<ProductJoin>(conn)
        .optional()?
        .map(product_view)
        .ok_or_else(|| StoreError::NotFound(Code::ProductNotFound.into()))
}

/// The products of these ids (with their drug and maker), in one statement; ids not there are
/// left out.
pub fn products_by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Product>> {
    Ok(products::table
        .inner_join(drugs::table)
        .inner_join(suppliers::table)
        .filter(products::id.eq_any(ids))
        .select((
            ProductRow::as_select(),
            drugs::code,
            drugs::name_zh,
            drugs::strength,
            suppliers::name,
        ))
        .load::<ProductJoin>(conn)?
        .into_iter()
        .map(product_view)
        .collect())
}

/// Exact total of the reference prices of a drug's products, summed in SQL on BIGINT: each
/// price entered is at most Money::MAX_ENTERED (10^11 ten-thousandths of a yuan), so the sum
/// cannot overflow below 9 × 10^7 products of one drug.
pub fn reference_price_total(conn: &mut DbConn, drug_id: i64) -> Result<Money> {
    let v: Option<i64> = products::table
        .filter(products::drug_id.eq(drug_id))
        .select(sql::<Nullable<BigInt>>(
            "CAST(SUM(reference_price) AS BIGINT)",
        ))
        .first(conn)?;
    Ok(Money::from_ten_thousandths(v.unwrap_or(0)))
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
struct ProductChanges<'a> {
    drug_id: i64,
    manufacturer_id: i64,
    approval_number: &'a str,
    units_per_package: i32,
    gtin: Option<&'a str>,
    consistency_passed: bool,
    originator: bool,
    reference_price: Option<i64>,
}

/// Resolves the drug and manufacturer a product names, refusing what does not exist.
fn product_changes<'a>(conn: &mut DbConn, p: &'a ProductInput) -> Result<ProductChanges<'a>> {
    let mut errs = Vec::new();
    let drug = drug_by_code(conn, &p.drug_code)?;
    if drug.is_none() {
        errs.push(Invalid::new(
            "drug_code",
            Msg::new(Code::NoDrugWithCode).arg("code", &p.drug_code),
        ));
    }
    let maker = parties::supplier_by_uscc(conn, &p.manufacturer_uscc)?;
    match &maker {
        None => errs.push(Invalid::new(
            "manufacturer_uscc",
            Msg::new(Code::NoSupplierWithCode).arg("code", &p.manufacturer_uscc),
        )),
        Some(s) if s.kind != SupplierKind::Manufacturer => errs.push(Invalid::new(
            "manufacturer_uscc",
            Msg::new(Code::NotAManufacturer).arg("name", &s.name),
        )),
        _ => {}
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    Ok(ProductChanges {
        drug_id: drug.map(|d| d.id).unwrap_or_default(),
        manufacturer_id: maker.map(|m| m.id).unwrap_or_default(),
        approval_number: &p.approval_number,
        units_per_package: p.units_per_package,
        gtin: p.gtin.as_deref(),
        consistency_passed: p.consistency_passed,
        originator: p.originator,
        reference_price: p.reference_price.map(|m| m.ten_thousandths()),
    })
}

fn product_exists(conn: &mut DbConn, p: &ProductInput, except: Option<i64>) -> Result<bool> {
    let ids: Vec<i64> = products::table
        .filter(products::approval_number.eq(&p.approval_number))
        .filter(products::units_per_package.eq(p.units_per_package))
        .select(products::id)
        .load(conn)?;
    Ok(ids.iter().any(|id| Some(*id) != except))
}

fn duplicate_product(p: &ProductInput) -> Invalid {
    Invalid::new(
        "approval_number",
        Msg::new(Code::ProductExists)
            .arg("approval_number", &p.approval_number)
            .arg("units", p.units_per_package),
    )
}

fn insert_product(conn: &mut DbConn, act: &Act, p: &ProductInput) -> Result<Product> {
    let changes = product_changes(conn, p)?;
    if product_exists(conn, p, None)? {
        return Err(duplicate_product(p).into());
    }
    let id: i64 = diesel::insert_into(products::table)
        .values(changes)
        .returning(products::id)
        .get_result(conn)?;
    let after = get_product(conn, id)?;
    audit::append(
        conn,
        act,
        "create",
        "product",
        id,
        None::<&()>,
        Some(&after),
    )?;
    Ok(after)
}

pub fn create_product(conn: &mut DbConn, act: &Act, p: &ProductInput) -> Result<Product> {
    super::write_tx(conn, |conn| insert_product(conn, act, p))
}

/// Registers (or, with `None`, ends) the national agent of an imported product: the supplier
/// that bids with it in the manufacturer's place.
pub fn set_national_agent(
    conn: &mut DbConn,
    act: &Act,
    product_id: i64,
    agent_id: Option<i64>,
) -> Result<Product> {
    super::write_tx(conn, |conn| {
        let before = get_product(conn, product_id)?;
        if let Some(a) = agent_id {
            parties::get_supplier(conn, a)?;
        }
        diesel::update(products::table.find(product_id))
            .set(products::national_agent_id.eq(agent_id))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "set_national_agent",
            "product",
            product_id,
            Some(&before.national_agent_id),
            Some(&agent_id),
        )?;
        get_product(conn, product_id)
    })
}

pub fn update_product(conn: &mut DbConn, act: &Act, id: i64, p: &ProductInput) -> Result<Product> {
    super::audited_update(conn, act, ("update", "product", id), get_product, |conn| {
        let changes = product_changes(conn, p)?;
        if product_exists(conn, p, Some(id))? {
            return Err(duplicate_product(p).into());
        }
        diesel::update(products::table.find(id))
            .set(changes)
            .execute(conn)?;
        Ok(())
    })
}

/// Imports validated product rows, all or nothing, reporting every row whose drug or
/// manufacturer is unknown or which already exists.
pub fn import_products(
    conn: &mut DbConn,
    act: &Act,
    rows: &[(usize, ProductInput)],
) -> Result<ImportReport> {
    let result = super::write_tx(conn, |conn| {
        let mut errors = Vec::new();
        for (row, p) in rows {
            match product_changes(conn, p) {
                Ok(_) => {
                    if product_exists(conn, p, None)? {
                        errors.push(RowError::new(*row, duplicate_product(p)));
                    }
                }
                Err(StoreError::Invalid(es)) => {
                    errors.extend(es.into_iter().map(|e| RowError::new(*row, e)))
                }
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Rejected(errors));
        }
        for (_, p) in rows {
            insert_product(conn, act, p)?;
        }
        Ok(rows.len())
    });
    import_report(rows.len(), result)
}

fn import_report(rows: usize, result: Result<usize>) -> Result<ImportReport> {
    match result {
        Ok(n) => Ok(ImportReport {
            rows,
            imported: n,
            errors: vec![],
        }),
        Err(StoreError::Rejected(errors)) => Ok(ImportReport {
            rows,
            imported: 0,
            errors,
        }),
        Err(e) => Err(e),
    }
}

/// Every drug, in code order: what a drug picker offers.
pub fn all_drugs(conn: &mut DbConn) -> Result<Vec<Drug>> {
    Ok(drugs::table
        .order(drugs::code.asc())
        .select(Drug::as_select())
        .load(conn)?)
}
