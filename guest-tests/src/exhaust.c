/*
 * exhaust: running out of things must be an error code, never a crash.
 *
 *   exhaust mem    malloc and mmap until ENOMEM, free, allocate again; a
 *                  spawn while memory is gone fails cleanly, one after
 *                  freeing works (natively RLIMIT_AS = 512 MiB stands in
 *                  for nommu's arena: run it there with --mem 32M)
 *   exhaust fds    open until EMFILE at RLIMIT_NOFILE 256 and 1024, the
 *                  other ways to make a descriptor at the limit, a limit
 *                  below the open descriptors; then open until the default
 *                  limit (EMFILE there, or ENFILE before it when the host,
 *                  whose descriptors nommu's guests share, runs out first)
 *   exhaust pids   2000 vfork+_exit+wait in a row; then children that stay
 *                  alive until spawning fails (ENOMEM/EAGAIN, or a child
 *                  that cannot start) or 300 run, all reaped, and one more
 *                  spawn works (pids are never exhausted: nommu does not
 *                  reuse them, Linux wraps at pid_max)
 *   exhaust stack  unbounded recursion: must die of SIGSEGV (status 139)
 *   exhaust wait   (a child of "pids": says "r", reads stdin until EOF)
 *
 * stdout is the same natively and under nommu (counts that depend on the
 * machine go to stderr); the exit status is 0, except for "stack".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int failures;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            printf("FAIL line %d: %s: ", __LINE__, #cond);                                                             \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static const char *ename(int e)
{
    switch (e) {
    case 0:
        return "0";
    case ENOMEM:
        return "ENOMEM";
    case EAGAIN:
        return "EAGAIN";
    case EMFILE:
        return "EMFILE";
    case ENFILE:
        return "ENFILE";
    case EBADF:
        return "EBADF";
    case EINVAL:
        return "EINVAL";
    case EPERM:
        return "EPERM";
    default:
        return strerror(e);
    }
}

static int spawn_self(pid_t *pid, const char *arg, posix_spawn_file_actions_t *fa)
{
    char *argv[] = {"exhaust", (char *)arg, NULL};
    return posix_spawn(pid, "/proc/self/exe", fa, NULL, argv, environ);
}

static int run_true(void)
{
    pid_t pid;
    int e = spawn_self(&pid, "true", NULL);
    if (e)
        return -e;
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -errno;
    return st;
}

/* ---- memory ---- */

#define CHUNK (256 << 10)
#define MAXCHUNKS 16384

static void *chunks[MAXCHUNKS];

static int mem(void)
{
    struct rlimit as = {512UL << 20, 512UL << 20};
    setrlimit(RLIMIT_AS, &as);

    int n, err = 0;
    for (n = 0; n < MAXCHUNKS; n++) {
        errno = 0;
        chunks[n] = malloc(CHUNK);
        if (!chunks[n]) {
            err = errno;
            break;
        }
        ((char *)chunks[n])[0] = 1;
        ((char *)chunks[n])[CHUNK - 1] = 2;
    }
    fprintf(stderr, "malloc: %d chunks of 256 KiB, then %s\n", n, ename(err));
    CHECK(n > 0 && n < MAXCHUNKS && err == ENOMEM, "%d chunks, errno %s", n, ename(err));
    printf("malloc until NULL: %s\n", ename(err));
    errno = 0;
    CHECK(malloc(1UL << 40) == NULL && errno == ENOMEM, "malloc(1 TiB): %s", ename(errno));
    for (int i = 0; i < n; i++)
        free(chunks[i]);
    void *again = malloc(CHUNK);
    CHECK(again != NULL, "malloc after free: %s", ename(errno));
    printf("malloc after free: %s\n", again ? "ok" : "NULL");
    free(again);

    int m;
    err = 0;
    for (m = 0; m < MAXCHUNKS; m++) {
        void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            err = errno;
            break;
        }
        chunks[m] = p;
        ((char *)p)[4096] = 1;
    }
    fprintf(stderr, "mmap: %d MiB, then %s\n", m, ename(err));
    CHECK(m > 0 && m < MAXCHUNKS && err == ENOMEM, "%d mappings, errno %s", m, ename(err));
    printf("mmap until MAP_FAILED: %s\n", ename(err));

    /* Nothing left: a new process cannot start, the parent stays fine. */
    int st = run_true();
    fprintf(stderr, "spawn while memory is exhausted: %s\n",
            st < 0 ? ename(-st) : WIFEXITED(st) ? "exited" : "killed");
    CHECK(st <= 0 || (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 127)), "status %#x", st);
    printf("spawn while exhausted: no crash\n");

    for (int i = 0; i < m; i++)
        CHECK(munmap(chunks[i], 1 << 20) == 0, "munmap: %s", ename(errno));
    void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap after munmap: %s", ename(errno));
    printf("mmap after munmap: %s\n", p != MAP_FAILED ? "ok" : "failed");
    if (p != MAP_FAILED)
        munmap(p, 1 << 20);

    errno = 0;
    p = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p == MAP_FAILED && errno == ENOMEM, "mmap(1 GiB): %p %s", p, ename(errno));
    printf("mmap of 1 GiB: %s\n", p == MAP_FAILED ? ename(errno) : "mapped");
    p = mmap(NULL, 1UL << 46, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    printf("mmap of 64 TiB: %s\n", p == MAP_FAILED ? ename(errno) : "mapped");

    st = run_true();
    CHECK(st == 0, "spawn after freeing: %#x", st);
    printf("spawn after freeing: %s\n", st == 0 ? "exit 0" : "failed");
    return failures != 0;
}

/* ---- descriptors ---- */

static int fill(const char *path, int *last)
{
    int n = 0, fd;
    while ((fd = open(path, O_RDONLY)) >= 0) {
        *last = fd;
        n++;
    }
    return n;
}

static void close_from(int lo, int hi)
{
    for (int fd = lo; fd < hi; fd++)
        close(fd);
}

static int fds(void)
{
    struct rlimit orig, r;
    getrlimit(RLIMIT_NOFILE, &orig);
    close_from(3, 1024); /* whatever the caller left open */
    CHECK(orig.rlim_max >= 1024, "hard limit %llu", (unsigned long long)orig.rlim_max);

    r = orig;
    r.rlim_cur = 256;
    CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit 256: %s", ename(errno));
    int last = -1, n = fill("/dev/null", &last);
    int e = errno;
    printf("open /dev/null at limit 256: %d opened (last fd %d), then %s\n", n, last, ename(e));
    CHECK(n == 253 && last == 255 && e == EMFILE, "%d %d %s", n, last, ename(e));
    errno = 0;
    CHECK(dup(0) < 0 && errno == EMFILE, "dup: %s", ename(errno));
    errno = 0;
    CHECK(fcntl(0, F_DUPFD, 10) < 0 && errno == EMFILE, "F_DUPFD: %s", ename(errno));
    int p[2];
    errno = 0;
    CHECK(pipe(p) < 0 && errno == EMFILE, "pipe: %s", ename(errno));
    errno = 0;
    CHECK(open(".", O_RDONLY | O_DIRECTORY) < 0 && errno == EMFILE, "open dir: %s", ename(errno));
    CHECK(dup2(0, 255) == 255, "dup2 onto an open fd below the limit: %s", ename(errno));
    errno = 0;
    CHECK(dup2(0, 256) < 0 && errno == EBADF, "dup2(0, 256): %s", ename(errno));
    errno = 0;
    CHECK(dup3(0, 300, O_CLOEXEC) < 0 && errno == EBADF, "dup3(0, 300): %s", ename(errno));
    errno = 0;
    CHECK(fcntl(0, F_DUPFD, 256) < 0 && errno == EINVAL, "F_DUPFD 256: %s", ename(errno));
    close(100);
    CHECK(open("/dev/null", O_RDONLY) == 100, "reopen takes the hole");
    close(3);
    close(4);
    CHECK(pipe(p) == 0 && p[0] == 3 && p[1] == 4, "pipe into two holes: %s", ename(errno));
    printf("dup/F_DUPFD/pipe/dup2 at the limit: checked\n");

    /* A limit below the open descriptors. */
    r.rlim_cur = 100;
    CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit 100: %s", ename(errno));
    close(200);
    errno = 0;
    CHECK(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE, "open with fds above the limit: %s", ename(errno));
    close(50);
    CHECK(open("/dev/null", O_RDONLY) == 50, "a hole below the limit: %s", ename(errno));
    errno = 0;
    CHECK(dup2(0, 150) < 0 && errno == EBADF, "dup2 above the limit: %s", ename(errno));
    CHECK(dup2(0, 99) == 99, "dup2 just below the limit: %s", ename(errno));
    r.rlim_cur = r.rlim_max + 1;
    errno = 0;
    CHECK(setrlimit(RLIMIT_NOFILE, &r) < 0 && errno == EINVAL, "soft above hard: %s", ename(errno));
    printf("limit below the open descriptors: checked\n");
    close_from(3, 300);

    /* Directories and regular files (each a host descriptor under nommu). */
    r.rlim_cur = 1024;
    r.rlim_max = orig.rlim_max;
    CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit 1024: %s", ename(errno));
    n = fill(".", &last);
    e = errno;
    printf("open . at limit 1024: %d opened, then %s\n", n, ename(e));
    CHECK(n == 1021 && e == EMFILE, "%d %s", n, ename(e));
    close_from(3, 1024);

    /* The default limit (at most 65536 of them). Under nommu every one is
       a host descriptor, and nommu needs a few of its own: the host's table
       may fill first, which is the machine running out of files (ENFILE),
       never EMFILE while the process's own table has room. */
    r = orig;
    if (r.rlim_cur > 65536)
        r.rlim_cur = 65536;
    CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit default: %s", ename(errno));
    n = fill("/proc/self/exe", &last);
    e = errno;
    fprintf(stderr, "open at the default limit %llu: %d opened, then %s\n", (unsigned long long)r.rlim_cur, n,
            ename(e));
    int at_limit = (rlim_t)n + 3 == r.rlim_cur;
    CHECK((e == EMFILE && at_limit) || (e == ENFILE && !at_limit), "%d opened of %llu, %s", n,
          (unsigned long long)r.rlim_cur, ename(e));
    printf("open until the default limit: %s\n",
           (e == EMFILE && at_limit) || (e == ENFILE && !at_limit) ? "EMFILE at the limit or ENFILE before it"
                                                                  : ename(e));
    if (e == ENFILE) {
        errno = 0;
        CHECK(pipe(p) < 0 && errno == ENFILE, "pipe with the machine out of files: %s", ename(errno));
        CHECK(dup(0) >= 0, "dup needs no new file: %s", ename(errno));
    }
    close_from(3, (int)r.rlim_cur);
    CHECK(open("/dev/null", O_RDONLY) == 3, "after closing: %s", ename(errno));
    return failures != 0;
}

/* ---- processes ---- */

#define MAXKIDS 300

static int pids(void)
{
    pid_t me = getpid();
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        pid_t pid = vfork();
        if (pid == 0)
            _exit(i & 0x7f);
        int st;
        if (pid < 0 || pid == me || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0x7f))
            bad++;
    }
    CHECK(bad == 0, "%d of 2000 vforks went wrong", bad);
    printf("2000 vfork+_exit+wait: %s\n", bad ? "FAILED" : "ok");

    /* Children that stay: each says "r" on its stdout once it runs, then
       waits for end-of-file on its stdin. Without an MMU they all share
       the parent's memory: spawning stops when there is none left, either
       in the spawn (ENOMEM) or in a child's own start-up (glibc dies when
       it cannot allocate its TLS), and the parent carries on. */
    int p[2], ready[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0 && pipe2(ready, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: %s", ename(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_adddup2(&fa, ready[1], 1);
    static pid_t kids[MAXKIDS];
    int n = 0, e = 0, died = 0;
    while (n < MAXKIDS) {
        e = spawn_self(&kids[n], "wait", &fa);
        if (e)
            break;
        char c;
        int st;
        for (;;) {
            if (read(ready[0], &c, 1) == 1)
                break;
            if (waitpid(kids[n], &st, WNOHANG) == kids[n]) {
                fprintf(stderr, "child %d died starting: status %#x\n", n, st);
                died = 1;
                break;
            }
            usleep(1000);
        }
        if (died)
            break;
        n++;
    }
    fprintf(stderr, "children alive at once: %d, then %s\n", n,
            n == MAXKIDS ? "the cap" : died ? "one that could not start" : ename(e));
    int why = n == MAXKIDS || died || e == ENOMEM || e == EAGAIN;
    CHECK(n > 0 && why, "%d children, %s", n, ename(e));
    printf("spawning until it fails or %d run: %s\n", MAXKIDS, why ? "stopped cleanly" : ename(e));
    printf("the parent still runs: %s\n", getpid() == me ? "yes" : "no");
    close(p[1]);
    int reaped = 0;
    for (int i = 0; i < n; i++) {
        int st;
        pid_t w = waitpid(kids[i], &st, 0);
        if (w == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            reaped++;
        else
            fprintf(stderr, "child %d (pid %d): waitpid %d, status %#x\n", i, (int)kids[i], (int)w, st);
    }
    CHECK(reaped == n, "%d of %d children exited 0", reaped, n);
    printf("all children ended and were reaped: %s\n", reaped == n ? "yes" : "no");
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "no children left: %s", ename(errno));
    int st = run_true();
    CHECK(st == 0, "spawn afterwards: %#x", st);
    printf("spawn afterwards: %s\n", st == 0 ? "exit 0" : "failed");
    return failures != 0;
}

static int wait_eof(void)
{
    char c = 'r';
    if (write(1, &c, 1) != 1)
        return 1;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}

/* ---- the stack ---- */

static int recurse(volatile char *prev, long depth)
{
    volatile char frame[4096];
    if (depth < 0) /* never: keeps the compiler from calling this infinite */
        return 0;
    frame[0] = (char)depth;
    frame[4095] = prev ? prev[0] : 0;
    return recurse(frame, depth + 1) + frame[4095];
}

static int stack(void)
{
    printf("recursing until the stack runs out\n");
    fflush(stdout);
    return recurse(NULL, 0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "mem"))
        return mem();
    if (!strcmp(what, "fds"))
        return fds();
    if (!strcmp(what, "pids"))
        return pids();
    if (!strcmp(what, "stack"))
        return stack();
    if (!strcmp(what, "wait"))
        return wait_eof();
    if (!strcmp(what, "true"))
        return 0;
    fprintf(stderr, "usage: exhaust mem|fds|pids|stack\n");
    return 2;
}
