/* fl-ticket-row.h — one ticket in the list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fl-ticket.h"

G_BEGIN_DECLS

#define FL_TYPE_TICKET_ROW (fl_ticket_row_get_type ())
G_DECLARE_FINAL_TYPE (FlTicketRow, fl_ticket_row, FL, TICKET_ROW, GtkWidget)

GtkWidget *fl_ticket_row_new        (void);
FlTicket  *fl_ticket_row_get_ticket (FlTicketRow *self);
void       fl_ticket_row_set_ticket (FlTicketRow *self,
                                     FlTicket    *ticket,
                                     gint64       now);
/* Who else has the ticket open (FlPresence), or NULL. */
void       fl_ticket_row_set_presence (FlTicketRow *self,
                                       GPtrArray   *presence);
/* Refreshes the time to due. */
void       fl_ticket_row_update_due (FlTicketRow *self,
                                     gint64       now);

/* Borrowed: the categories whose labels the row shows (NULL: the built-in ones). */
void         fl_ticket_row_set_categories (FlTicketRow *self,
                                           GPtrArray   *categories);

G_END_DECLS
