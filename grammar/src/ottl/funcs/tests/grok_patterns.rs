//! Every default grok pattern against text it must match whole and text
//! it must not; the examples of the Collector's README table are among
//! the first.

use super::super::grok::{Definitions, Grok};
use super::super::grok_patterns::names;

/// (name, matches whole, does not match whole)
const ROWS: &[(&str, &[&str], &[&str])] = &[
    ("WORD", &["hello", "world123", "test_data"], &["two words", "a-b", ""]),
    ("NOTSPACE", &["example", "text-with-dashes", "12345"], &["a b", ""]),
    ("SPACE", &[" ", "\t", "  ", ""], &["a", " x"]),
    ("DATA", &["", "anything at all"], &[]),
    ("GREEDYDATA", &["anything goes", "literally anything", "123 #@!"], &["two\nlines"]),
    ("QUOTEDSTRING", &["\"This is a quote\"", "'single quoted'", "`back`", r#""say \"hi\"""#], &["\"open", "plain", "'mixed\""]),
    ("QS", &["\"q\""], &["q"]),
    (
        "UUID",
        &["123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"],
        &["123e4567-e89b-12d3-a456-42661417400", "123e4567e89b12d3a456426614174000"],
    ),
    ("URN", &["urn:isbn:0451450523", "urn:ietf:rfc:2648", "urn:example:a%2Fb"], &["urn:", "isbn:0451450523", "urn::x"]),
    ("BOOL", &["true", "false", "TRUE", "False"], &["yes", "tRuE", "1"]),
    ("LOGLEVEL", &["INFO", "warn", "Warning", "ERROR", "err", "debug", "TRACE", "fatal", "crit", "emerg", "notice"], &["errors", "information", "log"]),
    ("INT", &["123", "-456", "+789", "0"], &["1.5", "12a", "", "+"]),
    ("BASE10NUM", &["123", "-123.456", "0.789", ".5", "+7."], &["1e5", "abc", "1.2.3"]),
    ("NUMBER", &["123", "456.789", "-0.123"], &["12,5", "x1"]),
    ("BASE16NUM", &["1a2b", "0x1A2B", "-0x1a2b3c", "FF"], &["0x", "0xg1", "1.5"]),
    ("BASE16FLOAT", &["0x1.a2b3", "-0x1A2B3C.D", "1f", ".8"], &["0x1.2.3", "xyz"]),
    ("POSINT", &["123", "456", "789", "1"], &["0", "012", "-5"]),
    ("NONNEGINT", &["0", "123", "456", "007"], &["-1", "1.0"]),
    ("USERNAME", &["smith", "j.doe-2_x"], &["a b", "a@b"]),
    ("USER", &["root"], &["r:t"]),
    ("EMAILLOCALPART", &["john.doe", "x+tag", "o'neil"], &["a..b", ".a", "a b"]),
    ("EMAILADDRESS", &["john.doe@example.com", "x+y@mail.example.org"], &["john@", "@example.com", "a@b@c"]),
    ("CISCOMAC", &["0123.4567.89ab"], &["0123.4567", "01:23:45:67:89:ab"]),
    ("WINDOWSMAC", &["01-23-45-67-89-AB"], &["01-23-45-67-89", "01:23:45:67:89:ab"]),
    ("COMMONMAC", &["01:23:45:67:89:ab"], &["01:23:45:67:89", "01-23-45-67-89-ab"]),
    ("MAC", &["0123.4567.89ab", "01-23-45-67-89-AB", "01:23:45:67:89:ab"], &["01:23:45", "zz:23:45:67:89:ab"]),
    ("IPV4", &["192.168.0.1", "255.255.255.255", "0.0.0.0", "10.1.20.250"], &["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4a"]),
    (
        "IPV6",
        &[
            "::",
            "::1",
            "2001:db8::1",
            "2001:db8:0:0:0:0:2:1",
            "fe80::1:2:3:4",
            "1:2:3:4:5:6:7::",
            "1::2:3:4:5:6:7",
            "1:2:3:4:5:6::7",
            "::ffff:192.0.2.1",
            "64:ff9b::192.0.2.33",
            "1:2:3:4:5:6:1.2.3.4",
            "fe80::1%eth0",
        ],
        &["1:2:3:4:5:6:7:8:9", "12345::1", "1:::2", "2001:db8::g", "192.168.0.1"],
    ),
    ("IP", &["10.0.0.1", "2001:db8::1"], &["10.0.0", "host"]),
    ("HOSTNAME", &["example.com", "host-1", "a.b.c.example", "localhost"], &["-bad.example", "bad-.example", "a_b", "a..b"]),
    ("HOST", &["example.com"], &["ex ample"]),
    ("IPORHOST", &["example.com", "10.0.0.1", "::1"], &["exa mple", "a@b"]),
    ("HOSTPORT", &["example.com:80", "10.0.0.1:8080"], &["example.com", "example.com:0", "example.com:x"]),
    ("UNIXPATH", &["/", "/var/log/syslog", "/a/b", "/with\\ space"], &["relative/path", "/a b"]),
    ("WINPATH", &["C:\\Windows\\System32", "\\\\server\\share"], &["C:", "/unix/path"]),
    ("PATH", &["/etc/hosts", "C:\\temp"], &["etc/hosts"]),
    ("TTY", &["/dev/pts/0", "/dev/tty1", "/dev/ttyS0", "/dev/console"], &["/dev/null", "/dev/pts/x"]),
    ("URIPROTO", &["http", "svn+ssh", "coap.tcp"], &["1http", "ht tp", ""]),
    ("URIHOST", &["example.com", "example.com:80", "10.0.0.1:443", "[::1]:8080"], &["example.com:", "exa mple"]),
    ("URIPATH", &["/", "/path/to/x.html", "/a;b=c/%20d"], &["path", "/a b", "/a?b"]),
    ("URIQUERY", &["query=string", "a=1&b=2", ""], &["a b", "a#b"]),
    ("URIPARAM", &["?a=1", "?"], &["a=1", "?a b"]),
    ("URIPATHPARAM", &["/search?q=x", "/only/path"], &["?q=x", "/a b"]),
    (
        "URI",
        &["http://user:password@example.com:80/path?query=string", "https://example.com", "file:///etc/hosts", "http://[::1]:8080/x#top"],
        &["example.com/path", "http:/example.com", "http://exa mple.com"],
    ),
    ("MONTH", &["Jan", "January", "may", "Sept", "Sep", "September", "dec"], &["Janu", "Foo", "JANUARY"]),
    ("MONTHNUM", &["1", "01", "9", "10", "12"], &["0", "13", "00"]),
    ("MONTHNUM2", &["01", "09", "12"], &["1", "13"]),
    ("MONTHDAY", &["1", "01", "9", "15", "29", "31"], &["0", "32", "00"]),
    ("DAY", &["Mon", "Monday", "tue", "Tues", "Thursday", "Thurs", "Sun"], &["Mond", "Funday"]),
    ("YEAR", &["19", "2019"], &["201", "20190"]),
    ("HOUR", &["0", "09", "19", "23"], &["24", "123"]),
    ("MINUTE", &["00", "59"], &["60", "5"]),
    ("SECOND", &["00", "59", "60", "5", "04.123", "04,5"], &["61", "04."]),
    ("TIME", &["14:11:04", "9:05", "23:59:60.5"], &["24:00:00", "14:1", "14"]),
    ("DATE_US", &["05/06/2019", "12-31-19", "5/6/2019"], &["13/01/2019", "2019-05-06"]),
    ("DATE_EU", &["06.05.2019", "31/12/2019", "6-5-19"], &["32.01.2019", "2019.05.06"]),
    ("DATE", &["05/06/2019", "31.12.2019"], &["2019-05-06x", "May 6"]),
    ("DATESTAMP", &["05/06/2019 14:11:04", "31.12.2019-23:59:59"], &["05/06/2019", "05/06/2019T14:11:04"]),
    ("ISO8601_TIMEZONE", &["Z", "+02:00", "-0500", "+05"], &["UTC", "+2:00x"]),
    ("ISO8601_SECOND", &["04", "04.123456"], &["4a"]),
    (
        "TIMESTAMP_ISO8601",
        &["2019-05-06T14:11:04Z", "2019-05-06 14:11:04.123+02:00", "2019-05-06T14:11", "2019-05-06T141104-0500"],
        &["2019-05-06", "2019/05/06T14:11:04"],
    ),
    ("TZ", &["UTC", "GMT", "PST", "EDT", "CEST"], &["utc", "XYZ", "PSTX"]),
    (
        "DATESTAMP_RFC822",
        &["Mon, 06 May 2019 14:11:04 UTC", "Mon May 06 2019 14:11:04 PDT", "6 May 19 14:11 GMT"],
        &["06 May 2019 14:11:04", "Mon, 06 May 2019 14:11:04 +0000"],
    ),
    (
        "DATESTAMP_RFC2822",
        &["Mon, 06 May 2019 14:11:04 +0000", "06 May 2019 14:11:04 -0700", "Mon, 6 May 2019 14:11:04 GMT"],
        &["Mon, 06 May 2019 14:11:04", "2019-05-06 14:11:04 +0000"],
    ),
    ("DATESTAMP_OTHER", &["Mon May  6 14:11:04 UTC 2019", "Tue Dec 31 23:59:59 EST 2019"], &["Mon May 6 14:11:04 2019"]),
    ("DATESTAMP_EVENTLOG", &["20190506141104", "20191231235959"], &["2019-05-06 14:11:04", "20191331000000"]),
    ("HTTPDATE", &["10/Oct/2000:13:55:36 -0700", "06/May/2019:14:11:04 +0000"], &["10/10/2000:13:55:36 -0700", "10/Oct/2000 13:55:36"]),
    ("SYSLOGTIMESTAMP", &["Mar 10 12:00:01", "Mar  1 12:00:01", "Sep 30 23:59:59"], &["10 Mar 12:00:01", "Mar 10 12"]),
    ("PROG", &["sshd", "systemd-logind", "postfix/smtpd", "kernel"], &["ssh d", "sshd:", "prog[1]"]),
    ("SYSLOGPROG", &["sshd[123]", "cron"], &["sshd[abc]", "sshd[]"]),
    ("SYSLOGHOST", &["host-1", "10.0.0.1"], &["host 1"]),
    ("SYSLOGFACILITY", &["<4.6>", "<0.0>"], &["<4>", "4.6"]),
    ("SYSLOGBASE", &["Mar 10 12:00:01 host-1 sshd[42]:", "Mar 10 12:00:01 <4.6> host-1 cron:"], &["Mar 10 12:00:01 host-1 sshd[42]"]),
];

/// Whether `text` matches the named default pattern from end to end.
fn whole_match(name: &str, text: &str) -> bool {
    let defs = Definitions::parse(&["WHOLE=^(?:%{".to_string() + name + "})$"]).unwrap_or_else(|e| panic!("{e}"));
    let grok = Grok::compile("%{WHOLE:w}", &defs, true).unwrap_or_else(|e| panic!("{name}: {e}"));
    grok.matches(text)
}

#[test]
fn every_default_pattern_matches_its_examples_and_refuses_its_counterexamples() {
    let mut failures = Vec::new();
    for (name, yes, no) in ROWS {
        for text in *yes {
            if !whole_match(name, text) {
                failures.push(format!("{name} should match {text:?}"));
            }
        }
        for text in *no {
            if whole_match(name, text) {
                failures.push(format!("{name} should not match {text:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_default_pattern_has_a_row() {
    let missing: Vec<&str> = names().filter(|n| !ROWS.iter().any(|(r, ..)| r == n)).collect();
    assert!(missing.is_empty(), "no examples for {missing:?}");
    for (r, ..) in ROWS {
        assert!(names().any(|n| n == *r), "{r} is not a default pattern");
    }
}

/// Unanchored, a pattern's first match must not stop short of the whole
/// value where alternatives or optional parts could end it early.
#[test]
fn unanchored_matches_take_the_whole_value() {
    let rows = [
        ("MONTHNUM", "12"),
        ("MONTHDAY", "31"),
        ("HOUR", "23"),
        ("SECOND", "60"),
        ("SECOND", "59.123"),
        ("YEAR", "2019"),
        ("TIME", "14:11:04"),
        ("IPV4", "192.168.100.255"),
        ("IPV6", "1::2:3"),
        ("IPV6", "2001:db8::8:800:200c:417a"),
        ("IPV6", "::ffff:192.0.2.1"),
        ("IPV6", "fe80::1%eth0"),
        ("IP", "::1"),
        ("URIHOST", "example.com:8080"),
        ("TIMESTAMP_ISO8601", "2019-05-06T14:11:04.5+02:00"),
        ("DAY", "Thursday"),
        ("MONTH", "September"),
        ("LOGLEVEL", "warning"),
        ("URI", "https://u:p@example.com:8443/a/b?c=d#e"),
        ("SYSLOGPROG", "sshd[42]"),
    ];
    for (name, text) in rows {
        let defs = Definitions::parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        let grok = Grok::compile(&format!("%{{{name}:v}}"), &defs, true).unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = grok.extract(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.map_get("v").and_then(|v| v.as_str()), Some(text), "{name}");
    }
}
