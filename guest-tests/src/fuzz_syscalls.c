/*
 * fuzz_syscalls: a fixed-seed syscall fuzzer. It must never crash or hang
 * the machine it runs on (nommu, or Linux itself).
 *
 *   fuzz_syscalls SEED COUNT [threads T] [edges] [quiet] [trace]
 *                       COUNT calls in this process, by T threads at once
 *                       (default 1; each has its own buffers, thread 0 resets
 *                       the shared descriptors now and then)
 *   fuzz_syscalls SEED COUNT spawn N [parallel P] [edges] [quiet] [trace]
 *                       N children (posix_spawn of /proc/self/exe), COUNT/N
 *                       calls each, P of them at a time (default 1); how each
 *                       one ended is counted (a child killed by a signal is
 *                       contained: the parent goes on)
 *   edges               the edge kinds below (near 2^64 and 2^47, the ends
 *                       of the process's memory, wrapping pointer + length
 *                       pairs) drawn about ten times as often
 *
 * Each call is syscall(nr, a1..a6) with nr drawn from 0..450 plus a few out
 * of range (-1, 512, 1000, 4096, 0x40000000|nr), and arguments drawn from
 * small ints, negative numbers and fds, huge lengths, NULL and other bad
 * pointers (1, 4095, page 0, 0xffffffffffff, kernel and non-canonical
 * addresses), pointers into a scratch buffer, at its end and misaligned.
 * Before each call the scratch buffer is refilled with values of the same
 * kinds, so structures the kernel reads through a pointer (iovecs, msghdrs,
 * timespecs, ...) are fuzzed too.
 *
 * Edge kinds (rarer without `edges`):
 *  - values near 2^64 and 2^47: 0xfffffffffffff000, ~0, ~0-1, 1<<63,
 *    (1<<63)-1, 0xfffffffffffffff0, ~0-4094 (rounds up to 0 when aligned to
 *    a page), 0x7ffffffff000 and 0x7fffffffffff (just under 2^47: beyond the
 *    last user page), 0x800000000000 (non-canonical) and the ends of the
 *    kernel half; as any argument.
 *  - pointer + length pairs side by side (buf, len at a[i], a[i+1]): a
 *    pointer into the scratch buffer, at its guard page or one of the edge
 *    values, with a length that makes ptr + len wrap past 2^64 (-ptr + k),
 *    end at or just past 2^47, end at the end of the memory region it
 *    points into, or small; the same pairs also as {base, len} in the
 *    scratch buffer (iovecs).
 *  - the ends of the process's memory: once, before fuzzing (every thread
 *    and buffer exists), /proc/self/maps is read into a fixed table (under
 *    nommu it lists the process's share of the one arena), and for every
 *    region start, start-1, start-4096, end, end-1 and end-4096 are kept.
 *    Each is probed (a one-byte write from it into a pipe): one that faults
 *    and lies inside one of the process's own regions is a guard page (the
 *    stack's, a thread stack's, the buffers' below) and stays one, so it
 *    may be any argument, like the bad pointers. Every other one is memory
 *    the fuzzer cannot afford to have written (its code, data, stack; under
 *    nommu other processes' memory; natively a gap a later mmap may fill):
 *    it is used, with small, huge and wrapping lengths, only as the buffer
 *    of calls that merely read it or look it up: write, pwrite64, writev,
 *    pwritev(2), sendto (the data) and mincore (the address).
 *  - memory calls (below): lengths that wrap past 2^64 once rounded up to a
 *    page, at addresses in or next to the mapping buffer.
 *
 * The same sequence is not reproducible across kernels (results feed the
 * fd set, files come and go), so this is no differential test: the checks
 * are that it finishes ("fuzz_syscalls: done N calls"), and that no call
 * returned an errno Linux never returns (ERESTART* and friends: anomalies).
 * Its memory must also stay its own, or it stops at once with status 4
 * ("LOST MEMORY", naming the call), since it would then write into memory
 * that may be handed to someone else: no mmap or mremap may return memory
 * it had before fuzzing (outside its mapping buffers), and after every
 * memory call every thread's scratch buffer and the guard pages around its
 * mapping buffer must still be mapped (mprotect of them succeeds; no call
 * ever touches them). Natively neither can happen; under nommu a memory
 * call with a wrapping length that unmaps what lies above does this.
 *
 * What it must not do, because it would end or derail the fuzzer itself
 * or harm the host it runs on natively (as root, in CI):
 *  - exit, exit_group, rt_sigreturn, execve(at), fork/vfork/clone(3),
 *    reboot, ptrace, seccomp, personality, alarm/timer_*: never called. An
 *    interval timer + SIGALRM handler stay armed so that every blocking call
 *    ends with EINTR: rt_sigaction never changes a signal the fuzzer
 *    handles and installs only SIG_DFL/SIG_IGN, rt_sigprocmask and the
 *    masks of rt_sigsuspend/ppoll/pselect6/epoll_pwait never block SIGALRM,
 *    setitimer never touches ITIMER_REAL, kill and friends send only
 *    handled signals and only to the fuzzer itself, setrlimit/prlimit64
 *    leave RLIMIT_CPU, RLIMIT_FSIZE and RLIMIT_STACK alone (and the others
 *    are put back now and then). With threads, each SIGALRM is passed on
 *    to the other threads (SIGWINCH), and set_tid_address/set_robust_list
 *    stay libc's (pthread_join depends on them).
 *  - munmap/mremap/mprotect/madvise/brk/msync/mlock/mmap(MAP_FIXED)...:
 *    only on a buffer mapped for that purpose (in one flat arena they could
 *    destroy the fuzzer's own code and stack), with a length that ends
 *    inside it; or at an address inside or next to it (the guard pages
 *    around it, the page beyond them, its last byte), or a bad one, with a
 *    length L such that start + PAGE_ALIGN(L) wraps past 2^64, or
 *    PAGE_ALIGN(L) is 0 (mlock rounds start down and adds its offset to L
 *    first; that is accounted for). Linux rejects every such call before it
 *    touches a page: munmap, mremap and mmap see a length beyond TASK_SIZE
 *    (EINVAL, ENOMEM), mprotect, madvise, msync, mlock, mbind see end <=
 *    start (ENOMEM, EINVAL, or nothing to do). A huge length that does NOT
 *    wrap is never used there: munmap(buf, 1<<46) would natively unmap
 *    everything above buf (it is below TASK_SIZE, and on a 5-level-paging
 *    host so is 1<<47), and mprotect/madvise(buf, 1<<63) do not stop at
 *    TASK_SIZE: they change every mapping from buf up to the first hole
 *    (madvise even past holes), before returning ENOMEM. nommu must reject
 *    these calls as well, without destroying anything.
 *  - paths: only a fixed set of names inside its own fresh working
 *    directory (plus a few read-only /proc ones); random bytes are never a
 *    path (they could spell "/" or "..").
 *  - fds 0, 1 and 2 are files in that directory; the real stdout and stderr
 *    live at fds 777 and 778, which are never drawn.
 *  - the host: no mount/swap/module/clock/hostname/syslog/keyring/SysV IPC/
 *    mqueue/bpf/perf/fanotify/userfaultfd/io_uring/aio/pidfd calls; sockets
 *    are AF_UNIX only; ioctl and fcntl commands and prctl/arch_prctl options
 *    from lists of harmless ones; no real-time scheduling; mknod makes no
 *    device nodes; RLIMIT_FSIZE keeps files at 16 MiB.
 * The scratch buffer is followed by 72 KiB of slack (zeroed before each
 * call) so that medium lengths (<= 8192, or 8192 elements of a small
 * struct) stay inside it, and then by a PROT_NONE guard page: a length
 * drawn from the flag-ish values (up to 2 GiB) runs into it, and the call
 * fails with EFAULT or stops there (under nommu as natively: the host MMU
 * makes PROT_NONE real) instead of writing over the next allocation. Huge
 * lengths (>= 2 GiB) are more than nommu's arena holds and fail with
 * EFAULT there.
 * The fuzzer allocates no memory once fuzzing has started (no malloc, no
 * stdio): a hole a fuzzed munmap leaves in its mapping buffer may be
 * reused by any allocation, and then unmapped again by the next one.
 *
 * Natively the fuzzer may drop its privileges (setuid) and then cannot
 * remove its working directory; the caller removes what is left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define NR_MAX 450
#define OUT_FD 777 /* the real stdout */
#define ERR_FD 778 /* the real stderr */
#define RESET_EVERY 128
#define RARE_EVERY 2048
#define WINDOW 10000

#define REFILL 4096       /* random words, then the path strings */
#define STR_OFF 3072      /* path strings live in [STR_OFF, REFILL) */
#define SLACK (72 * 1024) /* zeroed before each call */
#define LONG_OFF (REFILL + 8192)
#define LONG_LEN 5000 /* a path longer than PATH_MAX */
#define SCRATCH_LEN (REFILL + SLACK)
#define MAPBUF_PAGES 256
#define MAPBUF_LEN (MAPBUF_PAGES * 4096UL)

static long raw6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* ---- output (to the saved stdout/stderr, without stdio) ---- */

static int out_fd = 1, err_fd = 2;

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static __thread char line[1024];
#define say(...) (snprintf(line, sizeof line, __VA_ARGS__), put(out_fd, line))
#define complain(...) (snprintf(line, sizeof line, __VA_ARGS__), put(err_fd, line))

/* ---- the PRNG (splitmix64) ---- */

static __thread uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return rnd() % n;
}

#define PICK(arr) ((arr)[below(sizeof(arr) / sizeof((arr)[0]))])

/* ---- what may be called, and how ---- */

enum { OK = 0, EXCL = 1, RARE = 2 };
static unsigned char policy[NR_MAX + 1];
static unsigned char pathargs[NR_MAX + 1];   /* bit i: argument i is a path */
static unsigned char targetargs[NR_MAX + 1]; /* bit i: argument i is a symlink target */

static const short excluded[] = {
    15, 37, 222, 223, 224, 225, 226,   /* rt_sigreturn, alarm, timer_* */
    56, 57, 58, 59, 322, 435,          /* clone, fork, vfork, execve, execveat, clone3 */
    60, 231, 424,                      /* exit, exit_group, pidfd_send_signal */
    101, 103, 135, 141, 151,           /* ptrace, syslog, personality, setpriority, mlockall */
    153, 155, 159, 161, 163,           /* vhangup, pivot_root, adjtimex, chroot, acct */
    164, 165, 166, 167, 168, 169,      /* settimeofday, mount, umount2, swapon, swapoff, reboot */
    170, 171, 172, 173, 175, 176, 179, /* sethostname, setdomainname, iopl, ioperm, modules, quotactl */
    205, 206, 207, 208, 209, 210, 333, /* set_thread_area, aio */
    227, 246, 320, 248, 249, 250, 251, /* clock_settime, kexec*, keys, ioprio_set */
    29, 30, 31, 64, 65, 66, 67, 68, 69, 70, 71, 220, /* SysV IPC */
    240, 241, 242, 243, 244, 245,      /* POSIX message queues */
    256, 279, 272, 308, 298, 300, 301, /* migrate/move_pages, unshare, setns, perf, fanotify */
    303, 304, 305, 310, 311, 313,      /* handles, clock_adjtime, process_vm, finit_module */
    314, 317, 321, 323, 334,           /* sched_setattr, seccomp, bpf, userfaultfd, rseq */
    335, 336,                          /* uretprobe, uprobe: SIGILL unless called from their trampolines */
    425, 426, 427, 428, 429, 430, 431, 432, 433, 434, /* io_uring, mount API, pidfd_open */
    438, 440, 442, 443, 446, 448,      /* pidfd_getfd, process_madvise, mount_setattr, quotactl_fd,
                                          landlock_restrict_self, process_mrelease */
};
static const short rare[] = {74, 75, 162, 277, 306}; /* fsync, fdatasync, sync, sync_file_range, syncfs */

static const struct {
    short nr;
    unsigned char paths, targets;
} path_table[] = {
    {2, 1, 0},   {4, 1, 0},   {6, 1, 0},   {21, 1, 0},   {76, 1, 0},   {80, 1, 0},   {82, 3, 0},
    {83, 1, 0},  {84, 1, 0},  {85, 1, 0},  {86, 3, 0},   {87, 1, 0},   {88, 2, 1},   {89, 1, 0},
    {90, 1, 0},  {92, 1, 0},  {94, 1, 0},  {132, 1, 0},  {133, 1, 0},  {134, 1, 0},  {137, 1, 0},
    {188, 1, 0}, {189, 1, 0}, {191, 1, 0}, {192, 1, 0},  {194, 1, 0},  {195, 1, 0},  {197, 1, 0},
    {198, 1, 0}, {235, 1, 0}, {254, 2, 0}, {257, 2, 0},  {258, 2, 0},  {259, 2, 0},  {260, 2, 0},
    {261, 2, 0}, {262, 2, 0}, {263, 2, 0}, {264, 10, 0}, {265, 10, 0}, {266, 4, 1},  {267, 2, 0},
    {268, 2, 0}, {269, 2, 0}, {280, 2, 0}, {316, 10, 0}, {332, 2, 0},  {437, 2, 0},  {439, 2, 0},
};

static void init_tables(void)
{
    for (size_t i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
        policy[excluded[i]] = EXCL;
    for (size_t i = 0; i < sizeof rare / sizeof rare[0]; i++)
        policy[rare[i]] = RARE;
    for (size_t i = 0; i < sizeof path_table / sizeof path_table[0]; i++) {
        pathargs[path_table[i].nr] = path_table[i].paths;
        targetargs[path_table[i].nr] = path_table[i].targets;
    }
}

/* ---- memory the fuzzer hands out ---- */

/* Each fuzzing thread has its own scratch buffer, mapping buffer, PRNG. */
static __thread unsigned char *scratch; /* REFILL + SLACK bytes (+ a guard page natively) */
static __thread unsigned char *mapbuf;  /* the only target of munmap/mprotect/...; guard pages around */

/* Read-only data for sanitized arguments; no other argument points here. */
static uint64_t emptymask[2];
static struct {
    const void *ss;
    size_t len;
} psel = {emptymask, 8};
static const struct timespec zero_ts; /* an absolute time long past */
static uint64_t handled_mask;           /* bit sig-1: the fuzzer's handlers */
static uint64_t never_blocked;          /* SIGALRM and the forwarding signal */
static __thread uint64_t fuzz_mask;     /* what rt_sigprocmask may install */
static __thread struct {
    uint64_t handler, flags, restorer, mask;
} fuzz_act;
static __thread struct {
    uint64_t sp;
    int flags;
    uint64_t size;
} fuzz_ss;
static unsigned char altstack[65536];
static __thread uint64_t robust_head; /* what set_robust_list last installed */
static uint64_t my_pid;
static __thread uint64_t my_tid;

/* threads mode: every SIGALRM is passed on to the other fuzzing threads
   (a process-directed signal interrupts only one of them). */
#define MAXTHREADS 8
static int nthreads = 1, fwd_sig;
static volatile int thread_tids[MAXTHREADS];
static struct sockaddr_un sun_rel = {AF_UNIX, "fz_sock"};
static struct sockaddr_un sun_abs = {AF_UNIX, "\0fz_abstract"};

static const char *const names[] = {
    "fz_a", "fz_b", "fz_dir", "fz_dir/fz_c", "fz_fifo", "fz_link", "", "fz_a/", "fz_dir/fz_sub", "fz_sock",
    /* not symlink targets from here on */
    ".", "/proc/self/status", "/proc/self/maps", "/nonexistent/fz",
};
#define N_TARGETS 10
static uint32_t name_off[sizeof names / sizeof names[0] + 1]; /* + the 300-char name */

static const uint64_t small_vals[] = {0,   1,   2,   3,   4,   5,   6,    7,    8,    9,    10,   11,   12,
                                      13,  14,  15,  16,  17,  31,  32,   33,   63,   64,   100,  127,  128,
                                      255, 256, 511, 512, 1000, 1023, 1024, 4095, 4096, 4097, 8191, 8192};
static const uint64_t neg_vals[] = {(uint64_t)-1,    (uint64_t)-2,     (uint64_t)-3,     (uint64_t)-4,
                                    (uint64_t)-100,  (uint64_t)-4095,  (uint64_t)-4096,  (uint64_t)-8192,
                                    0xffffffff80000000ULL, 0xffffffffULL, 0x80000000ULL, 0x8000000000000000ULL};
static const uint64_t huge_vals[] = {UINT64_MAX,         1ULL << 40,          1ULL << 32,
                                     0x7fffffffULL,      0x80000000ULL,       0xffffffffULL,
                                     0x7fffffffffffffffULL, 0xfffffffffffff000ULL, (1ULL << 32) + 8,
                                     1ULL << 63,         0x7ffff000ULL,       0x100000000000ULL};
static const uint64_t len_vals[] = {0, 1, 2, 7, 8, 15, 16, 64, 100, 128, 256, 512, 1024, 4095, 4096, 4097, 8192};
static const uint64_t bad_ptrs[] = {0,
                                    1,
                                    8,
                                    4095,
                                    4096,
                                    0x1000000,
                                    0xffffffffffffULL,
                                    0x7fffffffffffULL,
                                    0x800000000000ULL,
                                    0xffff800000000000ULL,
                                    0xffffffffff600000ULL,
                                    0xfffffffffffff000ULL,
                                    UINT64_MAX,
                                    0xdead000000000000ULL};
static const uint32_t scratch_offs[] = {0,    8,    16,   24,   32,   48,   64,   128,  256,  512, 1024, 2048,
                                        3000, 4032, 4080, 4088, 4095, 4096, 1,    3,    5,    7,   13,   4093};

static int basefds[24];
static int nbasefds;

/* ---- edges: near 2^64 and 2^47, the ends of the process's memory ---- */

static int edges; /* the `edges` word: the kinds below about ten times as often */

/* Per 100 draws: an edge value instead of a gen_arg kind; a wrapping pair
   in a call; a region end as the buffer of a call that only reads it; an
   edge address + wrapping length in a memory call. */
#define EDGE_PCT(normal, heavy) (edges ? (heavy) : (normal))

static const uint64_t edge_vals[] = {
    0xfffffffffffff000ULL, UINT64_MAX,           UINT64_MAX - 1,        1ULL << 63,
    (1ULL << 63) - 1,      0xfffffffffffffff0ULL, UINT64_MAX - 4094,     0xffffffffffffe000ULL,
    0x7ffffffff000ULL,     0x7fffffffffffULL,     0x800000000000ULL,     0x7ffffffff001ULL,
    0xffff7fffffffffffULL, 0xffff800000000000ULL, 0x8000000000000fffULL, (1ULL << 63) + 4096,
};

/* The process's memory regions, as /proc/self/maps listed them before
   fuzzing, and their ends (see the top): `any_bounds` fault and stay
   faulting (guard pages of the process's own), any argument may be one;
   `ro_bounds` are everything else, only for what the kernel merely reads. */
#define MAXREGIONS 256
static uint64_t regions[MAXREGIONS][2];
static int nregions;
#define MAXBOUNDS (MAXREGIONS * 6)
static uint64_t any_bounds[MAXBOUNDS], ro_bounds[MAXBOUNDS];
static int n_any, n_ro;

static int own_memory(uint64_t v)
{
    for (int i = 0; i < nregions; i++)
        if (v >= regions[i][0] && v < regions[i][1])
            return 1;
    return 0;
}

static void add_bound(uint64_t *set, int *n, uint64_t v)
{
    for (int i = 0; i < *n; i++)
        if (set[i] == v)
            return;
    if (*n < MAXBOUNDS)
        set[(*n)++] = v;
}

/* Does the kernel read a byte at v? (A write of it into a pipe.) */
static int readable(const int *pfd, uint64_t v)
{
    long r = raw6(SYS_write, pfd[1], (long)v, 1, 0, 0, 0);
    if (r == 1) {
        char c;
        while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
            ;
        return 1;
    }
    return r != -EFAULT; /* anything but EFAULT: taken as readable */
}

/* Reads /proc/self/maps once (open/read into a static buffer) and sorts
   the ends of every region into the two sets. Called when every thread
   and buffer exists, before fuzzing. */
static void read_bounds(void)
{
    static char buf[65536];
    size_t n = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (n < sizeof buf - 1) {
            ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            n += (size_t)r;
        }
        close(fd);
    }
    buf[n] = 0;
    for (char *p = buf; *p && nregions < MAXREGIONS;) {
        char *end;
        uint64_t start = strtoull(p, &end, 16);
        if (*end == '-') {
            uint64_t stop = strtoull(end + 1, &end, 16);
            if (stop > start) {
                regions[nregions][0] = start;
                regions[nregions][1] = stop;
                nregions++;
            }
        }
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    int pfd[2];
    if (pipe2(pfd, O_NONBLOCK | O_CLOEXEC) != 0)
        return; /* no ends then: the other kinds still run */
    for (int i = 0; i < nregions; i++) {
        uint64_t s = regions[i][0], e = regions[i][1];
        const uint64_t v[] = {s, s - 1, s - 4096, e, e - 1, e - 4096};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            if (own_memory(v[k]) && !readable(pfd, v[k]))
                add_bound(any_bounds, &n_any, v[k]);
            else
                add_bound(ro_bounds, &n_ro, v[k]);
        }
    }
    close(pfd[0]);
    close(pfd[1]);
}

/* The end of the region p lies in (scratch's own end for scratch
   pointers), or 0. */
static uint64_t region_end(uint64_t p)
{
    uint64_t s = (uint64_t)scratch;
    if (p >= s && p < s + SCRATCH_LEN)
        return s + SCRATCH_LEN;
    for (int i = 0; i < nregions; i++)
        if (p >= regions[i][0] && p < regions[i][1])
            return regions[i][1];
    return 0;
}

/* A length for a buffer at p: ptr + len wraps past 2^64 (or just reaches
   it), ends at or just past 2^47 or the end of p's region, an edge value,
   or small. Only ever paired with a pointer whose writes are harmless (see
   the top): the scratch buffer stops them at its guard page. */
static uint64_t edge_len(uint64_t p)
{
    static const int64_t k[] = {0, 1, 2, 16, 4095, 4096, 4097, -1, -4096};
    static const uint64_t small[] = {0, 1, 2, 8, 16, 4095, 4096, 4097};
    switch (below(6)) {
    case 0:
    case 1:
        return (uint64_t)0 - p + (uint64_t)PICK(k);
    case 2:
        return 0x800000000000ULL - p + (uint64_t)PICK(k);
    case 3: {
        uint64_t e = region_end(p);
        if (e)
            return e - p + (uint64_t)PICK(k);
        return PICK(edge_vals);
    }
    case 4:
        return PICK(edge_vals);
    default:
        return PICK(small);
    }
}

/* A pointer whose every write is harmless: an edge value, a guard page of
   the process's own, the scratch buffer's end (its slack's last byte, its
   guard page), or any scratch pointer. */
static uint64_t scratch_ptr(void);
static uint64_t edge_ptr(void)
{
    static const int64_t d[] = {-1, 0, 1, 4095};
    switch (below(8)) {
    case 0:
    case 1:
        return PICK(edge_vals);
    case 2:
    case 3:
        if (n_any)
            return any_bounds[below(n_any)];
        /* fall through */
    case 4:
        return (uint64_t)(scratch + SCRATCH_LEN) + (uint64_t)PICK(d);
    default:
        return scratch_ptr();
    }
}

/* An edge value as any argument: never memory the fuzzer needs. */
static uint64_t gen_edge(void)
{
    if (below(3) == 0 && n_any)
        return any_bounds[below(n_any)];
    return PICK(edge_vals);
}

static uint64_t scratch_ptr(void)
{
    if (below(4) == 0)
        return (uint64_t)(scratch + below(REFILL + 1));
    return (uint64_t)(scratch + PICK(scratch_offs));
}

static uint64_t gen_fd(void)
{
    switch (below(10)) {
    case 0:
        return PICK(neg_vals);
    case 1: {
        static const uint64_t odd[] = {0, 1023, 1024, 4095, 1 << 20, 0x7fffffff, 0xffffffff00000003ULL, 65535};
        return PICK(odd);
    }
    case 2:
    case 3:
        return 3 + below(40);
    default:
        return nbasefds ? (uint64_t)basefds[below(nbasefds)] : 3;
    }
}

static uint64_t gen_arg(void)
{
    if (below(100) < EDGE_PCT(4, 35))
        return gen_edge();
    uint64_t r = below(100);
    if (r < 20)
        return PICK(small_vals);
    if (r < 28)
        return PICK(neg_vals);
    if (r < 36)
        return PICK(huge_vals);
    if (r < 56)
        return scratch_ptr();
    if (r < 62)
        return PICK(bad_ptrs);
    if (r < 76)
        return gen_fd();
    if (r < 86) { /* flag-ish bits */
        uint64_t v = 0;
        int n = (int)below(4);
        for (int i = 0; i <= n; i++)
            v |= 1ULL << below(32);
        return v;
    }
    if (r < 90)
        return 0xffffffff00000000ULL | PICK(small_vals);
    if (r < 94)
        return PICK(len_vals);
    return rnd() | 0x8000000000000000ULL; /* never a user address */
}

/* Nothing drawn may name the saved stdout/stderr (fds use the low 32 bits). */
static uint64_t not_saved_fd(uint64_t v)
{
    uint32_t lo = (uint32_t)v;
    return lo == OUT_FD || lo == ERR_FD ? v ^ 0x400 : v;
}

/* A word for the scratch buffer: like an argument, never an fd of 777/778. */
static uint64_t gen_word(void)
{
    uint64_t r = below(100);
    if (r < 6) /* a short timespec or iovec-ish pair half */
        return below(1000000);
    if (r < 10) {                                     /* lower-case text: never '/' or '.' */
        uint64_t v = 0;
        for (int i = 0; i < 7; i++)
            v |= (uint64_t)('a' + below(26)) << (8 * i);
        return v;
    }
    return not_saved_fd(gen_arg());
}

static void refill(void)
{
    uint64_t *w = (uint64_t *)scratch;
    for (int i = 0; i < STR_OFF / 8; i++)
        w[i] = gen_word();
    /* A few {seconds, nanoseconds} pairs at 16-byte boundaries: timespecs
       and timevals the kernel accepts, some of them absurdly long. */
    static const uint64_t secs[] = {0, 0, 1, 1000, 0x7fffffff, 0x7fffffffffffffffULL, 1ULL << 40, 0x100000000ULL};
    for (int k = 0; k < 8; k++) {
        int i = (int)below(STR_OFF / 16) * 2;
        w[i] = PICK(secs);
        w[i + 1] = below(4) ? below(1000) : below(1000000000);
    }
    /* {base, len} pairs (iovecs) whose end wraps or lies at an edge. */
    for (int k = 0, n = EDGE_PCT(1, 8); k < n; k++) {
        int i = (int)below(STR_OFF / 16) * 2;
        w[i] = not_saved_fd(edge_ptr());
        w[i + 1] = not_saved_fd(edge_len(w[i]));
    }
    unsigned char *s = scratch + STR_OFF;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]) + 1;
        memcpy(s, names[i], n);
        s += n;
    }
    memset(s, 'a', 300);
    s[300] = 0;
    memset(s + 301, 0, (size_t)(scratch + REFILL - (s + 301)));
    memset(scratch + REFILL, 0, SLACK);
    memset(scratch + LONG_OFF, 'a', LONG_LEN);
}

static void init_name_offsets(void)
{
    uint32_t off = STR_OFF;
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        name_off[i] = off;
        off += (uint32_t)strlen(names[i]) + 1;
    }
    name_off[i] = off; /* the 300-char component */
}

static uint64_t gen_path(int target)
{
    uint64_t r = below(100);
    if (r < 80) {
        size_t n = target ? N_TARGETS : sizeof names / sizeof names[0];
        return (uint64_t)(scratch + name_off[below(n)]);
    }
    if (r < 86)
        return (uint64_t)(scratch + name_off[sizeof names / sizeof names[0]]); /* 300 chars */
    if (r < 90)
        return (uint64_t)(scratch + LONG_OFF); /* 5000 chars */
    return PICK(bad_ptrs);
}

static uint64_t gen_mask_ptr(void)
{
    switch (below(4)) {
    case 0:
        return 0;
    case 1:
        return PICK(bad_ptrs);
    default:
        return (uint64_t)emptymask;
    }
}

static uint64_t gen_count(void)
{
    static const uint64_t v[] = {0,          1,          100,        4096,
                                 8192,       0x7ffff000, UINT64_MAX, 0x80000000,
                                 1ULL << 63, (1ULL << 63) - 1, UINT64_MAX - 4094, 0xfffffffffffff000ULL};
    return PICK(v);
}

static uint64_t gen_filesize(void)
{
    static const uint64_t v[] = {0,       1,          100,          4096,
                                 65536,   1 << 20,    (uint64_t)-1, 0x7fffffffffffffffULL,
                                 1ULL << 40, 1ULL << 63, UINT64_MAX - 4094};
    return PICK(v);
}

/* Does start + PAGE_ALIGN(len) wrap past 2^64, or PAGE_ALIGN(len) round
   up to 0? Then every Linux memory call rejects [start, start+len) before
   touching a page (see the top). The way mlock computes it, which rounds
   start down and adds the offset to len first (in 64 bits), covers the
   others too: with a page-aligned start the two agree, and with an
   unaligned one the others fail with EINVAL first. */
static int wraps(uint64_t start, uint64_t len)
{
    uint64_t off = start & 4095, s0 = start - off;
    uint64_t pa = (len + off + 4095) & ~4095ULL; /* mod 2^64, as the kernel */
    return pa == 0 || pa > UINT64_MAX - s0;
}

/* A length that wraps from start (see wraps()). */
static uint64_t wrap_len(uint64_t start)
{
    static const uint64_t huge[] = {UINT64_MAX,        UINT64_MAX - 1,        0xfffffffffffffff0ULL,
                                    UINT64_MAX - 4094, 0xfffffffffffff000ULL, 0xffffffffffffe000ULL};
    static const int64_t k[] = {0, 1, 4095, 4096, 4097, 8192, MAPBUF_LEN, 1 << 20, -1, -2, -4095, -4096};
    for (int t = 0; t < 4; t++) {
        uint64_t len = below(2) ? PICK(huge) : (uint64_t)0 - start + (uint64_t)PICK(k);
        if (wraps(start, len))
            return len;
    }
    return (uint64_t)0 - start; /* start + len == 2^64 */
}

/* An address inside mapbuf and a length that ends inside it too; or (when
   `edge`) an address inside or next to mapbuf with a length that wraps
   (wrap_len: a no-op natively, whatever lies there); or a bad address with
   a harmless length. */
static void mm_range(uint64_t *a, int ai, int li, int edge)
{
    if (edge && below(100) < EDGE_PCT(10, 50)) {
        uint64_t m = (uint64_t)mapbuf, end = m + MAPBUF_LEN;
        const uint64_t near[] = {m - 4096, m - 8192, m - 1, m, end - 4096, end - 1, end, end + 4096, end + 8192};
        uint64_t s = below(3) ? PICK(near) : m + below(MAPBUF_PAGES) * 4096;
        a[ai] = s;
        a[li] = wrap_len(s);
        if (!wraps(a[ai], a[li])) /* cannot happen: but never a length that does not wrap here */
            a[li] = 0;
        return;
    }
    if (below(10) < 8) {
        uint64_t off = below(MAPBUF_PAGES) * 4096;
        if (below(8) == 0)
            off += 1 + below(4095);
        uint64_t room = MAPBUF_LEN - off, len;
        switch (below(5)) {
        case 0:
            len = 0;
            break;
        case 1:
            len = 1;
            break;
        case 2:
            len = 4096;
            break;
        case 3:
            len = room;
            break;
        default:
            len = below(room + 1);
        }
        a[ai] = (uint64_t)(mapbuf + off);
        a[li] = len > room ? room : len;
    } else {
        static const uint64_t bad[] = {0, 1, 4095, 0xffff800000000000ULL, 0xdead000000000000ULL, UINT64_MAX};
        static const uint64_t lens[] = {0, 1, 4096, UINT64_MAX};
        a[ai] = PICK(bad);
        a[li] = PICK(lens);
        if (edge && below(2))
            a[li] = wrap_len(a[ai]);
    }
}

static int in_mapbuf(uint64_t p)
{
    return p >= (uint64_t)mapbuf && p < (uint64_t)mapbuf + MAPBUF_LEN;
}

static const long fcntl_cmds[] = {0,  1,  2,  3,    4,    5,    6,    7,    9,    10,   11,   16,   36,  37,
                                  38, -1, 9999, 1024, 1025, 1026, 1027, 1030, 1031, 1032, 1033, 1034, 1035,
                                  1036, 1037, 1038, 0x7fffffff};
static const uint64_t ioctl_cmds[] = {0x5401, 0x5413,     0x541B,     0x5421,     0x5450,     0x5451,
                                      0x5452, 0x540F,     0x5411,     0x5429,     0x5460,     2,
                                      0,      0x80086601, 0x80087601, 0x80045430, 0xffffffff, 0xdeadbeef,
                                      0x12345678};
static const uint64_t arch_prctl_codes[] = {0x1003, 0x1004, 0x1011, 0x1021, 0x1022, 0x1024, 0, 0x9999, UINT64_MAX};

/* Makes the call harmless to the fuzzer and to the host (see the top). */
static void sanitize(long nr, uint64_t *a)
{
    for (int i = 0; i < 6; i++)
        if (pathargs[nr] & (1 << i))
            a[i] = gen_path(targetargs[nr] & (1 << i));
    switch (nr) {
    case 9: { /* mmap */
        const uint64_t fixed = MAP_FIXED | MAP_FIXED_NOREPLACE;
        if (below(3) == 0)
            a[3] = (below(2) ? MAP_PRIVATE : MAP_SHARED) | (below(2) ? MAP_ANONYMOUS : 0) | (a[3] & 0xffff00);
        if (a[3] & fixed) {
            mm_range(a, 0, 1, 1);
            if (a[0] == 0) /* never a mapping at page 0: NULL must stay bad */
                a[0] = 0xffff800000000000ULL;
        } else {
            /* Never a length near 2^47: on a 5-level-paging host it could
               succeed (with MAP_NORESERVE) and be huge. */
            static const uint64_t lens[] = {0,          1,          4096,       8192,
                                            65536,      1 << 20,    1 << 22,    1ULL << 40,
                                            UINT64_MAX, 0x7fffffff, 0x80000000, 1ULL << 63,
                                            (1ULL << 63) - 1, UINT64_MAX - 4094, 0xfffffffffffff000ULL};
            a[1] = PICK(lens);
            /* A low hint could map page 0 (nommu's CI hosts allow it:
               vm.mmap_min_addr=0), and then NULL is a valid pointer. */
            if (a[0] < (1 << 20))
                a[0] = 0;
        }
        if (a[1] > (1 << 20))
            a[3] &= ~(uint64_t)(MAP_POPULATE | MAP_LOCKED);
        break;
    }
    case 28: /* madvise: never MADV_HWPOISON or MADV_SOFT_OFFLINE (as root they take RAM away) */
        if (a[2] == 100 || a[2] == 101)
            a[2] = 4;
        /* fall through */
    case 10:  /* mprotect */
    case 11:  /* munmap */
    case 26:  /* msync */
    case 216: /* remap_file_pages */
    case 237: /* mbind */
    case 329: /* pkey_mprotect */
    case 450: /* set_mempolicy_home_node */
    case 149: /* mlock: populates what it locks (as root: no limit) */
    case 325: /* mlock2 */
        mm_range(a, 0, 1, 1);
        break;
    case 25: { /* mremap: a wrapping old length is EINVAL before anything moves */
        mm_range(a, 0, 1, 1);
        static const uint64_t lens[] = {0, 4096, 8192, 1 << 20, 1ULL << 40, UINT64_MAX};
        a[2] = PICK(lens);
        a[3] = below(8) | (below(4) == 0 ? 0x8000 : 0);
        if (a[3] & MREMAP_FIXED) {
            uint64_t tmp[2];
            mm_range(tmp, 0, 1, 0); /* the target is unmapped first: never next to mapbuf */
            a[4] = tmp[0] ? tmp[0] : 0xffff800000000000ULL;
            if (in_mapbuf(tmp[0]) && a[2] > tmp[1])
                a[2] = tmp[1];
            if (!in_mapbuf(tmp[0]))
                a[2] = 4096;
        }
        break;
    }
    case 12: /* brk: never below the break (static glibc keeps the main thread's TLS there); the edge
                values all lie above it */
        if (below(3) == 0)
            a[0] = 0;
        else if (below(2))
            a[0] = (uint64_t)(mapbuf + below(MAPBUF_LEN));
        else
            a[0] = below(2) ? PICK(bad_ptrs) : PICK(edge_vals);
        break;
    case 16: /* ioctl */
        a[1] = PICK(ioctl_cmds);
        break;
    case 72: /* fcntl */
        a[1] = (uint64_t)PICK(fcntl_cmds);
        if (a[1] == F_SETSIG) {
            static const uint64_t sigs[] = {0, SIGIO, SIGUSR1, 40, 65, UINT64_MAX};
            a[2] = PICK(sigs);
        }
        break;
    case 41: /* socket */
    case 53: /* socketpair */
        a[0] = AF_UNIX;
        break;
    case 49: { /* bind */
        uint64_t v[] = {(uint64_t)&sun_rel, (uint64_t)&sun_abs, 0, 1, 0xffff800000000000ULL};
        a[1] = PICK(v);
        break;
    }
    case 130: /* rt_sigsuspend */
        a[0] = gen_mask_ptr();
        if (below(2))
            a[1] = 8;
        break;
    case 271: /* ppoll */
        a[3] = gen_mask_ptr();
        if (below(2))
            a[4] = 8;
        break;
    case 270: /* pselect6 */
        a[5] = below(2) ? (uint64_t)&psel : gen_mask_ptr();
        break;
    case 281: /* epoll_pwait */
    case 441: /* epoll_pwait2 */
        a[4] = gen_mask_ptr();
        break;
    case 142: /* sched_setparam */
    case 203: /* sched_setaffinity */
        a[0] = 0;
        break;
    case 144: { /* sched_setscheduler: never real-time, idle or batch */
        static const uint64_t pol[] = {0, 7, UINT64_MAX, 0x40000000};
        a[0] = 0;
        a[1] = PICK(pol);
        break;
    }
    case 157: { /* prctl */
        static const uint64_t extra[] = {0, 0x53564d41, 0x59616d61, 1000, UINT64_MAX, 0x41555856};
        uint64_t opt;
        do
            opt = below(5) == 0 ? PICK(extra) : 1 + below(78);
        while (opt == 22 || opt == 26 || opt == 35 || opt == 59 || opt == 62);
        a[0] = opt;
        /* PR_GET_TIMERSLACK returns the slack itself: never one that reads as an errno */
        if (opt == 29 && a[1] > (uint64_t)-4096)
            a[1] = 0;
        break;
    }
    case 13: /* rt_sigaction: never one of the fuzzer's own signals; only SIG_DFL/SIG_IGN */
        if ((uint32_t)a[0] - 1 < 64 && (handled_mask >> ((uint32_t)a[0] - 1)) & 1) {
            a[1] = 0;
        } else if (below(4)) {
            fuzz_act.handler = below(2); /* SIG_DFL, SIG_IGN */
            fuzz_act.flags = gen_arg();
            fuzz_act.restorer = gen_arg();
            fuzz_act.mask = gen_arg();
            a[1] = (uint64_t)&fuzz_act;
        }
        if (below(4))
            a[3] = 8;
        break;
    case 14: /* rt_sigprocmask: SIGALRM is never blocked */
        if (a[1] && !in_mapbuf(a[1]) && below(4)) {
            fuzz_mask = gen_arg() & ~never_blocked;
            a[1] = (uint64_t)&fuzz_mask;
        } else if (below(2)) {
            a[1] = 0;
        } else {
            a[1] = PICK(bad_ptrs) | 1;
        }
        if (below(4))
            a[3] = 8;
        break;
    case 131: /* sigaltstack: the fuzzer's handlers do not use one */
        if (a[0] && below(4)) {
            static const uint64_t sizes[] = {0, 1, 2047, 2048, 8192, 65536, 1ULL << 40};
            fuzz_ss.sp = below(2) ? (uint64_t)altstack : gen_arg();
            fuzz_ss.flags = (int)PICK(small_vals);
            fuzz_ss.size = PICK(sizes);
            a[0] = (uint64_t)&fuzz_ss;
        } else if (a[0]) {
            a[0] = PICK(bad_ptrs) | 1;
        }
        break;
    case 38: { /* setitimer: never ITIMER_REAL */
        static const uint64_t which[] = {1, 2, 3, UINT64_MAX, 0x100000001ULL};
        a[0] = PICK(which);
        break;
    }
    case 62:  /* kill */
    case 129: /* rt_sigqueueinfo */
    case 200: /* tkill */
    case 234: /* tgkill */
    case 297: { /* rt_tgsigqueueinfo: handled signals, to the fuzzer only */
        static const uint64_t sigs[] = {0,      SIGUSR1, SIGUSR2,  SIGIO, SIGURG, SIGWINCH, SIGALRM,
                                        SIGHUP, 40,      64,       65,    UINT64_MAX};
        static const uint64_t nobody[] = {99999999, 0x7fffffff, 0x80000000};
        uint64_t who = below(4) ? 0 : PICK(nobody);
        if (nr == 62 || nr == 129) {
            a[0] = who ? who : my_pid;
            a[1] = PICK(sigs);
        } else if (nr == 200) {
            a[0] = who ? who : my_tid;
            a[1] = PICK(sigs);
        } else {
            a[0] = who ? who : my_pid;
            a[1] = below(8) ? my_tid : PICK(nobody);
            a[2] = PICK(sigs);
        }
        break;
    }
    case 160: /* setrlimit */
    case 302: { /* prlimit64: never CPU, FSIZE or STACK (and only for the fuzzer itself) */
        static const uint64_t res[] = {2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, UINT64_MAX};
        static const uint64_t pids[] = {0, 0, 0, 99999999};
        if (nr == 160) {
            a[0] = PICK(res);
        } else {
            a[0] = below(4) ? PICK(pids) : my_pid;
            a[1] = PICK(res);
        }
        break;
    }
    case 202: { /* futex: FUTEX_LOCK_PI(2) and FUTEX_WAIT_REQUEUE_PI restart after a signal
                   (-ERESTARTNOINTR): only with a timeout already past */
        uint32_t cmd = (uint32_t)a[1] & ~(uint32_t)(128 | 256);
        if (cmd == 6 || cmd == 11 || cmd == 13)
            a[3] = below(4) ? (uint64_t)&zero_ts : PICK(bad_ptrs) | 1;
        break;
    }
    case 273: /* set_robust_list: the right size half of the time (the list is walked when the fuzzer exits) */
        if (edges && below(2))
            a[0] = PICK(edge_vals);
        if (below(2))
            a[1] = 24;
        break;
    case 331: /* pkey_free: never key 0 (then an execute-only mapping could get key 0, which is all memory) */
        if ((int)a[0] == 0)
            a[0] = 1;
        break;
    case 158: /* arch_prctl */
        a[0] = PICK(arch_prctl_codes);
        break;
    case 436: /* close_range: never 0-2 or the saved stdout/stderr */
        if ((uint32_t)a[0] < 3)
            a[0] = 3;
        if ((uint32_t)a[0] >= OUT_FD && (uint32_t)a[0] <= ERR_FD)
            a[0] = ERR_FD + 1;
        if ((uint32_t)a[0] < OUT_FD && (uint32_t)a[1] >= OUT_FD)
            a[1] = OUT_FD - 1;
        break;
    case 40: /* sendfile */
        a[3] = gen_count();
        break;
    case 275: /* splice */
        a[4] = gen_count();
        break;
    case 276: /* tee */
        a[2] = gen_count();
        break;
    case 326: /* copy_file_range */
        a[4] = gen_count();
        break;
    case 285: { /* fallocate */
        static const uint64_t v[] = {0,       1,          4096,         65536,
                                     1 << 20, (uint64_t)-1, 0x7fffffffffffffffULL, 1ULL << 63,
                                     UINT64_MAX - 4094};
        a[2] = PICK(v);
        a[3] = PICK(v);
        break;
    }
    case 76: /* truncate */
    case 77: /* ftruncate */
        a[1] = gen_filesize();
        break;
    case 133: /* mknod: no device nodes */
    case 259: { /* mknodat */
        static const uint64_t types[] = {S_IFREG, S_IFIFO, S_IFSOCK, 0, 0170000};
        int m = nr == 133 ? 1 : 2;
        a[m] = (a[m] & 07777) | PICK(types);
        a[m + 1] = 0;
        break;
    }
    }
}

/* Calls that only read the buffer at argument `ptr` (or only look the
   address up), with its length at `len` (-1: none): the only ones that get
   the ends of memory the fuzzer cannot afford to have written. Not sendmsg:
   control messages read from the fuzzer's memory could pass its saved
   stdout on (SCM_RIGHTS). */
static const struct {
    short nr;
    signed char ptr, len;
} read_only[] = {
    {1, 1, 2},    /* write */
    {18, 1, 2},   /* pwrite64 */
    {20, 1, -1},  /* writev: the iovecs are read, then what they point at */
    {296, 1, -1}, /* pwritev */
    {328, 1, -1}, /* pwritev2 */
    {44, 1, 2},   /* sendto: the data */
    {27, 0, 1},   /* mincore: the address is looked up (the vector is written: not from here) */
};

/* Before sanitize(), which has the last word: a pointer + length pair side
   by side, and for the calls above an end of the process's memory. */
static void edge_pass(long base, uint64_t *a)
{
    if (below(100) < EDGE_PCT(4, 40)) {
        int i = (int)below(5);
        a[i] = not_saved_fd(edge_ptr());
        a[i + 1] = not_saved_fd(edge_len(a[i]));
    }
    if (base < 0 || base > NR_MAX || !n_ro || below(100) >= EDGE_PCT(15, 60))
        return;
    for (size_t k = 0; k < sizeof read_only / sizeof read_only[0]; k++) {
        if (read_only[k].nr != base)
            continue;
        uint64_t p = ro_bounds[below(n_ro)];
        a[read_only[k].ptr] = p;
        if (read_only[k].len >= 0)
            a[read_only[k].len] = not_saved_fd(edge_len(p));
        break;
    }
}

/* ---- signals: every one a fuzzed call can raise is counted, not fatal ---- */

static volatile sig_atomic_t sigcount[65];

static void on_signal(int sig)
{
    if (sig > 0 && sig < 65)
        sigcount[sig]++;
    if (sig == SIGALRM && nthreads > 1) {
        int saved = errno;
        long me = syscall(SYS_gettid);
        for (int t = 0; t < nthreads; t++)
            if (thread_tids[t] > 0 && thread_tids[t] != me)
                syscall(SYS_tgkill, (long)my_pid, (long)thread_tids[t], (long)fwd_sig);
        errno = saved;
    }
}

static void setup_signals(void)
{
    static const int sigs[] = {SIGALRM, SIGUSR1, SIGUSR2, SIGIO,  SIGURG, SIGPIPE,
                               SIGXFSZ, SIGTTIN, SIGTTOU, SIGHUP, SIGVTALRM, SIGPROF, SIGWINCH};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls end with EINTR */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        sigaction(s, &sa, NULL);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        handled_mask |= 1ULL << (sigs[i] - 1);
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        handled_mask |= 1ULL << (s - 1);
    /* A standard signal: a real-time one cannot be queued once a fuzzed
       setrlimit has lowered RLIMIT_SIGPENDING. */
    fwd_sig = SIGWINCH;
    never_blocked = 1ULL << (SIGALRM - 1) | 1ULL << (fwd_sig - 1);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        complain("fuzz_syscalls: setitimer: %s\n", strerror(errno));
}

/* ---- the working directory and the fd set ---- */

static char parent_dir[4096], work_name[64], work_dir[4096 + 64];
static __thread uint64_t maps[64][2];
static __thread int nmaps;

static void track_mapping(uint64_t addr, uint64_t len)
{
    if (in_mapbuf(addr))
        return;
    if (nmaps == 64) {
        raw6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
        return;
    }
    maps[nmaps][0] = addr;
    maps[nmaps][1] = len;
    nmaps++;
}

struct ldirent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static void close_all_fds(void)
{
    /* close_range is quickest; nommu lacks it: then what /proc/self/fd lists. */
    if (syscall(SYS_close_range, 0, OUT_FD - 1, 0) == 0 && syscall(SYS_close_range, ERR_FD + 1, ~0U, 0) == 0)
        return;
    for (int round = 0; round < 4; round++) {
        int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0) {
            for (int fd = 0; fd < 1100; fd++)
                if (fd != OUT_FD && fd != ERR_FD)
                    close(fd);
            continue;
        }
        static char buf[8192];
        int closed = 0;
        long n;
        while ((n = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) {
            for (long off = 0; off < n;) {
                struct ldirent *e = (struct ldirent *)(buf + off);
                off += e->reclen;
                char *end;
                long fd = strtol(e->name, &end, 10);
                if (*end || end == e->name || fd == d || fd == OUT_FD || fd == ERR_FD)
                    continue;
                close((int)fd);
                closed++;
            }
        }
        close(d);
        if (!closed)
            return;
    }
}

static void add_base(int fd)
{
    if (fd >= 0 && nbasefds < (int)(sizeof basefds / sizeof basefds[0]))
        basefds[nbasefds++] = fd;
}

static void open_at(int want, const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd >= 0 && fd != want) {
        dup2(fd, want);
        close(fd);
    }
}

/* Every thread: its signal mask, its mappings. */
static void reset_thread(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int i = 0; i < nmaps; i++)
        raw6(SYS_munmap, (long)maps[i][0], (long)maps[i][1], 0, 0, 0, 0);
    nmaps = 0;
    /* Give the fuzzer its buffer back (nommu can only do this while it
       still owns the range: then it just zeroes it). */
    mmap(mapbuf, MAPBUF_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    /* Should anything have mapped page 0 natively, NULL is bad again
       (under nommu the process owns nothing there: this does nothing). */
    munmap(NULL, 1 << 16);
}

/* The limits fuzzed setrlimit/prlimit64 calls may change, as they were. */
#define NLIMITS 16
static struct rlimit initial_limits[NLIMITS];

static void save_limits(void)
{
    for (int r = 0; r < NLIMITS; r++)
        getrlimit(r, &initial_limits[r]);
}

static void restore_limits(void)
{
    for (int r = 0; r < NLIMITS; r++)
        if (r != RLIMIT_CPU && r != RLIMIT_FSIZE && r != RLIMIT_STACK)
            setrlimit(r, &initial_limits[r]);
}

/* Thread 0 only: limits, descriptors and the working directory. */
static void reset(void)
{
    restore_limits();
    close_all_fds();
    if (chdir(work_dir) != 0)
        complain("fuzz_syscalls: chdir %.900s: %s\n", work_dir, strerror(errno));

    nbasefds = 0;
    open_at(0, "fz_stdin", O_RDONLY | O_CREAT);
    open_at(1, "fz_out", O_WRONLY | O_CREAT | O_TRUNC);
    dup2(1, 2);
    add_base(0);
    add_base(open("fz_a", O_RDWR | O_CREAT, 0644));
    add_base(open(".", O_RDONLY | O_DIRECTORY));
    mkdir("fz_dir", 0755);
    add_base(open("fz_dir", O_RDONLY | O_DIRECTORY));
    mknod("fz_fifo", S_IFIFO | 0644, 0);
    add_base(open("fz_fifo", O_RDWR | O_NONBLOCK));
    int p[2];
    if (pipe(p) == 0) {
        add_base(p[0]);
        add_base(p[1]);
    }
    if (pipe2(p, O_NONBLOCK) == 0) {
        add_base(p[0]);
        add_base(p[1]);
    }
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0) {
        add_base(p[0]);
        add_base(p[1]);
    }
    add_base(socket(AF_UNIX, SOCK_DGRAM, 0));
    add_base(eventfd(0, 0));
    add_base((int)syscall(SYS_memfd_create, "fz", 0));
    add_base(epoll_create1(0));
    add_base(timerfd_create(CLOCK_MONOTONIC, 0));
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGUSR2);
    add_base(signalfd(-1, &ss, 0));
    add_base(inotify_init1(0));
    add_base(open("/proc/self/status", O_RDONLY));
}

static void rm_tree(int dfd, const char *name, int depth)
{
    if (unlinkat(dfd, name, 0) == 0)
        return;
    fchmodat(dfd, name, 0700, 0);
    for (int round = 0; round < 3; round++) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return;
        if (depth < 40) {
            char buf[4096];
            long n;
            while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
                for (long off = 0; off < n;) {
                    struct ldirent *e = (struct ldirent *)(buf + off);
                    off += e->reclen;
                    if (strcmp(e->name, ".") && strcmp(e->name, ".."))
                        rm_tree(fd, e->name, depth + 1);
                }
        }
        close(fd);
        if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
            return;
    }
}

/* ---- the fuzz loop ---- */

static const int errno_classes[] = {EPERM, ENOENT, EBADF, EFAULT, EINVAL, ENOSYS, EINTR, EAGAIN, ENOTTY};
static const char *const errno_names[] = {"EPERM", "ENOENT", "EBADF", "EFAULT", "EINVAL",
                                          "ENOSYS", "EINTR", "EAGAIN", "ENOTTY"};
#define NCLASSES (sizeof errno_classes / sizeof errno_classes[0])

/* The calls every libc program makes (and nommu implements): drawn half
   of the time, so that they get most of the fuzzing. */
static const short common[] = {
    0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  16,  17,  18,  19,  20,  21,  22,  23,
    24,  25,  28,  32,  33,  34,  35,  36,  39,  40,  61,  63,  72,  73,  74,  75,  76,  77,  79,  80,  81,
    82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,  94,  95,  96,  98,  99,  100, 102, 104, 105,
    106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 124, 127, 128, 130, 133,
    137, 138, 143, 144, 145, 146, 147, 157, 158, 162, 186, 201, 202, 203, 204, 217, 218, 228, 229, 230, 247,
    257, 258, 259, 260, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271, 273, 274, 280, 285, 292, 293, 295,
    296, 306, 309, 316, 318, 324, 326, 332, 439};

static long pick_nr(long i, long *last_rare)
{
    /* With `edges`, the memory calls often: lengths that wrap matter most there. */
    static const short memory_calls[] = {9, 10, 11, 25, 26, 27, 28, 149, 150, 325, 12, 216, 237, 329};
    for (;;) {
        long nr;
        if (edges && below(8) == 0) {
            nr = PICK(memory_calls);
        } else if (below(2) == 0) {
            nr = PICK(common);
        } else if (below(100) < 92) {
            nr = (long)below(NR_MAX + 1);
        } else {
            static const long odd[] = {-1, 512, 1000, 4096, 0x40000000, 0xffffffff};
            nr = PICK(odd);
            if (nr == 0x40000000)
                nr |= (long)below(NR_MAX + 1);
        }
        long base = nr & ~0x40000000L;
        if (base >= 0 && base <= NR_MAX) {
            if (policy[base] == EXCL)
                continue;
            /* With threads, the tid address and robust list are libc's:
               pthread_join waits for the kernel to clear that tid. */
            if (nthreads > 1 && (base == 218 || base == 273))
                continue;
            if (policy[base] == RARE) {
                if (i - *last_rare < RARE_EVERY)
                    continue;
                *last_rare = i;
            }
        }
        return nr;
    }
}

struct worker {
    int index;
    uint64_t seed;
    long count;
    int quiet, trace;
    long anomalies;
    pthread_t thread;
    unsigned char *scratch, *mapbuf;
};

/* Threads start fuzzing together, once every thread and buffer exists: a
   thread's munmap must not leave a hole where the next thread's stack or
   buffers would go (its mapping buffer would then cover them). */
static volatile int go, finished;
static struct worker workers[MAXTHREADS];

/* Are every thread's buffers still the fuzzer's own? No call may touch the
   scratch buffers or the guard pages around the mapping buffers (see the
   top), so mprotect of them always succeeds natively; a kernel that
   unmapped them (a memory call it should have refused, of this thread or
   another) answers ENOMEM. The fuzzer stops then: it would write into
   memory that may be handed to someone else. Returns a thread + 1, or 0. */
static int buffers_lost(void)
{
    for (int t = 0; t < nthreads; t++) {
        long s = (long)workers[t].scratch, m = (long)workers[t].mapbuf;
        if (raw6(SYS_mprotect, s, SCRATCH_LEN, PROT_READ | PROT_WRITE, 0, 0, 0) != 0 ||
            raw6(SYS_mprotect, m - 4096, 4096, PROT_NONE, 0, 0, 0) != 0 ||
            raw6(SYS_mprotect, m + (long)MAPBUF_LEN, 4096, PROT_NONE, 0, 0, 0) != 0)
            return t + 1;
    }
    return 0;
}

/* Does [addr, addr+len) overlap memory the fuzzer had before fuzzing
   (the regions of /proc/self/maps)? mmap and mremap never hand that out
   again, except inside a mapping buffer (fuzzed munmaps leave holes
   there). */
static int already_had(uint64_t addr, uint64_t len)
{
    for (int t = 0; t < nthreads; t++) {
        uint64_t m = (uint64_t)workers[t].mapbuf;
        if (addr >= m && addr < m + MAPBUF_LEN && len <= m + MAPBUF_LEN - addr)
            return 0;
    }
    uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;
    for (int i = 0; i < nregions; i++)
        if (regions[i][0] < end && addr < regions[i][1])
            return 1;
    return 0;
}

static int memory_call(long base)
{
    static const short nrs[] = {9, 10, 11, 12, 25, 26, 28, 149, 150, 216, 237, 325, 329, 450};
    for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++)
        if (nrs[i] == base)
            return 1;
    return 0;
}

static int setup_buffers(struct worker *w)
{
    /* Scratch: REFILL + SLACK, then a guard page (see the top). */
    unsigned char *s = mmap(NULL, SCRATCH_LEN + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *m = mmap(NULL, MAPBUF_LEN + 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED || m == MAP_FAILED) {
        complain("fuzz_syscalls: mmap: %s\n", strerror(errno));
        return -1;
    }
    mprotect(s + SCRATCH_LEN, 4096, PROT_NONE);
    w->scratch = s;
    w->mapbuf = m + 4096;
    mprotect(w->mapbuf, MAPBUF_LEN, PROT_READ | PROT_WRITE);
    return 0;
}

/* The calls of one thread; thread 0 also resets the descriptors and the
   working directory every RESET_EVERY calls. */
static void *fuzz_loop(void *arg)
{
    struct worker *w = arg;
    rng = (w->seed + 0x9e3779b9ULL * (uint64_t)w->index) * 0x2545f4914f6cdd1dULL + 1;
    my_tid = (uint64_t)syscall(SYS_gettid);
    thread_tids[w->index] = (int)my_tid;
    scratch = w->scratch;
    mapbuf = w->mapbuf;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    int quiet = w->quiet || w->index > 0, trace = w->trace;
    long count = w->count;
    long ok = 0, other = 0, anomalies = 0, cls[NCLASSES] = {0}, last_rare = -RARE_EVERY, from = 0;
    for (long i = 0; i < count; i++) {
        if (i % RESET_EVERY == 0) {
            if (w->index == 0)
                reset();
            reset_thread();
        }
        refill();
        long nr = pick_nr(i, &last_rare);
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = not_saved_fd(gen_arg());
        long base = nr & ~0x40000000L;
        edge_pass(base, a);
        if (base >= 0 && base <= NR_MAX)
            sanitize(base, a);
        if (trace) {
            complain("#%d.%ld %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n", w->index, i, nr,
                     (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                     (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5]);
        }
        long r = raw6(nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
        if (trace)
            complain("#%d.%ld = %ld\n", w->index, i, r);
        int lost = memory_call(base) || i % RESET_EVERY == 0 ? buffers_lost() : 0;
        if ((base == 9 || base == 25) && (r >= 0 || r < -4095) && already_had((uint64_t)r, base == 9 ? a[1] : a[2])) {
            say("fuzz_syscalls: LOST MEMORY: thread %d call #%ld: syscall %ld(%#llx, %#llx, %#llx, %#llx, %#llx, "
                "%#llx) returned %#lx, memory the fuzzer already had (the kernel gave it away as a new mapping)\n",
                w->index, i, nr, (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5], (unsigned long)r);
            raw6(SYS_exit_group, 4, 0, 0, 0, 0, 0);
        }
        if (lost) {
            say("fuzz_syscalls: LOST MEMORY: after thread %d call #%ld: syscall %ld(%#llx, %#llx, %#llx, %#llx, %#llx, "
                "%#llx) returned %ld, thread %d's buffers are no longer the fuzzer's: the kernel unmapped memory no "
                "call asked it to\n",
                w->index, i, nr, (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5], r, lost - 1);
            raw6(SYS_exit_group, 4, 0, 0, 0, 0, 0);
        }
        if (r >= 0 || r < -4095) {
            ok++;
            if (base == 9)
                track_mapping((uint64_t)r, a[1]);
            if (base == 25)
                track_mapping((uint64_t)r, a[2]);
            if (base == 273 && r == 0)
                robust_head = a[0];
        } else if (-r > 133 && !(base == 274 && (uint64_t)r == robust_head)) {
            /* (Linux 6.18's get_robust_list returns a head in [-4095, -1] as if it were an error.) */
            anomalies++;
            say("fuzz_syscalls: ANOMALY: thread %d call #%ld: syscall %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx) "
                "returned %ld, an errno Linux never returns\n",
                w->index, i, nr, (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                (unsigned long long)a[3], (unsigned long long)a[4], (unsigned long long)a[5], r);
        } else {
            size_t c;
            for (c = 0; c < NCLASSES && errno_classes[c] != -r; c++)
                ;
            if (c < NCLASSES)
                cls[c]++;
            else
                other++;
        }
        if (!quiet && ((i + 1) % WINDOW == 0 || i + 1 == count)) {
            char *p = line;
            p += snprintf(p, 64, "fuzz_syscalls: calls %ld-%ld: ok=%ld", from, i, ok);
            for (size_t c = 0; c < NCLASSES; c++)
                p += snprintf(p, 64, " %s=%ld", errno_names[c], cls[c]);
            snprintf(p, 64, " other=%ld\n", other);
            put(out_fd, line);
            ok = other = 0;
            memset(cls, 0, sizeof cls);
            from = i + 1;
        }
    }
    for (int i = 0; i < nmaps; i++)
        raw6(SYS_munmap, (long)maps[i][0], (long)maps[i][1], 0, 0, 0, 0);
    nmaps = 0;
    w->anomalies = anomalies;
    __atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static int fuzz(uint64_t seed, long count, int threads, int quiet, int trace)
{
    init_tables();
    init_name_offsets();

    /* The real stdout and stderr move to 777 and 778. */
    if (dup2(1, OUT_FD) == OUT_FD)
        out_fd = OUT_FD;
    if (dup2(2, ERR_FD) == ERR_FD)
        err_fd = ERR_FD;
    fcntl(OUT_FD, F_SETFD, FD_CLOEXEC);
    fcntl(ERR_FD, F_SETFD, FD_CLOEXEC);

    /* Files stay small; a write past that is EFBIG (+ SIGXFSZ, counted). */
    struct rlimit fsize = {16 << 20, 16 << 20};
    setrlimit(RLIMIT_FSIZE, &fsize);
    save_limits();

    if (!getcwd(parent_dir, sizeof parent_dir)) {
        complain("fuzz_syscalls: getcwd: %s\n", strerror(errno));
        return 1;
    }
    /* fz-SEED-PID, or with a suffix when an earlier run left one behind
       (pids repeat: under nommu the fuzzer is often pid 1). */
    for (int n = 0;; n++) {
        if (n == 0)
            snprintf(work_name, sizeof work_name, "fz-%llu-%d", (unsigned long long)seed, (int)getpid());
        else
            snprintf(work_name, sizeof work_name, "fz-%llu-%d.%d", (unsigned long long)seed, (int)getpid(), n);
        if (mkdir(work_name, 0755) == 0)
            break;
        if (errno != EEXIST || n == 1000) {
            complain("fuzz_syscalls: mkdir %s: %s\n", work_name, strerror(errno));
            return 1;
        }
    }
    snprintf(work_dir, sizeof work_dir, "%s/%s", strcmp(parent_dir, "/") ? parent_dir : "", work_name);
    my_pid = (uint64_t)getpid();

    /* The fuzzing threads inherit this mask: nothing blocked. */
    nthreads = threads;
    setup_signals();
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){t, seed, count / threads, quiet, trace, 0, 0, NULL, NULL};
        if (setup_buffers(&workers[t]) != 0)
            return 1;
    }
    for (int t = 1; t < threads; t++) {
        int e = pthread_create(&workers[t].thread, NULL, fuzz_loop, &workers[t]);
        if (e) {
            complain("fuzz_syscalls: pthread_create: %s\n", strerror(e));
            return 1;
        }
    }
    /* Every thread's stack and buffers exist now: the ends of memory. */
    read_bounds();
    if (trace) {
        complain("fuzz_syscalls: %d regions; ends that fault (any argument):", nregions);
        for (int i = 0; i < n_any; i++)
            complain(" %#llx", (unsigned long long)any_bounds[i]);
        complain("; %d ends only read\n", n_ro);
    }
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    fuzz_loop(&workers[0]);
    /* No thread's stack goes (a joined thread's is unmapped) while others
       still fuzz: memory the fuzzer had must stay its own until then. */
    while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < threads) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    for (int t = 1; t < threads; t++)
        pthread_join(workers[t].thread, NULL);
    long anomalies = 0;
    for (int t = 0; t < threads; t++)
        anomalies += workers[t].anomalies;

    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    restore_limits();
    close_all_fds();
    if (chdir(parent_dir) == 0)
        rm_tree(AT_FDCWD, work_name, 0);
    if (quiet)
        return anomalies ? 3 : 0;
    say("fuzz_syscalls: signals caught: SIGALRM=%d SIGIO=%d SIGPIPE=%d SIGXFSZ=%d other=%d\n",
        (int)sigcount[SIGALRM], (int)sigcount[SIGIO], (int)sigcount[SIGPIPE], (int)sigcount[SIGXFSZ],
        (int)(sigcount[SIGUSR1] + sigcount[SIGUSR2] + sigcount[SIGURG] + sigcount[SIGHUP]));
    say("fuzz_syscalls: done %ld calls, %ld anomalies\n", count / threads * threads, anomalies);
    return anomalies ? 3 : 0;
}

/* ---- spawn mode: children fuzz, the parent counts how they ended ---- */

static const char *signame(int s)
{
    static const char *const n[] = {"0",       "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
                                    "SIGBUS",  "SIGFPE",  "SIGKILL", "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
                                    "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
                                    "SIGTTIN", "SIGTTOU", "SIGURG",  "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
                                    "SIGWINCH", "SIGIO",  "SIGPWR",  "SIGSYS"};
    return s >= 0 && s < 32 ? n[s] : "SIGRT";
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs `children` fuzzing children, `parallel` at a time, and counts how
   each one ended; one that outlives FUZZ_CHILD_TIMEOUT seconds (default
   30) is killed and counted as hung. */
static int spawn_children(uint64_t seed, long count, int children, int parallel, int trace)
{
    long per = count / children, total = 0;
    int exited0 = 0, exited_other = 0, hung = 0, failed = 0, by_signal[65] = {0};
    const char *t = getenv("FUZZ_CHILD_TIMEOUT");
    long timeout_ms = (t ? atol(t) : 30) * 1000;
    pid_t pids[children];
    long started[children];
    char seeds[children][24];
    int next = 0, running = 0, finished = 0;
    while (finished < children) {
        while (next < children && running < parallel) {
            int k = next++;
            char scount[32];
            snprintf(seeds[k], sizeof seeds[k], "%llu", (unsigned long long)(seed * 1000 + (uint64_t)k + 1));
            snprintf(scount, sizeof scount, "%ld", per);
            char *argv[6] = {"fuzz_syscalls", seeds[k], scount, "quiet"};
            int a = 4;
            if (edges)
                argv[a++] = "edges";
            if (trace)
                argv[a++] = "trace";
            argv[a] = NULL;
            int e = posix_spawn(&pids[k], "/proc/self/exe", NULL, NULL, argv, environ);
            if (e) {
                say("fuzz_syscalls: child %d (seed %s): posix_spawn: %s\n", k, seeds[k], strerror(e));
                pids[k] = 0;
                failed++;
                finished++;
                continue;
            }
            started[k] = now_ms();
            running++;
        }
        int reaped = 0;
        for (int k = 0; k < next; k++) {
            if (pids[k] <= 0)
                continue;
            int st = 0;
            pid_t w = waitpid(pids[k], &st, WNOHANG);
            if (w == 0 && now_ms() - started[k] <= timeout_ms)
                continue;
            if (w == 0) {
                say("fuzz_syscalls: child %d (seed %s) HUNG: killed after %ld ms\n", k, seeds[k], timeout_ms);
                kill(pids[k], SIGKILL);
                waitpid(pids[k], &st, 0);
                hung++;
            } else if (w < 0) {
                say("fuzz_syscalls: child %d (seed %s): waitpid: %s\n", k, seeds[k], strerror(errno));
                failed++;
            } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
                exited0++;
                total += per;
            } else if (WIFEXITED(st)) {
                say("fuzz_syscalls: child %d (seed %s) exited with %d\n", k, seeds[k], WEXITSTATUS(st));
                exited_other++;
            } else if (WIFSIGNALED(st)) {
                int sig = WTERMSIG(st);
                say("fuzz_syscalls: child %d (seed %s) killed by %s (%d)\n", k, seeds[k], signame(sig), sig);
                by_signal[sig < 65 ? sig : 0]++;
            }
            pids[k] = 0;
            running--;
            finished++;
            reaped++;
        }
        if (!reaped) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    char *p = line;
    p += snprintf(p, 200, "fuzz_syscalls: spawn: %d children: %d exited 0, %d exited non-zero, %d hung, %d not started",
                  children, exited0, exited_other, hung, failed);
    int died = 0;
    for (int sig = 1; sig < 65; sig++)
        if (by_signal[sig]) {
            p += snprintf(p, 64, ", %d killed by %s", by_signal[sig], signame(sig));
            died += by_signal[sig];
        }
    snprintf(p, 64, ", %d killed in all\n", died);
    put(out_fd, line);
    say("fuzz_syscalls: done %ld calls, 0 anomalies\n", total);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        complain("usage: %s SEED COUNT [threads T | spawn N [parallel P]] [edges] [quiet] [trace]\n", argv[0]);
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 0);
    long count = atol(argv[2]);
    int quiet = 0, trace = 0, children = 0, parallel = 1, threads = 1;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "trace"))
            trace = 1;
        else if (!strcmp(argv[i], "edges"))
            edges = 1;
        else if (!strcmp(argv[i], "spawn") && i + 1 < argc)
            children = atoi(argv[++i]);
        else if (!strcmp(argv[i], "parallel") && i + 1 < argc)
            parallel = atoi(argv[++i]);
        else if (!strcmp(argv[i], "threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
    }
    if (children > 0)
        return spawn_children(seed, count, children, parallel > 0 ? parallel : 1, trace);
    if (threads < 1 || threads > MAXTHREADS)
        threads = 1;
    return fuzz(seed, count, threads, quiet, trace);
}
