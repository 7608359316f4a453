//! Path names as byte strings, taken lexically: no host, no guest state.
//! Below every layer that names files (the initramfs reader, the file
//! systems), as `abi` and `errno` are.

/// Lexically normalised components of an absolute path: empty and `.`
/// components dropped, `..` removing the one before it (and nothing at
/// the root).
pub(crate) fn components(abs: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = Vec::new();
    for c in abs.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
