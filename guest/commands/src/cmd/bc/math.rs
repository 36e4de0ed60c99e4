//! bc's math library (`-l`): `s(x)`, `c(x)`, `a(x)`, `l(x)`, `e(x)` and
//! `j(n,x)`. Each is computed with guard digits and truncated to `scale`
//! digits, which is what GNU bc's library (written in bc) prints.

use num_bigint::BigUint;

use super::num::{Fault, Num, pow10};

/// The library's functions.
pub const NAMES: [&str; 6] = ["a", "c", "e", "j", "l", "s"];

/// Extra digits carried through a computation.
const GUARD: usize = 12;

/// Calls library function `name` with `args` at `scale`.
pub fn call(name: &str, args: &[Num], scale: usize) -> Result<Num, Fault> {
    let want = if name == "j" { 2 } else { 1 };
    if args.len() != want {
        return Err("Parameter number mismatch");
    }
    let x = &args[want - 1];
    // e and j grow like e^x, s and c need pi to as many digits as x has:
    // bound what one call can make the interpreter compute.
    let limit = if matches!(name, "e" | "j") { 6 } else { 1000 };
    if x.int_digits() > limit {
        return Err("argument too large");
    }
    let value = match name {
        "e" => exp(x, scale),
        "l" => {
            if x.is_negative() || x.is_zero() {
                // GNU's library answers -(10^scale - 1) for these.
                let huge = pow10(scale) - 1u32;
                return Ok(Num::new(true, huge * pow10(scale), scale));
            }
            ln(x, scale)
        }
        "s" => sin_cos(x, scale, false),
        "c" => sin_cos(x, scale, true),
        "a" => atan(x, scale),
        _ => bessel(&args[0], x, scale)?,
    };
    Ok(value.rescale(scale))
}

/// Digits needed before the point for numbers up to `x`'s size.
fn digits_of(x: &Num) -> usize {
    x.int_digits()
}

/// Sums a series from `first`, each term from the last and its index,
/// until a term is zero.
fn series(first: Num, next: impl Fn(&Num, usize) -> Result<Num, Fault>) -> Num {
    let mut sum = first.clone();
    let mut term = first;
    for i in 1.. {
        term = match next(&term, i) {
            Ok(t) => t,
            Err(_) => break,
        };
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term);
    }
    sum
}

fn exp(x: &Num, scale: usize) -> Num {
    if x.is_negative() {
        let ws = scale + GUARD;
        let positive = exp_positive(&x.abs(), ws + digits_of(x) * 2);
        return Num::int(1).div(&positive, ws).unwrap_or_default();
    }
    exp_positive(x, scale)
}

/// e^x for x >= 0: halve x below 1/2, sum the series, square back.
fn exp_positive(x: &Num, scale: usize) -> Num {
    // The result has about x * log10(e) digits before the point.
    let size = x.to_i64().unwrap_or(i64::MAX / 4) as usize;
    let mut halvings = 0usize;
    let mut reduced = x.clone();
    let half = Num::parse("0.5", 10);
    let ws = scale + GUARD + size / 2 + 2 * (size.max(1).ilog2() as usize + 2);
    while reduced.cmp(&half).is_gt() {
        reduced = reduced.div(&Num::int(2), ws).unwrap_or_default();
        halvings += 1;
    }
    let mut result = series(Num::int(1), |term, i| term.mul(&reduced, ws).div(&Num::int(i as i64), ws));
    for _ in 0..halvings {
        result = result.mul(&result, ws);
    }
    result
}

fn ln(x: &Num, scale: usize) -> Num {
    let ws = scale + GUARD + 2 * (x.int_digits() + x.scale()).max(1).ilog2() as usize;
    let (two, half) = (Num::int(2), Num::parse("0.5", 10));
    let mut reduced = x.rescale(ws.max(x.scale()));
    let mut roots = 0u32;
    while reduced.cmp(&two).is_ge() || reduced.cmp(&half).is_le() {
        reduced = reduced.sqrt(ws).unwrap_or_default();
        roots += 1;
    }
    // ln(r) = 2 atanh((r - 1) / (r + 1)).
    let one = Num::int(1);
    let z = reduced.sub(&one).div(&reduced.add(&one), ws).unwrap_or_default();
    let z2 = z.mul(&z, ws);
    let mut sum = z.clone();
    let mut power = z;
    for k in 1.. {
        power = power.mul(&z2, ws);
        let term = power.div(&Num::int(2 * k + 1), ws).unwrap_or_default();
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term);
    }
    let factor = Num::new(false, BigUint::from(2u32).pow(roots + 1), 0);
    sum.mul(&factor, ws)
}

/// pi at `ws` digits (Machin: 16 atan(1/5) - 4 atan(1/239)).
fn pi(ws: usize) -> Num {
    let ws = ws + 4;
    let arctan_inverse = |n: i64| {
        let x = Num::int(1).div(&Num::int(n), ws).unwrap_or_default();
        atan_series(&x, ws)
    };
    arctan_inverse(5).mul(&Num::int(16), ws).sub(&arctan_inverse(239).mul(&Num::int(4), ws))
}

/// x - x^3/3 + x^5/5 - … for small x.
fn atan_series(x: &Num, ws: usize) -> Num {
    let x2 = x.mul(x, ws);
    let mut sum = x.clone();
    let mut power = x.clone();
    for k in 1.. {
        power = power.mul(&x2, ws).neg();
        let term = power.div(&Num::int(2 * k + 1), ws).unwrap_or_default();
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term);
    }
    sum
}

fn atan(x: &Num, scale: usize) -> Num {
    let ws = scale + GUARD;
    if x.is_negative() {
        return atan(&x.abs(), scale).neg();
    }
    let one = Num::int(1);
    if x.cmp(&one).is_gt() {
        // a(x) = pi/2 - a(1/x).
        let inverse = one.div(x, ws + digits_of(x)).unwrap_or_default();
        let half_pi = pi(ws).div(&Num::int(2), ws).unwrap_or_default();
        return half_pi.sub(&atan(&inverse, ws));
    }
    // a(x) = 2 a(x / (1 + sqrt(1 + x^2))) until x is small.
    let mut reduced = x.rescale(ws.max(x.scale()));
    let mut doublings = 0u32;
    let small = Num::parse("0.2", 10);
    while reduced.cmp(&small).is_gt() {
        let root = one.add(&reduced.mul(&reduced, ws)).sqrt(ws).unwrap_or_default();
        reduced = reduced.div(&one.add(&root), ws).unwrap_or_default();
        doublings += 1;
    }
    let factor = Num::new(false, BigUint::from(2u32).pow(doublings), 0);
    atan_series(&reduced, ws).mul(&factor, ws)
}

fn sin_cos(x: &Num, scale: usize, cosine: bool) -> Num {
    let ws = scale + GUARD;
    // Reduce x into [-pi, pi] with pi to as many more digits as x has.
    let pi = pi(ws + digits_of(x));
    let two_pi = pi.add(&pi);
    let turns = x.add(&pi).div(&two_pi, 0).unwrap_or_default();
    let mut reduced = x.sub(&turns.mul_exact(&two_pi)).truncate(ws);
    if reduced.cmp(&pi.neg()).is_lt() {
        reduced = reduced.add(&two_pi);
    }
    let x2 = reduced.mul(&reduced, ws);
    let first = if cosine { Num::int(1) } else { reduced.truncate(ws) };
    let offset = i64::from(cosine);
    series(first, |term, i| {
        let i = i as i64;
        term.mul(&x2, ws).neg().div(&Num::int((2 * i - offset) * (2 * i + 1 - offset)), ws)
    })
}

/// The Bessel function of the first kind of integer order n (truncated).
fn bessel(n: &Num, x: &Num, scale: usize) -> Result<Num, Fault> {
    let order = n.to_i64().ok_or("Bessel order too large")?;
    let k = order.unsigned_abs();
    if k > 100_000 {
        return Err("Bessel order too large");
    }
    // The terms grow to about e^x before they cancel.
    let ws = scale + GUARD + x.int_digits() + x.abs().to_i64().unwrap_or(0) as usize / 2;
    let half = x.div(&Num::int(2), ws + 1).map_err(|_| "Divide by zero")?;
    let mut first = Num::int(1);
    for i in 1..=k {
        first = first.mul(&half, ws).div(&Num::int(i as i64), ws)?;
    }
    let h2 = half.mul(&half, ws);
    let k = k as i64;
    let sum = series(first, |term, i| {
        let i = i as i64;
        term.mul(&h2, ws).neg().div(&Num::int(i * (i + k)), ws)
    });
    Ok(if order < 0 && k % 2 == 1 { sum.neg() } else { sum })
}
