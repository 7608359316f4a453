/*
 * proc_sig: signal handlers in one process.
 *
 * - SA_SIGINFO: si_signo, si_code (SI_USER for kill, SI_TKILL for tgkill
 *   and raise, SI_QUEUE for sigqueue with si_value), si_pid == getpid()
 *   of the sender, si_uid;
 * - the handler's ucontext: uc_sigmask is the mask before delivery; the
 *   mask while the handler runs is that | sa_mask | the signal;
 * - nested signals: a SIGUSR1 handler raises SIGUSR2 (own handler) which
 *   runs inside it; a handler raising its own signal: deferred until it
 *   returns by default, re-entered at once with SA_NODEFER;
 * - SA_RESETHAND: the disposition is SIG_DFL once the handler runs;
 * - several pending signals unblocked at once: which handler runs first;
 *   standard signals pending twice are delivered once, real-time signals
 *   queue (in order, with their values);
 * - sigprocmask + sigpending; unblocking delivers before sigprocmask
 *   returns; SIG_IGN drops a signal and discards a pending one;
 * - sigaltstack + SA_ONSTACK: a local variable of the handler lies on the
 *   alternate stack; SS_ONSTACK inside, EPERM when changing it while on
 *   it, ENOMEM when too small, SS_DISABLE, SS_AUTODISARM;
 * - rt_sigsuspend: a pending signal ends it at once (EINTR), the mask
 *   comes back; a timer signal ends it later; pause() with alarm;
 * - rt_sigtimedwait: EAGAIN after the timeout, a pending blocked signal
 *   is taken (with its siginfo) without running the handler;
 * - the frame: rsp + 8 is 16-byte aligned at handler entry (normal and
 *   alternate stack), a nested SA_ONSTACK signal stacks below the first
 *   frame on the alternate stack, uc_sigmask edited by a handler is the
 *   mask after sigreturn;
 * - a blocked periodic timer expiring 10 times gives one SIGALRM;
 * - sigaction errors (SIGKILL, 0, 65), kill(pid, 0), ESRCH for a reaped
 *   child, tgkill/tkill errors.
 * Handlers only record events; main prints them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#include "proc_check.h"
#include "sig_helpers.h"

/* ---- an event log written by handlers ---- */
static char events[2048];
static volatile size_t nev;

static void ev(const char *s)
{
    size_t n = strlen(s);
    if (nev + n + 2 < sizeof events) {
        if (nev)
            events[nev++] = ' ';
        memcpy(events + nev, s, n);
        nev += n;
        events[nev] = 0;
    }
}

static void show_events(const char *what, const char *want)
{
    printf("%s: [%s]\n", what, events);
    check(what, !strcmp(events, want));
    nev = 0;
    events[0] = 0;
}

static const char *signame(int s)
{
    static char buf[16];
    switch (s) {
    case SIGUSR1: return "USR1";
    case SIGUSR2: return "USR2";
    case SIGALRM: return "ALRM";
    case SIGTERM: return "TERM";
    case SIGHUP: return "HUP";
    }
    if (s >= SIGRTMIN && s <= SIGRTMAX)
        snprintf(buf, sizeof buf, "RTMIN+%d", s - SIGRTMIN);
    else
        snprintf(buf, sizeof buf, "sig%d", s);
    return buf;
}

static void set_handler(int sig, void (*h)(int), int flags, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("sigaction(%d): %s\n", sig, strerror(errno));
}

static void set_action(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("sigaction(%d): %s\n", sig, strerror(errno));
}

static sigset_t current_mask(void)
{
    sigset_t s;
    sigprocmask(SIG_SETMASK, NULL, &s);
    return s;
}

/* ---- siginfo ---- */
static siginfo_t last_info;
static volatile int info_count;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    last_info = *si;
    info_count++;
}

static void test_siginfo(void)
{
    set_action(SIGUSR1, info_handler, 0);
    pid_t me = getpid();

    memset(&last_info, 0, sizeof last_info);
    kill(me, SIGUSR1);
    check("kill: handler ran", info_count == 1);
    check("kill: si_signo == SIGUSR1", last_info.si_signo == SIGUSR1);
    printf("kill: si_code == SI_USER: %s\n", last_info.si_code == SI_USER ? "yes" : "no");
    printf("kill: si_pid == getpid(): %s\n", last_info.si_pid == me ? "yes" : "no");
    printf("kill: si_uid == getuid(): %s\n", last_info.si_uid == getuid() ? "yes" : "no");
    check("kill: si_errno == 0", last_info.si_errno == 0);

    memset(&last_info, 0, sizeof last_info);
    syscall(SYS_tgkill, me, syscall(SYS_gettid), SIGUSR1);
    check("tgkill: handler ran", info_count == 2);
    printf("tgkill: si_code == SI_TKILL: %s\n", last_info.si_code == SI_TKILL ? "yes" : "no");
    printf("tgkill: si_pid == getpid(): %s\n", last_info.si_pid == me ? "yes" : "no");

    memset(&last_info, 0, sizeof last_info);
    raise(SIGUSR1);
    check("raise: handler ran", info_count == 3);
    printf("raise: si_code == SI_TKILL: %s\n", last_info.si_code == SI_TKILL ? "yes" : "no");

    memset(&last_info, 0, sizeof last_info);
    union sigval v = { .sival_int = 1234 };
    int r = sigqueue(me, SIGUSR1, v);
    check("sigqueue returns 0", r == 0);
    check("sigqueue: handler ran", info_count == 4);
    printf("sigqueue: si_code == SI_QUEUE: %s\n", last_info.si_code == SI_QUEUE ? "yes" : "no");
    printf("sigqueue: si_value == 1234: %s\n", last_info.si_value.sival_int == 1234 ? "yes" : "no");
    printf("sigqueue: si_pid == getpid(): %s\n", last_info.si_pid == me ? "yes" : "no");

    /* pointer-sized si_value */
    memset(&last_info, 0, sizeof last_info);
    v.sival_ptr = (void *)(uintptr_t)0x1122334455667788ull;
    sigqueue(me, SIGUSR1, v);
    printf("sigqueue: 64-bit si_value intact: %s\n",
           last_info.si_value.sival_ptr == (void *)(uintptr_t)0x1122334455667788ull ? "yes" : "no");

    /* rt_sigqueueinfo may claim SI_USER or SI_TKILL only when a process
     * sends to itself (Linux: EPERM otherwise, see proc_wait); the
     * receiver gets the siginfo as given */
    siginfo_t fake;
    memset(&fake, 0, sizeof fake);
    fake.si_signo = SIGUSR1;
    fake.si_code = SI_USER;
    fake.si_pid = 4242;
    fake.si_uid = 77;
    memset(&last_info, 0, sizeof last_info);
    errno = 0;
    r = syscall(SYS_rt_sigqueueinfo, me, SIGUSR1, &fake);
    check("rt_sigqueueinfo to self with si_code SI_USER: allowed", r == 0);
    check("rt_sigqueueinfo: handler ran", info_count == 6);
    check("rt_sigqueueinfo: receiver sees si_code SI_USER, si_pid 4242, si_uid 77",
          last_info.si_code == SI_USER && last_info.si_pid == 4242 && last_info.si_uid == 77);
    fake.si_code = SI_TKILL;
    errno = 0;
    r = syscall(SYS_rt_sigqueueinfo, me, SIGUSR1, &fake);
    check("rt_sigqueueinfo to self with si_code SI_TKILL: allowed", r == 0 && info_count == 7);
    fake.si_code = -60;
    fake.si_value.sival_int = 5;
    int before = info_count;
    r = syscall(SYS_rt_sigqueueinfo, me, SIGUSR1, &fake);
    check("rt_sigqueueinfo with a negative si_code: delivered as given",
          r == 0 && info_count == before + 1 && last_info.si_code == -60 && last_info.si_value.sival_int == 5);
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
}

/* ---- masks seen by a handler ---- */
static sigset_t mask_in_handler, uc_mask;

static void mask_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    sigprocmask(SIG_SETMASK, NULL, &mask_in_handler);
    uc_mask = uc->uc_sigmask;
}

static void test_masks(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = mask_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t before = set_of(SIGHUP, 0);
    sigprocmask(SIG_SETMASK, &before, NULL);
    raise(SIGUSR1);
    check("in handler: the signal itself is blocked", sigismember(&mask_in_handler, SIGUSR1) == 1);
    check("in handler: sa_mask (SIGUSR2) is blocked", sigismember(&mask_in_handler, SIGUSR2) == 1);
    check("in handler: the old mask (SIGHUP) is still blocked", sigismember(&mask_in_handler, SIGHUP) == 1);
    check("uc_sigmask: SIGHUP only", sigismember(&uc_mask, SIGHUP) == 1 && sigismember(&uc_mask, SIGUSR1) == 0 &&
                                         sigismember(&uc_mask, SIGUSR2) == 0);
    sigset_t after = current_mask();
    check("after the handler: the mask is restored", sigismember(&after, SIGHUP) == 1 &&
                                                         sigismember(&after, SIGUSR1) == 0 &&
                                                         sigismember(&after, SIGUSR2) == 0);

    /* SA_NODEFER: the signal is not blocked in its handler */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    check("SA_NODEFER: the signal is not blocked in its handler", sigismember(&mask_in_handler, SIGUSR1) == 0);

    /* a handler that changes the mask: sigreturn puts the old one back */
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
}

/* ---- nesting ---- */
static void nest_usr2(int sig)
{
    (void)sig;
    ev("usr2");
}

static void nest_usr1(int sig)
{
    (void)sig;
    ev("usr1-start");
    raise(SIGUSR2);
    ev("usr1-end");
}

static volatile int depth, max_depth, entries;

static void reenter(int sig)
{
    char b[32];
    depth++;
    entries++;
    if (depth > max_depth)
        max_depth = depth;
    snprintf(b, sizeof b, "enter%d", depth);
    ev(b);
    if (entries < 3)
        raise(sig);
    snprintf(b, sizeof b, "leave%d", depth);
    ev(b);
    depth--;
}

static void test_nesting(void)
{
    set_handler(SIGUSR1, nest_usr1, 0, NULL);
    set_handler(SIGUSR2, nest_usr2, 0, NULL);
    raise(SIGUSR1);
    show_events("USR1 handler raises USR2", "usr1-start usr2 usr1-end");

    /* USR2's handler blocked by USR1's sa_mask: runs after USR1's */
    sigset_t m = set_of(SIGUSR2, 0);
    set_handler(SIGUSR1, nest_usr1, 0, &m);
    raise(SIGUSR1);
    show_events("USR2 in USR1's sa_mask waits for USR1's return", "usr1-start usr1-end usr2");

    depth = max_depth = entries = 0;
    set_handler(SIGUSR1, reenter, 0, NULL);
    raise(SIGUSR1);
    show_events("default: own signal deferred until return", "enter1 leave1 enter1 leave1 enter1 leave1");

    depth = max_depth = entries = 0;
    set_handler(SIGUSR1, reenter, SA_NODEFER, NULL);
    raise(SIGUSR1);
    show_events("SA_NODEFER: re-entered at once", "enter1 enter2 enter3 leave3 leave2 leave1");
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
    set_handler(SIGUSR2, SIG_DFL, 0, NULL);
}

/* ---- SA_RESETHAND ---- */
static volatile int reset_hits;
static sigset_t reset_mask;

static void reset_handler(int sig)
{
    (void)sig;
    reset_hits++;
    sigprocmask(SIG_SETMASK, NULL, &reset_mask);
}

static void test_resethand(void)
{
    set_handler(SIGUSR2, reset_handler, SA_RESETHAND, NULL);
    raise(SIGUSR2);
    struct sigaction old;
    sigaction(SIGUSR2, NULL, &old);
    check("SA_RESETHAND: the handler ran once", reset_hits == 1);
    check("SA_RESETHAND: the disposition is SIG_DFL afterwards", old.sa_handler == SIG_DFL);
    printf("SA_RESETHAND: the signal blocked in the handler: %s\n",
           sigismember(&reset_mask, SIGUSR2) ? "yes" : "no");
    /* now SIG_IGN, so a second one is harmless */
    set_handler(SIGUSR2, SIG_IGN, 0, NULL);
    raise(SIGUSR2);
    check("SIG_IGN: the raise did nothing", reset_hits == 1);
    set_handler(SIGUSR2, SIG_DFL, 0, NULL);
}

/* ---- several pending at once ---- */
static void rec_handler(int sig)
{
    ev(signame(sig));
}

static void rec_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char b[48];
    snprintf(b, sizeof b, "%s:%d", signame(sig), si->si_value.sival_int);
    ev(b);
}

static void test_pending_order(void)
{
    int rt = SIGRTMIN + 1;
    set_handler(SIGUSR1, rec_handler, 0, NULL);
    set_handler(SIGUSR2, rec_handler, 0, NULL);
    set_handler(rt, rec_handler, 0, NULL);
    sigset_t all;
    sigemptyset(&all);
    sigaddset(&all, SIGUSR1);
    sigaddset(&all, SIGUSR2);
    sigaddset(&all, rt);

    /* handlers that block each other: one at a time, lowest first */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = rec_handler;
    sa.sa_mask = all;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(rt, &sa, NULL);
    sigprocmask(SIG_BLOCK, &all, NULL);
    raise(rt);
    raise(SIGUSR2);
    raise(SIGUSR1);
    sigset_t p;
    sigpending(&p);
    check("sigpending: USR1, USR2 and RTMIN+1 pending",
          sigismember(&p, SIGUSR1) && sigismember(&p, SIGUSR2) && sigismember(&p, rt) && !sigismember(&p, SIGHUP));
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    show_events("three pending, handlers mask each other: delivered lowest first", "USR1 USR2 RTMIN+1");

    /* handlers that do not block each other: Linux sets up all three
     * frames before returning to user space, so the last one runs first */
    set_handler(SIGUSR1, rec_handler, 0, NULL);
    set_handler(SIGUSR2, rec_handler, 0, NULL);
    set_handler(rt, rec_handler, 0, NULL);
    sigprocmask(SIG_BLOCK, &all, NULL);
    raise(rt);
    raise(SIGUSR2);
    raise(SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    show_events("three pending, independent handlers: frames stack up", "RTMIN+1 USR2 USR1");

    /* a standard signal pending three times is delivered once */
    sigprocmask(SIG_BLOCK, &all, NULL);
    raise(SIGUSR1);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    show_events("standard signal raised 3 times while blocked: once", "USR1");

    /* real-time signals queue, in order, with their values */
    struct sigaction si;
    memset(&si, 0, sizeof si);
    si.sa_sigaction = rec_info;
    si.sa_flags = SA_SIGINFO;
    si.sa_mask = all;
    sigaction(rt, &si, NULL);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (int i = 1; i <= 3; i++)
        sigqueue(getpid(), rt, (union sigval){ .sival_int = i * 11 });
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    show_events("real-time signal queued 3 times: 3 deliveries in order", "RTMIN+1:11 RTMIN+1:22 RTMIN+1:33");

    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
    set_handler(SIGUSR2, SIG_DFL, 0, NULL);
    set_handler(rt, SIG_DFL, 0, NULL);
}

/* ---- blocking, pending, ignoring ---- */
static volatile int usr1_hits;
static void count_usr1(int sig)
{
    (void)sig;
    usr1_hits++;
}

static void test_block_pending(void)
{
    set_handler(SIGUSR1, count_usr1, 0, NULL);
    sigset_t s = set_of(SIGUSR1, 0), p;
    sigprocmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGUSR1);
    sigpending(&p);
    check("blocked: handler not run", usr1_hits == 0);
    check("blocked: sigpending shows SIGUSR1", sigismember(&p, SIGUSR1) == 1);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    check("unblocked: delivered before sigprocmask returned", usr1_hits == 1);
    sigpending(&p);
    check("unblocked: nothing pending any more", sigismember(&p, SIGUSR1) == 0);

    /* a pending signal is discarded when its disposition becomes SIG_IGN */
    sigprocmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGUSR1);
    set_handler(SIGUSR1, SIG_IGN, 0, NULL);
    sigpending(&p);
    check("SIG_IGN discards the pending signal", sigismember(&p, SIGUSR1) == 0);
    /* an ignored signal that is blocked stays pending (Linux) */
    kill(getpid(), SIGUSR1);
    sigpending(&p);
    printf("blocked and ignored signal pending: %s\n", sigismember(&p, SIGUSR1) ? "yes" : "no");
    set_handler(SIGUSR1, count_usr1, 0, NULL);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    printf("handler count after unblocking: %d\n", usr1_hits);

    /* SIGCHLD's default action is to ignore: raising it does nothing */
    raise(SIGCHLD);
    check("SIGCHLD with SIG_DFL: ignored", 1);
    /* SIGKILL and SIGSTOP cannot be blocked */
    sigset_t ks = set_of(SIGKILL, SIGSTOP), cur;
    sigprocmask(SIG_BLOCK, &ks, NULL);
    cur = current_mask();
    check("SIGKILL/SIGSTOP cannot be blocked", !sigismember(&cur, SIGKILL) && !sigismember(&cur, SIGSTOP));
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
}

/* ---- sigaltstack ---- */
static char altstack[64 * 1024] __attribute__((aligned(16)));
static volatile uintptr_t handler_local;
static volatile int onstack_flag, eperm_on_stack;

static void alt_handler(int sig)
{
    (void)sig;
    volatile int local = 0;
    handler_local = (uintptr_t)&local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    onstack_flag = cur.ss_flags;
    stack_t n = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    eperm_on_stack = sigaltstack(&n, NULL) == -1 && errno == EPERM;
}

static void test_altstack(void)
{
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 }, old;
    check("sigaltstack set", sigaltstack(&ss, &old) == 0);
    check("initially disabled", old.ss_flags == SS_DISABLE);
    set_handler(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    int inside = handler_local >= (uintptr_t)altstack && handler_local < (uintptr_t)altstack + sizeof altstack;
    check("SA_ONSTACK: handler's local variable is on the alternate stack", inside);
    check("SA_ONSTACK: SS_ONSTACK in the handler", onstack_flag == SS_ONSTACK);
    check("sigaltstack change while on it: EPERM", eperm_on_stack);
    stack_t cur;
    sigaltstack(NULL, &cur);
    check("outside the handler: flags 0, same stack", cur.ss_flags == 0 && cur.ss_sp == altstack &&
                                                           cur.ss_size == sizeof altstack);

    /* without SA_ONSTACK the normal stack is used */
    set_handler(SIGUSR1, alt_handler, 0, NULL);
    raise(SIGUSR1);
    inside = handler_local >= (uintptr_t)altstack && handler_local < (uintptr_t)altstack + sizeof altstack;
    check("no SA_ONSTACK: handler on the normal stack", !inside && onstack_flag == 0);

    /* SS_AUTODISARM: disabled while the handler runs, back afterwards */
    stack_t ad = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = SS_AUTODISARM };
    if (sigaltstack(&ad, NULL) == 0) {
        set_handler(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
        raise(SIGUSR1);
        inside = handler_local >= (uintptr_t)altstack && handler_local < (uintptr_t)altstack + sizeof altstack;
        printf("SS_AUTODISARM: handler on the alternate stack: %s, flags seen inside: %#x\n", inside ? "yes" : "no",
               (unsigned)onstack_flag);
        sigaltstack(NULL, &cur);
        check("SS_AUTODISARM: restored after the handler", cur.ss_sp == altstack &&
                                                            (cur.ss_flags & ~SS_AUTODISARM) == 0);
        stack_t plain = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
        sigaltstack(&plain, NULL);
    }

    stack_t small = { .ss_sp = altstack, .ss_size = 512, .ss_flags = 0 };
    errno = 0;
    check("sigaltstack too small: ENOMEM", sigaltstack(&small, NULL) == -1 && errno == ENOMEM);
    stack_t bad = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 12345 };
    errno = 0;
    check("sigaltstack bad flags: EINVAL", sigaltstack(&bad, NULL) == -1 && errno == EINVAL);
    stack_t dis = { .ss_flags = SS_DISABLE };
    check("SS_DISABLE", sigaltstack(&dis, NULL) == 0);
    sigaltstack(NULL, &cur);
    check("disabled now", cur.ss_flags == SS_DISABLE);
    set_handler(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    inside = handler_local >= (uintptr_t)altstack && handler_local < (uintptr_t)altstack + sizeof altstack;
    check("SA_ONSTACK with the alternate stack disabled: normal stack", !inside);
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
}

/* ---- sigsuspend, pause, sigtimedwait ---- */
static sigset_t suspend_handler_mask;
static void suspend_handler(int sig)
{
    (void)sig;
    usr1_hits++;
    sigprocmask(SIG_SETMASK, NULL, &suspend_handler_mask);
}

static void test_suspend(void)
{
    usr1_hits = 0;
    set_handler(SIGUSR1, suspend_handler, 0, NULL);
    set_handler(SIGALRM, suspend_handler, 0, NULL);
    sigset_t s = set_of(SIGUSR1, SIGALRM);
    sigprocmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGUSR1);
    sigset_t wait_mask = set_of(SIGUSR2, 0);
    errno = 0;
    int r = sigsuspend(&wait_mask);
    check("sigsuspend with a pending signal: -1 EINTR", r == -1 && errno == EINTR);
    check("sigsuspend: the handler ran", usr1_hits == 1);
    check("sigsuspend: the handler ran with the suspend mask + itself",
          sigismember(&suspend_handler_mask, SIGUSR2) && sigismember(&suspend_handler_mask, SIGUSR1) &&
              !sigismember(&suspend_handler_mask, SIGALRM));
    sigset_t after = current_mask();
    check("sigsuspend: the old mask is back", sigismember(&after, SIGUSR1) && sigismember(&after, SIGALRM) &&
                                                  !sigismember(&after, SIGUSR2));

    /* a timer signal ends it later */
    struct itimerval it = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    sigemptyset(&wait_mask);
    errno = 0;
    r = sigsuspend(&wait_mask);
    check("sigsuspend woken by SIGALRM: EINTR", r == -1 && errno == EINTR && usr1_hits == 2);
    sigprocmask(SIG_UNBLOCK, &s, NULL);

    /* pause() */
    alarm(1);
    struct itimerval shorter = { { 0, 0 }, { 0, 30000 } };
    setitimer(ITIMER_REAL, &shorter, NULL);
    errno = 0;
    r = pause();
    check("pause woken by SIGALRM: EINTR", r == -1 && errno == EINTR && usr1_hits == 3);

    /* sigtimedwait */
    sigprocmask(SIG_BLOCK, &s, NULL);
    struct timespec to = { 0, 50 * 1000 * 1000 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    siginfo_t si;
    errno = 0;
    r = sigtimedwait(&s, &si, &to);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    check("sigtimedwait with nothing pending: EAGAIN", r == -1 && errno == EAGAIN);
    check("sigtimedwait waited >= 50 ms", ms >= 49);
    kill(getpid(), SIGUSR1);
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&s, &si, &to);
    check("sigtimedwait takes the pending SIGUSR1", r == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_USER);
    check("sigtimedwait: the handler did not run", usr1_hits == 3);
    sigset_t p;
    sigpending(&p);
    check("sigtimedwait: no longer pending", !sigismember(&p, SIGUSR1));
    struct timespec zero = { 0, 0 };
    errno = 0;
    r = sigtimedwait(&s, &si, &zero);
    check("sigtimedwait with a zero timeout: EAGAIN at once", r == -1 && errno == EAGAIN);
    sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 99 });
    r = sigwaitinfo(&s, &si);
    check("sigwaitinfo: SI_QUEUE with value 99", r == SIGUSR1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 99);
    /* a timer expiring during sigtimedwait */
    setitimer(ITIMER_REAL, &shorter, NULL);
    r = sigtimedwait(&s, &si, NULL);
    check("sigtimedwait without timeout gets the SIGALRM", r == SIGALRM && si.si_signo == SIGALRM);
    printf("SIGALRM from the timer: si_code == SI_KERNEL: %s\n", si.si_code == SI_KERNEL ? "yes" : "no");
    /* sigwait */
    kill(getpid(), SIGUSR1);
    int got = 0;
    r = sigwait(&s, &got);
    check("sigwait returns SIGUSR1", r == 0 && got == SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
    set_handler(SIGALRM, SIG_DFL, 0, NULL);
}

/* ---- the frame itself ---- */

/* The handler entry: records rsp as the handler sees it (before any push)
 * and jumps to the C part. */
void aligned_entry(int, siginfo_t *, void *);
volatile uintptr_t entry_rsp;
static volatile uintptr_t nested_local, outer_local;
static volatile int nested_done;
__asm__(".text\n.globl aligned_entry\n.hidden aligned_entry\naligned_entry:\n"
        "    mov %rsp, entry_rsp(%rip)\n"
        "    jmp aligned_c\n");

void aligned_c(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    volatile int local;
    if (sig == SIGUSR1) {
        outer_local = (uintptr_t)&local;
        raise(SIGUSR2); /* nested, also SA_ONSTACK */
    } else {
        nested_local = (uintptr_t)&local;
        nested_done = 1;
    }
}

static void mask_edit_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    sigaddset(&uc->uc_sigmask, SIGUSR2); /* blocked after sigreturn */
}

static void test_frame(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = aligned_entry;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    entry_rsp = 0;
    raise(SIGUSR1);
    check("handler entry: rsp + 8 is 16-byte aligned", entry_rsp && (entry_rsp + 8) % 16 == 0);
    /* the same on the alternate stack, and a nested SA_ONSTACK signal
     * stacks below the first frame there */
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    entry_rsp = 0;
    nested_done = 0;
    raise(SIGUSR1);
    uintptr_t lo = (uintptr_t)altstack, hi = lo + sizeof altstack;
    check("alternate stack: rsp + 8 is 16-byte aligned at entry", entry_rsp && (entry_rsp + 8) % 16 == 0);
    check("nested signal on the alternate stack ran", nested_done);
    check("nested frame lies on the alternate stack below the first",
          outer_local >= lo && outer_local < hi && nested_local >= lo && nested_local < outer_local);
    stack_t dis = { .ss_flags = SS_DISABLE };
    sigaltstack(&dis, NULL);

    /* a handler that adds to uc_sigmask: the mask after sigreturn */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = mask_edit_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigset_t m = current_mask();
    check("uc_sigmask edited in the handler is the mask after sigreturn", sigismember(&m, SIGUSR2) == 1);
    sigset_t u = set_of(SIGUSR2, 0);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    /* uc_sigmask cannot block SIGKILL */
    set_handler(SIGUSR1, SIG_DFL, 0, NULL);
    set_handler(SIGUSR2, SIG_DFL, 0, NULL);
}

/* ---- a periodic timer while its signal is blocked ---- */
static volatile int alrm_hits;
static void on_alrm(int sig)
{
    (void)sig;
    alrm_hits++;
}

static void test_blocked_timer(void)
{
    set_handler(SIGALRM, on_alrm, 0, NULL);
    sigset_t s = set_of(SIGALRM, 0);
    sigprocmask(SIG_BLOCK, &s, NULL);
    struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    alrm_hits = 0;
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    check("10 expiries of a blocked periodic timer: one SIGALRM", alrm_hits == 1);
    set_handler(SIGALRM, SIG_DFL, 0, NULL);
}

/* ---- errors ---- */
static void test_errors(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    errno = 0;
    check("sigaction(SIGKILL): EINVAL", sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL);
    errno = 0;
    check("sigaction(SIGSTOP): EINVAL", sigaction(SIGSTOP, &sa, NULL) == -1 && errno == EINVAL);
    struct sigaction old;
    check("sigaction(SIGKILL, NULL, &old) works", sigaction(SIGKILL, NULL, &old) == 0 && old.sa_handler == SIG_DFL);
    errno = 0;
    check("rt_sigaction(0): EINVAL", syscall(SYS_rt_sigaction, 0, NULL, NULL, 8) == -1 && errno == EINVAL);
    errno = 0;
    check("rt_sigaction(65): EINVAL", syscall(SYS_rt_sigaction, 65, NULL, NULL, 8) == -1 && errno == EINVAL);
    errno = 0;
    check("rt_sigaction with sigsetsize 4: EINVAL", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4) == -1 &&
                                                        errno == EINVAL);
    errno = 0;
    check("rt_sigprocmask bad how: EINVAL", syscall(SYS_rt_sigprocmask, 7, &old.sa_mask, NULL, 8) == -1 &&
                                                errno == EINVAL);
    errno = 0;
    check("tgkill with the wrong tgid: ESRCH", syscall(SYS_tgkill, getpid() + 100000, syscall(SYS_gettid), 0) == -1 &&
                                                   errno == ESRCH);
    errno = 0;
    check("tkill(-1): EINVAL", syscall(SYS_tkill, -1, SIGUSR1) == -1 && errno == EINVAL);
    errno = 0;
    check("rt_sigprocmask with a bad set pointer: EFAULT",
          syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8) == -1 && errno == EFAULT);
    errno = 0;
    check("rt_sigprocmask with sigsetsize 4: EINVAL",
          syscall(SYS_rt_sigprocmask, SIG_BLOCK, &old.sa_mask, NULL, 4) == -1 && errno == EINVAL);
    errno = 0;
    check("rt_sigpending with a bad pointer: EFAULT", syscall(SYS_rt_sigpending, (void *)8, 8) == -1 && errno == EFAULT);
    sigset_t ws;
    sigemptyset(&ws);
    sigaddset(&ws, SIGUSR1);
    struct timespec badts = { 0, 1000000000L };
    errno = 0;
    check("sigtimedwait with tv_nsec 1e9: EINVAL", sigtimedwait(&ws, NULL, &badts) == -1 && errno == EINVAL);
    errno = 0;
    check("kill with signal 65: EINVAL", kill(getpid(), 65) == -1 && errno == EINVAL);
    check("kill(getpid(), 0) == 0", kill(getpid(), 0) == 0);

    /* the old action comes back as set */
    set_handler(SIGUSR2, count_usr1, SA_RESTART | SA_NODEFER, NULL);
    sigaction(SIGUSR2, NULL, &old);
    check("sigaction returns the handler and flags", old.sa_handler == count_usr1 &&
                                                         (old.sa_flags & (SA_RESTART | SA_NODEFER | SA_SIGINFO)) ==
                                                             (SA_RESTART | SA_NODEFER));
    set_handler(SIGUSR2, SIG_DFL, 0, NULL);

    /* a reaped child's pid is gone */
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0)
        _exit(0);
    int st;
    waitpid(pid, &st, 0);
    errno = 0;
    check("kill(reaped child, 0): ESRCH", kill(pid, 0) == -1 && errno == ESRCH);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_siginfo();
    test_masks();
    test_nesting();
    test_resethand();
    test_pending_order();
    test_block_pending();
    test_altstack();
    test_suspend();
    test_frame();
    test_blocked_timer();
    test_errors();
    return finish();
}
