/* fl-handoff-dialog.c — the handoff form: escalation to a 2nd-level queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-handoff-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fl-a11y.h"
#include "fl-checklist-library.h"
#include "fl-store-actions.h"
#include "fl-handoff-dialog.h"

/* The op table's limit on "steps_tried" entries */
#define MAX_STEPS_TRIED 500

struct _FlHandoffDialog
{
  AdwWindow        parent_instance;

  /* template widgets */
  AdwWindowTitle  *window_title;
  GtkWidget       *handoff_button;
  GtkRevealer     *error_revealer;
  GtkLabel        *error_label;
  AdwComboRow     *queue_row;
  AdwEntryRow     *summary_row;
  GtkLabel        *queue_error_label;
  GtkLabel        *summary_error_label;
  AdwComboRow     *impact_row;
  AdwComboRow     *urgency_row;
  AdwEntryRow     *contact_row;
  GtkLabel        *contact_error_label;
  GtkTextView     *steps_view;
  GtkLabel        *steps_error_label;

  /* owned */
  FlContext       *context;
  FlTicket        *ticket;
  GStrv            queues;      /* as in queue_row */
};

G_DEFINE_FINAL_TYPE (FlHandoffDialog, fl_handoff_dialog, ADW_TYPE_WINDOW)

enum {
  HANDED_OFF,
  N_SIGNALS
};

static guint signals [N_SIGNALS];


/* -------------------------------------------------------------------------- */

static gboolean
is_valid_queue (const char *queue)
{
  return queue != NULL && fl_text_is_valid (queue, 1, FL_SHORT_TEXT_MAX) &&
         g_utf8_strchr (queue, -1, '\n') == NULL;
}

static void
set_field_error (GtkWidget  *row,
                 GtkLabel   *label,
                 const char *message)
{
  if (message != NULL)
    {
      gtk_widget_add_css_class (row, "error");
      gtk_label_set_text (label, message);
      gtk_accessible_update_state (GTK_ACCESSIBLE (row),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                   -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                      -1);
    }
  else
    {
      gtk_widget_remove_css_class (row, "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

static GtkStringList *
new_grade_model (void)
{
  GtkStringList *model = gtk_string_list_new (NULL);

  for (FlGrade grade = FL_GRADE_LOW; grade <= FL_GRADE_HIGH; grade++)
    gtk_string_list_append (model, fl_grade_get_label (grade));

  return model;
}

static void
setup_combo (AdwComboRow  *row,
             GListModel   *model)
{
  adw_combo_row_set_expression (row, gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                                  "string"));
  adw_combo_row_set_model (row, model);
}

static char *
dup_contact (FlTicket *ticket)
{
  const char *phone = ticket->requester.phone;
  const char *email = ticket->requester.email;
  gboolean has_phone = phone != NULL && *phone != '\0';
  gboolean has_email = email != NULL && *email != '\0';

  if (has_phone && has_email)
    /* Translators: how to reach the user: "phone, e-mail" */
    return g_strdup_printf (_("%s, %s"), phone, email);
  if (has_phone)
    return g_strdup (phone);
  if (has_email)
    return g_strdup (email);
  return g_strdup ("");
}

static void
prefill (FlHandoffDialog *self,
         const char      *suggested_queue)
{
  FlStore *store = fl_context_get_store (self->context);
  g_autoptr(GtkStringList) queues = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) impact = new_grade_model ();
  g_autoptr(GtkStringList) urgency = new_grade_model ();
  FlChecklistLibrary *library;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *number = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *description = NULL;
  guint selected = GTK_INVALID_LIST_POSITION;

  number = fl_ticket_dup_display_number (self->ticket);
  /* Translators: the handoff dialog's subtitle: ticket number and title */
  subtitle = g_strdup_printf (_("%s · %s"), number, self->ticket->title);
  adw_window_title_set_subtitle (self->window_title, subtitle);

  /* The queues, with the suggested one even when the configuration lacks it */
  self->queues = fl_handoff_dialog_dup_queues (store);
  if (is_valid_queue (suggested_queue) &&
      !g_strv_contains ((const char * const *) self->queues, suggested_queue))
    {
      guint n = g_strv_length (self->queues);

      self->queues = g_renew (char *, self->queues, n + 2);
      self->queues[n] = g_strdup (suggested_queue);
      self->queues[n + 1] = NULL;
    }
  for (guint i = 0; self->queues[i]; i++)
    {
      gtk_string_list_append (queues, fl_queue_get_label (self->queues[i]));
      if (g_strcmp0 (self->queues[i], suggested_queue) == 0)
        selected = i;
    }
  setup_combo (self->queue_row, G_LIST_MODEL (queues));
  adw_combo_row_set_selected (self->queue_row, selected);

  /* The title alone says too little: the description's first line goes with it */
  description = g_strstrip (g_strdup (self->ticket->description ? self->ticket->description : ""));
  if (strchr (description, '\n') != NULL)
    *strchr (description, '\n') = '\0';
  g_strstrip (description);
  if (*description != '\0')
    {
      /* Translators: the handoff summary prefilled from the title and the description */
      g_autofree char *summary = g_strdup_printf (_("%s: %s"), self->ticket->title, description);

      gtk_editable_set_text (GTK_EDITABLE (self->summary_row), summary);
    }
  else
    gtk_editable_set_text (GTK_EDITABLE (self->summary_row), self->ticket->title);

  setup_combo (self->impact_row, G_LIST_MODEL (impact));
  adw_combo_row_set_selected (self->impact_row, self->ticket->impact);
  setup_combo (self->urgency_row, G_LIST_MODEL (urgency));
  adw_combo_row_set_selected (self->urgency_row, self->ticket->urgency);

  contact = dup_contact (self->ticket);
  gtk_editable_set_text (GTK_EDITABLE (self->contact_row), contact);

  /* The steps already tried, from the checklist progress on the ticket */
  library = fl_context_get_checklist_library (self->context);
  fl_checklist_library_refresh (library);
  events = fl_store_list_events (store, self->ticket->id, &error);
  if (events != NULL)
    {
      g_auto(GStrv) steps = fl_checklist_library_dup_steps_tried (library, events);
      g_autofree char *text = g_strjoinv ("\n", steps);

      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->steps_view), text, -1);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Cannot read the checklist progress: %s"),
                                                  error->message);
      gtk_label_set_text (self->error_label, message);
      gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
    }
}

/* Whether @summary says no more than @title (case and spaces aside). */
static gboolean
is_just_title (const char *summary,
               const char *title)
{
  g_autofree char *a = g_utf8_casefold (summary, -1);
  g_autofree char *b = g_utf8_casefold (title ? title : "", -1);
  g_autofree char *na = g_utf8_normalize (g_strstrip (a), -1, G_NORMALIZE_ALL);
  g_autofree char *nb = g_utf8_normalize (g_strstrip (b), -1, G_NORMALIZE_ALL);
  gsize la = strlen (na);

  /* a period, colon or dash after the title adds nothing */
  while (la > 0 && strchr (".:;,-–— ", na[la - 1]) != NULL)
    na[--la] = '\0';
  return g_strcmp0 (na, nb) == 0;
}

static char *
dup_steps_text (FlHandoffDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->steps_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The lines of the steps field, trimmed, without empty ones; NULL when too many. */
static GStrv
collect_steps (FlHandoffDialog  *self,
               char            **out_error)
{
  g_autofree char *text = dup_steps_text (self);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) steps = NULL;

  for (guint i = 0; lines[i]; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line == '\0')
        continue;
      if (!fl_text_is_valid (line, 1, FL_TEXT_MAX))
        {
          *out_error = g_strdup_printf (_("Line %u of the steps is too long."), i + 1);
          return NULL;
        }
      g_strv_builder_add (builder, line);
    }

  steps = g_strv_builder_end (builder);
  if (g_strv_length (steps) > MAX_STEPS_TRIED)
    {
      *out_error = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "At most %u step can be handed off.",
                                                     "At most %u steps can be handed off.",
                                                     MAX_STEPS_TRIED),
                                          MAX_STEPS_TRIED);
      return NULL;
    }

  return g_steal_pointer (&steps);
}

/* -------------------------------------------------------------------------- */

static void
on_summary_changed_cb (FlHandoffDialog *self)
{
  set_field_error (GTK_WIDGET (self->summary_row), self->summary_error_label, NULL);
}

static void
on_contact_changed_cb (FlHandoffDialog *self)
{
  set_field_error (GTK_WIDGET (self->contact_row), self->contact_error_label, NULL);
}

static void
on_queue_selected_cb (FlHandoffDialog *self)
{
  if (adw_combo_row_get_selected (self->queue_row) != GTK_INVALID_LIST_POSITION)
    set_field_error (GTK_WIDGET (self->queue_row), self->queue_error_label, NULL);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  fl_handoff_dialog_submit (FL_HANDOFF_DIALOG (widget));
}

/* -------------------------------------------------------------------------- */

static void
fl_handoff_dialog_dispose (GObject *object)
{
  FlHandoffDialog *self = (FlHandoffDialog *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_HANDOFF_DIALOG);
  g_clear_object (&self->ticket);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_handoff_dialog_parent_class)->dispose (object);
}

static void
fl_handoff_dialog_finalize (GObject *object)
{
  FlHandoffDialog *self = (FlHandoffDialog *)object;

  g_clear_pointer (&self->queues, g_strfreev);

  G_OBJECT_CLASS (fl_handoff_dialog_parent_class)->finalize (object);
}

static void
fl_handoff_dialog_class_init (FlHandoffDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_handoff_dialog_dispose;
  object_class->finalize = fl_handoff_dialog_finalize;

  /**
   * FlHandoffDialog::handed-off:
   * @ticket: the ticket's new state, escalated
   */
  signals [HANDED_OFF] =
    g_signal_new ("handed-off",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FL_TYPE_TICKET);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-handoff-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, handoff_button);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, queue_row);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, summary_row);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, queue_error_label);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, summary_error_label);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, impact_row);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, urgency_row);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, contact_row);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, contact_error_label);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, steps_view);
  gtk_widget_class_bind_template_child (widget_class, FlHandoffDialog, steps_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_summary_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_contact_changed_cb);

  gtk_widget_class_install_action (widget_class, "handoff.submit", NULL, submit_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "handoff.submit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK,
                                       "handoff.submit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
fl_handoff_dialog_init (FlHandoffDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The first group has no title: its list gets a name of its own. */
  fl_a11y_set_label (gtk_widget_get_parent (GTK_WIDGET (self->queue_row)),
                     _("Queue and summary"));

  g_signal_connect_object (self->queue_row, "notify::selected",
                           G_CALLBACK (on_queue_selected_cb), self, G_CONNECT_SWAPPED);
}

/* -------------------------------------------------------------------------- */

GStrv
fl_handoff_dialog_dup_queues (FlStore *store)
{
  g_autofree char *state = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonNode *root;
  JsonArray *array;
  guint n = 0;

  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  state = fl_store_dup_state (store, "queues");
  if (state == NULL)
    return g_strdupv ((char **) fl_queue_get_defaults ());

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, state, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_warning ("The configured queues are not a JSON array; using the defaults");
      return g_strdupv ((char **) fl_queue_get_defaults ());
    }

  builder = g_strv_builder_new ();
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array) && n < 100; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *name = NULL;

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        name = json_node_get_string (element);
      else if (JSON_NODE_HOLDS_OBJECT (element))
        name = json_object_get_string_member_with_default (json_node_get_object (element),
                                                           "name", NULL);

      if (is_valid_queue (name))
        {
          g_strv_builder_add (builder, name);
          n++;
        }
    }

  if (n == 0)
    return g_strdupv ((char **) fl_queue_get_defaults ());

  return g_strv_builder_end (builder);
}

FlHandoffDialog *
fl_handoff_dialog_new (GtkWindow  *parent,
                       FlContext  *context,
                       FlTicket   *ticket,
                       const char *suggested_queue)
{
  FlHandoffDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (FL_IS_TICKET (ticket), NULL);

  self = g_object_new (FL_TYPE_HANDOFF_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->context = g_object_ref (context);
  self->ticket = g_object_ref (ticket);
  prefill (self, suggested_queue);

  gtk_widget_grab_focus (adw_combo_row_get_selected (self->queue_row) == GTK_INVALID_LIST_POSITION
                         ? GTK_WIDGET (self->queue_row) : GTK_WIDGET (self->summary_row));

  return self;
}

gboolean
fl_handoff_dialog_submit (FlHandoffDialog *self)
{
  g_auto(GStrv) steps = NULL;
  FlHandoffRequest request = { 0 };
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *steps_error = NULL;
  GtkWidget *first_invalid = NULL;
  guint queue;

  g_return_val_if_fail (FL_IS_HANDOFF_DIALOG (self), FALSE);

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);

  queue = adw_combo_row_get_selected (self->queue_row);
  if (queue == GTK_INVALID_LIST_POSITION || queue >= g_strv_length (self->queues))
    {
      set_field_error (GTK_WIDGET (self->queue_row), self->queue_error_label,
                       _("Choose the queue that takes over the ticket."));
      first_invalid = GTK_WIDGET (self->queue_row);
    }
  else
    set_field_error (GTK_WIDGET (self->queue_row), self->queue_error_label, NULL);

  summary = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->summary_row))));
  if (*summary == '\0' || !fl_text_is_valid (summary, 1, FL_TEXT_MAX) ||
      is_just_title (summary, self->ticket->title))
    {
      set_field_error (GTK_WIDGET (self->summary_row), self->summary_error_label,
                       *summary == '\0' ? _("A summary is required: what is the problem?")
                       : !fl_text_is_valid (summary, 1, FL_TEXT_MAX) ? _("The summary is too long.")
                       : _("Say more than the title: what happens, since when, what the user "
                           "needs."));
      if (first_invalid == NULL)
        first_invalid = GTK_WIDGET (self->summary_row);
    }

  contact = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->contact_row))));
  if (*contact == '\0' || !fl_text_is_valid (contact, 0, FL_TEXT_MAX))
    {
      set_field_error (GTK_WIDGET (self->contact_row), self->contact_error_label,
                       *contact == '\0'
                       ? _("How can 2nd level reach the user? Enter a phone number or an e-mail "
                           "address.")
                       : _("This is too long."));
      if (first_invalid == NULL)
        first_invalid = GTK_WIDGET (self->contact_row);
    }

  steps = collect_steps (self, &steps_error);
  if (steps != NULL && steps[0] == NULL)
    {
      /* 2nd level must not have to call back to ask what was tried */
      g_clear_pointer (&steps, g_strfreev);
      steps_error = g_strdup (_("Enter at least one step that was already tried, one per line."));
    }
  gtk_label_set_text (self->steps_error_label, steps_error ? steps_error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->steps_error_label), steps_error != NULL);
  if (steps == NULL && first_invalid == NULL)
    first_invalid = GTK_WIDGET (self->steps_view);

  if (first_invalid != NULL)
    {
      gtk_widget_grab_focus (first_invalid);
      return FALSE;
    }

  request.queue = self->queues[queue];
  request.summary = summary;
  request.steps_tried = (const char * const *) steps;
  request.impact = (FlGrade) adw_combo_row_get_selected (self->impact_row);
  request.urgency = (FlGrade) adw_combo_row_get_selected (self->urgency_row);
  request.contact = *contact != '\0' ? contact : NULL;

  updated = fl_store_handoff (fl_context_get_store (self->context), self->ticket->id, &request,
                              &error);
  if (updated == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The ticket was not handed off: %s"),
                                                  error->message);
      gtk_label_set_text (self->error_label, message);
      gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
      gtk_widget_grab_focus (self->handoff_button);
      return FALSE;
    }

  g_signal_emit (self, signals [HANDED_OFF], 0, updated);
  gtk_window_destroy (GTK_WINDOW (self));
  return TRUE;
}
