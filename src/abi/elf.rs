//! The parts of the ELF format the loader reads (<linux/elf.h>,
//! <linux/elf-em.h>): identification, file types, the x86-64 machine,
//! program header types and flags, and the sizes of the 64-bit headers.

/// The first four bytes of every ELF file.
pub const ELFMAG: &[u8; 4] = b"\x7fELF";
/// Indexes into `e_ident`.
pub const EI_CLASS: usize = 4;
pub const EI_DATA: usize = 5;
/// `e_ident[EI_CLASS]`.
pub const ELFCLASS32: u8 = 1;
pub const ELFCLASS64: u8 = 2;
/// `e_ident[EI_DATA]`.
pub const ELFDATA2LSB: u8 = 1;
pub const ELFDATA2MSB: u8 = 2;

/// `e_type`.
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;

/// `e_machine`.
pub const EM_X86_64: u16 = 62;

/// `p_type`.
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_NOTE: u32 = 4;
pub const PT_GNU_STACK: u32 = 0x6474_e551;

/// A note's type: the GNU build ID (a hash of the linked output).
pub const NT_GNU_BUILD_ID: u32 = 3;

/// `p_flags`.
pub const PF_X: u32 = 0x1;
pub const PF_W: u32 = 0x2;

/// sizeof(Elf64_Ehdr).
pub const ELF64_EHDR_SIZE: usize = 64;
/// sizeof(Elf64_Phdr): Linux refuses any other `e_phentsize`.
pub const ELF64_PHDR_SIZE: usize = 56;
