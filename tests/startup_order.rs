//! nommu's start-up functions are linked together, ahead of the rest of
//! its text (build.rs, tools/startup-order.ld, `make startup-order`): a
//! `nommu run` then faults in a few 64 KiB windows of it instead of one
//! for nearly every function it calls. This checks the link did it: the
//! section is there, first, a small part of the code, and holds what
//! every run executes and nothing of what only a cold start needs.

mod common;

use goblin::elf::Elf;

#[test]
fn start_up_functions_are_linked_first_and_together() {
    let bytes = std::fs::read(common::nommu()).expect("nommu's binary");
    let elf = Elf::parse(&bytes).expect("nommu is an ELF file");
    let section = |name: &str| {
        elf.section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
            .map(|s| (s.sh_addr, s.sh_addr.saturating_add(s.sh_size)))
    };
    let hot = section(".text.startup_order").expect("a .text.startup_order section (build.rs passes the script)");
    let text = section(".text").expect("a .text section");
    assert!(hot.1 <= text.0, "start-up's functions come before the rest: {hot:x?} {text:x?}");
    let (hot_len, text_len) = (hot.1 - hot.0, text.1 - text.0);
    assert!(hot_len.saturating_mul(3) < text_len, "start-up is a small part of the code: {hot_len} of {text_len}");

    let names_in = |range: (u64, u64)| -> Vec<&str> {
        elf.syms
            .iter()
            .filter(|s| s.st_value >= range.0 && s.st_value < range.1)
            .filter_map(|s| elf.strtab.get_at(s.st_name))
            .collect()
    };
    let hot_names = names_in(hot);
    let all_names = names_in((0, u64::MAX));
    // What every run executes: nommu's main, the machine's creation, the
    // run loop and its syscall handler, the syscall entry (assembly) and
    // dispatch — unless the compiler inlined dispatch into the handler:
    // then it has no symbol of its own.
    for (f, may_be_inlined) in [
        ("_ZN5nommu4main17h", false),
        ("_ZN5nommu6kernel7machine7Machine3new17h", false),
        ("_ZN5nommu7runloop8run_task17h", false),
        ("_ZN5nommu7runloop14handle_syscall17h", false),
        ("_ZN5nommu7syscall8dispatch17h", true),
        ("nommu_syscall_entry", false),
    ] {
        let inlined = may_be_inlined && !all_names.iter().any(|n| n.starts_with(f));
        assert!(inlined || hot_names.iter().any(|n| n.starts_with(f)), "{f}* is not among start-up's functions");
    }
    // A warm start decodes nothing: the rewriter's decoder stays out.
    let decoder: Vec<_> = hot_names.iter().filter(|n| n.contains("iced_x86")).collect();
    assert!(decoder.is_empty(), "the decoder is among start-up's functions: {decoder:?}");
}
