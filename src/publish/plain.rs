//! The unencrypted site (the public training site) and the theme's static
//! files, written through [`Staging`] like everything else.

use rayon::prelude::*;

use super::{Staging, Written};
use crate::render::{self, Engine, Site, Theme};
use crate::room::Room;

pub(crate) fn write_static(theme: &Theme, staging: &Staging) -> Result<Vec<Written>, String> {
    theme
        .under("static/")
        .map(|(name, bytes)| {
            let path = format!("static/{name}");
            let sha256 = staging
                .write(&format!("site/{path}"), bytes)
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            Ok(Written { path, sha256 })
        })
        .collect()
}

/// The unencrypted site (training only): one HTML file per page, plus the
/// attachments its pages show as images — and no other attachment.
pub(crate) fn plain_site(
    site: &Site,
    room: &Room,
    theme: &Theme,
    engine: &Engine,
    site_id: &str,
    staging: &Staging,
) -> Result<Vec<Written>, String> {
    let mut written: Vec<Written> = site
        .pages
        .par_iter()
        .map(|page| {
            let html = engine
                .standalone(page, &site.nav, &site.title, site_id)
                .map_err(|d| d.message)?;
            let path = render::route_file(&page.route);
            let sha256 = staging
                .write(&format!("site/{path}"), html.as_bytes())
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            Ok(Written { path, sha256 })
        })
        .collect::<Result<_, String>>()?;
    let shown: std::collections::BTreeSet<String> = site
        .pages
        .iter()
        .flat_map(|page| render::inline_files(&page.html))
        .collect();
    for path in shown {
        // A missing image stays a broken image, as in the sealed room.
        let Some(attachment) = room.attachments.iter().find(|a| a.path == path) else {
            continue;
        };
        let bytes =
            std::fs::read(&attachment.abs_path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let sha256 = staging
            .write(&format!("site/{path}"), &bytes)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        written.push(Written { path, sha256 });
    }
    written.extend(write_static(theme, staging)?);
    Ok(written)
}
