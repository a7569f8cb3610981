//! A user account as center staff enter it: what each field may hold.

use serde::Deserialize;

use super::roles::Role;
use super::{email_list, required_text, Code, Invalid};

/// The longest username (the login form refuses longer ones before anything is stored).
pub const MAX_USERNAME_CHARS: usize = 64;

/// The form of a new account, as typed.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct UserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub email: String,
    /// Unified social credit code of the supplier a supplier user belongs to.
    #[serde(default)]
    pub supplier_uscc: String,
    /// Code of the institution an institution user belongs to.
    #[serde(default)]
    pub institution_code: String,
    #[serde(default)]
    pub language: String,
}

/// A new account, checked (the password is hashed by the caller, the codes looked up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub email: String,
    /// Upper case, or empty.
    pub supplier_uscc: String,
    /// Trimmed, or empty.
    pub institution_code: String,
    /// zh-CN or en.
    pub language: String,
}

impl UserForm {
    /// Every field checked; all the errors at once.
    pub fn validate(&self) -> Result<UserInput, Vec<Invalid>> {
        let mut errs = vec![];
        let username = required_text("username", &self.username, MAX_USERNAME_CHARS)
            .map_err(|e| errs.push(e))
            .ok();
        if let Some(u) = &username {
            if !u
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                errs.push(Invalid::new("username", Code::UsernameCharacters));
            }
        }
        let display_name = required_text("display_name", &self.display_name, 100)
            .map_err(|e| errs.push(e))
            .ok();
        let role = Role::parse("role", &self.role)
            .map_err(|e| errs.push(e))
            .ok();
        let email = email_list("email", &self.email)
            .map_err(|e| errs.push(e))
            .ok();
        match (username, display_name, role, email) {
            (Some(username), Some(display_name), Some(role), Some(email)) if errs.is_empty() => {
                Ok(UserInput {
                    username,
                    display_name,
                    role,
                    email,
                    supplier_uscc: self.supplier_uscc.trim().to_uppercase(),
                    institution_code: self.institution_code.trim().to_string(),
                    language: if self.language == "en" { "en" } else { "zh-CN" }.to_string(),
                })
            }
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named_at_once() {
        let f = UserForm {
            username: "a b".into(),
            display_name: "".into(),
            role: "boss".into(),
            email: "nope".into(),
            ..Default::default()
        };
        let errs = f.validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "display_name", "role", "email"]);
        assert_eq!(errs[0].code(), Code::UsernameCharacters);
    }

    #[test]
    fn a_good_form_is_normalized() {
        let f = UserForm {
            username: " wang.min ".into(),
            display_name: "王敏".into(),
            role: "supplier".into(),
            supplier_uscc: " 91340100ma2n0q1x3a ".into(),
            language: "fr".into(),
            ..Default::default()
        };
        let u = f.validate().unwrap();
        assert_eq!(u.username, "wang.min");
        assert_eq!(u.supplier_uscc, "91340100MA2N0Q1X3A");
        assert_eq!(u.language, "zh-CN");
    }
}
