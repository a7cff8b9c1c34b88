//! Merges a batch of rows into a partition file by primary key, streaming.
//!
//! A partition file is gzipped NDJSON sorted by key, one line per key. The
//! batch (already sorted and de-duplicated) is merged into it in one pass:
//! memory holds the batch, never the whole file. A first pass only checks
//! whether anything would change, so a rerun that brings nothing new writes
//! nothing at all.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead as _, BufReader, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use tempfile::TempPath;

use crate::error::SinkError;

/// What a merge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Keys new to the file.
    pub added: u64,
    /// Keys whose line changed.
    pub updated: u64,
    /// Lines in the merged file.
    pub lines: u64,
}

impl MergeOutcome {
    pub fn changed(&self) -> bool {
        self.added + self.updated > 0
    }
}

/// Merges `batch` (key → line) into the file at `existing`. Returns the
/// staged merged file, or `None` when the file already holds every line of
/// the batch unchanged.
pub fn merge(
    existing: Option<&Path>,
    batch: &BTreeMap<String, Vec<u8>>,
    pk_field: &str,
    staging: &Path,
) -> Result<(Option<TempPath>, MergeOutcome), SinkError> {
    let Some(path) = existing else {
        return write_staged(staging, |w| walk(std::iter::empty(), batch, Some(w)));
    };
    let streamed = (|| {
        let check = walk(read_lines(path, pk_field)?, batch, None)?;
        if !check.changed() {
            return Ok((None, check));
        }
        write_staged(staging, |w| {
            walk(read_lines(path, pk_field)?, batch, Some(w))
        })
    })();
    match streamed {
        // Not sorted as we write files: not ours (or from an older layout).
        // Loading it costs memory but still merges correctly.
        Err(SinkError::Corrupt(_)) => {
            let mut m = BTreeMap::new();
            for item in read_lines(path, pk_field)? {
                let (k, l) = item?;
                m.insert(k, l);
            }
            let lines = || m.iter().map(|(k, l)| Ok((k.clone(), l.clone())));
            let check = walk(lines(), batch, None)?;
            if !check.changed() {
                return Ok((None, check));
            }
            write_staged(staging, |w| walk(lines(), batch, Some(w)))
        }
        other => other,
    }
}

/// Writes a gzip file in `staging` through `fill` and syncs it.
fn write_staged(
    staging: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<MergeOutcome, SinkError>,
) -> Result<(Option<TempPath>, MergeOutcome), SinkError> {
    let file = tempfile::Builder::new()
        .prefix(".part-")
        .suffix(".json.gz.tmp")
        .tempfile_in(staging)?;
    let (file, path) = file.into_parts();
    // gzip's header carries no time or name here (mtime 0): the same rows
    // always make the same bytes.
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(256 * 1024, file),
        Compression::default(),
    );
    let outcome = fill(&mut gz)?;
    let buf = gz.finish()?;
    let file = buf.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok((Some(path), outcome))
}

type Line = Result<(String, Vec<u8>), SinkError>;

/// The merge itself. With `out` it writes the merged file; without, it stops
/// at the first difference (the "would anything change" pass).
fn walk(
    existing: impl Iterator<Item = Line>,
    batch: &BTreeMap<String, Vec<u8>>,
    mut out: Option<&mut dyn Write>,
) -> Result<MergeOutcome, SinkError> {
    let mut o = MergeOutcome::default();
    let mut pending = batch.iter().peekable();
    let mut prev: Option<String> = None;
    let checking = out.is_none();
    let mut emit = |line: &[u8], o: &mut MergeOutcome| -> Result<(), SinkError> {
        o.lines += 1;
        if let Some(w) = out.as_mut() {
            w.write_all(line)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    };
    for item in existing {
        let (key, line) = item?;
        if prev.as_deref().is_some_and(|p| p >= key.as_str()) {
            return Err(SinkError::Corrupt(format!("key `{key}` out of order")));
        }
        while let Some((bk, bl)) = pending.next_if(|(bk, _)| bk.as_str() < key.as_str()) {
            let _ = bk;
            o.added += 1;
            if checking {
                return Ok(o);
            }
            emit(bl, &mut o)?;
        }
        match pending.next_if(|(bk, _)| bk.as_str() == key.as_str()) {
            Some((_, bl)) if *bl != line => {
                o.updated += 1;
                if checking {
                    return Ok(o);
                }
                emit(bl, &mut o)?;
            }
            _ => emit(&line, &mut o)?,
        }
        prev = Some(key);
    }
    for (_, bl) in pending {
        o.added += 1;
        if checking {
            return Ok(o);
        }
        emit(bl, &mut o)?;
    }
    Ok(o)
}

/// The (key, line) pairs of a gzipped NDJSON file.
fn read_lines(
    path: &Path,
    pk_field: &str,
) -> Result<impl Iterator<Item = Line> + use<>, SinkError> {
    let file = fs_err::File::open(path)?;
    let mut reader = BufReader::with_capacity(256 * 1024, MultiGzDecoder::new(file));
    let field = pk_field.to_owned();
    let mut line_no = 0u64;
    Ok(std::iter::from_fn(move || {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(SinkError::Io(e))),
            }
            line_no += 1;
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if buf.is_empty() {
                continue;
            }
            return Some(match key_of(&buf, &field) {
                Some(k) => Ok((k, buf)),
                None => Err(SinkError::Corrupt(format!(
                    "line {line_no} has no `{field}`"
                ))),
            });
        }
    }))
}

/// The value of `field` in a JSON object line, without building the object.
pub fn key_of(line: &[u8], field: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    KeySeed(field).deserialize(&mut de).ok().flatten()
}

struct KeySeed<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(IsField(self.0))? {
            if is_key && found.is_none() {
                let v: serde_json::Value = map.next_value()?;
                found = match v {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Compares a map key to the wanted field without allocating.
struct IsField<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for IsField<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for IsField<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn batch(rows: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        rows.iter()
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    format!(r#"{{"id":"{k}","v":"{v}"}}"#).into_bytes(),
                )
            })
            .collect()
    }

    fn read(path: &Path) -> Vec<String> {
        let mut s = String::new();
        MultiGzDecoder::new(fs_err::File::open(path).expect("open"))
            .read_to_string(&mut s)
            .expect("read");
        s.lines().map(str::to_owned).collect()
    }

    #[test]
    fn merges_by_key_sorted_and_unique() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("part.json.gz");
        let (staged, o) =
            merge(None, &batch(&[("b", "1"), ("a", "1")]), "id", dir.path()).expect("merge");
        assert_eq!(
            o,
            MergeOutcome {
                added: 2,
                updated: 0,
                lines: 2
            }
        );
        staged.expect("written").persist(&target).expect("persist");

        let (staged, o) = merge(
            Some(&target),
            &batch(&[("c", "1"), ("b", "2")]),
            "id",
            dir.path(),
        )
        .expect("merge");
        assert_eq!(
            o,
            MergeOutcome {
                added: 1,
                updated: 1,
                lines: 3
            }
        );
        staged.expect("written").persist(&target).expect("persist");
        assert_eq!(
            read(&target),
            [
                r#"{"id":"a","v":"1"}"#,
                r#"{"id":"b","v":"2"}"#,
                r#"{"id":"c","v":"1"}"#
            ]
        );
    }

    #[test]
    fn nothing_new_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("part.json.gz");
        let b = batch(&[("a", "1"), ("b", "1")]);
        let (staged, _) = merge(None, &b, "id", dir.path()).expect("merge");
        staged.expect("written").persist(&target).expect("persist");
        let (staged, o) =
            merge(Some(&target), &batch(&[("b", "1")]), "id", dir.path()).expect("merge");
        assert!(staged.is_none());
        assert!(!o.changed());
    }

    #[test]
    fn unsorted_files_are_still_merged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("part.json.gz");
        let mut gz = GzEncoder::new(
            fs_err::File::create(&target).expect("create"),
            Compression::fast(),
        );
        gz.write_all(b"{\"id\":\"b\",\"v\":\"1\"}\n{\"id\":\"a\",\"v\":\"1\"}\n")
            .expect("write");
        gz.finish().expect("finish");
        let (staged, o) =
            merge(Some(&target), &batch(&[("a", "2")]), "id", dir.path()).expect("merge");
        assert_eq!(o.updated, 1);
        let lines = read(&staged.expect("written"));
        assert_eq!(lines, [r#"{"id":"a","v":"2"}"#, r#"{"id":"b","v":"1"}"#]);
    }

    #[test]
    fn key_of_reads_only_the_field() {
        assert_eq!(
            key_of(br#"{"x":{"id":"no"},"id":"yes","z":[1]}"#, "id").as_deref(),
            Some("yes")
        );
        assert_eq!(key_of(br#"{"id":42}"#, "id").as_deref(), Some("42"));
        assert_eq!(key_of(br#"{"key":"k"}"#, "id"), None);
        assert_eq!(key_of(b"not json", "id"), None);
    }
}
