# SPDX-License-Identifier: GPL-2.0-only
# VM test matrix (see vmtest/run.sh and README "Kernel matrix (vmtest)").
#
#   make vmtest KERNELS="5.10 6.1 6.12 native"   the matrix, with a table
#   make vmtest KERNELS=6.12-lockdown            boot with lockdown=confidentiality
#   make vmtest KERNEL=/path/to/bzImage          one kernel CI build
#   make verifier-stats                          processed insns, this kernel
#
# VMTEST_FILTER picks bpf_test cases: comma-separated name substrings, and
# "-name" to leave one out.  The default leaves out what measures the
# daemon's speed and endurance, not the kernel's behaviour, and would cost
# the matrix minutes under TCG: reload_under_stream expects 20 policy reloads
# within 4 s, which TCG does not reach; reload_generation_wrap (300
# reloads), sinks_protected_names_bounded (50), second_look_flood and
# responder_hostile (floods of user-space work), and the control socket's
# slow and stuck clients (seconds of waiting by design).  check-bpf runs
# every one of them on the host, under ASan and UBSan.
#
# The matrix has no "native" row by default: check-bpf runs the whole suite
# on the running kernel already; `make vmtest KERNELS=native` still does.

# The -lockdown runs boot lockdown=confidentiality and run a focused set of
# cases (VMTEST_LOCKDOWN_FILTER, see run.sh): 5.10 refuses the walk's
# helper as "unknown func", 6.12 as "cannot use helper"; about 45 s each.
KERNELS		?= 5.10 6.1 6.12 5.10-lockdown 6.12-lockdown
VMTEST_FILTER	?= $(BPF_NOT_SERIAL)
VMTEST_BINS	:= $(PROGS) $(UNIT_TESTS) $(BPF_TEST) $(PKT_TEST) $(DNSDIFF) \
		   $(OUTPUT)/vmtest/verifier_stats

.PHONY: verifier-stats

$(OUTPUT)/vmtest:
	$(Q)mkdir -p $@

$(OUTPUT)/vmtest/verifier_stats: vmtest/verifier_stats.c $(SKELS) | $(OUTPUT)/vmtest
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

vmtest: $(VMTEST_BINS)
	$(Q)VMTEST_FILTER="$(VMTEST_FILTER)" vmtest/run.sh $(if $(KERNEL),$(KERNEL),$(KERNELS))

verifier-stats: $(OUTPUT)/vmtest/verifier_stats
	$(Q)$<

# The booted-system test: Debian 12 with systemd and Postfix under QEMU
# (TCG), the .deb installed, used and purged (vmtest/system.sh).  The disk
# image is built once with debootstrap and cached (vmtest/rootfs.sh).
.PHONY: vmtest-system
vmtest-system:
	$(Q)tests/install/deb.sh -b
	$(Q)vmtest/system.sh $(OUTPUT)/deb/mxguard.deb
