//! Bids: sealed submissions (one by one or together), withdrawals, scores and reads.

use super::*;

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
    pub package_price: Money,
    pub documents: Vec<Document>,
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

/// The checks of a submission that need no database.
fn check_submission(s: &BidSubmission) -> Result<()> {
    bounds::in_range("annual_capacity", s.annual_capacity, bounds::CAPACITY)?;
    if s.package_price.decimal() <= Decimal::ZERO {
        return Err(Invalid::new("package_price", Code::NotPositive).into());
    }
    Money::entered("package_price", s.package_price.decimal())?;
    tender::check_documents(s.documents.iter().map(|d| (d.name.as_str(), d.bytes.len())))?;
    for d in &s.documents {
        if !d.bytes.starts_with(b"%PDF") {
            return Err(Invalid::new(
                "documents",
                Msg::new(Code::DocumentNotPdf).arg("name", &d.name),
            )
            .into());
        }
    }
    Ok(())
}

/// Submits or replaces a supplier's bid on a lot (the last version counts; every version is kept).
pub fn submit_bid(conn: &mut DbConn, act: &Act, s: &BidSubmission) -> Result<Receipt> {
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
}

/// Writes many submissions in one transaction, with a handful of statements for the whole
/// batch (the bid writer's path under load; a single submission is a batch of one). Each
/// submission gets its own result: one refused for its own reason (deadline, product, …) is not
/// written and does not stop the others. The outer error means nothing was written (for
/// example a concurrent writer took the same bid first: [`StoreError::Conflict`]).
pub fn submit_bids(
    conn: &mut DbConn,
    items: &[(&Act, &BidSubmission)],
) -> Result<Vec<Result<Receipt>>> {
    use std::collections::{HashMap, HashSet};
    crate::store::write_tx(conn, |conn| {
        let mut out: Vec<Option<Result<Receipt>>> = items
            .iter()
            .map(|(_, s)| check_submission(s).err().map(Err))
            .collect();
        let pending = |out: &Vec<Option<Result<Receipt>>>| -> Vec<usize> {
            (0..items.len()).filter(|i| out[*i].is_none()).collect()
        };
        let todo = pending(&out);
        let mut lot_ids: Vec<i64> = todo.iter().map(|i| items[*i].1.lot_id).collect();
        let mut product_ids: Vec<i64> = todo.iter().map(|i| items[*i].1.product_id).collect();
        let mut supplier_ids: Vec<i64> = todo.iter().map(|i| items[*i].1.supplier_id).collect();
        for v in [&mut lot_ids, &mut product_ids, &mut supplier_ids] {
            v.sort_unstable();
            v.dedup();
        }
        if todo.is_empty() {
            return Ok(out
                .into_iter()
                .map(|r| r.expect("every item has a result"))
                .collect());
        }
        let lots_tenders: HashMap<i64, (Lot, Tender)> = lots::table
            .inner_join(tenders::table)
            .filter(lots::id.eq_any(&lot_ids))
            .select((Lot::as_select(), Tender::as_select()))
            .load::<(Lot, Tender)>(conn)?
            .into_iter()
            .map(|(l, t)| (l.id, (l, t)))
            .collect();
        let prods: HashMap<i64, i64> = products::table
            .filter(products::id.eq_any(&product_ids))
            .select((products::id, products::drug_id))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect();
        let mut lic: HashMap<i64, Vec<(LicenceKind, String, NaiveDate)>> = HashMap::new();
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
            lic.entry(sid).or_default().push((kind, number, exp));
        }
        let existing: HashMap<(i64, i64), (i64, i32)> = bids::table
            .filter(bids::lot_id.eq_any(&lot_ids))
            .filter(bids::supplier_id.eq_any(&supplier_ids))
            .select((bids::id, bids::lot_id, bids::supplier_id, bids::version))
            .load::<(i64, i64, i64, i32)>(conn)?
            .into_iter()
            .map(|(id, l, s, v)| ((l, s), (id, v)))
            .collect();
        let mut seen: HashSet<(i64, i64)> = HashSet::new();
        let mut plans: Vec<Plan> = vec![];
        for i in todo {
            let (act, s) = &items[i];
            let planned = (|| -> Result<Plan> {
                let (lot, t) = lots_tenders
                    .get(&s.lot_id)
                    .ok_or_else(|| StoreError::NotFound(Code::LotNotFound.into()))?;
                tender::check_bidding_open(t.state(), t.deadline(), act.at)?;
                let drug = prods
                    .get(&s.product_id)
                    .ok_or_else(|| Invalid::new("product", Code::RecordNotFound))?;
                if *drug != lot.drug_id {
                    return Err(Invalid::new("product", Code::ProductNotOfLotDrug).into());
                }
                if !seen.insert((s.lot_id, s.supplier_id)) {
                    return Err(StoreError::Conflict(Code::BidSubmittedTwice.into()));
                }
                let prior = existing.get(&(s.lot_id, s.supplier_id));
                let version = prior.map(|p| p.1 + 1).unwrap_or(1);
                let docs: Vec<(&str, String, usize)> = s
                    .documents
                    .iter()
                    .map(|d| {
                        (
                            d.name.as_str(),
                            sealing::sha256_hex(&d.bytes),
                            d.bytes.len(),
                        )
                    })
                    .collect();
                let tech = TechnicalEnvelope {
                    lot_id: s.lot_id,
                    supplier_id: s.supplier_id,
                    product_id: s.product_id,
                    annual_capacity: s.annual_capacity,
                    licences: lic.get(&s.supplier_id).cloned().unwrap_or_default(),
                    documents: docs,
                };
                let tech_json = serde_json::to_string(&tech).expect("envelope serializes");
                let tech_digest = sealing::sha256_hex(tech_json.as_bytes());
                let plain = serde_json::to_vec(&CommercialEnvelope {
                    package_price: s.package_price.to_string(),
                    salt: sealing::new_salt(),
                })
                .expect("envelope serializes");
                let sealed = sealing::seal(
                    &t.envelope_key,
                    t.id,
                    &binding(t.id, s.lot_id, s.supplier_id, version),
                    &plain,
                )?;
                Ok(Plan {
                    idx: i,
                    existing: prior.map(|p| p.0),
                    version,
                    tech_json,
                    tech_digest,
                    sealed,
                })
            })();
            match planned {
                Ok(p) => plans.push(p),
                Err(e) => out[i] = Some(Err(e)),
            }
        }
        if plans.is_empty() {
            return Ok(out
                .into_iter()
                .map(|r| r.expect("every item has a result"))
                .collect());
        }
        // The order of final submissions (the last tie-break): one counter, moved once per batch.
        let n = plans.len() as i64;
        let last: i64 = diesel::update(counters::table.find("bid_submission"))
            .set(counters::value.eq(counters::value + n))
            .returning(counters::value)
            .get_result(conn)?;
        let seq_of = |k: usize| last - n + 1 + k as i64;
        // New bids in one statement, then their ids.
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
                .filter(bids::lot_id.eq_any(&lot_ids))
                .filter(bids::supplier_id.eq_any(&supplier_ids))
                .select((bids::id, bids::lot_id, bids::supplier_id))
                .load::<(i64, i64, i64)>(conn)?
                .into_iter()
                .map(|(id, l, s)| ((l, s), id))
                .collect();
        }
        // Replaced bids, one statement each.
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
        let bid_id = |p: &Plan| -> Result<i64> {
            let s = &items[p.idx].1;
            p.existing
                .or_else(|| ids.get(&(s.lot_id, s.supplier_id)).copied())
                .ok_or_else(|| StoreError::Conflict(Code::NewBidNotFound.into()))
        };
        // Every version, in one statement; their documents in another.
        let mut version_rows = Vec::with_capacity(plans.len());
        let mut doc_rows = vec![];
        let mut receipts = Vec::with_capacity(plans.len());
        for p in &plans {
            let (act, s) = &items[p.idx];
            let id = bid_id(p)?;
            version_rows.push((
                bid_versions::bid_id.eq(id),
                bid_versions::version.eq(p.version),
                bid_versions::action.eq(if p.existing.is_some() {
                    "replace"
                } else {
                    "submit"
                }),
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
        // The audit records name the envelopes by digest only: no price in the clear.
        let audit_rows: Vec<audit::Pending> = plans
            .iter()
            .zip(&receipts)
            .map(|(p, r)| audit::Pending {
                act: items[p.idx].0,
                action: if p.version == 1 { "submit" } else { "replace" },
                entity: "bid",
                entity_id: r.bid_id.to_string(),
                after: serde_json::to_string(r).expect("receipt serializes"),
            })
            .collect();
        audit::append_many(conn, &audit_rows)?;
        for (p, r) in plans.iter().zip(receipts) {
            out[p.idx] = Some(Ok(r));
        }
        Ok(out
            .into_iter()
            .map(|r| r.expect("every item has a result"))
            .collect())
    })
}

/// Withdraws a bid before the deadline (kept as a version; no longer counts).
pub fn withdraw_bid(conn: &mut DbConn, act: &Act, lot_id: i64, supplier_id: i64) -> Result<()> {
    crate::store::write_tx(conn, |conn| {
        let lot = lot(conn, lot_id)?;
        let t = tender(conn, lot.tender_id)?;
        tender::check_bidding_open(t.state(), t.deadline(), act.at)?;
        let b = bid_of(conn, lot_id, supplier_id)?
            .filter(|b| b.status == BidStatus::Active)
            .ok_or_else(|| Invalid::new("bid", Code::NoActiveBidToWithdraw))?;
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
    bounds::in_range("technical_score", score, bounds::SCORE)?;
    crate::store::write_tx(conn, |conn| {
        let b = bid(conn, bid_id)?;
        let l = lot(conn, b.lot_id)?;
        let t = tender(conn, l.tender_id)?;
        if t.state() != TenderState::TechnicalOpened {
            return Err(Invalid::new("state", Code::ScoresNotOpen).into());
        }
        if l.policy != PolicyKind::CompositeScore {
            return Err(Invalid::new("technical_score", Code::LotNotCompositeScore).into());
        }
        if b.technical_result != Some(TechnicalResult::Passed) {
            return Err(Invalid::new("technical_score", Code::OnlyQualifiedBidsScored).into());
        }
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
