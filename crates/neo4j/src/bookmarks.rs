//! Bookmarks: opaque markers of committed transactions, for causal
//! consistency between sessions.
//!
//! A session sends the bookmarks it holds with each transaction, so the
//! server runs it only after those commits are visible; each commit
//! replaces them with the new bookmark. Pass
//! [`Session::last_bookmarks`](crate::Session::last_bookmarks) to another
//! session's config to chain work across sessions.

use std::collections::BTreeSet;

/// A set of bookmark strings.
///
/// ```
/// use neo4j::Bookmarks;
/// let a = Bookmarks::from_raw_values(["bm:1"]);
/// let b = Bookmarks::from_raw_values(["bm:2", "bm:1"]);
/// let all = a + b;
/// assert_eq!(all.len(), 2);
/// assert!(all.raw_values().any(|v| v == "bm:2"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Bookmarks(BTreeSet<String>);

impl Bookmarks {
    /// No bookmarks.
    ///
    /// ```
    /// assert!(neo4j::Bookmarks::new().is_empty());
    /// ```
    pub fn new() -> Bookmarks {
        Bookmarks::default()
    }

    /// Bookmarks from their string values (e.g. stored by another process).
    /// Empty strings are ignored.
    ///
    /// ```
    /// assert_eq!(neo4j::Bookmarks::from_raw_values(["a", "", "a"]).len(), 1);
    /// ```
    pub fn from_raw_values<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Bookmarks {
        Bookmarks(
            values
                .into_iter()
                .map(Into::into)
                .filter(|s: &String| !s.is_empty())
                .collect(),
        )
    }

    /// The string values, sorted.
    ///
    /// ```
    /// let b = neo4j::Bookmarks::from_raw_values(["y", "x"]);
    /// assert_eq!(b.raw_values().collect::<Vec<_>>(), ["x", "y"]);
    /// ```
    pub fn raw_values(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter().map(String::as_str)
    }

    /// How many bookmarks.
    ///
    /// ```
    /// assert_eq!(neo4j::Bookmarks::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(neo4j::Bookmarks::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

impl std::ops::Add for Bookmarks {
    type Output = Bookmarks;
    fn add(mut self, rhs: Bookmarks) -> Bookmarks {
        self.0.extend(rhs.0);
        self
    }
}

impl std::ops::AddAssign for Bookmarks {
    fn add_assign(&mut self, rhs: Bookmarks) {
        self.0.extend(rhs.0);
    }
}
