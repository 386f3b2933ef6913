//! Keeps this process's search index in step with the database: open or rebuild on start,
//! follow the change feed, swap in a generation rebuilt by `souk-api reindex`.

pub mod feed;
pub mod rebuild;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use souk_search::{Checkpoint, SearchError, SearchIndex};

pub use feed::FeedState;

/// The live index of this process, replaceable as a whole.
pub struct SearchService {
    root: PathBuf,
    current: RwLock<(String, Arc<SearchIndex>)>,
    ready: AtomicBool,
    pub(crate) feed: Mutex<FeedState>,
    /// When a pass of the follower last read the change feed to its end.
    caught_up_at: Mutex<Option<Instant>>,
    /// The snapshot this index was opened from at start, if it was.
    opened_from: Mutex<Option<String>>,
}

const CURRENT_FILE: &str = "CURRENT";
/// Heap of the writer that follows live changes.
pub const FOLLOW_HEAP: usize = 32 * 1024 * 1024;
/// Heap of the writer of a full rebuild (released once the rebuild is merged), in MB,
/// unless `SOUK_INDEX_BUILD_HEAP_MB` says otherwise.
pub const REBUILD_HEAP_MB: usize = 512;

/// The rebuild writer's heap in bytes (`SOUK_INDEX_BUILD_HEAP_MB`, 32–4096).
pub fn build_heap() -> usize {
    std::env::var("SOUK_INDEX_BUILD_HEAP_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(REBUILD_HEAP_MB, |mb| mb.clamp(32, 4096))
        * 1024
        * 1024
}

/// The generation named in `root/CURRENT`, if any.
pub fn current_generation(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join(CURRENT_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Points `root/CURRENT` at `generation`, atomically (write then rename).
pub fn set_current_generation(root: &Path, generation: &str) -> std::io::Result<()> {
    let tmp = root.join("CURRENT.tmp");
    std::fs::write(&tmp, generation)?;
    std::fs::rename(tmp, root.join(CURRENT_FILE))
}

pub fn new_generation_name() -> String {
    format!("gen-{}", chrono::Utc::now().format("%Y%m%d%H%M%S%6f"))
}

impl SearchService {
    /// Opens the current generation (creating a first one). The checkpoint is `None` when the
    /// index must be rebuilt from the database before it can serve.
    pub fn open(root: &Path) -> Result<(SearchService, Option<Checkpoint>), SearchError> {
        std::fs::create_dir_all(root)?;
        let generation = match current_generation(root) {
            Some(g) => g,
            None => {
                let g = new_generation_name();
                set_current_generation(root, &g)?;
                g
            }
        };
        let dir = root.join(&generation);
        let (index, checkpoint) = SearchIndex::open(&dir, FOLLOW_HEAP)?;
        // An index to rebuild gets the big writer; it shrinks back once the rebuild is merged.
        let index = if checkpoint.is_none() {
            drop(index);
            SearchIndex::open(&dir, build_heap())?.0
        } else {
            index
        };
        let service = SearchService {
            root: root.to_path_buf(),
            current: RwLock::new((generation, Arc::new(index))),
            ready: AtomicBool::new(checkpoint.is_some()),
            feed: Mutex::new(FeedState::new(checkpoint.clone().unwrap_or_default())),
            caught_up_at: Mutex::new(None),
            opened_from: Mutex::new(None),
        };
        Ok((service, checkpoint))
    }

    pub fn index(&self) -> Arc<SearchIndex> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    /// True once the index holds the database (after the first rebuild, if one was needed).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub(crate) fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub(crate) fn mark_caught_up(&self) {
        *self.caught_up_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// How long ago the follower last reached the end of the change feed; `None` while the
    /// index is being built or before the first pass.
    pub fn lag(&self) -> Option<Duration> {
        if !self.is_ready() {
            return None;
        }
        self.caught_up_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map(|t| t.elapsed())
    }

    /// The snapshot (`snapshot::open_or_restore`) this index was opened from at start, if any.
    pub fn opened_from_snapshot(&self) -> Option<String> {
        self.opened_from
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The change-feed position the index has applied everything up to.
    pub fn watermark(&self) -> i64 {
        self.feed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .watermark
    }

    /// True once the change with this id is in the index (or was skipped as a rollback).
    pub fn has_applied(&self, change_id: i64) -> bool {
        let feed = self.feed.lock().unwrap_or_else(|p| p.into_inner());
        self.is_ready() && (feed.watermark >= change_id || feed.applied_above.contains(&change_id))
    }

    /// Switches to the generation `CURRENT` names when another process (`souk-api reindex`)
    /// has built a new one; deletes the old generation's files.
    pub fn adopt_new_generation(&self) -> Result<bool, SearchError> {
        let Some(generation) = current_generation(&self.root) else {
            return Ok(false);
        };
        if self.current.read().unwrap_or_else(|p| p.into_inner()).0 == generation {
            return Ok(false);
        }
        let (index, checkpoint) = SearchIndex::open(&self.root.join(&generation), FOLLOW_HEAP)?;
        let Some(checkpoint) = checkpoint else {
            return Err(SearchError::Index(format!(
                "generation {generation} has no checkpoint"
            )));
        };
        let old = {
            let mut cur = self.current.write().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *cur, (generation.clone(), Arc::new(index)))
        };
        *self.feed.lock().unwrap_or_else(|p| p.into_inner()) = FeedState::new(checkpoint);
        self.set_ready();
        tracing::info!(%generation, "switched to a rebuilt search index");
        crate::telemetry::release_freed_memory();
        let old_dir = self.root.join(&old.0);
        drop(old);
        if let Err(e) = std::fs::remove_dir_all(&old_dir) {
            tracing::warn!(dir = %old_dir.display(), error = %e, "could not remove old index generation");
        }
        Ok(true)
    }
}

pub use souk_worker::projection::{docs_of, listing_doc};

/// Puts the ads featured now on the shelf of an index just opened from disk (it starts
/// empty); returns how many.
pub fn fill_shelf(
    index: &SearchIndex,
    conn: &mut souk_store::DbConn,
) -> Result<usize, feed::FeedError> {
    let ids = souk_store::promotions::featured_ids(conn, souk_store::now())?;
    let mut docs = Vec::with_capacity(ids.len());
    // In batches: one query's bind parameters are bounded (SQLite).
    for chunk in ids.chunks(5_000) {
        let rows = souk_store::feed::listings_by_ids(conn, chunk)?;
        docs.extend(docs_of(conn, &rows)?);
    }
    index.fill_shelf(&docs)?;
    Ok(docs.len())
}
