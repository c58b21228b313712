/* similar-eval.c — the fixed evaluation set of similar-ticket search
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fl-store-private.h"
#include "similar-eval.h"

#define DAY_MS (24 * G_GINT64_CONSTANT (3600000))

void
similar_eval_clear (SimilarEval *eval)
{
  g_clear_pointer (&eval->misses, g_ptr_array_unref);
}

static JsonObject *
load_set (const char  *path,
          JsonParser **out_parser)
{
  g_autoptr(GError) error = NULL;
  JsonParser *parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("%s: %s", path, error->message);
  *out_parser = parser;
  return json_node_get_object (json_parser_get_root (parser));
}

static const char *
member (JsonObject *o,
        const char *name)
{
  return json_object_has_member (o, name) ? json_object_get_string_member (o, name) : "";
}

void
similar_eval_load (FlStore    *store,
                   const char *path,
                   gint64      now)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *set = load_set (path, &parser);
  JsonArray *resolved = json_object_get_array_member (set, "resolved");
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < json_array_get_length (resolved); i++)
    {
      JsonObject *o = json_array_get_object_element (resolved, i);
      FlTicket *t = fl_ticket_new ();
      gint64 age = json_object_get_int_member (o, "age");

      g_free (t->id);

      t->id = fl_uuid_new ();
      t->number = i + 1;
      t->version = 3;
      g_free (t->title);
      t->title = g_strdup (member (o, "t"));
      g_free (t->description);
      t->description = g_strdup (member (o, "d"));
      g_free (t->requester.name);
      t->requester.name = g_strdup (member (o, "q"));
      g_free (t->requester.department);
      t->requester.department = g_strdup (member (o, "dep"));
      t->channel = FL_CHANNEL_PHONE;
      g_free (t->category);
      t->category = g_strdup (member (o, "c"));
      t->impact = FL_GRADE_MEDIUM;
      t->urgency = FL_GRADE_MEDIUM;
      t->priority = 3;
      t->status = FL_STATUS_RESOLVED;
      t->level = 1;
      g_free (t->queue);
      t->queue = g_strdup ("first-level");
      t->resolution_code = FL_RESOLUTION_SOLVED;
      t->resolution_summary = g_strdup (member (o, "r"));
      g_free (t->created_by);
      t->created_by = g_strdup ("alex");
      t->created_at = now - age * DAY_MS - 3600000;
      t->updated_at = now - age * DAY_MS;
      t->resolved_at = now - age * DAY_MS;
      t->due_at = t->created_at + 24 * 3600000;
      g_ptr_array_add (tickets, t);
    }

  if (!fl_store_put_tickets (store, tickets, NULL, &error))
    g_error ("put: %s", error->message);
}

void
similar_eval_run (FlStore     *store,
                  const char  *path,
                  gint64       now,
                  gboolean     baseline,
                  SimilarEval *out)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *set = load_set (path, &parser);
  JsonArray *requests = json_object_get_array_member (set, "requests");
  guint hit1 = 0, hit5 = 0;
  double rr = 0.0;

  memset (out, 0, sizeof *out);
  out->misses = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *o = json_array_get_object_element (requests, i);
      FlSimilarQuery q = {
        .title = member (o, "t"),
        .description = member (o, "d"),
        .category = member (o, "c"),
        .requester = member (o, "q"),
        .now = now,
        .limit = 5,
      };
      /* the answer's number: its position in "resolved" */
      gint64 want = g_ascii_strtoll (member (o, "answer") + 1, NULL, 10);
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) hits = NULL;
      g_autoptr(GString) got = g_string_new (NULL);
      int rank = 0;

      if (baseline)
        hits = fl_similar_search_baseline (_fl_store_get_db (store), &q, &error);
      else
        hits = fl_similar_search (_fl_store_get_db (store), &q, &error);
      g_assert_no_error (error);

      for (guint k = 0; k < hits->len; k++)
        {
          gint64 rowid = g_array_index (hits, FlSimilarHit, k).rowid;
          sqlite3_stmt *stmt = NULL;
          gint64 number = 0;

          sqlite3_prepare_v2 (_fl_store_get_db (store),
                              "SELECT number FROM tickets WHERE rowid = ?1", -1, &stmt, NULL);
          sqlite3_bind_int64 (stmt, 1, rowid);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            number = sqlite3_column_int64 (stmt, 0);
          sqlite3_finalize (stmt);
          g_string_append_printf (got, "%sr%02" G_GINT64_FORMAT, k ? " " : "", number);
          if (number == want && rank == 0)
            rank = k + 1;
        }

      if (rank == 1)
        hit1++;
      if (rank >= 1 && rank <= 5)
        {
          hit5++;
          rr += 1.0 / rank;
        }
      else
        g_ptr_array_add (out->misses, g_strdup_printf ("%s → %s (got %s)", q.title,
                                                       member (o, "answer"), got->str));
      out->n_requests++;
    }

  out->recall_at_1 = (double) hit1 / out->n_requests;
  out->recall_at_5 = (double) hit5 / out->n_requests;
  out->mrr = rr / out->n_requests;
}
