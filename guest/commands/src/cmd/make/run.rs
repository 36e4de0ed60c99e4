//! Bringing targets up to date: prerequisites first, then the recipe when
//! the target is missing, phony, or older than a prerequisite; the goals'
//! messages; remaking the makefiles; deleting intermediate files.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::SystemTime;

use super::rules::{Found, Rule};
use super::{Auto, Cx, Make, Res};

/// How deep a chain of prerequisites may go: the guest's stack is 1 MiB,
/// which about 700 levels overflow (with room left here for deep
/// expansions, `expand::MAX_DEPTH`); real dependency graphs are far
/// shallower.
const MAX_DEPTH: usize = 250;

/// A file's modification time as make compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Time {
    /// The file does not exist (or is phony): older than anything.
    Missing,
    /// Its modification time.
    At(SystemTime),
    /// Assumed just made (under `-n`, `-q`): newer than anything.
    New,
}

/// The modification time of `name`.
pub fn mtime(name: &str) -> Time {
    match std::fs::metadata(name) {
        Ok(meta) => Time::At(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)),
        Err(_) => Time::Missing,
    }
}

/// How updating a file went.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    /// It is up to date (or was remade without error).
    pub ok: bool,
    /// Its time before this update.
    pub before: Time,
    /// Its time after.
    pub after: Time,
    /// It has a recipe (for the goal messages).
    pub has_cmds: bool,
    /// It was not remade because a prerequisite failed.
    pub prereq_failed: bool,
}

/// The state of the build.
#[derive(Default)]
pub struct Build {
    /// Files updated (`Some`) or being updated (`None`: a cycle).
    state: BTreeMap<String, Option<Done>>,
    /// Implicit rules chosen for intermediate files.
    chosen: BTreeMap<String, Found>,
    /// Files that are intermediate (made only on the way to another).
    intermediate: BTreeSet<String>,
    /// Intermediate files made, to delete at the end.
    made: Vec<String>,
    /// Recipe commands started (or printed under `-n`).
    pub started: usize,
    /// Under `-q`: something is out of date.
    pub out_of_date: bool,
}

/// A target's rules and what its recipe needs.
struct Plan {
    /// Its single rule, or its double-colon rules.
    rules: Vec<Rule>,
    double: bool,
    stem: String,
    /// A rule names it as a target (so it needs no recipe).
    is_target: bool,
    /// Other files its pattern rule makes at the same time.
    siblings: Vec<String>,
}

/// What becomes of the makefiles after trying to remake them.
pub enum Remade {
    /// None changed.
    Same,
    /// Some changed: read them all again.
    Changed,
    /// A makefile could not be remade (reported already).
    Failed,
}

impl Make {
    /// Brings each goal up to date; returns the exit status.
    ///
    /// # Errors
    /// A fatal error (no rule without `-k`, a bad expansion, …).
    pub fn build_goals(&mut self, goals: &[String]) -> Res<i32> {
        let mut failed = false;
        for goal in goals {
            let started = self.build.started;
            let Some(done) = self.update(goal, &Cx::default(), None, 0)? else { continue };
            crate::util::flush_stdout();
            if !done.ok {
                failed = true;
                if !self.opts.keep_going {
                    break;
                }
                if done.prereq_failed && !self.opts.just_print && !self.opts.question {
                    eprintln!("{}: Target '{goal}' not remade because of errors.", self.prog);
                }
            } else if self.build.started == started && !self.opts.silent && !self.opts.question {
                if done.has_cmds && !self.db.is(".PHONY", goal) {
                    println!("{}: '{goal}' is up to date.", self.prog);
                } else {
                    println!("{}: Nothing to be done for '{goal}'.", self.prog);
                }
            }
        }
        Ok(if failed {
            2
        } else if self.build.out_of_date {
            1
        } else {
            0
        })
    }

    /// Updates `name` (needed by `needed_by`) in scope `parent`; `None` if
    /// it is being updated already (a cycle, whose link is dropped).
    fn update(&mut self, name: &str, parent: &Cx, needed_by: Option<&str>, depth: usize) -> Res<Option<Done>> {
        match self.build.state.get(name) {
            Some(Some(done)) => return Ok(Some(Done { before: done.after, ..*done })),
            Some(None) => {
                if let Some(parent) = needed_by {
                    crate::util::flush_stdout();
                    eprintln!("{}: Circular {parent} <- {name} dependency dropped.", self.prog);
                }
                return Ok(None);
            }
            None => {}
        }
        if depth > MAX_DEPTH {
            return Err(self.fatal_here(&format!("prerequisites of '{name}' nest too deeply")));
        }
        self.build.state.insert(name.to_string(), None);
        let done = self.update_file(name, parent, needed_by, depth)?;
        self.build.state.insert(name.to_string(), Some(Done { before: done.after, ..done }));
        Ok(Some(done))
    }

    /// The rules for `name`: explicit, else an implicit rule, else `.DEFAULT`.
    fn plan(&mut self, name: &str) -> Plan {
        let phony = self.db.is(".PHONY", name);
        let target = self.db.targets.get(name);
        let is_target = target.is_some_and(|t| t.defined);
        let mut stem = target.and_then(|t| t.stem.clone()).unwrap_or_else(|| {
            let suffix = self.db.suffixes.iter().find(|s| name.len() > s.len() && name.ends_with(s.as_str()));
            suffix.map(|s| name[..name.len() - s.len()].to_string()).unwrap_or_default()
        });
        if let Some(t) = target.filter(|t| !t.doubles.is_empty()) {
            return Plan { rules: t.doubles.clone(), double: true, stem, is_target, siblings: Vec::new() };
        }
        let mut rule = target.map(|t| t.rule.clone()).unwrap_or_default();
        let mut siblings = Vec::new();
        if rule.recipe.is_none() && !phony {
            let found = match self.build.chosen.remove(name) {
                Some(found) => Some(found),
                None => self.db.find_implicit(name, 0),
            };
            if let Some(found) = found {
                rule.prereqs = found.prereqs.iter().chain(&rule.prereqs).cloned().collect();
                rule.order_only = found.order_only.iter().chain(&rule.order_only).cloned().collect();
                rule.recipe = Some(found.recipe.clone());
                stem = found.stem.clone();
                siblings = found.targets.iter().filter(|t| *t != name).cloned().collect();
                for (file, sub) in found.chain {
                    if !self.db.is(".SECONDARY", &file) && !self.db.all(".SECONDARY") {
                        self.build.intermediate.insert(file.clone());
                    }
                    self.build.chosen.insert(file, sub);
                }
            } else if !is_target {
                rule.recipe = self.db.default_recipe.clone();
            }
        }
        if self.db.is(".INTERMEDIATE", name) {
            self.build.intermediate.insert(name.to_string());
        }
        Plan { rules: vec![rule], double: false, stem, is_target, siblings }
    }

    fn update_file(&mut self, name: &str, parent: &Cx, needed_by: Option<&str>, depth: usize) -> Res<Done> {
        let phony = self.db.is(".PHONY", name);
        let before = if phony { Time::Missing } else { mtime(name) };
        let plan = self.plan(name);
        let has_cmds = plan.rules.iter().any(|r| r.recipe.is_some());
        let mut done = Done { ok: true, before, after: before, has_cmds, prereq_failed: false };
        if !has_cmds && !plan.is_target && !phony && before == Time::Missing {
            let msg = match needed_by {
                Some(parent) => format!("No rule to make target '{name}', needed by '{parent}'"),
                None => format!("No rule to make target '{name}'"),
            };
            if !self.opts.keep_going {
                return Err(self.fatal_here(&msg));
            }
            crate::util::flush_stdout();
            eprintln!("{}: *** {msg}.", self.prog);
            return Ok(Done { ok: false, ..done });
        }
        let cx = self.target_cx(name, parent)?;
        let mut ran = false;
        for rule in &plan.rules {
            let Some((newer, must)) = self.prereqs(name, rule, &cx, before, depth)? else {
                done.ok = false;
                done.prereq_failed = true;
                if self.opts.keep_going {
                    continue;
                }
                break;
            };
            let always = self.opts.always_make || (plan.double && rule.prereqs.is_empty());
            if !(must || phony || before == Time::Missing || (always && rule.recipe.is_some())) {
                continue;
            }
            let Some(recipe) = rule.recipe.clone() else { continue };
            let auto = auto(name, rule, newer, &plan.stem);
            let (ok, assumed) = self.execute(name, &recipe, &cx.clone_with_auto(auto), before, phony)?;
            ran = true;
            if !ok {
                done.ok = false;
                break;
            }
            done.after = if assumed { Time::New } else { before };
        }
        if ran && done.after != Time::New {
            done.after = if phony { Time::Missing } else { mtime(name) };
        }
        if ran && self.build.intermediate.contains(name) && !self.opts.touch && !self.opts.question {
            self.build.made.push(name.to_string());
        }
        for sibling in &plan.siblings {
            self.build
                .state
                .insert(sibling.clone(), Some(Done { before: mtime(sibling), after: mtime(sibling), ..done }));
        }
        Ok(done)
    }

    /// Updates the prerequisites of one rule of `name`: `None` if one
    /// failed, else those newer than `name` and whether `name` must be
    /// remade for them.
    fn prereqs(
        &mut self,
        name: &str,
        rule: &Rule,
        cx: &Cx,
        target: Time,
        depth: usize,
    ) -> Res<Option<(Vec<String>, bool)>> {
        let mut failed = false;
        let mut must = false;
        let mut newer = Vec::new();
        let mut deferred = Vec::new();
        let all = rule.prereqs.iter().map(|p| (p, false)).chain(rule.order_only.iter().map(|p| (p, true)));
        for (prereq, order_only) in all {
            if failed && !self.opts.keep_going {
                break;
            }
            // A missing intermediate file is made only if what it is made
            // from is newer than the target (GNU make's `check_dep`).
            if !order_only
                && target != Time::Missing
                && self.build.intermediate.contains(prereq)
                && !self.build.state.contains_key(prereq)
                && mtime(prereq) == Time::Missing
            {
                if self.intermediate_needed(prereq, cx, target, depth)? {
                    must = true;
                    deferred.push(prereq.clone());
                }
                continue;
            }
            let Some(done) = self.update(prereq, cx, Some(name), depth + 1)? else { continue };
            if !done.ok {
                failed = true;
                continue;
            }
            if order_only {
                continue;
            }
            if done.before != done.after
                || done.before == Time::Missing
                || target == Time::Missing
                || done.after > target
            {
                must = true;
                newer.push(prereq.clone());
            }
        }
        if must && !failed {
            for prereq in deferred {
                match self.update(prereq.as_str(), cx, Some(name), depth + 1)? {
                    Some(done) if !done.ok => failed = true,
                    _ => newer.push(prereq),
                }
            }
        }
        Ok((!failed).then_some((newer, must)))
    }

    /// Whether missing intermediate file `name` must be made for a target
    /// of time `target`: something it is made from (updated now) is newer.
    fn intermediate_needed(&mut self, name: &str, cx: &Cx, target: Time, depth: usize) -> Res<bool> {
        let Some(found) = self.build.chosen.get(name).cloned() else { return Ok(true) };
        let mut needed = false;
        for prereq in &found.prereqs {
            if self.build.intermediate.contains(prereq) && mtime(prereq) == Time::Missing {
                needed |= self.intermediate_needed(prereq, cx, target, depth + 1)?;
                continue;
            }
            match self.update(prereq, cx, Some(name), depth + 1)? {
                Some(done) if !done.ok || done.after == Time::Missing || done.after > target => needed = true,
                _ => {}
            }
        }
        Ok(needed)
    }

    /// Remakes the makefiles that rules make (`-n`, `-q`, `-t` do not
    /// apply to them, as in GNU make).
    ///
    /// # Errors
    /// As [`Make::build_goals`].
    pub fn remake_makefiles(&mut self) -> Res<Remade> {
        let saved = (self.opts.just_print, self.opts.question, self.opts.touch);
        (self.opts.just_print, self.opts.question, self.opts.touch) = (false, false, false);
        let mut result = Remade::Same;
        for (name, _, required) in self.makefiles.clone() {
            let explicit = self.db.targets.get(&name).is_some_and(|t| t.rule.recipe.is_some());
            // Depth 1: a rule that matches anything never makes a makefile.
            if name == "-" || !(explicit || self.db.find_implicit(&name, 1).is_some()) {
                continue;
            }
            let before = mtime(&name);
            let done = self.update(&name, &Cx::default(), None, 0);
            let done = match done {
                Ok(done) => done,
                Err(fatal) => {
                    (self.opts.just_print, self.opts.question, self.opts.touch) = saved;
                    return Err(fatal);
                }
            };
            match done {
                Some(done) if !done.ok && required => result = Remade::Failed,
                Some(done) if done.ok && mtime(&name) != before && !matches!(result, Remade::Failed) => {
                    result = Remade::Changed;
                }
                _ => {}
            }
        }
        (self.opts.just_print, self.opts.question, self.opts.touch) = saved;
        Ok(result)
    }

    /// Reports a required makefile that neither exists nor can be made.
    ///
    /// # Errors
    /// That makefile: `No rule to make target`.
    pub fn missing_makefiles(&mut self) -> Res<()> {
        for (name, loc, required) in self.makefiles.clone() {
            if required && mtime(&name) == Time::Missing {
                crate::util::flush_stdout();
                match loc {
                    Some(loc) => eprintln!("{loc}: {name}: No such file or directory"),
                    None => eprintln!("{}: {name}: No such file or directory", self.prog),
                }
                return Err(self.fatal_here(&format!("No rule to make target '{name}'")));
            }
        }
        Ok(())
    }

    /// Deletes the intermediate files made, saying so (`rm a b`).
    pub fn remove_intermediates(&mut self) {
        let made = std::mem::take(&mut self.build.made);
        let made: Vec<String> = made
            .into_iter()
            .filter(|f| !self.db.is(".PRECIOUS", f) && (self.opts.just_print || mtime(f) != Time::Missing))
            .collect();
        if made.is_empty() {
            return;
        }
        if !self.opts.silent {
            println!("rm {}", made.join(" "));
        }
        if !self.opts.just_print {
            for file in &made {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

impl Cx {
    /// This scope with the automatic variables of a recipe.
    fn clone_with_auto(&self, auto: Auto) -> Cx {
        Cx { layers: self.layers.clone(), auto: Some(Rc::new(auto)) }
    }
}

/// The automatic variables for `name` built by `rule`.
fn auto(name: &str, rule: &Rule, newer: Vec<String>, stem: &str) -> Auto {
    let dedup = |list: &[String]| {
        let mut seen = BTreeSet::new();
        list.iter().filter(|p| seen.insert(p.as_str())).cloned().collect::<Vec<_>>()
    };
    let all = dedup(&rule.prereqs);
    Auto {
        target: name.to_string(),
        first: rule.prereqs.first().cloned().unwrap_or_default(),
        order: dedup(&rule.order_only).into_iter().filter(|p| !all.contains(p)).collect(),
        all,
        plus: rule.prereqs.clone(),
        newer: dedup(&newer),
        stem: stem.to_string(),
    }
}
