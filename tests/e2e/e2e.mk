# End-to-end suite (real Postfix and resolver): owned by tests/e2e/.
# Both need root, and the packages of .ci/packages/e2e.list (make deps).
# The timeouts are a last resort: every wait inside is bounded already.
# submit.sh: the MTA integrations at submission (user/contrib/), with
# Postfix, and Exim and OpenSMTPD unpacked from their Debian packages.
.PHONY: check-e2e demo
check-e2e: $(PROGS) $(CONTRIB_PROGS)
	$(Q)timeout 600 bash tests/e2e/run.sh $(OUTPUT)/mxguardd
	$(Q)timeout 300 bash tests/e2e/submit.sh $(OUTPUT)/mxguardd \
		$(MILTER) $(SMTPD_FILTER)

demo: $(PROGS)
	$(Q)timeout 120 bash tests/e2e/demo.sh $(OUTPUT)/mxguardd
