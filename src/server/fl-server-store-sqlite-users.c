/* fl-server-store-sqlite-users.c — users, tokens and sessions of the SQLite store
 *
 * Adding, disabling and removing users, their password hashes, and the bearer tokens
 * of their sessions: creating, looking up (with the idle limit), touching and revoking.
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

void
_fl_sqlite_conn_set_token_idle_days (Conn *self,
                                     guint days)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (days > 0);

  self->token_idle_ms = (gint64) days * 24 * 3600 * 1000;

  /* Tokens that expired while the server was stopped go now. */
  stmt = _fl_sqlite_prepare (self, "DELETE FROM tokens WHERE last_used < ?", NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, fl_time_now () - self->token_idle_ms);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("Cannot remove expired tokens: %s", sqlite3_errmsg (self->db));
}

gboolean
_fl_sqlite_conn_add_user (Conn       *self,
                          const char *username,
                          const char *display_name,
                          FlRole      role,
                          const char *password_hash,
                          GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);

  stmt = _fl_sqlite_prepare (self,
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
    return _fl_sqlite_db_error (self, error, "add user");
  return TRUE;
}

FlServerUser *
_fl_sqlite_conn_get_user (Conn       *self,
                          const char *username)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  stmt = _fl_sqlite_prepare (self, "SELECT " USER_COLUMNS " FROM users u WHERE u.username = ?", NULL);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, username);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return user_from_row (stmt, 0);
}

char *
_fl_sqlite_conn_dup_password_hash (Conn       *self,
                                   const char *username,
                                   gint64     *user_id)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  if (user_id != NULL)
    *user_id = 0;

  /* A disabled user has no password that could match. */
  stmt = _fl_sqlite_prepare (self, "SELECT password_hash, id FROM users WHERE username = ? AND disabled = 0",
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

GPtrArray *
_fl_sqlite_conn_list_users (Conn *self)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_server_user_free);

  stmt = _fl_sqlite_prepare (self, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.username", NULL);
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
  FlServerUser *user = _fl_sqlite_conn_get_user (self, username);

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

  stmt = _fl_sqlite_prepare (self, "DELETE FROM tokens WHERE user_id = ? AND hash IS NOT ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, user_id);
  fl_sqlite_bind_text (stmt, 2, keep_hash);
  return _fl_sqlite_step_done (self, stmt, error);
}

gboolean
_fl_sqlite_conn_set_user_disabled (Conn       *self,
                                   const char *username,
                                   gboolean    disabled,
                                   GError    **error)
{
  g_autoptr(FlServerUser) user = NULL;
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if ((user = get_existing_user (self, username, error)) == NULL)
    goto fail;

  stmt = _fl_sqlite_prepare (self, "UPDATE users SET disabled = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int (stmt, 1, disabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 2, user->id);
  if (!_fl_sqlite_step_done (self, stmt, error) ||
      (disabled && !delete_tokens (self, user->id, NULL, error)) ||
      !_fl_sqlite_exec (self, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  _fl_sqlite_rollback (self);
  return FALSE;
}

gboolean
_fl_sqlite_conn_remove_user (Conn       *self,
                             const char *username,
                             GError    **error)
{
  g_autoptr(FlServerUser) user = NULL;
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  /* Tickets and events keep the username as text: the history still names the author. */
  if (!_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if ((user = get_existing_user (self, username, error)) == NULL ||
      !delete_tokens (self, user->id, NULL, error))
    goto fail;

  stmt = _fl_sqlite_prepare (self, "DELETE FROM users WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, user->id);
  if (!_fl_sqlite_step_done (self, stmt, error) || !_fl_sqlite_exec (self, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  _fl_sqlite_rollback (self);
  return FALSE;
}

gboolean
_fl_sqlite_conn_set_password (Conn       *self,
                              gint64      user_id,
                              const char *password_hash,
                              const char *keep_token,
                              GError    **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autofree char *keep_hash = keep_token ? fl_auth_hash_token (keep_token) : NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);

  if (!_fl_sqlite_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  stmt = _fl_sqlite_prepare (self, "UPDATE users SET password_hash = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  fl_sqlite_bind_text (stmt, 1, password_hash);
  sqlite3_bind_int64 (stmt, 2, user_id);
  if (!_fl_sqlite_step_done (self, stmt, error))
    goto fail;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_NOT_FOUND,
                           _("The user does not exist any more"));
      goto fail;
    }
  if (!delete_tokens (self, user_id, keep_hash, error) || !_fl_sqlite_exec (self, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  _fl_sqlite_rollback (self);
  return FALSE;
}

char *
_fl_sqlite_conn_create_token (Conn    *self,
                              gint64   user_id,
                              GError **error)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;
  g_autofree char *token = fl_auth_new_token ();
  g_autofree char *hash = fl_auth_hash_token (token);
  gint64 now = fl_time_now ();

  stmt = _fl_sqlite_prepare (self, "INSERT INTO tokens (hash, user_id, created_at, last_used) VALUES (?, ?, ?, ?)",
                             error);
  if (stmt == NULL)
    return NULL;
  fl_sqlite_bind_text (stmt, 1, hash);
  sqlite3_bind_int64 (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, now);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!_fl_sqlite_step_done (self, stmt, error))
    return NULL;
  return g_steal_pointer (&token);
}

static void
delete_token_hash (Conn       *self,
                   const char *hash)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  stmt = _fl_sqlite_prepare (self, "DELETE FROM tokens WHERE hash = ?", NULL);
  if (stmt == NULL)
    return;
  fl_sqlite_bind_text (stmt, 1, hash);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("Cannot revoke token: %s", sqlite3_errmsg (self->db));
}

/* Records a token's use or deletes it; returns the SQLite result code. */
int
_fl_sqlite_token_write (Conn       *self,
                        TokenWrite  write,
                        const char *hash,
                        gint64      now)
{
  g_autoptr(FlSqliteStmt) stmt = NULL;

  g_assert (write != TOKEN_FRESH);

  if (write == TOKEN_TOUCH)
    {
      stmt = _fl_sqlite_prepare (self, "UPDATE tokens SET last_used = ? WHERE hash = ?", NULL);
      if (stmt == NULL)
        return SQLITE_ERROR;
      sqlite3_bind_int64 (stmt, 1, now);
      fl_sqlite_bind_text (stmt, 2, hash);
    }
  else
    {
      stmt = _fl_sqlite_prepare (self, "DELETE FROM tokens WHERE hash = ?", NULL);
      if (stmt == NULL)
        return SQLITE_ERROR;
      fl_sqlite_bind_text (stmt, 1, hash);
    }
  return sqlite3_step (stmt);
}

/* Reads only: what to write about the token afterwards is left in *@write, with its
 * hash in *@out_hash. */
FlServerUser *
_fl_sqlite_conn_lookup_token (Conn       *self,
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
  stmt = _fl_sqlite_prepare (self,
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

void
_fl_sqlite_conn_revoke_token (Conn       *self,
                              const char *token)
{
  g_autofree char *hash = NULL;

  if (token == NULL)
    return;

  hash = fl_auth_hash_token (token);
  delete_token_hash (self, hash);
}

gboolean
_fl_sqlite_conn_revoke_user_tokens (Conn    *self,
                                    gint64   user_id,
                                    GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return delete_tokens (self, user_id, NULL, error);
}
