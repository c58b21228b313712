/* fl-sync-engine-users.c — the team: GET /api/v1/users
 *
 * The list is kept in the store's state ("users"), so that it can be shown
 * offline, from the last time it was fetched.
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

#define USERS_STATE_KEY "users"

static void
fl_user_info_free (FlUserInfo *info)
{
  g_free (info->username);
  g_free (info->display_name);
  g_free (info);
}

/* The USER objects of @array that are well-formed, as FlUserInfo. */
static GPtrArray *
users_from_json (JsonArray *array)
{
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_user_info_free);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *obj;
      const char *username;
      const char *display_name;
      FlUserInfo *info;
      FlRole role;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      obj = json_node_get_object (node);
      username = _fl_json_string_member (obj, "username", NULL);
      display_name = _fl_json_string_member (obj, "display_name", NULL);
      if (!fl_text_is_valid (username, 1, FL_SHORT_TEXT_MAX) ||
          !fl_role_from_string (_fl_json_string_member (obj, "role", NULL), &role))
        continue;

      info = g_new0 (FlUserInfo, 1);
      info->username = g_strdup (username);
      info->display_name = g_strdup (fl_text_is_valid (display_name, 1, FL_SHORT_TEXT_MAX) ?
                                     display_name : username);
      info->role = role;
      g_ptr_array_add (users, info);
    }

  return users;
}

GPtrArray *
fl_sync_engine_dup_cached_users (FlSyncEngine *self)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);

  text = fl_store_dup_state (self->store, USERS_STATE_KEY);
  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY ((root = json_parser_get_root (parser))))
    return users_from_json (NULL);

  return users_from_json (json_node_get_array (root));
}

static void
users_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlSyncEngine *self = g_task_get_source_object (task);
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *array;
  JsonNode *users;
  g_autofree char *text = NULL;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error) ||
      !(root = _fl_sync_engine_parse_json_object (body, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  users = json_object_get_member (json_node_get_object (root), "users");
  if (users == NULL || !JSON_NODE_HOLDS_ARRAY (users))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                               _("The server sent an incomplete answer"));
      return;
    }

  array = json_node_get_array (users);
  text = json_to_string (users, FALSE);
  if (!fl_store_set_state (self->store, USERS_STATE_KEY, text, &error))
    g_warning ("Could not keep the list of users: %s", error->message);

  g_task_return_pointer (task, users_from_json (array), (GDestroyNotify) g_ptr_array_unref);
}

static void
users_ready_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  GCancellable *cancellable;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->token != NULL)
    {
      g_free (self->token);
      self->token = g_strdup (data->token);
    }

  msg = _fl_sync_engine_new_message ("GET", data->server_url, "/api/v1/users",
                                     data->token ? data->token : data->known_token, NULL);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  _fl_sync_engine_send_short (self, msg, cancellable, users_done_cb, g_steal_pointer (&task));
}

void
fl_sync_engine_list_users_async (FlSyncEngine        *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) lookup = NULL;
  LoginData *data;

  g_return_if_fail (FL_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fl_sync_engine_list_users_async);

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

  lookup = g_task_new (self, cancellable, users_ready_cb, g_steal_pointer (&task));
  g_task_set_task_data (lookup, data, NULL);
  g_task_run_in_thread (lookup, _fl_sync_engine_token_lookup_thread);
}

GPtrArray *
fl_sync_engine_list_users_finish (FlSyncEngine  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
