//! The front end with its framer: [`FrontEnd`]'s records go straight into the [`Framer`],
//! so the block's output is the burst-stream byte stream (docs/burst-stream.md) with
//! back-pressure, ready for a link (the LimeSDR Mini's USB FIFO bridge, or a UART/SPI on the
//! development boards). Clock for clock the same as the model
//! [`subgate_dsp::frontend::stream`], whose module documentation gives the two registers the
//! framer adds to the front end's map (segments sent, samples dropped).

use crate::framer::Framer;
use crate::frontend::{FrontEnd, OUT_DELAY};
use rust_hdl::prelude::*;
use subgate_dsp::frontend::stream::{reg, FRONTEND_OUT_DELAY};

// `update` spells the two addresses as literals; the model's delay is the block's.
const _: () = assert!(
    reg::SEGMENTS == 0x17 && reg::DROPPED == 0x18 && OUT_DELAY as u64 == FRONTEND_OUT_DELAY
);

/// The front end with its framer (see the module documentation).
#[derive(LogicBlock)]
pub struct StreamFrontEnd {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per ADC sample (at most one per clock).
    pub in_valid: Signal<In, Bit>,
    /// ADC in-phase sample, signed 16-bit (12-bit samples left-justified).
    pub in_i: Signal<In, Signed<16>>,
    /// ADC quadrature sample, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// Register write strobe.
    pub csr_write: Signal<In, Bit>,
    /// Register address (word).
    pub csr_addr: Signal<In, Bits<8>>,
    /// Register write data.
    pub csr_wdata: Signal<In, Bits<32>>,
    /// The register at the previous clock's `csr_addr`.
    pub csr_rdata: Signal<Out, Bits<32>>,
    /// The link takes `out_data` at this clock's edge (when `out_valid`).
    pub out_ready: Signal<In, Bit>,
    /// `out_data` holds a byte of the stream.
    pub out_valid: Signal<Out, Bit>,
    /// The stream's next byte.
    pub out_data: Signal<Out, Bits<8>>,
    /// A burst started (the front end's record of its first sample; for LEDs).
    pub burst_started: Signal<Out, Bit>,
    /// The front end put out a record (for LEDs).
    pub record: Signal<Out, Bit>,
    fe: FrontEnd,
    framer: Framer,
    rdata: DFF<Bits<32>>,
}

impl StreamFrontEnd {
    /// A front end whose channels correlate over `lag` samples and keep `pre` samples before
    /// a detection, with its framer; registers at reset.
    ///
    /// # Panics
    /// As [`FrontEnd::new`].
    pub fn new(lag: usize, pre: usize) -> Self {
        StreamFrontEnd {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            csr_write: Default::default(),
            csr_addr: Default::default(),
            csr_wdata: Default::default(),
            csr_rdata: Default::default(),
            out_ready: Default::default(),
            out_valid: Default::default(),
            out_data: Default::default(),
            burst_started: Default::default(),
            record: Default::default(),
            fe: FrontEnd::new(lag, pre),
            framer: Framer::new(),
            rdata: Default::default(),
        }
    }
}

impl Logic for StreamFrontEnd {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rdata);
        self.fe.clock.next = self.clock.val();
        self.fe.in_valid.next = self.in_valid.val();
        self.fe.in_i.next = self.in_i.val();
        self.fe.in_q.next = self.in_q.val();
        self.fe.csr_write.next = self.csr_write.val();
        self.fe.csr_addr.next = self.csr_addr.val();
        self.fe.csr_wdata.next = self.csr_wdata.val();
        self.framer.clock.next = self.clock.val();
        self.framer.in_adc.next = self.in_valid.val();
        self.framer.in_valid.next = self.fe.out_valid.val();
        self.framer.in_end.next = self.fe.out_end.val();
        self.framer.in_start.next = self.fe.out_start.val();
        self.framer.in_channel.next = self.fe.out_channel.val();
        self.framer.in_index.next = self.fe.out_index.val();
        self.framer.in_i.next = self.fe.out_i.val();
        self.framer.in_q.next = self.fe.out_q.val();
        self.framer.out_ready.next = self.out_ready.val();
        // the framer's registers, read like the front end's (registered); the front end reads
        // 0 at these addresses
        self.rdata.d.next = 0.into();
        if self.csr_addr.val() == 0x17 {
            self.rdata.d.next = self.framer.segments.val();
        }
        if self.csr_addr.val() == 0x18 {
            self.rdata.d.next = self.framer.dropped.val();
        }
        self.csr_rdata.next = self.fe.csr_rdata.val() | self.rdata.q.val();
        self.out_valid.next = self.framer.out_valid.val();
        self.out_data.next = self.framer.out_data.val();
        self.burst_started.next = self.fe.out_valid.val() & self.fe.out_start.val();
        self.record.next = self.fe.out_valid.val() | self.fe.out_end.val();
    }
}
