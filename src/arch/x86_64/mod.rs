//! x86-64 host: zpoline trampoline, entry area, vCPU, host signals.

pub mod area;
pub mod caps;
pub mod cpu;
pub mod entry;
pub mod fastrw;
pub mod fileread;
pub mod host;
pub mod hostevent;
pub mod hostfd;
pub mod hostmount;
pub mod hostnet;
pub mod hostsig;
pub mod hosttimer;
pub mod hostwatch;
pub mod isyscall;
pub mod memcopy;
pub mod pkeys;
pub mod selfimage;
pub mod sigframe;
pub mod switches;
pub mod systrap;
pub mod trampoline;
pub mod vcpu;

pub use area::GuestRegs;
pub use vcpu::Vcpu;
pub(crate) use vcpu::VcpuExit;
pub(crate) use vcpu::VcpuState;
