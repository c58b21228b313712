/* fl-sync-engine-publish.c — publishing a checklist or a predefined answer:
 * PUT /api/v1/checklists/{id}, PUT /api/v1/answers/{id}
 *
 * Role lead; the server numbers the version, and the definition reaches every
 * client (this one too) with its next sync.
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

static void
publish_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) transport_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gint64 version;

  body = _fl_sync_engine_send_bounded_finish (result, &msg, &transport_error);

  if (!_fl_sync_engine_check_response (msg, body, transport_error, &error) ||
      !(root = _fl_sync_engine_parse_json_object (body, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  version = _fl_json_int_member (json_node_get_object (root), "version", 0);
  g_task_return_int (task, version);
}

static void
publish_ready_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FlSyncEngine *self = FL_SYNC_ENGINE (source);
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  JsonNode *definition = g_object_get_data (G_OBJECT (task), "definition");
  const char *collection = g_object_get_data (G_OBJECT (task), "collection");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;
  GCancellable *cancellable;
  const char *id;
  char *text;

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

  id = _fl_json_string_member (json_node_get_object (definition), "id", "");
  escaped = g_uri_escape_string (id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/%s/%s", collection, escaped);
  text = json_to_string (definition, FALSE);
  body = g_bytes_new_take (text, strlen (text));

  msg = _fl_sync_engine_new_message ("PUT", data->server_url, path,
                                     data->token ? data->token : data->known_token, body);
  if (msg == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("“%s” is not a server address"), data->server_url);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  _fl_sync_engine_send_short (self, msg, cancellable, publish_done_cb, g_steal_pointer (&task));
}

static void
publish_async (FlSyncEngine        *self,
               const char          *collection,
               JsonNode            *definition,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) lookup = NULL;
  LoginData *data;
  const char *id;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!JSON_NODE_HOLDS_OBJECT (definition) ||
      !fl_text_is_valid ((id = _fl_json_string_member (json_node_get_object (definition),
                                                       "id", NULL)),
                         1, FL_SHORT_TEXT_MAX))
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_INVALID,
                               g_str_equal (collection, "answers")
                               ? _("An answer must be a JSON object with an “id”")
                               : _("A checklist must be a JSON object with an “id”"));
      return;
    }

  data = g_new0 (LoginData, 1);
  data->server_url = fl_store_dup_state (self->store, "server_url");
  data->username = g_strdup (fl_store_get_username (self->store));
  data->known_token = g_strdup (self->token);
  g_task_set_task_data (task, data, _fl_sync_engine_login_data_free);
  g_object_set_data_full (G_OBJECT (task), "definition", json_node_ref (definition),
                          (GDestroyNotify) json_node_unref);
  g_object_set_data (G_OBJECT (task), "collection", (gpointer) collection);

  if (data->server_url == NULL)
    {
      g_task_return_new_error (task, FL_SYNC_ERROR, FL_SYNC_ERROR_NOT_CONFIGURED,
                               _("No server yet: log in first"));
      return;
    }

  lookup = g_task_new (self, cancellable, publish_ready_cb, g_steal_pointer (&task));
  g_task_set_task_data (lookup, data, NULL);
  g_task_run_in_thread (lookup, _fl_sync_engine_token_lookup_thread);
}

void
fl_sync_engine_publish_checklist_async (FlSyncEngine        *self,
                                        JsonNode            *definition,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));
  g_return_if_fail (definition != NULL);

  publish_async (self, "checklists", definition, cancellable, callback, user_data,
                 fl_sync_engine_publish_checklist_async);
}

void
fl_sync_engine_publish_answer_async (FlSyncEngine        *self,
                                     JsonNode            *definition,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (FL_IS_SYNC_ENGINE (self));
  g_return_if_fail (definition != NULL);

  publish_async (self, "answers", definition, cancellable, callback, user_data,
                 fl_sync_engine_publish_answer_async);
}

gint64
fl_sync_engine_publish_answer_finish (FlSyncEngine  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return g_task_propagate_int (G_TASK (result), error);
}

gint64
fl_sync_engine_publish_checklist_finish (FlSyncEngine  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (FL_IS_SYNC_ENGINE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return g_task_propagate_int (G_TASK (result), error);
}
