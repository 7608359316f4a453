/*
 * net_unix: unix sockets between and within processes. socketpair of
 * each type (stream bytes, seqpacket and dgram boundaries, MSG_TRUNC,
 * MSG_PEEK, MSG_DONTWAIT -> EAGAIN), SO_PEERCRED naming the peer process,
 * SCM_RIGHTS passing a pipe end (to this process and to a vfork+exec'd
 * child), path names (bind relative to the cwd, getsockname/getpeername
 * as bound, accept of an unbound client, connect to a missing path and
 * to a regular file, a second bind of a path), abstract names, dgram
 * sendto/recvfrom with the sender's address, shutdown, EPIPE/SIGPIPE,
 * poll readiness, a blocking accept ended by a signal (EINTR), and the
 * argument errors: EAFNOSUPPORT, EINVAL, EFAULT, EBADF, ENOTSOCK,
 * EOPNOTSUPP, EMSGSIZE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc_check.h"

#define BAD_PTR ((void *)16)

static int errno_is(long r, int e)
{
    return r == -1 && errno == e;
}

static socklen_t un_addr(struct sockaddr_un *a, const char *path, int abstract)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) {
        memcpy(a->sun_path + 1, path, strlen(path));
        return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
    }
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* Sends the one byte `byte` and, when len > 0, one SOL_SOCKET control
 * message of `type` carrying the len bytes at data: sendmsg's answer. */
static int send_with_control(int sock, char byte, int type, const void *data, size_t len)
{
    struct iovec iov = { &byte, 1 };
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))]; /* the larger of int and ucred */
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = { 0 };
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (len) {
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(len);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = type;
        c->cmsg_len = CMSG_LEN(len);
        memcpy(CMSG_DATA(c), data, len);
    }
    return sendmsg(sock, &m, 0);
}

/* Receives one byte with room for one SOL_SOCKET control message of len
 * bytes; copies its data to `data` if it is of `type`. 0, or -1 if the
 * byte or that message did not come; *flags (if given) gets msg_flags. */
static int recv_with_control(int sock, int rflags, int type, void *data, size_t len, int *flags)
{
    char byte;
    struct iovec iov = { &byte, 1 };
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    struct msghdr m = { 0 };
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(len);
    if (recvmsg(sock, &m, rflags) != 1)
        return -1;
    if (flags)
        *flags = m.msg_flags;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != type)
        return -1;
    memcpy(data, CMSG_DATA(c), len);
    return 0;
}

static int send_fd(int sock, int fd)
{
    return send_with_control(sock, 'F', SCM_RIGHTS, &fd, sizeof fd);
}

/* Receives one descriptor (-1 if none came); *flags gets msg_flags. */
static int recv_fd(int sock, int rflags, int *flags)
{
    int fd;
    return recv_with_control(sock, rflags, SCM_RIGHTS, &fd, sizeof fd, flags) == 0 ? fd : -1;
}

static void pairs(void)
{
    int sv[2];
    char buf[64];
    check("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    check("stream write", write(sv[0], "hello", 5) == 5);
    check("stream read", read(sv[1], buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0);
    check("stream empty MSG_DONTWAIT", errno_is(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN));
    check("stream send/recv", send(sv[1], "ab", 2, 0) == 2 && recv(sv[0], buf, 1, 0) == 1 && buf[0] == 'a');
    check("stream MSG_PEEK", recv(sv[0], buf, 1, MSG_PEEK) == 1 && recv(sv[0], buf + 1, 1, 0) == 1 && buf[1] == 'b');
    struct ucred cr;
    socklen_t len = sizeof cr;
    check("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && len == sizeof cr);
    check("SO_PEERCRED is this process", cr.pid == getpid() && cr.uid == getuid() && cr.gid == getgid());
    int type = 0;
    len = sizeof type;
    check("SO_TYPE", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
    struct pollfd p = { sv[1], POLLIN, 0 };
    check("poll: nothing to read", poll(&p, 1, 0) == 0);
    write(sv[0], "x", 1);
    check("poll: readable", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
    read(sv[1], buf, 1);
    check("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR) == 0);
    check("read after peer shutdown: EOF", read(sv[1], buf, 1) == 0);
    check("shutdown bad how", errno_is(shutdown(sv[0], 7), EINVAL));
    close(sv[1]);
    signal(SIGPIPE, SIG_IGN);
    check("write to closed peer: EPIPE", errno_is(write(sv[0], "x", 1), EPIPE));
    check("send MSG_NOSIGNAL: EPIPE", errno_is(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE));
    signal(SIGPIPE, SIG_DFL);
    close(sv[0]);

    check("socketpair seqpacket", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    send(sv[0], "one", 3, 0);
    send(sv[0], "three", 5, 0);
    check("seqpacket boundaries", recv(sv[1], buf, sizeof buf, 0) == 3);
    struct iovec iov = { buf, 2 };
    struct msghdr m = { 0 };
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    check("seqpacket truncated", recvmsg(sv[1], &m, 0) == 2 && (m.msg_flags & MSG_TRUNC));
    close(sv[0]);
    close(sv[1]);

    check("socketpair dgram cloexec", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
    check("FD_CLOEXEC set", fcntl(sv[0], F_GETFD) == FD_CLOEXEC);
    send(sv[0], "abcdef", 6, 0);
    check("dgram MSG_TRUNC returns the full length", recv(sv[1], buf, 2, MSG_TRUNC) == 6);
    close(sv[0]);
    close(sv[1]);

    check("socketpair nonblock", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    check("O_NONBLOCK set", (fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
    check("read nonblocking: EAGAIN", errno_is(read(sv[0], buf, 1), EAGAIN));
    close(sv[0]);
    close(sv[1]);
}

static void rights(void)
{
    int sv[2], pfd[2], flags = 0;
    char buf[8];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(pfd);
    check("SCM_RIGHTS send", send_fd(sv[0], pfd[1]) == 1);
    int got = recv_fd(sv[1], MSG_CMSG_CLOEXEC, &flags);
    check("SCM_RIGHTS received a new descriptor", got >= 0 && got != pfd[1] && !(flags & MSG_CTRUNC));
    check("MSG_CMSG_CLOEXEC", fcntl(got, F_GETFD) == FD_CLOEXEC);
    check("the passed pipe end works", write(got, "p", 1) == 1 && read(pfd[0], buf, 1) == 1 && buf[0] == 'p');
    close(got);
    int bad = 999;
    check("SCM_RIGHTS of a closed descriptor: EBADF", errno_is(send_fd(sv[0], bad), EBADF));

    /* Into a child process: it gets the pipe's write end and writes. */
    check("SCM_RIGHTS to a child", send_fd(sv[0], pfd[1]) == 1);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", sv[1]);
    pid_t pid = vfork_self(NULL, "child-rights", fdarg, NULL, NULL);
    int st;
    waitpid(pid, &st, 0);
    check("child used the passed descriptor", WIFEXITED(st) && WEXITSTATUS(st) == 0 && read(pfd[0], buf, 1) == 1 &&
                                                  buf[0] == 'c');

    /* The child's SO_PEERCRED names the parent that made the pair. */
    pid = vfork_self(NULL, "child-peercred", fdarg, NULL, NULL);
    waitpid(pid, &st, 0);
    check("child sees the parent as peer", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(sv[0]);
    close(sv[1]);
    close(pfd[0]);
    close(pfd[1]);
}

/* Receives one byte with SO_PASSCRED on: the sender's pid (-1 if none). */
static pid_t recv_creds(int sock)
{
    struct ucred cr;
    if (recv_with_control(sock, 0, SCM_CREDENTIALS, &cr, sizeof cr, NULL) != 0)
        return -1;
    return cr.uid == getuid() && cr.gid == getgid() ? cr.pid : -2;
}

/* One byte, with our credentials given explicitly or (without) left to
 * the kernel to attach. */
static int send_creds(int sock, int explicit)
{
    struct ucred cr = { getpid(), getuid(), getgid() };
    return send_with_control(sock, 'C', SCM_CREDENTIALS, &cr, explicit ? sizeof cr : 0);
}

/* SCM_CREDENTIALS names the process that sent: this one, a child, a
 * child that names itself. */
static void creds(void)
{
    int sv[2], one = 1, st;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    check("SO_PASSCRED", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0);
    check("SCM_CREDENTIALS from this process", send_creds(sv[1], 0) == 1 && recv_creds(sv[0]) == getpid());
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", sv[1]);
    pid_t pid = vfork_self(NULL, "child-creds", fdarg, NULL, NULL);
    check("SCM_CREDENTIALS from a child", recv_creds(sv[0]) == pid);
    waitpid(pid, &st, 0);
    pid = vfork_self(NULL, "child-creds-explicit", fdarg, NULL, NULL);
    check("SCM_CREDENTIALS a child sent itself", recv_creds(sv[0]) == pid);
    waitpid(pid, &st, 0);
    check("SCM_CREDENTIALS from this process again", send_creds(sv[1], 1) == 1 && recv_creds(sv[0]) == getpid());
    close(sv[0]);
    close(sv[1]);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void paths(void)
{
    char dir[] = "/tmp/net_unix.XXXXXX";
    char cwd[4096];
    struct sockaddr_un a, b;
    socklen_t len;
    char buf[64];
    check("mkdtemp", mkdtemp(dir) != NULL);
    getcwd(cwd, sizeof cwd);
    chdir(dir);
    umask(022);

    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t alen = un_addr(&a, "srv.sock", 0);
    check("bind relative path", bind(l, (struct sockaddr *)&a, alen) == 0);
    struct stat st;
    check("socket file exists", stat("srv.sock", &st) == 0 && S_ISSOCK(st.st_mode));
    check("socket file mode follows umask", (st.st_mode & 0777) == 0755);
    check("bind again, same path: EADDRINUSE", errno_is(bind(l, (struct sockaddr *)&a, alen), EADDRINUSE));
    struct sockaddr_un again;
    socklen_t again_len = un_addr(&again, "srv2.sock", 0);
    check("bind again, new path: EINVAL", errno_is(bind(l, (struct sockaddr *)&again, again_len), EINVAL));
    check("the failed bind left no file", access("srv2.sock", F_OK) != 0);
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind a used path: EADDRINUSE", errno_is(bind(other, (struct sockaddr *)&a, alen), EADDRINUSE));
    close(other);
    len = sizeof b;
    check("getsockname", getsockname(l, (struct sockaddr *)&b, &len) == 0);
    check("getsockname is the name as bound", len == alen && strcmp(b.sun_path, "srv.sock") == 0);
    check("accept before listen: EINVAL", errno_is(accept(l, NULL, NULL), EINVAL));
    check("listen", listen(l, 4) == 0);

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect by relative path", connect(c, (struct sockaddr *)&a, alen) == 0);
    len = sizeof b;
    memset(&b, 0, sizeof b);
    check("getpeername names the listener", getpeername(c, (struct sockaddr *)&b, &len) == 0 && len == alen &&
                                                strcmp(b.sun_path, "srv.sock") == 0);
    len = sizeof b;
    int s = accept(l, (struct sockaddr *)&b, &len);
    check("accept", s >= 0);
    check("accept: an unbound client has no name", len == sizeof(sa_family_t) && b.sun_family == AF_UNIX);
    len = sizeof b;
    check("accepted socket's name is the listener's",
          getsockname(s, (struct sockaddr *)&b, &len) == 0 && strcmp(b.sun_path, "srv.sock") == 0);
    struct ucred cr;
    len = sizeof cr;
    check("SO_PEERCRED across connect", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid == getpid());
    check("echo over a path socket", write(c, "ping", 4) == 4 && read(s, buf, sizeof buf) == 4);
    close(c);
    close(s);

    /* A short name: the absolute path works as well. */
    char abs[4200];
    snprintf(abs, sizeof abs, "%s/srv.sock", dir);
    if (strlen(abs) < sizeof a.sun_path) {
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        alen = un_addr(&a, abs, 0);
        check("connect by absolute path", connect(c, (struct sockaddr *)&a, alen) == 0);
        s = accept(l, NULL, NULL);
        check("accept with NULL address", s >= 0);
        close(s);
        close(c);
    }

    /* A blocking accept ends with EINTR when a handler runs. */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    /* SIGALRM every 100 ms until accept returns (one that came before it
     * blocked would leave it blocked). */
    struct itimerval every = { { 0, 100000 }, { 0, 100000 } }, off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &every, NULL);
    int r = accept(l, NULL, NULL);
    int err = errno;
    setitimer(ITIMER_REAL, &off, NULL);
    errno = err;
    check("blocking accept interrupted: EINTR", errno_is(r, EINTR));
    close(l);

    c = socket(AF_UNIX, SOCK_STREAM, 0);
    alen = un_addr(&a, "missing.sock", 0);
    check("connect to a missing path: ENOENT", errno_is(connect(c, (struct sockaddr *)&a, alen), ENOENT));
    int f = open("plain", O_CREAT | O_WRONLY, 0644);
    close(f);
    alen = un_addr(&a, "plain", 0);
    check("connect to a regular file: ECONNREFUSED", errno_is(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED));
    close(c);

    /* Datagrams between two bound sockets. */
    int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a1, a2;
    socklen_t l1 = un_addr(&a1, "d1.sock", 0), l2 = un_addr(&a2, "d2.sock", 0);
    check("bind dgram sockets", bind(d1, (struct sockaddr *)&a1, l1) == 0 && bind(d2, (struct sockaddr *)&a2, l2) == 0);
    check("sendto a path", sendto(d1, "dg", 2, 0, (struct sockaddr *)&a2, l2) == 2);
    len = sizeof b;
    memset(&b, 0, sizeof b);
    check("recvfrom", recvfrom(d2, buf, sizeof buf, 0, (struct sockaddr *)&b, &len) == 2);
    check("recvfrom names the sender as it bound", len == l1 && strcmp(b.sun_path, "d1.sock") == 0);
    check("sendto a missing path: ENOENT", errno_is(sendto(d1, "x", 1, 0, (struct sockaddr *)&a, un_addr(&a, "nope", 0)), ENOENT));
    check("send on unconnected dgram: ENOTCONN", errno_is(send(d1, "x", 1, 0), ENOTCONN));
    close(d1);
    close(d2);

    unlink("srv.sock");
    unlink("d1.sock");
    unlink("d2.sock");
    unlink("plain");
    chdir(cwd);
    rmdir(dir);
}

static void abstract(void)
{
    char name[64];
    struct sockaddr_un a, b;
    snprintf(name, sizeof name, "net_unix.%d", getpid());
    socklen_t alen = un_addr(&a, name, 1);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind abstract", bind(l, (struct sockaddr *)&a, alen) == 0);
    socklen_t len = sizeof b;
    check("getsockname abstract", getsockname(l, (struct sockaddr *)&b, &len) == 0 && len == alen &&
                                      b.sun_path[0] == 0 && memcmp(b.sun_path + 1, name, strlen(name)) == 0);
    listen(l, 1);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect abstract", connect(c, (struct sockaddr *)&a, alen) == 0);
    len = sizeof b;
    check("getpeername abstract", getpeername(c, (struct sockaddr *)&b, &len) == 0 && len == alen);
    int s = accept(l, NULL, NULL);
    check("accept abstract", s >= 0);
    close(s);
    close(c);
    close(l);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect to an unbound abstract name: ECONNREFUSED", errno_is(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED));
    close(c);

    /* A name padded with NULs to the whole sun_path (sizeof the struct),
     * as many programs pass it: the NULs are part of the name. */
    struct sockaddr_un full;
    memset(&full, 0, sizeof full);
    full.sun_family = AF_UNIX;
    snprintf(full.sun_path + 1, sizeof full.sun_path - 1, "net_unix.full.%d", getpid());
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind abstract, whole sun_path", bind(l, (struct sockaddr *)&full, sizeof full) == 0);
    len = sizeof b;
    memset(&b, 0xff, sizeof b);
    check("getsockname gives the whole sun_path", getsockname(l, (struct sockaddr *)&b, &len) == 0 &&
                                                      len == sizeof full && memcmp(&b, &full, sizeof full) == 0);
    listen(l, 1);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect with the whole sun_path", connect(c, (struct sockaddr *)&full, sizeof full) == 0);
    len = sizeof b;
    check("getpeername gives the whole sun_path", getpeername(c, (struct sockaddr *)&b, &len) == 0 && len == sizeof full);
    close(c);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t short_len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(full.sun_path + 1);
    check("the name without its NULs is another: ECONNREFUSED",
          errno_is(connect(c, (struct sockaddr *)&full, short_len), ECONNREFUSED));
    close(c);
    close(l);
}

static void errors(void)
{
    struct sockaddr_un a;
    socklen_t alen = un_addr(&a, "x", 0);
    int pfd[2];
    pipe(pfd);
    check("socket unknown family: EAFNOSUPPORT", errno_is(socket(4242, SOCK_STREAM, 0), EAFNOSUPPORT));
    check("socket bad flags: EINVAL", errno_is(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL));
    int sv[2];
    check("socketpair AF_INET: EOPNOTSUPP", errno_is(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP));
    check("socketpair bad pointer: EFAULT", errno_is(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, BAD_PTR), EFAULT));
    check("bind closed fd: EBADF", errno_is(bind(999, (struct sockaddr *)&a, alen), EBADF));
    check("bind a pipe: ENOTSOCK", errno_is(bind(pfd[0], (struct sockaddr *)&a, alen), ENOTSOCK));
    socklen_t optlen = sizeof(int);
    check("getsockopt on a pipe: ENOTSOCK", errno_is(getsockopt(pfd[0], SOL_SOCKET, SO_TYPE, sv, &optlen), ENOTSOCK));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind bad pointer: EFAULT", errno_is(syscall(SYS_bind, s, BAD_PTR, alen), EFAULT));
    check("bind length too long: EINVAL", errno_is(bind(s, (struct sockaddr *)&a, 4096), EINVAL));
    check("bind length 1: EINVAL", errno_is(bind(s, (struct sockaddr *)&a, 1), EINVAL));
    check("connect bad pointer: EFAULT", errno_is(syscall(SYS_connect, s, BAD_PTR, alen), EFAULT));
    socklen_t len = sizeof a;
    check("getsockname bad pointer: EFAULT", errno_is(syscall(SYS_getsockname, s, BAD_PTR, &len), EFAULT));
    len = -1;
    check("getsockname negative length: EINVAL", errno_is(getsockname(s, (struct sockaddr *)&a, &len), EINVAL));
    check("getpeername unconnected: ENOTCONN", errno_is(getpeername(s, (struct sockaddr *)&a, &len), ENOTCONN));
    int v = 0;
    len = sizeof v;
    check("getsockopt unknown option: ENOPROTOOPT", errno_is(getsockopt(s, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT));
    check("setsockopt bad pointer: EFAULT", errno_is(syscall(SYS_setsockopt, s, SOL_SOCKET, SO_RCVBUF, BAD_PTR, 4), EFAULT));
    check("accept4 bad flags: EINVAL", errno_is(accept4(s, NULL, NULL, 0x1234), EINVAL));
    struct msghdr m = { 0 };
    struct iovec iov = { "x", 1 };
    m.msg_iov = &iov;
    m.msg_iovlen = 1025;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    check("sendmsg iovlen > UIO_MAXIOV: EMSGSIZE", errno_is(syscall(SYS_sendmsg, sv[0], &m, 0), EMSGSIZE));
    check("sendmsg bad msghdr: EFAULT", errno_is(syscall(SYS_sendmsg, sv[0], BAD_PTR, 0), EFAULT));
    check("recvmsg bad msghdr: EFAULT", errno_is(syscall(SYS_recvmsg, sv[0], BAD_PTR, MSG_DONTWAIT), EFAULT));
    /* send/recv/sendto/recvfrom of one buffer: a bad one, empty ones,
     * a bad address length pointer. */
    char rb[8];
    check("sendto bad buffer: EFAULT", errno_is(syscall(SYS_sendto, sv[0], BAD_PTR, 1, 0, NULL, 0), EFAULT));
    check("sendto empty datagram", syscall(SYS_sendto, sv[0], NULL, 0, 0, NULL, 0) == 0);
    check("recvfrom empty datagram", syscall(SYS_recvfrom, sv[1], rb, sizeof rb, MSG_DONTWAIT, NULL, NULL) == 0);
    check("send for a bad length pointer", send(sv[0], "cd", 2, 0) == 2);
    check("recvfrom bad address length pointer: EFAULT",
          errno_is(syscall(SYS_recvfrom, sv[1], rb, sizeof rb, MSG_DONTWAIT, (struct sockaddr *)&a, BAD_PTR), EFAULT));
    check("which took the datagram: EAGAIN", errno_is(recv(sv[1], rb, sizeof rb, MSG_DONTWAIT), EAGAIN));
    check("send then recv", send(sv[0], "ef", 2, 0) == 2 && recv(sv[1], rb, sizeof rb, 0) == 2 && rb[1] == 'f');
    /* A receive buffer below TASK_SIZE is only bad once data reaches it:
     * EAGAIN while there is none, then EFAULT, which drops the datagram. */
    check("recvfrom bad buffer, no data: EAGAIN",
          errno_is(syscall(SYS_recvfrom, sv[1], BAD_PTR, 4, MSG_DONTWAIT, NULL, NULL), EAGAIN));
    check("send for a bad buffer", send(sv[0], "gh", 2, 0) == 2);
    check("recvfrom bad buffer: EFAULT", errno_is(syscall(SYS_recvfrom, sv[1], BAD_PTR, 4, MSG_DONTWAIT, NULL, NULL), EFAULT));
    check("which dropped the datagram: EAGAIN", errno_is(recv(sv[1], rb, sizeof rb, MSG_DONTWAIT), EAGAIN));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("listen on dgram: EOPNOTSUPP", errno_is(listen(d, 1), EOPNOTSUPP));
    close(d);
    close(s);
    close(sv[0]);
    close(sv[1]);
    close(pfd[0]);
    close(pfd[1]);
}

static int child(const char *mode, int sock)
{
    if (strncmp(mode, "child-creds", 11) == 0)
        return send_creds(sock, strcmp(mode, "child-creds-explicit") == 0) == 1 ? 0 : 1;
    if (strcmp(mode, "child-rights") == 0) {
        int flags;
        int fd = recv_fd(sock, 0, &flags);
        return fd >= 0 && write(fd, "c", 1) == 1 ? 0 : 1;
    }
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
        return 2;
    return cr.pid == getppid() ? 0 : 3;
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 2)
        return child(argv[1], atoi(argv[2]));
    pairs();
    rights();
    creds();
    paths();
    abstract();
    errors();
    return finish();
}
