/* fl-conflicts-dialog.c — mine and theirs side by side; and what the server rejected
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-conflicts-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-conflicts-dialog.h"

struct _FlConflictsDialog
{
  AdwWindow  parent_instance;

  /* owned */
  FlContext *context;

  /* borrowed widgets */
  GtkBox    *content;
  guint      n_items;
};

G_DEFINE_FINAL_TYPE (FlConflictsDialog, fl_conflicts_dialog, ADW_TYPE_WINDOW)

static void rebuild (FlConflictsDialog *self);

static char *
node_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, TRUE);
}

static GtkWidget *
side_label (const char *caption,
            const char *text)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *label;

  gtk_widget_set_hexpand (box, TRUE);
  label = gtk_label_new (caption);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_box_append (GTK_BOX (box), label);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (box), label);

  return box;
}

static void
on_decide_cb (GtkButton         *button,
              FlConflictsDialog *self)
{
  const char *id = g_object_get_data (G_OBJECT (button), "conflict-id");
  gboolean keep_mine = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "keep-mine"));
  g_autoptr(GError) error = NULL;

  if (!fl_store_resolve_conflict (fl_context_get_store (self->context), id, keep_mine, &error))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                                  _("The conflict could not be resolved"),
                                                  error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }

  fl_sync_engine_kick (fl_context_get_sync_engine (self->context));
  rebuild (self);
}

static void
on_dismiss_cb (GtkButton         *button,
               FlConflictsDialog *self)
{
  const char *op_id = g_object_get_data (G_OBJECT (button), "op-id");

  fl_store_dismiss_rejected_op (fl_context_get_store (self->context), op_id, NULL);
  rebuild (self);
}

static char *
ticket_caption (FlStore    *store,
                const char *ticket_id)
{
  g_autoptr(FlTicket) ticket = fl_store_get_ticket (store, ticket_id, NULL);
  g_autofree char *number = NULL;

  if (ticket == NULL)
    return g_strdup (ticket_id);

  number = fl_ticket_dup_display_number (ticket);
  return g_strdup_printf ("%s %s", number, ticket->title);
}

static void
rebuild (FlConflictsDialog *self)
{
  FlStore *store = fl_context_get_store (self->context);
  g_autoptr(GPtrArray) conflicts = fl_store_list_conflicts (store, NULL);
  g_autoptr(GPtrArray) rejected = fl_store_list_rejected_ops (store, NULL);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->content))) != NULL)
    gtk_box_remove (self->content, child);
  self->n_items = 0;

  for (guint i = 0; conflicts && i < conflicts->len; i++)
    {
      FlConflict *c = g_ptr_array_index (conflicts, i);
      g_autofree char *caption = ticket_caption (store, c->ticket_id);
      g_autoptr(GList) fields = json_object_get_members (c->fields);
      GtkWidget *group = adw_preferences_group_new ();
      GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *mine_button = gtk_button_new_with_mnemonic (_("Keep _Mine"));
      GtkWidget *theirs_button = gtk_button_new_with_mnemonic (_("Take _Theirs"));

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), caption);
      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                             _("Someone else changed the same thing before your change arrived."));

      for (const GList *l = fields; l; l = l->next)
        {
          JsonObject *pair = json_object_get_object_member (c->fields, l->data);
          g_autofree char *mine = node_text (json_object_get_member (pair, "mine"));
          g_autofree char *theirs = node_text (json_object_get_member (pair, "theirs"));
          GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
          GtkWidget *name = gtk_label_new (l->data);

          gtk_widget_set_margin_top (row, 6);
          gtk_widget_set_margin_bottom (row, 6);
          gtk_widget_set_size_request (name, 110, -1);
          gtk_label_set_xalign (GTK_LABEL (name), 0);
          gtk_widget_add_css_class (name, "heading");
          gtk_box_append (GTK_BOX (row), name);
          gtk_box_append (GTK_BOX (row), side_label (_("Mine"), mine));
          gtk_box_append (GTK_BOX (row), side_label (_("Theirs"), theirs));
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
        }

      g_object_set_data_full (G_OBJECT (mine_button), "conflict-id", g_strdup (c->id), g_free);
      g_object_set_data (G_OBJECT (mine_button), "keep-mine", GINT_TO_POINTER (TRUE));
      g_object_set_data_full (G_OBJECT (theirs_button), "conflict-id", g_strdup (c->id), g_free);
      g_object_set_data (G_OBJECT (theirs_button), "keep-mine", GINT_TO_POINTER (FALSE));
      g_signal_connect (mine_button, "clicked", G_CALLBACK (on_decide_cb), self);
      g_signal_connect (theirs_button, "clicked", G_CALLBACK (on_decide_cb), self);
      gtk_widget_add_css_class (mine_button, "suggested-action");
      gtk_widget_set_halign (buttons, GTK_ALIGN_END);
      gtk_box_append (GTK_BOX (buttons), theirs_button);
      gtk_box_append (GTK_BOX (buttons), mine_button);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), buttons);

      gtk_box_append (self->content, group);
      self->n_items++;
    }

  for (guint i = 0; rejected && i < rejected->len; i++)
    {
      FlRejectedOp *r = g_ptr_array_index (rejected, i);
      g_autofree char *caption = ticket_caption (store, r->op->ticket_id);
      g_autofree char *what = NULL;
      g_autofree char *reason = NULL;
      GtkWidget *group = adw_preferences_group_new ();
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *dismiss = gtk_button_new_with_mnemonic (_("_Dismiss"));

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), caption);
      /* Translators: a change the server refused, e.g. "update refused: illegal status change" */
      what = g_strdup_printf (_("“%s” refused by the server"), fl_op_type_to_string (r->op->type));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), what);
      reason = fl_rejected_op_describe (r);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
      g_object_set_data_full (G_OBJECT (dismiss), "op-id", g_strdup (r->op->op_id), g_free);
      g_signal_connect (dismiss, "clicked", G_CALLBACK (on_dismiss_cb), self);
      gtk_widget_set_valign (dismiss, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), dismiss);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
      gtk_box_append (self->content, group);
      self->n_items++;
    }

  if (self->n_items == 0)
    {
      GtkWidget *page = adw_status_page_new ();
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "emblem-ok-symbolic");
      adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Nothing to Decide"));
      adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                       _("All your changes reached the server."));
      gtk_box_append (self->content, page);
    }
}

static void
fl_conflicts_dialog_dispose (GObject *object)
{
  FlConflictsDialog *self = (FlConflictsDialog *)object;

  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_conflicts_dialog_parent_class)->dispose (object);
}

static void
fl_conflicts_dialog_class_init (FlConflictsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_conflicts_dialog_dispose;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
fl_conflicts_dialog_init (FlConflictsDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Conflicts and Rejected Changes"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 640, 520);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  self->content = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 18));
  gtk_widget_set_margin_top (GTK_WIDGET (self->content), 18);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->content), 18);
  gtk_widget_set_margin_start (GTK_WIDGET (self->content), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->content), 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), GTK_WIDGET (self->content));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (box), scroller);
  adw_window_set_content (ADW_WINDOW (self), box);
}

FlConflictsDialog *
fl_conflicts_dialog_new (GtkWindow *parent,
                         FlContext *context)
{
  FlConflictsDialog *self;

  g_return_val_if_fail (FL_IS_CONTEXT (context), NULL);

  self = g_object_new (FL_TYPE_CONFLICTS_DIALOG, "transient-for", parent, NULL);
  self->context = g_object_ref (context);
  rebuild (self);

  return self;
}

guint
fl_conflicts_dialog_get_n_items (FlConflictsDialog *self)
{
  g_return_val_if_fail (FL_IS_CONFLICTS_DIALOG (self), 0);

  return self->n_items;
}
