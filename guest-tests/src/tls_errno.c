/*
 * tls_errno: the initial thread's TLS block and errno.
 *
 * Checks that __thread variables get their initial values (.tdata) and
 * zeroes (.tbss), including an over-aligned one, that they are writable,
 * that they live below the thread pointer (x86-64 TLS variant II, %fs:0
 * holds the thread pointer itself), and that errno is set by failing
 * system calls (close(-1), read/write on a bad fd, dup of a bad fd).
 * Exit 0 when everything holds, 1 otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static __thread int t_init = 42;
static __thread long t_long = -123456789012345L;
static __thread char t_str[32] = "thread-local string";
static __thread int t_zero;
static __thread char t_zero_buf[256];
static __thread _Alignas(64) unsigned char t_aligned[64] = { 1, 2, 3, 4 };

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failures++;
}

static void *thread_pointer(void)
{
    void *tp;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return 0;
    return 1;
}

int main(void)
{
    printf("t_init=%d t_long=%ld t_str=\"%s\"\n", t_init, t_long, t_str);
    printf("t_zero=%d t_zero_buf all zero: %s\n", t_zero,
           all_zero(t_zero_buf, sizeof t_zero_buf) ? "yes" : "no");
    printf("t_aligned=%d,%d,%d,%d\n", t_aligned[0], t_aligned[1],
           t_aligned[2], t_aligned[3]);
    check("tdata initialised", t_init == 42 && t_long == -123456789012345L &&
                                   strcmp(t_str, "thread-local string") == 0);
    check("tbss zeroed", t_zero == 0 && all_zero(t_zero_buf, sizeof t_zero_buf));
    check("64-byte aligned tls", ((uintptr_t)t_aligned & 63) == 0 &&
                                     t_aligned[0] == 1 && t_aligned[3] == 4 &&
                                     all_zero(t_aligned + 4, 60));

    t_init += 1;
    t_zero = 7;
    strcpy(t_str, "changed");
    t_zero_buf[255] = 'z';
    printf("after writes: t_init=%d t_zero=%d t_str=\"%s\" last=%c\n",
           t_init, t_zero, t_str, t_zero_buf[255]);

    /* Variant II: the TLS block ends at the thread pointer. */
    uintptr_t tp = (uintptr_t)thread_pointer();
    uintptr_t a = (uintptr_t)&t_init, z = (uintptr_t)&t_zero_buf[255];
    check("fs:0 is the thread pointer", tp != 0);
    check("tls below thread pointer", a < tp && z < tp && tp - a < 65536);
    /* errno is per-thread: glibc keeps it in static TLS below the thread
       pointer, musl in the thread descriptor just above it. */
    uintptr_t e = (uintptr_t)&errno;
    check("errno is thread-local", (e < tp ? tp - e : e - tp) < 65536);

    char c;
    errno = 0;
    int r = close(-1);
    printf("close(-1) = %d, errno = %s\n", r, errno == EBADF ? "EBADF" : strerror(errno));
    check("close(-1) EBADF", r == -1 && errno == EBADF);

    errno = 0;
    ssize_t s = read(12345, &c, 1);
    printf("read(12345) = %zd, errno = %s\n", s, errno == EBADF ? "EBADF" : strerror(errno));
    check("read(12345) EBADF", s == -1 && errno == EBADF);

    errno = 0;
    s = write(12345, "x", 1);
    printf("write(12345) = %zd, errno = %s\n", s, errno == EBADF ? "EBADF" : strerror(errno));
    check("write(12345) EBADF", s == -1 && errno == EBADF);

    errno = 0;
    r = dup(-5);
    printf("dup(-5) = %d, errno = %s\n", r, errno == EBADF ? "EBADF" : strerror(errno));
    check("dup(-5) EBADF", r == -1 && errno == EBADF);

    /* A successful call must leave errno alone. */
    errno = 1234;
    r = getpid() > 0;
    check("errno untouched by success", r && errno == 1234);

    /* Writing TLS did not disturb errno and vice versa. */
    check("tls still intact", t_init == 43 && t_zero == 7 && t_zero_buf[255] == 'z');

    printf("errno works\n");
    printf("%s\n", failures ? "tls_errno FAILED" : "tls_errno ok");
    return failures ? 1 : 0;
}
