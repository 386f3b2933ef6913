//! Receiving an image (ad photos, store logos and banners alike): admitted before its body is
//! read (hourly count, the upload gate's byte budget), read within that budget, decoded in a
//! bounded pool, cleaned of metadata, re-encoded and written under a new random key.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::HttpRequest;
use futures_util::StreamExt;
use souk_store::files::{image_object, Area, Path};

use crate::auth::secret::random_hex;
use crate::error::{ApiError, ApiResult};
use crate::imaging::{self, ImageError, MAX_UPLOAD_BYTES};
use crate::state::AppState;
use crate::upload_gate::UploadPermit;

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

/// An uploaded image, cleaned and written (both sizes) under a new random key.
pub struct StoredImage {
    pub key: String,
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
    receive_image_into(state, form, permit, Area::Photos).await
}

/// `receive_image`, writing the files into `area` (message photos are private).
pub async fn receive_image_into(
    state: &AppState,
    form: Multipart,
    permit: &UploadPermit,
    area: Area,
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
    let files = &state.files;
    files
        .put(area, &image_object(&key, "large"), processed.large.into())
        .await?;
    if let Err(e) = files
        .put(area, &image_object(&key, "thumb"), processed.thumb.into())
        .await
    {
        // No row will name this key: the large size is an orphan unless removed now.
        files.remove_images(area, std::slice::from_ref(&key)).await;
        return Err(e.into());
    }
    Ok(StoredImage {
        key,
        width: processed.width as i32,
        height: processed.height as i32,
        phash: processed.phash,
    })
}

/// The file a photo URL names (`{key}/{size}.jpg`): only our own key format (32 lowercase
/// hex digits) and sizes reach the file storage, so no traversal and no probing; anything
/// else is 404, as if absent. Ad photos and message photos alike.
pub fn photo_file(key: &str, size: &str) -> ApiResult<Path> {
    let ours = key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if !ours {
        return Err(ApiError::NotFound);
    }
    match size {
        "large" | "thumb" => Ok(image_object(key, size)),
        _ => Err(ApiError::NotFound),
    }
}

/// A stored image's bytes, or 404.
pub async fn read_image(
    state: &AppState,
    area: Area,
    file: &Path,
) -> ApiResult<actix_web::web::Bytes> {
    state.files.get(area, file).await?.ok_or(ApiError::NotFound)
}
