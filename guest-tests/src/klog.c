/* The kernel log: syslog(2) and /dev/kmsg.
 *
 * Without arguments: what holds on any Linux, whatever its log holds (run
 * natively as root and under nommu, and compared): syslog's errors and
 * sizes, /dev/kmsg's record format, errors, seeks, polls and waits. The
 * records it writes are found among the host's by their text; what it
 * prints never shows a record's sequence number or time.
 *
 * With "fresh": what a fresh machine's log must say exactly (nommu only:
 * it clears the log and reads it whole). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "fs_check.h"

enum {
    CLOSE, OPEN, READ, READ_ALL, READ_CLEAR, CLEAR, CONSOLE_OFF, CONSOLE_ON, CONSOLE_LEVEL, SIZE_UNREAD, SIZE_BUFFER
};

static long klog(int action, void *buf, long len)
{
    return syscall(SYS_syslog, action, buf, len);
}

/* Not the compiler's business that it is bad. */
static volatile unsigned long bad_user = 0x10;
#define BAD_USER ((void *)bad_user)
#define KERNEL_PTR ((void *)0xffff800000000000UL)
/* A user address whose 100 bytes run past the user address space. */
#define PAST_USER ((void *)((1UL << 47) - 4096 - 8))

static char big[1 << 20];

/* One record written by its own open of /dev/kmsg (Linux rate-limits the
 * writes of each open file). */
static long kwrite(const void *text, size_t len)
{
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long r = write(fd, text, len);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}
#define KWRITE(s) kwrite(s, sizeof(s) - 1)
/* Writes a record and checks that the whole write was taken. */
#define KW(s) T(KWRITE(s), (long)sizeof(s) - 1, 0)

/* Reads records from `fd` until one whose text has "klogtest"
 * (the host's own may come between); prints its priority and text.
 * Returns the read's result (-1 with errno on error). */
static long read_ours(int fd, const char *what)
{
    char rec[8192];
    for (int tries = 0; tries < 1000; tries++) {
        errno = 0;
        long n = read(fd, rec, sizeof rec - 1);
        if (n < 0) {
            printf("%s: -1 %s\n", what, ename(errno));
            return -1;
        }
        rec[n] = 0;
        unsigned prio;
        unsigned long long seq, usec;
        char flag;
        int body = 0;
        if (sscanf(rec, "%u,%llu,%llu,%c;%n", &prio, &seq, &usec, &flag, &body) < 4 || !body) {
            printf("%s: malformed record %s\nFAIL\n", what, rec);
            failures++;
            return n;
        }
        if (!strstr(rec + body, "klogtest"))
            continue;
        printf("%s: prio %u flag %c text %s", what, prio, flag, rec + body);
        if (rec[n - 1] != '\n') {
            printf("\nFAIL %s: no newline at the end\n", what);
            failures++;
        }
        return n;
    }
    printf("FAIL %s: not found\n", what);
    failures++;
    return -1;
}

/* Reads everything syslog's READ has, so that the next one waits. */
static void drain_syslog(void)
{
    while (klog(SIZE_UNREAD, NULL, 0) > 0)
        klog(READ, big, sizeof big);
}

static void *write_later(void *text)
{
    struct timespec t = { 0, 100 * 1000 * 1000 };
    nanosleep(&t, NULL);
    kwrite(text, strlen(text));
    return NULL;
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* The console level now: /proc/sys/kernel/printk's first field, where
 * there is one (nommu has none: its default, 7, on `run` 4). */
static int console_level(void)
{
    FILE *f = fopen("/proc/sys/kernel/printk", "r");
    int level = 4;
    if (f) {
        if (fscanf(f, "%d", &level) != 1)
            level = 4;
        fclose(f);
    }
    return level;
}

static void syslog_errors(void)
{
    T(klog(CLOSE, NULL, 0), 0, 0);
    T(klog(OPEN, NULL, 0), 0, 0);
    ERR(klog(11, NULL, 0), EINVAL);
    ERR(klog(-1, NULL, 0), EINVAL);
    for (int action = READ; action <= READ_CLEAR; action++) {
        printf("action %d\n", action);
        ERR(klog(action, NULL, 10), EINVAL);
        ERR(klog(action, big, -1), EINVAL);
        ERR(klog(action, NULL, 0), EINVAL);
        T(klog(action, big, 0), 0, 0);
        ERR(klog(action, KERNEL_PTR, 100), EFAULT);
        ERR(klog(action, PAST_USER, 100), EFAULT);
    }
    ERR(klog(CONSOLE_LEVEL, NULL, 0), EINVAL);
    ERR(klog(CONSOLE_LEVEL, NULL, 9), EINVAL);
    ERR(klog(CONSOLE_LEVEL, NULL, -1), EINVAL);
    T(klog(CONSOLE_LEVEL, NULL, console_level()), 0, 0);
    T(klog(CONSOLE_OFF, NULL, 0), 0, 0);
    T(klog(CONSOLE_ON, NULL, 0), 0, 0);
    check("SIZE_BUFFER is a buffer's size", klog(SIZE_BUFFER, NULL, 0) >= 4096);
    check("SIZE_UNREAD is a size", klog(SIZE_UNREAD, NULL, 0) >= 0);
}

static void syslog_reads(void)
{
    KW("klogtest syslog one\n");
    long n = klog(READ_ALL, big, sizeof big);
    check("READ_ALL read something", n > 0);
    big[n > 0 ? n : 0] = 0;
    char *ours = strstr(big, "klogtest syslog one\n");
    check("READ_ALL has the record", ours != NULL);
    /* "<12>[sssss.uuuuuu] ": the line starts 19 bytes before the text. */
    check("as <prio>[seconds.micros] text",
          ours && ours - big >= 19 && memcmp(ours - 19, "<12>[", 5) == 0 && ours[-9] == '.' && ours[-2] == ']');
    /* READ takes from where the last one stopped; 8 bytes of a record. */
    T(klog(READ, big, 8), 8, 0);
    /* The rest of that record is there: a bad buffer takes it and fails. */
    ERR(klog(READ, BAD_USER, 100), EFAULT);
    drain_syslog();
    T(klog(SIZE_UNREAD, NULL, 0), 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, write_later, "klogtest syslog two\n");
    n = klog(READ, big, sizeof big);
    check("READ waits for a record", n > 0);
    pthread_join(t, NULL);
    drain_syslog();
    handle(SIGALRM, on_alarm, 0);
    alarm_in_ms(100);
    ERR(klog(READ, big, sizeof big), EINTR);
}

static void kmsg_file(void)
{
    struct stat st;
    OK(stat("/dev/kmsg", &st));
    check("/dev/kmsg is char 1,11, rw-r--r--",
          S_ISCHR(st.st_mode) && (st.st_mode & 0777) == 0644 && major(st.st_rdev) == 1 && minor(st.st_rdev) == 11);
    OK(access("/dev/kmsg", R_OK | W_OK));
    int fd = FD(open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    OK(fstat(fd, &st));
    check("fstat: char 1,11", S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 11);
    char rec[8192];
    /* Each read returns one record: the oldest first (there is one: the
     * record syslog_reads wrote at least). */
    long n = read(fd, rec, sizeof rec);
    check("the first read is a record", n > 0 && rec[n - 1] == '\n' && strchr(rec, ';') != NULL);
    ERR(read(fd, rec, 0), EINVAL);
    ERR(lseek(fd, 1, SEEK_SET), ESPIPE);
    ERR(lseek(fd, -1, SEEK_END), ESPIPE);
    ERR(lseek(fd, 0, SEEK_CUR), EINVAL);
    ERR(lseek(fd, 0, SEEK_HOLE), EINVAL);
    T(lseek(fd, 0, SEEK_DATA), 0, 0);
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    T(lseek(fd, 0, SEEK_END), 0, 0);
    ERR(read(fd, rec, sizeof rec), EAGAIN);
    struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
    T(poll(&p, 1, 0), 0, 0);

    KW("<3>klogtest error\n");
    p.revents = 0;
    T(poll(&p, 1, 0), 1, 0);
    printf("revents %#x\n", p.revents);
    read_ours(fd, "<3>");
    KW("klogtest no prefix\n");
    read_ours(fd, "none");
    KW("<165>klogtest facility 20\n");
    read_ours(fd, "<165>");
    KW("<2048>klogtest facility 256\n");
    read_ours(fd, "<2048>");
    KW("<x>klogtest not a prefix\n");
    KW("klogtest escapes a\\b\x01\x7f\n");
    KW("klogtest lines\nline2\n\n");
    KW("klogtest nul\0after\n");
    /* Linux shows a record without a newline at the end (the last one)
     * only when the next one comes. */
    KW("klogtest the next one\n");
    /* "<x>" is text: the record starts with it. */
    for (int i = 0; i < 5; i++)
        read_ours(fd, "text");

    /* Lengths: a record is at most 1024 bytes; an empty write is one. */
    char long_text[1025];
    memset(long_text, 'a', sizeof long_text);
    ERR(kwrite(long_text, 1025), EINVAL);
    T(kwrite(long_text, 1024), 1024, 0);
    T(kwrite("", 0), 0, 0);
    ERR(kwrite(BAD_USER, 5), EFAULT);
    KW("klogtest the next one\n");

    /* A read too small for the record, or into a bad buffer, fails and
     * takes it all the same. */
    T(lseek(fd, 0, SEEK_END), 0, 0);
    KW("klogtest small\n");
    ERR(read(fd, rec, 5), EINVAL);
    KW("klogtest efault\n");
    ERR(read(fd, BAD_USER, 100), EFAULT);
    KW("klogtest after\n");
    read_ours(fd, "after");
    /* pread reads the next record wherever it is asked to. */
    KW("klogtest pread\n");
    n = pread(fd, rec, sizeof rec - 1, 12345);
    rec[n > 0 ? n : 0] = 0;
    check("pread: the next record", n > 0 && strstr(rec, ";klogtest pread\n"));
    T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK, 0);
    int unread;
    ERR(ioctl(fd, FIONREAD, &unread), ENOTTY);
    close(fd);

    int wfd = FD(open("/dev/kmsg", O_WRONLY | O_CLOEXEC));
    ERR(read(wfd, rec, sizeof rec), EBADF);
    T(lseek(wfd, 0, SEEK_END), 0, 0);
    T(write(wfd, "klogtest wronly\n", 16), 16, 0);
    close(wfd);
    int rfd = FD(open("/dev/kmsg", O_RDONLY | O_CLOEXEC));
    ERR(write(rfd, "x\n", 2), EBADF);

    /* A blocking read waits for the next record, or a signal. */
    T(lseek(rfd, 0, SEEK_END), 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, write_later, "klogtest waited for\n");
    read_ours(rfd, "blocking");
    pthread_join(t, NULL);
    T(lseek(rfd, 0, SEEK_END), 0, 0);
    handle(SIGALRM, on_alarm, 0);
    alarm_in_ms(100);
    ERR(read(rfd, rec, sizeof rec), EINTR);
    close(rfd);
}

/* A fresh machine's log: exactly what was written. */
static void fresh(void)
{
    T(klog(CLEAR, NULL, 0), 0, 0);
    T(klog(READ_ALL, big, sizeof big), 0, 0);
    drain_syslog();
    int fd = FD(open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    T(lseek(fd, 0, SEEK_DATA), 0, 0);
    ERR(read(fd, big, 100), EAGAIN);
    KW("<6>one\n");
    KW("two\nlines");
    long n = klog(READ_ALL, big, sizeof big);
    big[n > 0 ? n : 0] = 0;
    /* Times differ from run to run: each "[...]" shown as "[T]". */
    printf("READ_ALL:\n");
    for (char *p = big; *p; p++) {
        if (*p == '[') {
            fputs("[T]", stdout);
            p = strchr(p, ']');
        } else
            putchar(*p);
    }
    T(klog(SIZE_UNREAD, NULL, 0), n, 0);
    T(klog(READ, big, 3), 3, 0);
    printf("READ 3: %.3s\n", big);
    T(klog(SIZE_UNREAD, NULL, 0), n - 3, 0);
    T(klog(READ_CLEAR, big, sizeof big), n, 0);
    T(klog(READ_ALL, big, sizeof big), 0, 0);
    T(klog(SIZE_UNREAD, NULL, 0), n - 3, 0);
    /* READ_ALL starts after the last clear. */
    KW("three\n");
    n = klog(READ_ALL, big, 30);
    big[n > 0 ? n : 0] = 0;
    check("READ_ALL after READ_CLEAR: the newer record only", n > 0 && strstr(big, "three\n") && !strstr(big, "one"));
    /* /dev/kmsg: SEEK_DATA after the CLEAR, SEEK_SET at the oldest. */
    T(lseek(fd, 0, SEEK_DATA), 0, 0);
    n = read(fd, big, 100);
    big[n > 0 ? n : 0] = 0;
    printf("after CLEAR: %s", n > 0 ? strchr(big, ';') + 1 : "nothing\n");
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    n = read(fd, big, 100);
    check("SEEK_SET: the oldest record", n > 0 && strncmp(big, "14,", 3) == 0 && strstr(big, ";one\n"));
    n = read(fd, big, 100);
    check("two lines, escaped", n > 0 && strncmp(big, "12,", 3) == 0 && strstr(big, ";two\\x0alines\n"));
    /* A reader left behind by 200 records of 1000 bytes: EPIPE once, then
     * the oldest still there. */
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    char line[1000];
    memset(line, 'x', sizeof line);
    for (int i = 0; i < 200; i++)
        kwrite(line, sizeof line);
    ERR(read(fd, big, 2000), EPIPE);
    n = read(fd, big, 2000);
    check("then the oldest left", n > 1000 && strstr(big, ";xxx") != NULL);
    T(klog(CONSOLE_LEVEL, NULL, 1), 0, 0);
    close(fd);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "fresh") == 0) {
        fresh();
        return finish("klog fresh");
    }
    syslog_errors();
    syslog_reads();
    kmsg_file();
    return finish("klog");
}
