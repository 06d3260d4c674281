//! Debian's real sysvinit 3.06 binaries for the interop tests, fetched once by
//! `tests/support/debian-sysvinit.sh` (apt-get download + dpkg -x into
//! `target/debian/root`, never installed). Included by the interop test crates with
//! `#[path = "support/debian.rs"] mod debian;`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The unpacked Debian root with the real binaries; fetched once.
pub fn debian_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let output = Command::new(manifest.join("tests/support/debian-sysvinit.sh"))
            .arg(manifest.join("target"))
            .output()
            .expect("run tests/support/debian-sysvinit.sh");
        assert!(
            output.status.success(),
            "could not fetch Debian's sysvinit binaries with tests/support/debian-sysvinit.sh \
             (apt-get download sysvinit-core sysvinit-utils); these interop tests need them:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    })
}

/// A real program from the packages' `/sbin`, e.g. `real("telinit")`.
pub fn real(name: &str) -> PathBuf {
    let path = debian_root().join("sbin").join(name);
    assert!(
        path.exists(),
        "{} missing from the Debian packages",
        path.display()
    );
    path
}
