//! The award function's tests: examples of each policy and properties over random lots.

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn yuan(s: &str) -> Money {
    Money::parse("p", s).unwrap()
}

fn bid(id: i64, price: &str, seq: i64) -> BidInput {
    BidInput {
        bid_id: id,
        supplier_id: 100 + id,
        unit_price: yuan(price),
        qualified: true,
        technical_score: None,
        final_submission_seq: seq,
    }
}

fn demand(counties: &[(&str, &[(&str, i64)])]) -> Vec<CountyDemand> {
    counties
        .iter()
        .map(|(c, is)| CountyDemand {
            county_code: c.to_string(),
            institutions: is
                .iter()
                .map(|(i, q)| InstitutionDemand {
                    institution_code: i.to_string(),
                    quantity: *q,
                })
                .collect(),
        })
        .collect()
}

fn lot(policy: AwardPolicy) -> LotInput {
    LotInput {
        lot_id: 1,
        max_unit_price: yuan("1.00"),
        min_bidders: 2,
        policy,
        reported_demand: demand(&[
            ("340102", &[("I1", 1000), ("I2", 500)]),
            ("340103", &[("I3", 2000)]),
            ("340104", &[("I4", 700)]),
        ]),
        default_share: Decimal::new(7, 1),
    }
}

#[test]
fn policy_parameters_have_upper_bounds() {
    let huge = Decimal::MAX;
    let with = |f: &dyn Fn(&mut MultiParams)| {
        let mut p = MultiParams::default();
        f(&mut p);
        AwardPolicy::MultipleWinners(p).validate()
    };
    assert!(with(&|_| {}).is_ok());
    assert_eq!(
        with(&|p| p.price_ratio = huge).unwrap_err().field,
        "price_ratio"
    );
    assert_eq!(
        with(&|p| p.price_ratio = Decimal::new(101, 1))
            .unwrap_err()
            .field,
        "price_ratio"
    );
    assert_eq!(
        with(&|p| p.max_winners = usize::MAX).unwrap_err().field,
        "max_winners"
    );
    assert_eq!(
        with(&|p| p.max_price_fraction = huge).unwrap_err().field,
        "max_price_fraction"
    );
    assert_eq!(
        with(&|p| p.shares = vec![huge]).unwrap_err().field,
        "shares"
    );
    assert_eq!(
        with(&|p| p.absolute_floor = Money::from_ten_thousandths(i64::MAX))
            .unwrap_err()
            .field,
        "absolute_floor"
    );
    let composite = |t: Decimal, p: Decimal| {
        AwardPolicy::CompositeScore {
            technical_weight: t,
            price_weight: p,
        }
        .validate()
    };
    assert!(composite(Decimal::new(4, 1), Decimal::new(6, 1)).is_ok());
    assert!(composite(huge, Decimal::MIN).is_err());
    assert!(composite(huge, huge).is_err());
}

#[test]
fn lowest_price_takes_the_whole_agreed_volume() {
    let a = award_lot(
        &lot(AwardPolicy::LowestPrice),
        &[bid(1, "0.50", 1), bid(2, "0.40", 2), bid(3, "0.45", 3)],
    )
    .unwrap();
    let Outcome::Awarded {
        agreed_volume,
        winners,
        ranking,
        ..
    } = &a.outcome
    else {
        panic!("failed")
    };
    assert_eq!(*agreed_volume, 2940); // 4200 × 70%
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].bid_id, 2);
    assert_eq!(winners[0].volume, 2940);
    assert_eq!(
        winners[0].primary_counties,
        vec!["340102", "340103", "340104"]
    );
    assert!(winners[0].backup_for.is_empty());
    assert_eq!(
        ranking.iter().map(|r| r.bid_id).collect::<Vec<_>>(),
        vec![2, 3, 1]
    );
    // 1000/4200×2940 = 700, 500 → 350, 2000 → 1400, 700 → 490.
    assert_eq!(
        winners[0].institution_volumes,
        vec![
            ("I1".into(), 700),
            ("I2".into(), 350),
            ("I3".into(), 1400),
            ("I4".into(), 490)
        ]
    );
}

#[test]
fn too_few_valid_bids_fail_the_lot_with_reasons() {
    let mut disq = bid(2, "0.30", 2);
    disq.qualified = false;
    let a = award_lot(
        &lot(AwardPolicy::LowestPrice),
        &[bid(1, "0.50", 1), disq, bid(3, "1.01", 3)],
    )
    .unwrap();
    let Outcome::Failed {
        valid_bids,
        invalid,
        reason,
        args,
    } = &a.outcome
    else {
        panic!("awarded")
    };
    assert_eq!(*valid_bids, 1);
    assert_eq!(reason, Code::TooFewValidBids.as_str());
    assert_eq!(args["valid"], "1");
    assert_eq!(args["min"], "2");
    assert_eq!(invalid.len(), 2);
    assert_eq!(invalid[0].reason, Code::BidNotQualified.as_str());
    assert!(invalid[0].args.is_empty());
    assert_eq!(invalid[1].reason, Code::BidPriceAboveMax.as_str());
    assert_eq!(invalid[1].args["price"], "1.01");
    assert_eq!(invalid[1].args["max"], "1.00");
    // An award computed before the codes (an English sentence, no arguments) still reads.
    let old: LotAward = serde_json::from_str(
        r#"{"lot_id": 1, "outcome": {"outcome": "failed",
            "reason": "1 valid bid(s), fewer than the minimum of 2", "valid_bids": 1,
            "invalid": [{"bid_id": 2, "supplier_id": 102, "reason": "did not pass the technical review"}]}}"#,
    )
    .unwrap();
    assert!(matches!(old.outcome, Outcome::Failed { valid_bids: 1, .. }));
}

#[test]
fn ties_break_by_score_then_earlier_submission() {
    let mut a = bid(1, "0.40", 5);
    let mut b = bid(2, "0.40", 3);
    let c = bid(3, "0.40", 4);
    a.technical_score = Some(Decimal::from(90));
    b.technical_score = Some(Decimal::from(80));
    let r = award_lot(
        &lot(AwardPolicy::LowestPrice),
        &[b.clone(), c.clone(), a.clone()],
    )
    .unwrap();
    // a has the higher score; then b and c have none/80 — Some(80) > None, so b before c.
    let Outcome::Awarded { ranking, .. } = &r.outcome else {
        panic!()
    };
    assert_eq!(
        ranking.iter().map(|r| r.bid_id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // Same price and score: earlier final submission wins.
    let r = award_lot(
        &lot(AwardPolicy::LowestPrice),
        &[bid(1, "0.40", 9), bid(2, "0.40", 4)],
    )
    .unwrap();
    assert_eq!(r.winners()[0].bid_id, 2);
}

#[test]
fn multiple_winners_take_counties_in_turn_with_backups() {
    let p = AwardPolicy::MultipleWinners(MultiParams::default());
    // max 1.00: lowest 0.40, cap 0.72 (1.8×) or ≤ 0.50 (half the max); 0.80 loses.
    let a = award_lot(
        &lot(p),
        &[bid(1, "0.40", 1), bid(2, "0.70", 2), bid(3, "0.80", 3)],
    )
    .unwrap();
    let Outcome::Awarded {
        agreed_share,
        agreed_volume,
        winners,
        ranking,
        ..
    } = &a.outcome
    else {
        panic!()
    };
    assert_eq!(*agreed_share, Decimal::new(60, 2));
    assert_eq!(*agreed_volume, 2520);
    assert_eq!(winners.len(), 2);
    assert!(!ranking[2].winner);
    // Counties by demand: 340103 (2000), 340102 (1500), 340104 (700).
    assert_eq!(winners[0].primary_counties, vec!["340103", "340104"]);
    assert_eq!(winners[1].primary_counties, vec!["340102"]);
    assert_eq!(winners[0].backup_for, vec!["340102"]);
    assert_eq!(winners[1].backup_for, vec!["340103", "340104"]);
    assert_eq!(winners[0].volume + winners[1].volume, 2520);
    // 2520 × 2000/4200 = 1200, × 700/4200 = 420; 1500/4200 → 900.
    assert_eq!(winners[0].volume, 1620);
    assert_eq!(winners[1].volume, 900);
}

#[test]
fn multiple_winners_count_absolute_floor_and_fraction_of_max() {
    let p = MultiParams {
        price_ratio: Decimal::ONE,
        ..MultiParams::default()
    };
    let mut l = lot(AwardPolicy::MultipleWinners(p));
    l.max_unit_price = yuan("0.20");
    // ratio 1: only the lowest by ratio; 0.10 floor admits 0.09 and 0.10; half the max (0.10) too.
    let a = award_lot(
        &l,
        &[bid(1, "0.05", 1), bid(2, "0.10", 2), bid(3, "0.11", 3)],
    )
    .unwrap();
    assert_eq!(
        a.winners().iter().map(|w| w.bid_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn composite_score_weighs_technique_and_price() {
    let p = AwardPolicy::CompositeScore {
        technical_weight: Decimal::new(6, 1),
        price_weight: Decimal::new(4, 1),
    };
    let mut a = bid(1, "0.40", 1);
    let mut b = bid(2, "0.50", 2);
    a.technical_score = Some(Decimal::from(60));
    b.technical_score = Some(Decimal::from(95));
    // a: 0.6×60 + 0.4×100 = 76; b: 0.6×95 + 0.4×80 = 89.
    let r = award_lot(&lot(p.clone()), &[a.clone(), b.clone()]).unwrap();
    assert_eq!(r.winners()[0].bid_id, 2);
    assert_eq!(r.winners()[0].score, Some(Decimal::new(890000, 4)));
    b.technical_score = None;
    let e = award_lot(&lot(p), &[a, b]).unwrap_err();
    assert_eq!(e.code(), Code::BidWithoutScore);
    assert_eq!(e.msg.get("bid"), Some("2"));
}

#[test]
fn largest_remainder_breaks_equal_remainders_by_demand_then_code() {
    let parts = vec![
        ("B".to_string(), 1),
        ("A".to_string(), 1),
        ("C".to_string(), 2),
    ];
    // 3 × 1/4 = 0.75, 0.75, 1.5 → 0, 0, 1 and 2 left: C's .5 is below the .75s.
    assert_eq!(
        largest_remainder(3, &parts).unwrap(),
        vec![("B".into(), 1), ("A".into(), 1), ("C".into(), 1)]
    );
    // 1 left between A and B with equal remainders and demand: lower code.
    let parts = vec![("B".to_string(), 1), ("A".to_string(), 1)];
    assert_eq!(
        largest_remainder(1, &parts).unwrap(),
        vec![("B".into(), 0), ("A".into(), 1)]
    );
    // Equal remainders, larger demand first: 2 among 3,3,... use weights 1 and 3 of 4 with total 2: 0.5 and 1.5.
    let parts = vec![("A".to_string(), 1), ("B".to_string(), 3)];
    assert_eq!(
        largest_remainder(2, &parts).unwrap(),
        vec![("A".into(), 0), ("B".into(), 2)]
    );
    assert!(largest_remainder(5, &[]).is_err());
}

fn arb_case() -> impl Strategy<Value = (LotInput, Vec<BidInput>)> {
    let counties = prop::collection::vec(prop::collection::vec(0i64..5_000, 1..5), 1..7);
    let bids = prop::collection::vec(
        (
            1i64..15_000,
            any::<bool>(),
            prop::option::of(0i64..=100),
            0i64..6,
        ),
        0..14,
    );
    let policy = prop_oneof![
        Just(AwardPolicy::LowestPrice),
        (1usize..12).prop_map(|m| AwardPolicy::MultipleWinners(MultiParams {
            max_winners: m,
            ..MultiParams::default()
        })),
        (0i64..=10).prop_map(|t| AwardPolicy::CompositeScore {
            technical_weight: Decimal::new(t, 1),
            price_weight: Decimal::new(10 - t, 1)
        }),
    ];
    (
        counties,
        bids,
        policy,
        1usize..4,
        1i64..=100,
        5_000i64..12_000,
    )
        .prop_map(|(counties, bids, policy, min, share, max)| {
            let reported_demand = counties
                .iter()
                .enumerate()
                .map(|(c, qs)| CountyDemand {
                    county_code: format!("34{:04}", (c * 37) % 100),
                    institutions: qs
                        .iter()
                        .enumerate()
                        .map(|(i, q)| InstitutionDemand {
                            institution_code: format!("I{c}-{i}"),
                            quantity: *q,
                        })
                        .collect(),
                })
                .collect();
            let scored = policy.needs_scores();
            let bids = bids
                .iter()
                .enumerate()
                .map(|(i, (price, q, score, seq))| BidInput {
                    bid_id: i as i64 + 1,
                    supplier_id: 1000 + i as i64,
                    unit_price: Money::from_ten_thousandths(*price),
                    qualified: *q || i % 3 == 0,
                    technical_score: if scored {
                        Some(Decimal::from(score.unwrap_or(50)))
                    } else {
                        score.map(Decimal::from)
                    },
                    final_submission_seq: *seq,
                })
                .collect();
            let l = LotInput {
                lot_id: 7,
                max_unit_price: Money::from_ten_thousandths(max),
                min_bidders: min,
                policy,
                reported_demand,
                default_share: Decimal::new(share, 2),
            };
            (l, bids)
        })
}

proptest! {
    #[test]
    fn volumes_sum_exactly_to_the_agreed_volume((l, bids) in arb_case()) {
        let a = award_lot(&l, &bids).unwrap();
        if let Outcome::Awarded { agreed_volume, winners, .. } = &a.outcome {
            prop_assert_eq!(winners.iter().map(|w| w.volume).sum::<i64>(), *agreed_volume);
            for w in winners {
                prop_assert_eq!(w.institution_volumes.iter().map(|i| i.1).sum::<i64>(), w.volume);
            }
            let total: i64 = l.reported_demand.iter().flat_map(|c| c.institutions.iter()).map(|i| i.quantity).sum();
            prop_assert!(*agreed_volume <= total);
        }
    }

    #[test]
    fn every_county_has_one_primary_and_a_different_backup((l, bids) in arb_case()) {
        let a = award_lot(&l, &bids).unwrap();
        if let Outcome::Awarded { winners, .. } = &a.outcome {
            let mut primary: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
            let mut backup: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
            for w in winners {
                for c in &w.primary_counties { primary.entry(c).or_default().push(w.bid_id); }
                for c in &w.backup_for { backup.entry(c).or_default().push(w.bid_id); }
            }
            let counties: BTreeSet<&str> = l.reported_demand.iter().map(|c| c.county_code.as_str()).collect();
            prop_assert_eq!(primary.keys().copied().collect::<BTreeSet<_>>(), counties.clone());
            for (c, p) in &primary {
                prop_assert_eq!(p.len(), 1);
                if winners.len() > 1 {
                    prop_assert_eq!(backup[c].len(), 1);
                    prop_assert_ne!(backup[c][0], p[0]);
                } else {
                    prop_assert!(!backup.contains_key(c));
                }
            }
        }
    }

    #[test]
    fn no_winner_above_the_caps((l, bids) in arb_case()) {
        let a = award_lot(&l, &bids).unwrap();
        if let Outcome::Awarded { winners, ranking, .. } = &a.outcome {
            let lowest = ranking.iter().map(|r| r.unit_price).min().unwrap();
            for w in winners {
                prop_assert!(w.unit_price <= l.max_unit_price);
                let b = bids.iter().find(|b| b.bid_id == w.bid_id).unwrap();
                prop_assert!(b.qualified);
                if let AwardPolicy::MultipleWinners(p) = &l.policy {
                    let d = w.unit_price.decimal();
                    prop_assert!(d <= lowest.decimal() * p.price_ratio || w.unit_price <= p.absolute_floor || d <= l.max_unit_price.decimal() * p.max_price_fraction);
                    prop_assert!(winners.len() <= p.max_winners);
                } else {
                    prop_assert_eq!(winners.len(), 1);
                }
            }
        }
    }

    #[test]
    fn the_order_of_the_bids_does_not_matter((l, bids) in arb_case(), seed in any::<u64>()) {
        let mut shuffled = bids.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(award_lot(&l, &bids).unwrap(), award_lot(&l, &shuffled).unwrap());
    }

    #[test]
    fn ties_break_as_documented((l, bids) in arb_case()) {
        let a = award_lot(&l, &bids).unwrap();
        if let Outcome::Awarded { ranking, .. } = &a.outcome {
            for pair in ranking.windows(2) {
                let (x, y) = (&pair[0], &pair[1]);
                let bx = bids.iter().find(|b| b.bid_id == x.bid_id).unwrap();
                let by = bids.iter().find(|b| b.bid_id == y.bid_id).unwrap();
                let key = |b: &BidInput, r: &Ranked| (std::cmp::Reverse(r.score), b.unit_price, std::cmp::Reverse(b.technical_score), b.final_submission_seq, b.bid_id);
                prop_assert!(key(bx, x) < key(by, y), "{:?} ranked before {:?}", x, y);
            }
        }
    }

    #[test]
    fn fewer_valid_bids_than_the_minimum_fail((l, bids) in arb_case()) {
        let valid = bids.iter().filter(|b| b.qualified && b.unit_price <= l.max_unit_price).count();
        let a = award_lot(&l, &bids).unwrap();
        match &a.outcome {
            Outcome::Failed { valid_bids, .. } => { prop_assert!(valid < l.min_bidders); prop_assert_eq!(*valid_bids, valid); }
            Outcome::Awarded { .. } => prop_assert!(valid >= l.min_bidders),
        }
    }

    #[test]
    fn largest_remainder_sums_exactly(total in 0i64..1_000_000, ws in prop::collection::vec(0i64..100_000, 1..30)) {
        let parts: Vec<(String, i64)> = ws.iter().enumerate().map(|(i, w)| (format!("{i:03}"), *w)).collect();
        let out = largest_remainder(total, &parts).unwrap();
        prop_assert_eq!(out.iter().map(|o| o.1).sum::<i64>(), total);
        let sum: i64 = ws.iter().sum();
        for (o, w) in out.iter().zip(&ws) {
            if sum > 0 {
                // Each part is its quota rounded down or up.
                let q = total as i128 * *w as i128;
                prop_assert!((o.1 as i128) * sum as i128 >= q - sum as i128 && (o.1 as i128) * (sum as i128) <= q + sum as i128);
            }
        }
    }
}
