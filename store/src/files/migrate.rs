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

/// Every file under the areas' folders, with its path inside its area, found as the copy
/// goes (millions of photos are never listed in memory at once). Temporary files of writes
/// under way (`object_store`'s `name#n`, our `.part`) are left out; a folder that cannot be
/// read is logged and counted as a failure by the copy.
pub fn local_files(folders: &LocalFolders) -> LocalFiles {
    LocalFiles {
        pending: Area::ALL
            .iter()
            .map(|a| (*a, folders.of(*a).to_path_buf()))
            .filter(|(_, dir)| dir.exists())
            .map(|(a, dir)| (a, dir.clone(), dir))
            .collect(),
        current: None,
    }
}

/// The walk of `local_files`: folders still to read, and the one being read.
pub struct LocalFiles {
    /// (area, its root, a folder under it).
    pending: Vec<(Area, PathBuf, PathBuf)>,
    current: Option<(Area, PathBuf, std::fs::ReadDir)>,
}

impl Iterator for LocalFiles {
    type Item = StoreResult<(Area, PathBuf, Path)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((area, root, entries)) = &mut self.current {
                match entries.next() {
                    None => self.current = None,
                    Some(Err(e)) => return Some(Err(StoreError::Files(e.to_string()))),
                    Some(Ok(entry)) => {
                        let path = entry.path();
                        let kind = match entry.file_type() {
                            Ok(k) => k,
                            Err(e) => return Some(Err(StoreError::Files(e.to_string()))),
                        };
                        if kind.is_dir() {
                            self.pending.push((*area, root.clone(), path));
                        } else if kind.is_file() {
                            let relative = path
                                .strip_prefix(&*root)
                                .expect("walked from root")
                                .to_string_lossy()
                                .replace(std::path::MAIN_SEPARATOR, "/");
                            let name = relative.rsplit('/').next().unwrap_or_default();
                            if !name.contains('#') && !name.ends_with(".part") {
                                return Some(Ok((*area, path, Path::from(relative))));
                            }
                        }
                    }
                }
                continue;
            }
            let (area, root, dir) = self.pending.pop()?;
            match std::fs::read_dir(&dir) {
                Ok(entries) => self.current = Some((area, root, entries)),
                Err(e) => {
                    return Some(Err(StoreError::Files(format!(
                        "reading {}: {e}",
                        dir.display()
                    ))))
                }
            }
        }
    }
}

/// Copies `files` into `into` (a bucket), calling `progress` after each with the running
/// totals. Failures are counted and logged; run again to retry them.
pub async fn copy_into(
    into: &Files,
    files: impl Iterator<Item = StoreResult<(Area, PathBuf, Path)>>,
    mut progress: impl FnMut(Copied),
) -> Copied {
    let mut totals = Copied::default();
    let mut copies = futures_util::stream::iter(files)
        .map(|found| async move {
            let (area, file, path) = match found {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "a folder could not be read");
                    return Err(e);
                }
            };
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
