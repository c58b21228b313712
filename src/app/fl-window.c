/* fl-window.c — the agent's main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fl-a11y.h"
#include "fl-ca-file-chooser.h"
#include "fl-checklist-pane.h"
#include "fl-conflicts-dialog.h"
#include "fl-handoff-dialog.h"
#include "fl-history-window.h"
#include "fl-intake-dialog.h"
#include "fl-login-dialog.h"
#include "fl-password-dialog.h"
#include "fl-sync-indicator.h"
#include "fl-ticket-detail.h"
#include "fl-ticket-list.h"
#include "fl-trace.h"
#include "fl-window.h"

/* View counts are refreshed at most this often while the store changes. */
#define COUNTS_DEBOUNCE_MS 150

struct _FlWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwLeaflet           *leaflet;
  AdwLeaflet           *list_leaflet;
  AdwLeaflet           *detail_leaflet;
  AdwHeaderBar         *sidebar_header;
  AdwHeaderBar         *list_header;
  AdwHeaderBar         *detail_header;
  AdwHeaderBar         *checklist_header;
  GtkWidget            *checklist_page;
  GtkWidget            *back_to_list;
  GtkWidget            *back_to_ticket;
  GtkWidget            *show_checklist_button;
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
  GtkStack             *detail_stack;
  FlTicketDetail       *ticket_detail;
  GtkBox               *checklist_box;
  GtkToggleButton      *checklist_button;
  FlSyncIndicator      *sync_indicator;

  /* borrowed */
  GtkWidget            *checklist_pane;

  /* owned */
  FlContext            *context;
  FlTicketListModel    *model;
  char                 *selected_id;

  guint                 counts_source_id;
  gboolean              focus_list_when_filled;
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

      g_autofree char *spoken = NULL;
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->views_list, (int) view);

      text = g_strdup_printf ("%u", n);
      gtk_label_set_label (get_count_label (self, view), text);

      /* Translators: what a screen reader says for a view in the sidebar,
       * e.g. "Incoming, 17 tickets" */
      spoken = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %u ticket", "%s, %u tickets", n),
                                fl_view_get_label (view), n);
      if (row != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, spoken,
                                        -1);
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

  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (n == 0)
    page = fl_ticket_list_model_get_applied_query (self->model) ? "no-results" : "empty";

  /* The keyboard focus never stays in a list that is hidden: keys sent there
   * reach nothing, not even the window's shortcuts (Ctrl+N). */
  if (n == 0 && focus != NULL &&
      (focus == GTK_WIDGET (self->ticket_list) || gtk_widget_is_ancestor (focus, GTK_WIDGET (self->ticket_list))))
    gtk_root_set_focus (GTK_ROOT (self), NULL);

  gtk_stack_set_visible_child_name (self->list_stack, page);
}

static void
show_ticket (FlWindow *self,
             FlTicket *ticket)
{
  g_autofree char *number = NULL;

  if (ticket == NULL)
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "placeholder");
      adw_window_title_set_title (self->detail_title, "");
      adw_window_title_set_subtitle (self->detail_title, "");
      return;
    }

  number = fl_ticket_dup_display_number (ticket);
  adw_window_title_set_title (self->detail_title, ticket->title);
  adw_window_title_set_subtitle (self->detail_title, number);
  fl_ticket_detail_set_ticket (self->ticket_detail, ticket);
  if (self->checklist_pane != NULL)
    fl_checklist_pane_set_ticket (FL_CHECKLIST_PANE (self->checklist_pane), ticket);
  gtk_stack_set_visible_child_name (self->detail_stack, "detail");
}

/* The list follows the selection; the detail keeps its ticket when the
 * ticket leaves the view (claimed out of Incoming, say) and follows it. */
static void
update_detail (FlWindow *self)
{
  FlTicket *ticket = fl_ticket_list_get_selected (self->ticket_list);

  if (ticket == NULL)
    return;

  g_free (self->selected_id);
  self->selected_id = g_strdup (ticket->id);
  show_ticket (self, ticket);
}

static void
on_detail_ticket_cb (FlWindow       *self,
                     GParamSpec     *pspec,
                     FlTicketDetail *detail)
{
  FlTicket *ticket = fl_ticket_detail_get_ticket (detail);
  g_autofree char *number = NULL;

  if (ticket == NULL)
    return;

  number = fl_ticket_dup_display_number (ticket);
  adw_window_title_set_title (self->detail_title, ticket->title);
  adw_window_title_set_subtitle (self->detail_title, number);
}

/* Keeps the selected ticket selected while rows move around it. */
static void
on_items_changed_cb (FlWindow   *self,
                     guint       position,
                     guint       removed,
                     guint       added,
                     GListModel *model)
{
  FlTicket *selected = fl_ticket_list_get_selected (self->ticket_list);

  if (self->selected_id == NULL)
    return;
  if (selected != NULL && g_str_equal (selected->id, self->selected_id))
    return;

  fl_ticket_list_select_id (self->ticket_list, self->selected_id);
}

static void
on_store_changed_cb (FlWindow  *self,
                     GPtrArray *changes,
                     FlStore   *store)
{
  if (self->counts_source_id == 0)
    self->counts_source_id = g_timeout_add (COUNTS_DEBOUNCE_MS, update_counts_cb, self);

  if (fl_trace_enabled ())
    {
      fl_trace ("store-changed %u", changes->len);
      fl_trace_on_paint ("store-drawn %u", changes->len);
    }
}

static void
on_n_items_cb (FlWindow *self)
{
  update_list_stack (self);

  /* The list is where the window starts, once it has rows to be in (the
   * first sync fills an empty cache): unless the agent went elsewhere, the
   * focus GTK put on the first button moves there. */
  if (self->focus_list_when_filled && g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
    {
      GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

      self->focus_list_when_filled = FALSE;
      if (focus == NULL || gtk_widget_get_ancestor (focus, ADW_TYPE_HEADER_BAR) != NULL)
        gtk_widget_grab_focus (GTK_WIDGET (self->ticket_list));
    }
}

static void
on_selected_ticket_cb (FlWindow *self)
{
  update_detail (self);
}

/* The panes nest: the views beside the rest (leaflet), the list beside the
 * ticket (list_leaflet), the ticket beside its checklist (detail_leaflet).
 * Each folds on its own as the window narrows; these show one pane,
 * whatever is folded. */
static void
reveal_views (FlWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar_pane);
}

static void
reveal_list (FlWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->list_leaflet));
  adw_leaflet_set_visible_child (self->list_leaflet, self->list_pane);
}

static void
reveal_ticket (FlWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->list_leaflet));
  adw_leaflet_set_visible_child (self->list_leaflet, GTK_WIDGET (self->detail_leaflet));
  adw_leaflet_set_visible_child (self->detail_leaflet, self->detail_pane);
}

static void
reveal_checklist (FlWindow *self)
{
  gtk_toggle_button_set_active (self->checklist_button, TRUE);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->list_leaflet));
  adw_leaflet_set_visible_child (self->list_leaflet, GTK_WIDGET (self->detail_leaflet));
  adw_leaflet_set_visible_child (self->detail_leaflet, self->checklist_page);
}

/* Window buttons go to the outer header bars of what is shown. */
static void
update_title_buttons (FlWindow *self)
{
  gboolean views_folded = adw_leaflet_get_folded (self->leaflet);
  gboolean list_folded = adw_leaflet_get_folded (self->list_leaflet);
  gboolean detail_folded = adw_leaflet_get_folded (self->detail_leaflet);
  gboolean checklist_shown = gtk_widget_get_visible (self->checklist_page);

  adw_header_bar_set_show_start_title_buttons (self->sidebar_header, TRUE);
  adw_header_bar_set_show_end_title_buttons (self->sidebar_header, views_folded);
  adw_header_bar_set_show_start_title_buttons (self->list_header, views_folded);
  adw_header_bar_set_show_end_title_buttons (self->list_header, list_folded);
  adw_header_bar_set_show_start_title_buttons (self->detail_header, list_folded);
  adw_header_bar_set_show_end_title_buttons (self->detail_header, detail_folded || !checklist_shown);
  adw_header_bar_set_show_start_title_buttons (self->checklist_header, detail_folded);
  adw_header_bar_set_show_end_title_buttons (self->checklist_header, TRUE);
}

static gboolean
fl_window_not (gpointer  instance,
               gboolean  value)
{
  return !value;
}

/* Goes to the ticket shown in the detail, as a click on its row or a link
 * from outside does: through each folded leaflet to the ticket pane. */
static void
open_shown_ticket (FlWindow *self)
{
  GtkWidget *content;

  reveal_ticket (self);
  /* With the list slid away, the ticket is where the work goes on: the focus
   * does not stay behind in a list that is hidden. */
  if (adw_leaflet_get_folded (self->list_leaflet) &&
      (content = fl_ticket_detail_get_content (self->ticket_detail)) != NULL)
    gtk_widget_child_focus (content, GTK_DIR_TAB_FORWARD);
}

static void
on_ticket_activated_cb (FlWindow     *self,
                        FlTicket     *ticket,
                        FlTicketList *list)
{
  open_shown_ticket (self);
}

G_GNUC_UNUSED static void
on_ticket_created_cb (FlWindow *self,
                      FlTicket *ticket)
{
  /* Show the new ticket where it is: its row in the list, and its detail. */
  g_free (self->selected_id);
  self->selected_id = g_strdup (ticket->id);
  if (!fl_ticket_list_select_id (self->ticket_list, ticket->id))
    show_ticket (self, ticket);
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
  reveal_list (self);
}

static void
on_search_changed_cb (FlWindow       *self,
                      GtkSearchEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  /* The search runs on the model's worker; its results come on the main loop. */
  fl_ticket_list_model_set_query (self->model, text);
}

static void
on_applied_query_cb (FlWindow *self)
{
  if (fl_trace_enabled ())
    {
      const char *text = fl_ticket_list_model_get_applied_query (self->model);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));

      fl_trace ("search-applied %u %s", n, text ? text : "");
      fl_trace_on_paint ("search-drawn %u %s", n, text ? text : "");
    }
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
  reveal_views (FL_WINDOW (widget));
}

static void
show_list_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  reveal_list (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->ticket_list));
}

static void
show_ticket_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  GtkWidget *content = fl_ticket_detail_get_content (self->ticket_detail);

  reveal_ticket (self);
  if (fl_ticket_detail_get_ticket (self->ticket_detail) != NULL)
    gtk_widget_child_focus (content, GTK_DIR_TAB_FORWARD);
}

static void
show_checklist_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  reveal_checklist (self);
  gtk_widget_child_focus (self->checklist_pane, GTK_DIR_TAB_FORWARD);
}

/* F6 and Shift+F6 move between the panes, in the order they are shown: the
 * views, the ticket list, the ticket, its note composer, the checklist. */
enum { PANE_VIEWS, PANE_LIST, PANE_DETAIL, PANE_COMPOSER, PANE_CHECKLIST, N_PANES };

static GtkWidget *
get_pane (FlWindow *self,
          int       pane,
          GtkWidget **leaflet_child)
{
  gboolean has_ticket = fl_ticket_detail_get_ticket (self->ticket_detail) != NULL;

  switch (pane)
    {
    case PANE_VIEWS:
      *leaflet_child = self->sidebar_pane;
      return GTK_WIDGET (self->views_list);
    case PANE_LIST:
      *leaflet_child = self->list_pane;
      return GTK_WIDGET (self->ticket_list);
    case PANE_DETAIL:
      *leaflet_child = self->detail_pane;
      return has_ticket ? fl_ticket_detail_get_content (self->ticket_detail) : NULL;
    case PANE_COMPOSER:
      *leaflet_child = self->detail_pane;
      return has_ticket ? fl_ticket_detail_get_composer (self->ticket_detail) : NULL;
    case PANE_CHECKLIST:
      *leaflet_child = self->checklist_page;
      return has_ticket && gtk_toggle_button_get_active (self->checklist_button)
             ? self->checklist_pane : NULL;
    default:
      g_assert_not_reached ();
    }
}

static int
get_focused_pane (FlWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  GtkWidget *leaflet_child;

  if (focus == NULL)
    return -1;

  for (int pane = 0; pane < N_PANES; pane++)
    {
      GtkWidget *widget = get_pane (self, pane, &leaflet_child);

      if (widget != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget)))
        return pane;
    }

  /* A header bar's button counts as its column. */
  if (gtk_widget_is_ancestor (focus, self->sidebar_pane))
    return PANE_VIEWS;
  if (gtk_widget_is_ancestor (focus, self->list_pane))
    return PANE_LIST;
  if (gtk_widget_is_ancestor (focus, self->detail_pane))
    return PANE_DETAIL;
  if (gtk_widget_is_ancestor (focus, self->checklist_page))
    return PANE_CHECKLIST;
  return -1;
}

static gboolean
focus_pane (FlWindow *self,
            int       pane)
{
  GtkWidget *leaflet_child = NULL;
  GtkWidget *widget = get_pane (self, pane, &leaflet_child);

  if (widget == NULL)
    return FALSE;

  if (leaflet_child == self->sidebar_pane)
    reveal_views (self);
  else if (leaflet_child == self->list_pane)
    reveal_list (self);
  else if (leaflet_child == self->detail_pane)
    reveal_ticket (self);
  else
    reveal_checklist (self);

  switch (pane)
    {
    case PANE_VIEWS:
      {
        GtkListBoxRow *row = gtk_list_box_get_selected_row (self->views_list);

        return row != NULL ? gtk_widget_grab_focus (GTK_WIDGET (row))
                           : gtk_widget_child_focus (widget, GTK_DIR_TAB_FORWARD);
      }
    case PANE_LIST:
    case PANE_COMPOSER:
      return gtk_widget_grab_focus (widget);
    default:
      return gtk_widget_child_focus (widget, GTK_DIR_TAB_FORWARD);
    }
}

static void
focus_pane_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  int delta = g_variant_get_int32 (param) < 0 ? -1 : 1;
  int pane = get_focused_pane (self);

  if (pane < 0)
    pane = delta > 0 ? PANE_VIEWS : PANE_LIST;
  for (int i = 0; i < N_PANES; i++)
    {
      pane = (pane + delta + N_PANES) % N_PANES;
      if (focus_pane (self, pane))
        return;
    }
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
new_ticket_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  FlIntakeDialog *dialog = fl_intake_dialog_new (GTK_WINDOW (self), self->context);

  g_signal_connect_object (dialog, "created", G_CALLBACK (on_ticket_created_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sync_now_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  FlSyncEngine *engine = fl_context_get_sync_engine (self->context);

  fl_sync_engine_start (engine);
  fl_sync_engine_kick (engine);
}

static void
show_conflicts_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (fl_conflicts_dialog_new (GTK_WINDOW (self), self->context)));
}

static void
login_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (fl_login_dialog_new (GTK_WINDOW (self), self->context)));
}

static void
logout_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  fl_sync_engine_logout_async (fl_context_get_sync_engine (self->context), NULL, NULL, NULL);
}

static void
change_password_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (fl_password_dialog_new (GTK_WINDOW (self), self->context)));
}

static void
logout_everywhere_done_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(FlWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog;

  if (fl_sync_engine_logout_everywhere_finish (FL_SYNC_ENGINE (source), result, &error))
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Could Not Log Out Everywhere"),
                                   error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
logout_everywhere_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  fl_sync_engine_logout_everywhere_async (fl_context_get_sync_engine (self->context), NULL,
                                          logout_everywhere_done_cb, g_object_ref (self));
}

static gboolean
color_scheme_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  g_value_set_boolean (value, g_strcmp0 (g_variant_get_string (variant, NULL), "dark") == 0);
  return TRUE;
}

static GVariant *
color_scheme_set_mapping (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  return g_variant_new_string (g_value_get_boolean (value) ? "dark" : "default");
}

/* Without settings (a test's context), the switch sets the style directly. */
static void
on_dark_switch_cb (GtkSwitch  *toggle,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      gtk_switch_get_active (toggle) ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                     : ADW_COLOR_SCHEME_DEFAULT);
}

/* History and reports: for leads (and specialists, read-only); agents never see it. */
static void
update_history_action (FlWindow *self)
{
  FlRole role = fl_store_get_role (fl_context_get_store (self->context));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.history",
                                 fl_store_get_username (fl_context_get_store (self->context)) &&
                                 fl_history_window_role_allowed (role));
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  if (!fl_history_window_role_allowed (fl_store_get_role (fl_context_get_store (self->context))))
    return;
  gtk_window_present (GTK_WINDOW (fl_history_window_new (GTK_WINDOW (self), self->context)));
}

static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  GSettings *settings = fl_context_get_settings (self->context);
  g_autofree char *server = fl_sync_engine_dup_server_url (fl_context_get_sync_engine (self->context));
  g_autofree char *account = NULL;
  GtkWidget *window = adw_preferences_window_new ();
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row;
  GtkWidget *toggle;
  GtkEventController *shortcuts;

  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  /* One of the application's windows: Ctrl+Q and the app actions work here. */
  gtk_window_set_application (GTK_WINDOW (window), gtk_window_get_application (GTK_WINDOW (self)));
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (window, shortcuts);
  /* A handful of settings on one page: no search, and the page has a name. */
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (window), FALSE);
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (page), _("General"));

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Server"));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Logged in"));
  /* Translators: user on server */
  account = server ? g_strdup_printf (_("%s on %s"),
                                      fl_store_get_username (fl_context_get_store (self->context)),
                                      server)
                   : g_strdup (_("Not logged in"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), account);
  toggle = gtk_button_new_with_mnemonic (_("_Log In…"));
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (toggle), "win.login");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);

  if (fl_sync_engine_get_credentials_backend (fl_context_get_sync_engine (self->context)) == FL_CREDENTIALS_FILE)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No keyring available"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("The login token is kept in a file only you can read."));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }

  row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Extra CA certificates (file)"));
  if (settings != NULL)
    fl_ca_file_chooser_add_to_row (ADW_ENTRY_ROW (row), settings);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));

  group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Desktop"));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Notify about new incoming tickets"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("While the window is in the background"));
  toggle = gtk_switch_new ();
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  if (settings != NULL)
    g_settings_bind (settings, "notifications", toggle, "active", G_SETTINGS_BIND_DEFAULT);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Dark style"));
  toggle = gtk_switch_new ();
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  /* The setting is the truth; the application applies it to AdwStyleManager. */
  if (settings != NULL)
    g_settings_bind_with_mapping (settings, "color-scheme", toggle, "active", G_SETTINGS_BIND_DEFAULT,
                                  color_scheme_get_mapping, color_scheme_set_mapping, NULL, NULL);
  else
    {
      gtk_switch_set_active (GTK_SWITCH (toggle),
                             adw_style_manager_get_dark (adw_style_manager_get_default ()));
      g_signal_connect (toggle, "notify::active", G_CALLBACK (on_dark_switch_cb), NULL);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  fl_a11y_fix_preferences_window (window);
  gtk_window_present (GTK_WINDOW (window));
}

static void
forward_to_detail_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);
  g_autofree char *detail_action = g_strdup_printf ("ticket.%s", action_name + strlen ("win."));

  if (fl_ticket_detail_get_ticket (self->ticket_detail) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self->ticket_detail), detail_action, NULL);
}

static void
toggle_checklist_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  FlWindow *self = FL_WINDOW (widget);

  /* Folded, the checklist is a page of its own: F9 goes there and back. */
  if (adw_leaflet_get_folded (self->detail_leaflet))
    {
      if (adw_leaflet_get_visible_child (self->detail_leaflet) == self->checklist_page)
        show_ticket_action (widget, "win.show-ticket", NULL);
      else
        show_checklist_action (widget, "win.show-checklist", NULL);
      return;
    }

  gtk_toggle_button_set_active (self->checklist_button,
                                !gtk_toggle_button_get_active (self->checklist_button));
}

static void
on_handoff_requested_cb (FlWindow       *self,
                         FlTicket       *ticket,
                         FlTicketDetail *detail)
{
  gtk_window_present (GTK_WINDOW (fl_handoff_dialog_new (GTK_WINDOW (self), self->context,
                                                          ticket, NULL)));
}

static void
on_checklist_resolve_cb (FlWindow         *self,
                         FlResolutionCode  code,
                         const char       *summary,
                         GtkWidget        *pane)
{
  gtk_widget_activate_action (GTK_WIDGET (self->ticket_detail), "ticket.resolve-with", "(ss)",
                              fl_resolution_code_to_string (code), summary ? summary : "");
}

static void
on_checklist_escalate_cb (FlWindow   *self,
                          const char *queue,
                          GtkWidget  *pane)
{
  FlTicket *ticket = fl_ticket_detail_get_ticket (self->ticket_detail);

  if (ticket == NULL)
    return;
  gtk_window_present (GTK_WINDOW (fl_handoff_dialog_new (GTK_WINDOW (self), self->context,
                                                          ticket, queue)));
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
  g_signal_connect_object (self->model, "notify::applied-query",
                           G_CALLBACK (on_applied_query_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "changed",
                           G_CALLBACK (on_store_changed_cb), self, G_CONNECT_SWAPPED);

  fl_ticket_list_set_context (self->ticket_list, self->context);
  fl_ticket_list_set_model (self->ticket_list, self->model);
  g_signal_connect_object (self->model, "items-changed",
                           G_CALLBACK (on_items_changed_cb), self, G_CONNECT_SWAPPED);

  fl_ticket_detail_set_context (self->ticket_detail, self->context);
  fl_sync_indicator_set_engine (self->sync_indicator, fl_context_get_sync_engine (self->context));
  /* The role is known after a login: follow the engine. */
  g_signal_connect_object (fl_context_get_sync_engine (self->context), "notify::state",
                           G_CALLBACK (update_history_action), self, G_CONNECT_SWAPPED);
  update_history_action (self);

  self->checklist_pane = fl_checklist_pane_new (self->context);
  gtk_widget_set_hexpand (self->checklist_pane, TRUE);
  gtk_box_append (self->checklist_box, self->checklist_pane);
  g_signal_connect_object (self->checklist_pane, "resolve-requested",
                           G_CALLBACK (on_checklist_resolve_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->checklist_pane, "escalate-requested",
                           G_CALLBACK (on_checklist_escalate_cb), self, G_CONNECT_SWAPPED);

  fl_trace_attach (GTK_WIDGET (self), GTK_WIDGET (self->ticket_list));

  /* Selects the view's row in the sidebar and sets the title. */
  fl_window_set_view (self, view);

  update_counts (self);
  update_list_stack (self);

  /* The window opens where the work is: in the ticket list, shown also when
   * the window is too narrow for more than one pane. */
  reveal_list (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->ticket_list));
  else
    self->focus_list_when_filled = TRUE;
}

static void
fl_window_dispose (GObject *object)
{
  FlWindow *self = (FlWindow *)object;

  g_clear_handle_id (&self->counts_source_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_WINDOW);
  g_clear_object (&self->model);
  g_clear_object (&self->context);
  g_clear_pointer (&self->selected_id, g_free);

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
  g_type_ensure (FL_TYPE_TICKET_DETAIL);
  g_type_ensure (FL_TYPE_SYNC_INDICATOR);

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
  gtk_widget_class_bind_template_child (widget_class, FlWindow, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, ticket_detail);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, list_leaflet);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, detail_leaflet);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, sidebar_header);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, list_header);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, detail_header);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, checklist_header);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, checklist_page);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, back_to_list);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, back_to_ticket);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, show_checklist_button);
  gtk_widget_class_bind_template_callback (widget_class, fl_window_not);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, checklist_box);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, checklist_button);
  gtk_widget_class_bind_template_child (widget_class, FlWindow, sync_indicator);

  gtk_widget_class_install_action (widget_class, "win.show-views", NULL, show_views_action);
  gtk_widget_class_install_action (widget_class, "win.show-list", NULL, show_list_action);
  gtk_widget_class_install_action (widget_class, "win.show-ticket", NULL, show_ticket_action);
  gtk_widget_class_install_action (widget_class, "win.show-checklist", NULL, show_checklist_action);
  gtk_widget_class_install_action (widget_class, "win.view", "s", view_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.select-relative", "i", select_relative_action);
  gtk_widget_class_install_action (widget_class, "win.new-ticket", NULL, new_ticket_action);
  gtk_widget_class_install_action (widget_class, "win.sync-now", NULL, sync_now_action);
  gtk_widget_class_install_action (widget_class, "win.show-conflicts", NULL, show_conflicts_action);
  gtk_widget_class_install_action (widget_class, "win.login", NULL, login_action);
  gtk_widget_class_install_action (widget_class, "win.logout", NULL, logout_action);
  gtk_widget_class_install_action (widget_class, "win.change-password", NULL, change_password_action);
  gtk_widget_class_install_action (widget_class, "win.logout-everywhere", NULL,
                                   logout_everywhere_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_install_action (widget_class, "win.history", NULL, history_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.history", NULL);
  gtk_widget_class_install_action (widget_class, "win.claim", NULL, forward_to_detail_action);
  gtk_widget_class_install_action (widget_class, "win.resolve", NULL, forward_to_detail_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-checklist", NULL, toggle_checklist_action);
  gtk_widget_class_install_action (widget_class, "win.focus-pane", "i", focus_pane_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-ticket", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.claim", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.resolve", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-checklist", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F6, 0, "win.focus-pane", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F6, GDK_SHIFT_MASK,
                                       "win.focus-pane", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "win.preferences", NULL);

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
  g_signal_connect_swapped (self->ticket_detail, "notify::ticket",
                            G_CALLBACK (on_detail_ticket_cb), self);
  g_signal_connect_swapped (self->ticket_detail, "handoff-requested",
                            G_CALLBACK (on_handoff_requested_cb), self);
  g_signal_connect_swapped (self->leaflet, "notify::folded",
                            G_CALLBACK (update_title_buttons), self);
  g_signal_connect_swapped (self->list_leaflet, "notify::folded",
                            G_CALLBACK (update_title_buttons), self);
  g_signal_connect_swapped (self->detail_leaflet, "notify::folded",
                            G_CALLBACK (update_title_buttons), self);
  g_signal_connect_swapped (self->checklist_page, "notify::visible",
                            G_CALLBACK (update_title_buttons), self);
  update_title_buttons (self);
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  /* A search over 100,000 cached tickets takes a few milliseconds: GTK's
   * default 150 ms pause after each key only delays the results. */
  gtk_search_entry_set_search_delay (self->search_entry, 0);
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

  if (fl_trace_enabled ())
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));

      fl_trace ("view-switched %s %u", fl_view_to_string (view), n);
      fl_trace_on_paint ("view-drawn %s %u", fl_view_to_string (view), n);
    }
}

FlTicketListModel *
fl_window_get_list_model (FlWindow *self)
{
  g_return_val_if_fail (FL_IS_WINDOW (self), NULL);

  return self->model;
}

gboolean
fl_window_show_ticket (FlWindow   *self,
                       const char *id_or_number)
{
  g_autoptr(FlTicket) ticket = NULL;

  g_return_val_if_fail (FL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (id_or_number != NULL, FALSE);

  ticket = fl_store_get_ticket (fl_context_get_store (self->context), id_or_number, NULL);
  if (ticket == NULL)
    return FALSE;

  g_free (self->selected_id);
  self->selected_id = g_strdup (ticket->id);
  if (!fl_ticket_list_select_id (self->ticket_list, ticket->id))
    {
      /* Hidden by the view or the search: All shows every ticket. */
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      fl_ticket_list_model_set_query (self->model, NULL);
      fl_window_set_view (self, FL_VIEW_ALL);
      if (!fl_ticket_list_select_id (self->ticket_list, ticket->id))
        show_ticket (self, ticket);
    }
  open_shown_ticket (self);
  return TRUE;
}

FlTicket *
fl_window_get_shown_ticket (FlWindow *self)
{
  g_return_val_if_fail (FL_IS_WINDOW (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->detail_stack), "detail") != 0)
    return NULL;
  return fl_ticket_detail_get_ticket (self->ticket_detail);
}

void
fl_window_search (FlWindow   *self,
                  const char *text)
{
  g_return_if_fail (FL_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  fl_ticket_list_model_set_query (self->model, text);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
