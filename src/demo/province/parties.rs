//! Writes the generated regions, institutions, suppliers and their licences.

use chrono::NaiveDateTime;

use super::names::{place, CITIES, DISTRIBUTOR_SUFFIXES, MAKER_SUFFIXES, SYL1, SYL2};
use super::plan::{at, ymd};
use super::sql::{Day, Inserter, Ts, B, Q};
use super::{take, Gen};
use crate::domain::catalog::{CreditStatus, InstitutionKind, RegionLevel, SupplierKind};
use crate::store::{sql_word, DbConn, StoreError};

/// The region ids the later tables refer to.
pub(super) struct Places {
    pub(super) province: i64,
    /// In city order.
    pub(super) cities: Vec<i64>,
    /// In township order.
    pub(super) townships: Vec<i64>,
}

/// When the generated parties were created.
pub(super) fn created() -> NaiveDateTime {
    at(ymd(2025, 6, 1), 0)
}

impl Gen {
    /// Regions: province, cities, counties, townships (ids in that order).
    pub(super) fn write_regions(&mut self, conn: &mut DbConn) -> Result<Places, StoreError> {
        let p = self.p;
        let pre = self.pre;
        let (w_province, w_city, w_county) = (
            sql_word(RegionLevel::Province),
            sql_word(RegionLevel::City),
            sql_word(RegionLevel::County),
        );
        let mut rg = Inserter::new("regions", "id, code, name_zh, name_en, level, parent_id");
        let province = self.id("regions");
        let (pname, pname_en) = if pre == 34 {
            ("安徽省".to_string(), "Anhui Province".to_string())
        } else {
            (format!("生成省{pre}"), format!("Generated Province {pre}"))
        };
        row!(
            rg,
            "({province},{},{},{},{w_province},NULL)",
            Q(&format!("{pre}0000")),
            Q(&pname),
            Q(&pname_en)
        );
        let mut city_ids = vec![];
        for (code, zh, en) in CITIES.iter().take(p.cities) {
            let id = self.id("regions");
            city_ids.push(id);
            row!(
                rg,
                "({id},{},{},{},{w_city},{province})",
                Q(&format!("{pre}{code}00")),
                Q(zh),
                Q(&format!("{en} City"))
            );
        }
        for c in 0..p.counties {
            let id = self.id("regions");
            debug_assert_eq!(id, self.counties[c].id);
            let (a, b, ae, be) = place(c);
            row!(
                rg,
                "({id},{},{},{},{w_county},{})",
                Q(&self.counties[c].code),
                Q(&format!("{a}{b}县")),
                Q(&format!("{ae}{be} County")),
                city_ids[c % p.cities]
            );
        }
        let township_ids = self.township_rows(&mut rg);
        rg.flush(conn)?;
        self.count(&rg);
        Ok(Places {
            province,
            cities: city_ids,
            townships: township_ids,
        })
    }

    /// The townships' rows, under their counties; their ids in township order.
    fn township_rows(&mut self, rg: &mut Inserter) -> Vec<i64> {
        let w_township = sql_word(RegionLevel::Township);
        let mut township_ids = vec![];
        for c in 0..self.p.counties {
            for k in 0..self.counties[c].centers.len() {
                let id = self.id("regions");
                let (a, b, ae, be) = place(township_ids.len() + 3);
                township_ids.push(id);
                row!(
                    rg,
                    "({id},{},{},{},{w_township},{})",
                    Q(&format!("{}{:03}", self.counties[c].code, 100 + k)),
                    Q(&format!("{a}{b}镇")),
                    Q(&format!("{ae}{be} Town")),
                    self.counties[c].id
                );
            }
        }
        township_ids
    }

    /// Institutions: the township centers, then their village clinics.
    pub(super) fn write_institutions(
        &mut self,
        conn: &mut DbConn,
        township_ids: &[i64],
    ) -> Result<(), StoreError> {
        let w_township_center = sql_word(InstitutionKind::TownshipCenter);
        let w_village_clinic = sql_word(InstitutionKind::VillageClinic);
        let created = created();
        let mut ins = Inserter::new(
            "institutions",
            "id, code, name, kind, region_id, parent_id, remote, emails, created_at",
        );
        for &i in &self.centers {
            let inst = &self.insts[i];
            let (a, b, _, _) = place(inst.township + 3);
            row!(
                ins,
                "({},{},{},{w_township_center},{},NULL,{},{},{})",
                inst.id,
                Q(&inst.code),
                Q(&format!("{a}{b}镇卫生院")),
                township_ids[inst.township],
                B(inst.remote),
                Q(&format!("{}@gen.jicai.test", inst.code.to_lowercase())),
                Ts(created)
            );
        }
        let mut nth = 0usize;
        let mut last_parent = usize::MAX;
        for &i in &self.villages {
            let inst = &self.insts[i];
            let parent = inst.parent.expect("a village clinic has its center");
            nth = if parent == last_parent { nth + 1 } else { 1 };
            last_parent = parent;
            let (a, b, _, _) = place(inst.township + 3);
            row!(
                ins,
                "({},{},{},{w_village_clinic},{},{},{},'',{})",
                inst.id,
                Q(&inst.code),
                Q(&format!("{a}{b}镇{nth}村卫生室")),
                township_ids[inst.township],
                self.insts[parent].id,
                B(inst.remote),
                Ts(created)
            );
        }
        self.next.insert(
            "institutions",
            self.next["institutions"] + self.insts.len() as i64,
        );
        ins.flush(conn)?;
        self.count(&ins);
        Ok(())
    }

    /// Suppliers and their licences.
    pub(super) fn write_suppliers(
        &mut self,
        conn: &mut DbConn,
        city_ids: &[i64],
    ) -> Result<(), StoreError> {
        let p = self.p;
        let w_good = sql_word(CreditStatus::Good);
        let created = created();
        let mut sup = Inserter::new(
            "suppliers",
            "id, uscc, name, kind, region_id, credit_status, emails, created_at",
        );
        let mut lic = Inserter::new("licences", "id, supplier_id, kind, number, expires_on");
        for i in 0..self.suppliers.len() {
            let maker = i < p.manufacturers;
            let n = if maker { i } else { i - p.manufacturers };
            let city = n % p.cities;
            let (uscc, name) = self.supplier_names(i, maker, n, city);
            let s = &self.suppliers[i];
            row!(
                sup,
                "({},{},{},{},{},{w_good},{},{})",
                s.id,
                Q(&uscc),
                Q(&name),
                Q(if maker {
                    SupplierKind::Manufacturer
                } else {
                    SupplierKind::Distributor
                }
                .as_str()),
                city_ids[city],
                Q(&format!("s{}@gen.jicai.test", s.id)),
                Ts(created)
            );
            for (kind, number, expires) in s.licences.clone() {
                let id = take(&mut self.next, "licences");
                row!(
                    lic,
                    "({id},{},{},{},{})",
                    s.id,
                    Q(kind),
                    Q(&number),
                    Day(expires)
                );
            }
        }
        sup.flush(conn)?;
        lic.flush(conn)?;
        self.count(&sup);
        self.count(&lic);
        Ok(())
    }

    /// The USCC and name of supplier `i`, the `n`-th manufacturer (or distribution enterprise)
    /// of city `city`.
    fn supplier_names(&self, i: usize, maker: bool, n: usize, city: usize) -> (String, String) {
        let first17 = format!("91{}{}00MAG{:06}", self.pre, CITIES[city].0, i + 1);
        let uscc = format!(
            "{first17}{}",
            crate::domain::ids::uscc_check_char(&first17).expect("valid characters")
        );
        let (a, b, _, _) = place(n);
        let name = if maker {
            let s = MAKER_SUFFIXES[(n / (SYL1.len() * SYL2.len())) % MAKER_SUFFIXES.len()];
            format!("安徽{a}{b}{s}")
        } else {
            let s =
                DISTRIBUTOR_SUFFIXES[(n / (SYL1.len() * SYL2.len())) % DISTRIBUTOR_SUFFIXES.len()];
            format!("{}{a}{b}{s}", &CITIES[city].1.trim_end_matches('市'))
        };
        (uscc, name)
    }
}
