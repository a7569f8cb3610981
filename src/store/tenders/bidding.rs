//! Bids: sealed submissions (one by one or together), withdrawals, scores and reads.

use super::*;
use crate::domain::bidding as rules;

mod batch;
pub use batch::{submit_bid, submit_bids};

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = bids)]
pub struct Bid {
    pub id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub status: BidStatus,
    pub version: i32,
    pub submission_seq: i64,
    pub product_id: i64,
    pub annual_capacity: i64,
    pub technical_json: String,
    pub technical_digest: String,
    pub commercial_digest: String,
    #[serde(skip)]
    pub commercial_nonce: String,
    #[serde(skip)]
    pub commercial_sealed: String,
    pub submitted_at: NaiveDateTime,
    pub technical_result: Option<TechnicalResult>,
    pub technical_reasons: Option<String>,
    pub technical_score: Option<i64>,
    pub package_price: Option<i64>,
    pub unit_price: Option<i64>,
}

impl Bid {
    /// Why the technical review failed the bid, as codes with their arguments: the column
    /// holds a JSON list of `{"code", "args"}` (reviews recorded before the codes hold English
    /// sentences, read back as their codes).
    pub fn reason_msgs(&self) -> Vec<Msg> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Coded(RecordedReason),
            Sentence(String),
        }
        self.technical_reasons
            .as_deref()
            .and_then(|r| serde_json::from_str::<Vec<Stored>>(r).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r {
                Stored::Coded(c) => c.msg(),
                Stored::Sentence(s) => tender::reason_from_legacy_text(&s),
            })
            .collect()
    }

    /// The reasons in English, for logs and tests; a person reads [`Bid::reason_msgs`] in
    /// their own language.
    pub fn reasons(&self) -> Vec<String> {
        let en = crate::i18n::Tr::new("en");
        self.reason_msgs().iter().map(|m| en.msg(m)).collect()
    }
}

/// A document of a technical envelope.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What a supplier submits for one lot.
#[derive(Debug, Clone)]
pub struct BidSubmission {
    pub lot_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    pub annual_capacity: i64,
    pub price: PriceIn,
    pub documents: Vec<Document>,
    /// The bidder saw the warning that the unit price is above the lot's ceiling and submits
    /// anyway (without it such a submission is answered with the price check, nothing written).
    pub confirm_above_max: bool,
}

/// The price of a submission: in the clear for a tender the server seals (demos and tests),
/// or already sealed by the bidder for a quorum tender.
#[derive(Debug, Clone)]
pub enum PriceIn {
    Clear(Money),
    Sealed(SealedPrice),
}

/// A price envelope sealed by the bidder (the three hex fields of the v3 format).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedPrice {
    pub nonce: String,
    pub ciphertext: String,
    pub digest: String,
}

/// What a submission came to: the product and the price against the lot's ceiling, and the
/// receipt when the bid was sealed (`None`: above the ceiling and not confirmed, nothing
/// written).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub product: crate::store::catalog::Product,
    /// The price against the ceiling (None: sealed by the bidder, unknown to the server).
    pub price: Option<rules::PriceCheck>,
    pub receipt: Option<Receipt>,
}

/// What a submission returns: the version that now counts and the digests of both envelopes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    pub bid_id: i64,
    pub lot_id: i64,
    pub version: i32,
    pub submitted_at: String,
    pub technical_digest: String,
    pub commercial_digest: String,
}

#[derive(Serialize)]
struct TechnicalEnvelope<'a> {
    lot_id: i64,
    supplier_id: i64,
    product_id: i64,
    annual_capacity: i64,
    licences: Vec<(LicenceKind, String, NaiveDate)>,
    documents: Vec<(&'a str, String, usize)>,
}

/// The licences (kind, number, expiry) declared in a bid's technical envelope.
pub(super) fn envelope_licences(
    technical_json: &str,
) -> Result<Vec<(LicenceKind, String, NaiveDate)>> {
    #[derive(Deserialize)]
    struct Declared {
        #[serde(default)]
        licences: Vec<(LicenceKind, String, NaiveDate)>,
    }
    serde_json::from_str::<Declared>(technical_json)
        .map(|d| d.licences)
        .map_err(|_| Invalid::new("technical_envelope", Code::TechnicalEnvelopeUnreadable).into())
}

#[derive(Serialize, Deserialize)]
pub(super) struct CommercialEnvelope {
    pub(super) package_price: String,
    /// Server sealing only (the bidder's own envelopes need none: their digest covers the
    /// ciphertext, not the price).
    #[serde(default)]
    salt: String,
}

pub(super) fn binding(tender_id: i64, lot_id: i64, supplier_id: i64, version: i32) -> String {
    format!("tender {tender_id} lot {lot_id} supplier {supplier_id} version {version}")
}

pub(super) fn bid_of(conn: &mut DbConn, lot_id: i64, supplier_id: i64) -> Result<Option<Bid>> {
    Ok(bids::table
        .filter(bids::lot_id.eq(lot_id))
        .filter(bids::supplier_id.eq(supplier_id))
        .select(Bid::as_select())
        .first(conn)
        .optional()?)
}

pub fn bid(conn: &mut DbConn, id: i64) -> Result<Bid> {
    bids::table
        .find(id)
        .select(Bid::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::BidNotFound.into()))
}

/// The checks of a submission that need no database (the domain's).
fn check_submission(s: &BidSubmission) -> Result<()> {
    rules::check_submission(
        s.annual_capacity,
        match &s.price {
            PriceIn::Clear(m) => Some(*m),
            PriceIn::Sealed(_) => None,
        },
        s.documents
            .iter()
            .map(|d| (d.name.as_str(), d.bytes.as_slice())),
    )?;
    Ok(())
}

/// Withdraws a bid before the deadline (kept as a version; no longer counts).
pub fn withdraw_bid(conn: &mut DbConn, act: &Act, lot_id: i64, supplier_id: i64) -> Result<()> {
    crate::store::write_tx(conn, |conn| {
        let lot = lot(conn, lot_id)?;
        let t = tender(conn, lot.tender_id)?;
        tender::check_bidding_open(t.state(), t.deadline(), act.at)?;
        let b = bid_of(conn, lot_id, supplier_id)?;
        rules::check_withdrawable(b.as_ref().map(|b| b.status))?;
        let Some(b) = b else {
            return Err(StoreError::NotFound(Code::BidNotFound.into()));
        };
        let version = b.version + 1;
        diesel::update(bids::table.find(b.id))
            .set((
                bids::status.eq(BidStatus::Withdrawn),
                bids::version.eq(version),
            ))
            .execute(conn)?;
        diesel::insert_into(bid_versions::table)
            .values((
                bid_versions::bid_id.eq(b.id),
                bid_versions::version.eq(version),
                bid_versions::action.eq("withdraw"),
                bid_versions::at.eq(act.stamp()),
                bid_versions::product_id.eq(b.product_id),
                bid_versions::annual_capacity.eq(b.annual_capacity),
                bid_versions::technical_json.eq(&b.technical_json),
                bid_versions::technical_digest.eq(&b.technical_digest),
                bid_versions::commercial_digest.eq(&b.commercial_digest),
                bid_versions::commercial_nonce.eq(&b.commercial_nonce),
                bid_versions::commercial_sealed.eq(&b.commercial_sealed),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "withdraw",
            "bid",
            b.id,
            Some(&b.version),
            Some(&version),
        )?;
        Ok(())
    })
}

pub fn bids_of_lot(conn: &mut DbConn, lot_id: i64) -> Result<Vec<Bid>> {
    Ok(bids::table
        .filter(bids::lot_id.eq(lot_id))
        .order(bids::id.asc())
        .select(Bid::as_select())
        .load(conn)?)
}

pub fn bids_of_supplier(conn: &mut DbConn, tender_id: i64, supplier_id: i64) -> Result<Vec<Bid>> {
    Ok(bids::table
        .inner_join(lots::table)
        .filter(lots::tender_id.eq(tender_id))
        .filter(bids::supplier_id.eq(supplier_id))
        .order(bids::id.asc())
        .select(Bid::as_select())
        .load(conn)?)
}

pub fn bid_versions_count(conn: &mut DbConn, bid_id: i64) -> Result<i64> {
    Ok(bid_versions::table
        .filter(bid_versions::bid_id.eq(bid_id))
        .count()
        .get_result(conn)?)
}

/// An expert's technical score (0–100, whole points) for a qualified bid of a composite-score lot.
pub fn set_technical_score(conn: &mut DbConn, act: &Act, bid_id: i64, score: i64) -> Result<()> {
    crate::store::write_tx(conn, |conn| {
        let b = bid(conn, bid_id)?;
        let l = lot(conn, b.lot_id)?;
        let t = tender(conn, l.tender_id)?;
        rules::check_scorable(score, t.state(), l.policy, b.technical_result)?;
        diesel::update(bids::table.find(bid_id))
            .set(bids::technical_score.eq(Some(score)))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "score",
            "bid",
            bid_id,
            Some(&b.technical_score),
            Some(&score),
        )?;
        Ok(())
    })
}

/// A supplier as the bid stage needs it: its kind, and for a distribution enterprise whether it
/// is registered as the national agent of any product (it bids only as one).
pub fn bidder_facts(conn: &mut DbConn, supplier_id: i64) -> Result<(SupplierKind, bool)> {
    let kind: SupplierKind = suppliers::table
        .find(supplier_id)
        .select(suppliers::kind)
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::SupplierNotFound.into()))?;
    // Only a distribution enterprise's agencies matter (a manufacturer bids anyway): one
    // statement less on the path of every bid.
    if kind == SupplierKind::Manufacturer {
        return Ok((kind, false));
    }
    let agencies: i64 = products::table
        .filter(products::national_agent_id.eq(supplier_id))
        .count()
        .get_result(conn)?;
    Ok((kind, agencies > 0))
}

/// A lot with its tender and the kind of a would-be bidder, in one statement (the path of every
/// bid); a lot not there, or a supplier not there, is not found.
pub fn lot_tender_and_bidder(
    conn: &mut DbConn,
    lot_id: i64,
    supplier_id: i64,
) -> Result<(Lot, Tender, SupplierKind)> {
    lots::table
        .inner_join(tenders::table)
        .inner_join(suppliers::table.on(suppliers::id.eq(supplier_id)))
        .filter(lots::id.eq(lot_id))
        .select((Lot::as_select(), Tender::as_select(), suppliers::kind))
        .first::<(Lot, Tender, SupplierKind)>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::LotNotFound.into()))
}

/// A lot with its tender, in one statement.
pub fn lot_and_tender(conn: &mut DbConn, lot_id: i64) -> Result<(Lot, Tender)> {
    lots::table
        .inner_join(tenders::table)
        .filter(lots::id.eq(lot_id))
        .select((Lot::as_select(), Tender::as_select()))
        .first::<(Lot, Tender)>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::LotNotFound.into()))
}

/// The products of a drug a supplier may bid with (made by it, or imported with it as the
/// national agent), by approval number.
pub fn own_products(
    conn: &mut DbConn,
    supplier_id: i64,
    drug_id: i64,
) -> Result<Vec<crate::store::catalog::Product>> {
    let ids: Vec<i64> = products::table
        .filter(products::drug_id.eq(drug_id))
        .filter(
            products::national_agent_id
                .eq(supplier_id)
                .or(products::national_agent_id
                    .is_null()
                    .and(products::manufacturer_id.eq(supplier_id))),
        )
        .order((products::approval_number.asc(), products::id.asc()))
        .select(products::id)
        .load(conn)?;
    ids.into_iter()
        .map(|id| crate::store::catalog::get_product(conn, id))
        .collect()
}

/// A document of a bid's current version, by its digest.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentDigest {
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

/// An active bid of a lot with what its technical envelope names: the bidder, the product and
/// its maker, the licences declared, the documents' digests.
#[derive(Debug, Clone)]
pub struct BidDetail {
    pub bid: Bid,
    pub supplier_name: String,
    pub product: crate::store::catalog::Product,
    pub licences: Vec<(LicenceKind, String, NaiveDate)>,
    pub documents: Vec<DocumentDigest>,
}

/// The active bids of a lot with their technical envelopes (the sealed prices stay sealed: the
/// prices are the columns the commercial opening fills).
pub fn lot_bid_details(conn: &mut DbConn, lot_id: i64) -> Result<Vec<BidDetail>> {
    let mut out = vec![];
    for b in bids_of_lot(conn, lot_id)?
        .into_iter()
        .filter(|b| b.status == BidStatus::Active)
    {
        let supplier_name: String = suppliers::table
            .find(b.supplier_id)
            .select(suppliers::name)
            .first(conn)?;
        let product = crate::store::catalog::get_product(conn, b.product_id)?;
        let documents = bid_documents::table
            .filter(bid_documents::bid_id.eq(b.id))
            .filter(bid_documents::version.eq(b.version))
            .order(bid_documents::id.asc())
            .select((
                bid_documents::name,
                bid_documents::sha256,
                bid_documents::size,
            ))
            .load::<(String, String, i64)>(conn)?
            .into_iter()
            .map(|(name, sha256, size)| DocumentDigest { name, sha256, size })
            .collect();
        let licences = envelope_licences(&b.technical_json)?;
        out.push(BidDetail {
            bid: b,
            supplier_name,
            product,
            licences,
            documents,
        });
    }
    Ok(out)
}
