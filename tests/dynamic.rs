//! Dynamically linked programs from the host's own distribution, run with
//! the host's `/` as the guest root (`nommu run --root /`, the default):
//! the same stdout and status as natively. The guest-test programs built
//! dynamically run in differential.rs, files.rs, processes.rs, threads.rs.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `argv` natively and under nommu in `dir`; stdout and status must
/// match. Returns nommu's run.
fn same_host_program(dir: &Path, argv: &[&str]) -> Output {
    let program = which(argv[0]);
    let native = {
        let mut cmd = Command::new(&program);
        cmd.current_dir(dir).args(&argv[1..]);
        run_command(cmd)
    };
    let emulated = {
        let mut cmd = Command::new(nommu());
        cmd.current_dir(dir).arg("run").arg(&program).args(&argv[1..]);
        run_command(cmd)
    };
    assert_eq!(shell_status(&native), 0, "native {argv:?} failed: {}", String::from_utf8_lossy(&native.stderr));
    assert_eq!(
        String::from_utf8_lossy(&native.stdout),
        String::from_utf8_lossy(&emulated.stdout),
        "stdout of {argv:?} differs\n--- nommu stderr:\n{}",
        String::from_utf8_lossy(&emulated.stderr)
    );
    assert_eq!(shell_status(&emulated), 0, "{argv:?} under nommu: {}", String::from_utf8_lossy(&emulated.stderr));
    emulated
}

/// The host program's absolute path (a distribution binary, not a shim).
fn which(name: &str) -> String {
    for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        let p = format!("{dir}/{name}");
        if Path::new(&p).exists() {
            return p;
        }
    }
    panic!("{name} is not installed on this host (the Makefile's apt step installs it)");
}

fn sample_tree() -> TempDir {
    let dir = TempDir::new("dynamic-host");
    let d = dir.path();
    std::fs::create_dir_all(d.join("tree/sub")).unwrap();
    std::fs::write(d.join("tree/b.txt"), "pear\napple\nfig\napple\n").unwrap();
    std::fs::write(d.join("tree/a.txt"), "one line\n").unwrap();
    std::fs::write(d.join("tree/sub/c.txt"), "x".repeat(10000)).unwrap();
    std::os::unix::fs::symlink("b.txt", d.join("tree/link")).unwrap();
    dir
}

#[test]
fn coreutils_and_friends() {
    let dir = sample_tree();
    let d = dir.path();
    for argv in [
        &["ls", "tree"][..],
        &["ls", "-la", "--time-style=+", "tree"],
        &["cat", "tree/b.txt", "tree/a.txt"],
        &["sort", "tree/b.txt"],
        &["sort", "-u", "-r", "tree/b.txt"],
        &["sha256sum", "tree/b.txt", "tree/sub/c.txt"],
        &["md5sum", "tree/a.txt"],
        &["wc", "tree/b.txt"],
        &["find", "tree", "-name", "*.txt"],
        &["find", "tree", "-type", "l"],
        &["grep", "-rn", "apple", "tree"],
        &["sed", "s/apple/APPLE/", "tree/b.txt"],
        &["head", "-c", "100", "tree/sub/c.txt"],
        &["gzip", "-c", "tree/b.txt"],
        &["tar", "cf", "-", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "tree"],
        &["stat", "-c", "%n %s %F", "tree/b.txt", "tree/link"],
        &["uname", "-s"],
    ] {
        same_host_program(d, argv);
    }
}

#[test]
fn python_and_perl() {
    let dir = sample_tree();
    same_host_program(dir.path(), &["python3", "-c", "print(6*7)"]);
    same_host_program(
        dir.path(),
        &[
            "python3",
            "-c",
            "import hashlib,json,os; print(json.dumps(sorted(os.listdir('tree'))), hashlib.sha1(b'x').hexdigest())",
        ],
    );
    same_host_program(dir.path(), &["perl", "-e", "print join(',', map { $_ * 2 } 1..5), \"\\n\""]);
}

/// Python starting 50 threads that each allocate a little, all alive at
/// once: glibc gives the threads their own malloc arenas (64 MiB
/// reservations each), which must not run the default --mem out.
#[test]
fn python_fifty_threads_allocating() {
    let dir = sample_tree();
    let script = "
import threading
results = [None] * 50
barrier = threading.Barrier(50)
def work(i):
    data = [bytes([i % 256]) * (1000 + j) for j in range(200)]
    barrier.wait()
    results[i] = sum(len(d) for d in data)
threads = [threading.Thread(target=work, args=(i,)) for i in range(50)]
for t in threads: t.start()
for t in threads: t.join()
print(len(threads), 'threads', sum(results))
";
    let out = same_host_program(dir.path(), &["python3", "-c", script]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "50 threads 10995000\n");
}

/// Python's asyncio (epoll, socketpair for its self-pipe, non-blocking
/// connect) serving TCP on 127.0.0.1 and a unix socket in the working
/// directory, with the client in the same process.
#[test]
fn python_asyncio_echo_servers() {
    let dir = sample_tree();
    let script = "
import asyncio, os
async def handle(r, w):
    w.write((await r.read(100)).upper()); await w.drain(); w.close()
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    r, w = await asyncio.open_connection('127.0.0.1', srv.sockets[0].getsockname()[1])
    w.write(b'tcp echo'); await w.drain(); print((await r.read(100)).decode()); w.close(); srv.close()
    srv = await asyncio.start_unix_server(handle, 'echo.sock')
    r, w = await asyncio.open_unix_connection('echo.sock')
    w.write(b'unix echo'); await w.drain(); print((await r.read(100)).decode()); w.close(); srv.close()
    os.unlink('echo.sock')
asyncio.run(main())
";
    let out = same_host_program(dir.path(), &["python3", "-c", script]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "TCP ECHO\nUNIX ECHO\n");
}

/// Python's multiprocessing with the `spawn` start method: Debian's
/// python3 is `ET_EXEC` at 0x400000, so parent and children take turns on
/// that range while they talk over pipes (a Pool of two, a Process with
/// two Queues, then a ProcessPoolExecutor of three, whose threads wait for
/// the GIL, a lock inside python3's image, while it vforks).
#[test]
fn python_multiprocessing_spawn() {
    let dir = TempDir::new("dynamic-mp");
    let script = "
import multiprocessing as mp

def square(x):
    return x * x

def worker(q_in, q_out):
    item = q_in.get()
    q_out.put(('echo', item, sum(item)))

if __name__ == '__main__':
    mp.set_start_method('spawn')
    with mp.Pool(2) as pool:
        print('pool', pool.map(square, range(20)))
    q_in, q_out = mp.Queue(), mp.Queue()
    p = mp.Process(target=worker, args=(q_in, q_out))
    p.start()
    q_in.put([1, 2, 3])
    print('process', q_out.get())
    p.join()
    print('exitcode', p.exitcode)
    import concurrent.futures as cf
    with cf.ProcessPoolExecutor(3, mp_context=mp.get_context('spawn')) as ex:
        print('executor', list(ex.map(square, range(12))))
";
    std::fs::write(dir.path().join("mp.py"), script).unwrap();
    let out = same_host_program(dir.path(), &["python3", "mp.py"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("process ('echo', [1, 2, 3], 6)"));
}

/// gzip, then gunzip of what nommu wrote, natively: the round trip holds.
#[test]
fn gzip_round_trip_through_the_guest() {
    let dir = sample_tree();
    let out = same_host_program(dir.path(), &["gzip", "-9", "-c", "tree/sub/c.txt"]);
    std::fs::write(dir.path().join("c.gz"), &out.stdout).unwrap();
    let back = Command::new("gunzip").arg("-c").arg(dir.path().join("c.gz")).output().unwrap();
    assert_eq!(back.stdout, "x".repeat(10000).as_bytes());
}

/// cp -a inside the guest makes a tree that diff -r (natively) finds equal.
#[test]
fn cp_a_then_diff() {
    let dir = sample_tree();
    let mut cmd = Command::new(nommu());
    cmd.current_dir(dir.path()).args(["run", "/bin/cp", "-a", "tree", "copy"]);
    let out = run_command(cmd);
    assert_eq!(shell_status(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let diff = Command::new("diff").args(["-r", "--no-dereference", "tree", "copy"]).current_dir(dir.path()).output();
    assert!(diff.unwrap().status.success(), "the copy differs");
}
