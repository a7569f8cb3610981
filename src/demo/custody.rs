//! The demo's key custodians: five center users with custodian keys (their key files written
//! beside the master key, under known passphrases that `jicai demo` prints), and a tender
//! sealed by quorum (3 of 5), its key formed by their dealings, open for bids. For trying the
//! workflow only: these keys and passphrases are public.

use chrono::{DateTime, Duration, Utc};
use std::path::{Path, PathBuf};

use crate::domain::award::{AwardPolicy, MultiParams};
use crate::domain::roles::Role;
use crate::domain::tender::TenderAction;
use crate::domain::Code;
use crate::sealing::quorum::{self, CustodianKey};
use crate::sealing::{MasterKey, Mode};
use crate::store::tenders::{self as ts, custody, TenderSpec};
use crate::store::{users, Act, DbConn, StoreError};

/// (username, display name) of the demo's custodians.
pub const KEEPERS: &[(&str, &str)] = &[
    ("keeper1", "采购中心主任 王建国 (director)"),
    ("keeper2", "纪检监察 李清 (discipline inspection)"),
    ("keeper3", "公证员 张公正 (notary)"),
    ("keeper4", "采购中心 赵敏 (center staff)"),
    ("keeper5", "采购中心 钱进 (center staff)"),
];

/// A demo custodian: username, display name, passphrase, key file.
pub struct Keeper {
    pub username: String,
    pub display: String,
    pub passphrase: String,
    pub key_file: PathBuf,
}

pub fn passphrase(username: &str) -> String {
    format!("{username}-demo-passphrase")
}

/// Loads the custodians and the quorum tender (in the caller's transaction) and writes the
/// key files into `dir` (kept when they are there already: the keys are the same).
pub fn load(
    conn: &mut DbConn,
    dir: &Path,
    master: &MasterKey,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Vec<Keeper>, StoreError> {
    let act = Act::new("center", now - Duration::days(7));
    let hash = crate::security::hash_password(super::DEMO_PASSWORD)?;
    let mut keepers = vec![];
    let mut ids = vec![];
    for (username, display) in KEEPERS {
        let (user_id, key, keeper) = add_keeper(conn, &act, &hash, username, display, dir)?;
        ids.push((user_id, key));
        keepers.push(keeper);
    }
    let quorum_master = master.clone().sealing(Mode::Quorum);
    let t = draft_quorum_tender(conn, &act, &quorum_master, now)?;
    appoint_and_deal(conn, &act, t.id, &ids)?;
    ts::apply_action(
        conn,
        &act,
        &quorum_master,
        tz,
        t.id,
        TenderAction::Publish,
        None,
    )?;
    Ok(keepers)
}

/// One custodian: a center user with the demo password, its key (from a known seed)
/// registered, and its key file written under the known passphrase unless it is there:
/// (user id, key, the keeper as `jicai demo` prints it).
fn add_keeper(
    conn: &mut DbConn,
    act: &Act,
    hash: &str,
    username: &str,
    display: &str,
    dir: &Path,
) -> Result<(i64, CustodianKey, Keeper), StoreError> {
    let u = users::NewUser {
        username: username.to_string(),
        password_hash: hash.to_string(),
        display_name: display.to_string(),
        role: Role::Center,
        supplier_id: None,
        institution_id: None,
        email: format!("{username}@demo.jicai.test"),
        language: "zh-CN".into(),
    };
    let user = users::create(conn, act, &u)?;
    let key = CustodianKey::from_seed(format!("jicai demo {username}").as_bytes());
    custody::register_key(conn, act, user.id, &key.public_hex())?;
    let file = dir.join(format!("{username}.key"));
    let pass = passphrase(username);
    if !file.exists() {
        let json = serde_json::to_string_pretty(&key.to_file(&pass)).expect("key file serializes");
        crate::keyfile::write_private(&file, json.as_bytes()).map_err(|e| {
            StoreError::Conflict(
                crate::domain::Msg::new(Code::DemoDataRefused)
                    .arg("what", file.display())
                    .arg("detail", e),
            )
        })?;
    }
    let keeper = Keeper {
        username: username.to_string(),
        display: display.to_string(),
        passphrase: pass,
        key_file: file,
    };
    Ok((user.id, key, keeper))
}

/// The tender: demand for two drugs, then a draft sealed by quorum.
fn draft_quorum_tender(
    conn: &mut DbConn,
    act: &Act,
    quorum_master: &MasterKey,
    now: DateTime<Utc>,
) -> Result<ts::Tender, StoreError> {
    let province = super::tenders::province(conn)?;
    let w = ts::open_window(
        conn,
        act,
        "2027年度基本药物需求填报（第三批）",
        province.id,
        now - Duration::days(6),
    )?;
    super::tenders::demand(conn, act, w.id, &["D0012", "D0003"])?;
    ts::close_window(conn, act, w.id)?;
    let lots = super::tenders::spec(
        conn,
        &[
            (
                "D0003",
                "1.20",
                AwardPolicy::MultipleWinners(MultiParams::default()),
            ),
            ("D0012", "1.80", AwardPolicy::LowestPrice),
        ],
    )?;
    ts::create_tender(
        conn,
        act,
        quorum_master,
        &TenderSpec {
            title: "2027年度基本药物集中带量采购（第三批，密钥保管人开标）".into(),
            region_id: province.id,
            window_id: w.id,
            bid_deadline: now + Duration::days(10),
            objection_days: 3,
            contract_months: 12,
            lots,
        },
    )
}

/// The tender's custodians appointed, and each custodian's dealing (made here as each would
/// on its own machine) recorded.
fn appoint_and_deal(
    conn: &mut DbConn,
    act: &Act,
    tender_id: i64,
    ids: &[(i64, CustodianKey)],
) -> Result<(), StoreError> {
    let users: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
    custody::appoint(conn, act, tender_id, &users, custody::DEFAULT_QUORUM)?;
    let pubs: Vec<quorum::RistrettoPoint> = ids.iter().map(|(_, k)| k.public()).collect();
    for (i, (user, _)) in ids.iter().enumerate() {
        let d = quorum::deal(
            tender_id,
            i as u32 + 1,
            custody::DEFAULT_QUORUM as usize,
            &pubs,
        )
        .map_err(|_| StoreError::Conflict(Code::DealingRefused.into()))?;
        custody::record_dealing(conn, act, tender_id, *user, &d)?;
    }
    Ok(())
}
