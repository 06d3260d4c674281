//! `--help` and `--version` of every command, pinned by snapshots in `tests/snapshots/help/`
//! (`NAME--help.txt`: exit status, stdout, stderr). `VINIT_UPDATE_SNAPSHOTS=1` rewrites them;
//! then read the diff. `@VERSION@` in a snapshot stands for the crate's version.
//!
//! Each command runs from our staged install, chrooted into a throw-away root, as PID 1 of
//! a PID namespace of its own: halt and shutdown only print here, but were a bug to make
//! them act, reboot(2) would end that namespace and nothing else.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Tree, host_tool, text, tied_to_test};

/// Each command, by its installed path (and a `vinit` subcommand after it), with the
/// argument asked about.
const CASES: &[(&str, &str)] = &[
    ("/sbin/init", "--help"),
    ("/sbin/init", "--version"),
    ("/sbin/rc", "--help"),
    ("/sbin/rc", "--version"),
    ("/sbin/runlevel", "--help"),
    ("/sbin/runlevel", "--version"),
    ("/sbin/shutdown", "--help"),
    ("/sbin/shutdown", "--version"),
    ("/sbin/halt", "--help"),
    ("/sbin/halt", "--version"),
    ("/sbin/reboot", "--help"),
    ("/sbin/poweroff", "--help"),
    ("/usr/sbin/service", "--help"),
    ("/usr/sbin/service", "--version"),
    ("/usr/sbin/update-rc.d", "--help"),
    ("/usr/sbin/update-rc.d", "--version"),
    ("/sbin/telinit", "--help"),
    ("/sbin/vinit", "--help"),
    ("/sbin/vinit", "--version"),
    ("/sbin/vinit status", "--help"),
    ("/sbin/vinit blame", "--help"),
    ("/sbin/vinit plot", "--help"),
    ("/sbin/vinit check", "--help"),
    ("/sbin/vinit supervise", "--help"),
    ("/sbin/vinit unsupervise", "--help"),
];

/// The command line of a case.
fn argv<'a>(program: &'a str, arg: &'a str) -> Vec<&'a str> {
    program.split(' ').chain([arg]).collect()
}

#[test]
fn help_and_version_match_their_snapshots() {
    let tree = Tree::new();
    let update = std::env::var_os("VINIT_UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    for (program, arg) in CASES {
        let out = run_isolated(&tree, &argv(program, arg));
        let got = render(&out);
        let path = snapshot_path(program, arg);
        if update {
            fs::write(&path, got.replace(env!("CARGO_PKG_VERSION"), "@VERSION@"))
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            continue;
        }
        let want = fs::read_to_string(&path)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (VINIT_UPDATE_SNAPSHOTS=1 writes it)",
                    path.display()
                )
            })
            .replace("@VERSION@", env!("CARGO_PKG_VERSION"));
        if got != want {
            mismatches.push(format!(
                "{program} {arg}: want ({})\n{want}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Every command answers `--help` and `--version` with status 0 (service prints both on
/// stderr, as Debian's does; the others on stdout), and init's version keeps sysvinit's
/// line first, for the tools that parse it.
#[test]
fn help_and_version_exit_0() {
    let tree = Tree::new();
    for (program, arg) in CASES {
        let out = run_isolated(&tree, &argv(program, arg));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{program} {arg}: {}",
            render(&out)
        );
        let printed = if program.ends_with("/service") {
            &out.stderr
        } else {
            &out.stdout
        };
        assert!(!printed.is_empty(), "{program} {arg} prints something");
    }
    let init = run_isolated(&tree, &["/sbin/init", "--version"]);
    let version = text(&init.stdout);
    let mut lines = version.lines();
    assert_eq!(lines.next(), Some("SysV init version: 3.06"));
    assert!(
        lines.next().is_some_and(|l| l.starts_with("vinit ")),
        "{version}"
    );
    let help = text(&run_isolated(&tree, &["/sbin/init", "--help"]).stdout);
    assert!(help.contains("init --check [FILE]"), "{help}");
}

/// Every `--help` says which exit statuses the command uses.
#[test]
fn every_help_states_the_exit_status() {
    let tree = Tree::new();
    for (program, arg) in CASES.iter().filter(|(_, arg)| *arg == "--help") {
        let out = run_isolated(&tree, &argv(program, arg));
        let printed = text(if program.ends_with("/service") {
            &out.stderr
        } else {
            &out.stdout
        });
        assert!(
            printed.contains("Exit status: "),
            "{program} {arg}:\n{printed}"
        );
    }
}

/// The usage of halt agrees with halt(8): vinit ignores `-h`.
#[test]
fn halt_usage_says_h_is_ignored() {
    let page = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/halt.8"))
        .expect("read man/halt.8");
    assert!(
        page.contains("Accepted and ignored"),
        "halt.8 says -h is ignored"
    );
    let tree = Tree::new();
    let help = text(&run_isolated(&tree, &["/sbin/halt", "--help"]).stdout);
    assert!(help.contains("\t-h: ignored"), "{help}");
    assert!(!help.contains("standby"), "{help}");
}

fn snapshot_path(program: &str, arg: &str) -> PathBuf {
    let name = Path::new(program)
        .file_name()
        .expect("a program name")
        .to_string_lossy()
        .replace(' ', "-");
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/help")
        .join(format!("{name}{arg}.txt"))
}

/// Status, stdout and stderr as one text, the form of a snapshot.
fn render(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        out.status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string()),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// `argv` chrooted into `tree`, as PID 1 of a new PID namespace, with a clean environment.
fn run_isolated(tree: &Tree, argv: &[&str]) -> Output {
    tied_to_test(&host_tool("unshare"))
        .args(["--pid", "--fork", "--"])
        .arg(host_tool("chroot"))
        .arg(tree.path())
        .args(argv)
        .env_clear()
        .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
        .env("LANG", "C")
        .output()
        .expect("run unshare")
}
