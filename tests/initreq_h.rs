//! `packaging/initreq.h`, the header the package installs as `/usr/include/initreq.h` (as
//! sysvinit-core does), describes the request vinit's init reads: a C program compiled
//! against it with gcc (`make test` installs it) builds requests whose bytes are those of
//! vinit's encoder (`vinit::initctl::Request`) and of Debian's telinit (the golden vectors
//! of `tests/vectors/initctl/`), and the struct's size and offsets are the 384-byte layout
//! of docs/compatibility.md §4.4.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{describe, host_tool, initctl_vector, text};
use vinit::initctl::{self, REQUEST_LEN, Request};

/// Prints the header's constants and layout as `name value` lines, then writes the bytes of
/// `telinit 3` and of `telinit -e INIT_FOO=bar -e INIT_BAZ`, each built with the header's
/// names only, to the files named by its two arguments.
const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <initreq.h>

static int save(const char *path, const struct init_request *request)
{
	FILE *file = fopen(path, "wb");
	return file && fwrite(request, sizeof *request, 1, file) == 1 && fclose(file) == 0;
}

int main(int argc, char **argv)
{
	struct init_request request;
	static const char env[] = "INIT_FOO=bar\0INIT_BAZ\0";

	if (argc != 3)
		return 2;
	printf("size %zu\n", sizeof(struct init_request));
	printf("magic %d\n", INIT_MAGIC);
	printf("fifo %s\n", INIT_FIFO);
	printf("cmd_start %d\n", INIT_CMD_START);
	printf("cmd_runlvl %d\n", INIT_CMD_RUNLVL);
	printf("cmd_powerfail %d\n", INIT_CMD_POWERFAIL);
	printf("cmd_powerfailnow %d\n", INIT_CMD_POWERFAILNOW);
	printf("cmd_powerok %d\n", INIT_CMD_POWEROK);
	printf("cmd_bsd %d\n", INIT_CMD_BSD);
	printf("cmd_setenv %d\n", INIT_CMD_SETENV);
	printf("cmd_unsetenv %d\n", INIT_CMD_UNSETENV);
	printf("cmd %zu\n", offsetof(struct init_request, cmd));
	printf("runlevel %zu\n", offsetof(struct init_request, runlevel));
	printf("sleeptime %zu\n", offsetof(struct init_request, sleeptime));
	printf("data %zu\n", offsetof(struct init_request, i.data));
	printf("data_size %zu\n", sizeof request.i.data);
	printf("bsd.gen_id %zu\n", offsetof(struct init_request, i.bsd.gen_id));
	printf("bsd.tty_id %zu\n", offsetof(struct init_request, i.bsd.tty_id));
	printf("bsd.host %zu\n", offsetof(struct init_request, i.bsd.host));
	printf("bsd.term_type %zu\n", offsetof(struct init_request, i.bsd.term_type));
	printf("bsd.signal %zu\n", offsetof(struct init_request, i.bsd.signal));
	printf("bsd.pid %zu\n", offsetof(struct init_request, i.bsd.pid));
	printf("bsd.exec_name %zu\n", offsetof(struct init_request, i.bsd.exec_name));
	printf("bsd.reserved %zu\n", offsetof(struct init_request, i.bsd.reserved));

	memset(&request, 0, sizeof request);
	request.magic = INIT_MAGIC;
	request.cmd = INIT_CMD_RUNLVL;
	request.runlevel = '3';
	request.sleeptime = 3;
	if (!save(argv[1], &request))
		return 1;

	memset(&request, 0, sizeof request);
	request.magic = INIT_MAGIC;
	request.cmd = INIT_CMD_SETENV;
	memcpy(request.i.data, env, sizeof env);
	return save(argv[2], &request) ? 0 : 1;
}
"#;

/// What the program printed, and the two requests it wrote.
struct Built {
    values: Vec<(String, String)>,
    runlevel: Vec<u8>,
    setenv: Vec<u8>,
}

impl Built {
    fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("the program prints {name}"))
    }

    fn number(&self, name: &str) -> i64 {
        let value = self.value(name);
        value
            .parse()
            .unwrap_or_else(|e| panic!("{name} {value}: {e}"))
    }
}

/// Compiles [`PROGRAM`] with gcc against the header (strict C, every warning an error) and
/// runs it.
fn build_and_run() -> Built {
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging");
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("initreq_test.c");
    fs::write(&source, PROGRAM).expect("write the C program");
    let program = dir.path().join("initreq_test");
    let out = Command::new(host_tool("gcc"))
        .args([
            "-std=c11",
            "-D_DEFAULT_SOURCE",
            "-Wall",
            "-Wextra",
            "-Werror",
        ])
        .arg("-I")
        .arg(&include)
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .output()
        .expect("run gcc");
    assert!(out.status.success(), "gcc: {}", describe(&out));
    let (runlevel, setenv) = (dir.path().join("runlevel"), dir.path().join("setenv"));
    let out = Command::new(&program)
        .arg(&runlevel)
        .arg(&setenv)
        .output()
        .expect("run the C program");
    assert!(out.status.success(), "the C program: {}", describe(&out));
    let values = text(&out.stdout)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    Built {
        values,
        runlevel: fs::read(&runlevel).expect("read the runlevel request"),
        setenv: fs::read(&setenv).expect("read the setenv request"),
    }
}

#[test]
fn initreq_h_builds_the_requests_vinit_and_telinit_write() {
    let built = build_and_run();
    let ours = Request::runlevel(b'3', 3).encode();
    assert_eq!(built.runlevel, ours, "telinit 3: header vs vinit's encoder");
    assert_eq!(
        built.runlevel,
        initctl_vector("telinit-3.bin"),
        "telinit 3: header vs Debian's telinit"
    );
    let ours = Request::setenv(&["INIT_FOO=bar", "INIT_BAZ"])
        .expect("fits")
        .encode();
    assert_eq!(built.setenv, ours, "telinit -e: header vs vinit's encoder");
    assert_eq!(
        built.setenv,
        initctl_vector("telinit-e-env.bin"),
        "telinit -e: header vs Debian's telinit"
    );
    // And vinit's init reads what the header builds.
    let decoded = Request::decode(&built.runlevel).expect("init takes the request");
    assert_eq!(decoded, Request::runlevel(b'3', 3));
}

#[test]
fn initreq_h_has_the_layout_and_constants_of_the_wire_format() {
    let built = build_and_run();
    assert_eq!(built.number("size"), REQUEST_LEN as i64);
    let magic = i32::from_ne_bytes(Request::runlevel(b'3', 3).encode()[..4].try_into().unwrap());
    assert_eq!(built.number("magic"), i64::from(magic));
    assert_eq!(built.value("fifo"), "/run/initctl");
    for (name, ours) in [
        ("cmd_start", initctl::CMD_START),
        ("cmd_runlvl", initctl::CMD_RUNLVL),
        ("cmd_powerfail", initctl::CMD_POWERFAIL),
        ("cmd_powerfailnow", initctl::CMD_POWERFAILNOW),
        ("cmd_powerok", initctl::CMD_POWEROK),
    ] {
        assert_eq!(built.number(name), i64::from(ours), "{name}");
    }
    let setenv = Request::setenv(&[]).expect("fits").encode();
    let cmd_setenv = i32::from_ne_bytes(setenv[4..8].try_into().unwrap());
    assert_eq!(built.number("cmd_setenv"), i64::from(cmd_setenv));
    // The commands vinit's init does not implement keep sysvinit's numbers (§4.4).
    assert_eq!(built.number("cmd_bsd"), 5);
    assert_eq!(built.number("cmd_unsetenv"), 7);
    // docs/compatibility.md §4.4: four ints, then the 368-byte union.
    for (field, offset) in [
        ("cmd", 4),
        ("runlevel", 8),
        ("sleeptime", 12),
        ("data", 16),
        ("data_size", 368),
        ("bsd.gen_id", 16),
        ("bsd.tty_id", 24),
        ("bsd.host", 40),
        ("bsd.term_type", 104),
        ("bsd.signal", 120),
        ("bsd.pid", 124),
        ("bsd.exec_name", 128),
        ("bsd.reserved", 256),
    ] {
        assert_eq!(built.number(field), offset, "{field}");
    }
}
