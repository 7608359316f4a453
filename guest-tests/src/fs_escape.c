/*
 * fs_escape: path resolution never leaves the root directory.
 * Run as DIR/prog with DIR as the root: natively `chroot DIR ./prog`,
 * under nommu `nommu run --root DIR ./prog` (cwd DIR). Arguments: the
 * host's absolute path of a marker file OUTSIDE the root (content
 * "ESCAPED") and the host's absolute path of DIR. DIR holds inside.txt
 * ("inside"), abs -> /, up -> ../../.., sub/ and prog.
 * Every trick (.. chains, absolute and relative symlinks made before and
 * during the run, /proc/self/root, /proc/self/cwd, /dev/fd, dirfds,
 * chdir/fchdir) must fail or reach a file that is not the marker; each
 * prints "trick N: contained". Renames, links, mkdir and O_CREAT aimed
 * above the root land inside it (the Rust test checks the host side).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_check.h"

static int trick_no;

static int leaked(int fd)
{
    char buf[64] = "";
    if (fd < 0)
        return 0;
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0)
        buf[n] = 0;
    return n >= 7 && strncmp(buf, "ESCAPED", 7) == 0;
}

/* One trick: the fd it opened (or -1) must not be the marker. */
static void trick(const char *desc, int fd)
{
    int bad = leaked(fd);
    ++trick_no;
    printf("trick %d: %s\n", trick_no, bad ? "ESCAPED" : "contained");
    if (bad) {
        printf("FAIL trick %d (%s) read the marker outside the root\n", trick_no, desc);
        failures++;
    }
    fflush(stdout);
}

static void try_path(const char *path)
{
    trick(path, open(path, O_RDONLY));
}

static void show_cwd(const char *want)
{
    char cwd[PATH_MAX];
    const char *r = getcwd(cwd, sizeof cwd);
    printf("getcwd = %s\n", r ? cwd : ename(errno));
    if (!r || strcmp(cwd, want) != 0) {
        printf("FAIL getcwd: expected %s\n", want);
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        printf("usage: prog MARKER_HOST_PATH ROOT_HOST_PATH\n");
        return 2;
    }
    const char *marker = argv[1], *root = argv[2];
    char p[PATH_MAX * 2];
    struct stat st;
    char buf[64];

    show_cwd("/");
    OK(stat("inside.txt", &st));
    OK(stat("/inside.txt", &st));
    ERR(stat("outside-marker", &st), ENOENT);
    ERR(stat("/outside-marker", &st), ENOENT);
    snprintf(p, sizeof p, "%s/inside.txt", root);
    ERR(open(p, O_RDONLY), ENOENT); /* the host's path of the root means nothing inside */

    /* .. chains */
    try_path("../outside-marker");
    try_path("/../outside-marker");
    try_path("/../../../../../../../../outside-marker");
    try_path("sub/../../outside-marker");
    try_path("sub/../../../../../outside-marker");
    try_path(marker);
    snprintf(p, sizeof p, "../../../../../../../..%s", marker);
    try_path(p);
    /* symlinks made by the host */
    snprintf(p, sizeof p, "abs%s", marker);
    try_path(p);
    try_path("abs/../outside-marker");
    try_path("abs/../../outside-marker");
    try_path("up/outside-marker");
    try_path("up/../outside-marker");
    snprintf(p, sizeof p, "up%s", marker);
    try_path(p);
    /* /proc and /dev magic (not mounted in a native chroot: fails there) */
    try_path("/proc/self/root/../outside-marker");
    snprintf(p, sizeof p, "/proc/self/root%s", marker);
    try_path(p);
    try_path("/proc/self/cwd/../outside-marker");
    snprintf(p, sizeof p, "/proc/1/root%s", marker);
    try_path(p);
    try_path("/dev/fd/../../outside-marker");
    /* directory fds */
    int sub = FD(open("sub", O_RDONLY | O_DIRECTORY));
    trick("openat(sub, ../../outside-marker)", openat(sub, "../../outside-marker", O_RDONLY));
    snprintf(p, sizeof p, "../..%s", marker);
    trick("openat(sub, ../..MARKER)", openat(sub, p, O_RDONLY));
    int top = FD(open("/..", O_RDONLY | O_DIRECTORY));
    trick("openat(/.., outside-marker)", openat(top, "outside-marker", O_RDONLY));
    trick("openat(/.., ../outside-marker)", openat(top, "../outside-marker", O_RDONLY));
    snprintf(p, sizeof p, "/proc/self/fd/%d/../outside-marker", sub);
    try_path(p);
    /* symlinks made inside */
    OK(symlink(marker, "esc1"));
    try_path("esc1");
    OK(symlink("../../../../outside-marker", "esc2"));
    try_path("esc2");
    OK(symlink("/../outside-marker", "esc3"));
    try_path("esc3");
    OK(symlink("../../outside-marker", "sub/esc4"));
    try_path("sub/esc4");
    trick("openat(sub, esc4)", openat(sub, "esc4", O_RDONLY));
    OK(symlink("..", "sub/dotdot"));
    try_path("sub/dotdot/dotdot/../outside-marker");
    try_path("sub/dotdot/sub/dotdot/../../outside-marker");
    long n = readlink("abs", buf, sizeof buf);
    T(n, 1, 0);
    check("abs still -> /", n == 1 && buf[0] == '/');

    /* creating things above the root lands inside it */
    OK(rename("inside.txt", "../../x"));
    OK(stat("/x", &st));
    OK(rename("/x", "sub/../../inside.txt"));
    OK(stat("/inside.txt", &st));
    OK(link("inside.txt", "../../y"));
    OK(stat("/y", &st));
    T(st.st_nlink, 2, 0);
    OK(unlink("/y"));
    OK(mkdir("../../../escdir", 0755));
    OK(stat("/escdir", &st));
    OK(rmdir("escdir"));
    int c = FD(open("../../created", O_WRONLY | O_CREAT | O_EXCL, 0644));
    OK(close(c));
    OK(unlink("/created"));
    OK(symlinkat("t", top, "../made-by-symlinkat"));
    OK(lstat("/made-by-symlinkat", &st));
    OK(unlink("made-by-symlinkat"));
    /* O_CREAT through a symlink to the host path of a directory outside */
    snprintf(p, sizeof p, "%s", marker);
    char *slash = strrchr(p, '/');
    if (slash)
        strcpy(slash + 1, "created-outside");
    OK(symlink(p, "esc-create"));
    ERR(open("esc-create", O_WRONLY | O_CREAT, 0644), ENOENT);
    OK(unlink("esc-create"));

    /* chdir cannot climb out either */
    for (int i = 0; i < 20; i++)
        if (chdir("..") != 0)
            printf("FAIL chdir(..) #%d: %s\n", i, ename(errno)), failures++;
    show_cwd("/");
    ERR(stat("outside-marker", &st), ENOENT);
    OK(stat("inside.txt", &st));
    try_path("outside-marker");
    OK(chdir("sub"));
    show_cwd("/sub");
    OK(chdir("../../.."));
    show_cwd("/");
    OK(chdir("abs"));
    show_cwd("/");
    OK(chdir("up/up"));
    show_cwd("/");
    OK(fchdir(top));
    show_cwd("/");
    OK(chdir("sub"));
    OK(fchdir(sub));
    OK(chdir("dotdot/sub/dotdot/sub/dotdot"));
    show_cwd("/");
    try_path("outside-marker");

    OK(unlink("esc1"));
    OK(unlink("esc2"));
    OK(unlink("esc3"));
    OK(unlink("sub/esc4"));
    OK(unlink("sub/dotdot"));
    OK(close(sub));
    OK(close(top));
    return finish("fs_escape");
}
