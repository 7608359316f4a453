//! The strict profile (`--strict`, `nommu.strict`): memory calls answer as
//! Linux's no-MMU memory manager (mm/nommu.c, fs/binfmt_elf_fdpic.c,
//! kernel/fork.c, 6.x), while the permissive default answers as an MMU
//! kernel and `--report` lists each call that succeeded only so.
//!
//! guest-tests/src/strict_rules.c prints one line per rule; it runs
//! natively (an MMU kernel), under the default profile and under
//! `--strict`.
// Harness arithmetic on counts the test itself chose.
#![allow(clippy::arithmetic_side_effects)]

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rootfs() -> PathBuf {
    let r = repo().join("rootfs");
    assert!(r.join("bin/busybox").exists(), "run `make rootfs` first");
    r
}

/// What strict_rules printed: rule -> answer.
fn answers(stdout: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs strict_rules under nommu (`profile`: extra options) with a disk
/// directory and a tmpfs it mounts itself; its answers.
fn nommu_rules(profile: &[&str], extra: &[&str]) -> BTreeMap<String, String> {
    let dir = TempDir::new("strict");
    let (disk, memory) = (dir.path().join("disk"), dir.path().join("memory"));
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&memory).unwrap();
    let mut cmd = Command::new(nommu());
    cmd.arg("run").args(profile).arg(guest("strict_rules-musl")).arg(&disk).arg(&memory).arg("mount").args(extra);
    let out = run_command(cmd);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out), stderr_text(&out));
    answers(&out.stdout)
}

/// Each rule's answer under --strict, with the function of Linux 6.x that
/// gives it.
const STRICT: &[(&str, &str)] = &[
    // mm/nommu.c validate_mmap_request: "if (flags & MAP_FIXED) return -EINVAL".
    ("mmap_fixed", "EINVAL"),
    // validate_mmap_request: only MAP_PRIVATE and MAP_SHARED are types.
    ("mmap_shared_validate", "EINVAL"),
    // validate_mmap_request: a regular file without mmap_capabilities is
    // NOMMU_MAP_COPY only, and MAP_SHARED without NOMMU_MAP_DIRECT is
    // -ENODEV, writable or not.
    ("mmap_shared_disk_write", "ENODEV"),
    ("mmap_shared_disk_read", "ENODEV"),
    // validate_mmap_request: a descriptor not open for reading first.
    ("mmap_shared_wronly", "EACCES"),
    // do_mmap_private: a private mapping is a copy of the file.
    ("mmap_private_disk", "ok"),
    // ramfs_mmap_capabilities (tmpfs is ramfs without an MMU): direct.
    ("mmap_shared_tmpfs", "ok"),
    // A read-only shared mapping maps the pages themselves (direct).
    ("mmap_shared_tmpfs_read", "ok"),
    ("shared_read_sees_writes", "yes"),
    // A memfd is shmem, which is ramfs without an MMU: direct too.
    ("mmap_shared_memfd", "ok"),
    // ramfs_nommu_get_unmapped_area: past EOF -ENOSYS, which do_mmap
    // turns into -ENODEV for a shared mapping (it cannot be copied).
    ("mmap_shared_tmpfs_past_eof", "ENODEV"),
    // PROT_NONE is accepted, but nothing can make memory inaccessible.
    ("mmap_prot_none", "ok"),
    ("prot_none_read", "accessible"),
    // mm/Makefile builds mprotect.c, madvise.c, msync.c and mlock.c only
    // with CONFIG_MMU: kernel/sys_ni.c's ENOSYS.
    ("mprotect", "ENOSYS"),
    ("madvise", "ENOSYS"),
    ("msync", "ENOSYS"),
    ("mlock", "ENOSYS"),
    ("munlock", "ENOSYS"),
    // nommu.c do_mremap: past the region's size -ENOMEM, MREMAP_MAYMOVE
    // or not; shrinking keeps the region, so growing back fits.
    ("mremap_grow", "ENOMEM"),
    ("mremap_shrink", "ok"),
    ("mremap_regrow", "ok"),
    // do_mremap: MREMAP_FIXED to another address is -EINVAL.
    ("mremap_fixed", "EINVAL"),
    // do_mremap: is_nommu_shared_mapping -> -EPERM.
    ("mremap_shared", "EPERM"),
    // nommu.c do_munmap: no VMA there -EINVAL; a file VMA only whole.
    ("munmap_nothing_mapped", "EINVAL"),
    ("munmap_file_part", "EINVAL"),
    // do_munmap: an anonymous VMA may be split (split_vma, shrink_vma).
    ("munmap_anon_middle", "ok"),
    // fs/binfmt_elf_fdpic.c: start_brk = end_brk = the stack block's start.
    ("brk_grow", "stays"),
    ("brk_at_stack_bottom", "yes"),
    // kernel/fork.c SYSCALL_DEFINE0(fork): "can not support in nommu mode".
    ("fork", "EINVAL"),
    // binfmt_elf_fdpic.c: no PT_GNU_STACK size -> 131072 bytes, no guard.
    ("stack_kib", "128"),
];

/// Where the default profile differs from an MMU kernel (the rest must be
/// the native answers): nommu has no MREMAP_FIXED, brk does not grow (as
/// on a no-MMU kernel), fork is ENOSYS, the main stack is 1 MiB, and a
/// read-only shared file mapping is a copy (later writes to the file do
/// not show in it).
const DEFAULT_NOT_NATIVE: &[(&str, &str)] = &[
    ("mremap_fixed", "EINVAL"),
    ("brk_grow", "stays"),
    ("fork", "ENOSYS"),
    ("stack_kib", "1024"),
    ("shared_read_sees_writes", "no"),
];

#[test]
fn strict_answers_each_rule_as_nommu_c() {
    let got = nommu_rules(&["--strict"], &[]);
    for (rule, want) in STRICT {
        assert_eq!(got.get(*rule).map(String::as_str), Some(*want), "{rule} under --strict: {got:?}");
    }
}

/// The differential: the default profile answers as the host's MMU kernel
/// (run natively on a disk directory and the host's tmpfs), but for the
/// listed differences.
#[test]
fn default_answers_as_an_mmu_kernel() {
    let default = nommu_rules(&[], &[]);
    for (rule, want) in DEFAULT_NOT_NATIVE {
        assert_eq!(default.get(*rule).map(String::as_str), Some(*want), "{rule}: {default:?}");
    }
    let shm = Path::new("/dev/shm");
    if !std::fs::metadata(shm).is_ok_and(|m| m.is_dir()) {
        eprintln!("native half skipped: no /dev/shm (tmpfs) on this host");
        return;
    }
    let dir = TempDir::new("strict-native");
    let memory = shm.join(format!("nommu-strict-{}", std::process::id()));
    std::fs::create_dir_all(&memory).unwrap();
    let out = run_native(&guest("strict_rules-musl"), &[dir.path().to_str().unwrap(), memory.to_str().unwrap()], &[]);
    let _ = std::fs::remove_dir_all(&memory);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let native = answers(&out.stdout);
    for (rule, answer) in &native {
        if DEFAULT_NOT_NATIVE.iter().any(|(r, _)| r == rule) {
            continue;
        }
        assert_eq!(default.get(rule), Some(answer), "{rule}: native {answer}, default {default:?}");
    }
    assert_eq!(native.len(), default.len(), "native {native:?}\ndefault {default:?}");
}

/// Every allocation is one naturally aligned block of 2^order pages, as
/// nommu.c's do_mmap_private takes it from the buddy allocator: with two
/// of every four pages free but no aligned pair, two pages are ENOMEM
/// under --strict; the default's first fit finds them.
#[test]
fn fragmentation_fails_as_on_a_board() {
    let strict = nommu_rules(&["--strict", "--mem", "16M"], &["frag"]);
    assert_eq!(strict.get("fragmented_two_pages").map(String::as_str), Some("ENOMEM"), "{strict:?}");
    let default = nommu_rules(&["--mem", "16M"], &["frag"]);
    assert_eq!(default.get("fragmented_two_pages").map(String::as_str), Some("ok"), "{default:?}");
}

/// --report under the default profile: one record per rule the run broke,
/// with its pid, program and the strict answer.
#[test]
fn report_lists_each_permissive_success() {
    let dir = TempDir::new("strict-report");
    let json = dir.path().join("r.json");
    let (disk, memory) = (dir.path().join("disk"), dir.path().join("memory"));
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&memory).unwrap();
    let mut cmd = Command::new(nommu());
    cmd.arg("run").arg("--report").arg(&json);
    cmd.arg(guest("strict_rules-musl")).arg(&disk).arg(&memory).arg("mount");
    let out = run_command(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let records = report["nommu_incompatibilities"].as_array().expect("a list").clone();
    let find = |call: &str, strict: &str| {
        records
            .iter()
            .find(|r| r["call"].as_str().is_some_and(|c| c.starts_with(call)) && r["strict"] == strict)
            .unwrap_or_else(|| panic!("no {call} -> {strict} in {records:#?}"))
            .clone()
    };
    for (call, strict) in [
        ("mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED)", "EINVAL"),
        ("mmap(MAP_SHARED_VALIDATE)", "EINVAL"),
        ("mmap(MAP_SHARED, PROT_READ|PROT_WRITE, ", "ENODEV"),
        ("mmap(MAP_SHARED, PROT_READ, ", "ENODEV"),
        ("mprotect(PROT_READ)", "ENOSYS"),
        ("madvise(MADV_DONTNEED)", "ENOSYS"),
        ("msync(MS_SYNC)", "ENOSYS"),
        ("mlock", "ENOSYS"),
        ("munlock", "ENOSYS"),
        ("mremap(MREMAP_MAYMOVE, grow past the mapping's size)", "ENOMEM"),
        ("mremap(a shared or read-only file mapping)", "EPERM"),
        ("munmap(nothing mapped there)", "EINVAL"),
        ("munmap(part of a file mapping)", "EINVAL"),
        ("fork", "EINVAL"),
    ] {
        let r = find(call, strict);
        assert_eq!(r["pid"], 1, "{r}");
        assert!(r["program"].as_str().unwrap().ends_with("/strict_rules-musl"), "{r}");
        assert!(r["count"].as_u64().unwrap() >= 1, "{r}");
    }
    // The disk file is named; the tmpfs one only where it was mapped past
    // its end.
    let disk_write = find("mmap(MAP_SHARED, PROT_READ|PROT_WRITE, ", "ENODEV");
    assert!(disk_write["call"].as_str().unwrap().contains("strict-rules-"), "{disk_write}");
    // Nothing the strict profile allows is listed.
    for allowed in ["munmap(a range", "mremap(a range"] {
        assert!(!records.iter().any(|r| r["call"].as_str().unwrap().starts_with(allowed)), "{records:#?}");
    }
    // Under --strict the calls fail instead: nothing succeeded permissively.
    let mut cmd = Command::new(nommu());
    cmd.arg("run").arg("--strict").arg("--report").arg(&json);
    cmd.arg(guest("strict_rules-musl")).arg(&disk).arg(&memory).arg("mount");
    assert_eq!(run_command(cmd).status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let records = report["nommu_incompatibilities"].as_array().unwrap();
    assert!(records.iter().all(|r| r["call"] == "fork"), "{records:#?}");
}

/// busybox (musl, static) does its ordinary things under --strict.
#[test]
fn busybox_works_under_strict() {
    let out = Command::new(nommu())
        .args(["run", "--strict", "--root"])
        .arg(rootfs())
        .args(["/bin/sh", "-c", "ls / | wc -l; echo hi | cat; a=$(echo sub); echo $a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    let stdout = text(&out);
    assert!(stdout.contains("hi\nsub\n"), "{stdout}");
}

/// A glibc program stops at its start under --strict: glibc protects its
/// relocated data with mprotect (RELRO), which a no-MMU kernel lacks.
/// That is the profile's point: glibc does not run without an MMU.
#[test]
fn glibc_needs_mprotect() {
    let out = Command::new(nommu()).args(["run", "--strict"]).arg(guest("hello-glibc")).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = stderr_text(&out);
    assert!(err.contains("cannot apply additional memory protection after relocation"), "{err}");
}

/// `nommu boot nommu.strict` names the profile in the boot banner.
#[test]
fn boot_parameter_names_the_profile() {
    let mut cmd = Command::new(nommu());
    cmd.args(["boot", "--root"]).arg(rootfs()).args(["init=/bin/sh", "nommu.strict", "-c", "exit 3"]);
    let out = run_command(cmd);
    let all = format!("{}{}", text(&out), stderr_text(&out));
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains("Profile: strict"), "{all}");
}
