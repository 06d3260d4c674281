fn main() {
    std::process::exit(vinit::cmd::dispatch(std::env::args_os().collect()));
}
