//! Supervised services on a real distribution: the Debian bookworm root of `vm_debian`
//! with our init, rc and service installed, nginx and cron supervised through empty
//! /etc/vinit/supervise.d files, their Debian init scripts unchanged.
//!
//! A SIGSEGV to nginx's master and a SIGKILL to cron bring them back with new pids (nginx's
//! orphaned workers must let go of port 80 for that); `service nginx stop` and
//! `invoke-rc.d cron stop` leave them stopped; nginx started again by hand is supervised
//! again; `poweroff` restarts nothing on the way down.

mod common;

use std::time::Instant;

use common::debian::{
    POWEROFF_TIMEOUT, RootCopy, Shell, boot_and_log_in, debian_root, install_rc_and_service,
    install_vinit,
};

const NGINX_PID: &str = "/run/nginx.pid";
const CRON_PID: &str = "/var/run/crond.pid";

/// The pid a pid file names once it is a live process other than `old` (the guest polls
/// once a second; the bound is a safety net).
fn live_pid(shell: &mut Shell, pidfile: &str, old: &str) -> String {
    let output = shell.ok(&format!(
        "for i in $(seq 120); do p=$(cat {pidfile} 2>/dev/null); \
         [ -n \"$p\" ] && [ \"$p\" != '{old}' ] && kill -0 \"$p\" 2>/dev/null && break; \
         p=; sleep 1; done; echo \"$p\""
    ));
    // init's console lines may land in the middle of the output.
    let pid = output.lines().last().unwrap_or_default().to_string();
    assert!(
        !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()),
        "{pidfile}: no live pid other than {old:?}: {pid:?}\ntranscript:\n{}",
        shell.transcript()
    );
    pid
}

/// The phase init's state file gives `name`, once it is not "watching".
fn judged(shell: &mut Shell, name: &str) -> String {
    // awk's '\t' is typed as two characters: a real tab would ask bash to complete.
    let output = shell.ok(&format!(
        "for i in $(seq 120); do \
         s=$(awk -F'\\t' '$2 == \"{name}\" {{ sub(/phase=/, \"\", $3); sub(/:.*/, \"\", $3); print $3 }}' \
         /run/vinit/supervise/state); [ \"$s\" != watching ] && break; sleep 1; done; echo \"$s\""
    ));
    output.lines().last().unwrap_or_default().to_string()
}

#[test]
fn vm_supervise_nginx_and_cron() {
    let started = Instant::now();
    let root = RootCopy::of(&debian_root());
    install_vinit(&root.path());
    install_rc_and_service(&root.path(), &[("nginx", ""), ("cron", "")]);
    let vm = boot_and_log_in(&root.path());
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    let mut shell = Shell::new(&vm);

    let nginx = live_pid(&mut shell, NGINX_PID, "");
    let cron = live_pid(&mut shell, CRON_PID, "");
    let workers = shell.ok("pgrep -P $(cat /run/nginx.pid) | wc -l");
    assert_ne!(workers, "0", "nginx has workers");

    // Crashes: both come back with new pids, nginx serving again on port 80.
    shell.ok(&format!("kill -SEGV {nginx}"));
    let nginx2 = live_pid(&mut shell, NGINX_PID, &nginx);
    shell.ok(&format!("kill -KILL {cron}"));
    let cron2 = live_pid(&mut shell, CRON_PID, &cron);
    // The old workers are gone: the new master could bind the port.
    assert_eq!(
        shell.ok(&format!("pgrep -P 1 -x nginx | grep -vx {nginx2} | wc -l")),
        "0",
        "orphaned nginx workers left"
    );
    let list = shell.ok("/lib/vinit/vinit supervise --list");
    eprintln!("vinit supervise --list:\n{list}");
    for (name, pid, cause) in [
        ("nginx", &nginx2, "killed by SIGSEGV"),
        ("cron", &cron2, "killed by SIGKILL"),
    ] {
        let row = list
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{list}"));
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(fields[..4], [name, pid, "supervised", "1"], "{list}");
        assert!(row.contains(cause), "{list}");
    }

    // The operator's view of the same system (vinit's init and rc on Debian's root).
    let status = shell.ok("NO_COLOR=1 /lib/vinit/vinit status");
    eprintln!("vinit status:\n{status}");
    for needle in ["Runlevel", "nginx", "cron", "ssh", "supervised"] {
        assert!(status.contains(needle), "no {needle:?} in\n{status}");
    }
    let json = shell.ok("/lib/vinit/vinit status --json");
    let json: serde_json::Value = serde_json::from_str(json.trim())
        .unwrap_or_else(|e| panic!("vinit status --json: {e}:\n{json}"));
    assert_eq!(json["runlevel"], "2", "{json:#}");
    let nginx_service = json["services"]
        .as_array()
        .and_then(|services| services.iter().find(|s| s["name"] == "nginx"))
        .unwrap_or_else(|| panic!("no nginx service in {json:#}"));
    assert_eq!(nginx_service["supervised"]["restarts"], 1, "{json:#}");
    let blame = shell.ok("NO_COLOR=1 /lib/vinit/vinit blame");
    eprintln!("vinit blame:\n{blame}");
    assert!(blame.contains("nginx") && blame.contains("cron"), "{blame}");
    let plot = shell.ok("/lib/vinit/vinit plot | head -c 5");
    assert_eq!(plot.trim(), "<svg", "vinit plot writes SVG");
    // Debian's root as debootstrap made it, with nginx: printed for the record.
    let (check_output, check_status) = shell.run_with_status("/lib/vinit/vinit check");
    eprintln!("vinit check (status {check_status}):\n{check_output}");
    assert!(check_output.contains("vinit check: "), "{check_output}");

    // Stops on purpose stay stopped.
    shell.ok("service nginx stop");
    assert_eq!(judged(&mut shell, "nginx"), "stopped");
    shell.ok("invoke-rc.d cron stop");
    assert_eq!(judged(&mut shell, "cron"), "stopped");
    shell.ok("! pidof nginx cron");

    // Started again by hand: supervised again.
    shell.ok("service nginx start");
    let nginx3 = live_pid(&mut shell, NGINX_PID, &nginx2);
    shell.ok(&format!("kill -SEGV {nginx3}"));
    let nginx4 = live_pid(&mut shell, NGINX_PID, &nginx3);
    assert_ne!(nginx4, nginx3);

    // init logs each failure to the console ("INIT: …") and to the kernel log ("init: …",
    // which the kernel echoes on the serial console too). Its console write does not wait
    // for a busy serial line, so either copy of the line is proof that it was logged.
    let transcript = vm.transcript();
    for line in [
        format!("service nginx (pid {nginx}) killed by SIGSEGV"),
        format!("service cron (pid {cron}) killed by SIGKILL: restarting it (restart 1)"),
        format!("service nginx (pid {nginx3}) killed by SIGSEGV"),
    ] {
        assert!(
            transcript.contains(&format!("INIT: {line}"))
                || transcript.contains(&format!("init: {line}")),
            "no {line:?} in\n{transcript}"
        );
    }
    let cron_stop = format!("service cron (pid {cron2})");
    assert!(!transcript.contains(&cron_stop), "{transcript}");

    vm.send_line("poweroff");
    check(vm.expect("reboot: Power down", POWEROFF_TIMEOUT));
    let exit = vm.wait_exit(POWEROFF_TIMEOUT);
    assert!(exit.is_some_and(|s| s.success()), "QEMU exit: {exit:?}");
    let transcript = vm.transcript();
    let after_poweroff = transcript.rsplit_once("poweroff").map_or("", |(_, t)| t);
    assert!(
        !after_poweroff.contains("INIT: service"),
        "something was restarted on the way down:\n{after_poweroff}"
    );
    eprintln!(
        "done after {:.1?}\ntranscript:\n{transcript}",
        started.elapsed()
    );
}
