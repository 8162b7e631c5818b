//! The deterministic zip: sorted entries, one fixed timestamp, fixed
//! permissions; encrypted payloads are stored (they do not compress).
//! It is read for its signature while it is written ([`read_while_written`]).

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use walkdir::WalkDir;
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::i18n::Wording;

pub fn zip_time(epoch_seconds: i64) -> DateTime {
    let dt = chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .unwrap_or_default()
        .naive_utc();
    use chrono::{Datelike, Timelike};
    DateTime::from_date_and_time(
        dt.year().clamp(1980, 2107) as u16,
        dt.month() as u8,
        dt.day() as u8,
        dt.hour() as u8,
        dt.minute() as u8,
        dt.second() as u8,
    )
    .unwrap_or_default()
}

/// Zips the folder `site` as `site/…` into `zip_path` and returns what
/// `read` makes of the zip's bytes (its signature), read while it is written.
pub fn write_zip_read<T: Send>(
    site: &Path,
    zip_path: &Path,
    epoch_seconds: i64,
    read: impl Fn(&mut dyn Read) -> Result<T, Wording> + Sync,
) -> Result<T, Wording> {
    let made = read_while_written(zip_path, |out| write_zip(site, out, epoch_seconds), &read);
    match made {
        Ok(made) => made,
        Err(ReadWhileWritten::Write(e)) => Err(Wording::io_at("err_write", zip_path, &e)),
        Err(ReadWhileWritten::Read(e)) => Err(Wording::io_at("err_read", zip_path, &e)),
    }
}

/// Zips the folder `site` as `site/…` into `out`. Every failure is one of
/// writing the zip (a site file that cannot be read included).
fn write_zip(site: &Path, out: &mut SettlingFile, epoch_seconds: i64) -> io::Result<()> {
    let zip_err = |e: ZipError| match e {
        ZipError::Io(e) => e,
        other => io::Error::other(other),
    };
    let mut paths: Vec<String> = WalkDir::new(site)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            e.path()
                .strip_prefix(site)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    paths.sort();
    let mut zip = ZipWriter::new(out);
    let time = zip_time(epoch_seconds);
    for rel in paths {
        // Payloads do not compress; the manifest and signatures are stored too,
        // so the zip's size follows from its files' sizes alone (deflating
        // hash text would make it vary by a few bytes from build to build).
        let stored = rel.starts_with("data/") || rel.ends_with(".minisig") || rel == "SHA256SUMS";
        let options = SimpleFileOptions::default()
            .compression_method(if stored {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            })
            .last_modified_time(time)
            .unix_permissions(0o644);
        zip.start_file(format!("site/{rel}"), options)
            .map_err(zip_err)?;
        io::copy(&mut File::open(site.join(&rel))?, &mut zip)?;
    }
    zip.finish().map_err(zip_err)?;
    Ok(())
}

/// Why [`read_while_written`] failed.
#[derive(Debug)]
enum ReadWhileWritten {
    Write(io::Error),
    Read(io::Error),
}

/// Creates the file `path`, lets `write` write it and, on another thread,
/// `read` read it while it is written (the zip's BLAKE2b prehash for its
/// signature, which took as long again as writing the zip when it came
/// after). Bytes are read once they are settled: the zip writer goes back
/// only to fill in the header of the entry it has just written, so every
/// byte before the place it goes back to is final. Should anything be
/// written before a settled place after all, what `read` made is dropped and
/// the finished file is read again: the result is always that of the file as
/// it was written.
fn read_while_written<T: Send>(
    path: &Path,
    write: impl FnOnce(&mut SettlingFile) -> io::Result<()>,
    read: &(impl Fn(&mut dyn Read) -> T + Sync),
) -> Result<T, ReadWhileWritten> {
    let file = File::create(path).map_err(ReadWhileWritten::Write)?;
    let reading = File::open(path).map_err(ReadWhileWritten::Read)?;
    let (settled, settling) = sync_channel(64);
    let mut out = SettlingFile {
        file: BufWriter::new(file),
        at: 0,
        end: 0,
        settled: 0,
        rewritten: false,
        tell: Some(settled),
    };
    let (written, made) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut settled = SettledReader {
                file: reading,
                at: 0,
                settled: 0,
                settling,
                failed: false,
            };
            let made = read(&mut settled);
            (made, settled.failed)
        });
        let written = write(&mut out).and_then(|()| out.finish());
        // Closed in every case, so the reader ends.
        out.tell = None;
        (written, reader.join())
    });
    written.map_err(ReadWhileWritten::Write)?;
    match made {
        Ok((made, false)) if !out.rewritten => Ok(made),
        // Rewritten where it had been read, or the file could not be read
        // while it was written: read it whole again, now that it is done.
        _ => {
            let mut file = io::BufReader::new(File::open(path).map_err(ReadWhileWritten::Read)?);
            Ok(read(&mut file))
        }
    }
}

/// A file being written (through a buffer) that tells a reader how far its
/// bytes are settled.
struct SettlingFile {
    file: BufWriter<File>,
    /// Where the next byte goes.
    at: u64,
    end: u64,
    /// Bytes before this are final (as far as the writer has shown).
    settled: u64,
    /// A byte before `settled` was written after all.
    rewritten: bool,
    tell: Option<SyncSender<u64>>,
}

impl SettlingFile {
    fn settle(&mut self, upto: u64) -> io::Result<()> {
        if upto <= self.settled || self.rewritten {
            return Ok(());
        }
        // The reader reads the file: what it may read must be in it.
        self.file.flush()?;
        self.settled = upto;
        if let Some(tell) = &self.tell {
            // A reader that stopped reads nothing more; its result is not used then.
            if tell.send(upto).is_err() {
                self.rewritten = true;
            }
        }
        Ok(())
    }

    /// Flushes everything (read again from the file if it was rewritten) and
    /// settles it.
    fn finish(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.settle(self.end)
    }
}

impl Write for SettlingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.at < self.settled {
            self.rewritten = true;
            self.tell = None;
        }
        let n = self.file.write(buf)?;
        self.at += n as u64;
        self.end = self.end.max(self.at);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for SettlingFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.file.seek(to)?;
        self.at = at;
        // Going back to fill in a header: everything before it is final.
        if at < self.end {
            self.settle(at)?;
        }
        Ok(at)
    }
}

/// Reads a [`SettlingFile`] through its own handle, never past what is settled.
struct SettledReader {
    file: File,
    at: u64,
    settled: u64,
    settling: Receiver<u64>,
    /// The file could not be read as far as it was settled (a file system
    /// that does not show one handle's writes to another at once).
    failed: bool,
}

impl Read for SettledReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.at == self.settled {
            match self.settling.recv() {
                Ok(upto) => self.settled = self.settled.max(upto),
                // The writer is done (or gave up on this reader).
                Err(_) => return Ok(0),
            }
        }
        let most = usize::try_from(self.settled - self.at).unwrap_or(usize::MAX);
        let len = buf.len().min(most);
        let n = self
            .file
            .read(&mut buf[..len])
            .inspect_err(|_| self.failed = true)?;
        if n == 0 {
            self.failed = true;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file is shorter than what was written",
            ));
        }
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use sha2::{Digest, Sha256};

    use super::*;

    /// What a reader makes of the bytes: their SHA-256, counting the reads.
    fn hashing(reads: &AtomicUsize) -> impl Fn(&mut dyn Read) -> [u8; 32] + Sync + '_ {
        move |r: &mut dyn Read| {
            reads.fetch_add(1, Ordering::SeqCst);
            let mut hash = Sha256::new();
            let _ = io::copy(r, &mut hash);
            hash.finalize().into()
        }
    }

    fn sha256_of(path: &Path) -> [u8; 32] {
        Sha256::digest(std::fs::read(path).expect("read")).into()
    }

    #[test]
    fn a_zip_read_while_written_reads_as_the_finished_zip_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("data")).expect("mkdir");
        // Entries larger and smaller than the write buffer, stored and deflated.
        for (n, len) in [(0, 10), (1, 200_000), (2, 8192), (3, 3_000_000)] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + n) as u8).collect();
            std::fs::write(site.join(format!("data/{n}.js")), bytes).expect("write");
        }
        std::fs::write(site.join("index.html"), "<p>点</p>".repeat(5000)).expect("write");
        let zip_path = dir.path().join("room.zip");
        let reads = AtomicUsize::new(0);
        let read = hashing(&reads);
        let hash = write_zip_read(&site, &zip_path, 0, |r| Ok(read(r))).expect("zipped");
        assert_eq!(
            hash,
            sha256_of(&zip_path),
            "what was read is the zip as written"
        );
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "the zip writer rewrote bytes already read: the zip was read twice"
        );
        let archive = zip::ZipArchive::new(File::open(&zip_path).expect("open")).expect("a zip");
        assert_eq!(archive.len(), 5);
    }

    #[test]
    fn bytes_written_again_where_they_were_read_are_read_again_from_the_finished_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("file");
        let reads = AtomicUsize::new(0);
        let hash = read_while_written(
            &path,
            |out| {
                out.write_all(&[1; 100_000])?;
                // Back to fill in a header: everything before 50,000 is settled.
                out.seek(SeekFrom::Start(50_000))?;
                out.write_all(&[2; 10])?;
                out.seek(SeekFrom::End(0))?;
                out.write_all(&[3; 100_000])?;
                // Now before a settled place after all.
                out.seek(SeekFrom::Start(10))?;
                out.write_all(&[4; 10])?;
                out.seek(SeekFrom::End(0))?;
                out.write_all(&[5; 10])
            },
            &hashing(&reads),
        )
        .expect("written");
        assert_eq!(hash, sha256_of(&path));
        assert_eq!(reads.load(Ordering::SeqCst), 2, "read again whole");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!((bytes.len(), bytes[10], bytes[50_000]), (200_010, 4, 2));
    }

    #[test]
    fn a_file_shorter_than_what_was_settled_is_a_failed_read_not_its_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("file");
        std::fs::write(&path, [7; 10]).expect("write");
        let (tell, settling) = sync_channel(1);
        let mut reader = SettledReader {
            file: File::open(&path).expect("open"),
            at: 0,
            settled: 0,
            settling,
            failed: false,
        };
        tell.send(100).expect("told");
        drop(tell);
        let mut read = Vec::new();
        let error = reader.read_to_end(&mut read).expect_err("short");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            reader.failed,
            "the writer must read the finished file again"
        );
        assert_eq!(read, [7; 10]);
    }

    #[test]
    fn a_write_that_fails_is_its_error_and_the_reader_ends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reads = AtomicUsize::new(0);
        let failed = read_while_written(
            &dir.path().join("file"),
            |out| {
                out.write_all(&[1; 100_000])?;
                out.seek(SeekFrom::Start(10))?;
                Err(io::Error::other("disk full"))
            },
            &hashing(&reads),
        );
        assert!(
            matches!(&failed, Err(ReadWhileWritten::Write(e)) if e.to_string() == "disk full"),
            "{failed:?}"
        );
    }
}
