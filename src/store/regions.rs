//! The region tree: province › city › county › township.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::regions;
use super::{audit, Act, DbConn, Result, StoreError};
use crate::domain::catalog::{child_level, RegionInput, RegionLevel};
use crate::domain::{Code, Invalid, Msg};

#[derive(Queryable, Selectable, Serialize, ToSchema, Debug, Clone, PartialEq)]
#[diesel(table_name = regions)]
pub struct Region {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[schema(value_type = String)]
    pub level: RegionLevel,
    pub parent_id: Option<i64>,
}

impl Region {
    pub fn name(&self, lang: &str) -> &str {
        if lang.starts_with("zh") {
            &self.name_zh
        } else {
            &self.name_en
        }
    }
}

pub fn all(conn: &mut DbConn) -> Result<Vec<Region>> {
    Ok(regions::table
        .order(regions::code.asc())
        .select(Region::as_select())
        .load(conn)?)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Region> {
    regions::table
        .find(id)
        .select(Region::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::RegionNotFound.into()))
}

pub fn by_code(conn: &mut DbConn, code: &str) -> Result<Option<Region>> {
    Ok(regions::table
        .filter(regions::code.eq(code))
        .select(Region::as_select())
        .first(conn)
        .optional()?)
}

/// The id of the region with this code, or an error naming the field.
pub fn id_of(conn: &mut DbConn, field: &str, code: &str) -> Result<i64> {
    by_code(conn, code)?.map(|r| r.id).ok_or_else(|| {
        Invalid::new(field, Msg::new(Code::NoRegionWithCode).arg("code", code)).into()
    })
}

fn parent_for(conn: &mut DbConn, input: &RegionInput) -> Result<Option<i64>> {
    let Some(pc) = &input.parent_code else {
        return Ok(None);
    };
    let parent = by_code(conn, pc)?.ok_or_else(|| {
        Invalid::new(
            "parent_code",
            Msg::new(Code::NoRegionWithCode).arg("code", pc),
        )
    })?;
    let plevel = parent.level;
    if child_level(plevel) != Some(input.level) {
        return Err(Invalid::new(
            "level",
            match child_level(plevel) {
                Some(l) => Msg::new(Code::WrongRegionLevel)
                    .arg("parent", plevel.as_str())
                    .arg("level", l.as_str()),
                None => Msg::new(Code::NoRegionBelow).arg("parent", plevel.as_str()),
            },
        )
        .into());
    }
    Ok(Some(parent.id))
}

#[derive(Insertable, AsChangeset, Serialize)]
#[diesel(table_name = regions, treat_none_as_null = true)]
struct NewRegion<'a> {
    code: &'a str,
    name_zh: &'a str,
    name_en: &'a str,
    level: RegionLevel,
    parent_id: Option<i64>,
}

pub fn create(conn: &mut DbConn, act: &Act, input: &RegionInput) -> Result<Region> {
    super::write_tx(conn, |conn| {
        if by_code(conn, &input.code)?.is_some() {
            return Err(Invalid::new(
                "code",
                Msg::new(Code::RegionExists).arg("code", &input.code),
            )
            .into());
        }
        let parent_id = parent_for(conn, input)?;
        let new = NewRegion {
            code: &input.code,
            name_zh: &input.name_zh,
            name_en: &input.name_en,
            level: input.level,
            parent_id,
        };
        let id: i64 = diesel::insert_into(regions::table)
            .values(&new)
            .returning(regions::id)
            .get_result(conn)?;
        let r = get(conn, id)?;
        audit::append(conn, act, "create", "region", id, None::<&()>, Some(&r))?;
        Ok(r)
    })
}

pub fn update(conn: &mut DbConn, act: &Act, id: i64, input: &RegionInput) -> Result<Region> {
    super::audited_update(conn, act, ("update", "region", id), get, |conn| {
        let holder = by_code(conn, &input.code)?.map(|o| o.id);
        super::unique_but_for(holder, id, "code", Code::RegionExists, &input.code)?;
        let parent_id = parent_for(conn, input)?;
        if parent_id == Some(id) {
            return Err(Invalid::new("parent_code", Code::OwnParent).into());
        }
        diesel::update(regions::table.find(id))
            .set(&NewRegion {
                code: &input.code,
                name_zh: &input.name_zh,
                name_en: &input.name_en,
                level: input.level,
                parent_id,
            })
            .execute(conn)?;
        Ok(())
    })
}

/// The county a region lies in: a township's parent county, else the region itself.
pub fn county_of(region_id: i64, level: RegionLevel, parent_id: Option<i64>) -> i64 {
    match (level, parent_id) {
        (RegionLevel::Township, Some(p)) => p,
        _ => region_id,
    }
}

/// The county an institution lies in.
pub fn county_of_institution(conn: &mut DbConn, institution_id: i64) -> Result<i64> {
    use super::schema::institutions;
    let (region, level, parent): (i64, RegionLevel, Option<i64>) = institutions::table
        .inner_join(regions::table)
        .filter(institutions::id.eq(institution_id))
        .select((regions::id, regions::level, regions::parent_id))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::InstitutionNotFound.into()))?;
    Ok(county_of(region, level, parent))
}

/// Counties' code and Chinese name, each read once however often it is asked for.
#[derive(Default)]
pub struct CountyNames(std::collections::BTreeMap<i64, (String, String)>);

impl CountyNames {
    pub fn get(&mut self, conn: &mut DbConn, id: i64) -> Result<(String, String)> {
        if let Some(v) = self.0.get(&id) {
            return Ok(v.clone());
        }
        let v: (String, String) = regions::table
            .find(id)
            .select((regions::code, regions::name_zh))
            .first(conn)?;
        self.0.insert(id, v.clone());
        Ok(v)
    }
}
