//! The bid writer's transaction: the submissions that arrive together are read once (lots,
//! tenders, products, bidders, licences, earlier bids), each is checked and sealed, and all are
//! written, versioned and audited in one transaction.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::domain::bidding::ProductOwner;
use crate::domain::roles::Role;

/// Submits or replaces a supplier's bid on a lot (the last version counts; every version is kept).
pub fn submit_bid(conn: &mut DbConn, act: &Act, s: &BidSubmission) -> Result<Submitted> {
    // Two submissions of one supplier's bid at the same moment: the second to write meets the
    // first's row (a unique key) and is taken again, as a replacement.
    let mut tries = 0;
    loop {
        tries += 1;
        let r = submit_bids(conn, &[(act, s)]).and_then(|mut v| {
            v.pop()
                .unwrap_or_else(|| Err(StoreError::Conflict(Code::BidNotWritten.into())))
        });
        match r {
            Err(StoreError::Conflict(_)) if tries < 3 => continue,
            r => return r,
        }
    }
}

/// A submission ready to be written.
struct Plan {
    idx: usize,
    existing: Option<i64>,
    version: i32,
    tech_json: String,
    tech_digest: String,
    sealed: Sealed,
    product: crate::store::catalog::Product,
    price: Option<rules::PriceCheck>,
}

/// What the batch does with one submission: write it, or answer with the price check.
enum Step {
    Write(Plan),
    Unconfirmed(Submitted),
}

/// A product as a submission needs it: its drug and who may bid with it.
/// What the submissions of a batch need from the database, read once for the whole batch.
struct Batch {
    lot_ids: Vec<i64>,
    supplier_ids: Vec<i64>,
    lots_tenders: HashMap<i64, (Lot, Tender)>,
    products: HashMap<i64, crate::store::catalog::Product>,
    licences: HashMap<i64, Vec<(LicenceKind, String, NaiveDate)>>,
    /// (lot, supplier) → (bid id, version) of the bids already there.
    existing: HashMap<(i64, i64), (i64, i32)>,
    /// supplier → its kind and whether it is some product's national agent.
    bidders: HashMap<i64, (SupplierKind, bool)>,
}

fn sorted_ids(
    items: &[(&Act, &BidSubmission)],
    todo: &[usize],
    f: fn(&BidSubmission) -> i64,
) -> Vec<i64> {
    let mut v: Vec<i64> = todo.iter().map(|i| f(items[*i].1)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Reads the lots, tenders, products, licences and bids of the pending submissions.
fn read_batch(
    conn: &mut DbConn,
    items: &[(&Act, &BidSubmission)],
    todo: &[usize],
) -> Result<Batch> {
    let lot_ids = sorted_ids(items, todo, |s| s.lot_id);
    let product_ids = sorted_ids(items, todo, |s| s.product_id);
    let supplier_ids = sorted_ids(items, todo, |s| s.supplier_id);
    let lots_tenders = lots::table
        .inner_join(tenders::table)
        .filter(lots::id.eq_any(&lot_ids))
        .select((Lot::as_select(), Tender::as_select()))
        .load::<(Lot, Tender)>(conn)?
        .into_iter()
        .map(|(l, t)| (l.id, (l, t)))
        .collect();
    let products = crate::store::catalog::products_by_ids(conn, &product_ids)?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut licences: HashMap<i64, Vec<(LicenceKind, String, NaiveDate)>> = HashMap::new();
    for (sid, kind, number, exp) in licences::table
        .filter(licences::supplier_id.eq_any(&supplier_ids))
        .order((licences::supplier_id.asc(), licences::id.asc()))
        .select((
            licences::supplier_id,
            licences::kind,
            licences::number,
            licences::expires_on,
        ))
        .load::<(i64, LicenceKind, String, NaiveDate)>(conn)?
    {
        licences.entry(sid).or_default().push((kind, number, exp));
    }
    let existing = bids::table
        .filter(bids::lot_id.eq_any(&lot_ids))
        .filter(bids::supplier_id.eq_any(&supplier_ids))
        .select((bids::id, bids::lot_id, bids::supplier_id, bids::version))
        .load::<(i64, i64, i64, i32)>(conn)?
        .into_iter()
        .map(|(id, l, s, v)| ((l, s), (id, v)))
        .collect();
    let bidders = bidders_facts(conn, &supplier_ids)?;
    Ok(Batch {
        bidders,
        lot_ids,
        supplier_ids,
        lots_tenders,
        products,
        licences,
        existing,
    })
}

/// The kind of each supplier of a batch, and whether it is a national agent (asked only of
/// distribution enterprises: a manufacturer bids anyway).
fn bidders_facts(
    conn: &mut DbConn,
    supplier_ids: &[i64],
) -> Result<HashMap<i64, (SupplierKind, bool)>> {
    let kinds: Vec<(i64, SupplierKind)> = suppliers::table
        .filter(suppliers::id.eq_any(supplier_ids))
        .select((suppliers::id, suppliers::kind))
        .load(conn)?;
    let distributors: Vec<i64> = kinds
        .iter()
        .filter(|(_, k)| *k != SupplierKind::Manufacturer)
        .map(|(id, _)| *id)
        .collect();
    let agents: HashSet<i64> = if distributors.is_empty() {
        HashSet::new()
    } else {
        products::table
            .filter(products::national_agent_id.eq_any(&distributors))
            .select(products::national_agent_id)
            .load::<Option<i64>>(conn)?
            .into_iter()
            .flatten()
            .collect()
    };
    Ok(kinds
        .into_iter()
        .map(|(id, k)| (id, (k, agents.contains(&id))))
        .collect())
}

/// The technical envelope of a submission (product, capacity, the supplier's licences, the
/// documents' digests) as sealed JSON and its SHA-256.
fn technical_envelope(
    s: &BidSubmission,
    licences: Vec<(LicenceKind, String, NaiveDate)>,
) -> (String, String) {
    let tech = TechnicalEnvelope {
        lot_id: s.lot_id,
        supplier_id: s.supplier_id,
        product_id: s.product_id,
        annual_capacity: s.annual_capacity,
        licences,
        documents: s
            .documents
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    sealing::sha256_hex(&d.bytes),
                    d.bytes.len(),
                )
            })
            .collect(),
    };
    let json = serde_json::to_string(&tech).expect("envelope serializes");
    let digest = sealing::sha256_hex(json.as_bytes());
    (json, digest)
}

/// Checks one submission against what the batch read (the lot open, the product the lot's drug
/// and the bidder's own, one submission per bid in the batch) and seals its envelopes.
fn plan(
    b: &Batch,
    seen: &mut HashSet<(i64, i64)>,
    idx: usize,
    act: &Act,
    s: &BidSubmission,
) -> Result<Step> {
    // The lot as a supplier sees it (a draft tender's lots do not exist for it), a bidder that
    // may bid at all, the lot open for bids now: the checks of `app::bids` before a bid is
    // queued, made here in the batch so that a bid costs no read of its own.
    let (lot, t) = b
        .lots_tenders
        .get(&s.lot_id)
        .filter(|(_, t)| tender::tender_visible_to(Role::Supplier, t.published_at.is_some()))
        .ok_or_else(|| StoreError::NotFound(Code::LotNotFound.into()))?;
    let (kind, agent) = b
        .bidders
        .get(&s.supplier_id)
        .copied()
        .ok_or_else(|| StoreError::NotFound(Code::SupplierNotFound.into()))?;
    rules::may_bid(kind, agent).map_err(|r| StoreError::Refused(r.code().into()))?;
    tender::check_bidding_open(t.state(), t.deadline(), act.at)?;
    let p = b
        .products
        .get(&s.product_id)
        .ok_or_else(|| Invalid::new("product_id", Code::RecordNotFound))?;
    let owner = ProductOwner {
        manufacturer_id: p.manufacturer_id,
        national_agent_id: p.national_agent_id,
    };
    rules::check_product(s.supplier_id, lot.drug_id, p.drug_id, owner)?;
    let quorum = t.sealing() == sealing::Mode::Quorum;
    let price = match (&s.price, quorum) {
        (PriceIn::Clear(m), false) => Some(
            rules::PriceCheck::new(*m, p.units_per_package, lot.max_price())
                .ok_or_else(|| Invalid::new("product_id", Code::RecordNotFound))?,
        ),
        (PriceIn::Sealed(_), true) => None,
        (PriceIn::Clear(_), true) => {
            return Err(Invalid::new("package_price", Code::PriceMustBeSealed).into())
        }
        (PriceIn::Sealed(_), false) => {
            return Err(Invalid::new("commercial_envelope", Code::TenderSealsOnServer).into())
        }
    };
    if price.as_ref().is_some_and(|c| c.above_max()) && !s.confirm_above_max {
        return Ok(Step::Unconfirmed(Submitted {
            product: p.clone(),
            price,
            receipt: None,
        }));
    }
    if !seen.insert((s.lot_id, s.supplier_id)) {
        return Err(StoreError::Conflict(Code::BidSubmittedTwice.into()));
    }
    let prior = b.existing.get(&(s.lot_id, s.supplier_id));
    let version = prior.map(|p| p.1 + 1).unwrap_or(1);
    let licences = b.licences.get(&s.supplier_id).cloned().unwrap_or_default();
    let (tech_json, tech_digest) = technical_envelope(s, licences);
    let sealed = seal_price(t, s, version)?;
    Ok(Step::Write(Plan {
        idx,
        existing: prior.map(|p| p.0),
        version,
        tech_json,
        tech_digest,
        sealed,
        product: p.clone(),
        price,
    }))
}

/// The commercial envelope of a submission: sealed here to the tender's key when the price came
/// in clear (a server-sealed tender), or the bidder's own envelope, checked for its form and
/// digest (whether it opens is known only at the opening, and is the bidder's affair).
fn seal_price(t: &Tender, s: &BidSubmission, version: i32) -> Result<Sealed> {
    Ok(match &s.price {
        PriceIn::Clear(m) => {
            let plain = serde_json::to_vec(&CommercialEnvelope {
                package_price: m.to_string(),
                salt: sealing::new_salt(),
            })
            .expect("envelope serializes");
            sealing::seal(
                &t.envelope_key,
                t.id,
                &binding(t.id, s.lot_id, s.supplier_id, version),
                &plain,
            )?
        }
        PriceIn::Sealed(e) => {
            // Checked here (its form, its digest); whether it opens is known only at the
            // opening, and is the bidder's affair.
            sealing::quorum::Envelope::price_from_fields(&e.nonce, &e.ciphertext, &e.digest)
                .map_err(|err| {
                    Invalid::new(
                        "commercial_envelope",
                        match err {
                            sealing::quorum::Error::DigestMismatch => Code::EnvelopeDigestMismatch,
                            _ => Code::EnvelopeMalformed,
                        },
                    )
                })?;
            Sealed {
                nonce: e.nonce.to_ascii_lowercase(),
                ciphertext: e.ciphertext.to_ascii_lowercase(),
                digest: e.digest.to_ascii_lowercase(),
            }
        }
    })
}

/// Moves the counter of final submissions (the last tie-break) once for the batch; the first
/// of the `n` numbers it hands out.
fn take_submission_seqs(conn: &mut DbConn, n: usize) -> Result<i64> {
    let n = n as i64;
    let last: i64 = diesel::update(counters::table.find("bid_submission"))
        .set(counters::value.eq(counters::value + n))
        .returning(counters::value)
        .get_result(conn)?;
    Ok(last - n + 1)
}

/// Writes the bids of the plans: new ones in one statement, replaced ones one each. Returns
/// the id of each plan's bid, in the plans' order.
fn write_bids(
    conn: &mut DbConn,
    items: &[(&Act, &BidSubmission)],
    b: &Batch,
    plans: &[Plan],
    first_seq: i64,
) -> Result<Vec<i64>> {
    let seq_of = |k: usize| first_seq + k as i64;
    let new_rows: Vec<_> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| p.existing.is_none())
        .map(|(k, p)| {
            let (act, s) = &items[p.idx];
            (
                bids::lot_id.eq(s.lot_id),
                bids::supplier_id.eq(s.supplier_id),
                bids::status.eq(BidStatus::Active),
                bids::version.eq(p.version),
                bids::submission_seq.eq(seq_of(k)),
                bids::product_id.eq(s.product_id),
                bids::annual_capacity.eq(s.annual_capacity),
                bids::technical_json.eq(&p.tech_json),
                bids::technical_digest.eq(&p.tech_digest),
                bids::commercial_digest.eq(&p.sealed.digest),
                bids::commercial_nonce.eq(&p.sealed.nonce),
                bids::commercial_sealed.eq(&p.sealed.ciphertext),
                bids::submitted_at.eq(act.stamp()),
            )
        })
        .collect();
    let mut ids: HashMap<(i64, i64), i64> = HashMap::new();
    if !new_rows.is_empty() {
        crate::store::insert_many!(conn, bids::table, &new_rows)?;
        ids = bids::table
            .filter(bids::lot_id.eq_any(&b.lot_ids))
            .filter(bids::supplier_id.eq_any(&b.supplier_ids))
            .select((bids::id, bids::lot_id, bids::supplier_id))
            .load::<(i64, i64, i64)>(conn)?
            .into_iter()
            .map(|(id, l, s)| ((l, s), id))
            .collect();
    }
    for (k, p) in plans.iter().enumerate() {
        let Some(id) = p.existing else { continue };
        let (act, s) = &items[p.idx];
        diesel::update(bids::table.find(id))
            .set((
                bids::status.eq(BidStatus::Active),
                bids::version.eq(p.version),
                bids::submission_seq.eq(seq_of(k)),
                bids::product_id.eq(s.product_id),
                bids::annual_capacity.eq(s.annual_capacity),
                bids::technical_json.eq(&p.tech_json),
                bids::technical_digest.eq(&p.tech_digest),
                bids::commercial_digest.eq(&p.sealed.digest),
                bids::commercial_nonce.eq(&p.sealed.nonce),
                bids::commercial_sealed.eq(&p.sealed.ciphertext),
                bids::submitted_at.eq(act.stamp()),
            ))
            .execute(conn)?;
    }
    plans
        .iter()
        .map(|p| {
            let s = &items[p.idx].1;
            p.existing
                .or_else(|| ids.get(&(s.lot_id, s.supplier_id)).copied())
                .ok_or_else(|| StoreError::Conflict(Code::NewBidNotFound.into()))
        })
        .collect()
}

/// Keeps every version (one statement) and its documents (another); returns the receipts.
fn write_versions(
    conn: &mut DbConn,
    items: &[(&Act, &BidSubmission)],
    plans: &[Plan],
    ids: &[i64],
) -> Result<Vec<Receipt>> {
    let mut version_rows = Vec::with_capacity(plans.len());
    let mut doc_rows = vec![];
    let mut receipts = Vec::with_capacity(plans.len());
    for (p, &id) in plans.iter().zip(ids) {
        let (act, s) = &items[p.idx];
        let action = if p.existing.is_some() {
            "replace"
        } else {
            "submit"
        };
        version_rows.push((
            bid_versions::bid_id.eq(id),
            bid_versions::version.eq(p.version),
            bid_versions::action.eq(action),
            bid_versions::at.eq(act.stamp()),
            bid_versions::product_id.eq(s.product_id),
            bid_versions::annual_capacity.eq(s.annual_capacity),
            bid_versions::technical_json.eq(&p.tech_json),
            bid_versions::technical_digest.eq(&p.tech_digest),
            bid_versions::commercial_digest.eq(&p.sealed.digest),
            bid_versions::commercial_nonce.eq(&p.sealed.nonce),
            bid_versions::commercial_sealed.eq(&p.sealed.ciphertext),
        ));
        for d in &s.documents {
            doc_rows.push((
                bid_documents::bid_id.eq(id),
                bid_documents::version.eq(p.version),
                bid_documents::name.eq(&d.name),
                bid_documents::sha256.eq(sealing::sha256_hex(&d.bytes)),
                bid_documents::size.eq(d.bytes.len() as i64),
                bid_documents::content.eq(&d.bytes),
            ));
        }
        receipts.push(Receipt {
            bid_id: id,
            lot_id: s.lot_id,
            version: p.version,
            submitted_at: act.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            technical_digest: p.tech_digest.clone(),
            commercial_digest: p.sealed.digest.clone(),
        });
    }
    crate::store::insert_many!(conn, bid_versions::table, &version_rows)?;
    if !doc_rows.is_empty() {
        crate::store::insert_many!(conn, bid_documents::table, &doc_rows)?;
    }
    Ok(receipts)
}

/// The audit records name the envelopes by digest only: no price in the clear.
fn audit_receipts(
    conn: &mut DbConn,
    items: &[(&Act, &BidSubmission)],
    plans: &[Plan],
    receipts: &[Receipt],
) -> Result<()> {
    let rows: Vec<audit::Pending> = plans
        .iter()
        .zip(receipts)
        .map(|(p, r)| audit::Pending {
            act: items[p.idx].0,
            action: if p.version == 1 { "submit" } else { "replace" },
            entity: "bid",
            entity_id: r.bid_id.to_string(),
            after: serde_json::to_string(r).expect("receipt serializes"),
        })
        .collect();
    audit::append_many(conn, &rows)
}

/// Writes many submissions in one transaction, with a handful of statements for the whole
/// batch (the bid writer's path under load; a single submission is a batch of one). Each
/// submission gets its own result: one refused for its own reason (deadline, product, …) is not
/// written and does not stop the others. The outer error means nothing was written (for
/// example a concurrent writer took the same bid first: [`StoreError::Conflict`]).
pub fn submit_bids(
    conn: &mut DbConn,
    items: &[(&Act, &BidSubmission)],
) -> Result<Vec<Result<Submitted>>> {
    crate::store::write_tx(conn, |conn| {
        let mut out: Vec<Option<Result<Submitted>>> = items
            .iter()
            .map(|(_, s)| check_submission(s).err().map(Err))
            .collect();
        let todo: Vec<usize> = (0..items.len()).filter(|i| out[*i].is_none()).collect();
        if !todo.is_empty() {
            let batch = read_batch(conn, items, &todo)?;
            let mut seen = HashSet::new();
            let mut plans = vec![];
            for i in todo {
                let (act, s) = items[i];
                match plan(&batch, &mut seen, i, act, s) {
                    Ok(Step::Write(p)) => plans.push(p),
                    Ok(Step::Unconfirmed(u)) => out[i] = Some(Ok(u)),
                    Err(e) => out[i] = Some(Err(e)),
                }
            }
            if !plans.is_empty() {
                let first_seq = take_submission_seqs(conn, plans.len())?;
                let ids = write_bids(conn, items, &batch, &plans, first_seq)?;
                let receipts = write_versions(conn, items, &plans, &ids)?;
                audit_receipts(conn, items, &plans, &receipts)?;
                for (p, r) in plans.into_iter().zip(receipts) {
                    out[p.idx] = Some(Ok(Submitted {
                        product: p.product,
                        price: p.price,
                        receipt: Some(r),
                    }));
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|r| r.expect("every item has a result"))
            .collect())
    })
}
