//! nommu's own `memcpy` and `memmove`, in place of musl's.
//!
//! musl's x86-64 `memcpy` moves bytes one at a time up to an aligned
//! destination, then runs `rep movsq`, whose start-up costs ~30 cycles
//! on the CPUs measured: a copy of a few dozen bytes took ~15–25 ns.
//! Rust calls `memcpy` for every move of a value larger than a few
//! words and for every `extend_from_slice`, and nommu makes ~150 such
//! calls per vfork + execve + wait (argv and envp strings, the process
//! record, the region lists): `perf` put 7–10% of that benchmark in
//! `memcpy` (BENCHMARKS.md, issue 17 round 8).
//!
//! Here a copy of up to 64 bytes is at most four loads and four stores,
//! all loads first (so `memmove` of such a range is the same code); up
//! to 2 KiB it moves 32 bytes a round with SSE, the last 32 bytes
//! loaded before the loop; larger copies use `rep movsb` (fast strings,
//! which every x86-64 CPU since 2012 has). `memmove` copies forward
//! unless the destination starts inside the source, and then 32 bytes
//! a round from the end.
//!
//! Plain assembly: no stack, no TLS, nothing but the registers the SysV
//! ABI lets a callee clobber (rax, rcx, rdx, rsi, rdi, r8–r10, xmm0–3),
//! so it is safe anywhere musl's was (start-up, signal handlers, the
//! syscall path). Defining both symbols keeps musl's `memcpy.o` and
//! `memmove.o` out of the link (its `memmove` calls its `memcpy`'s
//! internal entry).

core::arch::global_asm!(
    ".pushsection .text.nommu.memcopy,\"ax\",@progbits",
    ".globl memcpy",
    ".type memcpy,@function",
    ".globl nommu_memcpy",
    ".p2align 5",
    "memcpy:",
    "nommu_memcpy:",
    "    mov rax, rdi",
    "    cmp rdx, 16",
    "    ja 30f",
    "    cmp rdx, 8",
    "    jb 10f",
    // 8..=16 bytes: two 8-byte moves that overlap in the middle.
    "    mov rcx, [rsi]",
    "    mov r8, [rsi + rdx - 8]",
    "    mov [rdi], rcx",
    "    mov [rdi + rdx - 8], r8",
    "    ret",
    "10:",
    "    cmp rdx, 4",
    "    jb 20f",
    // 4..=7 bytes.
    "    mov ecx, [rsi]",
    "    mov r8d, [rsi + rdx - 4]",
    "    mov [rdi], ecx",
    "    mov [rdi + rdx - 4], r8d",
    "    ret",
    "20:",
    // 0..=3 bytes: the first, the middle and the last byte.
    "    test rdx, rdx",
    "    je 21f",
    "    mov r9, rdx",
    "    shr r9, 1",
    "    movzx ecx, byte ptr [rsi]",
    "    movzx r8d, byte ptr [rsi + r9]",
    "    movzx r10d, byte ptr [rsi + rdx - 1]",
    "    mov [rdi], cl",
    "    mov [rdi + r9], r8b",
    "    mov [rdi + rdx - 1], r10b",
    "21:",
    "    ret",
    "30:",
    "    cmp rdx, 32",
    "    ja 40f",
    // 17..=32 bytes.
    "    movups xmm0, [rsi]",
    "    movups xmm1, [rsi + rdx - 16]",
    "    movups [rdi], xmm0",
    "    movups [rdi + rdx - 16], xmm1",
    "    ret",
    "40:",
    "    cmp rdx, 64",
    "    ja 50f",
    // 33..=64 bytes.
    "    movups xmm0, [rsi]",
    "    movups xmm1, [rsi + 16]",
    "    movups xmm2, [rsi + rdx - 32]",
    "    movups xmm3, [rsi + rdx - 16]",
    "    movups [rdi], xmm0",
    "    movups [rdi + 16], xmm1",
    "    movups [rdi + rdx - 32], xmm2",
    "    movups [rdi + rdx - 16], xmm3",
    "    ret",
    "50:",
    "    cmp rdx, 2048",
    "    jae 70f",
    // 65..2047 bytes: the last 32 loaded first, then 32 a round from the
    // start while more than 32 remain, then those last 32 (overlapping).
    "    movups xmm2, [rsi + rdx - 32]",
    "    movups xmm3, [rsi + rdx - 16]",
    "    lea r8, [rdi + rdx - 32]",
    "    mov rcx, rdi",
    "60:",
    "    movups xmm0, [rsi]",
    "    movups xmm1, [rsi + 16]",
    "    movups [rcx], xmm0",
    "    movups [rcx + 16], xmm1",
    "    add rsi, 32",
    "    add rcx, 32",
    "    sub rdx, 32",
    "    cmp rdx, 32",
    "    ja 60b",
    "    movups [r8], xmm2",
    "    movups [r8 + 16], xmm3",
    "    ret",
    "70:",
    "    mov rcx, rdx",
    "    rep movsb",
    "    ret",
    ".size memcpy, . - memcpy",
    "",
    ".globl memmove",
    ".type memmove,@function",
    ".p2align 5",
    "memmove:",
    // Forward is safe unless the destination starts inside the source
    // (dst - src < n, unsigned); up to 64 bytes every load comes first.
    "    mov rax, rdi",
    "    sub rax, rsi",
    "    cmp rax, rdx",
    "    jae memcpy",
    "    cmp rdx, 64",
    "    jbe memcpy",
    // Backward: the first 32 loaded first, then 32 a round from the end
    // while more than 32 remain, then those first 32 (overlapping).
    "    mov rax, rdi",
    "    movups xmm2, [rsi]",
    "    movups xmm3, [rsi + 16]",
    "80:",
    "    movups xmm0, [rsi + rdx - 32]",
    "    movups xmm1, [rsi + rdx - 16]",
    "    movups [rdi + rdx - 32], xmm0",
    "    movups [rdi + rdx - 16], xmm1",
    "    sub rdx, 32",
    "    cmp rdx, 32",
    "    ja 80b",
    "    movups [rdi], xmm2",
    "    movups [rdi + 16], xmm3",
    "    ret",
    ".size memmove, . - memmove",
    ".popsection",
);

#[cfg(test)]
mod tests {
    extern "C" {
        fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8;
        fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8;
        fn nommu_memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8;
    }

    #[test]
    fn the_linked_memcpy_is_this_one() {
        assert_eq!(memcpy as *const () as usize, nommu_memcpy as *const () as usize);
    }

    /// `buf[dst..dst+n] = buf[src..src+n]` as it was, a byte at a time
    /// through volatile accesses (so the compiler cannot make it a call
    /// of the very functions under test).
    fn reference_move(buf: &mut [u8], src: usize, dst: usize, n: usize) {
        let mut tmp = vec![0u8; n];
        for i in 0..n {
            // SAFETY: src + i and i are in bounds of buf and tmp.
            unsafe { tmp.as_mut_ptr().add(i).write_volatile(buf.as_ptr().add(src + i).read_volatile()) };
        }
        for i in 0..n {
            // SAFETY: dst + i and i are in bounds of buf and tmp.
            unsafe { buf.as_mut_ptr().add(dst + i).write_volatile(tmp.as_ptr().add(i).read_volatile()) };
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i.wrapping_mul(131) ^ (i >> 8)) as u8).collect()
    }

    fn sizes() -> impl Iterator<Item = usize> {
        (0..=300).chain([511, 512, 513, 1000, 2047, 2048, 2049, 4095, 4096, 10_000, 70_001])
    }

    #[test]
    fn memcpy_copies_exactly_the_bytes_asked() {
        for n in sizes() {
            for (src_off, dst_off) in [(0, 0), (1, 0), (0, 3), (7, 5), (15, 9), (8, 16)] {
                let src = pattern(n + 64);
                let mut dst = vec![0xEEu8; n + 64];
                // SAFETY: both buffers have room for n bytes at the offsets
                // (64 spare) and do not overlap.
                let r = unsafe { memcpy(dst.as_mut_ptr().add(dst_off), src.as_ptr().add(src_off), n) };
                assert_eq!(r, dst.as_mut_ptr().wrapping_add(dst_off), "n {n}");
                assert!(dst[..dst_off].iter().all(|&b| b == 0xEE), "n {n}: before");
                assert_eq!(&dst[dst_off..dst_off + n], &src[src_off..src_off + n], "n {n}");
                assert!(dst[dst_off + n..].iter().all(|&b| b == 0xEE), "n {n}: after");
            }
        }
    }

    #[test]
    fn memmove_handles_every_overlap() {
        for n in sizes().filter(|&n| n <= 4096) {
            for shift in [-70isize, -33, -32, -17, -16, -9, -8, -1, 0, 1, 8, 9, 16, 17, 32, 33, 70] {
                let base = 80usize;
                let mut buf = pattern(n + 2 * base);
                let mut want = buf.clone();
                let (src, dst) = (base, base.wrapping_add_signed(shift));
                reference_move(&mut want, src, dst, n);
                // SAFETY: [src, src+n) and [dst, dst+n) lie within buf
                // (base exceeds every shift).
                unsafe { memmove(buf.as_mut_ptr().add(dst), buf.as_ptr().add(src), n) };
                assert_eq!(buf, want, "n {n} shift {shift}");
            }
        }
    }
}
