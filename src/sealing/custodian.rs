//! The custodian's side, run on the custodian's own machine (`jicai custodian …`): from the
//! tender's custody file (downloaded from the tender's custody page or the API) and the
//! custodian's key file, it makes the dealing, checks the shares received, and makes the
//! contributions to the opening. Nothing here talks to the server: the files are carried.

use std::collections::BTreeMap;

use super::quorum::{self, CheckedDealing, CustodianKey, Dealing, Envelope, Error, Result};

/// What a custodian's own machine needs for a tender (`jicai custodian deal|check|open` reads
/// it): the tender, the quorum, every custodian's public key, which one the reader is, the
/// dealings received, and, once the technical results are published, the envelopes to open.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CustodyFile {
    pub tender_id: i64,
    pub title: String,
    pub state: String,
    pub quorum: i32,
    pub you: i32,
    pub tender_key: String,
    pub custodians: Vec<CustodianPublic>,
    pub dealings: Vec<Dealing>,
    pub envelopes: Vec<EnvelopeToOpen>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CustodianPublic {
    pub idx: i32,
    pub name: String,
    pub public_key: String,
    pub dealt: bool,
    pub contributed: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EnvelopeToOpen {
    pub bid_id: i64,
    pub lot_id: i64,
    pub nonce: String,
    pub ciphertext: String,
    pub digest: String,
}

impl CustodyFile {
    fn my_entry(&self, key: &CustodianKey) -> Result<&CustodianPublic> {
        let me = self
            .custodians
            .iter()
            .find(|c| c.idx == self.you)
            .ok_or(Error::BadKey)?;
        if me.public_key != key.public_hex() {
            return Err(Error::BadKey);
        }
        Ok(me)
    }

    fn checked(&self) -> Result<Vec<(CheckedDealing, Dealing)>> {
        self.dealings
            .iter()
            .map(|d| {
                let c = quorum::check_dealing(
                    self.tender_id,
                    self.quorum as usize,
                    self.custodians.len(),
                    d,
                )?;
                Ok((c, d.clone()))
            })
            .collect()
    }
}

/// This custodian's dealing for the tender (its polynomial made here and forgotten).
pub fn deal(f: &CustodyFile, key: &CustodianKey) -> Result<Dealing> {
    f.my_entry(key)?;
    let recipients = f
        .custodians
        .iter()
        .map(|c| quorum::point_hex(&c.public_key))
        .collect::<Result<Vec<_>>>()?;
    quorum::deal(f.tender_id, f.you as u32, f.quorum as usize, &recipients)
}

/// Checks this custodian's shares from every dealing so far (a bad one names its dealer) and,
/// once every custodian has dealt, that the published tender key is the dealings' key.
pub fn check(f: &CustodyFile, key: &CustodianKey) -> Result<()> {
    share(f, key).map(|mut x| zeroize::Zeroize::zeroize(&mut x))
}

/// This custodian's share of the tender's key, each part checked (see `check`).
fn share(f: &CustodyFile, key: &CustodianKey) -> Result<quorum::Scalar> {
    f.my_entry(key)?;
    let all = f.checked()?;
    let x = quorum::my_share(f.tender_id, f.you as u32, key, &all)?;
    if all.len() == f.custodians.len() {
        let checked: Vec<CheckedDealing> = all.into_iter().map(|(c, _)| c).collect();
        if quorum::hex_point(&quorum::tender_key(&checked)) != f.tender_key {
            return Err(Error::BadDealing);
        }
    }
    Ok(x)
}

/// This custodian's contributions to opening every envelope listed (bid id → hex), and the
/// bids whose envelope is not the one published at the deadline (its digest differs): those
/// get no contribution. The share is formed in memory only.
pub fn contribute(
    f: &CustodyFile,
    key: &CustodianKey,
) -> Result<(BTreeMap<i64, String>, Vec<i64>)> {
    let mut x = share(f, key)?;
    let out = contributions(
        &x,
        f.envelopes.iter().map(|e| {
            (
                e.bid_id,
                e.nonce.as_str(),
                e.ciphertext.as_str(),
                e.digest.as_str(),
            )
        }),
    );
    zeroize::Zeroize::zeroize(&mut x);
    Ok(out)
}

/// The contributions of share `x` to these envelopes (bid id, R‖nonce, ciphertext, digest),
/// each envelope first checked against its digest: those that do not match get none and are
/// returned apart.
pub fn contributions<'a>(
    x: &quorum::Scalar,
    envelopes: impl IntoIterator<Item = (i64, &'a str, &'a str, &'a str)>,
) -> (BTreeMap<i64, String>, Vec<i64>) {
    let mut out = BTreeMap::new();
    let mut skipped = vec![];
    for (bid, nonce, ciphertext, digest) in envelopes {
        match Envelope::price_from_fields(nonce, ciphertext, digest)
            .and_then(|e| e.ephemeral_point())
        {
            Ok(r) => {
                out.insert(bid, quorum::contribute(x, &r));
            }
            Err(_) => skipped.push(bid),
        }
    }
    (out, skipped)
}
