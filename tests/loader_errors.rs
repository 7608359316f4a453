//! Programs nommu must refuse: one clear line naming the file and the
//! reason, shell-style status (127 not found, 126 cannot execute), no panic.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

fn scratch(name: &str, bytes: &[u8], mode: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nommu-loader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn refused(path: &std::path::Path, status: i32, reason: &str) {
    let out = run_nommu(path, &[], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(shell_status(&out), status, "{}: {err}", path.display());
    let line = err.lines().find(|l| l.starts_with("nommu: ")).unwrap_or_else(|| panic!("no error line: {err}"));
    assert!(line.contains(&path.display().to_string()) && line.contains(reason), "{line}");
    assert!(!err.contains("panicked"), "{err}");
}

fn hello_bytes() -> Vec<u8> {
    std::fs::read(guest("hello-musl")).unwrap()
}

#[test]
fn missing_file() {
    refused(std::path::Path::new("/nonexistent/prog"), 127, "No such file or directory");
}

#[test]
fn not_executable() {
    refused(&scratch("noexec", &hello_bytes(), 0o644), 126, "Permission denied");
}

#[test]
fn not_an_elf() {
    refused(&scratch("script.txt", b"hello there\n", 0o755), 126, "not an ELF file");
}

#[test]
fn wrong_architecture() {
    let mut b = hello_bytes();
    b[18] = 183; // e_machine = EM_AARCH64
    b[19] = 0;
    refused(&scratch("arm64", &b, 0o755), 126, "not an x86-64 program");
}

#[test]
fn thirty_two_bit() {
    let mut b = hello_bytes();
    b[4] = 1; // EI_CLASS = ELFCLASS32
    refused(&scratch("elf32", &b, 0o755), 126, "32-bit ELF");
}

#[test]
fn truncated() {
    let b = hello_bytes();
    refused(&scratch("truncated", &b[..300], 0o755), 126, "corrupt ELF");
}

/// A dynamically linked program whose interpreter is not inside the root:
/// ENOENT (127, like a shell), with a line naming program and interpreter.
#[test]
fn dynamically_linked_without_its_interpreter() {
    let mut b = std::fs::read(guest("hello-musl-dyn")).unwrap();
    let (from, to) = (b"/lib/ld-musl-x86_64.so.1".as_slice(), b"/lib/ld-none-x86_64.so.1".as_slice());
    let at = b.windows(from.len()).position(|w| w == from).expect("PT_INTERP string");
    b[at..at + to.len()].copy_from_slice(to);
    refused(&scratch("no-interp", &b, 0o755), 127, "cannot load its interpreter /lib/ld-none-x86_64.so.1");
}

#[test]
fn arena_too_small_is_enomem_not_a_crash() {
    let mut cmd = std::process::Command::new(nommu());
    let out = cmd.args(["run", "--mem", "1M"]).arg(guest("malloc-musl")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(shell_status(&out), 0);
}
