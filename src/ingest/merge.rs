//! Ingest's merge with the warehouse: the batch's winning records against the stored table, part
//! by part, never the whole table in memory.
//!
//! Each stored part is sorted by key and holds each of its keys once; the parts of one write
//! follow each other in key order, but parts of different writes may overlap in key range
//! (runs). A key is stored in one part only. A new batch's winners are looked up, by key columns
//! alone, in every part whose key range covers them: a part where none is found is kept as it is
//! (a hard link); one where some are found is read whole and compared record by record: kept when
//! all come again unchanged, else rewritten on its own with the differing records in place of
//! the stored ones (same keys, same order). Keys stored nowhere are written as new parts of their
//! own. So a later file whose keys interleave with the stored ones costs a read of the stored
//! keys and the writing of its own rows, not a rewrite of the table (a range-partitioned layout
//! inserting new keys into the parts they fall into rewrote every part such a file touched; a
//! layout by month or key prefix would still rewrite every month or prefix a file spans).
//!
//! Compaction keeps the parts bounded: when the table would hold more than twice the parts its
//! rows need at `part_rows()` each, plus `COMPACT_SLACK`, the smallest parts this ingest leaves
//! untouched are merged into one, as many as fit in `part_rows()` rows (so the compaction holds
//! at most one part's rows in memory); daily exports thus leave no trail of small parts.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, Rows};

use super::{FileRows, part_rows, part_size};
use crate::contract::TableSpec;
use crate::store::{StoreError, TableRewrite};

/// A winning record of the batch: its key (row format), file and row in the file.
pub(super) type Winner<'a> = (&'a [u8], usize, usize);

/// A row among the batches rows come from: (batch, row in it).
type At = (usize, usize);

/// Parts a table may hold beyond twice what its rows need before the ingest compacts it.
const COMPACT_SLACK: usize = 8;

/// What an ingest did to the table's parts: kept as they were, rewritten (a stored record
/// replaced), written new (keys stored nowhere before), merged by the compaction (and the parts
/// they became), and the parts the table holds after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PartsReport {
    pub kept: u64,
    pub rewritten: u64,
    pub new: u64,
    pub compacted: u64,
    pub compacted_into: u64,
    pub after: u64,
}

/// What the merge found of the rows read, per file and row: identical to the stored record
/// (`unchanged`), or replacing one (`replaced`); how many records the table holds after; what
/// became of the parts, for the ingest and per file (stored parts where the file replaced a
/// record, new parts holding its records).
pub(super) struct Merged {
    pub table_rows: usize,
    pub unchanged: Vec<Vec<bool>>,
    pub replaced: Vec<Vec<bool>>,
    pub parts: PartsReport,
    pub file_parts_rewritten: Vec<u64>,
    pub file_parts_new: Vec<u64>,
}

/// A stored part as the keys found it: its rows, and the winners whose key it holds (row in the
/// part, index among the winners), in key order.
struct Probed {
    path: PathBuf,
    rows: usize,
    found: Vec<(usize, usize)>,
}

/// The batch's rows, addressable together with a stored part's rows.
pub(super) struct Merge<'a> {
    spec: &'static TableSpec,
    schema: SchemaRef,
    conv: &'a RowConverter,
    kconv: &'a RowConverter,
    /// Every batch rows may come from: the files' parts (a stored part's follow when it is read).
    refs: Vec<&'a RecordBatch>,
    /// The index in `refs` of each file's first part.
    file_base: Vec<usize>,
    files: &'a [FileRows],
}

impl<'a> Merge<'a> {
    pub(super) fn new(spec: &'static TableSpec, files: &'a [FileRows], conv: &'a RowConverter, kconv: &'a RowConverter) -> Merge<'a> {
        let refs: Vec<&RecordBatch> = files.iter().flat_map(|f| f.parts.batches.iter()).collect();
        let mut file_base = Vec::with_capacity(files.len());
        let mut n = 0;
        for f in files {
            file_base.push(n);
            n += f.parts.batches.len();
        }
        Merge { spec, schema: spec.schema(), conv, kconv, refs, file_base, files }
    }

    /// Where row `i` of file `f` is among `refs`.
    fn new_pos(&self, f: usize, i: usize) -> (usize, usize) {
        let (p, r) = self.files[f].parts.locate(i);
        (self.file_base[f] + p, r)
    }

    /// Merges the winners (in key order) with the `stored` parts, written through `rewrite`;
    /// `base` names the snapshot in errors.
    pub(super) fn run(&self, stored: &[PathBuf], winners: &[Winner<'_>], base: &Path, rewrite: &mut TableRewrite) -> Result<Merged, StoreError> {
        let fresh = || self.files.iter().map(|f| vec![false; f.parts.num_rows()]).collect();
        let zeros = vec![0; self.files.len()];
        let mut merged = Merged { table_rows: 0, unchanged: fresh(), replaced: fresh(), parts: PartsReport::default(), file_parts_rewritten: zeros.clone(), file_parts_new: zeros };
        let mut stored_anywhere = vec![false; winners.len()];
        let mut probed = Vec::with_capacity(stored.len());
        for part in stored {
            let kb = self.stored_keys(part)?;
            let found = find_keys(&kb, winners);
            found.iter().for_each(|&(_, w)| stored_anywhere[w] = true);
            probed.push(Probed { path: part.clone(), rows: kb.iter().map(|r| r.num_rows()).sum(), found });
        }
        let new: Vec<(usize, usize)> = winners.iter().zip(&stored_anywhere).filter(|(_, s)| !**s).map(|(&(_, f, i), _)| (f, i)).collect();
        let compact = compaction(&probed, new.len());
        for (n, p) in probed.iter().enumerate() {
            // An empty part (a table that had no rows yet keeps one for its schema) is dropped
            // when anything is written; when nothing is, the table stays as it was.
            if compact.contains(&n) || p.rows == 0 {
                continue;
            }
            merged.table_rows += p.rows;
            if p.found.is_empty() {
                rewrite.keep(&p.path)?;
                merged.parts.kept += 1;
            } else {
                self.settle_part(p, winners, &mut merged, rewrite)?;
            }
        }
        if !compact.is_empty() {
            self.compact(&probed, &compact, &mut merged, rewrite)?;
        }
        if !new.is_empty() {
            self.write_new(&new, base, &mut merged, rewrite)?;
        }
        merged.parts.after = merged.parts.kept + merged.parts.rewritten + merged.parts.new + merged.parts.compacted_into;
        Ok(merged)
    }

    /// The keys of a stored part, as rows.
    fn stored_keys(&self, part: &Path) -> Result<Vec<Rows>, StoreError> {
        let key_batches = crate::store::read_parquet_columns(part, &self.spec.key_indices())?;
        key_batches.iter().map(|b| self.key_rows(b, part)).collect()
    }

    /// The keys of a batch read from the stored `part`, as rows in the key's order.
    fn key_rows(&self, b: &RecordBatch, part: &Path) -> Result<Rows, StoreError> {
        let missing = || StoreError::Corrupt { path: part.to_path_buf(), message: format!("the part lacks a key column ({})", self.spec.key.join(", ")) };
        let cols = super::key_columns(b, self.spec).ok_or_else(missing)?;
        self.kconv.convert_columns(&cols).map_err(|e| StoreError::Arrow { path: part.to_path_buf(), source: e })
    }

    /// A stored part holding some winners' keys: kept when every one of them comes again
    /// unchanged, else written anew with the differing records in place of the stored ones.
    fn settle_part(&self, p: &Probed, winners: &[Winner<'_>], merged: &mut Merged, rewrite: &mut TableRewrite) -> Result<(), StoreError> {
        // The whole part, now that it may change.
        let old_batches = crate::store::read_parquet(&p.path)?;
        let old = super::Parts::new(old_batches);
        let mut refs: Vec<&RecordBatch> = self.refs.clone();
        let old_base = refs.len();
        refs.extend(old.batches.iter());
        let old_pos = |r: usize| {
            let (b, i) = old.locate(r);
            (old_base + b, i)
        };
        let pairs: Vec<(At, At)> = p.found.iter().map(|&(r, w)| (old_pos(r), self.new_pos(winners[w].1, winners[w].2))).collect();
        let same = self.same_records(&p.path, &refs, &pairs)?;
        let mut files_replacing = vec![false; self.files.len()];
        for (&(_, w), &s) in p.found.iter().zip(&same) {
            let (f, i) = (winners[w].1, winners[w].2);
            if s {
                merged.unchanged[f][i] = true;
            } else {
                merged.replaced[f][i] = true;
                files_replacing[f] = true;
            }
        }
        if same.iter().all(|s| *s) {
            merged.parts.kept += 1;
            return rewrite.keep(&p.path);
        }
        let mut positions: Vec<(usize, usize)> = (0..p.rows).map(old_pos).collect();
        for (&(r, _), (&(_, new_at), s)) in p.found.iter().zip(pairs.iter().zip(&same)) {
            if !s {
                positions[r] = new_at;
            }
        }
        merged.parts.rewritten += 1;
        for (f, r) in files_replacing.iter().enumerate() {
            merged.file_parts_rewritten[f] += u64::from(*r);
        }
        let batch = datafusion::arrow::compute::interleave_record_batch(&refs, &positions).map_err(|e| StoreError::Arrow { path: p.path.clone(), source: e })?;
        rewrite.write(&self.schema, std::slice::from_ref(&batch))
    }

    /// Stored records and the new ones with the same key (`pairs` of positions in `refs`),
    /// compared column by column: whether each pair is the same record.
    fn same_records(&self, part: &Path, refs: &[&RecordBatch], pairs: &[(At, At)]) -> Result<Vec<bool>, StoreError> {
        let arrow = |e| StoreError::Arrow { path: part.to_path_buf(), source: e };
        let olds: Vec<(usize, usize)> = pairs.iter().map(|p| p.0).collect();
        let news: Vec<(usize, usize)> = pairs.iter().map(|p| p.1).collect();
        let ob = datafusion::arrow::compute::interleave_record_batch(refs, &olds).map_err(arrow)?;
        let nb = datafusion::arrow::compute::interleave_record_batch(refs, &news).map_err(arrow)?;
        let columns = self.spec.columns.len();
        let or = self.conv.convert_columns(&ob.columns()[..columns]).map_err(arrow)?;
        let nr = self.conv.convert_columns(&nb.columns()[..columns]).map_err(arrow)?;
        Ok((0..pairs.len()).map(|k| or.row(k) == nr.row(k)).collect())
    }

    /// The untouched parts `which` (of `probed`) merged into parts of their keys in order.
    fn compact(&self, probed: &[Probed], which: &[usize], merged: &mut Merged, rewrite: &mut TableRewrite) -> Result<(), StoreError> {
        let mut batches = Vec::new();
        for &n in which {
            batches.extend(crate::store::read_parquet(&probed[n].path)?);
        }
        let path = &probed[which[0]].path;
        let keys: Vec<Rows> = batches.iter().map(|b| self.key_rows(b, path)).collect::<Result<_, _>>()?;
        let mut order: Vec<(usize, usize)> = keys.iter().enumerate().flat_map(|(b, k)| (0..k.num_rows()).map(move |i| (b, i))).collect();
        order.sort_unstable_by(|a, b| keys[a.0].row(a.1).cmp(&keys[b.0].row(b.1)));
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        let out = gather(&refs, &order, path)?;
        merged.table_rows += order.len();
        merged.parts.compacted += which.len() as u64;
        merged.parts.compacted_into += out.len() as u64;
        rewrite.write(&self.schema, &out)
    }

    /// The winners whose key is stored nowhere ((file, row), in key order) as new parts.
    fn write_new(&self, new: &[(usize, usize)], base: &Path, merged: &mut Merged, rewrite: &mut TableRewrite) -> Result<(), StoreError> {
        let positions: Vec<(usize, usize)> = new.iter().map(|&(f, i)| self.new_pos(f, i)).collect();
        for chunk in new.chunks(part_size(new.len())) {
            let mut has = vec![false; self.files.len()];
            chunk.iter().for_each(|&(f, _)| has[f] = true);
            for (f, h) in has.iter().enumerate() {
                merged.file_parts_new[f] += u64::from(*h);
            }
        }
        let out = gather(&self.refs, &positions, base)?;
        merged.table_rows += positions.len();
        merged.parts.new += out.len() as u64;
        rewrite.write(&self.schema, &out)
    }
}

/// The winners (in key order) whose key a stored part holds (`kb`, its keys in order): (row in
/// the part, index among the winners). Only the winners within the part's key range are walked.
fn find_keys(kb: &[Rows], winners: &[Winner<'_>]) -> Vec<(usize, usize)> {
    let keys: Vec<&[u8]> = kb.iter().flat_map(|r| (0..r.num_rows()).map(move |i| r.row(i).data())).collect();
    let (Some(&min), Some(&max)) = (keys.first(), keys.last()) else { return Vec::new() };
    let lo = winners.partition_point(|w| w.0 < min);
    let hi = winners.partition_point(|w| w.0 <= max);
    let mut found = Vec::new();
    let (mut a, mut b) = (0, lo);
    while a < keys.len() && b < hi {
        match keys[a].cmp(winners[b].0) {
            std::cmp::Ordering::Less => a += 1,
            std::cmp::Ordering::Greater => b += 1,
            std::cmp::Ordering::Equal => {
                found.push((a, b));
                a += 1;
                b += 1;
            }
        }
    }
    found
}

/// The parts to compact (indices into `probed`): none while the table, with `new_rows` more
/// records in parts of their own, holds at most twice the parts its rows need plus
/// `COMPACT_SLACK`; else the smallest untouched parts, as many as fit in `part_rows()` rows (two
/// at least).
fn compaction(probed: &[Probed], new_rows: usize) -> Vec<usize> {
    let per_part = part_rows();
    let rows: usize = probed.iter().map(|p| p.rows).sum::<usize>() + new_rows;
    let new_parts = if new_rows == 0 { 0 } else { new_rows.div_ceil(part_size(new_rows)) };
    let parts = probed.len() + new_parts;
    if parts <= 2 * rows.div_ceil(per_part) + COMPACT_SLACK {
        return Vec::new();
    }
    let mut untouched: Vec<usize> = (0..probed.len()).filter(|&n| probed[n].found.is_empty()).collect();
    untouched.sort_by_key(|&n| (probed[n].rows, n));
    let mut total = 0;
    let mut take = Vec::new();
    for n in untouched {
        if total + probed[n].rows > per_part {
            break;
        }
        total += probed[n].rows;
        take.push(n);
    }
    if take.len() < 2 {
        return Vec::new();
    }
    take.sort_unstable();
    take
}

/// The rows at `positions` gathered into parts of `part_size` rows (`path` names them in errors).
fn gather(refs: &[&RecordBatch], positions: &[(usize, usize)], path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    positions
        .chunks(part_size(positions.len()))
        .map(|c| datafusion::arrow::compute::interleave_record_batch(refs, c))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Arrow { path: path.to_path_buf(), source: e })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::arrow::row::SortField;
    use std::sync::Arc;

    fn rows(conv: &RowConverter, keys: &[&str]) -> Rows {
        let a: ArrayRef = Arc::new(StringArray::from(keys.to_vec()));
        conv.convert_columns(&[a]).unwrap()
    }

    fn probed(rows: usize, found: usize) -> Probed {
        Probed { path: PathBuf::from("p"), rows, found: vec![(0, 0); found] }
    }

    #[test]
    fn keys_are_found_only_where_a_part_holds_them_across_its_batches() {
        let conv = RowConverter::new(vec![SortField::new(datafusion::arrow::datatypes::DataType::Utf8)]).unwrap();
        // A part of two batches: b d f | h j.
        let kb = vec![rows(&conv, &["b", "d", "f"]), rows(&conv, &["h", "j"])];
        let new = rows(&conv, &["a", "c", "d", "e", "h", "i", "j", "k"]);
        let winners: Vec<Winner<'_>> = (0..new.num_rows()).map(|i| (new.row(i).data(), 0, i)).collect();
        // d (row 1), h (row 3), j (row 4) are stored; a, k lie outside the part's range.
        assert_eq!(find_keys(&kb, &winners), vec![(1, 2), (3, 4), (4, 6)]);
        assert!(find_keys(&[], &winners).is_empty());
        assert!(find_keys(&kb, &[]).is_empty());
    }

    #[test]
    fn compaction_merges_the_smallest_untouched_parts_only_past_the_bound() {
        let per = part_rows();
        // Few parts for the rows: nothing to do.
        let few: Vec<Probed> = (0..COMPACT_SLACK + 2).map(|_| probed(per / 100, 0)).collect();
        assert!(compaction(&few, 0).is_empty());
        // Many small parts, two of them touched by this ingest: the untouched smallest are merged,
        // up to a part's worth of rows.
        let mut many: Vec<Probed> = (0..COMPACT_SLACK + 4).map(|n| probed(per / 100 + n, 0)).collect();
        many[0].found.push((0, 0));
        many[1] = probed(per / 100 + 1, 1);
        let c = compaction(&many, 0);
        assert_eq!(c, (2..COMPACT_SLACK + 4).collect::<Vec<_>>(), "every untouched part fits in one");
        // Parts this ingest touches are left to it.
        let touched: Vec<Probed> = (0..COMPACT_SLACK + 4).map(|_| probed(10, 1)).collect();
        assert!(compaction(&touched, 0).is_empty());
        // The new rows' parts count towards the bound.
        let at: Vec<Probed> = (0..COMPACT_SLACK + 2).map(|_| probed(10, 0)).collect();
        assert!(compaction(&at, 0).is_empty());
        assert_eq!(compaction(&at, 10).len(), COMPACT_SLACK + 2);
    }
}
