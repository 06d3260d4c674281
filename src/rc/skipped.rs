//! The names in `/etc/init.d` and `/etc/insserv.conf.d` that are not
//! scripts or configuration: backups, package-manager leftovers, editor
//! files, documentation. One rule for `update-rc.d`, `rc` and the
//! insserv.conf reader, Debian's insserv 1.24's (docs/compatibility.md §8.4):
//!
//! * in both directories insserv skips dot files, names whose part after
//!   the last `.` begins with `rpm`, `ba`, `dpkg` or `ucf` or is `old`,
//!   `new`, `org`, `orig`, `save`, `swp` or `core`, and RCS files (`,v`);
//! * in `/etc/init.d` also names ending in `~`, names beginning with one of
//!   `$.#%_+-\*[]^:()~`, `README*`, `Makefile*`, `skeleton*`, `powerfail*`,
//!   and `core`, `rx`, `rc` and `rcS`.

/// Ends (after the last `.`) that insserv takes for a leftover when they
/// begin a name's extension: `.rpmnew`, `.bak`, `.backup`, `.dpkg-old`,
/// `.ucf-dist`, …
const LEFTOVER_EXTENSION_PREFIXES: [&str; 4] = ["rpm", "ba", "dpkg", "ucf"];
/// Whole extensions insserv takes for a leftover (`.swp` is vi's).
const LEFTOVER_EXTENSIONS: [&str; 7] = ["old", "new", "org", "orig", "save", "swp", "core"];

/// Whether insserv skips `name` in either directory: a dot file, a backup
/// or package-manager leftover, an RCS file.
pub(crate) fn is_leftover(name: &str) -> bool {
    if name.is_empty() || name.starts_with('.') {
        return true;
    }
    let leftover_extension = name.rsplit_once('.').is_some_and(|(_, extension)| {
        LEFTOVER_EXTENSION_PREFIXES
            .iter()
            .any(|p| extension.starts_with(p))
            || LEFTOVER_EXTENSIONS.contains(&extension)
    });
    leftover_extension || name.rsplit_once(',').is_some_and(|(_, end)| end == "v")
}

/// Whether insserv skips `name` in `/etc/init.d`: a leftover, an editor
/// backup, or a file that is not an init script.
pub(crate) fn is_skipped_script(name: &str) -> bool {
    const NOT_SCRIPTS: [&str; 4] = ["core", "rx", "rc", "rcS"];
    const NOT_SCRIPT_PREFIXES: [&str; 4] = ["README", "Makefile", "skeleton", "powerfail"];
    is_leftover(name)
        || name.ends_with('~')
        || name.starts_with(|c: char| "$.#%_+-\\*[]^:()~".contains(c))
        || NOT_SCRIPT_PREFIXES.iter().any(|p| name.starts_with(p))
        || NOT_SCRIPTS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_insservs() {
        for skipped in [
            ".hidden",
            "x.dpkg-old",
            "x.dpkg-new",
            "x.dpkg-dist",
            "x.dpkg-tmp",
            "x.dpkg-bak",
            "x.ucf-old",
            "x.ucf-dist",
            "x.rpmsave",
            "x.rpmnew",
            "x.rpmorig",
            "x.bak",
            "x.backup",
            "x.old",
            "x.new",
            "x.org",
            "x.orig",
            "x.save",
            "x.swp",
            "x.core",
            "x,v",
        ] {
            assert!(is_leftover(skipped), "{skipped}");
            assert!(is_skipped_script(skipped), "{skipped}");
        }
        for kept in [
            "ssh",
            "rc.local",
            "hostname.sh",
            "x.older",
            "x.sav",
            "x.swap",
            "dpkg-old",
            "x,vv",
            "x~",
        ] {
            assert!(!is_leftover(kept), "{kept}");
        }
    }

    #[test]
    fn script_names_insserv_skips() {
        for skipped in [
            "x~",
            "~x",
            "#x#",
            "_x",
            "README.Debian",
            "Makefile",
            "skeleton",
            "powerfail.sh",
            "core",
            "rx",
            "rc",
            "rcS",
        ] {
            assert!(is_skipped_script(skipped), "{skipped}");
        }
        for kept in ["ssh", "rc.local", "rcS.sh", "coredump", "rsyslog", "x-y"] {
            assert!(!is_skipped_script(kept), "{kept}");
        }
    }
}
