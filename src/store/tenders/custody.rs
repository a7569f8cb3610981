//! Key custody of quorum-sealed tenders: custodians' own keys, their appointment to a tender,
//! their dealings (which form the tender's key), the list of envelope digests fixed at the
//! deadline, and the custodians' contributions to the commercial opening. The server keeps
//! only public values here: nothing in these tables opens an envelope.

use super::*;
use crate::sealing::quorum::{self, CheckedDealing, Contribution, Dealing, Envelope};
use crate::store::schema::{
    custodian_keys, envelope_digests, opening_contributions, tender_custodians, users,
};

/// Custodians a new quorum tender asks for, and how many of them open (3 of 5).
pub const DEFAULT_CUSTODIANS: usize = 5;
pub const DEFAULT_QUORUM: i32 = 3;

/// One custodian of a tender.
#[derive(Debug, Clone, Serialize)]
pub struct Custodian {
    pub idx: i32,
    pub user_id: i64,
    pub name: String,
    pub public_key: String,
    pub dealt_at: Option<NaiveDateTime>,
    pub contributed_at: Option<NaiveDateTime>,
}

/// Registers (or replaces) a user's custodian key.
pub fn register_key(conn: &mut DbConn, act: &Act, user_id: i64, public_key: &str) -> Result<()> {
    quorum::point_hex(public_key)
        .map_err(|_| Invalid::new("public_key", Code::CustodianKeyInvalid))?;
    crate::store::write_tx(conn, |conn| {
        diesel::delete(custodian_keys::table.find(user_id)).execute(conn)?;
        diesel::insert_into(custodian_keys::table)
            .values((
                custodian_keys::user_id.eq(user_id),
                custodian_keys::public_key.eq(public_key.to_ascii_lowercase()),
                custodian_keys::registered_at.eq(act.stamp()),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "register_custodian_key",
            "user",
            user_id,
            None::<&()>,
            Some(&public_key),
        )
    })
}

/// Users with a registered custodian key: (user id, display name, key).
pub fn custodian_candidates(conn: &mut DbConn) -> Result<Vec<(i64, String, String)>> {
    Ok(custodian_keys::table
        .inner_join(users::table)
        .filter(users::active.eq(true))
        .order(users::display_name.asc())
        .select((users::id, users::display_name, custodian_keys::public_key))
        .load(conn)?)
}

/// A tender's custodians, in their order.
pub fn custodians_of(conn: &mut DbConn, tender_id: i64) -> Result<Vec<Custodian>> {
    Ok(tender_custodians::table
        .inner_join(users::table)
        .filter(tender_custodians::tender_id.eq(tender_id))
        .order(tender_custodians::idx.asc())
        .select((
            tender_custodians::idx,
            tender_custodians::user_id,
            users::display_name,
            tender_custodians::public_key,
            tender_custodians::dealt_at,
            tender_custodians::contributed_at,
        ))
        .load::<(
            i32,
            i64,
            String,
            String,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
        )>(conn)?
        .into_iter()
        .map(
            |(idx, user_id, name, public_key, dealt_at, contributed_at)| Custodian {
                idx,
                user_id,
                name,
                public_key,
                dealt_at,
                contributed_at,
            },
        )
        .collect())
}

/// Quorum tenders in which a user is a custodian, with its index: (tender, idx).
pub fn tenders_of_custodian(conn: &mut DbConn, user_id: i64) -> Result<Vec<(Tender, Custodian)>> {
    let ids: Vec<i64> = tender_custodians::table
        .filter(tender_custodians::user_id.eq(user_id))
        .select(tender_custodians::tender_id)
        .load(conn)?;
    let mut out = vec![];
    for id in ids {
        let t = tender(conn, id)?;
        if let Some(c) = custodians_of(conn, id)?
            .into_iter()
            .find(|c| c.user_id == user_id)
        {
            out.push((t, c));
        }
    }
    out.sort_by_key(|(t, _)| std::cmp::Reverse(t.id));
    Ok(out)
}

fn quorum_tender(conn: &mut DbConn, tender_id: i64) -> Result<Tender> {
    let t = tender(conn, tender_id)?;
    if t.sealing() != sealing::Mode::Quorum {
        return Err(StoreError::Conflict(Code::TenderSealsOnServer.into()));
    }
    Ok(t)
}

/// Appoints a draft quorum tender's custodians (replacing any before, and with them every
/// dealing: the key is formed anew) and its quorum k.
pub fn appoint(
    conn: &mut DbConn,
    act: &Act,
    tender_id: i64,
    user_ids: &[i64],
    k: i32,
) -> Result<Vec<Custodian>> {
    let n = user_ids.len();
    if !(2..=quorum::MAX_CUSTODIANS).contains(&n) {
        return Err(Invalid::new(
            "custodians",
            Msg::new(Code::CustodianCount)
                .arg("min", 2)
                .arg("max", quorum::MAX_CUSTODIANS),
        )
        .into());
    }
    if k < 2 || k as usize > n {
        return Err(Invalid::new("quorum", Msg::new(Code::QuorumOutOfRange).arg("n", n)).into());
    }
    let mut seen = std::collections::HashSet::new();
    if !user_ids.iter().all(|u| seen.insert(*u)) {
        return Err(Invalid::new("custodians", Code::CustodianTwice).into());
    }
    crate::store::write_tx(conn, |conn| {
        let t = quorum_tender(conn, tender_id)?;
        if t.state() != TenderState::Draft {
            return Err(StoreError::Conflict(Code::CustodiansFixed.into()));
        }
        let before = custodians_of(conn, tender_id)?;
        let keys: BTreeMap<i64, String> = custodian_keys::table
            .filter(custodian_keys::user_id.eq_any(user_ids))
            .select((custodian_keys::user_id, custodian_keys::public_key))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        diesel::delete(tender_custodians::table.filter(tender_custodians::tender_id.eq(tender_id)))
            .execute(conn)?;
        for (i, u) in user_ids.iter().enumerate() {
            let Some(key) = keys.get(u) else {
                let name: String = users::table
                    .find(u)
                    .select(users::display_name)
                    .first(conn)
                    .optional()?
                    .unwrap_or_else(|| format!("#{u}"));
                return Err(Invalid::new(
                    "custodians",
                    Msg::new(Code::CustodianWithoutKey).arg("name", name),
                )
                .into());
            };
            diesel::insert_into(tender_custodians::table)
                .values((
                    tender_custodians::tender_id.eq(tender_id),
                    tender_custodians::idx.eq(i as i32 + 1),
                    tender_custodians::user_id.eq(u),
                    tender_custodians::public_key.eq(key),
                ))
                .execute(conn)?;
        }
        diesel::update(tenders::table.find(tender_id))
            .set((tenders::quorum.eq(k), tenders::envelope_key.eq("")))
            .execute(conn)?;
        let after = custodians_of(conn, tender_id)?;
        audit::append(
            conn,
            act,
            "appoint_custodians",
            "tender",
            tender_id,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

/// The dealings received so far, each as sent and checked.
pub fn dealings(conn: &mut DbConn, tender_id: i64) -> Result<Vec<(CheckedDealing, Dealing)>> {
    let t = quorum_tender(conn, tender_id)?;
    let cs = custodians_of(conn, tender_id)?;
    let raw: Vec<Option<String>> = tender_custodians::table
        .filter(tender_custodians::tender_id.eq(tender_id))
        .order(tender_custodians::idx.asc())
        .select(tender_custodians::dealing)
        .load(conn)?;
    let mut out = vec![];
    for d in raw.into_iter().flatten() {
        let d: Dealing = serde_json::from_str(&d)
            .map_err(|_| StoreError::Conflict(Code::DealingRefused.into()))?;
        let c = quorum::check_dealing(t.id, t.quorum as usize, cs.len(), &d)
            .map_err(|_| StoreError::Conflict(Code::DealingRefused.into()))?;
        out.push((c, d));
    }
    Ok(out)
}

fn custodian_of(cs: &[Custodian], user_id: i64) -> Result<&Custodian> {
    cs.iter()
        .find(|c| c.user_id == user_id)
        .ok_or_else(|| StoreError::Conflict(Code::NotACustodian.into()))
}

/// Records custodian `user_id`'s dealing for a draft tender (checked: its shape and its proof
/// of knowledge); when every custodian has dealt, the tender's key is formed from the
/// dealings' commitments. Returns how many have dealt and how many there are.
pub fn record_dealing(
    conn: &mut DbConn,
    act: &Act,
    tender_id: i64,
    user_id: i64,
    d: &Dealing,
) -> Result<(usize, usize)> {
    crate::store::write_tx(conn, |conn| {
        let t = quorum_tender(conn, tender_id)?;
        if t.state() != TenderState::Draft {
            return Err(StoreError::Conflict(Code::CustodiansFixed.into()));
        }
        let cs = custodians_of(conn, tender_id)?;
        let me = custodian_of(&cs, user_id)?;
        let refused = || {
            Invalid::new(
                "dealing",
                Msg::new(Code::DealingRefused).arg("name", &me.name),
            )
        };
        if d.dealer != me.idx as u32 {
            return Err(refused().into());
        }
        quorum::check_dealing(t.id, t.quorum as usize, cs.len(), d).map_err(|_| refused())?;
        diesel::update(tender_custodians::table.find((tender_id, me.idx)))
            .set((
                tender_custodians::dealing
                    .eq(Some(serde_json::to_string(d).expect("dealing serializes"))),
                tender_custodians::dealt_at.eq(Some(act.stamp())),
            ))
            .execute(conn)?;
        let all = dealings(conn, tender_id)?;
        let key = if all.len() == cs.len() {
            let checked: Vec<CheckedDealing> = all.into_iter().map(|(c, _)| c).collect();
            quorum::hex_point(&quorum::tender_key(&checked))
        } else {
            String::new()
        };
        diesel::update(tenders::table.find(tender_id))
            .set(tenders::envelope_key.eq(&key))
            .execute(conn)?;
        let dealt = cs
            .iter()
            .filter(|c| c.dealt_at.is_some() || c.idx == me.idx)
            .count();
        audit::append(
            conn,
            act,
            "deal_tender_key",
            "tender",
            tender_id,
            None::<&()>,
            Some(
                &serde_json::json!({"custodian": me.name, "dealt": dealt, "of": cs.len(), "tender_key": key}),
            ),
        )?;
        Ok((dealt, cs.len()))
    })
}

/// Fixes the list of envelope digests of a tender whose bid deadline has passed (once; later
/// calls change nothing). Every active bid counts, by lot and digest.
pub fn publish_digests(conn: &mut DbConn, act: &Act, tender_id: i64) -> Result<bool> {
    crate::store::write_tx(conn, |conn| {
        let t = tender(conn, tender_id)?;
        if t.digests_published_at.is_some()
            || act.at < t.deadline()
            || t.state() == TenderState::Draft
        {
            return Ok(false);
        }
        let rows: Vec<(i64, i64, String)> = bids::table
            .inner_join(lots::table)
            .filter(lots::tender_id.eq(tender_id))
            .filter(bids::status.eq(BidStatus::Active))
            .order(bids::id.asc())
            .select((bids::id, bids::lot_id, bids::commercial_digest))
            .load(conn)?;
        let new: Vec<_> = rows
            .iter()
            .map(|(b, l, d)| {
                (
                    envelope_digests::bid_id.eq(b),
                    envelope_digests::tender_id.eq(tender_id),
                    envelope_digests::lot_id.eq(l),
                    envelope_digests::digest.eq(d),
                )
            })
            .collect();
        for chunk in new.chunks(500) {
            crate::store::insert_many!(conn, envelope_digests::table, chunk)?;
        }
        diesel::update(tenders::table.find(tender_id))
            .set(tenders::digests_published_at.eq(Some(act.stamp())))
            .execute(conn)?;
        // The hash of the whole list goes into the hash-chained audit log: a list altered
        // later no longer matches it (`jicai audit verify` and the opening both see it).
        let list: String = rows.iter().map(|(_, l, d)| format!("{l}:{d}\n")).collect();
        audit::append(
            conn,
            act,
            "publish_envelope_digests",
            "tender",
            tender_id,
            None::<&()>,
            Some(
                &serde_json::json!({"envelopes": rows.len(), "list_sha256": sealing::sha256_hex(list.as_bytes())}),
            ),
        )?;
        Ok(true)
    })
}

/// Tenders whose deadline has passed and whose digests are not yet fixed.
pub fn tenders_awaiting_digests(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<i64>> {
    Ok(tenders::table
        .filter(tenders::digests_published_at.is_null())
        .filter(tenders::bid_deadline.le(micros(now)))
        .filter(tenders::published_at.is_not_null())
        .select(tenders::id)
        .load(conn)?)
}

/// The published list: (lot number, digest), in lot order, or None before the deadline's list.
pub fn digest_list(conn: &mut DbConn, tender_id: i64) -> Result<Option<Vec<(i32, String)>>> {
    let t = tender(conn, tender_id)?;
    if t.digests_published_at.is_none() {
        return Ok(None);
    }
    Ok(Some(
        envelope_digests::table
            .inner_join(lots::table)
            .filter(envelope_digests::tender_id.eq(tender_id))
            .order((lots::lot_no.asc(), envelope_digests::digest.asc()))
            .select((lots::lot_no, envelope_digests::digest))
            .load(conn)?,
    ))
}

/// An envelope a custodian contributes to: the bid, its envelope's fields.
#[derive(Debug, Clone, Serialize)]
pub struct OpeningItem {
    pub bid_id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub nonce: String,
    pub ciphertext: String,
    pub digest: String,
}

/// The envelopes to open: those of active bids that passed the technical review, with the
/// digest published at the deadline (not the live column).
pub fn opening_items(conn: &mut DbConn, tender_id: i64) -> Result<Vec<OpeningItem>> {
    Ok(bids::table
        .inner_join(lots::table)
        .inner_join(envelope_digests::table.on(envelope_digests::bid_id.eq(bids::id)))
        .filter(lots::tender_id.eq(tender_id))
        .filter(bids::status.eq(BidStatus::Active))
        .filter(bids::technical_result.eq(Some(TechnicalResult::Passed)))
        .order(bids::id.asc())
        .select((
            bids::id,
            bids::lot_id,
            bids::supplier_id,
            bids::commercial_nonce,
            bids::commercial_sealed,
            envelope_digests::digest,
        ))
        .load::<(i64, i64, i64, String, String, String)>(conn)?
        .into_iter()
        .map(
            |(bid_id, lot_id, supplier_id, nonce, ciphertext, digest)| OpeningItem {
                bid_id,
                lot_id,
                supplier_id,
                nonce,
                ciphertext,
                digest,
            },
        )
        .collect())
}

/// Records custodian `user_id`'s contributions to a tender's opening (one per envelope to
/// open, each checked against the custodian's public share value: a wrong one is refused and
/// names its custodian). Envelopes that are malformed get no contribution (they are the
/// bidder's fault and make the bid invalid at the opening). Returns (contributed, quorum).
pub fn record_contributions(
    conn: &mut DbConn,
    act: &Act,
    tender_id: i64,
    user_id: i64,
    items: &BTreeMap<i64, String>,
) -> Result<(usize, usize)> {
    crate::store::write_tx(conn, |conn| {
        let t = quorum_tender(conn, tender_id)?;
        if t.state() != TenderState::TechnicalPublished {
            return Err(StoreError::Conflict(Code::ContributionsNotYet.into()));
        }
        let cs = custodians_of(conn, tender_id)?;
        let me = custodian_of(&cs, user_id)?.clone();
        let work = checked_contributions(conn, tender_id, &me, items)?;
        diesel::delete(
            opening_contributions::table
                .filter(opening_contributions::tender_id.eq(tender_id))
                .filter(opening_contributions::idx.eq(me.idx)),
        )
        .execute(conn)?;
        let rows: Vec<_> = work
            .iter()
            .map(|(b, _)| {
                (
                    opening_contributions::tender_id.eq(tender_id),
                    opening_contributions::idx.eq(me.idx),
                    opening_contributions::bid_id.eq(*b),
                    opening_contributions::contribution.eq(&items[b]),
                )
            })
            .collect();
        for chunk in rows.chunks(500) {
            crate::store::insert_many!(conn, opening_contributions::table, chunk)?;
        }
        diesel::update(tender_custodians::table.find((tender_id, me.idx)))
            .set(tender_custodians::contributed_at.eq(Some(act.stamp())))
            .execute(conn)?;
        let have = cs
            .iter()
            .filter(|c| c.contributed_at.is_some() || c.idx == me.idx)
            .count();
        audit::append(
            conn,
            act,
            "contribute_to_opening",
            "tender",
            tender_id,
            None::<&()>,
            Some(
                &serde_json::json!({"custodian": me.name, "envelopes": work.len(), "contributed": have, "quorum": t.quorum}),
            ),
        )?;
        Ok((have, t.quorum as usize))
    })
}

/// The bids a custodian's contributions are for, once every envelope that counts has exactly
/// one and each proves itself against the custodian's public share (batched Chaum–Pedersen).
fn checked_contributions(
    conn: &mut DbConn,
    tender_id: i64,
    me: &Custodian,
    items: &BTreeMap<i64, String>,
) -> Result<Vec<(i64, quorum::RistrettoPoint)>> {
    let refused = || {
        Invalid::new(
            "contributions",
            Msg::new(Code::ContributionRefused).arg("name", &me.name),
        )
    };
    let checked: Vec<CheckedDealing> = dealings(conn, tender_id)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let xj = quorum::share_public(&checked, me.idx as u32);
    let work: Vec<(i64, quorum::RistrettoPoint)> = opening_items(conn, tender_id)?
        .into_iter()
        .filter_map(|i| {
            let e = Envelope::price_from_fields(&i.nonce, &i.ciphertext, &i.digest).ok()?;
            Some((i.bid_id, e.ephemeral_point().ok()?))
        })
        .collect();
    if items.len() != work.len() || work.iter().any(|(b, _)| !items.contains_key(b)) {
        return Err(Invalid::new(
            "contributions",
            Msg::new(Code::ContributionsIncomplete).arg("count", work.len()),
        )
        .into());
    }
    let parsed = work
        .iter()
        .map(|(b, r)| Ok((*r, Contribution::parse(&items[b]).ok_or_else(refused)?)))
        .collect::<std::result::Result<Vec<_>, Invalid>>()?;
    let refs: Vec<(quorum::RistrettoPoint, &Contribution)> =
        parsed.iter().map(|(r, c)| (*r, c)).collect();
    quorum::verify_contributions(&xj, &refs).map_err(|_| refused())?;
    Ok(work)
}

/// For the transition's checks: (dealt, n) while the key is not formed; (contributed, k).
pub fn quorum_progress(
    conn: &mut DbConn,
    t: &Tender,
) -> Result<(Option<(usize, usize)>, Option<(usize, usize)>)> {
    if t.sealing() != sealing::Mode::Quorum {
        return Ok((None, None));
    }
    let cs = custodians_of(conn, t.id)?;
    let key_missing = if t.envelope_key.is_empty() {
        Some((cs.iter().filter(|c| c.dealt_at.is_some()).count(), cs.len()))
    } else {
        None
    };
    let contributed = cs.iter().filter(|c| c.contributed_at.is_some()).count();
    Ok((key_missing, Some((contributed, t.quorum as usize))))
}

/// What the quorum opening found for one envelope.
pub enum Opened {
    Plain(Vec<u8>),
    /// The bidder's fault: the bid is invalid with this reason.
    Invalid(Code),
}

/// Opens every qualified envelope of a tender from the first k custodians' contributions; the
/// shared point of each envelope is formed from k contributions, the key is never assembled.
pub fn open_by_quorum(conn: &mut DbConn, t: &Tender) -> Result<BTreeMap<i64, Opened>> {
    let y = quorum::point_hex(&t.envelope_key)
        .map_err(|_| StoreError::Conflict(Code::TenderWithoutEnvelopeKey.into()))?;
    let (js, by_bid) = quorum_contributions(conn, t)?;
    let lambdas = quorum::lagrange(&js.iter().map(|j| *j as u32).collect::<Vec<_>>());
    let items = opening_items(conn, t.id)?;
    // Each envelope: S = Σ λ_j·D_j, then the cipher; spread over the cores. None: the
    // quorum's contributions to it are not all there (the opening waits).
    let opened = across_cores(&items, &|i: &OpeningItem| {
        open_envelope(t.id, &y, &lambdas, &by_bid, i)
    });
    let mut out = BTreeMap::new();
    for (i, o) in items.iter().zip(opened) {
        let Some(o) = o else {
            tracing::warn!("bid {}: contributions missing at the opening", i.bid_id);
            return Err(StoreError::Conflict(
                Msg::new(Code::OpeningWaitsForCustodians)
                    .arg("have", 0)
                    .arg("need", t.quorum),
            ));
        };
        out.insert(i.bid_id, o);
    }
    Ok(out)
}

/// The quorum that opens: the indices of the first k custodians who contributed, and per bid
/// their contributions' D parts, in the order of those indices (None: not there).
fn quorum_contributions(
    conn: &mut DbConn,
    t: &Tender,
) -> Result<(Vec<i32>, BTreeMap<i64, Vec<Option<String>>>)> {
    let cs = custodians_of(conn, t.id)?;
    let js: Vec<i32> = cs
        .iter()
        .filter(|c| c.contributed_at.is_some())
        .map(|c| c.idx)
        .take(t.quorum as usize)
        .collect();
    // Only D (the first 32 bytes, 64 hex digits) is needed: the proofs were checked when the
    // contributions came.
    let contributions: Vec<(i32, i64, String)> = opening_contributions::table
        .filter(opening_contributions::tender_id.eq(t.id))
        .filter(opening_contributions::idx.eq_any(&js))
        .select((
            opening_contributions::idx,
            opening_contributions::bid_id,
            diesel::dsl::sql::<diesel::sql_types::Text>("substr(contribution, 1, 64)"),
        ))
        .load(conn)?;
    let slot: BTreeMap<i32, usize> = js.iter().enumerate().map(|(k, j)| (*j, k)).collect();
    let mut by_bid: BTreeMap<i64, Vec<Option<String>>> = BTreeMap::new();
    for (j, b, d) in contributions {
        if let Some(k) = slot.get(&j) {
            by_bid.entry(b).or_insert_with(|| vec![None; js.len()])[*k] = Some(d);
        }
    }
    Ok((js, by_bid))
}

/// Opens one envelope from the quorum's contributions to it (weighted by `lambdas`) under the
/// tender's key `y`. None: a contribution to it is missing.
fn open_envelope(
    tender_id: i64,
    y: &quorum::RistrettoPoint,
    lambdas: &[quorum::Scalar],
    by_bid: &BTreeMap<i64, Vec<Option<String>>>,
    i: &OpeningItem,
) -> Option<Opened> {
    // The envelope as stored now must be the one whose digest was published at the deadline.
    let Ok(e) = Envelope::price_from_fields(&i.nonce, &i.ciphertext, &i.digest) else {
        // Every envelope was checked well-formed, with its digest, when it was submitted:
        // one that differs now was changed after the deadline.
        return Some(Opened::Invalid(Code::EnvelopeAlteredAfterDeadline));
    };
    let points = by_bid
        .get(&i.bid_id)?
        .iter()
        .map(|d| d.as_deref().and_then(|d| quorum::point_hex(d).ok()))
        .collect::<Option<Vec<quorum::RistrettoPoint>>>()?;
    let shared = quorum::combine(lambdas, &points);
    let binding = quorum::price_binding(tender_id, i.lot_id, i.supplier_id);
    Some(
        match quorum::open_with_shared(&shared, y, tender_id, &binding, &e) {
            Ok(p) => Opened::Plain(p),
            Err(_) => Opened::Invalid(Code::EnvelopeUnopenable),
        },
    )
}

/// `f` of every item, in order, computed over up to 8 threads.
fn across_cores<T: Sync, R: Send>(items: &[T], f: &(impl Fn(&T) -> R + Sync)) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<_>>()))
            .collect();
        // A worker that panicked (a bug, never input: nothing above indexes or unwraps)
        // passes its panic on, and the opening's transaction rolls back.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// A user's registered custodian key, if any.
pub fn key_of(conn: &mut DbConn, user_id: i64) -> Result<Option<String>> {
    Ok(custodian_keys::table
        .find(user_id)
        .select(custodian_keys::public_key)
        .first(conn)
        .optional()?)
}

/// The custodians of every quorum tender that may wait for one of them (a draft, or technical
/// results published): (tender, custodian).
pub fn custodians_at_work(conn: &mut DbConn) -> Result<Vec<(Tender, Custodian)>> {
    let ids: Vec<i64> = tenders::table
        .filter(tenders::state.eq_any(vec![TenderState::Draft, TenderState::TechnicalPublished]))
        .filter(tenders::sealing.eq(sealing::Mode::Quorum.as_str()))
        .order(tenders::id.asc())
        .select(tenders::id)
        .load(conn)?;
    let mut out = vec![];
    for id in ids {
        let t = tender(conn, id)?;
        for c in custodians_of(conn, id)? {
            out.push((t.clone(), c));
        }
    }
    Ok(out)
}
