/* fl-edit-dialog.h — change a ticket's recorded facts after intake
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

/* An AdwMessageDialog with the ticket's title, description, requester, asset,
 * category, impact and urgency; its "save" response queues one `update` op with
 * the fields that were changed. The priority and due time it will get are shown
 * while impact and urgency change. */
GtkWidget *fl_edit_dialog_new (GtkWindow *parent,
                               FlContext *context,
                               FlTicket  *ticket);

G_END_DECLS
