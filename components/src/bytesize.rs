//! [`ByteSize`]: a size argument written as Alloy writes them, `"4MiB"`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A number of bytes, written as a string with a base-2 unit (`"512KiB"`,
/// `"4MiB"`, `"1.5GiB"`) or as a plain number of bytes. As in Alloy (which
/// parses them with `units.ParseBase2Bytes`), `KB`, `MB` and `GB` are
/// base 2 as well: `"1MB"` is 1048576 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub const fn mib(n: u64) -> ByteSize {
        ByteSize(n << 20)
    }

    pub fn parse(s: &str) -> Result<ByteSize, String> {
        let bad = || format!("invalid size {s:?}: expected a number of bytes or a number and a unit, such as \"512KiB\" or \"4MiB\"");
        let s = s.trim();
        let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (number, unit) = (&s[..split], s[split..].trim());
        if number.is_empty() {
            return Err(bad());
        }
        let shift = match unit {
            "" | "B" => 0,
            "KiB" | "KB" | "K" | "k" | "kB" => 10,
            "MiB" | "MB" | "M" => 20,
            "GiB" | "GB" | "G" => 30,
            "TiB" | "TB" | "T" => 40,
            _ => return Err(bad()),
        };
        let bytes = if let Ok(whole) = number.parse::<u64>() {
            whole.checked_mul(1 << shift).ok_or_else(|| format!("invalid size {s:?}: too large"))?
        } else {
            let v: f64 = number.parse().map_err(|_| bad())?;
            let bytes = (v * (1u64 << shift) as f64).round();
            if !bytes.is_finite() || bytes >= u64::MAX as f64 {
                return Err(format!("invalid size {s:?}: too large"));
            }
            bytes as u64
        };
        Ok(ByteSize(bytes))
    }

    /// The size as a `usize`, saturating on 32-bit targets.
    pub fn bytes(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
            if self.0 != 0 && self.0.trailing_zeros() >= shift {
                return write!(f, "{}{unit}", self.0 >> shift);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ByteSize, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as \"4MiB\", or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ByteSize, E> {
                ByteSize::parse(s).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<ByteSize, E> {
                u64::try_from(n).map(ByteSize).map_err(|_| E::custom(format!("invalid size {n}: must not be negative")))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<ByteSize, E> {
                if n.fract() == 0.0 && (0.0..u64::MAX as f64).contains(&n) {
                    Ok(ByteSize(n as u64))
                } else {
                    Err(E::custom(format!("invalid size {n}: must be a whole number of bytes")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSize;

    #[test]
    fn parses_alloy_sizes() {
        let ok = [
            ("4MiB", 4 << 20),
            ("20MiB", 20 << 20),
            ("512KiB", 512 << 10),
            ("1MB", 1 << 20),
            ("1.5KiB", 1536),
            ("100", 100),
            ("0", 0),
            ("7B", 7),
            ("2GiB", 2 << 30),
        ];
        for (s, want) in ok {
            assert_eq!(ByteSize::parse(s), Ok(ByteSize(want)), "{s}");
        }
        for bad in ["", "MiB", "4 parsecs", "-1MiB", "99999999999999TiB", "1.2.3KiB"] {
            assert!(ByteSize::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ByteSize::mib(4).to_string(), "4MiB");
        assert_eq!(ByteSize(1536).to_string(), "1536B");
        assert_eq!(ByteSize(0).to_string(), "0B");
    }
}
