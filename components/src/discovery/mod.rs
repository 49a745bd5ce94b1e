//! `discovery.*`: components that find scrape targets and export them as
//! `targets` (Alloy's `list(map(string))`).

pub mod kubernetes;
