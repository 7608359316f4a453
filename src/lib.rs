//! nommu: a user-space no-MMU Linux machine.
//!
//! Guest programs run natively in one flat arena; their `syscall`
//! instructions are rewritten into calls into this kernel (zpoline).
//! See docs/architecture.md for the architecture and its invariants.

// `unsafe` lives only in `arch` and `mm` (each block with its SAFETY
// line); the other modules deny it.
//
// Arithmetic on guest-supplied addresses and lengths is checked in `mm`
// and `kernel::regions` (denied there by Cargo.toml's lint). The modules
// allowed here compute with host values (register images, instruction
// bytes, file offsets the host kernel checks) or go through `mm` for every
// guest range.
#[deny(unsafe_code)]
pub mod abi;
#[allow(clippy::arithmetic_side_effects)]
pub mod arch;
#[deny(unsafe_code)]
pub mod errno;
#[allow(clippy::arithmetic_side_effects)]
#[deny(unsafe_code)]
pub mod fs;
// initrd computes offsets inside the archive it holds, each bounded by its
// length (sizes from headers are checked against it before use).
#[allow(clippy::arithmetic_side_effects)]
#[deny(unsafe_code)]
pub mod initrd;
#[deny(unsafe_code)]
pub mod kernel;
#[allow(clippy::arithmetic_side_effects)]
#[deny(unsafe_code)]
pub mod loader;
pub mod mm;
#[deny(unsafe_code)]
mod pathname;
#[allow(clippy::arithmetic_side_effects)]
#[deny(unsafe_code)]
pub mod rewrite;
#[allow(clippy::arithmetic_side_effects)]
#[deny(unsafe_code)]
pub mod runloop;
#[allow(clippy::arithmetic_side_effects)]
#[deny(unsafe_code)]
pub mod syscall;

pub use kernel::{ExitStatus, Machine, MachineConfig, Reserve};

/// Parses sizes like `256M`, `1G`, `65536`, `64k`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("256M"), Some(256 << 20));
        assert_eq!(super::parse_size("4k"), Some(4096));
        assert_eq!(super::parse_size("1G"), Some(1 << 30));
        assert_eq!(super::parse_size("12"), Some(12));
        assert_eq!(super::parse_size("x"), None);
    }
}
