//! The rules of a tender's stages besides its states (`tender`) and the award (`award`): what a
//! new tender and its lots must be, when an objection may be lodged and answered, whom a winner
//! may name as distributor, and what a cancellation needs.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use super::award::AwardPolicy;
use super::catalog::{RegionLevel, SupplierKind};
use super::money::Money;
use super::tender::TenderState;
use super::{bounds, Code, Invalid, Msg};

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

/// A tender to create as a draft, from a demand window.
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

impl TenderSpec {
    /// Every field within its range; every refusal at once.
    pub fn validate(&self) -> Result<(), Vec<Invalid>> {
        let mut errs = vec![];
        if self.title.trim().is_empty() {
            errs.push(Invalid::new("title", Code::Required));
        }
        if self.lots.is_empty() {
            errs.push(Invalid::new("lots", Code::Required));
        }
        if !(0..=*bounds::DAYS.end()).contains(&i64::from(self.objection_days)) {
            errs.push(Invalid::new(
                "objection_days",
                Msg::new(Code::OutOfRange)
                    .arg("min", 0)
                    .arg("max", bounds::DAYS.end()),
            ));
        }
        if let Err(e) = bounds::in_range(
            "contract_months",
            self.contract_months.into(),
            bounds::MONTHS,
        ) {
            errs.push(e);
        }
        for l in &self.lots {
            errs.extend(l.validate());
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

impl LotSpec {
    /// What is wrong with the lot (nothing: empty).
    pub fn validate(&self) -> Vec<Invalid> {
        let mut errs = vec![];
        if self.max_unit_price.decimal() <= Decimal::ZERO {
            errs.push(Invalid::new("max_unit_price", Code::NotPositive));
        }
        if let Err(e) = Money::entered("max_unit_price", self.max_unit_price.decimal()) {
            errs.push(e);
        }
        if let Err(e) = bounds::in_range("min_bidders", self.min_bidders.into(), bounds::BIDDERS) {
            errs.push(e);
        }
        if let Err(e) = self.policy.validate() {
            errs.push(e);
        }
        if !(1..=10_000).contains(&self.agreed_share_bp) {
            errs.push(Invalid::new("agreed_share", Code::AgreedShareOutOfRange));
        }
        errs
    }
}

/// Rounds demand × share (basis points) half up to whole units.
pub fn agreed_volume(demand: i64, share_bp: i32) -> i64 {
    ((demand as i128 * share_bp as i128 * 2 + 10_000) / 20_000) as i64
}

/// The reported demand of a lot's drug (lot `n`, counted from 1): a lot nobody asked for is refused.
pub fn lot_demand(n: usize, reported: Option<i64>) -> Result<i64, Invalid> {
    match reported {
        Some(d) if d > 0 => Ok(d),
        _ => Err(Invalid::new(
            "lots",
            Msg::new(Code::NoDemandForLot).arg("lot", n),
        )),
    }
}

/// A cancellation needs its reason.
pub fn cancel_reason(reason: Option<&str>) -> Result<String, Invalid> {
    super::required_text("reason", reason.unwrap_or(""), 2000)
}

/// An objection's text.
pub fn objection_text(text: &str) -> Result<String, Invalid> {
    super::required_text("text", text, 4000)
}

/// An answer's text.
pub fn answer_text(text: &str) -> Result<String, Invalid> {
    super::required_text("answer", text, 4000)
}

/// An objection is lodged while the provisional award's window is open, by a bidder on the lot.
pub fn check_objection(
    state: TenderState,
    objection_deadline: Option<NaiveDateTime>,
    now: NaiveDateTime,
    has_bid: bool,
) -> Result<(), Invalid> {
    let window_open =
        state == TenderState::Provisional && objection_deadline.is_some_and(|d| now < d);
    if !window_open {
        return Err(Invalid::new("objection", Code::ObjectionWindowClosed));
    }
    if !has_bid {
        return Err(Invalid::new("objection", Code::OnlyBiddersObject));
    }
    Ok(())
}

/// An objection is answered once.
pub fn check_unanswered(answer: Option<&str>) -> Result<(), Invalid> {
    match answer {
        Some(_) => Err(Invalid::new("answer", Code::ObjectionAlreadyAnswered)),
        None => Ok(()),
    }
}

/// What a named distributor is checked against: the region named as county (none: not
/// found), and the enterprise named (none: not found) with whether it holds a valid drug
/// business licence today.
pub struct DistributorFacts {
    pub county_level: Option<RegionLevel>,
    pub distributor: Option<(SupplierKind, bool)>,
}

/// A winner names, per county, a distribution enterprise with a valid drug business licence.
pub fn check_distributor(f: &DistributorFacts) -> Result<(), Invalid> {
    match f.county_level {
        None => return Err(Invalid::new("county", Code::RecordNotFound)),
        Some(RegionLevel::County) => {}
        Some(_) => return Err(Invalid::new("county", Code::DistributorsPerCounty)),
    }
    match f.distributor {
        None => Err(Invalid::new("distributor", Code::RecordNotFound)),
        Some((SupplierKind::Distributor, true)) => Ok(()),
        Some(_) => Err(Invalid::new("distributor", Code::NotALicensedDistributor)),
    }
}

/// The unit price of an opened bid: package price ÷ units per package, rounded half up.
pub fn unit_price(package: Money, units_per_package: i32) -> Result<Money, Invalid> {
    package
        .div_round(units_per_package as i64)
        .ok_or_else(|| Invalid::new("units_per_package", Code::NotPositive))
}

/// A price envelope that opened but does not read as one.
pub fn unreadable_envelope() -> Invalid {
    Invalid::new("commercial_envelope", Code::OpenedEnvelopeUnreadable)
}

/// The demand window a tender's award reads the reported demand from.
pub fn demand_window_of(window_id: Option<i64>) -> Result<i64, Invalid> {
    window_id.ok_or_else(|| Invalid::new("window", Code::TenderWithoutDemandWindow))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn objections_only_in_the_window_and_only_from_bidders() {
        let p = TenderState::Provisional;
        let code = |r: Result<(), Invalid>| r.unwrap_err().msg.code;
        assert!(check_objection(p, Some(at(10)), at(9), true).is_ok());
        assert_eq!(
            code(check_objection(p, Some(at(10)), at(10), true)),
            Code::ObjectionWindowClosed
        );
        assert_eq!(
            code(check_objection(
                TenderState::Awarded,
                Some(at(10)),
                at(9),
                true
            )),
            Code::ObjectionWindowClosed
        );
        assert_eq!(
            code(check_objection(p, Some(at(10)), at(9), false)),
            Code::OnlyBiddersObject
        );
        assert_eq!(
            code(check_unanswered(Some("x"))),
            Code::ObjectionAlreadyAnswered
        );
    }

    #[test]
    fn a_distributor_is_a_licensed_distribution_enterprise_named_per_county() {
        let f = |level, d| DistributorFacts {
            county_level: level,
            distributor: d,
        };
        let code = |r: Result<(), Invalid>| r.unwrap_err().msg.code;
        let dist = Some((SupplierKind::Distributor, true));
        assert!(check_distributor(&f(Some(RegionLevel::County), dist)).is_ok());
        assert_eq!(
            code(check_distributor(&f(Some(RegionLevel::City), dist))),
            Code::DistributorsPerCounty
        );
        assert_eq!(
            code(check_distributor(&f(
                Some(RegionLevel::County),
                Some((SupplierKind::Distributor, false))
            ))),
            Code::NotALicensedDistributor
        );
        assert_eq!(
            code(check_distributor(&f(
                Some(RegionLevel::County),
                Some((SupplierKind::Manufacturer, true))
            ))),
            Code::NotALicensedDistributor
        );
        assert_eq!(
            code(check_distributor(&f(None, dist))),
            Code::RecordNotFound
        );
    }

    #[test]
    fn agreed_volume_rounds_half_up_and_a_lot_needs_demand() {
        assert_eq!(agreed_volume(15, 7000), 11);
        assert_eq!(agreed_volume(10, 7000), 7);
        assert!(lot_demand(1, Some(0)).is_err());
        assert!(lot_demand(1, None).is_err());
        assert_eq!(lot_demand(1, Some(3)).unwrap(), 3);
    }
}
