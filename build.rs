//! Links the `vinit` binary with `src/pid1/layout.ld`, which gathers the code PID 1 runs
//! into one output section (`.text.pid1`), so that PID 1 maps a few hundred kB of the
//! binary's text instead of all of it (the kernel maps 64 kB around each page touched).
//! The script only adds a section before the linker's own layout (`INSERT`), so GNU ld
//! and LLD both take it; `make pid1-layout` writes it (README.md, Benchmarks).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/pid1/layout.ld");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let script = std::path::Path::new(&manifest).join("src/pid1/layout.ld");
        println!(
            "cargo::rustc-link-arg-bin=vinit=-Wl,-T,{}",
            script.display()
        );
    }
}
