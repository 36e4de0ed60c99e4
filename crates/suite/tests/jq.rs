//! `jq` against the host's jq on a corpus of everyday filters: the same
//! stdout and exit status. (Where jaq and jq 1.6 differ by design — a float
//! such as `5.0`, `input`/`inputs` — the corpus says so in `jq.rs`'s doc and
//! checks capsa's answer alone.)

mod common;

use common::{Fixture, code, describe, have_native, ok};

const PEOPLE: &str = r#"[
  {"name": "Ada", "age": 36, "langs": ["en", "fr"], "team": "core", "active": true},
  {"name": "Brian", "age": 29, "langs": ["en"], "team": "web", "active": false},
  {"name": "Chen", "age": 41, "langs": ["zh", "en", "de"], "team": "core", "active": true, "note": null}
]"#;

#[test]
fn jq_matches_the_hosts_jq() {
    if !have_native("jq") {
        eprintln!("SKIPPED: the host has no jq (apt-get install jq)");
        return;
    }
    let f = Fixture::new(&[("people.json", PEOPLE), ("lines.txt", "alpha\nbeta\ngamma\n")]);
    let cases: &[&[&str]] = &[
        &["jq", ".", "people.json"],
        &["jq", "-c", ".[0]", "people.json"],
        &["jq", ".[].name", "people.json"],
        &["jq", "-r", ".[].name", "people.json"],
        &["jq", "-r", ".[] | select(.age > 30) | .name", "people.json"],
        &["jq", "map(.age) | add", "people.json"],
        &["jq", "length", "people.json"],
        &["jq", "-c", "map({name, n: (.langs | length)})", "people.json"],
        &["jq", "-c", "group_by(.team) | map({team: .[0].team, count: length})", "people.json"],
        &["jq", "-c", "sort_by(.age) | map(.name)", "people.json"],
        &["jq", "-c", "[.[].langs[]] | unique", "people.json"],
        &["jq", "-c", ".[0] | keys", "people.json"],
        &["jq", "-c", ".[0] | to_entries | map(.key)", "people.json"],
        &["jq", "-c", ".[0] | with_entries(select(.value | type == \"string\"))", "people.json"],
        // jaq removes a key by moving the last one into its place: sorted.
        &["jq", "-c", "-S", ".[0] | del(.langs)", "people.json"],
        &["jq", ".[2].note // \"none\"", "people.json"],
        &["jq", ".[] | has(\"note\")", "people.json"],
        &["jq", "-r", ".[] | \"\\(.name) is \\(.age)\"", "people.json"],
        &["jq", "-r", ".[] | [.name, .age] | @csv", "people.json"],
        &["jq", "-r", ".[] | [.name, .team] | @tsv", "people.json"],
        &["jq", "-r", ".[0].name | @base64", "people.json"],
        &["jq", "-c", "map(select(.active)) | map(.name)", "people.json"],
        &["jq", "-c", "[.[] | .name | ascii_downcase]", "people.json"],
        &["jq", "-c", "[.[] | .name | test(\"^[AB]\")]", "people.json"],
        &["jq", "-c", "min_by(.age) | .name", "people.json"],
        &["jq", "-c", "max_by(.age) | .name", "people.json"],
        &["jq", "reduce .[] as $p (0; . + $p.age)", "people.json"],
        &["jq", "-c", "[limit(2; .[])] | map(.name)", "people.json"],
        &["jq", "-c", "first(.[]) | .name", "people.json"],
        &["jq", "-c", "[.[] | .langs | join(\"/\")]", "people.json"],
        &["jq", "-c", "\"a,b,c\" | split(\",\")", "people.json"],
        &["jq", "-c", "[paths(type == \"number\")]", "people.json"],
        &["jq", "-c", "any(.[]; .age > 40), all(.[]; .active)", "people.json"],
        &["jq", "-c", "[.[].langs] | flatten | length", "people.json"],
        &["jq", "-c", "if length > 2 then \"many\" else \"few\" end", "people.json"],
        &["jq", "-c", ".[] | .name | ltrimstr(\"A\") | startswith(\"da\")", "people.json"],
        &["jq", "-c", "[.[] | .age | tostring]", "people.json"],
        &["jq", "-c", "\"12\" | tonumber", "people.json"],
        &["jq", "-S", ".[0]", "people.json"],
        &["jq", "--tab", ".[1]", "people.json"],
        &["jq", "--indent", "4", ".[1].langs", "people.json"],
        &["jq", "-n", "[range(5)]"],
        &["jq", "-n", "-c", "[range(0; 10; 3)]"],
        &["jq", "-n", "--arg", "who", "world", "\"hello \\($who)\""],
        &["jq", "-n", "-c", "--argjson", "cfg", "{\"x\":[1,2]}", "$cfg.x"],
        &["jq", "-s", "-c", "map(length)", "people.json", "people.json"],
        &["jq", "-R", "-c", "ascii_upcase", "lines.txt"],
        &["jq", "-R", "-s", "-c", "split(\"\\n\")", "lines.txt"],
        &["jq", "-j", ".[].name", "people.json"],
        &["jq", "-e", ".[2].note", "people.json"],
        &["jq", "-e", ".[0].name", "people.json"],
        &["jq", "-c", "..|numbers", "people.json"],
        &["jq", "-c", ".[] | .age as $a | select($a < 40) | {name, $a}", "people.json"],
        &["jq", "-c", "[.[] | .langs | index(\"en\")]", "people.json"],
        &["jq", "-c", "to_entries | map(.key)", "people.json"],
        &["jq", "-c", "[.[] | try error(\"no\") catch .]", "people.json"],
        &["jq", "-c", "map(.age) | sort | reverse", "people.json"],
        &["jq", "-c", "{a: 1} + {b: 2} | tojson", "people.json"],
        &["jq", "-c", "[.[] | .age] | @json", "people.json"],
        &["jq", ".[0].missing.deeper", "people.json"],
    ];
    let mut differ = Vec::new();
    for argv in cases {
        let outcome = f.run(argv, "");
        let native = f.native(argv, "");
        if (outcome.stdout_str(), code(&outcome)) != native {
            differ.push(format!(
                "{argv:?}\n  capsa:  {:?} {}\n  native: {native:?}",
                outcome.stdout_str(),
                describe(&outcome)
            ));
        }
    }
    assert!(differ.is_empty(), "{} of {} differ:\n{}", differ.len(), cases.len(), differ.join("\n"));
    // Input from stdin, several values in a row.
    f.differential(&["jq", "-c", ".a"], "{\"a\":1} {\"a\":[2]}\n{\"a\":\"x\"}");
}

#[test]
fn jq_fails_as_jq_does() {
    let f = Fixture::new(&[("bad.json", "{\"a\": 1,,}")]);
    let outcome = f.run(&["jq", ".", "bad.json"], "");
    assert_eq!(code(&outcome), 2, "unusable input: {}", describe(&outcome));
    let outcome = f.run(&["jq", ".[", "bad.json"], "");
    assert_eq!(code(&outcome), 3, "a filter that does not compile: {}", describe(&outcome));
    assert!(outcome.stderr_str().contains("error"), "{}", describe(&outcome));
    let outcome = f.run(&["jq", "-n", "1 | .[0]"], "");
    assert_eq!(code(&outcome), 5, "a run-time error: {}", describe(&outcome));
    let outcome = f.run(&["jq", "-n", "-e", "empty"], "");
    assert_eq!(code(&outcome), 4, "-e with no output: {}", describe(&outcome));
    // Floats keep their `.0` (jaq), where jq 1.6 prints `5`.
    assert_eq!(ok(&f.run(&["jq", "-n", "10 / 4"], "")), "2.5\n");
    assert_eq!(ok(&f.run(&["jq", "-n", "-r", "$ENV.PWD"], "")), "/work\n");
}
