/*
 * thr_joinexit: the exit status survives a thread that is still on its
 * way out.
 *
 *   usage: thr_joinexit [N]   (default 1 thread)
 *
 *   Main starts N threads that return at once, joins them and returns 3
 *   straight away. pthread_join returns as soon as the kernel clears the
 *   thread's tid word, which is before the thread is entirely gone; the
 *   process's exit_group(3) must still be the status, whichever task
 *   leaves last. (Run it many times: it is a race.)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    if (n < 1 || n > 64)
        n = 1;
    pthread_t t[64];
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, nothing, NULL) != 0)
            return 1;
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("joined, exiting with 3\n");
    return 3;
}
