//! The envelope, the key generation and the opening, tested: properties and the published
//! vectors.

use super::*;
use curve25519_dalek::traits::Identity;
use proptest::prelude::*;

struct Setup {
    keys: Vec<CustodianKey>,
    dealings: Vec<(CheckedDealing, Dealing)>,
    y: RistrettoPoint,
}

fn setup(tender: i64, k: usize, n: usize) -> Setup {
    let keys: Vec<CustodianKey> = (0..n).map(|_| CustodianKey::generate()).collect();
    let pubs: Vec<RistrettoPoint> = keys.iter().map(|k| k.public()).collect();
    let dealings: Vec<(CheckedDealing, Dealing)> = (1..=n as u32)
        .map(|i| {
            let d = deal(tender, i, k, &pubs).unwrap();
            (check_dealing(tender, k, n, &d).unwrap(), d)
        })
        .collect();
    let checked: Vec<CheckedDealing> = dealings
        .iter()
        .map(|(c, _)| CheckedDealing {
            dealer: c.dealer,
            commitments: c.commitments.clone(),
        })
        .collect();
    Setup {
        keys,
        y: tender_key(&checked),
        dealings,
    }
}

fn checked(s: &Setup) -> Vec<CheckedDealing> {
    s.dealings
        .iter()
        .map(|(c, _)| CheckedDealing {
            dealer: c.dealer,
            commitments: c.commitments.clone(),
        })
        .collect()
}

fn open_by(s: &Setup, tender: i64, who: &[u32], binding: &str, e: &Envelope) -> Result<Vec<u8>> {
    let r = e.ephemeral_point()?;
    let mut ds = vec![];
    for &j in who {
        let x = my_share(tender, j, &s.keys[j as usize - 1], &s.dealings)?;
        let c = Contribution::parse(&contribute(&x, &r)).unwrap();
        let xj = share_public(&checked(s), j);
        verify_contributions(&xj, &[(r, &c)]).map_err(|_| Error::BadContribution(j))?;
        ds.push(c.d);
    }
    open_with_shared(&combine(&lagrange(who), &ds), &s.y, tender, binding, e)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn any_k_open_and_any_k_minus_one_do_not(n in 2usize..=6, kk in 1usize..=6, pick in any::<u64>(), price in 1u32..10_000_000) {
        let k = kk.min(n).max(2);
        let s = setup(41, k, n);
        let binding = price_binding(41, 3, 9);
        let plain = format!("{{\"package_price\":\"{}.{:02}\"}}", price / 100, price % 100);
        let e = seal_price(&s.y, 41, &binding, plain.as_bytes()).unwrap();
        // A pseudo-random subset of k custodians (from `pick`).
        let mut all: Vec<u32> = (1..=n as u32).collect();
        let mut p = pick;
        for i in (1..all.len()).rev() {
            all.swap(i, (p % (i as u64 + 1)) as usize);
            p /= i as u64 + 1;
        }
        let quorum: Vec<u32> = all[..k].to_vec();
        prop_assert_eq!(open_by(&s, 41, &quorum, &binding, &e).unwrap(), plain.as_bytes());
        prop_assert_eq!(open_by(&s, 41, &quorum[..k - 1], &binding, &e), Err(Error::WrongKey));
        // Moved to another bid: refused even by the quorum.
        prop_assert_eq!(open_by(&s, 41, &quorum, &price_binding(41, 3, 10), &e), Err(Error::WrongKey));
    }
}

#[test]
fn a_forged_contribution_is_named() {
    let s = setup(5, 3, 5);
    let e = seal_price(&s.y, 5, "b", b"{\"package_price\":\"1.00\"}").unwrap();
    let r = e.ephemeral_point().unwrap();
    let ch = checked(&s);
    let good = my_share(5, 2, &s.keys[1], &s.dealings).unwrap();
    let forged = good + Scalar::ONE;
    let cs: Vec<Contribution> = [good, forged, good]
        .iter()
        .map(|x| Contribution::parse(&contribute(x, &r)).unwrap())
        .collect();
    let xj = share_public(&ch, 2);
    assert!(verify_contributions(&xj, &[(r, &cs[0])]).is_ok());
    assert_eq!(
        verify_contributions(&xj, &[(r, &cs[0]), (r, &cs[1]), (r, &cs[2])]),
        Err(1)
    );
    // Another custodian's honest contribution is not custodian 2's.
    let x3 = my_share(5, 3, &s.keys[2], &s.dealings).unwrap();
    let c3 = Contribution::parse(&contribute(&x3, &r)).unwrap();
    assert_eq!(verify_contributions(&xj, &[(r, &c3)]), Err(0));
}

#[test]
fn a_bad_dealing_is_refused_or_names_its_dealer() {
    let s = setup(6, 2, 3);
    let (_, d) = &s.dealings[0];
    // A dealer that swaps its constant commitment (to cancel the others') has no proof.
    let mut rogue = d.clone();
    rogue.commitments[0] = hex_point(&(point_hex(&d.commitments[0]).unwrap() + G));
    assert_eq!(
        check_dealing(6, 2, 3, &rogue).err(),
        Some(Error::BadDealing)
    );
    assert!(check_dealing(7, 2, 3, d).is_err(), "another tender's proof");
    // A share that does not match the commitments names its dealer.
    let mut bad = s.dealings[1].1.clone();
    bad.shares[0] = s.dealings[2].1.shares[0].clone();
    let mut dealings: Vec<(CheckedDealing, Dealing)> = vec![];
    for (c, raw) in [
        &s.dealings[0],
        &(check_dealing(6, 2, 3, &bad).unwrap(), bad.clone()),
    ]
    .into_iter()
    .map(|(c, r)| (c, r))
    {
        dealings.push((
            CheckedDealing {
                dealer: c.dealer,
                commitments: c.commitments.clone(),
            },
            raw.clone(),
        ));
    }
    assert_eq!(
        my_share(6, 1, &s.keys[0], &dealings).err(),
        Some(Error::BadShare(2))
    );
}

#[test]
fn a_custody_file_with_nonsense_numbers_is_refused_not_a_panic() {
    let s = setup(8, 2, 3);
    let (_, d) = &s.dealings[0];
    // A quorum of 0 (a crafted custody file): refused, never an index out of range.
    let mut empty = d.clone();
    empty.commitments.clear();
    assert_eq!(
        check_dealing(8, 0, 3, &empty).err(),
        Some(Error::BadDealing)
    );
    // A custodian index of 0 or beyond the list: no share, named by its dealer.
    for j in [0, 99] {
        assert_eq!(
            my_share(8, j, &s.keys[0], &s.dealings).err(),
            Some(Error::BadShare(1))
        );
    }
    assert!(lagrange(&[]).is_empty());
}

#[test]
fn a_key_file_opens_only_with_its_passphrase() {
    let k = CustodianKey::generate();
    let f = k.to_file("correct horse");
    let back = CustodianKey::from_file(&f, "correct horse").unwrap();
    assert_eq!(back.public_hex(), k.public_hex());
    assert_eq!(
        CustodianKey::from_file(&f, "wrong")
            .err()
            .map(|e| e.to_string()),
        Some(Error::BadPassphrase.to_string())
    );
    assert!(!serde_json::to_string(&f)
        .unwrap()
        .contains(&hex::encode(k.0.as_bytes())));
}

#[test]
fn envelope_fields_round_trip_and_refuse_tampering() {
    let k = CustodianKey::generate();
    let e = seal_price(&k.public(), 1, "b", b"{}").unwrap();
    let back =
        Envelope::price_from_fields(&e.nonce_hex(), &e.ciphertext_hex(), &e.digest()).unwrap();
    assert_eq!(back, e);
    let mut ct = e.ciphertext_hex();
    ct.replace_range(0..1, if &ct[0..1] == "0" { "1" } else { "0" });
    assert_eq!(
        Envelope::price_from_fields(&e.nonce_hex(), &ct, &e.digest()),
        Err(Error::DigestMismatch)
    );
    let t = Envelope::price_from_fields(
        &e.nonce_hex(),
        &ct,
        &Envelope {
            ciphertext: hex::decode(&ct).unwrap(),
            ..e.clone()
        }
        .digest(),
    )
    .unwrap();
    assert_eq!(open_with_secret(&k.0, 1, "b", &t), Err(Error::WrongKey));
    assert_eq!(open_with_secret(&k.0, 1, "b", &e).unwrap(), b"{}");
    assert_eq!(
        Envelope::price_from_fields("00", &ct, "x"),
        Err(Error::Malformed)
    );
    assert_eq!(
        seal_price(&RistrettoPoint::identity(), 1, "b", b"{}"),
        Err(Error::BadKey)
    );
    assert_eq!(
        seal_price(&k.public(), 1, "b", &[b' '; PRICE_LEN + 1]),
        Err(Error::TooLong(PRICE_LEN))
    );
}

/// The published vectors (`tests/vectors/envelope-v3.json`): fixed keys, ephemeral scalars and
/// nonces, and the envelopes they make. `JICAI_WRITE_VECTORS=1 cargo test --lib vectors`
/// writes the file anew.
mod vectors {
    use super::super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Vector {
        tender_secret: String,
        tender_key: String,
        tender_id: i64,
        lot_id: i64,
        supplier_id: i64,
        binding: String,
        plaintext: String,
        ephemeral_scalar: String,
        nonce_bytes: String,
        nonce: String,
        ciphertext: String,
        digest: String,
    }

    fn s(seed: &str) -> Scalar {
        hash_to_scalar(&[b"jicai vector", seed.as_bytes()])
    }

    fn make() -> Vec<Vector> {
        let cases = [
            (1i64, 1i64, 1i64, r#"{"package_price":"12.50"}"#),
            (42, 7, 1003, r#"{"package_price":"0.0001"}"#),
            (
                9_007_199_254,
                123_456,
                99,
                r#"{"package_price":"9999999.9999"}"#,
            ),
            (3, 2, 5, r#"{"package_price":"1","note":"价格"}"#),
        ];
        cases
            .iter()
            .enumerate()
            .map(|(i, (t, l, sup, plain))| {
                let y = s(&format!("tender {i}"));
                let r = s(&format!("ephemeral {i}"));
                let mut nonce = [0u8; 12];
                nonce
                    .iter_mut()
                    .enumerate()
                    .for_each(|(k, b)| *b = (i * 16 + k) as u8);
                let yp = RistrettoPoint::mul_base(&y);
                let binding = price_binding(*t, *l, *sup);
                let e =
                    seal_with(&yp, *t, &binding, plain.as_bytes(), PRICE_LEN, r, nonce).unwrap();
                Vector {
                    tender_secret: hex::encode(y.as_bytes()),
                    tender_key: hex_point(&yp),
                    tender_id: *t,
                    lot_id: *l,
                    supplier_id: *sup,
                    binding,
                    plaintext: plain.to_string(),
                    ephemeral_scalar: hex::encode(r.as_bytes()),
                    nonce_bytes: hex::encode(nonce),
                    nonce: e.nonce_hex(),
                    ciphertext: e.ciphertext_hex(),
                    digest: e.digest(),
                }
            })
            .collect()
    }

    #[test]
    fn the_published_vectors_seal_and_open() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/envelope-v3.json"
        );
        let made = make();
        if std::env::var("JICAI_WRITE_VECTORS").is_ok() {
            std::fs::write(path, serde_json::to_string_pretty(&made).unwrap() + "\n").unwrap();
        }
        let published: Vec<Vector> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(published, made);
        for v in &published {
            let y = scalar(&hex::decode(&v.tender_secret).unwrap()).unwrap();
            let e = Envelope::price_from_fields(&v.nonce, &v.ciphertext, &v.digest).unwrap();
            assert_eq!(
                open_with_secret(&y, v.tender_id, &v.binding, &e).unwrap(),
                v.plaintext.as_bytes()
            );
        }
    }
}
