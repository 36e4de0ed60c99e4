//! Compiled regular expressions (`regex-automata`'s meta engine, the one
//! behind the `regex` crate) with the few operations the commands need.
//! Offsets are byte offsets into the haystack.
//!
//! Not the `regex` crate itself: it needs `regex-automata`'s `std` feature,
//! with which every pattern builds a std `HashMap` keyed by host entropy —
//! a panic on wasip1 when the VM has no entropy grant.

use regex_automata::Input;
use regex_automata::meta::{Builder, Regex};
use regex_automata::util::syntax;

/// A compiled pattern (in `regex` crate syntax; see `posix_re`).
#[derive(Debug, Clone)]
pub struct Re(Regex);

impl Re {
    /// Compiles `pattern`. `multi_line`: `^`/`$` match at line ends too.
    ///
    /// # Errors
    /// The pattern is invalid (the error's last line says why).
    pub fn new(pattern: &str, case_insensitive: bool, multi_line: bool) -> Result<Re, String> {
        Builder::new()
            .syntax(syntax::Config::new().case_insensitive(case_insensitive).multi_line(multi_line))
            .build(pattern)
            .map(Re)
            .map_err(|e| e.to_string().lines().last().unwrap_or("invalid regular expression").to_string())
    }

    /// Whether it matches anywhere in `haystack`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.0.is_match(haystack)
    }

    /// The leftmost match starting at or after `at` (the text before `at`
    /// still counts for `^` and word boundaries).
    pub fn find_at(&self, haystack: &[u8], at: usize) -> Option<(usize, usize)> {
        if at > haystack.len() {
            return None;
        }
        self.0.find(Input::new(haystack).range(at..)).map(|m| (m.start(), m.end()))
    }

    /// The leftmost match.
    pub fn find(&self, haystack: &[u8]) -> Option<(usize, usize)> {
        self.find_at(haystack, 0)
    }

    /// Every non-overlapping match, left to right.
    pub fn find_iter<'h>(&'h self, haystack: &'h [u8]) -> impl Iterator<Item = (usize, usize)> + 'h {
        self.0.find_iter(haystack).map(|m| (m.start(), m.end()))
    }

    /// `text` split at every match.
    pub fn split<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut parts = Vec::new();
        let mut last = 0;
        for (start, end) in self.find_iter(text.as_bytes()) {
            if end == start && (start == 0 || start == text.len()) {
                continue;
            }
            parts.push(&text[last..start]);
            last = end;
        }
        parts.push(&text[last..]);
        parts
    }
}

/// `text` with every regex metacharacter escaped.
pub fn escape(text: &str) -> String {
    regex_syntax::escape(text)
}
