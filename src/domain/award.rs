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

/// Awards one lot.
pub fn award_lot(lot: &LotInput, bids: &[BidInput]) -> Result<LotAward, Invalid> {
    lot.policy.validate()?;
    if lot.default_share <= Decimal::ZERO || lot.default_share > Decimal::ONE {
        return Err(Invalid::new("agreed_share", Code::AgreedShareOutOfRange));
    }
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
    let lowest = valid
        .iter()
        .map(|v| v.price)
        .min()
        .expect("at least one valid bid");
    let winners_n = match &lot.policy {
        AwardPolicy::LowestPrice => {
            valid.sort_by(tie_break);
            1
        }
        AwardPolicy::CompositeScore {
            technical_weight,
            price_weight,
        } => {
            let lowest_d = Decimal::new(lowest, 4);
            let hundred = Decimal::ONE_HUNDRED;
            for v in valid.iter_mut() {
                let tech = v.bid.technical_score.ok_or_else(|| {
                    Invalid::new(
                        "technical_score",
                        Msg::new(Code::BidWithoutScore).arg("bid", v.bid.bid_id),
                    )
                })?;
                let too_large = || Invalid::new("technical_score", Code::CompositeScoreTooLarge);
                let price_part = (lowest_d * hundred)
                    .checked_div(Decimal::new(v.price, 4))
                    .ok_or_else(too_large)?;
                let s = technical_weight
                    .checked_mul(tech)
                    .zip(price_weight.checked_mul(price_part))
                    .and_then(|(a, b)| a.checked_add(b))
                    .ok_or_else(too_large)?;
                v.score = Some(s.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero));
            }
            valid.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| tie_break(a, b)));
            1
        }
        AwardPolicy::MultipleWinners(p) => {
            valid.sort_by(tie_break);
            let ratio_cap = Decimal::new(lowest, 4)
                .checked_mul(p.price_ratio)
                .ok_or_else(|| Invalid::new("price_ratio", Code::AwardFigureTooLarge))?;
            let fraction_cap = lot
                .max_unit_price
                .decimal()
                .checked_mul(p.max_price_fraction)
                .ok_or_else(|| Invalid::new("max_price_fraction", Code::AwardFigureTooLarge))?;
            let floor = p.absolute_floor.ten_thousandths();
            valid
                .iter()
                .take(p.max_winners)
                .take_while(|v| {
                    let d = Decimal::new(v.price, 4);
                    d <= ratio_cap || v.price <= floor || d <= fraction_cap
                })
                .count()
        }
    };
    let share = match &lot.policy {
        AwardPolicy::MultipleWinners(p) => p.share_for(winners_n),
        _ => lot.default_share,
    };

    // The institutions' demand, and the agreed volume split among them.
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

    // Counties in the order winners take them: larger demand first, then lower code.
    county_demand.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| {
            lot.reported_demand[a.0]
                .county_code
                .cmp(&lot.reported_demand[b.0].county_code)
        })
    });
    let mut primary_of_county = vec![0usize; lot.reported_demand.len()];
    for (turn, (ci, _)) in county_demand.iter().enumerate() {
        primary_of_county[*ci] = turn % winners_n;
    }
    let mut winners: Vec<Winner> = valid
        .iter()
        .take(winners_n)
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
    for (k, v) in volumes.into_iter().enumerate() {
        let w = &mut winners[primary_of_county[county_of[k]]];
        w.volume += v;
        if v > 0 {
            w.institution_volumes.push((codes[k].to_string(), v));
        }
    }
    for w in winners.iter_mut() {
        w.primary_counties.sort();
        w.backup_for.sort();
        w.institution_volumes.sort();
    }
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
            agreed_share: share,
            agreed_volume,
            winners,
            invalid,
            ranking,
        },
    })
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
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn yuan(s: &str) -> Money {
        Money::parse("p", s).unwrap()
    }

    fn bid(id: i64, price: &str, seq: i64) -> BidInput {
        BidInput {
            bid_id: id,
            supplier_id: 100 + id,
            unit_price: yuan(price),
            qualified: true,
            technical_score: None,
            final_submission_seq: seq,
        }
    }

    fn demand(counties: &[(&str, &[(&str, i64)])]) -> Vec<CountyDemand> {
        counties
            .iter()
            .map(|(c, is)| CountyDemand {
                county_code: c.to_string(),
                institutions: is
                    .iter()
                    .map(|(i, q)| InstitutionDemand {
                        institution_code: i.to_string(),
                        quantity: *q,
                    })
                    .collect(),
            })
            .collect()
    }

    fn lot(policy: AwardPolicy) -> LotInput {
        LotInput {
            lot_id: 1,
            max_unit_price: yuan("1.00"),
            min_bidders: 2,
            policy,
            reported_demand: demand(&[
                ("340102", &[("I1", 1000), ("I2", 500)]),
                ("340103", &[("I3", 2000)]),
                ("340104", &[("I4", 700)]),
            ]),
            default_share: Decimal::new(7, 1),
        }
    }

    #[test]
    fn policy_parameters_have_upper_bounds() {
        let huge = Decimal::MAX;
        let with = |f: &dyn Fn(&mut MultiParams)| {
            let mut p = MultiParams::default();
            f(&mut p);
            AwardPolicy::MultipleWinners(p).validate()
        };
        assert!(with(&|_| {}).is_ok());
        assert_eq!(
            with(&|p| p.price_ratio = huge).unwrap_err().field,
            "price_ratio"
        );
        assert_eq!(
            with(&|p| p.price_ratio = Decimal::new(101, 1))
                .unwrap_err()
                .field,
            "price_ratio"
        );
        assert_eq!(
            with(&|p| p.max_winners = usize::MAX).unwrap_err().field,
            "max_winners"
        );
        assert_eq!(
            with(&|p| p.max_price_fraction = huge).unwrap_err().field,
            "max_price_fraction"
        );
        assert_eq!(
            with(&|p| p.shares = vec![huge]).unwrap_err().field,
            "shares"
        );
        assert_eq!(
            with(&|p| p.absolute_floor = Money::from_ten_thousandths(i64::MAX))
                .unwrap_err()
                .field,
            "absolute_floor"
        );
        let composite = |t: Decimal, p: Decimal| {
            AwardPolicy::CompositeScore {
                technical_weight: t,
                price_weight: p,
            }
            .validate()
        };
        assert!(composite(Decimal::new(4, 1), Decimal::new(6, 1)).is_ok());
        assert!(composite(huge, Decimal::MIN).is_err());
        assert!(composite(huge, huge).is_err());
    }

    #[test]
    fn lowest_price_takes_the_whole_agreed_volume() {
        let a = award_lot(
            &lot(AwardPolicy::LowestPrice),
            &[bid(1, "0.50", 1), bid(2, "0.40", 2), bid(3, "0.45", 3)],
        )
        .unwrap();
        let Outcome::Awarded {
            agreed_volume,
            winners,
            ranking,
            ..
        } = &a.outcome
        else {
            panic!("failed")
        };
        assert_eq!(*agreed_volume, 2940); // 4200 × 70%
        assert_eq!(winners.len(), 1);
        assert_eq!(winners[0].bid_id, 2);
        assert_eq!(winners[0].volume, 2940);
        assert_eq!(
            winners[0].primary_counties,
            vec!["340102", "340103", "340104"]
        );
        assert!(winners[0].backup_for.is_empty());
        assert_eq!(
            ranking.iter().map(|r| r.bid_id).collect::<Vec<_>>(),
            vec![2, 3, 1]
        );
        // 1000/4200×2940 = 700, 500 → 350, 2000 → 1400, 700 → 490.
        assert_eq!(
            winners[0].institution_volumes,
            vec![
                ("I1".into(), 700),
                ("I2".into(), 350),
                ("I3".into(), 1400),
                ("I4".into(), 490)
            ]
        );
    }

    #[test]
    fn too_few_valid_bids_fail_the_lot_with_reasons() {
        let mut disq = bid(2, "0.30", 2);
        disq.qualified = false;
        let a = award_lot(
            &lot(AwardPolicy::LowestPrice),
            &[bid(1, "0.50", 1), disq, bid(3, "1.01", 3)],
        )
        .unwrap();
        let Outcome::Failed {
            valid_bids,
            invalid,
            reason,
            args,
        } = &a.outcome
        else {
            panic!("awarded")
        };
        assert_eq!(*valid_bids, 1);
        assert_eq!(reason, Code::TooFewValidBids.as_str());
        assert_eq!(args["valid"], "1");
        assert_eq!(args["min"], "2");
        assert_eq!(invalid.len(), 2);
        assert_eq!(invalid[0].reason, Code::BidNotQualified.as_str());
        assert!(invalid[0].args.is_empty());
        assert_eq!(invalid[1].reason, Code::BidPriceAboveMax.as_str());
        assert_eq!(invalid[1].args["price"], "1.01");
        assert_eq!(invalid[1].args["max"], "1.00");
        // An award computed before the codes (an English sentence, no arguments) still reads.
        let old: LotAward = serde_json::from_str(
            r#"{"lot_id": 1, "outcome": {"outcome": "failed",
                "reason": "1 valid bid(s), fewer than the minimum of 2", "valid_bids": 1,
                "invalid": [{"bid_id": 2, "supplier_id": 102, "reason": "did not pass the technical review"}]}}"#,
        )
        .unwrap();
        assert!(matches!(old.outcome, Outcome::Failed { valid_bids: 1, .. }));
    }

    #[test]
    fn ties_break_by_score_then_earlier_submission() {
        let mut a = bid(1, "0.40", 5);
        let mut b = bid(2, "0.40", 3);
        let c = bid(3, "0.40", 4);
        a.technical_score = Some(Decimal::from(90));
        b.technical_score = Some(Decimal::from(80));
        let r = award_lot(
            &lot(AwardPolicy::LowestPrice),
            &[b.clone(), c.clone(), a.clone()],
        )
        .unwrap();
        // a has the higher score; then b and c have none/80 — Some(80) > None, so b before c.
        let Outcome::Awarded { ranking, .. } = &r.outcome else {
            panic!()
        };
        assert_eq!(
            ranking.iter().map(|r| r.bid_id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        // Same price and score: earlier final submission wins.
        let r = award_lot(
            &lot(AwardPolicy::LowestPrice),
            &[bid(1, "0.40", 9), bid(2, "0.40", 4)],
        )
        .unwrap();
        assert_eq!(r.winners()[0].bid_id, 2);
    }

    #[test]
    fn multiple_winners_take_counties_in_turn_with_backups() {
        let p = AwardPolicy::MultipleWinners(MultiParams::default());
        // max 1.00: lowest 0.40, cap 0.72 (1.8×) or ≤ 0.50 (half the max); 0.80 loses.
        let a = award_lot(
            &lot(p),
            &[bid(1, "0.40", 1), bid(2, "0.70", 2), bid(3, "0.80", 3)],
        )
        .unwrap();
        let Outcome::Awarded {
            agreed_share,
            agreed_volume,
            winners,
            ranking,
            ..
        } = &a.outcome
        else {
            panic!()
        };
        assert_eq!(*agreed_share, Decimal::new(60, 2));
        assert_eq!(*agreed_volume, 2520);
        assert_eq!(winners.len(), 2);
        assert!(!ranking[2].winner);
        // Counties by demand: 340103 (2000), 340102 (1500), 340104 (700).
        assert_eq!(winners[0].primary_counties, vec!["340103", "340104"]);
        assert_eq!(winners[1].primary_counties, vec!["340102"]);
        assert_eq!(winners[0].backup_for, vec!["340102"]);
        assert_eq!(winners[1].backup_for, vec!["340103", "340104"]);
        assert_eq!(winners[0].volume + winners[1].volume, 2520);
        // 2520 × 2000/4200 = 1200, × 700/4200 = 420; 1500/4200 → 900.
        assert_eq!(winners[0].volume, 1620);
        assert_eq!(winners[1].volume, 900);
    }

    #[test]
    fn multiple_winners_count_absolute_floor_and_fraction_of_max() {
        let p = MultiParams {
            price_ratio: Decimal::ONE,
            ..MultiParams::default()
        };
        let mut l = lot(AwardPolicy::MultipleWinners(p));
        l.max_unit_price = yuan("0.20");
        // ratio 1: only the lowest by ratio; 0.10 floor admits 0.09 and 0.10; half the max (0.10) too.
        let a = award_lot(
            &l,
            &[bid(1, "0.05", 1), bid(2, "0.10", 2), bid(3, "0.11", 3)],
        )
        .unwrap();
        assert_eq!(
            a.winners().iter().map(|w| w.bid_id).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }

    #[test]
    fn composite_score_weighs_technique_and_price() {
        let p = AwardPolicy::CompositeScore {
            technical_weight: Decimal::new(6, 1),
            price_weight: Decimal::new(4, 1),
        };
        let mut a = bid(1, "0.40", 1);
        let mut b = bid(2, "0.50", 2);
        a.technical_score = Some(Decimal::from(60));
        b.technical_score = Some(Decimal::from(95));
        // a: 0.6×60 + 0.4×100 = 76; b: 0.6×95 + 0.4×80 = 89.
        let r = award_lot(&lot(p.clone()), &[a.clone(), b.clone()]).unwrap();
        assert_eq!(r.winners()[0].bid_id, 2);
        assert_eq!(r.winners()[0].score, Some(Decimal::new(890000, 4)));
        b.technical_score = None;
        let e = award_lot(&lot(p), &[a, b]).unwrap_err();
        assert_eq!(e.code(), Code::BidWithoutScore);
        assert_eq!(e.msg.get("bid"), Some("2"));
    }

    #[test]
    fn largest_remainder_breaks_equal_remainders_by_demand_then_code() {
        let parts = vec![
            ("B".to_string(), 1),
            ("A".to_string(), 1),
            ("C".to_string(), 2),
        ];
        // 3 × 1/4 = 0.75, 0.75, 1.5 → 0, 0, 1 and 2 left: C's .5 is below the .75s.
        assert_eq!(
            largest_remainder(3, &parts).unwrap(),
            vec![("B".into(), 1), ("A".into(), 1), ("C".into(), 1)]
        );
        // 1 left between A and B with equal remainders and demand: lower code.
        let parts = vec![("B".to_string(), 1), ("A".to_string(), 1)];
        assert_eq!(
            largest_remainder(1, &parts).unwrap(),
            vec![("B".into(), 0), ("A".into(), 1)]
        );
        // Equal remainders, larger demand first: 2 among 3,3,... use weights 1 and 3 of 4 with total 2: 0.5 and 1.5.
        let parts = vec![("A".to_string(), 1), ("B".to_string(), 3)];
        assert_eq!(
            largest_remainder(2, &parts).unwrap(),
            vec![("A".into(), 0), ("B".into(), 2)]
        );
        assert!(largest_remainder(5, &[]).is_err());
    }

    fn arb_case() -> impl Strategy<Value = (LotInput, Vec<BidInput>)> {
        let counties = prop::collection::vec(prop::collection::vec(0i64..5_000, 1..5), 1..7);
        let bids = prop::collection::vec(
            (
                1i64..15_000,
                any::<bool>(),
                prop::option::of(0i64..=100),
                0i64..6,
            ),
            0..14,
        );
        let policy = prop_oneof![
            Just(AwardPolicy::LowestPrice),
            (1usize..12).prop_map(|m| AwardPolicy::MultipleWinners(MultiParams {
                max_winners: m,
                ..MultiParams::default()
            })),
            (0i64..=10).prop_map(|t| AwardPolicy::CompositeScore {
                technical_weight: Decimal::new(t, 1),
                price_weight: Decimal::new(10 - t, 1)
            }),
        ];
        (
            counties,
            bids,
            policy,
            1usize..4,
            1i64..=100,
            5_000i64..12_000,
        )
            .prop_map(|(counties, bids, policy, min, share, max)| {
                let reported_demand = counties
                    .iter()
                    .enumerate()
                    .map(|(c, qs)| CountyDemand {
                        county_code: format!("34{:04}", (c * 37) % 100),
                        institutions: qs
                            .iter()
                            .enumerate()
                            .map(|(i, q)| InstitutionDemand {
                                institution_code: format!("I{c}-{i}"),
                                quantity: *q,
                            })
                            .collect(),
                    })
                    .collect();
                let scored = policy.needs_scores();
                let bids = bids
                    .iter()
                    .enumerate()
                    .map(|(i, (price, q, score, seq))| BidInput {
                        bid_id: i as i64 + 1,
                        supplier_id: 1000 + i as i64,
                        unit_price: Money::from_ten_thousandths(*price),
                        qualified: *q || i % 3 == 0,
                        technical_score: if scored {
                            Some(Decimal::from(score.unwrap_or(50)))
                        } else {
                            score.map(Decimal::from)
                        },
                        final_submission_seq: *seq,
                    })
                    .collect();
                let l = LotInput {
                    lot_id: 7,
                    max_unit_price: Money::from_ten_thousandths(max),
                    min_bidders: min,
                    policy,
                    reported_demand,
                    default_share: Decimal::new(share, 2),
                };
                (l, bids)
            })
    }

    proptest! {
        #[test]
        fn volumes_sum_exactly_to_the_agreed_volume((l, bids) in arb_case()) {
            let a = award_lot(&l, &bids).unwrap();
            if let Outcome::Awarded { agreed_volume, winners, .. } = &a.outcome {
                prop_assert_eq!(winners.iter().map(|w| w.volume).sum::<i64>(), *agreed_volume);
                for w in winners {
                    prop_assert_eq!(w.institution_volumes.iter().map(|i| i.1).sum::<i64>(), w.volume);
                }
                let total: i64 = l.reported_demand.iter().flat_map(|c| c.institutions.iter()).map(|i| i.quantity).sum();
                prop_assert!(*agreed_volume <= total);
            }
        }

        #[test]
        fn every_county_has_one_primary_and_a_different_backup((l, bids) in arb_case()) {
            let a = award_lot(&l, &bids).unwrap();
            if let Outcome::Awarded { winners, .. } = &a.outcome {
                let mut primary: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
                let mut backup: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
                for w in winners {
                    for c in &w.primary_counties { primary.entry(c).or_default().push(w.bid_id); }
                    for c in &w.backup_for { backup.entry(c).or_default().push(w.bid_id); }
                }
                let counties: BTreeSet<&str> = l.reported_demand.iter().map(|c| c.county_code.as_str()).collect();
                prop_assert_eq!(primary.keys().copied().collect::<BTreeSet<_>>(), counties.clone());
                for (c, p) in &primary {
                    prop_assert_eq!(p.len(), 1);
                    if winners.len() > 1 {
                        prop_assert_eq!(backup[c].len(), 1);
                        prop_assert_ne!(backup[c][0], p[0]);
                    } else {
                        prop_assert!(!backup.contains_key(c));
                    }
                }
            }
        }

        #[test]
        fn no_winner_above_the_caps((l, bids) in arb_case()) {
            let a = award_lot(&l, &bids).unwrap();
            if let Outcome::Awarded { winners, ranking, .. } = &a.outcome {
                let lowest = ranking.iter().map(|r| r.unit_price).min().unwrap();
                for w in winners {
                    prop_assert!(w.unit_price <= l.max_unit_price);
                    let b = bids.iter().find(|b| b.bid_id == w.bid_id).unwrap();
                    prop_assert!(b.qualified);
                    if let AwardPolicy::MultipleWinners(p) = &l.policy {
                        let d = w.unit_price.decimal();
                        prop_assert!(d <= lowest.decimal() * p.price_ratio || w.unit_price <= p.absolute_floor || d <= l.max_unit_price.decimal() * p.max_price_fraction);
                        prop_assert!(winners.len() <= p.max_winners);
                    } else {
                        prop_assert_eq!(winners.len(), 1);
                    }
                }
            }
        }

        #[test]
        fn the_order_of_the_bids_does_not_matter((l, bids) in arb_case(), seed in any::<u64>()) {
            let mut shuffled = bids.clone();
            // A deterministic shuffle from the seed.
            let n = shuffled.len();
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(award_lot(&l, &bids).unwrap(), award_lot(&l, &shuffled).unwrap());
        }

        #[test]
        fn ties_break_as_documented((l, bids) in arb_case()) {
            let a = award_lot(&l, &bids).unwrap();
            if let Outcome::Awarded { ranking, .. } = &a.outcome {
                for pair in ranking.windows(2) {
                    let (x, y) = (&pair[0], &pair[1]);
                    let bx = bids.iter().find(|b| b.bid_id == x.bid_id).unwrap();
                    let by = bids.iter().find(|b| b.bid_id == y.bid_id).unwrap();
                    let key = |b: &BidInput, r: &Ranked| (std::cmp::Reverse(r.score), b.unit_price, std::cmp::Reverse(b.technical_score), b.final_submission_seq, b.bid_id);
                    prop_assert!(key(bx, x) < key(by, y), "{:?} ranked before {:?}", x, y);
                }
            }
        }

        #[test]
        fn fewer_valid_bids_than_the_minimum_fail((l, bids) in arb_case()) {
            let valid = bids.iter().filter(|b| b.qualified && b.unit_price <= l.max_unit_price).count();
            let a = award_lot(&l, &bids).unwrap();
            match &a.outcome {
                Outcome::Failed { valid_bids, .. } => { prop_assert!(valid < l.min_bidders); prop_assert_eq!(*valid_bids, valid); }
                Outcome::Awarded { .. } => prop_assert!(valid >= l.min_bidders),
            }
        }

        #[test]
        fn largest_remainder_sums_exactly(total in 0i64..1_000_000, ws in prop::collection::vec(0i64..100_000, 1..30)) {
            let parts: Vec<(String, i64)> = ws.iter().enumerate().map(|(i, w)| (format!("{i:03}"), *w)).collect();
            let out = largest_remainder(total, &parts).unwrap();
            prop_assert_eq!(out.iter().map(|o| o.1).sum::<i64>(), total);
            let sum: i64 = ws.iter().sum();
            for (o, w) in out.iter().zip(&ws) {
                if sum > 0 {
                    // Each part is its quota rounded down or up.
                    let q = total as i128 * *w as i128;
                    prop_assert!((o.1 as i128) * sum as i128 >= q - sum as i128 && (o.1 as i128) * (sum as i128) <= q + sum as i128);
                }
            }
        }
    }
}
