//! The resource attributes span steps read (`resource.attributes["key"]`,
//! [`super::plan::Steps::outer`]), worked out once for each resource
//! rather than for each of its spans: as received, or as the resource's
//! own steps left them when those run first.
//!
//! A value is an `AnyValue`'s bytes, as the span's own are: where it lies
//! in the request, or, for one a resource step made (a literal it set, a
//! string it changed or cut), encoded here.

/// One resource's values, by [`super::plan::Steps::outer`] index.
#[derive(Default)]
pub(super) struct Outer<'a> {
    values: Vec<Option<(Src<'a>, bool)>>,
    /// The values resource steps made, one after the other.
    made: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Src<'a> {
    /// In the request.
    Wire(&'a [u8]),
    /// A range of [`Outer::made`].
    Made(usize, usize),
}

impl<'a> Outer<'a> {
    pub fn clear(&mut self) {
        self.values.clear();
        self.made.clear();
    }

    /// The next value: missing (nil).
    pub fn push_missing(&mut self) {
        self.values.push(None);
    }

    /// The next value, as it lies in the request; `string`: it is one.
    pub fn push_wire(&mut self, any: &'a [u8], string: bool) {
        self.values.push(Some((Src::Wire(any), string)));
    }

    /// The next value, made by a step: `any` as written.
    pub fn push_made(&mut self, any: &[u8], string: bool) {
        let from = self.made.len();
        self.made.extend_from_slice(any);
        self.values.push(Some((Src::Made(from, self.made.len()), string)));
    }

    /// The next value, a string a step made.
    pub fn push_made_str(&mut self, s: &str) {
        let from = self.made.len();
        super::fields::put_len(&mut self.made, 1, s.as_bytes());
        self.values.push(Some((Src::Made(from, self.made.len()), true)));
    }

    /// The value at `i`: `None` past the last (a plan built with other
    /// steps), `Some(None)` when the resource has none, else its bytes and
    /// whether it is a string.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Option<(&[u8], bool)>> {
        Some(self.values.get(i)?.map(|(src, string)| {
            let bytes = match src {
                Src::Wire(bytes) => bytes,
                Src::Made(from, to) => &self.made[from..to],
            };
            (bytes, string)
        }))
    }
}
