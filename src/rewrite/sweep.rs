//! Linear-sweep disassembly (iced-x86) of executable code.

use iced_x86::{Code, Decoder, DecoderOptions, FlowControl, Instruction, OpKind, Register};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub addr: u64,
    /// The code since the last control transfer touches memory below rsp:
    /// a leaf function may hold data in the red zone, which the `call`
    /// (pushing 8 bytes at rsp-8) would overwrite.
    pub redzone_risk: bool,
}

#[derive(Debug, Default)]
pub struct Sweep {
    pub sites: Vec<Site>,
}

fn touches_red_zone(instr: &Instruction) -> bool {
    (0..instr.op_count()).any(|i| instr.op_kind(i) == OpKind::Memory)
        && instr.memory_base() == Register::RSP
        && (instr.memory_displacement64() as i64) < 0
}

fn ends_block(instr: &Instruction) -> bool {
    !matches!(instr.flow_control(), FlowControl::Next | FlowControl::Call | FlowControl::IndirectCall)
}

/// Finds every `syscall`/`sysenter` in `code`, which lives at `ip`.
pub fn find_sites(code: &[u8], ip: u64) -> Sweep {
    let mut decoder = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let mut out = Sweep::default();
    let mut red_zone_live = false;
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        match instr.code() {
            Code::Syscall | Code::Sysenter => {
                out.sites.push(Site { addr: instr.ip(), redzone_risk: red_zone_live });
            }
            Code::INVALID => red_zone_live = false,
            _ if touches_red_zone(&instr) => red_zone_live = true,
            _ if ends_block(&instr) => red_zone_live = false,
            _ => {}
        }
    }
    out
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
    fn ignores_0f05_inside_other_instructions() {
        // je rel32 with displacement bytes 0f 05 00 00
        let code = [0x0f, 0x84, 0x0f, 0x05, 0x00, 0x00, 0xc3];
        assert!(find_sites(&code, 0).sites.is_empty());
    }
}
