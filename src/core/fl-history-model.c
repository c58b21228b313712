/* fl-history-model.c — the server's ticket history as a lazy list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-history-model"

#include "config.h"

#include "fl-history-model.h"

struct _FlHistoryModel
{
  GObject          parent_instance;

  /* owned */
  FlSyncEngine    *engine;
  FlHistoryFilter *filter;
  GPtrArray       *items;        /* FlTicket */
  char            *next;         /* cursor of the next page */
  char            *error;
  GCancellable    *cancellable;

  gint64           total;
  guint            stamp;        /* grows with each filter: older answers are dropped */
  guint            loading : 1;
  guint            has_more : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FlHistoryModel, fl_history_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_TOTAL,
  PROP_HAS_MORE,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

typedef struct
{
  FlHistoryModel *self;
  guint           stamp;
} Request;

static void
set_loading (FlHistoryModel *self,
             gboolean        loading)
{
  if (self->loading == !!loading)
    return;
  self->loading = !!loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
page_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Request *req = user_data;
  g_autoptr(FlHistoryModel) self = req->self;
  g_autoptr(JsonNode) page = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  gint64 total = 0;
  guint stamp = req->stamp;
  guint position;

  g_free (req);
  page = fl_sync_engine_get_json_finish (FL_SYNC_ENGINE (source), result, &error);
  if (stamp != self->stamp)
    return;

  if (page != NULL)
    tickets = fl_history_parse_page (page, &total, &next, &error);
  if (tickets == NULL)
    {
      set_loading (self, FALSE);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_free (self->error);
      self->error = g_strdup (error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      return;
    }

  position = self->items->len;
  for (guint i = 0; i < tickets->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (tickets, i)));
  g_free (self->next);
  self->next = g_steal_pointer (&next);
  self->has_more = self->next != NULL;

  if (self->total != total)
    {
      self->total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
  /* Last: a handler of either may ask for the next page, which needs the new cursor. */
  self->loading = FALSE;
  if (tickets->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, 0, tickets->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
request_page (FlHistoryModel *self)
{
  g_autofree char *path = NULL;
  Request *req;

  if (self->filter == NULL)
    return;

  path = fl_history_query_path (self->filter, self->next, FL_HISTORY_MODEL_PAGE);
  req = g_new0 (Request, 1);
  req->self = g_object_ref (self);
  req->stamp = self->stamp;
  set_loading (self, TRUE);
  fl_sync_engine_get_json_async (self->engine, path, self->cancellable, page_done_cb, req);
}

static GType
get_item_type (GListModel *model)
{
  return FL_TYPE_TICKET;
}

static guint
get_n_items (GListModel *model)
{
  return FL_HISTORY_MODEL (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  FlHistoryModel *self = FL_HISTORY_MODEL (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
fl_history_model_dispose (GObject *object)
{
  FlHistoryModel *self = FL_HISTORY_MODEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (fl_history_model_parent_class)->dispose (object);
}

static void
fl_history_model_finalize (GObject *object)
{
  FlHistoryModel *self = FL_HISTORY_MODEL (object);

  g_clear_pointer (&self->filter, fl_history_filter_free);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_free (self->next);
  g_free (self->error);

  G_OBJECT_CLASS (fl_history_model_parent_class)->finalize (object);
}

static void
fl_history_model_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FlHistoryModel *self = FL_HISTORY_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->has_more);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_history_model_class_init (FlHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fl_history_model_dispose;
  object_class->finalize = fl_history_model_finalize;
  object_class->get_property = fl_history_model_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOTAL] =
    g_param_spec_int64 ("total", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_HAS_MORE] =
    g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fl_history_model_init (FlHistoryModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->total = -1;
}

FlHistoryModel *
fl_history_model_new (FlSyncEngine *engine)
{
  FlHistoryModel *self;

  g_return_val_if_fail (FL_IS_SYNC_ENGINE (engine), NULL);

  self = g_object_new (FL_TYPE_HISTORY_MODEL, NULL);
  self->engine = g_object_ref (engine);
  return self;
}

void
fl_history_model_set_filter (FlHistoryModel        *self,
                             const FlHistoryFilter *filter)
{
  guint removed;

  g_return_if_fail (FL_IS_HISTORY_MODEL (self));
  g_return_if_fail (filter != NULL);

  g_clear_pointer (&self->filter, fl_history_filter_free);
  self->filter = fl_history_filter_copy (filter);
  self->stamp++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  removed = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  g_clear_pointer (&self->next, g_free);
  g_clear_pointer (&self->error, g_free);
  self->has_more = FALSE;
  self->total = -1;
  self->loading = FALSE;
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);

  request_page (self);
}

const FlHistoryFilter *
fl_history_model_get_filter (FlHistoryModel *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_MODEL (self), NULL);

  return self->filter;
}

void
fl_history_model_load_more (FlHistoryModel *self)
{
  g_return_if_fail (FL_IS_HISTORY_MODEL (self));

  if (self->loading || !self->has_more)
    return;
  request_page (self);
}

gboolean
fl_history_model_get_loading (FlHistoryModel *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_MODEL (self), FALSE);
  return self->loading;
}

gint64
fl_history_model_get_total (FlHistoryModel *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_MODEL (self), -1);
  return self->total;
}

gboolean
fl_history_model_get_has_more (FlHistoryModel *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_MODEL (self), FALSE);
  return self->has_more;
}

const char *
fl_history_model_get_error (FlHistoryModel *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_MODEL (self), NULL);
  return self->error;
}
