//! `jq FILTER [FILE]...`: the jq language by jaq's crates (`jaq-core`,
//! `jaq-std`, `jaq-json`), with jq's everyday flags: `-r`, `-j`, `-c`,
//! `-n`, `-s`, `-e`, `-S`, `-R`, `--tab`, `--indent N`, `--arg NAME VALUE`,
//! `--argjson NAME JSON`, `$ENV`, and jq's exit statuses (2 for unusable
//! input, 3 for a filter that does not compile, 5 for a run-time error,
//! `-e`'s 1 and 4). Output is jq's: two-space indentation, `"key": value`.
//!
//! What jaq does differently from jq 1.6 shows through (its manual lists
//! it): `input`/`inputs` are not available here, `nan` prints as `NaN`, a
//! float keeps its `.0` (`1.0`, where jq 1.6 prints `1`), and `del` moves
//! an object's last key into the place of the one removed. `@csv` and
//! `@tsv`, which jaq-std lacks, are defined here in jq.

use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use lexopt::prelude::*;

use crate::util;

const CMD: &str = "jq";

#[derive(Default)]
struct Options {
    raw: bool,
    join: bool,
    compact: bool,
    null_input: bool,
    slurp: bool,
    exit_status: bool,
    sort_keys: bool,
    raw_input: bool,
    tab: bool,
    indent: usize,
    filter: Option<String>,
    files: Vec<OsString>,
    /// `--arg`/`--argjson`: names (with `$`) and values.
    vars: Vec<(String, Val)>,
}

pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options { indent: 2, ..Options::default() };
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(CMD, err, 2),
        };
        // An option's value, or the usage error that ends the run.
        let text = |parser: &mut lexopt::Parser| {
            parser.value().map_err(|e| e.to_string()).and_then(util::string).map_err(|m| util::usage(CMD, m, 2))
        };
        match arg {
            Short('r') | Long("raw-output") => o.raw = true,
            Short('j') | Long("join-output") => {
                o.raw = true;
                o.join = true;
            }
            Short('c') | Long("compact-output") => o.compact = true,
            Short('n') | Long("null-input") => o.null_input = true,
            Short('s') | Long("slurp") => o.slurp = true,
            Short('e') | Long("exit-status") => o.exit_status = true,
            Short('S') | Long("sort-keys") => o.sort_keys = true,
            Short('R') | Long("raw-input") => o.raw_input = true,
            Short('M') | Long("monochrome-output") | Short('C') | Long("color-output") | Long("unbuffered") => {}
            Long("tab") => o.tab = true,
            Long("indent") => match text(&mut parser).map(|n| n.parse::<usize>()) {
                Ok(Ok(n)) if n <= 7 => o.indent = n,
                Ok(_) => return util::usage(CMD, "Cannot indent more than 7 characters", 2),
                Err(status) => return status,
            },
            Long("arg") | Long("argjson") => {
                let json = arg == Long("argjson");
                let (name, value) = match (text(&mut parser), text(&mut parser)) {
                    (Ok(name), Ok(value)) => (name, value),
                    (Err(status), _) | (_, Err(status)) => return status,
                };
                let value = if json {
                    match jaq_json::read::parse_single(value.as_bytes()) {
                        Ok(value) => value,
                        Err(_) => return util::usage(CMD, "Invalid JSON text passed to --argjson", 2),
                    }
                } else {
                    Val::from(value)
                };
                o.vars.push((format!("${name}"), value));
            }
            Short('h') | Long("help") => {
                println!("Usage:\tjq [OPTIONS] FILTER [FILES...]");
                println!("\t-c compact output; -n null input; -r raw strings; -j no newlines; -s slurp;");
                println!("\t-e exit status by the last output; -S sort keys; -R raw input lines;");
                println!("\t--tab, --indent N, --arg NAME VALUE, --argjson NAME JSON");
                return 0;
            }
            Long("version") => {
                println!("jq-1.7 (capsa: jaq-core 3)");
                return 0;
            }
            Value(v) if o.filter.is_none() => match util::string(v) {
                Ok(filter) => o.filter = Some(filter),
                Err(message) => return util::usage(CMD, message, 2),
            },
            Value(v) => o.files.push(v),
            other => return util::usage(CMD, other.unexpected(), 2),
        }
    }
    let Some(filter) = o.filter.clone() else {
        eprintln!("Usage:\tjq [OPTIONS] FILTER [FILES...]");
        return 2;
    };
    run(&o, &filter)
}

/// jq's formats that jaq-std lacks, defined in jq (prepended to the program).
const EXTRA_DEFS: &str = r#"
def @csv: if type != "array" then error("\(type) (\(tojson)) cannot be csv-formatted, only an array can be")
  else map(if type == "string" then "\"" + (split("\"") | join("\"\"")) + "\""
    elif type == "null" then "" elif type == "number" or type == "boolean" then tostring
    else error("\(type) (\(tojson)) is not valid in a csv row") end) | join(",") end;
def @tsv: if type != "array" then error("\(type) (\(tojson)) cannot be tsv-formatted, only an array can be")
  else map(if type == "string" then split("\\") | join("\\\\") | split("\t") | join("\\t")
      | split("\n") | join("\\n") | split("\r") | join("\\r")
    elif type == "null" then "" elif type == "number" or type == "boolean" then tostring
    else error("\(type) (\(tojson)) is not valid in a tsv row") end) | join("\t") end;
"#;

fn run(o: &Options, code: &str) -> i32 {
    let program = format!("{EXTRA_DEFS}{code}");
    let code = program.as_str();
    let env: jaq_json::Map = std::env::vars().map(|(k, v)| (Val::from(k), Val::from(v))).collect();
    let mut names: Vec<&str> = vec!["$ENV"];
    let mut values = vec![Val::obj(env)];
    for (name, value) in &o.vars {
        names.push(name);
        values.push(value.clone());
    }
    let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
    let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = match loader.load(&arena, File { code, path: () }) {
        Ok(modules) => modules,
        Err(errors) => {
            for (_, error) in errors {
                eprintln!("jq: error: {}", load_error(&error));
            }
            eprintln!("jq: 1 compile error");
            return 3;
        }
    };
    let filter = match Compiler::default().with_funs(funs).with_global_vars(names.iter().copied()).compile(modules) {
        Ok(filter) => filter,
        Err(errors) => {
            for (_, undefined) in errors {
                for (name, kind) in undefined {
                    eprintln!("jq: error: {name} is not defined ({})", kind.as_str());
                }
            }
            eprintln!("jq: 1 compile error");
            return 3;
        }
    };
    let inputs = match read_inputs(o) {
        Ok(inputs) => inputs,
        Err(message) => {
            eprintln!("jq: error (at <stdin>:0): {message}");
            return 2;
        }
    };
    let mut out = io::stdout().lock();
    let mut last: Option<Val> = None;
    let mut status = 0;
    for input in inputs {
        let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new(values.clone()));
        for result in filter.id.run((ctx, input)).map(unwrap_valr) {
            match result {
                Ok(value) => {
                    if let Err(err) = print(o, &mut out, &value) {
                        if err.kind() == io::ErrorKind::BrokenPipe {
                            return status;
                        }
                        eprintln!("jq: error: {}", util::errmsg(&err));
                        return 2;
                    }
                    last = Some(value);
                }
                Err(err) => {
                    let _ = out.flush();
                    eprintln!("jq: error (at <stdin>:0): {}", run_error(&err));
                    status = 5;
                }
            }
        }
    }
    let _ = out.flush();
    if status == 0 && o.exit_status {
        return match last {
            None => 4,
            Some(Val::Null | Val::Bool(false)) => 1,
            Some(_) => 0,
        };
    }
    status
}

/// The values to run the filter on: each JSON value of the input (files
/// in turn, or stdin), all of them as one array with `-s`, each line as a
/// string with `-R`, or one `null` with `-n`.
fn read_inputs(o: &Options) -> Result<Vec<Val>, String> {
    if o.null_input {
        return Ok(vec![Val::Null]);
    }
    let mut bytes = Vec::new();
    if o.files.is_empty() {
        io::stdin().lock().read_to_end(&mut bytes).map_err(|e| util::errmsg(&e))?;
    } else {
        for file in &o.files {
            let mut f = std::fs::File::open(file)
                .map_err(|e| format!("Could not open {}: {}", file.to_string_lossy(), util::errmsg(&e)))?;
            f.read_to_end(&mut bytes).map_err(|e| util::errmsg(&e))?;
        }
    }
    if o.raw_input {
        if o.slurp {
            return Ok(vec![Val::from(String::from_utf8_lossy(&bytes).into_owned())]);
        }
        return Ok(bytes.lines().map(|line| Val::from(line.unwrap_or_default())).collect());
    }
    let values: Result<Vec<Val>, String> =
        jaq_json::read::parse_many(&bytes).map(|v| v.map_err(|e| e.to_string())).collect();
    let values = values?;
    Ok(if o.slurp { vec![values.into_iter().collect()] } else { values })
}

fn print(o: &Options, out: &mut impl Write, value: &Val) -> io::Result<()> {
    match value {
        Val::TStr(s) if o.raw => out.write_all(s)?,
        Val::BStr(s) if o.raw => out.write_all(s)?,
        _ => {
            let indent = if o.compact {
                None
            } else if o.tab {
                Some("\t".to_string())
            } else {
                Some(" ".repeat(o.indent))
            };
            let pretty = indent.as_ref().is_some_and(|i| !i.is_empty());
            let pp = jaq_json::write::Pp {
                indent: indent.filter(|i| !i.is_empty()),
                sort_keys: o.sort_keys,
                sep_space: pretty,
                ..Default::default()
            };
            jaq_json::write::write(out, &pp, 0, value)?;
        }
    }
    if !o.join {
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn load_error(error: &jaq_core::load::Error<&str>) -> String {
    use jaq_core::load::Error;
    let near = |rest: &str| rest.chars().take(20).collect::<String>();
    match error {
        Error::Io(errors) => errors.iter().map(|(path, e)| format!("{path}: {e}")).collect::<Vec<_>>().join("; "),
        Error::Lex(errors) => errors
            .iter()
            .map(|(expect, rest)| format!("syntax error: expected {} near '{}'", expect.as_str(), near(rest)))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Parse(errors) => errors
            .iter()
            .map(|(expect, rest)| format!("syntax error: expected {} near '{}'", expect.as_str(), near(rest)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn run_error(err: &jaq_core::Error<Val>) -> String {
    // A string thrown by `error` is shown bare, as jq shows it.
    let text = err.to_string();
    text.strip_prefix("error: ").map(str::to_string).unwrap_or(text)
}
