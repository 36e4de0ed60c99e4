//! The SQLite lane: `sqlite3` in `capsa exec` VMs once installed (SQLite's
//! own shell, built by the C lane), against the host's `sqlite3` where
//! there is one, and `capsa run query.sql`.
//!
//! The first test to run installs the lane: the C lane if needed, the
//! pinned npm package with SQLite's sources, then a build of about a minute.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::lane::text;

fn capsa(dir: &Path, args: &[&str]) -> Output {
    common::lane::capsa("sqlite", dir, args, b"")
}

/// `LINE` in a VM with `dir` mounted at /work, from /work.
fn exec(dir: &Path, line: &str) -> Output {
    let mount = format!("{}:/work", dir.display());
    capsa(dir, &["exec", "--mount", &mount, "--", &format!("cd /work && {line}")])
}

/// The same invocations of the host's sqlite3 in `dir`, or `None` without one.
fn native(dir: &Path, runs: &[&[&str]]) -> Option<String> {
    let mut all = String::new();
    for args in runs {
        let out = Command::new("sqlite3").current_dir(dir).args(*args).output().ok()?;
        all.push_str(&text(&out.stdout));
        all.push_str(&format!("status={}\n", out.status.code().unwrap_or(-1)));
    }
    Some(all)
}

/// `runs` as one shell line, each followed by its status.
fn in_vm(dir: &Path, runs: &[&[&str]]) -> String {
    let quote = |arg: &str| format!("'{}'", arg.replace('\'', "'\\''"));
    let line: Vec<String> = runs
        .iter()
        .map(|args| {
            let words: Vec<String> = args.iter().map(|a| quote(a)).collect();
            format!("sqlite3 {}; echo status=$?", words.join(" "))
        })
        .collect();
    let out = exec(dir, &line.join("; "));
    text(&out.stdout)
}

#[test]
fn the_shell_gives_the_hosts_answers_on_files_where_the_shell_is() {
    let vm_dir = tempfile::tempdir().unwrap();
    let host_dir = tempfile::tempdir().unwrap();
    // What SQLite 3.40 (Debian's) and 3.52 (the lane's) print alike.
    let runs: &[&[&str]] = &[
        &[
            "shop.db",
            "create table price(name text primary key, cents int); insert into price values ('pear', 40), ('apple', 25), ('fig', 90);",
        ],
        &["shop.db", ".schema price"],
        &["shop.db", "select name, cents * 3 from price where cents < 50 order by name"],
        &["-json", "shop.db", "select name, cents from price order by cents desc"],
        &["shop.db", "select nope from price"],
        &[
            ":memory:",
            "select json_extract('{\"a\":[1,2,3]}', '$.a[1]'), printf('%05.1f', 3.14159), upper('ok'), 7 / 2.0",
        ],
        &[
            "shop.db",
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5) select group_concat(i * i, ',') from n",
        ],
    ];
    let got = in_vm(vm_dir.path(), runs);
    assert!(vm_dir.path().join("shop.db").is_file(), "the database is where the shell was");
    match native(host_dir.path(), runs) {
        Some(expected) => assert_eq!(got, expected),
        None => eprintln!("no sqlite3 on the host: checked the VM's answers alone"),
    }
    assert!(got.contains("apple|75\npear|120\nstatus=0\n"), "{got}");
    assert!(got.contains("status=1\n"), "an error is status 1: {got}");
    // The file is a real SQLite database, which the host can read.
    let db = std::fs::read(vm_dir.path().join("shop.db")).unwrap();
    assert!(db.starts_with(b"SQLite format 3\0"));
    // 3.52's own formats (they changed since 3.40): CSV rows end in CRLF
    // (RFC 4180), and `.import` into a new table types the columns.
    std::fs::write(vm_dir.path().join("stock.csv"), "name,qty\npear,3\napple,5\nfig,2\n").unwrap();
    let line = "sqlite3 shop.db '.import --csv stock.csv stock' && sqlite3 shop.db .tables \
                && sqlite3 -csv -header shop.db 'select s.name, s.qty * p.cents as total from stock s join price p using(name) order by total desc' \
                && sqlite3 -json shop.db 'select qty from stock where name = \"fig\"'";
    let out = exec(vm_dir.path(), line);
    assert_eq!(
        text(&out.stdout),
        "price     stock\nname,total\r\nfig,180\r\napple,125\r\npear,120\r\n[{\"qty\":2}]\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sql_from_stdin_and_capsa_run_of_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let out = exec(
        dir.path(),
        "printf 'create table t(x);\\ninsert into t values (6),(7);\\nselect x*x from t;\\n' | sqlite3",
    );
    assert_eq!(text(&out.stdout), "36\n49\n", "{}", text(&out.stderr));
    std::fs::write(
        dir.path().join("report.sql"),
        "create table t(k, v);\ninsert into t values ('a', 1), ('b', 2), ('a', 3);\n.mode csv\nselect k, sum(v) from t group by k;\n",
    )
    .unwrap();
    let out = capsa(dir.path(), &["run", "report.sql"]);
    assert_eq!(text(&out.stdout), "a,4\r\nb,2\r\n", "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "no warning about a missing home");
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(dir.path().join("bad.sql"), "select 1;\nselect nope;\nselect 2;\n").unwrap();
    let out = capsa(dir.path(), &["run", "bad.sql"]);
    assert_eq!(text(&out.stdout), "1\n", "-bail stops at the error");
    assert!(text(&out.stderr).contains("no such column: nope"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
}
