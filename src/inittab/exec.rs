//! The process-field planner: what sysvinit 3.06's `spawn()` executes for an
//! entry (docs/compatibility.md §1.7, §1.8). Pure: the caller says whether
//! `/etc/initscript` is readable and what the current runlevel is.

use super::Entry;

/// The optional wrapper script for every spawned process.
pub(crate) const INITSCRIPT: &str = "/etc/initscript";
const SHELL: &str = "/bin/sh";

/// The characters that make sysvinit run the process through the shell.
const SHELL_METACHARACTERS: &[u8] = b"~`!$^&*()=|\\{}[];\"'<>?";
/// sysvinit's `char buf[136]` holding `exec <process>` or the split words.
const SPAWN_BUFFER: usize = 136;
const EXEC_PREFIX: &str = "exec ";
/// `args[16]` minus argv[0]'s duplicate slot and the NULL: 14 words.
const MAX_WORDS: usize = 14;

/// What to execute for an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecPlan {
    /// `argv[0]` is also the program, looked up in the child's `PATH`
    /// (`execvp`). Empty when the process field has no word (e.g. empty):
    /// sysvinit then fails to exec and logs `cannot execute`.
    pub argv: Vec<String>,
    /// Write INIT_PROCESS/DEAD_PROCESS utmp records: `false` with a `+`
    /// prefix.
    pub utmp: bool,
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
pub(crate) fn plan_exec(entry: &Entry, initscript_present: bool, current_level: u8) -> ExecPlan {
    let process = after_plus(&entry.process);
    let argv = if initscript_present && current_level != b'S' {
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
        argv,
        utmp: entry.writes_utmp(),
    }
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
