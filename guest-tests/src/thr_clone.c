/*
 * thr_clone: raw clone(CLONE_THREAD) without the pthread library.
 *
 *   The libc clone() wrapper with a stack of our own: the new task's tid
 *   comes back in the return value, in *ptid (CLONE_PARENT_SETTID) and in
 *   *ctid (CLONE_CHILD_SETTID); at its exit *ctid is cleared and a futex
 *   waiter on it is woken (CLONE_CHILD_CLEARTID); getpid is shared and
 *   gettid is its own; set_tid_address returns the caller's tid; invalid
 *   flag combinations (CLONE_THREAD without CLONE_SIGHAND, CLONE_SIGHAND
 *   without CLONE_VM) are EINVAL; a thread without CLONE_FILES gets its
 *   own copy of the descriptor table (closing there leaves ours open);
 *   without CLONE_FS its own umask; an unknown-to-us flag combination
 *   with CLONE_SETTLS gives the thread the TLS pointer asked for
 *   (arch_prctl(ARCH_GET_FS) in the thread).
 *
 * The children only touch globals and make raw system calls (they run on
 * the parent's TLS unless CLONE_SETTLS). Exit 0 when everything holds.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHECK_YES "yes"
#define CHECK_NO "NO"
#include "thr_check.h"

#define FUTEX_WAIT 0
#define ARCH_GET_FS 0x1003

#define STACK (256 * 1024)
static char stacks[4][STACK] __attribute__((aligned(16)));

static volatile pid_t child_tid, child_pid, child_settid_ret;
static volatile long child_close_ret;
static volatile unsigned child_umask_seen;
static volatile unsigned long child_fs;
static volatile int child_done;

static const int THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

static int child_ids(void *arg)
{
    (void)arg;
    child_tid = (pid_t)syscall(SYS_gettid);
    child_pid = (pid_t)syscall(SYS_getpid);
    child_done = 1;
    return 0; /* the wrapper makes the exit system call */
}

/* Waits until the kernel clears *ctid (CLONE_CHILD_CLEARTID). */
static int wait_cleared(volatile pid_t *ctid)
{
    for (int i = 0; i < 5000; i++) {
        pid_t v = *ctid;
        if (v == 0)
            return 1;
        struct timespec ts = { 0, 1000000 };
        syscall(SYS_futex, ctid, FUTEX_WAIT, v, &ts, NULL, 0);
    }
    return 0;
}

static void test_ids(void)
{
    volatile pid_t ptid = 0, ctid = -1; /* -1 until the child starts */
    child_done = 0;
    int flags = THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    int tid = clone(child_ids, stacks[0] + STACK, flags, NULL, &ptid, NULL, &ctid);
    check("clone(CLONE_THREAD ...) returns a tid", tid > 0);
    int cleared = wait_cleared(&ctid);
    check("*ptid holds the tid (CLONE_PARENT_SETTID)", ptid == tid);
    check("the child ran: its gettid() is the returned tid", child_done && child_tid == tid);
    check("the child's getpid() is ours", child_pid == getpid());
    check("*ctid cleared and its futex woken at the child's exit (CLONE_CHILD_CLEARTID)", cleared);
    check("the thread is gone afterwards (tgkill: ESRCH)", ({
              int gone = 0;
              for (int i = 0; i < 1000 && !gone; i++) {
                  gone = syscall(SYS_tgkill, getpid(), tid, 0) == -1 && errno == ESRCH;
                  if (!gone)
                      usleep(1000);
              }
              gone;
          }));
}

static void test_bad_flags(void)
{
    errno = 0;
    int r = clone(child_ids, stacks[0] + STACK, CLONE_VM | CLONE_THREAD, NULL);
    check("CLONE_THREAD without CLONE_SIGHAND: EINVAL", r == -1 && errno == EINVAL);
    errno = 0;
    r = clone(child_ids, stacks[0] + STACK, CLONE_SIGHAND, NULL);
    check("CLONE_SIGHAND without CLONE_VM: EINVAL", r == -1 && errno == EINVAL);
}

static int fd_to_close;

static int child_closes(void *arg)
{
    (void)arg;
    child_close_ret = syscall(SYS_close, fd_to_close);
    child_umask_seen = (unsigned)syscall(SYS_umask, 0077);
    child_done = 1;
    return 0;
}

static void test_private_tables(void)
{
    fd_to_close = open("/dev/null", O_RDONLY);
    umask(022);
    volatile pid_t ctid = -1; /* -1 until the child starts */
    child_done = 0;
    int flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    int tid = clone(child_closes, stacks[1] + STACK, flags, NULL, NULL, NULL, &ctid);
    int cleared = tid > 0 && wait_cleared(&ctid);
    check("a thread without CLONE_FILES|CLONE_FS ran", cleared && child_done && child_close_ret == 0);
    check("its close() left our descriptor open (own copy of the table)", fcntl(fd_to_close, F_GETFD) != -1);
    mode_t mine = umask(022);
    check("it saw our umask", child_umask_seen == 022);
    check("its umask() did not change ours (own fs context)", mine == 022);
    close(fd_to_close);
}

static int child_tls(void *arg)
{
    (void)arg;
    unsigned long fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    child_fs = fs;
    child_done = 1;
    /* Exit here: the wrapper's epilogue may use TLS, which is fake. */
    syscall(SYS_exit, 0);
    return 0;
}

static void test_settls(void)
{
    static uint64_t fake_tcb[64] __attribute__((aligned(64)));
    fake_tcb[0] = (uint64_t)(uintptr_t)fake_tcb; /* x86-64: %fs:0 points to itself */
    volatile pid_t ctid = -1; /* -1 until the child starts */
    child_done = 0;
    int flags = THREAD_FLAGS | CLONE_SETTLS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    int tid = clone(child_tls, stacks[2] + STACK, flags, NULL, NULL, fake_tcb, &ctid);
    int cleared = tid > 0 && wait_cleared(&ctid);
    check("CLONE_SETTLS: the thread's FS base is the one asked for",
          cleared && child_done && child_fs == (unsigned long)(uintptr_t)fake_tcb);
    unsigned long fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    check("ours is unchanged", fs != (unsigned long)(uintptr_t)fake_tcb && fs != 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_ids();
    test_bad_flags();
    test_private_tables();
    test_settls();
    int dummy;
    pid_t t = (pid_t)syscall(SYS_set_tid_address, &dummy);
    check("set_tid_address returns the caller's tid", t == (pid_t)syscall(SYS_gettid));
    return finish();
}
