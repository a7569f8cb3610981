//! Quorum sealing (envelope format v3): prices sealed by the bidder to a tender key that no
//! single party ever holds, opened by k of the tender's n key custodians.
//!
//! The group is ristretto255 (RFC 9496) from `curve25519-dalek`, the cipher ChaCha20-Poly1305,
//! the key derivation HKDF-SHA256. The README's "Sealed envelope format" section states the
//! format, and `tests/vectors/envelope-v3.json` holds vectors that the Rust code here and the
//! bid page's script both pass.
//!
//! - **Seal** (bidder): random scalar r, R = r·G, S = r·Y for the tender key Y; key =
//!   HKDF(S, salt R‖Y, "jicai envelope v3 tender {id}"); the plaintext padded with spaces to a
//!   fixed length, encrypted with the binding (tender, lot, supplier) as associated data. The
//!   envelope's digest is SHA-256(R‖nonce‖ciphertext): anyone can recompute it.
//! - **Key** (custodians, joint Feldman): each custodian i deals a random polynomial f_i of
//!   degree k−1: public commitments to its coefficients, a proof that it knows f_i(0) (so that
//!   no dealer can cancel the others' parts), and f_i(j) sealed to custodian j's own key. The
//!   tender key is Y = Σ f_i(0)·G, custodian j's share x_j = Σ_i f_i(j); nobody computes Σ f_i(0).
//! - **Open** (k custodians): custodian j sends D = x_j·R for each qualified envelope with a
//!   proof that log_G X_j = log_R D (Chaum–Pedersen); a wrong share fails that proof and names
//!   its custodian. S = Σ λ_j·D_j (Lagrange at 0) opens the envelope; the secret Σ f_i(0) is
//!   never assembled.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::CompressedRistretto;
pub use curve25519_dalek::ristretto::RistrettoPoint;
pub use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use hkdf::Hkdf;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroize;

/// A price envelope's plaintext is padded to this many bytes.
pub const PRICE_LEN: usize = 256;
/// A share's plaintext: one scalar.
const SHARE_LEN: usize = 32;
/// The most custodians a tender can have.
pub const MAX_CUSTODIANS: usize = 15;

/// Why something sealed or dealt cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not a valid key")]
    BadKey,
    #[error("the envelope is malformed")]
    Malformed,
    #[error("the envelope's digest does not match its content")]
    DigestMismatch,
    #[error("the envelope cannot be opened with this key")]
    WrongKey,
    #[error("the plaintext is longer than {0} bytes")]
    TooLong(usize),
    #[error("the dealing is malformed")]
    BadDealing,
    #[error("the share from custodian {0} does not match its commitments")]
    BadShare(u32),
    #[error("the contribution of custodian {0} does not match its share")]
    BadContribution(u32),
    #[error("the passphrase does not open this key file")]
    BadPassphrase,
}

pub type Result<T> = std::result::Result<T, Error>;

fn point(hex_or_bytes: &[u8]) -> Result<RistrettoPoint> {
    let b: [u8; 32] = hex_or_bytes.try_into().map_err(|_| Error::BadKey)?;
    CompressedRistretto(b).decompress().ok_or(Error::BadKey)
}

/// A point from 64 hex digits.
pub fn point_hex(h: &str) -> Result<RistrettoPoint> {
    point(&hex::decode(h).map_err(|_| Error::BadKey)?)
}

pub fn hex_point(p: &RistrettoPoint) -> String {
    hex::encode(p.compress().as_bytes())
}

fn scalar(b: &[u8]) -> Result<Scalar> {
    let b: [u8; 32] = b.try_into().map_err(|_| Error::Malformed)?;
    Option::from(Scalar::from_canonical_bytes(b)).ok_or(Error::Malformed)
}

fn random_scalar() -> Scalar {
    let mut wide = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    wide.zeroize();
    s
}

fn hash_to_scalar(parts: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    Scalar::from_hash(h)
}

/// The binding (associated data) of a price envelope.
pub fn price_binding(tender_id: i64, lot_id: i64, supplier_id: i64) -> String {
    format!("jicai v3 tender {tender_id} lot {lot_id} supplier {supplier_id}")
}

fn share_binding(tender_id: i64, dealer: u32, to: u32) -> String {
    format!("jicai v3 dealing tender {tender_id} from {dealer} to {to}")
}

/// A sealed envelope: the ephemeral point R, the nonce and the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub ephemeral: [u8; 32],
    pub nonce: [u8; 12],
    pub ciphertext: Vec<u8>,
}

impl Envelope {
    /// SHA-256 of R‖nonce‖ciphertext, hex: what the receipt shows and the deadline's list
    /// publishes.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.ephemeral);
        h.update(self.nonce);
        h.update(&self.ciphertext);
        hex::encode(h.finalize())
    }

    /// The stored fields: R‖nonce (88 hex digits) and the ciphertext (hex).
    pub fn nonce_hex(&self) -> String {
        format!("{}{}", hex::encode(self.ephemeral), hex::encode(self.nonce))
    }

    pub fn ciphertext_hex(&self) -> String {
        hex::encode(&self.ciphertext)
    }

    /// Reads a price envelope from its fields, refusing a malformed one or one whose digest
    /// differs from its content.
    pub fn price_from_fields(nonce: &str, ciphertext: &str, digest: &str) -> Result<Envelope> {
        let e = Self::from_fields(nonce, ciphertext, PRICE_LEN)?;
        if !digest.eq_ignore_ascii_case(&e.digest()) {
            return Err(Error::DigestMismatch);
        }
        Ok(e)
    }

    fn from_fields(nonce: &str, ciphertext: &str, len: usize) -> Result<Envelope> {
        if nonce.len() != 88 || ciphertext.len() != 2 * (len + 16) {
            return Err(Error::Malformed);
        }
        let n = hex::decode(nonce).map_err(|_| Error::Malformed)?;
        let ciphertext = hex::decode(ciphertext).map_err(|_| Error::Malformed)?;
        let ephemeral: [u8; 32] = n[..32].try_into().map_err(|_| Error::Malformed)?;
        point(&ephemeral).map_err(|_| Error::Malformed)?;
        Ok(Envelope {
            ephemeral,
            nonce: n[32..].try_into().map_err(|_| Error::Malformed)?,
            ciphertext,
        })
    }

    /// R, the point the custodians' contributions multiply.
    pub fn ephemeral_point(&self) -> Result<RistrettoPoint> {
        point(&self.ephemeral).map_err(|_| Error::Malformed)
    }
}

fn cipher(
    shared: &RistrettoPoint,
    r: &[u8; 32],
    y: &RistrettoPoint,
    tender_id: i64,
) -> ChaCha20Poly1305 {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(r);
    salt[32..].copy_from_slice(y.compress().as_bytes());
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared.compress().as_bytes());
    let mut okm = [0u8; 32];
    hk.expand(
        format!("jicai envelope v3 tender {tender_id}").as_bytes(),
        &mut okm,
    )
    .expect("32 bytes is a valid HKDF output length");
    let c = ChaCha20Poly1305::new(&Key::from(okm));
    okm.zeroize();
    c
}

/// Seals with a given ephemeral scalar and nonce: the published vectors use it.
pub fn seal_with(
    y: &RistrettoPoint,
    tender_id: i64,
    binding: &str,
    plaintext: &[u8],
    pad_to: usize,
    r: Scalar,
    nonce: [u8; 12],
) -> Result<Envelope> {
    if plaintext.len() > pad_to {
        return Err(Error::TooLong(pad_to));
    }
    if y.is_identity() {
        return Err(Error::BadKey);
    }
    let mut padded = plaintext.to_vec();
    padded.resize(pad_to, b' ');
    let ephemeral = RistrettoPoint::mul_base(&r).compress().to_bytes();
    let shared = r * y;
    let ciphertext = cipher(&shared, &ephemeral, y, tender_id)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &padded,
                aad: binding.as_bytes(),
            },
        )
        .expect("encryption of a small message does not fail");
    padded.zeroize();
    Ok(Envelope {
        ephemeral,
        nonce,
        ciphertext,
    })
}

/// Seals `plaintext` (at most `PRICE_LEN` bytes) to the tender key `y`, bound to `binding`.
pub fn seal_price(
    y: &RistrettoPoint,
    tender_id: i64,
    binding: &str,
    plaintext: &[u8],
) -> Result<Envelope> {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    seal_with(
        y,
        tender_id,
        binding,
        plaintext,
        PRICE_LEN,
        random_scalar(),
        nonce,
    )
}

/// Opens an envelope with the shared point S = r·Y (from the quorum, or from a secret key).
pub fn open_with_shared(
    shared: &RistrettoPoint,
    y: &RistrettoPoint,
    tender_id: i64,
    binding: &str,
    e: &Envelope,
) -> Result<Vec<u8>> {
    let pt = cipher(shared, &e.ephemeral, y, tender_id)
        .decrypt(
            Nonce::from_slice(&e.nonce),
            Payload {
                msg: &e.ciphertext,
                aad: binding.as_bytes(),
            },
        )
        .map_err(|_| Error::WrongKey)?;
    let end = pt.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1);
    Ok(pt[..end].to_vec())
}

/// Opens an envelope with a whole secret key (a custodian's own key, for its shares).
pub fn open_with_secret(
    secret: &Scalar,
    tender_id: i64,
    binding: &str,
    e: &Envelope,
) -> Result<Vec<u8>> {
    let r = e.ephemeral_point()?;
    open_with_shared(
        &(secret * r),
        &RistrettoPoint::mul_base(secret),
        tender_id,
        binding,
        e,
    )
}

/// A custodian's own key pair; the secret lives only in the custodian's key file, under its
/// passphrase.
pub struct CustodianKey(Scalar);

impl Drop for CustodianKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The key file: the secret sealed under a key derived from the passphrase (Argon2id).
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    pub format: String,
    pub public: String,
    pub salt: String,
    pub nonce: String,
    pub sealed: String,
}

fn passphrase_cipher(passphrase: &str, salt: &[u8]) -> Result<ChaCha20Poly1305> {
    let mut k = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut k)
        .map_err(|_| Error::BadPassphrase)?;
    let c = ChaCha20Poly1305::new(&Key::from(k));
    k.zeroize();
    Ok(c)
}

impl CustodianKey {
    pub fn generate() -> Self {
        CustodianKey(random_scalar())
    }

    pub fn public(&self) -> RistrettoPoint {
        RistrettoPoint::mul_base(&self.0)
    }

    pub fn public_hex(&self) -> String {
        hex_point(&self.public())
    }

    pub fn to_file(&self, passphrase: &str) -> KeyFile {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut salt);
        rand::thread_rng().fill_bytes(&mut nonce);
        let public = self.public_hex();
        let sealed = passphrase_cipher(passphrase, &salt)
            .expect("a 16-byte salt is valid")
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: self.0.as_bytes(),
                    aad: public.as_bytes(),
                },
            )
            .expect("encryption of a small message does not fail");
        KeyFile {
            format: "jicai custodian key v1".into(),
            public,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            sealed: hex::encode(sealed),
        }
    }

    pub fn from_file(f: &KeyFile, passphrase: &str) -> Result<Self> {
        let salt = hex::decode(&f.salt).map_err(|_| Error::BadPassphrase)?;
        let nonce: [u8; 12] = hex::decode(&f.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(Error::BadPassphrase)?;
        let sealed = hex::decode(&f.sealed).map_err(|_| Error::BadPassphrase)?;
        let mut plain = passphrase_cipher(passphrase, &salt)?
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: f.public.as_bytes(),
                },
            )
            .map_err(|_| Error::BadPassphrase)?;
        let s = scalar(&plain);
        plain.zeroize();
        let key = CustodianKey(s.map_err(|_| Error::BadPassphrase)?);
        if key.public_hex() != f.public {
            return Err(Error::BadPassphrase);
        }
        Ok(key)
    }

    /// For tests and the demo only: a key from known bytes.
    pub fn from_seed(seed: &[u8]) -> Self {
        CustodianKey(hash_to_scalar(&[b"jicai custodian seed", seed]))
    }
}

/// One custodian's dealing for a tender: commitments to its polynomial's coefficients, a proof
/// of knowledge of the constant term, and one sealed share per custodian (index j = 1..n).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dealing {
    pub dealer: u32,
    pub commitments: Vec<String>,
    pub proof: String,
    /// Each share as R‖nonce and ciphertext (hex), in the custodians' order.
    pub shares: Vec<(String, String)>,
}

fn pok_challenge(tender_id: i64, dealer: u32, c0: &RistrettoPoint, k: &RistrettoPoint) -> Scalar {
    hash_to_scalar(&[
        b"jicai dkg pok",
        &tender_id.to_le_bytes(),
        &dealer.to_le_bytes(),
        c0.compress().as_bytes(),
        k.compress().as_bytes(),
    ])
}

fn eval(coeffs: &[Scalar], x: u32) -> Scalar {
    let x = Scalar::from(x as u64);
    coeffs.iter().rev().fold(Scalar::ZERO, |acc, c| acc * x + c)
}

/// Custodian `dealer` (1-based) deals its part of the tender key for custodians with public
/// keys `recipients` (in order, index 1..n), any `k` of whom can open. Runs on the custodian's
/// machine: the polynomial never leaves it.
pub fn deal(
    tender_id: i64,
    dealer: u32,
    k: usize,
    recipients: &[RistrettoPoint],
) -> Result<Dealing> {
    let n = recipients.len();
    if k < 1 || k > n || n > MAX_CUSTODIANS || dealer < 1 || dealer as usize > n {
        return Err(Error::BadDealing);
    }
    let mut coeffs: Vec<Scalar> = (0..k).map(|_| random_scalar()).collect();
    let commitments: Vec<RistrettoPoint> = coeffs.iter().map(RistrettoPoint::mul_base).collect();
    let w = random_scalar();
    let kp = RistrettoPoint::mul_base(&w);
    let c = pok_challenge(tender_id, dealer, &commitments[0], &kp);
    let z = w + c * coeffs[0];
    let mut shares = Vec::with_capacity(n);
    for (idx, p) in recipients.iter().enumerate() {
        let j = idx as u32 + 1;
        let mut s = eval(&coeffs, j);
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let e = seal_with(
            p,
            tender_id,
            &share_binding(tender_id, dealer, j),
            s.as_bytes(),
            SHARE_LEN,
            random_scalar(),
            nonce,
        )?;
        s.zeroize();
        shares.push((e.nonce_hex(), e.ciphertext_hex()));
    }
    coeffs.iter_mut().for_each(|c| c.zeroize());
    Ok(Dealing {
        dealer,
        commitments: commitments.iter().map(hex_point).collect(),
        proof: format!("{}{}", hex_point(&kp), hex::encode(z.as_bytes())),
        shares,
    })
}

/// The public parts of a dealing, checked: what the server can check without any secret.
pub struct CheckedDealing {
    pub dealer: u32,
    pub commitments: Vec<RistrettoPoint>,
}

/// Checks a dealing's shape and its proof of knowledge (the server does this on receipt).
pub fn check_dealing(tender_id: i64, k: usize, n: usize, d: &Dealing) -> Result<CheckedDealing> {
    if k < 1
        || d.commitments.len() != k
        || d.shares.len() != n
        || d.dealer < 1
        || d.dealer as usize > n
    {
        return Err(Error::BadDealing);
    }
    let commitments = d
        .commitments
        .iter()
        .map(|c| point_hex(c))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| Error::BadDealing)?;
    for (nonce, ct) in &d.shares {
        Envelope::from_fields(nonce, ct, SHARE_LEN).map_err(|_| Error::BadDealing)?;
    }
    let proof = hex::decode(&d.proof).map_err(|_| Error::BadDealing)?;
    if proof.len() != 64 {
        return Err(Error::BadDealing);
    }
    let kp = point(&proof[..32]).map_err(|_| Error::BadDealing)?;
    let z = scalar(&proof[32..]).map_err(|_| Error::BadDealing)?;
    let c = pok_challenge(tender_id, d.dealer, &commitments[0], &kp);
    if RistrettoPoint::mul_base(&z) != kp + c * commitments[0] {
        return Err(Error::BadDealing);
    }
    Ok(CheckedDealing {
        dealer: d.dealer,
        commitments,
    })
}

/// The tender key: the sum of the dealers' constant terms' commitments.
pub fn tender_key(dealings: &[CheckedDealing]) -> RistrettoPoint {
    dealings.iter().map(|d| d.commitments[0]).sum()
}

/// The public value X_j = x_j·G of custodian j's share, from the commitments alone.
pub fn share_public(dealings: &[CheckedDealing], j: u32) -> RistrettoPoint {
    let x = Scalar::from(j as u64);
    let mut scalars = vec![];
    let mut points = vec![];
    for d in dealings {
        let mut pow = Scalar::ONE;
        for c in &d.commitments {
            scalars.push(pow);
            points.push(*c);
            pow *= x;
        }
    }
    RistrettoPoint::vartime_multiscalar_mul(scalars, points)
}

/// Custodian j's share: its sealed shares from every dealing opened with its own key, each
/// checked against its dealer's commitments (a bad one names its dealer).
pub fn my_share(
    tender_id: i64,
    j: u32,
    key: &CustodianKey,
    dealings: &[(CheckedDealing, Dealing)],
) -> Result<Scalar> {
    let mut x = Scalar::ZERO;
    for (checked, raw) in dealings {
        let bad = Error::BadShare(checked.dealer);
        let (nonce, ct) = raw
            .shares
            .get((j as usize).wrapping_sub(1))
            .ok_or(bad.clone())?;
        let e = Envelope::from_fields(nonce, ct, SHARE_LEN).map_err(|_| bad.clone())?;
        let mut plain = open_with_secret(
            &key.0,
            tender_id,
            &share_binding(tender_id, checked.dealer, j),
            &e,
        )
        .map_err(|_| bad.clone())?;
        plain.resize(32, 0);
        let s = scalar(&plain).map_err(|_| bad.clone());
        plain.zeroize();
        let s = s?;
        if RistrettoPoint::mul_base(&s) != share_public(std::slice::from_ref(checked), j) {
            return Err(bad);
        }
        x += s;
    }
    Ok(x)
}

/// A custodian's contribution to opening one envelope: D = x_j·R and a Chaum–Pedersen proof
/// (A, B, z) that log_G X_j = log_R D. 128 bytes, hex.
pub fn contribute(x: &Scalar, r: &RistrettoPoint) -> String {
    let xj = RistrettoPoint::mul_base(x);
    let d = x * r;
    let w = random_scalar();
    let a = RistrettoPoint::mul_base(&w);
    let b = w * r;
    let c = dleq_challenge(&xj, r, &d, &a, &b);
    let z = w + c * x;
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(d.compress().as_bytes());
    out.extend_from_slice(a.compress().as_bytes());
    out.extend_from_slice(b.compress().as_bytes());
    out.extend_from_slice(z.as_bytes());
    hex::encode(out)
}

fn dleq_challenge(
    xj: &RistrettoPoint,
    r: &RistrettoPoint,
    d: &RistrettoPoint,
    a: &RistrettoPoint,
    b: &RistrettoPoint,
) -> Scalar {
    hash_to_scalar(&[
        b"jicai dleq v3",
        xj.compress().as_bytes(),
        r.compress().as_bytes(),
        d.compress().as_bytes(),
        a.compress().as_bytes(),
        b.compress().as_bytes(),
    ])
}

/// A contribution read from hex: D and its proof.
pub struct Contribution {
    pub d: RistrettoPoint,
    a: RistrettoPoint,
    b: RistrettoPoint,
    z: Scalar,
}

impl Contribution {
    pub fn parse(h: &str) -> Option<Contribution> {
        let b = hex::decode(h).ok()?;
        if b.len() != 128 {
            return None;
        }
        Some(Contribution {
            d: point(&b[..32]).ok()?,
            a: point(&b[32..64]).ok()?,
            b: point(&b[64..96]).ok()?,
            z: scalar(&b[96..]).ok()?,
        })
    }
}

/// Checks custodian j's contributions (each against its envelope's R) in one batch: a random
/// linear combination of every proof's two equations must vanish. On failure, the items are
/// checked one by one and the first bad one's index is returned.
pub fn verify_contributions(
    xj: &RistrettoPoint,
    items: &[(RistrettoPoint, &Contribution)],
) -> std::result::Result<(), usize> {
    let mut scalars = Vec::with_capacity(items.len() * 6 + 2);
    let mut points = Vec::with_capacity(items.len() * 6 + 2);
    let mut zg = Scalar::ZERO;
    let mut cx = Scalar::ZERO;
    for (r, c) in items {
        let ch = dleq_challenge(xj, r, &c.d, &c.a, &c.b);
        let rho = random_scalar();
        let sigma = random_scalar();
        // rho·(z·G − A − c·X) + sigma·(z·R − B − c·D) = 0
        zg += rho * c.z;
        cx += rho * ch;
        scalars.extend([-rho, sigma * c.z, -sigma, -(sigma * ch)]);
        points.extend([c.a, *r, c.b, c.d]);
    }
    scalars.extend([zg, -cx]);
    points.extend([G, *xj]);
    if RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity() {
        return Ok(());
    }
    match items.iter().position(|(r, c)| {
        let ch = dleq_challenge(xj, r, &c.d, &c.a, &c.b);
        RistrettoPoint::mul_base(&c.z) != c.a + ch * xj || c.z * r != c.b + ch * c.d
    }) {
        Some(i) => Err(i),
        None => Err(0),
    }
}

/// The Lagrange coefficients at 0 of the custodians `js` (distinct, 1-based).
pub fn lagrange(js: &[u32]) -> Vec<Scalar> {
    js.iter()
        .map(|&i| {
            let xi = Scalar::from(i as u64);
            let (num, den) =
                js.iter()
                    .filter(|&&j| j != i)
                    .fold((Scalar::ONE, Scalar::ONE), |(n, d), &j| {
                        let xj = Scalar::from(j as u64);
                        (n * xj, d * (xj - xi))
                    });
            num * den.invert()
        })
        .collect()
}

/// S = Σ λ_j·D_j: the shared point of one envelope from k contributions.
pub fn combine(lambdas: &[Scalar], ds: &[RistrettoPoint]) -> RistrettoPoint {
    RistrettoPoint::vartime_multiscalar_mul(lambdas, ds)
}

#[cfg(test)]
mod tests;
