/* bench-list.c — how fast the ticket list shows its first rows and search results
 *
 * Fills a temporary cache with 100,000 generated tickets, then measures
 *  (a) a fresh FlTicketListModel of the Incoming view: construct, count and
 *      return its first 50 items, beside the same count and SELECT on SQLite;
 *  (b) 100 full-text searches through the model (count + first 50 rows),
 *      beside the same FTS queries on SQLite.
 * Exits non-zero when a target is missed and says which.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "fl-demo.h"
#include "fl-store.h"
#include "fl-ticket-list-model.h"

#define N_TICKETS       100000
#define N_FIRST_ROWS    50
#define N_REPEATS       20
#define FIRST_ROWS_MS   50.0       /* target: first rows of a fresh model */
#define MAX_RATIO       2.0        /* target: model ≤ 2 × direct SQLite */
#define SEARCH_P99_MS   20.0       /* target: p99 of a search */

/* The view's WHERE, as in fl-store.c (view_where[FL_VIEW_INCOMING]). */
#define INCOMING_WHERE \
  "assignee IS NULL AND level = 1 AND status IN ('new', 'in_progress', 'waiting')"
#define COLUMNS \
  "id, number, version, seq, title, description, req_name, req_email, req_phone, " \
  "req_department, req_location, asset, channel, category, impact, urgency, priority, " \
  "status, level, queue, assignee, resolution_code, resolution_summary, created_by, " \
  "created_at, updated_at, resolved_at, due_at, waiting_since, pending"
/* The search, as in fl-store.c: count from the index alone in All, rows walked in
 * list order ("+rowid"). */
#define FTS_FILTER " AND +rowid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?1)"
#define FTS_COUNT "SELECT count(*) FROM tickets_fts WHERE tickets_fts MATCH ?1"

/* Realistic searches: requester names, asset numbers, title words in German
 * and English, departments and places, prefixes as they are typed. */
static const char * const searches[] = {
  "Krüger", "kruger", "Jana Krüger", "Mehmet", "Yılmaz", "yilmaz", "Zoë", "zoe Weber",
  "Björn Schäfer", "Ayşe", "Tobias Koch", "Chiara", "Lea Wolf", "Jörg", "jorg neumann",
  "Schmidt", "Müller", "mueller", "Hoffmann", "Noah Fischer",
  "NB-0231", "NB-1234", "NB-0007", "NB-99", "NB-5", "nb-42", "PR-0412", "NB-8888",
  "Drucker", "Passwort", "VPN", "Outlook", "Monitor flackert", "printer", "battery",
  "Konto gesperrt", "Excel", "macros", "WLAN", "Besprechungsraum", "Postfach voll",
  "mailbox", "Acrobat", "Netzwerk", "Netzwerkkabel", "Telefon", "klingelt", "Laptop",
  "swollen", "expired", "employee", "Toner", "leere Seiten", "Urlaub", "Windows-Konto",
  "shared mailbox", "network printer", "VPN disconnects", "Videokonferenzen", "AD-Konto",
  "Buchhaltung", "Vertrieb", "Personal", "Einkauf", "Marketing", "Logistik", "Legal",
  "Hamburg", "München", "munchen", "Köln", "Berlin Haus B", "Home office",
  "Dru", "Pass", "Mon", "acc", "Kr", "Sch", "VP", "Out", "prin", "Kon", "Net", "bat",
  "exc", "Wl", "Tel", "Bes", "Pos",
  "1042", "1500", "99999", "password expired", "Drucker Krüger", "VPN Hamburg",
  "Monitor Schmidt", "Excel Buchhaltung", "printer Köln", "zzzz",
};

G_STATIC_ASSERT (G_N_ELEMENTS (searches) == 100);

typedef struct
{
  double median;
  double p99;
  double max;
} Stats;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static Stats
stats (GArray *ms)
{
  Stats s;
  guint n = ms->len;
  guint p99 = (guint) (0.99 * (n - 1) + 0.5);

  g_array_sort (ms, compare_doubles);
  s.median = n % 2 ? g_array_index (ms, double, n / 2)
                   : (g_array_index (ms, double, n / 2 - 1) + g_array_index (ms, double, n / 2)) / 2;
  s.p99 = g_array_index (ms, double, MIN (p99, n - 1));
  s.max = g_array_index (ms, double, n - 1);
  return s;
}

static sqlite3_stmt *
prepare (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  return stmt;
}

static void
print_plan (sqlite3    *db,
            const char *label,
            const char *sql,
            const char *match)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  sqlite3_stmt *stmt = prepare (db, explain);

  if (match != NULL)
    sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  printf ("  plan of %s:\n", label);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    printf ("    %s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
}

/* Runs a count and a LIMIT 50 select as the store does, reading every column. */
static guint
run_direct (sqlite3_stmt *count,
            sqlite3_stmt *select,
            const char   *match)
{
  guint n = 0;
  guint rows = 0;

  sqlite3_reset (count);
  sqlite3_reset (select);
  if (match != NULL)
    {
      sqlite3_bind_text (count, 1, match, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (select, 1, match, -1, SQLITE_TRANSIENT);
    }

  if (sqlite3_step (count) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (count, 0);

  while (sqlite3_step (select) == SQLITE_ROW)
    {
      for (int c = 0; c < sqlite3_column_count (select); c++)
        (void) sqlite3_column_text (select, c);
      rows++;
    }

  g_assert (rows == MIN (n, N_FIRST_ROWS));
  return n;
}

static guint
read_first_items (FlTicketListModel *model)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  for (guint i = 0; i < MIN (n, N_FIRST_ROWS); i++)
    {
      g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (model), i);
      if (t == NULL)
        g_error ("item %u of %u missing", i, n);
    }

  return n;
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(FlStore) store = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GArray) model_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) direct_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) search_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) search_direct_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) search_order = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(FlTicketListModel) search_model = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *count_stmt;
  sqlite3_stmt *select_stmt;
  sqlite3_stmt *fts_count_stmt;
  sqlite3_stmt *fts_select_stmt;
  Stats first, direct, search, search_direct;
  double cold_ms;
  double gen_ms, put_ms;
  guint n_incoming = 0;
  guint slowest = 0;
  double slowest_ms = 0;
  int failed = 0;
  gboolean keep;
  gint64 start;

  dir = g_dir_make_tmp ("firstline-bench-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cache.db", NULL);
  /* FIRSTLINE_BENCH_KEEP=1 leaves the file for a look with sqlite3 */
  keep = g_getenv ("FIRSTLINE_BENCH_KEEP") != NULL;

  store = fl_store_new (path, &error);
  g_assert_no_error (error);
  fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  tickets = fl_demo_generate_tickets (N_TICKETS, 1042, fl_time_now (), 365);
  gen_ms = ms_since (start);
  start = g_get_monotonic_time ();
  if (!fl_store_put_tickets (store, tickets, NULL, &error))
    g_error ("put: %s", error->message);
  put_ms = ms_since (start);
  g_clear_pointer (&tickets, g_ptr_array_unref);

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("open %s: %s", path, sqlite3_errmsg (db));

  count_stmt = prepare (db, "SELECT count(*) FROM tickets WHERE " INCOMING_WHERE);
  select_stmt = prepare (db, "SELECT " COLUMNS " FROM tickets WHERE " INCOMING_WHERE
                             " ORDER BY priority, due_at, id LIMIT 50");
  fts_count_stmt = prepare (db, FTS_COUNT);
  fts_select_stmt = prepare (db, "SELECT " COLUMNS " FROM tickets WHERE 1" FTS_FILTER
                                 " ORDER BY priority, due_at, id LIMIT 50");

  /* (a) first rows of a fresh Incoming model. The first one is an app start:
   * the cache opened anew, no statement prepared yet. */
  g_clear_object (&store);
  start = g_get_monotonic_time ();
  store = fl_store_new (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(FlTicketListModel) model = fl_ticket_list_model_new (store, FL_VIEW_INCOMING);
    n_incoming = read_first_items (model);
  }
  cold_ms = ms_since (start);

  for (guint i = 0; i < N_REPEATS; i++)
    {
      double ms;

      start = g_get_monotonic_time ();
      {
        g_autoptr(FlTicketListModel) model = fl_ticket_list_model_new (store, FL_VIEW_INCOMING);
        guint n = read_first_items (model);

        g_assert (n == n_incoming);
        g_assert (fl_ticket_list_model_get_n_page_loads (model) <= 2);
      }
      ms = ms_since (start);
      g_array_append_val (model_ms, ms);

      start = g_get_monotonic_time ();
      g_assert (run_direct (count_stmt, select_stmt, NULL) == n_incoming);
      ms = ms_since (start);
      g_array_append_val (direct_ms, ms);
    }

  /* (b) searches over all tickets, as typed into the search entry */
  search_model = fl_ticket_list_model_new (store, FL_VIEW_ALL);
  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    {
      g_autofree char *match = fl_store_build_match (searches[i]);
      guint n_model;
      guint n_direct;
      double ms;

      g_assert (match != NULL);

      start = g_get_monotonic_time ();
      fl_ticket_list_model_set_query (search_model, searches[i]);
      n_model = read_first_items (search_model);
      ms = ms_since (start);
      g_array_append_val (search_ms, ms);
      g_array_append_val (search_order, ms);
      if (ms > slowest_ms)
        {
          slowest_ms = ms;
          slowest = i;
        }

      start = g_get_monotonic_time ();
      n_direct = run_direct (fts_count_stmt, fts_select_stmt, match);
      ms = ms_since (start);
      g_array_append_val (search_direct_ms, ms);

      if (n_model != n_direct)
        g_error ("search \"%s\": model %u, SQLite %u", searches[i], n_model, n_direct);
    }

  first = stats (model_ms);
  direct = stats (direct_ms);
  search = stats (search_ms);
  search_direct = stats (search_direct_ms);

  printf ("\nFirstline list benchmark: %d tickets (%u in Incoming)\n", N_TICKETS, n_incoming);
  printf ("  generate %8.1f ms, insert %8.1f ms\n\n", gen_ms, put_ms);
  printf ("  %-40s %10s %10s %10s\n", "measurement", "median ms", "p99 ms", "max ms");
  printf ("  %-40s %10.2f %10s %10s\n", "open cache + Incoming first 50 (cold)", cold_ms, "", "");
  printf ("  %-40s %10.2f %10.2f %10.2f\n", "Incoming first 50, fresh model", first.median,
          first.p99, first.max);
  printf ("  %-40s %10.2f %10.2f %10.2f\n", "Incoming count + 50 rows, SQLite", direct.median,
          direct.p99, direct.max);
  printf ("  %-40s %10.2f %10.2f %10.2f\n", "search count + 50 rows, model", search.median,
          search.p99, search.max);
  printf ("  %-40s %10.2f %10.2f %10.2f\n", "search count + 50 rows, SQLite", search_direct.median,
          search_direct.p99, search_direct.max);
  printf ("  searches over %.0f ms:\n", SEARCH_P99_MS / 2);
  for (guint i = 0; i < search_order->len; i++)
    if (g_array_index (search_order, double, i) > SEARCH_P99_MS / 2)
      printf ("    %-20s %8.2f ms  %6u results\n", searches[i],
              g_array_index (search_order, double, i),
              fl_store_count_tickets (store, FL_VIEW_ALL, searches[i], NULL));
  printf ("\n");

  {
    g_autofree char *match = fl_store_build_match (searches[slowest]);

    print_plan (db, "Incoming count", "SELECT count(*) FROM tickets WHERE " INCOMING_WHERE, NULL);
    print_plan (db, "Incoming rows", "SELECT id FROM tickets WHERE " INCOMING_WHERE
                " ORDER BY priority, due_at, id LIMIT 50", NULL);
    print_plan (db, "search rows", "SELECT id FROM tickets WHERE 1" FTS_FILTER
                " ORDER BY priority, due_at, id LIMIT 50", match);
    printf ("\n");
  }

  if (first.median >= FIRST_ROWS_MS)
    {
      printf ("MISSED: Incoming first rows median %.2f ms, target < %.0f ms\n",
              first.median, FIRST_ROWS_MS);
      failed = 1;
    }
  if (first.median > MAX_RATIO * direct.median)
    {
      printf ("MISSED: Incoming first rows median %.2f ms is more than %.0f× SQLite's %.2f ms\n",
              first.median, MAX_RATIO, direct.median);
      failed = 1;
    }
  if (search.p99 >= SEARCH_P99_MS)
    {
      printf ("MISSED: search p99 %.2f ms, target < %.0f ms\n", search.p99, SEARCH_P99_MS);
      failed = 1;
    }
  if (!failed)
    printf ("All targets met.\n");

  sqlite3_finalize (count_stmt);
  sqlite3_finalize (select_stmt);
  sqlite3_finalize (fts_count_stmt);
  sqlite3_finalize (fts_select_stmt);
  sqlite3_close (db);
  g_clear_object (&search_model);
  g_clear_object (&store);
  if (keep)
    printf ("Kept %s\n", path);
  else
    remove_tree (dir);

  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
