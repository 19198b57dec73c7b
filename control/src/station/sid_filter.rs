//! SID filtering: the first thing the gateway does with a probe or association request, before
//! any per-station state exists (issue 4, "Filtering of non-matching SID frames happens before
//! any per-station state is created").
//!
//! A requested SID matches a served SID
//! - by **equality** (`service:metering` asks for `service:metering`), or
//! - by a configured **correspondence** `requested → served` (e.g. the terminal names its M2M
//!   server `server:10.0.0.7`, the gateway serves that server's `service:metering`).
//!   Correspondences are directed; configure both directions for a symmetric one.
//!
//! | request                          | answer                                                  |
//! |----------------------------------|---------------------------------------------------------|
//! | no SID element (wildcard)        | [`FilterResult::Match`] with every served SID, in config order |
//! | at least one SID matches         | [`FilterResult::Match`] with the matched served SIDs, in request order, each once; the requested SIDs that do not match are ignored |
//! | none matches, [`Unmatched::Silent`] | [`FilterResult::Silent`]: send nothing                |
//! | none matches, [`Unmatched::NotSupported`] | [`FilterResult::NotSupported`]: echo every requested SID with [`NotSupportedReason::NotServed`] |
//!
//! # Cost
//! Served SIDs and correspondences live in hash maps built once in [`SidFilter::new`], so a check
//! costs one or two hash lookups per requested SID (hashing a [`Sid`] does not allocate). A
//! request carries at most one element of SIDs (≤ 85 TLVs of ≥ 3 bytes in 255 bytes), so the
//! linear de-duplication of the (short) matched list stays small. **No allocation happens when
//! the answer is [`FilterResult::Silent`]**: the matching pass only counts, and vectors are
//! built only for a `Match` or `NotSupported` answer (tested with a counting allocator in
//! `control/tests/station_props.rs`).
//!
//! # The `Matched` token
//! Only [`SidFilter::check`] builds a [`Matched`] (its field is private and it is not `Clone`),
//! and [`Stations::get_or_insert_after_filter`](super::Stations::get_or_insert_after_filter)
//! consumes one: per-station state cannot be created for a request that did not pass the filter.

use std::collections::{HashMap, HashSet};

use crate::wire::m2m::{NotSupportedReason, Sid, SidNotSupportedRepr};

/// What the gateway does with a request none of whose SIDs it serves (config, per gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Unmatched {
    /// Stay silent: no probe response, no association response (the default: the terminal's
    /// own timeout moves it to the next access point, and the gateway spends no airtime).
    #[default]
    Silent,
    /// Answer with a "SID not supported" element echoing the requested SIDs.
    NotSupported,
}

/// Proof that a request passed the SID filter, holding the served SIDs it matched (never
/// empty). Only [`SidFilter::check`] can build one.
#[derive(Debug, PartialEq, Eq)]
pub struct Matched {
    sids: Vec<Sid>,
}

impl Matched {
    /// The served SIDs that matched (request order, or config order for a wildcard request).
    pub fn sids(&self) -> &[Sid] {
        &self.sids
    }

    /// Consumes the token, returning the matched served SIDs.
    pub fn into_sids(self) -> Vec<Sid> {
        self.sids
    }

    /// A token for the crate's own unit tests (never built outside the filter otherwise).
    #[cfg(test)]
    pub(crate) fn for_test(sids: Vec<Sid>) -> Matched {
        Matched { sids }
    }
}

/// The filter's answer to one request.
#[derive(Debug, PartialEq, Eq)]
pub enum FilterResult {
    /// Served: answer, and per-station state may be created with the token.
    Match(Matched),
    /// Not served, and configured to say so: send this element.
    NotSupported(SidNotSupportedRepr),
    /// Not served, and configured to stay silent: drop the frame.
    Silent,
}

/// The gateway's served SIDs and correspondences, ready for line-rate checks.
#[derive(Debug, Clone)]
pub struct SidFilter {
    /// Served SIDs, config order, duplicates removed (the wildcard answer, the beacon list).
    served: Vec<Sid>,
    /// The same SIDs, for O(1) equality lookups.
    served_set: HashSet<Sid>,
    /// Requested SID → served SID.
    correspondence: HashMap<Sid, Sid>,
    unmatched: Unmatched,
}

impl SidFilter {
    /// Builds the filter. Duplicate served SIDs are kept once (first position). A
    /// correspondence whose target is not served is dropped (it could only ever answer for a
    /// service the gateway does not serve); if one requested SID is given several targets, the
    /// first served one wins. A correspondence `a → a` is redundant with equality.
    pub fn new(
        served: Vec<Sid>,
        correspondence: Vec<(Sid, Sid)>,
        unmatched: Unmatched,
    ) -> SidFilter {
        let mut served_set = HashSet::with_capacity(served.len());
        let mut ordered = Vec::with_capacity(served.len());
        for sid in served {
            if served_set.insert(sid.clone()) {
                ordered.push(sid);
            }
        }
        let mut map = HashMap::with_capacity(correspondence.len());
        for (requested, target) in correspondence {
            if served_set.contains(&target) {
                map.entry(requested).or_insert(target);
            }
        }
        SidFilter {
            served: ordered,
            served_set,
            correspondence: map,
            unmatched,
        }
    }

    /// Served SIDs, in config order without duplicates (what the beacon advertises).
    pub fn served(&self) -> &[Sid] {
        &self.served
    }

    /// What happens to a request that matches nothing.
    pub fn unmatched(&self) -> Unmatched {
        self.unmatched
    }

    /// The served SID `requested` matches, by equality first, then by correspondence.
    pub fn resolve(&self, requested: &Sid) -> Option<&Sid> {
        if let Some(s) = self.served_set.get(requested) {
            return Some(s);
        }
        self.correspondence.get(requested)
    }

    /// Checks the SIDs of a probe or association request (empty slice: no SID element, a
    /// wildcard request, answered with every served SID; a gateway serving nothing answers a
    /// wildcard like an unmatched request). See the module docs for the table and the cost.
    pub fn check(&self, requested: &[Sid]) -> FilterResult {
        if requested.is_empty() {
            if self.served.is_empty() {
                return self.refuse(requested);
            }
            return FilterResult::Match(Matched {
                sids: self.served.clone(),
            });
        }
        // Counting pass: no allocation, so a Silent answer costs only hash lookups.
        let any = requested.iter().any(|r| self.resolve(r).is_some());
        if !any {
            return self.refuse(requested);
        }
        let mut sids: Vec<Sid> = Vec::new();
        for served in requested.iter().filter_map(|r| self.resolve(r)) {
            if !sids.contains(served) {
                sids.push(served.clone());
            }
        }
        FilterResult::Match(Matched { sids })
    }

    fn refuse(&self, requested: &[Sid]) -> FilterResult {
        match self.unmatched {
            Unmatched::Silent => FilterResult::Silent,
            Unmatched::NotSupported => FilterResult::NotSupported(SidNotSupportedRepr {
                reason: NotSupportedReason::NotServed,
                sids: requested.to_vec(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(s: &str) -> Sid {
        match s.parse() {
            Ok(sid) => sid,
            Err(e) => panic!("{e}"),
        }
    }

    fn filter(unmatched: Unmatched) -> SidFilter {
        SidFilter::new(
            vec![
                sid("service:metering"),
                sid("user:acme-water"),
                sid("service:metering"),
            ],
            vec![
                (sid("server:10.0.0.7"), sid("service:metering")),
                (sid("server:10.0.0.7"), sid("user:acme-water")),
                (sid("server:10.0.0.9"), sid("service:not-served")),
            ],
            unmatched,
        )
    }

    fn matched(r: FilterResult) -> Vec<Sid> {
        match r {
            FilterResult::Match(m) => m.into_sids(),
            other => panic!("expected a match, got {other:?}"),
        }
    }

    #[test]
    fn served_deduplicated_in_config_order() {
        let f = filter(Unmatched::Silent);
        assert_eq!(
            f.served(),
            &[sid("service:metering"), sid("user:acme-water")]
        );
    }

    #[test]
    fn equality() {
        let f = filter(Unmatched::Silent);
        assert_eq!(
            matched(f.check(&[sid("user:acme-water")])),
            vec![sid("user:acme-water")]
        );
    }

    #[test]
    fn correspondence_first_target_wins() {
        let f = filter(Unmatched::Silent);
        assert_eq!(
            matched(f.check(&[sid("server:10.0.0.7")])),
            vec![sid("service:metering")]
        );
    }

    #[test]
    fn correspondence_to_unserved_dropped() {
        let f = filter(Unmatched::Silent);
        assert_eq!(f.check(&[sid("server:10.0.0.9")]), FilterResult::Silent);
    }

    #[test]
    fn request_order_deduplicated_and_partial() {
        let f = filter(Unmatched::NotSupported);
        let got = matched(f.check(&[
            sid("user:acme-water"),
            sid("service:gas"),
            sid("server:10.0.0.7"),
            sid("service:metering"),
        ]));
        assert_eq!(got, vec![sid("user:acme-water"), sid("service:metering")]);
    }

    #[test]
    fn wildcard_gets_all_served() {
        let f = filter(Unmatched::Silent);
        assert_eq!(matched(f.check(&[])), f.served().to_vec());
    }

    #[test]
    fn wildcard_on_empty_filter_is_refused() {
        let f = SidFilter::new(vec![], vec![], Unmatched::NotSupported);
        assert_eq!(
            f.check(&[]),
            FilterResult::NotSupported(SidNotSupportedRepr {
                reason: NotSupportedReason::NotServed,
                sids: vec![],
            })
        );
        let f = SidFilter::new(vec![], vec![], Unmatched::Silent);
        assert_eq!(f.check(&[]), FilterResult::Silent);
    }

    #[test]
    fn silent() {
        let f = filter(Unmatched::Silent);
        assert_eq!(
            f.check(&[sid("service:gas"), sid("server:10.0.0.8")]),
            FilterResult::Silent
        );
    }

    #[test]
    fn not_supported_echoes_request() {
        let f = filter(Unmatched::NotSupported);
        let req = [sid("service:gas"), sid("server:10.0.0.8")];
        assert_eq!(
            f.check(&req),
            FilterResult::NotSupported(SidNotSupportedRepr {
                reason: NotSupportedReason::NotServed,
                sids: req.to_vec(),
            })
        );
    }
}
