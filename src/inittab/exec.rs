//! The process-field planner: what sysvinit 3.06's `spawn()` executes for an
//! entry (docs/compatibility.md §1.7, §1.8), or BusyBox's `init_exec` for an
//! entry of a BusyBox inittab (§11.3). Pure: the caller says whether
//! `/etc/initscript` is readable and what the current runlevel is.

use super::{Action, Entry, Grammar};
use crate::runlevel::Phase;

/// The optional wrapper script for every spawned process.
pub(crate) const INITSCRIPT: &str = "/etc/initscript";
const SHELL: &str = "/bin/sh";

/// The characters that make sysvinit run the process through the shell.
pub(super) const SHELL_METACHARACTERS: &[u8] = b"~`!$^&*()=|\\{}[];\"'<>?";
/// sysvinit's `char buf[136]` holding `exec <process>` or the split words.
const SPAWN_BUFFER: usize = 136;
const EXEC_PREFIX: &str = "exec ";
/// `args[16]` minus argv[0]'s duplicate slot and the NULL: 14 words.
const MAX_WORDS: usize = 14;

/// The most bytes of `/dev/<tty>` BusyBox keeps (its `char terminal[32]`).
const BUSYBOX_TTY_MAX: usize = 31;

/// What BusyBox's `askfirst` entries print before waiting for Enter.
pub(crate) const ASKFIRST_PROMPT: &str = "\nPlease press Enter to activate this console. ";

/// What to execute for an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecPlan {
    /// Looked up in the child's `PATH` (`execvp`). Empty when the process
    /// field has no word (e.g. empty): the exec then fails and init logs
    /// `cannot execute`.
    pub program: String,
    /// The arguments, `argv[0]` first: the program itself, except for a
    /// BusyBox login shell, whose `argv[0]` starts with `-`.
    pub argv: Vec<String>,
    /// What runs when `program` turns out to be no executable format
    /// (`ENOEXEC`: a script without `#!`).
    pub fallback: Vec<String>,
    /// Write INIT_PROCESS/DEAD_PROCESS utmp records: `false` with a `+`
    /// prefix, and for BusyBox entries.
    pub utmp: bool,
    /// Where standard input, output and error go.
    pub terminal: Terminal,
    /// BusyBox's `askfirst`: print [`ASKFIRST_PROMPT`] and wait for Enter
    /// before executing.
    pub ask_first: bool,
    /// BusyBox's leading `-`: a login shell, which gets its terminal as
    /// its controlling tty if no other session has it.
    pub login: bool,
}

/// A child's terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Terminal {
    /// init's console.
    Console,
    /// A BusyBox entry's tty, `/dev/<id>`.
    Device(String),
}

/// sysvinit's `spawn()` argv (docs/compatibility.md §1.7):
/// 1. a leading `+` is removed (and turns off utmp records);
/// 2. if `initscript_present` and `current_level` is not `S`:
///    `/bin/sh /etc/initscript <id> <runlevels> <action> <process>` (with `@`
///    removed; the runlevels are the effective ones sysvinit stores, e.g. `#`
///    for sysinit);
/// 3. else, if the process contains a shell metacharacter and does not start
///    with `@`: `/bin/sh -c "exec <process>"`, cut to sysvinit's 136-byte
///    buffer, i.e. the first 130 bytes of the process;
/// 4. else (after removing a leading `@`): split on spaces and tabs into at
///    most 14 words; a `#` ends the command, even inside a word (a word that
///    starts with `#` becomes one empty argument, as in sysvinit). No quoting.
///
/// `+` only counts before `@`: `@+cmd` runs a program named `+cmd`.
///
/// An entry of a BusyBox inittab is planned as BusyBox does instead
/// ([`plan_busybox`]).
pub(crate) fn plan_exec(entry: &Entry, initscript_present: bool, current_level: Phase) -> ExecPlan {
    if entry.grammar == Grammar::BusyBox {
        return plan_busybox(entry);
    }
    let process = after_plus(&entry.process);
    let argv = if initscript_present && current_level != Phase::SINGLE {
        vec![
            SHELL.to_string(),
            INITSCRIPT.to_string(),
            entry.id.clone(),
            entry.effective_runlevels().into_owned(),
            entry.action.name().to_string(),
            lossy(without_at(process)),
        ]
    } else if !process.starts_with(b"@") && process.iter().any(|b| SHELL_METACHARACTERS.contains(b))
    {
        shell_command(process)
    } else {
        split_words(without_at(process))
    };
    ExecPlan {
        program: argv.first().cloned().unwrap_or_default(),
        argv,
        fallback: shell_fallback(&entry.process),
        utmp: entry.writes_utmp(),
        terminal: Terminal::Console,
        ask_first: false,
        login: false,
    }
}

/// BusyBox's `init_exec` (docs/compatibility.md §11.3): a leading `-` is
/// taken off and makes a login shell; a command with a shell
/// metacharacter runs as `/bin/sh -c "exec <command>"` (`argv[0]`
/// `-/bin/sh` for a login shell); otherwise it is split on blanks, without
/// a limit on the words, the `-` staying on `argv[0]`. The program is the
/// command up to its first blank, so a command that starts with a blank
/// names no program, and fails, as in BusyBox. The id names the tty.
fn plan_busybox(entry: &Entry) -> ExecPlan {
    let process = super::parse::c_string(entry.process.as_bytes());
    let login = process.first() == Some(&b'-');
    let command = process.get(usize::from(login)..).unwrap_or_default();
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let (program, argv) = if command.iter().any(|b| SHELL_METACHARACTERS.contains(b)) {
        let shell = if login { "-/bin/sh" } else { SHELL };
        (
            SHELL.to_string(),
            vec![
                shell.to_string(),
                "-c".to_string(),
                format!("{EXEC_PREFIX}{}", lossy(command)),
            ],
        )
    } else {
        let program = command.split(is_blank).next().unwrap_or_default();
        let argv = process
            .split(is_blank)
            .filter(|word| !word.is_empty())
            .map(lossy)
            .collect();
        (lossy(program), argv)
    };
    let mut fallback = vec![SHELL.to_string(), program.clone()];
    fallback.extend(argv.iter().skip(1).cloned());
    ExecPlan {
        program,
        argv,
        fallback,
        utmp: false,
        terminal: busybox_terminal(&entry.id),
        ask_first: entry.action == Action::Askfirst,
        login,
    }
}

/// BusyBox's terminal for an id: none (the console) when empty, else
/// `/dev/` and the id without a `/dev/` of its own, cut to 31 bytes.
fn busybox_terminal(id: &str) -> Terminal {
    if id.is_empty() {
        return Terminal::Console;
    }
    let mut device = format!("/dev/{}", id.strip_prefix("/dev/").unwrap_or(id));
    if device.len() > BUSYBOX_TTY_MAX {
        let mut end = BUSYBOX_TTY_MAX;
        while !device.is_char_boundary(end) {
            end -= 1;
        }
        device.truncate(end);
    }
    Terminal::Device(device)
}

/// The retry after `execvp` fails with `ENOEXEC` (a script without `#!`):
/// `/bin/sh -c "exec <process>"`, with the process as `spawn()` left it
/// (`+` and then `@` removed), cut to 130 bytes.
pub(crate) fn shell_fallback(process: &str) -> Vec<String> {
    shell_command(without_at(after_plus(process)))
}

/// The process as C sees it (up to a NUL), without a leading `+`.
fn after_plus(process: &str) -> &[u8] {
    let bytes = super::parse::c_string(process.as_bytes());
    bytes.strip_prefix(b"+").unwrap_or(bytes)
}

fn without_at(process: &[u8]) -> &[u8] {
    process.strip_prefix(b"@").unwrap_or(process)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `strcpy(buf, "exec "); strncat(buf, proc, sizeof(buf) - strlen(buf) - 1)`.
fn shell_command(process: &[u8]) -> Vec<String> {
    let room = SPAWN_BUFFER - EXEC_PREFIX.len() - 1;
    let command = process.get(..room).unwrap_or(process);
    vec![
        SHELL.to_string(),
        "-c".to_string(),
        format!("{EXEC_PREFIX}{}", lossy(command)),
    ]
}

/// sysvinit's word splitting loop over `strncat(buf, proc, 135)`.
fn split_words(process: &[u8]) -> Vec<String> {
    let text = process.get(..SPAWN_BUFFER - 1).unwrap_or(process);
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut words = Vec::new();
    let mut rest = text;
    while words.len() < MAX_WORDS {
        let start = rest.iter().take_while(|b| is_blank(b)).count();
        rest = rest.get(start..).unwrap_or_default();
        if rest.is_empty() {
            break;
        }
        let length = rest
            .iter()
            .take_while(|b| !is_blank(b) && **b != b'#')
            .count();
        let (word, after) = rest.split_at(length);
        words.push(lossy(word));
        // The word ended at a blank: continue after it; at `#` or the end:
        // stop.
        match after.split_first() {
            Some((blank, tail)) if is_blank(blank) => rest = tail,
            _ => break,
        }
    }
    words
}

#[cfg(test)]
mod tests;
