/*
 * fs_sigpipe: writing to a pipe whose read end is closed, with SIGPIPE at
 * its default action and unblocked, kills the process with SIGPIPE (a
 * shell reports status 141). Prints one line before the write; the line
 * after it must never appear.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 2;
    }
    signal(SIGPIPE, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    close(p[0]);
    printf("writing to a pipe with no reader\n");
    fflush(stdout);
    ssize_t r = write(p[1], "x", 1);
    printf("FAIL: still alive after write = %zd\n", r);
    return 1;
}
