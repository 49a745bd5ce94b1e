//! Argument types with Alloy's own syntax: durations like `"200ms"`,
//! secrets, and capsules (handles to other components).

use std::cell::RefCell;
use std::fmt;
use std::time::Duration as StdDuration;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use solder_syntax::value::{Capsule, Secret as SecretValue};

/// A duration written as Go writes them: `"200ms"`, `"1m30s"`, `"1.5h"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub StdDuration);

impl Duration {
    /// Parses Go's `time.ParseDuration` syntax: a sequence of decimal
    /// numbers, each with a unit (ns, us, µs, ms, s, m, h). `"0"` is zero.
    /// Negative durations are rejected: no argument means one.
    pub fn parse(s: &str) -> Result<Duration, String> {
        let bad = || format!("invalid duration {s:?}: expected a number and a unit, such as \"200ms\", \"5s\" or \"1m30s\"");
        if s == "0" {
            return Ok(Duration(StdDuration::ZERO));
        }
        if s.is_empty() || s.starts_with('-') {
            return Err(bad());
        }
        let s_trim = s.strip_prefix('+').unwrap_or(s);
        let mut total = 0f64;
        let mut rest = s_trim;
        while !rest.is_empty() {
            let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
            if num_len == 0 {
                return Err(bad());
            }
            let number: f64 = rest[..num_len].parse().map_err(|_| bad())?;
            rest = &rest[num_len..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
            let nanos_per = match &rest[..unit_len] {
                "ns" => 1.0,
                "us" | "µs" | "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => return Err(bad()),
            };
            total += number * nanos_per;
            rest = &rest[unit_len..];
        }
        if !total.is_finite() || total > u64::MAX as f64 {
            return Err(format!("invalid duration {s:?}: too large"));
        }
        Ok(Duration(StdDuration::from_nanos(total.round() as u64)))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if !self.0.subsec_nanos().is_multiple_of(1_000_000) {
            write!(f, "{}ns", self.0.as_nanos())
        } else if !ms.is_multiple_of(1000) {
            write!(f, "{ms}ms")
        } else {
            write!(f, "{}s", ms / 1000)
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"200ms\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
                Duration::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A string argument that may hold a secret. It never prints its contents.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub SecretValue);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or secret")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Secret, E> {
                Ok(Secret(SecretValue::new(s)))
            }
        }
        d.deserialize_newtype_struct(crate::decode::SECRET, V)
    }
}

thread_local! {
    /// Capsules cannot cross serde (they are `Arc<dyn Any>`), so the value
    /// deserializer leaves the capsule here and `Handle` picks it up at once,
    /// on the same thread, in the same call.
    static STASH: RefCell<Option<Capsule>> = const { RefCell::new(None) };
}

pub(crate) fn stash_capsule(c: Capsule) {
    STASH.with(|s| *s.borrow_mut() = Some(c));
}

/// A capsule argument: a handle exported by another component, such as a
/// traces consumer. `T` is the type the capsule must hold.
#[derive(Clone)]
pub struct Handle<T> {
    pub capsule: Capsule,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: 'static + Send + Sync> Handle<T> {
    pub fn get(&self) -> Option<&T> {
        self.capsule.downcast::<T>()
    }
}

/// Two handles are equal when they hold the same capsule, as capsule
/// values are: arguments naming the same component compare equal.
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Handle<T>) -> bool {
        solder_syntax::Value::Capsule(self.capsule.clone()) == solder_syntax::Value::Capsule(other.capsule.clone())
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capsule({:?})", self.capsule.type_name())
    }
}

impl<'de, T: 'static + Send + Sync> Deserialize<'de> for Handle<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Handle<T>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a capsule")
            }
            fn visit_unit<E: de::Error>(self) -> Result<(), E> {
                Ok(())
            }
        }
        d.deserialize_newtype_struct(crate::decode::CAPSULE, V)?;
        let capsule = STASH.with(|s| s.borrow_mut().take()).ok_or_else(|| de::Error::custom("should be capsule"))?;
        if capsule.downcast::<T>().is_none() && !crate::decode::schema::tracing() {
            return Err(de::Error::custom(format!("capsule {:?} is not the kind this argument takes", capsule.type_name())));
        }
        Ok(Handle { capsule, _t: std::marker::PhantomData })
    }
}
