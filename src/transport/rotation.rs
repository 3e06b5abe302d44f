//! Prebuilt requests that take turns (`ai-bench --prompts`): request *i* of a worker sends
//! item `i mod K`.
//!
//! The K items are built once before the run; choosing one is an index and a counter, so
//! rotating costs no allocation per request. The counter is per worker (a connector and its
//! connections share it in a plain cell, see the module invariants of [`crate::transport`]),
//! so each worker goes round robin over the items: the exact global order across workers
//! does not matter, the mix does, and every item is sent `n/K` times give or take one per
//! worker. With one item the counter is never touched.

use std::cell::Cell;
use std::rc::Rc;

/// K prebuilt items (K >= 1) and the worker's turn counter.
#[derive(Debug)]
pub struct Rotation<T> {
    items: Rc<[T]>,
    next: Rc<Cell<usize>>,
}

impl<T> Rotation<T> {
    /// Items that take turns, `first` first; a fresh counter (make one per worker).
    pub fn new(first: T, rest: impl IntoIterator<Item = T>) -> Rotation<T> {
        let items: Vec<T> = std::iter::once(first).chain(rest).collect();
        Rotation {
            items: items.into(),
            next: Rc::new(Cell::new(0)),
        }
    }

    /// How many items take turns.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Never empty; for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The item whose turn it is, and the turn passes on.
    #[inline]
    pub fn next(&self) -> &T {
        if self.items.len() == 1 {
            return &self.items[0];
        }
        let at = self.next.get();
        self.next.set(if at + 1 == self.items.len() {
            0
        } else {
            at + 1
        });
        &self.items[at]
    }
}

impl<T> From<T> for Rotation<T> {
    /// A single item, sent by every request.
    fn from(only: T) -> Rotation<T> {
        Rotation::new(only, [])
    }
}

impl<T> Clone for Rotation<T> {
    /// Another handle on the same items and the same counter (a connection of the worker).
    fn clone(&self) -> Rotation<T> {
        Rotation {
            items: Rc::clone(&self.items),
            next: Rc::clone(&self.next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_of_one_rotation_share_the_turn() {
        let a = Rotation::new(1, [2, 3]);
        let b = a.clone();
        let turns: Vec<i32> = (0..7)
            .map(|i| if i % 2 == 0 { *a.next() } else { *b.next() })
            .collect();
        assert_eq!(turns, [1, 2, 3, 1, 2, 3, 1]);
        let other = Rotation::new(1, [2, 3]);
        assert_eq!(*other.next(), 1, "a new rotation has a counter of its own");
        let one = Rotation::from(9);
        assert_eq!((*one.next(), *one.next(), one.len()), (9, 9, 1));
    }
}
