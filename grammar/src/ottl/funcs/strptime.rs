//! The `%Y-%m-%d`-style formats `Time` takes, parsed as the Collector does:
//! its `ctimefmt` turns each directive into a Go layout element, and Go's
//! `time.Parse` reads it. So widths are Go's (`%m` needs two digits, `%H`
//! takes one or two), a space in the format matches a run of spaces, month
//! and day names match in any case, and a fraction after `.` may be absent.
//!
//! A format is compiled once, at load, so an unknown directive is a load
//! error on the format argument.

use super::zone::Zone;

/// One element of a compiled format.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Lit(String),
    /// A directive letter, after expanding the composite ones (`%F`, ...).
    Dir(char),
    /// `.%L`, `.%f`, `.%s` (or with `,`): an optional fraction of a second
    /// when parsing; when formatting, the separator and this many digits.
    Frac(char, usize),
}

/// A compiled format.
#[derive(Debug, Clone)]
pub(super) struct Format(Vec<Item>);

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

impl Format {
    pub(super) fn compile(fmt: &str) -> Result<Format, String> {
        let mut items = Vec::new();
        expand(fmt, &mut items)?;
        Ok(Format(items))
    }

    /// Parses `value` to nanoseconds since the epoch. Wall-clock text
    /// without an offset is in `zone` (UTC when `None`).
    pub(super) fn parse(&self, value: &str, zone: Option<&Zone>) -> Result<i64, String> {
        let bad = || format!("parsing time {value:?}: cannot parse as the format requires");
        let mut p = Parsed { year: 0, month: 1, day: 1, hour: 0, min: 0, sec: 0, nanos: 0, pm: None, offset: None, abbr: None };
        let mut s = value;
        for item in &self.0 {
            s = match item {
                Item::Lit(lit) => skip(s, lit).ok_or_else(bad)?,
                Item::Frac(..) => frac(s, &mut p.nanos),
                Item::Dir(d) => directive(*d, s, &mut p).ok_or_else(bad)?,
            };
        }
        if !s.is_empty() {
            return Err(format!("parsing time {value:?}: extra text: {s:?}"));
        }
        p.finish(zone).map_err(|e| format!("parsing time {value:?}: {e}"))
    }
}

impl Format {
    /// Writes a UTC time in this format (`FormatTime`): zone directives
    /// print UTC's zero offset, fractions their digits zero-padded.
    pub(super) fn format(&self, ns: i64) -> String {
        let (y, m, d) = super::time::civil(ns);
        let sod = ns.div_euclid(1_000_000_000).rem_euclid(86_400);
        let (hour, min, sec) = (sod / 3600, sod / 60 % 60, sod % 60);
        let nanos = ns.rem_euclid(1_000_000_000);
        let weekday = (ns.div_euclid(86_400_000_000_000) + 4).rem_euclid(7) as usize;
        let h12 = if hour % 12 == 0 { 12 } else { hour % 12 };
        let month = MONTHS[(m - 1) as usize];
        let mut out = String::new();
        for item in &self.0 {
            match item {
                Item::Lit(l) => out.push_str(l),
                Item::Frac(sep, digits) => {
                    out.push(*sep);
                    out.push_str(&format!("{nanos:09}")[..*digits]);
                }
                Item::Dir(c) => out.push_str(&match c {
                    'Y' => format!("{y:04}"),
                    'y' => format!("{:02}", y.rem_euclid(100)),
                    'm' => format!("{m:02}"),
                    'o' => format!("{m:>2}"),
                    'q' => m.to_string(),
                    'b' | 'h' => month[..3].to_owned(),
                    'B' => month.to_owned(),
                    'd' => format!("{d:02}"),
                    'e' => format!("{d:>2}"),
                    'g' => d.to_string(),
                    'a' => DAYS[weekday][..3].to_owned(),
                    'A' => DAYS[weekday].to_owned(),
                    'H' => format!("{hour:02}"),
                    'I' => format!("{h12:02}"),
                    'l' => h12.to_string(),
                    'p' => (if hour < 12 { "AM" } else { "PM" }).to_owned(),
                    'P' => (if hour < 12 { "am" } else { "pm" }).to_owned(),
                    'M' => format!("{min:02}"),
                    'S' => format!("{sec:02}"),
                    'z' => "+0000".to_owned(),
                    'Z' => "UTC".to_owned(),
                    'i' => "+00".to_owned(),
                    'j' => "+00:00".to_owned(),
                    'k' => "+00:00:00".to_owned(),
                    'w' => "+000000".to_owned(),
                    _ => String::new(),
                }),
            }
        }
        out
    }
}

/// Expands composite directives and checks every directive is known.
fn expand(fmt: &str, items: &mut Vec<Item>) -> Result<(), String> {
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            push_lit(items, c);
            continue;
        }
        let d = chars.next().ok_or("format ends with a lone %")?;
        let composite = match d {
            'D' | 'x' => "%m/%d/%y",
            'F' => "%Y-%m-%d",
            'T' | 'X' => "%H:%M:%S",
            'r' => "%I:%M:%S %P",
            'R' => "%H:%M",
            'c' => "%a %b %e %H:%M:%S %Y",
            'n' => "\n",
            't' => "\t",
            '%' => "%%",
            _ => "",
        };
        if d == '%' {
            push_lit(items, '%');
        } else if !composite.is_empty() {
            expand(composite, items)?;
        } else if matches!(d, 'L' | 'f' | 's') {
            // The Go layout's fraction element includes the `.` before it.
            match items.last_mut() {
                Some(Item::Lit(l)) if l.ends_with(['.', ',']) => {
                    let sep = l.pop().unwrap_or('.');
                    if l.is_empty() {
                        items.pop();
                    }
                    items.push(Item::Frac(
                        sep,
                        if d == 'L' {
                            3
                        } else if d == 'f' {
                            6
                        } else {
                            9
                        },
                    ));
                }
                _ => return Err(format!("%{d} must follow a '.' or ',' in the format")),
            }
        } else if "YymoqbhBdegaAHIlpPMSzZijkw".contains(d) {
            items.push(Item::Dir(d));
        } else {
            return Err(format!("unsupported ctimefmt directive: %{d}"));
        }
    }
    Ok(())
}

fn push_lit(items: &mut Vec<Item>, c: char) {
    match items.last_mut() {
        Some(Item::Lit(l)) => l.push(c),
        _ => items.push(Item::Lit(c.to_string())),
    }
}

struct Parsed {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: i64,
    /// `Some(true)` after PM, `Some(false)` after AM.
    pm: Option<bool>,
    /// Seconds east of UTC, when the text gave a numeric offset.
    offset: Option<i64>,
    /// The zone abbreviation the text gave (`%Z`).
    abbr: Option<String>,
}

impl Parsed {
    /// The instant, chosen as Go's `time.Parse` chooses it: a numeric
    /// offset wins; then an abbreviation the location uses (`EST` in
    /// `America/New_York`); an unknown abbreviation leaves the wall time
    /// read as UTC; else the wall time is in the location.
    fn finish(mut self, zone: Option<&Zone>) -> Result<i64, String> {
        match self.pm {
            Some(true) if self.hour < 12 => self.hour += 12,
            Some(false) if self.hour == 12 => self.hour = 0,
            _ => {}
        }
        if !(1..=12).contains(&self.month) {
            return Err("month out of range".into());
        }
        if self.day < 1 || self.day > days_in_month(self.year, self.month) {
            return Err("day out of range".into());
        }
        let days = super::time::days_from_civil(self.year, self.month, self.day);
        let wall = days * 86_400 + self.hour * 3600 + self.min * 60 + self.sec;
        let secs = match (self.offset, &self.abbr, zone) {
            (Some(offset), _, _) => wall - offset,
            (None, Some(abbr), Some(z)) => wall - z.offset_of(abbr).unwrap_or(0),
            (None, Some(_), None) => wall,
            (None, None, Some(z)) => z.to_utc(wall),
            (None, None, None) => wall,
        };
        secs.checked_mul(1_000_000_000).and_then(|n| n.checked_add(self.nanos)).ok_or_else(|| "time out of range".to_owned())
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Matches literal text; a space matches one or more spaces (or the end).
fn skip<'a>(mut s: &'a str, lit: &str) -> Option<&'a str> {
    let mut lit = lit;
    while let Some(c) = lit.chars().next() {
        if c == ' ' {
            if !s.is_empty() && !s.starts_with(' ') {
                return None;
            }
            lit = lit.trim_start_matches(' ');
            s = s.trim_start_matches(' ');
            continue;
        }
        s = s.strip_prefix(c)?;
        lit = &lit[c.len_utf8()..];
    }
    Some(s)
}

/// Digits at the start of `s`: exactly `min` when `min == max`, else
/// between `min` and `max`.
fn num(s: &str, min: usize, max: usize) -> Option<(i64, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// A name from `names` (or its three-letter form), any case.
fn name<'a>(s: &'a str, names: &[&str], short: bool) -> Option<(i64, &'a str)> {
    names.iter().enumerate().find_map(|(i, n)| {
        let n = if short { &n[..3] } else { n };
        let head = s.get(..n.len())?;
        head.eq_ignore_ascii_case(n).then(|| (i as i64, &s[n.len()..]))
    })
}

/// An optional `.123` or `,123`: any number of digits, kept to nanoseconds.
fn frac<'a>(s: &'a str, nanos: &mut i64) -> &'a str {
    let Some(rest) = s.strip_prefix(['.', ',']) else { return s };
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return s;
    }
    let digits = &rest[..n.min(9)];
    *nanos = digits.parse::<i64>().unwrap_or(0) * 10i64.pow(9 - digits.len() as u32);
    &rest[n..]
}

fn directive<'a>(d: char, s: &'a str, p: &mut Parsed) -> Option<&'a str> {
    let (v, rest) = match d {
        'Y' => num(s, 4, 4)?,
        'y' => {
            let (y, rest) = num(s, 2, 2)?;
            (if y >= 69 { 1900 + y } else { 2000 + y }, rest)
        }
        'm' | 'd' | 'I' | 'M' | 'S' => num(s, 2, 2)?,
        'q' | 'g' | 'H' | 'l' => num(s, 1, 2)?,
        'o' | 'e' => num(s.strip_prefix(' ').unwrap_or(s), 1, 2)?,
        'b' | 'h' => name(s, &MONTHS, true).map(|(m, r)| (m + 1, r))?,
        'B' => name(s, &MONTHS, false).map(|(m, r)| (m + 1, r))?,
        'a' => name(s, &DAYS, true)?,
        'A' => name(s, &DAYS, false)?,
        'p' | 'P' => {
            let (am, pm) = if d == 'p' { ("AM", "PM") } else { ("am", "pm") };
            let head = s.get(..2)?;
            p.pm = Some(if head == pm {
                true
            } else if head == am {
                false
            } else {
                return None;
            });
            return Some(&s[2..]);
        }
        'z' | 'i' | 'j' | 'k' | 'w' => return offset(d, s, p),
        'Z' => return zone(s, p),
        _ => return None,
    };
    let ok = match d {
        'Y' | 'y' => {
            p.year = v;
            true
        }
        'm' | 'o' | 'q' | 'b' | 'h' | 'B' => {
            p.month = v;
            true
        }
        'd' | 'e' | 'g' => {
            p.day = v;
            true
        }
        'H' => {
            p.hour = v;
            v < 24
        }
        'I' | 'l' => {
            p.hour = v;
            v <= 12
        }
        'M' => {
            p.min = v;
            v < 60
        }
        'S' => {
            p.sec = v;
            v < 60
        }
        _ => true, // weekday names are read and ignored, as Go does
    };
    ok.then_some(rest)
}

/// `%z` ±hhmm (also ±hh:mm or `Z`), `%i` ±hh, `%j` ±hh:mm, `%k` ±hh:mm:ss,
/// `%w` ±hhmmss.
fn offset<'a>(d: char, s: &'a str, p: &mut Parsed) -> Option<&'a str> {
    if d == 'z' {
        if let Some(rest) = s.strip_prefix('Z') {
            p.offset = Some(0);
            return Some(rest);
        }
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let s = &s[1..];
    let (h, mut s) = num(s, 2, 2)?;
    let (mut m, mut sec) = (0, 0);
    let colon = d == 'j' || d == 'k' || (d == 'z' && s.starts_with(':'));
    if d != 'i' {
        if colon {
            s = s.strip_prefix(':')?;
        }
        (m, s) = num(s, 2, 2)?;
    }
    if d == 'k' || d == 'w' {
        if colon {
            s = s.strip_prefix(':')?;
        }
        (sec, s) = num(s, 2, 2)?;
    }
    p.offset = Some(sign * (h * 3600 + m * 60 + sec));
    Some(s)
}

/// `%Z`: an abbreviation such as `UTC` or `EST`, or `GMT+3`, with
/// Go's rules for what counts as one. Its offset is decided in `finish`.
fn zone<'a>(s: &'a str, p: &mut Parsed) -> Option<&'a str> {
    if let Some(rest) = s.strip_prefix("GMT") {
        let rest = match rest.as_bytes().first() {
            Some(b'+' | b'-') => num(&rest[1..], 1, 2)?.1,
            _ => rest,
        };
        p.abbr = Some(s[..s.len() - rest.len()].to_owned());
        return Some(rest);
    }
    let n = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = &s[..n];
    let upper = word.bytes().filter(u8::is_ascii_uppercase).count();
    let ok = matches!(word, "ChST" | "MeST") || (upper == n && (n == 3 || ((n == 4 || n == 5) && word.ends_with('T')) || word == "WITA"));
    p.abbr = Some(word.to_owned());
    ok.then(|| &s[n..])
}
