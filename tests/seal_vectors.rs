//! The bid page's sealing script (`templates/static/seal.js` over the vendored
//! `templates/static/vendor/noble.js`) against the published envelope vectors
//! (`tests/vectors/envelope-v3.json`, made by the Rust code), run with node:
//! the script seals every vector exactly and opens it; what it seals with a random ephemeral
//! key, the Rust code opens. Without node the tests say so and pass, except under CI.

use std::path::Path;
use std::process::{Command, Output};

use curve25519_dalek::scalar::Scalar;
use jicai::sealing::quorum::{open_with_secret, Envelope};
use serde::Deserialize;

/// `node tests/js/vectors.mjs ARGS`, or None (a skip) when node is not installed here.
fn node(args: &[&str]) -> Option<Output> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match Command::new("node")
        .arg(root.join("tests/js/vectors.mjs"))
        .args(args)
        .current_dir(root)
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "node is needed for the sealing script's tests under CI"
            );
            eprintln!("skipped: node is not installed (the sealing script is not tested)");
            None
        }
        Err(e) => panic!("node: {e}"),
    }
}

#[test]
fn the_sealing_script_passes_the_published_vectors() {
    let Some(out) = node(&[]) else { return };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{stdout}");
}

#[derive(Deserialize)]
struct Vector {
    tender_secret: String,
    tender_id: i64,
    binding: String,
}

#[derive(Deserialize)]
struct Sealed {
    tender_id: i64,
    binding: String,
    plaintext: String,
    envelope: Fields,
}

#[derive(Deserialize)]
struct Fields {
    nonce: String,
    ciphertext: String,
    digest: String,
}

#[test]
fn what_the_script_seals_the_rust_code_opens() {
    let Some(out) = node(&["--cross"]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sealed: Vec<Sealed> = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/envelope-v3.json"
    );
    let vectors: Vec<Vector> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(sealed.len(), vectors.len());
    assert!(!vectors.is_empty());
    for (s, v) in sealed.iter().zip(&vectors) {
        assert_eq!((s.tender_id, &s.binding), (v.tender_id, &v.binding));
        let secret: [u8; 32] = hex::decode(&v.tender_secret).unwrap().try_into().unwrap();
        let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(secret)).unwrap();
        let e = &s.envelope;
        let env = Envelope::price_from_fields(&e.nonce, &e.ciphertext, &e.digest)
            .expect("a well-formed envelope whose digest matches");
        assert_eq!(env.ciphertext.len(), 256 + 16);
        assert_eq!(
            open_with_secret(&secret, s.tender_id, &s.binding, &env).unwrap(),
            s.plaintext.as_bytes()
        );
        // Bound to its bid: another lot's binding does not open it.
        assert!(open_with_secret(&secret, s.tender_id, &format!("{}0", s.binding), &env).is_err());
    }
}
