//! Turning a program file into a runnable image in a process.

use super::machine::Machine;
use super::process::ImageInfo;
use super::process::Process;
use super::regions::{RegionKind, Regions};
use crate::arch::{cpu, Vcpu};
use crate::errno::Errno;
use crate::fs::file::FileKind;
use crate::fs::{path, vfs};
use crate::loader::{build_initial_stack, load_elf, stack::*, Segment, SegmentKind, StackSpec};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// Stack size when the program does not ask (PT_GNU_STACK p_memsz). A
/// no-MMU stack cannot grow, so this is all the program gets.
pub const DEFAULT_STACK_SIZE: u64 = 1 << 20;

pub struct ProgramSpec {
    /// The guest path of the program, as given (AT_EXECFN, messages);
    /// relative paths start at the process's working directory.
    pub guest_path: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
}

/// An exec failure: errno for the guest, and a line for the user.
#[derive(Debug)]
pub struct ExecError {
    pub errno: Errno,
    pub message: String,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ExecError {
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
pub struct StartState {
    pub rip: u64,
    pub rsp: u64,
}

impl StartState {
    pub fn apply(&self, vcpu: &mut Vcpu) {
        let regs = vcpu.regs_mut();
        *regs = Default::default();
        regs.rip = self.rip;
        regs.rsp = self.rsp;
        regs.rflags = 0x202;
        vcpu.set_fs_base(0);
        vcpu.reset_vector_state();
    }
}

/// Opens the program through the guest's file system and reads it all.
/// Returns the bytes and the executable's absolute guest path.
fn read_program(m: &Machine, process: &Arc<Process>, spec: &ProgramSpec) -> Result<(Vec<u8>, Vec<u8>), ExecError> {
    let name = String::from_utf8_lossy(&spec.guest_path).into_owned();
    let fail = |errno: Errno, why: &str| ExecError { errno, message: format!("{name}: {why}") };
    let errno_fail = |errno: Errno| fail(errno, errno.description());
    if spec.guest_path.is_empty() {
        return Err(errno_fail(Errno::ENOENT));
    }
    let cwd = process.fs().cwd_path(&m.root).map_err(errno_fail)?;
    let abs = path::join(&cwd, &spec.guest_path);
    let file = vfs::open(m, process, abs.clone(), libc::O_RDONLY, 0, 0).map_err(errno_fail)?;
    let st = vfs::fstat(&file).map_err(errno_fail)?;
    let mode = u32::from_le_bytes(st[24..28].try_into().unwrap_or_default());
    if mode & 0o170000 != 0o100000 {
        return Err(fail(Errno::EACCES, "Permission denied (not a regular file)"));
    }
    if mode & 0o111 == 0 {
        return Err(fail(Errno::EACCES, "Permission denied (not executable)"));
    }
    let FileKind::Host(fd) = &file.kind else {
        return Err(errno_fail(Errno::EACCES));
    };
    let exe = m.root.guest_path_of(fd.as_raw_fd()).unwrap_or_else(|| path::normalize(&abs));
    let mut bytes = Vec::new();
    let dup = fd.try_clone().map_err(|e| errno_fail(Errno::from(e)))?;
    std::fs::File::from(dup).read_to_end(&mut bytes).map_err(|e| errno_fail(Errno::from(e)))?;
    Ok((bytes, exe))
}

/// Loads the program into fresh arena memory owned by `process` and builds
/// its initial stack.
pub fn load_program(m: &Machine, process: &Arc<Process>, spec: &ProgramSpec) -> Result<StartState, ExecError> {
    let name = String::from_utf8_lossy(&spec.guest_path).into_owned();
    let (bytes, exe) = read_program(m, process, spec)?;
    let image = load_elf(&m.mem, &bytes).map_err(|e| ExecError { errno: e.errno, message: format!("{name}: {e}") })?;
    log::info!(
        "exec {name}: image {:#x}+{:#x}, {} syscall sites rewritten ({} may use the red zone) in {:?}",
        image.alloc_start,
        image.alloc_len,
        image.rewrite.sites,
        image.rewrite.redzone_sites,
        image.rewrite.elapsed
    );
    let stack_size = image.stack_size.unwrap_or(DEFAULT_STACK_SIZE).max(64 << 10);
    let oom = |e: Errno| ExecError {
        errno: e,
        message: format!("{name}: no arena memory for a {} KiB stack", stack_size >> 10),
    };
    let stack = match m.mem.alloc(stack_size, 16) {
        Ok(s) => s,
        Err(e) => {
            m.mem.free(image.alloc_start, image.alloc_len);
            return Err(oom(e));
        }
    };
    let mut random = [0u8; 16];
    let _ = getrandom_host(&mut random);
    let mut hwcap2 = cpu::hwcap2();
    if !cpu::has_fsgsbase() {
        hwcap2 &= !2;
    }
    let auxv = [
        (AT_MINSIGSTKSZ, cpu::minsigstksz()),
        (AT_HWCAP, cpu::hwcap()),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, image.phdr),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_HWCAP2, hwcap2),
    ];
    let spec_stack = StackSpec { argv: &spec.argv, envp: &spec.envp, execfn: &spec.guest_path, auxv: &auxv, random };
    let rsp = match build_initial_stack(&m.mem.user, stack + stack_size, stack_size / 2, &spec_stack) {
        Ok(rsp) => rsp,
        Err(e) => {
            m.mem.free(image.alloc_start, image.alloc_len);
            m.mem.free(stack, stack_size);
            return Err(ExecError { errno: e, message: format!("{name}: argument list too long") });
        }
    };

    let mut regions = process.regions();
    if !image.fixed_outside_arena {
        insert_image_regions(&mut regions, image.alloc_start, image.alloc_len, &image.segments);
    }
    regions.insert(stack, stack_size, RegionKind::Stack);
    regions.start_brk = image.brk;
    regions.brk = image.brk;
    drop(regions);
    let base = spec.guest_path.rsplit(|&c| c == b'/').next().unwrap_or(&spec.guest_path);
    process.set_comm(base);
    let nul_joined = |v: &[Vec<u8>]| v.iter().flat_map(|s| s.iter().copied().chain([0])).collect::<Vec<u8>>();
    *process.image() = ImageInfo { exe, cmdline: nul_joined(&spec.argv), environ: nul_joined(&spec.envp) };
    Ok(StartState { rip: image.entry, rsp })
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

fn getrandom_host(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}
