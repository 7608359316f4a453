/* Fixed-address programs taking turns: built non-PIE (ET_EXEC at
 * 0x400000), this program vforks and execs itself, so parent and child
 * want the same link address at once. Each checks that its own .data and
 * .bss survive the other's run.
 *
 *   fixed_turns vfork          parent and child, the child writes its memory
 *   fixed_turns pingpong N     N rounds over two pipes, both alternating
 *   fixed_turns pingpong-bss N the same with the buffers in .bss
 *   fixed_turns gen N          N generations, each waiting for the next
 *   fixed_turns bssread        the child blocks reading into its .bss until
 *                              the parent writes
 *   fixed_turns conflict       the child waits on a futex in its .bss (it
 *                              keeps the range) while the parent must run
 *                              to kill it: both must run at once
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define FUTEX_WAIT_PRIVATE 128 /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */

static char self[4096];
int data_word = 0x1234;               /* .data */
char data_text[32] = "parent-data";   /* .data */
static int bss_words[1024];           /* .bss */
static char bss_buf[64];              /* .bss: a read buffer in the image */
static long bss_io;                   /* .bss: pingpong-bss's buffer */
static int in_bss;                    /* pingpong-bss */
static int bss_futex;                 /* .bss: conflict's futex word */

static void fill(int seed)
{
    for (int i = 0; i < 1024; i++)
        bss_words[i] = seed * 7 + i;
}

static int check(int seed)
{
    for (int i = 0; i < 1024; i++)
        if (bss_words[i] != seed * 7 + i)
            return 0;
    return 1;
}

static pid_t spawn(char *const argv[])
{
    pid_t pid = vfork();
    if (pid == 0) {
        execv(self, argv);
        _exit(127);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int child_writes(void)
{
    data_word = 0x5678;
    strcpy(data_text, "child-data");
    fill(99);
    printf("child: data %#x %s, bss %s\n", data_word, data_text, check(99) ? "ok" : "bad");
    fflush(stdout);
    return 0;
}

static int do_vfork(void)
{
    fill(1);
    char *argv[] = {self, "child", NULL};
    pid_t pid = spawn(argv);
    if (pid < 0) {
        perror("vfork");
        return 1;
    }
    int st = wait_status(pid);
    printf("parent: child status %d, data %#x %s, bss %s\n", st, data_word, data_text, check(1) ? "ok" : "bad");
    return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int pong(int in, int out)
{
    fill(5);
    long total = 0;
    for (;;) {
        long v;  /* on the stack: in the arena */
        if (in_bss) {
            if (read_full(in, &bss_io, sizeof bss_io) < 0)
                break;
            v = bss_io;
        } else if (read_full(in, &v, sizeof v) < 0) {
            break;
        }
        total += v;
        bss_words[v % 1024] = (int)v;
        bss_words[v % 1024] = 5 * 7 + (int)(v % 1024);
        v += 1;
        bss_io = v;
        if (write(out, in_bss ? &bss_io : &v, sizeof v) != sizeof v)
            return 1;
    }
    printf("pong: total %ld, bss %s\n", total, check(5) ? "ok" : "bad");
    return 0;
}

static int do_pingpong(int rounds)
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent))
        return 1;
    fill(3);
    char in[16], out[16], stray[32];
    snprintf(in, sizeof in, "%d", to_child[0]);
    snprintf(out, sizeof out, "%d", to_parent[1]);
    snprintf(stray, sizeof stray, "%d,%d", to_child[1], to_parent[0]);
    char *argv[] = {self, in_bss ? "pong-bss" : "pong", in, out, stray, NULL};
    pid_t pid = spawn(argv);
    close(to_child[0]);
    close(to_parent[1]);
    long sum = 0;
    for (long i = 0; i < rounds; i++) {
        long v = i * 2;
        bss_io = v;
        if (write(to_child[1], in_bss ? &bss_io : &v, sizeof v) != sizeof v)
            return 1;
        if (read_full(to_parent[0], in_bss ? &bss_io : &v, sizeof v) < 0)
            return 1;
        sum += in_bss ? bss_io : v;
        data_word += 1;
    }
    close(to_child[1]);
    int st = wait_status(pid);
    printf("ping: %d rounds, sum %ld, data %#x, child status %d, bss %s\n", rounds, sum, data_word, st,
           check(3) ? "ok" : "bad");
    return 0;
}

static int do_gen(int n)
{
    fill(n);
    snprintf(data_text, sizeof data_text, "generation-%d", n);
    if (n > 1) {
        char arg[16];
        snprintf(arg, sizeof arg, "%d", n - 1);
        char *argv[] = {self, "gen", arg, NULL};
        pid_t pid = spawn(argv);
        int st = wait_status(pid);
        printf("gen %d: child status %d\n", n, st);
    }
    printf("gen %d: %s, bss %s\n", n, data_text, check(n) ? "ok" : "bad");
    fflush(stdout);
    return n;
}

static int reader(int fd)
{
    ssize_t r = read(fd, bss_buf, sizeof bss_buf - 1);
    printf("reader: %zd bytes\n", r);
    return 0;
}

static int futex_waiter(void)
{
    /* Waits for ever (nothing wakes it): only a signal ends it. */
    syscall(SYS_futex, &bss_futex, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    printf("waiter: woken\n");
    return 0;
}

static int do_conflict(void)
{
    char *argv[] = {self, "waiter", NULL};
    pid_t pid = spawn(argv);
    kill(pid, SIGKILL);
    printf("killer: child status %d\n", wait_status(pid));
    return 0;
}

static int do_bssread(void)
{
    int p[2];
    if (pipe(p))
        return 1;
    char in[16];
    snprintf(in, sizeof in, "%d", p[0]);
    char stray[16];
    snprintf(stray, sizeof stray, "%d", p[1]);
    char *argv[] = {self, "reader", in, stray, NULL};
    pid_t pid = spawn(argv);
    close(p[0]);
    if (write(p[1], "hello", 5) != 5)
        return 1;
    close(p[1]);
    printf("writer: child status %d\n", wait_status(pid));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(self, sizeof self, "%s", argv[0]);
    const char *mode = argc > 1 ? argv[1] : "vfork";
    if (!strcmp(mode, "vfork"))
        return do_vfork();
    if (!strcmp(mode, "child"))
        return child_writes();
    if (!strcmp(mode, "pingpong"))
        return do_pingpong(argc > 2 ? atoi(argv[2]) : 100);
    if (!strcmp(mode, "pingpong-bss")) {
        in_bss = 1;
        return do_pingpong(argc > 2 ? atoi(argv[2]) : 100);
    }
    if (!strcmp(mode, "pong") || !strcmp(mode, "pong-bss")) {
        in_bss = !strcmp(mode, "pong-bss");
        /* The parent's ends, inherited: closed so that EOF can come. */
        int a, b;
        if (sscanf(argv[4], "%d,%d", &a, &b) == 2) {
            close(a);
            close(b);
        }
        return pong(atoi(argv[2]), atoi(argv[3]));
    }
    if (!strcmp(mode, "gen"))
        return do_gen(argc > 2 ? atoi(argv[2]) : 3) == 0;
    if (!strcmp(mode, "conflict"))
        return do_conflict();
    if (!strcmp(mode, "waiter"))
        return futex_waiter();
    if (!strcmp(mode, "bssread"))
        return do_bssread();
    if (!strcmp(mode, "reader")) {
        close(atoi(argv[3]));
        return reader(atoi(argv[2]));
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
