//! Choosing one server among the candidates for a role.
//!
//! Owns the "least connected" rule of the official drivers: the candidate
//! with the fewest connections in use wins; ties go round-robin. Pure: the
//! caller supplies each server's load.

use std::sync::atomic::{AtomicUsize, Ordering};

use bolt_net::Address;

/// A rotating start position, so that equally loaded servers take turns.
#[derive(Debug, Default)]
pub(crate) struct RoundRobin(AtomicUsize);

impl RoundRobin {
    /// The candidate with the least load, scanning from the next start
    /// position; `None` if there are no candidates.
    pub(crate) fn least_connected<'a>(
        &self,
        candidates: &'a [Address],
        load: impl Fn(&Address) -> u32,
    ) -> Option<&'a Address> {
        let n = candidates.len();
        if n == 0 {
            return None;
        }
        let start = self.0.fetch_add(1, Ordering::Relaxed) % n;
        let mut best: Option<(&Address, u32)> = None;
        for i in 0..n {
            let a = &candidates[(start + i) % n];
            let l = load(a);
            if best.is_none_or(|(_, b)| l < b) {
                best = Some((a, l));
            }
        }
        best.map(|(a, _)| a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewest_in_use_wins_and_ties_rotate() {
        let c = [
            Address::new("a", 1),
            Address::new("b", 1),
            Address::new("c", 1),
        ];
        let rr = RoundRobin::default();
        assert_eq!(rr.least_connected(&[], |_| 0), None);
        let busy = |a: &Address| if a.host() == "b" { 0 } else { 5 };
        for _ in 0..4 {
            assert_eq!(rr.least_connected(&c, busy).unwrap().host(), "b");
        }
        let picks: Vec<&str> = (0..6)
            .map(|_| rr.least_connected(&c, |_| 1).unwrap().host())
            .collect();
        for h in ["a", "b", "c"] {
            assert_eq!(picks.iter().filter(|p| **p == h).count(), 2, "{picks:?}");
        }
    }
}
