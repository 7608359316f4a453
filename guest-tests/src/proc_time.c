/*
 * proc_time: sleeping, alarms, interval timers, CPU accounting.
 *
 * - nanosleep(50 ms) and clock_nanosleep (relative and TIMER_ABSTIME)
 *   sleep at least that long; EINVAL for bad timespecs;
 * - a handled SIGALRM interrupts nanosleep(1 s): EINTR, rem > 0 and about
 *   what was left; clock_nanosleep returns EINTR as its value;
 * - nanosleep, clock_nanosleep and poll stopped by SIGSTOP and continued
 *   by SIGCONT sleep only the time that was left;
 * - alarm() returns the seconds left of the previous alarm; alarm(0)
 *   cancels;
 * - setitimer(ITIMER_REAL) with an interval: 5 expiries, getitimer shows
 *   the interval and a value no larger than it, the old value comes back
 *   from setitimer; disarming; SIGALRM's default action kills (child);
 *   the timer survives execve; a vfork child does not inherit it;
 * - times() and getrusage(): sane, non-negative; CPU burnt by this
 *   process shows in RUSAGE_SELF and tms_utime+tms_stime; a child that
 *   burns ~250 ms shows in RUSAGE_CHILDREN and tms_cutime only after it
 *   is waited for, and a grandchild's time through its parent; a new
 *   process's CPU clocks and usage start near zero;
 * - sysinfo: uptime, totalram, procs sane.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_check.h"
#include "sig_helpers.h"

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile uint64_t sink;

/* Burns CPU in pure computation for `ms` of wall time. */
/* Burns `ms` of this thread's CPU time (not wall time: on a busy machine
 * the two differ, and the checks below are about CPU time). */
static long long thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void burn(int ms)
{
    long long end = thread_cpu_ns() + ms * 1000000LL;
    uint64_t x = 1;
    while (thread_cpu_ns() < end)
        for (int i = 0; i < 200000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
}

static long tv_ms(struct timeval tv)
{
    return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static pid_t spawn_self(const char *a1, const char *a2)
{
    return vfork_self(NULL, a1, a2, NULL, NULL);
}

static volatile sig_atomic_t alrm;
static void on_alrm(int sig)
{
    (void)sig;
    alrm++;
}

static void handle_alrm(void)
{
    handle(SIGALRM, on_alrm, 0);
}

static void test_sleep(void)
{
    long long t0 = now_ns();
    struct timespec ts = { 0, 50 * 1000000L };
    int r = nanosleep(&ts, NULL);
    long long dt = now_ns() - t0;
    check("nanosleep(50 ms) returns 0", r == 0);
    check("nanosleep(50 ms) took >= 50 ms", dt >= 50000000LL);
    check("nanosleep(50 ms) took < 1 s", dt < 1000000000LL);

    t0 = now_ns();
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    dt = now_ns() - t0;
    check("clock_nanosleep(MONOTONIC, 50 ms) took >= 50 ms", r == 0 && dt >= 50000000LL);

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 40 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000L;
    }
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    struct timespec after;
    clock_gettime(CLOCK_MONOTONIC, &after);
    check("clock_nanosleep(TIMER_ABSTIME) wakes at or after the deadline",
          r == 0 && (after.tv_sec > abs.tv_sec || (after.tv_sec == abs.tv_sec && after.tv_nsec >= abs.tv_nsec)));
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec -= 1;
    check("clock_nanosleep(TIMER_ABSTIME) in the past returns at once",
          clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 20 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000L;
    }
    check("clock_nanosleep(REALTIME, TIMER_ABSTIME)", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL) == 0);

    struct timespec bad = { 0, 1000000000L };
    errno = 0;
    check("nanosleep(tv_nsec = 1e9): EINVAL", nanosleep(&bad, NULL) == -1 && errno == EINVAL);
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    errno = 0;
    check("nanosleep(tv_sec = -1): EINVAL", nanosleep(&bad, NULL) == -1 && errno == EINVAL);
    check("clock_nanosleep(bad) returns EINVAL", clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL);
    struct timespec zero = { 0, 0 };
    check("nanosleep(0) returns 0", nanosleep(&zero, NULL) == 0);

    /* interrupted */
    handle_alrm();
    alrm = 0;
    struct itimerval it = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec one = { 1, 0 }, rem = { 0, 0 };
    t0 = now_ns();
    errno = 0;
    r = nanosleep(&one, &rem);
    dt = now_ns() - t0;
    check("nanosleep(1 s) + SIGALRM after 100 ms: -1 EINTR", r == -1 && errno == EINTR && alrm == 1);
    long long rem_ns = rem.tv_sec * 1000000000LL + rem.tv_nsec;
    check("rem > 0", rem_ns > 0);
    check("rem is about 1 s - elapsed (700..950 ms)", rem_ns > 700000000LL && rem_ns < 950000000LL);
    check("it returned early (< 500 ms)", dt < 500000000LL);

    setitimer(ITIMER_REAL, &it, NULL);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &one, &rem);
    check("clock_nanosleep + SIGALRM: returns EINTR", r == EINTR && alrm == 2);
    signal(SIGALRM, SIG_DFL);
}

/* A sleep stopped by SIGSTOP and continued by SIGCONT goes on for the
 * time that was left (Linux's restart_block), not from the start. */
static void test_stopped_sleep(void)
{
    static const char *how[] = { "nanosleep", "clock_nanosleep", "poll" };
    for (int i = 0; i < 3; i++) {
        pid_t pid = vfork_self(NULL, "timed", how[i], "300", NULL);
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGSTOP);
        nanosleep(&ts, NULL);
        kill(pid, SIGCONT);
        int st;
        waitpid(pid, &st, 0);
        int took = WIFEXITED(st) ? WEXITSTATUS(st) * 10 : -1;
        char what[128];
        snprintf(what, sizeof what, "%s(300 ms) stopped at 100 ms for 100 ms: done within 300..400 ms", how[i]);
        check(what, took >= 290 && took < 400);
        if (took < 290 || took >= 400)
            printf("  it took %d ms\n", took);
    }
}

/* A timer that expires while its process is stopped: the SIGALRM is
 * there (its handler runs) once the process is continued. */
static void test_alarm_while_stopped(void)
{
    pid_t pid = spawn_self("spin-for-alarm", NULL);
    struct timespec ts = { 0, 20 * 1000000L }, stopped = { 0, 100 * 1000000L };
    nanosleep(&ts, NULL);
    kill(pid, SIGSTOP);
    nanosleep(&stopped, NULL);
    kill(pid, SIGCONT);
    int st;
    waitpid(pid, &st, 0);
    check("a timer that expired while the process was stopped: its handler runs after SIGCONT",
          WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

/* A timer that expires while its signal is blocked does not cut a sleep
 * short (the SIGALRM stays pending); sigtimedwait takes a timer's
 * SIGALRM; an interval timer firing under a blocked sleep leaves it alone. */
static void test_alarm_while_blocked(void)
{
    sigset_t s, old, p;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    sigprocmask(SIG_BLOCK, &s, &old);
    struct itimerval it = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec ts = { 0, 200000000L }, wait = { 1, 0 }, none = { 0, 0 };
    long long t0 = now_ns();
    int r = nanosleep(&ts, NULL);
    long long dt = now_ns() - t0;
    check("nanosleep(200 ms), SIGALRM blocked, timer at 50 ms: 0 after >= 200 ms", r == 0 && dt >= 200000000LL);
    sigpending(&p);
    check("then the SIGALRM is pending", sigismember(&p, SIGALRM) == 1);
    check("sigtimedwait takes it", sigtimedwait(&s, NULL, &wait) == SIGALRM);
    setitimer(ITIMER_REAL, &it, NULL);
    t0 = now_ns();
    int got = sigtimedwait(&s, NULL, &wait);
    dt = now_ns() - t0;
    check("sigtimedwait(1 s) for a 50 ms timer: SIGALRM after 40..500 ms",
          got == SIGALRM && dt >= 40000000LL && dt < 500000000LL);
    struct itimerval iv = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &iv, NULL);
    t0 = now_ns();
    r = nanosleep(&ts, NULL);
    dt = now_ns() - t0;
    check("nanosleep(200 ms) under a blocked 20 ms interval timer: 0 after >= 200 ms", r == 0 && dt >= 200000000LL);
    setitimer(ITIMER_REAL, &off, NULL);
    check("one SIGALRM pending for all its expiries", sigtimedwait(&s, NULL, &none) == SIGALRM &&
                                                          sigtimedwait(&s, NULL, &none) == -1 && errno == EAGAIN);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A process's SIGALRM goes to a thread that takes it (here the main
 * thread, computing): another thread asleep in nanosleep meanwhile is
 * not woken, its sleep ends on time with 0. */
static volatile sig_atomic_t alrm_where;
static pthread_t main_thread;
static void on_alrm_where(int s)
{
    (void)s;
    alrm_where = pthread_equal(pthread_self(), main_thread) ? 1 : 2;
}
static volatile int timer_armed;
static void *sleep_300ms(void *arg)
{
    while (!timer_armed)
        ;
    struct timespec ts = { 0, 300000000L };
    *(int *)arg = nanosleep(&ts, NULL) == 0 ? 0 : errno;
    return NULL;
}
static void test_alarm_beside_sleeper(void)
{
    main_thread = pthread_self();
    signal(SIGALRM, on_alrm_where);
    alrm_where = 0;
    int res = -1;
    pthread_t t;
    pthread_create(&t, NULL, sleep_300ms, &res);
    /* armed before the other thread sleeps: its sleep outlasts the timer */
    struct itimerval it = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    timer_armed = 1;
    while (!alrm_where)
        ;
    pthread_join(t, NULL);
    check("SIGALRM while another thread sleeps: the main thread's handler ran", alrm_where == 1);
    check("and the other thread's nanosleep(300 ms) returned 0", res == 0);
    signal(SIGALRM, SIG_DFL);
}

static void test_alarm(void)
{
    handle_alrm();
    check("alarm(5) with none pending: 0", alarm(5) == 0);
    unsigned left = alarm(3);
    check("alarm(3): 5 left", left == 5);
    left = alarm(0);
    check("alarm(0): 3 left", left == 3);
    check("alarm(0) again: 0", alarm(0) == 0);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    check("getitimer after alarm(0): disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    alarm(10);
    getitimer(ITIMER_REAL, &cur);
    check("getitimer after alarm(10): 9..10 s, no interval",
          cur.it_value.tv_sec >= 9 && cur.it_value.tv_sec <= 10 && cur.it_interval.tv_sec == 0 &&
              cur.it_interval.tv_usec == 0);
    /* setitimer returns the old value */
    struct itimerval nv = { { 0, 0 }, { 0, 0 } }, old;
    setitimer(ITIMER_REAL, &nv, &old);
    check("setitimer returns the old alarm (9..10 s)", old.it_value.tv_sec >= 9 && old.it_value.tv_sec <= 10);
    /* a sub-second alarm left: alarm() rounds it up to 1 */
    struct itimerval tiny = { { 0, 0 }, { 0, 300000 } };
    setitimer(ITIMER_REAL, &tiny, NULL);
    check("alarm(0) with 300 ms left: 1 (never 0)", alarm(0) == 1);
    signal(SIGALRM, SIG_DFL);
}

static void test_itimer(void)
{
    handle_alrm();
    alrm = 0;
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    long long t0 = now_ns();
    check("setitimer(20 ms, interval 20 ms)", setitimer(ITIMER_REAL, &it, NULL) == 0);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    check("getitimer: interval 20000 us", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 20000);
    check("getitimer: value <= 20000 us and > 0",
          cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000);
    sigset_t none;
    sigemptyset(&none);
    while (alrm < 5)
        sigsuspend(&none);
    long long dt = now_ns() - t0;
    check("5 expiries took >= 100 ms", dt >= 100000000LL - 1000000LL);
    check("5 expiries took < 1 s", dt < 1000000000LL);
    struct itimerval off = { { 0, 0 }, { 0, 0 } }, old;
    setitimer(ITIMER_REAL, &off, &old);
    check("old value: interval 20000 us", old.it_interval.tv_usec == 20000);
    getitimer(ITIMER_REAL, &cur);
    check("disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 && cur.it_interval.tv_usec == 0);
    int before = alrm;
    struct timespec ts = { 0, 60 * 1000000L };
    nanosleep(&ts, NULL);
    check("no more SIGALRM after disarming", alrm == before);
    struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
    errno = 0;
    check("setitimer(tv_usec = 1e6): EINVAL", setitimer(ITIMER_REAL, &bad, NULL) == -1 && errno == EINVAL);
    errno = 0;
    check("getitimer(which = 5): EINVAL", getitimer(5, &cur) == -1 && errno == EINVAL);
    signal(SIGALRM, SIG_DFL);

    /* the default action kills */
    int st;
    pid_t pid = spawn_self("alarm-dies", NULL);
    waitpid(pid, &st, 0);
    check("SIGALRM with SIG_DFL kills (child)", WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
    /* the timer survives execve */
    pid = spawn_self("arm-and-exec", NULL);
    waitpid(pid, &st, 0);
    check("an itimer armed before execve fires after it", WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
    /* a vfork child does not inherit it */
    static volatile long child_left = -1;
    struct itimerval five = { { 0, 0 }, { 5, 0 } };
    setitimer(ITIMER_REAL, &five, NULL);
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        struct itimerval c;
        getitimer(ITIMER_REAL, &c);
        child_left = c.it_value.tv_sec * 1000000L + c.it_value.tv_usec;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    check("a vfork child's itimer is disarmed", child_left == 0);
    getitimer(ITIMER_REAL, &cur);
    check("the parent's is still armed", cur.it_value.tv_sec >= 4);
    setitimer(ITIMER_REAL, &off, NULL);
}

/* Where a timer's SIGALRM goes when the thread that armed it cannot take
 * it: that thread ended, it was a vfork parent waiting for its child, or
 * it blocked SIGALRM after arming (then another thread takes it). */
static volatile int arm_done;
static void *arm_30ms_and_exit(void *arg)
{
    (void)arg;
    struct itimerval it = { { 0, 0 }, { 0, 30000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    return NULL;
}
static void *wait_for_alrm(void *arg)
{
    (void)arg;
    while (!alrm_where)
        ;
    return NULL;
}
static void test_itimer_thread_gone(void)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    sigprocmask(SIG_BLOCK, &s, &old);
    /* the thread starts with SIGALRM unblocked: it would take it */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_t t;
    pthread_create(&t, NULL, arm_30ms_and_exit, NULL);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pthread_join(t, NULL);
    struct timespec wait = { 2, 0 };
    check("a timer armed by a thread that ended: its SIGALRM still comes (sigtimedwait)",
          sigtimedwait(&s, NULL, &wait) == SIGALRM);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* armed, then vfork: the child runs 60 ms, the parent waits */
    handle_alrm();
    alrm = 0;
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        struct timespec ts = { 0, 60000000L };
        nanosleep(&ts, NULL);
        _exit(0);
    }
    int got = alrm;
    int st;
    waitpid(pid, &st, 0);
    check("a timer that expired while the vfork child ran: the parent's handler ran when vfork returned", got == 1);
    signal(SIGALRM, SIG_DFL);

    /* armed by the main thread, which then blocks SIGALRM: the other
     * thread (computing) takes it */
    main_thread = pthread_self();
    signal(SIGALRM, on_alrm_where);
    alrm_where = 0;
    pthread_create(&t, NULL, wait_for_alrm, NULL);
    struct itimerval it2 = { { 0, 0 }, { 0, 30000 } };
    setitimer(ITIMER_REAL, &it2, NULL);
    sigprocmask(SIG_BLOCK, &s, NULL);
    pthread_join(t, NULL);
    check("a timer whose arming thread then blocked SIGALRM: another thread's handler ran", alrm_where == 2);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGALRM, SIG_DFL);
}

static void test_cpu_times(void)
{
    struct tms t;
    clock_t c = times(&t);
    check("times() returns > 0", c != (clock_t)-1 && c > 0);
    check("tms fields >= 0", t.tms_utime >= 0 && t.tms_stime >= 0 && t.tms_cutime >= 0 && t.tms_cstime >= 0);
    long hz = sysconf(_SC_CLK_TCK);
    check("sysconf(_SC_CLK_TCK) == 100", hz == 100);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    check("getrusage(SELF) sane", ru0.ru_utime.tv_sec >= 0 && ru0.ru_utime.tv_usec >= 0 &&
                                      ru0.ru_utime.tv_usec < 1000000 && ru0.ru_stime.tv_usec < 1000000);
    burn(250);
    getrusage(RUSAGE_SELF, &ru1);
    long used = tv_ms(ru1.ru_utime) + tv_ms(ru1.ru_stime) - tv_ms(ru0.ru_utime) - tv_ms(ru0.ru_stime);
    check("RUSAGE_SELF grew >= 100 ms after burning 250 ms", used >= 100);
    struct tms t1;
    clock_t c1 = times(&t1);
    check("tms_utime + tms_stime grew >= 10 ticks", (t1.tms_utime + t1.tms_stime) - (t.tms_utime + t.tms_stime) >= 10);
    check("times() return value advanced >= 20 ticks", c1 - c >= 20);
    struct timespec pc;
    check("CLOCK_PROCESS_CPUTIME_ID >= 100 ms", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &pc) == 0 &&
                                                    (pc.tv_sec > 0 || pc.tv_nsec >= 100000000L));

    /* children */
    struct rusage rc0, rc1, rc2;
    getrusage(RUSAGE_CHILDREN, &rc0);
    struct tms tc0;
    times(&tc0);
    pid_t pid = spawn_self("burn", "250");
    struct timespec ts = { 0, 400 * 1000000L };
    nanosleep(&ts, NULL); /* the child is done burning, not yet waited for */
    getrusage(RUSAGE_CHILDREN, &rc1);
    long before = tv_ms(rc1.ru_utime) + tv_ms(rc1.ru_stime) - tv_ms(rc0.ru_utime) - tv_ms(rc0.ru_stime);
    check("RUSAGE_CHILDREN unchanged before the wait", before < 50);
    int st;
    waitpid(pid, &st, 0);
    getrusage(RUSAGE_CHILDREN, &rc2);
    long after = tv_ms(rc2.ru_utime) + tv_ms(rc2.ru_stime) - tv_ms(rc0.ru_utime) - tv_ms(rc0.ru_stime);
    check("RUSAGE_CHILDREN grew >= 100 ms after the wait", after >= 100);
    struct tms tc1;
    times(&tc1);
    check("tms_cutime + tms_cstime grew >= 10 ticks",
          (tc1.tms_cutime + tc1.tms_cstime) - (tc0.tms_cutime + tc0.tms_cstime) >= 10);

    /* a grandchild, waited for by its parent, counts for us too */
    pid = spawn_self("burn-in-child", "250");
    waitpid(pid, &st, 0);
    struct rusage rc3;
    getrusage(RUSAGE_CHILDREN, &rc3);
    long grand = tv_ms(rc3.ru_utime) + tv_ms(rc3.ru_stime) - tv_ms(rc2.ru_utime) - tv_ms(rc2.ru_stime);
    check("a waited-for grandchild's CPU time reaches RUSAGE_CHILDREN", WIFEXITED(st) && grand >= 100);

    /* wait4's rusage is the child's own */
    pid = spawn_self("burn", "150");
    struct rusage w4;
    wait4(pid, &st, 0, &w4);
    check("wait4 rusage of a 150 ms burner >= 60 ms", tv_ms(w4.ru_utime) + tv_ms(w4.ru_stime) >= 60);

    /* a new process starts from zero, whatever ran before it */
    pid = spawn_self("fresh", NULL);
    waitpid(pid, &st, 0);
    check("a new process's thread clock, RUSAGE_SELF/THREAD and times() start near 0",
          WIFEXITED(st) && WEXITSTATUS(st) == 0);
    errno = 0;
    check("getrusage(42): EINVAL", getrusage(42, &rc3) == -1 && errno == EINVAL);
}

static void test_sysinfo(void)
{
    struct sysinfo si;
    check("sysinfo returns 0", sysinfo(&si) == 0);
    check("uptime > 0", si.uptime > 0);
    check("totalram > 0, freeram <= totalram", si.totalram > 0 && si.freeram <= si.totalram && si.mem_unit >= 1);
    check("procs >= 1", si.procs >= 1);
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 3 && !strcmp(argv[1], "burn")) {
        burn(atoi(argv[2]));
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "burn-in-child")) {
        pid_t pid = spawn_self("burn", argv[2]);
        int st;
        return waitpid(pid, &st, 0) == pid ? 0 : 1;
    }
    if (argc >= 2 && !strcmp(argv[1], "fresh")) {
        struct rusage self_ru, thread_ru;
        struct tms tm;
        getrusage(RUSAGE_SELF, &self_ru);
        getrusage(RUSAGE_THREAD, &thread_ru);
        times(&tm);
        int ok = thread_cpu_ns() < 50000000LL && tv_ms(self_ru.ru_utime) + tv_ms(self_ru.ru_stime) < 50 &&
                 tv_ms(thread_ru.ru_utime) + tv_ms(thread_ru.ru_stime) < 50 && tm.tms_utime + tm.tms_stime < 5;
        return ok ? 0 : 1;
    }
    if (argc >= 2 && !strcmp(argv[1], "spin-for-alarm")) {
        /* arms 50 ms, computes until the handler ran or 2 s went by */
        handle_alrm();
        struct itimerval it = { { 0, 0 }, { 0, 50000 } };
        setitimer(ITIMER_REAL, &it, NULL);
        long long t0 = now_ns();
        while (!alrm && now_ns() - t0 < 2000000000LL)
            sink++;
        return alrm ? 7 : 8;
    }
    if (argc >= 2 && !strcmp(argv[1], "alarm-dies")) {
        struct itimerval it = { { 0, 0 }, { 0, 30000 } };
        setitimer(ITIMER_REAL, &it, NULL);
        for (;;)
            pause();
    }
    if (argc >= 2 && !strcmp(argv[1], "arm-and-exec")) {
        struct itimerval it = { { 0, 0 }, { 0, 100000 } };
        setitimer(ITIMER_REAL, &it, NULL);
        char *a[] = { (char *)self, "pause", NULL };
        execv(self, a);
        return 127;
    }
    if (argc >= 4 && !strcmp(argv[1], "timed")) {
        /* sleeps argv[3] ms with nanosleep or poll; exit status: the
         * wall time it took, in units of 10 ms */
        int ms = atoi(argv[3]);
        long long t0 = now_ns();
        int r;
        if (!strcmp(argv[2], "nanosleep")) {
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
            r = nanosleep(&ts, NULL);
        } else if (!strcmp(argv[2], "clock_nanosleep")) {
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
            r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        } else {
            r = poll(NULL, 0, ms);
        }
        long long dt = (now_ns() - t0) / 10000000LL;
        return r != 0 ? 255 : dt > 250 ? 250 : (int)dt;
    }
    if (argc >= 2 && !strcmp(argv[1], "pause")) {
        for (;;)
            pause();
    }
    test_sleep();
    test_stopped_sleep();
    test_alarm_while_stopped();
    test_alarm();
    test_alarm_while_blocked();
    test_alarm_beside_sleeper();
    test_itimer();
    test_itimer_thread_gone();
    test_cpu_times();
    test_sysinfo();
    return finish();
}
