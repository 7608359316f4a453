/*
 * thr_futex: futex(2) through raw syscalls.
 *
 *   EAGAIN on a value mismatch; ETIMEDOUT with a relative timeout
 *   (FUTEX_WAIT), with an absolute one (FUTEX_WAIT_BITSET on
 *   CLOCK_MONOTONIC, and with FUTEX_CLOCK_REALTIME), and with a deadline
 *   already past; EINVAL for an unaligned address, a bad timespec, a zero
 *   bitset; EFAULT for a bad address (waits; and wakes of a shared
 *   futex; a private wake never touches memory: 0); FUTEX_WAKE returns
 *   the number woken; FUTEX_WAKE_BITSET wakes only matching waiters;
 *   FUTEX_REQUEUE and FUTEX_CMP_REQUEUE counts (EAGAIN when val3 does not
 *   match); FUTEX_WAKE_OP (the operation on the second word, and the
 *   comparison deciding whether its waiters wake); an unknown command is
 *   ENOSYS; FUTEX_CLOCK_REALTIME with FUTEX_WAKE is ENOSYS.
 *
 * Exit 0 when everything holds, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "thr_check.h"

/* <linux/futex.h> is not on musl's include path. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

static long futex(void *uaddr, int op, uint32_t val, const void *ts_or_val2, void *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts_or_val2, uaddr2, val3);
}

/* -1 with errno e? */
static int fails_with(long r, int e)
{
    return r == -1 && errno == e;
}

static void test_errors(void)
{
    uint32_t w = 5;
    check("FUTEX_WAIT with a different value: EAGAIN", fails_with(futex(&w, FUTEX_WAIT, 6, NULL, NULL, 0), EAGAIN));
    check("FUTEX_WAIT_PRIVATE with a different value: EAGAIN",
          fails_with(futex(&w, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 4, NULL, NULL, 0), EAGAIN));

    struct timespec rel = { 0, 50 * 1000000L };
    double t0 = now(CLOCK_MONOTONIC);
    long r = futex(&w, FUTEX_WAIT, 5, &rel, NULL, 0);
    double dt = now(CLOCK_MONOTONIC) - t0;
    check("FUTEX_WAIT, relative 50 ms: ETIMEDOUT", fails_with(r, ETIMEDOUT));
    check("  after at least 50 ms, well under 2 s", dt >= 0.049 && dt < 2);

    struct timespec abs = in(CLOCK_MONOTONIC, 50);
    t0 = now(CLOCK_MONOTONIC);
    r = futex(&w, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
    dt = now(CLOCK_MONOTONIC) - t0;
    check("FUTEX_WAIT_BITSET, absolute CLOCK_MONOTONIC +50 ms: ETIMEDOUT", fails_with(r, ETIMEDOUT));
    check("  after at least 50 ms, well under 2 s", dt >= 0.049 && dt < 2);

    abs = in(CLOCK_REALTIME, 50);
    t0 = now(CLOCK_MONOTONIC);
    r = futex(&w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
    dt = now(CLOCK_MONOTONIC) - t0;
    check("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, absolute +50 ms: ETIMEDOUT", fails_with(r, ETIMEDOUT));
    check("  after at least 50 ms, well under 2 s", dt >= 0.049 && dt < 2);

    /* A realtime deadline must not be read as a monotonic one (boot-based
     * monotonic time is much smaller than the epoch-based real time). */
    abs = in(CLOCK_MONOTONIC, 100);
    t0 = now(CLOCK_MONOTONIC);
    r = futex(&w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
    dt = now(CLOCK_MONOTONIC) - t0;
    check("FUTEX_CLOCK_REALTIME with a monotonic-clock value (long past): ETIMEDOUT at once",
          fails_with(r, ETIMEDOUT) && dt < 0.05);

    struct timespec past = { 1, 0 };
    t0 = now(CLOCK_MONOTONIC);
    r = futex(&w, FUTEX_WAIT_BITSET, 5, &past, NULL, FUTEX_BITSET_MATCH_ANY);
    dt = now(CLOCK_MONOTONIC) - t0;
    check("FUTEX_WAIT_BITSET with a deadline in the past: ETIMEDOUT at once", fails_with(r, ETIMEDOUT) && dt < 0.05);
    struct timespec zero = { 0, 0 };
    check("FUTEX_WAIT with a zero timeout: ETIMEDOUT", fails_with(futex(&w, FUTEX_WAIT, 5, &zero, NULL, 0), ETIMEDOUT));

    struct timespec bad_ns = { 0, 1000000000L };
    check("FUTEX_WAIT, tv_nsec = 1e9: EINVAL", fails_with(futex(&w, FUTEX_WAIT, 5, &bad_ns, NULL, 0), EINVAL));
    struct timespec neg = { -1, 0 };
    check("FUTEX_WAIT, tv_sec = -1: EINVAL", fails_with(futex(&w, FUTEX_WAIT, 5, &neg, NULL, 0), EINVAL));
    check("FUTEX_WAIT_BITSET with bitset 0: EINVAL", fails_with(futex(&w, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0), EINVAL));
    check("FUTEX_WAKE_BITSET with bitset 0: EINVAL", fails_with(futex(&w, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL));

    char buf[16] __attribute__((aligned(8)));
    memset(buf, 0, sizeof buf);
    check("FUTEX_WAIT on an unaligned address: EINVAL", fails_with(futex(buf + 1, FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL));
    check("FUTEX_WAKE on an unaligned address: EINVAL", fails_with(futex(buf + 2, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL));

    void *bad = (void *)(uintptr_t)0x10; /* unmapped (no-MMU: the trampoline page, not readable) */
    check("FUTEX_WAIT on a bad address: EFAULT", fails_with(futex(bad, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT));
    check("FUTEX_WAIT_PRIVATE on a bad address: EFAULT",
          fails_with(futex(bad, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT));
    check("FUTEX_WAIT on a bad timeout pointer: EFAULT", fails_with(futex(&w, FUTEX_WAIT, 5, bad, NULL, 0), EFAULT));
    check("FUTEX_WAKE (shared) on a bad address: EFAULT", fails_with(futex(bad, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT));
    check("FUTEX_WAKE_PRIVATE on a bad address: 0 (a private key needs no memory)",
          futex(bad, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0) == 0);
    check("FUTEX_CMP_REQUEUE with a bad second address: EFAULT",
          fails_with(futex(&w, FUTEX_CMP_REQUEUE, 1, (void *)1, bad, 5), EFAULT));
    check("an unknown command: ENOSYS", fails_with(futex(&w, 99, 0, NULL, NULL, 0), ENOSYS));
    check("FUTEX_WAKE with FUTEX_CLOCK_REALTIME: ENOSYS",
          fails_with(futex(&w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS));
    check("FUTEX_WAKE with nobody waiting: 0", futex(&w, FUTEX_WAKE, 10, NULL, NULL, 0) == 0);
}

/* ---- waiters ---- */

struct waiter {
    pthread_t t;
    uint32_t *word;
    int op;
    uint32_t bitset;
    volatile int started;
    volatile int done;
    volatile long ret;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->started = 1;
    long r;
    do {
        r = futex(w->word, w->op, 0, NULL, NULL, w->bitset);
        /* A wake-up from elsewhere (0) with the word still 0 ends it too. */
    } while (r == -1 && errno == EINTR);
    w->ret = r;
    w->done = 1;
    return NULL;
}

static void start(struct waiter *w, uint32_t *word, int op, uint32_t bitset)
{
    memset(w, 0, sizeof *w);
    w->word = word;
    w->op = op;
    w->bitset = bitset;
    pthread_create(&w->t, NULL, wait_thread, w);
}

/* Waits until every waiter has started, then gives them time to sleep. */
static void settle(struct waiter *ws, int n)
{
    for (int i = 0; i < n; i++)
        while (!ws[i].started)
            usleep(1000);
    usleep(100000);
}

static int count_done(struct waiter *ws, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++)
        d += ws[i].done;
    return d;
}

static void await_done(struct waiter *ws, int n, int want)
{
    for (int i = 0; i < 2000 && count_done(ws, n) < want; i++)
        usleep(1000);
    usleep(20000);
}

static void join_all(struct waiter *ws, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(ws[i].t, NULL);
}

static uint32_t a, b;

static void test_wake(void)
{
    struct waiter ws[4];
    a = 0;
    for (int i = 0; i < 4; i++)
        start(&ws[i], &a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0);
    settle(ws, 4);
    long r1 = futex(&a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 3, NULL, NULL, 0);
    await_done(ws, 4, 3);
    int d1 = count_done(ws, 4);
    long r2 = futex(&a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0);
    await_done(ws, 4, 4);
    long r3 = futex(&a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0);
    join_all(ws, 4);
    int rets = 1;
    for (int i = 0; i < 4; i++)
        if (ws[i].ret != 0)
            rets = 0;
    printf("FUTEX_WAKE: 4 waiters, wake 3 -> %ld (%d done), wake 10 -> %ld, again -> %ld\n", r1, d1, r2, r3);
    check("FUTEX_WAKE returns the number woken", r1 == 3 && d1 == 3 && r2 == 1 && r3 == 0 && rets);

    /* A shared (non-private) wait is woken by a shared wake. */
    start(&ws[0], &a, FUTEX_WAIT, 0);
    settle(ws, 1);
    long r = futex(&a, FUTEX_WAKE, 1, NULL, NULL, 0);
    pthread_join(ws[0].t, NULL);
    check("shared FUTEX_WAIT woken by a shared FUTEX_WAKE", r == 1 && ws[0].ret == 0);
}

/* A relative timeout too large to add to the clock still means "sleep
 * until woken" (Linux saturates it), not an error. */
static struct timespec huge_ts = { 0x7fffffffffffffffL, 999999999 };
static volatile long huge_ret = 99;
static volatile int huge_errno;

static void *huge_waiter(void *arg)
{
    (void)arg;
    long r = futex(&a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &huge_ts, NULL, 0);
    huge_errno = errno;
    huge_ret = r;
    return NULL;
}

static void test_huge_timeout(void)
{
    a = 0;
    pthread_t t;
    pthread_create(&t, NULL, huge_waiter, NULL);
    usleep(100000);
    int still = huge_ret == 99;
    long woken = futex(&a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    pthread_join(t, NULL);
    printf("FUTEX_WAIT {LONG_MAX, 999999999}: %s; woken %ld; returned %ld%s\n", still ? "waiting" : "returned at once",
           woken, huge_ret, huge_ret ? (huge_errno == EINVAL ? " EINVAL" : " (error)") : "");
    check("FUTEX_WAIT with a huge relative timeout waits until woken", still && woken == 1 && huge_ret == 0);
}

static void test_bitset(void)
{
    struct waiter ws[3];
    a = 0;
    start(&ws[0], &a, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1);
    start(&ws[1], &a, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 2);
    start(&ws[2], &a, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 3);
    settle(ws, 3);
    long r1 = futex(&a, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 2);
    await_done(ws, 3, 2);
    int only = !ws[0].done && ws[1].done && ws[2].done;
    long r2 = futex(&a, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 4);
    long r3 = futex(&a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0); /* FUTEX_WAKE matches any */
    join_all(ws, 3);
    printf("FUTEX_WAKE_BITSET: bits 2 -> %ld, bits 4 -> %ld, FUTEX_WAKE -> %ld\n", r1, r2, r3);
    check("FUTEX_WAKE_BITSET wakes only waiters whose bitset matches", r1 == 2 && only && r2 == 0 && r3 == 1);
}

static void test_requeue(void)
{
    struct waiter ws[5];
    a = 0;
    b = 0;
    for (int i = 0; i < 5; i++)
        start(&ws[i], &a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0);
    settle(ws, 5);
    /* Wake 1, move up to 2 to b. */
    long r1 = futex(&a, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 1, (void *)2, &b, 0);
    await_done(ws, 5, 1);
    int d1 = count_done(ws, 5);
    /* CMP_REQUEUE with the wrong expected value: nothing happens. */
    long r2 = futex(&a, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, (void *)1, &b, 7);
    int e2 = errno;
    /* Right value: wake 0, move 1 more. */
    long r3 = futex(&a, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)1, &b, 0);
    usleep(20000);
    int d3 = count_done(ws, 5);
    long r4 = futex(&b, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0); /* the 3 moved */
    await_done(ws, 5, 4);
    long r5 = futex(&a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0); /* the one left */
    join_all(ws, 5);
    printf("FUTEX_REQUEUE(1, 2) -> %ld (%d done); CMP_REQUEUE bad val3 -> %ld %s; CMP_REQUEUE(0, 1) -> %ld (%d "
           "done); wake b -> %ld; wake a -> %ld\n",
           r1, d1, r2, e2 == EAGAIN ? "EAGAIN" : strerror(e2), r3, d3, r4, r5);
    check("FUTEX_REQUEUE and FUTEX_CMP_REQUEUE counts",
          r1 == 3 && d1 == 1 && r2 == -1 && e2 == EAGAIN && r3 == 1 && d3 == 1 && r4 == 3 && r5 == 1);
}

static void test_wake_op(void)
{
    struct waiter wa[2], wb[2];
    a = 0;
    b = 0;
    for (int i = 0; i < 2; i++) {
        start(&wa[i], &a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0);
        start(&wb[i], &b, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0);
    }
    settle(wa, 2);
    settle(wb, 2);
    /* b = b + 5 (old 0); wake 1 on a; old 0 > 3 is false: none on b. */
    long r1 = futex(&a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)2,
                    &b, FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_GT, 3));
    uint32_t b1 = b;
    await_done(wa, 2, 1);
    int da = count_done(wa, 2), db = count_done(wb, 2);
    /* The waiters on b compare 0 with 5 now and would return EAGAIN: put
     * b back to 0 through the op itself: b = 0 (old 5); 5 == 5: wake up to
     * 2 on b, and 1 more on a. */
    long r2 = futex(&a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)2,
                    &b, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 5));
    uint32_t b2 = b;
    await_done(wa, 2, 2);
    await_done(wb, 2, 2);
    join_all(wa, 2);
    join_all(wb, 2);
    printf("FUTEX_WAKE_OP add 5, cmp gt 3 -> %ld (b %u, %d+%d done); set 0, cmp eq 5 -> %ld (b %u)\n", r1, b1, da, db,
           r2, b2);
    check("FUTEX_WAKE_OP", r1 == 1 && b1 == 5 && da == 1 && db == 0 && r2 == 3 && b2 == 0 &&
                               wa[0].ret == 0 && wa[1].ret == 0 && wb[0].ret == 0 && wb[1].ret == 0);
}

/* Waits and wakes from many threads at once on a handful of words: every
 * waiter is eventually woken (no lost wake-up with parallel host threads). */
static uint32_t gate[4];
static volatile int gate_passed;

static void *gate_thread(void *arg)
{
    uint32_t *g = arg;
    for (int i = 0; i < 2000; i++) {
        while (__atomic_load_n(g, __ATOMIC_ACQUIRE) == 0)
            futex(g, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
        __atomic_store_n(g, 0, __ATOMIC_RELEASE);
        __atomic_add_fetch(&gate_passed, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void test_gate(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, gate_thread, &gate[i]);
    for (int i = 0; i < 2000; i++)
        for (int k = 0; k < 4; k++) {
            int target = i * 4 + k + 1;
            __atomic_store_n(&gate[k], 1, __ATOMIC_RELEASE);
            futex(&gate[k], FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
            /* wait until it passed before opening it again */
            while (__atomic_load_n(&gate[k], __ATOMIC_ACQUIRE) != 0)
                sched_yield();
            (void)target;
        }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("gates passed: %d\n", gate_passed);
    check("8000 gate hand-offs, none lost", gate_passed == 8000);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_errors();
    test_wake();
    test_huge_timeout();
    test_bitset();
    test_requeue();
    test_wake_op();
    test_gate();
    return finish();
}
