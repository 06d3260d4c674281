//! Whether this process runs in a container: a PID namespace other than the
//! host's. PID 1 asks when SIGTERM comes (a container manager's stop), and
//! the teardown at the end of levels 0 and 6 asks before it touches swap
//! and filesystem superblocks, which in a container are the host's.

/// The inode of the initial PID namespace (`PROC_PID_INIT_INO`), fixed
/// since Linux 3.8.
const INITIAL_PID_NAMESPACE_INODE: u64 = 0xEFFF_FFFC;

/// What `/proc/self/ns/pid` says: `Some(true)` in a PID namespace other
/// than the host's, `None` when `/proc` is not there to ask. (`NSpid:` in
/// `/proc/self/status` cannot tell: a container's own `/proc` lists only
/// the levels it can see, so it shows one PID there too.)
pub(crate) fn in_child_pid_namespace() -> Option<bool> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    pid_namespace_inode(&link.to_string_lossy()).map(|inode| inode != INITIAL_PID_NAMESPACE_INODE)
}

/// The inode in a `/proc/PID/ns/pid` link's text, `pid:[4026531836]`.
fn pid_namespace_inode(link: &str) -> Option<u64> {
    link.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_inode_of_a_namespace_link() {
        assert_eq!(
            pid_namespace_inode("pid:[4026531836]"),
            Some(INITIAL_PID_NAMESPACE_INODE)
        );
        assert_eq!(pid_namespace_inode("pid:[4026532201]"), Some(4_026_532_201));
        assert_eq!(pid_namespace_inode("net:[4026531836"), None);
        assert_eq!(pid_namespace_inode("pid:[x]"), None);
    }

    #[test]
    fn the_test_process_can_tell() {
        // Tests run on the host or in a container: either way /proc answers.
        assert!(in_child_pid_namespace().is_some());
    }
}
