/* fl-answer-completion.c — "::" and a few letters in a note insert a predefined answer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-answer-completion"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fl-answer-completion.h"
#include "fl-answer.h"

#define MAX_LETTERS 32
#define MAX_SHOWN   8

struct _FlAnswerCompletion
{
  GObject      parent_instance;

  /* borrowed: the view owns us */
  GtkTextView *view;

  /* owned */
  FlStore     *store;
  FlTicket    *ticket;
  GtkWidget   *popover;      /* borrowed: an overlay child of the view */
  GtkListBox  *list;
  GPtrArray   *matches;      /* JsonNode of the answers offered */
  gboolean     inserting;
};

G_DEFINE_FINAL_TYPE (FlAnswerCompletion, fl_answer_completion, G_TYPE_OBJECT)

enum { ANSWER_INSERTED, N_SIGNALS };
static guint signals [N_SIGNALS];

/* The letters after "::" just before the cursor, and where "::" starts; NULL if none. */
static char *
typed_prefix (FlAnswerCompletion *self,
              GtkTextIter        *start)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->view);
  GtkTextIter cursor, iter;
  g_autofree char *text = NULL;
  const char *colons;

  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  iter = cursor;
  gtk_text_iter_backward_chars (&iter, MAX_LETTERS + 2);
  text = gtk_text_iter_get_text (&iter, &cursor);
  colons = g_strrstr (text, "::");
  if (colons == NULL)
    return NULL;
  for (const char *p = colons + 2; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isalnum (g_utf8_get_char (p)) && *p != '-')
      return NULL;

  *start = cursor;
  gtk_text_iter_backward_chars (start, g_utf8_strlen (colons, -1));
  return g_strdup (colons + 2);
}

static gboolean
answer_matches (JsonObject *a,
                const char *folded_prefix,
                const char *lang)
{
  const char *fields[] = { "keyword", "id" };
  g_autofree char *title = NULL;

  if (*folded_prefix == '\0')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *v = json_object_get_string_member_with_default (a, fields[i], "");

      if (g_str_has_prefix (v, folded_prefix))
        return TRUE;
    }
  title = fl_similar_fold (fl_answer_get_text (a, "title", lang));
  return g_str_has_prefix (title, folded_prefix) || strstr (title, folded_prefix) != NULL;
}

static void
popdown (FlAnswerCompletion *self)
{
  g_ptr_array_set_size (self->matches, 0);
  if (self->popover != NULL)
    gtk_widget_set_visible (self->popover, FALSE);
}

static void
insert_answer (FlAnswerCompletion *self,
               JsonObject         *answer)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->view);
  g_autofree char *prefix = NULL;
  g_autofree char *text = NULL;
  g_autofree char *id = g_strdup (json_object_get_string_member (answer, "id"));
  GtkTextIter start, end;
  const char *body = fl_answer_get_text (answer, "body", NULL);
  const char *username = fl_store_get_username (self->store);

  if (!(prefix = typed_prefix (self, &start)) || body == NULL)
    return;
  gtk_text_buffer_get_iter_at_mark (buffer, &end, gtk_text_buffer_get_insert (buffer));
  text = fl_answer_expand (body, self->ticket, username, NULL);

  self->inserting = TRUE;
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete (buffer, &start, &end);
  gtk_text_buffer_insert (buffer, &start, text, -1);
  gtk_text_buffer_end_user_action (buffer);
  self->inserting = FALSE;
  popdown (self);

  g_signal_emit (self, signals[ANSWER_INSERTED], 0, id);
}

static void
on_row_activated_cb (GtkListBox         *list,
                     GtkListBoxRow      *row,
                     FlAnswerCompletion *self)
{
  guint i = (guint) gtk_list_box_row_get_index (row);

  if (i < self->matches->len)
    insert_answer (self, json_node_get_object (self->matches->pdata[i]));
}

static void
ensure_popover (FlAnswerCompletion *self)
{
  if (self->popover != NULL)
    return;
  /* an overlay child of the view (a popover cannot be its child), under the cursor */
  self->popover = gtk_frame_new (NULL);
  gtk_widget_add_css_class (self->popover, "view");
  gtk_widget_set_visible (self->popover, FALSE);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Predefined answers"), -1);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated_cb), self);
  gtk_frame_set_child (GTK_FRAME (self->popover), GTK_WIDGET (self->list));
  gtk_text_view_add_overlay (self->view, self->popover, 0, 0);
}

static void
on_changed_cb (GtkTextBuffer      *buffer,
               FlAnswerCompletion *self)
{
  g_autoptr(GPtrArray) answers = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *folded = NULL;
  GtkTextIter start;
  GdkRectangle rect;
  GtkWidget *child;
  const char *lang = NULL;   /* the user's languages */

  if (self->inserting)
    return;
  if (!(prefix = typed_prefix (self, &start)))
    {
      popdown (self);
      return;
    }

  folded = fl_similar_fold (prefix);
  answers = fl_store_list_answers (self->store, NULL);
  g_ptr_array_set_size (self->matches, 0);
  for (guint i = 0; answers && i < answers->len && self->matches->len < MAX_SHOWN; i++)
    if (answer_matches (json_node_get_object (answers->pdata[i]), folded, lang))
      g_ptr_array_add (self->matches, json_node_ref (answers->pdata[i]));

  if (self->matches->len == 0)
    {
      popdown (self);
      return;
    }

  ensure_popover (self);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < self->matches->len; i++)
    {
      JsonObject *a = json_node_get_object (self->matches->pdata[i]);
      g_autofree char *text = g_strdup_printf ("::%s  %s",
                                               json_object_get_string_member_with_default (a, "keyword",
                                                 json_object_get_string_member (a, "id")),
                                               fl_answer_get_text (a, "title", lang));
      GtkWidget *label = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_list_box_append (self->list, label);
    }
  gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, 0));

  gtk_text_view_get_iter_location (self->view, &start, &rect);
  gtk_text_view_move_overlay (self->view, self->popover, rect.x, rect.y + rect.height);
  gtk_widget_set_visible (self->popover, TRUE);
}

static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   FlAnswerCompletion    *self)
{
  GtkListBoxRow *row;
  int index;

  if (self->matches->len == 0)
    return FALSE;

  row = gtk_list_box_get_selected_row (self->list);
  index = row ? gtk_list_box_row_get_index (row) : 0;
  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_Tab:
      insert_answer (self, json_node_get_object (self->matches->pdata[index]));
      return TRUE;
    case GDK_KEY_Escape:
      popdown (self);
      return TRUE;
    case GDK_KEY_Down:
    case GDK_KEY_Up:
      index = CLAMP (index + (keyval == GDK_KEY_Down ? 1 : -1), 0, (int) self->matches->len - 1);
      gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, index));
      return TRUE;
    default:
      return FALSE;
    }
}

static void
fl_answer_completion_dispose (GObject *object)
{
  FlAnswerCompletion *self = FL_ANSWER_COMPLETION (object);

  /* the overlay child belongs to the view */
  self->popover = NULL;
  g_clear_object (&self->store);
  g_clear_object (&self->ticket);
  g_clear_pointer (&self->matches, g_ptr_array_unref);

  G_OBJECT_CLASS (fl_answer_completion_parent_class)->dispose (object);
}

static void
fl_answer_completion_class_init (FlAnswerCompletionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = fl_answer_completion_dispose;

  signals[ANSWER_INSERTED] =
    g_signal_new ("answer-inserted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fl_answer_completion_init (FlAnswerCompletion *self)
{
  self->matches = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
}

FlAnswerCompletion *
fl_answer_completion_attach (GtkTextView *view,
                             FlStore     *store)
{
  FlAnswerCompletion *self;
  GtkEventController *keys;

  g_return_val_if_fail (GTK_IS_TEXT_VIEW (view), NULL);
  g_return_val_if_fail (FL_IS_STORE (store), NULL);

  self = g_object_new (FL_TYPE_ANSWER_COMPLETION, NULL);
  self->view = view;
  self->store = g_object_ref (store);
  g_signal_connect_object (gtk_text_view_get_buffer (view), "changed", G_CALLBACK (on_changed_cb),
                           self, 0);
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_key_pressed_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (view), keys);
  /* the view owns the completion */
  g_object_set_data_full (G_OBJECT (view), "fl-answer-completion", self, g_object_unref);
  return self;
}

void
fl_answer_completion_set_ticket (FlAnswerCompletion *self,
                                 FlTicket           *ticket)
{
  g_return_if_fail (FL_IS_ANSWER_COMPLETION (self));

  g_set_object (&self->ticket, ticket);
}

GStrv
fl_answer_completion_dup_matches (FlAnswerCompletion *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (FL_IS_ANSWER_COMPLETION (self), NULL);

  for (guint i = 0; i < self->matches->len; i++)
    g_strv_builder_add (builder, json_object_get_string_member (
                                   json_node_get_object (self->matches->pdata[i]), "id"));
  return g_strv_builder_end (builder);
}

gboolean
fl_answer_completion_accept (FlAnswerCompletion *self)
{
  g_return_val_if_fail (FL_IS_ANSWER_COMPLETION (self), FALSE);

  if (self->matches->len == 0)
    return FALSE;
  insert_answer (self, json_node_get_object (self->matches->pdata[0]));
  return TRUE;
}
