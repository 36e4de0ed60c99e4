//! The rule database: explicit, double-colon, static pattern, pattern and
//! suffix rules, special targets, target-specific variables, and the
//! search for an implicit rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;

use super::text::{self, Pattern};
use super::vars::{self, Export, Flavor, Op, Origin, TargetVar, Var};
use super::{Cx, Loc, Make, Res};

/// How long a chain of implicit rules may be (`a` from `a.o` from `a.c`
/// is 2); GNU make has no fixed limit, but a longer chain is a mistake.
const MAX_CHAIN: usize = 8;

/// How many files one search for an implicit rule may consider: with many
/// pattern rules the chains to try grow exponentially, and a search that
/// long finds nothing useful.
const SEARCH_BUDGET: usize = 10_000;

/// A recipe: its lines as written (without the recipe prefix) and where
/// the first one is, for messages.
#[derive(Debug)]
pub struct Recipe {
    /// The lines, unexpanded.
    pub lines: Vec<String>,
    /// The makefile (`<builtin>` for built-in rules).
    pub file: Rc<str>,
    /// The first line's number (0 for built-in rules).
    pub line: usize,
}

/// The prerequisites and recipe of one rule for a target.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    /// Normal prerequisites.
    pub prereqs: Vec<String>,
    /// Order-only prerequisites (after `|`).
    pub order_only: Vec<String>,
    /// The recipe, if the rule has one.
    pub recipe: Option<Rc<Recipe>>,
}

/// A file some rule names as a target.
#[derive(Debug, Default)]
pub struct Target {
    /// Its single-colon rules, merged.
    pub rule: Rule,
    /// Its double-colon rules, each run on its own.
    pub doubles: Vec<Rule>,
    /// `$*` from a static pattern rule.
    pub stem: Option<String>,
    /// Its target-specific variables.
    pub vars: Vec<TargetVar>,
    /// Whether a rule names it as a target (not only its variables).
    pub defined: bool,
}

/// A pattern rule (`%.o: %.c`).
#[derive(Debug)]
pub struct PatternRule {
    /// Target patterns (one recipe makes them all).
    pub targets: Vec<String>,
    /// Prerequisite patterns.
    pub prereqs: Vec<String>,
    /// Order-only prerequisite patterns.
    pub order_only: Vec<String>,
    /// The recipe.
    pub recipe: Rc<Recipe>,
    /// `%.x:: %.y`: its prerequisites must exist already.
    pub terminal: bool,
}

/// A rule line being read, until its recipe lines end.
pub struct RuleLine {
    /// The targets, expanded.
    pub targets: Vec<String>,
    /// The prerequisites, expanded.
    pub prereqs: Vec<String>,
    /// The order-only prerequisites, expanded.
    pub order_only: Vec<String>,
    /// A static pattern rule's target pattern.
    pub pattern: Option<String>,
    /// `::`
    pub double: bool,
    /// The recipe lines so far.
    pub recipe: Vec<String>,
    /// The first recipe line's number.
    pub recipe_line: Option<usize>,
    /// The rule line.
    pub loc: Loc,
}

/// A target-specific assignment line (`a b: VAR = value`).
pub struct TargetVarLine {
    /// The targets (or patterns) it is for.
    pub targets: Vec<String>,
    /// The variable.
    pub name: String,
    /// The operator.
    pub op: Op,
    /// The value (expanded for `:=`).
    pub value: String,
    /// File or override.
    pub origin: Origin,
    /// `export`, if given.
    pub export: Option<Export>,
}

/// Everything the makefiles said about targets.
#[derive(Debug, Default)]
pub struct Db {
    /// Explicit targets.
    pub targets: BTreeMap<String, Target>,
    /// Files named as prerequisites (they "ought to exist").
    pub mentioned: BTreeSet<String>,
    /// Pattern rules, in order (the makefiles', then the built-in ones).
    pub patterns: Vec<PatternRule>,
    /// Pattern-specific variables.
    pub pattern_vars: Vec<(Pattern, TargetVar)>,
    /// Special targets' prerequisites: `.PHONY`, `.PRECIOUS`, `.SECONDARY`,
    /// `.INTERMEDIATE`, `.SILENT`, `.IGNORE`, `.SUFFIXES`.
    pub special: BTreeMap<&'static str, BTreeSet<String>>,
    /// Special targets given without prerequisites (`.SILENT:` is all).
    pub special_all: BTreeSet<&'static str>,
    /// `.SUFFIXES`: known suffixes, in order.
    pub suffixes: Vec<String>,
    /// `.DEFAULT`'s recipe.
    pub default_recipe: Option<Rc<Recipe>>,
    /// A bare `export` or `.EXPORT_ALL_VARIABLES`.
    pub export_all: bool,
    /// Pattern rules cancelled by a rule without a recipe: (targets,
    /// prerequisites), so that no built-in rule comes back for them.
    pub cancelled: Vec<(Vec<String>, Vec<String>)>,
}

/// The special targets that take a list of files (or none, meaning all).
const SPECIAL: &[&str] = &[
    ".PHONY",
    ".PRECIOUS",
    ".SECONDARY",
    ".INTERMEDIATE",
    ".SILENT",
    ".IGNORE",
    ".DELETE_ON_ERROR",
    ".ONESHELL",
    ".NOTPARALLEL",
    ".POSIX",
    ".LOW_RESOLUTION_TIME",
    ".EXPORT_ALL_VARIABLES",
];

/// An implicit rule found for a file.
#[derive(Clone, Debug)]
pub struct Found {
    /// `$*`
    pub stem: String,
    /// Every file the rule makes (its target patterns with the stem).
    pub targets: Vec<String>,
    /// Its prerequisites with the stem.
    pub prereqs: Vec<String>,
    /// Its order-only prerequisites with the stem.
    pub order_only: Vec<String>,
    /// Its recipe.
    pub recipe: Rc<Recipe>,
    /// Prerequisites that other implicit rules make (intermediate files).
    pub chain: Vec<(String, Found)>,
}

impl Db {
    /// Whether `name` is listed under special target `special` (by name,
    /// or for `.PRECIOUS` by a `%` pattern too, as GNU make allows).
    pub fn is(&self, special: &str, name: &str) -> bool {
        self.special.get(special).is_some_and(|list| {
            list.contains(name)
                || (special == ".PRECIOUS"
                    && list.iter().any(|p| text::has_percent(p) && Pattern::new(p).matches(name).is_some()))
        })
    }

    /// Whether special target `special` was given with no list.
    pub fn all(&self, special: &str) -> bool {
        self.special_all.contains(special)
    }

    /// Whether special target `special` appears at all (`.ONESHELL`,
    /// `.DELETE_ON_ERROR` and the like ignore their prerequisites).
    pub fn given(&self, special: &str) -> bool {
        self.special.contains_key(special)
    }

    /// Whether `name` has a rule or is a prerequisite somewhere.
    pub fn known(&self, name: &str) -> bool {
        self.targets.contains_key(name) || self.mentioned.contains(name)
    }

    /// An implicit rule for `name`, GNU make's way: rules whose
    /// prerequisites exist or ought to exist first, then rules whose
    /// prerequisites other implicit rules can make (none used twice in a
    /// chain). At `depth` 1 and more, rules that match anything are left
    /// out, as for intermediate files.
    pub fn find_implicit(&self, name: &str, depth: usize) -> Option<Found> {
        let mut budget = SEARCH_BUDGET;
        self.search(name, depth, &mut Vec::new(), &mut budget)
    }

    fn search(&self, name: &str, depth: usize, in_use: &mut Vec<usize>, budget: &mut usize) -> Option<Found> {
        *budget = budget.checked_sub(1)?;
        let (dir, base) = match name.rfind('/') {
            Some(at) => (&name[..=at], &name[at + 1..]),
            None => ("", name),
        };
        // A file with a known suffix is never made by a rule that matches
        // anything (GNU's dummy `%.c:` rules).
        let mut specific = self.suffixes.iter().any(|s| name.len() > s.len() && name.ends_with(s.as_str()));
        let mut candidates = Vec::new();
        for (index, rule) in self.patterns.iter().enumerate() {
            if in_use.contains(&index) {
                continue;
            }
            for pattern in &rule.targets {
                let (subject, prefix) = if pattern.contains('/') { (name, "") } else { (base, dir) };
                let Some(stem) = Pattern::new(pattern).matches(subject).filter(|s| !s.is_empty()) else { continue };
                if pattern != "%" {
                    specific = true;
                }
                candidates.push((index, pattern.as_str(), prefix, stem));
                break;
            }
        }
        let anything = |rule: &PatternRule, pattern: &str| pattern == "%" && !rule.terminal;
        candidates
            .retain(|(index, pattern, _, _)| !(anything(&self.patterns[*index], pattern) && (specific || depth > 0)));
        let fill = |pattern: &str, prefix: &str, stem: &str| {
            if text::has_percent(pattern) {
                format!("{prefix}{}", Pattern::new(pattern).fill(stem))
            } else {
                pattern.to_string()
            }
        };
        let found = |index: usize, prefix: &str, stem: &str, chain: Vec<(String, Found)>| {
            let rule = &self.patterns[index];
            Found {
                stem: format!("{prefix}{stem}"),
                targets: rule.targets.iter().map(|t| fill(t, prefix, stem)).collect(),
                prereqs: rule.prereqs.iter().map(|p| fill(p, prefix, stem)).collect(),
                order_only: rule.order_only.iter().map(|p| fill(p, prefix, stem)).collect(),
                recipe: rule.recipe.clone(),
                chain,
            }
        };
        let exists = |p: &str| Path::new(p).symlink_metadata().is_ok();
        for (index, _, prefix, stem) in &candidates {
            let rule = &self.patterns[*index];
            let ok = rule
                .prereqs
                .iter()
                .map(|p| fill(p, prefix, stem))
                .all(|p| exists(&p) || (!rule.terminal && self.known(&p)));
            if ok {
                return Some(found(*index, prefix, stem, Vec::new()));
            }
        }
        if depth >= MAX_CHAIN {
            return None;
        }
        'rules: for (index, _, prefix, stem) in &candidates {
            let rule = &self.patterns[*index];
            if rule.terminal {
                continue;
            }
            in_use.push(*index);
            let mut chain = Vec::new();
            for prereq in rule.prereqs.iter().map(|p| fill(p, prefix, stem)) {
                if exists(&prereq) || self.known(&prereq) {
                    continue;
                }
                match self.search(&prereq, depth + 1, in_use, budget) {
                    Some(sub) => chain.push((prereq, sub)),
                    None => {
                        in_use.pop();
                        continue 'rules;
                    }
                }
            }
            in_use.pop();
            return Some(found(*index, prefix, stem, chain));
        }
        None
    }
}

impl Make {
    /// Records a rule once its recipe lines are all read.
    ///
    /// # Errors
    /// Mixed pattern and explicit targets, unsupported special targets.
    pub fn commit(&mut self, line: Option<RuleLine>) -> Res<()> {
        let Some(line) = line else { return Ok(()) };
        self.loc = Some(line.loc.clone());
        let recipe = (!line.recipe.is_empty()).then(|| {
            Rc::new(Recipe { lines: line.recipe, file: line.loc.file.clone(), line: line.recipe_line.unwrap_or(0) })
        });
        let rule = Rule { prereqs: line.prereqs, order_only: line.order_only, recipe };
        if let Some(pattern) = &line.pattern {
            let pattern = Pattern::new(pattern);
            if !pattern.percent {
                return Err(self.fatal("target pattern contains no '%'"));
            }
            for target in &line.targets {
                let Some(stem) = pattern.matches(target) else {
                    self.warn(&format!("target '{target}' doesn't match the target pattern"));
                    continue;
                };
                let fill = |p: &String| if text::has_percent(p) { Pattern::new(p).fill(stem) } else { p.clone() };
                let each = Rule {
                    prereqs: rule.prereqs.iter().map(fill).collect(),
                    order_only: rule.order_only.iter().map(fill).collect(),
                    recipe: rule.recipe.clone(),
                };
                self.explicit(target, each, line.double)?;
                if let Some(t) = self.db.targets.get_mut(target) {
                    t.stem = Some(stem.to_string());
                }
            }
            return Ok(());
        }
        let patterns = line.targets.iter().filter(|t| text::has_percent(t)).count();
        if patterns > 0 {
            if patterns < line.targets.len() {
                return Err(self.fatal("mixed implicit and normal rules"));
            }
            self.pattern_rule(line.targets, rule, line.double);
            return Ok(());
        }
        for target in &line.targets {
            let name: &str = target;
            if let Some(special) = SPECIAL.iter().find(|s| **s == name) {
                if rule.prereqs.is_empty() {
                    self.db.special_all.insert(special);
                }
                self.db.special.entry(special).or_default().extend(rule.prereqs.iter().cloned());
                if *special == ".EXPORT_ALL_VARIABLES" {
                    self.db.export_all = true;
                }
                continue;
            }
            match name {
                ".SECONDEXPANSION" => return Err(self.fatal(".SECONDEXPANSION is not supported by capsa's make")),
                ".SUFFIXES" => {
                    if rule.prereqs.is_empty() {
                        self.db.suffixes.clear();
                    }
                    for suffix in &rule.prereqs {
                        if !self.db.suffixes.contains(suffix) {
                            self.db.suffixes.push(suffix.clone());
                        }
                    }
                }
                ".DEFAULT" => self.db.default_recipe = rule.recipe.clone(),
                _ => {
                    if name.contains('(') && name.ends_with(')') {
                        return Err(self.fatal("archive members (lib(member)) are not supported by capsa's make"));
                    }
                    self.explicit(name, rule.clone(), line.double)?;
                }
            }
        }
        Ok(())
    }

    /// Adds an explicit rule for `name`; the first target of the first rule
    /// becomes the default goal.
    fn explicit(&mut self, name: &str, rule: Rule, double: bool) -> Res<()> {
        let default_goal = self.vars.get(".DEFAULT_GOAL").is_none_or(|v| v.value.trim().is_empty());
        if default_goal && (!name.starts_with('.') || name.contains('/')) {
            self.vars.insert(".DEFAULT_GOAL".into(), Var::new(name, Flavor::Recursive, Origin::File));
        }
        self.db.mentioned.extend(rule.prereqs.iter().chain(&rule.order_only).cloned());
        let target = self.db.targets.entry(name.to_string()).or_default();
        target.defined = true;
        if double {
            if target.rule.recipe.is_some() {
                return Err(self.fatal(&format!("target file '{name}' has both : and :: entries")));
            }
            target.doubles.push(rule);
            return Ok(());
        }
        if !target.doubles.is_empty() {
            return Err(self.fatal(&format!("target file '{name}' has both : and :: entries")));
        }
        target.rule.prereqs.extend(rule.prereqs);
        target.rule.order_only.extend(rule.order_only);
        if let Some(recipe) = rule.recipe
            && let Some(old) = target.rule.recipe.replace(recipe.clone())
        {
            crate::util::flush_stdout();
            eprintln!("{}:{}: warning: overriding recipe for target '{name}'", recipe.file, recipe.line);
            eprintln!("{}:{}: warning: ignoring old recipe for target '{name}'", old.file, old.line);
        }
        Ok(())
    }

    /// Adds a pattern rule; one without a recipe cancels the rules with the
    /// same patterns (a built-in one included).
    fn pattern_rule(&mut self, targets: Vec<String>, rule: Rule, terminal: bool) {
        let same = |p: &PatternRule| p.targets == targets && p.prereqs == rule.prereqs;
        self.db.patterns.retain(|p| !same(p));
        match rule.recipe {
            Some(recipe) => self.db.patterns.push(PatternRule {
                targets,
                prereqs: rule.prereqs,
                order_only: rule.order_only,
                recipe,
                terminal,
            }),
            None => self.db.cancelled.push((targets, rule.prereqs)),
        }
    }

    /// Records target- or pattern-specific assignments.
    pub fn add_target_var(&mut self, line: TargetVarLine) {
        for target in &line.targets {
            let var = TargetVar {
                name: line.name.clone(),
                op: line.op,
                value: line.value.clone(),
                origin: line.origin,
                export: line.export.unwrap_or(Export::Default),
            };
            if text::has_percent(target) {
                self.db.pattern_vars.push((Pattern::new(target), var));
            } else {
                self.db.targets.entry(target.clone()).or_default().vars.push(var);
            }
        }
    }

    /// What follows reading the makefiles: flags the makefiles added to
    /// `MAKEFLAGS`, suffix rules made pattern rules, the built-in rules.
    ///
    /// # Errors
    /// A `VPATH`, which capsa's make does not search.
    pub fn after_reading(&mut self) -> Res<()> {
        let flags = self.vars.get("MAKEFLAGS").map(|v| v.value.clone()).unwrap_or_default();
        for (index, word) in text::words(&flags).enumerate() {
            if word == "--" {
                break;
            }
            match word {
                "--no-print-directory" => self.opts.print_dir = Some(false),
                "--silent" | "--quiet" => self.opts.silent = true,
                "--keep-going" => self.opts.keep_going = true,
                "--no-builtin-rules" => self.opts.no_builtin_rules = true,
                "--warn-undefined-variables" => self.opts.warn_undefined = true,
                _ if word.starts_with("--") => {}
                _ if index == 0 || word.starts_with('-') => {
                    for c in word.trim_start_matches('-').chars().take_while(|c| c.is_ascii_alphabetic()) {
                        match c {
                            's' => self.opts.silent = true,
                            'k' => self.opts.keep_going = true,
                            'r' => self.opts.no_builtin_rules = true,
                            'i' => self.opts.ignore_errors = true,
                            'B' => self.opts.always_make = true,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if !self.expand("$(VPATH)", &Cx::default())?.trim().is_empty() {
            return Err(self.fatal_here("VPATH is not supported by capsa's make"));
        }
        if self.opts.no_builtin_rules {
            self.db.suffixes.clear();
        }
        self.suffix_rules();
        for (target, prereq, recipe) in vars::BUILTIN_RULES {
            let suffix = &prereq[1..];
            let target_suffix = &target[1..];
            let known = |s: &str| s.is_empty() || self.db.suffixes.iter().any(|k| k == s);
            let cancelled = self
                .db
                .cancelled
                .iter()
                .any(|(t, p)| t.len() == 1 && t[0] == *target && p.len() == 1 && p[0] == *prereq);
            let defined = self.db.patterns.iter().any(|p| p.targets == [*target] && p.prereqs == [*prereq]);
            if known(suffix) && known(target_suffix) && !cancelled && !defined {
                let recipe = Rc::new(Recipe { lines: vec![recipe.to_string()], file: Rc::from("<builtin>"), line: 0 });
                self.db.patterns.push(PatternRule {
                    targets: vec![target.to_string()],
                    prereqs: vec![prereq.to_string()],
                    order_only: Vec::new(),
                    recipe,
                    terminal: false,
                });
            }
        }
        Ok(())
    }

    /// Turns old-style suffix rules (`.c.o:`, `.c:`) into pattern rules.
    fn suffix_rules(&mut self) {
        let names: Vec<String> = self.db.targets.keys().filter(|n| n.starts_with('.')).cloned().collect();
        for name in names {
            let Some(target) = self.db.targets.get(&name) else { continue };
            let Some(recipe) = target.rule.recipe.clone() else { continue };
            if !target.rule.prereqs.is_empty() {
                continue;
            }
            let split = self.db.suffixes.iter().find_map(|from| {
                let to = name.strip_prefix(from.as_str())?;
                (to.is_empty() || self.db.suffixes.iter().any(|s| s == to)).then(|| (from.clone(), to.to_string()))
            });
            if let Some((from, to)) = split {
                self.db.targets.remove(&name);
                let rule = PatternRule {
                    targets: vec![format!("%{to}")],
                    prereqs: vec![format!("%{from}")],
                    order_only: Vec::new(),
                    recipe,
                    terminal: false,
                };
                self.db.patterns.push(rule);
            }
        }
    }

    /// The scope for building `name`: `parent`'s, with `name`'s pattern-
    /// and target-specific variables on top.
    ///
    /// # Errors
    /// Errors expanding an appended value.
    pub fn target_cx(&mut self, name: &str, parent: &Cx) -> Res<Cx> {
        let mut assigns: Vec<TargetVar> =
            self.db.pattern_vars.iter().filter(|(p, _)| p.matches(name).is_some()).map(|(_, v)| v.clone()).collect();
        if let Some(target) = self.db.targets.get(name) {
            assigns.extend(target.vars.iter().cloned());
        }
        if assigns.is_empty() {
            return Ok(parent.clone());
        }
        let mut cx = parent.with(vars::Table::new());
        for tv in assigns {
            let outer = self.lookup(&tv.name, &cx);
            if outer.as_ref().is_some_and(|o| o.origin > tv.origin && o.origin != Origin::Automatic) {
                continue;
            }
            let var = match (tv.op, &outer) {
                (Op::Conditional, Some(_)) => continue,
                (Op::Append, Some(outer)) => {
                    let add =
                        if outer.flavor == Flavor::Simple { self.expand(&tv.value, &cx)? } else { tv.value.clone() };
                    let value = if outer.value.is_empty() { add } else { format!("{} {add}", outer.value) };
                    Var::new(value, outer.flavor, tv.origin)
                }
                (Op::Simple, _) => Var::new(tv.value.clone(), Flavor::Simple, tv.origin),
                (Op::Shell, _) => {
                    let command = self.expand(&tv.value, &cx)?;
                    Var::new(self.shell_output(&command, &cx)?, Flavor::Recursive, tv.origin)
                }
                _ => Var::new(tv.value.clone(), Flavor::Recursive, tv.origin),
            };
            let mut var = var;
            var.export =
                if tv.export == Export::Default { outer.map_or(Export::Default, |o| o.export) } else { tv.export };
            if let Some(layer) = cx.layers.last_mut() {
                Rc::make_mut(layer).insert(tv.name.clone(), var);
            }
        }
        Ok(cx)
    }
}
