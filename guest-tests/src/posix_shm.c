/*
 * posix_shm: POSIX shared memory and named semaphores, which live in
 * /dev/shm: shm_open + ftruncate + mmap(MAP_SHARED) seen by a vfork+exec'd
 * child, O_EXCL (EEXIST), shm_unlink then ENOENT, sem_open with an initial
 * value, sem_post in a child and sem_wait in the parent, sem_trywait
 * (EAGAIN), sem_getvalue, sem_close and sem_unlink (ENOENT after), and
 * the files showing up in /dev/shm while they exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_check.h"

static char shm_name[64], sem_name[64];

static int child(const char *mode)
{
    if (strcmp(mode, "shm") == 0) {
        int fd = shm_open(shm_name, O_RDWR, 0);
        if (fd < 0)
            return 1;
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            return 2;
        strcpy(p + 100, "written by the child");
        return 0;
    }
    sem_t *s = sem_open(sem_name, 0);
    if (s == SEM_FAILED)
        return 3;
    return sem_post(s) == 0 ? 0 : 4;
}

int main(int argc, char **argv)
{
    self = argv[0];
    /* Names from the parent's pid: the child gets them as an argument. */
    const char *tag = argc > 2 ? argv[2] : NULL;
    char pidtag[32];
    if (!tag) {
        snprintf(pidtag, sizeof pidtag, "%d", getpid());
        tag = pidtag;
    }
    snprintf(shm_name, sizeof shm_name, "/posix_shm.%s", tag);
    snprintf(sem_name, sizeof sem_name, "/posix_sem.%s", tag);
    if (argc > 2)
        return child(argv[1]);

    int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    check("shm_open O_CREAT|O_EXCL", fd >= 0);
    check("shm_open again O_EXCL: EEXIST", shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600) < 0 && errno == EEXIST);
    check("ftruncate", ftruncate(fd, 4096) == 0);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", shm_name);
    struct stat st;
    check("the object is a file in /dev/shm", stat(path, &st) == 0 && st.st_size == 4096);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check("mmap MAP_SHARED", p != MAP_FAILED);
    strcpy(p, "written by the parent");
    pid_t pid = vfork_self(NULL, "shm", tag, NULL, NULL);
    int status;
    waitpid(pid, &status, 0);
    check("child mapped the same object", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check("parent sees the child's write", strcmp(p + 100, "written by the child") == 0);
    char buf[32] = { 0 };
    check("read() sees it too", pread(fd, buf, 20, 100) == 20 && memcmp(buf, "written by the child", 20) == 0);
    munmap(p, 4096);
    close(fd);
    check("shm_unlink", shm_unlink(shm_name) == 0);
    check("shm_open after unlink: ENOENT", shm_open(shm_name, O_RDWR, 0) < 0 && errno == ENOENT);

    sem_t *s = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 1);
    check("sem_open", s != SEM_FAILED);
    int v = -1;
    check("sem_getvalue 1", sem_getvalue(s, &v) == 0 && v == 1);
    check("sem_trywait", sem_trywait(s) == 0);
    check("sem_trywait empty: EAGAIN", sem_trywait(s) < 0 && errno == EAGAIN);
    pid = vfork_self(NULL, "sem", tag, NULL, NULL);
    check("sem_wait for the child's post", sem_wait(s) == 0);
    waitpid(pid, &status, 0);
    check("child posted", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check("sem_close", sem_close(s) == 0);
    check("sem_unlink", sem_unlink(sem_name) == 0);
    check("sem_unlink again: ENOENT", sem_unlink(sem_name) < 0 && errno == ENOENT);
    return finish();
}
