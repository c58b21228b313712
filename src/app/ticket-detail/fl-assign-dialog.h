/* fl-assign-dialog.h — pass a ticket to a colleague, or (a lead) assign it to anyone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

/* An AdwMessageDialog listing the team (GET /api/v1/users, or the last list when
 * offline); its "assign" response queues an `assign` op. */
GtkWidget *fl_assign_dialog_new (GtkWindow *parent,
                                 FlContext *context,
                                 FlTicket  *ticket);

G_END_DECLS
