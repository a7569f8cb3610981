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
//!
//! The modules: [`plan`] decides who is where, what is contracted and every order;
//! [`parties`] writes the regions, institutions and suppliers, [`catalog`] the drugs and
//! products, [`tender`] the tender with its lots, bids and contracts, [`orders`] every order's
//! fate, [`accounts`] the users and API tokens; [`sql`] holds the literal values and the
//! multi-row `INSERT` writer, [`names`] what names are drawn from. The entry is [`generate`].

#[macro_use]
mod sql;
mod accounts;
mod catalog;
mod names;
mod orders;
mod parties;
mod plan;
mod tender;

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write as _};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::domain::orders::DeliveryRules;
use crate::sealing::MasterKey;
use crate::store::schema::{orders as orders_t, regions};
use crate::store::{write_tx, DbConn, StoreError};

use names::CITIES;
use plan::{at, utc_of_local, ymd, Contract, County, Group, Inst, Product, Supplier};
use sql::{next_id, Inserter, ID_TABLES};

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

/// Generates the province into the database (migrated already).
pub fn generate(
    conn: &mut DbConn,
    master: &MasterKey,
    opts: &Options,
) -> Result<Generated, GenerateError> {
    let started = Instant::now();
    let p = opts.scale.params();
    let mut g = Gen::new(conn, opts)?;
    let mut rng = StdRng::seed_from_u64(opts.seed);

    eprintln!("generate: planning…");
    let plan = g.plan(&mut rng)?;
    eprintln!(
        "generate: {} orders with {} lines planned; writing the province…",
        plan.len(),
        p.order_lines
    );
    write_tx(conn, |conn| g.write_reference(conn, &mut rng, master))?;
    g.write_orders(conn, &mut rng, &plan)?;
    move_sequences(conn)?;
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
        as_of: g.as_of,
        province_code: format!("{}0000", g.pre),
        rows: g.rows,
        center_created,
        institution_tokens,
        supplier_tokens,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// On PostgreSQL, moves the identity sequences past the ids assigned here.
fn move_sequences(conn: &mut DbConn) -> Result<(), StoreError> {
    if let DbConn::Pg(_) = conn {
        let mut sql = String::new();
        for t in ID_TABLES {
            let _ = write!(
                sql,
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}));"
            );
        }
        conn.batch_execute(&sql)?;
    }
    Ok(())
}

/// The province's code prefix: Anhui's (34) unless taken (the demo, or an earlier run), then
/// 99, 98…
fn free_prefix(conn: &mut DbConn) -> Result<u32, GenerateError> {
    for pre in std::iter::once(34u32).chain((11..=99).rev()) {
        let taken: i64 = regions::table
            .filter(regions::code.eq(format!("{pre}0000")))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            return Ok(pre);
        }
    }
    Err(GenerateError::Invalid("no province code left".into()))
}

/// The generator's state: the plan, the next id of each table, the rows written.
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
    /// Checks the options against the database and starts an empty plan.
    fn new(conn: &mut DbConn, opts: &Options) -> Result<Gen, GenerateError> {
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
        let existing: i64 = orders_t::table.count().get_result(conn)?;
        if existing > 0 && !opts.force {
            return Err(GenerateError::HasOrders(existing));
        }
        let pre = free_prefix(conn)?;
        let mut next: BTreeMap<&'static str, i64> = BTreeMap::new();
        for t in ID_TABLES {
            next.insert(t, next_id(conn, t)?);
        }
        Ok(Gen {
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
        })
    }

    fn id(&mut self, table: &'static str) -> i64 {
        take(&mut self.next, table)
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
        let places = self.write_regions(conn)?;
        self.write_institutions(conn, &places.townships)?;
        self.write_suppliers(conn, &places.cities)?;
        let drug_ids = self.write_drugs(conn)?;
        self.write_products(conn, rng, &drug_ids)?;
        self.write_tender(conn, master, places.province, &drug_ids)
    }
}
