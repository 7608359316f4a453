//! Turning a program file into a runnable image in a process.

use super::machine::Machine;
use super::process::ImageInfo;
use super::process::Process;
use super::procfs::ProcView;
use super::regions::{FixedImage, Mm, RegionKind, Regions};
use crate::abi::auxv::*;
use crate::abi::binfmts::{BINPRM_BUF_SIZE, BINPRM_MAX_RECURSION};
use crate::abi::consts::PAGE_SIZE;
use crate::abi::time::USER_HZ;
use crate::abi::x86::{HWCAP2_FSGSBASE, X86_EFLAGS_FIXED, X86_EFLAGS_IF};
use crate::arch::{cpu, Vcpu};
use crate::errno::Errno;
use crate::fs::file::FileKind;
use crate::fs::{path, vfs};
use crate::loader::cache::{CachedImage, FileId};
use crate::loader::{build_initial_stack, ArgList, ExecImage, FixedOwner, Segment, SegmentKind, StackSpec};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;

/// Stack size when the program does not ask (PT_GNU_STACK p_memsz). A
/// no-MMU stack cannot grow, so this is all the program gets.
pub(crate) const DEFAULT_STACK_SIZE: u64 = 1 << 20;
/// The main stack without PT_GNU_STACK under `--strict`: 131072
/// (fs/binfmt_elf_fdpic.c, `load_elf_fdpic_binary`).
const STRICT_STACK_SIZE: u64 = 128 << 10;

pub struct ProgramSpec {
    /// The guest path of the program, as given (AT_EXECFN, messages);
    /// relative paths start at the process's working directory.
    pub guest_path: Vec<u8>,
    /// What the program is called (AT_EXECFN, a script's argument):
    /// `guest_path`, or `/dev/fd/N/...` for execveat with a descriptor.
    pub name: Vec<u8>,
    /// The file cannot be reopened after exec (execveat with a
    /// close-on-exec descriptor): a `#!` script fails with ENOENT.
    pub inaccessible_after_exec: bool,
    /// The task that will run the program (it runs on a fixed image's
    /// copy from the load on).
    pub tid: i32,
    pub argv: ArgList,
    pub envp: ArgList,
    /// The working directory's path as the host gave it a moment ago, for
    /// a relative `guest_path` (pid 1's: `Machine::start_init` has just
    /// asked); `None`: the host is asked when one is needed (two host
    /// calls, one a readlink of /proc/self/fd, ~4 µs of a start here).
    pub(crate) cwd: Option<Vec<u8>>,
}

/// An exec failure: errno for the guest, and a line for the user.
#[derive(Debug)]
pub struct ExecError {
    pub errno: Errno,
    pub message: String,
    /// A fixed range the image needs is in use now (`LoadError::fixed_busy`).
    pub fixed_busy: Option<(u64, u64)>,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ProgramSpec {
    /// A program named by its path.
    pub fn new(path: Vec<u8>, argv: ArgList, envp: ArgList) -> ProgramSpec {
        ProgramSpec {
            name: path.clone(),
            guest_path: path,
            argv,
            envp,
            inaccessible_after_exec: false,
            tid: 0,
            cwd: None,
        }
    }
}

impl ExecError {
    pub(crate) fn new(errno: Errno, message: String) -> ExecError {
        ExecError { errno, message, fixed_busy: None }
    }

    /// The exit status a shell uses for this failure (127: not found).
    pub fn shell_code(&self) -> i32 {
        if self.errno == Errno::ENOENT || self.errno == Errno::ENOTDIR {
            127
        } else {
            126
        }
    }
}

/// Registers a fresh image starts with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StartState {
    pub rip: u64,
    pub rsp: u64,
}

impl StartState {
    pub(crate) fn apply(&self, vcpu: &mut Vcpu) {
        let regs = vcpu.regs_mut();
        *regs = Default::default();
        regs.rip = self.rip;
        regs.rsp = self.rsp;
        regs.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
        vcpu.set_fs_base(0);
        vcpu.reset_vector_state();
    }
}

/// Linux refuses to execute a file someone has open for writing (ETXTBSY).
/// nommu knows every guest's open files; writers outside the machine it
/// cannot see.
fn open_for_writing_in_guest(m: &Machine, st: &crate::abi::types::Stat) -> bool {
    let target = Some((st.st_dev, st.st_ino));
    // Each open file is asked of the host once in its life (`write_id`);
    // a vfork child's table shares its parent's files.
    let write_id = |fd| {
        let fl = crate::arch::host::fcntl_int(fd, libc::F_GETFL, 0).ok()?;
        if fl & 3 == libc::O_RDONLY {
            return None;
        }
        let s = crate::arch::host::fstatat(fd, c"", libc::AT_EMPTY_PATH).ok()?;
        Some((s.st_dev, s.st_ino))
    };
    // Every table is looked at under its lock without taking a reference
    // to its files; only a file not asked yet is taken out, to ask the host
    // after the lock (most are asked once, at the first exec after their
    // open: a machine with a hundred processes made every exec take and
    // drop a reference to each of their files, ~10 µs). A zombie's table is
    // empty.
    let mut unasked = Vec::new();
    for p in m.processes() {
        for (_, e) in p.files().iter() {
            match e.file.known_write_id() {
                Some(id) if id == target => return true,
                Some(_) => {}
                None => unasked.push(e.file.clone()),
            }
        }
    }
    unasked.iter().any(|f| f.write_id(write_id) == target)
}

/// Opens the program through the guest's file system and reads it all.
/// Returns the bytes and the executable's absolute guest path.
/// A program file: already loaded once (the image cache has it), or its
/// bytes.
enum ProgramFile {
    Cached(Arc<CachedImage>),
    Bytes(ProgramBytes, FileId),
}

impl ProgramFile {
    fn shebang(&self) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        match self {
            ProgramFile::Cached(_) => None,
            ProgramFile::Bytes(b, _) => shebang(b.bytes()),
        }
    }
}

/// A program file's bytes: mapped and read in place (a loader reads its
/// headers and what it copies; a 33 MB `cc1` whose text comes from the
/// code cache is not read whole), or, where it cannot be mapped, read.
enum ProgramBytes {
    Mapped(crate::mm::filemap::GuardedFileMap),
    Read(Vec<u8>),
}

impl ProgramBytes {
    fn of(fd: std::os::fd::BorrowedFd<'_>, len: u64) -> std::io::Result<ProgramBytes> {
        if let Ok(map) = crate::mm::filemap::GuardedFileMap::new(fd, len) {
            return Ok(ProgramBytes::Mapped(map));
        }
        let mut bytes = Vec::new();
        std::fs::File::from(fd.try_clone_to_owned()?).read_to_end(&mut bytes)?;
        Ok(ProgramBytes::Read(bytes))
    }

    fn bytes(&self) -> &[u8] {
        match self {
            ProgramBytes::Mapped(m) => m.bytes(),
            ProgramBytes::Read(v) => v,
        }
    }

    /// The file was truncated while it was read in place.
    fn torn(&self) -> bool {
        matches!(self, ProgramBytes::Mapped(m) if m.torn())
    }
}

/// Why a file of this mode cannot be exec'd (EACCES), if it cannot: it is
/// no regular file, or no one may execute it (everyone is root inside).
pub(crate) fn exec_mode_refusal(mode: u32) -> Option<&'static str> {
    if mode & 0o170000 != 0o100000 {
        return Some("Permission denied (not a regular file)");
    }
    (mode & 0o111 == 0).then_some("Permission denied (not executable)")
}

fn read_program(
    m: &Machine,
    process: &Arc<Process>,
    guest_path: &[u8],
    cwd: Option<&[u8]>,
) -> Result<(ProgramFile, Vec<u8>), ExecError> {
    let name = String::from_utf8_lossy(guest_path).into_owned();
    let fail = |errno: Errno, why: &str| ExecError::new(errno, format!("{name}: {why}"));
    let errno_fail = |errno: Errno| fail(errno, errno.description());
    if guest_path.is_empty() {
        return Err(errno_fail(Errno::ENOENT));
    }
    // An absolute path needs no working directory (its lookup would cost
    // two host calls, and a removed one does not matter then, as on Linux).
    let abs = if guest_path.first() == Some(&b'/') {
        guest_path.to_vec()
    } else {
        match cwd {
            Some(cwd) => path::join(cwd, guest_path),
            None => path::join(&process.fs().cwd_path(&m.root).map_err(errno_fail)?, guest_path),
        }
    };
    // O_NONBLOCK: a FIFO must not make exec wait (it is refused below, as
    // Linux refuses anything but a regular file).
    let req = vfs::OpenRequest {
        flags: libc::O_RDONLY | libc::O_NONBLOCK,
        mode: 0,
        umask: 0,
        wait: crate::arch::host::Wait::Uninterruptible,
    };
    let generation = m.root.dirs.generation();
    let file = vfs::open(&m.root, &ProcView::new(m, process), abs.clone(), &req).map_err(errno_fail)?;
    let st = vfs::fstat(&file).map_err(errno_fail)?;
    if let Some(why) = exec_mode_refusal(st.st_mode) {
        return Err(fail(Errno::EACCES, why));
    }
    let FileKind::Host(fd) = &file.kind else {
        return Err(errno_fail(Errno::EACCES));
    };
    if open_for_writing_in_guest(m, &st) {
        return Err(errno_fail(Errno::ETXTBSY));
    }
    let machine = m.root.program_path(fd.as_raw_fd(), &abs, generation);
    let exe = machine.clone().and_then(|p| m.root.to_caller(p)).unwrap_or_else(|| path::normalize(&abs));
    if m.root.mounts.noexec(machine.as_ref().unwrap_or(&exe)) {
        return Err(fail(Errno::EACCES, "Permission denied (mounted noexec)"));
    }
    let id = FileId::from_stat(&st);
    if let Some(hit) = m.images.get(&id, m.config.exec_map) {
        return Ok((ProgramFile::Cached(hit), exe));
    }
    let bytes =
        ProgramBytes::of(fd.as_fd(), u64::try_from(st.st_size).unwrap_or(0)).map_err(|e| errno_fail(Errno::from(e)))?;
    Ok((ProgramFile::Bytes(bytes, id), exe))
}

/// A program loaded into fresh arena memory, not yet given to its process.
pub(crate) struct LoadedProgram {
    pub start: StartState,
    pub rewrite: crate::rewrite::RewriteStats,
    regions: Regions,
    image: ImageInfo,
    comm: Vec<u8>,
}

impl LoadedProgram {
    /// The fixed image's copy the program runs on, if it has one.
    pub(crate) fn fixed(&self) -> Option<u64> {
        self.regions.outside_image.map(|f| f.id)
    }

    /// The point of no return of execve: the process drops the memory it
    /// owned (a vfork child owns none of its parent's) and takes the new.
    pub(crate) fn commit(self, m: &Machine, process: &Process) -> StartState {
        let LoadedProgram { start, rewrite: _, mut regions, image, comm } = self;
        let fresh = Arc::new(Mm::new(std::mem::take(&mut regions), Arc::downgrade(&m.arc())));
        process.set_mm(fresh);
        process.set_comm(&comm);
        *process.image() = image;
        if m.config.isolate {
            log_key_sharing(m, process);
        }
        start
    }
}

/// --isolate with more live processes than keys: which processes share
/// the key `process` just got (isolation is partial between them).
fn log_key_sharing(m: &Machine, process: &Process) {
    let key = process.mem_key();
    if !log::log_enabled!(log::Level::Debug) {
        return;
    }
    let sharing: Vec<String> = m
        .live_processes()
        .iter()
        .filter(|p| p.pid != process.pid && p.mem_key() == key)
        .map(|p| format!("pid {} ({})", p.pid, p.comm()))
        .collect();
    if !sharing.is_empty() {
        log::debug!("isolate: pid {} ({}) shares key {key} with {}", process.pid, process.comm(), sharing.join(", "));
    }
}

/// `#!interpreter [one-arg]` of a script, if it is one.
fn shebang(bytes: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let rest = bytes.strip_prefix(b"#!")?;
    let line = &rest[..rest.len().min(BINPRM_BUF_SIZE)];
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let trimmed: &[u8] = {
        let start = line.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(line.len());
        // Linux strips spaces and tabs only: a CRLF line keeps its \r.
        let end = line.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |e| e + 1);
        &line[start..end.max(start)]
    };
    if trimmed.is_empty() {
        return None;
    }
    let split = trimmed.iter().position(|&b| b == b' ' || b == b'\t');
    match split {
        None => Some((trimmed.to_vec(), None)),
        Some(i) => {
            let arg = &trimmed[i..];
            let arg_start = arg.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(arg.len());
            let arg = &arg[arg_start..];
            Some((trimmed[..i].to_vec(), (!arg.is_empty()).then(|| arg.to_vec())))
        }
    }
}

/// Loads a program (following `#!` interpreters) into fresh arena memory
/// and builds its initial stack. The process itself is not changed.
pub(crate) fn load_program(
    m: &Machine,
    process: &Arc<Process>,
    spec: &ProgramSpec,
) -> Result<LoadedProgram, ExecError> {
    let mut path = spec.guest_path.clone();
    // A copy only when a `#!` line changes it.
    let mut argv = std::borrow::Cow::Borrowed(&spec.argv);
    let mut bytes_exe = read_program(m, process, &path, spec.cwd.as_deref())?;
    for depth in 0.. {
        let Some((interp, arg)) = bytes_exe.0.shebang() else { break };
        if depth >= BINPRM_MAX_RECURSION {
            let name = String::from_utf8_lossy(&spec.guest_path).into_owned();
            return Err(ExecError::new(Errno::ELOOP, format!("{name}: too many #! interpreters")));
        }
        if depth == 0 && spec.inaccessible_after_exec {
            let name = String::from_utf8_lossy(&spec.name).into_owned();
            return Err(ExecError::new(Errno::ENOENT, format!("{name}: script closed on exec")));
        }
        // argv becomes: interpreter [arg] script-name original-argv[1..].
        let mut new_argv = ArgList::new();
        new_argv.push(&interp);
        if let Some(arg) = &arg {
            new_argv.push(arg);
        }
        new_argv.push(if depth == 0 { &spec.name } else { &path });
        for a in argv.iter().skip(1) {
            new_argv.push(a);
        }
        argv = std::borrow::Cow::Owned(new_argv);
        path = interp;
        bytes_exe = read_program(m, process, &path, spec.cwd.as_deref())?;
    }
    let (file, exe) = bytes_exe;
    // --isolate: the new image and stack are nobody's until `commit` gives
    // them the process's key; the kernel writes them as itself, not as
    // the caller (whose key they do not carry).
    crate::mm::isolation::as_kernel(|| {
        load_image(m, process, spec.tid, &path, &spec.name, &argv, &spec.envp, file, exe)
    })
}

/// The first exec of a program (a cache miss) runs from the image cache
/// as every later one does (docs/architecture.md, "Exec without
/// copying"): its read-only pages mapped, shared and not committed, in
/// place of the copy just loaded. The load's rewrite counts stay.
fn map_first_exec(m: &Machine, id: crate::loader::cache::FileId, loaded: ExecImage) -> ExecImage {
    let Some(cached) = m.config.exec_map.then(|| m.images.get(&id, true)).flatten() else { return loaded };
    match cached.instantiate(&m.mem, true) {
        Ok(mapped) => {
            loaded.release(&m.mem);
            ExecImage { rewrite: loaded.rewrite, ..mapped }
        }
        Err(_) => loaded,
    }
}

/// Puts a program file's image into fresh arena memory: a copy of the
/// cached image, or a load (and rewrite) of its bytes.
fn instantiate(m: &Machine, owner: &FixedOwner<'_>, name: &str, file: ProgramFile) -> Result<ExecImage, ExecError> {
    let image = match file {
        ProgramFile::Cached(c) => c
            .instantiate(&m.mem, m.config.exec_map)
            .map_err(|e| ExecError::new(e, format!("{name}: out of arena memory for the image")))?,
        ProgramFile::Bytes(bytes, id) => {
            let text = crate::loader::elf::TextCache { code: &m.code, file: id };
            let loaded = crate::loader::elf::load_elf_cached(&m.mem, bytes.bytes(), owner, Some(&text));
            if bytes.torn() {
                // Truncated while read: what was loaded is not the file.
                if let Ok(image) = loaded {
                    image.release(&m.mem);
                }
                return Err(ExecError::new(Errno::EIO, format!("{name}: the file was truncated while it was read")));
            }
            let image = loaded.map_err(|e| ExecError {
                errno: e.errno,
                message: format!("{name}: {e}"),
                fixed_busy: e.fixed_busy,
            })?;
            m.images.insert(&m.mem, id, &image, image.align, m.config.exec_map);
            map_first_exec(m, id, image)
        }
    };
    let how = if image.rewrite.bytes_scanned == 0 { "copied from the image cache" } else { "rewritten" };
    log::info!(
        "exec {name}: image {:#x}+{:#x}, {} syscall sites {how}, {} left to the trap path \
         ({} may use the red zone) in {:?}",
        image.alloc_start,
        image.alloc_len,
        image.rewrite.sites,
        image.rewrite.trap_sites,
        image.rewrite.redzone_sites,
        image.rewrite.elapsed
    );
    if image.rewrite.bytes_scanned > 0 {
        // Copies from the image cache rewrite nothing: count only real scans.
        m.diag.note_rewrite(&image.rewrite);
    }
    Ok(image)
}

/// The dynamic linker a program names in PT_INTERP, loaded from inside the
/// root like the program itself (binfmt_elf's `open_exec` of it).
fn load_interpreter(m: &Machine, process: &Arc<Process>, program: &str, path: &[u8]) -> Result<ExecImage, ExecError> {
    let shown = String::from_utf8_lossy(path).into_owned();
    let (file, _) = read_program(m, process, path, None).map_err(|e| {
        ExecError::new(e.errno, format!("{program}: cannot load its interpreter {shown}: {}", e.errno.description()))
    })?;
    let interp = instantiate(m, &FixedOwner { tid: 0, label: "" }, &shown, file)?;
    if interp.interp.is_some() || interp.fixed.is_some() {
        interp.release(&m.mem);
        let message =
            format!("{program}: its interpreter {shown} is not a self-contained position-independent program");
        return Err(ExecError::new(Errno::ELIBBAD, message));
    }
    Ok(interp)
}

#[allow(clippy::too_many_arguments)]
fn load_image(
    m: &Machine,
    process: &Arc<Process>,
    tid: i32,
    path: &[u8],
    execfn: &[u8],
    argv: &ArgList,
    envp: &ArgList,
    file: ProgramFile,
    exe: Vec<u8>,
) -> Result<LoadedProgram, ExecError> {
    let name = String::from_utf8_lossy(path).into_owned();
    let label = format!("pid {} ({})", process.pid, String::from_utf8_lossy(execfn));
    let image = instantiate(m, &FixedOwner { tid, label: &label }, &name, file)?;
    let interp = match &image.interp {
        Some(ipath) => match load_interpreter(m, process, &name, ipath) {
            Ok(i) => Some(i),
            Err(e) => {
                image.release(&m.mem);
                return Err(e);
            }
        },
        None => None,
    };
    m.diag.note_exec();
    let mut regions = Regions::default();
    if let Some(id) = image.fixed {
        regions.outside_image = Some(FixedImage { start: image.alloc_start, len: image.alloc_len, id });
    } else {
        insert_image_regions(&mut regions, image.alloc_start, image.alloc_len, &image.segments);
    }
    if let Some(i) = &interp {
        insert_image_regions(&mut regions, i.alloc_start, i.alloc_len, &i.segments);
    }
    let mut rewrite = image.rewrite;
    if let Some(i) = &interp {
        rewrite.add(&i.rewrite);
    }
    let stack_size = if m.config.strict {
        // fs/binfmt_elf_fdpic.c: the larger PT_GNU_STACK p_memsz of the
        // program and its interpreter, else 128 KiB; at least two pages.
        let asked = image.stack_size.max(interp.as_ref().and_then(|i| i.stack_size));
        crate::mm::checked_page_up(asked.unwrap_or(STRICT_STACK_SIZE)).unwrap_or(u64::MAX).max(2 * PAGE_SIZE)
    } else {
        image.stack_size.unwrap_or(DEFAULT_STACK_SIZE).max(64 << 10)
    };
    let allocated = if m.config.strict {
        m.mem.alloc_stack_whole(stack_size)
    } else {
        m.mem.alloc_stack(stack_size, m.config.exec_map)
    };
    let (stack_alloc, stack_alloc_len, stack) = match allocated {
        Ok(s) => s,
        Err(e) => {
            regions.release_all(&m.mem);
            let message = format!("{name}: no arena memory for a {} KiB stack", stack_size >> 10);
            return Err(ExecError::new(e, message));
        }
    };
    regions.insert(stack_alloc, stack_alloc_len, RegionKind::Stack);
    // fs/binfmt_elf_fdpic.c (no MMU) puts the break at the stack block's
    // start, with end_brk there too; nommu's default at the image's end.
    let brk = if m.config.strict { stack_alloc } else { image.brk };
    regions.start_brk = brk;
    regions.brk = brk;
    let mut random = [0u8; 16];
    let _ = getrandom_host(&mut random);
    let mut hwcap2 = cpu::hwcap2();
    if !cpu::has_fsgsbase() {
        hwcap2 &= !HWCAP2_FSGSBASE;
    }
    let auxv = [
        (AT_MINSIGSTKSZ, cpu::minsigstksz()),
        (AT_HWCAP, cpu::hwcap()),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, USER_HZ),
        (AT_PHDR, image.phdr),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_BASE, interp.as_ref().map_or(0, |i| i.load_bias)),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_HWCAP2, hwcap2),
    ];
    let spec_stack = StackSpec { argv, envp, execfn, auxv: &auxv, random };
    let rsp = match build_initial_stack(&m.mem.user, stack + stack_size, stack_size / 2, &spec_stack) {
        Ok(rsp) => rsp,
        Err(e) => {
            regions.release_all(&m.mem);
            return Err(ExecError::new(e, format!("{name}: argument list too long")));
        }
    };
    // comm is the name of the file exec'd (a script's, not its
    // interpreter's), as Linux's kbasename(bprm->filename).
    let base = execfn.rsplit(|&c| c == b'/').next().unwrap_or(execfn).to_vec();
    Ok(LoadedProgram {
        start: StartState { rip: interp.as_ref().map_or(image.entry, |i| i.entry), rsp },
        rewrite,
        regions,
        image: ImageInfo {
            exe,
            cmdline: argv.nul_joined().to_vec(),
            environ: envp.nul_joined().to_vec(),
            load_bias: image.load_bias,
        },
        comm: base,
    })
}

/// Splits the image allocation into text/data regions at segment
/// boundaries; pages two segments share go to the first, gaps are data.
fn insert_image_regions(regions: &mut Regions, start: u64, len: u64, segs: &[Segment]) {
    let mut segs = segs.to_vec();
    segs.sort_by_key(|s| s.start);
    let end = start + len;
    let mut at = start;
    for s in segs {
        let s_start = s.start.clamp(at, end);
        let s_end = (s.start + s.len).clamp(s_start, end);
        if s_start > at {
            regions.insert(at, s_start - at, RegionKind::Data);
        }
        if s_end > s_start {
            let kind = if s.kind == SegmentKind::Text { RegionKind::Text } else { RegionKind::Data };
            regions.insert(s_start, s_end - s_start, kind);
        }
        at = at.max(s_end);
    }
    if at < end {
        regions.insert(at, end - at, RegionKind::Data);
    }
}

/// AT_RANDOM's bytes, handed out from a pool the host fills 4 KiB at a
/// time: one host call per 256 execs instead of an open, read and close
/// of /dev/urandom each. The first fill is 256 bytes (16 execs): a run of
/// one program execs once, and the host's getrandom costs by the byte
/// (its ChaCha: ~8 µs for 4 KiB on the machine of BENCHMARKS.md).
fn getrandom_host(buf: &mut [u8; 16]) -> std::io::Result<()> {
    const FIRST_FILL: usize = 256;
    struct Pool {
        bytes: [u8; 4096],
        used: usize,
        /// Bytes of the last fill (0: none yet).
        len: usize,
    }
    static POOL: std::sync::Mutex<Pool> = std::sync::Mutex::new(Pool { bytes: [0; 4096], used: 0, len: 0 });
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if pool.used + buf.len() > pool.len {
        let len = if pool.len == 0 { FIRST_FILL } else { pool.bytes.len() };
        let mut filled = 0;
        while filled < len {
            filled += crate::arch::host::getrandom(&mut pool.bytes[filled..len])?;
        }
        pool.len = len;
        pool.used = 0;
    }
    let at = pool.used;
    buf.copy_from_slice(&pool.bytes[at..at + 16]);
    // Each byte goes out once.
    pool.bytes[at..at + 16].fill(0);
    pool.used += 16;
    Ok(())
}
