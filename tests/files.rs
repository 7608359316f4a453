//! The file system guest tests (`guest-tests/src/fs_*.c`): each program
//! runs natively and under `nommu run`, each time in a fresh empty
//! directory that is its working directory, for musl and glibc builds;
//! stdout and exit status must match. The native run must also pass on
//! its own (status 0, or the expected signal status), so a broken test
//! program or host shows up as such and not as an emulator bug.
//!
//! Some programs need root natively (chown to other users, chroot);
//! without root those tests print why on stderr and pass without running.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The native run must itself end with `want_status`; then nommu must
/// produce the same stdout and status. Returns (native, nommu).
fn differential(bin: &Path, args: &[&str], env: &[(&str, &str)], want_status: i32) -> (Output, Output) {
    differential_in_dirs(bin, args, env, &[], want_status)
}

#[test]
fn fs_open_flags_and_errors() {
    each_libc("fs_open", |bin| {
        differential(bin, &[], &[], 0);
    });
}

#[test]
fn fs_fd_table() {
    each_libc("fs_fd", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// The descriptor table's tests again with cached opens taking the
/// directory cache's lock and a reference (`NOMMU_NO_MEMBARRIER=1`, as on
/// a host without expedited membarrier: no pins, `fs::pins`), which
/// `nommu caps` reports.
#[test]
fn fs_fd_table_without_pins() {
    let off = [("NOMMU_NO_MEMBARRIER", "1")];
    let caps = Command::new(nommu()).args(["caps", "--machine"]).envs(off).output().expect("nommu caps");
    assert!(text(&caps).lines().any(|l| l == "membarrier=forced_off"), "{}", text(&caps));
    each_libc("fs_fd", |bin| {
        differential(bin, &[], &off, 0);
    });
}

#[test]
fn fs_read_write_seek_and_large_files() {
    each_libc("fs_rw", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// Reads and writes from one call site over and over (`fs_fastrw.c`),
/// which the entry stub makes itself once armed (arch/x86_64/fastrw.rs),
/// and what must take them off that path: the descriptor closed or
/// replaced (by a signal handler too, or in a vfork child's copy), a
/// second thread, bad and deep-stack buffers, signals during the loop,
/// the flags a syscall keeps.
#[test]
fn fs_fast_read_write_path() {
    each_libc("fs_fastrw", |bin| {
        differential(bin, &[], &[], 0);
    });
}

#[test]
fn fs_metadata() {
    if !is_root() {
        eprintln!("fs_metadata skipped: it chowns files to 1234:1234 and relies on root's access rights; run as root");
        return;
    }
    each_libc("fs_meta", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// Lookups relative to a directory descriptor (`fs_dirfd.c`): the
/// descriptor follows its directory when renamed, moved or removed; the
/// errors of a file, a closed descriptor, an unsearchable directory.
#[test]
fn fs_dirfd_lookups_follow_the_directory() {
    each_libc("fs_dirfd", |bin| {
        differential(bin, &[], &[], 0);
    });
}

#[test]
fn fs_directories_and_links() {
    each_libc("fs_dir", |bin| {
        differential(bin, &[], &[], 0);
    });
}

#[test]
fn fs_pipes_and_poll() {
    each_libc("fs_pipe", |bin| {
        differential(bin, &[], &[], 0);
    });
}

#[test]
fn fs_sigpipe_kills_with_141() {
    each_libc("fs_sigpipe", |bin| {
        let (_, emulated) = differential(bin, &[], &[], 141);
        assert_eq!(text(&emulated), "writing to a pipe with no reader\n");
    });
}

#[test]
fn fs_misc_calls() {
    each_libc("fs_misc", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// Device nodes (`fs_devnode.c`): natively real nodes (root only), under
/// nommu marked empty files that look and open the same.
#[test]
fn fs_device_nodes() {
    if !is_root() {
        eprintln!("fs_devnode skipped: mknod of devices needs root natively");
        return;
    }
    each_libc("fs_devnode", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// A node the guest makes is never a host device: on the host it is an
/// empty regular file (nommu only).
#[test]
fn fs_device_nodes_are_not_host_devices() {
    let dir = TempDir::new("devnode-host");
    let busybox = repo().join("rootfs/bin/busybox");
    let out = run_nommu_in(dir.path(), &busybox, &["sh", "-c", "mknod c c 1 3 && mknod b b 8 0 && ls -l c b"], &[]);
    assert_eq!(shell_status(&out), 0, "{}", stderr_text(&out));
    let listing = text(&out);
    assert!(listing.contains("crw-") && listing.contains("brw-"), "{listing}");
    for name in ["c", "b"] {
        let meta = std::fs::symlink_metadata(dir.path().join(name)).unwrap();
        assert!(meta.file_type().is_file() && meta.len() == 0, "{name}: {meta:?}");
    }
}

#[test]
fn fs_dev_files() {
    each_libc("fs_dev", |bin| {
        let (_, emulated) = differential(bin, &[], &[], 0);
        let out = text(&emulated);
        assert!(out.contains("a line through /dev/fd/1\n") && out.contains("a line through /dev/stdout\n"), "{out}");
        assert!(String::from_utf8_lossy(&emulated.stderr).contains("a line through /dev/stderr\n"));
    });
}

#[test]
fn fs_proc_structure() {
    each_libc("fs_proc", |bin| {
        differential(bin, &["one", "two three", ""], &[("NOMMU_PROC_TEST", "1")], 0);
    });
}

#[test]
fn fs_bad_pointers_are_efault() {
    each_libc("fs_efault", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// The escape test's world: TOP/outside-marker ("ESCAPED") and the root
/// TOP/root with inside.txt, abs -> /, up -> ../../.., sub/ and prog.
struct EscapeWorld {
    top: TempDir,
    root: PathBuf,
    marker: PathBuf,
}

fn escape_world(bin: &Path, tag: &str) -> EscapeWorld {
    let top = TempDir::new(tag);
    let root = top.path().join("root");
    let marker = top.path().join("outside-marker");
    std::fs::write(&marker, "ESCAPED").unwrap();
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("inside.txt"), "inside").unwrap();
    std::os::unix::fs::symlink("/", root.join("abs")).unwrap();
    std::os::unix::fs::symlink("../../..", root.join("up")).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::copy(bin, root.join("prog")).unwrap();
    EscapeWorld { top, root, marker }
}

fn sorted_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// After a run, nothing outside the root changed and the root is as before.
fn assert_world_intact(w: &EscapeWorld, how: &str) {
    assert_eq!(sorted_names(w.top.path()), ["outside-marker", "root"], "{how}: something was created outside the root");
    assert_eq!(std::fs::read_to_string(&w.marker).unwrap(), "ESCAPED", "{how}: the marker changed");
    assert_eq!(sorted_names(&w.root), ["abs", "inside.txt", "prog", "sub", "up"], "{how}: root left in another state");
    assert_eq!(sorted_names(&w.root.join("sub")), Vec::<String>::new(), "{how}: root/sub not empty");
}

#[test]
fn fs_escape_is_contained() {
    if !is_root() {
        eprintln!("fs_escape_is_contained skipped: the native side runs under chroot(8), which needs root");
        return;
    }
    each_static_libc("fs_escape", |bin| {
        let native = {
            let w = escape_world(bin, "fs_escape-native");
            let (marker, root) = (w.marker.to_str().unwrap(), w.root.to_str().unwrap());
            let mut cmd = Command::new("chroot");
            cmd.current_dir(&w.root).arg(&w.root).arg("./prog").args([marker, root]);
            let out = cmd.output().expect("running chroot");
            assert_world_intact(&w, "native");
            out
        };
        assert_eq!(
            shell_status(&native),
            0,
            "the NATIVE (chroot) run of {} failed, so the test program is wrong:\n{}\n--- stderr:\n{}",
            bin.display(),
            text(&native),
            String::from_utf8_lossy(&native.stderr)
        );
        let w = escape_world(bin, "fs_escape-nommu");
        let (marker, root) = (w.marker.to_str().unwrap(), w.root.to_str().unwrap());
        let emulated = run_nommu_in(&w.root, Path::new("./prog"), &[marker, root], &["--root", root]);
        assert_outputs_match(&format!("{} under --root", bin.display()), &native, &emulated);
        assert!(!text(&emulated).contains("ESCAPED"), "{}", text(&emulated));
        assert_world_intact(&w, "nommu");
    });
}

/// The path-heavy programs again, this time with their start directory as
/// the root: natively `chroot ROOT ./prog`, under nommu `nommu run --root
/// ROOT ./prog` (cwd ROOT, so the guest starts at `/`). Absolute paths,
/// getcwd, realpath and symlinks are then all guest paths. Nothing may
/// appear next to the root.
#[test]
fn fs_programs_under_a_root() {
    if !is_root() {
        eprintln!("fs_programs_under_a_root skipped: the native side runs under chroot(8), which needs root");
        return;
    }
    for name in ["fs_open", "fs_dir", "fs_rw", "fs_fd", "fs_meta", "fs_misc", "fs_pipe", "fs_efault", "fs_dirfd"] {
        each_static_libc(name, |bin| {
            let run = |tag: &str, nommu: bool| {
                let top = TempDir::new(&format!("{name}-root-{tag}"));
                let root = top.path().join("root");
                std::fs::create_dir(&root).unwrap();
                std::fs::copy(bin, root.join("prog")).unwrap();
                let out = if nommu {
                    run_nommu_in(&root, Path::new("./prog"), &[], &["--root", root.to_str().unwrap()])
                } else {
                    let mut cmd = Command::new("chroot");
                    cmd.current_dir(&root).arg(&root).arg("./prog").stdin(std::process::Stdio::null());
                    cmd.output().expect("running chroot")
                };
                assert_eq!(sorted_names(top.path()), ["root"], "{tag}: {name} created something outside the root");
                out
            };
            let native = run("native", false);
            assert_eq!(
                shell_status(&native),
                0,
                "the NATIVE (chroot) run of {} failed, so the test program is wrong:\n{}",
                bin.display(),
                text(&native)
            );
            let emulated = run("nommu", true);
            assert_outputs_match(&format!("{} under --root", bin.display()), &native, &emulated);
        });
    }
}

/// A FIFO's open and a file lock wait until a signal ends the wait
/// (EINTR); truncate and exec of a FIFO never wait for its other end.
#[test]
fn fs_opens_and_locks_that_wait() {
    each_libc("fs_wait", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// Writable MAP_SHARED file mappings are the file's own pages (the host
/// MMU maps them into the arena): writes reach the file, a second process
/// sees them, msync works.
#[test]
fn fs_mmap_shared_file() {
    each_libc("mmap_shared", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// MAP_PRIVATE file mappings of data are the file's pages until written
/// (the host MMU maps them privately into the arena): a write to the file
/// shows in pages the mapping did not write, as natively; MAP_FIXED,
/// MADV_DONTNEED and munmap end them cleanly.
#[test]
fn fs_mmap_private_file() {
    each_libc("mmap_private", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// Extended attributes (none kept: EOPNOTSUPP and empty lists after the
/// path and descriptor checks) and fadvise; nommu only, since natively the
/// answers depend on the host's file system.
#[test]
fn fs_xattr_and_fadvise_under_nommu() {
    each_libc("fs_xattr", |bin| {
        let dir = TempDir::new("fs_xattr");
        let out = run_nommu_in(dir.path(), bin, &[], &[]);
        assert_eq!(shell_status(&out), 0, "{}\n{}", text(&out), String::from_utf8_lossy(&out.stderr));
        assert!(text(&out).ends_with("fs_xattr: all ok\n"), "{}", text(&out));
    });
}

/// chroot(2) (`fs_chroot.c`: the program copies itself into the jail, so
/// static builds only). Natively it needs root, or a user namespace where
/// it is root (the program takes one); without either it is skipped.
#[test]
fn fs_chroot_jails() {
    let userns = || Command::new("unshare").args(["-r", "true"]).status().is_ok_and(|s| s.success());
    if !is_root() && !userns() {
        eprintln!("fs_chroot skipped: chroot needs root (or a user namespace) natively");
        return;
    }
    each_static_libc("fs_chroot", |bin| {
        differential(bin, &[], &[], 0);
    });
}

/// What a cache of resolved directories must forget (`fs_dcache.c`):
/// renamed and re-made directories, symlinks replaced, last-component
/// symlinks, chdir, permissions; then (as root natively, in a mount
/// namespace of its own) a tmpfs mounted over a cached directory, with
/// and without host mounts under nommu.
#[test]
fn fs_directory_cache_invalidation() {
    each_libc("fs_dcache", |bin| {
        differential(bin, &[], &[], 0);
        if is_root() {
            differential(bin, &["mount"], &[], 0);
            differential(bin, &["mount"], &[("NOMMU_NO_HOST_MOUNTS", "1")], 0);
        }
    });
}

/// A host process in a mount namespace of its own that mounts and
/// unmounts a tmpfs over and over (a bounded loop), stopped when dropped.
struct MountChurn {
    child: std::process::Child,
    _dir: TempDir,
}

impl MountChurn {
    fn start() -> Option<MountChurn> {
        let dir = TempDir::new("mount-churn");
        let script = format!(
            "i=0; while [ $i -lt 200000 ]; do mount -t tmpfs none {0} && umount {0} || exit 1; i=$((i+1)); done",
            dir.path().display()
        );
        match Command::new("unshare").args(["--mount", "--propagation", "private", "sh", "-c", &script]).spawn() {
            Ok(child) => Some(MountChurn { child, _dir: dir }),
            Err(e) => {
                eprintln!("fs_dotdot: no mount churn (unshare: {e}); lookups run unraced");
                None
            }
        }
    }
}

impl Drop for MountChurn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lookups that climb with ".." while the host's mounts change
/// (`fs_dotdot.c`): the host kernel fails a scoped lookup (nommu's
/// RESOLVE_IN_ROOT / RESOLVE_BENEATH) with EAGAIN when a mount raced with
/// its "..", where a guest's open must simply succeed. As root, another
/// mount namespace mounts and unmounts a tmpfs meanwhile; without root
/// the lookups run unraced.
#[test]
fn dotdot_lookups_survive_host_mount_changes() {
    let _churn = if is_root() {
        MountChurn::start()
    } else {
        eprintln!("fs_dotdot: no mount churn without root; lookups run unraced");
        None
    };
    each_libc("fs_dotdot", |bin| {
        differential(bin, &["20000"], &[], 0);
    });
}

/// readlink and lstat of /proc/self/fd/N for every kind of descriptor
/// (files, directories, O_PATH, /proc and /dev files, pipes, sockets,
/// eventfd, epoll, timerfd, signalfd, inotify, memfd, deleted and renamed
/// files): the names Linux gives them, and the link's mode from the
/// access mode.
#[test]
fn proc_fd_links_of_every_kind() {
    each_libc("fs_fdlinks", |bin| {
        let (_, emulated) = differential(bin, &[], &[], 0);
        let out = text(&emulated);
        assert!(out.contains("anon_inode:[signalfd]") && out.contains("./renamed mode=120500 size=64"), "{out}");
    });
}
