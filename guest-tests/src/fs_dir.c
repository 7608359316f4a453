/*
 * fs_dir: directories and names, run in an empty directory (the start
 * directory; getcwd results are printed relative to it as "<start>...").
 *   mkdir/mkdirat/rmdir/unlink/unlinkat and their errors (EEXIST, ENOENT,
 *   ENOTDIR, EISDIR, ENOTEMPTY, EINVAL), rename/renameat/renameat2
 *   (replace, RENAME_NOREPLACE, RENAME_EXCHANGE, dir over file and back,
 *   into its own subdirectory, hard links to the same inode),
 *   link/linkat (AT_SYMLINK_FOLLOW), symlink/symlinkat/readlink/readlinkat
 *   (truncation, EINVAL), ELOOP (a loop, a 41-link chain; 40 is fine),
 *   directory listing with opendir/readdir and raw getdents64 (sorted,
 *   with d_type; 200 entries; small buffers; telldir/seekdir),
 *   realpath, chdir/fchdir/getcwd (ERANGE, ENOENT once the cwd is
 *   removed). Also run with its start directory as the root ("/").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_check.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif
#ifndef SYS_renameat2
#define SYS_renameat2 316
#endif

static char start[PATH_MAX];

static void touch(const char *path, const char *content)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
        printf("FAIL touch %s: %s\n", path, ename(errno));
        failures++;
    }
    close(fd);
}

static void check_content(const char *path, const char *want)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    printf("content of %s = \"%s\"\n", path, n >= 0 ? buf : "<unreadable>");
    if (n < 0 || strcmp(buf, want) != 0) {
        printf("FAIL content of %s: expected \"%s\"\n", path, want);
        failures++;
    }
}

static void show_cwd(const char *want)
{
    char cwd[PATH_MAX], shown[PATH_MAX + 16];
    if (!getcwd(cwd, sizeof cwd)) {
        printf("getcwd = NULL %s\nFAIL getcwd\n", ename(errno));
        failures++;
        return;
    }
    size_t n = strlen(start);
    if (strcmp(start, "/") == 0) /* run with the start directory as the root */
        snprintf(shown, sizeof shown, "<start>%s", strcmp(cwd, "/") == 0 ? "" : cwd);
    else if (strncmp(cwd, start, n) == 0 && (cwd[n] == 0 || cwd[n] == '/'))
        snprintf(shown, sizeof shown, "<start>%s", cwd + n);
    else
        snprintf(shown, sizeof shown, "%s", cwd);
    printf("getcwd = %s\n", shown);
    if (strcmp(shown, want) != 0) {
        printf("FAIL getcwd: expected %s\n", want);
        failures++;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char type_char(unsigned char t)
{
    switch (t) {
    case DT_REG: return 'f';
    case DT_DIR: return 'd';
    case DT_LNK: return 'l';
    case DT_FIFO: return 'p';
    case DT_UNKNOWN: return '?';
    default: return 'x';
    }
}

/* Lists a directory with readdir, sorted, as "name:type" words (f d l p, ? unknown). */
static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir(%s) = NULL %s\nFAIL opendir\n", path, ename(errno));
        failures++;
        return;
    }
    char *names[512];
    int n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) && n < 512) {
        char *s = malloc(strlen(e->d_name) + 3);
        sprintf(s, "%s:%c", e->d_name, type_char(e->d_type));
        names[n++] = s;
    }
    if (errno) {
        printf("FAIL readdir: %s\n", ename(errno));
        failures++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Counts the entries of an open directory with raw getdents64 calls of
 * bufsize bytes; returns the count, or -1 with errno. */
static long count_getdents(int fd, size_t bufsize, long *calls)
{
    static char buf[65536];
    long count = 0;
    *calls = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, bufsize);
        if (n < 0)
            return -1;
        if (n == 0)
            return count;
        ++*calls;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (void *)(buf + off);
            count++;
            off += e->d_reclen;
        }
    }
}

int main(void)
{
    struct stat st;
    char buf[256];

    if (!getcwd(start, sizeof start)) {
        printf("FAIL getcwd at start\n");
        return 1;
    }
    show_cwd("<start>");
    umask(022);
    touch("f", "file f");

    /* mkdir */
    OK(mkdir("d", 0755));
    ERR(mkdir("d", 0755), EEXIST);
    ERR(mkdir("f", 0755), EEXIST);
    ERR(mkdir("missing/x", 0755), ENOENT);
    ERR(mkdir("f/x", 0755), ENOTDIR);
    ERR(mkdir("", 0755), ENOENT);
    OK(mkdir("e/", 0755));
    OK(mkdir("d/sub", 0700));
    ERR(mkdir(".", 0755), EEXIST);
    ERR(mkdir("d/..", 0755), EEXIST);
    int dfd = FD(open("d", O_RDONLY | O_DIRECTORY));
    OK(mkdirat(dfd, "sub2", 0755));
    OK(mkdirat(AT_FDCWD, "d/sub3", 0755));
    ERR(mkdirat(dfd, "sub2", 0755), EEXIST);
    ERR(mkdirat(999, "x", 0755), EBADF);
    OK(syscall(SYS_mkdir, "raw", 0755));

    /* rmdir */
    ERR(rmdir("d"), ENOTEMPTY);
    ERR(rmdir("f"), ENOTDIR);
    ERR(rmdir("missing"), ENOENT);
    ERR(rmdir("."), EINVAL);
    ERR(rmdir("d/."), EINVAL);
    ERR(rmdir("d/.."), ENOTEMPTY);
    ERR(rmdir(""), ENOENT);
    OK(rmdir("e"));
    ERR(rmdir("e"), ENOENT);
    OK(rmdir("raw/"));
    OK(symlink("d/sub3", "sub3link"));
    ERR(rmdir("sub3link"), ENOTDIR);
    OK(unlink("sub3link"));
    OK(unlinkat(dfd, "sub3", AT_REMOVEDIR));
    ERR(unlinkat(dfd, "sub3", AT_REMOVEDIR), ENOENT);

    /* unlink */
    touch("g", "g");
    OK(unlink("g"));
    ERR(unlink("g"), ENOENT);
    ERR(unlink("d"), EISDIR);
    ERR(unlink("f/"), ENOTDIR);
    ERR(unlink(""), ENOENT);
    ERR(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
    ERR(unlinkat(AT_FDCWD, "f", 0x1), EINVAL);
    /* The flags are an int: the upper half of the register is ignored. */
    ERR(syscall(SYS_unlinkat, AT_FDCWD, "missing", 0x100000000L), ENOENT);
    ERR(unlinkat(999, "f", 0), EBADF);
    touch("d/h", "h");
    OK(unlinkat(dfd, "h", 0));
    OK(syscall(SYS_unlinkat, dfd, "sub2", AT_REMOVEDIR));
    touch("g", "g");
    OK(syscall(SYS_unlink, "g"));
    OK(mkdir("r", 0755));
    OK(syscall(SYS_rmdir, "r"));
    /* an open file survives its unlink */
    touch("u", "still here");
    int ufd = FD(open("u", O_RDONLY));
    OK(unlink("u"));
    ERR(stat("u", &st), ENOENT);
    T(read(ufd, buf, 100), 10, 0);
    OK(fstat(ufd, &st));
    T(st.st_nlink, 0, 0);
    OK(close(ufd));

    /* rename */
    touch("a", "A");
    touch("b", "B");
    OK(rename("a", "a2"));
    ERR(stat("a", &st), ENOENT);
    check_content("a2", "A");
    OK(rename("a2", "b")); /* replaces */
    check_content("b", "A");
    OK(rename("b", "b")); /* same name: nothing happens */
    check_content("b", "A");
    ERR(rename("missing", "x"), ENOENT);
    ERR(rename("b", "missing/x"), ENOENT);
    ERR(rename("b", "d"), EISDIR);
    OK(mkdir("e", 0755));
    ERR(rename("e", "b"), ENOTDIR);
    ERR(rename("e", "d"), ENOTEMPTY);
    OK(mkdir("e2", 0755));
    OK(rename("e", "e2")); /* over an empty directory */
    ERR(stat("e", &st), ENOENT);
    ERR(rename("e2", "e2/inside"), EINVAL);
    ERR(rename("d", "d/sub/deeper"), EINVAL);
    ERR(rename(".", "x"), EBUSY);
    ERR(rename("b", "."), EBUSY);
    ERR(rename("b", "b/"), ENOTDIR);
    ERR(rename("b", "nb/"), ENOTDIR);
    OK(rename("e2", "e3/"));
    OK(rename("e3/", "e2"));
    OK(rename("b", "d/b"));
    check_content("d/b", "A");
    OK(renameat(dfd, "b", AT_FDCWD, "b"));
    OK(renameat(AT_FDCWD, "b", dfd, "../b2"));
    ERR(renameat(999, "b2", AT_FDCWD, "x"), EBADF);
    OK(syscall(SYS_rename, "b2", "b"));
    OK(syscall(SYS_renameat, AT_FDCWD, "b", AT_FDCWD, "b3"));
    OK(syscall(SYS_renameat, AT_FDCWD, "b3", AT_FDCWD, "b"));
    /* hard links to the same inode: rename does nothing */
    OK(link("b", "b-hard"));
    OK(rename("b", "b-hard"));
    OK(stat("b", &st));
    T(st.st_nlink, 2, 0);
    OK(unlink("b-hard"));
    /* a symlink is renamed, not its target */
    OK(symlink("f", "sl"));
    OK(rename("sl", "sl2"));
    OK(lstat("sl2", &st));
    check("renamed symlink is still a link", S_ISLNK(st.st_mode));
    check_content("f", "file f");
    OK(unlink("sl2"));

    /* renameat2 */
    touch("x", "X");
    touch("y", "Y");
    ERR(syscall(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "y", RENAME_NOREPLACE), EEXIST);
    OK(syscall(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "x2", RENAME_NOREPLACE));
    OK(syscall(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", RENAME_EXCHANGE));
    check_content("x2", "Y");
    check_content("y", "X");
    OK(syscall(SYS_renameat2, AT_FDCWD, "y", AT_FDCWD, "d", RENAME_EXCHANGE)); /* file <-> dir */
    OK(stat("y", &st));
    check("after exchange y is the directory", S_ISDIR(st.st_mode));
    check_content("d", "X");
    OK(syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "y", RENAME_EXCHANGE));
    check_content("y", "X");
    ERR(syscall(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "nope", RENAME_EXCHANGE), ENOENT);
    ERR(syscall(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
    ERR(syscall(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", 0x100), EINVAL);
    OK(syscall(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", 0));
    check_content("y", "Y");
    OK(unlink("y"));

    /* link */
    OK(link("f", "f2"));
    OK(stat("f", &st));
    T(st.st_nlink, 2, 0);
    ERR(link("f", "f2"), EEXIST);
    ERR(link("missing", "m2"), ENOENT);
    ERR(link("d", "d2"), EPERM);
    ERR(link("f", "missing/f"), ENOENT);
    ERR(link("f/", "f3"), ENOTDIR);
    OK(linkat(AT_FDCWD, "f", dfd, "f-in-d", 0));
    OK(stat("f", &st));
    T(st.st_nlink, 3, 0);
    OK(unlink("d/f-in-d"));
    OK(unlink("f2"));
    OK(symlink("f", "fl"));
    OK(linkat(AT_FDCWD, "fl", AT_FDCWD, "fl-hard", 0)); /* links the symlink itself */
    OK(lstat("fl-hard", &st));
    check("linkat without FOLLOW links the symlink", S_ISLNK(st.st_mode));
    OK(linkat(AT_FDCWD, "fl", AT_FDCWD, "fl-follow", AT_SYMLINK_FOLLOW));
    OK(lstat("fl-follow", &st));
    check("linkat AT_SYMLINK_FOLLOW links the target", S_ISREG(st.st_mode) && st.st_nlink == 2);
    ERR(linkat(AT_FDCWD, "f", AT_FDCWD, "z", 0x1), EINVAL);
    ERR(linkat(999, "f", AT_FDCWD, "z", 0), EBADF);
    OK(syscall(SYS_link, "f", "f4"));
    OK(syscall(SYS_linkat, AT_FDCWD, "f4", AT_FDCWD, "f5", 0));
    OK(unlink("f4"));
    OK(unlink("f5"));
    OK(unlink("fl-hard"));
    OK(unlink("fl-follow"));

    /* symlink / readlink */
    OK(symlink("target/path", "s"));
    T(readlink("s", buf, sizeof buf), 11, 0);
    check("readlink s = target/path", memcmp(buf, "target/path", 11) == 0);
    memset(buf, '#', sizeof buf);
    T(readlink("s", buf, 4), 4, 0);
    check("readlink truncates without a NUL", memcmp(buf, "targ#", 5) == 0);
    ERR(syscall(SYS_readlink, "s", buf, 0), EINVAL); /* musl's readlink() returns 0 */
    ERR(readlink("f", buf, sizeof buf), EINVAL);
    ERR(readlink("d", buf, sizeof buf), EINVAL);
    ERR(readlink("missing", buf, sizeof buf), ENOENT);
    ERR(readlink("", buf, sizeof buf), ENOENT);
    ERR(readlink("f/x", buf, sizeof buf), ENOTDIR);
    ERR(symlink("x", "s"), EEXIST);
    ERR(symlink("x", "f"), EEXIST);
    ERR(symlink("", "empty"), ENOENT);
    ERR(symlink("x", "missing/s"), ENOENT);
    OK(symlinkat("../f", dfd, "up"));
    T(readlinkat(dfd, "up", buf, sizeof buf), 4, 0);
    check_content("d/up", "file f");
    T(readlinkat(AT_FDCWD, "d/up", buf, sizeof buf), 4, 0);
    ERR(readlinkat(999, "up", buf, sizeof buf), EBADF);
    ERR(symlinkat("x", 999, "y"), EBADF);
    OK(syscall(SYS_symlink, "raw-target", "rs"));
    T(syscall(SYS_readlink, "rs", buf, sizeof buf), 10, 0);
    T(syscall(SYS_readlinkat, AT_FDCWD, "rs", buf, sizeof buf), 10, 0);
    OK(syscall(SYS_symlinkat, "abs", AT_FDCWD, "rs2"));
    static char longtarget[5000];
    memset(longtarget, 't', 4095);
    OK(symlink(longtarget, "longlink"));
    static char lbuf[8192];
    T(readlink("longlink", lbuf, sizeof lbuf), 4095, 0);
    memset(longtarget, 't', 4096);
    ERR(symlink(longtarget, "longlink2"), ENAMETOOLONG);
    OK(unlink("longlink"));
    /* readlinkat with an empty path reads the link an fd refers to: not
     * covered (needs O_PATH). A symlink to a directory: */
    OK(symlink("d", "dl"));
    OK(stat("dl/sub", &st));
    OK(lstat("dl", &st));
    check("dl is a link", S_ISLNK(st.st_mode));
    OK(lstat("dl/", &st));
    check("dl/ is the directory", S_ISDIR(st.st_mode));
    ERR(unlink("dl/"), ENOTDIR); /* the link itself, not followed */
    ERR(rmdir("dl"), ENOTDIR);

    /* ELOOP */
    OK(symlink("loopB", "loopA"));
    OK(symlink("loopA", "loopB"));
    ERR(stat("loopA", &st), ELOOP);
    OK(lstat("loopA", &st));
    ERR(stat("loopA/x", &st), ELOOP);
    ERR(lstat("loopA/x", &st), ELOOP);
    ERR(access("loopA", F_OK), ELOOP);
    ERR(chdir("loopA"), ELOOP);
    ERR(mkdir("loopA/x", 0755), ELOOP);
    OK(unlink("loopA"));
    OK(symlink("self", "self"));
    ERR(open("self", O_RDONLY), ELOOP);
    /* a chain c0 -> c1 -> ... -> c40 -> f: 40 links resolve, 41 do not */
    OK(mkdir("chain", 0755));
    for (int i = 0; i <= 40; i++) {
        char name[32], target[32];
        snprintf(name, sizeof name, "chain/c%d", i);
        if (i == 40)
            snprintf(target, sizeof target, "../f");
        else
            snprintf(target, sizeof target, "c%d", i + 1);
        if (symlink(target, name) != 0)
            printf("FAIL symlink %s\n", name), failures++;
    }
    OK(stat("chain/c1", &st)); /* 40 links */
    ERR(stat("chain/c0", &st), ELOOP); /* 41 links */

    /* listing */
    OK(mkdir("ls", 0755));
    touch("ls/file", "");
    OK(mkdir("ls/dir", 0755));
    OK(symlink("file", "ls/link"));
    OK(mknod("ls/fifo", S_IFIFO | 0644, 0));
    list_dir("ls");
    list_dir("ls/dir");
    OK(mkdir("many", 0755));
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof name, "many/entry-with-a-longish-name-%03d", i);
        touch(name, "");
    }
    int mfd = FD(open("many", O_RDONLY | O_DIRECTORY));
    long calls;
    T(count_getdents(mfd, 65536, &calls), 202, 0);
    T(count_getdents(mfd, 65536, &calls), 0, 0); /* at the end */
    T(lseek(mfd, 0, SEEK_SET), 0, 0);
    T(count_getdents(mfd, 512, &calls), 202, 0);
    check("512-byte buffer took several getdents64 calls", calls > 5);
    T(lseek(mfd, 0, SEEK_SET), 0, 0);
    ERR(syscall(SYS_getdents64, mfd, buf, 1), EINVAL);
    int ffd = FD(open("f", O_RDONLY));
    ERR(syscall(SYS_getdents64, ffd, buf, sizeof buf), ENOTDIR);
    OK(close(ffd));
    ERR(syscall(SYS_getdents64, 999, buf, sizeof buf), EBADF);
    OK(close(mfd));
    DIR *dp = opendir("many");
    int n1 = 0, n2 = 0;
    while (readdir(dp))
        n1++;
    rewinddir(dp);
    while (readdir(dp))
        n2++;
    closedir(dp);
    printf("readdir count %d, after rewinddir %d\n", n1, n2);
    check("readdir sees 202 entries twice", n1 == 202 && n2 == 202);
    /* entries removed before the listing starts are not seen */
    for (int i = 0; i < 200; i += 2) {
        char name[64];
        snprintf(name, sizeof name, "many/entry-with-a-longish-name-%03d", i);
        unlink(name);
    }
    dp = opendir("many");
    n1 = 0;
    while (readdir(dp))
        n1++;
    closedir(dp);
    T(n1, 102, 0);
    /* telldir / seekdir come back to the same entry */
    dp = opendir("many");
    for (int i = 0; i < 40; i++)
        readdir(dp);
    long pos = telldir(dp);
    struct dirent *de = readdir(dp);
    char saved[256];
    snprintf(saved, sizeof saved, "%s", de ? de->d_name : "");
    for (int i = 0; i < 30; i++)
        readdir(dp);
    seekdir(dp, pos);
    de = readdir(dp);
    check("seekdir(telldir()) returns to the same entry", de && strcmp(de->d_name, saved) == 0);
    n1 = 41;
    while (readdir(dp))
        n1++;
    T(n1, 102, 0);
    closedir(dp);
    ERR(opendir("f") ? 0 : -1, ENOTDIR);
    ERR(opendir("missing") ? 0 : -1, ENOENT);

    /* realpath (libc: readlink and getcwd, or O_PATH + /proc) */
    char real[PATH_MAX], shown[PATH_MAX + 16];
    struct { const char *in, *want; } rp[] = {
        { ".", "" }, { "d/../dl/sub", "/d/sub" }, { "dl", "/d" }, { "./d/sub/../../f", "/f" },
    };
    for (unsigned i = 0; i < sizeof rp / sizeof rp[0]; i++) {
        char *r = realpath(rp[i].in, real);
        size_t n = strcmp(start, "/") == 0 ? 0 : strlen(start);
        snprintf(shown, sizeof shown, "<start>%s", r ? (strcmp(r, "/") == 0 ? "" : real + n) : ename(errno));
        printf("realpath(%s) = %s\n", rp[i].in, shown);
        char want[64];
        snprintf(want, sizeof want, "<start>%s", rp[i].want);
        if (!r || strcmp(shown, want) != 0)
            printf("FAIL realpath(%s): expected %s\n", rp[i].in, want), failures++;
    }
    ERR(realpath("missing/x", real) ? 0 : -1, ENOENT);
    ERR(realpath("self", real) ? 0 : -1, ELOOP);
    ERR(realpath("f/x", real) ? 0 : -1, ENOTDIR);

    /* chdir / fchdir / getcwd */
    OK(chdir("d"));
    show_cwd("<start>/d");
    check_content("../f", "file f");
    OK(chdir("sub"));
    show_cwd("<start>/d/sub");
    OK(chdir("../.."));
    show_cwd("<start>");
    OK(chdir("dl")); /* through a symlink: getcwd shows the real path */
    show_cwd("<start>/d");
    OK(fchdir(dfd));
    show_cwd("<start>/d");
    OK(chdir(start));
    show_cwd("<start>");
    OK(chdir("."));
    OK(chdir("./"));
    show_cwd("<start>");
    ERR(chdir("f"), ENOTDIR);
    ERR(chdir("missing"), ENOENT);
    ERR(chdir(""), ENOENT);
    int rfd = FD(open("f", O_RDONLY));
    ERR(fchdir(rfd), ENOTDIR);
    OK(close(rfd));
    ERR(fchdir(999), EBADF);
    ERR(fchdir(-1), EBADF);
    OK(syscall(SYS_chdir, "d"));
    OK(syscall(SYS_fchdir, dfd));
    show_cwd("<start>/d");
    OK(chdir(".."));
    char small[4];
    ERR(syscall(SYS_getcwd, small, 1), ERANGE);
    ERR(syscall(SYS_getcwd, small, 0), ERANGE);
    long len = syscall(SYS_getcwd, buf, sizeof buf);
    check("raw getcwd returns strlen + 1", len == (long)strlen(start) + 1 && strcmp(buf, start) == 0);
    /* the cwd is removed */
    OK(mkdir("gone", 0755));
    OK(chdir("gone"));
    OK(rmdir("../gone"));
    ERR(syscall(SYS_getcwd, buf, sizeof buf), ENOENT);
    ERR(getcwd(buf, sizeof buf) ? 0 : -1, ENOENT);
    ERR(open("newfile", O_WRONLY | O_CREAT, 0644), ENOENT);
    ERR(mkdir("newdir", 0755), ENOENT);
    OK(stat(".", &st));
    T(st.st_nlink, 0, 0);
    OK(chdir(".."));
    show_cwd("<start>");
    OK(chdir(start));

    /* a directory's fd keeps working after it is renamed */
    OK(rename("d", "d-renamed"));
    int xfd = FD(openat(dfd, "sub", O_RDONLY | O_DIRECTORY));
    OK(close(xfd));
    OK(fchdir(dfd));
    show_cwd("<start>/d-renamed");
    OK(chdir(start));

    OK(close(dfd));
    return finish("fs_dir");
}
