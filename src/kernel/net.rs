//! What the machine knows about its guests' sockets that the host cannot
//! tell it: which guest process owns a host socket (the host sees only
//! nommu), which guest names a unix socket was bound to, and the tag that
//! keeps the machine's abstract unix names apart from the host's.

use crate::fs::file::OpenFile;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// What guests may reach (`--net`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetMode {
    /// The host's network, as qemu-user gives it.
    #[default]
    Host,
    /// Unix sockets only: internet sockets can be made but reach nothing.
    None,
}

impl NetMode {
    pub fn parse(s: &str) -> Option<NetMode> {
        match s {
            "host" => Some(NetMode::Host),
            "none" => Some(NetMode::None),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NetMode::Host => "host",
            NetMode::None => "none",
        }
    }

    /// The banner's and `--report`'s line.
    pub fn describe(self) -> &'static str {
        match self {
            NetMode::Host => "host (internet sockets reach the host's network; unix sockets stay in the root)",
            NetMode::None => "none (unix sockets only; internet sockets reach nothing: ENETUNREACH)",
        }
    }
}

/// A guest socket the machine made, by host inode.
struct Owned {
    file: Weak<OpenFile>,
    /// The guest pid whose credentials its peer sees (Linux records them
    /// at socket, connect and listen time).
    pid: i32,
    /// The peer's pid where nommu learnt it when connecting (socketpair,
    /// connect); accepted sockets ask the host who their peer is.
    peer_pid: Option<i32>,
    /// Who sent on it last (or named itself in `SCM_CREDENTIALS`): the
    /// sender a receiver's `SCM_CREDENTIALS` names.
    last_sender: Option<i32>,
}

/// A unix socket path as a guest bound it.
struct Bound {
    file: Weak<OpenFile>,
    guest_name: Vec<u8>,
}

pub(crate) struct Net {
    mode: NetMode,
    /// Put before every abstract name a guest uses on the host.
    abstract_tag: Vec<u8>,
    sockets: Mutex<Registry<u64, Owned>>,
    /// By the address the host knows the socket by (`sun_path` bytes).
    bound: Mutex<Registry<Vec<u8>, Bound>>,
}

/// A map whose entries die with their socket: dead ones are swept when
/// the map has doubled since the last sweep, so a server that accepts a
/// million connections does not keep a million entries.
struct Registry<K, V> {
    map: HashMap<K, V>,
    swept_at: usize,
}

trait Liveness {
    fn alive(&self) -> bool;
}

impl Liveness for Owned {
    fn alive(&self) -> bool {
        self.file.strong_count() > 0
    }
}

impl Liveness for Bound {
    fn alive(&self) -> bool {
        self.file.strong_count() > 0
    }
}

impl<K: std::hash::Hash + Eq, V: Liveness> Registry<K, V> {
    fn new() -> Self {
        Registry { map: HashMap::new(), swept_at: 64 }
    }

    fn insert(&mut self, k: K, v: V) {
        self.map.insert(k, v);
        if self.map.len() >= self.swept_at.saturating_mul(2) {
            self.map.retain(|_, v| v.alive());
            self.swept_at = self.map.len().max(64);
        }
    }

    fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).filter(|v| v.alive())
    }

    fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).filter(|v| v.alive())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Net {
    pub(crate) fn new(mode: NetMode) -> Net {
        // Unique among the machines of this host for as long as they run.
        static MACHINES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = MACHINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let abstract_tag = format!("nommu{:x}.{n:x}/", std::process::id()).into_bytes();
        Net { mode, abstract_tag, sockets: Mutex::new(Registry::new()), bound: Mutex::new(Registry::new()) }
    }

    pub(crate) fn mode(&self) -> NetMode {
        self.mode
    }

    pub(crate) fn abstract_tag(&self) -> &[u8] {
        &self.abstract_tag
    }

    /// A guest socket now owned by `pid` (made, connected, listening).
    pub(crate) fn set_owner(&self, ino: u64, file: &Arc<OpenFile>, pid: i32) {
        let mut sockets = lock(&self.sockets);
        match sockets.get_mut(&ino) {
            Some(s) => s.pid = pid,
            None => sockets.insert(ino, Owned { file: Arc::downgrade(file), pid, peer_pid: None, last_sender: None }),
        }
    }

    /// The guest pid that owns a host socket, if a guest's.
    pub(crate) fn owner(&self, ino: u64) -> Option<i32> {
        lock(&self.sockets).get(&ino).map(|s| s.pid)
    }

    pub(crate) fn set_peer(&self, ino: u64, peer_pid: i32) {
        if let Some(s) = lock(&self.sockets).get_mut(&ino) {
            s.peer_pid = Some(peer_pid);
        }
    }

    /// `pid` sends on the guest socket `ino`.
    pub(crate) fn note_sender(&self, ino: u64, pid: i32) {
        if let Some(s) = lock(&self.sockets).get_mut(&ino) {
            s.last_sender = Some(pid);
        }
    }

    /// Whom a message from the guest socket `ino` comes from.
    pub(crate) fn sender(&self, ino: u64) -> Option<i32> {
        lock(&self.sockets).get(&ino).map(|s| s.last_sender.unwrap_or(s.pid))
    }

    pub(crate) fn known_peer(&self, ino: u64) -> Option<i32> {
        lock(&self.sockets).get(&ino).and_then(|s| s.peer_pid)
    }

    /// A guest bound `file` to `guest_name`, known to the host as `host_name`.
    pub(crate) fn bind(&self, host_name: Vec<u8>, guest_name: Vec<u8>, file: &Arc<OpenFile>) {
        lock(&self.bound).insert(host_name, Bound { file: Arc::downgrade(file), guest_name });
    }

    /// The name a guest bound, by the name the host knows.
    pub(crate) fn guest_name(&self, host_name: &[u8]) -> Option<Vec<u8>> {
        lock(&self.bound).get(&host_name.to_vec()).map(|b| b.guest_name.clone())
    }

    /// The socket bound to a host name, if a guest's and still open.
    pub(crate) fn bound_socket(&self, host_name: &[u8]) -> Option<Arc<OpenFile>> {
        lock(&self.bound).get(&host_name.to_vec()).and_then(|b| b.file.upgrade())
    }
}
