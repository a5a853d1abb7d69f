/* SPDX-License-Identifier: GPL-2.0-only */
/* Building DNS messages for the tests: honest ones and hostile ones. */
#ifndef MXG_TEST_DNSMSG_H
#define MXG_TEST_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DM_MAX 16384
#define DM_QNAME_OFF 12		/* where the question name starts */

enum dm_section { DM_AN, DM_NS, DM_AR };

struct dnsmsg {
	uint8_t buf[DM_MAX];
	size_t len;
	uint16_t count[3];
	int overflow;
};

void dm_init(struct dnsmsg *m, uint16_t id, int response, int rcode);
/* Question in presentation form; case is kept as given (0x20 tests). */
void dm_question(struct dnsmsg *m, const char *name, uint16_t qtype);
/* Copy the question of @query (its bytes as sent) into a response. */
int dm_echo_question(struct dnsmsg *m, const uint8_t *query, size_t qlen,
		     uint16_t *qtype, char *qname, size_t qnamesz);
/*
 * Append a name: NULL owner means a pointer to the question (0xc00c).
 * Returns the offset where it was written (for later pointers).
 */
size_t dm_name(struct dnsmsg *m, const char *name);
void dm_ptr(struct dnsmsg *m, uint16_t target);
void dm_u8(struct dnsmsg *m, uint8_t v);
void dm_u16(struct dnsmsg *m, uint16_t v);
void dm_u32(struct dnsmsg *m, uint32_t v);
/* RR header after the owner; returns the offset of RDLENGTH to patch. */
size_t dm_rr_head(struct dnsmsg *m, enum dm_section s, uint16_t type,
		  uint32_t ttl);
void dm_rdlen_patch(struct dnsmsg *m, size_t at);
/* Whole records; owner NULL = pointer to the question name. */
void dm_a(struct dnsmsg *m, enum dm_section s, const char *owner,
	  uint32_t ttl, const char *ip4);
void dm_aaaa(struct dnsmsg *m, enum dm_section s, const char *owner,
	     uint32_t ttl, const char *ip6);
void dm_target(struct dnsmsg *m, enum dm_section s, const char *owner,
	       uint16_t type, uint32_t ttl, const char *target);
void dm_opt(struct dnsmsg *m);	/* EDNS0 OPT in the additional section */
void dm_finish(struct dnsmsg *m);	/* write the section counts */

#define DNS_A 1
#define DNS_CNAME 5
#define DNS_MX 15
#define DNS_AAAA 28
#define DNS_SRV 33
#define DNS_OPT 41

#endif
