//! Wire formats: every frame and element the gateway sends or receives.
//!
//! # The contract (as in smoltcp's `wire`)
//! - `Packet::new_checked(buf)` checks every length the accessors rely on; after it, no
//!   accessor panics. `Packet::new_unchecked` is for emitting into a buffer of the right size.
//! - `Repr::parse(&packet)` turns a checked view into an owned value, or a [`Error`] saying
//!   why not — never a panic, whatever the bytes (property tests feed arbitrary input).
//! - `Repr::buffer_len()` is the exact size of the emitted bytes and `Repr::emit(&mut packet)`
//!   never panics on a buffer of that size. `emit(parse(x)) == x` for every valid frame.
//! - Unknown code points and elements are kept (`Unknown(n)`, raw bytes) so they survive a
//!   parse/emit round trip.
//!
//! Multi-byte fields are little endian, as 802.11 sends them.

pub mod ack;
pub mod data;
pub mod eapol;
pub mod element;
pub mod frame;
pub mod ie;
pub mod m2m;
pub mod mac;
pub mod mgmt;
pub mod s1g_beacon;

pub use element::{Element, ElementId, Elements};
pub use frame::Frame;
pub use ie::Ie;
pub use mac::MacAddr;
pub use mac::{strip_fcs, with_fcs, FrameControl, FrameKind, FrameType, HeaderRepr, SeqCtrl};

use std::fmt;

/// Why bytes were not accepted as a frame or element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// Shorter than the fixed part, or than a length field says.
    Truncated,
    /// Longer than any valid encoding (e.g. bytes after the last element of a fixed-size body).
    Oversized,
    /// A field holds a value the format forbids, or fields contradict each other.
    Malformed,
    /// Valid 802.11, but a frame type or version this gateway does not handle.
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::Oversized => "oversized",
            Error::Malformed => "malformed",
            Error::Unsupported => "unsupported",
        })
    }
}

impl std::error::Error for Error {}

/// Result of parsing.
pub type Result<T> = core::result::Result<T, Error>;

/// A named byte range inside a header.
pub type Field = core::ops::Range<usize>;

/// Hex text (two digits a byte, either case) as bytes; `None` for an odd length, a
/// non-ASCII character or a non-hex digit. One parser for SIDs, config keys and commands.
pub(crate) fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Reads a little-endian `u16` from the first two bytes (callers checked the length).
pub(crate) fn read_u16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

/// Reads a little-endian `u32` from the first four bytes (callers checked the length).
pub(crate) fn read_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

/// Reads a little-endian `u64` from the first eight bytes (callers checked the length).
pub(crate) fn read_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Checks that a payload of `len` bytes is exactly `want` bytes long.
pub(crate) fn check_exact(len: usize, want: usize) -> Result<()> {
    match len.cmp(&want) {
        core::cmp::Ordering::Less => Err(Error::Truncated),
        core::cmp::Ordering::Greater => Err(Error::Oversized),
        core::cmp::Ordering::Equal => Ok(()),
    }
}

/// Declares a code-point enum whose unknown values survive as `Unknown(n)`, with `From`
/// both ways (smoltcp's `enum_with_unknown!`).
#[macro_export]
macro_rules! enum_with_unknown {
    (
        $( #[$enum_attr:meta] )*
        pub enum $name:ident($ty:ty) {
            $(
                $( #[$variant_attr:meta] )*
                $variant:ident = $value:expr
            ),+ $(,)?
        }
    ) => {
        $( #[$enum_attr] )*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(
                $( #[$variant_attr] )*
                $variant
            ),*,
            /// A value this version does not name.
            Unknown($ty)
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant ),*,
                    other => $name::Unknown(other)
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value ),*,
                    $name::Unknown(other) => other
                }
            }
        }
    }
}
