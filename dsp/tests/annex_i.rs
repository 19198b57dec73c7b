//! Known-answer test of the blocks S1G shares with 802.11a, against the BCC example of
//! IEEE 802.11-2020 Annex I (ex-802.11a-1999 Annex G): a 100-octet PSDU at 36 Mb/s
//! (16-QAM, rate 3/4, N_CBPS 192, N_DBPS 144, 16-column interleaver).
//!
//! Checked: the CRC-32 FCS of the PSDU, the scrambler (`scrambler::Scrambler`), the BCC
//! encoder and puncturer (`bcc::encode`, `bcc::puncture`), the interleaver
//! (`interleaver::Interleaver`), the 16-QAM mapper (`mapping::map`), and the coding and
//! interleaving of the SIGNAL field. 802.11a's data field starts with a 16-bit SERVICE
//! (S1G's has 8), so these vectors exercise the blocks, not `tx`'s framing.
//!
//! Vectors: 802.11a-1999 Annex G tables as transcribed in jgaeddert/liquid-wlan
//! (annex-g-data/*.c), collected with the FCS caveat in /work/scratch/phy-facts.md §9.
//! Bit strings are written in transmission order (first bit leftmost).

use subgate_dsp::bcc;
use subgate_dsp::crc::{append_fcs, fcs_ok};
use subgate_dsp::interleaver::Interleaver;
use subgate_dsp::mapping;
use subgate_dsp::params::{CodeRate, Modulation};
use subgate_dsp::scrambler::Scrambler;
use subgate_dsp::Complex32;

/// Table G.1 (I.1): the PSDU without its FCS — a 24-octet MAC header and 72 octets of text
/// ("Joy, bright spark of divinity,\nDaughter of Elysium,\nFire-insired we trea", sic).
const PSDU_BODY: [u8; 96] = [
    0x04, 0x02, 0x00, 0x2E, 0x00, 0x60, 0x08, 0xCD, 0x37, 0xA6, 0x00, 0x20, 0xD6, 0x01, 0x3C, 0xF1,
    0x00, 0x60, 0x08, 0xAD, 0x3B, 0xAF, 0x00, 0x00, 0x4A, 0x6F, 0x79, 0x2C, 0x20, 0x62, 0x72, 0x69,
    0x67, 0x68, 0x74, 0x20, 0x73, 0x70, 0x61, 0x72, 0x6B, 0x20, 0x6F, 0x66, 0x20, 0x64, 0x69, 0x76,
    0x69, 0x6E, 0x69, 0x74, 0x79, 0x2C, 0x0A, 0x44, 0x61, 0x75, 0x67, 0x68, 0x74, 0x65, 0x72, 0x20,
    0x6F, 0x66, 0x20, 0x45, 0x6C, 0x79, 0x73, 0x69, 0x75, 0x6D, 0x2C, 0x0A, 0x46, 0x69, 0x72, 0x65,
    0x2D, 0x69, 0x6E, 0x73, 0x69, 0x72, 0x65, 0x64, 0x20, 0x77, 0x65, 0x20, 0x74, 0x72, 0x65, 0x61,
];

/// The FCS of `PSDU_BODY` as later editions of the Annex give it (zlib's CRC-32 agrees).
/// 802.11a-1999 Table G.1 prints DA 57 99 ED instead, which is not the CRC of these bytes
/// (phy-facts.md §9); only vectors of the last data symbol depend on it.
const FCS: [u8; 4] = [0x67, 0x33, 0x21, 0xB6];

/// Scrambler initial state of the example, "1011101" (Annex I / Table G.16 text). The
/// string is x1..x7 read left to right; it is a palindrome, so it reads the same as
/// x7..x1. Our register holds x7 in bit 6 down to x1 in bit 0, so the seed is 0b101_1101.
const SEED: u8 = 0b101_1101;

/// 802.11a SERVICE field: 16 bits, all zero before scrambling.
const SERVICE_BITS_11A: usize = 16;
/// Data bits per OFDM symbol at 36 Mb/s.
const N_DBPS: usize = 144;
/// Coded bits per OFDM symbol at 36 Mb/s.
const N_CBPS: usize = 192;
/// 802.11a data subcarriers: 48 data tones, 16 interleaver columns.
const N_COL: usize = 16;
/// Data field of the example: 16 SERVICE + 800 PSDU + 6 tail + 42 pad bits = 6 symbols.
const N_DATA_BITS: usize = 6 * N_DBPS;
/// Where the six tail bits sit (802.11a: right after the PSDU, zeroed after scrambling).
const TAIL_AT: usize = SERVICE_BITS_11A + 8 * 100;

/// Table G.13 (I.x "first 144 data bits before scrambling"): SERVICE + first 16 PSDU octets.
const DATA_144: &str = "0000000000000000001000000100000000000000011101000000000000000110\
                        0001000010110011111011000110010100000000000001000110101110000000\
                        0011110010001111";
/// Table G.16: the same 144 bits after scrambling with seed 1011101.
const SCRAMBLED_144: &str = "0110110000011001100010011000111101101000001000011111010010100101\
                             0110000101001111110101111010111000100100000011001111001100111010\
                             1110010010111100";
/// Table G.17: the last 144 scrambled bits (tail zeroed). Octets 8..11 hold scrambled FCS
/// bits: the 1999 table's 28 30 8C CA come from its wrong FCS; 95 16 91 10 are what the
/// correct FCS gives (phy-facts.md §9, recomputed independently for this test).
const SCRAMBLED_LAST_144: [u8; 18] = [
    0x7D, 0x8A, 0x27, 0x17, 0x39, 0x15, 0xA0, 0xEC, 0x95, 0x16, 0x91, 0x10, 0x00, 0xDC, 0x7F, 0x0E,
    0xF2, 0xC9,
];
/// Table G.18: coded bits of the first data symbol after rate-3/4 puncturing.
const CODED_192: &str = "0010101100001000101000011111000010011101101101011001101000011101\
                         0100101011111011111010001100001010001111110000001100100001110011\
                         1100000001000011111000000001100111100000110100111110101110110010";
/// Table G.21: the same 192 bits after the interleaver.
const INTERLEAVED_192: &str = "0111011111110000111011111100010001110011000000001011111100010001\
                               0001000010011010000111010001001001101110001110001111010101101001\
                               0001101101101011100110000100001100000000000011011011001101101101";
/// Table G.22: the 48 data tones of the first data symbol, k = −26..26 without the pilots
/// (±7, ±21) and DC, in units of 1/√10 (0.316 → 1, 0.949 → 3).
const SYMBOL_1: [(i8, i8); 48] = [
    (-1, 1),
    (-1, 1),
    (1, 1),
    (-3, -3),
    (1, 3), // −26..−22
    (1, 1),
    (1, -3),
    (-1, -3),
    (-1, 1),
    (-3, 1),
    (-3, -3),
    (-3, -3), // −20..−14
    (3, 1),
    (1, 1),
    (-3, -1),
    (-3, -1),
    (-3, -1),
    (-3, -3), // −13..−8
    (3, -1),
    (3, 3),
    (-3, -1),
    (1, -1),
    (-3, -1),
    (-3, 3), // −6..−1
    (-1, 3),
    (1, 3),
    (-3, 1),
    (3, -3),
    (1, 1),
    (-1, -1), // 1..6
    (-1, 3),
    (3, -1),
    (-3, -1),
    (3, 1),
    (-1, 3),
    (3, 1),
    (3, -1), // 8..14
    (3, -3),
    (-1, -3),
    (-3, 1),
    (-3, -3),
    (-3, -3),
    (-3, -3), // 15..20
    (1, -1),
    (3, 1),
    (-3, 1),
    (-1, 3),
    (1, -1), // 22..26
];

/// Table G.7: SIGNAL field, RATE 1011 (36 Mb/s), reserved 0, LENGTH 100 LSB first, even
/// parity 0, six tail zeros.
const SIGNAL_24: &str = "101100010011000000000000";
/// Table G.8: SIGNAL after the rate-1/2 BCC (octets D1 A1 02 3E 70 00).
const SIGNAL_CODED_48: &str = "110100011010000100000010001111100111000000000000";
/// Table G.9: SIGNAL after the BPSK interleaver (octets 94 D0 14 83 24 94).
const SIGNAL_INTERLEAVED_48: &str = "100101001101000000010100100000110010010010010100";

fn bits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| c - b'0')
        .collect()
}

fn text(b: &[u8]) -> String {
    b.iter().map(|&x| char::from(b'0' + x)).collect()
}

/// Asserts `got == want` bit by bit, naming the first difference.
fn assert_bits(what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "{what}: first differing bit {i}\n got  {}\n want {}",
            text(got),
            text(want)
        );
    }
}

/// The example's PSDU with its FCS appended by our `append_fcs`.
fn psdu() -> Vec<u8> {
    let mut p = PSDU_BODY.to_vec();
    append_fcs(&mut p);
    p
}

/// The 864-bit data field before scrambling: SERVICE, PSDU octets LSB first, tail, pad.
fn data_field() -> Vec<u8> {
    let mut b = vec![0u8; N_DATA_BITS];
    for (i, &o) in psdu().iter().enumerate() {
        for k in 0..8 {
            b[SERVICE_BITS_11A + 8 * i + k] = (o >> k) & 1;
        }
    }
    b
}

/// The data field scrambled with the example's seed, tail bits zeroed afterwards.
fn scrambled_field() -> Vec<u8> {
    let mut b = data_field();
    Scrambler::new(SEED).apply(&mut b);
    b[TAIL_AT..TAIL_AT + 6].fill(0);
    b
}

#[test]
fn fcs_is_the_later_editions_value() {
    let p = psdu();
    assert_eq!(p[96..], FCS);
    assert!(fcs_ok(&p));
}

#[test]
fn octets_go_on_air_lsb_first() {
    // Table G.13 is the unscrambled bit stream: this pins the bit order, not a block.
    assert_bits("G.13 data bits", &data_field()[..N_DBPS], &bits(DATA_144));
}

#[test]
fn scrambler_matches_table_g16() {
    assert_bits(
        "G.16 scrambled bits",
        &scrambled_field()[..N_DBPS],
        &bits(SCRAMBLED_144),
    );
    // the sequence from seed 1011101 begins 0110110 (Annex text)
    let mut s = Scrambler::new(SEED);
    let first: Vec<u8> = (0..7).map(|_| s.next_bit()).collect();
    assert_eq!(text(&first), "0110110");
}

#[test]
fn scrambler_matches_table_g17_after_six_periods() {
    let last: Vec<u8> = SCRAMBLED_LAST_144
        .iter()
        .flat_map(|&o| (0..8).rev().map(move |k| (o >> k) & 1))
        .collect();
    let f = scrambled_field();
    assert_bits(
        "G.17 last scrambled bits",
        &f[N_DATA_BITS - N_DBPS..],
        &last,
    );
}

#[test]
fn bcc_and_puncturing_match_table_g18() {
    let scrambled = bits(SCRAMBLED_144);
    let mut mother = vec![0u8; 2 * N_DBPS];
    bcc::encode(&scrambled, &mut mother);
    let mut coded = vec![0u8; 2 * N_DBPS];
    let n = bcc::puncture(CodeRate::R3_4, &mother, &mut coded);
    assert_eq!(n, N_CBPS);
    assert_eq!(bcc::punctured_len(CodeRate::R3_4, mother.len()), N_CBPS);
    assert_bits("G.18 coded bits", &coded[..n], &bits(CODED_192));
}

#[test]
fn interleaver_matches_table_g21() {
    let il = Interleaver::new(N_CBPS, Modulation::Qam16.bits_per_symbol(), N_COL);
    let mut out = vec![0u8; N_CBPS];
    il.interleave(&bits(CODED_192), &mut out);
    assert_bits("G.21 interleaved bits", &out, &bits(INTERLEAVED_192));
    let mut back = vec![0u8; N_CBPS];
    il.deinterleave(&out, &mut back);
    assert_bits("G.21 deinterleaved", &back, &bits(CODED_192));
}

#[test]
fn qam16_mapping_matches_table_g22() {
    let mut points = vec![Complex32::new(0.0, 0.0); 48];
    mapping::map(Modulation::Qam16, &bits(INTERLEAVED_192), &mut points);
    let scale = 10f32.sqrt();
    for (k, (p, &(i, q))) in points.iter().zip(&SYMBOL_1).enumerate() {
        let got = p * scale;
        assert!(
            (got.re - i as f32).abs() < 1e-5 && (got.im - q as f32).abs() < 1e-5,
            "G.22 data tone {k}: got {got} (×√10), want {i}{q:+}j"
        );
    }
}

#[test]
fn signal_field_coding_matches_tables_g7_to_g9() {
    // G.7 from its fields: RATE R1..R4, reserved, LENGTH (12 bits LSB first), parity, tail
    let mut signal = bits("1011");
    signal.push(0);
    signal.extend((0..12).map(|k| ((100u16 >> k) & 1) as u8));
    let parity = signal.iter().fold(0, |a, &b| a ^ b);
    signal.push(parity);
    signal.extend([0; 6]);
    assert_bits("G.7 SIGNAL bits", &signal, &bits(SIGNAL_24));

    let mut coded = vec![0u8; 48];
    bcc::encode(&signal, &mut coded);
    assert_bits("G.8 coded SIGNAL", &coded, &bits(SIGNAL_CODED_48));

    let il = Interleaver::new(48, Modulation::Bpsk.bits_per_symbol(), N_COL);
    let mut out = vec![0u8; 48];
    il.interleave(&coded, &mut out);
    assert_bits("G.9 interleaved SIGNAL", &out, &bits(SIGNAL_INTERLEAVED_48));
    // the S1G_SHORT SIG uses the same interleaver
    let mut out2 = vec![0u8; 48];
    Interleaver::for_sig_2m().interleave(&coded, &mut out2);
    assert_bits("for_sig_2m", &out2, &out);
}
