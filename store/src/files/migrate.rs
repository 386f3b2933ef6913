//! Copying local folders into a bucket (`souk-api files-to-bucket`): every file of every area
//! to the same path under the area's prefix. Resumable and idempotent: a file already in the
//! bucket with the same size is skipped, so the command can be stopped and run again, and run
//! once more after the switch for the files uploaded meanwhile.

use std::path::{Path as FsPath, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path;

use super::config::LocalFolders;
use super::{Area, Files};
use crate::error::{StoreError, StoreResult};

/// What a copy did, so far or in all.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub copied: u64,
    pub already_there: u64,
    pub failed: u64,
}

/// Files copied at once: enough to hide a bucket's latency, few enough to be polite.
const IN_FLIGHT: usize = 8;

/// Every file under the areas' folders, with its path inside its area. Temporary files of
/// writes under way (`object_store`'s `name#n`, our `.part`) are left out.
pub fn local_files(folders: &LocalFolders) -> StoreResult<Vec<(Area, PathBuf, Path)>> {
    let mut found = Vec::new();
    for area in Area::ALL {
        let root = folders.of(area);
        if !root.exists() {
            continue;
        }
        walk(root, root, &mut |file, relative| {
            let name = relative.rsplit('/').next().unwrap_or_default();
            if !name.contains('#') && !name.ends_with(".part") {
                found.push((area, file, Path::from(relative)));
            }
        })
        .map_err(|e| StoreError::Files(format!("reading {}: {e}", root.display())))?;
    }
    Ok(found)
}

fn walk(
    root: &FsPath,
    dir: &FsPath,
    found: &mut dyn FnMut(PathBuf, String),
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, found)?;
        } else if kind.is_file() {
            let relative = path
                .strip_prefix(root)
                .expect("walked from root")
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/");
            found(path, relative);
        }
    }
    Ok(())
}

/// Copies `files` into `into` (a bucket), calling `progress` after each with the running
/// totals. Failures are counted and logged; run again to retry them.
pub async fn copy_into(
    into: &Files,
    files: Vec<(Area, PathBuf, Path)>,
    mut progress: impl FnMut(Copied),
) -> Copied {
    let mut totals = Copied::default();
    let mut copies = futures_util::stream::iter(files)
        .map(|(area, file, path)| async move {
            let outcome = copy_one(into, area, &file, &path).await;
            if let Err(e) = &outcome {
                tracing::warn!(file = %file.display(), error = %e, "not copied");
            }
            outcome
        })
        .buffer_unordered(IN_FLIGHT);
    while let Some(outcome) = copies.next().await {
        match outcome {
            Ok(true) => totals.copied += 1,
            Ok(false) => totals.already_there += 1,
            Err(_) => totals.failed += 1,
        }
        progress(totals);
    }
    totals
}

/// Copies one file unless the bucket holds it already; `Ok(true)` when it was copied.
async fn copy_one(into: &Files, area: Area, file: &FsPath, path: &Path) -> StoreResult<bool> {
    let local = tokio::fs::metadata(file)
        .await
        .map_err(|e| StoreError::Files(format!("reading {}: {e}", file.display())))?;
    if into.size(area, path).await? == Some(local.len()) {
        return Ok(false);
    }
    if local.len() > 16 * 1024 * 1024 {
        // An export archive: in parts.
        into.copy_file(area, path, file).await?;
    } else {
        let bytes = tokio::fs::read(file)
            .await
            .map_err(|e| StoreError::Files(format!("reading {}: {e}", file.display())))?;
        into.put(area, path, Bytes::from(bytes)).await?;
    }
    Ok(true)
}
