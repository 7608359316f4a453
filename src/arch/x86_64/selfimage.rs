//! nommu's own executable image, as the host mapped it.

use crate::abi::elf::{NT_GNU_BUILD_ID, PT_LOAD, PT_NOTE};

extern "C" {
    /// The linker's symbol for the image's own ELF header.
    static __ehdr_start: libc::Elf64_Ehdr;
}

/// The GNU build ID note of nommu's own image (a hash the linker computed
/// over the output: another build, another ID), or `None` when it was
/// linked without one. Read from memory: no host call.
pub fn build_id() -> Option<&'static [u8]> {
    let ehdr = &raw const __ehdr_start;
    // SAFETY: __ehdr_start is this image's ELF header, mapped (in its
    // first loaded segment) for the process's lifetime; its program
    // headers are in that segment too (the linker puts them there).
    let phdrs: &'static [libc::Elf64_Phdr] = unsafe {
        let e = &*ehdr;
        std::slice::from_raw_parts(ehdr.cast::<u8>().add(e.e_phoff as usize).cast(), e.e_phnum as usize)
    };
    // The load bias (0 for a non-PIE image): where the header is, against
    // the address its segment says.
    let first = phdrs.iter().find(|p| p.p_type == PT_LOAD && p.p_offset == 0)?;
    let bias = (ehdr as usize).wrapping_sub(first.p_vaddr as usize);
    for p in phdrs.iter().filter(|p| p.p_type == PT_NOTE) {
        // SAFETY: a PT_NOTE segment of this image lies inside a loaded
        // segment (its p_vaddr plus the bias), mapped for the process's
        // lifetime.
        let notes: &'static [u8] = unsafe {
            std::slice::from_raw_parts(bias.wrapping_add(p.p_vaddr as usize) as *const u8, p.p_filesz as usize)
        };
        if let Some(id) = find_build_id(notes) {
            return Some(id);
        }
    }
    None
}

/// The descriptor of the first NT_GNU_BUILD_ID note named "GNU" in a
/// note segment's bytes.
fn find_build_id(mut notes: &[u8]) -> Option<&[u8]> {
    let word = |b: &[u8], at: usize| -> Option<usize> {
        let w: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_ne_bytes(w) as usize)
    };
    let align4 = |n: usize| n.checked_next_multiple_of(4);
    while notes.len() >= 12 {
        let (namesz, descsz, kind) = (word(notes, 0)?, word(notes, 4)?, word(notes, 8)?);
        let name_end = 12usize.checked_add(align4(namesz)?)?;
        let desc_end = name_end.checked_add(align4(descsz)?)?;
        let name = notes.get(12..12usize.checked_add(namesz)?)?;
        let desc = notes.get(name_end..name_end.checked_add(descsz)?)?;
        if kind == NT_GNU_BUILD_ID as usize && name == b"GNU\0" && !desc.is_empty() {
            return Some(desc);
        }
        notes = notes.get(desc_end..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_id_note_is_found_among_others() {
        let mut n = Vec::new();
        for (name, kind, desc) in [(&b"XYZ\0\0"[..], 3u32, &[9u8; 5][..]), (b"GNU\0", 3, &[1, 2, 3, 4, 5, 6, 7, 8])] {
            n.extend((name.len() as u32).to_ne_bytes());
            n.extend((desc.len() as u32).to_ne_bytes());
            n.extend(kind.to_ne_bytes());
            n.extend(name);
            n.resize(n.len().next_multiple_of(4), 0);
            n.extend(desc);
            n.resize(n.len().next_multiple_of(4), 0);
        }
        assert_eq!(find_build_id(&n), Some(&[1u8, 2, 3, 4, 5, 6, 7, 8][..]));
        assert_eq!(find_build_id(&n[..n.len() - 8]), None, "a cut note is no note");
        assert_eq!(find_build_id(&[]), None);
    }

    #[test]
    fn this_image_has_a_build_id() {
        // The test binary is linked as nommu is (cc, --build-id).
        let id = build_id().expect("a GNU build ID");
        assert!(id.len() >= 8);
    }
}
