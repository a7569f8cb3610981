//! The bid stage as services: the bid form (the bidder's own products of the lot's drug), a
//! submission (its technical and commercial envelope and documents, with the unit price checked
//! against the lot's ceiling first), a withdrawal, the bidder's own bid, an expert's technical
//! score, and a lot's bids for review by center staff and experts. Pages and API call these.
//!
//! Who bids (DOMAIN.md, Tender 4): the product's manufacturer, or for an imported product the
//! enterprise registered as its national agent, with its own product only; a distribution
//! enterprise does not bid (`domain::bidding`).

use super::{Ctx, Error, Result};
use crate::domain::award::LotAward;
use crate::domain::bidding::{self as rules, LotBidsRefused, LotBidsView};
use crate::domain::roles::{Principal, Role};
use crate::domain::tender::{self, TenderState};
use crate::domain::Code;
use crate::store::bid_writer::BidWriter;
use crate::store::catalog::{self, Product};
use crate::store::tenders::Tender;
use crate::store::tenders::{self as ts, Bid, BidDetail, BidSubmission, Document, Lot};
use crate::store::DbConn;

/// The supplier a supplier's user bids for; anyone else is refused.
pub fn bidder(p: &Principal) -> Result<i64> {
    super::parties::acting_supplier(p, Code::OnlySuppliersBid)
}

/// A lot as the principal may see it (a draft tender's lots do not exist for a supplier), of
/// `tender_id` when the caller names one.
fn visible_lot(
    c: &mut DbConn,
    p: &Principal,
    tender_id: Option<i64>,
    lot_id: i64,
) -> Result<(Lot, Tender)> {
    let not_found = || Error::NotFound(Code::LotNotFound.into());
    let (lot, t) = ts::lot_and_tender(c, lot_id)?;
    if tender_id.is_some_and(|id| id != t.id) || !super::tenders::may_see(p, &t) {
        return Err(not_found());
    }
    Ok((lot, t))
}

/// May this supplier bid at all (a distribution enterprise only as a national agent)?
fn check_may_bid(c: &mut DbConn, supplier_id: i64) -> Result<()> {
    let (kind, agent) = ts::bidder_facts(c, supplier_id)?;
    rules::may_bid(kind, agent).map_err(|r| Error::Forbidden(r.code().into()))
}

/// What the bid form shows: the tender, the lot, and the bidder's own products of its drug
/// (empty: the bidder has nothing to bid with on this lot).
pub struct BidForm {
    pub tender: Tender,
    pub lot: Lot,
    pub products: Vec<Product>,
    /// The bidder: the price envelope's binding names it.
    pub supplier_id: i64,
    /// The tender key (ristretto255, hex) when the tender uses quorum sealing: the page seals
    /// the price in the browser to it. None: the server seals.
    pub quorum_key: Option<String>,
}

/// The bid form of a lot for a supplier that may bid.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn form(cx: &Ctx, p: &Principal, tender_id: i64, lot_id: i64) -> Result<BidForm> {
    let sid = bidder(p)?;
    let mut c = cx.conn()?;
    let (lot, tender) = visible_lot(&mut c, p, Some(tender_id), lot_id)?;
    check_may_bid(&mut c, sid)?;
    let products = ts::own_products(&mut c, sid, lot.drug_id)?;
    // A quorum tender is open for bids only once its key is formed: never an empty key.
    let quorum_key = (tender.sealing() == crate::sealing::Mode::Quorum
        && !tender.envelope_key.is_empty())
    .then(|| tender.envelope_key.clone());
    Ok(BidForm {
        tender,
        lot,
        products,
        supplier_id: sid,
        quorum_key,
    })
}

/// The products of a lot's drug to choose from: a supplier's own (those it may bid with; a
/// distribution enterprise that may not bid is refused as on the form); everyone else who sees
/// the lot, all of them.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn lot_products(cx: &Ctx, p: &Principal, lot_id: i64) -> Result<Vec<Product>> {
    let mut c = cx.conn()?;
    let (lot, _) = visible_lot(&mut c, p, None, lot_id)?;
    if p.role == Role::Supplier {
        let sid = bidder(p)?;
        check_may_bid(&mut c, sid)?;
        return Ok(ts::own_products(&mut c, sid, lot.drug_id)?);
    }
    let f = catalog::ProductFilter {
        drug_id: Some(lot.drug_id),
        ..Default::default()
    };
    let page = crate::domain::paging::PageRequest::new(Some(1), Some(200));
    Ok(catalog::list_products(&mut c, &f, &page)?.items)
}

/// Before a submission's body is read: the principal may bid, the lot is there for it and open
/// for bids now. Nothing is uploaded to a lot that is not.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn ready(cx: &Ctx, p: &Principal, tender_id: Option<i64>, lot_id: i64) -> Result<()> {
    let sid = bidder(p)?;
    check_ready(cx, p, sid, tender_id, lot_id)
}

/// The checks of [`ready`] for supplier `sid`: the lot, its tender and the bidder's kind are read
/// in one statement, since this runs before every bid.
fn check_ready(
    cx: &Ctx,
    p: &Principal,
    sid: i64,
    tender_id: Option<i64>,
    lot_id: i64,
) -> Result<()> {
    let mut c = cx.conn()?;
    let (_, t, kind) = ts::lot_tender_and_bidder(&mut c, lot_id, sid)?;
    if tender_id.is_some_and(|id| id != t.id) || !super::tenders::may_see(p, &t) {
        return Err(Error::NotFound(Code::LotNotFound.into()));
    }
    let agent = kind != crate::domain::catalog::SupplierKind::Manufacturer
        && ts::bidder_facts(&mut c, sid)?.1;
    rules::may_bid(kind, agent).map_err(|r| Error::Forbidden(r.code().into()))?;
    tender::check_bidding_open(t.state(), t.deadline(), cx.clock.now())?;
    Ok(())
}

/// A bid as its supplier enters it.
#[derive(Debug, Clone)]
pub struct SubmitBid {
    pub lot_id: i64,
    pub product_id: i64,
    pub annual_capacity: i64,
    pub price: PriceIn,
    pub documents: Vec<Document>,
    /// The bidder saw the warning that the unit price is above the lot's ceiling and submits
    /// anyway.
    pub confirm_above_max: bool,
}

/// What a submission came to (the product, the price against the ceiling, and the receipt
/// when the bid was sealed).
pub use crate::store::tenders::{PriceIn, SealedPrice, Submitted};

/// Submits (or replaces) the principal's bid on a lot through the bid writer. A unit price
/// above the lot's maximum valid price is sealed only once the bidder confirms it (the bid stays
/// the bidder's choice; it is invalid at the opening). The page's path: the lot is checked
/// first (it must be of `tender_id`), then again by the writer.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = cmd.lot_id))]
pub fn submit(
    cx: &Ctx,
    writer: &BidWriter,
    p: &Principal,
    tender_id: Option<i64>,
    cmd: SubmitBid,
) -> Result<Submitted> {
    check_ready(cx, p, bidder(p)?, tender_id, cmd.lot_id)?;
    let sub = submission(p, cmd)?;
    Ok(writer.submit_blocking(cx.act(p), sub)?)
}

/// The bid API's path, the path of a bid surge: what needs no database is checked here; the
/// lot (there for a supplier, open for bids), the bidder's kind, the product (the lot's drug,
/// the bidder's own) and the price against the ceiling are checked by the bid writer inside its
/// transaction, read once for every submission of its batch. No pooled connection, no blocking
/// thread per bid.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = cmd.lot_id))]
pub async fn submit_queued(
    writer: &BidWriter,
    act: crate::store::Act,
    p: &Principal,
    cmd: SubmitBid,
) -> Result<Submitted> {
    let sub = submission(p, cmd)?;
    Ok(writer.submit(act, sub).await?)
}

/// A bid as the writer takes it, once the checks that need no database pass.
fn submission(p: &Principal, cmd: SubmitBid) -> Result<BidSubmission> {
    let sid = bidder(p)?;
    rules::check_submission(
        cmd.annual_capacity,
        match &cmd.price {
            PriceIn::Clear(m) => Some(*m),
            PriceIn::Sealed(_) => None,
        },
        cmd.documents
            .iter()
            .map(|d| (d.name.as_str(), d.bytes.as_slice())),
    )?;
    Ok(BidSubmission {
        lot_id: cmd.lot_id,
        supplier_id: sid,
        product_id: cmd.product_id,
        annual_capacity: cmd.annual_capacity,
        price: cmd.price,
        documents: cmd.documents,
        confirm_above_max: cmd.confirm_above_max,
    })
}

/// Withdraws the principal's bid on a lot before the deadline; the lot's tender id.
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn withdraw(cx: &Ctx, p: &Principal, tender_id: Option<i64>, lot_id: i64) -> Result<i64> {
    let sid = bidder(p)?;
    let mut c = cx.conn()?;
    let (_, t) = visible_lot(&mut c, p, tender_id, lot_id)?;
    ts::withdraw_bid(&mut c, &cx.act(p), lot_id, sid)?;
    Ok(t.id)
}

/// A bid as its reader may see it: the review's result and reasons once they are the reader's
/// to see, the unit price once the price envelopes are opened.
pub struct OwnBid {
    pub bid: Bid,
    pub state: TenderState,
    pub results: bool,
    pub price: bool,
}

/// A bid for its own supplier (or staff and regulators, who read everything); anyone else:
/// it does not exist.
#[tracing::instrument(skip_all, fields(user = %p.username, bid = id))]
pub fn own_bid(cx: &Ctx, p: &Principal, id: i64) -> Result<OwnBid> {
    let mut c = cx.conn()?;
    let b = ts::bid(&mut c, id)?;
    let own = p.role == Role::Supplier && p.supplier_id == Some(b.supplier_id);
    if !(own || p.reads_everything()) {
        return Err(Error::NotFound(Code::BidNotFound.into()));
    }
    let lot = ts::lot(&mut c, b.lot_id)?;
    let t = ts::tender(&mut c, lot.tender_id)?;
    let state = ts::effective_state(&t, cx.clock.now());
    let (results, price) = rules::own_bid_view(p.reads_everything(), state);
    Ok(OwnBid {
        bid: b,
        state,
        results,
        price,
    })
}

/// An expert's technical score of a qualified bid of a composite-score lot; the bid's tender id.
#[tracing::instrument(skip_all, fields(user = %p.username, bid = bid_id))]
pub fn score(cx: &Ctx, p: &Principal, bid_id: i64, score: i64) -> Result<i64> {
    if p.role != Role::Expert {
        return Err(Error::Forbidden(Code::OnlyExpertsScore.into()));
    }
    let mut c = cx.conn()?;
    ts::set_technical_score(&mut c, &cx.act(p), bid_id, score)?;
    let lot_id = ts::bid(&mut c, bid_id)?.lot_id;
    Ok(ts::lot(&mut c, lot_id)?.tender_id)
}

/// A lot's bids as center staff and experts review them.
pub struct LotBids {
    pub tender: Tender,
    pub lot: Lot,
    pub state: TenderState,
    pub view: LotBidsView,
    pub bids: Vec<BidDetail>,
    /// The lot's result as the commercial opening computed it (ranks, invalid bids).
    pub award: Option<LotAward>,
}

/// A lot's bids for center staff and experts: technical envelopes after the technical opening,
/// prices and ranks after the commercial opening, nothing before (a refusal that says so, never
/// an empty list).
#[tracing::instrument(skip_all, fields(user = %p.username, lot = lot_id))]
pub fn lot_bids(cx: &Ctx, p: &Principal, tender_id: i64, lot_id: i64) -> Result<LotBids> {
    let mut c = cx.conn()?;
    let (lot, tender) = visible_lot(&mut c, p, Some(tender_id), lot_id)?;
    let state = ts::effective_state(&tender, cx.clock.now());
    let view = rules::lot_bids_view(p.role, state).map_err(|r| match r {
        LotBidsRefused::Role => Error::Forbidden(r.code().into()),
        LotBidsRefused::Sealed => Error::Conflict(r.code().into()),
    })?;
    let bids = ts::lot_bid_details(&mut c, lot_id)?;
    let award = match view {
        LotBidsView::Commercial => lot.result(),
        LotBidsView::Technical => None,
    };
    Ok(LotBids {
        tender,
        lot,
        state,
        view,
        bids,
        award,
    })
}

/// A bid's receipt as its reader may see it: the bid (its digests, version, time), its lot,
/// tender, product and drug; the unit price only once the price envelopes are opened.
pub struct BidReceipt {
    pub bid: Bid,
    pub lot: Lot,
    pub tender: Tender,
    pub product: Product,
    pub drug: catalog::Drug,
    pub state: TenderState,
    pub price: bool,
}

/// The receipt of a bid: for its own supplier, and for staff and regulators (who read
/// everything); anyone else: it does not exist.
#[tracing::instrument(skip_all, fields(user = %p.username, bid = id))]
pub fn receipt(cx: &Ctx, p: &Principal, id: i64) -> Result<BidReceipt> {
    let own = own_bid(cx, p, id)?;
    let mut c = cx.conn()?;
    let lot = ts::lot(&mut c, own.bid.lot_id)?;
    let tender = ts::tender(&mut c, lot.tender_id)?;
    let product = catalog::get_product(&mut c, own.bid.product_id)?;
    let drug = catalog::get_drug(&mut c, lot.drug_id)?;
    Ok(BidReceipt {
        bid: own.bid,
        lot,
        tender,
        product,
        drug,
        state: own.state,
        price: own.price,
    })
}

/// A bid under review: its lot's number and policy, the bid with its supplier's and product's
/// names.
pub type UnderReview = (i32, crate::domain::award::PolicyKind, (Bid, String, String));

/// The bids under review of a tender's lots, as (lot number, policy, bid with supplier and
/// product names): for staff, regulators and experts once the technical envelopes are opened
/// (never a price before the commercial opening); None for anyone else, or before.
#[tracing::instrument(skip_all, fields(user = %p.username, tender = tender.id))]
pub fn under_review(
    cx: &Ctx,
    p: &Principal,
    tender: &Tender,
    lots: &[(i64, i32, crate::domain::award::PolicyKind)],
) -> Result<Option<Vec<UnderReview>>> {
    let st = ts::effective_state(tender, cx.clock.now());
    let reviewer = matches!(p.role, Role::Center | Role::Regulator | Role::Expert);
    if !reviewer
        || matches!(
            st,
            TenderState::Draft | TenderState::Open | TenderState::Closed
        )
    {
        return Ok(None);
    }
    let mut c = cx.conn()?;
    let mut out = vec![];
    for (lid, no, policy) in lots {
        for b in ts::lot_bids_for_review(&mut c, *lid)? {
            out.push((*no, *policy, b));
        }
    }
    Ok(Some(out))
}
