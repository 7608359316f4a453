/*
 * thr_robust: robust mutexes (set_robust_list, walked by the kernel when
 * a thread dies).
 *
 *   a thread locks a PTHREAD_MUTEX_ROBUST mutex and ends without
 *   unlocking it, three ways: returning from its start routine, through
 *   pthread_exit, and through a raw exit syscall (no libc clean-up: only
 *   the kernel's robust-list walk can mark it; musl registers its robust
 *   list with the kernel only for process-shared mutexes and walks it
 *   itself in pthread_exit, so raw exits use process-shared ones); the
 *   next lock returns
 *   EOWNERDEAD; pthread_mutex_consistent makes it usable again; a mutex
 *   left inconsistent becomes ENOTRECOVERABLE; a waiter blocked in
 *   pthread_mutex_lock when the owner dies wakes with EOWNERDEAD; one
 *   thread dying with three robust mutexes held marks all three; a
 *   process-shared robust mutex behaves the same.
 *
 * Exit 0 when everything holds, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thr_check.h"

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EBUSY: return "EBUSY";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    default: return strerror(e);
    }
}

static void init_robust(pthread_mutex_t *m, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared)
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

enum how { RETURN, PTHREAD_EXIT, RAW_EXIT };
static const char *how_name[] = { "return", "pthread_exit", "raw exit syscall" };

#define NM 3
static pthread_mutex_t ms[NM];
static int nheld;
static enum how how;
static volatile int holding;
static volatile int may_die;
static volatile pid_t owner_tid;
static void *owner(void *arg)
{
    (void)arg;
    owner_tid = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < nheld; i++)
        pthread_mutex_lock(&ms[i]);
    holding = 1;
    while (!may_die)
        usleep(1000);
    if (how == RAW_EXIT)
        syscall(SYS_exit, 0);
    if (how == PTHREAD_EXIT)
        pthread_exit(NULL);
    return NULL;
}

/* Waits for the owner to be gone. A thread that left by a raw exit
 * syscall cannot be joined under musl (its join waits for a word the
 * libc's own pthread_exit clears), so watch its tid instead. */
static void wait_owner_gone(pthread_t t)
{
    if (how != RAW_EXIT) {
        pthread_join(t, NULL);
        return;
    }
    for (int i = 0; i < 5000; i++) {
        if (syscall(SYS_tgkill, getpid(), owner_tid, 0) == -1 && errno == ESRCH)
            return;
        usleep(1000);
    }
    printf("the owner thread did not go away\n");
    exit(1);
}

static pthread_t start_owner(int n, enum how h)
{
    pthread_t t;
    nheld = n;
    how = h;
    holding = 0;
    may_die = 0;
    if (pthread_create(&t, NULL, owner, NULL) != 0)
        exit(1);
    while (!holding)
        usleep(1000);
    return t;
}

static void dies_holding(enum how h, int pshared)
{
    init_robust(&ms[0], pshared);
    pthread_t t = start_owner(1, h);
    may_die = 1;
    wait_owner_gone(t);
    int r1 = pthread_mutex_lock(&ms[0]);
    int c = r1 == EOWNERDEAD ? pthread_mutex_consistent(&ms[0]) : -1;
    int u = pthread_mutex_unlock(&ms[0]);
    int r2 = pthread_mutex_lock(&ms[0]);
    pthread_mutex_unlock(&ms[0]);
    char line[200];
    snprintf(line, sizeof line, "%sowner ends by %s: lock %s, consistent %s, unlock %s, lock again %s",
             pshared ? "process-shared, " : "", how_name[h], errname(r1), errname(c), errname(u), errname(r2));
    check(line, r1 == EOWNERDEAD && c == 0 && u == 0 && r2 == 0);
    pthread_mutex_destroy(&ms[0]);
}

static void not_recoverable(void)
{
    init_robust(&ms[0], 0);
    pthread_t t = start_owner(1, RETURN);
    may_die = 1;
    wait_owner_gone(t);
    int r1 = pthread_mutex_lock(&ms[0]);
    int u = pthread_mutex_unlock(&ms[0]); /* without consistent */
    int r2 = pthread_mutex_lock(&ms[0]);
    int r3 = pthread_mutex_trylock(&ms[0]);
    char line[200];
    snprintf(line, sizeof line, "left inconsistent: lock %s, unlock %s, then lock %s, trylock %s", errname(r1),
             errname(u), errname(r2), errname(r3));
    check(line, r1 == EOWNERDEAD && u == 0 && r2 == ENOTRECOVERABLE && r3 == ENOTRECOVERABLE);
}

static volatile int waiter_result = -1;
static volatile int waiter_started;

static void *waiter(void *arg)
{
    (void)arg;
    waiter_started = 1;
    int r = pthread_mutex_lock(&ms[0]);
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(&ms[0]);
    if (r == 0 || r == EOWNERDEAD)
        pthread_mutex_unlock(&ms[0]);
    waiter_result = r;
    return NULL;
}

static void waiter_wakes(enum how h)
{
    init_robust(&ms[0], h == RAW_EXIT);
    pthread_t t = start_owner(1, h);
    pthread_t w;
    waiter_result = -1;
    waiter_started = 0;
    pthread_create(&w, NULL, waiter, NULL);
    while (!waiter_started)
        usleep(1000);
    usleep(100000); /* the waiter sleeps in the kernel now */
    int blocked = waiter_result == -1;
    may_die = 1;
    wait_owner_gone(t);
    for (int i = 0; i < 5000 && waiter_result == -1; i++)
        usleep(1000);
    if (waiter_result == -1) {
        check("a blocked waiter wakes when the owner dies (it did not: giving up)", 0);
        exit(1);
    }
    pthread_join(w, NULL);
    char line[160];
    snprintf(line, sizeof line, "waiter blocked in lock while the owner ends by %s%s: wakes with %s", how_name[h],
             h == RAW_EXIT ? " (process-shared)" : "", errname(waiter_result));
    check(line, blocked && waiter_result == EOWNERDEAD);
}

static void several_held(void)
{
    for (int i = 0; i < NM; i++)
        init_robust(&ms[i], 1);
    pthread_t t = start_owner(NM, RAW_EXIT);
    may_die = 1;
    wait_owner_gone(t);
    int all = 1;
    for (int i = 0; i < NM; i++) {
        int r = pthread_mutex_trylock(&ms[i]);
        if (r != EOWNERDEAD)
            all = 0;
        if (r == EOWNERDEAD)
            pthread_mutex_consistent(&ms[i]);
        pthread_mutex_unlock(&ms[i]);
    }
    check("three process-shared robust mutexes held at a raw exit: trylock gives EOWNERDEAD for each", all);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    dies_holding(RETURN, 0);
    dies_holding(PTHREAD_EXIT, 0);
    dies_holding(RAW_EXIT, 1);
    dies_holding(RETURN, 1);
    not_recoverable();
    waiter_wakes(RETURN);
    waiter_wakes(RAW_EXIT);
    several_held();
    /* A normal (non-robust) mutex locked twice by its owner stays EBUSY. */
    pthread_mutex_t n = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&n);
    check("a plain mutex: trylock by the owner is EBUSY", pthread_mutex_trylock(&n) == EBUSY);
    pthread_mutex_unlock(&n);
    return finish();
}
