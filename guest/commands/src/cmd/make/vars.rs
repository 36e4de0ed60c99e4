//! Variables: flavors, origins, the assignment operators, and the values
//! make starts with.

use std::collections::BTreeMap;

/// Where a variable's value came from, weakest first: an assignment takes
/// effect only over a value of the same or a weaker origin (a makefile's
/// `CC = gcc` does not override `make CC=clang`, `override` does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Built in (`CC`, `RM`, …).
    Default,
    /// The environment.
    Environment,
    /// A makefile.
    File,
    /// The environment, under `-e`.
    EnvOverride,
    /// The command line (`make X=1`).
    CommandLine,
    /// An `override` directive.
    Override,
    /// Automatic variables and `$(call)` arguments.
    Automatic,
}

impl Origin {
    /// The word `$(origin)` gives.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::Environment => "environment",
            Origin::File => "file",
            Origin::EnvOverride => "environment override",
            Origin::CommandLine => "command line",
            Origin::Override => "override",
            Origin::Automatic => "automatic",
        }
    }
}

/// How a value is used when referenced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `=`: expanded at each reference.
    Recursive,
    /// `:=`: expanded once, when assigned.
    Simple,
}

/// Whether a variable goes into the environment of recipes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// Exported if it came from the environment or the command line, or
    /// under `.EXPORT_ALL_VARIABLES`/a bare `export`.
    Default,
    /// `export NAME`.
    Yes,
    /// `unexport NAME`.
    No,
}

/// One variable.
#[derive(Clone, Debug)]
pub struct Var {
    /// Its value: unexpanded for [`Flavor::Recursive`].
    pub value: String,
    /// How it is expanded.
    pub flavor: Flavor,
    /// Where it came from.
    pub origin: Origin,
    /// Whether recipes see it.
    pub export: Export,
    /// Where a makefile defined it (self-reference is reported there).
    pub loc: Option<super::Loc>,
}

impl Var {
    /// A variable of the given flavor and origin, exported by default rules.
    pub fn new(value: impl Into<String>, flavor: Flavor, origin: Origin) -> Var {
        Var { value: value.into(), flavor, origin, export: Export::Default, loc: None }
    }
}

/// A table of variables by name.
pub type Table = BTreeMap<String, Var>;

/// An assignment operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Recursive,
    /// `:=` or `::=`
    Simple,
    /// `?=`
    Conditional,
    /// `+=`
    Append,
    /// `!=`: the output of a shell command.
    Shell,
}

/// A target- or pattern-specific assignment (`prog: CFLAGS += -g`), applied
/// when that target is built, over the variables of whatever it is built for.
#[derive(Clone, Debug)]
pub struct TargetVar {
    /// The variable.
    pub name: String,
    /// The operator; a `:=` value was expanded when the line was read.
    pub op: Op,
    /// The value as written (expanded for `:=`).
    pub value: String,
    /// [`Origin::File`] or [`Origin::Override`].
    pub origin: Origin,
    /// `export` before the assignment.
    pub export: Export,
}

/// The variables every makefile starts with (GNU make's defaults for C and
/// C++ and the tools its built-in rules name), all of origin `default`.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("AR", "ar"),
    ("ARFLAGS", "rv"),
    ("AS", "as"),
    ("CC", "cc"),
    ("COMPILE.c", "$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c"),
    ("COMPILE.cc", "$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c"),
    ("COMPILE.cpp", "$(COMPILE.cc)"),
    ("CPP", "$(CC) -E"),
    ("CXX", "g++"),
    ("LD", "ld"),
    ("LINK.c", "$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)"),
    ("LINK.cc", "$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)"),
    ("LINK.cpp", "$(LINK.cc)"),
    ("LINK.o", "$(CC) $(LDFLAGS) $(TARGET_ARCH)"),
    ("OUTPUT_OPTION", "-o $@"),
    ("RM", "rm -f"),
    ("SHELL", "/bin/sh"),
    (".SHELLFLAGS", "-c"),
];

/// GNU make's default `.SUFFIXES` list: a target ending in one of these is
/// not made by a match-anything rule, and an explicit rule's `$*` is the
/// target without it.
pub const SUFFIXES: &[&str] = &[
    ".out", ".a", ".ln", ".o", ".c", ".cc", ".C", ".cpp", ".p", ".f", ".F", ".m", ".r", ".y", ".l", ".ym", ".yl", ".s",
    ".S", ".mod", ".sym", ".def", ".h", ".info", ".dvi", ".tex", ".texinfo", ".texi", ".txinfo", ".w", ".ch", ".web",
    ".sh", ".elc", ".el",
];

/// The built-in rules, as (target pattern, prerequisite pattern, recipe),
/// in GNU's order (that of `.SUFFIXES`): compiling C and C++, and linking a
/// program from its object or straight from its source.
pub const BUILTIN_RULES: &[(&str, &str, &str)] = &[
    ("%", "%.o", "$(LINK.o) $^ $(LOADLIBES) $(LDLIBS) -o $@"),
    ("%.o", "%.c", "$(COMPILE.c) $(OUTPUT_OPTION) $<"),
    ("%", "%.c", "$(LINK.c) $^ $(LOADLIBES) $(LDLIBS) -o $@"),
    ("%.o", "%.cc", "$(COMPILE.cc) $(OUTPUT_OPTION) $<"),
    ("%", "%.cc", "$(LINK.cc) $^ $(LOADLIBES) $(LDLIBS) -o $@"),
    ("%.o", "%.cpp", "$(COMPILE.cpp) $(OUTPUT_OPTION) $<"),
    ("%", "%.cpp", "$(LINK.cpp) $^ $(LOADLIBES) $(LDLIBS) -o $@"),
];

/// Whether `name` can be put in the environment.
pub fn exportable(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
