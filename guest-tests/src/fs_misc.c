/*
 * fs_misc: the remaining file calls, run in an empty directory.
 *   statfs/fstatfs (succeed, f_bsize > 0, same f_type both ways, ENOENT),
 *   poll/select on a regular file (always ready),
 *   fsync/fdatasync (files, directories, EINVAL on a pipe, EBADF),
 *   sendfile (with and without an offset pointer, to a pipe, EBADF,
 *   EINVAL on an O_APPEND target), copy_file_range (offsets, file
 *   offsets, EINVAL flags/overlap, EBADF, past EOF), fallocate (size,
 *   KEEP_SIZE, PUNCH_HOLE needs KEEP_SIZE, EINVAL, ESPIPE, EBADF),
 *   flock (two open file descriptions conflict: EWOULDBLOCK; a dup shares
 *   the lock; shared locks; unlock and close release), mknodat/mkfifo
 *   of a FIFO and FIFO open rules with O_NONBLOCK (ENXIO without reader).
 * (Device nodes: fs_devnode.c.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_check.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

static char buf[4096];

static void check_content(const char *path, const char *want, size_t n)
{
    int fd = open(path, O_RDONLY);
    long got = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    close(fd);
    int ok = got == (long)n && memcmp(buf, want, n) == 0;
    printf("content of %s: %ld bytes%s\n", path, got, ok ? ", as expected" : "");
    if (!ok) {
        printf("FAIL content of %s\n", path);
        failures++;
    }
}

static off_t size_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

int main(int argc, char **argv)
{
    struct stat st;
    struct statfs sf, sf2;

    int fd = FD(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
    T(write(fd, "0123456789abcdef", 16), 16, 0);

    /* statfs / fstatfs */
    OK(statfs(".", &sf));
    check("statfs f_bsize > 0", sf.f_bsize > 0);
    check("statfs f_blocks > 0", sf.f_blocks > 0);
    check("statfs f_namelen > 0", sf.f_namelen > 0);
    OK(fstatfs(fd, &sf2));
    check("fstatfs f_type == statfs f_type", sf.f_type == sf2.f_type && sf.f_bsize == sf2.f_bsize);
    OK(statfs("f", &sf2));
    ERR(statfs("missing", &sf), ENOENT);
    ERR(statfs("f/x", &sf), ENOTDIR);
    ERR(fstatfs(999, &sf), EBADF);
    OK(syscall(SYS_statfs, ".", &sf));
    OK(syscall(SYS_fstatfs, fd, &sf));

    /* a regular file is always ready */
    struct pollfd pf = { fd, POLLIN | POLLOUT | POLLPRI, 0 };
    T(poll(&pf, 1, 1000), 1, 0);
    T(pf.revents, POLLIN | POLLOUT, 0);
    fd_set rs, ws;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_SET(fd, &rs);
    FD_SET(fd, &ws);
    struct timeval tv = { 5, 0 };
    T(select(fd + 1, &rs, &ws, NULL, &tv), 2, 0);

    /* fsync / fdatasync */
    OK(fsync(fd));
    OK(fdatasync(fd));
    int ro = FD(open("f", O_RDONLY));
    OK(fsync(ro));
    OK(close(ro));
    int dfd = FD(open(".", O_RDONLY | O_DIRECTORY));
    OK(fsync(dfd));
    OK(close(dfd));
    int p[2];
    OK(pipe(p));
    ERR(fsync(p[1]), EINVAL);
    ERR(fdatasync(p[0]), EINVAL);
    ERR(fsync(999), EBADF);
    ERR(fdatasync(999), EBADF);

    /* sendfile */
    int out = FD(open("out", O_RDWR | O_CREAT | O_TRUNC, 0644));
    off_t off = 4;
    T(lseek(fd, 2, SEEK_SET), 2, 0);
    T(sendfile(out, fd, &off, 6), 6, 0);
    T(off, 10, 0);
    T(lseek(fd, 0, SEEK_CUR), 2, 0); /* the input offset did not move */
    T(lseek(out, 0, SEEK_CUR), 6, 0);
    check_content("out", "456789", 6);
    T(sendfile(out, fd, NULL, 3), 3, 0); /* from the file offset, 2 */
    T(lseek(fd, 0, SEEK_CUR), 5, 0);
    check_content("out", "456789234", 9);
    off = 14;
    T(sendfile(out, fd, &off, 100), 2, 0);
    T(off, 16, 0);
    T(sendfile(out, fd, &off, 100), 0, 0);
    off = 0;
    T(sendfile(p[1], fd, &off, 5), 5, 0);
    T(read(p[0], buf, sizeof buf), 5, 0);
    check("sendfile into a pipe", memcmp(buf, "01234", 5) == 0);
    T(sendfile(out, fd, NULL, 0), 0, 0);
    ERR(sendfile(999, fd, NULL, 1), EBADF);
    ERR(sendfile(out, 999, NULL, 1), EBADF);
    int wo = FD(open("f", O_WRONLY));
    ERR(sendfile(out, wo, NULL, 1), EBADF);
    OK(close(wo));
    int ap = FD(open("out", O_WRONLY | O_APPEND));
    ERR(sendfile(ap, fd, NULL, 1), EINVAL);
    OK(close(ap));
    off = -1;
    ERR(sendfile(out, fd, &off, 1), EINVAL);

    /* copy_file_range */
    int cf = FD(open("cfr", O_RDWR | O_CREAT | O_TRUNC, 0644));
    loff_t in_off = 10, out_off = 3;
    T(copy_file_range(fd, &in_off, cf, &out_off, 4, 0), 4, 0);
    T(in_off, 14, 0);
    T(out_off, 7, 0);
    T(lseek(cf, 0, SEEK_CUR), 0, 0);
    T(size_of(cf), 7, 0);
    check_content("cfr", "\0\0\0abcd", 7);
    T(lseek(fd, 0, SEEK_SET), 0, 0);
    T(copy_file_range(fd, NULL, cf, NULL, 3, 0), 3, 0); /* file offsets */
    T(lseek(fd, 0, SEEK_CUR), 3, 0);
    T(lseek(cf, 0, SEEK_CUR), 3, 0);
    check_content("cfr", "012abcd", 7);
    in_off = 16;
    T(copy_file_range(fd, &in_off, cf, NULL, 10, 0), 0, 0);
    in_off = 12;
    T(copy_file_range(fd, &in_off, cf, NULL, 100, 0), 4, 0);
    ERR(copy_file_range(fd, NULL, cf, NULL, 1, 1), EINVAL);
    in_off = 0;
    out_off = 2;
    ERR(copy_file_range(fd, &in_off, fd, &out_off, 4, 0), EINVAL);
    ERR(copy_file_range(999, NULL, cf, NULL, 1, 0), EBADF);
    ERR(copy_file_range(fd, NULL, 999, NULL, 1, 0), EBADF);
    int d2 = FD(open(".", O_RDONLY | O_DIRECTORY));
    ERR(copy_file_range(d2, NULL, cf, NULL, 1, 0), EISDIR);
    OK(close(d2));
    OK(close(cf));

    /* fallocate */
    int fa = FD(open("fa", O_RDWR | O_CREAT | O_TRUNC, 0644));
    OK(fallocate(fa, 0, 0, 8192));
    T(size_of(fa), 8192, 0);
    OK(fallocate(fa, FALLOC_FL_KEEP_SIZE, 8192, 8192));
    T(size_of(fa), 8192, 0);
    OK(fallocate(fa, 0, 10000, 100));
    T(size_of(fa), 10100, 0);
    T(pwrite(fa, "zz", 2, 100), 2, 0);
    OK(fallocate(fa, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    T(size_of(fa), 10100, 0);
    T(pread(fa, buf, 2, 100), 2, 0);
    check("punched hole reads zeros", buf[0] == 0 && buf[1] == 0);
    ERR(fallocate(fa, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
    ERR(fallocate(fa, 0, 0, 0), EINVAL);
    ERR(fallocate(fa, 0, -1, 10), EINVAL);
    ERR(fallocate(p[1], 0, 0, 10), ESPIPE);
    ERR(fallocate(999, 0, 0, 10), EBADF);
    int fro = FD(open("fa", O_RDONLY));
    ERR(fallocate(fro, 0, 0, 10), EBADF);
    OK(close(fro));
    OK(posix_fallocate(fa, 0, 20000));
    T(size_of(fa), 20000, 0);
    OK(close(fa));

    /* flock: two open file descriptions of the same file */
    int l1 = FD(open("f", O_RDONLY));
    int l2 = FD(open("f", O_RDONLY));
    OK(flock(l1, LOCK_EX));
    ERR(flock(l2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    ERR(flock(l2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    int l1d = FD(dup(l1));
    OK(flock(l1d, LOCK_EX | LOCK_NB)); /* same open file description */
    OK(flock(l1, LOCK_SH)); /* convert */
    OK(flock(l2, LOCK_SH | LOCK_NB));
    ERR(flock(l1, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    OK(flock(l2, LOCK_UN));
    OK(flock(l1, LOCK_EX | LOCK_NB));
    OK(close(l1)); /* the dup still holds it */
    ERR(flock(l2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    OK(close(l1d)); /* last fd of the description: released */
    OK(flock(l2, LOCK_EX | LOCK_NB));
    OK(flock(l2, LOCK_UN));
    OK(flock(l2, LOCK_UN)); /* unlocking an unlocked file is fine */
    ERR(flock(l2, 0), EINVAL);
    ERR(flock(l2, LOCK_SH | LOCK_EX), EINVAL);
    ERR(flock(999, LOCK_EX), EBADF);
    OK(flock(p[0], LOCK_EX | LOCK_NB)); /* pipes can be locked too */
    OK(close(l2));

    /* FIFOs */
    OK(mknodat(AT_FDCWD, "fifo", S_IFIFO | 0644, 0));
    OK(stat("fifo", &st));
    check("fifo is S_IFIFO 0644", st.st_mode == (S_IFIFO | 0644));
    ERR(mknodat(AT_FDCWD, "fifo", S_IFIFO | 0644, 0), EEXIST);
    ERR(mknodat(AT_FDCWD, "missing/fifo", S_IFIFO | 0644, 0), ENOENT);
    ERR(mknodat(999, "fifo2", S_IFIFO | 0644, 0), EBADF);
    OK(mkfifo("fifo2", 0600));
    OK(stat("fifo2", &st));
    check("mkfifo made S_IFIFO 0600", st.st_mode == (S_IFIFO | 0600));
    OK(syscall(SYS_mknodat, AT_FDCWD, "fifo3", S_IFIFO | 0600, 0));
    ERR(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO); /* no reader */
    int fr = FD(open("fifo", O_RDONLY | O_NONBLOCK));
    T(read(fr, buf, 1), 0, 0); /* no writer: EOF, not EAGAIN */
    int fw = FD(open("fifo", O_WRONLY | O_NONBLOCK));
    T(write(fw, "fifo!", 5), 5, 0);
    T(read(fr, buf, sizeof buf), 5, 0);
    check("read back through the FIFO", memcmp(buf, "fifo!", 5) == 0);
    ERR(read(fr, buf, 1), EAGAIN);
    OK(close(fw));
    T(read(fr, buf, 1), 0, 0);
    ERR(lseek(fr, 0, SEEK_SET), ESPIPE);
    OK(fstat(fr, &st));
    check("fstat of a FIFO fd: S_IFIFO", S_ISFIFO(st.st_mode));
    OK(close(fr));
    int frw = FD(open("fifo", O_RDWR)); /* Linux: never blocks */
    T(write(frw, "rw", 2), 2, 0);
    T(read(frw, buf, 2), 2, 0);
    OK(close(frw));

    OK(close(p[0]));
    OK(close(p[1]));
    OK(close(out));
    OK(close(fd));
    return finish("fs_misc");
}
