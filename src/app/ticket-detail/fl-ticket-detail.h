/* fl-ticket-detail.h — one ticket: header, requester, timeline, notes, actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_TICKET_DETAIL (fl_ticket_detail_get_type ())
G_DECLARE_FINAL_TYPE (FlTicketDetail, fl_ticket_detail, FL, TICKET_DETAIL, GtkWidget)

GtkWidget *fl_ticket_detail_new            (void);
void       fl_ticket_detail_set_context    (FlTicketDetail *self,
                                            FlContext      *context);
FlTicket  *fl_ticket_detail_get_ticket     (FlTicketDetail *self);
void       fl_ticket_detail_set_ticket     (FlTicketDetail *self,
                                            FlTicket       *ticket);
/* The note composer's text (for tests and the window's actions). */
char      *fl_ticket_detail_dup_draft      (FlTicketDetail *self);
void       fl_ticket_detail_set_draft      (FlTicketDetail *self,
                                            const char     *text);
/* Sends the composed note; FALSE (with a message shown) when it was not sent. */
gboolean   fl_ticket_detail_send_note      (FlTicketDetail *self);
/* Who else has the ticket open, as shown in the banner ("" when nobody). */
const char *fl_ticket_detail_get_presence_text (FlTicketDetail *self);
guint      fl_ticket_detail_get_n_timeline_rows (FlTicketDetail *self);
/* The two panes F6 moves between: the ticket itself and the note composer. */
GtkWidget *fl_ticket_detail_get_content    (FlTicketDetail *self);
GtkWidget *fl_ticket_detail_get_composer   (FlTicketDetail *self);

G_END_DECLS
