//! utmp/wtmp records (SPEC §5) and `/run/runlevel`.
