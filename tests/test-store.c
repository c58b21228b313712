/* test-store.c — the local SQLite cache: schema, actions, search, drafts, views
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "fl-demo.h"
#include "fl-store-private.h"
#include "fl-sync-engine.h"
#include "fl-test-util.h"

#define HOUR (3600 * 1000LL)

/* -------------------------------------------------------------------------- */

static char *
store_path (const char *name)
{
  return g_build_filename (g_get_user_cache_dir (), "firstline", name, NULL);
}

static FlStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  FlStore *store = fl_store_new (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static FlStore *
new_store (void)
{
  g_autofree char *path = store_path ("store.db");
  g_autoptr(GError) error = NULL;
  FlStore *store = open_store (path);

  g_assert_true (fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error));
  g_assert_no_error (error);
  return store;
}

static gint64
sql_int (FlStore    *store,
         const char *sql,
         const char *arg)
{
  sqlite3 *db = _fl_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return v;
}

static void
sql_exec (FlStore    *store,
          const char *sql)
{
  char *errmsg = NULL;

  if (sqlite3_exec (_fl_store_get_db (store), sql, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("%s: %s", sql, errmsg);
}

static guint
count_events (FlStore    *store,
              const char *ticket_id)
{
  return (guint) sql_int (store, "SELECT count(*) FROM events WHERE ticket_id = ?1", ticket_id);
}

static guint
count_outbox (FlStore    *store,
              const char *ticket_id)
{
  return (guint) sql_int (store, "SELECT count(*) FROM outbox WHERE ticket_id = ?1", ticket_id);
}

static guint
search_count (FlStore    *store,
              const char *query)
{
  g_autoptr(GError) error = NULL;
  guint n = fl_store_count_tickets (store, FL_VIEW_ALL, query, &error);

  g_assert_no_error (error);
  return n;
}

static void
on_changed_cb (FlStore   *store,
               GPtrArray *changes,
               guint     *n_emissions)
{
  (*n_emissions)++;
}

static const char *create_json =
  "{\"title\": \"Drucker druckt nur leere Seiten\","
  " \"description\": \"Etagendrucker im zweiten Stock, Toner laut Display voll.\","
  " \"requester\": {\"name\": \"Jana Krüger\", \"email\": \"jana.krueger@example.com\","
  "                 \"department\": \"Einkauf\"},"
  " \"asset\": \"PR-0412\", \"channel\": \"phone\", \"category\": \"printer\"}";

static FlTicket *
create (FlStore    *store,
        const char *json)
{
  g_autoptr(JsonObject) fields = fl_test_parse_object (json);
  g_autoptr(GError) error = NULL;
  FlTicket *t = fl_store_create_ticket (store, fields, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

/* A ticket as the server would send it. */
static FlTicket *
server_ticket (gint64      number,
               const char *title,
               FlStatus    status,
               const char *assignee,
               int         level,
               FlGrade     impact,
               FlGrade     urgency,
               gint64      created_at)
{
  FlTicket *t = fl_ticket_new ();

  g_free (t->id);
  t->id = fl_uuid_new ();
  t->number = number;
  t->version = 3;
  t->seq = number;
  g_free (t->title);
  t->title = g_strdup (title);
  g_free (t->requester.name);
  t->requester.name = g_strdup ("Lukas Weber");
  g_free (t->category);
  t->category = g_strdup ("other");
  t->impact = impact;
  t->urgency = urgency;
  t->priority = fl_priority_compute (impact, urgency);
  t->status = status;
  t->level = level;
  t->assignee = g_strdup (assignee);
  t->created_at = created_at;
  t->updated_at = created_at;
  t->due_at = created_at + fl_policy_get_default ()->resolve_target[t->priority - 1];
  if (!fl_status_is_open (status))
    {
      t->resolution_code = FL_RESOLUTION_SOLVED;
      t->resolution_summary = g_strdup ("done");
      t->resolved_at = created_at + HOUR;
    }
  if (status == FL_STATUS_WAITING)
    t->waiting_since = created_at;

  return t;
}

static void
put (FlStore  *store,
     FlTicket *t)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (tickets, t);
  g_assert_true (fl_store_put_tickets (store, tickets, NULL, &error));
  g_assert_no_error (error);
}

/* -------------------------------------------------------------------------- */

static void
test_schema (void)
{
  g_autoptr(FlStore) store = new_store ();
  const char *tables[] = { "tickets", "events", "outbox", "sync_state", "checklists",
                           "tickets_fts", "drafts", "conflicts" };

  g_assert_cmpint (fl_store_get_schema_version (store), ==, FL_STORE_SCHEMA_VERSION);
  g_assert_cmpint (sql_int (store, "PRAGMA user_version", NULL), ==, FL_STORE_SCHEMA_VERSION);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_cmpint (sql_int (store, "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                              tables[i]), ==, 1);

  g_assert_true (fl_uuid_is_valid (fl_store_get_client_id (store)));
  g_assert_cmpstr (fl_store_get_username (store), ==, "alex");
  g_assert_cmpint (fl_store_get_role (store), ==, FL_ROLE_AGENT);
  g_assert_cmpint (fl_store_count_pending_ops (store), ==, 0);
}

static void
test_identity_persists (void)
{
  g_autofree char *path = store_path ("store.db");
  g_autofree char *client_id = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(FlStore) store = open_store (path);

    client_id = g_strdup (fl_store_get_client_id (store));
    g_assert_true (fl_store_set_user (store, "boss", FL_ROLE_LEAD, &error));
    g_assert_true (fl_store_set_state (store, "cursor", "5501", &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(FlStore) store = open_store (path);
    g_autofree char *cursor = fl_store_dup_state (store, "cursor");

    g_assert_cmpstr (fl_store_get_client_id (store), ==, client_id);
    g_assert_cmpstr (fl_store_get_username (store), ==, "boss");
    g_assert_cmpint (fl_store_get_role (store), ==, FL_ROLE_LEAD);
    g_assert_cmpstr (cursor, ==, "5501");
    g_assert_true (fl_store_set_state (store, "cursor", NULL, &error));
    g_clear_pointer (&cursor, g_free);
    cursor = fl_store_dup_state (store, "cursor");
    g_assert_null (cursor);
  }
}

#define OLD_TICKET_ID "0b8c9d4e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"

static void
test_migrations (void)
{
  for (int k = 0; k < FL_STORE_SCHEMA_VERSION; k++)
    {
      g_autofree char *name = g_strdup_printf ("schema-%d.db", k);
      g_autofree char *path = store_path (name);
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", k);
      g_autoptr(FlStore) store = NULL;
      g_autoptr(FlTicket) t = NULL;
      g_autoptr(GError) error = NULL;
      sqlite3 *db = NULL;
      char *errmsg = NULL;

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
      for (int m = 0; m < k; m++)
        if (sqlite3_exec (db, _fl_store_get_migration (m), NULL, NULL, &errmsg) != SQLITE_OK)
          g_error ("migration %d: %s", m, errmsg);
      if (sqlite3_exec (db, set_version, NULL, NULL, &errmsg) != SQLITE_OK)
        g_error ("%s", errmsg);

      /* data as that version wrote it */
      if (k >= 1)
        {
          static const char *insert =
            "INSERT INTO tickets (id, number, version, title, req_name, channel, category,"
            "  impact, urgency, priority, status, level, queue, created_at, updated_at, due_at)"
            " VALUES ('" OLD_TICKET_ID "', 77, 4, 'Alter Monitor', 'Jörg Wolf', 'email',"
            "  'hardware', 'low', 'high', 3, 'new', 1, 'first-level', 1000, 2000, 3000);"
            "INSERT INTO tickets_fts (rowid, title, description, requester, notes, extra)"
            " VALUES ((SELECT rowid FROM tickets WHERE number = 77), 'Alter Monitor', '',"
            "  'Jörg Wolf', '', '77');"
            "INSERT INTO sync_state (key, value) VALUES ('cursor', '42');"
            "INSERT INTO outbox (op_id, ticket_id, type, base_version, at, data)"
            " VALUES ('1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', '" OLD_TICKET_ID "', 'note', 4,"
            "  2500, '{\"body\": \"alt\"}');";
          if (sqlite3_exec (db, insert, NULL, NULL, &errmsg) != SQLITE_OK)
            g_error ("insert at version %d: %s", k, errmsg);
        }
      g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

      store = fl_store_new (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (fl_store_get_schema_version (store), ==, FL_STORE_SCHEMA_VERSION);
      g_assert_cmpint (sql_int (store, "PRAGMA user_version", NULL), ==, FL_STORE_SCHEMA_VERSION);

      /* the latest schema works: drafts came with version 2 */
      g_assert_true (fl_store_set_draft (store, OLD_TICKET_ID, "Entwurf", FALSE, &error));
      g_assert_no_error (error);

      if (k >= 1)
        {
          g_autofree char *cursor = fl_store_dup_state (store, "cursor");

          t = fl_store_get_ticket (store, "#77", &error);
          g_assert_no_error (error);
          g_assert_cmpstr (t->id, ==, OLD_TICKET_ID);
          g_assert_cmpstr (t->title, ==, "Alter Monitor");
          g_assert_cmpstr (t->requester.name, ==, "Jörg Wolf");
          g_assert_cmpint (t->version, ==, 4);
          g_assert_cmpint (t->channel, ==, FL_CHANNEL_EMAIL);
          g_assert_cmpint (t->urgency, ==, FL_GRADE_HIGH);
          g_assert_cmpint (t->due_at, ==, 3000);
          g_assert_cmpstr (cursor, ==, "42");
          g_assert_cmpint (fl_store_count_pending_ops (store), ==, 1);
          g_assert_cmpuint (search_count (store, "jorg"), ==, 1);
          g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_INCOMING, NULL, &error), ==, 1);
        }
    }
}

static void
test_too_new (void)
{
  g_autofree char *path = store_path ("future.db");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d",
                                                  FL_STORE_SCHEMA_VERSION + 1);
  g_autoptr(FlStore) store = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future (x);", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, set_version, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  store = fl_store_new (path, &error);
  g_assert_null (store);
  g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_TOO_NEW);

  /* the file is left as it was */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, FL_STORE_SCHEMA_VERSION + 1);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM sqlite_master WHERE name = 'tickets'",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* -------------------------------------------------------------------------- */

/* Checks that one action wrote exactly one transaction's worth: the ticket at
 * @version with @pending unsent ops, the event (id = op id) and the op. */
static void
assert_action_recorded (FlStore    *store,
                        FlTicket   *returned,
                        FlOpType    type,
                        gint64      version,
                        guint       pending,
                        gint64      base_version)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) stored = fl_store_get_ticket (store, returned->id, &error);
  g_autoptr(GPtrArray) ops = fl_store_list_pending_ops (store, 1000, &error);
  g_autoptr(GPtrArray) events = fl_store_list_events (store, returned->id, &error);
  FlOp *last_op = NULL;
  FlEvent *last_event;

  g_assert_no_error (error);
  g_assert_cmpint (returned->version, ==, version);
  g_assert_cmpuint (returned->pending, ==, pending);
  g_assert_true (fl_ticket_equal (returned, stored));
  g_assert_cmpuint (stored->pending, ==, pending);

  /* the event log and the outbox each grew by this action */
  g_assert_cmpuint (events->len, ==, pending);
  g_assert_cmpuint (count_outbox (store, returned->id), ==, pending);

  for (guint i = 0; i < ops->len; i++)
    {
      FlOp *op = g_ptr_array_index (ops, i);
      if (g_strcmp0 (op->ticket_id, returned->id) == 0)
        last_op = op;
    }
  g_assert_nonnull (last_op);
  last_event = g_ptr_array_index (events, events->len - 1);

  g_assert_cmpint (last_op->type, ==, type);
  g_assert_cmpint (last_event->type, ==, type);
  g_assert_cmpstr (last_event->id, ==, last_op->op_id);
  g_assert_cmpstr (last_event->author, ==, "alex");
  g_assert_cmpint (last_event->seq, ==, 0);
  g_assert_cmpint (last_op->base_version, ==, base_version);
  g_assert_cmpint (last_op->at, ==, returned->updated_at);
  g_assert_cmpint (last_event->at, ==, returned->updated_at);
}

static void
test_actions (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) t1 = NULL;
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(FlTicket) t3 = NULL;
  g_autoptr(FlTicket) t4 = NULL;
  g_autoptr(FlTicket) t5 = NULL;
  g_autoptr(FlTicket) t6 = NULL;
  g_autoptr(FlTicket) t7 = NULL;
  g_autoptr(FlTicket) t8 = NULL;
  g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"urgency\": \"high\", \"title\": \"Drucker 2. OG\"}");
  g_autoptr(JsonObject) step = fl_test_parse_object ("{\"checklist_id\": \"printer\", \"checklist_version\": 1,"
                                                     " \"step_id\": \"paper\", \"outcome\": \"no\"}");
  g_autoptr(JsonObject) handoff = fl_test_parse_object ("{\"queue\": \"hardware\", \"summary\": \"Fixierer\","
                                                        " \"steps_tried\": [\"Papier\"]}");
  g_autoptr(GPtrArray) events = NULL;
  guint n_changed = 0;

  g_signal_connect (store, "changed", G_CALLBACK (on_changed_cb), &n_changed);

  t1 = create (store, create_json);
  g_assert_cmpint (n_changed, ==, 1);
  assert_action_recorded (store, t1, FL_OP_CREATE, 1, 1, 0);
  g_assert_cmpstr (t1->created_by, ==, "alex");
  g_assert_cmpint (t1->number, ==, 0);

  t2 = fl_store_update_ticket (store, t1->id, changes, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t2, FL_OP_UPDATE, 2, 2, 0);
  g_assert_cmpint (t2->priority, ==, 2);
  g_assert_cmpstr (t2->title, ==, "Drucker 2. OG");

  t3 = fl_store_add_note (store, t1->id, "Papierfach klemmt", TRUE, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t3, FL_OP_NOTE, 3, 3, 0);

  t4 = fl_store_claim (store, t1->id, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t4, FL_OP_CLAIM, 4, 4, 0);
  g_assert_cmpstr (t4->assignee, ==, "alex");
  g_assert_cmpint (t4->status, ==, FL_STATUS_IN_PROGRESS);

  t5 = fl_store_apply_local (store, t1->id, FL_OP_CHECKLIST, step, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t5, FL_OP_CHECKLIST, 5, 5, 0);

  t6 = fl_store_apply_local (store, t1->id, FL_OP_HANDOFF, handoff, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t6, FL_OP_HANDOFF, 6, 6, 0);
  g_assert_cmpint (t6->status, ==, FL_STATUS_ESCALATED);
  g_assert_cmpint (t6->level, ==, 2);
  g_assert_null (t6->assignee);

  t7 = fl_store_resolve (store, t1->id, FL_RESOLUTION_SOLVED, "Fixierer getauscht", &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t7, FL_OP_RESOLVE, 7, 7, 0);
  g_assert_cmpint (t7->status, ==, FL_STATUS_RESOLVED);

  t8 = fl_store_reopen (store, t1->id, "Wieder leer", &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t8, FL_OP_REOPEN, 8, 8, 0);
  g_assert_cmpint (t8->status, ==, FL_STATUS_IN_PROGRESS);

  g_assert_cmpint (n_changed, ==, 8);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 8);

  /* the ops come out in the order they were made */
  {
    g_autoptr(GPtrArray) ops = fl_store_list_pending_ops (store, 1000, &error);
    FlOpType order[] = { FL_OP_CREATE, FL_OP_UPDATE, FL_OP_NOTE, FL_OP_CLAIM, FL_OP_CHECKLIST,
                         FL_OP_HANDOFF, FL_OP_RESOLVE, FL_OP_REOPEN };
    g_autoptr(GPtrArray) limited = fl_store_list_pending_ops (store, 3, &error);

    g_assert_cmpuint (ops->len, ==, G_N_ELEMENTS (order));
    for (guint i = 0; i < ops->len; i++)
      g_assert_cmpint (((FlOp *) g_ptr_array_index (ops, i))->type, ==, order[i]);
    g_assert_cmpuint (limited->len, ==, 3);
  }

  /* the note's event keeps its text */
  events = fl_store_list_events (store, t1->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (((FlEvent *) g_ptr_array_index (events, 2))->data,
                                                  "body"), ==, "Papierfach klemmt");
  g_assert_true (json_object_get_boolean_member (((FlEvent *) g_ptr_array_index (events, 2))->data,
                                                 "internal"));
  g_assert_true (json_object_has_member (((FlEvent *) g_ptr_array_index (events, 1))->data,
                                         "changes"));
}

/* Ops on a ticket from the server carry the version the server last confirmed. */
static void
test_actions_base_version (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) server = server_ticket (1200, "VPN trennt", FL_STATUS_NEW, NULL, 1,
                                              FL_GRADE_MEDIUM, FL_GRADE_MEDIUM, fl_time_now () - HOUR);
  g_autoptr(FlTicket) t1 = NULL;
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(GError) error = NULL;

  server->version = 5;
  put (store, server);

  t1 = fl_store_claim (store, server->id, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t1, FL_OP_CLAIM, 6, 1, 5);
  g_assert_cmpint (t1->number, ==, 1200);
  g_assert_cmpint (t1->seq, ==, 1200);

  t2 = fl_store_add_note (store, server->id, "Rückruf um 14 Uhr", FALSE, &error);
  g_assert_no_error (error);
  assert_action_recorded (store, t2, FL_OP_NOTE, 7, 2, 5);
}

/* Nothing of a failed action is left: the ticket, the event log and the outbox are as before. */
static void
assert_nothing_written (FlStore    *store,
                        FlTicket   *before,
                        guint       n_events,
                        guint       n_outbox,
                        guint       n_pending)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlTicket) now = fl_store_get_ticket (store, before->id, &error);

  g_assert_no_error (error);
  g_assert_true (fl_ticket_equal (before, now));
  g_assert_cmpuint (now->pending, ==, before->pending);
  g_assert_cmpuint (count_events (store, before->id), ==, n_events);
  g_assert_cmpuint (count_outbox (store, before->id), ==, n_outbox);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, n_pending);
}

static void
test_actions_invalid (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = create (store, create_json);
  g_autoptr(FlTicket) other = server_ticket (1300, "Fremdes Ticket", FL_STATUS_IN_PROGRESS,
                                             "sam", 1, FL_GRADE_LOW, FL_GRADE_LOW,
                                             fl_time_now () - HOUR);
  guint n_changed = 0;
  struct { FlOpType type; const char *data; int code; } bad[] = {
    { FL_OP_NOTE, "{\"body\": \"\"}", FL_MODEL_ERROR_INVALID },
    { FL_OP_NOTE, "{\"body\": 3}", FL_MODEL_ERROR_TYPE },
    { FL_OP_UPDATE, "{\"status\": \"resolved\"}", FL_MODEL_ERROR_INVALID },
    { FL_OP_UPDATE, "{\"title\": \"\"}", FL_MODEL_ERROR_INVALID },
    { FL_OP_UPDATE, "{\"impact\": \"urgent\"}", FL_MODEL_ERROR_INVALID },
    { FL_OP_CHECKLIST, "{\"checklist_id\": \"x\", \"step_id\": \"y\", \"outcome\": \"?\"}",
      FL_MODEL_ERROR_INVALID },
    { FL_OP_ASSIGN, "{\"assignee\": \"sam\"}", FL_MODEL_ERROR_FORBIDDEN },
    { FL_OP_CLOSE, "{}", FL_MODEL_ERROR_FORBIDDEN },
    { FL_OP_REOPEN, "{}", FL_MODEL_ERROR_INVALID },
    { FL_OP_RESOLVE, "{\"code\": \"solved\"}", FL_MODEL_ERROR_INVALID },
  };

  put (store, other);
  g_signal_connect (store, "changed", G_CALLBACK (on_changed_cb), &n_changed);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) data = fl_test_parse_object (bad[i].data);
      g_autoptr(GError) error = NULL;
      g_autoptr(FlTicket) r = fl_store_apply_local (store, t->id, bad[i].type, data, &error);

      g_assert_null (r);
      g_assert_error (error, FL_MODEL_ERROR, bad[i].code);
      assert_nothing_written (store, t, 1, 1, 1);
    }

  /* a claim of someone else's ticket is a conflict */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) r = fl_store_claim (store, other->id, &error);

    g_assert_null (r);
    g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_CONFLICT);
    assert_nothing_written (store, other, 0, 0, 1);
  }

  /* an invalid create leaves no ticket */
  {
    g_autoptr(JsonObject) fields = fl_test_parse_object ("{\"title\": \"x\", \"requester\": {},"
                                                         " \"channel\": \"phone\", \"category\": \"x\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) r = fl_store_create_ticket (store, fields, &error);

    g_assert_null (r);
    g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID);
    g_assert_cmpint (sql_int (store, "SELECT count(*) FROM tickets", NULL), ==, 2);
    g_assert_cmpint (sql_int (store, "SELECT count(*) FROM events", NULL), ==, 1);
    g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 1);
  }

  /* an unknown ticket */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) r = fl_store_claim (store, "00000000-0000-4000-8000-000000000000", &error);

    g_assert_null (r);
    g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND);
  }

  g_assert_cmpuint (n_changed, ==, 0);

  /* and the store still works */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) r = fl_store_add_note (store, t->id, "geht wieder", FALSE, &error);

    g_assert_no_error (error);
    assert_action_recorded (store, r, FL_OP_NOTE, 2, 2, 0);
  }
}

/* A failure inside the transaction, after the ticket row was written, undoes it all. */
static void
test_actions_fail_midway (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = create (store, create_json);
  const char *triggers[] = {
    "CREATE TEMP TRIGGER fail_late BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    "CREATE TEMP TRIGGER fail_late BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END",
  };
  guint n_changed = 0;

  g_signal_connect (store, "changed", G_CALLBACK (on_changed_cb), &n_changed);

  for (guint i = 0; i < G_N_ELEMENTS (triggers); i++)
    {
      sql_exec (store, triggers[i]);

      {
        g_autoptr(GError) error = NULL;
        g_autoptr(FlTicket) r = fl_store_add_note (store, t->id, "Wartungsklappe", FALSE, &error);

        g_assert_null (r);
        g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED);
        g_assert_nonnull (strstr (error->message, "disk full"));
        assert_nothing_written (store, t, 1, 1, 1);
        /* the note's text did not reach the search index either */
        g_assert_cmpuint (search_count (store, "Wartungsklappe"), ==, 0);
      }
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(FlTicket) r = fl_store_claim (store, t->id, &error);

        g_assert_null (r);
        g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED);
        assert_nothing_written (store, t, 1, 1, 1);
        g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_MINE, NULL, NULL), ==, 0);
      }
      {
        g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"title\": \"Geändert\"}");
        g_autoptr(GError) error = NULL;
        g_autoptr(FlTicket) r = fl_store_update_ticket (store, t->id, changes, &error);

        g_assert_null (r);
        g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED);
        assert_nothing_written (store, t, 1, 1, 1);
        g_assert_cmpuint (search_count (store, "Geändert"), ==, 0);
        g_assert_cmpuint (search_count (store, "Drucker"), ==, 1);
      }
      {
        g_autoptr(JsonObject) fields = fl_test_parse_object (
                  "{\"title\": \"Neuer Laptop\", \"requester\": {\"name\": \"Mia Koch\"},"
                  " \"channel\": \"chat\", \"category\": \"hardware\"}");
        g_autoptr(GError) error = NULL;
        g_autoptr(FlTicket) r = fl_store_create_ticket (store, fields, &error);

        g_assert_null (r);
        g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED);
        g_assert_cmpint (sql_int (store, "SELECT count(*) FROM tickets", NULL), ==, 1);
        g_assert_cmpuint (search_count (store, "Laptop"), ==, 0);
      }

      sql_exec (store, "DROP TRIGGER temp.fail_late");
    }

  g_assert_cmpuint (n_changed, ==, 0);

  /* without the trigger the same action goes through */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FlTicket) r = fl_store_add_note (store, t->id, "Wartungsklappe", FALSE, &error);

    g_assert_no_error (error);
    assert_action_recorded (store, r, FL_OP_NOTE, 2, 2, 0);
    g_assert_cmpuint (search_count (store, "Wartungsklappe"), ==, 1);
    g_assert_cmpuint (n_changed, ==, 1);
  }
}

/* -------------------------------------------------------------------------- */

static void
test_search (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) printer = create (store, create_json);
  g_autoptr(FlTicket) vpn = create (store,
    "{\"title\": \"VPN disconnects every few minutes\", \"description\": \"Home office.\","
    " \"requester\": {\"name\": \"Ayşe Yılmaz\", \"department\": \"Vertrieb\"},"
    " \"asset\": \"NB-0231\", \"channel\": \"email\", \"category\": \"network\"}");
  g_autoptr(FlTicket) monitor = create (store,
    "{\"title\": \"Monitor flackert\", \"description\": \"Zweiter Monitor, Kabel getauscht.\","
    " \"requester\": {\"name\": \"Björn Müller\", \"location\": \"Köln\"},"
    " \"channel\": \"walk_in\", \"category\": \"hardware\"}");
  g_autoptr(FlTicket) noted = NULL;
  g_autoptr(GError) error = NULL;
  struct { const char *query; guint expected; } cases[] = {
    /* title words, any case */
    { "Drucker", 1 }, { "drucker", 1 }, { "DRUCKER", 1 }, { "flackert", 1 },
    { "disconnects", 1 }, { "MINUTES", 1 },
    /* requester name, with and without diacritics */
    { "Krüger", 1 }, { "kruger", 1 }, { "KRÜGER", 1 }, { "Kruger Jana", 1 },
    { "Müller", 1 }, { "muller", 1 }, { "björn", 1 }, { "bjorn", 1 }, { "koln", 1 },
    { "Ayşe", 1 }, { "ayse", 1 },
    /* description, department, asset, e-mail */
    { "Etagendrucker", 1 }, { "einkauf", 1 }, { "NB-0231", 1 }, { "nb", 1 },
    { "krueger", 1 },
    /* prefixes */
    { "Druck", 1 }, { "dru", 1 }, { "Mon", 1 }, { "Krü", 1 }, { "kru", 1 }, { "flack", 1 },
    /* several words: all must match */
    { "Drucker Krüger", 1 }, { "Drucker Müller", 0 }, { "monitor kabel", 1 },
    /* nothing */
    { "Tastatur", 0 }, { "xyz", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (search_count (store, cases[i].query) != cases[i].expected)
      g_error ("search \"%s\": %u tickets, expected %u", cases[i].query,
               search_count (store, cases[i].query), cases[i].expected);

  /* a note's words become searchable */
  g_assert_cmpuint (search_count (store, "Werkstatt"), ==, 0);
  noted = fl_store_add_note (store, monitor->id, "Gerät geht in die Werkstatt", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (search_count (store, "werkstatt"), ==, 1);
  g_assert_cmpuint (search_count (store, "gerat"), ==, 1);
  g_assert_cmpuint (search_count (store, "Werk"), ==, 1);

  /* and stay searchable after a later change of the ticket */
  {
    g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"title\": \"Bildschirm flackert\"}");
    g_autoptr(FlTicket) updated = fl_store_update_ticket (store, monitor->id, changes, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (search_count (store, "werkstatt"), ==, 1);
    g_assert_cmpuint (search_count (store, "bildschirm"), ==, 1);
    g_assert_cmpuint (search_count (store, "Monitor"), ==, 1);      /* description */
    g_assert_cmpuint (search_count (store, "flackert Monitor Werkstatt"), ==, 1);
  }

  /* the results are the tickets */
  {
    g_autoptr(GPtrArray) found = fl_store_query_tickets (store, FL_VIEW_ALL, "kruger", 0, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpstr (((FlTicket *) g_ptr_array_index (found, 0))->id, ==, printer->id);
  }

  /* search within a view */
  g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_INCOMING, "vpn", &error), ==, 1);
  g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_RESOLVED, "vpn", &error), ==, 0);
  g_assert_no_error (error);
  (void) vpn;
}

/* Whatever a person types, the query never fails. */
static void
test_build_match_hostile (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = create (store, create_json);
  g_autofree char *many = NULL;
  GString *s = g_string_new (NULL);
  const char *hostile[] = {
    "\"", "\"\"", "\"Drucker", "Drucker\"", "Dru\"cker", "\"Drucker\"", "'", "''Drucker'",
    "*", "Drucker*", "*Drucker", "Dru*ker", "**", "Drucker OR Monitor", "OR", "AND", "NOT",
    "Drucker AND", "NOT Drucker", "OR OR OR", "NEAR(", "NEAR(Drucker Monitor)",
    "NEAR(Drucker, 5)", "-", "-Drucker", "Drucker -Monitor", "--", "(", ")", "()",
    "(Drucker", "Drucker)", "((Drucker))", "title:Drucker", "{title}: Drucker", "title:",
    ":", "^Drucker", "^", "+", "Drucker + Toner", "a\tb\nc\rd", "Krü\"ger", "\\", "\\\"",
    "%", "_", "100%", "Drucker;", "'; DROP TABLE tickets; --", "\"; DROP TABLE tickets; --",
    "🙂", "👩‍💻 Drucker", "½", "𞤀𞤁", "\xcc\x81", "a\xcc\x81", "ﬁ", "ß", "İ",
  };
  const char *nothing[] = { "", " ", "\t\n", "!!!", "\"", "\"\"\"", "*", "()", "-", "--",
                            "^", "+", ":", "🙂", "\"-\" (*) ^", "\xcc\x81", NULL };
  const char *invalid_utf8 = "Dru\xffker";

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (s, "w%u ", i);
  many = g_string_free (s, FALSE);

  for (guint i = 0; i <= G_N_ELEMENTS (hostile); i++)
    {
      const char *query = i < G_N_ELEMENTS (hostile) ? hostile[i] : many;
      g_autofree char *match = fl_store_build_match (query);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) found = NULL;
      guint n;

      if (match != NULL)
        {
          sqlite3 *db = _fl_store_get_db (store);
          sqlite3_stmt *stmt = NULL;
          int rc;

          g_assert_true (g_utf8_validate (match, -1, NULL));
          g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM tickets_fts"
                                               " WHERE tickets_fts MATCH ?1", -1, &stmt, NULL),
                           ==, SQLITE_OK);
          sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
          rc = sqlite3_step (stmt);
          if (rc != SQLITE_ROW)
            g_error ("\"%s\" → MATCH %s: %s", query, match, sqlite3_errmsg (db));
          sqlite3_finalize (stmt);
        }

      n = fl_store_count_tickets (store, FL_VIEW_ALL, query, &error);
      if (error != NULL)
        g_error ("count \"%s\": %s", query, error->message);
      found = fl_store_query_tickets (store, FL_VIEW_ALL, query, 0, 50, &error);
      if (error != NULL)
        g_error ("query \"%s\": %s", query, error->message);
      g_assert_cmpuint (found->len, ==, n);
    }

  /* keywords are words, not operators */
  g_assert_cmpuint (search_count (store, "Drucker OR Monitor"), ==, 0);
  g_assert_cmpuint (search_count (store, "NOT Drucker"), ==, 0);
  g_assert_cmpuint (search_count (store, "Drucker -Toner"), ==, 1);
  g_assert_cmpuint (search_count (store, "\"Drucker\""), ==, 1);
  g_assert_cmpuint (search_count (store, "Krü\"ger"), ==, 0);
  g_assert_cmpuint (search_count (store, "(Drucker)"), ==, 1);
  g_assert_cmpuint (search_count (store, "PR-0412"), ==, 1);
  g_assert_cmpint (sql_int (store, "SELECT count(*) FROM tickets", NULL), ==, 1);

  for (guint i = 0; nothing[i]; i++)
    {
      g_autofree char *match = fl_store_build_match (nothing[i]);

      if (match != NULL)
        g_error ("\"%s\" has nothing to search for, but gave %s", nothing[i], match);
      /* no query: the whole view */
      g_assert_cmpuint (search_count (store, nothing[i]), ==, 1);
    }

  {
    g_autofree char *match = fl_store_build_match (invalid_utf8);
    g_assert_null (match);
  }
  {
    g_autofree char *match = fl_store_build_match (NULL);
    g_assert_null (match);
  }
  (void) t;
}

/* -------------------------------------------------------------------------- */

static char *
long_text (guint n_chars)
{
  static const char *units[] = { "a", "ä", "🙂", " ", "\"", "'", "\\", "%", "_", "ß", "\n", "€" };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n_chars; i++)
    g_string_append (s, units[(i * 7) % G_N_ELEMENTS (units)]);
  return g_string_free (s, FALSE);
}

static void
test_roundtrip (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autofree char *description = long_text (20000);
  g_autofree char *too_long = long_text (20001);
  const char *title = "Quote \" apostrophe ' 100% a_b back\\slash C:\\Temp\\ "
                      "ctl \x01\x02\x1f\x7f tab\tnl\nend Krüger 🙂 👩‍💻 ß";
  const char *name = "Zoë O'Brien-Müller \"Zo\" 👩‍💻";
  const char *note = "Notiz mit \"Anführung\", 50% Rabatt_Code, \\\\server\\share, \x1b[0m 🙂";
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) requester = json_object_new ();
  g_autoptr(FlTicket) created = NULL;
  g_autoptr(FlTicket) noted = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpint (g_utf8_strlen (description, -1), ==, 20000);
  json_object_set_string_member (fields, "title", title);
  json_object_set_string_member (fields, "description", description);
  json_object_set_string_member (requester, "name", name);
  json_object_set_string_member (requester, "email", "o'brien+it%test@example.com");
  json_object_set_string_member (requester, "phone", "+49 (30) 123_456");
  json_object_set_string_member (requester, "department", "R&D / \"Labor\"");
  json_object_set_string_member (requester, "location", "Straße 5, Hinterhaus ");
  json_object_set_object_member (fields, "requester", json_object_ref (requester));
  json_object_set_string_member (fields, "asset", "NB-0231'; --");
  json_object_set_string_member (fields, "channel", "portal");
  json_object_set_string_member (fields, "category", "Sonstiges 🙂");

  created = fl_store_create_ticket (store, fields, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (created->title, ==, title);
  noted = fl_store_add_note (store, created->id, note, FALSE, &error);
  g_assert_no_error (error);

  path = g_strdup (fl_store_get_path (store));
  g_clear_object (&store);
  store = open_store (path);

  {
    g_autoptr(FlTicket) loaded = fl_store_get_ticket (store, created->id, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (loaded->title, ==, title);
    g_assert_cmpstr (loaded->description, ==, description);
    g_assert_cmpstr (loaded->requester.name, ==, name);
    g_assert_cmpstr (loaded->requester.email, ==, "o'brien+it%test@example.com");
    g_assert_cmpstr (loaded->requester.phone, ==, "+49 (30) 123_456");
    g_assert_cmpstr (loaded->requester.department, ==, "R&D / \"Labor\"");
    g_assert_cmpstr (loaded->requester.location, ==, "Straße 5, Hinterhaus ");
    g_assert_cmpstr (loaded->asset, ==, "NB-0231'; --");
    g_assert_cmpstr (loaded->category, ==, "Sonstiges 🙂");
    g_assert_cmpint (loaded->channel, ==, FL_CHANNEL_PORTAL);
    g_assert_true (fl_ticket_equal (noted, loaded));
  }

  events = fl_store_list_events (store, created->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (((FlEvent *) g_ptr_array_index (events, 1))->data,
                                                  "body"), ==, note);
  g_assert_cmpstr (json_object_get_string_member (((FlEvent *) g_ptr_array_index (events, 0))->data,
                                                  "description"), ==, description);

  /* the op in the outbox carries the same text */
  {
    g_autoptr(GPtrArray) ops = fl_store_list_pending_ops (store, 10, &error);
    FlOp *op = g_ptr_array_index (ops, 0);

    g_assert_cmpstr (json_object_get_string_member (op->data, "title"), ==, title);
    g_assert_cmpstr (json_object_get_string_member (op->data, "description"), ==, description);
  }

  /* 20001 characters are too many */
  {
    g_autoptr(JsonObject) changes = json_object_new ();
    g_autoptr(FlTicket) r = NULL;

    json_object_set_string_member (changes, "description", too_long);
    r = fl_store_update_ticket (store, created->id, changes, &error);
    g_assert_null (r);
    g_assert_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_INVALID);
    g_clear_error (&error);
  }

  /* the same through a put, as from the server */
  {
    g_autoptr(FlTicket) t = server_ticket (4711, title, FL_STATUS_RESOLVED, "jörg", 1,
                                           FL_GRADE_HIGH, FL_GRADE_LOW, 1700000000123LL);
    g_autoptr(FlTicket) loaded = NULL;

    g_free (t->description);
    t->description = g_strdup (description);
    g_free (t->resolution_summary);
    t->resolution_summary = g_strdup (note);
    put (store, t);
    loaded = fl_store_get_ticket (store, "#4711", &error);
    g_assert_no_error (error);
    g_assert_true (fl_ticket_equal (t, loaded));
    g_assert_cmpuint (loaded->pending, ==, 0);
  }
}

static void
test_drafts (void)
{
  g_autofree char *path = NULL;
  g_autofree char *id_a = fl_uuid_new ();
  g_autofree char *id_b = fl_uuid_new ();
  g_autoptr(GError) error = NULL;
  gboolean internal = TRUE;

  {
    g_autoptr(FlStore) store = new_store ();
    g_autofree char *draft = NULL;

    path = g_strdup (fl_store_get_path (store));

    draft = fl_store_dup_draft (store, id_a, &internal);
    g_assert_null (draft);
    g_assert_false (internal);

    g_assert_true (fl_store_set_draft (store, id_a, "Erst halb fertig 🙂", TRUE, &error));
    g_assert_true (fl_store_set_draft (store, id_b, "Anderes Ticket", FALSE, &error));
    g_assert_no_error (error);
    draft = fl_store_dup_draft (store, id_a, &internal);
    g_assert_cmpstr (draft, ==, "Erst halb fertig 🙂");
    g_assert_true (internal);

    /* overwrite */
    g_assert_true (fl_store_set_draft (store, id_a, "Fast fertig", TRUE, &error));
    g_clear_pointer (&draft, g_free);
    draft = fl_store_dup_draft (store, id_a, NULL);
    g_assert_cmpstr (draft, ==, "Fast fertig");
  }

  /* after a restart */
  {
    g_autoptr(FlStore) store = open_store (path);
    g_autofree char *a = fl_store_dup_draft (store, id_a, &internal);
    g_autofree char *b = NULL;

    g_assert_cmpstr (a, ==, "Fast fertig");
    g_assert_true (internal);
    b = fl_store_dup_draft (store, id_b, &internal);
    g_assert_cmpstr (b, ==, "Anderes Ticket");
    g_assert_false (internal);

    /* clearing: NULL or empty */
    g_assert_true (fl_store_set_draft (store, id_a, NULL, FALSE, &error));
    g_assert_true (fl_store_set_draft (store, id_b, "", FALSE, &error));
    g_assert_no_error (error);
  }

  {
    g_autoptr(FlStore) store = open_store (path);
    g_autofree char *a = fl_store_dup_draft (store, id_a, NULL);
    g_autofree char *b = fl_store_dup_draft (store, id_b, NULL);

    g_assert_null (a);
    g_assert_null (b);
  }

  /* a note that is saved takes its draft with it */
  {
    g_autoptr(FlStore) store = open_store (path);
    g_autoptr(FlTicket) t = create (store, create_json);
    g_autoptr(FlTicket) noted = NULL;
    g_autofree char *draft = NULL;

    g_assert_true (fl_store_set_draft (store, t->id, "Rückruf", FALSE, &error));
    noted = fl_store_add_note (store, t->id, "Rückruf", FALSE, &error);
    g_assert_no_error (error);
    draft = fl_store_dup_draft (store, t->id, NULL);
    g_assert_null (draft);
  }
}

static void
test_number_lookup (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(GPtrArray) tickets = fl_demo_generate_tickets (50, 7, fl_time_now (), 10);
  g_autoptr(GError) error = NULL;
  const char *unknown[] = { "#999999", "#0", "#-1", "#", "#abc", "#12a", "# 1005", "#1005 ",
                            "#99999999999999999999999" };

  g_assert_true (fl_store_put_tickets (store, tickets, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *t = g_ptr_array_index (tickets, i);
      g_autofree char *ref = g_strdup_printf ("#%" G_GINT64_FORMAT, t->number);
      g_autoptr(FlTicket) by_number = fl_store_get_ticket (store, ref, &error);
      g_autoptr(FlTicket) by_id = fl_store_get_ticket (store, t->id, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (by_number->id, ==, t->id);
      g_assert_true (fl_ticket_equal (by_number, t));
      g_assert_true (fl_ticket_equal (by_id, t));
    }

  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr(FlTicket) t = fl_store_get_ticket (store, unknown[i], &error);

      if (t != NULL)
        g_error ("\"%s\" found ticket %" G_GINT64_FORMAT, unknown[i], t->number);
      g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }

  {
    g_autoptr(FlTicket) t = fl_store_get_ticket (store, "00000000-0000-4000-8000-000000000000", &error);
    g_assert_null (t);
    g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND);
  }
}

/* The spec of each view, written out independently of the store. */
static gboolean
expected_in_view (FlView    view,
                  FlTicket *t,
                  const char *me)
{
  gboolean open = t->status == FL_STATUS_NEW || t->status == FL_STATUS_IN_PROGRESS ||
                  t->status == FL_STATUS_WAITING || t->status == FL_STATUS_ESCALATED;

  switch (view)
    {
    case FL_VIEW_INCOMING:
      return t->assignee == NULL && t->level == 1 && open && t->status != FL_STATUS_ESCALATED;
    case FL_VIEW_MINE:
      return g_strcmp0 (t->assignee, me) == 0 && open;
    case FL_VIEW_WAITING:
      return t->status == FL_STATUS_WAITING;
    case FL_VIEW_ESCALATED:
      return t->status == FL_STATUS_ESCALATED;
    case FL_VIEW_RESOLVED:
      return t->status == FL_STATUS_RESOLVED || t->status == FL_STATUS_CLOSED;
    case FL_VIEW_ALL:
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static void
test_views (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const char *assignees[] = { NULL, "alex", "sam" };
  gint64 now = fl_time_now ();
  gint64 number = 100;

  for (int status = FL_STATUS_NEW; status <= FL_STATUS_CLOSED; status++)
    for (guint a = 0; a < G_N_ELEMENTS (assignees); a++)
      for (int level = 1; level <= 2; level++)
        for (int grade = FL_GRADE_LOW; grade <= FL_GRADE_HIGH; grade++)
          {
            g_autofree char *title = g_strdup_printf ("T%" G_GINT64_FORMAT, number);
            /* equal priority and due for some, so the id decides the order */
            gint64 created = now - (number % 3) * HOUR;

            g_ptr_array_add (tickets, server_ticket (number++, title, status, assignees[a], level,
                                                     grade, FL_GRADE_MEDIUM, created));
          }

  g_assert_true (fl_store_put_tickets (store, tickets, NULL, &error));
  g_assert_no_error (error);

  for (FlView view = 0; view < FL_N_VIEWS; view++)
    {
      g_autoptr(GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GPtrArray) found = fl_store_query_tickets (store, view, NULL, 0, 10000, &error);
      guint count = fl_store_count_tickets (store, view, NULL, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < tickets->len; i++)
        {
          FlTicket *t = g_ptr_array_index (tickets, i);

          g_assert_cmpint (fl_store_ticket_in_view (store, view, t), ==,
                           expected_in_view (view, t, "alex"));
          if (expected_in_view (view, t, "alex"))
            g_hash_table_add (expected, t->id);
        }

      if (found->len != g_hash_table_size (expected))
        g_error ("view %s: %u tickets, expected %u", fl_view_to_string (view), found->len,
                 g_hash_table_size (expected));
      g_assert_cmpuint (count, ==, found->len);
      g_assert_cmpuint (count, >, 0);

      for (guint i = 0; i < found->len; i++)
        {
          FlTicket *t = g_ptr_array_index (found, i);

          if (!g_hash_table_contains (expected, t->id))
            g_error ("view %s holds %s (status %s, assignee %s, level %d)",
                     fl_view_to_string (view), t->title, fl_status_to_string (t->status),
                     t->assignee ? t->assignee : "none", t->level);
          /* ordered by priority, due_at, id */
          if (i > 0)
            g_assert_cmpint (fl_store_compare_tickets (g_ptr_array_index (found, i - 1), t), <, 0);
          g_assert_cmpuint (fl_store_count_before (store, view, t, NULL, &error), ==, i);
        }

      /* paging gives the same order */
      {
        g_autoptr(GPtrArray) page = fl_store_query_tickets (store, view, NULL, 3, 4, &error);

        g_assert_cmpuint (page->len, ==, MIN (4, found->len > 3 ? found->len - 3 : 0));
        for (guint i = 0; i < page->len; i++)
          g_assert_cmpstr (((FlTicket *) g_ptr_array_index (page, i))->id, ==,
                           ((FlTicket *) g_ptr_array_index (found, i + 3))->id);
      }
    }

  /* Mine follows the user */
  g_assert_true (fl_store_set_user (store, "sam", FL_ROLE_AGENT, &error));
  {
    guint n = fl_store_count_tickets (store, FL_VIEW_MINE, NULL, &error);
    guint expected = 0;

    for (guint i = 0; i < tickets->len; i++)
      expected += expected_in_view (FL_VIEW_MINE, g_ptr_array_index (tickets, i), "sam");
    g_assert_cmpuint (n, ==, expected);
  }

  {
    FlView v;

    g_assert_true (fl_view_from_string ("escalated", &v));
    g_assert_cmpint (v, ==, FL_VIEW_ESCALATED);
    g_assert_false (fl_view_from_string ("closed", &v));
    g_assert_cmpstr (fl_view_to_string (FL_VIEW_INCOMING), ==, "incoming");
  }
}

/* A pull replaces tickets and appends their events, all in one go. */
static void
test_put_tickets (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(GPtrArray) tickets = fl_demo_generate_tickets (200, 3, fl_time_now (), 5);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  FlTicket *first = g_ptr_array_index (tickets, 0);
  g_autofree char *event_id = fl_uuid_new ();
  g_autoptr(JsonObject) data = fl_test_parse_object ("{\"body\": \"Serverseitige Notiz Quittung\","
                                                     " \"internal\": false}");
  guint n_changed = 0;

  g_ptr_array_add (events, fl_event_new (event_id, first->id, 9000, first->updated_at, "sam",
                                         FL_OP_NOTE, data));
  g_signal_connect (store, "changed", G_CALLBACK (on_changed_cb), &n_changed);

  g_assert_true (fl_store_put_tickets (store, tickets, events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_changed, ==, 1);
  g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_ALL, NULL, &error), ==, 200);
  g_assert_cmpuint (count_events (store, first->id), ==, 1);
  g_assert_cmpuint (search_count (store, "quittung"), ==, 1);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 0);

  /* a put that fails halfway leaves everything as it was */
  {
    g_autoptr(GPtrArray) more = fl_demo_generate_tickets (10, 4, fl_time_now (), 5);
    g_autoptr(FlTicket) changed = fl_ticket_copy (first);

    g_free (changed->title);
    changed->title = g_strdup ("Geänderter Titel");
    for (guint i = 0; i < more->len; i++)
      ((FlTicket *) g_ptr_array_index (more, i))->number = 5000 + i;
    g_ptr_array_insert (more, 0, g_object_ref (changed));
    /* the last one takes a number that is taken */
    ((FlTicket *) g_ptr_array_index (more, more->len - 1))->number = first->number + 1;

    g_assert_false (fl_store_put_tickets (store, more, NULL, &error));
    g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED);
    g_clear_error (&error);
    g_assert_cmpuint (n_changed, ==, 1);
    g_assert_cmpuint (fl_store_count_tickets (store, FL_VIEW_ALL, NULL, &error), ==, 200);
    g_assert_cmpuint (search_count (store, "Geänderter"), ==, 0);
    {
      g_autoptr(FlTicket) loaded = fl_store_get_ticket (store, first->id, &error);
      g_assert_true (fl_ticket_equal (loaded, first));
    }
  }
}

/* -------------------------------------------------------------------------- */
/* Counts, origins, deciding conflicts                                          */

static void
on_notify_cb (GObject    *object,
              GParamSpec *pspec,
              guint      *n_notifies)
{
  (*n_notifies)++;
}

static void
on_changed_origin_cb (FlStore   *store,
                      GPtrArray *changes,
                      GArray    *origins)
{
  FlStoreOrigin origin = fl_store_get_change_origin (store);

  g_array_append_val (origins, origin);
}

static guint
get_uint (FlStore    *store,
          const char *property)
{
  guint v = 0;

  g_object_get (store, property, &v, NULL);
  return v;
}

static char *
pending_op_id (FlStore *store,
               guint    index)
{
  g_autoptr(GPtrArray) ops = fl_store_list_pending_ops (store, 100, NULL);

  g_assert_cmpuint (ops->len, >, index);
  return g_strdup (((FlOp *) g_ptr_array_index (ops, index))->op_id);
}

/* Applies an answer with @result as the engine does: the worker's apply, then "changed". */
static void
apply_results (FlStore    *store,
               FlOpResult *result)
{
  g_autoptr(FlSyncResponse) response = fl_sync_response_new ();
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;

  response->cursor = -1;
  g_ptr_array_add (response->results, result);
  g_assert_true (_fl_store_apply_sync (store, response, &changes, &error));
  g_assert_no_error (error);
  _fl_store_emit_changed (store, FL_STORE_ORIGIN_SYNC, g_steal_pointer (&changes));
}

static FlOpResult *
conflict_result (const char *op_id,
                 FlTicket   *mine)
{
  FlOpResult *r = fl_op_result_new (op_id, FL_OP_RESULT_CONFLICT);

  r->version = 2;
  r->current = fl_ticket_copy (mine);
  r->current->version = 2;
  r->current->pending = 0;
  g_free (r->current->title);
  r->current->title = g_strdup ("Ihr Titel");
  return r;
}

static void
test_counts (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(FlTicket) noted = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *create_id = NULL;
  g_autofree char *note_id = NULL;
  FlOpResult *r;
  guint n_pending = 0, n_conflicts = 0, n_rejected = 0;
  g_autoptr(FlSyncEngine) engine = fl_sync_engine_new (store);

  g_signal_connect (store, "notify::pending-ops", G_CALLBACK (on_notify_cb), &n_pending);
  g_signal_connect (store, "notify::conflicts", G_CALLBACK (on_notify_cb), &n_conflicts);
  g_signal_connect (store, "notify::rejected", G_CALLBACK (on_notify_cb), &n_rejected);

  t = create (store, create_json);
  g_assert_cmpuint (get_uint (store, "pending-ops"), ==, 1);
  g_assert_cmpuint (fl_store_get_pending_ops (store), ==, 1);
  g_assert_cmpuint (n_pending, ==, 1);

  /* applied: the outbox is empty again */
  create_id = pending_op_id (store, 0);
  r = fl_op_result_new (create_id, FL_OP_RESULT_APPLIED);
  r->version = 1;
  r->number = 7;
  apply_results (store, r);
  g_assert_cmpuint (get_uint (store, "pending-ops"), ==, 0);
  g_assert_cmpuint (n_pending, ==, 2);

  /* rejected: counted until dismissed, and dismissing notifies */
  noted = fl_store_add_note (store, t->id, "Wird abgelehnt", FALSE, &error);
  g_assert_no_error (error);
  note_id = pending_op_id (store, 0);
  r = fl_op_result_new (note_id, FL_OP_RESULT_REJECTED);
  r->error_code = g_strdup ("unprocessable");
  r->error_message = g_strdup ("nein");
  apply_results (store, r);
  g_assert_cmpuint (get_uint (store, "rejected"), ==, 1);
  g_assert_cmpuint (get_uint (store, "pending-ops"), ==, 0);
  g_assert_cmpuint (n_rejected, ==, 1);
  {
    guint engine_rejected = 0;

    g_object_get (engine, "rejected", &engine_rejected, NULL);
    g_assert_cmpuint (engine_rejected, ==, 1);
    g_assert_true (fl_store_dismiss_rejected_op (store, note_id, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (get_uint (store, "rejected"), ==, 0);
    g_assert_cmpuint (n_rejected, ==, 2);
    /* the engine's count follows without a sync */
    g_object_get (engine, "rejected", &engine_rejected, NULL);
    g_assert_cmpuint (engine_rejected, ==, 0);
  }

  /* a conflict: counted until decided */
  {
    g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"title\": \"Mein Titel\"}");
    g_autoptr(FlTicket) mine = fl_store_update_ticket (store, t->id, changes, &error);
    g_autofree char *update_id = NULL;

    g_assert_no_error (error);
    update_id = pending_op_id (store, 0);
    apply_results (store, conflict_result (update_id, mine));
  }
  g_assert_cmpuint (get_uint (store, "conflicts"), ==, 1);
  g_assert_cmpuint (n_conflicts, ==, 1);
  conflicts = fl_store_list_conflicts (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  g_assert_true (fl_store_resolve_conflict (store, ((FlConflict *) g_ptr_array_index (conflicts, 0))->id,
                                            FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (get_uint (store, "conflicts"), ==, 0);
  g_assert_cmpuint (n_conflicts, ==, 2);

  /* a second store on the same file starts with the counts of the file */
  {
    g_autofree char *path = store_path ("store.db");
    g_autoptr(FlStore) again = open_store (path);

    g_assert_cmpuint (fl_store_get_pending_ops (again), ==, 0);
    g_assert_cmpuint (fl_store_get_conflicts (again), ==, 0);
    g_assert_cmpuint (fl_store_get_rejected (again), ==, 0);
  }
}

static void
test_origins (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(GArray) origins = g_array_new (FALSE, FALSE, sizeof (FlStoreOrigin));
  g_autoptr(FlTicket) t = NULL;
  g_autoptr(GPtrArray) demo = NULL;
  g_autoptr(GError) error = NULL;
  guint n_local = 0, n_sync = 0, n_reset = 0;

  g_signal_connect (store, "changed", G_CALLBACK (on_changed_origin_cb), origins);
  g_signal_connect (store, "changed::local", G_CALLBACK (on_changed_cb), &n_local);
  g_signal_connect (store, "changed::sync", G_CALLBACK (on_changed_cb), &n_sync);
  g_signal_connect (store, "changed::reset", G_CALLBACK (on_changed_cb), &n_reset);

  t = create (store, create_json);
  g_assert_cmpuint (n_local, ==, 1);
  g_assert_cmpuint (n_sync + n_reset, ==, 0);

  demo = fl_demo_generate_tickets (3, 1, fl_time_now (), 1);
  g_assert_true (fl_store_put_tickets (store, demo, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_sync, ==, 1);

  {
    GPtrArray *changes = _fl_store_changes_new ();

    _fl_store_changes_add (changes, NULL, t);
    _fl_store_emit_changed (store, FL_STORE_ORIGIN_RESET, changes);
  }
  g_assert_cmpuint (n_reset, ==, 1);
  g_assert_cmpuint (n_local, ==, 1);
  g_assert_cmpuint (n_sync, ==, 1);

  g_assert_cmpuint (origins->len, ==, 3);
  g_assert_cmpint (g_array_index (origins, FlStoreOrigin, 0), ==, FL_STORE_ORIGIN_LOCAL);
  g_assert_cmpint (g_array_index (origins, FlStoreOrigin, 1), ==, FL_STORE_ORIGIN_SYNC);
  g_assert_cmpint (g_array_index (origins, FlStoreOrigin, 2), ==, FL_STORE_ORIGIN_RESET);
  g_assert_true (G_TYPE_IS_ENUM (FL_TYPE_STORE_ORIGIN));
}

/* Keep mine is one transaction: when dropping the conflict fails, the op made
 * again is not queued either (before, it was committed on its own). */
static void
test_resolve_conflict_atomic (void)
{
  g_autoptr(FlStore) store = new_store ();
  g_autoptr(FlTicket) t = create (store, create_json);
  g_autoptr(JsonObject) changes = fl_test_parse_object ("{\"title\": \"Mein Titel\"}");
  g_autoptr(FlTicket) mine = NULL;
  g_autoptr(FlTicket) before = NULL;
  g_autoptr(FlTicket) after = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *create_id = pending_op_id (store, 0);
  g_autofree char *update_id = NULL;
  g_autofree char *conflict_id = NULL;
  FlOpResult *r;
  guint n_changed = 0;

  r = fl_op_result_new (create_id, FL_OP_RESULT_APPLIED);
  r->version = 1;
  apply_results (store, r);
  mine = fl_store_update_ticket (store, t->id, changes, &error);
  g_assert_no_error (error);
  update_id = pending_op_id (store, 0);
  apply_results (store, conflict_result (update_id, mine));

  conflicts = fl_store_list_conflicts (store, &error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  conflict_id = g_strdup (((FlConflict *) g_ptr_array_index (conflicts, 0))->id);
  before = fl_store_get_ticket (store, t->id, &error);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 0);

  g_signal_connect (store, "changed", G_CALLBACK (on_changed_cb), &n_changed);
  sql_exec (store, "CREATE TEMP TRIGGER fail_late BEFORE DELETE ON conflicts"
                   " BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  g_assert_false (fl_store_resolve_conflict (store, conflict_id, TRUE, &error));
  g_assert_error (error, FL_STORE_ERROR, FL_STORE_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 0);
  g_assert_cmpuint (fl_store_count_conflicts (store), ==, 1);
  g_assert_cmpuint (n_changed, ==, 0);
  after = fl_store_get_ticket (store, t->id, &error);
  g_assert_cmpint (after->version, ==, before->version);
  g_assert_cmpstr (after->title, ==, before->title);
  g_assert_cmpuint (count_outbox (store, t->id), ==, 1);

  /* without the fault: the op again, the conflict gone, in one emission */
  sql_exec (store, "DROP TRIGGER fail_late");
  g_assert_true (fl_store_resolve_conflict (store, conflict_id, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fl_store_count_pending_ops (store), ==, 1);
  g_assert_cmpuint (fl_store_get_pending_ops (store), ==, 1);
  g_assert_cmpuint (fl_store_count_conflicts (store), ==, 0);
  g_assert_cmpuint (count_outbox (store, t->id), ==, 1);
  g_assert_cmpuint (n_changed, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/store/schema", test_schema);
  fl_test_add_func ("/store/identity-persists", test_identity_persists);
  fl_test_add_func ("/store/migrations", test_migrations);
  fl_test_add_func ("/store/too-new", test_too_new);
  fl_test_add_func ("/store/actions/each", test_actions);
  fl_test_add_func ("/store/actions/base-version", test_actions_base_version);
  fl_test_add_func ("/store/actions/invalid", test_actions_invalid);
  fl_test_add_func ("/store/actions/fail-midway", test_actions_fail_midway);
  fl_test_add_func ("/store/search", test_search);
  fl_test_add_func ("/store/search/hostile", test_build_match_hostile);
  fl_test_add_func ("/store/roundtrip", test_roundtrip);
  fl_test_add_func ("/store/drafts", test_drafts);
  fl_test_add_func ("/store/number-lookup", test_number_lookup);
  fl_test_add_func ("/store/views", test_views);
  fl_test_add_func ("/store/put-tickets", test_put_tickets);
  fl_test_add_func ("/store/counts", test_counts);
  fl_test_add_func ("/store/origins", test_origins);
  fl_test_add_func ("/store/conflict/resolve-atomic", test_resolve_conflict_atomic);

  return g_test_run ();
}
