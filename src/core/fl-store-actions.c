/* fl-store-actions.c — the ops a person makes, as typed calls on the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-store"

#include "config.h"

#include "fl-store-actions.h"

FlTicket *
fl_store_set_status (FlStore     *self,
                     const char  *ticket_id,
                     FlStatus     status,
                     GError     **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  json_object_set_string_member (data, "status", fl_status_to_string (status));

  return fl_store_apply_local (self, ticket_id, FL_OP_UPDATE, data, error);
}

FlTicket *
fl_store_close (FlStore     *self,
                const char  *ticket_id,
                GError     **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  return fl_store_apply_local (self, ticket_id, FL_OP_CLOSE, data, error);
}

FlTicket *
fl_store_assign (FlStore     *self,
                 const char  *ticket_id,
                 const char  *assignee,
                 GError     **error)
{
  g_autoptr(JsonObject) data = json_object_new ();

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  if (assignee != NULL)
    json_object_set_string_member (data, "assignee", assignee);
  else
    json_object_set_null_member (data, "assignee");

  return fl_store_apply_local (self, ticket_id, FL_OP_ASSIGN, data, error);
}

FlTicket *
fl_store_handoff (FlStore                *self,
                  const char             *ticket_id,
                  const FlHandoffRequest *request,
                  GError                **error)
{
  g_autoptr(JsonObject) data = json_object_new ();
  JsonArray *tried = json_array_new ();

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);

  for (guint i = 0; request->steps_tried != NULL && request->steps_tried[i] != NULL; i++)
    json_array_add_string_element (tried, request->steps_tried[i]);

  json_object_set_string_member (data, "queue", request->queue ? request->queue : "");
  json_object_set_string_member (data, "summary", request->summary ? request->summary : "");
  json_object_set_array_member (data, "steps_tried", tried);
  if (request->impact != FL_HANDOFF_KEEP_GRADE)
    json_object_set_string_member (data, "impact", fl_grade_to_string (request->impact));
  if (request->urgency != FL_HANDOFF_KEEP_GRADE)
    json_object_set_string_member (data, "urgency", fl_grade_to_string (request->urgency));
  if (request->contact != NULL)
    json_object_set_string_member (data, "contact", request->contact);

  return fl_store_apply_local (self, ticket_id, FL_OP_HANDOFF, data, error);
}

FlTicket *
fl_store_record_step (FlStore            *self,
                      const char         *ticket_id,
                      FlChecklistRun     *run,
                      const char         *step_id,
                      FlChecklistOutcome  outcome,
                      const char         *value,
                      GError            **error)
{
  g_autoptr(JsonObject) data = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);
  g_return_val_if_fail (run != NULL, NULL);
  g_return_val_if_fail (step_id != NULL, NULL);

  if (!(data = fl_checklist_run_make_step_data (run, step_id, outcome, value, error)))
    return NULL;

  return fl_store_apply_local (self, ticket_id, FL_OP_CHECKLIST, data, error);
}

FlTicket *
fl_store_restart_checklist (FlStore         *self,
                            const char      *ticket_id,
                            FlChecklistRun  *run,
                            GError         **error)
{
  g_autoptr(JsonObject) data = NULL;

  g_return_val_if_fail (FL_IS_STORE (self), NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);
  g_return_val_if_fail (run != NULL, NULL);

  data = fl_checklist_run_make_restart_data (run);

  return fl_store_apply_local (self, ticket_id, FL_OP_CHECKLIST, data, error);
}
