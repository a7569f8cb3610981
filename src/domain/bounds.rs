//! The ranges of the numbers that enter: every quantity, percentage, ratio, weight, score and
//! hours/days setting is checked here (or by [`super::money::Money`] and [`super::date`]) on its
//! way in, with an error that names the field. Within these ranges the arithmetic the platform
//! does on them (sums over lines, price × quantity, volume × share) fits an i64 or a `Decimal`
//! with room to spare; the bounds each sum relies on are stated where it is taken.

use rust_decimal::Decimal;
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::{Code, Invalid, Msg};

/// A quantity of units of use on one line (an order line, a shipment, a demand row, a direct
/// listing purchase, a bid's capacity): 1 to 10,000,000.
///
/// Sums of quantities are taken in SQL as BIGINT (i64): at 10^7 per line they cannot overflow
/// before 9 × 10^11 lines are summed, far beyond any province's order book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 10_000_000;
    pub const RANGE: RangeInclusive<i64> = Quantity::MIN..=Quantity::MAX;

    /// A quantity that arrived as a number (JSON, a spreadsheet cell read as a number).
    pub fn new(field: &str, v: i64) -> Result<Quantity, Invalid> {
        in_range(field, v, Quantity::RANGE).map(Quantity)
    }

    /// A quantity typed by a person: a whole number, spaces around it allowed.
    pub fn parse(field: &str, s: &str) -> Result<Quantity, Invalid> {
        whole(field, s, Quantity::RANGE).map(Quantity)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// One institution's reported annual demand of one drug: 0 (none) to [`Quantity::MAX`]. The
/// totals by drug and county are BIGINT sums of these rows, safe for 9 × 10^11 rows.
pub const DEMAND: RangeInclusive<i64> = 0..=Quantity::MAX;

/// A bid's annual capacity in units of use: 1 to 10^12 (compared with volumes in i128).
pub const CAPACITY: RangeInclusive<i64> = 1..=1_000_000_000_000;

/// A whole number within `range`, typed by a person ("12", " 12 "; not "1,000", "1e3", "12.0").
pub fn whole(field: &str, s: &str, range: RangeInclusive<i64>) -> Result<i64, Invalid> {
    let t = s.trim();
    let v = t.parse::<i64>().map_err(|_| {
        Invalid::new(
            field,
            Msg::new(Code::NotAWholeNumber)
                .arg("value", shorten(t))
                .arg("min", range.start())
                .arg("max", range.end()),
        )
    })?;
    in_range(field, v, range)
}

/// An optional whole number: empty is none.
pub fn optional_whole(
    field: &str,
    s: &str,
    range: RangeInclusive<i64>,
) -> Result<Option<i64>, Invalid> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        whole(field, s, range).map(Some)
    }
}

/// A whole number that arrived as a number, checked against `range`.
pub fn in_range(field: &str, v: i64, range: RangeInclusive<i64>) -> Result<i64, Invalid> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(Invalid::new(
            field,
            Msg::new(Code::OutOfRange)
                .arg("min", range.start())
                .arg("max", range.end()),
        ))
    }
}

/// A decimal that arrived as one (JSON, a policy's parameter), checked against `lo..=hi` and a
/// number of decimal places.
pub fn decimal_in(
    field: &str,
    d: Decimal,
    lo: Decimal,
    hi: Decimal,
    places: u32,
) -> Result<Decimal, Invalid> {
    if d < lo || d > hi {
        return Err(Invalid::new(
            field,
            Msg::new(Code::OutOfRange).arg("min", lo).arg("max", hi),
        ));
    }
    let n = d.normalize();
    if n.scale() > places {
        return Err(Invalid::new(
            field,
            Msg::new(Code::TooManyDecimals).arg("places", places),
        ));
    }
    Ok(n)
}

/// A decimal typed by a person ("70", "70.5", "70%" when `percent_sign`), checked as [`decimal_in`].
pub fn parse_decimal(
    field: &str,
    s: &str,
    lo: Decimal,
    hi: Decimal,
    places: u32,
) -> Result<Decimal, Invalid> {
    let t = s.trim();
    let d = Decimal::from_str(t.trim_end_matches('%').trim())
        .map_err(|_| Invalid::new(field, Msg::new(Code::NotANumber).arg("value", shorten(t))))?;
    decimal_in(field, d, lo, hi, places)
}

/// A percentage: 0 to 100, at most 2 decimal places.
pub fn percent(field: &str, d: Decimal) -> Result<Decimal, Invalid> {
    decimal_in(field, d, Decimal::ZERO, Decimal::ONE_HUNDRED, 2)
}

/// A percentage typed by a person: "70", "70%", "70.5".
pub fn parse_percent(field: &str, s: &str) -> Result<Decimal, Invalid> {
    parse_decimal(field, s, Decimal::ZERO, Decimal::ONE_HUNDRED, 2)
}

/// A fraction (a share, a weight): 0 to 1, at most 4 decimal places.
pub fn fraction(field: &str, d: Decimal) -> Result<Decimal, Invalid> {
    decimal_in(field, d, Decimal::ZERO, Decimal::ONE, 4)
}

/// An expert's technical score: whole points from 0 to 100.
pub const SCORE: RangeInclusive<i64> = 0..=100;

/// Hours settings (delivery and acknowledgement deadlines): 1 hour to 90 days.
pub const HOURS: RangeInclusive<i64> = 1..=2_160;

/// Days settings (objection window, payment term, reminders ahead): 1 day to 10 years.
pub const DAYS: RangeInclusive<i64> = 1..=3_660;

/// Months of a contract's term: 1 to 10 years.
pub const MONTHS: RangeInclusive<i64> = 1..=120;

/// A lot's minimum number of valid bids, and the multiple-winners policy's winners at most.
pub const BIDDERS: RangeInclusive<i64> = 1..=100;

/// Units of use in a package.
pub const UNITS_PER_PACKAGE: RangeInclusive<i64> = 1..=100_000;

/// At most this many characters of a refused value are echoed in an error message.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantity_takes_its_range_only() {
        assert_eq!(Quantity::parse("quantity", " 12 ").unwrap().get(), 12);
        assert_eq!(
            Quantity::parse("quantity", "10000000").unwrap().get(),
            10_000_000
        );
        for bad in [
            "0",
            "-0",
            "-1",
            "10000001",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "1,000",
            "1e3",
            "1e30",
            "12.0",
            "NaN",
            "",
            " ",
            "+262142-12-31",
        ] {
            let e = Quantity::parse("quantity", bad).unwrap_err();
            assert_eq!(e.field, "quantity", "{bad}");
        }
        assert!(Quantity::new("lines[0].quantity", i64::MAX).is_err());
        assert!(Quantity::new("q", i64::MIN).is_err());
    }

    #[test]
    fn percent_and_fraction_have_bounds_and_places() {
        assert_eq!(
            parse_percent("agreed_share", "70%").unwrap(),
            Decimal::from(70)
        );
        assert!(parse_percent("agreed_share", "100.01").is_err());
        assert!(parse_percent("agreed_share", "-1").is_err());
        assert!(parse_percent("agreed_share", "79228162514264337593543950335").is_err());
        assert!(parse_percent("agreed_share", "79228162514264337593543950336").is_err());
        assert!(parse_percent("agreed_share", "12.345").is_err());
        assert!(fraction("w", Decimal::new(12345, 5)).is_err());
        assert_eq!(
            fraction("w", Decimal::new(40, 2)).unwrap(),
            Decimal::new(4, 1)
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let e = whole("x", &"9".repeat(10_000), 0..=1).unwrap_err();
        assert!(e.msg.to_string().chars().count() < 100, "{}", e.msg);
    }

    /// Strings people and programs send that have broken parsers before.
    pub(crate) fn nasty() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(i64::MAX.to_string()),
            Just(i64::MIN.to_string()),
            Just("18446744073709551616".to_string()),
            Just("79228162514264337593543950335".to_string()),
            Just("-79228162514264337593543950335".to_string()),
            Just("792281625142643375935439503350000".to_string()),
            Just("0.00000000000000000000000000001".to_string()),
            Just("+262142-12-31".to_string()),
            Just("-262143-01-01".to_string()),
            Just("1e30".to_string()),
            Just("-0".to_string()),
            Just("NaN".to_string()),
            Just("inf".to_string()),
            Just("1,000".to_string()),
            Just("  42  ".to_string()),
            Just("\t\n".to_string()),
            Just("".to_string()),
            Just("%".to_string()),
            Just("¥".to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| v.to_string()),
            "[-+0-9.,eE% ]{0,40}",
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn parsers_answer_in_range_or_name_the_field(s in nasty()) {
            match Quantity::parse("quantity", &s) {
                Ok(q) => prop_assert!(Quantity::RANGE.contains(&q.get())),
                Err(e) => prop_assert_eq!(e.field, "quantity"),
            }
            match whole("score", &s, SCORE) {
                Ok(v) => prop_assert!(SCORE.contains(&v)),
                Err(e) => prop_assert_eq!(e.field, "score"),
            }
            match parse_percent("agreed_share", &s) {
                Ok(v) => prop_assert!(v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED && v.scale() <= 2),
                Err(e) => prop_assert_eq!(e.field, "agreed_share"),
            }
        }

        #[test]
        fn numbers_outside_the_range_are_refused(v in any::<i64>()) {
            prop_assert_eq!(Quantity::new("q", v).is_ok(), Quantity::RANGE.contains(&v));
        }
    }
}
