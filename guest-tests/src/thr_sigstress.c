/*
 * thr_sigstress: many signals between threads, and what they must keep.
 *
 *   ping-pong: 2000 rounds of pthread_kill between two threads that wait
 *   in sigsuspend (SIGUSR2 there, SIGUSR1 back): every signal arrives
 *   once, on the thread it was sent to; a thread that kills itself gets
 *   the signal before pthread_kill returns.
 *   sleepers: a thread in clock_nanosleep (a long sleep, so a blocked host
 *   call) is interrupted 300 times by another thread, each time with EINTR
 *   and the time left.
 *   storm: while a thread sends SIGUSR1 to the main thread in a loop and an
 *   ITIMER_REAL fires every 50 us, the main thread spins in asm holding
 *   values in xmm8-15 (and ymm8's upper half where the CPU has AVX) with
 *   a rounding mode of its own; handlers clobber those registers and MXCSR.
 *   Everything comes back, each handler starts with the default MXCSR,
 *   and both kinds of signal arrive; the interval timer delivers no more
 *   signals than intervals passed; getitimer shows a one-shot timer's time
 *   left, and the storm's timer disarmed after it.
 *
 * Prints relations only (yes/no), never counts that depend on timing.
 * Exit 0 when all hold.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CHECK_YES "yes"
#define CHECK_NO "NO"
#include "sig_helpers.h"
#include "thr_check.h"

static pthread_t main_thread, peer;
static volatile sig_atomic_t usr1s, usr2s, alarms, wrong_thread, stop;
static volatile sig_atomic_t bad_handler_mxcsr;
static sigset_t waitmask;

static unsigned read_mxcsr(void)
{
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}

/* SSE rounding control (MXCSR bits 13-14), without libm's fenv. */
enum { ROUND_NEAREST = 0, ROUND_DOWN = 1, ROUND_UP = 2 };
static void set_rounding(unsigned rc)
{
    unsigned m = (read_mxcsr() & ~0x6000u) | rc << 13;
    __asm__ volatile("ldmxcsr %0" ::"m"(m));
}

static unsigned rounding(void)
{
    return read_mxcsr() >> 13 & 3;
}

/* Clobbers what an interrupted thread holds: xmm8-15, ymm8, MXCSR. */
static void clobber(void)
{
    __asm__ volatile("pcmpeqd %%xmm8, %%xmm8\n\t"
                     "pcmpeqd %%xmm9, %%xmm9\n\t"
                     "pxor %%xmm10, %%xmm10\n\t"
                     "pxor %%xmm15, %%xmm15\n\t" ::
                         : "xmm8", "xmm9", "xmm10", "xmm15");
    if (__builtin_cpu_supports("avx"))
        __asm__ volatile("vpcmpeqd %%ymm8, %%ymm8, %%ymm8" ::: "xmm8");
    set_rounding(ROUND_UP);
}

static void on_usr1(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), main_thread))
        wrong_thread = 1;
    if ((read_mxcsr() & 0xffc0) != 0x1f80)
        bad_handler_mxcsr = 1;
    usr1s++;
    clobber();
}

static void on_usr2(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), peer))
        wrong_thread = 1;
    usr2s++;
}

static void on_alrm(int sig)
{
    (void)sig;
    if ((read_mxcsr() & 0xffc0) != 0x1f80)
        bad_handler_mxcsr = 1;
    alarms++;
    clobber();
}

#define ROUNDS 2000

static void *pong(void *arg)
{
    (void)arg;
    for (long i = 0; i < ROUNDS; i++) {
        while (usr2s <= i)
            sigsuspend(&waitmask);
        pthread_kill(main_thread, SIGUSR1);
    }
    return 0;
}

static void ping_pong(void)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &block, 0);
    pthread_sigmask(SIG_BLOCK, 0, &waitmask);
    sigdelset(&waitmask, SIGUSR1);
    sigdelset(&waitmask, SIGUSR2);
    usr1s = usr2s = 0;
    pthread_create(&peer, 0, pong, 0);
    int in_order = 1;
    for (long i = 0; i < ROUNDS; i++) {
        pthread_kill(peer, SIGUSR2);
        while (usr1s <= i)
            sigsuspend(&waitmask);
        if (usr1s != i + 1 || usr2s != i + 1)
            in_order = 0;
    }
    pthread_join(peer, 0);
    check("ping-pong: every signal arrives once, in turn", in_order && usr1s == ROUNDS && usr2s == ROUNDS);
    check("ping-pong: each on the thread it was sent to", !wrong_thread);
    pthread_sigmask(SIG_UNBLOCK, &block, 0);
    long before = usr1s;
    pthread_kill(pthread_self(), SIGUSR1);
    check("a signal to oneself arrives before pthread_kill returns", usr1s == before + 1);
}

#define NAPS 300
static volatile sig_atomic_t naps_interrupted, sleeper_ready;
static volatile int nap_errors;

static void *sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < NAPS; i++) {
        struct timespec t = {30, 0}, left = {0, 0};
        sleeper_ready = i + 1;
        int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &left);
        if (r != EINTR || left.tv_sec < 25)
            nap_errors++;
        naps_interrupted = i + 1;
    }
    return 0;
}

static void on_usr2_nap(int sig)
{
    (void)sig;
    usr2s++;
}

static void sleepers(void)
{
    handle(SIGUSR2, on_usr2_nap, 0);
    pthread_t t;
    pthread_create(&t, 0, sleeper, 0);
    for (int i = 0; i < NAPS; i++) {
        while (sleeper_ready <= i)
            sched_yield();
        /* The sleeper may not have reached the sleep yet: send until its
         * sleep ends (a signal sent early is taken before it blocks and
         * it sleeps on; the next one ends the sleep). */
        while (naps_interrupted <= i) {
            pthread_kill(t, SIGUSR2);
            struct timespec d = {0, 200000};
            nanosleep(&d, 0);
        }
    }
    pthread_join(t, 0);
    check("a thread's sleeps end with EINTR and the time left, each time", nap_errors == 0);
}

static void *sender(void *arg)
{
    (void)arg;
    while (!stop)
        pthread_kill(main_thread, SIGUSR1);
    return 0;
}

/* Spins `n` times holding known values in xmm8-15 (and ymm8's upper half);
 * returns 1 if they all survived. */
static int spin_holding_registers(long n, int avx)
{
    static const uint64_t pat[8][2] = {
        {0x0102030405060708, 0x1112131415161718}, {0x2122232425262728, 0x3132333435363738},
        {0x4142434445464748, 0x5152535455565758}, {0x6162636465666768, 0x7172737475767778},
        {0x8182838485868788, 0x9192939495969798}, {0xa1a2a3a4a5a6a7a8, 0xb1b2b3b4b5b6b7b8},
        {0xc1c2c3c4c5c6c7c8, 0xd1d2d3d4d5d6d7d8}, {0xe1e2e3e4e5e6e7e8, 0xf1f2f3f4f5f6f7f8},
    };
    uint64_t out[8][2], hi[2] = {0, 0};
    /* With AVX, ymm8's upper half is pat[6]; the legacy-SSE load of xmm8
     * below keeps it, so it must still be pat[6] at the end. */
    __asm__ volatile("test %[avx], %[avx]\n\t"
                     "jz 2f\n\t"
                     "vmovdqu 96(%[p]), %%xmm8\n\t"
                     "vinsertf128 $1, %%xmm8, %%ymm8, %%ymm8\n\t"
                     "2: movdqu 0(%[p]), %%xmm8\n\t"
                     "movdqu 16(%[p]), %%xmm9\n\t"
                     "movdqu 32(%[p]), %%xmm10\n\t"
                     "movdqu 48(%[p]), %%xmm11\n\t"
                     "movdqu 64(%[p]), %%xmm12\n\t"
                     "movdqu 80(%[p]), %%xmm13\n\t"
                     "movdqu 96(%[p]), %%xmm14\n\t"
                     "movdqu 112(%[p]), %%xmm15\n\t"
                     "1: dec %[n]\n\t"
                     "jnz 1b\n\t"
                     "movdqu %%xmm8, 0(%[o])\n\t"
                     "movdqu %%xmm9, 16(%[o])\n\t"
                     "movdqu %%xmm10, 32(%[o])\n\t"
                     "movdqu %%xmm11, 48(%[o])\n\t"
                     "movdqu %%xmm12, 64(%[o])\n\t"
                     "movdqu %%xmm13, 80(%[o])\n\t"
                     "movdqu %%xmm14, 96(%[o])\n\t"
                     "movdqu %%xmm15, 112(%[o])\n\t"
                     "test %[avx], %[avx]\n\t"
                     "jz 3f\n\t"
                     "vextractf128 $1, %%ymm8, (%[h])\n\t"
                     "vzeroupper\n\t"
                     "3:"
                     : [n] "+r"(n)
                     : [p] "r"(pat), [o] "r"(out), [h] "r"(hi), [avx] "r"(avx)
                     : "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
    int ok = !memcmp(out, pat, sizeof pat);
    if (avx)
        ok = ok && !memcmp(hi, pat[6], sizeof hi);
    return ok;
}

static void storm(void)
{
    handle(SIGUSR1, on_usr1, SA_RESTART);
    handle(SIGALRM, on_alrm, SA_RESTART);
    usr1s = alarms = 0;
    stop = 0;
    int avx = __builtin_cpu_supports("avx");
    set_rounding(ROUND_DOWN);
    /* A one-shot 5 s timer shows its time left (read while the storm's
     * timer runs, the value can be under 1 us: 0 in a timeval). */
    struct itimerval it = {{0, 0}, {5, 0}}, now_it;
    setitimer(ITIMER_REAL, &it, 0);
    getitimer(ITIMER_REAL, &now_it);
    int armed = !now_it.it_interval.tv_sec && !now_it.it_interval.tv_usec && now_it.it_value.tv_sec >= 4 &&
                now_it.it_value.tv_sec <= 5;
    it = (struct itimerval){{0, 50}, {0, 50}};
    double t0 = now(CLOCK_MONOTONIC);
    setitimer(ITIMER_REAL, &it, 0);
    pthread_t t;
    pthread_create(&t, 0, sender, 0);
    int kept = 1, rounds = 0;
    /* Spin until both kinds arrived often enough (bounded in time). */
    while ((usr1s < 200 || alarms < 50) && now(CLOCK_MONOTONIC) - t0 < 20) {
        kept &= spin_holding_registers(200000, avx);
        rounds++;
    }
    stop = 1;
    pthread_join(t, 0);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, 0);
    double elapsed = now(CLOCK_MONOTONIC) - t0;
    long got = alarms;
    getitimer(ITIMER_REAL, &now_it);
    check("getitimer shows a one-shot timer's time left", armed);
    check("storm: both signals arrived", usr1s >= 200 && got >= 50);
    check("storm: xmm8-15 (and ymm8) survive every signal", kept);
    check("storm: the thread's rounding mode survives", rounding() == ROUND_DOWN);
    check("storm: every handler starts with the default MXCSR", !bad_handler_mxcsr);
    check("storm: no more SIGALRMs than intervals passed", got <= elapsed / 50e-6 + 1);
    check("storm: getitimer shows the timer disarmed",
          !now_it.it_value.tv_sec && !now_it.it_value.tv_usec && !now_it.it_interval.tv_usec);
    set_rounding(ROUND_NEAREST);
}

int main(void)
{
    main_thread = pthread_self();
    handle(SIGUSR1, on_usr1, 0);
    handle(SIGUSR2, on_usr2, 0);
    ping_pong();
    sleepers();
    storm();
    return finish();
}
