//! Debian packages used as reference peers by the `service` and `update-rc.d` tests,
//! fetched with `apt-get download` and unpacked with `dpkg -x` under the target dir
//! (never installed on the host).

use std::path::PathBuf;
use std::process::Command;

use crate::common;

/// The unpacked root of Debian package `package` (`target/debian-pkg/<package>/root`).
/// Concurrent test processes serialize on a lock; a finished unpack is reused.
pub fn unpacked(package: &str) -> PathBuf {
    let dir = common::work_dir(&format!("debian-pkg/{package}"));
    let script = r#"set -eu
exec 9>.lock
flock 9
if [ ! -e root/.complete ]; then
    rm -rf root debs && mkdir -p root debs
    (cd debs && apt-get download -q "$1" >&2)
    for deb in debs/*.deb; do dpkg -x "$deb" root; done
    touch root/.complete
fi
"#;
    let out = Command::new("sh")
        .args(["-c", script, "sh", package])
        .current_dir(&dir)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "apt-get download {package} failed (it needs the package index: apt-get update)\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("root")
}
