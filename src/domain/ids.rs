//! Identifiers with check characters: unified social credit code (GB 32100-2015),
//! drug approval number (国药准字), GTIN (GS1 check digit).

use super::{Code, Invalid, Msg};

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The GB 32100-2015 check character for the first 17 characters, if they are all valid.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        sum += uscc_value(b)? * USCC_WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(USCC_ALPHABET[check as usize] as char)
}

/// Validates and normalizes (upper case, trimmed) a unified social credit code.
pub fn uscc(field: &str, raw: &str) -> Result<String, Invalid> {
    let s = raw.trim().to_ascii_uppercase();
    if s.chars().count() != 18 {
        return Err(Invalid::new(
            field,
            Msg::new(Code::UsccLength)
                .arg("value", raw.trim())
                .arg("length", s.chars().count()),
        ));
    }
    if let Some(bad) = s.bytes().find(|b| uscc_value(*b).is_none()) {
        return Err(Invalid::new(
            field,
            Msg::new(Code::UsccCharacter).arg("value", bad as char),
        ));
    }
    let expected = uscc_check_char(&s[..17]).expect("17 valid characters");
    let got = s.as_bytes()[17] as char;
    if expected != got {
        return Err(Invalid::new(
            field,
            Msg::new(Code::UsccCheck)
                .arg("got", got)
                .arg("expected", expected),
        ));
    }
    Ok(s)
}

/// Validates a drug approval number: 国药准字 + H, Z, S or J + 8 digits.
pub fn approval_number(field: &str, raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    let ok = s
        .strip_prefix("国药准字")
        .map(|rest| {
            let mut chars = rest.chars();
            matches!(chars.next(), Some('H' | 'Z' | 'S' | 'J'))
                && chars.clone().count() == 8
                && chars.all(|c| c.is_ascii_digit())
        })
        .unwrap_or(false);
    if !ok {
        return Err(Invalid::new(
            field,
            Msg::new(Code::NotAnApprovalNumber).arg("value", s),
        ));
    }
    Ok(s.to_string())
}

/// The GS1 check digit for the data digits (all digits but the last).
pub fn gs1_check_digit(data: &str) -> Option<u32> {
    let mut sum = 0u32;
    for (i, c) in data.chars().rev().enumerate() {
        let d = c.to_digit(10)?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some((10 - sum % 10) % 10)
}

/// Validates a GTIN-8, -12, -13 or -14 with its GS1 check digit.
pub fn gtin(field: &str, raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if !matches!(s.len(), 8 | 12 | 13 | 14) || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new(
            field,
            Msg::new(Code::NotAGtin).arg("value", s),
        ));
    }
    let (data, last) = s.split_at(s.len() - 1);
    let expected = gs1_check_digit(data).expect("digits");
    let got = last
        .chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .expect("digit");
    if expected != got {
        return Err(Invalid::new(
            field,
            Msg::new(Code::GtinCheck)
                .arg("got", got)
                .arg("expected", expected),
        ));
    }
    Ok(s.to_string())
}

/// A plain, deliberately loose e-mail check: one @, something on each side, a dot in the domain.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// Region code: 6 digits (province, city, county) or 9 digits (township), GB/T 2260 style.
pub fn region_code(field: &str, raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if !matches!(s.len(), 6 | 9 | 12) || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new(
            field,
            Msg::new(Code::NotARegionCode).arg("value", s),
        ));
    }
    Ok(s.to_string())
}

/// A short business code (drug code, institution code): letters, digits, - and _.
pub fn code(field: &str, raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 32 {
        return Err(Invalid::new(
            field,
            Msg::new(Code::CodeLength).arg("max", 32),
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Invalid::new(
            field,
            Msg::new(Code::CodeCharacters).arg("value", s),
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uscc_known_good_and_bad() {
        // A well-known published code.
        assert!(uscc("uscc", "91350100M000100Y43").is_ok());
        let err = uscc("uscc", "91350100M000100Y44").unwrap_err();
        assert_eq!(err.field, "uscc");
        assert_eq!(err.code(), Code::UsccCheck);
        let short = uscc("uscc", "91350100M000100Y4").unwrap_err();
        assert_eq!(short.code(), Code::UsccLength);
        assert_eq!(short.msg.get("length"), Some("17"));
        let bad = uscc("uscc", "91350100M000100YI3").unwrap_err();
        assert_eq!(bad.code(), Code::UsccCharacter);
        assert_eq!(bad.msg.get("value"), Some("I"));
        assert_eq!(
            uscc("x", " 91350100m000100y43 ").unwrap(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn approval_numbers() {
        assert!(approval_number("a", "国药准字H34020123").is_ok());
        assert!(approval_number("a", "国药准字Z20053069").is_ok());
        assert!(approval_number("a", "国药准字X34020123").is_err());
        assert!(approval_number("a", "国药准字H3402012").is_err());
        assert!(approval_number("a", "国药准字H340201234").is_err());
        assert!(approval_number("a", "H34020123").is_err());
    }

    #[test]
    fn gtins() {
        assert!(gtin("g", "6901234567892").is_ok());
        assert!(gtin("g", "6901234567893").is_err());
        assert!(gtin("g", "4006381333931").is_ok());
        assert!(gtin("g", "96385074").is_ok());
        assert!(gtin("g", "abc").is_err());
    }

    proptest! {
        #[test]
        fn uscc_with_computed_check_char_is_valid(body in "[0-9ABCDEFGHJKLMNPQRTUWXY]{17}") {
            let c = uscc_check_char(&body).unwrap();
            let code = format!("{body}{c}");
            prop_assert!(uscc("u", &code).is_ok());
        }

        #[test]
        fn uscc_single_substitution_detected(body in "[0-9ABCDEFGHJKLMNPQRTUWXY]{17}", pos in 0usize..17, delta in 1u32..31) {
            let c = uscc_check_char(&body).unwrap();
            let mut bytes = body.into_bytes();
            let v = uscc_value(bytes[pos]).unwrap();
            bytes[pos] = USCC_ALPHABET[((v + delta) % 31) as usize];
            let code = format!("{}{c}", String::from_utf8(bytes).unwrap());
            prop_assert!(uscc("u", &code).is_err());
        }

        #[test]
        fn gtin_with_computed_check_digit_is_valid(data in "[0-9]{12}") {
            let d = gs1_check_digit(&data).unwrap();
            let code = format!("{data}{d}");
            prop_assert!(gtin("g", &code).is_ok());
            let wrong = format!("{data}{}", (d + 1) % 10);
            prop_assert!(gtin("g", &wrong).is_err());
        }
    }
}
