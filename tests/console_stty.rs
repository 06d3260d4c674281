//! The console's terminal settings after boot (docs/compatibility.md §1.10 "console_stty"):
//! ours must equal what Debian's real sysvinit 3.06 leaves, compared as
//! `stty -a` prints them in a sysinit child. Both inits run as PID 1 of a
//! PID namespace (see `common::ns`), never on the host.

mod common;
use common::debian_pkg;

use std::time::Duration;

use common::ns::TestRoot;

const INITTAB: &str = "id:2:initdefault:
si::sysinit:/bin/sh -c 'stty -a </dev/console >/tmp/stty.new; mv /tmp/stty.new /tmp/stty; echo STTY-DONE'
";

fn console_settings_after_boot(debians_init: bool) -> String {
    let root = TestRoot::new();
    if debians_init {
        debian_pkg::install_real(&root, "init", "sbin/init");
    }
    root.write("etc/inittab", INITTAB);
    let pid1 = root.boot(&[]);
    pid1.wait_console("STTY-DONE", Duration::from_secs(30))
        .unwrap_or_else(|transcript| panic!("no stty output:\n{transcript}"));
    root.read("tmp/stty")
}

#[test]
fn console_termios_equals_debians_init() {
    let ours = console_settings_after_boot(false);
    let debians = console_settings_after_boot(true);
    assert_eq!(ours, debians);
    // The reset did happen: a fresh pty has echok and iexten set.
    assert!(
        ours.contains("-echok") && ours.contains("-iexten"),
        "{ours}"
    );
}
