/* bench-util.h — the benchmarks' report: table, JSON, machine, caches
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BENCH_BELOW,     /* value < target */
  BENCH_AT_MOST,   /* value ≤ target */
  BENCH_AT_LEAST,  /* value ≥ target */
  BENCH_INFO,      /* no target: information */
} BenchGoal;

typedef struct _BenchReport BenchReport;

BenchReport *bench_report_new     (const char  *name,
                                   const char  *title);
void         bench_report_add     (BenchReport *report,
                                   const char  *figure,
                                   const char  *unit,
                                   double       value,
                                   double       baseline,
                                   BenchGoal    goal,
                                   double       target);
void         bench_report_set     (BenchReport *report,
                                   const char  *key,
                                   const char  *value);
int          bench_report_finish  (BenchReport *report);

char        *bench_dir            (void);
char        *bench_ensure_cache   (guint        n_tickets,
                                   guint32      seed);
gint64       bench_rss_kb         (GPid         pid);
double       bench_percentile     (GArray      *ms,
                                   double       p);

/* The generated tickets' "now": fixed, so a cache file can be reused. */
#define BENCH_NOW  1767254400000LL   /* 2026-01-01T08:00:00Z */
#define BENCH_SEED 1042

G_END_DECLS
