/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Explicit bounds for every loop the BPF side runs.  The verifier on the
 * kernel floor (5.10) needs bounded loops, and a packet that would need more
 * iterations than these is counted as a truncated parse, never as clean.
 */
#ifndef MXGUARD_LIMITS_H
#define MXGUARD_LIMITS_H

/* A DNS name in wire format is at most 255 bytes including the root label. */
#define MXG_NAME_MAX		256
/* 255 wire bytes hold at most 127 labels. */
#define MXG_LABELS_MAX		127
/* Compression pointers followed for one name; a loop hits this bound. */
#define MXG_PTR_HOPS_MAX	16
/* Steps of the name walk: every byte of the name plus every pointer hop. */
#define MXG_NAME_STEPS		(MXG_NAME_MAX + MXG_PTR_HOPS_MAX)
/*
 * DNS message bytes read in full (power of two).  A longer message (a forced
 * TCP answer, a big RRSIG) to a watched question is held back.
 */
#define MXG_DNS_MAX		4096
/*
 * Resource records walked per message, all sections.  The smallest record
 * is 11 bytes (root owner, empty RDATA), so 384 covers every record a
 * MXG_DNS_MAX message can hold: the byte bound is always the one that bites.
 */
#define MXG_RR_MAX		384
/* DNS messages attributed within one TCP skb (pipelining, coalescing). */
#define MXG_TCP_MSGS_MAX	16
/* IPv6 extension headers walked before the transport header. */
#define MXG_EXTHDR_MAX		6
/* Outstanding UDP queries remembered per socket (A and AAAA, retries). */
#define MXG_PENDING_MAX		8
/* An outstanding query older than this no longer makes an answer trusted. */
#define MXG_PENDING_TTL_S	60
/* Ancestors walked at connect time in process scope (self included). */
#define MXG_ANCESTRY_MAX	16
/* Protected names are kept in full up to this size (wire format). */
#define MXG_PROTECTED_MAX	128

/*
 * Unexplained connects are counted each; one per CPU per this many ms is
 * reported (mxguardctl stats has the count).
 */
#define MXG_UNEXPLAINED_GAP_MS	100

/* Default map sizes; the daemon may override them before load. */
#define MXG_TAINT_ENTRIES	65536	/* lookalike records, per level */
/*
 * taint_any's bound on a record's expiry is the answer's time + ttl_max +
 * this: writers on two CPUs race only by the time between their clocks.
 * The daemon's rebuild at start adds twice as much.
 */
#define MXG_ANY_SLACK_NS	1000000000ULL
#define MXG_CLEAN_ENTRIES	65536	/* clean records (LRU) */
#define MXG_TNAME_ENTRIES	16384
#define MXG_OWNER_ENTRIES	65536
#define MXG_PROTECTED_ENTRIES	4096
#define MXG_REDIRECT_ENTRIES	4096	/* redirected connects in flight (LRU) */
#define MXG_RINGBUF_BYTES	(1U << 20)	/* verdicts and their context */
#define MXG_QUERY_RINGBUF_BYTES	(1U << 19)	/* MX queries: second look */
#define MXG_PORTS_MAX		64

/* Default TTL clamps in seconds: a TTL of 0 must not let a taint vanish. */
#define MXG_TTL_MIN_DEFAULT	300
#define MXG_TTL_MAX_DEFAULT	86400

#endif
