//! Links the `hush` binary as a position-dependent executable on Linux/glibc.
//!
//! A PIE makes the dynamic loader apply ~23,000 relative relocations at
//! every start: it reads `.rela.dyn` (560 KB) and copies-on-write every page
//! of `.data.rel.ro` (400 KB), about 100 page faults before `main`. Linked
//! at a fixed address the binary needs none of that, like the sops Go
//! binary, which is not a PIE either. Measured in docs/performance.md.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // A static build (`+crt-static`) chooses its own form: leave it alone.
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let crt_static = features.split(',').any(|f| f == "crt-static");
    // `HUSH_PIE=1` keeps a PIE (ASLR for the executable itself) at the
    // cost of the relocations above.
    let pie = std::env::var("HUSH_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !crt_static && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HUSH_PIE");
}
