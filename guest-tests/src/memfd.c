/*
 * memfd: memfd_create. MFD_CLOEXEC (F_GETFD), reads and writes with the
 * file offset, ftruncate and fstat's size, the /proc/self/fd link
 * ("/memfd:NAME (deleted)"), a MAP_SHARED mapping that sees write() and
 * whose stores read() sees, a vfork+exec'd child writing through the
 * descriptor it inherits, seals (F_GET_SEALS without MFD_ALLOW_SEALING is
 * F_SEAL_SEAL; F_ADD_SEALS of F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE
 * and F_SEAL_SEAL with the EPERMs they cause; EBUSY for F_SEAL_WRITE
 * while a shared writable mapping exists; EINVAL on a pipe),
 * MFD_NOEXEC_SEAL (F_SEAL_EXEC, no execute bits), and the argument
 * errors: unknown flags, MFD_EXEC with MFD_NOEXEC_SEAL, a name of 250
 * bytes (EINVAL), a bad name pointer (EFAULT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc_check.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x10U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

#define BAD_PTR ((void *)16)

static int errno_is(long r, int e)
{
    return r == -1 && errno == e;
}

static int mfd(const char *name, unsigned flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}

static off_t size_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 3 && !strcmp(argv[1], "write")) {
        /* the inherited descriptor: append a line */
        int fd = atoi(argv[2]);
        return write(fd, "from the child\n", 15) == 15 ? 0 : 1;
    }
    char buf[256];

    int fd = mfd("nommu-test", MFD_CLOEXEC);
    check("memfd_create(MFD_CLOEXEC)", fd >= 0);
    check("F_GETFD: close-on-exec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    check("F_GETFL: read-write", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
    struct stat st;
    check("fstat: an empty regular file", fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
                                              st.st_nlink == 0);
    char link[64], want[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    check("/proc/self/fd link: /memfd:nommu-test (deleted)", !strcmp(buf, "/memfd:nommu-test (deleted)"));
    check("write", write(fd, "hello, memfd", 12) == 12 && size_of(fd) == 12);
    check("read from the start", lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, sizeof buf) == 12 &&
                                     !memcmp(buf, "hello, memfd", 12));
    check("pread", pread(fd, buf, 5, 7) == 5 && !memcmp(buf, "memfd", 5));
    check("ftruncate longer reads zeros", ftruncate(fd, 8192) == 0 && size_of(fd) == 8192 &&
                                              pread(fd, buf, 4, 4000) == 4 && !memcmp(buf, "\0\0\0\0", 4));

    /* a shared mapping */
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap MAP_SHARED", m != MAP_FAILED);
    check("the mapping holds the file", !memcmp(m, "hello, memfd", 12));
    memcpy(m + 4096, "stored", 6);
    check("read sees a store into the mapping", pread(fd, buf, 6, 4096) == 6 && !memcmp(buf, "stored", 6));
    check("the mapping sees a write", pwrite(fd, "WRITTEN", 7, 100) == 7 && !memcmp(m + 100, "WRITTEN", 7));
    check("munmap", munmap(m, 8192) == 0);

    /* a child writes through the inherited descriptor */
    int fd2 = mfd("shared", 0);
    check("memfd_create without flags: no close-on-exec", fd2 >= 0 && fcntl(fd2, F_GETFD) == 0);
    char arg[16];
    snprintf(arg, sizeof arg, "%d", fd2);
    pid_t pid = vfork_self(NULL, "write", arg, NULL, NULL);
    int stat;
    check("the child wrote", pid > 0 && waitpid(pid, &stat, 0) == pid && WIFEXITED(stat) && WEXITSTATUS(stat) == 0);
    check("what the child wrote is there", pread(fd2, buf, 15, 0) == 15 && !memcmp(buf, "from the child\n", 15));

    /* seals */
    check("F_GET_SEALS without MFD_ALLOW_SEALING: F_SEAL_SEAL", fcntl(fd2, F_GET_SEALS) == F_SEAL_SEAL);
    check("F_ADD_SEALS then: EPERM", errno_is(fcntl(fd2, F_ADD_SEALS, F_SEAL_WRITE), EPERM));
    int s = mfd("sealed", MFD_ALLOW_SEALING);
    check("memfd_create(MFD_ALLOW_SEALING)", s >= 0 && fcntl(s, F_GET_SEALS) == 0);
    check("write 100 bytes", ftruncate(s, 100) == 0);
    check("F_SEAL_SHRINK | F_SEAL_GROW", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0 &&
                                             fcntl(s, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW));
    check("shrinking: EPERM", errno_is(ftruncate(s, 50), EPERM));
    check("growing: EPERM", errno_is(ftruncate(s, 200), EPERM));
    check("writing past the end: EPERM", errno_is(pwrite(s, "x", 1, 100), EPERM));
    check("writing inside", pwrite(s, "x", 1, 99) == 1);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    check("F_SEAL_WRITE with a shared writable mapping: EBUSY",
          m != MAP_FAILED && errno_is(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE), EBUSY));
    munmap(m, 4096);
    check("F_SEAL_WRITE", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE) == 0);
    check("writing: EPERM", errno_is(pwrite(s, "y", 1, 0), EPERM));
    check("mmap MAP_SHARED writable: EPERM",
          mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0) == MAP_FAILED && errno == EPERM);
    check("F_SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL) == 0);
    check("no more seals: EPERM", errno_is(fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK), EPERM));
    check("unknown seals: EINVAL", errno_is(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL));
    int p[2];
    check("pipe", pipe(p) == 0);
    check("F_GET_SEALS of a pipe: EINVAL", errno_is(fcntl(p[0], F_GET_SEALS), EINVAL));
    check("F_ADD_SEALS on a pipe: EINVAL", errno_is(fcntl(p[1], F_ADD_SEALS, F_SEAL_SEAL), EINVAL));
    int x = mfd("noexec", MFD_NOEXEC_SEAL);
    check("MFD_NOEXEC_SEAL: F_SEAL_EXEC, no execute bits",
          x >= 0 && (fcntl(x, F_GET_SEALS) & F_SEAL_EXEC) && fstat(x, &st) == 0 && (st.st_mode & 0111) == 0);

    /* argument errors */
    check("unknown flags: EINVAL", errno_is(mfd("x", 0x100), EINVAL));
    check("MFD_EXEC with MFD_NOEXEC_SEAL: EINVAL", errno_is(mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL));
    check("a huge page size without MFD_HUGETLB: EINVAL", errno_is(mfd("x", 21U << 26), EINVAL));
    check("a bad name pointer: EFAULT", errno_is(syscall(SYS_memfd_create, BAD_PTR, 0), EFAULT));
    memset(buf, 'n', 250);
    buf[250] = 0;
    check("a name of 250 bytes: EINVAL", errno_is(mfd(buf, 0), EINVAL));
    buf[249] = 0;
    int longest = mfd(buf, 0);
    check("a name of 249 bytes", longest >= 0);
    snprintf(link, sizeof link, "/proc/self/fd/%d", longest);
    snprintf(want, sizeof want, "/memfd:nnnnn");
    char target[512];
    n = readlink(link, target, sizeof target - 1);
    check("its link", n == 7 + 249 + 10 && !strncmp(target, want, strlen(want)));
    return finish();
}
