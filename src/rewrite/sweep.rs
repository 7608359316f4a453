//! Linear-sweep disassembly (iced-x86) of executable code.

use iced_x86::{Code, Decoder, DecoderOptions, FlowControl, Instruction, Mnemonic, OpKind, Register};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    pub addr: u64,
    /// Live data below rsp is possible around this site: a leaf function
    /// may keep it in the red zone, which the `call` (pushing 8 bytes at
    /// rsp-8) would overwrite.
    pub redzone_risk: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Sweep {
    pub sites: Vec<Site>,
}

/// How many instructions after a site are checked for red-zone use.
const LOOKAHEAD_INSTRUCTIONS: usize = 24;

/// Red-zone state of a straight run of code.
#[derive(Clone, Copy, Default)]
struct RedZone {
    /// Memory below rsp was touched since the last point where it is dead.
    live: bool,
    /// rbp == rsp (an -O0 leaf frame: `mov rbp, rsp` with no `sub rsp`), so
    /// negative rbp offsets are red zone too.
    rbp_is_rsp: bool,
}

impl RedZone {
    fn touches(&self, instr: &Instruction) -> bool {
        // Cheapest test first: the sweep runs this on every instruction.
        let base = instr.memory_base();
        (base == Register::RSP || (self.rbp_is_rsp && base == Register::RBP))
            && (instr.memory_displacement64() as i64) < 0
            && (0..instr.op_count()).any(|i| instr.op_kind(i) == OpKind::Memory)
    }

    fn step(&mut self, instr: &Instruction) {
        if instr.code() == Code::INVALID || ends_straight_run(instr) {
            *self = RedZone::default();
            return;
        }
        if self.touches(instr) {
            self.live = true;
        }
        // Only instructions that write rbp or rsp change the frame picture.
        if instr.op_count() == 0 || instr.op_kind(0) != OpKind::Register {
            if instr.mnemonic() == Mnemonic::Push {
                self.rbp_is_rsp = false;
            }
            return;
        }
        match instr.op0_register() {
            Register::RBP => {
                self.rbp_is_rsp = instr.mnemonic() == Mnemonic::Mov
                    && instr.op_count() == 2
                    && instr.op_kind(1) == OpKind::Register
                    && instr.op1_register() == Register::RSP;
            }
            Register::RSP => self.rbp_is_rsp = false,
            _ if instr.mnemonic() == Mnemonic::Push => self.rbp_is_rsp = false,
            _ => {}
        }
    }
}

/// Where red-zone data is certainly dead: a call (it writes rsp-8 itself),
/// a return or unconditional jump (leaving the function or the run), a trap.
/// Conditional branches stay inside the function and do not count.
fn ends_straight_run(instr: &Instruction) -> bool {
    !matches!(instr.flow_control(), FlowControl::Next | FlowControl::ConditionalBranch)
}

fn is_site(instr: &Instruction) -> bool {
    matches!(instr.code(), Code::Syscall | Code::Sysenter)
}

/// Does the code after the site at `code[off..]` touch the red zone before
/// its straight run ends?
fn used_after(code: &[u8], ip: u64, off: usize) -> bool {
    let mut decoder = Decoder::with_ip(64, &code[off..], ip + off as u64, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let mut zone = RedZone::default();
    decoder.decode_out(&mut instr); // the site itself
    for _ in 0..LOOKAHEAD_INSTRUCTIONS {
        if !decoder.can_decode() {
            break;
        }
        decoder.decode_out(&mut instr);
        if zone.touches(&instr) {
            return true;
        }
        if instr.code() == Code::INVALID || ends_straight_run(&instr) {
            break;
        }
        zone.step(&instr);
    }
    false
}

/// Finds every `syscall`/`sysenter` in `code`, which lives at `ip`.
pub(crate) fn find_sites(code: &[u8], ip: u64) -> Sweep {
    let mut decoder = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let mut out = Sweep::default();
    let mut zone = RedZone::default();
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        if is_site(&instr) {
            let off = (instr.ip() - ip) as usize;
            out.sites.push(Site { addr: instr.ip(), redzone_risk: zone.live || used_after(code, ip, off) });
        }
        zone.step(&instr);
    }
    out
}

/// A `syscall` at `code[off..]` (which lives at `ip`) was found at run time,
/// with no known instruction boundary before it but `code[0]`. It is safe
/// to rewrite when no decoding that runs into it from an earlier byte sees
/// red-zone use before it, and the code after it does not use the red zone.
pub(crate) fn site_is_safe(code: &[u8], ip: u64, off: usize) -> bool {
    if used_after(code, ip, off) {
        return false;
    }
    for start in 0..off {
        let mut decoder = Decoder::with_ip(64, &code[start..off + 2], ip + start as u64, DecoderOptions::NONE);
        let mut instr = Instruction::default();
        let mut zone = RedZone::default();
        while decoder.can_decode() {
            decoder.decode_out(&mut instr);
            let at = (instr.ip() - ip) as usize;
            if at == off && is_site(&instr) && zone.live {
                return false;
            }
            if at >= off {
                break;
            }
            zone.step(&instr);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_syscall_and_sysenter() {
        // mov eax,39; syscall; nop; sysenter; ret
        let code = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x90, 0x0f, 0x34, 0xc3];
        let s = find_sites(&code, 0x1000);
        let addrs: Vec<u64> = s.sites.iter().map(|s| s.addr).collect();
        assert_eq!(addrs, vec![0x1005, 0x1008]);
        assert!(s.sites.iter().all(|s| !s.redzone_risk));
    }

    #[test]
    fn flags_red_zone_use() {
        // mov [rsp-8], rdi; syscall; ret; syscall
        let code = [0x48, 0x89, 0x7c, 0x24, 0xf8, 0x0f, 0x05, 0xc3, 0x0f, 0x05];
        let s = find_sites(&code, 0);
        assert_eq!(s.sites.len(), 2);
        assert!(s.sites[0].redzone_risk);
        assert!(!s.sites[1].redzone_risk);
    }

    #[test]
    fn flags_red_zone_use_after_the_site() {
        // syscall; mov rax, [rsp-16]; ret
        let code = [0x0f, 0x05, 0x48, 0x8b, 0x44, 0x24, 0xf0, 0xc3];
        assert!(find_sites(&code, 0).sites[0].redzone_risk);
        // syscall; ret; mov rax, [rsp-16]  (another function)
        let code = [0x0f, 0x05, 0xc3, 0x48, 0x8b, 0x44, 0x24, 0xf0];
        assert!(!find_sites(&code, 0).sites[0].redzone_risk);
    }

    #[test]
    fn a_conditional_branch_does_not_end_red_zone_use() {
        // mov [rsp-8], rdi; test eax, eax; jz +0; syscall; ret
        let code = [0x48, 0x89, 0x7c, 0x24, 0xf8, 0x85, 0xc0, 0x74, 0x00, 0x0f, 0x05, 0xc3];
        assert!(find_sites(&code, 0).sites[0].redzone_risk);
    }

    #[test]
    fn an_o0_leaf_frame_uses_rbp_for_the_red_zone() {
        // push rbp; mov rbp, rsp; mov [rbp-8], rdi; syscall; pop rbp; ret
        let code = [0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0x7d, 0xf8, 0x0f, 0x05, 0x5d, 0xc3];
        assert!(find_sites(&code, 0).sites[0].redzone_risk);
        // ... with sub rsp, 16 after the mov: rbp-8 is inside the frame.
        let code = [0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10, 0x48, 0x89, 0x7d, 0xf8, 0x0f, 0x05, 0xc9, 0xc3];
        assert!(!find_sites(&code, 0).sites[0].redzone_risk);
    }

    #[test]
    fn run_time_sites() {
        // mov eax, 39; syscall; ret  (the JIT test's code)
        let code = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3];
        assert!(site_is_safe(&code, 0x1000, 5));
        // mov [rsp-8], rdi; syscall; ret
        let code = [0x48, 0x89, 0x7c, 0x24, 0xf8, 0x0f, 0x05, 0xc3];
        assert!(!site_is_safe(&code, 0x1000, 5));
        // syscall; mov rax, [rsp-8]
        let code = [0x0f, 0x05, 0x48, 0x8b, 0x44, 0x24, 0xf8];
        assert!(!site_is_safe(&code, 0x1000, 0));
    }

    #[test]
    fn ignores_0f05_inside_other_instructions() {
        // je rel32 with displacement bytes 0f 05 00 00
        let code = [0x0f, 0x84, 0x0f, 0x05, 0x00, 0x00, 0xc3];
        assert!(find_sites(&code, 0).sites.is_empty());
    }
}
