//! subgate's control plane: the access-point side of the M2M service.
//!
//! So far: [`wire`], the 802.11 / S1G MAC frames and subgate's M2M elements, each as a
//! zero-copy view plus an owned `Repr` with `parse`/`emit` (smoltcp style). The gateway,
//! registrar, scheduler and report store come next (issue 4).
//!
//! # Example: an M2M element in a probe request, parsed back
//! ```
//! use subgate_control::wire::m2m::{M2mElement, Sid, SidList};
//! use subgate_control::wire::mac::{HeaderRepr, SeqCtrl};
//! use subgate_control::wire::{mgmt, Frame, MacAddr};
//!
//! let sids = SidList { sids: vec![Sid::service("metering")?] };
//! let probe = Frame::ProbeRequest(mgmt::ProbeRequestRepr {
//!     header: HeaderRepr {
//!         flags: 0,
//!         duration: 0,
//!         addr1: MacAddr::BROADCAST,
//!         addr2: "02:00:00:00:10:0a".parse()?,
//!         addr3: MacAddr::BROADCAST,
//!         seq_ctrl: SeqCtrl::new(1, 0),
//!     },
//!     elements: vec![M2mElement::SidList(sids.clone()).to_ie()?],
//! });
//! let bytes = probe.to_bytes();
//! let Frame::ProbeRequest(back) = Frame::parse(&bytes)? else { panic!("not a probe") };
//! let mut raw = vec![0u8; back.elements[0].buffer_len()];
//! back.elements[0].emit(&mut raw);
//! let (_, element) = M2mElement::parse_element(&raw)?;
//! assert_eq!(element, M2mElement::SidList(sids));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `control` knows nothing of samples: frames arrive as `subgate_dsp::Psdu` with
//! `subgate_dsp::RxInfo`, and leave as `subgate_dsp::TxRequest`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aggregate;
pub mod charging;
pub mod config;
pub mod eap;
pub mod gateway;
pub mod groups;
pub mod northbound;
pub mod radius;
pub mod registrar;
pub mod regulatory;
pub mod rsn;
pub mod scheduler;
pub mod station;
pub mod store;
pub mod wire;
