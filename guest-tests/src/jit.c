/* Code that appears at run time (issue 7): a guest writes
 * `mov $39,%eax; syscall; ret` into memory and calls it. The exec-time
 * rewrite never saw these bytes; the trap path must catch the syscall
 * (and may rewrite the site afterwards). Every call must return our pid. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const unsigned char getpid_code[] = {
    0xb8, SYS_getpid, 0, 0, 0, /* mov $SYS_getpid, %eax */
    0x0f, 0x05,                /* syscall */
    0xc3,                      /* ret */
};

static const unsigned char gettid_code[] = {
    0xb8, SYS_gettid, 0, 0, 0, 0x0f, 0x05, 0xc3,
};

/* Where a syscall site was: clear %eax, %edi = -1, `call *%rax` (at the
 * site's offset, 5), ret. A call through a NULL pointer: SIGSEGV at 0. */
static const unsigned char nullcall_code[] = {
    0x31, 0xc0,       /* xor %eax, %eax */
    0x83, 0xcf, 0xff, /* or $-1, %edi (were it read(2): EBADF, no wait) */
    0xff, 0xd0,       /* call *%rax */
    0xc3,             /* ret */
};

typedef long (*fn_t)(void);

static int failures;
static sigjmp_buf fault_jmp;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)uc;
    fault_addr = si->si_addr;
    siglongjmp(fault_jmp, 1);
}

/* Calls f, which must fault: did it, with SIGSEGV at `want`? */
static int faults_at(fn_t f, void *want) {
    struct sigaction sa = {0}, old;
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, &old);
    int faulted = 0;
    fault_addr = (void *)1;
    if (sigsetjmp(fault_jmp, 1) == 0)
        f();
    else
        faulted = 1;
    sigaction(SIGSEGV, &old, NULL);
    return faulted && fault_addr == want;
}

static void check(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    failures += !ok;
}

static void call_many(const char *what, fn_t f, long want) {
    int ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= f() == want;
    check(what, ok);
}

int main(void) {
    long pid = getpid(), tid = syscall(SYS_gettid);

    /* An RWX mapping, written and called: no mprotect ever happens. */
    unsigned char *rwx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap rwx", rwx != MAP_FAILED);
    memcpy(rwx, getpid_code, sizeof getpid_code);
    __builtin___clear_cache((char *)rwx, (char *)rwx + sizeof getpid_code);
    call_many("rwx getpid returns the pid", (fn_t)rwx, pid);

    /* The same bytes rewritten to another syscall: a site patched earlier
     * must not keep running the old code. */
    memcpy(rwx, gettid_code, sizeof gettid_code);
    __builtin___clear_cache((char *)rwx, (char *)rwx + sizeof gettid_code);
    call_many("rwx rewritten to gettid returns the tid", (fn_t)rwx, tid);

    /* The W^X way: write, then mprotect to read+exec. */
    unsigned char *rw = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap rw", rw != MAP_FAILED);
    unsigned char *code = rw + 4096 - 3; /* the site straddles a page */
    memcpy(code, getpid_code, sizeof getpid_code);
    check("mprotect r-x", mprotect(rw, 8192, PROT_READ | PROT_EXEC) == 0);
    call_many("mprotect'ed getpid returns the pid", (fn_t)code, pid);

    /* A syscall site at every alignment within an 8-byte word. */
    unsigned char *many = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int all = 1;
    for (int a = 0; a < 8; a++) {
        memcpy(many + 64 * a + a, getpid_code, sizeof getpid_code);
        for (int i = 0; i < 100; i++)
            all &= ((fn_t)(many + 64 * a + a))() == pid;
    }
    check("sites at every alignment", all);

    /* Code whose site was rewritten, moved by mremap: it must keep working
     * at its new address. */
    unsigned char *mv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(mv, getpid_code, sizeof getpid_code);
    mprotect(mv, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    call_many("getpid before mremap", (fn_t)mv, pid);
    unsigned char *blocker = mmap(mv + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *moved = mremap(mv, 4096, 65536, MREMAP_MAYMOVE);
    check("mremap", moved != MAP_FAILED);
    call_many("getpid after mremap", (fn_t)moved, pid);
    munmap(moved, 65536);
    munmap(blocker, 4096);

    /* New code mapped with MAP_FIXED over code whose site was rewritten:
     * a `call *%rax` it makes where the site was is the call it is. */
    unsigned char *re = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(re, getpid_code, sizeof getpid_code);
    call_many("getpid before MAP_FIXED", (fn_t)re, pid);
    unsigned char *again = mmap(re, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED over the code", again == re);
    memcpy(re, nullcall_code, sizeof nullcall_code);
    __builtin___clear_cache((char *)re, (char *)re + sizeof nullcall_code);
    check("a NULL call where a site was faults at 0", faults_at((fn_t)re, NULL));

    /* The same after MADV_DONTNEED, which zeroes anonymous memory. */
    memcpy(re, getpid_code, sizeof getpid_code);
    __builtin___clear_cache((char *)re, (char *)re + sizeof getpid_code);
    call_many("getpid before MADV_DONTNEED", (fn_t)re, pid);
    check("MADV_DONTNEED of the code", madvise(re, 4096, MADV_DONTNEED) == 0 && re[0] == 0);
    memcpy(re, nullcall_code, sizeof nullcall_code);
    __builtin___clear_cache((char *)re, (char *)re + sizeof nullcall_code);
    check("a NULL call where a site was before MADV_DONTNEED faults at 0", faults_at((fn_t)re, NULL));
    munmap(re, 4096);

    /* An unknown syscall number from JIT code is ENOSYS, not a crash. */
    unsigned char bad[] = { 0xb8, 0xe8, 0x03, 0, 0, 0x0f, 0x05, 0xc3 }; /* 1000 */
    memcpy(many + 1024, bad, sizeof bad);
    check("unknown number from JIT code is -ENOSYS", ((fn_t)(many + 1024))() == -38);

    munmap(rwx, 4096);
    munmap(rw, 8192);
    munmap(many, 4096);
    printf("jit: %s\n", failures ? "FAILED" : "all ok");
    return failures != 0;
}
