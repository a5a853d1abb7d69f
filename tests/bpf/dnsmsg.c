// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "dnsmsg.h"

static void put(struct dnsmsg *m, const void *p, size_t n)
{
	if (m->len + n > DM_MAX) {
		m->overflow = 1;
		return;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

void dm_u8(struct dnsmsg *m, uint8_t v) { put(m, &v, 1); }

void dm_u16(struct dnsmsg *m, uint16_t v)
{
	v = htons(v);
	put(m, &v, 2);
}

void dm_u32(struct dnsmsg *m, uint32_t v)
{
	v = htonl(v);
	put(m, &v, 4);
}

void dm_init(struct dnsmsg *m, uint16_t id, int response, int rcode)
{
	memset(m, 0, sizeof(*m));
	dm_u16(m, id);
	/* QR, RD (+RA in responses), RCODE */
	dm_u16(m, response ? (0x8000 | 0x0100 | 0x0080 | (rcode & 0xf)) :
			     0x0100);
	dm_u16(m, 0);
	dm_u16(m, 0);
	dm_u16(m, 0);
	dm_u16(m, 0);
}

size_t dm_name(struct dnsmsg *m, const char *name)
{
	size_t at = m->len;
	const char *p = name, *dot;
	size_t n;

	if (!name) {
		dm_ptr(m, DM_QNAME_OFF);
		return at;
	}
	while (*p) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n) {
			dm_u8(m, n);
			put(m, p, n);
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	dm_u8(m, 0);
	return at;
}

void dm_ptr(struct dnsmsg *m, uint16_t target)
{
	dm_u16(m, 0xC000 | target);
}

void dm_question(struct dnsmsg *m, const char *name, uint16_t qtype)
{
	dm_name(m, name);
	dm_u16(m, qtype);
	dm_u16(m, 1);
	m->buf[5] = 1;
}

int dm_echo_question(struct dnsmsg *m, const uint8_t *q, size_t qlen,
		     uint16_t *qtype, char *qname, size_t qnamesz)
{
	size_t pos = DM_QNAME_OFF, out = 0, i;
	uint8_t l;

	while (pos < qlen && (l = q[pos]) != 0) {
		if (l > 63 || pos + 1 + l > qlen || out + l + 2 > qnamesz)
			return -1;
		for (i = 0; i < l; i++)
			qname[out++] = tolower(q[pos + 1 + i]);
		qname[out++] = '.';
		pos += 1 + l;
	}
	if (pos + 5 > qlen)
		return -1;
	qname[out ? out - 1 : 0] = '\0';
	put(m, q + DM_QNAME_OFF, pos + 5 - DM_QNAME_OFF);
	*qtype = (q[pos + 1] << 8) | q[pos + 2];
	m->buf[0] = q[0];
	m->buf[1] = q[1];
	m->buf[5] = 1;
	return 0;
}

size_t dm_rr_head(struct dnsmsg *m, enum dm_section s, uint16_t type,
		  uint32_t ttl)
{
	size_t at;

	dm_u16(m, type);
	dm_u16(m, 1);
	dm_u32(m, ttl);
	at = m->len;
	dm_u16(m, 0);
	m->count[s]++;
	return at;
}

void dm_rdlen_patch(struct dnsmsg *m, size_t at)
{
	uint16_t n = htons(m->len - at - 2);

	memcpy(m->buf + at, &n, 2);
}

void dm_a(struct dnsmsg *m, enum dm_section s, const char *owner,
	  uint32_t ttl, const char *ip4)
{
	struct in_addr a;
	size_t at;

	inet_pton(AF_INET, ip4, &a);
	dm_name(m, owner);
	at = dm_rr_head(m, s, DNS_A, ttl);
	put(m, &a, 4);
	dm_rdlen_patch(m, at);
}

void dm_aaaa(struct dnsmsg *m, enum dm_section s, const char *owner,
	     uint32_t ttl, const char *ip6)
{
	struct in6_addr a;
	size_t at;

	inet_pton(AF_INET6, ip6, &a);
	dm_name(m, owner);
	at = dm_rr_head(m, s, DNS_AAAA, ttl);
	put(m, &a, 16);
	dm_rdlen_patch(m, at);
}

void dm_target(struct dnsmsg *m, enum dm_section s, const char *owner,
	       uint16_t type, uint32_t ttl, const char *target)
{
	size_t at;

	dm_name(m, owner);
	at = dm_rr_head(m, s, type, ttl);
	if (type == DNS_MX)
		dm_u16(m, 10);
	else if (type == DNS_SRV) {
		dm_u16(m, 0);
		dm_u16(m, 0);
		dm_u16(m, 25);
	}
	dm_name(m, target);
	dm_rdlen_patch(m, at);
}

void dm_opt(struct dnsmsg *m)
{
	dm_u8(m, 0);
	dm_u16(m, DNS_OPT);
	dm_u16(m, 1232);
	dm_u32(m, 0);
	dm_u16(m, 0);
	m->count[DM_AR]++;
}

void dm_finish(struct dnsmsg *m)
{
	m->buf[6] = m->count[DM_AN] >> 8;
	m->buf[7] = m->count[DM_AN] & 0xff;
	m->buf[8] = m->count[DM_NS] >> 8;
	m->buf[9] = m->count[DM_NS] & 0xff;
	m->buf[10] = m->count[DM_AR] >> 8;
	m->buf[11] = m->count[DM_AR] & 0xff;
}
