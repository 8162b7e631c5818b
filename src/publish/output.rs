//! The one place that writes a build's output.
//!
//! A build writes into a staging folder beside the output folder and swaps it in
//! only at the very end, so a failed or killed build leaves the previous output
//! exactly as it was. An exclusive lock beside the output keeps a second build
//! (or restore) into the same folder out while one runs, and the swap removes
//! only the files the previous output held when this build started: a file the
//! user put into the folder meanwhile is never deleted.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::i18n::Wording;

/// Marks a folder as dataroom output, so a build never replaces a folder it did
/// not make. It lists the files the build wrote, one per line after the first.
pub const MARKER: &str = ".dataroom-output";
const MARKER_HEAD: &str = "made by dataroom; replaced by every build";

/// Size and modification time of every file of a folder, by relative path.
type Snapshot = BTreeMap<PathBuf, (u64, Option<SystemTime>)>;

pub struct Staging {
    final_dir: PathBuf,
    dir: PathBuf,
    committed: bool,
    /// Owner-only permissions (restore writes decrypted personal data).
    private: bool,
    /// The output as it was when the build started: what the swap may remove.
    previous: Snapshot,
    /// Held until the build is swapped in or dropped; the OS releases it when a
    /// build is killed.
    _lock: fs::File,
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// `.NAME.lock` beside the output. It stays: removing a lock file while
/// another process waits on it would let two builds in.
fn lock_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.lock"))
}

/// How long `begin` waits for a lock released a moment ago.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

fn lock_output(out: &Path) -> io::Result<fs::File> {
    let path = lock_path(out);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    // A lock held for a moment only is not another build: a child process that
    // this process (or a test harness) forks inherits the lock's file description
    // until it execs, so a lock just released can still look held for a few
    // milliseconds. Wait that out; a real concurrent build holds it far longer.
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    let mut held = file.try_lock();
    while matches!(held, Err(fs::TryLockError::WouldBlock)) && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
        held = file.try_lock();
    }
    match held {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(Wording::new("err_output_locked")
            .path("out", out)
            .path("lock", &path)
            .into_io(io::ErrorKind::WouldBlock)),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

fn snapshot(dir: &Path) -> Snapshot {
    WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let rel = e.path().strip_prefix(dir).ok()?.to_path_buf();
            Some((rel, (meta.len(), meta.modified().ok())))
        })
        .collect()
}

/// Files of `now` that are not in `before` exactly as they were.
fn added_or_changed(before: &Snapshot, now: &Snapshot) -> Vec<PathBuf> {
    now.iter()
        .filter(|(path, state)| before.get(*path) != Some(*state))
        .map(|(path, _)| path.clone())
        .collect()
}

impl Staging {
    /// Starts a build into `out`. Refuses an existing non-empty folder that is not
    /// dataroom output, and a folder another build is writing. Leftovers of
    /// killed builds are removed.
    pub fn begin(out: &Path) -> io::Result<Staging> {
        Staging::start(out, false)
    }

    /// Like [`Staging::begin`], but every file is written 0600 and every folder
    /// 0700 (on Unix): for decrypted personal data.
    pub fn begin_private(out: &Path) -> io::Result<Staging> {
        Staging::start(out, true)
    }

    fn start(out: &Path, private: bool) -> io::Result<Staging> {
        if out.exists() {
            let is_ours = out.join(MARKER).exists();
            let is_empty = fs::read_dir(out)?.next().is_none();
            if !is_ours && !is_empty {
                return Err(Wording::new("err_output_foreign_folder")
                    .path("out", out)
                    .into_io(io::ErrorKind::AlreadyExists));
            }
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let lock = lock_output(out)?;
        remove_leftovers(out);
        let previous = snapshot(out);
        let foreign = not_made_by_dataroom(out, &previous);
        if let Some(first) = foreign.first() {
            return Err(Wording::new("err_output_foreign_files")
                .path("out", out)
                .arg("count", foreign.len())
                .path("file", first)
                .into_io(io::ErrorKind::AlreadyExists));
        }
        let dir = sibling(out, "staging");
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        create_dir(&dir, private)?;
        let staging = Staging {
            final_dir: out.to_path_buf(),
            dir,
            committed: false,
            private,
            previous,
            _lock: lock,
        };
        Ok(staging)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes one file (creating its folders when needed) and returns its SHA-256.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<[u8; 32]> {
        use std::io::Write;
        self.create(rel)?.write_all(bytes)?;
        Ok(Sha256::digest(bytes).into())
    }

    /// Creates one file to be written as it is made (creating its folders
    /// when needed): restore writes a page of 100,000 rows shard by shard.
    pub fn create(&self, rel: &str) -> io::Result<fs::File> {
        let path = self.dir.join(rel);
        // Most files go into folders that exist already: try first, create on demand.
        match create_file(&path, self.private) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent() {
                    create_dir(parent, self.private)?;
                }
                create_file(&path, self.private)
            }
            created => created,
        }
    }

    /// Swaps the finished build in: the old output is moved aside, the new one
    /// renamed into place, then the old one's files removed, but only those the
    /// old output held when this build started. A file the user added or changed
    /// in the output meanwhile stops the swap before anything is replaced.
    pub fn commit(mut self) -> io::Result<()> {
        let mut marker = format!("{MARKER_HEAD}\n");
        for rel in snapshot(&self.dir).keys() {
            marker.push_str(&rel.to_string_lossy().replace('\\', "/"));
            marker.push('\n');
        }
        self.write(MARKER, marker.as_bytes())?;
        let touched = added_or_changed(&self.previous, &snapshot(&self.final_dir));
        if let Some(first) = touched.first() {
            return Err(Wording::new("err_output_touched")
                .path("file", first)
                .path("out", &self.final_dir)
                .into_io(io::ErrorKind::Other));
        }
        let old = sibling(&self.final_dir, "previous");
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        let had_old = self.final_dir.exists();
        if had_old {
            fs::rename(&self.final_dir, &old)?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.final_dir) {
            if had_old {
                let _ = fs::rename(&old, &self.final_dir);
            }
            return Err(e);
        }
        self.committed = true;
        if had_old {
            remove_known_files(&old, &self.previous);
        }
        Ok(())
    }
}

/// Files of the output folder `out` that its marker does not list. A marker of
/// an older version lists nothing: then every file counts as the build's.
fn not_made_by_dataroom(out: &Path, files: &Snapshot) -> Vec<PathBuf> {
    let Ok(marker) = fs::read_to_string(out.join(MARKER)) else {
        return Vec::new();
    };
    let listed: std::collections::BTreeSet<&str> = marker.lines().skip(1).collect();
    if listed.is_empty() {
        return Vec::new();
    }
    files
        .keys()
        .filter(|rel| {
            let rel = rel.to_string_lossy().replace('\\', "/");
            rel != MARKER && !listed.contains(rel.as_str())
        })
        .cloned()
        .collect()
}

/// Removes the files of `dir` that are in `known` unchanged, then the folders
/// left empty. A file written in the instant between the last check and the
/// swap survives: the folder is then kept, renamed `NAME.kept-PID`, in view.
fn remove_known_files(dir: &Path, known: &Snapshot) {
    let now = snapshot(dir);
    for (rel, state) in &now {
        if known.get(rel) == Some(state) {
            let _ = fs::remove_file(dir.join(rel));
        }
    }
    let mut folders: Vec<PathBuf> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    // Deepest first, so parents are empty by the time they come.
    folders.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for folder in folders {
        let _ = fs::remove_dir(folder);
    }
    if dir.exists() {
        let name = dir.file_name().map_or_else(String::new, |n| {
            n.to_string_lossy()
                .trim_start_matches('.')
                .replace(".previous-", ".kept-")
        });
        let _ = fs::rename(dir, dir.with_file_name(name));
    }
}

fn create_dir(dir: &Path, private: bool) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    let _ = private;
    builder.create(dir)
}

fn create_file(path: &Path, private: bool) -> io::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = private;
    opts.open(path)
}

/// A writer that hashes (SHA-256) what it passes on: a file's hash as it
/// streams, without holding the file.
pub struct Hashed<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: io::Write> Hashed<W> {
    pub fn new(inner: W) -> Hashed<W> {
        Hashed {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The writer and the hash of everything written through it.
    pub fn finish(self) -> (W, [u8; 32]) {
        (self.inner, self.hasher.finalize().into())
    }
}

impl<W: io::Write> io::Write for Hashed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A killed build leaves `.NAME.staging-PID`; a build killed during the swap
/// leaves `.NAME.previous-PID` with the old output. Clean both up, restoring the
/// previous output if the swap never finished. Runs under the output's lock, so
/// no other build's staging folder is touched.
fn remove_leftovers(out: &Path) {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = name.to_string_lossy();
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&format!(".{name}.staging-")) {
            let _ = fs::remove_dir_all(e.path());
        } else if n.starts_with(&format!(".{name}.previous-")) {
            if !out.exists() {
                let _ = fs::rename(e.path(), out);
            } else {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
}
