//! init's own arguments (SPEC §4.2) and the parts of `/proc/cmdline` init
//! and rc look at (SPEC §6): `init.autocon=1` consoles and `concurrency=none`.
//! Pure functions over strings.

/// What init's argv asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitArgs {
    /// Level from `single`/`-s` (`S`) or a single `0-9sS` word (`s` → `S`);
    /// overrides initdefault.
    pub default_level: Option<char>,
    /// `-a`/`auto`: children get `AUTOBOOT=YES`.
    pub autoboot: bool,
    /// `-b`/`emergency`: run sulogin before the boot (SPEC §3.8).
    pub emergency: bool,
    /// `-i`/`--init` was given: act as init even if not PID 1 (SPEC §4.1).
    pub init_flag: bool,
}

/// Scans init's arguments (without `argv[0]`), each word independently;
/// anything unknown is ignored, as in sysvinit.
pub fn parse_init_args<S: AsRef<str>>(args: &[S]) -> InitArgs {
    let mut parsed = InitArgs::default();
    let mut words = args.iter().map(AsRef::as_ref);
    while let Some(word) = words.next() {
        match word {
            "single" | "-s" => parsed.default_level = Some('S'),
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
                    && "0123456789sS".contains(c)
                {
                    parsed.default_level = Some(c.to_ascii_uppercase());
                }
            }
        }
    }
    parsed
}

/// A getty entry `init.autocon=1` asks for (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoconEntry {
    /// inittab id: the device name without a leading `tty`.
    pub id: String,
    /// The device name, e.g. `ttyS0`.
    pub device: String,
}

impl AutoconEntry {
    /// The entry's runlevels field.
    pub const RUNLEVELS: &'static str = "2345";

    /// The entry's process field (action `respawn`).
    pub fn process(&self) -> String {
        format!("/sbin/agetty -L -s 115200,38400,9600 {} vt102", self.device)
    }

    /// The message init logs (CS) when it adds the entry.
    pub fn log_message(&self) -> String {
        format!("added agetty on {} with id {}", self.device, self.id)
    }
}

/// sysvinit keeps the device in a 32-byte buffer and the id in 8 bytes.
const MAX_DEVICE: usize = 31;
const MAX_ID: usize = 7;

/// The getty entries for `console=` words when `/proc/cmdline` contains
/// `init.autocon=1`, in command-line order, without duplicate ids. The caller
/// must still skip ids that inittab already defines (sysvinit does).
pub fn autocon_entries(cmdline: &str) -> Vec<AutoconEntry> {
    let mut entries: Vec<AutoconEntry> = Vec::new();
    if !cmdline.contains("init.autocon=1") {
        return entries;
    }
    // sysvinit searches for the substring, not the word.
    for (start, _) in cmdline.match_indices("console=") {
        let value = &cmdline[start + "console=".len()..];
        let device: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-./_".contains(*c))
            .take(MAX_DEVICE)
            .collect();
        if device.is_empty() {
            continue;
        }
        let id: String = device
            .strip_prefix("tty")
            .unwrap_or(&device)
            .chars()
            .take(MAX_ID)
            .collect();
        // A bare `console=tty` would give an empty id, which no inittab
        // entry can have; sysvinit adds it anyway, we skip it.
        if !id.is_empty() && entries.iter().all(|e| e.id != id) {
            entries.push(AutoconEntry { id, device });
        }
    }
    entries
}

/// True if the kernel command line has the word `concurrency=none`, which
/// makes Debian's rc run scripts one by one (SPEC §8.2).
pub fn concurrency_none(cmdline: &str) -> bool {
    cmdline.split_whitespace().any(|w| w == "concurrency=none")
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
                default_level: Some('3'),
                autoboot: true,
                emergency: true,
                init_flag: false
            }
        );
        let p = parse_init_args(&args("-a -b -s --init"));
        assert!(p.autoboot && p.emergency && p.init_flag);
        assert_eq!(p.default_level, Some('S'));
        assert_eq!(parse_init_args(&args("single")).default_level, Some('S'));
        assert!(parse_init_args(&args("-i")).init_flag);
    }

    #[test]
    fn single_character_levels_and_last_wins() {
        assert_eq!(parse_init_args(&args("s")).default_level, Some('S'));
        assert_eq!(parse_init_args(&args("5 2")).default_level, Some('2'));
        assert_eq!(parse_init_args(&args("single 4")).default_level, Some('4'));
        assert_eq!(parse_init_args(&args("9")).default_level, Some('9'));
        for ignored in ["q", "a", "33", "", "-t", "ro", "BOOT_IMAGE=x", "é"] {
            assert_eq!(
                parse_init_args(&[ignored]),
                InitArgs::default(),
                "{ignored:?}"
            );
        }
    }

    #[test]
    fn z_skips_its_argument() {
        assert_eq!(parse_init_args(&args("-z 3")).default_level, None);
        assert_eq!(
            parse_init_args(&args("-z xxxxxxxx 5")).default_level,
            Some('5')
        );
        assert_eq!(parse_init_args(&args("5 -z")).default_level, Some('5'));
    }

    #[test]
    fn autocon_needs_the_switch() {
        assert!(autocon_entries("console=ttyS0,115200 quiet").is_empty());
        assert!(autocon_entries("init.autocon=0 console=ttyS0").is_empty());
    }

    #[test]
    fn autocon_devices_ids_and_duplicates() {
        let got = autocon_entries(
            "BOOT_IMAGE=/vmlinuz console=tty0 init.autocon=1 console=ttyS0,115200n8 \
             console=hvc0 console=ttyS0 console=,x console=ttyAMA0",
        );
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|e| (e.id.as_str(), e.device.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("0", "tty0"),
                ("S0", "ttyS0"),
                ("hvc0", "hvc0"),
                ("AMA0", "ttyAMA0")
            ]
        );
        assert_eq!(
            got[1].process(),
            "/sbin/agetty -L -s 115200,38400,9600 ttyS0 vt102"
        );
        assert_eq!(got[1].log_message(), "added agetty on ttyS0 with id S0");
        assert_eq!(AutoconEntry::RUNLEVELS, "2345");
    }

    #[test]
    fn autocon_limits_lengths() {
        let long = format!("init.autocon=1 console={}", "x".repeat(100));
        let got = autocon_entries(&long);
        assert_eq!(got[0].device.len(), MAX_DEVICE);
        assert_eq!(got[0].id.len(), MAX_ID);
        // Non-ASCII ends the name without panicking; an empty id is skipped.
        assert!(autocon_entries("init.autocon=1 console=ttyé").is_empty());
        let got = autocon_entries("init.autocon=1 console=hvcé");
        assert_eq!(got[0].device, "hvc");
    }

    #[test]
    fn concurrency_word() {
        assert!(concurrency_none("quiet concurrency=none ro"));
        assert!(!concurrency_none("concurrency=nonexistent"));
        assert!(!concurrency_none(""));
    }
}
