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
 * The same load, `syscall`, store for vfork: the child fills every
 * vector register, k0-7 and MXCSR with other values and exits at once; the
 * parent, run again, must find its own. And once more for a write to
 * /dev/null over and over from one site (a call nommu makes without
 * leaving the guest once it was made once).
 * Prints "regs ok", or the first mismatching register and exits 1.
 *
 * The assembly is a top-level asm block, so no -mavx* flag is needed: the
 * AVX/AVX-512 instructions only run when the CPU supports them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "regstate.h"

/* Right after the `syscall`: stores rflags, every GPR and the vector unit
 * into *out (pushed at 32(%rsp); the level at 16(%rsp)), restores the
 * caller's MXCSR and FCW, returns out->gpr[0]. */
#define REGS_STORE_AND_RETURN                                                                                   \
    "    pushfq\n"                                                                                              \
    "    mov 32(%rsp), %r11\n"                                                                                  \
    "    popq 120(%r11)\n"                                                                                      \
    "    cld\n"                                                                                                 \
    REGSTATE_STORE_GPRS                                                                                        \
    "    mov 16(%rsp), %rcx\n"                                                                                  \
    REGSTATE_STORE_VECTOR_UNIT                                                                                 \
    "    ldmxcsr (%rsp)\n"                                                                                      \
    "    fldcw 4(%rsp)\n"                                                                                       \
    "    add $32, %rsp\n"                                                                                       \
    "    mov (%r11), %rax\n"                                                                                    \
    REGSTATE_POP_CALLEE_SAVED_AND_RETURN

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
    REGSTATE_PUSH_CALLEE_SAVED
    "    push %rsi\n"                 /* out   */
    "    push %rdx\n"                 /* level */
    "    sub $16, %rsp\n"
    "    stmxcsr (%rsp)\n"            /* caller's MXCSR and FCW */
    "    fnstcw 4(%rsp)\n"
    "    mov %rdi, %rax\n"
    REGSTATE_LOAD_VECTOR_UNIT
    REGSTATE_LOAD_GPRS /* the syscall number in rax, last */
    "    syscall\n"
    REGS_STORE_AND_RETURN
    "    .size regs_syscall, .-regs_syscall\n");

/* long regs_vfork(const struct regstate *in, struct regstate *out, int level)
 * regs_syscall with in->gpr[RAX] = SYS_vfork. The child (rax 0: tested
 * with jrcxz, which leaves the flags alone) overwrites the vector unit at
 * `level` and MXCSR, then exit_group(0)s, touching no memory. */
long regs_vfork(const struct regstate *in, struct regstate *out, int level);

__asm__(
    "    .text\n"
    "    .globl regs_vfork\n"
    "    .hidden regs_vfork\n"
    "    .type regs_vfork,@function\n"
    "    .p2align 4\n"
    "regs_vfork:\n"
    REGSTATE_PUSH_CALLEE_SAVED
    "    push %rsi\n"
    "    push %rdx\n"
    "    sub $16, %rsp\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    mov %rdi, %rax\n"
    REGSTATE_LOAD_VECTOR_UNIT
    REGSTATE_LOAD_GPRS
    "    syscall\n"
    "    mov %rax, %rcx\n"
    "    jrcxz 40f\n" /* jrcxz reaches 127 bytes: a hop to the child's code */
    "    jmp 41f\n"
    "40:\n"
    "    jmp 30f\n"
    "41:\n"
    REGS_STORE_AND_RETURN
    "30:\n"
    "    mov 16(%rsp), %rcx\n"
    "    cmp $2, %ecx\n"
    "    je 32f\n"
    "    cmp $1, %ecx\n"
    "    je 31f\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    pcmpeqd %xmm\\i, %xmm\\i\n"
    "    .endr\n"
    "    jmp 39f\n"
    "31:\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    vpcmpeqd %ymm\\i, %ymm\\i, %ymm\\i\n"
    "    .endr\n"
    "    jmp 39f\n"
    "32:\n"
    "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "    vpternlogd $0xff, %zmm\\i, %zmm\\i, %zmm\\i\n"
    "    .endr\n"
    "    .irp i,0,1,2,3,4,5,6,7\n"
    "    kxnorq %k\\i, %k\\i, %k\\i\n"
    "    .endr\n"
    "39:\n"
    "    push $0x7f80\n" /* MXCSR: round toward zero, exceptions masked */
    "    ldmxcsr (%rsp)\n"
    "    mov $231, %eax\n"
    "    xor %edi, %edi\n"
    "    syscall\n"
    "    ud2\n"
    "    .size regs_vfork, .-regs_vfork\n");

/* Returns 0 if all preserved state matches, else prints and returns 1. */
static int compare(const char *what, int level, const struct regstate *in, const struct regstate *out,
                   long want_ret)
{
    if ((long)out->gpr[RAX] != want_ret) {
        printf("regs mismatch (%s): rax (return value) = %ld, want %ld\n", what, (long)out->gpr[RAX], want_ret);
        return 1;
    }
    char why[128];
    if (regstate_differs(in, out, level, 1, REGSTATE_FLAG_MASK, why, sizeof why)) {
        printf("regs mismatch (%s): %s\n", what, why);
        return 1;
    }
    return 0;
}

int main(void)
{
    int level = vector_level();

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
            for (size_t f = 0; f < sizeof REGSTATE_FLAGSETS / sizeof REGSTATE_FLAGSETS[0]; f++) {
                char what[64];
                snprintf(what, sizeof what, "%s, %s", calls[c].name, REGSTATE_FLAGSETS[f].name);
                regstate_fill(&in, ++seed, &REGSTATE_FLAGSETS[f]);
                in.gpr[RAX] = (uint64_t)calls[c].nr;
                if (calls[c].nr == 1) {
                    in.gpr[RDI] = 1;
                    in.gpr[RSI] = (uint64_t)(uintptr_t)msg;
                    in.gpr[RDX] = 2;
                }
                memset(&out, 0, sizeof out);
                fflush(stdout); /* the raw write goes straight to fd 1 */
                regs_syscall(&in, &out, level);
                if (compare(what, level, &in, &out, calls[c].want))
                    return 1;
            }

    /* vfork: the parent's registers after its child ran and exited. */
    for (size_t f = 0; f < sizeof REGSTATE_FLAGSETS / sizeof REGSTATE_FLAGSETS[0]; f++) {
        char what[64];
        snprintf(what, sizeof what, "vfork, %s", REGSTATE_FLAGSETS[f].name);
        regstate_fill(&in, ++seed, &REGSTATE_FLAGSETS[f]);
        in.gpr[RAX] = SYS_vfork;
        memset(&out, 0, sizeof out);
        fflush(stdout);
        long pid = regs_vfork(&in, &out, level);
        int status = -1;
        if (pid <= 0 || waitpid((pid_t)pid, &status, 0) != pid || status != 0) {
            printf("vfork (%s): pid %ld, child status %#x\n", what, pid, status);
            return 1;
        }
        if (compare(what, level, &in, &out, pid))
            return 1;
    }

    /* A write to /dev/null, from one site, again and again. */
    int null = open("/dev/null", O_WRONLY);
    for (int round = 0; round < 3; round++)
        for (size_t f = 0; f < sizeof REGSTATE_FLAGSETS / sizeof REGSTATE_FLAGSETS[0]; f++) {
            char what[64];
            snprintf(what, sizeof what, "write /dev/null, %s", REGSTATE_FLAGSETS[f].name);
            regstate_fill(&in, ++seed, &REGSTATE_FLAGSETS[f]);
            in.gpr[RAX] = SYS_write;
            in.gpr[RDI] = (uint64_t)null;
            in.gpr[RSI] = (uint64_t)(uintptr_t)msg;
            in.gpr[RDX] = 2;
            memset(&out, 0, sizeof out);
            regs_syscall(&in, &out, level);
            if (compare(what, level, &in, &out, 2))
                return 1;
        }
    close(null);

    printf("regs ok\n");
    return 0;
}
