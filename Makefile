# SPDX-License-Identifier: GPL-2.0-only
# mxguard: build, test, install.  `make help` lists the targets; V=1 shows
# the full commands.

OUTPUT		:= .output
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= cc
PKG_CONFIG	?= pkg-config
PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
DATADIR		?= $(PREFIX)/share
SYSCONFDIR	?= /etc
# Where systemd looks for units: its own pkg-config answer (not $(PREFIX):
# a unit under /usr/local is never read), else Debian 12's.
UNITDIR		?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir \
			systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR	?= $(or $(shell $(PKG_CONFIG) --variable=sysusersdir \
			systemd 2>/dev/null),/usr/lib/sysusers.d)
DESTDIR		?=

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

LIBS_PKG	:= libbpf libelf zlib libnl-3.0 libnl-idiag-3.0 libpsl libidn2 icu-uc icu-i18n \
		   libsystemd
SERVICE_PKG	:= libcap
LIBS		:= $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) $(SERVICE_PKG) 2>/dev/null)
LIBS_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) $(SERVICE_PKG) 2>/dev/null)

# Where user-space headers live (the layout is described below).
USER_DIRS	:= user/lib user/mxguardd user/mxguardd/alert user/mxguardd/kernel \
		   user/mxguardctl

# The release; `mxguardd --version`, mxguard_build_info and the package
# (debian/rules passes the changelog's version).
VERSION		?= 0.9.0

# Warnings fail development and CI builds (WERROR=1, the default); a
# distribution build passes WERROR=0 (debian/rules), so that a newer
# compiler's new warning does not fail a release build.
WERROR		?= 1
WARN		:= -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
# CPPFLAGS, CFLAGS and LDFLAGS come from the environment or the command
# line (dpkg-buildflags: _FORTIFY_SOURCE, stack protector, relro, now) and
# reach every compile and every link of user space.  The BPF objects take
# none of them: host hardening flags mean nothing to -target bpf.
CPPFLAGS	?=
CFLAGS		?= -g -O2
LDFLAGS		?=
ALL_CFLAGS	:= $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE \
		   -DMXG_VERSION='"$(VERSION)"' \
		   -I$(OUTPUT) -Iinclude $(addprefix -I,$(USER_DIRS)) \
		   $(LIBS_CFLAGS)
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) \
		   -I$(OUTPUT) -Iinclude

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_HDRS	:= $(wildcard bpf/*.bpf.h) $(wildcard include/mxguard/*.h)
SKELS		:= $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

# The tree is the architecture (README "Source layout"):
#   user/lib/               libmxguard: names, policy, lookalike engine, second
#                           look, JSON, logging, escaping; both programs use it
#   user/mxguardd/          the daemon: main, event loop, control socket
#   user/mxguardd/alert/    the alert pipeline, one stage per file: event
#                           (decode, render), enrich, learn, rfc5424, output
#   user/mxguardd/kernel/   the datapath from user space: load, maps, taints
#   user/mxguardctl/        the control client
#   user/dist/              unit, configuration, alert schema
USER_HDRS	:= $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.h))
LIB_SRCS	:= $(wildcard user/lib/*.c)
DAEMON_SRCS	:= $(filter-out user/mxguardd/mxguardd.c, \
		     $(foreach d,user/mxguardd user/mxguardd/alert \
			user/mxguardd/kernel,$(wildcard $(d)/*.c)))
# Pure modules: no kernel, no daemon state.  Unit tests and fuzzers link
# these (the renderers, the command table, the resolver check, the remap).
RENDER_SRCS	:= user/mxguardd/alert/event.c user/mxguardd/alert/rfc5424.c \
		   user/mxguardd/alert/journal.c
UNIT_SRCS	:= $(LIB_SRCS) $(RENDER_SRCS) user/mxguardd/commands.c \
		   user/mxguardd/resolvers.c user/mxguardd/kernel/remap.c
objs		= $(patsubst user/%.c,$(1)/user/%.o,$(2))
LIB_OBJS	:= $(call objs,$(OUTPUT),$(LIB_SRCS))
DAEMON_OBJS	:= $(call objs,$(OUTPUT),$(DAEMON_SRCS))
UNIT_OBJS	:= $(call objs,$(OUTPUT),$(UNIT_SRCS))

PROGS		:= $(OUTPUT)/mxguardd $(OUTPUT)/mxguardctl
UNIT_TESTS	:= $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))
# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
SAN_TESTS	:= $(patsubst tests/unit/%.c,$(OUTPUT)/san/%,$(wildcard tests/unit/test_*.c))
BPF_TEST	:= $(OUTPUT)/tests/bpf_test
PKT_TEST	:= $(OUTPUT)/tests/bpf_packets
BPF_TEST_SRCS	:= $(addprefix tests/bpf/,runner.c harness.c client.c dnsd.c dnsmsg.c \
		     test_datapath.c test_failclosed.c test_service.c test_control.c \
		     test_conncache.c test_reload.c test_sinks.c test_secondlook.c \
		     test_responder.c test_correspondents.c test_similarity.c)
PKT_TEST_SRCS	:= $(addprefix tests/bpf/,test_packets.c harness.c dnsmsg.c pktrun.c)
BENCH		:= $(OUTPUT)/tests/bench
# The differential fuzzer of the DNS datapath (tests/fuzz/dnsdiff.c).
DNSDIFF		:= $(OUTPUT)/tests/dnsdiff
DNSDIFF_SRCS	:= tests/fuzz/dnsdiff.c tests/bpf/pktrun.c
GEN_BENCH	:= $(OUTPUT)/tests/gen_bench
RECALL		:= $(OUTPUT)/tests/recall

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps deb vmlinux-h check check-host check-unit check-bpf check-install bench bench-run bench-micro recall vmtest \
	demo install uninstall clean help fuzz fuzz-seeds

all: $(PROGS)

help:
	@echo 'make            build BPF objects, skeletons and mxguardd into $(OUTPUT)/'
	@echo 'make deps       install build and test dependencies (apt-get, idempotent)'
	@echo 'make check      run every test: host suites, the VM kernel matrix, the booted system (root)'
	@echo 'make check-host the host suites only: unit, install, BPF, e2e (root)'
	@echo 'make check-unit unit tests only (cmocka, no root)'
	@echo 'make check-bpf  BPF tests only (root)'
	@echo 'make check-e2e  end to end: real Postfix, unbound, nsd in namespaces (root)'
	@echo 'make check-install  make install/uninstall into a throwaway DESTDIR, and the .deb'
	@echo 'make check-logs alerts through real journald, rsyslog, syslog-ng, logrotate (root)'
	@echo 'make demo       the .mil -> .ml story with a real Postfix, in under a minute'
	@echo 'make bench      benchmarks: DNS parse cost, connect overhead, map memory'
	@echo 'make bench-micro ns per kernel operation the datapath is made of (root)'
	@echo 'make recall     lookalike recall and false alarms on the held-out corpus'
	@echo 'make fuzz       dnsdiff (1M cases, root), then each libFuzzer target to FUZZ_RUNS (10M)'
	@echo 'make fuzz-seeds rewrite the seed corpus of fuzz_render (tests/fuzz/corpus/render/)'
	@echo 'make vmtest     run the BPF suite in a VM (KERNEL=bzImage or KERNELS="5.10 6.12-lockdown")'
	@echo 'make deb        the Debian package, into $(OUTPUT)/deb/ (what make install installs)'
	@echo 'make vmtest-system  boot Debian 12 (systemd, Postfix) in QEMU, install the .deb, test it'
	@echo 'make check-minbase  README commands in a fresh Debian 12 minbase chroot (root)'
	@echo 'make install    binaries, man pages, unit, schema, policies, /etc/mxguard (DESTDIR, PREFIX)'
	@echo 'make uninstall  remove them again (configuration and policies stay)'
	@echo 'make clean      remove $(OUTPUT)/'
	@echo 'V=1             show full commands'

deps:
	$(Q)./.ci/deps.sh

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# The kernel's types for the BPF programs come from the tree, not from the
# build host: bpf/vmlinux/<arch>/vmlinux.h, generated from Debian 12's
# cloud kernel (6.1).  CO-RE relocates every field access at load time, so
# one header serves every kernel of the matrix (5.10 to 6.12), and a build
# needs neither /sys nor the network (Debian's build daemons have neither).
# `make vmlinux-h` regenerates it (bpf/vmlinux/gen.sh; VMLINUX_BTF= a BTF
# file or a bzImage, default the cached bookworm kernel).
VMLINUX_H	?= bpf/vmlinux/$(ARCH)/vmlinux.h

$(OUTPUT)/vmlinux.h: $(VMLINUX_H) bpf/vmlinux/compat.h | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)test -r $< || { echo "no $<: make vmlinux-h VMLINUX_BTF=/sys/kernel/btf/vmlinux" >&2; exit 1; }
	$(Q)cat $< bpf/vmlinux/compat.h > $@

vmlinux-h:
	$(Q)bpf/vmlinux/gen.sh $(VMLINUX_H) $(VMLINUX_BTF)

$(OUTPUT)/%.tmp.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(wildcard include/mxguard/*.h) $(SKELS)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/mxguardd: $(OUTPUT)/user/mxguardd/mxguardd.o $(DAEMON_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/mxguardctl: $(OUTPUT)/user/mxguardctl/mxguardctl.o $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# --- tests ---------------------------------------------------------------

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(UNIT_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -lcmocka -o $@

$(BPF_TEST): $(BPF_TEST_SRCS) $(wildcard tests/bpf/*.h include/mxguard/*.h) $(DAEMON_OBJS) $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bpf $(LDFLAGS) $(BPF_TEST_SRCS) $(DAEMON_OBJS) $(LIB_OBJS) $(LIBS) -o $@

$(PKT_TEST): $(PKT_TEST_SRCS) $(wildcard tests/bpf/*.h include/mxguard/*.h) $(DAEMON_OBJS) $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bpf $(LDFLAGS) $(PKT_TEST_SRCS) $(DAEMON_OBJS) $(LIB_OBJS) $(LIBS) -o $@

$(DNSDIFF): $(DNSDIFF_SRCS) $(wildcard tests/bpf/*.h include/mxguard/*.h) $(DAEMON_OBJS) $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bpf $(DNSDIFF_SRCS) $(DAEMON_OBJS) $(LIB_OBJS) $(LIBS) -lresolv -o $@

$(BENCH): tests/bench/bench.c $(DAEMON_OBJS) $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -lm -o $@

$(GEN_BENCH): tests/bench/gen_bench.c $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(RECALL): tests/bench/recall.c $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

# Recall and false alarms on the held-out corpus (tests/data/README.md).
# A measurement, not a test: nothing is tuned against it.
recall: $(RECALL)
	$(Q)echo '== corpus 1: tests/data/typos-heldout.tsv'
	$(Q)$(RECALL) tests/data/providers.policy tests/data/typos-heldout.tsv \
		tests/data/mail-providers.txt
	$(Q)echo '== corpus 2: tests/data/typos-heldout2.tsv'
	$(Q)$(RECALL) tests/data/providers.policy tests/data/typos-heldout2.tsv \
		tests/data/mail-providers.txt
	$(Q)echo '== corpus 3: tests/data/typos-heldout3.tsv'
	$(Q)$(RECALL) tests/data/providers.policy tests/data/typos-heldout3.tsv \
		tests/data/mail-providers.txt

# Everything: the host suites, then the BPF suites in VMs on the kernel
# matrix (vmtest/vmtest.mk), then the package on a booted Debian 12
# (vmtest-system, 5 to 8 minutes).  check-host is the quick loop while
# working.  check-minbase (about 11 minutes) is not in it: with it, CI would
# pass its 45-minute budget on the 2-core machine.
#
# Around each, tests/hoststate.sh: no suite may touch the host's own
# /etc/mxguard, /var/lib/mxguard or /run/mxguard (a daemon a test starts
# without its own state files would learn the tests' correspondents into
# the host's).  The suites run in a sub-make so that the snapshot is taken
# before the first and compared after the last, under -j too.
# $(call untouched,NAME,TARGETS): TARGETS so, the snapshot in
# $(OUTPUT)/hoststate.NAME.
define untouched
	$(Q)mkdir -p $(OUTPUT) && tests/hoststate.sh snap $(OUTPUT)/hoststate.$(1)
	$(Q)$(MAKE) --no-print-directory $(2)
	$(Q)tests/hoststate.sh verify $(OUTPUT)/hoststate.$(1)
endef

check:
	$(call untouched,check,check-host vmtest vmtest-system)

check-host:
	$(call untouched,host,check-unit check-install check-bpf check-e2e \
		check-logs)

# Every module under the sanitizers: objects built once, as for the daemon.
$(OUTPUT)/san/test_%: tests/unit/test_%.c $(call objs,$(OUTPUT)/san,$(UNIT_SRCS))
	$(Q)mkdir -p $(OUTPUT)/san
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) $(LDFLAGS) $^ $(LIBS) -lcmocka -o $@

# Then a bounded run of the renderer fuzzer from its seeds, into a fresh
# scratch corpus (the seed directory is never written).
FUZZ_CHECK_TIME	?= 20
FUZZ_CHECK_DIR	:= $(OUTPUT)/fuzz/render.check

check-unit: $(UNIT_TESTS) $(SAN_TESTS) $(OUTPUT)/fuzz/fuzz_render
	$(Q)set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done
	$(Q)set -e; for t in $(SAN_TESTS); do echo "== $$t (ASan, UBSan)"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done
	$(Q)rm -rf $(FUZZ_CHECK_DIR) && mkdir -p $(FUZZ_CHECK_DIR)
	$(Q)echo "== $(OUTPUT)/fuzz/fuzz_render ($(FUZZ_CHECK_TIME) s)"
	$(Q)$(OUTPUT)/fuzz/fuzz_render -max_total_time=$(FUZZ_CHECK_TIME) \
		-verbosity=0 -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz/fuzz_render- \
		$(FUZZ_CHECK_DIR) tests/fuzz/corpus/render

# On the host, the BPF suites and the daemon they drive run under ASan and
# UBSan (the VM matrix runs the plain build).  Leak checks stay with the
# unit tests: a daemon killed by a test leaves its heap behind by design.
SAN_OBJS	:= $(call objs,$(OUTPUT)/san,$(DAEMON_SRCS) $(LIB_SRCS))
SAN_PROGS	:= $(OUTPUT)/san/mxguardd $(OUTPUT)/san/mxguardctl
SAN_BPF_TEST	:= $(OUTPUT)/san/bpf_test
SAN_PKT_TEST	:= $(OUTPUT)/san/bpf_packets
SAN_ENV		:= ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(OUTPUT)/san/user/%.o: user/%.c $(USER_HDRS) $(wildcard include/mxguard/*.h) $(SKELS)
	$(Q)mkdir -p $(@D)
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/san/mxguardd: $(OUTPUT)/san/user/mxguardd/mxguardd.o $(SAN_OBJS)
	$(call msg,BIN-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/san/mxguardctl: $(OUTPUT)/san/user/mxguardctl/mxguardctl.o $(call objs,$(OUTPUT)/san,$(LIB_SRCS))
	$(call msg,BIN-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(SAN_BPF_TEST): $(BPF_TEST_SRCS) $(wildcard tests/bpf/*.h) $(SAN_OBJS)
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Itests/bpf $(LDFLAGS) $(BPF_TEST_SRCS) $(SAN_OBJS) $(LIBS) -o $@

$(SAN_PKT_TEST): $(PKT_TEST_SRCS) $(wildcard tests/bpf/*.h) $(SAN_OBJS)
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Itests/bpf $(LDFLAGS) $(PKT_TEST_SRCS) $(SAN_OBJS) $(LIBS) -o $@

# The differential fuzzer of the DNS datapath, briefly (make fuzz: 1M).
SAN_DNSDIFF	:= $(OUTPUT)/san/dnsdiff
DNSDIFF_CORPUS	:= tests/fuzz/corpus/dns
DNSDIFF_CHECK_CASES ?= 200000

$(SAN_DNSDIFF): $(DNSDIFF_SRCS) $(wildcard tests/bpf/*.h) $(SAN_OBJS)
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Itests/bpf $(DNSDIFF_SRCS) $(SAN_OBJS) $(LIBS) -lresolv -o $@

# bpf_test cases that measure the daemon's speed and endurance (reloads
# counted in a time, floods of user-space work, clients that wait by design)
# rather than the kernel's behaviour.  check-bpf runs them one at a time after
# the rest, which run BPF_JOBS at once (each case has its own netns, cgroup,
# pins and files; most of its time is the kernel verifying the daemon's
# programs, on one CPU).  vmtest leaves them out (vmtest/vmtest.mk).
BPF_SERIAL_CASES := reload_under_stream reload_generation_wrap \
		    sinks_protected_names_bounded second_look_flood \
		    responder_hostile ctl_slow_client ctl_unread_reply \
		    ctl_sigterm_with_stuck
BPF_JOBS	?= 2
comma		:= ,
empty		:=
space		:= $(empty) $(empty)
BPF_SERIAL	:= $(subst $(space),$(comma),$(strip $(BPF_SERIAL_CASES)))
BPF_NOT_SERIAL	:= $(subst $(space),$(comma),$(addprefix -,$(strip $(BPF_SERIAL_CASES))))

check-bpf: $(SAN_BPF_TEST) $(SAN_PKT_TEST) $(SAN_PROGS) $(SAN_DNSDIFF)
	$(Q)$(SAN_ENV) tests/bpf/run.sh $(SAN_PKT_TEST)
	$(Q)$(SAN_ENV) tests/bpf/run.sh $(SAN_DNSDIFF) -n $(DNSDIFF_CHECK_CASES) \
		-t 120 -c $(DNSDIFF_CORPUS) -o $(OUTPUT)
	$(Q)$(SAN_ENV) MXG_TEST_JOBS=$(BPF_JOBS) tests/bpf/run.sh $(SAN_BPF_TEST) \
		$(OUTPUT)/san/mxguardd $(BPF_NOT_SERIAL)
	$(Q)$(SAN_ENV) tests/bpf/run.sh $(SAN_BPF_TEST) $(OUTPUT)/san/mxguardd \
		$(BPF_SERIAL)

# The floor of any cgroup-BPF design, for bench's side-by-side figures.
NOOP_OBJ	:= $(OUTPUT)/bench/noop.bpf.o
LOADGEN		:= $(OUTPUT)/bench/loadgen

$(NOOP_OBJ): tests/bench/noop.bpf.c $(OUTPUT)/vmlinux.h
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(LOADGEN): tests/bench/loadgen.c
	$(Q)mkdir -p $(@D)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

# ns per kernel operation the datapath is made of (tests/bench/micro.c).
MICRO_OBJ	:= $(OUTPUT)/bench/micro.bpf.o
MICRO		:= $(OUTPUT)/bench/micro

$(MICRO_OBJ): tests/bench/micro.bpf.c $(OUTPUT)/vmlinux.h
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(MICRO): tests/bench/micro.c
	$(Q)mkdir -p $(@D)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIBS) -o $@

bench-micro: $(MICRO) $(MICRO_OBJ)
	$(Q)$(MICRO) $(MICRO_OBJ)

BENCH_RULES	?= 1000000
BENCH_ROUNDS	?= 6

# The benchmarks' daemons keep their state in their own directories too.
bench:
	$(call untouched,bench,bench-run)

bench-run: $(BENCH) $(GEN_BENCH) $(PROGS) $(NOOP_OBJ) $(LOADGEN) $(MICRO) $(MICRO_OBJ)
	$(Q)tests/bench/run.sh $(BENCH) $(GEN_BENCH) \
		>$(OUTPUT)/bench/userspace.txt; st=$$?; \
		cat $(OUTPUT)/bench/userspace.txt; exit $$st
	$(Q)$(MICRO) $(MICRO_OBJ)
	$(Q)unshare -n python3 tests/bench/floor.py $(OUTPUT)/mxguardd \
		$(LOADGEN) $(NOOP_OBJ) tests/e2e/e2e.py $(BENCH_RULES) \
		$(BENCH_ROUNDS) $(OUTPUT)/bench/userspace.txt

# make fuzz: each libFuzzer target stops at FUZZ_RUNS executions or after
# FUZZ_TIME seconds, whichever comes first (README "Fuzzing" has the rates).
FUZZ_TIME	?= 900
FUZZ_RUNS	?= 10000000
# A name is at most 1025 bytes of text: longer inputs only cost time.  A
# policy of 512 bytes holds a dozen lines; longer ones repeat themselves.
FUZZ_OPTS_fuzz_name := -max_len=1100
FUZZ_OPTS_fuzz_policy := -max_len=512
# A record and its tail are 776 bytes (their names, escaped, fill a human
# line already); 248 more hold the five strings, and each byte is escaped
# and checked six times.  The cuts come from the tail's sizes, any length.
FUZZ_OPTS_fuzz_render := -max_len=1024
FUZZERS		:= $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

FUZZ_SRCS	:= $(LIB_SRCS) $(RENDER_SRCS)
# Per target, the files whose comparisons are not traced (trace-cmp: each
# comparison a call into libFuzzer that records both operands).  In these
# it was most of the target's time, and what they compare is nothing a
# mutation needs to be told: the harness's own checks, hashes and index
# slots (policy.c, name.c's hashing), byte classes (escape.c, json.c).
# They keep their edge counters, so coverage counts them as before.
# fuzz_name keeps every hook: name.c's parser is what it fuzzes.
FUZZ_NOCMP_fuzz_policy := tests/fuzz/fuzz_policy.c user/lib/policy.c \
			  user/lib/name.c
# The renderers compare event types, actions and flags: one-byte values a
# mutation meets unaided.
FUZZ_NOCMP_fuzz_render := tests/fuzz/fuzz_render.c user/lib/escape.c \
			  user/lib/json.c user/lib/name.c $(RENDER_SRCS)
nocmp_objs	= $(patsubst %.c,$(OUTPUT)/fuzz/nocmp/%.o,$(1))
FUZZ_CFLAGS	:= -g -O1 $(WARN) -std=gnu11 -D_GNU_SOURCE \
		   -Iinclude $(addprefix -I,$(USER_DIRS))

$(OUTPUT)/fuzz/nocmp/%.o: %.c $(USER_HDRS) \
		$(wildcard tests/fuzz/*.h include/mxguard/*.h)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-fno-sanitize-coverage=trace-cmp -c $< -o $@

$(OUTPUT)/fuzz/fuzz_policy: $(call nocmp_objs,$(FUZZ_NOCMP_fuzz_policy))
$(OUTPUT)/fuzz/fuzz_render: $(call nocmp_objs,$(FUZZ_NOCMP_fuzz_render))

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) \
		$(USER_HDRS) $(wildcard tests/fuzz/*.h include/mxguard/*.h)
	$(Q)mkdir -p $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		$(filter-out $(FUZZ_NOCMP_$*),$< $(FUZZ_SRCS)) \
		$(call nocmp_objs,$(FUZZ_NOCMP_$*)) $(LIBS) \
		$(FUZZ_LDFLAGS_$*) -o $@

# fuzz_policy keeps the lookalikes of each protected name it met (see there).
FUZZ_LDFLAGS_fuzz_policy := -Wl,--wrap=lookalike_generate

# Each fuzzer runs for FUZZ_TIME seconds (bounded).  New inputs go to a
# corpus under .output; tests/fuzz/corpus/NAME/ holds seeds, read only.
# First the differential fuzzer of the DNS datapath (root): DNSDIFF_CASES
# cases from the seeds in tests/fuzz/corpus/dns/, minimised disagreements
# into .output/fuzz/.
DNSDIFF_CASES	?= 1000000

fuzz: $(FUZZERS) $(DNSDIFF)
	$(Q)mkdir -p $(OUTPUT)/fuzz
	$(Q)tests/bpf/run.sh $(DNSDIFF) -n $(DNSDIFF_CASES) -c $(DNSDIFF_CORPUS) \
		-o $(OUTPUT)/fuzz
	$(Q)set -e; for f in $(FUZZERS); do \
		seeds=tests/fuzz/corpus/$${f##*/fuzz_}; \
		test -d $$seeds || seeds=; \
		mkdir -p $$f.corpus; \
		echo "== $$f ($(FUZZ_RUNS) runs, at most $(FUZZ_TIME) s)"; \
		opts=; case $$f in */fuzz_name) opts="$(FUZZ_OPTS_fuzz_name)";; \
		*/fuzz_policy) opts="$(FUZZ_OPTS_fuzz_policy)";; \
		*/fuzz_render) opts="$(FUZZ_OPTS_fuzz_render)";; esac; \
		$$f -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_TIME) \
			-print_final_stats=1 $$opts -artifact_prefix=$$f- \
			$$f.corpus $$seeds; done

# The seeds of fuzz_render: one record of each kind (committed).
FUZZ_SEEDS	:= $(OUTPUT)/fuzz/gen_render_seeds

$(FUZZ_SEEDS): tests/fuzz/gen_render_seeds.c user/lib/name.c tests/fuzz/fuzz_render.h \
		$(USER_HDRS) $(wildcard include/mxguard/*.h)
	$(Q)mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) tests/fuzz/gen_render_seeds.c user/lib/name.c -o $@

fuzz-seeds: $(FUZZ_SEEDS)
	$(Q)mkdir -p tests/fuzz/corpus/render
	$(Q)$(FUZZ_SEEDS) tests/fuzz/corpus/render

include user/contrib/contrib.mk
include tests/e2e/e2e.mk
include tests/logs/logs.mk
include vmtest/vmtest.mk

# --- install -------------------------------------------------------------

# The layout is the Debian package's (debian/): what `make install` puts
# in place is what the .deb installs, PREFIX aside.  Shipped policies go
# to $(POLICYDIR), which an upgrade may replace; /etc/mxguard holds only
# the administrator's files: mxguard.conf and policies.d/vendor.policy,
# which includes the shipped ones.  Those two are never overwritten, so a
# local edit survives.
POLICYDIR	:= $(DATADIR)/mxguard/policies
MAN8		:= user/mxguardd/mxguardd.8 user/mxguardctl/mxguardctl.8
MAN5		:= policies/mxguard.policy.5 user/dist/mxguard.conf.5
CATALOGDIR	:= $(PREFIX)/lib/systemd/catalog
ETC_FILES	:= $(OUTPUT)/dist/mxguard.conf $(OUTPUT)/dist/vendor.policy

$(OUTPUT)/dist/mxguardd.service: user/dist/mxguardd.service.in
	$(Q)mkdir -p $(@D)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@

$(OUTPUT)/dist/mxguard-metrics.service: user/dist/mxguard-metrics.service.in
	$(Q)mkdir -p $(@D)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@

$(OUTPUT)/dist/vendor.policy: user/dist/vendor.policy.in
	$(Q)mkdir -p $(@D)
	$(Q)sed 's|@POLICYDIR@|$(POLICYDIR)|g' $< > $@

$(OUTPUT)/dist/mxguard.conf: user/dist/mxguard.conf
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

# The generated files depend on PREFIX: regenerate them on every install.
.PHONY: dist-files
dist-files:
	$(Q)rm -f $(OUTPUT)/dist/mxguardd.service \
		$(OUTPUT)/dist/mxguard-metrics.service $(OUTPUT)/dist/vendor.policy
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/dist/mxguardd.service \
		$(OUTPUT)/dist/mxguard-metrics.service \
		$(OUTPUT)/dist/vendor.policy $(OUTPUT)/dist/mxguard.conf

install: $(PROGS) dist-files
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(POLICYDIR) \
		$(DESTDIR)$(SYSCONFDIR)/mxguard/policies.d
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 user/dist/alert.schema.json $(DESTDIR)$(DATADIR)/mxguard/
	install -m 0644 policies/*.policy $(DESTDIR)$(POLICYDIR)/
	install -m 0644 $(OUTPUT)/dist/mxguardd.service \
		$(OUTPUT)/dist/mxguard-metrics.service \
		user/dist/mxguard-metrics.timer $(DESTDIR)$(UNITDIR)/
	install -m 0644 user/dist/mxguard.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/mxguard.conf
	install -d $(DESTDIR)$(CATALOGDIR) \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0644 user/dist/mxguard.catalog $(DESTDIR)$(CATALOGDIR)/
	install -m 0644 user/dist/mxguard.bash-completion \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/mxguardctl
	ln -sf mxguardctl $(DESTDIR)$(DATADIR)/bash-completion/completions/mxguardd
	test -e $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mxguard || \
		install -m 0644 user/dist/mxguard.logrotate \
			$(DESTDIR)$(SYSCONFDIR)/logrotate.d/mxguard
	test -e $(DESTDIR)$(SYSCONFDIR)/mxguard/mxguard.conf || \
		install -m 0644 $(OUTPUT)/dist/mxguard.conf $(DESTDIR)$(SYSCONFDIR)/mxguard/
	test -e $(DESTDIR)$(SYSCONFDIR)/mxguard/policies.d/vendor.policy || \
		install -m 0644 $(OUTPUT)/dist/vendor.policy \
			$(DESTDIR)$(SYSCONFDIR)/mxguard/policies.d/

# Configuration stays: it is the administrator's.  Enforcement stays too
# (run `mxguardd --unload` first to remove it; the package's prerm does).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mxguardd $(DESTDIR)$(SBINDIR)/mxguardctl \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
		$(DESTDIR)$(CATALOGDIR)/mxguard.catalog \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/mxguardctl \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/mxguardd \
		$(DESTDIR)$(UNITDIR)/mxguardd.service \
		$(DESTDIR)$(UNITDIR)/mxguard-metrics.service \
		$(DESTDIR)$(UNITDIR)/mxguard-metrics.timer \
		$(DESTDIR)$(SYSUSERSDIR)/mxguard.conf \
		$(DESTDIR)$(DATADIR)/mxguard/alert.schema.json \
		$(addprefix $(DESTDIR)$(POLICYDIR)/,$(notdir $(wildcard policies/*.policy)))
	-rmdir $(DESTDIR)$(POLICYDIR) $(DESTDIR)$(DATADIR)/mxguard

# make install into a DESTDIR, then the Debian package built from a clean
# copy of the tree and checked (lintian, hardening, same files as install).
check-install: $(PROGS)
	$(Q)tests/install/run.sh
	$(Q)tests/install/deb.sh

# The .deb alone, into $(OUTPUT)/deb/ (dpkg-buildpackage -us -uc -b).
deb:
	$(Q)tests/install/deb.sh -b

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

# README's two commands on a fresh Debian 12 minbase chroot (debootstrap,
# cached; tests/install/minbase.sh).  MINBASE_CHECK=check for README's full
# second command (the VM matrix too); the default runs check-host.
.PHONY: check-minbase
check-minbase:
	$(Q)tests/install/minbase.sh
