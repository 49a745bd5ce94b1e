//! Small edits that turn a valid config into a near-miss, shared by the
//! property tests that want inputs just off the grammar's paths.

use proptest::sample::Index;

/// One edit: where, what kind (0 deletes a character, 1 inserts `text`,
/// 2 truncates), and the text an insert adds.
pub type Edit = (Index, u8, &'static str);

/// Applies `edits` to `src` in order, each at a char boundary.
pub fn apply(mut src: String, edits: Vec<Edit>) -> String {
    for (at, kind, text) in edits {
        let mut i = at.index(src.len() + 1);
        while !src.is_char_boundary(i) {
            i -= 1;
        }
        match kind {
            0 => {
                if let Some(c) = src[i..].chars().next() {
                    src.replace_range(i..i + c.len_utf8(), "");
                }
            }
            1 => src.insert_str(i, text),
            _ => src.truncate(i),
        }
    }
    src
}
