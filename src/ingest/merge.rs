//! Ingest's merge with the warehouse: the batch's winning records against the stored table, part
//! by part in key order. Identical records stay as stored, differing ones are replaced, new ones
//! go in their place. A part no new key falls into is kept as it is; one that changes is
//! rewritten on its own, so the table is never in memory whole. The stored parts are sorted by
//! key and follow each other in key order.

use std::cmp::Ordering;
use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, Rows};

use super::{FileRows, append_rows, part_size};
use crate::contract::TableSpec;
use crate::store::{StoreError, TableRewrite};

/// A winning record of the batch: its key (row format), file and row in the file.
pub(super) type Winner<'a> = (&'a [u8], usize, usize);

/// What the merge found of the rows read, per file and row: identical to the stored record
/// (`unchanged`), or replacing one (`replaced`); and how many records the table holds after.
pub(super) struct Merged {
    pub table_rows: usize,
    pub unchanged: Vec<Vec<bool>>,
    pub replaced: Vec<Vec<bool>>,
}

/// A stored record, a new one, or a stored record that comes again, in key order.
enum Item {
    Old(usize, usize),
    New(usize, usize),
    Both(usize, usize, usize, usize),
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

    /// Merges the winners (in key order) into the `stored` parts, written through `rewrite`;
    /// `base` names the snapshot in errors.
    pub(super) fn run(&self, stored: &[std::path::PathBuf], winners: &[Winner<'_>], base: &Path, rewrite: &mut TableRewrite) -> Result<Merged, StoreError> {
        let fresh = || self.files.iter().map(|f| vec![false; f.parts.num_rows()]).collect();
        let mut merged = Merged { table_rows: 0, unchanged: fresh(), replaced: fresh() };
        let mut w = 0usize;
        for (pi, part) in stored.iter().enumerate() {
            let last = pi + 1 == stored.len();
            // The part's keys only, to see whether any new key falls into its range.
            let kb = self.stored_keys(part)?;
            let part_rows: usize = kb.iter().map(|r| r.num_rows()).sum();
            let within = match kb.iter().rev().find(|r| r.num_rows() > 0) {
                Some(r) => {
                    let max = r.row(r.num_rows() - 1);
                    w + winners[w..].partition_point(|x| x.0 <= max.data())
                }
                None => w,
            };
            // The last part also takes the keys beyond every stored one — unless they are many (a
            // bulk load of new records): those become parts of their own after it, and the last
            // part is left as it is, not read and written again.
            let end = if last && winners.len() - within < append_rows() { winners.len() } else { within };
            let range = &winners[w..end];
            w = end;
            if range.is_empty() {
                rewrite.keep(part)?;
                merged.table_rows += part_rows;
                continue;
            }
            let items = walk(&kb, range);
            drop(kb);
            self.rewrite_part(part, part_rows, &items, &mut merged, rewrite)?;
        }
        if w < winners.len() {
            // A table's first records, or many beyond every stored key: new parts after the stored.
            let positions: Vec<(usize, usize)> = winners[w..].iter().map(|&(_, f, i)| self.new_pos(f, i)).collect();
            merged.table_rows += positions.len();
            rewrite.write(&self.schema, &gather(&self.refs, &positions, base)?)?;
        }
        Ok(merged)
    }

    /// The keys of a stored part, as rows.
    fn stored_keys(&self, part: &Path) -> Result<Vec<Rows>, StoreError> {
        let key_batches = crate::store::read_parquet_columns(part, &self.spec.key_indices())?;
        Ok(key_batches.iter().map(|b| self.kconv.convert_columns(b.columns()).expect("key columns are text")).collect())
    }

    /// A stored part some new key falls into: kept when every record in it comes again
    /// unchanged and none is new, else written anew with the new records in their place.
    fn rewrite_part(&self, part: &Path, part_rows: usize, items: &[Item], merged: &mut Merged, rewrite: &mut TableRewrite) -> Result<(), StoreError> {
        // The whole part, now that it may change.
        let old_batches = crate::store::read_parquet(part)?;
        let mut refs: Vec<&RecordBatch> = self.refs.clone();
        let old_base = refs.len();
        refs.extend(old_batches.iter());
        let same = self.compare_stored(part, &refs, old_base, items, merged)?;
        let any_new = items.iter().any(|it| matches!(it, Item::New(..)));
        if !any_new && same.iter().all(|s| *s) {
            rewrite.keep(part)?;
            merged.table_rows += part_rows;
            return Ok(());
        }
        let mut k = 0;
        let positions: Vec<(usize, usize)> = items
            .iter()
            .map(|it| match *it {
                Item::Old(ob, oi) => (old_base + ob, oi),
                Item::New(f, i) => self.new_pos(f, i),
                Item::Both(ob, oi, f, i) => {
                    let keep_old = same[k];
                    k += 1;
                    if keep_old { (old_base + ob, oi) } else { self.new_pos(f, i) }
                }
            })
            .collect();
        merged.table_rows += positions.len();
        rewrite.write(&self.schema, &gather(&refs, &positions, part)?)
    }

    /// Stored records that come again, compared column by column with the new ones: whether each
    /// is the same (in the order of the `Both` items), marked unchanged or replaced in `merged`.
    fn compare_stored(&self, part: &Path, refs: &[&RecordBatch], old_base: usize, items: &[Item], merged: &mut Merged) -> Result<Vec<bool>, StoreError> {
        let both: Vec<(usize, usize, usize, usize)> = items.iter().filter_map(|it| if let Item::Both(ob, oi, f, i) = it { Some((*ob, *oi, *f, *i)) } else { None }).collect();
        let mut same = vec![false; both.len()];
        if both.is_empty() {
            return Ok(same);
        }
        let olds: Vec<(usize, usize)> = both.iter().map(|&(ob, oi, _, _)| (old_base + ob, oi)).collect();
        let news: Vec<(usize, usize)> = both.iter().map(|&(_, _, f, i)| self.new_pos(f, i)).collect();
        let interleave = |at: &[(usize, usize)]| datafusion::arrow::compute::interleave_record_batch(refs, at).map_err(|e| StoreError::Arrow { path: part.to_path_buf(), source: e });
        let ob = interleave(&olds)?;
        let nb = interleave(&news)?;
        let columns = self.spec.columns.len();
        let or = self.conv.convert_columns(&ob.columns()[..columns]).expect("columns match the converter");
        let nr = self.conv.convert_columns(&nb.columns()[..columns]).expect("columns match the converter");
        for k in 0..both.len() {
            same[k] = or.row(k) == nr.row(k);
            let (_, _, f, i) = both[k];
            if same[k] {
                merged.unchanged[f][i] = true;
            } else {
                merged.replaced[f][i] = true;
            }
        }
        Ok(same)
    }
}

/// Walks the stored keys and the new ones together, both in key order.
fn walk(kb: &[Rows], range: &[Winner<'_>]) -> Vec<Item> {
    let old_keys: Vec<(usize, usize)> = kb.iter().enumerate().flat_map(|(b, r)| (0..r.num_rows()).map(move |i| (b, i))).collect();
    let mut items = Vec::with_capacity(old_keys.len() + range.len());
    let (mut a, mut b) = (0, 0);
    while a < old_keys.len() || b < range.len() {
        let ord = match (old_keys.get(a), range.get(b)) {
            (Some(&(ob, oi)), Some(nw)) => kb[ob].row(oi).data().cmp(nw.0),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match ord {
            Ordering::Less => {
                items.push(Item::Old(old_keys[a].0, old_keys[a].1));
                a += 1;
            }
            Ordering::Greater => {
                items.push(Item::New(range[b].1, range[b].2));
                b += 1;
            }
            Ordering::Equal => {
                items.push(Item::Both(old_keys[a].0, old_keys[a].1, range[b].1, range[b].2));
                a += 1;
                b += 1;
            }
        }
    }
    items
}

/// The rows at `positions` gathered into parts of `part_size` rows (`path` names them in errors).
fn gather(refs: &[&RecordBatch], positions: &[(usize, usize)], path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    positions
        .chunks(part_size(positions.len()))
        .map(|c| datafusion::arrow::compute::interleave_record_batch(refs, c))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Arrow { path: path.to_path_buf(), source: e })
}
