//! A service's limits in its settings file (supervise.d(5)): the cgroup
//! files by their own names (`memory.max`, `memory.high`, `cpu.weight`,
//! `pids.max`, `io.weight`) and the process attributes its script starts
//! with, which its daemon inherits (`nice`, `oom_score_adj`,
//! `rlimit_nofile`, `rlimit_core`). Pure: text in, values or problems out.
//!
//! Unlike the supervision keys, whose bad line rejects the file as a whole
//! (they make sense together), each limit stands alone: a bad value leaves
//! out that setting only, and the service still starts. Values follow the
//! kernel's syntax and are checked as far as it can be done here; what
//! the kernel still refuses is reported when the value is written.

use std::collections::BTreeMap;
use std::fmt;

use super::config::Problem;

/// One key of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    MemoryMax,
    MemoryHigh,
    CpuWeight,
    PidsMax,
    IoWeight,
    Nice,
    OomScoreAdj,
    RlimitNofile,
    RlimitCore,
}

impl Key {
    pub const ALL: [Key; 9] = [
        Key::MemoryMax,
        Key::MemoryHigh,
        Key::CpuWeight,
        Key::PidsMax,
        Key::IoWeight,
        Key::Nice,
        Key::OomScoreAdj,
        Key::RlimitNofile,
        Key::RlimitCore,
    ];

    /// Its name in the file (for a cgroup setting, the cgroup file's).
    pub fn name(self) -> &'static str {
        match self {
            Key::MemoryMax => "memory.max",
            Key::MemoryHigh => "memory.high",
            Key::CpuWeight => "cpu.weight",
            Key::PidsMax => "pids.max",
            Key::IoWeight => "io.weight",
            Key::Nice => "nice",
            Key::OomScoreAdj => "oom_score_adj",
            Key::RlimitNofile => "rlimit_nofile",
            Key::RlimitCore => "rlimit_core",
        }
    }

    pub fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }

    /// The cgroup controller whose file it is (`None`: a process attribute).
    pub fn controller(self) -> Option<&'static str> {
        match self {
            Key::MemoryMax | Key::MemoryHigh => Some("memory"),
            Key::CpuWeight => Some("cpu"),
            Key::PidsMax => Some("pids"),
            Key::IoWeight => Some("io"),
            _ => None,
        }
    }

    /// What its cgroup file holds when the settings say nothing (the
    /// kernel's default), written so that a removed line takes effect.
    pub fn cgroup_default(self) -> Option<&'static str> {
        match self {
            Key::MemoryMax | Key::MemoryHigh | Key::PidsMax => Some("max"),
            Key::CpuWeight => Some("100"),
            Key::IoWeight => Some("default 100"),
            _ => None,
        }
    }

    /// What the value must look like, for messages.
    fn syntax(self) -> &'static str {
        match self {
            Key::MemoryMax | Key::MemoryHigh => {
                "max or a number of bytes, with an optional K, M, G or T suffix"
            }
            Key::CpuWeight => "a weight from 1 to 10000",
            Key::PidsMax => "max or a number of processes from 0 to 4194304",
            Key::IoWeight => {
                "a weight from 1 to 10000, as N, default N, MAJOR:MINOR N or MAJOR:MINOR default"
            }
            Key::Nice => "a niceness from -20 to 19",
            Key::OomScoreAdj => "a number from -1000 to 1000",
            Key::RlimitNofile => "SOFT[:HARD], each a number of files",
            Key::RlimitCore => {
                "SOFT[:HARD], each unlimited or a number of bytes with an optional K, M, G or T suffix"
            }
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A resource limit: soft and hard (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// A good value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// What is written to the cgroup file.
    Cgroup(String),
    /// `nice` or `oom_score_adj`.
    Number(i32),
    Rlimit(Rlimit),
}

/// A good setting and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: Value,
    pub line: usize,
    /// The value as written, for messages.
    pub text: String,
}

/// A service's limits: each key's good setting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Limits {
    pub settings: BTreeMap<Key, Setting>,
}

/// A bad line of a limit key: only that setting is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub key: Key,
    pub problem: Problem,
}

impl Limits {
    /// The cgroup files to write, with the value for each (the default
    /// where nothing is set) and the setting it comes from.
    pub fn cgroup_files(&self) -> Vec<(Key, String, Option<&Setting>)> {
        Key::ALL
            .into_iter()
            .filter_map(|key| {
                let default = key.cgroup_default()?;
                Some(match self.settings.get(&key) {
                    Some(
                        setting @ Setting {
                            value: Value::Cgroup(value),
                            ..
                        },
                    ) => (key, value.clone(), Some(setting)),
                    _ => (key, default.to_string(), None),
                })
            })
            .collect()
    }

    /// `nice` or `oom_score_adj`.
    pub fn number(&self, key: Key) -> Option<i32> {
        match self.settings.get(&key)?.value {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    pub fn rlimit(&self, key: Key) -> Option<Rlimit> {
        match self.settings.get(&key)?.value {
            Value::Rlimit(limit) => Some(limit),
            _ => None,
        }
    }

    /// PID 1's reading of a rewritten file: the new good settings, and for
    /// each key whose new line is bad, its last good setting (`self`).
    pub fn updated(&self, new: Limits, dropped: &[Dropped]) -> Limits {
        let mut settings = new.settings;
        for bad in dropped {
            if let (false, Some(good)) =
                (settings.contains_key(&bad.key), self.settings.get(&bad.key))
            {
                settings.insert(bad.key, good.clone());
            }
        }
        Limits { settings }
    }
}

/// Whether `key` is one of the limits (the settings parser leaves them
/// to [`parse`]).
pub(crate) fn is_key(key: &str) -> bool {
    Key::from_name(key).is_some()
}

/// The limit lines of a settings file: blank lines, comments and the
/// other keys are the settings parser's.
pub fn parse(text: &str) -> (Limits, Vec<Dropped>) {
    let mut limits = Limits::default();
    let mut dropped = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let Some((key, value)) = raw.trim().split_once('=') else {
            continue;
        };
        let Some(key) = Key::from_name(key.trim()) else {
            continue;
        };
        let line = index + 1;
        let text = value.trim();
        match parse_value(key, text) {
            Some(value) => {
                limits.settings.insert(
                    key,
                    Setting {
                        value,
                        line,
                        text: text.to_string(),
                    },
                );
            }
            None => dropped.push(Dropped {
                key,
                problem: Problem {
                    line,
                    message: format!("{key} must be {}, not {text:?}", key.syntax()),
                },
            }),
        }
    }
    (limits, dropped)
}

fn parse_value(key: Key, text: &str) -> Option<Value> {
    match key {
        Key::MemoryMax | Key::MemoryHigh => {
            if text == "max" {
                return Some(Value::Cgroup("max".to_string()));
            }
            parse_bytes(text).map(|bytes| Value::Cgroup(bytes.to_string()))
        }
        Key::CpuWeight => weight(text).map(|weight| Value::Cgroup(weight.to_string())),
        Key::PidsMax => {
            if text == "max" {
                return Some(Value::Cgroup("max".to_string()));
            }
            let count: u32 = text.parse().ok().filter(|&n| n <= PID_MAX_LIMIT)?;
            Some(Value::Cgroup(count.to_string()))
        }
        Key::IoWeight => io_weight(text).map(Value::Cgroup),
        Key::Nice => number_in(text, -20, 19).map(Value::Number),
        Key::OomScoreAdj => number_in(text, -1000, 1000).map(Value::Number),
        Key::RlimitNofile => parse_rlimit(text, false).map(Value::Rlimit),
        Key::RlimitCore => parse_rlimit(text, true).map(Value::Rlimit),
    }
}

/// The kernel's largest `pid_max` on 64-bit systems (`PID_MAX_LIMIT`),
/// above which `pids.max` is refused.
const PID_MAX_LIMIT: u32 = 4 * 1024 * 1024;

/// A cgroup weight: 1 to 10000 (`CGROUP_WEIGHT_MIN`, `_MAX`).
fn weight(text: &str) -> Option<u32> {
    text.parse()
        .ok()
        .filter(|weight| (1..=10000).contains(weight))
}

/// `io.weight`'s forms, one per write: `N` or `default N` (the weight of
/// every device), `MAJ:MIN N` or `MAJ:MIN default` (one device's).
fn io_weight(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [n] => weight(n).map(|n| format!("default {n}")),
        ["default", n] => weight(n).map(|n| format!("default {n}")),
        [device, n] => {
            let (major, minor) = device.split_once(':')?;
            let major: u32 = major.parse().ok()?;
            let minor: u32 = minor.parse().ok()?;
            let n = if *n == "default" {
                "default".to_string()
            } else {
                weight(n)?.to_string()
            };
            Some(format!("{major}:{minor} {n}"))
        }
        _ => None,
    }
}

fn number_in(text: &str, low: i32, high: i32) -> Option<i32> {
    text.parse()
        .ok()
        .filter(|number| (low..=high).contains(number))
}

/// A byte count: digits with an optional K, M, G or T (powers of 1024,
/// either case), as the kernel's `memparse` reads them.
fn parse_bytes(text: &str) -> Option<u64> {
    let (digits, shift) = match text.char_indices().last()? {
        (at, 'k' | 'K') => (text.get(..at)?, 10),
        (at, 'm' | 'M') => (text.get(..at)?, 20),
        (at, 'g' | 'G') => (text.get(..at)?, 30),
        (at, 't' | 'T') => (text.get(..at)?, 40),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    number.checked_mul(1u64 << shift)
}

/// `SOFT[:HARD]`, one value setting both; `unlimited` only where the
/// kernel allows it (not for open files, capped by `fs.nr_open`).
fn parse_rlimit(text: &str, bytes: bool) -> Option<Rlimit> {
    let one = |text: &str| -> Option<Option<u64>> {
        let text = text.trim();
        if text == "unlimited" || text == "infinity" {
            return bytes.then_some(None);
        }
        let value = if bytes {
            parse_bytes(text)?
        } else {
            text.parse().ok()?
        };
        // RLIM_INFINITY itself is "unlimited", not a number.
        (value != u64::MAX).then_some(Some(value))
    };
    let (soft, hard) = match text.split_once(':') {
        Some((soft, hard)) => (one(soft)?, one(hard)?),
        None => {
            let both = one(text)?;
            (both, both)
        }
    };
    let soft_fits = match (soft, hard) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(soft), Some(hard)) => soft <= hard,
    };
    soft_fits.then_some(Rlimit { soft, hard })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(key: Key, text: &str) -> Option<Value> {
        parse_value(key, text)
    }

    fn cgroup(text: &str) -> Option<Value> {
        Some(Value::Cgroup(text.to_string()))
    }

    #[test]
    fn memory_takes_max_and_byte_counts() {
        assert_eq!(value(Key::MemoryMax, "max"), cgroup("max"));
        assert_eq!(value(Key::MemoryMax, "4096"), cgroup("4096"));
        assert_eq!(value(Key::MemoryHigh, "64M"), cgroup("67108864"));
        assert_eq!(value(Key::MemoryMax, "1g"), cgroup("1073741824"));
        assert_eq!(value(Key::MemoryMax, "2T"), cgroup("2199023255552"));
        assert_eq!(value(Key::MemoryMax, "512k"), cgroup("524288"));
        for bad in [
            "",
            "M",
            "-1",
            "1.5G",
            "64MB",
            "lots",
            "1 G",
            "Max",
            "99999999999T",
        ] {
            assert_eq!(value(Key::MemoryMax, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn weights_and_pids() {
        assert_eq!(value(Key::CpuWeight, "1"), cgroup("1"));
        assert_eq!(value(Key::CpuWeight, "10000"), cgroup("10000"));
        for bad in ["0", "10001", "-5", "max", "1e3"] {
            assert_eq!(value(Key::CpuWeight, bad), None, "{bad:?}");
        }
        assert_eq!(value(Key::PidsMax, "max"), cgroup("max"));
        assert_eq!(value(Key::PidsMax, "0"), cgroup("0"));
        assert_eq!(value(Key::PidsMax, "4194304"), cgroup("4194304"));
        assert_eq!(value(Key::PidsMax, "4194305"), None);
        assert_eq!(value(Key::PidsMax, "-1"), None);
        assert_eq!(value(Key::IoWeight, "200"), cgroup("default 200"));
        assert_eq!(value(Key::IoWeight, "default  50"), cgroup("default 50"));
        assert_eq!(value(Key::IoWeight, "8:16 300"), cgroup("8:16 300"));
        assert_eq!(value(Key::IoWeight, "8:16 default"), cgroup("8:16 default"));
        for bad in [
            "0",
            "default",
            "8:16",
            "8-16 100",
            "8:x 100",
            "1 2 3",
            "default 0",
        ] {
            assert_eq!(value(Key::IoWeight, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn process_attributes() {
        assert_eq!(value(Key::Nice, "-20"), Some(Value::Number(-20)));
        assert_eq!(value(Key::Nice, "19"), Some(Value::Number(19)));
        assert_eq!(value(Key::Nice, "20"), None);
        assert_eq!(value(Key::OomScoreAdj, "-1000"), Some(Value::Number(-1000)));
        assert_eq!(value(Key::OomScoreAdj, "1001"), None);
        let limit = |soft, hard| Some(Value::Rlimit(Rlimit { soft, hard }));
        assert_eq!(
            value(Key::RlimitNofile, "4096"),
            limit(Some(4096), Some(4096))
        );
        assert_eq!(
            value(Key::RlimitNofile, "1024:65536"),
            limit(Some(1024), Some(65536))
        );
        assert_eq!(value(Key::RlimitCore, "unlimited"), limit(None, None));
        assert_eq!(value(Key::RlimitCore, "0:unlimited"), limit(Some(0), None));
        assert_eq!(
            value(Key::RlimitCore, "1M:2M"),
            limit(Some(1 << 20), Some(2 << 20))
        );
        for bad in [
            "unlimited",
            "2:1",
            "1:2:3",
            "x",
            "",
            "-1",
            "18446744073709551615",
        ] {
            assert_eq!(value(Key::RlimitNofile, bad), None, "{bad:?}");
        }
        assert_eq!(value(Key::RlimitCore, "unlimited:0"), None);
    }

    #[test]
    fn a_bad_line_drops_only_its_setting() {
        let (limits, dropped) = parse(
            "restart=no\nmemory.max=64M\nnice=99\n# nice=1\npids.max = 10\nmemory.max=lots\nrlimit_core=0\n",
        );
        let keys: Vec<Key> = limits.settings.keys().copied().collect();
        assert_eq!(keys, [Key::MemoryMax, Key::PidsMax, Key::RlimitCore]);
        assert_eq!(limits.settings[&Key::MemoryMax].line, 2);
        let lines: Vec<(Key, usize)> = dropped.iter().map(|d| (d.key, d.problem.line)).collect();
        assert_eq!(lines, [(Key::Nice, 3), (Key::MemoryMax, 6)]);
        assert_eq!(
            dropped[0].problem.to_string(),
            "3: nice must be a niceness from -20 to 19, not \"99\""
        );
    }

    #[test]
    fn cgroup_files_get_defaults_where_nothing_is_set() {
        let (limits, _) = parse("memory.max=1G\nnice=5\n");
        let files: Vec<(&str, String, Option<usize>)> = limits
            .cgroup_files()
            .into_iter()
            .map(|(key, value, setting)| (key.name(), value, setting.map(|s| s.line)))
            .collect();
        assert_eq!(
            files,
            [
                ("memory.max", "1073741824".to_string(), Some(1)),
                ("memory.high", "max".to_string(), None),
                ("cpu.weight", "100".to_string(), None),
                ("pids.max", "max".to_string(), None),
                ("io.weight", "default 100".to_string(), None),
            ]
        );
        assert_eq!(limits.number(Key::Nice), Some(5));
        assert_eq!(limits.number(Key::OomScoreAdj), None);
    }

    #[test]
    fn init_keeps_the_last_good_value_of_a_bad_key() {
        let (old, _) = parse("memory.max=1G\nnice=5\npids.max=100\n");
        let (new, dropped) = parse("memory.max=oops\nnice=6\n");
        let updated = old.updated(new, &dropped);
        assert_eq!(updated.settings[&Key::MemoryMax].text, "1G");
        assert_eq!(updated.number(Key::Nice), Some(6));
        // A removed line is removed.
        assert!(!updated.settings.contains_key(&Key::PidsMax));
    }
}
