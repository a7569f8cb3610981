//! Money: `rust_decimal::Decimal` yuan, stored exactly as a count of 1/10,000 yuan.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::{Code, Invalid, Msg};

/// Smallest stored fraction of a yuan: 1/10,000.
pub const SCALE: u32 = 4;

/// An amount in yuan, exact to 1/10,000 yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// The largest amount a person or a program may enter (a price, a cap, a floor): 10,000,000
    /// yuan. A line's amount is a unit price times at most [`super::bounds::Quantity::MAX`]
    /// units, so it stays below 10^18 ten-thousandths of a yuan and fits an i64 (9.2 × 10^18).
    pub const MAX_ENTERED: Money = Money(Decimal::from_parts(10_000_000, 0, 0, false, 0));

    /// From the stored count of 1/10,000 yuan; exact for every i64.
    pub fn from_ten_thousandths(v: i64) -> Money {
        Money(Decimal::new(v, SCALE))
    }

    /// The stored count of 1/10,000 yuan; refuses an amount that needs more precision or does not fit.
    pub fn try_from_decimal(d: Decimal) -> Result<Money, Invalid> {
        let n = d.normalize();
        if n.scale() > SCALE {
            return Err(Invalid::new(
                "amount",
                Msg::new(Code::TooManyDecimals).arg("places", SCALE),
            ));
        }
        let mut r = n;
        r.rescale(SCALE);
        if r.mantissa() > i64::MAX as i128 || r.mantissa() < i64::MIN as i128 {
            return Err(Invalid::new("amount", Code::AmountTooLarge));
        }
        Ok(Money(r))
    }

    pub fn ten_thousandths(&self) -> i64 {
        let mut r = self.0;
        r.rescale(SCALE);
        r.mantissa()
            .to_i64()
            .expect("Money holds only amounts that fit an i64")
    }

    pub fn decimal(&self) -> Decimal {
        self.0
    }

    /// An amount that entered as a number (JSON): within 0..=[`Money::MAX_ENTERED`], at most
    /// 4 decimal places.
    pub fn entered(field: &str, d: Decimal) -> Result<Money, Invalid> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(Invalid::new(field, Code::Negative));
        }
        if d > Money::MAX_ENTERED.0 {
            return Err(Invalid::new(
                field,
                Msg::new(Code::AmountOverMax).arg("max", Money::MAX_ENTERED),
            ));
        }
        Money::try_from_decimal(d).map_err(|e| e.within(field))
    }

    /// Parses a price typed by a person: "12.5", "12.50", "¥12.50", "1,234.5"; within
    /// 0..=[`Money::MAX_ENTERED`].
    pub fn parse(field: &str, s: &str) -> Result<Money, Invalid> {
        let cleaned: String = s
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',')
            .collect();
        let d = Decimal::from_str(cleaned.trim()).map_err(|_| {
            let shown: String = s.trim().chars().take(40).collect();
            Invalid::new(field, Msg::new(Code::NotAnAmount).arg("value", shown))
        })?;
        Money::entered(field, d)
    }

    /// Parses a price that must be positive.
    pub fn parse_positive(field: &str, s: &str) -> Result<Money, Invalid> {
        let m = Money::parse(field, s)?;
        if m.0 <= Decimal::ZERO {
            return Err(Invalid::new(field, Code::NotPositive));
        }
        Ok(m)
    }

    /// Divides, rounding half up (away from zero) to 1/10,000 yuan: the unit price rule.
    pub fn div_round(&self, by: i64) -> Option<Money> {
        if by == 0 {
            return None;
        }
        let q = self.0.checked_div(Decimal::from(by))?;
        Some(Money(q.round_dp_with_strategy(
            SCALE,
            RoundingStrategy::MidpointAwayFromZero,
        )))
    }
}

impl fmt::Display for Money {
    /// Shown with at least two decimals, more only when needed: 12.50, 0.0125.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.normalize();
        if n.scale() < 2 {
            let mut r = n;
            r.rescale(2);
            write!(f, "{r}")
        } else {
            write!(f, "{n}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_more_than_four_decimals() {
        assert!(Money::parse("price", "1.23456").is_err());
        assert_eq!(
            Money::parse("price", "1.2345").unwrap().ten_thousandths(),
            12345
        );
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(
            Money::parse("p", "¥1,234.5").unwrap().to_string(),
            "1234.50"
        );
        assert!(Money::parse("p", "abc")
            .unwrap_err()
            .msg
            .to_string()
            .contains("abc"));
        assert!(Money::parse_positive("p", "0").is_err());
        assert!(Money::parse_positive("p", "-1").is_err());
        assert!(Money::parse("p", "-1").is_err());
        assert!(Money::parse("p", "10000000").is_ok());
        assert!(Money::parse("p", "10000000.0001").is_err());
        assert!(Money::parse("p", "79228162514264337593543950335").is_err());
        assert!(Money::parse("p", "1e30").is_err());
        assert_eq!(Money::parse("p", "-0").unwrap(), Money::ZERO);
    }

    #[test]
    fn unit_price_rounds_half_up() {
        // 1.00005 per unit rounds up to 1.0001
        let pkg = Money::parse("p", "20.001").unwrap();
        assert_eq!(pkg.div_round(20).unwrap().to_string(), "1.0001");
        let pkg = Money::parse("p", "10").unwrap();
        assert_eq!(pkg.div_round(3).unwrap().to_string(), "3.3333");
        assert_eq!(pkg.div_round(0), None);
    }

    proptest! {
        #[test]
        fn stored_count_round_trips_exactly(v in any::<i64>()) {
            let m = Money::from_ten_thousandths(v);
            prop_assert_eq!(m.ten_thousandths(), v);
            prop_assert_eq!(Money::try_from_decimal(m.decimal()).unwrap(), m);
        }

        #[test]
        fn display_parses_back(v in 0i64..=100_000_000_000i64) {
            let m = Money::from_ten_thousandths(v);
            prop_assert_eq!(Money::parse("p", &m.to_string()).unwrap(), m);
        }

        #[test]
        fn parse_answers_in_range_or_names_the_field(s in crate::domain::bounds::tests::nasty()) {
            match Money::parse("unit_price", &s) {
                Ok(m) => prop_assert!(m >= Money::ZERO && m <= Money::MAX_ENTERED && m.decimal().normalize().scale() <= SCALE),
                Err(e) => prop_assert_eq!(e.field, "unit_price"),
            }
        }
    }
}
