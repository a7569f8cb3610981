//! Who may do what: roles and the principal acting.

use serde::Serialize;

words! {
    /// Who a user is to the platform.
    pub enum Role {
        /// Provincial procurement center staff.
        Center => "center",
        /// Evaluation expert.
        Expert => "expert",
        /// A supplier's user (manufacturer or distribution enterprise).
        Supplier => "supplier",
        /// A grassroots institution's user.
        Institution => "institution",
        /// Health commission regulator: reads everything, changes nothing.
        Regulator => "regulator",
    }
}

/// The authenticated user on whose behalf a request acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
}

/// Which rows of a kind a principal may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Only these ids (an empty list sees nothing).
    Only(Vec<i64>),
}

impl Scope {
    pub fn allows(&self, id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(ids) => ids.contains(&id),
        }
    }
}

impl Principal {
    /// Center staff keep the catalog, the parties and the users.
    pub fn can_administer(&self) -> bool {
        self.role == Role::Center
    }

    /// Center staff and regulators read every record of the province.
    pub fn reads_everything(&self) -> bool {
        matches!(self.role, Role::Center | Role::Regulator)
    }

    /// Suppliers the principal may see: all for staff and regulators, its own for a supplier user.
    pub fn supplier_scope(&self) -> Scope {
        if self.reads_everything() {
            return Scope::All;
        }
        match (self.role, self.supplier_id) {
            (Role::Supplier, Some(id)) => Scope::Only(vec![id]),
            _ => Scope::Only(vec![]),
        }
    }

    /// May this principal change this supplier's own records (contacts, licences)?
    pub fn can_edit_supplier(&self, supplier_id: i64) -> bool {
        self.role == Role::Center
            || (self.role == Role::Supplier && self.supplier_id == Some(supplier_id))
    }

    /// Institutions the principal may see, given the ids of its institution's children
    /// (a township center acts for its village clinics).
    pub fn institution_scope(&self, children: &[i64]) -> Scope {
        if self.reads_everything() {
            return Scope::All;
        }
        match (self.role, self.institution_id) {
            (Role::Institution, Some(id)) => {
                let mut ids = vec![id];
                ids.extend_from_slice(children);
                Scope::Only(ids)
            }
            _ => Scope::Only(vec![]),
        }
    }

    /// May this principal change this institution's records, given the institution's parent?
    pub fn can_edit_institution(&self, institution_id: i64, parent_id: Option<i64>) -> bool {
        self.role == Role::Center
            || (self.role == Role::Institution
                && self.institution_id.is_some()
                && (self.institution_id == Some(institution_id)
                    || self.institution_id == parent_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, supplier: Option<i64>, inst: Option<i64>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            role,
            supplier_id: supplier,
            institution_id: inst,
        }
    }

    #[test]
    fn regulator_reads_all_writes_nothing() {
        let r = p(Role::Regulator, None, None);
        assert!(r.reads_everything());
        assert!(!r.can_administer());
        assert!(!r.can_edit_supplier(1));
        assert!(!r.can_edit_institution(1, None));
    }

    #[test]
    fn supplier_sees_only_its_own() {
        let s = p(Role::Supplier, Some(7), None);
        assert_eq!(s.supplier_scope(), Scope::Only(vec![7]));
        assert!(s.can_edit_supplier(7));
        assert!(!s.can_edit_supplier(8));
        assert_eq!(s.institution_scope(&[]), Scope::Only(vec![]));
    }

    #[test]
    fn township_center_acts_for_its_clinics() {
        let i = p(Role::Institution, None, Some(3));
        assert!(i.institution_scope(&[4, 5]).allows(5));
        assert!(!i.institution_scope(&[4, 5]).allows(6));
        assert!(i.can_edit_institution(4, Some(3)));
        assert!(!i.can_edit_institution(6, Some(9)));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse("role", r.as_str()).unwrap(), *r);
        }
        assert!(Role::parse("role", "admin").is_err());
    }
}
