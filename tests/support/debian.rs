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

/// Copies the shared libraries `ldd` lists for `binary` (e.g. a [`real`] program) to the
/// same paths under `root`, leaving the ones already there.
#[allow(dead_code)] // not every test crate that includes this module needs it
pub fn copy_libraries(root: &Path, binary: &Path) {
    let out = Command::new("ldd").arg(binary).output().expect("run ldd");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`, or the loader's path.
        let Some(path) = line
            .rsplit("=> ")
            .next()
            .and_then(|rest| rest.split(" (").next())
            .map(str::trim)
            .filter(|p| p.starts_with('/'))
        else {
            continue;
        };
        let dest = root.join(path.trim_start_matches('/'));
        if !dest.exists() {
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir).expect("mkdir for a library");
            }
            std::fs::copy(path, &dest).unwrap_or_else(|e| panic!("copy {path}: {e}"));
        }
    }
}
