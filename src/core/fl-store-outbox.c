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

#include "fl-json-private.h"
#include "fl-store-private.h"

/* An outbox row: op_id, ticket_id, type, base_version, at, data (in that order). */
FlOp *
_fl_store_op_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonObject) data = fl_sqlite_json_object_from_text ((const char *) sqlite3_column_text (stmt, 5));
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
  g_autofree char *data = fl_sqlite_json_object_to_text (op->data);
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;

  fl_sqlite_bind_text (stmt, 1, op->op_id);
  fl_sqlite_bind_text (stmt, 2, op->ticket_id);
  fl_sqlite_bind_text (stmt, 3, fl_op_type_to_string (op->type));
  sqlite3_bind_int64 (stmt, 4, op->base_version);
  sqlite3_bind_int64 (stmt, 5, op->at);
  fl_sqlite_bind_text (stmt, 6, data);
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
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      body = fl_sqlite_column_dup (stmt, 0);
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
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  if (!empty)
    {
      fl_sqlite_bind_text (stmt, 2, body);
      sqlite3_bind_int (stmt, 3, internal);
      sqlite3_bind_int64 (stmt, 4, fl_time_now ());
    }
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

/* Form drafts share the drafts table; "form:" never starts a ticket id. */
#define FORM_DRAFT_PREFIX "form:"

char *
fl_store_dup_form_draft (FlStore    *self,
                         const char *form)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (form != NULL, NULL);

  key = g_strconcat (FORM_DRAFT_PREFIX, form, NULL);
  return fl_store_dup_draft (self, key, NULL);
}

gboolean
fl_store_set_form_draft (FlStore     *self,
                         const char  *form,
                         const char  *json,
                         GError     **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (form != NULL, FALSE);

  key = g_strconcat (FORM_DRAFT_PREFIX, form, NULL);
  return fl_store_set_draft (self, key, json, FALSE, error);
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

/* The validation messages of core, which the server shares: a rejection
 * that carries one of them reads in the user's language. One "%s" at most. */
static const char * const known_reasons[] = {
  N_("field '%s' is required"),
  N_("field '%s' has an unknown value"),
  N_("field '%s' is out of range"),
  N_("unknown op type"),
  N_("unknown ticket"),
  N_("an update must change a field"),
  N_("a ticket with this id exists already"),
  N_("a resolved or closed ticket cannot be claimed"),
  N_("the ticket is assigned to someone else"),
  N_("the ticket is resolved or closed"),
  N_("the ticket is already resolved or closed"),
  N_("only a resolved or closed ticket can be reopened"),
  N_("the ticket is already closed"),
};

static char *
translate_known_reason (const char *message)
{
  const char *exact = g_dgettext (GETTEXT_PACKAGE, message);

  /* One of our messages word for word. */
  if (exact != message)
    return g_strdup (exact);

  for (guint i = 0; i < G_N_ELEMENTS (known_reasons); i++)
    {
      const char *format = known_reasons[i];
      const char *hole = strstr (format, "%s");
      gsize prefix;
      gsize suffix;
      gsize len = strlen (message);

      if (hole == NULL)
        {
          if (strcmp (message, format) == 0)
            return g_strdup (g_dgettext (GETTEXT_PACKAGE, format));
          continue;
        }

      prefix = (gsize) (hole - format);
      suffix = strlen (hole + 2);
      if (len > prefix + suffix &&
          strncmp (message, format, prefix) == 0 &&
          strcmp (message + len - suffix, hole + 2) == 0)
        {
          g_autofree char *arg = g_strndup (message + prefix, len - prefix - suffix);
          const char *translated = g_dgettext (GETTEXT_PACKAGE, format);
          const char *at = strstr (translated, "%s");
          GString *text = g_string_new (NULL);

          /* The translation's "%s" is the field name; no printf on a runtime format. */
          if (at == NULL)
            return g_string_free (g_string_append (text, translated), FALSE);
          g_string_append_len (text, translated, at - translated);
          g_string_append (text, arg);
          g_string_append (text, at + 2);
          return g_string_free (text, FALSE);
        }
    }

  return NULL;
}

char *
fl_rejected_op_describe (const FlRejectedOp *rejected)
{
  const char *code;
  char *known;

  g_return_val_if_fail (rejected != NULL, NULL);

  /* The server's own words go to the log; the person reads ours. */
  if (rejected->error_message != NULL && *rejected->error_message != '\0')
    {
      g_debug ("rejected op %s: %s (%s)", rejected->op ? rejected->op->op_id : "?",
               rejected->error_message, rejected->error_code ? rejected->error_code : "");
      known = translate_known_reason (rejected->error_message);
      if (known != NULL)
        return known;
    }

  code = rejected->error_code ? rejected->error_code : "";
  if (strcmp (code, "forbidden") == 0)
    return g_strdup (_("Your role may not make this change."));
  if (strcmp (code, "not_found") == 0)
    return g_strdup (_("The ticket does not exist on the server."));
  if (strcmp (code, "unprocessable") == 0)
    return g_strdup (_("The server found the change invalid for the ticket as it is now."));
  if (strcmp (code, "bad_request") == 0)
    return g_strdup (_("The server could not read the change."));
  if (strcmp (code, "conflict") == 0)
    return g_strdup (_("Someone else changed the ticket first."));
  if (strcmp (code, "payload_too_large") == 0)
    return g_strdup (_("The change is too large for the server."));
  return g_strdup (_("The server refused the change."));
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

      c->id = fl_sqlite_column_dup (stmt, 0);
      c->ticket_id = fl_sqlite_column_dup (stmt, 1);
      c->op_id = fl_sqlite_column_dup (stmt, 2);
      fl_op_type_from_string ((const char *) sqlite3_column_text (stmt, 3), &c->type);
      c->fields = fl_sqlite_json_object_from_text ((const char *) sqlite3_column_text (stmt, 4));
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
  fl_sqlite_bind_text (stmt, 1, op_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op = _fl_store_op_from_row (stmt);
      if (out_state)
        *out_state = fl_sqlite_column_dup (stmt, 6);
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
  fl_sqlite_bind_text (stmt, 1, arg);
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
  fl_sqlite_bind_text (stmt, 1, conflict_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    op_id = fl_sqlite_column_dup (stmt, 0);
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
      g_ptr_array_add (ids, fl_sqlite_column_dup (stmt, 0));
      g_ptr_array_add (errors, fl_sqlite_column_dup (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(JsonObject) err = fl_sqlite_json_object_from_text (g_ptr_array_index (errors, i));
      FlRejectedOp *r = g_new0 (FlRejectedOp, 1);

      r->op = _fl_store_load_outbox_op (self, g_ptr_array_index (ids, i), NULL);
      r->error_code = g_strdup (_fl_json_string_member (err, "code", "rejected"));
      r->error_message = g_strdup (_fl_json_string_member (err, "message", ""));
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
    g_ptr_array_add (list, fl_sqlite_column_dup (stmt, 0));
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
  fl_sqlite_bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, version);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    definition = fl_sqlite_column_dup (stmt, 0);
  sqlite3_reset (stmt);

  if (definition == NULL)
    g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                 _("No such checklist: %s (version %d)"), id, (int) version);

  return definition;
}
