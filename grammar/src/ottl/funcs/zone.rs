//! Time zones for `Time(..., location)`, read from the system's IANA
//! database (`/usr/share/zoneinfo`, or `$ZONEINFO`) at load, as Go's
//! `time.LoadLocation` does on Unix. A TZif file gives the offsets in force
//! between transitions; its footer rule (`EST5EDT,M3.2.0,M11.1.0`) gives
//! them after the last transition, which slim files need for today's dates.

use std::path::PathBuf;

/// One location's offsets.
#[derive(Debug, Clone)]
pub(super) struct Zone {
    /// (UTC second a type starts, index into `types`), ascending.
    transitions: Vec<(i64, usize)>,
    /// (seconds east of UTC, abbreviation).
    types: Vec<(i64, String)>,
    /// The rule after the last transition.
    rule: Option<Rule>,
}

/// A POSIX TZ rule with daylight saving (`M` dates only).
#[derive(Debug, Clone)]
struct Rule {
    std: (i64, String),
    dst: (i64, String),
    start: RuleDate,
    end: RuleDate,
}

/// `Mm.w.d/time`: month, week 1-5 (5 is the last), weekday 0-6 (Sunday
/// first), and the local second of the day the change happens.
type RuleDate = (i64, i64, i64, i64);

impl Zone {
    /// Loads `name` (`America/New_York`, or `Local` for `/etc/localtime`).
    pub(super) fn load(name: &str) -> Result<Zone, String> {
        let unknown = || format!("unknown time zone {name}");
        if name.contains("..") || name.starts_with('/') {
            return Err(unknown());
        }
        let path = if name == "Local" {
            PathBuf::from("/etc/localtime")
        } else {
            let dir = std::env::var_os("ZONEINFO").map_or_else(|| PathBuf::from("/usr/share/zoneinfo"), PathBuf::from);
            dir.join(name)
        };
        let bytes = std::fs::read(&path).map_err(|_| unknown())?;
        parse_tzif(&bytes).ok_or_else(unknown)
    }

    /// The offset in force at a UTC second.
    pub(super) fn offset_at(&self, t: i64) -> i64 {
        let last = self.transitions.last();
        if let (Some(rule), Some(&(at, _))) = (&self.rule, last) {
            if t >= at {
                return rule.offset_at(t);
            }
        }
        if self.transitions.is_empty() {
            if let Some(rule) = &self.rule {
                return rule.offset_at(t);
            }
        }
        let i = self.transitions.partition_point(|&(at, _)| at <= t);
        // Before the first transition, the first type applies.
        let ty = if i == 0 { 0 } else { self.transitions[i - 1].1 };
        self.types.get(ty).map_or(0, |t| t.0)
    }

    /// The UTC second of a wall-clock second, as Go's `time.Date` picks
    /// it: the offset in force at the wall time read as UTC, corrected once.
    pub(super) fn to_utc(&self, local: i64) -> i64 {
        let guess = self.offset_at(local);
        local - self.offset_at(local - guess)
    }

    /// The offset of an abbreviation this zone uses (`EST`, `EDT`).
    pub(super) fn offset_of(&self, abbr: &str) -> Option<i64> {
        let from_rule = self.rule.iter().flat_map(|r| [&r.std, &r.dst]);
        self.types.iter().chain(from_rule).rev().find(|(_, a)| a == abbr).map(|(o, _)| *o)
    }
}

impl Rule {
    fn offset_at(&self, t: i64) -> i64 {
        let (year, _, _) = super::time::civil((t + self.std.0) * 1_000_000_000);
        let start = transition(year, self.start) - self.std.0;
        let end = transition(year, self.end) - self.dst.0;
        let dst = if start < end { t >= start && t < end } else { t < end || t >= start };
        if dst {
            self.dst.0
        } else {
            self.std.0
        }
    }
}

/// The local second of `Mm.w.d/time` in `year`.
fn transition(year: i64, (month, week, weekday, secs): RuleDate) -> i64 {
    let first = super::time::days_from_civil(year, month, 1);
    let first_weekday = (first + 4).rem_euclid(7);
    let mut day = (weekday - first_weekday).rem_euclid(7) + (week - 1) * 7;
    let next_month = if month == 12 { super::time::days_from_civil(year + 1, 1, 1) } else { super::time::days_from_civil(year, month + 1, 1) };
    while first + day >= next_month {
        day -= 7;
    }
    (first + day) * 86_400 + secs
}

fn be(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    Some(match n {
        4 => i32::from_be_bytes(s.try_into().ok()?) as i64,
        _ => i64::from_be_bytes(s.try_into().ok()?),
    })
}

fn parse_tzif(b: &[u8]) -> Option<Zone> {
    if b.get(..4)? != b"TZif" {
        return None;
    }
    let counts = |at: usize| -> Option<[usize; 6]> {
        let mut c = [0usize; 6];
        for (i, slot) in c.iter_mut().enumerate() {
            *slot = be(b, at + 20 + 4 * i, 4)? as usize;
        }
        Some(c)
    };
    // [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt]
    let v1 = counts(0)?;
    let v1_len = v1[3] * 5 + v1[4] * 6 + v1[5] + v1[2] * 8 + v1[1] + v1[0];
    let (at, c, tsize) = if *b.get(4)? >= b'2' { (44 + v1_len, counts(44 + v1_len)?, 8) } else { (0, v1, 4) };
    let mut p = at + 44;
    let times: Vec<i64> = (0..c[3]).map(|i| be(b, p + i * tsize, tsize)).collect::<Option<_>>()?;
    p += c[3] * tsize;
    let idx: Vec<usize> = b.get(p..p + c[3])?.iter().map(|&x| x as usize).collect();
    p += c[3];
    let raw_types: Vec<(i64, usize)> = (0..c[4]).map(|i| Some((be(b, p + i * 6, 4)?, *b.get(p + i * 6 + 5)? as usize))).collect::<Option<_>>()?;
    p += c[4] * 6;
    let chars = b.get(p..p + c[5])?;
    let abbr = |i: usize| {
        let s = chars.get(i..).unwrap_or(&[]);
        String::from_utf8_lossy(&s[..s.iter().position(|&x| x == 0).unwrap_or(s.len())]).into_owned()
    };
    let types = raw_types.iter().map(|&(off, ai)| (off, abbr(ai))).collect::<Vec<_>>();
    let transitions = times.into_iter().zip(idx).filter(|(_, i)| *i < types.len()).collect();
    p += c[5] + c[2] * (tsize + 4) + c[1] + c[0];
    let rule = if tsize == 8 { b.get(p..).and_then(|f| std::str::from_utf8(f).ok()).and_then(|f| parse_rule(f.trim_matches('\n'))) } else { None };
    Some(Zone { transitions, types, rule })
}

/// `STDoff[DST[off],Mm.w.d[/time],Mm.w.d[/time]]`; only rules with DST.
fn parse_rule(s: &str) -> Option<Rule> {
    fn name(s: &str) -> Option<(String, &str)> {
        if let Some(rest) = s.strip_prefix('<') {
            let end = rest.find('>')?;
            return Some((rest[..end].to_owned(), &rest[end + 1..]));
        }
        let n = s.bytes().take_while(u8::is_ascii_alphabetic).count();
        (n >= 3).then(|| (s[..n].to_owned(), &s[n..]))
    }
    fn secs(s: &str) -> Option<(i64, &str)> {
        let (sign, s) = match s.as_bytes().first()? {
            b'-' => (-1, &s[1..]),
            b'+' => (1, &s[1..]),
            _ => (1, s),
        };
        let n = s.bytes().take_while(|b| b.is_ascii_digit() || *b == b':').count();
        let mut total = 0;
        for (i, part) in s[..n].split(':').enumerate() {
            total += part.parse::<i64>().ok()? * [3600, 60, 1].get(i)?;
        }
        Some((sign * total, &s[n..]))
    }
    fn date(s: &str) -> Option<(RuleDate, &str)> {
        let s = s.strip_prefix(",M")?;
        let n = s.find([',', '/']).unwrap_or(s.len());
        let mut parts = s[..n].split('.').map(|p| p.parse::<i64>().ok());
        let (m, w, d) = (parts.next()??, parts.next()??, parts.next()??);
        let (time, rest) = match s[n..].strip_prefix('/') {
            Some(t) => secs(t)?,
            None => (7200, &s[n..]),
        };
        Some(((m, w, d, time), rest))
    }
    let (std_name, rest) = name(s)?;
    let (std_west, rest) = secs(rest)?;
    let (dst_name, rest) = name(rest)?;
    let (dst_off, rest) = match rest.as_bytes().first() {
        Some(b',') => (-std_west + 3600, rest),
        _ => {
            let (west, rest) = secs(rest)?;
            (-west, rest)
        }
    };
    let (start, rest) = date(rest)?;
    let (end, _) = date(rest)?;
    Some(Rule { std: (-std_west, std_name), dst: (dst_off, dst_name), start, end })
}

#[cfg(test)]
mod tests {
    use super::{parse_rule, Zone};

    /// A slim file's case: no transitions, only the footer rule.
    #[test]
    fn footer_rule_alone() {
        let rule = parse_rule("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!((rule.std.0, rule.dst.0), (-5 * 3600, -4 * 3600));
        let zone = Zone { transitions: Vec::new(), types: Vec::new(), rule: Some(rule) };
        // 2024-03-10 was the second Sunday of March: 02:00 EST = 07:00 UTC.
        let switch = 1_710_054_000;
        assert_eq!(zone.offset_at(switch - 1), -5 * 3600);
        assert_eq!(zone.offset_at(switch), -4 * 3600);
        // 2024-11-03 01:59:59 EDT is 05:59:59 UTC; a second later it is EST.
        assert_eq!(zone.offset_at(1_730_613_599), -4 * 3600);
        assert_eq!(zone.offset_at(1_730_613_600), -5 * 3600);
        assert_eq!(zone.offset_of("EDT"), Some(-4 * 3600));
        // Southern hemisphere: DST spans the new year.
        let south = parse_rule("<-03>3<-02>,M9.1.0/-2,M4.1.0/-1").unwrap();
        assert_eq!(south.std.1, "-03");
        assert_eq!(south.start.3, -7200);
        assert!(parse_rule("UTC0").is_none(), "no DST: no rule, the last transition's type applies");
        // Truncated or foreign files are refused, not read past their end.
        assert!(super::parse_tzif(b"TZif").is_none());
        assert!(super::parse_tzif(b"TZif2\0\0\0").is_none());
        assert!(super::parse_tzif(b"not a zone file").is_none());
    }
}
