# SPDX-License-Identifier: GPL-2.0-only
# MTA integrations (issue 10, "the typo caught at submission"): the Postfix
# milter, the OpenSMTPD filter and the Exim ACL, all asking mxguardd's
# query socket (user/qproto.h).  Included by the top Makefile.

LIBEXECDIR	?= $(PREFIX)/libexec
CONTRIB_DIR	:= $(OUTPUT)/contrib
MILTER		:= $(OUTPUT)/mxguard-milter
SMTPD_FILTER	:= $(OUTPUT)/mxguard-smtpd-filter
CONTRIB_PROGS	:= $(MILTER) $(SMTPD_FILTER)
CONTRIB_HDRS	:= user/qproto.h $(wildcard user/contrib/*/*.h)

all: $(CONTRIB_PROGS)

$(CONTRIB_DIR):
	$(Q)mkdir -p $@

$(CONTRIB_DIR)/%.o: user/contrib/postfix/%.c $(CONTRIB_HDRS) | $(CONTRIB_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iuser/contrib/postfix -c $< -o $@

$(CONTRIB_DIR)/%.o: user/contrib/opensmtpd/%.c $(CONTRIB_HDRS) | $(CONTRIB_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iuser/contrib/opensmtpd -c $< -o $@

# libmilter (Debian libmilter-dev) is threaded.
$(MILTER): $(CONTRIB_DIR)/mxguard-milter.o $(CONTRIB_DIR)/milter_reply.o \
	   $(OUTPUT)/user/qproto.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -lmilter -pthread -o $@

$(SMTPD_FILTER): $(CONTRIB_DIR)/mxguard-smtpd-filter.o $(CONTRIB_DIR)/osf.o \
		 $(OUTPUT)/user/qproto.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@

# Unit tests of the pure halves (tests/unit/test_milter_reply.c, test_osf.c).
$(OUTPUT)/tests/test_milter_reply: $(CONTRIB_DIR)/milter_reply.o
$(OUTPUT)/tests/test_osf: $(CONTRIB_DIR)/osf.o
$(OUTPUT)/san/test_milter_reply: CORE_SRCS += user/contrib/postfix/milter_reply.c
$(OUTPUT)/san/test_osf: CORE_SRCS += user/contrib/opensmtpd/osf.c

CONTRIB_SHARE	:= $(DATADIR)/mxguard/contrib
CONTRIB_FILES	:= user/contrib/postfix/main.cf.snippet \
		   user/contrib/exim/mxguard-rcpt.acl \
		   user/contrib/exim/mxguard-not-smtp.acl \
		   user/contrib/opensmtpd/smtpd.conf.snippet

.PHONY: install-contrib uninstall-contrib
install: install-contrib
uninstall: uninstall-contrib

install-contrib: $(CONTRIB_PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/mxguard \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(CONTRIB_SHARE)
	install -m 0755 $(MILTER) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(SMTPD_FILTER) $(DESTDIR)$(LIBEXECDIR)/mxguard/
	install -m 0644 user/contrib/postfix/mxguard-milter.8 \
		$(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(CONTRIB_FILES) $(DESTDIR)$(CONTRIB_SHARE)/
	sed 's|@SBINDIR@|$(SBINDIR)|' \
		user/contrib/postfix/mxguard-milter.service.in > \
		$(DESTDIR)$(UNITDIR)/mxguard-milter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mxguard-milter.service

uninstall-contrib:
	rm -f $(DESTDIR)$(SBINDIR)/mxguard-milter \
		$(DESTDIR)$(LIBEXECDIR)/mxguard/mxguard-smtpd-filter \
		$(DESTDIR)$(MANDIR)/man8/mxguard-milter.8 \
		$(DESTDIR)$(UNITDIR)/mxguard-milter.service \
		$(addprefix $(DESTDIR)$(CONTRIB_SHARE)/,$(notdir $(CONTRIB_FILES)))
	-rmdir $(DESTDIR)$(CONTRIB_SHARE) $(DESTDIR)$(LIBEXECDIR)/mxguard
