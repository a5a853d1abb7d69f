# SPDX-License-Identifier: GPL-2.0-only
# VM test matrix (see vmtest/run.sh and README "Kernel matrix (vmtest)").
#
#   make vmtest KERNELS="5.10 6.1 6.12 native"   the matrix, with a table
#   make vmtest KERNELS=6.12-lockdown            boot with lockdown=confidentiality
#   make vmtest KERNEL=/path/to/bzImage          one kernel CI build
#   make verifier-stats                          processed insns, this kernel
#
# VMTEST_FILTER picks bpf_test cases: comma-separated name substrings, and
# "-name" to leave one out.  The default leaves out what measures speed, not
# kernels: reload_under_stream expects 20 policy reloads within 4 s, which
# TCG does not reach (make check runs it natively).

# The -lockdown runs boot lockdown=confidentiality and run a focused set of
# cases (VMTEST_LOCKDOWN_FILTER, see run.sh): 5.10 refuses the walk's
# helper as "unknown func", 6.12 as "cannot use helper"; about 45 s each.
KERNELS		?= 5.10 6.1 6.12 5.10-lockdown 6.12-lockdown native
VMTEST_FILTER	?= -reload_under_stream
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
