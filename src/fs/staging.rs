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
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A new private (0700) directory of this nommu process in the host
/// memory file system, named after `tag`.
pub(crate) fn new_private_dir(tag: &str) -> std::io::Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let parent = host_memory_dir();
    remove_stale(&parent);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let d = parent.join(format!("{PREFIX}{}-{tag}{n}", std::process::id()));
    std::fs::create_dir(&d)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))?;
    Ok(d)
}

/// Where the machine's memory file systems keep their files.
fn host_memory_dir() -> PathBuf {
    let d = crate::arch::hostmount::memory_dir();
    if !d.tmpfs.in_force() {
        log::info!("the machine's tmpfs files live in {}: on disk, not memory", d.path.display());
    }
    d.path
}

/// Removes directories of machines whose nommu process is gone.
fn remove_stale(parent: &Path) {
    let Ok(list) = std::fs::read_dir(parent) else { return };
    for e in list.flatten() {
        let name = e.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX)).and_then(|p| p.split('-').next());
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
