/*
 * fs_proc: structural facts about /proc that hold both natively and
 * under nommu (whose /proc is generated and whose pids are virtual), so
 * no pid, address or size is printed, only comparisons:
 *   /proc/self -> getpid(); /proc/<pid>/X == /proc/self/X;
 *   cmdline == argv joined by NULs; environ == environ joined by NULs;
 *   comm == basename(argv[0]) (first 15 bytes); exe ends with the
 *   binary's name, is a regular executable file starting with \177ELF;
 *   cwd == getcwd(); fd/ lists 0 1 2, an opened file and the directory's
 *   own fd; fd/N links (a file's path, "pipe:[", /dev/null for stdin, the
 *   new name of a renamed directory, "... (deleted)" for an unlinked file);
 *   /proc lists "self" and <pid>;
 *   stat field 1 == pid, field 2 == "(comm)", state R, ppid == getppid();
 *   status has Name:, Pid:, PPid:, Uid:; maps lines parse and main()'s
 *   address is in an executable mapping; /proc/meminfo MemTotal:,
 *   /proc/uptime two floats, /proc/loadavg, /proc/mounts, /proc/cpuinfo,
 *   /proc/version; ENOENT for missing entries.
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
#include <unistd.h>

#include "fs_check.h"

extern char **environ;

static char buf[1 << 20], buf2[1 << 20];

/* Reads a whole file (proc files report size 0, so read until EOF). */
static long slurp(const char *path, char *into, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long total = 0;
    for (;;) {
        long n = read(fd, into + total, cap - 1 - total);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        total += n;
    }
    into[total] = 0;
    close(fd);
    return total;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Finds "Key:" at the start of a line; returns the rest of that line. */
static const char *field(const char *text, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, k) == 0) {
            const char *e = strchr(l, '\n');
            size_t n = e ? (size_t)(e - l - k) : strlen(l + k);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, l + k, n);
            out[n] = 0;
            return out;
        }
    }
    return NULL;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
    char path[PATH_MAX], link[PATH_MAX], want[PATH_MAX];
    struct stat st;
    pid_t pid = getpid();
    long n;

    /* /proc/self */
    n = readlink("/proc/self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%d", pid);
    check("readlink /proc/self == getpid()", n > 0 && strcmp(link, want) == 0);
    OK(stat("/proc/self", &st));
    check("/proc/self is a directory", S_ISDIR(st.st_mode));

    /* cmdline */
    n = slurp("/proc/self/cmdline", buf, sizeof buf);
    long len = 0;
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        memcpy(buf2 + len, argv[i], l);
        len += l;
    }
    printf("argc = %d\n", argc);
    check("cmdline == argv joined by NULs", n == len && memcmp(buf, buf2, len) == 0);
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    long n2 = slurp(path, buf2, sizeof buf2);
    check("/proc/<pid>/cmdline == /proc/self/cmdline", n2 == n && memcmp(buf, buf2, n) == 0);

    /* environ */
    n = slurp("/proc/self/environ", buf, sizeof buf);
    len = 0;
    for (char **e = environ; *e; e++) {
        size_t l = strlen(*e) + 1;
        if (len + l < sizeof buf2)
            memcpy(buf2 + len, *e, l);
        len += l;
    }
    check("environ == environment joined by NULs", n == len && memcmp(buf, buf2, len) == 0);
    check("environ has NOMMU_PROC_TEST=1", memmem(buf, n > 0 ? n : 0, "NOMMU_PROC_TEST=1", 18) != NULL);

    /* comm */
    char comm[32];
    n = slurp("/proc/self/comm", buf, sizeof buf);
    snprintf(comm, 16, "%s", base(argv[0]));
    snprintf(want, sizeof want, "%s\n", comm);
    printf("comm = %s", n > 0 ? buf : "?\n");
    check("comm == basename(argv[0]) + newline", n > 0 && strcmp(buf, want) == 0);

    /* exe */
    n = readlink("/proc/self/exe", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "/%s", base(argv[0]));
    check("exe ends with /<binary name>", n > 0 && ends_with(link, want));
    check("exe is absolute", link[0] == '/');
    OK(stat("/proc/self/exe", &st));
    check("exe is a regular file with x bits", S_ISREG(st.st_mode) && (st.st_mode & 0111));
    n = slurp("/proc/self/exe", buf, 64);
    check("exe starts with \\177ELF", n >= 4 && memcmp(buf, "\177ELF", 4) == 0);
    OK(access("/proc/self/exe", X_OK));

    /* cwd */
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    n = readlink("/proc/self/cwd", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    check("cwd link == getcwd()", n > 0 && strcmp(link, cwd) == 0);
    int t = FD(open("/proc/self/cwd/.", O_RDONLY | O_DIRECTORY));
    OK(close(t));

    /* fd/ */
    for (int i = 3; i < 256; i++)
        close(i);
    int fd = T(open("a-file", O_RDWR | O_CREAT, 0644), 3, 0);
    int p[2];
    OK(pipe(p));
    DIR *d = opendir("/proc/self/fd");
    int fds[256], nfds = 0;
    struct dirent *e;
    int dots = 0;
    while (d && (e = readdir(d)) && nfds < 256) {
        if (e->d_name[0] == '.')
            dots++;
        else
            fds[nfds++] = atoi(e->d_name);
    }
    int dirfd_ = d ? dirfd(d) : -1;
    if (d)
        closedir(d);
    qsort(fds, nfds, sizeof *fds, cmp_int);
    printf("/proc/self/fd:");
    for (int i = 0; i < nfds; i++)
        printf(" %d", fds[i]);
    printf(" (and . ..: %d)\n", dots);
    check("fd/ lists 0 1 2 3 4 5 and the listing's own fd 6",
          nfds == 7 && fds[0] == 0 && fds[1] == 1 && fds[2] == 2 && fds[3] == 3 && fds[4] == 4 &&
              fds[5] == 5 && fds[6] == 6 && dirfd_ == 6 && dots == 2);
    n = readlink("/proc/self/fd/3", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%s/a-file", cwd);
    check("fd/3 -> <cwd>/a-file", n > 0 && strcmp(link, want) == 0);
    n = readlink("/proc/self/fd/4", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    check("fd/4 -> pipe:[...]", n > 7 && strncmp(link, "pipe:[", 6) == 0 && link[n - 1] == ']');
    n = readlink("/proc/self/fd/0", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("fd/0 -> %s\n", n > 0 ? link : "?");
    ERR(readlink("/proc/self/fd/42", link, sizeof link), ENOENT);
    /* opening fd/N of a file works like /dev/fd/N */
    T(write(fd, "xyz", 3), 3, 0);
    int r = FD(open("/proc/self/fd/3", O_RDONLY));
    T(read(r, buf, 10), 3, 0);
    OK(close(r));
    OK(fstat(fd, &st));
    struct stat st2;
    OK(stat("/proc/self/fd/3", &st2));
    check("stat fd/3 == fstat 3", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);

    /* fd links follow renames; an unlinked file says (deleted) */
    OK(mkdir("pdir", 0755));
    int pd = T(open("pdir", O_RDONLY | O_DIRECTORY), 6, 0);
    OK(rename("pdir", "pdir2"));
    snprintf(path, sizeof path, "/proc/self/fd/%d", pd);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%s/pdir2", cwd);
    check("fd link of a renamed directory shows the new name", n > 0 && strcmp(link, want) == 0);
    OK(fchdir(pd));
    n = readlink("/proc/self/cwd", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    check("cwd link after fchdir", n > 0 && strcmp(link, want) == 0);
    OK(chdir(cwd));
    OK(close(pd));
    int gf = FD(open("gone-file", O_WRONLY | O_CREAT, 0644));
    OK(unlink("gone-file"));
    snprintf(path, sizeof path, "/proc/self/fd/%d", gf);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%s/gone-file (deleted)", cwd);
    check("fd link of an unlinked file ends in \" (deleted)\"", n > 0 && strcmp(link, want) == 0);
    OK(close(gf));

    /* /proc lists self and our pid */
    d = opendir("/proc");
    int has_self = 0, has_pid = 0;
    snprintf(want, sizeof want, "%d", pid);
    while (d && (e = readdir(d))) {
        has_self += strcmp(e->d_name, "self") == 0;
        has_pid += strcmp(e->d_name, want) == 0;
    }
    if (d)
        closedir(d);
    check("/proc lists self and <pid>", has_self == 1 && has_pid == 1);

    /* stat */
    n = slurp("/proc/self/stat", buf, sizeof buf);
    int spid = -1, sppid = -1;
    char scomm[64] = "", state = '?';
    char *rp = strrchr(buf, ')');
    if (n > 0 && rp) {
        spid = atoi(buf);
        char *lp = strchr(buf, '(');
        if (lp && rp - lp < 60) {
            memcpy(scomm, lp, rp - lp + 1);
            scomm[rp - lp + 1] = 0;
        }
        sscanf(rp + 1, " %c %d", &state, &sppid);
    }
    snprintf(want, sizeof want, "(%s)", comm);
    printf("stat: comm field %s, state %c\n", scomm, state);
    check("stat field 1 == getpid()", spid == pid);
    check("stat field 2 == (comm)", strcmp(scomm, want) == 0);
    check("stat state is R", state == 'R');
    check("stat field 4 == getppid()", sppid == getppid());
    int fields = 0;
    for (char *s = rp ? rp + 1 : buf; *s; s++)
        if (*s == ' ')
            fields++;
    check("stat has at least 50 fields", fields + 2 >= 50);

    /* status */
    n = slurp("/proc/self/status", buf, sizeof buf);
    char v[256];
    snprintf(want, sizeof want, "\t%s", comm);
    check("status Name:\\t<comm>", field(buf, "Name:", v, sizeof v) && strcmp(v, want) == 0);
    snprintf(want, sizeof want, "\t%d", pid);
    check("status Pid:\\t<pid>", field(buf, "Pid:", v, sizeof v) && strcmp(v, want) == 0);
    snprintf(want, sizeof want, "\t%d", getppid());
    check("status PPid:\\t<ppid>", field(buf, "PPid:", v, sizeof v) && strcmp(v, want) == 0);
    unsigned ru, eu, su, fu;
    check("status Uid: has 4 numbers, the first == getuid()",
          field(buf, "Uid:", v, sizeof v) && sscanf(v, "%u %u %u %u", &ru, &eu, &su, &fu) == 4 && ru == getuid());
    check("status State: R", field(buf, "State:", v, sizeof v) && v[0] == '\t' && v[1] == 'R');
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    n2 = slurp(path, buf2, sizeof buf2);
    snprintf(want, sizeof want, "\t%d", pid);
    check("/proc/<pid>/status has the same Pid: line",
          n2 > 0 && field(buf2, "Pid:", v, sizeof v) && strcmp(v, want) == 0);

    /* maps */
    n = slurp("/proc/self/maps", buf, sizeof buf);
    int lines = 0, bad = 0, found = 0;
    uintptr_t here = (uintptr_t)&main;
    for (char *l = buf; n > 0 && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = 0;
        unsigned long lo, hi, off;
        char perms[8];
        unsigned dmaj, dmin;
        unsigned long ino;
        if (sscanf(l, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms, &off, &dmaj, &dmin, &ino) != 7 ||
            strlen(perms) != 4 || lo >= hi)
            bad++;
        else if (lo <= here && here < hi && perms[2] == 'x')
            found = 1;
        lines++;
        if (!nl)
            break;
        l = nl + 1;
    }
    check("maps: at least one line, all parse", lines > 0 && bad == 0);
    check("maps: main() is in an executable mapping", found);

    /* system-wide files */
    n = slurp("/proc/meminfo", buf, sizeof buf);
    unsigned long kb = 0;
    char unit[8] = "";
    check("meminfo MemTotal: <n> kB",
          field(buf, "MemTotal:", v, sizeof v) && sscanf(v, "%lu %7s", &kb, unit) == 2 && kb > 0 &&
              strcmp(unit, "kB") == 0);
    check("meminfo MemFree: and MemAvailable:",
          field(buf, "MemFree:", v, sizeof v) && field(buf, "MemAvailable:", v, sizeof v));
    n = slurp("/proc/uptime", buf, sizeof buf);
    double up = -1, idle = -1;
    char extra;
    check("uptime: two non-negative floats and a newline",
          n > 0 && sscanf(buf, "%lf %lf%c", &up, &idle, &extra) == 3 && up >= 0 && idle >= 0 && extra == '\n');
    n = slurp("/proc/loadavg", buf, sizeof buf);
    double l1, l5, l15;
    int running, total, last;
    check("loadavg: 3 floats, running/total, last pid",
          n > 0 && sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last) == 6 &&
              running >= 1 && total >= running);
    n = slurp("/proc/mounts", buf, sizeof buf);
    char dev[256], mnt[256], type[64], opts[512];
    int dump, pass;
    check("mounts: first line has 6 fields",
          n > 0 && sscanf(buf, "%255s %255s %63s %511s %d %d", dev, mnt, type, opts, &dump, &pass) == 6);
    n = slurp("/proc/cpuinfo", buf, sizeof buf);
    check("cpuinfo has a processor line", n > 0 && strncmp(buf, "processor", 9) == 0);
    n = slurp("/proc/version", buf, sizeof buf);
    check("version starts with \"Linux version \"", n > 0 && strncmp(buf, "Linux version ", 14) == 0);

    OK(stat("/proc", &st));
    check("/proc is a directory", S_ISDIR(st.st_mode));
    ERR(open("/proc/no-such-file", O_RDONLY), ENOENT);
    ERR(open("/proc/self/no-such-file", O_RDONLY), ENOENT);
    ERR(open("/proc/999999999/stat", O_RDONLY), ENOENT);

    return finish("fs_proc");
}
