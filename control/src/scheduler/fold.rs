//! A channel timeline folded modulo `g`: the reservations of one period class, each reduced to
//! its start residue mod `g`, kept as a circular multiset of intervals.
//!
//! Why folding is exact: two periodic reservations `(a, len_a, P)` and `(b, len_b, Q)` (start,
//! length, period; all µs) collide at some time iff some `a + i·P − b − j·Q` lies in
//! `(−len_a, len_b)`. The values `i·P − j·Q` are exactly the multiples of `g = gcd(P, Q)`
//! (Bézout), so they collide iff `r = (b − a) mod g` satisfies `r < len_a` or
//! `r > g − len_b` — a test on residues mod `g` only. Harmonic periods make `g` the shorter
//! period; any two periods that divide the hyperperiod work the same way.

use std::collections::BTreeMap;

/// Which way a blocked candidate should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    /// Towards later offsets.
    Forward,
    /// Towards earlier offsets.
    Backward,
}

/// Outcome of probing a candidate against a fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probe {
    /// No reservation in the fold collides with the candidate.
    Free,
    /// Something collides; every offset strictly less than this far (in the probe's
    /// direction) collides too, and the offset this far away clears the colliding ones.
    Blocked(u64),
    /// Something is so long relative to `g` that no offset can avoid it.
    Unavoidable,
}

/// Reservations of one period class reduced modulo `modulus`.
#[derive(Debug, Clone)]
pub(super) struct Fold {
    /// `g`, µs (≥ 1).
    modulus: u64,
    /// (start residue, reserved length) → how many reservations share it. Identical residues
    /// are common (first fit stacks long-period windows on one residue of a short period), so
    /// counting keeps probes short.
    items: BTreeMap<(u64, u64), u32>,
    /// Longest reserved length ever inserted: bounds how far before a candidate a colliding
    /// start can lie. Never lowered on removal (only widens the search, never wrong).
    max_len: u64,
}

impl Fold {
    /// An empty fold modulo `modulus` (clamped to ≥ 1).
    pub(super) fn new(modulus: u64) -> Fold {
        Fold {
            modulus: modulus.max(1),
            items: BTreeMap::new(),
            max_len: 0,
        }
    }

    /// Adds a reservation starting at `start` (any µs offset; reduced here), `len` long.
    pub(super) fn insert(&mut self, start: u64, len: u64) {
        let key = (start % self.modulus, len);
        *self.items.entry(key).or_insert(0) += 1;
        self.max_len = self.max_len.max(len);
    }

    /// Removes one reservation added by [`insert`](Self::insert) with the same arguments.
    pub(super) fn remove(&mut self, start: u64, len: u64) {
        let key = (start % self.modulus, len);
        if let Some(n) = self.items.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.items.remove(&key);
            }
        }
    }

    /// Probes a candidate reservation of length `len` whose start is `start` (reduced here).
    /// `Blocked(δ)` is the largest step over the colliding reservations, towards `dir`.
    pub(super) fn probe(&self, start: u64, len: u64, dir: Dir) -> Probe {
        if self.items.is_empty() {
            return Probe::Free;
        }
        let g = self.modulus;
        let x = start % g;
        // A stored start s collides only if s ∈ (x − max_len, x + len) circularly.
        let span = self.max_len.saturating_add(len).saturating_sub(1);
        let mut worst = Probe::Free;
        let mut visit = |(s, l): (u64, u64)| -> bool {
            match collide(g, x, len, s, l, dir) {
                Probe::Free => true,
                Probe::Unavoidable => {
                    worst = Probe::Unavoidable;
                    false
                }
                Probe::Blocked(d) => {
                    if !matches!(worst, Probe::Blocked(w) if w >= d) {
                        worst = Probe::Blocked(d);
                    }
                    true
                }
            }
        };
        if span >= g {
            for &k in self.items.keys() {
                if !visit(k) {
                    break;
                }
            }
            return worst;
        }
        let lo = (x + g - (self.max_len.saturating_sub(1) % g)) % g;
        let hi = (x + len - 1) % g;
        let ranges: [(u64, u64); 2] = if lo <= hi {
            [(lo, hi), (1, 0)]
        } else {
            [(lo, g - 1), (0, hi)]
        };
        'ranges: for (a, b) in ranges {
            if a > b {
                continue;
            }
            for (&k, _) in self.items.range((a, 0)..=(b, u64::MAX)) {
                if !visit(k) {
                    break 'ranges;
                }
            }
        }
        worst
    }

    /// Number of distinct (residue, length) entries; for tests.
    #[cfg(test)]
    pub(super) fn distinct(&self) -> usize {
        self.items.len()
    }
}

/// Whether a candidate `(x, len)` collides with a stored `(s, l)`, both residues mod `g`, and
/// how far the candidate must move in `dir` to clear it.
fn collide(g: u64, x: u64, len: u64, s: u64, l: u64, dir: Dir) -> Probe {
    if len.saturating_add(l) > g {
        return Probe::Unavoidable;
    }
    let r = (s + g - x) % g;
    if !(r < len || r > g - l) {
        return Probe::Free;
    }
    // Colliding candidate starts form the circular run [s − len + 1, s + l − 1].
    let step = match dir {
        // Forward: to s + l.
        Dir::Forward => (r + l) % g,
        // Backward: to s − len.
        Dir::Backward => (len + g - r) % g,
    };
    Probe::Blocked(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force twin of `collide`: do the two residues' runs intersect on the circle?
    fn naive(g: u64, x: u64, len: u64, s: u64, l: u64) -> bool {
        (0..len).any(|i| (0..l).any(|j| (x + i) % g == (s + j) % g))
    }

    #[test]
    fn collide_matches_brute_force() {
        let g = 12;
        for x in 0..g {
            for len in 1..6 {
                for s in 0..g {
                    for l in 1..6 {
                        let p = collide(g, x, len, s, l, Dir::Forward);
                        assert_eq!(
                            p != Probe::Free,
                            naive(g, x, len, s, l),
                            "{x} {len} {s} {l}"
                        );
                        if let Probe::Blocked(d) = p {
                            // Every step short of d still collides; d itself is clear.
                            for t in 0..d {
                                assert!(naive(g, (x + t) % g, len, s, l));
                            }
                            assert!(!naive(g, (x + d) % g, len, s, l));
                        }
                        if let Probe::Blocked(d) = collide(g, x, len, s, l, Dir::Backward) {
                            for t in 0..d {
                                assert!(naive(g, (x + g - t) % g, len, s, l));
                            }
                            assert!(!naive(g, (x + g - d) % g, len, s, l));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn probe_wraps_around_the_circle() {
        let mut f = Fold::new(100);
        f.insert(95, 10); // occupies 95..100 and 0..5
        assert_eq!(f.probe(2, 3, Dir::Forward), Probe::Blocked(3));
        assert_eq!(f.probe(90, 5, Dir::Forward), Probe::Free);
        assert_eq!(f.probe(91, 5, Dir::Forward), Probe::Blocked(14));
        assert_eq!(f.probe(91, 5, Dir::Backward), Probe::Blocked(1));
        assert_eq!(f.probe(5, 90, Dir::Forward), Probe::Free);
        assert_eq!(f.probe(5, 91, Dir::Forward), Probe::Unavoidable);
    }

    #[test]
    fn counts_identical_residues_once() {
        let mut f = Fold::new(60);
        for k in 0..10 {
            f.insert(7 + 60 * k, 3);
        }
        assert_eq!(f.distinct(), 1);
        for k in 0..9 {
            f.remove(7 + 60 * k, 3);
        }
        assert_eq!(f.probe(8, 1, Dir::Forward), Probe::Blocked(2));
        f.remove(7, 3);
        assert_eq!(f.probe(8, 1, Dir::Forward), Probe::Free);
    }
}
