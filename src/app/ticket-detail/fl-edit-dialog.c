/* fl-edit-dialog.c — change a ticket's recorded facts after intake
 *
 * One `update` op with only what was changed, on the version shown: the server
 * reports a conflict when another client changed one of those fields since
 * (the API's rule), and the sync status shows it side by side.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-edit-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-edit-dialog.h"

enum {
  TEXT_TITLE,
  TEXT_NAME,
  TEXT_PHONE,
  TEXT_EMAIL,
  TEXT_DEPARTMENT,
  TEXT_LOCATION,
  TEXT_ASSET,
  N_TEXTS
};

typedef struct
{
  /* owned */
  FlContext     *context;
  FlTicket      *ticket;     /* as it was when the dialog opened */
  GPtrArray     *category_ids;

  /* borrowed */
  AdwMessageDialog *dialog;
  AdwEntryRow   *texts[N_TEXTS];
  GtkTextView   *description;
  AdwComboRow   *category;
  AdwComboRow   *impact;
  AdwComboRow   *urgency;
  GtkLabel      *priority_label;
  GtkLabel      *error_label;
} EditDialog;

static void
edit_dialog_free (EditDialog *ed)
{
  g_clear_object (&ed->context);
  g_clear_object (&ed->ticket);
  g_clear_pointer (&ed->category_ids, g_ptr_array_unref);
  g_free (ed);
}

static const char *
original_text (EditDialog *ed,
               guint       which)
{
  const FlRequester *r = &ed->ticket->requester;
  const char *values[N_TEXTS] = {
    ed->ticket->title, r->name, r->phone, r->email, r->department, r->location, ed->ticket->asset,
  };

  return values[which] ? values[which] : "";
}

static char *
dup_description (EditDialog *ed)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (ed->description);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static const char *
text_of (EditDialog *ed,
         guint       which)
{
  return gtk_editable_get_text (GTK_EDITABLE (ed->texts[which]));
}

/* The changed fields as `update` data; NULL when nothing changed. */
static JsonObject *
build_changes (EditDialog *ed)
{
  static const char * const requester_names[] = {
    NULL, "name", "phone", "email", "department", "location", NULL,
  };
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(JsonObject) requester = json_object_new ();
  g_autofree char *description = dup_description (ed);
  guint category = adw_combo_row_get_selected (ed->category);
  FlGrade impact = adw_combo_row_get_selected (ed->impact);
  FlGrade urgency = adw_combo_row_get_selected (ed->urgency);

  for (guint i = 0; i < N_TEXTS; i++)
    {
      g_autofree char *value = g_strstrip (g_strdup (text_of (ed, i)));

      if (g_strcmp0 (value, original_text (ed, i)) == 0)
        continue;
      if (requester_names[i] != NULL)
        json_object_set_string_member (requester, requester_names[i], value);
      else
        json_object_set_string_member (changes, i == TEXT_TITLE ? "title" : "asset", value);
    }
  if (json_object_get_size (requester) > 0)
    json_object_set_object_member (changes, "requester", g_steal_pointer (&requester));
  if (g_strcmp0 (description, ed->ticket->description ? ed->ticket->description : "") != 0)
    json_object_set_string_member (changes, "description", description);
  if (category < ed->category_ids->len &&
      g_strcmp0 (g_ptr_array_index (ed->category_ids, category), ed->ticket->category) != 0)
    json_object_set_string_member (changes, "category", g_ptr_array_index (ed->category_ids, category));
  if (impact != ed->ticket->impact)
    json_object_set_string_member (changes, "impact", fl_grade_to_string (impact));
  if (urgency != ed->ticket->urgency)
    json_object_set_string_member (changes, "urgency", fl_grade_to_string (urgency));

  return json_object_get_size (changes) > 0 ? g_steal_pointer (&changes) : NULL;
}

/* What is wrong with the form, for people; NULL when it can be saved. */
static const char *
check_form (EditDialog *ed)
{
  g_autofree char *title = g_strstrip (g_strdup (text_of (ed, TEXT_TITLE)));
  g_autofree char *name = g_strstrip (g_strdup (text_of (ed, TEXT_NAME)));

  if (*title == '\0')
    return _("The title cannot be empty.");
  if (g_utf8_strlen (title, -1) > 200)
    return _("The title can have at most 200 characters.");
  if (*name == '\0')
    return _("The requester's name cannot be empty.");
  return NULL;
}

static void
update_form (EditDialog *ed)
{
  const FlPolicy *policy = fl_store_get_policy (fl_context_get_store (ed->context));
  FlGrade impact = adw_combo_row_get_selected (ed->impact);
  FlGrade urgency = adw_combo_row_get_selected (ed->urgency);
  int priority = fl_priority_compute (impact, urgency);
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(GDateTime) due = NULL;
  g_autofree char *due_text = NULL;
  g_autofree char *text = NULL;
  const char *problem;
  gint64 due_at = ed->ticket->due_at;

  /* The due time moves by the difference of the resolve targets (waiting time stays added) */
  if (priority >= 1 && priority <= 4 && ed->ticket->priority >= 1 && ed->ticket->priority <= 4)
    due_at += policy->resolve_target[priority - 1] - policy->resolve_target[ed->ticket->priority - 1];
  due = g_date_time_new_from_unix_local (due_at / 1000);
  /* Translators: a date and time, see g_date_time_format () */
  due_text = due ? g_date_time_format (due, _("%d.%m.%Y %H:%M")) : g_strdup ("");
  if (priority != ed->ticket->priority)
    /* Translators: "Priority P2 (was P3), due 01.12.2026 18:30" */
    text = g_strdup_printf (_("Priority P%d (was P%d), due %s"), priority, ed->ticket->priority,
                            due_text);
  else
    /* Translators: "Priority P3, due 01.12.2026 18:30" */
    text = g_strdup_printf (_("Priority P%d, due %s"), priority, due_text);
  gtk_label_set_text (ed->priority_label, text);

  problem = check_form (ed);
  gtk_label_set_text (ed->error_label, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (ed->error_label), problem != NULL);
  changes = build_changes (ed);
  adw_message_dialog_set_response_enabled (ed->dialog, "save", problem == NULL && changes != NULL);
}

static void
on_response_cb (AdwMessageDialog *dialog,
                const char       *response,
                EditDialog       *ed)
{
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "save") != 0 || check_form (ed) != NULL ||
      (changes = build_changes (ed)) == NULL)
    return;

  updated = fl_store_update_ticket (fl_context_get_store (ed->context), ed->ticket->id, changes,
                                    &error);
  if (updated == NULL)
    {
      GtkWidget *err = adw_message_dialog_new (gtk_window_get_transient_for (GTK_WINDOW (dialog)),
                                               _("The ticket could not be changed"),
                                               error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (err), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (err));
    }
}

static AdwEntryRow *
add_entry (GtkWidget  *group,
           const char *title,
           const char *value)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), value);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return ADW_ENTRY_ROW (row);
}

static AdwComboRow *
add_combo (GtkWidget     *group,
           const char    *title,
           GtkStringList *labels,
           guint          selected)
{
  GtkWidget *row = adw_combo_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (labels));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return ADW_COMBO_ROW (row);
}

GtkWidget *
fl_edit_dialog_new (GtkWindow *parent,
                    FlContext *context,
                    FlTicket  *ticket)
{
  g_autoptr(GtkStringList) categories = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) impacts = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) urgencies = gtk_string_list_new (NULL);
  GPtrArray *known = fl_context_get_categories (context);
  guint category = GTK_INVALID_LIST_POSITION;
  EditDialog *ed;
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *facts;
  GtkWidget *requester;
  GtkWidget *frame;
  GtkWidget *scrolled;
  GtkWidget *label;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (FL_IS_TICKET (ticket), NULL);

  ed = g_new0 (EditDialog, 1);
  ed->context = g_object_ref (context);
  ed->ticket = fl_ticket_copy (ticket);
  ed->category_ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; known != NULL && i < known->len; i++)
    {
      const FlCategory *c = g_ptr_array_index (known, i);

      if (g_strcmp0 (c->id, ticket->category) == 0)
        category = i;
      g_ptr_array_add (ed->category_ids, g_strdup (c->id));
      gtk_string_list_append (categories, fl_category_get_label (c));
    }
  if (category == GTK_INVALID_LIST_POSITION)
    {
      /* a category of the server that this version does not know: kept as it is */
      category = ed->category_ids->len;
      g_ptr_array_add (ed->category_ids, g_strdup (ticket->category));
      gtk_string_list_append (categories, ticket->category);
    }
  for (FlGrade g = FL_GRADE_LOW; g <= FL_GRADE_HIGH; g++)
    {
      gtk_string_list_append (impacts, fl_grade_get_label (g));
      gtk_string_list_append (urgencies, fl_grade_get_label (g));
    }

  facts = adw_preferences_group_new ();
  ed->texts[TEXT_TITLE] = add_entry (facts, _("Title"), original_text (ed, TEXT_TITLE));
  ed->category = add_combo (facts, _("Category"), categories, category);
  ed->impact = add_combo (facts, _("Impact"), impacts, ticket->impact);
  ed->urgency = add_combo (facts, _("Urgency"), urgencies, ticket->urgency);
  ed->texts[TEXT_ASSET] = add_entry (facts, _("Asset"), original_text (ed, TEXT_ASSET));

  requester = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (requester), _("Requester"));
  ed->texts[TEXT_NAME] = add_entry (requester, _("Name"), original_text (ed, TEXT_NAME));
  ed->texts[TEXT_PHONE] = add_entry (requester, _("Phone"), original_text (ed, TEXT_PHONE));
  ed->texts[TEXT_EMAIL] = add_entry (requester, _("E-mail"), original_text (ed, TEXT_EMAIL));
  ed->texts[TEXT_DEPARTMENT] = add_entry (requester, _("Department"),
                                          original_text (ed, TEXT_DEPARTMENT));
  ed->texts[TEXT_LOCATION] = add_entry (requester, _("Location"), original_text (ed, TEXT_LOCATION));

  ed->description = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_wrap_mode (ed->description, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (ed->description, 6);
  gtk_text_view_set_left_margin (ed->description, 6);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (ed->description),
                            ticket->description ? ticket->description : "", -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (ed->description),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Description"), -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 80);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (ed->description));
  frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), scrolled);
  label = gtk_label_new (_("Description"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");

  ed->priority_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (ed->priority_label, 0);
  gtk_label_set_wrap (ed->priority_label, TRUE);
  ed->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (ed->error_label, 0);
  gtk_label_set_wrap (ed->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (ed->error_label), "error");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_append (GTK_BOX (box), facts);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (ed->priority_label));
  gtk_box_append (GTK_BOX (box), requester);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), frame);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (ed->error_label));

  dialog = adw_message_dialog_new (parent, _("Edit Ticket"),
                                   _("Only what you change is sent. If a colleague changed the "
                                     "same field meanwhile, you choose which to keep."));
  ed->dialog = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 560, -1);
  adw_message_dialog_set_extra_child (ed->dialog, box);
  adw_message_dialog_add_responses (ed->dialog, "cancel", _("_Cancel"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (ed->dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ed->dialog, "save");
  adw_message_dialog_set_close_response (ed->dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fl-edit-dialog", ed, (GDestroyNotify) edit_dialog_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response_cb), ed);

  for (guint i = 0; i < N_TEXTS; i++)
    g_signal_connect_swapped (ed->texts[i], "changed", G_CALLBACK (update_form), ed);
  g_signal_connect_swapped (gtk_text_view_get_buffer (ed->description), "changed",
                            G_CALLBACK (update_form), ed);
  g_signal_connect_swapped (ed->category, "notify::selected", G_CALLBACK (update_form), ed);
  g_signal_connect_swapped (ed->impact, "notify::selected", G_CALLBACK (update_form), ed);
  g_signal_connect_swapped (ed->urgency, "notify::selected", G_CALLBACK (update_form), ed);
  update_form (ed);

  return dialog;
}
