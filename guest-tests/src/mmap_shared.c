/* Writable MAP_SHARED file mappings (issue 10): writes reach the file, other
 * processes mapping it see them, write(2) to the file shows in the mapping;
 * msync and the errors. Runs in a fresh working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    failures += !ok;
}

static int child(void) {
    int fd = open("shared.dat", O_RDWR);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    memcpy(p + 100, "child was here", 14);
    return munmap(p, 8192) != 0;
}

int main(int argc, char **argv) {
    if (argc > 1)
        return child();
    int fd = open("shared.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char block[8192];
    memset(block, 'a', sizeof block);
    check("write the file", write(fd, block, sizeof block) == sizeof block);

    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap MAP_SHARED read-write", p != MAP_FAILED);
    check("the mapping shows the file", p[0] == 'a' && p[8191] == 'a');
    memcpy(p, "hello", 5);
    memcpy(p + 5000, "world", 5);
    check("msync(MS_SYNC)", msync(p, 8192, MS_SYNC) == 0);
    char buf[8];
    check("pread sees the first write", pread(fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0);
    check("pread sees the second write", pread(fd, buf, 5, 5000) == 5 && memcmp(buf, "world", 5) == 0);

    check("pwrite to the file", pwrite(fd, "PWRITE", 6, 200) == 6);
    check("the mapping shows the pwrite", memcmp(p + 200, "PWRITE", 6) == 0);

    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    check("a child process mapped and wrote it", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check("our mapping shows the child's write", memcmp(p + 100, "child was here", 14) == 0);

    errno = 0;
    check("msync(MS_ASYNC|MS_SYNC) is EINVAL", msync(p, 8192, MS_ASYNC | MS_SYNC) == -1 && errno == EINVAL);
    errno = 0;
    check("msync of an unaligned address is EINVAL", msync(p + 1, 10, MS_SYNC) == -1 && errno == EINVAL);
    check("munmap", munmap(p, 8192) == 0);

    /* After munmap the data stays in the file. */
    check("the file keeps the writes", pread(fd, buf, 5, 5000) == 5 && memcmp(buf, "world", 5) == 0);

    /* A writable shared mapping of a read-only descriptor: EACCES. */
    int ro = open("shared.dat", O_RDONLY);
    errno = 0;
    void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    check("MAP_SHARED|PROT_WRITE on an O_RDONLY fd is EACCES", q == MAP_FAILED && errno == EACCES);
    close(ro);

    /* Mapping again after munmap (the arena pages were given back). */
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    check("mmap at an offset", p != MAP_FAILED && memcmp(p + 5000 - 4096, "world", 5) == 0);
    munmap(p, 4096);
    close(fd);
    unlink("shared.dat");

    /* The file shrinks under a shared mapping: a path in the cut-off page
     * cannot be read by the kernel (natively EFAULT), and the machine lives. */
    int fd2 = open("shrink.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("write another file", write(fd2, block, sizeof block) == sizeof block);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
    check("map it shared", m != MAP_FAILED);
    memcpy(m + 4096, "/etc/passwd", 12);
    check("ftruncate it to 100 bytes", ftruncate(fd2, 100) == 0);
    check("open() of a path in the lost page fails", open(m + 4096, O_RDONLY) == -1);
    munmap(m, 8192);
    close(fd2);
    unlink("shrink.dat");

    /* A MAP_FIXED mapping over part of a shared file mapping replaces it:
     * the new pages are zero, and the file is not written (anonymous, and
     * PROT_NONE, the way a reservation is made). */
    int fd3 = open("over.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("write a third file", write(fd3, block, sizeof block) == sizeof block &&
                                    write(fd3, block, 4096) == 4096);
    char *s = mmap(NULL, 12288, PROT_READ | PROT_WRITE, MAP_SHARED, fd3, 0);
    check("map it shared", s != MAP_FAILED);
    s[0] = 'X';
    s[8192] = 'Y';
    char *a = mmap(s, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED anonymous over it", a == s && a[0] == 0 && a[100] == 0);
    a[1] = 'Z';
    char *n = mmap(s + 8192, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED PROT_NONE over it", n == s + 8192);
    check("mprotect it back", mprotect(n, 4096, PROT_READ | PROT_WRITE) == 0 && n[0] == 0);
    n[1] = 'W';
    char head[3] = {0}, tail[3] = {0};
    check("the file kept its bytes",
          pread(fd3, head, 2, 0) == 2 && pread(fd3, tail, 2, 8192) == 2 && head[0] == 'X' &&
              head[1] == 'a' && tail[0] == 'Y' && tail[1] == 'a');
    munmap(s, 12288);
    close(fd3);
    unlink("over.dat");
    printf("mmap_shared: %s\n", failures ? "FAILED" : "all ok");
    return failures != 0;
}
