/* fl-ticket-detail.c — one ticket: header, requester, timeline, notes, actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ticket-detail"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-assign-dialog.h"
#include "fl-categories.h"
#include "fl-answer-completion.h"
#include "fl-checklist.h"
#include "fl-edit-dialog.h"
#include "fl-checklist-library.h"
#include "fl-contact-links.h"
#include "fl-store-actions.h"
#include "fl-suggestions-panel.h"
#include "fl-ticket-detail.h"
#include "fl-wait-dialog.h"

/* A draft is written to the cache this long after the last keystroke. */
#define DRAFT_SAVE_DELAY_MS 400

struct _FlTicketDetail
{
  GtkWidget       parent_instance;

  /* template widgets */
  GtkWidget      *box;
  GtkWidget      *scroller;
  GtkRevealer    *presence_revealer;
  GtkRevealer    *conflict_revealer;
  GtkLabel       *conflict_label;
  GtkWidget      *keep_mine_button;
  GtkWidget      *actions_box;
  GtkWidget      *take_theirs_button;
  GtkLabel       *presence_label;
  GtkLabel       *priority_label;
  GtkLabel       *number_label;
  GtkLabel       *status_label;
  GtkWidget      *pending_icon;
  GtkLabel       *title_label;
  GtkLabel       *meta_label;
  GtkWidget      *claim_button;
  GtkWidget      *call_button;
  GtkWidget      *email_button;
  GtkWidget      *wait_button;
  GtkWidget      *resume_button;
  GtkWidget      *resolve_button;
  GtkWidget      *handoff_button;
  GtkWidget      *reopen_button;
  GtkWidget      *close_button;
  GtkWidget      *assign_button;
  GtkWidget      *edit_button;
  AdwActionRow   *requester_row;
  AdwActionRow   *contact_row;
  AdwActionRow   *place_row;
  AdwActionRow   *asset_row;
  GtkLabel       *description_label;
  GtkListBox     *timeline;
  GtkTextView    *note_view;
  FlAnswerCompletion *answers;    /* owned by note_view */
  FlSuggestionsPanel *suggestions; /* below the timeline (src/app/suggestions) */
  GtkCheckButton *internal_check;
  GtkLabel       *note_error;

  /* owned */
  FlContext      *context;
  FlTicket       *ticket;
  char           *presence_text;
  char           *conflict_id;      /* the first conflict of the ticket shown */

  guint           draft_source_id;
  guint           n_timeline_rows;
  gboolean        loading_draft;
};

G_DEFINE_FINAL_TYPE (FlTicketDetail, fl_ticket_detail, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TICKET,
  N_PROPS
};

enum {
  HANDOFF_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static FlStore *
get_store (FlTicketDetail *self)
{
  return self->context ? fl_context_get_store (self->context) : NULL;
}

static void
set_exclusive_class (GtkWidget  *widget,
                     const char *prefix,
                     const char *wanted)
{
  g_auto(GStrv) classes = gtk_widget_get_css_classes (widget);

  for (guint i = 0; classes[i]; i++)
    if (g_str_has_prefix (classes[i], prefix))
      gtk_widget_remove_css_class (widget, classes[i]);
  gtk_widget_add_css_class (widget, wanted);
}

static void
show_error (FlTicketDetail *self,
            const char     *heading,
            const GError   *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static char *
format_local_time (gint64 ms)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (ms == 0)
    return g_strdup ("—");

  utc = g_date_time_new_from_unix_utc (ms / 1000);
  if (utc == NULL)
    return g_strdup ("—");
  local = g_date_time_to_local (utc);
  /* Translators: a date and time as your language writes it, in the timeline
   * and the due time; see g_date_time_format(), e.g. "%d.%m.%Y %H:%M" */
  return g_date_time_format (local, _("%Y-%m-%d %H:%M"));
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "—";
}

/* A checklist step by its text ("Checklist: Is a phone number on file? — yes"), where
 * the definition is at hand; the generic description otherwise. */
static char *
describe_event (FlTicketDetail *self,
                FlEvent        *event)
{
  if (event->type == FL_OP_CHECKLIST && self->context != NULL)
    {
      const char *checklist_id = json_object_get_string_member_with_default (event->data, "checklist_id", "");
      const char *step_id = json_object_get_string_member_with_default (event->data, "step_id", "");
      const char *outcome = json_object_get_string_member_with_default (event->data, "outcome", "");
      const char *value = json_object_get_string_member_with_default (event->data, "value", NULL);
      gint64 version = json_object_get_int_member_with_default (event->data, "checklist_version", 0);
      const FlChecklistStep *step = NULL;
      FlChecklistOutcome known;
      FlChecklistLibrary *library = fl_context_get_checklist_library (self->context);
      FlChecklist *checklist;

      checklist = fl_checklist_library_lookup (library, checklist_id, version);
      if (checklist == NULL)
        checklist = fl_checklist_library_get_latest (library, checklist_id);
      if (checklist != NULL)
        step = fl_checklist_get_step (checklist, step_id);

      if (step != NULL && fl_checklist_outcome_from_string (outcome, &known))
        {
          const char *label = fl_checklist_outcome_get_label (known);

          if (value != NULL && *value != '\0')
            /* Translators: a checklist step's text, its outcome and the value entered */
            return g_strdup_printf (_("Checklist: %s — %s (%s)"),
                                    fl_checklist_step_get_text (step, NULL), label, value);
          /* Translators: a checklist step's text and its outcome */
          return g_strdup_printf (_("Checklist: %s — %s"),
                                  fl_checklist_step_get_text (step, NULL), label);
        }
    }

  return fl_event_describe (event);
}

static GtkWidget *
timeline_row_new (FlTicketDetail *self,
                  FlEvent        *event)
{
  g_autofree char *when = format_local_time (event->at);
  g_autofree char *what = describe_event (self, event);
  g_autofree char *header = NULL;
  g_autoptr(GString) spoken = g_string_new (what);
  GtkWidget *row;
  GtkWidget *box;
  GtkWidget *top;
  GtkWidget *label;

  /* Translators: spoken in a timeline entry after what happened: who and when,
   * e.g. ", by alex, 29.11.2026 10:15" */
  g_string_append_printf (spoken, _(", by %s, %s"), event->author, when);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (box), top);

  /* Translators: who and when in the timeline, e.g. "alex · 29.11.2026 10:15" */
  header = g_strdup_printf (_("%s · %s"), event->author, when);
  label = gtk_label_new (header);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (top), label);

  if (event->seq == 0)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("emblem-synchronizing-symbolic");
      gtk_widget_set_tooltip_text (icon, _("Not yet sent to the server"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Not yet sent to the server"),
                                      -1);
      gtk_widget_add_css_class (icon, "pending-marker");
      g_string_append_printf (spoken, ", %s", _("Not yet sent to the server"));
      gtk_box_append (GTK_BOX (top), icon);
    }

  label = gtk_label_new (what);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);

  if (event->type == FL_OP_NOTE || event->type == FL_OP_HANDOFF ||
      event->type == FL_OP_RESOLVE || event->type == FL_OP_REOPEN)
    {
      const char *member = event->type == FL_OP_NOTE ? "body" :
                           event->type == FL_OP_REOPEN ? "reason" : "summary";
      const char *text = json_object_get_string_member_with_default (event->data, member, "");

      if (*text != '\0')
        {
          label = gtk_label_new (text);
          gtk_label_set_xalign (GTK_LABEL (label), 0);
          gtk_label_set_wrap (GTK_LABEL (label), TRUE);
          gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
          gtk_label_set_selectable (GTK_LABEL (label), TRUE);
          gtk_box_append (GTK_BOX (box), label);
          g_string_append_printf (spoken, ": %s", text);
        }

      if (event->type == FL_OP_NOTE &&
          json_object_get_boolean_member_with_default (event->data, "internal", FALSE))
        gtk_widget_add_css_class (box, "internal-note");
    }

  if (event->type == FL_OP_HANDOFF &&
      json_object_has_member (event->data, "steps_tried") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (event->data, "steps_tried")))
    {
      JsonArray *steps = json_object_get_array_member (event->data, "steps_tried");
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (steps); i++)
        {
          JsonNode *node = json_array_get_element (steps, i);
          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_string_append_printf (text, "• %s\n", json_node_get_string (node));
        }

      if (text->len > 0)
        {
          g_string_truncate (text, text->len - 1);
          label = gtk_label_new (text->str);
          gtk_label_set_xalign (GTK_LABEL (label), 0);
          gtk_label_set_wrap (GTK_LABEL (label), TRUE);
          gtk_widget_add_css_class (label, "dim-label");
          gtk_box_append (GTK_BOX (box), label);
          g_strdelimit (text->str, "\n", ';');
          g_string_append_printf (spoken, ", %s", text->str);
        }
    }

  /* The row is what a screen reader focuses: it gets the words of its labels. */
  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, spoken->str,
                                  -1);
  return row;
}

static void
update_timeline (FlTicketDetail *self)
{
  g_autoptr(GPtrArray) events = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->timeline))) != NULL)
    gtk_list_box_remove (self->timeline, child);
  self->n_timeline_rows = 0;

  if (self->ticket == NULL)
    return;

  events = fl_store_list_events (get_store (self), self->ticket->id, NULL);
  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      gtk_list_box_append (self->timeline, timeline_row_new (self, g_ptr_array_index (events, i)));
      self->n_timeline_rows++;
    }
}

static void
update_actions (FlTicketDetail *self)
{
  FlTicket *t = self->ticket;
  FlStore *store = get_store (self);
  const char *me = store ? fl_store_get_username (store) : NULL;
  FlRole role = store ? fl_store_get_role (store) : FL_ROLE_AGENT;
  /* What core allows (fl_ticket_can_apply), less what would change nothing */
#define CAN(type) (t != NULL && me != NULL && fl_ticket_can_apply (t, (type), me, role))
  struct { const char *action; GtkWidget *button; gboolean enabled; } actions[] = {
    { "ticket.claim", self->claim_button, CAN (FL_OP_CLAIM) && g_strcmp0 (t->assignee, me) != 0 },
    { "ticket.wait", self->wait_button, CAN (FL_OP_UPDATE) && t->status != FL_STATUS_WAITING },
    { "ticket.resume", self->resume_button, CAN (FL_OP_UPDATE) && t->status == FL_STATUS_WAITING },
    { "ticket.resolve", self->resolve_button, CAN (FL_OP_RESOLVE) },
    { "ticket.handoff", self->handoff_button, CAN (FL_OP_HANDOFF) },
    { "ticket.reopen", self->reopen_button, CAN (FL_OP_REOPEN) },
    { "ticket.close", self->close_button, CAN (FL_OP_CLOSE) },
    { "ticket.assign", self->assign_button, CAN (FL_OP_ASSIGN) },
    { "ticket.edit", self->edit_button, CAN (FL_OP_UPDATE) && fl_status_is_open (t->status) },
  };
#undef CAN

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i].action, actions[i].enabled);
      gtk_widget_set_visible (actions[i].button, actions[i].enabled);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.send-note", t != NULL);

  /* tel: and mailto: links only for what can be dialled or written to */
  {
    g_autofree char *tel = t ? fl_contact_tel_uri (t->requester.phone) : NULL;
    g_autofree char *mailto = t ? fl_contact_mailto_uri (t->requester.email) : NULL;

    gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.call-requester", tel != NULL);
    gtk_widget_set_visible (self->call_button, tel != NULL);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.email-requester", mailto != NULL);
    gtk_widget_set_visible (self->email_button, mailto != NULL);
  }
}

static void
update_presence (FlTicketDetail *self)
{
  g_autoptr(GPtrArray) others = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  if (self->ticket != NULL && self->context != NULL)
    others = fl_sync_engine_list_presence (fl_context_get_sync_engine (self->context),
                                           self->ticket->id);

  for (guint i = 0; others != NULL && i < others->len; i++)
    {
      FlPresence *p = g_ptr_array_index (others, i);

      if (text->len > 0)
        g_string_append (text, " ");
      if (p->editing)
        /* Translators: %s is a user name */
        g_string_append_printf (text, _("%s is typing in this ticket."), p->username);
      else
        /* Translators: %s is a user name */
        g_string_append_printf (text, _("%s has this ticket open too."), p->username);
    }

  g_free (self->presence_text);
  self->presence_text = g_string_free (g_steal_pointer (&text), FALSE);
  gtk_label_set_label (self->presence_label, self->presence_text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->presence_label), self->presence_text);
  gtk_revealer_set_reveal_child (self->presence_revealer, *self->presence_text != '\0');
}

static void
update_view (FlTicketDetail *self)
{
  FlTicket *t = self->ticket;
  g_autofree char *priority = NULL;
  g_autofree char *priority_class = NULL;
  g_autofree char *status_class = NULL;
  g_autofree char *number = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *due = NULL;
  g_autofree char *due_at = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *place = NULL;
  g_autofree char *asset = NULL;

  update_actions (self);
  update_timeline (self);
  update_presence (self);

  if (t == NULL)
    return;

  /* Translators: a ticket's priority badge, e.g. "P1" */
  priority = g_strdup_printf (_("P%d"), t->priority);
  gtk_label_set_label (self->priority_label, priority);
  priority_class = g_strdup_printf ("priority-%d", t->priority);
  set_exclusive_class (GTK_WIDGET (self->priority_label), "priority-", priority_class);

  number = fl_ticket_dup_display_number (t);
  gtk_label_set_label (self->number_label, number);
  gtk_label_set_label (self->status_label, fl_status_get_label (t->status));
  status_class = g_strdup_printf ("status-%s", fl_status_to_string (t->status));
  set_exclusive_class (GTK_WIDGET (self->status_label), "status-", status_class);
  gtk_widget_set_visible (self->pending_icon, t->pending > 0);
  gtk_label_set_label (self->title_label, t->title);

  due = fl_ticket_format_due (t, fl_context_get_now (self->context));
  due_at = format_local_time (t->due_at);
  /* Translators: due time, time left, assignee, level, queue */
  meta = g_strdup_printf (_("Due %s (%s) · Assignee: %s · %s · Queue: %s"),
                          due_at, *due ? due : "—",
                          t->assignee ? t->assignee : _("nobody"), fl_level_get_label (t->level),
                          fl_queue_get_label (t->queue));
  gtk_label_set_label (self->meta_label, meta);

  adw_action_row_set_subtitle (self->requester_row, or_dash (t->requester.name));
  /* Translators: phone and e-mail of the requester */
  contact = g_strdup_printf (_("%s · %s"), or_dash (t->requester.phone), or_dash (t->requester.email));
  adw_action_row_set_subtitle (self->contact_row, contact);
  place = g_strdup_printf (_("%s · %s"), or_dash (t->requester.department), or_dash (t->requester.location));
  adw_action_row_set_subtitle (self->place_row, place);
  asset = g_strdup_printf (_("%s · %s · %s"), or_dash (t->asset), fl_channel_get_label (t->channel),
                           fl_categories_get_label_of (fl_context_get_categories (self->context),
                                                       t->category));
  adw_action_row_set_subtitle (self->asset_row, asset);

  gtk_label_set_label (self->description_label, t->description);
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), *t->description != '\0');
}

static char *
get_buffer_text (FlTicketDetail *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->note_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
save_draft (FlTicketDetail *self)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->draft_source_id, g_source_remove);

  if (self->ticket == NULL || self->context == NULL)
    return;

  text = get_buffer_text (self);
  if (!fl_store_set_draft (get_store (self), self->ticket->id, text,
                           gtk_check_button_get_active (self->internal_check), &error))
    gtk_label_set_label (self->note_error, error->message);
}

static gboolean
save_draft_cb (gpointer user_data)
{
  FlTicketDetail *self = user_data;

  self->draft_source_id = 0;
  save_draft (self);
  return G_SOURCE_REMOVE;
}

static void
on_note_changed_cb (FlTicketDetail *self,
                    GtkTextBuffer  *buffer)
{
  g_autofree char *text = NULL;

  if (self->loading_draft || self->ticket == NULL)
    return;

  gtk_label_set_label (self->note_error, "");
  g_clear_handle_id (&self->draft_source_id, g_source_remove);
  self->draft_source_id = g_timeout_add (DRAFT_SAVE_DELAY_MS, save_draft_cb, self);

  /* Tell the others that someone is typing here. */
  text = get_buffer_text (self);
  fl_sync_engine_set_viewing (fl_context_get_sync_engine (self->context), self->ticket->id,
                              *text != '\0');
}

static void
load_draft (FlTicketDetail *self)
{
  g_autofree char *draft = NULL;
  gboolean internal = TRUE;

  self->loading_draft = TRUE;
  if (self->ticket != NULL)
    draft = fl_store_dup_draft (get_store (self), self->ticket->id, &internal);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->note_view), draft ? draft : "", -1);
  gtk_check_button_set_active (self->internal_check, draft ? internal : TRUE);
  gtk_label_set_label (self->note_error, "");
  self->loading_draft = FALSE;
}

static void update_conflict (FlTicketDetail *self);

static void
on_store_changed_cb (FlTicketDetail *self,
                     GPtrArray      *changes,
                     FlStore        *store)
{
  if (self->ticket == NULL)
    return;

  for (guint i = 0; i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;

      if (g_strcmp0 (t->id, self->ticket->id) != 0)
        continue;

      /* The note being written is left alone; only what is shown changes. */
      if (c->new_ticket != NULL)
        {
          g_set_object (&self->ticket, c->new_ticket);
          g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TICKET]);
        }
      update_view (self);
      update_conflict (self);
      return;
    }
}

static void
on_presence_changed_cb (FlTicketDetail *self,
                        FlSyncEngine   *engine)
{
  update_presence (self);
}

typedef FlTicket *(*SimpleAction) (FlStore     *store,
                                   const char  *ticket_id,
                                   GError     **error);

/* One of the ops that need nothing but the ticket, on the ticket shown. */
static void
run_simple (FlTicketDetail *self,
            SimpleAction    action,
            const char     *heading)
{
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (self->ticket == NULL)
    return;

  /* the id is copied: the store's "changed" replaces self->ticket on the way */
  id = g_strdup (self->ticket->id);
  updated = action (get_store (self), id, &error);
  if (updated == NULL)
    show_error (self, heading, error);
}


static void
claim_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  run_simple (FL_TICKET_DETAIL (widget), fl_store_claim, _("The ticket could not be claimed"));
}

static void
set_status (FlTicketDetail *self,
            FlStatus        status)
{
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  if (self->ticket == NULL)
    return;

  id = g_strdup (self->ticket->id);
  updated = fl_store_set_status (get_store (self), id, status, &error);
  if (updated == NULL)
    show_error (self, _("The status could not be changed"), error);
}

static void
wait_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  /* with what it waits for and when to look again */
  if (self->ticket != NULL && self->context != NULL)
    gtk_window_present (GTK_WINDOW (fl_wait_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                        self->context, self->ticket)));
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  set_status (FL_TICKET_DETAIL (widget), FL_STATUS_IN_PROGRESS);
}

static void
call_requester_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  g_autofree char *uri = self->ticket ? fl_contact_tel_uri (self->ticket->requester.phone) : NULL;

  if (uri != NULL)
    fl_contact_launch (widget, uri);
}

static void
email_requester_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  g_autofree char *uri = self->ticket ? fl_contact_mailto_uri (self->ticket->requester.email) : NULL;

  if (uri != NULL)
    fl_contact_launch (widget, uri);
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  run_simple (FL_TICKET_DETAIL (widget), fl_store_close, _("The ticket could not be closed"));
}

static void
on_reopen_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       FlTicketDetail   *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "reason");
  const char *id = g_object_get_data (G_OBJECT (dialog), "ticket-id");
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "reopen") != 0 || self->context == NULL)
    return;

  updated = fl_store_reopen (get_store (self), id, reason, &error);
  if (updated == NULL)
    show_error (self, _("The ticket could not be reopened"), error);
}

static void
on_reason_changed_cb (GtkEditable      *editable,
                      AdwMessageDialog *dialog)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (gtk_editable_get_text (editable)));

  adw_message_dialog_set_response_enabled (dialog, "reopen", fl_text_is_valid (trimmed, 1, FL_TEXT_MAX));
}

/* Reopening says why: the op carries the reason, and the history shows it. */
static void
reopen_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  GtkWidget *entry;

  if (self->ticket == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Reopen Ticket"),
                                   _("Why is the ticket open again? The reason is kept in the history."));
  if (GTK_IS_WINDOW (root) && gtk_window_get_application (GTK_WINDOW (root)) != NULL)
    gtk_window_set_application (GTK_WINDOW (dialog), gtk_window_get_application (GTK_WINDOW (root)));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("e.g. the problem is back"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Reason for reopening"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "reopen", _("_Reopen"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reopen",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "reopen");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "reopen", FALSE);
  g_object_set_data (G_OBJECT (dialog), "reason", entry);
  g_object_set_data_full (G_OBJECT (dialog), "ticket-id", g_strdup (self->ticket->id), g_free);
  g_signal_connect (entry, "changed", G_CALLBACK (on_reason_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reopen_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
handoff_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);

  if (self->ticket != NULL)
    g_signal_emit (self, signals [HANDOFF_REQUESTED], 0, self->ticket);
}

static void
assign_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->ticket != NULL && self->context != NULL)
    gtk_window_present (GTK_WINDOW (fl_assign_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                              : NULL,
                                                          self->context, self->ticket)));
}

static void
edit_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->ticket != NULL && self->context != NULL)
    gtk_window_present (GTK_WINDOW (fl_edit_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                        self->context, self->ticket)));
}

static void
resolve_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  gtk_widget_activate_action (widget, "ticket.resolve-with", "(ss)",
                              fl_resolution_code_to_string (FL_RESOLUTION_FIRST_CONTACT), "");
}

typedef struct
{
  FlTicketDetail *self;
  char           *ticket_id;
  GtkDropDown    *codes;
  GtkTextView    *summary;
  GtkWidget      *dialog;
} ResolveDialog;

static void
resolve_dialog_free (gpointer data,
                     GClosure *closure)
{
  ResolveDialog *rd = data;

  g_free (rd->ticket_id);
  g_free (rd);
}

/* The resolve form's draft: "resolve:TICKET-ID" → {"code", "summary"}. */
static char *
dup_resolve_draft_key (const char *ticket_id)
{
  return g_strconcat ("resolve:", ticket_id, NULL);
}

static char *
dup_summary_text (ResolveDialog *rd)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (rd->summary);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
save_resolve_draft (ResolveDialog *rd,
                    gboolean       keep)
{
  g_autofree char *key = dup_resolve_draft_key (rd->ticket_id);
  g_autofree char *summary = dup_summary_text (rd);
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  FlResolutionCode code = (FlResolutionCode) (gtk_drop_down_get_selected (rd->codes) + 1);

  if (keep && *summary != '\0')
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "code", fl_resolution_code_to_string (code));
      json_object_set_string_member (object, "summary", summary);
      json_node_set_object (node, object);
      json = json_to_string (node, FALSE);
    }

  if (rd->self->context != NULL &&
      !fl_store_set_form_draft (get_store (rd->self), key, json, &error))
    g_warning ("Could not keep the resolution's draft: %s", error->message);
}

static void
on_resolve_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        gpointer          user_data)
{
  ResolveDialog *rd = user_data;
  FlResolutionCode code = (FlResolutionCode) (gtk_drop_down_get_selected (rd->codes) + 1);
  g_autofree char *summary = dup_summary_text (rd);
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  /* Cancelled on purpose: the draft goes. Resolved: it goes once stored. */
  if (g_strcmp0 (response, "resolve") != 0)
    {
      save_resolve_draft (rd, FALSE);
      return;
    }

  updated = fl_store_resolve (get_store (rd->self), rd->ticket_id, code, g_strstrip (summary), &error);
  if (updated == NULL)
    show_error (rd->self, _("The ticket could not be resolved"), error);
  else
    save_resolve_draft (rd, FALSE);
}

static void
on_summary_changed_cb (GtkTextBuffer *buffer,
                       ResolveDialog *rd)
{
  g_autofree char *text = dup_summary_text (rd);
  gboolean ok = fl_text_is_valid (g_strstrip (text), 1, FL_TEXT_MAX);

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (rd->dialog), "resolve", ok);
  save_resolve_draft (rd, TRUE);
}

static void
on_code_changed_cb (ResolveDialog *rd)
{
  save_resolve_draft (rd, TRUE);
}

static gboolean
resolve_shortcut_cb (GtkWidget *widget,
                     GVariant  *args,
                     gpointer   user_data)
{
  ResolveDialog *rd = user_data;

  if (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (rd->dialog), "resolve"))
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (rd->dialog), "resolve");
  return TRUE;
}

static void
resolve_with_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  const char *code_text = NULL;
  const char *summary = NULL;
  FlResolutionCode code = FL_RESOLUTION_FIRST_CONTACT;
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_autofree char *key = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *draft_summary = NULL;
  ResolveDialog *rd;
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *scroller;
  GtkWidget *label;

  if (self->ticket == NULL)
    return;

  g_variant_get (param, "(&s&s)", &code_text, &summary);
  fl_resolution_code_from_string (code_text, &code);

  /* A resolution begun before (and a restart) comes back. */
  key = dup_resolve_draft_key (self->ticket->id);
  if ((summary == NULL || *summary == '\0') &&
      (draft = fl_store_dup_form_draft (get_store (self), key)) != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *node;

      if (json_parser_load_from_data (parser, draft, -1, NULL) &&
          (node = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *object = json_node_get_object (node);

          fl_resolution_code_from_string (json_object_get_string_member_with_default (object, "code", ""),
                                          &code);
          draft_summary = g_strdup (json_object_get_string_member_with_default (object, "summary", ""));
          summary = draft_summary;
        }
    }
  if (code == FL_RESOLUTION_NONE)
    code = FL_RESOLUTION_FIRST_CONTACT;

  for (FlResolutionCode c = FL_RESOLUTION_FIRST_CONTACT; c <= FL_RESOLUTION_WITHDRAWN; c++)
    gtk_string_list_append (labels, fl_resolution_code_get_label (c));

  rd = g_new0 (ResolveDialog, 1);
  rd->self = self;
  rd->ticket_id = g_strdup (self->ticket->id);
  rd->codes = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&labels)), NULL));
  gtk_drop_down_set_selected (rd->codes, code - 1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (rd->codes),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Resolution code"), -1);

  /* The summary has room for several lines: what was done, step by step. */
  label = gtk_label_new_with_mnemonic (_("What _solved it?"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  rd->summary = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_text_view_set_wrap_mode (rd->summary, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (rd->summary, FALSE);
  gtk_text_view_set_top_margin (rd->summary, 6);
  gtk_text_view_set_bottom_margin (rd->summary, 6);
  gtk_text_view_set_left_margin (rd->summary, 6);
  gtk_text_view_set_right_margin (rd->summary, 6);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (rd->summary), summary ? summary : "", -1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (rd->summary));
  gtk_accessible_update_property (GTK_ACCESSIBLE (rd->summary),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Resolution summary"), -1);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 96);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (rd->summary));
  gtk_widget_add_css_class (scroller, "card");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (rd->codes));
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), scroller);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Resolve Ticket"),
                                   _("How was it resolved? The summary is kept in the history."));
  rd->dialog = dialog;
  /* One of the application's windows: Ctrl+Q works here too. */
  if (GTK_IS_WINDOW (root) && gtk_window_get_application (GTK_WINDOW (root)) != NULL)
    gtk_window_set_application (GTK_WINDOW (dialog), gtk_window_get_application (GTK_WINDOW (root)));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "resolve", _("_Resolve"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "resolve",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "resolve");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (gtk_text_view_get_buffer (rd->summary), "changed",
                    G_CALLBACK (on_summary_changed_cb), rd);
  g_signal_connect_swapped (rd->codes, "notify::selected", G_CALLBACK (on_code_changed_cb), rd);
  {
    g_autofree char *text = dup_summary_text (rd);
    adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "resolve",
                                             fl_text_is_valid (g_strstrip (text), 1, FL_TEXT_MAX));
  }
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_resolve_response_cb), rd,
                         resolve_dialog_free, 0);
  /* Enter is a new line in the summary; Ctrl+Enter resolves. */
  {
    GtkEventController *shortcuts = gtk_shortcut_controller_new ();
    const guint keys[] = { GDK_KEY_Return, GDK_KEY_KP_Enter, GDK_KEY_ISO_Enter };

    gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                            gtk_shortcut_new (gtk_keyval_trigger_new (keys[i], GDK_CONTROL_MASK),
                                                              gtk_callback_action_new (resolve_shortcut_cb, rd, NULL)));
    gtk_widget_add_controller (GTK_WIDGET (rd->summary), shortcuts);
  }
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (rd->summary));
}

/* --- a conflict on the ticket shown ---------------------------------------- */

static const char *
field_get_label (const char *field)
{
  static const struct { const char *name; const char *label; } labels[] = {
    { "title", N_("Title") },
    { "description", N_("Description") },
    { "status", N_("Status") },
    { "assignee", N_("Assignee") },
    { "category", N_("Category") },
    { "impact", N_("Impact") },
    { "urgency", N_("Urgency") },
    { "priority", N_("Priority") },
    { "channel", N_("Channel") },
    { "asset", N_("Asset") },
    { "queue", N_("Queue") },
    { "level", N_("Level") },
    { "resolution_code", N_("Resolution code") },
    { "resolution_summary", N_("Resolution summary") },
    { "requester.name", N_("Name") },
    { "requester.phone", N_("Phone") },
    { "requester.email", N_("E-mail") },
    { "requester.department", N_("Department") },
    { "requester.location", N_("Location") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_str_equal (labels[i].name, field))
      return _(labels[i].label);
  return field;
}

/* A field's value as people read it: labels for ids, never JSON. */
static char *
format_field_value (FlTicketDetail *self,
                    const char     *field,
                    JsonNode       *node)
{
  const char *text;
  FlStatus status;
  FlGrade grade;
  FlChannel channel;
  FlResolutionCode code;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup (_("(none)"));
  if (!JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("…");
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      if (g_str_equal (field, "level"))
        return g_strdup (fl_level_get_label ((int) json_node_get_int (node)));
      if (g_str_equal (field, "priority"))
        return g_strdup_printf (_("P%d"), (int) json_node_get_int (node));
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    }

  text = json_node_get_string (node);
  if (g_str_equal (field, "status") && fl_status_from_string (text, &status))
    return g_strdup (fl_status_get_label (status));
  if ((g_str_equal (field, "impact") || g_str_equal (field, "urgency")) && fl_grade_from_string (text, &grade))
    return g_strdup (fl_grade_get_label (grade));
  if (g_str_equal (field, "channel") && fl_channel_from_string (text, &channel))
    return g_strdup (fl_channel_get_label (channel));
  if (g_str_equal (field, "resolution_code") && fl_resolution_code_from_string (text, &code))
    return g_strdup (fl_resolution_code_get_label (code));
  if (g_str_equal (field, "category"))
    return g_strdup (fl_categories_get_label_of (fl_context_get_categories (self->context), text));
  if (g_str_equal (field, "queue"))
    return g_strdup (fl_queue_get_label (text));
  return g_strdup (text);
}

/* Who made the change that came first, and when: the newest event from the
 * server by someone else. */
static gboolean
find_their_change (FlTicketDetail  *self,
                   char           **who,
                   gint64          *when)
{
  g_autoptr(GPtrArray) events = fl_store_list_events (get_store (self), self->ticket->id, NULL);
  const char *me = fl_store_get_username (get_store (self));

  for (guint i = events ? events->len : 0; i > 0; i--)
    {
      FlEvent *e = g_ptr_array_index (events, i - 1);

      if (e->seq > 0 && g_strcmp0 (e->author, me) != 0)
        {
          *who = g_strdup (e->author);
          *when = e->at;
          return TRUE;
        }
    }
  return FALSE;
}

static void
update_conflict (FlTicketDetail *self)
{
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  FlConflict *conflict = NULL;

  g_clear_pointer (&self->conflict_id, g_free);
  if (self->ticket != NULL && self->context != NULL)
    conflicts = fl_store_list_conflicts (get_store (self), NULL);
  for (guint i = 0; conflicts != NULL && i < conflicts->len && conflict == NULL; i++)
    {
      FlConflict *c = g_ptr_array_index (conflicts, i);

      if (g_strcmp0 (c->ticket_id, self->ticket->id) == 0)
        conflict = c;
    }

  if (conflict != NULL)
    {
      g_autoptr(GList) fields = json_object_get_members (conflict->fields);
      g_autofree char *who = NULL;
      g_autofree char *at = NULL;
      gint64 when = 0;

      self->conflict_id = g_strdup (conflict->id);
      if (find_their_change (self, &who, &when))
        {
          g_autofree char *time = format_local_time (when);
          g_autofree char *who_e = g_markup_escape_text (who, -1);

          /* Translators: a conflict on the ticket: user name, date and time */
          g_string_append_printf (text, _("<b>%s changed this ticket on %s</b>, before your change arrived."),
                                  who_e, time);
        }
      else
        g_string_append (text, _("<b>Someone else changed this ticket</b> before your change arrived."));

      for (const GList *l = fields; l != NULL; l = l->next)
        {
          JsonObject *pair = json_object_get_object_member (conflict->fields, l->data);
          g_autofree char *mine = format_field_value (self, l->data, json_object_get_member (pair, "mine"));
          g_autofree char *theirs = format_field_value (self, l->data, json_object_get_member (pair, "theirs"));
          g_autofree char *label_e = g_markup_escape_text (field_get_label (l->data), -1);
          g_autofree char *mine_e = g_markup_escape_text (mine, -1);
          g_autofree char *theirs_e = g_markup_escape_text (theirs, -1);

          g_string_append_c (text, '\n');
          /* Translators: one field of a conflict: label, their value, your value */
          g_string_append_printf (text, _("%s: “%s” (theirs) · “%s” (yours)"), label_e, theirs_e, mine_e);
        }
    }

  gtk_label_set_markup (self->conflict_label, text->str);
  gtk_revealer_set_reveal_child (self->conflict_revealer, conflict != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.keep-mine", conflict != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.take-theirs", conflict != NULL);
}

static void
decide_conflict_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup (self->conflict_id);

  if (id == NULL)
    return;

  if (!fl_store_resolve_conflict (get_store (self), id, g_str_equal (action_name, "ticket.keep-mine"),
                                  &error))
    show_error (self, _("The conflict could not be resolved"), error);
  fl_sync_engine_kick (fl_context_get_sync_engine (self->context));
  update_conflict (self);
}

static void
on_conflicts_changed_cb (FlTicketDetail *self)
{
  update_conflict (self);
}

static void
send_note_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  fl_ticket_detail_send_note (FL_TICKET_DETAIL (widget));
}

static void
fl_ticket_detail_dispose (GObject *object)
{
  FlTicketDetail *self = (FlTicketDetail *)object;

  if (self->draft_source_id != 0)
    save_draft (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FL_TYPE_TICKET_DETAIL);
  g_clear_object (&self->ticket);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fl_ticket_detail_parent_class)->dispose (object);
}

static void
fl_ticket_detail_finalize (GObject *object)
{
  FlTicketDetail *self = (FlTicketDetail *)object;

  g_free (self->presence_text);
  g_free (self->conflict_id);

  G_OBJECT_CLASS (fl_ticket_detail_parent_class)->finalize (object);
}

static void
fl_ticket_detail_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FlTicketDetail *self = FL_TICKET_DETAIL (object);

  switch (prop_id)
    {
    case PROP_TICKET:
      g_value_set_object (value, self->ticket);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_ticket_detail_class_init (FlTicketDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_ticket_detail_dispose;
  object_class->finalize = fl_ticket_detail_finalize;
  object_class->get_property = fl_ticket_detail_get_property;

  properties [PROP_TICKET] =
    g_param_spec_object ("ticket", NULL, NULL,
                         FL_TYPE_TICKET,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals [HANDOFF_REQUESTED] =
    g_signal_new ("handoff-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FL_TYPE_TICKET);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-ticket-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, box);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, presence_revealer);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, presence_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, conflict_revealer);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, conflict_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, keep_mine_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, actions_box);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, take_theirs_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, priority_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, number_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, status_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, pending_icon);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, meta_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, claim_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, wait_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, resume_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, resolve_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, handoff_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, reopen_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, close_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, assign_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, edit_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, requester_row);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, contact_row);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, call_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, email_button);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, place_row);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, asset_row);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, description_label);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, timeline);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, note_view);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, scroller);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, internal_check);
  gtk_widget_class_bind_template_child (widget_class, FlTicketDetail, note_error);

  gtk_widget_class_install_action (widget_class, "ticket.claim", NULL, claim_action);
  gtk_widget_class_install_action (widget_class, "ticket.wait", NULL, wait_action);
  gtk_widget_class_install_action (widget_class, "ticket.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "ticket.resolve", NULL, resolve_action);
  gtk_widget_class_install_action (widget_class, "ticket.resolve-with", "(ss)", resolve_with_action);
  gtk_widget_class_install_action (widget_class, "ticket.handoff", NULL, handoff_action);
  gtk_widget_class_install_action (widget_class, "ticket.reopen", NULL, reopen_action);
  gtk_widget_class_install_action (widget_class, "ticket.close", NULL, close_action);
  gtk_widget_class_install_action (widget_class, "ticket.call-requester", NULL, call_requester_action);
  gtk_widget_class_install_action (widget_class, "ticket.email-requester", NULL,
                                   email_requester_action);
  gtk_widget_class_install_action (widget_class, "ticket.assign", NULL, assign_action);
  gtk_widget_class_install_action (widget_class, "ticket.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "ticket.send-note", NULL, send_note_action);
  gtk_widget_class_install_action (widget_class, "ticket.keep-mine", NULL, decide_conflict_action);
  gtk_widget_class_install_action (widget_class, "ticket.take-theirs", NULL, decide_conflict_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "ticket.send-note", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK,
                                       "ticket.send-note", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "ticketdetail");
}

static void
fl_ticket_detail_init (FlTicketDetail *self)
{
  const guint send_keys[] = { GDK_KEY_Return, GDK_KEY_KP_Enter, GDK_KEY_ISO_Enter };
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Ctrl+Enter sends: caught before the text view takes it as a new line. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (send_keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (send_keys[i],
                                                                                    GDK_CONTROL_MASK),
                                                            gtk_named_action_new ("ticket.send-note")));
  gtk_widget_add_controller (GTK_WIDGET (self->note_view), shortcuts);

  g_signal_connect_swapped (gtk_text_view_get_buffer (self->note_view), "changed",
                            G_CALLBACK (on_note_changed_cb), self);
  g_signal_connect_swapped (self->internal_check, "toggled",
                            G_CALLBACK (on_note_changed_cb), self);
  update_actions (self);
  update_conflict (self);
}

/* --- suggestions below the timeline (fl-suggestions-panel.c) --------------- */

static void
update_suggestions (FlTicketDetail *self)
{
  if (self->suggestions == NULL || self->ticket == NULL)
    return;
  fl_suggestions_panel_set_request (self->suggestions, self->ticket->title,
                                    self->ticket->description, self->ticket->category,
                                    &self->ticket->requester, self->ticket->id);
}

static void
on_copy_resolution_cb (FlTicketDetail *self,
                       FlTicket       *solved)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->note_view);
  g_autofree char *number = fl_ticket_dup_display_number (solved);
  /* Translators: a resolution copied into a note; %s: "#1042", then the summary */
  g_autofree char *text = g_strdup_printf (_("As in %s: %s\n"), number,
                                           solved->resolution_summary ? solved->resolution_summary : "");

  gtk_text_buffer_insert_at_cursor (buffer, text, -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->note_view));
}

/* The suggested ticket, or the caller's open one, takes the detail's place. */
static void
on_show_ticket_cb (FlTicketDetail *self,
                   const char     *ticket_id)
{
  g_autoptr(FlTicket) t = fl_store_get_ticket (get_store (self), ticket_id, NULL);

  if (t != NULL)
    fl_ticket_detail_set_ticket (self, t);
}

static void
add_suggestions_panel (FlTicketDetail *self)
{
  GtkWidget *group = gtk_widget_get_ancestor (GTK_WIDGET (self->timeline), ADW_TYPE_PREFERENCES_GROUP);
  GtkWidget *content = group ? gtk_widget_get_parent (group) : NULL;

  if (content == NULL || !GTK_IS_BOX (content))
    return;
  self->suggestions = fl_suggestions_panel_new (get_store (self));
  gtk_widget_set_margin_start (GTK_WIDGET (self->suggestions), 0);
  gtk_widget_set_margin_end (GTK_WIDGET (self->suggestions), 0);
  g_signal_connect_object (self->suggestions, "copy-resolution",
                           G_CALLBACK (on_copy_resolution_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->suggestions, "open-ticket", G_CALLBACK (on_show_ticket_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->suggestions, "add-note-instead", G_CALLBACK (on_show_ticket_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->suggestions));
}

GtkWidget *
fl_ticket_detail_new (void)
{
  return g_object_new (FL_TYPE_TICKET_DETAIL, NULL);
}

void
fl_ticket_detail_set_context (FlTicketDetail *self,
                              FlContext      *context)
{
  g_return_if_fail (FL_IS_TICKET_DETAIL (self));
  g_return_if_fail (FL_IS_CONTEXT (context));
  g_return_if_fail (self->context == NULL);

  self->context = g_object_ref (context);
  /* "::" and letters in the note insert a predefined answer (src/app/suggestions) */
  self->answers = fl_answer_completion_attach (self->note_view, fl_context_get_store (context));
  add_suggestions_panel (self);
  g_signal_connect_object (fl_context_get_store (context), "changed",
                           G_CALLBACK (on_store_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (fl_context_get_sync_engine (context), "presence-changed",
                           G_CALLBACK (on_presence_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (fl_context_get_store (context), "notify::conflicts",
                           G_CALLBACK (on_conflicts_changed_cb), self, G_CONNECT_SWAPPED);
}

FlTicket *
fl_ticket_detail_get_ticket (FlTicketDetail *self)
{
  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), NULL);

  return self->ticket;
}

void
fl_ticket_detail_set_ticket (FlTicketDetail *self,
                             FlTicket       *ticket)
{
  g_return_if_fail (FL_IS_TICKET_DETAIL (self));
  g_return_if_fail (ticket == NULL || FL_IS_TICKET (ticket));
  g_return_if_fail (self->context != NULL);

  if (self->ticket != NULL && ticket != NULL && g_str_equal (self->ticket->id, ticket->id))
    {
      g_set_object (&self->ticket, ticket);
      update_view (self);
      return;
    }

  /* Keep what was typed for the ticket we leave. */
  if (self->ticket != NULL)
    save_draft (self);

  g_set_object (&self->ticket, ticket);
  if (self->answers != NULL)
    fl_answer_completion_set_ticket (self->answers, ticket);
  load_draft (self);
  update_view (self);
  update_conflict (self);

  /* A resolution begun before Firstline closed is offered again. */
  if (ticket != NULL)
    {
      g_autofree char *key = dup_resolve_draft_key (ticket->id);
      g_autofree char *draft = fl_store_dup_form_draft (get_store (self), key);

      if (draft != NULL && GTK_IS_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))))
        gtk_widget_activate_action (GTK_WIDGET (self), "ticket.resolve-with", "(ss)", "", "");
    }
  update_suggestions (self);

  fl_sync_engine_set_viewing (fl_context_get_sync_engine (self->context),
                              ticket ? ticket->id : NULL, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TICKET]);
}

char *
fl_ticket_detail_dup_draft (FlTicketDetail *self)
{
  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), NULL);

  return get_buffer_text (self);
}

void
fl_ticket_detail_set_draft (FlTicketDetail *self,
                            const char     *text)
{
  g_return_if_fail (FL_IS_TICKET_DETAIL (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->note_view), text ? text : "", -1);
}

gboolean
fl_ticket_detail_send_note (FlTicketDetail *self)
{
  g_autofree char *text = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *id = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), FALSE);

  if (self->ticket == NULL)
    return FALSE;

  text = get_buffer_text (self);
  trimmed = g_strstrip (g_strdup (text));
  if (*trimmed == '\0')
    {
      gtk_label_set_label (self->note_error, _("Write the note first."));
      gtk_widget_grab_focus (GTK_WIDGET (self->note_view));
      return FALSE;
    }

  /* The draft stays in the cache until the note itself is stored. */
  save_draft (self);

  /* the id is copied: the store's "changed" replaces self->ticket on the way */
  id = g_strdup (self->ticket->id);
  updated = fl_store_add_note (get_store (self), id, text,
                               gtk_check_button_get_active (self->internal_check), &error);
  if (updated == NULL)
    {
      gtk_label_set_label (self->note_error, error->message);
      return FALSE;
    }

  load_draft (self);
  fl_sync_engine_set_viewing (fl_context_get_sync_engine (self->context), id, FALSE);
  return TRUE;
}

const char *
fl_ticket_detail_get_presence_text (FlTicketDetail *self)
{
  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), NULL);

  return self->presence_text ? self->presence_text : "";
}

guint
fl_ticket_detail_get_n_timeline_rows (FlTicketDetail *self)
{
  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), 0);

  return self->n_timeline_rows;
}

GtkWidget *
fl_ticket_detail_get_content (FlTicketDetail *self)
{
  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), NULL);

  return self->scroller;
}

GtkWidget *
fl_ticket_detail_get_composer (FlTicketDetail *self)
{
  g_return_val_if_fail (FL_IS_TICKET_DETAIL (self), NULL);

  return GTK_WIDGET (self->note_view);
}
