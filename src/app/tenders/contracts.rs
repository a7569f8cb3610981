//! Contracts: who reads which (staff and regulators all; a supplier its own; an institution
//! those it has a committed volume in, and of them its own share), and the distributors a
//! winner names per county.
#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use std::collections::BTreeMap;

use super::super::parties::acting_supplier;
use super::super::{Ctx, Error, Result};
use crate::domain::roles::{Principal, Role};
use crate::domain::Code;
use crate::store::tenders::{self as ts, Contract};

/// A contract in a list: the contract, its drug ("name strength"), its supplier's name, its
/// tender, and the volume the reader is shown (the whole, or an institution's share).
pub struct ContractLine {
    pub contract: Contract,
    pub drug: String,
    pub supplier: String,
    pub tender_id: i64,
    pub volume: i64,
}

/// Which contracts a principal lists: every one (staff, regulators), a supplier's own, or an
/// institution's commitments; an expert is refused (experts hold no contracts).
enum Listing {
    All,
    Supplier(i64),
    Institution(i64),
}

fn may_list(p: &Principal) -> Result<Listing> {
    match (p.role, p.supplier_id, p.institution_id) {
        (Role::Center | Role::Regulator, ..) => Ok(Listing::All),
        (Role::Supplier, Some(s), _) => Ok(Listing::Supplier(s)),
        (Role::Institution, _, Some(i)) => Ok(Listing::Institution(i)),
        _ => Err(Error::forbidden()),
    }
}

/// The contracts the principal may see.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn list(cx: &Ctx, p: &Principal) -> Result<Vec<ContractLine>> {
    let listing = may_list(p)?;
    let mut c = cx.conn()?;
    let names = ts::supplier_names(&mut c)?;
    let name = |s: i64| names.get(&s).cloned().unwrap_or_default();
    let only = match listing {
        Listing::Institution(i) => {
            let mut out = vec![];
            for (k, drug, strength, sup, vol) in ts::commitments_of_institution(&mut c, i)? {
                // Only the award's contracts carry commitments; they all have a lot.
                let Some(lot) = k.lot_id else { continue };
                out.push(ContractLine {
                    tender_id: ts::lot(&mut c, lot)?.tender_id,
                    contract: k,
                    drug: format!("{drug} {strength}"),
                    supplier: sup,
                    volume: vol,
                });
            }
            return Ok(out);
        }
        Listing::All => None,
        Listing::Supplier(s) => Some(s),
    };
    Ok(ts::contracts_of_supplier(&mut c, only)?
        .into_iter()
        .map(|(k, drug, strength, tender_id)| ContractLine {
            supplier: name(k.supplier_id),
            volume: k.committed_volume,
            drug: format!("{drug} {strength}"),
            tender_id,
            contract: k,
        })
        .collect())
}

/// The contracts signed under a tender that its page lists to the principal: every one for
/// staff, regulators and institutions (the province's result), a supplier's own to a supplier,
/// none to an expert.
pub fn of_tender(cx: &Ctx, p: &Principal, tender_id: i64) -> Result<Vec<Contract>> {
    let all = ts::contracts_of_tender(&mut *cx.conn()?, tender_id)?;
    let own = p.supplier_id.filter(|_| p.role == Role::Supplier);
    Ok(all
        .into_iter()
        .filter(|c| {
            p.reads_everything() || p.role == Role::Institution || own == Some(c.supplier_id)
        })
        .collect())
}

/// A contract as its reader sees it.
pub struct ContractView {
    pub contract: Contract,
    pub supplier: String,
    /// The contract's product as people name it: drug, strength, approval number.
    pub product: String,
    /// (institution id, name, volume): every one, or an institution's own.
    pub allocations: Vec<(i64, String, i64)>,
    /// (county id, county name, distributor id, distributor name)
    pub distributors: Vec<(i64, String, i64, String)>,
    /// For the winner's own user: the counties (id, name) and the distribution enterprises
    /// (id, name) it may name; otherwise empty.
    pub counties: Vec<(i64, String)>,
    pub distributor_choices: Vec<(i64, String)>,
    /// The reader is the winner's user (names distributors).
    pub own: bool,
}

/// A contract the principal may see; any other does not exist for it.
#[tracing::instrument(skip_all, fields(user = %p.username, contract = id))]
pub fn contract(cx: &Ctx, p: &Principal, id: i64) -> Result<ContractView> {
    let mut c = cx.conn()?;
    let k = ts::contract(&mut c, id)?;
    let allocs = ts::allocations_with_names(&mut c, id)?;
    let own = p.role == Role::Supplier && p.supplier_id == Some(k.supplier_id);
    let inst = p.institution_id.filter(|_| p.role == Role::Institution);
    let visible =
        p.reads_everything() || own || inst.is_some_and(|i| allocs.iter().any(|a| a.0 == i));
    if !visible {
        return Err(Error::NotFound(Code::ContractNotFound.into()));
    }
    let names: BTreeMap<i64, String> = ts::supplier_names(&mut c)?;
    let (counties, distributor_choices) = if own {
        (
            ts::counties_of_contract(&mut c, id)?,
            ts::licensed_distributors(&mut c)?,
        )
    } else {
        (vec![], vec![])
    };
    let product = crate::store::catalog::get_product(&mut c, k.product_id)?;
    Ok(ContractView {
        supplier: names.get(&k.supplier_id).cloned().unwrap_or_default(),
        product: format!(
            "{} {} · {}",
            product.drug_name, product.strength, product.approval_number
        ),
        allocations: allocs
            .into_iter()
            .filter(|a| inst.is_none_or(|i| a.0 == i))
            .collect(),
        distributors: ts::distributors_of(&mut c, id)?,
        contract: k,
        counties,
        distributor_choices,
        own,
    })
}

/// Only a supplier's user names distributors (of its own contracts); its supplier.
pub fn may_name_distributors(p: &Principal) -> Result<i64> {
    acting_supplier(p, Code::OnlySuppliersNameDistributors)
}

/// The winner's user names a distribution enterprise for a county of its contract.
#[tracing::instrument(skip_all, fields(user = %p.username, contract = id))]
pub fn name_distributor(
    cx: &Ctx,
    p: &Principal,
    id: i64,
    county_id: i64,
    distributor_id: i64,
) -> Result<()> {
    let sid = may_name_distributors(p)?;
    Ok(ts::name_distributor(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        sid,
        county_id,
        distributor_id,
        cx.today(),
    )?)
}
