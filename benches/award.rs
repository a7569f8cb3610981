//! The award function on 5,000 lots × 20 bids (each lot with 40 institutions in 8 counties,
//! policies in turn: lowest price, multiple winners, composite score), beside simply sorting
//! the same 100,000 bids by unit price.
//!
//!     cargo bench --bench award

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use jicai::domain::award::{
    award_lot, AwardPolicy, BidInput, CountyDemand, InstitutionDemand, LotInput, MultiParams,
};
use jicai::domain::money::Money;
use rust_decimal::Decimal;
use std::hint::black_box;

const LOTS: usize = 5_000;
const BIDS: usize = 20;

/// A small deterministic generator, so every run benches the same data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn data() -> Vec<(LotInput, Vec<BidInput>)> {
    let mut r = Lcg(2026);
    (0..LOTS)
        .map(|l| {
            let policy = match l % 3 {
                0 => AwardPolicy::LowestPrice,
                1 => AwardPolicy::MultipleWinners(MultiParams::default()),
                _ => AwardPolicy::CompositeScore {
                    technical_weight: Decimal::new(4, 1),
                    price_weight: Decimal::new(6, 1),
                },
            };
            let reported_demand = (0..8)
                .map(|c| CountyDemand {
                    county_code: format!("3401{c:02}"),
                    institutions: (0..5)
                        .map(|i| InstitutionDemand {
                            institution_code: format!("I{c:02}{i:02}"),
                            quantity: 100 + r.below(50_000) as i64,
                        })
                        .collect(),
                })
                .collect();
            let lot = LotInput {
                lot_id: l as i64,
                max_unit_price: Money::from_ten_thousandths(20_000),
                min_bidders: 3,
                policy,
                reported_demand,
                default_share: Decimal::new(70, 2),
            };
            let bids = (0..BIDS)
                .map(|b| BidInput {
                    bid_id: (l * BIDS + b) as i64,
                    supplier_id: b as i64,
                    unit_price: Money::from_ten_thousandths(5_000 + r.below(17_000) as i64),
                    qualified: r.below(10) != 0,
                    technical_score: Some(Decimal::from(50 + r.below(50))),
                    final_submission_seq: r.below(1_000_000) as i64,
                })
                .collect();
            (lot, bids)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let lots = data();
    let all_bids: Vec<BidInput> = lots.iter().flat_map(|(_, b)| b.iter().cloned()).collect();
    assert_eq!(all_bids.len(), LOTS * BIDS);
    let mut g = c.benchmark_group("award");
    g.sample_size(20);
    g.bench_function("award 5,000 lots × 20 bids", |b| {
        b.iter(|| {
            for (lot, bids) in &lots {
                black_box(award_lot(lot, bids).expect("valid inputs"));
            }
        })
    });
    g.bench_function("sort 100,000 bids by unit price", |b| {
        b.iter_batched(
            || all_bids.clone(),
            |mut v| {
                v.sort_by_key(|x| x.unit_price);
                black_box(v)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
