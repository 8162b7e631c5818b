//! The example room's `dataroom.yaml` as it was before the room had
//! audiences. Shared by the tests (`common::example_without_audiences`) and
//! `examples/gen_room.rs`, whose benchmark rooms stay comparable with the
//! figures measured before audiences existed.

/// The top-level keys that give a room audiences, an NDA and a watermark.
const AUDIENCE_KEYS: [&str; 3] = ["audiences", "nda", "watermark"];

/// `dataroom.yaml` text without its `audiences:`, `nda:` and `watermark:`
/// entries (each with its indented lines and the comment right above it).
pub fn settings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut comment = String::new();
    let mut skipping = false;
    for line in text.lines() {
        let top_level = !line.starts_with([' ', '\t', '-']) && !line.trim().is_empty();
        if line.starts_with('#') {
            comment.push_str(line);
            comment.push('\n');
            continue;
        }
        if top_level {
            let key = line.split(':').next().unwrap_or_default().trim();
            skipping = AUDIENCE_KEYS.contains(&key);
            if skipping {
                comment.clear();
            }
        }
        if !skipping {
            out.push_str(&comment);
            out.push_str(line);
            out.push('\n');
        }
        comment.clear();
    }
    out.push_str(&comment);
    out
}
