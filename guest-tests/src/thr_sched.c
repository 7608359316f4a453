/*
 * thr_sched: scheduling calls and per-thread identity.
 *
 *   sched_getaffinity/sched_setaffinity on the caller and on another
 *   thread (by tid, and pthread_{get,set}affinity_np), the mask is the
 *   thread's own (main's is unchanged) and a new thread inherits its
 *   creator's; getcpu returns a CPU < nprocs that is in the mask;
 *   sched_yield returns 0; sched_getparam/sched_getscheduler on a thread;
 *   get_robust_list of another thread; membarrier; per-thread names
 *   (PR_SET_NAME, /proc/self/task/<tid>/comm); kill(tid) of a non-main
 *   thread is a process-directed signal; /proc/<tid> of a non-main
 *   thread and /proc/self/task/<tid>/stat and status.
 *
 * Prints relations (yes/no), never tids or CPU numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK_YES "yes"
#define CHECK_NO "NO"
#include "thr_check.h"

static int ncpu;
static volatile pid_t worker_tid;
static volatile int phase;
static volatile int worker_cpu_ok, worker_inherit_ok, worker_yield_ok;
static cpu_set_t worker_saw;
static volatile long worker_robust_head, worker_robust_len;

static void wait_phase(int p)
{
    while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) != p)
        usleep(1000);
}

static void set_phase(int p)
{
    __atomic_store_n(&phase, p, __ATOMIC_SEQ_CST);
}

static void *grandchild(void *arg)
{
    cpu_set_t *s = arg;
    CPU_ZERO(s);
    sched_getaffinity(0, sizeof *s, s);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = my_tid();
    prctl(PR_SET_NAME, "worker-thread");
    long head = 0;
    size_t len = 0;
    syscall(SYS_get_robust_list, 0, &head, &len);
    worker_robust_head = head;
    worker_robust_len = (long)len;
    set_phase(1);
    wait_phase(2); /* main pinned us to CPU 0 */
    CPU_ZERO(&worker_saw);
    sched_getaffinity(0, sizeof worker_saw, &worker_saw);
    /* Let the scheduler move us onto CPU 0, then ask. */
    int ok = 1;
    for (int i = 0; i < 20; i++) {
        unsigned cpu = 99, node = 99;
        sched_yield();
        if (syscall(SYS_getcpu, &cpu, &node, NULL) != 0 || cpu != 0)
            ok = 0;
    }
    worker_cpu_ok = ok;
    /* A thread started now inherits the pinned mask. */
    cpu_set_t g;
    pthread_t t;
    pthread_create(&t, NULL, grandchild, &g);
    pthread_join(t, NULL);
    worker_inherit_ok = CPU_COUNT(&g) == 1 && CPU_ISSET(0, &g);
    set_phase(3);
    wait_phase(4);
    return NULL;
}

static void read_file(const char *path, char *buf, size_t n)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    buf[r > 0 ? r : 0] = 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    prctl(PR_SET_NAME, "main-thread");

    /* The caller. */
    cpu_set_t all;
    CPU_ZERO(&all);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof all, &all);
    check("sched_getaffinity(0) returns a positive size, a multiple of 8", n > 0 && n % 8 == 0);
    check("the mask has at least one CPU", CPU_COUNT(&all) >= 1);
    unsigned cpu = 999, node = 999;
    check("getcpu returns 0", syscall(SYS_getcpu, &cpu, &node, NULL) == 0);
    check("getcpu: cpu < nprocs and in the mask", (int)cpu < ncpu && CPU_ISSET(cpu, &all));
    check("getcpu: node 0", node == 0);
    check("sched_getcpu agrees with nprocs", sched_getcpu() >= 0 && sched_getcpu() < ncpu);
    int y = 1;
    for (int i = 0; i < 1000; i++)
        if (sched_yield() != 0)
            y = 0;
    check("sched_yield returns 0 (1000 times)", y);
    check("sched_getaffinity with a size not a multiple of 8 is EINVAL",
          syscall(SYS_sched_getaffinity, 0, 5, &all) == -1 && errno == EINVAL);

    /* Another thread. */
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    wait_phase(1);
    cpu_set_t ws;
    CPU_ZERO(&ws);
    check("sched_getaffinity(worker tid) works", sched_getaffinity(worker_tid, sizeof ws, &ws) == 0);
    check("the worker starts with main's mask", CPU_EQUAL(&ws, &all));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    check("sched_setaffinity(worker tid, {0}) works", sched_setaffinity(worker_tid, sizeof one, &one) == 0);
    CPU_ZERO(&ws);
    pthread_getaffinity_np(t, sizeof ws, &ws);
    check("pthread_getaffinity_np(worker) shows {0}", CPU_COUNT(&ws) == 1 && CPU_ISSET(0, &ws));
    cpu_set_t mine;
    CPU_ZERO(&mine);
    sched_getaffinity(0, sizeof mine, &mine);
    check("main's own mask is unchanged", CPU_EQUAL(&mine, &all));
    int sp = -1;
    struct sched_param prm = { .sched_priority = 42 };
    /* Raw syscalls: musl's wrappers for these are stubs returning ENOSYS. */
    check("sched_getscheduler(worker) is SCHED_OTHER",
          (sp = syscall(SYS_sched_getscheduler, worker_tid)) == SCHED_OTHER);
    check("sched_getparam(worker) gives priority 0",
          syscall(SYS_sched_getparam, worker_tid, &prm) == 0 && prm.sched_priority == 0);
    check("sched_getparam of a nonexistent tid is ESRCH",
          syscall(SYS_sched_getparam, 999999, &prm) == -1 && errno == ESRCH);
    long head = -1;
    size_t len = 0;
    long r = syscall(SYS_get_robust_list, worker_tid, &head, &len);
    check("get_robust_list(worker tid) returns what the worker sees",
          r == 0 && head == worker_robust_head && (long)len == worker_robust_len);

    /* Another thread's CPU-time clock (a clockid that encodes its tid). */
    clockid_t cid;
    struct timespec cts;
    check("pthread_getcpuclockid(worker) and clock_gettime on it",
          pthread_getcpuclockid(t, &cid) == 0 && clock_gettime(cid, &cts) == 0);
    check("clock_getcpuclockid(getpid()) and clock_gettime on it",
          clock_getcpuclockid(getpid(), &cid) == 0 && clock_gettime(cid, &cts) == 0);

    /* Names are per thread. */
    char name[32] = "";
    prctl(PR_GET_NAME, name);
    check("PR_SET_NAME in a thread leaves main's name alone", strcmp(name, "main-thread") == 0);
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)worker_tid);
    read_file(path, buf, sizeof buf);
    check("/proc/self/task/<worker>/comm is the worker's name", strcmp(buf, "worker-thread\n") == 0);
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)getpid());
    read_file(path, buf, sizeof buf);
    check("/proc/self/task/<main>/comm is main's name", strcmp(buf, "main-thread\n") == 0);
    read_file("/proc/self/comm", buf, sizeof buf);
    check("/proc/self/comm is main's name", strcmp(buf, "main-thread\n") == 0);
    char got[32] = "";
    pthread_getname_np(t, got, sizeof got);
    check("pthread_getname_np(worker)", strcmp(got, "worker-thread") == 0);

    /* /proc views of a thread. */
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)worker_tid);
    read_file(path, buf, sizeof buf);
    check("/proc/self/task/<worker>/stat starts with the worker's tid", atoi(buf) == worker_tid);
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)worker_tid);
    read_file(path, buf, sizeof buf);
    char *pidl = strstr(buf, "\nPid:"), *tgid = strstr(buf, "\nTgid:");
    check("task/<worker>/status: Pid is the tid, Tgid the pid",
          pidl && tgid && atoi(pidl + 5) == worker_tid && atoi(tgid + 6) == getpid());
    snprintf(path, sizeof path, "/proc/%d/status", (int)worker_tid);
    check("/proc/<worker tid> exists (hidden, but reachable)", access(path, F_OK) == 0);
    check("kill(worker tid, 0) succeeds (a tid names its process)", kill(worker_tid, 0) == 0);

    set_phase(2);
    wait_phase(3);
    check("the pinned worker sees {0}", CPU_COUNT(&worker_saw) == 1 && CPU_ISSET(0, &worker_saw));
    check("the pinned worker runs on CPU 0 (getcpu, 20 times)", worker_cpu_ok);
    check("a thread created by the pinned worker inherits {0}", worker_inherit_ok);
    set_phase(4);
    pthread_join(t, NULL);

    check("sched_setaffinity with an empty mask is EINVAL", ({
              cpu_set_t e;
              CPU_ZERO(&e);
              sched_setaffinity(0, sizeof e, &e) == -1 && errno == EINVAL;
          }));
    check("membarrier(QUERY) succeeds", syscall(SYS_membarrier, 0, 0) >= 0);
    long q = syscall(SYS_membarrier, 0, 0);
    /* GET_REGISTRATIONS (where the kernel has it): the libc may have
     * registered already (musl's dynamic loader does); if it has not,
     * PRIVATE_EXPEDITED before MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED is
     * EPERM */
    long regs = q > 0 && (q & 512) ? syscall(SYS_membarrier, 512, 0) : -1;
    printf("membarrier registrations at first: %s\n",
           regs < 0 ? "not asked" : (regs & 16) ? "private expedited" : "none");
    if (regs >= 0 && !(regs & 16)) {
        errno = 0;
        check("membarrier private expedited before registering is EPERM",
              syscall(SYS_membarrier, 8, 0) == -1 && errno == EPERM);
    }
    errno = 0;
    check("membarrier with an unknown flag is EINVAL",
          syscall(SYS_membarrier, 0, 2) == -1 && errno == EINVAL);
    /* MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED then PRIVATE_EXPEDITED */
    if (q > 0 && (q & 16) && (q & 8))
        check("membarrier private expedited after registering",
              syscall(SYS_membarrier, 16, 0) == 0 && syscall(SYS_membarrier, 8, 0) == 0);
    else
        check("membarrier private expedited after registering", 1);
    check("membarrier registrations: private expedited", !(q & 512) || syscall(SYS_membarrier, 512, 0) == 16);
    return finish();
}
