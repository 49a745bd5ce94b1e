//! `IsValidLuhn`: whether a number's last digit is its Luhn check digit
//! (card numbers, IMEIs), as the Collector checks it: spaces are left out,
//! an empty number is not valid, and anything but a digit is an error.

use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, string_like};

pub(super) const DEFS: &[FunctionDef] = &[FunctionDef {
    name: "IsValidLuhn",
    params: &[Param::required("value", Value)],
    make: |_| {
        func(|args| {
            let text = string_like(&args.get(0)?)?.ok_or("invalid input: <nil>")?;
            valid(&text).map(Value::Bool)
        })
    },
}];

fn valid(text: &str) -> Result<bool, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b' ').collect();
    let Some((&check, rest)) = digits.split_last() else { return Ok(false) };
    // Go's `strconv.Atoi` of the one byte, as the Collector reads each.
    let digit = |b: u8| {
        if b.is_ascii_digit() {
            Ok(u32::from(b - b'0'))
        } else {
            Err(format!("strconv.Atoi: parsing {:?}: invalid syntax", char::from(b).to_string()))
        }
    };
    let check = digit(check)?;
    let mut sum = 0;
    for (i, &b) in rest.iter().rev().enumerate() {
        let mut n = digit(b)?;
        if i % 2 == 0 {
            n *= 2;
            if n > 9 {
                n -= 9;
            }
        }
        sum += n;
    }
    Ok((10 - sum % 10) % 10 == check)
}
