//! Message queues (`ipc/msg.c`).

use super::{now, proc_line_start, proc_owners, Entry, Table};
use crate::abi::ipc::{Msginfo, Msqid64Ds, MSGMAP, MSGMAX, MSGMNB, MSGMNI, MSGPOOL, MSGSEG, MSGSSZ, MSGTQL, MSG_INFO};
use crate::errno::{Errno, SysResult};
use std::collections::VecDeque;
use std::fmt::Write as _;

pub struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
}

pub struct MsgQueue {
    messages: VecDeque<Message>,
    /// Bytes of text on the queue, and at most how many (msg_qbytes).
    cbytes: u64,
    pub qbytes: u64,
    stime: i64,
    rtime: i64,
    pub ctime: i64,
    lspid: i32,
    lrpid: i32,
}

/// Which message msgrcv takes (`convert_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// The first one.
    Any,
    /// The first of this type.
    Equal(i64),
    /// The first of another type (MSG_EXCEPT).
    NotEqual(i64),
    /// The first of the lowest type at most this one (a negative msgtyp).
    LessEqual(i64),
    /// The one at this position, left on the queue (MSG_COPY).
    Number(i64),
}

impl MsgQueue {
    fn new() -> MsgQueue {
        MsgQueue {
            messages: VecDeque::new(),
            cbytes: 0,
            qbytes: u64::from(MSGMNB),
            stime: 0,
            rtime: 0,
            ctime: now(),
            lspid: 0,
            lrpid: 0,
        }
    }

    /// `msg_fits_inqueue`: both the bytes and the count of messages are
    /// bounded by msg_qbytes.
    fn fits(&self, len: u64) -> bool {
        let count = u64::try_from(self.messages.len()).unwrap_or(u64::MAX);
        len.saturating_add(self.cbytes) <= self.qbytes && count.saturating_add(1) <= self.qbytes
    }

    /// Queues a message if it fits; false if the queue is full.
    pub(crate) fn send(&mut self, msg: Message, pid: i32) -> Result<(), Message> {
        let len = msg.text.len() as u64;
        if !self.fits(len) {
            return Err(msg);
        }
        self.lspid = pid;
        self.stime = now();
        self.cbytes = self.cbytes.saturating_add(len);
        self.messages.push_back(msg);
        Ok(())
    }

    /// `find_msg`: the position of the message `how` picks.
    fn find(&self, how: Search) -> Option<usize> {
        let mut found = None;
        let mut limit = match how {
            Search::LessEqual(t) => t,
            _ => 0,
        };
        for (i, m) in self.messages.iter().enumerate() {
            match how {
                Search::Any => return Some(i),
                Search::Equal(t) if m.mtype == t => return Some(i),
                Search::NotEqual(t) if m.mtype != t => return Some(i),
                Search::Number(n) if i64::try_from(i).is_ok_and(|i| i == n) => return Some(i),
                Search::LessEqual(_) if m.mtype <= limit => {
                    // Only a lower type can win from here on.
                    found = Some(i);
                    if m.mtype == 1 {
                        return found;
                    }
                    limit = m.mtype.saturating_sub(1);
                }
                _ => {}
            }
        }
        found
    }

    /// msgrcv's pick: `Ok(None)` if there is no such message; E2BIG if it
    /// is longer than `bufsz` (unless `truncate`). Taken off the queue
    /// unless it is MSG_COPY's (`Search::Number`), then copied, EINVAL if
    /// longer than `copy_max`.
    pub(crate) fn receive(
        &mut self,
        how: Search,
        bufsz: u64,
        truncate: bool,
        copy_max: u64,
        pid: i32,
    ) -> SysResult<Option<Message>> {
        let Some(i) = self.find(how) else { return Ok(None) };
        let len = self.messages[i].text.len() as u64;
        if bufsz < len && !truncate {
            return Err(Errno::E2BIG);
        }
        if matches!(how, Search::Number(_)) {
            if len > copy_max {
                return Err(Errno::EINVAL);
            }
            let m = &self.messages[i];
            return Ok(Some(Message { mtype: m.mtype, text: m.text.clone() }));
        }
        let Some(m) = self.messages.remove(i) else { return Ok(None) };
        self.cbytes = self.cbytes.saturating_sub(len);
        self.rtime = now();
        self.lrpid = pid;
        Ok(Some(m))
    }

    fn count(&self) -> u64 {
        self.messages.len() as u64
    }
}

/// What IPC_STAT shows of a queue.
pub(crate) fn stat(e: &Entry<MsgQueue>) -> Msqid64Ds {
    let q = &e.obj;
    Msqid64Ds {
        msg_perm: e.perm.to_abi(),
        msg_stime: q.stime,
        msg_rtime: q.rtime,
        msg_ctime: q.ctime,
        msg_cbytes: q.cbytes,
        msg_qnum: q.count(),
        msg_qbytes: q.qbytes,
        msg_lspid: q.lspid,
        msg_lrpid: q.lrpid,
        ..Default::default()
    }
}

impl Table<MsgQueue> {
    /// msgget.
    pub(crate) fn get_queue(&mut self, key: i32, flags: i32) -> SysResult<i32> {
        self.get_or_make(key, flags, MSGMNI, |_| Ok(()), || Ok(MsgQueue::new()))
    }

    /// IPC_INFO / MSG_INFO (`msgctl_info`); returns it with the highest
    /// index in use.
    pub(crate) fn info(&self, cmd: i32) -> (Msginfo, i32) {
        let mut info = Msginfo {
            msgmni: MSGMNI as i32,
            msgmax: MSGMAX as i32,
            msgmnb: MSGMNB as i32,
            msgssz: MSGSSZ,
            msgseg: MSGSEG,
            ..Default::default()
        };
        if cmd == MSG_INFO {
            let clamp = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
            info.msgpool = clamp(self.in_use() as u64);
            info.msgmap = clamp(self.iter().map(|e| e.obj.count()).fold(0, u64::saturating_add));
            info.msgtql = clamp(self.iter().map(|e| e.obj.cbytes).fold(0, u64::saturating_add));
        } else {
            info.msgmap = MSGMAP;
            info.msgpool = MSGPOOL;
            info.msgtql = MSGTQL;
        }
        (info, self.max_idx().max(0))
    }

    /// /proc/sysvipc/msg.
    pub(crate) fn proc_text(&self) -> String {
        let mut s = String::from(
            "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
        );
        for e in self.iter() {
            let q = &e.obj;
            proc_line_start(&mut s, e.id, &e.perm);
            let _ = write!(s, " {:>10} {:>10} {:>5} {:>5} ", q.cbytes, q.count(), q.lspid, q.lrpid);
            proc_owners(&mut s, &e.perm);
            let _ = writeln!(s, " {:>10} {:>10} {:>10}", q.stime, q.rtime, q.ctime);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(types: &[i64]) -> MsgQueue {
        let mut q = MsgQueue::new();
        for (i, &t) in types.iter().enumerate() {
            assert!(q.send(Message { mtype: t, text: vec![i as u8] }, 1).is_ok());
        }
        q
    }

    #[test]
    fn msgrcv_picks_as_linux() {
        let q = queue(&[5, 3, 4, 3, 2, 7]);
        assert_eq!(q.find(Search::Any), Some(0));
        assert_eq!(q.find(Search::Equal(3)), Some(1));
        assert_eq!(q.find(Search::Equal(9)), None);
        assert_eq!(q.find(Search::NotEqual(5)), Some(1));
        assert_eq!(q.find(Search::LessEqual(4)), Some(4), "the lowest type, 2");
        assert_eq!(q.find(Search::LessEqual(3)), Some(4));
        assert_eq!(q.find(Search::LessEqual(1)), None);
        assert_eq!(q.find(Search::Number(5)), Some(5));
        assert_eq!(q.find(Search::Number(6)), None);
        let q = queue(&[3, 1, 1]);
        assert_eq!(q.find(Search::LessEqual(i64::MAX)), Some(1), "the first of the lowest");
    }

    #[test]
    fn a_full_queue_refuses_and_counts_bytes() {
        let mut q = MsgQueue::new();
        q.qbytes = 10;
        assert!(q.send(Message { mtype: 1, text: vec![0; 6] }, 1).is_ok());
        assert!(q.send(Message { mtype: 1, text: vec![0; 5] }, 1).is_err());
        assert!(q.send(Message { mtype: 1, text: vec![0; 4] }, 1).is_ok());
        assert_eq!(q.receive(Search::Any, 2, false, 0, 2).err(), Some(Errno::E2BIG));
        let m = q.receive(Search::Any, 2, true, 0, 2).unwrap().unwrap();
        assert_eq!(m.text.len(), 6, "MSG_NOERROR truncates when copied out");
        assert_eq!((q.cbytes, q.count(), q.lrpid), (4, 1, 2));
        assert_eq!(q.receive(Search::Number(0), 8, false, 3, 2).err(), Some(Errno::EINVAL));
        assert!(q.receive(Search::Number(0), 8, false, 8, 2).unwrap().is_some());
        assert_eq!(q.count(), 1, "MSG_COPY leaves it there");
    }
}
