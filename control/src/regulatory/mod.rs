//! Regulatory transmit limits (issue 10; DESIGN §4): every frame the gateway sends is
//! checked against the duty cycle of its sub-band and any dwell limit per channel before it
//! is queued, and the airtime used is counted per sub-band for the operator.
//!
//! - [`rules`]: the limits per region and profile, read from the band plans in
//!   `boards/bands/` (each entry cites its source).
//! - [`ledger`]: airtime in a sliding window, conservative whatever order frames are
//!   decided in.
//! - [`governor`]: the gateway's side: which limits a channel falls under, admission per
//!   frame class (answers to probes give way first, acks of reports last), and the usage
//!   report.

pub mod governor;
pub mod ledger;
pub mod rules;

pub use governor::{FrameClass, LimitUse, TxGovernor};
pub use ledger::DutyLedger;
pub use rules::{RegionRules, SubbandRule};
