/* Null-syscall cost: getpid in a tight loop, nanoseconds per call.
 * Usage: getpid [iterations]   (default 5,000,000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    long sink = 0;
    for (long i = 0; i < n / 10; i++) sink += syscall(SYS_getpid);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) sink += syscall(SYS_getpid);
    double t1 = now_ns();
    printf("%.1f ns/call (%ld calls, checksum %d)\n", (t1 - t0) / n, n, sink > 0);
    return 0;
}
