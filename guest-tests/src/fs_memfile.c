/* Files in the working directory (a tmpfs under nommu in tests/mounts.rs,
 * a host directory natively): MAP_SHARED mappings in two processes see
 * each other's writes and write(2)'s; a MAP_PRIVATE read-only mapping sees
 * the file's bytes; rename, link, unlink while open, ftruncate, getdents. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs_check.h"

extern char **environ;

/* The child: maps the file MAP_SHARED, checks the parent's bytes, writes
 * its own. */
static int child(void)
{
    int fd = open("shared", O_RDWR);
    if (fd < 0)
        return 10;
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 11;
    if (strcmp(p, "from parent") != 0)
        return 12;
    strcpy(p + 100, "from child");
    munmap(p, 4096);
    close(fd);
    return 0;
}

static void sharing(const char *self)
{
    int fd = FD(open("shared", O_RDWR | O_CREAT | O_TRUNC, 0644));
    OK(ftruncate(fd, 4096));
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap MAP_SHARED", p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    strcpy(p, "from parent");
    pid_t pid;
    char *argv[] = { (char *)self, "child", NULL };
    T(posix_spawn(&pid, self, NULL, NULL, argv, environ), 0, 0);
    int status = -1;
    T(waitpid(pid, &status, 0) == pid, 1, 0);
    T(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + status, 0, 0);
    check("the child's write is in the parent's mapping", strcmp(p + 100, "from child") == 0);
    /* write(2) reaches the mapping; the mapping reaches read(2). */
    T(pwrite(fd, "written", 7, 200), 7, 0);
    check("pwrite is seen in the mapping", memcmp(p + 200, "written", 7) == 0);
    memcpy(p + 300, "mapped", 6);
    char buf[8] = { 0 };
    T(pread(fd, buf, 6, 300), 6, 0);
    check("a store in the mapping is seen by pread", strcmp(buf, "mapped") == 0);
    /* MAP_PRIVATE read-only: the file's bytes. */
    int ro = FD(open("shared", O_RDONLY));
    char *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
    check("mmap MAP_PRIVATE PROT_READ", q != MAP_FAILED);
    if (q != MAP_FAILED) {
        check("it shows the file", strcmp(q, "from parent") == 0 && strcmp(q + 100, "from child") == 0);
        munmap(q, 4096);
    }
    OK(msync(p, 4096, MS_SYNC));
    OK(munmap(p, 4096));
    struct stat st;
    OK(fstat(fd, &st));
    T(st.st_size, 4096, 0);
    close(ro);
    close(fd);
}

static int names(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char *list[16];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < 16)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            list[k++] = strdup(e->d_name);
    closedir(d);
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (strcmp(list[i], list[j]) > 0) {
                char *t = list[i];
                list[i] = list[j];
                list[j] = t;
            }
    out[0] = 0;
    for (int i = 0; i < k; i++) {
        strncat(out, list[i], n - strlen(out) - 2);
        strcat(out, " ");
        free(list[i]);
    }
    return k;
}

static void tree(void)
{
    char buf[256];
    OK(mkdir("d", 0755));
    int fd = FD(open("d/a", O_RDWR | O_CREAT | O_EXCL, 0600));
    T(write(fd, "hello world", 11), 11, 0);
    OK(rename("d/a", "d/b"));
    ERR(access("d/a", F_OK), ENOENT);
    OK(link("d/b", "d/c"));
    struct stat st;
    OK(stat("d/c", &st));
    T(st.st_nlink, 2, 0);
    T(st.st_size, 11, 0);
    OK(symlink("b", "d/s"));
    T(readlink("d/s", buf, sizeof buf), 1, 0);
    T(names("d", buf, sizeof buf), 3, 0);
    printf("d: %s\n", buf);
    /* Unlinked while open: still readable and writable through fd. */
    OK(unlink("d/b"));
    OK(unlink("d/c"));
    OK(fstat(fd, &st));
    T(st.st_nlink, 0, 0);
    T(pread(fd, buf, 5, 6), 5, 0);
    check("the unlinked file keeps its bytes", memcmp(buf, "world", 5) == 0);
    OK(ftruncate(fd, 3));
    OK(fstat(fd, &st));
    T(st.st_size, 3, 0);
    OK(ftruncate(fd, 10000));
    T(pread(fd, buf, 4, 5000), 4, 0);
    check("ftruncate grows with zeros", memcmp(buf, "\0\0\0\0", 4) == 0);
    close(fd);
    ERR(rmdir("d"), ENOTEMPTY);
    OK(unlink("d/s"));
    OK(rename("d", "e"));
    OK(rmdir("e"));
    T(names(".", buf, sizeof buf), 1, 0);
    printf(".: %s\n", buf);
    OK(mkfifo("fifo", 0600));
    OK(stat("fifo", &st));
    T(S_ISFIFO(st.st_mode), 1, 0);
    OK(unlink("fifo"));
    OK(unlink("shared"));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(022);
    sharing(argv[0]);
    tree();
    return finish("fs_memfile");
}
