/* test-intake.c — the new-ticket form on a real cache, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fl-categories.h"
#include "fl-intake-dialog-private.h"
#include "fl-test-gui.h"
#include "fl-test-util.h"

typedef struct
{
  char           *dir;
  char           *path;
  FlStore        *store;
  FlContext      *context;
  GtkWidget      *parent;
  FlIntakeDialog *dialog;
  FlTicket       *created;
  guint           n_created;
} Fixture;

static void
on_created_cb (FlIntakeDialog *dialog,
               FlTicket       *ticket,
               Fixture        *f)
{
  g_assert_true (FL_IS_TICKET (ticket));
  g_set_object (&f->created, ticket);
  f->n_created++;
}

static gboolean
dialog_is_gone (gpointer data)
{
  return ((Fixture *) data)->dialog == NULL;
}

static void
open_dialog (Fixture *f)
{
  f->dialog = fl_intake_dialog_new (GTK_WINDOW (f->parent), f->context);
  g_object_add_weak_pointer (G_OBJECT (f->dialog), (gpointer *) &f->dialog);
  g_signal_connect (f->dialog, "created", G_CALLBACK (on_created_cb), f);
  fl_test_present (GTK_WINDOW (f->dialog));
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("firstline-intake-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "cache.db", NULL);
  f->store = fl_store_new (f->path, &error);
  g_assert_no_error (error);
  fl_store_set_user (f->store, "alex", FL_ROLE_AGENT, &error);
  g_assert_no_error (error);
  f->context = fl_context_new (f->store, NULL);

  f->parent = gtk_window_new ();
  g_object_ref_sink (f->parent);
  fl_test_present (GTK_WINDOW (f->parent));

  open_dialog (f);
}

static void
fixture_close (Fixture *f)
{
  if (f->dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (f->dialog), (gpointer *) &f->dialog);
      gtk_window_destroy (GTK_WINDOW (f->dialog));
    }
  gtk_window_destroy (GTK_WINDOW (f->parent));
  g_clear_object (&f->parent);
  fl_test_spin_until_idle ();
  g_clear_object (&f->created);
  g_clear_object (&f->context);
  g_clear_object (&f->store);
  if (f->dir != NULL)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *file = g_strconcat (f->path, suffixes[i], NULL);
          g_unlink (file);
        }
      g_rmdir (f->dir);
    }
  g_free (f->path);
  g_free (f->dir);
}

/* --- driving the widgets ----------------------------------------------------- */

static GtkWidget *
row (Fixture    *f,
     const char *field)
{
  GtkWidget *widget = _fl_intake_dialog_get_field_widget (f->dialog, field);

  g_assert_nonnull (widget);
  return widget;
}

static void
type_into (Fixture    *f,
           const char *field,
           const char *text)
{
  if (g_str_equal (field, "description"))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (_fl_intake_dialog_get_description_view (f->dialog));
      gtk_text_buffer_set_text (buffer, text, -1);
      return;
    }

  g_assert_true (ADW_IS_ENTRY_ROW (row (f, field)));
  gtk_editable_set_text (GTK_EDITABLE (row (f, field)), text);
}

static const char *
text_of (Fixture    *f,
         const char *field)
{
  return gtk_editable_get_text (GTK_EDITABLE (row (f, field)));
}

/* Selects the entry of a combo row that shows @label, as a person would. */
static void
choose (Fixture    *f,
        const char *field,
        const char *label)
{
  AdwComboRow *combo = ADW_COMBO_ROW (row (f, field));
  GListModel *model = adw_combo_row_get_model (combo);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_str_equal (gtk_string_object_get_string (item), label))
        {
          adw_combo_row_set_selected (combo, i);
          return;
        }
    }

  g_error ("%s has no entry “%s”", field, label);
}

static gboolean
has_error (Fixture    *f,
           const char *field)
{
  GtkLabel *label = _fl_intake_dialog_get_error_label (f->dialog, field);
  gboolean marked = gtk_widget_has_css_class (row (f, field), "error");

  /* The mark and its explanation come and go together. */
  g_assert_cmpint (marked, ==, gtk_widget_get_visible (GTK_WIDGET (label)));
  if (marked)
    g_assert_cmpstr (gtk_label_get_label (label), !=, "");
  return marked;
}

static gboolean
focus_is_in (Fixture    *f,
             GtkWidget  *widget)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (f->dialog));

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static void
create (Fixture *f)
{
  gtk_widget_activate_action (GTK_WIDGET (f->dialog), "intake.create", NULL);
  fl_test_spin_until_idle ();
}

static guint
count_tickets (Fixture *f)
{
  return fl_store_count_tickets (f->store, FL_VIEW_ALL, NULL, NULL);
}

/* --- tests -------------------------------------------------------------------- */

static void
test_create_full (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ops = NULL;

  fixture_open (&f);

  /* The requester's name is where typing starts. */
  g_assert_true (focus_is_in (&f, row (&f, "requester.name")));
  g_assert_false (fl_intake_dialog_has_input (f.dialog));

  type_into (&f, "requester.name", "  Jana Krüger ");
  type_into (&f, "requester.phone", "+49 30 1234-567");
  type_into (&f, "requester.email", "jana.krueger@example.org");
  type_into (&f, "requester.department", "Controlling");
  type_into (&f, "requester.location", "Building B, room 2.14");
  type_into (&f, "asset", "NB-0231");
  choose (&f, "channel", "Walk-in");
  choose (&f, "category", "Hardware");
  choose (&f, "impact", "High");
  choose (&f, "urgency", "Low");
  type_into (&f, "title", "Docking station does not charge the notebook");
  type_into (&f, "description", "Runs on battery in the dock.\nAnother power supply was tried.");
  g_assert_true (fl_intake_dialog_has_input (f.dialog));

  create (&f);

  g_assert_cmpuint (f.n_created, ==, 1);
  g_assert_nonnull (f.created);
  g_assert_null (f.dialog);                         /* closed itself */
  g_assert_cmpuint (count_tickets (&f), ==, 1);

  stored = fl_store_get_ticket (f.store, f.created->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->title, ==, "Docking station does not charge the notebook");
  g_assert_cmpstr (stored->description, ==, "Runs on battery in the dock.\nAnother power supply was tried.");
  g_assert_cmpstr (stored->requester.name, ==, "Jana Krüger");
  g_assert_cmpstr (stored->requester.phone, ==, "+49 30 1234-567");
  g_assert_cmpstr (stored->requester.email, ==, "jana.krueger@example.org");
  g_assert_cmpstr (stored->requester.department, ==, "Controlling");
  g_assert_cmpstr (stored->requester.location, ==, "Building B, room 2.14");
  g_assert_cmpstr (stored->asset, ==, "NB-0231");
  g_assert_cmpint (stored->channel, ==, FL_CHANNEL_WALK_IN);
  g_assert_cmpstr (stored->category, ==, "hardware");
  g_assert_cmpint (stored->impact, ==, FL_GRADE_HIGH);
  g_assert_cmpint (stored->urgency, ==, FL_GRADE_LOW);
  g_assert_cmpint (stored->priority, ==, 3);
  g_assert_cmpint (stored->status, ==, FL_STATUS_NEW);
  g_assert_cmpstr (stored->created_by, ==, "alex");

  /* It waits in the outbox for the sync engine. */
  g_assert_cmpuint (fl_store_count_pending_ops (f.store), ==, 1);
  ops = fl_store_list_pending_ops (f.store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ops->len, ==, 1);
  g_assert_cmpint (((FlOp *) g_ptr_array_index (ops, 0))->type, ==, FL_OP_CREATE);
  g_assert_cmpstr (((FlOp *) g_ptr_array_index (ops, 0))->ticket_id, ==, f.created->id);

  fixture_close (&f);
}

static void
test_missing_field (void)
{
  Fixture f = { 0 };
  g_autoptr(FlTicket) stored = NULL;
  const char *message;

  fixture_open (&f);

  type_into (&f, "requester.name", "Tom Berger");
  type_into (&f, "requester.location", "B 2.14");
  choose (&f, "category", "Hardware");
  type_into (&f, "title", "Monitor flickers");
  type_into (&f, "description", "Since the update.");

  /* The category says what it needs before saving. */
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (&f, "category"))), "Asset"));

  create (&f);

  /* Not created; the asset is marked and has the focus; nothing is lost. */
  g_assert_cmpuint (f.n_created, ==, 0);
  g_assert_cmpuint (count_tickets (&f), ==, 0);
  g_assert_nonnull (f.dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f.dialog)));
  g_assert_true (has_error (&f, "asset"));
  g_assert_cmpstr (gtk_label_get_label (_fl_intake_dialog_get_error_label (f.dialog, "asset")), ==,
                   "Required for “Hardware”");
  g_assert_nonnull (gtk_widget_get_tooltip_text (row (&f, "asset")));
  g_assert_false (has_error (&f, "requester.location"));
  g_assert_false (has_error (&f, "title"));
  g_assert_false (has_error (&f, "requester.name"));
  g_assert_true (focus_is_in (&f, row (&f, "asset")));
  message = _fl_intake_dialog_get_message (f.dialog);
  g_assert_nonnull (message);
  /* The category's own explanation is part of the message. */
  g_assert_nonnull (strstr (message, "technician"));
  g_assert_cmpstr (text_of (&f, "title"), ==, "Monitor flickers");
  g_assert_cmpstr (text_of (&f, "requester.name"), ==, "Tom Berger");
  g_assert_cmpstr (text_of (&f, "requester.location"), ==, "B 2.14");
  {
    g_autofree char *description = fl_intake_dialog_dup_field (f.dialog, "description");
    g_autofree char *category = fl_intake_dialog_dup_field (f.dialog, "category");
    g_assert_cmpstr (description, ==, "Since the update.");
    g_assert_cmpstr (category, ==, "hardware");
  }

  /* Typing into the field clears its mark; then the ticket is created. */
  type_into (&f, "asset", "MON-4471");
  g_assert_false (has_error (&f, "asset"));
  create (&f);
  g_assert_cmpuint (f.n_created, ==, 1);
  g_assert_null (f.dialog);
  stored = fl_store_get_ticket (f.store, f.created->id, NULL);
  g_assert_nonnull (stored);
  g_assert_cmpstr (stored->asset, ==, "MON-4471");
  g_assert_cmpstr (stored->title, ==, "Monitor flickers");
  g_assert_cmpstr (stored->requester.location, ==, "B 2.14");

  fixture_close (&f);
}

static void
test_always_required (void)
{
  Fixture f = { 0 };

  fixture_open (&f);

  /* Nothing filled: name, category and title are marked, the name is focused. */
  create (&f);
  g_assert_cmpuint (count_tickets (&f), ==, 0);
  g_assert_true (has_error (&f, "requester.name"));
  g_assert_true (has_error (&f, "category"));
  g_assert_true (has_error (&f, "title"));
  g_assert_false (has_error (&f, "asset"));
  g_assert_false (has_error (&f, "description"));
  g_assert_true (focus_is_in (&f, row (&f, "requester.name")));

  /* "Other" needs nothing more; white space is not a name. */
  type_into (&f, "requester.name", "   ");
  choose (&f, "category", "Other");
  g_assert_false (has_error (&f, "category"));
  type_into (&f, "title", "Question about the new intranet");
  create (&f);
  g_assert_cmpuint (count_tickets (&f), ==, 0);
  g_assert_true (has_error (&f, "requester.name"));
  g_assert_false (has_error (&f, "title"));

  /* A category rule: password resets need a callback number and the department. */
  type_into (&f, "requester.name", "Eva Sommer");
  choose (&f, "category", "Password");
  create (&f);
  g_assert_cmpuint (count_tickets (&f), ==, 0);
  g_assert_true (has_error (&f, "requester.phone"));
  g_assert_true (has_error (&f, "requester.department"));
  g_assert_false (has_error (&f, "requester.name"));
  g_assert_true (focus_is_in (&f, row (&f, "requester.phone")));

  type_into (&f, "requester.phone", "4711");
  type_into (&f, "requester.department", "HR");
  create (&f);
  g_assert_cmpuint (f.n_created, ==, 1);
  g_assert_cmpstr (f.created->category, ==, "password");
  g_assert_cmpint (f.created->channel, ==, FL_CHANNEL_PHONE);     /* the default */
  g_assert_cmpint (f.created->priority, ==, 3);                   /* medium × medium */

  fixture_close (&f);
}

static void
test_lengths_and_email (void)
{
  Fixture f = { 0 };
  g_autoptr(GString) long_title = g_string_new (NULL);

  fixture_open (&f);

  for (guint i = 0; i < FL_TITLE_MAX; i++)
    g_string_append (long_title, "ä");

  type_into (&f, "requester.name", "Kim Yilmaz");
  choose (&f, "category", "E-mail");
  type_into (&f, "requester.email", "kim.yilmaz(at)example");
  g_string_append (long_title, "x");
  type_into (&f, "title", long_title->str);
  create (&f);
  g_assert_cmpuint (count_tickets (&f), ==, 0);
  g_assert_true (has_error (&f, "requester.email"));
  g_assert_true (has_error (&f, "title"));
  g_assert_nonnull (strstr (gtk_label_get_label (_fl_intake_dialog_get_error_label (f.dialog, "title")), "200"));
  g_assert_true (focus_is_in (&f, row (&f, "requester.email")));

  /* Exactly 200 characters (400 bytes) is fine; so is a plausible address. */
  g_string_truncate (long_title, long_title->len - 1);
  type_into (&f, "title", long_title->str);
  type_into (&f, "requester.email", "a@b");
  create (&f);
  g_assert_true (has_error (&f, "requester.email"));
  g_assert_false (has_error (&f, "title"));

  type_into (&f, "requester.email", "kim.yilmaz@example.org");
  create (&f);
  g_assert_cmpuint (f.n_created, ==, 1);
  g_assert_cmpuint (g_utf8_strlen (f.created->title, -1), ==, FL_TITLE_MAX);
  g_assert_cmpstr (f.created->requester.email, ==, "kim.yilmaz@example.org");

  fixture_close (&f);
}

static void
test_priority_badge (void)
{
  Fixture f = { 0 };
  GtkWidget *badge;

  fixture_open (&f);
  badge = GTK_WIDGET (_fl_intake_dialog_get_priority_label (f.dialog));

  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (badge)), ==, "P3 — Medium impact × Medium urgency");
  g_assert_true (gtk_widget_has_css_class (badge, "priority-3"));

  choose (&f, "impact", "High");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (badge)), ==, "P2 — High impact × Medium urgency");
  g_assert_true (gtk_widget_has_css_class (badge, "priority-2"));
  g_assert_false (gtk_widget_has_css_class (badge, "priority-3"));

  choose (&f, "urgency", "High");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (badge)), ==, "P1 — High impact × High urgency");
  g_assert_true (gtk_widget_has_css_class (badge, "priority-1"));
  g_assert_false (gtk_widget_has_css_class (badge, "priority-2"));

  choose (&f, "impact", "Low");
  choose (&f, "urgency", "Low");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (badge)), ==, "P4 — Low impact × Low urgency");
  g_assert_true (gtk_widget_has_css_class (badge, "priority-4"));
  g_assert_false (gtk_widget_has_css_class (badge, "priority-1"));

  /* What the badge shows is what the ticket gets. */
  fl_intake_dialog_set_field (f.dialog, "urgency", "high");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (badge)), ==, "P3 — Low impact × High urgency");
  type_into (&f, "requester.name", "Lena Hoff");
  choose (&f, "category", "Other");
  type_into (&f, "title", "Badge check");
  create (&f);
  g_assert_cmpuint (f.n_created, ==, 1);
  g_assert_cmpint (f.created->priority, ==, 3);
  g_assert_cmpint (f.created->impact, ==, FL_GRADE_LOW);
  g_assert_cmpint (f.created->urgency, ==, FL_GRADE_HIGH);

  fixture_close (&f);
}

static void
test_tab_order (void)
{
  Fixture f = { 0 };
  const char * const *fields = fl_intake_get_fields ();

  fixture_open (&f);

  g_assert_true (focus_is_in (&f, row (&f, fields[0])));
  for (guint i = 1; fields[i] != NULL; i++)
    {
      GtkWidget *expected = g_str_equal (fields[i], "description")
                            ? GTK_WIDGET (_fl_intake_dialog_get_description_view (f.dialog))
                            : row (&f, fields[i]);

      g_assert_true (gtk_widget_child_focus (GTK_WIDGET (f.dialog), GTK_DIR_TAB_FORWARD));
      if (!focus_is_in (&f, expected))
        g_error ("Tab after %s went to %s, not %s", fields[i - 1],
                 G_OBJECT_TYPE_NAME (gtk_window_get_focus (GTK_WINDOW (f.dialog))), fields[i]);
    }

  fixture_close (&f);
}

static void
test_cancel (void)
{
  Fixture f = { 0 };
  AdwMessageDialog *question;

  fixture_open (&f);

  /* Nothing typed: cancel closes at once. */
  gtk_widget_activate_action (GTK_WIDGET (f.dialog), "intake.cancel", NULL);
  fl_test_spin_until (dialog_is_gone, &f, 5);
  g_assert_null (f.dialog);

  /* Typed text: cancel asks first, and "keep editing" keeps everything. */
  open_dialog (&f);
  type_into (&f, "description", "Half a sentence");
  gtk_widget_activate_action (GTK_WIDGET (f.dialog), "intake.cancel", NULL);
  fl_test_spin_until_idle ();
  g_assert_nonnull (f.dialog);
  question = _fl_intake_dialog_get_discard_dialog (f.dialog);
  g_assert_nonnull (question);
  adw_message_dialog_response (question, "keep");
  fl_test_spin_until_idle ();
  g_assert_nonnull (f.dialog);
  g_assert_null (_fl_intake_dialog_get_discard_dialog (f.dialog));
  {
    g_autofree char *text = fl_intake_dialog_dup_field (f.dialog, "description");
    g_assert_cmpstr (text, ==, "Half a sentence");
  }

  /* Closing the window asks too; "discard" closes without a ticket. */
  gtk_window_close (GTK_WINDOW (f.dialog));
  fl_test_spin_until_idle ();
  g_assert_nonnull (f.dialog);
  question = _fl_intake_dialog_get_discard_dialog (f.dialog);
  g_assert_nonnull (question);
  adw_message_dialog_response (question, "discard");
  fl_test_spin_until (dialog_is_gone, &f, 5);
  g_assert_null (f.dialog);
  g_assert_cmpuint (f.n_created, ==, 0);
  g_assert_cmpuint (count_tickets (&f), ==, 0);

  fixture_close (&f);
}

static void
test_store_error (void)
{
  Fixture f = { 0 };
  sqlite3 *db = NULL;
  char *sql_error = NULL;
  const char *message;

  fixture_open (&f);

  /* A second connection makes every write of a ticket fail, as a full disk would. */
  g_assert_cmpint (sqlite3_open (f.path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TRIGGER test_full BEFORE INSERT ON tickets "
                                 "BEGIN SELECT RAISE (ABORT, 'database or disk is full'); END;",
                                 NULL, NULL, &sql_error), ==, SQLITE_OK);
  g_assert_null (sql_error);

  type_into (&f, "requester.name", "Uwe Brandt");
  choose (&f, "category", "Printer");
  type_into (&f, "requester.location", "3rd floor");
  type_into (&f, "title", "Printer jams");
  create (&f);

  g_assert_cmpuint (f.n_created, ==, 0);
  g_assert_nonnull (f.dialog);
  message = _fl_intake_dialog_get_message (f.dialog);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "disk is full"));
  g_assert_cmpstr (text_of (&f, "title"), ==, "Printer jams");
  g_assert_cmpstr (text_of (&f, "requester.name"), ==, "Uwe Brandt");

  /* Once the disk has room again the same form saves. */
  g_assert_cmpint (sqlite3_exec (db, "DROP TRIGGER test_full", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  create (&f);
  g_assert_cmpuint (f.n_created, ==, 1);
  g_assert_cmpstr (f.created->title, ==, "Printer jams");

  fixture_close (&f);
}

/* --- categories.json ------------------------------------------------------------- */

static void
test_categories_file (void)
{
  g_autofree char *path = g_build_filename (SOURCE_DATADIR, "categories.json", NULL);
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "password", "account", "software", "network", "hardware", "printer", "email", "other" };
  const char *german[] = { "de_DE.UTF-8", "de_DE", "de", NULL };
  const char *english[] = { "en_GB", "en", NULL };
  const char *other[] = { "fr_FR", "fr", NULL };
  FlCategory *c;

  categories = fl_categories_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (categories->len, ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpstr (((FlCategory *) g_ptr_array_index (categories, i))->id, ==, ids[i]);

  c = fl_categories_find (categories, "password");
  g_assert_nonnull (c);
  g_assert_cmpstr (fl_category_get_label_for (c, german), ==, "Passwort");
  g_assert_cmpstr (fl_category_get_label_for (c, english), ==, "Password");
  g_assert_cmpstr (fl_category_get_label_for (c, other), ==, "Password");
  g_assert_nonnull (fl_category_get_note_for (c, german));
  g_assert_true (fl_category_requires (c, "requester.phone"));
  g_assert_true (fl_category_requires (c, "requester.department"));
  g_assert_false (fl_category_requires (c, "asset"));
  /* What every ticket needs. */
  g_assert_true (fl_category_requires (c, "title"));
  g_assert_true (fl_category_requires (c, "requester.name"));
  g_assert_true (fl_category_requires (c, "category"));
  g_assert_true (fl_category_requires (c, "channel"));

  c = fl_categories_find (categories, "hardware");
  g_assert_true (fl_category_requires (c, "asset"));
  g_assert_true (fl_category_requires (c, "requester.location"));
  c = fl_categories_find (categories, "network");
  g_assert_true (fl_category_requires (c, "asset"));
  g_assert_true (fl_category_requires (c, "requester.location"));
  c = fl_categories_find (categories, "software");
  g_assert_true (fl_category_requires (c, "asset"));
  g_assert_true (fl_category_requires (c, "description"));
  c = fl_categories_find (categories, "printer");
  g_assert_true (fl_category_requires (c, "requester.location"));
  c = fl_categories_find (categories, "email");
  g_assert_true (fl_category_requires (c, "requester.email"));
  g_assert_cmpstr (fl_category_get_label_for (c, german), ==, "E-Mail");
  c = fl_categories_find (categories, "account");
  g_assert_true (fl_category_requires (c, "requester.department"));
  c = fl_categories_find (categories, "other");
  g_assert_cmpuint (g_strv_length (c->required), ==, 0);
  g_assert_null (fl_category_get_note (c));
  g_assert_null (fl_categories_find (categories, "nonsense"));

  /* The default loader finds it without an installation. */
  {
    g_autofree char *source = NULL;
    g_autoptr(GPtrArray) defaults = fl_categories_load_default (&source);

    g_assert_nonnull (source);
    g_assert_true (g_str_has_suffix (source, "categories.json"));
    g_assert_true (fl_category_requires (fl_categories_find (defaults, "password"), "requester.phone"));
  }
}

static void
test_categories_broken (void)
{
  const char *cases[] = {
    "",
    "not json",
    "[]",
    "{\"categories\": {}}",
    "{\"categories\": []}",
    "{\"version\": 2, \"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"A\"}}]}",
    "{\"categories\": [{\"label\": {\"en\": \"A\"}}]}",
    "{\"categories\": [{\"id\": 7, \"label\": {\"en\": \"A\"}}]}",
    "{\"categories\": [{\"id\": \"Has Space\", \"label\": {\"en\": \"A\"}}]}",
    "{\"categories\": [{\"id\": \"a\"}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": \"A\"}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"de\": \"A\"}}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"\"}}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": 5}}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"line\\nbreak\"}}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"A\"}, \"required\": \"asset\"}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"A\"}, \"required\": [\"serial\"]}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"A\"}, \"required\": [1]}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"A\"}}, {\"id\": \"a\", \"label\": {\"en\": \"B\"}}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"A\"}, \"note\": {\"en\": 1}}]}",
    "{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"\xff\"}}]}",
  };
  g_autofree char *dir = NULL;
  g_autofree char *broken = NULL;
  g_autofree char *valid = NULL;
  g_autofree char *missing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) long_label = g_string_new ("{\"categories\": [{\"id\": \"a\", \"label\": {\"en\": \"");
  g_autoptr(GString) huge = g_string_new ("{\"categories\": [");
  g_autoptr(GString) too_many = g_string_new ("{\"categories\": [");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) categories = fl_categories_parse (cases[i], -1, &error);

      if (categories != NULL)
        g_error ("case %u was accepted: %s", i, cases[i]);
      g_assert_nonnull (error);
      g_clear_error (&error);
    }

  /* Lengths and counts. */
  for (guint i = 0; i <= FL_CATEGORY_LABEL_MAX; i++)
    g_string_append (long_label, "ß");
  g_string_append (long_label, "\"}}]}");
  g_assert_null (fl_categories_parse (long_label->str, -1, &error));
  g_assert_error (error, FL_CATEGORIES_ERROR, FL_CATEGORIES_ERROR_INVALID);
  g_clear_error (&error);

  for (guint i = 0; i <= FL_CATEGORIES_MAX; i++)
    g_string_append_printf (too_many, "%s{\"id\": \"c%u\", \"label\": {\"en\": \"C%u\"}}", i ? "," : "", i, i);
  g_string_append (too_many, "]}");
  g_assert_null (fl_categories_parse (too_many->str, -1, &error));
  g_assert_error (error, FL_CATEGORIES_ERROR, FL_CATEGORIES_ERROR_INVALID);
  g_clear_error (&error);

  while (huge->len <= FL_CATEGORIES_FILE_MAX)
    g_string_append (huge, "                                                                ");
  g_assert_null (fl_categories_parse (huge->str, huge->len, &error));
  g_assert_error (error, FL_CATEGORIES_ERROR, FL_CATEGORIES_ERROR_INVALID);
  g_clear_error (&error);

  /* A minimal valid file, with unknown members ignored. */
  {
    g_autoptr(GPtrArray) categories =
      fl_categories_parse ("{\"categories\": [{\"id\": \"vpn\", \"label\": {\"en\": \"VPN\", \"pt_BR\": \"VPN\"},"
                           " \"required\": [\"asset\", \"asset\"], \"icon\": \"x\"}]}", -1, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (categories->len, ==, 1);
    g_assert_cmpuint (g_strv_length (((FlCategory *) categories->pdata[0])->required), ==, 1);
  }

  /* A broken file falls back to the built-in list, without extra rules. */
  dir = g_dir_make_tmp ("firstline-categories-XXXXXX", &error);
  g_assert_no_error (error);
  broken = g_build_filename (dir, "broken.json", NULL);
  valid = g_build_filename (dir, "valid.json", NULL);
  missing = g_build_filename (dir, "missing.json", NULL);
  g_file_set_contents (broken, "{\"categories\": [{\"id\": \"password\", \"label\": {\"en\": \"P\"}, "
                               "\"required\": [\"shoe size\"]}]}", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (valid, "{\"categories\": [{\"id\": \"vpn\", \"label\": {\"en\": \"VPN\"}, "
                              "\"required\": [\"asset\"]}]}", -1, &error);
  g_assert_no_error (error);

  g_assert_null (fl_categories_load (broken, &error));
  g_assert_error (error, FL_CATEGORIES_ERROR, FL_CATEGORIES_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (fl_categories_load (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  {
    const char *paths[] = { missing, broken, valid, NULL };
    g_autofree char *source = NULL;
    g_autoptr(GPtrArray) categories = fl_categories_load_first (paths, &source);
    FlCategory *password;

    g_assert_null (source);
    g_assert_cmpuint (categories->len, ==, 8);
    password = fl_categories_find (categories, "password");
    g_assert_nonnull (password);
    g_assert_cmpstr (fl_category_get_label (password), ==, "Password");
    g_assert_false (fl_category_requires (password, "requester.phone"));
    g_assert_true (fl_category_requires (password, "title"));
    g_assert_nonnull (fl_categories_find (categories, "other"));
  }

  {
    const char *paths[] = { missing, valid, broken, NULL };
    g_autofree char *source = NULL;
    g_autoptr(GPtrArray) categories = fl_categories_load_first (paths, &source);

    g_assert_cmpstr (source, ==, valid);
    g_assert_cmpuint (categories->len, ==, 1);
    g_assert_true (fl_category_requires (categories->pdata[0], "asset"));
  }

  g_unlink (broken);
  g_unlink (valid);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/intake/categories/file", test_categories_file);
  g_test_add_func ("/intake/categories/broken", test_categories_broken);
  g_test_add_func ("/intake/create", test_create_full);
  g_test_add_func ("/intake/missing-field", test_missing_field);
  g_test_add_func ("/intake/always-required", test_always_required);
  g_test_add_func ("/intake/lengths-and-email", test_lengths_and_email);
  g_test_add_func ("/intake/priority-badge", test_priority_badge);
  g_test_add_func ("/intake/tab-order", test_tab_order);
  g_test_add_func ("/intake/cancel", test_cancel);
  g_test_add_func ("/intake/store-error", test_store_error);

  return g_test_run ();
}
