//! How a drug is named to people: generic name, dosage form and strength (the catalog entry),
//! with its code in brackets where a picker must tell entries apart; and which typed name
//! names which drug.

/// A drug's name fields.
#[derive(Debug, Clone, Copy)]
pub struct DrugNames<'a> {
    pub code: &'a str,
    pub name_zh: &'a str,
    pub inn: &'a str,
    pub dosage_form: &'a str,
    pub strength: &'a str,
}

impl DrugNames<'_> {
    /// Generic name, form and strength in the reader's language (the Chinese generic name in
    /// Chinese, the INN in English).
    pub fn label(&self, zh: bool) -> String {
        if zh || self.inn.is_empty() {
            // Chinese generic names often end with the form already (阿莫西林胶囊).
            match self.name_zh.strip_suffix(self.dosage_form) {
                Some(_) if !self.dosage_form.is_empty() => {
                    format!("{} {}", self.name_zh, self.strength)
                }
                _ => format!("{} {} {}", self.name_zh, self.dosage_form, self.strength),
            }
        } else {
            format!("{} {} {}", self.inn, self.dosage_form, self.strength)
        }
    }

    /// The label with the code, as a picker offers it: "阿莫西林 胶囊 0.25g (D0013)".
    pub fn choice(&self, zh: bool) -> String {
        format!("{} ({})", self.label(zh), self.code)
    }

    /// Does `typed` name this drug: its generic name or INN (any case), alone or with form and
    /// strength?
    pub fn is_named(&self, typed: &str) -> bool {
        let t = typed.split_whitespace().collect::<Vec<_>>().join(" ");
        [self.label(true), self.label(false)]
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&t))
            || self.name_zh == t
            || self.inn.eq_ignore_ascii_case(&t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: DrugNames = DrugNames {
        code: "D0013",
        name_zh: "阿莫西林",
        inn: "Amoxicillin",
        dosage_form: "胶囊",
        strength: "0.25g",
    };

    #[test]
    fn labels_name_the_drug_form_and_strength() {
        assert_eq!(D.label(true), "阿莫西林 胶囊 0.25g");
        assert_eq!(D.label(false), "Amoxicillin 胶囊 0.25g");
        assert_eq!(D.choice(true), "阿莫西林 胶囊 0.25g (D0013)");
        let named = DrugNames {
            name_zh: "阿莫西林胶囊",
            ..D
        };
        assert_eq!(named.label(true), "阿莫西林胶囊 0.25g");
    }

    #[test]
    fn a_typed_name_names_the_drug() {
        assert!(D.is_named("阿莫西林"));
        assert!(D.is_named("amoxicillin"));
        assert!(D.is_named("阿莫西林  胶囊 0.25g"));
        assert!(!D.is_named("阿莫"));
        assert!(!D.is_named("D0013"));
    }
}
