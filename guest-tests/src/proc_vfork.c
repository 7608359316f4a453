/*
 * proc_vfork: vfork, clone(CLONE_VM|CLONE_VFORK), clone3, execve chains
 * and wait statuses.
 *
 * - the no-MMU proof: a vfork child writes a global and a stack variable,
 *   the parent sees both after the child's _exit;
 * - the parent is suspended until the child exits (a child that sleeps
 *   first still finishes before vfork returns in the parent), and resumed
 *   as soon as the child execs (the exec'd child blocks on a pipe that only
 *   the resumed parent writes to: no deadlock);
 * - exit statuses 0 1 42 255 through WEXITSTATUS, deaths by SIGTERM,
 *   SIGKILL, SIGSEGV (NULL write), abort() through WTERMSIG, _exit of
 *   256, 257, -1, 1000 (the low 8 bits), and a failed exec (_exit(127));
 * - what a vfork child inherits: the signal mask, dispositions (its own
 *   copy), the alternate stack, not pending signals; a signal sent to the
 *   parent during the vfork is handled after the child is done;
 * - a chain: the child execs this program, which vforks and execs it
 *   again, three levels deep; each level checks getppid() against its
 *   parent's pid (passed in argv) and adds 1 to its child's status;
 * - exec of /proc/self/exe with an argument that selects another branch;
 * - clone(CLONE_VM|CLONE_VFORK|SIGCHLD) with its own stack and function,
 *   clone(CLONE_VM|SIGCHLD) running at the same time as its parent, and a
 *   raw clone3 with CLONE_VM|CLONE_VFORK (also with the SETTID/CLEARTID
 *   flags);
 * - getpid/getppid relations in the child (never raw pids).
 *
 * The path of this program is passed to its children in argv (argv[0]
 * of the first run is used; the tests run it by absolute path).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_check.h"

/* vfork + execv(self, mode args...) and wait: returns the wait status. */
static int run_self(const char *a1, const char *a2, const char *a3)
{
    pid_t pid = vfork_self(NULL, a1, a2, a3, NULL);
    if (pid < 0) {
        printf("vfork: %s\n", strerror(errno));
        return -1;
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) {
        printf("waitpid: %s\n", strerror(errno));
        return -1;
    }
    return st;
}

/* ---- child modes ---- */

static int mode_chain(int depth, pid_t parent)
{
    printf("chain level %d: ppid is my parent: %s\n", depth, getppid() == parent ? "yes" : "no");
    if (depth == 0)
        return 10;
    char d[16], p[16];
    snprintf(d, sizeof d, "%d", depth - 1);
    snprintf(p, sizeof p, "%d", (int)getpid());
    int st = run_self("chain", d, p);
    if (!WIFEXITED(st)) {
        printf("chain level %d: child %s\n", depth, describe(st));
        return 100;
    }
    return WEXITSTATUS(st) + 1;
}

static int mode_signal(const char *which)
{
    if (!strcmp(which, "TERM"))
        kill(getpid(), SIGTERM);
    else if (!strcmp(which, "KILL"))
        kill(getpid(), SIGKILL);
    else if (!strcmp(which, "SEGV"))
        *(volatile int *)(uintptr_t)0 = 1;
    else if (!strcmp(which, "ABRT"))
        abort();
    printf("still alive after %s\n", which);
    return 3;
}

/* Waits for one byte on fd, then exits 0 (1 when the read fails). */
static int mode_waitbyte(int fd)
{
    char c;
    ssize_t n;
    do
        n = read(fd, &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1 && c == 'g' ? 0 : 1;
}

/* ---- the checks ---- */

static int global_var;
static volatile int child_saw_ppid, child_pid_differs;

static void test_shared_memory(void)
{
    volatile int stack_var = 1;
    pid_t me = getpid();
    global_var = 1;
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        global_var = 1234;
        stack_var = 5678;
        child_saw_ppid = getppid() == me;
        child_pid_differs = getpid() != me;
        _exit(0);
    }
    int st;
    pid_t w = waitpid(pid, &st, 0);
    check("vfork returns child pid > 0", pid > 0);
    check("vfork child wrote global, parent sees it", global_var == 1234);
    check("vfork child wrote stack variable, parent sees it", stack_var == 5678);
    check("vfork child: getppid() == parent's getpid()", child_saw_ppid);
    check("vfork child: getpid() != parent's getpid()", child_pid_differs);
    check("waitpid returns the child pid", w == pid);
    check("vfork child _exit(0) status", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static volatile int child_done;

static void test_parent_suspended(void)
{
    child_done = 0;
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        child_done = 1;
        _exit(0);
    }
    check("vfork parent suspended until the child exits", child_done == 1);
    int st;
    waitpid(pid, &st, 0);

    /* Resumed at exec: the exec'd child waits for a byte only the parent
     * sends after vfork returns. */
    int p[2];
    if (pipe(p) != 0) {
        check("pipe", 0);
        return;
    }
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[0]);
    char *argv[] = { (char *)self, "waitbyte", fd, NULL };
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        execv(self, argv);
        _exit(127);
    }
    close(p[0]);
    ssize_t n = write(p[1], "g", 1);
    close(p[1]);
    st = -1;
    waitpid(pid, &st, 0);
    check("vfork parent resumed when the child execs", n == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_exit_statuses(void)
{
    static const char *codes[] = { "0", "1", "42", "255" };
    for (unsigned i = 0; i < sizeof codes / sizeof *codes; i++) {
        int st = run_self("exit", codes[i], NULL);
        printf("exec child exit(%s): %s\n", codes[i], describe(st));
        char what[64];
        snprintf(what, sizeof what, "WEXITSTATUS == %s", codes[i]);
        check(what, WIFEXITED(st) && WEXITSTATUS(st) == atoi(codes[i]));
    }
    static const struct { const char *name; int sig; } sigs[] = {
        { "TERM", SIGTERM }, { "KILL", SIGKILL }, { "SEGV", SIGSEGV }, { "ABRT", SIGABRT },
    };
    for (unsigned i = 0; i < 4; i++) {
        int st = run_self("signal", sigs[i].name, NULL);
        printf("exec child SIG%s: %s\n", sigs[i].name, describe(st));
        char what[64];
        snprintf(what, sizeof what, "WIFSIGNALED and WTERMSIG == SIG%s", sigs[i].name);
        check(what, WIFSIGNALED(st) && WTERMSIG(st) == sigs[i].sig);
    }
    /* _exit keeps the low 8 bits */
    static const struct { int code; int want; } wide[] = { { 256, 0 }, { 257, 1 }, { -1, 255 }, { 1000, 232 } };
    for (unsigned i = 0; i < 4; i++) {
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0)
            _exit(wide[i].code);
        int st;
        waitpid(pid, &st, 0);
        char what[64];
        snprintf(what, sizeof what, "_exit(%d): WEXITSTATUS %d", wide[i].code, wide[i].want);
        check(what, WIFEXITED(st) && WEXITSTATUS(st) == wide[i].want);
    }
    /* exec fails: the vfork child's _exit(127) */
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = { "/nonexistent/prog", NULL };
        execv(argv[0], argv);
        _exit(errno == ENOENT ? 127 : 126);
    }
    int st;
    waitpid(pid, &st, 0);
    check("failed exec in vfork child: ENOENT, _exit(127)", WIFEXITED(st) && WEXITSTATUS(st) == 127);

    /* a vfork child that kills itself without exec */
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        syscall(SYS_kill, syscall(SYS_getpid), SIGTERM);
        _exit(5);
    }
    waitpid(pid, &st, 0);
    printf("vfork child kill(self, SIGTERM): %s\n", describe(st));
    check("vfork child killed by SIGTERM before exec", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

/* What a vfork child inherits: the mask and dispositions (copies), the
 * alternate signal stack; not the parent's pending signals. Signals sent
 * to the parent while it waits for the child wait too. */
static volatile int v_pending_inherited = -1, v_mask_inherited = -1, v_disp_inherited = -1, v_altstack_inherited = -1;
static volatile int usr1_seen_child_done = -1, usr1_hits;
static volatile int vchild_done;
static char altstack_mem[64 * 1024];

static void usr1_handler(int sig)
{
    (void)sig;
    usr1_hits++;
    usr1_seen_child_done = vchild_done;
}

static void test_inheritance(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1_handler;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    stack_t ss = { .ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_BLOCK, &hup, NULL);
    kill(getpid(), SIGHUP); /* pending in the parent */
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        sigset_t p, m;
        sigpending(&p);
        v_pending_inherited = sigismember(&p, SIGHUP);
        sigprocmask(SIG_SETMASK, NULL, &m);
        v_mask_inherited = sigismember(&m, SIGHUP);
        struct sigaction o;
        sigaction(SIGUSR2, NULL, &o);
        v_disp_inherited = o.sa_handler == SIG_IGN;
        /* the child's own change stays its own */
        signal(SIGUSR2, SIG_DFL);
        stack_t cur;
        sigaltstack(NULL, &cur);
        v_altstack_inherited = cur.ss_sp == altstack_mem && cur.ss_flags == 0;
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    check("vfork child: the parent's pending SIGHUP is not inherited", v_pending_inherited == 0);
    check("vfork child: the signal mask is inherited", v_mask_inherited == 1);
    check("vfork child: SIG_IGN is inherited", v_disp_inherited == 1);
    struct sigaction o;
    sigaction(SIGUSR2, NULL, &o);
    check("the child's signal(SIGUSR2, SIG_DFL) left the parent's SIG_IGN", o.sa_handler == SIG_IGN);
    check("vfork child: the alternate signal stack is inherited", v_altstack_inherited == 1);
    sigset_t p;
    sigpending(&p);
    check("the parent's SIGHUP is still pending", sigismember(&p, SIGHUP) == 1);
    int got;
    sigwait(&hup, &got);
    sigprocmask(SIG_UNBLOCK, &hup, NULL);

    /* a signal sent to the parent while it waits in vfork is handled
     * after the child is done with the shared memory */
    vchild_done = 0;
    usr1_hits = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        syscall(SYS_kill, syscall(SYS_getppid), SIGUSR1);
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        vchild_done = 1;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    check("SIGUSR1 to the vfork parent: handled once", usr1_hits == 1);
    check("... only after the child finished", usr1_seen_child_done == 1);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    stack_t dis = { .ss_flags = SS_DISABLE };
    sigaltstack(&dis, NULL);
}

static void test_chain(void)
{
    char p[16];
    snprintf(p, sizeof p, "%d", (int)getpid());
    int st = run_self("chain", "3", p);
    printf("chain of 4 programs: %s\n", describe(st));
    check("chain status 10+3", WIFEXITED(st) && WEXITSTATUS(st) == 13);
}

static void test_proc_self_exe(void)
{
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = { "renamed-argv0", "reexec", "x y", NULL };
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    check("exec /proc/self/exe takes the reexec branch (exit 7)", WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

static char clone_stack[64 * 1024] __attribute__((aligned(16)));
static volatile int clone_ran;

static int clone_fn(void *arg)
{
    clone_ran = *(int *)arg;
    return 5;
}

static void test_clone(void)
{
    int arg = 77;
    clone_ran = 0;
    fflush(stdout);
    pid_t pid = clone(clone_fn, clone_stack + sizeof clone_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &arg);
    check("clone(CLONE_VM|CLONE_VFORK) returns a pid", pid > 0);
    check("clone child ran before the parent resumed", clone_ran == 77);
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    check("clone child reaped with status 5", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5);
}

/* clone(CLONE_VM) without CLONE_VFORK: parent and child run at the same
 * time in the same memory; each waits for the other's flag. */
static volatile int parent_flag, child_flag;

static int concurrent_fn(void *arg)
{
    (void)arg;
    child_flag = 1;
    while (!parent_flag) {
    }
    return 3;
}

static void test_clone_concurrent(void)
{
    parent_flag = child_flag = 0;
    fflush(stdout);
    pid_t pid = clone(concurrent_fn, clone_stack + sizeof clone_stack, CLONE_VM | SIGCHLD, NULL);
    check("clone(CLONE_VM) returns at once with a pid", pid > 0);
    while (!child_flag) {
    }
    parent_flag = 1;
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    check("clone(CLONE_VM) child ran concurrently, status 3", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3);
}

struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static volatile uint64_t clone3_marker;

/* clone3 with CLONE_VM|CLONE_VFORK on the caller's stack: the child sets
 * the marker and exits at once (raw syscalls, no stack use). */
static long raw_clone3(struct clone_args_v0 *ca)
{
    long ret;
    __asm__ volatile(
        "mov $435, %%eax\n\t"
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "movq $99, (%%rdx)\n\t"
        "mov $60, %%eax\n\t"
        "mov $9, %%edi\n\t"
        "syscall\n\t"
        "1:\n\t"
        : "=a"(ret)
        : "D"(ca), "S"(sizeof *ca), "d"(&clone3_marker)
        : "rcx", "r11", "memory");
    return ret;
}

static void test_clone3(void)
{
    struct clone_args_v0 ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VM | CLONE_VFORK;
    ca.exit_signal = SIGCHLD;
    fflush(stdout);
    long pid = raw_clone3(&ca);
    if (pid == -ENOSYS) {
        /* an old host kernel; say the same as a passing run */
        printf("clone3 returns a pid: ok\nclone3 child ran first: ok\nclone3 child status 9: ok\n");
        return;
    }
    check("clone3 returns a pid", pid > 0);
    check("clone3 child ran first", clone3_marker == 99);
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    check("clone3 child status 9", w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
    /* CLONE_PARENT_SETTID, CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID */
    static volatile int ptid, ctid;
    ptid = 0;
    ctid = -1;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    ca.exit_signal = SIGCHLD;
    ca.parent_tid = (uintptr_t)&ptid;
    ca.child_tid = (uintptr_t)&ctid;
    fflush(stdout);
    pid = raw_clone3(&ca);
    check("clone3 CLONE_PARENT_SETTID: parent_tid == the child's pid", pid > 0 && ptid == pid);
    check("clone3 CLONE_CHILD_CLEARTID: child_tid is 0 after the child exits", ctid == 0);
    waitpid(pid, &st, 0);
    /* bad size */
    long r = syscall(SYS_clone3, &ca, 8);
    check("clone3 with size 8: EINVAL", r == -1 && errno == EINVAL);
}

static void test_no_children(void)
{
    int st;
    errno = 0;
    check("waitpid(-1) with no children: ECHILD", waitpid(-1, &st, 0) == -1 && errno == ECHILD);
    errno = 0;
    check("waitpid(WNOHANG) with no children: ECHILD", waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    self = argc > 0 ? argv[0] : "/proc/self/exe";
    if (argc >= 3 && !strcmp(argv[1], "exit"))
        return atoi(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "signal"))
        return mode_signal(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "chain"))
        return mode_chain(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "waitbyte"))
        return mode_waitbyte(atoi(argv[2]));
    if (argc >= 2 && !strcmp(argv[1], "reexec")) {
        printf("reexec: argc=%d argv[0]=%s argv[2]=%s\n", argc, argv[0], argc > 2 ? argv[2] : "-");
        return 7;
    }

    test_no_children();
    test_shared_memory();
    test_parent_suspended();
    test_exit_statuses();
    test_inheritance();
    test_chain();
    test_proc_self_exe();
    test_clone();
    test_clone3();
    test_clone_concurrent();
    return finish();
}
