/* Calls that wait on a file, and the ones that must not. Runs in a fresh
 * working directory.
 * - open() of a FIFO waits for the other end; a signal (handler without
 *   SA_RESTART) ends the wait with EINTR;
 *   O_NONBLOCK opens never wait (ENXIO for a writer without a reader);
 * - flock(LOCK_EX) and fcntl(F_OFD_SETLKW) wait for a lock another open
 *   file description holds, until a signal ends the wait (EINTR);
 *   LOCK_NB and F_OFD_SETLK answer EWOULDBLOCK/EAGAIN at once;
 * - sendfile into a full pipe waits for room until a signal (EINTR);
 * - truncate() of a FIFO is EINVAL, of a directory EISDIR, and exec of a
 *   FIFO is EACCES: neither waits for the FIFO's other end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static volatile int alarms;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    failures += !ok;
}

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* SIGALRM in 50 ms, once. */
static void alarm_soon(void)
{
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);

    check("mkfifo", mkfifo("fifo", 0600) == 0);
    errno = 0;
    check("open(O_WRONLY|O_NONBLOCK) without a reader: ENXIO",
          open("fifo", O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);
    int rd = open("fifo", O_RDONLY | O_NONBLOCK);
    check("open(O_RDONLY|O_NONBLOCK) does not wait", rd >= 0);
    close(rd);

    alarm_soon();
    errno = 0;
    int r = open("fifo", O_RDONLY);
    check("open(O_RDONLY) waits until a signal: EINTR", r == -1 && errno == EINTR && alarms == 1);
    alarm_soon();
    errno = 0;
    r = open("fifo", O_WRONLY);
    check("open(O_WRONLY) waits until a signal: EINTR", r == -1 && errno == EINTR && alarms == 2);

    /* Locks. */
    int f1 = open("lockfile", O_RDWR | O_CREAT, 0600);
    int f2 = open("lockfile", O_RDWR);
    check("flock(LOCK_EX) on the first description", flock(f1, LOCK_EX) == 0);
    errno = 0;
    check("flock(LOCK_EX|LOCK_NB) on the second: EWOULDBLOCK",
          flock(f2, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);
    alarm_soon();
    errno = 0;
    check("flock(LOCK_EX) waits until a signal: EINTR", flock(f2, LOCK_EX) == -1 && errno == EINTR && alarms == 3);
    check("flock(LOCK_UN), then the second gets it",
          flock(f1, LOCK_UN) == 0 && flock(f2, LOCK_EX | LOCK_NB) == 0 && flock(f2, LOCK_UN) == 0);

    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    check("F_OFD_SETLK on the first description", fcntl(f1, F_OFD_SETLK, &lk) == 0);
    errno = 0;
    check("F_OFD_SETLK on the second: EAGAIN", fcntl(f2, F_OFD_SETLK, &lk) == -1 && errno == EAGAIN);
    alarm_soon();
    errno = 0;
    check("F_OFD_SETLKW waits until a signal: EINTR",
          fcntl(f2, F_OFD_SETLKW, &lk) == -1 && errno == EINTR && alarms == 4);
    struct flock q = lk;
    check("F_OFD_GETLK shows the holder's lock", fcntl(f2, F_OFD_GETLK, &q) == 0 && q.l_type == F_WRLCK);
    close(f1);
    check("closing the holder frees it", fcntl(f2, F_OFD_SETLKW, &lk) == 0);
    close(f2);

    /* sendfile into a full pipe waits for room. */
    int pp[2];
    pipe(pp);
    fcntl(pp[1], F_SETFL, O_NONBLOCK);
    static char chunk[4096];
    while (write(pp[1], chunk, sizeof chunk) > 0)
        ;
    fcntl(pp[1], F_SETFL, 0);
    int src = open("data", O_RDWR | O_CREAT, 0600);
    write(src, chunk, 100);
    lseek(src, 0, SEEK_SET);
    alarm_soon();
    errno = 0;
    check("sendfile into a full pipe waits until a signal: EINTR",
          sendfile(pp[1], src, NULL, 100) == -1 && errno == EINTR && alarms == 5);
    char drain[8192];
    check("with room in the pipe it goes through", read(pp[0], drain, sizeof drain) > 0 &&
                                                     sendfile(pp[1], src, NULL, 10) == 10);
    close(src);
    close(pp[0]);
    close(pp[1]);

    /* What must not wait. */
    errno = 0;
    check("truncate(FIFO): EINVAL", truncate("fifo", 0) == -1 && errno == EINVAL);
    mkdir("dir", 0700);
    errno = 0;
    check("truncate(directory): EISDIR", truncate("dir", 0) == -1 && errno == EISDIR);
    errno = 0;
    check("truncate(missing): ENOENT", truncate("missing", 0) == -1 && errno == ENOENT);
    errno = 0;
    check("truncate(file, -1): EINVAL", truncate("lockfile", -1) == -1 && errno == EINVAL);
    struct stat st;
    check("truncate(file, 1234)", truncate("lockfile", 1234) == 0 && stat("lockfile", &st) == 0 && st.st_size == 1234);
    chmod("fifo", 0700);
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {"fifo", NULL};
        execv("fifo", argv);
        _exit(errno);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    check("exec of a FIFO: EACCES", WIFEXITED(status) && WEXITSTATUS(status) == EACCES);

    unlink("fifo");
    unlink("lockfile");
    unlink("data");
    rmdir("dir");
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "all ok");
    return failures != 0;
}
