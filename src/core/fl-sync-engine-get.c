/* fl-sync-engine-get.c — reading the server's history and reports: GET /api/v1/…
 *
 * The history view, the dashboard and `firstline-cli export` read what only the server
 * has (every ticket, the reports) with the user's token. The answer is parsed in a
 * worker thread, so that a page of 500 tickets costs the main loop nothing.
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

/* A page of the history (500 tickets with long texts) fits easily. */
#define MAX_GET_RESPONSE_BYTES (32 * 1024 * 1024)
#define GET_DEADLINE_SECONDS   60

static void
parse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GBytes *body = task_data;
  GError *error = NULL;
  JsonNode *root = _fl_sync_engine_parse_json_object (body, &error);

  if (root == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
}

static void
parse_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *root = g_task_propagate_pointer (G_TASK (result), &error);

  if (root == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
}

static void
get_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) parse = NULL;
  GCancellable *cancellable;
  gpointer source_object;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  source_object = g_task_get_source_object (task);
  cancellable = g_task_get_cancellable (task);
  parse = g_task_new (source_object, cancellable, parse_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (parse, g_bytes_ref (body), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (parse, parse_thread);
}

static void
token_ready_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  const char *path = g_object_get_data (G_OBJECT (task), "path");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  GCancellable *cancellable;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->token != NULL && g_strcmp0 (self->token, data->token) != 0)
    {
      g_free (self->token);
      self->token = g_strdup (data->token);
    }

  msg = _fl_sync_engine_new_message ("GET", data->server_url, path,
                                     data->token ? data->token : data->known_token, NULL);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      return;
    }

  g_object_set (_fl_sync_engine_get_session (self), "timeout", GET_DEADLINE_SECONDS, NULL);
  cancellable = g_task_get_cancellable (task);
  _fl_sync_engine_send_bounded (self, msg, MAX_GET_RESPONSE_BYTES, GET_DEADLINE_SECONDS,
                                cancellable, get_done_cb, g_steal_pointer (&task));
}

void
fl_sync_engine_get_json_async (FlSyncEngine        *self,
                               const char          *path,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) lookup = NULL;
  LoginData *data;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));
  g_return_if_fail (path != NULL && g_str_has_prefix (path, "/api/v1/"));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_get_json_async);
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (path), g_free);

  data = g_new0 (LoginData, 1);
  data->server_url = fl_store_dup_state (self->store, "server_url");
  data->username = g_strdup (fl_store_get_username (self->store));
  data->known_token = g_strdup (self->token);
  g_task_set_task_data (task, data, _fl_sync_engine_login_data_free);

  if (data->server_url == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("No server yet: log in first"));
      return;
    }

  lookup = g_task_new (self, cancellable, token_ready_cb, g_steal_pointer (&task));
  g_task_set_task_data (lookup, data, NULL);
  g_task_run_in_thread (lookup, _fl_sync_engine_token_lookup_thread);
}

JsonNode *
fl_sync_engine_get_json_finish (FlSyncEngine  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
