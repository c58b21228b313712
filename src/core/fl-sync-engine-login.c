/* fl-sync-engine-login.c — logging in and out, the password, logging out everywhere
 *
 * The token goes to the Secret Service (or the fallback file) and is looked up
 * there in a worker thread, never on the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sync-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "fl-json-private.h"
#include "fl-sync-engine-private.h"

void
_fl_sync_engine_login_data_free (gpointer data)
{
  LoginData *d = data;

  g_free (d->server_url);
  g_free (d->username);
  g_clear_pointer (&d->token, _fl_sync_engine_wipe_text);
  g_clear_pointer (&d->known_token, _fl_sync_engine_wipe_text);
  g_free (d);
}

static void
login_store_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  LoginData *data = task_data;
  GError *error = NULL;

  if (!fl_credentials_store_token (data->server_url, data->username, data->token,
                                   &data->backend, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
login_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      !fl_store_set_user (self->store, data->username, data->role, &error) ||
      !fl_store_set_state (self->store, "server_url", data->server_url, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_free (self->token);
  self->token = g_strdup (data->token);
  self->backend = data->backend;

  _fl_sync_engine_set_last_error (self, NULL);
  _fl_sync_engine_set_state (self, FL_SYNC_STATE_IDLE);
  g_task_return_boolean (task, TRUE);

  if (self->running)
    fl_sync_engine_kick (self);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  LoginData *data = g_task_get_task_data (task);
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GTask) store_task = NULL;
  GCancellable *cancellable;
  JsonObject *obj;
  JsonObject *user;
  const char *token;
  const char *role;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

  if (transport_error == NULL && soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                               _("Wrong username or password"));
      return;
    }
  if (transport_error == NULL && soup_message_get_status (msg) == 429)
    {
      const char *retry = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                        "Retry-After");
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("Too many failed logins; try again in %s seconds"),
                               retry ? retry : "60");
      return;
    }

  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error) ||
      !(root = _fl_sync_engine_parse_json_object (body, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  obj = json_node_get_object (root);
  token = _fl_json_string_member (obj, "token", NULL);
  user = json_object_has_member (obj, "user") &&
         JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "user"))
         ? json_object_get_object_member (obj, "user") : NULL;
  role = user ? _fl_json_string_member (user, "role", NULL) : NULL;

  if (token != NULL && !fl_credentials_token_is_valid (token))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server sent a login token that is not valid "
                                 "(%d to %d letters, digits or ._~+/=-); it is not kept"),
                               FL_CREDENTIALS_TOKEN_MIN, FL_CREDENTIALS_TOKEN_MAX);
      return;
    }
  if (token == NULL || user == NULL ||
      !fl_role_from_string (role, &data->role))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server sent an incomplete answer"));
      return;
    }

  data->token = g_strdup (token);
  if (fl_text_is_valid (_fl_json_string_member (user, "username", NULL),
                        1, FL_SHORT_TEXT_MAX))
    {
      g_free (data->username);
      data->username = g_strdup (_fl_json_string_member (user, "username", NULL));
    }

  cancellable = g_task_get_cancellable (task);
  store_task = g_task_new (self, cancellable, login_stored_cb, g_steal_pointer (&task));
  g_task_set_task_data (store_task, data, NULL);
  g_task_run_in_thread (store_task, login_store_thread);
}

void
fl_sync_engine_login_async (FlSyncEngine        *self,
                            const char          *server_url,
                            const char          *username,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = NULL;
  LoginData *data;
  char *text;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_login_async);

  if (!fl_sync_check_server_url (server_url, self->allow_insecure, &error) ||
      !(url = _fl_sync_engine_normalize_url (server_url, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!fl_text_is_valid (username, 1, FL_SHORT_TEXT_MAX) || !fl_text_is_valid (password, 1, 4096))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("Username and password are required"));
      return;
    }

  data = g_new0 (LoginData, 1);
  data->server_url = g_strdup (url);
  data->username = g_strdup (username);
  g_task_set_task_data (task, data, _fl_sync_engine_login_data_free);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  /* no old token on a login */
  g_clear_pointer (&self->token, g_free);
  msg = _fl_sync_engine_new_message ("POST", url, "/api/v1/session", NULL, body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), url);
      return;
    }

  _fl_sync_engine_send_short (self, msg, cancellable, login_done_cb, g_steal_pointer (&task));
}

gboolean
fl_sync_engine_login_finish (FlSyncEngine  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
logout_clear_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  LoginData *data = task_data;
  GError *error = NULL;

  if (data->server_url == NULL || data->username == NULL ||
      fl_credentials_clear_token (data->server_url, data->username, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
logout_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  g_autoptr(GBytes) body = NULL;

  /* Best effort: even unreachable, the token is forgotten here. */
  body = _fl_sync_engine_send_bounded_finish (result, NULL, NULL);

  g_clear_pointer (&self->token, g_free);
  _fl_sync_engine_set_state (self, FL_SYNC_STATE_UNAUTHORIZED);

  /* The keyring is asked in a thread, never on the main loop. */
  g_task_run_in_thread (task, logout_clear_thread);
}

void
fl_sync_engine_logout_async (FlSyncEngine        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  LoginData *data;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_logout_async);

  fl_sync_engine_stop (self);

  data = g_new0 (LoginData, 1);
  data->server_url = fl_store_dup_state (self->store, "server_url");
  data->username = g_strdup (fl_store_get_username (self->store));
  g_task_set_task_data (task, data, _fl_sync_engine_login_data_free);

  if (data->server_url != NULL && self->token != NULL)
    msg = _fl_sync_engine_new_message ("DELETE", data->server_url, "/api/v1/session", self->token, NULL);

  if (msg == NULL)
    {
      g_clear_pointer (&self->token, g_free);
      _fl_sync_engine_set_state (self, FL_SYNC_STATE_UNAUTHORIZED);
      g_task_run_in_thread (task, logout_clear_thread);
      return;
    }

  _fl_sync_engine_send_short (self, msg, cancellable, logout_done_cb, g_steal_pointer (&task));
}

gboolean
fl_sync_engine_logout_finish (FlSyncEngine  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_fl_sync_engine_token_lookup_thread (GTask        *task,
                                     gpointer      source_object,
                                     gpointer      task_data,
                                     GCancellable *cancellable)
{
  LoginData *data = task_data;
  GError *error = NULL;

  data->token = fl_credentials_lookup_token (data->server_url, data->username,
                                             &data->backend, &error);
  if (data->token != NULL && !fl_credentials_token_is_valid (data->token))
    g_clear_pointer (&data->token, _fl_sync_engine_wipe_text);
  if (data->token == NULL && data->known_token == NULL)
    {
      g_clear_error (&error);
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_UNAUTHORIZED,
                               _("Not logged in to %s; please log in"), data->server_url);
      return;
    }

  g_clear_error (&error);
  g_task_return_boolean (task, TRUE);
}

/* After the token lookup: sends @method @path with the task's "body" (nullable). */
static void
send_account_request (FlSyncEngine        *self,
                      GTask               *task,
                      GAsyncResult        *lookup_result,
                      const char          *method,
                      const char          *path,
                      GAsyncReadyCallback  done_cb)
{
  LoginData *data = g_task_get_task_data (task);
  GBytes *body = g_object_get_data (G_OBJECT (task), "body");
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (lookup_result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  if (data->token != NULL)
    {
      g_free (self->token);
      self->token = g_strdup (data->token);
    }

  msg = _fl_sync_engine_new_message (method, data->server_url, path,
                                     data->token ? data->token : data->known_token, body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      g_object_unref (task);
      return;
    }

  _fl_sync_engine_send_short (self, msg, g_task_get_cancellable (task), done_cb, task);
}

/* Starts the token lookup for an account request; FALSE (and @task answered) without a server. */
static gboolean
start_account_request (FlSyncEngine        *self,
                       GTask               *task,
                       GAsyncReadyCallback  ready_cb)
{
  g_autoptr(GTask) lookup = NULL;
  LoginData *data = g_new0 (LoginData, 1);

  data->server_url = fl_store_dup_state (self->store, "server_url");
  data->username = g_strdup (fl_store_get_username (self->store));
  data->known_token = g_strdup (self->token);
  g_task_set_task_data (task, data, _fl_sync_engine_login_data_free);

  if (data->server_url == NULL || data->username == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("No server yet: log in first"));
      return FALSE;
    }

  lookup = g_task_new (self, g_task_get_cancellable (task), ready_cb, g_object_ref (task));
  g_task_set_task_data (lookup, data, NULL);
  g_task_run_in_thread (lookup, _fl_sync_engine_token_lookup_thread);
  return TRUE;
}

static void
change_password_done_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  guint status;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

  if (transport_error == NULL)
    {
      status = soup_message_get_status (msg);
      headers = soup_message_get_response_headers (msg);

      /* A 401 without a Bearer challenge is about the password, not the token. */
      if (status == SOUP_STATUS_UNAUTHORIZED &&
          soup_message_headers_get_one (headers, "WWW-Authenticate") == NULL)
        {
          g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                                   _("The current password is wrong"));
          return;
        }
      if (status == SOUP_STATUS_UNPROCESSABLE_ENTITY)
        {
          g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                                   _("The new password must have at least 8 characters"));
          return;
        }
      if (status == 429)
        {
          const char *retry = soup_message_headers_get_one (headers, "Retry-After");

          g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                                   _("Too many failed attempts; try again in %s seconds"),
                                   retry ? retry : "60");
          return;
        }
    }

  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
change_password_ready_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  send_account_request (FL_SYNC_ENGINE (source), user_data, result, "POST",
                        "/api/v1/me/password", change_password_done_cb);
}

void
fl_sync_engine_change_password_async (FlSyncEngine        *self,
                                      const char          *old_password,
                                      const char          *new_password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_change_password_async);

  if (!fl_text_is_valid (old_password, 1, 4096) || !fl_text_is_valid (new_password, 1, 4096))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("The current and the new password are required"));
      return;
    }
  if (g_utf8_strlen (new_password, -1) < FL_SYNC_MIN_PASSWORD)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               _("The new password must have at least 8 characters"));
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "old_password");
  json_builder_add_string_value (builder, old_password);
  json_builder_set_member_name (builder, "new_password");
  json_builder_add_string_value (builder, new_password);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  g_object_set_data_full (G_OBJECT (task), "body",
                          g_bytes_new_with_free_func (text, strlen (text), _fl_sync_engine_wipe_text, text),
                          (GDestroyNotify) g_bytes_unref);

  start_account_request (self, task, change_password_ready_cb);
}

gboolean
fl_sync_engine_change_password_finish (FlSyncEngine  *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
logout_everywhere_done_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

  /* Unlike a logout, this must reach the server: otherwise nothing is revoked and the
   * login here stays, so that it can be tried again. */
  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  fl_sync_engine_stop (self);
  g_clear_pointer (&self->token, g_free);
  _fl_sync_engine_set_state (self, FL_SYNC_STATE_UNAUTHORIZED);
  g_task_run_in_thread (task, logout_clear_thread);
}

static void
logout_everywhere_ready_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  send_account_request (FL_SYNC_ENGINE (source), user_data, result, "DELETE",
                        "/api/v1/sessions", logout_everywhere_done_cb);
}

void
fl_sync_engine_logout_everywhere_async (FlSyncEngine        *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_logout_everywhere_async);
  start_account_request (self, task, logout_everywhere_ready_cb);
}

gboolean
fl_sync_engine_logout_everywhere_finish (FlSyncEngine  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
