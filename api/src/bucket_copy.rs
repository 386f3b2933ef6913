//! `souk-api files-to-bucket`: moves a site from local folders to a bucket. Run it while the
//! site still serves from its folders, switch the configuration to the bucket
//! (`SOUK_S3_BUCKET`), restart, and run it once more for the files uploaded meanwhile: files
//! already in the bucket with the same size are skipped, so it resumes where it stopped.

use souk_store::files::config::LocalFolders;
use souk_store::files::migrate::{copy_into, local_files, Copied};
use souk_store::files::{Files, FilesConfig};

use crate::config::Config;

/// Copies the local folders of `config` into its bucket; `progress` hears a line now and then.
pub async fn files_to_bucket(
    config: &Config,
    progress: &mut dyn FnMut(&str),
) -> Result<Copied, String> {
    if !matches!(config.files, FilesConfig::Bucket(_)) {
        return Err(
            "set SOUK_S3_BUCKET (and SOUK_S3_ENDPOINT, keys) to the bucket to copy into".into(),
        );
    }
    let bucket = Files::open(&config.files).map_err(|e| e.to_string())?;
    bucket.check().await.map_err(|e| e.to_string())?;
    let folders = LocalFolders::under(&config.data_dir, config.photos_dir.clone());
    progress(&format!(
        "copying the files under {}, {} and {}",
        folders.photos.display(),
        folders.message_photos.display(),
        folders.exports.display()
    ));
    let mut last = std::time::Instant::now();
    let done = copy_into(&bucket, local_files(&folders), |so_far| {
        if last.elapsed().as_secs() >= 2 {
            last = std::time::Instant::now();
            progress(&format!(
                "{} seen: {} copied, {} already there, {} failed",
                so_far.copied + so_far.already_there + so_far.failed,
                so_far.copied,
                so_far.already_there,
                so_far.failed
            ));
        }
    })
    .await;
    Ok(done)
}
