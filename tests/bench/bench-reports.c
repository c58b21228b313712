/* bench-reports.c — the server's history pages and reports at 1,000,000 tickets
 *
 * Generates a server database of N_TICKETS tickets spread over a year (direct SQL inserts
 * into the schema FlServerStoreSqlite creates: tickets, their search entries and the
 * report tables, as applied ops would leave them), kept as build/bench/server-N-sSEED-vV/
 * and reused; starts the real firstline-server on it and measures over HTTP on 127.0.0.1:
 *  - history pages (GET /api/v1/tickets, 50 tickets): the first page, 200 keyset pages
 *    deep, pages from the middle, and filtered pages (status, category, assignee, level,
 *    a 30-day range, full text); target p99 < 100 ms;
 *  - GET /api/v1/reports/summary and /reports/checklists over the whole year (every
 *    ticket) and over 30 days; target < 1 s each.
 * Exits non-zero when a target is missed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench-util.h"
#include "fl-checklist.h"
#include "fl-server-store.h"
#include "fl-server-store-sqlite.h"
#include "fl-test-util.h"
#include "fl-types.h"

#define N_TICKETS      1000000
#define SPAN_MS        (365 * 24 * 3600 * 1000LL)
#define PAGE           50
#define PAGE_P99_MS    100.0
#define REPORT_MS      1000.0
#define PASSWORD       "bench-password"
/* Raise when the generated data change: the kept database is made again. */
#define GENERATOR      2

static const char * const categories[] = {
  "password", "account", "software", "network", "hardware", "printer", "email", "other"
};
/* The built-in checklist of each category above (NULL: none). */
static const char * const category_checklist[] = {
  "password-reset", "account-lockout", "software-install", "network-connection",
  "new-hardware", "printer", "email", NULL
};
static const char * const titles[] = {
  "Drucker druckt leere Seiten", "Passwort abgelaufen", "VPN bricht ab", "Outlook startet nicht",
  "Monitor flackert", "Konto gesperrt", "Excel-Makros deaktiviert", "WLAN im Besprechungsraum",
  "Printer offline", "Laptop battery swollen", "Mailbox full", "Acrobat licence expired",
};
static const char * const names[] = {
  "Jana Krüger", "Mehmet Yılmaz", "Zoë Weber", "Björn Schäfer", "Ayşe Demir", "Tobias Koch",
  "Chiara Rossi", "Lea Wolf", "Jörg Neumann", "Noah Fischer", "Anna Schmidt", "Paul Müller",
};

static guint32
rnd (guint32 *state)
{
  /* xorshift32: the same data set on every machine */
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return *state;
}

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *err = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &err) != SQLITE_OK)
    g_error ("%s: %s", sql, err);
}

static sqlite3_stmt *
prepare (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  return stmt;
}

static void
step_reset (sqlite3_stmt *stmt)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_error ("insert: %s", sqlite3_errmsg (sqlite3_db_handle (stmt)));
  sqlite3_reset (stmt);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           i,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, i);
  else
    sqlite3_bind_text (stmt, i, text, -1, SQLITE_TRANSIENT);
}

static void
bind_time (sqlite3_stmt *stmt,
           int           i,
           gint64        ms)
{
  if (ms == 0)
    sqlite3_bind_null (stmt, i);
  else
    sqlite3_bind_int64 (stmt, i, ms);
}

static char *
json_time (gint64 ms)
{
  g_autofree char *t = NULL;

  if (ms == 0)
    return g_strdup ("null");
  t = fl_time_format (ms);
  return g_strdup_printf ("\"%s\"", t);
}

/* Fills @dir's new database with the data set. */
static void
generate (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);
  g_autofree char *checklist_dir = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data",
                                                     "checklists", NULL);
  g_autoptr(GPtrArray) checklists = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *ticket, *fts, *handoff, *step;
  sqlite3 *db = NULL;
  guint32 state = BENCH_SEED;
  gint64 t0 = g_get_monotonic_time ();

  /* The schema, as the server makes it. */
  {
    g_autoptr(FlServerStore) store = fl_server_store_open (dir, &error);

    g_assert_no_error (error);
    g_assert_true (fl_server_store_seed_checklists (store, checklist_dir, &error));
  }
  checklists = fl_checklist_load_dir (checklist_dir, &error);
  g_assert_no_error (error);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  exec_sql (db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                "PRAGMA cache_size = -400000; BEGIN;");
  ticket = prepare (db,
                    "INSERT INTO tickets (id, number, version, seq, status, category, assignee,"
                    " level, queue, created_at, resolved_at, due_at, resolution_code, resolved_by,"
                    " handoffs, json, reopened_7d, waiting_since) VALUES (?1, ?2, ?3, ?2, ?4,"
                    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  fts = prepare (db, "INSERT INTO tickets_fts (rowid, title, description, requester, notes) "
                     "VALUES (?, ?, '', ?, '')");
  handoff = prepare (db, "INSERT INTO report_handoffs (created_at, ticket, author) VALUES (?, ?, ?)");
  step = prepare (db, "INSERT OR IGNORE INTO report_steps (created_at, ticket, checklist_id,"
                      " checklist_version, step_id, at, resolved_at, handoffs)"
                      " VALUES (?, ?, ?, 1, ?, ?, ?, ?)");

  for (gint64 i = 0; i < N_TICKETS; i++)
    {
      gint64 number = i + 1;
      gint64 created = BENCH_NOW - SPAN_MS + i * (SPAN_MS / N_TICKETS);
      guint r = rnd (&state) % 100;
      guint cat = rnd (&state) % G_N_ELEMENTS (categories);
      int priority = 1 + rnd (&state) % 4;
      static const gint64 targets[] = { 4, 8, 24, 72 };
      gint64 due = created + targets[priority - 1] * 3600 * 1000LL;
      const char *status;
      g_autofree char *assignee = NULL;
      g_autofree char *resolved_by = NULL;
      const char *code = NULL;
      gint64 resolved_at = 0, waiting_since = 0;
      gboolean handed_off = FALSE, reopened = FALSE, assigned = TRUE;
      int level = 1;
      g_autofree char *id = g_strdup_printf ("%08x-0000-4000-8000-%012" G_GINT64_MODIFIER "x",
                                             (guint) i, i);
      const char *title = titles[rnd (&state) % G_N_ELEMENTS (titles)];
      const char *name = names[rnd (&state) % G_N_ELEMENTS (names)];
      g_autofree char *json = NULL;
      g_autofree char *j_created = NULL, *j_resolved = NULL, *j_due = NULL, *j_wait = NULL;
      g_autofree char *j_assignee = NULL, *j_resolution = NULL;

      /* Old tickets are done; the open ones are mostly recent. */
      if (i < N_TICKETS - 20000 || r < 60)
        {
          status = r < 90 ? "resolved" : "closed";
          handed_off = rnd (&state) % 100 < 15;
          resolved_at = created + 300000 + (rnd (&state) % (3 * 24 * 3600)) * 1000LL;
          code = !handed_off && rnd (&state) % 100 < 45 ? "first_contact" : "solved";
          reopened = rnd (&state) % 100 < 3;
        }
      else if (r < 70)
        status = "new", assigned = FALSE;
      else if (r < 80)
        status = "in_progress";
      else if (r < 90)
        {
          status = "waiting";
          waiting_since = created + (rnd (&state) % (8 * 3600)) * 1000LL;
        }
      else
        {
          status = "escalated";
          handed_off = TRUE;
          assigned = FALSE;
        }
      if (handed_off)
        level = 2;
      if (assigned)
        assignee = g_strdup_printf ("agent%02u", rnd (&state) % 20);
      if (code != NULL)
        resolved_by = g_strdup (assignee);

      j_created = json_time (created);
      j_resolved = json_time (resolved_at);
      j_due = json_time (due);
      j_wait = json_time (waiting_since);
      j_assignee = assignee ? g_strdup_printf ("\"%s\"", assignee) : g_strdup ("null");
      j_resolution = code ? g_strdup_printf ("{\"code\":\"%s\",\"summary\":\"Done\"}", code)
                          : g_strdup ("null");
      json = g_strdup_printf (
        "{\"id\":\"%s\",\"number\":%" G_GINT64_FORMAT ",\"version\":3,\"seq\":%" G_GINT64_FORMAT ","
        "\"title\":\"%s\",\"description\":\"Anrufer meldet: %s\","
        "\"requester\":{\"name\":\"%s\",\"email\":\"\",\"phone\":\"\",\"department\":\"Vertrieb\","
        "\"location\":\"Hamburg\"},\"asset\":\"NB-%04u\",\"channel\":\"phone\","
        "\"category\":\"%s\",\"impact\":\"medium\",\"urgency\":\"medium\",\"priority\":%d,"
        "\"status\":\"%s\",\"level\":%d,\"queue\":\"%s\",\"assignee\":%s,\"resolution\":%s,"
        "\"created_by\":\"agent00\",\"created_at\":%s,\"updated_at\":%s,\"resolved_at\":%s,"
        "\"due_at\":%s,\"waiting_since\":%s}",
        id, number, number, title, title, name, (guint) (i % 10000), categories[cat], priority,
        status, level, handed_off ? "second-level" : "first-level", j_assignee, j_resolution,
        j_created, code ? j_resolved : j_created, j_resolved, j_due, j_wait);

      sqlite3_bind_text (ticket, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (ticket, 2, number);
      sqlite3_bind_int (ticket, 3, 3);
      bind_text (ticket, 4, status);
      bind_text (ticket, 5, categories[cat]);
      bind_text (ticket, 6, assignee);
      sqlite3_bind_int (ticket, 7, level);
      bind_text (ticket, 8, handed_off ? "second-level" : "first-level");
      sqlite3_bind_int64 (ticket, 9, created);
      bind_time (ticket, 10, resolved_at);
      sqlite3_bind_int64 (ticket, 11, due);
      bind_text (ticket, 12, code);
      bind_text (ticket, 13, resolved_by);
      sqlite3_bind_int (ticket, 14, handed_off ? 1 : 0);
      sqlite3_bind_text (ticket, 15, json, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (ticket, 16, reopened ? 1 : 0);
      bind_time (ticket, 17, waiting_since);
      step_reset (ticket);

      sqlite3_bind_int64 (fts, 1, number);
      bind_text (fts, 2, title);
      bind_text (fts, 3, name);
      step_reset (fts);

      if (handed_off)
        {
          sqlite3_bind_int64 (handoff, 1, created);
          sqlite3_bind_int64 (handoff, 2, number);
          bind_text (handoff, 3, "agent01");
          step_reset (handoff);
        }

      /* Half of the tickets follow their checklist for two or three steps. */
      if (category_checklist[cat] != NULL && rnd (&state) % 2 == 0)
        {
          FlChecklist *c = fl_checklist_find_by_id (checklists, category_checklist[cat]);
          guint n = MIN (2 + rnd (&state) % 2, fl_checklist_get_n_steps (c));

          for (guint k = 0; k < n; k++)
            {
              sqlite3_bind_int64 (step, 1, created);
              sqlite3_bind_int64 (step, 2, number);
              bind_text (step, 3, category_checklist[cat]);
              bind_text (step, 4, fl_checklist_get_nth_step (c, k)->id);
              sqlite3_bind_int64 (step, 5, created + (k + 1) * 60000);
              bind_time (step, 6, code != NULL ? resolved_at : 0);
              sqlite3_bind_int (step, 7, handed_off ? 1 : 0);
              step_reset (step);
            }
        }

      if (number % 200000 == 0)
        {
          printf ("# generated %" G_GINT64_FORMAT " tickets, %.1f s\n", number,
                  (g_get_monotonic_time () - t0) / 1e6);
          fflush (stdout);
        }
    }

  sqlite3_finalize (ticket);
  sqlite3_finalize (fts);
  sqlite3_finalize (handoff);
  sqlite3_finalize (step);
  {
    g_autofree char *meta = g_strdup_printf ("UPDATE meta SET value = %d WHERE key = 'seq';",
                                             N_TICKETS);
    exec_sql (db, meta);
  }
  exec_sql (db, "COMMIT; ANALYZE; PRAGMA journal_mode = WAL;");
  sqlite3_close (db);
  printf ("# generated %d tickets in %.1f s\n", N_TICKETS, (g_get_monotonic_time () - t0) / 1e6);
}

/* The data directory of the generated database, made when missing. */
static char *
ensure_data (void)
{
  g_autofree char *bench = bench_dir ();
  g_autofree char *name = g_strdup_printf ("server-%d-s%d-v%d-g%d", N_TICKETS, BENCH_SEED,
                                           FL_SERVER_STORE_SQLITE_SCHEMA_VERSION, GENERATOR);
  char *dir = g_build_filename (bench, name, NULL);
  g_autofree char *done = g_build_filename (dir, "complete", NULL);

  if (g_file_test (done, G_FILE_TEST_EXISTS))
    return dir;

  fl_test_rm_rf (dir);
  g_mkdir_with_parents (dir, 0700);
  generate (dir);
  fl_test_add_user (dir, "lee", "lead", PASSWORD);
  g_assert_true (g_file_set_contents (done, "", 0, NULL));
  return dir;
}

typedef struct
{
  SoupSession *session;
  char        *base;
  char        *token;
  GPid         server_pid;
  GArray      *cpu;          /* the server's CPU ms of each request, in order */
} Client;

/* The server's user + system CPU time so far, in ms. */
static double
server_cpu_ms (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *end;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(end = strrchr (text, ')')))
    return 0;
  fields = g_strsplit (end + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1000.0 /
         sysconf (_SC_CLK_TCK);
}

/* One GET; returns the body's object and adds the time in ms to @times. */
static JsonNode *
timed_get (Client     *c,
           const char *path,
           GArray     *times)
{
  g_autofree char *url = g_strconcat (c->base, "/api/v1", path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", c->token);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gint64 t0;
  double ms, cpu0;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  cpu0 = server_cpu_ms (c->server_pid);
  t0 = g_get_monotonic_time ();
  body = soup_session_send_and_read (c->session, msg, NULL, &error);
  ms = (g_get_monotonic_time () - t0) / 1000.0;
  cpu0 = server_cpu_ms (c->server_pid) - cpu0;
  g_array_append_val (c->cpu, cpu0);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != 200)
    g_error ("GET %s: %u %.*s", path, soup_message_get_status (msg),
             (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
  g_array_append_val (times, ms);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), NULL));
  return json_node_copy (json_parser_get_root (parser));
}

static char *
next_of (JsonNode *page)
{
  JsonObject *o = json_node_get_object (page);

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "tickets")), ==,
                    PAGE);
  return g_strdup (json_object_get_string_member_with_default (o, "next", NULL));
}

static double
max_of (GArray *a)
{
  double m = 0;

  for (guint i = 0; i < a->len; i++)
    m = MAX (m, g_array_index (a, double, i));
  return m;
}

/* The machine is shared: its load average says how far the times are stretched. */
static const char *
load_average (void)
{
  static char text[64];
  g_autofree char *contents = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &contents, NULL, NULL))
    return "unknown";
  g_strlcpy (text, contents, sizeof text);
  g_strchomp (text);
  return text;
}

static char *
iso_day (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);

  return g_date_time_format (dt, "%Y-%m-%d");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autoptr(FlTestServer) server = NULL;
  g_autoptr(GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) deep = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) middle = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) filtered = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) text = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) offset = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) all_pages = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) summary_year = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) summary_month = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) checklists_year = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) checklists_month = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *year_from = iso_day (BENCH_NOW - SPAN_MS - 24 * 3600 * 1000LL);
  g_autofree char *year_to = iso_day (BENCH_NOW + 24 * 3600 * 1000LL);
  g_autofree char *month_from = iso_day (BENCH_NOW - 30 * 24 * 3600 * 1000LL);
  g_autofree char *month_to = iso_day (BENCH_NOW);
  BenchReport *report;
  Client c = { 0 };
  gint64 total = 0;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  dir = ensure_data ();
  server = fl_test_server_start (dir);
  c.session = fl_test_session_new ();
  c.cpu = g_array_new (FALSE, FALSE, sizeof (double));
  c.server_pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (server->proc), NULL, 10);
  c.base = server->url;
  c.token = fl_test_http_login (c.session, server->url, "lee", PASSWORD);

  /* Warm up: the first requests read the database from disk. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonNode) p = timed_get (&c, "/tickets?limit=50", all_pages);
      total = json_object_get_int_member (json_node_get_object (p), "total");
    }
  g_array_set_size (all_pages, 0);
  g_assert_cmpint (total, ==, N_TICKETS);

  /* the first page, 100 times */
  for (guint i = 0; i < 100; i++)
    json_node_unref (timed_get (&c, "/tickets?limit=50", first));

  /* 200 pages deep, following next */
  {
    g_autofree char *after = NULL;

    for (guint i = 0; i < 200; i++)
      {
        g_autofree char *path = after ? g_strdup_printf ("/tickets?limit=50&after=%s", after)
                                      : g_strdup ("/tickets?limit=50");
        g_autoptr(JsonNode) p = timed_get (&c, path, deep);

        g_free (after);
        after = next_of (p);
      }
  }

  /* pages starting anywhere in the year: a cursor into the middle */
  for (guint i = 0; i < 100; i++)
    {
      gint64 n = 1 + (gint64) (i * 9973) % N_TICKETS;
      gint64 created = BENCH_NOW - SPAN_MS + (n - 1) * (SPAN_MS / N_TICKETS);
      g_autofree char *path = g_strdup_printf ("/tickets?limit=50&after=%" G_GINT64_FORMAT
                                               ":%" G_GINT64_FORMAT, created, n);

      json_node_unref (timed_get (&c, path, middle));
    }

  /* filtered: first pages and pages further in */
  {
    g_autofree char *range = g_strdup_printf ("from=%s&to=%s", month_from, month_to);
    const char *filters[] = {
      "status=waiting", "status=resolved", "category=printer", "assignee=agent07", "level=2",
      "queue=second-level", range, "status=in_progress&category=network",
      "category=email&level=2", "assignee=agent03&status=resolved",
    };

    for (guint round = 0; round < 5; round++)
      for (guint f = 0; f < G_N_ELEMENTS (filters); f++)
        {
          g_autofree char *path = g_strdup_printf ("/tickets?limit=50&%s", filters[f]);
          g_autoptr(JsonNode) p = timed_get (&c, path, filtered);
          g_autofree char *after = json_object_get_string_member_with_default (
            json_node_get_object (p), "next", NULL)
            ? g_strdup (json_object_get_string_member (json_node_get_object (p), "next"))
            : NULL;

          for (guint k = 0; k < 5 && after != NULL; k++)
            {
              g_autofree char *more = g_strdup_printf ("/tickets?limit=50&%s&after=%s",
                                                       filters[f], after);
              g_autoptr(JsonNode) q = timed_get (&c, more, filtered);
              const char *n = json_object_get_string_member_with_default (
                json_node_get_object (q), "next", NULL);

              g_free (after);
              after = g_strdup (n);
            }
        }
  }

  /* full text */
  {
    const char *words[] = { "Drucker", "kruger", "VPN Hamburg", "Yilmaz Outlook", "NB-0231",
                            "battery", "zzzz" };

    for (guint round = 0; round < 3; round++)
      for (guint w = 0; w < G_N_ELEMENTS (words); w++)
        {
          g_autofree char *escaped = g_uri_escape_string (words[w], NULL, FALSE);
          g_autofree char *path = g_strdup_printf ("/tickets?limit=50&q=%s", escaped);

          json_node_unref (timed_get (&c, path, text));
        }
  }

  /* offset paging, deep (information) */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *path = g_strdup_printf ("/tickets?limit=50&offset=%u", i * 50000);

      json_node_unref (timed_get (&c, path, offset));
    }

  /* reports: the server's CPU time of each, beside the time to the answer */
  g_array_set_size (c.cpu, 0);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *year = g_strdup_printf ("?from=%s&to=%s", year_from, year_to);
      g_autofree char *month = g_strdup_printf ("?from=%s&to=%s", month_from, month_to);
      g_autofree char *p1 = g_strconcat ("/reports/summary", year, NULL);
      g_autofree char *p2 = g_strconcat ("/reports/summary", month, NULL);
      g_autofree char *p3 = g_strconcat ("/reports/checklists", year, NULL);
      g_autofree char *p4 = g_strconcat ("/reports/checklists", month, NULL);
      g_autoptr(JsonNode) r1 = timed_get (&c, p1, summary_year);

      g_assert_cmpint (json_object_get_int_member (json_node_get_object (r1), "created"), ==,
                       N_TICKETS);
      json_node_unref (timed_get (&c, p2, summary_month));
      json_node_unref (timed_get (&c, p3, checklists_year));
      json_node_unref (timed_get (&c, p4, checklists_month));
    }

  /* c.cpu: year, month, checklists year, checklists month, five times */
  {
    double cpu[4] = { 0 };

    for (guint i = 0; i < c.cpu->len; i++)
      cpu[i % 4] = MAX (cpu[i % 4], g_array_index (c.cpu, double, i));
    g_array_set_size (c.cpu, 4);
    memcpy (c.cpu->data, cpu, sizeof cpu);
  }

  g_array_append_vals (all_pages, first->data, first->len);
  g_array_append_vals (all_pages, deep->data, deep->len);
  g_array_append_vals (all_pages, middle->data, middle->len);
  g_array_append_vals (all_pages, filtered->data, filtered->len);
  g_array_append_vals (all_pages, text->data, text->len);

  report = bench_report_new ("bench-reports", "History pages and reports at 1,000,000 tickets");
  bench_report_set (report, "pages", "50 tickets each, over HTTP on 127.0.0.1, with total");
  bench_report_add (report, "history: every page, p99", "ms",
                    bench_percentile (all_pages, 99), NAN, BENCH_BELOW, PAGE_P99_MS);
  bench_report_add (report, "history: first page, p99 of 100", "ms",
                    bench_percentile (first, 99), NAN, BENCH_BELOW, PAGE_P99_MS);
  bench_report_add (report, "history: 200 keyset pages deep, p99", "ms",
                    bench_percentile (deep, 99), NAN, BENCH_BELOW, PAGE_P99_MS);
  bench_report_add (report, "history: a page from the middle, p99 of 100", "ms",
                    bench_percentile (middle, 99), NAN, BENCH_BELOW, PAGE_P99_MS);
  bench_report_add (report, "history: filtered pages, p99 of 300", "ms",
                    bench_percentile (filtered, 99), NAN, BENCH_BELOW, PAGE_P99_MS);
  bench_report_add (report, "history: full-text pages, p99 of 21", "ms",
                    bench_percentile (text, 99), NAN, BENCH_BELOW, PAGE_P99_MS);
  bench_report_add (report, "history: offset up to 450,000, max", "ms",
                    max_of (offset), NAN, BENCH_INFO, NAN);
  bench_report_add (report, "summary, whole year (1M tickets), max of 5", "ms",
                    max_of (summary_year), NAN, BENCH_BELOW, REPORT_MS);
  bench_report_add (report, "summary, 30 days, max of 5", "ms",
                    max_of (summary_month), NAN, BENCH_BELOW, REPORT_MS);
  bench_report_add (report, "checklists, whole year, max of 5", "ms",
                    max_of (checklists_year), NAN, BENCH_BELOW, REPORT_MS);
  bench_report_add (report, "checklists, 30 days, max of 5", "ms",
                    max_of (checklists_month), NAN, BENCH_BELOW, REPORT_MS);
  bench_report_add (report, "server CPU: summary, whole year, max", "ms",
                    g_array_index (c.cpu, double, 0), NAN, BENCH_INFO, NAN);
  bench_report_add (report, "server CPU: checklists, whole year, max", "ms",
                    g_array_index (c.cpu, double, 2), NAN, BENCH_INFO, NAN);
  bench_report_set (report, "load", load_average ());

  g_free (c.token);
  g_array_unref (c.cpu);
  g_object_unref (c.session);
  fl_test_server_stop (server);
  return bench_report_finish (report);
}
