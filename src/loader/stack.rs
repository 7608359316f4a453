//! The initial process stack, laid out as Linux's `create_elf_tables` does:
//!
//! ```text
//!   high  8 zero bytes | execfn | env strings | arg strings
//!         platform ("x86_64") | 16 random bytes | (align 16)
//!         auxv pairs ... AT_NULL | envp ... NULL | argv ... NULL | argc  <- rsp
//! ```

use super::arglist::ArgList;
use crate::abi::auxv::{AT_EXECFN, AT_NULL, AT_PLATFORM, AT_RANDOM};
use crate::abi::utsname::UTS_MACHINE;
use crate::errno::{Errno, SysResult};
use crate::mm::UserMemory;

/// Everything the initial stack needs besides strings.
pub(crate) struct StackSpec<'a> {
    pub argv: &'a ArgList,
    pub envp: &'a ArgList,
    pub execfn: &'a [u8],
    /// Auxv entries except AT_PLATFORM, AT_RANDOM, AT_EXECFN (added here).
    pub auxv: &'a [(u64, u64)],
    pub random: [u8; 16],
}

fn cstr_len(s: &[u8]) -> u64 {
    s.len() as u64 + 1
}

/// The addresses of `list`'s strings, its buffer written at `at`.
fn pointers(list: &ArgList, at: u64) -> impl Iterator<Item = u64> + '_ {
    (0..list.len()).map(move |i| at + list.offset(i).unwrap_or(0) as u64)
}

/// Writes the stack below `top` and returns the initial rsp.
pub(crate) fn build_initial_stack(mem: &UserMemory, top: u64, limit: u64, spec: &StackSpec<'_>) -> SysResult<u64> {
    let strings: u64 = 8
        + cstr_len(spec.execfn)
        + spec.envp.nul_joined().len() as u64
        + spec.argv.nul_joined().len() as u64
        + cstr_len(UTS_MACHINE)
        + 16;
    let nauxv = spec.auxv.len() as u64 + 4; // + platform, random, execfn, null
    let table_words = 1 + spec.argv.len() as u64 + 1 + spec.envp.len() as u64 + 1 + 2 * nauxv;
    let need = strings + 16 + 8 * table_words;
    if need > limit {
        return Err(Errno::E2BIG);
    }

    // Strings, top down.
    let mut p = top - 8;
    mem.write(p, &[0u8; 8])?;
    // A string and its NUL, or a list's strings as they lie in its
    // buffer, NULs and all (one write; the pointers are its offsets).
    let mut push = |bytes: &[u8], nul: bool| -> SysResult<u64> {
        p -= bytes.len() as u64 + u64::from(nul);
        mem.write(p, bytes)?;
        if nul {
            mem.write(p + bytes.len() as u64, &[0])?;
        }
        Ok(p)
    };
    let execfn = push(spec.execfn, true)?;
    let env_at = push(spec.envp.nul_joined(), false)?;
    let arg_at = push(spec.argv.nul_joined(), false)?;
    let platform = push(UTS_MACHINE, true)?;
    p -= 16;
    mem.write(p, &spec.random)?;
    let random = p;

    // The table; rsp must be 16-byte aligned at argc.
    let mut words: Vec<u64> = Vec::with_capacity(table_words as usize);
    words.push(spec.argv.len() as u64);
    words.extend(pointers(spec.argv, arg_at));
    words.push(0);
    words.extend(pointers(spec.envp, env_at));
    words.push(0);
    for &(k, v) in spec.auxv {
        words.extend([k, v]);
    }
    words.extend([AT_PLATFORM, platform, AT_RANDOM, random, AT_EXECFN, execfn, AT_NULL, 0]);
    let rsp = (p - 8 * words.len() as u64) & !15;
    let mut bytes = Vec::with_capacity(words.len() * 8);
    for w in &words {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    mem.write(rsp, &bytes)?;
    Ok(rsp)
}
