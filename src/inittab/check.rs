//! `init --check [FILE]`: validate an inittab without touching the running
//! system (no FIFO, no signals, no utmp). A vinit extension.

use super::load::{FileText, read_file};
use super::{Diagnostic, Entry, default_level, load, omitted_message, parse};
use std::path::Path;

const DEFAULT_INITTAB: &str = "/etc/inittab";

/// Checks `FILE` (default `/etc/inittab`; for the default, `/etc/inittab.d`
/// too, exactly as init would read them). Prints each rejected line as
/// `FILE:LINE:COL: message` on stderr, or a one-line summary on stdout.
/// Exit status: 0 all lines valid, 1 a bad line or an unreadable file, 2
/// usage error.
pub fn check_main(args: Vec<String>) -> i32 {
    let program = args
        .first()
        .and_then(|name| Path::new(name).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "init".to_string());
    let files: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|arg| *arg != "--check")
        .collect();
    let report = match files.as_slice() {
        [] => check_system(Path::new("/")),
        [file] if file.as_str() == DEFAULT_INITTAB => check_system(Path::new("/")),
        [file] => check_file(Path::new(file.as_str())),
        _ => {
            eprintln!("Usage: {program} --check [FILE]");
            return 2;
        }
    };
    for diagnostic in &report.diagnostics {
        eprintln!("{diagnostic}");
    }
    if let Some(message) = omitted_message(report.omitted) {
        eprintln!("{message}");
    }
    for error in &report.errors {
        eprintln!("{program}: {error}");
    }
    for warning in &report.warnings {
        eprintln!("{program}: warning: {warning}");
    }
    if report.diagnostics.is_empty() && report.errors.is_empty() {
        println!("{}", report.summary);
        0
    } else {
        1
    }
}

/// What a check found.
struct Report {
    diagnostics: Vec<Diagnostic>,
    /// Rejected lines beyond those in `diagnostics`.
    omitted: usize,
    /// Unreadable files.
    errors: Vec<String>,
    /// Things init accepts but that are probably not meant (they do not fail
    /// the check).
    warnings: Vec<String>,
    summary: String,
}

/// `/etc/inittab` plus `/etc/inittab.d` under `root`, read by [`load`].
fn check_system(root: &Path) -> Report {
    let loaded = load(root);
    let inittab = root.join("etc/inittab");
    let mut errors: Vec<String> = loaded.read_error.into_iter().collect();
    if loaded.inittab_missing {
        errors.insert(
            0,
            format!(
                "cannot read {}: {}",
                inittab.display(),
                std::io::Error::from_raw_os_error(libc::ENOENT)
            ),
        );
    }
    let tab_files = loaded
        .notices
        .iter()
        .filter(|notice| notice.starts_with("Reading: "))
        .count();
    let mut summary = format!(
        "{}: OK, {} entries",
        inittab.display(),
        loaded.entries.len()
    );
    if tab_files > 0 {
        summary.push_str(&format!(" (with {tab_files} file(s) from /etc/inittab.d)"));
    }
    if loaded.sulogin_added {
        summary.push_str(&format!(", default ~~:S:wait:{} added", super::SULOGIN));
    }
    Report {
        warnings: warnings(&loaded.entries),
        diagnostics: loaded.diagnostics,
        omitted: loaded.omitted,
        errors,
        summary,
    }
}

/// One file on its own (no `inittab.d`, no default sulogin entry).
fn check_file(path: &Path) -> Report {
    let (text, errors) = match read_file(path) {
        FileText::Text(text) => (text, Vec::new()),
        FileText::Missing(error) | FileText::OpenFailed(error) | FileText::ReadFailed(error) => (
            Vec::new(),
            vec![format!("cannot read {}: {error}", path.display())],
        ),
    };
    let parsed = parse(&text, path, 1);
    Report {
        summary: format!("{}: OK, {} entries", path.display(), parsed.entries.len()),
        warnings: warnings(&parsed.entries),
        diagnostics: parsed.diagnostics,
        omitted: parsed.omitted,
        errors,
    }
}

/// Accepted but suspicious: an invalid initdefault, a lowercase `s` in a
/// runlevels field (never matches: sysvinit quirk), runlevels given for
/// sysinit/boot/bootwait (ignored).
fn warnings(entries: &[Entry]) -> Vec<String> {
    let mut warnings: Vec<String> = default_level(entries).message().into_iter().collect();
    for entry in entries {
        let place = format!("{}:{}", entry.location.file.display(), entry.location.line);
        if entry.runlevels.contains('s') {
            warnings.push(format!(
                "{place}: lowercase 's' in the runlevels field never matches single-user mode; write 'S'"
            ));
        }
        if matches!(
            entry.action,
            super::Action::Sysinit | super::Action::Boot | super::Action::Bootwait
        ) && !entry.runlevels.is_empty()
        {
            warnings.push(format!(
                "{place}: the runlevels field of a {} entry is ignored",
                entry.action
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests;
