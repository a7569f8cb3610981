//! The bid stage's rules, pure: who may bid and with which product, what a submission must
//! hold, the unit price against the lot's ceiling, withdrawal and scoring, and what of a lot's
//! bids center staff and experts may read in each state of the tender.

use rust_decimal::Decimal;

use super::award::PolicyKind;
use super::bounds;
use super::catalog::SupplierKind;
use super::money::Money;
use super::roles::Role;
use super::tender::{self, BidStatus, TechnicalResult, TenderState};
use super::{Code, Invalid, Msg};

/// Who makes a product and, for an imported one, who is registered as its national agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductOwner {
    pub manufacturer_id: i64,
    pub national_agent_id: Option<i64>,
}

impl ProductOwner {
    /// The one enterprise that may bid with the product: its national agent where it has one
    /// (an imported product), else its manufacturer.
    pub fn bidder(&self) -> i64 {
        self.national_agent_id.unwrap_or(self.manufacturer_id)
    }
}

/// Why a supplier may not bid at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MayNotBid {
    /// A distribution enterprise that is no product's national agent: it delivers, it does not bid.
    Distributor,
}

impl MayNotBid {
    pub fn code(self) -> Code {
        match self {
            MayNotBid::Distributor => Code::DistributorsDoNotBid,
        }
    }
}

/// May a supplier of this kind bid at all? A manufacturer may; a distribution enterprise only
/// when it is registered as the national agent of some imported product.
pub fn may_bid(kind: SupplierKind, national_agent: bool) -> Result<(), MayNotBid> {
    match kind {
        SupplierKind::Manufacturer => Ok(()),
        SupplierKind::Distributor if national_agent => Ok(()),
        SupplierKind::Distributor => Err(MayNotBid::Distributor),
    }
}

/// The product of a bid must be of the lot's drug and the bidder's own (made by it, or
/// imported with it as the national agent).
pub fn check_product(
    supplier_id: i64,
    lot_drug_id: i64,
    product_drug_id: i64,
    owner: ProductOwner,
) -> Result<(), Invalid> {
    if product_drug_id != lot_drug_id {
        return Err(Invalid::new("product_id", Code::ProductNotOfLotDrug));
    }
    if owner.bidder() != supplier_id {
        return Err(Invalid::new("product_id", Code::NotOwnProduct));
    }
    Ok(())
}

/// The checks of a submission that need nothing but the submission: capacity within its range,
/// a positive price of at most 4 decimals, the documents within their limits and each a PDF.
pub fn check_submission<'a>(
    annual_capacity: i64,
    package_price: Option<Money>,
    documents: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone,
) -> Result<(), Invalid> {
    bounds::in_range("annual_capacity", annual_capacity, bounds::CAPACITY)?;
    // A price the bidder sealed is checked at the opening (a bid whose price is not a
    // positive amount is invalid then).
    if let Some(package_price) = package_price {
        if package_price.decimal() <= Decimal::ZERO {
            return Err(Invalid::new("package_price", Code::NotPositive));
        }
        Money::entered("package_price", package_price.decimal())?;
    }
    tender::check_documents(documents.clone().into_iter().map(|(n, b)| (n, b.len())))?;
    for (name, bytes) in documents {
        if !bytes.starts_with(b"%PDF") {
            return Err(Invalid::new(
                "documents",
                Msg::new(Code::DocumentNotPdf).arg("name", name),
            ));
        }
    }
    Ok(())
}

/// A package price against the lot's ceiling: the unit price it makes (package price ÷ units
/// per package, rounded half up to 1/10,000 yuan) and the lot's maximum valid unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceCheck {
    pub package_price: Money,
    pub units_per_package: i32,
    pub unit_price: Money,
    pub max_unit_price: Money,
}

impl PriceCheck {
    /// `None` when the units per package are not positive (a product that cannot be priced).
    pub fn new(
        package_price: Money,
        units_per_package: i32,
        max_unit_price: Money,
    ) -> Option<Self> {
        if units_per_package <= 0 {
            return None;
        }
        Some(PriceCheck {
            package_price,
            units_per_package,
            unit_price: package_price.div_round(units_per_package as i64)?,
            max_unit_price,
        })
    }

    /// Above the ceiling: the bid would be invalid at the commercial opening.
    pub fn above_max(&self) -> bool {
        self.unit_price > self.max_unit_price
    }

    /// The warning a bidder confirms before a bid above the ceiling is sealed.
    pub fn warning(&self) -> Msg {
        Msg::new(Code::BidAboveMaxUnconfirmed)
            .arg("unit_price", self.unit_price)
            .arg("max", self.max_unit_price)
    }

    /// A bid above the ceiling is sealed only when the bidder has confirmed it.
    pub fn confirmed(&self, confirm_above_max: bool) -> Result<(), Invalid> {
        if self.above_max() && !confirm_above_max {
            return Err(Invalid::new("package_price", self.warning()));
        }
        Ok(())
    }
}

/// A bid may be withdrawn only while it is active.
pub fn check_withdrawable(status: Option<BidStatus>) -> Result<(), Invalid> {
    match status {
        Some(BidStatus::Active) => Ok(()),
        _ => Err(Invalid::new("bid", Code::NoActiveBidToWithdraw)),
    }
}

/// An expert's score: whole points within 0–100, while the technical envelopes are open, on a
/// composite-score lot, for a bid that passed the technical review.
pub fn check_scorable(
    score: i64,
    state: TenderState,
    policy: PolicyKind,
    result: Option<TechnicalResult>,
) -> Result<(), Invalid> {
    bounds::in_range("technical_score", score, bounds::SCORE)?;
    if state != TenderState::TechnicalOpened {
        return Err(Invalid::new("state", Code::ScoresNotOpen));
    }
    if policy != PolicyKind::CompositeScore {
        return Err(Invalid::new("technical_score", Code::LotNotCompositeScore));
    }
    if result != Some(TechnicalResult::Passed) {
        return Err(Invalid::new(
            "technical_score",
            Code::OnlyQualifiedBidsScored,
        ));
    }
    Ok(())
}

/// What a bid's own supplier (or one who reads everything) sees of it in a state of its tender:
/// (the review's result and reasons, the unit price). The supplier sees its review once the
/// results are published; staff and regulators from the technical opening; the price once the
/// price envelopes are opened.
pub fn own_bid_view(reads_everything: bool, state: TenderState) -> (bool, bool) {
    let results = state == TenderState::TechnicalPublished
        || state.prices_opened()
        || (reads_everything && state == TenderState::TechnicalOpened);
    (results, state.prices_opened())
}

/// What of a lot's bids may be read in a state of its tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LotBidsView {
    /// The technical envelopes and the review: after the technical opening.
    Technical,
    /// The technical envelopes, prices and ranks: after the commercial opening.
    Commercial,
}

/// Why a lot's bids may not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LotBidsRefused {
    /// Only center staff and experts read a lot's bids.
    Role,
    /// Nothing is read before the technical envelopes are opened.
    Sealed,
}

impl LotBidsRefused {
    pub fn code(self) -> Code {
        match self {
            LotBidsRefused::Role => Code::OnlyCenterAndExpertsReadBids,
            LotBidsRefused::Sealed => Code::BidsSealedUntilTechnicalOpening,
        }
    }
}

/// Center staff and experts read a lot's bids: the technical envelopes once they are opened,
/// prices and ranks once the price envelopes are; nobody reads anything before. A tender
/// cancelled without telling when is read as sealed.
pub fn lot_bids_view(role: Role, state: TenderState) -> Result<LotBidsView, LotBidsRefused> {
    if !matches!(role, Role::Center | Role::Expert) {
        return Err(LotBidsRefused::Role);
    }
    if state.prices_opened() {
        return Ok(LotBidsView::Commercial);
    }
    match state {
        TenderState::TechnicalOpened | TenderState::TechnicalPublished => {
            Ok(LotBidsView::Technical)
        }
        _ => Err(LotBidsRefused::Sealed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(s: &str) -> Money {
        Money::parse("m", s).unwrap()
    }

    #[test]
    fn the_bidder_is_the_maker_or_the_national_agent() {
        let domestic = ProductOwner {
            manufacturer_id: 1,
            national_agent_id: None,
        };
        let imported = ProductOwner {
            manufacturer_id: 1,
            national_agent_id: Some(8),
        };
        assert!(check_product(1, 5, 5, domestic).is_ok());
        assert_eq!(
            check_product(2, 5, 5, domestic).unwrap_err().msg.code,
            Code::NotOwnProduct
        );
        assert!(check_product(8, 5, 5, imported).is_ok());
        assert_eq!(
            check_product(1, 5, 5, imported).unwrap_err().msg.code,
            Code::NotOwnProduct,
            "the foreign maker of an imported product does not bid: its agent does"
        );
        assert_eq!(
            check_product(1, 5, 6, domestic).unwrap_err().msg.code,
            Code::ProductNotOfLotDrug
        );
    }

    #[test]
    fn distributors_bid_only_as_national_agents() {
        assert!(may_bid(SupplierKind::Manufacturer, false).is_ok());
        assert_eq!(
            may_bid(SupplierKind::Distributor, false),
            Err(MayNotBid::Distributor)
        );
        assert!(may_bid(SupplierKind::Distributor, true).is_ok());
    }

    #[test]
    fn the_unit_price_is_checked_against_the_ceiling() {
        let c = PriceCheck::new(money("60.00"), 30, money("1.80")).unwrap();
        assert_eq!(c.unit_price, money("2.00"));
        assert!(c.above_max());
        assert_eq!(
            c.confirmed(false).unwrap_err().msg.code,
            Code::BidAboveMaxUnconfirmed
        );
        assert!(c.confirmed(true).is_ok());
        let c = PriceCheck::new(money("54.00"), 30, money("1.80")).unwrap();
        assert!(!c.above_max() && c.confirmed(false).is_ok());
        // Half up at the fifth decimal: 1 ÷ 3 = 0.33333… → 0.3333; 0.00005 → 0.0001.
        let c = PriceCheck::new(money("1"), 3, money("1")).unwrap();
        assert_eq!(c.unit_price, money("0.3333"));
        let c = PriceCheck::new(money("0.0005"), 10, money("1")).unwrap();
        assert_eq!(c.unit_price, money("0.0001"));
        assert!(PriceCheck::new(money("1"), 0, money("1")).is_none());
    }

    #[test]
    fn a_lots_bids_are_read_by_staff_and_experts_only_after_the_openings() {
        use TenderState as S;
        for role in [Role::Supplier, Role::Institution, Role::Regulator] {
            assert_eq!(
                lot_bids_view(role, S::Contracted),
                Err(LotBidsRefused::Role)
            );
        }
        for s in [S::Draft, S::Open, S::Closed, S::Cancelled] {
            assert_eq!(lot_bids_view(Role::Center, s), Err(LotBidsRefused::Sealed));
        }
        for s in [S::TechnicalOpened, S::TechnicalPublished] {
            assert_eq!(lot_bids_view(Role::Expert, s), Ok(LotBidsView::Technical));
        }
        for s in [
            S::CommercialOpened,
            S::Provisional,
            S::Awarded,
            S::Contracted,
        ] {
            assert_eq!(lot_bids_view(Role::Center, s), Ok(LotBidsView::Commercial));
        }
    }

    #[test]
    fn submissions_are_checked_before_anything_is_read() {
        let pdf: &[u8] = b"%PDF-1.4";
        assert!(check_submission(100, Some(money("1")), [("a.pdf", pdf)]).is_ok());
        assert_eq!(
            check_submission(0, Some(money("1")), []).unwrap_err().field,
            "annual_capacity"
        );
        assert_eq!(
            check_submission(1, Some(Money::ZERO), [])
                .unwrap_err()
                .msg
                .code,
            Code::NotPositive
        );
        let txt: &[u8] = b"hello";
        assert_eq!(
            check_submission(1, Some(money("1")), [("x.pdf", txt)])
                .unwrap_err()
                .msg
                .code,
            Code::DocumentNotPdf
        );
    }

    #[test]
    fn scores_follow_the_state_the_policy_and_the_review() {
        use TenderState as S;
        let ok = Some(TechnicalResult::Passed);
        assert!(check_scorable(80, S::TechnicalOpened, PolicyKind::CompositeScore, ok).is_ok());
        assert_eq!(
            check_scorable(101, S::TechnicalOpened, PolicyKind::CompositeScore, ok)
                .unwrap_err()
                .field,
            "technical_score"
        );
        assert_eq!(
            check_scorable(80, S::Closed, PolicyKind::CompositeScore, ok)
                .unwrap_err()
                .msg
                .code,
            Code::ScoresNotOpen
        );
        assert_eq!(
            check_scorable(80, S::TechnicalOpened, PolicyKind::LowestPrice, ok)
                .unwrap_err()
                .msg
                .code,
            Code::LotNotCompositeScore
        );
        assert_eq!(
            check_scorable(
                80,
                S::TechnicalOpened,
                PolicyKind::CompositeScore,
                Some(TechnicalResult::Failed)
            )
            .unwrap_err()
            .msg
            .code,
            Code::OnlyQualifiedBidsScored
        );
    }
}
