//! Tests of `load`: inittab, the default sulogin entry and inittab.d
//! (docs/compatibility.md §1.1, §1.6, §3.8, §6).

use super::*;
use crate::filesystem::FileSystem;
use crate::inittab::Action;
use std::fs;
use tempfile::TempDir;

/// The configuration under `root`, from the real files.
fn load(root: &Path) -> Loaded {
    super::load(&FileSystem, root)
}

/// A root directory with `etc/inittab` (if given) and `etc/inittab.d` files.
fn root(inittab: Option<&str>, tab_files: Option<&[(&str, &str)]>) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir(dir.path().join("etc")).expect("etc");
    if let Some(text) = inittab {
        fs::write(dir.path().join("etc/inittab"), text).expect("inittab");
    }
    if let Some(files) = tab_files {
        fs::create_dir(dir.path().join("etc/inittab.d")).expect("inittab.d");
        for (name, text) in files {
            fs::write(dir.path().join("etc/inittab.d").join(name), text).expect("tab file");
        }
    }
    dir
}

fn ids(loaded: &Loaded) -> Vec<&str> {
    loaded.entries.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn missing_inittab_gives_notices_and_the_sulogin_entry() {
    let dir = root(None, None);
    let loaded = load(dir.path());
    assert!(loaded.inittab_missing);
    assert_eq!(loaded.read_error, None);
    assert_eq!(
        loaded.notices,
        ["No inittab file found", "No inittab.d directory found"]
    );
    assert_eq!(loaded.log, loaded.notices);
    assert!(loaded.sulogin_added);
    let [sulogin] = loaded.entries.as_slice() else {
        panic!("{:?}", loaded.entries);
    };
    assert_eq!(
        (
            sulogin.id.as_str(),
            sulogin.runlevels.as_str(),
            sulogin.action,
            sulogin.process.as_str()
        ),
        ("~~", "S", Action::Wait, "/sbin/sulogin")
    );
    assert_eq!(sulogin.location.sysv_line, 1);
    assert_eq!(sulogin.location.file, dir.path().join("etc/inittab"));
}

#[test]
fn an_uppercase_s_entry_suppresses_the_default_sulogin() {
    let dir = root(
        Some("~~:S:wait:/sbin/sulogin --force\nl2:2:wait:/sbin/rc 2\n"),
        Some(&[]),
    );
    let loaded = load(dir.path());
    assert!(!loaded.sulogin_added);
    assert_eq!(ids(&loaded), ["~~", "l2"]);
    assert!(loaded.notices.is_empty());
    assert!(loaded.diagnostics.is_empty() && loaded.read_error.is_none());
    // Any entry whose effective runlevels contain S counts, e.g. a power
    // entry with an empty field (S0123456789) or "2S".
    for text in ["pf::powerfail:/x\n", "x:2S:wait:/x\n"] {
        let dir = root(Some(text), Some(&[]));
        assert!(!load(dir.path()).sulogin_added, "{text}");
    }
}

#[test]
fn lowercase_s_and_boot_phases_do_not_count_as_single_user_entries() {
    // Quirk §1.4 replicated: lowercase 's' is not normalised.
    for text in [
        "x:s:wait:/x\n",
        "si:S:sysinit:/x\n",
        "b:S:bootwait:/x\n",
        "x::wait:/x\n",
    ] {
        let dir = root(Some(text), Some(&[]));
        let loaded = load(dir.path());
        assert!(loaded.sulogin_added, "{text}");
        let last = loaded.entries.last().expect("sulogin");
        assert_eq!(last.id, "~~");
        assert_eq!(last.location.sysv_line, 2);
    }
}

#[test]
fn inittab_d_is_read_sorted_with_the_first_line_of_each_file() {
    let dir = root(
        Some("# main\nl2:2:wait:/sbin/rc 2\n"),
        Some(&[
            (
                "b.tab",
                "# comment\n\n  b1:2:respawn:/b\nb2:2:respawn:/ignored\n",
            ),
            ("a.tab", "a1:3:once:/a\n"),
            ("c.txt", "c1:2:once:/c\n"),
            (".tab", "d1:2:once:/d\n"),
            ("e.tabs", "e1:2:once:/e\n"),
            ("z.TAB", "z1:2:once:/z\n"),
        ]),
    );
    let loaded = load(dir.path());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    // inittab (2 lines), sulogin (line 3), a.tab (4), b.tab (5).
    assert_eq!(ids(&loaded), ["l2", "~~", "a1", "b1"]);
    let sysv: Vec<usize> = loaded
        .entries
        .iter()
        .map(|e| e.location.sysv_line)
        .collect();
    assert_eq!(sysv, [2, 3, 4, 5]);
    let b1 = &loaded.entries[3];
    assert_eq!(b1.location.file, dir.path().join("etc/inittab.d/b.tab"));
    assert_eq!(b1.location.line, 3, "physical line inside b.tab");
    assert_eq!(
        loaded.notices,
        [
            "Reading: /etc/inittab.d/a.tab",
            "Reading: /etc/inittab.d/b.tab"
        ]
    );
}

#[test]
fn the_sulogin_decision_is_made_before_inittab_d() {
    // sysvinit 3.06 considers the default entry when /etc/inittab ends, so
    // an S entry from inittab.d does not suppress it (docs/compatibility.md §1.6 order).
    let dir = root(
        Some("l2:2:wait:/x\n"),
        Some(&[("s.tab", "su:S:wait:/sbin/sulogin\n")]),
    );
    let loaded = load(dir.path());
    assert_eq!(ids(&loaded), ["l2", "~~", "su"]);
}

#[test]
fn inittab_d_errors_name_the_file_and_continue_the_counter() {
    let dir = root(
        Some("1:2:respawn:/sbin/getty tty1\n~~:S:wait:/sbin/sulogin\n\n"),
        Some(&[
            ("a.tab", "#\n1:3:respawn:/dup\n"),
            ("b.tab", "   bad\n"),
            ("c.tab", "# only comments\n\n"),
            ("d.tab", ""),
            ("e.tab", "   "),
            ("f.tab", "~~:S:wait:/other\n"),
            ("g.tab", "g:2:wait:/g\n"),
        ]),
    );
    let loaded = load(dir.path());
    let found: Vec<(String, usize, usize, usize, &str)> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let name = d
                .file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, d.line, d.column, d.sysv_line, d.message.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [
            ("a.tab".to_string(), 2, 1, 4, "duplicate ID field \"1\""),
            ("b.tab".to_string(), 1, 7, 5, "missing action field"),
        ]
    );
    // c.tab (all comments) still counts a line; d.tab (empty) and e.tab
    // (blanks only, no newline) are skipped without counting.
    let f = &loaded.entries[2];
    assert_eq!(
        (f.id.as_str(), f.process.as_str(), f.location.sysv_line),
        ("~~", "/other", 7)
    );
    assert_eq!(loaded.entries[3].location.sysv_line, 8);
    assert_eq!(
        loaded.log,
        [
            "Reading: /etc/inittab.d/a.tab",
            "/etc/inittab[4]: duplicate ID field \"1\"",
            "Reading: /etc/inittab.d/b.tab",
            "/etc/inittab[5]: missing action field",
            "Reading: /etc/inittab.d/c.tab",
            "Reading: /etc/inittab.d/d.tab",
            "Reading: /etc/inittab.d/e.tab",
            "Reading: /etc/inittab.d/f.tab",
            "Reading: /etc/inittab.d/g.tab",
        ]
    );
}

#[test]
fn the_log_keeps_sysvinit_order() {
    let dir = root(Some("bad\nx:2:wait:/x\n"), None);
    let loaded = load(dir.path());
    assert_eq!(
        loaded.log,
        [
            "No inittab.d directory found",
            "/etc/inittab[1]: missing action field"
        ]
    );
}

#[test]
fn a_long_first_line_in_a_tab_file_is_cut_to_one_piece() {
    let long = format!("t:2:wait:/{}\n", "x".repeat(300));
    let dir = root(Some("~~:S:wait:/s\n"), Some(&[("t.tab", &long)]));
    let loaded = load(dir.path());
    assert_eq!(
        loaded.diagnostics[0].message,
        "process field too long (max 127 characters)"
    );
    assert_eq!(loaded.diagnostics[0].sysv_line, 2);
    assert_eq!(
        loaded.diagnostics.len(),
        1,
        "the rest of the file is not read"
    );
}

#[test]
fn unreadable_files_are_reported_and_skipped() {
    // /etc/inittab is a directory.
    let dir = root(None, Some(&[("a.tab", "a:2:wait:/a\n")]));
    fs::create_dir(dir.path().join("etc/inittab")).expect("dir");
    let loaded = load(dir.path());
    let error = loaded.read_error.clone().expect("read error");
    assert!(error.contains("etc/inittab"), "{error}");
    assert!(!loaded.inittab_missing);
    assert_eq!(ids(&loaded), ["~~", "a"]);

    // A FIFO named like a tab file must not block init.
    let dir = root(Some("~~:S:wait:/s\n"), Some(&[("b.tab", "b:2:wait:/b\n")]));
    nix::unistd::mkfifo(
        &dir.path().join("etc/inittab.d/a.tab"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("mkfifo");
    fs::create_dir(dir.path().join("etc/inittab.d/c.tab")).expect("dir");
    let loaded = load(dir.path());
    assert_eq!(ids(&loaded), ["~~", "b"]);
    let error = loaded.read_error.expect("read error");
    assert!(
        error.contains("a.tab") && error.contains("not a regular file"),
        "{error}"
    );
}

#[test]
fn garbage_files_never_panic() {
    let mut seed = 0x1234_5678_9abc_def1u64;
    for round in 0..40 {
        let mut bytes = Vec::new();
        for _ in 0..(round * 37 % 700) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(b"::\n#@+ S\0\xffa1"[(seed % 12) as usize]);
        }
        let dir = root(None, Some(&[]));
        fs::write(dir.path().join("etc/inittab"), &bytes).expect("inittab");
        fs::write(dir.path().join("etc/inittab.d/x.tab"), &bytes).expect("tab");
        let loaded = load(dir.path());
        // Each counted line yields at most one entry or one diagnostic.
        let mut lines: Vec<usize> = loaded
            .entries
            .iter()
            .map(|e| e.location.sysv_line)
            .chain(loaded.diagnostics.iter().map(|d| d.sysv_line))
            .collect();
        let count = lines.len();
        lines.sort();
        lines.dedup();
        assert_eq!(lines.len(), count, "{bytes:?}");
        assert!(lines.iter().all(|&line| line >= 1));
    }
}

#[test]
fn kernel_consoles_are_added_after_inittab_d() {
    let dir = root(
        Some("S0:2345:respawn:/sbin/getty ttyS0\n"),
        Some(&[("a.tab", "a:2:wait:/a\n")]),
    );
    fs::create_dir(dir.path().join("proc")).expect("proc");
    fs::write(
        dir.path().join("proc/cmdline"),
        "root=/dev/vda1 console=ttyS0 console=ttyS1,115200 init.autocon=1\n",
    )
    .expect("cmdline");
    let loaded = load(dir.path());
    assert_eq!(ids(&loaded), ["S0", "~~", "a", "S1"]);
    assert_eq!(
        loaded.notices.last().map(String::as_str),
        Some("added agetty on ttyS1 with id S1")
    );
}

/// The same files were given to Debian's sysvinit 3.06 running as PID 1 of
/// a PID namespace (console on a pty); it printed, after `version 3.06
/// booting`:
///
/// ```text
/// /etc/inittab[3]: duplicate ID field "a"
/// /etc/inittab[4]: missing action field
/// /etc/inittab[5]: id field too long (max 4 characters)
/// /etc/inittab[6]: process field too long (max 127 characters)
/// /etc/inittab[7]: id field too long (max 4 characters)
/// /etc/inittab[8]: bogus: unknown action field
/// /etc/inittab[9]: missing action field
/// /etc/inittab[10]: missing process field
/// Reading: /etc/inittab.d/u.tab
/// Reading: /etc/inittab.d/t.tab
/// /etc/inittab[13]: missing action field
/// ```
///
/// (the sulogin line is 11). We read `inittab.d` sorted, so t.tab comes
/// first and gets 12 — the one deliberate difference.
#[test]
fn matches_the_messages_observed_from_sysvinit() {
    let mut inittab = b"id:2:initdefault:\n  a:2:once:/bin/echo FROM-a1\na:2:once:/bin/echo FROM-a2\n\r\nbad line without colons\n".to_vec();
    inittab.extend(b"b:2:once:/");
    inittab.extend([b'x'; 300]);
    inittab.extend(b"\nzz:2:bogus:/x\nabc\nx:2:wait\n");
    let dir = root(
        None,
        Some(&[
            ("t.tab", "# c\nbad\n"),
            ("u.tab", "su:S:wait:/bin/echo FROM-su\n"),
        ]),
    );
    fs::write(dir.path().join("etc/inittab"), &inittab).expect("inittab");
    let loaded = load(dir.path());
    assert_eq!(
        loaded.log,
        [
            "/etc/inittab[3]: duplicate ID field \"a\"",
            "/etc/inittab[4]: missing action field",
            "/etc/inittab[5]: id field too long (max 4 characters)",
            "/etc/inittab[6]: process field too long (max 127 characters)",
            "/etc/inittab[7]: id field too long (max 4 characters)",
            "/etc/inittab[8]: bogus: unknown action field",
            "/etc/inittab[9]: missing action field",
            "/etc/inittab[10]: missing process field",
            "Reading: /etc/inittab.d/t.tab",
            "/etc/inittab[12]: missing action field",
            "Reading: /etc/inittab.d/u.tab",
        ]
    );
    assert_eq!(ids(&loaded), ["id", "a", "~~", "su"]);
    assert!(!loaded.diagnostics.is_empty() || loaded.read_error.is_some());
}

/// Observed from sysvinit 3.06 too: a `.tab` file whose first line is
/// `bad3\n` gives `id field too long (max 4 characters)` (the newline
/// counts), and a file of only comments still takes a line number.
#[test]
fn tab_file_quirks_observed_from_sysvinit() {
    let dir = root(
        Some("x:s:wait:/bin/echo lower\n"),
        Some(&[("a2.tab", "# only\n#comments\n"), ("a3.tab", "bad3\n")]),
    );
    let loaded = load(dir.path());
    // inittab 1, sulogin 2 (lowercase s does not count), a2.tab 3, a3.tab 4.
    assert_eq!(
        loaded.log,
        [
            "Reading: /etc/inittab.d/a2.tab",
            "Reading: /etc/inittab.d/a3.tab",
            "/etc/inittab[4]: id field too long (max 4 characters)",
        ]
    );
}

#[test]
fn an_inittab_larger_than_the_limit_is_not_read() {
    // A sparse 1 GiB file: refused from its size, without reading it.
    let dir = root(None, Some(&[("a.tab", "a:2:wait:/a\n")]));
    let inittab = dir.path().join("etc/inittab");
    let file = fs::File::create(&inittab).expect("inittab");
    file.set_len(1 << 30).expect("sparse file");
    let loaded = load(dir.path());
    let error = loaded.read_error.clone().expect("read error");
    assert_eq!(
        error,
        format!(
            "cannot read {}: larger than 4194304 bytes (4 MiB), the most init reads of a configuration file",
            inittab.display()
        )
    );
    assert!(!loaded.diagnostics.is_empty() || loaded.read_error.is_some());
    assert!(!loaded.inittab_missing);
    // Nothing of it is used: as for an unreadable file, the default sulogin
    // entry is added and inittab.d is read.
    assert_eq!(ids(&loaded), ["~~", "a"]);
    assert!(loaded.diagnostics.is_empty());

    // Exactly the limit is read: a long comment line, then an entry.
    let mut text = vec![b'#'; MAX_FILE_BYTES as usize - 11];
    text.extend_from_slice(b"\nb:2:once:\n");
    fs::write(&inittab, text).expect("inittab");
    let loaded = load(dir.path());
    assert!(loaded.read_error.is_none(), "{:?}", loaded.read_error);
    assert_eq!(ids(&loaded), ["b", "~~", "a"]);
    // One byte more is not.
    fs::OpenOptions::new()
        .append(true)
        .open(&inittab)
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"\n"))
        .expect("append");
    assert!(load(dir.path()).read_error.is_some());
    // The same limit for an inittab.d file.
    let tab = dir.path().join("etc/inittab.d/big.tab");
    fs::File::create(&tab)
        .and_then(|file| file.set_len(MAX_FILE_BYTES + 1))
        .expect("big tab file");
    fs::write(&inittab, "b:2:once:\n").expect("inittab");
    let loaded = load(dir.path());
    let error = loaded.read_error.clone().expect("read error");
    assert!(error.contains("big.tab: larger than"), "{error}");
    assert_eq!(ids(&loaded), ["b", "~~", "a"]);
}

#[test]
fn a_junk_inittab_keeps_only_the_first_diagnostics() {
    let dir = root(Some(&"junk\n".repeat(1000)), None);
    let loaded = load(dir.path());
    assert_eq!(
        loaded.diagnostics.len(),
        crate::inittab::parse::MAX_DIAGNOSTICS
    );
    assert_eq!(loaded.omitted, 900);
    assert_eq!(
        loaded.log.last().map(String::as_str),
        Some("... and 900 more rejected line(s), not shown")
    );
}

#[test]
fn a_busybox_inittab_is_read_alone_in_busyboxs_grammar() {
    let dir = root(
        Some("::sysinit:/etc/init.d/rcS\nconsole::respawn:/sbin/getty -L console 0 vt100\nbad\n"),
        Some(&[("x.tab", "x:2:respawn:/x\n")]),
    );
    fs::create_dir_all(dir.path().join("proc")).expect("proc");
    fs::write(
        dir.path().join("proc/cmdline"),
        "init.autocon=1 console=ttyS0\n",
    )
    .expect("cmdline");
    let loaded = load(dir.path());
    assert_eq!(loaded.grammar, crate::inittab::Grammar::BusyBox);
    // No inittab.d, no default sulogin, no kernel console getty.
    assert_eq!(ids(&loaded), ["", "console"]);
    assert_eq!(loaded.entries_read, 2);
    assert!(!loaded.sulogin_added && loaded.notices.is_empty());
    let inittab = dir.path().join("etc/inittab");
    assert_eq!(
        loaded.log,
        [format!(
            "{}:3:4: missing runlevels field",
            inittab.display()
        )]
    );
    assert_eq!(loaded.entries[1].action, Action::Respawn);
}
