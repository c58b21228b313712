/* fl-store-outbox.c — the outbox, note drafts, conflicts, rejected ops, checklists
 *
 * The ops not yet acknowledged by the server, what it refused (conflicts to
 * decide, rejected ops to see), drafts of notes and the published checklists.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <string.h>

#include "fl-store-private.h"

/* An outbox row: op_id, ticket_id, type, base_version, at, data (in that order). */
FlOp *
_fl_store_op_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonObject) data = json_object_from_text ((const char *) sqlite3_column_text (stmt, 5));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string ((const char *) sqlite3_column_text (stmt, 2), &type);
  return fl_op_new ((const char *) sqlite3_column_text (stmt, 0),
                    (const char *) sqlite3_column_text (stmt, 1),
                    type, sqlite3_column_int64 (stmt, 3), sqlite3_column_int64 (stmt, 4), data);
}

gboolean
_fl_store_queue_op (FlStore     *self,
                    const FlOp  *op,
                    GError     **error)
{
  static const char *sql =
    "INSERT INTO outbox (op_id, ticket_id, type, base_version, at, data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  g_autofree char *data = json_object_to_text (op->data);
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;

  bind_text (stmt, 1, op->op_id);
  bind_text (stmt, 2, op->ticket_id);
  bind_text (stmt, 3, fl_op_type_to_string (op->type));
  sqlite3_bind_int64 (stmt, 4, op->base_version);
  sqlite3_bind_int64 (stmt, 5, op->at);
  bind_text (stmt, 6, data);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

guint
fl_store_count_pending_ops (FlStore *self)
{
  static const char *sql = "SELECT count(*) FROM outbox WHERE state = 'pending'";
  sqlite3_stmt *stmt;
  guint count = 0;

  g_return_val_if_fail (FL_IS_STORE (self), 0);

  if (!(stmt = get_stmt (self, sql, NULL)))
    return 0;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return count;
}

GPtrArray *
fl_store_list_pending_ops (FlStore  *self,
                           guint     limit,
                           GError  **error)
{
  static const char *sql =
    "SELECT op_id, ticket_id, type, base_version, at, data FROM outbox"
    " WHERE state = 'pending' ORDER BY seq LIMIT ?1";
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ops, _fl_store_op_from_row (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&ops);
}

char *
fl_store_dup_draft (FlStore    *self,
                    const char *ticket_id,
                    gboolean   *internal)
{
  static const char *sql = "SELECT body, internal FROM drafts WHERE ticket_id = ?1";
  sqlite3_stmt *stmt;
  char *body = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  if (internal)
    *internal = FALSE;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return NULL;
  bind_text (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      body = column_dup (stmt, 0);
      if (internal)
        *internal = sqlite3_column_int (stmt, 1) != 0;
    }
  sqlite3_reset (stmt);

  return body;
}

gboolean
fl_store_set_draft (FlStore     *self,
                    const char  *ticket_id,
                    const char  *body,
                    gboolean     internal,
                    GError     **error)
{
  static const char *sql_set =
    "INSERT INTO drafts (ticket_id, body, internal, updated_at) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (ticket_id) DO UPDATE SET body = excluded.body,"
    "  internal = excluded.internal, updated_at = excluded.updated_at";
  static const char *sql_delete = "DELETE FROM drafts WHERE ticket_id = ?1";
  gboolean empty = body == NULL || *body == '\0';
  sqlite3_stmt *stmt;

  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (ticket_id != NULL, FALSE);

  if (!(stmt = get_stmt (self, empty ? sql_delete : sql_set, error)))
    return FALSE;
  bind_text (stmt, 1, ticket_id);
  if (!empty)
    {
      bind_text (stmt, 2, body);
      sqlite3_bind_int (stmt, 3, internal);
      sqlite3_bind_int64 (stmt, 4, fl_time_now ());
    }
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

void
fl_conflict_free (FlConflict *conflict)
{
  if (conflict == NULL)
    return;

  g_free (conflict->id);
  g_free (conflict->ticket_id);
  g_free (conflict->op_id);
  g_clear_pointer (&conflict->fields, json_object_unref);
  g_free (conflict);
}

void
fl_rejected_op_free (FlRejectedOp *rejected)
{
  if (rejected == NULL)
    return;

  g_clear_pointer (&rejected->op, fl_op_free);
  g_free (rejected->error_code);
  g_free (rejected->error_message);
  g_free (rejected);
}

guint
fl_store_count_conflicts (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), 0);

  return _fl_store_count_rows (self, "SELECT count(*) FROM conflicts");
}

GPtrArray *
fl_store_list_conflicts (FlStore  *self,
                         GError  **error)
{
  static const char *sql =
    "SELECT c.id, c.ticket_id, c.op_id, o.type, c.fields, c.created_at"
    " FROM conflicts c JOIN outbox o ON o.op_id = c.op_id ORDER BY c.created_at, c.id";
  g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_conflict_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FlConflict *c = g_new0 (FlConflict, 1);

      c->id = column_dup (stmt, 0);
      c->ticket_id = column_dup (stmt, 1);
      c->op_id = column_dup (stmt, 2);
      fl_op_type_from_string ((const char *) sqlite3_column_text (stmt, 3), &c->type);
      c->fields = json_object_from_text ((const char *) sqlite3_column_text (stmt, 4));
      c->created_at = sqlite3_column_int64 (stmt, 5);
      g_ptr_array_add (conflicts, c);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&conflicts);
}

FlOp *
_fl_store_load_outbox_op (FlStore    *self,
                          const char *op_id,
                          char      **out_state)
{
  static const char *sql =
    "SELECT op_id, ticket_id, type, base_version, at, data, state FROM outbox WHERE op_id = ?1";
  sqlite3_stmt *stmt;
  FlOp *op = NULL;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return NULL;
  bind_text (stmt, 1, op_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op = _fl_store_op_from_row (stmt);
      if (out_state)
        *out_state = column_dup (stmt, 6);
    }
  sqlite3_reset (stmt);

  return op;
}

gboolean
_fl_store_run_stmt_text (FlStore     *self,
                         const char  *sql,
                         const char  *arg,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;
  bind_text (stmt, 1, arg);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

gboolean
fl_store_resolve_conflict (FlStore     *self,
                           const char  *conflict_id,
                           gboolean     keep_mine,
                           GError     **error)
{
  static const char *sql_find = "SELECT op_id FROM conflicts WHERE id = ?1";
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(FlOp) op = NULL;
  g_autofree char *op_id = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (conflict_id != NULL, FALSE);

  if (!(stmt = get_stmt (self, sql_find, error)))
    return FALSE;
  bind_text (stmt, 1, conflict_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    op_id = column_dup (stmt, 0);
  sqlite3_reset (stmt);

  if (op_id == NULL || !(op = _fl_store_load_outbox_op (self, op_id, NULL)))
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                   _("No such conflict: %s"), conflict_id);
      return FALSE;
    }

  /* One transaction: the op made again (keep mine) and the conflict gone, or neither. */
  if (!_fl_store_begin (self, error))
    return FALSE;

  changes = _fl_store_changes_new ();
  if (keep_mine)
    {
      g_autoptr(FlTicket) ticket = NULL;

      /* The same change again, now on the version the server has. */
      if (!(ticket = _fl_store_apply_local_in_transaction (self, op->ticket_id, op->type,
                                                           op->data, changes, error)))
        {
          _fl_store_rollback (self);
          return FALSE;
        }
    }

  if (!_fl_store_run_stmt_text (self, "DELETE FROM conflicts WHERE id = ?1", conflict_id, error) ||
      !_fl_store_run_stmt_text (self, "DELETE FROM outbox WHERE op_id = ?1", op_id, error))
    {
      _fl_store_rollback (self);
      return FALSE;
    }

  if (!_fl_store_commit (self, error))
    return FALSE;

  _fl_store_emit_changed (self, FL_STORE_ORIGIN_LOCAL, g_steal_pointer (&changes));
  return TRUE;
}

GPtrArray *
fl_store_list_rejected_ops (FlStore  *self,
                            GError  **error)
{
  static const char *sql =
    "SELECT op_id, error FROM outbox WHERE state = 'rejected' ORDER BY seq";
  g_autoptr(GPtrArray) rejected = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_rejected_op_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, column_dup (stmt, 0));
      g_ptr_array_add (errors, column_dup (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(JsonObject) err = json_object_from_text (g_ptr_array_index (errors, i));
      FlRejectedOp *r = g_new0 (FlRejectedOp, 1);

      r->op = _fl_store_load_outbox_op (self, g_ptr_array_index (ids, i), NULL);
      r->error_code = g_strdup (json_object_get_string_member_with_default (err, "code", "rejected"));
      r->error_message = g_strdup (json_object_get_string_member_with_default (err, "message", ""));
      if (r->op == NULL)
        fl_rejected_op_free (r);
      else
        g_ptr_array_add (rejected, r);
    }

  return g_steal_pointer (&rejected);
}

gboolean
fl_store_dismiss_rejected_op (FlStore     *self,
                              const char  *op_id,
                              GError     **error)
{
  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (op_id != NULL, FALSE);

  if (!_fl_store_run_stmt_text (self, "DELETE FROM outbox WHERE op_id = ?1 AND state = 'rejected'",
                                op_id, error))
    return FALSE;

  _fl_store_refresh_counts (self);
  return TRUE;
}

GPtrArray *
fl_store_list_checklists (FlStore  *self,
                          GError  **error)
{
  static const char *sql =
    "SELECT definition FROM checklists c WHERE version ="
    " (SELECT max(version) FROM checklists WHERE id = c.id) ORDER BY category, id";
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, column_dup (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&list);
}

char *
fl_store_dup_checklist (FlStore     *self,
                        const char  *id,
                        gint64       version,
                        GError     **error)
{
  static const char *sql = "SELECT definition FROM checklists WHERE id = ?1 AND version = ?2";
  sqlite3_stmt *stmt;
  char *definition = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, version);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    definition = column_dup (stmt, 0);
  sqlite3_reset (stmt);

  if (definition == NULL)
    g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                 _("No such checklist: %s (version %d)"), id, (int) version);

  return definition;
}
