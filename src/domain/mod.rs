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
                    $crate::domain::Invalid::new(field, format!("\"{s}\" is not one of: {}", $name::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")))
                })
            }
        }
    };
}

pub mod alerts;
pub mod audit;
pub mod award;
pub mod catalog;
pub mod ids;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod money;
pub mod orders;
pub mod paging;
pub mod performance;
pub mod roles;
pub mod shortage;
pub mod tender;

use std::fmt;

/// A rule broken by an input: names the field and says what is wrong, in words a person understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

/// Trims a required text field and refuses it when empty or longer than `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("is longer than {max} characters"),
        ));
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
                format!("\"{part}\" is not an e-mail address"),
            ));
        }
        out.push(part.to_ascii_lowercase());
    }
    Ok(out.join(", "))
}

/// A calendar date typed as YYYY-MM-DD.
pub fn date(field: &str, s: &str) -> Result<chrono::NaiveDate, Invalid> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Invalid::new(field, format!("\"{s}\" is not a date such as 2027-06-30")))
}

/// An optional date: empty is none, anything else as [`date`].
pub fn optional_date(field: &str, s: &str) -> Result<Option<chrono::NaiveDate>, Invalid> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        date(field, s).map(Some)
    }
}
