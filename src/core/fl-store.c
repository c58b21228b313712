/* fl-store.c — the local SQLite cache
 *
 * One SQLite file in WAL mode holds the tickets as the agent sees them, their
 * events, the outbox of ops not yet acknowledged by the server, note drafts,
 * checklists and the sync state. Every user action is one transaction that
 * changes the ticket, appends its event and queues its op.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-checklist.h"
#include "fl-store-private.h"

struct _FlStore
{
  GObject     parent_instance;

  /* owned */
  char       *path;
  sqlite3    *db;
  GHashTable *stmts;           /* const char *sql (static) → sqlite3_stmt */
  char       *client_id;
  char       *username;
  FlRole      role;
  int         schema_version;
  GHashTable *changed_at;      /* ticket id → the serial of its last "changed" */
  guint64     serial;
  guint       pending_ops;
  guint       conflicts;
  guint       rejected;
  FlStoreOrigin emitting;      /* the origin of the emission running now */
  guint       in_transaction : 1;
};

G_DEFINE_FINAL_TYPE (FlStore, fl_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (fl-store-error-quark, fl_store_error)

G_DEFINE_ENUM_TYPE (FlStoreOrigin, fl_store_origin,
                    G_DEFINE_ENUM_VALUE (FL_STORE_ORIGIN_LOCAL, "local"),
                    G_DEFINE_ENUM_VALUE (FL_STORE_ORIGIN_SYNC, "sync"),
                    G_DEFINE_ENUM_VALUE (FL_STORE_ORIGIN_RESET, "reset"))

enum {
  PROP_0,
  PROP_PENDING_OPS,
  PROP_CONFLICTS,
  PROP_REJECTED,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];
static GQuark origin_details [FL_STORE_ORIGIN_RESET + 1];

/* Schema migrations: migrations[k] takes a file from version k to k + 1. */
static const char * const migrations[] = {
  /* 0 → 1: the first schema */
  "CREATE TABLE tickets ("
  "  rowid INTEGER PRIMARY KEY,"
  "  id TEXT NOT NULL UNIQUE,"
  "  number INTEGER,"
  "  version INTEGER NOT NULL,"
  "  base_version INTEGER NOT NULL DEFAULT 0,"
  "  seq INTEGER NOT NULL DEFAULT 0,"
  "  title TEXT NOT NULL,"
  "  description TEXT NOT NULL DEFAULT '',"
  "  req_name TEXT NOT NULL,"
  "  req_email TEXT NOT NULL DEFAULT '',"
  "  req_phone TEXT NOT NULL DEFAULT '',"
  "  req_department TEXT NOT NULL DEFAULT '',"
  "  req_location TEXT NOT NULL DEFAULT '',"
  "  asset TEXT NOT NULL DEFAULT '',"
  "  channel TEXT NOT NULL,"
  "  category TEXT NOT NULL,"
  "  impact TEXT NOT NULL,"
  "  urgency TEXT NOT NULL,"
  "  priority INTEGER NOT NULL,"
  "  status TEXT NOT NULL,"
  "  level INTEGER NOT NULL,"
  "  queue TEXT NOT NULL,"
  "  assignee TEXT,"
  "  resolution_code TEXT,"
  "  resolution_summary TEXT,"
  "  created_by TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  resolved_at INTEGER,"
  "  due_at INTEGER NOT NULL,"
  "  waiting_since INTEGER,"
  "  pending INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX tickets_by_priority ON tickets (priority, due_at, id);"
  "CREATE INDEX tickets_by_status ON tickets (status, priority, due_at, id);"
  "CREATE INDEX tickets_incoming ON tickets (priority, due_at, id)"
  "  WHERE assignee IS NULL AND level = 1 AND status IN ('new', 'in_progress', 'waiting');"
  "CREATE INDEX tickets_mine ON tickets (assignee, priority, due_at, id)"
  "  WHERE status IN ('new', 'in_progress', 'waiting', 'escalated');"
  "CREATE INDEX tickets_resolved ON tickets (priority, due_at, id)"
  "  WHERE status IN ('resolved', 'closed');"
  "CREATE UNIQUE INDEX tickets_number ON tickets (number) WHERE number IS NOT NULL;"
  "CREATE TABLE events ("
  "  rowid INTEGER PRIMARY KEY,"
  "  id TEXT NOT NULL UNIQUE,"
  "  ticket_id TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,"
  "  seq INTEGER NOT NULL DEFAULT 0,"
  "  at INTEGER NOT NULL,"
  "  author TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  data TEXT NOT NULL"
  ");"
  "CREATE INDEX events_by_ticket ON events (ticket_id, seq, at);"
  "CREATE TABLE outbox ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  op_id TEXT NOT NULL UNIQUE,"
  "  ticket_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  base_version INTEGER NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  data TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending',"
  "  error TEXT"
  ");"
  "CREATE INDEX outbox_by_ticket ON outbox (ticket_id);"
  "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
  "CREATE TABLE checklists ("
  "  id TEXT NOT NULL,"
  "  version INTEGER NOT NULL,"
  "  category TEXT NOT NULL,"
  "  definition TEXT NOT NULL,"
  "  PRIMARY KEY (id, version)"
  ");"
  "CREATE VIRTUAL TABLE tickets_fts USING fts5 ("
  "  title, description, requester, notes, extra,"
  "  tokenize = 'unicode61 remove_diacritics 2'"
  ");",

  /* 1 → 2: note drafts, conflicts, and the server's copy of a ticket that has
   * unsent changes (so a pull can rebase the local ops on it) */
  "CREATE TABLE drafts ("
  "  ticket_id TEXT PRIMARY KEY,"
  "  body TEXT NOT NULL,"
  "  internal INTEGER NOT NULL DEFAULT 0,"
  "  updated_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE conflicts ("
  "  id TEXT PRIMARY KEY,"
  "  ticket_id TEXT NOT NULL,"
  "  op_id TEXT NOT NULL UNIQUE,"
  "  fields TEXT NOT NULL,"
  "  theirs TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "ALTER TABLE tickets ADD COLUMN server_state TEXT;",

  /* 2 → 3: prefix indexes, so that searching as you type stays fast */
  "CREATE VIRTUAL TABLE tickets_fts_new USING fts5 ("
  "  title, description, requester, notes, extra,"
  "  tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'"
  ");"
  "INSERT INTO tickets_fts_new (rowid, title, description, requester, notes, extra)"
  "  SELECT rowid, title, description, requester, notes, extra FROM tickets_fts;"
  "DROP TABLE tickets_fts;"
  "ALTER TABLE tickets_fts_new RENAME TO tickets_fts;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == FL_STORE_SCHEMA_VERSION);

#define TICKET_COLUMNS \
  "id, number, version, seq, title, description, req_name, req_email, req_phone, " \
  "req_department, req_location, asset, channel, category, impact, urgency, priority, " \
  "status, level, queue, assignee, resolution_code, resolution_summary, created_by, " \
  "created_at, updated_at, resolved_at, due_at, waiting_since, pending"

static const char * const view_names[] = {
  "incoming", "mine", "waiting", "escalated", "resolved", "all"
};

/* The WHERE terms match the partial indexes above word for word. */
static const char * const view_where[] = {
  "assignee IS NULL AND level = 1 AND status IN ('new', 'in_progress', 'waiting')",
  "assignee = ?1 AND status IN ('new', 'in_progress', 'waiting', 'escalated')",
  "status = 'waiting'",
  "status = 'escalated'",
  "status IN ('resolved', 'closed')",
  "1",
};

G_STATIC_ASSERT (G_N_ELEMENTS (view_names) == FL_N_VIEWS);
G_STATIC_ASSERT (G_N_ELEMENTS (view_where) == FL_N_VIEWS);

/* -------------------------------------------------------------------------- */

static gboolean
set_sqlite_error (FlStore  *self,
                  int       rc,
                  GError  **error)
{
  g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
               _("The local cache could not be written: %s"),
               self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
exec_sql (FlStore     *self,
          const char  *sql,
          GError     **error)
{
  char *errmsg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
                   _("The local cache could not be written: %s"), errmsg ? errmsg : "?");
      sqlite3_free (errmsg);
      return FALSE;
    }

  return TRUE;
}

/* Prepared statements are cached by the address of their (static) SQL text. */
static sqlite3_stmt *
get_stmt (FlStore     *self,
          const char  *sql,
          GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, sql);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (self, SQLITE_ERROR, error);
      return NULL;
    }

  g_hash_table_insert (self->stmts, (gpointer) sql, stmt);
  return stmt;
}

/* Runs a statement that returns no rows, and resets it for the next use. */
static gboolean
step_done (FlStore       *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error);

  return TRUE;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           idx,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, idx);
  else
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
}

static void
bind_time (sqlite3_stmt *stmt,
           int           idx,
           gint64        ms)
{
  if (ms == 0)
    sqlite3_bind_null (stmt, idx);
  else
    sqlite3_bind_int64 (stmt, idx, ms);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text ? g_strdup ((const char *) text) : NULL;
}

static char *
json_object_to_text (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), obj);

  return json_to_string (node, FALSE);
}

static JsonObject *
json_object_from_text (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return json_object_new ();

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return json_object_new ();

  return json_object_ref (json_node_get_object (root));
}

static FlTicket *
ticket_from_row (sqlite3_stmt *stmt)
{
  FlTicket *t = g_object_new (FL_TYPE_TICKET, NULL);
  int c = 0;

  t->id = column_dup (stmt, c++);
  t->number = sqlite3_column_int64 (stmt, c++);
  t->version = sqlite3_column_int64 (stmt, c++);
  t->seq = sqlite3_column_int64 (stmt, c++);
  t->title = column_dup (stmt, c++);
  t->description = column_dup (stmt, c++);
  t->requester.name = column_dup (stmt, c++);
  t->requester.email = column_dup (stmt, c++);
  t->requester.phone = column_dup (stmt, c++);
  t->requester.department = column_dup (stmt, c++);
  t->requester.location = column_dup (stmt, c++);
  t->asset = column_dup (stmt, c++);
  fl_channel_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->channel);
  t->category = column_dup (stmt, c++);
  fl_grade_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->impact);
  fl_grade_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->urgency);
  t->priority = CLAMP (sqlite3_column_int (stmt, c), 1, 4); c++;
  fl_status_from_string ((const char *) sqlite3_column_text (stmt, c++), &t->status);
  t->level = sqlite3_column_int (stmt, c++);
  t->queue = column_dup (stmt, c++);
  t->assignee = column_dup (stmt, c++);
  if (!fl_resolution_code_from_string ((const char *) sqlite3_column_text (stmt, c++),
                                       &t->resolution_code))
    t->resolution_code = FL_RESOLUTION_NONE;
  t->resolution_summary = column_dup (stmt, c++);
  t->created_by = column_dup (stmt, c++);
  t->created_at = sqlite3_column_int64 (stmt, c++);
  t->updated_at = sqlite3_column_int64 (stmt, c++);
  t->resolved_at = sqlite3_column_int64 (stmt, c++);
  t->due_at = sqlite3_column_int64 (stmt, c++);
  t->waiting_since = sqlite3_column_int64 (stmt, c++);
  t->pending = (guint) sqlite3_column_int (stmt, c++);

  return t;
}

static FlEvent *
event_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonObject) data = json_object_from_text ((const char *) sqlite3_column_text (stmt, 6));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string ((const char *) sqlite3_column_text (stmt, 5), &type);

  return fl_event_new ((const char *) sqlite3_column_text (stmt, 0),
                       (const char *) sqlite3_column_text (stmt, 1),
                       sqlite3_column_int64 (stmt, 2),
                       sqlite3_column_int64 (stmt, 3),
                       (const char *) sqlite3_column_text (stmt, 4),
                       type, data);
}

/* An outbox row: op_id, ticket_id, type, base_version, at, data (in that order). */
static FlOp *
op_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonObject) data = json_object_from_text ((const char *) sqlite3_column_text (stmt, 5));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string ((const char *) sqlite3_column_text (stmt, 2), &type);
  return fl_op_new ((const char *) sqlite3_column_text (stmt, 0),
                    (const char *) sqlite3_column_text (stmt, 1),
                    type, sqlite3_column_int64 (stmt, 3), sqlite3_column_int64 (stmt, 4), data);
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

  if (!(stmt = get_stmt (self, sql_notes, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rowid);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    notes = column_dup (stmt, 0);
  sqlite3_reset (stmt);

  if (!(stmt = get_stmt (self, sql_delete, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rowid);
  if (!step_done (self, stmt, error))
    return FALSE;

  if (t->number > 0)
    extra = g_strdup_printf ("%" G_GINT64_FORMAT " %s %s", t->number, t->asset, t->category);
  else
    extra = g_strdup_printf ("%s %s", t->asset, t->category);

  if (!(stmt = get_stmt (self, sql_insert, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rowid);
  bind_text (stmt, 2, t->title);
  bind_text (stmt, 3, t->description);
  bind_text (stmt, 4, requester);
  bind_text (stmt, 5, notes ? notes : "");
  bind_text (stmt, 6, extra);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

static gboolean
append_fts_note (FlStore     *self,
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
  bind_text (stmt, 1, ticket_id);
  bind_text (stmt, 2, body);
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
    " ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)"
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
    "  base_version = CASE WHEN excluded.pending = 0 THEN excluded.version"
    "                 ELSE tickets.base_version END"
    " RETURNING rowid";
  sqlite3_stmt *stmt;
  gint64 rowid;
  int rc;
  int c = 1;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;

  bind_text (stmt, c++, t->id);
  if (t->number > 0)
    sqlite3_bind_int64 (stmt, c++, t->number);
  else
    sqlite3_bind_null (stmt, c++);
  sqlite3_bind_int64 (stmt, c++, t->version);
  sqlite3_bind_int64 (stmt, c++, t->seq);
  bind_text (stmt, c++, t->title);
  bind_text (stmt, c++, t->description ? t->description : "");
  bind_text (stmt, c++, t->requester.name ? t->requester.name : "");
  bind_text (stmt, c++, t->requester.email ? t->requester.email : "");
  bind_text (stmt, c++, t->requester.phone ? t->requester.phone : "");
  bind_text (stmt, c++, t->requester.department ? t->requester.department : "");
  bind_text (stmt, c++, t->requester.location ? t->requester.location : "");
  bind_text (stmt, c++, t->asset ? t->asset : "");
  bind_text (stmt, c++, fl_channel_to_string (t->channel));
  bind_text (stmt, c++, t->category ? t->category : "");
  bind_text (stmt, c++, fl_grade_to_string (t->impact));
  bind_text (stmt, c++, fl_grade_to_string (t->urgency));
  sqlite3_bind_int (stmt, c++, t->priority);
  bind_text (stmt, c++, fl_status_to_string (t->status));
  sqlite3_bind_int (stmt, c++, t->level);
  bind_text (stmt, c++, t->queue ? t->queue : "first-level");
  bind_text (stmt, c++, t->assignee);
  bind_text (stmt, c++, fl_resolution_code_to_string (t->resolution_code));
  bind_text (stmt, c++, t->resolution_summary);
  bind_text (stmt, c++, t->created_by ? t->created_by : "");
  sqlite3_bind_int64 (stmt, c++, t->created_at);
  sqlite3_bind_int64 (stmt, c++, t->updated_at);
  bind_time (stmt, c++, t->resolved_at);
  sqlite3_bind_int64 (stmt, c++, t->due_at);
  bind_time (stmt, c++, t->waiting_since);
  sqlite3_bind_int (stmt, c++, (int) t->pending);
  sqlite3_bind_int64 (stmt, c++, t->pending == 0 ? t->version : 0);

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return set_sqlite_error (self, rc, error);
    }
  rowid = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return write_fts (self, rowid, t, error);
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
  g_autofree char *data = json_object_to_text (event->data);
  sqlite3_stmt *stmt;

  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;

  bind_text (stmt, 1, event->id);
  bind_text (stmt, 2, event->ticket_id);
  sqlite3_bind_int64 (stmt, 3, event->seq);
  sqlite3_bind_int64 (stmt, 4, event->at);
  bind_text (stmt, 5, event->author);
  bind_text (stmt, 6, fl_op_type_to_string (event->type));
  bind_text (stmt, 7, data);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

static gboolean
queue_op (FlStore     *self,
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

static gint64
get_base_version (FlStore    *self,
                  const char *ticket_id)
{
  static const char *sql = "SELECT base_version FROM tickets WHERE id = ?1";
  sqlite3_stmt *stmt;
  gint64 v = 0;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return 0;
  bind_text (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return v;
}

static gboolean
load_state (FlStore  *self,
            GError  **error)
{
  g_autofree char *client_id = fl_store_dup_state (self, "client_id");
  g_autofree char *role = NULL;

  if (client_id == NULL || !fl_uuid_is_valid (client_id))
    {
      g_free (client_id);
      client_id = fl_uuid_new ();
      if (!fl_store_set_state (self, "client_id", client_id, error))
        return FALSE;
    }

  self->client_id = g_steal_pointer (&client_id);
  self->username = fl_store_dup_state (self, "username");
  if (self->username == NULL)
    self->username = g_strdup (g_get_user_name ());

  role = fl_store_dup_state (self, "role");
  if (role == NULL || !fl_role_from_string (role, &self->role))
    self->role = FL_ROLE_AGENT;

  return TRUE;
}

static gboolean
migrate (FlStore  *self,
         GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = 0;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
    return set_sqlite_error (self, SQLITE_ERROR, error);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version > FL_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_TOO_NEW,
                   _("The local cache was written by a newer version of Firstline (schema %d)"),
                   version);
      return FALSE;
    }

  while (version < FL_STORE_SCHEMA_VERSION)
    {
      g_autofree char *set_version = NULL;

      if (!_fl_store_begin (self, error))
        return FALSE;

      set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!exec_sql (self, migrations[version], error) || !exec_sql (self, set_version, error))
        {
          _fl_store_rollback (self);
          return FALSE;
        }

      if (!_fl_store_commit (self, error))
        return FALSE;

      g_debug ("Migrated %s to schema version %d", self->path, version + 1);
      version++;
    }

  self->schema_version = version;
  return TRUE;
}

static void
store_change_free (gpointer data)
{
  FlStoreChange *change = data;

  g_clear_object (&change->old_ticket);
  g_clear_object (&change->new_ticket);
  g_free (change);
}

/* -------------------------------------------------------------------------- */

static void
fl_store_finalize (GObject *object)
{
  FlStore *self = (FlStore *)object;

  g_clear_pointer (&self->stmts, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);
  g_free (self->client_id);
  g_free (self->username);
  g_clear_pointer (&self->changed_at, g_hash_table_unref);

  G_OBJECT_CLASS (fl_store_parent_class)->finalize (object);
}

static void
fl_store_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  FlStore *self = FL_STORE (object);

  switch (prop_id)
    {
    case PROP_PENDING_OPS:
      g_value_set_uint (value, self->pending_ops);
      break;

    case PROP_CONFLICTS:
      g_value_set_uint (value, self->conflicts);
      break;

    case PROP_REJECTED:
      g_value_set_uint (value, self->rejected);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_store_class_init (FlStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_store_finalize;
  object_class->get_property = fl_store_get_property;

  properties [PROP_PENDING_OPS] =
    g_param_spec_uint ("pending-ops", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_CONFLICTS] =
    g_param_spec_uint ("conflicts", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_REJECTED] =
    g_param_spec_uint ("rejected", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FlStore::changed:
   * @changes: (element-type FlStoreChange): what changed, in order
   *
   * Emitted after a transaction that changed tickets was committed. The detail
   * is the origin ("local", "sync", "reset"); see fl_store_get_change_origin().
   */
  signals [CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);

  origin_details [FL_STORE_ORIGIN_LOCAL] = g_quark_from_static_string ("local");
  origin_details [FL_STORE_ORIGIN_SYNC] = g_quark_from_static_string ("sync");
  origin_details [FL_STORE_ORIGIN_RESET] = g_quark_from_static_string ("reset");
}

static void
fl_store_init (FlStore *self)
{
  self->stmts = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
  self->changed_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* -------------------------------------------------------------------------- */

const char *
_fl_store_get_migration (int from)
{
  g_return_val_if_fail (from >= 0 && from < FL_STORE_SCHEMA_VERSION, NULL);

  return migrations[from];
}

sqlite3 *
_fl_store_get_db (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  return self->db;
}

gboolean
_fl_store_begin (FlStore  *self,
                 GError  **error)
{
  g_assert (!self->in_transaction);

  if (!exec_sql (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  self->in_transaction = TRUE;
  return TRUE;
}

gboolean
_fl_store_commit (FlStore  *self,
                  GError  **error)
{
  g_assert (self->in_transaction);

  if (!exec_sql (self, "COMMIT", error))
    {
      _fl_store_rollback (self);
      return FALSE;
    }

  self->in_transaction = FALSE;
  return TRUE;
}

void
_fl_store_rollback (FlStore *self)
{
  if (!self->in_transaction)
    return;

  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  self->in_transaction = FALSE;
}

GPtrArray *
_fl_store_changes_new (void)
{
  return g_ptr_array_new_with_free_func (store_change_free);
}

void
_fl_store_changes_add (GPtrArray *changes,
                       FlTicket  *old_ticket,
                       FlTicket  *new_ticket)
{
  FlStoreChange *change = g_new0 (FlStoreChange, 1);

  change->old_ticket = old_ticket ? g_object_ref (old_ticket) : NULL;
  change->new_ticket = new_ticket ? g_object_ref (new_ticket) : NULL;
  g_ptr_array_add (changes, change);
}

void
_fl_store_emit_changed (FlStore       *self,
                        FlStoreOrigin  origin,
                        GPtrArray     *changes)
{
  g_autoptr(GPtrArray) owned = changes;
  FlStoreOrigin outer = self->emitting;

  g_assert ((guint) origin < G_N_ELEMENTS (origin_details));

  _fl_store_refresh_counts (self);
  if (owned->len == 0)
    return;

  self->serial++;
  for (guint i = 0; i < owned->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (owned, i);
      FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;

      g_hash_table_insert (self->changed_at, g_strdup (t->id), GSIZE_TO_POINTER (self->serial));
    }

  self->emitting = origin;
  g_signal_emit (self, signals [CHANGED], origin_details [origin], owned);
  self->emitting = outer;
}

static guint
count_rows (FlStore    *self,
            const char *sql)
{
  sqlite3_stmt *stmt;
  guint count = 0;

  if (!(stmt = get_stmt (self, sql, NULL)))
    return 0;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return count;
}

void
_fl_store_refresh_counts (FlStore *self)
{
  guint pending = count_rows (self, "SELECT count(*) FROM outbox WHERE state = 'pending'");
  guint conflicts = count_rows (self, "SELECT count(*) FROM conflicts");
  guint rejected = count_rows (self, "SELECT count(*) FROM outbox WHERE state = 'rejected'");

  g_object_freeze_notify (G_OBJECT (self));
  if (pending != self->pending_ops)
    {
      self->pending_ops = pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PENDING_OPS]);
    }
  if (conflicts != self->conflicts)
    {
      self->conflicts = conflicts;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONFLICTS]);
    }
  if (rejected != self->rejected)
    {
      self->rejected = rejected;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_REJECTED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

guint64
_fl_store_get_serial (FlStore *self)
{
  return self->serial;
}

gboolean
_fl_store_changed_since (FlStore    *self,
                         const char *ticket_id,
                         guint64     serial)
{
  gpointer value;

  if (!g_hash_table_lookup_extended (self->changed_at, ticket_id, NULL, &value))
    return FALSE;
  return (guint64) GPOINTER_TO_SIZE (value) > serial;
}

FlStoreOrigin
fl_store_get_change_origin (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), FL_STORE_ORIGIN_LOCAL);

  return self->emitting;
}

guint
fl_store_get_pending_ops (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), 0);

  return self->pending_ops;
}

guint
fl_store_get_conflicts (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), 0);

  return self->conflicts;
}

guint
fl_store_get_rejected (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), 0);

  return self->rejected;
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

  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    t = ticket_from_row (stmt);
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND, _("No such ticket: %s"), id);
  else if (rc != SQLITE_ROW)
    set_sqlite_error (self, rc, error);

  return t;
}

/* -------------------------------------------------------------------------- */

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

/* The cache holds the team's tickets: only the user may read it. The file is
 * made 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
 * database file's mode), whatever the umask and the folder's mode. */
static gboolean
restrict_cache_files (const char  *path,
                      GError     **error)
{
  static const char * const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      struct stat st;
      int fd;

      fd = g_open (file, O_RDWR | O_CLOEXEC | (i == 0 ? O_CREAT : 0), 0600);
      if (fd < 0)
        {
          if (i > 0 && errno == ENOENT)
            continue;
          g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
                       _("Could not open the local cache %s: %s"), file, g_strerror (errno));
          return FALSE;
        }

      if (fstat (fd, &st) == 0 && (st.st_mode & 0077) != 0 && fchmod (fd, 0600) != 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
                       _("Could not make the local cache %s private: %s"), file,
                       g_strerror (saved));
          return FALSE;
        }
      close (fd);
    }

  return TRUE;
}

FlStore *
fl_store_new (const char  *path,
              GError     **error)
{
  g_autoptr(FlStore) self = NULL;
  g_autofree char *dir = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
                   _("Could not create the folder %s: %s"), dir, g_strerror (errno));
      return NULL;
    }

  if (!restrict_cache_files (path, error))
    return NULL;

  self = g_object_new (FL_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
                   _("Could not open the local cache %s: %s"), path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_extended_result_codes (self->db, 1);

  if (!exec_sql (self,
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA foreign_keys = ON;"
                 "PRAGMA temp_store = MEMORY;"
                 "PRAGMA analysis_limit = 1000;",
                 error) ||
      !migrate (self, error) ||
      !load_state (self, error))
    return NULL;

  _fl_store_refresh_counts (self);
  return g_steal_pointer (&self);
}

const char *
fl_store_get_path (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  return self->path;
}

int
fl_store_get_schema_version (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), 0);

  return self->schema_version;
}

const char *
fl_store_get_client_id (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  return self->client_id;
}

const char *
fl_store_get_username (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  return self->username;
}

FlRole
fl_store_get_role (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), FL_ROLE_AGENT);

  return self->role;
}

gboolean
fl_store_set_user (FlStore     *self,
                   const char  *username,
                   FlRole       role,
                   GError     **error)
{
  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (username != NULL, FALSE);

  if (!fl_store_set_state (self, "username", username, error) ||
      !fl_store_set_state (self, "role", fl_role_to_string (role), error))
    return FALSE;

  g_free (self->username);
  self->username = g_strdup (username);
  self->role = role;
  return TRUE;
}

char *
fl_store_dup_state (FlStore    *self,
                    const char *key)
{
  static const char *sql = "SELECT value FROM sync_state WHERE key = ?1";
  sqlite3_stmt *stmt;
  char *value = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (!(stmt = get_stmt (self, sql, NULL)))
    return NULL;
  bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = column_dup (stmt, 0);
  sqlite3_reset (stmt);

  return value;
}

gboolean
fl_store_set_state (FlStore     *self,
                    const char  *key,
                    const char  *value,
                    GError     **error)
{
  static const char *sql_set =
    "INSERT INTO sync_state (key, value) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  static const char *sql_delete = "DELETE FROM sync_state WHERE key = ?1";
  sqlite3_stmt *stmt;

  g_return_val_if_fail (FL_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!(stmt = get_stmt (self, value ? sql_set : sql_delete, error)))
    return FALSE;
  bind_text (stmt, 1, key);
  if (value != NULL)
    bind_text (stmt, 2, value);
  if (!step_done (self, stmt, error))
    return FALSE;

  return TRUE;
}

const FlPolicy *
fl_store_get_policy (FlStore *self)
{
  g_return_val_if_fail (FL_IS_STORE (self), NULL);

  return fl_policy_get_default ();
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
        id = column_dup (stmt, 0);
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
  bind_text (stmt, 1, ticket_id);
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
  return g_strdup_printf ("SELECT %s FROM tickets WHERE %s%s%s",
                          what, view_where[view],
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
    bind_text (stmt, 1, self->username);
  if (match != NULL)
    bind_text (stmt, 2, match);

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
                              " ORDER BY priority, due_at, id LIMIT ?3 OFFSET ?4", error)))
    return NULL;

  if (view == FL_VIEW_MINE)
    bind_text (stmt, 1, self->username);
  if (match != NULL)
    bind_text (stmt, 2, match);
  sqlite3_bind_int64 (stmt, 3, limit);
  sqlite3_bind_int64 (stmt, 4, offset);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (tickets, ticket_from_row (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&tickets);
}

int
fl_store_compare_tickets (FlTicket *a,
                          FlTicket *b)
{
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
                              " AND (priority, due_at, id) < (?5, ?6, ?7)", error)))
    return 0;

  if (view == FL_VIEW_MINE)
    bind_text (stmt, 1, self->username);
  sqlite3_bind_int (stmt, 5, ticket->priority);
  sqlite3_bind_int64 (stmt, 6, ticket->due_at);
  bind_text (stmt, 7, ticket->id);

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
       !append_fts_note (self, ticket_id,
                         json_object_get_string_member_with_default (data, "body", ""), error)) ||
      !queue_op (self, op, error))
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
    g_ptr_array_add (ops, op_from_row (stmt));
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
          !append_fts_note (self, e->ticket_id,
                            json_object_get_string_member_with_default (e->data, "body", ""),
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

/* -------------------------------------------------------------------------- */
/* Conflicts, rejected ops, checklists                                          */

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

  return count_rows (self, "SELECT count(*) FROM conflicts");
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

static FlOp *
load_outbox_op (FlStore    *self,
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
      op = op_from_row (stmt);
      if (out_state)
        *out_state = column_dup (stmt, 6);
    }
  sqlite3_reset (stmt);

  return op;
}

static gboolean
run_stmt_text (FlStore     *self,
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

  if (op_id == NULL || !(op = load_outbox_op (self, op_id, NULL)))
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

  if (!run_stmt_text (self, "DELETE FROM conflicts WHERE id = ?1", conflict_id, error) ||
      !run_stmt_text (self, "DELETE FROM outbox WHERE op_id = ?1", op_id, error))
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

      r->op = load_outbox_op (self, g_ptr_array_index (ids, i), NULL);
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

  if (!run_stmt_text (self, "DELETE FROM outbox WHERE op_id = ?1 AND state = 'rejected'",
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

/* -------------------------------------------------------------------------- */
/* Applying what the server said                                                 */

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
  bind_text (stmt, 1, ticket_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ops, op_from_row (stmt));
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
  bind_text (stmt, 1, server->id);
  sqlite3_bind_int64 (stmt, 2, server->version);
  bind_text (stmt, 3, state);
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
  bind_text (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = column_dup (stmt, 0);
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
  bind_text (stmt, 2, ticket_id);
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

  if (op_id == NULL || !(op = load_outbox_op (self, op_id, &state)) ||
      g_strcmp0 (state, "pending") != 0)
    return TRUE;

  g_hash_table_add (touched, g_strdup (op->ticket_id));

  switch (result->status)
    {
    case FL_OP_RESULT_APPLIED:
    case FL_OP_RESULT_DUPLICATE:
      if (!run_stmt_text (self, sql_done, op_id, error))
        return FALSE;

      if (result->number > 0)
        {
          if (!take_number (self, op->ticket_id, result->number, error))
            return FALSE;
          if (!(stmt = get_stmt (self, sql_number, error)))
            return FALSE;
          bind_text (stmt, 1, op->ticket_id);
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
        if (!run_stmt_text (self, "DELETE FROM events WHERE id = ?1 AND seq = 0", op_id, error))
          return FALSE;

        fields = conflict_fields (self, op, current_obj);
        fields_text = json_object_to_text (fields);
        theirs_text = current_obj ? json_object_to_text (current_obj) : g_strdup ("{}");

        if (!(stmt = get_stmt (self, sql_state, error)))
          return FALSE;
        bind_text (stmt, 1, op_id);
        bind_text (stmt, 2, "conflict");
        sqlite3_bind_null (stmt, 3);
        if (!step_done (self, stmt, error))
          return FALSE;

        if (!(stmt = get_stmt (self, sql_conflict, error)))
          return FALSE;
        bind_text (stmt, 1, conflict_id);
        bind_text (stmt, 2, op->ticket_id);
        bind_text (stmt, 3, op_id);
        bind_text (stmt, 4, fields_text);
        bind_text (stmt, 5, theirs_text);
        sqlite3_bind_int64 (stmt, 6, fl_time_now ());
        return step_done (self, stmt, error);
      }

    case FL_OP_RESULT_REJECTED:
    default:
      {
        /* Kept, with the server's reason, until the person has seen it. */
        g_autoptr(JsonObject) err = json_object_new ();
        g_autofree char *error_text = NULL;

        if (!run_stmt_text (self, "DELETE FROM events WHERE id = ?1 AND seq = 0", op_id, error))
          return FALSE;

        json_object_set_string_member (err, "code",
                                       result->error_code ? result->error_code : "rejected");
        json_object_set_string_member (err, "message",
                                       result->error_message ? result->error_message : "");
        error_text = json_object_to_text (err);

        if (!(stmt = get_stmt (self, sql_state, error)))
          return FALSE;
        bind_text (stmt, 1, op_id);
        bind_text (stmt, 2, "rejected");
        bind_text (stmt, 3, error_text);
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
  bind_text (stmt, 1, id);
  exists = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);

  return exists;
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
  id = json_object_get_string_member_with_default (obj, "id", NULL);
  category = json_object_get_string_member_with_default (obj, "category", "");
  version = json_object_get_int_member_with_default (obj, "version", 0);
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
        g_warning (_("Skipped checklist “%s” version %d from the server: %s"),
                   id, (int) MIN (version, G_MAXINT), local_error->message);
        return TRUE;
      }
  }

  text = json_to_string (node, FALSE);
  if (!(stmt = get_stmt (self, sql, error)))
    return FALSE;
  bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, version);
  bind_text (stmt, 3, category);
  bind_text (stmt, 4, text);
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
          !append_fts_note (self, e->ticket_id,
                            json_object_get_string_member_with_default (e->data, "body", ""),
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
