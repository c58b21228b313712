/* fuzz-sync.c — an answer to POST /api/v1/sync on the client: parsed into an
 * FlSyncResponse and applied to a cache as the sync engine's worker does it
 *
 * The cache holds two tickets from the server, one new ticket and four ops
 * not yet acknowledged, with fixed ids so that the fuzzer can answer them:
 * op ids 00000000-0000-4000-8000-00000000000N (N = 1 … 4), tickets
 * 11111111-1111-4111-8111-111111111111 and 22222222-2222-4222-8222-222222222222.
 * Each input starts again from that state (an SQLite backup of a template).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>

#include "fl-checklist.h"
#include "fl-json.h"
#include "fl-store-private.h"
#include "fl-sync-protocol.h"
#include "fuzz-common.h"

#define TICKET_A "11111111-1111-4111-8111-111111111111"
#define TICKET_B "22222222-2222-4222-8222-222222222222"

static FlStore *template_store;
static FlStore *store;

static FlTicket *
server_ticket (const char *id,
               gint64      number)
{
  g_autofree char *text = g_strdup_printf (
    "{\"id\":\"%s\",\"number\":%" G_GINT64_FORMAT ",\"version\":2,\"seq\":%" G_GINT64_FORMAT ","
    "\"title\":\"VPN bricht ab\",\"description\":\"\",\"requester\":{\"name\":\"Jana\"},"
    "\"asset\":\"\",\"channel\":\"phone\",\"category\":\"network\",\"impact\":\"medium\","
    "\"urgency\":\"medium\",\"priority\":3,\"status\":\"new\",\"level\":1,"
    "\"queue\":\"first-level\",\"assignee\":null,\"resolution\":null,\"created_by\":\"jana\","
    "\"created_at\":\"2024-03-01T08:00:00.000Z\",\"updated_at\":\"2024-03-01T08:00:00.000Z\","
    "\"resolved_at\":null,\"due_at\":\"2024-03-02T08:00:00.000Z\",\"waiting_since\":null}",
    id, number, number);
  g_autoptr(JsonNode) node = fl_json_parse (text, strlen (text), NULL);

  g_assert (node != NULL);
  return fl_ticket_from_json (node, NULL);
}

static void
must (gboolean  ok,
      GError   *error)
{
  if (!ok)
    g_error ("setting up the cache: %s", error ? error->message : "?");
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) requester = json_object_new ();
  g_autoptr(FlTicket) t1 = NULL;
  g_autoptr(FlTicket) t2 = NULL;
  g_autoptr(FlTicket) t3 = NULL;
  g_autoptr(FlTicket) t4 = NULL;
  char *errmsg = NULL;

  template_store = fl_store_new (":memory:", &error);
  must (template_store != NULL, error);
  store = fl_store_new (":memory:", &error);
  must (store != NULL, error);
  must (fl_store_set_user (template_store, "alex", FL_ROLE_AGENT, &error), error);
  must (fl_store_set_user (store, "alex", FL_ROLE_AGENT, &error), error);

  g_ptr_array_add (tickets, server_ticket (TICKET_A, 1));
  g_ptr_array_add (tickets, server_ticket (TICKET_B, 2));
  must (fl_store_put_tickets (template_store, tickets, NULL, &error), error);

  json_object_set_string_member (changes, "title", "VPN bricht dauernd ab");
  json_object_set_string_member (changes, "impact", "high");
  t1 = fl_store_update_ticket (template_store, TICKET_A, changes, &error);
  must (t1 != NULL, error);
  t2 = fl_store_add_note (template_store, TICKET_A, "Router neu gestartet", TRUE, &error);
  must (t2 != NULL, error);
  t3 = fl_store_claim (template_store, TICKET_B, &error);
  must (t3 != NULL, error);

  json_object_set_string_member (fields, "title", "Drucker offline");
  json_object_set_string_member (requester, "name", "Mia");
  json_object_set_object_member (fields, "requester", g_steal_pointer (&requester));
  json_object_set_string_member (fields, "channel", "email");
  json_object_set_string_member (fields, "category", "printer");
  t4 = fl_store_create_ticket (template_store, fields, &error);
  must (t4 != NULL, error);

  /* Fixed op ids; the local event of an op has the op's id. */
  if (sqlite3_exec (_fl_store_get_db (template_store),
                    "UPDATE events SET id = (SELECT printf('00000000-0000-4000-8000-%012d', o.seq)"
                    "  FROM outbox o WHERE o.op_id = events.id)"
                    " WHERE id IN (SELECT op_id FROM outbox);"
                    "UPDATE outbox SET op_id = printf('00000000-0000-4000-8000-%012d', seq);",
                    NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("setting up the cache: %s", errmsg);
}

static void
restore (void)
{
  sqlite3_backup *backup = sqlite3_backup_init (_fl_store_get_db (store), "main",
                                                _fl_store_get_db (template_store), "main");

  if (backup == NULL || sqlite3_backup_step (backup, -1) != SQLITE_DONE)
    g_error ("restoring the cache: %s", sqlite3_errmsg (_fl_store_get_db (store)));
  sqlite3_backup_finish (backup);
}

/* What the app reads from the cache after a sync. */
static void
read_back (GPtrArray *changes)
{
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GPtrArray) rejected = NULL;
  g_autoptr(GPtrArray) checklists = NULL;
  g_autoptr(GPtrArray) all = NULL;

  for (guint i = 0; changes != NULL && i < changes->len; i++)
    {
      FlStoreChange *c = g_ptr_array_index (changes, i);
      FlTicket *t = c->new_ticket ? c->new_ticket : c->old_ticket;
      g_autoptr(FlTicket) now = fl_store_get_ticket (store, t->id, NULL);
      g_autoptr(GPtrArray) events = fl_store_list_events (store, t->id, NULL);

      for (guint e = 0; events != NULL && e < events->len; e++)
        g_free (fl_event_describe (g_ptr_array_index (events, e)));
    }

  all = fl_store_query_tickets (store, FL_VIEW_ALL, NULL, 0, 50, NULL);
  conflicts = fl_store_list_conflicts (store, NULL);
  rejected = fl_store_list_rejected_ops (store, NULL);
  checklists = fl_store_list_checklists (store, NULL);

  for (guint i = 0; checklists != NULL && i < checklists->len; i++)
    {
      const char *text = g_ptr_array_index (checklists, i);
      g_autoptr(JsonNode) node = fl_json_parse (text, strlen (text), NULL);
      g_autoptr(FlChecklist) checklist = node ? fl_checklist_new_from_json (node, NULL) : NULL;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FlSyncResponse) response = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;

  fl_fuzz_init ();
  if (store == NULL)
    setup ();

  /* The sync engine's apply step (apply_thread in fl-sync-engine.c): the answer
   * parsed into an FlSyncResponse, then "reset" or applied in one transaction. */
  if (!(response = fl_sync_response_parse ((const char *) data, size, &error)))
    {
      g_assert (error != NULL);
      return 0;
    }

  restore ();

  if (response->reset)
    {
      if (!_fl_store_reset_server_state (store, &error))
        g_error ("reset: %s", error->message);
      return 0;
    }

  if (_fl_store_apply_sync (store, response, &changes, &error))
    read_back (changes);
  else
    g_assert (error != NULL);

  return 0;
}
