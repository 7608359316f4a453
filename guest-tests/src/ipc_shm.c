/*
 * ipc_shm: System V shared memory. shmget with IPC_PRIVATE and with a key
 * (ENOENT, EEXIST, size 0 or bigger than the segment: EINVAL), zeroed
 * memory, two attachments seeing the same bytes, SHM_RDONLY, IPC_STAT
 * (size, mode, owner, creator pid, nattch, times) and IPC_SET, IPC_INFO,
 * SHM_INFO and SHM_STAT, SHM_LOCK/SHM_UNLOCK, /proc/sysvipc/shm; a
 * vfork+exec'd child that attaches the segment and writes into it (the
 * parent reads it) and whose attachment goes when it exits; IPC_RMID of
 * an attached segment (SHM_DEST, key private, still usable, gone at the
 * last shmdt); and the argument errors: EINVAL (unaligned address
 * without SHM_RND, SHM_REMAP without an address, shmdt of no attachment),
 * EFAULT. Where a segment is attached is not looked at: on a no-MMU
 * machine every attachment is at the segment's one address.
 * Output has no ids, keys or pids; every segment made is removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipc_check.h"

/* The header line of /proc/sysvipc/shm, as Linux writes it. */
#define IPC_SHM_HEADER                                                                                                   \
    "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid " "     atime      dtime      ctime                   rss                  swap\n"

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

static int failed(void *p, int e)
{
    return p == (void *)-1 && errno == e;
}

static unsigned long nattch(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == 0 ? ds.shm_nattch : (unsigned long)-1;
}

static int child(char **argv)
{
    int id = atoi(argv[2]);
    if (!strcmp(argv[1], "write")) {
        /* attaches, writes a string at offset 100, exits attached */
        char *p = shmat(id, NULL, 0);
        if (p == (void *)-1)
            return 1;
        if (p[0] != 'P')
            return 2;
        strcpy(p + 100, "written by the child");
        return 0;
    }
    return 3;
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 3)
        return child(argv);

    struct shmid_ds ds;
    key_t key = private_key('H');

    /* shmget */
    int s = shmget(IPC_PRIVATE, 10000, 0600);
    check("shmget(IPC_PRIVATE, 10000)", s >= 0);
    check("shmget of size 0: EINVAL", errno_is(shmget(IPC_PRIVATE, 0, 0600), EINVAL));
    check("shmget of a missing key: ENOENT", errno_is(shmget(key, 4096, 0600), ENOENT));
    int k = shmget(key, 4096, IPC_CREAT | 0640);
    check("shmget(key, IPC_CREAT)", k >= 0 && k != s);
    check("shmget(key) finds it", shmget(key, 4096, 0) == k && shmget(key, 0, 0) == k && shmget(key, 1, 0) == k);
    check("shmget(key) bigger than it is: EINVAL", errno_is(shmget(key, 4097, 0), EINVAL));
    check("IPC_CREAT|IPC_EXCL: EEXIST", errno_is(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST));

    /* IPC_STAT of a new segment */
    check("IPC_STAT", shmctl(s, IPC_STAT, &ds) == 0);
    check("IPC_STAT: size, mode, key", ds.shm_segsz == 10000 && (ds.shm_perm.mode & 0777) == 0600 &&
                                           ds.shm_perm.__key == IPC_PRIVATE);
    check("IPC_STAT: owner and creator", ds.shm_perm.uid == geteuid() && ds.shm_perm.cuid == geteuid() &&
                                             ds.shm_perm.gid == getegid() && ds.shm_perm.cgid == getegid());
    check("IPC_STAT: made by this process, never attached",
          ds.shm_cpid == getpid() && ds.shm_lpid == 0 && ds.shm_nattch == 0 && ds.shm_atime == 0 &&
              ds.shm_dtime == 0 && ds.shm_ctime > 0);

    /* attachments */
    char *p = shmat(s, NULL, 0);
    check("shmat", p != (void *)-1 && ((uintptr_t)p & 4095) == 0);
    int zero = 1;
    for (int i = 0; i < 10000; i++)
        zero &= p[i] == 0;
    check("a new segment is zeroed", zero);
    memset(p, 'P', 10000);
    char *q = shmat(s, NULL, SHM_RDONLY);
    check("a second attachment, read-only", q != (void *)-1 && q[0] == 'P' && q[9999] == 'P');
    p[5000] = 'x';
    check("it sees what the first writes", q[5000] == 'x');
    check("IPC_STAT: 2 attachments, by this process",
          shmctl(s, IPC_STAT, &ds) == 0 && ds.shm_nattch == 2 && ds.shm_lpid == getpid() && ds.shm_atime > 0);
    check("shmdt of an unaligned address: EINVAL", errno_is(shmdt(p + 1), EINVAL));
    check("shmdt of what is no attachment: EINVAL", errno_is(shmdt((void *)((uintptr_t)&ds & ~4095UL)), EINVAL));
    check("shmat at an unaligned address: EINVAL", failed(shmat(s, p + 1, 0), EINVAL));
    check("SHM_REMAP without an address: EINVAL", failed(shmat(s, NULL, SHM_REMAP), EINVAL));
    check("shmat of a bad id: EINVAL", failed(shmat(0x7ffffff0, NULL, 0), EINVAL));
    check("shmat of a negative id: EINVAL", failed(shmat(-1, NULL, 0), EINVAL));
    check("mprotect and msync of an attachment", mprotect(p, 8192, PROT_READ | PROT_WRITE) == 0 &&
                                                    msync(p, 8192, MS_SYNC) == 0);
    check("shmdt of the read-only one", shmdt(q) == 0 && nattch(s) == 1);
    check("IPC_STAT: detached", shmctl(s, IPC_STAT, &ds) == 0 && ds.shm_dtime > 0);

    /* a child attaches the same segment and writes into it */
    char arg[16];
    snprintf(arg, sizeof arg, "%d", s);
    pid_t pid = vfork_self(NULL, "write", arg, NULL, NULL);
    int st;
    check("the child attached and wrote", pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
                                              WEXITSTATUS(st) == 0);
    check("what the child wrote is here", !strcmp(p + 100, "written by the child"));
    check("its attachment went when it exited", nattch(s) == 1);
    check("IPC_STAT: the child was the last", shmctl(s, IPC_STAT, &ds) == 0 && ds.shm_lpid == pid);

    /* IPC_SET, SHM_LOCK */
    ds.shm_perm.mode = 0604;
    check("IPC_SET", shmctl(s, IPC_SET, &ds) == 0 && shmctl(s, IPC_STAT, &ds) == 0 &&
                         (ds.shm_perm.mode & 0777) == 0604);
    ds.shm_perm.uid = (uid_t)-1;
    check("IPC_SET of uid -1: EINVAL", errno_is(shmctl(s, IPC_SET, &ds), EINVAL));
    check("SHM_LOCK", shmctl(s, SHM_LOCK, NULL) == 0 && shmctl(s, IPC_STAT, &ds) == 0 &&
                          (ds.shm_perm.mode & SHM_LOCKED));
    check("SHM_UNLOCK", shmctl(s, SHM_UNLOCK, NULL) == 0 && shmctl(s, IPC_STAT, &ds) == 0 &&
                            !(ds.shm_perm.mode & SHM_LOCKED));

    /* argument errors */
    check("IPC_STAT into a bad pointer: EFAULT", errno_is(syscall(SYS_shmctl, s, IPC_STAT, BAD_PTR), EFAULT));
    check("IPC_SET from a bad pointer: EFAULT", errno_is(syscall(SYS_shmctl, s, IPC_SET, BAD_PTR), EFAULT));
    check("shmctl of an unknown command: EINVAL", errno_is(shmctl(s, 99, &ds), EINVAL));
    check("shmctl of a negative command: EINVAL", errno_is(syscall(SYS_shmctl, s, -1, &ds), EINVAL));
    check("shmctl of a bad id: EINVAL", errno_is(shmctl(0x7ffffff0, IPC_STAT, &ds), EINVAL));

    /* the info commands */
    struct shminfo info;
    int max = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    check("IPC_INFO: the highest index in use", max >= 0);
    check("IPC_INFO: Linux's limits", info.shmmni == 4096 && info.shmseg == 4096 && info.shmmin == 1 &&
                                          info.shmmax == 0xfffffffffeffffffUL && info.shmall == 0xfffffffffeffffffUL);
    struct shm_info used;
    check("SHM_INFO", shmctl(0, SHM_INFO, (struct shmid_ds *)&used) >= 0);
#ifdef __GLIBC__
    check("SHM_INFO: what is in use", used.used_ids >= 2 && used.shm_tot >= 4);
#else
    check("SHM_INFO: what is in use", used.__used_ids >= 2 && used.shm_tot >= 4);
#endif
    int seen = 0;
    for (int i = 0; i <= max; i++) {
        int id = shmctl(i, SHM_STAT, &ds);
        if (id == k && ds.shm_segsz == 4096)
            seen |= 1;
        if (shmctl(i, SHM_STAT_ANY, &ds) == s && ds.shm_segsz == 10000)
            seen |= 2;
    }
    check("SHM_STAT and SHM_STAT_ANY of each index find the segments", seen == 3);
    check("/proc/sysvipc/shm lists the keyed segment", in_sysvipc("shm", IPC_SHM_HEADER, k, key));
    check("/proc/sysvipc/shm lists an IPC_PRIVATE segment", in_sysvipc("shm", IPC_SHM_HEADER, s, IPC_PRIVATE));

    /* IPC_RMID of an attached segment */
    char *r = shmat(k, NULL, 0);
    check("shmat of the keyed segment", r != (void *)-1);
    strcpy(r, "still here");
    check("IPC_RMID while attached", shmctl(k, IPC_RMID, NULL) == 0);
    check("IPC_STAT: marked SHM_DEST, key private", shmctl(k, IPC_STAT, &ds) == 0 &&
                                                        (ds.shm_perm.mode & SHM_DEST) &&
                                                        ds.shm_perm.__key == IPC_PRIVATE && ds.shm_nattch == 1);
    check("shmget no longer finds its key", errno_is(shmget(key, 4096, 0), ENOENT));
    check("the memory is still there", !strcmp(r, "still here"));
    char *r2 = shmat(k, NULL, 0);
    check("it can still be attached", r2 != (void *)-1 && !strcmp(r2, "still here") && nattch(k) == 2);
    check("shmdt", shmdt(r2) == 0 && shmdt(r) == 0);
    check("gone at the last shmdt", errno_is(shmctl(k, IPC_STAT, &ds), EINVAL));
    check("shmdt again: EINVAL", errno_is(shmdt(r), EINVAL));
    check("IPC_RMID of a detached segment", shmdt(p) == 0 && shmctl(s, IPC_RMID, NULL) == 0);
    check("gone at once", errno_is(shmctl(s, IPC_STAT, &ds), EINVAL));
    check("/proc/sysvipc/shm no longer lists them", !in_sysvipc("shm", IPC_SHM_HEADER, k, key) && !in_sysvipc("shm", IPC_SHM_HEADER, s, IPC_PRIVATE));
    return finish();
}
