//! Debian packages as reference peers: Debian's real sysvinit 3.06 for the interop tests,
//! sysv-rc, insserv, init-system-helpers… for the `rc`, `service` and `update-rc.d` tests.
//! Fetched with `apt-get download` and unpacked with `dpkg -x` under
//! `target/debian-pkg/` (never installed on the host).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{Tree, work_dir};

/// Debian's sysvinit binaries: `init`, `telinit`, `runlevel`, `shutdown`, `halt`…
const SYSVINIT: &[&str] = &["sysvinit-core", "sysvinit-utils"];

/// The unpacked root of Debian package `package` (`target/debian-pkg/<package>/root`).
pub fn unpacked(package: &str) -> PathBuf {
    unpacked_together(&[package])
}

/// `packages` unpacked into one root, `target/debian-pkg/<p1>+<p2>…/root`. Concurrent
/// test processes serialize on a lock; a finished unpack is reused. A machine may come
/// without package lists: `apt-get update` once, then retry.
pub fn unpacked_together(packages: &[&str]) -> PathBuf {
    let dir = work_dir(&format!("debian-pkg/{}", packages.join("+")));
    let script = r#"set -eu
exec 9>.lock
flock 9
if [ ! -e root/.complete ]; then
    rm -rf root debs && mkdir -p root debs
    (cd debs && apt-get download -q "$@" >&2) ||
        (apt-get update -q >&2 && cd debs && apt-get download -q "$@" >&2)
    for deb in debs/*.deb; do dpkg -x "$deb" root; done
    touch root/.complete
fi
"#;
    let out = Command::new("sh")
        .args(["-c", script, "sh"])
        .args(packages)
        .current_dir(&dir)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "apt-get download {} failed (it needs the package index: apt-get update)\n{}",
        packages.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("root")
}

/// The unpacked root of Debian's sysvinit binaries (sysvinit-core, sysvinit-utils).
pub fn sysvinit_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| unpacked_together(SYSVINIT))
}

/// A real program from the sysvinit packages' `/sbin`, e.g. `real("telinit")`.
pub fn real(name: &str) -> PathBuf {
    let path = sysvinit_root().join("sbin").join(name);
    assert!(
        path.exists(),
        "{} missing from the Debian packages",
        path.display()
    );
    path
}

/// Puts Debian's `name` (see [`real`]) at `rel` in the root, with the libraries it links:
/// a new file renamed over what is there, so a link such as `/sbin/init` is replaced, not
/// written through, and a running program keeps its own.
pub fn install_real(root: &Tree, name: &str, rel: &str) {
    let real = real(name);
    let new = format!("{rel}.new");
    let _ = std::fs::remove_file(root.join(&new));
    root.write_exec(
        &new,
        std::fs::read(&real).unwrap_or_else(|e| panic!("read {}: {e}", real.display())),
    );
    std::fs::rename(root.join(&new), root.join(rel))
        .unwrap_or_else(|e| panic!("rename {new} over {rel}: {e}"));
    root.install_libraries(&real);
}
