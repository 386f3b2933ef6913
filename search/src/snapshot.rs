//! Copies of an index's committed state, for snapshots that a new replica opens instead of
//! rebuilding from the database. A copy is the files of the segments that `meta.json` names,
//! then a `meta.json` (with the checkpoint it was committed with) and the list of files tantivy
//! manages (so later merges on the copy delete what they replace).
//!
//! Segment files never change once written; a background merge may delete some while they are
//! copied (a file already open copies whole). A segment missing a file is copied again from a
//! fresh `meta.json`, a few times.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentComponent;
use tantivy::Index;

use crate::index::{Checkpoint, SearchIndex};
use crate::SearchError;

const META: &str = "meta.json";
const MANAGED: &str = ".managed.json";
const ATTEMPTS: usize = 5;

/// What a copy holds.
#[derive(Debug, Clone)]
pub struct Copied {
    pub checkpoint: Checkpoint,
    pub files: usize,
    pub bytes: u64,
    pub docs: u64,
}

impl SearchIndex {
    /// Copies the committed state of this index into `dest`, an empty or missing folder.
    pub fn copy_committed(&self, dest: &Path) -> Result<Copied, SearchError> {
        let mut last_error = None;
        for _ in 0..ATTEMPTS {
            if dest.exists() {
                fs::remove_dir_all(dest)?;
            }
            fs::create_dir_all(dest)?;
            match copy_once(&self.index_for_writers, &self.dir, dest) {
                Ok(copied) => return Ok(copied),
                Err(SearchError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    // A merge replaced a segment under the copy: start again.
                    last_error = Some(e);
                }
                Err(other) => return Err(other),
            }
        }
        Err(SearchError::Index(format!(
            "the index kept changing under the copy: {}",
            last_error.map(|e| e.to_string()).unwrap_or_default()
        )))
    }
}

fn copy_once(index: &Index, from: &Path, dest: &Path) -> Result<Copied, SearchError> {
    let metas = index.load_metas()?;
    let checkpoint: Checkpoint = metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| SearchError::Index("the index has no checkpoint yet".into()))?;
    let segments: HashSet<String> = metas
        .segments
        .iter()
        .map(|s| s.id().uuid_string())
        .collect();
    let mut managed: Vec<PathBuf> = vec![PathBuf::from(META)];
    let (mut files, mut bytes) = (0usize, 0u64);
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        let belongs = name
            .split_once('.')
            .is_some_and(|(id, _)| segments.contains(id));
        if !belongs {
            continue;
        }
        bytes += fs::copy(entry.path(), dest.join(&name))?;
        files += 1;
        managed.push(PathBuf::from(name));
    }
    // Every segment must have come whole: its postings at least (the other components go with
    // them), or a merge removed it mid-copy.
    for id in &segments {
        if !dest.join(format!("{id}.idx")).exists() {
            return Err(SearchError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("segment {id} vanished during the copy"),
            )));
        }
    }
    // A commit may replace a segment's delete file between reading meta.json and the copy: the
    // one this meta.json names must be there.
    for segment in &metas.segments {
        if segment.has_deletes() {
            let deletes = segment.relative_path(SegmentComponent::Delete);
            if !dest.join(&deletes).exists() {
                return Err(SearchError::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("{} was replaced during the copy", deletes.display()),
                )));
            }
        }
    }
    let docs = metas.segments.iter().map(|s| s.num_docs() as u64).sum();
    let mut meta =
        serde_json::to_vec_pretty(&metas).map_err(|e| SearchError::Index(e.to_string()))?;
    meta.push(b'\n');
    fs::write(dest.join(META), meta)?;
    let managed = serde_json::to_vec(&managed).map_err(|e| SearchError::Index(e.to_string()))?;
    fs::write(dest.join(MANAGED), managed)?;
    sync_dir_files(dest)?;
    Ok(Copied {
        checkpoint,
        files,
        bytes,
        docs,
    })
}

fn sync_dir_files(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        fs::File::open(entry?.path())?.sync_all()?;
    }
    fs::File::open(dir)?.sync_all()
}

/// Checks the files of an index copied in `dir` against their checksums; `Err` names the
/// damaged ones. Reads every file once.
pub fn verify_copy(dir: &Path) -> Result<(), SearchError> {
    let mmap = MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.to_string()))?;
    let index = Index::open(mmap)?;
    let damaged = index.validate_checksum()?;
    if damaged.is_empty() {
        Ok(())
    } else {
        let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        names.sort();
        Err(SearchError::Index(format!(
            "damaged files: {}",
            names.join(", ")
        )))
    }
}
