/* fl-ticket-list.c — the list of tickets of one view
 *
 * A GtkListView over the lazy FlTicketListModel: only the rows on screen exist
 * as widgets, and only the pages they show are read from SQLite.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ticket-list"

#include "config.h"

#include "fl-ticket-list.h"
#include "fl-ticket-row.h"

/* The time to due is refreshed this often. */
#define DUE_REFRESH_SECONDS 30

struct _FlTicketList
{
  GtkWidget           parent_instance;

  /* template widgets */
  GtkWidget          *scroller;
  GtkListView        *list_view;
  GtkListItemFactory *factory;

  /* owned */
  GtkSingleSelection *selection;
  FlContext          *context;
  GHashTable         *bound_rows;       /* FlTicketRow set */

  guint               due_timeout_id;
};

G_DEFINE_FINAL_TYPE (FlTicketList, fl_ticket_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SELECTED_TICKET,
  N_PROPS
};

enum {
  TICKET_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static gint64
get_now (FlTicketList *self)
{
  return self->context ? fl_context_get_now (self->context) : fl_time_now ();
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          FlTicketList             *self)
{
  GtkWidget *row = fl_ticket_row_new ();

  if (self->context != NULL)
    fl_ticket_row_set_categories (FL_TICKET_ROW (row), fl_context_get_categories (self->context));
  gtk_list_item_set_child (item, row);
}

static void
update_presence (FlTicketList *self,
                 FlTicketRow  *row)
{
  FlTicket *ticket = fl_ticket_row_get_ticket (row);
  g_autoptr(GPtrArray) presence = NULL;

  if (self->context != NULL && ticket != NULL)
    presence = fl_sync_engine_list_presence (fl_context_get_sync_engine (self->context), ticket->id);
  fl_ticket_row_set_presence (row, presence);
}

static void
on_presence_changed_cb (FlTicketList *self,
                        FlSyncEngine *engine)
{
  GHashTableIter iter;
  gpointer row;

  g_hash_table_iter_init (&iter, self->bound_rows);
  while (g_hash_table_iter_next (&iter, &row, NULL))
    update_presence (self, row);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         FlTicketList             *self)
{
  FlTicketRow *row = FL_TICKET_ROW (gtk_list_item_get_child (item));
  FlTicket *ticket = gtk_list_item_get_item (item);

  fl_ticket_row_set_ticket (row, ticket, get_now (self));
  update_presence (self, row);
  g_hash_table_add (self->bound_rows, row);
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           FlTicketList             *self)
{
  g_hash_table_remove (self->bound_rows, gtk_list_item_get_child (item));
}

static gboolean
refresh_due_cb (gpointer user_data)
{
  FlTicketList *self = user_data;
  GHashTableIter iter;
  gpointer row;
  gint64 now = get_now (self);

  g_hash_table_iter_init (&iter, self->bound_rows);
  while (g_hash_table_iter_next (&iter, &row, NULL))
    fl_ticket_row_update_due (row, now);

  return G_SOURCE_CONTINUE;
}

static void
on_selected_cb (FlTicketList *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SELECTED_TICKET]);
}

static void
on_activate_cb (GtkListView  *list_view,
                guint         position,
                FlTicketList *self)
{
  g_autoptr(FlTicket) ticket = NULL;
  GListModel *model = G_LIST_MODEL (self->selection);

  ticket = g_list_model_get_item (model, position);
  if (ticket != NULL)
    g_signal_emit (self, signals [TICKET_ACTIVATED], 0, ticket);
}

static gboolean
activate_selected_cb (gpointer user_data)
{
  FlTicketList *self = user_data;
  FlTicket *ticket = fl_ticket_list_get_selected (self);

  if (ticket != NULL)
    g_signal_emit (self, signals [TICKET_ACTIVATED], 0, ticket);
  return G_SOURCE_REMOVE;
}

/* A click on a row opens its ticket, as a double click or Enter do: in a
 * narrow window the ticket is not beside the list, and a selection alone would
 * show nothing. The row selects itself on the press; the ticket opens after. */
static void
on_click_pressed_cb (GtkGestureClick *gesture,
                     int              n_press,
                     double           x,
                     double           y,
                     FlTicketList    *self)
{
  GtkWidget *picked;

  if (n_press != 1)
    return;
  picked = gtk_widget_pick (GTK_WIDGET (self->list_view), x, y, GTK_PICK_DEFAULT);
  if (picked == NULL || (!FL_IS_TICKET_ROW (picked) &&
                         gtk_widget_get_ancestor (picked, FL_TYPE_TICKET_ROW) == NULL))
    return;

  g_idle_add_full (G_PRIORITY_DEFAULT, activate_selected_cb, g_object_ref (self), g_object_unref);
}

/* The list itself, without a row under the cursor (just after the window
 * opened, or after Alt+Down), takes the arrows and Enter for the selection:
 * the keyboard never gets stuck before the first row. */
static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   FlTicketList          *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;
  FlTicket *selected = fl_ticket_list_get_selected (self);

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      if (selected == NULL)
        return FALSE;
      g_signal_emit (self, signals [TICKET_ACTIVATED], 0, selected);
      return TRUE;

    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      if (focus != GTK_WIDGET (self->list_view))
        return FALSE;
      fl_ticket_list_select_relative (self, keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down ? 1 : -1);
      return TRUE;

    default:
      return FALSE;
    }
}

static gboolean
fl_ticket_list_grab_focus (GtkWidget *widget)
{
  FlTicketList *self = FL_TICKET_LIST (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

/* Tab and Shift+Tab enter the list at its selected (or last focused) row and
 * leave it with the next press; the arrow keys move between the rows. */
static gboolean
fl_ticket_list_focus (GtkWidget        *widget,
                      GtkDirectionType  direction)
{
  FlTicketList *self = FL_TICKET_LIST (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;
  gboolean inside = focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));

  if (direction == GTK_DIR_TAB_FORWARD || direction == GTK_DIR_TAB_BACKWARD)
    {
      if (inside)
        return FALSE;
      return gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
    }

  return GTK_WIDGET_CLASS (fl_ticket_list_parent_class)->focus (widget, direction);
}

static void
fl_ticket_list_dispose (GObject *object)
{
  FlTicketList *self = (FlTicketList *)object;

  g_clear_handle_id (&self->due_timeout_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_TICKET_LIST);
  g_clear_object (&self->selection);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_ticket_list_parent_class)->dispose (object);
}

static void
fl_ticket_list_finalize (GObject *object)
{
  FlTicketList *self = (FlTicketList *)object;

  g_clear_pointer (&self->bound_rows, g_hash_table_unref);

  G_OBJECT_CLASS (fl_ticket_list_parent_class)->finalize (object);
}

static void
fl_ticket_list_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FlTicketList *self = FL_TICKET_LIST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, fl_ticket_list_get_model (self));
      break;

    case PROP_SELECTED_TICKET:
      g_value_set_object (value, fl_ticket_list_get_selected (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_list_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FlTicketList *self = FL_TICKET_LIST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      fl_ticket_list_set_model (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_list_class_init (FlTicketListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_ticket_list_dispose;
  object_class->finalize = fl_ticket_list_finalize;
  object_class->get_property = fl_ticket_list_get_property;
  object_class->set_property = fl_ticket_list_set_property;

  widget_class->grab_focus = fl_ticket_list_grab_focus;
  widget_class->focus = fl_ticket_list_focus;

  properties [PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL,
                         FL_TYPE_TICKET_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_SELECTED_TICKET] =
    g_param_spec_object ("selected-ticket", NULL, NULL,
                         FL_TYPE_TICKET,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals [TICKET_ACTIVATED] =
    g_signal_new ("ticket-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FL_TYPE_TICKET);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-ticket-list.ui");
  gtk_widget_class_bind_template_child (widget_class, FlTicketList, scroller);
  gtk_widget_class_bind_template_child (widget_class, FlTicketList, list_view);
  gtk_widget_class_bind_template_child (widget_class, FlTicketList, factory);
  gtk_widget_class_bind_template_callback (widget_class, on_activate_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "ticketlist");

  g_type_ensure (FL_TYPE_TICKET_ROW);
}

static void
fl_ticket_list_init (FlTicketList *self)
{
  GtkGesture *click;
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->bound_rows = g_hash_table_new (NULL, NULL);
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect (self->factory, "setup", G_CALLBACK (setup_cb), self);
  g_signal_connect (self->factory, "bind", G_CALLBACK (bind_cb), self);
  g_signal_connect (self->factory, "unbind", G_CALLBACK (unbind_cb), self);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (on_activate_cb), self);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), keys);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  g_signal_connect (click, "pressed", G_CALLBACK (on_click_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), GTK_EVENT_CONTROLLER (click));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selected_cb), self);

  self->due_timeout_id = g_timeout_add_seconds (DUE_REFRESH_SECONDS, refresh_due_cb, self);
}

FlTicketListModel *
fl_ticket_list_get_model (FlTicketList *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST (self), NULL);

  return FL_TICKET_LIST_MODEL (gtk_single_selection_get_model (self->selection));
}

void
fl_ticket_list_set_model (FlTicketList      *self,
                          FlTicketListModel *model)
{
  g_return_if_fail (FL_IS_TICKET_LIST (self));
  g_return_if_fail (model == NULL || FL_IS_TICKET_LIST_MODEL (model));

  if (G_LIST_MODEL (model) == gtk_single_selection_get_model (self->selection))
    return;

  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (model));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MODEL]);
}

void
fl_ticket_list_set_context (FlTicketList *self,
                            FlContext    *context)
{
  g_return_if_fail (FL_IS_TICKET_LIST (self));
  g_return_if_fail (context == NULL || FL_IS_CONTEXT (context));

  if (!g_set_object (&self->context, context) || context == NULL)
    return;

  g_signal_connect_object (fl_context_get_sync_engine (context), "presence-changed",
                           G_CALLBACK (on_presence_changed_cb), self, G_CONNECT_SWAPPED);
}

FlTicket *
fl_ticket_list_get_selected (FlTicketList *self)
{
  g_return_val_if_fail (FL_IS_TICKET_LIST (self), NULL);

  return gtk_single_selection_get_selected_item (self->selection);
}

gboolean
fl_ticket_list_select_id (FlTicketList *self,
                          const char   *id)
{
  FlTicketListModel *model;
  guint pos;

  g_return_val_if_fail (FL_IS_TICKET_LIST (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  model = fl_ticket_list_get_model (self);
  if (model == NULL)
    return FALSE;

  pos = fl_ticket_list_model_find (model, id);
  if (pos == G_MAXUINT)
    return FALSE;

  gtk_single_selection_set_selected (self->selection, pos);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", pos);
  return TRUE;
}

void
fl_ticket_list_select_relative (FlTicketList *self,
                                int           delta)
{
  guint n;
  guint pos;
  gint64 next;

  g_return_if_fail (FL_IS_TICKET_LIST (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  if (n == 0)
    return;

  pos = gtk_single_selection_get_selected (self->selection);
  if (pos == GTK_INVALID_LIST_POSITION)
    next = delta > 0 ? 0 : (gint64) n - 1;
  else
    next = CLAMP ((gint64) pos + delta, 0, (gint64) n - 1);

  gtk_single_selection_set_selected (self->selection, (guint) next);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", (guint) next);
}
