//! System facilities (`$local_fs`, `$network`…) from `/etc/insserv.conf` and
//! `/etc/insserv.conf.d/*` (docs/compatibility.md §8.4).
//!
//! Each line is `$facility member…` or `<interactive> script…`; a member is a
//! script name (`Provides`), `+name` for an optional member, or another
//! `$facility`. `#` starts a comment. When `/etc/insserv.conf` is absent the
//! built-in [`DEBIAN_DEFAULTS`] (Debian bookworm's insserv.conf) are used, and
//! `insserv.conf.d` is still read.

use crate::untrusted::{self, Kind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Debian bookworm's `/etc/insserv.conf` (insserv 1.24), used when the file is absent.
pub(crate) const DEBIAN_DEFAULTS: &str = "\
# All local filesystems are mounted (done during boot phase)
$local_fs       +mountall +mountall-bootclean +mountoverflowtmp +umountfs
# Low level networking (ethernet card)
$network        +networking +ifupdown
# Named is operational
$named          +named +dnsmasq +lwresd +bind9 +unbound +pdns-recursor $network
# All remote filesystems are mounted (note in some cases /usr may
# be remote. Most applications that care will probably require
# both $local_fs and $remote_fs)
$remote_fs      $local_fs +mountnfs +mountnfs-bootclean +umountnfs +sendsigs
# System logger is operational
$syslog         +rsyslog +sysklogd +syslog-ng +dsyslog +inetutils-syslogd
# The system time has been set correctly
$time           +hwclock
# Services which need to be interactive
<interactive>   glibc udev console-screen keymap keyboard-setup console-setup cryptdisks cryptdisks-early checkfs-loop
";

/// One member of a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// A script's `Provides` name, or a `$facility`.
    pub name: String,
    /// Written `+name`: the facility does not need it to exist.
    pub optional: bool,
}

/// The facilities and the `<interactive>` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facilities {
    facilities: BTreeMap<String, Vec<Member>>,
    /// Scripts named in `<interactive>`: they run alone with the console.
    pub interactive: BTreeSet<String>,
}

/// What expanding a facility found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Script `Provides` names (optional or not), nested facilities expanded.
    pub members: BTreeSet<String>,
    /// Non-optional members, nested facilities expanded; the caller checks they exist.
    pub required: BTreeSet<String>,
}

impl Facilities {
    /// Debian's defaults only.
    pub fn debian_defaults() -> Facilities {
        let mut f = Facilities::default();
        f.parse_into(DEBIAN_DEFAULTS, "<built-in insserv.conf>", &mut Vec::new());
        f
    }

    /// Loads `<root>/etc/insserv.conf` (or the defaults if it does not exist)
    /// and `<root>/etc/insserv.conf.d/*` in name order, skipping dot files,
    /// backups (`~`) and package-manager leftovers. Unreadable files and bad
    /// lines produce warnings (file:line: message); loading carries on.
    pub fn load(root: &Path) -> (Facilities, Vec<String>) {
        let mut warnings = Vec::new();
        let mut f = Facilities::default();
        let main = root.join("etc/insserv.conf");
        match untrusted::read(&main, Kind::Settings) {
            Ok(bytes) => {
                log::debug!("facilities from {}", main.display());
                f.parse_into(
                    &String::from_utf8_lossy(&bytes),
                    &main.display().to_string(),
                    &mut warnings,
                )
            }
            Err(e) if e.is_missing() => {
                log::debug!("no {}: Debian's default facilities", main.display());
                f.parse_into(DEBIAN_DEFAULTS, "<built-in insserv.conf>", &mut warnings)
            }
            Err(e) => warnings.push(format!("{}: {e}", main.display())),
        }
        let dir = root.join("etc/insserv.conf.d");
        let mut names: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    let skipped = super::skipped::is_leftover(n);
                    if skipped {
                        log::debug!("{}/{n} skipped: insserv does not read it", dir.display());
                    }
                    !skipped
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        for name in names {
            let path = dir.join(&name);
            log::debug!("facilities from {}", path.display());
            match untrusted::read(&path, Kind::Settings) {
                Ok(bytes) => f.parse_into(
                    &String::from_utf8_lossy(&bytes),
                    &path.display().to_string(),
                    &mut warnings,
                ),
                Err(e) => warnings.push(format!("{}: {e}", path.display())),
            }
        }
        let or_none = |names: Vec<&str>| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(" ")
            }
        };
        log::debug!(
            "facilities defined: {}; interactive: {}",
            or_none(f.facilities.keys().map(String::as_str).collect()),
            or_none(f.interactive.iter().map(String::as_str).collect())
        );
        (f, warnings)
    }

    /// Adds the definitions of `text`; a facility defined again gains members
    /// (insserv.conf.d files extend the main file).
    pub fn parse_into(&mut self, text: &str, file: &str, warnings: &mut Vec<String>) {
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let Some(head) = words.next() else {
                continue;
            };
            if head == "<interactive>" {
                self.interactive.extend(words.map(str::to_string));
            } else if head.starts_with('$') && head.len() > 1 {
                let members = self.facilities.entry(head.to_string()).or_default();
                members.extend(words.map(|w| match w.strip_prefix('+') {
                    Some(name) => Member {
                        name: name.to_string(),
                        optional: true,
                    },
                    None => Member {
                        name: w.to_string(),
                        optional: false,
                    },
                }));
            } else if head.starts_with('<') && head.ends_with('>') {
                // Other insserv groups (none on Debian) do not affect ordering.
            } else {
                warnings.push(format!(
                    "{file}:{}: expected \"$facility members…\" or \"<interactive> scripts…\", found \"{head}\"",
                    index + 1
                ));
            }
        }
    }

    /// True if `name` (with its `$`) is defined.
    pub fn is_defined(&self, name: &str) -> bool {
        self.facilities.contains_key(name)
    }

    /// Expands `name` recursively; `None` if it is not defined. A nested
    /// facility keeps its own members' optionality, and a loop between
    /// facilities is cut where it closes.
    pub fn expand(&self, name: &str) -> Option<Expansion> {
        self.facilities.get(name)?;
        let mut out = Expansion::default();
        let mut seen = BTreeSet::new();
        self.expand_into(name, true, &mut seen, &mut out);
        Some(out)
    }

    fn expand_into(
        &self,
        name: &str,
        needed: bool,
        seen: &mut BTreeSet<String>,
        out: &mut Expansion,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        for member in self.facilities.get(name).into_iter().flatten() {
            let needed = needed && !member.optional;
            if member.name.starts_with('$') {
                self.expand_into(&member.name, needed, seen, out);
            } else {
                out.members.insert(member.name.clone());
                if needed {
                    out.required.insert(member.name.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_defaults_expand() {
        let f = Facilities::debian_defaults();
        let remote = f.expand("$remote_fs").unwrap();
        for m in ["mountall", "umountfs", "mountnfs", "sendsigs"] {
            assert!(remote.members.contains(m), "{m}");
        }
        assert!(remote.required.is_empty());
        let named = f.expand("$named").unwrap();
        assert!(named.members.contains("networking") && named.members.contains("bind9"));
        assert!(f.expand("$time").unwrap().members.contains("hwclock"));
        assert!(f.expand("$nope").is_none());
        assert!(f.interactive.contains("keyboard-setup"));
    }

    #[test]
    fn required_members_and_loops() {
        let mut f = Facilities::default();
        let mut w = Vec::new();
        f.parse_into(
            "$a  x +y $b # comment\n$b  z $a\n<interactive> q\nbogus line\n",
            "conf",
            &mut w,
        );
        let a = f.expand("$a").unwrap();
        assert_eq!(a.members, ["x", "y", "z"].map(String::from).into());
        assert_eq!(a.required, ["x", "z"].map(String::from).into());
        assert_eq!(
            w,
            [
                "conf:4: expected \"$facility members…\" or \"<interactive> scripts…\", found \"bogus\""
            ]
        );
        assert!(f.interactive.contains("q"));
    }

    #[test]
    fn load_file_and_dir() {
        let dir = tempfile::tempdir().unwrap();
        // Absent: defaults, plus the .d directory.
        std::fs::create_dir_all(dir.path().join("etc/insserv.conf.d")).unwrap();
        std::fs::write(dir.path().join("etc/insserv.conf.d/extra"), "$time +ntp\n").unwrap();
        std::fs::write(dir.path().join("etc/insserv.conf.d/x.dpkg-old"), "$bad\n").unwrap();
        let (f, w) = Facilities::load(dir.path());
        assert!(w.is_empty(), "{w:?}");
        let time = f.expand("$time").unwrap().members;
        assert!(time.contains("hwclock") && time.contains("ntp"));
        assert!(!f.is_defined("$bad"));
        // Present: replaces the defaults.
        std::fs::write(dir.path().join("etc/insserv.conf"), "$local_fs mine\n").unwrap();
        let (f, _) = Facilities::load(dir.path());
        assert!(!f.is_defined("$network"));
        assert_eq!(f.expand("$local_fs").unwrap().required.len(), 1);
    }
}
