# vinit: build, install, test, demo, bench.
# `make install DESTDIR=D` installs the multi-call binary and its classic names.

PREFIX  ?= /usr
DESTDIR ?=
CARGO   ?= cargo
BIN     := target/release/vinit

SBIN_LINKS := init telinit runlevel rc shutdown halt reboot poweroff
USR_SBIN_LINKS := service update-rc.d

.PHONY: all build install
all: build

build:
	$(CARGO) build --release --locked

install: build
	install -d $(DESTDIR)/sbin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)/lib/vinit
	install -m 0755 $(BIN) $(DESTDIR)/lib/vinit/vinit
	for n in $(SBIN_LINKS); do ln -sf ../lib/vinit/vinit $(DESTDIR)/sbin/$$n; done
	for n in $(USR_SBIN_LINKS); do ln -sf ../../lib/vinit/vinit $(DESTDIR)$(PREFIX)/sbin/$$n; done
