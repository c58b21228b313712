/* fuzz-op.c — an op as a client sends it: fl_op_from_json(), its validation
 * and fl_ticket_apply() on a ticket, as the server runs them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-json.h"
#include "fl-ticket.h"
#include "fuzz-common.h"

static FlTicket *
make_ticket (FlStatus status)
{
  FlTicket *t = fl_ticket_new ();

  g_free (t->id);
  t->id = g_strdup ("0b5d7a36-3c1e-4a8e-9a57-2d0f1c7e4b10");
  t->number = 7;
  t->version = 3;
  t->status = status;
  t->created_at = 1700000000000;
  t->updated_at = 1700000000000;
  t->due_at = 1700086400000;
  if (status == FL_STATUS_WAITING)
    t->waiting_since = 1700000100000;
  if (status == FL_STATUS_RESOLVED)
    {
      t->resolution_code = FL_RESOLUTION_SOLVED;
      t->resolution_summary = g_strdup ("done");
      t->resolved_at = 1700000200000;
    }
  return t;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const FlStatus statuses[] = {
    FL_STATUS_NEW, FL_STATUS_WAITING, FL_STATUS_RESOLVED, FL_STATUS_CLOSED,
  };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FlOp) op = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_auto(GStrv) fields = NULL;

  fl_fuzz_init ();

  if (!(root = fl_json_parse_object ((const char *) data, size, NULL)))
    return 0;
  if (!(op = fl_op_from_json (root, NULL)))
    return 0;

  fields = fl_op_dup_fields (op);
  again = fl_op_to_json (op);
  g_assert (again != NULL);

  if (!fl_op_validate_data (op->type, op->data, NULL))
    return 0;

  for (guint s = 0; s < G_N_ELEMENTS (statuses); s++)
    {
      g_autoptr(FlTicket) current = op->type == FL_OP_CREATE ? NULL : make_ticket (statuses[s]);

      for (FlRole role = FL_ROLE_AGENT; role <= FL_ROLE_LEAD; role++)
        {
          g_autoptr(JsonObject) event_data = NULL;
          g_autoptr(GError) error = NULL;
          g_autoptr(FlTicket) next = fl_ticket_apply (current, op, "alex", role, NULL,
                                                      &event_data, &error);

          g_assert ((next == NULL) == (error != NULL));
          if (next != NULL)
            {
              g_autofree char *text = fl_ticket_to_string (next);
              g_autofree char *due = fl_ticket_format_due (next, 1700000000000);

              g_assert (event_data != NULL);
            }
        }

      if (op->type == FL_OP_CREATE)
        break;
    }

  return 0;
}
