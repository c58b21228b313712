/* fl-ticket-list.h — the list of tickets of one view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fl-context.h"
#include "fl-ticket-list-model.h"

G_BEGIN_DECLS

#define FL_TYPE_TICKET_LIST (fl_ticket_list_get_type ())
G_DECLARE_FINAL_TYPE (FlTicketList, fl_ticket_list, FL, TICKET_LIST, GtkWidget)

FlTicketListModel *fl_ticket_list_get_model       (FlTicketList      *self);
void               fl_ticket_list_set_model       (FlTicketList      *self,
                                                   FlTicketListModel *model);
void               fl_ticket_list_set_context     (FlTicketList      *self,
                                                   FlContext         *context);
/* The selected ticket, or NULL. */
FlTicket          *fl_ticket_list_get_selected    (FlTicketList      *self);
gboolean           fl_ticket_list_select_id       (FlTicketList      *self,
                                                   const char        *id);
void               fl_ticket_list_select_relative (FlTicketList      *self,
                                                   int                delta);

G_END_DECLS
