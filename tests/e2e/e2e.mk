# End-to-end suite (real Postfix and resolver): owned by tests/e2e/.
.PHONY: check-e2e demo
check-e2e:
demo:
