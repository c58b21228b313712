/* fl-event.c — one entry of a ticket's history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-event"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-checklist.h"
#include "fl-json-private.h"
#include "fl-ticket.h"

#define ENUM_GETTER(fn) ((gboolean (*) (const char *, int *)) (fn))

G_DEFINE_FINAL_TYPE (FlEvent, fl_event, G_TYPE_OBJECT)

static void
fl_event_finalize (GObject *object)
{
  FlEvent *self = (FlEvent *)object;

  g_free (self->id);
  g_free (self->ticket_id);
  g_free (self->author);
  g_clear_pointer (&self->data, json_object_unref);

  G_OBJECT_CLASS (fl_event_parent_class)->finalize (object);
}

static void
fl_event_class_init (FlEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_event_finalize;
}

static void
fl_event_init (FlEvent *self)
{
}

FlEvent *
fl_event_new (const char *id,
              const char *ticket_id,
              gint64      seq,
              gint64      at,
              const char *author,
              FlOpType    type,
              JsonObject *data)
{
  FlEvent *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  self = g_object_new (FL_TYPE_EVENT, NULL);
  self->id = g_strdup (id);
  self->ticket_id = g_strdup (ticket_id);
  self->seq = seq;
  self->at = at;
  self->author = g_strdup (author ? author : "");
  self->type = type;
  self->data = data ? json_object_ref (data) : json_object_new ();

  return self;
}

void
fl_event_build_json (FlEvent     *self,
                     JsonBuilder *builder)
{
  g_autoptr(JsonNode) data = NULL;

  g_return_if_fail (FL_IS_EVENT (self));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "ticket_id");
  json_builder_add_string_value (builder, self->ticket_id);
  json_builder_set_member_name (builder, "seq");
  if (self->seq > 0)
    json_builder_add_int_value (builder, self->seq);
  else
    json_builder_add_null_value (builder);
  _fl_json_add_time_or_null (builder, "at", self->at);
  json_builder_set_member_name (builder, "author");
  json_builder_add_string_value (builder, self->author);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, fl_op_type_to_string (self->type));
  json_builder_set_member_name (builder, "data");
  data = json_node_init_object (json_node_alloc (), self->data);
  json_builder_add_value (builder, g_steal_pointer (&data));
  json_builder_end_object (builder);
}

JsonNode *
fl_event_to_json (FlEvent *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (FL_IS_EVENT (self), NULL);

  fl_event_build_json (self, builder);
  return json_builder_get_root (builder);
}

FlEvent *
fl_event_from_json (JsonNode  *node,
                    GError   **error)
{
  g_autoptr(FlEvent) self = NULL;
  JsonObject *obj;
  JsonObject *data = NULL;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE, _("an event must be an object"));
      return NULL;
    }

  obj = json_node_get_object (node);
  self = g_object_new (FL_TYPE_EVENT, NULL);

  if (!_fl_json_get_uuid (obj, NULL, "id", FL_FIELD_REQUIRED, &self->id, error) ||
      !_fl_json_get_uuid (obj, NULL, "ticket_id", FL_FIELD_REQUIRED, &self->ticket_id, error) ||
      !_fl_json_get_int (obj, NULL, "seq", FL_FIELD_NULLABLE, 0, G_MAXINT64, &self->seq, NULL,
                         error) ||
      !_fl_json_get_time (obj, NULL, "at", FL_FIELD_REQUIRED, &self->at, NULL, error) ||
      !_fl_json_get_string (obj, NULL, "author", FL_FIELD_REQUIRED, 0, FL_SHORT_TEXT_MAX,
                            &self->author, NULL, error) ||
      !_fl_json_get_enum (obj, NULL, "type", FL_FIELD_REQUIRED,
                          ENUM_GETTER (fl_op_type_from_string), (int *) &self->type, NULL,
                          error) ||
      !_fl_json_get_object (obj, NULL, "data", FL_FIELD_NULLABLE, &data, error))
    return NULL;

  self->data = data ? json_object_ref (data) : json_object_new ();
  return g_steal_pointer (&self);
}

static char *
value_to_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      if (json_object_has_member (obj, "name"))
        return g_strdup (_fl_json_string_member (obj, "name", ""));
    }
  return json_to_string (node, FALSE);
}

static const char *
field_label (const char *field)
{
  static const struct { const char *name; const char *label; } labels[] = {
    { "title", N_("Title") },
    { "description", N_("Description") },
    { "requester", N_("Requester") },
    { "asset", N_("Asset") },
    { "channel", N_("Channel") },
    { "category", N_("Category") },
    { "impact", N_("Impact") },
    { "urgency", N_("Urgency") },
    { "priority", N_("Priority") },
    { "queue", N_("Queue") },
    { "status", N_("Status") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (labels[i].name, field) == 0)
      return _(labels[i].label);

  return field;
}

char *
fl_event_describe (FlEvent *self)
{
  g_return_val_if_fail (FL_IS_EVENT (self), NULL);

  switch (self->type)
    {
    case FL_OP_CREATE:
      return g_strdup (_("Created the ticket"));

    case FL_OP_UPDATE:
      {
        JsonObject *changes = NULL;
        g_autoptr(GString) str = g_string_new (NULL);
        g_autoptr(GList) members = NULL;

        if (json_object_has_member (self->data, "changes") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (self->data, "changes")))
          changes = json_object_get_object_member (self->data, "changes");

        if (changes == NULL || json_object_get_size (changes) == 0)
          return g_strdup (_("Updated the ticket"));

        members = json_object_get_members (changes);
        for (const GList *l = members; l; l = l->next)
          {
            JsonNode *pair = json_object_get_member (changes, l->data);
            g_autofree char *old_text = NULL;
            g_autofree char *new_text = NULL;

            if (!JSON_NODE_HOLDS_ARRAY (pair) ||
                json_array_get_length (json_node_get_array (pair)) != 2)
              continue;

            old_text = value_to_text (json_array_get_element (json_node_get_array (pair), 0));
            new_text = value_to_text (json_array_get_element (json_node_get_array (pair), 1));

            if (g_strcmp0 (l->data, "status") == 0)
              {
                FlStatus s;
                if (fl_status_from_string (old_text, &s))
                  { g_free (old_text); old_text = g_strdup (fl_status_get_label (s)); }
                if (fl_status_from_string (new_text, &s))
                  { g_free (new_text); new_text = g_strdup (fl_status_get_label (s)); }
              }

            if (str->len > 0)
              g_string_append (str, "\n");
            /* Translators: "Field: old value → new value" */
            g_string_append_printf (str, _("%s: %s → %s"), field_label (l->data),
                                    old_text, new_text);
          }

        return g_string_free (g_steal_pointer (&str), FALSE);
      }

    case FL_OP_NOTE:
      if (_fl_json_bool_member (self->data, "internal", FALSE))
        return g_strdup (_("Internal note"));
      return g_strdup (_("Public note"));

    case FL_OP_CHECKLIST:
      {
        const char *outcome = _fl_json_string_member (self->data, "outcome", "?");
        const char *value = _fl_json_string_member (self->data, "value", NULL);
        const char *label = outcome;
        FlChecklistOutcome known;

        if (fl_checklist_outcome_from_string (outcome, &known))
          label = fl_checklist_outcome_get_label (known);

        if (value != NULL && *value != '\0')
          /* Translators: a checklist step, its outcome and the value entered */
          return g_strdup_printf (_("Checklist step %s: %s (%s)"),
                                  _fl_json_string_member (self->data, "step_id", "?"),
                                  label, value);

        /* Translators: %s is a checklist step and %s its outcome */
        return g_strdup_printf (_("Checklist step %s: %s"),
                                _fl_json_string_member (self->data, "step_id", "?"),
                                label);
      }

    case FL_OP_CLAIM:
      return g_strdup (_("Claimed the ticket"));

    case FL_OP_ASSIGN:
      {
        const char *who = NULL;
        who = _fl_json_string_member (self->data, "assignee", NULL);
        if (who == NULL)
          return g_strdup (_("Removed the assignee"));
        /* Translators: %s is a user name */
        return g_strdup_printf (_("Assigned to %s"), who);
      }

    case FL_OP_HANDOFF:
      /* Translators: %s is the name of a 2nd-level queue */
      return g_strdup_printf (_("Handed off to %s"),
                              _fl_json_string_member (self->data, "queue", "?"));

    case FL_OP_RESOLVE:
      {
        FlResolutionCode code = FL_RESOLUTION_NONE;
        fl_resolution_code_from_string (_fl_json_string_member (self->data, "code", ""),
                                        &code);
        /* Translators: %s is a resolution code like "Solved" */
        return g_strdup_printf (_("Resolved: %s"), fl_resolution_code_get_label (code));
      }

    case FL_OP_REOPEN:
      return g_strdup (_("Reopened the ticket"));

    case FL_OP_CLOSE:
      return g_strdup (_("Closed the ticket"));

    default:
      return g_strdup ("");
    }
}
