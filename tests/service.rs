//! `service` (docs/compatibility.md §9) run for real inside a chroot of a harness root with busybox, against
//! the `rc.d/` examples and small recording scripts; and side by side with Debian's own
//! `/usr/sbin/service` (init-system-helpers, fetched with `apt-get download`, never
//! installed) on the same scripts.
//!
//! Each check runs its commands in one `sh -c` inside a fresh PID namespace
//! (`unshare --pid --fork --kill-child`), so a daemon an example starts cannot outlive it.

mod common;
use common::debian_pkg;
use common::{describe, text};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use common::ns::TestRoot;

const SCRUBBED: [&str; 17] = [
    "LANG",
    "LANGUAGE",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
    "LC_ALL",
    "PATH",
    "TERM",
];

/// The examples of `rc.d/` in the root's `/etc/init.d`, as rc.d/README says.
fn root_with_examples() -> TestRoot {
    let root = TestRoot::new();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("rc.d");
    for entry in std::fs::read_dir(&examples).expect("read rc.d") {
        let path = entry.expect("rc.d entry").path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read(&path).unwrap();
        if name == "README" {
            root.write(&format!("etc/init.d/{name}"), text);
        } else {
            root.write_exec(&format!("etc/init.d/{name}"), text);
        }
    }
    root
}

/// Runs `script` with busybox sh inside the root, in a PID namespace of its own, with
/// exactly the environment `env` (`NAME=value` strings).
fn sh_in_root(root: &TestRoot, env: &[&str], script: &str) -> Output {
    let mut cmd = Command::new(common::host_tool("unshare"));
    cmd.args(["--pid", "--fork", "--kill-child", "--"])
        .arg(common::host_tool("chroot"))
        .arg(root.path())
        .args(["/bin/sh", "-c", script])
        .env_clear();
    for pair in env {
        let (name, value) = pair.split_once('=').expect("NAME=value");
        cmd.env(name, value);
    }
    cmd.output().expect("run unshare chroot")
}

const BASE_ENV: &[&str] = &["PATH=/usr/sbin:/sbin:/bin:/usr/bin"];

/// A script that prints its environment (one `NAME=value` per line, sorted), its
/// arguments and working directory, and exits with `$EXIT_WITH` or 42.
const ENV_DUMP: &str = r#"#!/bin/sh
env | sort
echo "cwd=$(pwd)"
echo "argc=$#"
for a in "$@"; do echo "arg=<$a>"; done
exit 42
"#;

/// A script that appends each action to /tmp/actions and exits with a code per action.
const RECORDER: &str = r#"#!/bin/sh
echo "$1" >>/tmp/actions
case "$1" in
stop) exit 5 ;;
start) exit 7 ;;
status) echo "recorder fine"; exit 0 ;;
esac
"#;

#[test]
fn status_all_marks_running_stopped_and_unknown() {
    let root = root_with_examples();
    let out = sh_in_root(
        &root,
        BASE_ENV,
        "service exampled start >/dev/null && service netdummy start >/dev/null \
         && service --status-all; rc=$?; service exampled stop >/dev/null; exit $rc",
    );
    assert!(out.status.success(), "{}", describe(&out));
    // Glob (byte) order, README skipped; legacy-example answers status with its usage.
    assert_eq!(
        text(&out.stdout),
        " [ - ]  early-example\n [ + ]  exampled\n [ - ]  hostname-example\n \
         [ - ]  local-example\n [ + ]  netdummy\n [ - ]  webdummy\n",
        "{}",
        describe(&out)
    );
    assert_eq!(text(&out.stderr), " [ ? ]  legacy-example\n");
}

#[test]
fn status_all_needs_output_and_skips_what_debian_skips() {
    let root = TestRoot::new();
    // Exit 0 but silent is "not running"; non-executables and the skip list are not run.
    root.write_exec("etc/init.d/silent", "#!/bin/sh\nexit 0\n");
    root.write_exec("etc/init.d/talker", "#!/bin/sh\necho fine\n");
    root.write("etc/init.d/plainfile", "#!/bin/sh\necho never\n");
    for skipped in ["rc", "rcS", "skeleton", "halt", "x.dpkg-old"] {
        root.write_exec(
            &format!("etc/init.d/{skipped}"),
            "#!/bin/sh\necho ran >>/tmp/skipped-ran\necho running\n",
        );
    }
    let out = sh_in_root(&root, BASE_ENV, "service --status-all");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout), " [ - ]  silent\n [ + ]  talker\n");
    assert!(!root.join("tmp/skipped-ran").exists());
}

#[test]
fn script_sees_only_the_seventeen_variables() {
    let root = TestRoot::new();
    root.write_exec("etc/init.d/envdump", ENV_DUMP);
    let env = [
        "PATH=/usr/sbin:/sbin:/bin:/usr/bin",
        "LANG=C.UTF-8",
        "LC_TIME=POSIX",
        "TERM=vt100",
        "HOME=/root",
        "SECRET=do-not-pass",
        "LD_PRELOAD=",
    ];
    let out = sh_in_root(&root, &env, "cd /tmp && service envdump start 'two words'");
    assert_eq!(out.status.code(), Some(42), "{}", describe(&out));
    let stdout = text(&out.stdout);
    let vars: BTreeMap<&str, &str> = stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(name, _)| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    // busybox sh adds PWD and SHLVL itself.
    let shell_added = ["PWD", "SHLVL"];
    let passed: Vec<&str> = vars
        .keys()
        .copied()
        .filter(|n| !shell_added.contains(n))
        .collect();
    let mut expected = SCRUBBED.to_vec();
    expected.sort();
    assert_eq!(passed, expected, "{stdout}");
    assert_eq!(vars["LANG"], "C.UTF-8");
    assert_eq!(vars["LC_TIME"], "POSIX");
    assert_eq!(vars["TERM"], "vt100");
    assert_eq!(vars["PATH"], "/usr/sbin:/sbin:/bin:/usr/bin");
    assert_eq!(vars["LC_ALL"], "", "unset variables are passed empty");
    // `cd /` first; COMMAND and OPTIONS are split into words.
    assert!(stdout.contains("cwd=/\n"), "{stdout}");
    assert!(
        stdout.contains("argc=3\narg=<start>\narg=<two>\narg=<words>\n"),
        "{stdout}"
    );
}

#[test]
fn missing_command_runs_the_script_without_arguments() {
    let root = TestRoot::new();
    root.write_exec("etc/init.d/envdump", ENV_DUMP);
    let out = sh_in_root(&root, BASE_ENV, "service envdump");
    assert_eq!(out.status.code(), Some(42), "{}", describe(&out));
    assert!(text(&out.stdout).contains("argc=0\n"), "{}", describe(&out));
}

#[test]
fn unknown_or_non_executable_script_is_unrecognized() {
    let root = TestRoot::new();
    root.write("etc/init.d/notexec", "#!/bin/sh\necho ran\n");
    for name in ["nosuch", "notexec"] {
        let out = sh_in_root(&root, BASE_ENV, &format!("service {name} start"));
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert_eq!(text(&out.stderr), format!("{name}: unrecognized service\n"));
        assert_eq!(text(&out.stdout), "");
    }
}

#[test]
fn exit_status_is_the_scripts() {
    let root = root_with_examples();
    let out = sh_in_root(
        &root,
        BASE_ENV,
        "service exampled status; echo \"stopped=$?\"; \
         service exampled start >/dev/null; service exampled start; echo \"again=$?\"; \
         service exampled status; echo \"running=$?\"; \
         service exampled stop >/dev/null; service exampled stop; echo \"stop-again=$?\"; \
         service exampled frobnicate; echo \"bad=$?\"",
    );
    let stdout = text(&out.stdout);
    for expected in [
        "exampled is not running\nstopped=3\n",
        "again=0\n",
        "running=0\n",
        "stop-again=0\n",
        "bad=3\n",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?}\n{}",
            describe(&out)
        );
    }
    assert!(text(&out.stderr).contains("Usage: /etc/init.d/exampled {start|stop|"));
}

#[test]
fn full_restart_is_stop_then_start_with_starts_status() {
    let root = TestRoot::new();
    root.write_exec("etc/init.d/recorder", RECORDER);
    let out = sh_in_root(&root, BASE_ENV, "service recorder --full-restart");
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    assert_eq!(root.read("tmp/actions"), "stop\nstart\n");
}

#[test]
fn usage_help_and_version() {
    let root = TestRoot::new();
    root.write_exec("etc/init.d/recorder", RECORDER);
    let usage = "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n";
    let out = sh_in_root(&root, BASE_ENV, "service");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), usage);
    // --help anywhere on the line wins, even after a service name; ours adds the exit
    // statuses to Debian's usage (service(8), DIFFERENCES).
    for args in ["--help", "-h", "--hello", "recorder start --help"] {
        let out = sh_in_root(&root, BASE_ENV, &format!("service {args}"));
        assert_eq!(out.status.code(), Some(0), "{args}: {}", describe(&out));
        let help = text(&out.stderr);
        assert!(
            help.starts_with(&format!("{usage}\nExit status: the script's;")),
            "{args}: {help}"
        );
    }
    for args in ["--version", "-V"] {
        let out = sh_in_root(&root, BASE_ENV, &format!("service {args}"));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stderr), "service ver. 1.65.2+deb12u1\n");
    }
    assert!(!root.join("tmp/actions").exists(), "no script ran");
    assert!(!root.join("run/systemd").exists());
}

/// The same invocations through Debian's script and ours give the same output and status
/// (the version string aside: ours prints bookworm's text, docs/compatibility.md §9; and
/// `--help`, to which ours adds the exit statuses).
#[test]
fn same_results_as_debians_service() {
    let root = root_with_examples();
    root.write_exec("etc/init.d/envdump", ENV_DUMP);
    root.write_exec("etc/init.d/recorder", RECORDER);
    root.write("etc/init.d/notexec", "#!/bin/sh\n");
    root.write_exec(
        "usr/sbin/service.debian",
        std::fs::read(debian_pkg::unpacked("init-system-helpers").join("usr/sbin/service"))
            .expect("read Debian's service"),
    );
    let cases = [
        "",
        "--status-all",
        "envdump",
        "envdump start 'two words' three",
        "envdump '' start",
        "recorder --full-restart",
        "a recorder --full-restart",
        "nosuch start",
        "notexec",
        "--full-restart",
        "--status-all extra",
        "exampled status",
    ];
    let env = ["PATH=/usr/sbin:/sbin:/bin:/usr/bin", "LANG=C", "FOO=bar"];
    for case in cases {
        let run = |program: &str| {
            let _ = std::fs::remove_file(root.join("tmp/actions"));
            let out = sh_in_root(&root, &env, &format!("{program} {case}"));
            let actions = std::fs::read_to_string(root.join("tmp/actions")).unwrap_or_default();
            // The programs' own names differ; compare what they say about the rest.
            let normalize = |b: &[u8]| text(b).replace("service.debian", "service");
            (
                out.status.code(),
                normalize(&out.stdout),
                normalize(&out.stderr),
                actions,
            )
        };
        assert_eq!(
            run("service"),
            run("/usr/sbin/service.debian"),
            "service {case}"
        );
    }
}

/// The examples enabled with our update-rc.d and run by our rc (boot, runlevel 2, then
/// runlevel 0), all in a PID namespace: they start and stop in dependency order and
/// `service --status-all` reports them.
#[test]
fn examples_boot_and_halt_in_dependency_order() {
    let root = TestRoot::new();
    root.install_examples();
    let out = sh_in_root(
        &root,
        BASE_ENV,
        "set -e
         for s in hostname-example netdummy exampled webdummy early-example local-example legacy-example; do
             update-rc.d $s defaults
         done
         PREVLEVEL=N rc S >/dev/null 2>&1
         PREVLEVEL=N rc 2 >/dev/null 2>&1
         echo '--- up'
         service --status-all 2>&1
         PREVLEVEL=2 rc 0 >/dev/null 2>&1
         echo '--- down'
         service --status-all 2>&1",
    );
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    let (up, down) = stdout.split_once("--- down\n").expect("both listings");
    for running in [
        "early-example",
        "exampled",
        "hostname-example",
        "netdummy",
        "webdummy",
    ] {
        assert!(
            up.contains(&format!(" [ + ]  {running}\n")),
            "{running}\n{stdout}"
        );
    }
    assert!(up.contains(" [ ? ]  legacy-example\n"), "{stdout}");
    for stopped in ["exampled", "netdummy", "webdummy"] {
        assert!(
            down.contains(&format!(" [ - ]  {stopped}\n")),
            "{stopped}\n{stdout}"
        );
    }
    let log = root.read("run/rc-examples.log");
    let position = |event: &str| {
        log.lines()
            .position(|l| l == event)
            .unwrap_or_else(|| panic!("no {event:?} in the log:\n{log}"))
    };
    for (first, then) in [
        ("hostname-example start", "netdummy start"),
        ("netdummy start", "exampled start"),
        ("early-example start", "exampled start"),
        ("exampled start", "webdummy start"),
        ("webdummy start", "local-example start"),
        ("exampled start", "local-example start"),
        ("webdummy stop", "exampled stop"),
        ("exampled stop", "netdummy stop"),
    ] {
        assert!(
            position(first) < position(then),
            "{first} before {then}:\n{log}"
        );
    }
}

/// The examples are plain POSIX sh for dash and busybox sh, each with a complete LSB
/// header that provides its own name.
#[test]
fn examples_parse_under_dash_and_busybox_with_lsb_headers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rc.d");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("read rc.d") {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "README" {
            continue;
        }
        count += 1;
        for shell in [
            vec![common::host_tool("dash")],
            vec![Path::new(common::BUSYBOX).to_path_buf(), "sh".into()],
        ] {
            let out = Command::new(&shell[0])
                .args(&shell[1..])
                .arg("-n")
                .arg(&path)
                .output()
                .expect("run the shell");
            assert!(
                out.status.success(),
                "{shell:?} -n {}: {}",
                path.display(),
                describe(&out)
            );
        }
        let script = vinit::rc::graph::Script::read(&path).expect("header parses");
        let header = script.header.as_ref().expect("has an LSB header");
        assert_eq!(
            header.provides.first(),
            Some(&script.name),
            "{}",
            path.display()
        );
        assert!(!header.default_start.is_empty(), "{}", path.display());
        assert!(!header.short_description.is_empty(), "{}", path.display());
    }
    assert!(count >= 7, "the examples are there");
}
