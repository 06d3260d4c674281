//! The Debian package `make deb` builds, from the binary cargo built for this test:
//!
//! - lintian (`make test` installs it) reports no error and no warning; the only override
//!   is shipped in the package, after a comment that gives its reason;
//! - two builds give the same bytes, whatever the build directory, the binary's time stamp
//!   and the caller's umask (SOURCE_DATE_EPOCH, sorted members, root:root);
//! - the package takes sysvinit-core's place as Debian expects: a versioned Provides, the
//!   versioned dependencies of sysvinit-core, absolute links from /sbin, initreq.h, the
//!   changelog of this version.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{describe, host_tool, text, vinit_bin};

/// `make deb` with `bin` into `dir`, under `umask`; the package's path.
fn build_deb(bin: &Path, dir: &Path, umask: &str) -> PathBuf {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask {umask} && exec make -s -C \"$0\" deb BIN=\"$1\" DEB_DIR=\"$2\""
        ))
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg(bin)
        .arg(dir)
        .output()
        .expect("run make deb");
    assert!(out.status.success(), "make deb: {}", describe(&out));
    let deb = PathBuf::from(text(&out.stdout).trim());
    assert!(
        deb.is_file(),
        "make deb names its package: {}",
        describe(&out)
    );
    deb
}

fn package() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir for the package");
    let deb = build_deb(&vinit_bin(), dir.path(), "022");
    (dir, deb)
}

/// `dpkg-deb ARGS… DEB`'s standard output.
fn dpkg_deb(args: &[&str], deb: &Path) -> Vec<u8> {
    let out = Command::new(host_tool("dpkg-deb"))
        .args(args)
        .arg(deb)
        .output()
        .expect("run dpkg-deb");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        describe(&out)
    );
    out.stdout
}

/// The contents of the file at `path` (`./usr/...`) in the package, through `filter` (a
/// shell command: `cat`, `gzip -dc`).
fn file_in(deb: &Path, path: &str, filter: &str) -> Vec<u8> {
    let out = Command::new(host_tool("bash"))
        .arg("-c")
        .arg(format!(
            "set -o pipefail; dpkg-deb --fsys-tarfile \"$0\" | tar -xOf - \"$1\" | {filter}"
        ))
        .arg(deb)
        .arg(path)
        .output()
        .expect("run dpkg-deb | tar");
    assert!(out.status.success(), "{path}: {}", describe(&out));
    out.stdout
}

#[test]
fn deb_package_is_lintian_clean() {
    let (_dir, deb) = package();
    let out = Command::new(host_tool("lintian"))
        .args(["--fail-on", "error,warning"])
        .arg(&deb)
        .output()
        .expect("run lintian");
    let complaints: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|line| line.starts_with("E: ") || line.starts_with("W: "))
        .map(str::to_string)
        .collect();
    assert!(
        out.status.success() && complaints.is_empty(),
        "lintian: {}",
        describe(&out)
    );
    // Each override follows a comment that gives its reason.
    let overrides = text(&file_in(&deb, "./usr/share/lintian/overrides/vinit", "cat"));
    let lines: Vec<&str> = overrides.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with('#') && !line.trim().is_empty() {
            assert!(
                i > 0 && lines[i - 1].starts_with("# "),
                "override without a reason: {line}\n{overrides}"
            );
        }
    }
}

#[test]
fn deb_package_is_the_same_bytes_when_built_twice() {
    let first_dir = tempfile::tempdir().expect("tempdir");
    let first = fs::read(build_deb(&vinit_bin(), first_dir.path(), "022")).expect("read");
    // Another directory, a copy of the binary made now, and another umask.
    let second_dir = tempfile::tempdir().expect("tempdir");
    let copy = second_dir.path().join("vinit");
    fs::copy(vinit_bin(), &copy).expect("copy the binary");
    let out_dir = second_dir.path().join("out");
    let second = fs::read(build_deb(&copy, &out_dir, "077")).expect("read");
    let first_difference = first.iter().zip(&second).position(|(a, b)| a != b);
    assert!(
        first == second,
        "two builds differ: {} and {} bytes, first difference at byte {first_difference:?}",
        first.len(),
        second.len()
    );
}

#[test]
fn deb_package_takes_sysvinit_cores_place() {
    let (_dir, deb) = package();
    let control = text(&dpkg_deb(&["-f"], &deb));
    let field = |name: &str| {
        control
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
    };
    assert_eq!(field("Provides"), "sysvinit-core (= 3.06-4)");
    let depends = field("Depends");
    assert!(
        depends.contains("sysvinit-utils (>= 2.86.ds1-66)"),
        "Depends: {depends}"
    );
    assert!(
        !field("Maintainer").contains("localhost"),
        "Maintainer: {}",
        field("Maintainer")
    );

    let listing = text(&dpkg_deb(&["-c"], &deb));
    for name in [
        "init", "telinit", "runlevel", "rc", "shutdown", "halt", "reboot", "poweroff", "vinit",
    ] {
        let link = format!("./sbin/{name} -> /lib/vinit/vinit");
        assert!(listing.contains(&link), "{link}:\n{listing}");
    }

    let header = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/initreq.h"))
        .expect("read packaging/initreq.h");
    assert_eq!(file_in(&deb, "./usr/include/initreq.h", "cat"), header);

    let changelog = text(&file_in(
        &deb,
        "./usr/share/doc/vinit/changelog.gz",
        "gzip -dc",
    ));
    let latest = changelog.lines().next().unwrap_or_default();
    assert!(
        latest.starts_with(&format!("vinit ({}) ", env!("CARGO_PKG_VERSION"))),
        "the changelog's latest entry is this version: {latest}"
    );
}
