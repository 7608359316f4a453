/* Cost of signal delivery, microseconds per signal.
 * Usage: signals MODE [iterations]; MODE:
 *   self     kill(getpid()) with a handler: send, frame, handler, sigreturn
 *   thread   pthread_kill ping-pong between two threads (SIGUSR2 there,
 *            SIGUSR1 back), each waiting in sigsuspend: the time printed
 *            is one round trip, two signals between threads
 *   itimer   setitimer(ITIMER_REAL) one-shot of 1 us, then sigsuspend
 *            until SIGALRM: the timer's latency plus delivery
 *   storm    a 20 us ITIMER_REAL interval while another thread sends
 *            SIGUSR1 to the main thread as fast as it can; the main thread
 *            computes, and the time per signal handled is printed
 * (CPython's test_signal stress tests do the same things in Python.) */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static volatile sig_atomic_t hits, alarms, usr1s, usr2s, stop;
static void on_sig(int sig) {
    hits++;
    if (sig == SIGALRM) alarms++;
    if (sig == SIGUSR1) usr1s++;
    if (sig == SIGUSR2) usr2s++;
}

static pthread_t main_thread, peer;
static sigset_t waitmask; /* the mask at start, without SIGUSR1, SIGUSR2, SIGALRM */

/* The peer gets SIGUSR2 and answers with SIGUSR1. */
static void *pong(void *arg) {
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        while (usr2s <= i) sigsuspend(&waitmask);
        pthread_kill(main_thread, SIGUSR1);
    }
    return 0;
}

static void *sender(void *arg) {
    (void)arg;
    while (!stop) pthread_kill(main_thread, SIGUSR1);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "self";
    long n = argc > 2 ? atol(argv[2]) : 10000;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigaction(SIGUSR1, &sa, 0);
    sigaction(SIGUSR2, &sa, 0);
    sigaction(SIGALRM, &sa, 0);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_SETMASK, 0, &waitmask);
    sigdelset(&waitmask, SIGUSR1);
    sigdelset(&waitmask, SIGUSR2);
    sigdelset(&waitmask, SIGALRM);
    main_thread = pthread_self();
    double t0 = now_us(), per = 0;
    if (!strcmp(mode, "self")) {
        for (long i = 0; i < n; i++) kill(getpid(), SIGUSR1);
        per = (now_us() - t0) / n;
    } else if (!strcmp(mode, "thread")) {
        /* Both threads block the signals outside sigsuspend, so none is lost. */
        pthread_sigmask(SIG_BLOCK, &block, 0);
        pthread_create(&peer, 0, pong, (void *)n);
        t0 = now_us();
        for (long i = 0; i < n; i++) {
            pthread_kill(peer, SIGUSR2);
            while (usr1s <= i) sigsuspend(&waitmask);
        }
        per = (now_us() - t0) / n;
        pthread_join(peer, 0);
    } else if (!strcmp(mode, "itimer")) {
        pthread_sigmask(SIG_BLOCK, &block, 0);
        struct itimerval it = {{0, 0}, {0, 1}};
        for (long i = 0; i < n; i++) {
            long seen = alarms;
            setitimer(ITIMER_REAL, &it, 0);
            while (alarms == seen) sigsuspend(&waitmask);
        }
        per = (now_us() - t0) / n;
    } else if (!strcmp(mode, "storm")) {
        struct itimerval it = {{0, 20}, {0, 20}};
        setitimer(ITIMER_REAL, &it, 0);
        pthread_create(&peer, 0, sender, 0);
        volatile double x = 1;
        while (hits < n) x = x * 1.0000001 + 1e-9;
        stop = 1;
        pthread_join(peer, 0);
        it.it_value.tv_usec = it.it_interval.tv_usec = 0;
        setitimer(ITIMER_REAL, &it, 0);
        per = (now_us() - t0) / n;
        if (alarms == 0 || usr1s == 0) {
            printf("storm: %ld alarms, %ld usr1\n", (long)alarms, (long)usr1s);
            return 1;
        }
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    printf("%.2f us/signal (%s)\n", per, mode);
    return 0;
}
