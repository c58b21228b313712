/* test-store-actions.c — the typed ops on the store (fl-store-actions.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-checklist-library.h"
#include "fl-store-actions.h"
#include "fl-test-util.h"

static FlStore *
new_store (void)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "actions.db", NULL);
  g_autoptr(GError) error = NULL;
  FlStore *store = fl_store_new (path, &error);

  g_assert_no_error (error);
  g_assert_true (fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error));
  g_assert_no_error (error);
  return store;
}

static FlTicket *
create (FlStore *store)
{
  g_autoptr(JsonObject) fields = fl_test_parse_object (
    "{\"title\": \"VPN trennt\", \"requester\": {\"name\": \"Jana Krüger\"},"
    " \"channel\": \"phone\", \"category\": \"network\", \"impact\": \"low\"}");
  g_autoptr(GError) error = NULL;
  FlTicket *t = fl_store_create_ticket (store, fields, &error);

  g_assert_no_error (error);
  return t;
}

/* Each call queues the op it names, with the data the op table asks for. */
static void
test_ops (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = create (store);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GError) error = NULL;
  const char *tried[] = { "Neustart — done", NULL };
  FlHandoffRequest request = { "network", "VPN-Token defekt", tried, FL_HANDOFF_KEEP_GRADE,
                               FL_GRADE_HIGH, NULL };
  FlEvent *event;
  FlTicket *u;

  u = fl_store_set_status (store, t->id, FL_STATUS_WAITING, &error);
  g_assert_no_error (error);
  g_assert_cmpint (u->status, ==, FL_STATUS_WAITING);
  g_object_unref (u);

  u = fl_store_assign (store, t->id, "sam", &error);
  /* an agent passes on only their own ticket */
  g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_FORBIDDEN);
  g_assert_null (u);
  g_clear_error (&error);

  u = fl_store_handoff (store, t->id, &request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (u->status, ==, FL_STATUS_ESCALATED);
  g_assert_cmpstr (u->queue, ==, "network");
  g_assert_cmpint (u->impact, ==, FL_GRADE_LOW);
  g_assert_cmpint (u->urgency, ==, FL_GRADE_HIGH);
  g_object_unref (u);

  events = fl_store_list_events (store, t->id, &error);
  g_assert_no_error (error);
  event = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpint (event->type, ==, FL_OP_HANDOFF);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (event->data,
                                                                                "steps_tried"), 0),
                   ==, "Neustart — done");
  g_assert_false (json_object_has_member (event->data, "impact"));
  g_assert_false (json_object_has_member (event->data, "contact"));

  u = fl_store_close (store, t->id, &error);
  g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_FORBIDDEN);
  g_assert_null (u);

  ops = fl_store_list_pending_ops (store, 100, NULL);
  g_assert_cmpuint (ops->len, ==, 3);   /* create, update, handoff */
}

/* A step is recorded on the run's version; an answer that does not fit stores nothing. */
static void
test_steps (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = create (store);
  g_autoptr(FlChecklistLibrary) library = fl_checklist_library_new (store, NULL);
  g_autoptr(FlChecklistRun) run = fl_checklist_library_new_run (library, "vpn", NULL);
  g_autoptr(FlTicket) u = NULL;
  g_autoptr(FlTicket) restarted = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (run);
  g_assert_null (fl_store_record_step (store, t->id, run, "home-network",
                                       FL_CHECKLIST_OUTCOME_DONE, NULL, &error));
  g_assert_true (error->domain == FL_CHECKLIST_ERROR);
  g_clear_error (&error);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 1);

  u = fl_store_record_step (store, t->id, run, "internet-ok", FL_CHECKLIST_OUTCOME_YES, NULL,
                            &error);
  g_assert_no_error (error);
  g_assert_nonnull (u);
  restarted = fl_store_restart_checklist (store, t->id, run, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/store-actions/ops", test_ops);
  fl_test_add_func ("/store-actions/steps", test_steps);

  return g_test_run ();
}
