//! Any valid config: the formatter's output must parse to the same tree
//! (spans aside) with the same comments, and formatting it again must not
//! change it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use solder_syntax::format::{comment_texts, format, same_tree};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let Some(file) = solder_syntax_fuzz::check_parse(src) else { return };
    let once = format(&file, src);
    let reparsed = match solder_syntax::parse(&once) {
        Ok(f) => f,
        Err(d) => panic!("formatted output does not parse\ninput:  {src:?}\noutput: {once:?}\n{d:?}"),
    };
    assert!(same_tree(&file.body, &reparsed.body), "formatting changed the tree\ninput:  {src:?}\noutput: {once:?}");
    assert_eq!(comment_texts(&file), comment_texts(&reparsed), "formatting lost or changed comments\ninput: {src:?}");
    let twice = format(&reparsed, &once);
    assert_eq!(once, twice, "formatting is not idempotent\ninput: {src:?}");
});
