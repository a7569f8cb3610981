//! Writes the generated demand window and the 2026 tender, contracted: one lot per
//! contracted drug, its bids (one version each, sealed to the tender's key as real bids are),
//! contracts, allocations and distributors.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::plan::{at, ymd};
use super::sql::{Day, Inserter, Ts, Q};
use super::{take, Gen};
use crate::domain::award::{
    AwardPolicy, LotAward, MultiParams, Outcome, PolicyKind, Ranked, Winner,
};
use crate::domain::money::Money;
use crate::domain::tender::{
    BidStatus, ContractStatus, LotStatus, TechnicalResult, TenderState, WindowStatus,
};
use crate::sealing::{self, MasterKey};
use crate::store::schema::counters;
use crate::store::{sql_word, DbConn, StoreError};

/// The tables of the tender's lots, in the order their references need.
struct TenderTables {
    lots: Inserter,
    bids: Inserter,
    versions: Inserter,
    contracts: Inserter,
    counties: Inserter,
    alloc: Inserter,
    dist: Inserter,
}

impl TenderTables {
    fn new() -> Self {
        TenderTables {
            lots: Inserter::new(
                "lots",
                "id, tender_id, lot_no, drug_id, reported_demand, agreed_share_bp, \
                 agreed_volume, max_unit_price, min_bidders, consistency_required, policy, \
                 policy_json, status, result_json",
            ),
            bids: Inserter::new(
                "bids",
                "id, lot_id, supplier_id, status, version, submission_seq, product_id, \
                 annual_capacity, technical_json, technical_digest, commercial_digest, \
                 commercial_nonce, commercial_sealed, submitted_at, technical_result, \
                 technical_reasons, technical_score, package_price, unit_price",
            ),
            versions: Inserter::new(
                "bid_versions",
                "id, bid_id, version, action, at, product_id, annual_capacity, technical_json, \
                 technical_digest, commercial_digest, commercial_nonce, commercial_sealed",
            ),
            contracts: Inserter::new(
                "contracts",
                "id, lot_id, bid_id, supplier_id, product_id, region_id, unit_price, \
                 committed_volume, starts_on, ends_on, status, created_at, drug_id",
            ),
            counties: Inserter::new("contract_counties", "contract_id, county_id"),
            alloc: Inserter::new(
                "contract_allocations",
                "id, contract_id, institution_id, volume",
            ),
            dist: Inserter::new(
                "contract_distributors",
                "id, contract_id, county_id, distributor_id",
            ),
        }
    }

    fn all(&mut self) -> [&mut Inserter; 7] {
        [
            &mut self.lots,
            &mut self.bids,
            &mut self.versions,
            &mut self.contracts,
            &mut self.counties,
            &mut self.alloc,
            &mut self.dist,
        ]
    }
}

/// The tender the bids are sealed to.
struct Sealing {
    tender: i64,
    envelope_key: String,
    /// When the bids were submitted (spread over the minutes after it).
    submitted: NaiveDateTime,
}

impl Gen {
    /// The demand window, the tender and its lots, bids and contracts.
    pub(super) fn write_tender(
        &mut self,
        conn: &mut DbConn,
        master: &MasterKey,
        province: i64,
        drug_ids: &[i64],
    ) -> Result<(), StoreError> {
        let sealing = self.write_window_and_tender(conn, master, province)?;
        // One lot per contracted drug, in drug order.
        let mut by_drug: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, c) in self.contracts.iter().enumerate() {
            by_drug
                .entry(self.products[c.product].drug)
                .or_default()
                .push(k);
        }
        let mut t = TenderTables::new();
        let mut seq: i64 = counters::table
            .find("bid_submission")
            .select(counters::value)
            .first(conn)?;
        let mut group_of = vec![0usize; self.contracts.len()];
        for (gi, gr) in self.groups.iter().enumerate() {
            for &k in &gr.contracts {
                group_of[k] = gi;
            }
        }
        for (lot_no, (drug, ks)) in by_drug.iter().enumerate() {
            let lot = self.id("lots");
            self.lot_row(
                &mut t.lots,
                sealing.tender,
                lot,
                lot_no,
                drug_ids[*drug],
                ks,
            );
            for &k in ks {
                seq += 1;
                self.bid_rows(&mut t, &sealing, lot, k, seq)?;
                self.contract_rows(&mut t, lot, drug_ids[*drug], k, group_of[k]);
            }
        }
        let bids_total = self.contracts.len() as i64;
        self.next.insert("bids", self.next["bids"] + bids_total);
        diesel::update(counters::table.find("bid_submission"))
            .set(counters::value.eq(seq))
            .execute(conn)?;
        for ins in t.all() {
            ins.flush(conn)?;
        }
        for ins in t.all() {
            self.count(ins);
        }
        Ok(())
    }

    /// The closed demand window and the contracted tender, with its envelope key.
    fn write_window_and_tender(
        &mut self,
        conn: &mut DbConn,
        master: &MasterKey,
        province: i64,
    ) -> Result<Sealing, StoreError> {
        let window = self.id("demand_windows");
        let mut dw = Inserter::new(
            "demand_windows",
            "id, title, region_id, closes_at, status, created_at",
        );
        row!(
            dw,
            "({window},'2026年度基层医疗机构药品需求填报（生成数据）',{province},{},{},{})",
            Ts(at(ymd(2025, 9, 30), 10)),
            sql_word(WindowStatus::Closed),
            Ts(at(ymd(2025, 9, 1), 1))
        );
        dw.flush(conn)?;
        self.count(&dw);
        let tender = self.id("tenders");
        let salt = sealing::new_salt();
        let envelope_key = master.tender_public_key(tender, &salt);
        let mut tn = Inserter::new(
            "tenders",
            "id, title, region_id, window_id, state, bid_deadline, objection_days, \
             objection_deadline, contract_months, key_salt, cancel_reason, created_at, \
             published_at, envelope_key",
        );
        row!(
            tn,
            "({tender},'2026年度安徽省基层医疗机构药品集中带量采购（生成数据）',{province},{window},\
             {},{},3,{},12,{},NULL,{},{},{})",
            sql_word(TenderState::Contracted),
            Ts(at(ymd(2025, 11, 10), 2)),
            Ts(at(ymd(2025, 11, 20), 2)),
            Q(&salt),
            Ts(at(ymd(2025, 10, 8), 2)),
            Ts(at(ymd(2025, 10, 10), 2)),
            Q(&envelope_key)
        );
        tn.flush(conn)?;
        self.count(&tn);
        Ok(Sealing {
            tender,
            envelope_key,
            submitted: at(ymd(2025, 11, 8), 3),
        })
    }

    /// The lot of one drug, awarded to its contracts' bids by lowest price (multiple winners,
    /// each the primary supplier of its county).
    fn lot_row(
        &self,
        lots: &mut Inserter,
        tender: i64,
        lot: i64,
        lot_no: usize,
        drug_id: i64,
        ks: &[usize],
    ) {
        let params = MultiParams::default();
        let policy = AwardPolicy::MultipleWinners(params.clone());
        let policy_json = serde_json::to_string(&policy).expect("policy serializes");
        let agreed: i64 = ks.iter().map(|&k| self.contracts[k].committed).sum();
        let share_d = params.share_for(ks.len());
        let share_bp: i64 = (share_d * Decimal::from(10_000))
            .round()
            .try_into()
            .unwrap_or(7_000);
        let max_price = ks
            .iter()
            .map(|&k| self.products[self.contracts[k].product].list_price)
            .max()
            .unwrap_or(1)
            * 6
            / 5;
        let (winners, ranking) = self.winners(ks);
        let result = LotAward {
            lot_id: lot,
            outcome: Outcome::Awarded {
                agreed_share: share_d,
                agreed_volume: agreed,
                winners,
                invalid: vec![],
                ranking,
            },
        };
        row!(
            lots,
            "({lot},{tender},{},{drug_id},{},{share_bp},{agreed},{max_price},2,FALSE,\
             {},{},{},{})",
            lot_no + 1,
            agreed * 10_000 / share_bp.max(1),
            sql_word(PolicyKind::MultipleWinners),
            Q(&policy_json),
            sql_word(LotStatus::Awarded),
            Q(&serde_json::to_string(&result).expect("award serializes"))
        );
    }

    /// The winners and the ranking of a lot whose contracts are `ks`: every bid wins, ranked
    /// by price.
    fn winners(&self, ks: &[usize]) -> (Vec<Winner>, Vec<Ranked>) {
        let mut ranked: Vec<usize> = ks.to_vec();
        ranked.sort_by_key(|&k| (self.contracts[k].price, self.contracts[k].id));
        let mut winners = vec![];
        let mut ranking = vec![];
        for (rank, &k) in ranked.iter().enumerate() {
            let c = &self.contracts[k];
            let county = &self.counties[c.county];
            let centers = &county.centers;
            let mut vols = vec![];
            for (j, &i) in centers.iter().enumerate() {
                vols.push((
                    self.insts[i].code.clone(),
                    (c.committed / centers.len() as i64)
                        + i64::from((j as i64) < c.committed % centers.len() as i64),
                ));
            }
            vols.sort();
            let bid_id = self.bid_id(k);
            winners.push(Winner {
                bid_id,
                supplier_id: self.suppliers[c.maker].id,
                rank: rank + 1,
                unit_price: Money::from_ten_thousandths(c.price),
                score: None,
                volume: c.committed,
                primary_counties: vec![county.code.clone()],
                backup_for: vec![],
                institution_volumes: vols,
            });
            ranking.push(Ranked {
                bid_id,
                supplier_id: self.suppliers[c.maker].id,
                rank: rank + 1,
                unit_price: Money::from_ten_thousandths(c.price),
                score: None,
                winner: true,
            });
        }
        (winners, ranking)
    }

    /// The bid behind contract `k` (submission `seq`) and its one version, sealed.
    fn bid_rows(
        &mut self,
        t: &mut TenderTables,
        s: &Sealing,
        lot: i64,
        k: usize,
        seq: i64,
    ) -> Result<(), StoreError> {
        let tender = s.tender;
        let c = &self.contracts[k];
        let product = &self.products[c.product];
        let supplier = &self.suppliers[c.maker];
        let bid = self.bid_id(k);
        let capacity = c.committed * 3;
        let licences: Vec<(&str, &str, String)> = supplier
            .licences
            .iter()
            .map(|(k, n, d)| (*k, n.as_str(), d.to_string()))
            .collect();
        let tech = serde_json::json!({
            "lot_id": lot,
            "supplier_id": supplier.id,
            "product_id": product.id,
            "annual_capacity": capacity,
            "licences": licences,
            "documents": [],
        })
        .to_string();
        let tech_digest = sealing::sha256_hex(tech.as_bytes());
        let package = c.price * product.per_package as i64;
        let plain = serde_json::json!({
            "package_price": Money::from_ten_thousandths(package).to_string(),
            "salt": sealing::new_salt(),
        })
        .to_string();
        let binding = format!(
            "tender {tender} lot {lot} supplier {} version 1",
            supplier.id
        );
        let sealed = sealing::seal(&s.envelope_key, tender, &binding, plain.as_bytes())?;
        let at = Ts(s.submitted + Duration::minutes(k as i64 % 600));
        row!(
            t.bids,
            "({bid},{lot},{},{},1,{seq},{},{capacity},{},{},{},{},{},{at},{},'[]',\
             NULL,{package},{})",
            supplier.id,
            sql_word(BidStatus::Active),
            product.id,
            Q(&tech),
            Q(&tech_digest),
            Q(&sealed.digest),
            Q(&sealed.nonce),
            Q(&sealed.ciphertext),
            sql_word(TechnicalResult::Passed),
            c.price
        );
        let product_id = product.id;
        let v = take(&mut self.next, "bid_versions");
        row!(
            t.versions,
            "({v},{bid},1,'submit',{at},{product_id},{capacity},{},{},{},{},{})",
            Q(&tech),
            Q(&tech_digest),
            Q(&sealed.digest),
            Q(&sealed.nonce),
            Q(&sealed.ciphertext)
        );
        Ok(())
    }

    /// Contract `k` in force for 2026, its allocations to the county's township centers and
    /// the distribution enterprise of its group.
    fn contract_rows(&mut self, t: &mut TenderTables, lot: i64, drug: i64, k: usize, group: usize) {
        let c = &self.contracts[k];
        let supplier = self.suppliers[c.maker].id;
        let product = self.products[c.product].id;
        let bid = self.bid_id(k);
        let county = &self.counties[c.county];
        row!(
            t.contracts,
            "({},{lot},{bid},{supplier},{product},{},{},{},{},{},{},{},{drug})",
            c.id,
            county.id,
            c.price,
            c.committed,
            Day(ymd(2026, 1, 1)),
            Day(ymd(2026, 12, 31)),
            sql_word(ContractStatus::InForce),
            Ts(at(ymd(2025, 12, 15), 2))
        );
        row!(t.counties, "({},{})", c.id, county.id);
        let n = county.centers.len() as i64;
        for (j, &i) in county.centers.iter().enumerate() {
            let id = take(&mut self.next, "contract_allocations");
            row!(
                t.alloc,
                "({id},{},{},{})",
                c.id,
                self.insts[i].id,
                c.committed / n + i64::from((j as i64) < c.committed % n)
            );
        }
        let id = take(&mut self.next, "contract_distributors");
        let distributor = self.suppliers[self.groups[group].distributor].id;
        row!(t.dist, "({id},{},{},{distributor})", c.id, county.id);
    }

    /// The bid of contract `k`: bids are numbered like the contracts.
    fn bid_id(&self, k: usize) -> i64 {
        self.next["bids"] + k as i64
    }
}
