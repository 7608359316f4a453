/* Host signals sent to the process that runs this program (natively: the
 * program itself; under `nommu run`: nommu, which routes them to the guest).
 * tests/hostsignals.rs starts it, reads "ready", sends a signal and compares
 * what happens with a native run.
 *
 *   hostsig spin          spins; SIGINT's default action ends it
 *   hostsig term          SIGTERM handler: prints, exits 3; spins
 *   hostsig read          blocks in read(0) (stdin stays open); SIGHUP
 *   hostsig thread-exit   four threads come and go, then the main thread
 *                         exits and another one spins
 *   hostsig cont          SIGCONT handler: prints, exits 0; spins (the test
 *                         stops it with SIGTSTP first)
 *   hostsig early         SIGTERM handler as `term`, installed first thing:
 *                         the test signals it before "ready"
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sig_helpers.h"

static volatile unsigned long spins;

static void say(const char *s) {
    if (write(1, s, strlen(s)) < 0)
        _exit(99);
}

static void spin(void) {
    for (;;)
        spins++;
}

static void on_term(int sig) {
    (void)sig;
    say("handler: SIGTERM\n");
    _exit(3);
}

static void on_cont(int sig) {
    (void)sig;
    say("handler: SIGCONT\n");
    _exit(0);
}

static pthread_t main_thread;

static void *nothing(void *arg) {
    usleep(10000);
    return arg;
}

static void *spinner(void *arg) {
    (void)arg;
    /* Wait for the main thread to be gone (it has called pthread_exit),
     * then a little more: the signal then finds no task on it. */
    pthread_join(main_thread, NULL);
    usleep(50000);
    say("ready\n");
    spin();
    return NULL;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "spin";
    if (!strcmp(mode, "spin")) {
        say("ready\n");
        spin();
    }
    /* "early" is the same program; only the test's timing differs. */
    if (!strcmp(mode, "term") || !strcmp(mode, "early")) {
        if (handle(SIGTERM, on_term, 0) != 0)
            return 98;
        say("ready\n");
        spin();
    }
    if (!strcmp(mode, "read")) {
        char c;
        say("ready\n");
        ssize_t n = read(0, &c, 1);
        printf("read returned %zd\n", n);
        return 4;
    }
    if (!strcmp(mode, "thread-exit")) {
        pthread_t t, done[4];
        /* Threads that end first: under nommu their host threads wait
         * idle for another task, and a signal the host gives one of them
         * goes on to a thread with a task. */
        for (int i = 0; i < 4; i++)
            if (pthread_create(&done[i], NULL, nothing, NULL) != 0)
                return 97;
        for (int i = 0; i < 4; i++)
            pthread_join(done[i], NULL);
        main_thread = pthread_self();
        if (pthread_create(&t, NULL, spinner, NULL) != 0)
            return 97;
        pthread_exit(NULL);
    }
    if (!strcmp(mode, "cont")) {
        if (handle(SIGCONT, on_cont, 0) != 0)
            return 98;
        say("ready\n");
        spin();
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
