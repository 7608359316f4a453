//! What `sweep::site_is_safe` said about the code around a trapped
//! `syscall`, remembered by the code's exact bytes: the verdict is a pure
//! function of those bytes, so a site whose surroundings are byte for
//! byte ones already judged is not decoded again. The on-disk cache keeps
//! the verdicts for the `syscall`s an image leaves to the trap path (its
//! red-zone sites), judged when the image was rewritten; a warm start
//! learns them from there, and a program whose red-zone sites trap then
//! never builds the decoder.

use super::{sweep, LOOKAHEAD, LOOKBEHIND, SYSCALL};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Verdicts kept at most (then forgotten all at once: they are only a
/// shortcut).
const MAX_KNOWN: usize = 4096;
/// Unrewritten `syscall`s judged per image at most when it is stored.
const MAX_JUDGED: usize = 256;

type Known = HashMap<(Vec<u8>, usize), bool>;
static KNOWN: Mutex<Option<Known>> = Mutex::new(None);

fn known_map() -> MutexGuard<'static, Option<Known>> {
    KNOWN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The verdict on the site at `code[off..]`, if these bytes were judged.
pub(crate) fn known(code: &[u8], off: usize) -> Option<bool> {
    known_map().as_ref()?.get(&(code.to_vec(), off)).copied()
}

pub(crate) fn remember(code: &[u8], off: usize, safe: bool) {
    let mut map = known_map();
    let map = map.get_or_insert_with(HashMap::new);
    if map.len() >= MAX_KNOWN {
        map.clear();
    }
    map.insert((code.to_vec(), off), safe);
}

/// A verdict kept with a cached image or code mapping (offsets into it):
/// the `syscall` at `site`, judged on the bytes from `from` to
/// LOOKAHEAD bytes after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub site: u64,
    pub from: u64,
    pub safe: bool,
}

impl Verdict {
    /// Its window lies in `bytes`, on a `syscall`.
    pub(crate) fn fits(&self, bytes: &[u8]) -> bool {
        self.window(bytes).is_some()
    }

    /// The bytes it was judged on and the site's offset in them; `None`
    /// when they do not lie in `bytes` as a trapped site's window would.
    fn window<'a>(&self, bytes: &'a [u8]) -> Option<(&'a [u8], usize)> {
        let off = self.site.checked_sub(self.from).filter(|&o| o <= LOOKBEHIND)?;
        let end = self.site.checked_add(2 + LOOKAHEAD).filter(|&e| e <= bytes.len() as u64)?;
        let code = &bytes[self.from as usize..end as usize];
        (code[off as usize..off as usize + 2] == SYSCALL).then_some((code, off as usize))
    }
}

/// Judges every `syscall` left in the code ranges `texts` (start, len) of
/// `bytes` that is not one of the rewritten `sites` (sorted), as the trap
/// path would when it traps there: with the window that starts at the
/// range's start or LOOKBEHIND bytes before the site.
pub(crate) fn judge_unrewritten(bytes: &[u8], texts: &[(u64, u64)], sites: &[u64]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for &(start, len) in texts {
        let end = start.saturating_add(len).min(bytes.len() as u64);
        let mut at = start;
        while at.saturating_add(1) < end && out.len() < MAX_JUDGED {
            let i = at as usize;
            if bytes[i..i + 2] == SYSCALL && sites.binary_search(&at).is_err() {
                let from = at.saturating_sub(LOOKBEHIND).max(start);
                let v = Verdict { site: at, from, safe: false };
                if let Some((code, off)) = v.window(bytes) {
                    out.push(Verdict { safe: sweep::site_is_safe(code, from, off), ..v });
                }
            }
            at += 1;
        }
    }
    out
}

/// Makes the verdicts of a cached image known, without decoding.
pub(crate) fn learn(bytes: &[u8], verdicts: &[Verdict]) {
    for v in verdicts {
        if let Some((code, off)) = v.window(bytes) {
            remember(code, off, v.safe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_judged_at_store_are_the_trap_paths() {
        // 100 nops; mov [rsp-8], rdi; syscall (unsafe); 100 nops; syscall
        // (safe); 70 nops.
        let mut code = vec![0x90u8; 100];
        code.extend_from_slice(&[0x48, 0x89, 0x7c, 0x24, 0xf8, 0x0f, 0x05]);
        code.extend(std::iter::repeat_n(0x90, 100));
        code.extend_from_slice(&[0x0f, 0x05]);
        code.extend(std::iter::repeat_n(0x90, 70));
        let v = judge_unrewritten(&code, &[(0, code.len() as u64)], &[]);
        assert_eq!(v.len(), 2);
        assert!(!v[0].safe && v[1].safe);
        // A rewritten site is not judged.
        assert_eq!(judge_unrewritten(&code, &[(0, code.len() as u64)], &[v[0].site]).len(), 1);
        learn(&code, &v);
        for x in &v {
            let (w, off) = x.window(&code).unwrap();
            assert_eq!(known(w, off), Some(x.safe));
            assert_eq!(sweep::site_is_safe(w, 0, off), x.safe);
        }
        // Other bytes, no verdict.
        let mut other = code.clone();
        other[v[1].site as usize - 1] = 0x91;
        let (w, off) = v[1].window(&other).unwrap();
        assert_eq!(known(w, off), None);
    }
}
