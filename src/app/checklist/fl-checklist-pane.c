/* fl-checklist-pane.c — the guided checklist beside a ticket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-checklist-pane"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-a11y.h"
#include "fl-checklist-library.h"
#include "fl-store-actions.h"
#include "fl-checklist-pane.h"

struct _FlChecklistPane
{
  GtkWidget           parent_instance;

  /* template widgets */
  GtkDropDown        *checklist_dropdown;
  GtkWidget          *restart_button;
  GtkLabel           *progress_label;
  GtkRevealer        *error_revealer;
  GtkLabel           *error_label;
  GtkStack           *stack;
  AdwStatusPage      *empty_page;
  GtkWidget          *scroller;
  GtkListBox         *done_list;
  GtkWidget          *current_box;
  GtkLabel           *step_kind_label;
  GtkLabel           *step_text_label;
  GtkLabel           *step_help_label;
  GtkLabel           *requires_label;
  GtkStack           *answer_stack;
  GtkWidget          *done_button;
  GtkWidget          *skip_button;
  GtkWidget          *failed_button;
  GtkWidget          *yes_button;
  GtkWidget          *no_button;
  GtkEntry           *input_entry;
  GtkWidget          *save_button;
  GtkLabel           *input_error_label;
  GtkWidget          *finished_box;
  GtkLabel           *result_label;
  GtkLabel           *finished_note_label;
  GtkWidget          *resolve_button;
  GtkWidget          *escalate_button;

  /* owned */
  FlContext          *context;
  FlChecklistLibrary *library;
  FlTicket           *ticket;
  FlChecklistRun     *run;
  GPtrArray          *choices;        /* FlChecklist or NULL ("none"), as in the dropdown */
  GHashTable         *picks;          /* ticket id → checklist id picked by hand ("" for none) */
  GHashTable         *drafts;         /* "ticket id\nstep id" → a value typed but not saved */
  char               *shown_step_id;  /* the step the answer controls are for */

  gulong              changed_id;
  gboolean            updating;
};

G_DEFINE_FINAL_TYPE (FlChecklistPane, fl_checklist_pane, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

enum {
  RESOLVE_REQUESTED,
  ESCALATE_REQUESTED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

static void reload (FlChecklistPane *self);

/* -------------------------------------------------------------------------- */

static FlStore *
get_store (FlChecklistPane *self)
{
  return fl_context_get_store (self->context);
}

static void
show_error (FlChecklistPane *self,
            const char      *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

static void
hide_error (FlChecklistPane *self)
{
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
}

static void
show_input_error (FlChecklistPane *self,
                  const char      *message)
{
  gtk_widget_add_css_class (GTK_WIDGET (self->input_entry), "error");
  gtk_label_set_text (self->input_error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->input_error_label), TRUE);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->input_entry),
                               GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                               -1);
}

static void
hide_input_error (FlChecklistPane *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->input_entry), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->input_error_label), FALSE);
  gtk_accessible_reset_state (GTK_ACCESSIBLE (self->input_entry), GTK_ACCESSIBLE_STATE_INVALID);
}

static void
unref_nullable (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static int
compare_titles (gconstpointer a,
                gconstpointer b)
{
  FlChecklist *ca = *(FlChecklist * const *) a;
  FlChecklist *cb = *(FlChecklist * const *) b;

  return g_utf8_collate (fl_checklist_get_title (ca, NULL), fl_checklist_get_title (cb, NULL));
}

/* The dropdown: "None", then every checklist on offer by its title. */
static void
rebuild_choices (FlChecklistPane *self)
{
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  GPtrArray *list = fl_checklist_library_list (self->library);

  g_ptr_array_set_size (self->choices, 0);
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (self->choices, g_object_ref (g_ptr_array_index (list, i)));
  g_ptr_array_sort (self->choices, compare_titles);
  g_ptr_array_insert (self->choices, 0, NULL);

  gtk_string_list_append (model, C_("checklist", "None"));
  for (guint i = 1; i < self->choices->len; i++)
    gtk_string_list_append (model, fl_checklist_get_title (g_ptr_array_index (self->choices, i),
                                                           NULL));

  self->updating = TRUE;
  gtk_drop_down_set_model (self->checklist_dropdown, G_LIST_MODEL (model));
  self->updating = FALSE;
}

static void
select_choice (FlChecklistPane *self,
               FlChecklist     *checklist)
{
  guint position = 0;

  for (guint i = 1; checklist != NULL && i < self->choices->len; i++)
    {
      FlChecklist *choice = g_ptr_array_index (self->choices, i);

      if (g_str_equal (fl_checklist_get_id (choice), fl_checklist_get_id (checklist)))
        {
          position = i;
          break;
        }
    }

  self->updating = TRUE;
  gtk_drop_down_set_selected (self->checklist_dropdown, position);
  self->updating = FALSE;
}

/* The checklist to show: picked by hand, else the last one used on the ticket, else
 * the one for its category. */
static FlChecklist *
choose_checklist (FlChecklistPane *self,
                  GPtrArray       *events,
                  gboolean        *out_picked_none)
{
  const char *picked = g_hash_table_lookup (self->picks, self->ticket->id);

  *out_picked_none = FALSE;
  if (picked != NULL && *picked == '\0')
    {
      *out_picked_none = TRUE;
      return NULL;
    }
  if (picked != NULL)
    {
      FlChecklist *checklist = fl_checklist_library_get_for_events (self->library, picked, events);
      if (checklist != NULL)
        return checklist;
    }

  return fl_checklist_library_get_for_ticket (self->library, self->ticket, events);
}

static const char *
outcome_icon (FlChecklistOutcome outcome)
{
  switch (outcome)
    {
    case FL_CHECKLIST_OUTCOME_DONE:
    case FL_CHECKLIST_OUTCOME_YES:
      return "object-select-symbolic";
    case FL_CHECKLIST_OUTCOME_NO:
      return "window-close-symbolic";
    case FL_CHECKLIST_OUTCOME_SKIPPED:
      return "media-skip-forward-symbolic";
    case FL_CHECKLIST_OUTCOME_FAILED:
      return "dialog-warning-symbolic";
    default:
      return "object-select-symbolic";
    }
}

static GtkWidget *
make_done_row (FlChecklistPane         *self,
               guint                    number,
               const FlChecklistRecord *record)
{
  FlChecklist *checklist = fl_checklist_run_get_checklist (self->run);
  const FlChecklistStep *step = fl_checklist_get_step (checklist, record->step_id);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *time = NULL;
  const char *answer;
  GtkWidget *row;
  GtkWidget *icon;

  /* Translators: a done step in the checklist: its number and its text */
  title = g_strdup_printf (_("%u. %s"), number,
                           step ? fl_checklist_step_get_text (step, NULL) : record->step_id);
  answer = record->value ? record->value : fl_checklist_outcome_get_label (record->outcome);

  if (record->at > 0)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (record->at / 1000);
      g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;
      if (local)
        /* Translators: the time of day a step was answered, see g_date_time_format() */
        time = g_date_time_format (local, _("%H:%M"));
    }
  if (record->author != NULL && *record->author != '\0' && time != NULL)
    /* Translators: a step's answer, who gave it and when: "yes · alex · 10:15" */
    subtitle = g_strdup_printf (_("%s · %s · %s"), answer, record->author, time);
  else
    subtitle = g_strdup (answer);

  row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 3);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_add_css_class (row, "compact-row");

  icon = gtk_image_new_from_icon_name (outcome_icon (record->outcome));
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  fl_checklist_outcome_get_label (record->outcome),
                                  -1);
  if (record->outcome == FL_CHECKLIST_OUTCOME_DONE || record->outcome == FL_CHECKLIST_OUTCOME_YES)
    gtk_widget_add_css_class (icon, "success");
  else if (record->outcome == FL_CHECKLIST_OUTCOME_FAILED)
    gtk_widget_add_css_class (icon, "warning");
  else
    gtk_widget_add_css_class (icon, "dim-label");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  /* The row is what a screen reader focuses: its title and its subtitle. */
  {
    /* Translators: spoken for a done checklist step: its title and its answer */
    g_autofree char *spoken = g_strdup_printf (_("%s, %s"), title, subtitle);

    gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, spoken,
                                    -1);
  }

  return row;
}

static const char *
kind_label (FlChecklistStepKind kind)
{
  switch (kind)
    {
    case FL_CHECKLIST_STEP_CHECK:
      return C_("checklist step kind", "To do");
    case FL_CHECKLIST_STEP_QUESTION:
      return C_("checklist step kind", "Question");
    case FL_CHECKLIST_STEP_INPUT:
      return C_("checklist step kind", "Enter a value");
    default:
      return "";
    }
}

/* Help texts mark commands as `code` (Markdown): shown in a monospace font,
 * without the backticks. Everything else is plain text. */
static char *
help_to_markup (const char *help)
{
  g_autoptr(GString) markup = g_string_new (NULL);
  g_auto(GStrv) parts = g_strsplit (help, "`", -1);
  guint n = g_strv_length (parts);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (parts[i], -1);
      /* an odd part is code, unless its closing backtick is missing */
      gboolean code = i % 2 == 1 && i + 1 < n;

      if (i % 2 == 1 && !code)
        g_string_append_c (markup, '`');
      if (code)
        g_string_append (markup, "<tt>");
      g_string_append (markup, escaped);
      if (code)
        g_string_append (markup, "</tt>");
    }

  return g_string_free (g_steal_pointer (&markup), FALSE);
}

static void
update_current_step (FlChecklistPane       *self,
                     const FlChecklistStep *step,
                     guint                  number)
{
  g_autofree char *kind = NULL;
  g_autofree char *missing = NULL;
  const char *help;
  gboolean new_step;

  new_step = g_strcmp0 (self->shown_step_id, step->id) != 0;
  g_free (self->shown_step_id);
  self->shown_step_id = g_strdup (step->id);

  /* Translators: "Step 3 · Question" */
  kind = g_strdup_printf (_("Step %u · %s"), number, kind_label (step->kind));
  gtk_label_set_text (self->step_kind_label, kind);
  gtk_label_set_text (self->step_text_label, fl_checklist_step_get_text (step, NULL));
  help = fl_checklist_step_get_help (step, NULL);
  {
    g_autofree char *markup = help_to_markup (help ? help : "");
    gtk_label_set_markup (self->step_help_label, markup);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->step_help_label), help != NULL);

  /* A step whose requirements are not met is shown but not offered. */
  missing = fl_checklist_run_dup_missing_requires (self->run, step);
  if (missing != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Not yet: first %s must be done."), missing);
      gtk_label_set_text (self->requires_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->requires_label), missing != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->answer_stack), missing == NULL);

  switch (step->kind)
    {
    case FL_CHECKLIST_STEP_CHECK:
      gtk_stack_set_visible_child_name (self->answer_stack, "check");
      gtk_widget_set_visible (self->skip_button, step->skippable);
      gtk_widget_set_visible (self->failed_button, step->failed.kind != FL_CHECKLIST_TARGET_NONE);
      break;

    case FL_CHECKLIST_STEP_QUESTION:
      gtk_stack_set_visible_child_name (self->answer_stack, "question");
      break;

    case FL_CHECKLIST_STEP_INPUT:
      {
        const char *placeholder = fl_localized_text_get (&step->placeholder, NULL);

        gtk_stack_set_visible_child_name (self->answer_stack, "input");
        gtk_entry_set_placeholder_text (self->input_entry, placeholder);
        gtk_accessible_update_property (GTK_ACCESSIBLE (self->input_entry),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        fl_checklist_step_get_text (step, NULL),
                                        GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                        placeholder ? placeholder : "",
                                        -1);
        /* What was typed stays while the step is the same (a sync, another change),
         * and comes back when the agent returns to the ticket. */
        if (new_step)
          {
            g_autofree char *key = g_strconcat (self->ticket->id, "\n", step->id, NULL);
            g_autofree char *draft = NULL;

            g_hash_table_steal_extended (self->drafts, key, NULL, (gpointer *) &draft);
            gtk_editable_set_text (GTK_EDITABLE (self->input_entry), draft ? draft : "");
            hide_input_error (self);
          }
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
update_finished (FlChecklistPane *self)
{
  const FlChecklistTarget *result = fl_checklist_run_get_result (self->run);
  g_autofree char *description = fl_checklist_target_describe (result);
  gboolean open = fl_status_is_open (self->ticket->status);
  const char *note = NULL;
  g_autofree char *note_owned = NULL;

  g_clear_pointer (&self->shown_step_id, g_free);
  gtk_label_set_text (self->result_label, description);

  gtk_widget_set_visible (self->resolve_button, result->kind == FL_CHECKLIST_TARGET_RESOLVE);
  gtk_widget_set_visible (self->escalate_button, result->kind == FL_CHECKLIST_TARGET_ESCALATE);
  gtk_widget_set_sensitive (self->resolve_button, open);
  gtk_widget_set_sensitive (self->escalate_button,
                            open && self->ticket->status != FL_STATUS_ESCALATED);

  if (!open)
    note = _("The ticket is already resolved.");
  else if (result->kind == FL_CHECKLIST_TARGET_ESCALATE && self->ticket->status == FL_STATUS_ESCALATED)
    note = note_owned = g_strdup_printf (_("The ticket is already escalated to “%s”."),
                                         self->ticket->queue);
  gtk_label_set_text (self->finished_note_label, note ? note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->finished_note_label), note != NULL);
}

static void
update_progress (FlChecklistPane *self)
{
  FlChecklist *checklist = fl_checklist_run_get_checklist (self->run);
  guint n_done = fl_checklist_run_get_done_steps (self->run)->len;
  guint attempt = fl_checklist_run_get_attempt (self->run);
  g_autoptr(GString) text = g_string_new (NULL);

  /* Translators: the version of a checklist definition */
  g_string_append_printf (text, _("Version %d"), (int) fl_checklist_get_version (checklist));
  g_string_append (text, " · ");
  if (n_done == 0)
    g_string_append (text, _("not started"));
  else
    g_string_append_printf (text, ngettext ("%u step done", "%u steps done",
                                               n_done), n_done);
  if (attempt > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, ngettext ("restarted once",
                                                 "restarted %u times", attempt), attempt);
    }

  gtk_label_set_text (self->progress_label, text->str);
}

static void
clear_done_list (FlChecklistPane *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->done_list))) != NULL)
    gtk_list_box_remove (self->done_list, child);
}

static void
show_run (FlChecklistPane *self)
{
  GPtrArray *done = fl_checklist_run_get_done_steps (self->run);
  const FlChecklistStep *current = fl_checklist_run_get_current_step (self->run);

  clear_done_list (self);
  for (guint i = 0; i < done->len; i++)
    gtk_list_box_append (self->done_list, make_done_row (self, i + 1, g_ptr_array_index (done, i)));
  gtk_widget_set_visible (GTK_WIDGET (self->done_list), done->len > 0);

  gtk_widget_set_visible (self->current_box, current != NULL);
  gtk_widget_set_visible (self->finished_box, current == NULL);
  if (current != NULL)
    update_current_step (self, current, done->len + 1);
  else
    update_finished (self);

  update_progress (self);
  gtk_widget_set_sensitive (self->restart_button, fl_checklist_run_is_started (self->run));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), TRUE);
  gtk_stack_set_visible_child_name (self->stack, "run");
}

static void
show_empty (FlChecklistPane *self,
            gboolean         picked_none)
{
  g_clear_object (&self->run);
  g_clear_pointer (&self->shown_step_id, g_free);
  clear_done_list (self);

  if (picked_none)
    {
      adw_status_page_set_title (self->empty_page, _("No checklist chosen"));
      adw_status_page_set_description (self->empty_page,
                                       _("Pick one from the list above to be guided step by step."));
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No checklist for this category"));
      adw_status_page_set_description (self->empty_page,
                                       _("Pick one from the list above if one fits the problem."));
    }

  gtk_widget_set_sensitive (self->restart_button, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), FALSE);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
reload (FlChecklistPane *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  FlChecklist *checklist;
  gboolean picked_none;

  /* A change of what is offered rebuilds the choices ("changed"). */
  fl_checklist_library_refresh (self->library);

  if (self->ticket == NULL)
    {
      g_clear_object (&self->run);
      g_clear_pointer (&self->shown_step_id, g_free);
      clear_done_list (self);
      select_choice (self, NULL);
      gtk_widget_set_sensitive (GTK_WIDGET (self->checklist_dropdown), FALSE);
      gtk_widget_set_sensitive (self->restart_button, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_label), FALSE);
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->checklist_dropdown), TRUE);

  events = fl_store_list_events (get_store (self), self->ticket->id, &error);
  if (events == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot read the ticket's history: %s"),
                                                  error->message);
      show_error (self, message);
      return;
    }

  checklist = choose_checklist (self, events, &picked_none);
  select_choice (self, checklist);
  if (checklist == NULL)
    {
      show_empty (self, picked_none);
      return;
    }

  g_clear_object (&self->run);
  self->run = fl_checklist_run_new (checklist, events);
  show_run (self);
}

static gboolean
scroll_to_end_cb (GtkWidget     *scroller,
                  GdkFrameClock *clock,
                  gpointer       user_data)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  return G_SOURCE_REMOVE;
}

/* The current step (or the result) is last: bring it into view once laid out. */
static void
scroll_to_current (FlChecklistPane *self)
{
  gtk_widget_add_tick_callback (GTK_WIDGET (self->scroller), scroll_to_end_cb, NULL, NULL);
}

/* Focuses the first control of the step now shown, for the next answer by keyboard. */
static void
focus_next_control (FlChecklistPane *self)
{
  const char *page;

  if (self->run == NULL)
    return;

  if (fl_checklist_run_is_finished (self->run))
    {
      if (gtk_widget_get_visible (self->resolve_button))
        gtk_widget_grab_focus (self->resolve_button);
      else
        gtk_widget_grab_focus (self->escalate_button);
      return;
    }

  page = gtk_stack_get_visible_child_name (self->answer_stack);
  if (g_strcmp0 (page, "check") == 0)
    gtk_widget_grab_focus (self->done_button);
  else if (g_strcmp0 (page, "question") == 0)
    gtk_widget_grab_focus (self->yes_button);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->input_entry));
}

/* After recording a step (@updated, or NULL and @error): the error, or the
 * ticket's new state. */
static gboolean
recorded (FlChecklistPane *self,
          FlTicket        *updated,
          const GError    *error)
{
  if (updated == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The answer was not recorded: %s"),
                                                  error->message);
      show_error (self, message);
      return FALSE;
    }

  hide_error (self);
  /* The store's "changed" has normally reloaded the pane already. */
  if (self->ticket == NULL || self->ticket->version != updated->version)
    {
      g_set_object (&self->ticket, updated);
      reload (self);
    }
  return TRUE;
}

static void
answer (FlChecklistPane    *self,
        FlChecklistOutcome  outcome,
        const char         *value)
{
  const FlChecklistStep *step;
  FlChecklistStepKind kind;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (self->run == NULL || self->ticket == NULL)
    return;

  step = fl_checklist_run_get_current_step (self->run);
  if (step == NULL)
    return;

  kind = step->kind;
  id = g_strdup (self->ticket->id);
  updated = fl_store_record_step (get_store (self), id, self->run, step->id, outcome, value,
                                  &error);
  /* An answer that does not fit the step: nothing was stored. */
  if (updated == NULL && error->domain == FL_CHECKLIST_ERROR)
    {
      if (kind == FL_CHECKLIST_STEP_INPUT &&
          g_error_matches (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE))
        {
          show_input_error (self, error->message);
          gtk_widget_grab_focus (GTK_WIDGET (self->input_entry));
        }
      else
        show_error (self, error->message);
      return;
    }

  /* On failure everything stays as it is, the typed value too. */
  if (!recorded (self, updated, error))
    return;

  /* The value is saved; the next input step has set its own text already. */
  if (kind == FL_CHECKLIST_STEP_INPUT &&
      (fl_checklist_run_is_finished (self->run) ||
       fl_checklist_run_get_current_step (self->run)->kind != FL_CHECKLIST_STEP_INPUT))
    gtk_editable_set_text (GTK_EDITABLE (self->input_entry), "");
  focus_next_control (self);
  scroll_to_current (self);
}

/* -------------------------------------------------------------------------- */

static void
on_done_clicked_cb (FlChecklistPane *self)
{
  answer (self, FL_CHECKLIST_OUTCOME_DONE, NULL);
}

static void
on_skip_clicked_cb (FlChecklistPane *self)
{
  answer (self, FL_CHECKLIST_OUTCOME_SKIPPED, NULL);
}

static void
on_failed_clicked_cb (FlChecklistPane *self)
{
  answer (self, FL_CHECKLIST_OUTCOME_FAILED, NULL);
}

static void
on_yes_clicked_cb (FlChecklistPane *self)
{
  answer (self, FL_CHECKLIST_OUTCOME_YES, NULL);
}

static void
on_no_clicked_cb (FlChecklistPane *self)
{
  answer (self, FL_CHECKLIST_OUTCOME_NO, NULL);
}

static void
on_save_clicked_cb (FlChecklistPane *self)
{
  g_autofree char *value = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->input_entry))));

  if (*value == '\0')
    {
      show_input_error (self, _("Enter a value first."));
      gtk_widget_grab_focus (GTK_WIDGET (self->input_entry));
      return;
    }

  answer (self, FL_CHECKLIST_OUTCOME_DONE, value);
}

static void
on_input_changed_cb (FlChecklistPane *self)
{
  hide_input_error (self);
}

static void
on_error_dismiss_cb (FlChecklistPane *self)
{
  hide_error (self);
}

static void
on_restart_response_cb (FlChecklistPane *self,
                        const char      *response,
                        AdwMessageDialog *dialog)
{
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (g_strcmp0 (response, "restart") != 0 || self->run == NULL || self->ticket == NULL)
    return;

  id = g_strdup (self->ticket->id);
  updated = fl_store_restart_checklist (get_store (self), id, self->run, &error);
  if (recorded (self, updated, error))
    focus_next_control (self);
}

static void
on_restart_clicked_cb (FlChecklistPane *self)
{
  GtkWidget *dialog;
  GtkRoot *root;

  if (self->run == NULL || !fl_checklist_run_is_started (self->run))
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Restart the Checklist?"),
                                   _("It starts again at the first step. The steps recorded so far "
                                     "stay in the ticket's history and in the steps already tried."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "restart", _("_Restart"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "restart",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_restart_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_resolve_clicked_cb (FlChecklistPane *self)
{
  const FlChecklistTarget *result;
  g_autofree char *summary = NULL;

  if (self->run == NULL || (result = fl_checklist_run_get_result (self->run)) == NULL ||
      result->kind != FL_CHECKLIST_TARGET_RESOLVE)
    return;

  summary = fl_checklist_run_describe_steps (self->run);
  g_signal_emit (self, signals [RESOLVE_REQUESTED], 0, (int) result->code, summary);
}

static void
on_escalate_clicked_cb (FlChecklistPane *self)
{
  const FlChecklistTarget *result;

  if (self->run == NULL || (result = fl_checklist_run_get_result (self->run)) == NULL ||
      result->kind != FL_CHECKLIST_TARGET_ESCALATE)
    return;

  g_signal_emit (self, signals [ESCALATE_REQUESTED], 0, result->queue);
}

static void
on_dropdown_selected_cb (FlChecklistPane *self)
{
  guint position;
  FlChecklist *checklist;

  if (self->updating || self->ticket == NULL)
    return;

  position = gtk_drop_down_get_selected (self->checklist_dropdown);
  if (position >= self->choices->len)
    return;

  checklist = g_ptr_array_index (self->choices, position);
  fl_checklist_pane_pick (self, checklist ? fl_checklist_get_id (checklist) : NULL);
}

static void
on_store_changed_cb (FlChecklistPane *self,
                     GPtrArray       *changes,
                     FlStore         *store)
{
  gboolean mine = FALSE;

  if (self->ticket == NULL)
    return;

  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *change = g_ptr_array_index (changes, i);
      FlTicket *t = change->new_ticket ? change->new_ticket : change->old_ticket;

      if (t == NULL || g_strcmp0 (t->id, self->ticket->id) != 0)
        continue;

      mine = TRUE;
      if (change->new_ticket == NULL)
        g_clear_object (&self->ticket);
      else
        g_set_object (&self->ticket, change->new_ticket);
    }

  if (mine)
    reload (self);
}

/* -------------------------------------------------------------------------- */

static void
fl_checklist_pane_constructed (GObject *object)
{
  FlChecklistPane *self = (FlChecklistPane *)object;

  G_OBJECT_CLASS (fl_checklist_pane_parent_class)->constructed (object);

  g_assert (FL_IS_CONTEXT (self->context));

  self->library = g_object_ref (fl_context_get_checklist_library (self->context));
  g_signal_connect_object (self->library, "changed",
                           G_CALLBACK (rebuild_choices), self, G_CONNECT_SWAPPED);
  self->changed_id = g_signal_connect_object (get_store (self), "changed",
                                              G_CALLBACK (on_store_changed_cb), self,
                                              G_CONNECT_SWAPPED);
  rebuild_choices (self);
  reload (self);
}

static void
fl_checklist_pane_dispose (GObject *object)
{
  FlChecklistPane *self = (FlChecklistPane *)object;
  GtkWidget *child;

  if (self->context != NULL && self->changed_id != 0)
    g_clear_signal_handler (&self->changed_id, get_store (self));

  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_CHECKLIST_PANE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  g_clear_object (&self->run);
  g_clear_object (&self->ticket);
  g_clear_object (&self->library);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_checklist_pane_parent_class)->dispose (object);
}

static void
fl_checklist_pane_finalize (GObject *object)
{
  FlChecklistPane *self = (FlChecklistPane *)object;

  g_clear_pointer (&self->choices, g_ptr_array_unref);
  g_clear_pointer (&self->picks, g_hash_table_unref);
  g_clear_pointer (&self->drafts, g_hash_table_unref);
  g_clear_pointer (&self->shown_step_id, g_free);

  G_OBJECT_CLASS (fl_checklist_pane_parent_class)->finalize (object);
}

static void
fl_checklist_pane_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FlChecklistPane *self = FL_CHECKLIST_PANE (object);

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
fl_checklist_pane_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  FlChecklistPane *self = FL_CHECKLIST_PANE (object);

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
fl_checklist_pane_class_init (FlChecklistPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = fl_checklist_pane_constructed;
  object_class->dispose = fl_checklist_pane_dispose;
  object_class->finalize = fl_checklist_pane_finalize;
  object_class->get_property = fl_checklist_pane_get_property;
  object_class->set_property = fl_checklist_pane_set_property;

  properties [PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FL_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FlChecklistPane::resolve-requested:
   * @code: the suggested FlResolutionCode
   * @summary: the steps taken, for the resolution summary
   */
  signals [RESOLVE_REQUESTED] =
    g_signal_new ("resolve-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);

  /**
   * FlChecklistPane::escalate-requested:
   * @queue: the suggested 2nd-level queue
   */
  signals [ESCALATE_REQUESTED] =
    g_signal_new ("escalate-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-checklist-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, checklist_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, restart_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, progress_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, error_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, stack);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, empty_page);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, scroller);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, done_list);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, current_box);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, step_kind_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, step_text_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, step_help_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, requires_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, answer_stack);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, done_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, skip_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, failed_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, yes_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, no_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, input_entry);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, save_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, input_error_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, finished_box);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, result_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, finished_note_label);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, resolve_button);
  gtk_widget_class_bind_template_child (widget_class, FlChecklistPane, escalate_button);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_skip_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_failed_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_yes_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_no_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_error_dismiss_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_restart_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_resolve_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_escalate_clicked_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "checklistpane");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
fl_checklist_pane_init (FlChecklistPane *self)
{
  self->choices = g_ptr_array_new_with_free_func (unref_nullable);
  self->picks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (self->checklist_dropdown, "notify::selected",
                           G_CALLBACK (on_dropdown_selected_cb), self, G_CONNECT_SWAPPED);
  fl_a11y_set_drop_down_name (GTK_WIDGET (self->checklist_dropdown), _("Checklist"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Checklist"),
                                  -1);
}

/* -------------------------------------------------------------------------- */

GtkWidget *
fl_checklist_pane_new (FlContext *context)
{
  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  return g_object_new (FL_TYPE_CHECKLIST_PANE, "context", context, NULL);
}

void
fl_checklist_pane_set_ticket (FlChecklistPane *self,
                              FlTicket        *ticket)
{
  g_return_if_fail (FL_IS_CHECKLIST_PANE (self));
  g_return_if_fail (ticket == NULL || FL_IS_TICKET (ticket));

  if (self->ticket != NULL && ticket != NULL && g_str_equal (self->ticket->id, ticket->id))
    {
      g_set_object (&self->ticket, ticket);
      reload (self);
      return;
    }

  /* Keep a value typed but not saved for when the agent comes back. */
  if (self->ticket != NULL && self->shown_step_id != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->answer_stack), "input") == 0 &&
      *gtk_editable_get_text (GTK_EDITABLE (self->input_entry)) != '\0')
    g_hash_table_replace (self->drafts,
                          g_strconcat (self->ticket->id, "\n", self->shown_step_id, NULL),
                          g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->input_entry))));

  g_set_object (&self->ticket, ticket);
  g_clear_pointer (&self->shown_step_id, g_free);
  gtk_editable_set_text (GTK_EDITABLE (self->input_entry), "");
  hide_input_error (self);
  hide_error (self);
  reload (self);
  scroll_to_current (self);
}

FlTicket *
fl_checklist_pane_get_ticket (FlChecklistPane *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_PANE (self), NULL);

  return self->ticket;
}

FlChecklistRun *
fl_checklist_pane_get_run (FlChecklistPane *self)
{
  g_return_val_if_fail (FL_IS_CHECKLIST_PANE (self), NULL);

  return self->run;
}

void
fl_checklist_pane_pick (FlChecklistPane *self,
                        const char      *checklist_id)
{
  g_return_if_fail (FL_IS_CHECKLIST_PANE (self));

  if (self->ticket == NULL)
    return;

  g_hash_table_replace (self->picks, g_strdup (self->ticket->id),
                        g_strdup (checklist_id ? checklist_id : ""));
  hide_error (self);
  reload (self);
}
