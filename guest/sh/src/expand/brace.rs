//! Brace expansion (`a{b,c}d`, `{1..5}`, `{a..e..2}`) on a word's raw text,
//! before any other expansion; brush-parser finds the brace expressions
//! (quoted braces are text).

use brush_parser::word::{BraceExpressionMember, BraceExpressionOrText};

/// At most this many words come out of one word (bash has no limit; a
/// bound keeps `{1..999999999}` from exhausting memory).
const MAX_WORDS: usize = 1 << 20;

/// The words a raw word expands to (itself when it has no brace expression).
pub fn expand(word: &str) -> Vec<String> {
    if has_huge_number(word) {
        return vec![word.to_string()];
    }
    match brush_parser::word::parse_brace_expansions(word, &super::word_options()) {
        Ok(Some(pieces)) => {
            let mut widths = sequence_widths(word);
            let mut out = vec![String::new()];
            product(&mut out, &pieces, &mut widths);
            out
        }
        _ => vec![word.to_string()],
    }
}

/// A number sequence as written: its ends, and the width its numbers are
/// padded to (bash pads with zeros when either end has a leading zero, to
/// the longer end's length, a `-` included).
#[derive(Debug, PartialEq)]
struct Written {
    start: i64,
    end: i64,
    width: usize,
}

/// Every `{A..B}` / `{A..B..C}` of numbers in `word`, in order. brush-parser
/// hands back the numbers only, so their zero padding is read here.
fn sequence_widths(word: &str) -> Vec<Written> {
    let mut found = Vec::new();
    for (at, _) in word.match_indices('{') {
        let Some(body) = word[at + 1..].split('}').next() else { continue };
        let parts: Vec<&str> = body.split("..").collect();
        let is_number = |s: &str| {
            let digits = s.strip_prefix('-').unwrap_or(s);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| is_number(p)) {
            continue;
        }
        let (Ok(start), Ok(end)) = (parts[0].parse::<i64>(), parts[1].parse::<i64>()) else { continue };
        let padded = |s: &str| {
            let digits = s.strip_prefix('-').unwrap_or(s);
            digits.len() > 1 && digits.starts_with('0')
        };
        let width = if padded(parts[0]) || padded(parts[1]) { parts[0].len().max(parts[1].len()) } else { 0 };
        found.push(Written { start, end, width });
    }
    found
}

/// brush-parser's sequence rule unwraps an `i64` parse: a run of more than
/// 18 digits in a `{…..…}` would panic it, so such words are left alone.
fn has_huge_number(word: &str) -> bool {
    let mut run = 0;
    for c in word.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run > 18 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Extends every prefix in `acc` with each expansion of `pieces`; `widths`
/// are the sequences as written, taken in order as they are met.
fn product(acc: &mut Vec<String>, pieces: &[BraceExpressionOrText], widths: &mut Vec<Written>) {
    for piece in pieces {
        let alternatives = match piece {
            BraceExpressionOrText::Text(t) => vec![t.clone()],
            BraceExpressionOrText::Expr(members) => {
                let mut alts = Vec::new();
                for member in members {
                    alts.extend(member_words(member, widths));
                }
                alts
            }
        };
        let mut next = Vec::with_capacity(acc.len() * alternatives.len());
        for prefix in acc.iter() {
            for alt in &alternatives {
                if next.len() >= MAX_WORDS {
                    break;
                }
                next.push(format!("{prefix}{alt}"));
            }
        }
        *acc = next;
    }
}

fn member_words(member: &BraceExpressionMember, widths: &mut Vec<Written>) -> Vec<String> {
    match member {
        BraceExpressionMember::NumberSequence { start, end, increment } => {
            let width = match widths.iter().position(|w| (w.start, w.end) == (*start, *end)) {
                Some(at) => widths.remove(at).width,
                None => 0,
            };
            let step = increment.unsigned_abs().max(1);
            let mut out = Vec::new();
            let mut i = *start;
            while out.len() < MAX_WORDS {
                out.push(format!("{i:0width$}"));
                if i == *end {
                    break;
                }
                let next = if start <= end {
                    i.checked_add_unsigned(step).filter(|n| n <= end)
                } else {
                    i.checked_sub_unsigned(step).filter(|n| n >= end)
                };
                match next {
                    Some(n) => i = n,
                    None => break,
                }
            }
            out
        }
        BraceExpressionMember::CharSequence { start, end, increment } => {
            let step = usize::try_from(increment.unsigned_abs().max(1)).unwrap_or(1);
            let (a, b) = (*start as u32, *end as u32);
            let range: Vec<u32> =
                if a <= b { (a..=b).step_by(step).collect() } else { (b..=a).rev().step_by(step).collect() };
            range.into_iter().filter_map(char::from_u32).map(String::from).collect()
        }
        BraceExpressionMember::Child(pieces) => {
            let mut out = vec![String::new()];
            product(&mut out, pieces, widths);
            out
        }
    }
}
