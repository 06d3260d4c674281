//! `halt`: not written yet.

pub fn main(args: Vec<String>) -> i32 {
    eprintln!(
        "{}: not implemented yet",
        args.first().map(String::as_str).unwrap_or("halt")
    );
    1
}
