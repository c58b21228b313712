/* fl-sync-protocol.c — POST /api/v1/sync: the request, the answer, one op's result
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sync-protocol"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-json.h"
#include "fl-json-private.h"
#include "fl-sync-protocol.h"

/* At most this many presence entries are read from an answer. */
#define MAX_PRESENCE 10000

G_DEFINE_ENUM_TYPE (FlOpResultStatus, fl_op_result_status,
                    G_DEFINE_ENUM_VALUE (FL_OP_RESULT_APPLIED, "applied"),
                    G_DEFINE_ENUM_VALUE (FL_OP_RESULT_DUPLICATE, "duplicate"),
                    G_DEFINE_ENUM_VALUE (FL_OP_RESULT_CONFLICT, "conflict"),
                    G_DEFINE_ENUM_VALUE (FL_OP_RESULT_REJECTED, "rejected"))

G_DEFINE_QUARK (fl-sync-response-error-quark, fl_sync_response_error)

static const char * const status_names[] = { "applied", "duplicate", "conflict", "rejected" };

G_STATIC_ASSERT (G_N_ELEMENTS (status_names) == FL_OP_RESULT_REJECTED + 1);

/* -------------------------------------------------------------------------- */
/* Helpers                                                                      */

static JsonArray *
get_array (JsonObject *obj,
           const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
get_object (JsonObject *obj,
            const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static GBytes *
node_to_bytes (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  char *text;
  gsize len;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

/* -------------------------------------------------------------------------- */
/* One op's result                                                              */

const char *
fl_op_result_status_to_string (FlOpResultStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (status_names), NULL);

  return status_names[status];
}

gboolean
fl_op_result_status_from_string (const char       *str,
                                 FlOpResultStatus *out)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (status_names); i++)
    if (g_str_equal (str, status_names[i]))
      {
        *out = (FlOpResultStatus) i;
        return TRUE;
      }

  return FALSE;
}

FlOpResult *
fl_op_result_new (const char       *op_id,
                  FlOpResultStatus  status)
{
  FlOpResult *result = g_new0 (FlOpResult, 1);

  result->op_id = g_strdup (op_id);
  result->status = status;
  return result;
}

void
fl_op_result_free (FlOpResult *result)
{
  if (result == NULL)
    return;

  g_free (result->op_id);
  g_clear_object (&result->current);
  g_free (result->error_code);
  g_free (result->error_message);
  g_free (result);
}

static void
build_op_result (const FlOpResult *r,
                 JsonBuilder      *b)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "op_id");
  json_builder_add_string_value (b, r->op_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, fl_op_result_status_to_string (r->status));
  if (r->status != FL_OP_RESULT_REJECTED)
    {
      json_builder_set_member_name (b, "version");
      json_builder_add_int_value (b, r->version);
      json_builder_set_member_name (b, "number");
      if (r->number > 0)
        json_builder_add_int_value (b, r->number);
      else
        json_builder_add_null_value (b);
    }
  if (r->status == FL_OP_RESULT_CONFLICT && r->current != NULL)
    {
      json_builder_set_member_name (b, "current");
      fl_ticket_build_json (r->current, b);
    }
  if (r->status == FL_OP_RESULT_REJECTED)
    {
      json_builder_set_member_name (b, "error");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, r->error_code ? r->error_code : "unprocessable");
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, r->error_message ? r->error_message : "");
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

JsonNode *
fl_op_result_to_json (const FlOpResult *result)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (result != NULL, NULL);

  build_op_result (result, b);
  return json_builder_get_root (b);
}

FlOpResult *
fl_op_result_from_json (JsonNode *node)
{
  g_autoptr(FlOpResult) r = NULL;
  JsonObject *obj;
  JsonObject *err;
  JsonNode *current;
  const char *op_id;
  const char *status;
  FlOpResultStatus parsed;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  obj = json_node_get_object (node);
  if (!(op_id = _fl_json_string_member (obj, "op_id", NULL)))
    return NULL;

  status = _fl_json_string_member (obj, "status", NULL);
  if (!fl_op_result_status_from_string (status, &parsed))
    {
      /* A status this client does not know: kept as rejected, with the reason. */
      r = fl_op_result_new (op_id, FL_OP_RESULT_REJECTED);
      r->error_code = g_strdup ("rejected");
      r->error_message = g_strdup ("unknown result");
      return g_steal_pointer (&r);
    }

  r = fl_op_result_new (op_id, parsed);
  r->version = _fl_json_int_member (obj, "version", 0);
  r->number = MAX (_fl_json_int_member (obj, "number", 0), 0);

  current = json_object_get_member (obj, "current");
  if (parsed == FL_OP_RESULT_CONFLICT && current != NULL && JSON_NODE_HOLDS_OBJECT (current))
    r->current = fl_ticket_from_json (current, NULL);

  if (parsed == FL_OP_RESULT_REJECTED)
    {
      err = get_object (obj, "error");
      r->error_code = g_strdup (_fl_json_string_member (err, "code", "rejected"));
      r->error_message = g_strdup (_fl_json_string_member (err, "message", ""));
    }

  return g_steal_pointer (&r);
}

/* -------------------------------------------------------------------------- */
/* Presence                                                                     */

FlPresence *
fl_presence_new (const char *ticket_id,
                 const char *username,
                 gboolean    editing)
{
  FlPresence *p = g_new0 (FlPresence, 1);

  p->ticket_id = g_strdup (ticket_id);
  p->username = g_strdup (username);
  p->editing = !!editing;
  return p;
}

FlPresence *
fl_presence_copy (const FlPresence *presence)
{
  g_return_val_if_fail (presence != NULL, NULL);

  return fl_presence_new (presence->ticket_id, presence->username, presence->editing);
}

void
fl_presence_free (FlPresence *presence)
{
  if (presence == NULL)
    return;

  g_free (presence->ticket_id);
  g_free (presence->username);
  g_free (presence);
}

/* -------------------------------------------------------------------------- */
/* The request                                                                  */

FlSyncRequest *
fl_sync_request_new (const char *client_id)
{
  FlSyncRequest *request = g_new0 (FlSyncRequest, 1);

  request->client_id = g_strdup (client_id);
  request->ops = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_free);
  request->limit = FL_SYNC_DEFAULT_LIMIT;
  return request;
}

void
fl_sync_request_free (FlSyncRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->client_id);
  g_clear_pointer (&request->ops, g_ptr_array_unref);
  g_free (request->viewing);
  g_free (request);
}

JsonNode *
fl_sync_request_to_json (const FlSyncRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (request != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "client_id");
  json_builder_add_string_value (b, request->client_id);
  json_builder_set_member_name (b, "cursor");
  json_builder_add_int_value (b, request->cursor);
  json_builder_set_member_name (b, "ops");
  json_builder_begin_array (b);
  for (guint i = 0; request->ops != NULL && i < request->ops->len; i++)
    fl_op_build_json (g_ptr_array_index (request->ops, i), b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "limit");
  json_builder_add_int_value (b, request->limit);
  json_builder_set_member_name (b, "wait");
  json_builder_add_int_value (b, request->wait);
  _fl_json_add_string_or_null (b, "viewing", request->viewing);
  json_builder_set_member_name (b, "editing");
  json_builder_add_boolean_value (b, request->editing);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

GBytes *
fl_sync_request_to_bytes (const FlSyncRequest *request)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (request != NULL, NULL);

  node = fl_sync_request_to_json (request);
  return node_to_bytes (node);
}

/* The same error with the message the answer carries. */
static gboolean
field_error (GError     **error,
             GError      *cause,
             const char  *message)
{
  g_set_error_literal (error, FL_MODEL_ERROR, cause->code, message);
  g_error_free (cause);
  return FALSE;
}

static gboolean
parse_request_ops (FlSyncRequest  *request,
                   JsonObject     *obj,
                   GError        **error)
{
  JsonNode *node = json_object_get_member (obj, "ops");
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("Field 'ops' must be an array"));
      return FALSE;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) > FL_SYNC_MAX_OPS)
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                           _("Too many ops in one request (at most 500)"));
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autoptr(GError) op_error = NULL;
      FlOp *op = fl_op_from_json (json_array_get_element (array, i), &op_error);

      if (op == NULL)
        {
          g_set_error (error, op_error->domain, op_error->code, "ops[%u]: %s", i,
                       op_error->message);
          return FALSE;
        }
      g_ptr_array_add (request->ops, op);
    }

  return TRUE;
}

FlSyncRequest *
fl_sync_request_from_json (JsonNode  *node,
                           GError   **error)
{
  g_autoptr(FlSyncRequest) request = fl_sync_request_new (NULL);
  GError *local_error = NULL;
  JsonObject *obj;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The body must be a JSON object"));
      return NULL;
    }
  obj = json_node_get_object (node);

  if (!_fl_json_get_uuid (obj, NULL, "client_id", FL_FIELD_REQUIRED, &request->client_id,
                          &local_error))
    {
      field_error (error, local_error,
                   local_error->code == FL_MODEL_ERROR_INVALID ? _("Field 'client_id' is required")
                                                               : _("Field 'client_id' must be a UUID"));
      return NULL;
    }

  /* null counts as absent; the type of all three first, then the ranges */
  if (!_fl_json_get_int (obj, NULL, "cursor", FL_FIELD_NULLABLE, G_MININT64, G_MAXINT64,
                         &request->cursor, NULL, &local_error) ||
      !_fl_json_get_int (obj, NULL, "limit", FL_FIELD_NULLABLE, G_MININT64, G_MAXINT64,
                         &request->limit, NULL, &local_error) ||
      !_fl_json_get_int (obj, NULL, "wait", FL_FIELD_NULLABLE, G_MININT64, G_MAXINT64,
                         &request->wait, NULL, &local_error))
    {
      field_error (error, local_error, _("Fields 'cursor', 'limit' and 'wait' must be integers"));
      return NULL;
    }
  if (request->cursor < 0)
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID,
                           _("Field 'cursor' must not be negative"));
      return NULL;
    }
  request->limit = CLAMP (request->limit, 1, FL_SYNC_MAX_LIMIT);
  request->wait = CLAMP (request->wait, 0, FL_SYNC_MAX_WAIT);

  if (!_fl_json_get_uuid (obj, NULL, "viewing", FL_FIELD_NULLABLE, &request->viewing,
                          &local_error))
    {
      field_error (error, local_error, _("Field 'viewing' must be a UUID or null"));
      return NULL;
    }

  if (!_fl_json_get_bool (obj, NULL, "editing", FL_FIELD_NULLABLE, &request->editing, NULL,
                          &local_error))
    {
      field_error (error, local_error, _("Field 'editing' must be a boolean"));
      return NULL;
    }

  /* Every op is parsed before any is applied: a malformed one fails the whole request. */
  if (!parse_request_ops (request, obj, error))
    return NULL;

  return g_steal_pointer (&request);
}

FlSyncRequest *
fl_sync_request_parse (const char  *data,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!(root = fl_json_parse (data ? data : "", length, NULL)))
    {
      g_set_error_literal (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE,
                           _("The body is not valid JSON"));
      return NULL;
    }

  return fl_sync_request_from_json (root, error);
}

/* -------------------------------------------------------------------------- */
/* The answer                                                                   */

FlSyncResponse *
fl_sync_response_new (void)
{
  FlSyncResponse *response = g_new0 (FlSyncResponse, 1);

  response->results = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_result_free);
  response->tickets = g_ptr_array_new_with_free_func (g_object_unref);
  response->events = g_ptr_array_new_with_free_func (g_object_unref);
  response->checklists = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  response->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  response->presence = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_presence_free);
  return response;
}

void
fl_sync_response_free (FlSyncResponse *response)
{
  if (response == NULL)
    return;

  g_clear_pointer (&response->results, g_ptr_array_unref);
  g_clear_pointer (&response->tickets, g_ptr_array_unref);
  g_clear_pointer (&response->events, g_ptr_array_unref);
  g_clear_pointer (&response->checklists, g_ptr_array_unref);
  g_clear_pointer (&response->answers, g_ptr_array_unref);
  g_clear_pointer (&response->presence, g_ptr_array_unref);
  g_free (response);
}

JsonNode *
fl_sync_response_to_json (const FlSyncResponse *response)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (response != NULL, NULL);

  json_builder_begin_object (b);

  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->results->len; i++)
    build_op_result (g_ptr_array_index (response->results, i), b);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "changes");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tickets");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->tickets->len; i++)
    fl_ticket_build_json (g_ptr_array_index (response->tickets, i), b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->events->len; i++)
    fl_event_build_json (g_ptr_array_index (response->events, i), b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "checklists");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->checklists->len; i++)
    json_builder_add_value (b, json_node_copy (g_ptr_array_index (response->checklists, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "answers");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->answers->len; i++)
    json_builder_add_value (b, json_node_copy (g_ptr_array_index (response->answers, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "presence");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->presence->len; i++)
    {
      FlPresence *p = g_ptr_array_index (response->presence, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ticket_id");
      json_builder_add_string_value (b, p->ticket_id);
      json_builder_set_member_name (b, "username");
      json_builder_add_string_value (b, p->username);
      json_builder_set_member_name (b, "editing");
      json_builder_add_boolean_value (b, p->editing);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "cursor");
  json_builder_add_int_value (b, response->cursor);
  json_builder_set_member_name (b, "more");
  json_builder_add_boolean_value (b, response->more);
  if (response->reset)
    {
      json_builder_set_member_name (b, "reset");
      json_builder_add_boolean_value (b, TRUE);
    }

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
read_presence (FlSyncResponse *response,
               JsonArray      *array)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array) && i < MAX_PRESENCE; i++)
    {
      JsonNode *el = json_array_get_element (array, i);
      JsonObject *p;
      const char *ticket_id;
      const char *username;

      if (!JSON_NODE_HOLDS_OBJECT (el))
        continue;
      p = json_node_get_object (el);
      ticket_id = _fl_json_string_member (p, "ticket_id", NULL);
      username = _fl_json_string_member (p, "username", NULL);
      if (!fl_uuid_is_valid (ticket_id) || !fl_text_is_valid (username, 1, FL_SHORT_TEXT_MAX))
        continue;

      g_ptr_array_add (response->presence,
                       fl_presence_new (ticket_id, username, _fl_json_bool_member (p, "editing", FALSE)));
    }
}

static gboolean
read_changes (FlSyncResponse  *response,
              JsonObject      *changes,
              GError         **error)
{
  JsonArray *tickets = get_array (changes, "tickets");
  JsonArray *events = get_array (changes, "events");
  JsonArray *checklists = get_array (changes, "checklists");
  JsonArray *answers = get_array (changes, "answers");

  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      g_autoptr(GError) local_error = NULL;
      FlTicket *t = fl_ticket_from_json (json_array_get_element (tickets, i), &local_error);

      if (t == NULL)
        {
          g_set_error (error, FL_SYNC_RESPONSE_ERROR, FL_SYNC_RESPONSE_ERROR_INVALID,
                       "ticket %u: %s", i, local_error->message);
          return FALSE;
        }
      g_ptr_array_add (response->tickets, t);
    }

  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      g_autoptr(GError) local_error = NULL;
      FlEvent *e = fl_event_from_json (json_array_get_element (events, i), &local_error);

      if (e == NULL)
        {
          g_set_error_literal (error, FL_SYNC_RESPONSE_ERROR, FL_SYNC_RESPONSE_ERROR_INVALID,
                               local_error->message);
          return FALSE;
        }
      g_ptr_array_add (response->events, e);
    }

  for (guint i = 0; checklists != NULL && i < json_array_get_length (checklists); i++)
    g_ptr_array_add (response->checklists, json_node_copy (json_array_get_element (checklists, i)));
  for (guint i = 0; answers != NULL && i < json_array_get_length (answers); i++)
    g_ptr_array_add (response->answers, json_node_copy (json_array_get_element (answers, i)));

  return TRUE;
}

FlSyncResponse *
fl_sync_response_from_json (JsonNode  *node,
                            GError   **error)
{
  g_autoptr(FlSyncResponse) response = fl_sync_response_new ();
  JsonObject *obj;
  JsonArray *results;
  JsonNode *cursor;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, FL_SYNC_RESPONSE_ERROR, FL_SYNC_RESPONSE_ERROR_NOT_JSON,
                           _("The server sent an answer that is not valid JSON"));
      return NULL;
    }
  obj = json_node_get_object (node);

  /* Starting over: nothing else in the answer counts. */
  if (_fl_json_bool_member (obj, "reset", FALSE))
    {
      response->reset = TRUE;
      response->more = TRUE;
      return g_steal_pointer (&response);
    }

  cursor = json_object_get_member (obj, "cursor");
  if (!json_object_has_member (obj, "results") || cursor == NULL ||
      (!JSON_NODE_HOLDS_NULL (cursor) &&
       (!JSON_NODE_HOLDS_VALUE (cursor) || json_node_get_value_type (cursor) != G_TYPE_INT64)))
    {
      g_set_error_literal (error, FL_SYNC_RESPONSE_ERROR, FL_SYNC_RESPONSE_ERROR_INCOMPLETE,
                           _("The server sent an incomplete answer"));
      return NULL;
    }
  /* null: the cursor stays where it is */
  response->cursor = JSON_NODE_HOLDS_NULL (cursor) ? -1 : MAX (json_node_get_int (cursor), 0);

  results = get_array (obj, "results");
  for (guint i = 0; results != NULL && i < json_array_get_length (results); i++)
    {
      FlOpResult *r = fl_op_result_from_json (json_array_get_element (results, i));

      if (r != NULL)
        g_ptr_array_add (response->results, r);
    }

  if (!read_changes (response, get_object (obj, "changes"), error))
    return NULL;

  response->more = _fl_json_bool_member (obj, "more", FALSE);
  read_presence (response, get_array (obj, "presence"));

  return g_steal_pointer (&response);
}

FlSyncResponse *
fl_sync_response_parse (const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(JsonNode) root = NULL;

  if (data == NULL || !(root = fl_json_parse_object (data, length, NULL)))
    {
      g_set_error_literal (error, FL_SYNC_RESPONSE_ERROR, FL_SYNC_RESPONSE_ERROR_NOT_JSON,
                           _("The server sent an answer that is not valid JSON"));
      return NULL;
    }

  return fl_sync_response_from_json (root, error);
}
