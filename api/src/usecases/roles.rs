//! Roles (user, moderator, admin), set from the command line (`souk-api set-role`), logged
//! with the moderation actions.

use souk_domain::trust::Role;
use souk_store::{moderation, users, DbConn};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};

/// Sets the role of the account of `email` (the command line's `set-role`).
pub fn set_role_by_email(conn: &mut DbConn, email: &str, role: Role) -> ApiResult<i64> {
    let u = users::find_user_by_email(conn, email)?.ok_or(ApiError::NotFound)?;
    moderation::set_role(conn, u.id, role.as_str())?;
    moderation::log(
        conn,
        None,
        &format!("set_role:{}", role.as_str()),
        "user",
        u.id,
        "command line",
    )?;
    Ok(u.id)
}

/// The signed-in user's role, refusing anyone who may not moderate.
pub fn moderator(conn: &mut DbConn, user: AuthUser) -> ApiResult<Role> {
    let u = crate::auth::ensure_not_banned(conn, user.id)?;
    match Role::parse(&u.role) {
        Some(r) if r.can_moderate() => Ok(r),
        _ => Err(ApiError::Forbidden("moderators only")),
    }
}
