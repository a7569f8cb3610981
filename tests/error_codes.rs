//! Every code the program can refuse with (`domain::msg::Code`) has its text in zh-CN and en
//! (`templates/i18n/errors.toml`) with the same placeholders, the table holds no code the program
//! does not have, and every code is used somewhere in `src/` (no dead codes).

use std::collections::BTreeSet;
use std::path::Path;

use jicai::domain::msg::Code;
use strum::IntoEnumIterator;

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        out.insert(rest[i + 1..i + j].to_string());
        rest = &rest[i + j + 1..];
    }
    out
}

#[test]
fn every_code_has_both_translations_with_the_same_placeholders() {
    let table = jicai::i18n::error_texts();
    let mut problems = vec![];
    for code in Code::iter() {
        match table.get(code.as_str()) {
            None => problems.push(format!("{}: no text", code.as_str())),
            Some((zh, en)) => {
                if zh.trim().is_empty() || en.trim().is_empty() {
                    problems.push(format!("{}: a language is empty", code.as_str()));
                }
                if placeholders(zh) != placeholders(en) {
                    problems.push(format!(
                        "{}: placeholders differ: zh-CN {:?}, en {:?}",
                        code.as_str(),
                        placeholders(zh),
                        placeholders(en)
                    ));
                }
            }
        }
    }
    let codes: BTreeSet<&str> = Code::iter().map(|c| c.as_str()).collect();
    for key in table.keys() {
        if !codes.contains(key.as_str()) {
            problems.push(format!("{key}: in errors.toml but not a code"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn sources(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("domain/msg.rs") {
            out.push_str(&std::fs::read_to_string(&p).expect("a source file"));
        }
    }
}

#[test]
fn every_code_is_used() {
    let mut src = String::new();
    sources(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path(),
        &mut src,
    );
    let unused: Vec<String> = Code::iter()
        .map(|c| format!("{c:?}"))
        .filter(|name| {
            let pat = format!("Code::{name}");
            !src.match_indices(&pat).any(|(i, _)| {
                !src[i + pat.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect();
    assert!(unused.is_empty(), "codes never used in src/: {unused:?}");
}
