//! The tender's life: its states and what moves it, the deadline rule, and the automatic
//! technical review of a bid.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::catalog::{licence_valid_on, LicenceKind, SupplierKind};
use super::Invalid;

/// A tender's state, in the order it passes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderState {
    Draft,
    Open,
    Closed,
    TechnicalOpened,
    TechnicalPublished,
    CommercialOpened,
    Provisional,
    Awarded,
    Contracted,
    Cancelled,
}

impl TenderState {
    pub const ALL: [TenderState; 10] = [
        TenderState::Draft,
        TenderState::Open,
        TenderState::Closed,
        TenderState::TechnicalOpened,
        TenderState::TechnicalPublished,
        TenderState::CommercialOpened,
        TenderState::Provisional,
        TenderState::Awarded,
        TenderState::Contracted,
        TenderState::Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            TenderState::Draft => "draft",
            TenderState::Open => "open",
            TenderState::Closed => "closed",
            TenderState::TechnicalOpened => "technical_opened",
            TenderState::TechnicalPublished => "technical_published",
            TenderState::CommercialOpened => "commercial_opened",
            TenderState::Provisional => "provisional",
            TenderState::Awarded => "awarded",
            TenderState::Contracted => "contracted",
            TenderState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<TenderState, Invalid> {
        TenderState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Invalid::new("state", format!("\"{s}\" is not a tender state")))
    }

    /// Have the price envelopes been opened (so prices may be shown to those entitled)?
    pub fn prices_opened(&self) -> bool {
        matches!(
            self,
            TenderState::CommercialOpened
                | TenderState::Provisional
                | TenderState::Awarded
                | TenderState::Contracted
        )
    }

    /// Has the award been published (provisionally or finally)?
    pub fn award_published(&self) -> bool {
        matches!(
            self,
            TenderState::Provisional | TenderState::Awarded | TenderState::Contracted
        )
    }
}

/// What center staff do to a tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderAction {
    Publish,
    Close,
    OpenTechnical,
    PublishTechnical,
    OpenCommercial,
    PublishAward,
    Finalize,
    Contract,
    Cancel,
}

impl TenderAction {
    pub fn parse(s: &str) -> Result<TenderAction, Invalid> {
        Ok(match s {
            "publish" => TenderAction::Publish,
            "close" => TenderAction::Close,
            "open_technical" => TenderAction::OpenTechnical,
            "publish_technical" => TenderAction::PublishTechnical,
            "open_commercial" => TenderAction::OpenCommercial,
            "publish_award" => TenderAction::PublishAward,
            "finalize" => TenderAction::Finalize,
            "contract" => TenderAction::Contract,
            "cancel" => TenderAction::Cancel,
            _ => {
                return Err(Invalid::new(
                    "action",
                    format!("\"{s}\" is not a tender action"),
                ))
            }
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TenderAction::Publish => "publish",
            TenderAction::Close => "close",
            TenderAction::OpenTechnical => "open_technical",
            TenderAction::PublishTechnical => "publish_technical",
            TenderAction::OpenCommercial => "open_commercial",
            TenderAction::PublishAward => "publish_award",
            TenderAction::Finalize => "finalize",
            TenderAction::Contract => "contract",
            TenderAction::Cancel => "cancel",
        }
    }
}

/// What a transition needs to know besides the state.
#[derive(Debug, Clone)]
pub struct TransitionContext {
    pub now: DateTime<Utc>,
    pub bid_deadline: DateTime<Utc>,
    /// End of the objection window (set when the provisional award is published).
    pub objection_deadline: Option<DateTime<Utc>>,
    pub open_objections: usize,
    /// Lots whose policy needs experts' scores that some qualified bid still lacks.
    pub lots_missing_scores: usize,
    pub lots: usize,
}

/// The state an action leads to, or why it cannot be taken now.
pub fn transition(
    state: TenderState,
    action: TenderAction,
    cx: &TransitionContext,
) -> Result<TenderState, Invalid> {
    use TenderAction as A;
    use TenderState as S;
    let wrong = || {
        Invalid::new(
            "state",
            format!(
                "a tender that is {} cannot be {}",
                state.as_str().replace('_', " "),
                action_words(action)
            ),
        )
    };
    let next = match (state, action) {
        (S::Draft, A::Publish) => {
            if cx.lots == 0 {
                return Err(Invalid::new(
                    "lots",
                    "a tender needs at least one lot before it is published",
                ));
            }
            if cx.bid_deadline <= cx.now {
                return Err(Invalid::new(
                    "bid_deadline",
                    "the bid deadline has already passed",
                ));
            }
            S::Open
        }
        (S::Open, A::Close) => {
            if cx.now < cx.bid_deadline {
                return Err(Invalid::new(
                    "bid_deadline",
                    "bids may still be submitted: the tender closes at its deadline, not before",
                ));
            }
            S::Closed
        }
        (S::Closed, A::OpenTechnical) => S::TechnicalOpened,
        (S::TechnicalOpened, A::PublishTechnical) => {
            if cx.lots_missing_scores > 0 {
                return Err(Invalid::new(
                    "technical_score",
                    format!(
                        "{} lot(s) still need experts' technical scores",
                        cx.lots_missing_scores
                    ),
                ));
            }
            S::TechnicalPublished
        }
        (S::TechnicalPublished, A::OpenCommercial) => S::CommercialOpened,
        (S::CommercialOpened, A::PublishAward) => S::Provisional,
        (S::Provisional, A::Finalize) => {
            if let Some(d) = cx.objection_deadline {
                if cx.now < d {
                    return Err(Invalid::new(
                        "objections",
                        "the objection window is still open",
                    ));
                }
            }
            if cx.open_objections > 0 {
                return Err(Invalid::new(
                    "objections",
                    format!("{} objection(s) still await an answer", cx.open_objections),
                ));
            }
            S::Awarded
        }
        (S::Awarded, A::Contract) => S::Contracted,
        (s, A::Cancel) if !matches!(s, S::Awarded | S::Contracted | S::Cancelled) => S::Cancelled,
        _ => return Err(wrong()),
    };
    Ok(next)
}

fn action_words(a: TenderAction) -> &'static str {
    match a {
        TenderAction::Publish => "published",
        TenderAction::Close => "closed",
        TenderAction::OpenTechnical => "opened for technical review",
        TenderAction::PublishTechnical => "given published technical results",
        TenderAction::OpenCommercial => "opened commercially",
        TenderAction::PublishAward => "given a published award",
        TenderAction::Finalize => "finalized",
        TenderAction::Contract => "contracted",
        TenderAction::Cancel => "cancelled",
    }
}

/// Most documents (PDF files) one bid may carry.
pub const MAX_DOCUMENTS: usize = 10;
/// Most bytes of one document of a bid.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most bytes of all the documents of one bid together.
pub const MAX_BID_DOCUMENT_BYTES: usize = 30 * 1024 * 1024;

/// Checks the documents of a bid (name, size in bytes) against the limits above.
pub fn check_documents<'a>(
    docs: impl IntoIterator<Item = (&'a str, usize)>,
) -> Result<(), Invalid> {
    let mut count = 0;
    let mut total = 0usize;
    for (name, size) in docs {
        count += 1;
        if count > MAX_DOCUMENTS {
            return Err(Invalid::new(
                "documents",
                format!("more than {MAX_DOCUMENTS} files, the limit of one bid"),
            ));
        }
        if size > MAX_DOCUMENT_BYTES {
            return Err(Invalid::new(
                "documents",
                format!(
                    "\"{name}\" is larger than {} MB, the limit of one document",
                    MAX_DOCUMENT_BYTES / (1024 * 1024)
                ),
            ));
        }
        total = total.saturating_add(size);
        if total > MAX_BID_DOCUMENT_BYTES {
            return Err(Invalid::new(
                "documents",
                format!(
                    "the documents are larger than {} MB together, the limit of one bid",
                    MAX_BID_DOCUMENT_BYTES / (1024 * 1024)
                ),
            ));
        }
    }
    Ok(())
}

/// May a bid be submitted, replaced or withdrawn now? Only while open and before the deadline
/// (by the server clock).
pub fn check_bidding_open(
    state: TenderState,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Invalid> {
    if state != TenderState::Open {
        return Err(Invalid::new(
            "tender",
            format!(
                "this tender is {}, not open for bids",
                state.as_str().replace('_', " ")
            ),
        ));
    }
    if now >= deadline {
        return Err(Invalid::new(
            "bid_deadline",
            format!(
                "the bid deadline ({}) has passed; no bid can be submitted, replaced or withdrawn",
                deadline.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    Ok(())
}

/// Everything the automatic technical review looks at for one bid.
#[derive(Debug, Clone)]
pub struct TechnicalFacts {
    pub lot_drug_id: i64,
    pub product_drug_id: i64,
    pub product_manufacturer_id: i64,
    pub supplier_id: i64,
    pub supplier_kind: SupplierKind,
    pub consistency_required: bool,
    pub product_consistency: bool,
    pub product_originator: bool,
    /// (kind, expires on) of the supplier's licences.
    pub licences: Vec<(LicenceKind, NaiveDate)>,
    /// The deadline's date in the province's time zone.
    pub deadline_day: NaiveDate,
    pub annual_capacity: i64,
    pub agreed_volume: i64,
    /// Capacity must be at least agreed volume × this factor (default 1.0), as a fraction n/d.
    pub capacity_factor: (i64, i64),
    pub bad_faith: bool,
}

/// The automatic checks; each failure comes with its reason. Empty means qualified.
pub fn technical_review(f: &TechnicalFacts) -> Vec<String> {
    let mut reasons = vec![];
    if f.product_drug_id != f.lot_drug_id {
        reasons.push("the product is not of the lot's drug".to_string());
    }
    if f.supplier_kind == SupplierKind::Manufacturer && f.product_manufacturer_id != f.supplier_id {
        reasons.push("a manufacturer may bid only its own products".to_string());
    }
    if f.consistency_required && !(f.product_consistency || f.product_originator) {
        reasons.push(
            "the lot requires a product that passed consistency evaluation (or the originator)"
                .to_string(),
        );
    }
    let needed: &[LicenceKind] = match f.supplier_kind {
        SupplierKind::Manufacturer => &[LicenceKind::Manufacturing, LicenceKind::Gmp],
        SupplierKind::Distributor => &[LicenceKind::Business, LicenceKind::Gsp],
    };
    for kind in needed {
        let valid = f
            .licences
            .iter()
            .any(|(k, exp)| k == kind && licence_valid_on(*exp, f.deadline_day));
        if !valid {
            reasons.push(format!(
                "no {} valid on the deadline ({})",
                kind.label("en"),
                f.deadline_day
            ));
        }
    }
    let (n, d) = f.capacity_factor;
    if (f.annual_capacity as i128) * (d as i128) < (f.agreed_volume as i128) * (n as i128) {
        reasons.push(format!(
            "annual capacity {} is below the required {} units",
            f.annual_capacity,
            ((f.agreed_volume as i128 * n as i128 + d as i128 - 1) / d as i128)
        ));
    }
    if f.bad_faith {
        reasons.push("the supplier is on the bad-faith list".to_string());
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_of_a_bid_have_limits() {
        let mb = 1024 * 1024;
        assert!(
            check_documents([("a.pdf", 10 * mb), ("b.pdf", 10 * mb), ("c.pdf", 10 * mb)]).is_ok()
        );
        let e = check_documents([("a.pdf", 10 * mb + 1)]).unwrap_err();
        assert!(
            e.msg.to_string().contains("\"a.pdf\" is larger than 10 MB"),
            "{e}"
        );
        let e = check_documents([
            ("a.pdf", 10 * mb),
            ("b.pdf", 10 * mb),
            ("c.pdf", 10 * mb),
            ("d.pdf", 1),
        ])
        .unwrap_err();
        assert!(
            e.msg.to_string().contains("larger than 30 MB together"),
            "{e}"
        );
        let e = check_documents((0..11).map(|_| ("s.pdf", 10))).unwrap_err();
        assert!(e.msg.to_string().contains("more than 10 files"), "{e}");
        assert!(check_documents((0..10).map(|_| ("s.pdf", 10))).is_ok());
    }
    use chrono::TimeZone;

    fn cx(now: DateTime<Utc>) -> TransitionContext {
        TransitionContext {
            now,
            bid_deadline: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            objection_deadline: None,
            open_objections: 0,
            lots_missing_scores: 0,
            lots: 1,
        }
    }

    #[test]
    fn happy_path_through_every_state() {
        let before = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let mut s = TenderState::Draft;
        s = transition(s, TenderAction::Publish, &cx(before)).unwrap();
        assert!(
            transition(s, TenderAction::Close, &cx(before)).is_err(),
            "not before the deadline"
        );
        for a in [
            TenderAction::Close,
            TenderAction::OpenTechnical,
            TenderAction::PublishTechnical,
            TenderAction::OpenCommercial,
            TenderAction::PublishAward,
            TenderAction::Finalize,
            TenderAction::Contract,
        ] {
            s = transition(s, a, &cx(after)).unwrap();
        }
        assert_eq!(s, TenderState::Contracted);
    }

    #[test]
    fn wrong_state_is_refused_with_a_reason() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let e = transition(TenderState::Draft, TenderAction::OpenCommercial, &cx(now)).unwrap_err();
        assert!(e.msg.to_string().contains("draft"));
        assert!(transition(TenderState::Awarded, TenderAction::Cancel, &cx(now)).is_err());
        assert_eq!(
            transition(TenderState::Open, TenderAction::Cancel, &cx(now)).unwrap(),
            TenderState::Cancelled
        );
    }

    #[test]
    fn finalize_waits_for_window_and_answers() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap();
        let mut c = cx(now);
        c.objection_deadline = Some(now + chrono::Duration::hours(1));
        assert!(transition(TenderState::Provisional, TenderAction::Finalize, &c).is_err());
        c.objection_deadline = Some(now);
        c.open_objections = 1;
        assert!(transition(TenderState::Provisional, TenderAction::Finalize, &c).is_err());
        c.open_objections = 0;
        assert!(transition(TenderState::Provisional, TenderAction::Finalize, &c).is_ok());
    }

    #[test]
    fn bidding_closes_at_the_deadline() {
        let d = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        assert!(check_bidding_open(TenderState::Open, d, d - chrono::Duration::seconds(1)).is_ok());
        assert!(check_bidding_open(TenderState::Open, d, d).is_err());
        assert!(check_bidding_open(TenderState::Draft, d, d - chrono::Duration::days(1)).is_err());
    }

    fn facts() -> TechnicalFacts {
        TechnicalFacts {
            lot_drug_id: 1,
            product_drug_id: 1,
            product_manufacturer_id: 5,
            supplier_id: 5,
            supplier_kind: SupplierKind::Manufacturer,
            consistency_required: true,
            product_consistency: true,
            product_originator: false,
            licences: vec![
                (
                    LicenceKind::Manufacturing,
                    NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                ),
                (
                    LicenceKind::Gmp,
                    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                ),
            ],
            deadline_day: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            annual_capacity: 1000,
            agreed_volume: 1000,
            capacity_factor: (1, 1),
            bad_faith: false,
        }
    }

    #[test]
    fn technical_review_each_reason() {
        assert!(technical_review(&facts()).is_empty());
        let mut f = facts();
        f.product_drug_id = 2;
        f.product_consistency = false;
        f.licences[1].1 = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        f.annual_capacity = 999;
        f.bad_faith = true;
        let r = technical_review(&f);
        assert_eq!(r.len(), 5, "{r:?}");
        assert!(r[2].contains("GMP certificate"));
        assert!(r[3].contains("1000"));
    }
}
