//! Photo upload, deletion and serving. Files live in the photos area (a folder or a bucket,
//! `souk_store::files`), named by a random key; the database row is the source of truth and
//! files follow it.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use souk_domain::signals::PHOTO_MAX_DISTANCE;
use souk_store::files::Area;
use souk_store::photos;
use souk_store::signals::{near_copies, Among, KIND_PHOTO};
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::params::ListingId;
use crate::params::PhotoUpload;
use crate::state::AppState;
use crate::upload_gate::UploadPermit;
use crate::usecases::image_upload::admit_upload;
use crate::usecases::image_upload::{photo_file, read_image, receive_image};
use crate::usecases::ownership::owned_ad;
use crate::views::PhotoView;

pub const MAX_PHOTOS: i64 = 8;

fn too_many_photos() -> ApiError {
    ApiError::Conflict {
        code: "too_many_photos",
        detail: format!("at most {MAX_PHOTOS} photos per listing (uploads under way count)"),
    }
}

/// Add a photo to an ad (seller only, at most 8). The image is decoded, stripped of
/// metadata (EXIF, GPS) and stored as a large JPEG and a thumbnail.
#[utoipa::path(tag = "photos", params(ListingId), security(("bearer" = [])),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = PhotoView), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
              (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem), (status = 503, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/photos")]
pub async fn upload_photo(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    let id = path.id;
    let permit = admit_upload(&state, user.id, &req).await?;
    // Ownership and a photo slot before reading 10 MB or decoding anything: under the ad's
    // row lock (`owned_ad`), parallel uploads cannot pass the cap together, and one refused
    // for it is refused before it costs a read or a decode.
    let slot = state
        .tx(move |conn| {
            owned_ad(conn, user.id, id)?;
            photos::reserve_slot(conn, id, MAX_PHOTOS)?.ok_or_else(too_many_photos)
        })
        .await?;
    let stored = store_photo(&state, user, id, slot, form, &permit).await;
    if stored.is_err() {
        // The slot frees now rather than at its expiry; a failure here only delays that.
        let _ = state
            .tx(move |conn| Ok(photos::release_slot(conn, slot)?))
            .await;
    }
    let photo = stored?;
    state.wake_worker().await;
    Ok(HttpResponse::Created().json(PhotoView::from(&photo)))
}

/// Reads, decodes and writes an upload that holds slot `slot` of ad `id`, then turns the
/// reservation into the photo row.
async fn store_photo(
    state: &AppState,
    user: AuthUser,
    id: i64,
    slot: i64,
    form: Multipart,
    permit: &UploadPermit,
) -> ApiResult<photos::Photo> {
    let image = receive_image(state, form, permit).await?;
    let (w, h, phash) = (image.width, image.height, image.phash);
    let row_key = image.key.clone();
    let inserted = state
        .tx(move |conn| {
            // Re-checked in the transaction: the listing may have been deleted meanwhile, or
            // the reservation may have run out while a slow client sent its body.
            owned_ad(conn, user.id, id)?;
            if photos::count_taken_slots(conn, id, Some(slot))? >= MAX_PHOTOS {
                return Err(too_many_photos());
            }
            photos::release_slot(conn, slot)?;
            // The same photo on another of one's active ads is a repost: edit or renew that one.
            if let Some(hash) = phash {
                let own = near_copies(
                    conn,
                    KIND_PHOTO,
                    hash,
                    PHOTO_MAX_DISTANCE,
                    Among::OwnActiveBesides {
                        user_id: user.id,
                        listing_id: id,
                    },
                )?;
                if let Some(existing) = own.first() {
                    return Err(crate::usecases::posting::duplicate_ad(existing.listing_id));
                }
            }
            let photo = photos::insert_photo(conn, id, &row_key, w, h, phash)?;
            souk_worker::signals::queue_check(conn, id, None)?;
            Ok(photo)
        })
        .await;
    if inserted.is_err() {
        state.files.remove_images(Area::Photos, &[image.key]).await;
    }
    inserted
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PhotoPath {
    /// Listing id.
    pub id: i64,
    /// Photo id.
    pub photo_id: i64,
}

/// Remove a photo from an ad (seller only); its files are deleted.
#[utoipa::path(tag = "photos", params(PhotoPath), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[delete("/v1/listings/{id}/photos/{photo_id}")]
pub async fn delete_photo(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<PhotoPath>,
) -> ApiResult<HttpResponse> {
    let PhotoPath { id, photo_id } = path.into_inner();
    let removed = state
        .tx(move |conn| {
            owned_ad(conn, user.id, id)?;
            Ok(photos::delete_photo(conn, id, photo_id)?)
        })
        .await?;
    state.remove_photo_files(vec![removed.storage_key]).await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PhotoFile {
    /// The photo's key, as in its URL.
    pub key: String,
    /// `large` or `thumb`.
    pub size: String,
}

/// A photo file. Keys are random, so URLs cannot be enumerated.
#[utoipa::path(tag = "photos", params(PhotoFile),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = crate::error::Problem)))]
#[get("/v1/photos/{key}/{size}.jpg")]
pub async fn serve_photo(
    state: web::Data<AppState>,
    path: web::Path<PhotoFile>,
) -> ApiResult<HttpResponse> {
    let PhotoFile { key, size } = path.into_inner();
    let file = photo_file(&key, &size)?;
    let bytes = read_image(&state, Area::Photos, &file).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        // A key names one file forever.
        .insert_header((header::ETAG, format!("\"{key}-{size}\"")))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
