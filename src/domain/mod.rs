//! The rules of the trade, pure: no I/O, no SQL, no HTTP.

/// A closed set of words (a state, a kind, a reason…): the one way an enum and its words meet.
///
/// Each variant names its word, which is what the database stores, what the API and serde
/// send, and what `Display` prints. strum derives the conversions (`FromStr`, `&'static str`,
/// `Display`, the list of variants); this adds `ALL`, `as_str` and `parse`, which trims, names
/// the field, and answers `NotOneOf` with the words it takes. With `=> word, zh, en;` variants
/// the enum also has `label(lang)`, and `parse` takes a label too (as people type them in
/// forms and files). Attributes before `enum` (e.g. more derives) are kept.
///
/// The store reads and writes these enums as text columns (`store::words`); an unknown stored
/// word is an error there, never a default.
macro_rules! words {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vm:meta])* $v:ident => $w:literal, $zh:literal, $en:literal;)+
        }
    ) => {
        $crate::domain::words!(@enum $(#[$m])* $vis $name { $($(#[$vm])* $v => $w),+ });
        impl $name {
            pub fn label(&self, lang: &str) -> &'static str {
                match (self, lang.starts_with("zh")) {
                    $(($name::$v, true) => $zh, ($name::$v, false) => $en),+
                }
            }

            /// The word, or its Chinese or English label; `field` names the input in the error.
            pub fn parse(field: &str, s: &str) -> Result<$name, $crate::domain::Invalid> {
                let t = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| {
                        v.as_str() == t
                            || v.label("zh") == t
                            || v.label("en").eq_ignore_ascii_case(t)
                    })
                    .ok_or_else(|| $name::not_one_of(field, t))
            }
        }
        impl $crate::domain::Labelled for $name {
            fn label(&self, lang: &str) -> &'static str {
                $name::label(self, lang)
            }
        }
    };
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vm:meta])* $v:ident => $w:literal),+ $(,)?
        }
    ) => {
        $crate::domain::words!(@enum $(#[$m])* $vis $name { $($(#[$vm])* $v => $w),+ });
        impl $name {
            /// The word (trimmed); `field` names the input in the error.
            pub fn parse(field: &str, s: &str) -> Result<$name, $crate::domain::Invalid> {
                let t = s.trim();
                <$name as ::std::str::FromStr>::from_str(t).map_err(|_| $name::not_one_of(field, t))
            }
        }
    };
    (@enum $(#[$m:meta])* $vis:vis $name:ident { $($(#[$vm:meta])* $v:ident => $w:literal),+ }) => {
        $(#[$m])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            ::strum::IntoStaticStr,
            ::strum::EnumString,
            ::strum::Display,
            ::strum::VariantArray,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        $vis enum $name {
            $($(#[$vm])* #[strum(serialize = $w)] #[serde(rename = $w)] $v),+
        }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = <$name as ::strum::VariantArray>::VARIANTS;

            /// The word as stored and sent.
            pub fn as_str(&self) -> &'static str {
                self.into()
            }

            fn not_one_of(field: &str, value: &str) -> $crate::domain::Invalid {
                let words: Vec<&str> = $name::ALL.iter().map(|x| x.as_str()).collect();
                $crate::domain::Invalid::new(
                    field,
                    $crate::domain::msg::Msg::new($crate::domain::msg::Code::NotOneOf)
                        .arg("value", value)
                        .arg("words", words.join(", ")),
                )
            }
        }
        impl $crate::domain::Word for $name {
            const ALL: &'static [$name] = $name::ALL;
            fn as_str(&self) -> &'static str {
                $name::as_str(self)
            }
            fn parse(field: &str, s: &str) -> Result<$name, $crate::domain::Invalid> {
                $name::parse(field, s)
            }
        }
    };
}
pub(crate) use words;

pub mod alerts;
pub mod audit;
pub mod award;
pub mod bidding;
pub mod bounds;
pub mod catalog;
pub mod commitments;
pub mod custody;
pub mod demand;
pub mod ids;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod money;
pub mod msg;
pub mod naming;
pub mod orders;
pub mod paging;
pub mod performance;
pub mod roles;
pub mod shortage;
pub mod shortage_response;
pub mod supply;
pub mod tender;
pub mod tender_stages;
pub mod todo;
pub mod users;

use std::fmt;

pub use msg::{Code, Msg};

/// Every enum of [`words!`]: a closed set of words. Generic code (the store's text columns,
/// the API document, tests) takes any of them through this.
pub trait Word:
    Copy
    + Eq
    + fmt::Debug
    + fmt::Display
    + std::str::FromStr
    + serde::Serialize
    + serde::de::DeserializeOwned
    + 'static
{
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The word as stored and sent.
    fn as_str(&self) -> &'static str;
    /// The word (trimmed; a labelled set also takes its labels); `field` names the input in
    /// the error.
    fn parse(field: &str, s: &str) -> Result<Self, Invalid>;
}

/// A [`words!`] enum whose words have a Chinese and an English label.
pub trait Labelled: Word {
    /// The label in `lang` (Chinese for `zh…`, English otherwise).
    fn label(&self, lang: &str) -> &'static str;
}

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

    /// Every variant through its word and back (parse, `FromStr`, `Display`, serde), an
    /// unknown word refused naming the field; returns the words.
    fn words_of<T: Word>(field: &str) -> Vec<&'static str> {
        for v in T::ALL {
            let w = v.as_str();
            // Written into hand-written SQL as a literal (`store::sql_word`): nothing to escape.
            assert!(
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{w}"
            );
            assert_eq!(T::parse(field, w), Ok(*v), "{w}");
            assert_eq!(T::parse(field, &format!(" {w}\t")), Ok(*v), "{w}");
            assert!(w.parse::<T>().ok() == Some(*v), "{w}");
            assert_eq!(v.to_string(), w);
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(w));
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(w)).unwrap(),
                *v
            );
        }
        let words: Vec<&'static str> = T::ALL.iter().map(|v| v.as_str()).collect();
        let distinct: std::collections::BTreeSet<_> = words.iter().collect();
        assert_eq!(distinct.len(), words.len(), "{words:?}");
        let e = T::parse(field, " bogus ").unwrap_err();
        assert_eq!((e.field.as_str(), e.code()), (field, Code::NotOneOf));
        assert_eq!(e.msg.get("value"), Some("bogus"));
        assert_eq!(e.msg.get("words"), Some(words.join(", ").as_str()));
        // What the database and serde read is the exact word: no trimming, no case folding.
        for bad in [
            "bogus",
            "",
            &format!(" {}", words[0]),
            &words[0].to_uppercase(),
        ] {
            assert!(bad.parse::<T>().is_err(), "{bad:?}");
            assert!(
                serde_json::from_value::<T>(serde_json::json!(bad)).is_err(),
                "{bad:?}"
            );
        }
        words
    }

    // The words below are what the databases hold: changing one needs a migration of the data.

    /// The tender's words (states, actions, windows, lots, bids, reviews, contracts, policies) stay.
    #[test]
    fn the_tender_words_round_trip_and_stay() {
        use super::{award::PolicyKind, tender::*};
        assert_eq!(
            words_of::<TenderState>("state"),
            [
                "draft",
                "open",
                "closed",
                "technical_opened",
                "technical_published",
                "commercial_opened",
                "provisional",
                "awarded",
                "contracted",
                "cancelled"
            ]
        );
        assert_eq!(
            words_of::<TenderAction>("action"),
            [
                "publish",
                "close",
                "open_technical",
                "publish_technical",
                "open_commercial",
                "publish_award",
                "finalize",
                "contract",
                "cancel"
            ]
        );
        assert_eq!(words_of::<WindowStatus>("status"), ["open", "closed"]);
        assert_eq!(
            words_of::<LotStatus>("status"),
            ["open", "awarded", "failed"]
        );
        assert_eq!(words_of::<BidStatus>("status"), ["active", "withdrawn"]);
        assert_eq!(
            words_of::<TechnicalResult>("technical_result"),
            ["passed", "failed"]
        );
        assert_eq!(words_of::<ContractStatus>("status"), ["in_force", "ended"]);
        assert_eq!(
            words_of::<PolicyKind>("policy"),
            ["lowest_price", "multiple_winners", "composite_score"]
        );
    }

    /// The order's words (states, declines, rejections, receipts, credit events) stay.
    #[test]
    fn the_order_words_round_trip_and_stay() {
        use super::orders::*;
        assert_eq!(
            words_of::<OrderState>("state"),
            [
                "submitted",
                "acknowledged",
                "shipped",
                "partially_received",
                "received",
                "closed",
                "cancelled"
            ]
        );
        assert_eq!(
            words_of::<DeclineReason>("reason"),
            ["out_of_stock", "discontinued", "other"]
        );
        assert_eq!(
            words_of::<RejectReason>("reason"),
            [
                "damaged",
                "short_dated",
                "wrong_item",
                "quality_doubt",
                "missing"
            ]
        );
        assert_eq!(
            words_of::<ReceiptOutcome>("outcome"),
            ["accepted", "rejected", "partial"]
        );
        assert_eq!(
            words_of::<CreditEventKind>("kind"),
            ["declined", "late", "rejected", "warning", "bad_faith"]
        );
    }

    /// The shortage's words (levels, scopes, statuses, changes, events, responses) stay, and every
    /// event splits into its change or response and back.
    #[test]
    fn the_shortage_words_round_trip_and_stay() {
        use super::shortage::*;
        assert_eq!(
            words_of::<Level>("level"),
            ["watch", "shortage", "critical"]
        );
        assert_eq!(
            words_of::<super::shortage::Scope>("scope"),
            ["county", "city", "province"]
        );
        assert_eq!(words_of::<ShortageStatus>("status"), ["open", "resolved"]);
        assert_eq!(
            words_of::<Change>("change"),
            [
                "opened",
                "escalated",
                "eased",
                "spread",
                "counties",
                "resolved"
            ]
        );
        assert_eq!(
            words_of::<EventKind>("change"),
            [
                "opened",
                "escalated",
                "eased",
                "spread",
                "counties",
                "resolved",
                "response_direct_listing",
                "response_alternate_supplier",
                "response_retender",
                "response_backup_switch",
                "response_designated_producer"
            ]
        );
        for k in EventKind::ALL {
            let back = match k.split() {
                Ok(c) => EventKind::from(c),
                Err(r) => EventKind::from(r),
            };
            assert_eq!(back, *k);
        }
        assert_eq!(
            words_of::<ResponseKind>("kind"),
            [
                "direct_listing",
                "alternate_supplier",
                "retender",
                "backup_switch",
                "designated_producer"
            ]
        );
    }

    /// The words of alerts, mail, roles and jobs stay.
    #[test]
    fn the_alert_mail_role_and_job_words_round_trip_and_stay() {
        use super::{alerts::AlertKind, jobs::JobKind, mail::MailStatus, roles::Role};
        assert_eq!(
            words_of::<AlertKind>("kind"),
            [
                "shortage",
                "overdue_delivery",
                "payment_due",
                "payment_overdue",
                "licence_expiring",
                "contract_behind",
                "contract_ending",
                "bid_deadline",
                "commitment_behind",
                "custody"
            ]
        );
        assert_eq!(
            words_of::<MailStatus>("status"),
            ["pending", "sent", "failed"]
        );
        assert_eq!(
            words_of::<Role>("role"),
            ["center", "expert", "supplier", "institution", "regulator"]
        );
        assert_eq!(
            words_of::<JobKind>("job"),
            [
                "shortage_scan",
                "overdue_deliveries",
                "payments",
                "licences",
                "contract_execution",
                "contracts_ending",
                "bid_deadlines",
                "email_sender",
                "auth_purge",
                "commitment_pace",
                "sealing"
            ]
        );
    }

    /// The catalog's words (regions, institutions, suppliers, licences, drugs) and the demo's scales stay.
    #[test]
    fn the_catalog_words_round_trip_and_stay() {
        use super::catalog::*;
        assert_eq!(
            words_of::<RegionLevel>("level"),
            ["province", "city", "county", "township"]
        );
        assert_eq!(
            words_of::<InstitutionKind>("kind"),
            [
                "township_center",
                "community_center",
                "village_clinic",
                "county_hospital"
            ]
        );
        assert_eq!(
            words_of::<SupplierKind>("kind"),
            ["manufacturer", "distributor"]
        );
        assert_eq!(
            words_of::<LicenceKind>("licence_kind"),
            ["manufacturing", "business", "gmp", "gsp"]
        );
        assert_eq!(
            words_of::<CreditStatus>("credit_status"),
            ["good", "warning", "bad_faith"]
        );
        assert_eq!(
            words_of::<Unit>("unit"),
            ["tablet", "capsule", "ampoule", "vial", "bag", "g", "pill", "bottle"]
        );
        assert_eq!(words_of::<ListOrigin>("origin"), ["national", "provincial"]);
        assert_eq!(
            words_of::<Category>("category"),
            ["chemical", "biological", "chinese_patent"]
        );
        assert_eq!(
            words_of::<crate::demo::province::Scale>("scale"),
            ["anhui", "small"]
        );
    }

    #[test]
    fn a_labelled_set_also_takes_its_labels_but_reads_only_words() {
        use super::catalog::{InstitutionKind, Unit};
        assert_eq!(Unit::parse("unit", "克"), Ok(Unit::Gram));
        assert_eq!(Unit::parse("unit", " G "), Ok(Unit::Gram));
        assert_eq!(
            InstitutionKind::parse("kind", "Village Clinic"),
            Ok(InstitutionKind::VillageClinic)
        );
        assert_eq!(Unit::Gram.label("zh-CN"), "克");
        assert_eq!(InstitutionKind::VillageClinic.label("en"), "village clinic");
        // The stored word only: a label is not a word.
        assert!("克".parse::<Unit>().is_err());
        assert!("village clinic".parse::<InstitutionKind>().is_err());
        assert_eq!(Unit::parse("unit", "box").unwrap_err().field, "unit");
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
