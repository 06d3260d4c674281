//! `init`: PID 1 (docs/compatibility.md §4.1, §4.2). Outside PID 1 and without `-i`/`--init`
//! it is telinit, whatever its name; `--check [FILE]` checks an inittab.

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
    crate::pid1::main(args)
}
