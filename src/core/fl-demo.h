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

/* Raised whenever fl_demo_generate () makes other data for the same seed:
 * benchmarks keep generated caches under this number. */
#define FL_DEMO_VERSION 2

typedef struct
{
  GPtrArray *tickets;   /* FlTicket */
  GPtrArray *events;    /* FlEvent: create, notes, checklist steps, handoffs, resolutions */
} FlDemoData;

/* Like fl_demo_generate_tickets () and more: each ticket's history as events
 * (its creation, 0–3 notes in German or English, guided checklist steps,
 * the handoff of escalated and the resolution of resolved tickets), with
 * realistic resolution summaries. Everything, ids included, follows from @seed
 * and @now alone. */
FlDemoData *fl_demo_generate      (guint       n,
                                   guint32     seed,
                                   gint64      now,
                                   guint       days);
void        fl_demo_data_free     (FlDemoData *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlDemoData, fl_demo_data_free)

G_END_DECLS
