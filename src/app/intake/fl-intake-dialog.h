/* fl-intake-dialog.h — the new-ticket form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_INTAKE_DIALOG (fl_intake_dialog_get_type ())
G_DECLARE_FINAL_TYPE (FlIntakeDialog, fl_intake_dialog, FL, INTAKE_DIALOG, AdwWindow)

/* A modal window over @parent. It emits "created" (FlTicket *) once the ticket is
 * in the local cache, then closes itself. */
FlIntakeDialog *fl_intake_dialog_new       (GtkWindow      *parent,
                                            FlContext      *context);
FlContext      *fl_intake_dialog_get_context (FlIntakeDialog *self);

/* Fields by their API name: "title", "description", "requester.name",
 * "requester.phone", "requester.email", "requester.department",
 * "requester.location", "asset", "channel", "category", "impact", "urgency".
 * Choice fields take and give the API's strings ("phone", "hardware", "high"). */
gboolean        fl_intake_dialog_set_field (FlIntakeDialog *self,
                                            const char     *field,
                                            const char     *value);
char           *fl_intake_dialog_dup_field (FlIntakeDialog *self,
                                            const char     *field);

/* TRUE when something was typed that closing would lose. */
gboolean        fl_intake_dialog_has_input (FlIntakeDialog *self);

/* Validates and creates the ticket, as the Create button does. Returns TRUE
 * when the ticket was created (the dialog then closes); FALSE leaves the
 * dialog open with every field as it was and the problems marked. */
gboolean        fl_intake_dialog_submit    (FlIntakeDialog *self);

G_END_DECLS
