//! Binary formats by their magic numbers, described as file(1)'s magic
//! database describes them (the fields it prints for the common cases).

use super::Kind;

/// The file's first bytes (as many as file(1) reads) and its last four
/// (gzip's size field).
pub struct Sample<'a> {
    /// The first bytes.
    pub head: &'a [u8],
    /// The last four bytes, when the file has them.
    pub tail: Option<[u8; 4]>,
}

fn u16_le(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u16_be(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_le(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn u32_be(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The binary format of `sample`, if it has one this module knows.
pub fn identify(sample: &Sample) -> Option<Kind> {
    let data = sample.head;
    let kind = if data.starts_with(b"\x7fELF") {
        elf(data)?
    } else if data.starts_with(b"\0asm") {
        let version = u32_le(data, 4)?;
        let described = if version == 1 { "0x1 (MVP)".to_string() } else { format!("{version:#x}") };
        Kind::new(&format!("WebAssembly (wasm) binary module version {described}"), "application/wasm")
    } else if data.starts_with(&[0x1f, 0x8b]) {
        gzip(data, sample.tail)
    } else if data.starts_with(b"BZh") && data.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        let size = char::from(data[3]);
        Kind::new(&format!("bzip2 compressed data, block size = {size}00k"), "application/x-bzip2")
    } else if data.starts_with(b"\xfd7zXZ\0") {
        let check = match data.get(7).map(|b| b & 0x0f) {
            Some(0) => "NONE",
            Some(1) => "CRC32",
            Some(4) => "CRC64",
            Some(10) => "SHA-256",
            _ => return Some(Kind::new("XZ compressed data", "application/x-xz")),
        };
        Kind::new(&format!("XZ compressed data, checksum {check}"), "application/x-xz")
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::new(
            &format!("Zstandard compressed data (v0.8+), Dictionary ID: {}", zstd_dictionary(data)),
            "application/zstd",
        )
    } else if data.starts_with(b"PK\x05\x06") {
        Kind::new("Zip archive data (empty)", "application/zip")
    } else if data.starts_with(b"PK\x03\x04") {
        let version = u16_le(data, 4)?;
        let mut description = format!("Zip archive data, at least v{}.{} to extract", version / 10, version % 10);
        match u16_le(data, 8) {
            Some(0) => description.push_str(", compression method=store"),
            Some(8) => description.push_str(", compression method=deflate"),
            _ => {}
        }
        Kind::new(&description, "application/zip")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(data)?
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        let version = String::from_utf8_lossy(&data[3..6]).into_owned();
        let (width, height) = (u16_le(data, 6)?, u16_le(data, 8)?);
        Kind::new(&format!("GIF image data, version {version}, {width} x {height}"), "image/gif")
    } else if data.starts_with(&[0xff, 0xd8, 0xff]) {
        Kind::new(&jpeg(data), "image/jpeg")
    } else if let Some(version) = data.strip_prefix(b"%PDF-") {
        let (major, minor) = (char::from(*version.first()?), char::from(*version.get(2)?));
        Kind::new(&format!("PDF document, version {major}.{minor}"), "application/pdf")
    } else if data.starts_with(b"SQLite format 3\0") {
        sqlite(data)?
    } else {
        tar(data)?
    };
    Some(kind)
}

/// `ELF 64-bit LSB executable, x86-64, version 1 (SYSV)`: the header's
/// fields (file(1) also reads the program headers, for `pie executable`,
/// `dynamically linked`, the interpreter and the build id; this does not).
fn elf(data: &[u8]) -> Option<Kind> {
    let bits = match data.get(4)? {
        1 => "32-bit",
        2 => "64-bit",
        _ => return Some(Kind::new("ELF", "application/octet-stream")),
    };
    let big = *data.get(5)? == 2;
    let half = |at| if big { u16_be(data, at) } else { u16_le(data, at) };
    let (kind, mime) = match half(16)? {
        1 => ("relocatable", "application/x-object"),
        2 => ("executable", "application/x-executable"),
        3 => ("shared object", "application/x-sharedlib"),
        4 => ("core file", "application/x-coredump"),
        _ => ("unknown type", "application/octet-stream"),
    };
    let machine = match half(18)? {
        3 => "Intel 80386".to_string(),
        8 => "MIPS".to_string(),
        20 => "PowerPC".to_string(),
        21 => "64-bit PowerPC".to_string(),
        40 => "ARM".to_string(),
        62 => "x86-64".to_string(),
        183 => "ARM aarch64".to_string(),
        243 => "UCB RISC-V".to_string(),
        other => format!("*unknown arch {other:#x}*"),
    };
    let abi = match data.get(7)? {
        0 => "SYSV",
        3 => "GNU/Linux",
        9 => "FreeBSD",
        _ => "unknown",
    };
    let order = if big { "MSB" } else { "LSB" };
    let version = data.get(6)?;
    Some(Kind::new(&format!("ELF {bits} {order} {kind}, {machine}, version {version} ({abi})"), mime))
}

/// gzip's header fields: the name, the modification time (as `ctime`, in
/// UTC), the compression level hint, the system, the size modulo 2^32.
fn gzip(data: &[u8], tail: Option<[u8; 4]>) -> Kind {
    let mut description = "gzip compressed data".to_string();
    let flags = data.get(3).copied().unwrap_or(0);
    if flags & 0x08 != 0 {
        // The name follows the fixed header and the optional extra field.
        let mut at = 10;
        if flags & 0x04 != 0 {
            at += 2 + usize::from(u16_le(data, 10).unwrap_or(0));
        }
        if let Some(rest) = data.get(at..) {
            let name = rest.split(|b| *b == 0).next().unwrap_or_default();
            description.push_str(&format!(", was \"{}\"", String::from_utf8_lossy(name)));
        }
    }
    if let Some(mtime) = u32_le(data, 4).filter(|t| *t != 0) {
        description.push_str(&format!(", last modified: {}", ctime(i64::from(mtime))));
    }
    match data.get(8) {
        Some(2) => description.push_str(", max compression"),
        Some(4) => description.push_str(", max speed"),
        _ => {}
    }
    match data.get(9) {
        Some(0) => description.push_str(", from FAT filesystem (MS-DOS, OS/2, NT)"),
        Some(3) => description.push_str(", from Unix"),
        Some(11) => description.push_str(", from NTFS filesystem (NT)"),
        _ => {}
    }
    if let Some(tail) = tail {
        description.push_str(&format!(", original size modulo 2^32 {}", u32::from_le_bytes(tail)));
    }
    Kind::new(&description, "application/gzip")
}

/// `Mon Dec  7 16:31:35 2026` for seconds since the epoch, in UTC.
fn ctime(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs.div_euclid(86_400);
    let (y, m, d) = crate::util::civil_from_days(days);
    let rem = secs.rem_euclid(86_400);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(m as usize).saturating_sub(1) % 12];
    format!("{weekday} {month} {d:>2} {:02}:{:02}:{:02} {y}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The dictionary id of a Zstandard frame header, or `None`.
fn zstd_dictionary(data: &[u8]) -> String {
    let Some(&descriptor) = data.get(4) else { return "None".to_string() };
    let size = match descriptor & 0x03 {
        0 => return "None".to_string(),
        1 => 1,
        2 => 2,
        _ => 4,
    };
    // A window descriptor byte comes first unless the frame is one segment.
    let at = if descriptor & 0x20 != 0 { 5 } else { 6 };
    match data.get(at..at + size) {
        Some(bytes) => bytes.iter().rev().fold(0u32, |id, b| id << 8 | u32::from(*b)).to_string(),
        None => "None".to_string(),
    }
}

/// `PNG image data, W x H, 8-bit/color RGBA, non-interlaced`.
fn png(data: &[u8]) -> Option<Kind> {
    if data.get(12..16)? != b"IHDR" {
        return Some(Kind::new("PNG image data", "image/png"));
    }
    let (width, height) = (u32_be(data, 16)?, u32_be(data, 20)?);
    let depth = data.get(24)?;
    let color = match data.get(25)? {
        0 => " grayscale",
        2 => "/color RGB",
        3 => " colormap",
        4 => " gray+alpha",
        6 => "/color RGBA",
        _ => "",
    };
    let laced = if *data.get(28)? == 0 { "non-interlaced" } else { "interlaced" };
    Some(Kind::new(&format!("PNG image data, {width} x {height}, {depth}-bit{color}, {laced}"), "image/png"))
}

/// JPEG: with a JFIF header, its version, density and the frame's
/// precision, size and components, as file(1) prints them; without one,
/// just `JPEG image data` (file(1) also reads Exif headers; this does not).
fn jpeg(data: &[u8]) -> String {
    let mut text = "JPEG image data".to_string();
    if data.get(2..4) != Some(&[0xff, 0xe0]) || data.get(6..11) != Some(b"JFIF\0") {
        return text;
    }
    let field = |at: usize| data.get(at).copied().unwrap_or(0);
    let segment = u16_be(data, 4).unwrap_or(0);
    text.push_str(&format!(", JFIF standard {}.{:02}", field(11), field(12)));
    text.push_str(match field(13) {
        0 => ", aspect ratio",
        1 => ", resolution (DPI)",
        _ => ", resolution (DPCM)",
    });
    text.push_str(&format!(", density {}x{}", u16_be(data, 14).unwrap_or(0), u16_be(data, 16).unwrap_or(0)));
    text.push_str(&format!(", segment length {segment}"));
    if field(18) != 0 || field(19) != 0 {
        text.push_str(&format!(", thumbnail {}x{}", field(18), field(19)));
    }
    // The segments after the JFIF one, up to the start of frame.
    let mut at = 4 + usize::from(segment);
    while let (Some(0xff), Some(marker), Some(length)) =
        (data.get(at).copied(), data.get(at + 1).copied(), u16_be(data, at + 2))
    {
        let process = match marker {
            0xc0 => Some("baseline"),
            0xc1 => Some("extended sequential"),
            0xc2 => Some("progressive"),
            _ => None,
        };
        if let Some(process) = process {
            let precision = field(at + 4);
            let (height, width) = (u16_be(data, at + 5).unwrap_or(0), u16_be(data, at + 7).unwrap_or(0));
            text.push_str(&format!(
                ", {process}, precision {precision}, {width}x{height}, components {}",
                field(at + 9)
            ));
            break;
        }
        at += 2 + usize::from(length);
    }
    text
}

/// SQLite's header fields as file(1) prints them.
fn sqlite(data: &[u8]) -> Option<Kind> {
    // file(1) takes a zero page size for something else.
    if u16_be(data, 16)? == 0 {
        return None;
    }
    let mut text = "SQLite 3.x database".to_string();
    let field = |at| u32_be(data, at);
    if let Some(user) = field(60).filter(|v| *v != 0) {
        text.push_str(&format!(", user version {user}"));
    }
    if let Some(app) = field(68).filter(|v| *v != 0) {
        text.push_str(&format!(", application id {app}"));
    }
    text.push_str(&format!(", last written using SQLite version {}", field(96)?));
    text.push_str(&format!(", file counter {}", field(24)?));
    text.push_str(&format!(", database pages {}", field(28)?));
    text.push_str(&format!(", cookie {:#x}", field(40)?));
    text.push_str(&format!(", schema {}", field(44)?));
    text.push_str(match field(56)? {
        1 => ", UTF-8",
        2 => ", UTF-16 little endian",
        3 => ", UTF-16 big endian",
        _ => "",
    });
    text.push_str(&format!(", version-valid-for {}", field(92)?));
    Some(Kind::new(&text, "application/vnd.sqlite3"))
}

/// A tar header with a valid checksum: POSIX (`ustar\0`), GNU (`ustar  `)
/// or old (v7).
fn tar(data: &[u8]) -> Option<Kind> {
    let header = data.get(..512)?;
    let field = String::from_utf8_lossy(&header[148..156]);
    let stored = u32::from_str_radix(field.trim_matches([' ', '\0']), 8).ok()?;
    let sum: u32 =
        header.iter().enumerate().map(|(i, b)| if (148..156).contains(&i) { 32 } else { u32::from(*b) }).sum();
    if sum != stored {
        return None;
    }
    let description = match &header[257..265] {
        b"ustar  \0" => "POSIX tar archive (GNU)",
        magic if magic.starts_with(b"ustar\0") => "POSIX tar archive",
        _ => "tar archive",
    };
    Some(Kind::new(description, "application/x-tar"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ctime_is_c_layout() {
        assert_eq!(super::ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(super::ctime(1_796_661_095), "Mon Dec  7 16:31:35 2026");
    }
}
