//! Phones registered for push notifications. A push token belongs to one account at a time:
//! the installation that signs in to another account moves with its token; a token that
//! another account holds under another installation is refused.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::devices;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = devices)]
pub struct Device {
    pub installation_id: String,
    pub user_id: i64,
    pub platform: String,
    pub token: String,
    pub app_version: Option<String>,
    pub language: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub struct NewDevice<'a> {
    pub installation_id: &'a str,
    pub platform: &'a str,
    pub token: &'a str,
    pub app_version: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// Why a registration was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The installation is another account's, with another token.
    InstallationTaken,
    /// The token is another account's, under another installation.
    TokenTaken,
}

/// Registers or refreshes a device of `user_id`; `Err(Refused)` leaves everything as it was.
/// Returns the device and whether it is new to this account.
pub fn register(
    conn: &mut DbConn,
    user_id: i64,
    d: &NewDevice,
) -> StoreResult<Result<(Device, bool), Refused>> {
    let t = now();
    let same_installation = find(conn, d.installation_id)?;
    if let Some(old) = &same_installation {
        if old.user_id != user_id && old.token != d.token {
            return Ok(Err(Refused::InstallationTaken));
        }
    }
    let same_token: Option<Device> = devices::table
        .filter(devices::token.eq(d.token))
        .select(Device::as_select())
        .first(conn)
        .optional()?;
    if let Some(other) = &same_token {
        if other.installation_id != d.installation_id {
            if other.user_id != user_id {
                return Ok(Err(Refused::TokenTaken));
            }
            // The same account's app reinstalled: the token moves to the new installation.
            diesel::delete(devices::table.find(&other.installation_id)).execute(conn)?;
        }
    }
    let is_new = same_installation
        .as_ref()
        .is_none_or(|old| old.user_id != user_id);
    if same_installation.is_some() {
        diesel::update(devices::table.find(d.installation_id))
            .set((
                devices::user_id.eq(user_id),
                devices::platform.eq(d.platform),
                devices::token.eq(d.token),
                devices::app_version.eq(d.app_version),
                devices::language.eq(d.language),
                devices::last_seen_at.eq(t),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(devices::table)
            .values((
                devices::installation_id.eq(d.installation_id),
                devices::user_id.eq(user_id),
                devices::platform.eq(d.platform),
                devices::token.eq(d.token),
                devices::app_version.eq(d.app_version),
                devices::language.eq(d.language),
                devices::created_at.eq(t),
                devices::last_seen_at.eq(t),
            ))
            .execute(conn)
            .map_err(|e| StoreError::unique_as(e, "device_token_taken"))?;
    }
    let device = find(conn, d.installation_id)?.ok_or(StoreError::NotFound)?;
    Ok(Ok((device, is_new)))
}

pub fn find(conn: &mut DbConn, installation_id: &str) -> StoreResult<Option<Device>> {
    Ok(devices::table
        .find(installation_id)
        .select(Device::as_select())
        .first(conn)
        .optional()?)
}

/// Removes a device of `user_id`; returns whether there was one.
pub fn remove(conn: &mut DbConn, user_id: i64, installation_id: &str) -> StoreResult<bool> {
    let n = diesel::delete(
        devices::table
            .filter(devices::installation_id.eq(installation_id))
            .filter(devices::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// A user's devices (a bounded number: registration caps them).
pub fn of_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<Device>> {
    Ok(devices::table
        .filter(devices::user_id.eq(user_id))
        .order(devices::last_seen_at.desc())
        .select(Device::as_select())
        .load(conn)?)
}

pub fn count_of_user(conn: &mut DbConn, user_id: i64) -> StoreResult<i64> {
    Ok(devices::table
        .filter(devices::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}

/// Drops a token the push service said is dead (uninstalled app, expired token).
pub fn drop_token(conn: &mut DbConn, token: &str) -> StoreResult<bool> {
    let n = diesel::delete(devices::table.filter(devices::token.eq(token))).execute(conn)?;
    Ok(n > 0)
}

/// Forgets every device of `user_id` (account deletion; signing out everywhere).
pub fn forget_user(conn: &mut DbConn, user_id: i64) -> StoreResult<usize> {
    Ok(diesel::delete(devices::table.filter(devices::user_id.eq(user_id))).execute(conn)?)
}
