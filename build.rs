//! Link flags for the `solder` binary.
//!
//! The executable is position-independent, so the loader patches every
//! pointer in its read-only data (vtables, string tables) at start. In the
//! classic format each of those relocations is a 24-byte record that the
//! loader reads once and never again: 1.5 MB of the file, all of it read
//! and so resident in every agent (docs/compression.md, "RSS"). RELR packs
//! runs of them into bitmaps, a few KiB in all. glibc reads RELR since
//! 2.36, GNU ld writes it since 2.38 and lld since 15. The binary then
//! needs the version `GLIBC_ABI_DT_RELR`, so an older glibc refuses to
//! start it with that name rather than crashing; the runtime image
//! (distroless cc-debian12) has glibc 2.36.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("-linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
