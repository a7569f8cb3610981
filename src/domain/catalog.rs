//! Records of the province: regions, institutions, suppliers, drugs, products, and the rules
//! that validate what people enter for them.

use chrono::NaiveDate;
use serde::Serialize;

use super::money::Money;
use super::{ids, optional_text, required_text, Code, Invalid, Msg};

words! {
    pub enum RegionLevel {
        Province => "province", "省", "province";
        City => "city", "市", "city";
        County => "county", "县/区", "county";
        Township => "township", "乡镇/街道", "township";
    }
}

words! {
    pub enum InstitutionKind {
        TownshipCenter => "township_center", "乡镇卫生院", "township health center";
        CommunityCenter => "community_center", "社区卫生服务中心", "community health service center";
        VillageClinic => "village_clinic", "村卫生室", "village clinic";
        CountyHospital => "county_hospital", "县级医院", "county hospital";
    }
}

words! {
    pub enum SupplierKind {
        Manufacturer => "manufacturer", "生产企业", "manufacturer";
        Distributor => "distributor", "配送企业", "distribution enterprise";
    }
}

words! {
    pub enum LicenceKind {
        Manufacturing => "manufacturing", "药品生产许可证", "drug manufacturing licence";
        Business => "business", "药品经营许可证", "drug business licence";
        Gmp => "gmp", "GMP证书", "GMP certificate";
        Gsp => "gsp", "GSP证书", "GSP certificate";
    }
}

words! {
    pub enum CreditStatus {
        Good => "good", "良好", "good";
        Warning => "warning", "警示", "warning";
        BadFaith => "bad_faith", "不良记录", "bad faith";
    }
}

words! {
    pub enum Unit {
        Tablet => "tablet", "片", "tablet";
        Capsule => "capsule", "粒", "capsule";
        Ampoule => "ampoule", "支", "ampoule";
        Vial => "vial", "瓶(西林)", "vial";
        Bag => "bag", "袋", "bag";
        Gram => "g", "克", "g";
        Pill => "pill", "丸", "pill";
        Bottle => "bottle", "瓶", "bottle";
    }
}

words! {
    pub enum ListOrigin {
        National => "national", "国家基本药物目录", "national essential list";
        Provincial => "provincial", "省增补", "provincial supplement";
    }
}

words! {
    pub enum Category {
        Chemical => "chemical", "化学药品", "chemical drug";
        Biological => "biological", "生物制品", "biological product";
        ChinesePatent => "chinese_patent", "中成药", "Chinese patent medicine";
    }
}

/// Collects every broken rule of a form instead of stopping at the first.
#[derive(Default)]
pub struct Errors(pub Vec<Invalid>);

impl Errors {
    pub fn take<T>(&mut self, r: Result<T, Invalid>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn finish<T>(self, v: impl FnOnce() -> T) -> Result<T, Vec<Invalid>> {
        if self.0.is_empty() {
            Ok(v())
        } else {
            Err(self.0)
        }
    }
}

fn flag(field: &str, s: &str) -> Result<bool, Invalid> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "否" | "off" => Ok(false),
        "1" | "true" | "yes" | "y" | "是" | "on" => Ok(true),
        other => Err(Invalid::new(
            field,
            Msg::new(Code::NotYesOrNo).arg("value", other),
        )),
    }
}

// ---------- drugs ----------

/// What a person enters for a drug (form fields, CSV or XLSX cells).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DrugForm {
    pub code: String,
    pub name_zh: String,
    pub inn: String,
    pub dosage_form: String,
    pub strength: String,
    pub unit: String,
    pub origin: String,
    pub category: String,
    #[serde(default)]
    pub atc_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrugInput {
    pub code: String,
    pub name_zh: String,
    pub inn: String,
    pub dosage_form: String,
    pub strength: String,
    pub unit: Unit,
    pub origin: ListOrigin,
    pub category: Category,
    pub atc_code: Option<String>,
}

pub fn validate_atc(field: &str, s: &str) -> Result<Option<String>, Invalid> {
    let s = s.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Ok(None);
    }
    let b = s.as_bytes();
    let ok = b.len() == 7
        && b[0].is_ascii_alphabetic()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_alphabetic()
        && b[4].is_ascii_alphabetic()
        && b[5].is_ascii_digit()
        && b[6].is_ascii_digit();
    if !ok {
        return Err(Invalid::new(
            field,
            Msg::new(Code::NotAnAtcCode).arg("value", s),
        ));
    }
    Ok(Some(s))
}

impl DrugForm {
    pub fn validate(&self) -> Result<DrugInput, Vec<Invalid>> {
        let mut e = Errors::default();
        let code = e.take(ids::code("code", &self.code));
        let name_zh = e.take(required_text("name_zh", &self.name_zh, 100));
        let inn = e.take(required_text("inn", &self.inn, 200));
        let dosage_form = e.take(required_text("dosage_form", &self.dosage_form, 50));
        let strength = e.take(required_text("strength", &self.strength, 100));
        let unit = e.take(Unit::parse("unit", &self.unit));
        let origin = e.take(ListOrigin::parse("origin", &self.origin));
        let category = e.take(Category::parse("category", &self.category));
        let atc_code = e.take(validate_atc("atc_code", &self.atc_code));
        e.finish(|| DrugInput {
            code: code.unwrap(),
            name_zh: name_zh.unwrap(),
            inn: inn.unwrap(),
            dosage_form: dosage_form.unwrap(),
            strength: strength.unwrap(),
            unit: unit.unwrap(),
            origin: origin.unwrap(),
            category: category.unwrap(),
            atc_code: atc_code.unwrap(),
        })
    }
}

// ---------- products ----------

/// What a person enters for a product. The drug and the manufacturer are named by their codes
/// (drug code, manufacturer's unified social credit code) so that a spreadsheet can hold them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProductForm {
    pub drug_code: String,
    pub manufacturer_uscc: String,
    pub approval_number: String,
    pub units_per_package: String,
    #[serde(default)]
    pub gtin: String,
    #[serde(default)]
    pub consistency_passed: String,
    #[serde(default)]
    pub originator: String,
    #[serde(default)]
    pub reference_price: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductInput {
    pub drug_code: String,
    pub manufacturer_uscc: String,
    pub approval_number: String,
    pub units_per_package: i32,
    pub gtin: Option<String>,
    pub consistency_passed: bool,
    pub originator: bool,
    pub reference_price: Option<Money>,
}

impl ProductForm {
    pub fn validate(&self) -> Result<ProductInput, Vec<Invalid>> {
        let mut e = Errors::default();
        let drug_code = e.take(ids::code("drug_code", &self.drug_code));
        let manufacturer_uscc = e.take(ids::uscc("manufacturer_uscc", &self.manufacturer_uscc));
        let approval_number = e.take(ids::approval_number(
            "approval_number",
            &self.approval_number,
        ));
        let units = e.take(
            self.units_per_package
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    Invalid::new(
                        "units_per_package",
                        Msg::new(Code::NotAWholeNumber)
                            .arg("value", self.units_per_package.trim())
                            .arg("min", 1)
                            .arg("max", 100_000),
                    )
                }),
        );
        let gtin = e.take(if self.gtin.trim().is_empty() {
            Ok(None)
        } else {
            ids::gtin("gtin", &self.gtin).map(Some)
        });
        let consistency = e.take(flag("consistency_passed", &self.consistency_passed));
        let originator = e.take(flag("originator", &self.originator));
        let price = e.take(if self.reference_price.trim().is_empty() {
            Ok(None)
        } else {
            Money::parse_positive("reference_price", &self.reference_price).map(Some)
        });
        e.finish(|| ProductInput {
            drug_code: drug_code.unwrap(),
            manufacturer_uscc: manufacturer_uscc.unwrap(),
            approval_number: approval_number.unwrap(),
            units_per_package: units.unwrap(),
            gtin: gtin.unwrap(),
            consistency_passed: consistency.unwrap(),
            originator: originator.unwrap(),
            reference_price: price.unwrap(),
        })
    }
}

// ---------- regions, institutions, suppliers, licences ----------

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RegionForm {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    #[serde(default)]
    pub parent_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
}

impl RegionForm {
    pub fn validate(&self) -> Result<RegionInput, Vec<Invalid>> {
        let mut e = Errors::default();
        let code = e.take(ids::region_code("code", &self.code));
        let name_zh = e.take(required_text("name_zh", &self.name_zh, 100));
        let name_en = e.take(required_text("name_en", &self.name_en, 100));
        let level = e.take(RegionLevel::parse("level", &self.level));
        let parent = e.take(optional_text("parent_code", &self.parent_code, 12));
        if let (Some(RegionLevel::Province), Some(Some(_))) = (level, &parent) {
            e.0.push(Invalid::new("parent_code", Code::ProvinceHasNoParent));
        }
        if let (Some(l), Some(None)) = (level, &parent) {
            if l != RegionLevel::Province {
                e.0.push(Invalid::new("parent_code", Code::Required));
            }
        }
        e.finish(|| RegionInput {
            code: code.unwrap(),
            name_zh: name_zh.unwrap(),
            name_en: name_en.unwrap(),
            level: level.unwrap(),
            parent_code: parent.unwrap(),
        })
    }
}

/// The level a child of `parent` must have.
pub fn child_level(parent: RegionLevel) -> Option<RegionLevel> {
    match parent {
        RegionLevel::Province => Some(RegionLevel::City),
        RegionLevel::City => Some(RegionLevel::County),
        RegionLevel::County => Some(RegionLevel::Township),
        RegionLevel::Township => None,
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct InstitutionForm {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    #[serde(default)]
    pub parent_code: String,
    #[serde(default)]
    pub remote: String,
    #[serde(default)]
    pub emails: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstitutionInput {
    pub code: String,
    pub name: String,
    pub kind: InstitutionKind,
    pub region_code: String,
    pub parent_code: Option<String>,
    pub remote: bool,
    pub emails: String,
}

impl InstitutionForm {
    pub fn validate(&self) -> Result<InstitutionInput, Vec<Invalid>> {
        let mut e = Errors::default();
        let code = e.take(ids::code("code", &self.code));
        let name = e.take(required_text("name", &self.name, 200));
        let kind = e.take(InstitutionKind::parse("kind", &self.kind));
        let region_code = e.take(ids::region_code("region_code", &self.region_code));
        let parent = e.take(optional_text("parent_code", &self.parent_code, 32));
        let remote = e.take(flag("remote", &self.remote));
        let emails = e.take(super::email_list("emails", &self.emails));
        match (kind, &parent) {
            (Some(InstitutionKind::VillageClinic), Some(None)) => {
                e.0.push(Invalid::new("parent_code", Code::VillageClinicNeedsParent))
            }
            (Some(k), Some(Some(_))) if k != InstitutionKind::VillageClinic => e.0.push(
                Invalid::new("parent_code", Code::OnlyVillageClinicHasParent),
            ),
            _ => {}
        }
        e.finish(|| InstitutionInput {
            code: code.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
            region_code: region_code.unwrap(),
            parent_code: parent.unwrap(),
            remote: remote.unwrap(),
            emails: emails.unwrap(),
        })
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SupplierForm {
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    #[serde(default)]
    pub credit_status: String,
    #[serde(default)]
    pub emails: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplierInput {
    pub uscc: String,
    pub name: String,
    pub kind: SupplierKind,
    pub region_code: String,
    pub credit_status: CreditStatus,
    pub emails: String,
}

impl SupplierForm {
    pub fn validate(&self) -> Result<SupplierInput, Vec<Invalid>> {
        let mut e = Errors::default();
        let uscc = e.take(ids::uscc("uscc", &self.uscc));
        let name = e.take(required_text("name", &self.name, 200));
        let kind = e.take(SupplierKind::parse("kind", &self.kind));
        let region_code = e.take(ids::region_code("region_code", &self.region_code));
        let credit = e.take(if self.credit_status.trim().is_empty() {
            Ok(CreditStatus::Good)
        } else {
            CreditStatus::parse("credit_status", &self.credit_status)
        });
        let emails = e.take(super::email_list("emails", &self.emails));
        e.finish(|| SupplierInput {
            uscc: uscc.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
            region_code: region_code.unwrap(),
            credit_status: credit.unwrap(),
            emails: emails.unwrap(),
        })
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LicenceForm {
    pub kind: String,
    pub number: String,
    pub expires_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenceInput {
    pub kind: LicenceKind,
    pub number: String,
    pub expires_on: NaiveDate,
}

impl LicenceForm {
    pub fn validate(&self) -> Result<LicenceInput, Vec<Invalid>> {
        let mut e = Errors::default();
        let kind = e.take(LicenceKind::parse("kind", &self.kind));
        let number = e.take(required_text("number", &self.number, 64));
        let expires = e.take(super::date("expires_on", &self.expires_on));
        e.finish(|| LicenceInput {
            kind: kind.unwrap(),
            number: number.unwrap(),
            expires_on: expires.unwrap(),
        })
    }
}

/// Is a licence valid on a day? (Valid through its expiry date.)
pub fn licence_valid_on(expires_on: NaiveDate, day: NaiveDate) -> bool {
    day <= expires_on
}

/// Days until a licence expires (negative when it has).
pub fn days_to_expiry(expires_on: NaiveDate, today: NaiveDate) -> i64 {
    (expires_on - today).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good_product() -> ProductForm {
        ProductForm {
            drug_code: "D0001".into(),
            manufacturer_uscc: "91350100M000100Y43".into(),
            approval_number: "国药准字H34020123".into(),
            units_per_package: "24".into(),
            gtin: "6901234567892".into(),
            consistency_passed: "yes".into(),
            originator: "".into(),
            reference_price: "12.50".into(),
        }
    }

    #[test]
    fn product_form_validates() {
        let p = good_product().validate().unwrap();
        assert_eq!(p.units_per_package, 24);
        assert!(p.consistency_passed);
        assert!(!p.originator);
        assert_eq!(p.reference_price.unwrap().ten_thousandths(), 125_000);
    }

    #[test]
    fn product_form_names_every_bad_field() {
        let mut f = good_product();
        f.approval_number = "H123".into();
        f.gtin = "6901234567893".into();
        f.units_per_package = "0".into();
        f.manufacturer_uscc = "123".into();
        let errs = f.validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "manufacturer_uscc",
                "approval_number",
                "units_per_package",
                "gtin"
            ]
        );
    }

    #[test]
    fn enums_parse_labels_in_both_languages() {
        assert_eq!(Unit::parse("unit", "片").unwrap(), Unit::Tablet);
        assert_eq!(Unit::parse("unit", "Tablet").unwrap(), Unit::Tablet);
        assert_eq!(
            Category::parse("category", "中成药").unwrap(),
            Category::ChinesePatent
        );
        assert!(Unit::parse("unit", "box")
            .unwrap_err()
            .msg
            .get("words")
            .unwrap_or_default()
            .contains("tablet"));
    }

    #[test]
    fn village_clinic_needs_a_parent() {
        let f = InstitutionForm {
            code: "I1".into(),
            name: "村卫生室".into(),
            kind: "village_clinic".into(),
            region_code: "340121100".into(),
            parent_code: "".into(),
            remote: "".into(),
            emails: "a@b.cn".into(),
        };
        let errs = f.validate().unwrap_err();
        assert_eq!(errs[0].field, "parent_code");
    }

    #[test]
    fn atc_codes() {
        assert_eq!(validate_atc("atc", "j01ca04").unwrap().unwrap(), "J01CA04");
        assert!(validate_atc("atc", "J01").is_err());
        assert_eq!(validate_atc("atc", "").unwrap(), None);
    }
}
