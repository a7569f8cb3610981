//! Writes the generated drugs and products.

use rand::rngs::StdRng;
use rand::Rng;

use super::names::{FORMS, STEMS, STRENGTHS};
use super::sql::{Inserter, Opt, B, Q};
use super::Gen;
use crate::domain::catalog::{Category, ListOrigin};
use crate::store::{DbConn, StoreError};

impl Gen {
    /// The drugs; their ids in drug order.
    pub(super) fn write_drugs(&mut self, conn: &mut DbConn) -> Result<Vec<i64>, StoreError> {
        let p = self.p;
        let pre = self.pre;
        let mut dr = Inserter::new(
            "drugs",
            "id, code, name_zh, inn, dosage_form, strength, unit, origin, category, atc_code, \
             search_text",
        );
        let mut drug_ids = vec![];
        for d in 0..p.drugs {
            let id = self.id("drugs");
            drug_ids.push(id);
            let (zh, inn, atc, category) = STEMS[d % STEMS.len()];
            let form = &FORMS[(d / STEMS.len()) % FORMS.len()];
            let strength = STRENGTHS[(d / (STEMS.len() * FORMS.len())) % STRENGTHS.len()];
            let code = format!("G{pre}D{:05}", d + 1);
            let name = format!("{}{zh}{}", form.prefix, form.suffix);
            let search = format!("{code} {name} {inn} {}", atc.unwrap_or("")).to_lowercase();
            row!(
                dr,
                "({id},{},{},{},{},{},{},{},{},{},{})",
                Q(&code),
                Q(&name),
                Q(inn),
                Q(form.dosage_form),
                Q(strength),
                Q(form.unit.as_str()),
                Q(if d % 5 == 0 {
                    ListOrigin::Provincial
                } else {
                    ListOrigin::National
                }
                .as_str()),
                Q(category.as_str()),
                Opt(atc.map(Q)),
                Q(&search)
            );
        }
        dr.flush(conn)?;
        self.count(&dr);
        Ok(drug_ids)
    }

    /// The products of the plan, each with its GTIN (mostly), consistency and originator.
    pub(super) fn write_products(
        &mut self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        drug_ids: &[i64],
    ) -> Result<(), StoreError> {
        let pre = self.pre;
        let mut pr = Inserter::new(
            "products",
            "id, drug_id, manufacturer_id, approval_number, units_per_package, gtin, \
             consistency_passed, originator, reference_price",
        );
        for (i, x) in self.products.iter().enumerate() {
            let (_, _, _, category) = STEMS[x.drug % STEMS.len()];
            let letter = match category {
                Category::Biological => 'S',
                Category::ChinesePatent => 'Z',
                Category::Chemical => 'H',
            };
            let data = format!("69{pre}{:08}", i + 1);
            let gtin = format!(
                "{data}{}",
                crate::domain::ids::gs1_check_digit(&data).expect("digits")
            );
            row!(
                pr,
                "({},{},{},{},{},{},{},{},{})",
                x.id,
                drug_ids[x.drug],
                self.suppliers[x.maker].id,
                Q(&format!("国药准字{letter}{pre}{:06}", i + 1)),
                x.per_package,
                Opt(rng.gen_bool(0.85).then_some(Q(&gtin))),
                B(category == Category::Chemical && rng.gen_bool(0.7)),
                B(rng.gen_bool(0.1)),
                x.list_price * x.per_package as i64
            );
        }
        pr.flush(conn)?;
        self.count(&pr);
        Ok(())
    }
}
