//! make's options: from `MAKEFLAGS` (what a parent make passes down) and
//! the command line, and the `MAKEFLAGS` this make passes to its children.

use std::ffi::OsString;

use lexopt::prelude::*;

/// Every option make takes, after `MAKEFLAGS` and the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// How make was invoked (`$(MAKE)`).
    pub argv0: String,
    /// `-f FILE`, in order.
    pub files: Vec<String>,
    /// `-C DIR`, in order (each relative to the one before).
    pub dirs: Vec<String>,
    /// `-I DIR`: where `include` looks for relative names.
    pub include_dirs: Vec<String>,
    /// The targets named on the command line.
    pub goals: Vec<String>,
    /// `VAR=value` arguments (and those from `MAKEFLAGS`), in order.
    pub assigns: Vec<String>,
    /// `--eval=TEXT`.
    pub evals: Vec<String>,
    /// `-j [N]` (accepted and passed on; recipes still run one at a time).
    pub jobs: Option<Option<usize>>,
    /// `-k`
    pub keep_going: bool,
    /// `-n`
    pub just_print: bool,
    /// `-s`
    pub silent: bool,
    /// `-B`
    pub always_make: bool,
    /// `-i`
    pub ignore_errors: bool,
    /// `-e`
    pub env_override: bool,
    /// `-r`
    pub no_builtin_rules: bool,
    /// `-R`
    pub no_builtin_vars: bool,
    /// `-q`
    pub question: bool,
    /// `-t`
    pub touch: bool,
    /// `-w` (`Some(true)`) or `--no-print-directory` (`Some(false)`).
    pub print_dir: Option<bool>,
    /// Whether directories are printed in the end (set by `main`).
    pub printing_dirs: bool,
    /// `--warn-undefined-variables`
    pub warn_undefined: bool,
}

/// What the arguments ask for.
pub enum Parsed {
    /// Run make.
    Run(Options),
    /// Exit at once with this status (`--help`, `--version`).
    Exit(i32),
}

/// Parses `MAKEFLAGS` from the environment, then `args`.
///
/// # Errors
/// A usage error's message.
pub fn parse(cmd: &str, args: Vec<OsString>) -> Result<Parsed, String> {
    let mut opts = Options { argv0: cmd.to_string(), ..Options::default() };
    if let Ok(flags) = std::env::var("MAKEFLAGS") {
        let (flags, assigns) = match flags.split_once(" -- ") {
            Some((flags, assigns)) => (flags.to_string(), assigns.to_string()),
            None if flags.starts_with("-- ") => (String::new(), flags[3..].to_string()),
            None => (flags, String::new()),
        };
        let mut words: Vec<OsString> = Vec::new();
        for (index, word) in flags.split(' ').filter(|w| !w.is_empty()).enumerate() {
            if index == 0 && !word.starts_with('-') {
                words.push(format!("-{word}").into());
            } else if !word.starts_with("--jobserver") {
                words.push(word.into());
            }
        }
        apply(cmd, &mut opts, words, true)?;
        // A parent's `VAR=value`s, unquoted as GNU make quotes them.
        opts.assigns.extend(split_escaped(&assigns).into_iter().rev());
    }
    match apply(cmd, &mut opts, args, false)? {
        Some(code) => Ok(Parsed::Exit(code)),
        None => Ok(Parsed::Run(opts)),
    }
}

/// Applies options from `args`; `Some(status)` if make should exit.
fn apply(cmd: &str, opts: &mut Options, args: Vec<OsString>, from_env: bool) -> Result<Option<i32>, String> {
    let mut parser = lexopt::Parser::from_args(args);
    let text = |v: Result<OsString, lexopt::Error>| -> Result<String, String> {
        v.map_err(gnu_error).and_then(crate::util::string)
    };
    while let Some(arg) = parser.next().map_err(gnu_error)? {
        match arg {
            Short('f') | Long("file") | Long("makefile") => opts.files.push(text(parser.value())?),
            Short('C') | Long("directory") => opts.dirs.push(text(parser.value())?),
            Short('I') | Long("include-dir") => opts.include_dirs.push(text(parser.value())?),
            Short('j') | Long("jobs") => {
                let value = match parser.optional_value() {
                    Some(v) => Some(v),
                    // `-j 4`: a number after a bare -j is its value.
                    None => parser.raw_args().ok().and_then(|mut raw| {
                        raw.next_if(|a| {
                            a.to_str().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                        })
                    }),
                };
                let value = value.map(crate::util::string).transpose()?;
                let jobs = match value {
                    Some(n) => Some(
                        n.parse::<usize>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or("the '-j' option requires a positive integer argument")?,
                    ),
                    None => None,
                };
                opts.jobs = Some(jobs);
            }
            Short('l') | Long("load-average") | Long("max-load") => {
                let _ = parser.optional_value();
            }
            Short('O') | Long("output-sync") => {
                let _ = parser.optional_value();
            }
            Short('k') | Long("keep-going") => opts.keep_going = true,
            Short('S') | Long("no-keep-going") | Long("stop") => opts.keep_going = false,
            Short('n') | Long("just-print") | Long("dry-run") | Long("recon") => opts.just_print = true,
            Short('s') | Long("silent") | Long("quiet") => opts.silent = true,
            Short('B') | Long("always-make") => opts.always_make = true,
            Short('i') | Long("ignore-errors") => opts.ignore_errors = true,
            Short('e') | Long("environment-overrides") => opts.env_override = true,
            Short('r') | Long("no-builtin-rules") => opts.no_builtin_rules = true,
            Short('R') | Long("no-builtin-variables") => {
                opts.no_builtin_vars = true;
                opts.no_builtin_rules = true;
            }
            Short('q') | Long("question") => opts.question = true,
            Short('t') | Long("touch") => opts.touch = true,
            Short('w') | Long("print-directory") => opts.print_dir = Some(true),
            Long("no-print-directory") => opts.print_dir = Some(false),
            Long("warn-undefined-variables") => opts.warn_undefined = true,
            Short('E') | Long("eval") => opts.evals.push(text(parser.value())?),
            Long("no-silent") => opts.silent = false,
            Short('b') | Short('m') => {}
            Short('h') | Long("help") if !from_env => {
                print!("{}", help(cmd));
                return Ok(Some(0));
            }
            Short('v') | Long("version") if !from_env => {
                println!("{cmd} (capsa) {}", env!("CARGO_PKG_VERSION"));
                println!("POSIX make with the GNU extensions everyday makefiles use, as GNU make 4.3 runs them.");
                return Ok(Some(0));
            }
            Short(c @ ('p' | 'd' | 'o' | 'W' | 'L')) => {
                return Err(format!("-{c}: not supported by capsa's make"));
            }
            Long(
                name @ ("print-data-base"
                | "debug"
                | "old-file"
                | "assume-old"
                | "what-if"
                | "new-file"
                | "assume-new"
                | "trace"
                | "check-symlink-times"),
            ) => {
                return Err(format!("--{name}: not supported by capsa's make"));
            }
            Value(value) => {
                let value = crate::util::string(value)?;
                if value.contains('=') && super::parse::find_assign(&value).is_some() {
                    opts.assigns.push(value);
                } else if !from_env {
                    opts.goals.push(value);
                }
            }
            Short(c) => return Err(format!("invalid option -- '{c}'")),
            Long(name) => return Err(format!("unrecognized option '--{name}'")),
        }
    }
    Ok(None)
}

/// A lexopt error worded as GNU make words it.
fn gnu_error(err: lexopt::Error) -> String {
    match err {
        lexopt::Error::MissingValue { option: Some(option) } => {
            let name = option.trim_start_matches('-');
            if option.starts_with("--") {
                format!("option '{option}' requires an argument")
            } else {
                format!("option requires an argument -- '{name}'")
            }
        }
        lexopt::Error::UnexpectedValue { option, .. } => format!("option '{option}' doesn't allow an argument"),
        other => other.to_string(),
    }
}

/// Splits `a=1 b=x\ y` at unescaped spaces, removing the escapes.
fn split_escaped(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            ' ' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The usage, on stderr after a usage error (as GNU make prints it).
pub fn usage_hint(cmd: &str) {
    eprint!("{}", help(cmd));
}

impl Options {
    /// `MAKEFLAGS` as GNU make writes it: the one-letter flags as one word
    /// without a dash, then options with values, then (for children,
    /// `with_rest`) `-- VAR=value…` in reverse order. Makefiles see only
    /// the letters, as in GNU make.
    pub fn makeflags(&self, with_rest: bool) -> String {
        let (letters, others) = self.flag_parts();
        if !with_rest {
            return letters;
        }
        let mut out = letters + &others;
        if !self.assigns.is_empty() {
            out.push_str(" --");
            for assign in self.assigns.iter().rev() {
                out.push(' ');
                for c in assign.chars() {
                    if c == ' ' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
        out
    }

    /// `MFLAGS`: the flags with a dash and without the variables.
    pub fn mflags(&self) -> String {
        let (letters, others) = self.flag_parts();
        if letters.is_empty() { others.trim_start().to_string() } else { format!("-{letters}{others}") }
    }

    /// The one-letter flags, and the other options each after a space.
    fn flag_parts(&self) -> (String, String) {
        let letters: String = [
            (self.always_make, 'B'),
            (self.env_override, 'e'),
            (self.ignore_errors, 'i'),
            (self.keep_going, 'k'),
            (self.just_print, 'n'),
            (self.question, 'q'),
            (self.no_builtin_rules, 'r'),
            (self.no_builtin_vars, 'R'),
            (self.silent, 's'),
            (self.touch, 't'),
            (self.printing_dirs && self.print_dir != Some(false), 'w'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect();
        let mut others = String::new();
        for dir in &self.include_dirs {
            others.push_str(&format!(" -I{dir}"));
        }
        match self.jobs {
            Some(Some(n)) => others.push_str(&format!(" -j{n}")),
            Some(None) => others.push_str(" -j"),
            None => {}
        }
        if self.print_dir == Some(false) {
            others.push_str(" --no-print-directory");
        }
        if self.warn_undefined {
            others.push_str(" --warn-undefined-variables");
        }
        (letters, others)
    }
}

fn help(cmd: &str) -> String {
    format!(
        "Usage: {cmd} [options] [target] ...
Options:
  -B, --always-make           Unconditionally make all targets.
  -C DIRECTORY, --directory=DIRECTORY
                              Change to DIRECTORY before doing anything.
  -e, --environment-overrides
                              Environment variables override makefiles.
  -E STRING, --eval=STRING    Evaluate STRING as a makefile statement.
  -f FILE, --file=FILE, --makefile=FILE
                              Read FILE as a makefile.
  -h, --help                  Print this message and exit.
  -i, --ignore-errors         Ignore errors from recipes.
  -I DIRECTORY, --include-dir=DIRECTORY
                              Search DIRECTORY for included makefiles.
  -j [N], --jobs[=N]          Accepted; recipes run one at a time.
  -k, --keep-going            Keep going when some targets can't be made.
  -n, --just-print, --dry-run, --recon
                              Don't actually run any recipe; just print them.
  -q, --question              Run no recipe; exit status says if up to date.
  -r, --no-builtin-rules      Disable the built-in implicit rules.
  -R, --no-builtin-variables  Disable the built-in variable settings.
  -s, --silent, --quiet       Don't echo recipes.
  -S, --no-keep-going, --stop
                              Turns off -k.
  -t, --touch                 Touch targets instead of remaking them.
  -v, --version               Print the version number of make and exit.
  -w, --print-directory       Print the current directory.
  --no-print-directory        Turn off -w, even if it was turned on implicitly.
  --warn-undefined-variables  Warn when an undefined variable is referenced.
"
    )
}
