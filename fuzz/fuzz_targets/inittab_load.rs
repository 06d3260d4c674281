//! The whole configuration read (`inittab::load` on the real files) from a root holding the
//! fuzzer's files: `/etc/inittab`, `/proc/cmdline` (init.autocon consoles)
//! and up to eight `/etc/inittab.d/*.tab` files, the input split on 0xFF
//! bytes in that order. Never panics, and ids stay unique apart from `~~`
//! (in BusyBox's grammar: ttys and commands together).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;
use vinit::filesystem::FileSystem;
use vinit::inittab::{Grammar, load};

const TAB_FILES: usize = 8;

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        // Memory-backed where there is such a file system: the target writes files on
        // every run.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        };
        let dir = dir.expect("temporary directory").keep();
        fs::create_dir_all(dir.join("etc/inittab.d")).expect("etc/inittab.d");
        fs::create_dir_all(dir.join("proc")).expect("proc");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let root = root();
    let mut parts = data.split(|&b| b == 0xFF);
    let inittab = parts.next().unwrap_or_default();
    fs::write(root.join("etc/inittab"), inittab).expect("write inittab");
    let cmdline = parts.next().unwrap_or_default();
    fs::write(root.join("proc/cmdline"), cmdline).expect("write cmdline");
    for n in 0..TAB_FILES {
        let path = root.join(format!("etc/inittab.d/{n:02}.tab"));
        match parts.next() {
            Some(text) => fs::write(&path, text).expect("write tab file"),
            None => {
                let _ = fs::remove_file(&path);
            }
        }
    }

    let loaded = load(&FileSystem, root);
    if loaded.grammar == Grammar::BusyBox {
        let mut entries = HashSet::new();
        for entry in &loaded.entries {
            let tty = entry.id.strip_prefix("/dev/").unwrap_or(&entry.id);
            assert!(
                entry.id.contains('\u{FFFD}')
                    || entry.process.contains('\u{FFFD}')
                    || entries.insert((tty.to_string(), entry.process.clone())),
                "duplicate entry {:?} {:?}",
                entry.id,
                entry.process
            );
        }
        assert!(!loaded.sulogin_added);
        return;
    }
    let mut ids = HashSet::new();
    for entry in &loaded.entries {
        // Ids are checked as bytes (as sysvinit does) but stored lossily: two ids
        // that differ only in bytes that are not UTF-8 both read U+FFFD there.
        assert!(
            entry.id == "~~" || entry.id.contains('\u{FFFD}') || ids.insert(entry.id.clone()),
            "duplicate id {:?}",
            entry.id
        );
    }
    if loaded.sulogin_added {
        assert!(
            loaded
                .entries
                .iter()
                .any(|e| e.id == "~~" && e.process == "/sbin/sulogin")
        );
    }
});
