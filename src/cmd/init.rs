//! `init`: not written yet as PID 1; outside PID 1 it is telinit.

use super::telinit;

pub fn main(args: Vec<String>) -> i32 {
    if args.iter().skip(1).any(|arg| arg == "--check") {
        return crate::inittab::check_main(args);
    }
    if let Some(code) = telinit::preamble(&args) {
        return code;
    }
    if !telinit::is_init_role(&args) {
        return telinit::telinit(&args);
    }
    eprintln!(
        "{}: not implemented yet",
        args.first().map(String::as_str).unwrap_or("init")
    );
    1
}
