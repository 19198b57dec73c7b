//! subgate's IEEE 802.11ah (S1G) OFDM physical layer.
//!
//! - [`tx`]: PSDU → samples (S1G_1M at 1 MHz, S1G_SHORT at 2 MHz).
//! - [`rx`]: streaming receiver, samples → PSDUs with [`frame::RxInfo`].
//! - [`channel`]: deterministic channel model (AWGN, CFO, clock offset, timing, multipath).
//! - [`resample`]: arbitrary-ratio resampler for oversampled output and recordings.
//!
//! Only [`frame::Psdu`], [`frame::RxInfo`] and [`frame::TxRequest`] cross into the MAC.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ampdu;
pub mod bcc;
pub mod channel;
pub mod crc;
pub mod frame;
pub mod interleaver;
pub mod mapping;
pub mod ofdm;
pub mod params;
pub mod per;
pub mod pilots;
pub mod preamble;
pub mod resample;
pub mod rng;
pub mod rx;
pub mod scene;
pub mod scrambler;
pub mod sig;
pub mod tx;
pub mod viterbi;

pub use frame::{LengthMode, Psdu, RxFrame, RxInfo, TxRequest};
pub use num_complex::Complex32;
pub use params::{Format, Gi, Mcs};
