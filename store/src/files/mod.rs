//! Where souk's files live: ad photos and store images (public), photos sent in messages and
//! account export archives (private). A local folder by default, or an S3-compatible bucket
//! (`SOUK_S3_BUCKET`) so that several API processes on several machines see the same files.
//! Both go through `object_store`, so the code above this module is the same for either; the
//! layout inside a folder and under a bucket prefix is the same too, which is what lets
//! `migrate` copy a folder into a bucket as it is.
//!
//! The database row is the source of truth and files follow it: a file is written before its
//! row commits and removed after its row is gone, so a failure leaves an orphan file, never a
//! row without its file.

pub mod config;
pub mod migrate;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
pub use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};

pub use config::{BucketConfig, FilesConfig};

use crate::error::{StoreError, StoreResult};

/// The kinds of files, each in its own folder or under its own bucket prefix. Only `Photos`
/// may ever be public (a CDN or a public-read bucket policy on that prefix alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Ad photos, store logos and banners.
    Photos,
    /// Photos sent in messages: served only to the two people of the thread.
    MessagePhotos,
    /// Account export archives: served only with their download token.
    Exports,
}

impl Area {
    pub const ALL: [Area; 3] = [Area::Photos, Area::MessagePhotos, Area::Exports];

    /// The folder under the data folder, and the prefix in a bucket.
    pub fn prefix(self) -> &'static str {
        match self {
            Area::Photos => "photos",
            Area::MessagePhotos => "message-photos",
            Area::Exports => "exports",
        }
    }
}

/// The two sizes every image is stored in.
pub const IMAGE_SIZES: [&str; 2] = ["large", "thumb"];

/// Where an image file of `key` lives inside its area: `{first two digits}/{key}_{size}.jpg`,
/// so that no folder holds millions of files.
pub fn image_object(key: &str, size: &str) -> Path {
    let shard = key.get(..2).unwrap_or("__");
    Path::from(format!("{shard}/{key}_{size}.jpg"))
}

/// Where an export archive lives inside `Area::Exports`.
pub fn export_object(export_id: i64) -> Path {
    Path::from(format!("{export_id}.zip"))
}

/// The file areas of this deployment; cheap to clone.
#[derive(Clone)]
pub struct Files {
    photos: Arc<dyn ObjectStore>,
    message_photos: Arc<dyn ObjectStore>,
    exports: Arc<dyn ObjectStore>,
    /// The whole bucket, for the start-up check; `None` for local folders.
    bucket: Option<(String, Arc<dyn ObjectStore>)>,
    /// Local folders, when files are local (backups copy them); `None` with a bucket.
    local: Option<config::LocalFolders>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bucket {
            Some((name, _)) => write!(f, "Files(bucket {name})"),
            None => write!(f, "Files(local {:?})", self.local),
        }
    }
}

impl Files {
    /// Opens the configured areas (creating local folders). Nothing is contacted: call
    /// `check` at start to fail early on a bucket that is missing or refuses our keys.
    pub fn open(cfg: &FilesConfig) -> StoreResult<Files> {
        match cfg {
            FilesConfig::Local(folders) => {
                let open = |dir: &FsPath| -> StoreResult<Arc<dyn ObjectStore>> {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Files(format!("creating {}: {e}", dir.display()))
                    })?;
                    let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                        .map_err(files_error)?;
                    Ok(Arc::new(fs))
                };
                Ok(Files {
                    photos: open(&folders.photos)?,
                    message_photos: open(&folders.message_photos)?,
                    exports: open(&folders.exports)?,
                    bucket: None,
                    local: Some(folders.clone()),
                })
            }
            FilesConfig::Bucket(b) => {
                let root: Arc<dyn ObjectStore> = Arc::new(b.build(true)?);
                let streaming: Arc<dyn ObjectStore> = Arc::new(b.build(false)?);
                let under = |store: &Arc<dyn ObjectStore>, area: Area| -> Arc<dyn ObjectStore> {
                    Arc::new(object_store::prefix::PrefixStore::new(
                        store.clone(),
                        area.prefix(),
                    ))
                };
                Ok(Files {
                    photos: under(&root, Area::Photos),
                    message_photos: under(&root, Area::MessagePhotos),
                    exports: under(&streaming, Area::Exports),
                    bucket: Some((b.bucket.clone(), root)),
                    local: None,
                })
            }
        }
    }

    /// Files in a bucket (not in local folders).
    pub fn in_bucket(&self) -> bool {
        self.bucket.is_some()
    }

    /// The local folders, when files are local.
    pub fn local_folders(&self) -> Option<&config::LocalFolders> {
        self.local.as_ref()
    }

    fn area(&self, area: Area) -> &Arc<dyn ObjectStore> {
        match area {
            Area::Photos => &self.photos,
            Area::MessagePhotos => &self.message_photos,
            Area::Exports => &self.exports,
        }
    }

    /// Start-up check: the bucket exists and answers our keys (one listing of its top level).
    /// Local folders were checked by `open`.
    pub async fn check(&self) -> StoreResult<()> {
        let Some((name, root)) = &self.bucket else {
            return Ok(());
        };
        root.list_with_delimiter(None)
            .await
            .map(|_| ())
            .map_err(|e| {
                StoreError::Files(format!(
                    "the bucket {name} cannot be listed ({e}); check SOUK_S3_BUCKET, \
                 SOUK_S3_ENDPOINT and the access keys"
                ))
            })
    }

    /// Writes one file whole (a reader sees all of it or nothing). In a bucket, images carry
    /// their type, and public ones the caching a CDN or browser reading the bucket should use.
    pub async fn put(&self, area: Area, path: &Path, bytes: Bytes) -> StoreResult<()> {
        let mut options = object_store::PutOptions::default();
        if self.in_bucket() && area != Area::Exports {
            use object_store::{Attribute, Attributes};
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::ContentType, "image/jpeg".into());
            attributes.insert(
                Attribute::CacheControl,
                match area {
                    Area::Photos => "public, max-age=31536000, immutable",
                    _ => "private, max-age=86400, immutable",
                }
                .into(),
            );
            options.attributes = attributes;
        }
        self.area(area)
            .put_opts(path, PutPayload::from(bytes), options)
            .await
            .map(|_| ())
            .map_err(files_error)
    }

    /// Reads one file; `None` when it does not exist.
    pub async fn get(&self, area: Area, path: &Path) -> StoreResult<Option<Bytes>> {
        match self.area(area).get(path).await {
            Ok(found) => found.bytes().await.map(Some).map_err(files_error),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(files_error(e)),
        }
    }

    /// Reads one file as a stream of chunks (export archives: never whole in memory).
    pub async fn get_stream(
        &self,
        area: Area,
        path: &Path,
    ) -> StoreResult<Option<BoxStream<'static, std::io::Result<Bytes>>>> {
        match self.area(area).get(path).await {
            Ok(found) => Ok(Some(
                found
                    .into_stream()
                    .map(|chunk| chunk.map_err(std::io::Error::other))
                    .boxed(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(files_error(e)),
        }
    }

    /// The size of a file, `None` when it does not exist.
    pub async fn size(&self, area: Area, path: &Path) -> StoreResult<Option<u64>> {
        match self.area(area).head(path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(files_error(e)),
        }
    }

    /// Moves a finished local file (an export archive written to scratch space) into the area,
    /// in parts, never whole in memory; the local file is gone afterwards either way.
    pub async fn put_file(&self, area: Area, path: &Path, file: PathBuf) -> StoreResult<()> {
        let stored = self.copy_file(area, path, &file).await;
        let _ = tokio::fs::remove_file(&file).await;
        stored
    }

    /// Copies a local file into the area, in parts, never whole in memory.
    pub async fn copy_file(&self, area: Area, path: &Path, file: &FsPath) -> StoreResult<()> {
        upload_file(self.area(area).as_ref(), path, file).await
    }

    /// Removes files; one already gone is fine. A failure leaves an orphan file (its row is
    /// gone already), so it is logged, not returned.
    pub async fn remove(&self, area: Area, paths: Vec<Path>) {
        let store = self.area(area);
        for path in paths {
            match store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(area = area.prefix(), %path, error = %e, "could not remove a file")
                }
            }
        }
    }

    /// Removes both sizes of the images `keys` (photos whose rows are gone).
    pub async fn remove_images(&self, area: Area, keys: &[String]) {
        let paths = keys
            .iter()
            .flat_map(|k| IMAGE_SIZES.map(|size| image_object(k, size)))
            .collect();
        self.remove(area, paths).await
    }
}

/// Part size of uploads from a file: S3 wants at least 5 MiB per part but the last.
const PART_BYTES: usize = 8 * 1024 * 1024;

async fn upload_file(store: &dyn ObjectStore, path: &Path, file: &FsPath) -> StoreResult<()> {
    use tokio::io::AsyncReadExt;
    let mut source = tokio::fs::File::open(file)
        .await
        .map_err(|e| StoreError::Files(format!("reading {}: {e}", file.display())))?;
    let upload = store.put_multipart(path).await.map_err(files_error)?;
    let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = match source.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(StoreError::Files(format!(
                    "reading {}: {e}",
                    file.display()
                )));
            }
        };
        if n == 0 {
            break;
        }
        // At most two parts in flight: the memory of an upload stays ~16 MiB.
        if let Err(e) = writer.wait_for_capacity(2).await {
            // A part failed: the parts stored so far are dropped, not left to bill.
            let _ = writer.abort().await;
            return Err(files_error(e));
        }
        writer.write(&buf[..n]);
    }
    // The parts in flight, where a failure can still abort; `finish` then sends the last one
    // and aborts itself when completing fails (a failure of that last part leaves the
    // others to the bucket's rule for incomplete uploads, docs/deploy.md).
    if let Err(e) = writer.wait_for_capacity(0).await {
        let _ = writer.abort().await;
        return Err(files_error(e));
    }
    writer.finish().await.map(|_| ()).map_err(files_error)
}

fn files_error(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Files(other.to_string()),
    }
}
