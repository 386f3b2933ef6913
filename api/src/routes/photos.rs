//! Photo upload, deletion and serving. Files live under the photos folder, named by a
//! random key; the database row is the source of truth and files follow it.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use souk_domain::signals::PHOTO_MAX_DISTANCE;
use souk_store::photos;
use souk_store::signals::{near_copies, Among, KIND_PHOTO};
use utoipa::{IntoParams, ToSchema};

use crate::auth::secret::random_hex;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::imaging::{self, ImageError, MAX_UPLOAD_BYTES};
use crate::routes::listings::ListingId;
use crate::routes::views::PhotoView;
use crate::state::AppState;
use crate::upload_gate::UploadPermit;
use crate::usecases::ownership::owned_ad;

pub const MAX_PHOTOS: i64 = 8;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PhotoUpload {
    /// JPEG, PNG or WebP, at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    photo: Vec<u8>,
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "a photo may be at most {} MB",
        MAX_UPLOAD_BYTES / 1024 / 1024
    ))
}

/// The most an upload's body may hold: the photo and the form around it.
pub const MAX_UPLOAD_BODY: usize = MAX_UPLOAD_BYTES + 64 * 1024;

/// Reads the part named `photo`. Every part, skipped or not, counts against one budget (what
/// the upload was admitted with), so a form cannot stream without end through parts we ignore.
async fn read_upload(mut form: Multipart, budget: usize) -> ApiResult<Vec<u8>> {
    let mut seen = 0usize;
    let mut photo: Option<Vec<u8>> = None;
    let bad =
        |e: actix_multipart::MultipartError| ApiError::bad_request("bad_multipart", e.to_string());
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        let wanted = photo.is_none() && field.name() == Some("photo");
        // Sized once from what was admitted: growing by doubling held up to 16 MB for 10.
        let mut bytes = Vec::with_capacity(if wanted {
            budget.min(MAX_UPLOAD_BYTES)
        } else {
            0
        });
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            seen += chunk.len();
            if seen > budget || (wanted && bytes.len() + chunk.len() > MAX_UPLOAD_BYTES) {
                return Err(too_large());
            }
            if wanted {
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            photo = Some(bytes);
        }
    }
    photo.ok_or_else(|| {
        ApiError::field(
            "photo",
            "required",
            "send the image in a multipart field named `photo`",
        )
    })
}

fn too_many_photos() -> ApiError {
    ApiError::Conflict {
        code: "too_many_photos",
        detail: format!("at most {MAX_PHOTOS} photos per listing (uploads under way count)"),
    }
}

/// Admits an upload of `user` (ad photos, logos and banners alike) before its body is read:
/// within the hourly count (each is decoded), then a permit of the upload gate (a share of
/// the byte budget, one of the account's places), or 503 after a short wait.
pub async fn admit_upload(
    state: &AppState,
    user: i64,
    req: &HttpRequest,
) -> ApiResult<UploadPermit> {
    require_multipart(req)?;
    state
        .limiter
        .hit(
            &format!("upload:{user}"),
            state.config.limits.upload_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    state.uploads.admit(user, req, MAX_UPLOAD_BODY).await
}

pub fn require_multipart(req: &HttpRequest) -> ApiResult<()> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType(
            "send the photo as multipart/form-data".into(),
        ));
    }
    Ok(())
}

/// An uploaded image, cleaned and written to disk under a new random key.
pub struct StoredImage {
    pub key: String,
    pub large: std::path::PathBuf,
    pub thumb: std::path::PathBuf,
    pub width: i32,
    pub height: i32,
    pub phash: Option<u64>,
}

/// The photo pipeline shared by ads and stores: read the `photo` part within its budget,
/// decode, apply the EXIF orientation, drop every metadata block, re-encode a large size and
/// a thumbnail, write both.
pub async fn receive_image(
    state: &AppState,
    form: Multipart,
    permit: &UploadPermit,
) -> ApiResult<StoredImage> {
    let bytes = read_upload(form, permit.max_bytes).await?;
    // Decodes wait for a slot: each may allocate ~200 MB, so their number bounds the memory.
    let processed = state
        .decodes
        .run(move || imaging::process(&bytes))
        .await?
        .map_err(|e| match e {
            ImageError::UnsupportedFormat => ApiError::UnsupportedMediaType(e.to_string()),
            ImageError::TooManyPixels(_) => ApiError::PayloadTooLarge(e.to_string()),
            ImageError::Corrupt(_) => ApiError::field("photo", "corrupt_image", e.to_string()),
            ImageError::Encode(_) => ApiError::Internal(e.to_string()),
        })?;
    let key = random_hex(16);
    let [large, thumb] = photos::photo_files(&state.config.photos_dir, &key);
    let write = async {
        tokio::fs::create_dir_all(large.parent().expect("sharded path")).await?;
        tokio::fs::write(&large, &processed.large).await?;
        tokio::fs::write(&thumb, &processed.thumb).await
    };
    write
        .await
        .map_err(|e| ApiError::Internal(format!("writing photo: {e}")))?;
    Ok(StoredImage {
        key,
        large,
        thumb,
        width: processed.width as i32,
        height: processed.height as i32,
        phash: processed.phash,
    })
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
    let (large, thumb) = (image.large.clone(), image.thumb.clone());
    let (w, h, phash) = (image.width, image.height, image.phash);
    let row_key = image.key;
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
                    return Err(crate::routes::listings::duplicate_ad(existing.listing_id));
                }
            }
            let photo = photos::insert_photo(conn, id, &row_key, w, h, phash)?;
            souk_worker::signals::queue_check(conn, id, None)?;
            Ok(photo)
        })
        .await;
    if inserted.is_err() {
        let _ = tokio::fs::remove_file(&large).await;
        let _ = tokio::fs::remove_file(&thumb).await;
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
    // Only our own key format reaches the filesystem: no traversal, no probing.
    if key.len() != 32
        || !key
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(ApiError::NotFound);
    }
    let [large, thumb] = photos::photo_files(&state.config.photos_dir, &key);
    let file = match size.as_str() {
        "large" => large,
        "thumb" => thumb,
        _ => return Err(ApiError::NotFound),
    };
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|_| ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        // A key names one file forever.
        .insert_header((header::ETAG, format!("\"{key}-{size}\"")))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
