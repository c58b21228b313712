/* fl-ticket-list-model.c — a lazy GListModel of the tickets in one view
 *
 * Only the number of items is known up front; rows are read from SQLite a page
 * at a time when a widget asks for them, and a few pages are kept. When the
 * store reports changes, the model works out where each ticket was and where it
 * is now and emits exactly those items-changed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ticket-list-model"

#include "config.h"

#include "fl-ticket-list-model.h"

#define MAX_CACHED_PAGES 16
/* Beyond this many changes in one transaction a reset is cheaper than precision. */
#define MAX_PRECISE_CHANGES 200

struct _FlTicketListModel
{
  GObject     parent_instance;

  /* owned */
  FlStore    *store;
  char       *query;
  GHashTable *pages;            /* page index → GPtrArray of FlTicket */
  GQueue      page_lru;         /* page indexes, most recent first */

  FlView      view;
  guint       n_items;
  guint       n_page_loads;
  gulong      changed_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FlTicketListModel, fl_ticket_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_VIEW,
  PROP_QUERY,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
drop_pages (FlTicketListModel *self)
{
  g_hash_table_remove_all (self->pages);
  g_queue_clear (&self->page_lru);
}

static guint
count_items (FlTicketListModel *self)
{
  g_autoptr(GError) error = NULL;
  guint n = fl_store_count_tickets (self->store, self->view, self->query, &error);

  if (error != NULL)
    g_warning ("Could not count tickets: %s", error->message);

  return n;
}

static void
reset (FlTicketListModel *self)
{
  guint old_n = self->n_items;

  drop_pages (self);
  self->n_items = count_items (self);

  if (old_n != 0 || self->n_items != 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
}

static GPtrArray *
load_page (FlTicketListModel *self,
           guint              page)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (rows != NULL)
    {
      g_queue_remove (&self->page_lru, GUINT_TO_POINTER (page));
      g_queue_push_head (&self->page_lru, GUINT_TO_POINTER (page));
      return rows;
    }

  rows = fl_store_query_tickets (self->store, self->view, self->query,
                                 page * FL_TICKET_LIST_PAGE_SIZE, FL_TICKET_LIST_PAGE_SIZE,
                                 &error);
  if (rows == NULL)
    {
      g_warning ("Could not read tickets: %s", error->message);
      return NULL;
    }

  self->n_page_loads++;

  while (g_queue_get_length (&self->page_lru) >= MAX_CACHED_PAGES)
    g_hash_table_remove (self->pages, g_queue_pop_tail (&self->page_lru));

  g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), rows);
  g_queue_push_head (&self->page_lru, GUINT_TO_POINTER (page));

  return rows;
}

/* Where @ticket sits (or would sit) among the tickets of the view while a batch is
 * applied: rows outside the batch come from SQLite; batch rows count with their new
 * state when already handled (index < @current) and their old state otherwise. */
static guint
position_in_batch (FlTicketListModel *self,
                   GPtrArray         *changes,
                   guint              current,
                   FlTicket          *ticket,
                   GHashTable        *batch_ids)
{
  guint pos = fl_store_count_before (self->store, self->view, ticket, batch_ids, NULL);

  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      FlTicket *other = i < current ? c->new_ticket : c->old_ticket;

      if (i == current || other == NULL)
        continue;
      /* the same ticket twice in one batch: only its latest state counts */
      if (g_strcmp0 (other->id, ticket->id) == 0)
        continue;
      if (fl_store_ticket_in_view (self->store, self->view, other) &&
          fl_store_compare_tickets (other, ticket) < 0)
        pos++;
    }

  return pos;
}

static void
on_store_changed_cb (FlTicketListModel *self,
                     GPtrArray         *changes,
                     FlStore           *store)
{
  g_autoptr(GHashTable) batch_ids = NULL;
  guint n_items;

  g_assert (FL_IS_TICKET_LIST_MODEL (self));

  /* A search result's order depends on FTS; it is cheap and clearer to refresh it. */
  if (self->query != NULL || changes->len > MAX_PRECISE_CHANGES)
    {
      reset (self);
      return;
    }

  batch_ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;
      g_hash_table_add (batch_ids, t->id);
    }

  n_items = self->n_items;

  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      gboolean was_in = c->old_ticket && fl_store_ticket_in_view (self->store, self->view, c->old_ticket);
      gboolean is_in = c->new_ticket && fl_store_ticket_in_view (self->store, self->view, c->new_ticket);
      guint old_pos = 0;
      guint new_pos = 0;

      if (!was_in && !is_in)
        continue;

      if (was_in)
        old_pos = position_in_batch (self, changes, i, c->old_ticket, batch_ids);
      if (is_in)
        {
          /* with the old row gone, the new one lands among the others */
          new_pos = position_in_batch (self, changes, i, c->new_ticket, batch_ids);
        }

      drop_pages (self);

      if (was_in && is_in && old_pos == new_pos)
        {
          g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 1);
        }
      else
        {
          if (was_in)
            {
              n_items--;
              self->n_items = n_items;
              g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 0);
            }
          if (is_in)
            {
              n_items++;
              self->n_items = n_items;
              g_list_model_items_changed (G_LIST_MODEL (self), new_pos, 0, 1);
            }
        }
    }

  /* The count from SQLite is the truth; a mismatch would mean a lost change. */
  n_items = count_items (self);
  if (n_items != self->n_items)
    {
      g_debug ("List model out of step (%u vs %u), resetting", self->n_items, n_items);
      reset (self);
      return;
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
}

static GType
fl_ticket_list_model_get_item_type (GListModel *model)
{
  return FL_TYPE_TICKET;
}

static guint
fl_ticket_list_model_get_n_items (GListModel *model)
{
  return FL_TICKET_LIST_MODEL (model)->n_items;
}

static gpointer
fl_ticket_list_model_get_item (GListModel *model,
                               guint       position)
{
  FlTicketListModel *self = FL_TICKET_LIST_MODEL (model);
  guint page = position / FL_TICKET_LIST_PAGE_SIZE;
  guint index = position % FL_TICKET_LIST_PAGE_SIZE;
  GPtrArray *rows;

  if (position >= self->n_items)
    return NULL;

  rows = load_page (self, page);
  if (rows == NULL || index >= rows->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (rows, index));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = fl_ticket_list_model_get_item_type;
  iface->get_n_items = fl_ticket_list_model_get_n_items;
  iface->get_item = fl_ticket_list_model_get_item;
}

static void
fl_ticket_list_model_constructed (GObject *object)
{
  FlTicketListModel *self = (FlTicketListModel *)object;

  G_OBJECT_CLASS (fl_ticket_list_model_parent_class)->constructed (object);

  g_assert (FL_IS_STORE (self->store));

  self->changed_id = g_signal_connect_object (self->store, "changed",
                                              G_CALLBACK (on_store_changed_cb), self,
                                              G_CONNECT_SWAPPED);
  self->n_items = count_items (self);
}

static void
fl_ticket_list_model_dispose (GObject *object)
{
  FlTicketListModel *self = (FlTicketListModel *)object;

  if (self->store != NULL)
    g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_object (&self->store);
  drop_pages (self);

  G_OBJECT_CLASS (fl_ticket_list_model_parent_class)->dispose (object);
}

static void
fl_ticket_list_model_finalize (GObject *object)
{
  FlTicketListModel *self = (FlTicketListModel *)object;

  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_free (self->query);

  G_OBJECT_CLASS (fl_ticket_list_model_parent_class)->finalize (object);
}

static void
fl_ticket_list_model_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FlTicketListModel *self = FL_TICKET_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_VIEW:
      g_value_set_int (value, self->view);
      break;

    case PROP_QUERY:
      g_value_set_string (value, self->query);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_list_model_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FlTicketListModel *self = FL_TICKET_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_VIEW:
      if (self->store == NULL)
        self->view = g_value_get_int (value);
      else
        fl_ticket_list_model_set_view (self, g_value_get_int (value));
      break;

    case PROP_QUERY:
      fl_ticket_list_model_set_query (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_list_model_class_init (FlTicketListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = fl_ticket_list_model_constructed;
  object_class->dispose = fl_ticket_list_model_dispose;
  object_class->finalize = fl_ticket_list_model_finalize;
  object_class->get_property = fl_ticket_list_model_get_property;
  object_class->set_property = fl_ticket_list_model_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         FL_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_VIEW] =
    g_param_spec_int ("view", NULL, NULL,
                      0, FL_N_VIEWS - 1, FL_VIEW_INCOMING,
                      (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS));

  properties [PROP_QUERY] =
    g_param_spec_string ("query", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fl_ticket_list_model_init (FlTicketListModel *self)
{
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&self->page_lru);
}

FlTicketListModel *
fl_ticket_list_model_new (FlStore *store,
                          FlView   view)
{
  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  return g_object_new (FL_TYPE_TICKET_LIST_MODEL,
                       "store", store,
                       "view", view,
                       NULL);
}

FlStore *
fl_ticket_list_model_get_store (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), NULL);

  return self->store;
}

FlView
fl_ticket_list_model_get_view (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), FL_VIEW_ALL);

  return self->view;
}

void
fl_ticket_list_model_set_view (FlTicketListModel *self,
                               FlView             view)
{
  g_return_if_fail (FL_IS_TICKET_LIST_MODEL (self));
  g_return_if_fail ((guint) view < FL_N_VIEWS);

  if (self->view == view)
    return;

  self->view = view;
  reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_VIEW]);
}

const char *
fl_ticket_list_model_get_query (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), NULL);

  return self->query;
}

void
fl_ticket_list_model_set_query (FlTicketListModel *self,
                                const char        *query)
{
  g_autofree char *match = NULL;

  g_return_if_fail (FL_IS_TICKET_LIST_MODEL (self));

  /* A query without anything searchable is no query. */
  match = fl_store_build_match (query);
  if (match == NULL)
    query = NULL;

  if (g_strcmp0 (self->query, query) == 0)
    return;

  g_free (self->query);
  self->query = g_strdup (query);

  if (self->store != NULL)
    reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_QUERY]);
}

void
fl_ticket_list_model_reload (FlTicketListModel *self)
{
  g_return_if_fail (FL_IS_TICKET_LIST_MODEL (self));

  reset (self);
}

guint
fl_ticket_list_model_find (FlTicketListModel *self,
                           const char        *id)
{
  g_autoptr(FlTicket) ticket = NULL;
  guint pos;

  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), G_MAXUINT);
  g_return_val_if_fail (id != NULL, G_MAXUINT);

  ticket = fl_store_get_ticket (self->store, id, NULL);
  if (ticket == NULL)
    return G_MAXUINT;

  if (self->query == NULL)
    {
      if (!fl_store_ticket_in_view (self->store, self->view, ticket))
        return G_MAXUINT;
      pos = fl_store_count_before (self->store, self->view, ticket, NULL, NULL);
      return pos < self->n_items ? pos : G_MAXUINT;
    }

  /* In a search the order of matches is the view's; walk the loaded pages. */
  for (pos = 0; pos < self->n_items; pos++)
    {
      g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (self), pos);
      if (t != NULL && g_strcmp0 (t->id, ticket->id) == 0)
        return pos;
    }

  return G_MAXUINT;
}

guint
fl_ticket_list_model_get_n_page_loads (FlTicketListModel *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST_MODEL (self), 0);

  return self->n_page_loads;
}
