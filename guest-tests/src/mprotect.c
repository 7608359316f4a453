/* mprotect and PROT_NONE: inaccessible pages fault (SIGSEGV, SEGV_ACCERR, the
 * page's address) and make syscalls answer EFAULT or stop short at them, as
 * on Linux; they get their contents back when made accessible again; a
 * moved or grown PROT_NONE mapping stays inaccessible; MAP_FIXED over one
 * makes it fresh memory. The errors: EINVAL (unaligned, unknown bits),
 * ENOMEM (not mapped, or a hole inside the range). Last, a thread that
 * overflows its stack hits its guard page: the process dies of SIGSEGV
 * (in a child, so that we can look). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_check.h"

#pragma GCC diagnostic ignored "-Winfinite-recursion"

#define PAGE 4096

static sigjmp_buf jump;
static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jump, 1);
}

/* Does writing (or reading) *p fault with SEGV_ACCERR at p? */
static int faults(volatile char *p, int write)
{
    fault_addr = 0;
    if (sigsetjmp(jump, 1) == 0) {
        if (write)
            *p = 'w';
        else
            (void)*p;
        return 0;
    }
    return fault_addr == (uintptr_t)p && fault_code == SEGV_ACCERR;
}

static int recurse(int depth)
{
    volatile char frame[256];
    memset((char *)frame, depth, sizeof frame);
    return recurse(depth + 1) + frame[depth % sizeof frame];
}

static void *overflow(void *arg)
{
    (void)arg;
    recurse(0);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        /* exec'd child: a thread overflows its stack */
        pthread_t t;
        pthread_create(&t, NULL, overflow, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    int pipefd[2];
    pipe(pipefd);

    char *p = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap PROT_NONE", p != MAP_FAILED);
    check("reading it faults (SEGV_ACCERR at the address)", faults(p + 100, 0));
    check("writing its last page faults", faults(p + 2 * PAGE + 5, 1));
    errno = 0;
    check("write(2) from it: EFAULT", write(pipefd[1], p, 1) == -1 && errno == EFAULT);
    int zero = open("/dev/zero", O_RDONLY);
    errno = 0;
    check("read(2) into it: EFAULT", read(zero, p + PAGE, 16) == -1 && errno == EFAULT);
    errno = 0;
    check("clock_gettime into it: EFAULT",
          syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p + 8) == -1 && errno == EFAULT);

    check("mprotect the middle page read-write", mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE) == 0);
    p[PAGE] = 'x';
    p[2 * PAGE - 1] = 'y';
    check("the middle page is usable", p[PAGE] == 'x');
    check("the pages around it still fault", faults(p, 1) && faults(p + 2 * PAGE, 0));
    check("read(2) into the middle page", read(zero, p + PAGE + 1, 8) == 8 && p[PAGE + 1] == 0);
    p[PAGE + 1] = 'z';
    check("read(2) that runs into the next page stops short", read(zero, p + 2 * PAGE - 3, 6) == 3);
    p[2 * PAGE - 1] = 'y';

    check("PROT_NONE again", mprotect(p + PAGE, PAGE, PROT_NONE) == 0);
    check("now it faults", faults(p + PAGE, 0));
    check("PROT_READ: accessible again", mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE) == 0);
    check("with its contents", p[PAGE] == 'x' && p[PAGE + 1] == 'z' && p[2 * PAGE - 1] == 'y');

    check("madvise(MADV_DONTNEED) of an inaccessible page", madvise(p, PAGE, MADV_DONTNEED) == 0);
    check("mprotect of length 0", mprotect(p, 0, PROT_READ) == 0);
    errno = 0;
    /* the raw call: musl's mprotect() rounds the address down itself */
    check("mprotect unaligned: EINVAL",
          syscall(SYS_mprotect, p + 1, PAGE, PROT_READ) == -1 && errno == EINVAL);
    errno = 0;
    check("mprotect unknown bits: EINVAL", mprotect(p, PAGE, 0x40) == -1 && errno == EINVAL);

    /* A hole: unmap the last page, then ask for all three. */
    check("munmap the last page", munmap(p + 2 * PAGE, PAGE) == 0);
    errno = 0;
    check("mprotect over a hole: ENOMEM", mprotect(p, 3 * PAGE, PROT_READ) == -1 && errno == ENOMEM);
    errno = 0;
    check("mprotect of unmapped memory: ENOMEM", mprotect(p + 2 * PAGE, PAGE, PROT_NONE) == -1 && errno == ENOMEM);

    /* mremap keeps the protection, and the growth gets it too. (Linux
       moves only what one protection covers: all of it is PROT_NONE.) */
    char *q = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    q[0] = 'a';
    q[PAGE] = 'b';
    check("PROT_NONE on all of another mapping", mprotect(q, 2 * PAGE, PROT_NONE) == 0);
    char *r = mremap(q, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
    check("mremap grows it", r != MAP_FAILED);
    if (r != MAP_FAILED) {
        check("the old pages are still inaccessible", faults(r, 0) && faults(r + PAGE, 1));
        check("so is the part it grew by", faults(r + 3 * PAGE, 1));
        check("mprotect it all back", mprotect(r, 4 * PAGE, PROT_READ | PROT_WRITE) == 0);
        check("the old pages kept their contents", r[0] == 'a' && r[PAGE] == 'b' && r[3 * PAGE] == 0);
        munmap(r, 4 * PAGE);
    }

    /* MAP_FIXED over inaccessible memory: fresh, usable pages. */
    check("PROT_NONE on the first two pages", mprotect(p, 2 * PAGE, PROT_NONE) == 0);
    char *f = mmap(p, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("mmap MAP_FIXED over them", f == p);
    check("they are usable and zeroed", !faults(p + PAGE, 1) && p[0] == 0 && p[PAGE + 1] == 0);
    munmap(p, 2 * PAGE);

    /* A new mapping over the unmapped range is accessible (the arena page
       was given back without its protection). */
    char *again = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int usable = again != MAP_FAILED;
    for (int i = 0; usable && i < 64; i++)
        usable = !faults(again + i * PAGE, 1);
    check("fresh mappings afterwards are usable", usable);

    self = "/proc/self/exe";
    int status = run_self_status("overflow");
    check("a thread overflowing its stack: SIGSEGV", WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    return finish();
}
