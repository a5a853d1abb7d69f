# VM test matrix: owned by vmtest/.
.PHONY: vmtest
vmtest:
