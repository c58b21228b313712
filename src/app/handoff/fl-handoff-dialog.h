/* fl-handoff-dialog.h — the handoff form: escalation to a 2nd-level queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_HANDOFF_DIALOG (fl_handoff_dialog_get_type ())
G_DECLARE_FINAL_TYPE (FlHandoffDialog, fl_handoff_dialog, FL, HANDOFF_DIALOG, AdwWindow)


/* Signal: handed-off (FlTicket *ticket): the handoff is recorded; @ticket is its new
 * state. The dialog closes itself afterwards.
 *
 * The form is prefilled from @ticket (summary: its title; impact, urgency; contact:
 * the requester's phone and e-mail) and from its checklist progress (the steps
 * already tried). @suggested_queue (nullable) is preselected. */
FlHandoffDialog *fl_handoff_dialog_new           (GtkWindow       *parent,
                                                  FlContext       *context,
                                                  FlTicket        *ticket,
                                                  const char      *suggested_queue);
/* The 2nd-level queues: the store's "queues" state (a JSON array of names, from the
 * server's configuration) when it has a valid one, else the defaults. */
GStrv            fl_handoff_dialog_dup_queues    (FlStore         *store);
/* Checks the form and records the handoff; FALSE (with the errors shown in the form
 * and focus on the first) when it is refused or fails. What was typed stays. */
gboolean         fl_handoff_dialog_submit        (FlHandoffDialog *self);

G_END_DECLS
