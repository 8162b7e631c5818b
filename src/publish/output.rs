//! The one place that writes a build's output.
//!
//! A build writes into a staging folder beside the output folder and swaps it in
//! only at the very end, so a failed or killed build leaves the previous output
//! exactly as it was.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Marks a folder as dataroom output, so a build never replaces a folder it did not make.
pub const MARKER: &str = ".dataroom-output";

pub struct Staging {
    final_dir: PathBuf,
    dir: PathBuf,
    committed: bool,
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

impl Staging {
    /// Starts a build into `out`. Refuses an existing non-empty folder that is not
    /// dataroom output. Leftovers of killed builds are removed.
    pub fn begin(out: &Path) -> io::Result<Staging> {
        if out.exists() {
            let is_ours = out.join(MARKER).exists();
            let is_empty = fs::read_dir(out)?.next().is_none();
            if !is_ours && !is_empty {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "`{}` exists and was not made by dataroom; choose an empty or new folder for --out",
                        out.display()
                    ),
                ));
            }
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        remove_leftovers(out);
        let dir = sibling(out, "staging");
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        fs::write(
            dir.join(MARKER),
            b"made by dataroom; replaced by every build\n",
        )?;
        Ok(Staging {
            final_dir: out.to_path_buf(),
            dir,
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes one file (creating its folders when needed) and returns its SHA-256.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<[u8; 32]> {
        let path = self.dir.join(rel);
        // Most files go into folders that exist already: try first, create on demand.
        if let Err(e) = fs::write(&path, bytes) {
            match (e.kind(), path.parent()) {
                (io::ErrorKind::NotFound, Some(parent)) => {
                    fs::create_dir_all(parent)?;
                    fs::write(&path, bytes)?;
                }
                _ => return Err(e),
            }
        }
        Ok(Sha256::digest(bytes).into())
    }

    /// Swaps the finished build in: the old output is moved aside, the new one
    /// renamed into place, then the old one removed.
    pub fn commit(mut self) -> io::Result<()> {
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
            let _ = fs::remove_dir_all(&old);
        }
        Ok(())
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
/// previous output if the swap never finished.
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
