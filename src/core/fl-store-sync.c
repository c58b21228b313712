/* fl-store-sync.c — applying what the server said: results, rebase, reset
 *
 * One answer of POST /api/v1/sync is applied in one transaction: the ops' results,
 * the server's tickets with the ops still pending played on top, events,
 * checklists and the cursor.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <string.h>

#include "fl-checklist.h"
#include "fl-json-private.h"
#include "fl-answer.h"
#include "fl-store-private.h"

gint64
_fl_store_get_cursor (FlStore *self)
{
  g_autofree char *cursor = fl_store_dup_state (self, "cursor");
  gint64 v = 0;

  if (cursor != NULL)
    v = g_ascii_strtoll (cursor, NULL, 10);

  return MAX (v, 0);
}

static GPtrArray *
list_pending_ops_for (FlStore    *self,
                      const char *ticket_id)
{
  static const char *sql =
    "SELECT op_id, ticket_id, type, base_version, at, data FROM outbox"
    " WHERE ticket_id = ?1 AND state = 'pending' ORDER BY seq";
  GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_free);
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return ops;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ops, _fl_store_op_from_row (stmt));
  sqlite3_reset (stmt);

  return ops;
}

/* The ticket as the server has it, with our unsent ops played on top. */
static gboolean
rebase_ticket (FlStore     *self,
               FlTicket    *server,
               GPtrArray   *changes,
               GError     **error)
{
  static const char *sql_base =
    "UPDATE tickets SET base_version = ?2, server_state = ?3 WHERE id = ?1";
  g_autoptr(FlTicket) old = _fl_store_load_ticket (self, server->id, NULL);
  g_autoptr(GPtrArray) ops = list_pending_ops_for (self, server->id);
  g_autoptr(FlTicket) local = fl_ticket_copy (server);
  g_autofree char *state = fl_ticket_to_string (server);
  sqlite3_stmt *stmt;

  for (guint i = 0; i < ops->len; i++)
    {
      FlOp *op = g_ptr_array_index (ops, i);
      g_autoptr(FlTicket) next = NULL;

      if (op->type == FL_OP_CREATE)
        continue;

      /* An op that no longer fits stays queued; the server will say why. */
      next = fl_ticket_apply (local, op, self->username, self->role,
                              fl_store_get_policy (self), NULL, NULL);
      if (next != NULL)
        g_set_object (&local, next);
    }

  local->number = server->number;
  local->seq = server->seq;
  local->pending = ops->len;

  if (!_fl_store_write_ticket (self, local, error))
    return FALSE;

  if (!(stmt = get_stmt (self, sql_base, error)))
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, server->id);
  sqlite3_bind_int64 (stmt, 2, server->version);
  fl_sqlite_bind_text (stmt, 3, state);
  if (!step_done (self, stmt, error))
    return FALSE;

  if (old == NULL || !fl_ticket_equal (old, local) || old->pending != local->pending)
    _fl_store_changes_add (changes, old, local);

  return TRUE;
}

static FlTicket *
load_server_state (FlStore    *self,
                   const char *ticket_id)
{
  static const char *sql = "SELECT server_state FROM tickets WHERE id = ?1";
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return NULL;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = fl_sqlite_column_dup (stmt, 0);
  sqlite3_reset (stmt);

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;

  return fl_ticket_from_json (json_parser_get_root (parser), NULL);
}

static JsonNode *
ticket_field (JsonObject *ticket,
              const char *field)
{
  JsonNode *node = ticket ? json_object_get_member (ticket, field) : NULL;

  return node ? json_node_copy (node) : json_node_init_null (json_node_alloc ());
}

static void
add_conflict_field (JsonObject *fields,
                    const char *field,
                    JsonNode   *mine,
                    JsonNode   *theirs)
{
  JsonObject *pair = json_object_new ();

  json_object_set_member (pair, "mine", mine);
  json_object_set_member (pair, "theirs", theirs);
  json_object_set_object_member (fields, field, pair);
}

/* Mine and theirs for each field the op wanted to change. */
static JsonObject *
conflict_fields (FlStore    *self,
                 FlOp       *op,
                 JsonObject *current)
{
  JsonObject *fields = json_object_new ();

  switch (op->type)
    {
    case FL_OP_UPDATE:
      {
        g_auto(GStrv) names = fl_op_dup_fields (op);
        for (guint i = 0; names[i]; i++)
          add_conflict_field (fields, names[i],
                              json_node_copy (json_object_get_member (op->data, names[i])),
                              ticket_field (current, names[i]));
        break;
      }

    case FL_OP_CLAIM:
      add_conflict_field (fields, "assignee",
                          json_node_init_string (json_node_alloc (), self->username),
                          ticket_field (current, "assignee"));
      break;

    case FL_OP_HANDOFF:
    case FL_OP_RESOLVE:
    case FL_OP_CREATE:
    case FL_OP_NOTE:
    case FL_OP_CHECKLIST:
    case FL_OP_ASSIGN:
    case FL_OP_REOPEN:
    case FL_OP_CLOSE:
    default:
      add_conflict_field (fields, "status",
                          json_node_init_string (json_node_alloc (),
                                                 op->type == FL_OP_HANDOFF ? "escalated" :
                                                 op->type == FL_OP_RESOLVE ? "resolved" :
                                                 fl_op_type_to_string (op->type)),
                          ticket_field (current, "status"));
      break;
    }

  return fields;
}

/* Numbers are unique, and the server's latest word counts: a number it now
 * gives @t is no longer another cached ticket's (a server that reused one
 * would otherwise wedge every later sync on the UNIQUE index). */
static gboolean
take_number (FlStore     *self,
             const char  *ticket_id,
             gint64       number,
             GError     **error)
{
  static const char *sql = "UPDATE tickets SET number = NULL WHERE number = ?1 AND id <> ?2";
  sqlite3_stmt *stmt;

  if (number <= 0)
    return TRUE;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, number);
  fl_sqlite_bind_text (stmt, 2, ticket_id);
  return step_done (self, stmt, error);
}

static gboolean
apply_result (FlStore           *self,
              const FlOpResult  *result,
              GHashTable        *touched,
              GError           **error)
{
  static const char *sql_done = "DELETE FROM outbox WHERE op_id = ?1";
  static const char *sql_state = "UPDATE outbox SET state = ?2, error = ?3 WHERE op_id = ?1";
  static const char *sql_conflict =
    "INSERT OR REPLACE INTO conflicts (id, ticket_id, op_id, fields, theirs, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  static const char *sql_number =
    "UPDATE tickets SET number = ?2 WHERE id = ?1 AND number IS NULL";
  const char *op_id = result->op_id;
  g_autoptr(FlOp) op = NULL;
  g_autofree char *state = NULL;
  sqlite3_stmt *stmt;

  if (op_id == NULL || !(op = _fl_store_load_outbox_op (self, op_id, &state)) ||
      g_strcmp0 (state, "pending") != 0)
    return TRUE;

  g_hash_table_add (touched, g_strdup (op->ticket_id));

  switch (result->status)
    {
    case FL_OP_RESULT_APPLIED:
    case FL_OP_RESULT_DUPLICATE:
      if (!_fl_store_run_stmt_text (self, sql_done, op_id, error))
        return FALSE;

      if (result->number > 0)
        {
          if (!take_number (self, op->ticket_id, result->number, error))
            return FALSE;
          if (!(stmt = get_stmt (self, sql_number, error)))
            return FALSE;
          fl_sqlite_bind_text (stmt, 1, op->ticket_id);
          sqlite3_bind_int64 (stmt, 2, result->number);
          if (!step_done (self, stmt, error))
            return FALSE;
        }
      return TRUE;

    case FL_OP_RESULT_CONFLICT:
      {
        g_autoptr(JsonNode) current = result->current ? fl_ticket_to_json (result->current) : NULL;
        JsonObject *current_obj = current ? json_node_get_object (current) : NULL;
        g_autoptr(JsonObject) fields = NULL;
        g_autofree char *fields_text = NULL;
        g_autofree char *theirs_text = NULL;
        g_autofree char *conflict_id = fl_uuid_new ();

        /* A refused op did not happen: its local event leaves the timeline. */
        if (!_fl_store_run_stmt_text (self, "DELETE FROM events WHERE id = ?1 AND seq = 0", op_id, error))
          return FALSE;

        fields = conflict_fields (self, op, current_obj);
        fields_text = fl_sqlite_json_object_to_text (fields);
        theirs_text = current_obj ? fl_sqlite_json_object_to_text (current_obj) : g_strdup ("{}");

        if (!(stmt = get_stmt (self, sql_state, error)))
          return FALSE;
        fl_sqlite_bind_text (stmt, 1, op_id);
        fl_sqlite_bind_text (stmt, 2, "conflict");
        sqlite3_bind_null (stmt, 3);
        if (!step_done (self, stmt, error))
          return FALSE;

        if (!(stmt = get_stmt (self, sql_conflict, error)))
          return FALSE;
        fl_sqlite_bind_text (stmt, 1, conflict_id);
        fl_sqlite_bind_text (stmt, 2, op->ticket_id);
        fl_sqlite_bind_text (stmt, 3, op_id);
        fl_sqlite_bind_text (stmt, 4, fields_text);
        fl_sqlite_bind_text (stmt, 5, theirs_text);
        sqlite3_bind_int64 (stmt, 6, fl_time_now ());
        return step_done (self, stmt, error);
      }

    case FL_OP_RESULT_REJECTED:
    default:
      {
        /* Kept, with the server's reason, until the person has seen it. */
        g_autoptr(JsonObject) err = json_object_new ();
        g_autofree char *error_text = NULL;

        if (!_fl_store_run_stmt_text (self, "DELETE FROM events WHERE id = ?1 AND seq = 0", op_id, error))
          return FALSE;

        json_object_set_string_member (err, "code",
                                       result->error_code ? result->error_code : "rejected");
        json_object_set_string_member (err, "message",
                                       result->error_message ? result->error_message : "");
        error_text = fl_sqlite_json_object_to_text (err);

        if (!(stmt = get_stmt (self, sql_state, error)))
          return FALSE;
        fl_sqlite_bind_text (stmt, 1, op_id);
        fl_sqlite_bind_text (stmt, 2, "rejected");
        fl_sqlite_bind_text (stmt, 3, error_text);
        return step_done (self, stmt, error);
      }
    }
}

static gboolean
event_exists (FlStore    *self,
              const char *id)
{
  static const char *sql = "SELECT 1 FROM events WHERE id = ?1";
  sqlite3_stmt *stmt;
  gboolean exists;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, id);
  exists = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);

  return exists;
}

/* A predefined answer as the server published it; an invalid one is left out. */
static gboolean
put_answer (FlStore   *self,
            JsonNode  *node,
            GError   **error)
{
  static const char *sql =
    "INSERT INTO answers (id, version, category, definition) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (id) DO UPDATE SET version = ?2, category = ?3, definition = ?4"
    " WHERE excluded.version >= answers.version";
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;
  sqlite3_stmt *stmt;

  if (!fl_answer_validate (node, &local_error))
    {
      g_warning ("Ignoring an answer from the server: %s", local_error->message);
      return TRUE;
    }
  obj = json_node_get_object (node);
  text = json_to_string (node, FALSE);

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, _fl_json_string_member (obj, "id", NULL));
  sqlite3_bind_int64 (stmt, 2, _fl_json_int_member (obj, "version", 1));
  fl_sqlite_bind_text (stmt, 3, _fl_json_string_member (obj, "category", ""));
  fl_sqlite_bind_text (stmt, 4, text);
  return step_done (self, stmt, error);
}

static gboolean
put_checklist (FlStore   *self,
               JsonNode  *node,
               GError   **error)
{
  static const char *sql =
    "INSERT OR REPLACE INTO checklists (id, version, category, definition) VALUES (?1, ?2, ?3, ?4)";
  g_autofree char *text = NULL;
  JsonObject *obj;
  const char *id;
  const char *category;
  gint64 version;
  sqlite3_stmt *stmt;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;

  obj = json_node_get_object (node);
  id = _fl_json_string_member (obj, "id", NULL);
  category = _fl_json_string_member (obj, "category", "");
  version = _fl_json_int_member (obj, "version", 0);
  if (id == NULL || !fl_text_is_valid (id, 1, FL_SHORT_TEXT_MAX) || version < 1 ||
      !g_utf8_validate (category, -1, NULL))
    return TRUE;

  /* The server validates what it publishes; a definition that fails the same
   * validator here (a cycle, a dangling step) is never stored. */
  {
    g_autoptr(FlChecklist) checklist = NULL;
    g_autoptr(GError) local_error = NULL;

    if (!(checklist = fl_checklist_new_from_json (node, &local_error)))
      {
        /* Hostile or broken data, not a bug here: a message, not a warning. */
        g_message (_("Skipped checklist “%s” version %d from the server: %s"),
                   id, (int) MIN (version, G_MAXINT), local_error->message);
        return TRUE;
      }
  }

  text = json_to_string (node, FALSE);
  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, version);
  fl_sqlite_bind_text (stmt, 3, category);
  fl_sqlite_bind_text (stmt, 4, text);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

gboolean
_fl_store_apply_sync (FlStore         *self,
                      FlSyncResponse  *response,
                      GPtrArray      **out_changes,
                      GError         **error)
{
  g_autoptr(GPtrArray) changes = _fl_store_changes_new ();
  g_autoptr(GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) rebased = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *server_tickets;
  g_autofree char *cursor_text = NULL;
  GHashTableIter iter;
  gpointer key;
  gint64 cursor;

  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (response != NULL, FALSE);

  server_tickets = response->tickets;
  cursor = response->cursor >= 0 ? response->cursor : _fl_store_get_cursor (self);

  if (!_fl_store_begin (self, error))
    return FALSE;

  for (guint i = 0; i < response->results->len; i++)
    if (!apply_result (self, g_ptr_array_index (response->results, i), touched, error))
      goto failed;

  for (guint i = 0; i < server_tickets->len; i++)
    {
      FlTicket *t = g_ptr_array_index (server_tickets, i);

      if (!take_number (self, t->id, t->number, error) || !rebase_ticket (self, t, changes, error))
        goto failed;
      g_hash_table_add (rebased, t->id);
    }

  /* Tickets first, so that their events have a row to belong to. */
  for (guint i = 0; i < response->events->len; i++)
    {
      FlEvent *e = g_ptr_array_index (response->events, i);
      g_autoptr(FlTicket) owner = NULL;
      gboolean known;

      /* An event of a ticket this cache does not hold (yet) is skipped. */
      owner = _fl_store_load_ticket (self, e->ticket_id, NULL);
      if (owner == NULL)
        continue;

      known = event_exists (self, e->id);
      if (!_fl_store_write_event (self, e, error))
        goto failed;
      if (!known && e->type == FL_OP_NOTE &&
          !_fl_store_append_fts_note (self, e->ticket_id,
                                      _fl_json_string_member (e->data, "body", ""),
                                      error))
        goto failed;
    }

  /* Tickets whose ops were answered but whose state did not come along
   * (a conflict or rejection changes nothing on the server): rebase them on
   * the server state we know, so the refused change no longer shows. */
  g_hash_table_iter_init (&iter, touched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(FlTicket) server = NULL;
      g_autoptr(FlTicket) current = NULL;

      if (g_hash_table_contains (rebased, key))
        continue;

      server = load_server_state (self, key);
      if (server != NULL)
        {
          if (!rebase_ticket (self, server, changes, error))
            goto failed;
        }
      else if ((current = _fl_store_load_ticket (self, key, NULL)) != NULL)
        {
          /* Never on the server (a create still pending, or rejected): count what is left. */
          g_autoptr(GPtrArray) ops = list_pending_ops_for (self, key);
          if (current->pending != ops->len)
            {
              g_autoptr(FlTicket) updated = fl_ticket_copy (current);
              updated->pending = ops->len;
              if (!_fl_store_write_ticket (self, updated, error))
                goto failed;
              _fl_store_changes_add (changes, current, updated);
            }
        }
    }

  for (guint i = 0; i < response->checklists->len; i++)
    if (!put_checklist (self, g_ptr_array_index (response->checklists, i), error))
      goto failed;
  for (guint i = 0; i < response->answers->len; i++)
    if (!put_answer (self, g_ptr_array_index (response->answers, i), error))
      goto failed;

  cursor_text = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (cursor, 0));
  if (!fl_store_set_state (self, "cursor", cursor_text, error))
    goto failed;

  if (!_fl_store_commit (self, error))
    return FALSE;

  /* A big pull (the first sync) changes what the planner should know. */
  if (server_tickets->len >= 500)
    exec_sql (self, "ANALYZE", NULL);

  if (out_changes)
    *out_changes = g_steal_pointer (&changes);
  return TRUE;

failed:
  _fl_store_rollback (self);
  return FALSE;
}

gboolean
_fl_store_reset_server_state (FlStore  *self,
                              GError  **error)
{
  g_return_val_if_fail (FL_IS_STORE (self), FALSE);

  if (!_fl_store_begin (self, error))
    return FALSE;

  /* Tickets with unsent changes stay; everything else comes again from the server. */
  if (!exec_sql (self,
                 "DELETE FROM tickets_fts WHERE rowid IN"
                 " (SELECT rowid FROM tickets WHERE pending = 0);"
                 "DELETE FROM similar_fts WHERE rowid IN"
                 " (SELECT rowid FROM tickets WHERE pending = 0);"
                 "DELETE FROM similar_tri WHERE rowid IN"
                 " (SELECT rowid FROM tickets WHERE pending = 0);"
                 "DELETE FROM tickets WHERE pending = 0;"
                 "DELETE FROM events WHERE seq > 0;"
                 "DELETE FROM sync_state WHERE key = 'cursor';",
                 error))
    {
      _fl_store_rollback (self);
      return FALSE;
    }

  return _fl_store_commit (self, error);
}
