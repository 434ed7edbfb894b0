//! The compiled JSON pointers as a tree of member names, and what a field's value is found
//! to be: shared by the extractor (serde) and the fast scanner, which walk the same tree.

use std::borrow::Cow;

/// A field's value as found in the event.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Found<'a> {
    #[default]
    Absent,
    Null,
    Number(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    /// An object or array where a value was expected.
    Composite,
}

#[derive(Debug, Default)]
pub struct Node {
    pub(super) slot: Option<usize>,
    pub(super) children: Vec<(String, Node)>,
}

/// Byte equality of two member names, inline: names are short, and a `memcmp` call per
/// member cost more than the comparison.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl Node {
    /// The slot this node fills, if a pointer ends here.
    pub fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// The member names below this node and their nodes.
    pub fn children(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.children.iter().map(|(k, n)| (k.as_str(), n))
    }

    pub fn has_children(&self) -> bool {
        !self.children.is_empty()
    }

    pub fn child(&self, key: &str) -> Option<&Node> {
        self.child_from(key, 0).map(|(_, n)| n)
    }

    /// Looks `key` up starting at `hint`: producers write their fields in one order, so the
    /// next member is usually the child after the last one found.
    pub fn child_from(&self, key: &str, hint: usize) -> Option<(usize, &Node)> {
        let n = self.children.len();
        let key = key.as_bytes();
        let hint = if hint >= n { 0 } else { hint };
        (0..n)
            // (hint + i) mod n without a division.
            .map(|i| {
                if hint + i >= n {
                    hint + i - n
                } else {
                    hint + i
                }
            })
            .find(|&i| same(self.children[i].0.as_bytes(), key))
            .map(|i| (i, &self.children[i].1))
    }
}
