//! The test source that feeds the front end on development boards (no radio): 12-bit I/Q
//! noise from a xorshift32 generator, left-justified to 16 bits as the LMS7002M's samples go
//! in, one sample every [`DIVIDER`] fabric clocks (16.7 Msps at 100 MHz). The sequence is
//! fixed, so a host can run [`samples`] through the front end's model and compare the
//! signature register with the board's.

use rust_hdl::prelude::*;

/// Fabric clocks per sample.
pub const DIVIDER: u64 = 6;
/// Initial state of the generator (after configuration).
pub const SEED: u32 = 0x2545_F491;

/// One xorshift32 step (13, 17, 5).
pub fn next(x: u32) -> u32 {
    let x = x ^ (x << 13);
    let x = x ^ (x >> 17);
    x ^ (x << 5)
}

/// The first `n` samples: from each new state, I = bits 31..20, Q = bits 19..8, each × 16.
pub fn samples(n: usize) -> Vec<(i16, i16)> {
    let mut x = SEED;
    (0..n)
        .map(|_| {
            x = next(x);
            let i = ((x >> 20) as u16) << 4;
            let q = (((x >> 8) & 0xfff) as u16) << 4;
            (i as i16, q as i16)
        })
        .collect()
}

/// The test source block.
#[derive(LogicBlock)]
pub struct TestSource {
    /// Fabric clock.
    pub clock: Signal<In, Clock>,
    /// One clock per sample.
    pub out_valid: Signal<Out, Bit>,
    /// In-phase sample (12 bits left-justified).
    pub out_i: Signal<Out, Signed<16>>,
    /// Quadrature sample (12 bits left-justified).
    pub out_q: Signal<Out, Signed<16>>,
    state: DFFWithInit<Bits<32>>,
    step: Signal<Local, Bits<32>>,
    step2: Signal<Local, Bits<32>>,
    step3: Signal<Local, Bits<32>>,
    count: DFF<Bits<4>>,
    last: Constant<Bits<4>>,
    valid: DFF<Bit>,
}

impl Default for TestSource {
    fn default() -> Self {
        TestSource {
            clock: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            state: DFFWithInit::new(Bits::<32>::from(u64::from(SEED))),
            step: Default::default(),
            step2: Default::default(),
            step3: Default::default(),
            count: Default::default(),
            last: Constant::new(Bits::<4>::from(DIVIDER - 1)),
            valid: Default::default(),
        }
    }
}

impl Logic for TestSource {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, count, valid);
        self.step.next = self.state.q.val() ^ (self.state.q.val() << 13);
        self.step2.next = self.step.val() ^ (self.step.val() >> 17);
        self.step3.next = self.step2.val() ^ (self.step2.val() << 5);
        self.valid.d.next = false;
        self.count.d.next = self.count.q.val() + 1;
        if self.count.q.val() == self.last.val() {
            self.count.d.next = 0.into();
            self.state.d.next = self.step3.val();
            self.valid.d.next = true;
        }
        self.out_valid.next = self.valid.q.val();
        self.out_i.next =
            signed_cast(bit_cast::<16, 12>(self.state.q.val().get_bits::<12>(20)) << 4);
        self.out_q.next =
            signed_cast(bit_cast::<16, 12>(self.state.q.val().get_bits::<12>(8)) << 4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn block_gives_the_model_samples() {
        let want = samples(200);
        let got = Arc::new(Mutex::new(Vec::new()));
        let mut uut = TestSource::default();
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_clock(5, |x: &mut Box<TestSource>| x.clock.next = !x.clock.val());
        let sink = got.clone();
        sim.add_testbench(move |mut sim: Sim<TestSource>| {
            let mut x = sim.init()?;
            let mut gaps = Vec::new();
            let mut since = 0u64;
            while sink.lock().unwrap().len() < 200 {
                wait_clock_cycle!(sim, clock, x);
                since += 1;
                if x.out_valid.val() {
                    sink.lock().unwrap().push((
                        unsigned_cast(x.out_i.val()).to_u16() as i16,
                        unsigned_cast(x.out_q.val()).to_u16() as i16,
                    ));
                    gaps.push(since);
                    since = 0;
                }
            }
            // one sample every DIVIDER clocks after the first
            sim_assert!(sim, gaps[1..].iter().all(|&g| g == DIVIDER), x);
            sim.done(x)
        });
        sim.run(Box::new(uut), 100_000).unwrap();
        assert_eq!(*got.lock().unwrap(), want);
    }
}
