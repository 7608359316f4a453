/*
 * ipc_sem: System V semaphores. semget with IPC_PRIVATE and with a key
 * (ENOENT, EEXIST, a count of 0 or more than the array has), SETVAL,
 * GETVAL, SETALL, GETALL, GETPID, GETNCNT and GETZCNT (a vfork+exec'd
 * child waiting), IPC_STAT (mode, owner, nsems, otime) and IPC_SET,
 * IPC_INFO, SEM_INFO and SEM_STAT, /proc/sysvipc/sem; semop done all at
 * once or not at all, IPC_NOWAIT (EAGAIN), wait-for-zero, ERANGE,
 * semtimedop's timeout (EAGAIN), SEM_UNDO taken back when the child that
 * did it exits, a blocking semop ended by a signal (EINTR, with SA_RESTART
 * too: Linux never restarts semop), removal waking a waiter (EIDRM), and
 * the argument errors: EINVAL, E2BIG, EFBIG, EFAULT.
 * Output has no ids, keys or pids; every array made is removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ipc_check.h"

/* The header line of /proc/sysvipc/sem, as Linux writes it. */
#define IPC_SEM_HEADER                                                                                                   \
    "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

/* One semop of one operation. */
static int op1(int s, unsigned short num, short op, short flg)
{
    struct sembuf b = { num, op, flg };
    return semop(s, &b, 1);
}

static int val(int s, int num)
{
    return semctl(s, num, GETVAL);
}

static int setval(int s, int num, int v)
{
    union semun u = { .val = v };
    return semctl(s, num, SETVAL, u);
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits up to 2 s for semctl(s, num, cmd) to be want. */
static int becomes(int s, int num, int cmd, int want)
{
    for (int i = 0; i < 400; i++) {
        if (semctl(s, num, cmd) == want)
            return 1;
        msleep(5);
    }
    return 0;
}

static int child(char **argv)
{
    int s = atoi(argv[2]);
    if (!strcmp(argv[1], "down"))
        /* waits for semaphore 0 to be positive, takes 1 */
        return op1(s, 0, -1, 0) == 0 ? 0 : 1;
    if (!strcmp(argv[1], "zero"))
        /* waits for semaphore 1 to be zero */
        return op1(s, 1, 0, 0) == 0 ? 0 : 1;
    if (!strcmp(argv[1], "undo")) {
        /* +3 on 0 and -1 on 1 with SEM_UNDO, +1 on 2 without; exits */
        struct sembuf b[] = { { 0, 3, SEM_UNDO }, { 1, -1, SEM_UNDO }, { 2, 1, 0 } };
        return semop(s, b, 3) == 0 ? 0 : 1;
    }
    if (!strcmp(argv[1], "undo-exec")) {
        /* SEM_UNDO survives an exec: the adjustment is applied when the
         * exec'd program exits */
        if (op1(s, 0, 5, SEM_UNDO) != 0)
            return 1;
        char *args[] = { argv[0], "exit0", "0", NULL };
        execv(argv[0], args);
        return 2;
    }
    if (!strcmp(argv[1], "exit0"))
        return 0;
    if (!strcmp(argv[1], "rmid")) {
        /* Remove it once the parent waits on it (not after a fixed sleep:
         * a loaded machine may start the parent's semop later). */
        for (int i = 0; i < 2000 && semctl(s, 0, GETNCNT) < 1; i++)
            msleep(5);
        return semctl(s, 0, IPC_RMID) == 0 ? 0 : 1;
    }
    return 3;
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 3)
        return child(argv);

    struct semid_ds ds;
    union semun u;
    key_t key = private_key('S');

    /* semget */
    int s = semget(IPC_PRIVATE, 3, 0600);
    check("semget(IPC_PRIVATE, 3)", s >= 0);
    check("semget of 0 semaphores: EINVAL", errno_is(semget(IPC_PRIVATE, 0, 0600), EINVAL));
    check("semget of -1 semaphores: EINVAL", errno_is(semget(IPC_PRIVATE, -1, 0600), EINVAL));
    check("semget of 32001 semaphores: EINVAL", errno_is(semget(IPC_PRIVATE, 32001, 0600), EINVAL));
    check("semget(key, 0) of a missing key: ENOENT", errno_is(semget(key, 1, 0600), ENOENT));
    int k = semget(key, 2, IPC_CREAT | 0640);
    check("semget(key, IPC_CREAT)", k >= 0 && k != s);
    check("semget(key) finds it", semget(key, 2, 0) == k && semget(key, 0, 0) == k);
    check("semget(key) of more than it has: EINVAL", errno_is(semget(key, 3, 0), EINVAL));
    check("IPC_CREAT|IPC_EXCL: EEXIST", errno_is(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST));

    /* IPC_STAT, IPC_SET */
    u.buf = &ds;
    check("IPC_STAT", semctl(k, 0, IPC_STAT, u) == 0);
    check("IPC_STAT: key, mode, nsems", ds.sem_perm.__key == key && (ds.sem_perm.mode & 0777) == 0640 &&
                                            ds.sem_nsems == 2);
    check("IPC_STAT: owner and creator", ds.sem_perm.uid == geteuid() && ds.sem_perm.cuid == geteuid() &&
                                             ds.sem_perm.gid == getegid() && ds.sem_perm.cgid == getegid());
    check("IPC_STAT: never operated on", ds.sem_otime == 0 && ds.sem_ctime > 0);
    ds.sem_perm.mode = 0600;
    check("IPC_SET", semctl(k, 0, IPC_SET, u) == 0 && semctl(k, 0, IPC_STAT, u) == 0 &&
                         (ds.sem_perm.mode & 0777) == 0600);
    ds.sem_perm.gid = (gid_t)-1;
    check("IPC_SET of gid -1: EINVAL", errno_is(semctl(k, 0, IPC_SET, u), EINVAL));

    /* values */
    check("new semaphores are 0", val(s, 0) == 0 && val(s, 1) == 0 && val(s, 2) == 0);
    check("SETVAL", setval(s, 1, 7) == 0 && val(s, 1) == 7);
    check("GETPID: the last to change it", semctl(s, 1, GETPID) == getpid() && semctl(s, 0, GETPID) == 0);
    check("SETVAL 32767", setval(s, 2, 32767) == 0);
    check("SETVAL 32768: ERANGE", errno_is(setval(s, 2, 32768), ERANGE));
    check("SETVAL -1: ERANGE", errno_is(setval(s, 2, -1), ERANGE));
    check("SETVAL of semaphore 3 of 3: EINVAL", errno_is(setval(s, 3, 1), EINVAL));
    check("GETVAL of semaphore -1: EINVAL", errno_is(semctl(s, -1, GETVAL), EINVAL));
    unsigned short all[3] = { 1, 2, 3 }, got[3] = { 0 };
    u.array = all;
    check("SETALL", semctl(s, 0, SETALL, u) == 0);
    u.array = got;
    check("GETALL", semctl(s, 0, GETALL, u) == 0 && got[0] == 1 && got[1] == 2 && got[2] == 3);
    unsigned short over[3] = { 1, 40000, 3 };
    u.array = over;
    check("SETALL of 40000: ERANGE, nothing set", errno_is(semctl(s, 0, SETALL, u), ERANGE) && val(s, 0) == 1);
    check("GETALL into a bad pointer: EFAULT", errno_is(syscall(SYS_semctl, s, 0, GETALL, BAD_PTR), EFAULT));
    check("SETALL from a bad pointer: EFAULT", errno_is(syscall(SYS_semctl, s, 0, SETALL, BAD_PTR), EFAULT));
    check("IPC_STAT into a bad pointer: EFAULT", errno_is(syscall(SYS_semctl, s, 0, IPC_STAT, BAD_PTR), EFAULT));
    check("semctl of an unknown command: EINVAL", errno_is(semctl(s, 0, 99), EINVAL));
    check("semctl of a bad id: EINVAL", errno_is(semctl(0x7ffffff0, 0, GETVAL), EINVAL));
    check("semctl of a negative id: EINVAL", errno_is(semctl(-1, 0, GETVAL), EINVAL));

    /* semop */
    struct sembuf two[] = { { 0, 5, 0 }, { 2, -4, IPC_NOWAIT } };
    check("semop: one cannot go on, IPC_NOWAIT: EAGAIN", errno_is(semop(s, two, 2), EAGAIN));
    check("semop: so none went on", val(s, 0) == 1 && val(s, 2) == 3);
    two[1].sem_op = -3;
    check("semop of two operations", semop(s, two, 2) == 0 && val(s, 0) == 6 && val(s, 2) == 0);
    check("semop: GETPID", semctl(s, 0, GETPID) == getpid());
    u.buf = &ds;
    check("IPC_STAT: otime set", semctl(s, 0, IPC_STAT, u) == 0 && ds.sem_otime > 0);
    check("wait-for-zero on 0 goes on", op1(s, 2, 0, 0) == 0);
    check("wait-for-zero on 6, IPC_NOWAIT: EAGAIN", errno_is(op1(s, 0, 0, IPC_NOWAIT), EAGAIN));
    struct sembuf same[] = { { 1, -1, IPC_NOWAIT }, { 1, -1, IPC_NOWAIT }, { 1, 3, IPC_NOWAIT } };
    check("one semaphore three times", semop(s, same, 3) == 0 && val(s, 1) == 3);
    struct sembuf twice[] = { { 1, -2, IPC_NOWAIT }, { 1, -2, IPC_NOWAIT }, { 1, 3, 0 } };
    check("-2 twice from 3: EAGAIN, nothing done", errno_is(semop(s, twice, 3), EAGAIN) && val(s, 1) == 3);
    check("past 32767: ERANGE", errno_is(op1(s, 0, 32767, 0), ERANGE));
    check("semop of 0 operations: EINVAL", errno_is(semop(s, two, 0), EINVAL));
    static struct sembuf many[501];
    check("semop of 501 operations: E2BIG", errno_is(semop(s, many, 501), E2BIG));
    for (int i = 0; i < 500; i++)
        many[i] = (struct sembuf){ 2, 0, IPC_NOWAIT };
    check("semop of 500 operations", semop(s, many, 500) == 0);
    check("semop of semaphore 3 of 3: EFBIG", errno_is(op1(s, 3, 1, 0), EFBIG));
    check("semop from a bad pointer: EFAULT", errno_is(syscall(SYS_semop, s, BAD_PTR, 1), EFAULT));
    check("semop on a bad id: EINVAL", errno_is(op1(0x7ffffff0, 0, 1, 0), EINVAL));
    check("semop on a negative id: EINVAL", errno_is(op1(-1, 0, 1, 0), EINVAL));

    /* semtimedop */
    struct sembuf down = { 2, -1, 0 };
    struct timespec ts = { 0, 50000000 };
    long t0 = now_ms();
    check("semtimedop: the timeout passes: EAGAIN", errno_is(semtimedop(s, &down, 1, &ts), EAGAIN));
    check("semtimedop: after the timeout", now_ms() - t0 >= 45);
    ts.tv_nsec = 1000000000;
    check("semtimedop of a bad timeout: EINVAL", errno_is(semtimedop(s, &down, 1, &ts), EINVAL));
    check("semtimedop of a bad timeout pointer: EFAULT",
          errno_is(syscall(SYS_semtimedop, s, &down, 1, BAD_PTR), EFAULT));
    ts.tv_nsec = 0;
    check("semtimedop of no time: EAGAIN", errno_is(semtimedop(s, &down, 1, &ts), EAGAIN));
    down.sem_op = 1;
    check("semtimedop that need not wait", semtimedop(s, &down, 1, &ts) == 0 && val(s, 2) == 1);

    /* a child waits for a semaphore; GETNCNT counts it */
    setval(s, 0, 0);
    pid_t pid = spawn("down", s);
    check("GETNCNT: the waiting child", becomes(s, 0, GETNCNT, 1));
    check("GETZCNT: nobody", semctl(s, 0, GETZCNT) == 0);
    check("semop +1 lets the child go on", op1(s, 0, 1, 0) == 0 && child_ok(pid));
    check("it took it", val(s, 0) == 0 && semctl(s, 0, GETNCNT) == 0 && semctl(s, 0, GETPID) == pid);
    pid = spawn("zero", s);
    check("GETZCNT: a child waits for zero", becomes(s, 1, GETZCNT, 1));
    check("SETVAL 0 lets it go on", setval(s, 1, 0) == 0 && child_ok(pid) && semctl(s, 1, GETZCNT) == 0);

    /* SEM_UNDO */
    setval(s, 0, 0);
    setval(s, 1, 4);
    setval(s, 2, 0);
    pid = spawn("undo", s);
    check("the child changed them with SEM_UNDO", child_ok(pid));
    check("its SEM_UNDO changes are taken back at exit", val(s, 0) == 0 && val(s, 1) == 4);
    check("the change without SEM_UNDO stays", val(s, 2) == 1);
    check("GETPID: the exited child", semctl(s, 0, GETPID) == pid);
    pid = spawn("undo-exec", s);
    check("SEM_UNDO is kept across exec and taken back at exit", child_ok(pid) && val(s, 0) == 0);
    check("SEM_UNDO in this process", op1(s, 1, -4, SEM_UNDO) == 0 && val(s, 1) == 0);
    check("SETVAL clears the adjustment", setval(s, 1, 2) == 0);

    /* signals */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm_in_ms(50);
    check("a signal ends a blocking semop: EINTR", errno_is(op1(s, 0, -1, 0), EINTR));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm_in_ms(50);
    check("with SA_RESTART too: EINTR", errno_is(op1(s, 1, 0, 0), EINTR));
    check("GETNCNT and GETZCNT: nobody waits", semctl(s, 0, GETNCNT) == 0 && semctl(s, 1, GETZCNT) == 0);

    /* the info commands */
    struct seminfo info;
    u.__buf = &info;
    int max = semctl(0, 0, IPC_INFO, u);
    check("IPC_INFO: the highest index in use", max >= 0);
    check("IPC_INFO: Linux's limits", info.semmsl == 32000 && info.semopm == 500 && info.semvmx == 32767 &&
                                          info.semmni == 32000 && info.semmns == 1024000000 &&
                                          info.semume == 500 && info.semusz == 20 && info.semaem == 32767);
    check("SEM_INFO: what is in use", semctl(0, 0, SEM_INFO, u) >= 0 && info.semusz >= 2 && info.semaem >= 5);
    int seen = 0;
    u.buf = &ds;
    for (int i = 0; i <= max; i++) {
        int id = semctl(i, 0, SEM_STAT, u);
        if (id == k && ds.sem_nsems == 2)
            seen |= 1;
        if (semctl(i, 0, SEM_STAT_ANY, u) == s && ds.sem_nsems == 3)
            seen |= 2;
    }
    check("SEM_STAT and SEM_STAT_ANY of each index find the arrays", seen == 3);
    check("/proc/sysvipc/sem lists the keyed array", in_sysvipc("sem", IPC_SEM_HEADER, k, key));
    check("/proc/sysvipc/sem lists an IPC_PRIVATE array", in_sysvipc("sem", IPC_SEM_HEADER, s, IPC_PRIVATE));

    /* removal wakes a waiter */
    setval(s, 0, 0);
    pid = spawn("rmid", s);
    check("removal ends a blocking semop: EIDRM", errno_is(op1(s, 0, -1, 0), EIDRM));
    check("the child removed it", child_ok(pid));
    check("a removed array: EINVAL", errno_is(val(s, 0), EINVAL) && errno_is(op1(s, 0, 1, 0), EINVAL));
    check("IPC_RMID", semctl(k, 0, IPC_RMID) == 0);
    check("IPC_RMID again: EINVAL", errno_is(semctl(k, 0, IPC_RMID), EINVAL));
    check("its key is free", errno_is(semget(key, 0, 0), ENOENT));
    check("/proc/sysvipc/sem no longer lists it", !in_sysvipc("sem", IPC_SEM_HEADER, k, key));
    return finish();
}
