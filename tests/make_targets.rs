//! What the Makefile does before it builds or installs anything: it refuses a cargo older
//! than Cargo.toml's `rust-version` in one line that says what to do, and each target
//! installs only the Debian packages it needs (`make demo` none of the tests' own).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{describe, text};

/// `make ARGS…` in the repository, silent about directories.
fn make(args: &[&str]) -> Output {
    Command::new("make")
        .args([
            "-s",
            "--no-print-directory",
            "-C",
            env!("CARGO_MANIFEST_DIR"),
        ])
        .args(args)
        .output()
        .expect("run make")
}

/// A stand-in for cargo that answers `--version` with `version` and records any other call
/// in `calls`.
fn fake_cargo(dir: &Path, version: &str) -> (String, String) {
    let cargo = dir.join("cargo");
    let calls = dir.join("calls");
    fs::write(
        &cargo,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --version ]; then echo '{version}'; exit 0; fi\n\
             echo \"$*\" >>'{}'\n",
            calls.display()
        ),
    )
    .expect("write the fake cargo");
    fs::set_permissions(&cargo, fs::Permissions::from_mode(0o755)).expect("chmod");
    (cargo.display().to_string(), calls.display().to_string())
}

#[test]
fn make_refuses_an_old_cargo_in_one_line_before_building() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Debian bookworm's cargo 0.66 calls itself 1.65.
    let (cargo, calls) = fake_cargo(dir.path(), "cargo 1.65.0");
    let out = make(&["build", &format!("CARGO={cargo}")]);
    assert!(!out.status.success(), "make build: {}", describe(&out));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {}", describe(&out));
    let wanted = env!("CARGO_PKG_RUST_VERSION");
    for words in [
        "cargo 1.65.0 is too old",
        &format!("Rust {wanted} or newer"),
        "rustup",
    ] {
        assert!(stderr.contains(words), "{words:?} in: {stderr}");
    }
    assert!(!Path::new(&calls).exists(), "cargo did not build");

    // A cargo of the version asked for builds.
    let dir = tempfile::tempdir().expect("tempdir");
    let (cargo, calls) = fake_cargo(
        dir.path(),
        &format!("cargo {wanted}.0 (0000000 2025-10-28)"),
    );
    let out = make(&["build", &format!("CARGO={cargo}")]);
    assert!(out.status.success(), "make build: {}", describe(&out));
    let built = fs::read_to_string(&calls).expect("cargo was called");
    assert_eq!(built.trim(), "build --release --locked");
}

#[test]
fn make_without_cargo_says_where_to_get_it() {
    let out = make(&["build", "CARGO=/nonexistent/cargo"]);
    assert!(!out.status.success(), "make build: {}", describe(&out));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {}", describe(&out));
    assert!(
        stderr.contains("no cargo") && stderr.contains("rustup"),
        "{stderr}"
    );
}

/// The Debian packages a target would check for and install (`make -n`: nothing is run).
fn packages_installed_by(target: &str) -> Vec<String> {
    let out = make(&["-n", target]);
    assert!(out.status.success(), "make -n {target}: {}", describe(&out));
    let recipe = text(&out.stdout);
    let line = recipe
        .lines()
        .find_map(|line| line.trim().strip_prefix("for p in "))
        .unwrap_or_else(|| panic!("make -n {target} installs packages:\n{recipe}"));
    line.split(';')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn each_target_installs_only_the_packages_it_needs() {
    let demo = packages_installed_by("demo");
    assert_eq!(demo, ["qemu-system-x86", "busybox-static", "cpio"]);
    let bench = packages_installed_by("bench");
    let test = packages_installed_by("test");
    for test_only in ["chromium", "fonts-dejavu-core", "mandoc", "lintian", "gcc"] {
        assert!(!bench.iter().any(|p| p == test_only), "bench: {bench:?}");
        assert!(test.iter().any(|p| p == test_only), "test: {test:?}");
    }
    for package in demo.iter().chain(&bench) {
        assert!(test.contains(package), "make test installs {package}");
    }
}
