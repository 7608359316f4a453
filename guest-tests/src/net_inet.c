/*
 * net_inet: internet sockets on loopback only (127.0.0.1 and ::1). TCP:
 * bind to port 0, getsockname's port, listen, a non-blocking connect
 * (EINPROGRESS, then writable and SO_ERROR 0), accept4 with the peer's
 * address, echo both ways, sendmsg/recvmsg with two iovecs, shutdown and
 * EOF, connect to a closed port (ECONNREFUSED), a second bind of the same
 * port (EADDRINUSE), SO_REUSEADDR, TCP_NODELAY. UDP: sendto/recvfrom with
 * the sender's address, connected send, sendmmsg/recvmmsg, MSG_TRUNC.
 * IPv6 the same way when the host has ::1 (printed either way).
 * In "none" mode (run by the test under `nommu --net none`) it checks
 * instead that internet sockets reach nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proc_check.h"

static int errno_is(long r, int e)
{
    return r == -1 && errno == e;
}

/* A loopback address of `family` with port 0. */
static socklen_t loopback(int family, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    return sizeof *a;
}

static int port_of(struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)ss)->sin6_port);
}

static int is_loopback(struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    return memcmp(&((struct sockaddr_in6 *)ss)->sin6_addr, &in6addr_loopback, 16) == 0;
}

static void tcp(int family, const char *fam)
{
    char what[128], buf[64];
#define CHECK(name, cond)                                       \
    do {                                                        \
        snprintf(what, sizeof what, "%s tcp: %s", fam, name);   \
        check(what, cond);                                      \
    } while (0)
    struct sockaddr_storage a, b;
    socklen_t alen = loopback(family, &a), len;
    int l = socket(family, SOCK_STREAM, 0);
    int one = 1;
    CHECK("SO_REUSEADDR", setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    CHECK("bind port 0", bind(l, (struct sockaddr *)&a, alen) == 0);
    len = sizeof a;
    CHECK("getsockname gives a port", getsockname(l, (struct sockaddr *)&a, &len) == 0 && port_of(&a) > 0);
    CHECK("listen", listen(l, 8) == 0);
    int other = socket(family, SOCK_STREAM, 0);
    CHECK("bind the same port: EADDRINUSE", errno_is(bind(other, (struct sockaddr *)&a, alen), EADDRINUSE));
    close(other);

    int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&a, alen);
    CHECK("non-blocking connect", r == 0 || errno == EINPROGRESS);
    struct pollfd p = { c, POLLOUT, 0 };
    CHECK("connect completes: writable", poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
    int err = -1;
    len = sizeof err;
    CHECK("SO_ERROR 0", getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
    fcntl(c, F_SETFL, 0);
    CHECK("TCP_NODELAY", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    len = sizeof b;
    int s = accept4(l, (struct sockaddr *)&b, &len, SOCK_CLOEXEC);
    CHECK("accept4", s >= 0 && fcntl(s, F_GETFD) == FD_CLOEXEC);
    CHECK("accept: peer is loopback", is_loopback(&b) && port_of(&b) > 0);
    CHECK("client to server", write(c, "hello", 5) == 5 && read(s, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5));
    struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
    struct msghdr m = { 0 };
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    CHECK("sendmsg two iovecs", sendmsg(s, &m, 0) == 5);
    char x[2], y[8];
    struct iovec in[2] = { { x, 2 }, { y, 3 } };
    struct msghdr mi = { 0 };
    mi.msg_iov = in;
    mi.msg_iovlen = 2;
    CHECK("recvmsg two iovecs", recvmsg(c, &mi, MSG_WAITALL) == 5 && !memcmp(x, "ab", 2) &&
                                    !memcmp(y, "cde", 3));
    CHECK("shutdown write", shutdown(c, SHUT_WR) == 0);
    CHECK("server sees EOF", read(s, buf, sizeof buf) == 0);
    close(s);
    close(c);
    close(l);

    c = socket(family, SOCK_STREAM, 0);
    CHECK("connect to a closed port: ECONNREFUSED", errno_is(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED));
    close(c);
#undef CHECK
}

static void udp(int family, const char *fam)
{
    char what[128], buf[64];
#define CHECK(name, cond)                                       \
    do {                                                        \
        snprintf(what, sizeof what, "%s udp: %s", fam, name);   \
        check(what, cond);                                      \
    } while (0)
    struct sockaddr_storage a1, a2, from;
    socklen_t l1 = loopback(family, &a1), l2 = loopback(family, &a2), len;
    int u1 = socket(family, SOCK_DGRAM, 0), u2 = socket(family, SOCK_DGRAM, 0);
    CHECK("bind both", bind(u1, (struct sockaddr *)&a1, l1) == 0 && bind(u2, (struct sockaddr *)&a2, l2) == 0);
    len = sizeof a1;
    getsockname(u1, (struct sockaddr *)&a1, &len);
    len = sizeof a2;
    getsockname(u2, (struct sockaddr *)&a2, &len);
    CHECK("sendto", sendto(u1, "datagram", 8, 0, (struct sockaddr *)&a2, l2) == 8);
    len = sizeof from;
    CHECK("recvfrom", recvfrom(u2, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 8);
    CHECK("recvfrom names the sender", port_of(&from) == port_of(&a1) && is_loopback(&from));
    CHECK("connect", connect(u1, (struct sockaddr *)&a2, l2) == 0);
    CHECK("send connected", send(u1, "abcdef", 6, 0) == 6);
    CHECK("recv MSG_TRUNC", recv(u2, buf, 2, MSG_TRUNC) == 6);

    struct mmsghdr mm[3];
    struct iovec iov[3];
    const char *words[3] = { "one", "two", "three" };
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        iov[i].iov_base = (void *)words[i];
        iov[i].iov_len = strlen(words[i]);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK("sendmmsg", sendmmsg(u1, mm, 3, 0) == 3 && mm[2].msg_len == 5);
    char bufs[3][16];
    struct iovec riov[3];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        riov[i].iov_base = bufs[i];
        riov[i].iov_len = sizeof bufs[i];
        mm[i].msg_hdr.msg_iov = &riov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK("recvmmsg", recvmmsg(u2, mm, 3, 0, NULL) == 3 && mm[0].msg_len == 3 && mm[2].msg_len == 5 &&
                          !memcmp(bufs[2], "three", 5));
    CHECK("recv nothing left: EAGAIN", errno_is(recv(u2, buf, 1, MSG_DONTWAIT), EAGAIN));
    close(u1);
    close(u2);
#undef CHECK
}

static int have_ipv6(void)
{
    struct sockaddr_storage a;
    socklen_t alen = loopback(AF_INET6, &a);
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    int ok = s >= 0 && bind(s, (struct sockaddr *)&a, alen) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

/* Under --net none: sockets can be made, but reach and bind nothing. */
static int none(void)
{
    struct sockaddr_storage a;
    socklen_t alen = loopback(AF_INET, &a);
    ((struct sockaddr_in *)&a)->sin_port = htons(9);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    check("none: socket", s >= 0);
    check("none: connect: ENETUNREACH", errno_is(connect(s, (struct sockaddr *)&a, alen), ENETUNREACH));
    check("none: bind: EADDRNOTAVAIL", errno_is(bind(s, (struct sockaddr *)&a, alen), EADDRNOTAVAIL));
    check("none: listen: EADDRNOTAVAIL", errno_is(listen(s, 1), EADDRNOTAVAIL));
    close(s);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    check("none: sendto: ENETUNREACH", errno_is(sendto(s, "x", 1, 0, (struct sockaddr *)&a, alen), ENETUNREACH));
    close(s);
    int sv[2];
    check("none: unix sockets work", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    return finish();
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "none") == 0)
        return none();
    tcp(AF_INET, "ipv4");
    udp(AF_INET, "ipv4");
    int v6 = have_ipv6();
    printf("ipv6 loopback: %s\n", v6 ? "yes" : "no");
    if (v6) {
        tcp(AF_INET6, "ipv6");
        udp(AF_INET6, "ipv6");
    }
    return finish();
}
