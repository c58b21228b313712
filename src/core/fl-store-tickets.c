/* fl-store-tickets.c — tickets and events in the local cache: views, search, actions
 *
 * Reading tickets by view and by full text (FTS5), and the local actions: each
 * one transaction that changes the ticket, appends its event and queues its op.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>
#include <string.h>

#include "fl-json-private.h"
#include "fl-similar.h"
#include "fl-store-private.h"

#define TICKET_COLUMNS FL_STORE_TICKET_COLUMNS

static const char * const view_names[] = {
  "incoming", "mine", "waiting", "escalated", "resolved", "all"
};

/* The WHERE terms match the partial indexes of the first migration (fl-store.c)
 * word for word. */
static const char * const view_where[] = {
  "assignee IS NULL AND level = 1 AND status IN ('new', 'in_progress', 'waiting')",
  "assignee = ?1 AND status IN ('new', 'in_progress', 'waiting', 'escalated')",
  "status = 'waiting'",
  "status = 'escalated'",
  "status IN ('resolved', 'closed')",
  "1",
};

/* Each view's index, in list order. Chosen here, not by the planner: with
 * analysis_limit its statistics count ~1000 rows per status, and it sorted all
 * 87,000 resolved tickets in a temporary B-tree for every 64-row page (seconds
 * per page at 100,000 tickets). */
static const char * const view_index[] = {
  "tickets_incoming",
  "tickets_mine",
  "tickets_by_status",
  "tickets_by_status",
  "tickets_resolved",
  "tickets_all",
};

/* The list order: tickets whose follow-up time passed first (attention 0), open
 * tickets before done ones, then priority and due time (fl_store_compare_tickets
 * says the same). Only All holds both open and done ones: its index has that key. */
#define ORDER_TAIL " ORDER BY attention, priority, due_at, id LIMIT ?3 OFFSET ?4"
#define ORDER_TAIL_ALL " ORDER BY attention, status IN ('resolved', 'closed'), priority, due_at, id" \
                       " LIMIT ?3 OFFSET ?4"

G_STATIC_ASSERT (G_N_ELEMENTS (view_names) == FL_N_VIEWS);
G_STATIC_ASSERT (G_N_ELEMENTS (view_where) == FL_N_VIEWS);
G_STATIC_ASSERT (G_N_ELEMENTS (view_index) == FL_N_VIEWS);

FlTicket *
_fl_store_ticket_from_row (sqlite3_stmt *stmt)
{
  FlTicket *t = g_object_new (FL_TYPE_TICKET, NULL);
  int c = 0;

  t->id = fl_sqlite_column_dup (stmt, c++);
  t->number = sqlite3_column_int64 (stmt, c++);
  t->version = sqlite3_column_int64 (stmt, c++);
  t->seq = sqlite3_column_int64 (stmt, c++);
  t->title = fl_sqlite_column_dup (stmt, c++);
  t->description = fl_sqlite_column_dup (stmt, c++);
  t->requester.name = fl_sqlite_column_dup (stmt, c++);
  t->requester.email = fl_sqlite_column_dup (stmt, c++);
  t->requester.phone = fl_sqlite_column_dup (stmt, c++);
  t->requester.department = fl_sqlite_column_dup (stmt, c++);
  t->requester.location = fl_sqlite_column_dup (stmt, c++);
  t->asset = fl_sqlite_column_dup (stmt, c++);
  fl_channel_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->channel);
  t->category = fl_sqlite_column_dup (stmt, c++);
  fl_grade_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->impact);
  fl_grade_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->urgency);
  t->priority = CLAMP (sqlite3_column_int (stmt, c), 1, 4); c++;
  fl_status_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->status);
  t->level = sqlite3_column_int (stmt, c++);
  t->queue = fl_sqlite_column_dup (stmt, c++);
  t->assignee = fl_sqlite_column_dup (stmt, c++);
  if (!fl_resolution_code_from_string ((const char *) sqlite3_column_text (stmt, c++),
                                       &t->resolution_code))
    t->resolution_code = FL_RESOLUTION_NONE;
  t->resolution_summary = fl_sqlite_column_dup (stmt, c++);
  t->created_by = fl_sqlite_column_dup (stmt, c++);
  t->created_at = sqlite3_column_int64 (stmt, c++);
  t->updated_at = sqlite3_column_int64 (stmt, c++);
  t->resolved_at = sqlite3_column_int64 (stmt, c++);
  t->due_at = sqlite3_column_int64 (stmt, c++);
  t->waiting_since = sqlite3_column_int64 (stmt, c++);
  t->pending = (guint) sqlite3_column_int (stmt, c++);
  t->waiting_reason = fl_sqlite_column_dup (stmt, c++);
  t->follow_up_at = sqlite3_column_int64 (stmt, c++);
  t->follow_up_due = sqlite3_column_int (stmt, c++) == 0;

  return t;
}

static FlEvent *
event_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonObject) data = fl_sqlite_json_object_from_text ((const char *) sqlite3_column_text (stmt, 6));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string ((const char *) sqlite3_column_text (stmt, 5), &type);

  return fl_event_new ((const char *) sqlite3_column_text (stmt, 0),
                       (const char *) sqlite3_column_text (stmt, 1),
                       sqlite3_column_int64 (stmt, 2),
                       sqlite3_column_int64 (stmt, 3),
                       (const char *) sqlite3_column_text (stmt, 4),
                       type, data);
}

static char *
requester_text (FlTicket *t)
{
  return g_strjoin (" ", t->requester.name, t->requester.email, t->requester.phone,
                    t->requester.department, t->requester.location, NULL);
}

/* The FTS row mirrors the ticket's text; notes are appended by note events. */
static gboolean
write_fts (FlStore   *self,
           gint64     rowid,
           gboolean   is_new,
           FlTicket  *t,
           GError   **error)
{
  static const char *sql_notes = "SELECT notes FROM tickets_fts WHERE rowid = ?1";
  static const char *sql_delete = "DELETE FROM tickets_fts WHERE rowid = ?1";
  static const char *sql_insert =
    "INSERT INTO tickets_fts (rowid, title, description, requester, notes, extra)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  g_autofree char *notes = NULL;
  g_autofree char *requester = requester_text (t);
  g_autofree char *extra = NULL;
  sqlite3_stmt *stmt;

  /* A new ticket has no FTS row yet: nothing to keep, nothing to replace. */
  if (!is_new)
    {
      if (!(stmt = get_stmt (self, sql_notes, error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, rowid);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        notes = fl_sqlite_column_dup (stmt, 0);
      sqlite3_reset (stmt);

      if (!(stmt = get_stmt (self, sql_delete, error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, rowid);
      if (!step_done (self, stmt, error))
        return FALSE;
    }

  if (t->number > 0)
    extra = g_strdup_printf ("%" G_GINT64_FORMAT " %s %s", t->number, t->asset, t->category);
  else
    extra = g_strdup_printf ("%s %s", t->asset, t->category);

  if (!(stmt = get_stmt (self, sql_insert, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rowid);
  fl_sqlite_bind_text (stmt, 2, t->title);
  fl_sqlite_bind_text (stmt, 3, t->description);
  fl_sqlite_bind_text (stmt, 4, requester);
  fl_sqlite_bind_text (stmt, 5, notes ? notes : "");
  fl_sqlite_bind_text (stmt, 6, extra);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

gboolean
_fl_store_append_fts_note (FlStore     *self,
                           const char  *ticket_id,
                           const char  *body,
                           GError     **error)
{
  static const char *sql =
    "UPDATE tickets_fts SET notes = notes || char(10) || ?2"
    " WHERE rowid = (SELECT rowid FROM tickets WHERE id = ?1)";
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  fl_sqlite_bind_text (stmt, 2, body);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

gboolean
_fl_store_write_ticket (FlStore   *self,
                        FlTicket  *t,
                        GError   **error)
{
  static const char *sql =
    "INSERT INTO tickets (" TICKET_COLUMNS ", base_version) VALUES ("
    " ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
    " ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34)"
    " ON CONFLICT (id) DO UPDATE SET"
    "  number = excluded.number, version = excluded.version, seq = excluded.seq,"
    "  title = excluded.title, description = excluded.description,"
    "  req_name = excluded.req_name, req_email = excluded.req_email,"
    "  req_phone = excluded.req_phone, req_department = excluded.req_department,"
    "  req_location = excluded.req_location, asset = excluded.asset,"
    "  channel = excluded.channel, category = excluded.category, impact = excluded.impact,"
    "  urgency = excluded.urgency, priority = excluded.priority, status = excluded.status,"
    "  level = excluded.level, queue = excluded.queue, assignee = excluded.assignee,"
    "  resolution_code = excluded.resolution_code,"
    "  resolution_summary = excluded.resolution_summary, created_by = excluded.created_by,"
    "  created_at = excluded.created_at, updated_at = excluded.updated_at,"
    "  resolved_at = excluded.resolved_at, due_at = excluded.due_at,"
    "  waiting_since = excluded.waiting_since, pending = excluded.pending,"
    "  waiting_reason = excluded.waiting_reason, follow_up_at = excluded.follow_up_at,"
    "  attention = excluded.attention,"
    "  base_version = CASE WHEN excluded.pending = 0 THEN excluded.version"
    "                 ELSE tickets.base_version END";
  sqlite3_stmt *stmt;
  gint64 rowid;
  int rc;
  int c = 1;

  /* The rowid is looked up first rather than returned by the upsert: RETURNING
   * made the import much slower (see tests/bench/bench-store.c). A new
   * ticket's rowid is then the last inserted one. */
  rowid = _fl_store_get_rowid (self, t->id);

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;

  fl_sqlite_bind_text (stmt, c++, t->id);
  if (t->number > 0)
    sqlite3_bind_int64 (stmt, c++, t->number);
  else
    sqlite3_bind_null (stmt, c++);
  sqlite3_bind_int64 (stmt, c++, t->version);
  sqlite3_bind_int64 (stmt, c++, t->seq);
  fl_sqlite_bind_text (stmt, c++, t->title);
  fl_sqlite_bind_text (stmt, c++, t->description ? t->description : "");
  fl_sqlite_bind_text (stmt, c++, t->requester.name ? t->requester.name : "");
  fl_sqlite_bind_text (stmt, c++, t->requester.email ? t->requester.email : "");
  fl_sqlite_bind_text (stmt, c++, t->requester.phone ? t->requester.phone : "");
  fl_sqlite_bind_text (stmt, c++, t->requester.department ? t->requester.department : "");
  fl_sqlite_bind_text (stmt, c++, t->requester.location ? t->requester.location : "");
  fl_sqlite_bind_text (stmt, c++, t->asset ? t->asset : "");
  fl_sqlite_bind_text (stmt, c++, fl_channel_to_string (t->channel));
  fl_sqlite_bind_text (stmt, c++, t->category ? t->category : "");
  fl_sqlite_bind_text (stmt, c++, fl_grade_to_string (t->impact));
  fl_sqlite_bind_text (stmt, c++, fl_grade_to_string (t->urgency));
  sqlite3_bind_int (stmt, c++, t->priority);
  fl_sqlite_bind_text (stmt, c++, fl_status_to_string (t->status));
  sqlite3_bind_int (stmt, c++, t->level);
  fl_sqlite_bind_text (stmt, c++, t->queue ? t->queue : "first-level");
  fl_sqlite_bind_text (stmt, c++, t->assignee);
  fl_sqlite_bind_text (stmt, c++, fl_resolution_code_to_string (t->resolution_code));
  fl_sqlite_bind_text (stmt, c++, t->resolution_summary);
  fl_sqlite_bind_text (stmt, c++, t->created_by ? t->created_by : "");
  sqlite3_bind_int64 (stmt, c++, t->created_at);
  sqlite3_bind_int64 (stmt, c++, t->updated_at);
  fl_sqlite_bind_time (stmt, c++, t->resolved_at);
  sqlite3_bind_int64 (stmt, c++, t->due_at);
  fl_sqlite_bind_time (stmt, c++, t->waiting_since);
  sqlite3_bind_int (stmt, c++, (int) t->pending);
  fl_sqlite_bind_text (stmt, c++, t->waiting_reason);
  fl_sqlite_bind_time (stmt, c++, t->follow_up_at);
  /* Decided when written; fl_store_refresh_follow_ups () writes it again when the time comes */
  t->follow_up_due = fl_ticket_is_follow_up_due (t, fl_time_now ());
  sqlite3_bind_int (stmt, c++, t->follow_up_due ? 0 : 1);
  sqlite3_bind_int64 (stmt, c++, t->pending == 0 ? t->version : 0);

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error);

  {
    gboolean is_new = rowid == 0;

    if (is_new)
      rowid = sqlite3_last_insert_rowid (self->db);
    if (!write_fts (self, rowid, is_new, t, error))
      return FALSE;
  }

  return fl_similar_index_ticket (self->db, self->stmts, rowid, t, error);
}

gboolean
_fl_store_write_event (FlStore  *self,
                       FlEvent  *event,
                       GError  **error)
{
  static const char *sql =
    "INSERT INTO events (id, ticket_id, seq, at, author, type, data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, at = excluded.at,"
    "  author = excluded.author, data = excluded.data";
  g_autofree char *data = fl_sqlite_json_object_to_text (event->data);
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;

  fl_sqlite_bind_text (stmt, 1, event->id);
  fl_sqlite_bind_text (stmt, 2, event->ticket_id);
  sqlite3_bind_int64 (stmt, 3, event->seq);
  sqlite3_bind_int64 (stmt, 4, event->at);
  fl_sqlite_bind_text (stmt, 5, event->author);
  fl_sqlite_bind_text (stmt, 6, fl_op_type_to_string (event->type));
  fl_sqlite_bind_text (stmt, 7, data);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

static gint64
get_base_version (FlStore    *self,
                  const char *ticket_id)
{
  static const char *sql = "SELECT base_version FROM tickets WHERE id = ?1";
  sqlite3_stmt *stmt;
  gint64 v = 0;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return 0;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return v;
}

FlTicket *
_fl_store_load_ticket (FlStore     *self,
                       const char  *id,
                       GError     **error)
{
  static const char *sql = "SELECT " TICKET_COLUMNS " FROM tickets WHERE id = ?1";
  sqlite3_stmt *stmt;
  FlTicket *t = NULL;
  int rc;

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;

  fl_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    t = _fl_store_ticket_from_row (stmt);
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND, _("No such ticket: %s"), id);
  else if (rc != SQLITE_ROW)
    set_sqlite_error (self, rc, error);

  return t;
}

const char *
fl_view_to_string (FlView view)
{
  g_return_val_if_fail ((guint) view < FL_N_VIEWS, NULL);

  return view_names[view];
}

gboolean
fl_view_from_string (const char *str,
                     FlView     *out)
{
  for (guint i = 0; i < FL_N_VIEWS; i++)
    {
      if (g_strcmp0 (str, view_names[i]) == 0)
        {
          *out = (FlView) i;
          return TRUE;
        }
    }

  return FALSE;
}

const char *
fl_view_get_label (FlView view)
{
  switch (view)
    {
    case FL_VIEW_INCOMING:  return _("Incoming");
    case FL_VIEW_MINE:      return _("Mine");
    case FL_VIEW_WAITING:   return _("Waiting");
    case FL_VIEW_ESCALATED: return _("Escalated");
    case FL_VIEW_RESOLVED:  return _("Resolved");
    case FL_VIEW_ALL:       return _("All");
    default:                return "";
    }
}

FlTicket *
fl_store_get_ticket (FlStore     *self,
                     const char  *id_or_number,
                     GError     **error)
{
  static const char *sql = "SELECT id FROM tickets WHERE number = ?1";
  g_autofree char *id = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (id_or_number != NULL, NULL);

  if (id_or_number[0] == '#')
    {
      sqlite3_stmt *stmt;
      guint64 number;

      if (!g_ascii_string_to_unsigned (id_or_number + 1, 10, 1, G_MAXINT64, &number, NULL))
        {
          g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                       _("No such ticket: %s"), id_or_number);
          return NULL;
        }

      if (!(stmt = get_stmt (self, sql, error)))
        return NULL;
      sqlite3_bind_int64 (stmt, 1, (gint64) number);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        id = fl_sqlite_column_dup (stmt, 0);
      sqlite3_reset (stmt);

      if (id == NULL)
        {
          g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                       _("No such ticket: %s"), id_or_number);
          return NULL;
        }

      return _fl_store_load_ticket (self, id, error);
    }

  return _fl_store_load_ticket (self, id_or_number, error);
}

GPtrArray *
fl_store_list_events (FlStore     *self,
                      const char  *ticket_id,
                      GError     **error)
{
  /* Confirmed events in server order, then local ones in the order they were made. */
  static const char *sql =
    "SELECT id, ticket_id, seq, at, author, type, data FROM events WHERE ticket_id = ?1"
    " ORDER BY seq = 0, seq, rowid";
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (events, event_from_row (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&events);
}

char *
fl_store_build_match (const char *text)
{
  g_autoptr(GString) match = NULL;
  g_auto(GStrv) words = NULL;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;

  match = g_string_new (NULL);
  words = g_strsplit_set (text, " \t\n\r", -1);

  for (guint i = 0; words[i]; i++)
    {
      const char *w = words[i];
      gboolean has_word_char = FALSE;

      /* Only words with a letter or digit can match: the tokenizer drops the rest. */
      for (const char *p = w; *p; p = g_utf8_next_char (p))
        if (g_unichar_isalnum (g_utf8_get_char (p)))
          has_word_char = TRUE;
      if (!has_word_char)
        continue;

      if (match->len > 0)
        g_string_append_c (match, ' ');
      g_string_append_c (match, '"');
      for (const char *p = w; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (match, '"');
          g_string_append_c (match, *p);
        }
      g_string_append (match, "\"*");
    }

  if (match->len == 0)
    return NULL;

  return g_string_free (g_steal_pointer (&match), FALSE);
}

static char *
build_view_sql (FlView      view,
                const char *what,
                gboolean    with_match,
                const char *tail)
{
  /* Every ticket has its FTS row: in All, the index alone can count. */
  if (with_match && view == FL_VIEW_ALL && g_str_equal (what, "count(*)") && tail == NULL)
    return g_strdup ("SELECT count(*) FROM tickets_fts WHERE tickets_fts MATCH ?2");

  /* "+rowid": walk the view's index in list order and stop after the page,
   * instead of sorting every match. */
  return g_strdup_printf ("SELECT %s FROM tickets INDEXED BY %s WHERE %s%s%s",
                          what, view_index[view], view_where[view],
                          with_match ? " AND +rowid IN (SELECT rowid FROM tickets_fts"
                                       " WHERE tickets_fts MATCH ?2)" : "",
                          tail ? tail : "");
}

/* Dynamic SQL (one text per view and shape) is prepared once and kept. */
static sqlite3_stmt *
get_view_stmt (FlStore     *self,
               FlView       view,
               const char  *what,
               gboolean     with_match,
               const char  *tail,
               GError     **error)
{
  g_autofree char *sql = build_view_sql (view, what, with_match, tail);

  /* interned, so its address keys the statement cache */
  return get_stmt (self, g_intern_string (sql), error);
}

guint
fl_store_count_tickets (FlStore     *self,
                        FlView       view,
                        const char  *query,
                        GError     **error)
{
  g_autofree char *match = NULL;
  sqlite3_stmt *stmt;
  guint count = 0;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), 0);
  g_return_val_if_fail ((guint) view < FL_N_VIEWS, 0);

  match = fl_store_build_match (query);

  if (!(stmt = get_view_stmt (self, view, "count(*)", match != NULL, NULL, error)))
    return 0;

  if (view == FL_VIEW_MINE)
    fl_sqlite_bind_text (stmt, 1, self->username);
  if (match != NULL)
    fl_sqlite_bind_text (stmt, 2, match);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    count = (guint) sqlite3_column_int64 (stmt, 0);
  else
    set_sqlite_error (self, rc, error);
  sqlite3_reset (stmt);

  return count;
}

GPtrArray *
fl_store_query_tickets (FlStore     *self,
                        FlView       view,
                        const char  *query,
                        guint        offset,
                        guint        limit,
                        GError     **error)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *match = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail ((guint) view < FL_N_VIEWS, NULL);

  match = fl_store_build_match (query);

  if (!(stmt = get_view_stmt (self, view, TICKET_COLUMNS, match != NULL,
                              view == FL_VIEW_ALL ? ORDER_TAIL_ALL : ORDER_TAIL, error)))
    return NULL;

  if (view == FL_VIEW_MINE)
    fl_sqlite_bind_text (stmt, 1, self->username);
  if (match != NULL)
    fl_sqlite_bind_text (stmt, 2, match);
  sqlite3_bind_int64 (stmt, 3, limit);
  sqlite3_bind_int64 (stmt, 4, offset);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (tickets, _fl_store_ticket_from_row (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&tickets);
}

/* The rowids of the tickets of @view matching @match (an FTS5 expression from
 * fl_store_build_match()), in list order, read on @db: the search worker's own
 * read-only connection. The matches are joined to their tickets and sorted,
 * so the cost follows the number of matches, not the size of the view. */
GArray *
_fl_store_search_rowids (sqlite3     *db,
                         FlView       view,
                         const char  *username,
                         const char  *match,
                         GError     **error)
{
  g_autoptr(GArray) rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_assert ((guint) view < FL_N_VIEWS);
  g_assert (match != NULL);

  sql = g_strdup_printf ("SELECT t.rowid FROM tickets_fts JOIN tickets AS t"
                         " ON t.rowid = tickets_fts.rowid"
                         " WHERE tickets_fts MATCH ?2 AND %s"
                         " ORDER BY t.attention, t.status IN ('resolved', 'closed'),"
                         " t.priority, t.due_at, t.id",
                         view_where[view]);
  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      if (view == FL_VIEW_MINE)
        fl_sqlite_bind_text (stmt, 1, username);
      fl_sqlite_bind_text (stmt, 2, match);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 rowid = sqlite3_column_int64 (stmt, 0);
          g_array_append_val (rowids, rowid);
        }
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
                   "Could not search: %s", sqlite3_errmsg (db));
      return NULL;
    }

  return g_steal_pointer (&rowids);
}

/* The tickets with @rowids, in that order; a rowid without a ticket (gone since
 * the search) is left out. */
GPtrArray *
_fl_store_load_tickets_by_rowid (FlStore       *self,
                                 const gint64  *rowids,
                                 guint          n_rowids,
                                 GError       **error)
{
  static const char *sql = "SELECT " TICKET_COLUMNS " FROM tickets WHERE rowid = ?1";
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;

  for (guint i = 0; i < n_rowids; i++)
    {
      int rc;

      sqlite3_bind_int64 (stmt, 1, rowids[i]);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        g_ptr_array_add (tickets, _fl_store_ticket_from_row (stmt));
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          set_sqlite_error (self, rc, error);
          return NULL;
        }
    }

  return g_steal_pointer (&tickets);
}

gint64
_fl_store_get_rowid (FlStore    *self,
                     const char *id)
{
  static const char *sql = "SELECT rowid FROM tickets WHERE id = ?1";
  sqlite3_stmt *stmt;
  gint64 rowid = 0;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return 0;
  fl_sqlite_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    rowid = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return rowid;
}

int
fl_store_compare_tickets (FlTicket *a,
                          FlTicket *b)
{
  gboolean a_done = a->status == FL_STATUS_RESOLVED || a->status == FL_STATUS_CLOSED;
  gboolean b_done = b->status == FL_STATUS_RESOLVED || b->status == FL_STATUS_CLOSED;

  if (a->follow_up_due != b->follow_up_due)
    return a->follow_up_due ? -1 : 1;
  if (a_done != b_done)
    return a_done ? 1 : -1;
  if (a->priority != b->priority)
    return a->priority < b->priority ? -1 : 1;
  if (a->due_at != b->due_at)
    return a->due_at < b->due_at ? -1 : 1;
  return strcmp (a->id, b->id);
}

gboolean
fl_store_ticket_in_view (FlStore  *self,
                         FlView    view,
                         FlTicket *t)
{
  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (FL_IS_TICKET (t), FALSE);

  switch (view)
    {
    case FL_VIEW_INCOMING:
      return t->assignee == NULL && t->level == 1 &&
             (t->status == FL_STATUS_NEW || t->status == FL_STATUS_IN_PROGRESS ||
              t->status == FL_STATUS_WAITING);
    case FL_VIEW_MINE:
      return g_strcmp0 (t->assignee, self->username) == 0 && fl_status_is_open (t->status);
    case FL_VIEW_WAITING:
      return t->status == FL_STATUS_WAITING;
    case FL_VIEW_ESCALATED:
      return t->status == FL_STATUS_ESCALATED;
    case FL_VIEW_RESOLVED:
      return !fl_status_is_open (t->status);
    case FL_VIEW_ALL:
      return TRUE;
    default:
      return FALSE;
    }
}

guint
fl_store_count_before (FlStore     *self,
                       FlView       view,
                       FlTicket    *ticket,
                       GHashTable  *exclude,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  GHashTableIter iter;
  gpointer key;
  gint64 count = 0;
  int rc;

  g_return_val_if_fail (FL_IS_STORE (self), 0);
  g_return_val_if_fail (FL_IS_TICKET (ticket), 0);

  if (!(stmt = get_view_stmt (self, view, "count(*)", FALSE,
                              view == FL_VIEW_ALL
                              ? " AND (attention, status IN ('resolved', 'closed'), priority, due_at, id)"
                                " < (?8, ?4, ?5, ?6, ?7)"
                              : " AND (attention, priority, due_at, id) < (?8, ?5, ?6, ?7)", error)))
    return 0;

  if (view == FL_VIEW_MINE)
    fl_sqlite_bind_text (stmt, 1, self->username);
  if (view == FL_VIEW_ALL)
    sqlite3_bind_int (stmt, 4, ticket->status == FL_STATUS_RESOLVED || ticket->status == FL_STATUS_CLOSED);
  sqlite3_bind_int (stmt, 5, ticket->priority);
  sqlite3_bind_int64 (stmt, 6, ticket->due_at);
  fl_sqlite_bind_text (stmt, 7, ticket->id);
  sqlite3_bind_int (stmt, 8, ticket->follow_up_due ? 0 : 1);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (self, rc, error);
      return 0;
    }

  if (exclude == NULL)
    return (guint) count;

  /* Leave out the rows the caller accounts for itself. */
  g_hash_table_iter_init (&iter, exclude);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(FlTicket) other = _fl_store_load_ticket (self, key, NULL);

      if (other != NULL &&
          fl_store_ticket_in_view (self, view, other) &&
          fl_store_compare_tickets (other, ticket) < 0)
        count--;
    }

  return (guint) MAX (count, 0);
}

/* One local action inside the caller's transaction: changes the ticket, appends
 * its event, queues its op; adds the change to @changes. */
FlTicket *
_fl_store_apply_local_in_transaction (FlStore     *self,
                                      const char  *ticket_id,
                                      FlOpType     type,
                                      JsonObject  *data,
                                      GPtrArray   *changes,
                                      GError     **error)
{
  g_autoptr(FlTicket) current = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(FlEvent) event = NULL;
  g_autoptr(FlOp) op = NULL;
  g_autofree char *op_id = NULL;
  gint64 base_version = 0;
  gint64 now;

  g_assert (self->in_transaction);

  if (type != FL_OP_CREATE)
    {
      if (!(current = _fl_store_load_ticket (self, ticket_id, error)))
        return NULL;
      base_version = get_base_version (self, ticket_id);
    }

  now = fl_time_now ();
  /* Local times never go backwards within a ticket, so the timeline keeps its order. */
  if (current != NULL && now < current->updated_at)
    now = current->updated_at;

  op_id = fl_uuid_new ();
  op = fl_op_new (op_id, ticket_id, type, base_version, now, data);

  if (!(updated = fl_ticket_apply (current, op, self->username, self->role,
                                   fl_store_get_policy (self), &event_data, error)))
    return NULL;

  /* Our own changes are pending until the server acknowledges them. */
  updated->pending = (current ? current->pending : 0) + 1;
  if (current != NULL)
    {
      updated->number = current->number;
      updated->seq = current->seq;
    }

  event = fl_event_new (op_id, ticket_id, 0, now, self->username, type, event_data);

  if (!_fl_store_write_ticket (self, updated, error) ||
      !_fl_store_write_event (self, event, error) ||
      (type == FL_OP_NOTE &&
       !_fl_store_append_fts_note (self, ticket_id,
                                   _fl_json_string_member (data, "body", ""), error)) ||
      !_fl_store_queue_op (self, op, error))
    return NULL;

  _fl_store_changes_add (changes, current, updated);
  return g_steal_pointer (&updated);
}

FlTicket *
fl_store_apply_local (FlStore     *self,
                      const char  *ticket_id,
                      FlOpType     type,
                      JsonObject  *data,
                      GError     **error)
{
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(FlTicket) updated = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (fl_uuid_is_valid (ticket_id), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (!_fl_store_begin (self, error))
    return NULL;

  changes = _fl_store_changes_new ();
  if (!(updated = _fl_store_apply_local_in_transaction (self, ticket_id, type, data, changes,
                                                         error)))
    {
      _fl_store_rollback (self);
      return NULL;
    }

  if (!_fl_store_commit (self, error))
    return NULL;

  _fl_store_emit_changed (self, FL_STORE_ORIGIN_LOCAL, g_steal_pointer (&changes));
  return g_steal_pointer (&updated);
}

FlTicket *
fl_store_create_ticket (FlStore     *self,
                        JsonObject  *fields,
                        GError     **error)
{
  g_autofree char *id = fl_uuid_new ();

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (fields != NULL, NULL);

  return fl_store_apply_local (self, id, FL_OP_CREATE, fields, error);
}

FlTicket *
fl_store_update_ticket (FlStore     *self,
                        const char  *ticket_id,
                        JsonObject  *changes,
                        GError     **error)
{
  return fl_store_apply_local (self, ticket_id, FL_OP_UPDATE, changes, error);
}

FlTicket *
fl_store_add_note (FlStore     *self,
                   const char  *ticket_id,
                   const char  *body,
                   gboolean     internal,
                   GError     **error)
{
  g_autoptr(JsonObject) data = json_object_new ();
  /* a handler of "changed" may free the caller's copy of the id */
  g_autofree char *id = g_strdup (ticket_id);
  FlTicket *ticket;

  g_return_val_if_fail (body != NULL, NULL);

  json_object_set_string_member (data, "body", body);
  json_object_set_boolean_member (data, "internal", internal);

  ticket = fl_store_apply_local (self, id, FL_OP_NOTE, data, error);

  /* The draft is done with once the note is safely in the cache. */
  if (ticket != NULL)
    fl_store_set_draft (self, id, NULL, FALSE, NULL);

  return ticket;
}

FlTicket *
fl_store_claim (FlStore     *self,
                const char  *ticket_id,
                GError     **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  return fl_store_apply_local (self, ticket_id, FL_OP_CLAIM, data, error);
}

FlTicket *
fl_store_resolve (FlStore          *self,
                  const char       *ticket_id,
                  FlResolutionCode  code,
                  const char       *summary,
                  GError          **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  g_return_val_if_fail (code != FL_RESOLUTION_NONE, NULL);

  json_object_set_string_member (data, "code", fl_resolution_code_to_string (code));
  json_object_set_string_member (data, "summary", summary ? summary : "");

  return fl_store_apply_local (self, ticket_id, FL_OP_RESOLVE, data, error);
}

FlTicket *
fl_store_reopen (FlStore     *self,
                 const char  *ticket_id,
                 const char  *reason,
                 GError     **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "reason", reason ? reason : "");

  return fl_store_apply_local (self, ticket_id, FL_OP_REOPEN, data, error);
}

gboolean
fl_store_put_tickets (FlStore    *self,
                      GPtrArray  *tickets,
                      GPtrArray  *events,
                      GError    **error)
{
  g_autoptr(GPtrArray) changes = _fl_store_changes_new ();

  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (tickets != NULL, FALSE);

  if (!_fl_store_begin (self, error))
    return FALSE;

  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *t = g_ptr_array_index (tickets, i);
      g_autoptr(FlTicket) old = _fl_store_load_ticket (self, t->id, NULL);

      if (!_fl_store_write_ticket (self, t, error))
        goto failed;
      _fl_store_changes_add (changes, old, t);
    }

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      FlEvent *e = g_ptr_array_index (events, i);

      if (!_fl_store_write_event (self, e, error))
        goto failed;
      if (e->type == FL_OP_NOTE &&
          !_fl_store_append_fts_note (self, e->ticket_id,
                                      _fl_json_string_member (e->data, "body", ""),
                                      error))
        goto failed;
    }

  if (!_fl_store_commit (self, error))
    return FALSE;

  /* The planner picks each view's own index only with statistics. */
  if (tickets->len >= 1000)
    exec_sql (self, "ANALYZE", NULL);

  _fl_store_emit_changed (self, FL_STORE_ORIGIN_SYNC, g_steal_pointer (&changes));
  return TRUE;

failed:
  _fl_store_rollback (self);
  return FALSE;
}

/* The ids of waiting tickets whose follow-up time passed (@due) or is still to come. */
static GPtrArray *
list_follow_ups (FlStore     *self,
                 gint64       now,
                 gboolean     due,
                 gint64      *out_next,
                 GError     **error)
{
  static const char *sql =
    "SELECT id, follow_up_at, attention FROM tickets"
    " WHERE status = 'waiting' AND follow_up_at IS NOT NULL ORDER BY follow_up_at";
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  *out_next = 0;
  if (!(stmt = get_stmt (self, sql, error)))
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 at = sqlite3_column_int64 (stmt, 1);

      if (at <= now)
        {
          /* listed first already: nothing to write */
          if (due && sqlite3_column_int (stmt, 2) != 0)
            g_ptr_array_add (ids, fl_sqlite_column_dup (stmt, 0));
        }
      else if (*out_next == 0)
        *out_next = at;
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&ids);
}

gint64
fl_store_get_next_follow_up (FlStore *self)
{
  g_autoptr(GPtrArray) ids = NULL;
  gint64 next = 0;

  g_return_val_if_fail (FL_IS_STORE (self), 0);

  ids = list_follow_ups (self, fl_time_now (), FALSE, &next, NULL);
  return next;
}

guint
fl_store_refresh_follow_ups (FlStore  *self,
                             GError  **error)
{
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  gint64 next = 0;
  guint n;

  g_return_val_if_fail (FL_IS_STORE (self), 0);

  ids = list_follow_ups (self, fl_time_now (), TRUE, &next, error);
  if (ids == NULL || ids->len == 0)
    return 0;

  if (!_fl_store_begin (self, error))
    return 0;

  changes = _fl_store_changes_new ();
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(FlTicket) old = _fl_store_load_ticket (self, g_ptr_array_index (ids, i), error);
      g_autoptr(FlTicket) t = NULL;

      if (old == NULL)
        {
          _fl_store_rollback (self);
          return 0;
        }
      t = fl_ticket_copy (old);
      if (!_fl_store_write_ticket (self, t, error))
        {
          _fl_store_rollback (self);
          return 0;
        }
      _fl_store_changes_add (changes, old, t);
    }

  if (!_fl_store_commit (self, error))
    return 0;

  n = changes->len;
  _fl_store_emit_changed (self, FL_STORE_ORIGIN_LOCAL, g_steal_pointer (&changes));
  return n;
}
