/* fl-op.c — ops, their JSON form, and how one op changes a ticket
 *
 * The same code runs in the app (to show a change at once) and in the server
 * (to apply it for everyone), so both agree on every rule of the op table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-op"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-json-private.h"
#include "fl-ticket-private.h"

#define ENUM_GETTER(fn) ((gboolean (*) (const char *, int *)) (fn))

G_DEFINE_BOXED_TYPE (FlOp, fl_op, fl_op_copy, fl_op_free)

static const char * const update_fields[] = {
  "title", "description", "requester", "asset", "channel", "category",
  "impact", "urgency", "queue", "status", "waiting_reason", "follow_up_at", NULL
};

FlOp *
fl_op_new (const char *op_id,
           const char *ticket_id,
           FlOpType    type,
           gint64      base_version,
           gint64      at,
           JsonObject *data)
{
  FlOp *op = g_new0 (FlOp, 1);

  op->op_id = g_strdup (op_id);
  op->ticket_id = g_strdup (ticket_id);
  op->type = type;
  op->base_version = base_version;
  op->at = at;
  op->data = data ? json_object_ref (data) : json_object_new ();

  return op;
}

FlOp *
fl_op_copy (const FlOp *op)
{
  g_return_val_if_fail (op != NULL, NULL);

  return fl_op_new (op->op_id, op->ticket_id, op->type, op->base_version, op->at, op->data);
}

void
fl_op_free (FlOp *op)
{
  if (op == NULL)
    return;

  g_free (op->op_id);
  g_free (op->ticket_id);
  g_clear_pointer (&op->data, json_object_unref);
  g_free (op);
}

void
fl_op_build_json (const FlOp  *op,
                  JsonBuilder *builder)
{
  g_autoptr(JsonNode) data = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "op_id");
  json_builder_add_string_value (builder, op->op_id);
  json_builder_set_member_name (builder, "ticket_id");
  json_builder_add_string_value (builder, op->ticket_id);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, fl_op_type_to_string (op->type));
  json_builder_set_member_name (builder, "base_version");
  json_builder_add_int_value (builder, op->base_version);
  _fl_json_add_time_or_null (builder, "at", op->at);
  json_builder_set_member_name (builder, "data");
  data = json_node_init_object (json_node_alloc (), op->data);
  json_builder_add_value (builder, g_steal_pointer (&data));
  json_builder_end_object (builder);
}

JsonNode *
fl_op_to_json (const FlOp *op)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (op != NULL, NULL);

  fl_op_build_json (op, builder);
  return json_builder_get_root (builder);
}

static const char * const requester_fields[] = {
  "name", "email", "phone", "department", "location", NULL
};

/* The data members each op type knows, in the op table's order. */
static const char * const *
data_fields (FlOpType type)
{
  static const char * const create[] = {
    "title", "description", "requester", "asset", "channel", "category", "impact", "urgency",
    "queue", NULL
  };
  static const char * const note[] = { "body", "internal", NULL };
  static const char * const checklist[] = {
    "checklist_id", "checklist_version", "step_id", "outcome", "value", NULL
  };
  static const char * const assign[] = { "assignee", NULL };
  static const char * const handoff[] = {
    "queue", "summary", "steps_tried", "impact", "urgency", "contact", NULL
  };
  static const char * const resolve[] = { "code", "summary", NULL };
  static const char * const reopen[] = { "reason", NULL };
  static const char * const none[] = { NULL };

  switch (type)
    {
    case FL_OP_CREATE:    return create;
    case FL_OP_UPDATE:    return update_fields;
    case FL_OP_NOTE:      return note;
    case FL_OP_CHECKLIST: return checklist;
    case FL_OP_ASSIGN:    return assign;
    case FL_OP_HANDOFF:   return handoff;
    case FL_OP_RESOLVE:   return resolve;
    case FL_OP_REOPEN:    return reopen;
    case FL_OP_CLAIM:
    case FL_OP_CLOSE:
    default:              return none;
    }
}

/* A copy of @data with only the members @type knows (and of "requester" only
 * its known parts). */
static JsonObject *
known_data (FlOpType    type,
            JsonObject *data)
{
  const char * const *fields = data_fields (type);
  JsonObject *out = json_object_new ();

  if (data == NULL)
    return out;

  for (guint i = 0; fields[i]; i++)
    {
      JsonNode *member = json_object_get_member (data, fields[i]);

      if (member == NULL)
        continue;
      if (g_str_equal (fields[i], "requester") && JSON_NODE_HOLDS_OBJECT (member))
        {
          JsonObject *req = json_node_get_object (member);
          JsonObject *copy = json_object_new ();

          for (guint k = 0; requester_fields[k]; k++)
            {
              JsonNode *part = json_object_get_member (req, requester_fields[k]);

              if (part != NULL)
                json_object_set_member (copy, requester_fields[k], json_node_copy (part));
            }
          json_object_set_object_member (out, fields[i], copy);
          continue;
        }
      json_object_set_member (out, fields[i], json_node_copy (member));
    }

  return out;
}

FlOp *
fl_op_from_json (JsonNode  *node,
                 GError   **error)
{
  g_autoptr(FlOp) op = g_new0 (FlOp, 1);
  JsonObject *obj;
  JsonObject *data = NULL;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE, _("an op must be an object"));
      return NULL;
    }

  obj = json_node_get_object (node);
  op->at = 0;

  if (!_fl_json_get_uuid (obj, NULL, "op_id", FL_FIELD_REQUIRED, &op->op_id, error) ||
      !_fl_json_get_uuid (obj, NULL, "ticket_id", FL_FIELD_REQUIRED, &op->ticket_id, error) ||
      !_fl_json_get_enum (obj, NULL, "type", FL_FIELD_REQUIRED,
                          ENUM_GETTER (fl_op_type_from_string), (int *) &op->type, NULL,
                          error) ||
      !_fl_json_get_int (obj, NULL, "base_version", FL_FIELD_NULLABLE, 0, G_MAXINT64,
                         &op->base_version, NULL, error) ||
      !_fl_json_get_time (obj, NULL, "at", FL_FIELD_NULLABLE, &op->at, NULL, error) ||
      !_fl_json_get_object (obj, NULL, "data", FL_FIELD_NULLABLE, &data, error))
    return NULL;

  /* The contract ignores unknown fields: they are dropped here, so they are
   * never stored in the append-only log or sent on to other clients. */
  op->data = known_data (op->type, data);
  return g_steal_pointer (&op);
}

GStrv
fl_op_dup_fields (const FlOp *op)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (op != NULL, NULL);

  if (op->type == FL_OP_UPDATE)
    {
      for (guint i = 0; update_fields[i]; i++)
        if (json_object_has_member (op->data, update_fields[i]))
          g_strv_builder_add (builder, update_fields[i]);
    }

  return g_strv_builder_end (builder);
}

/* -------------------------------------------------------------------------- */

static gboolean
invalid (GError     **error,
         FlModelError code,
         const char  *message)
{
  g_set_error_literal (error, FL_MODEL_ERROR, code, message);
  return FALSE;
}

static gboolean
validate_steps_tried (JsonObject  *data,
                      GError     **error)
{
  JsonNode *node = json_object_get_member (data, "steps_tried");
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, FL_MODEL_ERROR_TYPE, _("field 'steps_tried' must be an array of strings"));

  array = json_node_get_array (node);
  if (json_array_get_length (array) > 500)
    return invalid (error, FL_MODEL_ERROR_INVALID, _("field 'steps_tried' has too many entries"));

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *el = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (el) || json_node_get_value_type (el) != G_TYPE_STRING)
        return invalid (error, FL_MODEL_ERROR_TYPE,
                        _("field 'steps_tried' must be an array of strings"));
      if (!fl_text_is_valid (json_node_get_string (el), 0, FL_TEXT_MAX))
        return invalid (error, FL_MODEL_ERROR_INVALID, _("field 'steps_tried' has an invalid entry"));
    }

  return TRUE;
}

/* Long: one case per op type of the op table, kept together so that the table
 * and the code can be read side by side. */
gboolean
fl_op_validate_data (FlOpType     type,
                     JsonObject  *data,
                     GError     **error)
{
  g_autofree char *s = NULL;
  g_autofree char *s2 = NULL;
  gint64 i = 0;
  gboolean b = FALSE;
  int e = 0;
  JsonObject *child = NULL;

  g_return_val_if_fail (data != NULL, FALSE);

  switch (type)
    {
    case FL_OP_CREATE:
      {
        FlRequester r = { 0 };
        gboolean ok;

        ok = _fl_json_get_string (data, NULL, "title", FL_FIELD_REQUIRED, 1, FL_TITLE_MAX,
                                  &s, NULL, error) &&
             _fl_json_get_string (data, NULL, "description", FL_FIELD_NULLABLE, 0,
                                  FL_TEXT_MAX, &s2, NULL, error) &&
             _fl_json_get_object (data, NULL, "requester", FL_FIELD_REQUIRED, &child, error);
        if (ok)
          {
            ok = _fl_json_get_string (child, "requester", "name", FL_FIELD_REQUIRED, 1,
                                      FL_SHORT_TEXT_MAX, &r.name, NULL, error) &&
                 _fl_json_get_string (child, "requester", "email", FL_FIELD_NULLABLE, 0,
                                      FL_SHORT_TEXT_MAX, &r.email, NULL, error) &&
                 _fl_json_get_string (child, "requester", "phone", FL_FIELD_NULLABLE, 0,
                                      FL_SHORT_TEXT_MAX, &r.phone, NULL, error) &&
                 _fl_json_get_string (child, "requester", "department", FL_FIELD_NULLABLE, 0,
                                      FL_SHORT_TEXT_MAX, &r.department, NULL, error) &&
                 _fl_json_get_string (child, "requester", "location", FL_FIELD_NULLABLE, 0,
                                      FL_SHORT_TEXT_MAX, &r.location, NULL, error);
            g_free (r.name);
            g_free (r.email);
            g_free (r.phone);
            g_free (r.department);
            g_free (r.location);
          }
        g_clear_pointer (&s, g_free);
        return ok &&
               _fl_json_get_string (data, NULL, "asset", FL_FIELD_NULLABLE, 0,
                                    FL_SHORT_TEXT_MAX, &s, NULL, error) &&
               _fl_json_get_enum (data, NULL, "channel", FL_FIELD_REQUIRED,
                                  ENUM_GETTER (fl_channel_from_string), &e, NULL, error) &&
               _fl_json_get_string (data, NULL, "category", FL_FIELD_REQUIRED, 1,
                                    FL_SHORT_TEXT_MAX, &s2, NULL, error) &&
               _fl_json_get_enum (data, NULL, "impact", FL_FIELD_OPTIONAL,
                                  ENUM_GETTER (fl_grade_from_string), &e, NULL, error) &&
               _fl_json_get_enum (data, NULL, "urgency", FL_FIELD_OPTIONAL,
                                  ENUM_GETTER (fl_grade_from_string), &e, NULL, error) &&
               _fl_json_get_string (data, NULL, "queue", FL_FIELD_OPTIONAL, 1,
                                    FL_SHORT_TEXT_MAX, &s, NULL, error);
      }

    case FL_OP_UPDATE:
      {
        gboolean any = FALSE;
        FlStatus status;
        gint64 time;

        for (guint k = 0; update_fields[k]; k++)
          any |= json_object_has_member (data, update_fields[k]);
        if (!any)
          return invalid (error, FL_MODEL_ERROR_INVALID, _("an update must change a field"));

        if (!_fl_json_get_string (data, NULL, "title", FL_FIELD_OPTIONAL, 1, FL_TITLE_MAX,
                                  &s, NULL, error) ||
            !_fl_json_get_string (data, NULL, "description", FL_FIELD_NULLABLE, 0, FL_TEXT_MAX,
                                  &s, NULL, error) ||
            !_fl_json_get_object (data, NULL, "requester", FL_FIELD_OPTIONAL, &child, error))
          return FALSE;

        if (child != NULL)
          {
            const char *names[] = { "email", "phone", "department", "location" };

            gboolean named = FALSE;

            for (guint k = 0; requester_fields[k]; k++)
              named |= json_object_has_member (child, requester_fields[k]);
            if (!named)
              return invalid (error, FL_MODEL_ERROR_INVALID,
                              _("field 'requester' must name a part to change"));
            if (!_fl_json_get_string (child, "requester", "name", FL_FIELD_OPTIONAL, 1,
                                      FL_SHORT_TEXT_MAX, &s, NULL, error))
              return FALSE;
            for (guint k = 0; k < G_N_ELEMENTS (names); k++)
              if (!_fl_json_get_string (child, "requester", names[k], FL_FIELD_NULLABLE, 0,
                                        FL_SHORT_TEXT_MAX, &s, NULL, error))
                return FALSE;
          }

        if (!_fl_json_get_string (data, NULL, "asset", FL_FIELD_NULLABLE, 0, FL_SHORT_TEXT_MAX,
                                  &s, NULL, error) ||
            !_fl_json_get_enum (data, NULL, "channel", FL_FIELD_OPTIONAL,
                                ENUM_GETTER (fl_channel_from_string), &e, NULL, error) ||
            !_fl_json_get_string (data, NULL, "category", FL_FIELD_OPTIONAL, 1,
                                  FL_SHORT_TEXT_MAX, &s, NULL, error) ||
            !_fl_json_get_enum (data, NULL, "impact", FL_FIELD_OPTIONAL,
                                ENUM_GETTER (fl_grade_from_string), &e, NULL, error) ||
            !_fl_json_get_enum (data, NULL, "urgency", FL_FIELD_OPTIONAL,
                                ENUM_GETTER (fl_grade_from_string), &e, NULL, error) ||
            !_fl_json_get_string (data, NULL, "queue", FL_FIELD_OPTIONAL, 1, FL_SHORT_TEXT_MAX,
                                  &s, NULL, error) ||
            !_fl_json_get_string (data, NULL, "waiting_reason", FL_FIELD_NULLABLE, 0,
                                  FL_SHORT_TEXT_MAX, &s, NULL, error) ||
            !_fl_json_get_time (data, NULL, "follow_up_at", FL_FIELD_NULLABLE, &time, NULL,
                                error))
          return FALSE;

        status = FL_STATUS_NEW;
        if (!_fl_json_get_enum (data, NULL, "status", FL_FIELD_OPTIONAL,
                                ENUM_GETTER (fl_status_from_string), (int *) &status, NULL, error))
          return FALSE;
        if (status != FL_STATUS_NEW && status != FL_STATUS_IN_PROGRESS &&
            status != FL_STATUS_WAITING)
          return invalid (error, FL_MODEL_ERROR_INVALID,
                          _("field 'status' may only be set to new, in_progress or waiting"));
        return TRUE;
      }

    case FL_OP_NOTE:
      return _fl_json_get_string (data, NULL, "body", FL_FIELD_REQUIRED, 1, FL_TEXT_MAX,
                                  &s, NULL, error) &&
             _fl_json_get_bool (data, NULL, "internal", FL_FIELD_OPTIONAL, &b, NULL, error);

    case FL_OP_CHECKLIST:
      {
        static const char * const outcomes[] = { "done", "yes", "no", "skipped", "failed" };
        JsonNode *node;

        if (!_fl_json_get_string (data, NULL, "checklist_id", FL_FIELD_REQUIRED, 1,
                                  FL_SHORT_TEXT_MAX, &s, NULL, error) ||
            !_fl_json_get_int (data, NULL, "checklist_version", FL_FIELD_OPTIONAL, 0,
                               G_MAXINT32, &i, NULL, error) ||
            !_fl_json_get_string (data, NULL, "step_id", FL_FIELD_REQUIRED, 1,
                                  FL_SHORT_TEXT_MAX, &s2, NULL, error) ||
            !_fl_json_get_string (data, NULL, "value", FL_FIELD_NULLABLE, 0, FL_TEXT_MAX,
                                  &s, NULL, error))
          return FALSE;

        node = json_object_get_member (data, "outcome");
        if (node == NULL || JSON_NODE_HOLDS_NULL (node))
          return invalid (error, FL_MODEL_ERROR_INVALID, _("field 'outcome' is required"));
        if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
          return invalid (error, FL_MODEL_ERROR_TYPE, _("field 'outcome' must be a string"));
        if (!g_strv_contains (outcomes, json_node_get_string (node)))
          return invalid (error, FL_MODEL_ERROR_INVALID, _("field 'outcome' has an unknown value"));
        return TRUE;
      }

    case FL_OP_CLAIM:
    case FL_OP_CLOSE:
      return TRUE;

    case FL_OP_ASSIGN:
      if (!json_object_has_member (data, "assignee"))
        return invalid (error, FL_MODEL_ERROR_INVALID, _("field 'assignee' is required"));
      return _fl_json_get_string (data, NULL, "assignee", FL_FIELD_NULLABLE, 1,
                                  FL_SHORT_TEXT_MAX, &s, NULL, error);

    case FL_OP_HANDOFF:
      return _fl_json_get_string (data, NULL, "queue", FL_FIELD_REQUIRED, 1, FL_SHORT_TEXT_MAX,
                                  &s, NULL, error) &&
             _fl_json_get_string (data, NULL, "summary", FL_FIELD_REQUIRED, 1, FL_TEXT_MAX,
                                  &s2, NULL, error) &&
             validate_steps_tried (data, error) &&
             _fl_json_get_enum (data, NULL, "impact", FL_FIELD_NULLABLE,
                                ENUM_GETTER (fl_grade_from_string), &e, NULL, error) &&
             _fl_json_get_enum (data, NULL, "urgency", FL_FIELD_NULLABLE,
                                ENUM_GETTER (fl_grade_from_string), &e, NULL, error) &&
             _fl_json_get_string (data, NULL, "contact", FL_FIELD_NULLABLE, 0, FL_TEXT_MAX,
                                  &s, NULL, error);

    case FL_OP_RESOLVE:
      return _fl_json_get_enum (data, NULL, "code", FL_FIELD_REQUIRED,
                                ENUM_GETTER (fl_resolution_code_from_string), &e, NULL, error) &&
             _fl_json_get_string (data, NULL, "summary", FL_FIELD_REQUIRED, 1, FL_TEXT_MAX,
                                  &s, NULL, error);

    case FL_OP_REOPEN:
      return _fl_json_get_string (data, NULL, "reason", FL_FIELD_NULLABLE, 0, FL_TEXT_MAX,
                                  &s, NULL, error);

    default:
      return invalid (error, FL_MODEL_ERROR_INVALID, _("unknown op type"));
    }
}

/* -------------------------------------------------------------------------- */

static void
add_change (JsonObject *changes,
            const char *field,
            JsonNode   *old_value,
            JsonNode   *new_value)
{
  JsonArray *pair = json_array_new ();

  json_array_add_element (pair, old_value);
  json_array_add_element (pair, new_value);
  json_object_set_array_member (changes, field, pair);
}

static JsonNode *
string_node (const char *value)
{
  JsonNode *node = json_node_alloc ();

  if (value == NULL)
    return json_node_init_null (node);
  return json_node_init_string (node, value);
}

static JsonNode *
time_node (gint64 ms)
{
  g_autofree char *text = ms != 0 ? fl_time_format (ms) : NULL;

  return string_node (text);
}

static JsonNode *
int_node (gint64 value)
{
  return json_node_init_int (json_node_alloc (), value);
}

static void
change_string (JsonObject  *changes,
               const char  *field,
               char       **slot,
               const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return;

  add_change (changes, field, string_node (*slot), string_node (value));
  g_free (*slot);
  *slot = g_strdup (value);
}

/* Keeps due_at in step with the priority: the new target replaces the old one. */
static void
set_priority (FlTicket       *t,
              JsonObject     *changes,
              const FlPolicy *policy)
{
  int priority = fl_priority_compute (t->impact, t->urgency);

  if (priority == t->priority)
    return;

  if (changes != NULL)
    add_change (changes, "priority", int_node (t->priority), int_node (priority));
  if (t->due_at != 0)
    t->due_at += policy->resolve_target[priority - 1] - policy->resolve_target[t->priority - 1];
  t->priority = priority;
}

/* Time spent waiting on the user does not count towards due_at. */
static void
set_status (FlTicket   *t,
            FlStatus    status,
            gint64      at,
            JsonObject *changes)
{
  if (t->status == status)
    return;

  if (t->status == FL_STATUS_WAITING && t->waiting_since != 0)
    {
      if (at > t->waiting_since && t->due_at != 0)
        t->due_at += at - t->waiting_since;
      t->waiting_since = 0;
    }

  if (status == FL_STATUS_WAITING)
    t->waiting_since = at;
  else
    {
      /* What it waited for, and when to look again, end with the waiting */
      if (changes != NULL && t->waiting_reason != NULL)
        add_change (changes, "waiting_reason", string_node (t->waiting_reason), string_node (NULL));
      if (changes != NULL && t->follow_up_at != 0)
        add_change (changes, "follow_up_at", time_node (t->follow_up_at), string_node (NULL));
      g_clear_pointer (&t->waiting_reason, g_free);
      t->follow_up_at = 0;
    }

  if (changes != NULL)
    add_change (changes, "status",
                string_node (fl_status_to_string (t->status)),
                string_node (fl_status_to_string (status)));
  t->status = status;
}

static const char *
opt_string (JsonObject *obj,
            const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static FlGrade
grade_member (JsonObject *obj,
              const char *name,
              FlGrade     fallback)
{
  FlGrade grade;

  if (fl_grade_from_string (opt_string (obj, name), &grade))
    return grade;
  return fallback;
}

static FlTicket *
apply_create (const FlOp     *op,
              const char     *author,
              const FlPolicy *policy)
{
  g_autoptr(FlTicket) t = g_object_new (FL_TYPE_TICKET, NULL);
  JsonObject *data = op->data;
  JsonObject *requester = json_object_get_object_member (data, "requester");

  t->id = g_strdup (op->ticket_id);
  t->version = 1;
  t->title = g_strdup (opt_string (data, "title"));
  t->description = g_strdup (opt_string (data, "description"));
  t->requester.name = g_strdup (opt_string (requester, "name"));
  t->requester.email = g_strdup (opt_string (requester, "email"));
  t->requester.phone = g_strdup (opt_string (requester, "phone"));
  t->requester.department = g_strdup (opt_string (requester, "department"));
  t->requester.location = g_strdup (opt_string (requester, "location"));
  t->asset = g_strdup (opt_string (data, "asset"));
  fl_channel_from_string (opt_string (data, "channel"), &t->channel);
  t->category = g_strdup (opt_string (data, "category"));
  t->impact = grade_member (data, "impact", FL_GRADE_MEDIUM);
  t->urgency = grade_member (data, "urgency", FL_GRADE_MEDIUM);
  t->priority = fl_priority_compute (t->impact, t->urgency);
  t->status = FL_STATUS_NEW;
  t->level = 1;
  t->queue = g_strdup (opt_string (data, "queue") ? opt_string (data, "queue") : "first-level");
  t->created_by = g_strdup (author);
  t->created_at = op->at;
  t->updated_at = op->at;
  t->due_at = op->at + policy->resolve_target[t->priority - 1];

  /* empty strings for the optional text fields */
  if (t->description == NULL) t->description = g_strdup ("");
  if (t->requester.email == NULL) t->requester.email = g_strdup ("");
  if (t->requester.phone == NULL) t->requester.phone = g_strdup ("");
  if (t->requester.department == NULL) t->requester.department = g_strdup ("");
  if (t->requester.location == NULL) t->requester.location = g_strdup ("");
  if (t->asset == NULL) t->asset = g_strdup ("");

  return g_steal_pointer (&t);
}

static void
apply_update (FlTicket       *t,
              JsonObject     *data,
              gint64          at,
              JsonObject     *changes,
              const FlPolicy *policy)
{
  JsonObject *req;
  FlStatus status;

  if (json_object_has_member (data, "title"))
    change_string (changes, "title", &t->title, opt_string (data, "title"));
  if (json_object_has_member (data, "description"))
    change_string (changes, "description", &t->description,
                   opt_string (data, "description") ? opt_string (data, "description") : "");

  if (json_object_has_member (data, "requester") &&
      (req = json_object_get_object_member (data, "requester")) != NULL)
    {
      FlRequester old = { 0 };
      FlRequester *r = &t->requester;
      struct { const char *name; char **slot; } parts[] = {
        { "name", &r->name }, { "email", &r->email }, { "phone", &r->phone },
        { "department", &r->department }, { "location", &r->location },
      };
      gboolean changed = FALSE;

      old.name = g_strdup (r->name);
      old.email = g_strdup (r->email);
      old.phone = g_strdup (r->phone);
      old.department = g_strdup (r->department);
      old.location = g_strdup (r->location);

      for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
        {
          const char *v;

          if (!json_object_has_member (req, parts[i].name))
            continue;
          v = opt_string (req, parts[i].name);
          if (v == NULL)
            v = "";
          if (g_strcmp0 (*parts[i].slot, v) != 0)
            {
              g_free (*parts[i].slot);
              *parts[i].slot = g_strdup (v);
              changed = TRUE;
            }
        }

      if (changed)
        add_change (changes, "requester", _fl_requester_to_json (&old), _fl_requester_to_json (r));

      g_free (old.name);
      g_free (old.email);
      g_free (old.phone);
      g_free (old.department);
      g_free (old.location);
    }

  if (json_object_has_member (data, "asset"))
    change_string (changes, "asset", &t->asset,
                   opt_string (data, "asset") ? opt_string (data, "asset") : "");

  if (json_object_has_member (data, "channel"))
    {
      FlChannel channel;
      if (fl_channel_from_string (opt_string (data, "channel"), &channel) && channel != t->channel)
        {
          add_change (changes, "channel", string_node (fl_channel_to_string (t->channel)),
                      string_node (fl_channel_to_string (channel)));
          t->channel = channel;
        }
    }

  if (json_object_has_member (data, "category"))
    change_string (changes, "category", &t->category, opt_string (data, "category"));
  if (json_object_has_member (data, "queue"))
    change_string (changes, "queue", &t->queue, opt_string (data, "queue"));

  if (json_object_has_member (data, "impact"))
    {
      FlGrade g = grade_member (data, "impact", t->impact);
      if (g != t->impact)
        {
          add_change (changes, "impact", string_node (fl_grade_to_string (t->impact)),
                      string_node (fl_grade_to_string (g)));
          t->impact = g;
        }
    }
  if (json_object_has_member (data, "urgency"))
    {
      FlGrade g = grade_member (data, "urgency", t->urgency);
      if (g != t->urgency)
        {
          add_change (changes, "urgency", string_node (fl_grade_to_string (t->urgency)),
                      string_node (fl_grade_to_string (g)));
          t->urgency = g;
        }
    }
  set_priority (t, changes, policy);

  if (fl_status_from_string (opt_string (data, "status"), &status))
    set_status (t, status, at, changes);

  /* Extension: while waiting, what for and until when; ignored on a ticket not waiting */
  if (t->status == FL_STATUS_WAITING)
    {
      if (json_object_has_member (data, "waiting_reason"))
        {
          const char *reason = opt_string (data, "waiting_reason");

          change_string (changes, "waiting_reason", &t->waiting_reason,
                         reason != NULL && *reason != '\0' ? reason : NULL);
        }
      if (json_object_has_member (data, "follow_up_at"))
        {
          gint64 follow_up = 0;
          const char *text = opt_string (data, "follow_up_at");

          if (text == NULL || !fl_time_parse (text, &follow_up))
            follow_up = 0;
          if (follow_up != t->follow_up_at)
            {
              add_change (changes, "follow_up_at", time_node (t->follow_up_at),
                          time_node (follow_up));
              t->follow_up_at = follow_up;
            }
        }
    }
}

/* Who may apply which op to which ticket: the rules of the op table that depend
 * on the ticket and the person, not on the op's data. @changes_status: for an
 * update, whether it sets "status" (the other fields may always be changed). */
static gboolean
check_rules (FlTicket    *t,
             FlOpType     type,
             gboolean     changes_status,
             const char  *author,
             FlRole       role,
             GError     **error)
{
  if (type == FL_OP_CREATE)
    {
      if (t != NULL)
        return invalid (error, FL_MODEL_ERROR_INVALID, _("a ticket with this id exists already"));
      return TRUE;
    }

  if (t == NULL)
    return invalid (error, FL_MODEL_ERROR_NOT_FOUND, _("unknown ticket"));

  switch (type)
    {
    case FL_OP_UPDATE:
      if (changes_status && !fl_status_is_open (t->status))
        return invalid (error, FL_MODEL_ERROR_INVALID,
                        _("a resolved or closed ticket must be reopened first"));
      return TRUE;

    case FL_OP_NOTE:
    case FL_OP_CHECKLIST:
      return TRUE;

    case FL_OP_CLAIM:
      if (!fl_status_is_open (t->status))
        return invalid (error, FL_MODEL_ERROR_INVALID,
                        _("a resolved or closed ticket cannot be claimed"));
      if (t->assignee != NULL && g_strcmp0 (t->assignee, author) != 0)
        return invalid (error, FL_MODEL_ERROR_CONFLICT, _("the ticket is assigned to someone else"));
      return TRUE;

    case FL_OP_ASSIGN:
      /* A lead assigns anyone's ticket; others only pass on their own. */
      if (role != FL_ROLE_LEAD && g_strcmp0 (t->assignee, author) != 0)
        return invalid (error, FL_MODEL_ERROR_FORBIDDEN,
                        _("only a lead, or the ticket's assignee, may assign a ticket"));
      return TRUE;

    case FL_OP_HANDOFF:
      if (!fl_status_is_open (t->status))
        return invalid (error, FL_MODEL_ERROR_CONFLICT, _("the ticket is resolved or closed"));
      return TRUE;

    case FL_OP_RESOLVE:
      if (!fl_status_is_open (t->status))
        return invalid (error, FL_MODEL_ERROR_INVALID, _("the ticket is already resolved or closed"));
      return TRUE;

    case FL_OP_REOPEN:
      if (fl_status_is_open (t->status))
        return invalid (error, FL_MODEL_ERROR_INVALID,
                        _("only a resolved or closed ticket can be reopened"));
      return TRUE;

    case FL_OP_CLOSE:
      if (t->status == FL_STATUS_CLOSED)
        return invalid (error, FL_MODEL_ERROR_INVALID, _("the ticket is already closed"));
      if (role != FL_ROLE_LEAD && t->status != FL_STATUS_RESOLVED)
        return invalid (error, FL_MODEL_ERROR_FORBIDDEN,
                        _("only a lead may close a ticket that is not resolved"));
      return TRUE;

    case FL_OP_CREATE:
    default:
      return invalid (error, FL_MODEL_ERROR_INVALID, _("unknown op type"));
    }
}

gboolean
fl_ticket_can_apply (FlTicket   *ticket,
                     FlOpType    type,
                     const char *user,
                     FlRole      role)
{
  g_return_val_if_fail (ticket == NULL || FL_IS_TICKET (ticket), FALSE);

  return check_rules (ticket, type, TRUE, user, role, NULL);
}

/* Long: one case per op type; each case is the effect column of the op table. */
FlTicket *
fl_ticket_apply (FlTicket       *current,
                 const FlOp     *op,
                 const char     *author,
                 FlRole          role,
                 const FlPolicy *policy,
                 JsonObject    **out_event_data,
                 GError        **error)
{
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(JsonObject) event_data = NULL;

  g_return_val_if_fail (current == NULL || FL_IS_TICKET (current), NULL);
  g_return_val_if_fail (op != NULL, NULL);
  g_return_val_if_fail (author != NULL, NULL);

  if (policy == NULL)
    policy = fl_policy_get_default ();

  if (!fl_op_validate_data (op->type, op->data, error) ||
      !check_rules (current, op->type, json_object_has_member (op->data, "status"), author, role,
                    error))
    return NULL;

  if (op->type == FL_OP_CREATE)
    {
      t = apply_create (op, author, policy);
      if (out_event_data)
        *out_event_data = json_object_ref (op->data);
      return g_steal_pointer (&t);
    }

  t = fl_ticket_copy (current);
  event_data = json_object_ref (op->data);

  switch (op->type)
    {
    case FL_OP_UPDATE:
      {
        JsonObject *changes = json_object_new ();

        apply_update (t, op->data, op->at, changes, policy);
        g_clear_pointer (&event_data, json_object_unref);
        event_data = json_object_new ();
        json_object_set_object_member (event_data, "changes", changes);
        break;
      }

    case FL_OP_NOTE:
    case FL_OP_CHECKLIST:
      break;

    case FL_OP_CLAIM:
      g_free (t->assignee);
      t->assignee = g_strdup (author);
      if (t->status == FL_STATUS_NEW)
        set_status (t, FL_STATUS_IN_PROGRESS, op->at, NULL);
      break;

    case FL_OP_ASSIGN:
      g_free (t->assignee);
      t->assignee = g_strdup (opt_string (op->data, "assignee"));
      break;

    case FL_OP_HANDOFF:
      set_status (t, FL_STATUS_ESCALATED, op->at, NULL);
      t->level = 2;
      g_clear_pointer (&t->assignee, g_free);
      g_free (t->queue);
      t->queue = g_strdup (opt_string (op->data, "queue"));
      t->impact = grade_member (op->data, "impact", t->impact);
      t->urgency = grade_member (op->data, "urgency", t->urgency);
      set_priority (t, NULL, policy);
      break;

    case FL_OP_RESOLVE:
      set_status (t, FL_STATUS_RESOLVED, op->at, NULL);
      fl_resolution_code_from_string (opt_string (op->data, "code"), &t->resolution_code);
      g_free (t->resolution_summary);
      t->resolution_summary = g_strdup (opt_string (op->data, "summary"));
      t->resolved_at = op->at;
      break;

    case FL_OP_REOPEN:
      set_status (t, FL_STATUS_IN_PROGRESS, op->at, NULL);
      t->resolution_code = FL_RESOLUTION_NONE;
      g_clear_pointer (&t->resolution_summary, g_free);
      t->resolved_at = 0;
      break;

    case FL_OP_CLOSE:
      set_status (t, FL_STATUS_CLOSED, op->at, NULL);
      break;

    case FL_OP_CREATE:
    default:
      g_assert_not_reached ();
    }

  t->version = current->version + 1;
  t->updated_at = op->at;

  if (out_event_data)
    *out_event_data = g_steal_pointer (&event_data);

  return g_steal_pointer (&t);
}
