/*
 * proc_exec: execve and execveat in detail. Runs in an empty working
 * directory, where it writes its scripts.
 *
 * - #! scripts whose interpreter is this program (it prints the argv it
 *   gets, with its own path shown as INTERP): no argument, one argument,
 *   an argument with inner spaces (kept as one, Linux does not split),
 *   "#! " with a space, a script as the interpreter of a script, CRLF;
 * - errors: ENOENT (missing file, empty path, missing interpreter),
 *   EACCES (no x bit, a directory), ENOEXEC (garbage with the x bit, an
 *   empty file, "#!" alone), ENOTDIR, ELOOP, EFAULT (bad path);
 * - execve through a symlink (AT_EXECFN is the path as given); ETXTBSY
 *   for a program open for writing; argv == NULL (argc becomes 1, argv[0]
 *   ""); the environment arrives;
 * - what survives exec: close-on-exec descriptors are closed, others
 *   stay; handled signals become SIG_DFL, ignored stay ignored; the
 *   signal mask and pending signals are kept; /proc/self/exe;
 * - AT_RANDOM differs from exec to exec; an absolute path execs from a
 *   removed working directory (a relative one: ENOENT);
 * - execveat: relative to a directory fd, AT_EMPTY_PATH on the program's
 *   fd (fexecve), on a script (the interpreter sees /dev/fd/N), and on a
 *   close-on-exec script fd (ENOENT); AT_EXECFN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_check.h"

extern char **environ;

static const char *ename(int e)
{
    switch (e) {
#define E_(x) case x: return #x;
    E_(ENOENT) E_(EACCES) E_(ENOEXEC) E_(ENOTDIR) E_(ELOOP) E_(EFAULT) E_(EISDIR) E_(EINVAL) E_(E2BIG)
    E_(ENAMETOOLONG) E_(EPERM) E_(ETXTBSY)
#undef E_
    case 0: return "0";
    }
    static char b[32];
    snprintf(b, sizeof b, "errno %d", e);
    return b;
}

static char *env_interp[] = { "PROC_EXEC_INTERP=1", "FOO=bar", NULL };

static volatile int exec_errno;

/* vfork + execveat(dirfd, path, argv, envp, flags) (execve when dirfd is
 * AT_FDCWD and flags 0); the exec error (0 if it worked) in *err;
 * returns the wait status. */
static int run_at(int dirfd, const char *path, char *const argv[], char *const envp[], int flags, int *err)
{
    fflush(stdout);
    exec_errno = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        if (dirfd == AT_FDCWD && flags == 0)
            syscall(SYS_execve, path, argv, envp);
        else
            syscall(SYS_execveat, dirfd, path, argv, envp, flags);
        exec_errno = errno;
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    *err = exec_errno;
    return st;
}

static int run(const char *path, char *const argv[], char *const envp[], int *err)
{
    return run_at(AT_FDCWD, path, argv, envp, 0, err);
}

static void write_file(const char *name, const char *content, mode_t mode)
{
    unlink(name);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
        printf("cannot write %s\n", name);
    close(fd);
    chmod(name, mode);
}

static void expect_error(const char *what, const char *path, int want)
{
    char *argv[] = { "x", NULL };
    int err;
    int st = run(path, argv, env_interp, &err);
    char line[160];
    snprintf(line, sizeof line, "%s: %s", what, ename(err));
    check(line, err == want && WIFEXITED(st) && WEXITSTATUS(st) == 127);
}

/* ---- the interpreter / child side ---- */

static int print_argv(int argc, char **argv)
{
    printf("  argc=%d:", argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", !strcmp(argv[i], self) ? "INTERP" : argv[i]);
    printf("\n");
    fflush(stdout);
    return 0;
}

/* "inherit CLOEXEC_FD PLAIN_FD": what survived the exec */
static int child_inherit(char **argv)
{
    int cfd = atoi(argv[2]), pfd = atoi(argv[3]);
    errno = 0;
    int c = fcntl(cfd, F_GETFD);
    int cerr = errno;
    int p = fcntl(pfd, F_GETFD);
    printf("  close-on-exec fd closed: %s\n", c == -1 && cerr == EBADF ? "yes" : "no");
    printf("  plain fd still open: %s\n", p >= 0 ? "yes" : "no");
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    printf("  handled SIGUSR1 is SIG_DFL now: %s\n", sa.sa_handler == SIG_DFL ? "yes" : "no");
    sigaction(SIGUSR2, NULL, &sa);
    printf("  ignored SIGUSR2 still SIG_IGN: %s\n", sa.sa_handler == SIG_IGN ? "yes" : "no");
    sigset_t m, pend;
    sigprocmask(SIG_SETMASK, NULL, &m);
    printf("  SIGHUP still blocked: %s\n", sigismember(&m, SIGHUP) ? "yes" : "no");
    sigpending(&pend);
    printf("  SIGHUP still pending: %s\n", sigismember(&pend, SIGHUP) ? "yes" : "no");
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("  /proc/self/exe is this program: %s\n", !strcmp(buf, self) ? "yes" : "no");
    fflush(stdout);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    int got;
    sigwait(&hup, &got); /* consume it */
    return 0;
}

/* ---- checks ---- */

static void test_scripts(void)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "#!%s\n", self);
    write_file("s1", buf, 0755);
    snprintf(buf, sizeof buf, "#!%s one-arg\nbody\n", self);
    write_file("s2", buf, 0755);
    snprintf(buf, sizeof buf, "#!%s   two words  \n", self);
    write_file("s3", buf, 0755);
    snprintf(buf, sizeof buf, "#! %s\n", self);
    write_file("s4", buf, 0755);
    write_file("s5", "#!./s1 nested\n", 0755);
    snprintf(buf, sizeof buf, "#!%s crlf\r\n", self);
    write_file("s6", buf, 0755);
    snprintf(buf, sizeof buf, "#!%s\ttab\n", self);
    write_file("s7", buf, 0755);

    static const char *scripts[] = { "./s1", "./s2", "./s3", "./s4", "./s5", "./s6", "./s7" };
    static const char *desc[] = { "no argument", "one argument", "an argument with spaces", "space after #!",
                                  "a script as interpreter", "CRLF line end", "tab before the argument" };
    for (int i = 0; i < 7; i++) {
        char *argv[] = { "script-argv0", "a", "b c", NULL };
        int err;
        printf("#! %s (%s):\n", desc[i], scripts[i]);
        int st = run(scripts[i], argv, env_interp, &err);
        char what[96];
        snprintf(what, sizeof what, "#! %s: ran", desc[i]);
        check(what, err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    /* interpreter given by a relative path from the cwd */
    char *argv[] = { "x", NULL };
    int err;
    write_file("s8", "#!./missing-interp\n", 0755);
    run("./s8", argv, env_interp, &err);
    check("#! with a missing interpreter: ENOENT", err == ENOENT);
    write_file("s9", "#!\n", 0755);
    run("./s9", argv, env_interp, &err);
    check("#! with no interpreter: ENOEXEC", err == ENOEXEC);
    snprintf(buf, sizeof buf, "#!%s\n", self);
    write_file("s10", buf, 0644);
    run("./s10", argv, env_interp, &err);
    check("script without the x bit: EACCES", err == EACCES);
    /* an interpreter that is not executable */
    write_file("noexec-interp", "", 0644);
    write_file("s11", "#!./noexec-interp\n", 0755);
    run("./s11", argv, env_interp, &err);
    printf("#! with a non-executable interpreter: %s\n", ename(err));
}

static void test_errors(void)
{
    mkdir("dir", 0755);
    write_file("garbage", "\x01\x02\x03 this is not a program\n", 0755);
    write_file("empty", "", 0755);
    write_file("plain", "data\n", 0644);
    write_file("elfhead", "\x7f" "ELF", 0755);
    unlink("loop1");
    unlink("loop2");
    symlink("loop2", "loop1");
    symlink("loop1", "loop2");
    expect_error("missing file", "./does-not-exist", ENOENT);
    expect_error("empty path", "", ENOENT);
    expect_error("missing directory", "./nodir/prog", ENOENT);
    expect_error("no x bit", "./plain", EACCES);
    expect_error("a directory", "./dir", EACCES);
    expect_error("garbage with the x bit", "./garbage", ENOEXEC);
    expect_error("empty file with the x bit", "./empty", ENOEXEC);
    expect_error("truncated ELF header", "./elfhead", ENOEXEC);
    expect_error("a file used as a directory", "./plain/x", ENOTDIR);
    expect_error("symlink loop", "./loop1", ELOOP);
    char *argv[] = { "x", NULL };
    int err;
    const char *volatile bad_path = (const char *)8;
    char *const *volatile bad_argv = (char *const *)8;
    run(bad_path, argv, env_interp, &err);
    check("path pointer 8: EFAULT", err == EFAULT);
    run(self, bad_argv, env_interp, &err);
    check("argv pointer 8: EFAULT", err == EFAULT);
}

static void test_exec_details(void)
{
    /* a symlink to the program */
    unlink("link-to-prog");
    symlink(self, "link-to-prog");
    char *argv[] = { "via-link", "execfn", NULL };
    int err;
    printf("exec through a symlink:\n");
    int st = run("./link-to-prog", argv, env_interp, &err);
    check("exec through a symlink", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a program open for writing: ETXTBSY */
    {
        int in = open(self, O_RDONLY), out = open("copy-of-prog", O_WRONLY | O_CREAT | O_TRUNC, 0755);
        char b[65536];
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, b, sizeof b)) > 0)
            if (write(out, b, n) != n)
                break;
        close(in);
        char *a[] = { "copy", NULL };
        run("./copy-of-prog", a, env_interp, &err);
        printf("exec of a program still open for writing: %s\n", ename(err));
        check("exec of a program open for writing: ETXTBSY", err == ETXTBSY);
        close(out);
        printf("the copy, closed:\n");
        st = run("./copy-of-prog", a, env_interp, &err);
        check("once closed it runs", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }

    /* argv == NULL */
    printf("argv NULL:\n");
    st = run(self, NULL, env_interp, &err);
    check("argv NULL: runs", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* the environment */
    char *env2[] = { "PROC_EXEC_ENV=1", "A=1", "B=two words", "EMPTY=", NULL };
    char *argv2[] = { "env", NULL };
    printf("environment:\n");
    st = run(self, argv2, env2, &err);
    check("the environment arrives", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* what survives exec */
    int cfd = open(".", O_RDONLY | O_CLOEXEC), pfd = open(".", O_RDONLY);
    char a2[16], a3[16];
    snprintf(a2, sizeof a2, "%d", cfd);
    snprintf(a3, sizeof a3, "%d", pfd);
    signal(SIGUSR1, (void (*)(int))exit);
    signal(SIGUSR2, SIG_IGN);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_BLOCK, &hup, NULL);
    char *argv3[] = { self ? (char *)self : "", "inherit", a2, a3, NULL };
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        syscall(SYS_kill, syscall(SYS_getpid), SIGHUP); /* pending across the exec */
        execv(self, argv3);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    check("inherit child ran", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sigprocmask(SIG_UNBLOCK, &hup, NULL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    close(cfd);
    close(pfd);
}

/* "random FD": the program's 16 AT_RANDOM bytes, written to FD */
static int child_random(char **argv)
{
    const void *rnd = (const void *)getauxval(AT_RANDOM);
    return rnd && write(atoi(argv[2]), rnd, 16) == 16 ? 0 : 1;
}

/* AT_RANDOM is fresh for every exec; an exec by absolute path works from a
 * removed working directory, a relative one fails with ENOENT. */
static void test_random_and_cwd(void)
{
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    int p[2];
    if (pipe(p) != 0)
        return;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    char *argv[] = { exe, "random", fd, NULL };
    unsigned char r[3][16];
    int err, ok = 1;
    for (int i = 0; i < 3; i++) {
        int st = run(exe, argv, environ, &err);
        ok &= err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && read(p[0], r[i], 16) == 16;
    }
    close(p[0]);
    close(p[1]);
    check("three execs ran and sent their AT_RANDOM", ok);
    check("AT_RANDOM differs from exec to exec", ok && memcmp(r[0], r[1], 16) && memcmp(r[1], r[2], 16) &&
                                                      memcmp(r[0], r[2], 16));

    char here[4096];
    if (!getcwd(here, sizeof here))
        return;
    rmdir("gone-cwd");
    mkdir("gone-cwd", 0755);
    if (chdir("gone-cwd") != 0 || rmdir("../gone-cwd") != 0) {
        printf("cannot remove the working directory\n");
        chdir(here);
        return;
    }
    char *argv2[] = { "from-a-removed-cwd", NULL };
    printf("exec by absolute path from a removed working directory:\n");
    int st = run(exe, argv2, env_interp, &err);
    check("exec by absolute path from a removed cwd runs", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    run("./prog", argv2, env_interp, &err);
    check("exec by relative path from a removed cwd: ENOENT", err == ENOENT);
    chdir(here);
}

static void test_execveat(void)
{
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    char *argv[] = { "s1-argv0", "x", NULL };
    int err;
    printf("execveat(dirfd, \"s1\"):\n");
    int st = run_at(dfd, "s1", argv, env_interp, 0, &err);
    check("execveat(dirfd, relative script)", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    int pfd = open(self, O_RDONLY);
    char *argv2[] = { "fexecve", "execfn", NULL };
    printf("execveat(program fd, \"\", AT_EMPTY_PATH):\n");
    st = run_at(pfd, "", argv2, env_interp, AT_EMPTY_PATH, &err);
    check("execveat(program fd, AT_EMPTY_PATH)", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    run_at(pfd, "", argv2, env_interp, 0, &err);
    check("execveat(fd, \"\") without AT_EMPTY_PATH: ENOENT", err == ENOENT);
    run_at(dfd, "s1", argv2, env_interp, 0x12345, &err);
    check("execveat with bad flags: EINVAL", err == EINVAL);
    close(pfd);

    int sfd = open("s1", O_RDONLY);
    printf("execveat(script fd, \"\", AT_EMPTY_PATH):\n");
    st = run_at(sfd, "", argv, env_interp, AT_EMPTY_PATH, &err);
    check("execveat(script fd, AT_EMPTY_PATH)", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(sfd);
    sfd = open("s1", O_RDONLY | O_CLOEXEC);
    run_at(sfd, "", argv, env_interp, AT_EMPTY_PATH, &err);
    check("execveat(close-on-exec script fd, AT_EMPTY_PATH): ENOENT", err == ENOENT);
    close(sfd);

    printf("execveat(dirfd, \"link-to-prog\") AT_EXECFN:\n");
    char *argv3[] = { "via-dirfd", "execfn", NULL };
    st = run_at(dfd, "link-to-prog", argv3, env_interp, 0, &err);
    check("execveat(dirfd, relative program)", err == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    run_at(dfd, "link-to-prog", argv3, env_interp, AT_SYMLINK_NOFOLLOW, &err);
    check("execveat(AT_SYMLINK_NOFOLLOW) on a symlink: ELOOP", err == ELOOP);
    close(dfd);
}

/* "exe": /proc/self/exe, from the working directory (the test's
 * directory differs from run to run) */
static int child_exe(void)
{
    char buf[4096], cwd[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    size_t c = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    int inside = c && !strncmp(buf, cwd, c) && buf[c] == '/';
    printf("  /proc/self/exe is %s%s\n", inside ? "./" : "", inside ? buf + c + 1 : buf);
    return 0;
}

/* The same path exec'd again after what it names changed: a renamed
 * program, a symlink retargeted, a directory renamed under a symlink.
 * /proc/self/exe follows each change. */
static void test_exe_after_renames(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    int in = open(exe, O_RDONLY), out = open("exe-a", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char b[65536];
    ssize_t r;
    while (in >= 0 && out >= 0 && (r = read(in, b, sizeof b)) > 0)
        if (write(out, b, r) != r)
            break;
    close(in);
    close(out);
    char *argv[] = { "exe-link", "exe", NULL };
    int err;
    printf("the same path exec'd after renames:\n");
    symlink("exe-a", "exe-link");
    run("./exe-link", argv, environ, &err);
    run("./exe-link", argv, environ, &err);
    rename("exe-a", "exe-b");
    unlink("exe-link");
    symlink("exe-b", "exe-link");
    run("./exe-link", argv, environ, &err);
    mkdir("sub", 0755);
    rename("exe-b", "sub/exe-c");
    symlink("sub", "dir-link");
    run("./dir-link/exe-c", argv, environ, &err);
    rename("sub", "sub2");
    unlink("dir-link");
    symlink("sub2", "dir-link");
    run("./dir-link/exe-c", argv, environ, &err);
    run("./sub/exe-c", argv, environ, &err);
    check("the renamed directory's old path: ENOENT", err == ENOENT);
    unlink("dir-link");
    unlink("exe-link");
    unlink("sub2/exe-c");
    rmdir("sub2");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("PROC_EXEC_INTERP")) {
        /* started by one of the tests: the path of this program comes in
         * PROC_EXEC_SELF */
        self = getenv("PROC_EXEC_SELF");
        if (!self) {
            static char buf[4096];
            ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
            buf[n > 0 ? n : 0] = 0;
            self = buf;
        }
        if (argc >= 2 && !strcmp(argv[argc - 1], "execfn")) {
            const char *fn = (const char *)getauxval(AT_EXECFN);
            printf("  AT_EXECFN: %s\n", fn ? fn : "(none)");
        }
        return print_argv(argc, argv);
    }
    if (getenv("PROC_EXEC_ENV")) {
        extern char **environ;
        for (char **e = environ; *e; e++)
            printf("  env: %s\n", *e);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "random"))
        return child_random(argv);
    if (argc == 2 && !strcmp(argv[1], "exe"))
        return child_exe();
    if (argc >= 4 && !strcmp(argv[1], "inherit")) {
        self = argv[0];
        return child_inherit(argv);
    }
    self = argv[0];
    /* the children get our path in the environment, to print INTERP */
    static char selfenv[4200];
    snprintf(selfenv, sizeof selfenv, "PROC_EXEC_SELF=%s", self);
    env_interp[1] = selfenv;
    test_scripts();
    test_errors();
    test_exec_details();
    test_execveat();
    test_random_and_cwd();
    test_exe_after_renames();
    return finish();
}
