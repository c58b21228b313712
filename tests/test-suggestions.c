/* test-suggestions.c — similar tickets, the caller's history and the duplicate
 * warning beside the new-ticket form, on a real cache, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "fl-answer-completion.h"
#include "fl-intake-dialog-private.h"
#include "fl-ticket-detail.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"

#define HOUR (3600 * 1000LL)

typedef struct
{
  char           *dir;
  char           *path;
  FlStore        *store;
  FlContext      *context;
  GtkWidget      *parent;
  FlIntakeDialog *dialog;
  guint           serial;
  char           *copied;
} Fixture;

static FlTicket *
make_ticket (gint64      number,
             const char *title,
             const char *description,
             const char *resolution,
             const char *category,
             const char *requester,
             gint64      created_at)
{
  FlTicket *t = fl_ticket_new ();

  g_free (t->id);

  t->id = fl_uuid_new ();
  t->number = number;
  t->version = 2;
  g_free (t->title);
  t->title = g_strdup (title);
  g_free (t->description);
  t->description = g_strdup (description);
  g_free (t->requester.name);
  t->requester.name = g_strdup (requester);
  t->channel = FL_CHANNEL_PHONE;
  g_free (t->category);
  t->category = g_strdup (category);
  t->impact = FL_GRADE_MEDIUM;
  t->urgency = FL_GRADE_MEDIUM;
  t->priority = 3;
  t->status = resolution ? FL_STATUS_RESOLVED : FL_STATUS_IN_PROGRESS;
  t->level = 1;
  g_free (t->queue);
  t->queue = g_strdup ("first-level");
  t->resolution_code = resolution ? FL_RESOLUTION_SOLVED : FL_RESOLUTION_NONE;
  t->resolution_summary = g_strdup (resolution);
  g_free (t->created_by);
  t->created_by = g_strdup ("alex");
  t->created_at = created_at;
  t->updated_at = created_at + HOUR / 2;
  t->resolved_at = resolution ? created_at + HOUR / 2 : 0;
  t->due_at = created_at + 8 * HOUR;
  return t;
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / 1000;

  f->dir = g_dir_make_tmp ("firstline-suggestions-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (f->path, &error);
  g_assert_no_error (error);
  fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);

  g_ptr_array_add (tickets, make_ticket (101, "VPN trennt sich im Homeoffice",
                                         "AnyConnect bricht alle paar Minuten ab.",
                                         "Energiesparmodus des WLAN-Adapters abgeschaltet.",
                                         "network", "Tom Baker", now - 30 * 24 * HOUR));
  g_ptr_array_add (tickets, make_ticket (102, "Drucker druckt leere Seiten", "", "Toner getauscht.",
                                         "printer", "Uwe Schwarz", now - 10 * 24 * HOUR));
  g_ptr_array_add (tickets, make_ticket (103, "VPN verbindet nicht mehr", "Seit heute morgen.", NULL,
                                         "network", "Jana Krüger", now - 5 * HOUR));
  g_ptr_array_add (tickets, make_ticket (104, "Monitor flackert", "", "Kabel getauscht.",
                                         "hardware", "Jana Krüger", now - 40 * 24 * HOUR));
  g_assert_true (fl_store_put_tickets (f->store, tickets, NULL, &error));
  g_assert_no_error (error);

  f->context = fl_context_new (f->store, NULL);
  f->parent = gtk_window_new ();
  g_object_ref_sink (f->parent);
  gtk_window_set_default_size (GTK_WINDOW (f->parent), 1280, 800);
  fl_test_present (GTK_WINDOW (f->parent));

  f->dialog = fl_intake_dialog_new (GTK_WINDOW (f->parent), f->context);
  g_object_add_weak_pointer (G_OBJECT (f->dialog), (gpointer *) &f->dialog);
  fl_test_present (GTK_WINDOW (f->dialog));
}

static void
fixture_close (Fixture *f)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  if (f->dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (f->dialog), (gpointer *) &f->dialog);
      gtk_window_destroy (GTK_WINDOW (f->dialog));
    }
  gtk_window_destroy (GTK_WINDOW (f->parent));
  g_clear_object (&f->parent);
  fl_test_spin_until_idle ();
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (f->path, suffixes[i], NULL);
      g_unlink (file);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_free (f->copied);
}

static gboolean
search_finished (gpointer data)
{
  Fixture *f = data;

  return fl_suggestions_panel_get_serial (_fl_intake_dialog_get_suggestions (f->dialog)) > f->serial;
}

static void
wait_for_search (Fixture *f)
{
  fl_test_spin_until (search_finished, f, 10);
  f->serial = fl_suggestions_panel_get_serial (_fl_intake_dialog_get_suggestions (f->dialog));
}

static GtkWidget *
find_list (GtkWidget  *root,
           const char *label)
{
  for (GtkWidget *w = gtk_widget_get_first_child (root); w; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found;

      if (GTK_IS_LIST_BOX (w))
        {
          /* the heading just before the list */
          if (GTK_IS_LABEL (gtk_widget_get_prev_sibling (w)) &&
              g_str_equal (gtk_label_get_text (GTK_LABEL (gtk_widget_get_prev_sibling (w))), label))
            return w;
        }
      if ((found = find_list (w, label)) != NULL)
        return found;
    }
  return NULL;
}

static guint
count_rows (GtkWidget *list)
{
  guint n = 0;

  for (GtkWidget *w = gtk_widget_get_first_child (list); w; w = gtk_widget_get_next_sibling (w))
    n++;
  return n;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *tooltip)
{
  for (GtkWidget *w = gtk_widget_get_first_child (root); w; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (w) && (g_strcmp0 (gtk_widget_get_tooltip_text (w), tooltip) == 0 ||
                                g_strcmp0 (gtk_button_get_label (GTK_BUTTON (w)), tooltip) == 0))
        return w;
      if ((found = find_button (w, tooltip)) != NULL)
        return found;
    }
  return NULL;
}

static void
type_row (Fixture    *f,
          const char *field,
          const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (_fl_intake_dialog_get_field_widget (f->dialog, field)), text);
}

static void
on_copy_cb (FlSuggestionsPanel *panel,
            FlTicket           *ticket,
            Fixture            *f)
{
  g_free (f->copied);
  f->copied = g_strdup (ticket->resolution_summary);
}

static void
test_panel (void)
{
  Fixture f = { 0 };
  FlSuggestionsPanel *panel;
  GtkWidget *similar;
  GtkWidget *history;
  FlTicket *dup;
  g_autoptr(FlTicket) after = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dup_id = NULL;
  gboolean noted = FALSE;

  fixture_open (&f);
  panel = _fl_intake_dialog_get_suggestions (f.dialog);
  g_assert_nonnull (panel);
  g_signal_connect (panel, "copy-resolution", G_CALLBACK (on_copy_cb), &f);

  /* typing: the search runs after a pause, off the main loop */
  type_row (&f, "title", "VPN bricht ständig ab");
  type_row (&f, "requester.name", "Jana Kruger");
  adw_combo_row_set_selected (ADW_COMBO_ROW (_fl_intake_dialog_get_field_widget (f.dialog, "category")),
                              4 /* network, after "Choose…" */);
  wait_for_search (&f);

  similar = find_list (GTK_WIDGET (panel), "Similar Solved Tickets");
  history = find_list (GTK_WIDGET (panel), "The Caller’s Tickets");
  g_assert_nonnull (similar);
  g_assert_nonnull (history);
  g_assert_true (gtk_widget_get_visible (similar));
  g_assert_cmpuint (count_rows (similar), >=, 1);
  /* the caller's open ticket and the solved one: 103, 104 */
  g_assert_cmpuint (count_rows (history), ==, 2);

  /* the open VPN ticket of the same caller from 5 hours ago */
  dup = fl_suggestions_panel_get_duplicate (panel);
  g_assert_nonnull (dup);
  g_assert_cmpint (dup->number, ==, 103);

  fl_test_save_screenshot (GTK_WIDGET (f.dialog), "intake-suggestions.png");

  /* copy a resolution: the first row's copy button */
  {
    GtkWidget *button = find_button (gtk_widget_get_first_child (similar),
                                     "Copy the resolution into a note");

    g_assert_nonnull (button);
    g_signal_emit_by_name (button, "clicked");
    g_assert_cmpstr (f.copied, ==, "Energiesparmodus des WLAN-Adapters abgeschaltet.");
  }

  /* "add a note to that ticket instead": the typed request lands on #103 */
  dup_id = g_strdup (dup->id);
  {
    GtkWidget *button = find_button (GTK_WIDGET (panel), "Add a Note to That Ticket Instead");

    g_assert_nonnull (button);
    fl_test_spin_until (fl_test_widget_is_mapped, button, 10);
    g_signal_emit_by_name (button, "clicked");
  }
  fl_test_spin_until_idle ();
  g_assert_null (f.dialog);
  events = fl_store_list_events (f.store, dup_id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      FlEvent *ev = events->pdata[i];

      if (ev->type == FL_OP_NOTE &&
          g_str_has_prefix (json_object_get_string_member (ev->data, "body"), "VPN bricht"))
        noted = TRUE;
    }
  g_assert_true (noted);

  fixture_close (&f);
}

static GtkTextView *
find_note_view (GtkWidget *root)
{
  for (GtkWidget *w = gtk_widget_get_first_child (root); w; w = gtk_widget_get_next_sibling (w))
    {
      GtkTextView *found;

      if (GTK_IS_TEXT_VIEW (w) && g_object_get_data (G_OBJECT (w), "fl-answer-completion"))
        return GTK_TEXT_VIEW (w);
      if ((found = find_note_view (w)) != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_panel (GtkWidget *root)
{
  for (GtkWidget *w = gtk_widget_get_first_child (root); w; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *found;

      if (FL_IS_SUGGESTIONS_PANEL (w))
        return w;
      if ((found = find_panel (w)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
panel_searched (gpointer data)
{
  return fl_suggestions_panel_get_serial (data) > 0;
}

static void
on_inserted_cb (FlAnswerCompletion *completion,
                const char         *id,
                char              **out)
{
  g_free (*out);
  *out = g_strdup (id);
}

/* "::" and a few letters in the ticket's note composer insert an answer, variables filled */
static void
test_answer_insertion (void)
{
  Fixture f = { 0 };
  GtkWidget *detail;
  GtkWidget *window;
  GtkTextView *view;
  GtkTextBuffer *buffer;
  FlAnswerCompletion *completion;
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) matches = NULL;
  g_auto(GStrv) none = NULL;
  g_autofree char *text = NULL;
  g_autofree char *inserted = NULL;
  GtkTextIter start, end;

  fixture_open (&f);
  gtk_window_destroy (GTK_WINDOW (f.dialog));
  fl_test_spin_until_idle ();

  window = gtk_window_new ();
  detail = fl_ticket_detail_new ();
  fl_ticket_detail_set_context (FL_TICKET_DETAIL (detail), f.context);
  ticket = fl_store_get_ticket (f.store, "#103", &error);
  g_assert_no_error (error);
  fl_ticket_detail_set_ticket (FL_TICKET_DETAIL (detail), ticket);
  gtk_window_set_child (GTK_WINDOW (window), detail);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  fl_test_present (GTK_WINDOW (window));

  view = find_note_view (detail);
  g_assert_nonnull (view);
  completion = g_object_get_data (G_OBJECT (view), "fl-answer-completion");
  g_signal_connect (completion, "answer-inserted", G_CALLBACK (on_inserted_cb), &inserted);
  buffer = gtk_text_view_get_buffer (view);

  gtk_text_buffer_insert_at_cursor (buffer, "Rückruf erledigt. ", -1);
  none = fl_answer_completion_dup_matches (completion);
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  gtk_text_buffer_insert_at_cursor (buffer, "::pwre", -1);
  matches = fl_answer_completion_dup_matches (completion);
  g_assert_cmpuint (g_strv_length (matches), ==, 1);
  g_assert_cmpstr (matches[0], ==, "password-reset-done");
  fl_test_spin_until_idle ();

  g_assert_true (fl_answer_completion_accept (completion));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_true (g_str_has_prefix (text, "Rückruf erledigt. "));
  g_assert_null (strstr (text, "::"));
  g_assert_null (strchr (text, '{'));
  g_assert_nonnull (strstr (text, "Jana Krüger"));
  g_assert_nonnull (strstr (text, "#103"));
  g_assert_nonnull (strstr (text, "alex"));
  g_assert_cmpstr (inserted, ==, "password-reset-done");

  /* the ticket detail's panel: the caller's other ticket, never the ticket itself, and
   * "copy the resolution" puts it into the note */
  {
    GtkWidget *panel = find_panel (detail);
    GtkWidget *history;
    GtkWidget *similar;
    GtkWidget *copy;
    g_autofree char *note = NULL;

    g_assert_nonnull (panel);
    fl_test_spin_until (panel_searched, panel, 10);
    history = find_list (panel, "The Caller’s Tickets");
    g_assert_cmpuint (count_rows (history), ==, 1);
    g_assert_null (fl_suggestions_panel_get_duplicate (FL_SUGGESTIONS_PANEL (panel)));
    similar = find_list (panel, "Similar Solved Tickets");
    copy = find_button (similar, "Copy the resolution into a note");
    g_assert_nonnull (copy);
    gtk_text_buffer_set_text (buffer, "", -1);
    g_signal_emit_by_name (copy, "clicked");
    gtk_text_buffer_get_bounds (buffer, &start, &end);
    note = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    g_assert_cmpstr (note, ==, "As in #101: Energiesparmodus des WLAN-Adapters abgeschaltet.\n");
  }

  /* by a word of the title (in the user's language; English here), any case */
  gtk_text_buffer_set_text (buffer, "", -1);
  gtk_text_buffer_insert_at_cursor (buffer, "::Reset", -1);
  g_clear_pointer (&matches, g_strfreev);
  matches = fl_answer_completion_dup_matches (completion);
  g_assert_true (g_strv_contains ((const char * const *) matches, "password-reset-done"));

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/suggestions/intake-panel", test_panel);
  g_test_add_func ("/suggestions/answer-insertion", test_answer_insertion);

  return g_test_run ();
}
