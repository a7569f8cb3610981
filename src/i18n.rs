//! Interface strings in Chinese (zh-CN) and English, kept in `templates/i18n/`: the pages'
//! words (`zh-CN.toml`, `en.toml`) and the text of every error code (`errors.toml`, both
//! languages side by side).

use std::collections::HashMap;
use std::sync::OnceLock;

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
