/* test-model.c — the ticket model, its JSON form and the rule of how an op changes a ticket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fl-json.h"
#include "fl-demo.h"
#include "fl-test-util.h"
#include "fl-ticket.h"

#define HOUR (3600 * 1000LL)
#define T0 1795947330123LL              /* 2026-11-29T10:15:30.123Z */

#define TICKET_ID "3f0c6b7e-2a41-4d3b-9c55-0e8f1a2b3c4d"
#define OTHER_ID "9d2e4f60-7b1a-4c8e-a3f5-6b7c8d9e0f11"
#define OP_ID "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"

/* The ticket of the API spec, with its "…" filled in. */
static const char *spec_ticket_json =
  "{"
  "  \"id\": \"" TICKET_ID "\", \"number\": 1042, \"version\": 7, \"seq\": 5501,"
  "  \"title\": \"Cannot log in to VPN\","
  "  \"description\": \"Since 8:00 the client says \\\"authentication failed\\\" \\u2014 "
  "tried twice.\\nLine 2: 100% sure, path C:\\\\Temp\","
  "  \"requester\": {\"name\": \"Jana Krüger\", \"email\": \"jana.krueger@example.com\","
  "                \"phone\": \"+49 30 1234-567\", \"department\": \"Buchhaltung\","
  "                \"location\": \"Berlin, Haus A\"},"
  "  \"asset\": \"NB-0231\", \"channel\": \"phone\","
  "  \"category\": \"network\", \"impact\": \"medium\", \"urgency\": \"high\", \"priority\": 2,"
  "  \"status\": \"in_progress\", \"level\": 1, \"queue\": \"first-level\", \"assignee\": \"alex\","
  "  \"resolution\": null,"
  "  \"created_by\": \"alex\", \"created_at\": \"2026-11-29T10:15:30.123Z\","
  "  \"updated_at\": \"2026-11-29T10:20:00.000Z\", \"resolved_at\": null,"
  "  \"due_at\": \"2026-11-29T18:15:30.123Z\""
  "}";

/* -------------------------------------------------------------------------- */

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* Compares two JSON values exactly: same kinds, same value types (an int is not a
 * double), same strings, same members. Members named in @extra may be in @actual only. */
static void
assert_json_same (JsonNode           *expected,
                  JsonNode           *actual,
                  const char         *path,
                  const char * const *extra)
{
  if (actual == NULL)
    g_error ("%s: missing", path);

  if (JSON_NODE_TYPE (expected) != JSON_NODE_TYPE (actual))
    g_error ("%s: expected a %s, got a %s", path,
             json_node_type_name (expected), json_node_type_name (actual));

  switch (JSON_NODE_TYPE (expected))
    {
    case JSON_NODE_NULL:
      break;

    case JSON_NODE_VALUE:
      if (json_node_get_value_type (expected) != json_node_get_value_type (actual))
        g_error ("%s: expected a %s, got a %s", path,
                 g_type_name (json_node_get_value_type (expected)),
                 g_type_name (json_node_get_value_type (actual)));
      switch (json_node_get_value_type (expected))
        {
        case G_TYPE_STRING:
          if (strcmp (json_node_get_string (expected), json_node_get_string (actual)) != 0)
            g_error ("%s: expected \"%s\", got \"%s\"", path,
                     json_node_get_string (expected), json_node_get_string (actual));
          break;
        case G_TYPE_INT64:
          if (json_node_get_int (expected) != json_node_get_int (actual))
            g_error ("%s: expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT, path,
                     json_node_get_int (expected), json_node_get_int (actual));
          break;
        case G_TYPE_BOOLEAN:
          if (json_node_get_boolean (expected) != json_node_get_boolean (actual))
            g_error ("%s: booleans differ", path);
          break;
        case G_TYPE_DOUBLE:
          if (json_node_get_double (expected) != json_node_get_double (actual))
            g_error ("%s: doubles differ", path);
          break;
        default:
          g_assert_not_reached ();
        }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (expected);
        JsonArray *b = json_node_get_array (actual);

        if (json_array_get_length (a) != json_array_get_length (b))
          g_error ("%s: expected %u elements, got %u", path,
                   json_array_get_length (a), json_array_get_length (b));
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i);
            assert_json_same (json_array_get_element (a, i), json_array_get_element (b, i),
                              sub, NULL);
          }
      }
      break;

    case JSON_NODE_OBJECT:
      {
        JsonObject *a = json_node_get_object (expected);
        JsonObject *b = json_node_get_object (actual);
        g_autoptr(GList) names = json_object_get_members (a);
        g_autoptr(GList) names_b = json_object_get_members (b);

        for (GList *l = names; l; l = l->next)
          {
            g_autofree char *sub = g_strdup_printf ("%s.%s", path, (const char *) l->data);
            assert_json_same (json_object_get_member (a, l->data),
                              json_object_get_member (b, l->data), sub, NULL);
          }
        for (GList *l = names_b; l; l = l->next)
          if (!json_object_has_member (a, l->data) &&
              !(extra != NULL && g_strv_contains (extra, l->data)))
            g_error ("%s: unexpected member \"%s\"", path, (const char *) l->data);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
assert_error_names (GError       *error,
                    FlModelError  code,
                    const char   *field)
{
  g_autofree char *quoted = g_strdup_printf ("'%s'", field);

  g_assert_error (error, FL_MODEL_ERROR, (int) code);
  if (strstr (error->message, quoted) == NULL)
    g_error ("error \"%s\" does not name the field %s", error->message, quoted);
}

static char *
repeat (const char *unit,
        guint       n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

/* The spec ticket with one member replaced (value is JSON text) or removed (value NULL). */
static JsonNode *
spec_ticket_with (const char *path,
                  const char *value)
{
  JsonNode *root = parse (spec_ticket_json);
  JsonObject *obj = json_node_get_object (root);
  g_auto(GStrv) parts = g_strsplit (path, ".", 2);

  if (parts[1] != NULL)
    {
      obj = json_object_get_object_member (obj, parts[0]);
      path = parts[1];
    }

  if (value == NULL)
    json_object_remove_member (obj, path);
  else
    json_object_set_member (obj, path, parse (value));

  return root;
}

static void
assert_ticket_rejected (const char   *path,
                        const char   *value,
                        FlModelError  code,
                        const char   *field)
{
  g_autoptr(JsonNode) node = spec_ticket_with (path, value);
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) t = fl_ticket_from_json (node, &error);

  g_assert_null (t);
  assert_error_names (error, code, field);
}

/* -------------------------------------------------------------------------- */

static void
test_priority (void)
{
  g_assert_cmpint (fl_priority_compute (FL_GRADE_HIGH, FL_GRADE_HIGH), ==, 1);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_HIGH, FL_GRADE_MEDIUM), ==, 2);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_MEDIUM, FL_GRADE_HIGH), ==, 2);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_HIGH, FL_GRADE_LOW), ==, 3);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_MEDIUM, FL_GRADE_MEDIUM), ==, 3);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_LOW, FL_GRADE_HIGH), ==, 3);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_LOW, FL_GRADE_MEDIUM), ==, 4);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_MEDIUM, FL_GRADE_LOW), ==, 4);
  g_assert_cmpint (fl_priority_compute (FL_GRADE_LOW, FL_GRADE_LOW), ==, 4);
}

static void
test_time (void)
{
  g_autofree char *s = fl_time_format (T0);
  g_autofree char *epoch = fl_time_format (1);
  gint64 ms = 0;

  g_assert_cmpstr (s, ==, "2026-11-29T10:15:30.123Z");
  g_assert_cmpstr (epoch, ==, "1970-01-01T00:00:00.001Z");
  g_assert_true (fl_time_parse (s, &ms));
  g_assert_cmpint (ms, ==, T0);
  g_assert_true (fl_time_parse ("2026-11-29T11:15:30.123+01:00", &ms));
  g_assert_cmpint (ms, ==, T0);

  g_assert_false (fl_time_parse ("2026-11-29 10:15:30.123Z", &ms));
  g_assert_false (fl_time_parse ("yesterday", &ms));
  g_assert_false (fl_time_parse ("2026-13-01T00:00:00.000Z", &ms));
  g_assert_false (fl_time_parse ("2026-02-30T00:00:00.000Z", &ms));
  /* in the range of GDateTime, but not in UTC */
  g_assert_true (fl_time_parse ("0001-01-01T00:00:00+00:00", &ms));
  g_assert_false (fl_time_parse ("0001-01-01T00:00:00+01:00", &ms));
  g_assert_true (fl_time_parse ("9999-12-31T23:59:59.999Z", &ms));
  g_assert_false (fl_time_parse ("9999-12-31T23:30:00-01:00", &ms));
  g_assert_false (fl_time_parse ("", &ms));
  g_assert_false (fl_time_parse (NULL, &ms));
  /* no leap second, no hour 24, digits only */
  g_assert_false (fl_time_parse ("2026-11-29T10:15:60.000Z", &ms));
  g_assert_false (fl_time_parse ("2026-11-29T24:00:00.000Z", &ms));
  g_assert_false (fl_time_parse ("2026-11-29T10:60:00.000Z", &ms));
  g_assert_false (fl_time_parse ("2026-11-29T1a:15:30.123Z", &ms));
  g_assert_true (fl_time_parse ("2026-11-29T23:59:59.999Z", &ms));
}

static void
test_uuid (void)
{
  g_autofree char *id = fl_uuid_new ();

  g_assert_true (fl_uuid_is_valid (id));
  g_assert_true (fl_uuid_is_valid (TICKET_ID));
  g_assert_false (fl_uuid_is_valid ("3F0C6B7E-2A41-4D3B-9C55-0E8F1A2B3C4D"));
  g_assert_false (fl_uuid_is_valid ("3f0c6b7e2a414d3b9c550e8f1a2b3c4d"));
  g_assert_false (fl_uuid_is_valid ("3f0c6b7e-2a41-4d3b-9c55-0e8f1a2b3c4"));
  g_assert_false (fl_uuid_is_valid ("3f0c6b7e-2a41-4d3b-9c55-0e8f1a2b3c4g"));
  g_assert_false (fl_uuid_is_valid (""));
  g_assert_false (fl_uuid_is_valid (NULL));
}

static void
test_enum_strings (void)
{
  FlStatus status;
  FlChannel channel;
  FlOpType type;
  FlResolutionCode code = FL_RESOLUTION_SOLVED;

  g_assert_true (fl_status_from_string ("in_progress", &status));
  g_assert_cmpint (status, ==, FL_STATUS_IN_PROGRESS);
  g_assert_cmpstr (fl_status_to_string (FL_STATUS_ESCALATED), ==, "escalated");
  g_assert_false (fl_status_from_string ("In_Progress", &status));
  g_assert_true (fl_channel_from_string ("walk_in", &channel));
  g_assert_cmpint (channel, ==, FL_CHANNEL_WALK_IN);
  g_assert_true (fl_op_type_from_string ("checklist", &type));
  g_assert_cmpint (type, ==, FL_OP_CHECKLIST);
  g_assert_cmpstr (fl_resolution_code_to_string (FL_RESOLUTION_NOT_REPRODUCIBLE), ==,
                   "not_reproducible");
  g_assert_false (fl_resolution_code_from_string ("none", &code));
  g_assert_false (fl_resolution_code_from_string (NULL, &code));
  g_assert_cmpint (code, ==, FL_RESOLUTION_SOLVED);
}

/* -------------------------------------------------------------------------- */

static void
test_ticket_spec_example (void)
{
  static const char * const extension[] = { "waiting_since", "waiting_reason", "follow_up_at", NULL };
  g_autoptr(JsonNode) input = parse (spec_ticket_json);
  g_autoptr(JsonNode) output = NULL;
  g_autoptr(JsonNode) again_json = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(FlTicket) again = NULL;
  g_autoptr(GError) error = NULL;

  t = fl_ticket_from_json (input, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);

  g_assert_cmpstr (t->id, ==, TICKET_ID);
  g_assert_cmpint (t->number, ==, 1042);
  g_assert_cmpint (t->version, ==, 7);
  g_assert_cmpint (t->seq, ==, 5501);
  g_assert_cmpstr (t->requester.name, ==, "Jana Krüger");
  g_assert_cmpint (t->channel, ==, FL_CHANNEL_PHONE);
  g_assert_cmpint (t->impact, ==, FL_GRADE_MEDIUM);
  g_assert_cmpint (t->urgency, ==, FL_GRADE_HIGH);
  g_assert_cmpint (t->priority, ==, 2);
  g_assert_cmpint (t->status, ==, FL_STATUS_IN_PROGRESS);
  g_assert_cmpint (t->level, ==, 1);
  g_assert_cmpstr (t->assignee, ==, "alex");
  g_assert_cmpint (t->resolution_code, ==, FL_RESOLUTION_NONE);
  g_assert_cmpint (t->created_at, ==, T0);
  g_assert_cmpint (t->due_at, ==, T0 + 8 * HOUR);
  g_assert_cmpint (t->resolved_at, ==, 0);
  g_assert_cmpint (t->waiting_since, ==, 0);

  output = fl_ticket_to_json (t);
  assert_json_same (input, output, "ticket", extension);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (json_node_get_object (output),
                                                               "waiting_since")));

  /* and back again: the same ticket */
  again = fl_ticket_from_json (output, &error);
  g_assert_no_error (error);
  g_assert_true (fl_ticket_equal (t, again));
  again_json = fl_ticket_to_json (again);
  assert_json_same (output, again_json, "ticket", NULL);
}

static void
test_ticket_nulls (void)
{
  static const char * const extension[] = { "waiting_since", "waiting_reason", "follow_up_at", NULL };
  g_autoptr(JsonNode) input = parse (spec_ticket_json);
  JsonObject *obj = json_node_get_object (input);
  g_autoptr(JsonNode) output = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_null_member (obj, "number");
  json_object_set_null_member (obj, "assignee");
  json_object_set_null_member (obj, "resolution");
  json_object_set_string_member (obj, "status", "new");

  t = fl_ticket_from_json (input, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->number, ==, 0);
  g_assert_null (t->assignee);
  g_assert_cmpint (t->resolution_code, ==, FL_RESOLUTION_NONE);

  output = fl_ticket_to_json (t);
  assert_json_same (input, output, "ticket", extension);
}

static void
test_ticket_resolved (void)
{
  static const char * const extension[] = { "waiting_since", "waiting_reason", "follow_up_at", NULL };
  g_autoptr(JsonNode) input = parse (spec_ticket_json);
  JsonObject *obj = json_node_get_object (input);
  g_autoptr(JsonNode) output = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (obj, "status", "resolved");
  json_object_set_member (obj, "resolution",
                          parse ("{\"code\": \"first_contact\", \"summary\": \"Reset token \\\"A\\\"\"}"));
  json_object_set_string_member (obj, "resolved_at", "2026-11-29T10:45:00.007Z");

  t = fl_ticket_from_json (input, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->resolution_code, ==, FL_RESOLUTION_FIRST_CONTACT);
  g_assert_cmpstr (t->resolution_summary, ==, "Reset token \"A\"");
  g_assert_cmpint (t->resolved_at, ==, 1795949100007LL);

  output = fl_ticket_to_json (t);
  assert_json_same (input, output, "ticket", extension);
}

static void
test_ticket_waiting_since (void)
{
  g_autoptr(JsonNode) input = parse (spec_ticket_json);
  JsonObject *obj = json_node_get_object (input);
  g_autoptr(JsonNode) output = NULL;
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (obj, "status", "waiting");
  json_object_set_string_member (obj, "waiting_since", "2026-11-29T10:30:00.000Z");

  t = fl_ticket_from_json (input, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->waiting_since, ==, T0 + 14 * 60 * 1000 + 29877);

  output = fl_ticket_to_json (t);
  {
    static const char * const extension[] = { "waiting_reason", "follow_up_at", NULL };
    assert_json_same (input, output, "ticket", extension);
  }
}

static void
test_ticket_validation (void)
{
  g_autofree char *title200 = NULL;
  g_autofree char *title201 = NULL;
  g_autofree char *json200 = NULL;
  g_autofree char *json201 = NULL;

  /* required members */
  assert_ticket_rejected ("requester.name", NULL, FL_MODEL_ERROR_INVALID, "requester.name");
  assert_ticket_rejected ("requester.name", "\"\"", FL_MODEL_ERROR_INVALID, "requester.name");
  assert_ticket_rejected ("requester.name", "null", FL_MODEL_ERROR_INVALID, "requester.name");
  assert_ticket_rejected ("requester", NULL, FL_MODEL_ERROR_INVALID, "requester");
  assert_ticket_rejected ("title", NULL, FL_MODEL_ERROR_INVALID, "title");
  assert_ticket_rejected ("category", NULL, FL_MODEL_ERROR_INVALID, "category");
  assert_ticket_rejected ("channel", NULL, FL_MODEL_ERROR_INVALID, "channel");
  assert_ticket_rejected ("id", NULL, FL_MODEL_ERROR_INVALID, "id");

  /* lengths count characters, not bytes */
  title200 = repeat ("ü", 200);
  title201 = repeat ("ü", 201);
  json200 = g_strdup_printf ("\"%s\"", title200);
  json201 = g_strdup_printf ("\"%s\"", title201);
  {
    g_autoptr(JsonNode) node = spec_ticket_with ("title", json200);
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) t = fl_ticket_from_json (node, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (t->title, ==, title200);
  }
  assert_ticket_rejected ("title", json201, FL_MODEL_ERROR_INVALID, "title");

  /* bad enum values */
  assert_ticket_rejected ("channel", "\"fax\"", FL_MODEL_ERROR_INVALID, "channel");
  assert_ticket_rejected ("status", "\"done\"", FL_MODEL_ERROR_INVALID, "status");
  assert_ticket_rejected ("impact", "\"HIGH\"", FL_MODEL_ERROR_INVALID, "impact");
  assert_ticket_rejected ("resolution", "{\"code\": \"fixed\", \"summary\": \"x\"}",
                          FL_MODEL_ERROR_INVALID, "resolution.code");
  assert_ticket_rejected ("priority", "5", FL_MODEL_ERROR_INVALID, "priority");
  assert_ticket_rejected ("level", "3", FL_MODEL_ERROR_INVALID, "level");

  /* wrong types are TYPE, missing is INVALID */
  assert_ticket_rejected ("title", "42", FL_MODEL_ERROR_TYPE, "title");
  assert_ticket_rejected ("requester.name", "7", FL_MODEL_ERROR_TYPE, "requester.name");
  assert_ticket_rejected ("requester", "\"Jana\"", FL_MODEL_ERROR_TYPE, "requester");
  assert_ticket_rejected ("number", "\"1042\"", FL_MODEL_ERROR_TYPE, "number");
  assert_ticket_rejected ("version", "7.5", FL_MODEL_ERROR_TYPE, "version");
  assert_ticket_rejected ("channel", "1", FL_MODEL_ERROR_TYPE, "channel");
  assert_ticket_rejected ("assignee", "[\"alex\"]", FL_MODEL_ERROR_TYPE, "assignee");
  assert_ticket_rejected ("level", "true", FL_MODEL_ERROR_TYPE, "level");

  /* ids */
  assert_ticket_rejected ("id", "\"not-a-uuid\"", FL_MODEL_ERROR_TYPE, "id");
  assert_ticket_rejected ("id", "\"3F0C6B7E-2A41-4D3B-9C55-0E8F1A2B3C4D\"",
                          FL_MODEL_ERROR_TYPE, "id");

  /* times */
  assert_ticket_rejected ("created_at", "\"2026-11-29 10:15:30.123Z\"",
                          FL_MODEL_ERROR_TYPE, "created_at");
  assert_ticket_rejected ("due_at", "\"tomorrow\"", FL_MODEL_ERROR_TYPE, "due_at");
  assert_ticket_rejected ("updated_at", "\"2026-13-40T99:00:00.000Z\"",
                          FL_MODEL_ERROR_TYPE, "updated_at");
  assert_ticket_rejected ("created_at", "1795947330123", FL_MODEL_ERROR_TYPE, "created_at");

  /* not an object at all */
  {
    g_autoptr(JsonNode) node = parse ("[1, 2]");
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) t = fl_ticket_from_json (node, &error);

    g_assert_null (t);
    g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE);
  }
}

/* json-glib's parser refuses invalid UTF-8, but a JsonObject built in code may hold it. */
static void
test_ticket_invalid_utf8 (void)
{
  const char *bad[] = { "\xff\xfe", "Kr\xc3", "ok\xed\xa0\x80" /* surrogate */ };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) node = parse (spec_ticket_json);
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GError) error = NULL;
      g_autoptr(FlTicket) t = NULL;

      json_object_set_string_member (obj, "title", bad[i]);
      t = fl_ticket_from_json (node, &error);
      g_assert_null (t);
      assert_error_names (error, FL_MODEL_ERROR_TYPE, "title");
    }

  {
    g_autoptr(JsonNode) node = parse (spec_ticket_json);
    JsonObject *requester = json_object_get_object_member (json_node_get_object (node),
                                                           "requester");
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) t = NULL;

    json_object_set_string_member (requester, "name", "J\xe4na");
    t = fl_ticket_from_json (node, &error);
    g_assert_null (t);
    assert_error_names (error, FL_MODEL_ERROR_TYPE, "requester.name");
  }

  {
    g_autoptr(JsonObject) data = json_object_new ();
    g_autoptr(GError) error = NULL;

    json_object_set_string_member (data, "body", "Notiz \xc0\xaf");
    g_assert_false (fl_op_validate_data (FL_OP_NOTE, data, &error));
    assert_error_names (error, FL_MODEL_ERROR_TYPE, "body");
  }
}

/* -------------------------------------------------------------------------- */

static void
test_event_roundtrip (void)
{
  static const char *text =
    "{\"id\": \"" OP_ID "\", \"ticket_id\": \"" TICKET_ID "\", \"seq\": 5501,"
    " \"at\": \"2026-11-29T10:15:30.123Z\", \"author\": \"alex\", \"type\": \"update\","
    " \"data\": {\"changes\": {\"status\": [\"new\", \"in_progress\"], \"priority\": [3, 2],"
    "                          \"asset\": [\"\", \"NB-0231\"], \"description\": [null, \"ä\"]}}}";
  static const char *local =
    "{\"id\": \"" OP_ID "\", \"ticket_id\": \"" TICKET_ID "\", \"seq\": null,"
    " \"at\": \"2026-11-29T10:15:30.000Z\", \"author\": \"sam\", \"type\": \"note\","
    " \"data\": {\"body\": \"Neu gestartet \\ud83d\\ude42\", \"internal\": true}}";
  const char *texts[] = { text, local };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(JsonNode) input = parse (texts[i]);
      g_autoptr(JsonNode) output = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(FlEvent) event = fl_event_from_json (input, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (event->id, ==, OP_ID);
      g_assert_cmpstr (event->ticket_id, ==, TICKET_ID);
      output = fl_event_to_json (event);
      assert_json_same (input, output, "event", NULL);
    }

  {
    g_autoptr(JsonNode) input = parse (text);
    g_autoptr(GError) error = NULL;
    g_autoptr(FlEvent) event = NULL;

    json_object_set_string_member (json_node_get_object (input), "type", "comment");
    event = fl_event_from_json (input, &error);
    g_assert_null (event);
    assert_error_names (error, FL_MODEL_ERROR_INVALID, "type");
  }
  {
    g_autoptr(JsonNode) input = parse (text);
    g_autoptr(GError) error = NULL;
    g_autoptr(FlEvent) event = NULL;

    json_object_set_string_member (json_node_get_object (input), "ticket_id", "1042");
    event = fl_event_from_json (input, &error);
    g_assert_null (event);
    assert_error_names (error, FL_MODEL_ERROR_TYPE, "ticket_id");
  }
}

static void
test_op_roundtrip (void)
{
  static const char *text =
    "{\"op_id\": \"" OP_ID "\", \"ticket_id\": \"" TICKET_ID "\", \"type\": \"handoff\","
    " \"base_version\": 3, \"at\": \"2026-11-29T10:15:30.123Z\","
    " \"data\": {\"queue\": \"network\", \"summary\": \"VPN-Token defekt\","
    "            \"steps_tried\": [\"Neustart\", \"Token neu synchronisiert\"],"
    "            \"impact\": \"high\", \"urgency\": null, \"contact\": \"+49 30 1\"}}";
  g_autoptr(JsonNode) input = parse (text);
  g_autoptr(JsonNode) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FlOp) op = fl_op_from_json (input, &error);
  g_autoptr(FlOp) copy = NULL;
  g_autoptr(JsonNode) copy_json = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (op->type, ==, FL_OP_HANDOFF);
  g_assert_cmpint (op->base_version, ==, 3);
  g_assert_cmpint (op->at, ==, T0);
  g_assert_true (fl_op_validate_data (op->type, op->data, &error));
  g_assert_no_error (error);

  output = fl_op_to_json (op);
  assert_json_same (input, output, "op", NULL);

  copy = fl_op_copy (op);
  copy_json = fl_op_to_json (copy);
  assert_json_same (input, copy_json, "op", NULL);

  /* bad members */
  {
    g_autoptr(JsonNode) bad = parse (text);
    g_autoptr(FlOp) none = NULL;

    json_object_set_string_member (json_node_get_object (bad), "op_id", "x");
    none = fl_op_from_json (bad, &error);
    g_assert_null (none);
    assert_error_names (error, FL_MODEL_ERROR_TYPE, "op_id");
    g_clear_error (&error);
  }
  {
    g_autoptr(JsonNode) bad = parse (text);
    g_autoptr(FlOp) none = NULL;

    json_object_set_string_member (json_node_get_object (bad), "base_version", "3");
    none = fl_op_from_json (bad, &error);
    g_assert_null (none);
    assert_error_names (error, FL_MODEL_ERROR_TYPE, "base_version");
    g_clear_error (&error);
  }
  {
    g_autoptr(JsonNode) bad = parse (text);
    g_autoptr(FlOp) none = NULL;

    json_object_set_string_member (json_node_get_object (bad), "type", "merge");
    none = fl_op_from_json (bad, &error);
    g_assert_null (none);
    assert_error_names (error, FL_MODEL_ERROR_INVALID, "type");
    g_clear_error (&error);
  }
}

static void
assert_data_rejected (FlOpType      type,
                      const char   *json,
                      FlModelError  code,
                      const char   *field)
{
  g_autoptr(JsonObject) data = fl_test_parse_object (json);
  g_autoptr(GError) error = NULL;

  if (fl_op_validate_data (type, data, &error))
    g_error ("%s data %s was accepted", fl_op_type_to_string (type), json);
  if (field != NULL)
    assert_error_names (error, code, field);
  else
    g_assert_error (error, FL_MODEL_ERROR, (int) code);
}

static void
assert_data_accepted (FlOpType    type,
                      const char *json)
{
  g_autoptr(JsonObject) data = fl_test_parse_object (json);
  g_autoptr(GError) error = NULL;

  if (!fl_op_validate_data (type, data, &error))
    g_error ("%s data %s was rejected: %s", fl_op_type_to_string (type), json, error->message);
}

static void
test_op_validation (void)
{
  g_autofree char *long_title = repeat ("a", 201);
  g_autofree char *long_title_json = g_strdup_printf (
    "{\"title\": \"%s\", \"requester\": {\"name\": \"A\"}, \"category\": \"x\","
    " \"channel\": \"phone\"}", long_title);
  g_autofree char *body20000 = repeat ("ö", 20000);
  g_autofree char *body20001 = repeat ("ö", 20001);
  g_autofree char *note20000 = g_strdup_printf ("{\"body\": \"%s\"}", body20000);
  g_autofree char *note20001 = g_strdup_printf ("{\"body\": \"%s\"}", body20001);

  /* create */
  assert_data_accepted (FL_OP_CREATE,
                        "{\"title\": \"Drucker\", \"requester\": {\"name\": \"Jana\"},"
                        " \"category\": \"printer\", \"channel\": \"phone\"}");
  assert_data_rejected (FL_OP_CREATE,
                        "{\"title\": \"Drucker\", \"requester\": {\"email\": \"j@x\"},"
                        " \"category\": \"printer\", \"channel\": \"phone\"}",
                        FL_MODEL_ERROR_INVALID, "requester.name");
  assert_data_rejected (FL_OP_CREATE, long_title_json, FL_MODEL_ERROR_INVALID, "title");
  assert_data_rejected (FL_OP_CREATE,
                        "{\"title\": \"Drucker\", \"requester\": {\"name\": \"Jana\"},"
                        " \"category\": \"printer\", \"channel\": \"pigeon\"}",
                        FL_MODEL_ERROR_INVALID, "channel");
  assert_data_rejected (FL_OP_CREATE,
                        "{\"title\": \"Drucker\", \"requester\": {\"name\": \"Jana\"},"
                        " \"category\": \"printer\", \"channel\": \"phone\", \"urgency\": 2}",
                        FL_MODEL_ERROR_TYPE, "urgency");
  assert_data_rejected (FL_OP_CREATE,
                        "{\"title\": 5, \"requester\": {\"name\": \"Jana\"},"
                        " \"category\": \"printer\", \"channel\": \"phone\"}",
                        FL_MODEL_ERROR_TYPE, "title");
  assert_data_rejected (FL_OP_CREATE,
                        "{\"requester\": {\"name\": \"Jana\"},"
                        " \"category\": \"printer\", \"channel\": \"phone\"}",
                        FL_MODEL_ERROR_INVALID, "title");
  assert_data_rejected (FL_OP_CREATE,
                        "{\"title\": \"Drucker\", \"requester\": {\"name\": \"Jana\"},"
                        " \"channel\": \"phone\"}",
                        FL_MODEL_ERROR_INVALID, "category");

  /* update */
  assert_data_rejected (FL_OP_UPDATE, "{}", FL_MODEL_ERROR_INVALID, NULL);
  assert_data_rejected (FL_OP_UPDATE, "{\"status\": \"resolved\"}",
                        FL_MODEL_ERROR_INVALID, "status");
  assert_data_rejected (FL_OP_UPDATE, "{\"status\": \"escalated\"}",
                        FL_MODEL_ERROR_INVALID, "status");
  assert_data_rejected (FL_OP_UPDATE, "{\"status\": \"paused\"}",
                        FL_MODEL_ERROR_INVALID, "status");
  assert_data_rejected (FL_OP_UPDATE, "{\"title\": \"\"}", FL_MODEL_ERROR_INVALID, "title");
  assert_data_rejected (FL_OP_UPDATE, "{\"impact\": true}", FL_MODEL_ERROR_TYPE, "impact");
  assert_data_rejected (FL_OP_UPDATE, "{\"requester\": {\"name\": 3}}",
                        FL_MODEL_ERROR_TYPE, "requester.name");
  assert_data_accepted (FL_OP_UPDATE, "{\"status\": \"waiting\", \"asset\": null}");

  /* note */
  assert_data_accepted (FL_OP_NOTE, note20000);
  assert_data_rejected (FL_OP_NOTE, note20001, FL_MODEL_ERROR_INVALID, "body");
  assert_data_rejected (FL_OP_NOTE, "{\"body\": \"\"}", FL_MODEL_ERROR_INVALID, "body");
  assert_data_rejected (FL_OP_NOTE, "{}", FL_MODEL_ERROR_INVALID, "body");
  assert_data_rejected (FL_OP_NOTE, "{\"body\": \"x\", \"internal\": \"yes\"}",
                        FL_MODEL_ERROR_TYPE, "internal");

  /* checklist */
  assert_data_accepted (FL_OP_CHECKLIST,
                        "{\"checklist_id\": \"vpn\", \"checklist_version\": 2,"
                        " \"step_id\": \"restart\", \"outcome\": \"done\"}");
  assert_data_rejected (FL_OP_CHECKLIST,
                        "{\"checklist_id\": \"vpn\", \"step_id\": \"restart\","
                        " \"outcome\": \"maybe\"}", FL_MODEL_ERROR_INVALID, "outcome");
  assert_data_rejected (FL_OP_CHECKLIST,
                        "{\"checklist_id\": \"vpn\", \"step_id\": \"restart\"}",
                        FL_MODEL_ERROR_INVALID, "outcome");
  assert_data_rejected (FL_OP_CHECKLIST,
                        "{\"checklist_id\": \"vpn\", \"outcome\": \"done\"}",
                        FL_MODEL_ERROR_INVALID, "step_id");
  assert_data_rejected (FL_OP_CHECKLIST,
                        "{\"checklist_id\": \"vpn\", \"step_id\": \"s\", \"outcome\": 1}",
                        FL_MODEL_ERROR_TYPE, "outcome");

  /* assign, handoff, resolve, reopen */
  assert_data_rejected (FL_OP_ASSIGN, "{}", FL_MODEL_ERROR_INVALID, "assignee");
  assert_data_accepted (FL_OP_ASSIGN, "{\"assignee\": null}");
  assert_data_rejected (FL_OP_ASSIGN, "{\"assignee\": 12}", FL_MODEL_ERROR_TYPE, "assignee");
  assert_data_rejected (FL_OP_HANDOFF, "{\"summary\": \"s\"}", FL_MODEL_ERROR_INVALID, "queue");
  assert_data_rejected (FL_OP_HANDOFF, "{\"queue\": \"network\"}",
                        FL_MODEL_ERROR_INVALID, "summary");
  assert_data_rejected (FL_OP_HANDOFF,
                        "{\"queue\": \"network\", \"summary\": \"s\", \"steps_tried\": [1]}",
                        FL_MODEL_ERROR_TYPE, "steps_tried");
  assert_data_rejected (FL_OP_HANDOFF,
                        "{\"queue\": \"network\", \"summary\": \"s\", \"steps_tried\": \"a\"}",
                        FL_MODEL_ERROR_TYPE, "steps_tried");
  assert_data_rejected (FL_OP_HANDOFF,
                        "{\"queue\": \"network\", \"summary\": \"s\", \"impact\": \"huge\"}",
                        FL_MODEL_ERROR_INVALID, "impact");
  assert_data_rejected (FL_OP_RESOLVE, "{\"summary\": \"s\"}", FL_MODEL_ERROR_INVALID, "code");
  assert_data_rejected (FL_OP_RESOLVE, "{\"code\": \"fixed\", \"summary\": \"s\"}",
                        FL_MODEL_ERROR_INVALID, "code");
  assert_data_rejected (FL_OP_RESOLVE, "{\"code\": \"solved\"}",
                        FL_MODEL_ERROR_INVALID, "summary");
  assert_data_rejected (FL_OP_REOPEN, "{\"reason\": false}", FL_MODEL_ERROR_TYPE, "reason");
  assert_data_accepted (FL_OP_REOPEN, "{}");
  assert_data_accepted (FL_OP_CLAIM, "{}");
  assert_data_accepted (FL_OP_CLOSE, "{}");
}

/* -------------------------------------------------------------------------- */

/* Applies one op; returns the new ticket, or NULL with @error set. */
static FlTicket *
apply (FlTicket     *current,
       FlOpType      type,
       const char   *data_json,
       const char   *author,
       FlRole        role,
       gint64        at,
       JsonObject  **event_data,
       GError      **error)
{
  g_autoptr(JsonObject) data = fl_test_parse_object (data_json);
  g_autofree char *op_id = fl_uuid_new ();
  g_autoptr(FlOp) op = fl_op_new (op_id, current ? current->id : TICKET_ID, type,
                                  current ? current->version : 0, at, data);
  g_autofree char *before = current ? fl_ticket_to_string (current) : NULL;
  FlTicket *t;

  t = fl_ticket_apply (current, op, author, role, NULL, event_data, error);

  /* the current ticket is a value: never changed */
  if (current != NULL)
    {
      g_autofree char *after = fl_ticket_to_string (current);
      g_assert_cmpstr (before, ==, after);
    }

  return t;
}

/* Applies an op that must succeed and raise the version by one. */
static FlTicket *
apply_ok (FlTicket   *current,
          FlOpType    type,
          const char *data_json,
          const char *author,
          FlRole      role,
          gint64      at)
{
  g_autoptr(GError) error = NULL;
  FlTicket *t = apply (current, type, data_json, author, role, at, NULL, &error);

  if (t == NULL)
    g_error ("%s %s failed: %s", fl_op_type_to_string (type), data_json, error->message);
  g_assert_cmpint (t->version, ==, current ? current->version + 1 : 1);
  g_assert_cmpint (t->updated_at, ==, at);
  return t;
}

static void
apply_fails (FlTicket     *current,
             FlOpType      type,
             const char   *data_json,
             const char   *author,
             FlRole        role,
             FlModelError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(FlTicket) t = apply (current, type, data_json, author, role, T0 + 99 * HOUR,
                                 &event_data, &error);

  if (t != NULL)
    g_error ("%s %s by %s was applied", fl_op_type_to_string (type), data_json, author);
  g_assert_null (event_data);
  g_assert_error (error, FL_MODEL_ERROR, (int) code);
}

static const char *create_data =
  "{\"title\": \"Drucker druckt nur leere Seiten\", \"description\": \"Etagendrucker\","
  " \"requester\": {\"name\": \"Jana Krüger\", \"department\": \"Einkauf\"},"
  " \"asset\": \"PR-0412\", \"channel\": \"phone\", \"category\": \"printer\"}";

static FlTicket *
create_ticket (void)
{
  return apply_ok (NULL, FL_OP_CREATE, create_data, "alex", FL_ROLE_AGENT, T0);
}

static void
test_apply_create (void)
{
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(JsonObject) data = fl_test_parse_object (create_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) t = apply (NULL, FL_OP_CREATE, create_data, "alex", FL_ROLE_AGENT, T0,
                                 &event_data, &error);
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (t->id, ==, TICKET_ID);
  g_assert_cmpint (t->version, ==, 1);
  g_assert_cmpint (t->number, ==, 0);
  g_assert_cmpstr (t->title, ==, "Drucker druckt nur leere Seiten");
  g_assert_cmpstr (t->requester.name, ==, "Jana Krüger");
  g_assert_cmpstr (t->requester.department, ==, "Einkauf");
  g_assert_cmpstr (t->requester.email, ==, "");
  g_assert_cmpint (t->impact, ==, FL_GRADE_MEDIUM);
  g_assert_cmpint (t->urgency, ==, FL_GRADE_MEDIUM);
  g_assert_cmpint (t->priority, ==, 3);
  g_assert_cmpint (t->status, ==, FL_STATUS_NEW);
  g_assert_cmpint (t->level, ==, 1);
  g_assert_cmpstr (t->queue, ==, "first-level");
  g_assert_null (t->assignee);
  g_assert_cmpstr (t->created_by, ==, "alex");
  g_assert_cmpint (t->created_at, ==, T0);
  g_assert_cmpint (t->due_at, ==, T0 + 24 * HOUR);

  a = json_node_init_object (json_node_alloc (), data);
  b = json_node_init_object (json_node_alloc (), event_data);
  assert_json_same (a, b, "event.data", NULL);

  /* a create of an existing ticket and an op on no ticket */
  apply_fails (t, FL_OP_CREATE, create_data, "alex", FL_ROLE_AGENT, FL_MODEL_ERROR_INVALID);
  apply_fails (NULL, FL_OP_NOTE, "{\"body\": \"x\"}", "alex", FL_ROLE_AGENT,
               FL_MODEL_ERROR_NOT_FOUND);

  /* urgent ones get the P1 target */
  {
    g_autoptr(FlTicket) urgent = apply_ok (NULL, FL_OP_CREATE,
                                           "{\"title\": \"Server down\","
                                           " \"requester\": {\"name\": \"Paul\"},"
                                           " \"channel\": \"chat\", \"category\": \"network\","
                                           " \"impact\": \"high\", \"urgency\": \"high\"}",
                                           "sam", FL_ROLE_AGENT, T0);
    g_assert_cmpint (urgent->priority, ==, 1);
    g_assert_cmpint (urgent->due_at, ==, T0 + 4 * HOUR);
    g_assert_cmpint (urgent->channel, ==, FL_CHANNEL_CHAT);
  }
}

static void
test_apply_claim (void)
{
  g_autoptr(FlTicket) t1 = create_ticket ();
  g_autoptr(FlTicket) t2 = apply_ok (t1, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0 + HOUR);
  g_autoptr(FlTicket) t3 = NULL;
  g_autoptr(FlTicket) waiting = NULL;
  g_autoptr(FlTicket) t4 = NULL;

  g_assert_cmpstr (t2->assignee, ==, "sam");
  g_assert_cmpint (t2->status, ==, FL_STATUS_IN_PROGRESS);
  g_assert_cmpint (t2->version, ==, 2);

  /* assigned to someone else: conflict, even for a lead */
  apply_fails (t2, FL_OP_CLAIM, "{}", "lee", FL_ROLE_AGENT, FL_MODEL_ERROR_CONFLICT);
  apply_fails (t2, FL_OP_CLAIM, "{}", "boss", FL_ROLE_LEAD, FL_MODEL_ERROR_CONFLICT);

  /* claiming one's own ticket again is fine and changes nothing but the version */
  t3 = apply_ok (t2, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0 + 2 * HOUR);
  g_assert_cmpstr (t3->assignee, ==, "sam");
  g_assert_cmpint (t3->status, ==, FL_STATUS_IN_PROGRESS);
  g_assert_cmpint (t3->version, ==, 3);

  /* a claim keeps a waiting ticket waiting */
  waiting = apply_ok (t3, FL_OP_UPDATE, "{\"status\": \"waiting\"}", "sam", FL_ROLE_AGENT,
                      T0 + 3 * HOUR);
  t4 = apply_ok (waiting, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0 + 4 * HOUR);
  g_assert_cmpint (t4->status, ==, FL_STATUS_WAITING);

  /* a closed ticket cannot be claimed */
  {
    g_autoptr(FlTicket) closed = apply_ok (t1, FL_OP_CLOSE, "{}", "boss", FL_ROLE_LEAD,
                                           T0 + HOUR);
    apply_fails (closed, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, FL_MODEL_ERROR_INVALID);
  }
}

static void
test_apply_assign (void)
{
  g_autoptr(FlTicket) t1 = create_ticket ();
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(FlTicket) t3 = NULL;

  apply_fails (t1, FL_OP_ASSIGN, "{\"assignee\": \"sam\"}", "alex", FL_ROLE_AGENT,
               FL_MODEL_ERROR_FORBIDDEN);
  apply_fails (t1, FL_OP_ASSIGN, "{\"assignee\": \"sam\"}", "spec", FL_ROLE_SPECIALIST,
               FL_MODEL_ERROR_FORBIDDEN);

  t2 = apply_ok (t1, FL_OP_ASSIGN, "{\"assignee\": \"sam\"}", "boss", FL_ROLE_LEAD, T0 + HOUR);
  g_assert_cmpstr (t2->assignee, ==, "sam");
  g_assert_cmpint (t2->status, ==, FL_STATUS_NEW);

  t3 = apply_ok (t2, FL_OP_ASSIGN, "{\"assignee\": null}", "boss", FL_ROLE_LEAD, T0 + 2 * HOUR);
  g_assert_null (t3->assignee);
}

static void
test_apply_handoff (void)
{
  g_autoptr(FlTicket) t1 = create_ticket ();
  g_autoptr(FlTicket) t2 = apply_ok (t1, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0 + HOUR);
  g_autoptr(FlTicket) t3 = NULL;
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(GError) error = NULL;

  t3 = apply (t2, FL_OP_HANDOFF,
              "{\"queue\": \"hardware\", \"summary\": \"Fixiereinheit defekt\","
              " \"steps_tried\": [\"Neustart\"], \"impact\": \"high\"}",
              "sam", FL_ROLE_AGENT, T0 + 2 * HOUR, &event_data, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t3->status, ==, FL_STATUS_ESCALATED);
  g_assert_cmpint (t3->level, ==, 2);
  g_assert_null (t3->assignee);
  g_assert_cmpstr (t3->queue, ==, "hardware");
  g_assert_cmpint (t3->version, ==, 3);
  /* impact high, urgency medium: P2, its target replaces P3's */
  g_assert_cmpint (t3->impact, ==, FL_GRADE_HIGH);
  g_assert_cmpint (t3->priority, ==, 2);
  g_assert_cmpint (t3->due_at, ==, T0 + 8 * HOUR);
  g_assert_cmpstr (json_object_get_string_member (event_data, "summary"), ==,
                   "Fixiereinheit defekt");

  /* resolved or closed: conflict */
  {
    g_autoptr(FlTicket) resolved = apply_ok (t2, FL_OP_RESOLVE,
                                             "{\"code\": \"solved\", \"summary\": \"ok\"}",
                                             "sam", FL_ROLE_AGENT, T0 + 2 * HOUR);
    apply_fails (resolved, FL_OP_HANDOFF, "{\"queue\": \"hardware\", \"summary\": \"s\"}",
                 "sam", FL_ROLE_AGENT, FL_MODEL_ERROR_CONFLICT);
  }
}

static void
test_apply_resolve_reopen_close (void)
{
  g_autoptr(FlTicket) t1 = create_ticket ();
  g_autoptr(FlTicket) t2 = apply_ok (t1, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0 + HOUR);
  g_autoptr(FlTicket) resolved = NULL;
  g_autoptr(FlTicket) reopened = NULL;
  g_autoptr(FlTicket) closed = NULL;
  g_autoptr(FlTicket) lead_closed = NULL;
  g_autoptr(FlTicket) reopened2 = NULL;

  /* an agent may not close an open ticket; a lead may */
  apply_fails (t2, FL_OP_CLOSE, "{}", "sam", FL_ROLE_AGENT, FL_MODEL_ERROR_FORBIDDEN);
  apply_fails (t2, FL_OP_CLOSE, "{}", "spec", FL_ROLE_SPECIALIST, FL_MODEL_ERROR_FORBIDDEN);
  lead_closed = apply_ok (t2, FL_OP_CLOSE, "{}", "boss", FL_ROLE_LEAD, T0 + 2 * HOUR);
  g_assert_cmpint (lead_closed->status, ==, FL_STATUS_CLOSED);

  /* reopen needs a resolved or closed ticket */
  apply_fails (t2, FL_OP_REOPEN, "{\"reason\": \"x\"}", "sam", FL_ROLE_AGENT,
               FL_MODEL_ERROR_INVALID);

  resolved = apply_ok (t2, FL_OP_RESOLVE,
                       "{\"code\": \"first_contact\", \"summary\": \"Papier nachgelegt\"}",
                       "sam", FL_ROLE_AGENT, T0 + 2 * HOUR);
  g_assert_cmpint (resolved->status, ==, FL_STATUS_RESOLVED);
  g_assert_cmpint (resolved->resolution_code, ==, FL_RESOLUTION_FIRST_CONTACT);
  g_assert_cmpstr (resolved->resolution_summary, ==, "Papier nachgelegt");
  g_assert_cmpint (resolved->resolved_at, ==, T0 + 2 * HOUR);
  g_assert_cmpstr (resolved->assignee, ==, "sam");
  apply_fails (resolved, FL_OP_RESOLVE, "{\"code\": \"solved\", \"summary\": \"again\"}",
               "sam", FL_ROLE_AGENT, FL_MODEL_ERROR_INVALID);

  reopened = apply_ok (resolved, FL_OP_REOPEN, "{\"reason\": \"Wieder leer\"}", "sam",
                       FL_ROLE_AGENT, T0 + 3 * HOUR);
  g_assert_cmpint (reopened->status, ==, FL_STATUS_IN_PROGRESS);
  g_assert_cmpint (reopened->resolution_code, ==, FL_RESOLUTION_NONE);
  g_assert_null (reopened->resolution_summary);
  g_assert_cmpint (reopened->resolved_at, ==, 0);
  g_assert_cmpint (reopened->version, ==, 4);

  /* an agent may close a resolved ticket */
  closed = apply_ok (resolved, FL_OP_CLOSE, "{}", "sam", FL_ROLE_AGENT, T0 + 4 * HOUR);
  g_assert_cmpint (closed->status, ==, FL_STATUS_CLOSED);
  g_assert_cmpint (closed->resolution_code, ==, FL_RESOLUTION_FIRST_CONTACT);
  apply_fails (closed, FL_OP_CLOSE, "{}", "boss", FL_ROLE_LEAD, FL_MODEL_ERROR_INVALID);

  /* closed tickets reopen too */
  reopened2 = apply_ok (closed, FL_OP_REOPEN, "{}", "sam", FL_ROLE_AGENT, T0 + 5 * HOUR);
  g_assert_cmpint (reopened2->status, ==, FL_STATUS_IN_PROGRESS);
}

static void
test_apply_update_changes (void)
{
  g_autoptr(FlTicket) t1 = create_ticket ();
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(JsonObject) event_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) expected = NULL;
  g_autoptr(JsonNode) actual = NULL;

  /* channel and category are unchanged and must not be listed */
  t2 = apply (t1, FL_OP_UPDATE,
              "{\"title\": \"Drucker 2. OG druckt leer\", \"impact\": \"high\","
              " \"channel\": \"phone\", \"category\": \"printer\","
              " \"requester\": {\"phone\": \"+49 30 555\"}, \"asset\": null}",
              "sam", FL_ROLE_AGENT, T0 + HOUR, &event_data, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t2->version, ==, 2);

  expected = parse ("{\"changes\": {"
                    "  \"title\": [\"Drucker druckt nur leere Seiten\", \"Drucker 2. OG druckt leer\"],"
                    "  \"requester\": ["
                    "    {\"name\": \"Jana Krüger\", \"email\": \"\", \"phone\": \"\","
                    "     \"department\": \"Einkauf\", \"location\": \"\"},"
                    "    {\"name\": \"Jana Krüger\", \"email\": \"\", \"phone\": \"+49 30 555\","
                    "     \"department\": \"Einkauf\", \"location\": \"\"}],"
                    "  \"asset\": [\"PR-0412\", \"\"],"
                    "  \"impact\": [\"medium\", \"high\"],"
                    "  \"priority\": [3, 2]"
                    "}}");
  actual = json_node_init_object (json_node_alloc (), event_data);
  assert_json_same (expected, actual, "event.data", NULL);

  g_assert_cmpstr (t2->title, ==, "Drucker 2. OG druckt leer");
  g_assert_cmpstr (t2->requester.phone, ==, "+49 30 555");
  g_assert_cmpstr (t2->requester.department, ==, "Einkauf");
  g_assert_cmpstr (t2->asset, ==, "");

  /* update to resolved (or any closing status) is not an update */
  apply_fails (t2, FL_OP_UPDATE, "{\"status\": \"resolved\"}", "sam", FL_ROLE_AGENT,
               FL_MODEL_ERROR_INVALID);
  apply_fails (t2, FL_OP_UPDATE, "{\"status\": \"closed\", \"title\": \"x\"}", "sam",
               FL_ROLE_AGENT, FL_MODEL_ERROR_INVALID);

  /* and a resolved ticket's status is not updated */
  {
    g_autoptr(FlTicket) resolved = apply_ok (t2, FL_OP_RESOLVE,
                                             "{\"code\": \"solved\", \"summary\": \"ok\"}",
                                             "sam", FL_ROLE_AGENT, T0 + 2 * HOUR);
    apply_fails (resolved, FL_OP_UPDATE, "{\"status\": \"in_progress\"}", "sam", FL_ROLE_AGENT,
                 FL_MODEL_ERROR_INVALID);
  }
}

static void
test_apply_priority_due (void)
{
  g_autoptr(FlTicket) t1 = create_ticket ();            /* P3, due T0 + 24 h */
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(FlTicket) t3 = NULL;
  g_autoptr(FlTicket) t4 = NULL;

  g_assert_cmpint (t1->priority, ==, 3);
  g_assert_cmpint (t1->due_at, ==, T0 + 24 * HOUR);

  t2 = apply_ok (t1, FL_OP_UPDATE, "{\"urgency\": \"high\"}", "sam", FL_ROLE_AGENT, T0 + HOUR);
  g_assert_cmpint (t2->priority, ==, 2);
  g_assert_cmpint (t2->due_at, ==, T0 + 8 * HOUR);

  t3 = apply_ok (t2, FL_OP_UPDATE, "{\"impact\": \"high\"}", "sam", FL_ROLE_AGENT, T0 + HOUR);
  g_assert_cmpint (t3->priority, ==, 1);
  g_assert_cmpint (t3->due_at, ==, T0 + 4 * HOUR);

  t4 = apply_ok (t3, FL_OP_UPDATE, "{\"impact\": \"low\", \"urgency\": \"low\"}", "sam",
                 FL_ROLE_AGENT, T0 + 2 * HOUR);
  g_assert_cmpint (t4->priority, ==, 4);
  g_assert_cmpint (t4->due_at, ==, T0 + 72 * HOUR);
}

/* Extension: waiting with a reason and a follow-up time, ended with the waiting */
static void
test_apply_waiting_follow_up (void)
{
  gint64 t0 = T0 + HOUR;
  g_autoptr(FlTicket) created = create_ticket ();
  g_autoptr(FlTicket) claimed = apply_ok (created, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0);
  g_autoptr(FlTicket) waiting = NULL;
  g_autoptr(FlTicket) later = NULL;
  g_autoptr(FlTicket) back = NULL;
  g_autoptr(FlTicket) ignored = NULL;
  g_autoptr(FlTicket) copy = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  gint64 follow_up = 0;

  g_assert_true (fl_time_parse ("2026-11-29T14:00:00.000Z", &follow_up));
  waiting = apply_ok (claimed, FL_OP_UPDATE,
                      "{\"status\": \"waiting\", \"waiting_reason\": \"Rückruf der Nutzerin\","
                      " \"follow_up_at\": \"2026-11-29T14:00:00.000Z\"}", "sam", FL_ROLE_AGENT, t0);
  g_assert_cmpint (waiting->status, ==, FL_STATUS_WAITING);
  g_assert_cmpstr (waiting->waiting_reason, ==, "Rückruf der Nutzerin");
  g_assert_cmpint (waiting->follow_up_at, ==, follow_up);
  g_assert_false (fl_ticket_is_follow_up_due (waiting, follow_up - 1));
  g_assert_true (fl_ticket_is_follow_up_due (waiting, follow_up));

  /* Through JSON and back */
  node = fl_ticket_to_json (waiting);
  copy = fl_ticket_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->waiting_reason, ==, "Rückruf der Nutzerin");
  g_assert_cmpint (copy->follow_up_at, ==, follow_up);

  /* Moved while waiting; a bad time is refused */
  later = apply_ok (waiting, FL_OP_UPDATE, "{\"follow_up_at\": \"2026-11-29T15:00:00.000Z\"}",
                    "sam", FL_ROLE_AGENT, t0 + 1000);
  g_assert_cmpint (later->follow_up_at, ==, follow_up + HOUR);
  g_assert_cmpstr (later->waiting_reason, ==, "Rückruf der Nutzerin");
  apply_fails (waiting, FL_OP_UPDATE, "{\"follow_up_at\": \"14:00\"}", "sam", FL_ROLE_AGENT,
               FL_MODEL_ERROR_TYPE);

  /* Leaving waiting ends both */
  back = apply_ok (later, FL_OP_UPDATE, "{\"status\": \"in_progress\"}", "sam", FL_ROLE_AGENT,
                   t0 + 2000);
  g_assert_null (back->waiting_reason);
  g_assert_cmpint (back->follow_up_at, ==, 0);
  g_assert_false (fl_ticket_is_follow_up_due (back, G_MAXINT64));

  /* On a ticket that does not wait, they are ignored */
  ignored = apply_ok (back, FL_OP_UPDATE, "{\"title\": \"Neu\", \"follow_up_at\": \"2026-11-29T15:00:00.000Z\"}",
                      "sam", FL_ROLE_AGENT, t0 + 3000);
  g_assert_cmpint (ignored->follow_up_at, ==, 0);
}

static void
test_apply_waiting_pauses_due (void)
{
  gint64 t0 = T0 + HOUR;
  gint64 t1 = T0 + 5 * HOUR + 1234;
  gint64 t2 = T0 + 6 * HOUR;
  gint64 t3 = T0 + 9 * HOUR;
  g_autoptr(FlTicket) created = create_ticket ();
  g_autoptr(FlTicket) claimed = apply_ok (created, FL_OP_CLAIM, "{}", "sam", FL_ROLE_AGENT, T0);
  g_autoptr(FlTicket) waiting = NULL;
  g_autoptr(FlTicket) back = NULL;
  g_autoptr(FlTicket) waiting2 = NULL;
  g_autoptr(FlTicket) resolved = NULL;
  gint64 due = claimed->due_at;

  waiting = apply_ok (claimed, FL_OP_UPDATE, "{\"status\": \"waiting\"}", "sam", FL_ROLE_AGENT, t0);
  g_assert_cmpint (waiting->status, ==, FL_STATUS_WAITING);
  g_assert_cmpint (waiting->waiting_since, ==, t0);
  g_assert_cmpint (waiting->due_at, ==, due);

  back = apply_ok (waiting, FL_OP_UPDATE, "{\"status\": \"in_progress\"}", "sam", FL_ROLE_AGENT, t1);
  g_assert_cmpint (back->waiting_since, ==, 0);
  g_assert_cmpint (back->due_at, ==, due + (t1 - t0));

  /* leaving waiting by a resolve counts the same */
  waiting2 = apply_ok (back, FL_OP_UPDATE, "{\"status\": \"waiting\"}", "sam", FL_ROLE_AGENT, t2);
  resolved = apply_ok (waiting2, FL_OP_RESOLVE, "{\"code\": \"solved\", \"summary\": \"ok\"}",
                       "sam", FL_ROLE_AGENT, t3);
  g_assert_cmpint (resolved->due_at, ==, due + (t1 - t0) + (t3 - t2));
  g_assert_cmpint (resolved->waiting_since, ==, 0);
}

static void
test_apply_versions (void)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  struct { FlOpType type; const char *data; const char *author; FlRole role; } ops[] = {
    { FL_OP_NOTE, "{\"body\": \"Rückruf vereinbart\", \"internal\": false}", "alex", FL_ROLE_AGENT },
    { FL_OP_CHECKLIST, "{\"checklist_id\": \"printer\", \"step_id\": \"paper\", \"outcome\": \"yes\"}",
      "alex", FL_ROLE_AGENT },
    { FL_OP_CLAIM, "{}", "alex", FL_ROLE_AGENT },
    { FL_OP_UPDATE, "{\"category\": \"hardware\"}", "alex", FL_ROLE_AGENT },
    { FL_OP_ASSIGN, "{\"assignee\": \"sam\"}", "boss", FL_ROLE_LEAD },
    { FL_OP_HANDOFF, "{\"queue\": \"hardware\", \"summary\": \"defekt\"}", "sam", FL_ROLE_AGENT },
    { FL_OP_RESOLVE, "{\"code\": \"solved\", \"summary\": \"getauscht\"}", "spec", FL_ROLE_SPECIALIST },
    { FL_OP_REOPEN, "{\"reason\": \"wieder\"}", "alex", FL_ROLE_AGENT },
    { FL_OP_CLOSE, "{}", "boss", FL_ROLE_LEAD },
  };

  g_ptr_array_add (chain, create_ticket ());

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      FlTicket *prev = g_ptr_array_index (chain, chain->len - 1);
      g_autoptr(JsonObject) event_data = NULL;
      g_autoptr(JsonObject) data = fl_test_parse_object (ops[i].data);
      g_autoptr(GError) error = NULL;
      FlTicket *next = apply (prev, ops[i].type, ops[i].data, ops[i].author, ops[i].role,
                              T0 + (i + 1) * HOUR, &event_data, &error);

      g_assert_no_error (error);
      g_assert_cmpint (next->version, ==, i + 2);
      g_assert_cmpint (next->updated_at, ==, T0 + (i + 1) * HOUR);
      g_assert_cmpint (next->created_at, ==, T0);
      g_assert_cmpstr (next->created_by, ==, "alex");
      g_assert_nonnull (event_data);

      /* non-update events carry the op's data as is */
      if (ops[i].type != FL_OP_UPDATE)
        {
          g_autoptr(JsonNode) a = json_node_init_object (json_node_alloc (), data);
          g_autoptr(JsonNode) b = json_node_init_object (json_node_alloc (), event_data);
          assert_json_same (a, b, "event.data", NULL);
        }

      /* note and checklist change nothing but version and updated_at */
      if (ops[i].type == FL_OP_NOTE || ops[i].type == FL_OP_CHECKLIST)
        {
          g_assert_cmpint (next->status, ==, prev->status);
          g_assert_cmpstr (next->assignee, ==, prev->assignee);
          g_assert_cmpint (next->due_at, ==, prev->due_at);
          g_assert_cmpstr (next->title, ==, prev->title);
        }

      g_ptr_array_add (chain, next);
    }

  g_assert_cmpint (((FlTicket *) g_ptr_array_index (chain, chain->len - 1))->status, ==,
                   FL_STATUS_CLOSED);
}

/* fl_json_parse() checks exactly what json-glib would parse */
static void
test_json_untrusted (void)
{
  g_autofree char *opens = g_strnfill (100000, '[');
  g_autofree char *closes = g_strnfill (100000, ']');
  g_autofree char *hidden = g_strconcat ("/*", closes, "*/", opens, closes, NULL);
  const char *refused[] = {
    "", "   ", "not json", "{\"a\":1} // comment", "/* */ {}", "{'a':1}", "{\"a\":#}",
    "{\"a\":\"x\\u0000y\"}", "[\"\\u0000\"]",
    /* more than one value: json-glib returns the first and leaks the rest */
    "1 {}", "0000{\"cursor\":0}", "{}{}", "{} []", "[] [1]", "\"a\" {}", "null[1]",
    /* escapes JSON does not have, and surrogates that make no character */
    "[\"\\x\"]", "[\"\\uzzzz\"]", "[\"\\u12\"]", "[\"\\ud83dx\"]", "[\"\\udc00\"]",
    "[\"\\ud83d\\u0041\"]", "[\"\\ud83d\\ud,00\"]", "[\"\\ud83d\"]",
  };
  const char *accepted[] = {
    "{}", "[]", "{\"a\":[1,2.5e3,-1,true,false,null]}", "{\"s\":\"/* not a comment */ ] ] '\"}",
    "{\"s\":\"quote \\\" and [ brackets {\"}", "\"\\u00fc\"", "1",
    "[\"\\ud83d\\ude00 \\u00C4 \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"]",
  };
  GString *nested = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  node = fl_json_parse (hidden, strlen (hidden), &error);
  g_assert_null (node);
  g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      node = fl_json_parse (refused[i], strlen (refused[i]), &error);
      if (node != NULL)
        g_error ("accepted: %s", refused[i]);
      g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE);
      g_clear_error (&error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      node = fl_json_parse (accepted[i], strlen (accepted[i]), &error);
      g_assert_no_error (error);
      g_assert_nonnull (node);
      json_node_unref (node);
    }

  /* 64 levels are fine, 65 are not; an embedded NUL byte and bad UTF-8 neither */
  for (guint i = 0; i < FL_JSON_MAX_DEPTH; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < FL_JSON_MAX_DEPTH; i++)
    g_string_append_c (nested, ']');
  node = fl_json_parse (nested->str, nested->len, &error);
  g_assert_no_error (error);
  json_node_unref (node);
  g_string_prepend_c (nested, '[');
  g_string_append_c (nested, ']');
  g_assert_null (fl_json_parse (nested->str, nested->len, &error));
  g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE);
  g_clear_error (&error);
  g_string_free (nested, TRUE);

  g_assert_null (fl_json_parse ("{\"a\":1}\0", 8, &error));
  g_clear_error (&error);
  g_assert_null (fl_json_parse ("{\"a\":\"\xff\"}", 9, &error));
  g_clear_error (&error);

  /* not NUL-terminated: only @length bytes are read */
  node = fl_json_parse ("{\"a\":1}garbage", 7, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  json_node_unref (node);
  g_assert_null (fl_json_parse_object ("[1]", 3, &error));
  g_clear_error (&error);
}

/* One list of 2nd-level queues: the demo data hands off only to them, and each
 * has a name for people. */
static void
test_queues (void)
{
  const char * const *queues = fl_queue_get_defaults ();
  const char *expected[] = { "network", "applications", "hardware", "accounts", NULL };
  g_autoptr(GPtrArray) tickets = fl_demo_generate_tickets (400, 3, fl_time_now (), 30);
  guint escalated = 0;

  g_assert_cmpstrv (queues, expected);
  for (guint i = 0; queues[i] != NULL; i++)
    g_assert_cmpstr (fl_queue_get_label (queues[i]), !=, queues[i]);
  g_assert_cmpstr (fl_queue_get_label ("workplace"), ==, "workplace");

  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *t = g_ptr_array_index (tickets, i);

      if (t->level != 2)
        continue;
      escalated++;
      g_assert_true (g_strv_contains (queues, t->queue));
    }
  g_assert_cmpuint (escalated, >, 0);
}

/* fl_ticket_can_apply() agrees with fl_ticket_apply() for every op type, status,
 * role and assignee (none, the user, someone else), and for no ticket at all. */
static void
test_can_apply_table (void)
{
  static const struct { FlOpType type; const char *data; } ops[] = {
    { FL_OP_CREATE,    NULL },  /* create_data */
    { FL_OP_UPDATE,    "{\"status\": \"waiting\"}" },
    { FL_OP_NOTE,      "{\"body\": \"Angerufen\"}" },
    { FL_OP_CHECKLIST, "{\"checklist_id\": \"vpn\", \"step_id\": \"a\", \"outcome\": \"done\"}" },
    { FL_OP_CLAIM,     "{}" },
    { FL_OP_ASSIGN,    "{\"assignee\": \"sam\"}" },
    { FL_OP_HANDOFF,   "{\"queue\": \"network\", \"summary\": \"VPN defekt\"}" },
    { FL_OP_RESOLVE,   "{\"code\": \"solved\", \"summary\": \"Neu gestartet\"}" },
    { FL_OP_REOPEN,    "{\"reason\": \"\"}" },
    { FL_OP_CLOSE,     "{}" },
  };
  const char *assignees[] = { NULL, "alex", "jana" };
  guint allowed = 0, refused = 0;

  for (guint o = 0; o < G_N_ELEMENTS (ops); o++)
    for (int status = -1; status <= FL_STATUS_CLOSED; status++)
      for (FlRole role = FL_ROLE_AGENT; role <= FL_ROLE_LEAD; role++)
        for (guint a = 0; a < G_N_ELEMENTS (assignees); a++)
          {
            g_autoptr(FlTicket) ticket = NULL;
            g_autoptr(FlTicket) applied = NULL;
            g_autoptr(GError) error = NULL;
            gboolean can;

            /* status -1: no ticket (and so no assignee) */
            if (status < 0 && a > 0)
              continue;
            if (status >= 0)
              {
                ticket = create_ticket ();
                ticket->status = status;
                ticket->assignee = g_strdup (assignees[a]);
              }

            can = fl_ticket_can_apply (ticket, ops[o].type, "alex", role);
            applied = apply (ticket, ops[o].type, ops[o].data ? ops[o].data : create_data,
                             "alex", role, T0 + HOUR, NULL, &error);
            if (can != (applied != NULL))
              g_error ("%s on %s, role %s, assignee %s: can_apply says %s, apply %s",
                       fl_op_type_to_string (ops[o].type),
                       status < 0 ? "no ticket" : fl_status_to_string (status),
                       fl_role_to_string (role), assignees[a] ? assignees[a] : "none",
                       can ? "yes" : "no", error ? error->message : "applied it");
            if (can)
              allowed++;
            else
              {
                /* refused for a rule, never for the data */
                g_assert_true (error->code != FL_MODEL_ERROR_TYPE);
                refused++;
              }
          }

  /* The table has both answers. */
  g_assert_cmpuint (allowed, >, 0);
  g_assert_cmpuint (refused, >, 0);
  g_assert_cmpuint (allowed + refused, ==, G_N_ELEMENTS (ops) * (1 + 6 * 3) * 3);

  /* A few rules by name (API 1.1): */
  {
    g_autoptr(FlTicket) t = create_ticket ();

    g_assert_true (fl_ticket_can_apply (t, FL_OP_ASSIGN, "lee", FL_ROLE_LEAD));
    g_assert_false (fl_ticket_can_apply (t, FL_OP_ASSIGN, "alex", FL_ROLE_AGENT));
    t->assignee = g_strdup ("alex");
    g_assert_true (fl_ticket_can_apply (t, FL_OP_ASSIGN, "alex", FL_ROLE_AGENT));
    g_assert_false (fl_ticket_can_apply (t, FL_OP_CLAIM, "jana", FL_ROLE_AGENT));
    t->status = FL_STATUS_ESCALATED;
    g_assert_true (fl_ticket_can_apply (t, FL_OP_HANDOFF, "alex", FL_ROLE_AGENT));
    g_assert_false (fl_ticket_can_apply (t, FL_OP_CLOSE, "alex", FL_ROLE_AGENT));
    g_assert_true (fl_ticket_can_apply (t, FL_OP_CLOSE, "lee", FL_ROLE_LEAD));
    t->status = FL_STATUS_RESOLVED;
    g_assert_true (fl_ticket_can_apply (t, FL_OP_CLOSE, "alex", FL_ROLE_AGENT));
    g_assert_true (fl_ticket_can_apply (t, FL_OP_REOPEN, "alex", FL_ROLE_AGENT));
    g_assert_false (fl_ticket_can_apply (t, FL_OP_RESOLVE, "alex", FL_ROLE_AGENT));
    g_assert_false (fl_ticket_can_apply (NULL, FL_OP_NOTE, "alex", FL_ROLE_AGENT));
    g_assert_true (fl_ticket_can_apply (NULL, FL_OP_CREATE, "alex", FL_ROLE_AGENT));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/model/priority", test_priority);
  fl_test_add_func ("/model/json/untrusted", test_json_untrusted);
  fl_test_add_func ("/model/time", test_time);
  fl_test_add_func ("/model/uuid", test_uuid);
  fl_test_add_func ("/model/enum-strings", test_enum_strings);
  fl_test_add_func ("/model/ticket/spec-example", test_ticket_spec_example);
  fl_test_add_func ("/model/ticket/nulls", test_ticket_nulls);
  fl_test_add_func ("/model/ticket/resolved", test_ticket_resolved);
  fl_test_add_func ("/model/ticket/waiting-since", test_ticket_waiting_since);
  fl_test_add_func ("/model/ticket/validation", test_ticket_validation);
  fl_test_add_func ("/model/ticket/invalid-utf8", test_ticket_invalid_utf8);
  fl_test_add_func ("/model/event/roundtrip", test_event_roundtrip);
  fl_test_add_func ("/model/op/roundtrip", test_op_roundtrip);
  fl_test_add_func ("/model/op/validation", test_op_validation);
  fl_test_add_func ("/model/apply/create", test_apply_create);
  fl_test_add_func ("/model/apply/claim", test_apply_claim);
  fl_test_add_func ("/model/apply/assign", test_apply_assign);
  fl_test_add_func ("/model/apply/handoff", test_apply_handoff);
  fl_test_add_func ("/model/apply/resolve-reopen-close", test_apply_resolve_reopen_close);
  fl_test_add_func ("/model/apply/update-changes", test_apply_update_changes);
  fl_test_add_func ("/model/apply/priority-due", test_apply_priority_due);
  fl_test_add_func ("/model/apply/waiting-pauses-due", test_apply_waiting_pauses_due);
  fl_test_add_func ("/model/apply/waiting-follow-up", test_apply_waiting_follow_up);
  fl_test_add_func ("/model/apply/versions", test_apply_versions);
  fl_test_add_func ("/model/queues", test_queues);
  fl_test_add_func ("/model/apply/can-apply", test_can_apply_table);

  return g_test_run ();
}
