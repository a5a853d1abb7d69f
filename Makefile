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
UNITDIR		?= /lib/systemd/system
DESTDIR		?=

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

LIBS_PKG	:= libbpf libelf zlib libnl-3.0 libnl-idiag-3.0 libpsl libidn2 icu-uc icu-i18n
SERVICE_PKG	:= libcap
LIBS		:= $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) $(SERVICE_PKG) 2>/dev/null)
LIBS_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) $(SERVICE_PKG) 2>/dev/null)

WARN		:= -Wall -Wextra -Werror
CFLAGS		?= -g -O2
ALL_CFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE \
		   -I$(OUTPUT) -Iinclude -Iuser $(LIBS_CFLAGS)
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

# Modules of the daemon that need no skeleton (also used by unit tests).
CORE_SRCS	:= user/log.c user/name.c user/policy.c user/policy_parse.c user/json.c \
		   user/idn.c user/lookalike.c user/lookalike_tables.c user/secondlook.c \
		   user/secondlook_measure.c \
		   user/ratelimit.c user/remap.c user/resolvers.c user/escape.c \
		   user/secrecy.c user/names_abi.c user/event.c user/rfc5424.c \
		   user/config.c user/learned.c user/verdict.c
# Modules shared by both programs (no skeleton needed).
CTL_SRCS	:= user/ctlproto.c user/check.c
# Modules that drive the kernel side, and the service around it.
KERN_SRCS	:= user/loader.c user/policymap.c user/taints.c user/probe.c \
		   user/protected.c user/reconcile.c user/cgroup.c \
		   user/enrich.c user/cgpath.c user/output.c user/sockdiag.c \
		   user/procsock.c user/conncache.c user/caps.c \
		   user/daemon.c user/commands.c user/control.c user/learn.c \
		   user/responder.c user/held.c \
		   $(CTL_SRCS)
CORE_OBJS	:= $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CORE_SRCS))
CTL_OBJS	:= $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CTL_SRCS))
KERN_OBJS	:= $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(KERN_SRCS))

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
		     test_responder.c)
PKT_TEST_SRCS	:= $(addprefix tests/bpf/,test_packets.c harness.c dnsmsg.c)
BENCH		:= $(OUTPUT)/tests/bench
GEN_BENCH	:= $(OUTPUT)/tests/gen_bench

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps check check-host check-unit check-bpf check-install bench vmtest \
	demo install uninstall clean help fuzz fuzz-seeds

all: $(PROGS)

help:
	@echo 'make            build BPF objects, skeletons and mxguardd into $(OUTPUT)/'
	@echo 'make deps       install build and test dependencies (apt-get, idempotent)'
	@echo 'make check      run every test: host suites, then the VM kernel matrix (root)'
	@echo 'make check-host the host suites only: unit, install, BPF, e2e (root)'
	@echo 'make check-unit unit tests only (cmocka, no root)'
	@echo 'make check-bpf  BPF tests only (root)'
	@echo 'make check-e2e  end to end: real Postfix, unbound, nsd in namespaces (root)'
	@echo 'make check-install  make install/uninstall into a throwaway DESTDIR'
	@echo 'make demo       the .mil -> .ml story with a real Postfix, in under a minute'
	@echo 'make bench      benchmarks: DNS parse cost, connect overhead, map memory'
	@echo 'make fuzz       run the libFuzzer targets for FUZZ_TIME seconds each'
	@echo 'make fuzz-seeds rewrite the seed corpus of fuzz_render (tests/fuzz/corpus/render/)'
	@echo 'make vmtest     run the BPF suite in a VM (KERNEL=bzImage or KERNELS="5.10 6.12-lockdown")'
	@echo 'make install    binaries, man pages, unit, schema, /etc/mxguard (DESTDIR, PREFIX)'
	@echo 'make uninstall  remove them again (configuration and policies stay)'
	@echo 'make clean      remove $(OUTPUT)/'
	@echo 'V=1             show full commands'

deps:
	$(Q)./.ci/deps.sh

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/%.tmp.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/mxguard/*.h) $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/mxguardd: $(OUTPUT)/user/mxguardd.o $(CORE_OBJS) $(KERN_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/mxguardctl: $(OUTPUT)/user/mxguardctl.o $(CORE_OBJS) $(CTL_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

# --- tests ---------------------------------------------------------------

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -lcmocka -o $@

$(BPF_TEST): $(BPF_TEST_SRCS) $(wildcard tests/bpf/*.h include/mxguard/*.h) $(CORE_OBJS) $(KERN_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bpf $(BPF_TEST_SRCS) $(CORE_OBJS) $(KERN_OBJS) $(LIBS) -o $@

$(PKT_TEST): $(PKT_TEST_SRCS) $(wildcard tests/bpf/*.h include/mxguard/*.h) $(CORE_OBJS) $(KERN_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/bpf $(PKT_TEST_SRCS) $(CORE_OBJS) $(KERN_OBJS) $(LIBS) -o $@

$(BENCH): tests/bench/bench.c $(CORE_OBJS) $(KERN_OBJS) | $(OUTPUT)/tests
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -lm -o $@

$(GEN_BENCH): tests/bench/gen_bench.c $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

# Everything: the host suites, then the BPF suites in VMs on the kernel
# matrix (vmtest/vmtest.mk).  check-host is the quick loop while working.
check: check-host vmtest

check-host: check-unit check-install check-bpf check-e2e

# Built from the sources, not the objects: every module under the sanitizers.
$(OUTPUT)/san/test_%: tests/unit/test_%.c $(CORE_SRCS) $(wildcard user/*.h) | $(OUTPUT)
	$(Q)mkdir -p $(OUTPUT)/san
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) $< $(CORE_SRCS) $(LIBS) -lcmocka -o $@

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
SAN_OBJS	:= $(patsubst user/%.c,$(OUTPUT)/san/user/%.o,$(CORE_SRCS) $(KERN_SRCS))
SAN_PROGS	:= $(OUTPUT)/san/mxguardd $(OUTPUT)/san/mxguardctl
SAN_BPF_TEST	:= $(OUTPUT)/san/bpf_test
SAN_PKT_TEST	:= $(OUTPUT)/san/bpf_packets
SAN_ENV		:= ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(OUTPUT)/san/user/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/mxguard/*.h) $(SKELS)
	$(Q)mkdir -p $(@D)
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/san/mxguardd: $(OUTPUT)/san/user/mxguardd.o $(SAN_OBJS)
	$(call msg,BIN-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/san/mxguardctl: $(OUTPUT)/san/user/mxguardctl.o $(patsubst user/%.c,$(OUTPUT)/san/user/%.o,$(CORE_SRCS) $(CTL_SRCS))
	$(call msg,BIN-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $^ $(LIBS) -o $@

$(SAN_BPF_TEST): $(BPF_TEST_SRCS) $(wildcard tests/bpf/*.h) $(SAN_OBJS)
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Itests/bpf $(BPF_TEST_SRCS) $(SAN_OBJS) $(LIBS) -o $@

$(SAN_PKT_TEST): $(PKT_TEST_SRCS) $(wildcard tests/bpf/*.h) $(SAN_OBJS)
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Itests/bpf $(PKT_TEST_SRCS) $(SAN_OBJS) $(LIBS) -o $@

check-bpf: $(SAN_BPF_TEST) $(SAN_PKT_TEST) $(SAN_PROGS)
	$(Q)$(SAN_ENV) tests/bpf/run.sh $(SAN_PKT_TEST)
	$(Q)$(SAN_ENV) tests/bpf/run.sh $(SAN_BPF_TEST) $(OUTPUT)/san/mxguardd

bench: $(BENCH) $(GEN_BENCH) $(PROGS)
	$(Q)tests/bench/run.sh $(BENCH) $(GEN_BENCH)

FUZZ_TIME	?= 30
FUZZERS		:= $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS) \
		$(wildcard user/*.h tests/fuzz/*.h include/mxguard/*.h)
	$(Q)mkdir -p $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 $(WARN) -std=gnu11 -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined \
		-Iinclude -Iuser $< $(CORE_SRCS) $(LIBS) -o $@

# Each fuzzer runs for FUZZ_TIME seconds (bounded).  New inputs go to a
# corpus under .output; tests/fuzz/corpus/NAME/ holds seeds, read only.
fuzz: $(FUZZERS)
	$(Q)set -e; for f in $(FUZZERS); do \
		seeds=tests/fuzz/corpus/$${f##*/fuzz_}; \
		test -d $$seeds || seeds=; \
		mkdir -p $$f.corpus; echo "== $$f ($(FUZZ_TIME) s)"; \
		$$f -max_total_time=$(FUZZ_TIME) -artifact_prefix=$$f- \
			$$f.corpus $$seeds; done

# The seeds of fuzz_render: one record of each kind (committed).
FUZZ_SEEDS	:= $(OUTPUT)/fuzz/gen_render_seeds

$(FUZZ_SEEDS): tests/fuzz/gen_render_seeds.c user/name.c tests/fuzz/fuzz_render.h \
		$(wildcard user/*.h include/mxguard/*.h)
	$(Q)mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) tests/fuzz/gen_render_seeds.c user/name.c -o $@

fuzz-seeds: $(FUZZ_SEEDS)
	$(Q)mkdir -p tests/fuzz/corpus/render
	$(Q)$(FUZZ_SEEDS) tests/fuzz/corpus/render

include tests/e2e/e2e.mk
include vmtest/vmtest.mk

# --- install -------------------------------------------------------------

# Config and policies are never overwritten: a local edit survives.
install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DATADIR)/mxguard \
		$(DESTDIR)$(SYSCONFDIR)/mxguard/policies.d
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 user/mxguardd.8 user/mxguardctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 user/mxguard.policy.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 user/alert.schema.json $(DESTDIR)$(DATADIR)/mxguard/
	sed 's|@SBINDIR@|$(SBINDIR)|' user/mxguardd.service.in > \
		$(DESTDIR)$(UNITDIR)/mxguardd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mxguardd.service
	test -e $(DESTDIR)$(SYSCONFDIR)/mxguard/mxguard.conf || \
		install -m 0644 user/mxguard.conf $(DESTDIR)$(SYSCONFDIR)/mxguard/
	for p in policies/*.policy; do \
		t=$(DESTDIR)$(SYSCONFDIR)/mxguard/policies.d/$${p##*/}; \
		test -e $$t || install -m 0644 $$p $$t; done

# Configuration and policies stay: they are the administrator's.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mxguardd $(DESTDIR)$(SBINDIR)/mxguardctl \
		$(DESTDIR)$(MANDIR)/man8/mxguardd.8 \
		$(DESTDIR)$(MANDIR)/man8/mxguardctl.8 \
		$(DESTDIR)$(MANDIR)/man5/mxguard.policy.5 \
		$(DESTDIR)$(UNITDIR)/mxguardd.service \
		$(DESTDIR)$(DATADIR)/mxguard/alert.schema.json
	-rmdir $(DESTDIR)$(DATADIR)/mxguard

check-install: $(PROGS)
	$(Q)tests/install/run.sh

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)
