//! Links the `nommu` binary at a fixed address, as a static non-PIE
//! executable (tools/nommu-cc): its start-up then relocates nothing.
//!
//! The address is high, far from where fixed-address guests are linked
//! (0x400000, 0x8048000, 0x10000 ... up to the low gigabytes: they must be
//! mapped at their link addresses, outside the arena), and far below the
//! top of the address space, where the kernel places the arena and other
//! mappings. Tests and examples stay static-pie.
//!
//! The functions start-up runs go first, together, in the order it runs
//! them (`tools/startup-order.ld`, made by `make startup-order`): a
//! `nommu run` then faults in a few 64 KiB windows of its text instead of
//! one for nearly every function it calls.
fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,-Ttext-segment=0x6f0000000000");
    let order = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/startup-order.ld");
    if order.exists() {
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", order.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=tools/nommu-cc");
    println!("cargo:rerun-if-changed=tools/startup-order.ld");
}
