//! Numbers as Go's `fmt` prints them: `1e+06` rather than `1e6`, `%g`
//! switching to exponent form past six digits, zero padding after the sign.
//! Rust's formatter rounds correctly, as Go's does, so we take its digits
//! and only lay them out Go's way.

use super::format::{quote, Spec};
use crate::value::Number;

/// The number as an integer when it is one: integer verbs accept a float
/// such as `6.0 / 2`, since Alloy configs rarely control a number's kind.
pub(super) fn whole(n: Number) -> Option<i128> {
    match n {
        Number::Int(i) => Some(i128::from(i)),
        Number::Uint(u) => Some(i128::from(u)),
        Number::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 => Some(f as i128),
        Number::Float(_) => None,
    }
}

/// `%d %b %o %x %X %c %q` on an integer.
pub(super) fn integer(spec: &Spec, verb: char, v: i128) -> String {
    let spaces = Spec { zero: false, ..*spec };
    let as_char = || u32::try_from(v).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
    match verb {
        'c' => return spec.pad(as_char().encode_utf8(&mut [0; 4])),
        'q' => return spec.pad(&quote(as_char().encode_utf8(&mut [0; 4]), '\'')),
        _ => {}
    }
    let magnitude = v.unsigned_abs();
    if spec.precision == Some(0) && magnitude == 0 {
        // Go prints nothing but the padding for `%.0d` of zero.
        return spaces.pad("");
    }
    let mut digits = match verb {
        'b' => format!("{magnitude:b}"),
        'o' => format!("{magnitude:o}"),
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        _ => magnitude.to_string(),
    };
    let sign = if v < 0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let min_digits = match (spec.precision, spec.width) {
        (Some(p), _) => p,
        (None, Some(w)) if spec.zero => w.saturating_sub(sign.len()),
        _ => 0,
    };
    if digits.len() < min_digits {
        digits.insert_str(0, &"0".repeat(min_digits - digits.len()));
    }
    let prefix = match verb {
        _ if !spec.sharp => "",
        'b' => "0b",
        'o' if !digits.starts_with('0') => "0",
        'x' => "0x",
        'X' => "0X",
        _ => "",
    };
    spaces.pad(&format!("{sign}{prefix}{digits}"))
}

/// `%e %E %f %F %g %G` (and `%v`, as `%g`) on any number.
pub(super) fn float(spec: &Spec, verb: char, f: f64) -> String {
    let body = if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        "Inf".to_string()
    } else {
        let a = f.abs();
        let body = match verb {
            'e' | 'E' => exponent_form(a, spec.precision.unwrap_or(6)),
            'f' | 'F' => format!("{a:.*}", spec.precision.unwrap_or(6)),
            _ => general_form(a, spec.precision),
        };
        if verb.is_ascii_uppercase() {
            body.replace('e', "E")
        } else {
            body
        }
    };
    let sign = if f.is_sign_negative() && !f.is_nan() {
        "-"
    } else if spec.plus || f.is_infinite() && !spec.space {
        // Go always signs infinity: `+Inf`.
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    if spec.zero && f.is_finite() {
        let fill = spec.width.unwrap_or(0).saturating_sub(sign.len() + body.len());
        return format!("{sign}{}{body}", "0".repeat(fill));
    }
    Spec { zero: false, ..*spec }.pad(&format!("{sign}{body}"))
}

/// The decimal digits of a finite `a >= 0`, trailing zeros dropped, and the
/// decimal point's place: `a = 0.d1d2d3… × 10^point`. With `significant`,
/// rounded to that many digits; without, the shortest that round-trips.
fn digits(a: f64, significant: Option<usize>) -> (Vec<u8>, i32) {
    let s = match significant {
        None => format!("{a:e}"),
        Some(n) => format!("{a:.*e}", n.saturating_sub(1)),
    };
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mut d: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while d.len() > 1 && d.last() == Some(&b'0') {
        d.pop();
    }
    (d, exp.parse::<i32>().unwrap_or(0) + 1)
}

/// `d.ddde±XX` with `frac` digits after the point and at least two in the
/// exponent, as Go writes it.
fn lay_out_exponent(d: &[u8], frac: usize, exp: i32) -> String {
    let digit = |i: usize| char::from(d.get(i).copied().unwrap_or(b'0'));
    let mut s = String::new();
    s.push(digit(0));
    if frac > 0 {
        s.push('.');
        s.extend((1..=frac).map(digit));
    }
    s.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs()));
    s
}

/// `ddd.ddd` with `frac` digits after the point.
fn lay_out_fixed(d: &[u8], point: i32, frac: usize) -> String {
    let digit = |i: i64| char::from(usize::try_from(i).ok().and_then(|i| d.get(i).copied()).unwrap_or(b'0'));
    let mut s: String = if point > 0 { (0..i64::from(point)).map(digit).collect() } else { "0".to_string() };
    if frac > 0 {
        s.push('.');
        s.extend((0..frac as i64).map(|i| digit(i64::from(point) + i)));
    }
    s
}

fn exponent_form(a: f64, precision: usize) -> String {
    let (d, point) = digits(a, Some(precision + 1));
    lay_out_exponent(&d, precision, point - 1)
}

/// Go's `%g`: exponent form when the exponent is below -4 or at least the
/// precision (6 when printing the shortest form), else fixed; no trailing
/// zeros either way.
fn general_form(a: f64, precision: Option<usize>) -> String {
    let (d, point) = digits(a, precision.map(|p| p.max(1)));
    let nd = d.len() as i32;
    let mut p = precision.map_or(nd, |p| p.max(1).min(i32::MAX as usize) as i32);
    let eprec = match precision {
        None => 6,
        Some(_) if p > nd && nd >= point => nd,
        Some(_) => p,
    };
    let exp = point - 1;
    if exp < -4 || exp >= eprec {
        p = p.min(nd);
        return lay_out_exponent(&d, (p - 1).max(0) as usize, exp);
    }
    if p > point {
        p = nd;
    }
    lay_out_fixed(&d, point, (p - point).max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(width: Option<usize>, precision: Option<usize>) -> Spec {
        Spec { width, precision, ..Spec::default() }
    }

    #[test]
    fn general_form_follows_go() {
        let g = |f: f64| float(&Spec::default(), 'g', f);
        assert_eq!(g(3.0), "3");
        assert_eq!(g(2.75), "2.75");
        assert_eq!(g(100000.0), "100000");
        assert_eq!(g(1e6), "1e+06");
        assert_eq!(g(123456789.0), "1.23456789e+08");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(-2.5), "-2.5");
        assert_eq!(g(1e100), "1e+100");
        assert_eq!(float(&spec(None, Some(3)), 'g', 1.23456), "1.23");
        assert_eq!(float(&spec(None, Some(3)), 'g', 1.0), "1");
        assert_eq!(float(&spec(None, Some(2)), 'g', 1234.0), "1.2e+03");
        assert_eq!(float(&spec(None, Some(0)), 'g', 0.5), "0.5");
        assert_eq!(float(&spec(None, Some(3)), 'G', 1e-7), "1E-07");
    }

    #[test]
    fn exponent_and_fixed_forms() {
        assert_eq!(float(&Spec::default(), 'e', 1234.5678), "1.234568e+03");
        assert_eq!(float(&spec(None, Some(2)), 'E', 0.000123), "1.23E-04");
        assert_eq!(float(&spec(None, Some(0)), 'e', 5.0), "5e+00");
        assert_eq!(float(&Spec::default(), 'e', 0.0), "0.000000e+00");
        assert_eq!(float(&Spec::default(), 'f', 2.5), "2.500000");
        assert_eq!(float(&spec(None, Some(0)), 'f', 2.5), "2");
        assert_eq!(float(&spec(None, Some(1)), 'F', 0.05), "0.1");
    }

    #[test]
    fn signs_and_padding() {
        let zero = Spec { zero: true, ..spec(Some(8), Some(3)) };
        assert_eq!(float(&zero, 'f', -1.23456), "-001.235");
        assert_eq!(float(&Spec { plus: true, ..spec(None, Some(1)) }, 'e', 12345.678), "+1.2e+04");
        assert_eq!(float(&Spec { space: true, ..Spec::default() }, 'g', 1.5), " 1.5");
        assert_eq!(float(&Spec { minus: true, ..spec(Some(6), Some(1)) }, 'f', 1.0), "1.0   ");
        assert_eq!(float(&Spec { zero: true, ..spec(Some(6), None) }, 'g', f64::INFINITY), "  +Inf");
        assert_eq!(float(&Spec::default(), 'g', f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(&Spec::default(), 'f', f64::NAN), "NaN");
    }

    #[test]
    fn integers_follow_go() {
        assert_eq!(integer(&Spec::default(), 'd', -42), "-42");
        assert_eq!(integer(&Spec { plus: true, ..Spec::default() }, 'd', 5), "+5");
        assert_eq!(integer(&Spec { zero: true, ..spec(Some(5), None) }, 'd', -42), "-0042");
        assert_eq!(integer(&spec(Some(6), Some(3)), 'd', 7), "   007");
        assert_eq!(integer(&spec(Some(3), Some(0)), 'd', 0), "   ");
        assert_eq!(integer(&Spec::default(), 'x', 255), "ff");
        assert_eq!(integer(&Spec { sharp: true, ..Spec::default() }, 'X', 255), "0XFF");
        assert_eq!(integer(&Spec { sharp: true, zero: true, ..spec(Some(8), None) }, 'x', 255), "0x000000ff");
        assert_eq!(integer(&Spec { sharp: true, ..Spec::default() }, 'o', 8), "010");
        assert_eq!(integer(&Spec { sharp: true, ..Spec::default() }, 'b', 5), "0b101");
        assert_eq!(integer(&Spec::default(), 'x', -255), "-ff");
        assert_eq!(integer(&Spec::default(), 'c', 0x4e16), "世");
        assert_eq!(integer(&Spec::default(), 'c', -1), "\u{fffd}");
        assert_eq!(integer(&Spec::default(), 'q', 39), r"'\''");
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole(Number::Float(3.0)), Some(3));
        assert_eq!(whole(Number::Float(3.5)), None);
        assert_eq!(whole(Number::Float(f64::INFINITY)), None);
        assert_eq!(whole(Number::Uint(u64::MAX)), Some(i128::from(u64::MAX)));
    }
}
