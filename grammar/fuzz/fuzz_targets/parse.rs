//! Any bytes: the fast parser and the pest grammar must agree, and neither
//! may panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        solder_syntax_fuzz::check_parse(src);
    }
});
