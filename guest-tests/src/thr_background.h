/* Threads the thr_*.c guest tests keep busy in the background while the
 * test does something to the process: each counts itself in `ready`,
 * then blocks in a futex (cond_blocker), in read() on background_pipe
 * (read_blocker; the program makes the pipe), in sleep (sleeper), or
 * spins in guest code (spinner), until stop_background(), which a test
 * that execs or exits never calls. A read or sleep that returns before
 * that says so, after background_label. Also what those tests ask of the
 * process: how many tasks /proc/self/task lists, and the program's own
 * path. Included after the program's includes. */
#ifndef THR_BACKGROUND_H
#define THR_BACKGROUND_H

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int ready;
static volatile int stop;
static volatile unsigned long spins;
static pthread_mutex_t background_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t background_cond = PTHREAD_COND_INITIALIZER;
__attribute__((unused)) static int background_pipe[2];
__attribute__((unused)) static const char *background_label = "";
__attribute__((unused)) static char self_path[4096];

/* A background thread is where it blocks, or about to be. */
static void arrived(void)
{
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
}

/* Until n threads have arrived. */
__attribute__((unused)) static void wait_arrivals(int n)
{
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < n)
        usleep(1000);
}

/* Blocks in pthread_cond_wait (a futex) until stop. */
__attribute__((unused)) static void *cond_blocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&background_mutex);
    arrived();
    while (!stop)
        pthread_cond_wait(&background_cond, &background_mutex);
    pthread_mutex_unlock(&background_mutex);
    return NULL;
}

/* Spins in guest code, no syscalls, counting spins, until stop. */
__attribute__((unused)) static void *spinner(void *arg)
{
    (void)arg;
    arrived();
    while (!stop)
        spins++;
    return NULL;
}

/* Blocks in read() on background_pipe until stop (and a byte). */
__attribute__((unused)) static void *read_blocker(void *arg)
{
    (void)arg;
    char c;
    arrived();
    read(background_pipe[0], &c, 1);
    if (!stop)
        printf("%sread returned\n", background_label);
    return NULL;
}

/* Blocks in sleep(100). */
__attribute__((unused)) static void *sleeper(void *arg)
{
    (void)arg;
    arrived();
    sleep(100);
    if (!stop)
        printf("%ssleep returned\n", background_label);
    return NULL;
}

/* Lets the cond_blockers and spinners return. */
__attribute__((unused)) static void stop_background(void)
{
    stop = 1;
    pthread_mutex_lock(&background_mutex);
    pthread_cond_broadcast(&background_cond);
    pthread_mutex_unlock(&background_mutex);
}

/* The entries of /proc/self/task (-1 if it cannot be read). */
__attribute__((unused)) static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Fills self_path from /proc/self/exe; 0, or -1 if the link cannot be
 * read. */
__attribute__((unused)) static int find_self_path(void)
{
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0)
        return -1;
    self_path[n] = 0;
    return 0;
}

#endif
