//! The store behind `set("key", v)` / `get("key")`: values a script keeps
//! between bars and across reloads, with a ceiling on their total size.
//!
//! Each value is measured when it is stored (strings and blobs by their
//! bytes, arrays and maps by their parts, plus [`PART_BYTES`] per part and
//! key), and a `set` that would take the total past [`MAX_STORE_BYTES`] is
//! refused with the sizes in its message; the store is left as it was.
//! `set("key", ())` removes a key and frees its space. Values nested deeper
//! than [`MAX_STORE_NESTING`] are refused.
//!
//! All or nothing: writes made while script code runs are held in a
//! pending layer that `get` reads through; the host commits them when the
//! code (a version's top level, an `/eval`, `bar(n)`, one loop function)
//! succeeds and drops them when it fails, so a failed version leaves the
//! store as it was.

use std::collections::BTreeMap;

use rhai::Dynamic;

/// The most a script may keep in the store, in bytes as measured here
/// (16 MiB: a few thousand patterns or a long list of numbers, far from
/// what a bar needs, and small beside the memory a laptop has).
pub const MAX_STORE_BYTES: usize = 16 << 20;

/// The bytes counted for each stored part (a number, a key, an array slot)
/// beside its own content.
pub const PART_BYTES: usize = 16;

/// The stored values and their measured total.
#[derive(Default)]
pub struct Store {
    values: BTreeMap<String, (Dynamic, usize)>,
    /// The measured total of `values`.
    committed_bytes: usize,
    /// Writes not yet committed: a value with its size, or `None` for a
    /// removed key.
    pending: BTreeMap<String, Option<(Dynamic, usize)>>,
    /// The measured total with the pending writes applied.
    bytes: usize,
}

/// A `set` the store refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFull {
    /// The key `set` was given.
    pub key: String,
    /// The value's measured size (at least this much; measuring stops at the limit).
    pub value_bytes: usize,
    /// What the store held before.
    pub held_bytes: usize,
}

impl std::fmt::Display for StoreFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value_bytes == usize::MAX {
            return write!(
                f,
                "set(\"{}\"): the value is nested more than {MAX_STORE_NESTING} deep, the most the store keeps",
                shorten(&self.key)
            );
        }
        write!(
            f,
            "set(\"{}\"): a value of {} bytes would take the store past its limit of {MAX_STORE_BYTES} bytes \
             (it holds {} bytes; set(key, ()) frees a key)",
            shorten(&self.key),
            self.value_bytes,
            self.held_bytes
        )
    }
}

impl std::error::Error for StoreFull {}

impl Store {
    /// Stores `value` under `key` (a unit value removes the key), unless the
    /// total would pass [`MAX_STORE_BYTES`].
    /// The write is pending until [`Store::commit`].
    pub fn set(&mut self, key: &str, value: Dynamic) -> Result<(), StoreFull> {
        let old = self.entry(key).map_or(0, |(_, size)| *size);
        if value.is_unit() {
            self.pending.insert(key.to_owned(), None);
            self.bytes -= old;
            return Ok(());
        }
        let held_without = self.bytes - old;
        let budget = MAX_STORE_BYTES - held_without;
        let size =
            (PART_BYTES + key.len()).saturating_add(measure(&value, budget.saturating_add(1)));
        if size > budget {
            return Err(StoreFull {
                key: key.to_owned(),
                value_bytes: size,
                held_bytes: self.bytes,
            });
        }
        self.pending.insert(key.to_owned(), Some((value, size)));
        self.bytes = held_without + size;
        Ok(())
    }

    /// The value and size under `key`, pending writes first.
    fn entry(&self, key: &str) -> Option<&(Dynamic, usize)> {
        match self.pending.get(key) {
            Some(write) => write.as_ref(),
            None => self.values.get(key),
        }
    }

    /// The value under `key` (a pending write if there is one), or unit.
    pub fn get(&self, key: &str) -> Dynamic {
        self.entry(key)
            .map_or(Dynamic::UNIT, |(value, _)| value.clone())
    }

    /// The measured total with pending writes, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The code that wrote succeeded: its writes become the store.
    pub fn commit(&mut self) {
        for (key, write) in std::mem::take(&mut self.pending) {
            match write {
                Some(entry) => self.values.insert(key, entry),
                None => self.values.remove(&key),
            };
        }
        self.committed_bytes = self.bytes;
    }

    /// The code that wrote failed: its writes are forgotten.
    pub fn discard(&mut self) {
        self.pending.clear();
        self.bytes = self.committed_bytes;
    }
}

/// The deepest nesting of arrays and maps the store keeps. Measuring walks
/// the value, so a value nested a million deep is refused at this depth
/// instead of walking to the end of the stack.
pub const MAX_STORE_NESTING: usize = 64;

/// The measured size of `value`, counting no further than `limit` (so a
/// huge value costs no more to measure than the limit). A value nested past
/// [`MAX_STORE_NESTING`] measures as `usize::MAX`.
pub fn measure(value: &Dynamic, limit: usize) -> usize {
    let mut total = 0usize;
    add_size(value, limit, 0, &mut total);
    total
}

fn add_size(v: &Dynamic, limit: usize, depth: usize, total: &mut usize) {
    if *total >= limit {
        return;
    }
    if depth > MAX_STORE_NESTING {
        *total = usize::MAX;
        return;
    }
    *total = total.saturating_add(PART_BYTES);
    if let Ok(s) = v.as_immutable_string_ref() {
        *total = total.saturating_add(s.len());
    } else if let Ok(b) = v.as_blob_ref() {
        *total = total.saturating_add(b.len());
    } else if let Ok(items) = v.as_array_ref() {
        *total = total.saturating_add(items.len().saturating_mul(PART_BYTES));
        for item in items.iter() {
            add_size(item, limit, depth + 1, total);
            if *total >= limit {
                return;
            }
        }
    } else if let Ok(map) = v.as_map_ref() {
        for (key, item) in map.iter() {
            *total = total.saturating_add(PART_BYTES + key.len());
            add_size(item, limit, depth + 1, total);
            if *total >= limit {
                return;
            }
        }
    }
}

/// A key as shown in a message: at most 60 characters.
fn shorten(key: &str) -> String {
    match key.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &key[..at]),
        None => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(bytes: usize) -> Dynamic {
        Dynamic::from("x".repeat(bytes))
    }

    #[test]
    fn strings_add_up_until_the_limit() {
        // 100 strings of 512 KiB per /eval used to add 50 MB each time.
        let mut store = Store::default();
        let mut stored = 0;
        let mut refused = None;
        for i in 0..100 {
            match store.set(&format!("k{i}"), string(512 << 10)) {
                Ok(()) => stored += 1,
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        assert_eq!(stored, 31, "16 MiB holds 31 such strings with their keys");
        let e = refused.expect("the 32nd is refused");
        assert_eq!(e.key, "k31");
        let msg = e.to_string();
        assert!(msg.contains("set(\"k31\")"), "{msg}");
        assert!(msg.contains(&MAX_STORE_BYTES.to_string()), "{msg}");
        assert!(store.bytes() <= MAX_STORE_BYTES);
        assert!(store.get("k31").is_unit());
    }

    #[test]
    fn replacing_a_key_frees_its_old_size_and_unit_removes_it() {
        let mut store = Store::default();
        store.set("big", string(MAX_STORE_BYTES - 1000)).unwrap();
        // The same key again fits: its old value no longer counts.
        store.set("big", string(MAX_STORE_BYTES - 1000)).unwrap();
        assert!(store.set("other", string(2000)).is_err());
        store.set("big", Dynamic::UNIT).unwrap();
        assert_eq!(store.bytes(), 0);
        assert!(store.get("big").is_unit());
        store.set("other", string(2000)).unwrap();
        assert_eq!(store.get("other").into_string().unwrap().len(), 2000);
    }

    #[test]
    fn arrays_and_maps_are_measured_with_their_parts() {
        let array: rhai::Array = (0..1000).map(|i| Dynamic::from(i as i64)).collect();
        // The array, then 1000 slots and 1000 numbers.
        assert_eq!(
            measure(&Dynamic::from(array), usize::MAX),
            16 + 2 * 16 * 1000
        );
        let mut map = rhai::Map::new();
        map.insert("name".into(), string(100));
        assert_eq!(
            measure(&Dynamic::from(map), usize::MAX),
            16 + 16 + 4 + 16 + 100
        );
        // An array of many big strings stops counting at the limit.
        let wide: rhai::Array = (0..100).map(|_| string(1 << 20)).collect();
        let limit = 5 << 20;
        let m = measure(&Dynamic::from(wide), limit);
        assert!(m >= limit && m < limit + (2 << 20), "{m}");
    }

    #[test]
    fn pending_writes_are_read_through_and_apply_only_when_committed() {
        let mut store = Store::default();
        store.set("section", Dynamic::from(1_i64)).unwrap();
        store.commit();
        let held = store.bytes();
        store.set("section", Dynamic::from(2_i64)).unwrap();
        store.set("fresh", string(100)).unwrap();
        assert_eq!(store.get("section").as_int(), Ok(2), "read through");
        assert!(store.bytes() > held);
        store.discard();
        assert_eq!(store.get("section").as_int(), Ok(1));
        assert!(store.get("fresh").is_unit());
        assert_eq!(store.bytes(), held);
        // A removal is pending too.
        store.set("section", Dynamic::UNIT).unwrap();
        assert!(store.get("section").is_unit());
        store.discard();
        assert_eq!(store.get("section").as_int(), Ok(1));
        store.set("section", Dynamic::UNIT).unwrap();
        store.set("fresh", string(100)).unwrap();
        store.commit();
        store.discard();
        assert!(store.get("section").is_unit());
        assert_eq!(store.get("fresh").into_string().unwrap().len(), 100);
        assert_eq!(store.bytes(), PART_BYTES + 5 + PART_BYTES + 100);
    }

    #[test]
    fn deep_nesting_is_refused_at_its_limit() {
        let nest = |depth: usize| {
            let mut v = Dynamic::from(1_i64);
            for _ in 0..depth {
                v = Dynamic::from(vec![v]);
            }
            v
        };
        let mut store = Store::default();
        store.set("ok", nest(MAX_STORE_NESTING)).unwrap();
        let e = store.set("deep", nest(1000)).unwrap_err();
        assert_eq!(e.value_bytes, usize::MAX);
        assert!(e.to_string().contains("nested more than 64"), "{e}");
    }
}
