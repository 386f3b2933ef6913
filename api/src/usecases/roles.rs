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

/// An admin gives account `target` a role (the console's admin page); logged with the admin.
/// Nobody changes their own role: the last admin cannot lock everyone out by mistake.
pub fn set_role_by_admin(
    conn: &mut DbConn,
    admin: AuthUser,
    target: i64,
    role: Role,
) -> ApiResult<()> {
    if moderator(conn, admin)? != Role::Admin {
        return Err(ApiError::Forbidden("admins only"));
    }
    if target == admin.id {
        return Err(ApiError::Forbidden("nobody changes their own role"));
    }
    users::find_user(conn, target)?;
    moderation::set_role(conn, target, role.as_str())?;
    moderation::log(
        conn,
        Some(admin.id),
        &format!("set_role:{}", role.as_str()),
        "user",
        target,
        "admin page",
    )?;
    Ok(())
}
