//! The plan of a generated province: who is where, what is contracted, and every order (not
//! yet its fate). Only ids and indices; the rows are written by the sibling modules.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::names::{CITIES, FORMS, LINE_WEIGHTS, STEMS};
use super::{Gen, GenerateError};

pub(super) struct County {
    pub(super) id: i64,
    pub(super) code: String,
    /// Indices of its township centers in `Gen::insts`.
    pub(super) centers: Vec<usize>,
    /// Indices of its village clinics.
    pub(super) villages: Vec<usize>,
    pub(super) groups: Vec<usize>,
}

pub(super) struct Inst {
    pub(super) id: i64,
    pub(super) code: String,
    pub(super) county: usize,
    /// Index of its township (in creation order).
    pub(super) township: usize,
    /// Its township center (for a village clinic).
    pub(super) parent: Option<usize>,
    pub(super) remote: bool,
}

pub(super) struct Supplier {
    pub(super) id: i64,
    pub(super) licences: Vec<(&'static str, String, NaiveDate)>,
}

pub(super) struct Product {
    pub(super) id: i64,
    pub(super) drug: usize,
    pub(super) maker: usize,
    pub(super) per_package: i32,
    /// 1/10,000 yuan per unit of use, before the tender's cut.
    pub(super) list_price: i64,
}

pub(super) struct Contract {
    pub(super) id: i64,
    pub(super) county: usize,
    pub(super) maker: usize,
    pub(super) product: usize,
    /// 1/10,000 yuan per unit of use.
    pub(super) price: i64,
    pub(super) committed: i64,
}

/// One supplier's contracts in one county: an order goes under one group.
pub(super) struct Group {
    pub(super) maker: usize,
    /// The distribution enterprise named for the county (index into suppliers).
    pub(super) distributor: usize,
    pub(super) contracts: Vec<usize>,
}

pub(super) struct PlanOrder {
    pub(super) sub: NaiveDateTime,
    pub(super) inst: usize,
    pub(super) group: usize,
    pub(super) urgent: bool,
    /// (contract index, quantity)
    pub(super) lines: Vec<(usize, i64)>,
}

/// `total` split into `parts` as evenly as possible: the size of part `i`.
pub(super) fn share(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

pub(super) fn utc_of_local(tz: Tz, t: NaiveDateTime) -> NaiveDateTime {
    tz.from_local_datetime(&t)
        .earliest()
        .map(|d| d.naive_utc())
        .unwrap_or(t)
}

pub(super) fn local_day(tz: Tz, t: NaiveDateTime) -> NaiveDate {
    Utc.from_utc_datetime(&t).with_timezone(&tz).date_naive()
}

pub(super) fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

pub(super) fn at(d: NaiveDate, h: u32) -> NaiveDateTime {
    d.and_hms_opt(h, 0, 0).expect("a valid time")
}

pub(super) fn minutes(rng: &mut StdRng, lo: i64, hi: i64) -> Duration {
    Duration::seconds(rng.gen_range(lo * 60..=hi.max(lo) * 60))
}

impl Gen {
    /// Who is where, what is contracted, and every order (not yet its fate).
    pub(super) fn plan(&mut self, rng: &mut StdRng) -> Result<Vec<PlanOrder>, GenerateError> {
        self.plan_places(rng);
        self.plan_suppliers(rng);
        self.plan_products(rng)?;
        self.plan_contracts(rng)?;
        let plan = self.plan_orders(rng);
        self.plan_committed(rng, &plan);
        Ok(plan)
    }

    /// Counties, townships, institutions (ids only; rows are written later).
    fn plan_places(&mut self, rng: &mut StdRng) {
        let p = self.p;
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
    }

    /// Suppliers: manufacturers, then distribution enterprises; each with its licences.
    fn plan_suppliers(&mut self, rng: &mut StdRng) {
        let p = self.p;
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
    }

    /// Products: each drug's from different manufacturers, and no manufacturer with two
    /// products of one drug (so one bid per lot and supplier suffices).
    fn plan_products(&mut self, rng: &mut StdRng) -> Result<(), GenerateError> {
        let p = self.p;
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
        Ok(())
    }

    /// Contracts: each county's share, in groups of up to 7 under one manufacturer (its own
    /// products, each product in one contract at most), with a distributor named per group.
    fn plan_contracts(&mut self, rng: &mut StdRng) -> Result<(), GenerateError> {
        let p = self.p;
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
                let mk = next_maker(&makers, &mut cursor, &used_here, &unused, size).ok_or_else(
                    || {
                        GenerateError::Invalid(
                            "not enough manufacturers' products for the contracts".into(),
                        )
                    },
                )?;
                used_here.push(mk);
                let products: Vec<usize> = (0..size)
                    .map(|_| unused[mk].pop().expect("checked"))
                    .collect();
                self.plan_group(rng, c, mk, &products);
            }
        }
        Ok(())
    }

    /// One group of contracts of manufacturer `mk` in county `c`, one per product.
    fn plan_group(&mut self, rng: &mut StdRng, c: usize, mk: usize, products: &[usize]) {
        let distributor = *self.distributors.choose(rng).expect("distributors");
        let gidx = self.groups.len();
        let mut ks = vec![];
        for &product in products {
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

    /// Orders: office hours on working days (fewer at weekends), over the year up to "as of".
    fn plan_orders(&mut self, rng: &mut StdRng) -> Vec<PlanOrder> {
        let p = self.p;
        let first_day = local_day(self.tz, self.year_start);
        let last_day = local_day(self.tz, self.end - Duration::seconds(1));
        let days = (last_day - first_day).num_days() + 1;
        let mut plan = vec![];
        let mut lines = 0usize;
        while lines < p.order_lines {
            let sub = self.order_time(rng, first_day, days);
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
            let k = lines_per_order(rng);
            let mut cs = self.groups[group].contracts.clone();
            let k = k.min(cs.len()).min(p.order_lines - lines);
            let (chosen, _) = cs.partial_shuffle(rng, k);
            let center = county.centers.contains(&inst);
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
        plan
    }

    /// When an order is submitted: a moment of office hours on one of `days` days from
    /// `first_day`, fewer at weekends, within the year and before the end.
    fn order_time(&self, rng: &mut StdRng, first_day: NaiveDate, days: i64) -> NaiveDateTime {
        loop {
            let d = first_day + Duration::days(rng.gen_range(0..days));
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            let local = at(d, rng.gen_range(8..18)) + Duration::seconds(rng.gen_range(0..3_600));
            let t = utc_of_local(self.tz, local);
            if (weekend && !rng.gen_bool(0.3)) || t < self.year_start || t >= self.end {
                continue;
            }
            return t;
        }
    }

    /// Committed volumes: what the year's orders come to, pro rata, and a little more.
    fn plan_committed(&mut self, rng: &mut StdRng, plan: &[PlanOrder]) {
        let mut ordered = vec![0i64; self.contracts.len()];
        for o in plan {
            for (c, q) in &o.lines {
                ordered[*c] += q;
            }
        }
        let elapsed = (self.end - self.year_start).num_days().max(1);
        for (k, q) in self.contracts.iter_mut().zip(ordered) {
            let pro_rata = q * 365 / elapsed;
            k.committed = (pro_rata * rng.gen_range(95..=125) / 100).max(100);
        }
    }
}

/// The next manufacturer (from `cursor`, round the shuffled `makers`) not yet used in the
/// county with at least `size` unused products; moves the cursor past it.
fn next_maker(
    makers: &[usize],
    cursor: &mut usize,
    used_here: &[usize],
    unused: &[Vec<usize>],
    size: usize,
) -> Option<usize> {
    for step in 0..makers.len() {
        let mk = makers[(*cursor + step) % makers.len()];
        if !used_here.contains(&mk) && unused[mk].len() >= size {
            *cursor = (*cursor + step + 1) % makers.len();
            return Some(mk);
        }
    }
    None
}

/// Lines of one order, drawn by [`LINE_WEIGHTS`].
fn lines_per_order(rng: &mut StdRng) -> usize {
    let total_weight: u32 = LINE_WEIGHTS.iter().map(|w| w.1).sum();
    let mut pick = rng.gen_range(0..total_weight);
    for (n, w) in LINE_WEIGHTS {
        if pick < *w {
            return *n;
        }
        pick -= w;
    }
    1
}
