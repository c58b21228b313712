/* fl-similar.h — similar solved tickets: the index and its ranking
 *
 * Shared by the local cache (FlStore) and the server's SQLite store: both keep
 * the same two index tables of resolved and closed tickets, keyed by the rowid
 * of their tickets table, and rank with the same code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "fl-ticket.h"

G_BEGIN_DECLS

/* The two index tables (FTS5 words with diacritics removed, FTS5 trigrams of the
 * folded text and of error codes), and the words ever indexed (for typo
 * correction; fts5vocab would read every posting of the words it lists). */
#define FL_SIMILAR_SCHEMA \
  "CREATE VIRTUAL TABLE similar_fts USING fts5 (" \
  "  title, description, resolution," \
  "  category UNINDEXED, requester UNINDEXED, department UNINDEXED, resolved_at UNINDEXED," \
  "  tokenize = 'unicode61 remove_diacritics 2', prefix = '4 5 6 7'" \
  ");" \
  "CREATE VIRTUAL TABLE similar_tri USING fts5 (body, tokenize = 'trigram');" \
  "CREATE VIRTUAL TABLE similar_vocab USING fts5vocab (similar_fts, 'row');" \
  "CREATE TABLE similar_words (word TEXT PRIMARY KEY) WITHOUT ROWID;"

/* Weights of the re-ranking, documented in docs/architecture.md. */
#define FL_SIMILAR_W_TEXT        1.00  /* bm25 (title 10, description 4, resolution 2), scaled to 0–1 */
#define FL_SIMILAR_W_TRIGRAM     0.30  /* trigram overlap of the request's and the ticket's title */
#define FL_SIMILAR_W_CODE        0.60  /* share of the request's error codes found in the ticket */
#define FL_SIMILAR_W_CATEGORY    0.15
#define FL_SIMILAR_W_REQUESTER   0.10
#define FL_SIMILAR_W_DEPARTMENT  0.05
#define FL_SIMILAR_W_RECENCY     0.05  /* × exp (−age / 180 days) */

/* A possible duplicate: same requester, open, created within this time, and a
 * similarity (fl_similar_text_similarity) of at least this threshold. */
#define FL_DUPLICATE_WINDOW_MS   (72 * G_GINT64_CONSTANT (3600000))
#define FL_DUPLICATE_THRESHOLD   0.35
#define FL_DUPLICATE_CATEGORY    0.20  /* added to the similarity for the same category */

/* One resolved ticket as the index keeps it; NULL fields are empty. */
typedef struct
{
  const char *title;
  const char *description;
  const char *resolution;
  const char *category;
  const char *requester;       /* the requester's name */
  const char *department;
  const char *asset;           /* found by its code only */
  gint64      resolved_at;     /* ms since the epoch */
} FlSimilarDoc;

typedef struct
{
  const char *title;
  const char *description;
  const char *category;        /* NULL: any */
  const char *requester;       /* NULL: nobody in particular */
  const char *department;
  gint64      now;             /* ms since the epoch, for recency */
  guint       limit;           /* 0: 5 */
} FlSimilarQuery;

typedef struct
{
  gint64 rowid;
  double score;
} FlSimilarHit;

/* Registers the SQL functions the migrations use (fl_similar_tri_text, fl_fold)
 * on @db. */
void       fl_similar_register        (sqlite3              *db);

typedef struct _FlSqliteCache FlSqliteCache;

/* Writes (or with @doc NULL removes) the index rows of @rowid; @cache (of @db,
 * nullable) keeps the statements prepared. */
gboolean   fl_similar_index           (sqlite3              *db,
                                       FlSqliteCache        *cache,
                                       gint64                rowid,
                                       const FlSimilarDoc   *doc,
                                       GError              **error);

/* fl_similar_index () for @ticket at @rowid: indexed when it is resolved or
 * closed (only solved tickets are suggested), its rows removed otherwise. */
gboolean   fl_similar_index_ticket    (sqlite3              *db,
                                       FlSqliteCache        *cache,
                                       gint64                rowid,
                                       FlTicket             *ticket,
                                       GError              **error);

/* The ranked search: an array of FlSimilarHit, best first, at most @q->limit. */
GArray    *fl_similar_search          (sqlite3              *db,
                                       const FlSimilarQuery *q,
                                       GError              **error);

/* The naive baseline the benchmark compares with: plain bm25 over title,
 * description and resolution, the request's words OR-joined. */
GArray    *fl_similar_search_baseline (sqlite3              *db,
                                       const FlSimilarQuery *q,
                                       GError              **error);

/* Lower case, diacritics removed (as FTS5's unicode61 tokenizer does). */
char      *fl_similar_fold            (const char           *text);

/* How alike two texts are, 0–1: the Dice coefficient of their stemmed,
 * synonym-folded content words. */
double     fl_similar_text_similarity (const char           *a,
                                       const char           *b);

G_END_DECLS
