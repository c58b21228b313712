/* test-checklist.c — the checklist format, its validator, the built-in checklists and the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "fl-categories.h"
#include "fl-checklist.h"
#include "fl-checklist-engine.h"
#include "fl-checklist-library.h"
#include "fl-context.h"
#include "fl-data.h"
#include "fl-test-util.h"
#include "fl-ticket.h"

#define TICKET_ID "0b7f6a5e-4a51-4d0e-9c1a-2f3e4d5c6b7a"

/* Definitions are written with ' for " to keep them readable. */
static char *
unquote (const char *json)
{
  char *s = g_strdup (json);

  for (char *p = s; *p; p++)
    if (*p == '\'')
      *p = '"';

  return s;
}

static JsonNode *
parse_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = unquote (json);

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);

  return json_node_copy (json_parser_get_root (parser));
}

static FlChecklist *
parse (const char  *json,
       GError     **error)
{
  g_autoptr(JsonNode) node = parse_json (json);

  return fl_checklist_new_from_json (node, error);
}

static char *
to_string (FlChecklist *checklist)
{
  g_autoptr(JsonNode) node = fl_checklist_to_json (checklist);

  return json_to_string (node, FALSE);
}

static char *
builtin_dir (void)
{
  const char *src = g_getenv ("FIRSTLINE_SOURCE_DIR");

  g_assert_nonnull (src);
  return g_build_filename (src, "data", "checklists", NULL);
}

static FlEvent *
make_event (JsonObject *data)
{
  g_autofree char *id = fl_uuid_new ();

  return fl_event_new (id, TICKET_ID, 0, fl_time_now (), "alex", FL_OP_CHECKLIST, data);
}

/* Records the answer on @run the way the app does: make the op data, check it
 * against the op table, apply it. */
static void
record (FlChecklistRun     *run,
        GPtrArray          *events,
        const char         *step_id,
        FlChecklistOutcome  outcome,
        const char         *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = NULL;
  FlEvent *event;

  data = fl_checklist_run_make_step_data (run, step_id, outcome, value, &error);
  g_assert_no_error (error);
  g_assert_nonnull (data);
  g_assert_true (fl_op_validate_data (FL_OP_CHECKLIST, data, &error));
  g_assert_no_error (error);

  event = make_event (data);
  g_assert_true (fl_checklist_run_add_event (run, event, &error));
  g_assert_no_error (error);
  if (events != NULL)
    g_ptr_array_add (events, event);
  else
    g_object_unref (event);
}

/* -------------------------------------------------------------------------- */

#define GOOD \
  "{'id': 'vpn-test', 'version': 3, 'category': 'network'," \
  " 'title': {'de': 'VPN prüfen', 'en': 'Check VPN'}, 'start': 'verify'," \
  " 'steps': [" \
  "  {'id': 'verify', 'kind': 'check', 'text': {'de': 'Identität prüfen', 'en': 'Verify identity'}," \
  "   'help': {'de': 'Rückruf', 'en': 'Call back'}, 'next': 'works', 'failed': {'escalate': 'accounts'}}," \
  "  {'id': 'works', 'kind': 'question', 'text': {'de': 'Geht es?', 'en': 'Does it work?'}," \
  "   'yes': {'resolve': 'first_contact'}, 'no': 'host'}," \
  "  {'id': 'host', 'kind': 'input', 'text': {'de': 'Rechnername', 'en': 'Host name'}," \
  "   'placeholder': {'de': 'z. B. PC-0231', 'en': 'e.g. PC-0231'}, 'pattern': '[A-Z]{2}-[0-9]{4}'," \
  "   'example': 'PC-0231', 'requires': ['verify'], 'next': 'reset'}," \
  "  {'id': 'reset', 'kind': 'check', 'text': {'de': 'Zurücksetzen', 'en': 'Reset'}," \
  "   'requires': ['verify', 'host'], 'next': {'resolve': 'solved'}}" \
  " ]}"

static void
test_good (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlChecklist) checklist = parse (GOOD, &error);
  g_autoptr(FlChecklist) again = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const FlChecklistStep *step;

  g_assert_no_error (error);
  g_assert_nonnull (checklist);

  g_assert_cmpstr (fl_checklist_get_id (checklist), ==, "vpn-test");
  g_assert_cmpint (fl_checklist_get_version (checklist), ==, 3);
  g_assert_cmpstr (fl_checklist_get_category (checklist), ==, "network");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "de"), ==, "VPN prüfen");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "de_AT.UTF-8"), ==, "VPN prüfen");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "en"), ==, "Check VPN");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "fr"), ==, "Check VPN");
  /* The tests run with LC_ALL=C.UTF-8 */
  g_assert_cmpstr (fl_checklist_get_title (checklist, NULL), ==, "Check VPN");
  g_assert_cmpstr (fl_checklist_get_start (checklist), ==, "verify");
  g_assert_cmpuint (fl_checklist_get_n_steps (checklist), ==, 4);
  g_assert_cmpstr (fl_checklist_get_nth_step (checklist, 2)->id, ==, "host");
  g_assert_null (fl_checklist_get_step (checklist, "nope"));
  g_assert_null (fl_checklist_get_step (checklist, NULL));

  step = fl_checklist_get_step (checklist, "verify");
  g_assert_nonnull (step);
  g_assert_cmpint (step->kind, ==, FL_CHECKLIST_STEP_CHECK);
  g_assert_cmpstr (fl_checklist_step_get_text (step, "de"), ==, "Identität prüfen");
  g_assert_cmpstr (fl_checklist_step_get_help (step, "en"), ==, "Call back");
  g_assert_true (step->mandatory);
  g_assert_false (step->skippable);
  g_assert_cmpint (step->next.kind, ==, FL_CHECKLIST_TARGET_STEP);
  g_assert_cmpstr (step->next.step_id, ==, "works");
  g_assert_cmpint (step->failed.kind, ==, FL_CHECKLIST_TARGET_ESCALATE);
  g_assert_cmpstr (step->failed.queue, ==, "accounts");

  step = fl_checklist_get_step (checklist, "works");
  g_assert_cmpint (step->kind, ==, FL_CHECKLIST_STEP_QUESTION);
  g_assert_cmpint (step->yes.kind, ==, FL_CHECKLIST_TARGET_RESOLVE);
  g_assert_cmpint (step->yes.code, ==, FL_RESOLUTION_FIRST_CONTACT);
  g_assert_null (fl_checklist_step_get_help (step, "de"));
  g_assert_false (step->mandatory);
  g_assert_null (step->requires[0]);

  step = fl_checklist_get_step (checklist, "host");
  g_assert_cmpint (step->kind, ==, FL_CHECKLIST_STEP_INPUT);
  g_assert_cmpstr (step->pattern, ==, "[A-Z]{2}-[0-9]{4}");
  g_assert_cmpstr (step->example, ==, "PC-0231");
  g_assert_cmpstr (fl_localized_text_get (&step->placeholder, "de"), ==, "z. B. PC-0231");
  g_assert_cmpstr (step->requires[0], ==, "verify");
  g_assert_true (step->mandatory);
  g_assert_false (step->skippable);

  /* Not required, but its "next" ends the checklist: it cannot be skipped either */
  step = fl_checklist_get_step (checklist, "reset");
  g_assert_false (step->mandatory);
  g_assert_false (step->skippable);
  g_assert_null (fl_checklist_step_get_branch (step, FL_CHECKLIST_OUTCOME_SKIPPED, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);

  g_assert_cmpstr (fl_checklist_pick_language ("de_DE.UTF-8"), ==, "de");
  g_assert_cmpstr (fl_checklist_pick_language ("en_GB"), ==, "en");
  g_assert_cmpstr (fl_checklist_pick_language (NULL), ==, "en");
  /* The user's language decides, when no language is given */
  g_setenv ("LANGUAGE", "de_DE:en", TRUE);
  g_assert_cmpstr (fl_checklist_pick_language (NULL), ==, "de");
  g_assert_cmpstr (fl_checklist_get_title (checklist, NULL), ==, "VPN prüfen");
  g_setenv ("LANGUAGE", "fr_FR:de_DE", TRUE);
  g_assert_cmpstr (fl_checklist_pick_language (NULL), ==, "de");
  g_setenv ("LANGUAGE", "en_US:de_DE", TRUE);
  g_assert_cmpstr (fl_checklist_pick_language (NULL), ==, "en");
  g_unsetenv ("LANGUAGE");
  g_assert_cmpstr (fl_checklist_pick_language (NULL), ==, "en");

  /* Round trip */
  first = to_string (checklist);
  node = fl_checklist_to_json (checklist);
  again = fl_checklist_new_from_json (node, &error);
  g_assert_no_error (error);
  second = to_string (again);
  g_assert_cmpstr (first, ==, second);
  {
    g_autoptr(JsonNode) original = parse_json (GOOD);
    g_assert_true (json_node_equal (original, node));
  }
}

/* The full example in docs/checklists.md is a valid checklist. */
static void
test_docs_example (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "docs",
                                            "checklists.md", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(FlChecklist) checklist = NULL;
  g_autoptr(FlChecklistRun) run = NULL;
  char *begin;
  char *end;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  begin = strstr (text, "```json\n");
  g_assert_nonnull (begin);
  begin += strlen ("```json\n");
  end = strstr (begin, "```");
  g_assert_nonnull (end);
  *end = '\0';

  json_parser_load_from_data (parser, begin, -1, &error);
  g_assert_no_error (error);
  checklist = fl_checklist_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fl_checklist_get_id (checklist), ==, "vpn-quick");
  g_assert_true (fl_checklist_get_step (checklist, "verify")->mandatory);

  run = fl_checklist_run_new (checklist, NULL);
  record (run, NULL, "verify", FL_CHECKLIST_OUTCOME_YES, NULL);
  record (run, NULL, "error-code", FL_CHECKLIST_OUTCOME_DONE, "809");
  record (run, NULL, "reset-token", FL_CHECKLIST_OUTCOME_DONE, NULL);
  record (run, NULL, "works", FL_CHECKLIST_OUTCOME_NO, NULL);
  g_assert_cmpstr (fl_checklist_run_get_result (run)->queue, ==, "network");
}

static void
test_outcomes (void)
{
  FlChecklistOutcome outcome;

  for (int i = FL_CHECKLIST_OUTCOME_DONE; i <= FL_CHECKLIST_OUTCOME_FAILED; i++)
    {
      const char *s = fl_checklist_outcome_to_string (i);

      g_assert_nonnull (s);
      g_assert_true (fl_checklist_outcome_from_string (s, &outcome));
      g_assert_cmpint (outcome, ==, i);
      g_assert_cmpstr (fl_checklist_outcome_get_label (i), !=, "");
    }
  g_assert_false (fl_checklist_outcome_from_string ("maybe", &outcome));
  g_assert_false (fl_checklist_outcome_from_string (NULL, &outcome));
  g_assert_null (fl_checklist_outcome_to_string (99));
  g_assert_cmpstr (fl_checklist_step_kind_to_string (FL_CHECKLIST_STEP_INPUT), ==, "input");
}

/* -------------------------------------------------------------------------- */

#define HEAD "{'id': 't', 'version': 1, 'category': 'other', 'title': {'de': 'T', 'en': 'T'}," \
             " 'start': 'a', 'steps': ["
#define TX   "'text': {'de': 'x', 'en': 'x'}"
#define END  "{'resolve': 'solved'}"

typedef struct
{
  const char *json;
  int         code;
  const char *message;   /* a part of the message */
} Broken;

static const Broken broken[] = {
  /* types and required fields of the checklist */
  { "[]", FL_CHECKLIST_ERROR_TYPE, "object" },
  { "{'version': 1, 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'id'" },
  { "{'id': 5, 'version': 1}", FL_CHECKLIST_ERROR_TYPE, "'id'" },
  { "{'id': 'Pass Word', 'version': 1}", FL_CHECKLIST_ERROR_INVALID, "'id'" },
  { "{'id': '../etc', 'version': 1}", FL_CHECKLIST_ERROR_INVALID, "'id'" },
  { "{'id': 't', 'version': 0, 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'version'" },
  { "{'id': 't', 'version': '1', 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'version'" },
  { "{'id': 't', 'version': 1.5, 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'version'" },
  { "{'id': 't', 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'version'" },
  { "{'id': 't', 'version': 1, 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'category'" },
  { "{'id': 't', 'version': 1, 'category': 'x', 'title': {'de': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'en'" },
  { "{'id': 't', 'version': 1, 'category': 'x', 'title': 'T', 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'title'" },
  { "{'id': 't', 'version': 1, 'category': 'x', 'title': {'de': '', 'en': 'T'}, 'start': 'a',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'de'" },
  { "{'id': 't', 'version': 1, 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': []}", FL_CHECKLIST_ERROR_INVALID, "'steps'" },
  { "{'id': 't', 'version': 1, 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'a',"
    " 'steps': {}}", FL_CHECKLIST_ERROR_TYPE, "'steps'" },
  /* steps */
  { HEAD "'a']}", FL_CHECKLIST_ERROR_TYPE, "step 1" },
  { HEAD "{'kind': 'check', " TX ", 'next': " END "}]}", FL_CHECKLIST_ERROR_INVALID, "'id'" },
  { HEAD "{'id': 'a', 'kind': 'maybe', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'kind'" },
  { HEAD "{'id': 'a', 'kind': 'check', 'next': " END "}]}", FL_CHECKLIST_ERROR_INVALID, "'text'" },
  { HEAD "{'id': 'a', 'kind': 'check', 'text': {'en': 'x'}, 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'de'" },
  { HEAD "{'id': 'a', 'kind': 'check', 'text': {'de': 1, 'en': 'x'}, 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'de'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'help': {'de': 'x'}, 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'en'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX "}]}", FL_CHECKLIST_ERROR_INVALID, "'next'" },
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'no'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': " END ", 'yes': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'yes'" },
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': " END ", 'no': " END ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'next'" },
  { HEAD "{'id': 'a', 'kind': 'input', " TX ", 'next': " END ", 'failed': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'failed'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'pattern': 'x', 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'pattern'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': 'b', 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'requires'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': [1], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'requires'" },
  /* targets */
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 7}]}", FL_CHECKLIST_ERROR_TYPE, "'next'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': {}}]}", FL_CHECKLIST_ERROR_INVALID, "'next'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': {'resolve': 'solved', 'escalate': 'network'}}]}",
    FL_CHECKLIST_ERROR_INVALID, "'next'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': {'resolve': 'magic'}}]}",
    FL_CHECKLIST_ERROR_INVALID, "'magic'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': {'resolve': 'none'}}]}",
    FL_CHECKLIST_ERROR_INVALID, "'none'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': {'resolve': 3}}]}",
    FL_CHECKLIST_ERROR_TYPE, "'resolve'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': {'escalate': 'Second Level'}}]}",
    FL_CHECKLIST_ERROR_INVALID, "'escalate'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'Not An Id'}]}",
    FL_CHECKLIST_ERROR_INVALID, "'next'" },
  /* input patterns */
  { HEAD "{'id': 'a', 'kind': 'input', " TX ", 'pattern': '([a-z', 'example': 'a', 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'pattern'" },
  { HEAD "{'id': 'a', 'kind': 'input', " TX ", 'pattern': '[a-z]+', 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'example'" },
  { HEAD "{'id': 'a', 'kind': 'input', " TX ", 'pattern': '[a-z]+', 'example': 'abc1', 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'example'" },
  /* the graph */
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'b'}, {'id': 'a', 'kind': 'check', " TX ","
    " 'next': " END "}]}", FL_CHECKLIST_ERROR_DUPLICATE_STEP, "'a'" },
  { "{'id': 't', 'version': 1, 'category': 'x', 'title': {'de': 'T', 'en': 'T'}, 'start': 'zz',"
    " 'steps': [{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_UNKNOWN_STEP, "'zz'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'zz'}]}",
    FL_CHECKLIST_ERROR_UNKNOWN_STEP, "step 'a': field 'next' names unknown step 'zz'" },
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': " END ", 'no': 'zz'}]}",
    FL_CHECKLIST_ERROR_UNKNOWN_STEP, "'no'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': " END ", 'failed': 'zz'}]}",
    FL_CHECKLIST_ERROR_UNKNOWN_STEP, "'failed'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': ['zz'], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_UNKNOWN_STEP, "'requires'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': ['a'], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "step 'a'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'a'}]}", FL_CHECKLIST_ERROR_CYCLE, "'a'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'b'},"
    " {'id': 'b', 'kind': 'question', " TX ", 'yes': " END ", 'no': 'c'},"
    " {'id': 'c', 'kind': 'check', " TX ", 'next': 'b'}]}", FL_CHECKLIST_ERROR_CYCLE, "cycle" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': " END "},"
    " {'id': 'b', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_UNREACHABLE, "step 'b'" },
  /* requires: not done on every path before the step */
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': 'verify', 'no': 'reset'},"
    " {'id': 'verify', 'kind': 'check', " TX ", 'next': 'reset'},"
    " {'id': 'reset', 'kind': 'check', " TX ", 'requires': ['verify'], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "'verify'" },
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': 'reset', 'no': 'reset'},"
    " {'id': 'reset', 'kind': 'check', " TX ", 'requires': ['a'], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "'a'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'b', 'failed': 'b'},"
    " {'id': 'b', 'kind': 'check', " TX ", 'requires': ['a'], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "'a'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': ['b'], 'next': 'b'},"
    " {'id': 'b', 'kind': 'check', " TX ", 'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "'b'" },
  /* requires one of a group: a member can be skipped on the way */
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': 'call', 'no': 'boss'},"
    " {'id': 'call', 'kind': 'check', " TX ", 'next': 'reset', 'failed': 'boss'},"
    " {'id': 'boss', 'kind': 'check', " TX ", 'mandatory': true, 'next': 'reset',"
    "  'failed': {'escalate': 'accounts'}},"
    " {'id': 'reset', 'kind': 'check', " TX ", 'requires': [{'any': ['call', 'boss']}],"
    "  'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "can be skipped on the way" },
  /* ... or a path bypasses every member */
  { HEAD "{'id': 'a', 'kind': 'question', " TX ", 'yes': 'call', 'no': 'reset'},"
    " {'id': 'call', 'kind': 'check', " TX ", 'mandatory': true, 'next': 'reset'},"
    " {'id': 'reset', 'kind': 'check', " TX ", 'requires': [{'any': ['call']}],"
    "  'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "none of the required steps 'call'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': [{'any': ['zz']}], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_UNKNOWN_STEP, "'zz'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': [{'any': ['a']}], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_REQUIRES, "itself" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': [{'any': []}], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_INVALID, "'any'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': [{'all': ['a']}], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'any'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'requires': [{'any': [3]}], 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'requires'" },
  { HEAD "{'id': 'a', 'kind': 'check', " TX ", 'mandatory': 'yes', 'next': " END "}]}",
    FL_CHECKLIST_ERROR_TYPE, "'mandatory'" },
};

static void
test_broken (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FlChecklist) checklist = NULL;

      g_test_message ("case %u: %s", i, broken[i].json);
      checklist = parse (broken[i].json, &error);
      g_assert_null (checklist);
      g_assert_error (error, FL_CHECKLIST_ERROR, broken[i].code);
      if (strstr (error->message, broken[i].message) == NULL)
        g_error ("case %u: message “%s” lacks “%s”", i, error->message, broken[i].message);
    }

  /* A NULL node */
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (fl_checklist_new_from_json (NULL, &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_TYPE);
  }
}

/* Puts @value (any bytes) into the text of the GOOD checklist's first step. */
static FlChecklist *
parse_with_text (const char  *member,
                 const char  *value,
                 GError     **error)
{
  g_autoptr(JsonNode) node = parse_json (GOOD);
  JsonObject *step;
  JsonObject *text;

  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (node),
                                                                      "steps"), 0);
  text = json_object_get_object_member (step, member);
  json_object_set_string_member (text, "en", value);

  return fl_checklist_new_from_json (node, error);
}

static void
test_untrusted_strings (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlChecklist) checklist = NULL;
  g_autofree char *huge = g_strnfill (1024 * 1024, 'a');
  g_autofree char *text_max = g_strnfill (FL_CHECKLIST_TEXT_MAX, 'b');
  g_autofree char *text_over = g_strnfill (FL_CHECKLIST_TEXT_MAX + 1, 'b');
  GString *umlauts = g_string_new (NULL);
  g_autofree char *umlauts_str = NULL;

  /* Invalid UTF-8 */
  checklist = parse_with_text ("text", "caf\xc3\x28", &error);
  g_assert_null (checklist);
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_TYPE);
  g_assert_nonnull (strstr (error->message, "step 'verify'"));
  g_clear_error (&error);

  /* A megabyte of text */
  checklist = parse_with_text ("text", huge, &error);
  g_assert_null (checklist);
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_INVALID);
  g_clear_error (&error);

  /* Exactly at and one over the limit */
  checklist = parse_with_text ("text", text_max, &error);
  g_assert_no_error (error);
  g_assert_nonnull (checklist);
  g_clear_object (&checklist);

  checklist = parse_with_text ("text", text_over, &error);
  g_assert_null (checklist);
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_INVALID);
  g_clear_error (&error);

  /* The limit counts characters, not bytes */
  for (guint i = 0; i < FL_CHECKLIST_TEXT_MAX; i++)
    g_string_append (umlauts, "ü");
  umlauts_str = g_string_free (umlauts, FALSE);
  checklist = parse_with_text ("text", umlauts_str, &error);
  g_assert_no_error (error);
  g_assert_nonnull (checklist);
  g_clear_object (&checklist);

  /* Help text has its own, larger limit */
  checklist = parse_with_text ("help", text_over, &error);
  g_assert_no_error (error);
  g_assert_nonnull (checklist);
  g_clear_object (&checklist);

  checklist = parse_with_text ("help", huge, &error);
  g_assert_null (checklist);
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_INVALID);
  g_clear_error (&error);

  /* Too many steps: a chain of FL_CHECKLIST_MAX_STEPS + 1 */
  {
    g_autoptr(JsonBuilder) builder = json_builder_new ();
    g_autoptr(JsonNode) node = NULL;

    for (guint n = FL_CHECKLIST_MAX_STEPS; n <= FL_CHECKLIST_MAX_STEPS + 1; n++)
      {
        json_builder_reset (builder);
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "id");
        json_builder_add_string_value (builder, "long");
        json_builder_set_member_name (builder, "version");
        json_builder_add_int_value (builder, 1);
        json_builder_set_member_name (builder, "category");
        json_builder_add_string_value (builder, "other");
        json_builder_set_member_name (builder, "title");
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "de");
        json_builder_add_string_value (builder, "Lang");
        json_builder_set_member_name (builder, "en");
        json_builder_add_string_value (builder, "Long");
        json_builder_end_object (builder);
        json_builder_set_member_name (builder, "start");
        json_builder_add_string_value (builder, "s0");
        json_builder_set_member_name (builder, "steps");
        json_builder_begin_array (builder);
        for (guint i = 0; i < n; i++)
          {
            g_autofree char *id = g_strdup_printf ("s%u", i);
            g_autofree char *next = g_strdup_printf ("s%u", i + 1);

            json_builder_begin_object (builder);
            json_builder_set_member_name (builder, "id");
            json_builder_add_string_value (builder, id);
            json_builder_set_member_name (builder, "kind");
            json_builder_add_string_value (builder, "check");
            json_builder_set_member_name (builder, "text");
            json_builder_begin_object (builder);
            json_builder_set_member_name (builder, "de");
            json_builder_add_string_value (builder, id);
            json_builder_set_member_name (builder, "en");
            json_builder_add_string_value (builder, id);
            json_builder_end_object (builder);
            /* Every step requires the first one: the deepest "every path" check */
            if (i > 0)
              {
                json_builder_set_member_name (builder, "requires");
                json_builder_begin_array (builder);
                json_builder_add_string_value (builder, "s0");
                json_builder_end_array (builder);
              }
            json_builder_set_member_name (builder, "next");
            if (i + 1 < n)
              json_builder_add_string_value (builder, next);
            else
              {
                json_builder_begin_object (builder);
                json_builder_set_member_name (builder, "resolve");
                json_builder_add_string_value (builder, "solved");
                json_builder_end_object (builder);
              }
            json_builder_end_object (builder);
          }
        json_builder_end_array (builder);
        json_builder_end_object (builder);

        g_clear_pointer (&node, json_node_unref);
        node = json_builder_get_root (builder);
        checklist = fl_checklist_new_from_json (node, &error);
        if (n <= FL_CHECKLIST_MAX_STEPS)
          {
            g_assert_no_error (error);
            g_assert_cmpuint (fl_checklist_get_n_steps (checklist), ==, n);
            g_clear_object (&checklist);
          }
        else
          {
            g_assert_null (checklist);
            g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_INVALID);
            g_clear_error (&error);
          }
      }
  }
}

/* -------------------------------------------------------------------------- */

static void
test_builtin_load (void)
{
  static const char * const ids[] = {
    "account-lockout", "email", "network-connection", "new-hardware",
    "password-reset", "printer", "software-install", "vpn",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = builtin_dir ();
  g_autoptr(GPtrArray) checklists = fl_checklist_load_dir (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (checklists);
  g_assert_cmpuint (checklists->len, ==, G_N_ELEMENTS (ids));

  for (guint i = 0; i < checklists->len; i++)
    {
      FlChecklist *checklist = g_ptr_array_index (checklists, i);
      guint n_steps = fl_checklist_get_n_steps (checklist);
      gboolean has_resolve = FALSE;
      gboolean has_escalate = FALSE;
      guint n_questions = 0;
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(FlChecklist) again = NULL;
      g_autofree char *first = NULL;
      g_autofree char *second = NULL;

      /* Sorted by file name */
      g_assert_cmpstr (fl_checklist_get_id (checklist), ==, ids[i]);
      g_assert_cmpint (fl_checklist_get_version (checklist), >=, 1);
      g_assert_cmpuint (n_steps, >=, 6);
      g_assert_cmpuint (n_steps, <=, 15);
      g_assert_cmpstr (fl_checklist_get_title (checklist, "de"), !=,
                       fl_checklist_get_title (checklist, "en"));

      for (guint j = 0; j < n_steps; j++)
        {
          const FlChecklistStep *step = fl_checklist_get_nth_step (checklist, j);
          const FlChecklistTarget *targets[] = { &step->next, &step->yes, &step->no, &step->failed };

          /* Both languages, and really translated */
          g_assert_nonnull (step->text.de);
          g_assert_nonnull (step->text.en);
          g_assert_cmpstr (step->text.de, !=, step->text.en);
          if (step->help.de != NULL)
            g_assert_cmpstr (step->help.de, !=, step->help.en);
          if (step->kind == FL_CHECKLIST_STEP_QUESTION)
            n_questions++;

          for (guint k = 0; k < G_N_ELEMENTS (targets); k++)
            {
              has_resolve |= targets[k]->kind == FL_CHECKLIST_TARGET_RESOLVE;
              if (targets[k]->kind == FL_CHECKLIST_TARGET_ESCALATE)
                {
                  static const char * const queues[] = {
                    "network", "applications", "hardware", "accounts", NULL
                  };
                  has_escalate = TRUE;
                  g_assert_true (g_strv_contains (queues, targets[k]->queue));
                }
            }
        }
      g_assert_true (has_resolve);
      g_assert_true (has_escalate);
      g_assert_cmpuint (n_questions, >=, 2);

      node = fl_checklist_to_json (checklist);
      again = fl_checklist_new_from_json (node, &error);
      g_assert_no_error (error);
      first = to_string (checklist);
      second = to_string (again);
      g_assert_cmpstr (first, ==, second);
    }

  g_assert_cmpstr (fl_checklist_get_id (fl_checklist_find_for_category (checklists, "password")),
                   ==, "password-reset");
  /* Two serve "network": the first by file name is the default */
  g_assert_cmpstr (fl_checklist_get_id (fl_checklist_find_for_category (checklists, "network")),
                   ==, "network-connection");
  g_assert_cmpstr (fl_checklist_get_category (fl_checklist_find_by_id (checklists, "vpn")),
                   ==, "network");
  g_assert_null (fl_checklist_find_for_category (checklists, "other"));
  g_assert_null (fl_checklist_find_by_id (checklists, "nope"));
}

typedef struct
{
  FlChecklist *checklist;
  GPtrArray   *events;     /* FlEvent, the path so far */
  GHashTable  *visited;    /* step ids seen on any path */
  guint        n_paths;
  guint        n_resolved;
  guint        n_escalated;
} Walk;

/* Whether the path so far has all (or, with !@all, one) of @ids done with "done" or "yes". */
static gboolean
path_has_done (Walk               *w,
               const char * const *ids,
               gboolean            all)
{
  for (guint k = 0; ids[k]; k++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < w->events->len && !found; i++)
        {
          JsonObject *data = ((FlEvent *) g_ptr_array_index (w->events, i))->data;
          const char *outcome = json_object_get_string_member (data, "outcome");

          found = g_str_equal (json_object_get_string_member (data, "step_id"), ids[k]) &&
                  (g_str_equal (outcome, "done") || g_str_equal (outcome, "yes"));
        }
      if (found && !all)
        return TRUE;
      if (!found && all)
        return FALSE;
    }

  return all;
}

static void
walk (Walk *w)
{
  g_autoptr(FlChecklistRun) run = fl_checklist_run_new (w->checklist, w->events);
  const FlChecklistStep *step;
  guint n_taken = 0;

  /* Replaying the recorded events always gives the same state */
  g_assert_cmpuint (fl_checklist_run_get_n_ignored (run), ==, 0);
  g_assert_cmpuint (fl_checklist_run_get_done_steps (run)->len, ==, w->events->len);
  g_assert_cmpuint (fl_checklist_run_get_records (run)->len, ==, w->events->len);
  g_assert_cmpint (fl_checklist_run_is_started (run), ==, w->events->len > 0);

  step = fl_checklist_run_get_current_step (run);
  if (step == NULL)
    {
      const FlChecklistTarget *result = fl_checklist_run_get_result (run);
      g_auto(GStrv) tried = fl_checklist_run_dup_steps_tried (run);
      g_autofree char *summary = fl_checklist_run_describe_steps (run);
      g_autoptr(GError) error = NULL;

      g_assert_true (fl_checklist_run_is_finished (run));
      g_assert_nonnull (result);
      g_assert_true (result->kind == FL_CHECKLIST_TARGET_RESOLVE ||
                     result->kind == FL_CHECKLIST_TARGET_ESCALATE);
      if (result->kind == FL_CHECKLIST_TARGET_RESOLVE)
        w->n_resolved++;
      else
        w->n_escalated++;
      w->n_paths++;

      g_assert_cmpuint (g_strv_length (tried), ==, w->events->len);
      for (guint i = 0; i < w->events->len; i++)
        {
          const FlChecklistRecord *rec = g_ptr_array_index (fl_checklist_run_get_done_steps (run), i);
          const FlChecklistStep *s = fl_checklist_get_step (w->checklist, rec->step_id);

          g_assert_true (g_str_has_prefix (tried[i], s->text.en));
          g_assert_nonnull (strstr (summary, tried[i]));
          g_assert_cmpstr (rec->author, ==, "alex");
        }
      g_assert_true (g_str_has_prefix (summary, "Checklist “"));

      /* Nothing more to record, not even the start step */
      g_assert_null (fl_checklist_run_make_step_data (run, fl_checklist_get_start (w->checklist),
                                                      FL_CHECKLIST_OUTCOME_DONE, NULL, &error));
      g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
      return;
    }

  g_assert_false (fl_checklist_run_is_finished (run));
  g_assert_null (fl_checklist_run_get_result (run));
  g_hash_table_add (w->visited, step->id);

  /* Whatever was skipped or failed on the way, a step is only reached with all it
   * requires done, and one step of each group it requires. */
  g_assert_true (path_has_done (w, (const char * const *) step->requires, TRUE));
  for (guint i = 0; i < step->requires_any->len; i++)
    g_assert_true (path_has_done (w, g_ptr_array_index (step->requires_any, i), FALSE));
  /* A verification can never be skipped */
  if (g_str_has_prefix (step->id, "verify") && step->kind == FL_CHECKLIST_STEP_CHECK)
    g_assert_false (step->skippable);

  for (int o = FL_CHECKLIST_OUTCOME_DONE; o <= FL_CHECKLIST_OUTCOME_FAILED; o++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) data = NULL;
      const FlChecklistTarget *branch;
      const char *value = NULL;

      if (step->kind == FL_CHECKLIST_STEP_INPUT)
        value = step->example ? step->example : "Fehler 0x80070005 – äöü";

      branch = fl_checklist_step_get_branch (step, o, &error);
      if (branch == NULL)
        {
          /* Not an outcome for this step: the run refuses it too */
          g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
          g_clear_error (&error);
          data = fl_checklist_run_make_step_data (run, step->id, o, value, &error);
          g_assert_null (data);
          g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
          continue;
        }

      g_assert_true (fl_checklist_run_check_step (run, step->id, o, value, &error) == branch);
      g_assert_no_error (error);

      data = fl_checklist_run_make_step_data (run, step->id, o, value, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (data, "checklist_id"), ==,
                       fl_checklist_get_id (w->checklist));
      g_assert_cmpint (json_object_get_int_member (data, "checklist_version"), ==,
                       fl_checklist_get_version (w->checklist));
      g_assert_cmpstr (json_object_get_string_member (data, "step_id"), ==, step->id);
      g_assert_cmpstr (json_object_get_string_member (data, "outcome"), ==,
                       fl_checklist_outcome_to_string (o));
      g_assert_true (fl_op_validate_data (FL_OP_CHECKLIST, data, &error));
      g_assert_no_error (error);

      n_taken++;
      g_ptr_array_add (w->events, make_event (data));
      walk (w);
      g_ptr_array_remove_index (w->events, w->events->len - 1);
    }

  /* Every step can be left somehow */
  g_assert_cmpuint (n_taken, >=, 1);
  if (step->kind == FL_CHECKLIST_STEP_QUESTION)
    g_assert_cmpuint (n_taken, ==, 2);

  /* Only the current step may be taken */
  for (guint i = 0; i < fl_checklist_get_n_steps (w->checklist); i++)
    {
      const FlChecklistStep *other = fl_checklist_get_nth_step (w->checklist, i);
      g_autoptr(GError) error = NULL;

      if (other == step)
        continue;
      g_assert_null (fl_checklist_run_make_step_data (run, other->id,
                                                      other->kind == FL_CHECKLIST_STEP_QUESTION ?
                                                      FL_CHECKLIST_OUTCOME_YES :
                                                      FL_CHECKLIST_OUTCOME_DONE,
                                                      other->example, &error));
      g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
    }
}

static void
test_builtin_walk_all_paths (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = builtin_dir ();
  g_autoptr(GPtrArray) checklists = fl_checklist_load_dir (dir, &error);
  guint total = 0;

  g_assert_no_error (error);

  for (guint i = 0; i < checklists->len; i++)
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GHashTable) visited = g_hash_table_new (g_str_hash, g_str_equal);
      Walk w = { g_ptr_array_index (checklists, i), events, visited, 0, 0, 0 };

      walk (&w);

      g_test_message ("%s: %u paths, %u resolved, %u escalated",
                      fl_checklist_get_id (w.checklist), w.n_paths, w.n_resolved, w.n_escalated);
      g_assert_cmpuint (w.n_paths, >=, 4);
      g_assert_cmpuint (w.n_resolved, >=, 1);
      g_assert_cmpuint (w.n_escalated, >=, 1);
      g_assert_cmpuint (w.n_paths, ==, w.n_resolved + w.n_escalated);
      /* Every step lies on some path */
      g_assert_cmpuint (g_hash_table_size (visited), ==, fl_checklist_get_n_steps (w.checklist));
      total += w.n_paths;
    }

  g_assert_cmpuint (total, >=, 8 * 4);
}

static FlChecklist *
load_builtin (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = builtin_dir ();
  g_autofree char *name = g_strconcat (id, ".json", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  FlChecklist *checklist = fl_checklist_new_from_file (path, &error);

  g_assert_no_error (error);
  return checklist;
}

static void
test_password_reset (void)
{
  g_autoptr(FlChecklist) checklist = load_builtin ("password-reset");
  g_autoptr(FlChecklistRun) run = fl_checklist_run_new (checklist, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const FlChecklistStep *reset = fl_checklist_get_step (checklist, "set-otp");
  const FlChecklistStep *unlock = fl_checklist_get_step (checklist, "unlock-account");

  g_assert_nonnull (reset);
  g_assert_true (g_strv_contains ((const char * const *) reset->requires, "identity-confirmed"));
  g_assert_true (g_strv_contains ((const char * const *) unlock->requires, "identity-confirmed"));
  /* ... and a verification that was actually done, which cannot be skipped */
  for (guint i = 0; i < 3; i++)
    {
      const char *id = (const char *[]) { "set-otp", "unlock-account", "identity-confirmed" }[i];
      const FlChecklistStep *s = fl_checklist_get_step (checklist, id);
      GStrv group;

      g_assert_cmpuint (s->requires_any->len, ==, 1);
      group = g_ptr_array_index (s->requires_any, 0);
      g_assert_true (g_strv_contains ((const char * const *) group, "verify-callback"));
      g_assert_true (g_strv_contains ((const char * const *) group, "verify-colleague"));
    }
  g_assert_false (fl_checklist_get_step (checklist, "verify-callback")->skippable);
  g_assert_false (fl_checklist_get_step (checklist, "verify-colleague")->skippable);
  /* Never read a password over the phone */
  g_assert_nonnull (strstr (reset->help.en, "never read out over the phone"));

  /* The reset is refused before anything, and after the account is named */
  g_assert_null (fl_checklist_run_make_step_data (run, "set-otp", FL_CHECKLIST_OUTCOME_DONE,
                                                  NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
  g_clear_error (&error);

  /* A user name with a space does not fit the pattern */
  g_assert_null (fl_checklist_run_make_step_data (run, "user-account", FL_CHECKLIST_OUTCOME_DONE,
                                                  "j krueger", &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
  g_clear_error (&error);

  record (run, events, "user-account", FL_CHECKLIST_OUTCOME_DONE, "jkrueger");
  record (run, events, "self-service", FL_CHECKLIST_OUTCOME_NO, NULL);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "verify-method");
  g_assert_null (fl_checklist_run_make_step_data (run, "set-otp", FL_CHECKLIST_OUTCOME_DONE,
                                                  NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
  g_clear_error (&error);

  /* A question is answered yes or no */
  g_assert_null (fl_checklist_run_make_step_data (run, "verify-method", FL_CHECKLIST_OUTCOME_DONE,
                                                  NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);

  /* The callback cannot be skipped on the way to "identity confirmed: yes" */
  record (run, events, "verify-method", FL_CHECKLIST_OUTCOME_YES, NULL);
  g_assert_null (fl_checklist_run_make_step_data (run, "verify-callback",
                                                  FL_CHECKLIST_OUTCOME_SKIPPED, NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);

  /* The callback fails: the manager confirms instead */
  record (run, events, "verify-callback", FL_CHECKLIST_OUTCOME_FAILED, NULL);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "verify-colleague");
  record (run, events, "verify-colleague", FL_CHECKLIST_OUTCOME_DONE, NULL);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "identity-confirmed");

  /* Still no reset before the identity is confirmed */
  g_assert_null (fl_checklist_run_make_step_data (run, "set-otp", FL_CHECKLIST_OUTCOME_DONE,
                                                  NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
  g_clear_error (&error);

  record (run, events, "identity-confirmed", FL_CHECKLIST_OUTCOME_YES, NULL);
  record (run, events, "check-lock", FL_CHECKLIST_OUTCOME_NO, NULL);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "set-otp");

  /* Now it may be taken; a mandatory step cannot be skipped, a check takes no yes */
  g_assert_nonnull (fl_checklist_run_check_step (run, "set-otp", FL_CHECKLIST_OUTCOME_DONE,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_null (fl_checklist_run_check_step (run, "set-otp", FL_CHECKLIST_OUTCOME_YES,
                                              NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_check_step (run, "set-otp", FL_CHECKLIST_OUTCOME_FAILED,
                                              NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);

  record (run, events, "set-otp", FL_CHECKLIST_OUTCOME_DONE, NULL);
  record (run, events, "deliver-otp", FL_CHECKLIST_OUTCOME_YES, NULL);
  record (run, events, "send-sms", FL_CHECKLIST_OUTCOME_DONE, NULL);
  record (run, events, "test-login", FL_CHECKLIST_OUTCOME_YES, NULL);

  g_assert_true (fl_checklist_run_is_finished (run));
  g_assert_cmpint (fl_checklist_run_get_result (run)->kind, ==, FL_CHECKLIST_TARGET_RESOLVE);
  g_assert_cmpint (fl_checklist_run_get_result (run)->code, ==, FL_RESOLUTION_FIRST_CONTACT);

  /* Forged history: a reset recorded without verification is ignored on replay */
  {
    g_autoptr(GPtrArray) forged = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(FlChecklistRun) replay = NULL;
    g_autoptr(JsonObject) data = json_object_new ();

    g_ptr_array_add (forged, g_object_ref (g_ptr_array_index (events, 0)));
    json_object_set_string_member (data, "checklist_id", "password-reset");
    json_object_set_int_member (data, "checklist_version", 1);
    json_object_set_string_member (data, "step_id", "set-otp");
    json_object_set_string_member (data, "outcome", "done");
    g_ptr_array_add (forged, make_event (data));

    replay = fl_checklist_run_new (checklist, forged);
    g_assert_cmpuint (fl_checklist_run_get_n_ignored (replay), ==, 1);
    g_assert_cmpuint (fl_checklist_run_get_done_steps (replay)->len, ==, 1);
    g_assert_null (fl_checklist_run_lookup_record (replay, "set-otp"));
    g_assert_cmpstr (fl_checklist_run_get_current_step (replay)->id, ==, "self-service");
  }

  /* The whole history replays to the same end */
  {
    g_autoptr(FlChecklistRun) replay = fl_checklist_run_new (checklist, events);
    g_auto(GStrv) tried = fl_checklist_run_dup_steps_tried (replay);

    g_assert_cmpuint (fl_checklist_run_get_n_ignored (replay), ==, 0);
    g_assert_true (fl_checklist_run_is_finished (replay));
    g_assert_cmpuint (g_strv_length (tried), ==, 11);
    g_assert_cmpstr (tried[0], ==, "User name (login) of the account — jkrueger");
    g_assert_cmpstr (tried[4], ==,
                     "Have the manager or a verified colleague confirm the identity — done");
    g_assert_cmpstr (fl_checklist_run_lookup_record (replay, "verify-callback")->step_id, ==,
                     "verify-callback");
    g_assert_cmpint (fl_checklist_run_lookup_record (replay, "verify-callback")->outcome, ==,
                     FL_CHECKLIST_OUTCOME_FAILED);
  }
}

/* A checklist whose check steps a later step requires: they cannot be skipped. */
static void
test_engine (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlChecklist) checklist = parse (GOOD, &error);
  g_autoptr(FlChecklistRun) run = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonObject) restart = NULL;
  g_autofree char *summary = NULL;
  g_auto(GStrv) tried = NULL;
  const FlChecklistTarget *branch;

  g_assert_no_error (error);

  /* Events of other types and other checklists are passed over */
  {
    g_autoptr(JsonObject) note = json_object_new ();
    g_autoptr(JsonObject) other = json_object_new ();
    g_autofree char *id = fl_uuid_new ();

    json_object_set_string_member (note, "body", "Anruf");
    json_object_set_boolean_member (note, "internal", TRUE);
    g_ptr_array_add (events, fl_event_new (id, TICKET_ID, 1, 0, "alex", FL_OP_NOTE, note));
    json_object_set_string_member (other, "checklist_id", "printer");
    json_object_set_string_member (other, "step_id", "verify");
    json_object_set_string_member (other, "outcome", "done");
    g_ptr_array_add (events, make_event (other));
  }
  run = fl_checklist_run_new (checklist, events);
  g_assert_cmpuint (fl_checklist_run_get_n_ignored (run), ==, 0);
  g_assert_false (fl_checklist_run_is_started (run));
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "verify");
  g_assert_true (fl_checklist_run_get_checklist (run) == checklist);

  /* Outcomes that do not fit */
  g_assert_null (fl_checklist_run_check_step (run, "verify", FL_CHECKLIST_OUTCOME_SKIPPED, NULL,
                                              &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_check_step (run, "verify", FL_CHECKLIST_OUTCOME_NO, NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_check_step (run, "verify", FL_CHECKLIST_OUTCOME_DONE, "x", &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_check_step (run, "nope", FL_CHECKLIST_OUTCOME_DONE, NULL, &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
  g_clear_error (&error);

  /* What "failed" would lead to */
  branch = fl_checklist_run_check_step (run, "verify", FL_CHECKLIST_OUTCOME_FAILED, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (branch->kind, ==, FL_CHECKLIST_TARGET_ESCALATE);
  g_assert_cmpstr (branch->queue, ==, "accounts");

  record (run, events, "verify", FL_CHECKLIST_OUTCOME_DONE, NULL);
  g_assert_true (fl_checklist_run_is_started (run));
  record (run, events, "works", FL_CHECKLIST_OUTCOME_NO, NULL);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "host");

  /* Input values: required, matching the whole pattern */
  g_assert_null (fl_checklist_run_make_step_data (run, "host", FL_CHECKLIST_OUTCOME_DONE, NULL,
                                                  &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_make_step_data (run, "host", FL_CHECKLIST_OUTCOME_DONE, "", &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_make_step_data (run, "host", FL_CHECKLIST_OUTCOME_DONE,
                                                  "xPC-0231", &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
  g_assert_nonnull (strstr (error->message, "PC-0231"));
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_make_step_data (run, "host", FL_CHECKLIST_OUTCOME_DONE,
                                                  "PC-0231\n", &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_null (fl_checklist_run_make_step_data (run, "host", FL_CHECKLIST_OUTCOME_SKIPPED,
                                                  "PC-0231", &error));
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
  g_clear_error (&error);

  record (run, events, "host", FL_CHECKLIST_OUTCOME_DONE, "NB-4711");
  record (run, events, "reset", FL_CHECKLIST_OUTCOME_DONE, NULL);
  g_assert_true (fl_checklist_run_is_finished (run));
  g_assert_cmpint (fl_checklist_run_get_result (run)->code, ==, FL_RESOLUTION_SOLVED);
  g_assert_cmpstr (fl_checklist_run_lookup_record (run, "host")->value, ==, "NB-4711");

  tried = fl_checklist_run_dup_steps_tried (run);
  g_assert_cmpuint (g_strv_length (tried), ==, 4);
  g_assert_cmpstr (tried[0], ==, "Verify identity — done");
  g_assert_cmpstr (tried[1], ==, "Does it work? — no");
  g_assert_cmpstr (tried[2], ==, "Host name — NB-4711");
  summary = fl_checklist_run_describe_steps (run);
  g_assert_cmpstr (summary, ==,
                   "Checklist “Check VPN” (version 3):\n"
                   "- Verify identity — done\n"
                   "- Does it work? — no\n"
                   "- Host name — NB-4711\n"
                   "- Reset — done\n"
                   "Resolve: Solved");

  /* Restart: a new attempt from the start; what was tried stays */
  restart = fl_checklist_run_make_restart_data (run);
  g_assert_cmpstr (json_object_get_string_member (restart, "step_id"), ==, FL_CHECKLIST_RESTART_STEP);
  g_assert_true (fl_op_validate_data (FL_OP_CHECKLIST, restart, &error));
  g_assert_no_error (error);
  g_ptr_array_add (events, make_event (restart));
  g_assert_true (fl_checklist_run_add_event (run, g_ptr_array_index (events, events->len - 1),
                                             &error));
  g_assert_no_error (error);
  g_assert_false (fl_checklist_run_is_finished (run));
  g_assert_false (fl_checklist_run_is_started (run));
  g_assert_cmpuint (fl_checklist_run_get_attempt (run), ==, 1);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "verify");
  g_assert_cmpuint (fl_checklist_run_get_records (run)->len, ==, 4);
  g_assert_null (fl_checklist_run_lookup_record (run, "host"));

  record (run, events, "verify", FL_CHECKLIST_OUTCOME_FAILED, NULL);
  g_assert_cmpint (fl_checklist_run_get_result (run)->kind, ==, FL_CHECKLIST_TARGET_ESCALATE);

  {
    g_autoptr(FlChecklistRun) replay = fl_checklist_run_new (checklist, events);
    g_autofree char *text = fl_checklist_run_describe_steps (replay);
    const FlChecklistRecord *last;

    g_assert_cmpuint (fl_checklist_run_get_n_ignored (replay), ==, 0);
    g_assert_cmpuint (fl_checklist_run_get_attempt (replay), ==, 1);
    g_assert_cmpuint (fl_checklist_run_get_records (replay)->len, ==, 5);
    g_assert_cmpuint (fl_checklist_run_get_done_steps (replay)->len, ==, 1);
    last = g_ptr_array_index (fl_checklist_run_get_records (replay), 4);
    g_assert_cmpuint (last->attempt, ==, 1);
    g_assert_cmpint (last->outcome, ==, FL_CHECKLIST_OUTCOME_FAILED);
    g_assert_true (g_str_has_suffix (text, "- Verify identity — failed\nEscalate to accounts"));
  }

  /* Data that does not fit is refused by apply */
  {
    g_autoptr(JsonObject) bad = json_object_new ();

    json_object_set_string_member (bad, "checklist_id", "vpn-test");
    json_object_set_string_member (bad, "step_id", "verify");
    json_object_set_string_member (bad, "outcome", "perhaps");
    g_assert_false (fl_checklist_run_apply (run, bad, "alex", 0, &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_OUTCOME);
    g_clear_error (&error);

    json_object_set_string_member (bad, "outcome", "done");
    json_object_set_int_member (bad, "value", 5);
    g_assert_false (fl_checklist_run_apply (run, bad, "alex", 0, &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
    g_clear_error (&error);

    json_object_set_string_member (bad, "checklist_id", "other");
    g_assert_false (fl_checklist_run_apply (run, bad, "alex", 0, &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_NOT_CURRENT);
    g_clear_error (&error);
  }
}

static void
on_notify_cb (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_versions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlChecklist) v1 = parse (GOOD, &error);
  g_autoptr(FlChecklist) v2 = NULL;
  g_autoptr(FlChecklistRun) run = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint notified = 0;
  gint64 version;

  g_assert_no_error (error);
  run = fl_checklist_run_new (v1, NULL);
  record (run, events, "verify", FL_CHECKLIST_OUTCOME_DONE, NULL);
  record (run, events, "works", FL_CHECKLIST_OUTCOME_NO, NULL);
  g_assert_cmpint (json_object_get_int_member (FL_EVENT (g_ptr_array_index (events, 0))->data,
                                               "checklist_version"), ==, 3);

  /* Publishing raises the version */
  g_signal_connect (v1, "notify::version", G_CALLBACK (on_notify_cb), &notified);
  fl_checklist_set_version (v1, fl_checklist_get_version (v1) + 1);
  fl_checklist_set_version (v1, 4);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (v1, "version", &version, NULL);
  g_assert_cmpint (version, ==, 4);
  node = fl_checklist_to_json (v1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "version"), ==, 4);

  /* Events recorded with version 3 replay on version 4 by step id */
  g_clear_object (&run);
  run = fl_checklist_run_new (v1, events);
  g_assert_cmpuint (fl_checklist_run_get_n_ignored (run), ==, 0);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "host");
  data = fl_checklist_run_make_step_data (run, "host", FL_CHECKLIST_OUTCOME_DONE, "PC-0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (data, "checklist_version"), ==, 4);

  /* A later version without the "works" question: its event no longer fits */
  v2 = parse ("{'id': 'vpn-test', 'version': 5, 'category': 'network',"
              " 'title': {'de': 'VPN prüfen', 'en': 'Check VPN'}, 'start': 'verify',"
              " 'steps': ["
              "  {'id': 'verify', 'kind': 'check', 'text': {'de': 'Prüfen', 'en': 'Verify'},"
              "   'next': 'host'},"
              "  {'id': 'host', 'kind': 'input', 'text': {'de': 'Rechner', 'en': 'Host'},"
              "   'next': {'escalate': 'network'}}]}", &error);
  g_assert_no_error (error);
  g_assert_true (fl_checklist_get_step (v2, "verify")->skippable);
  g_clear_object (&run);
  run = fl_checklist_run_new (v2, events);
  g_assert_cmpuint (fl_checklist_run_get_n_ignored (run), ==, 1);
  g_assert_cmpuint (fl_checklist_run_get_done_steps (run)->len, ==, 1);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "host");
  /* Without a pattern any text of 1 to FL_CHECKLIST_VALUE_MAX characters fits */
  {
    g_autofree char *over = g_strnfill (FL_CHECKLIST_VALUE_MAX + 1, 'x');
    g_assert_null (fl_checklist_run_check_step (run, "host", FL_CHECKLIST_OUTCOME_DONE, over, &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
    g_clear_error (&error);
    g_assert_null (fl_checklist_run_check_step (run, "host", FL_CHECKLIST_OUTCOME_DONE,
                                                "caf\xc3\x28", &error));
    g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_VALUE);
    g_clear_error (&error);
  }
  record (run, NULL, "host", FL_CHECKLIST_OUTCOME_DONE, "irgendein Rechner");
  g_assert_cmpstr (fl_checklist_run_get_result (run)->queue, ==, "network");

  /* A skippable check: skipping goes on with "next" */
  g_clear_object (&run);
  run = fl_checklist_run_new (v2, NULL);
  record (run, NULL, "verify", FL_CHECKLIST_OUTCOME_SKIPPED, NULL);
  g_assert_cmpstr (fl_checklist_run_get_current_step (run)->id, ==, "host");
  {
    g_auto(GStrv) tried = fl_checklist_run_dup_steps_tried (run);
    g_assert_cmpstr (tried[0], ==, "Verify — skipped");
  }
}

static void
write_file (const char *dir,
            const char *name,
            const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = unquote (json);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_load_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("checklists-XXXXXX", &error);
  g_autofree char *missing = NULL;
  g_autoptr(GPtrArray) checklists = NULL;

  g_assert_no_error (error);
  missing = g_build_filename (dir, "missing", NULL);

  /* Empty */
  checklists = fl_checklist_load_dir (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (checklists->len, ==, 0);
  g_clear_pointer (&checklists, g_ptr_array_unref);

  /* Sorted by file name, other files passed over */
  write_file (dir, "b.json", GOOD);
  write_file (dir, "a.json", HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': " END "}]}");
  write_file (dir, "notes.txt", "not a checklist");
  write_file (dir, ".hidden.json", "{");
  checklists = fl_checklist_load_dir (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (checklists->len, ==, 2);
  g_assert_cmpstr (fl_checklist_get_id (g_ptr_array_index (checklists, 0)), ==, "t");
  g_assert_cmpstr (fl_checklist_get_id (g_ptr_array_index (checklists, 1)), ==, "vpn-test");
  g_clear_pointer (&checklists, g_ptr_array_unref);

  /* Two files, one id */
  write_file (dir, "c.json", GOOD);
  checklists = fl_checklist_load_dir (dir, &error);
  g_assert_null (checklists);
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_DUPLICATE_ID);
  g_assert_nonnull (strstr (error->message, "c.json"));
  g_clear_error (&error);

  /* A broken file is named */
  write_file (dir, "c.json", HEAD "{'id': 'a', 'kind': 'check', " TX ", 'next': 'zz'}]}");
  checklists = fl_checklist_load_dir (dir, &error);
  g_assert_null (checklists);
  g_assert_error (error, FL_CHECKLIST_ERROR, FL_CHECKLIST_ERROR_UNKNOWN_STEP);
  g_assert_true (g_str_has_prefix (error->message, "c.json: "));
  g_clear_error (&error);

  /* Not JSON */
  write_file (dir, "c.json", "{'id': ");
  checklists = fl_checklist_load_dir (dir, &error);
  g_assert_null (checklists);
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "c.json: "));
  g_clear_error (&error);

  /* No such directory */
  checklists = fl_checklist_load_dir (missing, &error);
  g_assert_null (checklists);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  {
    static const char * const names[] = { "a.json", "b.json", "c.json", "notes.txt", ".hidden.json" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);
        g_assert_cmpint (g_unlink (path), ==, 0);
      }
    g_assert_cmpint (g_rmdir (dir), ==, 0);
  }
}

/* Without an installation and without $FIRSTLINE_CHECKLIST_DIR the programs use
 * the copy of data/ built into them: the same checklists and categories. */
static void
test_builtin_resource (void)
{
  g_autofree char *dir = builtin_dir ();
  g_autofree char *categories_path = NULL;
  g_autoptr(GPtrArray) from_dir = NULL;
  g_autoptr(GPtrArray) from_resource = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *source = NULL;
  g_autofree char *default_dir = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  from_dir = fl_checklist_load_dir (dir, &error);
  g_assert_no_error (error);
  from_resource = fl_data_load_checklists (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (from_resource->len, ==, from_dir->len);
  for (guint i = 0; i < from_dir->len; i++)
    {
      g_autofree char *a = to_string (g_ptr_array_index (from_dir, i));
      g_autofree char *b = to_string (g_ptr_array_index (from_resource, i));

      g_assert_cmpstr (a, ==, b);
    }

  categories_path = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data", "categories.json",
                                      NULL);
  g_file_get_contents (categories_path, &contents, &length, &error);
  g_assert_no_error (error);
  bytes = fl_data_lookup ("categories.json", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), contents, length);

  /* The defaults, when PKGDATADIR has nothing (the build is not installed) */
  g_unsetenv ("FIRSTLINE_CHECKLIST_DIR");
  g_assert_false (g_file_test (PKGDATADIR, G_FILE_TEST_EXISTS));
  default_dir = fl_checklist_library_dup_default_dir ();
  g_assert_null (default_dir);
  categories = fl_categories_load_default (&source);
  g_assert_cmpstr (source, ==, "resource://" FL_DATA_RESOURCE_PATH "/categories.json");
  g_assert_true (fl_category_requires (fl_categories_find (categories, "password"),
                                       "requester.phone"));
}

static void
count_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* One library and one category list for the whole program, held by the context:
 * a refresh that changes what is offered tells every user. */
static void
test_context_single_instances (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "context.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FlStore) store = fl_store_new (path, &error);
  g_autoptr(FlContext) context = NULL;
  FlChecklistLibrary *library;
  guint changed = 0;

  g_assert_no_error (error);
  context = fl_context_new (store, NULL);
  library = fl_context_get_checklist_library (context);
  g_assert_nonnull (library);
  g_assert_true (fl_context_get_checklist_library (context) == library);
  g_assert_true (fl_context_get_categories (context) == fl_context_get_categories (context));
  g_assert_nonnull (fl_categories_find (fl_context_get_categories (context), "password"));
  g_assert_nonnull (fl_checklist_library_get_latest (library, "password-reset"));

  g_signal_connect_swapped (library, "changed", G_CALLBACK (count_cb), &changed);
  g_assert_false (fl_checklist_library_refresh (library));
  g_assert_cmpuint (changed, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/checklist/format/good", test_good);
  fl_test_add_func ("/checklist/format/outcomes", test_outcomes);
  fl_test_add_func ("/checklist/format/docs-example", test_docs_example);
  fl_test_add_func ("/checklist/validator/broken", test_broken);
  fl_test_add_func ("/checklist/validator/untrusted-strings", test_untrusted_strings);
  fl_test_add_func ("/checklist/load-dir", test_load_dir);
  fl_test_add_func ("/checklist/builtin/load", test_builtin_load);
  fl_test_add_func ("/checklist/builtin/resource", test_builtin_resource);
  fl_test_add_func ("/checklist/library/context", test_context_single_instances);
  fl_test_add_func ("/checklist/builtin/walk-all-paths", test_builtin_walk_all_paths);
  fl_test_add_func ("/checklist/builtin/password-reset", test_password_reset);
  fl_test_add_func ("/checklist/engine/steps", test_engine);
  fl_test_add_func ("/checklist/engine/versions", test_versions);

  return g_test_run ();
}
