//! Our init as PID 1 of a QEMU VM (Debian's cloud kernel, TCG), with the repository's
//! `etc/inittab.example` and example init scripts (the demo's root, tests/common/demo.rs).

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
