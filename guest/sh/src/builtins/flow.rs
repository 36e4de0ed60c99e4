//! Builtins that change control flow: `eval`, `source`, `exec`, `exit`,
//! `return`, `break`, `continue`.

use crate::shell::{Flow, MAX_DEPTH, Res, Shell};

/// `eval args…`.
pub fn eval(sh: &mut Shell, args: &[String]) -> Res {
    if sh.depth >= MAX_DEPTH {
        sh.error("eval: maximum nesting level exceeded");
        return Err(Flow::Exit(1));
    }
    sh.depth += 1;
    let r = sh.run_source(&args.join(" "));
    sh.depth -= 1;
    r
}

/// `source file [args…]` / `. file`.
pub fn source(sh: &mut Shell, args: &[String]) -> Res {
    let Some(name) = args.first() else {
        sh.error("source: filename argument required");
        return Ok(2);
    };
    let path = if name.contains('/') {
        Some(name.clone())
    } else {
        let path_var = sh.var("PATH");
        path_var
            .split(':')
            .map(|d| format!("{}/{name}", if d.is_empty() { "." } else { d }))
            .find(|p| std::path::Path::new(p).is_file())
            .or_else(|| std::path::Path::new(name).is_file().then(|| name.clone()))
    };
    let text = match path.as_deref().map(std::fs::read_to_string) {
        Some(Ok(text)) => text,
        Some(Err(e)) => {
            sh.error(format!("{name}: {}", crate::sysio::strerror(&e)));
            return Ok(1);
        }
        None => {
            sh.error(format!("{name}: No such file or directory"));
            return Ok(1);
        }
    };
    if sh.depth >= MAX_DEPTH {
        sh.error("source: maximum nesting level exceeded");
        return Err(Flow::Exit(1));
    }
    let saved_args = (args.len() > 1).then(|| std::mem::replace(&mut sh.st.positional, args[1..].to_vec()));
    sh.depth += 1;
    sh.source_depth += 1;
    let r = sh.run_source(&text);
    sh.source_depth -= 1;
    sh.depth -= 1;
    if let Some(saved) = saved_args {
        sh.st.positional = saved;
    }
    match r {
        Err(Flow::Return(status)) => Ok(status),
        other => other,
    }
}

/// `exec [cmd args…]`: with no command, makes the redirections permanent
/// (the caller applied them temporarily; they are applied again here for
/// good); with one, runs it and exits with its status (there is no real
/// `exec` without `fork`'s counterpart; see the documented differences).
pub fn exec(sh: &mut Shell, args: &[String]) -> Res {
    if args.is_empty() {
        sh.exec_redirects_permanent = true;
        return Ok(0);
    }
    if super::is_builtin(&args[0]) || sh.st.functions.contains_key(&args[0]) {
        let status = sh.run_builtin_or_function(args)?;
        return Err(Flow::Exit(status));
    }
    let status = match sh.spawn_external(args, &[], &[]) {
        Ok(pid) => sh.wait_pid(pid),
        Err(status) => status,
    };
    Err(Flow::Exit(status))
}

/// `exit [n]`.
pub fn exit(sh: &mut Shell, args: &[String]) -> Res {
    let status = match args.first() {
        None => sh.st.status,
        Some(a) => match a.parse::<i64>() {
            Ok(n) => (n & 0xff) as i32,
            Err(_) => {
                sh.error(format!("exit: {a}: numeric argument required"));
                2
            }
        },
    };
    Err(Flow::Exit(status))
}

/// `return [n]`.
pub fn return_(sh: &mut Shell, args: &[String]) -> Res {
    let status = match args.first() {
        None => sh.st.status,
        Some(a) => match a.parse::<i64>() {
            Ok(n) => (n & 0xff) as i32,
            Err(_) => {
                sh.error(format!("return: {a}: numeric argument required"));
                2
            }
        },
    };
    if sh.st.func_depth == 0 && sh.source_depth == 0 {
        sh.error("return: can only `return' from a function or sourced script");
        return Ok(1);
    }
    Err(Flow::Return(status))
}

/// `break [n]` / `continue [n]`.
pub fn break_continue(sh: &mut Shell, which: &str, args: &[String]) -> Res {
    let n = match args.first().map(|a| a.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            sh.error(format!("{which}: {}: loop count out of range", args[0]));
            return Ok(1);
        }
    };
    if sh.st.loop_depth == 0 {
        sh.error(format!("{which}: only meaningful in a `for', `while', or `until' loop"));
        return Ok(0);
    }
    let n = n.min(sh.st.loop_depth);
    Err(if which == "break" { Flow::Break(n) } else { Flow::Continue(n) })
}
