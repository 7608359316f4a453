/* Reservations: address space taken with PROT_NONE costs no memory until
 * made accessible, as with an MMU.
 *
 *   mm_reserve            (differential) 8 x 1 GiB PROT_NONE|MAP_NORESERVE
 *                         and 4 x 1 GiB PROT_NONE reserved at once; 1 MiB of
 *                         each made read-write, written and read back; its
 *                         neighbours still fault; PROT_NONE and back keeps
 *                         the contents, MADV_DONTNEED zeroes them; a
 *                         reservation grown and moved by mremap keeps its
 *                         committed part; mprotect past a mapping is ENOMEM;
 *                         munmap of a part and of the whole.
 *   mm_reserve limit MIB  (nommu only, run with --mem MIB) committing more
 *                         than MIB in a reservation is ENOMEM (mprotect,
 *                         mmap, mremap), and nothing changes; /proc/meminfo
 *                         says MemTotal = MIB and counts what is committed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define PAGE 4096UL

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    failures += !ok;
}

static sigjmp_buf jump;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(jump, 1);
}

static int faults(volatile char *p)
{
    if (sigsetjmp(jump, 1) == 0) {
        (void)*p;
        return 0;
    }
    return 1;
}

static void fill(char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i += 512)
        p[i] = (char)(seed + i / 512);
}

static int filled(const char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i += 512)
        if (p[i] != (char)(seed + i / 512))
            return 0;
    return 1;
}

static int zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 512)
        if (p[i])
            return 0;
    return 1;
}

#define N_NORESERVE 8
#define N_PLAIN 4
#define N (N_NORESERVE + N_PLAIN)

static int reserve(void)
{
    char *r[N];
    char what[96];
    for (int i = 0; i < N; i++) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (i < N_NORESERVE ? MAP_NORESERVE : 0);
        r[i] = mmap(NULL, GIB, PROT_NONE, flags, -1, 0);
        if (r[i] == MAP_FAILED) {
            printf("reserve %d: %s\n", i, errno == ENOMEM ? "ENOMEM" : strerror(errno));
            return 1;
        }
    }
    check("12 GiB reserved", 1);
    for (int i = 0; i < N; i++) {
        /* 1 MiB somewhere inside each, a different place each time. */
        char *c = r[i] + (size_t)i * 64 * MIB;
        snprintf(what, sizeof what, "reservation %d: 1 MiB made read-write", i);
        check(what, mprotect(c, MIB, PROT_READ | PROT_WRITE) == 0);
        fill(c, MIB, i);
    }
    for (int i = 0; i < N; i++) {
        char *c = r[i] + (size_t)i * 64 * MIB;
        snprintf(what, sizeof what, "reservation %d: pattern read back, neighbours fault", i);
        check(what, filled(c, MIB, i) && faults(c + MIB) && (i == 0 || faults(c - 1)) && faults(r[i] + GIB - 1));
    }
    char *c = r[3] + 3 * 64 * MIB;
    check("write(2) from a reserved page: EFAULT", write(1, c + MIB, 1) == -1 && errno == EFAULT);
    check("PROT_NONE and back keeps the contents",
          mprotect(c, MIB, PROT_NONE) == 0 && faults(c) && mprotect(c, MIB, PROT_READ | PROT_WRITE) == 0 &&
              filled(c, MIB, 3));
    check("MADV_DONTNEED zeroes", madvise(c, MIB, MADV_DONTNEED) == 0 && zero(c, MIB));
    fill(c, MIB, 3);

    /* A reservation with a hole after it: mprotect across it is ENOMEM. */
    char *h = mmap(NULL, 64 * MIB + PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    check("a 64 MiB reservation", h != MAP_FAILED);
    check("munmap of its last page", munmap(h + 64 * MIB, PAGE) == 0);
    errno = 0;
    check("mprotect past its end: ENOMEM",
          mprotect(h, 64 * MIB + PAGE, PROT_NONE) == -1 && errno == ENOMEM);
    /* Linux changes the protection up to the hole before saying so. */
    char *two = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("three pages, the last unmapped", two != MAP_FAILED && munmap(two + 2 * PAGE, PAGE) == 0);
    errno = 0;
    check("PROT_NONE over them and the hole: ENOMEM, the pages before it changed",
          mprotect(two, 3 * PAGE, PROT_NONE) == -1 && errno == ENOMEM && faults(two) && faults(two + PAGE));
    munmap(two, 2 * PAGE);
    check("mprotect up to its end", mprotect(h + 64 * MIB - MIB, MIB, PROT_READ | PROT_WRITE) == 0);
    fill(h + 63 * MIB, MIB, 77);

    /* mremap: one mapping at a time (the reservation and its committed
     * end are two); a reservation grows and moves as such, a committed
     * part keeps its contents. */
    errno = 0;
    check("mremap across two mappings: EFAULT",
          mremap(h, 64 * MIB, 256 * MIB, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
    char *g = mremap(h, 63 * MIB, 256 * MIB, MREMAP_MAYMOVE);
    check("mremap of the reserved part to 256 MiB", g != MAP_FAILED);
    if (g != MAP_FAILED) {
        check("still reserved at its start", faults(g));
        check("still reserved at 63 MiB", faults(g + 63 * MIB));
        check("still reserved at its end", faults(g + 255 * MIB));
        check("munmap of the grown reservation", munmap(g, 256 * MIB) == 0);
    }
    g = mremap(h + 63 * MIB, MIB, 16 * MIB, MREMAP_MAYMOVE);
    check("mremap of the committed part to 16 MiB", g != MAP_FAILED);
    if (g != MAP_FAILED) {
        check("its contents came along, the rest is zero", filled(g, MIB, 77) && zero(g + MIB, 15 * MIB));
        check("munmap of it", munmap(g, 16 * MIB) == 0);
    }

    /* munmap of a part (the committed MiB) and then of the rest. */
    c = r[5] + 5 * 64 * MIB;
    check("munmap of a committed part", munmap(c, MIB) == 0);
    check("mprotect of it now: ENOMEM", mprotect(c, MIB, PROT_READ) == -1 && errno == ENOMEM);
    for (int i = 0; i < N; i++) {
        snprintf(what, sizeof what, "reservation %d: still there, then unmapped", i);
        char *ci = r[i] + (size_t)i * 64 * MIB;
        check(what, (i == 5 || filled(ci, MIB, i)) && munmap(r[i], GIB) == 0);
    }
    /* And all of it again: nothing was lost. */
    for (int i = 0; i < N; i++) {
        r[i] = mmap(NULL, GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r[i] == MAP_FAILED || mprotect(r[i], MIB, PROT_READ | PROT_WRITE) != 0 || !zero(r[i], MIB)) {
            check("reserved again", 0);
            return 1;
        }
    }
    for (int i = 0; i < N; i++)
        munmap(r[i], GIB);
    check("reserved, committed and unmapped again", 1);
    return failures != 0;
}

/* The kB value of `key` in /proc/meminfo, or -1. */
static long meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int limit(unsigned long mib)
{
    unsigned long mem = mib * MIB;
    check("MemTotal is --mem", meminfo("MemTotal") == (long)(mem >> 10));
    char *r = mmap(NULL, 4 * GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    check("4 GiB reserved beyond --mem", r != MAP_FAILED);
    if (r == MAP_FAILED)
        return 1;
    long before = meminfo("Committed_AS");
    check("half of --mem committed", mprotect(r, mem / 2, PROT_READ | PROT_WRITE) == 0);
    fill(r, mem / 2, 9);
    long after = meminfo("Committed_AS");
    check("Committed_AS grew by that", after - before == (long)(mem / 2 >> 10));
    errno = 0;
    check("committing all of --mem more: ENOMEM",
          mprotect(r + GIB, mem, PROT_READ | PROT_WRITE) == -1 && errno == ENOMEM);
    check("and nothing changed", faults(r + GIB) && meminfo("Committed_AS") == after && filled(r, mem / 2, 9));
    errno = 0;
    check("mmap of --mem read-write: ENOMEM",
          mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
              errno == ENOMEM);
    char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = 0;
    check("mremap growing a mapping by --mem: ENOMEM",
          s != MAP_FAILED && mremap(s, PAGE, mem, MREMAP_MAYMOVE) == MAP_FAILED && errno == ENOMEM);
    /* `s`, one page, is still there. */
    check("uncommitted (PROT_NONE)",
          mprotect(r, mem / 2, PROT_NONE) == 0 && meminfo("Committed_AS") == before + (long)(PAGE >> 10));
    check("committed elsewhere instead", mprotect(r + 2 * GIB, mem / 2, PROT_READ | PROT_WRITE) == 0);
    check("the first half back: ENOMEM, then fine once the other goes",
          mprotect(r, mem / 2, PROT_READ | PROT_WRITE) == -1 && errno == ENOMEM &&
              munmap(r + 2 * GIB, mem / 2) == 0 && mprotect(r, mem / 2, PROT_READ | PROT_WRITE) == 0 &&
              filled(r, mem / 2, 9));
    check("munmap of it all", munmap(r, 4 * GIB) == 0 && meminfo("Committed_AS") == before + (long)(PAGE >> 10));
    return failures != 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "limit"))
        return limit(strtoul(argv[2], NULL, 10));
    return reserve();
}
