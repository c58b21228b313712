/* fl-wait-dialog.c — set a ticket waiting, with a reason and a follow-up time
 *
 * "Waiting for the user's callback until 14:00": the due time pauses while the
 * ticket waits; when the follow-up time passes, the ticket is listed first and a
 * notification reminds its assignee (FlApplication).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-wait-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "fl-wait-dialog.h"

typedef struct
{
  /* owned */
  FlContext        *context;
  char             *ticket_id;

  /* borrowed */
  AdwMessageDialog *dialog;
  AdwEntryRow      *reason;
  AdwEntryRow      *time;
  GtkLabel         *error_label;
} WaitDialog;

static void
wait_dialog_free (WaitDialog *wd)
{
  g_clear_object (&wd->context);
  g_free (wd->ticket_id);
  g_free (wd);
}

gint64
fl_wait_dialog_parse_time (const char *text,
                           GDateTime  *now)
{
  g_autoptr(GDateTime) when = NULL;
  int day = 0, month = 0, year = 0, hour = 0, minute = 0;
  char tail = 0;

  if (text == NULL || now == NULL)
    return 0;

  if (sscanf (text, " %d.%d.%d %d:%d %c", &day, &month, &year, &hour, &minute, &tail) == 5)
    ;
  else if (sscanf (text, " %d.%d. %d:%d %c", &day, &month, &hour, &minute, &tail) == 4)
    year = g_date_time_get_year (now);
  else if (sscanf (text, " %d:%d %c", &hour, &minute, &tail) == 2)
    {
      day = g_date_time_get_day_of_month (now);
      month = g_date_time_get_month (now);
      year = g_date_time_get_year (now);
    }
  else
    return 0;

  if (year < 100)
    year += 2000;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || month < 1 || month > 12 ||
      day < 1 || day > 31 || year > 9999)
    return 0;

  when = g_date_time_new (g_date_time_get_timezone (now), year, month, day, hour, minute, 0);
  return when ? g_date_time_to_unix (when) * 1000 : 0;
}

/* The follow-up time typed (0: none); FALSE with @problem when it cannot be used. */
static gboolean
read_time (WaitDialog  *wd,
           gint64      *out,
           const char **problem)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (wd->time))));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  *out = 0;
  *problem = NULL;
  if (*text == '\0')
    return TRUE;

  *out = fl_wait_dialog_parse_time (text, now);
  if (*out == 0)
    *problem = _("Enter the time like 14:00, or a day and time like 2.12. 9:30.");
  else if (*out <= g_date_time_to_unix (now) * 1000)
    *problem = _("This time has passed already.");
  return *problem == NULL;
}

static void
update_form (WaitDialog *wd)
{
  const char *problem = NULL;
  gint64 at;
  gboolean ok = read_time (wd, &at, &problem);

  gtk_label_set_text (wd->error_label, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (wd->error_label), problem != NULL);
  if (problem != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (wd->time), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (wd->time), "error");
  adw_message_dialog_set_response_enabled (wd->dialog, "wait", ok);
}

static void
on_response_cb (AdwMessageDialog *dialog,
                const char       *response,
                WaitDialog       *wd)
{
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  const char *problem;
  gint64 at;

  if (g_strcmp0 (response, "wait") != 0 || !read_time (wd, &at, &problem))
    return;

  reason = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (wd->reason))));
  changes = json_object_new ();
  json_object_set_string_member (changes, "status", "waiting");
  if (*reason != '\0')
    json_object_set_string_member (changes, "waiting_reason", reason);
  else
    json_object_set_null_member (changes, "waiting_reason");
  if (at != 0)
    {
      g_autofree char *text = fl_time_format (at);
      json_object_set_string_member (changes, "follow_up_at", text);
    }
  else
    json_object_set_null_member (changes, "follow_up_at");

  updated = fl_store_update_ticket (fl_context_get_store (wd->context), wd->ticket_id, changes,
                                    &error);
  if (updated == NULL)
    {
      GtkWidget *err = adw_message_dialog_new (gtk_window_get_transient_for (GTK_WINDOW (dialog)),
                                               _("The ticket could not be set to waiting"),
                                               error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (err), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (err));
    }
}

GtkWidget *
fl_wait_dialog_new (GtkWindow *parent,
                    FlContext *context,
                    FlTicket  *ticket)
{
  WaitDialog *wd;
  GtkWidget *dialog;
  GtkWidget *group;
  GtkWidget *box;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (FL_IS_TICKET (ticket), NULL);

  wd = g_new0 (WaitDialog, 1);
  wd->context = g_object_ref (context);
  wd->ticket_id = g_strdup (ticket->id);

  group = adw_preferences_group_new ();
  wd->reason = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (wd->reason), _("Waiting for"));
  gtk_editable_set_text (GTK_EDITABLE (wd->reason),
                         ticket->waiting_reason ? ticket->waiting_reason
                                                : _("the user's callback"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (wd->reason));
  wd->time = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (wd->time), _("Look at it again at"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (wd->time));
  if (ticket->follow_up_at != 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (ticket->follow_up_at / 1000);
      g_autofree char *text = g_date_time_format (when, "%d.%m.%Y %H:%M");

      gtk_editable_set_text (GTK_EDITABLE (wd->time), text);
    }

  wd->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (wd->error_label, 0);
  gtk_label_set_wrap (wd->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (wd->error_label), "error");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_append (GTK_BOX (box), group);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (wd->error_label));

  dialog = adw_message_dialog_new (parent, _("Waiting"),
                                   _("The due time pauses while the ticket waits. At the "
                                     "follow-up time it comes back first in your list, with a "
                                     "notification."));
  wd->dialog = ADW_MESSAGE_DIALOG (dialog);
  adw_message_dialog_set_extra_child (wd->dialog, box);
  adw_message_dialog_add_responses (wd->dialog, "cancel", _("_Cancel"),
                                    "wait", _("Set _Waiting"), NULL);
  adw_message_dialog_set_response_appearance (wd->dialog, "wait", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (wd->dialog, "wait");
  adw_message_dialog_set_close_response (wd->dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fl-wait-dialog", wd, (GDestroyNotify) wait_dialog_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response_cb), wd);
  g_signal_connect_swapped (wd->time, "changed", G_CALLBACK (update_form), wd);
  update_form (wd);

  return dialog;
}
