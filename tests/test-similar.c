/* test-similar.c — similar solved tickets, the caller's history, duplicates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "bench/similar-eval.h"
#include "fl-store-private.h"
#include "fl-test-util.h"

#define HOUR (3600 * 1000LL)
#define DAY  (24 * HOUR)

static gint64 now;

static FlStore *
new_store (const char *name)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "firstline", name, NULL);
  g_autoptr(GError) error = NULL;
  FlStore *store = fl_store_new (path, &error);

  g_assert_no_error (error);
  g_assert_true (fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error));
  return store;
}

static FlTicket *
make_ticket (gint64      number,
             const char *title,
             const char *description,
             const char *resolution,      /* NULL: open */
             const char *category,
             const char *requester,
             gint64      created_at)
{
  FlTicket *t = fl_ticket_new ();

  g_free (t->id);

  t->id = fl_uuid_new ();
  t->number = number;
  t->version = 2;
  g_free (t->title);
  t->title = g_strdup (title);
  g_free (t->description);
  t->description = g_strdup (description);
  g_free (t->requester.name);
  t->requester.name = g_strdup (requester);
  g_free (t->requester.email);
  t->requester.email = g_strdup_printf ("%s@example.org", requester);
  g_free (t->requester.phone);
  t->requester.phone = g_strdup ("+49 30 1234567");
  g_free (t->requester.department);
  t->requester.department = g_strdup ("Vertrieb");
  t->channel = FL_CHANNEL_PHONE;
  g_free (t->category);
  t->category = g_strdup (category);
  t->impact = FL_GRADE_MEDIUM;
  t->urgency = FL_GRADE_MEDIUM;
  t->priority = 3;
  t->status = resolution ? FL_STATUS_RESOLVED : FL_STATUS_IN_PROGRESS;
  t->level = 1;
  g_free (t->queue);
  t->queue = g_strdup ("first-level");
  t->resolution_code = resolution ? FL_RESOLUTION_SOLVED : FL_RESOLUTION_NONE;
  t->resolution_summary = g_strdup (resolution);
  g_free (t->created_by);
  t->created_by = g_strdup ("alex");
  t->created_at = created_at;
  t->updated_at = created_at + HOUR;
  t->resolved_at = resolution ? created_at + HOUR : 0;
  t->due_at = created_at + 8 * HOUR;
  return t;
}

static void
put (FlStore  *store,
     FlTicket *t)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (tickets, t);
  g_assert_true (fl_store_put_tickets (store, tickets, NULL, &error));
  g_assert_no_error (error);
}

/* The numbers of the suggestions for a request, best first: "3 1 7". */
static char *
suggest (FlStore    *store,
         const char *title,
         const char *description,
         const char *category,
         const char *requester)
{
  FlSimilarQuery q = { title, description, category, requester, NULL, now, 5 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = fl_store_find_similar (store, &q, &error);
  GString *out = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < results->len; i++)
    {
      FlSimilarResult *r = results->pdata[i];

      g_assert_true (r->ticket->status == FL_STATUS_RESOLVED || r->ticket->status == FL_STATUS_CLOSED);
      if (i > 0)
        g_assert_cmpfloat (r->score, <=, ((FlSimilarResult *) results->pdata[i - 1])->score);
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i ? " " : "", r->ticket->number);
    }
  return g_string_free (out, FALSE);
}

static gboolean
starts_with_number (const char *list,
                    const char *number)
{
  size_t n = strlen (number);

  return strncmp (list, number, n) == 0 && (list[n] == '\0' || list[n] == ' ');
}

/* -------------------------------------------------------------------------- */

/* The fixed evaluation set: the targets of the benchmark, without the 100,000. */
static void
test_fixed_set (void)
{
  g_autoptr(FlStore) store = new_store ("set.db");
  g_autofree char *set = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "tests", "bench",
                                           "similar-set.json", NULL);
  SimilarEval ranked, base;

  similar_eval_load (store, set, now);
  similar_eval_run (store, set, now, FALSE, &ranked);
  similar_eval_run (store, set, now, TRUE, &base);
  g_test_message ("ranked: R@1 %.3f R@5 %.3f MRR %.3f; baseline: R@1 %.3f R@5 %.3f MRR %.3f",
                  ranked.recall_at_1, ranked.recall_at_5, ranked.mrr,
                  base.recall_at_1, base.recall_at_5, base.mrr);
  for (guint i = 0; i < ranked.misses->len; i++)
    g_test_message ("miss: %s", (const char *) ranked.misses->pdata[i]);

  g_assert_cmpuint (ranked.n_requests, >=, 40);
  g_assert_cmpfloat (ranked.recall_at_5, >=, 0.9);
  g_assert_cmpfloat (ranked.mrr, >=, base.mrr + 0.15);
  similar_eval_clear (&ranked);
  similar_eval_clear (&base);
}

static void
fill_small (FlStore *store)
{
  put (store, make_ticket (1, "Password reset done", "User forgot the password for Windows.",
                           "Identity verified, password reset in AD.", "password", "Jana Krüger",
                           now - 30 * DAY));
  put (store, make_ticket (2, "Windows Update bricht ab", "Fehlercode 0x80070005 beim Update.",
                           "SoftwareDistribution geleert, Dienst neu gestartet.", "software",
                           "Tom Baker", now - 20 * DAY));
  put (store, make_ticket (3, "Laptop ohne Netz", "Laptop NB-0231 hat am Dock keinen Link.",
                           "Patchkabel getauscht.", "network", "Jana Krüger", now - 10 * DAY));
  put (store, make_ticket (4, "Drucker druckt leere Seiten", "HP im 2. OG.",
                           "Toner getauscht.", "printer", "Uwe Schwarz", now - 5 * DAY));
  put (store, make_ticket (5, "Printer shows blank pages", "Second floor printer.",
                           NULL, "printer", "Uwe Schwarz", now - 2 * HOUR));
}

/* Diacritics, typos, codes with and without separators, synonyms. */
static void
test_fuzzy (void)
{
  g_autoptr(FlStore) store = new_store ("fuzzy.db");
  g_autofree char *typo = NULL;
  g_autofree char *code = NULL;
  g_autofree char *code_part = NULL;
  g_autofree char *asset = NULL;
  g_autofree char *asset_compact = NULL;
  g_autofree char *synonym = NULL;
  g_autofree char *open = NULL;
  g_autofree char *nothing = NULL;

  fill_small (store);

  typo = suggest (store, "pasword forgoten", NULL, NULL, NULL);
  g_assert_true (starts_with_number (typo, "1"));
  code = suggest (store, "Fehler 0x80070005", NULL, NULL, NULL);
  g_assert_true (starts_with_number (code, "2"));
  code_part = suggest (store, "update error 80070005", NULL, NULL, NULL);
  g_assert_true (starts_with_number (code_part, "2"));
  asset = suggest (store, "NB-0231", NULL, NULL, NULL);
  g_assert_true (starts_with_number (asset, "3"));
  asset_compact = suggest (store, "nb0231 kein link", NULL, NULL, NULL);
  g_assert_true (starts_with_number (asset_compact, "3"));
  synonym = suggest (store, "Printer prints white pages only", NULL, "printer", NULL);
  g_assert_true (starts_with_number (synonym, "4"));
  /* the open ticket 5 is never suggested */
  open = suggest (store, "Printer shows blank pages", "Second floor printer.", "printer", NULL);
  g_assert_null (strstr (open, "5"));
  nothing = suggest (store, "zzzqqq", NULL, NULL, NULL);
  g_assert_cmpstr (nothing, ==, "");
}

/* Same category, same requester and recency break ties between equal texts. */
static void
test_rerank (void)
{
  g_autoptr(FlStore) store = new_store ("rerank.db");
  g_autofree char *by_requester = NULL;
  g_autofree char *by_category = NULL;
  g_autofree char *by_recency = NULL;

  put (store, make_ticket (1, "Monitor flackert", "", "Kabel getauscht.", "hardware",
                           "Anna Schmidt", now - 40 * DAY));
  put (store, make_ticket (2, "Monitor flackert", "", "Kabel getauscht.", "hardware",
                           "Jana Krüger", now - 40 * DAY));
  put (store, make_ticket (3, "Monitor flackert", "", "Kabel getauscht.", "other",
                           "Tom Baker", now - 40 * DAY));
  put (store, make_ticket (4, "Monitor flackert", "", "Kabel getauscht.", "other",
                           "Tom Baker", now - 1 * DAY));

  by_requester = suggest (store, "Bildschirm flackert", NULL, NULL, "Jana Kruger");
  g_assert_true (starts_with_number (by_requester, "2"));
  by_category = suggest (store, "Bildschirm flackert", NULL, "other", NULL);
  g_assert_true (starts_with_number (by_category, "4"));
  by_recency = suggest (store, "Bildschirm flackert", NULL, NULL, NULL);
  g_assert_true (starts_with_number (by_recency, "4"));
}

/* A reopened ticket leaves the index; resolving it again brings it back. */
static void
test_reopen (void)
{
  g_autoptr(FlStore) store = new_store ("reopen.db");
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *reopened = NULL;
  g_autofree char *again = NULL;
  g_autofree char *id = NULL;

  fill_small (store);
  before = suggest (store, "Toner leer", NULL, NULL, NULL);
  g_assert_true (starts_with_number (before, "4"));

  t = fl_store_get_ticket (store, "#4", &error);
  g_assert_no_error (error);
  id = g_strdup (t->id);
  g_clear_object (&t);
  t = fl_store_reopen (store, id, "noch immer leer", &error);
  g_assert_no_error (error);
  reopened = suggest (store, "Toner leer", NULL, NULL, NULL);
  g_assert_null (strstr (reopened, "4"));

  g_clear_object (&t);
  t = fl_store_resolve (store, id, FL_RESOLUTION_SOLVED, "Trommel getauscht", &error);
  g_assert_no_error (error);
  again = suggest (store, "Trommel", NULL, NULL, NULL);
  g_assert_true (starts_with_number (again, "4"));
}

static char *
numbers (GPtrArray *tickets)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < tickets->len; i++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i ? " " : "",
                            ((FlTicket *) tickets->pdata[i])->number);
  return g_string_free (out, FALSE);
}

/* Open tickets first, then the latest 10; by name (diacritics ignored), e-mail, phone. */
static void
test_history (void)
{
  g_autoptr(FlStore) store = new_store ("history.db");
  g_autoptr(GPtrArray) by_name = NULL;
  g_autoptr(GPtrArray) by_email = NULL;
  g_autoptr(GPtrArray) by_phone = NULL;
  g_autoptr(GPtrArray) nobody = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *list = NULL;

  /* 12 solved tickets of Jana Krüger, one open one long ago, one of someone else */
  for (int i = 1; i <= 12; i++)
    put (store, make_ticket (i, "Alt", "", "erledigt", "other", "Jana Krüger", now - (20 - i) * DAY));
  put (store, make_ticket (13, "Offen", "", NULL, "other", "Jana Krüger", now - 100 * DAY));
  put (store, make_ticket (14, "Fremd", "", "erledigt", "other", "Jana Schmidt", now - DAY));

  by_name = fl_store_list_requester_tickets (store, "jana kruger", 10, &error);
  g_assert_no_error (error);
  list = numbers (by_name);
  g_assert_cmpstr (list, ==, "13 12 11 10 9 8 7 6 5 4 3");

  by_email = fl_store_list_requester_tickets (store, "Jana Krüger@example.org", 3, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_free);
  list = numbers (by_email);
  g_assert_cmpstr (list, ==, "13 12 11 10");

  by_phone = fl_store_list_requester_tickets (store, "+49 30 1234567", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (by_phone->len, ==, 3);

  nobody = fl_store_list_requester_tickets (store, "Niemand", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nobody->len, ==, 0);
}

/* Same requester, open, within 72 hours, similar enough: a possible duplicate. */
static void
test_duplicate (void)
{
  g_autoptr(FlStore) store = new_store ("duplicate.db");
  FlRequester jana = { .name = (char *) "Jana Kruger" };
  FlRequester other = { .name = (char *) "Tom Baker" };
  g_autoptr(FlTicket) dup = NULL;
  g_autoptr(FlTicket) none = NULL;
  g_autoptr(FlTicket) old = NULL;
  g_autoptr(FlTicket) unrelated = NULL;
  g_autoptr(FlTicket) self = NULL;
  g_autoptr(GError) error = NULL;
  double sim = 0.0;

  put (store, make_ticket (1, "VPN trennt sich ständig", "Im Homeoffice alle 10 Minuten.", NULL,
                           "network", "Jana Krüger", now - 20 * HOUR));
  put (store, make_ticket (2, "Outlook startet nicht", "", NULL, "email", "Jana Krüger",
                           now - 80 * HOUR));

  dup = fl_store_find_duplicate (store, &jana, "VPN connection drops", "every few minutes at home",
                                 "network", NULL, now, &sim, &error);
  g_assert_no_error (error);
  g_assert_nonnull (dup);
  g_assert_cmpint (dup->number, ==, 1);
  g_assert_cmpfloat (sim, >=, FL_DUPLICATE_THRESHOLD);

  /* another caller with the same problem is no duplicate */
  none = fl_store_find_duplicate (store, &other, "VPN connection drops", NULL, "network", NULL,
                                  now, NULL, &error);
  g_assert_null (none);
  /* the open ticket older than 72 hours is not offered */
  old = fl_store_find_duplicate (store, &jana, "Outlook startet nicht", NULL, "email", NULL, now,
                                 NULL, &error);
  g_assert_null (old);
  /* an unrelated request of the same caller */
  unrelated = fl_store_find_duplicate (store, &jana, "Neue Maus", "Scrollrad springt", "hardware",
                                       NULL, now, NULL, &error);
  g_assert_null (unrelated);
  /* the ticket itself (detail view) */
  {
    g_autoptr(FlTicket) t1 = fl_store_get_ticket (store, "#1", &error);

    self = fl_store_find_duplicate (store, &jana, t1->title, t1->description, t1->category, t1->id,
                                    now, NULL, &error);
    g_assert_null (self);
  }
  g_assert_no_error (error);

  g_assert_cmpfloat (fl_similar_text_similarity ("Kennwort vergessen", "password forgotten"), ==, 1.0);
  g_assert_cmpfloat (fl_similar_text_similarity ("Drucker", "Maus"), ==, 0.0);
}

/* A cache of schema 3 with solved tickets gets them indexed by the migration. */
static void
test_migration (void)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "firstline", "v3.db", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(FlStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *typo = NULL;
  sqlite3 *db = NULL;
  char *errmsg = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  for (int m = 0; m < 3; m++)
    if (sqlite3_exec (db, _fl_store_get_migration (m), NULL, NULL, &errmsg) != SQLITE_OK)
      g_error ("migration %d: %s", m, errmsg);
  if (sqlite3_exec (db,
                    "PRAGMA user_version = 3;"
                    "INSERT INTO tickets (id, number, version, title, description, req_name,"
                    "  channel, category, impact, urgency, priority, status, level, queue,"
                    "  resolution_code, resolution_summary, created_at, updated_at, resolved_at,"
                    "  due_at)"
                    " VALUES ('0b8c9d4e-1f2a-4b3c-8d4e-5f6a7b8c9d0e', 77, 4, 'Kennwort abgelaufen',"
                    "  'Fehler 0x80070005', 'Jörg Wolf', 'phone', 'password', 'low', 'high', 3,"
                    "  'resolved', 1, 'first-level', 'solved', 'Kennwort zurückgesetzt',"
                    "  1000, 2000, 2000, 3000),"
                    "  ('1b8c9d4e-1f2a-4b3c-8d4e-5f6a7b8c9d0e', 78, 1, 'Kennwort abgelaufen',"
                    "  '', 'Jörg Wolf', 'phone', 'password', 'low', 'high', 3,"
                    "  'new', 1, 'first-level', NULL, NULL, 1000, 2000, NULL, 3000);",
                    NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("%s", errmsg);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  store = fl_store_new (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fl_store_get_schema_version (store), ==, FL_STORE_SCHEMA_VERSION);

  found = suggest (store, "Passwort abgelaufen", NULL, NULL, "jorg wolf");
  g_assert_cmpstr (found, ==, "77");
  typo = suggest (store, "0x80070005", NULL, NULL, NULL);
  g_assert_cmpstr (typo, ==, "77");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  now = g_get_real_time () / 1000;

  fl_test_add_func ("/similar/fixed-set", test_fixed_set);
  fl_test_add_func ("/similar/fuzzy", test_fuzzy);
  fl_test_add_func ("/similar/rerank", test_rerank);
  fl_test_add_func ("/similar/reopen", test_reopen);
  fl_test_add_func ("/similar/history", test_history);
  fl_test_add_func ("/similar/duplicate", test_duplicate);
  fl_test_add_func ("/similar/migration", test_migration);

  return g_test_run ();
}
