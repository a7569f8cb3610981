//! Sealed price envelopes. Each tender has an X25519 key pair whose secret half is derived
//! (HKDF-SHA256) from a master secret kept outside the database; only the public half is stored.
//! A bid is sealed to the public half (an ephemeral X25519 agreement, then ChaCha20-Poly1305
//! bound to the lot, supplier and version), so sealing needs no secret at all; the secret half
//! is derived only by the commercial opening. A copy of the database alone reveals no price.
//! The envelope's plaintext carries a random salt, so its published digest cannot be matched
//! against guessed prices.

pub mod custodian;
pub mod quorum;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::{Digest, Sha256};
use x25519_dalek::{EphemeralSecret, PublicKey, StaticSecret};

use crate::domain::{Code, Invalid, Msg};

/// How a tender's price envelopes are sealed (a closed set of the domain's).
pub use crate::domain::custody::Sealing as Mode;

/// The master secret (32 bytes) of server-sealed tenders, and how new tenders seal.
#[derive(Clone)]
pub struct MasterKey([u8; 32], Mode);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    pub fn from_bytes(b: [u8; 32]) -> Self {
        MasterKey(b, Mode::Server)
    }

    /// Reads the hex key file, or creates it (0600) with a random key when it does not exist;
    /// only for a database that holds no sealed bid (see `for_database`).
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, String> {
        Self::from_vec(crate::keyfile::read_or_create(path, 32)?, path)
    }

    fn from_vec(key: Vec<u8>, path: &std::path::Path) -> Result<Self, String> {
        let arr: [u8; 32] = key.try_into().map_err(|_| {
            format!(
                "{}: the master key must be 32 bytes (64 hex digits)",
                path.display()
            )
        })?;
        Ok(MasterKey(arr, Mode::Server))
    }

    /// The master key of a database whose tenders still hold these sealed envelopes: read from
    /// the file and checked against each tender's public key (the fingerprint of the key that
    /// sealed its bids). A missing file is created only when no envelope waits for it; a
    /// missing or different key is refused, saying what to restore, since a new key could
    /// never open those envelopes.
    pub fn for_database(path: &std::path::Path, sealed: &[SealedTender]) -> Result<Self, String> {
        let first = |what: &str, t: &SealedTender| {
            let more = match sealed.len() {
                1 => String::new(),
                n => format!(" and {} more tenders", n - 1),
            };
            format!(
                "{} {what}, but tender {} \"{}\"{more} holds sealed bids that only the key \
                 that sealed them can open: restore this file from the backup of the key \
                 (a new key would make their commercial opening fail for ever)",
                path.display(),
                t.id,
                t.title
            )
        };
        let key = match crate::keyfile::read(path, 32)? {
            crate::keyfile::KeyFile::Found(key, warning) => {
                if let Some(w) = warning {
                    tracing::warn!("{w}");
                }
                Self::from_vec(key, path)?
            }
            crate::keyfile::KeyFile::Missing => match sealed.first() {
                Some(t) => return Err(first("is missing", t)),
                None => Self::from_vec(crate::keyfile::create(path, 32)?, path)?,
            },
        };
        if let Some(t) = sealed
            .iter()
            .find(|t| key.tender_public_key(t.id, &t.key_salt) != t.envelope_key)
        {
            return Err(first("is not the key that sealed the bids", t));
        }
        Ok(key)
    }

    /// The secret half of one tender's envelope key: derived only by the commercial opening
    /// (and once, when the tender is created, to publish the public half).
    fn tender_secret(&self, tender_id: i64, salt: &str) -> StaticSecret {
        let hk = Hkdf::<Sha256>::new(Some(salt.as_bytes()), &self.0);
        let mut okm = [0u8; 32];
        hk.expand(
            format!("jicai tender envelope key v2 tender {tender_id}").as_bytes(),
            &mut okm,
        )
        .expect("32 bytes is a valid HKDF output length");
        StaticSecret::from(okm)
    }

    /// The same key, with new tenders sealed as `mode` says.
    pub fn sealing(mut self, mode: Mode) -> Self {
        self.1 = mode;
        self
    }

    /// How new tenders seal their envelopes.
    pub fn new_tenders(&self) -> Mode {
        self.1
    }

    /// The public half of a tender's envelope key (hex), stored with the tender.
    pub fn tender_public_key(&self, tender_id: i64, salt: &str) -> String {
        hex::encode(PublicKey::from(&self.tender_secret(tender_id, salt)).as_bytes())
    }
}

/// A tender whose bids are sealed and not yet opened, with its public key.
#[derive(Debug, Clone)]
pub struct SealedTender {
    pub id: i64,
    pub title: String,
    pub key_salt: String,
    pub envelope_key: String,
}

pub fn new_salt() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A sealed envelope: the ephemeral public key and nonce (hex, 64 + 24 digits), the
/// ciphertext (hex) and the digest of the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: String,
    pub ciphertext: String,
    pub digest: String,
}

/// The symmetric key of one envelope, from the agreed secret and both public keys.
fn envelope_key(
    shared: &[u8; 32],
    ephemeral: &PublicKey,
    tender: &PublicKey,
    tender_id: i64,
) -> Key {
    let mut salt = Vec::with_capacity(64);
    salt.extend_from_slice(ephemeral.as_bytes());
    salt.extend_from_slice(tender.as_bytes());
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared);
    let mut okm = [0u8; 32];
    hk.expand(
        format!("jicai commercial envelope v2 tender {tender_id}").as_bytes(),
        &mut okm,
    )
    .expect("32 bytes is a valid HKDF output length");
    Key::from(okm)
}

fn public_key(hex_key: &str) -> Option<PublicKey> {
    let b: [u8; 32] = hex::decode(hex_key).ok()?.try_into().ok()?;
    Some(PublicKey::from(b))
}

/// Every envelope's plaintext is padded (with spaces: it is JSON) to this many bytes, so that
/// the length of a sealed envelope says nothing about the price inside.
pub const ENVELOPE_LEN: usize = 256;

/// Seals `plaintext` (JSON of at most `ENVELOPE_LEN` bytes) to the tender's public key, padded
/// to `ENVELOPE_LEN`, bound (as associated data) to `binding`, e.g. the lot, supplier and
/// version. Needs no secret.
pub fn seal(
    tender_public_key: &str,
    tender_id: i64,
    binding: &str,
    plaintext: &[u8],
) -> Result<Sealed, Invalid> {
    if plaintext.len() > ENVELOPE_LEN {
        return Err(Invalid::new(
            "commercial_envelope",
            Msg::new(Code::EnvelopeTooLong).arg("max", ENVELOPE_LEN),
        ));
    }
    let mut padded = plaintext.to_vec();
    padded.resize(ENVELOPE_LEN, b' ');
    let plaintext = &padded[..];
    let tender = public_key(tender_public_key)
        .ok_or_else(|| Invalid::new("tender", Code::TenderWithoutEnvelopeKey))?;
    let e = EphemeralSecret::random_from_rng(rand::thread_rng());
    let epub = PublicKey::from(&e);
    let shared = e.diffie_hellman(&tender);
    let cipher = ChaCha20Poly1305::new(&envelope_key(shared.as_bytes(), &epub, &tender, tender_id));
    let mut n = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut n);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&n),
            Payload {
                msg: plaintext,
                aad: binding.as_bytes(),
            },
        )
        .expect("encryption of a small message does not fail");
    Ok(Sealed {
        nonce: format!("{}{}", hex::encode(epub.as_bytes()), hex::encode(n)),
        ciphertext: hex::encode(ct),
        digest: sha256_hex(plaintext),
    })
}

/// Opens a sealed envelope (the commercial opening); refuses one that was altered or moved to
/// another binding or tender.
pub fn open(
    master: &MasterKey,
    tender_id: i64,
    salt: &str,
    binding: &str,
    s: &Sealed,
) -> Result<Vec<u8>, Invalid> {
    let bad = || Invalid::new("commercial_envelope", Code::EnvelopeCannotBeOpened);
    if s.nonce.len() != 88 {
        return Err(bad());
    }
    let epub = public_key(&s.nonce[..64]).ok_or_else(bad)?;
    let n = hex::decode(&s.nonce[64..]).map_err(|_| bad())?;
    let ct = hex::decode(&s.ciphertext).map_err(|_| bad())?;
    let secret = master.tender_secret(tender_id, salt);
    let tender = PublicKey::from(&secret);
    let shared = secret.diffie_hellman(&epub);
    let cipher = ChaCha20Poly1305::new(&envelope_key(shared.as_bytes(), &epub, &tender, tender_id));
    let pt = cipher
        .decrypt(
            Nonce::from_slice(&n),
            Payload {
                msg: &ct,
                aad: binding.as_bytes(),
            },
        )
        .map_err(|_| bad())?;
    if sha256_hex(&pt) != s.digest {
        return Err(bad());
    }
    let end = pt.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1);
    Ok(pt[..end].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICE: &[u8] = b"{\"package_price\":\"12.50\"}";
    const BINDING: &str = "lot 1 supplier 2 v1";

    /// The master key of these tests and the public key it gives tender 7.
    fn master_and_tender_key() -> (MasterKey, String) {
        let m = MasterKey::from_bytes([9; 32]);
        let public = m.tender_public_key(7, "salt");
        (m, public)
    }

    /// The master key of these tests, and a price sealed under it for tender 7.
    fn sealed_price() -> (MasterKey, Sealed) {
        let (m, public) = master_and_tender_key();
        (m, seal(&public, 7, BINDING, PRICE).unwrap())
    }

    /// The hex text with its first byte changed.
    fn with_first_byte_changed(hex: &mut String) {
        let other = if &hex[0..2] == "00" { "01" } else { "00" };
        hex.replace_range(0..2, other);
    }

    /// A sealed price hides the price and opens with its tender's key, salt and binding only.
    #[test]
    fn seals_and_opens_only_with_its_own_key_salt_and_binding() {
        let (m, s) = sealed_price();
        assert!(!s.ciphertext.contains("12.50"));
        assert_eq!(open(&m, 7, "salt", BINDING, &s).unwrap(), PRICE);
        assert!(
            open(&m, 8, "salt", BINDING, &s).is_err(),
            "another tender's key"
        );
        assert!(open(&m, 7, "pepper", BINDING, &s).is_err(), "another salt");
        assert!(
            open(&m, 7, "salt", "lot 1 supplier 3 v1", &s).is_err(),
            "moved to another bid"
        );
        assert!(
            open(&MasterKey::from_bytes([1; 32]), 7, "salt", BINDING, &s).is_err(),
            "another master key"
        );
    }

    /// An envelope whose ciphertext or ephemeral key was altered is refused.
    #[test]
    fn refuses_tampering() {
        let (m, s) = sealed_price();
        let mut t = s.clone();
        with_first_byte_changed(&mut t.ciphertext);
        assert_eq!(
            open(&m, 7, "salt", BINDING, &t).unwrap_err().code(),
            Code::EnvelopeCannotBeOpened,
            "altered"
        );
        let mut t = s.clone();
        with_first_byte_changed(&mut t.nonce);
        assert!(
            open(&m, 7, "salt", BINDING, &t).is_err(),
            "another ephemeral key"
        );
    }

    /// Sealing twice gives different envelopes (fresh ephemeral key and nonce); a tender key
    /// that is not one is refused.
    #[test]
    fn seals_afresh_each_time_and_only_to_a_tender_key() {
        let (_, public) = master_and_tender_key();
        assert_ne!(
            seal(&public, 7, BINDING, b"x").unwrap().ciphertext,
            seal(&public, 7, BINDING, b"x").unwrap().ciphertext
        );
        assert_eq!(
            seal("not a key", 7, "b", b"x").unwrap_err().code(),
            Code::TenderWithoutEnvelopeKey
        );
    }

    /// Padded: the envelope's length does not tell the price's digits; a message longer than
    /// an envelope holds is refused.
    #[test]
    fn pads_every_price_to_one_length_and_refuses_a_longer_one() {
        let (m, public) = master_and_tender_key();
        let short = seal(&public, 7, "b", br#"{"package_price":"1"}"#).unwrap();
        let long = seal(&public, 7, "b", br#"{"package_price":"1234567.8901"}"#).unwrap();
        assert_eq!(short.ciphertext.len(), long.ciphertext.len());
        assert_eq!(
            open(&m, 7, "salt", "b", &short).unwrap(),
            br#"{"package_price":"1"}"#
        );
        let e = seal(&public, 7, "b", &[b'x'; ENVELOPE_LEN + 1]).unwrap_err();
        assert_eq!(e.code(), Code::EnvelopeTooLong);
        assert_eq!(e.msg.get("max"), Some("256"));
    }
}
