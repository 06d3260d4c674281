//! Our init as PID 1 of a QEMU VM (Debian's cloud kernel, TCG), with the repository's
//! `etc/inittab.example` and example init scripts (the demo's root, tests/common/demo.rs),
//! and the demo tour.

mod common;

use common::demo;

/// Boots to the example inittab's default runlevel: init announces it after the rcS
/// scripts, the rc runner starts the runlevel's scripts, the console getty answers, and
/// `runlevel` (utmp's RUN_LVL record) says `N 2`.
#[test]
fn vm_boots_example_inittab_to_default_runlevel() {
    let mut transcript = String::new();
    let mut show = |text: &str| transcript.push_str(text);
    let vm = demo::boot_and_log_in(&mut show).unwrap();
    assert!(transcript.contains("INIT: version"), "{}", vm.transcript());
    demo::run_at_prompt(&vm, "runlevel", "N 2", &mut |_| {}).unwrap();
}

/// `make demo TOUR=1`: log in, `runlevel`, PID 1's binary, `service --status-all`, the rc
/// order, `telinit 3`, and `poweroff` through runlevel 0 until QEMU exits.
#[test]
fn vm_demo_tour() {
    let mut transcript = Vec::new();
    if let Err(e) = demo::tour(&mut transcript) {
        panic!("{e}");
    }
    let text = String::from_utf8_lossy(&transcript);
    assert!(text.contains("INIT: Switching to runlevel: 0"), "{text}");
    // init's first line on a line of its own, not after the firmware's "Booting from ROM..".
    assert!(text.contains("\nINIT: version"), "{text}");
    for noise in [
        "No inittab.d directory found",
        "Cannot set tty process group",
    ] {
        assert!(!text.contains(noise), "{noise:?} in the tour:\n{text}");
    }
    // Every service of the demo that runs says so to `service --status-all`; the one
    // shown as [ ? ] is explained.
    let shown: Vec<&str> = text.lines().filter(|l| l.starts_with(" [ ")).collect();
    assert!(
        !shown.iter().any(|l| l.starts_with(" [ - ]")),
        "a service shown as stopped:\n{text}"
    );
    assert_eq!(
        shown
            .iter()
            .filter(|l| l.starts_with(" [ ? ]"))
            .collect::<Vec<_>>(),
        [&" [ ? ]  legacy-example"],
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("### ") && l.contains("[ ? ]") && l.contains("legacy-example")),
        "the tour explains [ ? ]:\n{text}"
    );
    // How to log in is said once, though the getty starts twice.
    assert_eq!(text.matches("as root (no password)").count(), 1, "{text}");
}
