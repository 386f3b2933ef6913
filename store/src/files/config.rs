//! Where files go, from the environment: local folders unless `SOUK_S3_BUCKET` names a bucket.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{StoreError, StoreResult};

/// Local folders, one per area (`super::Area`).
#[derive(Debug, Clone)]
pub struct LocalFolders {
    pub photos: PathBuf,
    pub message_photos: PathBuf,
    pub exports: PathBuf,
}

impl LocalFolders {
    /// The default layout under the data folder, photos where `SOUK_PHOTOS_DIR` says.
    pub fn under(data_dir: &Path, photos: PathBuf) -> LocalFolders {
        LocalFolders {
            photos,
            message_photos: data_dir.join("message-photos"),
            exports: data_dir.join("exports"),
        }
    }

    pub fn of(&self, area: super::Area) -> &Path {
        match area {
            super::Area::Photos => &self.photos,
            super::Area::MessagePhotos => &self.message_photos,
            super::Area::Exports => &self.exports,
        }
    }
}

/// An S3-compatible bucket (AWS, MinIO, Ceph, Garage, R2, Scaleway, OVH...).
#[derive(Clone)]
pub struct BucketConfig {
    pub bucket: String,
    /// `None`: AWS itself. Otherwise the server's base URL, addressed path-style.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Per request; with two quick retries, the longest an upload waits on a dead server.
    pub timeout: Duration,
}

impl std::fmt::Debug for BucketConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret key.
        f.debug_struct("BucketConfig")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl BucketConfig {
    /// The client of the bucket; `whole_body` bounds a request with its body (photos: small,
    /// so a dead server is noticed within it), or only its start (export archives: a phone on
    /// a slow link may take many minutes to download one).
    pub(super) fn build(&self, whole_body: bool) -> StoreResult<object_store::aws::AmazonS3> {
        let client = object_store::ClientOptions::new();
        let client = if whole_body {
            client.with_timeout(self.timeout)
        } else {
            client.with_timeout_disabled()
        };
        let client = client
            .with_connect_timeout(Duration::from_secs(2))
            .with_allow_http(
                self.endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://")),
            );
        let retry = object_store::RetryConfig {
            max_retries: 2,
            retry_timeout: self.timeout,
            ..Default::default()
        };
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_client_options(client)
            .with_retry(retry);
        if let Some(endpoint) = &self.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        builder.build().map_err(|e| {
            StoreError::Files(format!(
                "the bucket settings are not usable ({e}); check SOUK_S3_*"
            ))
        })
    }
}

#[derive(Debug, Clone)]
pub enum FilesConfig {
    Local(LocalFolders),
    Bucket(BucketConfig),
}

impl FilesConfig {
    /// Local folders under `data_dir` (photos in `photos`), or the bucket `SOUK_S3_BUCKET`
    /// with `SOUK_S3_ENDPOINT`, `SOUK_S3_REGION`, `SOUK_S3_ACCESS_KEY_ID` and
    /// `SOUK_S3_SECRET_ACCESS_KEY` (or `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`), and
    /// `SOUK_S3_TIMEOUT_SECS` (10).
    pub fn from_env(data_dir: &Path, photos: PathBuf) -> StoreResult<FilesConfig> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let Some(bucket) = var("SOUK_S3_BUCKET") else {
            return Ok(FilesConfig::Local(LocalFolders::under(data_dir, photos)));
        };
        let endpoint = var("SOUK_S3_ENDPOINT").map(|e| e.trim_end_matches('/').to_string());
        if let Some(e) = &endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(StoreError::Files(format!(
                    "SOUK_S3_ENDPOINT must be an http:// or https:// URL, not {e:?}"
                )));
            }
        }
        let timeout = match var("SOUK_S3_TIMEOUT_SECS") {
            None => 10,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=300).contains(s))
                .ok_or_else(|| {
                    StoreError::Files(format!("SOUK_S3_TIMEOUT_SECS must be 1 to 300, not {v:?}"))
                })?,
        };
        let access_key_id = var("SOUK_S3_ACCESS_KEY_ID").or_else(|| var("AWS_ACCESS_KEY_ID"));
        let secret_access_key =
            var("SOUK_S3_SECRET_ACCESS_KEY").or_else(|| var("AWS_SECRET_ACCESS_KEY"));
        if access_key_id.is_some() != secret_access_key.is_some() {
            return Err(StoreError::Files(
                "set both SOUK_S3_ACCESS_KEY_ID and SOUK_S3_SECRET_ACCESS_KEY, or neither".into(),
            ));
        }
        Ok(FilesConfig::Bucket(BucketConfig {
            bucket,
            endpoint,
            region: var("SOUK_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            access_key_id,
            secret_access_key,
            timeout: Duration::from_secs(timeout),
        }))
    }
}
