//! What the program tells a person, as a stable code and its arguments: the words are chosen at
//! the edge, in the reader's language (`templates/i18n/errors.toml`, read by `crate::i18n`).
//!
//! Every refusal and every validation error carries one [`Code`]. Integrators read the code (it
//! is part of the API); people read its translation. `tests/error_codes.rs` checks that every
//! code has its zh-CN and en text with the same placeholders and that every code is used.

use std::fmt;

/// The stable codes of everything the program refuses, grouped by where they arise. The word
/// (`snake_case` of the variant) is what the API sends and what the translation table is keyed by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    serde::Serialize,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Code {
    // --- general: text, numbers, dates, words ---
    Required,
    TooLong,
    NotEmail,
    DateOutsideWindow,
    NotOneOf,
    NotADate,
    NotAWholeNumber,
    NotANumber,
    OutOfRange,
    TooManyDecimals,
    Negative,
    NotPositive,
    // --- money ---
    NotAnAmount,
    AmountTooLarge,
    AmountOverMax,
    // --- identifiers ---
    UsccLength,
    UsccCharacter,
    UsccCheck,
    NotAnApprovalNumber,
    NotAGtin,
    GtinCheck,
    NotARegionCode,
    CodeLength,
    CodeCharacters,
    // --- access and the server ---
    PleaseLogIn,
    BearerTokenRequired,
    ServerError,
    NoSuchApiPath,
    MethodNotAllowed,
    // --- the store ---
    /// Something looked up that is not there (the thing unnamed).
    RecordNotFound,
    AlreadyExists,
    // --- tenders: lots, bids, review, opening, award, objections, contracts ---
    // demand collection
    DemandWindowNotFound,
    DemandWindowNeedsProvince,
    WindowMustCloseInFuture,
    DemandWindowClosed,
    ReportOnlyOwnInstitutions,
    OnlyInstitutionsReportDemand,
    MayNotReportForInstitution,
    NoInstitutionWithCode,
    NoDrugWithCode,
    DemandFileEmpty,
    DemandFileMissingColumn,
    DemandFileNoRows,
    // tenders and lots
    TenderNotFound,
    LotNotFound,
    TenderActionNotFound,
    OnlyCenterStaff,
    NotALocalDateTime,
    NotAnRfc3339DateTime,
    TimeNotInProvinceZone,
    NoDemandForLot,
    AgreedShareOutOfRange,
    LotPolicyUnreadable,
    LotLineUnknownDrug,
    LotLineMissingPrice,
    LotLineMaxPrice,
    LotLineUnknownPolicy,
    LotLineTechnicalWeight,
    LotLineMinBidders,
    LotLineAgreedShare,
    // the tender's steps
    CannotPublishTender,
    CannotCloseTender,
    CannotOpenTechnical,
    CannotPublishTechnical,
    CannotOpenCommercial,
    CannotPublishAward,
    CannotFinalizeAward,
    CannotContractTender,
    CannotCancelTender,
    PublishWithoutLots,
    PublishAfterDeadline,
    CloseBeforeDeadline,
    LotsMissingScores,
    ObjectionWindowStillOpen,
    ObjectionsUnanswered,
    TenderWithoutDemandWindow,
    // bids and their documents
    BidNotFound,
    OnlySuppliersBid,
    TenderNotOpenForBids,
    BidDeadlinePassed,
    TooManyDocuments,
    DocumentTooLarge,
    DocumentsTooLarge,
    DocumentNotPdf,
    DocumentNotBase64,
    BidFormUnreadable,
    BidFormTooManyFields,
    BidFormFieldTooLong,
    BidSubmittedTwice,
    BidNotWritten,
    NewBidNotFound,
    NoActiveBidToWithdraw,
    // sealed envelopes
    EnvelopeTooLong,
    TenderWithoutEnvelopeKey,
    EnvelopeCannotBeOpened,
    TechnicalEnvelopeUnreadable,
    OpenedEnvelopeUnreadable,
    // technical review and scores
    ProductNotOfLotDrug,
    ManufacturerOwnProductsOnly,
    ConsistencyEvaluationRequired,
    NoValidManufacturingLicence,
    NoValidBusinessLicence,
    NoValidGmpCertificate,
    NoValidGspCertificate,
    CapacityBelowRequired,
    SupplierOnBadFaithList,
    OnlyExpertsScore,
    ScoresNotOpen,
    LotNotCompositeScore,
    OnlyQualifiedBidsScored,
    // the award
    InvalidAgreedShares,
    WeightsMustAddUp,
    BidNotQualified,
    BidPriceNotPositive,
    BidPriceAboveMax,
    TooFewValidBids,
    BidWithoutScore,
    CompositeScoreTooLarge,
    AwardFigureTooLarge,
    NegativeReportedQuantity,
    ReportedDemandTooLarge,
    NobodyToSplitVolume,
    // objections
    ObjectionNotFound,
    ObjectionWindowClosed,
    OnlyBiddersObject,
    ObjectionAlreadyAnswered,
    // contracts
    ContractNotFound,
    DistributorsPerCounty,
    NotALicensedDistributor,

    // --- orders, deliveries, payables, performance, shortages ---
    // orders: placing, acknowledging, declining, cancelling
    OrderNotFound,
    OrderLineNotFound,
    InstitutionNotFound,
    OnlyInstitutionsOrder,
    OrderOutsideScope,
    OrderNeedsLines,
    NoSuchContract,
    ContractNotInForce,
    SupplierUsersOnly,
    OrderNotAwaitingAcknowledgement,
    OrderNoLongerOpen,
    LineAlreadyDeclined,
    LinePartlyShipped,
    OnlyOrdererCancels,
    OrderNotCancellable,
    // deliveries and receipt
    OrderNotAcknowledged,
    DeliveryNeedsLines,
    NotALineOfThisOrder,
    BatchNumberRequired,
    LineDeclined,
    ShipmentExceedsOrder,
    ExpiryNotAfterProduction,
    DateInFuture,
    ShelfLifeTooShort,
    IdempotencyKeyReused,
    DeliveryNotWritten,
    DeliveryLineNotFound,
    OnlyReceiverConfirms,
    // payables
    PayableNotFound,
    PayableAlreadyPaid,
    OnlyPayerMarksPaid,
    // the bad-faith list; periods
    PeriodEndsBeforeStart,
    SupplierNotWarned,
    // performance and exports
    NotInList,
    NoSuchCounty,
    OwnPerformanceOnly,
    PerformanceNotForRole,
    NoExportTable,
    ExportFormatUnknown,
    // shortages: records, reports, interruptions
    ProvinceRegionNotFound,
    NothingToChange,
    ShortageNotFound,
    ShortageListStaffOnly,
    OnlyInstitutionsReportShortages,
    NameDrugByCode,
    NoDrugWithId,
    OnlySuppliersDeclareInterruptions,
    OnlySupplierUsersDeclare,
    OnlySupplierUsersSeeDeclarations,
    OnlySupplierUsersEndDeclarations,
    InterruptionNotFound,
    // shortages: the center's responses, direct listing
    ShortageResolved,
    ChooseResponseKind,
    SupplierIdNotANumber,
    NoSupplierWithId,
    DirectListingNeedsPriceCap,
    DirectListingNeedsEndDate,
    DateInPast,
    DirectListingNotFound,
    DirectListingEnded,
    ChooseDirectListing,
    OnlySuppliersList,
    OnlySupplierUsersList,
    LicenceNeededToList,
    ProductIdNotANumber,
    NoProductWithId,
    ProductNotOfShortageDrug,
    PriceNotWithinCap,
    ProductAlreadyListed,
    ListingNotFound,
    NotInAffectedCounty,

    // --- catalog, parties, users, regions, imports, uploads, sessions ---
    JsonTooLarge,
    PathNotFound,
    QueryUnreadable,
    FormTooLarge,
    CsrfTokenMissing,
    FormUnreadable,
    JsonUnreadable,
    PageNotFound,
    NotAllowed,
    LanguageNotFound,
    UsernameCharacters,
    CannotDeactivateSelf,
    ChooseUser,
    UploadUnreadable,
    FileTooLarge,
    UploadEmpty,
    UploadMissing,
    ImportKindNotFound,
    DemoDataRefused,
    NoSupplierWithCode,
    NoRegionWithCode,
    NotAManufacturer,
    NotATownshipCenter,
    OwnParent,
    ProductExists,
    DrugExists,
    InstitutionExists,
    SupplierExists,
    RegionExists,
    WrongRegionLevel,
    NoRegionBelow,
    SupplierUserNeedsSupplier,
    InstitutionUserNeedsInstitution,
    OnlySupplierOrInstitutionUsersBelong,
    UsernameTaken,
    MessageNotFailed,
    DrugNotFound,
    ProductNotFound,
    SupplierNotFound,
    LicenceNotFound,
    UserNotFound,
    TokenNotFound,
    RegionNotFound,
    MessageNotFound,
    UploadTooLarge,
    UploadTooManyRows,
    UploadTooManyColumns,
    UploadCellTooLong,
    UploadTooManyCells,
    UploadTooMuchText,
    UploadRowTooLong,
    RowNotUtf8,
    NotAReadableXlsx,
    XlsxTooManyEntries,
    XlsxSheetDeclaresTooMuch,
    XlsxPartDeclaresTooMuch,
    XlsxSheetUnpacksTooMuch,
    XlsxPartUnpacksTooMuch,
    XlsxUnpacksTooMuch,
    CsvNotUtf8,
    XlsxNoWorksheet,
    PasswordTooShort,
    PasswordNotHashed,
    MissingColumns,
    FileEmpty,
    RowUnreadable,
    NoDataRows,
    DuplicateInFile,
    DuplicateProductInFile,
    NotYesOrNo,
    NotAnAtcCode,
    ProvinceHasNoParent,
    VillageClinicNeedsParent,
    OnlyVillageClinicHasParent,
    // --- tstages: the tender stages as services, and the lot objections API ---
    OnlySuppliersObject,
    ObjectionsStaffAndLodgersOnly,
    OnlySuppliersNameDistributors,

    // --- bids (issue 14: bids come from the maker; a lot's bids over the API) ---
    DistributorsDoNotBid,
    NotOwnProduct,
    BidAboveMaxUnconfirmed,
    OnlyCenterAndExpertsReadBids,
    BidsSealedUntilTechnicalOpening,
    // --- tidy: committed volumes and their pace (issue 14), the error page of an unknown path ---
    CommitmentsNotForRole,
    NoSuchPage,
    // --- supply arrangements (issue 14, engineer "supply"): orders follow the award ---
    /// No arrangement in force supplies the ordering institution's county with this drug.
    NoArrangementForDrug,
    /// An order named a contract that is not what serves the ordering institution's county
    /// with its drug today.
    ContractNotForCounty,
    /// A basket line names neither a drug nor a contract, or both.
    NameDrugOrContract,
    /// The order form's row has a quantity and no drug.
    ChooseDrug,

    // --- shortage responses that act on supply (issue 14, shortresp) ---
    ResponseNeedsEndDate,
    NameDesignatedProducer,
    DesignatedNeedsPrice,
    DesignatedNotManufacturer,
    NoBackupForCounty,
    ResponseNotFound,
    ResponseAlreadyEnded,
    RetenderNeedsTenderedDrug,
    // --- pickers and row forms (issue 15, engineer "forms") ---
    PickUnknown,
    PickAmbiguous,
    LotRowsEmpty,
    LotRowsInvalid,

    // --- home, audit log, shortage pages (issue 15, home) ---
    AuditEntryNotFound,

    // --- receipt by quantity, delivery notes (issue 15, receipt) ---
    /// Accepted + rejected units of a delivered line are not what it shipped.
    ReceiptDoesNotAddUp,
    /// Some units are rejected and no reason is given.
    RejectReasonRequired,
    DeliveryNoteNotFound,
    // --- quorum sealing (issue 16) ---
    TenderKeyNotFormed,
    CustodiansNotAppointed,
    CustodianCount,
    QuorumOutOfRange,
    CustodianWithoutKey,
    CustodianTwice,
    NotACustodian,
    CustodiansFixed,
    DealingRefused,
    OpeningWaitsForCustodians,
    ContributionRefused,
    ContributionsIncomplete,
    ContributionsNotYet,
    PriceMustBeSealed,
    TenderSealsOnServer,
    EnvelopeMalformed,
    EnvelopeDigestMismatch,
    EnvelopeAlteredAfterDeadline,
    EnvelopeUnopenable,
    CustodianKeyInvalid,
    // --- key custody pages (issue 16, item 5) ---
    /// An uploaded custody file (dealing, contributions) over its limit.
    CustodyFileTooLarge,
    /// An uploaded custody file that is not what `jicai custodian` writes.
    CustodyFileUnreadable, // --- the designated producer's product (issue 14 leftover) ---
    /// A designated producer's product chosen that it neither makes nor imports as agent.
    DesignatedProductNotOwn,
    /// A designated producer with several products of the drug and none chosen.
    ChooseDesignatedProduct,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A code with its arguments (name, value), e.g. `TooLong` with `max = 200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub code: Code,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(code: Code) -> Msg {
        Msg { code, args: vec![] }
    }

    /// Adds an argument the translation names as `{name}`.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Msg {
        self.args.push((name, value.to_string()));
        self
    }

    /// The value of an argument.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl From<Code> for Msg {
    fn from(c: Code) -> Msg {
        Msg::new(c)
    }
}

/// For logs and tests: the code and its arguments, never a translation.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        if !self.args.is_empty() {
            f.write_str("(")?;
            for (i, (k, v)) in self.args.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k}={v}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}
