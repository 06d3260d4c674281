//! `insserv.conf` text added to Debian's defaults, then every facility
//! expanded (nested and looping facilities included). Never panics, and an
//! expansion's required members are among its members.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use vinit::rc::insserv_conf::Facilities;

fn defaults() -> &'static Facilities {
    static DEFAULTS: OnceLock<Facilities> = OnceLock::new();
    DEFAULTS.get_or_init(Facilities::debian_defaults)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut facilities = defaults().clone();
    let mut warnings = Vec::new();
    facilities.parse_into(&text, "/etc/insserv.conf", &mut warnings);
    let names: BTreeSet<&str> = text
        .split_whitespace()
        .filter(|word| word.starts_with('$') || word.starts_with("+$"))
        .map(|word| word.trim_start_matches('+'))
        .chain([
            "$local_fs",
            "$remote_fs",
            "$network",
            "$syslog",
            "$time",
            "$all",
        ])
        .collect();
    for name in names {
        match facilities.expand(name) {
            Some(expansion) => {
                assert!(facilities.is_defined(name));
                assert!(expansion.required.is_subset(&expansion.members));
            }
            None => assert!(!facilities.is_defined(name)),
        }
    }
});
