//! The SPI register bridge in rust-hdl simulation: a host's transactions (writes, reads, a
//! transaction cut short) against a register file answering on the bus as the front end does
//! (read data one clock after the address).

use rust_hdl::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use subgate_gateware::spi::SpiCsr;

/// System clocks per half SCLK period (SCLK = system clock / 16).
const HALF: usize = 8;

/// One SPI transaction: `bits` bits of `word` (most significant of the 40 first), returning
/// what MISO carried on each rising edge.
#[derive(Clone, Debug)]
struct Transaction {
    word: u64,
    bits: usize,
}

#[test]
fn spi_writes_and_reads_registers() {
    let write = |addr: u64, value: u64| Transaction {
        word: (1 << 39) | (addr << 32) | value,
        bits: 40,
    };
    let read = |addr: u64| Transaction {
        word: addr << 32,
        bits: 40,
    };
    let script = vec![
        write(0x05, 0xDEAD_BEEF),
        write(0x10, 0x1234_5678),
        read(0x05),
        // cut short: writes nothing
        Transaction {
            word: (1 << 39) | (0x05 << 32) | 0x0BAD_F00D,
            bits: 39,
        },
        read(0x05),
        read(0x10),
        read(0x33),
    ];
    let results = Arc::new(Mutex::new((
        Vec::<u32>::new(),
        Vec::<(u8, u32)>::new(),
        Vec::<u8>::new(),
    )));
    let mut uut = SpiCsr::default();
    uut.sclk.connect();
    uut.mosi.connect();
    uut.cs_n.connect();
    uut.csr_rdata.connect();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<SpiCsr>| x.clock.next = !x.clock.val());
    let (script_c, out) = (script.clone(), results.clone());
    sim.add_testbench(move |mut sim: Sim<SpiCsr>| {
        let mut x = sim.init()?;
        let mut regs: BTreeMap<u8, u32> = BTreeMap::new();
        regs.insert(0x33, 0x0F0F_A5A5);
        x.cs_n.next = true;
        x.sclk.next = false;
        x.mosi.next = false;
        wait_clock_true!(sim, clock, x);
        // one system clock: the register file answers as the front end's bus does
        macro_rules! clock_once {
            () => {{
                let addr = x.csr_addr.val().to_u32() as u8;
                if x.csr_write.val() {
                    let v = x.csr_wdata.val().to_u32();
                    regs.insert(addr, v);
                    out.lock().unwrap().1.push((addr, v));
                }
                if x.csr_read.val() {
                    out.lock().unwrap().2.push(addr);
                }
                let value = regs.get(&addr).copied().unwrap_or(0);
                wait_clock_cycle!(sim, clock, x);
                x.csr_rdata.next = Bits::<32>::from(u64::from(value));
            }};
        }
        for t in &script_c {
            x.cs_n.next = false;
            for _ in 0..HALF {
                clock_once!();
            }
            let mut got = 0u32;
            for b in 0..t.bits {
                x.mosi.next = (t.word >> (39 - b)) & 1 == 1;
                for _ in 0..HALF {
                    clock_once!();
                }
                x.sclk.next = true;
                if b >= 8 {
                    got = (got << 1) | u32::from(x.miso.val());
                }
                for _ in 0..HALF {
                    clock_once!();
                }
                x.sclk.next = false;
            }
            for _ in 0..HALF {
                clock_once!();
            }
            x.cs_n.next = true;
            for _ in 0..4 * HALF {
                clock_once!();
            }
            out.lock().unwrap().0.push(got);
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 200_000).unwrap();
    let (miso, writes, read_strobes) = results.lock().unwrap().clone();
    // reads: 0x05 (written), 0x05 again (the cut-short write changed nothing), 0x10, 0x33
    assert_eq!(miso[2], 0xDEAD_BEEF, "{miso:x?}");
    assert_eq!(miso[4], 0xDEAD_BEEF, "{miso:x?}");
    assert_eq!(miso[5], 0x1234_5678, "{miso:x?}");
    assert_eq!(miso[6], 0x0F0F_A5A5, "{miso:x?}");
    assert_eq!(writes, vec![(0x05, 0xDEAD_BEEF), (0x10, 0x1234_5678)]);
    // one read strobe per read transaction, with its address; none for the writes
    assert_eq!(read_strobes, vec![0x05, 0x05, 0x10, 0x33]);
}

#[test]
fn spi_verilog_lints() {
    if !subgate_gateware::tools::available("verilator") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "verilator is not installed but CI=true"
        );
        println!("SKIPPED spi_verilog_lints: verilator not installed");
        return;
    }
    let mut uut = SpiCsr::default();
    uut.connect_all();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("top.v"), generate_verilog(&uut)).unwrap();
    subgate_gateware::tools::verilator_lint(dir.path()).unwrap();
}
