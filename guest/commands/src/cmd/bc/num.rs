//! bc's numbers: arbitrary-precision decimals, each with its own scale
//! (digits after the point), and the arithmetic of POSIX bc, which
//! truncates (never rounds) to the scales it prescribes.

use std::cmp::Ordering;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};

/// The most digits a result may have: bounds what a script can make the
/// interpreter compute (`9^999999999`).
pub const MAX_DIGITS: u64 = 1_000_000;

/// `sign * magnitude / 10^scale`.
#[derive(Clone, Debug, Default)]
pub struct Num {
    negative: bool,
    magnitude: BigUint,
    scale: usize,
}

/// An arithmetic error, in GNU bc's words.
pub type Fault = &'static str;

/// `10^n`.
pub fn pow10(n: usize) -> BigUint {
    BigUint::from(10u32).pow(n as u32)
}

impl Num {
    /// An integer.
    pub fn int(value: i64) -> Num {
        Num { negative: value < 0, magnitude: BigUint::from(value.unsigned_abs()), scale: 0 }
    }

    /// `magnitude / 10^scale` with a sign; zero is never negative.
    pub fn new(negative: bool, magnitude: BigUint, scale: usize) -> Num {
        let negative = negative && !magnitude.is_zero();
        Num { negative, magnitude, scale }
    }

    /// The digits after the point this number carries.
    pub fn scale(&self) -> usize {
        self.scale
    }

    /// Whether the value is zero (at any scale).
    pub fn is_zero(&self) -> bool {
        self.magnitude.is_zero()
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The magnitude's digits at `scale` (`10^scale` times the value).
    pub fn magnitude(&self) -> &BigUint {
        &self.magnitude
    }

    /// The same value with `scale` digits after the point, truncated.
    pub fn rescale(&self, scale: usize) -> Num {
        let magnitude = match scale.cmp(&self.scale) {
            Ordering::Equal => self.magnitude.clone(),
            Ordering::Greater => &self.magnitude * pow10(scale - self.scale),
            Ordering::Less => &self.magnitude / pow10(self.scale - scale),
        };
        Num::new(self.negative, magnitude, scale)
    }

    /// At most `scale` digits after the point (truncating, never adding).
    pub fn truncate(&self, scale: usize) -> Num {
        if scale < self.scale { self.rescale(scale) } else { self.clone() }
    }

    /// `-a`, at the same scale.
    pub fn neg(&self) -> Num {
        Num::new(!self.negative, self.magnitude.clone(), self.scale)
    }

    /// `|a|`, at the same scale.
    pub fn abs(&self) -> Num {
        Num::new(false, self.magnitude.clone(), self.scale)
    }

    /// The integer part as an `i64`, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        let whole = (&self.magnitude / pow10(self.scale)).to_i64()?;
        Some(if self.negative { -whole } else { whole })
    }

    /// Digits before the point (0 when the integer part is zero).
    pub fn int_digits(&self) -> usize {
        let whole = &self.magnitude / pow10(self.scale);
        if whole.is_zero() { 0 } else { whole.to_str_radix(10).len() }
    }

    /// bc's `length()`: significant digits.
    pub fn length(&self) -> usize {
        match self.int_digits() {
            0 => self.scale.max(1),
            digits => digits + self.scale,
        }
    }

    /// Compares values, whatever their scales.
    pub fn cmp(&self, other: &Num) -> Ordering {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.rescale(scale), other.rescale(scale));
        match (a.negative, b.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => a.magnitude.cmp(&b.magnitude),
            (true, true) => b.magnitude.cmp(&a.magnitude),
        }
    }

    /// `a + b` at the larger scale.
    pub fn add(&self, other: &Num) -> Num {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.rescale(scale), other.rescale(scale));
        if a.negative == b.negative {
            return Num::new(a.negative, a.magnitude + b.magnitude, scale);
        }
        match a.magnitude.cmp(&b.magnitude) {
            Ordering::Less => Num::new(b.negative, b.magnitude - a.magnitude, scale),
            _ => Num::new(a.negative, a.magnitude - b.magnitude, scale),
        }
    }

    /// `a - b` at the larger scale.
    pub fn sub(&self, other: &Num) -> Num {
        self.add(&other.neg())
    }

    /// The exact product.
    pub fn mul_exact(&self, other: &Num) -> Num {
        Num::new(self.negative != other.negative, &self.magnitude * &other.magnitude, self.scale + other.scale)
    }

    /// `a * b` at `min(sa + sb, max(scale, sa, sb))` digits.
    pub fn mul(&self, other: &Num, scale: usize) -> Num {
        let full = self.scale + other.scale;
        self.mul_exact(other).truncate(full.min(scale.max(self.scale).max(other.scale)))
    }

    /// `a / b` at `scale` digits.
    pub fn div(&self, other: &Num, scale: usize) -> Result<Num, Fault> {
        if other.is_zero() {
            return Err("Divide by zero");
        }
        let numerator = &self.magnitude * pow10(other.scale + scale);
        let denominator = &other.magnitude * pow10(self.scale);
        Ok(Num::new(self.negative != other.negative, numerator / denominator, scale))
    }

    /// `a % b`: `a - (a / b) * b`, the quotient at `scale` digits, the
    /// result at `max(scale + sb, sa)`.
    pub fn rem(&self, other: &Num, scale: usize) -> Result<Num, Fault> {
        if other.is_zero() {
            return Err("Modulo by zero");
        }
        let quotient = self.div(other, scale)?;
        let result = self.sub(&quotient.mul_exact(other));
        Ok(result.truncate((scale + other.scale).max(self.scale)))
    }

    /// `a ^ n` for an integer `n` (the caller truncates a fractional one):
    /// exact, then truncated to `min(sa * n, max(scale, sa))`; a negative
    /// power is `1 / a^-n` at `scale`.
    pub fn pow(&self, n: i64, scale: usize) -> Result<Num, Fault> {
        if n == 0 {
            return Ok(Num::int(1));
        }
        let exponent = n.unsigned_abs();
        let bits = self.magnitude.bits().max(1);
        if bits.saturating_mul(exponent) / 3 > MAX_DIGITS {
            return Err("exponent too large");
        }
        let power = Num::new(
            self.negative && exponent % 2 == 1,
            self.magnitude.pow(exponent as u32),
            self.scale * exponent as usize,
        );
        if n < 0 {
            return Num::int(1).div(&power, scale);
        }
        Ok(power.truncate(self.scale.saturating_mul(exponent as usize).min(scale.max(self.scale))))
    }

    /// `sqrt(a)` at `max(scale, sa)` digits, truncated.
    pub fn sqrt(&self, scale: usize) -> Result<Num, Fault> {
        if self.negative {
            return Err("Square root of a negative number");
        }
        let scale = scale.max(self.scale);
        // sqrt(m / 10^s) * 10^r = sqrt(m * 10^(2r - s)).
        let radicand = &self.magnitude * pow10(2 * scale - self.scale);
        Ok(Num::new(false, radicand.sqrt(), scale))
    }

    /// Parses a constant in base `base` (GNU bc takes every digit at its
    /// value, even one not below the base, and a single digit as itself).
    pub fn parse(text: &str, base: u32) -> Num {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digit = |c: char| c.to_digit(16).unwrap_or(0);
        if base == 10 || (fraction.is_empty() && whole.len() == 1) {
            let mut magnitude = BigUint::zero();
            for c in whole.chars().chain(fraction.chars()) {
                magnitude = magnitude * 10u32 + digit(c);
            }
            if base == 10 {
                return Num::new(false, magnitude, fraction.len());
            }
            return Num::new(false, magnitude, 0);
        }
        let mut int = BigUint::zero();
        for c in whole.chars() {
            int = int * base + digit(c);
        }
        let mut frac = BigUint::zero();
        for c in fraction.chars() {
            frac = frac * base + digit(c);
        }
        let places = fraction.len();
        // The fraction in decimal, truncated to as many digits as it had.
        let frac = frac * pow10(places) / BigUint::from(base).pow(places as u32);
        Num::new(false, int * pow10(places) + frac, places)
    }

    /// The digits of this number in base `base`, as bc prints them (no
    /// line splitting): `-` if negative, the integer part (none if zero),
    /// `.` and the fraction; zero is `0`.
    pub fn format(&self, base: u32) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        let unit = pow10(self.scale);
        let (whole, mut frac) = self.magnitude.div_rem(&unit);
        if base == 10 {
            if !whole.is_zero() {
                out.push_str(&whole.to_str_radix(10));
            }
            if self.scale > 0 {
                let digits = frac.to_str_radix(10);
                out.push('.');
                out.push_str(&"0".repeat(self.scale - digits.len()));
                out.push_str(&digits);
            }
            return out;
        }
        let big = base > 16;
        let width = (base - 1).to_string().len();
        let push_digit = |out: &mut String, d: u32| {
            if big {
                out.push_str(&format!(" {d:0width$}"));
            } else {
                out.push(char::from_digit(d, 16).unwrap_or('?').to_ascii_uppercase());
            }
        };
        if !whole.is_zero() {
            let mut digits = Vec::new();
            let mut rest = whole;
            while !rest.is_zero() {
                let (q, r) = rest.div_rem(&BigUint::from(base));
                digits.push(r.to_u32().unwrap_or(0));
                rest = q;
            }
            for d in digits.into_iter().rev() {
                push_digit(&mut out, d);
            }
        }
        if self.scale > 0 {
            out.push('.');
            // As GNU bc: digits while base^k has at most `scale` digits.
            let mut place = BigUint::one();
            while place.to_str_radix(10).len() <= self.scale {
                frac *= base;
                let (d, r) = frac.div_rem(&unit);
                push_digit(&mut out, d.to_u32().unwrap_or(0));
                frac = r;
                place *= base;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Num;

    #[test]
    fn scales_follow_bc() {
        let (a, b) = (Num::parse("10", 10), Num::parse("3", 10));
        assert_eq!(a.div(&b, 2).map(|q| q.format(10)), Ok("3.33".to_string()));
        assert_eq!(a.rem(&b, 2).map(|r| r.format(10)), Ok(".01".to_string()));
        assert_eq!(Num::parse("1.5", 10).pow(3, 4).map(|p| p.format(10)), Ok("3.375".to_string()));
        assert_eq!(Num::parse("0.001", 10).neg().truncate(2).format(10), "0");
        assert_eq!(Num::parse("0.5", 10).neg().format(10), "-.5");
        assert_eq!(Num::parse("10.25", 10).format(16), "A.40");
        assert_eq!(Num::parse("A.B", 16).format(10), "10.6");
    }
}
