//! Any bytes as an OTTL statement and as a condition: parsing, checking
//! and running must not panic, error spans must lie in the text, and the
//! canonical printing must be stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        solder_syntax_fuzz::check_ottl(src);
    }
});
