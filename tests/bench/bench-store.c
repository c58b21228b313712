/* bench-store.c — importing tickets into the local cache vs plain SQLite
 *
 * fl_store_put_tickets() of N generated tickets into a new cache, against the
 * baseline in the same run: the same rows inserted into the same schema (made
 * by FlStore) with plain prepared INSERTs, tickets and their FTS rows, in one
 * transaction, with the cache's PRAGMAs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-util.h"
#include "fl-demo.h"
#include "fl-store.h"

/* Measured on the same machine before the fixes of this benchmark's commit
 * (the upsert with RETURNING rowid, the FTS row always read and deleted). */
#define BASE_RATIO 3.5

static void
remove_cache (const char *path)
{
  static const char * const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

static const char *
nn (const char *s)
{
  return s ? s : "";
}

static void
bind (sqlite3_stmt *stmt,
      int           i,
      const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, i);
  else
    sqlite3_bind_text (stmt, i, text, -1, SQLITE_STATIC);
}

/* The same rows with plain prepared statements: seconds. */
static double
plain_import (const char *path,
              GPtrArray  *tickets)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *ins = NULL, *fts = NULL;
  gint64 start;

  {
    /* the cache's schema, made by the store itself */
    g_autoptr(GError) error = NULL;
    g_autoptr(FlStore) store = fl_store_new (path, &error);

    if (store == NULL)
      g_error ("%s", error->message);
  }

  if (sqlite3_open (path, &db) != SQLITE_OK)
    g_error ("%s", sqlite3_errmsg (db));
  sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                    " PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db,
    "INSERT INTO tickets (id, number, version, seq, title, description, req_name, req_email,"
    " req_phone, req_department, req_location, asset, channel, category, impact, urgency,"
    " priority, status, level, queue, assignee, resolution_code, resolution_summary, created_by,"
    " created_at, updated_at, resolved_at, due_at, waiting_since, pending, base_version)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)", -1, &ins, NULL);
  sqlite3_prepare_v2 (db,
    "INSERT INTO tickets_fts (rowid, title, description, requester, notes, extra)"
    " VALUES (?1, ?2, ?3, ?4, '', ?5)", -1, &fts, NULL);
  if (ins == NULL || fts == NULL)
    g_error ("prepare: %s", sqlite3_errmsg (db));

  start = g_get_monotonic_time ();
  sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *t = g_ptr_array_index (tickets, i);
      g_autofree char *requester = g_strjoin (" ", nn (t->requester.name), nn (t->requester.email),
                                              nn (t->requester.phone),
                                              nn (t->requester.department),
                                              nn (t->requester.location), NULL);
      g_autofree char *extra = g_strdup_printf ("%" G_GINT64_FORMAT " %s %s", t->number,
                                                nn (t->asset), nn (t->category));
      int c = 1;

      bind (ins, c++, t->id);
      sqlite3_bind_int64 (ins, c++, t->number);
      sqlite3_bind_int64 (ins, c++, t->version);
      sqlite3_bind_int64 (ins, c++, t->seq);
      bind (ins, c++, t->title);
      bind (ins, c++, nn (t->description));
      bind (ins, c++, nn (t->requester.name));
      bind (ins, c++, nn (t->requester.email));
      bind (ins, c++, nn (t->requester.phone));
      bind (ins, c++, nn (t->requester.department));
      bind (ins, c++, nn (t->requester.location));
      bind (ins, c++, nn (t->asset));
      bind (ins, c++, fl_channel_to_string (t->channel));
      bind (ins, c++, nn (t->category));
      bind (ins, c++, fl_grade_to_string (t->impact));
      bind (ins, c++, fl_grade_to_string (t->urgency));
      sqlite3_bind_int (ins, c++, t->priority);
      bind (ins, c++, fl_status_to_string (t->status));
      sqlite3_bind_int (ins, c++, t->level);
      bind (ins, c++, t->queue ? t->queue : "first-level");
      bind (ins, c++, t->assignee);
      bind (ins, c++, fl_resolution_code_to_string (t->resolution_code));
      bind (ins, c++, t->resolution_summary);
      bind (ins, c++, nn (t->created_by));
      sqlite3_bind_int64 (ins, c++, t->created_at);
      sqlite3_bind_int64 (ins, c++, t->updated_at);
      if (t->resolved_at > 0)
        sqlite3_bind_int64 (ins, c++, t->resolved_at);
      else
        sqlite3_bind_null (ins, c++);
      sqlite3_bind_int64 (ins, c++, t->due_at);
      if (t->waiting_since > 0)
        sqlite3_bind_int64 (ins, c++, t->waiting_since);
      else
        sqlite3_bind_null (ins, c++);
      sqlite3_bind_int (ins, c++, (int) t->pending);
      sqlite3_bind_int64 (ins, c++, t->version);
      if (sqlite3_step (ins) != SQLITE_DONE)
        g_error ("insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (ins);

      sqlite3_bind_int64 (fts, 1, sqlite3_last_insert_rowid (db));
      bind (fts, 2, t->title);
      bind (fts, 3, nn (t->description));
      bind (fts, 4, requester);
      bind (fts, 5, extra);
      if (sqlite3_step (fts) != SQLITE_DONE)
        g_error ("fts: %s", sqlite3_errmsg (db));
      sqlite3_reset (fts);
    }
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);

  {
    double s = (g_get_monotonic_time () - start) / 1e6;

    sqlite3_finalize (ins);
    sqlite3_finalize (fts);
    sqlite3_close (db);
    return s;
  }
}

static double
store_import (const char *path,
              GPtrArray  *tickets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlStore) store = fl_store_new (path, &error);
  gint64 start;

  if (store == NULL)
    g_error ("%s", error->message);
  start = g_get_monotonic_time ();
  if (!fl_store_put_tickets (store, tickets, NULL, &error))
    g_error ("%s", error->message);
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int   argc,
      char *argv[])
{
  guint n = g_getenv ("FIRSTLINE_BENCH_QUICK") ? 10000 : 100000;
  g_autofree char *dir = g_dir_make_tmp ("firstline-bench-store-XXXXXX", NULL);
  g_autofree char *plain_path = g_build_filename (dir, "plain.db", NULL);
  g_autofree char *store_path = g_build_filename (dir, "store.db", NULL);
  g_autoptr(GPtrArray) tickets = NULL;
  g_autofree char *n_text = NULL;
  BenchReport *report;
  double plain, store, plain2, store2;

  printf ("generating %u tickets ...\n", n);
  tickets = fl_demo_generate_tickets (n, BENCH_SEED, BENCH_NOW, 365);

  /* each twice, alternating, the better of two: the machine is shared */
  plain = plain_import (plain_path, tickets);
  remove_cache (plain_path);
  store = store_import (store_path, tickets);
  remove_cache (store_path);
  plain2 = plain_import (plain_path, tickets);
  remove_cache (plain_path);
  store2 = store_import (store_path, tickets);
  remove_cache (store_path);
  g_rmdir (dir);
  plain = MIN (plain, plain2);
  store = MIN (store, store2);
  printf ("  plain inserts %.2f s, fl_store_put_tickets %.2f s\n", plain, store);

  report = bench_report_new ("store", "Importing tickets into the local cache vs plain SQLite inserts");
  n_text = g_strdup_printf ("%u", n);
  bench_report_set (report, "tickets", n_text);
  bench_report_add (report, "plain prepared inserts, one transaction", "s", plain, NAN, BENCH_INFO, 0);
  bench_report_add (report, "fl_store_put_tickets", "s", store, NAN, BENCH_INFO, 0);
  bench_report_add (report, "import / plain inserts", "×", store / plain, BASE_RATIO,
                    BENCH_AT_MOST, 1.5);
  return bench_report_finish (report);
}
