//! `update-rc.d` (docs/compatibility.md §8.5) against Debian's real insserv 1.24 (fetched with
//! `apt-get download insserv`, run from the target dir with `-p`/`-c` on a scratch
//! tree, never installed): the same operations on two copies of the same
//! `/etc/init.d` must leave the same `/etc/rc?.d` links. Ours runs on the copies
//! through `DPKG_ROOT`, which Debian's update-rc.d honours too.
//!
//! The reference side drives insserv exactly as Debian's update-rc.d does:
//! `insserv [-f] NAME` for defaults (`-f` added while `rcS.d/S??mountkernfs.sh`
//! is absent), `insserv -r NAME` (or plain `insserv` once the script is gone) for
//! remove, and S↔K renames followed by `insserv NAME` for enable/disable.

mod common;
use common::debian_pkg;
use common::{describe, text};

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const LEVELS: [char; 8] = ['0', '1', '2', '3', '4', '5', '6', 'S'];

fn insserv_package() -> PathBuf {
    debian_pkg::unpacked("insserv")
}

/// A scratch `/etc` with init scripts and Debian's insserv.conf.
struct Tree {
    dir: TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("update-rc.d-")
            .tempdir_in(common::work_dir("test-roots"))
            .expect("tempdir");
        let tree = Tree { dir };
        fs::create_dir_all(tree.path("etc/init.d")).unwrap();
        fs::copy(
            insserv_package().join("etc/insserv.conf"),
            tree.path("etc/insserv.conf"),
        )
        .expect("copy insserv.conf");
        tree
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn add_script(&self, name: &str, contents: &[u8]) {
        let path = self.path(&format!("etc/init.d/{name}"));
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn add_scripts_from(&self, dir: &Path) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if name != "README" {
                self.add_script(&name, &fs::read(&path).unwrap());
            }
        }
    }

    /// Every `rcN.d` (that exists) with its links and their targets, one line per dir.
    fn listing(&self) -> String {
        let mut out = String::new();
        for level in LEVELS {
            let dir = self.path(&format!("etc/rc{level}.d"));
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .map(|e| {
                    let e = e.unwrap();
                    let target = fs::read_link(e.path())
                        .map(|t| t.display().to_string())
                        .unwrap_or_else(|_| "(not a link)".into());
                    format!("{}->{target}", e.file_name().to_string_lossy())
                })
                .collect();
            names.sort();
            out.push_str(&format!("rc{level}.d: {}\n", names.join(" ")));
        }
        out
    }

    /// Just the link names of one directory, space-separated.
    fn names(&self, level: char) -> String {
        let mut names: Vec<String> = fs::read_dir(self.path(&format!("etc/rc{level}.d")))
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.join(" ")
    }

    /// Our update-rc.d on this tree.
    fn ours(&self, args: &[&str]) -> Output {
        Command::new(common::vinit_bin())
            .arg("update-rc.d")
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/sbin:/usr/bin:/bin")
            .env("DPKG_ROOT", self.root())
            .output()
            .expect("run our update-rc.d")
    }

    fn insserv(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(insserv_package().join("sbin/insserv"));
        cmd.arg("-p")
            .arg(self.path("etc/init.d"))
            .arg("-c")
            .arg(self.path("etc/insserv.conf"));
        if !self.has_mountkernfs_link() {
            cmd.arg("-f");
        }
        cmd.args(args).output().expect("run insserv")
    }

    fn has_mountkernfs_link(&self) -> bool {
        fs::read_dir(self.path("etc/rcS.d")).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.len() == 17 && n.starts_with('S') && n.ends_with("mountkernfs.sh")
            })
        })
    }

    /// Debian's update-rc.d, insserv flavour, for the actions used here.
    fn reference(&self, args: &[&str]) -> Output {
        match args {
            [name, "defaults"] => self.insserv(&[name]),
            [name, "remove"] => {
                if self.path(&format!("etc/init.d/{name}")).is_file() {
                    self.insserv(&["-r", name])
                } else {
                    self.insserv(&[])
                }
            }
            [name, action @ ("enable" | "disable"), levels @ ..] => {
                let (from, to) = if *action == "disable" {
                    ('S', 'K')
                } else {
                    ('K', 'S')
                };
                for level in levels {
                    let dir = self.path(&format!("etc/rc{level}.d"));
                    for entry in fs::read_dir(&dir).unwrap().flatten() {
                        let file = entry.file_name().to_string_lossy().into_owned();
                        if file.starts_with(from) && &file[3..] == *name {
                            fs::rename(entry.path(), dir.join(format!("{to}{}", &file[1..])))
                                .unwrap();
                        }
                    }
                }
                self.insserv(&[name])
            }
            other => panic!("no reference for {other:?}"),
        }
    }
}

/// Runs the same update-rc.d operation on both trees and checks they agree on
/// success and on every link.
fn same_as_insserv(ours: &Tree, theirs: &Tree, args: &[&str]) {
    let mine = ours.ours(args);
    let reference = theirs.reference(args);
    assert_eq!(
        mine.status.success(),
        reference.status.success(),
        "update-rc.d {args:?}\nours: {}\ninsserv: {}",
        describe(&mine),
        describe(&reference)
    );
    assert_eq!(
        ours.listing(),
        theirs.listing(),
        "update-rc.d {args:?}: links differ (left ours, right insserv's)\nours: {}",
        describe(&mine)
    );
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rc/insserv-example/init.d")
}

fn pair_with(scripts: &Path) -> (Tree, Tree) {
    let (ours, theirs) = (Tree::new(), Tree::new());
    ours.add_scripts_from(scripts);
    theirs.add_scripts_from(scripts);
    (ours, theirs)
}

#[test]
fn spec_example_gives_insservs_links() {
    let (ours, theirs) = pair_with(&fixture_dir());
    for name in [
        "mountkernfs.sh",
        "hostname.sh",
        "mountall.sh",
        "networking",
        "early",
        "rsyslog",
        "cron",
        "ssh",
        "rc.local",
        "halt",
        "sendsigs",
        "umountfs",
    ] {
        same_as_insserv(&ours, &theirs, &[name, "defaults"]);
    }
    // docs/compatibility.md §8.4, observed with the real insserv.
    assert_eq!(
        ours.names('S'),
        "S01hostname.sh S01mountkernfs.sh S02mountall.sh S03networking"
    );
    assert_eq!(
        ours.names('2'),
        "S01early S02rsyslog S03cron S03ssh S04rc.local"
    );
    assert_eq!(
        ours.names('0'),
        "K01cron K01halt K01networking K01ssh K02rsyslog K03sendsigs K03umountfs"
    );
    assert_eq!(
        fs::read_link(ours.path("etc/rc2.d/S02rsyslog")).unwrap(),
        Path::new("../init.d/rsyslog")
    );
    assert!(!ours.path("run/systemd").exists());
}

/// Backups and package-manager leftovers in /etc/init.d (docs/compatibility.md §8.4) take no
/// part in the ordering: each of these has a header that would push every boot script
/// up by one if it were read.
#[test]
fn leftovers_in_init_d_are_skipped_as_insserv_skips_them() {
    let (ours, theirs) = pair_with(&fixture_dir());
    for (i, name) in [
        "early.ucf-old",
        "early.backup",
        "early.bak",
        "early.orig",
        "early.org",
        "early.old",
        "early.new",
        "early.save",
        "early.swp",
        "early.core",
        "early.dpkg-tmp",
        "early.rpmnew",
        "early,v",
        "early~",
        "Makefile.early",
        "powerfail.early",
    ]
    .iter()
    .enumerate()
    {
        let header = format!(
            "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: leftover{i}\n\
             # Required-Start:\n# Required-Stop:\n# X-Start-Before: hostname.sh mountkernfs.sh\n\
             # Default-Start: S\n# Default-Stop:\n### END INIT INFO\n"
        );
        ours.add_script(name, header.as_bytes());
        theirs.add_script(name, header.as_bytes());
    }
    for name in ["mountkernfs.sh", "hostname.sh", "mountall.sh", "networking"] {
        same_as_insserv(&ours, &theirs, &[name, "defaults"]);
    }
    assert_eq!(
        ours.names('S'),
        "S01hostname.sh S01mountkernfs.sh S02mountall.sh S03networking"
    );
}

#[test]
fn spec_example_in_name_order_with_automatic_force() {
    // mountall.sh comes before mountkernfs.sh, which it requires: Debian passes -f
    // while rcS.d/S??mountkernfs.sh is absent, so both accept it.
    let (ours, theirs) = pair_with(&fixture_dir());
    let mut names: Vec<String> = fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        same_as_insserv(&ours, &theirs, &[name, "defaults"]);
    }
    same_as_insserv(&ours, &theirs, &["cron", "disable", "2", "3", "4", "5"]);
    same_as_insserv(&ours, &theirs, &["cron", "enable", "2", "3"]);
    same_as_insserv(&ours, &theirs, &["early", "remove"]);
}

#[test]
fn rc_examples_give_insservs_links_through_their_life() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("rc.d");
    let (ours, theirs) = pair_with(&examples);
    for name in [
        "exampled",
        "hostname-example",
        "netdummy",
        "webdummy",
        "early-example",
        "local-example",
        "legacy-example",
    ] {
        same_as_insserv(&ours, &theirs, &[name, "defaults"]);
    }
    // Installing again changes nothing.
    let before = ours.listing();
    same_as_insserv(&ours, &theirs, &["exampled", "defaults"]);
    assert_eq!(ours.listing(), before);

    // (Scripts others depend on are not disabled here: see update-rc.d(8) on how
    // insserv numbers around a disabled dependency.)
    same_as_insserv(&ours, &theirs, &["webdummy", "disable", "2", "3", "4", "5"]);
    assert!(
        ours.names('2').contains("K01webdummy"),
        "{}",
        ours.listing()
    );
    same_as_insserv(&ours, &theirs, &["webdummy", "enable", "3"]);
    same_as_insserv(&ours, &theirs, &["webdummy", "enable", "2", "4", "5"]);
    same_as_insserv(&ours, &theirs, &["legacy-example", "disable", "2"]);
    // postrm style: the script is gone first, its links are then dangling.
    for tree in [&ours, &theirs] {
        fs::remove_file(tree.path("etc/init.d/local-example")).unwrap();
    }
    same_as_insserv(&ours, &theirs, &["local-example", "remove"]);
    assert!(!ours.listing().contains("local-example"));
    same_as_insserv(&ours, &theirs, &["legacy-example", "remove"]);
}

#[test]
fn interactive_stop_order_and_all_give_insservs_links() {
    let header = |name: &str, fields: &str| {
        let mut t = format!("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n");
        for f in fields.split(';') {
            t.push_str(&format!("# {}\n", f.trim()));
        }
        t.push_str("### END INIT INFO\n");
        t.into_bytes()
    };
    let scripts: [(&str, &str); 7] = [
        (
            "keyboard-setup.sh",
            "Required-Start: ; Required-Stop: ; Default-Start: S; Default-Stop:",
        ),
        (
            "asker",
            "Required-Start: ; Required-Stop: ; X-Interactive: true; Default-Start: S; Default-Stop:",
        ),
        (
            "plain",
            "Required-Start: ; Required-Stop: ; Default-Start: S; Default-Stop:",
        ),
        (
            "db",
            "Required-Start: ; Required-Stop: ; Default-Start: 2 3 4 5; Default-Stop: 0 1 6",
        ),
        (
            "web",
            "Required-Start: db; Required-Stop: db; Should-Stop: cache; Default-Start: 2 3 4 5; Default-Stop: 0 1 6",
        ),
        (
            "cache",
            "Required-Start: ; Required-Stop: ; X-Stop-After: db; Default-Start: 2 3; Default-Stop: 0 6",
        ),
        (
            "last",
            "Required-Start: $all; Required-Stop: ; Default-Start: 2 3 4 5; Default-Stop:",
        ),
    ];
    let (ours, theirs) = (Tree::new(), Tree::new());
    for (name, fields) in scripts {
        ours.add_script(name, &header(name, fields));
        theirs.add_script(name, &header(name, fields));
    }
    for (name, _) in scripts {
        same_as_insserv(&ours, &theirs, &[name, "defaults"]);
    }
}

/// Installs mountkernfs.sh so that no `-f` is added, then checks that a header
/// insserv rejects leaves every link as it was.
#[test]
fn refused_headers_change_nothing() {
    let (ours, theirs) = pair_with(&fixture_dir());
    for name in ["mountkernfs.sh", "hostname.sh", "mountall.sh"] {
        same_as_insserv(&ours, &theirs, &[name, "defaults"]);
    }
    let needy = b"#!/bin/sh\n### BEGIN INIT INFO\n# Provides: needy\n# Required-Start: nosuchservice\n# Required-Stop:\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\n";
    ours.add_script("needy", needy);
    theirs.add_script("needy", needy);
    let before = ours.listing();
    let out = ours.ours(&["needy", "defaults"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("nosuchservice"), "{stderr}");
    assert!(
        stderr.ends_with("update-rc.d: error: insserv rejected the script header\n"),
        "{stderr}"
    );
    assert_eq!(ours.listing(), before);
    assert!(!theirs.reference(&["needy", "defaults"]).status.success());

    // A loop is refused even with -f, and nothing moves.
    fs::remove_file(ours.path("etc/init.d/needy")).unwrap();
    for (name, other) in [("loopa", "loopb"), ("loopb", "loopa")] {
        ours.add_script(
            name,
            format!(
                "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n# Required-Start:\n# Should-Start: {other}\n# Required-Stop:\n# Default-Start: 2\n# Default-Stop:\n### END INIT INFO\n"
            )
            .as_bytes(),
        );
    }
    for args in [&["loopa", "defaults"][..], &["-f", "loopa", "defaults"]] {
        let out = ours.ours(args);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(
            text(&out.stderr).contains("There is a loop between service loopa and loopb"),
            "{}",
            describe(&out)
        );
        assert_eq!(ours.listing(), before);
    }

    // Removing a script an enabled one requires is refused, but (as Debian's
    // update-rc.d ignores insserv's status on remove) exits 0.
    let out = ours.ours(&["mountkernfs.sh", "remove"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("mountkernfs"),
        "{}",
        describe(&out)
    );
    assert!(
        !text(&out.stderr).contains("insserv rejected"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        ours.names('S'),
        "S01hostname.sh S01mountkernfs.sh S02mountall.sh"
    );
}

#[test]
fn usage_and_messages_are_debians() {
    let (ours, _theirs) = pair_with(&fixture_dir());
    let usage = "usage: update-rc.d [-f] <basename> remove
       update-rc.d [-f] <basename> defaults
       update-rc.d [-f] <basename> defaults-disabled
       update-rc.d <basename> disable|enable [S|2|3|4|5]
\t\t-f: force

The disable|enable API is not stable and might change in the future.
";
    let check = |args: &[&str], code: i32, stderr: &str| {
        let out = ours.ours(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            describe(&out)
        );
        assert_eq!(text(&out.stderr), stderr, "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    };
    check(
        &[],
        1,
        &format!("update-rc.d: error: not enough arguments\n{usage}"),
    );
    check(
        &["cron"],
        1,
        &format!("update-rc.d: error: not enough arguments\n{usage}"),
    );
    // Asked for, the usage goes to stdout with the exit statuses, and the status is 0
    // (Debian's exits 1: update-rc.d(8)).
    for args in [&["-h"][..], &["--help", "cron", "defaults"][..]] {
        let out = ours.ours(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", describe(&out));
        let help = text(&out.stdout);
        assert!(
            help.starts_with(&format!("{usage}\nExit status: 0 on success;")),
            "{args:?}: {help}"
        );
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
    check(
        &["-x", "cron", "defaults"],
        1,
        &format!("update-rc.d: error: unknown option\n{usage}"),
    );
    check(&["cron", "frobnicate"], 1, usage);
    check(
        &["nosuch", "defaults"],
        1,
        "update-rc.d: error: initscript does not exist: /etc/init.d/nosuch\n",
    );
    check(
        &["sendsigs", "disable"],
        1,
        "update-rc.d: error: sendsigs Default-Start contains no runlevels, aborting.\n",
    );
    check(
        &["cron", "disable", "1"],
        1,
        "update-rc.d: warning: disable action will have no effect on runlevel 1\n\
         update-rc.d: error: no runlevel symlinks to modify, aborting!\n",
    );
    check(
        &["nosuch", "enable", "2"],
        1,
        "update-rc.d: error: cannot find a LSB script for nosuch\n",
    );
    // Legacy arguments: only warnings, then defaults.
    check(
        &[
            "cron", "start", "20", "2", "3", "4", "5", ".", "stop", "20", "0", "1", "6", ".",
        ],
        0,
        "update-rc.d: warning: start and stop actions are no longer supported; falling back to defaults\n",
    );
    check(
        &[
            "ssh", "start", "20", "2", "3", ".", "stop", "80", "0", "6", ".",
        ],
        0,
        "update-rc.d: warning: start and stop actions are no longer supported; falling back to defaults\n\
         update-rc.d: warning: start runlevel arguments (2 3) do not match ssh Default-Start values (2 3 4 5)\n\
         update-rc.d: warning: stop runlevel arguments (0 6) do not match ssh Default-Stop values (0 1 6)\n",
    );
    assert_eq!(ours.names('2'), "S03cron S03ssh");
}

#[test]
fn defaults_disabled_links_kill_only_and_keeps_existing() {
    let (ours, theirs) = pair_with(&fixture_dir());
    let out = ours.ours(&["cron", "defaults-disabled"]);
    assert!(out.status.success(), "{}", describe(&out));
    // Debian: insserv links, then S -> K in Default-Start levels without renumbering.
    theirs.reference(&["cron", "defaults"]);
    for level in ['2', '3', '4', '5'] {
        let dir = theirs.path(&format!("etc/rc{level}.d"));
        fs::rename(dir.join("S03cron"), dir.join("K03cron")).expect("Debian's rename");
    }
    assert_eq!(ours.listing(), theirs.listing());
    assert!(ours.names('2').starts_with('K'), "{}", ours.listing());
    // Links exist: a no-op, even after the script is changed.
    let before = ours.listing();
    let out = ours.ours(&["cron", "defaults-disabled"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(ours.listing(), before);
    // Enabling gives the same as Debian's enable after its defaults-disabled.
    same_as_insserv(&ours, &theirs, &["cron", "enable", "2", "3", "4", "5"]);
    // Dangling links of a deleted script go on remove.
    fs::remove_file(ours.path("etc/init.d/cron")).unwrap();
    symlink("../init.d/gone", ours.path("etc/rc2.d/S05gone")).unwrap();
    let out = ours.ours(&["cron", "remove"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(ours.names('2'), "");
}

/// Without `DPKG_ROOT`, on `/` of a chroot: the harness enables the examples with our
/// update-rc.d, as the boot tests do.
#[test]
fn works_on_the_real_root_in_a_chroot() {
    let root = common::ns::TestRoot::new();
    root.install_examples();
    for name in [
        "hostname-example",
        "netdummy",
        "exampled",
        "early-example",
        "webdummy",
    ] {
        root.enable_service(name);
    }
    let names = |level: &str| {
        let mut v: Vec<String> = fs::read_dir(root.join(&format!("etc/rc{level}.d")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v.join(" ")
    };
    assert_eq!(names("S"), "S01hostname-example S02netdummy");
    // early-example starts before exampled, which webdummy needs.
    assert_eq!(names("2"), "S01early-example S02exampled S03webdummy");
    assert_eq!(names("0"), "K01webdummy K02exampled K03netdummy");
    assert_eq!(
        fs::read_link(root.join("etc/rc2.d/S02exampled")).unwrap(),
        Path::new("../init.d/exampled")
    );
    assert!(!root.join("run/systemd").exists());
}

/// A small deterministic generator (no crate needed for a few numbers).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Random sets of headers (boot scripts, runlevel scripts in 2-5 or 2-3, stop levels,
/// required/should/X-Start-Before/X-Stop-After dependencies, facilities), installed one
/// by one: every step leaves the same links as insserv. Stop dependencies are only
/// between scripts that have stop levels: across a script outside the levels, insserv's
/// walk depends on directory order (see update-rc.d(8)).
#[test]
fn random_headers_give_insservs_links() {
    let mut rng = Lcg(0x5eed_u64);
    for round in 0..25 {
        let count = 6 + rng.below(8) as usize;
        // (name, stops?, boot script?)
        let mut scripts: Vec<(String, bool, bool)> = Vec::new();
        // Scripts named by another's X-Start-Before or X-Stop-After.
        let mut named_before_after: Vec<String> = Vec::new();
        let (ours, theirs) = (Tree::new(), Tree::new());
        for i in 0..count {
            let boot = rng.below(3) == 0;
            let start = if boot {
                "S"
            } else if rng.below(3) == 0 {
                "2 3"
            } else {
                "2 3 4 5"
            };
            let stop = ["", "0 6", "0 1 6"][rng.below(3) as usize];
            let name = format!("s{round}x{i}");
            let mut required = Vec::new();
            let mut should = Vec::new();
            let mut required_stop = Vec::new();
            for (other, other_stops, other_boot) in &scripts {
                // Boot scripts only depend on boot scripts.
                if boot && !other_boot {
                    continue;
                }
                match rng.below(6) {
                    0 => required.push(other.clone()),
                    1 => should.push(other.clone()),
                    _ => {}
                }
                if !stop.is_empty() && *other_stops && rng.below(5) == 0 {
                    required_stop.push(other.clone());
                }
            }
            if rng.below(4) == 0 {
                should.push("$syslog".into());
                should.push("not-installed".into());
            }
            if !boot && rng.below(4) == 0 {
                required.push("$remote_fs".into());
            }
            // A script naming an earlier one in X-Start-Before (X-Stop-After) has no
            // start (stop) dependencies of its own, so that no loop can close.
            let mut extra = String::new();
            if let Some((other, other_stops, other_boot)) = scripts.get(rng.below(8) as usize) {
                if *other_boot == boot && rng.below(2) == 0 {
                    required.clear();
                    should.clear();
                    extra.push_str(&format!("# X-Start-Before: {other}\n"));
                    named_before_after.push(other.clone());
                }
                if !stop.is_empty() && *other_stops && rng.below(3) == 0 {
                    required_stop.clear();
                    extra.push_str(&format!("# X-Stop-After: {other}\n"));
                    named_before_after.push(other.clone());
                }
            }
            let text = format!(
                "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n# Required-Start: {}\n# Required-Stop: {}\n# Should-Start: {}\n{extra}# Default-Start: {start}\n# Default-Stop: {stop}\n### END INIT INFO\n",
                required.join(" "),
                required_stop.join(" "),
                should.join(" ")
            );
            ours.add_script(&name, text.as_bytes());
            theirs.add_script(&name, text.as_bytes());
            scripts.push((name, !stop.is_empty(), boot));
        }
        for (name, _, _) in &scripts {
            same_as_insserv(&ours, &theirs, &[name, "defaults"]);
        }
        // Two scripts go away, postrm style; the others are renumbered without them.
        // (Not one named in X-Start-Before/X-Stop-After: insserv's walk through the
        // links of a vanished script depends on directory order, see update-rc.d(8).)
        for _ in 0..2 {
            let index = rng.below(scripts.len() as u64) as usize;
            if named_before_after.contains(&scripts[index].0) {
                continue;
            }
            let (name, _, _) = scripts.remove(index);
            for tree in [&ours, &theirs] {
                fs::remove_file(tree.path(&format!("etc/init.d/{name}"))).unwrap();
            }
            same_as_insserv(&ours, &theirs, &[&name, "remove"]);
        }
    }
}
