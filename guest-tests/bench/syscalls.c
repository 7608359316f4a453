/* Cost of simple syscalls, nanoseconds per call.
 * Usage: syscalls MODE [iterations [PATH]]; MODE: read1 write1 stat
 * openclose access (of PATH, default /dev/null; a relative PATH is looked
 * up from the working directory) sendrecv1 (a one-byte send and recv
 * over a unix socketpair: the pair).
 * BENCH_ARM_SUD=1 (natively only) arms Syscall User Dispatch first, the
 * way nommu arms it as its trap fallback: the program's own text exempt
 * (its syscalls are allowed without reading the selector), the selector
 * at ALLOW. Every syscall then takes the host kernel's syscall-work path,
 * as each host call nommu makes does. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

static volatile char sud_selector; /* 0: SYSCALL_DISPATCH_FILTER_ALLOW */
extern char __executable_start[], etext[];

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "read1";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    const char *path = argc > 3 ? argv[3] : "/dev/null";
    int fd = open("/dev/null", O_RDWR);
    char c = 'x';
    struct stat st;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    if (getenv("BENCH_ARM_SUD") &&
        prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)__executable_start,
              (unsigned long)(etext - __executable_start), &sud_selector) != 0) {
        perror("prctl(PR_SET_SYSCALL_USER_DISPATCH)");
        return 2;
    }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (!strcmp(mode, "read1")) read(fd, &c, 1);
        else if (!strcmp(mode, "write1")) write(fd, &c, 1);
        else if (!strcmp(mode, "stat")) stat(path, &st);
        else if (!strcmp(mode, "openclose")) close(open(path, O_RDONLY));
        else if (!strcmp(mode, "access")) access(path, R_OK);
        else if (!strcmp(mode, "sendrecv1")) send(sv[0], &c, 1, 0), recv(sv[1], &c, 1, 0);
    }
    printf("%.1f ns/call (%s)\n", (now_ns() - t0) / n, mode);
    return 0;
}
