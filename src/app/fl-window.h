/* fl-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-application.h"
#include "fl-ticket-list-model.h"

G_BEGIN_DECLS

#define FL_TYPE_WINDOW (fl_window_get_type ())
G_DECLARE_FINAL_TYPE (FlWindow, fl_window, FL, WINDOW, AdwApplicationWindow)

FlWindow          *fl_window_new            (FlApplication *application,
                                             FlContext     *context);
FlContext         *fl_window_get_context    (FlWindow      *self);
FlView             fl_window_get_view       (FlWindow      *self);
void               fl_window_set_view       (FlWindow      *self,
                                             FlView         view);
FlTicketListModel *fl_window_get_list_model (FlWindow      *self);

G_END_DECLS
