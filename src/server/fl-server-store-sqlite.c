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
#include "fl-server-store-sqlite-private.h"

static void conn_free (Conn *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)


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

/* -------------------------------------------------------------------------- */

gboolean
_fl_sqlite_db_error (Conn       *self,
                     GError    **error,
                     const char *what)
{
  g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
               "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

/* A statement of the connection's cache, prepared once: take it into a
 * g_autoptr(FlSqliteStmt), which resets it when done. @sql is static or interned. */
sqlite3_stmt *
_fl_sqlite_prepare (Conn       *self,
                    const char *sql,
                    GError    **error)
{
  sqlite3_stmt *stmt = fl_sqlite_cache_get (self->stmts, sql, NULL);

  if (stmt == NULL)
    _fl_sqlite_db_error (self, error, "prepare");
  return stmt;
}

gboolean
_fl_sqlite_exec (Conn       *self,
                 const char *sql,
                 GError    **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return _fl_sqlite_db_error (self, error, sql);
  return TRUE;
}

void
_fl_sqlite_rollback (Conn *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}




gboolean
_fl_sqlite_step_done (Conn         *self,
                      sqlite3_stmt *stmt,
                      GError      **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _fl_sqlite_db_error (self, error, "step");
  return TRUE;
}

gint64
_fl_sqlite_next_seq (Conn    *self,
                     GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = _fl_sqlite_prepare (self, "UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value",
                             error);
  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      _fl_sqlite_db_error (self, error, "seq");
      return 0;
    }
  return sqlite3_column_int64 (stmt, 0);
}




/* The JSON documents in the first column of @sql's rows, parsed; one that does not
 * parse (never written by us) is left out. */
GPtrArray *
_fl_sqlite_list_json (Conn        *self,
                      const char  *sql,
                      GError     **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  stmt = _fl_sqlite_prepare (self, sql, error);
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

gboolean
_fl_sqlite_table_exists (Conn       *self,
                         const char *name)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = _fl_sqlite_prepare (self, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", NULL);
  if (stmt == NULL)
    return FALSE;
  fl_sqlite_bind_text (stmt, 1, name);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

gint64
_fl_sqlite_meta_get (Conn       *self,
                     const char *key,
                     gint64      fallback)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = _fl_sqlite_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  if (stmt == NULL)
    return fallback;
  fl_sqlite_bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fallback;
  return sqlite3_column_int64 (stmt, 0);
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
  if (!_fl_sqlite_exec (self, "PRAGMA journal_mode = WAL", error) ||
      /* An acknowledged op survives a power loss: every commit reaches the
       * disk. Pushes commit once per request (_fl_sqlite_conn_begin_batch). */
      !_fl_sqlite_exec (self, "PRAGMA synchronous = FULL", error) ||
      /* The history and the reports read large ranges of the indexes: map the file
       * instead of copying every page through read(), and keep more of it cached. */
      !_fl_sqlite_exec (self, "PRAGMA mmap_size = " G_STRINGIFY (MMAP_BYTES), error) ||
      !_fl_sqlite_exec (self, "PRAGMA cache_size = -65536", error) ||
      (first &&
       (!_fl_sqlite_exec (self, "PRAGMA foreign_keys = OFF", error) ||
        !_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error) ||
        !_fl_sqlite_upgrade_schema (self, error) ||
        !_fl_sqlite_exec (self, "COMMIT", error))) ||
      !_fl_sqlite_exec (self, "PRAGMA foreign_keys = ON", error))
    {
      _fl_sqlite_rollback (self);
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
  ev = _fl_sqlite_event_from_row (stmt);
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

  stmt = _fl_sqlite_prepare (self, "SELECT seq, json FROM tickets WHERE id = ?", error);
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

  stmt = _fl_sqlite_prepare (self,
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
    return _fl_sqlite_db_error (self, error, "changes");

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
  stmt = _fl_sqlite_prepare (self,
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
        GPtrArray *results = _fl_sqlite_conn_apply_batch (self->writer, job->ops, job->client_id,
                                                          job->user, &error);
        if (results != NULL)
          g_task_return_pointer (job->task, results, (GDestroyNotify) g_ptr_array_unref);
        else
          g_task_return_error (job->task, error);
      }
      break;
    case JOB_CHECKLIST:
      {
        JsonNode *stored = _fl_sqlite_conn_put_checklist (self->writer, job->id, job->checklist, &error);
        if (stored != NULL)
          g_task_return_pointer (job->task, stored, (GDestroyNotify) json_node_unref);
        else
          g_task_return_error (job->task, error);
      }
      break;
    case JOB_TOKEN:
      if (_fl_sqlite_token_write (self->writer, job->token_write, job->hash, job->now) != SQLITE_DONE)
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
  _fl_sqlite_conn_set_token_idle_days (SELF (store)->main, days);
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
  return _fl_sqlite_conn_add_user (SELF (store)->main, username, display_name, role, password_hash, error);
}

static FlServerUser *
sqlite_get_user (FlServerStore *store,
                 const char    *username)
{
  return _fl_sqlite_conn_get_user (SELF (store)->main, username);
}

static char *
sqlite_dup_password_hash (FlServerStore *store,
                          const char    *username,
                          gint64        *user_id)
{
  return _fl_sqlite_conn_dup_password_hash (SELF (store)->main, username, user_id);
}

static GPtrArray *
sqlite_list_users (FlServerStore *store)
{
  return _fl_sqlite_conn_list_users (SELF (store)->main);
}

static gboolean
sqlite_set_user_disabled (FlServerStore  *store,
                          const char     *username,
                          gboolean        disabled,
                          GError        **error)
{
  return _fl_sqlite_conn_set_user_disabled (SELF (store)->main, username, disabled, error);
}

static gboolean
sqlite_remove_user (FlServerStore  *store,
                    const char     *username,
                    GError        **error)
{
  return _fl_sqlite_conn_remove_user (SELF (store)->main, username, error);
}

static gboolean
sqlite_set_password (FlServerStore  *store,
                     gint64          user_id,
                     const char     *password_hash,
                     const char     *keep_token,
                     GError        **error)
{
  return _fl_sqlite_conn_set_password (SELF (store)->main, user_id, password_hash, keep_token, error);
}

static char *
sqlite_create_token (FlServerStore  *store,
                     gint64          user_id,
                     GError        **error)
{
  return _fl_sqlite_conn_create_token (SELF (store)->main, user_id, error);
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

  user = _fl_sqlite_conn_lookup_token (self->main, token, now, &hash, &write);
  if (write == TOKEN_FRESH)
    return user;

  /* Written at once unless a batch holds the write lock; then the writer does it after
   * the batch: a request never waits here for a long batch. */
  sqlite3_busy_timeout (self->main->db, 0);
  rc = _fl_sqlite_token_write (self->main, write, hash, now);
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
  _fl_sqlite_conn_revoke_token (SELF (store)->main, token);
}

static gboolean
sqlite_revoke_user_tokens (FlServerStore  *store,
                           gint64          user_id,
                           GError        **error)
{
  return _fl_sqlite_conn_revoke_user_tokens (SELF (store)->main, user_id, error);
}

static gint64
sqlite_get_latest_seq (FlServerStore *store)
{
  return _fl_sqlite_conn_get_latest_seq (SELF (store)->main);
}

static gboolean
sqlite_has_ticket (FlServerStore *store,
                   const char    *ticket_id)
{
  return _fl_sqlite_conn_has_ticket (SELF (store)->main, ticket_id);
}

static FlTicket *
sqlite_get_ticket (FlServerStore *store,
                   const char    *ticket_id)
{
  return _fl_sqlite_conn_get_ticket (SELF (store)->main, ticket_id);
}

static GPtrArray *
sqlite_get_events (FlServerStore *store,
                   const char    *ticket_id)
{
  return _fl_sqlite_conn_get_events (SELF (store)->main, ticket_id);
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
  return _fl_sqlite_conn_query_tickets (SELF (store)->main, query, total, error);
}

static JsonNode *
sqlite_report (FlServerStore  *store,
               gint64          from,
               gint64          to,
               gint64          now,
               GError        **error)
{
  return _fl_sqlite_conn_report (SELF (store)->main, from, to, now, error);
}

static JsonNode *
sqlite_report_checklists (FlServerStore  *store,
                          gint64          from,
                          gint64          to,
                          GError        **error)
{
  return _fl_sqlite_conn_report_checklists (SELF (store)->main, from, to, error);
}

static GPtrArray *
sqlite_apply_batch (FlServerStore       *store,
                    GPtrArray           *ops,
                    const char          *client_id,
                    const FlServerUser  *user,
                    GError             **error)
{
  return _fl_sqlite_conn_apply_batch (SELF (store)->main, ops, client_id, user, error);
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
  return _fl_sqlite_conn_list_checklists (SELF (store)->main, error);
}

static JsonNode *
sqlite_put_checklist (FlServerStore  *store,
                      const char     *id,
                      JsonNode       *checklist,
                      GError        **error)
{
  return _fl_sqlite_conn_put_checklist (SELF (store)->main, id, checklist, error);
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
  return _fl_sqlite_conn_seed_checklists (SELF (store)->main, dir, error);
}

static GPtrArray *
sqlite_find_similar (FlServerStore         *store,
                     const FlSimilarQuery  *query,
                     GError               **error)
{
  return _fl_sqlite_conn_find_similar (SELF (store)->main, query, error);
}

static GPtrArray *
sqlite_list_answers (FlServerStore  *store,
                     GError        **error)
{
  return _fl_sqlite_conn_list_answers (SELF (store)->main, error);
}

static GPtrArray *
sqlite_get_answer_changes (FlServerStore  *store,
                           gint64          cursor,
                           gint64          upper,
                           gint64         *out_cursor,
                           GError        **error)
{
  return _fl_sqlite_conn_get_answer_changes (SELF (store)->main, cursor, upper, out_cursor, error);
}

static JsonNode *
sqlite_put_answer (FlServerStore  *store,
                   const char     *id,
                   JsonNode       *answer,
                   GError        **error)
{
  return _fl_sqlite_store_answer (SELF (store)->main, id, answer, FALSE, error);
}

static gboolean
sqlite_seed_answers (FlServerStore  *store,
                     GError        **error)
{
  return _fl_sqlite_conn_seed_answers (SELF (store)->main, error);
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
