# End-to-end suites (real Postfix and resolver; the responder suite adds an
# Exim unpacked from Debian's packages): owned by tests/e2e/.
# Both need root, and the packages of .ci/packages/e2e.list (make deps).
# The timeouts are a last resort: every wait inside is bounded already.
# submit.sh: the MTA integrations at submission (user/contrib/), with
# Postfix, and Exim and OpenSMTPD unpacked from their Debian packages.
# load.py: the verdicts while dnsperf and a bulk stream load the cgroup.
.PHONY: check-e2e demo
check-e2e: $(PROGS) $(CONTRIB_PROGS) $(LOADGEN)
	$(Q)timeout 600 bash tests/e2e/run.sh $(OUTPUT)/mxguardd
	$(Q)timeout 300 bash tests/e2e/submit.sh $(OUTPUT)/mxguardd \
		$(MILTER) $(SMTPD_FILTER)
	$(Q)timeout 600 bash tests/e2e/responder.sh $(OUTPUT)/mxguardd
	$(Q)timeout 300 unshare -n python3 tests/e2e/load.py \
		$(OUTPUT)/mxguardd $(LOADGEN) tests/e2e/e2e.py

demo: $(PROGS) $(CONTRIB_PROGS)
	$(Q)timeout 120 bash tests/e2e/demo.sh $(OUTPUT)/mxguardd $(MILTER)
