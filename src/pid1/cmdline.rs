//! init's own arguments (docs/compatibility.md §4.2). (The `/proc/cmdline` parts are with
//! their users: `init.autocon=1` in `inittab::kernel_console_entries`,
//! `concurrency=none` in `rc`.)

use std::ffi::OsStr;

use crate::runlevel::Runlevel;

/// What init's argv asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitArgs {
    /// Level from `single`/`-s` (`S`) or a word of one level's character
    /// (`s` → `S`); overrides initdefault.
    pub default_level: Option<Runlevel>,
    /// `-a`/`auto`: children get `AUTOBOOT=YES`.
    pub autoboot: bool,
    /// `-b`/`emergency`: run sulogin before the boot (docs/compatibility.md §3.8).
    pub emergency: bool,
    /// `-i`/`--init` was given: act as init even if not PID 1 (docs/compatibility.md §4.1).
    pub init_flag: bool,
}

/// Scans init's arguments (without `argv[0]`), each word independently;
/// anything unknown is ignored, as in sysvinit (a word that is not UTF-8
/// is unknown).
pub fn parse_init_args<S: AsRef<OsStr>>(args: &[S]) -> InitArgs {
    let mut parsed = InitArgs::default();
    let mut words = args.iter().map(|word| word.as_ref().to_str().unwrap_or(""));
    while let Some(word) = words.next() {
        match word {
            "single" | "-s" => parsed.default_level = Some(Runlevel::SINGLE),
            "-a" | "auto" => parsed.autoboot = true,
            "-b" | "emergency" => parsed.emergency = true,
            "-i" | "--init" => parsed.init_flag = true,
            // `-z xxx` only pads argv so the process title has room.
            "-z" => {
                words.next();
            }
            _ => {
                let mut chars = word.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && let Some(level) = Runlevel::from_char(c)
                {
                    parsed.default_level = Some(level);
                }
            }
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn init_words() {
        assert_eq!(parse_init_args::<&str>(&[]), InitArgs::default());
        let p = parse_init_args(&args("auto emergency 3"));
        assert_eq!(
            p,
            InitArgs {
                default_level: Runlevel::from_char('3'),
                autoboot: true,
                emergency: true,
                init_flag: false
            }
        );
        let p = parse_init_args(&args("-a -b -s --init"));
        assert!(p.autoboot && p.emergency && p.init_flag);
        assert_eq!(p.default_level.map(Runlevel::char), Some('S'));
        assert_eq!(
            parse_init_args(&args("single"))
                .default_level
                .map(Runlevel::char),
            Some('S')
        );
        assert!(parse_init_args(&args("-i")).init_flag);
    }

    #[test]
    fn single_character_levels_and_last_wins() {
        assert_eq!(
            parse_init_args(&args("s"))
                .default_level
                .map(Runlevel::char),
            Some('S')
        );
        assert_eq!(
            parse_init_args(&args("5 2"))
                .default_level
                .map(Runlevel::char),
            Some('2')
        );
        assert_eq!(
            parse_init_args(&args("single 4"))
                .default_level
                .map(Runlevel::char),
            Some('4')
        );
        assert_eq!(
            parse_init_args(&args("9"))
                .default_level
                .map(Runlevel::char),
            Some('9')
        );
        for ignored in ["q", "a", "33", "", "-t", "ro", "BOOT_IMAGE=x", "é"] {
            assert_eq!(
                parse_init_args(&[ignored]),
                InitArgs::default(),
                "{ignored:?}"
            );
        }
        // Words that are not UTF-8 are unknown, and still words (`-z` skips one).
        use std::os::unix::ffi::OsStrExt;
        let bytes = |b: &'static [u8]| OsStr::from_bytes(b);
        assert_eq!(parse_init_args(&[bytes(b"\xff")]), InitArgs::default());
        let p = parse_init_args(&[bytes(b"-z"), bytes(b"\xff"), bytes(b"3")]);
        assert_eq!(p.default_level.map(Runlevel::char), Some('3'));
    }

    #[test]
    fn z_skips_its_argument() {
        assert_eq!(
            parse_init_args(&args("-z 3"))
                .default_level
                .map(Runlevel::char),
            None
        );
        assert_eq!(
            parse_init_args(&args("-z xxxxxxxx 5"))
                .default_level
                .map(Runlevel::char),
            Some('5')
        );
        assert_eq!(
            parse_init_args(&args("5 -z"))
                .default_level
                .map(Runlevel::char),
            Some('5')
        );
    }
}
