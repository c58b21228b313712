/* fl-wait-dialog.h — set a ticket waiting, with a reason and a follow-up time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

/* An AdwMessageDialog asking what the ticket waits for and when to look at it again
 * ("14:00" today, "2.12. 9:30", or nothing); its "wait" response queues an `update`
 * with status `waiting`, `waiting_reason` and `follow_up_at`. */
GtkWidget *fl_wait_dialog_new       (GtkWindow   *parent,
                                     FlContext   *context,
                                     FlTicket    *ticket);

/* Reads a follow-up time as people type it, in local time: "14:00" (today),
 * "2.12. 9:30", "02.12.2026 09:30". 0 when it is none of these. */
gint64     fl_wait_dialog_parse_time (const char *text,
                                      GDateTime  *now);

G_END_DECLS
