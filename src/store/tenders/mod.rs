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
use crate::domain::bounds;
use crate::domain::catalog::{CreditStatus, LicenceKind, RegionLevel, SupplierKind};
use crate::domain::money::Money;
use crate::domain::tender::{
    self, BidStatus, ContractStatus, LotStatus, RecordedReason, TechnicalFacts, TechnicalResult,
    TenderAction, TenderState, TransitionContext, WindowStatus,
};
use crate::domain::{Code, Invalid, Msg};
use crate::sealing::{self, MasterKey, Sealed};

mod bidding;
mod demand;

pub use bidding::*;
pub use demand::*;

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
    /// The public half of the tender's envelope key (X25519, hex): bids are sealed to it.
    pub envelope_key: String,
}

impl Tender {
    pub fn state(&self) -> TenderState {
        self.state
    }
    pub fn deadline(&self) -> DateTime<Utc> {
        self.bid_deadline.and_utc()
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

/// A lot as center staff define it.
#[derive(Debug, Clone)]
pub struct LotSpec {
    pub drug_id: i64,
    pub max_unit_price: Money,
    pub min_bidders: i32,
    pub consistency_required: bool,
    pub policy: AwardPolicy,
    /// Agreed share in basis points (7000 = 70%).
    pub agreed_share_bp: i32,
}

#[derive(Debug, Clone)]
pub struct TenderSpec {
    pub title: String,
    pub region_id: i64,
    pub window_id: i64,
    pub bid_deadline: DateTime<Utc>,
    pub objection_days: i32,
    pub contract_months: i32,
    pub lots: Vec<LotSpec>,
}

/// Rounds demand × share (basis points) half up to whole units.
pub fn agreed_volume(demand: i64, share_bp: i32) -> i64 {
    ((demand as i128 * share_bp as i128 * 2 + 10_000) / 20_000) as i64
}

pub fn create_tender(
    conn: &mut DbConn,
    act: &Act,
    master: &MasterKey,
    spec: &TenderSpec,
) -> Result<Tender> {
    let mut errs = vec![];
    if spec.title.trim().is_empty() {
        errs.push(Invalid::new("title", Code::Required));
    }
    if spec.lots.is_empty() {
        errs.push(Invalid::new("lots", Code::Required));
    }
    if !(0..=*bounds::DAYS.end()).contains(&i64::from(spec.objection_days)) {
        errs.push(Invalid::new(
            "objection_days",
            Msg::new(Code::OutOfRange)
                .arg("min", 0)
                .arg("max", bounds::DAYS.end()),
        ));
    }
    if let Err(e) = bounds::in_range(
        "contract_months",
        spec.contract_months.into(),
        bounds::MONTHS,
    ) {
        errs.push(e);
    }
    for l in &spec.lots {
        if l.max_unit_price.decimal() <= Decimal::ZERO {
            errs.push(Invalid::new("max_unit_price", Code::NotPositive));
        }
        if let Err(e) = Money::entered("max_unit_price", l.max_unit_price.decimal()) {
            errs.push(e);
        }
        if let Err(e) = bounds::in_range("min_bidders", l.min_bidders.into(), bounds::BIDDERS) {
            errs.push(e);
        }
        if let Err(e) = l.policy.validate() {
            errs.push(e);
        }
        if !(1..=10_000).contains(&l.agreed_share_bp) {
            errs.push(Invalid::new("agreed_share", Code::AgreedShareOutOfRange));
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
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
        diesel::update(tenders::table.find(id))
            .set(tenders::envelope_key.eq(master.tender_public_key(id, &salt)))
            .execute(conn)?;
        for (i, l) in spec.lots.iter().enumerate() {
            let demand = totals
                .iter()
                .find(|t| t.0 == l.drug_id)
                .map(|t| t.4)
                .unwrap_or(0);
            if demand == 0 {
                return Err(
                    Invalid::new("lots", Msg::new(Code::NoDemandForLot).arg("lot", i + 1)).into(),
                );
            }
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

// ---------- objections ----------

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = objections)]
pub struct Objection {
    pub id: i64,
    pub tender_id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub text: String,
    pub lodged_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
}

pub fn objections_of(conn: &mut DbConn, tender_id: i64) -> Result<Vec<Objection>> {
    Ok(objections::table
        .filter(objections::tender_id.eq(tender_id))
        .order(objections::id.asc())
        .select(Objection::as_select())
        .load(conn)?)
}

/// A bidder objects to the provisional award of a lot, within the window.
pub fn lodge_objection(
    conn: &mut DbConn,
    act: &Act,
    lot_id: i64,
    supplier_id: i64,
    text: &str,
) -> Result<Objection> {
    let text = crate::domain::required_text("text", text, 4000)?;
    super::write_tx(conn, |conn| {
        let l = lot(conn, lot_id)?;
        let t = tender(conn, l.tender_id)?;
        if t.state() != TenderState::Provisional
            || t.objection_deadline
                .map(|d| act.stamp() >= d)
                .unwrap_or(true)
        {
            return Err(Invalid::new("objection", Code::ObjectionWindowClosed).into());
        }
        if bid_of(conn, lot_id, supplier_id)?.is_none() {
            return Err(Invalid::new("objection", Code::OnlyBiddersObject).into());
        }
        let id: i64 = diesel::insert_into(objections::table)
            .values((
                objections::tender_id.eq(t.id),
                objections::lot_id.eq(lot_id),
                objections::supplier_id.eq(supplier_id),
                objections::text.eq(&text),
                objections::lodged_at.eq(act.stamp()),
            ))
            .returning(objections::id)
            .get_result(conn)?;
        let o: Objection = objections::table
            .find(id)
            .select(Objection::as_select())
            .first(conn)?;
        audit::append(conn, act, "lodge", "objection", id, None::<&()>, Some(&o))?;
        Ok(o)
    })
}

pub fn answer_objection(conn: &mut DbConn, act: &Act, id: i64, answer: &str) -> Result<()> {
    let answer = crate::domain::required_text("answer", answer, 4000)?;
    super::write_tx(conn, |conn| {
        let o: Objection = objections::table
            .find(id)
            .select(Objection::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::ObjectionNotFound.into()))?;
        if o.answer.is_some() {
            return Err(Invalid::new("answer", Code::ObjectionAlreadyAnswered).into());
        }
        diesel::update(objections::table.find(id))
            .set((
                objections::answer.eq(Some(&answer)),
                objections::answered_at.eq(Some(act.stamp())),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "answer",
            "objection",
            id,
            Some(&o),
            Some(&answer),
        )?;
        Ok(())
    })
}

// ---------- the tender's steps ----------

/// Moves a tender on by one step, doing what that step does (review, opening, award,
/// contracts) in the same transaction as the change of state and its audit record.
pub fn apply_action(
    conn: &mut DbConn,
    act: &Act,
    master: &MasterKey,
    tz: Tz,
    tender_id: i64,
    action: TenderAction,
    reason: Option<&str>,
) -> Result<Tender> {
    super::write_tx(conn, |conn| {
        let t = tender(conn, tender_id)?;
        let ls = lots_of(conn, tender_id)?;
        let missing_scores = if action == TenderAction::PublishTechnical {
            lots_missing_scores(conn, &ls)?
        } else {
            0
        };
        let open_objections = objections_of(conn, tender_id)?
            .iter()
            .filter(|o| o.answer.is_none())
            .count();
        let cx = TransitionContext {
            now: act.at,
            bid_deadline: t.deadline(),
            objection_deadline: t.objection_deadline.map(|d| d.and_utc()),
            open_objections,
            lots_missing_scores: missing_scores,
            lots: ls.len(),
        };
        let next = tender::transition(effective_state(&t, act.at), action, &cx)?;
        match action {
            TenderAction::Publish => {
                diesel::update(tenders::table.find(tender_id))
                    .set(tenders::published_at.eq(Some(act.stamp())))
                    .execute(conn)?;
            }
            TenderAction::OpenTechnical => technical_opening(conn, &t, &ls, tz)?,
            TenderAction::OpenCommercial => commercial_opening(conn, master, &t, &ls)?,
            TenderAction::PublishAward => {
                let d = act.at + chrono::Duration::days(t.objection_days as i64);
                diesel::update(tenders::table.find(tender_id))
                    .set(tenders::objection_deadline.eq(Some(micros(d))))
                    .execute(conn)?;
            }
            TenderAction::Contract => make_contracts(conn, act, &t, &ls, tz)?,
            TenderAction::Cancel => {
                let r = crate::domain::required_text("reason", reason.unwrap_or(""), 2000)?;
                diesel::update(tenders::table.find(tender_id))
                    .set(tenders::cancel_reason.eq(Some(r)))
                    .execute(conn)?;
            }
            _ => {}
        }
        diesel::update(tenders::table.find(tender_id))
            .set(tenders::state.eq(next))
            .execute(conn)?;
        let after = tender(conn, tender_id)?;
        audit::append(
            conn,
            act,
            action.as_str(),
            "tender",
            tender_id,
            Some(&t.state),
            Some(&after),
        )?;
        Ok(after)
    })
}

fn lots_missing_scores(conn: &mut DbConn, ls: &[Lot]) -> Result<usize> {
    let mut n = 0;
    for l in ls.iter().filter(|l| l.policy == PolicyKind::CompositeScore) {
        let missing = bids_of_lot(conn, l.id)?.iter().any(|b| {
            b.status == BidStatus::Active
                && b.technical_result == Some(TechnicalResult::Passed)
                && b.technical_score.is_none()
        });
        if missing {
            n += 1;
        }
    }
    Ok(n)
}

/// The automatic technical checks of every active bid, each failure with its reason.
fn technical_opening(conn: &mut DbConn, t: &Tender, ls: &[Lot], tz: Tz) -> Result<()> {
    let deadline_day = t.deadline().with_timezone(&tz).date_naive();
    for l in ls {
        for b in bids_of_lot(conn, l.id)?
            .into_iter()
            .filter(|b| b.status == BidStatus::Active)
        {
            let (p_drug, p_maker, p_agent, p_cons, p_orig): (i64, i64, Option<i64>, bool, bool) =
                products::table
                    .find(b.product_id)
                    .select((
                        products::drug_id,
                        products::manufacturer_id,
                        products::national_agent_id,
                        products::consistency_passed,
                        products::originator,
                    ))
                    .first(conn)?;
            let (kind, credit): (SupplierKind, CreditStatus) = suppliers::table
                .find(b.supplier_id)
                .select((suppliers::kind, suppliers::credit_status))
                .first(conn)?;
            // The licences as they stood when the bid's last version was sealed, before the
            // deadline (its technical envelope), not the live table: one added after the
            // deadline does not count, one removed after it still does.
            let lic = envelope_licences(&b.technical_json)?;
            let facts = TechnicalFacts {
                lot_drug_id: l.drug_id,
                product_drug_id: p_drug,
                product_manufacturer_id: p_maker,
                product_national_agent_id: p_agent,
                supplier_id: b.supplier_id,
                supplier_kind: kind,
                consistency_required: l.consistency_required,
                product_consistency: p_cons,
                product_originator: p_orig,
                licences: lic.into_iter().map(|(k, _, d)| (k, d)).collect(),
                deadline_day,
                annual_capacity: b.annual_capacity,
                agreed_volume: l.agreed_volume,
                capacity_factor: (1, 1),
                bad_faith: credit == CreditStatus::BadFaith
                    || super::orders::on_bad_faith_list(conn, b.supplier_id, deadline_day)?,
            };
            let reasons = tender::technical_review(&facts);
            let result = if reasons.is_empty() {
                TechnicalResult::Passed
            } else {
                TechnicalResult::Failed
            };
            let recorded: Vec<RecordedReason> = reasons.iter().map(RecordedReason::from).collect();
            diesel::update(bids::table.find(b.id))
                .set((
                    bids::technical_result.eq(Some(result)),
                    bids::technical_reasons.eq(Some(
                        serde_json::to_string(&recorded).expect("reasons serialize"),
                    )),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Opens the sealed price envelopes of qualified bids only, derives unit prices, and computes
/// each lot's award with the pure award function.
fn commercial_opening(conn: &mut DbConn, master: &MasterKey, t: &Tender, ls: &[Lot]) -> Result<()> {
    for l in ls {
        let mut inputs = vec![];
        for b in bids_of_lot(conn, l.id)?
            .into_iter()
            .filter(|b| b.status == BidStatus::Active)
        {
            let qualified = b.technical_result == Some(TechnicalResult::Passed);
            let mut unit_price = Money::ZERO;
            if qualified {
                let sealed = Sealed {
                    nonce: b.commercial_nonce.clone(),
                    ciphertext: b.commercial_sealed.clone(),
                    digest: b.commercial_digest.clone(),
                };
                let plain = sealing::open(
                    master,
                    t.id,
                    &t.key_salt,
                    &binding(t.id, l.id, b.supplier_id, b.version),
                    &sealed,
                )?;
                let env: CommercialEnvelope = serde_json::from_slice(&plain).map_err(|_| {
                    Invalid::new("commercial_envelope", Code::OpenedEnvelopeUnreadable)
                })?;
                let package = Money::parse("package_price", &env.package_price)?;
                let units: i32 = products::table
                    .find(b.product_id)
                    .select(products::units_per_package)
                    .first(conn)?;
                unit_price = package
                    .div_round(units as i64)
                    .ok_or_else(|| Invalid::new("units_per_package", Code::NotPositive))?;
                diesel::update(bids::table.find(b.id))
                    .set((
                        bids::package_price.eq(Some(package.ten_thousandths())),
                        bids::unit_price.eq(Some(unit_price.ten_thousandths())),
                    ))
                    .execute(conn)?;
            }
            inputs.push(BidInput {
                bid_id: b.id,
                supplier_id: b.supplier_id,
                unit_price,
                qualified,
                technical_score: b.technical_score.map(Decimal::from),
                final_submission_seq: b.submission_seq,
            });
        }
        let window = t
            .window_id
            .ok_or_else(|| Invalid::new("window", Code::TenderWithoutDemandWindow))?;
        let lot_input = LotInput {
            lot_id: l.id,
            max_unit_price: l.max_price(),
            min_bidders: l.min_bidders as usize,
            policy: l.award_policy()?,
            reported_demand: demand_by_county(conn, window, l.drug_id)?,
            default_share: Decimal::new(l.agreed_share_bp as i64, 4),
        };
        let result = award::award_lot(&lot_input, &inputs)?;
        let (status, volume, share_bp) = match &result.outcome {
            Outcome::Failed { .. } => (LotStatus::Failed, l.agreed_volume, l.agreed_share_bp),
            Outcome::Awarded {
                agreed_volume,
                agreed_share,
                ..
            } => (
                LotStatus::Awarded,
                *agreed_volume,
                (agreed_share * Decimal::from(10_000))
                    .round()
                    .try_into()
                    .unwrap_or(l.agreed_share_bp),
            ),
        };
        diesel::update(lots::table.find(l.id))
            .set((
                lots::status.eq(status),
                lots::agreed_volume.eq(volume),
                lots::agreed_share_bp.eq(share_bp),
                lots::result_json.eq(Some(
                    serde_json::to_string(&result).expect("award serializes"),
                )),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = contracts)]
pub struct Contract {
    pub id: i64,
    pub lot_id: i64,
    pub bid_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    pub region_id: i64,
    pub unit_price: i64,
    pub committed_volume: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: ContractStatus,
    pub created_at: NaiveDateTime,
}

/// One contract per winning bid; the committed volume split among institutions exactly as the award says.
fn make_contracts(conn: &mut DbConn, act: &Act, t: &Tender, ls: &[Lot], tz: Tz) -> Result<()> {
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
                ))
                .returning(contracts::id)
                .get_result(conn)?;
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

pub fn contracts_of_tender(conn: &mut DbConn, tender_id: i64) -> Result<Vec<Contract>> {
    Ok(contracts::table
        .inner_join(lots::table)
        .filter(lots::tender_id.eq(tender_id))
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
    super::write_tx(conn, |conn| {
        let c: Contract = contracts::table
            .find(contract_id)
            .select(Contract::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(Code::ContractNotFound.into()))?;
        if c.supplier_id != supplier_id {
            return Err(StoreError::NotFound(Code::ContractNotFound.into()));
        }
        let level: RegionLevel = regions::table
            .find(county_id)
            .select(regions::level)
            .first(conn)
            .optional()?
            .ok_or_else(|| Invalid::new("county", Code::RecordNotFound))?;
        if level != RegionLevel::County {
            return Err(Invalid::new("county", Code::DistributorsPerCounty).into());
        }
        let kind: SupplierKind = suppliers::table
            .find(distributor_id)
            .select(suppliers::kind)
            .first(conn)
            .optional()?
            .ok_or_else(|| Invalid::new("distributor", Code::RecordNotFound))?;
        let licensed = licences::table
            .filter(licences::supplier_id.eq(distributor_id))
            .filter(licences::kind.eq(LicenceKind::Business))
            .filter(licences::expires_on.ge(today))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if kind != SupplierKind::Distributor || !licensed {
            return Err(Invalid::new("distributor", Code::NotALicensedDistributor).into());
        }
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

pub fn objections_of_id(conn: &mut DbConn, id: i64) -> Result<Objection> {
    objections::table
        .find(id)
        .select(Objection::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::ObjectionNotFound.into()))
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
        .map(|(id, level, parent)| super::regions::county_of(id, level, parent))
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

/// One awarded line of the public results.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRow {
    pub lot_no: i32,
    pub drug: String,
    /// The lot failed (流标): no winner; the page says so in the reader's language.
    pub failed: bool,
    pub winner: String,
    pub unit_price: String,
    pub volume: String,
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
        for (l, code, name, strength) in lots_with_drugs(conn, t.id)? {
            let drug = format!("{code} {name} {strength}");
            match l.result().map(|r| r.outcome) {
                Some(Outcome::Awarded { winners, .. }) => {
                    for w in winners {
                        rows.push(PublicRow {
                            lot_no: l.lot_no,
                            drug: drug.clone(),
                            failed: false,
                            winner: names.get(&w.supplier_id).cloned().unwrap_or_default(),
                            unit_price: w.unit_price.to_string(),
                            volume: w.volume.to_string(),
                        });
                    }
                }
                _ => rows.push(PublicRow {
                    lot_no: l.lot_no,
                    drug,
                    failed: true,
                    winner: "—".into(),
                    unit_price: "—".into(),
                    volume: "—".into(),
                }),
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
    Ok(TenderRecord {
        tender,
        lots,
        bids_per_lot,
        contracts,
        suppliers,
        buyer: (format!("{rname}药品集中采购中心"), rcode),
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
