//! Shortage monitoring as people take part in it: institutions report shortages, suppliers
//! declare supply interruptions, center staff and regulators read the shortage list.

use super::{parties::acting_supplier, Ctx, Error, Result};
use crate::domain::roles::{Principal, Role};
use crate::domain::{Code, Invalid, Msg};
use crate::store::shortages::{self as ss, Interruption, ListFilter, Listed, Report};
use crate::store::{catalog, DbConn};

/// The drug a person names: the choice of a picker (its label, ending with the code in
/// brackets), a code, an id (older forms), or a name that only one drug has (its generic name
/// or INN, alone or with form and strength); `field` is the name of the field it was typed in.
pub fn drug_named(conn: &mut DbConn, field: &str, text: &str) -> Result<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, Code::NameDrugByCode).into());
    }
    let code = bracketed_code(text).unwrap_or(text);
    if let Some(d) = catalog::drug_by_code(conn, code)? {
        return Ok(d.id);
    }
    if let Ok(id) = code.parse::<i64>() {
        if let Ok(d) = catalog::get_drug(conn, id) {
            return Ok(d.id);
        }
    }
    let named: Vec<i64> = crate::store::names::drugs(conn)?
        .into_iter()
        .filter(|d| crate::store::names::names_of(d).is_named(text))
        .map(|d| d.id)
        .collect();
    match named.as_slice() {
        [one] => Ok(*one),
        [] => Err(Invalid::new(field, Msg::new(Code::PickUnknown).arg("value", text)).into()),
        many => Err(Invalid::new(
            field,
            Msg::new(Code::PickAmbiguous)
                .arg("value", text)
                .arg("n", many.len()),
        )
        .into()),
    }
}

/// The code at the end of a picker's label: "阿莫西林 胶囊 0.25g (D0013)" or "…（D0013）".
fn bracketed_code(text: &str) -> Option<&str> {
    let t = text.strip_suffix(')').or_else(|| text.strip_suffix('）'))?;
    let open = t.rfind(['(', '（'])?;
    let code = t[open..].trim_start_matches(['(', '（']).trim();
    (!code.is_empty()).then_some(code)
}

/// The shortage list: center staff and regulators only.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn list(cx: &Ctx, p: &Principal, f: &ListFilter, limit: i64) -> Result<Vec<Listed>> {
    may_read_shortages(p)?;
    Ok(ss::list(&mut *cx.conn()?, f, limit)?)
}

/// Center staff and regulators read the shortage records.
pub fn may_read_shortages(p: &Principal) -> Result<()> {
    if p.reads_everything() {
        Ok(())
    } else {
        Err(Error::Forbidden(Code::ShortageListStaffOnly.into()))
    }
}

/// An institution's user reports a shortage of a drug.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn report(cx: &Ctx, p: &Principal, drug_field: &str, drug: &str, note: &str) -> Result<Report> {
    let inst = match (p.role, p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => {
            return Err(Error::Forbidden(
                Code::OnlyInstitutionsReportShortages.into(),
            ))
        }
    };
    let mut c = cx.conn()?;
    let drug = drug_named(&mut c, drug_field, drug)?;
    Ok(ss::report(&mut c, &cx.act(p), inst, drug, note)?)
}

/// What a supplier declares: a drug it cannot supply, why, from when (today when empty) until
/// when (open when empty).
pub struct Declare<'a> {
    pub drug_field: &'a str,
    pub drug: &'a str,
    pub reason: &'a str,
    pub starts_on: Option<chrono::NaiveDate>,
    pub ends_on: Option<chrono::NaiveDate>,
}

/// A supplier's user declares a supply interruption.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn declare_interruption(cx: &Ctx, p: &Principal, d: &Declare) -> Result<Interruption> {
    if p.role != Role::Supplier {
        return Err(Error::Forbidden(
            Code::OnlySuppliersDeclareInterruptions.into(),
        ));
    }
    let supplier = acting_supplier(p, Code::OnlySupplierUsersDeclare)?;
    let mut c = cx.conn()?;
    let drug = drug_named(&mut c, d.drug_field, d.drug)?;
    let starts = d.starts_on.unwrap_or_else(|| cx.today());
    Ok(ss::declare_interruption(
        &mut c,
        &cx.act(p),
        supplier,
        drug,
        d.reason,
        starts,
        d.ends_on,
    )?)
}

/// A supplier's user ends its own declaration.
#[tracing::instrument(skip_all, fields(user = %p.username, interruption = id))]
pub fn end_interruption(cx: &Ctx, p: &Principal, id: i64) -> Result<Interruption> {
    let supplier = acting_supplier(p, Code::OnlySupplierUsersEndDeclarations)?;
    Ok(ss::end_interruption(
        &mut *cx.conn()?,
        &cx.act(p),
        supplier,
        id,
        cx.today(),
    )?)
}

/// A shortage record as center staff and regulators read it: its drug, its history (newest
/// first, each event with the evidence of its own change) and the center's responses.
pub struct Detail {
    pub record: ss::Shortage,
    pub drug: catalog::Drug,
    pub events: Vec<ss::Event>,
    pub responses: Vec<ss::Response>,
}

/// One record: center staff and regulators only.
#[tracing::instrument(skip_all, fields(user = %p.username, shortage = id))]
pub fn get(cx: &Ctx, p: &Principal, id: i64) -> Result<Detail> {
    may_read_shortages(p)?;
    let mut c = cx.conn()?;
    let record = ss::get(&mut c, id)?;
    Ok(Detail {
        drug: catalog::get_drug(&mut c, record.drug_id)?,
        events: ss::events_of(&mut c, id)?,
        responses: ss::responses_of(&mut c, id)?,
        record,
    })
}
