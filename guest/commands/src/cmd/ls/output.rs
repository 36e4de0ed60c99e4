//! How `ls` writes a listing: the long format with its aligned columns and
//! dates, and the column layouts of `-C`, `-x` and `-m` (GNU's algorithm,
//! tabs included).

use wasi_ext::fs::{S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, Stat};

use super::quote::quote_name;
use super::{Entry, Format, Indicator, Options};
use crate::files::{self, Names};
use crate::util;

/// Display width of a shown name in the C locale: every byte but control
/// characters takes a column.
fn width(text: &str) -> usize {
    text.bytes().filter(|&b| b >= 0x20 && b != 0x7f).count()
}

/// GNU's date formats (`--time-style`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TimeStyle {
    Locale,
    FullIso,
    LongIso,
    Iso,
    /// `+FORMAT`: for old files, and for recent ones.
    Format(String, String),
}

impl TimeStyle {
    /// A `--time-style` argument (or `$TIME_STYLE`).
    pub(super) fn parse(text: &str) -> Option<TimeStyle> {
        let text = text.strip_prefix("posix-").map_or(text, |_| "locale");
        Some(match text {
            "locale" => TimeStyle::Locale,
            "full-iso" => TimeStyle::FullIso,
            "long-iso" => TimeStyle::LongIso,
            "iso" => TimeStyle::Iso,
            _ => {
                let format = text.strip_prefix('+')?;
                match format.split_once('\n') {
                    Some((old, recent)) => TimeStyle::Format(old.to_string(), recent.to_string()),
                    None => TimeStyle::Format(format.to_string(), format.to_string()),
                }
            }
        })
    }

    /// The date column of a file with time `nanos`, `recent` if within the
    /// past six months.
    fn render(&self, nanos: u64, recent: bool) -> String {
        let format = match (self, recent) {
            (TimeStyle::Locale, true) => "%b %e %H:%M",
            (TimeStyle::Locale, false) => "%b %e  %Y",
            (TimeStyle::FullIso, _) => "%Y-%m-%d %H:%M:%S.%N %z",
            (TimeStyle::LongIso, _) => "%Y-%m-%d %H:%M",
            (TimeStyle::Iso, true) => "%m-%d %H:%M",
            (TimeStyle::Iso, false) => "%Y-%m-%d ",
            (TimeStyle::Format(old, _), false) => old,
            (TimeStyle::Format(_, new), true) => new,
        };
        strftime(format, nanos)
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// `strftime` in UTC for the conversions dates use.
pub(super) fn strftime(format: &str, nanos: u64) -> String {
    let secs = (nanos / 1_000_000_000) as i64;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = util::civil_from_days(days);
    let rem = secs.rem_euclid(86_400);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let month = MONTHS.get(m as usize - 1).copied().unwrap_or("???");
    let weekday = DAYS[(days + 4).rem_euclid(7) as usize];
    let hour12 = if hh % 12 == 0 { 12 } else { hh % 12 };
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&y.to_string()),
            Some('y') => out.push_str(&format!("{:02}", y.rem_euclid(100))),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('e') => out.push_str(&format!("{d:2}")),
            Some('H') => out.push_str(&format!("{hh:02}")),
            Some('k') => out.push_str(&format!("{hh:2}")),
            Some('I') => out.push_str(&format!("{hour12:02}")),
            Some('l') => out.push_str(&format!("{hour12:2}")),
            Some('M') => out.push_str(&format!("{mm:02}")),
            Some('S') => out.push_str(&format!("{ss:02}")),
            Some('p') => out.push_str(if hh < 12 { "AM" } else { "PM" }),
            Some('b' | 'h') => out.push_str(month),
            Some('a') => out.push_str(weekday),
            Some('F') => out.push_str(&format!("{y}-{m:02}-{d:02}")),
            Some('j') => out.push_str(&format!("{:03}", days - days_from_civil(y, 1, 1) + 1)),
            Some('D') => out.push_str(&format!("{m:02}/{d:02}/{:02}", y.rem_euclid(100))),
            Some('T') => out.push_str(&format!("{hh:02}:{mm:02}:{ss:02}")),
            Some('R') => out.push_str(&format!("{hh:02}:{mm:02}")),
            Some('s') => out.push_str(&secs.to_string()),
            Some('N') => out.push_str(&format!("{:09}", nanos % 1_000_000_000)),
            Some('z') => out.push_str("+0000"),
            Some('Z') => out.push_str("UTC"),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The indicator character `-F`/`-p`/`--file-type` appends for `mode`.
fn indicator(style: Indicator, mode: u32) -> Option<char> {
    match mode & wasi_ext::fs::S_IFMT {
        _ if style == Indicator::None => None,
        S_IFREG => (style == Indicator::Classify && mode & 0o111 != 0).then_some('*'),
        S_IFDIR => Some('/'),
        _ if style == Indicator::Slash => None,
        S_IFLNK => Some('@'),
        S_IFIFO => Some('|'),
        S_IFSOCK => Some('='),
        _ => None,
    }
}

/// Allocated 512-byte blocks, as capsa counts them (the size rounded up).
fn blocks(st: &Stat) -> u64 {
    st.size.div_ceil(512)
}

/// A block count as `-s` and `total` show it: KiB rounded up, or `-h`.
fn show_blocks(o: &Options, blocks: u64) -> String {
    if o.human { util::human_size(blocks * 512) } else { blocks.div_ceil(2).to_string() }
}

/// Prints a listing of `entries`, its columns as wide as the entries of
/// `sizing` need; `is_dir` adds the `total` line.
pub(super) fn print(
    out: &mut Vec<u8>,
    o: &Options,
    names: &mut Names,
    entries: &[Entry],
    sizing: &[&Entry],
    is_dir: bool,
) {
    if is_dir && (o.format == Format::Long || o.blocks) {
        let total: u64 = entries.iter().filter_map(|e| e.st.as_ref()).map(blocks).sum();
        out.extend_from_slice(format!("total {}\n", show_blocks(o, total)).as_bytes());
    }
    let inode_width = sizing.iter().map(|e| e.st.map_or(1, |st| st.ino.to_string().len())).max().unwrap_or(0);
    let block_width = sizing.iter().map(|e| e.st.map_or(1, |st| show_blocks(o, blocks(&st)).len())).max().unwrap_or(0);
    let extra: &[u8] = match o.indicator {
        Indicator::Classify => b"*=>@|",
        Indicator::FileType => b"=>@|",
        _ => b"",
    };
    let name_of = |e: &Entry| quote_name(e.name.as_encoded_bytes(), o.quoting, o.hide_control, extra);
    if o.format == Format::Long {
        long(out, o, names, entries, sizing, (inode_width, block_width), &name_of);
        return;
    }
    let widths = if o.format == Format::Commas { (0, 0) } else { (inode_width, block_width) };
    let cells: Vec<(String, usize)> = entries
        .iter()
        .map(|e| {
            let mut cell = String::new();
            if o.inode {
                cell.push_str(&format!("{:>w$} ", e.st.map_or("?".to_string(), |st| st.ino.to_string()), w = widths.0));
            }
            if o.blocks {
                let shown = e.st.map_or("?".to_string(), |st| show_blocks(o, blocks(&st)));
                cell.push_str(&format!("{shown:>w$} ", w = widths.1));
            }
            cell.push_str(&name_of(e));
            if let Some(c) = e.st.and_then(|st| indicator(o.indicator, st.mode)) {
                cell.push(c);
            }
            let w = width(&cell);
            (cell, w)
        })
        .collect();
    match o.format {
        Format::Columns => columns(out, o, &cells, true),
        Format::Across => columns(out, o, &cells, false),
        Format::Commas => commas(out, o, &cells),
        _ => {
            for (cell, _) in &cells {
                out.extend_from_slice(cell.as_bytes());
                out.push(b'\n');
            }
        }
    }
}

/// The long format: `[inode] [blocks] mode links owner group size date name`.
fn long(
    out: &mut Vec<u8>,
    o: &Options,
    names: &mut Names,
    entries: &[Entry],
    sizing: &[&Entry],
    (inode_width, block_width): (usize, usize),
    name_of: &dyn Fn(&Entry) -> String,
) {
    /// An id column: a name (left-aligned) or a number (right-aligned).
    enum Id {
        Name(String),
        Number(u32),
        Unknown,
    }
    let id_text = |id: &Id| match id {
        Id::Name(name) => name.clone(),
        Id::Number(n) => n.to_string(),
        Id::Unknown => "?".to_string(),
    };
    let mut row = |e: &Entry| {
        let (owner, group) = match e.st {
            None => (Id::Unknown, Id::Unknown),
            Some(_) if o.numeric => (Id::Number(e.st.map_or(0, |s| s.uid)), Id::Number(e.st.map_or(0, |s| s.gid))),
            Some(st) => (
                names.user(st.uid).map_or(Id::Number(st.uid), |n| Id::Name(n.to_string())),
                names.group(st.gid).map_or(Id::Number(st.gid), |n| Id::Name(n.to_string())),
            ),
        };
        let size =
            e.st.map_or("?".to_string(), |st| if o.human { util::human_size(st.size) } else { st.size.to_string() });
        (owner, group, size)
    };
    let widths: Vec<_> = sizing.iter().map(|e| row(e)).collect();
    let rows: Vec<_> = entries.iter().map(&mut row).collect();
    let link_width = sizing.iter().map(|e| e.st.map_or(1, |st| st.nlink.to_string().len())).max().unwrap_or(0);
    let owner_width = widths.iter().map(|r| id_text(&r.0).len()).max().unwrap_or(0);
    let group_width = widths.iter().map(|r| id_text(&r.1).len()).max().unwrap_or(0);
    let size_width = widths.iter().map(|r| r.2.len()).max().unwrap_or(0);
    for (e, (owner, group, size)) in entries.iter().zip(&rows) {
        let mut line = String::new();
        if o.inode {
            let ino = e.st.map_or("?".to_string(), |st| st.ino.to_string());
            line.push_str(&format!("{ino:>inode_width$} "));
        }
        if o.blocks {
            let shown = e.st.map_or("?".to_string(), |st| show_blocks(o, blocks(&st)));
            line.push_str(&format!("{shown:>block_width$} "));
        }
        match e.st {
            Some(st) => line.push_str(&files::mode_string(st.mode)),
            None => {
                line.push(e.kind);
                line.push_str("?????????");
            }
        }
        let links = e.st.map_or("?".to_string(), |st| st.nlink.to_string());
        line.push_str(&format!(" {links:>link_width$} "));
        for (show, id, w) in [(o.owner, owner, owner_width), (o.group, group, group_width)] {
            if !show {
                continue;
            }
            match id {
                Id::Number(n) => line.push_str(&format!("{n:>w$} ")),
                other => line.push_str(&format!("{:<w$} ", id_text(other))),
            }
        }
        line.push_str(&format!("{size:>size_width$} "));
        match e.st {
            Some(st) => {
                let when = match o.time {
                    super::TimeField::Modify => st.mtime,
                    super::TimeField::Change => st.ctime,
                    super::TimeField::Access => st.atime,
                };
                if when > o.now.get() {
                    o.now.set(super::now());
                }
                let now = o.now.get();
                let recent = now.saturating_sub(31_556_952 / 2 * 1_000_000_000) < when && when < now;
                line.push_str(&o.time_style.render(when, recent));
            }
            None => {
                let date_width = width(&o.time_style.render(0, false));
                line.push_str(&format!("{:>date_width$}", "?"));
            }
        }
        line.push(' ');
        line.push_str(&name_of(e));
        match &e.target {
            Some((target, target_st)) => {
                line.push_str(" -> ");
                line.push_str(&quote_name(target.as_bytes(), o.quoting, o.hide_control, b""));
                if let Some(c) = target_st.and_then(|st| indicator(o.indicator, st.mode)) {
                    line.push(c);
                }
            }
            None => {
                if let Some(c) = e.st.filter(|st| !st.is_symlink()).and_then(|st| indicator(o.indicator, st.mode)) {
                    line.push(c);
                }
            }
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
}

/// Pads from column `from` to `to` with tabs (every `tabsize`) and spaces,
/// as GNU's `indent`.
fn indent(out: &mut Vec<u8>, mut from: usize, to: usize, tabsize: usize) {
    while from < to {
        if tabsize != 0 && to / tabsize > (from + 1) / tabsize {
            out.push(b'\t');
            from += tabsize - from % tabsize;
        } else {
            out.push(b' ');
            from += 1;
        }
    }
}

/// `-C` (`by_columns`) and `-x`: GNU's `calculate_columns` picks the most
/// columns whose widths fit the line.
fn columns(out: &mut Vec<u8>, o: &Options, cells: &[(String, usize)], by_columns: bool) {
    const MIN_WIDTH: usize = 3;
    let n = cells.len();
    if n == 0 {
        return;
    }
    if o.width == 0 {
        // No limit (`-w 0`): everything on one line, each name in a column
        // of its own.
        let widths: Vec<usize> = cells.iter().map(|(_, len)| len + 2).collect();
        return lay_out(out, o, cells, n, &widths, by_columns);
    }
    let line_length = o.width;
    let max_idx = (line_length / MIN_WIDTH + usize::from(!line_length.is_multiple_of(MIN_WIDTH))).max(1);
    let max_cols = if max_idx < n { max_idx } else { n };
    // For each candidate column count: (valid, line length, column widths).
    let mut info: Vec<(bool, usize, Vec<usize>)> =
        (0..max_cols).map(|i| (true, (i + 1) * MIN_WIDTH, vec![MIN_WIDTH; i + 1])).collect();
    for (filesno, (_, len)) in cells.iter().enumerate() {
        for (i, (valid, line_len, widths)) in info.iter_mut().enumerate() {
            if !*valid {
                continue;
            }
            let idx = if by_columns { filesno / n.div_ceil(i + 1) } else { filesno % (i + 1) };
            let real = len + if idx == i { 0 } else { 2 };
            if widths[idx] < real {
                *line_len += real - widths[idx];
                widths[idx] = real;
                *valid = *line_len < line_length;
            }
        }
    }
    let cols = (1..=max_cols).rev().find(|&c| c == 1 || info[c - 1].0).unwrap_or(1);
    lay_out(out, o, cells, cols, &info[cols - 1].2, by_columns);
}

/// Writes `cells` in `cols` columns of `widths` (GNU's
/// `print_many_per_line` and `print_horizontal`).
fn lay_out(out: &mut Vec<u8>, o: &Options, cells: &[(String, usize)], cols: usize, widths: &[usize], by_columns: bool) {
    let n = cells.len();
    if by_columns {
        let rows = n.div_ceil(cols);
        for row in 0..rows {
            let (mut pos, mut filesno, mut col) = (0, row, 0);
            loop {
                let (cell, len) = &cells[filesno];
                out.extend_from_slice(cell.as_bytes());
                let max = widths[col];
                col += 1;
                filesno += rows;
                if filesno >= n {
                    break;
                }
                indent(out, pos + len, pos + max, o.tabsize);
                pos += max;
            }
            out.push(b'\n');
        }
    } else {
        let mut pos = 0;
        for (filesno, (cell, _)) in cells.iter().enumerate() {
            let col = filesno % cols;
            if filesno > 0 {
                if col == 0 {
                    out.push(b'\n');
                    pos = 0;
                } else {
                    let (prev_len, prev_max) = (cells[filesno - 1].1, widths[col - 1]);
                    indent(out, pos + prev_len, pos + prev_max, o.tabsize);
                    pos += prev_max;
                }
            }
            out.extend_from_slice(cell.as_bytes());
        }
        out.push(b'\n');
    }
}

/// `-m`: names separated by `, `, wrapped at the line width.
fn commas(out: &mut Vec<u8>, o: &Options, cells: &[(String, usize)]) {
    if cells.is_empty() {
        return;
    }
    let mut pos = 0;
    for (i, (cell, len)) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
            if o.width == 0 || pos + len + 2 < o.width {
                out.push(b' ');
                pos += 2;
            } else {
                out.push(b'\n');
                pos = 0;
            }
        }
        out.extend_from_slice(cell.as_bytes());
        pos += len;
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(strftime("%b %e %H:%M", 86_400 * 1_000_000_000 + 5), "Jan  2 00:00");
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S.%N %z", 1_500_000_000_123_456_789),
            "2017-07-14 02:40:00.123456789 +0000"
        );
        assert_eq!(strftime("%a %F", 0), "Thu 1970-01-01");
        assert_eq!(strftime("%j", 1_600_000_000_000_000_000), "257");
    }
}
