/* fl-demo.h — realistic generated tickets for the demo cache and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-ticket.h"

G_BEGIN_DECLS

/* @n tickets, reproducible for one @seed, created over the @days before @now,
 * in every status, German and English texts. Each has a number (as if synced). */
GPtrArray *fl_demo_generate_tickets (guint   n,
                                     guint32 seed,
                                     gint64  now,
                                     guint   days);

G_END_DECLS
