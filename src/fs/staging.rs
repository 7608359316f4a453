//! The host directory where a machine keeps the contents of its memory
//! file systems (tmpfs, ramfs): one private directory per machine in a
//! host memory file system (`hostmount::memory_dir`: /dev/shm when it is
//! a writable tmpfs, else $XDG_RUNTIME_DIR, else the temporary directory,
//! on disk, as `nommu caps` says), one subdirectory per mount. Removed when the machine ends; leftovers of machines that were
//! killed are removed by the next one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

const PREFIX: &str = "nommu-mem-";

#[derive(Default)]
pub(crate) struct Staging {
    dir: Mutex<Option<PathBuf>>,
}

impl Staging {
    /// A new empty directory for mount `id`.
    pub(crate) fn new_dir(&self, id: u32) -> std::io::Result<PathBuf> {
        let mut dir = self.dir.lock().unwrap_or_else(|e| e.into_inner());
        let base = match &*dir {
            Some(d) => d.clone(),
            None => {
                let parent = host_memory_dir();
                remove_stale(&parent);
                // One per machine (unit tests make several in one process).
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let d = parent.join(format!("{PREFIX}{}-m{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&d);
                std::fs::create_dir(&d)?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
                *dir = Some(d.clone());
                d
            }
        };
        let sub = base.join(id.to_string());
        std::fs::create_dir(&sub)?;
        Ok(sub)
    }

    pub(crate) fn remove(&self) {
        if let Some(d) = self.dir.lock().unwrap_or_else(|e| e.into_inner()).take() {
            remove_tree(&d);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A new directory `<base>/nommu-mem-<pid>-<tag><n>` made by `create`
/// (which sets its mode), skipping names that exist.
pub(crate) fn unique_dir(
    base: &Path,
    tag: &str,
    create: impl Fn(&Path) -> std::io::Result<()>,
) -> std::io::Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut tries = 0;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let d = base.join(format!("{PREFIX}{}-{tag}{n}", std::process::id()));
        match create(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Removes a machine's directory, even where the guest (or an archive)
/// left directories without write permission in it.
pub(crate) fn remove_tree(dir: &Path) {
    if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
        return;
    }
    make_writable(dir);
    if let Err(e) = std::fs::remove_dir_all(dir) {
        log::warn!("cannot remove {}: {e}", dir.display());
    }
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            make_writable(&e.path());
        }
    }
}

/// Where the machine's memory file systems keep their files.
fn host_memory_dir() -> PathBuf {
    let d = crate::arch::hostmount::memory_dir();
    if !d.tmpfs.in_force() {
        log::info!("the machine's tmpfs files live in {}: on disk, not memory", d.path.display());
    }
    d.path
}

/// Removes the directories that machines of this host user left in
/// `parent` when their nommu process was killed before it could.
pub(crate) fn remove_stale(parent: &Path) {
    use std::os::unix::fs::MetadataExt;
    // This process's effective uid: the owner of /proc/self.
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX);
    let Ok(list) = std::fs::read_dir(parent) else { return };
    for e in list.flatten() {
        let name = e.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX)).and_then(|p| p.split('-').next());
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let ours = std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir() && m.uid() == me);
        if ours && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            log::info!("removing {}, left by a nommu that is gone", e.path().display());
            remove_tree(&e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_directories_are_swept() {
        let b = std::env::temp_dir().join(format!("nommu-staging-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&b);
        std::fs::create_dir_all(&b).unwrap();
        // A pid that cannot exist (above pid_max's limit of 2^22), with a
        // read-only directory inside.
        let stale = b.join(format!("{PREFIX}99999999-root0"));
        std::fs::create_dir_all(stale.join("root/x/y")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(stale.join("root/x"), std::fs::Permissions::from_mode(0o555)).unwrap();
        let live = b.join(format!("{PREFIX}{}-root77", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        let other = b.join("unrelated-99999999");
        std::fs::create_dir(&other).unwrap();
        remove_stale(&b);
        assert!(!stale.exists() && live.exists() && other.exists());
        std::fs::remove_dir_all(&b).unwrap();
    }
}
