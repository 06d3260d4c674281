/*
 * initreq.h: the request a program writes to init's FIFO, /run/initctl.
 *
 * Copyright (c) the vinit developers. MIT License (see
 * /usr/share/doc/vinit/copyright).
 *
 * Written for vinit from its own definition of the request (src/initctl.rs
 * and docs/compatibility.md section 4.4 in vinit's sources). The names and
 * the layout are those of sysvinit's header of the same name, so that a
 * program built against either talks to either init: 384 bytes, native
 * byte order, 32-bit ints. vinit's tests compile this file and compare the
 * bytes of a request built with it against vinit's own encoder.
 */
#ifndef _INITREQ_H
#define _INITREQ_H

#include <sys/param.h>

#ifndef INIT_FIFO
#define INIT_FIFO "/run/initctl"
#endif

/* The first int of every request; init drops anything else. */
#define INIT_MAGIC 0x03091969

/* The cmd field. vinit's init, like sysvinit's, acts on 1-4 and 6 only. */
#define INIT_CMD_START        0 /* not implemented */
#define INIT_CMD_RUNLVL       1 /* switch to runlevel (or q, u, a-c) */
#define INIT_CMD_POWERFAIL    2 /* the power is failing */
#define INIT_CMD_POWERFAILNOW 3 /* the battery is almost empty */
#define INIT_CMD_POWEROK      4 /* the power is back */
#define INIT_CMD_BSD          5 /* not implemented */
#define INIT_CMD_SETENV       6 /* set or unset INIT_* variables from data */
#define INIT_CMD_UNSETENV     7 /* not implemented: SETENV unsets too */

#ifdef MAXHOSTNAMELEN
#define INITRQ_HLEN MAXHOSTNAMELEN
#else
#define INITRQ_HLEN 64
#endif

/* BSD's request, kept for the size of the union; Linux init ignores it. */
struct init_request_bsd {
	char gen_id[8];
	char tty_id[16];
	char host[INITRQ_HLEN];
	char term_type[16];
	int signal;
	int pid;
	char exec_name[128];
	char reserved[128];
};

struct init_request {
	int magic;     /* INIT_MAGIC */
	int cmd;       /* INIT_CMD_* */
	int runlevel;  /* the level character, e.g. '3' */
	int sleeptime; /* seconds between SIGTERM and SIGKILL at a level change */
	union {
		struct init_request_bsd bsd;
		/* SETENV: NAME=VALUE (set) or NAME (unset) strings, each ended
		 * by a NUL, then an empty string. */
		char data[368];
	} i;
};

#endif
