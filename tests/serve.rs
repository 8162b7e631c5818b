//! `dataroom serve`: the live preview, through the real binary and real sockets.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{bin, bin_in_locale, Room};

/// Generous: the preview renders again well within a second, but CI is slow.
const WAIT: Duration = Duration::from_secs(10);

/// A running `dataroom serve` on a free port, with its own HOME and cwd;
/// killed when dropped.
struct Preview {
    child: Child,
    port: u16,
    home: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl Preview {
    fn start(room: &Path) -> Preview {
        let home = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let mut child = bin()
            .args(["serve", room.to_str().unwrap(), "--port", "0"])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .current_dir(cwd.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dataroom serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("serve prints its URL");
        let url = line
            .split_whitespace()
            .find_map(|w| w.split("http://").nth(1))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let port = url
            .strip_prefix("127.0.0.1:")
            .unwrap_or_else(|| panic!("the URL must be on 127.0.0.1: {url}"))
            .trim_end_matches('/')
            .parse()
            .unwrap();
        // Keep reading stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in stdout.lines() {});
        Preview {
            child,
            port,
            home,
            cwd,
        }
    }

    fn request(&self, method: &str, path: &str) -> Response {
        raw_request(self.port, &format!("{method} {path} HTTP/1.1"))
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path)
    }

    /// GETs `path` until its body satisfies `ok`, for at most [`WAIT`].
    fn get_until(&self, path: &str, ok: impl Fn(&str) -> bool) -> Response {
        let start = Instant::now();
        loop {
            let response = self.get(path);
            if ok(&response.body) || start.elapsed() > WAIT {
                return response;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    headers: String,
    body: String,
}

fn raw_request(port: u16, request_line: &str) -> Response {
    let mut stream =
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("the preview accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(40)))
        .unwrap();
    write!(
        stream,
        "{request_line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {headers:?}"));
    Response {
        status,
        headers: headers.to_string(),
        body: body.to_string(),
    }
}

/// Every file under `dir` with its bytes.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn serves_the_plain_site_follows_edits_shows_problems_and_recovers() {
    let room = Room::valid();
    let before = files_of(room.path());
    let preview = Preview::start(room.path());

    // Every route is an ordinary page at its own path with ordinary links.
    let home = preview.get("/");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.headers.contains("text/html"), "{}", home.headers);
    let clients = preview.get("/clients.html");
    assert_eq!(clients.status, 200);
    assert!(
        clients.body.contains("href=\"clients/HX-1.html\""),
        "{}",
        clients.body
    );
    let client = preview.get("/clients/HX-1.html");
    assert_eq!(client.status, 200);
    assert!(client.body.contains("张伟"), "{}", client.body);
    for page in [&home, &clients, &client] {
        assert!(
            !page.body.contains("href=\"#/"),
            "hash routes need JavaScript"
        );
        assert!(page.body.contains("/__dataroom/reload.js"));
        assert!(page.body.contains("connect-src 'self'"));
    }
    let contract = preview.get("/attachments/c1.pdf");
    assert_eq!(contract.status, 200);
    assert!(contract.headers.contains("application/pdf"));
    assert_eq!(contract.body, "%PDF-1.4 test contract\n");
    let css = preview.get("/static/style.css");
    assert_eq!(css.status, 200);
    assert!(css.headers.contains("text/css"), "{}", css.headers);
    assert_eq!(preview.get("/exports/clients.json").status, 200);
    assert_eq!(preview.get("/no-such-page.html").status, 404);
    let script = preview.get("/__dataroom/reload.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("/__dataroom/reload?since="));

    // A saved change shows, and wakes the live-reload long-poll.
    let version = preview.get("/__dataroom/reload").body;
    assert!(version.parse::<u64>().is_ok(), "{version:?}");
    let port = preview.port;
    let since = version.clone();
    let poll = std::thread::spawn(move || {
        raw_request(
            port,
            &format!("GET /__dataroom/reload?since={since} HTTP/1.1"),
        )
    });
    std::thread::sleep(Duration::from_millis(200));
    room.write(
        "clients/HX-1.yaml",
        common::CLIENT.replace("name: 张伟", "name: 张伟明"),
    );
    let started = Instant::now();
    let woken = poll.join().unwrap();
    assert!(
        started.elapsed() < WAIT,
        "the long-poll answered only after {:?}",
        started.elapsed()
    );
    assert_ne!(
        woken.body, version,
        "the long-poll must report a new version"
    );
    let edited = preview.get_until("/clients/HX-1.html", |b| b.contains("张伟明"));
    assert!(edited.body.contains("张伟明"), "{}", edited.body);

    // A full-width colon: every page shows the problem with file:line, in Chinese.
    room.write(
        "clients/HX-1.yaml",
        common::CLIENT.replace("name: 张伟", "name：张伟"),
    );
    let broken = preview.get_until("/clients/HX-1.html", |b| b.contains("HX-1.yaml:2:"));
    assert!(broken.body.contains("HX-1.yaml:2:"), "{}", broken.body);
    assert!(broken.body.contains("数据室有 1 个问题"), "{}", broken.body);
    assert!(!broken.body.contains("张伟明"));
    let home = preview.get("/");
    assert!(home.body.contains("HX-1.yaml:2:"), "{}", home.body);
    assert!(home.body.contains("/__dataroom/reload.js"));
    // Its stylesheet still loads, linked as the page it replaces links it.
    let stylesheet = |html: &str| {
        html.split("<link rel=\"stylesheet\"")
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .map(str::to_string)
    };
    assert!(stylesheet(&client.body).is_some_and(|link| link.contains("static/style.css")));
    assert_eq!(stylesheet(&broken.body), stylesheet(&client.body));
    assert_eq!(preview.get("/static/style.css").status, 200);

    // Fixed: the page recovers by itself.
    room.write("clients/HX-1.yaml", common::CLIENT);
    let fixed = preview.get_until("/clients/HX-1.html", |b| !b.contains("HX-1.yaml:2:"));
    assert!(fixed.body.contains("张伟"), "{}", fixed.body);
    assert!(!fixed.body.contains("preview-problems"), "{}", fixed.body);

    // Nothing was written: not into the room (beyond the test's own edits,
    // now undone), not into the working folder, no signing key made.
    assert_eq!(files_of(room.path()), before);
    assert!(files_of(preview.cwd.path()).is_empty());
    assert!(
        files_of(preview.home.path()).is_empty(),
        "{:?}",
        files_of(preview.home.path()).keys()
    );
}

#[test]
fn problems_are_html_escaped() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        format!("{}\"<img src=x onerror=alert(1)>\": 1\n", common::CLIENT),
    );
    let preview = Preview::start(room.path());
    let page = preview.get("/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("HX-1.yaml:"), "{}", page.body);
    assert!(page.body.contains("&lt;img"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
}

#[test]
fn listens_on_loopback_only() {
    let room = Room::valid();
    let preview = Preview::start(room.path());
    let port = preview.port;
    assert_eq!(preview.get("/").status, 200);

    // The kernel's table of listening sockets: only 127.0.0.1 has this port.
    let listening = |table: &str| -> Vec<String> {
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let (address, state) = (fields.get(1)?, fields.get(3)?);
                let (ip, p) = address.split_once(':')?;
                (*state == "0A" && u16::from_str_radix(p, 16).ok()? == port).then(|| ip.to_string())
            })
            .collect()
    };
    if Path::new("/proc/net/tcp").exists() {
        assert_eq!(listening("/proc/net/tcp"), ["0100007F"]);
        assert!(listening("/proc/net/tcp6").is_empty());
    }

    // And the machine's own non-loopback address (if it has one) is refused.
    let own_address = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if let Some(ip) = own_address {
        let outside = TcpStream::connect_timeout(&SocketAddr::new(ip, port), WAIT);
        assert!(outside.is_err(), "reachable on {ip}:{port}");
    }
}

#[test]
fn refuses_traversal_and_methods_other_than_get_and_head() {
    let room = Room::valid();
    let preview = Preview::start(room.path());
    for path in [
        "/../dataroom.yaml",
        "/static/../../dataroom.yaml",
        "/%2e%2e/dataroom.yaml",
        "/%2E%2E%2Fclients%2FHX-1.yaml",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/static\\..\\..\\dataroom.yaml",
        "/static%5c..%5c..%5cdataroom.yaml",
        "/C:/Windows/win.ini",
    ] {
        let response = preview.get(path);
        assert_eq!(response.status, 400, "{path}: {}", response.body);
        assert!(
            response.body.contains("不允许"),
            "{path}: {}",
            response.body
        );
    }
    // The room's own files are not part of the site.
    for path in ["/dataroom.yaml", "/clients/HX-1.yaml", "/etc/passwd"] {
        let response = preview.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.body.contains("13812345678"));
    }
    let post = preview.request("POST", "/");
    assert_eq!(post.status, 405);
    assert!(
        post.headers.contains("Allow: GET, HEAD"),
        "{}",
        post.headers
    );
    let head = preview.request("HEAD", "/clients.html");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn a_port_in_use_is_a_clear_error_suggesting_another() {
    let room = Room::valid();
    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let run = common::run(
        bin_in_locale(&[])
            .args(["serve", room.path().to_str().unwrap(), "--port"])
            .arg(port.to_string()),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(&format!("端口 {port}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--port"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn ctrl_c_stops_the_preview_cleanly() {
    let room = Room::valid();
    let mut preview = Preview::start(room.path());
    assert_eq!(preview.get("/").status, 200);
    let pid = preview.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = preview.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < WAIT, "still running after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_room_that_is_not_a_room_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::run(bin().args(["serve", dir.path().to_str().unwrap(), "--port", "0"]));
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("dataroom.yaml"), "{}", run.stderr);
}

#[test]
fn a_sealed_build_contains_no_live_reload_script() {
    let room = Room::valid();
    let tmp = tempfile::tempdir().unwrap();
    let key = common::test_key(tmp.path());
    let out = tmp.path().join("out");
    let built = common::build(room.path(), &out, &key, &[]);
    assert_eq!(built.code, 0, "{}", built.all());
    let files = files_of(&out);
    assert!(files.keys().any(|p| p.ends_with("index.html")));
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("__dataroom") && !text.contains("connect-src 'self'"),
            "{path} carries the preview's live reload"
        );
    }
}
