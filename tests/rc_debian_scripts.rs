//! Debian bookworm's own init scripts, unmodified, run by vinit's rc.
//!
//! The scripts come from Debian's packages (`initscripts`, `cron`, and
//! `sysvinit-utils` for `/lib/lsb/init-functions` and `/lib/init/vars.sh`),
//! fetched with `apt-get download` and unpacked with `dpkg -x` into
//! `target/debian-pkg/` (never installed on the host). They are copied into
//! a harness root (busybox-static and our install), enabled with OUR
//! `update-rc.d NAME defaults`, and `/etc/init.d/rc` and `/etc/init.d/rcS`
//! are sysv-rc's links to `/lib/init/rc{,S}`, which point at vinit as rc.8
//! tells (REPLACING DEBIAN'S RC). Then `/etc/init.d/rcS`, `/etc/init.d/rc 2`
//! and `/etc/init.d/rc 3` run chrooted in new PID, mount, UTS, IPC and
//! network namespaces, so that what the scripts change (the host name,
//! mounts, processes) stays there.
//!
//! Enabled: hostname.sh, mountkernfs.sh, mountdevsubfs.sh, bootmisc.sh,
//! urandom (rcS.d); cron, rmnologin, rc.local (rc2.d); halt (rc0.d), reboot
//! (rc6.d). Last, `rc 0` runs Debian's halt script, whose `halt -d -f -i -p
//! -h` (our halt) powers off: in a PID namespace, `reboot(2)` ends only the
//! namespace, its PID 1 killed as by SIGINT. Left out, and why:
//! * checkroot.sh, checkfs.sh, checkroot-bootclean.sh, mountall.sh,
//!   mountall-bootclean.sh: fsck and remounting `/` need the root to be a
//!   block device; here it is a directory.
//! * mountnfs.sh, mountnfs-bootclean.sh, umountnfs.sh: network file systems
//!   (need ifupdown and a network).
//! * bootlogs: saves `dmesg`, which would be the host kernel's log.
//! * brightness, mount-configfs: need /sys/class/backlight or configfs.
//! * sendsigs, umountfs, umountroot (rc0.d, rc6.d), killprocs (rc1.d):
//!   `umountroot` remounts `/` read-only, which for a chroot directory is the
//!   host's file system (a superblock is shared by every mount namespace);
//!   the others kill every process and unmount everything.
//! * single (rc1.d): `init -t1 S` needs a running init.
//! * rc 6: reboot ends the namespace as halt does (SIGHUP instead of SIGINT);
//!   one of them is enough.
//!
//! The scripts run under Debian's /bin/sh, dash (the host's), as on Debian.
//! BusyBox has no `mountpoint`, and its `start-stop-daemon` lacks
//! `--nicelevel`/`--chdir`, which `/lib/lsb/init-functions` uses: the root
//! gets the host's (Debian's) util-linux `mountpoint` and dpkg
//! `start-stop-daemon`, with the shared libraries `ldd` lists, as every
//! Debian system has them.

mod common;
use common::debian_pkg;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use common::ns::TestRoot;
use common::{Tree, host_tool};

/// `cp -a` of an unpacked package into the root (replacing busybox links
/// where Debian has a real program, e.g. `/bin/pidof`).
fn copy_package(root: &Tree, package: &str) {
    let unpacked = debian_pkg::unpacked(package);
    let out = Command::new(host_tool("cp"))
        .arg("-a")
        .arg("--remove-destination")
        .arg(format!("{}/.", unpacked.display()))
        .arg(root.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cp {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = fs::remove_file(root.join(".complete"));
}

/// What runs as PID 1 of the namespaces, chrooted: the boot as Debian's
/// inittab does it (`si::sysinit:/etc/init.d/rcS`, `l2:2:wait:/etc/init.d/rc 2`),
/// then a change to level 3, where cron is disabled, and to level 0 (halt).
/// Results go to /results
/// (the root's file system; /run is a tmpfs of the namespace).
const BOOT: &str = r#"
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
save_record() { cp /run/vinit/rc/last "/results/record-$1.tsv"; }
/etc/init.d/rcS > /results/rcS.out 2>&1; echo $? > /results/rcS.status
save_record S
hostname > /results/hostname
cat /proc/mounts > /results/mounts
RUNLEVEL=2 PREVLEVEL=S /etc/init.d/rc 2 > /results/rc2.out 2>&1; echo $? > /results/rc2.status
save_record 2
# cron writes its pid file, forks into the background and writes it again
# with the daemon's pid: wait for a pid that lives (10 s at most).
i=0
until pid=$(cat /run/crond.pid 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null ||
	[ $i -ge 200 ]; do sleep 0.05; i=$((i + 1)); done
cat /proc/$pid/comm > /results/cron-comm
RUNLEVEL=3 PREVLEVEL=2 /etc/init.d/rc 3 > /results/rc3.out 2>&1; echo $? > /results/rc3.status
save_record 3
# Stopped: gone, or a zombie not yet reaped by this shell.
state=$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -c1)
echo "${state:-gone}" > /results/cron-after-rc3
# Debian's halt script powers off: the namespace ends here.
RUNLEVEL=0 PREVLEVEL=3 /etc/init.d/rc 0 > /results/rc0.out 2>&1
echo "rc 0 returned $?" > /results/rc0.status
"#;

#[test]
fn rc_runs_debians_own_init_scripts() {
    let root = TestRoot::new();
    for package in ["initscripts", "sysvinit-utils", "cron"] {
        copy_package(&root, package);
    }
    root.install_libraries(&root.join("usr/sbin/cron"));
    root.install_host_program("/sbin/start-stop-daemon");
    root.install_host_program("/bin/mountpoint");
    // Debian's /bin/sh is dash. BusyBox's ash (built with
    // FEATURE_SH_STANDALONE) would run its own applets before searching PATH:
    // `halt` in Debian's halt script would be BusyBox's, not ours.
    root.install_host_program("/bin/dash");
    root.symlink("dash", "bin/sh");

    // sysv-rc's /etc/init.d/rc{,S} -> /lib/init/rc{,S}, here vinit (rc.8).
    let sysv_rc = debian_pkg::unpacked("sysv-rc");
    for name in ["rc", "rcS"] {
        let link = fs::read_link(sysv_rc.join("etc/init.d").join(name)).unwrap();
        root.symlink(&link.to_string_lossy(), &format!("etc/init.d/{name}"));
        root.symlink("/lib/vinit/vinit", &link.to_string_lossy());
    }

    root.write("etc/hostname", "vinit-debian\n");
    root.write(
        "etc/group",
        "root:x:0:\ntty:x:5:\nutmp:x:43:\ncrontab:x:101:\n",
    );
    root.write("etc/crontab", "# empty: cron only has to run\n");
    root.mkdir("var/spool/cron/crontabs");
    root.mkdir("etc/cron.d");
    root.mkdir("results");
    root.write_exec(
        "etc/rc.local",
        "#!/bin/sh\necho rc.local ran after everything\n",
    );
    root.write("boot.sh", BOOT);

    for name in [
        "hostname.sh",
        "mountkernfs.sh",
        "mountdevsubfs.sh",
        "bootmisc.sh",
        "urandom",
        "cron",
        "rmnologin",
        "rc.local",
        "halt",
        "reboot",
    ] {
        root.enable_service(name);
    }
    let links = |level: &str| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(root.join(&format!("etc/rc{level}.d")))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let has = |level: &str, kind: char, name: &str| {
        links(level)
            .iter()
            .any(|l| l.starts_with(kind) && &l[3..] == name)
    };
    for name in [
        "hostname.sh",
        "mountkernfs.sh",
        "mountdevsubfs.sh",
        "bootmisc.sh",
        "urandom",
    ] {
        assert!(has("S", 'S', name), "rcS.d: {:?}", links("S"));
    }
    for name in ["cron", "rmnologin", "rc.local"] {
        assert!(has("2", 'S', name), "rc2.d: {:?}", links("2"));
    }
    assert!(has("0", 'K', "halt") && has("6", 'K', "reboot"));
    // cron has no Default-Stop; disabled in level 3, it is stopped going 2 -> 3.
    let out = Command::new(host_tool("chroot"))
        .arg(root.path())
        .args(["/usr/sbin/update-rc.d", "cron", "disable", "3"])
        .env_clear()
        .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(has("3", 'K', "cron"), "rc3.d: {:?}", links("3"));

    // A tmpfs on /run, as the initramfs hands it over at boot; the rest
    // (/proc, /sys, /dev/pts, /run/lock, /run/shm) is for the scripts to mount.
    let out = Command::new(host_tool("timeout"))
        .args(["-s", "KILL", "300"])
        .arg(host_tool("unshare"))
        .args([
            "--pid",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--fork",
            "--kill-child",
            "--propagation",
            "private",
            "--",
        ])
        .arg(host_tool("sh"))
        .args([
            "-c",
            r#"mount -t tmpfs -o mode=755,nosuid tmpfs "$1/run" && exec chroot "$1" /bin/sh /boot.sh"#,
            "sh",
        ])
        .arg(root.path())
        .env_clear()
        .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
        .env("VINIT_RC_TIMEOUT", "60")
        .output()
        .unwrap();
    let result =
        |name: &str| fs::read_to_string(root.join(&format!("results/{name}"))).unwrap_or_default();
    let transcript = || {
        let mut t = format!(
            "namespace: {:?}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for name in ["rcS.out", "rc2.out", "rc3.out"] {
            t.push_str(&format!("--- {name}\n{}", result(name)));
        }
        t.push_str(&format!(
            "--- rc.log\n{}",
            fs::read_to_string(root.join("var/log/vinit/rc.log")).unwrap_or_default()
        ));
        t
    };
    let transcript = transcript();
    // Powered off by halt in level 0: the namespace's PID 1 was killed as by
    // SIGINT (the kernel's code for a halt or power-off of a PID namespace),
    // which unshare and timeout pass on.
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{transcript}");
    assert_eq!(
        result("rc0.status"),
        "",
        "halt did not end the namespace: {transcript}"
    );

    // Every script ran, succeeded and said so, at boot and in level 2.
    let expect = [
        (
            "S",
            "rcS.out",
            vec![
                "hostname.sh",
                "mountkernfs.sh",
                "mountdevsubfs.sh",
                "bootmisc.sh",
                "urandom",
            ],
        ),
        ("2", "rc2.out", vec!["cron", "rmnologin", "rc.local"]),
    ];
    for (level, output, scripts) in &expect {
        let console = result(output);
        let record = result(&format!("record-{level}.tsv"));
        assert_eq!(
            result(&format!("rc{level}.status")).trim(),
            "0",
            "{transcript}"
        );
        for script in scripts {
            assert!(
                console.contains(&format!("[ ok ] Starting {script}.\n")),
                "{script}: {transcript}"
            );
            let fields: Vec<&str> = record
                .lines()
                .map(|l| l.split('\t').collect::<Vec<_>>())
                .find(|f| f.get(2) == Some(script))
                .unwrap_or_else(|| panic!("{script} not in the record:\n{record}\n{transcript}"));
            assert_eq!(
                (fields[0], fields[3], fields[9], fields[10]),
                (*level, "start", "0", "ok"),
                "{record}"
            );
        }
        // Nothing else ran, nothing failed or was skipped.
        assert_eq!(record.lines().count(), 1 + scripts.len(), "{record}");
    }

    // What the scripts did: the host name, the kernel file systems.
    assert_eq!(result("hostname").trim(), "vinit-debian");
    let mounts = result("mounts");
    for (fs_type, path) in [("proc", "/proc"), ("sysfs", "/sys"), ("devpts", "/dev/pts")] {
        assert!(
            mounts
                .lines()
                .any(|l| l.split(' ').nth(1) == Some(path) && l.split(' ').nth(2) == Some(fs_type)),
            "{fs_type} on {path} not mounted:\n{mounts}"
        );
    }
    // Debian's scripts' own messages came through, whole.
    let rc2 = result("rc2.out");
    assert!(
        rc2.contains("Starting periodic command scheduler: cron"),
        "{transcript}"
    );
    assert!(
        rc2.contains("rc.local ran after everything\n"),
        "{transcript}"
    );
    // rc.local has Required-Start: $all.
    let record2 = result("record-2.tsv");
    let times = |script: &str| -> (u128, u128) {
        let f: Vec<&str> = record2
            .lines()
            .find(|l| l.split('\t').nth(2) == Some(script))
            .unwrap()
            .split('\t')
            .collect();
        (f[5].parse().unwrap(), f[6].parse().unwrap())
    };
    assert!(times("cron").1 <= times("rc.local").0, "{record2}");
    assert!(times("rmnologin").1 <= times("rc.local").0, "{record2}");

    // The cron daemon was running after rc 2, and rc 3 stopped it.
    assert_eq!(result("cron-comm").trim(), "cron", "{transcript}");
    let rc3 = result("rc3.out");
    assert!(rc3.contains("[ ok ] Stopping cron.\n"), "{transcript}");
    let after = result("cron-after-rc3");
    assert!(
        matches!(after.trim(), "gone" | "Z"),
        "cron still running after rc 3 ({after}): {transcript}"
    );
    let record3 = result("record-3.tsv");
    assert!(
        record3
            .lines()
            .any(|l| l.starts_with("3\t2\tcron\tstop\t") && l.contains("\t0\tok\t")),
        "{record3}"
    );
}
