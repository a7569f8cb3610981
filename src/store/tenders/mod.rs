//! Tenders: demand collection, lots, sealed bids (every version kept), the review and the
//! openings, the award, objections and contracts. Prices exist in the clear only after the
//! commercial opening; before it the database holds only sealed envelopes.
#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::schema::{
    bid_documents, bid_versions, bids, contract_allocations, contract_distributors, contracts,
    counters, demand_reports, demand_windows, drugs, institutions, licences, lots, objections,
    products, regions, suppliers, tenders,
};
use super::{audit, micros, Act, DbConn, Result, StoreError};
use crate::domain::award::{
    self, AwardPolicy, BidInput, CountyDemand, InstitutionDemand, LotAward, LotInput, Outcome,
    PolicyKind,
};
use crate::domain::catalog::{CreditStatus, LicenceKind, RegionLevel, SupplierKind};
use crate::domain::money::Money;
use crate::domain::tender::{
    self, BidStatus, ContractStatus, LotStatus, RecordedReason, TechnicalFacts, TechnicalResult,
    TenderAction, TenderState, TransitionContext, WindowStatus,
};
use crate::domain::{demand as demand_rules, tender_stages};
use crate::domain::{Code, Invalid, Msg};
use crate::sealing::{self, MasterKey, Sealed};

mod actions;
mod bidding;
mod contracting;
pub mod custody;
mod demand;
mod objecting;

pub use actions::*;
pub use bidding::*;
pub use contracting::*;
pub use demand::*;
pub use objecting::*;

// ---------- tenders and lots ----------

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = tenders)]
pub struct Tender {
    pub id: i64,
    pub title: String,
    pub region_id: i64,
    pub window_id: Option<i64>,
    pub state: TenderState,
    pub bid_deadline: NaiveDateTime,
    pub objection_days: i32,
    pub objection_deadline: Option<NaiveDateTime>,
    pub contract_months: i32,
    #[serde(skip)]
    pub key_salt: String,
    pub cancel_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    /// The public half of the tender's envelope key (hex): bids are sealed to it. Server
    /// sealing: an X25519 key; quorum sealing: a ristretto255 point formed by the custodians'
    /// dealings (empty until every custodian has dealt).
    pub envelope_key: String,
    /// `server` or `quorum` (`sealing::Mode`).
    pub sealing: crate::sealing::Mode,
    /// Quorum sealing: how many custodians open (k).
    pub quorum: i32,
    /// When the list of envelope digests was fixed (at the bid deadline).
    pub digests_published_at: Option<NaiveDateTime>,
}

impl Tender {
    pub fn state(&self) -> TenderState {
        self.state
    }
    pub fn deadline(&self) -> DateTime<Utc> {
        self.bid_deadline.and_utc()
    }
    pub fn sealing(&self) -> crate::sealing::Mode {
        self.sealing
    }
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = lots)]
pub struct Lot {
    pub id: i64,
    pub tender_id: i64,
    pub lot_no: i32,
    pub drug_id: i64,
    pub reported_demand: i64,
    pub agreed_share_bp: i32,
    pub agreed_volume: i64,
    pub max_unit_price: i64,
    pub min_bidders: i32,
    pub consistency_required: bool,
    pub policy: PolicyKind,
    pub policy_json: String,
    pub status: LotStatus,
    pub result_json: Option<String>,
}

impl Lot {
    pub fn award_policy(&self) -> Result<AwardPolicy> {
        serde_json::from_str(&self.policy_json).map_err(|e| {
            // The parser's words stay in the log.
            tracing::error!("lot {} policy unreadable: {e}", self.id);
            StoreError::Conflict(Msg::new(Code::LotPolicyUnreadable).arg("lot", self.id))
        })
    }
    pub fn result(&self) -> Option<LotAward> {
        self.result_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
    }
    pub fn max_price(&self) -> Money {
        Money::from_ten_thousandths(self.max_unit_price)
    }
}

pub use crate::domain::tender_stages::{agreed_volume, LotSpec, TenderSpec};

pub fn create_tender(
    conn: &mut DbConn,
    act: &Act,
    master: &MasterKey,
    spec: &TenderSpec,
) -> Result<Tender> {
    // The domain's rules, again here: the demo loads tenders through the store alone.
    spec.validate().map_err(StoreError::Invalid)?;
    super::write_tx(conn, |conn| {
        let totals = demand_totals(conn, spec.window_id)?;
        let salt = sealing::new_salt();
        let id: i64 = diesel::insert_into(tenders::table)
            .values((
                tenders::title.eq(spec.title.trim()),
                tenders::region_id.eq(spec.region_id),
                tenders::window_id.eq(Some(spec.window_id)),
                tenders::state.eq(TenderState::Draft),
                tenders::bid_deadline.eq(micros(spec.bid_deadline)),
                tenders::objection_days.eq(spec.objection_days),
                tenders::contract_months.eq(spec.contract_months),
                tenders::key_salt.eq(&salt),
                tenders::created_at.eq(act.stamp()),
            ))
            .returning(tenders::id)
            .get_result(conn)?;
        match master.new_tenders() {
            // The key is formed later, by the custodians' dealings.
            sealing::Mode::Quorum => diesel::update(tenders::table.find(id))
                .set((
                    tenders::sealing.eq(sealing::Mode::Quorum.as_str()),
                    tenders::quorum.eq(custody::DEFAULT_QUORUM),
                ))
                .execute(conn)?,
            sealing::Mode::Server => diesel::update(tenders::table.find(id))
                .set(tenders::envelope_key.eq(master.tender_public_key(id, &salt)))
                .execute(conn)?,
        };
        for (i, l) in spec.lots.iter().enumerate() {
            let reported = totals.iter().find(|t| t.0 == l.drug_id).map(|t| t.4);
            let demand = tender_stages::lot_demand(i + 1, reported)?;
            diesel::insert_into(lots::table)
                .values((
                    lots::tender_id.eq(id),
                    lots::lot_no.eq(i as i32 + 1),
                    lots::drug_id.eq(l.drug_id),
                    lots::reported_demand.eq(demand),
                    lots::agreed_share_bp.eq(l.agreed_share_bp),
                    lots::agreed_volume.eq(agreed_volume(demand, l.agreed_share_bp)),
                    lots::max_unit_price.eq(l.max_unit_price.ten_thousandths()),
                    lots::min_bidders.eq(l.min_bidders),
                    lots::consistency_required.eq(l.consistency_required),
                    lots::policy.eq(l.policy.kind()),
                    lots::policy_json
                        .eq(serde_json::to_string(&l.policy).expect("policy serializes")),
                    lots::status.eq(LotStatus::Open),
                ))
                .execute(conn)?;
        }
        let t = tender(conn, id)?;
        let ls = lots_of(conn, id)?;
        audit::append(
            conn,
            act,
            "create",
            "tender",
            id,
            None::<&()>,
            Some(&(&t, &ls)),
        )?;
        Ok(t)
    })
}

pub fn tender(conn: &mut DbConn, id: i64) -> Result<Tender> {
    tenders::table
        .find(id)
        .select(Tender::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::TenderNotFound.into()))
}

pub fn tenders_list(conn: &mut DbConn) -> Result<Vec<Tender>> {
    Ok(tenders::table
        .order(tenders::id.desc())
        .select(Tender::as_select())
        .load(conn)?)
}

pub fn lots_of(conn: &mut DbConn, tender_id: i64) -> Result<Vec<Lot>> {
    Ok(lots::table
        .filter(lots::tender_id.eq(tender_id))
        .order(lots::lot_no.asc())
        .select(Lot::as_select())
        .load(conn)?)
}

pub fn lot(conn: &mut DbConn, id: i64) -> Result<Lot> {
    lots::table
        .find(id)
        .select(Lot::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::LotNotFound.into()))
}

// ---------- reading what the pages and the API show ----------

/// The state a tender is in now: an open tender whose deadline has passed is closed, by the
/// server clock, whether or not anyone has yet recorded it.
/// The tender's state now (`TenderState::effective`: open past its deadline is closed).
pub fn effective_state(t: &Tender, now: DateTime<Utc>) -> TenderState {
    t.state().effective(t.deadline(), now)
}

/// Bids of a lot as center staff may see them now: nothing before the technical opening.
pub fn lot_bids_for_review(conn: &mut DbConn, lot_id: i64) -> Result<Vec<(Bid, String, String)>> {
    Ok(bids::table
        .inner_join(suppliers::table)
        .inner_join(products::table)
        .filter(bids::lot_id.eq(lot_id))
        .filter(bids::status.eq(BidStatus::Active))
        .order(bids::id.asc())
        .select((Bid::as_select(), suppliers::name, products::approval_number))
        .load(conn)?)
}

/// Lots of a tender with their drug: (lot, drug code, drug name, strength).
pub fn lots_with_drugs(
    conn: &mut DbConn,
    tender_id: i64,
) -> Result<Vec<(Lot, String, String, String)>> {
    Ok(lots::table
        .inner_join(drugs::table)
        .filter(lots::tender_id.eq(tender_id))
        .order(lots::lot_no.asc())
        .select((
            Lot::as_select(),
            drugs::code,
            drugs::name_zh,
            drugs::strength,
        ))
        .load(conn)?)
}

/// Tenders whose award has been published (the public results and the OCDS export).
pub fn published_tenders(conn: &mut DbConn) -> Result<Vec<Tender>> {
    Ok(tenders::table
        .filter(tenders::published_at.is_not_null())
        .order(tenders::id.asc())
        .select(Tender::as_select())
        .load(conn)?)
}

/// Supplier names by id.
pub fn supplier_names(conn: &mut DbConn) -> Result<BTreeMap<i64, String>> {
    Ok(suppliers::table
        .select((suppliers::id, suppliers::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// One awarded line of the public results (the page names the drug and formats the figures in
/// its reader's language).
#[derive(Debug, Clone, Serialize)]
pub struct PublicRow {
    pub lot_no: i32,
    pub drug_id: i64,
    pub drug_code: String,
    pub drug_strength: String,
    pub winner: String,
    /// None: the lot failed (流标), no winner; the page says so in the reader's language.
    pub unit_price: Option<Decimal>,
    pub volume: Option<i64>,
}

/// Every tender whose award has been published, with its lots' winners (failed lots say so).
pub fn public_results(conn: &mut DbConn) -> Result<Vec<(Tender, Vec<PublicRow>)>> {
    let names = supplier_names(conn)?;
    let mut out = vec![];
    for t in published_tenders(conn)?
        .into_iter()
        .filter(|t| t.state().award_published())
    {
        let mut rows = vec![];
        for (l, code, _, strength) in lots_with_drugs(conn, t.id)? {
            let row =
                |winner: String, unit_price: Option<Decimal>, volume: Option<i64>| PublicRow {
                    lot_no: l.lot_no,
                    drug_id: l.drug_id,
                    drug_code: code.clone(),
                    drug_strength: strength.clone(),
                    winner,
                    unit_price,
                    volume,
                };
            match l.result().map(|r| r.outcome) {
                Some(Outcome::Awarded { winners, .. }) => {
                    for w in winners {
                        rows.push(row(
                            names.get(&w.supplier_id).cloned().unwrap_or_default(),
                            Some(w.unit_price.decimal()),
                            Some(w.volume),
                        ));
                    }
                }
                _ => rows.push(row("—".into(), None, None)),
            }
        }
        out.push((t, rows));
    }
    Ok(out)
}

/// What the OCDS release of a tender is built from.
/// What an open-data release of a tender is built from: plain rows, read here; `crate::ocds`
/// maps them to the standard (the store knows nothing of OCDS).
pub struct TenderRecord {
    pub tender: Tender,
    /// (lot, drug code, drug name, strength, unit of use)
    pub lots: Vec<(Lot, String, String, String, String)>,
    /// Active bids per lot id.
    pub bids_per_lot: BTreeMap<i64, i64>,
    pub contracts: Vec<Contract>,
    /// Supplier id → (name, unified social credit code).
    pub suppliers: BTreeMap<i64, (String, String)>,
    /// The procurement center: (name, region code).
    pub buyer: (String, String),
    /// The envelope digests fixed at the bid deadline (lot number, digest); None before.
    pub digests: Option<Vec<(i32, String)>>,
}

pub fn ocds_record(conn: &mut DbConn, tender_id: i64) -> Result<TenderRecord> {
    let tender = tender(conn, tender_id)?;
    let lots: Vec<(Lot, String, String, String, String)> = lots::table
        .inner_join(drugs::table)
        .filter(lots::tender_id.eq(tender_id))
        .order(lots::lot_no.asc())
        .select((
            Lot::as_select(),
            drugs::code,
            drugs::name_zh,
            drugs::strength,
            drugs::unit,
        ))
        .load(conn)?;
    let mut bids_per_lot = BTreeMap::new();
    for (l, ..) in &lots {
        let n: i64 = bids::table
            .filter(bids::lot_id.eq(l.id))
            .filter(bids::status.eq(BidStatus::Active))
            .count()
            .get_result(conn)?;
        bids_per_lot.insert(l.id, n);
    }
    let suppliers: BTreeMap<i64, (String, String)> = suppliers::table
        .select((suppliers::id, (suppliers::name, suppliers::uscc)))
        .load::<(i64, (String, String))>(conn)?
        .into_iter()
        .collect();
    let (rname, rcode): (String, String) = regions::table
        .find(tender.region_id)
        .select((regions::name_zh, regions::code))
        .first(conn)?;
    let contracts = contracts_of_tender(conn, tender_id)?;
    let digests = custody::digest_list(conn, tender_id)?;
    Ok(TenderRecord {
        tender,
        lots,
        bids_per_lot,
        contracts,
        suppliers,
        buyer: (format!("{rname}药品集中采购中心"), rcode),
        digests,
    })
}

/// Tenders whose bids are sealed and not yet opened (bids received, commercial opening not
/// done): what the master key must still open.
pub fn sealed_tenders(conn: &mut DbConn) -> Result<Vec<crate::sealing::SealedTender>> {
    let waiting = [
        TenderState::Open,
        TenderState::Closed,
        TenderState::TechnicalOpened,
        TenderState::TechnicalPublished,
    ];
    let rows: Vec<(i64, String, String, String)> = tenders::table
        .filter(tenders::state.eq_any(waiting))
        .filter(tenders::sealing.eq(sealing::Mode::Server.as_str()))
        .filter(tenders::id.eq_any(bids::table.inner_join(lots::table).select(lots::tender_id)))
        .select((
            tenders::id,
            tenders::title,
            tenders::key_salt,
            tenders::envelope_key,
        ))
        .order(tenders::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, key_salt, envelope_key)| crate::sealing::SealedTender {
                id,
                title,
                key_salt,
                envelope_key,
            },
        )
        .collect())
}

/// The bid deadline of each of these bids' tenders (bids not found are left out).
pub fn deadlines_of_bids(
    conn: &mut DbConn,
    bid_ids: &[i64],
) -> Result<std::collections::HashMap<i64, NaiveDateTime>> {
    Ok(bids::table
        .inner_join(lots::table.inner_join(tenders::table))
        .filter(bids::id.eq_any(bid_ids))
        .select((bids::id, tenders::bid_deadline))
        .load::<(i64, NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}
