//! The tender's life: its states and what moves it, the deadline rule, and the automatic
//! technical review of a bid.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::catalog::{licence_valid_on, LicenceKind, SupplierKind};
use super::{Code, Invalid, Msg};

words! {
    /// A tender's state, in the order it passes through them.
    pub enum TenderState {
        Draft => "draft",
        Open => "open",
        Closed => "closed",
        TechnicalOpened => "technical_opened",
        TechnicalPublished => "technical_published",
        CommercialOpened => "commercial_opened",
        Provisional => "provisional",
        Awarded => "awarded",
        Contracted => "contracted",
        Cancelled => "cancelled",
    }
}

impl TenderState {
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

    /// The state as it stands now: a tender open for bids is closed once its deadline has
    /// passed by the server's clock, whether or not anyone has closed it yet.
    pub fn effective(self, bid_deadline: DateTime<Utc>, now: DateTime<Utc>) -> TenderState {
        match self {
            TenderState::Open if now >= bid_deadline => TenderState::Closed,
            s => s,
        }
    }
}

/// Who sees a tender at all: center staff, regulators and experts always; suppliers and
/// institutions once it is published (a draft does not exist for them).
pub fn tender_visible_to(role: super::roles::Role, published: bool) -> bool {
    use super::roles::Role;
    matches!(role, Role::Center | Role::Regulator | Role::Expert) || published
}

words! {
    /// What center staff do to a tender.
    pub enum TenderAction {
        Publish => "publish",
        Close => "close",
        OpenTechnical => "open_technical",
        PublishTechnical => "publish_technical",
        OpenCommercial => "open_commercial",
        PublishAward => "publish_award",
        Finalize => "finalize",
        Contract => "contract",
        Cancel => "cancel",
    }
}

words! {
    /// A demand window: open for reports, or closed.
    pub enum WindowStatus {
        Open => "open",
        Closed => "closed",
    }
}

words! {
    /// A lot: open until the award, then awarded or failed.
    pub enum LotStatus {
        Open => "open",
        Awarded => "awarded",
        Failed => "failed",
    }
}

words! {
    /// A bid: active, or withdrawn by its supplier.
    pub enum BidStatus {
        Active => "active",
        Withdrawn => "withdrawn",
    }
}

words! {
    /// What the technical review made of a bid.
    pub enum TechnicalResult {
        Passed => "passed",
        Failed => "failed",
    }
}

words! {
    /// A contract's status.
    pub enum ContractStatus {
        InForce => "in_force",
        /// Ended early: its shortage response was withdrawn or the shortage resolved.
        Ended => "ended",
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
    /// Quorum sealing: the custodians who have dealt and how many there are, while the
    /// tender's key is not formed (None: formed, or sealed by the server).
    pub key_missing: Option<(usize, usize)>,
    /// Quorum sealing: the custodians who have contributed to the opening and how many must
    /// (None: sealed by the server).
    pub contributions: Option<(usize, usize)>,
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
            Msg::new(refusal(action)).arg("state", state.as_str().replace('_', " ")),
        )
    };
    let next = match (state, action) {
        (S::Draft, A::Publish) => {
            may_publish(cx)?;
            S::Open
        }
        (S::Open, A::Close) => {
            may_close(cx)?;
            S::Closed
        }
        (S::Closed, A::OpenTechnical) => S::TechnicalOpened,
        (S::TechnicalOpened, A::PublishTechnical) => {
            may_publish_technical(cx)?;
            S::TechnicalPublished
        }
        (S::TechnicalPublished, A::OpenCommercial) => {
            may_open_commercial(cx)?;
            S::CommercialOpened
        }
        (S::CommercialOpened, A::PublishAward) => S::Provisional,
        (S::Provisional, A::Finalize) => {
            may_finalize(cx)?;
            S::Awarded
        }
        (S::Awarded, A::Contract) => S::Contracted,
        (s, A::Cancel) if !matches!(s, S::Awarded | S::Contracted | S::Cancelled) => S::Cancelled,
        _ => return Err(wrong()),
    };
    Ok(next)
}

/// A draft is published with lots, before its bid deadline, and (sealed by quorum) once its
/// custodians are appointed and the tender's key is formed.
fn may_publish(cx: &TransitionContext) -> Result<(), Invalid> {
    if cx.lots == 0 {
        return Err(Invalid::new("lots", Code::PublishWithoutLots));
    }
    if cx.bid_deadline <= cx.now {
        return Err(Invalid::new("bid_deadline", Code::PublishAfterDeadline));
    }
    match cx.key_missing {
        Some((_, 0)) => Err(Invalid::new("custodians", Code::CustodiansNotAppointed)),
        Some((dealt, n)) => Err(Invalid::new(
            "custodians",
            Msg::new(Code::TenderKeyNotFormed)
                .arg("dealt", dealt)
                .arg("n", n),
        )),
        None => Ok(()),
    }
}

/// Bidding closes at the bid deadline, not before.
fn may_close(cx: &TransitionContext) -> Result<(), Invalid> {
    if cx.now < cx.bid_deadline {
        return Err(Invalid::new("bid_deadline", Code::CloseBeforeDeadline));
    }
    Ok(())
}

/// The technical results are published once every lot that needs experts' scores has them.
fn may_publish_technical(cx: &TransitionContext) -> Result<(), Invalid> {
    if cx.lots_missing_scores > 0 {
        return Err(Invalid::new(
            "technical_score",
            Msg::new(Code::LotsMissingScores).arg("count", cx.lots_missing_scores),
        ));
    }
    Ok(())
}

/// The commercial opening waits (sealed by quorum) for enough custodians' contributions.
fn may_open_commercial(cx: &TransitionContext) -> Result<(), Invalid> {
    if let Some((have, need)) = cx.contributions {
        if have < need {
            return Err(Invalid::new(
                "custodians",
                Msg::new(Code::OpeningWaitsForCustodians)
                    .arg("have", have)
                    .arg("need", need),
            ));
        }
    }
    Ok(())
}

/// The award is final once the objection window has closed and every objection is answered.
fn may_finalize(cx: &TransitionContext) -> Result<(), Invalid> {
    if let Some(d) = cx.objection_deadline {
        if cx.now < d {
            return Err(Invalid::new("objections", Code::ObjectionWindowStillOpen));
        }
    }
    if cx.open_objections > 0 {
        return Err(Invalid::new(
            "objections",
            Msg::new(Code::ObjectionsUnanswered).arg("count", cx.open_objections),
        ));
    }
    Ok(())
}

/// What refuses an action in a state that does not allow it (the state is the argument).
fn refusal(a: TenderAction) -> Code {
    match a {
        TenderAction::Publish => Code::CannotPublishTender,
        TenderAction::Close => Code::CannotCloseTender,
        TenderAction::OpenTechnical => Code::CannotOpenTechnical,
        TenderAction::PublishTechnical => Code::CannotPublishTechnical,
        TenderAction::OpenCommercial => Code::CannotOpenCommercial,
        TenderAction::PublishAward => Code::CannotPublishAward,
        TenderAction::Finalize => Code::CannotFinalizeAward,
        TenderAction::Contract => Code::CannotContractTender,
        TenderAction::Cancel => Code::CannotCancelTender,
    }
}

/// Most documents (PDF files) one bid may carry.
pub const MAX_DOCUMENTS: usize = 10;
/// Most bytes of one document of a bid.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most bytes of all the documents of one bid together.
pub const MAX_BID_DOCUMENT_BYTES: usize = 30 * 1024 * 1024;

/// More than [`MAX_DOCUMENTS`] documents.
pub fn too_many_documents() -> Msg {
    Msg::new(Code::TooManyDocuments).arg("max", MAX_DOCUMENTS)
}

/// A document over [`MAX_DOCUMENT_BYTES`].
pub fn document_too_large(name: &str) -> Msg {
    Msg::new(Code::DocumentTooLarge)
        .arg("name", name)
        .arg("max", MAX_DOCUMENT_BYTES / (1024 * 1024))
}

/// The documents together over [`MAX_BID_DOCUMENT_BYTES`].
pub fn documents_too_large() -> Msg {
    Msg::new(Code::DocumentsTooLarge).arg("max", MAX_BID_DOCUMENT_BYTES / (1024 * 1024))
}

/// Checks the documents of a bid (name, size in bytes) against the limits above.
pub fn check_documents<'a>(
    docs: impl IntoIterator<Item = (&'a str, usize)>,
) -> Result<(), Invalid> {
    let mut count = 0;
    let mut total = 0usize;
    for (name, size) in docs {
        count += 1;
        if count > MAX_DOCUMENTS {
            return Err(Invalid::new("documents", too_many_documents()));
        }
        if size > MAX_DOCUMENT_BYTES {
            return Err(Invalid::new("documents", document_too_large(name)));
        }
        total = total.saturating_add(size);
        if total > MAX_BID_DOCUMENT_BYTES {
            return Err(Invalid::new("documents", documents_too_large()));
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
            Msg::new(Code::TenderNotOpenForBids).arg("state", state.as_str().replace('_', " ")),
        ));
    }
    if now >= deadline {
        return Err(Invalid::new(
            "bid_deadline",
            Msg::new(Code::BidDeadlinePassed)
                .arg("deadline", deadline.format("%Y-%m-%d %H:%M UTC")),
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
    /// For an imported product, the supplier registered as its national agent (who bids with it).
    pub product_national_agent_id: Option<i64>,
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

/// The automatic checks; each failure comes with its reason, as a code with its arguments.
/// Empty means qualified.
pub fn technical_review(f: &TechnicalFacts) -> Vec<Msg> {
    let mut reasons = vec![];
    if f.product_drug_id != f.lot_drug_id {
        reasons.push(Msg::new(Code::ProductNotOfLotDrug));
    }
    let owner = super::bidding::ProductOwner {
        manufacturer_id: f.product_manufacturer_id,
        national_agent_id: f.product_national_agent_id,
    };
    if owner.bidder() != f.supplier_id {
        reasons.push(Msg::new(Code::ManufacturerOwnProductsOnly));
    }
    if f.consistency_required && !(f.product_consistency || f.product_originator) {
        reasons.push(Msg::new(Code::ConsistencyEvaluationRequired));
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
            reasons.push(Msg::new(no_valid_licence(*kind)).arg("deadline", f.deadline_day));
        }
    }
    let (n, d) = f.capacity_factor;
    if (f.annual_capacity as i128) * (d as i128) < (f.agreed_volume as i128) * (n as i128) {
        reasons.push(
            Msg::new(Code::CapacityBelowRequired)
                .arg("capacity", f.annual_capacity)
                .arg(
                    "required",
                    (f.agreed_volume as i128 * n as i128 + d as i128 - 1) / d as i128,
                ),
        );
    }
    if f.bad_faith {
        reasons.push(Msg::new(Code::SupplierOnBadFaithList));
    }
    reasons
}

/// The reason of a licence of this kind missing or expired on the deadline.
fn no_valid_licence(kind: LicenceKind) -> Code {
    match kind {
        LicenceKind::Manufacturing => Code::NoValidManufacturingLicence,
        LicenceKind::Business => Code::NoValidBusinessLicence,
        LicenceKind::Gmp => Code::NoValidGmpCertificate,
        LicenceKind::Gsp => Code::NoValidGspCertificate,
    }
}

/// The argument names of the review's reasons (a [`Msg`] names them with static strings).
const REVIEW_ARGS: [&str; 3] = ["deadline", "capacity", "required"];

/// A reason of the technical review as the database keeps it: its code word and arguments,
/// `{"code": "no_valid_gmp_certificate", "args": {"deadline": "2026-12-01"}}`; the words are
/// chosen when it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedReason {
    pub code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl From<&Msg> for RecordedReason {
    fn from(m: &Msg) -> Self {
        RecordedReason {
            code: m.code.as_str().to_string(),
            args: m
                .args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
}

impl RecordedReason {
    /// The reason again; a code this program does not know reads as "did not pass the
    /// technical review".
    pub fn msg(&self) -> Msg {
        let Ok(code) = self.code.parse::<Code>() else {
            return Msg::new(Code::BidNotQualified);
        };
        REVIEW_ARGS
            .iter()
            .fold(Msg::new(code), |m, name| match self.args.get(*name) {
                Some(v) => m.arg(name, v),
                None => m,
            })
    }
}

/// A reason recorded before reasons were codes: the English sentence [`technical_review`] wrote
/// then, read back as its code (one it cannot place reads as "did not pass the technical review").
pub fn reason_from_legacy_text(s: &str) -> Msg {
    let between = |s: &str, pre: &str, post: &str| -> Option<String> {
        s.strip_prefix(pre)?.strip_suffix(post).map(str::to_string)
    };
    match s {
        "the product is not of the lot's drug" => return Msg::new(Code::ProductNotOfLotDrug),
        "a manufacturer may bid only its own products" => {
            return Msg::new(Code::ManufacturerOwnProductsOnly)
        }
        "the lot requires a product that passed consistency evaluation (or the originator)" => {
            return Msg::new(Code::ConsistencyEvaluationRequired)
        }
        "the supplier is on the bad-faith list" => return Msg::new(Code::SupplierOnBadFaithList),
        _ => {}
    }
    for kind in LicenceKind::ALL {
        let pre = format!("no {} valid on the deadline (", kind.label("en"));
        if let Some(day) = between(s, &pre, ")") {
            return Msg::new(no_valid_licence(*kind)).arg("deadline", day);
        }
    }
    if let Some(rest) = between(s, "annual capacity ", " units") {
        if let Some((capacity, required)) = rest.split_once(" is below the required ") {
            return Msg::new(Code::CapacityBelowRequired)
                .arg("capacity", capacity)
                .arg("required", required);
        }
    }
    Msg::new(Code::BidNotQualified)
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
        assert_eq!(e.code(), Code::DocumentTooLarge, "{e}");
        assert_eq!(e.msg.get("name"), Some("a.pdf"));
        assert_eq!(e.msg.get("max"), Some("10"));
        let e = check_documents([
            ("a.pdf", 10 * mb),
            ("b.pdf", 10 * mb),
            ("c.pdf", 10 * mb),
            ("d.pdf", 1),
        ])
        .unwrap_err();
        assert_eq!(e.code(), Code::DocumentsTooLarge, "{e}");
        assert_eq!(e.msg.get("max"), Some("30"));
        let e = check_documents((0..11).map(|_| ("s.pdf", 10))).unwrap_err();
        assert_eq!(e.code(), Code::TooManyDocuments, "{e}");
        assert_eq!(e.msg.get("max"), Some("10"));
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
            key_missing: None,
            contributions: None,
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
    fn a_quorum_tender_publishes_once_keyed_and_opens_with_its_quorum() {
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let mut c = cx(now);
        c.key_missing = Some((0, 0));
        let e = transition(TenderState::Draft, TenderAction::Publish, &c).unwrap_err();
        assert_eq!(e.code(), Code::CustodiansNotAppointed);
        c.key_missing = Some((4, 5));
        let e = transition(TenderState::Draft, TenderAction::Publish, &c).unwrap_err();
        assert_eq!(e.code(), Code::TenderKeyNotFormed);
        assert_eq!(e.msg.get("dealt"), Some("4"));
        c.key_missing = None;
        assert!(transition(TenderState::Draft, TenderAction::Publish, &c).is_ok());
        c.contributions = Some((2, 3));
        let e = transition(
            TenderState::TechnicalPublished,
            TenderAction::OpenCommercial,
            &c,
        )
        .unwrap_err();
        assert_eq!(e.code(), Code::OpeningWaitsForCustodians);
        assert_eq!(e.msg.get("have"), Some("2"));
        c.contributions = Some((3, 3));
        assert_eq!(
            transition(
                TenderState::TechnicalPublished,
                TenderAction::OpenCommercial,
                &c
            )
            .unwrap(),
            TenderState::CommercialOpened
        );
    }

    #[test]
    fn wrong_state_is_refused_with_a_reason() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let e = transition(TenderState::Draft, TenderAction::OpenCommercial, &cx(now)).unwrap_err();
        assert_eq!(e.code(), Code::CannotOpenCommercial);
        assert_eq!(e.msg.get("state"), Some("draft"));
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
        assert_eq!(
            transition(TenderState::Provisional, TenderAction::Finalize, &c)
                .unwrap_err()
                .code(),
            Code::ObjectionWindowStillOpen
        );
        c.objection_deadline = Some(now);
        c.open_objections = 1;
        let e = transition(TenderState::Provisional, TenderAction::Finalize, &c).unwrap_err();
        assert_eq!(e.code(), Code::ObjectionsUnanswered);
        assert_eq!(e.msg.get("count"), Some("1"));
        c.open_objections = 0;
        assert!(transition(TenderState::Provisional, TenderAction::Finalize, &c).is_ok());
    }

    #[test]
    fn bidding_closes_at_the_deadline() {
        let d = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        assert!(check_bidding_open(TenderState::Open, d, d - chrono::Duration::seconds(1)).is_ok());
        let e = check_bidding_open(TenderState::Open, d, d).unwrap_err();
        assert_eq!(e.code(), Code::BidDeadlinePassed);
        assert_eq!(e.msg.get("deadline"), Some("2026-12-01 09:00 UTC"));
        let e =
            check_bidding_open(TenderState::Draft, d, d - chrono::Duration::days(1)).unwrap_err();
        assert_eq!(e.code(), Code::TenderNotOpenForBids);
        assert_eq!(e.msg.get("state"), Some("draft"));
    }

    fn facts() -> TechnicalFacts {
        TechnicalFacts {
            lot_drug_id: 1,
            product_drug_id: 1,
            product_manufacturer_id: 5,
            product_national_agent_id: None,
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
        assert_eq!(
            r.iter().map(|m| m.code).collect::<Vec<_>>(),
            vec![
                Code::ProductNotOfLotDrug,
                Code::ConsistencyEvaluationRequired,
                Code::NoValidGmpCertificate,
                Code::CapacityBelowRequired,
                Code::SupplierOnBadFaithList
            ]
        );
        assert_eq!(r[2].get("deadline"), Some("2026-12-01"));
        assert_eq!(r[3].get("required"), Some("1000"));
        assert_eq!(r[3].get("capacity"), Some("999"));
    }

    #[test]
    fn recorded_reasons_read_back_as_codes() {
        let m = Msg::new(Code::CapacityBelowRequired)
            .arg("capacity", 999)
            .arg("required", 1000);
        let json = serde_json::to_string(&RecordedReason::from(&m)).unwrap();
        let back: RecordedReason = serde_json::from_str(&json).unwrap();
        assert_eq!(back.msg(), m);
        let unknown = RecordedReason {
            code: "no_such_code".into(),
            args: BTreeMap::new(),
        };
        assert_eq!(unknown.msg().code, Code::BidNotQualified);
        // The English sentences of the reviews recorded before the codes.
        let old = reason_from_legacy_text("no GMP certificate valid on the deadline (2026-12-01)");
        assert_eq!(old.code, Code::NoValidGmpCertificate);
        assert_eq!(old.get("deadline"), Some("2026-12-01"));
        let old = reason_from_legacy_text("annual capacity 999 is below the required 1000 units");
        assert_eq!(old, m);
        assert_eq!(
            reason_from_legacy_text("the supplier is on the bad-faith list").code,
            Code::SupplierOnBadFaithList
        );
        assert_eq!(
            reason_from_legacy_text("something else").code,
            Code::BidNotQualified
        );
    }

    #[test]
    fn unknown_states_and_actions_name_the_words() {
        let e = TenderState::parse("state", "opened").unwrap_err();
        assert_eq!((e.field.as_str(), e.code()), ("state", Code::NotOneOf));
        assert!(e.msg.get("words").unwrap().contains("technical_opened"));
        let e = TenderAction::parse("action", "reopen").unwrap_err();
        assert_eq!((e.field.as_str(), e.code()), ("action", Code::NotOneOf));
        assert_eq!(e.msg.get("value"), Some("reopen"));
        assert!(e.msg.get("words").unwrap().contains("open_commercial"));
        for a in TenderAction::ALL {
            assert_eq!(TenderAction::parse("action", a.as_str()).unwrap(), *a);
        }
    }

    #[test]
    fn an_imported_products_national_agent_bids_with_it_and_its_maker_does_not() {
        let mut f = facts();
        f.product_manufacturer_id = 9;
        f.product_national_agent_id = Some(5);
        let own = |f: &TechnicalFacts| {
            !technical_review(f)
                .iter()
                .any(|m| m.code == Code::ManufacturerOwnProductsOnly)
        };
        assert!(own(&f), "the agent (supplier 5) bids with it");
        f.supplier_id = 9;
        assert!(!own(&f), "its foreign maker does not");
    }
}
