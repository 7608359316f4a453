/* Register state for the guest tests that load every register, let
 * something happen (a syscall in regs.c, a signal handler in
 * proc_ucontext.c) and compare what comes back: the struct their asm
 * routines read and write, those routines' common pieces as asm text,
 * the vector level the CPU offers, the patterns and the comparison. */
#ifndef REGSTATE_H
#define REGSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct regstate {
    uint64_t gpr[16];        /* GPR_NAMES order; [15] = rflags       @0   */
    uint32_t mxcsr;          /*                                       @128 */
    uint16_t fcw;            /*                                       @132 */
    uint8_t pad[58];
    uint64_t k[8];           /* opmask registers                      @192 */
    uint8_t vec[32][64];     /* xmm/ymm/zmm i at vec[i]               @256 */
};
/* The asm below addresses the fields by these offsets. */
_Static_assert(offsetof(struct regstate, mxcsr) == 128, "layout");
_Static_assert(offsetof(struct regstate, fcw) == 132, "layout");
_Static_assert(offsetof(struct regstate, k) == 192, "layout");
_Static_assert(offsetof(struct regstate, vec) == 256, "layout");

static const char *const GPR_NAMES[15] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
enum { RAX = 0, RCX = 2, RDX = 3, RSI = 4, RDI = 5, R11 = 10, RFLAGS = 15 };

/* The arithmetic flags and DF: what a syscall must keep of rflags. */
#define REGSTATE_FLAG_MASK 0xcd5ull /* CF PF AF ZF SF DF OF */

/* rflags, MXCSR and x87 control words to load, each set once. */
struct regstate_flagset { const char *name; uint64_t rflags; uint32_t mxcsr; uint16_t fcw; };
__attribute__((unused)) static const struct regstate_flagset REGSTATE_FLAGSETS[3] = {
    /* CF PF AF ZF SF OF set, DF clear; MXCSR round-to-zero + DAZ */
    { "flags set", 0x8d7, 0x7fc0, 0x0f7f },
    /* all arithmetic flags clear; MXCSR round-down */
    { "flags clear", 0x002, 0x3f80, 0x077f },
    /* DF=1 (Linux preserves it across syscall) with CF; round-up */
    { "DF set", 0x403, 0x5f80, 0x0b7f },
};

/* Which vector registers the CPU has: 0 xmm0-15 (SSE2), 1 ymm0-15 (AVX),
 * 2 zmm0-31 and k0-7 (AVX-512F+BW). The asm takes it as its level. */
static int vector_level(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        return 2;
    if (__builtin_cpu_supports("avx"))
        return 1;
    return 0;
}

/* The pieces of asm both tests' routines share. The routines are
 * top-level asm blocks, so no -mavx* flag is needed: the AVX/AVX-512
 * instructions only run when the CPU has them. */

/* The System V callee-saved GPRs the routines load, kept for their
 * caller: pushed on entry, popped before ret. */
#define REGSTATE_PUSH_CALLEE_SAVED                                                                              \
    "    push %rbp\n"                                                                                          \
    "    push %rbx\n"                                                                                          \
    "    push %r12\n"                                                                                          \
    "    push %r13\n"                                                                                          \
    "    push %r14\n"                                                                                          \
    "    push %r15\n"
#define REGSTATE_POP_CALLEE_SAVED_AND_RETURN                                                                    \
    "    pop %r15\n"                                                                                           \
    "    pop %r14\n"                                                                                           \
    "    pop %r13\n"                                                                                           \
    "    pop %r12\n"                                                                                           \
    "    pop %rbx\n"                                                                                           \
    "    pop %rbp\n"                                                                                           \
    "    ret\n"

/* With the struct at %rax and the level in %edx: loads the vector
 * registers of that level (and k0-7 at level 2), MXCSR and the x87
 * control word. Uses the local labels 11, 12 and 19. */
#define REGSTATE_LOAD_VECTOR_UNIT                                                                               \
    "    cmp $2, %edx\n"                                                                                        \
    "    je 12f\n"                                                                                              \
    "    cmp $1, %edx\n"                                                                                        \
    "    je 11f\n"                                                                                              \
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                                        \
    "    movdqu 256+\\i*64(%rax), %xmm\\i\n"                                                                    \
    "    .endr\n"                                                                                               \
    "    jmp 19f\n"                                                                                             \
    "11:\n"                                                                                                     \
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                                        \
    "    vmovdqu 256+\\i*64(%rax), %ymm\\i\n"                                                                   \
    "    .endr\n"                                                                                               \
    "    jmp 19f\n"                                                                                             \
    "12:\n"                                                                                                     \
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"        \
    "    vmovdqu64 256+\\i*64(%rax), %zmm\\i\n"                                                                 \
    "    .endr\n"                                                                                               \
    "    .irp i,0,1,2,3,4,5,6,7\n"                                                                              \
    "    kmovq 192+\\i*8(%rax), %k\\i\n"                                                                        \
    "    .endr\n"                                                                                               \
    "19:\n"                                                                                                     \
    "    ldmxcsr 128(%rax)\n"                                                                                   \
    "    fldcw 132(%rax)\n"

/* With the struct at %rax: loads rflags and every GPR, rax (the pointer)
 * last. */
#define REGSTATE_LOAD_GPRS                                                                                      \
    "    pushq 120(%rax)\n"                                                                                     \
    "    popfq\n"                                                                                               \
    "    mov 8(%rax), %rbx\n"                                                                                   \
    "    mov 16(%rax), %rcx\n"                                                                                  \
    "    mov 24(%rax), %rdx\n"                                                                                  \
    "    mov 32(%rax), %rsi\n"                                                                                  \
    "    mov 40(%rax), %rdi\n"                                                                                  \
    "    mov 48(%rax), %rbp\n"                                                                                  \
    "    mov 56(%rax), %r8\n"                                                                                   \
    "    mov 64(%rax), %r9\n"                                                                                   \
    "    mov 72(%rax), %r10\n"                                                                                  \
    "    mov 80(%rax), %r11\n"                                                                                  \
    "    mov 88(%rax), %r12\n"                                                                                  \
    "    mov 96(%rax), %r13\n"                                                                                  \
    "    mov 104(%rax), %r14\n"                                                                                 \
    "    mov 112(%rax), %r15\n"                                                                                 \
    "    mov 0(%rax), %rax\n"

/* With the struct at %r11: stores every GPR but r11 (the pointer; the
 * routine stores r11 and rflags itself, first). */
#define REGSTATE_STORE_GPRS                                                                                     \
    "    mov %rax, 0(%r11)\n"                                                                                   \
    "    mov %rbx, 8(%r11)\n"                                                                                   \
    "    mov %rcx, 16(%r11)\n"                                                                                  \
    "    mov %rdx, 24(%r11)\n"                                                                                  \
    "    mov %rsi, 32(%r11)\n"                                                                                  \
    "    mov %rdi, 40(%r11)\n"                                                                                  \
    "    mov %rbp, 48(%r11)\n"                                                                                  \
    "    mov %r8, 56(%r11)\n"                                                                                   \
    "    mov %r9, 64(%r11)\n"                                                                                   \
    "    mov %r10, 72(%r11)\n"                                                                                  \
    "    mov %r12, 88(%r11)\n"                                                                                  \
    "    mov %r13, 96(%r11)\n"                                                                                  \
    "    mov %r14, 104(%r11)\n"                                                                                 \
    "    mov %r15, 112(%r11)\n"

/* With the struct at %r11 and the level in %ecx: stores MXCSR, the x87
 * control word and the vector registers of that level (and k0-7 at level
 * 2), then leaves the upper halves clean (vzeroupper). Uses the local
 * labels 21, 22 and 29. */
#define REGSTATE_STORE_VECTOR_UNIT                                                                              \
    "    stmxcsr 128(%r11)\n"                                                                                   \
    "    fnstcw 132(%r11)\n"                                                                                    \
    "    cmp $2, %ecx\n"                                                                                        \
    "    je 22f\n"                                                                                              \
    "    cmp $1, %ecx\n"                                                                                        \
    "    je 21f\n"                                                                                              \
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                                        \
    "    movdqu %xmm\\i, 256+\\i*64(%r11)\n"                                                                    \
    "    .endr\n"                                                                                               \
    "    jmp 29f\n"                                                                                             \
    "21:\n"                                                                                                     \
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                                        \
    "    vmovdqu %ymm\\i, 256+\\i*64(%r11)\n"                                                                   \
    "    .endr\n"                                                                                               \
    "    vzeroupper\n"                                                                                          \
    "    jmp 29f\n"                                                                                             \
    "22:\n"                                                                                                     \
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"        \
    "    vmovdqu64 %zmm\\i, 256+\\i*64(%r11)\n"                                                                 \
    "    .endr\n"                                                                                               \
    "    .irp i,0,1,2,3,4,5,6,7\n"                                                                              \
    "    kmovq %k\\i, 192+\\i*8(%r11)\n"                                                                        \
    "    .endr\n"                                                                                               \
    "    vzeroupper\n"                                                                                          \
    "29:\n"

/* A distinct pattern per seed in every register, with the given rflags,
 * MXCSR and x87 control word. */
static void regstate_fill(struct regstate *s, int seed, const struct regstate_flagset *fs)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 15; i++)
        s->gpr[i] = 0x5a00000000000000ull + ((uint64_t)(i + 1) << 48) + 0x0123456789ull * (uint64_t)(i + 1) +
                    (uint64_t)seed;
    s->gpr[RFLAGS] = fs->rflags;
    s->mxcsr = fs->mxcsr;
    s->fcw = fs->fcw;
    for (int i = 0; i < 8; i++)
        s->k[i] = 0x1111111111111111ull * (uint64_t)(i + 1) ^ (uint64_t)seed;
    for (int r = 0; r < 32; r++)
        for (int b = 0; b < 64; b++)
            s->vec[r][b] = (uint8_t)((r * 71 + b * 13 + seed * 5) ^ 0x5a);
}

/* Whether `out` differs from `in` in what should have been kept: every
 * GPR (but rax, rcx and r11 when `after_syscall`: Linux's syscall
 * clobbers them), the rflags bits in `flag_mask`, MXCSR, the x87 control
 * word, the vector registers of `level` and, at level 2, k0-7. The first
 * difference is written to `why`. */
static int regstate_differs(const struct regstate *in, const struct regstate *out, int level, int after_syscall,
                            uint64_t flag_mask, char *why, size_t why_size)
{
    for (int i = 0; i < 15; i++) {
        if (after_syscall && (i == RAX || i == RCX || i == R11))
            continue;
        if (out->gpr[i] != in->gpr[i]) {
            snprintf(why, why_size, "%s = %#llx, want %#llx", GPR_NAMES[i], (unsigned long long)out->gpr[i],
                     (unsigned long long)in->gpr[i]);
            return 1;
        }
    }
    if ((out->gpr[RFLAGS] & flag_mask) != (in->gpr[RFLAGS] & flag_mask)) {
        snprintf(why, why_size, "rflags = %#llx, want %#llx (mask %#llx)", (unsigned long long)out->gpr[RFLAGS],
                 (unsigned long long)in->gpr[RFLAGS], (unsigned long long)flag_mask);
        return 1;
    }
    if (out->mxcsr != in->mxcsr) {
        snprintf(why, why_size, "mxcsr = %#x, want %#x", out->mxcsr, in->mxcsr);
        return 1;
    }
    if (out->fcw != in->fcw) {
        snprintf(why, why_size, "x87 fcw = %#x, want %#x", out->fcw, in->fcw);
        return 1;
    }
    const char *vec_name = level == 2 ? "zmm" : level == 1 ? "ymm" : "xmm";
    int vec_regs = level == 2 ? 32 : 16, vec_bytes = level == 2 ? 64 : level == 1 ? 32 : 16;
    for (int r = 0; r < vec_regs; r++)
        if (memcmp(out->vec[r], in->vec[r], vec_bytes) != 0) {
            snprintf(why, why_size, "%s%d differs", vec_name, r);
            return 1;
        }
    if (level == 2)
        for (int i = 0; i < 8; i++)
            if (out->k[i] != in->k[i]) {
                snprintf(why, why_size, "k%d differs", i);
                return 1;
            }
    return 0;
}

#endif
