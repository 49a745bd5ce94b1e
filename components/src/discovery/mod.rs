//! `discovery.*`: components that find scrape targets and export them as
//! `targets` (Alloy's `list(map(string))`), and relabel them.

pub mod kubernetes;
pub mod relabel;
