/* test-protocol.c — the sync request, answer and op result: both directions, every field error
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fl-sync-protocol.h"
#include "fl-test-util.h"

#define CLIENT "5f0c7a3e-8d1b-4c2a-9e6f-1a2b3c4d5e6f"
#define TICKET "7d2e9f40-3b1c-4a5d-8e6f-9a0b1c2d3e4f"
#define OP_ID  "0b6f3c1e-2a4d-4e8f-9c7b-5d6e7f8a9b0c"

static FlSyncRequest *
parse_request (const char  *text,
               GError     **error)
{
  return fl_sync_request_parse (text, strlen (text), error);
}

static FlTicket *
sample_ticket (void)
{
  g_autoptr(JsonNode) node = json_from_string (
    "{\"id\": \"" TICKET "\", \"number\": 1042, \"version\": 7, \"seq\": 5501,"
    " \"title\": \"Cannot log in to VPN\", \"description\": \"\","
    " \"requester\": {\"name\": \"Jana Kr\xc3\xbcger\", \"email\": \"\", \"phone\": \"\","
    " \"department\": \"\", \"location\": \"\"},"
    " \"asset\": \"NB-0231\", \"channel\": \"phone\", \"category\": \"network\","
    " \"impact\": \"medium\", \"urgency\": \"high\", \"priority\": 2, \"status\": \"in_progress\","
    " \"level\": 1, \"queue\": \"first-level\", \"assignee\": \"alex\", \"resolution\": null,"
    " \"created_by\": \"alex\", \"created_at\": \"2026-11-29T10:15:30.123Z\","
    " \"updated_at\": \"2026-11-29T10:20:02.000Z\", \"resolved_at\": null,"
    " \"due_at\": \"2026-11-29T18:15:30.123Z\", \"waiting_since\": null}", NULL);
  g_autoptr(GError) error = NULL;
  FlTicket *t = fl_ticket_from_json (node, &error);

  g_assert_no_error (error);
  return t;
}

/* -------------------------------------------------------------------------- */

static void
test_status_enum (void)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FL_TYPE_OP_RESULT_STATUS);
  const char * const names[] = { "applied", "duplicate", "conflict", "rejected" };

  g_assert_true (G_TYPE_IS_ENUM (FL_TYPE_OP_RESULT_STATUS));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      FlOpResultStatus status;

      g_assert_cmpint (g_enum_get_value_by_nick (klass, names[i])->value, ==, (int) i);
      g_assert_cmpstr (fl_op_result_status_to_string (i), ==, names[i]);
      g_assert_true (fl_op_result_status_from_string (names[i], &status));
      g_assert_cmpint (status, ==, i);
    }
  {
    FlOpResultStatus status;
    g_assert_false (fl_op_result_status_from_string ("later", &status));
    g_assert_false (fl_op_result_status_from_string (NULL, &status));
  }
}

static void
test_request_roundtrip (void)
{
  g_autoptr(FlSyncRequest) request = fl_sync_request_new (CLIENT);
  g_autoptr(FlSyncRequest) back = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  FlOp *op;

  json_object_set_string_member (data, "body", "Called back, no answer.");
  json_object_set_boolean_member (data, "internal", TRUE);
  g_ptr_array_add (request->ops, fl_op_new (OP_ID, TICKET, FL_OP_NOTE, 3, 1764410130123, data));
  request->cursor = 5501;
  request->limit = 200;
  request->wait = 25;
  request->viewing = g_strdup (TICKET);
  request->editing = TRUE;

  bytes = fl_sync_request_to_bytes (request);
  back = fl_sync_request_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);

  g_assert_cmpstr (back->client_id, ==, CLIENT);
  g_assert_cmpint (back->cursor, ==, 5501);
  g_assert_cmpint (back->limit, ==, 200);
  g_assert_cmpint (back->wait, ==, 25);
  g_assert_cmpstr (back->viewing, ==, TICKET);
  g_assert_true (back->editing);
  g_assert_cmpuint (back->ops->len, ==, 1);
  op = g_ptr_array_index (back->ops, 0);
  g_assert_cmpstr (op->op_id, ==, OP_ID);
  g_assert_cmpstr (op->ticket_id, ==, TICKET);
  g_assert_cmpint (op->type, ==, FL_OP_NOTE);
  g_assert_cmpint (op->base_version, ==, 3);
  g_assert_cmpint (op->at, ==, 1764410130123);
  g_assert_cmpstr (json_object_get_string_member (op->data, "body"), ==, "Called back, no answer.");

  /* viewing null and no ops */
  {
    g_autoptr(FlSyncRequest) empty = fl_sync_request_new (CLIENT);
    g_autoptr(JsonNode) node = fl_sync_request_to_json (empty);
    g_autofree char *text = json_to_string (node, FALSE);
    g_autoptr(FlSyncRequest) again = parse_request (text, &error);

    g_assert_no_error (error);
    g_assert_nonnull (strstr (text, "\"viewing\":null"));
    g_assert_nonnull (strstr (text, "\"ops\":[]"));
    g_assert_null (again->viewing);
    g_assert_cmpint (again->limit, ==, FL_SYNC_DEFAULT_LIMIT);
  }
}

static void
test_request_defaults (void)
{
  struct { const char *body; gint64 cursor, limit, wait; } cases[] = {
    { "{\"client_id\": \"" CLIENT "\"}", 0, 1000, 0 },
    { "{\"client_id\": \"" CLIENT "\", \"cursor\": null, \"limit\": null, \"wait\": null,"
      " \"ops\": null, \"viewing\": null, \"editing\": null}", 0, 1000, 0 },
    { "{\"client_id\": \"" CLIENT "\", \"limit\": 0, \"wait\": -5}", 0, 1, 0 },
    { "{\"client_id\": \"" CLIENT "\", \"cursor\": 7, \"limit\": 99999, \"wait\": 99}", 7, 5000, 30 },
    { "{\"client_id\": \"" CLIENT "\", \"unknown\": [1, 2]}", 0, 1000, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FlSyncRequest) r = parse_request (cases[i].body, &error);

      g_assert_no_error (error);
      g_assert_cmpint (r->cursor, ==, cases[i].cursor);
      g_assert_cmpint (r->limit, ==, cases[i].limit);
      g_assert_cmpint (r->wait, ==, cases[i].wait);
      g_assert_null (r->viewing);
      g_assert_false (r->editing);
      g_assert_cmpuint (r->ops->len, ==, 0);
    }
}

/* Every field error with its status (400: TYPE, 422: INVALID) and the server's message. */
static void
test_request_errors (void)
{
  g_autofree char *many = NULL;
  struct { const char *body; int code; const char *message; } cases[] = {
    { "not json", FL_MODEL_ERROR_TYPE, "The body is not valid JSON" },
    { "[1, 2]", FL_MODEL_ERROR_TYPE, "The body must be a JSON object" },
    { "{}", FL_MODEL_ERROR_INVALID, "Field 'client_id' is required" },
    { "{\"cursor\": 0}", FL_MODEL_ERROR_INVALID, "Field 'client_id' is required" },
    { "{\"client_id\": null}", FL_MODEL_ERROR_INVALID, "Field 'client_id' is required" },
    { "{\"client_id\": \"nope\"}", FL_MODEL_ERROR_TYPE, "Field 'client_id' must be a UUID" },
    { "{\"client_id\": 5}", FL_MODEL_ERROR_TYPE, "Field 'client_id' must be a UUID" },
    { "{\"client_id\": \"5F0C7A3E-8D1B-4C2A-9E6F-1A2B3C4D5E6F\"}", FL_MODEL_ERROR_TYPE,
      "Field 'client_id' must be a UUID" },
    { "{\"client_id\": \"" CLIENT "\", \"cursor\": \"0\"}", FL_MODEL_ERROR_TYPE,
      "Fields 'cursor', 'limit' and 'wait' must be integers" },
    { "{\"client_id\": \"" CLIENT "\", \"limit\": 1.5}", FL_MODEL_ERROR_TYPE,
      "Fields 'cursor', 'limit' and 'wait' must be integers" },
    { "{\"client_id\": \"" CLIENT "\", \"wait\": true}", FL_MODEL_ERROR_TYPE,
      "Fields 'cursor', 'limit' and 'wait' must be integers" },
    /* the types first, then the range */
    { "{\"client_id\": \"" CLIENT "\", \"cursor\": -1, \"wait\": []}", FL_MODEL_ERROR_TYPE,
      "Fields 'cursor', 'limit' and 'wait' must be integers" },
    { "{\"client_id\": \"" CLIENT "\", \"cursor\": -1}", FL_MODEL_ERROR_INVALID,
      "Field 'cursor' must not be negative" },
    { "{\"client_id\": \"" CLIENT "\", \"viewing\": \"x\"}", FL_MODEL_ERROR_TYPE,
      "Field 'viewing' must be a UUID or null" },
    { "{\"client_id\": \"" CLIENT "\", \"viewing\": 3}", FL_MODEL_ERROR_TYPE,
      "Field 'viewing' must be a UUID or null" },
    { "{\"client_id\": \"" CLIENT "\", \"editing\": \"yes\"}", FL_MODEL_ERROR_TYPE,
      "Field 'editing' must be a boolean" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": {}}", FL_MODEL_ERROR_TYPE,
      "Field 'ops' must be an array" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [1]}", FL_MODEL_ERROR_TYPE,
      "ops[0]: an op must be an object" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [{\"op_id\": \"x\"}]}", FL_MODEL_ERROR_TYPE,
      "ops[0]: field 'op_id' must be a lowercase UUID" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [{\"op_id\": \"" OP_ID "\", \"ticket_id\": \""
      TICKET "\"}]}", FL_MODEL_ERROR_INVALID, "ops[0]: field 'type' is required" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [{\"op_id\": \"" OP_ID "\", \"ticket_id\": \""
      TICKET "\", \"type\": \"teleport\"}]}", FL_MODEL_ERROR_INVALID,
      "ops[0]: field 'type' has an unknown value" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [{\"op_id\": \"" OP_ID "\", \"ticket_id\": \""
      TICKET "\", \"type\": \"note\", \"base_version\": -1}]}", FL_MODEL_ERROR_INVALID,
      "ops[0]: field 'base_version' is out of range" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [{\"op_id\": \"" OP_ID "\", \"ticket_id\": \""
      TICKET "\", \"type\": \"note\", \"at\": \"yesterday\"}]}", FL_MODEL_ERROR_TYPE,
      "ops[0]: field 'at' must be an RFC 3339 time" },
    { "{\"client_id\": \"" CLIENT "\", \"ops\": [{\"op_id\": \"" OP_ID "\", \"ticket_id\": \""
      TICKET "\", \"type\": \"note\", \"data\": []}]}", FL_MODEL_ERROR_TYPE,
      "ops[0]: field 'data' must be an object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FlSyncRequest) r = parse_request (cases[i].body, &error);

      g_test_message ("%s", cases[i].body);
      g_assert_null (r);
      g_assert_error (error, FL_MODEL_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  /* 501 ops: 422 for the whole request, before any op is read */
  {
    GString *s = g_string_new ("{\"client_id\": \"" CLIENT "\", \"ops\": [");
    g_autoptr(GError) error = NULL;
    g_autoptr(FlSyncRequest) r = NULL;

    for (guint i = 0; i <= FL_SYNC_MAX_OPS; i++)
      g_string_append (s, i == 0 ? "1" : ", 1");
    g_string_append (s, "]}");
    many = g_string_free (s, FALSE);
    r = parse_request (many, &error);
    g_assert_null (r);
    g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, "Too many ops in one request (at most 500)");
  }
}

/* -------------------------------------------------------------------------- */

static void
test_response_roundtrip (void)
{
  g_autoptr(FlSyncResponse) response = fl_sync_response_new ();
  g_autoptr(FlSyncResponse) back = NULL;
  g_autoptr(FlTicket) ticket = sample_ticket ();
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  FlOpResult *r;
  FlPresence *p;

  r = fl_op_result_new ("11111111-2222-4333-8444-555555555551", FL_OP_RESULT_APPLIED);
  r->version = 4;
  r->number = 1042;
  g_ptr_array_add (response->results, r);
  r = fl_op_result_new ("11111111-2222-4333-8444-555555555552", FL_OP_RESULT_DUPLICATE);
  r->version = 2;
  g_ptr_array_add (response->results, r);
  r = fl_op_result_new ("11111111-2222-4333-8444-555555555553", FL_OP_RESULT_CONFLICT);
  r->version = 7;
  r->number = 1042;
  r->current = g_object_ref (ticket);
  g_ptr_array_add (response->results, r);
  r = fl_op_result_new ("11111111-2222-4333-8444-555555555554", FL_OP_RESULT_REJECTED);
  r->error_code = g_strdup ("forbidden");
  r->error_message = g_strdup ("Only a team lead may do this");
  g_ptr_array_add (response->results, r);

  g_ptr_array_add (response->tickets, g_object_ref (ticket));
  json_object_set_string_member (data, "body", "Called back");
  json_object_set_boolean_member (data, "internal", TRUE);
  g_ptr_array_add (response->events, fl_event_new (OP_ID, TICKET, 5501, 1764410130123, "lee",
                                                   FL_OP_NOTE, data));
  g_ptr_array_add (response->checklists, json_from_string ("{\"id\": \"vpn\", \"version\": 2}", NULL));
  g_ptr_array_add (response->presence, fl_presence_new (TICKET, "lee", TRUE));
  response->cursor = 5501;
  response->more = TRUE;

  node = fl_sync_response_to_json (response);
  text = json_to_string (node, FALSE);
  g_test_message ("%s", text);
  /* the contract's shape: no version for rejected, null for no number, no reset unless set */
  g_assert_null (strstr (text, "\"reset\""));
  g_assert_nonnull (strstr (text, "\"status\":\"duplicate\",\"version\":2,\"number\":null"));
  g_assert_nonnull (strstr (text, "\"status\":\"rejected\",\"error\":{\"code\":\"forbidden\""));

  back = fl_sync_response_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->results->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      FlOpResult *a = g_ptr_array_index (response->results, i);
      FlOpResult *b = g_ptr_array_index (back->results, i);

      g_assert_cmpstr (a->op_id, ==, b->op_id);
      g_assert_cmpint (a->status, ==, b->status);
      g_assert_cmpint (a->version, ==, b->version);
      g_assert_cmpint (a->number, ==, b->number);
      g_assert_cmpstr (a->error_code, ==, b->error_code);
      g_assert_cmpstr (a->error_message, ==, b->error_message);
      g_assert_true ((a->current == NULL) == (b->current == NULL));
      if (a->current != NULL)
        g_assert_true (fl_ticket_equal (a->current, b->current));
    }
  g_assert_cmpuint (back->tickets->len, ==, 1);
  g_assert_true (fl_ticket_equal (g_ptr_array_index (back->tickets, 0), ticket));
  g_assert_cmpuint (back->events->len, ==, 1);
  g_assert_cmpstr (((FlEvent *) g_ptr_array_index (back->events, 0))->author, ==, "lee");
  g_assert_cmpint (((FlEvent *) g_ptr_array_index (back->events, 0))->seq, ==, 5501);
  g_assert_cmpuint (back->checklists->len, ==, 1);
  g_assert_cmpuint (back->presence->len, ==, 1);
  p = g_ptr_array_index (back->presence, 0);
  g_assert_cmpstr (p->ticket_id, ==, TICKET);
  g_assert_cmpstr (p->username, ==, "lee");
  g_assert_true (p->editing);
  g_assert_cmpint (back->cursor, ==, 5501);
  g_assert_true (back->more);
  g_assert_false (back->reset);

  /* a reset answer: cursor 0, and the client starts over */
  {
    g_autoptr(FlSyncResponse) reset = fl_sync_response_new ();
    g_autoptr(JsonNode) reset_node = NULL;
    g_autofree char *reset_text = NULL;
    g_autoptr(FlSyncResponse) reset_back = NULL;

    reset->reset = TRUE;
    reset_node = fl_sync_response_to_json (reset);
    reset_text = json_to_string (reset_node, FALSE);
    g_assert_nonnull (strstr (reset_text, "\"cursor\":0,\"more\":false,\"reset\":true"));
    reset_back = fl_sync_response_parse (reset_text, strlen (reset_text), &error);
    g_assert_no_error (error);
    g_assert_true (reset_back->reset);
    g_assert_true (reset_back->more);
  }
}

/* What a server sends is read leniently where the client always was, strictly elsewhere. */
static void
test_response_from_server (void)
{
  struct { const char *body; int code; } bad[] = {
    { "", FL_SYNC_RESPONSE_ERROR_NOT_JSON },
    { "[]", FL_SYNC_RESPONSE_ERROR_NOT_JSON },
    { "{\"cursor\": 0}", FL_SYNC_RESPONSE_ERROR_INCOMPLETE },
    { "{\"results\": []}", FL_SYNC_RESPONSE_ERROR_INCOMPLETE },
    { "{\"results\": [], \"cursor\": \"9\"}", FL_SYNC_RESPONSE_ERROR_INCOMPLETE },
    { "{\"results\": [], \"cursor\": 1, \"changes\": {\"tickets\": [{\"id\": 1}]}}",
      FL_SYNC_RESPONSE_ERROR_INVALID },
    { "{\"results\": [], \"cursor\": 1, \"changes\": {\"events\": [7]}}",
      FL_SYNC_RESPONSE_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FlSyncResponse) r = fl_sync_response_parse (bad[i].body, strlen (bad[i].body),
                                                            &error);

      g_test_message ("%s", bad[i].body);
      g_assert_null (r);
      g_assert_error (error, FL_SYNC_RESPONSE_ERROR, bad[i].code);
    }

  {
    g_autoptr(GError) error = NULL;
    const char *text = "{\"results\": [], \"cursor\": 1, \"changes\": {\"tickets\": [{\"id\": 1}]}}";
    g_autoptr(FlSyncResponse) r = fl_sync_response_parse (text, strlen (text), &error);

    g_assert_null (r);
    g_assert_true (g_str_has_prefix (error->message, "ticket 0: "));
  }

  /* left out: results without op_id, presence entries that make no sense;
   * an unknown status is kept as rejected; null cursor keeps the cursor */
  {
    const char *text =
      "{\"results\": [1, {\"status\": \"applied\"},"
      " {\"op_id\": \"" OP_ID "\", \"status\": \"later\"},"
      " {\"op_id\": \"" OP_ID "\", \"status\": \"rejected\"},"
      " {\"op_id\": \"" OP_ID "\", \"status\": \"conflict\", \"current\": {\"id\": 2}}],"
      " \"changes\": {}, \"cursor\": null,"
      " \"presence\": [1, {\"ticket_id\": \"x\", \"username\": \"lee\"},"
      " {\"ticket_id\": \"" TICKET "\", \"username\": \"\"},"
      " {\"ticket_id\": \"" TICKET "\", \"username\": \"lee\", \"editing\": 1}],"
      " \"more\": \"yes\", \"reset\": false}";
    g_autoptr(GError) error = NULL;
    g_autoptr(FlSyncResponse) r = fl_sync_response_parse (text, strlen (text), &error);
    FlOpResult *res;

    g_assert_no_error (error);
    g_assert_cmpuint (r->results->len, ==, 3);
    res = g_ptr_array_index (r->results, 0);
    g_assert_cmpint (res->status, ==, FL_OP_RESULT_REJECTED);
    g_assert_cmpstr (res->error_code, ==, "rejected");
    g_assert_cmpstr (res->error_message, ==, "unknown result");
    res = g_ptr_array_index (r->results, 1);
    g_assert_cmpint (res->status, ==, FL_OP_RESULT_REJECTED);
    g_assert_cmpstr (res->error_code, ==, "rejected");
    g_assert_cmpstr (res->error_message, ==, "");
    res = g_ptr_array_index (r->results, 2);
    g_assert_cmpint (res->status, ==, FL_OP_RESULT_CONFLICT);
    g_assert_null (res->current);
    g_assert_cmpint (r->cursor, ==, -1);
    g_assert_cmpuint (r->tickets->len, ==, 0);
    g_assert_cmpuint (r->presence->len, ==, 1);
    g_assert_false (((FlPresence *) g_ptr_array_index (r->presence, 0))->editing);
    g_assert_false (r->more);
    g_assert_false (r->reset);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/protocol/status-enum", test_status_enum);
  fl_test_add_func ("/protocol/request/roundtrip", test_request_roundtrip);
  fl_test_add_func ("/protocol/request/defaults", test_request_defaults);
  fl_test_add_func ("/protocol/request/errors", test_request_errors);
  fl_test_add_func ("/protocol/response/roundtrip", test_response_roundtrip);
  fl_test_add_func ("/protocol/response/from-server", test_response_from_server);

  return g_test_run ();
}
