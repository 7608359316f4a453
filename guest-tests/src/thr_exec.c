/*
 * thr_exec: execve while other threads run.
 *
 *   usage: thr_exec [from-thread|from-main]
 *          thr_exec child OLDPID FD     (what the exec runs)
 *
 *   Threads spin in guest code, block in pthread_cond_wait (a futex), in
 *   read() on a pipe, and in nanosleep; then a non-main thread (or main)
 *   re-executes this binary. The new image must run as the same process:
 *   same pid, a single thread whose tid is the pid (Linux's de_thread
 *   makes the execing thread the leader), the pipe descriptor (no
 *   O_CLOEXEC) still open and still holding what was written before, and
 *   exit 0. The old image must print nothing after the exec.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thr_background.h"

static int pipefd[2];
static const char *mode = "from-thread";

static void do_exec(void)
{
    wait_arrivals(4);
    usleep(100000);
    char pidbuf[16], fdbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
    snprintf(fdbuf, sizeof fdbuf, "%d", pipefd[0]);
    printf("%s: execve\n", mode);
    fflush(stdout);
    char *argv[] = { self_path, "child", pidbuf, fdbuf, NULL };
    execv(self_path, argv);
    perror("execv");
    exit(2);
}

static void *exec_thread(void *arg)
{
    (void)arg;
    do_exec();
    return NULL;
}

static int child(int argc, char **argv)
{
    if (argc < 4)
        return 3;
    int oldpid = atoi(argv[2]), fd = atoi(argv[3]);
    printf("new image runs\n");
    printf("same pid: %s\n", getpid() == oldpid ? "yes" : "no");
    printf("gettid() == getpid(): %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
    printf("threads in /proc/self/task: %d\n", count_tasks());
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)getpid());
    printf("/proc/self/task/<pid> exists: %s\n", access(path, F_OK) == 0 ? "yes" : "no");
    printf("tgkill(pid, pid, 0) == 0: %s\n", syscall(SYS_tgkill, getpid(), getpid(), 0) == 0 ? "yes" : "no");
    char buf[16] = "";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("inherited pipe still holds \"%s\"\n", n > 0 ? buf : "");
    /* Threads work in the new image too. */
    pthread_t t;
    int ok = pthread_create(&t, NULL, (void *(*)(void *))(void *)count_tasks, NULL) == 0 &&
             pthread_join(t, NULL) == 0;
    printf("a thread in the new image: %s\n", ok ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child(argc, argv);
    if (argc > 1)
        mode = argv[1];
    if (find_self_path() != 0)
        return 4;
    if (pipe(pipefd) != 0)
        return 1;
    write(pipefd[1], "kept", 4);
    if (pipe(background_pipe) != 0)
        return 1;
    background_label = "old image: ";
    void *(*fns[])(void *) = { spinner, cond_blocker, read_blocker, sleeper };
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, fns[i], NULL) != 0)
            return 1;
    }
    if (strcmp(mode, "from-main") == 0) {
        do_exec();
    } else {
        pthread_t t;
        pthread_create(&t, NULL, exec_thread, NULL);
        pthread_join(t, NULL);
        printf("old image: join returned\n");
    }
    return 5;
}
