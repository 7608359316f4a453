/* chroot(2): errors; a vfork child that chroots and execs a program inside
 * the jail (its /proc/PID/root, read by the parent); then the process
 * itself in the jail: absolute paths, ".." at the new root, an absolute
 * symlink, getcwd of a working directory left outside (raw syscall:
 * "(unreachable)/..."), no /proc without a mount there, chroot("."), and a
 * vfork child inheriting the root. Needs root natively (CAP_SYS_CHROOT):
 * not root, it first takes a user namespace where it is; exit 77 when it
 * cannot. The program copies itself into the jail, so static builds only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs_check.h"

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        exit(1);
    }
    close(fd);
}

/* The first line of a file, or "-1 ENAME". */
static void show(const char *path)
{
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("open %s = -1 %s\n", path, ename(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("open %s: %s\n", path, buf);
}

static void copy_self(const char *to)
{
    int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    if (in < 0 || out < 0) {
        perror("copy_self");
        exit(1);
    }
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            exit(1);
    close(in);
    close(out);
}

/* What a program run inside the jail sees. */
static int child_main(int argc, char **argv)
{
    char cwd[4096];
    long r = syscall(SYS_getcwd, cwd, sizeof cwd);
    /* The directory name differs between runs: only whether it is outside. */
    if (r > 0 && strncmp(cwd, "(unreachable)/", 14) == 0)
        strcpy(cwd, "(unreachable)/...");
    printf("child %s: getcwd = %s\n", argv[1], r > 0 ? cwd : ename(errno));
    show("/f");
    show("/abs");
    struct stat st;
    ERR(stat("/proc/self", &st), ENOENT);
    if (argc > 3) { /* say so, then wait until the parent has looked */
        char c = 'r';
        printf("child ready\n");
        fflush(stdout);
        if (write(atoi(argv[3]), &c, 1) != 1 || read(atoi(argv[2]), &c, 1) < 0)
            return 1;
    }
    return failures != 0;
}

static void become_root(void)
{
    if (geteuid() == 0)
        return;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    if (unshare(CLONE_NEWUSER) != 0)
        exit(77);
    put("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1", uid);
    put("/proc/self/uid_map", map);
    snprintf(map, sizeof map, "0 %u 1", gid);
    put("/proc/self/gid_map", map);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_main(argc, argv);
    become_root();
    char top[4096], cwd[4096], want[4200];
    if (!getcwd(top, sizeof top))
        return 1;
    OK(mkdir("jail", 0755));
    OK(mkdir("jail/bin", 0755));
    OK(mkdir("jail/sub", 0755));
    put("jail/f", "inside");
    put("f", "outside");
    OK(symlink("/f", "jail/abs"));
    copy_self("jail/bin/prog");

    /* Errors, as Linux orders them. */
    ERR(chroot("missing"), ENOENT);
    ERR(chroot("jail/f"), ENOTDIR);
    ERR(chroot("jail/f/x"), ENOTDIR);
    ERR(chroot(""), ENOENT);
    ERR(chroot((const char *)1), EFAULT);
    OK(symlink("loop", "loop"));
    ERR(chroot("loop"), ELOOP);
    char longname[5000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    ERR(chroot(longname), ENAMETOOLONG);

    /* A vfork child chroots and runs a program inside the jail; the
     * parent reads its root from /proc and stays where it was. */
    int go[2], ready[2];
    OK(pipe(go));
    OK(pipe(ready));
    char rfd[16], wfd[16];
    snprintf(rfd, sizeof rfd, "%d", go[0]);
    snprintf(wfd, sizeof wfd, "%d", ready[1]);
    pid_t pid = vfork();
    if (pid == 0) {
        if (chroot("jail") != 0)
            _exit(20);
        execl("/bin/prog", "prog", "vforked", rfd, wfd, (char *)NULL);
        _exit(21);
    }
    close(go[0]);
    close(ready[1]);
    char c, root[4200], link[64];
    T(read(ready[0], &c, 1), 1, 0);
    snprintf(link, sizeof link, "/proc/%d/root", pid);
    ssize_t n = readlink(link, root, sizeof root - 1);
    root[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%s/jail", top);
    check("/proc/PID/root is the child's jail", n > 0 && strcmp(root, want) == 0);
    show("f");
    T(write(go[1], "g", 1), 1, 0);
    close(go[1]);
    close(ready[0]);
    int status;
    check("waitpid", waitpid(pid, &status, 0) == pid);
    T(status, 0, 0);

    /* Now this process: the cwd stays outside the new root. */
    int outside = FD(open(".", O_RDONLY | O_DIRECTORY));
    OK(chroot("jail"));
    long r = syscall(SYS_getcwd, cwd, sizeof cwd);
    snprintf(want, sizeof want, "(unreachable)%s", top);
    check("getcwd outside the root is (unreachable)/...", r > 0 && strcmp(cwd, want) == 0);
    show("f"); /* relative: from the cwd, outside */
    show("/f");
    show("/abs");
    show("/../../f");
    show("/sub/../../f");
    struct stat a, b;
    OK(stat("/", &a));
    OK(stat("/..", &b));
    check("/.. is /", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    ERR(stat("/proc/self", &a), ENOENT);
    ERR(readlink("/proc/self/root", root, sizeof root), ENOENT);
    OK(chdir("/sub"));
    r = syscall(SYS_getcwd, cwd, sizeof cwd);
    printf("getcwd = %s\n", r > 0 ? cwd : ename(errno));
    OK(chdir("../.."));
    r = syscall(SYS_getcwd, cwd, sizeof cwd);
    printf("getcwd = %s\n", r > 0 ? cwd : ename(errno));
    /* chroot(".") keeps the jail; a vfork child inherits it. */
    OK(chroot("."));
    show("/f");
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        execl("/bin/prog", "prog", "inherited", (char *)NULL);
        _exit(21);
    }
    check("waitpid", waitpid(pid, &status, 0) == pid);
    T(status, 0, 0);
    /* A nested chroot narrows it. */
    OK(chroot("sub"));
    show("/f");
    OK(fchdir(outside));
    r = syscall(SYS_getcwd, cwd, sizeof cwd);
    check("still unreachable", r > 0 && strncmp(cwd, "(unreachable)", 13) == 0);
    show("jail/f"); /* from outside: the machine's tree */
    struct stat c1, c2;
    OK(fstatat(outside, "jail", &c1, 0));
    OK(stat("jail", &c2));
    check("a kept descriptor reaches outside", c1.st_ino == c2.st_ino);
    OK(close(outside));
    return failures != 0;
}
