//! The rules of the trade, pure: no I/O, no SQL, no HTTP.

/// A closed set of words stored as text: the enum, `ALL`, `as_str` and `parse` (which names the
/// field and the words it takes). Attributes before the name (e.g. more derives) are kept.
macro_rules! words {
    ($(#[$m:meta])* $name:ident { $($v:ident => $w:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$v => $w),+ }
            }
            pub fn parse(field: &str, s: &str) -> Result<$name, $crate::domain::Invalid> {
                $name::ALL.iter().copied().find(|x| x.as_str() == s.trim()).ok_or_else(|| {
                    $crate::domain::Invalid::new(field, $crate::domain::msg::Msg::new($crate::domain::msg::Code::NotOneOf).arg("value", s).arg("words", $name::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")))
                })
            }
        }
    };
}

pub mod alerts;
pub mod audit;
pub mod award;
pub mod bounds;
pub mod catalog;
pub mod ids;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod money;
pub mod msg;
pub mod orders;
pub mod paging;
pub mod performance;
pub mod roles;
pub mod shortage;
pub mod tender;
pub mod users;

use std::fmt;

pub use msg::{Code, Msg};

/// A rule broken by an input: names the field and says what is wrong, as a code with its
/// arguments that the edge puts into the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub msg: Msg,
}

impl Invalid {
    pub fn new(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        Invalid {
            field: field.into(),
            msg: msg.into(),
        }
    }

    /// The same error under another field name (a line of a list, a part of a body).
    pub fn within(self, field: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            msg: self.msg,
        }
    }

    pub fn code(&self) -> msg::Code {
        self.msg.code
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.msg)
    }
}

impl std::error::Error for Invalid {}

/// Trims a required text field and refuses it when empty or longer than `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, Code::Required));
    }
    if v.chars().count() > max {
        return Err(Invalid::new(field, Msg::new(Code::TooLong).arg("max", max)));
    }
    Ok(v.to_string())
}

/// Trims an optional text field: empty becomes `None`.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<Option<String>, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    required_text(field, v, max).map(Some)
}

/// Validates a comma- or semicolon-separated list of e-mail addresses and returns it normalized.
pub fn email_list(field: &str, value: &str) -> Result<String, Invalid> {
    let mut out = Vec::new();
    for part in value.split([',', ';', ' ', '\n']).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        if !ids::is_email(part) {
            return Err(Invalid::new(
                field,
                Msg::new(Code::NotEmail).arg("value", part),
            ));
        }
        out.push(part.to_ascii_lowercase());
    }
    Ok(out.join(", "))
}

/// The first day a date that enters may name.
pub const FIRST_DAY: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};
/// The last day a date that enters may name: far enough for any contract or licence, near
/// enough that adding a term of months or a deadline of hours to it can never leave chrono's range.
pub const LAST_DAY: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// Refuses a date outside [`FIRST_DAY`]..=[`LAST_DAY`].
pub fn date_in_window(field: &str, d: chrono::NaiveDate) -> Result<chrono::NaiveDate, Invalid> {
    if d < FIRST_DAY || d > LAST_DAY {
        return Err(Invalid::new(
            field,
            Msg::new(Code::DateOutsideWindow)
                .arg("min", FIRST_DAY)
                .arg("max", LAST_DAY),
        ));
    }
    Ok(d)
}

/// Refuses an instant whose (UTC) day is outside [`FIRST_DAY`]..=[`LAST_DAY`].
pub fn instant_in_window(
    field: &str,
    t: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, Invalid> {
    date_in_window(field, t.date_naive()).map(|_| t)
}

/// A calendar date typed as YYYY-MM-DD, within [`FIRST_DAY`]..=[`LAST_DAY`].
pub fn date(field: &str, s: &str) -> Result<chrono::NaiveDate, Invalid> {
    let t = s.trim();
    // chrono also reads signed years of more than four digits ("+262142-12-31"); a date that
    // enters is four digits, dash, two, dash, two.
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let d = if shaped {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
    } else {
        None
    };
    let d = d.ok_or_else(|| {
        let shown: String = t.chars().take(40).collect();
        Invalid::new(field, Msg::new(Code::NotADate).arg("value", shown))
    })?;
    date_in_window(field, d)
}

/// An optional date: empty is none, anything else as [`date`].
pub fn optional_date(field: &str, s: &str) -> Result<Option<chrono::NaiveDate>, Invalid> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        date(field, s).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_outside_the_window_are_refused() {
        assert_eq!(
            date("to", " 2027-06-30 ").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()
        );
        for bad in [
            "+262142-12-31",
            "-262143-01-01",
            "262142-12-31",
            "1999-12-31",
            "2101-01-01",
            "9999-12-31",
            "0000-01-01",
            "2027-02-30",
            "2027-6-30",
            "2027-06-30T00:00",
            "",
            "NaN",
        ] {
            assert_eq!(date("to", bad).unwrap_err().field, "to", "{bad}");
        }
        assert!(date("to", "2000-01-01").is_ok());
        assert!(date("to", "2100-12-31").is_ok());
    }

    proptest! {
        #[test]
        fn date_parses_in_window_or_names_the_field(s in prop_oneof![
            "[-+0-9 ]{0,14}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}",
            any::<String>(),
        ]) {
            match date("from", &s) {
                Ok(d) => prop_assert!((FIRST_DAY..=LAST_DAY).contains(&d)),
                Err(e) => prop_assert_eq!(e.field, "from"),
            }
        }
    }
}
