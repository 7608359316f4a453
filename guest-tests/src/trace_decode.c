/*
 * trace_decode: one of each call whose arguments strace decodes beyond
 * numbers (arch_prctl codes, ioctl requests, futex operations, clone
 * flags, socket families and protocols, addresses, msghdr, signal masks).
 * tests/trace.rs runs it natively under strace and under nommu --trace
 * and compares the lines. Everything it does is deterministic: no
 * addresses or pids are printed, ports are fixed, the sockets are local.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* <asm/prctl.h> and <linux/futex.h> are not in musl's include path. */
#define ARCH_GET_FS 0x1003
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffff

static void on_usr1(int sig)
{
    (void)sig;
}

/* Raw masks, as the kernel takes them: the libcs add bits of their own. */
static long sigprocmask_raw(int how, const uint64_t *set, uint64_t *old)
{
    return syscall(SYS_rt_sigprocmask, how, set, old, 8);
}

static void files_and_terminals(void)
{
    int p[2], n = 0, one = 1;
    struct termios t;
    struct winsize ws;
    if (pipe(p) != 0)
        _exit(10);
    ioctl(p[0], TCGETS, &t);
    ioctl(p[0], TIOCGWINSZ, &ws);
    ioctl(p[1], FIONBIO, &one);
    write(p[1], "abcde", 5);
    ioctl(p[0], FIONREAD, &n);
    ioctl(p[0], FIOCLEX);
    ioctl(p[0], FIONCLEX);
    close(p[0]);
    close(p[1]);
}

static void futexes(void)
{
    static int word;
    struct timespec zero = {0, 0};
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
    syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &zero, NULL,
            FUTEX_BITSET_MATCH_ANY);
}

static void signals(void)
{
    uint64_t int_term = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1));
    uint64_t all_but_rt01 = ~((1ull << 31) | (1ull << 32));
    uint64_t old;
    struct sigaction sa;
    sigprocmask_raw(SIG_BLOCK, &int_term, &old);
    sigprocmask_raw(SIG_UNBLOCK, &int_term, NULL);
    sigprocmask_raw(SIG_SETMASK, &all_but_rt01, &old);
    sigprocmask_raw(SIG_SETMASK, &old, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
}

static void sockets(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
    int sv[2], u;
    char buf[16], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec out[2] = {{"abc", 3}, {"de", 2}}, in = {buf, sizeof buf};
    struct msghdr m;
    struct cmsghdr *c;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    connect(u, (struct sockaddr *)&a, sizeof a);
    close(u);
    u = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    a.sin_port = 0;
    bind(u, (struct sockaddr *)&a, sizeof a);
    close(u);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        _exit(11);
    memset(&m, 0, sizeof m);
    m.msg_iov = out;
    m.msg_iovlen = 2;
    sendmsg(sv[0], &m, MSG_NOSIGNAL);
    memset(&m, 0, sizeof m);
    m.msg_iov = &in;
    m.msg_iovlen = 1;
    recvmsg(sv[1], &m, 0);

    /* A descriptor passed along: the control message. */
    memset(&m, 0, sizeof m);
    memset(cbuf, 0, sizeof cbuf);
    m.msg_iov = out;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
    sendmsg(sv[0], &m, 0);
    close(sv[0]);
    close(sv[1]);
}

static void spawn(void)
{
    char *argv[] = {"trace_decode", "child", NULL};
    pid_t pid;
    int status;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) == 0)
        waitpid(pid, &status, 0);
}

int main(int argc, char **argv)
{
    unsigned long fs;
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    files_and_terminals();
    futexes();
    signals();
    sockets();
    spawn();
    write(1, "done\n", 5);
    return 0;
}
