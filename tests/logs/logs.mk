# Log pipeline suite (real journald, rsyslog, syslog-ng, logrotate):
# owned by tests/logs/.  Root; packages of .ci/packages/logs.list.
.PHONY: check-logs
check-logs: $(PROGS)
	$(Q)timeout 300 bash tests/logs/run.sh $(OUTPUT)/mxguardd
