//! What a seccomp filter is made of: the filter modes and return values
//! and `struct seccomp_data` (<linux/seccomp.h>), classic BPF opcodes
//! (<linux/bpf_common.h>), and the architectures it sees (<linux/audit.h>).

pub const SECCOMP_SET_MODE_FILTER: u64 = 1;
pub const SECCOMP_FILTER_FLAG_TSYNC: u64 = 1;

/// What a filter answers.
pub const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
pub const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

/// What a filter reads: the syscall and where it came from.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeccompData {
    pub nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

/// Instruction classes.
pub const BPF_LD: u16 = 0x00;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
/// Sizes and modes of a load.
pub const BPF_W: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
/// Jumps.
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_JGT: u16 = 0x20;
pub const BPF_JGE: u16 = 0x30;
/// The operand is the constant `k`.
pub const BPF_K: u16 = 0x00;

/// `seccomp_data.arch` of x86-64 syscalls, and of i386 ones (int 0x80).
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;

const _: () = assert!(std::mem::size_of::<SeccompData>() == 64);
