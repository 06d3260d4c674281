fn main() {
    vinit::sys::restore_default_sigpipe();
    std::process::exit(vinit::cmd::dispatch(std::env::args_os().collect()));
}
