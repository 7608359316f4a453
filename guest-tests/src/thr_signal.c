/*
 * thr_signal: signals and threads.
 *
 *   pthread_kill to each of 4 threads (the handler records gettid(), the
 *   target recorded its own); a process-directed kill(getpid()) while all
 *   but one thread block the signal (the one taking it blocks in a
 *   syscall, then spins in guest code); sigwait in a dedicated thread
 *   (kill and sigqueue, values and counts); a thread-directed signal that
 *   the target blocks stays pending for that thread only; masks are
 *   inherited by new threads; FUTEX_WAIT (raw syscall) interrupted by a
 *   handler without SA_RESTART returns EINTR, and with SA_RESTART it is
 *   restarted and returns 0 on the wake; tgkill with a wrong tgid is ESRCH;
 *   sigaltstack is per thread (a new thread starts without one).
 *
 * Prints relations only (yes/no), never tids. Exit 0 when all hold.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK_YES "yes"
#define CHECK_NO "NO"
#include "sig_helpers.h"
#include "thr_check.h"

/* <linux/futex.h> is not on musl's include path. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static void block(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
}

static void unblock(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* ---- pthread_kill to specific threads ---- */

static volatile pid_t handled_by;
static volatile int handled_count;

static void record_tid(int sig)
{
    (void)sig;
    handled_by = my_tid();
    __atomic_add_fetch(&handled_count, 1, __ATOMIC_SEQ_CST);
}

#define NT 4
static pid_t tids[NT];
static volatile int stop;
static pthread_barrier_t bar;

static void *idle_thread(void *arg)
{
    int i = (int)(intptr_t)arg;
    tids[i] = my_tid();
    pthread_barrier_wait(&bar);
    while (!stop) {
        if (i % 2)
            usleep(1000); /* blocked in the kernel most of the time */
        else
            for (volatile int k = 0; k < 10000; k++) /* in guest code */
                ;
    }
    return NULL;
}

static void test_pthread_kill(void)
{
    handle(SIGUSR1, record_tid, SA_RESTART);
    pthread_t t[NT];
    pthread_barrier_init(&bar, NULL, NT + 1);
    stop = 0;
    for (int i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, idle_thread, (void *)(intptr_t)i);
    pthread_barrier_wait(&bar);
    for (int i = 0; i < NT; i++) {
        handled_by = 0;
        int before = handled_count;
        pthread_kill(t[i], SIGUSR1);
        for (int k = 0; k < 2000 && handled_count == before; k++)
            usleep(1000);
        char what[96];
        snprintf(what, sizeof what, "pthread_kill to thread %d ran the handler in that thread (%s)", i,
                 i % 2 ? "sleeping" : "spinning");
        check(what, handled_count == before + 1 && handled_by == tids[i]);
    }
    /* pthread_kill to itself runs the handler before returning. */
    handled_by = 0;
    pthread_kill(pthread_self(), SIGUSR1);
    check("pthread_kill to self handled synchronously by self", handled_by == my_tid());
    stop = 1;
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    check("tgkill with a wrong tgid is ESRCH",
          syscall(SYS_tgkill, getpid() + 12345, my_tid(), SIGUSR1) == -1 && errno == ESRCH);
    check("tgkill(getpid(), gettid(), 0) == 0", syscall(SYS_tgkill, getpid(), my_tid(), 0) == 0);
}

/* ---- process-directed signal, one thread not blocking it ---- */

static pid_t taker_tid;
static volatile int taker_phase;

static void *taker(void *arg)
{
    (void)arg;
    taker_tid = my_tid();
    unblock(SIGUSR1); /* inherited blocked from main */
    taker_phase = 1;
    while (taker_phase == 1)
        usleep(1000);
    /* phase 2: spin in guest code */
    taker_phase = 3;
    while (taker_phase == 3)
        ;
    return NULL;
}

static void *blocker(void *arg)
{
    (void)arg;
    while (!stop)
        usleep(1000);
    return NULL;
}

static void test_process_directed(void)
{
    handle(SIGUSR1, record_tid, SA_RESTART);
    block(SIGUSR1);
    stop = 0;
    taker_phase = 0;
    pthread_t b[3], tk;
    for (int i = 0; i < 3; i++)
        pthread_create(&b[i], NULL, blocker, NULL); /* inherit the blocked mask */
    pthread_create(&tk, NULL, taker, NULL);
    while (taker_phase != 1)
        usleep(1000);
    usleep(20000);
    int ok = 1;
    for (int round = 0; round < 5; round++) {
        handled_by = 0;
        int before = handled_count;
        kill(getpid(), SIGUSR1);
        for (int k = 0; k < 2000 && handled_count == before; k++)
            usleep(1000);
        if (handled_by != taker_tid)
            ok = 0;
    }
    check("kill(getpid()) handled by the only thread not blocking it (blocked in a syscall)", ok);
    taker_phase = 2;
    while (taker_phase != 3)
        usleep(1000);
    handled_by = 0;
    int before = handled_count;
    kill(getpid(), SIGUSR1);
    for (int k = 0; k < 2000 && handled_count == before; k++)
        usleep(1000);
    check("kill(getpid()) handled by the only thread not blocking it (spinning)", handled_by == taker_tid);
    taker_phase = 4;
    pthread_join(tk, NULL);
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(b[i], NULL);
    /* Now every thread blocks it: it stays pending for the process. */
    handled_by = 0;
    kill(getpid(), SIGUSR1);
    sigset_t p;
    sigpending(&p);
    check("process-directed signal pending while every thread blocks it", sigismember(&p, SIGUSR1));
    unblock(SIGUSR1);
    check("taken by main when it unblocks", handled_by == my_tid());
}

/* ---- sigwait in a dedicated thread ---- */

static int waited_usr2, waited_rt;
static long rt_value_sum;

static void *sigwait_thread(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGRTMIN);
    sigaddset(&s, SIGRTMIN + 1);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&s, &si);
        if (sig == SIGUSR2)
            waited_usr2++;
        else if (sig == SIGRTMIN) {
            waited_rt++;
            rt_value_sum += si.si_value.sival_int;
        } else if (sig == SIGRTMIN + 1)
            break;
    }
    return NULL;
}

static void test_sigwait(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGRTMIN);
    sigaddset(&s, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* before creating: everybody blocks them */
    pthread_t t;
    pthread_create(&t, NULL, sigwait_thread, NULL);
    for (int i = 1; i <= 10; i++) {
        union sigval v = { .sival_int = i };
        sigqueue(getpid(), SIGRTMIN, v); /* queued: none lost */
    }
    kill(getpid(), SIGUSR2);
    /* The end marker: sigwaitinfo takes the lowest pending signal first, so
       SIGRTMIN+1 comes after everything queued before it, however slowly
       the thread runs. */
    kill(getpid(), SIGRTMIN + 1);
    pthread_join(t, NULL);
    printf("sigwait thread: %d SIGUSR2, %d SIGRTMIN, values sum %ld\n", waited_usr2, waited_rt, rt_value_sum);
    check("sigwait thread took every queued signal", waited_usr2 == 1 && waited_rt == 10 && rt_value_sum == 55);
    sigset_t p;
    sigpending(&p);
    check("nothing left pending for main", !sigismember(&p, SIGUSR2) && !sigismember(&p, SIGRTMIN));
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* ---- thread-directed signal pending in the target only ---- */

static volatile int tp_phase;
static volatile int tp_pending_seen;
static volatile pid_t tp_tid;

static void *pending_target(void *arg)
{
    (void)arg;
    block(SIGUSR1);
    tp_tid = my_tid();
    tp_phase = 1;
    while (tp_phase == 1)
        usleep(1000);
    sigset_t p;
    sigpending(&p);
    tp_pending_seen = sigismember(&p, SIGUSR1);
    handled_by = 0;
    unblock(SIGUSR1); /* delivered here, now */
    tp_phase = 3;
    return NULL;
}

static void test_thread_pending(void)
{
    handle(SIGUSR1, record_tid, SA_RESTART);
    pthread_t t;
    tp_phase = 0;
    pthread_create(&t, NULL, pending_target, NULL);
    while (tp_phase != 1)
        usleep(1000);
    pthread_kill(t, SIGUSR1);
    usleep(20000);
    sigset_t p;
    sigpending(&p);
    int main_sees = sigismember(&p, SIGUSR1);
    tp_phase = 2;
    pthread_join(t, NULL);
    check("a blocked thread-directed signal is not pending for other threads", !main_sees);
    check("it is pending for the target", tp_pending_seen);
    check("the target handles it when it unblocks", handled_by == tp_tid);
}

/* ---- masks are inherited ---- */

static volatile int inherited_ok;

static void *mask_child(void *arg)
{
    (void)arg;
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    inherited_ok = sigismember(&cur, SIGUSR2) && !sigismember(&cur, SIGUSR1);
    return NULL;
}

static void test_mask_inherit(void)
{
    block(SIGUSR2);
    pthread_t t;
    pthread_create(&t, NULL, mask_child, NULL);
    pthread_join(t, NULL);
    unblock(SIGUSR2);
    check("a new thread inherits its creator's signal mask", inherited_ok);
}

/* ---- futex wait interrupted ---- */

static uint32_t fword;
static volatile int fw_state;
static volatile long fw_ret;
static volatile int fw_errno;
static pthread_t fw_thread;
static volatile int hits;

static void count_hit(int sig)
{
    (void)sig;
    hits++;
}

static void *futex_waiter(void *arg)
{
    (void)arg;
    fw_state = 1;
    long r = syscall(SYS_futex, &fword, FUTEX_WAIT, 0, NULL, NULL, 0);
    fw_errno = errno;
    fw_ret = r;
    fw_state = 2;
    return NULL;
}

static void *futex_waiter_timed(void *arg)
{
    (void)arg;
    struct timespec ts = { 30, 0 };
    fw_state = 1;
    long r = syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    fw_errno = errno;
    fw_ret = r;
    fw_state = 2;
    return NULL;
}

static void test_futex_eintr(void)
{
    /* Without SA_RESTART: -1 EINTR. */
    handle(SIGUSR2, count_hit, 0);
    fword = 0;
    fw_state = 0;
    hits = 0;
    pthread_create(&fw_thread, NULL, futex_waiter, NULL);
    while (fw_state != 1)
        usleep(1000);
    usleep(50000);
    pthread_kill(fw_thread, SIGUSR2);
    for (int k = 0; k < 2000 && fw_state != 2; k++)
        usleep(1000);
    if (fw_state != 2) {
        syscall(SYS_futex, &fword, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
    pthread_join(fw_thread, NULL);
    check("FUTEX_WAIT interrupted by a handler without SA_RESTART: -1 EINTR",
          fw_ret == -1 && fw_errno == EINTR && hits == 1);

    /* Same with a timeout. */
    fw_state = 0;
    hits = 0;
    pthread_create(&fw_thread, NULL, futex_waiter_timed, NULL);
    while (fw_state != 1)
        usleep(1000);
    usleep(50000);
    pthread_kill(fw_thread, SIGUSR2);
    for (int k = 0; k < 2000 && fw_state != 2; k++)
        usleep(1000);
    if (fw_state != 2)
        syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(fw_thread, NULL);
    check("timed FUTEX_WAIT interrupted by a handler: -1 EINTR", fw_ret == -1 && fw_errno == EINTR && hits == 1);

    /* With SA_RESTART, an untimed FUTEX_WAIT goes on waiting after the
     * handler; only the wake ends it, with 0. */
    handle(SIGUSR2, count_hit, SA_RESTART);
    fw_state = 0;
    hits = 0;
    pthread_create(&fw_thread, NULL, futex_waiter, NULL);
    while (fw_state != 1)
        usleep(1000);
    usleep(50000);
    pthread_kill(fw_thread, SIGUSR2);
    for (int k = 0; k < 1000 && hits == 0; k++)
        usleep(1000);
    usleep(50000);
    int still_waiting = fw_state == 1;
    long woken = 0;
    for (int k = 0; k < 1000 && woken == 0; k++) {
        woken = syscall(SYS_futex, &fword, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (!woken)
            usleep(1000);
    }
    pthread_join(fw_thread, NULL);
    check("with SA_RESTART the handler ran and FUTEX_WAIT kept waiting", hits == 1 && still_waiting);
    check("the wake then returns 0 from the restarted FUTEX_WAIT", woken == 1 && fw_ret == 0);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- sigaltstack is per thread ---- */

static char main_alt[65536], thread_alt[65536];
static volatile int ran_on_alt;

static void alt_handler(int s)
{
    (void)s;
    stack_t cur;
    sigaltstack(NULL, &cur);
    ran_on_alt = (cur.ss_flags & SS_ONSTACK) != 0;
}

static volatile int thread_alt_disabled, thread_ran_on_alt;

static void *alt_thread(void *arg)
{
    (void)arg;
    stack_t cur;
    sigaltstack(NULL, &cur);
    thread_alt_disabled = (cur.ss_flags & SS_DISABLE) != 0;
    stack_t ss = { .ss_sp = thread_alt, .ss_size = sizeof thread_alt };
    sigaltstack(&ss, NULL);
    ran_on_alt = 0;
    raise(SIGUSR1);
    thread_ran_on_alt = ran_on_alt;
    return NULL;
}

static void test_altstack(void)
{
    stack_t ss = { .ss_sp = main_alt, .ss_size = sizeof main_alt };
    sigaltstack(&ss, NULL);
    handle(SIGUSR1, alt_handler, SA_ONSTACK);
    pthread_t t;
    pthread_create(&t, NULL, alt_thread, NULL);
    pthread_join(t, NULL);
    check("a new thread starts without an alternate signal stack", thread_alt_disabled);
    check("a thread's handler runs on that thread's own alternate stack", thread_ran_on_alt);
    stack_t cur;
    sigaltstack(NULL, &cur);
    check("main's alternate stack is untouched", !(cur.ss_flags & SS_DISABLE) && cur.ss_sp == main_alt);
    ran_on_alt = 0;
    raise(SIGUSR1);
    check("main's handler runs on main's alternate stack", ran_on_alt);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_pthread_kill();
    test_process_directed();
    test_sigwait();
    test_thread_pending();
    test_mask_inherit();
    test_futex_eintr();
    test_altstack();
    return finish();
}
