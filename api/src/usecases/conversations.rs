//! Who may read and write a conversation: its two parties only. Threads, messages and
//! ratings all ask here.

use souk_store::conversations::{self, Conversation};
use souk_store::DbConn;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};

/// A thread the user takes part in; anyone else gets 404, as if it did not exist.
pub fn my_conversation(conn: &mut DbConn, id: i64, user: AuthUser) -> ApiResult<Conversation> {
    let c = conversations::find(conn, id)?;
    if !c.is_participant(user.id) {
        return Err(ApiError::NotFound);
    }
    Ok(c)
}
