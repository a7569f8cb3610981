//! The award of a lot: a pure, deterministic function of the published inputs (the lot's
//! parameters, the reported demand, and the opened, reviewed bids), so that anyone holding
//! them can recompute it. The rules are DOMAIN.md, "Tender" 2 and 7:
//!
//! - a bid is *valid* when it passed the technical review and its unit price is positive and
//!   not above the lot's maximum valid price; a lot with fewer valid bids than its minimum fails;
//! - valid bids are ranked: by lower unit price, then higher technical score, then earlier final
//!   submission (and, should two bids share all three, the lower bid id); under the composite
//!   score policy the higher score ranks first and those keys break its ties;
//! - *lowest price* and *composite score* have one winner; *multiple winners* takes, in rank
//!   order and up to its maximum, every valid bid whose unit price is within the price-ratio cap
//!   of the lowest, or under the absolute floor, or under the fraction of the maximum price;
//! - the agreed volume is the total reported demand × the agreed share, rounded half up; it is
//!   split among institutions by the largest-remainder method in proportion to their demand
//!   (equal remainders: larger demand first, then lower code); under multiple winners winners
//!   take counties in turn (largest county demand first, then lower code), each institution's
//!   volume goes to its county's primary supplier, and the next-ranked winner is the backup.
//!
//! The composite score is `technical weight × technical score + price weight × (lowest valid
//! unit price ÷ unit price × 100)`, rounded half up to 4 decimal places before comparison.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::bounds;
use super::money::Money;
use super::{Code, Invalid, Msg};

/// The parameters of the multiple-winners policy (province defaults in [`MultiParams::default`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MultiParams {
    /// At most this many winners (default 10).
    pub max_winners: usize,
    /// A bid wins if its unit price ≤ this × the lowest valid unit price (default 1.8).
    pub price_ratio: Decimal,
    /// … or ≤ this unit price in yuan (default 0.10).
    pub absolute_floor: Money,
    /// … or ≤ this fraction of the maximum valid price (default 0.5).
    pub max_price_fraction: Decimal,
    /// Agreed share by number of winners: entry k is the share for k+1 winners, the last
    /// for that many or more (default 50%, 60%, 70%, 80%).
    pub shares: Vec<Decimal>,
}

impl Default for MultiParams {
    fn default() -> Self {
        MultiParams {
            max_winners: 10,
            price_ratio: Decimal::new(18, 1),
            absolute_floor: Money::from_ten_thousandths(1_000),
            max_price_fraction: Decimal::new(5, 1),
            shares: vec![
                Decimal::new(50, 2),
                Decimal::new(60, 2),
                Decimal::new(70, 2),
                Decimal::new(80, 2),
            ],
        }
    }
}

impl MultiParams {
    /// The agreed share for this many winners.
    pub fn share_for(&self, winners: usize) -> Decimal {
        let i = winners.max(1).min(self.shares.len()) - 1;
        self.shares[i]
    }

    /// The ranges of the parameters: the ratio 1 to 10 (4 decimal places), the fraction and the
    /// shares 0 to 1 (4 places), the floor an entered amount, at most [`bounds::BIDDERS`]
    /// winners and as many shares. Within them every product the award takes (a unit price ×
    /// the ratio or the fraction, the demand × a share) fits a `Decimal` many times over.
    pub fn validate(&self) -> Result<(), Invalid> {
        bounds::in_range(
            "max_winners",
            i64::try_from(self.max_winners).unwrap_or(i64::MAX),
            bounds::BIDDERS,
        )?;
        bounds::decimal_in(
            "price_ratio",
            self.price_ratio,
            Decimal::ONE,
            Decimal::TEN,
            4,
        )?;
        Money::entered("absolute_floor", self.absolute_floor.decimal())?;
        bounds::fraction("max_price_fraction", self.max_price_fraction)?;
        if self.shares.is_empty()
            || self.shares.len() > *bounds::BIDDERS.end() as usize
            || self
                .shares
                .iter()
                .any(|s| *s <= Decimal::ZERO || bounds::fraction("shares", *s).is_err())
        {
            return Err(Invalid::new(
                "shares",
                Msg::new(Code::InvalidAgreedShares).arg("max", bounds::BIDDERS.end()),
            ));
        }
        Ok(())
    }
}

/// How a lot is awarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AwardPolicy {
    LowestPrice,
    MultipleWinners(MultiParams),
    CompositeScore {
        technical_weight: Decimal,
        price_weight: Decimal,
    },
}

words! {
    /// Which kind of [`AwardPolicy`] a lot has (stored beside the policy's parameters).
    pub enum PolicyKind {
        LowestPrice => "lowest_price",
        MultipleWinners => "multiple_winners",
        CompositeScore => "composite_score",
    }
}

impl AwardPolicy {
    pub fn kind(&self) -> PolicyKind {
        match self {
            AwardPolicy::LowestPrice => PolicyKind::LowestPrice,
            AwardPolicy::MultipleWinners(_) => PolicyKind::MultipleWinners,
            AwardPolicy::CompositeScore { .. } => PolicyKind::CompositeScore,
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            AwardPolicy::LowestPrice => Ok(()),
            AwardPolicy::MultipleWinners(p) => p.validate(),
            AwardPolicy::CompositeScore {
                technical_weight,
                price_weight,
            } => {
                if bounds::fraction("technical_weight", *technical_weight).is_err()
                    || bounds::fraction("price_weight", *price_weight).is_err()
                    || technical_weight.checked_add(*price_weight) != Some(Decimal::ONE)
                {
                    return Err(Invalid::new("weights", Code::WeightsMustAddUp));
                }
                Ok(())
            }
        }
    }

    pub fn needs_scores(&self) -> bool {
        matches!(self, AwardPolicy::CompositeScore { .. })
    }
}

/// One institution's reported annual quantity of the lot's drug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionDemand {
    pub institution_code: String,
    pub quantity: i64,
}

/// The reported demand of one county's institutions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyDemand {
    pub county_code: String,
    pub institutions: Vec<InstitutionDemand>,
}

/// The published inputs of a lot.
#[derive(Debug, Clone)]
pub struct LotInput {
    pub lot_id: i64,
    pub max_unit_price: Money,
    pub min_bidders: usize,
    pub policy: AwardPolicy,
    pub reported_demand: Vec<CountyDemand>,
    /// The lot's agreed share (used by every policy but multiple winners, whose share follows
    /// the number of winners).
    pub default_share: Decimal,
}

/// One opened bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidInput {
    pub bid_id: i64,
    pub supplier_id: i64,
    /// The unit price (package price ÷ units per package); zero when not opened.
    pub unit_price: Money,
    /// Passed the technical review.
    pub qualified: bool,
    pub technical_score: Option<Decimal>,
    /// Sequence number of the bid's final submission (earlier = smaller).
    pub final_submission_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidBid {
    pub bid_id: i64,
    pub supplier_id: i64,
    /// Why the bid is not valid, as a stable code (`bid_not_qualified`, `bid_price_not_positive`,
    /// `bid_price_above_max`); an award computed before the codes holds an English sentence.
    pub reason: String,
    /// The reason's arguments (`price`, `max`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

/// A reason as a published result holds it: the code word and the arguments.
fn recorded(m: Msg) -> (String, BTreeMap<String, String>) {
    (
        m.code.as_str().to_string(),
        m.args
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A valid bid in its rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub bid_id: i64,
    pub supplier_id: i64,
    pub rank: usize,
    pub unit_price: Money,
    pub score: Option<Decimal>,
    pub winner: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Winner {
    pub bid_id: i64,
    pub supplier_id: i64,
    /// 1 = first.
    pub rank: usize,
    pub unit_price: Money,
    pub score: Option<Decimal>,
    /// Committed volume in units of use.
    pub volume: i64,
    /// Counties this winner supplies first.
    pub primary_counties: Vec<String>,
    /// Counties this winner backs up.
    pub backup_for: Vec<String>,
    /// (institution code, committed volume), by code.
    pub institution_volumes: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Failed {
        /// `too_few_valid_bids` (an award computed before the codes holds an English sentence).
        reason: String,
        /// The reason's arguments (`valid`, `min`).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<String, String>,
        valid_bids: usize,
        invalid: Vec<InvalidBid>,
    },
    Awarded {
        agreed_share: Decimal,
        agreed_volume: i64,
        winners: Vec<Winner>,
        invalid: Vec<InvalidBid>,
        ranking: Vec<Ranked>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotAward {
    pub lot_id: i64,
    pub outcome: Outcome,
}

impl LotAward {
    pub fn winners(&self) -> &[Winner] {
        match &self.outcome {
            Outcome::Awarded { winners, .. } => winners,
            Outcome::Failed { .. } => &[],
        }
    }
}

struct Valid<'a> {
    bid: &'a BidInput,
    price: i64,
    score: Option<Decimal>,
}

/// Orders two valid bids by the tie-breaks: lower unit price, higher technical score, earlier
/// final submission, lower bid id.
fn tie_break(a: &Valid, b: &Valid) -> Ordering {
    a.price
        .cmp(&b.price)
        .then_with(|| b.bid.technical_score.cmp(&a.bid.technical_score))
        .then_with(|| a.bid.final_submission_seq.cmp(&b.bid.final_submission_seq))
        .then_with(|| a.bid.bid_id.cmp(&b.bid.bid_id))
}

/// Why a lot fails: fewer valid bids than its minimum.
pub fn too_few_valid_bids(valid: usize, min: usize) -> Msg {
    Msg::new(Code::TooFewValidBids)
        .arg("valid", valid)
        .arg("min", min)
}

/// Awards one lot: the bids sorted into valid and invalid, too few valid bids fail the lot,
/// the valid ones ranked by the policy (which says how many win), the agreed volume split
/// among the institutions, the counties dealt to the winners, and the result put together.
pub fn award_lot(lot: &LotInput, bids: &[BidInput]) -> Result<LotAward, Invalid> {
    check_lot(lot)?;
    let (mut valid, invalid) = sort_bids(lot, bids);
    let min = lot.min_bidders.max(1);
    if valid.len() < min {
        let (reason, args) = recorded(too_few_valid_bids(valid.len(), min));
        return Ok(LotAward {
            lot_id: lot.lot_id,
            outcome: Outcome::Failed {
                reason,
                args,
                valid_bids: valid.len(),
                invalid,
            },
        });
    }
    let winners_n = rank(lot, &mut valid)?;
    let agreed_share = match &lot.policy {
        AwardPolicy::MultipleWinners(p) => p.share_for(winners_n),
        _ => lot.default_share,
    };
    let demand = DemandSplit::new(lot, agreed_share)?;
    let primary_of_county = deal_counties(lot, &demand.county_demand, winners_n);
    let winners = winners(lot, &valid[..winners_n], &demand, &primary_of_county);
    let ranking = valid
        .iter()
        .enumerate()
        .map(|(r, v)| Ranked {
            bid_id: v.bid.bid_id,
            supplier_id: v.bid.supplier_id,
            rank: r + 1,
            unit_price: v.bid.unit_price,
            score: v.score,
            winner: r < winners_n,
        })
        .collect();
    Ok(LotAward {
        lot_id: lot.lot_id,
        outcome: Outcome::Awarded {
            agreed_share,
            agreed_volume: demand.agreed_volume,
            winners,
            invalid,
            ranking,
        },
    })
}

/// The lot's own parameters: a valid policy and a share above 0 and at most 1.
fn check_lot(lot: &LotInput) -> Result<(), Invalid> {
    lot.policy.validate()?;
    if lot.default_share <= Decimal::ZERO || lot.default_share > Decimal::ONE {
        return Err(Invalid::new("agreed_share", Code::AgreedShareOutOfRange));
    }
    Ok(())
}

/// The valid bids (qualified, a positive price not above the maximum) and the invalid ones
/// with their reasons, by bid id.
fn sort_bids<'a>(lot: &LotInput, bids: &'a [BidInput]) -> (Vec<Valid<'a>>, Vec<InvalidBid>) {
    let max = lot.max_unit_price.ten_thousandths();
    let mut invalid = vec![];
    let mut valid: Vec<Valid> = Vec::with_capacity(bids.len());
    for b in bids {
        let price = b.unit_price.ten_thousandths();
        let reason = if !b.qualified {
            Some(Msg::new(Code::BidNotQualified))
        } else if price <= 0 {
            Some(Msg::new(Code::BidPriceNotPositive))
        } else if price > max {
            Some(
                Msg::new(Code::BidPriceAboveMax)
                    .arg("price", b.unit_price)
                    .arg("max", lot.max_unit_price),
            )
        } else {
            None
        };
        match reason.map(recorded) {
            Some((reason, args)) => invalid.push(InvalidBid {
                bid_id: b.bid_id,
                supplier_id: b.supplier_id,
                reason,
                args,
            }),
            None => valid.push(Valid {
                bid: b,
                price,
                score: None,
            }),
        }
    }
    invalid.sort_by_key(|i| i.bid_id);
    (valid, invalid)
}

/// Ranks the valid bids (at least one) in place by the lot's policy; how many of them win.
fn rank(lot: &LotInput, valid: &mut [Valid]) -> Result<usize, Invalid> {
    let lowest = valid
        .iter()
        .map(|v| v.price)
        .min()
        .expect("at least one valid bid");
    match &lot.policy {
        AwardPolicy::LowestPrice => {
            valid.sort_by(tie_break);
            Ok(1)
        }
        AwardPolicy::CompositeScore {
            technical_weight,
            price_weight,
        } => {
            for v in valid.iter_mut() {
                v.score = Some(composite_score(
                    v,
                    lowest,
                    *technical_weight,
                    *price_weight,
                )?);
            }
            valid.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| tie_break(a, b)));
            Ok(1)
        }
        AwardPolicy::MultipleWinners(p) => {
            valid.sort_by(tie_break);
            multiple_winners(lot, p, valid, lowest)
        }
    }
}

/// technical weight × technical score + price weight × (lowest ÷ this price × 100), to 1/10,000.
fn composite_score(
    v: &Valid,
    lowest: i64,
    technical_weight: Decimal,
    price_weight: Decimal,
) -> Result<Decimal, Invalid> {
    let tech = v.bid.technical_score.ok_or_else(|| {
        Invalid::new(
            "technical_score",
            Msg::new(Code::BidWithoutScore).arg("bid", v.bid.bid_id),
        )
    })?;
    let too_large = || Invalid::new("technical_score", Code::CompositeScoreTooLarge);
    let price_part = (Decimal::new(lowest, 4) * Decimal::ONE_HUNDRED)
        .checked_div(Decimal::new(v.price, 4))
        .ok_or_else(too_large)?;
    let s = technical_weight
        .checked_mul(tech)
        .zip(price_weight.checked_mul(price_part))
        .and_then(|(a, b)| a.checked_add(b))
        .ok_or_else(too_large)?;
    Ok(s.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero))
}

/// How many of the ranked valid bids win under multiple winners: at most `max_winners`, in
/// rank order while each is within one of the caps.
fn multiple_winners(
    lot: &LotInput,
    p: &MultiParams,
    ranked: &[Valid],
    lowest: i64,
) -> Result<usize, Invalid> {
    let ratio_cap = Decimal::new(lowest, 4)
        .checked_mul(p.price_ratio)
        .ok_or_else(|| Invalid::new("price_ratio", Code::AwardFigureTooLarge))?;
    let fraction_cap = lot
        .max_unit_price
        .decimal()
        .checked_mul(p.max_price_fraction)
        .ok_or_else(|| Invalid::new("max_price_fraction", Code::AwardFigureTooLarge))?;
    let floor = p.absolute_floor.ten_thousandths();
    Ok(ranked
        .iter()
        .take(p.max_winners)
        .take_while(|v| {
            let d = Decimal::new(v.price, 4);
            d <= ratio_cap || v.price <= floor || d <= fraction_cap
        })
        .count())
}

/// The institutions' reported demand and the agreed volume split among them.
struct DemandSplit<'a> {
    /// Each institution's code, its county (index into the lot's counties) and its volume.
    codes: Vec<&'a str>,
    county_of: Vec<usize>,
    volumes: Vec<i64>,
    /// (county index, the county's total demand)
    county_demand: Vec<(usize, i64)>,
    agreed_volume: i64,
}

impl<'a> DemandSplit<'a> {
    fn new(lot: &'a LotInput, share: Decimal) -> Result<Self, Invalid> {
        let mut codes: Vec<&str> = vec![];
        let mut weights: Vec<i64> = vec![];
        let mut county_of: Vec<usize> = vec![];
        let mut county_demand: Vec<(usize, i64)> = vec![];
        for (ci, c) in lot.reported_demand.iter().enumerate() {
            let mut sum: i64 = 0;
            for i in &c.institutions {
                if i.quantity < 0 {
                    return Err(Invalid::new(
                        "quantity",
                        Msg::new(Code::NegativeReportedQuantity)
                            .arg("institution", &i.institution_code),
                    ));
                }
                sum = sum
                    .checked_add(i.quantity)
                    .ok_or_else(|| Invalid::new("quantity", Code::ReportedDemandTooLarge))?;
                codes.push(&i.institution_code);
                weights.push(i.quantity);
                county_of.push(ci);
            }
            county_demand.push((ci, sum));
        }
        let total: i64 = county_demand
            .iter()
            .try_fold(0i64, |a, (_, d)| a.checked_add(*d))
            .ok_or_else(|| Invalid::new("quantity", Code::ReportedDemandTooLarge))?;
        let agreed_volume = Decimal::from(total)
            .checked_mul(share)
            .ok_or_else(|| Invalid::new("agreed_volume", Code::AwardFigureTooLarge))?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .try_into()
            .map_err(|_| Invalid::new("agreed_volume", Code::AwardFigureTooLarge))?;
        let volumes = split(agreed_volume, &weights, |i| codes[i])?;
        Ok(DemandSplit {
            codes,
            county_of,
            volumes,
            county_demand,
            agreed_volume,
        })
    }
}

/// Each county's primary winner (its rank, from 0): winners take the counties in turn, larger
/// demand first, then lower code.
fn deal_counties(lot: &LotInput, county_demand: &[(usize, i64)], winners_n: usize) -> Vec<usize> {
    let mut order = county_demand.to_vec();
    order.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| {
            lot.reported_demand[a.0]
                .county_code
                .cmp(&lot.reported_demand[b.0].county_code)
        })
    });
    let mut primary_of_county = vec![0usize; lot.reported_demand.len()];
    for (turn, (ci, _)) in order.iter().enumerate() {
        primary_of_county[*ci] = turn % winners_n;
    }
    primary_of_county
}

/// The winners with their counties (primary, and backed up for the previous rank's), volumes
/// and institutions' shares.
fn winners(
    lot: &LotInput,
    winning: &[Valid],
    demand: &DemandSplit,
    primary_of_county: &[usize],
) -> Vec<Winner> {
    let winners_n = winning.len();
    let mut winners: Vec<Winner> = winning
        .iter()
        .enumerate()
        .map(|(r, v)| Winner {
            bid_id: v.bid.bid_id,
            supplier_id: v.bid.supplier_id,
            rank: r + 1,
            unit_price: v.bid.unit_price,
            score: v.score,
            volume: 0,
            primary_counties: vec![],
            backup_for: vec![],
            institution_volumes: vec![],
        })
        .collect();
    for (ci, c) in lot.reported_demand.iter().enumerate() {
        let p = primary_of_county[ci];
        winners[p].primary_counties.push(c.county_code.clone());
        if winners_n > 1 {
            winners[(p + 1) % winners_n]
                .backup_for
                .push(c.county_code.clone());
        }
    }
    for (k, v) in demand.volumes.iter().enumerate() {
        let w = &mut winners[primary_of_county[demand.county_of[k]]];
        w.volume += v;
        if *v > 0 {
            w.institution_volumes
                .push((demand.codes[k].to_string(), *v));
        }
    }
    for w in winners.iter_mut() {
        w.primary_counties.sort();
        w.backup_for.sort();
        w.institution_volumes.sort();
    }
    winners
}

/// Splits `total` whole units among the parts in proportion to their weights by the
/// largest-remainder method: each part gets the whole part of its quota, and the units left go
/// one each to the largest remainders (equal remainders: larger weight first, then lower code).
/// The parts always sum exactly to `total`. If every weight is zero, the parts weigh equally.
/// The result keeps the order of the input.
pub fn largest_remainder(
    total: i64,
    parts: &[(String, i64)],
) -> Result<Vec<(String, i64)>, Invalid> {
    let weights: Vec<i64> = parts.iter().map(|p| p.1).collect();
    let split = split(total, &weights, |i| parts[i].0.as_str())?;
    Ok(parts
        .iter()
        .zip(split)
        .map(|(p, v)| (p.0.clone(), v))
        .collect())
}

/// The largest-remainder split over weights, ties broken by larger weight then lower code
/// (`code(i)` names part i); the parts in input order.
fn split<'a>(
    total: i64,
    weights: &[i64],
    code: impl Fn(usize) -> &'a str,
) -> Result<Vec<i64>, Invalid> {
    if total < 0 {
        return Err(Invalid::new("volume", Code::Negative));
    }
    if weights.is_empty() {
        if total == 0 {
            return Ok(vec![]);
        }
        return Err(Invalid::new("volume", Code::NobodyToSplitVolume));
    }
    if weights.iter().any(|w| *w < 0) {
        return Err(Invalid::new("quantity", Code::Negative));
    }
    let sum: i128 = weights.iter().map(|w| *w as i128).sum();
    let weight = |w: i64| -> i128 {
        if sum == 0 {
            1
        } else {
            w as i128
        }
    };
    let denom: i128 = if sum == 0 { weights.len() as i128 } else { sum };
    let mut out: Vec<i64> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let num = total as i128 * weight(*w);
        let q = num / denom;
        given += q;
        rems.push((num % denom, i));
        out.push(q as i64);
    }
    let left = (total as i128 - given) as usize;
    if left > 0 {
        let cmp = |a: &(i128, usize), b: &(i128, usize)| {
            b.0.cmp(&a.0)
                .then_with(|| weights[b.1].cmp(&weights[a.1]))
                .then_with(|| code(a.1).cmp(code(b.1)))
        };
        if left < rems.len() {
            rems.select_nth_unstable_by(left - 1, cmp);
        }
        for (_, i) in rems.iter().take(left) {
            out[*i] += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "award_tests.rs"]
mod tests;
