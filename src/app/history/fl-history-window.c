/* fl-history-window.c — the server's history and the KPI dashboard, for leads
 *
 * The history lists the server's tickets newest first, a page at a time as the list is
 * scrolled (FlHistoryModel), narrowed by the filters; activating one shows its timeline
 * from the server. The dashboard shows the summary report of a range beside the range of
 * the same length before it; every number opens the history narrowed to exactly the
 * tickets it counts (the drill-down filters of GET /api/v1/tickets).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-history-window"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-bar-chart.h"
#include "fl-history-model.h"
#include "fl-history-window.h"

#define FILTER_DEBOUNCE_MS 300
#define DAY_MS (24 * 3600 * 1000LL)

struct _FlHistoryWindow
{
  AdwWindow            parent_instance;

  /* template widgets */
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack        *view_stack;
  AdwViewStackPage    *dashboard_page;
  GtkWidget           *export_button;
  GtkEntry            *from_entry;
  GtkEntry            *to_entry;
  GtkEntry            *agent_entry;
  GtkEntry            *queue_entry;
  GtkDropDown         *category_dropdown;
  GtkDropDown         *status_dropdown;
  GtkDropDown         *level_dropdown;
  GtkSearchEntry      *search_entry;
  GtkLabel            *count_label;
  GtkWidget           *drill_button;
  GtkScrolledWindow   *list_scroller;
  GtkListView         *list_view;
  GtkLabel            *timeline_title;
  GtkListBox          *timeline_list;
  GtkEntry            *range_from_entry;
  GtkEntry            *range_to_entry;
  GtkLabel            *range_label;
  GtkFlowBox          *kpi_box;
  GtkBox              *aging_box;
  FlBarChart          *day_chart;
  FlBarChart          *category_chart;
  GtkGrid             *agent_grid;

  /* owned */
  FlContext           *context;
  FlHistoryModel      *model;
  FlHistoryFilter     *drill;           /* kpi, resolved_by, handed_off_by of a drill-down */
  char                *drill_label;
  JsonNode            *summary;
  JsonNode            *previous;
  char                *range_from;
  char                *range_to;
  GStrv                day_keys;        /* the day chart's rows */
  GStrv                category_keys;   /* the category chart's rows */
  GCancellable        *cancellable;

  guint                filter_source_id;
  guint                dashboard_stamp;
  guint                timeline_stamp;
  gboolean             setting_filter;
};

G_DEFINE_FINAL_TYPE (FlHistoryWindow, fl_history_window, ADW_TYPE_WINDOW)

static const char * const categories[] = {
  "password", "account", "software", "network", "hardware", "printer", "email", "other", NULL
};

/* -------------------------------------------------------------------------- */
/* Helpers                                                                       */

static FlSyncEngine *
get_engine (FlHistoryWindow *self)
{
  return fl_context_get_sync_engine (self->context);
}

static char *
entry_text (GtkEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  return *stripped ? g_steal_pointer (&stripped) : NULL;
}

/* "2026-11-29" → its first millisecond (UTC); 0 when it is not a date. */
static gint64
parse_day (const char *text)
{
  int y, m, d;
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL || strlen (text) != 10 || sscanf (text, "%4d-%2d-%2d", &y, &m, &d) != 3)
    return 0;
  dt = g_date_time_new_utc (y, m, d, 0, 0, 0);
  if (dt == NULL || g_date_time_get_day_of_month (dt) != d)
    return 0;
  return g_date_time_to_unix (dt) * 1000;
}

static char *
format_day (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);

  return g_date_time_format (dt, "%Y-%m-%d");
}

static char *
format_local (gint64 ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_local (utc);

  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static char *
format_duration (gint64 seconds)
{
  if (seconds >= 48 * 3600)
    /* Translators: a duration in days, e.g. "3.5 d" */
    return g_strdup_printf (_("%.1f d"), seconds / 86400.0);
  if (seconds >= 3600)
    /* Translators: a duration in hours, e.g. "5.2 h" */
    return g_strdup_printf (_("%.1f h"), seconds / 3600.0);
  /* Translators: a duration in minutes, e.g. "12 min" */
  return g_strdup_printf (_("%d min"), (int) (seconds / 60));
}

/* -------------------------------------------------------------------------- */
/* The history                                                                   */

static FlHistoryFilter *
filter_from_widgets (FlHistoryWindow *self)
{
  FlHistoryFilter *f = fl_history_filter_new ();
  guint cat = gtk_drop_down_get_selected (self->category_dropdown);
  guint status = gtk_drop_down_get_selected (self->status_dropdown);
  guint level = gtk_drop_down_get_selected (self->level_dropdown);
  const char *q = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  f->from = entry_text (self->from_entry);
  f->to = entry_text (self->to_entry);
  f->assignee = entry_text (self->agent_entry);
  f->queue = entry_text (self->queue_entry);
  if (cat > 0 && cat != GTK_INVALID_LIST_POSITION)
    f->category = g_strdup (categories[cat - 1]);
  if (status > 0 && status != GTK_INVALID_LIST_POSITION)
    f->status = g_strdup (fl_status_to_string (status - 1));
  if (level == 1 || level == 2)
    f->level = (int) level;
  f->q = *q ? g_strdup (q) : NULL;
  if (self->drill != NULL)
    {
      f->kpi = g_strdup (self->drill->kpi);
      f->resolved_by = g_strdup (self->drill->resolved_by);
      f->handed_off_by = g_strdup (self->drill->handed_off_by);
      f->resolved_from = g_strdup (self->drill->resolved_from);
      f->resolved_to = g_strdup (self->drill->resolved_to);
    }
  return f;
}

static void
apply_filter (FlHistoryWindow *self)
{
  g_autoptr(FlHistoryFilter) f = filter_from_widgets (self);

  g_clear_handle_id (&self->filter_source_id, g_source_remove);
  if (fl_history_model_get_filter (self->model) != NULL &&
      fl_history_filter_equal (f, fl_history_model_get_filter (self->model)))
    return;
  fl_history_model_set_filter (self->model, f);
}

static gboolean
apply_filter_cb (gpointer user_data)
{
  FlHistoryWindow *self = user_data;

  self->filter_source_id = 0;
  apply_filter (self);
  return G_SOURCE_REMOVE;
}

static void
on_filter_changed_cb (FlHistoryWindow *self)
{
  if (self->setting_filter)
    return;
  g_clear_handle_id (&self->filter_source_id, g_source_remove);
  self->filter_source_id = g_timeout_add (FILTER_DEBOUNCE_MS, apply_filter_cb, self);
}

static void
update_count (FlHistoryWindow *self)
{
  gint64 total = fl_history_model_get_total (self->model);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const char *error = fl_history_model_get_error (self->model);
  g_autofree char *text = NULL;

  if (error != NULL)
    text = g_strdup (error);
  else if (total < 0)
    text = g_strdup (_("Loading…"));
  else
    {
      g_autofree char *shown = g_strdup_printf ("%u", n);
      g_autofree char *all = g_strdup_printf ("%" G_GINT64_FORMAT, total);

      /* Translators: "100 of 52310 tickets" */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s ticket",
                                           "%s of %s tickets", (gulong) total), shown, all);
    }
  if (self->drill_label != NULL)
    {
      char *with = g_strdup_printf ("%s — %s", self->drill_label, text);

      g_free (text);
      text = with;
    }
  gtk_label_set_label (self->count_label, text);
}

/* Near the end of what is loaded: the next page. */
static void
maybe_load_more (FlHistoryWindow *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->list_scroller);
  double left = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_value (adj) -
                gtk_adjustment_get_page_size (adj);

  if (left < gtk_adjustment_get_page_size (adj))
    fl_history_model_load_more (self->model);
}

static void
on_model_changed_cb (FlHistoryWindow *self)
{
  update_count (self);
  if (!fl_history_model_get_loading (self->model))
    maybe_load_more (self);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *meta = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (meta), 0);
  gtk_label_set_ellipsize (GTK_LABEL (meta), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (meta, "dim-label");
  gtk_widget_add_css_class (meta, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), meta);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_list_item_set_child (item, box);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  FlTicket *t = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *title = gtk_widget_get_first_child (box);
  GtkWidget *meta = gtk_widget_get_next_sibling (title);
  g_autofree char *number = fl_ticket_dup_display_number (t);
  g_autofree char *first = g_strdup_printf ("%s  %s", number, t->title);
  g_autofree char *created = format_local (t->created_at);
  g_autofree char *second = g_strdup_printf ("%s · %s · %s · %s%s", fl_status_get_label (t->status),
                                             t->category, t->assignee ? t->assignee : "—",
                                             created, t->level == 2 ? " · L2" : "");

  gtk_label_set_label (GTK_LABEL (title), first);
  gtk_label_set_label (GTK_LABEL (meta), second);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, first, -1);
}

static void
timeline_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FlHistoryWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = fl_sync_engine_get_json_finish (FL_SYNC_ENGINE (source), result,
                                                             &error);
  guint stamp = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (self), "timeline-stamp"));
  JsonArray *events;
  GtkWidget *child;

  if (stamp != self->timeline_stamp || self->context == NULL)
    return;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->timeline_list))) != NULL)
    gtk_list_box_remove (self->timeline_list, child);

  if (node == NULL)
    {
      gtk_label_set_label (self->timeline_title, error->message);
      return;
    }

  events = json_object_get_array_member (json_node_get_object (node), "events");
  for (guint i = 0; events && i < json_array_get_length (events); i++)
    {
      g_autoptr(FlEvent) ev = fl_event_from_json (json_array_get_element (events, i), NULL);
      g_autofree char *what = NULL;
      g_autofree char *when = NULL;
      g_autofree char *text = NULL;
      GtkWidget *label;

      if (ev == NULL)
        continue;
      what = fl_event_describe (ev);
      when = format_local (ev->at);
      text = g_strdup_printf ("%s · %s\n%s", when, ev->author, what);
      label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_margin_start (label, 12);
      gtk_widget_set_margin_end (label, 12);
      gtk_widget_set_margin_top (label, 6);
      gtk_widget_set_margin_bottom (label, 6);
      gtk_list_box_append (self->timeline_list, label);
    }
}

static void
on_list_activate_cb (GtkListView     *view,
                     guint            position,
                     FlHistoryWindow *self)
{
  g_autoptr(FlTicket) t = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  g_autofree char *path = NULL;
  g_autofree char *number = NULL;
  g_autofree char *title = NULL;

  if (t == NULL)
    return;
  number = fl_ticket_dup_display_number (t);
  title = g_strdup_printf ("%s  %s", number, t->title);
  gtk_label_set_label (self->timeline_title, title);
  path = g_strdup_printf ("/api/v1/tickets/%s", t->id);
  self->timeline_stamp++;
  g_object_set_data (G_OBJECT (self), "timeline-stamp", GUINT_TO_POINTER (self->timeline_stamp));
  fl_sync_engine_get_json_async (get_engine (self), path, self->cancellable, timeline_done_cb,
                                 g_object_ref (self));
}

static void
clear_drilldown_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  FlHistoryWindow *self = FL_HISTORY_WINDOW (widget);

  g_clear_pointer (&self->drill, fl_history_filter_free);
  g_clear_pointer (&self->drill_label, g_free);
  gtk_widget_set_visible (self->drill_button, FALSE);
  apply_filter (self);
  update_count (self);
}

/* -------------------------------------------------------------------------- */
/* Export                                                                        */

typedef struct
{
  FlHistoryWindow   *self;
  GFile             *file;
  GFileOutputStream *out;
  FlHistoryFilter   *filter;
  char              *after;
  GString           *text;
  guint              rows;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_clear_object (&job->self);
  g_clear_object (&job->file);
  g_clear_object (&job->out);
  fl_history_filter_free (job->filter);
  g_free (job->after);
  g_string_free (job->text, TRUE);
  g_free (job);
}

static void export_next_page (ExportJob *job);

static void
export_finish (ExportJob  *job,
               const char *error)
{
  g_autofree char *name = g_file_get_basename (job->file);
  g_autofree char *text = NULL;

  if (error != NULL)
    {
      g_autoptr(GCancellable) cancel = g_cancellable_new ();

      g_cancellable_cancel (cancel);
      if (job->out != NULL)
        g_output_stream_close (G_OUTPUT_STREAM (job->out), cancel, NULL);
      /* Translators: %s is why the export failed */
      text = g_strdup_printf (_("Export failed: %s"), error);
    }
  else
    /* Translators: "Exported 1200 tickets to history.csv" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u ticket to %s",
                                         "Exported %u tickets to %s", job->rows),
                            job->rows, name);
  adw_view_switcher_title_set_subtitle (job->self->switcher_title, text);
  g_object_set_data (G_OBJECT (job->self), "export-done", GINT_TO_POINTER (error ? 2 : 1));
  export_job_free (job);
}

static void
export_closed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ExportJob *job = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    export_finish (job, error->message);
  else
    export_finish (job, NULL);
}

static void
export_written_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ExportJob *job = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      export_finish (job, error->message);
      return;
    }
  g_string_truncate (job->text, 0);
  if (job->after == NULL)
    g_output_stream_close_async (G_OUTPUT_STREAM (job->out), G_PRIORITY_DEFAULT, NULL,
                                 export_closed_cb, job);
  else
    export_next_page (job);
}

static void
export_page_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExportJob *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) page = fl_sync_engine_get_json_finish (FL_SYNC_ENGINE (source), result,
                                                             &error);
  g_autoptr(GPtrArray) tickets = NULL;
  gint64 now = fl_time_now ();

  g_clear_pointer (&job->after, g_free);
  if (page == NULL || !(tickets = fl_history_parse_page (page, NULL, &job->after, &error)))
    {
      export_finish (job, error->message);
      return;
    }
  for (guint i = 0; i < tickets->len; i++)
    fl_csv_append_ticket (job->text, g_ptr_array_index (tickets, i), now);
  job->rows += tickets->len;
  g_output_stream_write_all_async (G_OUTPUT_STREAM (job->out), job->text->str, job->text->len,
                                   G_PRIORITY_DEFAULT, NULL, export_written_cb, job);
}

static void
export_next_page (ExportJob *job)
{
  g_autofree char *path = fl_history_query_path (job->filter, job->after, 500);

  fl_sync_engine_get_json_async (get_engine (job->self), path, NULL, export_page_cb, job);
}

static void
export_replaced_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ExportJob *job = user_data;
  g_autoptr(GError) error = NULL;

  job->out = g_file_replace_finish (G_FILE (source), result, &error);
  if (job->out == NULL)
    {
      export_finish (job, error->message);
      return;
    }
  fl_csv_append_header (job->text);
  export_next_page (job);
}

void
fl_history_window_export_to (FlHistoryWindow *self,
                             GFile           *file)
{
  ExportJob *job;

  g_return_if_fail (FL_IS_HISTORY_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  job = g_new0 (ExportJob, 1);
  job->self = g_object_ref (self);
  job->file = g_object_ref (file);
  job->filter = filter_from_widgets (self);
  job->text = g_string_new (NULL);
  g_object_set_data (G_OBJECT (self), "export-done", NULL);
  adw_view_switcher_title_set_subtitle (self->switcher_title, _("Exporting…"));
  g_file_replace_async (file, NULL, FALSE, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT, NULL,
                        export_replaced_cb, job);
}

static void
on_export_response_cb (GtkNativeDialog *dialog,
                       int              response,
                       FlHistoryWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        fl_history_window_export_to (self, file);
    }
  g_object_unref (dialog);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FlHistoryWindow *self = FL_HISTORY_WINDOW (widget);
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Export the History"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "firstline-history.csv");
  gtk_file_filter_set_name (csv, _("CSV files"));
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), csv);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* -------------------------------------------------------------------------- */
/* The dashboard                                                                 */

/* Opens the history with the dashboard's range and one figure's tickets. */
static void
drill_down (FlHistoryWindow *self,
            const char      *label,
            const char      *kpi,
            const char      *resolved_by,
            const char      *handed_off_by,
            const char      *category,
            const char      *from,
            const char      *to)
{
  g_autoptr(FlHistoryFilter) f = fl_history_filter_new ();

  f->from = g_strdup (from ? from : self->range_from);
  f->to = g_strdup (to ? to : self->range_to);
  f->category = g_strdup (category);
  f->kpi = g_strdup (kpi);
  f->resolved_by = g_strdup (resolved_by);
  f->handed_off_by = g_strdup (handed_off_by);
  fl_history_window_show_history (self, f);
  g_free (self->drill_label);
  self->drill_label = g_strdup (label);
  update_count (self);
}

typedef struct
{
  const char *kpi;
  const char *resolved_by;
  const char *handed_off_by;
} Drill;

static void
on_figure_clicked_cb (GtkButton       *button,
                      FlHistoryWindow *self)
{
  drill_down (self, g_object_get_data (G_OBJECT (button), "label"),
              g_object_get_data (G_OBJECT (button), "kpi"),
              g_object_get_data (G_OBJECT (button), "resolved-by"),
              g_object_get_data (G_OBJECT (button), "handed-off-by"),
              NULL, NULL, NULL);
}

static GtkWidget *
figure_button (FlHistoryWindow *self,
               const char      *title,
               const char      *value,
               const char      *delta,
               const char      *kpi,
               const char      *resolved_by,
               const char      *handed_off_by,
               gboolean         big)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *v = gtk_label_new (value);
  g_autofree char *spoken = g_strdup_printf ("%s: %s%s%s", title, value, delta ? ", " : "",
                                             delta ? delta : "");

  gtk_widget_add_css_class (v, big ? "title-2" : "heading");
  gtk_box_append (GTK_BOX (box), v);
  if (title != NULL && big)
    {
      GtkWidget *t = gtk_label_new (title);

      gtk_widget_add_css_class (t, "caption-heading");
      gtk_box_append (GTK_BOX (box), t);
    }
  if (delta != NULL)
    {
      GtkWidget *d = gtk_label_new (delta);

      gtk_widget_add_css_class (d, "caption");
      gtk_widget_add_css_class (d, "dim-label");
      gtk_box_append (GTK_BOX (box), d);
    }
  gtk_button_set_child (GTK_BUTTON (button), box);
  if (big)
    gtk_widget_add_css_class (button, "card");
  else
    gtk_widget_add_css_class (button, "flat");
  g_object_set_data_full (G_OBJECT (button), "label", g_strdup (title), g_free);
  g_object_set_data_full (G_OBJECT (button), "kpi", g_strdup (kpi), g_free);
  g_object_set_data_full (G_OBJECT (button), "resolved-by", g_strdup (resolved_by), g_free);
  g_object_set_data_full (G_OBJECT (button), "handed-off-by", g_strdup (handed_off_by), g_free);
  gtk_widget_set_tooltip_text (button, _("Show these tickets in the history"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, spoken,
                                  -1);
  g_signal_connect (button, "clicked", G_CALLBACK (on_figure_clicked_cb), self);
  return button;
}

typedef enum { FIG_COUNT, FIG_RATE, FIG_SECONDS } FigureKind;

static void
add_kpi (FlHistoryWindow *self,
         const char      *title,
         const char      *member,
         FigureKind       kind,
         const char      *kpi)
{
  JsonObject *now = json_node_get_object (self->summary);
  JsonObject *before = self->previous ? json_node_get_object (self->previous) : NULL;
  g_autofree char *value = NULL;
  g_autofree char *delta = NULL;

  if (kind == FIG_RATE)
    {
      double v = json_object_get_double_member_with_default (now, member, 0);
      double p = before ? json_object_get_double_member_with_default (before, member, 0) : 0;

      value = g_strdup_printf ("%.1f %%", v * 100);
      /* Translators: the change against the previous range, in percentage points */
      delta = g_strdup_printf (_("%+.1f pts vs. previous"), (v - p) * 100);
    }
  else
    {
      gint64 v = json_object_get_int_member_with_default (now, member, 0);
      gint64 p = before ? json_object_get_int_member_with_default (before, member, 0) : 0;

      if (kind == FIG_SECONDS)
        {
          g_autofree char *was = format_duration (p);

          value = format_duration (v);
          /* Translators: %s is the figure of the previous range */
          delta = g_strdup_printf (_("previous: %s"), was);
        }
      else
        {
          g_autofree char *change = g_strdup_printf ("%+" G_GINT64_FORMAT, v - p);

          value = g_strdup_printf ("%" G_GINT64_FORMAT, v);
          /* Translators: the change against the previous range, e.g. "+12 vs. previous" */
          delta = g_strdup_printf (_("%s vs. previous"), change);
        }
    }
  gtk_flow_box_append (self->kpi_box, figure_button (self, title, value, delta, kpi, NULL, NULL,
                                                     TRUE));
}

static void
clear_children (GtkWidget *parent)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (parent)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (parent))
        gtk_flow_box_remove (GTK_FLOW_BOX (parent), child);
      else if (GTK_IS_GRID (parent))
        gtk_grid_remove (GTK_GRID (parent), child);
      else
        gtk_box_remove (GTK_BOX (parent), child);
    }
}

static void
grid_label (GtkGrid    *grid,
            const char *text,
            int         column,
            int         row)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_grid_attach (grid, label, column, row, 1, 1);
}

static void
show_summary (FlHistoryWindow *self)
{
  JsonObject *o = json_node_get_object (self->summary);
  JsonArray *aging = json_object_get_array_member (o, "backlog_aging");
  JsonArray *days = json_object_get_array_member (o, "by_day");
  JsonArray *cats = json_object_get_array_member (o, "by_category");
  JsonArray *agents = json_object_get_array_member (o, "by_agent");
  static const struct { const char *bucket; const char *label; } buckets[] = {
    { "lt_4h", N_("< 4 h") }, { "4h_24h", N_("4–24 h") }, { "1d_3d", N_("1–3 days") },
    { "3d_7d", N_("3–7 days") }, { "gt_7d", N_("> 7 days") },
  };
  g_autofree char *range = NULL;
  g_autofree char *prev_range = NULL;
  guint n;

  clear_children (GTK_WIDGET (self->kpi_box));
  add_kpi (self, _("Created"), "created", FIG_COUNT, NULL);
  add_kpi (self, _("Resolved"), "resolved", FIG_COUNT, "resolved");
  add_kpi (self, _("Escalated"), "escalated", FIG_COUNT, "escalated");
  add_kpi (self, _("Open"), "open", FIG_COUNT, "open");
  add_kpi (self, _("First-contact resolution"), "first_contact_rate", FIG_RATE, "first_contact");
  add_kpi (self, _("Level-1 resolution"), "level1_resolution_rate", FIG_RATE, "level1");
  add_kpi (self, _("Escalation rate"), "escalation_rate", FIG_RATE, "escalated");
  add_kpi (self, _("Reopened within 7 days"), "reopen_rate", FIG_RATE, "reopened");
  add_kpi (self, _("Median time to resolve"), "median_resolve_seconds", FIG_SECONDS, "resolved");
  add_kpi (self, _("90th percentile to resolve"), "p90_resolve_seconds", FIG_SECONDS, "resolved");
  add_kpi (self, _("SLA breaches"), "sla_breaches", FIG_COUNT, "breached");

  clear_children (GTK_WIDGET (self->aging_box));
  for (guint i = 0; aging && i < json_array_get_length (aging) && i < G_N_ELEMENTS (buckets); i++)
    {
      JsonObject *b = json_array_get_object_element (aging, i);
      g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                json_object_get_int_member (b, "open"));

      gtk_box_append (self->aging_box,
                      figure_button (self, _(buckets[i].label), value, NULL,
                                     json_object_get_string_member (b, "bucket"), NULL, NULL,
                                     TRUE));
    }

  /* per day */
  n = days ? json_array_get_length (days) : 0;
  {
    g_autofree const char **labels = g_new0 (const char *, n + 1);
    g_autofree gint64 *created = g_new0 (gint64, n + 1);
    g_autofree gint64 *resolved = g_new0 (gint64, n + 1);

    g_strfreev (self->day_keys);
    self->day_keys = g_new0 (char *, n + 1);
    for (guint i = 0; i < n; i++)
      {
        JsonObject *d = json_array_get_object_element (days, i);

        self->day_keys[i] = g_strdup (json_object_get_string_member (d, "day"));
        labels[i] = self->day_keys[i];
        created[i] = json_object_get_int_member (d, "created");
        resolved[i] = json_object_get_int_member (d, "resolved");
      }
    fl_bar_chart_set_data (self->day_chart, labels, created, resolved, n);
  }

  /* per category */
  n = cats ? json_array_get_length (cats) : 0;
  {
    g_autofree const char **labels = g_new0 (const char *, n + 1);
    g_autofree gint64 *created = g_new0 (gint64, n + 1);
    g_autofree gint64 *resolved = g_new0 (gint64, n + 1);

    g_strfreev (self->category_keys);
    self->category_keys = g_new0 (char *, n + 1);
    for (guint i = 0; i < n; i++)
      {
        JsonObject *c = json_array_get_object_element (cats, i);

        self->category_keys[i] = g_strdup (json_object_get_string_member (c, "category"));
        labels[i] = self->category_keys[i];
        created[i] = json_object_get_int_member (c, "created");
        resolved[i] = json_object_get_int_member (c, "resolved");
      }
    fl_bar_chart_set_data (self->category_chart, labels, created, resolved, n);
  }

  /* per agent */
  clear_children (GTK_WIDGET (self->agent_grid));
  grid_label (self->agent_grid, _("Agent"), 0, 0);
  grid_label (self->agent_grid, _("Resolved"), 1, 0);
  grid_label (self->agent_grid, _("First contact"), 2, 0);
  grid_label (self->agent_grid, _("Handed off"), 3, 0);
  for (guint i = 0; agents && i < json_array_get_length (agents); i++)
    {
      JsonObject *a = json_array_get_object_element (agents, i);
      const char *name = json_object_get_string_member (a, "agent");
      g_autofree char *resolved = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                   json_object_get_int_member (a, "resolved"));
      g_autofree char *fc = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             json_object_get_int_member (a, "first_contact"));
      g_autofree char *esc = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              json_object_get_int_member (a, "escalated"));
      g_autofree char *l1 = g_strdup_printf (_("Resolved by %s"), name);
      g_autofree char *l2 = g_strdup_printf (_("Resolved at first contact by %s"), name);
      g_autofree char *l3 = g_strdup_printf (_("Handed off by %s"), name);
      GtkWidget *label = gtk_label_new (name);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_grid_attach (self->agent_grid, label, 0, i + 1, 1, 1);
      gtk_grid_attach (self->agent_grid,
                       figure_button (self, l1, resolved, NULL, NULL, name, NULL, FALSE),
                       1, i + 1, 1, 1);
      gtk_grid_attach (self->agent_grid,
                       figure_button (self, l2, fc, NULL, "first_contact", name, NULL, FALSE),
                       2, i + 1, 1, 1);
      gtk_grid_attach (self->agent_grid,
                       figure_button (self, l3, esc, NULL, NULL, NULL, name, FALSE),
                       3, i + 1, 1, 1);
    }

  range = g_strdup_printf ("%s – %s", self->range_from, self->range_to);
  if (self->previous != NULL)
    prev_range = g_strdup_printf ("%s – %s",
                                  json_object_get_string_member (json_node_get_object (self->previous), "from"),
                                  json_object_get_string_member (json_node_get_object (self->previous), "to"));
  {
    /* Translators: the report's range, then the range it is compared with */
    g_autofree char *text = g_strdup_printf (_("%s, compared with the %d days before"), range,
                                             (int) ((parse_day (self->range_to) -
                                                     parse_day (self->range_from)) / DAY_MS + 1));
    gtk_label_set_label (self->range_label, text);
  }
}

typedef struct
{
  FlHistoryWindow *self;
  guint            stamp;
  gboolean         previous;
} DashboardRequest;

static void
summary_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree DashboardRequest *req = user_data;
  g_autoptr(FlHistoryWindow) self = req->self;
  g_autoptr(GError) error = NULL;
  JsonNode *node = fl_sync_engine_get_json_finish (FL_SYNC_ENGINE (source), result, &error);

  if (req->stamp != self->dashboard_stamp)
    {
      g_clear_pointer (&node, json_node_unref);
      return;
    }
  if (node == NULL)
    {
      gtk_label_set_label (self->range_label, error->message);
      return;
    }
  if (req->previous)
    {
      g_clear_pointer (&self->previous, json_node_unref);
      self->previous = node;
    }
  else
    {
      g_clear_pointer (&self->summary, json_node_unref);
      self->summary = node;
    }
  if (self->summary != NULL && self->previous != NULL)
    {
      show_summary (self);
      g_object_set_data (G_OBJECT (self), "dashboard-ready", GINT_TO_POINTER (1));
    }
}

static void
request_summary (FlHistoryWindow *self,
                 const char      *from,
                 const char      *to,
                 gboolean         previous)
{
  DashboardRequest *req = g_new0 (DashboardRequest, 1);
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/summary?from=%s&to=%s", from, to);

  req->self = g_object_ref (self);
  req->stamp = self->dashboard_stamp;
  req->previous = previous;
  fl_sync_engine_get_json_async (get_engine (self), path, self->cancellable, summary_done_cb, req);
}

void
fl_history_window_show_dashboard (FlHistoryWindow *self,
                                  const char      *from,
                                  const char      *to)
{
  gint64 f, t, len;
  g_autofree char *prev_from = NULL;
  g_autofree char *prev_to = NULL;

  g_return_if_fail (FL_IS_HISTORY_WINDOW (self));

  f = parse_day (from);
  t = parse_day (to);
  if (f == 0 || t == 0 || f > t)
    {
      gtk_label_set_label (self->range_label, _("Enter the range as two dates, YYYY-MM-DD"));
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->range_from_entry), from);
  gtk_editable_set_text (GTK_EDITABLE (self->range_to_entry), to);
  g_free (self->range_from);
  g_free (self->range_to);
  self->range_from = g_strdup (from);
  self->range_to = g_strdup (to);
  len = t - f + DAY_MS;
  prev_from = format_day (f - len);
  prev_to = format_day (f - DAY_MS);

  self->dashboard_stamp++;
  g_clear_pointer (&self->summary, json_node_unref);
  g_clear_pointer (&self->previous, json_node_unref);
  g_object_set_data (G_OBJECT (self), "dashboard-ready", NULL);
  gtk_label_set_label (self->range_label, _("Loading…"));
  request_summary (self, from, to, FALSE);
  request_summary (self, prev_from, prev_to, TRUE);
  adw_view_stack_set_visible_child_name (self->view_stack, "dashboard");
}

static void
refresh_dashboard_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  FlHistoryWindow *self = FL_HISTORY_WINDOW (widget);
  g_autofree char *from = entry_text (self->range_from_entry);
  g_autofree char *to = entry_text (self->range_to_entry);

  fl_history_window_show_dashboard (self, from, to);
}

static void
on_day_bar_cb (FlBarChart      *chart,
               guint            row,
               guint            series,
               FlHistoryWindow *self)
{
  const char *day;

  if (self->day_keys == NULL || row >= g_strv_length (self->day_keys))
    return;
  day = self->day_keys[row];
  if (series == 0)
    drill_down (self, _("Created that day"), NULL, NULL, NULL, NULL, day, day);
  else
    {
      g_autoptr(FlHistoryFilter) f = fl_history_filter_new ();

      /* the range's tickets resolved that day, as by_day counts them */
      f->from = g_strdup (self->range_from);
      f->to = g_strdup (self->range_to);
      f->resolved_from = g_strdup (day);
      f->resolved_to = g_strdup (day);
      fl_history_window_show_history (self, f);
      g_free (self->drill_label);
      self->drill_label = g_strdup (_("Resolved that day"));
      update_count (self);
    }
}

static void
on_category_bar_cb (FlBarChart      *chart,
                    guint            row,
                    guint            series,
                    FlHistoryWindow *self)
{
  if (self->category_keys == NULL || row >= g_strv_length (self->category_keys))
    return;
  drill_down (self, series == 0 ? _("Created") : _("Resolved"), series == 0 ? NULL : "resolved",
              NULL, NULL, self->category_keys[row], NULL, NULL);
}

/* -------------------------------------------------------------------------- */

static void
fl_history_window_dispose (GObject *object)
{
  FlHistoryWindow *self = FL_HISTORY_WINDOW (object);

  g_clear_handle_id (&self->filter_source_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->model);
  g_clear_object (&self->context);
  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_HISTORY_WINDOW);

  G_OBJECT_CLASS (fl_history_window_parent_class)->dispose (object);
}

static void
fl_history_window_finalize (GObject *object)
{
  FlHistoryWindow *self = FL_HISTORY_WINDOW (object);

  g_clear_pointer (&self->drill, fl_history_filter_free);
  g_free (self->drill_label);
  g_clear_pointer (&self->summary, json_node_unref);
  g_clear_pointer (&self->previous, json_node_unref);
  g_free (self->range_from);
  g_free (self->range_to);
  g_strfreev (self->day_keys);
  g_strfreev (self->category_keys);

  G_OBJECT_CLASS (fl_history_window_parent_class)->finalize (object);
}

static void
fl_history_window_class_init (FlHistoryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_history_window_dispose;
  object_class->finalize = fl_history_window_finalize;

  g_type_ensure (FL_TYPE_BAR_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-history-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, dashboard_page);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, export_button);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, from_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, to_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, agent_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, queue_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, level_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, drill_button);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, timeline_title);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, timeline_list);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, range_from_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, range_to_entry);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, range_label);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, kpi_box);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, aging_box);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, day_chart);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, category_chart);
  gtk_widget_class_bind_template_child (widget_class, FlHistoryWindow, agent_grid);

  gtk_widget_class_install_action (widget_class, "history.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "history.clear-drilldown", NULL,
                                   clear_drilldown_action);
  gtk_widget_class_install_action (widget_class, "history.refresh-dashboard", NULL,
                                   refresh_dashboard_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static GListModel *
string_list (const char * const *first,
             const char * const *items,
             gboolean            status_labels)
{
  GtkStringList *list = gtk_string_list_new ((const char * const *) first);

  for (guint i = 0; items && items[i]; i++)
    gtk_string_list_append (list, items[i]);
  for (guint i = 0; status_labels && i <= FL_STATUS_CLOSED; i++)
    gtk_string_list_append (list, fl_status_get_label (i));
  return G_LIST_MODEL (list);
}

static void
fl_history_window_init (FlHistoryWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  const char *any_category[] = { _("Any category"), NULL };
  const char *any_status[] = { _("Any status"), NULL };
  const char *levels[] = { _("Any level"), _("Level 1"), _("Level 2"), NULL };
  GtkEditable *editables[4];

  gtk_widget_init_template (GTK_WIDGET (self));
  editables[0] = GTK_EDITABLE (self->from_entry);
  editables[1] = GTK_EDITABLE (self->to_entry);
  editables[2] = GTK_EDITABLE (self->agent_entry);
  editables[3] = GTK_EDITABLE (self->queue_entry);
  self->cancellable = g_cancellable_new ();

  gtk_drop_down_set_model (self->category_dropdown, string_list (any_category, categories, FALSE));
  gtk_drop_down_set_model (self->status_dropdown, string_list (any_status, NULL, TRUE));
  gtk_drop_down_set_model (self->level_dropdown, string_list (levels, NULL, FALSE));
  g_object_unref (gtk_drop_down_get_model (self->category_dropdown));
  g_object_unref (gtk_drop_down_get_model (self->status_dropdown));
  g_object_unref (gtk_drop_down_get_model (self->level_dropdown));

  for (guint i = 0; i < G_N_ELEMENTS (editables); i++)
    {
      g_signal_connect_swapped (editables[i], "changed", G_CALLBACK (on_filter_changed_cb), self);
      g_signal_connect_swapped (editables[i], "activate", G_CALLBACK (apply_filter), self);
    }
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (on_filter_changed_cb),
                            self);
  g_signal_connect_swapped (self->category_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_changed_cb), self);
  g_signal_connect_swapped (self->status_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_changed_cb), self);
  g_signal_connect_swapped (self->level_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_changed_cb), self);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (on_list_activate_cb), self);
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (self->list_scroller),
                            "value-changed", G_CALLBACK (maybe_load_more), self);

  fl_bar_chart_set_series (self->day_chart, _("Created"), _("Resolved"));
  fl_bar_chart_set_series (self->category_chart, _("Created"), _("Resolved"));
  g_signal_connect (self->day_chart, "bar-activated", G_CALLBACK (on_day_bar_cb), self);
  g_signal_connect (self->category_chart, "bar-activated", G_CALLBACK (on_category_bar_cb), self);
}

/* -------------------------------------------------------------------------- */

gboolean
fl_history_window_role_allowed (FlRole role)
{
  return role == FL_ROLE_LEAD || role == FL_ROLE_SPECIALIST;
}

GtkWidget *
fl_history_window_new (GtkWindow *parent,
                       FlContext *context)
{
  FlHistoryWindow *self;
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autoptr(FlHistoryFilter) filter = fl_history_filter_new ();
  gboolean lead;
  gint64 today;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  self = g_object_new (FL_TYPE_HISTORY_WINDOW, NULL);
  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (self), parent);
  self->context = g_object_ref (context);
  self->model = fl_history_model_new (get_engine (self));
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (on_model_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify", G_CALLBACK (on_model_changed_cb), self,
                           G_CONNECT_SWAPPED);

  /* Specialists browse the history; the dashboard and the export are for leads. */
  lead = fl_store_get_role (fl_context_get_store (context)) == FL_ROLE_LEAD;
  adw_view_stack_page_set_visible (self->dashboard_page, lead);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.export", lead);
  gtk_widget_set_visible (self->export_button, lead);

  today = fl_time_now () / DAY_MS * DAY_MS;
  from = format_day (today - 29 * DAY_MS);
  to = format_day (today);
  gtk_editable_set_text (GTK_EDITABLE (self->range_from_entry), from);
  gtk_editable_set_text (GTK_EDITABLE (self->range_to_entry), to);
  g_free (self->range_from);
  g_free (self->range_to);
  self->range_from = g_strdup (from);
  self->range_to = g_strdup (to);
  fl_history_model_set_filter (self->model, filter);
  adw_view_stack_set_visible_child_name (self->view_stack, "history");

  return GTK_WIDGET (self);
}

void
fl_history_window_show_history (FlHistoryWindow       *self,
                                const FlHistoryFilter *filter)
{
  guint cat = 0, status = 0;

  g_return_if_fail (FL_IS_HISTORY_WINDOW (self));
  g_return_if_fail (filter != NULL);

  self->setting_filter = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), filter->from ? filter->from : "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), filter->to ? filter->to : "");
  gtk_editable_set_text (GTK_EDITABLE (self->agent_entry), filter->assignee ? filter->assignee : "");
  gtk_editable_set_text (GTK_EDITABLE (self->queue_entry), filter->queue ? filter->queue : "");
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), filter->q ? filter->q : "");
  for (guint i = 0; filter->category && categories[i]; i++)
    if (g_str_equal (categories[i], filter->category))
      cat = i + 1;
  gtk_drop_down_set_selected (self->category_dropdown, cat);
  if (filter->status != NULL && fl_status_from_string (filter->status, (FlStatus *) &status))
    status++;
  gtk_drop_down_set_selected (self->status_dropdown, status);
  gtk_drop_down_set_selected (self->level_dropdown, (guint) CLAMP (filter->level, 0, 2));
  self->setting_filter = FALSE;

  g_clear_pointer (&self->drill, fl_history_filter_free);
  g_clear_pointer (&self->drill_label, g_free);
  if (filter->kpi || filter->resolved_by || filter->handed_off_by || filter->resolved_from ||
      filter->resolved_to)
    {
      self->drill = fl_history_filter_new ();
      self->drill->kpi = g_strdup (filter->kpi);
      self->drill->resolved_by = g_strdup (filter->resolved_by);
      self->drill->handed_off_by = g_strdup (filter->handed_off_by);
      self->drill->resolved_from = g_strdup (filter->resolved_from);
      self->drill->resolved_to = g_strdup (filter->resolved_to);
    }
  gtk_widget_set_visible (self->drill_button, self->drill != NULL);
  apply_filter (self);
  adw_view_stack_set_visible_child_name (self->view_stack, "history");
  update_count (self);
}

const FlHistoryFilter *
fl_history_window_get_filter (FlHistoryWindow *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_WINDOW (self), NULL);

  return fl_history_model_get_filter (self->model);
}

GListModel *
fl_history_window_get_model (FlHistoryWindow *self)
{
  g_return_val_if_fail (FL_IS_HISTORY_WINDOW (self), NULL);

  return G_LIST_MODEL (self->model);
}
