//! Photos in messages: through the same pipeline as ad photos (admitted before the body is
//! read, bounded decodes, EXIF and GPS stripped, re-encoded), written to a private area
//! (folder or bucket prefix, never public), and served only to the two people of the thread (and to moderators once it is reported),
//! never from a public URL.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use souk_store::files::Area;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::params::{ConversationId, PhotoUpload};
use crate::state::AppState;
use crate::usecases::conversations::{
    ensure_not_blocked, may_see_message_photo, my_conversation, send_message,
};
use crate::usecases::image_upload::{admit_upload, photo_file, read_image, receive_image_into};
use crate::views::message::{message_view, MessageView};

/// Send a photo in a thread (multipart, one part named `photo`: JPEG, PNG or WebP, ≤ 10 MB).
/// It is cleaned like an ad photo and reaches the other side as a message with `photo`; its
/// files are private to the thread.
#[utoipa::path(tag = "contact", params(ConversationId), security(("bearer" = [])),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = MessageView), (status = 401, body = crate::error::Problem),
              (status = 403, description = "blocked", body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
#[post("/v1/conversations/{id}/photos")]
pub async fn send_photo(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    // Who may send, before the body is read or anything decoded.
    state
        .db(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let c = my_conversation(conn, id, user)?;
            ensure_not_blocked(conn, &c)
        })
        .await?;
    super::threads::contact_limit(&state, user).await?;
    let permit = admit_upload(&state, user.id, &req).await?;
    let image = receive_image_into(&state, form, &permit, Area::MessagePhotos).await?;
    let key = image.key.clone();
    let delay = chrono::Duration::seconds(state.config.message_email_delay_secs);
    let sent = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let c = my_conversation(conn, id, user)?;
            let (m, wake) = send_message(conn, &c, user.id, "", Some(&key), delay)?;
            Ok((message_view(m, user.id), wake))
        })
        .await;
    let (view, wake) = match sent {
        Ok(v) => v,
        Err(e) => {
            state
                .files
                .remove_images(Area::MessagePhotos, &[image.key])
                .await;
            return Err(e);
        }
    };
    state.events.notify(&wake).await;
    state.wake_worker().await;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MessagePhotoFile {
    /// Thread id.
    pub id: i64,
    /// The photo's key, as in its URL.
    pub key: String,
    /// `large` or `thumb`.
    pub size: String,
}

/// A photo of a thread, for its two people only (moderators too once the thread is
/// reported). Anyone else gets 404, as if it did not exist.
#[utoipa::path(tag = "contact", params(MessagePhotoFile), security(("bearer" = [])),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[get("/v1/conversations/{id}/photos/{key}/{size}.jpg")]
pub async fn serve_message_photo(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<MessagePhotoFile>,
) -> ApiResult<HttpResponse> {
    let MessagePhotoFile { id, key, size } = path.into_inner();
    let file = photo_file(&key, &size)?;
    state
        .db(move |conn| may_see_message_photo(conn, user, id, &key))
        .await?;
    let bytes = read_image(&state, Area::MessagePhotos, &file).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        // Private: no shared cache may keep it; the key names one file forever.
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
