/*
 * ipc_msg: System V message queues. msgget with IPC_PRIVATE and with a
 * key (ENOENT, IPC_CREAT, EEXIST), IPC_STAT's fields (mode, key, owner,
 * msg_qbytes, msg_qnum, msg_cbytes, the pids of the last send and
 * receive), msgrcv's choice of message (type 0, > 0, < 0, MSG_EXCEPT,
 * MSG_COPY), MSG_NOERROR and E2BIG, IPC_NOWAIT (ENOMSG, EAGAIN on a full
 * queue), IPC_SET (mode, msg_qbytes, uid -1 is EINVAL), IPC_INFO,
 * MSG_INFO and MSG_STAT, /proc/sysvipc/msg, messages between this process
 * and a vfork+exec'd child (a blocked receive and a blocked send), a
 * blocking msgrcv or msgsnd ended by a signal (EINTR, with SA_RESTART too:
 * Linux never restarts them after a handler), the queue's removal waking
 * a receiver (EIDRM), and the argument errors: EINVAL, EFAULT.
 * Output has no ids, keys or pids; every queue made is removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "ipc_check.h"

/* The header line of /proc/sysvipc/msg, as Linux writes it. */
#define IPC_MSG_HEADER                                                                                                   \
    "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      " "stime      rtime      ctime\n"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

struct msg {
    long mtype;
    char mtext[64];
};

static int send_text(int q, long type, const char *text, int flags)
{
    struct msg m = { type, { 0 } };
    strcpy(m.mtext, text);
    return msgsnd(q, &m, strlen(text), flags);
}

/* Receives with msgrcv(q, .., size, type, flags); the text (NUL-ended) in
 * *out; the type or -1. */
static long recv_text(int q, long type, size_t size, int flags, struct msg *out)
{
    memset(out, 0, sizeof *out);
    ssize_t n = msgrcv(q, out, size, type, flags);
    if (n < 0)
        return -1;
    out->mtext[n] = 0;
    return out->mtype;
}

/* Children, exec'd by the tests below. */
static int child(int argc, char **argv)
{
    int q = atoi(argv[2]);
    struct msg m;
    if (!strcmp(argv[1], "pong")) {
        /* receives "ping" (waiting for it), answers "pong" as type 2 */
        if (recv_text(q, 1, sizeof m.mtext, 0, &m) != 1 || strcmp(m.mtext, "ping"))
            return 1;
        return send_text(q, 2, "pong", 0) == 0 ? 0 : 2;
    }
    if (!strcmp(argv[1], "drain")) {
        /* after a while, takes one message off a full queue */
        msleep(100);
        return recv_text(q, 0, sizeof m.mtext, 0, &m) > 0 ? 0 : 1;
    }
    if (!strcmp(argv[1], "rmid")) {
        msleep(100);
        return msgctl(q, IPC_RMID, NULL) == 0 ? 0 : 1;
    }
    (void)argc;
    return 3;
}

int main(int argc, char **argv)
{
    start_test(argv);
    if (argc >= 3)
        return child(argc, argv);

    struct msqid_ds ds;
    struct msg m;
    key_t key = private_key('M');

    /* msgget */
    int q = msgget(IPC_PRIVATE, 0600);
    check("msgget(IPC_PRIVATE)", q >= 0);
    int q2 = msgget(IPC_PRIVATE, 0600);
    check("a second IPC_PRIVATE queue is another", q2 >= 0 && q2 != q);
    check("msgget(key, 0) of a missing key: ENOENT", errno_is(msgget(key, 0600), ENOENT));
    int k = msgget(key, IPC_CREAT | 0640);
    check("msgget(key, IPC_CREAT)", k >= 0 && k != q && k != q2);
    check("msgget(key, 0) finds it", msgget(key, 0) == k);
    check("msgget(key, IPC_CREAT) finds it", msgget(key, IPC_CREAT | 0600) == k);
    check("IPC_CREAT|IPC_EXCL of an existing key: EEXIST", errno_is(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST));

    /* IPC_STAT of a new queue */
    check("IPC_STAT", msgctl(k, IPC_STAT, &ds) == 0);
    check("IPC_STAT: key and mode", ds.msg_perm.__key == key && (ds.msg_perm.mode & 0777) == 0640);
    check("IPC_STAT: owner and creator", ds.msg_perm.uid == geteuid() && ds.msg_perm.cuid == geteuid() &&
                                             ds.msg_perm.gid == getegid() && ds.msg_perm.cgid == getegid());
    check("IPC_STAT: empty, 16384 bytes", ds.msg_qnum == 0 && ds.msg_cbytes == 0 && ds.msg_qbytes == 16384);
    check("IPC_STAT: no send or receive yet", ds.msg_stime == 0 && ds.msg_rtime == 0 && ds.msg_ctime > 0 &&
                                                  ds.msg_lspid == 0 && ds.msg_lrpid == 0);
    check("IPC_STAT of IPC_PRIVATE: key 0", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_perm.__key == IPC_PRIVATE);

    /* sending, and which message msgrcv takes */
    check("msgsnd type 3", send_text(q, 3, "three", 0) == 0);
    check("msgsnd type 1", send_text(q, 1, "one-a", 0) == 0);
    check("msgsnd type 2", send_text(q, 2, "two", 0) == 0);
    check("msgsnd type 1 again", send_text(q, 1, "one-b", IPC_NOWAIT) == 0);
    check("msgsnd of no text", send_text(q, 9, "", 0) == 0);
    check("IPC_STAT: 5 messages, 18 bytes, the sender", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 5 &&
                                                            ds.msg_cbytes == 18 && ds.msg_lspid == getpid() &&
                                                            ds.msg_stime > 0 && ds.msg_lrpid == 0);
    check("MSG_COPY of message 2 leaves it there", recv_text(q, 2, sizeof m.mtext, MSG_COPY | IPC_NOWAIT, &m) == 2 &&
                                                       !strcmp(m.mtext, "two"));
    check("MSG_COPY past the last: ENOMSG", errno_is(recv_text(q, 5, sizeof m.mtext, MSG_COPY | IPC_NOWAIT, &m), ENOMSG));
    check("MSG_COPY without IPC_NOWAIT: EINVAL", errno_is(recv_text(q, 0, sizeof m.mtext, MSG_COPY, &m), EINVAL));
    check("MSG_COPY with MSG_EXCEPT: EINVAL",
          errno_is(recv_text(q, 0, sizeof m.mtext, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT, &m), EINVAL));
    check("type 1: the first of type 1", recv_text(q, 1, sizeof m.mtext, 0, &m) == 1 && !strcmp(m.mtext, "one-a"));
    check("type -2: the lowest type up to 2", recv_text(q, -2, sizeof m.mtext, 0, &m) == 1 && !strcmp(m.mtext, "one-b"));
    check("MSG_EXCEPT 3: the first of another type",
          recv_text(q, 3, sizeof m.mtext, MSG_EXCEPT, &m) == 2 && !strcmp(m.mtext, "two"));
    check("too long for the buffer: E2BIG", errno_is(recv_text(q, 0, 2, 0, &m), E2BIG));
    check("E2BIG leaves it queued", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 2);
    check("MSG_NOERROR cuts it", msgrcv(q, &m, 2, 0, MSG_NOERROR) == 2 && m.mtype == 3 && !memcmp(m.mtext, "th", 2));
    check("the rest of it is gone", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 1 && ds.msg_cbytes == 0);
    check("a message of no text", msgrcv(q, &m, sizeof m.mtext, 0, 0) == 0 && m.mtype == 9);
    check("IPC_STAT: the receiver", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_lrpid == getpid() && ds.msg_rtime > 0);
    check("empty, IPC_NOWAIT: ENOMSG", errno_is(recv_text(q, 0, sizeof m.mtext, IPC_NOWAIT, &m), ENOMSG));
    send_text(q, 4, "four", 0);
    check("no such type, IPC_NOWAIT: ENOMSG", errno_is(recv_text(q, 5, sizeof m.mtext, IPC_NOWAIT, &m), ENOMSG));
    check("type -3 with only type 4: ENOMSG", errno_is(recv_text(q, -3, sizeof m.mtext, IPC_NOWAIT, &m), ENOMSG));
    check("type 4", recv_text(q, 4, sizeof m.mtext, IPC_NOWAIT, &m) == 4);

    /* argument errors */
    check("msgsnd type 0: EINVAL", errno_is(send_text(q, 0, "x", 0), EINVAL));
    check("msgsnd type -1: EINVAL", errno_is(send_text(q, -1, "x", 0), EINVAL));
    {
        static struct {
            long mtype;
            char text[8200];
        } big = { 1, { 0 } };
        check("msgsnd of 8193 bytes: EINVAL", errno_is(msgsnd(q, &big, 8193, 0), EINVAL));
        check("msgsnd of 8192 bytes", msgsnd(q, &big, 8192, 0) == 0 && msgrcv(q, &big, 8192, 0, 0) == 8192);
    }
    check("msgsnd to a bad id: EINVAL", errno_is(send_text(0x7ffffff0, 1, "x", 0), EINVAL));
    check("msgsnd to a negative id: EINVAL", errno_is(send_text(-1, 1, "x", 0), EINVAL));
    check("msgrcv from a bad id: EINVAL", errno_is(recv_text(0x7ffffff0, 0, 8, IPC_NOWAIT, &m), EINVAL));
    check("msgrcv of a negative size: EINVAL", errno_is(syscall(SYS_msgrcv, q, &m, (size_t)-1, 0, IPC_NOWAIT), EINVAL));
    check("msgsnd from a bad pointer: EFAULT", errno_is(syscall(SYS_msgsnd, q, BAD_PTR, 1, 0), EFAULT));
    check("msgsnd of a bad pointer to a bad id: EFAULT", errno_is(syscall(SYS_msgsnd, -1, BAD_PTR, 1, 0), EFAULT));
    send_text(q, 1, "lost", 0);
    check("msgrcv into a bad pointer: EFAULT", errno_is(syscall(SYS_msgrcv, q, BAD_PTR, 8, 0, IPC_NOWAIT), EFAULT));
    check("the message is lost with it", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0);
    check("msgctl IPC_STAT into a bad pointer: EFAULT", errno_is(syscall(SYS_msgctl, q, IPC_STAT, BAD_PTR), EFAULT));
    check("msgctl IPC_SET from a bad pointer: EFAULT", errno_is(syscall(SYS_msgctl, q, IPC_SET, BAD_PTR), EFAULT));
    check("msgctl of an unknown command: EINVAL", errno_is(msgctl(q, 99, &ds), EINVAL));
    check("msgctl of a negative command: EINVAL", errno_is(syscall(SYS_msgctl, q, -1, &ds), EINVAL));
    check("msgctl of a bad id: EINVAL", errno_is(msgctl(0x7ffffff0, IPC_STAT, &ds), EINVAL));

    /* IPC_SET: mode and size; a full queue */
    msgctl(q, IPC_STAT, &ds);
    ds.msg_perm.mode = 0604;
    ds.msg_qbytes = 8;
    check("IPC_SET", msgctl(q, IPC_SET, &ds) == 0);
    check("IPC_SET: mode and msg_qbytes", msgctl(q, IPC_STAT, &ds) == 0 && (ds.msg_perm.mode & 0777) == 0604 &&
                                              ds.msg_qbytes == 8);
    ds.msg_perm.uid = (uid_t)-1;
    check("IPC_SET of uid -1: EINVAL", errno_is(msgctl(q, IPC_SET, &ds), EINVAL));
    check("5 bytes fit", send_text(q, 1, "12345", 0) == 0);
    check("4 more do not: EAGAIN", errno_is(send_text(q, 1, "1234", IPC_NOWAIT), EAGAIN));
    check("3 more do", send_text(q, 1, "123", IPC_NOWAIT) == 0);
    check("a message of no text still fits", send_text(q, 1, "", IPC_NOWAIT) == 0);
    /* a blocked sender goes on when a child takes a message off */
    pid_t pid = spawn("drain", q);
    check("a full queue: msgsnd waits for room", send_text(q, 1, "abcd", 0) == 0);
    check("the child took one", child_ok(pid));
    check("then 3 messages, 7 bytes", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 3 && ds.msg_cbytes == 7);
    while (recv_text(q, 0, sizeof m.mtext, IPC_NOWAIT, &m) > 0) {
    }

    /* a receiver waits for the child's message */
    pid = spawn("pong", q);
    check("send ping to the child", send_text(q, 1, "ping", 0) == 0);
    check("the child's pong, waited for", recv_text(q, 2, sizeof m.mtext, 0, &m) == 2 && !strcmp(m.mtext, "pong"));
    check("the child exited", child_ok(pid));
    check("IPC_STAT: the child sent last", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_lspid == pid &&
                                               ds.msg_lrpid == getpid());

    /* a signal ends a blocking msgrcv */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm_in_ms(50);
    check("a signal ends a blocking msgrcv: EINTR", errno_is(recv_text(q, 0, sizeof m.mtext, 0, &m), EINTR));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm_in_ms(50);
    check("with SA_RESTART too: EINTR", errno_is(recv_text(q, 0, sizeof m.mtext, 0, &m), EINTR));
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 1;
    msgctl(q, IPC_SET, &ds);
    send_text(q, 1, "x", 0);
    alarm_in_ms(50);
    check("a signal ends a blocking msgsnd: EINTR", errno_is(send_text(q, 1, "y", 0), EINTR));

    /* the info commands */
    struct msginfo info;
    int max = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
    check("IPC_INFO: the highest index in use", max >= 0);
    check("IPC_INFO: Linux's limits",
          info.msgmax == 8192 && info.msgmnb == 16384 && info.msgmni == 32000 && info.msgssz == 16 &&
              info.msgseg == 0xffff && info.msgpool == 512000 && info.msgmap == 16384 && info.msgtql == 16384);
    check("MSG_INFO: what is in use", msgctl(0, MSG_INFO, (struct msqid_ds *)&info) >= 0 && info.msgpool >= 3 &&
                                          info.msgmap >= 1 && info.msgtql >= 1);
    check("msgctl IPC_INFO into a bad pointer: EFAULT", errno_is(syscall(SYS_msgctl, 0, IPC_INFO, BAD_PTR), EFAULT));
    int seen = 0;
    for (int i = 0; i <= max; i++) {
        int id = msgctl(i, MSG_STAT, &ds);
        if (id == k)
            seen |= 1;
        if (id == q && msgctl(i, MSG_STAT_ANY, &ds) == q && ds.msg_qnum == 1)
            seen |= 2;
    }
    check("MSG_STAT and MSG_STAT_ANY of each index find the queues", seen == 3);
    check("/proc/sysvipc/msg lists the keyed queue", in_sysvipc("msg", IPC_MSG_HEADER, k, key));
    check("/proc/sysvipc/msg lists an IPC_PRIVATE queue", in_sysvipc("msg", IPC_MSG_HEADER, q, IPC_PRIVATE));

    /* removal wakes a receiver */
    pid = spawn("rmid", q2);
    check("removal ends a blocking msgrcv: EIDRM", errno_is(recv_text(q2, 0, sizeof m.mtext, 0, &m), EIDRM));
    check("the child removed it", child_ok(pid));
    check("a removed queue: EINVAL", errno_is(msgctl(q2, IPC_STAT, &ds), EINVAL) &&
                                         errno_is(send_text(q2, 1, "x", 0), EINVAL));
    check("IPC_RMID", msgctl(q, IPC_RMID, NULL) == 0 && msgctl(k, IPC_RMID, NULL) == 0);
    check("IPC_RMID again: EINVAL", errno_is(msgctl(k, IPC_RMID, NULL), EINVAL));
    check("its key is free", errno_is(msgget(key, 0), ENOENT));
    check("/proc/sysvipc/msg no longer lists it", !in_sysvipc("msg", IPC_MSG_HEADER, k, key));
    return finish();
}
