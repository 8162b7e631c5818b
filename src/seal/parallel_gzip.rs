//! A large gzip stream (an export: clients.json is tens of MB at 10,000
//! clients) compressed on every core while it is written, as pigz does.
//!
//! One thread writes the export and cuts it into [`CHUNK`]s; the caller's
//! thread deflates the chunks waiting, several at once on rayon's threads,
//! and appends them in order. Each chunk is raw deflate ended by a sync flush
//! (its last block ends on a byte, not final), so the chunks one after the
//! other are one deflate stream; an empty final block ends it. The CRC-32 of
//! each chunk is combined into the whole stream's. The result is one ordinary
//! gzip member, the same bytes for the same input however it was written.
//!
//! Before, the export was serialized and deflated on one thread while the
//! others waited: 0.8 s of the 10,000-client build on one core (issue 11).

use std::io::{self, Write};
use std::sync::mpsc;

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;

use super::GZIP_LEVEL;

/// Input deflated as one piece. Each starts without the previous one's
/// window, which costs ~0.1 % of size at this length; a few in flight are a
/// few MB however large the export.
const CHUNK: usize = 1 << 20;
/// Chunks the writing thread may be ahead of the deflating.
const QUEUED: usize = 2;

/// The header flate2's `GzEncoder` writes at this level: no name, no time,
/// no extra flags, "unknown" operating system (reproducible).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// What `write` writes, gzipped after the bytes already in `out`. Returns
/// `out` and the length of what was written (uncompressed).
pub(crate) fn gzip_while_written(
    mut out: Vec<u8>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()> + Send,
) -> io::Result<(Vec<u8>, u64)> {
    out.extend_from_slice(&GZIP_HEADER);
    let (chunks, received) = mpsc::sync_channel(QUEUED);
    let (deflated, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut cut = Chunks {
                chunks,
                buf: Vec::with_capacity(CHUNK),
            };
            write(&mut cut)?;
            cut.send()
        });
        // Takes the receiver: when it stops early (an error), the writer's
        // next send fails and the writer stops too, never left waiting.
        let deflated = deflate_in_order(received, &mut out);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (deflated, written)
    });
    // A failed deflate first: the writer then only failed to send.
    let (crc, len) = deflated?;
    written?;
    out.extend_from_slice(&deflate_chunk(&[], FlushCompress::Finish)?);
    out.extend_from_slice(&crc.to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&(len as u32).to_le_bytes());
    Ok((out, len))
}

/// Deflates the chunks as they come, as many at once as rayon has threads,
/// appending each to `out` in order. Returns the CRC-32 and length of them all.
fn deflate_in_order(
    received: mpsc::Receiver<Vec<u8>>,
    out: &mut Vec<u8>,
) -> io::Result<(u32, u64)> {
    let at_once = rayon::current_num_threads().max(1);
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(at_once);
    while let Ok(first) = received.recv() {
        batch.push(first);
        while batch.len() < at_once {
            match received.try_recv() {
                Ok(chunk) => batch.push(chunk),
                Err(_) => break,
            }
        }
        let deflated: Vec<(Vec<u8>, crc32fast::Hasher)> = batch
            .par_iter()
            .map(|chunk| {
                let bytes = deflate_chunk(chunk, FlushCompress::Sync)?;
                let mut crc = crc32fast::Hasher::new();
                crc.update(chunk);
                Ok((bytes, crc))
            })
            .collect::<io::Result<_>>()?;
        for ((bytes, chunk_crc), chunk) in deflated.into_iter().zip(&batch) {
            out.extend_from_slice(&bytes);
            crc.combine(&chunk_crc);
            len += chunk.len() as u64;
        }
        batch.clear();
    }
    Ok((crc.finalize(), len))
}

/// `data` as raw deflate, ended by `flush`: `Sync` ends it on a byte with
/// more to come, `Finish` with the final block.
fn deflate_chunk(data: &[u8], flush: FlushCompress) -> io::Result<Vec<u8>> {
    let mut deflate = Compress::new(Compression::new(GZIP_LEVEL), false);
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    loop {
        let read = deflate.total_in() as usize;
        let status = deflate
            .compress_vec(&data[read..], &mut out, flush)
            .map_err(io::Error::other)?;
        let all_read = deflate.total_in() as usize == data.len();
        // Done when all is read and deflate stopped with room to spare (a
        // full buffer may hide more of the flush), or at the stream's end.
        if status == Status::StreamEnd
            || (flush != FlushCompress::Finish && all_read && out.len() < out.capacity())
        {
            return Ok(out);
        }
        out.reserve(out.capacity().max(4096));
    }
}

/// The writing side: cuts what is written into [`CHUNK`]s for the deflating.
struct Chunks {
    chunks: mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl Chunks {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.chunks
            .send(full)
            .map_err(|_| io::Error::other("the export's compression stopped"))
    }
}

impl Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&buf[..n]);
        if self.buf.len() == CHUNK {
            self.send()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text like an export's that deflate cannot shrink to nothing.
    fn export_like(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut out = Vec::with_capacity(len + 64);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(
                format!(
                    "{{\"id\":\"C-{:05}\",\"金额\":{}}},\n",
                    state % 100_000,
                    state % 977
                )
                .as_bytes(),
            );
        }
        out.truncate(len);
        out
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        // GzDecoder reads one member and checks its CRC-32 and length.
        let mut out = Vec::new();
        io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut out)
            .expect("one valid gzip member");
        out
    }

    fn gzipped_in_pieces(data: &[u8], piece: usize) -> (Vec<u8>, u64) {
        gzip_while_written(b"room".to_vec(), |out| {
            data.chunks(piece.max(1)).try_for_each(|p| out.write_all(p))
        })
        .expect("gzipped")
    }

    #[test]
    fn every_length_around_a_chunk_gunzips_to_what_was_written() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 17] {
            let data = export_like(len);
            let (framed, written) = gzipped_in_pieces(&data, 8191);
            assert_eq!(written, len as u64, "length of {len}");
            assert_eq!(&framed[..4], b"room", "what was in the buffer stays first");
            assert_eq!(gunzip(&framed[4..]), data, "content of {len}");
        }
    }

    #[test]
    fn the_same_export_is_the_same_bytes_however_it_was_written() {
        // Exports are told apart by their gzipped bytes (seal_site): equal
        // input must make equal output, whatever the writes' sizes.
        let data = export_like(3 * CHUNK + 1000);
        let (one, _) = gzipped_in_pieces(&data, 100);
        let (other, _) = gzipped_in_pieces(&data, CHUNK + 3);
        assert_eq!(one, other);
        assert!(
            one.len() < data.len() / 2,
            "compressed: {} of {}",
            one.len(),
            data.len()
        );
    }

    #[test]
    fn a_failing_export_is_its_error_not_a_hang() {
        let data = export_like(CHUNK);
        let failed = gzip_while_written(Vec::new(), |out| {
            for _ in 0..6 {
                out.write_all(&data)?;
            }
            Err(io::Error::other("the disk is full"))
        });
        let error = failed.expect_err("the writer's error");
        assert_eq!(error.to_string(), "the disk is full");
    }

    #[test]
    fn the_header_is_the_one_every_other_payload_has() {
        assert_eq!(&crate::seal::gzip(b"x")[..10], &GZIP_HEADER[..]);
    }
}
