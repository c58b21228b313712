/* fl-login-dialog.h — server address, username and password
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_LOGIN_DIALOG (fl_login_dialog_get_type ())
G_DECLARE_FINAL_TYPE (FlLoginDialog, fl_login_dialog, FL, LOGIN_DIALOG, AdwWindow)

FlLoginDialog *fl_login_dialog_new (GtkWindow *parent,
                                    FlContext *context);

G_END_DECLS
