//! Bookmarks: opaque markers of committed transactions, for causal
//! consistency between sessions.
//!
//! A session sends the bookmarks it holds with each transaction, so the
//! server runs it only after those commits are visible; each commit
//! replaces them with the new bookmark. Pass
//! [`Session::last_bookmarks`](crate::Session::last_bookmarks) to another
//! session's config to chain work across sessions.

use std::sync::Arc;

/// A set of bookmark strings.
///
/// Cheap to clone: the values are shared (a session hands its bookmarks
/// to each unit of work without copying them).
///
/// ```
/// use neo4j::Bookmarks;
/// let a = Bookmarks::from_raw_values(["bm:1"]);
/// let b = Bookmarks::from_raw_values(["bm:2", "bm:1"]);
/// let all = a + b;
/// assert_eq!(all.len(), 2);
/// assert!(all.raw_values().any(|v| v == "bm:2"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Bookmarks(
    /// Sorted, without duplicates or empty strings; `None` when empty (so
    /// an empty set allocates nothing).
    Option<Arc<[String]>>,
);

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
        Bookmarks::from_vec(values.into_iter().map(Into::into).collect())
    }

    /// One bookmark (a commit's); empty: none.
    pub(crate) fn single(value: String) -> Bookmarks {
        if value.is_empty() {
            return Bookmarks::new();
        }
        Bookmarks(Some(Arc::from([value])))
    }

    /// Makes these the one bookmark `value` (not empty), in place when
    /// they are one bookmark shared with no one; returns the string it
    /// replaced then, for reuse.
    pub(crate) fn replace_single(&mut self, value: String) -> Option<String> {
        if let Some(Some([only])) = self.0.as_mut().map(Arc::get_mut) {
            if value.is_empty() {
                *self = Bookmarks::new();
                return None;
            }
            return Some(std::mem::replace(only, value));
        }
        *self = Bookmarks::single(value);
        None
    }

    fn from_vec(mut v: Vec<String>) -> Bookmarks {
        v.retain(|s| !s.is_empty());
        if v.is_empty() {
            return Bookmarks::new();
        }
        v.sort_unstable();
        v.dedup();
        Bookmarks(Some(Arc::from(v)))
    }

    /// The values, sorted.
    pub(crate) fn as_slice(&self) -> &[String] {
        self.0.as_deref().unwrap_or_default()
    }

    /// Whether these are exactly the one bookmark `value`.
    pub(crate) fn is_single(&self, value: &str) -> bool {
        matches!(self.as_slice(), [only] if only == value)
    }

    /// The string values, sorted.
    ///
    /// ```
    /// let b = neo4j::Bookmarks::from_raw_values(["y", "x"]);
    /// assert_eq!(b.raw_values().collect::<Vec<_>>(), ["x", "y"]);
    /// ```
    pub fn raw_values(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.as_slice().iter().map(String::as_str)
    }

    /// How many bookmarks.
    ///
    /// ```
    /// assert_eq!(neo4j::Bookmarks::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(neo4j::Bookmarks::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn to_vec(&self) -> Vec<String> {
        self.as_slice().to_vec()
    }
}

impl std::fmt::Debug for Bookmarks {
    /// `Bookmarks({"bm:1", "bm:2"})`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Set<'a>(&'a [String]);
        impl std::fmt::Debug for Set<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_set().entries(self.0).finish()
            }
        }
        f.debug_tuple("Bookmarks")
            .field(&Set(self.as_slice()))
            .finish()
    }
}

impl std::ops::Add for Bookmarks {
    type Output = Bookmarks;
    fn add(mut self, rhs: Bookmarks) -> Bookmarks {
        self += rhs;
        self
    }
}

impl std::ops::AddAssign for Bookmarks {
    fn add_assign(&mut self, rhs: Bookmarks) {
        if rhs.is_empty() || rhs == *self {
            return;
        }
        if self.is_empty() {
            *self = rhs;
            return;
        }
        let mut v = self.to_vec();
        v.extend_from_slice(rhs.as_slice());
        *self = Bookmarks::from_vec(v);
    }
}

#[cfg(test)]
mod tests {
    use super::Bookmarks;

    #[test]
    fn sorted_deduplicated_and_empty_strings_dropped() {
        let b = Bookmarks::from_raw_values(["c", "", "a", "c", "b"]);
        assert_eq!(b.raw_values().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(Bookmarks::from_raw_values([""]), Bookmarks::new());
        assert_eq!(Bookmarks::single(String::new()), Bookmarks::new());
        assert!(Bookmarks::single("x".into()).is_single("x"));
        assert!(!Bookmarks::from_raw_values(["x", "y"]).is_single("x"));
    }

    #[test]
    fn union_and_equality_by_value() {
        let a = Bookmarks::from_raw_values(["b", "a"]);
        let b = Bookmarks::from_raw_values(["c", "a"]);
        assert_eq!(
            (a.clone() + b.clone()).raw_values().collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(a.clone() + Bookmarks::new(), a);
        assert_eq!(Bookmarks::new() + b.clone(), b);
        assert_eq!(a, Bookmarks::from_raw_values(["a", "b"]));
        let mut c = a.clone();
        c += a.clone();
        assert_eq!(c, a);
        assert_eq!(format!("{a:?}"), r#"Bookmarks({"a", "b"})"#);
    }
}
