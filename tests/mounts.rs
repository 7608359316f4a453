//! Mounts and the machine's memory file systems (tmpfs, ramfs):
//! - the file system guest tests run natively in a host directory and
//!   under nommu in a tmpfs mounted on their working directory (by the
//!   rootfs busybox: `mount -t tmpfs none "$PWD"`); outputs must match;
//! - mount(2)/umount2(2) errnos (nommu only: natively mounting needs root
//!   and would change the host; the expected errnos are Linux's);
//! - the booted machine: /dev/shm and /tmp are tmpfs (rootfs fstab),
//!   `mount -t tmpfs`, `df`, /proc/mounts, `umount`.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn rootfs() -> PathBuf {
    let r = repo().join("rootfs");
    assert!(r.join("bin/busybox").exists(), "run `make rootfs` first");
    r
}

/// `bin` natively in a fresh directory, then under nommu in a tmpfs
/// mounted on a fresh directory; stdout and status must match.
fn differential_in_tmpfs(bin: &Path, want_status: i32) {
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    let native = {
        let dir = TempDir::new(&format!("{name}-native"));
        run_native_in(dir.path(), bin, &[])
    };
    assert_eq!(shell_status(&native), want_status, "the NATIVE run failed:\n{}", text(&native));
    let busybox = rootfs().join("bin/busybox");
    let script = format!(
        "mount -t tmpfs none \"$PWD\" || exit 99; cd \"$PWD\"; [ \"$(stat -f -c %T .)\" = tmpfs ] || exit 98; exec {}",
        bin.display()
    );
    let emulated = {
        let dir = TempDir::new(&format!("{name}-tmpfs"));
        run_nommu_in(dir.path(), &busybox, &["sh", "-c", &script], &[])
    };
    assert_outputs_match(&format!("{} in a tmpfs", bin.display()), &native, &emulated);
}

#[test]
fn memory_file_mappings_and_tree_operations_on_tmpfs() {
    each_libc("fs_memfile", |bin| differential_in_tmpfs(bin, 0));
}

#[test]
fn file_system_tests_on_tmpfs() {
    // fs_meta chowns to other users: it needs root natively (as in files.rs).
    for name in [
        "fs_open",
        "fs_fd",
        "fs_rw",
        "fs_fastrw",
        "fs_dir",
        "fs_misc",
        "fs_pipe",
        "fs_wait",
        "fs_meta",
        "fs_efault",
        "fs_dirfd",
    ] {
        if name == "fs_meta" && !is_root() {
            eprintln!("fs_meta on tmpfs skipped: it needs root natively");
            continue;
        }
        each_libc(name, |bin| differential_in_tmpfs(bin, 0));
    }
}

/// A mount point opened by its absolute path when its parent directory is
/// in the directory cache (an open that skips the path's scan) shows the
/// mounted tree, with host mounts and with the machine's own (memory)
/// mounts; after umount, the directory beneath again.
#[test]
fn a_mount_point_opened_by_its_path_shows_the_mounted_tree() {
    let busybox = rootfs().join("bin/busybox");
    let script = format!(
        "B={bb}; D=\"$PWD\"; $B mkdir -p $D/x/m; $B touch $D/x/a $D/x/m/beneath; \
         $B stat -c %n $D/x/a >/dev/null; \
         $B mount -t tmpfs none $D/x/m || exit 99; echo hi > $D/x/m/f; \
         $B stat -c %n $D/x/a >/dev/null; $B ls $D/x/m; $B cat $D/x/m/f; \
         $B umount $D/x/m || exit 98; $B ls $D/x/m",
        bb = busybox.display()
    );
    for env in [&[][..], &[("NOMMU_NO_HOST_MOUNTS", "1")][..]] {
        let dir = TempDir::new("mountpoint-open");
        let out = run_nommu_in_env(dir.path(), &busybox, &["sh", "-c", &script], env, &[]);
        assert_eq!(shell_status(&out), 0, "{env:?}: {}", text(&out));
        assert_eq!(text(&out), "f\nhi\nbeneath\n", "{env:?}");
    }
}

#[test]
fn mount_and_umount_errnos() {
    each_libc("mount_errs", |bin| {
        // With host mounts (nommu may mount, NOMMU_NO_HOST_MOUNTS unset),
        // each tmpfs is a host tmpfs of its own (in a private mount
        // namespace) and the host enforces size= (ENOSPC); without, it is
        // not enforced and not tested. `run` takes the namespace when
        // first needed: at the first mount, or before nommu's first host
        // thread ("thread": the guest starts one before mounting), after
        // which it could not be had.
        let enforced = caps(&[]).host_mounts == "yes";
        for thread_first in [false, true] {
            let dir = TempDir::new("mount_errs");
            let mut args: Vec<&str> = Vec::new();
            if enforced {
                args.push("enospc");
            }
            if thread_first {
                args.push("thread");
            }
            let out = run_nommu_in(dir.path(), bin, &args, &[]);
            assert_eq!(shell_status(&out), 0, "{args:?}: {}", text(&out));
            assert!(text(&out).ends_with("mount_errs: all ok\n"), "{args:?}: {}", text(&out));
            assert_eq!(text(&out).contains("ENOSPC"), enforced, "{args:?}");
            // What the machine mounted is gone with it.
            assert!(!dir.path().join("m").exists());
        }
    });
}

/// POSIX shared memory and semaphores with /dev/shm a tmpfs.
#[test]
fn posix_shm_in_a_tmpfs_dev_shm() {
    let busybox = rootfs().join("bin/busybox");
    each_libc("posix_shm", |bin| {
        let native = run_native_reference(bin, &[], &[]);
        assert_eq!(shell_status(&native), 0, "{}", text(&native));
        let script = format!(
            "mount -t tmpfs -o nosuid,nodev shm /dev/shm || exit 99; [ \"$(stat -f -c %T /dev/shm)\" = tmpfs ] || exit 98; exec {}",
            bin.display()
        );
        let emulated = run_nommu(&busybox, &["sh", "-c", &script], &[]);
        assert_outputs_match("posix_shm with a tmpfs /dev/shm", &native, &emulated);
    });
}

/// Runs `script` in the booted busybox machine; its output.
fn boot(script: &str, extra: &[&str]) -> String {
    boot_with(script, extra, &[])
}

/// `boot` with boot parameters (`mem=64M`).
fn boot_with(script: &str, extra: &[&str], params: &[&str]) -> String {
    let mut args: Vec<std::ffi::OsString> = extra.iter().map(|a| a.into()).collect();
    args.extend(["boot".into(), "--root".into(), rootfs().into_os_string()]);
    args.extend(params.iter().map(|p| p.into()));
    let out = boot_script(&args, script);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn booted_machine_mounts_tmpfs() {
    let script = "\
stat -f -c 'shm=%T' /dev/shm; stat -f -c 'tmp=%T' /tmp; stat -f -c 'proc=%T' /proc
grep -c -E '^tmpfs /(dev/shm|tmp) tmpfs rw,nosuid,nodev' /proc/mounts
mkdir -p /root/mnt && mount -t tmpfs -o size=2m none /root/mnt && echo mounted
grep '^none /root/mnt tmpfs rw,relatime,size=2048k 0 0$' /proc/mounts
grep -c ' /root/mnt rw,relatime - tmpfs none rw,size=2048k$' /proc/self/mountinfo
dd if=/dev/zero of=/root/mnt/blob bs=1024 count=512 2>/dev/null; echo hello > /root/mnt/hi; cat /root/mnt/hi
df /root/mnt | tail -1 | awk '{print \"df\", $1, $2, $3, $6}'
grep -E '^Shmem: +[0-9]+ kB' /proc/meminfo | awk '{ print ($2 >= 512) ? \"shmem-counts\" : \"shmem-low\" }'
cd /root/mnt; umount /root/mnt 2>/dev/null || echo busy; cd /
umount /root/mnt && echo unmounted; ls /root/mnt | wc -l
umount /root/mnt 2>&1 | grep -c 'Invalid argument'
mount -t nosuchfs none /root/mnt 2>&1 | grep -c 'No such device'
rmdir /root/mnt
df / | tail -1 | awk '{print \"root\", $1, $6}'
poweroff
";
    let out = boot(script, &[]);
    for want in [
        "shm=tmpfs\ntmp=tmpfs\nproc=proc\n2\n",
        "mounted\nnone /root/mnt tmpfs rw,relatime,size=2048k 0 0\n1\nhello\n",
        "df none 2048 516 /root/mnt\n",
        "shmem-counts\n",
        "busy\nunmounted\n0\n1\n1\nroot /dev/root /\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!rootfs().join("root/mnt").exists());
}

/// tmpfs pages are the machine's RAM, as on Linux: a tmpfs without size=
/// is half of `mem=`, and what its files hold is Shmem and not MemFree
/// (sysinfo's sharedram and freeram too: busybox `free`).
#[test]
fn tmpfs_files_are_machine_memory() {
    let script = "\
m() { awk -v k=\"$1:\" '$1 == k { print $2 }' /proc/meminfo; }
s0=$(m Shmem); f0=$(m MemFree)
dd if=/dev/zero of=/tmp/big bs=1048576 count=16 2>/dev/null
s1=$(m Shmem); f1=$(m MemFree)
echo grown $((s1 - s0)) $((f0 - f1))
free | awk '$1 == \"Mem:\" { print \"free-shared\", $5 }'
rm /tmp/big
s2=$(m Shmem); f2=$(m MemFree)
echo shrunk $((s1 - s2)) $((f2 - f1))
df /tmp | tail -1 | awk '{print \"size\", $2}'
poweroff
";
    let out = boot_with(script, &[], &["mem=64M"]);
    let field = |key: &str, i: usize| -> i64 {
        let line = out.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("no {key} in:\n{out}"));
        line.split_whitespace().nth(i).unwrap().parse().unwrap_or_else(|_| panic!("{line}"))
    };
    // 16 MiB in kB, give or take 1 MiB (directories, other files).
    let about_16m = |v: i64| (15 * 1024..=17 * 1024).contains(&v);
    for (key, i) in [("grown", 1), ("grown", 2), ("shrunk", 1), ("shrunk", 2)] {
        assert!(about_16m(field(key, i)), "{key} field {i} is not about 16 MiB in:\n{out}");
    }
    assert!(field("free-shared", 1) >= 16 * 1024, "{out}");
    assert_eq!(field("size", 1), 32 * 1024, "a tmpfs without size= is half of mem=:\n{out}");
}

/// A tree built through the initramfs sink (the machine's memory file
/// system) is a machine's root: busybox runs from it and sees its files.
#[test]
fn a_ramfs_tree_as_the_root() {
    use nommu::fs::ramfs::RamTree;
    use nommu::initrd::{Meta, Sink};
    let mut tree = RamTree::new(64 << 20).unwrap();
    let meta = |mode| Meta { mode, uid: 0, gid: 0, mtime: 1_700_000_000 };
    for d in ["bin", "etc", "tmp", "proc", "dev"] {
        tree.mkdir(d.as_bytes()).unwrap();
    }
    tree.file(b"bin/busybox", &std::fs::read(rootfs().join("bin/busybox")).unwrap()).unwrap();
    tree.set_meta(b"bin/busybox", &meta(0o100755)).unwrap();
    tree.symlink(b"bin/sh", b"busybox").unwrap();
    tree.file(b"etc/motd", b"from the ramfs\n").unwrap();
    tree.set_meta(b"etc/motd", &meta(0o100644)).unwrap();
    let out = run_nommu_in(
        tree.path(),
        Path::new("/bin/sh"),
        &[
            "-c",
            "B=/bin/busybox; $B cat /etc/motd; $B ls /; $B stat -c '%a %Y' /etc/motd; echo x > /tmp/y && $B cat /tmp/y",
        ],
        &["--root", tree.path().to_str().unwrap()],
    );
    assert_eq!(shell_status(&out), 0, "{}\n{}", text(&out), stderr_text(&out));
    assert_eq!(text(&out), "from the ramfs\nbin\ndev\netc\nproc\ntmp\n644 1700000000\nx\n");
}
