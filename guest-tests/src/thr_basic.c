/*
 * thr_basic: pthreads basics.
 *
 *   create/join 1000 threads (10 batches of 100), each returning a value
 *   checked at join; a mutex-protected counter (8 threads x 1,000,000);
 *   condition-variable ping-pong (100,000 round trips); barriers (8
 *   threads, 20 rounds); rwlocks (readers check an invariant writers
 *   keep); POSIX semaphores (bounded buffer, 2 producers, 2 consumers,
 *   checksum); __thread variables per thread (initialisers, distinct
 *   values and addresses, errno per thread); /proc/self/task count.
 *
 * Prints one line per check; exit 0 when everything holds, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thr_background.h"
#include "thr_check.h"

static void must(int rc, const char *what)
{
    if (rc != 0) {
        printf("%s failed: %s\n", what, strerror(rc));
        exit(1);
    }
}

/* ---- create/join ---- */

static void *ret_arg(void *arg)
{
    uintptr_t n = (uintptr_t)arg;
    return (void *)(n * 3 + 1);
}

static void test_create_join(void)
{
    /* glibc's default stack is RLIMIT_STACK (8 MiB), which is real arena
     * memory on a no-MMU machine: 100 of them need 800 MiB. Ask for
     * 256 KiB stacks here; the default size is used by the tests below. */
    pthread_attr_t sa;
    pthread_attr_init(&sa);
    pthread_attr_setstacksize(&sa, 256 * 1024);
    int bad = 0, joined = 0;
    for (int batch = 0; batch < 10; batch++) {
        pthread_t t[100];
        for (int i = 0; i < 100; i++)
            must(pthread_create(&t[i], &sa, ret_arg, (void *)(uintptr_t)(batch * 100 + i)), "pthread_create");
        for (int i = 0; i < 100; i++) {
            void *r;
            must(pthread_join(t[i], &r), "pthread_join");
            if ((uintptr_t)r != (uintptr_t)(batch * 100 + i) * 3 + 1)
                bad++;
            joined++;
        }
    }
    pthread_attr_destroy(&sa);
    printf("joined %d threads\n", joined);
    check("1000 threads return their values", bad == 0 && joined == 1000);

    /* Detached threads, and pthread_self/gettid distinct. */
    pthread_t d;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    must(pthread_create(&d, &a, ret_arg, NULL), "detached create");
    pthread_attr_destroy(&a);
}

/* ---- mutex counter ---- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000000; i++) {
        pthread_mutex_lock(&count_lock);
        counter++;
        pthread_mutex_unlock(&count_lock);
    }
    return NULL;
}

static void test_mutex_counter(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        must(pthread_create(&t[i], NULL, count_up, NULL), "pthread_create");
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("counter = %ld\n", counter);
    check("mutex counter exact", counter == 8000000);
}

/* ---- condvar ping-pong ---- */

#define ROUNDS 100000
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn; /* 0: ping's turn, 1: pong's */
static long pp_pings, pp_pongs;

static void *pong(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&pp_lock);
        while (pp_turn != 1)
            pthread_cond_wait(&pp_cond, &pp_lock);
        pp_pongs++;
        pp_turn = 0;
        pthread_cond_signal(&pp_cond);
        pthread_mutex_unlock(&pp_lock);
    }
    return NULL;
}

static void test_ping_pong(void)
{
    pthread_t t;
    must(pthread_create(&t, NULL, pong, NULL), "pthread_create");
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&pp_lock);
        while (pp_turn != 0)
            pthread_cond_wait(&pp_cond, &pp_lock);
        pp_pings++;
        pp_turn = 1;
        pthread_cond_signal(&pp_cond);
        pthread_mutex_unlock(&pp_lock);
    }
    pthread_join(t, NULL);
    printf("round trips: %ld pings, %ld pongs\n", pp_pings, pp_pongs);
    check("condvar ping-pong", pp_pings == ROUNDS && pp_pongs == ROUNDS);
}

/* ---- barriers ---- */

#define BTHREADS 8
#define BROUNDS 20
static pthread_barrier_t barrier;
static int barrier_arrivals[BROUNDS];
static int barrier_bad, serial_count;

static void *barrier_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < BROUNDS; r++) {
        __atomic_add_fetch(&barrier_arrivals[r], 1, __ATOMIC_SEQ_CST);
        int rc = pthread_barrier_wait(&barrier);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_add_fetch(&serial_count, 1, __ATOMIC_SEQ_CST);
        else if (rc != 0)
            __atomic_add_fetch(&barrier_bad, 1, __ATOMIC_SEQ_CST);
        /* Everybody of this round has arrived before anybody leaves. */
        if (__atomic_load_n(&barrier_arrivals[r], __ATOMIC_SEQ_CST) != BTHREADS)
            __atomic_add_fetch(&barrier_bad, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_t t[BTHREADS];
    must(pthread_barrier_init(&barrier, NULL, BTHREADS), "barrier_init");
    for (int i = 0; i < BTHREADS; i++)
        must(pthread_create(&t[i], NULL, barrier_worker, NULL), "pthread_create");
    for (int i = 0; i < BTHREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    printf("barrier: %d rounds, %d serial threads\n", BROUNDS, serial_count);
    check("barrier rounds", barrier_bad == 0 && serial_count == BROUNDS);
}

/* ---- rwlocks ---- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long rw_a, rw_b;
static int rw_readers_inside, rw_writers_inside;
static int rw_bad;
static long rw_reads;

static void *rw_reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_rwlock_rdlock(&rw);
        __atomic_add_fetch(&rw_readers_inside, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&rw_writers_inside, __ATOMIC_SEQ_CST) != 0 || rw_a != rw_b)
            __atomic_add_fetch(&rw_bad, 1, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&rw_reads, 1, __ATOMIC_SEQ_CST);
        __atomic_sub_fetch(&rw_readers_inside, 1, __ATOMIC_SEQ_CST);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *rw_writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5000; i++) {
        pthread_rwlock_wrlock(&rw);
        if (__atomic_add_fetch(&rw_writers_inside, 1, __ATOMIC_SEQ_CST) != 1 ||
            __atomic_load_n(&rw_readers_inside, __ATOMIC_SEQ_CST) != 0)
            __atomic_add_fetch(&rw_bad, 1, __ATOMIC_SEQ_CST);
        rw_a++;
        for (volatile int k = 0; k < 20; k++)
            ;
        rw_b++;
        __atomic_sub_fetch(&rw_writers_inside, 1, __ATOMIC_SEQ_CST);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void test_rwlock(void)
{
    pthread_t r[4], w[2];
    for (int i = 0; i < 4; i++)
        must(pthread_create(&r[i], NULL, rw_reader, NULL), "pthread_create");
    for (int i = 0; i < 2; i++)
        must(pthread_create(&w[i], NULL, rw_writer, NULL), "pthread_create");
    for (int i = 0; i < 4; i++)
        pthread_join(r[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    printf("rwlock: a=%ld b=%ld reads=%ld\n", rw_a, rw_b, rw_reads);
    check("rwlock invariants", rw_bad == 0 && rw_a == 10000 && rw_b == 10000 && rw_reads == 80000);

    /* trylock semantics */
    pthread_rwlock_rdlock(&rw);
    int t1 = pthread_rwlock_tryrdlock(&rw);
    int t2 = pthread_rwlock_trywrlock(&rw);
    if (t1 == 0)
        pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    check("tryrdlock under rdlock succeeds, trywrlock is EBUSY", t1 == 0 && t2 == EBUSY);
}

/* ---- semaphores: bounded buffer ---- */

#define BUF 8
#define ITEMS 50000
static int buffer[BUF];
static int head, tail;
static sem_t empty_slots, full_slots;
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
    int base = (int)(uintptr_t)arg;
    for (int i = 1; i <= ITEMS; i++) {
        while (sem_wait(&empty_slots) != 0)
            ;
        pthread_mutex_lock(&buf_lock);
        buffer[head] = base + i;
        head = (head + 1) % BUF;
        pthread_mutex_unlock(&buf_lock);
        sem_post(&full_slots);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    long sum = 0, n = 0;
    for (;;) {
        while (sem_wait(&full_slots) != 0)
            ;
        pthread_mutex_lock(&buf_lock);
        int v = buffer[tail];
        tail = (tail + 1) % BUF;
        pthread_mutex_unlock(&buf_lock);
        sem_post(&empty_slots);
        if (v < 0)
            break;
        sum += v;
        n++;
    }
    pthread_mutex_lock(&buf_lock);
    consumed_sum += sum;
    consumed_count += n;
    pthread_mutex_unlock(&buf_lock);
    return NULL;
}

static void test_semaphores(void)
{
    sem_init(&empty_slots, 0, BUF);
    sem_init(&full_slots, 0, 0);
    pthread_t p[2], c[2];
    for (int i = 0; i < 2; i++)
        must(pthread_create(&c[i], NULL, consumer, NULL), "pthread_create");
    for (int i = 0; i < 2; i++)
        must(pthread_create(&p[i], NULL, producer, (void *)(uintptr_t)(i * 1000000)), "pthread_create");
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    /* One poison pill per consumer. */
    for (int i = 0; i < 2; i++) {
        sem_wait(&empty_slots);
        pthread_mutex_lock(&buf_lock);
        buffer[head] = -1;
        head = (head + 1) % BUF;
        pthread_mutex_unlock(&buf_lock);
        sem_post(&full_slots);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    long expect = 2L * ITEMS * (ITEMS + 1) / 2 + 1000000L * ITEMS;
    printf("semaphores: %ld items, sum %ld\n", consumed_count, consumed_sum);
    check("bounded buffer checksum", consumed_count == 2 * ITEMS && consumed_sum == expect);
    int v = -1;
    sem_getvalue(&empty_slots, &v);
    check("sem_trywait on an empty semaphore is EAGAIN", sem_trywait(&full_slots) == -1 && errno == EAGAIN);
    check("all slots free at the end", v == BUF);
    sem_destroy(&empty_slots);
    sem_destroy(&full_slots);
}

/* ---- thread-local storage ---- */

static __thread int tls_int = 1234;
static __thread char tls_str[16] = "initial";
static __thread long tls_zero;
#define TLS_THREADS 8
static void *tls_addr[TLS_THREADS + 1];
static void *errno_addr[TLS_THREADS + 1];
static int tls_bad;
static pthread_barrier_t tls_barrier;

static void *tls_worker(void *arg)
{
    int i = (int)(uintptr_t)arg;
    if (tls_int != 1234 || strcmp(tls_str, "initial") != 0 || tls_zero != 0)
        __atomic_add_fetch(&tls_bad, 1, __ATOMIC_SEQ_CST);
    tls_int = i * 7;
    snprintf(tls_str, sizeof tls_str, "thread %d", i);
    tls_zero = i;
    tls_addr[i] = &tls_int;
    errno = 100 + i;
    errno_addr[i] = &errno;
    /* All threads hold their values at the same time. */
    pthread_barrier_wait(&tls_barrier);
    char want[16];
    snprintf(want, sizeof want, "thread %d", i);
    if (tls_int != i * 7 || strcmp(tls_str, want) != 0 || tls_zero != i || errno != 100 + i)
        __atomic_add_fetch(&tls_bad, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_tls(void)
{
    pthread_t t[TLS_THREADS];
    pthread_barrier_init(&tls_barrier, NULL, TLS_THREADS);
    for (int i = 1; i <= TLS_THREADS; i++)
        must(pthread_create(&t[i - 1], NULL, tls_worker, (void *)(uintptr_t)i), "pthread_create");
    for (int i = 0; i < TLS_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&tls_barrier);
    tls_addr[0] = &tls_int;
    errno_addr[0] = &errno;
    int distinct = 1;
    for (int i = 0; i <= TLS_THREADS; i++)
        for (int j = i + 1; j <= TLS_THREADS; j++)
            if (tls_addr[i] == tls_addr[j] || errno_addr[i] == errno_addr[j])
                distinct = 0;
    check("__thread initial values and per-thread values", tls_bad == 0);
    check("main thread's __thread values untouched", tls_int == 1234 && strcmp(tls_str, "initial") == 0);
    check("&tls and &errno distinct per thread", distinct);
}

/* ---- ids and /proc/self/task ---- */

static pid_t worker_tid;
static pid_t worker_pid;
static pthread_barrier_t id_barrier;

static void *id_worker(void *arg)
{
    (void)arg;
    worker_tid = syscall(SYS_gettid);
    worker_pid = getpid();
    pthread_barrier_wait(&id_barrier); /* main looks at /proc now */
    pthread_barrier_wait(&id_barrier);
    return NULL;
}

static void test_ids(void)
{
    pthread_t t[3];
    pthread_barrier_init(&id_barrier, NULL, 4);
    for (int i = 0; i < 3; i++)
        must(pthread_create(&t[i], NULL, id_worker, NULL), "pthread_create");
    pthread_barrier_wait(&id_barrier);
    int n = count_tasks();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)worker_tid);
    int worker_dir = access(path, F_OK) == 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)getpid(), (int)getpid());
    int main_dir = access(path, F_OK) == 0;
    pthread_barrier_wait(&id_barrier);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&id_barrier);
    check("main thread: gettid() == getpid()", syscall(SYS_gettid) == getpid());
    check("other thread: gettid() != getpid(), same getpid()", worker_tid != worker_pid && worker_pid == getpid());
    printf("/proc/self/task entries with 4 threads: %d\n", n);
    check("/proc/self/task/<tid> exists", worker_dir);
    check("/proc/<pid>/task/<pid>/stat exists", main_dir);
    /* A joined thread may linger a moment after clearing its tid word. */
    int left = count_tasks();
    for (int i = 0; i < 1000 && left != 1; i++) {
        usleep(1000);
        left = count_tasks();
    }
    check("/proc/self/task has 1 entry after joins", left == 1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_create_join();
    test_mutex_counter();
    test_ping_pong();
    test_barrier();
    test_rwlock();
    test_semaphores();
    test_tls();
    test_ids();
    return finish();
}
