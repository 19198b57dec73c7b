//! subgate's control plane: the access-point side of the M2M service.
//!
//! So far: [`wire`], the 802.11 / S1G MAC frames and subgate's M2M elements, each as a
//! zero-copy view plus an owned `Repr` with `parse`/`emit` (smoltcp style). The gateway,
//! registrar, scheduler and report store come next (issue 4).
//!
//! `control` knows nothing of samples: frames arrive as `subgate_dsp::Psdu` with
//! `subgate_dsp::RxInfo`, and leave as `subgate_dsp::TxRequest`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod wire;
