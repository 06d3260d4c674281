//! The environment of spawned children (docs/compatibility.md §1.9) and the `INIT_*`
//! variables set through initctl SETENV requests (docs/compatibility.md §4.4).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::initctl::EnvChange;
use crate::inittab::Grammar;
use crate::runlevel::{Phase, Runlevel, previous_char};

/// sysvinit's `NR_EXTRA_ENV`: at most this many `INIT_*` variables.
pub(crate) const MAX_EXTRA_VARS: usize = 16;

/// What sysvinit 3.06 puts in `INIT_VERSION`. We keep sysvinit's value, not
/// vinit's: the variable tells scripts "started by a SysV init", and a
/// script that compares it against `sysvinit-*` keeps working. (Our own
/// version is in the `INIT: version … booting` console line.)
pub(crate) const INIT_VERSION: &str = "sysvinit-3.06";

/// The shell sysvinit gives children in `SHELL`.
pub(crate) const SHELL: &str = "/bin/sh";

/// The `INIT_*` variables set with `telinit -e`, as `NAME=VALUE` byte
/// strings: like sysvinit, init passes on whatever bytes a request carried,
/// UTF-8 or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraEnv {
    vars: Vec<OsString>,
}

impl ExtraEnv {
    /// Applies one SETENV change as sysvinit's `initcmd_setenv` does: any
    /// existing variable of that name is removed; a `Set` then takes a free
    /// slot, and is silently dropped when all 16 are in use. Names not
    /// starting with `INIT_` are ignored.
    pub(crate) fn apply(&mut self, change: &EnvChange) {
        let name = match change {
            EnvChange::Set(name, _) | EnvChange::Unset(name) => name.as_bytes(),
        };
        if !name.starts_with(b"INIT_") {
            return;
        }
        self.vars.retain(|var| var_name(var) != name);
        if let EnvChange::Set(name, value) = change
            && self.vars.len() < MAX_EXTRA_VARS
        {
            self.vars.push(join_var(name, value));
        }
    }

    /// The variables, `NAME=VALUE`, in the order they were set.
    pub(crate) fn vars(&self) -> &[OsString] {
        &self.vars
    }

    /// After a re-exec the old init's `INIT_*` variables arrive in our own
    /// environment (sysvinit passes them that way): take them back as
    /// extra variables so a later `telinit -e INIT_X` can still unset them.
    /// `INIT_VERSION` is ours to set, not an extra.
    pub(crate) fn from_environment<'a>(env: impl IntoIterator<Item = &'a OsStr>) -> ExtraEnv {
        let mut extra = ExtraEnv::default();
        for var in env {
            if let Some((name, value)) = split_var(var)
                && name != b"INIT_VERSION"
            {
                extra.apply(&EnvChange::Set(os(name), os(value)));
            }
        }
        extra
    }
}

fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_os_string()
}

/// `NAME=VALUE` from its two parts.
pub(crate) fn join_var(name: &OsStr, value: &OsStr) -> OsString {
    let mut var = OsString::with_capacity(name.len() + 1 + value.len());
    var.push(name);
    var.push("=");
    var.push(value);
    var
}

/// `NAME` and `VALUE` of `NAME=VALUE`; `None` without `=`.
pub(crate) fn split_var(var: &OsStr) -> Option<(&[u8], &[u8])> {
    let bytes = var.as_bytes();
    let equals = bytes.iter().position(|&b| b == b'=')?;
    Some((bytes.get(..equals)?, bytes.get(equals + 1..)?))
}

/// The name of `NAME=VALUE` (all of it without `=`).
pub(crate) fn var_name(var: &OsStr) -> &[u8] {
    split_var(var).map_or(var.as_bytes(), |(name, _)| name)
}

/// What a child's environment is built from, besides init's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChildLevels {
    /// sysvinit's `thislevel`: `S` during the boot phases.
    pub this: Runlevel,
    /// sysvinit's `prevlevel`: `N` (`None`) at boot.
    pub prev: Option<Phase>,
}

/// The environment sysvinit's `init_buildenv(1)` gives a child: init's own
/// environment (`base`), then the `INIT_*` extras, then `SHELL`, `RUNLEVEL`,
/// `PREVLEVEL`, `CONSOLE` and `INIT_VERSION`. A later variable replaces an
/// earlier one of the same name (sysvinit appends duplicates, and a
/// program's `getenv` would then see the first; replacing gives children
/// the value init meant). Bytes pass unchanged.
///
/// A child of a BusyBox inittab gets what BusyBox's init gives instead of
/// sysvinit's variables: `SHELL=/bin/sh` and `USER=root` (no runlevels to
/// tell; docs/compatibility.md §11.3).
pub(crate) fn child_environment(
    base: &[OsString],
    extra: &ExtraEnv,
    levels: ChildLevels,
    console: &OsStr,
    grammar: Grammar,
) -> Vec<OsString> {
    let mut env: Vec<OsString> = Vec::with_capacity(base.len() + extra.vars.len() + 5);
    let fixed: Vec<OsString> = match grammar {
        Grammar::Sysvinit => vec![
            OsString::from(format!("SHELL={SHELL}")),
            OsString::from(format!("RUNLEVEL={}", levels.this)),
            OsString::from(format!("PREVLEVEL={}", previous_char(levels.prev))),
            join_var(OsStr::new("CONSOLE"), console),
            OsString::from(format!("INIT_VERSION={INIT_VERSION}")),
        ],
        Grammar::BusyBox => vec![
            OsString::from(format!("SHELL={SHELL}")),
            OsString::from("USER=root"),
        ],
    };
    for var in base.iter().chain(extra.vars.iter()).chain(fixed.iter()) {
        let name = var_name(var);
        match env.iter_mut().find(|existing| var_name(existing) == name) {
            Some(existing) => existing.clone_from(var),
            None => env.push(var.clone()),
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> EnvChange {
        EnvChange::Set(name.into(), value.into())
    }

    #[test]
    fn setenv_replaces_unsets_and_ignores_other_names() {
        let mut extra = ExtraEnv::default();
        extra.apply(&set("INIT_HALT", "HALT"));
        extra.apply(&set("NOTINIT", "x"));
        extra.apply(&set("INIT_FOO", "1"));
        extra.apply(&set("INIT_HALT", "POWEROFF"));
        assert_eq!(extra.vars(), ["INIT_FOO=1", "INIT_HALT=POWEROFF"]);
        extra.apply(&EnvChange::Unset("INIT_FOO".into()));
        extra.apply(&EnvChange::Unset("INIT_NEVER_SET".into()));
        assert_eq!(extra.vars(), ["INIT_HALT=POWEROFF"]);
    }

    #[test]
    fn at_most_sixteen_extra_variables() {
        let mut extra = ExtraEnv::default();
        for i in 0..20 {
            extra.apply(&set(&format!("INIT_V{i}"), "x"));
        }
        assert_eq!(extra.vars().len(), MAX_EXTRA_VARS);
        assert!(extra.vars().contains(&"INIT_V15=x".into()));
        assert!(!extra.vars().contains(&"INIT_V16=x".into()));
        // Replacing an existing one still works when full.
        extra.apply(&set("INIT_V3", "y"));
        assert!(extra.vars().contains(&"INIT_V3=y".into()));
        assert_eq!(extra.vars().len(), MAX_EXTRA_VARS);
    }

    #[test]
    fn extras_come_back_from_the_environment_after_reexec() {
        let env = [
            "PATH=/bin",
            "INIT_HALT=HALT",
            "INIT_VERSION=sysvinit-3.06",
            "HOME=/",
        ];
        let extra = ExtraEnv::from_environment(env.map(OsStr::new));
        assert_eq!(extra.vars(), ["INIT_HALT=HALT"]);
    }

    #[test]
    fn child_environment_follows_the_spec_table() {
        let base: Vec<OsString> = [
            "HOME=/",
            "TERM=linux",
            "PATH=/sbin:/usr/sbin:/bin:/usr/bin",
            "RUNLEVEL=9",
        ]
        .map(OsString::from)
        .to_vec();
        let mut extra = ExtraEnv::default();
        extra.apply(&set("INIT_HALT", "POWEROFF"));
        let env = child_environment(
            &base,
            &extra,
            ChildLevels {
                this: Runlevel::from_byte(b'5').unwrap(),
                prev: Runlevel::from_byte(b'3').map(Phase::Level),
            },
            OsStr::new("/dev/console"),
            Grammar::Sysvinit,
        );
        assert_eq!(
            env,
            [
                "HOME=/",
                "TERM=linux",
                "PATH=/sbin:/usr/sbin:/bin:/usr/bin",
                "RUNLEVEL=5",
                "INIT_HALT=POWEROFF",
                "SHELL=/bin/sh",
                "PREVLEVEL=3",
                "CONSOLE=/dev/console",
                "INIT_VERSION=sysvinit-3.06",
            ]
        );
    }

    #[test]
    fn busybox_children_get_busyboxs_variables() {
        let base: Vec<OsString> = ["HOME=/", "TERM=linux", "PATH=/sbin:/bin", "SHELL=/bin/ash"]
            .map(OsString::from)
            .to_vec();
        let env = child_environment(
            &base,
            &ExtraEnv::default(),
            ChildLevels {
                this: Runlevel::SINGLE,
                prev: None,
            },
            OsStr::new("/dev/console"),
            Grammar::BusyBox,
        );
        assert_eq!(
            env,
            [
                "HOME=/",
                "TERM=linux",
                "PATH=/sbin:/bin",
                "SHELL=/bin/sh",
                "USER=root"
            ]
        );
    }
}
