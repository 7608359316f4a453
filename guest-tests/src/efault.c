/*
 * efault: system calls given bad user pointers fail with EFAULT instead of
 * crashing the process (or the emulator).
 *   write(1, (void*)8, 5)             -- bad source buffer
 *   read(pipe, (void*)16, 5)          -- bad destination, data available
 *   read(pipe, (void*)-4096L, 5)      -- destination in the kernel half
 *   uname(NULL)
 *   clock_gettime(CLOCK_MONOTONIC, (void*)16)
 * Raw syscall() is used throughout so libc (or the vDSO) never touches the
 * bad pointer itself. Exit 0 when every call gives EFAULT, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void report(const char *what, long r)
{
    int e = errno;
    printf("%s = %ld, errno = %s\n", what, r, e == EFAULT ? "EFAULT" : strerror(e));
    if (r != -1 || e != EFAULT)
        failures++;
}

int main(void)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 2;
    }
    if (write(p[1], "hello world", 11) != 11) {
        perror("write to pipe");
        return 2;
    }

    fflush(stdout);
    errno = 0;
    report("write(1, 8, 5)", syscall(SYS_write, 1, (void *)8, 5));
    errno = 0;
    report("read(pipe, 16, 5)", syscall(SYS_read, p[0], (void *)16, 5));
    errno = 0;
    report("read(pipe, -4096, 5)", syscall(SYS_read, p[0], (void *)-4096L, 5));
    errno = 0;
    report("uname(NULL)", syscall(SYS_uname, NULL));
    errno = 0;
    report("clock_gettime(MONOTONIC, 16)",
           syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)16));

    /* The pipe data is still all there: failed reads consumed nothing. */
    char buf[16] = { 0 };
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    printf("pipe still holds: %zd \"%s\"\n", n, buf);
    if (n != 11)
        failures++;

    printf("%s\n", failures ? "efault FAILED" : "efault ok");
    return failures ? 1 : 0;
}
