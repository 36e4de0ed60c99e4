//! `make [OPTION]... [VAR=VALUE]... [TARGET]...`: POSIX make with the GNU
//! extensions everyday makefiles use, following GNU make 4.3's behaviour
//! and messages.
//!
//! Makefiles: `GNUmakefile`, `makefile` or `Makefile` (or each `-f FILE`,
//! `-` for stdin). Syntax: rules with several targets and prerequisites,
//! order-only prerequisites (`|`), double-colon rules, recipes after a tab
//! (or `.RECIPEPREFIX`) or a `;`, `\` continuations, comments,
//! `include`/`-include`/`sinclude`, `=`, `:=`, `::=`, `?=`, `+=`, `!=`,
//! `override`, `export`/`unexport`, `undefine`, `define … endef`,
//! target- and pattern-specific variables, `ifeq`/`ifneq`/`ifdef`/`ifndef`/
//! `else`/`endif`, pattern rules (`%.o: %.c`, chained through intermediate
//! files, which are deleted afterwards), static pattern rules, old-style
//! suffix rules (`.c.o:`), wildcards in targets and prerequisites, and the
//! special targets `.PHONY`, `.SUFFIXES`, `.DEFAULT`, `.PRECIOUS`,
//! `.SECONDARY`, `.INTERMEDIATE`, `.DELETE_ON_ERROR`, `.SILENT`, `.IGNORE`,
//! `.ONESHELL`, `.EXPORT_ALL_VARIABLES`, `.NOTPARALLEL`, `.POSIX`.
//! Built-in rules: compiling C (`%.o: %.c`, `$(CC)` = `cc`) and C++
//! (`.cc`, `.cpp`) and linking (`%: %.o`, `%: %.c`), with GNU's variables.
//! Automatic variables `$@ $< $^ $+ $? $* $|` and their `D`/`F` forms;
//! substitution references `$(VAR:a=b)`; the functions `subst patsubst
//! strip findstring filter filter-out sort word words wordlist firstword
//! lastword dir notdir suffix basename addsuffix addprefix join wildcard
//! realpath abspath if or and foreach call value eval origin flavor shell
//! file error warning info`. `MAKE`, `MAKEFLAGS`, `MFLAGS`, `MAKELEVEL`,
//! `CURDIR`, `MAKECMDGOALS`, `MAKEFILE_LIST`, `.DEFAULT_GOAL` and
//! `.SHELLSTATUS` are set; included makefiles that a rule can make are made
//! and the makefiles read again, as GNU make re-executes itself.
//!
//! Recipe lines run one at a time through `$(SHELL) $(.SHELLFLAGS) LINE`
//! (`/bin/sh -c`), echoed first unless `@`, `-s` or `.SILENT`; `-` ignores
//! a line's failure, `+` runs it even under `-n`/`-t`/`-q` (as does a line
//! naming `$(MAKE)`).
//!
//! Options: `-f FILE`, `-C DIR`, `-I DIR`, `-j [N]` (accepted; recipes run
//! one at a time all the same), `-l N` (accepted, ignored), `-O[TYPE]`
//! (accepted: output is never interleaved), `-k`, `-S`, `-n`, `-s`, `-B`,
//! `-i`, `-e`, `-q`, `-t`, `-r`, `-R`, `-w`, `--no-print-directory`,
//! `--eval=TEXT`, `--warn-undefined-variables`, `--help`, `-v`/`--version`.
//! Not supported, each refused with a message: `vpath`/`VPATH` search,
//! `.SECONDEXPANSION`, grouped targets (`&:`), archive members (`lib(m.o)`),
//! `load`, `$(guile)`, `-p`, `-d`, `-o`, `-W`, `-L`. The guest's stack
//! bounds prerequisite chains to 250 levels and nested expansions (a
//! recursive `$(call)`: three levels a call) to 500, past which make stops
//! with a message. `--version` names capsa's make; `$(MAKE_VERSION)` is
//! 4.3, the GNU make whose behaviour it follows.
//!
//! Exit status: 0 when every goal was made or was up to date, 1 under `-q`
//! when something is out of date, 2 on any error.

mod assign;
mod expand;
mod functions;
mod options;
mod parse;
mod recipe;
mod rules;
mod run;
mod text;
mod vars;

use std::ffi::OsString;
use std::rc::Rc;

use options::Options;
use vars::{Flavor, Origin, Table, Var};

/// Where a line came from, for messages (`Makefile:3: …`).
#[derive(Clone, Debug)]
pub struct Loc {
    /// The makefile's name as given.
    pub file: Rc<str>,
    /// Its line number, from 1.
    pub line: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An error that stops make: printed `FILE:LINE: *** MSG.  Stop.` (or with
/// the program name when there is no line), exit status 2.
#[derive(Debug)]
pub struct Fatal {
    /// The line it is about, if any.
    pub loc: Option<Loc>,
    /// The message, without the final period.
    pub msg: String,
}

/// Results that may stop make.
pub type Res<T> = Result<T, Fatal>;

/// The values of the automatic variables while a recipe is expanded.
#[derive(Debug, Default)]
pub struct Auto {
    /// `$@`
    pub target: String,
    /// `$<`
    pub first: String,
    /// `$^`: the prerequisites without duplicates.
    pub all: Vec<String>,
    /// `$+`: the prerequisites as listed.
    pub plus: Vec<String>,
    /// `$?`: those newer than the target.
    pub newer: Vec<String>,
    /// `$|`: the order-only prerequisites.
    pub order: Vec<String>,
    /// `$*`
    pub stem: String,
}

/// The scope an expansion sees on top of the global variables: layers of
/// target-specific variables, `$(call)` arguments and `$(foreach)`
/// variables (innermost last), and the automatic variables of a recipe.
#[derive(Clone, Debug, Default)]
pub struct Cx {
    /// Variable layers, innermost last.
    pub layers: Vec<Rc<Table>>,
    /// The automatic variables, inside a recipe.
    pub auto: Option<Rc<Auto>>,
}

impl Cx {
    /// This scope with one more layer holding `vars`.
    pub fn with(&self, vars: Table) -> Cx {
        let mut cx = self.clone();
        cx.layers.push(Rc::new(vars));
        cx
    }
}

/// One run of make: options, variables, the rule database and the state
/// of the build.
pub struct Make {
    /// The options (from `MAKEFLAGS`, the command line and the makefiles).
    pub opts: Options,
    /// The name in messages: `make`, or `make[N]` in a sub-make.
    pub prog: String,
    /// `MAKELEVEL`: how deep in recursive makes this one is.
    pub level: usize,
    /// The global variables.
    pub vars: Table,
    /// The rules and special targets.
    pub db: rules::Db,
    /// The line being read or run, for messages.
    pub loc: Option<Loc>,
    /// Recursive variables being expanded, with where each was defined
    /// (to catch self-reference, and for messages).
    pub expanding: Vec<(String, Option<Loc>)>,
    /// How deeply expansions nest now (bounded: the guest's stack is small).
    pub depth: usize,
    /// How many `$(call)` arguments the enclosing calls have.
    pub call_args: usize,
    /// Every makefile read or to be read: (name, where it was included,
    /// whether a missing one is an error).
    pub makefiles: Vec<(String, Option<Loc>, bool)>,
    /// The makefiles being read, innermost last.
    pub reading: Vec<String>,
    /// The character that starts a recipe line.
    pub recipe_prefix: char,
    /// `SHELL` from the environment, which recipes inherit (POSIX: the
    /// makefile's `SHELL` does not reach them unless exported).
    pub env_shell: Option<String>,
    /// Targets being and having been brought up to date.
    pub build: run::Build,
}

/// Most times the makefiles are read again after some were remade, so a
/// makefile that is always out of date cannot loop forever.
const MAX_RESTARTS: usize = 10;

/// Runs `make` with `args`; returns the exit status.
pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let level = std::env::var("MAKELEVEL").ok().and_then(|l| l.trim().parse::<usize>().ok()).unwrap_or(0);
    let prog = if level > 0 { format!("{cmd}[{level}]") } else { cmd.to_string() };
    let mut opts = match options::parse(cmd, args) {
        Ok(options::Parsed::Run(opts)) => opts,
        Ok(options::Parsed::Exit(code)) => return code,
        Err(msg) => {
            eprintln!("{cmd}: {msg}");
            options::usage_hint(cmd);
            return 2;
        }
    };
    for dir in &opts.dirs {
        if let Err(err) = std::env::set_current_dir(dir) {
            eprintln!("{prog}: *** {dir}: {}.  Stop.", crate::util::errmsg(&err));
            return 2;
        }
    }
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
    let print_dir = opts.print_dir.unwrap_or(!opts.silent && (!opts.dirs.is_empty() || level > 0));
    opts.printing_dirs = print_dir;
    if print_dir {
        println!("{prog}: Entering directory '{cwd}'");
    }
    let mut code = 0;
    for restarts in 0..=MAX_RESTARTS {
        let mut make = Make::new(opts.clone(), prog.clone(), level, &cwd, restarts);
        match make.session(restarts < MAX_RESTARTS) {
            Ok(Some(status)) => {
                code = status;
                break;
            }
            Ok(None) => continue,
            Err(fatal) => {
                make.report(&fatal);
                make.remove_intermediates();
                code = 2;
                break;
            }
        }
    }
    crate::util::flush_stdout();
    if print_dir {
        println!("{prog}: Leaving directory '{cwd}'");
    }
    code
}

impl Make {
    /// A make with the starting variables: the defaults, the environment,
    /// make's own, and the command line's assignments.
    fn new(opts: Options, prog: String, level: usize, cwd: &str, restarts: usize) -> Make {
        let mut make = Make {
            opts,
            prog,
            level,
            vars: Table::new(),
            db: rules::Db::default(),
            loc: None,
            expanding: Vec::new(),
            depth: 0,
            call_args: 0,
            makefiles: Vec::new(),
            reading: Vec::new(),
            recipe_prefix: '\t',
            env_shell: None,
            build: run::Build::default(),
        };
        make.db.suffixes = vars::SUFFIXES.iter().map(|s| s.to_string()).collect();
        let set = |make: &mut Make, name: &str, value: &str, origin: Origin| {
            make.vars.insert(name.to_string(), Var::new(value, Flavor::Recursive, origin));
        };
        for (name, value) in vars::DEFAULTS {
            if !make.opts.no_builtin_vars || matches!(*name, "SHELL" | ".SHELLFLAGS") {
                set(&mut make, name, value, Origin::Default);
            }
        }
        for (name, value) in std::env::vars_os() {
            let (name, value) = (name.to_string_lossy().into_owned(), value.to_string_lossy().into_owned());
            match name.as_str() {
                // POSIX: the environment's SHELL is not make's.
                "SHELL" => make.env_shell = Some(value),
                "MAKEFLAGS" | "MFLAGS" | "MAKELEVEL" | "MAKEOVERRIDES" => {}
                _ => {
                    let mut var = Var::new(value, Flavor::Recursive, Origin::Environment);
                    var.export = vars::Export::Yes;
                    make.vars.insert(name, var);
                }
            }
        }
        let (argv0, flags, goals) = (make.opts.argv0.clone(), make.opts.makeflags(false), make.opts.goals.join(" "));
        set(&mut make, "MAKE", &argv0, Origin::Default);
        set(&mut make, "MAKE_COMMAND", &argv0, Origin::Default);
        set(&mut make, "MAKE_VERSION", "4.3", Origin::Default);
        set(&mut make, "MAKELEVEL", &level.to_string(), Origin::Default);
        set(&mut make, "CURDIR", cwd, Origin::File);
        set(&mut make, "MAKEFLAGS", &flags, Origin::File);
        set(&mut make, "MAKECMDGOALS", &goals, Origin::Default);
        set(&mut make, "MAKEFILE_LIST", "", Origin::File);
        set(&mut make, ".DEFAULT_GOAL", "", Origin::File);
        if restarts > 0 {
            set(&mut make, "MAKE_RESTARTS", &restarts.to_string(), Origin::Default);
        }
        make
    }

    /// Reads the makefiles, remakes those that rules make (`Ok(None)`: read
    /// them again), then updates the goals; `Ok(Some(status))` when done.
    fn session(&mut self, may_restart: bool) -> Res<Option<i32>> {
        for assign in self.opts.assigns.clone() {
            self.command_line_assign(&assign)?;
        }
        for (index, text) in self.opts.evals.clone().iter().enumerate() {
            self.read_text(text, Rc::from("--eval"), index + 1)?;
        }
        let files = if self.opts.files.is_empty() {
            ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .find(|f| std::path::Path::new(f).is_file())
                .map(|f| vec![f.to_string()])
                .unwrap_or_default()
        } else {
            self.opts.files.clone()
        };
        for file in &files {
            self.include(file, None, true)?;
        }
        self.after_reading()?;
        match self.remake_makefiles()? {
            run::Remade::Changed if may_restart => return Ok(None),
            run::Remade::Failed => return Ok(Some(2)),
            _ => {}
        }
        self.missing_makefiles()?;
        self.loc = None;
        let mut goals: Vec<String> = self.opts.goals.iter().map(|g| text::normalize(g)).collect();
        if goals.is_empty() {
            let default = self.expand_var(".DEFAULT_GOAL", &Cx::default())?;
            let default: Vec<&str> = text::words(&default).collect();
            if default.len() > 1 {
                return Err(self.fatal_here(".DEFAULT_GOAL contains more than one target"));
            }
            match default.first() {
                Some(goal) => goals.push(goal.to_string()),
                None if files.is_empty() => return Err(self.fatal_here("No targets specified and no makefile found")),
                None => return Err(self.fatal_here("No targets")),
            }
        }
        let status = self.build_goals(&goals)?;
        self.remove_intermediates();
        Ok(Some(status))
    }

    /// A command-line `VAR=value` (or `:=`, `::=`, `+=`, `?=`).
    fn command_line_assign(&mut self, text: &str) -> Res<()> {
        match parse::find_assign(text) {
            Some((name_end, op, value_start)) => {
                let name = text[..name_end].trim().to_string();
                let value = text[value_start..].to_string();
                self.assign(&name, op, &value, Origin::CommandLine, None, &Cx::default())
            }
            None => Err(self.fatal_here(&format!("invalid variable assignment '{text}'"))),
        }
    }

    /// A fatal error about the line being read or run.
    pub fn fatal(&self, msg: &str) -> Fatal {
        Fatal { loc: self.loc.clone(), msg: msg.to_string() }
    }

    /// A fatal error about no line (`make: *** …  Stop.`).
    pub fn fatal_here(&self, msg: &str) -> Fatal {
        Fatal { loc: None, msg: msg.to_string() }
    }

    /// Prints a fatal error as GNU make does.
    pub fn report(&self, fatal: &Fatal) {
        crate::util::flush_stdout();
        match &fatal.loc {
            Some(loc) => eprintln!("{loc}: *** {}.  Stop.", fatal.msg),
            None => eprintln!("{}: *** {}.  Stop.", self.prog, fatal.msg),
        }
    }

    /// Prints a warning about the current line.
    pub fn warn(&self, msg: &str) {
        crate::util::flush_stdout();
        match &self.loc {
            Some(loc) => eprintln!("{loc}: {msg}"),
            None => eprintln!("{}: {msg}", self.prog),
        }
    }
}
