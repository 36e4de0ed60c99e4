//! `curl [OPTION]... URL...`: HTTP requests over the VM's network
//! (`cmd/http.rs`), with curl's everyday options and exit codes.
//!
//! Options: `-X METHOD`, `-H 'Name: value'` (`Name:` drops a default
//! header), `-d`/`--data`/`--data-ascii` (`@file`: newlines stripped;
//! repeated ones joined with `&`), `--data-binary`, `--data-raw`,
//! `--data-urlencode`, `-G` (data into the query), `-I`/`--head`,
//! `-i`/`--include`, `-o FILE`, `-O`, `--create-dirs`, `-L` with
//! `--max-redirs N`, `-f`/`--fail`, `--fail-with-body`, `-s`, `-S`, `-v`,
//! `-u user:password`, `-A`, `-e`, `-w FORMAT` (`%{http_code}`,
//! `%{response_code}`, `%{content_type}`, `%{size_download}`,
//! `%{url_effective}`, `%{num_redirects}`, `%{redirect_url}`,
//! `%{exitcode}`), `--compressed` (gzip, deflate), `--cacert FILE` (PEM
//! roots trusted beyond the bundled web roots), `-k`/`--insecure`. No
//! progress meter is drawn. `https://` is TLS spoken by the runtime on the
//! connection's behalf (`cmd/http.rs`).
//!
//! Not supported, refused as curl refuses an unknown option (exit 2):
//! protocols other than `http://` and `https://` (exit 1),
//! `-m`/`--max-time`, `--connect-timeout`, `-F`, cookies, proxies,
//! `--retry`, `-C`, `--capath`, client certificates.
//!
//! Exit codes as curl's: 0; 1 unsupported protocol; 2 bad option; 3 bad
//! URL; 6 name not resolved; 7 no connection; 8 weird reply; 22 HTTP error
//! with `-f`; 23 write error; 26 unreadable `@file`; 47 too many redirects;
//! 52 empty reply; 55/56 send/receive failures; 60 certificate not
//! trusted (or no TLS at the other end); 77 an unusable `--cacert`.

use std::ffi::OsString;
use std::io::{Read, Write};

use lexopt::prelude::*;

use super::http::{self, Head, HttpError, Request, Url};
use crate::util;

/// `User-Agent` unless `-A` says otherwise.
const USER_AGENT: &str = "curl/8 (capsa)";

#[derive(Default)]
struct Options {
    method: Option<String>,
    headers: Vec<String>,
    data: Vec<Vec<u8>>,
    get: bool,
    head: bool,
    include: bool,
    outputs: Vec<String>,
    remote_names: usize,
    create_dirs: bool,
    follow: bool,
    max_redirs: u32,
    fail: bool,
    fail_with_body: bool,
    silent: bool,
    show_error: bool,
    verbose: bool,
    user: Option<String>,
    agent: Option<String>,
    referer: Option<String>,
    write_out: Option<String>,
    compressed: bool,
    cacert: Option<String>,
    insecure: bool,
    urls: Vec<String>,
}

/// A failure: curl's code and message.
struct Failure(i32, String);

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let o = match parse(args) {
        Ok(o) => o,
        Err(Failure(code, msg)) => {
            eprintln!("{cmd}: {msg}");
            if code == 2 {
                eprintln!("{cmd}: try 'curl --help' for more information");
            }
            return code;
        }
    };
    if o.urls.is_empty() {
        eprintln!("{cmd}: no URL specified\n{cmd}: try 'curl --help' for more information");
        return 2;
    }
    let mut status = 0;
    let mut outputs = o.outputs.iter();
    let mut remote = o.remote_names;
    for url in &o.urls {
        let target = match outputs.next() {
            Some(file) => Target::File(file.clone()),
            None if remote > 0 => {
                remote -= 1;
                Target::RemoteName
            }
            None => Target::Stdout,
        };
        if let Err(Failure(code, msg)) = fetch(&o, url, &target) {
            if !o.silent || o.show_error {
                eprintln!("{cmd}: ({code}) {msg}");
            }
            status = code;
        }
    }
    util::flush_stdout();
    status
}

fn parse(args: Vec<OsString>) -> Result<Options, Failure> {
    let bad = |e: lexopt::Error| Failure(2, format!("option {e}"));
    let mut o = Options { max_redirs: 50, ..Options::default() };
    let mut parser = lexopt::Parser::from_args(args);
    let raw_text = |parser: &mut lexopt::Parser| -> Result<String, Failure> {
        let value = parser.value().map_err(bad)?;
        util::string(value).map_err(|msg| Failure(2, msg))
    };
    while let Some(arg) = parser.next().map_err(bad)? {
        match arg {
            Short('X') | Long("request") => o.method = Some(raw_text(&mut parser)?),
            Short('H') | Long("header") => o.headers.push(raw_text(&mut parser)?),
            Short('d') | Long("data") | Long("data-ascii") => {
                let text = raw_text(&mut parser)?;
                let mut bytes = at_file(&text)?;
                if text.starts_with('@') {
                    bytes.retain(|&b| b != b'\n' && b != b'\r');
                }
                o.data.push(bytes);
            }
            Long("data-binary") => {
                let text = raw_text(&mut parser)?;
                o.data.push(at_file(&text)?);
            }
            Long("data-raw") => o.data.push(raw_text(&mut parser)?.into_bytes()),
            Long("data-urlencode") => {
                let text = raw_text(&mut parser)?;
                o.data.push(urlencode_arg(&text)?.into_bytes());
            }
            Short('G') | Long("get") => o.get = true,
            Short('I') | Long("head") => o.head = true,
            Short('i') | Long("include") => o.include = true,
            Short('o') | Long("output") => o.outputs.push(raw_text(&mut parser)?),
            Short('O') | Long("remote-name") => o.remote_names += 1,
            Long("create-dirs") => o.create_dirs = true,
            Short('L') | Long("location") => o.follow = true,
            Long("max-redirs") => {
                let text = raw_text(&mut parser)?;
                o.max_redirs = text
                    .parse()
                    .map_err(|_| Failure(2, format!("option --max-redirs: expected a number, got '{text}'")))?;
            }
            Short('f') | Long("fail") => o.fail = true,
            Long("fail-with-body") => o.fail_with_body = true,
            Short('s') | Long("silent") => o.silent = true,
            Short('S') | Long("show-error") => o.show_error = true,
            Short('v') | Long("verbose") => o.verbose = true,
            Short('u') | Long("user") => o.user = Some(raw_text(&mut parser)?),
            Short('A') | Long("user-agent") => o.agent = Some(raw_text(&mut parser)?),
            Short('e') | Long("referer") => o.referer = Some(raw_text(&mut parser)?),
            Short('w') | Long("write-out") => o.write_out = Some(raw_text(&mut parser)?),
            Long("compressed") => o.compressed = true,
            Short('k') | Long("insecure") => o.insecure = true,
            Long("cacert") => o.cacert = Some(raw_text(&mut parser)?),
            Long("no-progress-meter") | Short('#') | Long("progress-bar") => {}
            Long("url") => o.urls.push(raw_text(&mut parser)?),
            Short('h') | Long("help") => {
                print!("{HELP}");
                util::flush_stdout();
                std::process::exit(0);
            }
            Short('V') | Long("version") => {
                println!(
                    "curl 8 (capsa) — HTTP/1.1 client of capsa's command suite\nProtocols: http https\nFeatures: libz SSL (rustls, in the runtime)"
                );
                util::flush_stdout();
                std::process::exit(0);
            }
            Value(url) => o.urls.push(util::string(url).map_err(|msg| Failure(2, msg))?),
            Long(name) => return Err(Failure(2, format!("option --{name}: is unknown (or not supported in capsa)"))),
            Short(c) => return Err(Failure(2, format!("option -{c}: is unknown (or not supported in capsa)"))),
        }
    }
    Ok(o)
}

const HELP: &str = "Usage: curl [options...] <url>
 -d, --data <data>          HTTP POST data (@file: from a file)
     --data-binary <data>   HTTP POST binary data
 -f, --fail                 Fail fast with no output on HTTP errors
 -H, --header <header>      Pass custom header(s) to server
 -i, --include              Include response headers in output
 -I, --head                 Show document info only
 -L, --location             Follow redirects
 -o, --output <file>        Write to file instead of stdout
 -O, --remote-name          Write output to a file named as the remote file
 -s, --silent               Silent mode
 -S, --show-error           Show error even when -s is used
 -u, --user <user:password> Server user and password
 -v, --verbose              Make the operation more talkative
 -w, --write-out <format>   Use output FORMAT after completion
 -X, --request <method>     Specify request method to use
     --cacert <file>        CA certificates (PEM) to trust beyond the bundled roots
 -k, --insecure             Do not check the server's certificate
http:// and https:// URLs (TLS is spoken by capsa's runtime).
";

/// `@file` (or `@-`, stdin) read whole; anything else as is.
fn at_file(text: &str) -> Result<Vec<u8>, Failure> {
    match text.strip_prefix('@') {
        Some("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure(26, format!("stdin: {}", util::errmsg(&e))))?;
            Ok(bytes)
        }
        Some(path) => {
            std::fs::read(path).map_err(|e| Failure(26, format!("Failed to open {path}: {}", util::errmsg(&e))))
        }
        None => Ok(text.as_bytes().to_vec()),
    }
}

/// `--data-urlencode`: `content`, `=content`, `name=content`, `@file`,
/// `name@file`.
fn urlencode_arg(text: &str) -> Result<String, Failure> {
    if let Some((name, content)) = text.split_once('=') {
        let encoded = percent_encode(content.as_bytes());
        return Ok(if name.is_empty() { encoded } else { format!("{name}={encoded}") });
    }
    if let Some((name, file)) = text.split_once('@') {
        let bytes = at_file(&format!("@{file}"))?;
        let encoded = percent_encode(&bytes);
        return Ok(if name.is_empty() { encoded } else { format!("{name}={encoded}") });
    }
    Ok(percent_encode(text.as_bytes()))
}

fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            // As curl's --data-urlencode (form encoding).
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How `https://` servers are checked: `--cacert`'s roots, `-k`.
fn tls_options(o: &Options) -> Result<http::TlsOptions, Failure> {
    let extra_roots_pem = match &o.cacert {
        Some(path) => std::fs::read(path).map_err(|e| {
            Failure(77, format!("error setting certificate verify locations: CAfile: {path}: {}", util::errmsg(&e)))
        })?,
        None => Vec::new(),
    };
    Ok(http::TlsOptions { extra_roots_pem, verify: !o.insecure })
}

/// Where a URL's body goes.
enum Target {
    Stdout,
    File(String),
    RemoteName,
}

/// Requests `url` (following redirects with `-L`) and writes the result.
fn fetch(o: &Options, url: &str, target: &Target) -> Result<(), Failure> {
    let fail = |e: HttpError| Failure(e.curl_code(), e.to_string());
    let mut url = Url::parse(url).map_err(fail)?;
    let tls = tls_options(o)?;
    let data = (!o.data.is_empty()).then(|| o.data.join(&b'&'));
    let mut method = o.method.clone();
    let mut body = data.clone();
    if o.get
        && let Some(data) = body.take()
    {
        let sep = if url.target.contains('?') { '&' } else { '?' };
        url.target.push(sep);
        url.target.push_str(&String::from_utf8_lossy(&data));
    }
    let mut redirects = 0u32;
    loop {
        let default_method = if o.head {
            "HEAD"
        } else if body.is_some() {
            "POST"
        } else {
            "GET"
        };
        let request = Request {
            method: method.clone().unwrap_or_else(|| default_method.to_string()),
            headers: headers(o, &url, body.is_some()),
            url: url.clone(),
            body: body.clone(),
            tls: tls.clone(),
        };
        if o.verbose {
            let sent = http::request_bytes(&Request { body: None, ..request.clone() });
            for line in String::from_utf8_lossy(&sent).lines() {
                eprintln!("> {line}");
            }
        }
        let (head, mut response) = http::send(&request).map_err(fail)?;
        if o.verbose {
            for line in String::from_utf8_lossy(&head.raw).lines() {
                eprintln!("< {line}");
            }
        }
        let location = head.header("location").map(str::to_string);
        if o.follow
            && (300..400).contains(&head.status)
            && head.status != 304
            && let Some(location) = location
        {
            redirects += 1;
            if redirects > o.max_redirs {
                return Err(Failure(47, format!("Maximum ({}) redirects followed", o.max_redirs)));
            }
            if o.include || o.head {
                write_out(target, &url, &head.raw, o)?;
            }
            url = url.join(location.trim()).map_err(fail)?;
            // As curl: a POST turns into a GET after 301, 302 and 303.
            if matches!(head.status, 301..=303) && o.method.is_none() {
                method = None;
                body = None;
            }
            continue;
        }
        return finish(o, &url, target, &head, &mut response, redirects);
    }
}

/// The request headers: defaults, then `-H`'s (which replace or drop them).
fn headers(o: &Options, url: &Url, has_body: bool) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = vec![
        ("User-Agent".into(), o.agent.clone().unwrap_or_else(|| USER_AGENT.into())),
        ("Accept".into(), "*/*".into()),
    ];
    if let Some(user) = o.user.as_ref().or(url.userinfo.as_ref()) {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(user.as_bytes());
        list.insert(0, ("Authorization".into(), format!("Basic {token}")));
    }
    if let Some(referer) = &o.referer {
        list.push(("Referer".into(), referer.clone()));
    }
    if o.compressed {
        list.push(("Accept-Encoding".into(), "deflate, gzip".into()));
    }
    if has_body {
        list.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
    }
    for header in &o.headers {
        let Some((name, value)) = header.split_once(':') else { continue };
        let (name, value) = (name.trim(), value.trim());
        list.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            list.push((name.to_string(), value.to_string()));
        }
    }
    list
}

/// Writes the response (or fails on an HTTP error with `-f`), then `-w`.
fn finish(
    o: &Options,
    url: &Url,
    target: &Target,
    head: &Head,
    response: &mut http::Body,
    redirects: u32,
) -> Result<(), Failure> {
    let error = head.status >= 400 && (o.fail || o.fail_with_body);
    let mut size = 0u64;
    let mut code = 0;
    if error && o.fail && !o.fail_with_body {
        code = 22;
    } else {
        let mut out = open(target, url, o)?;
        if o.include || o.head {
            out.write_all(&head.raw).map_err(write_failed)?;
        }
        let encoding = head.header("content-encoding").map(str::to_ascii_lowercase);
        let mut body: Box<dyn Read + '_> = match encoding.as_deref() {
            Some("gzip") | Some("x-gzip") if o.compressed => Box::new(flate2::read::GzDecoder::new(response)),
            Some("deflate") if o.compressed => Box::new(flate2::read::ZlibDecoder::new(response)),
            _ => Box::new(response),
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body.read(&mut buf).map_err(|e| Failure(56, HttpError::Recv(e).to_string()))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            out.write_all(&buf[..n]).map_err(write_failed)?;
        }
        out.flush().map_err(write_failed)?;
        if error {
            code = 22;
        }
    }
    if let Some(format) = &o.write_out {
        let text = expand_write_out(format, head, url, size, redirects, code);
        let mut stdout = std::io::stdout();
        stdout.write_all(text.as_bytes()).map_err(write_failed)?;
    }
    if code == 22 {
        return Err(Failure(22, format!("The requested URL returned error: {}", head.status)));
    }
    Ok(())
}

fn write_failed(e: std::io::Error) -> Failure {
    Failure(23, format!("Failure writing output to destination: {}", util::errmsg(&e)))
}

/// The sink for a body.
fn open(target: &Target, url: &Url, o: &Options) -> Result<Box<dyn Write>, Failure> {
    let path = match target {
        Target::Stdout => return Ok(Box::new(std::io::stdout())),
        Target::File(path) if path == "-" => return Ok(Box::new(std::io::stdout())),
        Target::File(path) => path.clone(),
        Target::RemoteName => match url.file_name() {
            "" => return Err(Failure(23, "Remote file name has no length".into())),
            name => name.to_string(),
        },
    };
    if o.create_dirs
        && let Some(parent) = std::path::Path::new(&path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure(23, format!("{}: {}", parent.display(), util::errmsg(&e))))?;
    }
    let file = std::fs::File::create(&path).map_err(|e| {
        Failure(
            23,
            format!("Failure writing output to destination, passed 0 returned -1: {path}: {}", util::errmsg(&e)),
        )
    })?;
    Ok(Box::new(std::io::BufWriter::new(file)))
}

/// Writes bytes for `-i` ahead of a redirect's body.
fn write_out(target: &Target, url: &Url, bytes: &[u8], o: &Options) -> Result<(), Failure> {
    if matches!(target, Target::Stdout) {
        let mut out = open(target, url, o)?;
        out.write_all(bytes).map_err(write_failed)?;
    }
    Ok(())
}

/// `-w FORMAT` with its variables and `\n`, `\t`, `\r` escapes.
fn expand_write_out(format: &str, head: &Head, url: &Url, size: u64, redirects: u32, code: i32) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{")
            && let Some(end) = after.find('}')
        {
            let name = &after[..end];
            let value = match name {
                "http_code" | "response_code" => format!("{:03}", head.status),
                "content_type" => head.header("content-type").unwrap_or("").to_string(),
                "size_download" => size.to_string(),
                "url_effective" => url.to_text(),
                "num_redirects" => redirects.to_string(),
                "redirect_url" => head
                    .header("location")
                    .map(|l| url.join(l).map(|u| u.to_text()).unwrap_or_default())
                    .unwrap_or_default(),
                "exitcode" => code.to_string(),
                "http_version" => head.version.trim_start_matches("HTTP/").to_string(),
                _ => String::new(),
            };
            out.push_str(&value);
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('\\')
            && let Some(e) = after.chars().next()
        {
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' => out.push('\\'),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
            rest = &after[e.len_utf8()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}
