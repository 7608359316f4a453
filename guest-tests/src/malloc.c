/*
 * malloc: the allocator on top of brk/mmap/mremap/munmap.
 *
 * 1. many small blocks: allocate, fill with a per-block pattern, verify,
 *    free half, allocate again, verify all, free all;
 * 2. large blocks (1, 16, 64 MiB): fill, verify, free;
 * 3. realloc growing one block from 1 KiB to 32 MiB, doubling, checking that
 *    the old contents survive every move;
 * 4. calloc returns zeroed memory, also after the same memory was dirtied.
 * Each step prints a checksum of the data it verified (deterministic).
 * Exit 0 when all checks pass, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void fail(const char *what)
{
    printf("FAIL: %s\n", what);
    failures++;
}

static unsigned char pat(uint32_t seed, size_t i)
{
    uint32_t x = seed * 2654435761u + (uint32_t)i * 40503u;
    return (unsigned char)(x ^ (x >> 13) ^ (x >> 24));
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pat(seed, i);
}

/* Verify the pattern and fold it into a checksum (FNV-1a, 64 bit). */
static int verify(const unsigned char *p, size_t n, uint32_t seed, uint64_t *sum)
{
    uint64_t h = *sum;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pat(seed, i))
            return 0;
        h = (h ^ p[i]) * 1099511628211ull;
    }
    *sum = h;
    return 1;
}

#define NSMALL 20000

static void small_blocks(void)
{
    static unsigned char *blk[NSMALL];
    static size_t len[NSMALL];
    uint64_t sum = 14695981039346656037ull;

    for (int i = 0; i < NSMALL; i++) {
        len[i] = 1 + (size_t)(i * 37 % 500);
        blk[i] = malloc(len[i]);
        if (!blk[i]) { fail("small malloc"); return; }
        if ((uintptr_t)blk[i] % 16) fail("small malloc alignment");
        fill(blk[i], len[i], i);
    }
    for (int i = 0; i < NSMALL; i++)
        if (!verify(blk[i], len[i], i, &sum)) { fail("small verify 1"); return; }
    for (int i = 0; i < NSMALL; i += 2) {
        free(blk[i]);
        len[i] = 1 + (size_t)(i * 53 % 1000);
        blk[i] = NULL;
    }
    for (int i = 0; i < NSMALL; i += 2) {
        blk[i] = malloc(len[i]);
        if (!blk[i]) { fail("small malloc 2"); return; }
        fill(blk[i], len[i], i + NSMALL);
    }
    for (int i = 0; i < NSMALL; i++)
        if (!verify(blk[i], len[i], i % 2 ? i : i + NSMALL, &sum)) { fail("small verify 2"); return; }
    for (int i = 0; i < NSMALL; i++)
        free(blk[i]);
    printf("small blocks (%d): checksum %016llx\n", NSMALL, (unsigned long long)sum);
}

static void large_block(size_t mib)
{
    size_t n = mib << 20;
    uint64_t sum = 14695981039346656037ull;
    unsigned char *p = malloc(n);
    if (!p) { fail("large malloc"); return; }
    fill(p, n, (uint32_t)mib);
    if (!verify(p, n, (uint32_t)mib, &sum)) fail("large verify");
    free(p);
    printf("large block %zu MiB: checksum %016llx\n", mib, (unsigned long long)sum);
}

static void realloc_grow(void)
{
    size_t n = 1024;
    unsigned char *p = malloc(n);
    uint64_t sum = 14695981039346656037ull;
    if (!p) { fail("realloc initial malloc"); return; }
    fill(p, n, 7);
    while (n < (32u << 20)) {
        size_t m = 2 * n;
        unsigned char *q = realloc(p, m);
        if (!q) { fail("realloc"); free(p); return; }
        p = q;
        uint64_t dummy = 0;
        if (!verify(p, n, 7, &dummy)) { fail("realloc kept contents"); free(p); return; }
        fill(p + n, m - n, 0);          /* dirty the new part ... */
        fill(p, m, 7);                   /* ... then the whole block again */
        n = m;
    }
    if (!verify(p, n, 7, &sum)) fail("realloc final verify");
    free(p);
    printf("realloc 1 KiB -> %zu MiB: checksum %016llx\n", n >> 20, (unsigned long long)sum);
}

static void calloc_zero(void)
{
    static const size_t sizes[] = { 1, 100, 4096, 100000, 1 << 20, 8 << 20 };
    unsigned long nonzero = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        /* Dirty memory of this size first so calloc may reuse it. */
        unsigned char *d = malloc(sizes[k]);
        if (!d) { fail("calloc pre-malloc"); return; }
        memset(d, 0xAB, sizes[k]);
        __asm__ volatile("" : : "r"(d) : "memory"); /* keep the memset */
        free(d);
        unsigned char *p = calloc(sizes[k], 1);
        if (!p) { fail("calloc"); return; }
        for (size_t i = 0; i < sizes[k]; i++)
            nonzero += p[i] != 0;
        free(p);
    }
    unsigned int *arr = calloc(1000, sizeof *arr);
    if (!arr) { fail("calloc array"); return; }
    for (int i = 0; i < 1000; i++)
        nonzero += arr[i] != 0;
    free(arr);
    if (nonzero) fail("calloc not zeroed");
    printf("calloc: nonzero bytes %lu\n", nonzero);
}

int main(void)
{
    small_blocks();
    large_block(1);
    large_block(16);
    large_block(64);
    realloc_grow();
    calloc_zero();
    printf("%s\n", failures ? "malloc FAILED" : "malloc ok");
    return failures ? 1 : 0;
}
