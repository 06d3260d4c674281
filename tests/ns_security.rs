//! Who may command PID 1, and through what: `/run/initctl` is root's with
//! mode 0600 and init accepts nothing else in its place; the control
//! commands refuse other users with sysvinit's messages; what comes through
//! the FIFO never reaches a shell. Our `init` runs as PID 1 of a namespace
//! (`common::ns`); `halt` and `shutdown` run only inside it.
//!
//! Covered elsewhere: `service` passes only its scrubbed variables
//! (tests/service.rs, `script_sees_only_the_seventeen_variables`),
//! `shutdown -a` and `/etc/shutdown.allow` (tests/cmd_shutdown.rs), the
//! inittab's `/bin/sh -c "exec …"` rule (src/inittab/exec.rs and
//! tests/ns_init.rs), and `telinit` refusing to write into a file that is not
//! a FIFO (src/initctl.rs).

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
use std::time::Duration;

use common::ns::{Pid1, TestRoot, is_fifo};
use common::poll_until;

/// A safety net for each wait; nothing here depends on how fast things happen.
const WAIT: Duration = Duration::from_secs(30);

/// An unprivileged user for the refusals (no account needed).
const USER: u32 = 1000;

fn booted(inittab: &str) -> (TestRoot, Pid1) {
    let root = TestRoot::new();
    root.write("etc/inittab", inittab);
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    let fifo = poll_until(WAIT, || is_fifo(&root, "run/initctl").then_some(()));
    assert!(fifo.is_some(), "no /run/initctl");
    (root, pid1)
}

/// The FIFO's (inode, uid, mode) once it is a FIFO again.
fn fifo_identity(root: &TestRoot) -> (u64, u32, u32) {
    poll_until(WAIT, || {
        let meta = std::fs::symlink_metadata(root.join("run/initctl")).ok()?;
        meta.file_type()
            .is_fifo()
            .then(|| (meta.ino(), meta.uid(), meta.mode() & 0o7777))
    })
    .expect("/run/initctl is a FIFO again")
}

#[test]
fn the_fifo_is_roots_and_0600() {
    let (root, _pid1) = booted("id:2:initdefault:\n");
    let (_, uid, mode) = fifo_identity(&root);
    assert_eq!((uid, mode), (0, 0o600));
}

/// Whatever is put in the FIFO's place (renamed over it, as `mv -T` does),
/// init reports once and replaces with a new FIFO of its own, which then
/// serves `telinit`.
#[test]
fn anything_put_in_the_fifos_place_is_replaced() {
    let (root, pid1) = booted("id:2:initdefault:\n");
    let fifo = root.join("run/initctl");
    let staged = root.join("run/staged");
    let replaced = |what: &str, put: &dyn Fn()| {
        put();
        std::fs::rename(&staged, &fifo).expect("rename over /run/initctl");
        pid1.expect_console(
            &format!("INIT: /run/initctl {what}: replaced by a new fifo"),
            WAIT,
        );
        // (Its inode number may be the old one's, freed just before.)
        let (_, uid, mode) = fifo_identity(&root);
        assert_eq!((uid, mode), (0, 0o600), "{what}");
    };
    // A regular file (telinit would have written into it, and nobody read).
    replaced("is not a fifo", &|| {
        std::fs::write(&staged, b"").expect("file");
    });
    // A symbolic link, to a FIFO anyone may write.
    replaced("is a symbolic link", &|| {
        let open = root.join("tmp/open-fifo");
        let _ = std::fs::remove_file(&open);
        nix::unistd::mkfifo(&open, nix::sys::stat::Mode::from_bits_truncate(0o666))
            .expect("mkfifo");
        symlink("/tmp/open-fifo", &staged).expect("symlink");
    });
    // A FIFO anyone may write.
    replaced("has mode 0666", &|| {
        nix::unistd::mkfifo(&staged, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    });
    // A FIFO that looks right but is not the one init made.
    replaced("is not init's fifo", &|| {
        nix::unistd::mkfifo(&staged, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
    });
    // init's own FIFO made writable for all (no rename: a chmod).
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o622)).expect("chmod");
    pid1.expect_console(
        "INIT: /run/initctl has mode 0622: replaced by a new fifo",
        WAIT,
    );
    assert_eq!(fifo_identity(&root).2, 0o600);

    // The new FIFO serves requests, and each replacement was logged once.
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    pid1.run_ok(&["/sbin/telinit", "4"]);
    pid1.expect_console("INIT: Switching to runlevel: 4", WAIT);
    let console = pid1.console();
    assert_eq!(
        console.matches("replaced by a new fifo").count(),
        5,
        "{console}"
    );
}

#[test]
fn telinit_shutdown_and_halt_refuse_other_users() {
    let (root, pid1) = booted("id:2:initdefault:\n");
    // Each says so first (shutdown then shows its usage, as sysvinit's).
    for (argv, message) in [
        (&["/sbin/telinit", "0"][..], "telinit: must be superuser.\n"),
        (&["/sbin/init", "6"][..], "init: must be superuser.\n"),
        (
            &["/sbin/shutdown", "-h", "now"][..],
            "shutdown: you must be root to do that!\n",
        ),
        (&["/sbin/halt", "-f"][..], "halt: must be superuser.\n"),
        (&["/sbin/poweroff"][..], "poweroff: must be superuser.\n"),
        (&["/sbin/reboot", "-f"][..], "reboot: must be superuser.\n"),
    ] {
        let output = pid1.run_as(USER, argv);
        assert_eq!(output.status.code(), Some(1), "{argv:?}");
        assert!(
            common::text(&output.stderr).starts_with(message),
            "{argv:?}: {}",
            common::describe(&output)
        );
    }
    // The FIFO itself is closed to them.
    let output = pid1.run_as(USER, &["/bin/sh", "-c", "echo x > /run/initctl"]);
    assert!(!output.status.success(), "{}", common::describe(&output));
    assert!(
        common::text(&output.stderr).contains("Permission denied"),
        "{}",
        common::describe(&output)
    );
    // Nothing happened: still in level 2, init alive.
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");
    assert!(pid1.wait_exit(Duration::from_millis(200)).is_none());
    assert!(!pid1.console().contains("Switching to runlevel"));
    drop(root);
}

/// What a SETENV request carries reaches children as plain environment
/// text, never through a shell; a request's level byte is only a level.
#[test]
fn fifo_data_never_reaches_a_shell() {
    let (root, pid1) = booted(
        "id:2:initdefault:\n\
         e3:3:once:/usr/bin/env\n\
         m3:3:wait:/bin/echo FIRST;/bin/touch /tmp/after-semicolon\n",
    );
    let value = "$(touch /tmp/pwned-subst);`touch /tmp/pwned-backquote`|touch /tmp/pwned-pipe";
    pid1.run_ok(&["/sbin/telinit", "-e", &format!("INIT_EVIL={value}")]);
    // telinit checks its argument; a request written by hand is not.
    common::ns::write_initctl(&root, &vinit::initctl::Request::runlevel(b';', 3).encode());
    pid1.expect_console("INIT: bad runlevel: ;", WAIT);
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    // env's last line, and the wait entry done (which starts nothing after).
    pid1.expect_console("INIT_VERSION=", WAIT);
    let console = poll_until(WAIT, || {
        let console = pid1.console();
        console.contains("\nFIRST\r\n").then_some(console)
    })
    .expect("the wait entry ran");
    // It has ended (its DEAD_PROCESS record is written once it is reaped).
    let ended = poll_until(WAIT, || {
        vinit::utmp::Record::read_all(&root.join("var/log/wtmp"))
            .ok()?
            .iter()
            .any(|r| r.ut_type == vinit::utmp::DEAD_PROCESS && r.id == "m3")
            .then_some(())
    });
    assert!(ended.is_some(), "m3 never ended");
    assert!(
        console.contains(&format!("\nINIT_EVIL={value}\r\n")),
        "{console}"
    );
    // The documented rule for inittab text with shell metacharacters:
    // `/bin/sh -c "exec TEXT"`, so only the first command runs.
    assert!(console.contains("\nFIRST\r\n"), "{console}");
    for file in [
        "tmp/pwned-subst",
        "tmp/pwned-backquote",
        "tmp/pwned-pipe",
        "tmp/after-semicolon",
    ] {
        assert!(!root.join(file).exists(), "{file} was created");
    }
}
