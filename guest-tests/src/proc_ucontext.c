/*
 * proc_ucontext: the signal frame's ucontext, and register state across
 * handlers.
 *
 * - faults a handler repairs by editing uc_mcontext: a NULL read
 *   (`mov (%rax),%eax`, 2 bytes) whose handler sets RAX and skips the
 *   instruction, a NULL write, a read at address 8, ud2 (SIGILL), an
 *   integer division by zero (SIGFPE), int3 (SIGTRAP); si_signo, si_code,
 *   si_addr and the REG_TRAPNO/REG_ERR of the frame where Linux defines
 *   them;
 * - a handler that changes xmm0 in uc_mcontext.fpregs: the interrupted
 *   code sees the new value after sigreturn;
 * - siglongjmp out of a SIGSEGV handler, the mask comes back;
 * - a fault while SIGSEGV is blocked, or ignored, kills the process
 *   (checked in a vfork+exec'd child);
 * - every register (GPRs but rax/rcx/r11 after a syscall, rflags' DF,
 *   MXCSR, x87 control word, xmm/ymm/zmm and k registers, whatever the
 *   CPU has) survives a handler that clobbers them all: once for a signal
 *   delivered at the return of a raw kill syscall, once for SIGALRM
 *   arriving while the code spins without syscalls; the handler runs with
 *   DF clear.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "proc_check.h"
#include "regstate.h"

/* ---- faults fixed up by the handler ---- */
static volatile int fault_sig, fault_code, fault_hits;
static volatile uintptr_t fault_addr, fault_rip;
static volatile long fault_trapno = -1, fault_err = -1;
static volatile int skip_len;
static volatile uint64_t set_rax;

static void fixup(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    fault_sig = si->si_signo == sig ? sig : -1;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    fault_rip = uc->uc_mcontext.gregs[REG_RIP];
    fault_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    fault_err = uc->uc_mcontext.gregs[REG_ERR];
    fault_hits++;
    uc->uc_mcontext.gregs[REG_RIP] += skip_len;
    if (set_rax)
        uc->uc_mcontext.gregs[REG_RAX] = set_rax;
}

static void reset_fault(int len, uint64_t rax)
{
    fault_sig = fault_code = 0;
    fault_addr = fault_rip = 0;
    fault_trapno = fault_err = -1;
    skip_len = len;
    set_rax = rax;
}

extern char null_read_insn[], null_write_insn[], ud2_insn[], div_insn[], int3_after[];

static void test_fixups(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fixup;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < 32; s++)
        if (s == SIGSEGV || s == SIGILL || s == SIGFPE || s == SIGTRAP || s == SIGBUS)
            sigaction(s, &sa, NULL);

    /* NULL read: handler sets eax and skips the 2-byte instruction */
    reset_fault(2, 0x1234);
    uint64_t rax = 0;
    __asm__ volatile(".globl null_read_insn\nnull_read_insn: mov (%%rax), %%eax" : "+a"(rax) : : "memory");
    check("NULL read: SIGSEGV handled", fault_sig == SIGSEGV);
    check("NULL read: si_addr == 0", fault_addr == 0);
    printf("NULL read: si_code == SEGV_MAPERR: %s\n", fault_code == SEGV_MAPERR ? "yes" : "no");
    check("NULL read: uc RIP is the faulting instruction", fault_rip == (uintptr_t)null_read_insn);
    printf("NULL read: REG_TRAPNO == 14 (page fault): %s\n", fault_trapno == 14 ? "yes" : "no");
    printf("NULL read: REG_ERR == 4 (user read, not present): %s\n", fault_err == 4 ? "yes" : "no");
    check("NULL read: execution continues with the handler's RAX", rax == 0x1234);

    /* NULL write */
    reset_fault(2, 0);
    rax = 0;
    __asm__ volatile(".globl null_write_insn\nnull_write_insn: mov %%ecx, (%%rax)" : : "a"(rax), "c"(7) : "memory");
    check("NULL write: SIGSEGV handled", fault_sig == SIGSEGV && fault_addr == 0);
    printf("NULL write: REG_ERR == 6 (user write, not present): %s\n", fault_err == 6 ? "yes" : "no");
    check("NULL write: uc RIP is the faulting instruction", fault_rip == (uintptr_t)null_write_insn);

    /* read at address 8 */
    reset_fault(2, 0x55);
    rax = 8;
    __asm__ volatile("mov (%%rax), %%eax" : "+a"(rax) : : "memory");
    check("read at 8: si_addr == 8", fault_sig == SIGSEGV && fault_addr == 8 && rax == 0x55);

    /* ud2 */
    reset_fault(2, 0);
    __asm__ volatile(".globl ud2_insn\nud2_insn: ud2" ::: "memory");
    check("ud2: SIGILL handled", fault_sig == SIGILL);
    printf("ud2: si_code == ILL_ILLOPN: %s\n", fault_code == ILL_ILLOPN ? "yes" : "no");
    check("ud2: si_addr is the instruction", fault_addr == (uintptr_t)ud2_insn);
    printf("ud2: REG_TRAPNO == 6: %s\n", fault_trapno == 6 ? "yes" : "no");

    /* division by zero: div %ecx (f7 f1) */
    reset_fault(2, 0);
    unsigned int lo = 10, hi = 0, d = 0;
    __asm__ volatile(".globl div_insn\ndiv_insn: div %%ecx" : "+a"(lo), "+d"(hi) : "c"(d) : "memory");
    check("div by 0: SIGFPE handled", fault_sig == SIGFPE);
    printf("div by 0: si_code == FPE_INTDIV: %s\n", fault_code == FPE_INTDIV ? "yes" : "no");
    check("div by 0: si_addr is the instruction", fault_addr == (uintptr_t)div_insn);

    /* int3: SIGTRAP, rip already after the instruction */
    reset_fault(0, 0);
    __asm__ volatile("int3\n.globl int3_after\nint3_after:" ::: "memory");
    check("int3: SIGTRAP handled", fault_sig == SIGTRAP);
    check("int3: uc RIP is after the int3", fault_rip == (uintptr_t)int3_after);
    printf("int3: si_code == SI_KERNEL: %s\n", fault_code == SI_KERNEL ? "yes" : "no");

    /* a kernel address */
    reset_fault(2, 0x77);
    rax = 0xffff888000000000ull;
    __asm__ volatile("mov (%%rax), %%eax" : "+a"(rax) : : "memory");
    check("read at a kernel address: SIGSEGV handled", fault_sig == SIGSEGV && rax == 0x77);
    printf("kernel address: si_addr == the address: %s\n", fault_addr == 0xffff888000000000ull ? "yes" : "no");

    /* a non-canonical address: #GP, si_addr 0, SI_KERNEL */
    reset_fault(2, 0x78);
    rax = 0x8000000000000000ull;
    __asm__ volatile("mov (%%rax), %%eax" : "+a"(rax) : : "memory");
    check("non-canonical address: SIGSEGV handled", fault_sig == SIGSEGV && rax == 0x78);
    printf("non-canonical: si_code == SI_KERNEL: %s, si_addr == 0: %s\n", fault_code == SI_KERNEL ? "yes" : "no",
           fault_addr == 0 ? "yes" : "no");

    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    for (int s = 1; s < 32; s++)
        if (s == SIGSEGV || s == SIGILL || s == SIGFPE || s == SIGTRAP || s == SIGBUS)
            sigaction(s, &sa, NULL);
}

/* ---- editing xmm0 through fpregs ---- */
static volatile int fp_present;

static void fp_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    fp_present = uc->uc_mcontext.fpregs != NULL;
    if (fp_present) {
        uint32_t *x = uc->uc_mcontext.fpregs->_xmm[0].element;
        x[0] = 0xdeadbeef;
        x[1] = 0x01020304;
        x[2] = 0xcafef00d;
        x[3] = 0x0badc0de;
    }
}

static void test_fpregs(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fp_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    uint32_t out[4];
    long pid = getpid();
    /* xmm0 = 0; kill(self, SIGUSR1) with a raw syscall; store xmm0 */
    __asm__ volatile("pxor %%xmm0, %%xmm0\n\t"
                     "mov $62, %%eax\n\t"
                     "syscall\n\t"
                     "movdqu %%xmm0, (%[out])\n\t"
                     : "+D"(pid)
                     : "S"((long)SIGUSR1), [out] "r"(out)
                     : "rax", "rcx", "r11", "xmm0", "memory");
    check("uc_mcontext.fpregs present", fp_present);
    check("xmm0 changed by the handler through fpregs",
          out[0] == 0xdeadbeef && out[1] == 0x01020304 && out[2] == 0xcafef00d && out[3] == 0x0badc0de);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
}

/* ---- siglongjmp out of a handler ---- */
static sigjmp_buf jb;

static void jump_handler(int sig)
{
    siglongjmp(jb, sig);
}

static void test_longjmp(void)
{
    signal(SIGSEGV, jump_handler);
    volatile int stage = 0;
    int r = sigsetjmp(jb, 1);
    if (r == 0) {
        stage = 1;
        *(volatile int *)(uintptr_t)16 = 1;
        stage = 2;
    }
    check("siglongjmp out of the SIGSEGV handler", r == SIGSEGV && stage == 1);
    sigset_t m;
    sigprocmask(SIG_SETMASK, NULL, &m);
    check("after siglongjmp: SIGSEGV unblocked again", !sigismember(&m, SIGSEGV));
    /* and a second fault works the same */
    r = sigsetjmp(jb, 1);
    if (r == 0)
        *(volatile int *)(uintptr_t)16 = 1;
    check("a second fault is handled too", r == SIGSEGV);
    signal(SIGSEGV, SIG_DFL);
}

static void test_fatal_faults(void)
{
    int st = run_self_status("blocked-segv");
    check("fault with SIGSEGV blocked (handler installed): killed by SIGSEGV", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = run_self_status("ignored-segv");
    check("fault with SIGSEGV ignored: killed by SIGSEGV", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = run_self_status("handler-returns-ud2-blocked");
    check("ud2 with SIGILL blocked: killed by SIGILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGILL);
}

static void never(int sig)
{
    (void)sig;
    _exit(50);
}

static int child_mode(const char *mode)
{
    sigset_t s;
    sigemptyset(&s);
    if (!strcmp(mode, "blocked-segv")) {
        signal(SIGSEGV, never);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        *(volatile int *)(uintptr_t)0 = 1;
    } else if (!strcmp(mode, "ignored-segv")) {
        signal(SIGSEGV, SIG_IGN);
        *(volatile int *)(uintptr_t)0 = 1;
    } else if (!strcmp(mode, "handler-returns-ud2-blocked")) {
        signal(SIGILL, never);
        sigaddset(&s, SIGILL);
        sigprocmask(SIG_BLOCK, &s, NULL);
        __asm__ volatile("ud2");
    }
    return 3;
}

/* ---- register state across handlers ---- */
volatile int spin_flag;

/* void regs_around(const struct regstate *in, struct regstate *out, int level, int spin)
 * Loads everything from *in, then either executes `syscall` (spin == 0)
 * or spins until spin_flag != 0 (spin == 1), stores everything to *out. */
void regs_around(const struct regstate *in, struct regstate *out, int level, int spin);

__asm__(
    "    .text\n"
    "    .globl regs_around\n"
    "    .hidden regs_around\n"
    "    .type regs_around,@function\n"
    "    .p2align 4\n"
    "regs_around:\n"
    REGSTATE_PUSH_CALLEE_SAVED
    "    push %rsi\n"                 /* out   @40 after sub */
    "    push %rdx\n"                 /* level @32 */
    "    push %rcx\n"                 /* spin  @24 */
    "    sub $24, %rsp\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    mov %rdi, %rax\n"
    REGSTATE_LOAD_VECTOR_UNIT
    "    mov 24(%rsp), %rcx\n"
    "    test %ecx, %ecx\n"
    "    jnz 30f\n"
    /* syscall variant */
    REGSTATE_LOAD_GPRS
    "    syscall\n"
    "    jmp 40f\n"
    /* spin variant: rflags loaded, then a loop that only touches the
     * arithmetic flags */
    "30:\n"
    REGSTATE_LOAD_GPRS
    "31:\n"
    "    cmpl $0, spin_flag(%rip)\n"
    "    je 31b\n"
    "40:\n"
    "    pushfq\n"
    "    push %r11\n"
    "    mov 56(%rsp), %r11\n"        /* out (rsp moved by 16) */
    "    popq 80(%r11)\n"
    "    popq 120(%r11)\n"
    "    cld\n"
    REGSTATE_STORE_GPRS
    "    mov 32(%rsp), %rcx\n"        /* level */
    REGSTATE_STORE_VECTOR_UNIT
    "    ldmxcsr (%rsp)\n"
    "    fldcw 4(%rsp)\n"
    "    add $48, %rsp\n"
    REGSTATE_POP_CALLEE_SAVED_AND_RETURN
    "    .size regs_around, .-regs_around\n");

/* Clobbers every vector register, the k registers, MXCSR and the x87
 * control word (the handler's job). */
void clobber_vectors(int level);
__asm__(
    "    .text\n"
    "    .globl clobber_vectors\n"
    "    .hidden clobber_vectors\n"
    "    .type clobber_vectors,@function\n"
    "clobber_vectors:\n"
    "    sub $8, %rsp\n"
    "    movl $0x1f80, (%rsp)\n"      /* default MXCSR */
    "    movw $0x037f, 4(%rsp)\n"     /* default FCW */
    "    ldmxcsr (%rsp)\n"
    "    fldcw 4(%rsp)\n"
    "    add $8, %rsp\n"
    "    pcmpeqd %xmm0, %xmm0\n"
    "    cmp $2, %edi\n"
    "    je 2f\n"
    "    cmp $1, %edi\n"
    "    je 1f\n"
    "    .irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    movdqa %xmm0, %xmm\\i\n"
    "    .endr\n"
    "    ret\n"
    "1:\n"
    "    vpcmpeqd %ymm0, %ymm0, %ymm0\n"
    "    .irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    vmovdqa %ymm0, %ymm\\i\n"
    "    .endr\n"
    "    vzeroupper\n"
    "    ret\n"
    "2:\n"
    "    vpternlogd $0xff, %zmm0, %zmm0, %zmm0\n"
    "    .irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "    vmovdqa64 %zmm0, %zmm\\i\n"
    "    .endr\n"
    "    kxnorq %k0, %k0, %k0\n"
    "    .irp i,1,2,3,4,5,6,7\n"
    "    kmovq %k0, %k\\i\n"
    "    .endr\n"
    "    vzeroupper\n"
    "    ret\n"
    "    .size clobber_vectors, .-clobber_vectors\n");

static int level;
static volatile int handler_runs, handler_df;

/* Clobbers everything it can, including callee-saved GPRs (restored by
 * the asm block's clobber list) and DF is reported as seen on entry. */
static void clobber_handler(int sig)
{
    (void)sig;
    uint64_t fl;
    __asm__ volatile("pushfq; pop %0" : "=r"(fl));
    handler_df = (fl >> 10) & 1;
    clobber_vectors(level);
    __asm__ volatile("mov $-1, %%rbx\n\tmov $-1, %%r12\n\tmov $-1, %%r13\n\tmov $-1, %%r14\n\tmov $-1, %%r15\n\t"
                     "mov $-1, %%rdx\n\tmov $-1, %%rsi\n\tmov $-1, %%rdi\n\tmov $-1, %%r8\n\tmov $-1, %%r9\n\t"
                     "mov $-1, %%r10\n\tmov $-1, %%r11\n\tmov $-1, %%rcx\n\tstd\n\tcld"
                     ::: "rbx", "r12", "r13", "r14", "r15", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "rcx",
                       "memory");
    handler_runs++;
    spin_flag = 1;
}

/* Whether `out` kept what `in` loaded (printing the first difference):
 * all of it after a spin, all but rax/rcx/r11 after a syscall. */
static int compare(const char *what, const struct regstate *in, const struct regstate *out, int syscall_variant,
                   uint64_t flag_mask)
{
    char why[128];
    if (!regstate_differs(in, out, level, syscall_variant, flag_mask, why, sizeof why))
        return 0;
    printf("%s: %s\n", what, why);
    return 1;
}

static void test_registers(void)
{
    level = vector_level();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = clobber_handler;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    static struct regstate in, out;

    /* delivered at a syscall's return: kill(getpid(), SIGUSR1) */
    const struct regstate_flagset *sets = REGSTATE_FLAGSETS;
    int bad = 0;
    for (unsigned i = 0; i < 3; i++) {
        regstate_fill(&in, (int)i + 1, &sets[i]);
        in.gpr[RAX] = SYS_kill;
        in.gpr[RDI] = (uint64_t)getpid();
        in.gpr[RSI] = SIGUSR1;
        handler_runs = 0;
        handler_df = -1;
        memset(&out, 0, sizeof out);
        char what[64];
        snprintf(what, sizeof what, "signal at syscall return, %s", sets[i].name);
        regs_around(&in, &out, level, 0);
        if (handler_runs != 1) {
            printf("%s: handler ran %d times\n", what, handler_runs);
            bad = 1;
        } else if (out.gpr[RAX] != 0) {
            printf("%s: kill returned %lld\n", what, (long long)out.gpr[RAX]);
            bad = 1;
        } else
            bad |= compare(what, &in, &out, 1, REGSTATE_FLAG_MASK);
        if (handler_df != 0) {
            printf("%s: handler ran with DF=%d\n", what, handler_df);
            bad = 1;
        }
    }
    check("all registers survive a handler run at a syscall's return", !bad);

    /* delivered while spinning in guest code: SIGALRM */
    bad = 0;
    for (unsigned i = 0; i < 2; i++) {
        struct regstate_flagset fs = sets[i];
        fs.rflags = i == 0 ? 0x402 : 0x002; /* DF set / clear */
        regstate_fill(&in, (int)i + 10, &fs);
        spin_flag = 0;
        handler_runs = 0;
        handler_df = -1;
        struct itimerval it = { { 0, 0 }, { 0, 20000 } };
        setitimer(ITIMER_REAL, &it, NULL);
        memset(&out, 0, sizeof out);
        regs_around(&in, &out, level, 1);
        char what[64];
        snprintf(what, sizeof what, "SIGALRM while spinning, DF=%d", i == 0);
        if (handler_runs != 1) {
            printf("%s: handler ran %d times\n", what, handler_runs);
            bad = 1;
        } else
            bad |= compare(what, &in, &out, 0, 0x400);
        if (handler_df != 0) {
            printf("%s: handler ran with DF=%d\n", what, handler_df);
            bad = 1;
        }
    }
    check("all registers survive a handler run while spinning in guest code", !bad);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc > 1)
        return child_mode(argv[1]);
    test_fixups();
    test_fpregs();
    test_longjmp();
    test_fatal_faults();
    test_registers();
    return finish();
}
