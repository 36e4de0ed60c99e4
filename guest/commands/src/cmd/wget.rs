//! `wget [OPTION]... URL...`: downloads over the VM's network
//! (`cmd/http.rs`), following redirects, with GNU Wget's everyday options,
//! messages and exit codes.
//!
//! Options: `-O FILE` (`-` for stdout; several URLs go to one file),
//! `-P DIR`, `-q`, `-nv`, `--header=H`, `--post-data=S`, `--post-file=F`,
//! `--method=M`, `-U AGENT`, `-S` (server headers to stderr),
//! `--max-redirect=N`, `-nc` (no clobber), `--content-on-error`. A file that
//! exists is not overwritten: the download goes to `NAME.1`, `NAME.2`…, as
//! Wget's default. `http://` and `https://` (TLS spoken by the runtime;
//! `--ca-certificate=FILE` adds PEM roots, `--no-check-certificate` skips
//! the check).
//!
//! Exit status as Wget's: 0; 1 generic error (a file that cannot be
//! written); 2 bad options; 4 network failure; 8 the server answered with
//! an error.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;

use lexopt::prelude::*;

use super::http::{self, HttpError, Request, Url};
use crate::util;

const USER_AGENT: &str = "Wget/1 (capsa)";

#[derive(Default)]
struct Options {
    output: Option<String>,
    prefix: Option<String>,
    quiet: bool,
    brief: bool,
    headers: Vec<(String, String)>,
    post: Option<Vec<u8>>,
    method: Option<String>,
    agent: Option<String>,
    server_response: bool,
    max_redirect: u32,
    no_clobber: bool,
    content_on_error: bool,
    ca_certificate: Option<String>,
    no_check_certificate: bool,
    urls: Vec<String>,
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let o = match parse(cmd, args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if o.urls.is_empty() {
        eprintln!("{cmd}: missing URL\nUsage: wget [OPTION]... [URL]...");
        return 1;
    }
    // With -O FILE every download goes to that one file, truncated once.
    let mut shared = match o.output.as_deref() {
        Some("-") | None => None,
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some(file),
            Err(e) => {
                eprintln!("{path}: {}", util::errmsg(&e));
                return 3;
            }
        },
    };
    let mut status = 0;
    for url in &o.urls {
        let code = download(&o, url, shared.as_mut());
        if code != 0 {
            status = code;
        }
    }
    util::flush_stdout();
    status
}

fn parse(cmd: &str, args: Vec<OsString>) -> Result<Options, i32> {
    let mut o = Options { max_redirect: 20, ..Options::default() };
    let mut parser = lexopt::Parser::from_args(args);
    let bad = |e: lexopt::Error| {
        eprintln!("{cmd}: {e}\nUsage: wget [OPTION]... [URL]...");
        2
    };
    let text = |parser: &mut lexopt::Parser| -> Result<String, i32> {
        let value = parser.value().map_err(bad)?;
        util::string(value).map_err(|msg| {
            eprintln!("{cmd}: {msg}");
            2
        })
    };
    while let Some(arg) = parser.next().map_err(bad)? {
        match arg {
            Short('O') | Long("output-document") => o.output = Some(text(&mut parser)?),
            Short('P') | Long("directory-prefix") => o.prefix = Some(text(&mut parser)?),
            Short('q') | Long("quiet") => o.quiet = true,
            Long("no-verbose") => o.brief = true,
            Short('n') => match text(&mut parser)?.as_str() {
                "v" => o.brief = true,
                "c" => o.no_clobber = true,
                other => {
                    eprintln!("{cmd}: invalid option -- 'n{other}'");
                    return Err(2);
                }
            },
            Long("no-clobber") => o.no_clobber = true,
            Long("header") => {
                let header = text(&mut parser)?;
                if let Some((name, value)) = header.split_once(':') {
                    o.headers.push((name.trim().to_string(), value.trim().to_string()));
                }
            }
            Long("post-data") => o.post = Some(text(&mut parser)?.into_bytes()),
            Long("post-file") => {
                let path = text(&mut parser)?;
                match std::fs::read(&path) {
                    Ok(bytes) => o.post = Some(bytes),
                    Err(e) => {
                        eprintln!("{cmd}: {path}: {}", util::errmsg(&e));
                        return Err(1);
                    }
                }
            }
            Long("method") => o.method = Some(text(&mut parser)?.to_ascii_uppercase()),
            Short('U') | Long("user-agent") => o.agent = Some(text(&mut parser)?),
            Short('S') | Long("server-response") => o.server_response = true,
            Long("max-redirect") => {
                let value = text(&mut parser)?;
                o.max_redirect = value.parse().map_err(|_| {
                    eprintln!("{cmd}: --max-redirect: invalid number '{value}'");
                    2
                })?;
            }
            Long("content-on-error") => o.content_on_error = true,
            Long("no-check-certificate") => o.no_check_certificate = true,
            Long("ca-certificate") => o.ca_certificate = Some(text(&mut parser)?),
            Short('h') | Long("help") => {
                println!(
                    "Usage: wget [OPTION]... [URL]...\n  -O FILE  -P DIR  -q  -nv  -nc  -S  --header=H  --post-data=S  --post-file=F  --method=M  -U AGENT  --max-redirect=N\n  --ca-certificate=FILE  --no-check-certificate\nhttp:// and https:// URLs (TLS is spoken by capsa's runtime)."
                );
                return Err(0);
            }
            Short('V') | Long("version") => {
                println!("GNU Wget compatible downloader of capsa's command suite (HTTP only)");
                return Err(0);
            }
            Value(url) => o.urls.push(util::string(url).map_err(|msg| {
                eprintln!("{cmd}: {msg}");
                2
            })?),
            _ => return Err(bad(arg.unexpected())),
        }
    }
    Ok(o)
}

/// Fetches one URL; returns Wget's status for it.
fn download(o: &Options, text: &str, shared: Option<&mut std::fs::File>) -> i32 {
    let say = |line: String| {
        if !o.quiet && !o.brief {
            eprintln!("{line}");
        }
    };
    let mut url = match Url::parse(text) {
        Ok(url) => url,
        Err(HttpError::Protocol(scheme)) => {
            eprintln!("{text}: Unsupported scheme '{scheme}'.");
            return 1;
        }
        Err(err) => {
            eprintln!("{text}: {err}");
            return 1;
        }
    };
    let extra_roots_pem = match &o.ca_certificate {
        Some(path) => match std::fs::read(path) {
            Ok(pem) => pem,
            Err(err) => {
                eprintln!("wget: cannot read the CA certificates {path}: {}", util::errmsg(&err));
                return 4;
            }
        },
        None => Vec::new(),
    };
    let tls = http::TlsOptions { extra_roots_pem, verify: !o.no_check_certificate };
    let mut method = o.method.clone().unwrap_or_else(|| if o.post.is_some() { "POST".into() } else { "GET".into() });
    let mut body = o.post.clone();
    let mut redirects = 0;
    let (head, mut response) = loop {
        say(format!("--{}--  {}", timestamp(), url.to_text()));
        let mut headers = vec![
            ("User-Agent".to_string(), o.agent.clone().unwrap_or_else(|| USER_AGENT.into())),
            ("Accept".to_string(), "*/*".to_string()),
        ];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
        }
        for (name, value) in &o.headers {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
        let request =
            Request { method: method.clone(), url: url.clone(), headers, body: body.clone(), tls: tls.clone() };
        say(format!("Connecting to {}:{}... ", url.host, url.port));
        let (head, response) = match http::send(&request) {
            Ok(answer) => answer,
            Err(err) => {
                eprintln!("{}: {err}.", url.to_text());
                return 4;
            }
        };
        say(format!("HTTP request sent, awaiting response... {} {}", head.status, head.reason));
        if o.server_response && !o.quiet {
            for line in String::from_utf8_lossy(&head.raw).lines().filter(|l| !l.is_empty()) {
                eprintln!("  {line}");
            }
        }
        let location = head.header("location").map(str::to_string);
        if (300..400).contains(&head.status)
            && head.status != 304
            && let Some(location) = location
        {
            redirects += 1;
            if redirects > o.max_redirect {
                eprintln!("{} redirections exceeded.", o.max_redirect);
                return 8;
            }
            say(format!("Location: {location} [following]"));
            url = match url.join(location.trim()) {
                Ok(next) => next,
                Err(err) => {
                    eprintln!("{location}: {err}");
                    return 1;
                }
            };
            if matches!(head.status, 301..=303) {
                method = "GET".into();
                body = None;
            }
            continue;
        }
        break (head, response);
    };
    if head.status >= 400 && !o.content_on_error {
        eprintln!("{} ERROR {}: {}.", timestamp(), head.status, head.reason);
        return 8;
    }
    let length = head.header("content-length").map_or_else(|| "unspecified".to_string(), str::to_string);
    say(format!("Length: {length} [{}]", head.header("content-type").unwrap_or("")));
    let to_stdout = o.output.as_deref() == Some("-");
    let mut own_file;
    let mut stdout;
    let (sink, name): (&mut dyn Write, String) = if to_stdout {
        stdout = std::io::stdout();
        (&mut stdout, "STDOUT".into())
    } else if let Some(file) = shared {
        (file, o.output.clone().unwrap_or_default())
    } else {
        let path = match destination(o, &url) {
            Some(path) => path,
            None => {
                eprintln!("File '{}' already there; not retrieving.", url.file_name());
                return 0;
            }
        };
        own_file = match std::fs::File::create(&path) {
            Ok(file) => file,
            Err(e) => {
                eprintln!("{}: {}", path.display(), util::errmsg(&e));
                return 3;
            }
        };
        (&mut own_file, path.display().to_string())
    };
    say(format!("Saving to: '{name}'\n"));
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                size += n as u64;
                if let Err(e) = sink.write_all(&buf[..n]) {
                    eprintln!("Cannot write to '{name}' ({}).", util::errmsg(&e));
                    return 3;
                }
            }
            Err(e) => {
                eprintln!("{} ({}) - Read error at byte {size} ({}).", timestamp(), name, util::errmsg(&e));
                return 4;
            }
        }
    }
    let _ = sink.flush();
    if !o.quiet {
        eprintln!("{} - '{name}' saved [{size}]", timestamp());
    }
    if head.status >= 400 { 8 } else { 0 }
}

/// Where a download goes: `-P DIR` / the URL's file name (`index.html` for
/// a directory), numbered if it exists; `None` with `-nc` when it exists.
fn destination(o: &Options, url: &Url) -> Option<PathBuf> {
    let name = match url.file_name() {
        "" => "index.html",
        name => name,
    };
    let dir = PathBuf::from(o.prefix.as_deref().unwrap_or("."));
    let first = dir.join(name);
    if !first.exists() {
        return Some(if o.prefix.is_some() { first } else { PathBuf::from(name) });
    }
    if o.no_clobber {
        return None;
    }
    (1..)
        .map(|n| dir.join(format!("{name}.{n}")))
        .find(|path| !path.exists())
        .map(|path| if o.prefix.is_some() { path } else { PathBuf::from(path.file_name().unwrap_or_default()) })
}

/// `YYYY-MM-DD hh:mm:ss` (UTC) for Wget's log lines.
fn timestamp() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let stamp = util::format_timestamp(nanos);
    stamp.get(..19).unwrap_or(&stamp).to_string()
}
