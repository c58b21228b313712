/* test-reports.c — the history and the reports of the real firstline-server, and the
 * CSV export of firstline-cli
 *
 * One server with a known data set (times 20 days ago and relative to now, inside the
 * server's 30-day op window); every figure below is counted by hand from it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fl-test-util.h"

#define PASSWORD "pw-reports"
#define NO_CHANGES G_MAXINT32
#define HOUR_MS (3600 * 1000LL)
#define DAY_MS (24 * HOUR_MS)

static FlTestServer *server;
static char *tok_alex, *tok_sam, *tok_lee;
static char *client_id;
static gint64 now_ms;

/* The tickets of the data set, by letter. */
enum { A, B, C, E, F, H, I, J, K, N_TICKETS };
static char *ids[N_TICKETS];
static gint64 created[N_TICKETS];

static JsonNode *
expect (const char *method,
        const char *path,
        const char *token,
        const char *body,
        guint       expected)
{
  g_autofree char *url = g_strconcat (server->url, "/api/v1", path, NULL);
  guint status = 0;
  JsonNode *node = fl_test_http (method, url, token, body, &status);

  if (status != expected)
    g_error ("%s %s: expected %u, got %u: %s", method, path, expected, status,
             node ? json_to_string (node, FALSE) : "");
  return node;
}

static char *
login (const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}",
                                           name, PASSWORD);
  g_autoptr(JsonNode) node = expect ("POST", "/session", NULL, body, 200);

  return g_strdup (json_object_get_string_member (json_node_get_object (node), "token"));
}

/* Midnight UTC 20 days ago, plus @day days and @hour:@min. */
static gint64
day_time (int day,
          int hour,
          int min)
{
  gint64 midnight = now_ms / DAY_MS * DAY_MS;

  return midnight + (day - 20) * DAY_MS + hour * HOUR_MS + min * 60000LL;
}

static char *
format_ms (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  g_autofree char *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", base, (int) (ms % 1000));
}

static char *
format_day (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);

  return g_date_time_format (dt, "%Y-%m-%d");
}

/* Applies one op of @token at @at and checks that it applied. */
static void
op (const char *token,
    guint       ticket,
    const char *type,
    gint64      at,
    const char *data)
{
  g_autofree char *op_id = g_uuid_string_random ();
  g_autofree char *at_text = format_ms (at);
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) r = NULL;
  JsonObject *result;

  body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,\"ops\":[{\"op_id\":\"%s\","
                          "\"ticket_id\":\"%s\",\"type\":\"%s\",\"base_version\":0,"
                          "\"at\":\"%s\",\"data\":%s}]}",
                          client_id, NO_CHANGES, op_id, ids[ticket], type, at_text, data);
  r = expect ("POST", "/sync", token, body, 200);
  result = json_array_get_object_element (json_object_get_array_member (json_node_get_object (r),
                                                                        "results"), 0);
  if (g_strcmp0 (json_object_get_string_member (result, "status"), "applied") != 0)
    g_error ("%s on %u: %s", type, ticket, json_to_string (r, FALSE));
}

static void
create (guint       ticket,
        gint64      at,
        const char *title,
        const char *category,
        const char *requester)
{
  g_autofree char *data = g_strdup_printf ("{\"title\":\"%s\",\"requester\":{\"name\":\"%s\"},"
                                           "\"category\":\"%s\",\"channel\":\"phone\","
                                           "\"impact\":\"high\",\"urgency\":\"high\"}",
                                           title, requester, category);
  created[ticket] = at;
  op (tok_alex, ticket, "create", at, data);
}

#define RESOLVE(code) "{\"code\":\"" code "\",\"summary\":\"ok\"}"
#define WAITING "{\"status\":\"waiting\"}"
#define WORKING "{\"status\":\"in_progress\"}"

/* Every ticket is P1: due 4 h after creation. */
static void
make_data_set (void)
{
  /* A: resolved at first contact after 10 min, two password steps on the way */
  create (A, day_time (0, 8, 0), "Passwort vergessen", "password", "Jana Krüger");
  op (tok_alex, A, "checklist", day_time (0, 8, 2),
      "{\"checklist_id\":\"password-reset\",\"step_id\":\"user-account\","
      "\"outcome\":\"done\",\"value\":\"jkrueger\"}");
  op (tok_alex, A, "checklist", day_time (0, 8, 5),
      "{\"checklist_id\":\"password-reset\",\"step_id\":\"self-service\",\"outcome\":\"yes\"}");
  op (tok_alex, A, "resolve", day_time (0, 8, 10), RESOLVE ("first_contact"));

  /* B: waited 6 h (due 13:00 → 19:00), resolved at 16:00 after 7 h: late only if the
   * waiting counted */
  create (B, day_time (0, 9, 0), "VPN bricht ab", "network", "Otto Meier");
  op (tok_alex, B, "update", day_time (0, 9, 30), WAITING);
  op (tok_alex, B, "update", day_time (0, 15, 30), WORKING);
  op (tok_alex, B, "resolve", day_time (0, 16, 0), RESOLVE ("solved"));

  /* C: handed off, resolved at level 2 by sam after 5 h (due 14:00: breached) */
  create (C, day_time (0, 10, 0), "Kein Netz im 2. OG", "network", "Eva Schulz");
  op (tok_alex, C, "checklist", day_time (0, 10, 10),
      "{\"checklist_id\":\"network-connection\",\"step_id\":\"others-affected\","
      "\"outcome\":\"yes\"}");
  op (tok_alex, C, "handoff", day_time (0, 10, 30),
      "{\"queue\":\"network-2nd\",\"summary\":\"Switch?\"}");
  op (tok_sam, C, "resolve", day_time (0, 15, 0), RESOLVE ("solved"));

  /* E: resolved after 1 h, reopened 2 days later, resolved again (breached) */
  create (E, day_time (1, 8, 0), "Drucker druckt leer", "printer", "Jana Krüger");
  op (tok_alex, E, "resolve", day_time (1, 9, 0), RESOLVE ("solved"));
  op (tok_alex, E, "reopen", day_time (3, 9, 0), "{\"reason\":\"again\"}");
  op (tok_alex, E, "resolve", day_time (3, 10, 0), RESOLVE ("solved"));

  /* F: resolved, reopened 8 days later (not "within 7 days"), open since: breached */
  create (F, day_time (1, 10, 0), "Toner, \\\"schwarz\\\"", "printer", "Max Mustermann");
  op (tok_alex, F, "resolve", day_time (1, 11, 0), RESOLVE ("workaround"));
  op (tok_alex, F, "reopen", day_time (9, 11, 0), "{\"reason\":\"still\"}");

  /* H: 10 h old, waiting since 1 h after creation (before due): not breached although
   * due_at has passed */
  create (H, now_ms - 10 * HOUR_MS, "Konto gesperrt", "password", "Lena Vogel");
  op (tok_alex, H, "checklist", now_ms - 9 * HOUR_MS - 30 * 60000,
      "{\"checklist_id\":\"password-reset\",\"step_id\":\"user-account\","
      "\"outcome\":\"done\",\"value\":\"lvogel\"}");
  op (tok_alex, H, "update", now_ms - 9 * HOUR_MS, WAITING);

  /* I: 2 days old, waiting since 5 h after creation (after due): breached */
  create (I, now_ms - 2 * DAY_MS, "WLAN, langsam\\nim Lager", "network", "Udo Örtel");
  op (tok_alex, I, "update", now_ms - 2 * DAY_MS + 5 * HOUR_MS, WAITING);

  /* J: 1 h old, new, due in 3 h */
  create (J, now_ms - HOUR_MS, "Office installieren", "software", "Jana Krüger");

  /* K: 5 days old, claimed by alex: breached */
  create (K, now_ms - 5 * DAY_MS, "Lizenz abgelaufen", "software", "Kai Berg");
  op (tok_alex, K, "claim", now_ms - 5 * DAY_MS + 60000, "{}");
}

static JsonObject *
find_by (JsonArray  *array,
         const char *key,
         const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (o, key), value) == 0)
        return o;
    }
  return NULL;
}

static char *
range_path (const char *report)
{
  g_autofree char *from = format_day (day_time (0, 0, 0));
  g_autofree char *to = format_day (now_ms + DAY_MS);

  return g_strdup_printf ("/reports/%s?from=%s&to=%s", report, from, to);
}

#define INT(o, name) json_object_get_int_member ((o), (name))
#define RATE(o, name) json_object_get_double_member ((o), (name))

static void
test_summary (void)
{
  g_autofree char *path = range_path ("summary");
  g_autoptr(JsonNode) r = expect ("GET", path, tok_lee, NULL, 200);
  JsonObject *o = json_node_get_object (r);
  JsonArray *aging, *cats, *agents, *days;
  static const char * const buckets[] = { "lt_4h", "4h_24h", "1d_3d", "3d_7d", "gt_7d" };
  gint64 sum_created = 0, sum_resolved = 0;

  g_assert_cmpint (INT (o, "created"), ==, 9);
  /* A, B, C, E (F was reopened) */
  g_assert_cmpint (INT (o, "resolved"), ==, 4);
  g_assert_cmpint (INT (o, "escalated"), ==, 1);
  /* F, H, I, J, K */
  g_assert_cmpint (INT (o, "open"), ==, 5);
  g_assert_cmpfloat_with_epsilon (RATE (o, "first_contact_rate"), 1.0 / 4, 1e-9);
  /* A, B, E */
  g_assert_cmpfloat_with_epsilon (RATE (o, "level1_resolution_rate"), 3.0 / 4, 1e-9);
  g_assert_cmpfloat_with_epsilon (RATE (o, "escalation_rate"), 1.0 / 9, 1e-9);
  /* E only: F's reopen came 8 days after its resolve */
  g_assert_cmpfloat_with_epsilon (RATE (o, "reopen_rate"), 1.0 / 4, 1e-9);
  /* A 600 s, C 18000 s, B 25200 s, E 2 d 2 h = 180000 s */
  g_assert_cmpint (INT (o, "median_resolve_seconds"), ==, (18000 + 25200) / 2);
  g_assert_cmpint (INT (o, "p90_resolve_seconds"), ==, 180000);
  /* C, E resolved late; F, I, K open past due. Not B (waited), not H (waiting since
   * before its due time), not J. */
  g_assert_cmpint (INT (o, "sla_breaches"), ==, 5);

  aging = json_object_get_array_member (o, "backlog_aging");
  g_assert_cmpuint (json_array_get_length (aging), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      JsonObject *b = json_array_get_object_element (aging, i);

      g_assert_cmpstr (json_object_get_string_member (b, "bucket"), ==, buckets[i]);
      /* J; H; I; K; F */
      g_assert_cmpint (INT (b, "open"), ==, 1);
    }

  cats = json_object_get_array_member (o, "by_category");
  g_assert_cmpuint (json_array_get_length (cats), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (cats, 0),
                                                  "category"), ==, "network");
  g_assert_cmpint (INT (find_by (cats, "category", "network"), "created"), ==, 3);
  g_assert_cmpint (INT (find_by (cats, "category", "network"), "resolved"), ==, 2);
  g_assert_cmpint (INT (find_by (cats, "category", "network"), "escalated"), ==, 1);
  g_assert_cmpint (INT (find_by (cats, "category", "password"), "created"), ==, 2);
  g_assert_cmpint (INT (find_by (cats, "category", "password"), "resolved"), ==, 1);
  g_assert_cmpint (INT (find_by (cats, "category", "printer"), "created"), ==, 2);
  g_assert_cmpint (INT (find_by (cats, "category", "printer"), "resolved"), ==, 1);
  g_assert_cmpint (INT (find_by (cats, "category", "software"), "created"), ==, 2);
  g_assert_cmpint (INT (find_by (cats, "category", "software"), "resolved"), ==, 0);

  /* alex, dana (no tickets at all), sam; lee is a lead with nothing to count */
  agents = json_object_get_array_member (o, "by_agent");
  g_assert_cmpuint (json_array_get_length (agents), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (agents, 1),
                                                  "agent"), ==, "dana");
  g_assert_cmpint (INT (find_by (agents, "agent", "alex"), "resolved"), ==, 3);
  g_assert_cmpint (INT (find_by (agents, "agent", "alex"), "first_contact"), ==, 1);
  g_assert_cmpint (INT (find_by (agents, "agent", "alex"), "escalated"), ==, 1);
  g_assert_cmpint (INT (find_by (agents, "agent", "dana"), "resolved"), ==, 0);
  g_assert_cmpint (INT (find_by (agents, "agent", "dana"), "escalated"), ==, 0);
  g_assert_cmpint (INT (find_by (agents, "agent", "dana"), "first_contact"), ==, 0);
  g_assert_cmpint (INT (find_by (agents, "agent", "sam"), "resolved"), ==, 1);
  g_assert_cmpint (INT (find_by (agents, "agent", "sam"), "escalated"), ==, 0);

  days = json_object_get_array_member (o, "by_day");
  {
    g_autofree char *d0 = format_day (day_time (0, 0, 0));
    g_autofree char *d1 = format_day (day_time (1, 0, 0));
    g_autofree char *d3 = format_day (day_time (3, 0, 0));

    /* A, B, C created and resolved on day 0; E, F created on day 1 (F's resolve there
     * was undone); E resolved on day 3 */
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (days, 0),
                                                    "day"), ==, d0);
    g_assert_cmpint (INT (find_by (days, "day", d0), "created"), ==, 3);
    g_assert_cmpint (INT (find_by (days, "day", d0), "resolved"), ==, 3);
    g_assert_cmpint (INT (find_by (days, "day", d1), "created"), ==, 2);
    g_assert_cmpint (INT (find_by (days, "day", d1), "resolved"), ==, 0);
    g_assert_cmpint (INT (find_by (days, "day", d3), "created"), ==, 0);
    g_assert_cmpint (INT (find_by (days, "day", d3), "resolved"), ==, 1);
  }
  for (guint i = 0; i < json_array_get_length (days); i++)
    {
      sum_created += INT (json_array_get_object_element (days, i), "created");
      sum_resolved += INT (json_array_get_object_element (days, i), "resolved");
    }
  g_assert_cmpint (sum_created, ==, 9);
  g_assert_cmpint (sum_resolved, ==, 4);
}

/* A range without tickets: zeros, and all five buckets. */
static void
test_summary_empty (void)
{
  g_autofree char *from = format_ms (day_time (-40, 0, 0));
  g_autofree char *to = format_ms (day_time (-39, 0, 0));
  g_autofree char *path = g_strdup_printf ("/reports/summary?from=%s&to=%s", from, to);
  g_autoptr(JsonNode) r = expect ("GET", path, tok_lee, NULL, 200);
  JsonObject *o = json_node_get_object (r);

  g_assert_cmpint (INT (o, "created"), ==, 0);
  g_assert_cmpfloat (RATE (o, "reopen_rate"), ==, 0.0);
  g_assert_cmpint (INT (o, "p90_resolve_seconds"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "backlog_aging")),
                    ==, 5);
  g_assert_cmpint (INT (json_array_get_object_element (json_object_get_array_member (o, "backlog_aging"), 4), "open"), ==, 0);
}

static void
test_checklists_report (void)
{
  g_autofree char *path = range_path ("checklists");
  g_autoptr(JsonNode) r = expect ("GET", path, tok_lee, NULL, 200);
  JsonObject *o = json_node_get_object (r);
  JsonArray *lists = json_object_get_array_member (o, "checklists");
  JsonObject *net, *pw, *step;
  JsonArray *steps;

  g_assert_nonnull (json_object_get_string_member (o, "from"));
  g_assert_nonnull (json_object_get_string_member (o, "to"));
  g_assert_cmpuint (json_array_get_length (lists), ==, 2);
  net = json_array_get_object_element (lists, 0);
  pw = json_array_get_object_element (lists, 1);

  g_assert_cmpstr (json_object_get_string_member (net, "checklist_id"), ==, "network-connection");
  g_assert_cmpint (INT (net, "checklist_version"), ==, 1);
  g_assert_cmpint (INT (net, "started"), ==, 1);
  g_assert_cmpint (INT (net, "resolved_l1"), ==, 0);
  g_assert_cmpint (INT (net, "escalated"), ==, 1);
  steps = json_object_get_array_member (net, "steps");
  step = json_array_get_object_element (steps, 0);
  g_assert_cmpstr (json_object_get_string_member (step, "step_id"), ==, "others-affected");
  g_assert_true (strlen (json_object_get_string_member (step, "text")) > 0);
  g_assert_cmpint (INT (step, "reached"), ==, 1);
  g_assert_cmpint (INT (step, "resolved_l1"), ==, 0);
  g_assert_cmpint (INT (step, "escalated"), ==, 1);
  /* 10:10 → 15:00 */
  g_assert_cmpint (INT (step, "median_seconds_to_resolve"), ==, 4 * 3600 + 50 * 60);
  g_assert_cmpint (INT (json_array_get_object_element (steps, 1), "reached"), ==, 0);

  g_assert_cmpstr (json_object_get_string_member (pw, "checklist_id"), ==, "password-reset");
  g_assert_cmpstr (json_object_get_string_member (pw, "title"), ==, "Password reset");
  /* A and H */
  g_assert_cmpint (INT (pw, "started"), ==, 2);
  g_assert_cmpint (INT (pw, "resolved_l1"), ==, 1);
  g_assert_cmpint (INT (pw, "escalated"), ==, 0);
  steps = json_object_get_array_member (pw, "steps");
  step = find_by (steps, "step_id", "user-account");
  g_assert_cmpint (INT (step, "reached"), ==, 2);
  g_assert_cmpint (INT (step, "resolved_l1"), ==, 1);
  g_assert_cmpint (INT (step, "escalated"), ==, 0);
  /* A only is resolved: 08:02 → 08:10 */
  g_assert_cmpint (INT (step, "median_seconds_to_resolve"), ==, 480);
  step = find_by (steps, "step_id", "self-service");
  g_assert_cmpint (INT (step, "reached"), ==, 1);
  g_assert_cmpint (INT (step, "median_seconds_to_resolve"), ==, 300);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (steps, 0),
                                                  "step_id"), ==, "user-account");
}

static void
test_roles (void)
{
  static const char * const paths[] = { "/reports/summary", "/reports/checklists" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      const char *tokens[] = { tok_alex, tok_sam };

      for (guint k = 0; k < G_N_ELEMENTS (tokens); k++)
        {
          g_autoptr(JsonNode) r = expect ("GET", paths[i], tokens[k], NULL, 403);
          JsonObject *err = json_object_get_object_member (json_node_get_object (r), "error");

          g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "forbidden");
        }
      json_node_unref (expect ("GET", paths[i], NULL, NULL, 401));
      json_node_unref (expect ("GET", paths[i], tok_lee, NULL, 200));
    }
  json_node_unref (expect ("POST", "/reports/checklists", tok_lee, NULL, 405));
  json_node_unref (expect ("GET", "/reports/checklists?from=x", tok_lee, NULL, 400));
}

/* The ids of a page answer, in order. */
static GPtrArray *
page_ids (JsonNode  *r,
          gint64    *total,
          char     **next)
{
  JsonObject *o = json_node_get_object (r);
  JsonArray *tickets = json_object_get_array_member (o, "tickets");
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    g_ptr_array_add (out, g_strdup (json_object_get_string_member (
                                      json_array_get_object_element (tickets, i), "id")));
  *total = INT (o, "total");
  *next = json_object_has_member (o, "next")
          ? g_strdup (json_object_get_string_member (o, "next")) : NULL;
  return out;
}

/* Newest first: the data set's tickets by created_at, descending. */
static int
compare_newest (gconstpointer a,
                gconstpointer b)
{
  gint64 x = created[*(const guint *) a];
  gint64 y = created[*(const guint *) b];
  return x > y ? -1 : x < y ? 1 : 0;
}

static void
expect_filter (const char *query,
               guint       n,
               ...)
{
  g_autofree char *path = g_strdup_printf ("/tickets?%s", query);
  g_autoptr(JsonNode) r = expect ("GET", path, tok_sam, NULL, 200);
  g_autofree char *next = NULL;
  gint64 total = 0;
  g_autoptr(GPtrArray) got = page_ids (r, &total, &next);
  va_list ap;

  g_assert_cmpint (total, ==, n);
  g_assert_cmpuint (got->len, ==, n);
  g_assert_null (next);
  va_start (ap, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (got, i), ==, ids[va_arg (ap, guint)]);
  va_end (ap);
}

static void
test_paging (void)
{
  guint order[N_TICKETS];
  g_autofree char *after = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  guint pages = 0;

  for (guint i = 0; i < N_TICKETS; i++)
    order[i] = i;
  qsort (order, N_TICKETS, sizeof (guint), compare_newest);

  /* Keyset pages of 2: every ticket once, newest first, total on every page. */
  do
    {
      g_autofree char *path = after
        ? g_strdup_printf ("/tickets?limit=2&after=%s", after) : g_strdup ("/tickets?limit=2");
      g_autoptr(JsonNode) r = expect ("GET", path, tok_lee, NULL, 200);
      g_autofree char *next = NULL;
      gint64 total = 0;
      g_autoptr(GPtrArray) got = page_ids (r, &total, &next);

      g_assert_cmpint (total, ==, N_TICKETS);
      g_assert_cmpuint (got->len, ==, pages < 4 ? 2 : 1);
      for (guint i = 0; i < got->len; i++)
        g_ptr_array_add (all, g_strdup (g_ptr_array_index (got, i)));
      g_free (after);
      after = g_steal_pointer (&next);
      pages++;
    }
  while (after != NULL && pages < 20);
  g_assert_cmpuint (pages, ==, 5);
  g_assert_cmpuint (all->len, ==, N_TICKETS);
  for (guint i = 0; i < N_TICKETS; i++)
    g_assert_cmpstr (g_ptr_array_index (all, i), ==, ids[order[i]]);

  /* Offset pages give the same order. */
  {
    g_autoptr(JsonNode) r = expect ("GET", "/tickets?limit=3&offset=3", tok_lee, NULL, 200);
    g_autofree char *next = NULL;
    gint64 total = 0;
    g_autoptr(GPtrArray) got = page_ids (r, &total, &next);

    g_assert_cmpuint (got->len, ==, 3);
    for (guint i = 0; i < 3; i++)
      g_assert_cmpstr (g_ptr_array_index (got, i), ==, ids[order[3 + i]]);
    g_assert_nonnull (next);
  }

  /* Filters, each alone and combined */
  expect_filter ("status=waiting", 2, H, I);
  expect_filter ("category=network", 3, I, C, B);
  expect_filter ("assignee=alex", 1, K);
  expect_filter ("level=2", 1, C);
  expect_filter ("queue=network-2nd", 1, C);
  expect_filter ("q=kruger", 3, J, E, A);
  expect_filter ("q=Drucker", 1, E);
  expect_filter ("category=printer&status=in_progress", 1, F);
  {
    g_autofree char *d1 = format_day (day_time (1, 0, 0));
    g_autofree char *q = g_strdup_printf ("from=%s&to=%s", d1, d1);

    expect_filter (q, 2, F, E);
  }
  expect_filter ("status=closed", 0);

  /* Bad input */
  json_node_unref (expect ("GET", "/tickets?after=12", tok_lee, NULL, 400));
  json_node_unref (expect ("GET", "/tickets?after=a:b", tok_lee, NULL, 400));
  json_node_unref (expect ("GET", "/tickets?after=1:0", tok_lee, NULL, 400));
  json_node_unref (expect ("GET", "/tickets?level=3", tok_lee, NULL, 422));
  json_node_unref (expect ("GET", "/tickets?status=open", tok_lee, NULL, 422));
}


/* The total of GET /tickets?@query&from=…&to=… (the summary's range). */
static gint64
count_where (const char *query)
{
  g_autofree char *from = format_day (day_time (0, 0, 0));
  g_autofree char *to = format_day (now_ms + DAY_MS);
  g_autofree char *path = g_strdup_printf ("/tickets?limit=1&from=%s&to=%s&%s", from, to, query);
  g_autoptr(JsonNode) r = expect ("GET", path, tok_lee, NULL, 200);

  return INT (json_node_get_object (r), "total");
}

/* Every figure of the summary drills down to exactly the tickets it counts. */
static void
test_drilldown (void)
{
  g_autofree char *path = range_path ("summary");
  g_autoptr(JsonNode) r = expect ("GET", path, tok_lee, NULL, 200);
  JsonObject *o = json_node_get_object (r);
  gint64 resolved = INT (o, "resolved");
  JsonArray *aging = json_object_get_array_member (o, "backlog_aging");
  JsonArray *agents = json_object_get_array_member (o, "by_agent");
  JsonArray *cats = json_object_get_array_member (o, "by_category");

  g_assert_cmpint (count_where ("kpi=resolved"), ==, resolved);
  g_assert_cmpint (count_where ("kpi=open"), ==, INT (o, "open"));
  g_assert_cmpint (count_where ("kpi=escalated"), ==, INT (o, "escalated"));
  g_assert_cmpint (count_where ("kpi=breached"), ==, INT (o, "sla_breaches"));
  g_assert_cmpint (count_where ("kpi=first_contact"), ==,
                   (gint64) (RATE (o, "first_contact_rate") * resolved + 0.5));
  g_assert_cmpint (count_where ("kpi=level1"), ==,
                   (gint64) (RATE (o, "level1_resolution_rate") * resolved + 0.5));
  g_assert_cmpint (count_where ("kpi=reopened"), ==,
                   (gint64) (RATE (o, "reopen_rate") * resolved + 0.5));
  for (guint i = 0; i < json_array_get_length (aging); i++)
    {
      JsonObject *b = json_array_get_object_element (aging, i);
      g_autofree char *q = g_strdup_printf ("kpi=%s", json_object_get_string_member (b, "bucket"));

      g_assert_cmpint (count_where (q), ==, INT (b, "open"));
    }
  for (guint i = 0; i < json_array_get_length (agents); i++)
    {
      JsonObject *a = json_array_get_object_element (agents, i);
      const char *name = json_object_get_string_member (a, "agent");
      g_autofree char *q1 = g_strdup_printf ("resolved_by=%s", name);
      g_autofree char *q2 = g_strdup_printf ("handed_off_by=%s", name);
      g_autofree char *q3 = g_strdup_printf ("resolved_by=%s&kpi=first_contact", name);

      g_assert_cmpint (count_where (q1), ==, INT (a, "resolved"));
      g_assert_cmpint (count_where (q2), ==, INT (a, "escalated"));
      g_assert_cmpint (count_where (q3), ==, INT (a, "first_contact"));
    }
  for (guint i = 0; i < json_array_get_length (cats); i++)
    {
      JsonObject *c = json_array_get_object_element (cats, i);
      const char *name = json_object_get_string_member (c, "category");
      g_autofree char *q1 = g_strdup_printf ("category=%s", name);
      g_autofree char *q2 = g_strdup_printf ("category=%s&kpi=resolved", name);
      g_autofree char *q3 = g_strdup_printf ("category=%s&kpi=escalated", name);

      g_assert_cmpint (count_where (q1), ==, INT (c, "created"));
      g_assert_cmpint (count_where (q2), ==, INT (c, "resolved"));
      g_assert_cmpint (count_where (q3), ==, INT (c, "escalated"));
    }

  {
    JsonArray *days = json_object_get_array_member (o, "by_day");

    for (guint i = 0; i < json_array_get_length (days); i++)
      {
        JsonObject *d = json_array_get_object_element (days, i);
        const char *day = json_object_get_string_member (d, "day");
        g_autofree char *q1 = g_strdup_printf ("from=%s&to=%s", day, day);
        g_autofree char *q2 = g_strdup_printf ("resolved_from=%s&resolved_to=%s", day, day);
        g_autofree char *day_path = g_strdup_printf ("/tickets?limit=1&%s", q1);
        g_autoptr(JsonNode) r1 = expect ("GET", day_path, tok_lee, NULL, 200);

        g_assert_cmpint (INT (json_node_get_object (r1), "total"), ==, INT (d, "created"));
        g_assert_cmpint (count_where (q2), ==, INT (d, "resolved"));
      }
  }

  /* and by hand: C and E resolved late, F, I and K open past due */
  expect_filter ("kpi=breached", 5, I, K, F, E, C);
  expect_filter ("kpi=reopened", 1, E);
  expect_filter ("kpi=4h_24h", 1, H);
  json_node_unref (expect ("GET", "/tickets?kpi=late", tok_lee, NULL, 422));
}

/* -------------------------------------------------------------------------- */
/* firstline-cli export                                                          */

static int
cli (const char  *cache,
     const char  *stdin_text,
     char       **out,
     char       **err,
     ...) G_GNUC_NULL_TERMINATED;

static int
cli (const char  *cache,
     const char  *stdin_text,
     char       **out,
     char       **err,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (argv, (gpointer) FL_TEST_CLI_PATH);
  g_ptr_array_add (argv, (gpointer) "--cache");
  g_ptr_array_add (argv, (gpointer) cache);
  va_start (ap, err);
  for (const char *a = va_arg (ap, const char *); a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  return fl_test_run ((const char * const *) argv->pdata, stdin_text, out, err);
}

static void
login_cli (const char *cache)
{
  g_autofree char *err = NULL;
  int status = cli (cache, PASSWORD "\n", NULL, &err, "login", server->url, "lee", NULL);

  if (status != 0)
    g_printerr ("# login: %s\n", err);
  g_assert_cmpint (status, ==, 0);
}

/* A minimal RFC 4180 reader: the rows of @text, each a GStrv. */
static GPtrArray *
parse_csv (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) row = g_ptr_array_new ();
  g_autoptr(GString) field = g_string_new (NULL);
  const char *p = text;

  while (*p)
    {
      if (*p == '"')
        {
          for (p++; *p && !(*p == '"' && p[1] != '"'); p++)
            {
              if (*p == '"')
                p++;
              g_string_append_c (field, *p);
            }
          g_assert_true (*p == '"');
          p++;
        }
      else
        while (*p && *p != ',' && *p != '\r' && *p != '\n')
          g_string_append_c (field, *p++);

      g_ptr_array_add (row, g_strdup (field->str));
      g_string_truncate (field, 0);
      if (*p == ',')
        p++;
      else
        {
          g_assert_true (p[0] == '\r' && p[1] == '\n');
          p += 2;
          g_ptr_array_add (row, NULL);
          g_ptr_array_add (rows, g_ptr_array_free (g_steal_pointer (&row), FALSE));
          row = g_ptr_array_new ();
        }
    }
  return rows;
}

static void
test_export (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-export-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *cache_alex = g_build_filename (dir, "alex.db", NULL);
  g_autofree char *file = g_build_filename (dir, "out.csv", NULL);
  g_autofree char *from = format_day (day_time (0, 0, 0));
  g_autofree char *to = format_day (now_ms);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  char **header;

  login_cli (cache);

  /* to stdout */
  g_assert_cmpint (cli (cache, NULL, &out, &err, "export", "--from", from, "--to", to, "-",
                        NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "number,id,title,status,priority,category,requester,"
                                        "assignee,level,queue,created_at,resolved_at,due_at,"
                                        "resolution_code,handed_off,sla_breached\r\n"));
  rows = parse_csv (out);
  g_assert_cmpuint (rows->len, ==, 1 + N_TICKETS);
  header = g_ptr_array_index (rows, 0);
  g_assert_cmpuint (g_strv_length (header), ==, 16);
  for (guint i = 1; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      g_assert_cmpuint (g_strv_length (row), ==, 16);
      if (g_str_equal (row[1], ids[F]))
        {
          /* a quote and a comma */
          g_assert_cmpstr (row[2], ==, "Toner, \"schwarz\"");
          g_assert_cmpstr (row[3], ==, "in_progress");
          g_assert_cmpstr (row[6], ==, "Max Mustermann");
          g_assert_cmpstr (row[15], ==, "true");
        }
      else if (g_str_equal (row[1], ids[I]))
        {
          /* a comma, a newline and an umlaut */
          g_assert_cmpstr (row[2], ==, "WLAN, langsam\nim Lager");
          g_assert_cmpstr (row[6], ==, "Udo Örtel");
          g_assert_cmpstr (row[3], ==, "waiting");
          g_assert_cmpstr (row[15], ==, "true");
        }
      else if (g_str_equal (row[1], ids[C]))
        {
          g_assert_cmpstr (row[8], ==, "2");
          g_assert_cmpstr (row[9], ==, "network-2nd");
          g_assert_cmpstr (row[13], ==, "solved");
          g_assert_cmpstr (row[14], ==, "true");
          g_assert_cmpstr (row[15], ==, "true");
        }
      else if (g_str_equal (row[1], ids[B]))
        {
          g_assert_cmpstr (row[4], ==, "1");
          g_assert_cmpstr (row[14], ==, "false");
          /* waited: not breached */
          g_assert_cmpstr (row[15], ==, "false");
          g_assert_true (g_str_has_suffix (row[11], "T16:00:00.000Z"));
        }
      else if (g_str_equal (row[1], ids[H]))
        g_assert_cmpstr (row[15], ==, "false");
      else if (g_str_equal (row[1], ids[K]))
        g_assert_cmpstr (row[7], ==, "alex");
    }
  /* The raw quoting */
  g_assert_nonnull (strstr (out, ",\"Toner, \"\"schwarz\"\"\","));
  g_assert_nonnull (strstr (out, ",\"WLAN, langsam\nim Lager\","));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* to a file, filtered */
  g_assert_cmpint (cli (cache, NULL, &out, &err, "export", "--from", from, "--to", to,
                        "--category", "network", "--status", "resolved", file, NULL), ==, 0);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = parse_csv (contents);
  g_assert_cmpuint (rows->len, ==, 3);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (cli (cache, NULL, &out, &err, "export", "--from", from, "--to", to,
                        "--assignee", "alex", "-", NULL), ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = parse_csv (out);
  g_assert_cmpuint (rows->len, ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* usage errors */
  g_assert_cmpint (cli (cache, NULL, NULL, &err, "export", "--to", to, "-", NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (cache, NULL, NULL, &err, "export", "--from", "2026-02-30", "--to", to,
                        "-", NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (cache, NULL, NULL, &err, "export", "--from", to, "--to", from, "-",
                        NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (cache, NULL, NULL, &err, "export", "--from", from, "--to", to,
                        "--status", "open", "-", NULL), ==, 2);
  g_clear_pointer (&err, g_free);

  /* An agent may not */
  {
    g_autofree char *agent_cache = g_build_filename (dir, "agent.db", NULL);
    g_autofree char *none = g_build_filename (dir, "agent.csv", NULL);

    g_assert_cmpint (cli (agent_cache, PASSWORD "\n", NULL, NULL, "login", server->url, "alex",
                          NULL), ==, 0);
    g_assert_cmpint (cli (agent_cache, NULL, NULL, &err, "export", "--from", from, "--to", to,
                          none, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "team lead"));
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
    g_clear_pointer (&err, g_free);
  }

  /* Not logged in: an error, and no file */
  {
    g_autofree char *none = g_build_filename (dir, "none.csv", NULL);

    g_assert_cmpint (cli (cache_alex, NULL, NULL, &err, "export", "--from", from, "--to", to,
                          none, NULL), ==, 1);
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
    g_clear_pointer (&err, g_free);
  }

  fl_test_rm_rf (dir);
}

/* Many pages: no row cap, the pages joined without a gap or a double. */
static void
test_export_pages (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-export-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *from = format_day (now_ms - 31 * DAY_MS);
  g_autofree char *to = format_day (now_ms);
  g_autoptr(GString) ops = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *out = NULL;
  guint extra = 1200;

  /* 1200 tickets more, in batches of 400, created within the same second */
  for (guint batch = 0; batch < extra / 400; batch++)
    {
      g_autoptr(JsonNode) r = NULL;
      g_autofree char *body = NULL;

      g_string_truncate (ops, 0);
      for (guint i = 0; i < 400; i++)
        {
          g_autofree char *op_id = g_uuid_string_random ();
          g_autofree char *tid = g_uuid_string_random ();

          g_string_append_printf (ops, "%s{\"op_id\":\"%s\",\"ticket_id\":\"%s\","
                                  "\"type\":\"create\",\"base_version\":0,\"data\":"
                                  "{\"title\":\"Bulk %u\",\"requester\":{\"name\":\"Bulk\"},"
                                  "\"category\":\"other\",\"channel\":\"portal\"}}",
                                  i ? "," : "", op_id, tid, batch * 400 + i);
        }
      body = g_strdup_printf ("{\"client_id\":\"%s\",\"cursor\":%d,\"ops\":[%s]}",
                              client_id, NO_CHANGES, ops->str);
      r = expect ("POST", "/sync", tok_alex, body, 200);
    }

  login_cli (cache);
  g_assert_cmpint (cli (cache, NULL, &out, NULL, "export", "--from", from, "--to", to, "-",
                        NULL), ==, 0);
  rows = parse_csv (out);
  g_assert_cmpuint (rows->len, ==, 1 + N_TICKETS + extra);
  for (guint i = 1; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      g_assert_false (g_hash_table_contains (seen, row[1]));
      g_hash_table_add (seen, row[1]);
    }
  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *checklists = NULL;
  int ret;

  /* The isolated folders hold no GSettings schemas for GIO's proxy lookup; and the CLI
   * keeps its token in the fallback file. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DISPLAY");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  checklists = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data", "checklists", NULL);
  g_setenv ("FIRSTLINE_CHECKLIST_DIR", checklists, TRUE);

  dir = g_dir_make_tmp ("fl-reports-XXXXXX", NULL);
  fl_test_add_user (dir, "alex", "agent", PASSWORD);
  fl_test_add_user (dir, "dana", "agent", PASSWORD);
  fl_test_add_user (dir, "sam", "specialist", PASSWORD);
  fl_test_add_user (dir, "lee", "lead", PASSWORD);
  server = fl_test_server_start (dir);
  tok_alex = login ("alex");
  tok_sam = login ("sam");
  tok_lee = login ("lee");
  client_id = g_uuid_string_random ();
  now_ms = g_get_real_time () / 1000;
  for (guint i = 0; i < N_TICKETS; i++)
    ids[i] = g_uuid_string_random ();
  make_data_set ();

  g_test_add_func ("/reports/summary", test_summary);
  g_test_add_func ("/reports/summary/empty", test_summary_empty);
  g_test_add_func ("/reports/checklists", test_checklists_report);
  g_test_add_func ("/reports/roles", test_roles);
  g_test_add_func ("/reports/tickets/paging", test_paging);
  g_test_add_func ("/reports/tickets/drilldown", test_drilldown);
  g_test_add_func ("/reports/export", test_export);
  g_test_add_func ("/reports/export/pages", test_export_pages);

  ret = g_test_run ();

  fl_test_server_free (server);
  fl_test_rm_rf (dir);
  for (guint i = 0; i < N_TICKETS; i++)
    g_free (ids[i]);
  g_free (tok_alex);
  g_free (tok_sam);
  g_free (tok_lee);
  g_free (client_id);
  return ret;
}
