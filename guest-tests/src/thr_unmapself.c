/*
 * thr_unmapself: a thread that unmaps its own stack and then exits must
 * not write to that memory any more.
 *
 *   musl's pthread_exit for a detached thread does exactly this
 *   (__unmapself: munmap(stack) then the exit system call, "without
 *   touching the stack"). Natively a system call never writes to the user
 *   stack. The thread here runs on a stack of its own mapping, unmaps it,
 *   then waits (in pure guest code, no stack use) until main has mapped
 *   fresh memory of the same size -- likely the very same pages -- and
 *   filled it with a pattern; only then does it make the exit system call.
 *   Main checks that the pattern is intact.
 *
 *   The second part is the real thing, statistically: detached threads
 *   come and go for a while as another thread maps, fills and checks
 *   memory of their stack size.
 *
 *   usage: thr_unmapself [SECONDS-FOR-PART-TWO]   (default 2)
 *
 * Exit 0 when no corruption was seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LEN (64 * 1024)
#define NMAPS 8
#define PATTERN 0x5a5a5a5a5a5a5a5aULL

static volatile int unmapped, go;
static volatile pid_t tid;

/* munmap(base, len), set *done, spin until *go, exit(0): no stack use
 * after the munmap, like musl's __unmapself. */
static void unmap_wait_exit(void *stack_top, void *base, size_t len, volatile int *done, volatile int *gop)
    __attribute__((noreturn));
static void unmap_wait_exit(void *stack_top, void *base, size_t len, volatile int *done, volatile int *gop)
{
    register volatile int *r12 __asm__("r12") = done;
    register volatile int *r13 __asm__("r13") = gop;
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "mov $11, %%eax\n\t" /* munmap(rdi, rsi) */
                     "syscall\n\t"
                     "movl $1, (%%r12)\n\t"
                     "1: pause\n\t"
                     "cmpl $0, (%%r13)\n\t"
                     "je 1b\n\t"
                     "xor %%edi, %%edi\n\t"
                     "mov $60, %%eax\n\t" /* exit(0) */
                     "syscall\n\t"
                     "ud2"
                     :
                     : "r"(stack_top), "D"(base), "S"(len), "r"(r12), "r"(r13)
                     : "memory", "rax", "rcx", "r11");
    __builtin_unreachable();
}

static void *self_unmapper(void *arg)
{
    (void)arg;
    tid = (pid_t)syscall(SYS_gettid);
    char *stack = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED)
        return NULL;
    unmap_wait_exit(stack + LEN - 256, stack, LEN, &unmapped, &go);
}

static int deterministic(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, self_unmapper, NULL) != 0)
        return -1;
    while (!unmapped)
        usleep(1000);
    uint64_t *maps[NMAPS];
    for (int i = 0; i < NMAPS; i++) {
        maps[i] = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (maps[i] == MAP_FAILED)
            return -1;
        for (size_t k = 0; k < LEN / 8; k++)
            maps[i][k] = PATTERN;
    }
    go = 1;
    for (int i = 0; i < 5000; i++) {
        if (syscall(SYS_tgkill, getpid(), tid, 0) == -1 && errno == ESRCH)
            break;
        usleep(1000);
    }
    int bad = 0;
    for (int i = 0; i < NMAPS; i++)
        for (size_t k = 0; k < LEN / 8; k++)
            if (maps[i][k] != PATTERN) {
                fprintf(stderr, "thr_unmapself: map %d offset %#zx of %#x now holds %#llx\n", i, k * 8, LEN,
                        (unsigned long long)maps[i][k]);
                bad++;
            }
    for (int i = 0; i < NMAPS; i++)
        munmap(maps[i], LEN);
    return bad;
}

/* ---- statistical: detached pthreads ---- */

static volatile int stop;
static volatile long corruptions;

static void *nothing(void *arg)
{
    return arg;
}

static void *prober(void *arg)
{
    size_t size = (size_t)(uintptr_t)arg;
    while (!stop) {
        uint64_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            continue;
        size_t n = size / 8;
        for (size_t i = 0; i < n; i++)
            p[i] = PATTERN;
        for (volatile int d = 0; d < 2000; d++)
            ;
        for (size_t i = 0; i < n; i++)
            if (p[i] != PATTERN) {
                fprintf(stderr, "thr_unmapself: fresh mapping offset %#zx of %#zx now holds %#llx\n", i * 8, size,
                        (unsigned long long)p[i]);
                __atomic_add_fetch(&corruptions, 1, __ATOMIC_SEQ_CST);
            }
        munmap(p, size);
    }
    return NULL;
}

/* The size of a default thread's mapping, as seen by a probe: the
 * distance between two thread stacks is not it, so simply try the sizes
 * around musl's (128 KiB stack + guard + TLS) and glibc's. */
static const size_t sizes[] = { 0x21000, 0x22000, 0x23000, 0x24000 };

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int bad = deterministic();
    printf("a thread that unmapped its own stack left it alone while exiting: %s\n", bad == 0 ? "yes" : "NO");

    pthread_t pr[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&pr[i], NULL, prober, (void *)(uintptr_t)sizes[i * 2 + 1]);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long made = 0;
    do {
        pthread_t d;
        if (pthread_create(&d, &a, nothing, NULL) == 0)
            made++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(pr[i], NULL);
    fprintf(stderr, "thr_unmapself: %ld detached threads\n", made);
    printf("detached threads coming and going never wrote into fresh mappings: %s\n", corruptions == 0 ? "yes" : "NO");
    return bad != 0 || corruptions != 0;
}
