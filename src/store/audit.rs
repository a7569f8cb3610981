//! The append-only, hash-chained audit log.

use diesel::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::schema::{audit_head, audit_log, audit_pending};
use super::{Act, DbConn, Result};
use crate::domain::audit::{record_hash, verify_chain, AuditRecord, BrokenLink, GENESIS};

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = audit_log)]
struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: String,
    after_json: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for AuditRecord {
    fn from(r: Row) -> Self {
        AuditRecord {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before_json,
            after: r.after_json,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

fn json<T: Serialize>(v: Option<&T>) -> String {
    v.map(|v| serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
        .unwrap_or_default()
}

/// One record before it joins the chain: written with the change it records, chained by
/// [`seal`] (its id and hashes are given then).
#[derive(Insertable, Clone)]
#[diesel(table_name = audit_pending)]
struct NewRecord {
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: String,
    after_json: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_pending)]
struct PendingRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: String,
    after_json: String,
}

fn add(conn: &mut DbConn, records: Vec<NewRecord>) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    super::insert_many!(conn, audit_pending::table, &records)?;
    Ok(())
}

fn stamp(act: &Act) -> String {
    act.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Appends one record. Call inside the transaction of the change it records: the record is
/// written with it (all or none) and joins the hash chain at the next [`seal`], moments later.
pub fn append<B: Serialize, A: Serialize>(
    conn: &mut DbConn,
    act: &Act,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    add(
        conn,
        vec![NewRecord {
            at: stamp(act),
            actor: act.actor.clone(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: json(before),
            after_json: json(after),
        }],
    )
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub records: i64,
    pub broken: Option<BrokenLink>,
}

/// Seals what is pending, then walks the whole chain in pages and reports the first broken link, if any; also checks that
/// the head matches the last record (so removing the newest records is detected too).
pub fn verify(conn: &mut DbConn) -> Result<Verification> {
    seal(conn)?;
    let mut prev = GENESIS.to_string();
    let mut after = 0i64;
    let mut count = 0i64;
    loop {
        let rows: Vec<Row> = audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(2000)
            .select(Row::as_select())
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        let recs: Vec<AuditRecord> = rows.into_iter().map(AuditRecord::from).collect();
        // Ids run 1, 2, 3… with no gap: a gap is a removed record.
        for r in &recs {
            count += 1;
            if r.id != count {
                return Ok(Verification {
                    records: count,
                    broken: Some(BrokenLink {
                        id: r.id,
                        reason: format!("record {count} is missing before it"),
                    }),
                });
            }
        }
        match verify_chain(&prev, &recs) {
            Ok(last) => prev = last,
            Err(b) => {
                return Ok(Verification {
                    records: count,
                    broken: Some(b),
                })
            }
        }
        after = recs.last().map(|r| r.id).unwrap_or(after);
    }
    let (last_id, last_hash): (i64, String) = audit_head::table
        .find(1i64)
        .select((audit_head::last_id, audit_head::last_hash))
        .first(conn)?;
    let broken = if last_id != count || last_hash != prev {
        Some(BrokenLink {
            id: count + 1,
            reason: format!(
                "the chain's head names record {last_id} but the log ends at record {count} (records were removed from the end)"
            ),
        })
    } else {
        None
    };
    Ok(Verification {
        records: count,
        broken,
    })
}

/// An audit record for display.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: String,
    pub after: String,
}

/// The newest records (what is pending sealed first), optionally of one entity kind.
pub fn recent(conn: &mut DbConn, entity: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    seal(conn)?;
    let mut q = audit_log::table.into_boxed();
    if let Some(e) = entity {
        q = q.filter(audit_log::entity.eq(e.to_string()));
    }
    let rows: Vec<Row> = q
        .order(audit_log::id.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before_json,
            after: r.after_json,
        })
        .collect())
}

/// One record of a batch for [`append_many`].
pub struct Pending<'a> {
    pub act: &'a Act,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub after: String,
}

/// Appends several records, as [`append`] does one.
pub fn append_many(conn: &mut DbConn, items: &[Pending]) -> Result<()> {
    add(
        conn,
        items
            .iter()
            .map(|p| NewRecord {
                at: stamp(p.act),
                actor: p.act.actor.clone(),
                action: p.action.to_string(),
                entity: p.entity.to_string(),
                entity_id: p.entity_id.clone(),
                before_json: String::new(),
                after_json: p.after.clone(),
            })
            .collect(),
    )
}

/// Records chained per transaction of [`seal`].
const SEAL_BATCH: i64 = 5_000;

/// Chains the records written since the last seal into the log, in the order they are found
/// (committed ones only), a batch per transaction: each batch locks the chain's head once.
/// Several sealers (replicas) at once take turns on that lock. Returns how many were chained.
pub fn seal(conn: &mut DbConn) -> Result<usize> {
    let mut total = 0;
    loop {
        let n = super::write_tx(conn, |conn| {
            // Lock the head first: a second sealer waits here and then finds what is left.
            let (last, mut prev): (i64, String) = diesel::update(audit_head::table.find(1i64))
                .set(audit_head::last_id.eq(audit_head::last_id))
                .returning((audit_head::last_id, audit_head::last_hash))
                .get_result(conn)?;
            let pending: Vec<PendingRow> = audit_pending::table
                .order(audit_pending::id.asc())
                .limit(SEAL_BATCH)
                .select(PendingRow::as_select())
                .load(conn)?;
            if pending.is_empty() {
                return Ok(0);
            }
            let mut rows = Vec::with_capacity(pending.len());
            for (k, p) in pending.iter().enumerate() {
                let mut rec = AuditRecord {
                    id: last + 1 + k as i64,
                    at: p.at.clone(),
                    actor: p.actor.clone(),
                    action: p.action.clone(),
                    entity: p.entity.clone(),
                    entity_id: p.entity_id.clone(),
                    before: p.before_json.clone(),
                    after: p.after_json.clone(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                rec.hash = record_hash(&prev, &rec);
                prev = rec.hash.clone();
                rows.push(Row {
                    id: rec.id,
                    at: rec.at,
                    actor: rec.actor,
                    action: rec.action,
                    entity: rec.entity,
                    entity_id: rec.entity_id,
                    before_json: rec.before,
                    after_json: rec.after,
                    prev_hash: rec.prev_hash,
                    hash: rec.hash,
                });
            }
            for chunk in rows.chunks(500) {
                super::insert_many!(conn, audit_log::table, chunk)?;
            }
            let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
            for chunk in ids.chunks(500) {
                diesel::delete(audit_pending::table.filter(audit_pending::id.eq_any(chunk)))
                    .execute(conn)?;
            }
            diesel::update(audit_head::table.find(1i64))
                .set((
                    audit_head::last_id.eq(last + pending.len() as i64),
                    audit_head::last_hash.eq(prev),
                ))
                .execute(conn)?;
            Ok(pending.len())
        })?;
        total += n;
        if (n as i64) < SEAL_BATCH {
            return Ok(total);
        }
    }
}

/// Seals the log every `every` on a thread of its own, for as long as the process runs (the
/// records are safe in the meantime: they were written with their changes).
pub fn start_sealer(store: super::Store, every: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("jicai-audit-sealer".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            match store.conn() {
                Ok(mut c) => {
                    if let Err(e) = seal(&mut c) {
                        tracing::error!("audit sealer: {e}");
                    }
                }
                Err(e) => tracing::error!("audit sealer: no connection: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::error!("audit sealer: cannot start: {e}");
    }
}

/// What the audit log is searched by (each empty: any). `from` and `to` are UTC stamps in the
/// log's own format (`at` sorts as text): `from` included, `to` excluded.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn entry_of(r: Row) -> Entry {
    Entry {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        entity: r.entity,
        entity_id: r.entity_id,
        before: r.before_json,
        after: r.after_json,
    }
}

/// A page of the log, newest first, as searched (what is pending sealed first).
pub fn search(
    conn: &mut DbConn,
    s: &Search,
    page: &crate::domain::paging::PageRequest,
) -> Result<crate::domain::paging::Page<Entry>> {
    seal(conn)?;
    let build = || {
        let mut q = audit_log::table.into_boxed::<super::MultiBackend>();
        if let Some(a) = &s.actor {
            q = q.filter(audit_log::actor.eq(a.clone()));
        }
        if let Some(a) = &s.action {
            q = q.filter(audit_log::action.eq(a.clone()));
        }
        if let Some(e) = &s.entity {
            q = q.filter(audit_log::entity.eq(e.clone()));
        }
        if let Some(e) = &s.entity_id {
            q = q.filter(audit_log::entity_id.eq(e.clone()));
        }
        if let Some(f) = &s.from {
            q = q.filter(audit_log::at.ge(f.clone()));
        }
        if let Some(t) = &s.to {
            q = q.filter(audit_log::at.lt(t.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<Row> = build()
        .order(audit_log::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Row::as_select())
        .load(conn)?;
    Ok(page.of(rows.into_iter().map(entry_of).collect(), total))
}

/// One record of the log (sealed first), if there is one with this id.
pub fn entry(conn: &mut DbConn, id: i64) -> Result<Option<Entry>> {
    seal(conn)?;
    Ok(audit_log::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(entry_of))
}

/// The actors and the action codes found in the log, sorted (the filters' choices).
pub fn actors_and_actions(conn: &mut DbConn) -> Result<(Vec<String>, Vec<String>)> {
    // Not the actors of bids: a bidder listed here would say who bid before the deadline.
    let actors: Vec<String> = audit_log::table
        .filter(audit_log::entity.ne("bid"))
        .select(audit_log::actor)
        .distinct()
        .order(audit_log::actor.asc())
        .load(conn)?;
    let actions: Vec<String> = audit_log::table
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load(conn)?;
    Ok((actors, actions))
}

/// A record's name in Chinese and in English.
pub type Names = std::collections::BTreeMap<(String, String), (String, String)>;

/// The names of the records these entries are about, by `(entity, entity id)`, for the kinds
/// that have one (a drug, a party, a user, a tender, a region, a shortage's or a contract's
/// drug); the others are named by their id where they are shown. Users by their username too:
/// `("user", username)`, for the actors.
pub fn names_of(conn: &mut DbConn, entries: &[Entry]) -> Result<Names> {
    let mut ids: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for e in entries {
        if let Ok(id) = e.entity_id.parse::<i64>() {
            ids.entry(e.entity.as_str()).or_default().insert(id);
        }
    }
    let of = |k: &str| -> Vec<i64> {
        ids.get(k)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    };
    let mut out = Names::new();
    drug_names(conn, &of, &mut out)?;
    record_names(conn, &of, &mut out)?;
    let mut user_ids = of("user");
    user_ids.truncate(5000);
    let actors: BTreeSet<String> = entries.iter().map(|e| e.actor.clone()).collect();
    user_names(conn, &user_ids, &actors, &mut out)?;
    Ok(out)
}

fn put(out: &mut Names, kind: &str, id: String, zh: String, en: String) {
    out.insert((kind.to_string(), id), (zh, en));
}

/// A drug, a shortage and a contract are named by their drug ("name form strength (code)"); a
/// product by its drug and approval number.
fn drug_names(conn: &mut DbConn, of: &dyn Fn(&str) -> Vec<i64>, out: &mut Names) -> Result<()> {
    use super::schema::{contracts, drugs, products, shortages};
    type Row = (i64, String, String, String, String, String);
    let cols = (
        drugs::code,
        drugs::name_zh,
        drugs::inn,
        drugs::dosage_form,
        drugs::strength,
    );
    for kind in ["drug", "shortage", "contract"] {
        for chunk in of(kind).chunks(500) {
            let rows: Vec<Row> = match kind {
                "drug" => drugs::table
                    .filter(drugs::id.eq_any(chunk))
                    .select((drugs::id, cols))
                    .load::<(i64, (String, String, String, String, String))>(conn)?,
                "shortage" => shortages::table
                    .inner_join(drugs::table)
                    .filter(shortages::id.eq_any(chunk))
                    .select((shortages::id, cols))
                    .load(conn)?,
                _ => contracts::table
                    .inner_join(drugs::table.on(drugs::id.eq(contracts::drug_id)))
                    .filter(contracts::id.eq_any(chunk))
                    .select((contracts::id, cols))
                    .load(conn)?,
            }
            .into_iter()
            .map(|(id, (code, zh, inn, form, strength))| (id, code, zh, inn, form, strength))
            .collect();
            for (id, code, zh, inn, form, strength) in rows {
                put(
                    out,
                    kind,
                    id.to_string(),
                    format!("{zh} {form} {strength}（{code}）"),
                    format!("{inn} {form} {strength} ({code})"),
                );
            }
        }
    }
    for chunk in of("product").chunks(500) {
        let rows: Vec<(i64, String, String, String)> = products::table
            .inner_join(drugs::table)
            .filter(products::id.eq_any(chunk))
            .select((
                products::id,
                drugs::name_zh,
                drugs::inn,
                products::approval_number,
            ))
            .load(conn)?;
        for (id, zh, inn, no) in rows {
            put(
                out,
                "product",
                id.to_string(),
                format!("{zh} {no}"),
                format!("{inn} {no}"),
            );
        }
    }
    Ok(())
}

/// Institutions, suppliers and tenders by the one name they have; regions in both languages.
fn record_names(conn: &mut DbConn, of: &dyn Fn(&str) -> Vec<i64>, out: &mut Names) -> Result<()> {
    use super::schema::{institutions, regions, suppliers, tenders};
    // The kinds named by one column of their own table, looked up by id.
    macro_rules! named_by_id {
        ($kind:literal, $table:ident, $name:ident) => {
            for chunk in of($kind).chunks(500) {
                let rows: Vec<(i64, String)> = $table::table
                    .filter($table::id.eq_any(chunk))
                    .select(($table::id, $table::$name))
                    .load(conn)?;
                for (id, n) in rows {
                    put(out, $kind, id.to_string(), n.clone(), n);
                }
            }
        };
    }
    named_by_id!("institution", institutions, name);
    named_by_id!("supplier", suppliers, name);
    named_by_id!("tender", tenders, title);
    for chunk in of("region").chunks(500) {
        let rows: Vec<(i64, String, String)> = regions::table
            .filter(regions::id.eq_any(chunk))
            .select((regions::id, regions::name_zh, regions::name_en))
            .load(conn)?;
        for (id, zh, en) in rows {
            put(out, "region", id.to_string(), zh, en);
        }
    }
    Ok(())
}

/// Users by id (the records) and by username (the actors), as their display names.
fn user_names(
    conn: &mut DbConn,
    ids: &[i64],
    actors: &BTreeSet<String>,
    out: &mut Names,
) -> Result<()> {
    use super::schema::users;
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::display_name))
            .load(conn)?;
        for (id, n) in rows {
            put(out, "user", id.to_string(), n.clone(), n);
        }
    }
    let actors: Vec<String> = actors.iter().cloned().collect();
    for chunk in actors.chunks(500) {
        let rows: Vec<(String, String)> = users::table
            .filter(users::username.eq_any(chunk))
            .select((users::username, users::display_name))
            .load(conn)?;
        for (u, n) in rows {
            put(out, "actor", u, n.clone(), n);
        }
    }
    Ok(())
}
