/*
 * fs_fastrw: read and write of regular files and /dev/null, /dev/zero
 * called over and over from one place, as nommu's fast path makes them
 * (the entry stub itself, once a call from that site succeeded), and
 * everything that must take a call off it or change what it does:
 *   the descriptor closed, replaced by dup2 (also by a signal handler
 *   between two calls), and pointed elsewhere by a vfork child; a second
 *   thread; buffers elsewhere on the stack, at the bottom of a large
 *   stack array, in the heap; bad buffers (EFAULT, the offset unmoved);
 *   zero-length calls; EOF; interval-timer signals arriving while the
 *   loop runs; a write to a read-only descriptor (EBADF); the flags a
 *   syscall keeps; a process killed in its read loop and another running
 *   the same program after it, with another file at the same number.
 * Run in an empty directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs_check.h"

#define FILE_SIZE 4096

static void make_file(const char *name, char fill, size_t size)
{
    char *data = malloc(size);
    memset(data, fill, size);
    int fd = FD(open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    T(write(fd, data, size), (long)size, 0);
    OK(close(fd));
    free(data);
}

/* Reads `fd` one byte at a time to EOF: how many bytes, how many were `want`. */
static void read_bytewise(const char *what, int fd, char want)
{
    long n = 0, good = 0;
    char c;
    for (;;) {
        ssize_t r = read(fd, &c, 1);
        if (r != 1) {
            T(r, 0, 0);
            break;
        }
        n++;
        good += c == want;
    }
    printf("%s: %ld bytes, %ld of them '%c'\n", what, n, good, want);
    if (n != good)
        failures++;
}

static void loops_and_eof(void)
{
    int fd = FD(open("a", O_RDONLY));
    read_bytewise("bytewise to EOF", fd, 'A');
    T(read(fd, &(char){0}, 1), 0, 0);
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    read_bytewise("again after lseek", fd, 'A');

    int w = FD(open("w", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    for (int i = 0; i < 3000; i++)
        if (write(w, "w", 1) != 1)
            failures++;
    struct stat st;
    OK(fstat(w, &st));
    T(st.st_size, 3000, 0);
    ERR(read(w, &(char){0}, 1), EBADF);
    ERR(write(fd, "x", 1), EBADF);
    OK(close(w));

    int null = FD(open("/dev/null", O_RDWR));
    int zero = FD(open("/dev/zero", O_RDONLY));
    long sum = 0;
    for (int i = 0; i < 3000; i++) {
        char c = 1;
        sum += write(null, "x", 1);
        sum += read(null, &c, 1); /* EOF: 0 */
        sum += read(zero, &c, 1);
        sum += c; /* 0 */
    }
    T(sum, 6000, 0);
    OK(close(null));
    OK(close(zero));
    OK(close(fd));
}

/* The same descriptor number, another file in between. */
static void descriptor_changes(void)
{
    char c = 0;
    int fd = FD(open("a", O_RDONLY));
    for (int i = 0; i < 3; i++)
        T(read(fd, &c, 1), 1, 0);
    OK(close(fd));
    ERR(read(fd, &c, 1), EBADF);
    ERR(read(fd, &c, 1), EBADF);
    int again = FD(open("b", O_RDONLY));
    T(again, fd, 0);
    T(read(again, &c, 1), 1, 0);
    T(c, 'B', 0);

    int a = FD(open("a", O_RDONLY));
    for (int i = 0; i < 3; i++)
        T(read(a, &c, 1), 1, 0);
    int b = FD(open("b", O_RDONLY));
    OK(dup2(b, a) == a ? 0 : -1);
    T(read(a, &c, 1), 1, 0);
    T(c, 'B', 0);
    OK(close(a));
    OK(close(b));
    OK(close(again));
}

static volatile sig_atomic_t ticks, switched;
static int handler_fd, handler_target;

static void on_alarm(int sig)
{
    (void)sig;
    if (++ticks == 5) {
        dup2(handler_target, handler_fd);
        switched = 1;
    }
}

/* A handler that points the descriptor elsewhere between two reads: the
 * read after it returns must see the new file. Signals must also arrive
 * at all while the loop runs. */
static void handler_switches_descriptor(void)
{
    make_file("big", 'A', 1 << 20);
    handler_fd = FD(open("big", O_RDONLY));
    handler_target = FD(open("b", O_RDONLY));
    OK(sigaction(SIGALRM, &(struct sigaction){.sa_handler = on_alarm}, NULL));
    struct itimerval every_ms = {{0, 1000}, {0, 1000}};
    OK(setitimer(ITIMER_REAL, &every_ms, NULL));
    long wrong = 0, reads = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int after = switched;
        char c;
        if (read(handler_fd, &c, 1) != 1) {
            if (errno == EINTR)
                continue;
            /* "b" ran out: start it again. */
            lseek(handler_fd, 0, SEEK_SET);
            continue;
        }
        reads++;
        wrong += after && c != 'B';
        if (ticks >= 20)
            break;
        /* Only now and then: a clock_gettime that is a syscall would
         * take every read off the fast path. */
        if (reads % 4096 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec > 10)
                break;
        }
    }
    OK(setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL));
    printf("timer signals during the loop: %s\n", ticks >= 20 ? "20 or more" : "too few");
    printf("reads of the old file after the switch: %ld\n", wrong);
    if (ticks < 20 || wrong)
        failures++;
    OK(close(handler_fd));
    OK(close(handler_target));
}

/* A vfork child points the parent's descriptor number at another file and
 * reads it; the parent's own table is untouched. */
static void vfork_child_changes_its_copy(void)
{
    char c = 0;
    int fd = FD(open("a", O_RDONLY));
    int b = FD(open("b", O_RDONLY));
    for (int i = 0; i < 3; i++)
        T(read(fd, &c, 1), 1, 0);
    pid_t pid = vfork();
    if (pid == 0) {
        char d = 0;
        int ok = dup2(b, fd) == fd;
        for (int i = 0; i < 3; i++)
            ok &= read(fd, &d, 1) == 1 && d == 'B';
        _exit(ok ? 0 : 1);
    }
    int status;
    T(waitpid(pid, &status, 0) == pid, 1, 0);
    T(WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0, 0);
    T(read(fd, &c, 1), 1, 0);
    T(c, 'A', 0);
    T(lseek(fd, 0, SEEK_CUR), 4, 0);
    OK(close(fd));
    OK(close(b));
}

static void *thread_reads(void *arg)
{
    int fd = open("b", O_RDONLY);
    long good = 0;
    char c;
    while (read(fd, &c, 1) == 1)
        good += c == 'B';
    close(fd);
    *(long *)arg = good;
    return NULL;
}

static void with_a_second_thread(void)
{
    int fd = FD(open("a", O_RDONLY));
    char c;
    T(read(fd, &c, 1), 1, 0);
    long theirs = 0;
    pthread_t t;
    T(pthread_create(&t, NULL, thread_reads, &theirs), 0, 0);
    long mine = 1;
    while (read(fd, &c, 1) == 1)
        mine += c == 'A';
    T(pthread_join(t, NULL), 0, 0);
    T(mine, FILE_SIZE, 0);
    T(theirs, FILE_SIZE, 0);
    OK(close(fd));
}

/* The bottom of a large array on the stack: a stack that may still have
 * to grow that far. */
static __attribute__((noinline)) long read_deep(int fd)
{
    char deep[768 * 1024];
    long r = read(fd, deep, 1);
    r += read(fd, deep + sizeof deep / 2, 1);
    r += read(fd, deep, sizeof deep);
    long good = 0;
    for (size_t i = 0; i < 1000; i++)
        good += deep[i] == 'A';
    return r * 10000 + good;
}

/* volatile: the compiler would warn about (or drop) calls it can see are bad. */
static void *volatile bad_low = (void *)1;
static void *volatile bad_high = (void *)-4096L;
static void *volatile bad_null = NULL;

static void buffers(void)
{
    int fd = FD(open("big", O_RDWR));
    char c;
    for (int i = 0; i < 3; i++)
        T(read(fd, &c, 1), 1, 0);
    T(read_deep(fd), (2 + 768 * 1024) * 10000L + 1000, 0);
    char *heap = malloc(1 << 16);
    T(read(fd, heap, 1 << 16), 1 << 16, 0);
    T(heap[(1 << 16) - 1], 'A', 0);
    free(heap);

    long at = lseek(fd, 0, SEEK_CUR);
    T(read(fd, &c, 1), 1, 0);
    ERR(read(fd, bad_low, 1), EFAULT);
    ERR(read(fd, bad_high, 10), EFAULT);
    ERR(write(fd, bad_null, 1), EFAULT);
    T(lseek(fd, 0, SEEK_CUR), at + 1, 0);
    T(read(fd, &c, 0), 0, 0);
    T(read(fd, NULL, 0), 0, 0);
    T(write(fd, NULL, 0), 0, 0);
    T(read(fd, &c, 1), 1, 0);
    T(lseek(fd, 0, SEEK_CUR), at + 2, 0);
    OK(close(fd));
}

/* A syscall keeps the arithmetic flags (sysret restores them from r11):
 * the same raw read, from one site, several times. */
static void flags_survive(void)
{
    int fd = FD(open("a", O_RDONLY));
    int kept = 0;
    for (int i = 0; i < 4; i++) {
        char c;
        unsigned long before, after;
        long ret;
        __asm__ volatile("mov $0x7fffffff, %%ecx\n\t"
                         "add $1, %%ecx\n\t" /* OF, SF, AF, PF set */
                         "stc\n\t"
                         "pushfq\n\t"
                         "pop %[before]\n\t"
                         "syscall\n\t"
                         "pushfq\n\t"
                         "pop %[after]\n\t"
                         : [before] "=&r"(before), [after] "=&r"(after), "=a"(ret)
                         : "a"((long)SYS_read), "D"((long)fd), "S"(&c), "d"(1L)
                         : "rcx", "r11", "memory", "cc");
        const unsigned long arith = 0x8d5; /* CF PF AF ZF SF OF */
        kept += ret == 1 && (before & arith) == (after & arith);
    }
    printf("flags kept across 4 reads: %d\n", kept);
    if (kept != 4)
        failures++;
    OK(close(fd));
}

/* The descriptor number both processes of `killed_then_replaced` use. */
#define SHARED_FD 10

/* Where victim and reader read into: the same address in both (one
 * program, loaded where the dead one was). */
static char shared_byte;

/* victim FILE: FILE at SHARED_FD, read byte by byte forever (from EOF
 * back to the start); says "r" on stdout once it has read. */
static int victim(const char *file)
{
    if (dup2(open(file, O_RDONLY), SHARED_FD) != SHARED_FD)
        return 2;
    if (read(SHARED_FD, &shared_byte, 1) != 1 || write(1, "r", 1) != 1)
        return 3;
    for (;;)
        if (read(SHARED_FD, &shared_byte, 1) != 1)
            lseek(SHARED_FD, 0, SEEK_SET);
}

/* reader FILE WANT: reads FILE at SHARED_FD from the same call site the
 * victim read from, for 200 ms (under nommu it starts on its parent's
 * host thread and is moved to another, maybe the victim's, as it runs):
 * every byte must be WANT. */
static int reader(const char *file, char want)
{
    if (dup2(open(file, O_RDONLY), SHARED_FD) != SHARED_FD)
        return 2;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 1;; i++) {
        ssize_t r = read(SHARED_FD, &shared_byte, 1);
        if (r == 0) {
            lseek(SHARED_FD, 0, SEEK_SET);
            continue;
        }
        if (r != 1 || shared_byte != want)
            return 1;
        if (i % 4096 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec > 200000000L)
                return 0;
        }
    }
}

static pid_t spawn_self(const char *self, char *const argv[], int out)
{
    pid_t pid = vfork();
    if (pid == 0) {
        if (out >= 0)
            dup2(out, 1);
        execv(self, argv);
        _exit(127);
    }
    return pid;
}

/* A process killed while it reads in a loop, then another one running the
 * same program, with another file at the same descriptor number, on
 * whatever host thread is free: it reads its own file. (In between the
 * parent opens a file of its own 16 times, which takes the host
 * descriptor the dead one's file had.) */
static void killed_then_replaced(const char *self)
{
    make_file("x", 'X', FILE_SIZE);
    make_file("y", 'Y', FILE_SIZE);
    make_file("z", 'Z', FILE_SIZE);
    int p[2];
    OK(pipe(p));
    pid_t v = spawn_self(self, (char *[]){(char *)self, "victim", "x", NULL}, p[1]);
    OK(close(p[1]));
    char c = 0;
    T(read(p[0], &c, 1), 1, 0);
    OK(close(p[0]));
    usleep(50000);
    OK(kill(v, SIGKILL));
    int status;
    T(waitpid(v, &status, 0) == v, 1, 0);
    T(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 1, 0);
    int z[16];
    for (int i = 0; i < 16; i++)
        z[i] = open("z", O_RDONLY);
    pid_t r = spawn_self(self, (char *[]){(char *)self, "reader", "y", "Y", NULL}, -1);
    T(waitpid(r, &status, 0) == r, 1, 0);
    T(WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0, 0);
    for (int i = 0; i < 16; i++)
        close(z[i]);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "victim"))
        return victim(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "reader"))
        return reader(argv[2], argv[3][0]);
    make_file("a", 'A', FILE_SIZE);
    make_file("b", 'B', FILE_SIZE);
    loops_and_eof();
    descriptor_changes();
    handler_switches_descriptor();
    vfork_child_changes_its_copy();
    buffers();
    flags_survive();
    killed_then_replaced(argv[0]);
    with_a_second_thread();
    printf("%d failures\n", failures);
    return failures != 0;
}
