//! The development top level in rust-hdl simulation: a host on the SPI pins reads the front
//! end's identification and channel-count registers, writes a frequency word and the hold
//! and reads them back, while the test source runs — the board's wiring (PLL pass-through in
//! simulation, test source, SPI bridge, register bus) end to end.

use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};
use subgate_boards::top::DevTop;
use subgate_dsp::frontend::top::{reg, ID};

/// Board clocks per half SCLK period.
const HALF: usize = 8;

#[test]
fn host_reads_and_writes_registers_over_spi() {
    let write = |addr: u8, value: u32| (1u64 << 39) | (u64::from(addr) << 32) | u64::from(value);
    let read = |addr: u8| u64::from(addr) << 32;
    let script = vec![
        read(reg::ID),
        read(reg::CHANNELS),
        write(reg::FREQ + 2, 0x1234_5678),
        write(reg::HOLD, 4321),
        read(reg::FREQ + 2),
        read(reg::HOLD),
        read(reg::FREQ + 1),
    ];
    let got = Arc::new(Mutex::new(Vec::new()));
    let mut uut = DevTop::new(true);
    uut.clk_in.connect();
    uut.spi_sclk.connect();
    uut.spi_mosi.connect();
    uut.spi_cs_n.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<DevTop>| x.clk_in.next = !x.clk_in.val());
    let (script_c, out) = (script.clone(), got.clone());
    sim.add_testbench(move |mut sim: Sim<DevTop>| {
        let mut x = sim.init()?;
        x.spi_cs_n.next = true;
        x.spi_sclk.next = false;
        x.spi_mosi.next = false;
        wait_clock_true!(sim, clk_in, x);
        for word in &script_c {
            x.spi_cs_n.next = false;
            for _ in 0..HALF {
                wait_clock_cycle!(sim, clk_in, x);
            }
            let mut value = 0u32;
            for b in 0..40 {
                x.spi_mosi.next = (word >> (39 - b)) & 1 == 1;
                for _ in 0..HALF {
                    wait_clock_cycle!(sim, clk_in, x);
                }
                x.spi_sclk.next = true;
                if b >= 8 {
                    value = (value << 1) | u32::from(x.spi_miso.val());
                }
                for _ in 0..HALF {
                    wait_clock_cycle!(sim, clk_in, x);
                }
                x.spi_sclk.next = false;
            }
            x.spi_cs_n.next = true;
            for _ in 0..4 * HALF {
                wait_clock_cycle!(sim, clk_in, x);
            }
            out.lock().unwrap().push(value);
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 1_000_000).unwrap();
    let got = got.lock().unwrap().clone();
    assert_eq!(got[0], ID, "{got:x?}");
    assert_eq!(got[1], 4, "{got:x?}");
    assert_eq!(got[4], 0x1234_5678, "{got:x?}");
    assert_eq!(got[5], 4321, "{got:x?}");
    assert_eq!(got[6], 0, "{got:x?}");
}
