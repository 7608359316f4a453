/*
 * thr_cancel: pthread_cancel.
 *
 *   a thread blocked in read() on an empty pipe is cancelled (deferred
 *   cancellation: both libcs send SIGCANCEL and the blocked syscall must
 *   be interrupted); a thread looping over pthread_testcancel(); one
 *   looping over usleep(); one in pthread_cond_wait (its cleanup handler
 *   runs with the mutex held); asynchronous cancellation of a thread
 *   spinning in pure guest code; cancellation disabled, then enabled.
 *   Every join returns PTHREAD_CANCELED; cleanup handlers run.
 *
 * Exit 0 when everything holds, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thr_check.h"

static volatile int started;
static volatile int cleanups;

static void cleanup(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&cleanups, 1, __ATOMIC_SEQ_CST);
}

static void wait_started(void)
{
    while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
        usleep(1000);
    usleep(50000); /* let it reach the blocking call */
}

static int pipefd[2];

static void *reader(void *arg)
{
    (void)arg;
    char c;
    pthread_cleanup_push(cleanup, NULL);
    started = 1;
    ssize_t n = read(pipefd[0], &c, 1);
    printf("read returned %zd (should have been cancelled)\n", n);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *testcancel_loop(void *arg)
{
    (void)arg;
    volatile unsigned long spins = 0;
    pthread_cleanup_push(cleanup, NULL);
    started = 1;
    for (;;) {
        spins++;
        pthread_testcancel();
    }
    pthread_cleanup_pop(0);
    return NULL;
}

static void *usleep_loop(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup, NULL);
    started = 1;
    for (;;)
        usleep(1000);
    pthread_cleanup_pop(0);
    return NULL;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int cond_cleanup_had_lock;

static void unlock_cleanup(void *arg)
{
    (void)arg;
    /* The mutex is held again when a cancelled cond_wait runs cleanups. */
    cond_cleanup_had_lock = pthread_mutex_trylock(&m) == EBUSY;
    pthread_mutex_unlock(&m);
    __atomic_add_fetch(&cleanups, 1, __ATOMIC_SEQ_CST);
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_cleanup_push(unlock_cleanup, NULL);
    started = 1;
    for (;;)
        pthread_cond_wait(&cv, &m);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *async_spin(void *arg)
{
    (void)arg;
    int old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    started = 1;
    volatile unsigned long x = 0;
    for (;;)
        x++;
    return NULL;
}

static volatile int may_enable;
static volatile int survived_disabled;

static void *disabled_then_enabled(void *arg)
{
    (void)arg;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    started = 1;
    while (!may_enable)
        usleep(1000); /* a cancellation point, but cancellation is off */
    survived_disabled = 1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    for (;;)
        pthread_testcancel();
    return NULL;
}

static void run(const char *what, void *(*fn)(void *), int expect_cleanups)
{
    pthread_t t;
    started = 0;
    cleanups = 0;
    if (pthread_create(&t, NULL, fn, NULL) != 0) {
        printf("pthread_create failed\n");
        exit(1);
    }
    wait_started();
    int rc = pthread_cancel(t);
    if (fn == disabled_then_enabled) {
        usleep(100000);
        may_enable = 1;
    }
    void *ret = NULL;
    int jrc = pthread_join(t, &ret);
    char line[128];
    snprintf(line, sizeof line, "%s: cancel %d, join %d, PTHREAD_CANCELED %s, cleanups %d", what, rc, jrc,
             ret == PTHREAD_CANCELED ? "yes" : "no", cleanups);
    check(line, rc == 0 && jrc == 0 && ret == PTHREAD_CANCELED && cleanups == expect_cleanups);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe(pipefd) != 0)
        return 1;
    run("blocked in read on a pipe", reader, 1);
    run("looping on pthread_testcancel", testcancel_loop, 1);
    run("looping on usleep", usleep_loop, 1);
    run("blocked in pthread_cond_wait", cond_waiter, 1);
    check("cond_wait cleanup ran with the mutex held", cond_cleanup_had_lock);
    check("the mutex is free afterwards", pthread_mutex_trylock(&m) == 0 && pthread_mutex_unlock(&m) == 0);
    run("asynchronous, spinning in guest code", async_spin, 0);
    run("cancellation disabled, then enabled", disabled_then_enabled, 0);
    check("a disabled thread ignored the cancel until enabled", survived_disabled);
    /* The pipe still works (no stray reader). */
    check("pipe still usable", write(pipefd[1], "x", 1) == 1);
    char c;
    check("read back", read(pipefd[0], &c, 1) == 1 && c == 'x');
    return finish();
}
