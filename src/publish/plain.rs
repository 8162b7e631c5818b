//! The unencrypted site (the public training site) and the theme's static
//! files, written through [`Staging`] like everything else.

use rayon::prelude::*;

use super::{Staging, Written};
use crate::render::{self, Engine, Site, Theme};

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

/// The unencrypted site (training only): one HTML file per page.
pub(crate) fn plain_site(
    site: &Site,
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
    written.extend(write_static(theme, staging)?);
    Ok(written)
}
