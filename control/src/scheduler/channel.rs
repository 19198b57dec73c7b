//! One channel's timeline: its reservations grouped by period class, each class folded modulo
//! the gcd of its period with every other class's (see [`fold`](super::fold)), and the
//! first-fit searches over it.

use std::collections::{BTreeMap, HashMap};

use super::fold::{Dir, Fold, Probe};

/// Greatest common divisor (Euclid).
pub(super) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// All reservations of one period on one channel.
#[derive(Debug, Clone)]
struct Class {
    /// Period, µs.
    period: u64,
    /// (offset from the epoch mod period, AID) → reserved length (window + guard), µs.
    members: BTreeMap<(u64, u16), u64>,
    /// The members folded modulo `gcd(period, Q)` for every period `Q` seen on the channel,
    /// keyed by that gcd (one of them is `period` itself).
    folds: BTreeMap<u64, Fold>,
}

impl Class {
    fn new(period: u64) -> Class {
        Class {
            period,
            members: BTreeMap::new(),
            folds: BTreeMap::new(),
        }
    }

    /// The fold modulo `g`, built from the members the first time it is asked for.
    fn fold(&mut self, g: u64) -> &Fold {
        let members = &self.members;
        self.folds.entry(g).or_insert_with(|| {
            let mut f = Fold::new(g);
            for (&(offset, _), &len) in members {
                f.insert(offset, len);
            }
            f
        })
    }
}

/// The reservations on one channel.
#[derive(Debug, Clone)]
pub(super) struct Channel {
    /// Channel number.
    pub(super) number: u8,
    /// Period (µs) → class.
    classes: BTreeMap<u64, Class>,
    /// Σ reserved length × (hyperperiod / period): reserved µs per hyperperiod.
    reserved_per_h: u128,
    /// Σ window length × (hyperperiod / period): window µs per hyperperiod.
    windows_per_h: u128,
    /// Terminals allocated here.
    terminals: usize,
    /// Where [`pack`](Self::pack) last succeeded, per (period, reserved length, first chain
    /// modulus `c₀`): every offset whose residue mod `c₀` lies below it was blocked then, and
    /// insertions only block more, so the next search may start there. Cleared on removal.
    hints: HashMap<(u64, u64, u64), u64>,
}

impl Channel {
    pub(super) fn new(number: u8) -> Channel {
        Channel {
            number,
            classes: BTreeMap::new(),
            reserved_per_h: 0,
            windows_per_h: 0,
            terminals: 0,
            hints: HashMap::new(),
        }
    }

    /// Reserved µs per hyperperiod (the load used to order channels).
    pub(super) fn reserved_per_h(&self) -> u128 {
        self.reserved_per_h
    }

    /// Window µs per hyperperiod.
    pub(super) fn windows_per_h(&self) -> u128 {
        self.windows_per_h
    }

    /// Terminals allocated here.
    pub(super) fn terminals(&self) -> usize {
        self.terminals
    }

    /// Probes offset `o` of a candidate with `period` and reserved length `len` against every
    /// class; returns the first blocking answer (or `Free`).
    fn probe_all(&mut self, period: u64, o: u64, len: u64, dir: Dir) -> Probe {
        let mut worst = Probe::Free;
        for class in self.classes.values_mut() {
            let g = gcd(period, class.period);
            match class.fold(g).probe(o, len, dir) {
                Probe::Free => {}
                Probe::Unavoidable => return Probe::Unavoidable,
                Probe::Blocked(d) => {
                    if !matches!(worst, Probe::Blocked(w) if w >= d) {
                        worst = Probe::Blocked(d);
                    }
                }
            }
        }
        worst
    }

    /// Smallest offset in `[from, last]` where a reservation of `len` µs repeating every
    /// `period` µs collides with nothing here.
    pub(super) fn first_free(
        &mut self,
        period: u64,
        len: u64,
        from: u64,
        last: u64,
    ) -> Option<u64> {
        let mut o = from;
        while o <= last {
            match self.probe_all(period, o, len, Dir::Forward) {
                Probe::Free => return Some(o),
                Probe::Unavoidable => return None,
                Probe::Blocked(d) => o = o.checked_add(d.max(1))?,
            }
        }
        None
    }

    /// Best-fit search for [`allocate`](super::Scheduler::allocate): a free offset in
    /// `[0, period − window]` for a reservation of `len` µs (window + guard), preferring
    /// residues other windows already share, so that long periods stack on the same
    /// short-period residue instead of each taking a fresh one.
    ///
    /// The offsets are explored as a tree. The fold moduli `gcd(period, Q)` of the classes
    /// present, closed under lcm, form a divisibility chain `c₀ | c₁ | … | period`; level k
    /// fixes the offset mod `c_k`, and probes the folds whose modulus divides `c_k` but not
    /// `c_{k−1}` (they depend on nothing finer). Level 0 scans `[0, c₀)` first fit; level k
    /// tries the `c_k / c_{k−1}` refinements of its parent's residue in order. A blocked node
    /// prunes its subtree, and a failed subtree reports how far its residue must move before
    /// any of its nodes can clear, so every step is a jump. For harmonic periods the chain is
    /// the periods themselves (60 s | 900 s | 3 600 s | 86 400 s) and this is the classic tree
    /// packing of harmonic periodic tasks: a new 1 h window goes to the lowest 1 min residue
    /// that has room, then the lowest 15 min residue under it, and so on. Complete: if any
    /// free offset exists, one is found.
    pub(super) fn pack(&mut self, period: u64, len: u64, window: u64) -> Option<u64> {
        let mut moduli: Vec<u64> = self
            .classes
            .keys()
            .map(|&q| gcd(period, q))
            .chain(std::iter::once(period))
            .collect();
        moduli.sort_unstable();
        moduli.dedup();
        let mut chain: Vec<u64> = Vec::with_capacity(moduli.len());
        for m in moduli {
            let c = match chain.last() {
                Some(&prev) => lcm(prev, m),
                None => m,
            };
            if chain.last() != Some(&c) {
                chain.push(c);
            }
        }
        if chain.last() != Some(&period) {
            // lcm of divisors of `period` that include `period` is `period`; defensive only.
            chain.push(period);
        }
        let mut levels: Vec<Vec<&Fold>> = vec![Vec::new(); chain.len()];
        for class in self.classes.values_mut() {
            let g = gcd(period, class.period);
            let k = chain
                .iter()
                .position(|c| c.is_multiple_of(g))
                .unwrap_or(chain.len() - 1);
            levels[k].push(class.fold(g));
        }
        let c0 = chain.first().copied().unwrap_or(period);
        let key = (period, len, c0);
        let start = self.hints.get(&key).copied().unwrap_or(0);
        let tree = Tree {
            chain: &chain,
            levels: &levels,
            len,
            window,
            period,
        };
        match tree.search(0, start, 1) {
            Found::At(o) => {
                self.hints.insert(key, o % c0);
                Some(o)
            }
            Found::Blocked(_) => {
                self.hints.insert(key, c0);
                None
            }
        }
    }

    /// Largest offset in `[first, from]` where the reservation collides with nothing here.
    pub(super) fn last_free(
        &mut self,
        period: u64,
        len: u64,
        from: u64,
        first: u64,
    ) -> Option<u64> {
        let mut o = from;
        while o >= first {
            match self.probe_all(period, o, len, Dir::Backward) {
                Probe::Free => return Some(o),
                Probe::Unavoidable => return None,
                Probe::Blocked(d) => o = o.checked_sub(d.max(1))?,
            }
        }
        None
    }

    /// Records a reservation. The caller has checked it is free.
    pub(super) fn insert(
        &mut self,
        aid: u16,
        period: u64,
        offset: u64,
        window: u64,
        len: u64,
        h: u64,
    ) {
        if !self.classes.contains_key(&period) {
            let mut class = Class::new(period);
            // Fold the newcomer modulo its gcd with every class present, and every class
            // modulo its gcd with the newcomer, so later probes of either find their fold.
            let others: Vec<u64> = self.classes.keys().copied().collect();
            for q in others {
                let g = gcd(period, q);
                class.folds.entry(g).or_insert_with(|| Fold::new(g));
                if let Some(c) = self.classes.get_mut(&q) {
                    c.fold(g);
                }
            }
            class
                .folds
                .entry(period)
                .or_insert_with(|| Fold::new(period));
            self.classes.insert(period, class);
        }
        if let Some(class) = self.classes.get_mut(&period) {
            class.members.insert((offset, aid), len);
            for f in class.folds.values_mut() {
                f.insert(offset, len);
            }
        }
        let repeats = u128::from(h / period.max(1));
        self.reserved_per_h += u128::from(len) * repeats;
        self.windows_per_h += u128::from(window) * repeats;
        self.terminals += 1;
    }

    /// Holds `len` µs at `offset` every `period` µs for the gateway itself (AID 0, never
    /// released, not counted as a terminal or as window airtime).
    pub(super) fn reserve(&mut self, period: u64, offset: u64, len: u64, h: u64) {
        self.insert(0, period, offset, 0, len, h);
        self.terminals = self.terminals.saturating_sub(1);
    }

    /// Forgets a reservation recorded by [`insert`](Self::insert) with the same values.
    pub(super) fn remove(
        &mut self,
        aid: u16,
        period: u64,
        offset: u64,
        window: u64,
        len: u64,
        h: u64,
    ) {
        let Some(class) = self.classes.get_mut(&period) else {
            return;
        };
        if class.members.remove(&(offset, aid)).is_none() {
            return;
        }
        self.hints.clear();
        for f in class.folds.values_mut() {
            f.remove(offset, len);
        }
        if class.members.is_empty() {
            self.classes.remove(&period);
        }
        let repeats = u128::from(h / period.max(1));
        self.reserved_per_h = self
            .reserved_per_h
            .saturating_sub(u128::from(len) * repeats);
        self.windows_per_h = self
            .windows_per_h
            .saturating_sub(u128::from(window) * repeats);
        self.terminals = self.terminals.saturating_sub(1);
    }

    /// AIDs and offsets of the members whose window may start in `[from, to)` µs after the
    /// epoch (a superset: the caller computes exact occurrences).
    pub(super) fn members_starting_in(&self, from: u64, to: u64) -> Vec<(u16, u64, u64)> {
        let mut out = Vec::new();
        for class in self.classes.values() {
            let p = class.period;
            let mut push = |(&(offset, aid), _): (&(u64, u16), &u64)| out.push((aid, offset, p));
            if to.saturating_sub(from) >= p {
                class.members.iter().for_each(&mut push);
                continue;
            }
            let a = from % p;
            let b = to % p;
            if a <= b {
                class.members.range((a, 0)..(b, 0)).for_each(&mut push);
            } else {
                class.members.range((a, 0)..).for_each(&mut push);
                class.members.range(..(b, 0)).for_each(&mut push);
            }
        }
        out
    }
}

/// Least common multiple (saturating; only called on divisors of one period).
fn lcm(a: u64, b: u64) -> u64 {
    match gcd(a, b) {
        0 => 0,
        g => (a / g).saturating_mul(b),
    }
}

/// Result of searching a subtree of [`Channel::pack`].
enum Found {
    /// A free offset.
    At(u64),
    /// Nothing free; the subtree's residue must move at least this far (µs) before anything
    /// in it can be free (`u64::MAX`: never).
    Blocked(u64),
}

/// The search state of [`Channel::pack`].
struct Tree<'a> {
    /// Divisibility chain of moduli, ending with the period.
    chain: &'a [u64],
    /// Folds to probe at each level.
    levels: &'a [Vec<&'a Fold>],
    /// Reserved length of the candidate.
    len: u64,
    /// Window length of the candidate (must end inside the period).
    window: u64,
    /// The candidate's period.
    period: u64,
}

impl Tree<'_> {
    /// Level `k`: residues `base + unit·t` below `chain[k]`.
    fn search(&self, k: usize, base: u64, unit: u64) -> Found {
        let Some(&c) = self.chain.get(k) else {
            return Found::Blocked(u64::MAX);
        };
        let leaf = k + 1 == self.chain.len();
        let mut o = base;
        let mut min_block = u64::MAX;
        while o < c {
            let mut blocked: Option<u64> = None;
            for f in self.levels.get(k).map_or(&[][..], Vec::as_slice) {
                match f.probe(o, self.len, Dir::Forward) {
                    Probe::Free => {}
                    Probe::Unavoidable => return Found::Blocked(u64::MAX),
                    Probe::Blocked(d) => blocked = Some(blocked.map_or(d, |b| b.max(d))),
                }
            }
            let delta = match blocked {
                Some(d) => d,
                None if leaf => {
                    if o.saturating_add(self.window) <= self.period {
                        return Found::At(o);
                    }
                    // Later offsets end even later.
                    u64::MAX
                }
                None => match self.search(k + 1, o, c) {
                    Found::At(x) => return Found::At(x),
                    Found::Blocked(d) => d,
                },
            };
            if delta == u64::MAX {
                break;
            }
            // Skip every refinement the block covers; the last one skipped is the one that
            // clears soonest when the parent's residue moves.
            let steps = delta.div_ceil(unit).max(1);
            min_block = min_block.min(delta - (steps - 1) * unit);
            o = match o.checked_add(steps.saturating_mul(unit)) {
                Some(n) => n,
                None => break,
            };
        }
        Found::Blocked(min_block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3600;

    #[test]
    fn gcd_basics() {
        assert_eq!(gcd(60, 900), 60);
        assert_eq!(gcd(40, 60), 20);
        assert_eq!(gcd(7, 0), 7);
    }

    #[test]
    fn non_harmonic_periods_use_their_gcd() {
        // Periods 40 and 60 (gcd 20): a 60-periodic reservation at 0..5 blocks residues 0..5
        // mod 20 for a 40-periodic one, at every phase.
        let mut c = Channel::new(1);
        c.insert(1, 60, 0, 5, 5, H);
        assert_eq!(c.first_free(40, 5, 0, 35), Some(5));
        assert_eq!(c.first_free(40, 5, 16, 35), Some(25));
        assert_eq!(c.last_free(40, 5, 19, 0), Some(15));
        assert_eq!(c.first_free(40, 16, 0, 24), None);
    }

    #[test]
    fn a_new_class_is_folded_against_old_ones() {
        let mut c = Channel::new(1);
        c.insert(1, 900, 60, 5, 5, H);
        // A 60-periodic reservation must avoid residue 0 mod 60.
        assert_eq!(c.first_free(60, 5, 0, 55), Some(5));
        c.insert(2, 60, 5, 5, 5, H);
        // A further 900 one may share residues mod 60 with the other 900 one at another
        // phase, but not its own phase (60..65), nor any phase of the 60 class's (5..10).
        assert_eq!(c.first_free(900, 5, 0, 895), Some(0));
        assert_eq!(c.first_free(900, 5, 58, 895), Some(70));
        c.remove(1, 900, 60, 5, 5, H);
        assert_eq!(c.first_free(900, 5, 58, 895), Some(58));
        assert_eq!(c.terminals(), 1);
    }
}
