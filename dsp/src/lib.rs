//! subgate's IEEE 802.11ah (S1G) OFDM physical layer.
//!
//! - [`tx`]: PSDU → samples (S1G_1M at 1 MHz, S1G_SHORT at 2 MHz).
//! - [`rx`]: streaming receiver, samples → PSDUs with [`frame::RxInfo`].
//! - [`channel`]: deterministic channel model (AWGN, CFO, clock offset, timing, multipath).
//! - [`channelizer`]: polyphase filter bank splitting a wideband stream into channels.
//! - [`wideband`]: every channel of a band decoded in parallel, frames merged in time order.
//! - [`resample`]: arbitrary-ratio resampler for oversampled output and recordings.
//! - [`frontend`]: fixed-point models of the FPGA front end (bit-exact with `subgate-gateware`).
//!
//! Only [`frame::Psdu`], [`frame::RxInfo`] and [`frame::TxRequest`] cross into the MAC.
//!
//! # Example: a frame through the channel model and back
//! ```
//! use subgate_dsp::channel::{apply, ChannelConfig};
//! use subgate_dsp::crc::append_fcs;
//! use subgate_dsp::rx::{receive_all, ReceiverConfig};
//! use subgate_dsp::{tx, Format, Mcs, TxRequest};
//!
//! let mut psdu = b"meter 17: 1234.5 kWh".to_vec();
//! append_fcs(&mut psdu);
//! let req = TxRequest::new(psdu.clone(), Format::S1g1M, Mcs(10));
//! let samples = tx::modulate(&req)?;
//! // 5 dB SNR, 20 kHz carrier offset, 20 ppm clock offset
//! let channel = ChannelConfig { snr_db: Some(5.0), cfo_hz: 20e3, sco_ppm: 20.0, ..Default::default() };
//! let received = apply(&channel, &samples, 500);
//! let (frames, stats) = receive_all(ReceiverConfig::new(Format::S1g1M), &received);
//! assert_eq!(frames.len(), 1, "{stats:?}");
//! assert_eq!(frames[0].psdu, psdu);
//! assert_eq!(frames[0].info.mcs, Mcs(10));
//! # Ok::<(), subgate_dsp::tx::TxError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ampdu;
pub mod bcc;
pub mod channel;
pub mod channelizer;
pub mod crc;
pub mod frame;
pub mod frontend;
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
pub mod wideband;

pub use frame::{LengthMode, Psdu, RxFrame, RxInfo, TxRequest};
pub use num_complex::Complex32;
pub use params::{Format, Gi, Mcs};
