//! The label values of a [`CompactFamily`](super::CompactFamily), each stored once and
//! named by a small id; a value is freed when the last series using it is removed.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// One stored label value and how many (series, label) places use it.
#[derive(Debug)]
struct Interned {
    text: Box<str>,
    uses: u32,
}

/// The family's label values by id, and the ids by value.
#[derive(Debug, Default)]
pub(super) struct Interner {
    /// Ids, found by the hash of their text.
    by_text: HashTable<u32>,
    /// By id; a freed id holds an empty text and no uses until it is taken again.
    values: Vec<Interned>,
    /// Freed ids, taken before new ones.
    free: Vec<u32>,
}

impl Interner {
    /// The id of `text`, whose hash is `hash`, if it is stored.
    #[inline]
    pub(super) fn find(&self, hash: u64, text: &str) -> Option<u32> {
        self.by_text
            .find(hash, |&id| &*self.values[slot(id)].text == text)
            .copied()
    }

    /// The text of id `id`, which is stored.
    #[inline]
    pub(super) fn text(&self, id: u32) -> &str {
        &self.values[slot(id)].text
    }

    /// The id of `text`, whose hash is `hash`, stored if it was not, with one more use.
    pub(super) fn acquire(&mut self, hasher: &impl BuildHasher, hash: u64, text: &str) -> u32 {
        if let Some(id) = self.find(hash, text) {
            let value = &mut self.values[slot(id)];
            value.uses = value.uses.checked_add(1).expect(
                "a value is used at most once per series and label, and series are fewer than u32::MAX",
            );
            return id;
        }
        let interned = Interned {
            text: text.into(),
            uses: 1,
        };
        let id = if let Some(id) = self.free.pop() {
            self.values[slot(id)] = interned;
            id
        } else {
            let id = u32::try_from(self.values.len())
                .expect("fewer than u32::MAX distinct label values: each takes memory");
            self.values.push(interned);
            id
        };
        let values = &self.values;
        self.by_text
            .insert_unique(hash, id, |&id| hasher.hash_one(&*values[slot(id)].text));
        id
    }

    /// Gives back one use of `id`; the value is freed with its last use.
    pub(super) fn release(&mut self, hasher: &impl BuildHasher, id: u32) {
        let value = &mut self.values[slot(id)];
        value.uses -= 1;
        if value.uses > 0 {
            return;
        }
        let text = std::mem::take(&mut value.text);
        if let Ok(entry) = self
            .by_text
            .find_entry(hasher.hash_one(&*text), |&other| other == id)
        {
            entry.remove();
        }
        self.free.push(id);
        if self.free.len() == self.values.len() {
            // Nothing is stored: give the memory back.
            *self = Self::default();
        }
    }

    /// How many distinct values are stored.
    pub(super) fn len(&self) -> usize {
        self.values.len() - self.free.len()
    }
}

/// The position of id `id` in the value list.
#[inline]
fn slot(id: u32) -> usize {
    usize::try_from(id).expect("a u32 fits in usize on the platforms prom-kit supports")
}
