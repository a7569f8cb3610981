//! The demo province: `jicai demo` (or `serve --demo`) loads it once, through the same store
//! functions (and audit records) as any other change.

mod arrangements;
pub mod custody;
pub mod data;
mod orders;
pub mod province;
pub mod tenders;

use chrono::{Duration, NaiveDate, Utc};
use std::fmt;

use crate::domain::catalog::{
    Category, CreditStatus, DrugInput, InstitutionInput, InstitutionKind, LicenceInput,
    LicenceKind, ListOrigin, ProductInput, RegionInput, RegionLevel, SupplierInput, SupplierKind,
    Unit,
};
use crate::domain::money::Money;
use crate::domain::roles::Role;
use crate::domain::{Code, Msg};
use crate::security;
use crate::store::{catalog, parties, regions, users, Act, DbConn, StoreError};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "jicai-demo";

/// The demo accounts: (username, role, display name).
pub const DEMO_USERS: &[(&str, Role, &str)] = &[
    ("center", Role::Center, "省采购中心 王敏"),
    ("expert", Role::Expert, "评审专家 李华"),
    ("supplier", Role::Supplier, "供应商用户 张强"),
    ("institution", Role::Institution, "卫生院用户 陈静"),
    ("regulator", Role::Regulator, "卫健委监管 刘洋"),
];

pub struct Summary {
    pub already: bool,
    pub counts: Vec<(&'static str, usize)>,
    pub logins: Vec<(String, String, String)>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already {
            writeln!(f, "demo data already loaded")?;
        } else {
            let parts: Vec<String> = self
                .counts
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            writeln!(f, "demo data loaded: {}", parts.join(", "))?;
        }
        writeln!(f, "demo logins (password for all: {DEMO_PASSWORD}):")?;
        for (u, r, d) in &self.logins {
            writeln!(f, "  {u:<12} {r:<12} {d}")?;
        }
        Ok(())
    }
}

fn err(what: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(es) => {
            let en = crate::i18n::Tr::new("en");
            StoreError::Conflict(
                Msg::new(Code::DemoDataRefused).arg("what", what).arg(
                    "detail",
                    es.iter()
                        .map(|e| en.invalid(e))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            )
        }
        e => e,
    }
}

/// Loads the demo province unless it is there already: `now` dates the licences and the
/// tenders (one run to its end, one open for bids), sealed under `master`.
pub fn load(
    conn: &mut DbConn,
    now: chrono::DateTime<Utc>,
    tz: chrono_tz::Tz,
    master: &crate::sealing::MasterKey,
) -> Result<Summary, StoreError> {
    let today = now.with_timezone(&tz).date_naive();
    let logins = DEMO_USERS
        .iter()
        .map(|(u, r, d)| (u.to_string(), r.as_str().to_string(), d.to_string()))
        .collect();
    let province = data::REGIONS[0].code;
    if regions::by_code(conn, province)?.is_some() {
        return Ok(Summary {
            already: true,
            counts: vec![],
            logins,
        });
    }
    crate::store::write_tx(conn, |conn| {
        load_all(conn, today)?;
        tenders::load(conn, master, now, tz)?;
        orders::load(conn, now, today, demo_township())?;
        arrangements::load(conn, master, now, today, demo_township())
    })?;
    Ok(Summary {
        already: false,
        counts: vec![
            ("regions", data::REGIONS.len()),
            ("institutions", data::INSTITUTIONS.len()),
            ("suppliers", data::SUPPLIERS.len()),
            ("drugs", data::DRUGS.len()),
            ("products", data::PRODUCTS.len()),
            ("users", DEMO_USERS.len()),
            ("tenders", 2),
            ("orders", 3),
        ],
        logins,
    })
}

/// Loads the demo's parties, catalog and accounts: regions, institutions, suppliers with
/// their licences (dated from `today`), drugs, products and their national agents, and one
/// user per role.
fn load_all(conn: &mut DbConn, today: NaiveDate) -> Result<(), StoreError> {
    let act = Act::new("demo", Utc::now());
    load_regions(conn, &act)?;
    load_institutions(conn, &act)?;
    let supplier_ids = load_suppliers(conn, &act, today)?;
    load_drugs(conn, &act)?;
    load_products(conn, &act)?;
    set_national_agents(conn, &act)?;
    load_users(conn, &act, &supplier_ids)
}

/// The demo's regions: the province, its cities, counties and townships.
fn load_regions(conn: &mut DbConn, act: &Act) -> Result<(), StoreError> {
    for r in data::REGIONS {
        let input = RegionInput {
            code: r.code.into(),
            name_zh: r.name_zh.into(),
            name_en: r.name_en.into(),
            level: RegionLevel::parse("level", r.level)?,
            parent_code: r.parent_code.map(str::to_string),
        };
        regions::create(conn, act, &input).map_err(|e| err(r.code, e))?;
    }
    Ok(())
}

/// The demo's health institutions.
fn load_institutions(conn: &mut DbConn, act: &Act) -> Result<(), StoreError> {
    for i in data::INSTITUTIONS {
        let input = InstitutionInput {
            code: i.code.into(),
            name: i.name.into(),
            kind: InstitutionKind::parse("kind", i.kind)?,
            region_code: i.region_code.into(),
            parent_code: i.parent_code.map(str::to_string),
            remote: i.remote,
            emails: i.email.into(),
        };
        parties::create_institution(conn, act, &input).map_err(|e| err(i.code, e))?;
    }
    Ok(())
}

/// The demo's suppliers in good standing, each with its licences (expiring so many days after
/// `today`): their ids and kinds.
fn load_suppliers(
    conn: &mut DbConn,
    act: &Act,
    today: NaiveDate,
) -> Result<Vec<(i64, SupplierKind)>, StoreError> {
    let mut supplier_ids = vec![];
    for s in data::SUPPLIERS {
        let input = SupplierInput {
            uscc: s.uscc.into(),
            name: s.name.into(),
            kind: SupplierKind::parse("kind", s.kind)?,
            region_code: s.region_code.into(),
            credit_status: CreditStatus::Good,
            emails: s.email.into(),
        };
        let sup = parties::create_supplier(conn, act, &input).map_err(|e| err(s.uscc, e))?;
        for l in s.licences {
            let lic = LicenceInput {
                kind: LicenceKind::parse("licence_kind", l.kind)?,
                number: l.number.into(),
                expires_on: today + Duration::days(l.expires_in_days),
            };
            parties::add_licence(conn, act, sup.id, &lic).map_err(|e| err(l.number, e))?;
        }
        supplier_ids.push((sup.id, sup.kind));
    }
    Ok(supplier_ids)
}

/// The demo's drugs of the essential list.
fn load_drugs(conn: &mut DbConn, act: &Act) -> Result<(), StoreError> {
    for d in data::DRUGS {
        let input = DrugInput {
            code: d.code.into(),
            name_zh: d.name_zh.into(),
            inn: d.inn.into(),
            dosage_form: d.form.into(),
            strength: d.strength.into(),
            unit: Unit::parse("unit", d.unit)?,
            origin: ListOrigin::parse("origin", d.origin)?,
            category: Category::parse("category", d.category)?,
            atc_code: d.atc.map(str::to_string),
        };
        catalog::create_drug(conn, act, &input).map_err(|e| err(d.code, e))?;
    }
    Ok(())
}

/// The demo's products: each drug as a maker makes it, with its reference price.
fn load_products(conn: &mut DbConn, act: &Act) -> Result<(), StoreError> {
    for p in data::PRODUCTS {
        let input = ProductInput {
            drug_code: p.drug_code.into(),
            manufacturer_uscc: p.manufacturer_uscc.into(),
            approval_number: p.approval_number.into(),
            units_per_package: p.units_per_package,
            gtin: p.gtin.map(str::to_string),
            consistency_passed: p.consistency,
            originator: p.originator,
            reference_price: Some(Money::parse("reference_price", p.reference_price)?),
        };
        catalog::create_product(conn, act, &input).map_err(|e| err(p.approval_number, e))?;
    }
    Ok(())
}

/// The national agents of the imported products (found by approval number and USCC).
fn set_national_agents(conn: &mut DbConn, act: &Act) -> Result<(), StoreError> {
    for (approval, agent) in data::NATIONAL_AGENTS {
        let f = catalog::ProductFilter {
            q: approval.to_string(),
            ..Default::default()
        };
        let page = crate::domain::paging::PageRequest::new(Some(1), Some(1));
        let product = catalog::list_products(conn, &f, &page)?
            .items
            .into_iter()
            .next();
        let agent = parties::supplier_by_uscc(conn, agent)?;
        if let (Some(p), Some(a)) = (product, agent) {
            catalog::set_national_agent(conn, act, p.id, Some(a.id))
                .map_err(|e| err(approval, e))?;
        }
    }
    Ok(())
}

/// One account per role: the supplier user belongs to the first manufacturer, the
/// institution user to the first township health center (which has village clinics).
fn load_users(
    conn: &mut DbConn,
    act: &Act,
    supplier_ids: &[(i64, SupplierKind)],
) -> Result<(), StoreError> {
    let supplier_id = supplier_ids
        .iter()
        .find(|(_, k)| *k == SupplierKind::Manufacturer)
        .map(|(id, _)| *id);
    let township = demo_township();
    let institution_id = parties::institution_by_code(conn, township)?.map(|i| i.id);
    let hash = security::hash_password(DEMO_PASSWORD)?;
    for (username, role, display) in DEMO_USERS {
        let u = users::NewUser {
            username: username.to_string(),
            password_hash: hash.clone(),
            display_name: display.to_string(),
            role: *role,
            supplier_id: if *role == Role::Supplier {
                supplier_id
            } else {
                None
            },
            institution_id: if *role == Role::Institution {
                institution_id
            } else {
                None
            },
            email: format!("{username}@demo.jicai.test"),
            language: "zh-CN".into(),
        };
        users::create(conn, act, &u).map_err(|e| err(username, e))?;
    }
    Ok(())
}

/// The township health center (with village clinics) that the demo institution user belongs to.
fn demo_township() -> &'static str {
    data::INSTITUTIONS
        .iter()
        .find(|i| {
            InstitutionKind::parse("kind", i.kind) == Ok(InstitutionKind::TownshipCenter)
                && data::INSTITUTIONS
                    .iter()
                    .any(|c| c.parent_code == Some(i.code))
        })
        .map(|i| i.code)
        .unwrap_or(data::INSTITUTIONS[0].code)
}
