/* fl-ticket-row.c — one ticket in the list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ticket-row"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-a11y.h"
#include "fl-categories.h"
#include "fl-sync-engine.h"
#include "fl-ticket-row.h"

/* Under this much time left a ticket is shown as close to its due time. */
#define DUE_WARNING_MS (60 * 60 * 1000)

struct _FlTicketRow
{
  GtkWidget  parent_instance;

  /* template widgets */
  GtkWidget *grid;
  GtkLabel  *priority_label;
  GtkLabel  *number_label;
  GtkLabel  *title_label;
  GtkWidget *pending_icon;
  GtkLabel  *due_label;
  GtkLabel  *details_label;
  GtkLabel  *status_label;
  GtkLabel  *presence_label;
  GtkImage  *presence_icon;
  GtkWidget *presence_box;

  /* borrowed */
  GPtrArray *categories;

  /* owned */
  FlTicket  *ticket;
  char      *presence_text;   /* spoken: "Jana has this ticket open" */
  gint64     now;
};

G_DEFINE_FINAL_TYPE (FlTicketRow, fl_ticket_row, GTK_TYPE_WIDGET)

static void
set_exclusive_class (GtkWidget          *widget,
                     const char * const *classes,
                     const char         *wanted)
{
  for (guint i = 0; classes[i]; i++)
    gtk_widget_remove_css_class (widget, classes[i]);
  if (wanted != NULL)
    gtk_widget_add_css_class (widget, wanted);
}

/* What a screen reader says for the row: everything a sighted user sees, in
 * the order it is shown. GTK 4.8 reports the GtkListView's item widget (our
 * parent) as the focusable list item and takes no name from its children, so
 * the name goes on the parent; a row outside a list view names itself. */
static void
update_accessible_label (FlTicketRow *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *number = NULL;
  g_autofree char *due = NULL;
  GtkWidget *target;
  FlTicket *t = self->ticket;

  if (t == NULL)
    return;

  number = fl_ticket_dup_display_number (t);
  /* Translators: the start of what a screen reader says for a ticket row:
   * priority, number, title, e.g. "P1, #320, Account locked repeatedly" */
  g_string_append_printf (text, _("P%d, %s, %s"), t->priority, number, t->title);
  g_string_append (text, ", ");
  g_string_append (text, t->requester.name);
  g_string_append (text, ", ");
  g_string_append (text, fl_categories_get_label_of (self->categories, t->category));
  if (t->assignee != NULL)
    /* Translators: spoken in a ticket row; %s is the assignee's user name */
    g_string_append_printf (text, _(", assigned to %s"), t->assignee);
  g_string_append (text, ", ");
  g_string_append (text, fl_status_get_label (t->status));
  due = fl_ticket_describe_due (t, self->now);
  if (*due != '\0')
    {
      g_string_append (text, ", ");
      g_string_append (text, due);
    }
  if (t->pending > 0)
    {
      g_string_append (text, ", ");
      g_string_append (text, _("Unsent changes"));
    }
  if (self->presence_text != NULL)
    {
      g_string_append (text, ", ");
      g_string_append (text, self->presence_text);
    }

  target = gtk_widget_get_parent (GTK_WIDGET (self));
  if (target == NULL)
    target = GTK_WIDGET (self);
  fl_a11y_set_label (target, text->str);
}

static void
fl_ticket_row_dispose (GObject *object)
{
  FlTicketRow *self = (FlTicketRow *)object;

  g_clear_object (&self->ticket);
  g_clear_pointer (&self->presence_text, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_TICKET_ROW);

  G_OBJECT_CLASS (fl_ticket_row_parent_class)->dispose (object);
}

static void
fl_ticket_row_class_init (FlTicketRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_ticket_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-ticket-row.ui");
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, grid);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, priority_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, number_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, pending_icon);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, due_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, presence_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, presence_icon);
  gtk_widget_class_bind_template_child (widget_class, FlTicketRow, presence_box);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "ticketrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
fl_ticket_row_init (FlTicketRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
fl_ticket_row_new (void)
{
  return g_object_new (FL_TYPE_TICKET_ROW, NULL);
}

FlTicket *
fl_ticket_row_get_ticket (FlTicketRow *self)
{
  g_return_val_if_fail (FL_IS_TICKET_ROW (self), NULL);

  return self->ticket;
}

void
fl_ticket_row_set_categories (FlTicketRow *self,
                              GPtrArray   *categories)
{
  g_return_if_fail (FL_IS_TICKET_ROW (self));

  self->categories = categories;
}

void
fl_ticket_row_set_presence (FlTicketRow *self,
                            GPtrArray   *presence)
{
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(GString) tooltip = g_string_new (NULL);
  gboolean editing = FALSE;

  g_return_if_fail (FL_IS_TICKET_ROW (self));

  for (guint i = 0; presence != NULL && i < presence->len; i++)
    {
      FlPresence *p = g_ptr_array_index (presence, i);

      if (names->len > 0)
        {
          g_string_append (names, ", ");
          g_string_append (tooltip, "\n");
        }
      g_string_append (names, p->username);
      editing |= p->editing;
      if (p->editing)
        /* Translators: %s is a user name */
        g_string_append_printf (tooltip, _("%s is typing in this ticket"), p->username);
      else
        /* Translators: %s is a user name */
        g_string_append_printf (tooltip, _("%s has this ticket open"), p->username);
    }

  if (names->len > 0)
    {
      /* A symbolic icon, not an emoji: it shows without an emoji font. */
      gtk_image_set_from_icon_name (self->presence_icon,
                                    editing ? "document-edit-symbolic" : "view-reveal-symbolic");
      gtk_label_set_label (self->presence_label, names->str);
    }
  gtk_widget_set_tooltip_text (self->presence_box, tooltip->str);
  g_clear_pointer (&self->presence_text, g_free);
  if (tooltip->len > 0)
    {
      g_auto(GStrv) lines = g_strsplit (tooltip->str, "\n", -1);

      self->presence_text = g_strjoinv (", ", lines);
    }
  gtk_widget_set_visible (self->presence_box, names->len > 0);
  if (editing)
    gtk_widget_add_css_class (self->presence_box, "editing");
  else
    gtk_widget_remove_css_class (self->presence_box, "editing");
  update_accessible_label (self);
}

void
fl_ticket_row_update_due (FlTicketRow *self,
                          gint64       now)
{
  static const char * const due_classes[] = { "due-warning", "due-breached", NULL };
  g_autofree char *due = NULL;
  const char *state = NULL;

  g_return_if_fail (FL_IS_TICKET_ROW (self));

  if (self->ticket == NULL)
    return;

  due = fl_ticket_format_due (self->ticket, now);
  gtk_label_set_label (self->due_label, due);

  if (fl_status_is_open (self->ticket->status) && self->ticket->status != FL_STATUS_WAITING)
    {
      if (self->ticket->due_at < now)
        state = "due-breached";
      else if (self->ticket->due_at - now < DUE_WARNING_MS)
        state = "due-warning";
    }

  set_exclusive_class (GTK_WIDGET (self->due_label), due_classes, state);

  self->now = now;
  update_accessible_label (self);
}

void
fl_ticket_row_set_ticket (FlTicketRow *self,
                          FlTicket    *ticket,
                          gint64       now)
{
  static const char * const priority_classes[] = {
    "priority-1", "priority-2", "priority-3", "priority-4", NULL
  };
  static const char * const status_classes[] = {
    "status-new", "status-in_progress", "status-waiting", "status-escalated",
    "status-resolved", "status-closed", NULL
  };
  g_autofree char *priority = NULL;
  g_autofree char *priority_class = NULL;
  g_autofree char *status_class = NULL;
  g_autofree char *number = NULL;
  g_autofree char *details = NULL;

  g_return_if_fail (FL_IS_TICKET_ROW (self));
  g_return_if_fail (ticket == NULL || FL_IS_TICKET (ticket));

  if (!g_set_object (&self->ticket, ticket) || ticket == NULL)
    {
      if (ticket == NULL)
        return;
    }

  /* Translators: a ticket's priority badge, e.g. "P1" */
  priority = g_strdup_printf (_("P%d"), ticket->priority);
  gtk_label_set_label (self->priority_label, priority);
  priority_class = g_strdup_printf ("priority-%d", ticket->priority);
  set_exclusive_class (GTK_WIDGET (self->priority_label), priority_classes, priority_class);

  number = fl_ticket_dup_display_number (ticket);
  gtk_label_set_label (self->number_label, number);
  gtk_label_set_label (self->title_label, ticket->title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label), ticket->title);

  if (ticket->assignee != NULL)
    /* Translators: requester · category · assignee */
    details = g_strdup_printf (_("%s · %s · %s"), ticket->requester.name,
                               fl_categories_get_label_of (self->categories, ticket->category),
                               ticket->assignee);
  else
    /* Translators: requester · category */
    details = g_strdup_printf (_("%s · %s"), ticket->requester.name,
                               fl_categories_get_label_of (self->categories, ticket->category));
  gtk_label_set_label (self->details_label, details);

  gtk_label_set_label (self->status_label, fl_status_get_label (ticket->status));
  status_class = g_strdup_printf ("status-%s", fl_status_to_string (ticket->status));
  set_exclusive_class (GTK_WIDGET (self->status_label), status_classes, status_class);

  gtk_widget_set_visible (self->pending_icon, ticket->pending > 0);

  fl_ticket_row_update_due (self, now);
}
