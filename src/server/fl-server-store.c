/* fl-server-store.c — the server's storage, as an interface
 *
 * The types every backend shares, the choice of backend and the dispatch to it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-checklist.h"
#include "fl-server-store.h"
#include "fl-server-store-pg.h"
#include "fl-server-store-sqlite.h"

G_DEFINE_QUARK (fl-server-store-error-quark, fl_server_store_error)

G_DEFINE_INTERFACE (FlServerStore, fl_server_store, G_TYPE_OBJECT)

static void
fl_server_store_default_init (FlServerStoreInterface *iface)
{
  /**
   * FlServerStore::changed:
   * @latest_seq: the latest seq now
   *
   * Another process sharing the database stored changes (only backends that can be
   * shared emit it; on the thread that opened the store).
   */
  g_signal_new ("changed", FL_TYPE_SERVER_STORE, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_INT64);
  /**
   * FlServerStore::presence-changed:
   *
   * Another process changed the shared presence.
   */
  g_signal_new ("presence-changed", FL_TYPE_SERVER_STORE, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 0);
}

void
fl_server_store_emit_changed (FlServerStore *self,
                              gint64         latest_seq)
{
  g_return_if_fail (FL_IS_SERVER_STORE (self));

  g_signal_emit_by_name (self, "changed", latest_seq);
}

/* -------------------------------------------------------------------------- */
/* Shared types */

FlServerUser *
fl_server_user_copy (const FlServerUser *user)
{
  FlServerUser *copy;

  g_return_val_if_fail (user != NULL, NULL);

  copy = g_new0 (FlServerUser, 1);
  copy->id = user->id;
  copy->username = g_strdup (user->username);
  copy->display_name = g_strdup (user->display_name);
  copy->role = user->role;
  copy->disabled = user->disabled;
  return copy;
}

void
fl_server_user_free (FlServerUser *user)
{
  if (user == NULL)
    return;
  g_free (user->username);
  g_free (user->display_name);
  g_free (user);
}

JsonNode *
fl_server_user_to_json (const FlServerUser *user)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, user->username);
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, user->display_name);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, fl_role_to_string (user->role));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
fl_apply_result_free (FlApplyResult *result)
{
  if (result == NULL)
    return;
  g_clear_object (&result->current);
  g_free (result->error_message);
  g_free (result);
}

/* The checklist format and its rules (unknown steps, cycles, unreachable steps) are
 * core's: the server stores only what fl_checklist_new_from_json() accepts. */
gboolean
fl_server_validate_checklist (JsonNode  *checklist,
                              GError   **error)
{
  g_autoptr(FlChecklist) parsed = NULL;

  g_return_val_if_fail (checklist != NULL, FALSE);

  parsed = fl_checklist_new_from_json (checklist, error);
  return parsed != NULL;
}

/* -------------------------------------------------------------------------- */
/* The backend */

FlServerStore *
fl_server_store_open (const char  *dir,
                      GError     **error)
{
  g_return_val_if_fail (dir != NULL, NULL);

  return fl_server_store_sqlite_new (dir, error);
}

FlServerStore *
fl_server_store_open_database (const char  *database,
                               const char  *dir,
                               GError     **error)
{
  if (database == NULL)
    return fl_server_store_open (dir, error);
  if (fl_server_store_pg_is_uri (database))
    return fl_server_store_pg_new (database, error);
  g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_INVALID,
               _("Unknown database “%s”: give a postgresql:// URI"), database);
  return NULL;
}

/* -------------------------------------------------------------------------- */
/* Dispatch */

void
fl_server_store_set_policy (FlServerStore  *self,
                            const FlPolicy *policy)
{
  g_return_if_fail (FL_IS_SERVER_STORE (self));

  FL_SERVER_STORE_GET_IFACE (self)->set_policy (self, policy);
}

void
fl_server_store_set_token_idle_days (FlServerStore *self,
                                     guint          days)
{
  g_return_if_fail (FL_IS_SERVER_STORE (self));

  FL_SERVER_STORE_GET_IFACE (self)->set_token_idle_days (self, days);
}

gboolean
fl_server_store_backup (FlServerStore *self,
                        const char    *file,
                        GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->backup (self, file, error);
}

gboolean
fl_server_store_add_user (FlServerStore *self,
                          const char    *username,
                          const char    *display_name,
                          FlRole         role,
                          const char    *password_hash,
                          GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->add_user (self, username, display_name, role,
                                                     password_hash, error);
}

FlServerUser *
fl_server_store_get_user (FlServerStore *self,
                          const char    *username)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->get_user (self, username);
}

char *
fl_server_store_dup_password_hash (FlServerStore *self,
                                   const char    *username,
                                   gint64        *user_id)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->dup_password_hash (self, username, user_id);
}

GPtrArray *
fl_server_store_list_users (FlServerStore *self)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->list_users (self);
}

gboolean
fl_server_store_set_user_disabled (FlServerStore *self,
                                   const char    *username,
                                   gboolean       disabled,
                                   GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->set_user_disabled (self, username, disabled, error);
}

gboolean
fl_server_store_remove_user (FlServerStore *self,
                             const char    *username,
                             GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->remove_user (self, username, error);
}

gboolean
fl_server_store_set_password (FlServerStore *self,
                              gint64         user_id,
                              const char    *password_hash,
                              const char    *keep_token,
                              GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->set_password (self, user_id, password_hash, keep_token,
                                                         error);
}

char *
fl_server_store_create_token (FlServerStore *self,
                              gint64         user_id,
                              GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->create_token (self, user_id, error);
}

FlServerUser *
fl_server_store_lookup_token (FlServerStore *self,
                              const char    *token)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->lookup_token (self, token);
}

void
fl_server_store_revoke_token (FlServerStore *self,
                              const char    *token)
{
  g_return_if_fail (FL_IS_SERVER_STORE (self));

  FL_SERVER_STORE_GET_IFACE (self)->revoke_token (self, token);
}

gboolean
fl_server_store_revoke_user_tokens (FlServerStore *self,
                                    gint64         user_id,
                                    GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->revoke_user_tokens (self, user_id, error);
}

gint64
fl_server_store_get_latest_seq (FlServerStore *self)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), 0);

  return FL_SERVER_STORE_GET_IFACE (self)->get_latest_seq (self);
}

gboolean
fl_server_store_has_ticket (FlServerStore *self,
                            const char    *ticket_id)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->has_ticket (self, ticket_id);
}

FlTicket *
fl_server_store_get_ticket (FlServerStore *self,
                            const char    *ticket_id)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->get_ticket (self, ticket_id);
}

GPtrArray *
fl_server_store_get_events (FlServerStore *self,
                            const char    *ticket_id)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->get_events (self, ticket_id);
}

gboolean
fl_server_store_get_changes (FlServerStore *self,
                             gint64         cursor,
                             gint64         limit,
                             GPtrArray    **tickets,
                             GPtrArray    **events,
                             GPtrArray    **checklists,
                             gint64        *out_cursor,
                             gboolean      *more,
                             GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->get_changes (self, cursor, limit, tickets, events,
                                                        checklists, out_cursor, more, error);
}

GPtrArray *
fl_server_store_query_tickets (FlServerStore       *self,
                               const FlTicketQuery *query,
                               gint64              *total,
                               GError             **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->query_tickets (self, query, total, error);
}

JsonNode *
fl_server_store_report (FlServerStore *self,
                        gint64         from,
                        gint64         to,
                        gint64         now,
                        GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->report (self, from, to, now, error);
}

static const char * const kpi_names[] = {
  "", "resolved", "open", "escalated", "first_contact", "level1", "reopened", "breached",
  "lt_4h", "4h_24h", "1d_3d", "3d_7d", "gt_7d",
};
G_STATIC_ASSERT (G_N_ELEMENTS (kpi_names) == FL_REPORT_KPI_AGE_GT_7D + 1);

const char *
fl_report_kpi_to_string (FlReportKpi kpi)
{
  g_return_val_if_fail (kpi <= FL_REPORT_KPI_AGE_GT_7D, "");

  return kpi_names[kpi];
}

gboolean
fl_report_kpi_from_string (const char  *text,
                           FlReportKpi *kpi)
{
  for (guint i = 1; text != NULL && i < G_N_ELEMENTS (kpi_names); i++)
    if (g_str_equal (text, kpi_names[i]))
      {
        *kpi = i;
        return TRUE;
      }
  return FALSE;
}

JsonNode *
fl_server_store_report_checklists (FlServerStore *self,
                                   gint64         from,
                                   gint64         to,
                                   GError       **error)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->report_checklists == NULL)
    {
      g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                           "this storage has no checklist report");
      return NULL;
    }
  return iface->report_checklists (self, from, to, error);
}

GPtrArray *
fl_server_store_apply_batch (FlServerStore      *self,
                             GPtrArray          *ops,
                             const char         *client_id,
                             const FlServerUser *user,
                             GError            **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->apply_batch (self, ops, client_id, user, error);
}

void
fl_server_store_apply_batch_async (FlServerStore      *self,
                                   GPtrArray          *ops,
                                   const char         *client_id,
                                   const FlServerUser *user,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (FL_IS_SERVER_STORE (self));

  FL_SERVER_STORE_GET_IFACE (self)->apply_batch_async (self, ops, client_id, user, cancellable,
                                                       callback, user_data);
}

GPtrArray *
fl_server_store_apply_batch_finish (FlServerStore *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->apply_batch_finish (self, result, error);
}

GPtrArray *
fl_server_store_list_checklists (FlServerStore *self,
                                 GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->list_checklists (self, error);
}

JsonNode *
fl_server_store_put_checklist (FlServerStore *self,
                               const char    *id,
                               JsonNode      *checklist,
                               GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->put_checklist (self, id, checklist, error);
}

void
fl_server_store_put_checklist_async (FlServerStore      *self,
                                     const char         *id,
                                     JsonNode           *checklist,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_return_if_fail (FL_IS_SERVER_STORE (self));

  FL_SERVER_STORE_GET_IFACE (self)->put_checklist_async (self, id, checklist, cancellable, callback,
                                                         user_data);
}

JsonNode *
fl_server_store_put_checklist_finish (FlServerStore *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  return FL_SERVER_STORE_GET_IFACE (self)->put_checklist_finish (self, result, error);
}

gboolean
fl_server_store_seed_checklists (FlServerStore *self,
                                 const char    *dir,
                                 GError       **error)
{
  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  return FL_SERVER_STORE_GET_IFACE (self)->seed_checklists (self, dir, error);
}

/* -------------------------------------------------------------------------- */
/* Shared state */

void
fl_server_presence_free (FlServerPresence *presence)
{
  if (presence == NULL)
    return;
  g_free (presence->client_id);
  g_free (presence->username);
  g_free (presence->viewing);
  g_free (presence);
}

gint64
fl_server_store_login_wait (FlServerStore *self,
                            const char    *username,
                            guint          max_failures,
                            gint64         window_ms)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), 0);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  return iface->login_wait ? iface->login_wait (self, username, max_failures, window_ms) : 0;
}

void
fl_server_store_login_failed (FlServerStore *self,
                              const char    *username)
{
  FlServerStoreInterface *iface;

  g_return_if_fail (FL_IS_SERVER_STORE (self));

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->login_failed)
    iface->login_failed (self, username);
}

void
fl_server_store_put_presence (FlServerStore *self,
                              const char    *client_id,
                              const char    *username,
                              const char    *viewing,
                              gboolean       editing,
                              gboolean       changed)
{
  FlServerStoreInterface *iface;

  g_return_if_fail (FL_IS_SERVER_STORE (self));

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->put_presence)
    iface->put_presence (self, client_id, username, viewing, editing, changed);
}

GPtrArray *
fl_server_store_list_presence (FlServerStore *self,
                               gint64         fresh_ms)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  return iface->list_presence ? iface->list_presence (self, fresh_ms) : NULL;
}

GPtrArray *
fl_server_store_find_similar (FlServerStore         *self,
                              const FlSimilarQuery  *query,
                              GError               **error)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->find_similar == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) fl_similar_result_free);
  return iface->find_similar (self, query, error);
}

GPtrArray *
fl_server_store_list_answers (FlServerStore  *self,
                              GError        **error)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->list_answers == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  return iface->list_answers (self, error);
}

GPtrArray *
fl_server_store_get_answer_changes (FlServerStore  *self,
                                    gint64          cursor,
                                    gint64          upper,
                                    gint64         *out_cursor,
                                    GError        **error)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);
  g_return_val_if_fail (out_cursor != NULL, NULL);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->get_answer_changes == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  return iface->get_answer_changes (self, cursor, upper, out_cursor, error);
}

JsonNode *
fl_server_store_put_answer (FlServerStore  *self,
                            const char     *id,
                            JsonNode       *answer,
                            GError        **error)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), NULL);
  g_return_val_if_fail (id != NULL && answer != NULL, NULL);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->put_answer == NULL)
    {
      g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                           "this storage keeps no answers");
      return NULL;
    }
  return iface->put_answer (self, id, answer, error);
}

gboolean
fl_server_store_seed_answers (FlServerStore  *self,
                              GError        **error)
{
  FlServerStoreInterface *iface;

  g_return_val_if_fail (FL_IS_SERVER_STORE (self), FALSE);

  iface = FL_SERVER_STORE_GET_IFACE (self);
  if (iface->seed_answers == NULL)
    return TRUE;
  return iface->seed_answers (self, error);
}
