//! `init`: not written yet.

pub fn main(args: Vec<String>) -> i32 {
    if args.iter().skip(1).any(|arg| arg == "--check") {
        return crate::inittab::check_main(args);
    }
    eprintln!("{}: not implemented yet", args.first().map(String::as_str).unwrap_or("init"));
    1
}
