/* fl-server-store-sqlite-ops.c — applying ops and storing checklists in the SQLite store
 *
 * The writes: an op checked against the ticket's stored state and applied in its own
 * transaction or a batch's savepoint (event, ticket, search index, report rows and
 * sequence number together), a request's batch of ops, and the checklist definitions.
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

/* The top-level ticket fields that differ between @old and @new, as " a b c ". */
static char *
changed_fields (FlTicket *old,
                FlTicket *new)
{
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autoptr(GList) members = NULL;
  GString *out = g_string_new (" ");
  JsonObject *oa, *ob;

  if (old == NULL)
    return g_string_free (out, FALSE);

  a = fl_ticket_to_json (old);
  b = fl_ticket_to_json (new);
  oa = json_node_get_object (a);
  ob = json_node_get_object (b);
  members = json_object_get_members (ob);

  for (const GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *va = json_object_get_member (oa, name);
      JsonNode *vb = json_object_get_member (ob, name);

      if (g_str_equal (name, "version") || g_str_equal (name, "seq") ||
          g_str_equal (name, "updated_at"))
        continue;
      if (va == NULL || !json_node_equal (va, vb))
        g_string_append_printf (out, "%s ", name);
    }

  return g_string_free (out, FALSE);
}

/* TRUE when one of @fields was changed after @base_version by an op from another client. */
static gboolean
changed_by_other (Conn               *self,
                  const char         *ticket_id,
                  gint64              base_version,
                  const char         *client_id,
                  const char * const *fields,
                  gboolean           *out,
                  GError            **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  int rc;

  *out = FALSE;
  stmt = _fl_sqlite_prepare (self,
                             "SELECT fields FROM events WHERE ticket_id = ? AND version > ? "
                             "AND client_id != ?", error);
  if (stmt == NULL)
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  sqlite3_bind_int64 (stmt, 2, base_version);
  fl_sqlite_bind_text (stmt, 3, client_id);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *changed = fl_sqlite_column_text (stmt, 0);

      for (guint i = 0; changed && fields[i]; i++)
        {
          g_autofree char *needle = g_strdup_printf (" %s ", fields[i]);
          if (strstr (changed, needle) != NULL)
            {
              *out = TRUE;
              return TRUE;
            }
        }
    }
  if (rc != SQLITE_DONE)
    return _fl_sqlite_db_error (self, error, "conflict check");
  return TRUE;
}

static char *
requester_text (FlTicket *t)
{
  return g_strjoin (" ", t->requester.name, t->requester.email, t->requester.phone,
                    t->requester.department, t->requester.location, t->asset, NULL);
}

/* The report tables kept as ops are applied (schema 4): who handed the ticket off, and
 * which checklist steps it reached, first when. */
static gboolean
store_report_rows (Conn       *self,
                   FlTicket   *t,
                   gint64      rowid,
                   gint64      handoffs,
                   const FlOp *op,
                   gint64      at,
                   const char *author,
                   GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  if (op->type == FL_OP_HANDOFF)
    {
      stmt = _fl_sqlite_prepare (self,
                                 "INSERT OR IGNORE INTO report_handoffs (created_at, ticket, author) "
                                 "VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, t->created_at);
      sqlite3_bind_int64 (stmt, 2, rowid);
      fl_sqlite_bind_text (stmt, 3, author);
      return _fl_sqlite_step_done (self, stmt, error);
    }

  if (op->type == FL_OP_CHECKLIST)
    {
      const char *id = json_object_get_string_member_with_default (op->data, "checklist_id", NULL);
      const char *step = json_object_get_string_member_with_default (op->data, "step_id", NULL);
      gint64 version = json_object_get_int_member_with_default (op->data, "checklist_version", 0);
      FlChecklist *checklist;

      if (id == NULL || step == NULL)
        return TRUE;
      checklist = _fl_sqlite_lookup_checklist (self, id, version, NULL);
      if (checklist != NULL)
        version = fl_checklist_get_version (checklist);

      stmt = _fl_sqlite_prepare (self,
                                 "INSERT OR IGNORE INTO report_steps (created_at, ticket, checklist_id,"
                                 " checklist_version, step_id, at, resolved_at, handoffs)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, t->created_at);
      sqlite3_bind_int64 (stmt, 2, rowid);
      fl_sqlite_bind_text (stmt, 3, id);
      sqlite3_bind_int64 (stmt, 4, MAX (version, 1));
      fl_sqlite_bind_text (stmt, 5, step);
      sqlite3_bind_int64 (stmt, 6, at);
      fl_sqlite_bind_time (stmt, 7, t->resolution_code != FL_RESOLUTION_NONE ? t->resolved_at : 0);
      sqlite3_bind_int64 (stmt, 8, handoffs);
      return _fl_sqlite_step_done (self, stmt, error);
    }

  /* The outcome the steps carry. */
  if (op->type == FL_OP_RESOLVE || op->type == FL_OP_REOPEN || op->type == FL_OP_HANDOFF ||
      op->type == FL_OP_CLOSE)
    {
      stmt = _fl_sqlite_prepare (self,
                                 "UPDATE report_steps SET resolved_at = ?, handoffs = ? "
                                 "WHERE created_at = ? AND ticket = ?", error);
      if (stmt == NULL)
        return FALSE;
      fl_sqlite_bind_time (stmt, 1, t->resolution_code != FL_RESOLUTION_NONE ? t->resolved_at : 0);
      sqlite3_bind_int64 (stmt, 2, handoffs);
      sqlite3_bind_int64 (stmt, 3, t->created_at);
      sqlite3_bind_int64 (stmt, 4, rowid);
      return _fl_sqlite_step_done (self, stmt, error);
    }

  return TRUE;
}

/* @current: the ticket before @op (NULL for a create); @at: the op's effective time. */
static gboolean
write_fts_row (Conn        *self,
               gint64       rowid,
               const char  *title,
               const char  *description,
               const char  *requester,
               const char  *notes,
               GError     **error)
{
  g_autoptr(FlSqliteStmt) fts = NULL;

  fts = _fl_sqlite_prepare (self,
                            "INSERT OR REPLACE INTO tickets_fts (rowid, title, description, requester, notes) "
                            "VALUES (?, ?, ?, ?, ?)", error);
  if (fts == NULL)
    return FALSE;
  sqlite3_bind_int64 (fts, 1, rowid);
  fl_sqlite_bind_text (fts, 2, title);
  fl_sqlite_bind_text (fts, 3, description);
  fl_sqlite_bind_text (fts, 4, requester);
  fl_sqlite_bind_text (fts, 5, notes ? notes : "");
  return _fl_sqlite_step_done (self, fts, error);
}

static gboolean
store_ticket (Conn       *self,
              FlTicket   *current,
              FlTicket   *t,
              const FlOp *op,
              gint64      at,
              const char *author,
              GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(FlSqliteStmt) fts = NULL;
  g_autofree char *json = fl_ticket_to_string (t);
  g_autofree char *requester = requester_text (t);
  g_autofree char *notes = NULL;
  gboolean reopened_7d;
  gint64 rowid, handoffs;

  reopened_7d = op->type == FL_OP_REOPEN && current != NULL && current->resolved_at > 0 &&
                at - current->resolved_at <= FL_REPORT_REOPEN_WINDOW_MS;

  stmt = _fl_sqlite_prepare (self,
                             "INSERT INTO tickets (id, number, version, seq, status, category, assignee,"
                             " level, queue, created_at, resolved_at, due_at, resolution_code, resolved_by,"
                             " handoffs, json, reopened_7d, waiting_since) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, ?15, ?16,"
                             " ?18, ?19) "
                             "ON CONFLICT (id) DO UPDATE SET version = ?3, seq = ?4, status = ?5,"
                             " category = ?6, assignee = ?7, level = ?8, queue = ?9, resolved_at = ?11,"
                             " due_at = ?12, resolution_code = ?13,"
                             " resolved_by = CASE WHEN ?13 IS NULL THEN NULL"
                             "   WHEN ?17 THEN ?14 ELSE resolved_by END,"
                             " handoffs = handoffs + ?15, json = ?16, reopened_7d = reopened_7d + ?18,"
                             " waiting_since = ?19 "
                             "RETURNING rowid, handoffs", error);
  if (stmt == NULL)
    return FALSE;

  fl_sqlite_bind_text (stmt, 1, t->id);
  sqlite3_bind_int64 (stmt, 2, t->number);
  sqlite3_bind_int64 (stmt, 3, t->version);
  sqlite3_bind_int64 (stmt, 4, t->seq);
  fl_sqlite_bind_text (stmt, 5, fl_status_to_string (t->status));
  fl_sqlite_bind_text (stmt, 6, t->category);
  fl_sqlite_bind_text (stmt, 7, t->assignee);
  sqlite3_bind_int (stmt, 8, t->level);
  fl_sqlite_bind_text (stmt, 9, t->queue);
  sqlite3_bind_int64 (stmt, 10, t->created_at);
  fl_sqlite_bind_time (stmt, 11, t->resolved_at);
  fl_sqlite_bind_time (stmt, 12, t->due_at);
  fl_sqlite_bind_text (stmt, 13, t->resolution_code != FL_RESOLUTION_NONE
                       ? fl_resolution_code_to_string (t->resolution_code) : NULL);
  fl_sqlite_bind_text (stmt, 14, author);
  sqlite3_bind_int (stmt, 15, op->type == FL_OP_HANDOFF ? 1 : 0);
  fl_sqlite_bind_text (stmt, 16, json);
  sqlite3_bind_int (stmt, 17, op->type == FL_OP_RESOLVE ? 1 : 0);
  sqlite3_bind_int (stmt, 18, reopened_7d ? 1 : 0);
  fl_sqlite_bind_time (stmt, 19, t->waiting_since);

  if (sqlite3_step (stmt) != SQLITE_ROW)
    return _fl_sqlite_db_error (self, error, "store ticket");
  rowid = sqlite3_column_int64 (stmt, 0);
  handoffs = sqlite3_column_int64 (stmt, 1);

  if (!store_report_rows (self, t, rowid, handoffs, op, at, author, error))
    return FALSE;

  if (op->type != FL_OP_CREATE)
    {
      FtsRow *pending = g_hash_table_lookup (self->fts_op, &rowid);

      if (pending == NULL)
        pending = g_hash_table_lookup (self->fts_batch, &rowid);
      if (pending != NULL)
        notes = g_strdup (pending->notes);
      else
        {
          g_autoptr(FlSqliteStmt) get = _fl_sqlite_prepare (self,
                                                            "SELECT notes FROM tickets_fts WHERE rowid = ?",
                                                            error);
          if (get == NULL)
            return FALSE;
          sqlite3_bind_int64 (get, 1, rowid);
          if (sqlite3_step (get) == SQLITE_ROW)
            notes = g_strdup (fl_sqlite_column_text (get, 0));
        }
    }

  if (op->type == FL_OP_NOTE)
    {
      JsonNode *body = json_object_get_member (op->data, "body");
      const char *text = body && JSON_NODE_HOLDS_VALUE (body) ? json_node_get_string (body) : NULL;
      char *joined = g_strjoin ("\n", notes ? notes : "", text ? text : "", NULL);

      g_free (notes);
      notes = joined;
    }

  if (self->in_batch)
    {
      FtsRow *row = g_new0 (FtsRow, 1);
      gint64 *key = g_new (gint64, 1);

      *key = rowid;
      row->title = g_strdup (t->title);
      row->description = g_strdup (t->description);
      row->requester = g_steal_pointer (&requester);
      row->notes = notes ? g_steal_pointer (&notes) : g_strdup ("");
      g_hash_table_replace (self->fts_op, key, row);
    }
  else if (!write_fts_row (self, rowid, t->title, t->description, requester, notes, error))
    return FALSE;

  return fl_similar_index_ticket (self->db, self->stmts, rowid, t, error);
}

static FlApplyResult *
finish_rejected (FlApplyResult *result,
                 const GError  *error)
{
  result->status = FL_OP_RESULT_REJECTED;
  result->error_code = "unprocessable";
  if (error->domain == FL_MODEL_ERROR && error->code == FL_MODEL_ERROR_FORBIDDEN)
    result->error_code = "forbidden";
  else if (error->domain == FL_MODEL_ERROR && error->code == FL_MODEL_ERROR_NOT_FOUND)
    result->error_code = "not_found";
  result->error_message = g_strdup (error->message);
  return result;
}

/* The checklist a checklist op names, at its version (the latest when it
 * names none); NULL with an error when there is no such checklist. */
FlChecklist *
_fl_sqlite_lookup_checklist (Conn       *self,
                             const char *id,
                             gint64      version,
                             GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *key = NULL;
  FlChecklist *checklist;

  if (version > 0)
    {
      key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, version);
      checklist = g_hash_table_lookup (self->checklists, key);
      if (checklist != NULL)
        return checklist;
      stmt = _fl_sqlite_prepare (self, "SELECT json FROM checklist_versions WHERE id = ? AND version = ?",
                                 error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 2, version);
    }
  else
    {
      stmt = _fl_sqlite_prepare (self, "SELECT json FROM checklists WHERE id = ?", error);
      if (stmt == NULL)
        return NULL;
    }
  fl_sqlite_bind_text (stmt, 1, id);

  if (sqlite3_step (stmt) != SQLITE_ROW ||
      (node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0))) == NULL ||
      (checklist = fl_checklist_new_from_json (node, NULL)) == NULL)
    {
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                   "field 'checklist_id' names an unknown checklist or version");
      return NULL;
    }

  g_free (key);
  key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, fl_checklist_get_version (checklist));
  g_hash_table_replace (self->checklists, g_steal_pointer (&key), checklist);
  return checklist;
}

/* Rules that need the server's state, checked before an op is applied. */
static gboolean
check_references (Conn       *self,
                  const FlOp *op,
                  FlTicket   *current,
                  GError    **error)
{
  if (current != NULL && op->type != FL_OP_CREATE && op->base_version > current->version)
    {
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                   "field 'base_version' is newer than the ticket's version %" G_GINT64_FORMAT,
                   current->version);
      return FALSE;
    }

  if (op->type == FL_OP_CHECKLIST)
    {
      const char *id = json_object_get_string_member (op->data, "checklist_id");
      const char *step = json_object_get_string_member (op->data, "step_id");
      gint64 version = json_object_get_int_member_with_default (op->data, "checklist_version", 0);
      FlChecklist *checklist = _fl_sqlite_lookup_checklist (self, id, version, error);

      if (checklist == NULL)
        return FALSE;
      if (fl_checklist_get_step (checklist, step) == NULL)
        {
          g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                       "field 'step_id' names no step of checklist '%s' version %" G_GINT64_FORMAT,
                       id, fl_checklist_get_version (checklist));
          return FALSE;
        }
    }

  return TRUE;
}

/* Each op is atomic: its own transaction, or a savepoint inside a batch
 * (_fl_sqlite_conn_begin_batch), so that a failed op leaves the others. */
static gboolean
op_begin (Conn    *self,
          GError **error)
{
  return _fl_sqlite_exec (self, self->in_batch ? "SAVEPOINT op" : "BEGIN IMMEDIATE", error);
}

static gboolean
op_commit (Conn    *self,
           GError **error)
{
  GHashTableIter iter;
  gpointer key, row;

  if (!_fl_sqlite_exec (self, self->in_batch ? "RELEASE op" : "COMMIT", error))
    return FALSE;

  /* the op's FTS rows now belong to the batch */
  g_hash_table_iter_init (&iter, self->fts_op);
  while (g_hash_table_iter_next (&iter, &key, &row))
    {
      g_hash_table_iter_steal (&iter);
      g_hash_table_replace (self->fts_batch, key, row);
    }
  return TRUE;
}

static void
op_rollback (Conn *self)
{
  g_hash_table_remove_all (self->fts_op);
  if (self->in_batch)
    {
      sqlite3_exec (self->db, "ROLLBACK TO op", NULL, NULL, NULL);
      sqlite3_exec (self->db, "RELEASE op", NULL, NULL, NULL);
    }
  else
    {
      _fl_sqlite_rollback (self);
    }
}

/**
 * conn_begin_batch:
 *
 * Starts one transaction for the ops that follow, until
 * conn_end_batch(): their results are durable (one sync to disk for
 * all of them) only after it has committed, so a caller answers only then.
 */
gboolean
_fl_sqlite_conn_begin_batch (Conn    *self,
                             GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->in_batch, FALSE);

  if (!_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  self->in_batch = TRUE;
  return TRUE;
}

static gboolean
conn_end_batch (Conn    *self,
                gboolean commit,
                GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->in_batch, FALSE);

  self->in_batch = FALSE;
  g_hash_table_remove_all (self->fts_op);
  if (commit)
    {
      GHashTableIter iter;
      gpointer key, value;
      gboolean ok = TRUE;

      g_hash_table_iter_init (&iter, self->fts_batch);
      while (ok && g_hash_table_iter_next (&iter, &key, &value))
        {
          FtsRow *row = value;

          ok = write_fts_row (self, *(gint64 *) key, row->title, row->description,
                              row->requester, row->notes, error);
        }
      g_hash_table_remove_all (self->fts_batch);
      if (ok && _fl_sqlite_exec (self, "COMMIT", error))
        return TRUE;
      _fl_sqlite_rollback (self);
      return FALSE;
    }
  g_hash_table_remove_all (self->fts_batch);
  _fl_sqlite_rollback (self);
  return TRUE;
}

static FlApplyResult *
conn_apply_op (Conn               *self,
               const FlOp         *op,
               const char         *client_id,
               const FlServerUser *user,
               GError            **error)
{
  g_autoptr(FlApplyResult) result = g_new0 (FlApplyResult, 1);
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(FlTicket) current = NULL;
  g_autoptr(FlTicket) next = NULL;
  g_autoptr(FlOp) eff = NULL;
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *fields = NULL;
  g_autofree char *data_text = NULL;
  gint64 now = fl_time_now ();
  gint64 seq;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (op != NULL, NULL);
  g_return_val_if_fail (client_id != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);

  if (!op_begin (self, error))
    return NULL;

  /* Exactly once: the event id is the op id. */
  stmt = _fl_sqlite_prepare (self,
                             "SELECT e.version, t.number FROM events e "
                             "LEFT JOIN tickets t ON t.id = e.ticket_id WHERE e.id = ?", error);
  if (stmt == NULL)
    goto fail;
  fl_sqlite_bind_text (stmt, 1, op->op_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      result->status = FL_OP_RESULT_DUPLICATE;
      result->version = sqlite3_column_int64 (stmt, 0);
      result->number = sqlite3_column_int64 (stmt, 1);
      op_rollback (self);
      return g_steal_pointer (&result);
    }
  if (rc != SQLITE_DONE)
    {
      _fl_sqlite_db_error (self, error, "duplicate check");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_reset);

  current = _fl_sqlite_load_ticket (self, op->ticket_id, &local_error);
  if (current == NULL)
    {
      if (!g_error_matches (local_error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      g_clear_error (&local_error);
    }

  if (!fl_op_validate_data (op->type, op->data, &local_error) ||
      !check_references (self, op, current, &local_error))
    {
      op_rollback (self);
      return finish_rejected (g_steal_pointer (&result), local_error);
    }

  /* Conflicts that need the history. */
  if (current != NULL &&
      (op->type == FL_OP_UPDATE || op->type == FL_OP_HANDOFF || op->type == FL_OP_RESOLVE))
    {
      static const char * const status_field[] = { "status", NULL };
      g_auto(GStrv) op_fields = NULL;
      gboolean conflict = FALSE;

      if (op->type == FL_OP_UPDATE)
        op_fields = fl_op_dup_fields (op);

      if (!changed_by_other (self, op->ticket_id, op->base_version, client_id,
                             op_fields ? (const char * const *) op_fields : status_field,
                             &conflict, error))
        goto fail;

      if (conflict)
        {
          result->status = FL_OP_RESULT_CONFLICT;
          result->version = current->version;
          result->number = current->number;
          result->current = g_steal_pointer (&current);
          op_rollback (self);
          return g_steal_pointer (&result);
        }
    }

  /* created_at and event times are the op's time, unless missing, in the
   * future or older than OP_MAX_AGE_MS (then the server's time: nothing is
   * lost, and no client can date history decades back); and no op takes
   * effect before the ticket's last change, so that waiting time and due
   * times only move forward. */
  eff = fl_op_copy (op);
  if (eff->at <= 0 || eff->at > now || eff->at < now - OP_MAX_AGE_MS)
    eff->at = now;
  if (current != NULL && eff->at < current->updated_at)
    eff->at = current->updated_at;

  next = fl_ticket_apply (current, eff, user->username, user->role, &self->policy,
                          &event_data, &local_error);
  if (next == NULL)
    {
      op_rollback (self);
      if (g_error_matches (local_error, FL_MODEL_ERROR, FL_MODEL_ERROR_CONFLICT) && current)
        {
          result->status = FL_OP_RESULT_CONFLICT;
          result->version = current->version;
          result->number = current->number;
          result->current = g_steal_pointer (&current);
          return g_steal_pointer (&result);
        }
      return finish_rejected (g_steal_pointer (&result), local_error);
    }

  if (op->type == FL_OP_ASSIGN && next->assignee != NULL)
    {
      g_autoptr(FlServerUser) assignee = _fl_sqlite_conn_get_user (self, next->assignee);

      if (assignee == NULL)
        {
          op_rollback (self);
          g_set_error (&local_error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                       "field 'assignee' names an unknown user");
          return finish_rejected (g_steal_pointer (&result), local_error);
        }
    }

  seq = _fl_sqlite_next_seq (self, error);
  if (seq == 0)
    goto fail;
  next->seq = seq;

  if (op->type == FL_OP_CREATE)
    {
      g_autoptr(FlSqliteStmt) num = _fl_sqlite_prepare (self,
                                                        "SELECT COALESCE (MAX (number), 0) + 1 FROM tickets",
                                                        error);
      if (num == NULL || sqlite3_step (num) != SQLITE_ROW)
        {
          if (num != NULL)
            _fl_sqlite_db_error (self, error, "number");
          goto fail;
        }
      next->number = sqlite3_column_int64 (num, 0);
    }

  fields = changed_fields (current, next);
  data_text = fl_sqlite_json_object_to_text (event_data);

  stmt = _fl_sqlite_prepare (self,
                             "INSERT INTO events (seq, id, ticket_id, version, at, author, type, data,"
                             " client_id, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, seq);
  fl_sqlite_bind_text (stmt, 2, op->op_id);
  fl_sqlite_bind_text (stmt, 3, op->ticket_id);
  sqlite3_bind_int64 (stmt, 4, next->version);
  sqlite3_bind_int64 (stmt, 5, eff->at);
  fl_sqlite_bind_text (stmt, 6, user->username);
  fl_sqlite_bind_text (stmt, 7, fl_op_type_to_string (op->type));
  fl_sqlite_bind_text (stmt, 8, data_text);
  fl_sqlite_bind_text (stmt, 9, client_id);
  fl_sqlite_bind_text (stmt, 10, fields);
  if (!_fl_sqlite_step_done (self, stmt, error))
    goto fail;

  if (!store_ticket (self, current, next, eff, eff->at, user->username, error) ||
      !op_commit (self, error))
    goto fail;

  result->status = FL_OP_RESULT_APPLIED;
  result->version = next->version;
  result->number = next->number;
  return g_steal_pointer (&result);

fail:
  op_rollback (self);
  return NULL;
}

/* -------------------------------------------------------------------------- */
/* Checklists */

GPtrArray *
_fl_sqlite_conn_list_checklists (Conn    *self,
                                 GError **error)
{
  return _fl_sqlite_list_json (self, "SELECT json FROM checklists ORDER BY id", error);
}

static JsonNode *
store_checklist (Conn       *self,
                 const char *id,
                 JsonNode   *checklist,
                 gboolean    only_if_new,
                 GError    **error)
{
  g_autoptr(FlSqliteStmt) get = NULL;
  g_autoptr(FlSqliteStmt) put = NULL;
  g_autoptr(JsonNode) copy = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(FlChecklist) parsed = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;
  JsonNode *member;
  gint64 version = 1;
  gint64 seq;

  if (!JSON_NODE_HOLDS_OBJECT (checklist))
    {
      g_set_error_literal (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_TYPE,
                           "a checklist must be an object");
      return NULL;
    }

  copy = json_node_copy (checklist);
  obj = json_node_get_object (copy);
  member = json_object_get_member (obj, "id");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    {
      g_set_error_literal (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_INVALID,
                           "field 'id' is required");
      return NULL;
    }
  if (id != NULL && g_strcmp0 (json_node_get_string (member), id) != 0)
    {
      g_set_error_literal (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_INVALID,
                           "the checklist's 'id' differs from the one in the path");
      return NULL;
    }
  id = json_node_get_string (member);

  if (!_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error))
    return NULL;

  get = _fl_sqlite_prepare (self, "SELECT version FROM checklists WHERE id = ?", error);
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
  else if (only_if_new && (member = json_object_get_member (obj, "version")) != NULL &&
           JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_INT64)
    {
      version = MAX (1, json_node_get_int (member));
    }

  /* The server numbers versions: one more than the stored one. */
  json_object_set_int_member (obj, "version", version);
  parsed = fl_checklist_new_from_json (copy, error);
  if (parsed == NULL)
    goto fail;

  stored = fl_checklist_to_json (parsed);
  text = json_to_string (stored, FALSE);

  seq = _fl_sqlite_next_seq (self, error);
  if (seq == 0)
    goto fail;

  put = _fl_sqlite_prepare (self,
                            "INSERT INTO checklists (id, version, seq, json) VALUES (?1, ?2, ?3, ?4) "
                            "ON CONFLICT (id) DO UPDATE SET version = ?2, seq = ?3, json = ?4", error);
  if (put == NULL)
    goto fail;
  fl_sqlite_bind_text (put, 1, id);
  sqlite3_bind_int64 (put, 2, version);
  sqlite3_bind_int64 (put, 3, seq);
  fl_sqlite_bind_text (put, 4, text);
  if (!_fl_sqlite_step_done (self, put, error))
    goto fail;
  g_clear_pointer (&put, sqlite3_reset);
  put = _fl_sqlite_prepare (self,
                            "INSERT OR REPLACE INTO checklist_versions (id, version, json) VALUES (?, ?, ?)",
                            error);
  if (put == NULL)
    goto fail;
  fl_sqlite_bind_text (put, 1, id);
  sqlite3_bind_int64 (put, 2, version);
  fl_sqlite_bind_text (put, 3, text);
  if (!_fl_sqlite_step_done (self, put, error) || !_fl_sqlite_exec (self, "COMMIT", error))
    goto fail;

  return g_steal_pointer (&stored);

fail:
  _fl_sqlite_rollback (self);
  return NULL;
}

JsonNode *
_fl_sqlite_conn_put_checklist (Conn       *self,
                               const char *id,
                               JsonNode   *checklist,
                               GError    **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return store_checklist (self, id, checklist, FALSE, error);
}

gboolean
_fl_sqlite_conn_seed_checklists (Conn       *self,
                                 const char *dir,
                                 GError    **error)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;

  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(JsonParser) parser = NULL;
      g_autoptr(JsonNode) stored = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!g_str_has_suffix (name, ".json"))
        continue;

      path = g_build_filename (dir, name, NULL);
      parser = json_parser_new ();
      if (!json_parser_load_from_file (parser, path, &local_error))
        {
          g_warning ("Skipping checklist %s: %s", path, local_error->message);
          continue;
        }

      stored = store_checklist (self, NULL, json_parser_get_root (parser), TRUE, &local_error);
      if (stored == NULL)
        {
          if (local_error->domain == FL_CHECKLIST_ERROR)
            {
              g_warning ("Skipping checklist %s: %s", path, local_error->message);
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  return TRUE;
}


/* One request's ops as one group: a savepoint per op inside one transaction. */
GPtrArray *
_fl_sqlite_conn_apply_batch (Conn               *self,
                             GPtrArray          *ops,
                             const char         *client_id,
                             const FlServerUser *user,
                             GError            **error)
{
  g_autoptr(GPtrArray) results = NULL;

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_apply_result_free);

  if (ops->len == 0)
    return g_steal_pointer (&results);

  if (!_fl_sqlite_conn_begin_batch (self, error))
    return NULL;
  for (guint i = 0; i < ops->len; i++)
    {
      FlApplyResult *r = conn_apply_op (self, g_ptr_array_index (ops, i), client_id, user, error);

      if (r == NULL)
        {
          /* Nothing of this request is applied; the client sends it again. */
          conn_end_batch (self, FALSE, NULL);
          return NULL;
        }
      g_ptr_array_add (results, r);
    }
  if (!conn_end_batch (self, TRUE, error))
    return NULL;

  return g_steal_pointer (&results);
}
