//! C `printf` conversions for awk's `printf`, `sprintf`, `OFMT` and
//! `CONVFMT`: `%c %d %i %o %u %x %X %e %E %f %F %g %G %s %%` with the flags
//! `- + space # 0`, a width and a precision (`*` takes them from the
//! arguments).

/// One argument: its numeric and string views are computed on demand.
pub trait Arg {
    fn num(&self) -> f64;
    fn text(&self) -> String;
    /// Whether the value is a number (for `%c`: a number is a code point).
    fn is_num(&self) -> bool;
}

#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

/// Formats `args` by `format`. Missing arguments read as empty/zero.
pub fn sprintf(format: &str, args: &[&dyn Arg]) -> String {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut next = 0usize;
    let take = |next: &mut usize| -> Option<&dyn Arg> {
        let arg = args.get(*next).copied();
        *next += 1;
        arg
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let start = i - 1;
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i] {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            let w = take(&mut next).map_or(0.0, |a| a.num()) as i64;
            if w < 0 {
                spec.left = true;
            }
            spec.width = w.unsigned_abs() as usize;
            i += 1;
        } else {
            while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                spec.width = spec.width * 10 + d as usize;
                i += 1;
            }
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = 0usize;
            if chars.get(i) == Some(&'*') {
                p = take(&mut next).map_or(0.0, |a| a.num()).max(0.0) as usize;
                i += 1;
            } else {
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    p = p * 10 + d as usize;
                    i += 1;
                }
            }
            spec.precision = Some(p);
        }
        // Length modifiers mean nothing here.
        while matches!(chars.get(i), Some('h' | 'l' | 'L' | 'q' | 'j' | 'z' | 't')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            out.extend(&chars[start..]);
            break;
        };
        i += 1;
        let body = match conv {
            '%' => {
                out.push('%');
                continue;
            }
            'c' => {
                let arg = take(&mut next);
                let s = match arg {
                    Some(a) if a.is_num() => char::from_u32(a.num() as u32).map(String::from).unwrap_or_default(),
                    Some(a) => a.text().chars().next().map(String::from).unwrap_or_default(),
                    None => String::new(),
                };
                pad(&s, spec, false)
            }
            's' => {
                let mut s = take(&mut next).map(|a| a.text()).unwrap_or_default();
                if let Some(p) = spec.precision {
                    s = s.chars().take(p).collect();
                }
                pad(&s, spec, false)
            }
            'd' | 'i' => {
                let n = take(&mut next).map_or(0.0, |a| a.num());
                integer(n, spec)
            }
            'o' | 'u' | 'x' | 'X' => {
                let n = take(&mut next).map_or(0.0, |a| a.num());
                unsigned(n, conv, spec)
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let n = take(&mut next).map_or(0.0, |a| a.num());
                float(n, conv, spec)
            }
            _ => {
                // Not a conversion: copied as is.
                out.extend(&chars[start..i]);
                continue;
            }
        };
        out.push_str(&body);
    }
    out
}

/// Pads `s` to the width; `numeric`: zero padding goes after the sign.
fn pad(s: &str, spec: Spec, numeric: bool) -> String {
    let len = s.chars().count();
    if len >= spec.width {
        return s.to_string();
    }
    let fill = spec.width - len;
    if spec.left {
        format!("{s}{}", " ".repeat(fill))
    } else if numeric && spec.zero {
        let sign_len = s.chars().take_while(|c| matches!(c, '-' | '+' | ' ')).count();
        let prefix_len =
            if s[sign_len..].starts_with("0x") || s[sign_len..].starts_with("0X") { sign_len + 2 } else { sign_len };
        format!("{}{}{}", &s[..prefix_len], "0".repeat(fill), &s[prefix_len..])
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn sign(negative: bool, spec: Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn integer(n: f64, spec: Spec) -> String {
    if !n.is_finite() {
        return float(n, 'f', spec);
    }
    let v = n.trunc();
    let mut digits = format!("{:.0}", v.abs());
    if let Some(p) = spec.precision {
        if p == 0 && v == 0.0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    let s = format!("{}{digits}", sign(v < 0.0, spec));
    pad(&s, Spec { zero: spec.zero && spec.precision.is_none(), ..spec }, true)
}

fn unsigned(n: f64, conv: char, spec: Spec) -> String {
    let v = if n < 0.0 { (n as i64) as u64 } else { n as u64 };
    let mut digits = match conv {
        'o' => format!("{v:o}"),
        'x' => format!("{v:x}"),
        'X' => format!("{v:X}"),
        _ => v.to_string(),
    };
    if let Some(p) = spec.precision {
        if p == 0 && v == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    if spec.alt && v != 0 {
        match conv {
            'o' if !digits.starts_with('0') => digits.insert(0, '0'),
            'x' => digits.insert_str(0, "0x"),
            'X' => digits.insert_str(0, "0X"),
            _ => {}
        }
    }
    pad(&digits, Spec { zero: spec.zero && spec.precision.is_none(), ..spec }, true)
}

/// `%e`-style mantissa and exponent: `d.ddde+XX`.
fn exp_form(v: f64, precision: usize, upper: bool) -> String {
    let s = format!("{:.*e}", precision, v);
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

fn float(n: f64, conv: char, spec: Spec) -> String {
    let upper = conv.is_ascii_uppercase();
    if !n.is_finite() {
        let text = if n.is_nan() { "nan" } else { "inf" };
        let text = if upper { text.to_uppercase() } else { text.to_string() };
        let s = format!("{}{text}", sign(n.is_sign_negative() && !n.is_nan(), spec));
        return pad(&s, Spec { zero: false, ..spec }, false);
    }
    let precision = spec.precision.unwrap_or(6);
    let v = n.abs();
    let body = match conv {
        'f' | 'F' => {
            let mut s = format!("{v:.precision$}");
            if spec.alt && precision == 0 {
                s.push('.');
            }
            s
        }
        'e' | 'E' => exp_form(v, precision, upper),
        _ => general(v, precision, spec.alt, upper),
    };
    let s = format!("{}{body}", sign(n < 0.0, spec));
    pad(&s, spec, true)
}

/// `%g`: `%e` if the exponent is below -4 or at least the precision, else
/// `%f`; trailing zeros removed unless `#`.
pub fn general(v: f64, precision: usize, alt: bool, upper: bool) -> String {
    let p = precision.max(1);
    if v == 0.0 {
        return if alt { format!("{:.*}", p - 1, 0.0) } else { "0".into() };
    }
    let e_form = exp_form(v, p - 1, upper);
    let exp: i32 = e_form.rsplit(['e', 'E']).next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let mut s = if exp < -4 || exp >= p as i32 {
        e_form
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        format!("{v:.decimals$}")
    };
    if !alt {
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(at) => (s[..at].to_string(), s[at..].to_string()),
            None => (s.clone(), String::new()),
        };
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            mantissa
        };
        s = format!("{mantissa}{exponent}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N(f64);
    impl Arg for N {
        fn num(&self) -> f64 {
            self.0
        }
        fn text(&self) -> String {
            self.0.to_string()
        }
        fn is_num(&self) -> bool {
            true
        }
    }

    fn f(fmt: &str, n: f64) -> String {
        sprintf(fmt, &[&N(n)])
    }

    #[test]
    fn conversions() {
        assert_eq!(f("%5.2f|", 1.23456), " 1.23|");
        assert_eq!(f("%d", -7.9), "-7");
        assert_eq!(f("%05d", 42.0), "00042");
        assert_eq!(f("%x", 255.0), "ff");
        assert_eq!(f("%e", 1234.5), "1.234500e+03");
        assert_eq!(f("%g", 0.0001), "0.0001");
        assert_eq!(f("%g", 1e6), "1e+06");
        assert_eq!(f("%g", 123456.0), "123456");
        assert_eq!(f("%.6g", 0.1 + 0.2), "0.3");
        assert_eq!(f("%c", 65.0), "A");
        assert_eq!(f("%-4d|", 5.0), "5   |");
        assert_eq!(f("%+.1e", 0.000123), "+1.2e-04");
    }
}
