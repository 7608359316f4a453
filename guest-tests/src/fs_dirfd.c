/*
 * fs_dirfd: lookups relative to a directory descriptor follow the
 * directory object, wherever it is now (as `find`, `ls -l` and `du` use
 * them: fstatat and openat per entry). Run in an empty directory.
 *   fstatat/openat/faccessat/statx of a name and of a deeper path from a
 *   dirfd; the directory renamed, moved under another directory, and a
 *   new directory made at its old name (the dirfd still names the moved
 *   one; ".." is its new parent); the directory removed (ENOENT, O_CREAT
 *   too); a dirfd that is a file (ENOTDIR), a closed one (EBADF), an
 *   O_PATH dirfd; AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, relative and
 *   absolute symlinks, empty files, O_CREAT/O_EXCL, O_DIRECTORY, EISDIR;
 *   "." and ".." (at "/" too: the root's parent is the root); a
 *   directory made unsearchable (EACCES unless root); a descriptor
 *   reused by another directory after close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fs_check.h"

static void put(const char *p, const char *data)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data) || close(fd)) {
        printf("setup %s failed: %s\n", p, ename(errno));
        exit(2);
    }
}

/* The size of `name` from `dirfd` (fstatat), or -1 with errno. */
static long size_at(int dirfd, const char *name, int flags)
{
    struct stat st;
    if (syscall(SYS_newfstatat, dirfd, name, &st, flags) != 0)
        return -1;
    return (long)st.st_size;
}

/* The file type letter of `name` from `dirfd`, or -1 with errno. */
static long type_at(int dirfd, const char *name, int flags)
{
    struct stat st;
    if (syscall(SYS_newfstatat, dirfd, name, &st, flags) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? 'f' : '?';
}

/* Reads `name` from `dirfd` (openat + read): its first bytes as a number
 * of bytes read, or -1 with errno. */
static long read_at(int dirfd, const char *name, char *buf, size_t n)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    memset(buf, 0, n);
    long r = read(fd, buf, n - 1);
    close(fd);
    return r;
}

/* Same inode as `path`? */
static int same(int dirfd, const char *name, const char *path)
{
    struct stat a, b;
    if (fstatat(dirfd, name, &a, 0) || stat(path, &b))
        return 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int main(void)
{
    char buf[64];
    setvbuf(stdout, NULL, _IOLBF, 0);

    OK(mkdir("d", 0755));
    OK(mkdir("d/sub", 0755));
    put("d/f", "first");
    put("d/sub/g", "deeper!");
    put("d/empty", "");
    OK(symlink("f", "d/rel"));
    OK(symlink("missing", "d/dangling"));

    int d = FD(open("d", O_RDONLY | O_DIRECTORY));
    /* Plain lookups, twice (the second one from whatever was kept). */
    for (int i = 0; i < 2; i++) {
        T(size_at(d, "f", 0), 5, 0);
        T(size_at(d, "f", AT_SYMLINK_NOFOLLOW), 5, 0);
        T(size_at(d, "sub/g", 0), 7, 0);
        T(size_at(d, "empty", 0), 0, 0);
        T(type_at(d, "sub", 0), 'd', 0);
        T(type_at(d, "rel", AT_SYMLINK_NOFOLLOW), 'l', 0);
        T(type_at(d, "rel", 0), 'f', 0);
        T(type_at(d, "dangling", AT_SYMLINK_NOFOLLOW), 'l', 0);
        ERR(type_at(d, "dangling", 0), ENOENT);
        ERR(size_at(d, "missing", 0), ENOENT);
        ERR(size_at(d, "missing/x", 0), ENOENT);
        ERR(size_at(d, "f/x", 0), ENOTDIR);
        ERR(size_at(d, "f/", 0), ENOTDIR);
        T(type_at(d, "sub/", 0), 'd', 0);
        T(type_at(d, ".", 0), 'd', 0);
        T(type_at(d, "", AT_EMPTY_PATH), 'd', 0);
        ERR(type_at(d, "", 0), ENOENT);
        check("d/. is d", same(d, ".", "d"));
        check("d/.. is the start", same(d, "..", "."));
        check("d/sub/.. is d", same(d, "sub/..", "d"));
        T(read_at(d, "f", buf, sizeof buf), 5, 0);
        printf("read: %s\n", buf);
        T(read_at(d, "rel", buf, sizeof buf), 5, 0);
        T(read_at(d, "sub/g", buf, sizeof buf), 7, 0);
        ERR(read_at(d, "missing", buf, sizeof buf), ENOENT);
        ERR(openat(d, "f", O_RDONLY | O_DIRECTORY), ENOTDIR);
        ERR(openat(d, "sub", O_WRONLY), EISDIR);
        ERR(openat(d, "rel", O_RDONLY | O_NOFOLLOW), ELOOP);
        ERR(openat(d, "f", O_RDONLY | O_CREAT | O_EXCL, 0600), EEXIST);
        OK(faccessat(d, "f", R_OK, 0));
        ERR(faccessat(d, "missing", R_OK, 0), ENOENT);
        /* A struct statx (not in every libc's headers): stx_size at 40. */
        unsigned long long sx[32];
        OK(syscall(SYS_statx, d, "sub/g", 0, 0x200 /* STATX_SIZE */, sx));
        T((long)sx[5], 7, 0);
        ERR(syscall(SYS_statx, d, "nope", 0, 0x200, sx), ENOENT);
    }
    /* A file made from the dirfd lands in the directory. */
    int c = FD(openat(d, "made", O_WRONLY | O_CREAT | O_EXCL, 0600));
    T(write(c, "abc", 3), 3, 0);
    OK(close(c));
    T(size_at(AT_FDCWD, "d/made", 0), 3, 0);

    /* Renamed: the dirfd follows the directory. */
    OK(rename("d", "e"));
    T(size_at(d, "f", 0), 5, 0);
    T(size_at(d, "made", 0), 3, 0);
    T(read_at(d, "sub/g", buf, sizeof buf), 7, 0);
    /* A new directory at the old name is another directory. */
    OK(mkdir("d", 0755));
    put("d/f", "the new one");
    T(size_at(d, "f", 0), 5, 0);
    T(read_at(d, "f", buf, sizeof buf), 5, 0);
    printf("read: %s\n", buf);
    c = FD(openat(d, "made2", O_WRONLY | O_CREAT | O_EXCL, 0600));
    OK(close(c));
    T(size_at(AT_FDCWD, "e/made2", 0), 0, 0);
    ERR(size_at(AT_FDCWD, "d/made2", 0), ENOENT);
    check("e is the dirfd", same(d, ".", "e"));

    /* Moved under another directory: ".." is the new parent. */
    OK(mkdir("p", 0755));
    OK(rename("e", "p/e"));
    T(size_at(d, "f", 0), 5, 0);
    check("the dirfd's .. is p", same(d, "..", "p"));
    check("the dirfd's ../e is itself", same(d, "../e", "p/e"));

    /* A symlink to an absolute path, from the dirfd. */
    OK(symlinkat("/", d, "absl"));
    T(type_at(d, "absl", 0), 'd', 0);
    T(type_at(d, "absl", AT_SYMLINK_NOFOLLOW), 'l', 0);
    T(type_at(d, "absl/", AT_SYMLINK_NOFOLLOW), 'd', 0);

    /* An O_PATH dirfd. */
    int op = FD(open("p/e", O_PATH | O_DIRECTORY));
    T(size_at(op, "f", 0), 5, 0);
    T(read_at(op, "sub/g", buf, sizeof buf), 7, 0);

    /* Removed: nothing is found from it, nothing can be made in it. */
    OK(mkdir("gone", 0755));
    int g = FD(open("gone", O_RDONLY | O_DIRECTORY));
    ERR(size_at(g, "x", 0), ENOENT);
    OK(rmdir("gone"));
    ERR(size_at(g, "x", 0), ENOENT);
    ERR(openat(g, "x", O_RDONLY), ENOENT);
    ERR(openat(g, "x", O_WRONLY | O_CREAT, 0600), ENOENT);
    ERR(faccessat(g, "x", F_OK, 0), ENOENT);
    T(type_at(g, "", AT_EMPTY_PATH), 'd', 0);
    T(type_at(g, ".", 0), 'd', 0);
    OK(close(g));

    /* A descriptor number reused by another directory. */
    OK(close(op));
    int again = FD(open("d", O_RDONLY | O_DIRECTORY));
    T(size_at(again, "f", 0), 11, 0);
    OK(close(again));
    again = FD(open("p", O_PATH | O_DIRECTORY));
    T(type_at(again, "e", 0), 'd', 0);
    ERR(size_at(again, "f", 0), ENOENT);
    OK(close(again));

    /* Not a directory, not open. */
    int file = FD(open("d/f", O_RDONLY));
    ERR(size_at(file, "x", 0), ENOTDIR);
    ERR(openat(file, "x", O_RDONLY), ENOTDIR);
    ERR(openat(file, "x", O_WRONLY | O_CREAT, 0600), ENOTDIR);
    T(size_at(file, "", AT_EMPTY_PATH), 11, 0);
    T(size_at(file, "/", 0) >= 0, 1, 0);
    OK(close(file));
    ERR(size_at(file, "x", 0), EBADF);
    ERR(openat(file, "x", O_RDONLY), EBADF);
    ERR(size_at(-5, "x", 0), EBADF);
    ERR(size_at(file, "", AT_EMPTY_PATH), EBADF);

    /* Unsearchable: EACCES, except for root, who may search anyway. */
    OK(mkdir("locked", 0755));
    put("locked/f", "x");
    int l = FD(open("locked", O_RDONLY | O_DIRECTORY));
    T(size_at(l, "f", 0), 1, 0);
    OK(chmod("locked", 0));
    long want = geteuid() == 0 ? 1 : -1;
    T(size_at(l, "f", 0), want, EACCES);
    OK(chmod("locked", 0755));
    OK(close(l));

    /* The root: its parent is itself. */
    int r = FD(open("/", O_RDONLY | O_DIRECTORY));
    check("/.. is /", same(r, "..", "/"));
    check("/../.. is /", same(r, "../..", "/"));
    OK(close(r));
    OK(close(d));
    return finish("fs_dirfd");
}
