//! Names for guest code addresses: the function a crashed guest was in,
//! from its executable's symbol table (when it has one).

use super::machine::Machine;
use goblin::elf::{sym::STT_FUNC, Elf};
use std::io::Read;

/// Largest executable read for symbols; a crash report is not worth more.
const MAX_EXE: u64 = 256 << 20;

/// `symbol+0xoff` for `addr` in the image of guest executable `exe`
/// (a guest path) loaded with `load_bias`, or None.
pub(crate) fn symbolize(m: &Machine, exe: &[u8], load_bias: u64, addr: u64) -> Option<String> {
    let mut path = exe.to_vec();
    path.push(0);
    let cpath = std::ffi::CStr::from_bytes_with_nul(&path).ok()?;
    let fd = m.root.openat(cpath, libc::O_RDONLY | libc::O_CLOEXEC, 0).ok()?;
    let mut bytes = Vec::new();
    std::fs::File::from(fd).take(MAX_EXE).read_to_end(&mut bytes).ok()?;
    let elf = Elf::parse(&bytes).ok()?;
    let at = addr.checked_sub(load_bias)?;
    let (syms, strtab) = if elf.syms.is_empty() { (&elf.dynsyms, &elf.dynstrtab) } else { (&elf.syms, &elf.strtab) };
    syms.iter()
        .filter(|s| s.st_type() == STT_FUNC && s.st_value <= at && at < s.st_value.saturating_add(s.st_size.max(1)))
        .find_map(|s| {
            let name = strtab.get_at(s.st_name)?;
            Some(format!("{name}+{:#x}", at - s.st_value))
        })
}
