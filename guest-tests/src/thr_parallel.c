/*
 * thr_parallel: two CPU-bound threads run at the same time.
 *
 *   Two threads each do a fixed amount of pure computation (no system
 *   calls). With two CPUs the wall time is about half the process CPU
 *   time. Prints "parallel: yes" when cpu/wall >= 1.5, else "parallel:
 *   no"; the measured numbers go to stderr. Also checks that the
 *   threads' own CPU clocks (CLOCK_THREAD_CPUTIME_ID) add up to no more
 *   than the process's.
 *
 *   usage: thr_parallel [ITERATIONS-IN-MILLIONS]   (default 300)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long iters;
static double thread_cpu[2];
static volatile uint64_t sink[2];
static pthread_barrier_t go;

static double secs(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_barrier_wait(&go);
    double t0 = secs(CLOCK_THREAD_CPUTIME_ID);
    uint64_t x = (uint64_t)me + 1;
    for (long i = 0; i < iters; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink[me] = x;
    thread_cpu[me] = secs(CLOCK_THREAD_CPUTIME_ID) - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    iters = (argc > 1 ? atol(argv[1]) : 300) * 1000000L;
    pthread_barrier_init(&go, NULL, 3);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, work, (void *)(intptr_t)i);
    double w0 = secs(CLOCK_MONOTONIC), c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_wait(&go);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    double wall = secs(CLOCK_MONOTONIC) - w0, cpu = secs(CLOCK_PROCESS_CPUTIME_ID) - c0;
    double ratio = cpu / wall;
    fprintf(stderr, "thr_parallel: wall %.3f s, process cpu %.3f s, thread cpu %.3f + %.3f s, cpu/wall %.2f\n", wall,
            cpu, thread_cpu[0], thread_cpu[1], ratio);
    printf("parallel: %s\n", ratio >= 1.5 ? "yes" : "no");
    /* Each thread's clock counts its own work only: together no more than
     * the process's (nommu's process clock is the whole machine's). */
    printf("thread CPU clocks: %s\n",
           thread_cpu[0] > 0 && thread_cpu[1] > 0 && thread_cpu[0] + thread_cpu[1] <= cpu * 1.05 + 0.01 ? "yes" : "no");
    return 0;
}
