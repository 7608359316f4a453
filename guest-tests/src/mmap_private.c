/* MAP_PRIVATE file mappings (data, not code): what they show and what
 * writes reach. The file's bytes, zeros past its end in the last page; a
 * write to the mapping stays the mapping's; a write to the file shows in
 * the pages the mapping has not written (as an MMU kernel maps them); a
 * MAP_FIXED mapping over part of one, MADV_DONTNEED of a written page,
 * mprotect round trips; and memory mapped after munmap is zero, not the
 * file's. Runs in a fresh working directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    failures += !ok;
}

static int all(const char *p, size_t n, char c) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

int main(void) {
    const long pg = sysconf(_SC_PAGESIZE);
    const size_t flen = 3 * pg + 100; /* three pages and a bit */
    char buf[4 * 4096];
    int fd = open("private.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (size_t i = 0; i < flen; i++)
        buf[i] = (char)('a' + i / pg);
    check("write the file", write(fd, buf, flen) == (ssize_t)flen);

    char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check("mmap MAP_PRIVATE read-write", p != MAP_FAILED);
    check("the mapping shows the file", memcmp(p, buf, flen) == 0);
    check("zeros after the end in the last page", all(p + flen, 4 * pg - flen, 0));

    memset(p, 'X', 10);
    char got[10];
    check("a write to the mapping stays there", pread(fd, got, 10, 0) == 10 && all(got, 10, 'a'));
    check("pwrite to the file's second page", pwrite(fd, "NEW", 3, pg) == 3);
    check("the unwritten page shows it", memcmp(p + pg, "NEW", 3) == 0);
    check("pwrite to the first page", pwrite(fd, "old", 3, 20) == 3);
    check("the written page keeps the mapping's bytes", p[20] == 'a' && p[0] == 'X');

    check("MADV_DONTNEED of the written page", madvise(p, pg, MADV_DONTNEED) == 0);
    check("it is the file's again", p[0] == 'a' && memcmp(p + 20, "old", 3) == 0);

    char *f = mmap(p + 2 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED anonymous over the third page", f == p + 2 * pg && all(f, pg, 0));
    f[0] = 'Y';
    check("the file's third page is as it was", pread(fd, got, 1, 2 * pg) == 1 && got[0] == 'c');
    check("the pages beside it are the mapping's", p[pg + 10] == 'b' && p[3 * pg] == 'd');

    check("mprotect PROT_READ", mprotect(p, 4 * pg, PROT_READ) == 0 && p[pg + 10] == 'b');
    check("mprotect back", mprotect(p, 4 * pg, PROT_READ | PROT_WRITE) == 0);
    p[pg + 10] = 'Z';
    check("the file never saw the mapping's writes",
          pread(fd, got, 1, pg + 10) == 1 && got[0] == 'b' && pread(fd, got, 1, 2 * pg) == 1 && got[0] == 'c');

    /* A read-only private mapping made writable. */
    char *r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
    check("mmap PROT_READ at an offset", r != MAP_FAILED && memcmp(r, "NEW", 3) == 0);
    check("mprotect it writable", mprotect(r, pg, PROT_READ | PROT_WRITE) == 0);
    r[0] = 'Q';
    check("its write stays there", pread(fd, got, 1, pg) == 1 && got[0] == 'N' && p[pg] == 'N');
    munmap(r, pg);

    /* Memory mapped after the file's mapping is gone is zero. */
    check("munmap", munmap(p, 4 * pg) == 0);
    int zero = 1;
    for (int i = 0; i < 8; i++) {
        char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        zero &= a != MAP_FAILED && all(a, 4 * pg, 0);
        memset(a, 1, 4 * pg);
        munmap(a, 4 * pg);
    }
    check("anonymous memory after it is zero", zero);

    close(fd);
    unlink("private.dat");
    printf("mmap_private: %s\n", failures ? "FAILED" : "all ok");
    return failures != 0;
}
