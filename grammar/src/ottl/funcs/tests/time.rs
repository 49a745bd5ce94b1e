use super::super::super::value::Value;
use super::super::testing::{compile, conv, run_opt, s};

const SEC: i64 = 1_000_000_000;

fn time(v: &str, f: &str) -> Result<Value, String> {
    conv("Time", vec![s(v), s(f)])
}

#[test]
fn time_documented_examples() {
    assert_eq!(time("02/04/2023", "%m/%d/%Y"), Ok(Value::Time(1675468800 * SEC)));
    assert_eq!(time("Feb 15, 2023", "%b %d, %Y"), Ok(Value::Time(1676419200 * SEC)));
    assert_eq!(time("2023-05-26 12:34:56 HST", "%Y-%m-%d %H:%M:%S %Z"), Ok(Value::Time(1685104496 * SEC)));
    assert_eq!(time("1986-10-01T00:17:33 MST", "%Y-%m-%dT%H:%M:%S %Z"), Ok(Value::Time(528509853 * SEC)));
    assert_eq!(time("2012-11-01T22:08:41+0000 EST", "%Y-%m-%dT%H:%M:%S%z %Z"), Ok(Value::Time(1351807721 * SEC)));
}

#[test]
fn time_offsets_fractions_and_clock() {
    assert_eq!(time("2012-11-01T22:08:41-0200", "%Y-%m-%dT%H:%M:%S%z"), Ok(Value::Time((1351807721 + 7200) * SEC)));
    assert_eq!(time("2012-11-01 22:08:41.123", "%F %T.%L"), Ok(Value::Time(1351807721 * SEC + 123_000_000)));
    assert_eq!(time("2012-11-01 22:08:41", "%F %T.%f"), Ok(Value::Time(1351807721 * SEC)), "an absent fraction is allowed");
    assert_eq!(time("11/01/12 10:08:41 pm", "%D %r"), Ok(Value::Time(1351807721 * SEC)));
    assert_eq!(time("Thursday November  1 2012", "%A %B %e %Y"), Ok(Value::Time(1351728000 * SEC)));
    assert_eq!(time("2012-11-01 +05:30", "%F %j"), Ok(Value::Time(1351728000 * SEC - 19800 * SEC)));
}

#[test]
fn time_errors() {
    assert!(time("2023-02-30", "%Y-%m-%d").is_err(), "day out of range");
    assert!(time("2023-2-3", "%Y-%m-%d").is_err(), "%m needs two digits");
    assert!(time("2023-02-03 extra", "%Y-%m-%d").is_err());
    assert!(time("", "%Y").is_err());
    assert!(conv("Time", vec![Value::Nil, s("%Y")]).is_err());
    assert_eq!(compile("Time", &[None, Some(s("%Y %Q"))]).err().unwrap().0, 1);
    assert_eq!(compile("Time", &[None, Some(s("%Y")), Some(s("Nowhere/Atlantis"))]).err().unwrap().0, 2);
    assert_eq!(compile("Time", &[None, Some(s("%Y")), Some(s("../etc/passwd"))]).err().unwrap().0, 2);
    assert_eq!(compile("Time", &[None, Some(s("%Y")), Some(s("")), Some(s("it"))]).err().unwrap().0, 3);
    assert!(compile("Time", &[None, Some(s("%Y")), Some(s("UTC")), Some(s("en-US"))]).is_ok());
}

#[test]
fn unix_readers() {
    let t = Value::Time(1675468800 * SEC + 123_456_789);
    assert_eq!(conv("UnixNano", vec![t.clone()]), Ok(Value::Int(1675468800 * SEC + 123_456_789)));
    assert_eq!(conv("UnixMicro", vec![t.clone()]), Ok(Value::Int(1_675_468_800_123_456)));
    assert_eq!(conv("UnixMilli", vec![t.clone()]), Ok(Value::Int(1_675_468_800_123)));
    assert_eq!(conv("UnixSeconds", vec![t.clone()]), Ok(Value::Int(1675468800)));
    assert_eq!(conv("Year", vec![t.clone()]), Ok(Value::Int(2023)));
    assert_eq!(conv("Month", vec![t.clone()]), Ok(Value::Int(2)));
    assert_eq!(conv("Day", vec![t.clone()]), Ok(Value::Int(4)));
    assert_eq!(conv("Weekday", vec![t.clone()]), Ok(Value::Int(6)), "2023-02-04 was a Saturday");
    assert_eq!(conv("Hour", vec![Value::Time(1351807721 * SEC)]), Ok(Value::Int(22)));
    assert_eq!(conv("Minute", vec![Value::Time(1351807721 * SEC)]), Ok(Value::Int(8)));
    assert_eq!(conv("Second", vec![Value::Time(1351807721 * SEC)]), Ok(Value::Int(41)));
    assert_eq!(conv("Nanosecond", vec![t]), Ok(Value::Int(123_456_789)));
    assert!(conv("UnixNano", vec![Value::Int(1)]).is_err());
    assert_eq!(conv("Unix", vec![Value::Int(1672527600)]), Ok(Value::Time(1672527600 * SEC)));
    let (out, _) = run_opt("Unix", vec![Some(Value::Int(1)), Some(Value::Int(5))]);
    assert_eq!(out, Ok(Value::Time(SEC + 5)));
    assert!(matches!(conv("Now", vec![]), Ok(Value::Time(ns)) if ns > 1_700_000_000 * SEC));
}

#[test]
fn durations() {
    let d = |v: &str| conv("Duration", vec![s(v)]);
    assert_eq!(d("3s"), Ok(Value::Duration(3 * SEC)));
    assert_eq!(d("333ms"), Ok(Value::Duration(333_000_000)));
    assert_eq!(d("1000000h"), Ok(Value::Duration(1_000_000 * 3600 * SEC)));
    assert_eq!(d("1h15m30.5s"), Ok(Value::Duration((3600 + 900 + 30) * SEC + SEC / 2)));
    assert_eq!(d("-1.5h"), Ok(Value::Duration(-5400 * SEC)));
    assert_eq!(d("1µs"), Ok(Value::Duration(1000)));
    assert_eq!(d("0"), Ok(Value::Duration(0)));
    assert_eq!(d("1"), Err("time: missing unit in duration \"1\"".into()));
    assert_eq!(d("1x"), Err("time: unknown unit \"x\" in duration \"1x\"".into()));
    assert!(d("").is_err());
    assert!(d(".s").is_err());
    assert!(conv("Duration", vec![Value::Nil]).is_err());
    let h = Value::Duration(5400 * SEC);
    assert_eq!(conv("Hours", vec![h.clone()]), Ok(Value::Double(1.5)));
    assert_eq!(conv("Minutes", vec![h.clone()]), Ok(Value::Double(90.0)));
    assert_eq!(conv("Seconds", vec![h.clone()]), Ok(Value::Double(5400.0)));
    assert_eq!(conv("Milliseconds", vec![h.clone()]), Ok(Value::Int(5_400_000)));
    assert_eq!(conv("Microseconds", vec![h.clone()]), Ok(Value::Int(5_400_000_000)));
    assert_eq!(conv("Nanoseconds", vec![h]), Ok(Value::Int(5400 * SEC)));
}

fn time_in(v: &str, f: &str, loc: &str) -> Result<Value, String> {
    conv("Time", vec![s(v), s(f), s(loc)])
}

#[test]
fn time_in_a_location() {
    if !std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
        eprintln!("no zoneinfo on this machine: skipped");
        return;
    }
    let f = "%Y-%m-%d %H:%M:%S";
    // The documented example: summer time, four hours behind UTC.
    assert_eq!(time_in("2023-05-26 12:34:56", f, "America/New_York"), Ok(Value::Time((1685104496 + 4 * 3600) * SEC)));
    assert_eq!(time_in("2023-01-15 12:00:00", f, "America/New_York"), Ok(Value::Time(1673802000 * SEC)), "winter: EST");
    // Past the file's last transition the footer rule applies.
    assert_eq!(time_in("2050-07-01 12:00:00", f, "America/New_York"), Ok(Value::Time(2540304000 * SEC)));
    // A numeric offset wins; an abbreviation the zone uses gives its offset;
    // an unknown one leaves the wall time read as UTC, as Go does.
    assert_eq!(time_in("2023-05-26 12:34:56 +0000", "%Y-%m-%d %H:%M:%S %z", "America/New_York"), Ok(Value::Time(1685104496 * SEC)));
    assert_eq!(time_in("2023-05-26 12:34:56 EST", "%Y-%m-%d %H:%M:%S %Z", "America/New_York"), Ok(Value::Time((1685104496 + 5 * 3600) * SEC)));
    assert_eq!(time_in("2023-05-26 12:34:56 HST", "%Y-%m-%d %H:%M:%S %Z", "America/New_York"), Ok(Value::Time(1685104496 * SEC)));
    assert_eq!(time_in("2023-05-26 12:34:56", f, "Asia/Kolkata"), Ok(Value::Time((1685104496 - 19800) * SEC)));
}
