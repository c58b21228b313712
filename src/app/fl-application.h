/* fl-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_APPLICATION (fl_application_get_type ())
G_DECLARE_FINAL_TYPE (FlApplication, fl_application, FL, APPLICATION, AdwApplication)

FlApplication *fl_application_new         (void);
FlContext     *fl_application_get_context (FlApplication *self);
/* For a context made elsewhere (tests); before the first window. */
void           fl_application_set_context (FlApplication *self,
                                           FlContext     *context);
/* Sends a desktop notification for each new incoming ticket someone else made
 * among @changes (FlStoreChange), unless notifications are off; returns how many. */
guint          fl_application_notify_new_tickets (FlApplication *self,
                                                  GPtrArray     *changes);
/* The body of the last notification sent, or NULL. */
const char    *fl_application_get_last_notification (FlApplication *self);
/* A notification for each ticket of the user's whose follow-up time has come. */
guint          fl_application_notify_follow_ups (FlApplication *self,
                                                 GPtrArray     *changes);

G_END_DECLS
