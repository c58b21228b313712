/* fl-server-store-pg.c — FlServerStore in a PostgreSQL database
 *
 * Several firstline-server processes may share one database. Everything that must hold
 * across them is in the database: users, tokens, tickets, events, checklists, and the one
 * sequence of changes (meta key 'seq').
 *
 * The sync cursor: every transaction that writes events or checklists first locks the
 * 'seq' row of meta (SELECT … FOR UPDATE) and keeps the lock until it commits. The
 * numbers it hands out are above every committed one, and the next writer gets the row
 * only after this one's commit is visible, so events become visible in the order of their
 * seq: a reader that pages by seq never skips one that commits later. The price is that
 * writes of events are serialised across all instances (measured in tests/bench/).
 * Ticket numbers are taken under the same lock: unique and increasing.
 *
 * Threads: Conn is one libpq connection. FlServerStorePg keeps three: the main one,
 * used on the thread that opened the store (blocking round trips, like SQLite's reads);
 * the writer's, used only on the writer thread, which applies batches and publishes
 * checklists in the order they were pushed; and a listening one, non-blocking on a
 * GSource over PQsocket(), which receives NOTIFY firstline_changed from every instance's
 * commits and emits FlServerStore::changed on the main loop. A timer checks the
 * sequence as a backstop, since notifications are best-effort.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <string.h>

#include "fl-auth.h"
#include "fl-checklist.h"
#include "fl-server-store-pg.h"
#include "fl-sqlite-private.h"

typedef struct _Conn Conn;
static void conn_free (Conn *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

#define OP_MAX_AGE_MS (30 * 24 * 3600 * 1000LL)

/* How often the sequence is checked for changes whose notification was lost. */
#define BACKSTOP_MS 1000

/* The advisory lock that serialises migrations of one database. */
#define MIGRATE_LOCK "7466210"

struct _Conn
{
  PGconn         *db;
  GHashTable     *prepared;       /* SQL text → statement name */
  char            sqlstate[6];    /* of the last failure */
  FlPolicy        policy;
  GHashTable     *checklists;     /* "id/version" → FlChecklist, parsed once */
  gboolean        in_batch;
  gint64          seq;            /* in a batch: the last number handed out */
  gint64          seq_start;      /* its value when it was locked */
  gint64          number;         /* under the lock: the highest ticket number, or 0 */
  gboolean        seq_locked;
  gint64          token_idle_ms;
};

/* -------------------------------------------------------------------------- */
/* Migrations: migrations[k] takes a database from schema k to k + 1, in one transaction
 * under an advisory lock, so that two instances starting at once do not both migrate. */

static const char schema_1[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);"
  "INSERT INTO meta (key, value) VALUES ('seq', 0), ('schema', 1);"
  "CREATE TABLE users ("
  "  id BIGSERIAL PRIMARY KEY, username TEXT NOT NULL UNIQUE,"
  "  display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT FALSE);"
  "CREATE TABLE tokens ("
  "  hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  created_at BIGINT NOT NULL, last_used BIGINT NOT NULL);"
  "CREATE INDEX tokens_user ON tokens (user_id);"
  "CREATE TABLE tickets ("
  "  id TEXT PRIMARY KEY, number BIGINT NOT NULL UNIQUE, version BIGINT NOT NULL,"
  "  seq BIGINT NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, assignee TEXT,"
  "  level INTEGER NOT NULL, queue TEXT NOT NULL, created_at BIGINT NOT NULL,"
  "  resolved_at BIGINT, due_at BIGINT, resolution_code TEXT, resolved_by TEXT,"
  "  handoffs INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL,"
  "  search_text TEXT NOT NULL DEFAULT '', search_notes TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX tickets_created ON tickets (created_at);"
  "CREATE TABLE events ("
  "  seq BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,"
  "  version BIGINT NOT NULL, at BIGINT NOT NULL, author TEXT NOT NULL, type TEXT NOT NULL,"
  "  data TEXT NOT NULL, client_id TEXT NOT NULL, fields TEXT NOT NULL);"
  "CREATE INDEX events_ticket ON events (ticket_id, version);"
  "CREATE TABLE checklists ("
  "  id TEXT PRIMARY KEY, version BIGINT NOT NULL, seq BIGINT NOT NULL, json TEXT NOT NULL);"
  "CREATE TABLE checklist_versions ("
  "  id TEXT NOT NULL, version BIGINT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, version));";

/* 1 → 2: full-text search in an indexed column, and the state several instances share:
 * failed logins (the limiter) and presence. */
static const char schema_2[] =
  "ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS"
  "  (to_tsvector ('simple', search_text || ' ' || search_notes)) STORED;"
  "CREATE INDEX tickets_search ON tickets USING gin (search);"
  "CREATE TABLE login_failures (username TEXT NOT NULL, at BIGINT NOT NULL);"
  "CREATE INDEX login_failures_user ON login_failures (username, at);"
  "CREATE TABLE presence ("
  "  client_id TEXT PRIMARY KEY, username TEXT NOT NULL, viewing TEXT, editing BOOLEAN NOT NULL,"
  "  last_seen BIGINT NOT NULL);"
  "CREATE INDEX presence_seen ON presence (last_seen);";

static const char * const migrations[] = { schema_1, schema_2 };
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == FL_SERVER_STORE_PG_SCHEMA_VERSION);

/* -------------------------------------------------------------------------- */
/* Queries */

static gboolean
db_error (Conn       *self,
          GError    **error,
          const char *what,
          PGresult   *res)
{
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;

  g_strlcpy (self->sqlstate, state ? state : "", sizeof self->sqlstate);
  g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
               "%s: %s", what, res ? PQresultErrorMessage (res) : PQerrorMessage (self->db));
  return FALSE;
}

static gboolean exec (Conn *self, const char *sql, GError **error);

/* Opens a connection the server dropped again; its prepared statements went with it. */
static gboolean
reconnect (Conn    *self,
           GError **error)
{
  if (PQstatus (self->db) != CONNECTION_BAD)
    return TRUE;
  g_message ("Reconnecting to the database");
  PQreset (self->db);
  g_hash_table_remove_all (self->prepared);
  self->seq_locked = FALSE;
  if (PQstatus (self->db) != CONNECTION_OK)
    return db_error (self, error, "connect", NULL);
  return exec (self, "SET client_encoding = 'UTF8'", error);
}

/* Runs @sql with parameters described by @types: 's' text (NULL for SQL NULL), 'i' a
 * gint64, 't' a time in ms (0 for NULL), 'b' a gboolean. Prepared once per connection.
 * Returns the result, or NULL with @error set. */
static PGresult *
query (Conn       *self,
       GError    **error,
       const char *sql,
       const char *types,
       ...)
{
  const char *values[32];
  char bufs[32][24];
  const char *name;
  PGresult *res;
  ExecStatusType status;
  va_list ap;
  int n = (int) strlen (types);

  g_assert (n <= 32);

  va_start (ap, types);
  for (int i = 0; i < n; i++)
    {
      switch (types[i])
        {
        case 's':
          values[i] = va_arg (ap, const char *);
          break;
        case 'i':
          g_snprintf (bufs[i], sizeof bufs[i], "%" G_GINT64_FORMAT, va_arg (ap, gint64));
          values[i] = bufs[i];
          break;
        case 't':
          {
            gint64 t = va_arg (ap, gint64);
            g_snprintf (bufs[i], sizeof bufs[i], "%" G_GINT64_FORMAT, t);
            values[i] = t > 0 ? bufs[i] : NULL;
          }
          break;
        case 'b':
          values[i] = va_arg (ap, gboolean) ? "t" : "f";
          break;
        default:
          g_assert_not_reached ();
        }
    }
  va_end (ap);

  /* A connection the database server dropped (a restart, a fail-over) is opened again,
   * and a statement outside a transaction is tried once more on the new one. */
  for (int attempt = 0;; attempt++)
    {
      gboolean idle = PQtransactionStatus (self->db) == PQTRANS_IDLE;

      if (!reconnect (self, error))
        return NULL;

      name = g_hash_table_lookup (self->prepared, sql);
      if (name == NULL)
        {
          g_autofree char *new_name = g_strdup_printf ("s%u", g_hash_table_size (self->prepared));
          g_autoptr(PGresult) prep = PQprepare (self->db, new_name, sql, n, NULL);

          if (PQresultStatus (prep) != PGRES_COMMAND_OK)
            {
              if (attempt == 0 && idle && PQstatus (self->db) == CONNECTION_BAD)
                continue;
              db_error (self, error, "prepare", prep);
              return NULL;
            }
          name = new_name;
          g_hash_table_insert (self->prepared, g_strdup (sql), g_steal_pointer (&new_name));
        }

      res = PQexecPrepared (self->db, name, n, values, NULL, NULL, 0);
      status = PQresultStatus (res);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        break;
      if (attempt == 0 && idle && PQstatus (self->db) == CONNECTION_BAD)
        {
          PQclear (res);
          continue;
        }
      db_error (self, error, "query", res);
      PQclear (res);
      return NULL;
    }
  self->sqlstate[0] = '\0';
  return res;
}

/* Runs statements without parameters (several, separated by ';'). */
static gboolean
exec (Conn       *self,
      const char *sql,
      GError    **error)
{
  for (int attempt = 0;; attempt++)
    {
      gboolean idle = PQtransactionStatus (self->db) == PQTRANS_IDLE;
      g_autoptr(PGresult) res = NULL;

      if (!reconnect (self, error))
        return FALSE;
      res = PQexec (self->db, sql);
      if (PQresultStatus (res) == PGRES_COMMAND_OK || PQresultStatus (res) == PGRES_TUPLES_OK)
        return TRUE;
      if (attempt == 0 && idle && PQstatus (self->db) == CONNECTION_BAD)
        continue;
      return db_error (self, error, "exec", res);
    }
}

static void
rollback (Conn *self)
{
  if (PQtransactionStatus (self->db) != PQTRANS_IDLE)
    {
      g_autoptr(PGresult) res = PQexec (self->db, "ROLLBACK");
    }
  self->seq_locked = FALSE;
}

static gboolean
run (Conn       *self,
     GError    **error,
     PGresult   *res)
{
  if (res == NULL)
    return FALSE;
  PQclear (res);
  return TRUE;
}

static const char *
text_at (PGresult *res,
         int       row,
         int       col)
{
  return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

static gint64
int_at (PGresult *res,
        int       row,
        int       col)
{
  return PQgetisnull (res, row, col) ? 0 : g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

static gboolean
bool_at (PGresult *res,
         int       row,
         int       col)
{
  return !PQgetisnull (res, row, col) && PQgetvalue (res, row, col)[0] == 't';
}

/* Locks the sequence until the transaction ends and reads it (see the top). */
static gboolean
lock_seq (Conn    *self,
          GError **error)
{
  g_autoptr(PGresult) res = NULL;

  if (self->seq_locked)
    return TRUE;
  res = query (self, error, "SELECT value FROM meta WHERE key = 'seq' FOR UPDATE", "");
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) != 1)
    return db_error (self, error, "seq", NULL);
  self->seq = self->seq_start = int_at (res, 0, 0);
  self->number = 0;
  self->seq_locked = TRUE;
  return TRUE;
}

static gint64
next_seq (Conn    *self,
          GError **error)
{
  if (!lock_seq (self, error))
    return 0;
  return ++self->seq;
}

/* Writes the sequence back and announces the change to every instance, at the commit. */
static gboolean
commit (Conn    *self,
        GError **error)
{
  if (self->seq_locked && self->seq != self->seq_start &&
      (!run (self, error, query (self, error, "UPDATE meta SET value = $1 WHERE key = 'seq'",
                                 "i", self->seq)) ||
       !exec (self, "NOTIFY firstline_changed", error)))
    {
      rollback (self);
      return FALSE;
    }
  self->seq_locked = FALSE;
  if (!exec (self, "COMMIT", error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

/* -------------------------------------------------------------------------- */

static gint64
schema_version (Conn    *self,
                GError **error)
{
  g_autoptr(PGresult) res = NULL;

  res = query (self, error, "SELECT to_regclass ('meta') IS NOT NULL", "");
  if (res == NULL)
    return -1;
  if (!bool_at (res, 0, 0))
    return 0;
  g_clear_pointer (&res, PQclear);
  res = query (self, error, "SELECT value FROM meta WHERE key = 'schema'", "");
  if (res == NULL)
    return -1;
  return PQntuples (res) ? int_at (res, 0, 0) : 1;
}

static gboolean
upgrade_schema (Conn    *self,
                gint64   target,
                GError **error)
{
  gint64 version;

  if (!exec (self, "BEGIN", error) ||
      !exec (self, "SELECT pg_advisory_xact_lock (" MIGRATE_LOCK ")", error))
    goto fail;
  version = schema_version (self, error);
  if (version < 0)
    goto fail;
  if (version > FL_SERVER_STORE_PG_SCHEMA_VERSION)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("The database was made by a newer firstline-server (schema %d)"),
                   (int) version);
      goto fail;
    }
  if (version > 0 && version < target)
    g_message ("Upgrading the database from schema %d to %d", (int) version, (int) target);
  for (gint64 v = version; v < target; v++)
    {
      if (!exec (self, migrations[v], error))
        goto fail;
    }
  if (version < target &&
      !run (self, error, query (self, error, "UPDATE meta SET value = $1 WHERE key = 'schema'",
                                "i", target)))
    goto fail;
  return exec (self, "COMMIT", error);

fail:
  rollback (self);
  return FALSE;
}

static void
notice_cb (void       *arg,
           const char *message)
{
  /* NOTICEs (an IF NOT EXISTS that found something) are of no interest. */
}

static Conn *
conn_open (const char  *uri,
           GError     **error)
{
  g_autoptr(Conn) self = g_new0 (Conn, 1);

  self->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->checklists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->policy = *fl_policy_get_default ();
  self->token_idle_ms = (gint64) FL_SERVER_STORE_TOKEN_IDLE_DAYS * 24 * 3600 * 1000;

  self->db = PQconnectdb (uri);
  if (self->db == NULL || PQstatus (self->db) != CONNECTION_OK)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("Cannot connect to the database: %s"),
                   self->db ? PQerrorMessage (self->db) : "out of memory");
      return NULL;
    }
  PQsetNoticeProcessor (self->db, notice_cb, NULL);
  /* Times and numbers are our own integers; text is UTF-8. */
  if (!exec (self, "SET client_encoding = 'UTF8'", error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
conn_free (Conn *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->db, PQfinish);
  g_clear_pointer (&self->prepared, g_hash_table_unref);
  g_clear_pointer (&self->checklists, g_hash_table_unref);
  g_free (self);
}

/* -------------------------------------------------------------------------- */
/* Users and tokens */

#define USER_COLUMNS "u.id, u.username, u.display_name, u.role, u.disabled"

static FlServerUser *
user_from_row (PGresult *res,
               int       row,
               int       first)
{
  FlServerUser *user = g_new0 (FlServerUser, 1);

  user->id = int_at (res, row, first);
  user->username = g_strdup (text_at (res, row, first + 1));
  user->display_name = g_strdup (text_at (res, row, first + 2));
  if (!fl_role_from_string (text_at (res, row, first + 3), &user->role))
    user->role = FL_ROLE_AGENT;
  user->disabled = bool_at (res, row, first + 4);
  return user;
}

static void
conn_set_token_idle_days (Conn *self,
                          guint days)
{
  g_autoptr(GError) error = NULL;

  self->token_idle_ms = (gint64) days * 24 * 3600 * 1000;
  if (!run (self, &error, query (self, &error, "DELETE FROM tokens WHERE last_used < $1", "i",
                                 fl_time_now () - self->token_idle_ms)))
    g_warning ("Cannot remove expired tokens: %s", error->message);
}

static gboolean
conn_add_user (Conn       *self,
               const char *username,
               const char *display_name,
               FlRole      role,
               const char *password_hash,
               GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PGresult) res = NULL;

  res = query (self, &local_error,
               "INSERT INTO users (username, display_name, role, password_hash, created_at) "
               "VALUES ($1, $2, $3, $4, $5)", "ssssi", username,
               display_name ? display_name : username, fl_role_to_string (role), password_hash,
               fl_time_now ());
  if (res == NULL)
    {
      if (g_str_equal (self->sqlstate, "23505"))
        g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_EXISTS,
                     _("User %s exists already"), username);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static FlServerUser *
conn_get_user (Conn       *self,
               const char *username)
{
  g_autoptr(PGresult) res = NULL;

  res = query (self, NULL, "SELECT " USER_COLUMNS " FROM users u WHERE u.username = $1", "s",
               username);
  if (res == NULL || PQntuples (res) == 0)
    return NULL;
  return user_from_row (res, 0, 0);
}

static char *
conn_dup_password_hash (Conn       *self,
                        const char *username,
                        gint64     *user_id)
{
  g_autoptr(PGresult) res = NULL;

  if (user_id != NULL)
    *user_id = 0;
  res = query (self, NULL,
               "SELECT password_hash, id FROM users WHERE username = $1 AND NOT disabled", "s",
               username);
  if (res == NULL || PQntuples (res) == 0)
    return NULL;
  if (user_id != NULL)
    *user_id = int_at (res, 0, 1);
  return g_strdup (text_at (res, 0, 0));
}

static GPtrArray *
conn_list_users (Conn *self)
{
  g_autoptr(PGresult) res = NULL;
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_server_user_free);

  res = query (self, NULL, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.username COLLATE \"C\"",
               "");
  for (int i = 0; res && i < PQntuples (res); i++)
    g_ptr_array_add (users, user_from_row (res, i, 0));
  return users;
}

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

static gboolean
delete_tokens (Conn       *self,
               gint64      user_id,
               const char *keep_hash,
               GError    **error)
{
  return run (self, error,
              query (self, error,
                     "DELETE FROM tokens WHERE user_id = $1 AND hash IS DISTINCT FROM $2", "is",
                     user_id, keep_hash));
}

static gboolean
conn_set_user_disabled (Conn       *self,
                        const char *username,
                        gboolean    disabled,
                        GError    **error)
{
  g_autoptr(FlServerUser) user = NULL;

  if (!exec (self, "BEGIN", error))
    return FALSE;
  if ((user = get_existing_user (self, username, error)) == NULL ||
      !run (self, error, query (self, error, "UPDATE users SET disabled = $1 WHERE id = $2", "bi",
                                disabled, user->id)) ||
      (disabled && !delete_tokens (self, user->id, NULL, error)) ||
      !exec (self, "COMMIT", error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conn_remove_user (Conn       *self,
                  const char *username,
                  GError    **error)
{
  g_autoptr(FlServerUser) user = NULL;

  if (!exec (self, "BEGIN", error))
    return FALSE;
  if ((user = get_existing_user (self, username, error)) == NULL ||
      !delete_tokens (self, user->id, NULL, error) ||
      !run (self, error, query (self, error, "DELETE FROM users WHERE id = $1", "i", user->id)) ||
      !exec (self, "COMMIT", error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conn_set_password (Conn       *self,
                   gint64      user_id,
                   const char *password_hash,
                   const char *keep_token,
                   GError    **error)
{
  g_autofree char *keep_hash = keep_token ? fl_auth_hash_token (keep_token) : NULL;
  g_autoptr(PGresult) res = NULL;

  if (!exec (self, "BEGIN", error))
    return FALSE;
  res = query (self, error, "UPDATE users SET password_hash = $1 WHERE id = $2", "si",
               password_hash, user_id);
  if (res == NULL)
    goto fail;
  if (g_str_equal (PQcmdTuples (res), "0"))
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
  g_autofree char *token = fl_auth_new_token ();
  g_autofree char *hash = fl_auth_hash_token (token);
  gint64 now = fl_time_now ();

  if (!run (self, error,
            query (self, error,
                   "INSERT INTO tokens (hash, user_id, created_at, last_used) "
                   "VALUES ($1, $2, $3, $4)", "siii", hash, user_id, now, now)))
    return NULL;
  return g_steal_pointer (&token);
}

static FlServerUser *
conn_lookup_token (Conn       *self,
                   const char *token)
{
  g_autoptr(PGresult) res = NULL;
  g_autoptr(FlServerUser) user = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = fl_time_now ();
  gint64 last_used;

  if (token == NULL || *token == '\0' || strlen (token) > 256)
    return NULL;

  hash = fl_auth_hash_token (token);
  res = query (self, NULL,
               "SELECT t.hash, t.last_used, " USER_COLUMNS " FROM tokens t "
               "JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND NOT u.disabled", "s", hash);
  if (res == NULL || PQntuples (res) == 0 || !fl_auth_equal (text_at (res, 0, 0), hash))
    return NULL;

  last_used = int_at (res, 0, 1);
  user = user_from_row (res, 0, 2);
  if (now - last_used > self->token_idle_ms)
    {
      if (!run (self, &error, query (self, &error, "DELETE FROM tokens WHERE hash = $1", "s", hash)))
        g_warning ("Cannot remove an expired token: %s", error->message);
      return NULL;
    }
  /* No lock is shared with the writers: a row update, at most once a minute per token. */
  if (now - last_used >= FL_SERVER_STORE_TOKEN_TOUCH_MS &&
      !run (self, &error, query (self, &error, "UPDATE tokens SET last_used = $1 WHERE hash = $2",
                                 "is", now, hash)))
    g_warning ("Cannot record the use of a token: %s", error->message);
  return g_steal_pointer (&user);
}

static void
conn_revoke_token (Conn       *self,
                   const char *token)
{
  g_autofree char *hash = NULL;
  g_autoptr(GError) error = NULL;

  if (token == NULL)
    return;
  hash = fl_auth_hash_token (token);
  if (!run (self, &error, query (self, &error, "DELETE FROM tokens WHERE hash = $1", "s", hash)))
    g_warning ("Cannot revoke token: %s", error->message);
}

/* -------------------------------------------------------------------------- */
/* Tickets */

static gint64
conn_get_latest_seq (Conn *self)
{
  g_autoptr(PGresult) res = query (self, NULL, "SELECT value FROM meta WHERE key = 'seq'", "");

  return res && PQntuples (res) ? int_at (res, 0, 0) : 0;
}

static FlTicket *
ticket_from_text (const char  *text,
                  const char  *ticket_id,
                  GError     **error)
{
  g_autoptr(JsonNode) node = fl_sqlite_json_parse (text);

  if (node == NULL)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   "stored ticket %s is not JSON", ticket_id);
      return NULL;
    }
  return fl_ticket_from_json (node, error);
}

static FlTicket *
load_ticket (Conn       *self,
             const char *ticket_id,
             GError    **error)
{
  g_autoptr(PGresult) res = NULL;

  res = query (self, error, "SELECT json FROM tickets WHERE id = $1", "s", ticket_id);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) == 0)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND, "unknown ticket");
      return NULL;
    }
  return ticket_from_text (text_at (res, 0, 0), ticket_id, error);
}

static FlTicket *
conn_get_ticket (Conn       *self,
                 const char *ticket_id)
{
  g_autoptr(GError) error = NULL;
  FlTicket *ticket = load_ticket (self, ticket_id, &error);

  if (ticket == NULL &&
      !g_error_matches (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND))
    g_warning ("Cannot load ticket: %s", error->message);
  return ticket;
}

static gboolean
conn_has_ticket (Conn       *self,
                 const char *ticket_id)
{
  g_autoptr(PGresult) res = query (self, NULL, "SELECT 1 FROM tickets WHERE id = $1", "s",
                                   ticket_id);

  return res && PQntuples (res) > 0;
}

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
  g_autoptr(PGresult) res = NULL;

  *out = FALSE;
  res = query (self, error,
               "SELECT fields FROM events WHERE ticket_id = $1 AND version > $2 "
               "AND client_id != $3", "sis", ticket_id, base_version, client_id);
  if (res == NULL)
    return FALSE;
  for (int r = 0; r < PQntuples (res) && !*out; r++)
    {
      const char *changed = text_at (res, r, 0);

      for (guint i = 0; changed && fields[i]; i++)
        {
          g_autofree char *needle = g_strdup_printf (" %s ", fields[i]);
          if (strstr (changed, needle) != NULL)
            {
              *out = TRUE;
              break;
            }
        }
    }
  return TRUE;
}

static char *
requester_text (FlTicket *t)
{
  return g_strjoin (" ", t->requester.name, t->requester.email, t->requester.phone,
                    t->requester.department, t->requester.location, t->asset, NULL);
}


/* Search text as words of letters and digits, lower case and without diacritics, like
 * SQLite's unicode61 tokenizer with remove_diacritics: "jana@example.org" is three words. */
static char *
search_fold (const char *text)
{
  g_autofree char *ascii = NULL;
  char *folded;

  if (text == NULL)
    return g_strdup ("");
  ascii = g_str_to_ascii (text, "C");
  folded = g_ascii_strdown (ascii, -1);
  for (char *p = folded; *p; p++)
    if (!g_ascii_isalnum (*p))
      *p = ' ';
  return folded;
}

/* Stores the ticket @t and the event of @op that made it, in one statement (one round
 * trip). */
static gboolean
store_ticket (Conn       *self,
              FlTicket   *t,
              const FlOp *op,
              const char *author,
              gint64      at,
              const char *data_text,
              const char *client_id,
              const char *fields,
              GError    **error)
{
  g_autofree char *json = fl_ticket_to_string (t);
  g_autofree char *requester = requester_text (t);
  g_autofree char *text = NULL;
  g_autofree char *note = NULL;

  {
    g_autofree char *joined = g_strjoin (" ", t->title ? t->title : "",
                                         t->description ? t->description : "", requester, NULL);
    text = search_fold (joined);
  }
  if (op->type == FL_OP_NOTE)
    {
      JsonNode *body = json_object_get_member (op->data, "body");
      const char *b = body && JSON_NODE_HOLDS_VALUE (body) ? json_node_get_string (body) : NULL;
      g_autofree char *folded = search_fold (b);

      note = g_strconcat ("\n", folded, NULL);
    }

  return run (self, error,
              query (self, error,
                     "WITH ev AS (INSERT INTO events (seq, id, ticket_id, version, at, author, type,"
                     " data, client_id, fields) VALUES ($4, $20, $1, $3, $21, $14, $22, $23, $24,"
                     " $25)) "
                     "INSERT INTO tickets (id, number, version, seq, status, category, assignee,"
                     " level, queue, created_at, resolved_at, due_at, resolution_code, resolved_by,"
                     " handoffs, json, search_text, search_notes) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $15,"
                     " $16, $18, COALESCE ($19, '')) "
                     "ON CONFLICT (id) DO UPDATE SET version = $3, seq = $4, status = $5,"
                     " category = $6, assignee = $7, level = $8, queue = $9, resolved_at = $11,"
                     " due_at = $12, resolution_code = $13,"
                     " resolved_by = CASE WHEN $13::text IS NULL THEN NULL"
                     "   WHEN $17 THEN $14 ELSE tickets.resolved_by END,"
                     " handoffs = tickets.handoffs + $15, json = $16, search_text = $18,"
                     " search_notes = tickets.search_notes || COALESCE ($19, '')",
                     "siiisssisittssisbsssissss",
                     t->id, t->number, t->version, t->seq, fl_status_to_string (t->status),
                     t->category, t->assignee, (gint64) t->level, t->queue, t->created_at,
                     t->resolved_at, t->due_at,
                     t->resolution_code != FL_RESOLUTION_NONE
                       ? fl_resolution_code_to_string (t->resolution_code) : NULL,
                     author, (gint64) (op->type == FL_OP_HANDOFF ? 1 : 0), json,
                     op->type == FL_OP_RESOLVE, text, note,
                     op->op_id, at, fl_op_type_to_string (op->type), data_text, client_id,
                     fields));
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
  g_autoptr(PGresult) res = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *key = NULL;
  FlChecklist *checklist;

  if (version > 0)
    {
      key = g_strdup_printf ("%s/%" G_GINT64_FORMAT, id, version);
      checklist = g_hash_table_lookup (self->checklists, key);
      if (checklist != NULL)
        return checklist;
      res = query (self, error, "SELECT json FROM checklist_versions WHERE id = $1 AND version = $2",
                   "si", id, version);
    }
  else
    {
      res = query (self, error, "SELECT json FROM checklists WHERE id = $1", "s", id);
    }
  if (res == NULL)
    return NULL;

  if (PQntuples (res) == 0 ||
      (node = fl_sqlite_json_parse (text_at (res, 0, 0))) == NULL ||
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

/* Each op is atomic: everything that decides about it (duplicate, rules, conflicts) comes
 * before its one write (store_ticket), and a failing write ends the whole batch. So an op
 * needs no savepoint of its own; what is kept in memory under the lock (the sequence) is
 * restored when an op is not applied. */
static gboolean
op_begin (Conn    *self,
          gint64  *saved_seq,
          GError **error)
{
  g_assert (self->in_batch && self->seq_locked);
  *saved_seq = self->seq;
  return TRUE;
}

static gboolean
op_commit (Conn    *self,
           GError **error)
{
  return TRUE;
}

static void
op_rollback (Conn   *self,
             gint64  saved_seq)
{
  self->seq = saved_seq;
}

static FlApplyResult *
conn_apply_op (Conn               *self,
               const FlOp         *op,
               const char         *client_id,
               const FlServerUser *user,
               GError            **error)
{
  g_autoptr(FlApplyResult) result = g_new0 (FlApplyResult, 1);
  g_autoptr(PGresult) res = NULL;
  g_autoptr(FlTicket) current = NULL;
  g_autoptr(FlTicket) next = NULL;
  g_autoptr(FlOp) eff = NULL;
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *fields = NULL;
  g_autofree char *data_text = NULL;
  gint64 now = fl_time_now ();
  gint64 saved_seq;
  gint64 seq;

  if (!op_begin (self, &saved_seq, error))
    return NULL;

  /* The sequence is locked (op_begin): the duplicate check below sees the commits of
   * every instance, so an op_id pushed to two instances at once is applied once. */
  /* One round trip: the op's event if it was applied before, and the ticket. */
  res = query (self, error,
               "SELECT e.version, t.number, (SELECT json FROM tickets WHERE id = $2) "
               "FROM (SELECT 1) one LEFT JOIN events e ON e.id = $1 "
               "LEFT JOIN tickets t ON t.id = e.ticket_id", "ss", op->op_id, op->ticket_id);
  if (res == NULL)
    goto fail;
  if (!PQgetisnull (res, 0, 0))
    {
      result->status = FL_OP_RESULT_DUPLICATE;
      result->version = int_at (res, 0, 0);
      result->number = int_at (res, 0, 1);
      op_rollback (self, saved_seq);
      return g_steal_pointer (&result);
    }
  if (!PQgetisnull (res, 0, 2))
    {
      current = ticket_from_text (text_at (res, 0, 2), op->ticket_id, error);
      if (current == NULL)
        goto fail;
    }
  g_clear_pointer (&res, PQclear);

  if (!fl_op_validate_data (op->type, op->data, &local_error) ||
      !check_references (self, op, current, &local_error))
    {
      op_rollback (self, saved_seq);
      return finish_rejected (g_steal_pointer (&result), local_error);
    }

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
          op_rollback (self, saved_seq);
          return g_steal_pointer (&result);
        }
    }

  eff = fl_op_copy (op);
  if (eff->at <= 0 || eff->at > now || eff->at < now - OP_MAX_AGE_MS)
    eff->at = now;
  if (current != NULL && eff->at < current->updated_at)
    eff->at = current->updated_at;

  next = fl_ticket_apply (current, eff, user->username, user->role, &self->policy,
                          &event_data, &local_error);
  if (next == NULL)
    {
      op_rollback (self, saved_seq);
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
          op_rollback (self, saved_seq);
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
      /* Under the sequence lock: no other instance numbers a ticket meanwhile, so the
       * highest number is read once per transaction. */
      if (self->number == 0)
        {
          res = query (self, error, "SELECT COALESCE (MAX (number), 0) FROM tickets", "");
          if (res == NULL)
            goto fail;
          self->number = int_at (res, 0, 0);
          g_clear_pointer (&res, PQclear);
        }
      next->number = ++self->number;
    }

  fields = changed_fields (current, next);
  data_text = fl_sqlite_json_object_to_text (event_data);

  if (!store_ticket (self, next, op, user->username, eff->at, data_text, client_id, fields,
                     error) ||
      !op_commit (self, error))
    goto fail;

  result->status = FL_OP_RESULT_APPLIED;
  result->version = next->version;
  result->number = next->number;
  return g_steal_pointer (&result);

fail:
  op_rollback (self, saved_seq);
  return NULL;
}

static FlEvent *
event_from_row (PGresult *res,
                int       row)
{
  g_autoptr(JsonNode) data = fl_sqlite_json_parse (text_at (res, row, 6));
  FlOpType type = FL_OP_NOTE;

  fl_op_type_from_string (text_at (res, row, 5), &type);
  return fl_event_new (text_at (res, row, 1), text_at (res, row, 2), int_at (res, row, 0),
                       int_at (res, row, 3), text_at (res, row, 4), type,
                       data && JSON_NODE_HOLDS_OBJECT (data) ? json_node_get_object (data) : NULL);
}

static GPtrArray *
conn_get_events (Conn       *self,
                 const char *ticket_id)
{
  g_autoptr(PGresult) res = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);

  res = query (self, NULL,
               "SELECT seq, id, ticket_id, at, author, type, data FROM events "
               "WHERE ticket_id = $1 ORDER BY seq", "s", ticket_id);
  for (int i = 0; res && i < PQntuples (res); i++)
    g_ptr_array_add (events, event_from_row (res, i));
  return events;
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
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) checklists = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 new_cursor = cursor;
  gint64 upper;

  *more = FALSE;

  /* One snapshot for the events, their tickets and the checklists. */
  if (!exec (self, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error))
    return FALSE;

  res = query (self, error,
               "SELECT seq, id, ticket_id, at, author, type, data FROM events "
               "WHERE seq > $1 ORDER BY seq LIMIT $2", "ii", cursor, limit + 1);
  if (res == NULL)
    goto fail;
  for (int i = 0; i < PQntuples (res); i++)
    {
      if ((gint64) events->len == limit)
        {
          *more = TRUE;
          break;
        }
      g_ptr_array_add (events, event_from_row (res, i));
    }
  g_clear_pointer (&res, PQclear);

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
      t = load_ticket (self, ev->ticket_id, error);
      if (t == NULL)
        goto fail;
      g_ptr_array_add (tickets, t);
    }

  res = query (self, error,
               "SELECT seq, json FROM checklists WHERE seq > $1 AND seq <= $2 ORDER BY seq",
               "ii", cursor, upper);
  if (res == NULL)
    goto fail;
  for (int i = 0; i < PQntuples (res); i++)
    {
      JsonNode *node = fl_sqlite_json_parse (text_at (res, i, 1));

      if (node != NULL)
        g_ptr_array_add (checklists, node);
      new_cursor = MAX (new_cursor, int_at (res, i, 0));
    }
  if (!exec (self, "COMMIT", error))
    goto fail;

  *out_tickets = g_steal_pointer (&tickets);
  *out_events = g_steal_pointer (&events);
  *out_checklists = g_steal_pointer (&checklists);
  *out_cursor = new_cursor;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

/* Free text as a tsquery of prefix terms: only letters and digits pass, so no query
 * syntax leaks through. */
static char *
ts_query (const char *q)
{
  g_autofree char *folded = search_fold (q);
  GString *out = g_string_new (NULL);
  gboolean in_word = FALSE;

  for (const char *p = folded; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (!in_word)
            g_string_append (out, out->len ? " & " : "");
          g_string_append_c (out, *p);
          in_word = TRUE;
        }
      else if (in_word)
        {
          g_string_append (out, ":*");
          in_word = FALSE;
        }
    }
  if (in_word)
    g_string_append (out, ":*");
  return g_string_free (out, FALSE);
}

static GPtrArray *
conn_query_tickets (Conn                *self,
                    const FlTicketQuery *query_,
                    gint64              *total,
                    GError             **error)
{
  g_autoptr(GString) where = g_string_new ("TRUE");
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PGresult) count = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *tsq = NULL;
  g_autofree char *sql_count = NULL;
  g_autofree char *sql = NULL;
  const char *values[12];
  guint n = 0;
  char nums[12][24];

#define ADD_TEXT(cond, value) \
  G_STMT_START { values[n] = (value); n++; \
                 g_string_append_printf (where, cond, n); } G_STMT_END
#define ADD_INT(cond, value) \
  G_STMT_START { g_snprintf (nums[n], sizeof nums[n], "%" G_GINT64_FORMAT, (gint64) (value)); \
                 values[n] = nums[n]; n++; g_string_append_printf (where, cond, n); } G_STMT_END

  if (query_->status)
    ADD_TEXT (" AND status = $%u", query_->status);
  if (query_->category)
    ADD_TEXT (" AND category = $%u", query_->category);
  if (query_->assignee)
    ADD_TEXT (" AND assignee = $%u", query_->assignee);
  if (query_->level)
    ADD_INT (" AND level = $%u", query_->level);
  if (query_->queue)
    ADD_TEXT (" AND queue = $%u", query_->queue);
  if (query_->from)
    ADD_INT (" AND created_at >= $%u", query_->from);
  if (query_->to)
    ADD_INT (" AND created_at < $%u", query_->to);
  if (query_->q && *query_->q)
    {
      tsq = ts_query (query_->q);
      if (*tsq)
        ADD_TEXT (" AND search @@ to_tsquery ('simple', $%u)", tsq);
    }

#undef ADD_TEXT
#undef ADD_INT

  sql_count = g_strdup_printf ("SELECT COUNT(*) FROM tickets WHERE %s", where->str);
  count = PQexecParams (self->db, sql_count, n, NULL, values, NULL, NULL, 0);
  if (PQresultStatus (count) != PGRES_TUPLES_OK)
    {
      db_error (self, error, "count", count);
      return NULL;
    }
  *total = int_at (count, 0, 0);

  g_snprintf (nums[n], sizeof nums[n], "%" G_GINT64_FORMAT, query_->limit);
  values[n] = nums[n];
  g_snprintf (nums[n + 1], sizeof nums[n + 1], "%" G_GINT64_FORMAT, query_->offset);
  values[n + 1] = nums[n + 1];
  sql = g_strdup_printf ("SELECT json FROM tickets WHERE %s "
                         "ORDER BY created_at DESC, number DESC LIMIT $%u OFFSET $%u",
                         where->str, n + 1, n + 2);
  res = PQexecParams (self->db, sql, n + 2, NULL, values, NULL, NULL, 0);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      db_error (self, error, "query", res);
      return NULL;
    }
  for (int i = 0; i < PQntuples (res); i++)
    {
      FlTicket *t = ticket_from_text (text_at (res, i, 0), "", NULL);

      if (t != NULL)
        g_ptr_array_add (tickets, t);
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
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static int
compare_str (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char *
day_of (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  return dt ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("1970-01-01");
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
      json_builder_set_member_name (b, key_name);
      json_builder_add_string_value (b, keys[i]);
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

#define HOUR_MS ((gint64) 3600 * 1000)

static JsonNode *
conn_report (Conn    *self,
             gint64   from,
             gint64   to,
             gint64   now,
             GError **error)
{
  g_autoptr(PGresult) res = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GHashTable) by_category = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) by_agent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) by_day = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GArray) durations = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *from_text = fl_time_format (from);
  g_autofree char *to_text = fl_time_format (to);
  gint64 created = 0, resolved = 0, escalated = 0, open = 0, first_contact = 0;
  gint64 level1 = 0, breaches = 0, median = 0, p90 = 0, reopened = 0;
  gint64 aging[5] = { 0 };
  static const char * const buckets[] = { "lt_4h", "4h_24h", "1d_3d", "3d_7d", "gt_7d" };

  res = query (self, error,
               "SELECT status, category, created_at, resolved_at, due_at, resolution_code,"
               " resolved_by, handoffs FROM tickets WHERE created_at >= $1 AND created_at < $2",
               "ii", from, to);
  if (res == NULL)
    return NULL;

  for (int r = 0; r < PQntuples (res); r++)
    {
      FlStatus status = FL_STATUS_NEW;
      const char *category = text_at (res, r, 1);
      gint64 created_at = int_at (res, r, 2);
      gint64 resolved_at = int_at (res, r, 3);
      gint64 due_at = int_at (res, r, 4);
      const char *code = text_at (res, r, 5);
      const char *resolved_by = text_at (res, r, 6);
      gboolean handed_off = int_at (res, r, 7) > 0;
      gboolean is_resolved = code != NULL && resolved_at > 0;
      Counts *cat = counts_lookup (by_category, category ? category : "");
      g_autofree char *day = day_of (created_at);

      fl_status_from_string (text_at (res, r, 0), &status);

      created++;
      cat->created++;
      counts_lookup (by_day, day)->created++;

      if (handed_off)
        {
          escalated++;
          cat->escalated++;
        }
      if (fl_status_is_open (status))
        {
          gint64 age = now - created_at;

          open++;
          if (due_at > 0 && now > due_at)
            breaches++;
          aging[age < 4 * HOUR_MS ? 0 : age < 24 * HOUR_MS ? 1 : age < 72 * HOUR_MS ? 2
                : age < 168 * HOUR_MS ? 3 : 4]++;
        }
      if (is_resolved)
        {
          g_autofree char *rday = day_of (resolved_at);
          gint64 secs = (resolved_at - created_at) / 1000;
          gboolean fc = g_strcmp0 (code, "first_contact") == 0 && !handed_off;

          resolved++;
          cat->resolved++;
          counts_lookup (by_day, rday)->resolved++;
          if (fc)
            first_contact++;
          if (!handed_off)
            level1++;
          if (due_at > 0 && resolved_at > due_at)
            breaches++;
          g_array_append_val (durations, secs);
          if (resolved_by != NULL)
            {
              Counts *agent = counts_lookup (by_agent, resolved_by);
              agent->resolved++;
              if (fc)
                agent->first_contact++;
            }
        }
    }

  /* Escalations per agent: each ticket once per agent who handed it off. */
  g_clear_pointer (&res, PQclear);
  res = query (self, error,
               "SELECT e.author, COUNT (DISTINCT e.ticket_id) FROM events e "
               "JOIN tickets t ON t.id = e.ticket_id "
               "WHERE e.type = 'handoff' AND t.created_at >= $1 AND t.created_at < $2 "
               "GROUP BY e.author", "ii", from, to);
  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    counts_lookup (by_agent, text_at (res, r, 0))->escalated +=
      int_at (res, r, 1);

  /* Every enabled agent and specialist has a row, also with nothing to count. */
  g_clear_pointer (&res, PQclear);
  res = query (self, error,
               "SELECT username FROM users WHERE role IN ('agent', 'specialist') AND NOT disabled",
               "");
  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    counts_lookup (by_agent, text_at (res, r, 0));

  /* Reopened at most 7 days after the resolve before the reopen (docs/api.md). */
  g_clear_pointer (&res, PQclear);
  res = query (self, error,
               "SELECT COUNT (DISTINCT o.ticket_id) FROM events o"
               " JOIN tickets t ON t.id = o.ticket_id"
               " WHERE o.type = 'reopen' AND t.created_at >= $1 AND t.created_at < $2"
               " AND o.at - (SELECT MAX (r.at) FROM events r WHERE r.ticket_id = o.ticket_id"
               "             AND r.type = 'resolve' AND r.seq < o.seq) <= $3",
               "iii", from, to, (gint64) 7 * 24 * HOUR_MS);
  if (res == NULL)
    return NULL;
  if (PQntuples (res) > 0)
    reopened = int_at (res, 0, 0);

  if (durations->len > 0)
    {
      guint rank = (guint) ((durations->len * 9 + 9) / 10);   /* ⌈0.9 n⌉ */

      g_array_sort (durations, compare_int64);
      p90 = g_array_index (durations, gint64, MAX (rank, 1) - 1);
      if (durations->len % 2 == 1)
        median = g_array_index (durations, gint64, durations->len / 2);
      else
        median = (g_array_index (durations, gint64, durations->len / 2 - 1) +
                  g_array_index (durations, gint64, durations->len / 2)) / 2;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, from_text);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, to_text);
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
  for (guint i = 0; i < G_N_ELEMENTS (buckets); i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "bucket");
      json_builder_add_string_value (b, buckets[i]);
      add_int (b, "open", aging[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  build_counts_array (b, "by_category", "category", by_category, FALSE);
  build_counts_array (b, "by_agent", "agent", by_agent, TRUE);

  {
    g_autofree gpointer *days = NULL;
    guint n = 0;

    days = g_hash_table_get_keys_as_array (by_day, &n);
    qsort (days, n, sizeof (gpointer), compare_str);
    json_builder_set_member_name (b, "by_day");
    json_builder_begin_array (b);
    for (guint i = 0; i < n; i++)
      {
        Counts *c = g_hash_table_lookup (by_day, days[i]);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "day");
        json_builder_add_string_value (b, days[i]);
        add_int (b, "created", c->created);
        add_int (b, "resolved", c->resolved);
        json_builder_end_object (b);
      }
    json_builder_end_array (b);
  }

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* -------------------------------------------------------------------------- */
/* Checklists */

static GPtrArray *
conn_list_checklists (Conn    *self,
                      GError **error)
{
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  res = query (self, error, "SELECT json FROM checklists ORDER BY id COLLATE \"C\"", "");
  if (res == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (res); i++)
    {
      JsonNode *node = fl_sqlite_json_parse (text_at (res, i, 0));
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
  g_autoptr(PGresult) res = NULL;
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

  /* The sequence lock also serialises publishing one checklist from two instances. */
  if (!exec (self, "BEGIN", error) || !lock_seq (self, error))
    goto fail;

  res = query (self, error, "SELECT version FROM checklists WHERE id = $1", "s", id);
  if (res == NULL)
    goto fail;
  if (PQntuples (res) > 0)
    {
      if (only_if_new)
        {
          rollback (self);
          return g_steal_pointer (&copy);
        }
      version = int_at (res, 0, 0) + 1;
    }
  else if (only_if_new && (member = json_object_get_member (obj, "version")) != NULL &&
           JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_INT64)
    {
      version = MAX (1, json_node_get_int (member));
    }

  json_object_set_int_member (obj, "version", version);
  parsed = fl_checklist_new_from_json (copy, error);
  if (parsed == NULL)
    goto fail;

  stored = fl_checklist_to_json (parsed);
  text = json_to_string (stored, FALSE);

  seq = next_seq (self, error);
  if (seq == 0 ||
      !run (self, error,
            query (self, error,
                   "INSERT INTO checklists (id, version, seq, json) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (id) DO UPDATE SET version = $2, seq = $3, json = $4",
                   "siis", id, version, seq, text)) ||
      !run (self, error,
            query (self, error,
                   "INSERT INTO checklist_versions (id, version, json) VALUES ($1, $2, $3) "
                   "ON CONFLICT (id, version) DO UPDATE SET json = $3", "sis", id, version, text)) ||
      !commit (self, error))
    goto fail;

  return g_steal_pointer (&stored);

fail:
  rollback (self);
  return NULL;
}

static gboolean
conn_seed_checklists (Conn       *self,
                      const char *dir,
                      GError    **error)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

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

/* One request's ops as one transaction holding the sequence, a savepoint per op. */
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

  if (!exec (self, "BEGIN", error) || !lock_seq (self, error))
    {
      rollback (self);
      return NULL;
    }
  self->in_batch = TRUE;
  for (guint i = 0; i < ops->len; i++)
    {
      FlApplyResult *r = conn_apply_op (self, g_ptr_array_index (ops, i), client_id, user, error);

      if (r == NULL)
        {
          self->in_batch = FALSE;
          rollback (self);
          return NULL;
        }
      g_ptr_array_add (results, r);
    }
  self->in_batch = FALSE;
  if (!commit (self, error))
    return NULL;
  return g_steal_pointer (&results);
}

/* -------------------------------------------------------------------------- */
/* FlServerStorePg */

struct _FlServerStorePg
{
  GObject       parent_instance;

  /* owned */
  char         *uri;
  Conn         *main;           /* the thread that opened the store */
  Conn         *writer;         /* only the writer thread uses it; NULL until needed */
  GThreadPool  *pool;           /* one thread: jobs run one after the other, in order */
  PGconn       *listen;         /* LISTEN firstline_changed, non-blocking */
  guint         listen_id;
  guint         backstop_id;
  FlPolicy      policy;
  gint64        seen_seq;       /* the latest seq announced with ::changed */
  GHashTable   *presence_written;  /* client_id → time (ms) of its last presence write */
};

static void fl_server_store_pg_iface_init (FlServerStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FlServerStorePg, fl_server_store_pg, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FL_TYPE_SERVER_STORE,
                                                      fl_server_store_pg_iface_init))

typedef enum
{
  JOB_BATCH,
  JOB_CHECKLIST,
} JobKind;

typedef struct
{
  JobKind        kind;
  GTask         *task;
  GPtrArray     *ops;
  char          *client_id;
  FlServerUser  *user;
  char          *id;
  JsonNode      *checklist;
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
  g_free (job);
}

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
  FlServerStorePg *self = user_data;
  Job *job = data;
  GError *error = NULL;

  if (job->kind == JOB_BATCH)
    {
      GPtrArray *results = conn_apply_batch (self->writer, job->ops, job->client_id, job->user,
                                             &error);
      if (results != NULL)
        g_task_return_pointer (job->task, results, (GDestroyNotify) g_ptr_array_unref);
      else
        g_task_return_error (job->task, error);
    }
  else
    {
      JsonNode *stored = store_checklist (self->writer, job->id, job->checklist, FALSE, &error);
      if (stored != NULL)
        g_task_return_pointer (job->task, stored, (GDestroyNotify) json_node_unref);
      else
        g_task_return_error (job->task, error);
    }
  job_free (job);
}

static gboolean
push_job (FlServerStorePg  *self,
          Job              *job,
          GError          **error)
{
  if (self->pool == NULL)
    {
      g_autoptr(Conn) writer = conn_open (self->uri, error);

      if (writer == NULL)
        return FALSE;
      writer->policy = self->policy;
      writer->token_idle_ms = self->main->token_idle_ms;
      self->writer = g_steal_pointer (&writer);
      self->pool = g_thread_pool_new (writer_thread, self, 1, FALSE, error);
      if (self->pool == NULL)
        {
          g_clear_pointer (&self->writer, conn_free);
          return FALSE;
        }
    }
  return g_thread_pool_push (self->pool, job, error);
}

/* Announces the latest seq when it grew, by whichever instance. */
static void
check_seq (FlServerStorePg *self)
{
  gint64 seq = conn_get_latest_seq (self->main);

  if (seq > self->seen_seq)
    {
      self->seen_seq = seq;
      fl_server_store_emit_changed (FL_SERVER_STORE (self), seq);
    }
}

static gboolean
on_listen_cb (int          fd,
              GIOCondition condition,
              gpointer     user_data)
{
  FlServerStorePg *self = user_data;
  PGnotify *notify;
  gboolean any = FALSE;
  gboolean presence = FALSE;

  if (!PQconsumeInput (self->listen))
    {
      /* The backstop keeps long polls answered; the next check reconnects. */
      g_warning ("Lost the database notifications: %s", PQerrorMessage (self->listen));
      self->listen_id = 0;
      return G_SOURCE_REMOVE;
    }
  while ((notify = PQnotifies (self->listen)) != NULL)
    {
      /* Our own presence writes come back too: only others' are news. */
      if (g_str_equal (notify->relname, "firstline_presence"))
        presence |= notify->be_pid != PQbackendPID (self->main->db);
      else
        any = TRUE;
      PQfreemem (notify);
    }
  if (any)
    check_seq (self);
  if (presence)
    g_signal_emit_by_name (self, "presence-changed");
  return G_SOURCE_CONTINUE;
}

static gboolean
start_listening (FlServerStorePg  *self,
                 GError          **error)
{
  g_autoptr(PGresult) res = NULL;

  g_clear_handle_id (&self->listen_id, g_source_remove);
  g_clear_pointer (&self->listen, PQfinish);
  self->listen = PQconnectdb (self->uri);
  if (PQstatus (self->listen) != CONNECTION_OK)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("Cannot connect to the database: %s"), PQerrorMessage (self->listen));
      g_clear_pointer (&self->listen, PQfinish);
      return FALSE;
    }
  res = PQexec (self->listen, "LISTEN firstline_changed; LISTEN firstline_presence");
  if (PQresultStatus (res) != PGRES_COMMAND_OK || PQsetnonblocking (self->listen, 1) != 0)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   "LISTEN: %s", PQerrorMessage (self->listen));
      g_clear_pointer (&self->listen, PQfinish);
      return FALSE;
    }
  self->listen_id = g_unix_fd_add (PQsocket (self->listen), G_IO_IN | G_IO_HUP | G_IO_ERR,
                                   on_listen_cb, self);
  return TRUE;
}

static gboolean
on_backstop_cb (gpointer user_data)
{
  FlServerStorePg *self = user_data;

  if (self->listen_id == 0)
    {
      g_autoptr(GError) error = NULL;

      if (!start_listening (self, &error))
        g_debug ("%s", error->message);
    }
  check_seq (self);
  return G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------------------------- */
/* FlServerStore */

#define SELF(store) (FL_SERVER_STORE_PG (store))
#define MAIN(store) (FL_SERVER_STORE_PG (store)->main)

static void
pg_set_policy (FlServerStore  *store,
               const FlPolicy *policy)
{
  FlServerStorePg *self = SELF (store);

  g_return_if_fail (self->pool == NULL);
  self->policy = *policy;
  self->main->policy = *policy;
}

static void
pg_set_token_idle_days (FlServerStore *store,
                        guint          days)
{
  g_return_if_fail (days > 0);
  conn_set_token_idle_days (MAIN (store), days);
}

static gboolean
pg_backup (FlServerStore  *store,
           const char     *file,
           GError        **error)
{
  g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                       _("A PostgreSQL database is backed up with pg_dump"));
  return FALSE;
}

static gboolean
pg_add_user (FlServerStore  *store,
             const char     *username,
             const char     *display_name,
             FlRole          role,
             const char     *password_hash,
             GError        **error)
{
  return conn_add_user (MAIN (store), username, display_name, role, password_hash, error);
}

static FlServerUser *
pg_get_user (FlServerStore *store,
             const char    *username)
{
  return conn_get_user (MAIN (store), username);
}

static char *
pg_dup_password_hash (FlServerStore *store,
                      const char    *username,
                      gint64        *user_id)
{
  return conn_dup_password_hash (MAIN (store), username, user_id);
}

static GPtrArray *
pg_list_users (FlServerStore *store)
{
  return conn_list_users (MAIN (store));
}

static gboolean
pg_set_user_disabled (FlServerStore  *store,
                      const char     *username,
                      gboolean        disabled,
                      GError        **error)
{
  return conn_set_user_disabled (MAIN (store), username, disabled, error);
}

static gboolean
pg_remove_user (FlServerStore  *store,
                const char     *username,
                GError        **error)
{
  return conn_remove_user (MAIN (store), username, error);
}

static gboolean
pg_set_password (FlServerStore  *store,
                 gint64          user_id,
                 const char     *password_hash,
                 const char     *keep_token,
                 GError        **error)
{
  return conn_set_password (MAIN (store), user_id, password_hash, keep_token, error);
}

static char *
pg_create_token (FlServerStore  *store,
                 gint64          user_id,
                 GError        **error)
{
  return conn_create_token (MAIN (store), user_id, error);
}

static FlServerUser *
pg_lookup_token (FlServerStore *store,
                 const char    *token)
{
  return conn_lookup_token (MAIN (store), token);
}

static void
pg_revoke_token (FlServerStore *store,
                 const char    *token)
{
  conn_revoke_token (MAIN (store), token);
}

static gboolean
pg_revoke_user_tokens (FlServerStore  *store,
                       gint64          user_id,
                       GError        **error)
{
  return delete_tokens (MAIN (store), user_id, NULL, error);
}

static gint64
pg_get_latest_seq (FlServerStore *store)
{
  return conn_get_latest_seq (MAIN (store));
}

static gboolean
pg_has_ticket (FlServerStore *store,
               const char    *ticket_id)
{
  return conn_has_ticket (MAIN (store), ticket_id);
}

static FlTicket *
pg_get_ticket (FlServerStore *store,
               const char    *ticket_id)
{
  return conn_get_ticket (MAIN (store), ticket_id);
}

static GPtrArray *
pg_get_events (FlServerStore *store,
               const char    *ticket_id)
{
  return conn_get_events (MAIN (store), ticket_id);
}

static gboolean
pg_get_changes (FlServerStore  *store,
                gint64          cursor,
                gint64          limit,
                GPtrArray     **tickets,
                GPtrArray     **events,
                GPtrArray     **checklists,
                gint64         *out_cursor,
                gboolean       *more,
                GError        **error)
{
  return conn_get_changes (MAIN (store), cursor, limit, tickets, events, checklists,
                           out_cursor, more, error);
}

static GPtrArray *
pg_query_tickets (FlServerStore        *store,
                  const FlTicketQuery  *query_,
                  gint64               *total,
                  GError              **error)
{
  return conn_query_tickets (MAIN (store), query_, total, error);
}

static JsonNode *
pg_report (FlServerStore  *store,
           gint64          from,
           gint64          to,
           gint64          now,
           GError        **error)
{
  return conn_report (MAIN (store), from, to, now, error);
}

static GPtrArray *
pg_apply_batch (FlServerStore       *store,
                GPtrArray           *ops,
                const char          *client_id,
                const FlServerUser  *user,
                GError             **error)
{
  return conn_apply_batch (MAIN (store), ops, client_id, user, error);
}

static void
pg_apply_batch_async (FlServerStore       *store,
                      GPtrArray           *ops,
                      const char          *client_id,
                      const FlServerUser  *user,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  FlServerStorePg *self = SELF (store);
  g_autoptr(GError) error = NULL;
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_BATCH;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, pg_apply_batch_async);
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
pg_apply_batch_finish (FlServerStore  *store,
                       GAsyncResult   *result,
                       GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GPtrArray *
pg_list_checklists (FlServerStore  *store,
                    GError        **error)
{
  return conn_list_checklists (MAIN (store), error);
}

static JsonNode *
pg_put_checklist (FlServerStore  *store,
                  const char     *id,
                  JsonNode       *checklist,
                  GError        **error)
{
  return store_checklist (MAIN (store), id, checklist, FALSE, error);
}

static void
pg_put_checklist_async (FlServerStore       *store,
                        const char          *id,
                        JsonNode            *checklist,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  FlServerStorePg *self = SELF (store);
  g_autoptr(GError) error = NULL;
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_CHECKLIST;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, pg_put_checklist_async);
  job->id = g_strdup (id);
  job->checklist = node_deep_copy (checklist);
  if (!push_job (self, job, &error))
    {
      g_task_return_error (job->task, g_steal_pointer (&error));
      job_free (job);
    }
}

static JsonNode *
pg_put_checklist_finish (FlServerStore  *store,
                         GAsyncResult   *result,
                         GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
pg_seed_checklists (FlServerStore  *store,
                    const char     *dir,
                    GError        **error)
{
  return conn_seed_checklists (MAIN (store), dir, error);
}

/* Shared state: failed logins and presence, in the database. */

/* How often a client's presence is written when nothing about it changed. */
#define PRESENCE_TOUCH_MS 10000

static gint64
pg_login_wait (FlServerStore *store,
               const char    *username,
               guint          max_failures,
               gint64         window_ms)
{
  g_autoptr(PGresult) res = NULL;
  gint64 now = fl_time_now ();
  gint64 oldest;

  res = query (MAIN (store), NULL,
               "SELECT COUNT(*), MIN (at) FROM (SELECT at FROM login_failures"
               " WHERE username = $1 AND at > $2 ORDER BY at DESC LIMIT $3) f", "sii",
               username, now - window_ms, (gint64) max_failures);
  if (res == NULL || int_at (res, 0, 0) < max_failures)
    return 0;
  oldest = int_at (res, 0, 1);
  return MAX (1, (oldest + window_ms - now + 999) / 1000);
}

static void
pg_login_failed (FlServerStore *store,
                 const char    *username)
{
  g_autoptr(GError) error = NULL;
  gint64 now = fl_time_now ();

  /* Older failures than a day count nowhere any more. */
  if (!run (MAIN (store), &error,
            query (MAIN (store), &error, "INSERT INTO login_failures (username, at) VALUES ($1, $2)",
                   "si", username, now)) ||
      !run (MAIN (store), &error,
            query (MAIN (store), &error, "DELETE FROM login_failures WHERE at < $1", "i",
                   now - 24 * 3600 * 1000LL)))
    g_warning ("Cannot record a failed login: %s", error->message);
}

static void
pg_put_presence (FlServerStore *store,
                 const char    *client_id,
                 const char    *username,
                 const char    *viewing,
                 gboolean       editing,
                 gboolean       changed)
{
  FlServerStorePg *self = FL_SERVER_STORE_PG (store);
  g_autoptr(GError) error = NULL;
  gint64 now = fl_time_now ();
  gpointer last = g_hash_table_lookup (self->presence_written, client_id);

  if (!changed && last != NULL && now - *(gint64 *) last < PRESENCE_TOUCH_MS)
    return;

  if (!run (self->main, &error,
            query (self->main, &error,
                   "INSERT INTO presence (client_id, username, viewing, editing, last_seen) "
                   "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO UPDATE SET"
                   " username = $2, viewing = $3, editing = $4, last_seen = $5", "sssbi",
                   client_id, username, viewing, editing, now)) ||
      (changed && !exec (self->main, "NOTIFY firstline_presence", &error)))
    {
      g_warning ("Cannot record presence: %s", error->message);
      return;
    }
  if (g_hash_table_size (self->presence_written) > 10000)
    {
      g_autoptr(GError) ignored = NULL;

      g_hash_table_remove_all (self->presence_written);
      run (self->main, &ignored, query (self->main, &ignored,
                                        "DELETE FROM presence WHERE last_seen < $1", "i",
                                        now - 24 * 3600 * 1000LL));
    }
  g_hash_table_insert (self->presence_written, g_strdup (client_id),
                       g_memdup2 (&now, sizeof now));
}

static GPtrArray *
pg_list_presence (FlServerStore *store,
                  gint64         fresh_ms)
{
  g_autoptr(PGresult) res = NULL;
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_server_presence_free);
  gint64 now = fl_time_now ();

  res = query (MAIN (store), NULL,
               "SELECT client_id, username, viewing, editing, last_seen FROM presence "
               "WHERE last_seen > $1 AND viewing IS NOT NULL", "i", now - fresh_ms);
  for (int i = 0; res && i < PQntuples (res); i++)
    {
      FlServerPresence *p = g_new0 (FlServerPresence, 1);

      p->client_id = g_strdup (text_at (res, i, 0));
      p->username = g_strdup (text_at (res, i, 1));
      p->viewing = g_strdup (text_at (res, i, 2));
      p->editing = bool_at (res, i, 3);
      p->age_ms = MAX (0, now - int_at (res, i, 4));
      g_ptr_array_add (list, p);
    }
  return list;
}

#undef SELF
#undef MAIN

/* -------------------------------------------------------------------------- */

static void
fl_server_store_pg_finalize (GObject *object)
{
  FlServerStorePg *self = (FlServerStorePg *)object;

  if (self->pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
  g_clear_handle_id (&self->listen_id, g_source_remove);
  g_clear_handle_id (&self->backstop_id, g_source_remove);
  g_clear_pointer (&self->listen, PQfinish);
  g_clear_pointer (&self->writer, conn_free);
  g_clear_pointer (&self->main, conn_free);
  g_free (self->uri);
  g_clear_pointer (&self->presence_written, g_hash_table_unref);

  G_OBJECT_CLASS (fl_server_store_pg_parent_class)->finalize (object);
}

static void
fl_server_store_pg_class_init (FlServerStorePgClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_server_store_pg_finalize;
}

static void
fl_server_store_pg_iface_init (FlServerStoreInterface *iface)
{
  iface->set_policy = pg_set_policy;
  iface->set_token_idle_days = pg_set_token_idle_days;
  iface->backup = pg_backup;
  iface->add_user = pg_add_user;
  iface->get_user = pg_get_user;
  iface->dup_password_hash = pg_dup_password_hash;
  iface->list_users = pg_list_users;
  iface->set_user_disabled = pg_set_user_disabled;
  iface->remove_user = pg_remove_user;
  iface->set_password = pg_set_password;
  iface->create_token = pg_create_token;
  iface->lookup_token = pg_lookup_token;
  iface->revoke_token = pg_revoke_token;
  iface->revoke_user_tokens = pg_revoke_user_tokens;
  iface->get_latest_seq = pg_get_latest_seq;
  iface->has_ticket = pg_has_ticket;
  iface->get_ticket = pg_get_ticket;
  iface->get_events = pg_get_events;
  iface->get_changes = pg_get_changes;
  iface->query_tickets = pg_query_tickets;
  iface->report = pg_report;
  iface->apply_batch = pg_apply_batch;
  iface->apply_batch_async = pg_apply_batch_async;
  iface->apply_batch_finish = pg_apply_batch_finish;
  iface->list_checklists = pg_list_checklists;
  iface->put_checklist = pg_put_checklist;
  iface->put_checklist_async = pg_put_checklist_async;
  iface->put_checklist_finish = pg_put_checklist_finish;
  iface->seed_checklists = pg_seed_checklists;
  iface->login_wait = pg_login_wait;
  iface->login_failed = pg_login_failed;
  iface->put_presence = pg_put_presence;
  iface->list_presence = pg_list_presence;
}

static void
fl_server_store_pg_init (FlServerStorePg *self)
{
  self->policy = *fl_policy_get_default ();
  self->presence_written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

gboolean
fl_server_store_pg_migrate (const char  *uri,
                            gint64       target,
                            gint64      *out_version,
                            GError     **error)
{
  g_autoptr(Conn) conn = NULL;

  g_return_val_if_fail (uri != NULL, FALSE);

  if (target <= 0 || target > FL_SERVER_STORE_PG_SCHEMA_VERSION)
    target = FL_SERVER_STORE_PG_SCHEMA_VERSION;
  conn = conn_open (uri, error);
  if (conn == NULL || !upgrade_schema (conn, target, error))
    return FALSE;
  if (out_version != NULL)
    *out_version = schema_version (conn, NULL);
  return TRUE;
}

FlServerStore *
fl_server_store_pg_new (const char  *uri,
                        GError     **error)
{
  g_autoptr(FlServerStorePg) self = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  self = g_object_new (FL_TYPE_SERVER_STORE_PG, NULL);
  self->uri = g_strdup (uri);
  self->main = conn_open (uri, error);
  if (self->main == NULL ||
      !upgrade_schema (self->main, FL_SERVER_STORE_PG_SCHEMA_VERSION, error) ||
      !start_listening (self, error))
    return NULL;
  self->seen_seq = conn_get_latest_seq (self->main);
  self->backstop_id = g_timeout_add (BACKSTOP_MS, on_backstop_cb, self);
  return FL_SERVER_STORE (g_steal_pointer (&self));
}

gboolean
fl_server_store_pg_is_uri (const char *database)
{
  return database != NULL &&
         (g_str_has_prefix (database, "postgresql://") || g_str_has_prefix (database, "postgres://"));
}
