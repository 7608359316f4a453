/* 50 threads alive at once, each allocating with malloc: glibc gives
 * threads their own arenas, each a 64 MiB PROT_NONE reservation of which
 * only what is used becomes accessible (musl has none). Under nommu with
 * the default --mem that must cost what it costs natively. Each thread
 * allocates 200 blocks of 1 to 4 KiB, fills them, checks them, frees
 * half, allocates again; then all are checked together. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 50
#define BLOCKS 200

static pthread_barrier_t all_alive;

struct work {
    int id;
    char *blocks[BLOCKS];
    size_t sizes[BLOCKS];
    long sum;
};

static size_t size_of(int id, int i)
{
    return 1024 + (size_t)((id * 131 + i * 17) % 3072);
}

static void *thread(void *arg)
{
    struct work *w = arg;
    for (int i = 0; i < BLOCKS; i++) {
        w->sizes[i] = size_of(w->id, i);
        w->blocks[i] = malloc(w->sizes[i]);
        if (!w->blocks[i])
            return "malloc failed";
        memset(w->blocks[i], (w->id + i) & 0x7f, w->sizes[i]);
    }
    pthread_barrier_wait(&all_alive);
    for (int i = 0; i < BLOCKS; i += 2) {
        free(w->blocks[i]);
        w->sizes[i] = size_of(w->id, i + 1000);
        w->blocks[i] = malloc(w->sizes[i]);
        if (!w->blocks[i])
            return "malloc failed";
        memset(w->blocks[i], (w->id + i) & 0x7f, w->sizes[i]);
    }
    pthread_barrier_wait(&all_alive);
    for (int i = 0; i < BLOCKS; i++) {
        for (size_t j = 0; j < w->sizes[i]; j++)
            if (w->blocks[i][j] != (char)((w->id + i) & 0x7f))
                return "block changed";
        w->sum += (long)w->sizes[i];
        free(w->blocks[i]);
    }
    return NULL;
}

int main(void)
{
    static struct work work[THREADS];
    pthread_t t[THREADS];
    pthread_barrier_init(&all_alive, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        work[i].id = i;
        int e = pthread_create(&t[i], NULL, thread, &work[i]);
        if (e) {
            printf("pthread_create %d: %s\n", i, strerror(e));
            return 1;
        }
    }
    long total = 0;
    int failed = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        if (r) {
            printf("thread %d: %s\n", i, (char *)r);
            failed = 1;
        }
        total += work[i].sum;
    }
    printf("%d threads, %ld bytes allocated and checked at the end\n", THREADS, total);
    return failed;
}
