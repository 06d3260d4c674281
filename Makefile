# vinit: build, install, test, demo, bench, lint.
#
#   make demo      boot vinit as PID 1 of a QEMU VM, console on this terminal
#                  (`make demo TOUR=1`: a scripted tour that prints its transcript and exits)
#   make test      every test (unit, namespace, VM); installs what it needs first
#   make bench     the benchmark table (README.md); `make fuzz-smoke`: each fuzz target briefly
#   make install DESTDIR=D    build, then install the binary, its classic names and the man pages
#   make install-files DESTDIR=D BIN=path    install an already built binary
#   make deb       build, then package the install as target/deb/vinit_<version>_<arch>.deb
#                  (`make deb BIN=path DEB_DIR=D`: package an already built binary into D)
#   make small     the small build for BusyBox systems, without the rc runner (README.md)
#   make install-small DESTDIR=D    build it, then install it with the names in SMALL_LINKS

PREFIX  ?= /usr
DESTDIR ?=
CARGO   ?= cargo
BIN     ?= target/release/vinit
DEB_DIR ?= target/deb
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)

SBIN_LINKS := init telinit runlevel rc shutdown halt reboot poweroff vinit
USR_SBIN_LINKS := service update-rc.d
# The small build's names: BusyBox's own halt, reboot and poweroff keep working with it
# (add them here to install vinit's instead).
SMALL_LINKS ?= init telinit shutdown vinit
# It links musl statically: glibc's static C library alone is about 1 MB (README.md).
SMALL_TARGET ?= $(shell uname -m)-unknown-linux-musl
SMALL_BIN := target/small/$(SMALL_TARGET)/release/vinit

# Debian packages the namespace and VM tests need, and the programs that tell they are there.
TEST_DEBS := qemu-system-x86 busybox-static cpio debootstrap e2fsprogs chromium fonts-dejavu-core mandoc
# apt-get needs root; a developer who is not root gets sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build install install-files install-man deb small install-small test test-deps demo bench fuzz-smoke lint
all: build

build:
	$(CARGO) build --release --locked

install: build
	$(MAKE) install-files BIN=$(BIN)
	$(MAKE) install-man

install-man:
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

install-files:
	install -d $(DESTDIR)/sbin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)/lib/vinit
	install -m 0755 $(BIN) $(DESTDIR)/lib/vinit/vinit
	for n in $(SBIN_LINKS); do ln -sf ../lib/vinit/vinit $(DESTDIR)/sbin/$$n; done
	for n in $(USR_SBIN_LINKS); do ln -sf ../../lib/vinit/vinit $(DESTDIR)$(PREFIX)/sbin/$$n; done

# Without the rc feature: init, telinit, runlevel, shutdown, halt/reboot/poweroff and vinit
# status/supervise, linked statically with musl; rustup adds the musl target when missing.
small:
	@if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx '$(SMALL_TARGET)'; then \
	  rustup target add $(SMALL_TARGET); \
	fi
	$(CARGO) build --release --locked --no-default-features --target $(SMALL_TARGET) --target-dir target/small

install-small: small
	$(MAKE) install-files BIN=$(SMALL_BIN) SBIN_LINKS="$(SMALL_LINKS)" USR_SBIN_LINKS=
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/inittab.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/init.8 man/telinit.8 man/shutdown.8 man/vinit.8 $(DESTDIR)$(PREFIX)/share/man/man8/

# The package is made from the same install tree (packaging/build-deb). A BIN given on the
# command line is packaged as it is, without a build (the tests do that: a nested cargo
# build would wait on their target directory's lock).
deb: $(if $(filter command line,$(origin BIN)),,build)
	rm -rf $(DEB_DIR)/root
	$(MAKE) install-files DESTDIR=$(DEB_DIR)/root PREFIX=/usr BIN=$(BIN)
	$(MAKE) install-man DESTDIR=$(DEB_DIR)/root PREFIX=/usr
	packaging/build-deb $(DEB_DIR)/root $(VERSION) $(DEB_DIR)

# Installs only what is missing. The apt lists are refreshed whenever apt-get has to run,
# and also when there are none at all, because the VM tests resolve and download the
# Debian cloud kernel with apt-get (tests/common/vm.rs).
test-deps:
	@missing=""; \
	for p in $(TEST_DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ] || ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then \
	  echo "make: apt-get update"; $(SUDO) apt-get update; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@command -v cargo-nextest >/dev/null 2>&1 || $(CARGO) install cargo-nextest --locked

# Doc tests first, so that the runner's closing summary is nextest's, over every other test.
test: test-deps
	$(CARGO) test --locked --doc
	$(CARGO) nextest run --locked --no-fail-fast --features fault-injection

# The demo is an example program built on the VM test harness (examples/demo.rs).
demo: test-deps
	$(CARGO) build --release --locked --bins --examples
	target/release/examples/demo $(if $(TOUR),--tour)

# One table of every figure beside its baseline and target (scripts/bench.sh;
# BENCH_VM=0 skips the Debian VM boots, the slow part).
bench: test-deps
	scripts/bench.sh

# Each fuzz target for FUZZ_SECONDS (fuzz/README.md); installs cargo-fuzz and the
# nightly toolchain when missing.
FUZZ_SECONDS ?= 25
fuzz-smoke:
	fuzz/run.sh --time $(FUZZ_SECONDS)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
