/*
 * thr_pi: priority-inheritance futexes (FUTEX_LOCK_PI and friends), whose
 * words hold the owner's thread id.
 *
 *   pthreads: a PTHREAD_PRIO_INHERIT mutex contended by 4 threads (the
 *   count is exact); trylock EBUSY; pthread_mutex_timedlock ETIMEDOUT; an
 *   error-checking PI mutex locked twice: EDEADLK; a robust PI mutex whose
 *   owner thread ends (with nobody waiting, and with a waiter blocked in
 *   the kernel): EOWNERDEAD, pthread_mutex_consistent, usable again; a
 *   condition variable with a PI mutex (signal, broadcast).
 *
 *   raw futex(2): LOCK_PI/TRYLOCK_PI on a free word, an own word
 *   (EDEADLK), a word naming no thread (ESRCH, FUTEX_WAITERS left set), a
 *   word another thread holds (TRYLOCK_PI EAGAIN; LOCK_PI and LOCK_PI2
 *   time out on their clocks: ETIMEDOUT), an OWNER_DIED word without owner
 *   (taken, the bit kept); UNLOCK_PI by a non-owner (EPERM), with the
 *   WAITERS bit and nobody waiting (the word becomes 0), handing over to
 *   a waiter (whose tid the word then holds, with FUTEX_WAITERS); an
 *   owner that exits with a waiter (who gets the lock with
 *   FUTEX_OWNER_DIED); an ABBA deadlock (EDEADLK); bad and unaligned
 *   addresses (EFAULT, EINVAL); LOCK_PI with FUTEX_CLOCK_REALTIME
 *   (ENOSYS); WAIT_REQUEUE_PI and CMP_REQUEUE_PI: their argument errors,
 *   a waiter given the free PI word directly, two moved onto a held one
 *   and handed it in turn, and a moved waiter timing out. A signal
 *   handler (no SA_RESTART) runs while LOCK_PI and WAIT_REQUEUE_PI wait,
 *   and both go on waiting (never EINTR). At the end a thread is left
 *   blocked in LOCK_PI: returning from main must end it.
 *
 * Output: relations and errno names only, never tids.
 * Exit 0 when everything holds, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "thr_check.h"

/* <linux/futex.h> is not on musl's include path. */
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

/* A tid no thread has: above any pid_max. */
#define NO_SUCH_TID 0x3ffffff0u

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *ts_or_val2, volatile uint32_t *uaddr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts_or_val2, uaddr2, val3);
}

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
    case EDEADLK: return "EDEADLK";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EOWNERDEAD: return "EOWNERDEAD";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return strerror(e);
    }
}

/* A raw call's result as an errno name ("0" for success). */
static const char *res(long r)
{
    return r == 0 ? "0" : r == -1 ? errname(errno) : "a positive value";
}

static void expect(const char *what, long r, int want)
{
    int e = r == -1 ? errno : 0;
    char line[200];
    snprintf(line, sizeof line, "%s: %s", what, res(r));
    check(line, r == (want ? -1 : 0) && e == want);
}

static void init_pi(pthread_mutex_t *m, int type, int robust)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    int r = pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    if (r != 0) {
        printf("pthread_mutexattr_setprotocol(PTHREAD_PRIO_INHERIT): %s\n", errname(r));
        exit(1);
    }
    pthread_mutexattr_settype(&a, type);
    if (robust)
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

/* Waits until *flag is set. */
static void await_flag(volatile int *flag)
{
    for (int i = 0; i < 10000 && !*flag; i++)
        usleep(1000);
    if (!*flag) {
        printf("a thread did not get going: giving up\n");
        exit(1);
    }
}

/* ---- pthread mutexes ---- */

#define NTHREADS 4
#define NINCR 20000
static pthread_mutex_t pm;
static long counter;

static void *incrementer(void *arg)
{
    (void)arg;
    for (int i = 0; i < NINCR; i++) {
        pthread_mutex_lock(&pm);
        long c = counter;
        if (i % 64 == 0)
            sched_yield(); /* hold it a while: others queue in the kernel */
        counter = c + 1;
        pthread_mutex_unlock(&pm);
    }
    return NULL;
}

static volatile int holder_has_it, holder_may_go;

static void *holder(void *arg)
{
    pthread_mutex_lock(arg);
    holder_has_it = 1;
    while (!holder_may_go)
        usleep(1000);
    pthread_mutex_unlock(arg);
    return NULL;
}

static void test_mutexes(void)
{
    init_pi(&pm, PTHREAD_MUTEX_NORMAL, 0);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, incrementer, NULL);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    printf("%d threads x %d increments under a PI mutex: %ld\n", NTHREADS, NINCR, counter);
    check("the count is exact", counter == (long)NTHREADS * NINCR);

    /* Held by another thread: trylock EBUSY, timedlock ETIMEDOUT. */
    pthread_t h;
    holder_has_it = holder_may_go = 0;
    pthread_create(&h, NULL, holder, &pm);
    await_flag(&holder_has_it);
    int r = pthread_mutex_trylock(&pm);
    char line[160];
    snprintf(line, sizeof line, "trylock of a PI mutex another thread holds: %s", errname(r));
    check(line, r == EBUSY);
    struct timespec at = in(CLOCK_REALTIME, 50);
    double t0 = now(CLOCK_MONOTONIC);
    r = pthread_mutex_timedlock(&pm, &at);
    double dt = now(CLOCK_MONOTONIC) - t0;
    snprintf(line, sizeof line, "timedlock (+50 ms) of a PI mutex another thread holds: %s", errname(r));
    check(line, r == ETIMEDOUT && dt >= 0.049 && dt < 2);
    holder_may_go = 1;
    pthread_join(h, NULL);
    r = pthread_mutex_trylock(&pm);
    snprintf(line, sizeof line, "trylock once it is free: %s", errname(r));
    check(line, r == 0);
    pthread_mutex_unlock(&pm);
    pthread_mutex_destroy(&pm);

    pthread_mutex_t ec;
    init_pi(&ec, PTHREAD_MUTEX_ERRORCHECK, 0);
    int r1 = pthread_mutex_lock(&ec);
    int r2 = pthread_mutex_lock(&ec);
    int r3 = pthread_mutex_unlock(&ec);
    int r4 = pthread_mutex_unlock(&ec);
    snprintf(line, sizeof line, "error-checking PI mutex: lock %s, lock again %s, unlock %s, unlock again %s",
             errname(r1), errname(r2), errname(r3), errname(r4));
    check(line, r1 == 0 && r2 == EDEADLK && r3 == 0 && r4 == EPERM);
    pthread_mutex_destroy(&ec);
}

/* ---- robust PI mutexes ---- */

static pthread_mutex_t rm;
static volatile int owner_locked, owner_may_end;

static void *robust_owner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&rm);
    owner_locked = 1;
    while (!owner_may_end)
        usleep(1000);
    return NULL; /* ends holding it */
}

static volatile int waiter_started, waiter_result;

static void *robust_waiter(void *arg)
{
    (void)arg;
    waiter_started = 1;
    int r = pthread_mutex_lock(&rm);
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(&rm);
    if (r == 0 || r == EOWNERDEAD)
        pthread_mutex_unlock(&rm);
    waiter_result = r;
    return NULL;
}

static void test_robust(int with_waiter)
{
    init_pi(&rm, PTHREAD_MUTEX_NORMAL, 1);
    owner_locked = owner_may_end = 0;
    pthread_t o, w;
    pthread_create(&o, NULL, robust_owner, NULL);
    await_flag(&owner_locked);
    int blocked = 1;
    if (with_waiter) {
        waiter_started = 0;
        waiter_result = -1;
        pthread_create(&w, NULL, robust_waiter, NULL);
        await_flag(&waiter_started);
        usleep(100000); /* it sleeps in the kernel now */
        blocked = waiter_result == -1;
    }
    owner_may_end = 1;
    pthread_join(o, NULL);
    char line[200];
    if (with_waiter) {
        pthread_join(w, NULL);
        snprintf(line, sizeof line, "robust PI mutex, a waiter blocked while the owner thread ends: it gets %s",
                 errname(waiter_result));
        check(line, blocked && waiter_result == EOWNERDEAD);
    }
    int r1 = with_waiter ? 0 : pthread_mutex_lock(&rm);
    int c = r1 == EOWNERDEAD ? pthread_mutex_consistent(&rm) : 0;
    int u = with_waiter ? 0 : pthread_mutex_unlock(&rm);
    int r2 = pthread_mutex_lock(&rm);
    int u2 = pthread_mutex_unlock(&rm);
    if (with_waiter)
        snprintf(line, sizeof line, "  then lock %s, unlock %s", errname(r2), errname(u2));
    else
        snprintf(line, sizeof line,
                 "robust PI mutex whose owner thread ended: lock %s, consistent %s, unlock %s, lock again %s",
                 errname(r1), errname(c), errname(u), errname(r2));
    check(line, (with_waiter || (r1 == EOWNERDEAD && c == 0 && u == 0)) && r2 == 0 && u2 == 0);
    pthread_mutex_destroy(&rm);
}

/* ---- a condition variable with a PI mutex ---- */

static pthread_mutex_t cm;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, woke, waiting;

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cm);
    waiting++;
    while (!go)
        pthread_cond_wait(&cv, &cm);
    go--;
    woke++;
    pthread_mutex_unlock(&cm);
    return NULL;
}

static void test_cond(void)
{
    init_pi(&cm, PTHREAD_MUTEX_NORMAL, 0);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, cond_waiter, NULL);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&cm);
        int n = waiting;
        pthread_mutex_unlock(&cm);
        if (n == 3)
            break;
        usleep(1000);
    }
    usleep(50000);
    pthread_mutex_lock(&cm);
    go = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&cm);
    int one = 0;
    for (int i = 0; i < 5000 && !one; i++) {
        usleep(1000);
        pthread_mutex_lock(&cm);
        one = woke == 1;
        pthread_mutex_unlock(&cm);
    }
    usleep(50000);
    pthread_mutex_lock(&cm);
    int after_signal = woke;
    go = 2;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&cm);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("PI condvar: 3 waiters; after signal %d woke, after broadcast %d\n", after_signal, woke);
    check("pthread_cond_signal and _broadcast with a PI mutex", after_signal == 1 && woke == 3);
    pthread_mutex_destroy(&cm);
}

/* ---- raw futex(2) ---- */

static volatile uint32_t word, word2, cond;
static volatile int helper_tid_known, helper_may_go;
static volatile pid_t helper_tid;

/* A live thread whose tid the tests write into words. */
static void *idle_helper(void *arg)
{
    (void)arg;
    helper_tid = my_tid();
    helper_tid_known = 1;
    while (!helper_may_go)
        usleep(1000);
    return NULL;
}

static void test_raw_basics(void)
{
    uint32_t me = (uint32_t)my_tid();
    word = 0;
    expect("LOCK_PI on a free word", futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), 0);
    check("  the word holds the caller's tid", word == me);
    expect("LOCK_PI on the caller's own word", futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0),
           EDEADLK);
    expect("TRYLOCK_PI on the caller's own word", futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EDEADLK);
    expect("UNLOCK_PI by the owner", futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), 0);
    check("  the word is 0", word == 0);
    expect("UNLOCK_PI of a free word", futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
    expect("TRYLOCK_PI on a free word", futex(&word, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), 0);
    word = me | FUTEX_WAITERS;
    expect("UNLOCK_PI with FUTEX_WAITERS set and nobody waiting", futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
    check("  the word is 0", word == 0);

    word = NO_SUCH_TID;
    expect("LOCK_PI on a word naming no thread", futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), ESRCH);
    check("  FUTEX_WAITERS was set on the way", word == (NO_SUCH_TID | FUTEX_WAITERS));
    word = NO_SUCH_TID;
    expect("TRYLOCK_PI on a word naming no thread", futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), ESRCH);
    word = NO_SUCH_TID;
    struct timespec soon = in(CLOCK_REALTIME, 10);
    expect("LOCK_PI with a timeout on a word naming no thread", futex(&word, FUTEX_LOCK_PI, 0, &soon, NULL, 0), ESRCH);

    word = FUTEX_OWNER_DIED;
    expect("LOCK_PI on a word with FUTEX_OWNER_DIED and no owner", futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), 0);
    check("  the word holds the caller's tid and keeps FUTEX_OWNER_DIED", word == (me | FUTEX_OWNER_DIED));
    word = 0;

    /* Held by a live thread that never calls futex. */
    helper_tid_known = helper_may_go = 0;
    pthread_t h;
    pthread_create(&h, NULL, idle_helper, NULL);
    await_flag(&helper_tid_known);
    word = (uint32_t)helper_tid;
    expect("UNLOCK_PI by a thread that does not own the word", futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
    expect("TRYLOCK_PI on a word another thread owns", futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EAGAIN);
    check("  FUTEX_WAITERS was set on the way", word == ((uint32_t)helper_tid | FUTEX_WAITERS));

    struct {
        const char *what;
        int op;
        clockid_t clock;
    } timed[] = {
        { "LOCK_PI, absolute CLOCK_REALTIME +50 ms", FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, CLOCK_REALTIME },
        { "LOCK_PI2, absolute CLOCK_MONOTONIC +50 ms", FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG, CLOCK_MONOTONIC },
        { "LOCK_PI2|FUTEX_CLOCK_REALTIME, absolute +50 ms", FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, CLOCK_REALTIME },
    };
    for (unsigned i = 0; i < sizeof timed / sizeof timed[0]; i++) {
        struct timespec at = in(timed[i].clock, 50);
        double t0 = now(CLOCK_MONOTONIC);
        long r = futex(&word, timed[i].op, 0, &at, NULL, 0);
        double dt = now(CLOCK_MONOTONIC) - t0;
        char line[160];
        snprintf(line, sizeof line, "%s on a word another thread owns", timed[i].what);
        expect(line, r, ETIMEDOUT);
        check("  after at least 50 ms, well under 2 s", dt >= 0.049 && dt < 2);
    }
    /* A monotonic-clock value read as real time is long past. */
    struct timespec mono = in(CLOCK_MONOTONIC, 200);
    double t0 = now(CLOCK_MONOTONIC);
    long r = futex(&word, FUTEX_LOCK_PI, 0, &mono, NULL, 0);
    double dt = now(CLOCK_MONOTONIC) - t0;
    expect("LOCK_PI with a monotonic-clock deadline (real time: long past)", r, ETIMEDOUT);
    check("  at once", dt < 0.15);
    struct timespec bad_ns = { 0, 1000000000L };
    expect("LOCK_PI with tv_nsec = 1e9", futex(&word, FUTEX_LOCK_PI, 0, &bad_ns, NULL, 0), EINVAL);
    expect("LOCK_PI with FUTEX_CLOCK_REALTIME", futex(&word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0),
           ENOSYS);
    helper_may_go = 1;
    pthread_join(h, NULL);
    word = 0;

    void *bad = (void *)(uintptr_t)0x10;
    char buf[8] __attribute__((aligned(8))) = { 0 };
    expect("LOCK_PI on a bad address", futex(bad, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT);
    expect("TRYLOCK_PI on a bad address", futex(bad, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EFAULT);
    expect("UNLOCK_PI on a bad address", futex(bad, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EFAULT);
    expect("LOCK_PI with a bad timeout pointer", futex(&word, FUTEX_LOCK_PI, 0, bad, NULL, 0), EFAULT);
    expect("LOCK_PI on an unaligned address", futex((uint32_t *)(buf + 1), FUTEX_LOCK_PI, 0, NULL, NULL, 0), EINVAL);
    /* Linux reads the word and checks its owner before the address. */
    expect("UNLOCK_PI on an unaligned address (not owned, so)",
           futex((uint32_t *)(buf + 2), FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
}

/* A thread that takes `word` with LOCK_PI, then waits to be told to
 * unlock it or to exit holding it. */
static volatile int taker_has_it, taker_may_go, taker_exits;

static void *taker(void *arg)
{
    (void)arg;
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    taker_has_it = 1;
    while (!taker_may_go)
        usleep(1000);
    if (taker_exits)
        syscall(SYS_exit, 0); /* holding it: no libc clean-up */
    futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    return NULL;
}

static volatile int locker_started;
static volatile long locker_ret = 99;
static volatile uint32_t locker_saw;

static void *locker(void *arg)
{
    (void)arg;
    uint32_t me = (uint32_t)my_tid();
    locker_started = 1;
    long r = futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    /* What the word says about us once the lock is ours. */
    locker_saw = (word & FUTEX_TID_MASK) == me ? word & ~FUTEX_TID_MASK : 1;
    if (r == 0)
        futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    locker_ret = r;
    return NULL;
}

static void test_raw_handover(int owner_exits)
{
    word = 0;
    taker_has_it = taker_may_go = locker_started = 0;
    taker_exits = owner_exits;
    locker_ret = 99;
    pthread_t t, l;
    pthread_create(&t, NULL, taker, NULL);
    await_flag(&taker_has_it);
    pthread_create(&l, NULL, locker, NULL);
    await_flag(&locker_started);
    usleep(100000);
    int blocked = locker_ret == 99 && (word & FUTEX_WAITERS);
    taker_may_go = 1;
    if (!owner_exits)
        pthread_join(t, NULL);
    pthread_join(l, NULL);
    char line[200];
    snprintf(line, sizeof line, "LOCK_PI blocked behind an owner that %s: %s, %s", owner_exits ? "exits" : "unlocks",
             res(locker_ret),
             locker_saw == FUTEX_WAITERS                        ? "the word holds its tid with FUTEX_WAITERS"
             : locker_saw == (FUTEX_WAITERS | FUTEX_OWNER_DIED) ? "the word holds its tid with FUTEX_WAITERS|OWNER_DIED"
                                                                : "the word does not name it");
    check(line, blocked && locker_ret == 0 &&
                    locker_saw == (owner_exits ? FUTEX_WAITERS | FUTEX_OWNER_DIED : FUTEX_WAITERS));
    check("  the word is 0 after its unlock", word == 0);
}

/* A takes word, B takes word2; A blocks on word2; B's LOCK_PI on word would
 * close the circle. */
static volatile int a_has_it, a_ret = 99;

static void *abba_a(void *arg)
{
    (void)arg;
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    a_has_it = 1;
    long r = futex(&word2, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    futex(&word2, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    a_ret = (int)r;
    return NULL;
}

static void test_abba(void)
{
    word = word2 = 0;
    futex(&word2, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    pthread_t a;
    pthread_create(&a, NULL, abba_a, NULL);
    await_flag(&a_has_it);
    for (int i = 0; i < 5000 && !(word2 & FUTEX_WAITERS); i++)
        usleep(1000);
    usleep(100000); /* A sleeps in the kernel behind us now */
    expect("LOCK_PI that would close a circle of waiters (ABBA)",
           futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EDEADLK);
    futex(&word2, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    pthread_join(a, NULL);
    check("  the other one gets its lock once we let go", a_ret == 0 && word == 0 && word2 == 0);
}

/* ---- requeue-PI (what a PI condition variable may use) ---- */

static volatile int rq_started;
static volatile int rq_done;
static volatile int rq_owned; /* how many found their own tid in word */
static volatile int rq_ret[4];

struct rq_arg {
    int i;
    const struct timespec *deadline;
};

static void *rq_waiter(void *arg)
{
    struct rq_arg *a = arg;
    uint32_t me = (uint32_t)my_tid();
    __atomic_add_fetch(&rq_started, 1, __ATOMIC_SEQ_CST);
    long r = futex(&cond, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 0, a->deadline, &word, 0);
    rq_ret[a->i] = r == 0 ? 0 : errno;
    if (r == 0) {
        if ((word & FUTEX_TID_MASK) == me)
            __atomic_add_fetch(&rq_owned, 1, __ATOMIC_SEQ_CST);
        futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    }
    __atomic_add_fetch(&rq_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void start_rq(pthread_t *t, struct rq_arg *a, int n)
{
    rq_started = rq_done = rq_owned = 0;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, rq_waiter, &a[i]);
    for (int i = 0; i < 10000 && rq_started < n; i++)
        usleep(1000);
    usleep(100000); /* they sleep on cond now */
}

static void test_requeue(void)
{
    cond = 0;
    word = 0;
    expect("WAIT_REQUEUE_PI with uaddr == uaddr2",
           futex(&cond, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 0, NULL, &cond, 0), EINVAL);
    expect("CMP_REQUEUE_PI with uaddr == uaddr2",
           futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)1, &cond, 0), EINVAL);
    expect("CMP_REQUEUE_PI waking 2", futex(&cond, FUTEX_CMP_REQUEUE_PI, 2, (void *)1, &word, 0), EINVAL);
    expect("CMP_REQUEUE_PI moving -1", futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)-1L, &word, 0), EINVAL);
    expect("CMP_REQUEUE_PI with a different value", futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &word, 7),
           EAGAIN);
    long n = futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)1, &word, 0);
    check("CMP_REQUEUE_PI with nobody waiting: 0", n == 0);
    expect("CMP_REQUEUE_PI onto a bad address",
           futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)1, (void *)(uintptr_t)0x10, 0), EFAULT);
    expect("WAIT_REQUEUE_PI with a different value",
           futex(&cond, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 5, NULL, &word, 0), EAGAIN);
    struct timespec at = in(CLOCK_MONOTONIC, 50);
    double t0 = now(CLOCK_MONOTONIC);
    long r = futex(&cond, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 0, &at, &word, 0);
    double dt = now(CLOCK_MONOTONIC) - t0;
    expect("WAIT_REQUEUE_PI, absolute CLOCK_MONOTONIC +50 ms, nobody requeues", r, ETIMEDOUT);
    check("  after at least 50 ms, well under 2 s", dt >= 0.049 && dt < 2);
    at = in(CLOCK_REALTIME, 50);
    r = futex(&cond, FUTEX_WAIT_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 0, &at, &word, 0);
    expect("WAIT_REQUEUE_PI|FUTEX_CLOCK_REALTIME, absolute +50 ms", r, ETIMEDOUT);

    /* One waiter, the PI word free: it is woken owning it. */
    pthread_t t[2];
    struct rq_arg args[2] = { { 0, NULL }, { 1, NULL } };
    start_rq(t, args, 1);
    n = futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)0, &word, 0);
    pthread_join(t[0], NULL);
    printf("CMP_REQUEUE_PI(wake 1, move 0), PI word free: %ld; the waiter returned %s and owned the word: %s\n", n,
           errname(rq_ret[0]), rq_owned == 1 ? "yes" : "no");
    check("a requeued waiter takes the free PI word", n == 1 && rq_ret[0] == 0 && rq_owned == 1 && word == 0);

    /* Two waiters, the PI word held: both moved onto it, handed it in turn. */
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    start_rq(t, args, 2);
    n = futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)INT_MAX, &word, 0);
    usleep(50000);
    int none_yet = rq_done == 0 && (word & FUTEX_WAITERS);
    futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    printf("CMP_REQUEUE_PI(wake 1, move all), PI word held: %ld; after our unlock %d returned 0, %d owned the word\n",
           n, (rq_ret[0] == 0) + (rq_ret[1] == 0), rq_owned);
    check("two waiters moved onto a held PI word get it in turn",
          n == 2 && none_yet && rq_ret[0] == 0 && rq_ret[1] == 0 && rq_owned == 2 && word == 0);

    /* A moved waiter whose deadline passes while the PI word stays held. */
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    struct timespec deadline = in(CLOCK_MONOTONIC, 300);
    args[0].deadline = &deadline;
    start_rq(t, args, 1);
    n = futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)1, &word, 0);
    pthread_join(t[0], NULL);
    futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    printf("CMP_REQUEUE_PI onto a PI word held past the waiter's deadline: %ld; the waiter returned %s\n", n,
           errname(rq_ret[0]));
    check("a moved waiter times out on the PI word", n == 1 && rq_ret[0] == ETIMEDOUT && word == 0);
}

/* ---- signals while waiting: the wait goes on ---- */

static volatile int handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static volatile int sig_started;
static volatile long sig_ret = 99;
static volatile int sig_errno;

static void *sig_locker(void *arg)
{
    int requeue = arg != NULL;
    sig_started = 1;
    long r = requeue ? futex(&cond, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 0, NULL, &word, 0)
                     : futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    sig_errno = errno;
    if (r == 0)
        futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    sig_ret = r;
    return NULL;
}

static void test_signal_while_waiting(int requeue)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART */
    sigaction(SIGUSR1, &sa, NULL);
    word = cond = 0;
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    handled = sig_started = 0;
    sig_ret = 99;
    pthread_t t;
    pthread_create(&t, NULL, sig_locker, requeue ? (void *)1 : NULL);
    await_flag(&sig_started);
    usleep(100000);
    pthread_kill(t, SIGUSR1);
    for (int i = 0; i < 5000 && !handled; i++)
        usleep(1000);
    usleep(100000);
    int still = sig_ret == 99;
    long n = requeue ? futex(&cond, FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG, 1, (void *)1, &word, 0) : 0;
    futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    pthread_join(t, NULL);
    char line[200];
    snprintf(line, sizeof line, "%s interrupted by a handler: %s afterwards, then %s once %s", 
             requeue ? "WAIT_REQUEUE_PI" : "LOCK_PI", still ? "still waiting" : "returned",
             sig_ret == 0 ? "0" : errname(sig_errno), requeue ? "requeued and unlocked" : "unlocked");
    check(line, handled == 1 && still && sig_ret == 0 && n == (requeue ? 1 : 0) && word == 0);
    signal(SIGUSR1, SIG_DFL);
}

/* Left blocked in LOCK_PI when main returns. */
static void *stuck_locker(void *arg)
{
    (void)arg;
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    printf("the stuck locker got the lock (it should not)\n");
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_mutexes();
    test_robust(0);
    test_robust(1);
    test_cond();
    test_raw_basics();
    test_raw_handover(0);
    test_raw_handover(1);
    test_abba();
    test_requeue();
    test_signal_while_waiting(0);
    test_signal_while_waiting(1);

    word = 0;
    futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    pthread_t stuck;
    pthread_create(&stuck, NULL, stuck_locker, NULL);
    for (int i = 0; i < 5000 && !(word & FUTEX_WAITERS); i++)
        usleep(1000);
    usleep(50000);
    return finish(); /* exit_group ends the thread blocked in LOCK_PI */
}
