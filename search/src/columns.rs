//! The fast columns of each segment, opened once and shared by every search: opening a column
//! decodes its header (the block tables of the time columns among them), which would otherwise
//! be a fixed cost of every query on every segment.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::schema::Field;
use tantivy::SegmentReader;

use crate::schema::Fields;

pub struct SegmentColumns {
    pub id: Column<u64>,
    pub expires: Column<i64>,
    pub created: Column<i64>,
    pub lat: Column<f64>,
    pub lon: Column<f64>,
    pub leaf: Column<u64>,
    pub wilaya: Column<u64>,
    pub seller: Column<u64>,
    pub traits: Column<u64>,
    /// Enum attribute key → value ordinals.
    pub enums: BTreeMap<String, Column<u64>>,
    /// The price, every integer attribute and the promotions' ends, by field.
    pub ints: HashMap<Field, Column<i64>>,
}

impl SegmentColumns {
    fn open(reader: &SegmentReader, fields: &Fields) -> tantivy::Result<SegmentColumns> {
        let ff = reader.fast_fields();
        let name = |f: Field| reader.schema().get_field_name(f).to_string();
        let mut ints = HashMap::new();
        for f in fields.ints.values().chain([
            &fields.price,
            &fields.featured_until,
            &fields.urgent_until,
        ]) {
            ints.insert(*f, ff.i64(&name(*f))?);
        }
        let mut enums = BTreeMap::new();
        for (key, f) in &fields.enums {
            enums.insert(key.clone(), ff.u64(&name(*f))?);
        }
        Ok(SegmentColumns {
            id: ff.u64(&name(fields.id))?,
            expires: ff.i64(&name(fields.expires))?,
            created: ff.i64(&name(fields.created))?,
            lat: ff.f64(&name(fields.lat))?,
            lon: ff.f64(&name(fields.lon))?,
            leaf: ff.u64(&name(fields.leaf))?,
            wilaya: ff.u64(&name(fields.wilaya))?,
            seller: ff.u64(&name(fields.seller))?,
            traits: ff.u64(&name(fields.traits))?,
            enums,
            ints,
        })
    }
}

/// Columns by segment. Segments come and go with commits and merges: the index drops those
/// no longer searched after each reload, and the cache forgets everything if it ever holds
/// `LIMIT` (reopening is a one-off cost per segment).
#[derive(Default)]
pub struct ColumnCache {
    by_segment: Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>,
}

const LIMIT: usize = 64;

impl ColumnCache {
    pub fn get(
        &self,
        reader: &SegmentReader,
        fields: &Fields,
    ) -> tantivy::Result<Arc<SegmentColumns>> {
        let id = reader.segment_id();
        if let Some(c) = self.lock().get(&id) {
            return Ok(c.clone());
        }
        let opened = Arc::new(SegmentColumns::open(reader, fields)?);
        let mut map = self.lock();
        if map.len() >= LIMIT {
            map.clear();
        }
        map.insert(id, opened.clone());
        Ok(opened)
    }

    /// Keeps only the columns of `segments` (a merged-away segment's files can then go).
    pub fn retain_only(&self, segments: &[SegmentId]) {
        self.lock().retain(|id, _| segments.contains(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentColumns>>> {
        self.by_segment.lock().unwrap_or_else(|p| p.into_inner())
    }
}
