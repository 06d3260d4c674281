//! The man pages of `man/`: `mandoc -T lint -W style` finds nothing (dates that parse, no
//! empty paragraphs, no unknown macros, no input line over 80 bytes), and every page has
//! EXAMPLES and SEE ALSO.
//! (`make test` installs mandoc.)

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{describe, host_tool};

/// Every page in `man/`, `*.5` and `*.8`.
fn pages() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut pages: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "5" || ext == "8"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 9, "the man pages are in man/: {pages:?}");
    pages
}

#[test]
fn mandoc_lint_finds_nothing_down_to_style() {
    let mut complaints = Vec::new();
    for page in pages() {
        let out = Command::new(host_tool("mandoc"))
            .args(["-T", "lint", "-W", "style"])
            .arg(&page)
            .output()
            .expect("run mandoc");
        if !out.status.success() || !out.stdout.is_empty() || !out.stderr.is_empty() {
            complaints.push(format!("{}: {}", page.display(), describe(&out)));
        }
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

#[test]
fn every_page_has_examples_and_see_also() {
    let mut missing = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        let sections: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_prefix(".SH "))
            .map(|title| title.trim().trim_matches('"').to_string())
            .collect();
        for wanted in ["EXAMPLES", "SEE ALSO"] {
            if !sections.iter().any(|s| s == wanted) {
                missing.push(format!("{}: no {wanted} section", page.display()));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
