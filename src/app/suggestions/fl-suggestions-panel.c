/* fl-suggestions-panel.c — similar solved tickets, the caller's history and a
 * possible duplicate, for the request being typed
 *
 * Typing never waits: a change restarts a 250 ms timer, the search runs in a
 * worker thread on its own connection to the cache, and a result that is not
 * the latest request's is dropped (a stamp counter).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-suggestions"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "fl-suggestions-panel.h"

#define DEBOUNCE_MS 250
#define DAY_MS (24 * G_GINT64_CONSTANT (3600000))

struct _FlSuggestionsPanel
{
  GtkBox      parent_instance;

  /* template widgets */
  GtkWidget   *duplicate_box;
  GtkLabel    *duplicate_label;
  GtkListBox  *similar_list;
  GtkLabel    *similar_empty;
  GtkListBox  *history_list;
  GtkLabel    *history_empty;

  /* owned */
  char        *path;           /* of the cache; the worker opens its own connection */
  FlStore     *worker_store;   /* used only by the worker, under worker_lock */
  GMutex       worker_lock;
  guint        debounce_id;
  guint64      stamp;
  guint        serial;
  FlTicket    *duplicate;
  GPtrArray   *similar;        /* FlSimilarResult, as shown */
  GCancellable *cancellable;

  /* the pending request */
  char        *title;
  char        *description;
  char        *category;
  FlRequester  requester;
  char        *exclude_id;
};

G_DEFINE_FINAL_TYPE (FlSuggestionsPanel, fl_suggestions_panel, GTK_TYPE_BOX)

enum { COPY_RESOLUTION, OPEN_TICKET, ADD_NOTE_INSTEAD, N_SIGNALS };
static guint signals [N_SIGNALS];

typedef struct
{
  guint64      stamp;
  char        *title;
  char        *description;
  char        *category;
  FlRequester  requester;
  char        *exclude_id;
  gint64       now;
  /* results */
  GPtrArray   *similar;
  GPtrArray   *history;
  FlTicket    *duplicate;
} Search;

static void
requester_clear (FlRequester *r)
{
  g_clear_pointer (&r->name, g_free);
  g_clear_pointer (&r->email, g_free);
  g_clear_pointer (&r->phone, g_free);
  g_clear_pointer (&r->department, g_free);
  g_clear_pointer (&r->location, g_free);
}

static void
requester_copy (FlRequester       *to,
                const FlRequester *from)
{
  requester_clear (to);
  if (from == NULL)
    return;
  to->name = g_strdup (from->name);
  to->email = g_strdup (from->email);
  to->phone = g_strdup (from->phone);
  to->department = g_strdup (from->department);
  to->location = g_strdup (from->location);
}

static void
search_free (gpointer data)
{
  Search *s = data;

  g_free (s->title);
  g_free (s->description);
  g_free (s->category);
  requester_clear (&s->requester);
  g_free (s->exclude_id);
  g_clear_pointer (&s->similar, g_ptr_array_unref);
  g_clear_pointer (&s->history, g_ptr_array_unref);
  g_clear_object (&s->duplicate);
  g_free (s);
}

/* -------------------------------------------------------------------------- */

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FlSuggestionsPanel *self = source_object;
  Search *s = task_data;
  g_autoptr(GError) error = NULL;
  FlSimilarQuery q = {
    .title = s->title,
    .description = s->description,
    .category = s->category,
    .requester = s->requester.name,
    .department = s->requester.department,
    .now = s->now,
    .limit = 5,
  };

  g_mutex_lock (&self->worker_lock);
  if (self->worker_store == NULL)
    self->worker_store = fl_store_new (self->path, &error);
  if (self->worker_store != NULL)
    {
      if ((s->title && *s->title) || (s->description && *s->description))
        s->similar = fl_store_find_similar (self->worker_store, &q, &error);
      if (error == NULL)
        s->history = fl_store_list_caller_tickets (self->worker_store, &s->requester, 10, &error);
      if (error == NULL)
        s->duplicate = fl_store_find_duplicate (self->worker_store, &s->requester, s->title,
                                                s->description, s->category, s->exclude_id,
                                                s->now, NULL, &error);
    }
  g_mutex_unlock (&self->worker_lock);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
on_copy_clicked_cb (GtkButton          *button,
                    FlSuggestionsPanel *self)
{
  FlTicket *t = g_object_get_data (G_OBJECT (button), "fl-ticket");

  g_signal_emit (self, signals[COPY_RESOLUTION], 0, t);
}

static void
on_open_clicked_cb (GtkButton          *button,
                    FlSuggestionsPanel *self)
{
  FlTicket *t = g_object_get_data (G_OBJECT (button), "fl-ticket");

  g_signal_emit (self, signals[OPEN_TICKET], 0, t->id);
}

static void
on_duplicate_clicked_cb (FlSuggestionsPanel *self)
{
  if (self->duplicate != NULL)
    g_signal_emit (self, signals[ADD_NOTE_INSTEAD], 0, self->duplicate->id);
}

static GtkWidget *
icon_button (FlSuggestionsPanel *self,
             const char         *icon,
             const char         *tooltip,
             FlTicket           *ticket,
             GCallback           callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data_full (G_OBJECT (button), "fl-ticket", g_object_ref (ticket), g_object_unref);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static GtkWidget *
ticket_row (FlSuggestionsPanel *self,
            FlTicket           *t,
            gboolean            similar,
            gint64              now)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *number = fl_ticket_dup_display_number (t);
  g_autofree char *title = g_strdup_printf ("%s  %s", number, t->title);
  g_autofree char *subtitle = NULL;

  if (similar)
    subtitle = g_strdup_printf ("%s — %s", fl_resolution_code_get_label (t->resolution_code),
                                t->resolution_summary ? t->resolution_summary : "");
  else
    {
      gint64 days = MAX (0, now - t->created_at) / DAY_MS;

      subtitle = g_strdup_printf (ngettext ("%s · %d day old", "%s · %d days old",
                                            (unsigned long) days),
                                  fl_status_get_label (t->status), (int) days);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  /* The row is named by its title; the line below it describes it. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  subtitle, -1);
  if (similar)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                               icon_button (self, "edit-copy-symbolic",
                                            _("Copy the resolution into a note"), t,
                                            G_CALLBACK (on_copy_clicked_cb)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             icon_button (self, "go-next-symbolic", _("Open the ticket"), t,
                                          G_CALLBACK (on_open_clicked_cb)));
  return row;
}

static void
on_search_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  FlSuggestionsPanel *self = FL_SUGGESTIONS_PANEL (source);
  Search *s = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gint64 now = s->now;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Suggestions: %s", error->message);
      return;
    }
  if (s->stamp != self->stamp)
    return;   /* an older request's answer */

  clear_list (self->similar_list);
  g_clear_pointer (&self->similar, g_ptr_array_unref);
  if (s->similar != NULL)
    {
      self->similar = g_ptr_array_ref (s->similar);
      for (guint i = 0; i < s->similar->len; i++)
        gtk_list_box_append (self->similar_list,
                             ticket_row (self, ((FlSimilarResult *) s->similar->pdata[i])->ticket,
                                         TRUE, now));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->similar_list), self->similar && self->similar->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->similar_empty), !self->similar || self->similar->len == 0);

  clear_list (self->history_list);
  for (guint i = 0; s->history != NULL && i < s->history->len; i++)
    if (g_strcmp0 (((FlTicket *) s->history->pdata[i])->id, s->exclude_id) != 0)
      gtk_list_box_append (self->history_list, ticket_row (self, s->history->pdata[i], FALSE, now));
  gtk_widget_set_visible (GTK_WIDGET (self->history_list),
                          gtk_widget_get_first_child (GTK_WIDGET (self->history_list)) != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->history_empty),
                          gtk_widget_get_first_child (GTK_WIDGET (self->history_list)) == NULL);

  g_set_object (&self->duplicate, s->duplicate);
  if (self->duplicate != NULL)
    {
      g_autofree char *number = fl_ticket_dup_display_number (self->duplicate);
      g_autofree char *text = g_strdup_printf (_("Possible duplicate: %s “%s” of the same caller "
                                                 "is still open."), number, self->duplicate->title);

      gtk_label_set_text (self->duplicate_label, text);
    }
  gtk_widget_set_visible (self->duplicate_box, self->duplicate != NULL);

  self->serial++;
}

static gboolean
on_debounce_cb (gpointer user_data)
{
  FlSuggestionsPanel *self = user_data;
  g_autoptr(GTask) task = NULL;
  Search *s = g_new0 (Search, 1);

  self->debounce_id = 0;
  s->stamp = self->stamp;
  s->title = g_strdup (self->title);
  s->description = g_strdup (self->description);
  s->category = g_strdup (self->category);
  requester_copy (&s->requester, &self->requester);
  s->exclude_id = g_strdup (self->exclude_id);
  s->now = g_get_real_time () / 1000;

  task = g_task_new (self, self->cancellable, on_search_done_cb, NULL);
  g_task_set_task_data (task, s, search_free);
  g_task_run_in_thread (task, search_thread);

  return G_SOURCE_REMOVE;
}

/* -------------------------------------------------------------------------- */

static void
fl_suggestions_panel_dispose (GObject *object)
{
  FlSuggestionsPanel *self = FL_SUGGESTIONS_PANEL (object);

  g_clear_handle_id (&self->debounce_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->duplicate);
  g_clear_pointer (&self->similar, g_ptr_array_unref);

  G_OBJECT_CLASS (fl_suggestions_panel_parent_class)->dispose (object);
}

static void
fl_suggestions_panel_finalize (GObject *object)
{
  FlSuggestionsPanel *self = FL_SUGGESTIONS_PANEL (object);

  /* a worker still running holds a reference: none is left here */
  g_clear_object (&self->worker_store);
  g_mutex_clear (&self->worker_lock);
  g_clear_object (&self->cancellable);
  g_free (self->path);
  g_free (self->title);
  g_free (self->description);
  g_free (self->category);
  requester_clear (&self->requester);
  g_free (self->exclude_id);

  G_OBJECT_CLASS (fl_suggestions_panel_parent_class)->finalize (object);
}

static void
fl_suggestions_panel_class_init (FlSuggestionsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_suggestions_panel_dispose;
  object_class->finalize = fl_suggestions_panel_finalize;

  signals[COPY_RESOLUTION] =
    g_signal_new ("copy-resolution", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, FL_TYPE_TICKET);
  signals[OPEN_TICKET] =
    g_signal_new ("open-ticket", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ADD_NOTE_INSTEAD] =
    g_signal_new ("add-note-instead", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-suggestions-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, FlSuggestionsPanel, duplicate_box);
  gtk_widget_class_bind_template_child (widget_class, FlSuggestionsPanel, duplicate_label);
  gtk_widget_class_bind_template_child (widget_class, FlSuggestionsPanel, similar_list);
  gtk_widget_class_bind_template_child (widget_class, FlSuggestionsPanel, similar_empty);
  gtk_widget_class_bind_template_child (widget_class, FlSuggestionsPanel, history_list);
  gtk_widget_class_bind_template_child (widget_class, FlSuggestionsPanel, history_empty);
  gtk_widget_class_bind_template_callback (widget_class, on_duplicate_clicked_cb);
}

static void
fl_suggestions_panel_init (FlSuggestionsPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_mutex_init (&self->worker_lock);
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->similar_list), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->history_list), FALSE);
}

FlSuggestionsPanel *
fl_suggestions_panel_new (FlStore *store)
{
  FlSuggestionsPanel *self;

  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  self = g_object_new (FL_TYPE_SUGGESTIONS_PANEL, NULL);
  self->path = g_strdup (fl_store_get_path (store));
  return self;
}

void
fl_suggestions_panel_set_request (FlSuggestionsPanel *self,
                                  const char         *title,
                                  const char         *description,
                                  const char         *category,
                                  const FlRequester  *requester,
                                  const char         *exclude_id)
{
  g_return_if_fail (FL_IS_SUGGESTIONS_PANEL (self));

  g_free (self->title);
  self->title = g_strdup (title);
  g_free (self->description);
  self->description = g_strdup (description);
  g_free (self->category);
  self->category = g_strdup (category);
  requester_copy (&self->requester, requester);
  g_free (self->exclude_id);
  self->exclude_id = g_strdup (exclude_id);

  self->stamp++;
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add (DEBOUNCE_MS, on_debounce_cb, self);
}

guint
fl_suggestions_panel_get_serial (FlSuggestionsPanel *self)
{
  g_return_val_if_fail (FL_IS_SUGGESTIONS_PANEL (self), 0);

  return self->serial;
}

FlTicket *
fl_suggestions_panel_get_duplicate (FlSuggestionsPanel *self)
{
  g_return_val_if_fail (FL_IS_SUGGESTIONS_PANEL (self), NULL);

  return self->duplicate;
}
