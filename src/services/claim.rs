//! A pid file is a claim, not an identity. Pure: what the mechanism found
//! (the file, the process it names) in, a judgement out.
//!
//! The rule that has proved itself elsewhere (systemd's for `PIDFile=`):
//! a pid file only root could have written (root's, in directories only
//! root can change: see [`crate::untrusted::written_by_root_only`]) is
//! believed; one a user could have written (redis, postgresql, mysqld and
//! tor keep theirs in a directory their own user owns) is believed only
//! if the process it names is verifiably the service's: it runs the
//! program the init script starts (`/proc/PID/exe`, which the process
//! cannot fake, unlike its arguments). Where services are tracked by
//! cgroup, the cgroup decides first: a process in the service's cgroup is
//! its daemon whoever wrote the file, one in another service's (or outside,
//! while the service's own cgroup has processes) is not, even if root
//! wrote the file (a stale pid file whose PID was reused). Once believed, a
//! process is known by its PID *and* its start time, so that a reused PID
//! is never taken for it.

use std::path::{Path, PathBuf};

/// What a pid file says, and who could have written it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    pub(crate) pid: i32,
    pub(crate) written_by_root_only: bool,
}

/// What `/proc` showed of the claimed process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// No such process.
    Gone,
    /// Dead, not yet reaped: its program can no longer be read.
    Zombie,
    /// Alive, running `/proc/PID/exe` (`None`: it could not be read).
    Alive { program: Option<PathBuf> },
}

/// The program the service's init script starts, as the script writes it
/// and with its symbolic links resolved (Debian's `redis-server` is a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Program {
    pub(crate) written: PathBuf,
    pub(crate) resolved: Option<PathBuf>,
}

impl Program {
    fn is(&self, path: &Path) -> bool {
        path == self.written || self.resolved.as_deref() == Some(path)
    }
}

/// Where the claimed process is, as the services' cgroups say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
    /// In the service's cgroup.
    InService,
    /// Elsewhere: another service's cgroup, or outside them while the
    /// service's own cgroup holds its processes.
    Elsewhere,
    /// Not known: no tracking, or the service has not run under it (a
    /// daemon started before, by another init).
    Unknown,
}

/// The verdict on a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// The process is the service's daemon.
    Believed,
    /// The file names no process (a daemon that stopped): nothing to say.
    Stale,
    /// Not believed, for the reason given (logged once).
    Distrusted(String),
}

/// Judges `claim` about service `name`, given what was seen of the process
/// and the program its script starts (if the script says).
pub(crate) fn judge(
    claim: Claim,
    seen: &Seen,
    membership: Membership,
    program: Option<&Program>,
) -> Judgement {
    let pid = claim.pid;
    match (seen, membership) {
        (Seen::Gone, _) => return Judgement::Stale,
        (_, Membership::InService) => return Judgement::Believed,
        (_, Membership::Elsewhere) => {
            return Judgement::Distrusted(format!("process {pid} is not in the service's cgroup"));
        }
        (_, Membership::Unknown) => {}
    }
    match seen {
        Seen::Gone => Judgement::Stale,
        _ if claim.written_by_root_only => Judgement::Believed,
        Seen::Zombie => {
            Judgement::Distrusted(format!("process {pid} ended before it could be checked"))
        }
        Seen::Alive { program: exe } => match (program, exe) {
            (Some(program), Some(exe)) if program.is(exe) => Judgement::Believed,
            (Some(program), exe) => Judgement::Distrusted(format!(
                "process {pid} runs {}, not {}",
                exe.as_deref().map_or_else(
                    || "a program that cannot be read".into(),
                    |exe| exe.display().to_string()
                ),
                program.written.display()
            )),
            (None, _) => Judgement::Distrusted(format!(
                "the init script names no program to check process {pid} against"
            )),
        },
    }
}

/// The PID a pid file holds (its first word), if it is one other than 1.
pub(crate) fn parse_pid(bytes: &[u8]) -> Option<i32> {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|&pid: &i32| pid > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(by_root: bool) -> Claim {
        Claim {
            pid: 42,
            written_by_root_only: by_root,
        }
    }

    fn alive(exe: &str) -> Seen {
        Seen::Alive {
            program: Some(PathBuf::from(exe)),
        }
    }

    fn program(written: &str, resolved: &str) -> Program {
        Program {
            written: PathBuf::from(written),
            resolved: Some(PathBuf::from(resolved)),
        }
    }

    #[test]
    fn roots_file_is_believed_about_a_process_that_exists() {
        let nginx = program("/usr/sbin/nginx", "/usr/sbin/nginx");
        let believed = |seen: &Seen| judge(claim(true), seen, Membership::Unknown, Some(&nginx));
        assert_eq!(believed(&alive("/usr/sbin/nginx")), Judgement::Believed);
        // A wrapper that ran another program: root wrote the file.
        assert_eq!(believed(&alive("/bin/busybox")), Judgement::Believed);
        assert_eq!(believed(&Seen::Zombie), Judgement::Believed);
        assert_eq!(believed(&Seen::Gone), Judgement::Stale);
        assert_eq!(
            judge(claim(true), &alive("/bin/x"), Membership::Unknown, None),
            Judgement::Believed
        );
    }

    #[test]
    fn the_cgroup_decides_where_there_is_one() {
        let nginx = program("/usr/sbin/nginx", "/usr/sbin/nginx");
        // A user's file naming a process of the service: believed.
        assert_eq!(
            judge(
                claim(false),
                &alive("/bin/sleep"),
                Membership::InService,
                Some(&nginx)
            ),
            Judgement::Believed
        );
        // Root's stale file naming a reused PID: not the service's.
        assert_eq!(
            judge(
                claim(true),
                &alive("/usr/sbin/nginx"),
                Membership::Elsewhere,
                Some(&nginx)
            ),
            Judgement::Distrusted("process 42 is not in the service's cgroup".into())
        );
        assert_eq!(
            judge(claim(true), &Seen::Gone, Membership::InService, None),
            Judgement::Stale
        );
    }

    #[test]
    fn a_users_file_is_believed_only_for_the_scripts_program() {
        // Debian's redis-server is a link to redis-check-rdb.
        let redis = program("/usr/bin/redis-server", "/usr/bin/redis-check-rdb");
        let judged = |seen: &Seen, program| judge(claim(false), seen, Membership::Unknown, program);
        assert_eq!(
            judged(&alive("/usr/bin/redis-check-rdb"), Some(&redis)),
            Judgement::Believed
        );
        assert_eq!(
            judged(&alive("/usr/bin/sleep"), Some(&redis)),
            Judgement::Distrusted(
                "process 42 runs /usr/bin/sleep, not /usr/bin/redis-server".into()
            )
        );
        assert_eq!(
            judged(&alive("/usr/bin/sleep"), None),
            Judgement::Distrusted(
                "the init script names no program to check process 42 against".into()
            )
        );
        assert_eq!(
            judged(&Seen::Zombie, Some(&redis)),
            Judgement::Distrusted("process 42 ended before it could be checked".into())
        );
        let unreadable = Seen::Alive { program: None };
        assert_eq!(
            judged(&unreadable, Some(&redis)),
            Judgement::Distrusted(
                "process 42 runs a program that cannot be read, not /usr/bin/redis-server".into()
            )
        );
    }

    #[test]
    fn pid_words() {
        assert_eq!(parse_pid(b"1234\n"), Some(1234));
        assert_eq!(parse_pid(b" 77 extra\nmore"), Some(77));
        assert_eq!(parse_pid(b"1\n"), None);
        assert_eq!(parse_pid(b"-5"), None);
        assert_eq!(parse_pid(b"\xff\xfe"), None);
        assert_eq!(parse_pid(b""), None);
    }
}
