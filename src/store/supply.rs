//! Supply arrangements (rows of `contracts` with the counties they supply in
//! `contract_counties`): read the candidates for a county and a drug, create, end. Which one
//! serves is [`crate::domain::supply::serving`]'s choice, not this module's.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

use super::schema::{contract_counties, contracts, drugs, regions};
use super::{audit, write_tx, Act, DbConn, Result};
use crate::domain::award::PolicyKind;
use crate::domain::catalog::RegionLevel;
use crate::domain::money::Money;
use crate::domain::supply::{Arrangement, ContractKind};
use crate::domain::tender::ContractStatus;

type Row = (
    i64,
    ContractKind,
    ContractStatus,
    i64,
    i64,
    i64,
    i64,
    NaiveDate,
    NaiveDate,
    NaiveDateTime,
);

const ROW: (
    contracts::id,
    contracts::kind,
    contracts::status,
    contracts::drug_id,
    contracts::supplier_id,
    contracts::product_id,
    contracts::unit_price,
    contracts::starts_on,
    contracts::ends_on,
    contracts::created_at,
) = (
    contracts::id,
    contracts::kind,
    contracts::status,
    contracts::drug_id,
    contracts::supplier_id,
    contracts::product_id,
    contracts::unit_price,
    contracts::starts_on,
    contracts::ends_on,
    contracts::created_at,
);

/// The arrangements in force (by status; the day is the choice's to check) that supply
/// `county_id` with `drug_id`, each with every county it supplies.
pub fn arrangements_for(
    conn: &mut DbConn,
    county_id: i64,
    drug_id: i64,
) -> Result<Vec<Arrangement>> {
    arrangements_for_drugs(conn, county_id, &[drug_id])
}

/// The arrangements in force (by status) that supply `county_id` with any of `drug_ids`, by
/// contract id, each with every county it supplies: two statements, whatever the count of drugs.
pub fn arrangements_for_drugs(
    conn: &mut DbConn,
    county_id: i64,
    drug_ids: &[i64],
) -> Result<Vec<Arrangement>> {
    if drug_ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<Row> = contracts::table
        .inner_join(contract_counties::table)
        .filter(contract_counties::county_id.eq(county_id))
        .filter(contracts::drug_id.eq_any(drug_ids))
        .filter(contracts::status.eq(ContractStatus::InForce))
        .order(contracts::id.asc())
        .select(ROW)
        .load(conn)?;
    with_counties(conn, rows)
}

/// The arrangements with these contract ids, whatever their status, by contract id (an id no
/// contract has is left out): two statements, whatever the count.
pub fn arrangements_by_ids(conn: &mut DbConn, contract_ids: &[i64]) -> Result<Vec<Arrangement>> {
    if contract_ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<Row> = contracts::table
        .filter(contracts::id.eq_any(contract_ids))
        .order(contracts::id.asc())
        .select(ROW)
        .load(conn)?;
    with_counties(conn, rows)
}

/// Arrangements from their rows, each with the counties it supplies (one more statement).
fn with_counties(conn: &mut DbConn, rows: Vec<Row>) -> Result<Vec<Arrangement>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut counties = counties_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| from_row(r, &mut counties))
        .collect())
}

fn from_row(r: Row, counties: &mut BTreeMap<i64, Vec<i64>>) -> Arrangement {
    Arrangement {
        contract_id: r.0,
        kind: r.1,
        status: r.2,
        drug_id: r.3,
        supplier_id: r.4,
        product_id: r.5,
        counties: counties.remove(&r.0).unwrap_or_default(),
        unit_price: Money::from_ten_thousandths(r.6),
        starts_on: r.7,
        ends_on: r.8,
        created_at: r.9,
    }
}

/// The counties each of `contract_ids` supplies, by contract.
pub fn counties_of(conn: &mut DbConn, contract_ids: &[i64]) -> Result<BTreeMap<i64, Vec<i64>>> {
    let pairs: Vec<(i64, i64)> = contract_counties::table
        .filter(contract_counties::contract_id.eq_any(contract_ids))
        .order((
            contract_counties::contract_id.asc(),
            contract_counties::county_id.asc(),
        ))
        .select((contract_counties::contract_id, contract_counties::county_id))
        .load(conn)?;
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (k, c) in pairs {
        out.entry(k).or_default().push(c);
    }
    Ok(out)
}

/// A drug that some arrangement in force supplies to a county: (id, code, Chinese name,
/// strength), by code. What an institution of the county may order (the choice still decides
/// on the day).
pub fn drugs_arranged_for(
    conn: &mut DbConn,
    county_id: i64,
    day: NaiveDate,
) -> Result<Vec<(i64, String, String, String)>> {
    Ok(drugs::table
        .filter(
            drugs::id.eq_any(
                contracts::table
                    .inner_join(contract_counties::table)
                    .filter(contract_counties::county_id.eq(county_id))
                    .filter(contracts::status.eq(ContractStatus::InForce))
                    .filter(contracts::starts_on.le(day))
                    .filter(contracts::ends_on.ge(day))
                    .select(contracts::drug_id),
            ),
        )
        .order(drugs::code.asc())
        .select((drugs::id, drugs::code, drugs::name_zh, drugs::strength))
        .load(conn)?)
}

/// What a new arrangement is (award contracts are made by the award, with their allocations).
#[derive(Debug, Clone, Serialize)]
pub struct NewArrangement {
    pub kind: ContractKind,
    pub response_id: Option<i64>,
    pub drug_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    pub lot_id: Option<i64>,
    pub bid_id: Option<i64>,
    pub unit_price: Money,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The counties it supplies (at least one).
    pub counties: Vec<i64>,
    /// Zero for what a shortage response makes: supply, not a new commitment.
    pub committed_volume: i64,
}

/// Creates an arrangement in force and its counties, audited; the contract's id. Validation is
/// the caller's (domain); inside the caller's transaction when there is one.
pub fn create_arrangement(conn: &mut DbConn, act: &Act, new: &NewArrangement) -> Result<i64> {
    write_tx(conn, |conn| {
        let region_id = common_region(conn, &new.counties)?;
        let id: i64 = diesel::insert_into(contracts::table)
            .values((
                contracts::kind.eq(new.kind),
                contracts::response_id.eq(new.response_id),
                contracts::drug_id.eq(new.drug_id),
                contracts::lot_id.eq(new.lot_id),
                contracts::bid_id.eq(new.bid_id),
                contracts::supplier_id.eq(new.supplier_id),
                contracts::product_id.eq(new.product_id),
                contracts::region_id.eq(region_id),
                contracts::unit_price.eq(new.unit_price.ten_thousandths()),
                contracts::committed_volume.eq(new.committed_volume),
                contracts::starts_on.eq(new.starts_on),
                contracts::ends_on.eq(new.ends_on),
                contracts::status.eq(ContractStatus::InForce),
                contracts::created_at.eq(act.stamp()),
            ))
            .returning(contracts::id)
            .get_result(conn)?;
        set_contract_counties(conn, id, &new.counties)?;
        audit::append(conn, act, "create", "contract", id, None::<&()>, Some(new))?;
        Ok(id)
    })
}

/// Ends (status `ended`) every arrangement in force that `response_id` made, audited; their ids.
pub fn end_arrangements_of_response(
    conn: &mut DbConn,
    act: &Act,
    response_id: i64,
) -> Result<Vec<i64>> {
    write_tx(conn, |conn| {
        let ids: Vec<i64> = diesel::update(
            contracts::table
                .filter(contracts::response_id.eq(response_id))
                .filter(contracts::status.eq(ContractStatus::InForce)),
        )
        .set(contracts::status.eq(ContractStatus::Ended))
        .returning(contracts::id)
        .get_results(conn)?;
        for id in &ids {
            let after =
                serde_json::json!({ "status": ContractStatus::Ended, "response_id": response_id });
            audit::append(conn, act, "end", "contract", id, None::<&()>, Some(&after))?;
        }
        Ok(ids)
    })
}

/// Replaces the counties a contract supplies.
pub fn set_contract_counties(conn: &mut DbConn, contract_id: i64, counties: &[i64]) -> Result<()> {
    diesel::delete(contract_counties::table.filter(contract_counties::contract_id.eq(contract_id)))
        .execute(conn)?;
    let mut cs = counties.to_vec();
    cs.sort_unstable();
    cs.dedup();
    for c in cs {
        diesel::insert_into(contract_counties::table)
            .values((
                contract_counties::contract_id.eq(contract_id),
                contract_counties::county_id.eq(c),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The counties of an award contract: under a multiple-winner lot the winner's primary counties
/// (by code), under the other policies every county of the tender's region.
pub fn set_award_counties(
    conn: &mut DbConn,
    contract_id: i64,
    tender_region: i64,
    policy: PolicyKind,
    primary_counties: &[String],
) -> Result<()> {
    let counties: Vec<i64> = if policy == PolicyKind::MultipleWinners {
        regions::table
            .filter(regions::code.eq_any(primary_counties))
            .select(regions::id)
            .load(conn)?
    } else {
        counties_under(conn, tender_region)?
    };
    set_contract_counties(conn, contract_id, &counties)
}

/// Every county in `region_id` (itself when it is one).
pub fn counties_under(conn: &mut DbConn, region_id: i64) -> Result<Vec<i64>> {
    let all: Vec<(i64, RegionLevel, Option<i64>)> = regions::table
        .filter(regions::level.ne(RegionLevel::Township))
        .select((regions::id, regions::level, regions::parent_id))
        .load(conn)?;
    let parent: BTreeMap<i64, Option<i64>> = all.iter().map(|r| (r.0, r.2)).collect();
    let within = |mut r: i64| loop {
        if r == region_id {
            return true;
        }
        match parent.get(&r).copied().flatten() {
            Some(p) => r = p,
            None => return false,
        }
    };
    Ok(all
        .iter()
        .filter(|r| r.1 == RegionLevel::County && within(r.0))
        .map(|r| r.0)
        .collect())
}

/// The smallest region that holds every county (the county itself for one): an arrangement's
/// `region_id`.
fn common_region(conn: &mut DbConn, counties: &[i64]) -> Result<i64> {
    let mut chains = vec![];
    for c in counties {
        let mut chain = vec![*c];
        let mut at = *c;
        while let Some(p) = regions::table
            .find(at)
            .select(regions::parent_id)
            .first::<Option<i64>>(conn)?
        {
            chain.push(p);
            at = p;
        }
        chains.push(chain);
    }
    let Some(first) = chains.first() else {
        return Err(super::StoreError::Invalid(vec![
            crate::domain::Invalid::new("counties", crate::domain::Code::Required),
        ]));
    };
    Ok(first
        .iter()
        .copied()
        .find(|r| chains.iter().all(|ch| ch.contains(r)))
        .unwrap_or(first[first.len() - 1]))
}
