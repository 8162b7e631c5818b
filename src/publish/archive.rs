//! The deterministic zip: sorted entries, one fixed timestamp, fixed
//! permissions; encrypted payloads are stored (they do not compress).

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

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

/// Zips the folder `site` as `site/…` into `zip_path`.
pub fn write_zip(site: &Path, zip_path: &Path, epoch_seconds: i64) -> Result<(), Wording> {
    let io_err = |e: &io::Error| Wording::io_at("err_write", zip_path, e);
    let zip_err = |e: ZipError| match e {
        ZipError::Io(e) => io_err(&e),
        other => Wording::io_at("err_write", zip_path, &io::Error::other(other)),
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
    let file = File::create(zip_path).map_err(|e| io_err(&e))?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
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
        let mut f = File::open(site.join(&rel)).map_err(|e| io_err(&e))?;
        io::copy(&mut f, &mut zip).map_err(|e| io_err(&e))?;
    }
    zip.finish().map_err(zip_err)?;
    Ok(())
}
