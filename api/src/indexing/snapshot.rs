//! Index snapshots in a shared folder (`SOUK_INDEX_SNAPSHOTS`): a new API process opens the
//! newest one and follows the change feed from the checkpoint it includes, instead of building
//! its index from the whole database (about 50 s and a large memory peak at 1 M ads).
//!
//! Layout: `<dir>/<time>-w<watermark>/` (the index files, `meta.json` with the checkpoint,
//! `snapshot.json` for people) and `<dir>/LATEST` naming the newest. A snapshot is copied
//! under `.partial-…` and renamed when whole, then `LATEST` moves (written aside, renamed):
//! a reader never sees half a snapshot. The newest `KEEP` are kept.
//!
//! Opening one: copied into a new generation of the local index folder, checksums verified,
//! then opened like any index, whose checkpoint says where to follow the feed from; changes
//! after it are applied once (the same rule as after a restart). A missing, damaged or
//! incompatible snapshot falls back to the rebuild.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use souk_search::{Checkpoint, SearchError, SearchIndex};

use super::{current_generation, new_generation_name, set_current_generation, SearchService};

const LATEST: &str = "LATEST";
const INFO: &str = "snapshot.json";
/// Snapshots kept; older ones are deleted after each publication.
pub const KEEP: usize = 3;

/// `snapshot.json`: what a snapshot holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The change-feed position the snapshot includes.
    pub watermark: i64,
    pub docs: u64,
    pub files: usize,
    pub bytes: u64,
}

/// Publishes the committed state of `index` into `dir`; prunes older snapshots.
pub fn publish(index: &SearchIndex, dir: &Path) -> Result<SnapshotInfo, SearchError> {
    fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".partial-{:016x}", rand::random::<u64>()));
    let copied = match index.copy_committed(&partial) {
        Ok(c) => c,
        Err(e) => {
            let _ = fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let created_at = chrono::Utc::now();
    let name = format!(
        "{}-w{:012}",
        created_at.format("%Y%m%dT%H%M%S%.3fZ"),
        copied.checkpoint.watermark
    );
    let info = SnapshotInfo {
        name: name.clone(),
        created_at,
        watermark: copied.checkpoint.watermark,
        docs: copied.docs,
        files: copied.files,
        bytes: copied.bytes,
    };
    fs::write(
        partial.join(INFO),
        serde_json::to_vec_pretty(&info).expect("snapshot info serialises"),
    )?;
    fs::rename(&partial, dir.join(&name))?;
    let pointer = dir.join(format!(".{LATEST}.{:016x}", rand::random::<u64>()));
    fs::write(&pointer, &name)?;
    fs::rename(&pointer, dir.join(LATEST))?;
    prune(dir, &name)?;
    Ok(info)
}

/// Deletes all but the newest `KEEP` snapshots (never `latest`), and partial copies left by a
/// publisher that died more than an hour ago.
fn prune(dir: &Path, latest: &str) -> std::io::Result<()> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !entry.file_type()?.is_dir() {
            continue;
        }
        if name.starts_with(".partial-") {
            let old = entry
                .metadata()?
                .modified()?
                .elapsed()
                .is_ok_and(|age| age.as_secs() > 3600);
            if old {
                fs::remove_dir_all(entry.path())?;
            }
        } else if is_snapshot_name(&name) {
            names.push(name);
        }
    }
    names.sort();
    let excess = names.len().saturating_sub(KEEP);
    for name in names.into_iter().take(excess).filter(|n| n != latest) {
        fs::remove_dir_all(dir.join(name))?;
    }
    Ok(())
}

/// A name `publish` gives (`20261207T012345.678Z-w000000001234`): anything else in the folder
/// is someone else's and left alone.
fn is_snapshot_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 34
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && &b[19..22] == b"Z-w"
        && b[22..].iter().all(u8::is_ascii_digit)
}

/// The newest snapshot in `dir`, if one is published.
pub fn latest(dir: &Path) -> Option<PathBuf> {
    let name = fs::read_to_string(dir.join(LATEST)).ok()?;
    let name = name.trim();
    // A name of this folder, nothing else.
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    Some(dir.join(name)).filter(|p| p.is_dir())
}

/// Copies the newest snapshot of `dir` into a new generation under `root` and makes it
/// current; returns the generation and the snapshot's name. `Ok(None)` when there is none; an
/// error leaves `root` as it was.
pub fn restore_latest(dir: &Path, root: &Path) -> Result<Option<(String, String)>, SearchError> {
    let Some(src) = latest(dir) else {
        return Ok(None);
    };
    let generation = new_generation_name();
    let dest = root.join(&generation);
    let result = (|| -> Result<(), SearchError> {
        fs::create_dir_all(&dest)?;
        for entry in fs::read_dir(&src)? {
            let entry = entry?;
            if entry.file_name() == INFO {
                continue;
            }
            fs::copy(entry.path(), dest.join(entry.file_name()))?;
        }
        souk_search::snapshot::verify_copy(&dest)
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&dest);
        return Err(e);
    }
    let replaced = current_generation(root);
    set_current_generation(root, &generation)?;
    if let Some(old) = replaced.filter(|g| g != &generation) {
        let _ = fs::remove_dir_all(root.join(old));
    }
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok(Some((generation, name)))
}

/// Makes the next `SearchService::open(root)` start a new, empty generation (the current one
/// cannot serve).
fn discard_current(root: &Path) {
    if let Some(generation) = current_generation(root) {
        let _ = fs::remove_dir_all(root.join(generation));
    }
    let _ = fs::remove_file(root.join(super::CURRENT_FILE));
}

/// Opens the index under `root`; when it must be rebuilt and `snapshots` has one, from the
/// newest snapshot instead. The checkpoint is `None` when a rebuild is still needed.
///
/// An index (or snapshot) ahead of `feed_end`, the database's last change, was made from other
/// data (the database was restored from a backup since): its positions mean nothing here, and
/// it is discarded like a missing one.
pub fn open_or_restore(
    root: &Path,
    snapshots: Option<&Path>,
    feed_end: i64,
) -> Result<(SearchService, Option<Checkpoint>), SearchError> {
    let (service, checkpoint) = SearchService::open(root)?;
    match &checkpoint {
        Some(c) if c.watermark <= feed_end => return Ok((service, checkpoint)),
        None if snapshots.is_none() => return Ok((service, checkpoint)),
        Some(c) => {
            tracing::warn!(
                index = c.watermark,
                database = feed_end,
                "the search index is ahead of the database (restored?): rebuilding it"
            );
            drop(service);
            discard_current(root);
        }
        None => drop(service),
    }
    let Some(dir) = snapshots else {
        return SearchService::open(root);
    };
    let started = std::time::Instant::now();
    match restore_latest(dir, root) {
        Ok(Some((generation, name))) => {
            let (service, checkpoint) = match SearchService::open(root) {
                Ok(opened) => opened,
                Err(e) => {
                    // A copy that passed its checksums and still does not open (a file its
                    // meta.json names is missing): set it aside and rebuild.
                    tracing::warn!(error = %e, %generation, "the index snapshot does not open: rebuilding");
                    discard_current(root);
                    return SearchService::open(root);
                }
            };
            match &checkpoint {
                Some(c) if c.watermark > feed_end => {
                    tracing::warn!(
                        %generation,
                        snapshot = %name,
                        watermark = c.watermark,
                        database = feed_end,
                        "the snapshot is ahead of the database (restored?): rebuilding"
                    );
                    drop(service);
                    discard_current(root);
                    return SearchService::open(root);
                }
                Some(c) => {
                    *service
                        .opened_from
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(name.clone());
                    tracing::info!(
                        %generation,
                        snapshot = %name,
                        watermark = c.watermark,
                        ms = started.elapsed().as_millis() as u64,
                        "search index opened from a snapshot; following the feed from there"
                    )
                }
                None => tracing::warn!(
                    %generation,
                    "the snapshot was made by another version of the index: rebuilding"
                ),
            }
            return Ok((service, checkpoint));
        }
        Ok(None) => {
            tracing::info!(dir = %dir.display(), "no index snapshot published yet: rebuilding")
        }
        Err(e) => tracing::warn!(error = %e, "the index snapshot is unusable: rebuilding"),
    }
    SearchService::open(root)
}

/// Publishes a snapshot every `every` while the index is ready and has moved since the last
/// one, until `shutdown`. One process of a deployment does this (`SOUK_INDEX_SNAPSHOT_EVERY_SECS`).
pub async fn publish_periodically(
    service: std::sync::Arc<SearchService>,
    dir: PathBuf,
    every: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut published_at = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        let position = service.watermark();
        if !service.is_ready() || published_at == Some(position) {
            continue;
        }
        let (s, d) = (service.clone(), dir.clone());
        match tokio::task::spawn_blocking(move || publish(&s.index(), &d)).await {
            Ok(Ok(info)) => {
                published_at = Some(position);
                metrics::counter!("souk_index_snapshots_published_total").increment(1);
                tracing::info!(name = %info.name, docs = info.docs, bytes = info.bytes, "index snapshot published");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "index snapshot not published"),
            Err(e) => tracing::error!(error = %e, "index snapshot task panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_snapshot_name;

    #[test]
    fn only_names_publish_gives_are_snapshots() {
        assert!(is_snapshot_name("20261207T012345.678Z-w000000001234"));
        for other in [
            "2025-archive",
            "lost+found",
            "20261207T012345.678Z-w00000000123",
            "20261207T012345.678Z-x000000001234",
            ".partial-00ff",
        ] {
            assert!(!is_snapshot_name(other), "{other}");
        }
    }
}
