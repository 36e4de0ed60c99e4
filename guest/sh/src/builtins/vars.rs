//! Builtins over variables and options: `declare`/`typeset`, `local`,
//! `export`, `readonly`, `unset`, `shift`, `set`, `shopt`, `let`.

use std::collections::BTreeMap;

use super::dquote;
use crate::shell::{Flow, Res, Shell};
use crate::vars::{Value, Var, is_name};

/// Attribute flags of `declare`.
#[derive(Default)]
struct Attrs {
    array: bool,
    assoc: bool,
    integer: bool,
    export: Option<bool>,
    readonly: bool,
    print: bool,
    functions: bool,
    global: bool,
}

fn parse_attrs(args: &[String]) -> (Attrs, Vec<String>) {
    let mut a = Attrs::default();
    let mut rest = Vec::new();
    let mut options_done = false;
    for arg in args {
        if !options_done && arg == "--" {
            options_done = true;
            continue;
        }
        if !options_done && arg.len() > 1 && (arg.starts_with('-') || arg.starts_with('+')) {
            let on = arg.starts_with('-');
            for c in arg[1..].chars() {
                match c {
                    'a' => a.array = on,
                    'A' => a.assoc = on,
                    'i' => a.integer = on,
                    'x' => a.export = Some(on),
                    'r' => a.readonly = on,
                    'p' => a.print = true,
                    'f' | 'F' => a.functions = true,
                    'g' => a.global = true,
                    _ => {}
                }
            }
        } else {
            options_done = true;
            rest.push(arg.clone());
        }
    }
    (a, rest)
}

/// `declare -p`'s line for a variable.
pub(crate) fn describe(name: &str, var: &Var) -> String {
    let mut flags = attribute_flags(var);
    if flags.is_empty() {
        flags.push('-');
    }
    match &var.value {
        None => format!("declare -{flags} {name}"),
        Some(Value::Scalar(s)) => format!("declare -{flags} {name}={}", dquote(s)),
        Some(Value::Indexed(map)) => {
            let items: Vec<String> = map.iter().map(|(k, v)| format!("[{k}]={}", dquote(v))).collect();
            format!("declare -{flags} {name}=({})", items.join(" "))
        }
        Some(Value::Assoc(map)) => {
            let items: Vec<String> = map.iter().map(|(k, v)| format!("[{k}]={} ", dquote(v))).collect();
            format!("declare -{flags} {name}=({})", items.concat())
        }
    }
}

/// A variable's attributes as `declare` flags (`${v@a}`): `a`/`A`, `i`,
/// `r`, `x`.
pub(crate) fn attribute_flags(var: &Var) -> String {
    let mut flags = String::new();
    match &var.value {
        Some(Value::Indexed(_)) => flags.push('a'),
        Some(Value::Assoc(_)) => flags.push('A'),
        _ => {}
    }
    if var.integer {
        flags.push('i');
    }
    if var.readonly {
        flags.push('r');
    }
    if var.exported {
        flags.push('x');
    }
    flags
}

/// `declare`/`typeset` (and `local` with `local` set).
pub fn declare(sh: &mut Shell, args: &[String], local: bool) -> i32 {
    let (attrs, names) = parse_attrs(args);
    if attrs.functions {
        let mut out = String::new();
        let mut status = 0;
        let list: Vec<String> = if names.is_empty() { sh.st.functions.keys().cloned().collect() } else { names };
        for n in list {
            match sh.st.functions.get(&n) {
                Some(f) => out.push_str(&format!("{f}\n")),
                None => status = 1,
            }
        }
        return if sh.out(out.as_bytes()).is_err() { 1 } else { status };
    }
    if attrs.print || names.is_empty() {
        let mut out = String::new();
        let mut status = 0;
        if names.is_empty() {
            for (name, var) in sh.st.vars.visible() {
                out.push_str(&describe(name, var));
                out.push('\n');
            }
        }
        for n in &names {
            match sh.st.vars.get(n) {
                Some(var) => {
                    out.push_str(&describe(n, var));
                    out.push('\n');
                }
                None => {
                    sh.error(format!("declare: {n}: not found"));
                    status = 1;
                }
            }
        }
        return if sh.out(out.as_bytes()).is_err() { 1 } else { status };
    }
    let mut status = 0;
    for arg in names {
        let (name, value, append) = match arg.split_once('=') {
            Some((n, v)) => match n.strip_suffix('+') {
                Some(n) => (n.to_string(), Some(v.to_string()), true),
                None => (n.to_string(), Some(v.to_string()), false),
            },
            None => (arg.clone(), None, false),
        };
        let base = name.split('[').next().unwrap_or(&name).to_string();
        if !is_name(&base) {
            sh.error(format!("declare: `{arg}': not a valid identifier"));
            status = 1;
            continue;
        }
        let var = if local || (sh.st.func_depth > 0 && !attrs.global) {
            sh.st.vars.declare_local(&base)
        } else {
            sh.st.vars.get_mut(&base)
        };
        if attrs.integer {
            var.integer = true;
        }
        if let Some(x) = attrs.export {
            var.exported = x;
        }
        if attrs.assoc && !matches!(var.value, Some(Value::Assoc(_))) {
            var.value = Some(Value::Assoc(BTreeMap::new()));
        } else if attrs.array && !matches!(var.value, Some(Value::Indexed(_))) {
            var.value = Some(match var.value.take() {
                Some(Value::Scalar(s)) => Value::Indexed(BTreeMap::from([(0, s)])),
                _ => Value::Indexed(BTreeMap::new()),
            });
        }
        if let Some(v) = value {
            let r = if name != base {
                let key = name[base.len() + 1..].trim_end_matches(']').to_string();
                sh.assign_element(&base, &key, v)
            } else {
                match sh.assign_scalar(&base, v, append) {
                    Ok(r) => r,
                    Err(_) => Err(format!("{base}: bad arithmetic")),
                }
            };
            if let Err(msg) = r {
                sh.error(msg);
                status = 1;
            }
        }
        if attrs.readonly {
            sh.st.vars.get_mut(&base).readonly = true;
        }
    }
    status
}

/// `local names…`.
pub fn local(sh: &mut Shell, args: &[String]) -> i32 {
    if sh.st.func_depth == 0 {
        sh.error("local: can only be used in a function");
        return 1;
    }
    // `local -`: the function's `set` options are its own.
    let (dash, rest): (Vec<String>, Vec<String>) = args.iter().cloned().partition(|a| a == "-");
    if !dash.is_empty() {
        let current = sh.st.options.clone();
        if let Some(top) = sh.local_options.last_mut()
            && top.is_none()
        {
            *top = Some(current);
        }
        if rest.is_empty() {
            return 0;
        }
    }
    declare(sh, &rest, true)
}

/// `export [-n] [-p] names…`.
pub fn export(sh: &mut Shell, args: &[String]) -> i32 {
    let unexport = args.iter().any(|a| a == "-n");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        let mut out = String::new();
        for (name, var) in sh.st.vars.visible() {
            if var.exported {
                out.push_str(&describe(name, var));
                out.push('\n');
            }
        }
        return i32::from(sh.out(out.as_bytes()).is_err());
    }
    let mut status = 0;
    for arg in names {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg.as_str(), None),
        };
        if !is_name(name) {
            sh.error(format!("export: `{arg}': not a valid identifier"));
            status = 1;
            continue;
        }
        if let Some(v) = value
            && !sh.set_var(name, v)
        {
            status = 1;
            continue;
        }
        sh.st.vars.get_mut(name).exported = !unexport;
    }
    status
}

/// `readonly names…`.
pub fn readonly(sh: &mut Shell, args: &[String]) -> i32 {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let mut status = 0;
    for arg in names {
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg.as_str(), None),
        };
        if let Some(v) = value
            && !sh.set_var(name, v)
        {
            status = 1;
            continue;
        }
        sh.st.vars.get_mut(name).readonly = true;
    }
    status
}

/// `unset [-v|-f] names…`.
pub fn unset(sh: &mut Shell, args: &[String]) -> i32 {
    let functions = args.iter().any(|a| a == "-f");
    let mut status = 0;
    for name in args.iter().filter(|a| !a.starts_with('-')) {
        if functions {
            sh.st.functions.remove(name);
            continue;
        }
        if let Some((base, rest)) = name.split_once('[') {
            let key = rest.trim_end_matches(']').to_string();
            let value = sh.st.vars.get(base).and_then(|v| v.value.clone());
            let new = match value {
                Some(Value::Assoc(mut map)) => {
                    map.remove(&key);
                    Value::Assoc(map)
                }
                Some(Value::Indexed(mut map)) => {
                    if let Ok(Ok(i)) = sh.arith_status(&key) {
                        let i = if i < 0 { map.keys().next_back().map_or(i, |l| l + 1 + i) } else { i };
                        map.remove(&i);
                    }
                    Value::Indexed(map)
                }
                _ => continue,
            };
            if let Err(msg) = sh.st.vars.set_value(base, new) {
                sh.error(msg);
                status = 1;
            }
            continue;
        }
        if sh.st.vars.get(name).is_none() && sh.st.functions.contains_key(name) {
            sh.st.functions.remove(name);
            continue;
        }
        if let Err(msg) = sh.st.vars.unset(name) {
            sh.error(msg);
            status = 1;
        }
    }
    status
}

/// `shift [n]`.
pub fn shift(sh: &mut Shell, args: &[String]) -> i32 {
    let n = args.first().and_then(|a| a.parse::<usize>().ok()).unwrap_or(1);
    if n > sh.st.positional.len() {
        return 1;
    }
    sh.st.positional.drain(..n);
    0
}

/// Turns a `set -o` name or flag letter on or off.
fn set_option(sh: &mut Shell, name: &str, on: bool) -> bool {
    let o = &mut sh.st.options;
    match name {
        "e" | "errexit" => o.errexit = on,
        "u" | "nounset" => o.nounset = on,
        "x" | "xtrace" => o.xtrace = on,
        "f" | "noglob" => o.noglob = on,
        "C" | "noclobber" => o.noclobber = on,
        "a" | "allexport" => o.allexport = on,
        "pipefail" => o.pipefail = on,
        "h"
        | "B"
        | "hashall"
        | "braceexpand"
        | "posix"
        | "interactive-comments"
        | "m"
        | "monitor"
        | "b"
        | "v"
        | "verbose"
        | "H"
        | "histexpand" => {}
        _ => return false,
    }
    true
}

/// `set [-euxfCa] [-o name] [--] [args…]`.
pub fn set(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        let mut out = String::new();
        for (name, var) in sh.st.vars.visible() {
            if let Some(Value::Scalar(s)) = &var.value {
                out.push_str(&format!("{name}={}\n", super::quote_if_needed(s)));
            }
        }
        return i32::from(sh.out(out.as_bytes()).is_err());
    }
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            sh.st.positional = args[i + 1..].to_vec();
            return 0;
        }
        if a == "-" {
            sh.st.positional = args[i + 1..].to_vec();
            return 0;
        }
        let on = a.starts_with('-');
        if !(on || a.starts_with('+')) {
            sh.st.positional = args[i..].to_vec();
            return 0;
        }
        if &a[1..] == "o" {
            i += 1;
            match args.get(i) {
                Some(name) => {
                    if !set_option(sh, name, on) {
                        sh.error(format!("set: {name}: invalid option name"));
                        return 2;
                    }
                }
                None => {
                    let o = &sh.st.options;
                    let text = format!(
                        "errexit\t{}\nnounset\t{}\npipefail\t{}\nxtrace\t{}\n",
                        onoff(o.errexit),
                        onoff(o.nounset),
                        onoff(o.pipefail),
                        onoff(o.xtrace)
                    );
                    return i32::from(sh.out(text.as_bytes()).is_err());
                }
            }
        } else {
            for c in a[1..].chars() {
                if c == 'o' {
                    i += 1;
                    let name = args.get(i).cloned().unwrap_or_default();
                    if !set_option(sh, &name, on) {
                        sh.error(format!("set: {name}: invalid option name"));
                        return 2;
                    }
                } else if !set_option(sh, &c.to_string(), on) {
                    sh.error(format!("set: {}{c}: invalid option", &a[..1]));
                    return 2;
                }
            }
        }
        i += 1;
    }
    0
}

fn onoff(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// `shopt [-s|-u|-q] names…`.
pub fn shopt(sh: &mut Shell, args: &[String]) -> i32 {
    let (mut set, mut unset, mut quiet, mut print) = (false, false, false, false);
    let mut names = Vec::new();
    for arg in args {
        match arg.strip_prefix('-').filter(|flags| !flags.is_empty() && names.is_empty()) {
            Some(flags) => {
                for flag in flags.chars() {
                    match flag {
                        's' => set = true,
                        'u' => unset = true,
                        'q' => quiet = true,
                        'p' => print = true,
                        'o' => {}
                        other => {
                            sh.error(format!(
                                "shopt: -{other}: invalid option\nshopt: usage: shopt [-pqsu] [-o] [optname ...]"
                            ));
                            return 2;
                        }
                    }
                }
            }
            None => names.push(arg.as_str()),
        }
    }
    if set && unset {
        sh.error("shopt: cannot set and unset shell options simultaneously");
        return 1;
    }
    let mut status = 0;
    for name in &names {
        if !crate::shell::SHOPT_OPTIONS.iter().any(|(n, _)| n == name) {
            sh.error(format!("shopt: {name}: invalid shell option name"));
            status = 1;
        }
    }
    let known: Vec<&str> =
        names.iter().copied().filter(|name| crate::shell::SHOPT_OPTIONS.iter().any(|(n, _)| n == name)).collect();
    if set || unset {
        for name in &known {
            sh.st.options.set_shopt(name, set);
        }
        return status;
    }
    // Listing (all, or the names given); a name that is off makes it 1.
    let listed: Vec<&str> =
        if names.is_empty() { crate::shell::SHOPT_OPTIONS.iter().map(|(n, _)| *n).collect() } else { known };
    let mut text = String::new();
    for name in listed {
        let on = sh.st.options.shopt(name);
        if !on && !names.is_empty() {
            status = status.max(1);
        }
        if print {
            text.push_str(&format!("shopt {} {name}\n", if on { "-s" } else { "-u" }));
        } else {
            text.push_str(&format!("{name:<15}\t{}\n", if on { "on" } else { "off" }));
        }
    }
    if !quiet && sh.out(text.as_bytes()).is_err() {
        return 1;
    }
    status
}

/// `let exprs…`: 0 if the last is non-zero.
pub fn let_(sh: &mut Shell, args: &[String]) -> Res {
    if args.is_empty() {
        sh.error("let: expression expected");
        return Ok(1);
    }
    let mut last = 0;
    for a in args {
        // `let` arguments are already expanded: evaluate, do not re-expand.
        match sh.arith_status(a) {
            Ok(Ok(n)) => last = n,
            Ok(Err(msg)) => {
                sh.error(format!("let: {msg}"));
                return Ok(1);
            }
            Err(Flow::Exit(s)) => return Ok(s),
            Err(other) => return Err(other),
        }
    }
    Ok(i32::from(last == 0))
}
