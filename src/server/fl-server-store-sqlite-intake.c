/* fl-server-store-sqlite-intake.c — similar tickets and predefined answers of the SQLite store
 *
 * What intake suggests: solved tickets similar to a new one, and the predefined answers
 * with their changes and seeding.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-answer.h"
#include "fl-auth.h"
#include "fl-checklist.h"
#include "fl-server-store-sqlite.h"
#include "fl-similar.h"
#include "fl-sqlite-private.h"
#include "fl-server-store-sqlite-private.h"

/* -------------------------------------------------------------------------- */
/* Similar solved tickets and predefined answers */

GPtrArray *
_fl_sqlite_conn_find_similar (Conn                 *self,
                              const FlSimilarQuery *query,
                              GError              **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_similar_result_free);
  g_autoptr(GArray) hits = NULL;
  GError *local_error = NULL;

  hits = fl_similar_search (self->db, query, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  for (guint i = 0; i < hits->len; i++)
    {
      const FlSimilarHit *hit = &g_array_index (hits, FlSimilarHit, i);
      g_autoptr(FlSqliteStmt) stmt = _fl_sqlite_prepare (self, "SELECT json FROM tickets WHERE rowid = ?", error);
      g_autoptr(JsonNode) node = NULL;
      FlTicket *t;
      FlSimilarResult *r;

      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, hit->rowid);
      if (sqlite3_step (stmt) != SQLITE_ROW ||
          !(node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0))) ||
          !(t = fl_ticket_from_json (node, NULL)))
        continue;
      r = g_new0 (FlSimilarResult, 1);
      r->ticket = t;
      r->score = hit->score;
      g_ptr_array_add (results, r);
    }

  return g_steal_pointer (&results);
}

GPtrArray *
_fl_sqlite_conn_list_answers (Conn    *self,
                              GError **error)
{
  return _fl_sqlite_list_json (self, "SELECT json FROM answers ORDER BY id", error);
}

GPtrArray *
_fl_sqlite_conn_get_answer_changes (Conn     *self,
                                    gint64    cursor,
                                    gint64    upper,
                                    gint64   *out_cursor,
                                    GError  **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  stmt = _fl_sqlite_prepare (self, "SELECT seq, json FROM answers WHERE seq > ? AND seq <= ? ORDER BY seq",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, cursor);
  sqlite3_bind_int64 (stmt, 2, upper);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonNode *node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 1));

      if (node != NULL)
        g_ptr_array_add (list, node);
      *out_cursor = MAX (*out_cursor, sqlite3_column_int64 (stmt, 0));
    }
  return g_steal_pointer (&list);
}

/* Validates and stores an answer with its version one more than the stored one
 * (with @only_if_new, a stored one is kept as it is). */
JsonNode *
_fl_sqlite_store_answer (Conn       *self,
                         const char *id,
                         JsonNode   *answer,
                         gboolean    only_if_new,
                         GError    **error)
{
  g_autoptr(FlSqliteStmt) get = NULL;
  g_autoptr(FlSqliteStmt) put = NULL;
  g_autoptr(JsonNode) copy = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;
  gint64 version = 1;
  gint64 seq;

  if (!fl_answer_validate (answer, &local_error))
    {
      g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_INVALID,
                           local_error->message);
      return NULL;
    }
  copy = json_node_copy (answer);
  obj = json_node_get_object (copy);
  if (id != NULL && g_strcmp0 (json_object_get_string_member (obj, "id"), id) != 0)
    {
      g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_INVALID,
                           "the answer's 'id' differs from the one in the path");
      return NULL;
    }
  id = json_object_get_string_member (obj, "id");

  if (!_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error))
    return NULL;
  get = _fl_sqlite_prepare (self, "SELECT version FROM answers WHERE id = ?", error);
  if (get == NULL)
    goto fail;
  fl_sqlite_bind_text (get, 1, id);
  if (sqlite3_step (get) == SQLITE_ROW)
    {
      if (only_if_new)
        {
          _fl_sqlite_rollback (self);
          return g_steal_pointer (&copy);
        }
      version = sqlite3_column_int64 (get, 0) + 1;
    }
  json_object_set_int_member (obj, "version", version);
  text = json_to_string (copy, FALSE);

  seq = _fl_sqlite_next_seq (self, error);
  if (seq == 0)
    goto fail;
  put = _fl_sqlite_prepare (self,
                            "INSERT INTO answers (id, version, seq, json) VALUES (?1, ?2, ?3, ?4) "
                            "ON CONFLICT (id) DO UPDATE SET version = ?2, seq = ?3, json = ?4", error);
  if (put == NULL)
    goto fail;
  fl_sqlite_bind_text (put, 1, id);
  sqlite3_bind_int64 (put, 2, version);
  sqlite3_bind_int64 (put, 3, seq);
  fl_sqlite_bind_text (put, 4, text);
  if (!_fl_sqlite_step_done (self, put, error) || !_fl_sqlite_exec (self, "COMMIT", error))
    goto fail;

  return g_steal_pointer (&copy);

fail:
  _fl_sqlite_rollback (self);
  return NULL;
}

gboolean
_fl_sqlite_conn_seed_answers (Conn    *self,
                              GError **error)
{
  g_autoptr(GPtrArray) builtin = fl_answer_load_builtin (error);

  if (builtin == NULL)
    return FALSE;
  for (guint i = 0; i < builtin->len; i++)
    {
      g_autoptr(JsonNode) stored = _fl_sqlite_store_answer (self, NULL, builtin->pdata[i], TRUE, error);

      if (stored == NULL)
        return FALSE;
    }
  return TRUE;
}
