# Log pipeline suite: alerts through real journald, rsyslog, syslog-ng and
# logrotate (tests/logs/, root, .ci/packages/logs.list), then the shipped
# integrations for tools Debian does not package, checked as far as can be
# without them (tests/contrib/).
.PHONY: check-logs
check-logs: $(PROGS)
	$(Q)timeout 300 bash tests/logs/run.sh $(OUTPUT)/mxguardd
	$(Q)timeout 60 bash tests/contrib/check.sh
