//! Any bytes through the OTTL converters that parse text of their own:
//! the XML functions (documents and XPath selections) and
//! `ExtractGrokPatterns` (a pattern read at run time). See
//! `solder_syntax_fuzz::check_text_functions`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| solder_syntax_fuzz::check_text_functions(data));
