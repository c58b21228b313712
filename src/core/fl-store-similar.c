/* fl-store-similar.c — what the cache knows about a new request: similar solved
 * tickets, the caller's history, and a possible duplicate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-store"

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "fl-answer.h"
#include "fl-similar.h"
#include "fl-store-private.h"

void
fl_similar_result_free (FlSimilarResult *result)
{
  if (result == NULL)
    return;
  g_clear_object (&result->ticket);
  g_free (result);
}

static FlTicket *
load_by_rowid (FlStore *self,
               gint64   rowid)
{
  sqlite3_stmt *stmt = get_stmt (self, "SELECT " FL_STORE_TICKET_COLUMNS
                                        " FROM tickets WHERE rowid = ?1", NULL);
  FlTicket *t = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, rowid);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    t = _fl_store_ticket_from_row (stmt);
  sqlite3_reset (stmt);

  return t;
}

GPtrArray *
fl_store_find_similar (FlStore               *self,
                       const FlSimilarQuery  *query,
                       GError               **error)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) hits = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  hits = fl_similar_search (self->db, query, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_similar_result_free);
  for (guint i = 0; i < hits->len; i++)
    {
      const FlSimilarHit *hit = &g_array_index (hits, FlSimilarHit, i);
      FlTicket *t = load_by_rowid (self, hit->rowid);
      FlSimilarResult *r;

      if (t == NULL)
        continue;
      r = g_new0 (FlSimilarResult, 1);
      r->ticket = t;
      r->score = hit->score;
      g_ptr_array_add (results, r);
    }

  return g_steal_pointer (&results);
}

/* An FTS5 query over the requester column: all words of @text (quoted). */
static void
append_requester_match (GString    *match,
                        const char *text,
                        gboolean    as_phrase)
{
  g_autofree char *folded = fl_similar_fold (text);
  g_autoptr(GString) part = g_string_new (NULL);
  const char *start = NULL;

  for (const char *p = folded;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean word_char = c != 0 && g_unichar_isalnum (c);

      if (word_char && start == NULL)
        start = p;
      else if (!word_char && start != NULL)
        {
          if (part->len > 0)
            g_string_append (part, as_phrase ? " + " : " AND ");
          g_string_append_c (part, '"');
          g_string_append_len (part, start, p - start);
          g_string_append_c (part, '"');
          start = NULL;
        }
      if (c == 0)
        break;
    }

  if (part->len == 0)
    return;
  if (match->len > 0)
    g_string_append (match, " OR ");
  g_string_append_printf (match, "({requester} : (%s))", part->str);
}

static gboolean
is_open (FlTicket *t)
{
  return t->status != FL_STATUS_RESOLVED && t->status != FL_STATUS_CLOSED;
}

GPtrArray *
fl_store_list_caller_tickets (FlStore            *self,
                              const FlRequester  *requester,
                              guint               recent,
                              GError            **error)
{
  static const char *sql =
    "SELECT " FL_STORE_TICKET_COLUMNS " FROM tickets"
    " WHERE rowid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?1)"
    " ORDER BY created_at DESC, id";
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) match = g_string_new (NULL);
  g_autoptr(GPtrArray) open = g_ptr_array_new ();
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();
  sqlite3_stmt *stmt;
  guint n_seen = 0;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (requester != NULL, NULL);

  if (requester->name && *requester->name)
    append_requester_match (match, requester->name, FALSE);
  if (requester->email && *requester->email)
    append_requester_match (match, requester->email, TRUE);
  if (requester->phone && *requester->phone)
    append_requester_match (match, requester->phone, TRUE);
  if (match->len == 0)
    return g_steal_pointer (&tickets);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  fl_sqlite_bind_text (stmt, 1, match->str);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FlTicket *t = _fl_store_ticket_from_row (stmt);

      /* the open ones, and the latest @recent of any status */
      g_ptr_array_add (tickets, t);
      if (is_open (t))
        g_ptr_array_add (open, t);
      else if (n_seen < recent)
        g_ptr_array_add (rest, t);
      n_seen++;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  /* open ones first, then the latest others, each newest first */
  {
    GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < open->len; i++)
      g_ptr_array_add (out, g_object_ref (open->pdata[i]));
    for (guint i = 0; i < rest->len; i++)
      g_ptr_array_add (out, g_object_ref (rest->pdata[i]));
    return out;
  }
}

GPtrArray *
fl_store_list_requester_tickets (FlStore     *self,
                                 const char  *requester,
                                 guint        recent,
                                 GError     **error)
{
  FlRequester r = { 0 };

  g_return_val_if_fail (requester != NULL, NULL);

  /* an e-mail address, a phone number (no letters), or a name */
  if (strchr (requester, '@') != NULL)
    r.email = (char *) requester;
  else if (strspn (requester, "0123456789+-/() ") == strlen (requester))
    r.phone = (char *) requester;
  else
    r.name = (char *) requester;

  return fl_store_list_caller_tickets (self, &r, recent, error);
}

FlTicket *
fl_store_find_duplicate (FlStore            *self,
                         const FlRequester  *requester,
                         const char         *title,
                         const char         *description,
                         const char         *category,
                         const char         *exclude_id,
                         gint64              now,
                         double             *out_similarity,
                         GError            **error)
{
  g_autoptr(GPtrArray) tickets = NULL;
  g_autofree char *text = g_strjoin (" ", title ? title : "", description ? description : "",
                                     NULL);
  FlTicket *best = NULL;
  double best_sim = 0.0;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  tickets = fl_store_list_caller_tickets (self, requester, 0, error);
  if (tickets == NULL)
    return NULL;

  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *t = tickets->pdata[i];
      g_autofree char *other = NULL;
      double sim;

      if (!is_open (t) || g_strcmp0 (t->id, exclude_id) == 0 ||
          t->created_at < now - FL_DUPLICATE_WINDOW_MS)
        continue;

      other = g_strjoin (" ", t->title, t->description ? t->description : "", NULL);
      sim = fl_similar_text_similarity (text, other);
      if (category && *category && g_strcmp0 (category, t->category) == 0)
        sim += FL_DUPLICATE_CATEGORY;
      sim = MIN (sim, 1.0);
      if (sim >= FL_DUPLICATE_THRESHOLD && sim > best_sim)
        {
          best = t;
          best_sim = sim;
        }
    }

  if (out_similarity)
    *out_similarity = best_sim;

  return best ? g_object_ref (best) : NULL;
}

/* -------------------------------------------------------------------------- */

static int
compare_answer_ids (gconstpointer a,
                    gconstpointer b)
{
  JsonObject *oa = json_node_get_object (*(JsonNode * const *) a);
  JsonObject *ob = json_node_get_object (*(JsonNode * const *) b);

  return g_strcmp0 (json_object_get_string_member (oa, "id"),
                    json_object_get_string_member (ob, "id"));
}

GPtrArray *
fl_store_list_answers (FlStore  *self,
                       GError  **error)
{
  static const char *sql = "SELECT definition FROM answers ORDER BY id";
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) builtin = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonNode *node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0));

      if (node == NULL || !fl_answer_validate (node, NULL))
        {
          g_clear_pointer (&node, json_node_unref);
          continue;
        }
      g_ptr_array_add (answers, node);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  for (guint i = 0; i < answers->len; i++)
    g_hash_table_add (ids, (gpointer) json_object_get_string_member (
                             json_node_get_object (answers->pdata[i]), "id"));

  /* the built-in ones the team has not published (yet) */
  builtin = fl_answer_load_builtin (NULL);
  for (guint i = 0; builtin != NULL && i < builtin->len; i++)
    {
      JsonObject *o = json_node_get_object (builtin->pdata[i]);

      if (!g_hash_table_contains (ids, json_object_get_string_member (o, "id")))
        g_ptr_array_add (answers, json_node_ref (builtin->pdata[i]));
    }
  g_ptr_array_sort (answers, compare_answer_ids);

  return g_steal_pointer (&answers);
}
