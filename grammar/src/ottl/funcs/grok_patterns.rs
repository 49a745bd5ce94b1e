//! The grok patterns `ExtractGrokPatterns` knows without being told: the
//! core set logstash and the Collector's grok library name (numbers,
//! words, addresses, paths, URIs, dates and times, syslog parts, log
//! levels), written for Solder in RE2 syntax from what each name means.
//!
//! Product sets (AWS, Java, HAProxy, firewalls, ...) are not here; a
//! pattern may define what it needs through `patternDefinitions`.
//!
//! The regex crate has no lookaround and no atomic groups, so where a
//! pattern must not stop early its alternatives are ordered longest first
//! and `\b` marks the edges of words and numbers.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One to four hex digits: a group of an IPv6 address.
macro_rules! h16 {
    () => {
        "[0-9A-Fa-f]{1,4}"
    };
}

/// A dotted-quad IPv4 address without the edges' `\b`.
macro_rules! ipv4 {
    () => {
        "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    };
}

/// An IPv6 address in any of RFC 4291's text forms. Forms ending in an
/// IPv4 address come first, then those ending in a group, then those
/// ending in `::`, so a match never stops short; an optional `%zone`
/// follows.
#[rustfmt::skip]
const IPV6: &str = concat!(
    "(?:",
    "(?:", h16!(), ":){6}", ipv4!(),
    "|(?:(?:", h16!(), ":){0,4}", h16!(), ")?::(?:", h16!(), ":){0,4}", ipv4!(),
    "|(?:", h16!(), ":){7}", h16!(),
    "|(?:", h16!(), ":){6}(?::", h16!(), ")",
    "|(?:", h16!(), ":){5}(?::", h16!(), "){1,2}",
    "|(?:", h16!(), ":){4}(?::", h16!(), "){1,3}",
    "|(?:", h16!(), ":){3}(?::", h16!(), "){1,4}",
    "|(?:", h16!(), ":){2}(?::", h16!(), "){1,5}",
    "|", h16!(), ":(?::", h16!(), "){1,6}",
    "|:(?::", h16!(), "){1,7}",
    "|(?:", h16!(), ":){1,7}:",
    "|::",
    ")(?:%[0-9A-Za-z]+)?"
);

/// The default definitions, name and RE2 text, as a user would write them
/// in `patternDefinitions`.
const PATTERNS: &[(&str, &str)] = &[
    // Words and text.
    ("WORD", r"\b\w+\b"),
    ("NOTSPACE", r"\S+"),
    ("SPACE", r"\s*"),
    ("DATA", r".*?"),
    ("GREEDYDATA", r".*"),
    ("QUOTEDSTRING", r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`"#),
    ("QS", r"%{QUOTEDSTRING}"),
    ("UUID", r"\b[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}\b"),
    ("URN", r"urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9A-Fa-f]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+"),
    ("BOOL", r"\b(?:true|false|TRUE|FALSE|True|False)\b"),
    ("LOGLEVEL", r"\b(?i:trace|debug|info(?:rmational)?|notice|warn(?:ing)?|err(?:or)?|crit(?:ical)?|alert|emerg(?:ency)?|fatal|severe)\b"),
    // Numbers.
    ("INT", r"[+-]?[0-9]+"),
    ("BASE10NUM", r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"),
    ("NUMBER", r"%{BASE10NUM}"),
    ("BASE16NUM", r"[+-]?(?:0[xX])?[0-9A-Fa-f]+"),
    ("BASE16FLOAT", r"[+-]?(?:0[xX])?(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?|\.[0-9A-Fa-f]+)"),
    ("POSINT", r"\b[1-9][0-9]*\b"),
    ("NONNEGINT", r"\b[0-9]+\b"),
    // People and machines.
    ("USERNAME", r"[a-zA-Z0-9._-]+"),
    ("USER", r"%{USERNAME}"),
    ("EMAILLOCALPART", r"[a-zA-Z0-9!#$%&'*+/=?^_`|~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`|~-]+)*"),
    ("EMAILADDRESS", r"%{EMAILLOCALPART}@%{HOSTNAME}"),
    ("CISCOMAC", r"(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}"),
    ("WINDOWSMAC", r"(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}"),
    ("COMMONMAC", r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}"),
    ("MAC", r"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}"),
    ("IPV4", concat!(r"\b", ipv4!(), r"\b")),
    ("IPV6", IPV6),
    ("IP", r"%{IPV6}|%{IPV4}"),
    ("HOSTNAME", r"\b[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?(?:\.[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?)*\b"),
    ("HOST", r"%{HOSTNAME}"),
    ("IPORHOST", r"%{IP}|%{HOSTNAME}"),
    ("HOSTPORT", r"%{IPORHOST}:%{POSINT}"),
    // Paths and URIs.
    ("UNIXPATH", r"(?:/(?:[\w%!$@:.,+~-]+|\\.)*)+"),
    ("WINPATH", r"(?:[A-Za-z]+:|\\)(?:\\[^\\?*\s]*)+"),
    ("PATH", r"%{UNIXPATH}|%{WINPATH}"),
    ("TTY", r"/dev/(?:pts/[0-9]+|tty[A-Za-z]*[0-9]+|console)"),
    ("URIPROTO", r"[A-Za-z][A-Za-z0-9+.-]*"),
    ("URIHOST", r"(?:%{IPORHOST}|\[%{IPV6}\])(?::%{POSINT})?"),
    ("URIPATH", r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)+"),
    ("URIQUERY", r"[^\s#]*"),
    ("URIPARAM", r"\?[^\s#]*"),
    ("URIPATHPARAM", r"%{URIPATH}(?:%{URIPARAM})?"),
    ("URI", r"%{URIPROTO}://(?:%{USER}(?::[^@\s/]*)?@)?(?:%{URIHOST})?(?:%{URIPATH}(?:\?%{URIQUERY})?)?(?:#\S*)?"),
    // Dates and times.
    (
        "MONTH",
        r"\b(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]une?|[Jj]uly?|[Aa]ug(?:ust)?|[Ss]ep(?:t(?:ember)?)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\b",
    ),
    ("MONTHNUM", r"(?:1[0-2]|0?[1-9])"),
    ("MONTHNUM2", r"(?:0[1-9]|1[0-2])"),
    ("MONTHDAY", r"(?:3[01]|[12][0-9]|0?[1-9])"),
    ("DAY", r"\b(?:[Mm]on(?:day)?|[Tt]ue(?:s(?:day)?)?|[Ww]ed(?:nesday)?|[Tt]hu(?:r(?:s(?:day)?)?)?|[Ff]ri(?:day)?|[Ss]at(?:urday)?|[Ss]un(?:day)?)\b"),
    ("YEAR", r"[0-9]{2}(?:[0-9]{2})?"),
    ("HOUR", r"(?:2[0-3]|[01]?[0-9])"),
    ("MINUTE", r"[0-5][0-9]"),
    ("SECOND", r"(?:60|[0-5]?[0-9])(?:[.,][0-9]+)?"),
    ("TIME", r"%{HOUR}:%{MINUTE}(?::%{SECOND})?"),
    ("DATE_US", r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}"),
    ("DATE_EU", r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}"),
    ("DATE", r"%{DATE_US}|%{DATE_EU}"),
    ("DATESTAMP", r"%{DATE}[- ]%{TIME}"),
    ("ISO8601_TIMEZONE", r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE})?)"),
    ("ISO8601_SECOND", r"%{SECOND}"),
    ("TIMESTAMP_ISO8601", r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?"),
    ("TZ", r"\b(?:UTC|GMT|[ACEMP][SD]T|AKST|AKDT|HST|CEST|CET|EEST|EET|WEST|WET|BST|IST|JST)\b"),
    ("DATESTAMP_RFC822", r"(?:%{DAY},? )?(?:%{MONTHDAY} %{MONTH}|%{MONTH} %{MONTHDAY}) %{YEAR} %{TIME} %{TZ}"),
    ("DATESTAMP_RFC2822", r"(?:%{DAY}, )?%{MONTHDAY} %{MONTH} %{YEAR} %{TIME} (?:%{ISO8601_TIMEZONE}|%{TZ})"),
    ("DATESTAMP_OTHER", r"%{DAY} %{MONTH} +%{MONTHDAY} %{TIME} %{TZ} %{YEAR}"),
    ("DATESTAMP_EVENTLOG", r"%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}"),
    ("HTTPDATE", r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"),
    // Syslog.
    ("SYSLOGTIMESTAMP", r"%{MONTH} +%{MONTHDAY} %{TIME}"),
    ("PROG", r"[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]+"),
    ("SYSLOGPROG", r"%{PROG:program}(?:\[%{POSINT:pid}\])?"),
    ("SYSLOGHOST", r"%{IPORHOST}"),
    ("SYSLOGFACILITY", r"<%{NONNEGINT:facility}\.%{NONNEGINT:priority}>"),
    ("SYSLOGBASE", r"%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:"),
];

/// The default definitions by name, built once.
pub(super) fn defaults() -> &'static HashMap<&'static str, &'static str> {
    static DEFAULTS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    DEFAULTS.get_or_init(|| PATTERNS.iter().copied().collect())
}

/// Every default name, in the table's order (for the docs and tests).
#[cfg(test)]
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    PATTERNS.iter().map(|(name, _)| *name)
}
