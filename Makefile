# vinit: build, install, test, demo, bench, lint.
#
#   make demo      boot vinit as PID 1 of a QEMU VM, console on this terminal
#                  (`make demo TOUR=1`: a scripted tour that prints its transcript and exits)
#   make test      every test (unit, namespace, VM); installs what it needs first
#   make bench     the benchmark table (README.md); `make bench BENCH_STRICT=1` fails when a
#                  target is missed; `make fuzz-smoke`: each fuzz target briefly
#   make install DESTDIR=D    build, then install the binary, its classic names, the man
#                  pages and initreq.h
#   make install-files DESTDIR=D BIN=path    install an already built binary
#   make deb       build, then package the install as target/deb/vinit_<version>_<arch>.deb
#                  (`make deb BIN=path DEB_DIR=D`: package an already built binary into D)
#   make pid1-layout   profile PID 1 and write src/pid1/layout.ld, the linker script that
#                  gathers its code (build.rs)
#   make small     the small build for BusyBox systems, without the rc runner (README.md)
#   make install-small DESTDIR=D    build it, then install it with the names in SMALL_LINKS
#
# Building needs Rust RUST_VERSION or newer (Cargo.toml's rust-version); `make` says so
# before building when cargo is older (README.md: rustup).

PREFIX  ?= /usr
DESTDIR ?=
CARGO   ?= cargo
BIN     ?= target/release/vinit
DEB_DIR ?= target/deb
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
RUST_VERSION := $(shell sed -n 's/^rust-version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)

SBIN_LINKS := init telinit runlevel rc shutdown halt reboot poweroff vinit
USR_SBIN_LINKS := service update-rc.d
# The small build's names: BusyBox's own halt, reboot and poweroff keep working with it
# (add them here to install vinit's instead).
SMALL_LINKS ?= init telinit shutdown vinit
# It links musl statically: glibc's static C library alone is about 1 MB (README.md).
SMALL_TARGET ?= $(shell uname -m)-unknown-linux-musl
SMALL_BIN := target/small/$(SMALL_TARGET)/release/vinit

# Debian packages, and who needs them. The demo boots a VM: QEMU, and an initramfs of
# busybox-static made with cpio. The benchmarks also boot the Debian root of the VM tests
# (debootstrap, a disk image made with mkfs.ext4). The tests also render `vinit plot`'s
# SVG (chromium, fonts-dejavu-core), lint the man pages (mandoc) and the package
# (lintian), and compile a C program against initreq.h (gcc).
DEMO_DEBS := qemu-system-x86 busybox-static cpio
BENCH_DEBS := $(DEMO_DEBS) debootstrap e2fsprogs
TEST_DEBS := $(BENCH_DEBS) chromium fonts-dejavu-core mandoc lintian gcc
# `make pid1-layout` profiles PID 1 under valgrind's callgrind in a namespace.
LAYOUT_DEBS := busybox-static valgrind
# apt-get needs root; a developer who is not root gets sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build rust-version install install-files install-man install-include deb \
	test test-deps demo demo-deps bench bench-deps pid1-layout layout-deps small install-small \
	fuzz-smoke lint
all: build

# One line, before cargo's own error (an old cargo cannot even read Cargo.toml's edition).
CARGO_VERSION = $(shell $(CARGO) --version 2>/dev/null | sed -n 's/^cargo \([0-9][0-9.]*\).*/\1/p')
rust-version:
	$(if $(CARGO_VERSION),,$(error no cargo: vinit needs Rust $(RUST_VERSION) or newer, which rustup installs (https://rustup.rs, see README.md)))
	$(if $(filter $(RUST_VERSION),$(firstword $(shell printf '%s\n' $(RUST_VERSION) $(CARGO_VERSION) | sort -V))),,$(error cargo $(CARGO_VERSION) is too old: vinit needs Rust $(RUST_VERSION) or newer, which rustup installs (https://rustup.rs, see README.md)))

build: rust-version
	$(CARGO) build --release --locked

install: build
	$(MAKE) install-files BIN=$(BIN)
	$(MAKE) install-man
	$(MAKE) install-include

install-man:
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

# The initctl request's struct, for programs that talk to init (sysvinit-core ships it too).
install-include:
	install -D -m 0644 packaging/initreq.h $(DESTDIR)$(PREFIX)/include/initreq.h

install-files:
	install -d $(DESTDIR)/sbin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)/lib/vinit
	install -m 0755 $(BIN) $(DESTDIR)/lib/vinit/vinit
	for n in $(SBIN_LINKS); do ln -sf ../lib/vinit/vinit $(DESTDIR)/sbin/$$n; done
	for n in $(USR_SBIN_LINKS); do ln -sf ../../lib/vinit/vinit $(DESTDIR)$(PREFIX)/sbin/$$n; done
	install -d $(DESTDIR)/lib/lsb/init-functions.d
	install -m 0644 etc/lsb/20-vinit $(DESTDIR)/lib/lsb/init-functions.d/20-vinit

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
	$(MAKE) install-include DESTDIR=$(DEB_DIR)/root PREFIX=/usr
	packaging/build-deb $(DEB_DIR)/root $(VERSION) $(DEB_DIR)

# Each installs its Debian packages that are missing (DEBS). The apt lists are refreshed
# whenever apt-get has to run, and also when there are none at all, because the VMs'
# kernel is resolved and downloaded with apt-get (tests/common/vm.rs).
demo-deps: DEBS := $(DEMO_DEBS)
bench-deps: DEBS := $(BENCH_DEBS)
test-deps: DEBS := $(TEST_DEBS)
layout-deps: DEBS := $(LAYOUT_DEBS)
demo-deps bench-deps test-deps layout-deps:
	@missing=""; \
	for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ] || ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then \
	  echo "make: apt-get update"; $(SUDO) apt-get update; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	$(if $(filter test-deps,$@),@command -v cargo-nextest >/dev/null 2>&1 || $(CARGO) install cargo-nextest --locked)

# Doc tests first, so that the runner's closing summary is nextest's, over every other test.
# Without incremental caches: a one-off build of every test binary needs half the disk.
test: rust-version test-deps
	CARGO_INCREMENTAL=0 $(CARGO) test --locked --doc
	CARGO_INCREMENTAL=0 $(CARGO) nextest run --locked --no-fail-fast --features fault-injection

# The demo is an example program built on the VM test harness (examples/demo.rs).
demo: rust-version demo-deps
	$(CARGO) build --release --locked --bins --examples
	target/release/examples/demo $(if $(TOUR),--tour)

# One table of every figure beside its baseline and target (scripts/bench.sh;
# BENCH_VM=0 skips the Debian VM boots, the slow part). It exits 0 once everything is
# measured, whatever was missed; BENCH_STRICT=1 makes a missed target an error (for CI).
bench: rust-version bench-deps
	scripts/bench.sh $(if $(BENCH_STRICT),--strict)

# src/pid1/layout.ld, the linker script that gathers PID 1's code (build.rs): vinit's init
# profiled as PID 1 of a namespace under callgrind, from a build that keeps its symbols
# (examples/bench.rs, `bench pid1-layout`); the binary is built alone, as `make build`
# does (built with the examples, dev-dependencies change its dependencies' features).
# Run it again when PID 1's code changes.
pid1-layout: rust-version layout-deps
	CARGO_PROFILE_RELEASE_STRIP=false $(CARGO) build --release --locked --bins \
		--target-dir target/pid1-layout
	CARGO_PROFILE_RELEASE_STRIP=false $(CARGO) build --release --locked --examples \
		--target-dir target/pid1-layout
	target/pid1-layout/release/examples/bench pid1-layout >src/pid1/layout.ld.new
	mv src/pid1/layout.ld.new src/pid1/layout.ld

# Each fuzz target for FUZZ_SECONDS (fuzz/README.md); installs cargo-fuzz and the
# nightly toolchain when missing.
FUZZ_SECONDS ?= 25
fuzz-smoke:
	fuzz/run.sh --time $(FUZZ_SECONDS)

lint: rust-version
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
