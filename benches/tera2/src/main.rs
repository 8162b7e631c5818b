//! Renders themes/default/templates/client.html with one client page's values
//! (client-context.json: a client of examples/gen_room, as dataroom's
//! `Engine::render_page` gets them, the catalogue strings `t` included) with
//! tera 1.20 and tera 2, each the way dataroom hands values over: from a
//! `serde_json::Value` into the engine's context, then rendered. Prints the
//! time per page, best of five rounds of 20,000 pages, single-threaded.

use std::time::{Duration, Instant};

const TEMPLATE: &str = include_str!("../../../themes/default/templates/client.html");
const CONTEXT: &str = include_str!("../client-context.json");
const PAGES: u32 = 20_000;
const ROUNDS: usize = 5;

fn url_of(route: Option<&str>, file: Option<&str>) -> String {
    match (route, file) {
        (Some(r), _) => format!("#/{r}"),
        (None, Some(f)) => format!("#/file/{f}"),
        _ => String::new(),
    }
}

fn tera1_engine() -> tera1::Tera {
    let mut tera = tera1::Tera::default();
    tera.add_raw_template("client.html", TEMPLATE)
        .expect("tera 1 parses client.html");
    tera.autoescape_on(vec![".html"]);
    tera.register_function(
        "url",
        |args: &std::collections::HashMap<String, tera1::Value>| -> tera1::Result<tera1::Value> {
            let get = |k: &str| args.get(k).and_then(|v| v.as_str());
            Ok(tera1::Value::String(url_of(get("route"), get("file"))))
        },
    );
    tera
}

fn tera2_engine() -> tera2::Tera {
    let mut tera = tera2::Tera::default();
    tera.autoescape_on([".html"]);
    tera.register_function(
        "url",
        |kwargs: tera2::Kwargs, _: &tera2::State| -> tera2::TeraResult<String> {
            let route = kwargs.get::<&str>("route")?;
            let file = kwargs.get::<&str>("file")?;
            Ok(url_of(route, file))
        },
    );
    tera.add_raw_template("client.html", TEMPLATE)
        .expect("tera 2 parses client.html");
    tera
}

fn best(mut render: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..PAGES {
            bytes = render();
        }
        best = best.min(start.elapsed() / PAGES);
    }
    (best, bytes)
}

fn main() {
    let values: serde_json::Value = serde_json::from_str(CONTEXT).expect("client-context.json");
    let one = tera1_engine();
    let two = tera2_engine();

    let page1 = one
        .render(
            "client.html",
            &tera1::Context::from_value(values.clone()).expect("an object"),
        )
        .expect("tera 1 renders");
    let page2 = two
        .render(
            "client.html",
            &tera2::Context::from_serialize(&values).expect("an object"),
        )
        .expect("tera 2 renders");
    // tera 1 escapes '/' too (`&#x2F;`), tera 2 does not: otherwise the same page.
    let same = |p: &str| {
        p.replace("&#x2F;", "/")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        same(&page1),
        same(&page2),
        "both engines render the same page"
    );

    let (t1, b1) = best(|| {
        let ctx = tera1::Context::from_value(values.clone()).expect("an object");
        one.render("client.html", &ctx)
            .expect("tera 1 renders")
            .len()
    });
    let (t2, b2) = best(|| {
        let ctx = tera2::Context::from_serialize(&values).expect("an object");
        two.render("client.html", &ctx)
            .expect("tera 2 renders")
            .len()
    });
    let (r1, _) = {
        let ctx = tera1::Context::from_value(values.clone()).expect("an object");
        best(|| {
            one.render("client.html", &ctx)
                .expect("tera 1 renders")
                .len()
        })
    };
    let (r2, _) = {
        let ctx = tera2::Context::from_serialize(&values).expect("an object");
        best(|| {
            two.render("client.html", &ctx)
                .expect("tera 2 renders")
                .len()
        })
    };
    let fast = if cfg!(feature = "fast") {
        " (features = [\"fast\"])"
    } else {
        ""
    };
    println!("client.html, {b1} / {b2} bytes; best of {ROUNDS} rounds of {PAGES} pages, per page:");
    println!("| | context + render | render alone |");
    println!("|---|---:|---:|");
    println!("| tera 1.20 | {t1:.2?} | {r1:.2?} |");
    println!("| tera 2.4{fast} | {t2:.2?} | {r2:.2?} |");
}
