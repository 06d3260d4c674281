//! `runlevel [utmp]`: print the previous and current runlevel (docs/compatibility.md §5.5).

use std::ffi::OsString;
use std::path::Path;

use crate::utmp::{RUNLEVEL_PATH, UTMP_PATH, read_runlevel, read_runlevel_file};

/// The first RUN_LVL record of the utmp file (the argument, else
/// `/var/run/utmp`) as `"<prev> <cur>"` with a previous of 0 shown as `N`;
/// else `N <c>` from `/var/run/runlevel`; else `unknown` and exit 1.
/// Further arguments are ignored, as sysvinit's `runlevel` ignores them;
/// `--help` or `--version` alone prints the usage or the version. The
/// file's name is a path, any bytes.
pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let help = || {
        format!(
            "Usage: runlevel [UTMP]\n\
             Prints the previous and the current runlevel (N: none), e.g. \"N 2\",\n\
             from UTMP (default {UTMP_PATH}), else from {RUNLEVEL_PATH}.\n\
             Exit status: 0 when a level was printed; 1 when \"unknown\" was.\n"
        )
    };
    if let Some(code) = super::help_or_version("runlevel", args.get(1..).unwrap_or_default(), help)
    {
        return code;
    }
    let utmp = args.get(1).map_or(Path::new(UTMP_PATH), Path::new);
    match answer(utmp, Path::new(RUNLEVEL_PATH)) {
        Some(text) => {
            println!("{text}");
            0
        }
        None => {
            println!("unknown");
            1
        }
    }
}

fn answer(utmp: &Path, runlevel_file: &Path) -> Option<String> {
    let (previous, current) = match read_runlevel(utmp) {
        Some((0, current)) => (b'N', current),
        Some(levels) => levels,
        None => (b'N', read_runlevel_file(runlevel_file)?),
    };
    Some(format!("{} {}", char::from(previous), char::from(current)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utmp::{RECORD_LEN, RUN_LVL};

    fn utmp_with_level(dir: &Path, pid: i32) -> std::path::PathBuf {
        let path = dir.join("utmp");
        let mut record = [0u8; RECORD_LEN];
        record[..2].copy_from_slice(&RUN_LVL.to_le_bytes());
        record[4..8].copy_from_slice(&pid.to_le_bytes());
        std::fs::write(&path, record).unwrap();
        path
    }

    #[test]
    fn answers_in_sysvinit_order() {
        let dir = tempfile::tempdir().unwrap();
        let level_file = dir.path().join("runlevel");
        let missing = dir.path().join("missing");
        assert_eq!(answer(&missing, &level_file), None);
        std::fs::write(&level_file, "5").unwrap();
        assert_eq!(answer(&missing, &level_file).as_deref(), Some("N 5"));
        let utmp = utmp_with_level(dir.path(), 0x4E33);
        assert_eq!(answer(&utmp, &level_file).as_deref(), Some("N 3"));
        let utmp = utmp_with_level(dir.path(), i32::from(b'3'));
        assert_eq!(answer(&utmp, &level_file).as_deref(), Some("N 3"));
        let utmp = utmp_with_level(dir.path(), 0x5333);
        assert_eq!(answer(&utmp, &level_file).as_deref(), Some("S 3"));
    }
}
