/* fl-store.c — the local SQLite cache
 *
 * One SQLite file in WAL mode holds the tickets as the agent sees them, their
 * events, the outbox of ops not yet acknowledged by the server, note drafts,
 * checklists and the sync state. Every user action is one transaction that
 * changes the ticket, appends its event and queues its op.
 *
 * This file opens and migrates the file and keeps the identity, the sync state
 * and the change signal; fl-store-tickets.c reads and changes tickets (views,
 * search), fl-store-outbox.c holds the outbox, drafts, conflicts and rejected
 * ops, fl-store-sync.c applies the server's answers. They share
 * fl-store-private.h.
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

#include "fl-sqlite-private.h"
#include "fl-similar.h"
#include "fl-store-private.h"

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

  /* 3 → 4: waiting with a reason and a follow-up time; a ticket whose follow-up
   * time has passed (attention 0) is listed first, so the indexes lead with it */
  "ALTER TABLE tickets ADD COLUMN waiting_reason TEXT;"
  "ALTER TABLE tickets ADD COLUMN follow_up_at INTEGER;"
  "ALTER TABLE tickets ADD COLUMN attention INTEGER NOT NULL DEFAULT 1;"
  "DROP INDEX tickets_by_priority;"
  "DROP INDEX tickets_by_status;"
  "DROP INDEX tickets_incoming;"
  "DROP INDEX tickets_mine;"
  "DROP INDEX tickets_resolved;"
  "CREATE INDEX tickets_by_priority ON tickets (attention, priority, due_at, id);"
  "CREATE INDEX tickets_by_status ON tickets (status, attention, priority, due_at, id);"
  "CREATE INDEX tickets_incoming ON tickets (attention, priority, due_at, id)"
  "  WHERE assignee IS NULL AND level = 1 AND status IN ('new', 'in_progress', 'waiting');"
  "CREATE INDEX tickets_mine ON tickets (assignee, attention, priority, due_at, id)"
  "  WHERE status IN ('new', 'in_progress', 'waiting', 'escalated');"
  "CREATE INDEX tickets_resolved ON tickets (attention, priority, due_at, id)"
  "  WHERE status IN ('resolved', 'closed');"
  "CREATE INDEX tickets_follow_up ON tickets (follow_up_at)"
  "  WHERE status = 'waiting' AND follow_up_at IS NOT NULL;",

  /* 4 → 5: All lists open tickets before resolved and closed ones */
  "CREATE INDEX tickets_all ON tickets"
  "  (attention, status IN ('resolved', 'closed'), priority, due_at, id);",

  /* 5 → 6: the index of resolved tickets for similar-ticket suggestions (fl-similar.c),
   * an index for the caller's history, and the team's predefined answers */
  FL_SIMILAR_SCHEMA
  "INSERT INTO similar_fts (rowid, title, description, resolution, category, requester,"
  "  department, resolved_at)"
  "  SELECT rowid, title, description, coalesce (resolution_summary, ''), category,"
  "    fl_fold (req_name), fl_fold (req_department), coalesce (resolved_at, updated_at)"
  "  FROM tickets WHERE status IN ('resolved', 'closed');"
  "INSERT INTO similar_tri (rowid, body)"
  "  SELECT rowid, fl_similar_tri_text (title, description, resolution_summary, asset)"
  "  FROM tickets WHERE status IN ('resolved', 'closed');"
  "INSERT OR IGNORE INTO similar_words (word) SELECT term FROM similar_vocab;"
  "CREATE INDEX tickets_by_created ON tickets (created_at);"
  "CREATE TABLE answers ("
  "  id TEXT PRIMARY KEY,"
  "  version INTEGER NOT NULL,"
  "  category TEXT NOT NULL,"
  "  definition TEXT NOT NULL"
  ") WITHOUT ROWID;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == FL_STORE_SCHEMA_VERSION);


/* -------------------------------------------------------------------------- */

gboolean
set_sqlite_error (FlStore  *self,
                  int       rc,
                  GError  **error)
{
  g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED,
               _("The local cache could not be written: %s"),
               self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
  return FALSE;
}

gboolean
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
sqlite3_stmt *
get_stmt (FlStore     *self,
          const char  *sql,
          GError     **error)
{
  int rc = SQLITE_ERROR;
  sqlite3_stmt *stmt = fl_sqlite_cache_get (self->stmts, sql, &rc);

  if (stmt == NULL)
    set_sqlite_error (self, rc, error);
  return stmt;
}

/* Runs a statement that returns no rows, and resets it for the next use. */
gboolean
step_done (FlStore       *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = fl_sqlite_step_done (stmt);

  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error);

  return TRUE;
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
    self->username = g_strdup (FL_STORE_LOCAL_USER);

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

  g_clear_pointer (&self->stmts, fl_sqlite_cache_free);
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

guint
_fl_store_count_rows (FlStore    *self,
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
  guint pending = _fl_store_count_rows (self, "SELECT count(*) FROM outbox WHERE state = 'pending'");
  guint conflicts = _fl_store_count_rows (self, "SELECT count(*) FROM conflicts");
  guint rejected = _fl_store_count_rows (self, "SELECT count(*) FROM outbox WHERE state = 'rejected'");

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

/* -------------------------------------------------------------------------- */

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

  self->stmts = fl_sqlite_cache_new (self->db);
  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_extended_result_codes (self->db, 1);

  fl_similar_register (self->db);

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
  fl_sqlite_bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = fl_sqlite_column_dup (stmt, 0);
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
  fl_sqlite_bind_text (stmt, 1, key);
  if (value != NULL)
    fl_sqlite_bind_text (stmt, 2, value);
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

