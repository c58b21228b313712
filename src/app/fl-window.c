/* fl-window.c — the agent's main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-window"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-ticket-list.h"
#include "fl-window.h"

/* View counts are refreshed at most this often while the store changes. */
#define COUNTS_DEBOUNCE_MS 150

struct _FlWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar_pane;
  GtkWidget            *list_pane;
  GtkWidget            *detail_pane;
  GtkListBox           *views_list;
  GtkLabel             *view_count_incoming;
  GtkLabel             *view_count_mine;
  GtkLabel             *view_count_waiting;
  GtkLabel             *view_count_escalated;
  GtkLabel             *view_count_resolved;
  GtkLabel             *view_count_all;
  AdwWindowTitle       *list_title;
  GtkToggleButton      *search_button;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkStack             *list_stack;
  FlTicketList         *ticket_list;
  AdwWindowTitle       *detail_title;
  AdwStatusPage        *detail_placeholder;

  /* owned */
  FlContext            *context;
  FlTicketListModel    *model;

  guint                 counts_source_id;
};

G_DEFINE_FINAL_TYPE (FlWindow, fl_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static GtkLabel *
get_count_label (FlWindow *self,
                 FlView    view)
{
  GtkLabel *labels[] = {
    self->view_count_incoming, self->view_count_mine, self->view_count_waiting,
    self->view_count_escalated, self->view_count_resolved, self->view_count_all,
  };

  return labels[view];
}

static void
update_counts (FlWindow *self)
{
  FlStore *store = fl_context_get_store (self->context);

  for (FlView view = 0; view < FL_N_VIEWS; view++)
    {
      g_autofree char *text = NULL;
      guint n = fl_store_count_tickets (store, view, NULL, NULL);

      text = g_strdup_printf ("%u", n);
      gtk_label_set_label (get_count_label (self, view), text);
    }
}

static gboolean
update_counts_cb (gpointer user_data)
{
  FlWindow *self = user_data;

  self->counts_source_id = 0;
  update_counts (self);
  return G_SOURCE_REMOVE;
}

static void
update_list_stack (FlWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const char *page = "list";

  if (n == 0)
    page = fl_ticket_list_model_get_query (self->model) ? "no-results" : "empty";

  gtk_stack_set_visible_child_name (self->list_stack, page);
}

static void
update_detail (FlWindow *self)
{
  FlTicket *ticket = fl_ticket_list_get_selected (self->ticket_list);
  g_autofree char *number = NULL;

  if (ticket == NULL)
    {
      adw_window_title_set_title (self->detail_title, "");
      adw_window_title_set_subtitle (self->detail_title, "");
      return;
    }

  number = fl_ticket_dup_display_number (ticket);
  adw_window_title_set_title (self->detail_title, ticket->title);
  adw_window_title_set_subtitle (self->detail_title, number);
}

static void
on_store_changed_cb (FlWindow  *self,
                     GPtrArray *changes,
                     FlStore   *store)
{
  if (self->counts_source_id == 0)
    self->counts_source_id = g_timeout_add (COUNTS_DEBOUNCE_MS, update_counts_cb, self);
}

static void
on_n_items_cb (FlWindow *self)
{
  update_list_stack (self);
}

static void
on_selected_ticket_cb (FlWindow *self)
{
  update_detail (self);
}

static void
on_ticket_activated_cb (FlWindow     *self,
                        FlTicket     *ticket,
                        FlTicketList *list)
{
  adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

static void
on_view_row_selected_cb (FlWindow      *self,
                         GtkListBoxRow *row,
                         GtkListBox    *list)
{
  FlView view;

  if (row == NULL || !fl_view_from_string (gtk_widget_get_name (GTK_WIDGET (row)), &view))
    return;

  fl_window_set_view (self, view);
}

static void
on_view_row_activated_cb (FlWindow      *self,
                          GtkListBoxRow *row,
                          GtkListBox    *list)
{
  adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

static void
on_search_changed_cb (FlWindow       *self,
                      GtkSearchEntry *entry)
{
  fl_ticket_list_model_set_query (self->model, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_search_stopped_cb (FlWindow       *self,
                      GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
show_views_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar_pane);
}

static void
show_list_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

static void
view_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  FlView view;

  if (fl_view_from_string (g_variant_get_string (param, NULL), &view))
    fl_window_set_view (self, view);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
select_relative_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  fl_ticket_list_select_relative (self->ticket_list, g_variant_get_int32 (param));
}

static void
fl_window_constructed (GObject *object)
{
  FlWindow *self = (FlWindow *)object;
  FlStore *store = fl_context_get_store (self->context);
  GSettings *settings = fl_context_get_settings (self->context);
  FlView view = FL_VIEW_INCOMING;

  G_OBJECT_CLASS (fl_window_parent_class)->constructed (object);

  if (settings != NULL)
    {
      g_autofree char *saved = g_settings_get_string (settings, "selected-view");

      fl_view_from_string (saved, &view);
      g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
    }

  self->model = fl_ticket_list_model_new (store, view);
  g_signal_connect_object (self->model, "notify::n-items",
                           G_CALLBACK (on_n_items_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "changed",
                           G_CALLBACK (on_store_changed_cb), self, G_CONNECT_SWAPPED);

  fl_ticket_list_set_context (self->ticket_list, self->context);
  fl_ticket_list_set_model (self->ticket_list, self->model);

  /* Selects the view's row in the sidebar and sets the title. */
  fl_window_set_view (self, view);

  update_counts (self);
  update_list_stack (self);
}

static void
fl_window_dispose (GObject *object)
{
  FlWindow *self = (FlWindow *)object;

  g_clear_handle_id (&self->counts_source_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_WINDOW);
  g_clear_object (&self->model);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_window_parent_class)->dispose (object);
}

static void
fl_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FlWindow *self = FL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  FlWindow *self = FL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_window_class_init (FlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const char *view_keys[] = { "incoming", "mine", "waiting", "escalated", "resolved", "all" };

  object_class->constructed = fl_window_constructed;
  object_class->dispose = fl_window_dispose;
  object_class->get_property = fl_window_get_property;
  object_class->set_property = fl_window_set_property;

  properties [PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FL_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FL_TYPE_TICKET_LIST);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FlWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, list_pane);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, detail_pane);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, views_list);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, view_count_incoming);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, view_count_mine);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, view_count_waiting);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, view_count_escalated);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, view_count_resolved);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, view_count_all);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, list_title);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, ticket_list);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, detail_title);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, detail_placeholder);

  gtk_widget_class_install_action (widget_class, "win.show-views", NULL, show_views_action);
  gtk_widget_class_install_action (widget_class, "win.show-list", NULL, show_list_action);
  gtk_widget_class_install_action (widget_class, "win.view", "s", view_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.select-relative", "i", select_relative_action);

  for (guint i = 0; i < G_N_ELEMENTS (view_keys); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.view", "s", view_keys[i]);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK,
                                       "win.select-relative", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK,
                                       "win.select-relative", "i", -1);
}

static void
fl_window_init (FlWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->views_list, "row-selected",
                            G_CALLBACK (on_view_row_selected_cb), self);
  g_signal_connect_swapped (self->views_list, "row-activated",
                            G_CALLBACK (on_view_row_activated_cb), self);
  g_signal_connect_swapped (self->search_entry, "search-changed",
                            G_CALLBACK (on_search_changed_cb), self);
  g_signal_connect_swapped (self->search_entry, "stop-search",
                            G_CALLBACK (on_search_stopped_cb), self);
  g_signal_connect_swapped (self->ticket_list, "notify::selected-ticket",
                            G_CALLBACK (on_selected_ticket_cb), self);
  g_signal_connect_swapped (self->ticket_list, "ticket-activated",
                            G_CALLBACK (on_ticket_activated_cb), self);
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
}

FlWindow *
fl_window_new (FlApplication *application,
               FlContext     *context)
{
  g_return_val_if_fail (FL_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  return g_object_new (FL_TYPE_WINDOW,
                       "application", application,
                       "context", context,
                       NULL);
}

FlContext *
fl_window_get_context (FlWindow *self)
{
  g_return_val_if_fail (FL_IS_WINDOW (self), NULL);

  return self->context;
}

FlView
fl_window_get_view (FlWindow *self)
{
  g_return_val_if_fail (FL_IS_WINDOW (self), FL_VIEW_INCOMING);

  return fl_ticket_list_model_get_view (self->model);
}

void
fl_window_set_view (FlWindow *self,
                    FlView    view)
{
  GtkListBoxRow *row;
  GSettings *settings;

  g_return_if_fail (FL_IS_WINDOW (self));
  g_return_if_fail ((guint) view < FL_N_VIEWS);

  fl_ticket_list_model_set_view (self->model, view);
  adw_window_title_set_title (self->list_title, fl_view_get_label (view));

  row = gtk_list_box_get_row_at_index (self->views_list, (int) view);
  if (row != NULL && gtk_list_box_get_selected_row (self->views_list) != row)
    gtk_list_box_select_row (self->views_list, row);

  settings = fl_context_get_settings (self->context);
  if (settings != NULL)
    g_settings_set_string (settings, "selected-view", fl_view_to_string (view));

  update_list_stack (self);
}

FlTicketListModel *
fl_window_get_list_model (FlWindow *self)
{
  g_return_val_if_fail (FL_IS_WINDOW (self), NULL);

  return self->model;
}
