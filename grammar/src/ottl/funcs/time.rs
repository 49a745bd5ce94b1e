//! Time converters: `Now`, `Time`, `Unix`, `UnixNano`/`Micro`/`Milli`/
//! `Seconds`, the calendar parts (`Year` ... `Weekday`, in UTC), `Duration`
//! and the duration readers (`Nanoseconds` ... `Hours`).
//!
//! A time is nanoseconds since the epoch, UTC; the Collector's `time.Time`
//! also carries a location, which only matters for the calendar parts of a
//! time parsed with an offset (here they are always the UTC ones).

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_str, want_int, want_str, Made};
use super::strptime::Format;
use super::zone::Zone;

/// The one-argument readers name their argument `value`, as the
/// Collector's reference does.
const TIME: &[Param] = &[Param::required("value", Value)];
const DURATION: &[Param] = &[Param::required("value", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "Now", params: &[], make: now },
    FunctionDef {
        name: "Time",
        params: &[Param::required("target", Value), Param::required("format", Str), Param::optional("location", Str), Param::optional("locale", Str)],
        make: time,
    },
    FunctionDef { name: "Unix", params: &[Param::required("seconds", Value), Param::optional("nanoseconds", Value)], make: unix },
    FunctionDef { name: "UnixNano", params: TIME, make: |_| from_time(|ns| ns) },
    FunctionDef { name: "UnixMicro", params: TIME, make: |_| from_time(|ns| ns.div_euclid(1_000)) },
    FunctionDef { name: "UnixMilli", params: TIME, make: |_| from_time(|ns| ns.div_euclid(1_000_000)) },
    FunctionDef { name: "UnixSeconds", params: TIME, make: |_| from_time(|ns| ns.div_euclid(1_000_000_000)) },
    FunctionDef { name: "Year", params: TIME, make: |_| from_time(|ns| civil(ns).0) },
    FunctionDef { name: "Month", params: TIME, make: |_| from_time(|ns| civil(ns).1) },
    FunctionDef { name: "Day", params: TIME, make: |_| from_time(|ns| civil(ns).2) },
    FunctionDef { name: "Hour", params: TIME, make: |_| from_time(|ns| second_of_day(ns) / 3600) },
    FunctionDef { name: "Minute", params: TIME, make: |_| from_time(|ns| second_of_day(ns) / 60 % 60) },
    FunctionDef { name: "Second", params: TIME, make: |_| from_time(|ns| second_of_day(ns) % 60) },
    FunctionDef { name: "Nanosecond", params: TIME, make: |_| from_time(|ns| ns.rem_euclid(1_000_000_000)) },
    // 1970-01-01 was a Thursday (4); Sunday is 0.
    FunctionDef { name: "Weekday", params: TIME, make: |_| from_time(|ns| (ns.div_euclid(86_400_000_000_000) + 4).rem_euclid(7)) },
    FunctionDef { name: "FormatTime", params: &[Param::required("time", Value), Param::required("format", Str)], make: format_time },
    FunctionDef { name: "TruncateTime", params: &[Param::required("time", Value), Param::required("duration", Value)], make: truncate_time },
    FunctionDef { name: "Duration", params: &[Param::required("duration", Value)], make: duration },
    FunctionDef { name: "Nanoseconds", params: DURATION, make: |_| int_from_duration(|ns| ns) },
    FunctionDef { name: "Microseconds", params: DURATION, make: |_| int_from_duration(|ns| ns / 1_000) },
    FunctionDef { name: "Milliseconds", params: DURATION, make: |_| int_from_duration(|ns| ns / 1_000_000) },
    FunctionDef { name: "Seconds", params: DURATION, make: |_| float_from_duration(1e9) },
    FunctionDef { name: "Minutes", params: DURATION, make: |_| float_from_duration(60e9) },
    FunctionDef { name: "Hours", params: DURATION, make: |_| float_from_duration(3600e9) },
];

fn now(_: &CompileArgs<'_>) -> Made {
    func(|_| {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?;
        Ok(Value::Time(since.as_nanos() as i64))
    })
}

/// Parses with a strptime-style format compiled at load, in `location`
/// (an IANA name read from the system's zoneinfo at load, `Local`, or UTC
/// by default). Only English month and day names are known, so another
/// locale is refused at load.
fn time(c: &CompileArgs<'_>) -> Made {
    let format = Format::compile(lit_str(c, 1).unwrap_or("")).map_err(|e| (1, e))?;
    let zone = match lit_str(c, 2) {
        None | Some("" | "UTC" | "Etc/UTC") => None,
        Some(name) => Some(Zone::load(name).map_err(|e| (2, e))?),
    };
    match lit_str(c, 3) {
        None | Some("") => {}
        Some(l) if l == "en" || l.starts_with("en-") || l.starts_with("en_") => {}
        Some(other) => return Err((3, format!("unsupported locale {other:?}: only English is known"))),
    }
    func(move |args| {
        let target = want_str(args.get(0)?)?;
        if target.is_empty() {
            return Err("time cannot be empty".into());
        }
        format.parse(&target, zone.as_ref()).map(Value::Time)
    })
}

/// Writes a time with a `Time`-style format, in UTC.
fn format_time(c: &CompileArgs<'_>) -> Made {
    let format = Format::compile(lit_str(c, 1).unwrap_or("")).map_err(|e| (1, e))?;
    func(move |args| match args.get(0)? {
        Value::Time(ns) => Ok(Value::Str(format.format(ns))),
        other => Err(format!("expected time but got {}", other.type_name())),
    })
}

/// Go's `Time.Truncate`: rounds down to a multiple of the duration since
/// January 1 of year 1, which for durations dividing a day is the same as
/// since the epoch.
fn truncate_time(_: &CompileArgs<'_>) -> Made {
    // Nanoseconds from 0001-01-01 to 1970-01-01.
    const ZERO_TO_EPOCH: i128 = 62_135_596_800 * 1_000_000_000;
    func(|args| {
        let Value::Time(ns) = args.get(0)? else { return Err("time must be a time".into()) };
        let d = want_duration(args.get(1)?)?;
        if d <= 0 {
            return Ok(Value::Time(ns));
        }
        let since_zero = ns as i128 + ZERO_TO_EPOCH;
        let cut = since_zero - since_zero.rem_euclid(d as i128) - ZERO_TO_EPOCH;
        i64::try_from(cut).map(Value::Time).map_err(|_| "time out of range".to_owned())
    })
}

fn unix(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let secs = want_int(args.get(0)?)?;
        let nanos = if args.present(1) { want_int(args.get(1)?)? } else { 0 };
        secs.checked_mul(1_000_000_000).and_then(|n| n.checked_add(nanos)).map(Value::Time).ok_or_else(|| "time out of range".to_owned())
    })
}

fn from_time(f: fn(i64) -> i64) -> Made {
    func(move |args| match args.get(0)? {
        Value::Time(ns) => Ok(Value::Int(f(ns))),
        other => Err(format!("expected time but got {}", other.type_name())),
    })
}

fn want_duration(v: Value) -> Result<i64, String> {
    match v {
        Value::Duration(ns) => Ok(ns),
        other => Err(format!("expected duration but got {}", other.type_name())),
    }
}

fn int_from_duration(f: fn(i64) -> i64) -> Made {
    func(move |args| Ok(Value::Int(f(want_duration(args.get(0)?)?))))
}

/// Go's `Duration.Seconds()` and kin: whole units plus the remainder, so
/// large durations keep their precision.
fn float_from_duration(unit: f64) -> Made {
    func(move |args| {
        let ns = want_duration(args.get(0)?)?;
        let u = unit as i64;
        Ok(Value::Double((ns / u) as f64 + (ns % u) as f64 / unit))
    })
}

fn duration(_: &CompileArgs<'_>) -> Made {
    func(|args| parse_duration(&want_str(args.get(0)?)?).map(Value::Duration))
}

/// Go's `time.ParseDuration`: a signed sequence of decimal numbers, each
/// with a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), such as `1h15m30.5s`.
pub(super) fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    let (neg, mut s) = match orig.as_bytes().first() {
        Some(b'-') => (true, &orig[1..]),
        Some(b'+') => (false, &orig[1..]),
        _ => (false, orig),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: i64 = 0;
    while !s.is_empty() {
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let whole: i64 = if int_len > 0 { s[..int_len].parse().map_err(|_| invalid())? } else { 0 };
        s = &s[int_len..];
        let mut frac = "";
        if let Some(rest) = s.strip_prefix('.') {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac = &rest[..n];
            s = &rest[n..];
            if int_len == 0 && n == 0 {
                return Err(invalid());
            }
        } else if int_len == 0 {
            return Err(invalid());
        }
        let unit_len = s.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        let unit: i64 = match &s[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            u => return Err(format!("time: unknown unit {u:?} in duration {orig:?}")),
        };
        s = &s[unit_len..];
        let mut v = whole.checked_mul(unit).ok_or_else(invalid)?;
        if !frac.is_empty() {
            let digits = &frac[..frac.len().min(18)];
            let f: f64 = digits.parse().map_err(|_| invalid())?;
            v = v.checked_add((f * (unit as f64 / 10f64.powi(digits.len() as i32))) as i64).ok_or_else(invalid)?;
        }
        total = total.checked_add(v).ok_or_else(invalid)?;
    }
    Ok(if neg { -total } else { total })
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) in UTC of a time.
pub(super) fn civil(ns: i64) -> (i64, i64, i64) {
    let z = ns.div_euclid(86_400_000_000_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn second_of_day(ns: i64) -> i64 {
    ns.div_euclid(1_000_000_000).rem_euclid(86_400)
}

/// RFC 3339 with trailing zeros of the fraction dropped, as Go's
/// `RFC3339Nano` prints a UTC time.
pub(super) fn rfc3339_nano(ns: i64) -> String {
    let (y, m, d) = civil(ns);
    let sod = second_of_day(ns);
    let nanos = ns.rem_euclid(1_000_000_000);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60);
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}
