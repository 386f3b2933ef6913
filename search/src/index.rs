//! The index on disk: open (or find it must be rebuilt), write, commit with a checkpoint of the
//! change feed, and search.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use souk_domain::catalog;
use tantivy::directory::MmapDirectory;
use tantivy::store::Compressor;
use tantivy::{
    Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

use crate::columns::ColumnCache;
use crate::doc::{to_document, ListingDoc};
use crate::schema::{build, register_tokenizer, Dictionary, Fields};
use crate::suggest::{Lang, Suggestion};
use crate::SearchError;

/// How far the index has followed the database's change feed, saved with every commit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    pub fingerprint: String,
    /// Every change with an id at or below this is in the index.
    pub watermark: i64,
    /// Ids above the watermark already applied (changes committed out of order).
    #[serde(default)]
    pub applied_above: Vec<i64>,
}

pub struct SearchIndex {
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    pub(crate) index_for_writers: Index,
    pub(crate) fields: Fields,
    pub(crate) dict: Dictionary,
    pub(crate) columns: ColumnCache,
    /// Moves at every reload: what was searched before may have changed.
    pub(crate) version: std::sync::atomic::AtomicU64,
    pub(crate) results: crate::cache::ResultCache,
    pub(crate) suggestions: crate::suggest::SuggestCache,
    /// The featured ads again, in a small index in memory (see `promoted`): the slots above a
    /// page search it with the page's own query, at the cost of a hundredth of the ads.
    pub(crate) shelf: Option<Box<SearchIndex>>,
    /// False until the caller has put the ads featured now on the shelf (it starts empty
    /// whenever an index is opened from disk).
    shelf_filled: std::sync::atomic::AtomicBool,
    /// Moves at every page that shows featured slots, so that they rotate.
    pub(crate) rotation: std::sync::atomic::AtomicU64,
    pub dir: PathBuf,
}

/// Memory for the writer that follows live changes; a full rebuild uses more.
const FOLLOW_HEAP_BYTES: usize = 32 * 1024 * 1024;

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. Returns the saved checkpoint, or
    /// `None` when the index is new or was built by an incompatible version: the caller must
    /// then rebuild it from the database.
    pub fn open(
        dir: &Path,
        writer_heap: usize,
    ) -> Result<(SearchIndex, Option<Checkpoint>), SearchError> {
        let dict = Dictionary::from_catalog(catalog());
        let (schema, fields) = build(&dict);
        std::fs::create_dir_all(dir)?;
        let mmap = MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.to_string()))?;
        let exists = Index::exists(&mmap).map_err(|e| SearchError::Index(e.to_string()))?;
        let mut index = if exists {
            Index::open(mmap)?
        } else {
            Index::create(mmap, schema.clone(), settings())?
        };
        let mut checkpoint: Option<Checkpoint> = index
            .load_metas()?
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        if index.schema() != schema
            || checkpoint
                .as_ref()
                .is_none_or(|c| c.fingerprint != dict.fingerprint())
        {
            // Another schema or numbering: start over in place.
            drop(index);
            for entry in std::fs::read_dir(dir)? {
                let p = entry?.path();
                if p.is_file() {
                    std::fs::remove_file(p)?;
                }
            }
            let mmap = MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.to_string()))?;
            index = Index::create(mmap, schema, settings())?;
            checkpoint = None;
        }
        register_tokenizer(&index);
        // A big heap means a bulk rebuild: give it both cores.
        let writer = new_writer(&index, writer_heap)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let me = SearchIndex {
            reader,
            writer: Mutex::new(writer),
            index_for_writers: index,
            fields,
            dict,
            columns: ColumnCache::default(),
            version: Default::default(),
            results: Default::default(),
            suggestions: Default::default(),
            shelf: Some(Box::new(SearchIndex::in_memory()?)),
            shelf_filled: Default::default(),
            rotation: Default::default(),
            dir: dir.to_path_buf(),
        };
        Ok((me, checkpoint))
    }

    /// A throw-away index in memory (the worker matches new ads against saved searches in one).
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let dict = Dictionary::from_catalog(catalog());
        let (schema, fields) = build(&dict);
        let index = Index::create_in_ram(schema);
        register_tokenizer(&index);
        let writer = index.writer_with_num_threads(1, FOLLOW_HEAP_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(writer),
            index_for_writers: index,
            fields,
            dict,
            columns: ColumnCache::default(),
            version: Default::default(),
            results: Default::default(),
            suggestions: Default::default(),
            shelf: None,
            shelf_filled: Default::default(),
            rotation: Default::default(),
            dir: PathBuf::new(),
        })
    }

    pub fn fingerprint(&self) -> String {
        self.dict.fingerprint()
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds or replaces listings (by id). Applying the same listing twice is harmless.
    pub fn upsert(&self, docs: &[ListingDoc]) -> Result<(), SearchError> {
        {
            let w = self.writer();
            for d in docs {
                w.delete_term(Term::from_field_u64(self.fields.id, d.id as u64));
                w.add_document(to_document(d, &self.fields, &self.dict))?;
            }
        }
        if let Some(shelf) = &self.shelf {
            let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
            shelf.remove(&ids);
            shelf.upsert(&featured(docs))?;
        }
        Ok(())
    }

    /// Adds documents known not to be in the index (a rebuild after `clear`): no delete per
    /// document, which a million-document rebuild would otherwise queue until its commit.
    pub fn add_new(&self, docs: &[ListingDoc]) -> Result<(), SearchError> {
        {
            let w = self.writer();
            for d in docs {
                w.add_document(to_document(d, &self.fields, &self.dict))?;
            }
        }
        if let Some(shelf) = &self.shelf {
            shelf.add_new(&featured(docs))?;
        }
        Ok(())
    }

    pub fn remove(&self, ids: &[i64]) {
        {
            let w = self.writer();
            for id in ids {
                w.delete_term(Term::from_field_u64(self.fields.id, *id as u64));
            }
        }
        if let Some(shelf) = &self.shelf {
            shelf.remove(ids);
        }
    }

    /// Removes everything (start of a rebuild in place).
    pub fn clear(&self) -> Result<(), SearchError> {
        {
            let mut w = self.writer();
            // Documents a failed rebuild left buffered in the writer survive
            // `delete_all_documents` (it drops segments only): roll them back first, or a
            // retried rebuild would add them twice.
            w.rollback()?;
            w.delete_all_documents()?;
        }
        if let Some(shelf) = &self.shelf {
            shelf.clear()?;
        }
        Ok(())
    }

    /// True while the ads featured now are still to be put on the shelf (`upsert` them, then
    /// `mark_shelf_filled`): an index opened from disk starts with an empty shelf.
    pub fn needs_shelf_fill(&self) -> bool {
        self.shelf.is_some() && !self.shelf_filled.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn mark_shelf_filled(&self) {
        self.shelf_filled
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Fills the shelf of an index opened from disk with `docs` (the ads featured now),
    /// leaving the index itself alone: it holds them already, and rewriting them there would
    /// set off a merge of its large segment.
    pub fn fill_shelf(&self, docs: &[ListingDoc]) -> Result<(), SearchError> {
        if let Some(shelf) = &self.shelf {
            shelf.upsert(&featured(docs))?;
            shelf.commit(&Checkpoint::default())?;
        }
        self.mark_shelf_filled();
        Ok(())
    }

    /// Makes the writes visible to searches and records how far the feed was followed.
    pub fn commit(&self, checkpoint: &Checkpoint) -> Result<(), SearchError> {
        {
            let mut w = self.writer();
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&serde_json::to_string(checkpoint).unwrap_or_default());
            prepared.commit()?;
        }
        if let Some(shelf) = &self.shelf {
            shelf.commit(&Checkpoint::default())?;
        }
        self.reload()?;
        Ok(())
    }

    /// Ends a bulk rebuild: lets the rebuild's writer finish its merges, merges what is left
    /// into one segment, and swaps in a writer of `heap` bytes for following the feed. One
    /// segment answers faster than several (one term lookup, one pass, no per-segment setup),
    /// and the merges must not compete with searches afterwards.
    pub fn finish_rebuild(&self, heap: usize) -> Result<(), SearchError> {
        let mut w = self.writer();
        // Only one writer may exist per index: a placeholder in RAM stands in while the old
        // one finishes its merges.
        let placeholder = Index::create_in_ram(self.index_for_writers.schema())
            .writer_with_num_threads(1, FOLLOW_HEAP_BYTES)?;
        let old = std::mem::replace(&mut *w, placeholder);
        old.wait_merging_threads()?;
        *w = new_writer(&self.index_for_writers, heap)?;
        let segments = self.index_for_writers.searchable_segment_ids()?;
        if segments.len() > 1 {
            // The merged segment replaces the committed ones with the commit's checkpoint kept.
            w.merge(&segments).wait()?;
        }
        drop(w);
        if let Some(shelf) = &self.shelf {
            // The rebuild committed the shelf once per batch: one segment answers faster.
            let segments = shelf.index_for_writers.searchable_segment_ids()?;
            if segments.len() > 1 {
                shelf.writer().merge(&segments).wait()?;
                shelf.reload()?;
            }
        }
        self.reload()?;
        Ok(())
    }

    /// Makes committed changes visible, and forgets the columns of segments merged away.
    fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let current: Vec<_> = self
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        self.columns.retain_only(&current);
        Ok(())
    }

    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Featured ads on the shelf (0 without one).
    pub fn num_featured(&self) -> u64 {
        self.shelf.as_ref().map_or(0, |s| s.num_docs())
    }
}

/// The documents of `docs` that belong on the shelf: featured now.
fn featured(docs: &[ListingDoc]) -> Vec<ListingDoc> {
    docs.iter()
        .filter(|d| d.featured_until_us.is_some())
        .cloned()
        .collect()
}

/// The doc store holds each hit's summary. Uncompressed small blocks: a page of results reads
/// 20 random summaries, and decompressing a 16 KB block for each cost more than the search.
fn settings() -> IndexSettings {
    IndexSettings {
        docstore_compression: Compressor::None,
        docstore_blocksize: 2048,
        ..Default::default()
    }
}

/// A big heap means a bulk rebuild: it gets both cores.
fn new_writer(index: &Index, heap: usize) -> Result<IndexWriter<TantivyDocument>, SearchError> {
    let threads = if heap >= 128 * 1024 * 1024 { 2 } else { 1 };
    Ok(index.writer_with_num_threads(threads, heap.max(FOLLOW_HEAP_BYTES))?)
}

impl SearchIndex {
    /// Up to `limit` completions of `typed` (see `Suggestions::complete`).
    pub fn suggest(&self, typed: &str, lang: Lang, limit: usize) -> Vec<Suggestion> {
        let searcher = self.reader.searcher();
        let version = self.version.load(std::sync::atomic::Ordering::Acquire);
        self.suggestions
            .get(version, &searcher, &self.fields, &self.dict)
            .complete(typed, lang, limit)
    }
}
