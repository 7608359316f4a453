/*
 * proc_spawn: posix_spawn, posix_spawnp, popen, system.
 *
 * Meant to run as /prog in a small root directory holding the busybox
 * rootfs shell (/bin/sh -> busybox hush, plus a few applets) and a
 * writable /tmp: natively under chroot(8), and under nommu --root. Both
 * libcs implement posix_spawn with clone(CLONE_VM|CLONE_VFORK) on a
 * separate stack and report exec errors back through memory or a pipe.
 *
 * - posix_spawn of this program: argv, envp, exit status; file actions
 *   (open stdout onto a file, dup2, close), attributes (SETPGROUP,
 *   SETSIGMASK, SETSIGDEF); a missing program: ENOENT returned by
 *   posix_spawn itself; posix_spawnp searching PATH;
 * - popen "r": the output of a shell command, pclose's status (exit 3);
 *   popen "w": data piped into cat > /tmp/file; popen of a command that
 *   does not exist: status 127;
 * - system: exit statuses, a shell killed by SIGTERM, system(NULL),
 *   a pipeline and a here-document through the shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_check.h"

extern char **environ;

/* What pclose or system returned: -1 (and errno), or a wait status. */
static const char *result(int st)
{
    static char buf[64];
    if (st != -1)
        return describe(st);
    snprintf(buf, sizeof buf, "-1 (%s)", strerror(errno));
    return buf;
}

static char *read_file(const char *path)
{
    static char buf[4096];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    buf[n > 0 ? n : 0] = 0;
    if (fd >= 0)
        close(fd);
    return buf;
}

/* ---- child side ---- */
static int child(int argc, char **argv)
{
    const char *mode = argv[1];
    if (!strcmp(mode, "args")) {
        printf("  child argc=%d", argc);
        for (int i = 2; i < argc; i++)
            printf(" [%s]", argv[i]);
        printf(" SPAWN_VAR=%s\n", getenv("SPAWN_VAR") ? getenv("SPAWN_VAR") : "(unset)");
        return argc;
    }
    if (!strcmp(mode, "attrs")) {
        sigset_t m;
        sigprocmask(SIG_SETMASK, NULL, &m);
        struct sigaction sa;
        sigaction(SIGUSR2, NULL, &sa);
        printf("  child: pgid == pid: %s, SIGUSR1 blocked: %s, SIGUSR2 default: %s\n",
               getpgrp() == getpid() ? "yes" : "no", sigismember(&m, SIGUSR1) ? "yes" : "no",
               sa.sa_handler == SIG_DFL ? "yes" : "no");
        return 0;
    }
    if (!strcmp(mode, "fds")) {
        /* fd 1 is a file; fd 5 was dup2'd from it; fd 4 closed */
        printf("to the file via stdout\n");
        fflush(stdout);
        if (write(5, "via fd 5\n", 9) != 9)
            return 2;
        return fcntl(4, F_GETFD) == -1 && errno == EBADF ? 0 : 3;
    }
    return 99;
}

static void test_posix_spawn(void)
{
    pid_t pid;
    char *argv[] = { (char *)self, "args", "one", "two words", NULL };
    char *envp[] = { "SPAWN_VAR=hello", NULL };
    fflush(stdout);
    int r = posix_spawn(&pid, self, NULL, NULL, argv, envp);
    int st = 0;
    waitpid(pid, &st, 0);
    check("posix_spawn returns 0", r == 0);
    check("posix_spawn child exit status 4 (its argc)", WIFEXITED(st) && WEXITSTATUS(st) == 4);

    /* missing program: the error comes back from posix_spawn */
    fflush(stdout);
    r = posix_spawn(&pid, "/no/such/prog", NULL, NULL, argv, envp);
    printf("posix_spawn(missing): %s\n", r == 0 ? "0" : strerror(r));
    if (r == 0)
        waitpid(pid, &st, 0);
    check("posix_spawn of a missing program returns ENOENT", r == ENOENT);
    r = posix_spawn(&pid, "/tmp", NULL, NULL, argv, envp);
    if (r == 0)
        waitpid(pid, &st, 0);
    check("posix_spawn of a directory returns EACCES", r == EACCES);

    /* posix_spawnp with PATH */
    char *argvp[] = { "prog", "args", "p", NULL };
    char *envpp[] = { "PATH=/nonexistent:/", "SPAWN_VAR=path", NULL };
    char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent:/", 1);
    fflush(stdout);
    r = posix_spawnp(&pid, "prog", NULL, NULL, argvp, envpp);
    waitpid(pid, &st, 0);
    check("posix_spawnp finds prog in PATH", r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 3);
    r = posix_spawnp(&pid, "no-such-prog", NULL, NULL, argvp, envpp);
    if (r == 0)
        waitpid(pid, &st, 0);
    check("posix_spawnp of a missing program returns ENOENT", r == ENOENT);
    if (saved)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");

    /* file actions */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/tmp/spawn-out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 5);
    int extra = open("/", O_RDONLY);
    if (extra != 4) {
        dup2(extra, 4);
        close(extra);
    }
    posix_spawn_file_actions_addclose(&fa, 4);
    char *argvf[] = { (char *)self, "fds", NULL };
    fflush(stdout);
    r = posix_spawn(&pid, self, &fa, NULL, argvf, environ);
    waitpid(pid, &st, 0);
    posix_spawn_file_actions_destroy(&fa);
    close(4);
    check("posix_spawn with file actions: child ok", r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *content = read_file("/tmp/spawn-out");
    printf("  the file: %s", content);
    check("stdout opened onto a file, dup2'd to fd 5", !strcmp(content, "to the file via stdout\nvia fd 5\n"));

    /* a file action that fails: the error comes back */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 3, "/no/such/dir/file", O_RDONLY, 0);
    fflush(stdout);
    r = posix_spawn(&pid, self, &fa, NULL, argvf, environ);
    if (r == 0)
        waitpid(pid, &st, 0);
    posix_spawn_file_actions_destroy(&fa);
    printf("posix_spawn with a failing open action: %s\n", r == 0 ? "0" : strerror(r));
    check("a failing file action is reported (ENOENT) or exits 127",
          r == ENOENT || (r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127));

    /* attributes */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    posix_spawnattr_setsigmask(&at, &m);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGUSR2);
    posix_spawnattr_setsigdefault(&at, &def);
    signal(SIGUSR2, SIG_IGN);
    char *argva[] = { (char *)self, "attrs", NULL };
    fflush(stdout);
    r = posix_spawn(&pid, self, NULL, &at, argva, environ);
    pid_t pg = getpgid(pid);
    waitpid(pid, &st, 0);
    posix_spawnattr_destroy(&at);
    signal(SIGUSR2, SIG_DFL);
    check("posix_spawn with SETPGROUP/SETSIGMASK/SETSIGDEF", r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    check("the child's process group is its pid (seen by the parent)", pg == pid || pg == -1);
}

static void test_popen(void)
{
    fflush(stdout);
    FILE *f = popen("echo hello; echo world | tr a-z A-Z; exit 3", "r");
    if (!f) {
        check("popen r", 0);
        return;
    }
    char line[128], all[256] = "";
    while (fgets(line, sizeof line, f))
        strncat(all, line, sizeof all - strlen(all) - 1);
    int st = pclose(f);
    printf("popen r read: %s", all);
    check("popen r: the output", !strcmp(all, "hello\nWORLD\n"));
    printf("pclose: %s\n", result(st));
    check("pclose returns exit status 3", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3);

    fflush(stdout);
    f = popen("cat > /tmp/popen-w; echo done >> /tmp/popen-w", "w");
    if (!f) {
        check("popen w", 0);
        return;
    }
    fprintf(f, "line one\nline two\n");
    st = pclose(f);
    char *content = read_file("/tmp/popen-w");
    printf("popen w wrote: %s", content);
    check("popen w: data reached cat", !strcmp(content, "line one\nline two\ndone\n"));
    check("pclose (w) returns 0", st == 0);

    fflush(stdout);
    f = popen("no-such-command-xyz", "r");
    while (f && fgets(line, sizeof line, f)) {
    }
    st = f ? pclose(f) : -1;
    printf("popen of a missing command: pclose %s\n", result(st));
    check("missing command: status 127", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127);

    /* two at once */
    fflush(stdout);
    FILE *a = popen("echo first", "r"), *b = popen("echo second", "r");
    char la[64] = "", lb[64] = "";
    if (a && b && fgets(lb, sizeof lb, b) && fgets(la, sizeof la, a)) {
    }
    int sa = a ? pclose(a) : -1, sb = b ? pclose(b) : -1;
    check("two popen streams at once", !strcmp(la, "first\n") && !strcmp(lb, "second\n") && sa == 0 && sb == 0);
}

static void test_system(void)
{
    check("system(NULL): a shell is available", system(NULL) != 0);
    static const int codes[] = { 0, 1, 42, 255 };
    for (int i = 0; i < 4; i++) {
        char cmd[32], what[64];
        snprintf(cmd, sizeof cmd, "exit %d", codes[i]);
        fflush(stdout);
        int st = system(cmd);
        snprintf(what, sizeof what, "system(\"%s\"): %s", cmd, result(st));
        check(what, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == codes[i]);
    }
    fflush(stdout);
    int st = system("kill -TERM $$");
    printf("system(\"kill -TERM $$\"): %s\n", result(st));
    check("system: the shell killed by SIGTERM", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    fflush(stdout);
    st = system("echo from system; echo piped | cat; printf '%s\\n' a b c | wc -l");
    check("system: output and a pipeline", st == 0);
    fflush(stdout);
    st = system("cat <<EOF\nhere-doc line\n$((6*7))\nEOF");
    check("system: here-document with arithmetic", st == 0);
    fflush(stdout);
    st = system("false || echo or-branch; true && echo and-branch; (exit 9); echo status $?");
    check("system: && || and a subshell status", st == 0);
    /* system() blocks SIGCHLD and ignores SIGINT/SIGQUIT while it waits */
    static volatile int chld;
    signal(SIGCHLD, SIG_DFL);
    (void)chld;
    fflush(stdout);
    st = system("sleep 0.05");
    check("system(\"sleep 0.05\")", st == 0);
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 2)
        return child(argc, argv);
    mkdir("/tmp", 01777);
    test_posix_spawn();
    test_popen();
    test_system();
    unlink("/tmp/spawn-out");
    unlink("/tmp/popen-w");
    return finish();
}
