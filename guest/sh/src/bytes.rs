//! Bytes that are not UTF-8 in the shell's strings.
//!
//! The shell's words and variables are Rust strings, but a shell's data is
//! bytes: `printf '\377'`, `$'\xff'` or a command's binary output must come
//! out as the same bytes. A byte 0x80–0xFF that is not part of valid UTF-8
//! is kept as the character U+10FF00 + byte (the last private-use plane,
//! which no text uses), and turned back into that one byte wherever bytes
//! leave the shell: written to an fd, passed to a program as an argument or
//! in its environment, or written to a here-document. A real U+10FF80–
//! U+10FFFF in the shell's data would therefore come out as one byte.

use std::borrow::Cow;

/// The first character standing for a raw byte (that of byte 0x80).
const BASE: u32 = 0x10_FF00;

/// The character that stands for `byte` (ASCII stays itself).
pub fn raw(byte: u8) -> char {
    if byte.is_ascii() {
        char::from(byte)
    } else {
        char::from_u32(BASE + u32::from(byte)).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

/// `bytes` as a string: valid UTF-8 as it is, every other byte as its
/// [`raw`] character.
pub fn decode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| raw(b)));
    }
    out
}

/// The bytes `s` stands for: its UTF-8, with each [`raw`] character back to
/// its byte. Borrowed when there is none.
pub fn encode(s: &[u8]) -> Cow<'_, [u8]> {
    // U+10FF80–U+10FFFF are F4 8F BE/BF xx in UTF-8.
    let is_raw = |w: &[u8]| w[0] == 0xF4 && w[1] == 0x8F && (w[2] == 0xBE || w[2] == 0xBF);
    if !s.windows(4).any(is_raw) {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if i + 4 <= s.len() && is_raw(&s[i..i + 4]) {
            out.push(0x80 + (((s[i + 2] & 1) << 6) | (s[i + 3] & 0x3F)));
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// `s` as an argument or environment string for a program: its bytes.
pub fn os(s: &str) -> std::ffi::OsString {
    use std::os::wasi::ffi::OsStringExt;
    std::ffi::OsString::from_vec(encode(s.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_comes_back() {
        let bytes: Vec<u8> = (0..=255).collect();
        let text = decode(&bytes);
        assert_eq!(encode(text.as_bytes()).as_ref(), bytes.as_slice());
        assert_eq!(decode("héllo".as_bytes()), "héllo");
        assert!(matches!(encode("plain é".as_bytes()), Cow::Borrowed(_)));
        assert_eq!(encode(format!("a{}b", raw(0xff)).as_bytes()).as_ref(), b"a\xffb");
    }
}
