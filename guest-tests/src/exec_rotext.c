/*
 * exec_rotext: a program's text and read-only data cannot be written but
 * by mprotect, as natively. Under nommu an exec'd image's read-only pages
 * are mapped read-only from the exec image cache and not committed
 * (docs/architecture.md, "Exec without copying"); this checks what Linux
 * does there:
 * - the program first re-executes itself, so that (under nommu) the run
 *   being checked comes from the image cache;
 * - a store into text or rodata is SIGSEGV with SEGV_ACCERR;
 * - syscalls writing there fail with EFAULT (read from a pipe, clock_gettime
 *   by syscall,
 *   pipe2's descriptor pair), syscalls reading from there work (write);
 * - mprotect(PROT_READ|PROT_EXEC) of text changes nothing; a write after
 *   mprotect(PROT_READ|PROT_WRITE|PROT_EXEC) works; PROT_NONE and back
 *   keeps the code.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

__attribute__((noinline, aligned(4096), section(".text.exec_rotext_f"))) int f(void) { return 7; }
__attribute__((noinline, used, aligned(4096), section(".text.exec_rotext_f"))) int after_f(void) { return 8; }
int (*volatile fp)(void) = f;
static const char rodata[8192] __attribute__((aligned(4096))) = "read-only";
static const char *volatile ro = rodata;

static sigjmp_buf env;
static volatile int got_code;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    got_code = si->si_code;
    siglongjmp(env, 1);
}

static void store(const char *what, volatile char *p) {
    got_code = 0;
    if (!sigsetjmp(env, 1)) {
        *p = 1;
        printf("%s: store went through\n", what);
    } else {
        printf("%s: SIGSEGV %s\n", what, got_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other code");
    }
}

static void result(const char *what, long rc) {
    if (rc < 0)
        printf("%s: %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        char *av[] = {argv[0], "again", 0};
        execve("/proc/self/exe", av, environ);
        perror("execve");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    char *text = (char *)((uintptr_t)fp & ~4095UL);

    store("store into text", text + 16);
    store("store into rodata", (char *)ro);
    printf("f() = %d, rodata \"%s\"\n", fp(), ro);

    int p[2];
    if (pipe(p))
        return 1;
    result("write from text", write(p[1], text, 16));
    result("read into text", read(p[0], text, 16));
    result("read into rodata", read(p[0], (char *)ro, 16));
    result("clock_gettime into text", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (struct timespec *)(text + 64)));
    result("pipe into rodata", pipe((int *)ro));
    // A struct stat (144 bytes) straddling the end of rodata's first page.
    result("stat into rodata", syscall(SYS_stat, "/", (struct stat *)(ro + 4096 - 64)));
    result("fstat into text", syscall(SYS_fstat, p[0], (struct stat *)(text + 128)));
    printf("f() = %d, rodata \"%s\"\n", fp(), ro);

    result("mprotect text r-x", mprotect(text, 4096, PROT_READ | PROT_EXEC));
    store("store into text after r-x", text + 16);
    result("mprotect text none", mprotect(text, 4096, PROT_NONE));
    result("mprotect text r-x again", mprotect(text, 4096, PROT_READ | PROT_EXEC));
    printf("f() = %d\n", fp());
    result("mprotect rodata rw", mprotect((void *)ro, 4096, PROT_READ | PROT_WRITE));
    store("store into rodata after rw", (char *)ro + 20);
    result("read into rodata after rw", read(p[0], (char *)ro, 16));
    printf("rodata now holds the text: %s\n", memcmp(ro, text, 16) ? "no" : "yes");
    return 0;
}
