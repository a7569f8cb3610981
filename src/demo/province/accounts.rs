//! The generated province's users: the center user (unless there is one), and a user with an
//! API token for some township centers and for every supplier.

use chrono::Utc;

use super::{Gen, ACTOR};
use crate::domain::roles::Role;
use crate::store::{users, Act, DbConn, StoreError};

impl Gen {
    /// The center user (unless there is one), and a user with an API token for some township
    /// centers and for every supplier, through the store (with their audit records).
    #[allow(clippy::type_complexity)]
    pub(super) fn users(
        &self,
        conn: &mut DbConn,
        password: &str,
    ) -> Result<(bool, Vec<(i64, String)>, Vec<(i64, String)>), StoreError> {
        let act = Act::new(ACTOR, Utc::now());
        let hash = crate::security::hash_password(password)?;
        let new_user = |username: String, role, supplier_id, institution_id| users::NewUser {
            display_name: username.clone(),
            email: format!("{username}@gen.jicai.test"),
            username,
            password_hash: hash.clone(),
            role,
            supplier_id,
            institution_id,
            language: "zh-CN".into(),
        };
        let center_created = users::by_username(conn, "center")?.is_none();
        if center_created {
            users::create(
                conn,
                &act,
                &new_user("center".into(), Role::Center, None, None),
            )?;
        }
        let token = |conn: &mut DbConn, u: users::NewUser| -> Result<String, StoreError> {
            let u = users::create(conn, &act, &u)?;
            let t = crate::security::new_api_token();
            users::create_token(conn, &act, u.id, ACTOR, &t.hash, &t.prefix)?;
            Ok(t.secret)
        };
        let n = self.p.token_institutions.min(self.centers.len());
        let mut inst = vec![];
        for j in 0..n {
            // Spread over the province: every (centers / n)-th center.
            let i = &self.insts[self.centers[j * self.centers.len() / n]];
            let u = new_user(
                format!("gen-inst-{}", i.id),
                Role::Institution,
                None,
                Some(i.id),
            );
            inst.push((i.id, token(conn, u)?));
        }
        let mut sup = vec![];
        for s in &self.suppliers {
            let u = new_user(
                format!("gen-sup-{}", s.id),
                Role::Supplier,
                Some(s.id),
                None,
            );
            sup.push((s.id, token(conn, u)?));
        }
        Ok((center_created, inst, sup))
    }
}
