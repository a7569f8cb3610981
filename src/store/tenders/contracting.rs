//! Contracts: one per winning bid, the committed volume split among institutions, and the
//! distributors the winner names per county.

use super::*;

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = contracts)]
pub struct Contract {
    pub id: i64,
    /// None for an arrangement that no tender made (designated producer, direct listing).
    pub lot_id: Option<i64>,
    pub bid_id: Option<i64>,
    pub supplier_id: i64,
    pub product_id: i64,
    pub region_id: i64,
    pub unit_price: i64,
    pub committed_volume: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: ContractStatus,
    pub created_at: NaiveDateTime,
    pub kind: crate::domain::supply::ContractKind,
    pub response_id: Option<i64>,
    pub drug_id: i64,
}

/// One contract per winning bid; the committed volume split among institutions exactly as the award says.
pub(super) fn make_contracts(
    conn: &mut DbConn,
    act: &Act,
    t: &Tender,
    ls: &[Lot],
    tz: Tz,
) -> Result<()> {
    let starts = act.at.with_timezone(&tz).date_naive();
    let ends = starts
        .checked_add_months(Months::new(t.contract_months as u32))
        .unwrap_or(starts);
    for l in ls {
        let Some(LotAward {
            outcome: Outcome::Awarded { winners, .. },
            ..
        }) = l.result()
        else {
            continue;
        };
        for w in winners {
            let b = bid(conn, w.bid_id)?;
            let id: i64 = diesel::insert_into(contracts::table)
                .values((
                    contracts::lot_id.eq(l.id),
                    contracts::bid_id.eq(b.id),
                    contracts::supplier_id.eq(b.supplier_id),
                    contracts::product_id.eq(b.product_id),
                    contracts::region_id.eq(t.region_id),
                    contracts::unit_price.eq(w.unit_price.ten_thousandths()),
                    contracts::committed_volume.eq(w.volume),
                    contracts::starts_on.eq(starts),
                    contracts::ends_on.eq(ends),
                    contracts::status.eq(ContractStatus::InForce),
                    contracts::created_at.eq(act.stamp()),
                    contracts::drug_id.eq(l.drug_id),
                ))
                .returning(contracts::id)
                .get_result(conn)?;
            crate::store::supply::set_award_counties(
                conn,
                id,
                t.region_id,
                l.policy,
                &w.primary_counties,
            )?;
            for (code, volume) in &w.institution_volumes {
                let inst: i64 = institutions::table
                    .filter(institutions::code.eq(code))
                    .select(institutions::id)
                    .first(conn)?;
                diesel::insert_into(contract_allocations::table)
                    .values((
                        contract_allocations::contract_id.eq(id),
                        contract_allocations::institution_id.eq(inst),
                        contract_allocations::volume.eq(*volume),
                    ))
                    .execute(conn)?;
            }
            audit::append(conn, act, "create", "contract", id, None::<&()>, Some(&w))?;
        }
    }
    Ok(())
}

/// The award's contracts of a tender (not the arrangements shortage responses made under its lots).
pub fn contracts_of_tender(conn: &mut DbConn, tender_id: i64) -> Result<Vec<Contract>> {
    Ok(contracts::table
        .inner_join(lots::table)
        .filter(lots::tender_id.eq(tender_id))
        .filter(contracts::kind.eq(crate::domain::supply::ContractKind::Award))
        .order(contracts::id.asc())
        .select(Contract::as_select())
        .load(conn)?)
}

/// An institution's commitments: (contract, drug name, strength, supplier name, volume).
pub fn commitments_of_institution(
    conn: &mut DbConn,
    institution_id: i64,
) -> Result<Vec<(Contract, String, String, String, i64)>> {
    Ok(contract_allocations::table
        .inner_join(
            contracts::table
                .inner_join(lots::table.inner_join(drugs::table))
                .inner_join(suppliers::table),
        )
        .filter(contract_allocations::institution_id.eq(institution_id))
        .order(contracts::id.asc())
        .select((
            Contract::as_select(),
            drugs::name_zh,
            drugs::strength,
            suppliers::name,
            contract_allocations::volume,
        ))
        .load(conn)?)
}

pub fn allocations_of(conn: &mut DbConn, contract_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(contract_allocations::table
        .filter(contract_allocations::contract_id.eq(contract_id))
        .select((
            contract_allocations::institution_id,
            contract_allocations::volume,
        ))
        .load(conn)?)
}

/// The winner names a distribution enterprise (with a valid drug business licence) for a county.
pub fn name_distributor(
    conn: &mut DbConn,
    act: &Act,
    contract_id: i64,
    supplier_id: i64,
    county_id: i64,
    distributor_id: i64,
    today: NaiveDate,
) -> Result<()> {
    crate::store::write_tx(conn, |conn| {
        let c: Contract = contracts::table
            .find(contract_id)
            .select(Contract::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::ContractNotFound.into()))?;
        if c.supplier_id != supplier_id {
            return Err(StoreError::NotFound(Code::ContractNotFound.into()));
        }
        let county_level: Option<RegionLevel> = regions::table
            .find(county_id)
            .select(regions::level)
            .first(conn)
            .optional()?;
        let kind: Option<SupplierKind> = suppliers::table
            .find(distributor_id)
            .select(suppliers::kind)
            .first(conn)
            .optional()?;
        let licensed = licences::table
            .filter(licences::supplier_id.eq(distributor_id))
            .filter(licences::kind.eq(LicenceKind::Business))
            .filter(licences::expires_on.ge(today))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        tender_stages::check_distributor(&tender_stages::DistributorFacts {
            county_level,
            distributor: kind.map(|k| (k, licensed)),
        })?;
        diesel::delete(
            contract_distributors::table
                .filter(contract_distributors::contract_id.eq(contract_id))
                .filter(contract_distributors::county_id.eq(county_id)),
        )
        .execute(conn)?;
        diesel::insert_into(contract_distributors::table)
            .values((
                contract_distributors::contract_id.eq(contract_id),
                contract_distributors::county_id.eq(county_id),
                contract_distributors::distributor_id.eq(distributor_id),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "name_distributor",
            "contract",
            contract_id,
            None::<&()>,
            Some(&(county_id, distributor_id)),
        )?;
        Ok(())
    })
}

/// Contracts a supplier holds: (contract, drug name, strength, lot's tender id).
pub fn contracts_of_supplier(
    conn: &mut DbConn,
    supplier_id: Option<i64>,
) -> Result<Vec<(Contract, String, String, i64)>> {
    let mut q = contracts::table
        .inner_join(lots::table.inner_join(drugs::table))
        .order(contracts::id.asc())
        .select((
            Contract::as_select(),
            drugs::name_zh,
            drugs::strength,
            lots::tender_id,
        ))
        .into_boxed();
    if let Some(s) = supplier_id {
        q = q.filter(contracts::supplier_id.eq(s));
    }
    Ok(q.load(conn)?)
}

/// The distributors named for a contract: (county id, county name, distributor id, distributor name).
pub fn distributors_of(
    conn: &mut DbConn,
    contract_id: i64,
) -> Result<Vec<(i64, String, i64, String)>> {
    Ok(contract_distributors::table
        .inner_join(regions::table)
        .inner_join(suppliers::table)
        .filter(contract_distributors::contract_id.eq(contract_id))
        .select((
            regions::id,
            regions::name_zh,
            suppliers::id,
            suppliers::name,
        ))
        .load(conn)?)
}

pub fn contract(conn: &mut DbConn, id: i64) -> Result<Contract> {
    contracts::table
        .find(id)
        .select(Contract::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::ContractNotFound.into()))
}

/// A contract's allocations: (institution id, institution name, volume).
pub fn allocations_with_names(
    conn: &mut DbConn,
    contract_id: i64,
) -> Result<Vec<(i64, String, i64)>> {
    Ok(contract_allocations::table
        .inner_join(institutions::table)
        .filter(contract_allocations::contract_id.eq(contract_id))
        .order(institutions::code.asc())
        .select((
            institutions::id,
            institutions::name,
            contract_allocations::volume,
        ))
        .load(conn)?)
}

/// The counties a contract's institutions are in: (county id, name).
pub fn counties_of_contract(conn: &mut DbConn, contract_id: i64) -> Result<Vec<(i64, String)>> {
    let regs: Vec<(i64, RegionLevel, Option<i64>)> = contract_allocations::table
        .inner_join(institutions::table.inner_join(regions::table))
        .filter(contract_allocations::contract_id.eq(contract_id))
        .select((regions::id, regions::level, regions::parent_id))
        .load(conn)?;
    let mut ids: Vec<i64> = regs
        .into_iter()
        .map(|(id, level, parent)| crate::store::regions::county_of(id, level, parent))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(regions::table
        .filter(regions::id.eq_any(ids))
        .order(regions::code.asc())
        .select((regions::id, regions::name_zh))
        .load(conn)?)
}

/// Distribution enterprises (id, name).
pub fn licensed_distributors(conn: &mut DbConn) -> Result<Vec<(i64, String)>> {
    Ok(suppliers::table
        .filter(suppliers::kind.eq(SupplierKind::Distributor))
        .order(suppliers::name.asc())
        .select((suppliers::id, suppliers::name))
        .load(conn)?)
}
