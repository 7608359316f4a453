//! Links the `nommu` binary at a fixed address, as a static non-PIE
//! executable (tools/nommu-cc): its start-up then relocates nothing.
//!
//! The address is high, far from where fixed-address guests are linked
//! (0x400000, 0x8048000, 0x10000 ... up to the low gigabytes: they must be
//! mapped at their link addresses, outside the arena), and far below the
//! top of the address space, where the kernel places the arena and other
//! mappings. Tests and examples stay static-pie.
fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,-Ttext-segment=0x6f0000000000");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=tools/nommu-cc");
}
