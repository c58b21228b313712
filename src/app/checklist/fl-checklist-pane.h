/* fl-checklist-pane.h — the guided checklist beside a ticket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-checklist-engine.h"
#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_CHECKLIST_PANE (fl_checklist_pane_get_type ())
G_DECLARE_FINAL_TYPE (FlChecklistPane, fl_checklist_pane, FL, CHECKLIST_PANE, GtkWidget)

/* Signals:
 *   resolve-requested (int code (FlResolutionCode), const char *summary):
 *     the checklist ended in "resolve" and the agent wants to resolve the ticket;
 *     @summary describes the steps taken.
 *   escalate-requested (const char *queue):
 *     the checklist ended in "escalate" and the agent wants to hand the ticket off. */
GtkWidget      *fl_checklist_pane_new        (FlContext       *context);
/* NULL clears. The pane follows the ticket's changes in the store by itself. */
void            fl_checklist_pane_set_ticket (FlChecklistPane *self,
                                              FlTicket        *ticket);
FlTicket       *fl_checklist_pane_get_ticket (FlChecklistPane *self);
/* The run shown, NULL when there is none (transfer none). */
FlChecklistRun *fl_checklist_pane_get_run    (FlChecklistPane *self);
/* Shows @checklist_id on the current ticket instead of the one for its category
 * (as picking it in the dropdown does); NULL for none. */
void            fl_checklist_pane_pick       (FlChecklistPane *self,
                                              const char      *checklist_id);

G_END_DECLS
