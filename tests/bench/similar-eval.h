/* similar-eval.h — the fixed evaluation set of similar-ticket search
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint  n_requests;
  double recall_at_1;
  double recall_at_5;
  double mrr;
  GPtrArray *misses;    /* "request title → expected (got …)" for each request not in the top 5 */
} SimilarEval;

void  similar_eval_clear   (SimilarEval *eval);

/* Puts the set's resolved tickets (tests/bench/similar-set.json) into @store,
 * numbered from 1 in the order of the file, resolved @age days before @now. */
void  similar_eval_load    (FlStore     *store,
                            const char  *path,
                            gint64       now);

/* Runs every request of the set: the ranked search, or the naive baseline. */
void  similar_eval_run     (FlStore     *store,
                            const char  *path,
                            gint64       now,
                            gboolean     baseline,
                            SimilarEval *out);

G_END_DECLS
