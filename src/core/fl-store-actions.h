/* fl-store-actions.h — the ops a person makes, as typed calls on the store
 *
 * Each builds the op's data and queues it with fl_store_apply_local (): one
 * transaction that changes the ticket, appends its event and queues the op. They
 * return the ticket's new state. Widgets and the CLI call these instead of
 * building op JSON themselves (fl-store.h has create, update, note, claim,
 * resolve and reopen).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-checklist-engine.h"
#include "fl-store.h"

G_BEGIN_DECLS

/* new, in_progress or waiting (an update op); the others come from their own ops. */
FlTicket   *fl_store_set_status          (FlStore        *self,
                                          const char     *ticket_id,
                                          FlStatus        status,
                                          GError        **error);
FlTicket   *fl_store_close               (FlStore        *self,
                                          const char     *ticket_id,
                                          GError        **error);
/* @assignee: NULL unassigns. */
FlTicket   *fl_store_assign              (FlStore        *self,
                                          const char     *ticket_id,
                                          const char     *assignee,
                                          GError        **error);

#define FL_HANDOFF_KEEP_GRADE (-1)

typedef struct
{
  const char         *queue;
  const char         *summary;
  const char * const *steps_tried;   /* NULL-terminated; NULL for none */
  int                 impact;        /* an FlGrade, or FL_HANDOFF_KEEP_GRADE */
  int                 urgency;       /* an FlGrade, or FL_HANDOFF_KEEP_GRADE */
  const char         *contact;       /* NULL: none */
} FlHandoffRequest;

FlTicket   *fl_store_handoff             (FlStore                *self,
                                          const char             *ticket_id,
                                          const FlHandoffRequest *request,
                                          GError                **error);

/* Records @outcome (and @value, for an input step) of step @step_id of @run, the
 * checklist replayed on the ticket's events. Errors: FL_CHECKLIST_ERROR when the
 * step or the answer does not fit the run (nothing stored), else the store's. */
FlTicket   *fl_store_record_step         (FlStore            *self,
                                          const char         *ticket_id,
                                          FlChecklistRun     *run,
                                          const char         *step_id,
                                          FlChecklistOutcome  outcome,
                                          const char         *value,
                                          GError            **error);
/* Starts @run's checklist over on the ticket. */
FlTicket   *fl_store_restart_checklist   (FlStore            *self,
                                          const char         *ticket_id,
                                          FlChecklistRun     *run,
                                          GError            **error);

G_END_DECLS
