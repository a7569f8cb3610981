//! A generated province at the scale of Anhui, for load tests (`jicai generate`): 16 cities,
//! 105 counties, 1,200 townships each with a township health center, 16,000 village clinics,
//! 300 suppliers with valid licences, 5,000 products of 1,000 drugs, one completed 2026 tender
//! whose 2,000 contracts (one county each) are in force, and 1,000,000 order lines over 2026 up
//! to an "as of" moment, with their deliveries, receipts, payables and credit events. `small`
//! is the same shape at about 1/100.
//!
//! The rows are written with multi-row `INSERT … VALUES` statements of literal values (numbers,
//! dates and texts this module makes itself, never user input), 1,000 rows a statement, in
//! transactions of a few thousand orders — the same SQL on SQLite and PostgreSQL. Ids are
//! assigned here (after the largest id already there); on PostgreSQL the identity sequences are
//! then moved past them, so the server's own inserts do not collide. The generated rows have no
//! audit records (like `benches/catalog_load.sh`); the users and API tokens are created through
//! the store's functions, with theirs.
//!
//! Texts are those the real code writes: order states from [`OrderState`], decline and
//! rejection reasons from [`DeclineReason`] and [`RejectReason`], credit events `late`,
//! `declined` and `rejected`, contracts `in_force`, the tender `contracted`, its lots
//! `awarded`, bids `active` and `passed`. Counters on order lines (`shipped`, `confirmed`,
//! `accepted`) are sums of the delivery lines, and each order's state is what
//! [`state_from_lines`] says of its lines. Deadlines follow [`DeliveryRules`].
//!
//! The same seed and "as of" moment give the same rows (ids aside, when the database already
//! held some); only secrets (API tokens, envelope salts and sealed prices) are random.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write as _};
use std::time::Instant;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use crate::domain::award::{
    AwardPolicy, LotAward, MultiParams, Outcome, PolicyKind, Ranked, Winner,
};
use crate::domain::catalog::{
    Category, CreditStatus, InstitutionKind, ListOrigin, RegionLevel, SupplierKind, Unit,
};
use crate::domain::money::Money;
use crate::domain::orders::{
    state_from_lines, CreditEventKind, DeclineReason, DeliveryRules, LineQuantities, OrderState,
    ReceiptOutcome, RejectReason,
};
use crate::domain::roles::Role;
use crate::domain::tender::{
    BidStatus, ContractStatus, LotStatus, TechnicalResult, TenderState, WindowStatus,
};
use crate::sealing::{self, MasterKey};
use crate::store::schema::{counters, orders, regions};
use crate::store::{sql_word, users, write_tx, Act, DbConn, StoreError};

/// Rows per `INSERT` statement.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Orders per transaction.
const ORDERS_PER_TX: usize = 5_000;
/// Orders submitted in the last this many days before "as of" are still open.
const OPEN_DAYS: i64 = 14;
/// Who the generated orders, deliveries and receipts are recorded as done by.
pub const ACTOR: &str = "generate";

crate::domain::words! {
    /// How big a province to generate.
    pub enum Scale {
        Anhui => "anhui",
        Small => "small",
    }
}

impl Scale {
    pub fn params(&self) -> Params {
        match self {
            Scale::Anhui => Params {
                cities: 16,
                counties: 105,
                townships: 1_200,
                villages: 16_000,
                manufacturers: 200,
                distributors: 100,
                drugs: 1_000,
                products: 5_000,
                contracts: 2_000,
                order_lines: 1_000_000,
                token_institutions: 200,
            },
            Scale::Small => Params {
                cities: 2,
                counties: 4,
                townships: 12,
                villages: 160,
                manufacturers: 10,
                distributors: 5,
                drugs: 10,
                products: 50,
                contracts: 20,
                order_lines: 10_000,
                token_institutions: 10,
            },
        }
    }
}

/// The sizes of a generated province.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub cities: usize,
    pub counties: usize,
    /// Townships, each with one township health center.
    pub townships: usize,
    /// Village clinics, each under its township's center.
    pub villages: usize,
    pub manufacturers: usize,
    pub distributors: usize,
    pub drugs: usize,
    /// Products, spread evenly over the drugs (each drug's from different manufacturers).
    pub products: usize,
    /// Contracts in force, one county each.
    pub contracts: usize,
    pub order_lines: usize,
    /// Township centers that get a user with an API token.
    pub token_institutions: usize,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub scale: Scale,
    pub seed: u64,
    /// The moment the data runs up to: orders are submitted from 2026-01-01 until then, and
    /// those of its last two weeks are still open. Must fall in 2026 (the contracts' year).
    pub as_of: DateTime<Utc>,
    /// The province's time zone (office hours, due dates).
    pub tz: Tz,
    /// Password of the center user and of the users behind the tokens.
    pub password: String,
    /// Generate even though the database already has orders.
    pub force: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(
        "the database already has {0} orders: generate into an empty database \
         (or pass --force to add a generated province beside them)"
    )]
    HasOrders(i64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for GenerateError {
    fn from(e: diesel::result::Error) -> Self {
        GenerateError::Store(e.into())
    }
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct Generated {
    pub scale: Scale,
    pub seed: u64,
    pub as_of: NaiveDateTime,
    /// The generated province's region code.
    pub province_code: String,
    /// Rows written, per table, in the order written.
    pub rows: Vec<(&'static str, i64)>,
    /// Whether the `center` user was created (false: it existed already and was left alone).
    pub center_created: bool,
    /// (township center id, API token of its user).
    pub institution_tokens: Vec<(i64, String)>,
    /// (supplier id, API token of its user).
    pub supplier_tokens: Vec<(i64, String)>,
    pub seconds: f64,
}

impl Generated {
    pub fn count(&self, table: &str) -> i64 {
        self.rows
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, n)| n)
            .sum()
    }

    /// The tokens file: a commented section of `institution_id,token` lines, then one of
    /// `supplier_id,token` lines.
    pub fn tokens_file(&self) -> String {
        let mut s = String::from("# institution_id,institution_user_token\n");
        for (id, t) in &self.institution_tokens {
            let _ = writeln!(s, "{id},{t}");
        }
        s.push_str("# supplier_id,supplier_token\n");
        for (id, t) in &self.supplier_tokens {
            let _ = writeln!(s, "{id},{t}");
        }
        s
    }
}

impl Display for Generated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "generated province {} (scale {}, seed {}, as of {} UTC) in {:.1} s:",
            self.province_code,
            self.scale.as_str(),
            self.seed,
            self.as_of,
            self.seconds
        )?;
        for (t, n) in &self.rows {
            writeln!(f, "  {t:<22} {n:>10}")?;
        }
        writeln!(
            f,
            "  user center: {}; API tokens: {} township centers, {} suppliers",
            if self.center_created {
                "created"
            } else {
                "existed already, left unchanged"
            },
            self.institution_tokens.len(),
            self.supplier_tokens.len()
        )
    }
}

// ---------- names ----------

/// Anhui's 16 prefecture-level cities: code digits 3–4, name, English name.
const CITIES: &[(&str, &str, &str)] = &[
    ("01", "合肥市", "Hefei"),
    ("02", "芜湖市", "Wuhu"),
    ("03", "蚌埠市", "Bengbu"),
    ("04", "淮南市", "Huainan"),
    ("05", "马鞍山市", "Ma'anshan"),
    ("06", "淮北市", "Huaibei"),
    ("07", "铜陵市", "Tongling"),
    ("08", "安庆市", "Anqing"),
    ("10", "黄山市", "Huangshan"),
    ("11", "滁州市", "Chuzhou"),
    ("12", "阜阳市", "Fuyang"),
    ("13", "宿州市", "Suzhou"),
    ("15", "六安市", "Lu'an"),
    ("16", "亳州市", "Bozhou"),
    ("17", "池州市", "Chizhou"),
    ("18", "宣城市", "Xuancheng"),
];

const SYL1: &[(&str, &str)] = &[
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("长", "Chang"),
    ("青", "Qing"),
    ("石", "Shi"),
    ("金", "Jin"),
    ("白", "Bai"),
    ("临", "Lin"),
    ("安", "An"),
    ("永", "Yong"),
    ("丰", "Feng"),
    ("平", "Ping"),
    ("和", "He"),
    ("新", "Xin"),
    ("兴", "Xing"),
    ("宁", "Ning"),
    ("太", "Tai"),
    ("龙", "Long"),
];
const SYL2: &[(&str, &str)] = &[
    ("山", "shan"),
    ("河", "he"),
    ("城", "cheng"),
    ("阳", "yang"),
    ("溪", "xi"),
    ("桥", "qiao"),
    ("湖", "hu"),
    ("岗", "gang"),
    ("集", "ji"),
    ("店", "dian"),
    ("庄", "zhuang"),
    ("埠", "bu"),
];

fn place(i: usize) -> (&'static str, &'static str, &'static str, &'static str) {
    let a = SYL1[i % SYL1.len()];
    let b = SYL2[(i / SYL1.len() + i) % SYL2.len()];
    (a.0, b.0, a.1, b.1)
}

/// Generic-name stems: Chinese name, INN, ATC code, category (as `benches/catalog_load.sh`).
const STEMS: &[(&str, &str, Option<&str>, Category)] = &[
    (
        "阿莫西林",
        "Amoxicillin",
        Some("J01CA04"),
        Category::Chemical,
    ),
    (
        "头孢呋辛",
        "Cefuroxime",
        Some("J01DC02"),
        Category::Chemical,
    ),
    ("头孢克洛", "Cefaclor", Some("J01DC04"), Category::Chemical),
    (
        "左氧氟沙星",
        "Levofloxacin",
        Some("J01MA12"),
        Category::Chemical,
    ),
    (
        "阿奇霉素",
        "Azithromycin",
        Some("J01FA10"),
        Category::Chemical,
    ),
    (
        "克拉霉素",
        "Clarithromycin",
        Some("J01FA09"),
        Category::Chemical,
    ),
    (
        "甲硝唑",
        "Metronidazole",
        Some("J01XD01"),
        Category::Chemical,
    ),
    ("二甲双胍", "Metformin", Some("A10BA02"), Category::Chemical),
    (
        "格列美脲",
        "Glimepiride",
        Some("A10BB12"),
        Category::Chemical,
    ),
    ("阿卡波糖", "Acarbose", Some("A10BF01"), Category::Chemical),
    (
        "硝苯地平",
        "Nifedipine",
        Some("C08CA05"),
        Category::Chemical,
    ),
    (
        "氨氯地平",
        "Amlodipine",
        Some("C08CA01"),
        Category::Chemical,
    ),
    ("卡托普利", "Captopril", Some("C09AA01"), Category::Chemical),
    ("依那普利", "Enalapril", Some("C09AA02"), Category::Chemical),
    ("缬沙坦", "Valsartan", Some("C09CA03"), Category::Chemical),
    ("氯沙坦", "Losartan", Some("C09CA01"), Category::Chemical),
    (
        "美托洛尔",
        "Metoprolol",
        Some("C07AB02"),
        Category::Chemical,
    ),
    (
        "比索洛尔",
        "Bisoprolol",
        Some("C07AB07"),
        Category::Chemical,
    ),
    (
        "阿托伐他汀",
        "Atorvastatin",
        Some("C10AA05"),
        Category::Chemical,
    ),
    (
        "辛伐他汀",
        "Simvastatin",
        Some("C10AA01"),
        Category::Chemical,
    ),
    (
        "瑞舒伐他汀",
        "Rosuvastatin",
        Some("C10AA07"),
        Category::Chemical,
    ),
    ("阿司匹林", "Aspirin", Some("B01AC06"), Category::Chemical),
    (
        "氯吡格雷",
        "Clopidogrel",
        Some("B01AC04"),
        Category::Chemical,
    ),
    ("华法林", "Warfarin", Some("B01AA03"), Category::Chemical),
    (
        "奥美拉唑",
        "Omeprazole",
        Some("A02BC01"),
        Category::Chemical,
    ),
    (
        "兰索拉唑",
        "Lansoprazole",
        Some("A02BC03"),
        Category::Chemical,
    ),
    (
        "雷尼替丁",
        "Ranitidine",
        Some("A02BA02"),
        Category::Chemical,
    ),
    (
        "多潘立酮",
        "Domperidone",
        Some("A03FA03"),
        Category::Chemical,
    ),
    ("布洛芬", "Ibuprofen", Some("M01AE01"), Category::Chemical),
    (
        "双氯芬酸",
        "Diclofenac",
        Some("M01AB05"),
        Category::Chemical,
    ),
    (
        "对乙酰氨基酚",
        "Paracetamol",
        Some("N02BE01"),
        Category::Chemical,
    ),
    (
        "氯雷他定",
        "Loratadine",
        Some("R06AX13"),
        Category::Chemical,
    ),
    (
        "西替利嗪",
        "Cetirizine",
        Some("R06AE07"),
        Category::Chemical,
    ),
    (
        "沙丁胺醇",
        "Salbutamol",
        Some("R03AC02"),
        Category::Chemical,
    ),
    (
        "氨茶碱",
        "Aminophylline",
        Some("R03DA05"),
        Category::Chemical,
    ),
    (
        "地塞米松",
        "Dexamethasone",
        Some("H02AB02"),
        Category::Chemical,
    ),
    ("泼尼松", "Prednisone", Some("H02AB07"), Category::Chemical),
    (
        "左甲状腺素",
        "Levothyroxine",
        Some("H03AA01"),
        Category::Chemical,
    ),
    ("呋塞米", "Furosemide", Some("C03CA01"), Category::Chemical),
    (
        "氢氯噻嗪",
        "Hydrochlorothiazide",
        Some("C03AA03"),
        Category::Chemical,
    ),
    (
        "螺内酯",
        "Spironolactone",
        Some("C03DA01"),
        Category::Chemical,
    ),
    ("地高辛", "Digoxin", Some("C01AA05"), Category::Chemical),
    ("胺碘酮", "Amiodarone", Some("C01BD01"), Category::Chemical),
    (
        "卡马西平",
        "Carbamazepine",
        Some("N03AF01"),
        Category::Chemical,
    ),
    (
        "丙戊酸钠",
        "Sodium Valproate",
        Some("N03AG01"),
        Category::Chemical,
    ),
    ("地西泮", "Diazepam", Some("N05BA01"), Category::Chemical),
    ("艾司唑仑", "Estazolam", Some("N05CD04"), Category::Chemical),
    ("氟西汀", "Fluoxetine", Some("N06AB03"), Category::Chemical),
    (
        "帕罗西汀",
        "Paroxetine",
        Some("N06AB05"),
        Category::Chemical,
    ),
    ("利培酮", "Risperidone", Some("N05AX08"), Category::Chemical),
    ("奥氮平", "Olanzapine", Some("N05AH03"), Category::Chemical),
    ("阿昔洛韦", "Aciclovir", Some("J05AB01"), Category::Chemical),
    ("利巴韦林", "Ribavirin", Some("J05AB04"), Category::Chemical),
    ("氟康唑", "Fluconazole", Some("J02AC01"), Category::Chemical),
    (
        "重组人胰岛素",
        "Insulin Human",
        Some("A10AB01"),
        Category::Biological,
    ),
    (
        "复方丹参",
        "Compound Danshen",
        None,
        Category::ChinesePatent,
    ),
    ("板蓝根", "Banlangen", None, Category::ChinesePatent),
    ("六味地黄", "Liuwei Dihuang", None, Category::ChinesePatent),
    ("双黄连", "Shuanghuanglian", None, Category::ChinesePatent),
    ("银黄", "Yinhuang", None, Category::ChinesePatent),
];

/// Dosage forms: name prefix, suffix, dosage form, unit, package sizes, unit price range
/// (1/10,000 yuan per unit of use).
struct Form {
    prefix: &'static str,
    suffix: &'static str,
    dosage_form: &'static str,
    unit: Unit,
    packages: &'static [i32],
    price: (i64, i64),
}

const FORMS: &[Form] = &[
    Form {
        prefix: "",
        suffix: "片",
        dosage_form: "片剂",
        unit: Unit::Tablet,
        packages: &[12, 24, 28, 30, 48, 100],
        price: (500, 30_000),
    },
    Form {
        prefix: "",
        suffix: "胶囊",
        dosage_form: "胶囊剂",
        unit: Unit::Capsule,
        packages: &[12, 24, 36],
        price: (1_000, 30_000),
    },
    Form {
        prefix: "",
        suffix: "注射液",
        dosage_form: "注射剂",
        unit: Unit::Ampoule,
        packages: &[5, 10],
        price: (5_000, 300_000),
    },
    Form {
        prefix: "注射用",
        suffix: "",
        dosage_form: "注射用无菌粉末",
        unit: Unit::Vial,
        packages: &[1, 10],
        price: (20_000, 800_000),
    },
    Form {
        prefix: "",
        suffix: "缓释片",
        dosage_form: "缓释片",
        unit: Unit::Tablet,
        packages: &[14, 28, 30],
        price: (2_000, 40_000),
    },
    Form {
        prefix: "",
        suffix: "分散片",
        dosage_form: "分散片",
        unit: Unit::Tablet,
        packages: &[12, 24],
        price: (1_000, 20_000),
    },
    Form {
        prefix: "",
        suffix: "颗粒",
        dosage_form: "颗粒剂",
        unit: Unit::Gram,
        packages: &[10, 20, 30],
        price: (2_000, 20_000),
    },
    Form {
        prefix: "",
        suffix: "氯化钠注射液",
        dosage_form: "大容量注射剂",
        unit: Unit::Bag,
        packages: &[1],
        price: (20_000, 150_000),
    },
];

const STRENGTHS: &[&str] = &[
    "5mg",
    "10mg",
    "20mg",
    "25mg",
    "50mg",
    "0.1g",
    "0.125g",
    "0.25g",
    "0.5g",
    "1g",
    "2ml:10mg",
    "100ml:0.2g",
];

const MAKER_SUFFIXES: &[&str] = &[
    "药业有限公司",
    "制药有限公司",
    "生物制药有限公司",
    "医药股份有限公司",
];
const DISTRIBUTOR_SUFFIXES: &[&str] = &["医药物流有限公司", "医药有限公司"];

/// Lines per order and their weights (mean 4).
const LINE_WEIGHTS: &[(usize, u32)] =
    &[(1, 5), (2, 10), (3, 20), (4, 30), (5, 20), (6, 10), (7, 5)];

// ---------- literal SQL values ----------

/// A quoted text literal.
struct Q<'a>(&'a str);
impl Display for Q<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for c in self.0.chars() {
            if c == '\'' {
                f.write_str("''")?;
            } else {
                f.write_char(c)?;
            }
        }
        f.write_char('\'')
    }
}

/// A timestamp literal, as diesel stores one on SQLite (`%Y-%m-%d %H:%M:%S`, whole seconds).
struct Ts(NaiveDateTime);
impl Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.format("%Y-%m-%d %H:%M:%S"))
    }
}

struct Day(NaiveDate);
impl Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.format("%Y-%m-%d"))
    }
}

struct B(bool);
impl Display for B {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "TRUE" } else { "FALSE" })
    }
}

/// NULL or the value.
struct Opt<T>(Option<T>);
impl<T: Display> Display for Opt<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("NULL"),
            Some(v) => v.fmt(f),
        }
    }
}

/// Rows of one table, gathered into statements of [`ROWS_PER_STATEMENT`] rows and written by
/// [`Inserter::flush`] (so that the caller writes tables in the order their references need).
struct Inserter {
    table: &'static str,
    head: String,
    done: Vec<String>,
    current: String,
    rows_in_current: usize,
    total: i64,
}

impl Inserter {
    fn new(table: &'static str, columns: &str) -> Self {
        Inserter {
            table,
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            done: vec![],
            current: String::new(),
            rows_in_current: 0,
            total: 0,
        }
    }

    /// The statement to write the next row into, as `(v1,v2,…)`.
    fn row(&mut self) -> &mut String {
        if self.rows_in_current == ROWS_PER_STATEMENT {
            self.done.push(std::mem::take(&mut self.current));
            self.rows_in_current = 0;
        }
        if self.rows_in_current == 0 {
            self.current.push_str(&self.head);
        } else {
            self.current.push(',');
        }
        self.rows_in_current += 1;
        self.total += 1;
        &mut self.current
    }

    fn flush(&mut self, conn: &mut DbConn) -> Result<(), StoreError> {
        for s in self.done.drain(..) {
            conn.batch_execute(&s)?;
        }
        if self.rows_in_current > 0 {
            conn.batch_execute(&self.current)?;
            self.current.clear();
            self.rows_in_current = 0;
        }
        Ok(())
    }
}

/// Writes into a row; formatting into a `String` cannot fail.
macro_rules! row {
    ($ins:expr, $($arg:tt)*) => {{
        let _ = write!($ins.row(), $($arg)*);
    }};
}

#[derive(QueryableByName)]
struct MaxId {
    #[diesel(sql_type = BigInt)]
    m: i64,
}

/// The first free id of a table.
fn next_id(conn: &mut DbConn, table: &str) -> Result<i64, StoreError> {
    let r: MaxId = diesel::sql_query(format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"
    ))
    .get_result(conn)?;
    Ok(r.m + 1)
}

/// The tables whose ids this module assigns.
const ID_TABLES: &[&str] = &[
    "regions",
    "institutions",
    "suppliers",
    "licences",
    "drugs",
    "products",
    "demand_windows",
    "tenders",
    "lots",
    "bids",
    "bid_versions",
    "contracts",
    "contract_allocations",
    "contract_distributors",
    "orders",
    "order_lines",
    "deliveries",
    "delivery_lines",
    "payables",
    "credit_events",
];

/// `total` split into `parts` as evenly as possible: the size of part `i`.
fn share(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

// ---------- the plan ----------

struct County {
    id: i64,
    code: String,
    /// Indices of its township centers in `Plan::insts`.
    centers: Vec<usize>,
    /// Indices of its village clinics.
    villages: Vec<usize>,
    groups: Vec<usize>,
}

struct Inst {
    id: i64,
    code: String,
    county: usize,
    /// Index of its township (in creation order).
    township: usize,
    /// Its township center (for a village clinic).
    parent: Option<usize>,
    remote: bool,
}

struct Supplier {
    id: i64,
    licences: Vec<(&'static str, String, NaiveDate)>,
}

struct Product {
    id: i64,
    drug: usize,
    maker: usize,
    per_package: i32,
    /// 1/10,000 yuan per unit of use, before the tender's cut.
    list_price: i64,
}

struct Contract {
    id: i64,
    county: usize,
    maker: usize,
    product: usize,
    /// 1/10,000 yuan per unit of use.
    price: i64,
    committed: i64,
}

/// One supplier's contracts in one county: an order goes under one group.
struct Group {
    maker: usize,
    /// The distribution enterprise named for the county (index into suppliers).
    distributor: usize,
    contracts: Vec<usize>,
}

struct PlanOrder {
    sub: NaiveDateTime,
    inst: usize,
    group: usize,
    urgent: bool,
    /// (contract index, quantity)
    lines: Vec<(usize, i64)>,
}

fn utc_of_local(tz: Tz, t: NaiveDateTime) -> NaiveDateTime {
    tz.from_local_datetime(&t)
        .earliest()
        .map(|d| d.naive_utc())
        .unwrap_or(t)
}

fn local_day(tz: Tz, t: NaiveDateTime) -> NaiveDate {
    Utc.from_utc_datetime(&t).with_timezone(&tz).date_naive()
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn at(d: NaiveDate, h: u32) -> NaiveDateTime {
    d.and_hms_opt(h, 0, 0).expect("a valid time")
}

fn minutes(rng: &mut StdRng, lo: i64, hi: i64) -> Duration {
    Duration::seconds(rng.gen_range(lo * 60..=hi.max(lo) * 60))
}

/// Generates the province into the database (migrated already).
pub fn generate(
    conn: &mut DbConn,
    master: &MasterKey,
    opts: &Options,
) -> Result<Generated, GenerateError> {
    let started = Instant::now();
    let p = opts.scale.params();
    let tz = opts.tz;
    let as_of = opts.as_of.naive_utc();
    let as_of = as_of.with_nanosecond(0).unwrap_or(as_of);
    let year_start = utc_of_local(tz, at(ymd(2026, 1, 1), 0));
    let year_end = utc_of_local(tz, at(ymd(2027, 1, 1), 0));
    if as_of < year_start + Duration::days(30) || as_of > year_end + Duration::days(60) {
        return Err(GenerateError::Invalid(format!(
            "as of {as_of} UTC: the contracts run through 2026, so the data must run up to a \
             moment between 2026-01-31 and early 2027"
        )));
    }
    if p.cities > CITIES.len() {
        return Err(GenerateError::Invalid("too many cities".into()));
    }
    let existing: i64 = orders::table.count().get_result(conn)?;
    if existing > 0 && !opts.force {
        return Err(GenerateError::HasOrders(existing));
    }
    // The province's code: Anhui's (34) unless taken (the demo, or an earlier run), then 99, 98…
    let mut prefix = None;
    for pre in std::iter::once(34u32).chain((11..=99).rev()) {
        let taken: i64 = regions::table
            .filter(regions::code.eq(format!("{pre}0000")))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            prefix = Some(pre);
            break;
        }
    }
    let pre = prefix.ok_or_else(|| GenerateError::Invalid("no province code left".into()))?;
    let mut next: BTreeMap<&'static str, i64> = BTreeMap::new();
    for t in ID_TABLES {
        next.insert(t, next_id(conn, t)?);
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut g = Gen {
        p,
        pre,
        tz,
        as_of,
        year_start,
        end: as_of.min(year_end),
        rules: DeliveryRules::default(),
        next,
        rows: vec![],
        counties: vec![],
        insts: vec![],
        centers: vec![],
        villages: vec![],
        suppliers: vec![],
        makers: vec![],
        distributors: vec![],
        products: vec![],
        contracts: vec![],
        groups: vec![],
    };

    eprintln!("generate: planning…");
    let plan = g.plan(&mut rng)?;
    eprintln!(
        "generate: {} orders with {} lines planned; writing the province…",
        plan.len(),
        p.order_lines
    );
    write_tx(conn, |conn| g.write_reference(conn, &mut rng, master))?;
    g.write_orders(conn, &mut rng, &plan)?;
    if let crate::store::DbConn::Pg(_) = conn {
        let mut sql = String::new();
        for t in ID_TABLES {
            let _ = write!(
                sql,
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}));"
            );
        }
        conn.batch_execute(&sql)?;
    }
    eprintln!("generate: users and API tokens…");
    let (center_created, institution_tokens, supplier_tokens) =
        write_tx(conn, |conn| g.users(conn, &opts.password))?;
    let users_created =
        (institution_tokens.len() + supplier_tokens.len()) as i64 + i64::from(center_created);
    g.rows.push(("users", users_created));
    g.rows.push((
        "api_tokens",
        (institution_tokens.len() + supplier_tokens.len()) as i64,
    ));
    conn.batch_execute("ANALYZE")?;
    Ok(Generated {
        scale: opts.scale,
        seed: opts.seed,
        as_of,
        province_code: format!("{pre}0000"),
        rows: g.rows,
        center_created,
        institution_tokens,
        supplier_tokens,
        seconds: started.elapsed().as_secs_f64(),
    })
}

struct Gen {
    p: Params,
    pre: u32,
    tz: Tz,
    as_of: NaiveDateTime,
    year_start: NaiveDateTime,
    /// Orders are submitted before this moment.
    end: NaiveDateTime,
    rules: DeliveryRules,
    next: BTreeMap<&'static str, i64>,
    rows: Vec<(&'static str, i64)>,
    counties: Vec<County>,
    insts: Vec<Inst>,
    centers: Vec<usize>,
    villages: Vec<usize>,
    suppliers: Vec<Supplier>,
    makers: Vec<usize>,
    distributors: Vec<usize>,
    products: Vec<Product>,
    contracts: Vec<Contract>,
    groups: Vec<Group>,
}

/// The next id of a table.
fn take(next: &mut BTreeMap<&'static str, i64>, table: &'static str) -> i64 {
    let n = next.get_mut(table).expect("an id table");
    *n += 1;
    *n - 1
}

impl Gen {
    fn id(&mut self, table: &'static str) -> i64 {
        take(&mut self.next, table)
    }

    /// Who is where, what is contracted, and every order (not yet its fate).
    fn plan(&mut self, rng: &mut StdRng) -> Result<Vec<PlanOrder>, GenerateError> {
        let p = self.p;
        // Counties, townships, institutions (ids only; rows are written later).
        let mut township = 0usize;
        let mut village = 0usize;
        for c in 0..p.counties {
            let county_id = self.next["regions"] + 1 + p.cities as i64 + c as i64;
            let city = c % p.cities;
            let nth_in_city = c / p.cities;
            self.counties.push(County {
                id: county_id,
                code: format!("{}{}{:02}", self.pre, CITIES[city].0, 21 + nth_in_city),
                centers: vec![],
                villages: vec![],
                groups: vec![],
            });
            for _ in 0..share(p.townships, p.counties, c) {
                let remote = rng.gen_bool(0.08);
                let idx = self.insts.len();
                self.insts.push(Inst {
                    id: 0,
                    code: format!("G{}T{:05}", self.pre, township + 1),
                    county: c,
                    township,
                    parent: None,
                    remote,
                });
                self.counties[c].centers.push(idx);
                self.centers.push(idx);
                for _ in 0..share(p.villages, p.townships, township) {
                    let v = self.insts.len();
                    self.insts.push(Inst {
                        id: 0,
                        code: format!("G{}V{:05}", self.pre, village + 1),
                        county: c,
                        township,
                        parent: Some(idx),
                        remote,
                    });
                    self.counties[c].villages.push(v);
                    self.villages.push(v);
                    village += 1;
                }
                township += 1;
            }
        }
        // Institution ids: centers first, then villages (a village's parent comes first).
        let first = self.next["institutions"];
        for (id, &i) in (first..).zip(self.centers.iter().chain(self.villages.iter())) {
            self.insts[i].id = id;
        }
        // Suppliers: manufacturers, then distribution enterprises; each with its licences.
        let today = self.as_of.date();
        for i in 0..p.manufacturers + p.distributors {
            let id = self.id("suppliers");
            let maker = i < p.manufacturers;
            let n = if maker { i } else { i - p.manufacturers };
            let days = |rng: &mut StdRng| today + Duration::days(rng.gen_range(200..1_100));
            let licences = if maker {
                self.makers.push(i);
                vec![
                    (
                        "manufacturing",
                        format!("皖{}{:04}", 2015 + n % 8, n + 1),
                        days(rng),
                    ),
                    ("gmp", format!("AH{}{:04}", 2019 + n % 5, n + 1), days(rng)),
                ]
            } else {
                self.distributors.push(i);
                vec![
                    ("business", format!("皖AA{:07}", 5_510_000 + n), days(rng)),
                    (
                        "gsp",
                        format!("A-AH-{}-{:04}", 2020 + n % 5, n + 1),
                        days(rng),
                    ),
                ]
            };
            self.suppliers.push(Supplier { id, licences });
        }
        // Products: each drug's from different manufacturers, and no manufacturer with two
        // products of one drug (so one bid per lot and supplier suffices).
        let per_drug = p.products / p.drugs;
        let m = p.manufacturers;
        if per_drug == 0 || per_drug > m {
            return Err(GenerateError::Invalid(
                "products per drug must be between 1 and the manufacturers".into(),
            ));
        }
        let stride = m / per_drug;
        for d in 0..p.drugs {
            let form = &FORMS[(d / STEMS.len()) % FORMS.len()];
            for k in 0..per_drug {
                let maker = self.makers[(d * 7 + k * stride) % m];
                let id = self.id("products");
                self.products.push(Product {
                    id,
                    drug: d,
                    maker,
                    per_package: *form.packages.choose(rng).expect("package sizes"),
                    list_price: rng.gen_range(form.price.0..=form.price.1),
                });
            }
        }
        // Contracts: each county's share, in groups of up to 7 under one manufacturer (its own
        // products, each product in one contract at most), with a distributor named per group.
        let mut unused: Vec<Vec<usize>> = vec![vec![]; self.suppliers.len()];
        for (i, pr) in self.products.iter().enumerate() {
            unused[pr.maker].push(i);
        }
        for u in unused.iter_mut() {
            u.shuffle(rng);
        }
        let mut makers = self.makers.clone();
        makers.shuffle(rng);
        let mut cursor = 0usize;
        for c in 0..p.counties {
            let n = share(p.contracts, p.counties, c);
            let groups = n.div_ceil(7).max(1);
            let mut used_here = vec![];
            for gi in 0..groups {
                let size = share(n, groups, gi);
                let mut chosen = None;
                for step in 0..makers.len() {
                    let mk = makers[(cursor + step) % makers.len()];
                    if !used_here.contains(&mk) && unused[mk].len() >= size {
                        chosen = Some(mk);
                        cursor = (cursor + step + 1) % makers.len();
                        break;
                    }
                }
                let mk = chosen.ok_or_else(|| {
                    GenerateError::Invalid(
                        "not enough manufacturers' products for the contracts".into(),
                    )
                })?;
                used_here.push(mk);
                let distributor = *self.distributors.choose(rng).expect("distributors");
                let gidx = self.groups.len();
                let mut ks = vec![];
                for _ in 0..size {
                    let product = unused[mk].pop().expect("checked");
                    let id = self.id("contracts");
                    let cut = rng.gen_range(40..=70);
                    ks.push(self.contracts.len());
                    self.contracts.push(Contract {
                        id,
                        county: c,
                        maker: mk,
                        product,
                        price: (self.products[product].list_price * cut / 100).max(100),
                        committed: 0,
                    });
                }
                self.groups.push(Group {
                    maker: mk,
                    distributor,
                    contracts: ks,
                });
                self.counties[c].groups.push(gidx);
            }
        }
        // Orders: office hours on working days (fewer at weekends), over the year up to "as of".
        let first_day = local_day(self.tz, self.year_start);
        let last_day = local_day(self.tz, self.end - Duration::seconds(1));
        let days = (last_day - first_day).num_days() + 1;
        let total_weight: u32 = LINE_WEIGHTS.iter().map(|w| w.1).sum();
        let mut plan = vec![];
        let mut lines = 0usize;
        while lines < p.order_lines {
            let sub = loop {
                let d = first_day + Duration::days(rng.gen_range(0..days));
                let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
                let local =
                    at(d, rng.gen_range(8..18)) + Duration::seconds(rng.gen_range(0..3_600));
                let t = utc_of_local(self.tz, local);
                if (weekend && !rng.gen_bool(0.3)) || t < self.year_start || t >= self.end {
                    continue;
                }
                break t;
            };
            let inst = if rng.gen_bool(0.4) {
                *self.centers.choose(rng).expect("centers")
            } else {
                *self.villages.choose(rng).unwrap_or(&self.centers[0])
            };
            let county = &self.counties[self.insts[inst].county];
            let group = *county
                .groups
                .choose(rng)
                .expect("every county has contracts");
            let mut pick = rng.gen_range(0..total_weight);
            let mut k = 1;
            for (n, w) in LINE_WEIGHTS {
                if pick < *w {
                    k = *n;
                    break;
                }
                pick -= w;
            }
            let mut cs = self.groups[group].contracts.clone();
            let k = k.min(cs.len()).min(p.order_lines - lines);
            let (chosen, _) = cs.partial_shuffle(rng, k);
            let center = self.counties[self.insts[inst].county]
                .centers
                .contains(&inst);
            let order_lines = chosen
                .iter()
                .map(|&c| {
                    let q = if center {
                        rng.gen_range(2..=40) * 10
                    } else {
                        rng.gen_range(2..=60)
                    };
                    (c, q)
                })
                .collect();
            lines += k;
            plan.push(PlanOrder {
                sub,
                inst,
                group,
                urgent: rng.gen_bool(0.08),
                lines: order_lines,
            });
        }
        plan.sort_by_key(|o| o.sub);
        // Committed volumes: what the year's orders come to, pro rata, and a little more.
        let mut ordered = vec![0i64; self.contracts.len()];
        for o in &plan {
            for (c, q) in &o.lines {
                ordered[*c] += q;
            }
        }
        let elapsed = (self.end - self.year_start).num_days().max(1);
        for (k, q) in self.contracts.iter_mut().zip(ordered) {
            let pro_rata = q * 365 / elapsed;
            k.committed = (pro_rata * rng.gen_range(95..=125) / 100).max(100);
        }
        Ok(plan)
    }

    fn count(&mut self, ins: &Inserter) {
        self.rows.push((ins.table, ins.total));
    }

    /// Regions, institutions, suppliers and licences, drugs and products, the tender with its
    /// lots, bids and contracts.
    fn write_reference(
        &mut self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        master: &MasterKey,
    ) -> Result<(), StoreError> {
        let p = self.p;
        let pre = self.pre;
        let created = at(ymd(2025, 6, 1), 0);
        // The stored words, as SQL literals.
        let (w_province, w_city, w_county, w_township) = (
            sql_word(RegionLevel::Province),
            sql_word(RegionLevel::City),
            sql_word(RegionLevel::County),
            sql_word(RegionLevel::Township),
        );
        let w_township_center = sql_word(InstitutionKind::TownshipCenter);
        let w_village_clinic = sql_word(InstitutionKind::VillageClinic);
        let w_good = sql_word(CreditStatus::Good);
        let w_closed = sql_word(WindowStatus::Closed);
        let w_contracted = sql_word(TenderState::Contracted);
        let (w_multiple_winners, w_awarded) = (
            sql_word(PolicyKind::MultipleWinners),
            sql_word(LotStatus::Awarded),
        );
        let (w_active, w_passed) = (
            sql_word(BidStatus::Active),
            sql_word(TechnicalResult::Passed),
        );
        let w_in_force = sql_word(ContractStatus::InForce);
        // Regions: province, cities, counties, townships (ids in that order).
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
        let mut township_ids = vec![];
        for c in 0..p.counties {
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
        rg.flush(conn)?;
        self.count(&rg);

        // Institutions: the township centers, then their village clinics.
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

        // Suppliers and their licences.
        let mut sup = Inserter::new(
            "suppliers",
            "id, uscc, name, kind, region_id, credit_status, emails, created_at",
        );
        let mut lic = Inserter::new("licences", "id, supplier_id, kind, number, expires_on");
        for i in 0..self.suppliers.len() {
            let maker = i < p.manufacturers;
            let n = if maker { i } else { i - p.manufacturers };
            let city = n % p.cities;
            let first17 = format!("91{pre}{}00MAG{:06}", CITIES[city].0, i + 1);
            let uscc = format!(
                "{first17}{}",
                crate::domain::ids::uscc_check_char(&first17).expect("valid characters")
            );
            let (a, b, _, _) = place(n);
            let name = if maker {
                let s = MAKER_SUFFIXES[(n / (SYL1.len() * SYL2.len())) % MAKER_SUFFIXES.len()];
                format!("安徽{a}{b}{s}")
            } else {
                let s = DISTRIBUTOR_SUFFIXES
                    [(n / (SYL1.len() * SYL2.len())) % DISTRIBUTOR_SUFFIXES.len()];
                format!("{}{a}{b}{s}", &CITIES[city].1.trim_end_matches('市'))
            };
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

        // Drugs and products.
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

        // The demand window and the tender, contracted: lots, bids (one version each, sealed
        // to the tender's key as real bids are), contracts, allocations and distributors.
        let window = self.id("demand_windows");
        let mut dw = Inserter::new(
            "demand_windows",
            "id, title, region_id, closes_at, status, created_at",
        );
        row!(
            dw,
            "({window},'2026年度基层医疗机构药品需求填报（生成数据）',{province},{},{w_closed},{})",
            Ts(at(ymd(2025, 9, 30), 10)),
            Ts(at(ymd(2025, 9, 1), 1))
        );
        dw.flush(conn)?;
        self.count(&dw);
        let tender = self.id("tenders");
        let salt = sealing::new_salt();
        let envelope_key = master.tender_public_key(tender, &salt);
        let submitted = at(ymd(2025, 11, 8), 3);
        let mut tn = Inserter::new(
            "tenders",
            "id, title, region_id, window_id, state, bid_deadline, objection_days, \
             objection_deadline, contract_months, key_salt, cancel_reason, created_at, \
             published_at, envelope_key",
        );
        row!(
            tn,
            "({tender},'2026年度安徽省基层医疗机构药品集中带量采购（生成数据）',{province},{window},\
             {w_contracted},{},3,{},12,{},NULL,{},{},{})",
            Ts(at(ymd(2025, 11, 10), 2)),
            Ts(at(ymd(2025, 11, 20), 2)),
            Q(&salt),
            Ts(at(ymd(2025, 10, 8), 2)),
            Ts(at(ymd(2025, 10, 10), 2)),
            Q(&envelope_key)
        );
        tn.flush(conn)?;
        self.count(&tn);

        // One lot per contracted drug, in drug order.
        let mut by_drug: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, c) in self.contracts.iter().enumerate() {
            by_drug
                .entry(self.products[c.product].drug)
                .or_default()
                .push(k);
        }
        let mut lots = Inserter::new(
            "lots",
            "id, tender_id, lot_no, drug_id, reported_demand, agreed_share_bp, agreed_volume, \
             max_unit_price, min_bidders, consistency_required, policy, policy_json, status, \
             result_json",
        );
        let mut bids = Inserter::new(
            "bids",
            "id, lot_id, supplier_id, status, version, submission_seq, product_id, \
             annual_capacity, technical_json, technical_digest, commercial_digest, \
             commercial_nonce, commercial_sealed, submitted_at, technical_result, \
             technical_reasons, technical_score, package_price, unit_price",
        );
        let mut versions = Inserter::new(
            "bid_versions",
            "id, bid_id, version, action, at, product_id, annual_capacity, technical_json, \
             technical_digest, commercial_digest, commercial_nonce, commercial_sealed",
        );
        let mut kt = Inserter::new(
            "contracts",
            "id, lot_id, bid_id, supplier_id, product_id, region_id, unit_price, \
             committed_volume, starts_on, ends_on, status, created_at, drug_id",
        );
        let mut kc = Inserter::new("contract_counties", "contract_id, county_id");
        let mut alloc = Inserter::new(
            "contract_allocations",
            "id, contract_id, institution_id, volume",
        );
        let mut dist = Inserter::new(
            "contract_distributors",
            "id, contract_id, county_id, distributor_id",
        );
        let params = MultiParams::default();
        let policy = AwardPolicy::MultipleWinners(params.clone());
        let policy_json = serde_json::to_string(&policy).expect("policy serializes");
        let seq0: i64 = counters::table
            .find("bid_submission")
            .select(counters::value)
            .first(conn)?;
        let mut seq = seq0;
        let contracted = at(ymd(2025, 12, 15), 2);
        let mut group_of = vec![0usize; self.contracts.len()];
        for (gi, gr) in self.groups.iter().enumerate() {
            for &k in &gr.contracts {
                group_of[k] = gi;
            }
        }
        for (lot_no, (drug, ks)) in by_drug.iter().enumerate() {
            let lot = self.id("lots");
            let mut ranked: Vec<usize> = ks.clone();
            ranked.sort_by_key(|&k| (self.contracts[k].price, self.contracts[k].id));
            let mut winners = vec![];
            let mut ranking = vec![];
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
                "({lot},{tender},{},{},{},{share_bp},{agreed},{max_price},2,FALSE,\
                 {w_multiple_winners},{},{w_awarded},{})",
                lot_no + 1,
                drug_ids[*drug],
                agreed * 10_000 / share_bp.max(1),
                Q(&policy_json),
                Q(&serde_json::to_string(&result).expect("award serializes"))
            );
            for &k in ks {
                let c = &self.contracts[k];
                let product = &self.products[c.product];
                let supplier = &self.suppliers[c.maker];
                let bid = self.bid_id(k);
                seq += 1;
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
                let sealed = sealing::seal(
                    &envelope_key,
                    tender,
                    &format!(
                        "tender {tender} lot {lot} supplier {} version 1",
                        supplier.id
                    ),
                    plain.as_bytes(),
                )?;
                row!(
                    bids,
                    "({bid},{lot},{},{w_active},1,{seq},{},{capacity},{},{},{},{},{},{},{w_passed},'[]',\
                     NULL,{package},{})",
                    supplier.id,
                    product.id,
                    Q(&tech),
                    Q(&tech_digest),
                    Q(&sealed.digest),
                    Q(&sealed.nonce),
                    Q(&sealed.ciphertext),
                    Ts(submitted + Duration::minutes(k as i64 % 600)),
                    c.price
                );
                let v = take(&mut self.next, "bid_versions");
                row!(
                    versions,
                    "({v},{bid},1,'submit',{},{},{capacity},{},{},{},{},{})",
                    Ts(submitted + Duration::minutes(k as i64 % 600)),
                    product.id,
                    Q(&tech),
                    Q(&tech_digest),
                    Q(&sealed.digest),
                    Q(&sealed.nonce),
                    Q(&sealed.ciphertext)
                );
                let county = &self.counties[c.county];
                row!(
                    kt,
                    "({},{lot},{bid},{},{},{},{},{},{},{},{w_in_force},{},{})",
                    c.id,
                    supplier.id,
                    product.id,
                    county.id,
                    c.price,
                    c.committed,
                    Day(ymd(2026, 1, 1)),
                    Day(ymd(2026, 12, 31)),
                    Ts(contracted),
                    drug_ids[*drug]
                );
                row!(kc, "({},{})", c.id, county.id);
                let n = county.centers.len() as i64;
                for (j, &i) in county.centers.iter().enumerate() {
                    let id = take(&mut self.next, "contract_allocations");
                    row!(
                        alloc,
                        "({id},{},{},{})",
                        c.id,
                        self.insts[i].id,
                        c.committed / n + i64::from((j as i64) < c.committed % n)
                    );
                }
                let id = take(&mut self.next, "contract_distributors");
                let distributor = self.suppliers[self.groups[group_of[k]].distributor].id;
                row!(dist, "({id},{},{},{distributor})", c.id, county.id);
            }
        }
        let bids_total = self.contracts.len() as i64;
        self.next.insert("bids", self.next["bids"] + bids_total);
        diesel::update(counters::table.find("bid_submission"))
            .set(counters::value.eq(seq))
            .execute(conn)?;
        for ins in [
            &mut lots,
            &mut bids,
            &mut versions,
            &mut kt,
            &mut kc,
            &mut alloc,
            &mut dist,
        ] {
            ins.flush(conn)?;
        }
        for ins in [&lots, &bids, &versions, &kt, &kc, &alloc, &dist] {
            self.count(ins);
        }
        Ok(())
    }

    /// The bid of contract `k`: bids are numbered like the contracts.
    fn bid_id(&self, k: usize) -> i64 {
        self.next["bids"] + k as i64
    }
}

/// One order line as its fate unfolds.
/// A delivery being planned: (id, shipped at, shipper, [(line index, quantity)]).
type Shipment = (i64, NaiveDateTime, i64, Vec<(usize, i64)>);

struct LineFate {
    id: i64,
    contract: usize,
    quantity: i64,
    declined: Option<DeclineReason>,
    shipped: i64,
    confirmed: i64,
    accepted: i64,
}

/// The tables of the orders, in the order their references need.
struct OrderTables {
    orders: Inserter,
    lines: Inserter,
    deliveries: Inserter,
    delivery_lines: Inserter,
    payables: Inserter,
    credit_events: Inserter,
}

impl OrderTables {
    fn new() -> Self {
        OrderTables {
            orders: Inserter::new(
                "orders",
                "id, institution_id, supplier_id, urgent, state, submitted_at, acknowledge_by, \
                 deliver_by, acknowledged_at, cancelled_at, placed_by, county_id",
            ),
            lines: Inserter::new(
                "order_lines",
                "id, order_id, contract_id, product_id, quantity, unit_price, declined_reason, \
                 declined_note, shipped, confirmed, accepted",
            ),
            deliveries: Inserter::new(
                "deliveries",
                "id, order_id, shipper_id, idempotency_key, shipped_at",
            ),
            delivery_lines: Inserter::new(
                "delivery_lines",
                "id, delivery_id, order_line_id, quantity, batch_no, production_date, \
                 expiry_date, trace_codes, late, receipt, receipt_reason, confirmed_at, \
                 confirmed_by",
            ),
            payables: Inserter::new(
                "payables",
                "id, delivery_line_id, institution_id, supplier_id, amount, due_on, paid_at",
            ),
            credit_events: Inserter::new(
                "credit_events",
                "id, supplier_id, kind, order_line_id, at, detail",
            ),
        }
    }

    fn flush(&mut self, conn: &mut DbConn) -> Result<(), StoreError> {
        self.orders.flush(conn)?;
        self.lines.flush(conn)?;
        self.deliveries.flush(conn)?;
        self.delivery_lines.flush(conn)?;
        self.payables.flush(conn)?;
        self.credit_events.flush(conn)
    }
}

const DECLINE_NOTES: &[(DeclineReason, &str)] = &[
    (DeclineReason::OutOfStock, "库存不足，原料药短缺"),
    (DeclineReason::Discontinued, "该规格已停产"),
    (DeclineReason::Other, "配送线路调整，暂不能配送"),
];

impl Gen {
    /// Every order's fate: acknowledgement, declined lines, deliveries (on time or late, now
    /// and then in two notes), receipt (accepted or rejected), payables and their payment,
    /// credit events; the last two weeks' orders still open.
    fn write_orders(
        &mut self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        plan: &[PlanOrder],
    ) -> Result<(), StoreError> {
        let mut t = OrderTables::new();
        let open_from = self.as_of - Duration::days(OPEN_DAYS);
        for (n, chunk) in plan.chunks(ORDERS_PER_TX).enumerate() {
            for o in chunk {
                self.one_order(&mut t, rng, o, open_from);
            }
            write_tx(conn, |conn| t.flush(conn))?;
            let done = (n * ORDERS_PER_TX + chunk.len()) as f64;
            if n % 10 == 9 || done as usize == plan.len() {
                eprintln!(
                    "generate: {done:.0} of {} orders written ({:.0}%)",
                    plan.len(),
                    100.0 * done / plan.len() as f64
                );
            }
        }
        for ins in [
            &t.orders,
            &t.lines,
            &t.deliveries,
            &t.delivery_lines,
            &t.payables,
            &t.credit_events,
        ] {
            self.count(ins);
        }
        Ok(())
    }

    fn credit(
        &mut self,
        t: &mut OrderTables,
        supplier: i64,
        kind: CreditEventKind,
        line: i64,
        when: NaiveDateTime,
        detail: &str,
    ) {
        let id = self.id("credit_events");
        row!(
            t.credit_events,
            "({id},{supplier},{},{line},{},{})",
            Q(kind.as_str()),
            Ts(when),
            Q(detail)
        );
    }

    fn one_order(
        &mut self,
        t: &mut OrderTables,
        rng: &mut StdRng,
        o: &PlanOrder,
        open_from: NaiveDateTime,
    ) {
        let as_of = self.as_of;
        let id = self.id("orders");
        let inst_id = self.insts[o.inst].id;
        let remote = self.insts[o.inst].remote;
        let county_id = self.counties[self.insts[o.inst].county].id;
        let group = &self.groups[o.group];
        let supplier = self.suppliers[group.maker].id;
        let distributor = self.suppliers[group.distributor].id;
        let submitted = Utc.from_utc_datetime(&o.sub);
        let deliver_by = self
            .rules
            .delivery_deadline(submitted, o.urgent, remote)
            .naive_utc();
        let acknowledge_by = self.rules.acknowledge_deadline(submitted).naive_utc();
        let hours = (deliver_by - o.sub).num_minutes() / 60;
        let mut lines: Vec<LineFate> = o
            .lines
            .iter()
            .map(|&(contract, quantity)| LineFate {
                id: 0,
                contract,
                quantity,
                declined: None,
                shipped: 0,
                confirmed: 0,
                accepted: 0,
            })
            .collect();
        for l in lines.iter_mut() {
            l.id = self.id("order_lines");
        }
        // How far the order has come: closed orders all the way, open ones part of the way.
        let open = o.sub >= open_from;
        let stage = if !open {
            3
        } else {
            match rng.gen_range(0..100) {
                0..=19 => 0,
                20..=44 => 1,
                _ => 2,
            }
        };
        let ack_at = o.sub + minutes(rng, 5, (hours * 60 * 2 / 5).min(20 * 60));
        let acked = stage >= 1 && ack_at <= as_of;
        let mut cancelled_at = None;
        if rng.gen_bool(0.005) {
            let at = if acked {
                ack_at + minutes(rng, 10, 600)
            } else {
                o.sub + minutes(rng, 5, 300)
            };
            if at <= as_of {
                cancelled_at = Some(at);
            }
        }
        let mut deliveries: Vec<Shipment> = vec![];
        if acked && cancelled_at.is_none() {
            for l in lines.iter_mut() {
                if rng.gen_bool(0.02) {
                    let r = match rng.gen_range(0..100) {
                        0..=69 => 0,
                        70..=84 => 1,
                        _ => 2,
                    };
                    l.declined = Some(DECLINE_NOTES[r].0);
                }
            }
            let declined: Vec<(i64, DeclineReason)> = lines
                .iter()
                .filter_map(|l| l.declined.map(|r| (l.id, r)))
                .collect();
            for (line, r) in declined {
                let when = ack_at + Duration::minutes(1);
                self.credit(
                    t,
                    supplier,
                    CreditEventKind::Declined,
                    line,
                    when,
                    r.as_str(),
                );
            }
            // Deliveries: one note, or two now and then; on time mostly, late sometimes.
            let late = rng.gen_bool(0.05);
            let ship1 = if late {
                deliver_by + minutes(rng, 60, 36 * 60)
            } else {
                let room = (deliver_by - ack_at).num_minutes() - 10;
                ack_at + minutes(rng, 30.min(room), room)
            };
            let split = rng.gen_bool(0.04);
            let ship2 = ship1 + minutes(rng, 120, 30 * 60);
            let shipper = if rng.gen_bool(0.85) {
                distributor
            } else {
                supplier
            };
            let open_lines: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].declined.is_none())
                .collect();
            if stage >= 2 && !open_lines.is_empty() && ship1 <= as_of {
                let mut first = vec![];
                let mut second = vec![];
                for &i in &open_lines {
                    let q = lines[i].quantity;
                    if split && q >= 2 {
                        first.push((i, q / 2));
                        second.push((i, q - q / 2));
                    } else {
                        first.push((i, q));
                    }
                }
                let d = self.id("deliveries");
                deliveries.push((d, ship1, shipper, first));
                if !second.is_empty() && ship2 <= as_of {
                    let d = self.id("deliveries");
                    deliveries.push((d, ship2, shipper, second));
                }
            }
        }
        for (d, shipped_at, shipper, dls) in &deliveries {
            row!(
                t.deliveries,
                "({d},{id},{shipper},NULL,{})",
                Ts(*shipped_at)
            );
            let late = *shipped_at > deliver_by;
            // Received by the whole note at once, a few hours to a few days later.
            let confirm_at = *shipped_at + minutes(rng, 60, 60 * 60);
            let confirmed = stage >= 3 && confirm_at <= as_of;
            let day = local_day(self.tz, *shipped_at);
            for &(i, q) in dls {
                let dl = self.id("delivery_lines");
                let line_id = lines[i].id;
                lines[i].shipped += q;
                let produced = day - Duration::days(rng.gen_range(20..200));
                let expiry = produced
                    .checked_add_months(chrono::Months::new(if rng.gen_bool(0.5) {
                        24
                    } else {
                        36
                    }))
                    .unwrap_or(produced);
                let batch = format!("{}{:02}", produced.format("%Y%m%d"), rng.gen_range(1..30));
                let trace = format!(
                    "81{:09}{:09}",
                    rng.gen_range(0..1_000_000_000u64),
                    rng.gen_range(0..1_000_000_000u64)
                );
                let (receipt, reason) = if confirmed {
                    lines[i].confirmed += q;
                    if rng.gen_bool(0.01) {
                        let r = RejectReason::ALL[rng.gen_range(0..RejectReason::ALL.len())];
                        (Some(ReceiptOutcome::Rejected), Some(r))
                    } else {
                        lines[i].accepted += q;
                        (Some(ReceiptOutcome::Accepted), None)
                    }
                } else {
                    (None, None)
                };
                row!(
                    t.delivery_lines,
                    "({dl},{d},{line_id},{q},{},{},{},{},{},{},{},{},{})",
                    Q(&batch),
                    Day(produced),
                    Day(expiry),
                    Q(&trace),
                    B(late),
                    Opt(receipt.map(|r| Q(r.as_str()))),
                    Opt(reason.map(|r| Q(r.as_str()))),
                    Opt(confirmed.then_some(Ts(confirm_at))),
                    Opt(confirmed.then_some(Q(ACTOR)))
                );
                if late {
                    let detail = format!("delivered after {deliver_by}");
                    self.credit(
                        t,
                        supplier,
                        CreditEventKind::Late,
                        line_id,
                        *shipped_at,
                        &detail,
                    );
                }
                match (receipt, reason) {
                    (Some(ReceiptOutcome::Accepted), _) => {
                        let p = self.id("payables");
                        let price = self.contracts[lines[i].contract].price;
                        let due = local_day(self.tz, confirm_at)
                            + Duration::days(self.rules.payment_days);
                        let paid = confirm_at
                            + Duration::days(rng.gen_range(1..40))
                            + minutes(rng, 0, 600);
                        let paid = (rng.gen_bool(0.95) && paid <= as_of).then_some(Ts(paid));
                        row!(
                            t.payables,
                            "({p},{dl},{inst_id},{supplier},{},{},{})",
                            price * q,
                            Day(due),
                            Opt(paid)
                        );
                    }
                    (Some(ReceiptOutcome::Rejected), Some(r)) => {
                        self.credit(
                            t,
                            supplier,
                            CreditEventKind::Rejected,
                            line_id,
                            confirm_at,
                            r.as_str(),
                        );
                    }
                    _ => {}
                }
            }
        }
        // The order's state is what its lines say (as the store moves it).
        let state = if cancelled_at.is_some() {
            OrderState::Cancelled
        } else {
            let q: Vec<LineQuantities> = lines
                .iter()
                .map(|l| LineQuantities {
                    ordered: l.quantity,
                    declined: l.declined.is_some(),
                    shipped: l.shipped,
                    confirmed: l.confirmed,
                    accepted: l.accepted,
                })
                .collect();
            let current = if acked {
                OrderState::Acknowledged
            } else {
                OrderState::Submitted
            };
            state_from_lines(current, &q)
        };
        row!(
            t.orders,
            "({id},{inst_id},{supplier},{},{},{},{},{},{},{},{},{county_id})",
            B(o.urgent),
            Q(state.as_str()),
            Ts(o.sub),
            Ts(acknowledge_by),
            Ts(deliver_by),
            Opt(acked.then_some(Ts(ack_at))),
            Opt(cancelled_at.map(Ts)),
            Q(ACTOR)
        );
        for l in &lines {
            let c = &self.contracts[l.contract];
            let note = l.declined.map(|r| {
                DECLINE_NOTES
                    .iter()
                    .find(|(d, _)| *d == r)
                    .map(|(_, n)| *n)
                    .unwrap_or("")
            });
            row!(
                t.lines,
                "({},{id},{},{},{},{},{},{},{},{},{})",
                l.id,
                c.id,
                self.products[c.product].id,
                l.quantity,
                c.price,
                Opt(l.declined.map(|r| Q(r.as_str()))),
                Opt(note.map(Q)),
                l.shipped,
                l.confirmed,
                l.accepted
            );
        }
    }

    /// The center user (unless there is one), and a user with an API token for some township
    /// centers and for every supplier, through the store (with their audit records).
    #[allow(clippy::type_complexity)]
    fn users(
        &self,
        conn: &mut DbConn,
        password: &str,
    ) -> Result<(bool, Vec<(i64, String)>, Vec<(i64, String)>), StoreError> {
        let act = Act::new(ACTOR, Utc::now());
        let hash = crate::security::hash_password(password)?;
        let new_user = |username: String, role, supplier_id, institution_id| users::NewUser {
            display_name: username.clone(),
            email: format!("{username}@gen.jicai.test"),
            username,
            password_hash: hash.clone(),
            role,
            supplier_id,
            institution_id,
            language: "zh-CN".into(),
        };
        let center_created = users::by_username(conn, "center")?.is_none();
        if center_created {
            users::create(
                conn,
                &act,
                &new_user("center".into(), Role::Center, None, None),
            )?;
        }
        let token = |conn: &mut DbConn, u: users::NewUser| -> Result<String, StoreError> {
            let u = users::create(conn, &act, &u)?;
            let t = crate::security::new_api_token();
            users::create_token(conn, &act, u.id, ACTOR, &t.hash, &t.prefix)?;
            Ok(t.secret)
        };
        let n = self.p.token_institutions.min(self.centers.len());
        let mut inst = vec![];
        for j in 0..n {
            // Spread over the province: every (centers / n)-th center.
            let i = &self.insts[self.centers[j * self.centers.len() / n]];
            let u = new_user(
                format!("gen-inst-{}", i.id),
                Role::Institution,
                None,
                Some(i.id),
            );
            inst.push((i.id, token(conn, u)?));
        }
        let mut sup = vec![];
        for s in &self.suppliers {
            let u = new_user(
                format!("gen-sup-{}", s.id),
                Role::Supplier,
                Some(s.id),
                None,
            );
            sup.push((s.id, token(conn, u)?));
        }
        Ok((center_created, inst, sup))
    }
}
