/*
 * thr_stress: many mutex/condvar hand-offs for a while; a lost wake-up
 * hangs (the watchdog then says so and exits 3), a lost or doubled
 * hand-off breaks a checksum.
 *
 *   usage: thr_stress [SECONDS]   (default 2)
 *
 *   ring: 6 threads pass a token around; each waits on its own condvar
 *         (pthread_cond_signal), every 7th hop also through a shared one
 *         (pthread_cond_broadcast) and some waits are timed (1 ms), so
 *         timeouts race wake-ups. The token carries a running checksum
 *         that each hop updates; it is recomputed from the hop count.
 *   queue: 3 producers and 3 consumers through a bounded queue (not-full
 *         and not-empty condvars); every item is consumed exactly once
 *         (count, sum and sum of squares agree).
 *
 * Prints only relations; exit 0 when everything holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static volatile unsigned long progress;

/* ---- ring ---- */

#define RING 6
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv[RING];
static pthread_cond_t ring_shared = PTHREAD_COND_INITIALIZER;
static int token_at;                 /* who holds the token */
static unsigned long hops;           /* hand-offs made */
static uint64_t ring_sum;            /* checksum carried by the token */
static int ring_done;

static uint64_t mix(uint64_t s, unsigned long hop, int who)
{
    return s * 6364136223846793005ULL + hop * 2654435761ULL + (uint64_t)who;
}

static void *ring_thread(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_mutex_lock(&ring_lock);
    for (;;) {
        while (token_at != me && !ring_done) {
            if ((me + hops) % 5 == 0) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&ring_cv[me], &ring_lock, &ts);
            } else if (hops % 7 == 0) {
                pthread_cond_wait(&ring_shared, &ring_lock);
            } else {
                pthread_cond_wait(&ring_cv[me], &ring_lock);
            }
        }
        if (ring_done)
            break;
        ring_sum = mix(ring_sum, hops, me);
        hops++;
        progress++;
        if (stop) {
            ring_done = 1;
            pthread_cond_broadcast(&ring_shared);
            for (int i = 0; i < RING; i++)
                pthread_cond_signal(&ring_cv[i]);
            break;
        }
        token_at = (me + 1) % RING;
        /* Wake the next one both ways: it may wait on either. */
        pthread_cond_signal(&ring_cv[token_at]);
        pthread_cond_broadcast(&ring_shared);
    }
    pthread_mutex_unlock(&ring_lock);
    return NULL;
}

/* ---- queue ---- */

#define QCAP 16
#define PRODUCERS 3
#define CONSUMERS 3
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static uint64_t q[QCAP];
static int q_head, q_len;
static int producers_left = PRODUCERS;
static uint64_t produced_n[PRODUCERS], produced_sum[PRODUCERS], produced_sq[PRODUCERS];
static uint64_t consumed_n[CONSUMERS], consumed_sum[CONSUMERS], consumed_sq[CONSUMERS];

static void *producer(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t v = (uint64_t)me * 1000000007ULL;
    while (!stop) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QCAP)
            pthread_cond_wait(&q_not_full, &q_lock);
        v = v * 2862933555777941757ULL + 3037000493ULL;
        uint64_t item = v >> 40;
        q[(q_head + q_len) % QCAP] = item;
        q_len++;
        produced_n[me]++;
        produced_sum[me] += item;
        produced_sq[me] += item * item;
        progress++;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    pthread_mutex_lock(&q_lock);
    producers_left--;
    pthread_cond_broadcast(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

static void *consumer(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_mutex_lock(&q_lock);
    for (;;) {
        while (q_len == 0 && producers_left > 0)
            pthread_cond_wait(&q_not_empty, &q_lock);
        if (q_len == 0)
            break;
        uint64_t item = q[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        consumed_n[me]++;
        consumed_sum[me] += item;
        consumed_sq[me] += item * item;
        pthread_cond_signal(&q_not_full);
        /* let others in now and then */
        if (consumed_n[me] % 64 == 0) {
            pthread_mutex_unlock(&q_lock);
            pthread_mutex_lock(&q_lock);
        }
    }
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

/* ---- watchdog ---- */

static void *watchdog(void *arg)
{
    (void)arg;
    unsigned long last = (unsigned long)-1;
    int still = 0;
    for (;;) {
        sleep(1);
        unsigned long now = progress;
        if (now == last) {
            if (++still >= 5) {
                printf("STUCK: no progress for 5 s (hops %lu)\n", hops);
                fflush(stdout);
                _exit(3);
            }
        } else {
            still = 0;
        }
        last = now;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    pthread_t wd;
    pthread_create(&wd, NULL, watchdog, NULL);
    pthread_detach(wd);

    for (int i = 0; i < RING; i++)
        pthread_cond_init(&ring_cv[i], NULL);
    pthread_t r[RING], p[PRODUCERS], c[CONSUMERS];
    for (int i = 0; i < RING; i++)
        pthread_create(&r[i], NULL, ring_thread, (void *)(intptr_t)i);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_create(&c[i], NULL, consumer, (void *)(intptr_t)i);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_create(&p[i], NULL, producer, (void *)(intptr_t)i);

    usleep((useconds_t)(seconds * 1e6));
    stop = 1;
    for (int i = 0; i < RING; i++)
        pthread_join(r[i], NULL);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);

    /* Recompute the ring checksum from the hop count. */
    uint64_t want = 0;
    for (unsigned long h = 0; h < hops; h++)
        want = mix(want, h, (int)(h % RING));
    int ring_ok = want == ring_sum && hops > 0;
    printf("ring: %s hand-offs, checksum %s\n", hops > 1000 ? "over 1000" : "FEW", ring_ok ? "matches" : "WRONG");

    uint64_t pn = 0, ps = 0, pq = 0, cn = 0, cs = 0, cq = 0;
    for (int i = 0; i < PRODUCERS; i++)
        pn += produced_n[i], ps += produced_sum[i], pq += produced_sq[i];
    for (int i = 0; i < CONSUMERS; i++)
        cn += consumed_n[i], cs += consumed_sum[i], cq += consumed_sq[i];
    int q_ok = pn == cn && ps == cs && pq == cq && q_len == 0;
    printf("queue: %s items, every one consumed once: %s\n", pn > 1000 ? "over 1000" : "FEW", q_ok ? "yes" : "NO");
    fprintf(stderr, "thr_stress: %lu ring hand-offs, %llu queue items in %.1f s\n", hops, (unsigned long long)pn,
            seconds);
    int ok = ring_ok && q_ok && hops > 1000 && pn > 1000;
    printf(ok ? "all ok\n" : "FAILED\n");
    return !ok;
}
