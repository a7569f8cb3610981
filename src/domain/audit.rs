//! The audit log's hash chain: each record's hash covers its fields and the previous hash.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    /// UTC, RFC 3339 with microseconds.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: String,
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record: SHA-256 over the previous hash and every field, each length-prefixed
/// so that no two different records share an encoding.
pub fn record_hash(prev_hash: &str, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &r.id.to_string(),
        &r.at,
        &r.actor,
        &r.action,
        &r.entity,
        &r.entity_id,
        &r.before,
        &r.after,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Why a link of the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub id: i64,
    pub reason: String,
}

/// Walks records in id order (continuing from `prev`, the hash before the first) and returns
/// the first broken link, if any, and the last hash.
pub fn verify_chain<'a>(
    prev: &str,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<String, BrokenLink> {
    let mut prev = prev.to_string();
    for r in records {
        if r.prev_hash != prev {
            return Err(BrokenLink {
                id: r.id,
                reason: "its previous-hash does not match the record before it (a record was removed or reordered)".into(),
            });
        }
        let h = record_hash(&prev, r);
        if h != r.hash {
            return Err(BrokenLink {
                id: r.id,
                reason: "its content does not match its hash (the record was altered)".into(),
            });
        }
        prev = h;
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|id| {
                let mut r = AuditRecord {
                    id,
                    at: format!("2026-01-01T00:00:{id:02}.000000Z"),
                    actor: "admin".into(),
                    action: "update".into(),
                    entity: "drug".into(),
                    entity_id: id.to_string(),
                    before: "{}".into(),
                    after: format!("{{\"n\":{id}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = record_hash(&prev, &r);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify_chain(GENESIS, &c).unwrap(), c[4].hash);
    }

    #[test]
    fn altered_record_is_found() {
        let mut c = chain(5);
        c[2].after = "{\"n\":99}".into();
        assert_eq!(verify_chain(GENESIS, &c).unwrap_err().id, 3);
    }

    #[test]
    fn removed_record_is_found() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(GENESIS, &c).unwrap_err().id, 3);
    }
}
