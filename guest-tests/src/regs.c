/*
 * regs: a raw `syscall` instruction preserves all state Linux preserves.
 *
 * Linux clobbers only rax (return value), rcx (return rip) and r11 (rflags).
 * For several system calls (getpid, sched_yield, write of "x\n" to fd 1,
 * and the unknown number 1000 which must give -ENOSYS) and several rflags
 * settings (all arithmetic flags set; all clear; DF=1 with CF=1) this test
 * loads distinct patterns into every other general purpose register
 * (rbx rdx rsi rdi rbp r8-r15), the vector registers, MXCSR and the x87
 * control word, executes `syscall`, stores everything back and compares.
 * Vector registers checked, chosen at run time from what the CPU has:
 *   xmm0-15 (SSE2), or ymm0-15 (AVX), or zmm0-31 and k0-7 (AVX-512F+BW).
 * The output is the same at every level.
 * Prints "regs ok", or the first mismatching register and exits 1.
 *
 * The assembly is a top-level asm block, so no -mavx* flag is needed: the
 * AVX/AVX-512 instructions only run when the CPU supports them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct regstate {
    uint64_t gpr[16];        /* GPR_NAMES order; [15] = rflags       @0   */
    uint32_t mxcsr;          /*                                       @128 */
    uint16_t fcw;            /*                                       @132 */
    uint8_t pad[58];
    uint64_t k[8];           /* opmask registers                      @192 */
    uint8_t vec[32][64];     /* xmm/ymm/zmm i at vec[i]               @256 */
};
_Static_assert(offsetof(struct regstate, mxcsr) == 128, "layout");
_Static_assert(offsetof(struct regstate, fcw) == 132, "layout");
_Static_assert(offsetof(struct regstate, k) == 192, "layout");
_Static_assert(offsetof(struct regstate, vec) == 256, "layout");

static const char *const GPR_NAMES[15] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
    "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
enum { RAX = 0, RCX = 2, RDX = 3, RSI = 4, RDI = 5, R11 = 10, RFLAGS = 15 };

/* long regs_syscall(const struct regstate *in, struct regstate *out, int level)
 * Loads everything from *in (rax = syscall number), runs `syscall`, stores
 * everything to *out, restores the caller's MXCSR/FCW; returns out->gpr[0]. */
long regs_syscall(const struct regstate *in, struct regstate *out, int level);

__asm__(
    "    .text\n"
    "    .globl regs_syscall\n"
    "    .hidden regs_syscall\n"
    "    .type regs_syscall,@function\n"
    "    .p2align 4\n"
    "regs_syscall:\n"
    "    push %rbp\n"
    "    push %rbx\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    push %rsi\n"                 /* out   */
    "    push %rdx\n"                 /* level */
    "    sub $16, %rsp\n"
    "    stmxcsr (%rsp)\n"            /* caller's MXCSR and FCW */
    "    fnstcw 4(%rsp)\n"
    "    mov %rdi, %rax\n"
    "    cmp $2, %edx\n"
    "    je 12f\n"
    "    cmp $1, %edx\n"
    "    je 11f\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    movdqu 256+\\i*64(%rax), %xmm\\i\n"
    "    .endr\n"
    "    jmp 19f\n"
    "11:\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    vmovdqu 256+\\i*64(%rax), %ymm\\i\n"
    "    .endr\n"
    "    jmp 19f\n"
    "12:\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "    vmovdqu64 256+\\i*64(%rax), %zmm\\i\n"
    "    .endr\n"
    "    .irp i,0,1,2,3,4,5,6,7\n"
    "    kmovq 192+\\i*8(%rax), %k\\i\n"
    "    .endr\n"
    "19:\n"
    "    ldmxcsr 128(%rax)\n"
    "    fldcw 132(%rax)\n"
    "    pushq 120(%rax)\n"
    "    popfq\n"
    "    mov 8(%rax), %rbx\n"
    "    mov 16(%rax), %rcx\n"
    "    mov 24(%rax), %rdx\n"
    "    mov 32(%rax), %rsi\n"
    "    mov 40(%rax), %rdi\n"
    "    mov 48(%rax), %rbp\n"
    "    mov 56(%rax), %r8\n"
    "    mov 64(%rax), %r9\n"
    "    mov 72(%rax), %r10\n"
    "    mov 80(%rax), %r11\n"
    "    mov 88(%rax), %r12\n"
    "    mov 96(%rax), %r13\n"
    "    mov 104(%rax), %r14\n"
    "    mov 112(%rax), %r15\n"
    "    mov 0(%rax), %rax\n"          /* syscall number, last */
    "    syscall\n"
    "    pushfq\n"
    "    mov 32(%rsp), %r11\n"        /* out */
    "    popq 120(%r11)\n"
    "    cld\n"
    "    mov %rax, 0(%r11)\n"
    "    mov %rbx, 8(%r11)\n"
    "    mov %rcx, 16(%r11)\n"
    "    mov %rdx, 24(%r11)\n"
    "    mov %rsi, 32(%r11)\n"
    "    mov %rdi, 40(%r11)\n"
    "    mov %rbp, 48(%r11)\n"
    "    mov %r8, 56(%r11)\n"
    "    mov %r9, 64(%r11)\n"
    "    mov %r10, 72(%r11)\n"
    "    mov %r12, 88(%r11)\n"
    "    mov %r13, 96(%r11)\n"
    "    mov %r14, 104(%r11)\n"
    "    mov %r15, 112(%r11)\n"
    "    stmxcsr 128(%r11)\n"
    "    fnstcw 132(%r11)\n"
    "    mov 16(%rsp), %rcx\n"        /* level */
    "    cmp $2, %ecx\n"
    "    je 22f\n"
    "    cmp $1, %ecx\n"
    "    je 21f\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    movdqu %xmm\\i, 256+\\i*64(%r11)\n"
    "    .endr\n"
    "    jmp 29f\n"
    "21:\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    vmovdqu %ymm\\i, 256+\\i*64(%r11)\n"
    "    .endr\n"
    "    vzeroupper\n"
    "    jmp 29f\n"
    "22:\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "    vmovdqu64 %zmm\\i, 256+\\i*64(%r11)\n"
    "    .endr\n"
    "    .irp i,0,1,2,3,4,5,6,7\n"
    "    kmovq %k\\i, 192+\\i*8(%r11)\n"
    "    .endr\n"
    "    vzeroupper\n"
    "29:\n"
    "    ldmxcsr (%rsp)\n"
    "    fldcw 4(%rsp)\n"
    "    add $32, %rsp\n"
    "    mov (%r11), %rax\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbx\n"
    "    pop %rbp\n"
    "    ret\n"
    "    .size regs_syscall, .-regs_syscall\n");

struct flagset { const char *name; uint64_t rflags; uint32_t mxcsr; uint16_t fcw; };
static const struct flagset FLAGSETS[] = {
    /* CF PF AF ZF SF OF set, DF clear; MXCSR round-to-zero + DAZ */
    { "flags-set", 0x8d7, 0x7fc0, 0x0f7f },
    /* all arithmetic flags clear; MXCSR round-down */
    { "flags-clear", 0x002, 0x3f80, 0x077f },
    /* DF=1 (Linux preserves it across syscall) with CF; round-up */
    { "df-set", 0x403, 0x5f80, 0x0b7f },
};
#define FLAG_MASK 0xcd5ull /* CF PF AF ZF SF DF OF */

static int level;
static int vec_regs(void) { return level == 2 ? 32 : 16; }
static int vec_bytes(void) { return level == 2 ? 64 : level == 1 ? 32 : 16; }
static const char *vec_name(void) { return level == 2 ? "zmm" : level == 1 ? "ymm" : "xmm"; }

static void fill(struct regstate *s, int seed, const struct flagset *fs)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 15; i++)
        s->gpr[i] = 0x5a00000000000000ull + ((uint64_t)(i + 1) << 48) +
                    0x0123456789ull * (uint64_t)(i + 1) + (uint64_t)seed;
    s->gpr[RFLAGS] = fs->rflags;
    s->mxcsr = fs->mxcsr;
    s->fcw = fs->fcw;
    for (int i = 0; i < 8; i++)
        s->k[i] = 0x1111111111111111ull * (uint64_t)(i + 1) ^ (uint64_t)seed;
    for (int r = 0; r < 32; r++)
        for (int b = 0; b < 64; b++)
            s->vec[r][b] = (uint8_t)((r * 71 + b * 13 + seed * 5) ^ 0x5a);
}

/* Returns 0 if all preserved state matches, else prints and returns 1. */
static int compare(const char *what, const struct regstate *in,
                   const struct regstate *out, long want_ret)
{
    if ((long)out->gpr[RAX] != want_ret) {
        printf("regs mismatch (%s): rax (return value) = %ld, want %ld\n",
               what, (long)out->gpr[RAX], want_ret);
        return 1;
    }
    for (int i = 0; i < 15; i++) {
        if (i == RAX || i == RCX || i == R11)
            continue;
        if (out->gpr[i] != in->gpr[i]) {
            printf("regs mismatch (%s): %s = %#llx, want %#llx\n", what,
                   GPR_NAMES[i], (unsigned long long)out->gpr[i],
                   (unsigned long long)in->gpr[i]);
            return 1;
        }
    }
    if ((out->gpr[RFLAGS] & FLAG_MASK) != (in->gpr[RFLAGS] & FLAG_MASK)) {
        printf("regs mismatch (%s): rflags = %#llx, want %#llx (mask %#llx)\n", what,
               (unsigned long long)out->gpr[RFLAGS],
               (unsigned long long)in->gpr[RFLAGS], FLAG_MASK);
        return 1;
    }
    if (out->mxcsr != in->mxcsr) {
        printf("regs mismatch (%s): mxcsr = %#x, want %#x\n", what, out->mxcsr, in->mxcsr);
        return 1;
    }
    if (out->fcw != in->fcw) {
        printf("regs mismatch (%s): x87 fcw = %#x, want %#x\n", what, out->fcw, in->fcw);
        return 1;
    }
    for (int r = 0; r < vec_regs(); r++) {
        if (memcmp(out->vec[r], in->vec[r], vec_bytes()) != 0) {
            printf("regs mismatch (%s): %s%d\n", what, vec_name(), r);
            return 1;
        }
    }
    if (level == 2)
        for (int i = 0; i < 8; i++)
            if (out->k[i] != in->k[i]) {
                printf("regs mismatch (%s): k%d\n", what, i);
                return 1;
            }
    return 0;
}

int main(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        level = 2;
    else if (__builtin_cpu_supports("avx"))
        level = 1;
    else
        level = 0;

    static const char msg[] = "x\n";
    struct { const char *name; long nr; long want; } calls[] = {
        { "getpid", 39, (long)getpid() },
        { "sched_yield", 24, 0 },
        { "write", 1, 2 },
        { "nr1000", 1000, -ENOSYS },
    };
    static struct regstate in, out;
    int seed = 0;

    for (int round = 0; round < 2; round++)
        for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++)
            for (size_t f = 0; f < sizeof FLAGSETS / sizeof FLAGSETS[0]; f++) {
                char what[64];
                snprintf(what, sizeof what, "%s, %s", calls[c].name, FLAGSETS[f].name);
                fill(&in, ++seed, &FLAGSETS[f]);
                in.gpr[RAX] = (uint64_t)calls[c].nr;
                if (calls[c].nr == 1) {
                    in.gpr[RDI] = 1;
                    in.gpr[RSI] = (uint64_t)(uintptr_t)msg;
                    in.gpr[RDX] = 2;
                }
                memset(&out, 0, sizeof out);
                fflush(stdout); /* the raw write goes straight to fd 1 */
                regs_syscall(&in, &out, level);
                if (compare(what, &in, &out, calls[c].want))
                    return 1;
            }

    printf("regs ok\n");
    return 0;
}
