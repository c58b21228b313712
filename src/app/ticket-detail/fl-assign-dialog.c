/* fl-assign-dialog.c — pass a ticket to a colleague, or (a lead) assign it to anyone
 *
 * A lead may assign any ticket to anyone (or to nobody); an agent or specialist
 * only passes on a ticket assigned to them (the `assign` rule of the API). The
 * team comes from the last GET /api/v1/users at once, then fresh from the server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-assign-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-assign-dialog.h"
#include "fl-store-actions.h"

typedef struct
{
  /* owned */
  FlContext    *context;
  char         *ticket_id;
  char         *current;       /* the ticket's assignee */
  GPtrArray    *usernames;     /* char*, in the drop-down's order; "" for nobody */
  GtkStringList *labels;
  GCancellable *cancellable;

  /* borrowed */
  GtkDropDown  *users;
  GtkLabel     *status_label;
} AssignDialog;

static void
assign_dialog_free (AssignDialog *ad)
{
  g_cancellable_cancel (ad->cancellable);
  g_clear_object (&ad->cancellable);
  g_clear_object (&ad->context);
  g_clear_object (&ad->labels);
  g_clear_pointer (&ad->usernames, g_ptr_array_unref);
  g_free (ad->ticket_id);
  g_free (ad->current);
  g_free (ad);
}

static const char *
role_label (FlRole role)
{
  switch (role)
    {
    case FL_ROLE_LEAD:
      return C_("role", "Team lead");
    case FL_ROLE_SPECIALIST:
      return C_("role", "2nd level");
    case FL_ROLE_AGENT:
    default:
      return C_("role", "1st level");
    }
}

static void
fill (AssignDialog *ad,
      GPtrArray    *users)
{
  FlStore *store = fl_context_get_store (ad->context);
  const char *me = fl_store_get_username (store);
  gboolean lead = fl_store_get_role (store) == FL_ROLE_LEAD;
  g_autofree char *selected = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (ad->labels));
  guint select = GTK_INVALID_LIST_POSITION;

  if (ad->usernames->len > 0 && gtk_drop_down_get_selected (ad->users) < ad->usernames->len)
    selected = g_strdup (g_ptr_array_index (ad->usernames, gtk_drop_down_get_selected (ad->users)));

  g_ptr_array_set_size (ad->usernames, 0);
  gtk_string_list_splice (ad->labels, 0, n, NULL);

  if (lead && ad->current != NULL)
    {
      g_ptr_array_add (ad->usernames, g_strdup (""));
      gtk_string_list_append (ad->labels, _("Nobody (back to Incoming)"));
    }

  for (guint i = 0; i < users->len; i++)
    {
      FlUserInfo *u = g_ptr_array_index (users, i);
      g_autofree char *label = NULL;

      /* Passing on: to someone else than who has it now */
      if (g_strcmp0 (u->username, ad->current) == 0 || (!lead && g_strcmp0 (u->username, me) == 0))
        continue;

      /* Translators: a user in a list: "Jana Krüger (jana) · Agent" */
      label = g_strdup_printf (_("%s (%s) · %s"), u->display_name, u->username,
                               role_label (u->role));
      if (g_strcmp0 (u->username, selected) == 0)
        select = ad->usernames->len;
      g_ptr_array_add (ad->usernames, g_strdup (u->username));
      gtk_string_list_append (ad->labels, label);
    }

  if (select == GTK_INVALID_LIST_POSITION && ad->usernames->len > 0)
    select = 0;
  gtk_drop_down_set_selected (ad->users, select);
}

static void
on_users_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) dialog = user_data;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;
  AssignDialog *ad;

  users = fl_sync_engine_list_users_finish (FL_SYNC_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  ad = g_object_get_data (G_OBJECT (dialog), "fl-assign-dialog");
  if (ad == NULL)
    return;

  if (users == NULL)
    {
      g_debug ("Could not fetch the users: %s", error->message);
      gtk_label_set_text (ad->status_label,
                          ad->usernames->len > 0
                          ? _("The server cannot be reached: the team as last seen.")
                          : _("The server cannot be reached and the team is not known yet."));
      gtk_widget_set_visible (GTK_WIDGET (ad->status_label), TRUE);
      return;
    }

  fill (ad, users);
  gtk_widget_set_visible (GTK_WIDGET (ad->status_label), ad->usernames->len == 0);
  gtk_label_set_text (ad->status_label, _("Nobody else is in the team yet."));
  g_object_set_data (G_OBJECT (dialog), "fl-users-loaded", GINT_TO_POINTER (TRUE));
}

static void
on_selected_cb (GtkDropDown      *users,
                GParamSpec       *pspec,
                AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "assign",
                                           gtk_drop_down_get_selected (users) !=
                                           GTK_INVALID_LIST_POSITION);
}

static void
on_response_cb (AdwMessageDialog *dialog,
                const char       *response,
                AssignDialog     *ad)
{
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  guint selected = gtk_drop_down_get_selected (ad->users);
  const char *username;

  if (g_strcmp0 (response, "assign") != 0 || selected >= ad->usernames->len)
    return;

  username = g_ptr_array_index (ad->usernames, selected);
  updated = fl_store_assign (fl_context_get_store (ad->context), ad->ticket_id,
                             *username ? username : NULL, &error);
  if (updated == NULL)
    {
      GtkWidget *err = adw_message_dialog_new (gtk_window_get_transient_for (GTK_WINDOW (dialog)),
                                               _("The ticket could not be assigned"),
                                               error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (err), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (err));
    }
}

GtkWidget *
fl_assign_dialog_new (GtkWindow *parent,
                      FlContext *context,
                      FlTicket  *ticket)
{
  g_autoptr(GPtrArray) cached = NULL;
  g_autofree char *body = NULL;
  AssignDialog *ad;
  GtkWidget *dialog;
  GtkWidget *box;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (FL_IS_TICKET (ticket), NULL);

  ad = g_new0 (AssignDialog, 1);
  ad->context = g_object_ref (context);
  ad->ticket_id = g_strdup (ticket->id);
  ad->current = g_strdup (ticket->assignee);
  ad->usernames = g_ptr_array_new_with_free_func (g_free);
  ad->labels = gtk_string_list_new (NULL);
  ad->cancellable = g_cancellable_new ();

  ad->users = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (ad->labels)), NULL));
  gtk_accessible_update_property (GTK_ACCESSIBLE (ad->users),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Assign to"), -1);
  ad->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (ad->status_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (ad->status_label), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (ad->status_label), FALSE);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (ad->users));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (ad->status_label));

  if (ticket->assignee != NULL)
    /* Translators: %s is a user name */
    body = g_strdup_printf (_("The ticket is assigned to %s now. The colleague you choose finds it "
                              "in their view “Mine”."), ticket->assignee);
  else
    body = g_strdup (_("The ticket is not assigned yet. The colleague you choose finds it in "
                       "their view “Mine”."));

  dialog = adw_message_dialog_new (parent, _("Assign Ticket"), body);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "assign", _("_Assign"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "assign",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "assign");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fl-assign-dialog", ad,
                          (GDestroyNotify) assign_dialog_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response_cb), ad);
  g_signal_connect (ad->users, "notify::selected", G_CALLBACK (on_selected_cb), dialog);

  cached = fl_sync_engine_dup_cached_users (fl_context_get_sync_engine (context));
  fill (ad, cached);
  on_selected_cb (ad->users, NULL, ADW_MESSAGE_DIALOG (dialog));

  fl_sync_engine_list_users_async (fl_context_get_sync_engine (context), ad->cancellable,
                                   on_users_cb, g_object_ref (dialog));
  return dialog;
}
