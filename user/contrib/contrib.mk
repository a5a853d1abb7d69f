# SPDX-License-Identifier: GPL-2.0-only
# MTA integrations (issue 10, "the typo caught at submission"): the Postfix
# milter, the OpenSMTPD filter and the Exim ACL, all asking mxguardd's
# query socket (user/lib/qproto.h).  Included by the top Makefile.

LIBEXECDIR	?= $(PREFIX)/libexec
MILTER		:= $(OUTPUT)/mxguard-milter
SMTPD_FILTER	:= $(OUTPUT)/mxguard-smtpd-filter
CONTRIB_PROGS	:= $(MILTER) $(SMTPD_FILTER)

all: $(CONTRIB_PROGS)

MILTER_SRCS	:= user/contrib/postfix/mxguard-milter.c \
		   user/contrib/postfix/milter_reply.c
FILTER_SRCS	:= user/contrib/opensmtpd/mxguard-smtpd-filter.c \
		   user/contrib/opensmtpd/osf.c
# Objects come from the top Makefile's rules (user/%.c -> .output/user/%.o);
# qproto.o is libmxguard's, the only part of it these link.
QPROTO_OBJ	= $(call objs,$(1),user/lib/qproto.c)

# libmilter (Debian libmilter-dev) is threaded.
$(MILTER): $(call objs,$(OUTPUT),$(MILTER_SRCS)) $(call QPROTO_OBJ,$(OUTPUT))
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -lmilter -pthread -o $@

$(SMTPD_FILTER): $(call objs,$(OUTPUT),$(FILTER_SRCS)) $(call QPROTO_OBJ,$(OUTPUT))
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@

# Unit tests of the pure halves (tests/unit/test_milter_reply.c, test_osf.c).
$(OUTPUT)/tests/test_milter_reply: \
	$(call objs,$(OUTPUT),user/contrib/postfix/milter_reply.c)
$(OUTPUT)/tests/test_osf: $(call objs,$(OUTPUT),user/contrib/opensmtpd/osf.c)
$(OUTPUT)/san/test_milter_reply: \
	$(call objs,$(OUTPUT)/san,user/contrib/postfix/milter_reply.c)
$(OUTPUT)/san/test_osf: $(call objs,$(OUTPUT)/san,user/contrib/opensmtpd/osf.c)

CONTRIB_SHARE	:= $(DATADIR)/mxguard/contrib
CONTRIB_FILES	:= user/contrib/postfix/main.cf.snippet \
		   user/contrib/exim/mxguard-rcpt.acl \
		   user/contrib/exim/mxguard-not-smtp.acl \
		   user/contrib/exim/mxguard-hold.router \
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
