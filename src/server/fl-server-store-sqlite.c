/* fl-server-store-sqlite.c — FlServerStore in one SQLite file
 *
 * One database file, firstline.db, in WAL mode. Every op is atomic (its own IMMEDIATE
 * transaction, or a savepoint inside the one transaction of a request's batch): the
 * event, the ticket's new state, the search index and the global sequence number change
 * together or not at all.
 *
 * Conn is one connection and everything done with it; FlServerStoreSqlite (at the end)
 * holds the main connection and the writer thread's.
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

typedef struct _Conn Conn;
static void conn_free (Conn *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)

/* How far in the past an op's time may lie: ops made offline keep their time
 * for this long; an older time is replaced by the server's. */
#define OP_MAX_AGE_MS (30 * 24 * 3600 * 1000LL)

typedef struct
{
  char *title;
  char *description;
  char *requester;
  char *notes;
} FtsRow;

static void
fts_row_free (gpointer data)
{
  FtsRow *row = data;

  g_free (row->title);
  g_free (row->description);
  g_free (row->requester);
  g_free (row->notes);
  g_free (row);
}

/* How long a connection waits for another one's write lock. */
#define BUSY_TIMEOUT_MS 5000
/* 4 GiB of address space for the mapped database (PRAGMA mmap_size) */
#define MMAP_BYTES 4294967296

struct _Conn
{
  sqlite3        *db;
  FlSqliteCache  *stmts;          /* prepared statements */
  char           *path;
  FlPolicy        policy;
  GHashTable     *checklists;     /* "id/version" → FlChecklist, parsed once */
  /* What pulls read, parsed once and shared by every client's answer (the HTTP
   * layer keeps each one's JSON text on the object); bounded, emptied when full. */
  GHashTable     *change_events;  /* seq → FlEvent (an event never changes) */
  GHashTable     *change_tickets; /* id → FlTicket at its stored seq */
  /* In a batch the FTS rows are written at its end, outside the ops' savepoints:
   * FTS5 flushes its pending terms at every savepoint, a new index segment per op. */
  GHashTable     *fts_batch;      /* rowid → FtsRow, of the released ops */
  GHashTable     *fts_op;         /* rowid → FtsRow, of the op under way */
  gboolean        in_batch;
  gint64          token_idle_ms;
  GHashTable     *counts;         /* history query → CountEntry */
};

/* A history total, valid while the database's seq is @seq. */
typedef struct
{
  gint64 seq;
  gint64 total;
} CountEntry;

#define COUNT_CACHE_MAX 256

/* Schema migrations: migrations[k] takes a database from schema k to k + 1, inside the
 * opening transaction and with foreign keys off. A new database (schema 0: no meta table)
 * takes every step, so an upgraded database and a new one have the same schema. The meta
 * key 'schema' records the version; FL_SERVER_STORE_SQLITE_SCHEMA_VERSION is the last. */

/* 0 → 1: the first schema; users by username. */
static const char schema_1[] =
  "CREATE TABLE meta ("
  "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "INSERT INTO meta (key, value) VALUES ('seq', 0), ('schema', 1);"
  "CREATE TABLE users ("
  "  username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL,"
  "  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
  "CREATE TABLE tokens ("
  "  hash TEXT PRIMARY KEY,"
  "  username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE tickets ("
  "  id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL,"
  "  seq INTEGER NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, assignee TEXT,"
  "  level INTEGER NOT NULL, queue TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  resolved_at INTEGER, due_at INTEGER, resolution_code TEXT, resolved_by TEXT,"
  "  handoffs INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL);"
  "CREATE INDEX tickets_created ON tickets (created_at);"
  "CREATE TABLE events ("
  "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,"
  "  version INTEGER NOT NULL, at INTEGER NOT NULL, author TEXT NOT NULL, type TEXT NOT NULL,"
  "  data TEXT NOT NULL, client_id TEXT NOT NULL, fields TEXT NOT NULL);"
  "CREATE INDEX events_ticket ON events (ticket_id, version);"
  "CREATE VIRTUAL TABLE tickets_fts USING fts5 ("
  "  title, description, requester, notes, tokenize = 'unicode61 remove_diacritics 2');"
  "CREATE TABLE checklists ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);";

/* AUTOINCREMENT: an id is never given out twice, even after the newest user was removed. */
#define USERS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE," \
  "  display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL," \
  "  created_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);"
#define TOKENS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  hash TEXT PRIMARY KEY," \
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  created_at INTEGER NOT NULL, last_used INTEGER NOT NULL);"

/* 1 → 2: users have a stable id, and tokens belong to that id (schema 1 kept them by
 * username, so a user removed and added again got the old tokens back). */
static const char schema_2[] =
  USERS_TABLE ("users_v2")
  "INSERT INTO users_v2 (username, display_name, role, password_hash, created_at)"
  "  SELECT username, display_name, role, password_hash, created_at FROM users"
  "  ORDER BY created_at, username;"
  TOKENS_TABLE ("tokens_v2")
  "INSERT INTO tokens_v2 (hash, user_id, created_at, last_used)"
  /* Schema 1 did not record uses: a token counts as used at the upgrade. */
  "  SELECT t.hash, u.id, t.created_at, CAST (strftime ('%s', 'now') AS INTEGER) * 1000"
  "  FROM tokens t"
  "  JOIN users_v2 u ON u.username = t.username;"
  "DROP TABLE tokens;"
  "DROP TABLE users;"
  "ALTER TABLE users_v2 RENAME TO users;"
  "ALTER TABLE tokens_v2 RENAME TO tokens;"
  "CREATE INDEX tokens_user ON tokens (user_id);";

/* 2 → 3: every published version of a checklist, so that steps recorded against an older
 * one can be checked. Some databases of schema 1 and 2 have the table already (it came
 * while schema 2 was being made): IF NOT EXISTS, and the stored versions copied in. */
static const char schema_3[] =
  "CREATE TABLE IF NOT EXISTS checklist_versions ("
  "  id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, version));"
  "INSERT OR IGNORE INTO checklist_versions (id, version, json)"
  "  SELECT id, version, json FROM checklists;";

/* 3 → 4: the index of solved tickets for GET /api/v1/tickets/similar (fl-similar.c),
 * filled from the stored ones, and the predefined answers. */
static const char schema_4[] =
  FL_SIMILAR_SCHEMA
  "INSERT INTO similar_fts (rowid, title, description, resolution, category, requester,"
  "  department, resolved_at)"
  "  SELECT rowid, json_extract (json, '$.title'), coalesce (json_extract (json, '$.description'), ''),"
  "    coalesce (json_extract (json, '$.resolution.summary'), ''), category,"
  "    fl_fold (json_extract (json, '$.requester.name')),"
  "    fl_fold (json_extract (json, '$.requester.department')), coalesce (resolved_at, 0)"
  "  FROM tickets WHERE status IN ('resolved', 'closed');"
  "INSERT INTO similar_tri (rowid, body)"
  "  SELECT rowid, fl_similar_tri_text (json_extract (json, '$.title'),"
  "    json_extract (json, '$.description'), json_extract (json, '$.resolution.summary'),"
  "    json_extract (json, '$.asset'))"
  "  FROM tickets WHERE status IN ('resolved', 'closed');"
  "INSERT OR IGNORE INTO similar_words (word) SELECT term FROM similar_vocab;"
  "CREATE TABLE answers ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);"
  "CREATE INDEX answers_seq ON answers (seq);";

/* 4 → 5: what the history and the reports need at a million tickets. Indexes for the
 * history's filters in its newest-first order, one covering index the summary report
 * reads instead of the table, and two tables kept as ops are applied: the handoffs per
 * agent and the checklist steps reached, each keyed by the ticket's created_at so that a
 * report over a range reads just that range. reopened_7d counts the reopens within 7 days
 * of the resolve before them; waiting_since is the ticket's, for SLA breaches that do not
 * count waiting time. Everything is filled from the events of an older database. */
static const char schema_5[] =
  "ALTER TABLE tickets ADD COLUMN reopened_7d INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE tickets ADD COLUMN waiting_since INTEGER;"
  "UPDATE tickets SET waiting_since = CAST (ROUND ((julianday (json_extract (json,"
  "  '$.waiting_since')) - 2440587.5) * 86400000) AS INTEGER) WHERE json_extract (json, '$.waiting_since') IS NOT NULL;"
  "UPDATE tickets SET reopened_7d = ("
  "  SELECT COUNT (*) FROM events r WHERE r.ticket_id = tickets.id AND r.type = 'reopen'"
  "  AND r.at - (SELECT MAX (s.at) FROM events s WHERE s.ticket_id = r.ticket_id"
  "              AND s.type = 'resolve' AND s.seq < r.seq) <= 604800000);"
  "DROP INDEX tickets_created;"
  "CREATE INDEX tickets_report ON tickets (created_at, number, status, category, assignee,"
  "  level, queue, resolved_at, due_at, resolution_code, resolved_by, handoffs, reopened_7d,"
  "  waiting_since);"
  /* each with the other filters' columns: a combination of filters is answered from
   * one index, without reading the (large) table rows */
  "CREATE INDEX tickets_status ON tickets (status, created_at, number, category, assignee,"
  "  level, queue);"
  "CREATE INDEX tickets_assignee ON tickets (assignee, created_at, number, status, category,"
  "  level, queue);"
  "CREATE INDEX tickets_category ON tickets (category, created_at, number, status, assignee,"
  "  level, queue);"
  "CREATE TABLE report_handoffs ("
  "  created_at INTEGER NOT NULL, ticket INTEGER NOT NULL, author TEXT NOT NULL,"
  "  PRIMARY KEY (created_at, ticket, author)) WITHOUT ROWID;"
  "INSERT OR IGNORE INTO report_handoffs (created_at, ticket, author)"
  "  SELECT t.created_at, t.rowid, e.author FROM events e JOIN tickets t ON t.id = e.ticket_id"
  "  WHERE e.type = 'handoff';"
  /* with the ticket's outcome (resolved_at when resolved now, handoffs), kept current as
   * ops are applied: the checklist report reads this table alone */
  "CREATE TABLE report_steps ("
  "  created_at INTEGER NOT NULL, ticket INTEGER NOT NULL, checklist_id TEXT NOT NULL,"
  "  checklist_version INTEGER NOT NULL, step_id TEXT NOT NULL, at INTEGER NOT NULL,"
  "  resolved_at INTEGER, handoffs INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (created_at, ticket, checklist_id, checklist_version, step_id)) WITHOUT ROWID;"
  "INSERT OR IGNORE INTO report_steps (created_at, ticket, checklist_id, checklist_version,"
  "  step_id, at, resolved_at, handoffs)"
  "  SELECT t.created_at, t.rowid, json_extract (e.data, '$.checklist_id'),"
  "    COALESCE (json_extract (e.data, '$.checklist_version'),"
  "              (SELECT c.version FROM checklists c"
  "               WHERE c.id = json_extract (e.data, '$.checklist_id')), 1),"
  "    json_extract (e.data, '$.step_id'), MIN (e.at),"
  "    CASE WHEN t.resolution_code IS NOT NULL THEN t.resolved_at END, t.handoffs"
  "  FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.type = 'checklist'"
  "  GROUP BY 1, 2, 3, 4, 5;";

/* -------------------------------------------------------------------------- */

static gboolean
db_error (Conn       *self,
          GError    **error,
          const char *what)
{
  g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
               "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

/* A statement of the connection's cache, prepared once: take it into a
 * g_autoptr(FlSqliteStmt), which resets it when done. @sql is static or interned. */
static sqlite3_stmt *
prepare (Conn       *self,
         const char *sql,
         GError    **error)
{
  sqlite3_stmt *stmt = fl_sqlite_cache_get (self->stmts, sql, NULL);

  if (stmt == NULL)
    db_error (self, error, "prepare");
  return stmt;
}

static gboolean
exec (Conn       *self,
      const char *sql,
      GError    **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_error (self, error, sql);
  return TRUE;
}

static void
rollback (Conn *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}




static gboolean
step_done (Conn         *self,
           sqlite3_stmt *stmt,
           GError      **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_error (self, error, "step");
  return TRUE;
}

static gint64
next_seq (Conn    *self,
          GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = prepare (self, "UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value",
                  error);
  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      db_error (self, error, "seq");
      return 0;
    }
  return sqlite3_column_int64 (stmt, 0);
}



/* -------------------------------------------------------------------------- */

/* Makes @path readable and writable by the owner only, when it exists. */
static gboolean
restrict_file (const char  *path,
               GError     **error)
{
  if (g_chmod (path, 0600) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot restrict the permissions of %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Creates @path (when missing) with mode 0600 whatever the umask, or makes it 0600. */
static gboolean
create_private_file (const char  *path,
                     gboolean     exclusive,
                     GError     **error)
{
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : 0), 0600);
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (fchmod (fd, 0600) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot restrict the permissions of %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
table_exists (Conn       *self,
              const char *name)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = prepare (self, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", NULL);
  if (stmt == NULL)
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, name);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

static gint64
meta_get (Conn       *self,
          const char *key,
          gint64      fallback)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  if (stmt == NULL)
    return fallback;
  fl_sqlite_bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fallback;
  return sqlite3_column_int64 (stmt, 0);
}

static gboolean
migrate_0_to_1 (Conn    *self,
                GError **error)
{
  return exec (self, schema_1, error);
}

static gboolean
migrate_1_to_2 (Conn    *self,
                GError **error)
{
  return exec (self, schema_2, error);
}

static gboolean
migrate_2_to_3 (Conn    *self,
                GError **error)
{
  return exec (self, schema_3, error);
}

static gboolean
migrate_3_to_4 (Conn    *self,
                GError **error)
{
  return exec (self, schema_4, error);
}

static gboolean
migrate_4_to_5 (Conn    *self,
                GError **error)
{
  return exec (self, schema_5, error);
}

typedef gboolean (*MigrateFunc) (Conn *self, GError **error);

static const MigrateFunc migrations[] = {
  migrate_0_to_1,
  migrate_1_to_2,
  migrate_2_to_3,
  migrate_3_to_4,
  migrate_4_to_5,
};
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);

/* The schema of the open database: 0 when it has no tables yet; 1 for a meta table
 * without the key (the first databases did not always write it). */
static gint64
schema_version (Conn *self)
{
  if (!table_exists (self, "meta"))
    return 0;
  return meta_get (self, "schema", 1);
}

/* Inside the opening transaction, with foreign keys off. */
static gboolean
upgrade_schema (Conn    *self,
                GError **error)
{
  gint64 version = schema_version (self);
  g_autoptr(FlSqliteStmt) stmt = NULL;

  if (version > FL_SERVER_STORE_SQLITE_SCHEMA_VERSION)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("The database %s was made by a newer firstline-server (schema %d)"),
                   self->path, (int) version);
      return FALSE;
    }
  if (version == FL_SERVER_STORE_SQLITE_SCHEMA_VERSION)
    return TRUE;

  if (version > 0)
    g_message ("Upgrading %s from schema %d to %d", self->path, (int) version,
               FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);

  for (gint64 v = version; v < FL_SERVER_STORE_SQLITE_SCHEMA_VERSION; v++)
    {
      if (!migrations[v] (self, error))
        return FALSE;
    }

  stmt = prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);
  return step_done (self, stmt, error);
}

/* The first connection of a process creates the file, restricts its mode and upgrades
 * its schema; a further one (@first FALSE) must not: opening and closing the file
 * would drop the POSIX locks SQLite holds on it for the other connection, and another
 * process could then take the database away from under it (delete the WAL). */
static Conn *
conn_open (const char  *dir,
           gboolean     first,
           GError     **error)
{
  g_autoptr(Conn) self = g_new0 (Conn, 1);
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;

  g_return_val_if_fail (dir != NULL, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create data directory %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  self->path = g_build_filename (dir, "firstline.db", NULL);
  self->checklists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->change_events = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_object_unref);
  self->change_tickets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->fts_batch = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, fts_row_free);
  self->fts_op = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, fts_row_free);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->policy = *fl_policy_get_default ();
  self->token_idle_ms = (gint64) FL_SERVER_STORE_TOKEN_IDLE_DAYS * 24 * 3600 * 1000;

  /* Password hashes and every ticket: the owner's only, whatever the umask and the
   * directory's mode. SQLite gives its -wal and -shm files the mode of this one. */
  wal = g_strconcat (self->path, "-wal", NULL);
  shm = g_strconcat (self->path, "-shm", NULL);
  if (first &&
      (!create_private_file (self->path, FALSE, error) ||
       !restrict_file (wal, error) || !restrict_file (shm, error)))
    return NULL;

  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("Cannot open database %s: %s"), self->path,
                   self->db ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }

  self->stmts = fl_sqlite_cache_new (self->db);
  fl_similar_register (self->db);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, 1);

  /* Foreign keys go on after the schema is current: a migration rebuilds tables. */
  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      /* An acknowledged op survives a power loss: every commit reaches the
       * disk. Pushes commit once per request (conn_begin_batch). */
      !exec (self, "PRAGMA synchronous = FULL", error) ||
      /* The history and the reports read large ranges of the indexes: map the file
       * instead of copying every page through read(), and keep more of it cached. */
      !exec (self, "PRAGMA mmap_size = " G_STRINGIFY (MMAP_BYTES), error) ||
      !exec (self, "PRAGMA cache_size = -65536", error) ||
      (first &&
       (!exec (self, "PRAGMA foreign_keys = OFF", error) ||
        !exec (self, "BEGIN IMMEDIATE", error) ||
        !upgrade_schema (self, error) ||
        !exec (self, "COMMIT", error))) ||
      !exec (self, "PRAGMA foreign_keys = ON", error))
    {
      rollback (self);
      return NULL;
    }

  if (first && (!restrict_file (wal, error) || !restrict_file (shm, error)))
    return NULL;

  return g_steal_pointer (&self);
}

static void
conn_free (Conn *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->stmts, fl_sqlite_cache_free);
  if (self->db != NULL)
    {
      /* Fold the WAL back into the main file on a clean shutdown. */
      sqlite3_exec (self->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
      sqlite3_close_v2 (self->db);
    }
  g_free (self->path);
  g_clear_pointer (&self->checklists, g_hash_table_unref);
  g_clear_pointer (&self->change_events, g_hash_table_unref);
  g_clear_pointer (&self->change_tickets, g_hash_table_unref);
  g_clear_pointer (&self->fts_batch, g_hash_table_unref);
  g_clear_pointer (&self->fts_op, g_hash_table_unref);
  g_clear_pointer (&self->counts, g_hash_table_unref);
  g_free (self);
}

static void
conn_set_policy (Conn           *self,
                 const FlPolicy *policy)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (policy != NULL);
  self->policy = *policy;
}

static gboolean
conn_backup (Conn       *self,
             const char *file,
             GError    **error)
{
  sqlite3 *dest = NULL;
  sqlite3_backup *backup;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (file != NULL, FALSE);

  /* A new file, the owner's only: it holds the password hashes too. */
  if (!create_private_file (file, TRUE, error))
    return FALSE;

  if (sqlite3_open_v2 (file, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("Cannot open backup file %s: %s"), file,
                   dest ? sqlite3_errmsg (dest) : "out of memory");
      sqlite3_close (dest);
      return FALSE;
    }

  backup = sqlite3_backup_init (dest, "main", self->db, "main");
  if (backup == NULL)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("Cannot start backup to %s: %s"), file, sqlite3_errmsg (dest));
      sqlite3_close (dest);
      return FALSE;
    }

  /* In steps, so a running server sharing the file is blocked only briefly. */
  do
    {
      rc = sqlite3_backup_step (backup, 256);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        g_usleep (20000);
    }
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);

  sqlite3_backup_finish (backup);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("Backup to %s failed: %s"), file, sqlite3_errstr (rc));
      sqlite3_close (dest);
      return FALSE;
    }

  sqlite3_close (dest);
  return TRUE;
}

/* -------------------------------------------------------------------------- */
/* Users and tokens */

#define USER_COLUMNS "u.id, u.username, u.display_name, u.role, u.disabled"

/* A user from the USER_COLUMNS starting at column @first. */
static FlServerUser *
user_from_row (sqlite3_stmt *stmt,
               int           first)
{
  FlServerUser *user = g_new0 (FlServerUser, 1);

  user->id = sqlite3_column_int64 (stmt, first);
  user->username = g_strdup (fl_sqlite_column_text (stmt, first + 1));
  user->display_name = g_strdup (fl_sqlite_column_text (stmt, first + 2));
  if (!fl_role_from_string (fl_sqlite_column_text (stmt, first + 3), &user->role))
    user->role = FL_ROLE_AGENT;
  user->disabled = sqlite3_column_int (stmt, first + 4) != 0;
  return user;
}

static void
conn_set_token_idle_days (Conn *self,
                          guint days)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (days > 0);

  self->token_idle_ms = (gint64) days * 24 * 3600 * 1000;

  /* Tokens that expired while the server was stopped go now. */
  stmt = prepare (self, "DELETE FROM tokens WHERE last_used < ?", NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, fl_time_now () - self->token_idle_ms);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("Cannot remove expired tokens: %s", sqlite3_errmsg (self->db));
}

static gboolean
conn_add_user (Conn       *self,
               const char *username,
               const char *display_name,
               FlRole      role,
               const char *password_hash,
               GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);

  stmt = prepare (self,
                  "INSERT INTO users (username, display_name, role, password_hash, created_at) "
                  "VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;

  fl_sqlite_bind_text (stmt, 1, username);
  fl_sqlite_bind_text (stmt, 2, display_name ? display_name : username);
  fl_sqlite_bind_text (stmt, 3, fl_role_to_string (role));
  fl_sqlite_bind_text (stmt, 4, password_hash);
  sqlite3_bind_int64 (stmt, 5, fl_time_now ());

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_EXISTS,
                   _("User %s exists already"), username);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return db_error (self, error, "add user");
  return TRUE;
}

static FlServerUser *
conn_get_user (Conn       *self,
               const char *username)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  stmt = prepare (self, "SELECT " USER_COLUMNS " FROM users u WHERE u.username = ?", NULL);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, username);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return user_from_row (stmt, 0);
}

static char *
conn_dup_password_hash (Conn       *self,
                        const char *username,
                        gint64     *user_id)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  if (user_id != NULL)
    *user_id = 0;

  /* A disabled user has no password that could match. */
  stmt = prepare (self, "SELECT password_hash, id FROM users WHERE username = ? AND disabled = 0",
                  NULL);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, username);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  if (user_id != NULL)
    *user_id = sqlite3_column_int64 (stmt, 1);
  return g_strdup (fl_sqlite_column_text (stmt, 0));
}

static GPtrArray *
conn_list_users (Conn *self)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_server_user_free);

  stmt = prepare (self, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.username", NULL);
  if (stmt == NULL)
    return users;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (users, user_from_row (stmt, 0));
  return users;
}

/* The user @username or a NOT_FOUND error. */
static FlServerUser *
get_existing_user (Conn       *self,
                   const char *username,
                   GError    **error)
{
  FlServerUser *user = conn_get_user (self, username);

  if (user == NULL)
    g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND,
                 _("There is no user %s"), username);
  return user;
}

/* Deletes the tokens of @user_id except the one whose hash is @keep_hash (nullable). */
static gboolean
delete_tokens (Conn       *self,
               gint64      user_id,
               const char *keep_hash,
               GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = prepare (self, "DELETE FROM tokens WHERE user_id = ? AND hash IS NOT ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, user_id);
  fl_sqlite_bind_text (stmt, 2, keep_hash);
  return step_done (self, stmt, error);
}

static gboolean
conn_set_user_disabled (Conn       *self,
                        const char *username,
                        gboolean    disabled,
                        GError    **error)
{
  g_autoptr(FlServerUser) user = NULL;
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if ((user = get_existing_user (self, username, error)) == NULL)
    goto fail;

  stmt = prepare (self, "UPDATE users SET disabled = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int (stmt, 1, disabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 2, user->id);
  if (!step_done (self, stmt, error) ||
      (disabled && !delete_tokens (self, user->id, NULL, error)) ||
      !exec (self, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static gboolean
conn_remove_user (Conn       *self,
                  const char *username,
                  GError    **error)
{
  g_autoptr(FlServerUser) user = NULL;
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  /* Tickets and events keep the username as text: the history still names the author. */
  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if ((user = get_existing_user (self, username, error)) == NULL ||
      !delete_tokens (self, user->id, NULL, error))
    goto fail;

  stmt = prepare (self, "DELETE FROM users WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, user->id);
  if (!step_done (self, stmt, error) || !exec (self, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static gboolean
conn_set_password (Conn       *self,
                   gint64      user_id,
                   const char *password_hash,
                   const char *keep_token,
                   GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autofree char *keep_hash = keep_token ? fl_auth_hash_token (keep_token) : NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  stmt = prepare (self, "UPDATE users SET password_hash = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  fl_sqlite_bind_text (stmt, 1, password_hash);
  sqlite3_bind_int64 (stmt, 2, user_id);
  if (!step_done (self, stmt, error))
    goto fail;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND,
                           _("The user does not exist any more"));
      goto fail;
    }
  if (!delete_tokens (self, user_id, keep_hash, error) || !exec (self, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static char *
conn_create_token (Conn    *self,
                   gint64   user_id,
                   GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autofree char *token = fl_auth_new_token ();
  g_autofree char *hash = fl_auth_hash_token (token);
  gint64 now = fl_time_now ();

  stmt = prepare (self, "INSERT INTO tokens (hash, user_id, created_at, last_used) VALUES (?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, hash);
  sqlite3_bind_int64 (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, now);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!step_done (self, stmt, error))
    return NULL;
  return g_steal_pointer (&token);
}

static void
delete_token_hash (Conn       *self,
                   const char *hash)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = prepare (self, "DELETE FROM tokens WHERE hash = ?", NULL);
  if (stmt == NULL)
    return;
  fl_sqlite_bind_text (stmt, 1, hash);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("Cannot revoke token: %s", sqlite3_errmsg (self->db));
}

typedef enum
{
  TOKEN_FRESH,          /* nothing to write */
  TOKEN_TOUCH,          /* record its use */
  TOKEN_EXPIRED,        /* delete it */
} TokenWrite;

/* Records a token's use or deletes it; returns the SQLite result code. */
static int
token_write (Conn       *self,
             TokenWrite  write,
             const char *hash,
             gint64      now)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_assert (write != TOKEN_FRESH);

  if (write == TOKEN_TOUCH)
    {
      stmt = prepare (self, "UPDATE tokens SET last_used = ? WHERE hash = ?", NULL);
      if (stmt == NULL)
        return SQLITE_ERROR;
      sqlite3_bind_int64 (stmt, 1, now);
      fl_sqlite_bind_text (stmt, 2, hash);
    }
  else
    {
      stmt = prepare (self, "DELETE FROM tokens WHERE hash = ?", NULL);
      if (stmt == NULL)
        return SQLITE_ERROR;
      fl_sqlite_bind_text (stmt, 1, hash);
    }
  return sqlite3_step (stmt);
}

/* Reads only: what to write about the token afterwards is left in *@write, with its
 * hash in *@out_hash. */
static FlServerUser *
conn_lookup_token (Conn       *self,
                   const char *token,
                   gint64      now,
                   char      **out_hash,
                   TokenWrite *write)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(FlServerUser) user = NULL;
  g_autofree char *hash = NULL;
  gint64 last_used;

  *write = TOKEN_FRESH;
  *out_hash = NULL;
  if (token == NULL || *token == '\0' || strlen (token) > 256)
    return NULL;

  /* Only the hash is looked up, so the index lookup reveals nothing of the token. */
  hash = fl_auth_hash_token (token);
  stmt = prepare (self,
                  "SELECT t.hash, t.last_used, " USER_COLUMNS " FROM tokens t "
                  "JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND u.disabled = 0", NULL);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, hash);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  if (!fl_auth_equal (fl_sqlite_column_text (stmt, 0), hash))
    return NULL;

  last_used = sqlite3_column_int64 (stmt, 1);
  user = user_from_row (stmt, 2);
  if (now - last_used > self->token_idle_ms)
    {
      *write = TOKEN_EXPIRED;
      *out_hash = g_steal_pointer (&hash);
      return NULL;
    }

  /* At most one write a minute per token, not one per request. */
  if (now - last_used >= FL_SERVER_STORE_TOKEN_TOUCH_MS)
    {
      *write = TOKEN_TOUCH;
      *out_hash = g_steal_pointer (&hash);
    }

  return g_steal_pointer (&user);
}

static void
conn_revoke_token (Conn       *self,
                   const char *token)
{
  g_autofree char *hash = NULL;

  if (token == NULL)
    return;

  hash = fl_auth_hash_token (token);
  delete_token_hash (self, hash);
}

static gboolean
conn_revoke_user_tokens (Conn    *self,
                         gint64   user_id,
                         GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return delete_tokens (self, user_id, NULL, error);
}

/* -------------------------------------------------------------------------- */
/* Tickets */

static gint64
conn_get_latest_seq (Conn *self)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = prepare (self, "SELECT value FROM meta WHERE key = 'seq'", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

static FlTicket *
load_ticket (Conn       *self,
             const char *ticket_id,
             GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonNode) node = NULL;
  int rc;

  stmt = prepare (self, "SELECT json FROM tickets WHERE id = ?", error);
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
      db_error (self, error, "load ticket");
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

static FlTicket *
conn_get_ticket (Conn       *self,
                 const char *ticket_id)
{
  g_autoptr(GError) error = NULL;
  FlTicket *ticket;

  g_return_val_if_fail (self != NULL, NULL);

  ticket = load_ticket (self, ticket_id, &error);
  if (ticket == NULL &&
      !g_error_matches (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND))
    g_warning ("Cannot load ticket: %s", error->message);
  return ticket;
}

static gboolean
conn_has_ticket (Conn       *self,
                 const char *ticket_id)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  stmt = prepare (self, "SELECT 1 FROM tickets WHERE id = ?", NULL);
  if (stmt == NULL)
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

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
  stmt = prepare (self,
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
    return db_error (self, error, "conflict check");
  return TRUE;
}

static char *
requester_text (FlTicket *t)
{
  return g_strjoin (" ", t->requester.name, t->requester.email, t->requester.phone,
                    t->requester.department, t->requester.location, t->asset, NULL);
}

static FlChecklist *lookup_checklist (Conn       *self,
                                      const char *id,
                                      gint64      version,
                                      GError    **error);

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
      stmt = prepare (self,
                      "INSERT OR IGNORE INTO report_handoffs (created_at, ticket, author) "
                      "VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, t->created_at);
      sqlite3_bind_int64 (stmt, 2, rowid);
      fl_sqlite_bind_text (stmt, 3, author);
      return step_done (self, stmt, error);
    }

  if (op->type == FL_OP_CHECKLIST)
    {
      const char *id = json_object_get_string_member_with_default (op->data, "checklist_id", NULL);
      const char *step = json_object_get_string_member_with_default (op->data, "step_id", NULL);
      gint64 version = json_object_get_int_member_with_default (op->data, "checklist_version", 0);
      FlChecklist *checklist;

      if (id == NULL || step == NULL)
        return TRUE;
      checklist = lookup_checklist (self, id, version, NULL);
      if (checklist != NULL)
        version = fl_checklist_get_version (checklist);

      stmt = prepare (self,
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
      return step_done (self, stmt, error);
    }

  /* The outcome the steps carry. */
  if (op->type == FL_OP_RESOLVE || op->type == FL_OP_REOPEN || op->type == FL_OP_HANDOFF ||
      op->type == FL_OP_CLOSE)
    {
      stmt = prepare (self,
                      "UPDATE report_steps SET resolved_at = ?, handoffs = ? "
                      "WHERE created_at = ? AND ticket = ?", error);
      if (stmt == NULL)
        return FALSE;
      fl_sqlite_bind_time (stmt, 1, t->resolution_code != FL_RESOLUTION_NONE ? t->resolved_at : 0);
      sqlite3_bind_int64 (stmt, 2, handoffs);
      sqlite3_bind_int64 (stmt, 3, t->created_at);
      sqlite3_bind_int64 (stmt, 4, rowid);
      return step_done (self, stmt, error);
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

  fts = prepare (self,
                 "INSERT OR REPLACE INTO tickets_fts (rowid, title, description, requester, notes) "
                 "VALUES (?, ?, ?, ?, ?)", error);
  if (fts == NULL)
    return FALSE;
  sqlite3_bind_int64 (fts, 1, rowid);
  fl_sqlite_bind_text (fts, 2, title);
  fl_sqlite_bind_text (fts, 3, description);
  fl_sqlite_bind_text (fts, 4, requester);
  fl_sqlite_bind_text (fts, 5, notes ? notes : "");
  return step_done (self, fts, error);
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

  stmt = prepare (self,
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
    return db_error (self, error, "store ticket");
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
          g_autoptr(FlSqliteStmt) get = prepare (self,
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

  /* only solved tickets are suggested */
  if (t->status == FL_STATUS_RESOLVED || t->status == FL_STATUS_CLOSED)
    {
      FlSimilarDoc doc = {
        .title = t->title,
        .description = t->description,
        .resolution = t->resolution_summary,
        .category = t->category,
        .requester = t->requester.name,
        .department = t->requester.department,
        .asset = t->asset,
        .resolved_at = t->resolved_at > 0 ? t->resolved_at : t->updated_at,
      };

      return fl_similar_index (self->db, self->stmts, rowid, &doc, error);
    }
  return fl_similar_index (self->db, self->stmts, rowid, NULL, error);
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
static FlChecklist *
lookup_checklist (Conn       *self,
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
      stmt = prepare (self, "SELECT json FROM checklist_versions WHERE id = ? AND version = ?",
                      error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 2, version);
    }
  else
    {
      stmt = prepare (self, "SELECT json FROM checklists WHERE id = ?", error);
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
      FlChecklist *checklist = lookup_checklist (self, id, version, error);

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
 * (conn_begin_batch), so that a failed op leaves the others. */
static gboolean
op_begin (Conn    *self,
          GError **error)
{
  return exec (self, self->in_batch ? "SAVEPOINT op" : "BEGIN IMMEDIATE", error);
}

static gboolean
op_commit (Conn    *self,
           GError **error)
{
  GHashTableIter iter;
  gpointer key, row;

  if (!exec (self, self->in_batch ? "RELEASE op" : "COMMIT", error))
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
      rollback (self);
    }
}

/**
 * conn_begin_batch:
 *
 * Starts one transaction for the ops that follow, until
 * conn_end_batch(): their results are durable (one sync to disk for
 * all of them) only after it has committed, so a caller answers only then.
 */
static gboolean
conn_begin_batch (Conn    *self,
                  GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->in_batch, FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
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
      if (ok && exec (self, "COMMIT", error))
        return TRUE;
      rollback (self);
      return FALSE;
    }
  g_hash_table_remove_all (self->fts_batch);
  rollback (self);
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
  stmt = prepare (self,
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
      db_error (self, error, "duplicate check");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_reset);

  current = load_ticket (self, op->ticket_id, &local_error);
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
      g_autoptr(FlServerUser) assignee = conn_get_user (self, next->assignee);

      if (assignee == NULL)
        {
          op_rollback (self);
          g_set_error (&local_error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                       "field 'assignee' names an unknown user");
          return finish_rejected (g_steal_pointer (&result), local_error);
        }
    }

  seq = next_seq (self, error);
  if (seq == 0)
    goto fail;
  next->seq = seq;

  if (op->type == FL_OP_CREATE)
    {
      g_autoptr(FlSqliteStmt) num = prepare (self,
                                             "SELECT COALESCE (MAX (number), 0) + 1 FROM tickets",
                                             error);
      if (num == NULL || sqlite3_step (num) != SQLITE_ROW)
        {
          if (num != NULL)
            db_error (self, error, "number");
          goto fail;
        }
      next->number = sqlite3_column_int64 (num, 0);
    }

  fields = changed_fields (current, next);
  data_text = fl_sqlite_json_object_to_text (event_data);

  stmt = prepare (self,
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
  if (!step_done (self, stmt, error))
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

static FlEvent *
event_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(JsonNode) data = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 6));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string (fl_sqlite_column_text (stmt, 5), &type);
  return fl_event_new (fl_sqlite_column_text (stmt, 1), fl_sqlite_column_text (stmt, 2),
                       sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 3),
                       fl_sqlite_column_text (stmt, 4), type,
                       data && JSON_NODE_HOLDS_OBJECT (data) ? json_node_get_object (data) : NULL);
}

static GPtrArray *
conn_get_events (Conn       *self,
                 const char *ticket_id)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);

  stmt = prepare (self,
                  "SELECT seq, id, ticket_id, at, author, type, data FROM events "
                  "WHERE ticket_id = ? ORDER BY seq", NULL);
  if (stmt == NULL)
    return events;
  fl_sqlite_bind_text (stmt, 1, ticket_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (events, event_from_row (stmt));
  return events;
}

/* Entries kept of each kind for pulls: a few answers' worth. */
#define MAX_CHANGE_CACHE 20000

/* The event of the row (seq, id, ticket_id, at, author, type, data), parsed once. */
static FlEvent *
cached_event_from_row (Conn         *self,
                       sqlite3_stmt *stmt)
{
  gint64 seq = sqlite3_column_int64 (stmt, 0);
  FlEvent *ev = g_hash_table_lookup (self->change_events, &seq);

  if (ev != NULL)
    return g_object_ref (ev);

  if (g_hash_table_size (self->change_events) >= MAX_CHANGE_CACHE)
    g_hash_table_remove_all (self->change_events);
  ev = event_from_row (stmt);
  /* the key lives in the event */
  g_hash_table_insert (self->change_events, &ev->seq, g_object_ref (ev));
  return ev;
}

/* The ticket as stored now, parsed again only when its seq moved on. */
static FlTicket *
cached_ticket (Conn        *self,
               const char  *ticket_id,
               GError     **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonNode) node = NULL;
  FlTicket *t;
  gint64 seq;
  int rc;

  stmt = prepare (self, "SELECT seq, json FROM tickets WHERE id = ?", error);
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
      db_error (self, error, "load ticket");
      return NULL;
    }

  seq = sqlite3_column_int64 (stmt, 0);
  t = g_hash_table_lookup (self->change_tickets, ticket_id);
  if (t != NULL && t->seq == seq)
    return g_object_ref (t);

  node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 1));
  if (node == NULL)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   "stored ticket %s is not JSON", ticket_id);
      return NULL;
    }
  if (!(t = fl_ticket_from_json (node, error)))
    return NULL;
  if (t->seq != seq)
    return t;

  if (g_hash_table_size (self->change_tickets) >= MAX_CHANGE_CACHE)
    g_hash_table_remove_all (self->change_tickets);
  /* the key lives in the ticket */
  g_hash_table_replace (self->change_tickets, t->id, g_object_ref (t));
  return t;
}

static gboolean
conn_get_changes (Conn       *self,
                  gint64      cursor,
                  gint64      limit,
                  GPtrArray **out_tickets,
                  GPtrArray **out_events,
                  GPtrArray **out_checklists,
                  gint64     *out_cursor,
                  gboolean   *more,
                  GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) checklists = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 new_cursor = cursor;
  gint64 upper;
  int rc;

  *more = FALSE;

  stmt = prepare (self,
                  "SELECT seq, id, ticket_id, at, author, type, data FROM events "
                  "WHERE seq > ? ORDER BY seq LIMIT ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cursor);
  sqlite3_bind_int64 (stmt, 2, limit + 1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if ((gint64) events->len == limit)
        {
          *more = TRUE;
          break;
        }
      g_ptr_array_add (events, cached_event_from_row (self, stmt));
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_error (self, error, "changes");

  if (events->len > 0)
    new_cursor = ((FlEvent *) g_ptr_array_index (events, events->len - 1))->seq;
  upper = *more ? new_cursor : G_MAXINT64;

  for (guint i = 0; i < events->len; i++)
    {
      FlEvent *ev = g_ptr_array_index (events, i);
      FlTicket *t;

      if (g_hash_table_contains (seen, ev->ticket_id))
        continue;
      g_hash_table_add (seen, ev->ticket_id);
      t = cached_ticket (self, ev->ticket_id, error);
      if (t == NULL)
        return FALSE;
      g_ptr_array_add (tickets, t);
    }

  g_clear_pointer (&stmt, sqlite3_reset);
  stmt = prepare (self,
                  "SELECT seq, json FROM checklists WHERE seq > ? AND seq <= ? ORDER BY seq",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cursor);
  sqlite3_bind_int64 (stmt, 2, upper);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonNode *node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 1));

      if (node != NULL)
        g_ptr_array_add (checklists, node);
      new_cursor = MAX (new_cursor, sqlite3_column_int64 (stmt, 0));
    }

  *out_tickets = g_steal_pointer (&tickets);
  *out_events = g_steal_pointer (&events);
  *out_checklists = g_steal_pointer (&checklists);
  *out_cursor = new_cursor;
  return TRUE;
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

/* Full-text matches above this many walk the list's index (see conn_query_tickets). */
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

/* The summary report's definitions, for the drill-down (conn_report () counts the same). */
#define KPI_RESOLVED "(resolution_code IS NOT NULL AND resolved_at IS NOT NULL)"
#define KPI_OPEN "status IN ('new', 'in_progress', 'waiting', 'escalated')"
#define DAY_MS (24 * 3600 * 1000LL)
#define HOUR_MS (3600 * 1000LL)

static GPtrArray *
conn_query_tickets (Conn                *self,
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
  count = prepare (self, g_intern_string (sql_count), error);
  if (count == NULL)
    return NULL;
  bind_params (count, params, ints);

  /* The total of one filter is counted once per state of the database: the next pages
   * of the same history reuse it. */
  {
    g_autofree char *key = NULL;
    gint64 seq = meta_get (self, "seq", 0);
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
            db_error (self, error, "count");
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
  stmt = prepare (self, g_intern_string (sql), error);
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
      db_error (self, error, "query");
      return NULL;
    }

  return g_steal_pointer (&tickets);
}

/* -------------------------------------------------------------------------- */
/* Reports */

typedef struct
{
  gint64 created;
  gint64 resolved;
  gint64 escalated;
  gint64 first_contact;
} Counts;

static Counts *
counts_lookup (GHashTable *table,
               const char *key)
{
  Counts *c = g_hash_table_lookup (table, key);

  if (c == NULL)
    {
      c = g_new0 (Counts, 1);
      g_hash_table_insert (table, g_strdup (key), c);
    }
  return c;
}

static int
compare_str (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_ptr_int (gconstpointer a,
                 gconstpointer b)
{
  gintptr x = GPOINTER_TO_SIZE (*(const gpointer *) a);
  gintptr y = GPOINTER_TO_SIZE (*(const gpointer *) b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/* by_day keys: the UTC day number since the epoch, plus one (never NULL). */
static gpointer
day_key (gint64 ms)
{
  return GSIZE_TO_POINTER ((gsize) (ms / DAY_MS + 1));
}

static char *
day_text (gpointer key)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (((gint64) GPOINTER_TO_SIZE (key) - 1)
                                                           * (DAY_MS / 1000));
  return dt ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("1970-01-01");
}

static Counts *
day_lookup (GHashTable *table,
            gint64      ms)
{
  gpointer key = day_key (ms);
  Counts *c = g_hash_table_lookup (table, key);

  if (c == NULL)
    {
      c = g_new0 (Counts, 1);
      g_hash_table_insert (table, key, c);
    }
  return c;
}

/* The @k-th smallest (from 0) of @v[0..@n), in linear time on average; reorders @v. */
static gint64
select_kth (gint64 *v,
            gssize  n,
            gssize  k)
{
  gssize lo = 0, hi = n - 1;

  while (lo < hi)
    {
      gint64 pivot = v[lo + (hi - lo) / 2];
      gssize i = lo, j = hi;

      while (i <= j)
        {
          while (v[i] < pivot)
            i++;
          while (v[j] > pivot)
            j--;
          if (i <= j)
            {
              gint64 t = v[i];

              v[i++] = v[j];
              v[j--] = t;
            }
        }
      /* [lo, j] ≤ pivot ≤ [i, hi], and what lies between is the pivot */
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        return v[k];
    }
  return v[k];
}

/* The median of @values (even count: the mean of the middle two); reorders them. */
static gint64
median_of (GArray *values)
{
  gint64 *v = (gint64 *) (gpointer) values->data;
  guint n = values->len;
  gint64 upper;

  if (n == 0)
    return 0;
  upper = select_kth (v, n, n / 2);
  if (n % 2 == 1)
    return upper;
  return (select_kth (v, n, n / 2 - 1) + upper) / 2;
}

/* The 90th percentile of @values, nearest rank (the ⌈0.9 n⌉-th smallest); reorders them. */
static gint64
p90_of (GArray *values)
{
  guint n = values->len;
  guint rank;

  if (n == 0)
    return 0;
  rank = (n * 9 + 9) / 10;
  return select_kth ((gint64 *) (gpointer) values->data, n, MAX (rank, 1) - 1);
}

static void
add_rate (JsonBuilder *b,
          const char  *name,
          gint64       num,
          gint64       den)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, den > 0 ? (double) num / (double) den : 0.0);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
build_counts_array (JsonBuilder *b,
                    const char  *array_name,
                    const char  *key_name,
                    GHashTable  *table,
                    gboolean     agent)
{
  g_autofree gpointer *keys = NULL;
  guint n = 0;

  keys = g_hash_table_get_keys_as_array (table, &n);
  qsort (keys, n, sizeof (gpointer), compare_str);

  json_builder_set_member_name (b, array_name);
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      Counts *c = g_hash_table_lookup (table, keys[i]);

      json_builder_begin_object (b);
      add_string (b, key_name, keys[i]);
      if (!agent)
        add_int (b, "created", c->created);
      add_int (b, "resolved", c->resolved);
      add_int (b, "escalated", c->escalated);
      if (agent)
        add_int (b, "first_contact", c->first_contact);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* A few keys seen last, before the hash table: the report's loop meets the same few
 * categories and agents a million times. */
#define KEY_CACHE 16

typedef struct
{
  char   *keys[KEY_CACHE];
  Counts *counts[KEY_CACHE];
  guint   n;
  guint   next;
} KeyCache;

static Counts *
key_cache_lookup (KeyCache   *cache,
                  GHashTable *table,
                  const char *key)
{
  Counts *c;
  guint slot;

  for (guint i = 0; i < cache->n; i++)
    if (strcmp (cache->keys[i], key) == 0)
      return cache->counts[i];

  c = counts_lookup (table, key);
  slot = cache->n < KEY_CACHE ? cache->n++ : (cache->next++ % KEY_CACHE);
  g_free (cache->keys[slot]);
  cache->keys[slot] = g_strdup (key);
  cache->counts[slot] = c;
  return c;
}

static void
key_cache_clear (KeyCache *cache)
{
  for (guint i = 0; i < cache->n; i++)
    g_free (cache->keys[i]);
  cache->n = 0;
}

/* by_day without a hash per row: an array from the first day of the range to today's. */
typedef struct
{
  gint64  first_day;
  guint   n;
  Counts *days;
} DayTable;

static Counts *
day_table_lookup (DayTable   *t,
                  GHashTable *table,
                  gint64      ms)
{
  gint64 d = ms / DAY_MS - t->first_day;

  if (d >= 0 && d < t->n)
    return &t->days[d];
  return day_lookup (table, ms);
}

static const char * const aging_buckets[] = { "lt_4h", "4h_24h", "1d_3d", "3d_7d", "gt_7d" };

static guint
aging_bucket (gint64 age)
{
  if (age < 4 * HOUR_MS)
    return 0;
  if (age < DAY_MS)
    return 1;
  if (age < 3 * DAY_MS)
    return 2;
  if (age < 7 * DAY_MS)
    return 3;
  return 4;
}

/* One pass over the covering index tickets_report: the range's rows, no table reads. */
static JsonNode *
conn_report (Conn    *self,
             gint64   from,
             gint64   to,
             gint64   now,
             GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) by_category = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) by_agent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) by_day = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GArray) durations = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *from_text = fl_time_format (from);
  g_autofree char *to_text = fl_time_format (to);
  g_autofree gpointer *days = NULL;
  gint64 created = 0, resolved = 0, escalated = 0, open = 0, first_contact = 0;
  gint64 level1 = 0, breaches = 0, reopened = 0, median, p90;
  gint64 aging[G_N_ELEMENTS (aging_buckets)] = { 0 };
  KeyCache categories = { 0 }, agents = { 0 };
  DayTable day_table = { 0 };
  Counts *cat = NULL;
  guint n_days = 0;
  int rc;

  stmt = prepare (self,
                  "SELECT status, category, created_at, resolved_at, due_at, resolution_code,"
                  " resolved_by, handoffs, reopened_7d, waiting_since FROM tickets"
                  " WHERE created_at >= ? AND created_at < ?",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);

  /* resolves can come up to today */
  day_table.first_day = MAX (from, 0) / DAY_MS;
  day_table.n = (guint) CLAMP (MAX (to, now) / DAY_MS - day_table.first_day + 1, 0, 100000);
  day_table.days = g_new0 (Counts, day_table.n);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FlStatus status = FL_STATUS_NEW;
      const char *category = fl_sqlite_column_text (stmt, 1);
      gint64 created_at = sqlite3_column_int64 (stmt, 2);
      gint64 resolved_at = sqlite3_column_int64 (stmt, 3);
      gint64 due_at = sqlite3_column_int64 (stmt, 4);
      const char *code = fl_sqlite_column_text (stmt, 5);
      const char *resolved_by = fl_sqlite_column_text (stmt, 6);
      gboolean handed_off = sqlite3_column_int64 (stmt, 7) > 0;
      gboolean was_reopened = sqlite3_column_int64 (stmt, 8) > 0;
      gint64 waiting_since = sqlite3_column_int64 (stmt, 9);
      gboolean is_resolved = code != NULL && resolved_at > 0;

      if (category == NULL)
        category = "";
      cat = key_cache_lookup (&categories, by_category, category);

      fl_status_from_string (fl_sqlite_column_text (stmt, 0), &status);

      created++;
      cat->created++;
      day_table_lookup (&day_table, by_day, created_at)->created++;

      if (handed_off)
        {
          escalated++;
          cat->escalated++;
        }
      if (was_reopened)
        reopened++;
      if (fl_status_is_open (status))
        {
          open++;
          aging[aging_bucket (now - created_at)]++;
          /* Waiting time does not count: a ticket waiting now breached only when it
           * passed its due time before it began to wait. */
          if (status == FL_STATUS_WAITING && waiting_since > 0)
            {
              if (due_at > 0 && waiting_since > due_at)
                breaches++;
            }
          else if (due_at > 0 && now > due_at)
            breaches++;
        }
      if (is_resolved)
        {
          gint64 secs = (resolved_at - created_at) / 1000;
          gboolean fc = g_strcmp0 (code, "first_contact") == 0 && !handed_off;

          resolved++;
          cat->resolved++;
          day_table_lookup (&day_table, by_day, resolved_at)->resolved++;
          if (fc)
            first_contact++;
          if (!handed_off)
            level1++;
          if (due_at > 0 && resolved_at > due_at)
            breaches++;
          g_array_append_val (durations, secs);
          if (resolved_by != NULL)
            {
              Counts *agent = key_cache_lookup (&agents, by_agent, resolved_by);
              agent->resolved++;
              if (fc)
                agent->first_contact++;
            }
        }
    }
  key_cache_clear (&categories);
  key_cache_clear (&agents);
  for (guint d = 0; d < day_table.n; d++)
    if (day_table.days[d].created > 0 || day_table.days[d].resolved > 0)
      *day_lookup (by_day, (day_table.first_day + d) * DAY_MS) = day_table.days[d];
  g_free (day_table.days);
  if (rc != SQLITE_DONE)
    {
      db_error (self, error, "report");
      return NULL;
    }

  /* Escalations per agent: each ticket once per agent who handed it off. */
  g_clear_pointer (&stmt, sqlite3_reset);
  stmt = prepare (self,
                  "SELECT author, COUNT (*) FROM report_handoffs "
                  "WHERE created_at >= ? AND created_at < ? GROUP BY author", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    counts_lookup (by_agent, fl_sqlite_column_text (stmt, 0))->escalated +=
      sqlite3_column_int64 (stmt, 1);

  /* Every agent and specialist has a row, also with nothing to count. */
  g_clear_pointer (&stmt, sqlite3_reset);
  stmt = prepare (self,
                  "SELECT username FROM users WHERE disabled = 0"
                  " AND role IN ('agent', 'specialist')", error);
  if (stmt == NULL)
    return NULL;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    counts_lookup (by_agent, fl_sqlite_column_text (stmt, 0));

  median = median_of (durations);
  p90 = p90_of (durations);

  json_builder_begin_object (b);
  add_string (b, "from", from_text);
  add_string (b, "to", to_text);
  add_int (b, "created", created);
  add_int (b, "resolved", resolved);
  add_int (b, "escalated", escalated);
  add_int (b, "open", open);
  add_rate (b, "first_contact_rate", first_contact, resolved);
  add_rate (b, "level1_resolution_rate", level1, resolved);
  add_rate (b, "escalation_rate", escalated, created);
  add_rate (b, "reopen_rate", reopened, resolved);
  add_int (b, "median_resolve_seconds", median);
  add_int (b, "p90_resolve_seconds", p90);
  add_int (b, "sla_breaches", breaches);

  json_builder_set_member_name (b, "backlog_aging");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (aging_buckets); i++)
    {
      json_builder_begin_object (b);
      add_string (b, "bucket", aging_buckets[i]);
      add_int (b, "open", aging[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  build_counts_array (b, "by_category", "category", by_category, FALSE);
  build_counts_array (b, "by_agent", "agent", by_agent, TRUE);

  days = g_hash_table_get_keys_as_array (by_day, &n_days);
  qsort (days, n_days, sizeof (gpointer), compare_ptr_int);
  json_builder_set_member_name (b, "by_day");
  json_builder_begin_array (b);
  for (guint i = 0; i < n_days; i++)
    {
      Counts *c = g_hash_table_lookup (by_day, days[i]);
      g_autofree char *day = day_text (days[i]);

      json_builder_begin_object (b);
      add_string (b, "day", day);
      add_int (b, "created", c->created);
      add_int (b, "resolved", c->resolved);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The checklist report: per checklist version and step. */

typedef struct
{
  gint64  reached;
  gint64  resolved_l1;
  gint64  escalated;
  GArray *seconds;                /* gint64: step to resolution, resolved tickets */
} StepAgg;

typedef struct
{
  char       *id;
  gint64      version;
  gint64      started;
  gint64      resolved_l1;
  gint64      escalated;
  GHashTable *steps;              /* step id → StepAgg */
} ChecklistAgg;

static void
step_agg_free (gpointer data)
{
  StepAgg *s = data;

  g_array_unref (s->seconds);
  g_free (s);
}

static void
checklist_agg_free (gpointer data)
{
  ChecklistAgg *c = data;

  g_free (c->id);
  g_hash_table_unref (c->steps);
  g_free (c);
}

static int
compare_checklist_agg (gconstpointer a,
                       gconstpointer b)
{
  const ChecklistAgg *x = *(ChecklistAgg * const *) a;
  const ChecklistAgg *y = *(ChecklistAgg * const *) b;
  int c = strcmp (x->id, y->id);

  return c != 0 ? c : x->version < y->version ? -1 : x->version > y->version ? 1 : 0;
}

static void
build_step (JsonBuilder *b,
            const char  *step_id,
            const char  *text,
            StepAgg     *s)
{
  json_builder_begin_object (b);
  add_string (b, "step_id", step_id);
  add_string (b, "text", text ? text : "");
  add_int (b, "reached", s ? s->reached : 0);
  add_int (b, "resolved_l1", s ? s->resolved_l1 : 0);
  add_int (b, "escalated", s ? s->escalated : 0);
  add_int (b, "median_seconds_to_resolve", s ? median_of (s->seconds) : 0);
  json_builder_end_object (b);
}

static JsonNode *
conn_report_checklists (Conn    *self,
                        gint64   from,
                        gint64   to,
                        GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) lists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       checklist_agg_free);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autofree char *from_text = fl_time_format (from);
  g_autofree char *to_text = fl_time_format (to);
  GHashTableIter iter;
  gpointer value;
  int rc;

  stmt = prepare (self,
                  "SELECT checklist_id, checklist_version, step_id, ticket, at, resolved_at,"
                  " resolved_at, handoffs FROM report_steps "
                  "WHERE created_at >= ? AND created_at < ? "
                  /* the key's order: no sorting */
                  "ORDER BY created_at, ticket, checklist_id, checklist_version", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);

  /* Rows come in the key's order (created_at, ticket, checklist, version, step): the rows
   * of one ticket and checklist are next to each other, so a change of either starts the
   * next ticket of a checklist. */
  {
    ChecklistAgg *c = NULL;
    gint64 last_ticket = -1;
    ChecklistAgg *last_c = NULL;

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        const char *id = fl_sqlite_column_text (stmt, 0);
        gint64 version = sqlite3_column_int64 (stmt, 1);
        const char *step_id = fl_sqlite_column_text (stmt, 2);
        gint64 ticket = sqlite3_column_int64 (stmt, 3);
        gint64 at = sqlite3_column_int64 (stmt, 4);
        gint64 resolved_at = sqlite3_column_int64 (stmt, 5);
        gboolean is_resolved = sqlite3_column_type (stmt, 6) != SQLITE_NULL && resolved_at > 0;
        gboolean handed_off = sqlite3_column_int64 (stmt, 7) > 0;
        gboolean l1 = is_resolved && !handed_off;
        StepAgg *st;

        if (id == NULL)
          id = "";
        if (step_id == NULL)
          step_id = "";
        if (c == NULL || c->version != version || strcmp (c->id, id) != 0)
          {
            g_autofree char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, version);

            c = g_hash_table_lookup (lists, key);
            if (c == NULL)
              {
                c = g_new0 (ChecklistAgg, 1);
                c->id = g_strdup (id);
                c->version = version;
                c->steps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, step_agg_free);
                g_hash_table_insert (lists, g_steal_pointer (&key), c);
              }
          }

        if (ticket != last_ticket || c != last_c)
          {
            c->started++;
            if (l1)
              c->resolved_l1++;
            if (handed_off)
              c->escalated++;
            last_ticket = ticket;
            last_c = c;
          }

        st = g_hash_table_lookup (c->steps, step_id);
        if (st == NULL)
          {
            st = g_new0 (StepAgg, 1);
            st->seconds = g_array_new (FALSE, FALSE, sizeof (gint64));
            g_hash_table_insert (c->steps, g_strdup (step_id), st);
          }
        st->reached++;
        if (l1)
          st->resolved_l1++;
        if (handed_off)
          st->escalated++;
        if (is_resolved)
          {
            gint64 secs = MAX (resolved_at - at, 0) / 1000;
            g_array_append_val (st->seconds, secs);
          }
      }
  }
  if (rc != SQLITE_DONE)
    {
      db_error (self, error, "checklist report");
      return NULL;
    }

  g_hash_table_iter_init (&iter, lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_checklist_agg);

  json_builder_begin_object (b);
  add_string (b, "from", from_text);
  add_string (b, "to", to_text);
  json_builder_set_member_name (b, "checklists");
  json_builder_begin_array (b);
  for (guint i = 0; i < sorted->len; i++)
    {
      ChecklistAgg *c = g_ptr_array_index (sorted, i);
      FlChecklist *def = lookup_checklist (self, c->id, c->version, NULL);
      g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
      g_autofree gpointer *rest = NULL;
      guint n_rest = 0;

      json_builder_begin_object (b);
      add_string (b, "checklist_id", c->id);
      add_int (b, "checklist_version", c->version);
      add_string (b, "title", def ? fl_checklist_get_title (def, "en") : c->id);
      add_int (b, "started", c->started);
      add_int (b, "resolved_l1", c->resolved_l1);
      add_int (b, "escalated", c->escalated);
      json_builder_set_member_name (b, "steps");
      json_builder_begin_array (b);
      for (guint k = 0; def && k < fl_checklist_get_n_steps (def); k++)
        {
          const FlChecklistStep *step = fl_checklist_get_nth_step (def, k);

          g_hash_table_add (listed, step->id);
          build_step (b, step->id, fl_checklist_step_get_text (step, "en"),
                      g_hash_table_lookup (c->steps, step->id));
        }
      /* Steps the definition does not have (it is gone): sorted by id. */
      rest = g_hash_table_get_keys_as_array (c->steps, &n_rest);
      qsort (rest, n_rest, sizeof (gpointer), compare_str);
      for (guint k = 0; k < n_rest; k++)
        if (!g_hash_table_contains (listed, rest[k]))
          build_step (b, rest[k], "", g_hash_table_lookup (c->steps, rest[k]));
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* -------------------------------------------------------------------------- */
/* Checklists */

static GPtrArray *
conn_list_checklists (Conn    *self,
                      GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  stmt = prepare (self, "SELECT json FROM checklists ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonNode *node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0));
      if (node != NULL)
        g_ptr_array_add (list, node);
    }
  return g_steal_pointer (&list);
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

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return NULL;

  get = prepare (self, "SELECT version FROM checklists WHERE id = ?", error);
  if (get == NULL)
    goto fail;
  fl_sqlite_bind_text (get, 1, id);
  if (sqlite3_step (get) == SQLITE_ROW)
    {
      if (only_if_new)
        {
          rollback (self);
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

  seq = next_seq (self, error);
  if (seq == 0)
    goto fail;

  put = prepare (self,
                 "INSERT INTO checklists (id, version, seq, json) VALUES (?1, ?2, ?3, ?4) "
                 "ON CONFLICT (id) DO UPDATE SET version = ?2, seq = ?3, json = ?4", error);
  if (put == NULL)
    goto fail;
  fl_sqlite_bind_text (put, 1, id);
  sqlite3_bind_int64 (put, 2, version);
  sqlite3_bind_int64 (put, 3, seq);
  fl_sqlite_bind_text (put, 4, text);
  if (!step_done (self, put, error))
    goto fail;
  g_clear_pointer (&put, sqlite3_reset);
  put = prepare (self,
                 "INSERT OR REPLACE INTO checklist_versions (id, version, json) VALUES (?, ?, ?)",
                 error);
  if (put == NULL)
    goto fail;
  fl_sqlite_bind_text (put, 1, id);
  sqlite3_bind_int64 (put, 2, version);
  fl_sqlite_bind_text (put, 3, text);
  if (!step_done (self, put, error) || !exec (self, "COMMIT", error))
    goto fail;

  return g_steal_pointer (&stored);

fail:
  rollback (self);
  return NULL;
}

static JsonNode *
conn_put_checklist (Conn       *self,
                    const char *id,
                    JsonNode   *checklist,
                    GError    **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return store_checklist (self, id, checklist, FALSE, error);
}

static gboolean
conn_seed_checklists (Conn       *self,
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

/* -------------------------------------------------------------------------- */
/* Similar solved tickets and predefined answers */

static GPtrArray *
conn_find_similar (Conn                 *self,
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
      g_autoptr(FlSqliteStmt) stmt = prepare (self, "SELECT json FROM tickets WHERE rowid = ?", error);
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

static GPtrArray *
conn_list_answers (Conn    *self,
                   GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  stmt = prepare (self, "SELECT json FROM answers ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonNode *node = fl_sqlite_json_parse (fl_sqlite_column_text (stmt, 0));

      if (node != NULL)
        g_ptr_array_add (list, node);
    }
  return g_steal_pointer (&list);
}

static GPtrArray *
conn_get_answer_changes (Conn     *self,
                         gint64    cursor,
                         gint64    upper,
                         gint64   *out_cursor,
                         GError  **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  stmt = prepare (self, "SELECT seq, json FROM answers WHERE seq > ? AND seq <= ? ORDER BY seq",
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
static JsonNode *
store_answer (Conn       *self,
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

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return NULL;
  get = prepare (self, "SELECT version FROM answers WHERE id = ?", error);
  if (get == NULL)
    goto fail;
  fl_sqlite_bind_text (get, 1, id);
  if (sqlite3_step (get) == SQLITE_ROW)
    {
      if (only_if_new)
        {
          rollback (self);
          return g_steal_pointer (&copy);
        }
      version = sqlite3_column_int64 (get, 0) + 1;
    }
  json_object_set_int_member (obj, "version", version);
  text = json_to_string (copy, FALSE);

  seq = next_seq (self, error);
  if (seq == 0)
    goto fail;
  put = prepare (self,
                 "INSERT INTO answers (id, version, seq, json) VALUES (?1, ?2, ?3, ?4) "
                 "ON CONFLICT (id) DO UPDATE SET version = ?2, seq = ?3, json = ?4", error);
  if (put == NULL)
    goto fail;
  fl_sqlite_bind_text (put, 1, id);
  sqlite3_bind_int64 (put, 2, version);
  sqlite3_bind_int64 (put, 3, seq);
  fl_sqlite_bind_text (put, 4, text);
  if (!step_done (self, put, error) || !exec (self, "COMMIT", error))
    goto fail;

  return g_steal_pointer (&copy);

fail:
  rollback (self);
  return NULL;
}

static gboolean
conn_seed_answers (Conn    *self,
                   GError **error)
{
  g_autoptr(GPtrArray) builtin = fl_answer_load_builtin (error);

  if (builtin == NULL)
    return FALSE;
  for (guint i = 0; i < builtin->len; i++)
    {
      g_autoptr(JsonNode) stored = store_answer (self, NULL, builtin->pdata[i], TRUE, error);

      if (stored == NULL)
        return FALSE;
    }
  return TRUE;
}

/* One request's ops as one group: a savepoint per op inside one transaction. */
static GPtrArray *
conn_apply_batch (Conn               *self,
                  GPtrArray          *ops,
                  const char         *client_id,
                  const FlServerUser *user,
                  GError            **error)
{
  g_autoptr(GPtrArray) results = NULL;

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_apply_result_free);

  if (ops->len == 0)
    return g_steal_pointer (&results);

  if (!conn_begin_batch (self, error))
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

/* -------------------------------------------------------------------------- */
/* FlServerStoreSqlite: the main connection for the calling thread, and one writer thread
 * with its own connection for the long writes. WAL lets the main connection read while
 * the writer writes; each of its reads sees the last commit. */

struct _FlServerStoreSqlite
{
  GObject       parent_instance;

  /* owned */
  char         *dir;
  Conn         *main;           /* the thread that opened the store */
  Conn         *writer;         /* only the writer thread uses it; NULL until needed */
  GThreadPool  *pool;           /* one thread: jobs run one after the other, in order */
  FlPolicy      policy;
};

static void fl_server_store_sqlite_iface_init (FlServerStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FlServerStoreSqlite, fl_server_store_sqlite, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FL_TYPE_SERVER_STORE,
                                                      fl_server_store_sqlite_iface_init))

typedef enum
{
  JOB_BATCH,
  JOB_CHECKLIST,
  JOB_TOKEN,
} JobKind;

typedef struct
{
  JobKind        kind;
  GTask         *task;          /* batch, checklist; owned */
  GPtrArray     *ops;           /* batch */
  char          *client_id;     /* batch */
  FlServerUser  *user;          /* batch */
  char          *id;            /* checklist */
  JsonNode      *checklist;     /* checklist: a deep copy */
  TokenWrite     token_write;   /* token */
  char          *hash;          /* token */
  gint64         now;           /* token */
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_pointer (&job->ops, g_ptr_array_unref);
  g_free (job->client_id);
  g_clear_pointer (&job->user, fl_server_user_free);
  g_free (job->id);
  g_clear_pointer (&job->checklist, json_node_unref);
  g_free (job->hash);
  g_free (job);
}

/* json-glib counts references without atomics, and a copied node shares its value:
 * what the writer thread gets shares nothing with the calling thread. */
static JsonNode *
node_deep_copy (JsonNode *node)
{
  JsonNode *copy;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *obj = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          json_object_set_member (obj, name, node_deep_copy (member));
        copy = json_node_init_object (json_node_alloc (), obj);
        json_object_unref (obj);
      }
      return copy;
    case JSON_NODE_ARRAY:
      {
        JsonArray *src = json_node_get_array (node);
        JsonArray *array = json_array_sized_new (json_array_get_length (src));

        for (guint i = 0; i < json_array_get_length (src); i++)
          json_array_add_element (array, node_deep_copy (json_array_get_element (src, i)));
        copy = json_node_init_array (json_node_alloc (), array);
        json_array_unref (array);
      }
      return copy;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          return json_node_init_int (json_node_alloc (), json_node_get_int (node));
        case G_TYPE_DOUBLE:
          return json_node_init_double (json_node_alloc (), json_node_get_double (node));
        case G_TYPE_BOOLEAN:
          return json_node_init_boolean (json_node_alloc (), json_node_get_boolean (node));
        case G_TYPE_STRING:
        default:
          return json_node_init_string (json_node_alloc (), json_node_get_string (node));
        }
    case JSON_NODE_NULL:
    default:
      return json_node_init_null (json_node_alloc ());
    }
}

static GPtrArray *
ops_deep_copy (GPtrArray *ops)
{
  GPtrArray *copy = g_ptr_array_new_full (ops->len, (GDestroyNotify) fl_op_free);

  for (guint i = 0; i < ops->len; i++)
    {
      const FlOp *op = g_ptr_array_index (ops, i);
      g_autoptr(JsonNode) data = NULL;
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), op->data);

      data = node_deep_copy (node);
      g_ptr_array_add (copy, fl_op_new (op->op_id, op->ticket_id, op->type, op->base_version,
                                        op->at, json_node_get_object (data)));
    }
  return copy;
}

/* On the writer thread. */
static void
writer_thread (gpointer data,
               gpointer user_data)
{
  Job *job = data;
  FlServerStoreSqlite *self = user_data;
  GError *error = NULL;

  switch (job->kind)
    {
    case JOB_BATCH:
      {
        GPtrArray *results = conn_apply_batch (self->writer, job->ops, job->client_id,
                                               job->user, &error);
        if (results != NULL)
          g_task_return_pointer (job->task, results, (GDestroyNotify) g_ptr_array_unref);
        else
          g_task_return_error (job->task, error);
      }
      break;
    case JOB_CHECKLIST:
      {
        JsonNode *stored = conn_put_checklist (self->writer, job->id, job->checklist, &error);
        if (stored != NULL)
          g_task_return_pointer (job->task, stored, (GDestroyNotify) json_node_unref);
        else
          g_task_return_error (job->task, error);
      }
      break;
    case JOB_TOKEN:
      if (token_write (self->writer, job->token_write, job->hash, job->now) != SQLITE_DONE)
        g_warning ("Cannot record the use of a token: %s", sqlite3_errmsg (self->writer->db));
      break;
    default:
      g_assert_not_reached ();
    }

  job_free (job);
}

/* Opens the writer's connection and starts its thread on first use. */
static gboolean
ensure_writer (FlServerStoreSqlite  *self,
               GError              **error)
{
  g_autoptr(Conn) writer = NULL;

  if (self->pool != NULL)
    return TRUE;

  writer = conn_open (self->dir, FALSE, error);
  if (writer == NULL)
    return FALSE;
  conn_set_policy (writer, &self->policy);
  self->writer = g_steal_pointer (&writer);

  /* Not exclusive, at most one thread: jobs run in the order they were pushed. */
  self->pool = g_thread_pool_new (writer_thread, self, 1, FALSE, error);
  if (self->pool == NULL)
    {
      g_clear_pointer (&self->writer, conn_free);
      return FALSE;
    }
  return TRUE;
}

/* Hands @job to the writer; FALSE (and @job kept) when there is none. */
static gboolean
push_job (FlServerStoreSqlite  *self,
          Job                  *job,
          GError              **error)
{
  if (!ensure_writer (self, error))
    return FALSE;
  return g_thread_pool_push (self->pool, job, error);
}

/* -------------------------------------------------------------------------- */
/* FlServerStore */

#define SELF(store) (FL_SERVER_STORE_SQLITE (store))

static void
sqlite_set_policy (FlServerStore  *store,
                   const FlPolicy *policy)
{
  FlServerStoreSqlite *self = SELF (store);

  g_return_if_fail (policy != NULL);

  /* The writer thread may be running a batch: only before it starts. */
  g_return_if_fail (self->pool == NULL);
  self->policy = *policy;
  conn_set_policy (self->main, policy);
}

static void
sqlite_set_token_idle_days (FlServerStore *store,
                            guint          days)
{
  g_return_if_fail (days > 0);
  conn_set_token_idle_days (SELF (store)->main, days);
}

static gboolean
sqlite_backup (FlServerStore  *store,
               const char     *file,
               GError        **error)
{
  return conn_backup (SELF (store)->main, file, error);
}

static gboolean
sqlite_add_user (FlServerStore  *store,
                 const char     *username,
                 const char     *display_name,
                 FlRole          role,
                 const char     *password_hash,
                 GError        **error)
{
  return conn_add_user (SELF (store)->main, username, display_name, role, password_hash, error);
}

static FlServerUser *
sqlite_get_user (FlServerStore *store,
                 const char    *username)
{
  return conn_get_user (SELF (store)->main, username);
}

static char *
sqlite_dup_password_hash (FlServerStore *store,
                          const char    *username,
                          gint64        *user_id)
{
  return conn_dup_password_hash (SELF (store)->main, username, user_id);
}

static GPtrArray *
sqlite_list_users (FlServerStore *store)
{
  return conn_list_users (SELF (store)->main);
}

static gboolean
sqlite_set_user_disabled (FlServerStore  *store,
                          const char     *username,
                          gboolean        disabled,
                          GError        **error)
{
  return conn_set_user_disabled (SELF (store)->main, username, disabled, error);
}

static gboolean
sqlite_remove_user (FlServerStore  *store,
                    const char     *username,
                    GError        **error)
{
  return conn_remove_user (SELF (store)->main, username, error);
}

static gboolean
sqlite_set_password (FlServerStore  *store,
                     gint64          user_id,
                     const char     *password_hash,
                     const char     *keep_token,
                     GError        **error)
{
  return conn_set_password (SELF (store)->main, user_id, password_hash, keep_token, error);
}

static char *
sqlite_create_token (FlServerStore  *store,
                     gint64          user_id,
                     GError        **error)
{
  return conn_create_token (SELF (store)->main, user_id, error);
}

static FlServerUser *
sqlite_lookup_token (FlServerStore *store,
                     const char    *token)
{
  FlServerStoreSqlite *self = SELF (store);
  g_autofree char *hash = NULL;
  TokenWrite write = TOKEN_FRESH;
  gint64 now = fl_time_now ();
  FlServerUser *user;
  Job *job;
  int rc;

  user = conn_lookup_token (self->main, token, now, &hash, &write);
  if (write == TOKEN_FRESH)
    return user;

  /* Written at once unless a batch holds the write lock; then the writer does it after
   * the batch: a request never waits here for a long batch. */
  sqlite3_busy_timeout (self->main->db, 0);
  rc = token_write (self->main, write, hash, now);
  sqlite3_busy_timeout (self->main->db, BUSY_TIMEOUT_MS);
  if (rc == SQLITE_DONE)
    return user;

  job = g_new0 (Job, 1);
  job->kind = JOB_TOKEN;
  job->token_write = write;
  job->hash = g_steal_pointer (&hash);
  job->now = now;
  if (!push_job (self, job, NULL))
    {
      g_warning ("Cannot record the use of a token: %s", sqlite3_errstr (rc));
      job_free (job);
    }
  return user;
}

static void
sqlite_revoke_token (FlServerStore *store,
                     const char    *token)
{
  conn_revoke_token (SELF (store)->main, token);
}

static gboolean
sqlite_revoke_user_tokens (FlServerStore  *store,
                           gint64          user_id,
                           GError        **error)
{
  return conn_revoke_user_tokens (SELF (store)->main, user_id, error);
}

static gint64
sqlite_get_latest_seq (FlServerStore *store)
{
  return conn_get_latest_seq (SELF (store)->main);
}

static gboolean
sqlite_has_ticket (FlServerStore *store,
                   const char    *ticket_id)
{
  return conn_has_ticket (SELF (store)->main, ticket_id);
}

static FlTicket *
sqlite_get_ticket (FlServerStore *store,
                   const char    *ticket_id)
{
  return conn_get_ticket (SELF (store)->main, ticket_id);
}

static GPtrArray *
sqlite_get_events (FlServerStore *store,
                   const char    *ticket_id)
{
  return conn_get_events (SELF (store)->main, ticket_id);
}

static gboolean
sqlite_get_changes (FlServerStore  *store,
                    gint64          cursor,
                    gint64          limit,
                    GPtrArray     **tickets,
                    GPtrArray     **events,
                    GPtrArray     **checklists,
                    gint64         *out_cursor,
                    gboolean       *more,
                    GError        **error)
{
  return conn_get_changes (SELF (store)->main, cursor, limit, tickets, events, checklists,
                           out_cursor, more, error);
}

static GPtrArray *
sqlite_query_tickets (FlServerStore        *store,
                      const FlTicketQuery  *query,
                      gint64               *total,
                      GError              **error)
{
  return conn_query_tickets (SELF (store)->main, query, total, error);
}

static JsonNode *
sqlite_report (FlServerStore  *store,
               gint64          from,
               gint64          to,
               gint64          now,
               GError        **error)
{
  return conn_report (SELF (store)->main, from, to, now, error);
}

static JsonNode *
sqlite_report_checklists (FlServerStore  *store,
                          gint64          from,
                          gint64          to,
                          GError        **error)
{
  return conn_report_checklists (SELF (store)->main, from, to, error);
}

static GPtrArray *
sqlite_apply_batch (FlServerStore       *store,
                    GPtrArray           *ops,
                    const char          *client_id,
                    const FlServerUser  *user,
                    GError             **error)
{
  return conn_apply_batch (SELF (store)->main, ops, client_id, user, error);
}

static void
sqlite_apply_batch_async (FlServerStore       *store,
                          GPtrArray           *ops,
                          const char          *client_id,
                          const FlServerUser  *user,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  FlServerStoreSqlite *self = SELF (store);
  g_autoptr(GError) error = NULL;
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_BATCH;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, sqlite_apply_batch_async);
  job->ops = ops_deep_copy (ops);
  job->client_id = g_strdup (client_id);
  job->user = fl_server_user_copy (user);

  if (!push_job (self, job, &error))
    {
      g_task_return_error (job->task, g_steal_pointer (&error));
      job_free (job);
    }
}

static GPtrArray *
sqlite_apply_batch_finish (FlServerStore  *store,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static GPtrArray *
sqlite_list_checklists (FlServerStore  *store,
                        GError        **error)
{
  return conn_list_checklists (SELF (store)->main, error);
}

static JsonNode *
sqlite_put_checklist (FlServerStore  *store,
                      const char     *id,
                      JsonNode       *checklist,
                      GError        **error)
{
  return conn_put_checklist (SELF (store)->main, id, checklist, error);
}

static void
sqlite_put_checklist_async (FlServerStore       *store,
                            const char          *id,
                            JsonNode            *checklist,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  FlServerStoreSqlite *self = SELF (store);
  g_autoptr(GError) error = NULL;
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_CHECKLIST;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, sqlite_put_checklist_async);
  job->id = g_strdup (id);
  job->checklist = node_deep_copy (checklist);

  if (!push_job (self, job, &error))
    {
      g_task_return_error (job->task, g_steal_pointer (&error));
      job_free (job);
    }
}

static JsonNode *
sqlite_put_checklist_finish (FlServerStore  *store,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
sqlite_seed_checklists (FlServerStore  *store,
                        const char     *dir,
                        GError        **error)
{
  return conn_seed_checklists (SELF (store)->main, dir, error);
}

static GPtrArray *
sqlite_find_similar (FlServerStore         *store,
                     const FlSimilarQuery  *query,
                     GError               **error)
{
  return conn_find_similar (SELF (store)->main, query, error);
}

static GPtrArray *
sqlite_list_answers (FlServerStore  *store,
                     GError        **error)
{
  return conn_list_answers (SELF (store)->main, error);
}

static GPtrArray *
sqlite_get_answer_changes (FlServerStore  *store,
                           gint64          cursor,
                           gint64          upper,
                           gint64         *out_cursor,
                           GError        **error)
{
  return conn_get_answer_changes (SELF (store)->main, cursor, upper, out_cursor, error);
}

static JsonNode *
sqlite_put_answer (FlServerStore  *store,
                   const char     *id,
                   JsonNode       *answer,
                   GError        **error)
{
  return store_answer (SELF (store)->main, id, answer, FALSE, error);
}

static gboolean
sqlite_seed_answers (FlServerStore  *store,
                     GError        **error)
{
  return conn_seed_answers (SELF (store)->main, error);
}

#undef SELF

/* -------------------------------------------------------------------------- */

static void
fl_server_store_sqlite_finalize (GObject *object)
{
  FlServerStoreSqlite *self = (FlServerStoreSqlite *)object;

  /* Every task holds a reference on the store: what is left are token writes, done now. */
  if (self->pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
  g_clear_pointer (&self->writer, conn_free);
  g_clear_pointer (&self->main, conn_free);
  g_free (self->dir);

  G_OBJECT_CLASS (fl_server_store_sqlite_parent_class)->finalize (object);
}

static void
fl_server_store_sqlite_class_init (FlServerStoreSqliteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_server_store_sqlite_finalize;
}

static void
fl_server_store_sqlite_iface_init (FlServerStoreInterface *iface)
{
  iface->set_policy = sqlite_set_policy;
  iface->set_token_idle_days = sqlite_set_token_idle_days;
  iface->backup = sqlite_backup;
  iface->add_user = sqlite_add_user;
  iface->get_user = sqlite_get_user;
  iface->dup_password_hash = sqlite_dup_password_hash;
  iface->list_users = sqlite_list_users;
  iface->set_user_disabled = sqlite_set_user_disabled;
  iface->remove_user = sqlite_remove_user;
  iface->set_password = sqlite_set_password;
  iface->create_token = sqlite_create_token;
  iface->lookup_token = sqlite_lookup_token;
  iface->revoke_token = sqlite_revoke_token;
  iface->revoke_user_tokens = sqlite_revoke_user_tokens;
  iface->get_latest_seq = sqlite_get_latest_seq;
  iface->has_ticket = sqlite_has_ticket;
  iface->get_ticket = sqlite_get_ticket;
  iface->get_events = sqlite_get_events;
  iface->get_changes = sqlite_get_changes;
  iface->query_tickets = sqlite_query_tickets;
  iface->report = sqlite_report;
  iface->report_checklists = sqlite_report_checklists;
  iface->apply_batch = sqlite_apply_batch;
  iface->apply_batch_async = sqlite_apply_batch_async;
  iface->apply_batch_finish = sqlite_apply_batch_finish;
  iface->list_checklists = sqlite_list_checklists;
  iface->put_checklist = sqlite_put_checklist;
  iface->put_checklist_async = sqlite_put_checklist_async;
  iface->put_checklist_finish = sqlite_put_checklist_finish;
  iface->seed_checklists = sqlite_seed_checklists;
  iface->find_similar = sqlite_find_similar;
  iface->list_answers = sqlite_list_answers;
  iface->get_answer_changes = sqlite_get_answer_changes;
  iface->put_answer = sqlite_put_answer;
  iface->seed_answers = sqlite_seed_answers;
}

static void
fl_server_store_sqlite_init (FlServerStoreSqlite *self)
{
  self->policy = *fl_policy_get_default ();
}

gint64
fl_server_store_sqlite_get_pragma (FlServerStoreSqlite *self,
                                   const char          *pragma)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_return_val_if_fail (FL_IS_SERVER_STORE_SQLITE (self), -1);
  g_return_val_if_fail (pragma != NULL, -1);

  sql = g_strdup_printf ("PRAGMA %s", pragma);
  if (sqlite3_prepare_v2 (self->main->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

FlServerStore *
fl_server_store_sqlite_new (const char  *dir,
                            GError     **error)
{
  g_autoptr(FlServerStoreSqlite) self = NULL;

  g_return_val_if_fail (dir != NULL, NULL);

  self = g_object_new (FL_TYPE_SERVER_STORE_SQLITE, NULL);
  self->dir = g_strdup (dir);
  self->main = conn_open (dir, TRUE, error);
  if (self->main == NULL)
    return NULL;

  return FL_SERVER_STORE (g_steal_pointer (&self));
}
