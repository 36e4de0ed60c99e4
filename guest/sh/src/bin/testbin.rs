//! `sh-testbin`: a multicall program with small versions of the commands
//! the shell's tests pipe through (`cat`, `seq`, `sort`, `head`, `tail`,
//! `tr`, `wc`, `grep`, `uniq`, `cut`, `sleep`, `touch`, `rm`, `mkdir`,
//! `ls`, `basename`, `dirname`), chosen by `argv[0]`'s file name. They
//! cover only the options the tests use; the command suite provides the
//! real ones.

use std::io::{self, BufRead, Read, Write};

fn main() {
    let _ = wasi_ext::init();
    let args: Vec<String> = std::env::args().collect();
    let name = args.first().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).unwrap_or_default();
    let rest = &args[1.min(args.len())..];
    let code = match run(&name, rest) {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 141,
        Err(e) => {
            eprintln!("{name}: {e}");
            1
        }
    };
    let _ = io::stdout().flush();
    std::process::exit(code);
}

/// All of stdin, or the named files, as text.
fn input(files: &[String]) -> io::Result<String> {
    let mut text = String::new();
    if files.is_empty() || files == ["-"] {
        io::stdin().read_to_string(&mut text)?;
    } else {
        for f in files {
            text.push_str(&std::fs::read_to_string(f)?);
        }
    }
    Ok(text)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn run(name: &str, args: &[String]) -> io::Result<i32> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let flags: Vec<&str> = args.iter().filter(|a| a.starts_with('-') && a.len() > 1).map(String::as_str).collect();
    let plain: Vec<String> = args.iter().filter(|a| !a.starts_with('-') || a.len() == 1).cloned().collect();
    let count_arg = |default: usize| -> usize {
        let mut n = default;
        for (i, a) in args.iter().enumerate() {
            if a == "-n" {
                n = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(default);
            } else if let Some(v) = a.strip_prefix("-n").or_else(|| a.strip_prefix('-'))
                && let Ok(v) = v.parse()
            {
                n = v;
            }
        }
        n
    };
    let files_after_n = || -> Vec<String> {
        let mut files = Vec::new();
        let mut skip = false;
        for a in args {
            if skip {
                skip = false;
                continue;
            }
            if a == "-n" {
                skip = true;
                continue;
            }
            if !a.starts_with('-') {
                files.push(a.clone());
            }
        }
        files
    };
    match name {
        "cat" => {
            if plain.is_empty() {
                io::copy(&mut io::stdin().lock(), &mut out)?;
            }
            for f in &plain {
                if f == "-" {
                    io::copy(&mut io::stdin().lock(), &mut out)?;
                } else {
                    match std::fs::read(f) {
                        Ok(b) => out.write_all(&b)?,
                        Err(e) => {
                            eprintln!("cat: {f}: {e}");
                            return Ok(1);
                        }
                    }
                }
            }
        }
        "seq" => {
            let nums: Vec<i64> = plain.iter().filter_map(|a| a.parse().ok()).collect();
            let (first, step, last) = match nums[..] {
                [l] => (1, 1, l),
                [f, l] => (f, 1, l),
                [f, s, l] => (f, s, l),
                _ => return Ok(1),
            };
            let mut i = first;
            while (step > 0 && i <= last) || (step < 0 && i >= last) {
                writeln!(out, "{i}")?;
                i += step;
            }
        }
        "sort" => {
            let text = input(&plain)?;
            let mut ls = lines(&text);
            let numeric = flags.iter().any(|f| f.contains('n'));
            let reverse = flags.iter().any(|f| f.contains('r'));
            if numeric {
                let key = |s: &str| s.trim().parse::<f64>().unwrap_or(0.0);
                ls.sort_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(b)));
            } else {
                ls.sort();
            }
            if reverse {
                ls.reverse();
            }
            if flags.iter().any(|f| f.contains('u')) {
                ls.dedup();
            }
            for l in ls {
                writeln!(out, "{l}")?;
            }
        }
        "head" => {
            let n = count_arg(10);
            let stdin = io::stdin();
            let mut taken = 0;
            let files = files_after_n();
            if files.is_empty() {
                for line in stdin.lock().lines() {
                    if taken >= n {
                        break;
                    }
                    writeln!(out, "{}", line?)?;
                    taken += 1;
                }
            } else {
                for l in lines(&input(&files)?).into_iter().take(n) {
                    writeln!(out, "{l}")?;
                }
            }
        }
        "tail" => {
            let n = count_arg(10);
            let text = input(&files_after_n())?;
            let ls = lines(&text);
            for l in &ls[ls.len().saturating_sub(n)..] {
                writeln!(out, "{l}")?;
            }
        }
        "tr" => {
            let delete = flags.contains(&"-d");
            let set = |s: &str| -> Vec<char> {
                let s = s.replace("\\n", "\n").replace("\\t", "\t");
                let c: Vec<char> = s.chars().collect();
                let mut v = Vec::new();
                let mut i = 0;
                while i < c.len() {
                    if i + 2 < c.len() && c[i + 1] == '-' {
                        v.extend(c[i]..=c[i + 2]);
                        i += 3;
                    } else {
                        v.push(c[i]);
                        i += 1;
                    }
                }
                v
            };
            let from = set(plain.first().map_or("", |s| s));
            let to = set(plain.get(1).map_or("", |s| s));
            let text = input(&[])?;
            let mut s = String::new();
            for ch in text.chars() {
                match from.iter().position(|&f| f == ch) {
                    Some(_) if delete => {}
                    Some(i) => s.push(*to.get(i).or(to.last()).unwrap_or(&ch)),
                    None => s.push(ch),
                }
            }
            out.write_all(s.as_bytes())?;
        }
        "wc" => {
            let text = input(&plain)?;
            let (l, w, c) = (text.matches('\n').count(), text.split_whitespace().count(), text.len());
            let picked: Vec<usize> = if flags.is_empty() {
                vec![l, w, c]
            } else {
                let mut v = Vec::new();
                for f in &flags {
                    if f.contains('l') {
                        v.push(l);
                    }
                    if f.contains('w') {
                        v.push(w);
                    }
                    if f.contains('c') || f.contains('m') {
                        v.push(c);
                    }
                }
                v
            };
            let cells: Vec<String> = picked.iter().map(usize::to_string).collect();
            writeln!(out, "{}", cells.join(" "))?;
        }
        "grep" => {
            let invert = flags.iter().any(|f| f.contains('v'));
            let count = flags.iter().any(|f| f.contains('c'));
            let quiet = flags.iter().any(|f| f.contains('q'));
            let icase = flags.iter().any(|f| f.contains('i'));
            let Some(pat) = plain.first() else { return Ok(2) };
            let re = regex_automata::meta::Regex::builder()
                .syntax(regex_automata::util::syntax::Config::new().case_insensitive(icase))
                .build(pat)
                .map_err(|e| io::Error::other(e.to_string()))?;
            let text = input(&plain[1..])?;
            let hits: Vec<&str> = lines(&text).into_iter().filter(|l| re.is_match(l) != invert).collect();
            if count {
                writeln!(out, "{}", hits.len())?;
            } else if !quiet {
                for h in &hits {
                    writeln!(out, "{h}")?;
                }
            }
            return Ok(if hits.is_empty() { 1 } else { 0 });
        }
        "uniq" => {
            let text = input(&plain)?;
            let mut ls = lines(&text);
            ls.dedup();
            for l in ls {
                writeln!(out, "{l}")?;
            }
        }
        "cut" => {
            let mut delim = '\t';
            let mut fields = Vec::new();
            for (i, a) in args.iter().enumerate() {
                if let Some(d) = a.strip_prefix("-d") {
                    delim = if d.is_empty() {
                        args.get(i + 1).and_then(|s| s.chars().next()).unwrap_or('\t')
                    } else {
                        d.chars().next().unwrap_or('\t')
                    };
                }
                if let Some(f) = a.strip_prefix("-f") {
                    let spec = if f.is_empty() { args.get(i + 1).cloned().unwrap_or_default() } else { f.to_string() };
                    fields = spec.split(',').filter_map(|x| x.parse::<usize>().ok()).collect();
                }
            }
            let text = input(&[])?;
            for l in lines(&text) {
                let parts: Vec<&str> = l.split(delim).collect();
                let picked: Vec<&str> = fields.iter().filter_map(|&f| parts.get(f.wrapping_sub(1)).copied()).collect();
                writeln!(out, "{}", picked.join(&delim.to_string()))?;
            }
        }
        "sleep" => {
            let secs: f64 = plain.first().and_then(|s| s.parse().ok()).unwrap_or(0.0);
            wasi_ext::sleep_ms((secs * 1000.0) as u64)?;
        }
        "touch" => {
            for f in &plain {
                std::fs::OpenOptions::new().create(true).append(true).open(f)?;
            }
        }
        "rm" => {
            for f in &plain {
                let r = if flags.iter().any(|f| f.contains('r')) {
                    std::fs::remove_dir_all(f)
                } else {
                    std::fs::remove_file(f)
                };
                if let Err(e) = r
                    && !flags.iter().any(|f| f.contains('f'))
                {
                    eprintln!("rm: {f}: {e}");
                    return Ok(1);
                }
            }
        }
        "mkdir" => {
            for f in &plain {
                if flags.contains(&"-p") { std::fs::create_dir_all(f)? } else { std::fs::create_dir(f)? }
            }
        }
        "ls" => {
            let dirs = if plain.is_empty() { vec![".".to_string()] } else { plain.clone() };
            for d in dirs {
                if std::path::Path::new(&d).is_dir() {
                    let mut names: Vec<String> =
                        std::fs::read_dir(&d)?.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
                    names.retain(|n| !n.starts_with('.'));
                    names.sort();
                    for n in names {
                        writeln!(out, "{n}")?;
                    }
                } else if std::path::Path::new(&d).exists() {
                    writeln!(out, "{d}")?;
                } else {
                    eprintln!("ls: cannot access '{d}': No such file or directory");
                    return Ok(2);
                }
            }
        }
        "basename" => {
            let p = plain.first().cloned().unwrap_or_default();
            let mut base = p.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string();
            if let Some(suffix) = plain.get(1) {
                base = base.strip_suffix(suffix.as_str()).unwrap_or(&base).to_string();
            }
            writeln!(out, "{base}")?;
        }
        "dirname" => {
            let p = plain.first().cloned().unwrap_or_default();
            let d = match p.trim_end_matches('/').rsplit_once('/') {
                Some(("", _)) => "/".to_string(),
                Some((d, _)) => d.to_string(),
                None => ".".to_string(),
            };
            writeln!(out, "{d}")?;
        }
        other => {
            eprintln!("sh-testbin: unknown command {other}");
            return Ok(127);
        }
    }
    out.flush()?;
    Ok(0)
}
