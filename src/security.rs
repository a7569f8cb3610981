//! Password hashing (argon2), API tokens (random, stored as SHA-256), CSRF tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::{Code, Invalid, Msg};

pub const MIN_PASSWORD_LEN: usize = 8;

pub fn hash_password(password: &str) -> Result<String, Invalid> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Invalid::new(
            "password",
            Msg::new(Code::PasswordTooShort).arg("min", MIN_PASSWORD_LEN),
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!("argon2: {e}");
            Invalid::new("password", Code::PasswordNotHashed)
        })
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check against when the user does not exist, so that both paths cost the same.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not-a-real-password").expect("fixed password hashes"))
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A new API token: the secret shown once, its stored hash and its visible prefix.
pub struct NewToken {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn new_api_token() -> NewToken {
    let secret = format!("jc_{}", random_hex(24));
    NewToken {
        hash: token_hash(&secret),
        prefix: secret[..9].to_string(),
        secret,
    }
}

pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A session's id, as the cookie carries it (the database keeps only its `token_hash`).
pub fn new_session_id() -> String {
    random_hex(32)
}

pub fn new_csrf_token() -> String {
    random_hex(32)
}

pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(hash_password("short").is_err());
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_hashed() {
        let t = new_api_token();
        assert_eq!(t.hash, token_hash(&t.secret));
        assert!(t.secret.starts_with(&t.prefix));
        assert_ne!(new_api_token().secret, t.secret);
    }
}
