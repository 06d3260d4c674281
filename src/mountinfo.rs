//! `/proc/self/mountinfo`, parsed: what is mounted where (the teardown's
//! unmounts, where the cgroup2 hierarchy is). Pure: text in, mounts out.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::path::PathBuf;

/// One line of mountinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    /// The directory of the file system mounted here (`/` unless a part of
    /// it is bind-mounted, or a cgroup namespace shows a subtree).
    pub(crate) root: PathBuf,
    pub(crate) point: PathBuf,
    pub(crate) fs_type: String,
    /// Propagated to or from another mount namespace (`shared:N`).
    pub(crate) shared: bool,
}

/// Every well-formed line, in the file's order (the last mounted last).
pub(crate) fn parse(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split_whitespace().collect();
            Some(Mount {
                root: PathBuf::from(unescape(fields.get(3)?)),
                point: PathBuf::from(unescape(fields.get(4)?)),
                fs_type: after.split_whitespace().next()?.to_string(),
                shared: fields.iter().skip(6).any(|f| f.starts_with("shared:")),
            })
        })
        .collect()
}

/// `\040`-style escapes decoded (also in `/proc/swaps`).
pub(crate) fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&first, tail)) = rest.split_first() {
        let octal = tail
            .get(..3)
            .filter(|digits| first == b'\\' && digits.iter().all(|b| (b'0'..=b'7').contains(b)))
            .and_then(|digits| u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok());
        match octal {
            Some(byte) => {
                out.push(byte);
                rest = tail.get(3..).unwrap_or_default();
            }
            None => {
                out.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_optional_fields_and_escapes() {
        let text = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
35 22 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw
36 22 0:31 /vinit.test /mnt/my\\040dir rw master:2 shared:7 - cgroup2 cgroup2 rw
garbage
";
        let mounts = parse(text);
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].point, PathBuf::from("/"));
        assert!(mounts[0].shared);
        assert_eq!(mounts[1].fs_type, "cgroup2");
        assert!(!mounts[1].shared);
        assert_eq!(mounts[2].point, PathBuf::from("/mnt/my dir"));
        assert_eq!(mounts[2].root, PathBuf::from("/vinit.test"));
        assert_eq!(unescape("a\\134b\\"), "a\\b\\");
    }
}
