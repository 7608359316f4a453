/*
 * fs_fdlinks: every kind of descriptor a program can hold, and what
 * readlink("/proc/self/fd/N") and lstat() of that link say about it.
 * Linux names each kind its own way ("pipe:[ino]", "socket:[ino]",
 * "anon_inode:[eventfd]", "/memfd:name (deleted)", a path for files,
 * directories and O_PATH handles); inode numbers differ from run to run,
 * so they are printed as "[ino]", and the pid as PID. The link's lstat mode shows how the
 * descriptor was opened (lr-x, l-wx, lrwx) and its size is 64.
 * Run in an empty working directory (the test's temp dir).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

static char cwd[4096];

/* The link text with the working directory shown as "." and any
 * "[digits]" as "[ino]". */
static void normalise(const char *in, char *out, size_t cap)
{
    size_t cl = strlen(cwd), o = 0;
    if (strncmp(in, cwd, cl) == 0 && (in[cl] == '/' || in[cl] == 0)) {
        out[o++] = '.';
        in += cl;
    }
    while (*in && o + 8 < cap) {
        if (*in == '[' && in[1] >= '0' && in[1] <= '9') {
            const char *e = in + 1;
            while (*e >= '0' && *e <= '9')
                e++;
            if (*e == ']') {
                memcpy(out + o, "[ino]", 5);
                o += 5;
                in = e + 1;
                continue;
            }
        }
        out[o++] = *in++;
    }
    out[o] = 0;
    char mine[32];
    int ml = snprintf(mine, sizeof mine, "/proc/%d", (int)getpid());
    if (strncmp(out, mine, ml) == 0 && (out[ml] == '/' || out[ml] == 0)) {
        memmove(out + 9, out + ml, strlen(out + ml) + 1);
        memcpy(out, "/proc/PID", 9);
    }
}

static void show(const char *what, int fd)
{
    char path[64], target[4096], shown[4096];
    if (fd < 0) {
        printf("%-16s open failed: %s\n", what, strerror(errno));
        return;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    long n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
        printf("%-16s readlink: %s\n", what, strerror(errno));
        return;
    }
    target[n] = 0;
    normalise(target, shown, sizeof shown);
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("%-16s %s lstat: %s\n", what, shown, strerror(errno));
        return;
    }
    printf("%-16s %s mode=%o size=%ld\n", what, shown, st.st_mode, (long)st.st_size);
}

int main(void)
{
    if (!getcwd(cwd, sizeof cwd))
        return 1;
    int f = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    show("file rdwr", f);
    show("file rdonly", open("file", O_RDONLY));
    show("file wronly", open("file", O_WRONLY | O_APPEND));
    show("file O_PATH", open("file", O_PATH));
    mkdir("dir", 0755);
    show("dir", open("dir", O_RDONLY | O_DIRECTORY));
    show("dir O_PATH", open("dir", O_PATH | O_DIRECTORY));
    show("cwd", open(".", O_RDONLY | O_DIRECTORY));
    show("root dir", open("/", O_RDONLY | O_DIRECTORY));
    show("/proc dir", open("/proc", O_RDONLY | O_DIRECTORY));
    show("/proc/self dir", open("/proc/self", O_RDONLY | O_DIRECTORY));
    show("/proc file", open("/proc/self/status", O_RDONLY));
    show("/dev dir", open("/dev", O_RDONLY | O_DIRECTORY));
    show("/dev/null", open("/dev/null", O_RDWR));
    show("/dev/zero", open("/dev/zero", O_RDONLY));
    int p[2];
    if (pipe(p) == 0) {
        show("pipe read", p[0]);
        show("pipe write", p[1]);
    }
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0)
        show("socketpair", s[0]);
    show("inet socket", socket(AF_INET, SOCK_STREAM, 0));
    show("udp socket", socket(AF_INET, SOCK_DGRAM, 0));
    show("eventfd", eventfd(0, 0));
    show("epoll", epoll_create1(0));
    show("timerfd", timerfd_create(CLOCK_MONOTONIC, 0));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    show("signalfd", signalfd(-1, &set, 0));
    show("inotify", inotify_init1(0));
    show("memfd", memfd_create("probe", 0));
    int gone = open("gone", O_RDWR | O_CREAT, 0644);
    unlink("gone");
    show("deleted file", gone);
    int moved = open("dir", O_RDONLY | O_DIRECTORY);
    rename("dir", "renamed");
    show("renamed dir", moved);
    show("dup of file", dup(f));
    /* The fd directory itself is its owner's only. */
    struct stat st;
    if (lstat("/proc/self/fd", &st) == 0)
        printf("%-16s mode=%o\n", "fd/ itself", st.st_mode);
    return 0;
}
