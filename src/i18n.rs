//! Interface strings in Chinese (zh-CN) and English, kept in `templates/i18n/`: the pages'
//! words (`zh-CN.toml`, `en.toml`) and the text of every error code (`errors.toml`, both
//! languages side by side).

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::{Invalid, Msg};

pub const LANGS: [&str; 2] = ["zh-CN", "en"];
pub const DEFAULT_LANG: &str = "zh-CN";

type Table = HashMap<String, String>;

fn parse(src: &str) -> Table {
    let t: toml::Table = src.parse().expect("templates/i18n files are valid TOML");
    t.into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect()
}

fn tables() -> &'static (Table, Table) {
    static T: OnceLock<(Table, Table)> = OnceLock::new();
    T.get_or_init(|| {
        (
            parse(include_str!("../templates/i18n/zh-CN.toml")),
            parse(include_str!("../templates/i18n/en.toml")),
        )
    })
}

/// The error texts by code: (zh-CN, en).
type Errors = HashMap<String, (String, String)>;

fn parse_errors(src: &str) -> Errors {
    let t: toml::Table = src
        .parse()
        .expect("templates/i18n/errors.toml is valid TOML");
    t.into_iter()
        .map(|(code, v)| {
            let text = |lang: &str| {
                v.get(lang)
                    .and_then(|s| s.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            (code, (text("zh-CN"), text("en")))
        })
        .collect()
}

/// The error table: each code's text in zh-CN and en.
pub fn error_texts() -> &'static Errors {
    static E: OnceLock<Errors> = OnceLock::new();
    E.get_or_init(|| parse_errors(include_str!("../templates/i18n/errors.toml")))
}

/// Puts the arguments into `{name}` places of a text.
fn fill(text: &str, msg: &Msg, words: &Table) -> String {
    let mut out = text.to_string();
    for (k, v) in &msg.args {
        out = out.replace(&format!("{{{k}}}"), word(words, k, v));
    }
    out
}

/// An argument that is a word of a closed set (a state, a status, a region level), in the
/// language of `words` (its `arg.NAME.WORD` string); any other value as it is. Words come
/// with `_` or with spaces (`partially received`).
fn word<'a>(words: &'a Table, name: &str, value: &'a str) -> &'a str {
    if !matches!(name, "state" | "status" | "level" | "parent") {
        return value;
    }
    let key = format!("arg.{name}.{}", value.trim().replace(' ', "_"));
    words.get(&key).map(|s| s.as_str()).unwrap_or(value)
}

/// The strings of one language.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: &'static str,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        Tr {
            lang: if lang.starts_with("zh") {
                "zh-CN"
            } else {
                "en"
            },
        }
    }

    pub fn zh(&self) -> bool {
        self.lang == "zh-CN"
    }

    /// The string for `key`; the key itself when missing (a test keeps both files complete).
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        let (zh, en) = tables();
        let t = if self.zh() { zh } else { en };
        t.get(key).map(|s| s.as_str()).unwrap_or(key)
    }
}

impl Tr {
    /// A message in this language: its code's text with the arguments put in.
    pub fn msg(&self, msg: &Msg) -> String {
        match error_texts().get(msg.code.as_str()) {
            Some((zh, en)) => {
                let (zh_words, en_words) = tables();
                if self.zh() {
                    fill(zh, msg, zh_words)
                } else {
                    fill(en, msg, en_words)
                }
            }
            None => msg.to_string(),
        }
    }

    /// A field's error in this language: "field: message".
    pub fn invalid(&self, e: &Invalid) -> String {
        format!("{}: {}", e.field, self.msg(&e.msg))
    }
}

impl Tr {
    /// A whole number with thousands separators: `1,234,567` (zh-CN and en write them alike).
    pub fn int(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sign = if n < 0 { "-" } else { "" };
        format!("{sign}{}", group_thousands(&digits))
    }

    /// An amount of yuan: `¥1,234.50`, always two decimals (half away from zero), built from
    /// the decimal's own digits (no float).
    pub fn money(&self, d: Decimal) -> String {
        let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let text = format!("{:.2}", r.abs());
        let (whole, frac) = text.split_once('.').unwrap_or((text.as_str(), "00"));
        let sign = if r.is_sign_negative() && !r.is_zero() {
            "-"
        } else {
            ""
        };
        format!("{sign}¥{}.{frac}", group_thousands(whole))
    }

    /// A stored amount of yuan (exact to 1/10,000 yuan) in the reader's locale: `¥1,234.50`,
    /// two decimals unless the amount has more (`¥0.0325`, a tablet's price), so a price is
    /// never shown rounded.
    pub fn price(&self, d: Decimal) -> String {
        let n = d.normalize();
        if n.scale() <= 2 {
            return self.money(n);
        }
        let text = n.abs().to_string();
        let (whole, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let sign = if n.is_sign_negative() { "-" } else { "" };
        format!("{sign}¥{}.{frac}", group_thousands(whole))
    }

    /// A number as a person reads it: thousands separators, the decimals it has (`1,234.5`);
    /// for quantities and figures that are not money.
    pub fn decimal(&self, d: Decimal) -> String {
        let text = d.normalize().abs().to_string();
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, format!(".{f}")),
            None => (text.as_str(), String::new()),
        };
        let sign = if d.is_sign_negative() && !d.is_zero() {
            "-"
        } else {
            ""
        };
        format!("{sign}{}{frac}", group_thousands(whole))
    }

    /// A word of a closed set (a state, a status, a reason…: the `words!` enums of
    /// `crate::domain`) in this language. `kind` names the set in snake case (`order_state`,
    /// `bid_status`); the text is the string `word.KIND.VALUE`, or, for the sets whose words
    /// had strings before, that string (`order.state.VALUE`, `shortage.level.VALUE`…). A test
    /// keeps every word of every set in both files; an unknown one shows as it is.
    pub fn word(&self, kind: &str, value: &str) -> String {
        let value = value.trim();
        for key in word_keys(kind, value) {
            let text = self.get(&key);
            if text != key {
                return text.to_string();
            }
        }
        value.to_string()
    }

    /// A word of a `words!` enum in this language (the set's name from the type:
    /// `OrderState::Closed` reads `word.order_state.closed`).
    pub fn w<W: crate::domain::Word>(&self, w: W) -> String {
        self.word(&word_kind::<W>(), w.as_str())
    }
}

/// Puts a comma between each group of three digits, from the right.
fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The snake-case name of a `words!` enum: `OrderState` → `order_state`.
pub fn word_kind<W: crate::domain::Word>() -> String {
    let name = std::any::type_name::<W>().rsplit("::").next().unwrap_or("");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the text of a word may be: its own `word.KIND.VALUE` string first, then the older
/// strings some sets had.
fn word_keys(kind: &str, value: &str) -> Vec<String> {
    let older: &[&str] = match kind {
        "order_state" => &["order.state"],
        "decline_reason" => &["order.decline"],
        "reject_reason" => &["order.reject", "rcpt.reason"],
        "receipt_outcome" => &["order.receipt"],
        "level" => &["shortage.level"],
        "scope" => &["shortage.scope"],
        "shortage_status" => &["shortage.status"],
        "change" => &["shortage.change"],
        "response_kind" => &["shortage.response"],
        "alert_kind" => &["alert.kind"],
        "mail_status" => &["arg.status"],
        "region_level" => &["arg.level"],
        "role" => &["role"],
        _ => &[],
    };
    let mut keys = vec![format!("word.{kind}.{value}")];
    keys.extend(older.iter().map(|p| format!("{p}.{value}")));
    keys
}

/// Picks a supported language from an Accept-Language header (quality values honoured).
pub fn from_accept_language(header: Option<&str>) -> &'static str {
    let Some(h) = header else {
        return DEFAULT_LANG;
    };
    let mut best: Option<(f32, &'static str)> = None;
    for part in h.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            "zh-CN"
        } else if tag.starts_with("en") {
            "en"
        } else {
            continue;
        };
        if best.map(|(bq, _)| q > bq).unwrap_or(true) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(DEFAULT_LANG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_set_words_in_messages_are_translated() {
        use crate::domain::{Code, Msg};
        let m = Msg::new(Code::OrderNotCancellable).arg("state", "partially received");
        let zh = Tr::new("zh-CN").msg(&m);
        assert!(zh.contains("部分验收") && !zh.contains("partially"), "{zh}");
        assert!(Tr::new("en").msg(&m).contains("partially received"));
        let m = Msg::new(Code::NoRegionBelow).arg("parent", "township");
        assert!(Tr::new("zh-CN").msg(&m).contains("乡镇/街道"));
        // Other arguments are left as they are.
        let m = Msg::new(Code::NoSuchPage).arg("path", "/closed");
        assert!(Tr::new("zh-CN").msg(&m).contains("/closed"));
    }

    /// Calls `$f::<Enum>(name)` for every `words!` enum of the domain.
    macro_rules! every_word_set {
        ($f:ident) => {{
            use crate::domain::*;
            let names = every_word_set!(@ $f,
                alerts::AlertKind, award::PolicyKind, catalog::Category, catalog::CreditStatus,
                catalog::InstitutionKind, catalog::LicenceKind, catalog::ListOrigin,
                catalog::RegionLevel, catalog::SupplierKind, catalog::Unit, custody::Sealing, jobs::JobKind,
                mail::MailStatus, orders::CreditEventKind, orders::DeclineReason,
                orders::OrderState, orders::ReceiptOutcome, orders::RejectReason, roles::Role,
                shortage::Change, shortage::EventKind, shortage::Level, shortage::ResponseKind,
                shortage::Scope, shortage::ShortageStatus, supply::ContractKind,
                tender::BidStatus, tender::ContractStatus, tender::LotStatus,
                tender::TechnicalResult, tender::TenderAction, tender::TenderState,
                tender::WindowStatus
            );
            names
        }};
        (@ $f:ident, $($e:ty),+) => {
            vec![$( $f::<$e>() ),+]
        };
    }

    /// The words of one set with no text in a language, as `kind.word@lang`.
    fn untranslated<W: crate::domain::Word>() -> (String, Vec<String>) {
        let kind = word_kind::<W>();
        let mut missing = vec![];
        for lang in LANGS {
            let t = Tr::new(lang);
            for w in W::ALL {
                let found = word_keys(&kind, w.as_str())
                    .iter()
                    .any(|k| t.get(k) != k.as_str());
                if !found {
                    missing.push(format!("{kind}.{}@{lang}", w.as_str()));
                }
            }
        }
        (kind, missing)
    }

    #[test]
    fn every_word_of_every_closed_set_has_a_text_in_both_languages() {
        let sets = every_word_set!(untranslated);
        let missing: Vec<&String> = sets.iter().flat_map(|(_, m)| m).collect();
        assert!(missing.is_empty(), "words without a text: {missing:?}");
        // Every `words!` enum of the domain is in the list above.
        let listed: std::collections::HashSet<&str> =
            sets.iter().map(|(k, _)| k.as_str()).collect();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/domain");
        for entry in std::fs::read_dir(dir).unwrap() {
            let src = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            for block in src.split("words! {").skip(1) {
                let name = block
                    .split("pub enum ")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .unwrap();
                let mut kind = String::new();
                for (i, c) in name.chars().enumerate() {
                    if c.is_ascii_uppercase() && i > 0 {
                        kind.push('_');
                    }
                    kind.push(c.to_ascii_lowercase());
                }
                assert!(listed.contains(kind.as_str()), "{name} is not checked");
            }
        }
        // In Chinese, the words are Chinese; a set with labels reads the same as its labels.
        let zh = Tr::new("zh-CN");
        use crate::domain::{catalog, orders, tender};
        assert_eq!(zh.w(orders::OrderState::PartiallyReceived), "部分验收");
        assert_eq!(zh.w(tender::BidStatus::Withdrawn), "已撤回");
        assert_eq!(zh.w(tender::ContractStatus::InForce), "执行中");
        assert_eq!(Tr::new("en").w(tender::ContractStatus::InForce), "in force");
        for k in catalog::InstitutionKind::ALL {
            for lang in LANGS {
                assert_eq!(Tr::new(lang).w(*k), k.label(lang), "{k}");
            }
        }
        for u in catalog::Unit::ALL {
            assert_eq!(zh.w(*u), u.label("zh-CN"));
        }
        for c in catalog::Category::ALL {
            assert_eq!(zh.w(*c), c.label("zh-CN"));
        }
        // An unknown word shows as it is.
        assert_eq!(zh.word("order_state", "teleported"), "teleported");
    }

    #[test]
    fn numbers_and_money_in_the_readers_locale() {
        use rust_decimal::Decimal;
        use std::str::FromStr;
        let d = |s: &str| Decimal::from_str(s).unwrap();
        for lang in LANGS {
            let t = Tr::new(lang);
            assert_eq!(t.int(0), "0");
            assert_eq!(t.int(999), "999");
            assert_eq!(t.int(1000), "1,000");
            assert_eq!(t.int(1234567), "1,234,567");
            assert_eq!(t.int(-1234567), "-1,234,567");
            assert_eq!(t.int(i64::MIN), "-9,223,372,036,854,775,808");
            assert_eq!(t.money(d("1234.5")), "¥1,234.50");
            assert_eq!(t.money(d("0")), "¥0.00");
            assert_eq!(t.money(d("0.005")), "¥0.01", "half away from zero");
            assert_eq!(t.money(d("0.0049")), "¥0.00");
            assert_eq!(t.money(d("1234567.891")), "¥1,234,567.89");
            assert_eq!(t.money(d("-1234.5")), "-¥1,234.50");
            assert_eq!(t.money(d("-0.001")), "¥0.00", "no minus zero");
            assert_eq!(t.money(d("100")), "¥100.00");
            assert_eq!(t.money(d("12.3400")), "¥12.34");
            assert_eq!(
                t.money(Decimal::new(i64::MAX, 4)),
                "¥922,337,203,685,477.58"
            );
            assert_eq!(t.price(d("1234.5")), "¥1,234.50");
            assert_eq!(t.price(d("12.3400")), "¥12.34");
            assert_eq!(t.price(d("0.0325")), "¥0.0325", "a price is never rounded");
            assert_eq!(t.price(d("1234567.125")), "¥1,234,567.125");
            assert_eq!(t.price(d("0")), "¥0.00");
            assert_eq!(t.price(d("-0.0325")), "-¥0.0325");
            assert_eq!(
                t.price(Decimal::new(i64::MAX, 4)),
                "¥922,337,203,685,477.5807"
            );
            assert_eq!(t.decimal(d("1234.50")), "1,234.5");
            assert_eq!(t.decimal(d("1000")), "1,000");
            assert_eq!(t.decimal(d("-0.25")), "-0.25");
        }
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let (zh, en) = tables();
        let mut missing: Vec<&String> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !zh.contains_key(*k)));
        assert!(
            missing.is_empty(),
            "keys missing in one language: {missing:?}"
        );
    }

    #[test]
    fn accept_language() {
        assert_eq!(from_accept_language(Some("en-US,en;q=0.9")), "en");
        assert_eq!(
            from_accept_language(Some("fr, zh-CN;q=0.8, en;q=0.5")),
            "zh-CN"
        );
        assert_eq!(from_accept_language(Some("fr")), "zh-CN");
        assert_eq!(from_accept_language(None), "zh-CN");
    }
}
