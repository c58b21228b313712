/* fl-intake-dialog.c — the new-ticket form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything an agent records on the first call ("Erstaufnahme"): the requester,
 * the asset, how the request came in, its category, impact and urgency (the
 * priority follows live), a title and a description. What each category
 * requires comes from the category list (fl-categories.c). Nothing typed is
 * lost: a refused save keeps the dialog open with every field as it was.
 */
#define G_LOG_DOMAIN "fl-intake-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-categories.h"
#include "fl-intake-dialog-private.h"
#include "fl-suggestions-panel.h"

/* One field of the form, by its API name. */
typedef struct
{
  const char *name;
  GtkWidget  *row;                /* AdwEntryRow, AdwComboRow, or the description frame */
  GtkLabel   *error;
} Field;

enum
{
  FIELD_NAME,
  FIELD_PHONE,
  FIELD_EMAIL,
  FIELD_DEPARTMENT,
  FIELD_LOCATION,
  FIELD_ASSET,
  FIELD_CHANNEL,
  FIELD_CATEGORY,
  FIELD_IMPACT,
  FIELD_URGENCY,
  FIELD_TITLE,
  FIELD_DESCRIPTION,
  N_FIELDS
};

struct _FlIntakeDialog
{
  AdwWindow            parent_instance;

  /* template widgets */
  GtkButton           *create_button;
  AdwToastOverlay     *toast_overlay;
  GtkScrolledWindow   *scrolled_window;
  GtkRevealer         *message_revealer;
  GtkLabel            *message_label;
  GtkLabel            *priority_label;
  AdwEntryRow         *name_row;
  AdwEntryRow         *phone_row;
  AdwEntryRow         *email_row;
  AdwEntryRow         *department_row;
  AdwEntryRow         *location_row;
  AdwEntryRow         *asset_row;
  AdwComboRow         *channel_row;
  AdwComboRow         *category_row;
  AdwComboRow         *impact_row;
  AdwComboRow         *urgency_row;
  AdwEntryRow         *title_row;
  GtkWidget           *description_frame;
  GtkTextView         *description_view;
  GtkLabel            *name_error;
  GtkLabel            *phone_error;
  GtkLabel            *email_error;
  GtkLabel            *department_error;
  GtkLabel            *location_error;
  GtkLabel            *asset_error;
  GtkLabel            *channel_error;
  GtkLabel            *category_error;
  GtkLabel            *impact_error;
  GtkLabel            *urgency_error;
  GtkLabel            *title_error;
  GtkLabel            *description_error;

  /* owned */
  FlContext           *context;
  GPtrArray           *categories;        /* FlCategory *, in the order of the list */

  /* borrowed */
  AdwMessageDialog    *discard_dialog;
  FlSuggestionsPanel  *suggestions;       /* beside the form (src/app/suggestions) */
  GtkWidget           *suggestions_scroller;

  Field                fields[N_FIELDS];
  int                  priority;
  gboolean             discard_confirmed;
  gboolean             restoring;
  guint                draft_source_id;
};

/* What was typed is kept in the cache this long after the last change, and at
 * once when the dialog goes away (Ctrl+Q, the window closed): a restart offers
 * it again. */
#define INTAKE_DRAFT "intake"
#define DRAFT_SAVE_DELAY_MS 300

G_DEFINE_FINAL_TYPE (FlIntakeDialog, fl_intake_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

enum {
  CREATED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

/* The category list's first entry is "not chosen yet". */
#define CATEGORY_NONE 0

static const char *
field_get_label (guint field)
{
  switch (field)
    {
    case FIELD_NAME:        return _("Name");
    case FIELD_PHONE:       return _("Phone");
    case FIELD_EMAIL:       return _("E-mail");
    case FIELD_DEPARTMENT:  return _("Department");
    case FIELD_LOCATION:    return _("Location");
    case FIELD_ASSET:       return _("Asset");
    case FIELD_CHANNEL:     return _("Channel");
    case FIELD_CATEGORY:    return _("Category");
    case FIELD_IMPACT:      return _("Impact");
    case FIELD_URGENCY:     return _("Urgency");
    case FIELD_TITLE:       return _("Title");
    case FIELD_DESCRIPTION: return _("Description");
    default:                return "";
    }
}

static guint
field_lookup (FlIntakeDialog *self,
              const char     *name)
{
  for (guint i = 0; i < N_FIELDS; i++)
    if (g_strcmp0 (self->fields[i].name, name) == 0)
      return i;

  return N_FIELDS;
}

static gboolean
field_is_text (guint field)
{
  return field != FIELD_CHANNEL && field != FIELD_CATEGORY &&
         field != FIELD_IMPACT && field != FIELD_URGENCY;
}

static guint
field_max_chars (guint field)
{
  switch (field)
    {
    case FIELD_TITLE:       return FL_TITLE_MAX;
    case FIELD_DESCRIPTION: return FL_TEXT_MAX;
    default:                return FL_SHORT_TEXT_MAX;
    }
}

/* The text of a text field as typed (never NULL). */
static char *
dup_text (FlIntakeDialog *self,
          guint           field)
{
  if (field == FIELD_DESCRIPTION)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }

  g_assert (field_is_text (field));
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->fields[field].row)));
}

/* The text as it is saved: without surrounding white space. */
static char *
dup_value (FlIntakeDialog *self,
           guint           field)
{
  return g_strstrip (dup_text (self, field));
}

static FlCategory *
get_selected_category (FlIntakeDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->category_row);

  if (selected == GTK_INVALID_LIST_POSITION || selected == CATEGORY_NONE ||
      selected > self->categories->len)
    return NULL;

  return g_ptr_array_index (self->categories, selected - 1);
}

static FlGrade
get_grade (AdwComboRow *row)
{
  guint selected = adw_combo_row_get_selected (row);

  return selected <= FL_GRADE_HIGH ? (FlGrade) selected : FL_GRADE_MEDIUM;
}

static FlChannel
get_channel (FlIntakeDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->channel_row);

  return selected <= FL_CHANNEL_PORTAL ? (FlChannel) selected : FL_CHANNEL_PHONE;
}

static gboolean
is_plausible_email (const char *text)
{
  const char *at = strchr (text, '@');
  const char *domain;
  const char *dot;

  if (at == NULL || at == text || strchr (at + 1, '@') != NULL)
    return FALSE;

  for (const char *p = text; *p; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == ',' || *p == ';' ||
        *p == '<' || *p == '>')
      return FALSE;

  domain = at + 1;
  dot = strrchr (domain, '.');
  return dot != NULL && dot != domain && dot[1] != '\0' && strstr (domain, "..") == NULL &&
         domain[0] != '.';
}

/* --- showing problems ------------------------------------------------------ */

static void
set_field_error (FlIntakeDialog *self,
                 guint           field,
                 const char     *message)
{
  Field *f = &self->fields[field];

  if (message != NULL)
    {
      g_autofree char *description = g_strdup_printf ("%s: %s", field_get_label (field), message);

      gtk_widget_add_css_class (f->row, "error");
      gtk_label_set_label (f->error, message);
      gtk_widget_set_visible (GTK_WIDGET (f->error), TRUE);
      gtk_widget_set_tooltip_text (f->row, description);
      gtk_accessible_update_state (GTK_ACCESSIBLE (f->row),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                   -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (f->row),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                      -1);
    }
  else if (gtk_widget_has_css_class (f->row, "error"))
    {
      gtk_widget_remove_css_class (f->row, "error");
      gtk_label_set_label (f->error, "");
      gtk_widget_set_visible (GTK_WIDGET (f->error), FALSE);
      gtk_widget_set_tooltip_text (f->row, NULL);
      gtk_accessible_reset_state (GTK_ACCESSIBLE (f->row), GTK_ACCESSIBLE_STATE_INVALID);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (f->row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

static void
show_message (FlIntakeDialog *self,
              const char     *message)
{
  gtk_label_set_label (self->message_label, message ? message : "");
  gtk_revealer_set_reveal_child (self->message_revealer, message != NULL);
}

static void
focus_field (FlIntakeDialog *self,
             guint           field)
{
  GtkWidget *target = field == FIELD_DESCRIPTION ? GTK_WIDGET (self->description_view)
                                                 : self->fields[field].row;

  gtk_widget_grab_focus (target);
}

/* Checks every field, marks the ones that are wrong and returns the first of
 * them in the order of the form, or N_FIELDS when all is well. */
static guint
validate (FlIntakeDialog *self)
{
  FlCategory *category = get_selected_category (self);
  const char *category_label = category ? fl_category_get_label (category) : NULL;
  guint first = N_FIELDS;
  gboolean category_rule_missed = FALSE;

  for (guint i = 0; i < N_FIELDS; i++)
    {
      g_autofree char *message = NULL;
      gboolean required = g_strv_contains (fl_intake_get_always_required (), self->fields[i].name);
      gboolean required_by_category = category && fl_category_requires (category, self->fields[i].name);

      if (i == FIELD_CATEGORY)
        {
          if (category == NULL)
            message = g_strdup (_("Choose a category"));
        }
      else if (field_is_text (i))
        {
          g_autofree char *value = dup_value (self, i);
          glong n_chars = g_utf8_strlen (value, -1);

          if (n_chars == 0 && required)
            message = g_strdup (_("Required"));
          else if (n_chars == 0 && required_by_category)
            {
              /* Translators: %s is a category, e.g. "Hardware" */
              message = g_strdup_printf (_("Required for “%s”"), category_label);
              category_rule_missed = TRUE;
            }
          else if (n_chars > field_max_chars (i))
            /* Translators: the number is 200 or more */
            message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                     "Too long: at most %u character",
                                                     "Too long: at most %u characters",
                                                     field_max_chars (i)),
                                        field_max_chars (i));
          else if (i == FIELD_EMAIL && n_chars > 0 && !is_plausible_email (value))
            message = g_strdup (_("Not a valid e-mail address"));
        }

      set_field_error (self, i, message);
      if (message != NULL && first == N_FIELDS)
        first = i;
    }

  if (first == N_FIELDS)
    {
      show_message (self, NULL);
      return N_FIELDS;
    }

  {
    g_autoptr(GString) text = g_string_new (_("The ticket was not created yet: some information is "
                                              "missing or not valid. Nothing you typed is lost."));
    const char *note = category ? fl_category_get_note (category) : NULL;

    if (category_rule_missed && note != NULL)
      g_string_append_printf (text, "\n%s", note);
    show_message (self, text->str);
  }

  return first;
}

static void
update_priority (FlIntakeDialog *self)
{
  static const char * const impact_labels[] = {
    N_("Low impact"), N_("Medium impact"), N_("High impact"),
  };
  static const char * const urgency_labels[] = {
    N_("Low urgency"), N_("Medium urgency"), N_("High urgency"),
  };
  FlGrade impact = get_grade (self->impact_row);
  FlGrade urgency = get_grade (self->urgency_row);
  int priority = fl_priority_compute (impact, urgency);
  g_autofree char *old_class = g_strdup_printf ("priority-%d", self->priority);
  g_autofree char *new_class = g_strdup_printf ("priority-%d", priority);
  g_autofree char *text = NULL;

  /* Translators: a ticket's priority badge, e.g. "P2 — High impact × Medium urgency" */
  text = g_strdup_printf (_("P%d — %s × %s"), priority,
                          _(impact_labels[impact]), _(urgency_labels[urgency]));
  gtk_label_set_label (self->priority_label, text);

  gtk_widget_remove_css_class (GTK_WIDGET (self->priority_label), old_class);
  gtk_widget_add_css_class (GTK_WIDGET (self->priority_label), new_class);
  self->priority = priority;
}

static void
update_category_hint (FlIntakeDialog *self)
{
  FlCategory *category = get_selected_category (self);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; category != NULL && i < N_FIELDS; i++)
    {
      if (g_strv_contains (fl_intake_get_always_required (), self->fields[i].name) ||
          !fl_category_requires (category, self->fields[i].name))
        continue;
      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, field_get_label (i));
    }

  if (names->len > 0)
    {
      /* Translators: %s is a list of fields, e.g. "Asset, Location" */
      g_autofree char *subtitle = g_strdup_printf (_("Also needs: %s"), names->str);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->category_row), subtitle);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->category_row), "");

  if (!gtk_widget_has_css_class (GTK_WIDGET (self->category_row), "error"))
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->category_row),
                                 category ? fl_category_get_note (category) : NULL);
}

static void
ask_discard (FlIntakeDialog *self);

/* --- the draft in the cache ------------------------------------------------ */

static void
save_draft (FlIntakeDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  g_clear_handle_id (&self->draft_source_id, g_source_remove);
  if (self->context == NULL)
    return;

  if (!self->discard_confirmed && fl_intake_dialog_has_input (self))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      for (guint i = 0; i < N_FIELDS; i++)
        {
          g_autofree char *value = fl_intake_dialog_dup_field (self, self->fields[i].name);

          json_builder_set_member_name (builder, self->fields[i].name);
          json_builder_add_string_value (builder, value ? value : "");
        }
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json = json_to_string (root, FALSE);
    }

  if (!fl_store_set_form_draft (fl_context_get_store (self->context), INTAKE_DRAFT, json, &error))
    g_warning ("Could not keep the new ticket's draft: %s", error->message);
}

static gboolean
save_draft_cb (gpointer user_data)
{
  FlIntakeDialog *self = user_data;

  self->draft_source_id = 0;
  save_draft (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_draft_save (FlIntakeDialog *self)
{
  if (self->restoring || self->context == NULL)
    return;

  g_clear_handle_id (&self->draft_source_id, g_source_remove);
  self->draft_source_id = g_timeout_add (DRAFT_SAVE_DELAY_MS, save_draft_cb, self);
}

/* Fills the form from the draft a closed window left; TRUE if there was one. */
static gboolean
restore_draft (FlIntakeDialog *self)
{
  g_autofree char *json = fl_store_dup_form_draft (fl_context_get_store (self->context), INTAKE_DRAFT);
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *object;

  if (json == NULL)
    return FALSE;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;

  object = json_node_get_object (root);
  self->restoring = TRUE;
  for (guint i = 0; i < N_FIELDS; i++)
    {
      JsonNode *value = json_object_get_member (object, self->fields[i].name);

      if (value != NULL && JSON_NODE_HOLDS_VALUE (value) &&
          json_node_get_value_type (value) == G_TYPE_STRING)
        fl_intake_dialog_set_field (self, self->fields[i].name, json_node_get_string (value));
    }
  self->restoring = FALSE;

  /* Nothing marks a restored form as wrong before it is submitted. */
  for (guint i = 0; i < N_FIELDS; i++)
    set_field_error (self, i, NULL);

  return TRUE;
}

/* --- suggestions beside the form (fl-suggestions-panel.c) ------------------ */

static void
update_suggestions (FlIntakeDialog *self)
{
  g_autofree char *description = NULL;
  FlCategory *category;
  FlRequester r = { 0 };
  GtkTextIter start, end;
  GtkTextBuffer *buffer;

  if (self->suggestions == NULL)
    return;

  buffer = gtk_text_view_get_buffer (self->description_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  description = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  category = get_selected_category (self);
  r.name = (char *) gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  r.email = (char *) gtk_editable_get_text (GTK_EDITABLE (self->email_row));
  r.phone = (char *) gtk_editable_get_text (GTK_EDITABLE (self->phone_row));
  r.department = (char *) gtk_editable_get_text (GTK_EDITABLE (self->department_row));

  fl_suggestions_panel_set_request (self->suggestions,
                                    gtk_editable_get_text (GTK_EDITABLE (self->title_row)),
                                    description, category ? category->id : NULL, &r, NULL);
}

static void
on_copy_resolution_cb (FlIntakeDialog *self,
                       FlTicket       *ticket)
{
  g_autofree char *number = fl_ticket_dup_display_number (ticket);
  g_autofree char *text = g_strdup_printf ("%s: %s", number,
                                           ticket->resolution_summary ? ticket->resolution_summary : "");

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Resolution copied: paste it into a note")));
}

static void
on_open_suggested_cb (FlIntakeDialog *self,
                      const char     *ticket_id)
{
  g_autoptr(FlTicket) t = fl_store_get_ticket (fl_context_get_store (self->context), ticket_id, NULL);
  g_autofree char *number = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (t == NULL)
    return;
  number = fl_ticket_dup_display_number (t);
  body = g_strdup_printf ("%s\n\n%s: %s", t->description ? t->description : "",
                          fl_resolution_code_get_label (t->resolution_code),
                          t->resolution_summary ? t->resolution_summary : "—");
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), NULL, body));
  adw_message_dialog_format_heading (dialog, "%s %s", number, t->title);
  adw_message_dialog_add_response (dialog, "close", _("Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The typed request becomes an internal note on the open ticket; the form closes. */
static void
on_add_note_instead_cb (FlIntakeDialog *self,
                        const char     *ticket_id)
{
  g_autofree char *description = NULL;
  g_autofree char *body = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;
  GtkTextIter start, end;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  description = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  body = g_strstrip (g_strdup_printf ("%s\n%s", gtk_editable_get_text (GTK_EDITABLE (self->title_row)),
                                      description));
  if (*body == '\0')
    body = g_strdup (_("The caller called again about this."));
  t = fl_store_add_note (fl_context_get_store (self->context), ticket_id, body, TRUE, &error);
  if (t == NULL)
    {
      show_message (self, error->message);
      return;
    }
  self->discard_confirmed = TRUE;
  gtk_window_destroy (GTK_WINDOW (self));
}

/* The form and, beside it, a scrolled place for the panel (made in init, before
 * the focus is set; the panel itself needs the context's store: constructed). */
static void
add_suggestions_box (FlIntakeDialog *self)
{
  GtkWidget *form = adw_toast_overlay_get_child (self->toast_overlay);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  self->suggestions_scroller = gtk_scrolled_window_new ();
  g_object_ref (form);
  adw_toast_overlay_set_child (self->toast_overlay, box);
  gtk_widget_set_hexpand (form, TRUE);
  gtk_box_append (GTK_BOX (box), form);
  g_object_unref (form);
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->suggestions_scroller),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_box_append (GTK_BOX (box), self->suggestions_scroller);
  gtk_window_set_default_size (GTK_WINDOW (self), 1000, 780);
}

static void
add_suggestions_panel (FlIntakeDialog *self)
{
  self->suggestions = fl_suggestions_panel_new (fl_context_get_store (self->context));
  g_signal_connect_swapped (self->suggestions, "copy-resolution",
                            G_CALLBACK (on_copy_resolution_cb), self);
  g_signal_connect_swapped (self->suggestions, "open-ticket", G_CALLBACK (on_open_suggested_cb), self);
  g_signal_connect_swapped (self->suggestions, "add-note-instead",
                            G_CALLBACK (on_add_note_instead_cb), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->suggestions_scroller),
                                 GTK_WIDGET (self->suggestions));
}

/* --- callbacks ------------------------------------------------------------- */

static void
on_text_changed_cb (GtkWidget      *row,
                    FlIntakeDialog *self)
{
  /* A field that is being corrected is no longer marked. */
  for (guint i = 0; i < N_FIELDS; i++)
    if (self->fields[i].row == row)
      set_field_error (self, i, NULL);
  schedule_draft_save (self);
  update_suggestions (self);
}

static void
on_description_changed_cb (GtkTextBuffer  *buffer,
                           FlIntakeDialog *self)
{
  set_field_error (self, FIELD_DESCRIPTION, NULL);
  schedule_draft_save (self);
  update_suggestions (self);
}

static void
on_grade_changed_cb (FlIntakeDialog *self)
{
  update_priority (self);
  schedule_draft_save (self);
}

static void
on_category_changed_cb (FlIntakeDialog *self)
{
  set_field_error (self, FIELD_CATEGORY, NULL);
  update_category_hint (self);
  schedule_draft_save (self);
  update_suggestions (self);
}

static gboolean
close_idle_cb (gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

static void
on_discard_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        FlIntakeDialog   *self)
{
  self->discard_dialog = NULL;

  if (g_strcmp0 (response, "discard") == 0)
    {
      /* Not from inside the question's own signal: it closes itself after it. */
      self->discard_confirmed = TRUE;
      save_draft (self);
      g_idle_add_full (G_PRIORITY_DEFAULT, close_idle_cb, g_object_ref (self), g_object_unref);
    }
  else if (gtk_window_get_focus (GTK_WINDOW (self)) == NULL)
    focus_field (self, FIELD_NAME);
}

static void
ask_discard (FlIntakeDialog *self)
{
  AdwMessageDialog *dialog;

  if (self->discard_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->discard_dialog));
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Discard the New Ticket?"),
                                                       _("What you typed will be lost.")));
  adw_message_dialog_add_responses (dialog,
                                    "keep", _("_Keep Editing"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_discard_response_cb), self, 0);

  self->discard_dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  fl_intake_dialog_submit (FL_INTAKE_DIALOG (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  gtk_window_close (GTK_WINDOW (widget));
}

/* --- overrides ------------------------------------------------------------- */

static gboolean
fl_intake_dialog_close_request (GtkWindow *window)
{
  FlIntakeDialog *self = FL_INTAKE_DIALOG (window);

  if (!self->discard_confirmed && fl_intake_dialog_has_input (self))
    {
      ask_discard (self);
      return TRUE;
    }

  return GTK_WINDOW_CLASS (fl_intake_dialog_parent_class)->close_request (window);
}

static void
fl_intake_dialog_constructed (GObject *object)
{
  FlIntakeDialog *self = FL_INTAKE_DIALOG (object);

  g_autoptr(GtkStringList) categories = gtk_string_list_new (NULL);

  G_OBJECT_CLASS (fl_intake_dialog_parent_class)->constructed (object);

  g_assert (FL_IS_CONTEXT (self->context));

  /* The categories the context holds; the list position - 1 is the index. */
  self->categories = g_ptr_array_ref (fl_context_get_categories (self->context));
  gtk_string_list_append (categories, _("Choose…"));
  for (guint i = 0; i < self->categories->len; i++)
    gtk_string_list_append (categories, fl_category_get_label (g_ptr_array_index (self->categories, i)));
  adw_combo_row_set_model (self->category_row, G_LIST_MODEL (categories));
  adw_combo_row_set_selected (self->category_row, CATEGORY_NONE);
  g_signal_connect_swapped (self->category_row, "notify::selected", G_CALLBACK (on_category_changed_cb), self);
  update_category_hint (self);

  if (restore_draft (self))
    adw_toast_overlay_add_toast (self->toast_overlay,
                                 adw_toast_new (_("The new ticket you had begun is back")));
  add_suggestions_panel (self);
}

static void
fl_intake_dialog_dispose (GObject *object)
{
  FlIntakeDialog *self = FL_INTAKE_DIALOG (object);

  /* Ctrl+Q and a closed window end here: what was typed stays in the cache. */
  if (self->draft_source_id != 0)
    save_draft (self);

  if (self->discard_dialog != NULL)
    {
      AdwMessageDialog *dialog = g_steal_pointer (&self->discard_dialog);
      gtk_window_destroy (GTK_WINDOW (dialog));
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_INTAKE_DIALOG);

  g_clear_object (&self->context);
  g_clear_pointer (&self->categories, g_ptr_array_unref);

  G_OBJECT_CLASS (fl_intake_dialog_parent_class)->dispose (object);
}

static void
fl_intake_dialog_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FlIntakeDialog *self = FL_INTAKE_DIALOG (object);

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
fl_intake_dialog_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FlIntakeDialog *self = FL_INTAKE_DIALOG (object);

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
fl_intake_dialog_class_init (FlIntakeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = fl_intake_dialog_constructed;
  object_class->dispose = fl_intake_dialog_dispose;
  object_class->get_property = fl_intake_dialog_get_property;
  object_class->set_property = fl_intake_dialog_set_property;

  window_class->close_request = fl_intake_dialog_close_request;

  properties [PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FL_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FlIntakeDialog::created:
   * @ticket: the new ticket, as it is in the local cache
   *
   * The ticket was created; the dialog closes right after.
   */
  signals [CREATED] =
    g_signal_new ("created",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FL_TYPE_TICKET);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-intake-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, message_revealer);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, priority_label);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, phone_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, department_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, location_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, asset_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, channel_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, category_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, impact_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, urgency_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, description_frame);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, description_view);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, phone_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, email_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, department_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, location_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, asset_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, channel_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, category_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, impact_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, urgency_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, title_error);
  gtk_widget_class_bind_template_child (widget_class, FlIntakeDialog, description_error);

  gtk_widget_class_install_action (widget_class, "intake.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "intake.cancel", NULL, cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "intake.cancel", NULL);
}

static void
fl_intake_dialog_init (FlIntakeDialog *self)
{
  const char * const *names = fl_intake_get_fields ();
  g_autoptr(GtkStringList) channels = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) impacts = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) urgencies = gtk_string_list_new (NULL);
  GtkEventController *shortcuts;
  const guint ctrl_enter_keys[] = { GDK_KEY_Return, GDK_KEY_KP_Enter, GDK_KEY_ISO_Enter };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->fields[FIELD_NAME].row = GTK_WIDGET (self->name_row);
  self->fields[FIELD_NAME].error = self->name_error;
  self->fields[FIELD_PHONE].row = GTK_WIDGET (self->phone_row);
  self->fields[FIELD_PHONE].error = self->phone_error;
  self->fields[FIELD_EMAIL].row = GTK_WIDGET (self->email_row);
  self->fields[FIELD_EMAIL].error = self->email_error;
  self->fields[FIELD_DEPARTMENT].row = GTK_WIDGET (self->department_row);
  self->fields[FIELD_DEPARTMENT].error = self->department_error;
  self->fields[FIELD_LOCATION].row = GTK_WIDGET (self->location_row);
  self->fields[FIELD_LOCATION].error = self->location_error;
  self->fields[FIELD_ASSET].row = GTK_WIDGET (self->asset_row);
  self->fields[FIELD_ASSET].error = self->asset_error;
  self->fields[FIELD_CHANNEL].row = GTK_WIDGET (self->channel_row);
  self->fields[FIELD_CHANNEL].error = self->channel_error;
  self->fields[FIELD_CATEGORY].row = GTK_WIDGET (self->category_row);
  self->fields[FIELD_CATEGORY].error = self->category_error;
  self->fields[FIELD_IMPACT].row = GTK_WIDGET (self->impact_row);
  self->fields[FIELD_IMPACT].error = self->impact_error;
  self->fields[FIELD_URGENCY].row = GTK_WIDGET (self->urgency_row);
  self->fields[FIELD_URGENCY].error = self->urgency_error;
  self->fields[FIELD_TITLE].row = GTK_WIDGET (self->title_row);
  self->fields[FIELD_TITLE].error = self->title_error;
  self->fields[FIELD_DESCRIPTION].row = self->description_frame;
  self->fields[FIELD_DESCRIPTION].error = self->description_error;

  /* The order of fl_intake_get_fields () is the order of the form. */
  for (guint i = 0; i < N_FIELDS; i++)
    {
      g_assert (names[i] != NULL);
      self->fields[i].name = names[i];
      if (field_is_text (i) && i != FIELD_DESCRIPTION)
        g_signal_connect (self->fields[i].row, "changed", G_CALLBACK (on_text_changed_cb), self);
    }
  g_assert (names[N_FIELDS] == NULL);
  g_signal_connect (gtk_text_view_get_buffer (self->description_view), "changed",
                    G_CALLBACK (on_description_changed_cb), self);

  /* Choices: the list position is the enum value. */
  for (FlChannel c = FL_CHANNEL_PHONE; c <= FL_CHANNEL_PORTAL; c++)
    gtk_string_list_append (channels, fl_channel_get_label (c));
  for (FlGrade g = FL_GRADE_LOW; g <= FL_GRADE_HIGH; g++)
    {
      gtk_string_list_append (impacts, fl_grade_get_label (g));
      gtk_string_list_append (urgencies, fl_grade_get_label (g));
    }

  adw_combo_row_set_model (self->channel_row, G_LIST_MODEL (channels));
  adw_combo_row_set_model (self->impact_row, G_LIST_MODEL (impacts));
  adw_combo_row_set_model (self->urgency_row, G_LIST_MODEL (urgencies));
  adw_combo_row_set_selected (self->channel_row, FL_CHANNEL_PHONE);
  adw_combo_row_set_selected (self->impact_row, FL_GRADE_MEDIUM);
  adw_combo_row_set_selected (self->urgency_row, FL_GRADE_MEDIUM);

  g_signal_connect_swapped (self->channel_row, "notify::selected", G_CALLBACK (schedule_draft_save), self);
  g_signal_connect_swapped (self->impact_row, "notify::selected", G_CALLBACK (on_grade_changed_cb), self);
  g_signal_connect_swapped (self->urgency_row, "notify::selected", G_CALLBACK (on_grade_changed_cb), self);

  update_priority (self);

  /* Ctrl+Enter creates from anywhere, also from inside the description, whose
   * text view would otherwise take it as a new line. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (ctrl_enter_keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (ctrl_enter_keys[i],
                                                                                    GDK_CONTROL_MASK),
                                                            gtk_named_action_new ("intake.create")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  add_suggestions_box (self);

  /* The requester's name is what an agent types first. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->name_row));
}

/* --- public API ------------------------------------------------------------ */

FlIntakeDialog *
fl_intake_dialog_new (GtkWindow *parent,
                      FlContext *context)
{
  FlIntakeDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  self = g_object_new (FL_TYPE_INTAKE_DIALOG,
                       "context", context,
                       "transient-for", parent,
                       NULL);
  if (parent != NULL && gtk_window_get_application (parent) != NULL)
    gtk_window_set_application (GTK_WINDOW (self), gtk_window_get_application (parent));

  return self;
}

FlContext *
fl_intake_dialog_get_context (FlIntakeDialog *self)
{
  g_return_val_if_fail (FL_IS_INTAKE_DIALOG (self), NULL);

  return self->context;
}

gboolean
fl_intake_dialog_set_field (FlIntakeDialog *self,
                            const char     *field,
                            const char     *value)
{
  guint i;

  g_return_val_if_fail (FL_IS_INTAKE_DIALOG (self), FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if ((i = field_lookup (self, field)) == N_FIELDS)
    return FALSE;

  if (value == NULL)
    value = "";

  switch (i)
    {
    case FIELD_DESCRIPTION:
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view), value, -1);
      return TRUE;

    case FIELD_CHANNEL:
      {
        FlChannel channel;

        if (!fl_channel_from_string (value, &channel))
          return FALSE;
        adw_combo_row_set_selected (self->channel_row, channel);
        return TRUE;
      }

    case FIELD_IMPACT:
    case FIELD_URGENCY:
      {
        FlGrade grade;

        if (!fl_grade_from_string (value, &grade))
          return FALSE;
        adw_combo_row_set_selected (ADW_COMBO_ROW (self->fields[i].row), grade);
        return TRUE;
      }

    case FIELD_CATEGORY:
      for (guint k = 0; k < self->categories->len; k++)
        {
          FlCategory *category = g_ptr_array_index (self->categories, k);

          if (g_strcmp0 (category->id, value) == 0)
            {
              adw_combo_row_set_selected (self->category_row, k + 1);
              return TRUE;
            }
        }
      if (*value == '\0')
        {
          adw_combo_row_set_selected (self->category_row, CATEGORY_NONE);
          return TRUE;
        }
      return FALSE;

    default:
      gtk_editable_set_text (GTK_EDITABLE (self->fields[i].row), value);
      return TRUE;
    }
}

char *
fl_intake_dialog_dup_field (FlIntakeDialog *self,
                            const char     *field)
{
  FlCategory *category;
  guint i;

  g_return_val_if_fail (FL_IS_INTAKE_DIALOG (self), NULL);
  g_return_val_if_fail (field != NULL, NULL);

  if ((i = field_lookup (self, field)) == N_FIELDS)
    return NULL;

  switch (i)
    {
    case FIELD_CHANNEL:
      return g_strdup (fl_channel_to_string (get_channel (self)));

    case FIELD_IMPACT:
    case FIELD_URGENCY:
      return g_strdup (fl_grade_to_string (get_grade (ADW_COMBO_ROW (self->fields[i].row))));

    case FIELD_CATEGORY:
      category = get_selected_category (self);
      return g_strdup (category ? category->id : "");

    default:
      return dup_text (self, i);
    }
}

gboolean
fl_intake_dialog_has_input (FlIntakeDialog *self)
{
  g_return_val_if_fail (FL_IS_INTAKE_DIALOG (self), FALSE);

  for (guint i = 0; i < N_FIELDS; i++)
    {
      g_autofree char *text = NULL;

      if (!field_is_text (i))
        continue;
      text = dup_text (self, i);
      if (text[0] != '\0')
        return TRUE;
    }

  return FALSE;
}

static void
set_optional (JsonObject     *object,
              const char     *member,
              FlIntakeDialog *self,
              guint           field)
{
  g_autofree char *value = dup_value (self, field);

  if (value[0] != '\0')
    json_object_set_string_member (object, member, value);
}

gboolean
fl_intake_dialog_submit (FlIntakeDialog *self)
{
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *requester;
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  FlCategory *category;
  guint invalid;

  g_return_val_if_fail (FL_IS_INTAKE_DIALOG (self), FALSE);

  if ((invalid = validate (self)) != N_FIELDS)
    {
      focus_field (self, invalid);
      return FALSE;
    }

  category = get_selected_category (self);
  title = dup_value (self, FIELD_TITLE);
  name = dup_value (self, FIELD_NAME);

  fields = json_object_new ();
  json_object_set_string_member (fields, "title", title);
  set_optional (fields, "description", self, FIELD_DESCRIPTION);

  requester = json_object_new ();
  json_object_set_string_member (requester, "name", name);
  set_optional (requester, "email", self, FIELD_EMAIL);
  set_optional (requester, "phone", self, FIELD_PHONE);
  set_optional (requester, "department", self, FIELD_DEPARTMENT);
  set_optional (requester, "location", self, FIELD_LOCATION);
  json_object_set_object_member (fields, "requester", requester);

  set_optional (fields, "asset", self, FIELD_ASSET);
  json_object_set_string_member (fields, "channel", fl_channel_to_string (get_channel (self)));
  json_object_set_string_member (fields, "category", category->id);
  json_object_set_string_member (fields, "impact", fl_grade_to_string (get_grade (self->impact_row)));
  json_object_set_string_member (fields, "urgency", fl_grade_to_string (get_grade (self->urgency_row)));

  ticket = fl_store_create_ticket (fl_context_get_store (self->context), fields, &error);
  if (ticket == NULL)
    {
      /* Translators: %s says why, e.g. "database or disk is full" */
      g_autofree char *message = g_strdup_printf (_("The ticket could not be saved: %s\n"
                                                    "Nothing you typed is lost; try again."),
                                                  error->message);

      g_debug ("Creating a ticket failed: %s", error->message);
      show_message (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->create_button));
      return FALSE;
    }

  show_message (self, NULL);

  g_object_ref (self);
  g_signal_emit (self, signals [CREATED], 0, ticket);
  self->discard_confirmed = TRUE;
  save_draft (self);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);

  return TRUE;
}

/* --- for tests ------------------------------------------------------------- */

FlSuggestionsPanel *
_fl_intake_dialog_get_suggestions (FlIntakeDialog *self)
{
  return self->suggestions;
}

GtkWidget *
_fl_intake_dialog_get_field_widget (FlIntakeDialog *self,
                                    const char     *field)
{
  guint i = field_lookup (self, field);

  g_return_val_if_fail (i < N_FIELDS, NULL);
  return self->fields[i].row;
}

GtkLabel *
_fl_intake_dialog_get_error_label (FlIntakeDialog *self,
                                   const char     *field)
{
  guint i = field_lookup (self, field);

  g_return_val_if_fail (i < N_FIELDS, NULL);
  return self->fields[i].error;
}

GtkTextView *
_fl_intake_dialog_get_description_view (FlIntakeDialog *self)
{
  return self->description_view;
}

GtkLabel *
_fl_intake_dialog_get_priority_label (FlIntakeDialog *self)
{
  return self->priority_label;
}

const char *
_fl_intake_dialog_get_message (FlIntakeDialog *self)
{
  if (!gtk_revealer_get_reveal_child (self->message_revealer))
    return NULL;
  return gtk_label_get_label (self->message_label);
}

GPtrArray *
_fl_intake_dialog_get_categories (FlIntakeDialog *self)
{
  return self->categories;
}

AdwMessageDialog *
_fl_intake_dialog_get_discard_dialog (FlIntakeDialog *self)
{
  return self->discard_dialog;
}
