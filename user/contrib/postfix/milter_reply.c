// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter_reply.h"

void mlt_decide(int rc, const struct qry_answer *a, const char *rcpt,
		int hold, struct mlt_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (rc) {
		/* No client text in it: nothing to escape. */
		d->kind = MLT_NO_VERDICT;
		strcpy(d->rcode, "451");
		strcpy(d->xcode, "4.3.0");
		snprintf(d->text, sizeof(d->text), "mxguard could not judge "
			 "this recipient now; try again later");
		snprintf(d->log, sizeof(d->log), "%s", d->text);
		return;
	}
	if (a->verdict != QRY_LOOKALIKE) {
		d->kind = MLT_PASS;
		return;
	}
	if (a->action == QRY_BLOCK) {
		d->kind = MLT_REJECT;
		strcpy(d->rcode, "550");
		strcpy(d->xcode, "5.1.2");
		qry_smtp_text(d->text, sizeof(d->text), rcpt, a, "refused", 1);
		qry_smtp_text(d->log, sizeof(d->log), rcpt, a, "refused", 0);
		return;
	}
	d->kind = MLT_MARK;
	qry_smtp_text(d->text, sizeof(d->text), rcpt, a,
		      hold ? "held" : "marked", 0);
	snprintf(d->log, sizeof(d->log), "%s", d->text);
}

int mlt_marks_add(struct mlt_marks *m, const char *text)
{
	char *c;

	if (m->n == MLT_MARKS_MAX) {
		m->dropped++;
		return 0;
	}
	c = strdup(text);
	if (!c)
		return -ENOMEM;
	m->v[m->n++] = c;
	return 0;
}

void mlt_marks_clear(struct mlt_marks *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	memset(m, 0, sizeof(*m));
}
