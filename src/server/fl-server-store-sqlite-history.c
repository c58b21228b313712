/* fl-server-store-sqlite-history.c — ticket reads and the history query of the SQLite store
 *
 * One ticket and its events by id, the latest sequence number, and the history query:
 * filters (also the reports' drill-down), full-text search, paging and cached totals.
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
/* Tickets */

gint64
_fl_sqlite_conn_get_latest_seq (Conn *self)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = _fl_sqlite_prepare (self, "SELECT value FROM meta WHERE key = 'seq'", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

FlTicket *
_fl_sqlite_load_ticket (Conn       *self,
                        const char *ticket_id,
                        GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonNode) node = NULL;
  int rc;

  stmt = _fl_sqlite_prepare (self, "SELECT json FROM tickets WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, ticket_id);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND, "unknown ticket");
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      _fl_sqlite_db_error (self, error, "load ticket");
      return NULL;
    }

  node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0));
  if (node == NULL)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   "stored ticket %s is not JSON", ticket_id);
      return NULL;
    }
  return fl_ticket_from_json (node, error);
}

FlTicket *
_fl_sqlite_conn_get_ticket (Conn       *self,
                            const char *ticket_id)
{
  g_autoptr(GError) error = NULL;
  FlTicket *ticket;

  g_return_val_if_fail (self != NULL, NULL);

  ticket = _fl_sqlite_load_ticket (self, ticket_id, &error);
  if (ticket == NULL &&
      !g_error_matches (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND))
    g_warning ("Cannot load ticket: %s", error->message);
  return ticket;
}

gboolean
_fl_sqlite_conn_has_ticket (Conn       *self,
                            const char *ticket_id)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  stmt = _fl_sqlite_prepare (self, "SELECT 1 FROM tickets WHERE id = ?", NULL);
  if (stmt == NULL)
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  return sqlite3_step (stmt) == SQLITE_ROW;
}


FlEvent *
_fl_sqlite_event_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonNode) data = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 6));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string (fl_sqlite_column_text (stmt, 5), &type);
  return fl_event_new (fl_sqlite_column_text (stmt, 1), fl_sqlite_column_text (stmt, 2),
                       sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 3),
                       fl_sqlite_column_text (stmt, 4), type,
                       data && JSON_NODE_HOLDS_OBJECT (data) ? json_node_get_object (data) : NULL);
}

GPtrArray *
_fl_sqlite_conn_get_events (Conn       *self,
                            const char *ticket_id)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);

  stmt = _fl_sqlite_prepare (self,
                             "SELECT seq, id, ticket_id, at, author, type, data FROM events "
                             "WHERE ticket_id = ? ORDER BY seq", NULL);
  if (stmt == NULL)
    return events;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (events, _fl_sqlite_event_from_row (stmt));
  return events;
}

/* Turns free text into an FTS5 query of quoted prefix terms: no query syntax leaks through. */
static char *
fts_query (const char *q)
{
  g_auto(GStrv) words = g_strsplit_set (q, " \t\r\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; words[i]; i++)
    {
      g_autofree char *escaped = NULL;
      g_auto(GStrv) parts = NULL;

      if (*words[i] == '\0')
        continue;
      parts = g_strsplit (words[i], "\"", -1);
      escaped = g_strjoinv ("\"\"", parts);
      g_string_append_printf (out, "%s\"%s\"*", out->len ? " " : "", escaped);
    }

  return g_string_free (out, FALSE);
}

/* Full-text matches above this many walk the list's index (see _fl_sqlite_conn_query_tickets). */
#define FTS_WALK_MIN 2000

static void
bind_params (sqlite3_stmt *stmt,
             GPtrArray    *params,
             GArray       *ints)
{
  for (guint i = 0; i < params->len; i++)
    {
      const char *text = g_ptr_array_index (params, i);

      if (text != NULL)
        fl_sqlite_bind_text (stmt, i + 1, text);
      else
        sqlite3_bind_int64 (stmt, i + 1, g_array_index (ints, gint64, i));
    }
}

/* The summary report's definitions, for the drill-down (_fl_sqlite_conn_report () counts the same). */
#define KPI_RESOLVED "(resolution_code IS NOT NULL AND resolved_at IS NOT NULL)"
#define KPI_OPEN "status IN ('new', 'in_progress', 'waiting', 'escalated')"

GPtrArray *
_fl_sqlite_conn_query_tickets (Conn                *self,
                               const FlTicketQuery *query,
                               gint64              *total,
                               GError             **error)
{
  g_autoptr(GString) where = g_string_new ("1");
  g_autoptr(GPtrArray) params = g_ptr_array_new ();   /* const char * or NULL for ints */
  g_autoptr(GArray) ints = g_array_new (FALSE, TRUE, sizeof (gint64));
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FlSqliteStmt) count = NULL;
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autofree char *fts = NULL;
  g_autofree char *sql_count = NULL;
  g_autofree char *sql = NULL;
  gint64 zero = 0;
  int rc;

#define ADD_TEXT(cond, value) \
  G_STMT_START { g_string_append (where, cond); g_ptr_array_add (params, (gpointer) (value)); \
                 g_array_append_val (ints, zero); } G_STMT_END
#define ADD_INT(cond, value) \
  G_STMT_START { gint64 v_ = (value); g_string_append (where, cond); \
                 g_ptr_array_add (params, NULL); g_array_append_val (ints, v_); } G_STMT_END

  if (query->status)
    ADD_TEXT (" AND status = ?", query->status);
  if (query->category)
    ADD_TEXT (" AND category = ?", query->category);
  if (query->assignee)
    ADD_TEXT (" AND assignee = ?", query->assignee);
  if (query->level)
    ADD_INT (" AND level = ?", query->level);
  if (query->queue)
    ADD_TEXT (" AND queue = ?", query->queue);
  if (query->from)
    ADD_INT (" AND created_at >= ?", query->from);
  if (query->to)
    ADD_INT (" AND created_at < ?", query->to);
  if (query->resolved_by)
    ADD_TEXT (" AND resolved_by = ? AND resolution_code IS NOT NULL", query->resolved_by);
  if (query->resolved_from)
    ADD_INT (" AND " KPI_RESOLVED " AND resolved_at >= ?", query->resolved_from);
  if (query->resolved_to)
    ADD_INT (" AND " KPI_RESOLVED " AND resolved_at < ?", query->resolved_to);
  if (query->handed_off_by)
    ADD_TEXT (" AND rowid IN (SELECT ticket FROM report_handoffs WHERE author = ?)",
              query->handed_off_by);
  switch (query->kpi)
    {
    case FL_REPORT_KPI_NONE:
      break;
    case FL_REPORT_KPI_RESOLVED:
      g_string_append (where, " AND " KPI_RESOLVED);
      break;
    case FL_REPORT_KPI_OPEN:
      g_string_append (where, " AND " KPI_OPEN);
      break;
    case FL_REPORT_KPI_ESCALATED:
      g_string_append (where, " AND handoffs > 0");
      break;
    case FL_REPORT_KPI_FIRST_CONTACT:
      g_string_append (where, " AND " KPI_RESOLVED " AND handoffs = 0"
                              " AND resolution_code = 'first_contact'");
      break;
    case FL_REPORT_KPI_LEVEL1:
      g_string_append (where, " AND " KPI_RESOLVED " AND handoffs = 0");
      break;
    case FL_REPORT_KPI_REOPENED:
      g_string_append (where, " AND reopened_7d > 0");
      break;
    case FL_REPORT_KPI_BREACHED:
      ADD_INT (" AND due_at IS NOT NULL AND ((" KPI_RESOLVED " AND resolved_at > due_at) OR"
               " (" KPI_OPEN " AND CASE WHEN status = 'waiting' AND waiting_since IS NOT NULL"
               " THEN waiting_since > due_at ELSE due_at < ? END))", query->now);
      break;
    case FL_REPORT_KPI_AGE_LT_4H:
    case FL_REPORT_KPI_AGE_4H_24H:
    case FL_REPORT_KPI_AGE_1D_3D:
    case FL_REPORT_KPI_AGE_3D_7D:
    case FL_REPORT_KPI_AGE_GT_7D:
      {
        static const gint64 edges[] = { 0, 4 * HOUR_MS, DAY_MS, 3 * DAY_MS, 7 * DAY_MS,
                                        G_MAXINT64 / 2 };
        guint k = query->kpi - FL_REPORT_KPI_AGE_LT_4H;

        /* age = now − created_at in [edges[k], edges[k + 1]) */
        g_string_append (where, " AND " KPI_OPEN);
        ADD_INT (" AND created_at <= ?", query->now - edges[k]);
        ADD_INT (" AND created_at > ?", query->now - edges[k + 1]);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  if (query->q && *query->q)
    {
      fts = fts_query (query->q);
      if (*fts)
        ADD_TEXT (" AND rowid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)", fts);
    }

#undef ADD_TEXT
#undef ADD_INT

  sql_count = g_strdup_printf ("SELECT COUNT(*) FROM tickets WHERE %s", where->str);
  /* One text per combination of filters: few enough to keep each prepared. */
  count = _fl_sqlite_prepare (self, g_intern_string (sql_count), error);
  if (count == NULL)
    return NULL;
  bind_params (count, params, ints);

  /* The total of one filter is counted once per state of the database: the next pages
   * of the same history reuse it. */
  {
    g_autofree char *key = NULL;
    gint64 seq = _fl_sqlite_meta_get (self, "seq", 0);
    GString *k = g_string_new (sql_count);
    CountEntry *entry;

    for (guint i = 0; i < params->len; i++)
      {
        const char *text = g_ptr_array_index (params, i);

        if (text != NULL)
          g_string_append_printf (k, "\x1f%s", text);
        else
          g_string_append_printf (k, "\x1f%" G_GINT64_FORMAT, g_array_index (ints, gint64, i));
      }
    key = g_string_free (k, FALSE);
    entry = g_hash_table_lookup (self->counts, key);
    if (entry != NULL && entry->seq == seq && query->kpi != FL_REPORT_KPI_BREACHED &&
        (query->kpi < FL_REPORT_KPI_AGE_LT_4H || query->kpi > FL_REPORT_KPI_AGE_GT_7D))
      *total = entry->total;
    else
      {
        if (sqlite3_step (count) != SQLITE_ROW)
          {
            _fl_sqlite_db_error (self, error, "count");
            return NULL;
          }
        *total = sqlite3_column_int64 (count, 0);
        if (g_hash_table_size (self->counts) >= COUNT_CACHE_MAX)
          g_hash_table_remove_all (self->counts);
        entry = g_new (CountEntry, 1);
        entry->seq = seq;
        entry->total = *total;
        g_hash_table_replace (self->counts, g_steal_pointer (&key), entry);
      }
  }

  /* The page's rows are found in an index, only theirs is the json read. A full-text
   * match with many tickets is checked while walking the index in the list's order
   * ("+rowid": the first page needs only the newest matches); one with few is looked
   * up ticket by ticket and sorted. The keyset cursor is a row value the indexes on
   * (…, created_at, number) answer directly. */
  {
    g_autoptr(GString) page_where = g_string_new (where->str);

    if (fts != NULL && *total > FTS_WALK_MIN)
      g_string_replace (page_where, " AND rowid IN (SELECT rowid FROM tickets_fts",
                        " AND +rowid IN (SELECT rowid FROM tickets_fts", 1);
    sql = g_strdup_printf ("SELECT json FROM tickets WHERE rowid IN ("
                           " SELECT rowid FROM tickets WHERE %s%s"
                           " ORDER BY created_at DESC, number DESC LIMIT ? OFFSET ?) "
                           "ORDER BY created_at DESC, number DESC", page_where->str,
                           query->after_number > 0 ? " AND (created_at, number) < (?, ?)" : "");
  }
  stmt = _fl_sqlite_prepare (self, g_intern_string (sql), error);
  if (stmt == NULL)
    return NULL;
  bind_params (stmt, params, ints);
  {
    int next = params->len + 1;

    if (query->after_number > 0)
      {
        sqlite3_bind_int64 (stmt, next++, query->after_created_at);
        sqlite3_bind_int64 (stmt, next++, query->after_number);
      }
    sqlite3_bind_int64 (stmt, next++, query->limit);
    sqlite3_bind_int64 (stmt, next, query->offset);
  }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(JsonNode) node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0));
      FlTicket *t = node ? fl_ticket_from_json (node, NULL) : NULL;

      if (t != NULL)
        g_ptr_array_add (tickets, t);
    }
  if (rc != SQLITE_DONE)
    {
      _fl_sqlite_db_error (self, error, "query");
      return NULL;
    }

  return g_steal_pointer (&tickets);
}
