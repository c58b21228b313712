/* fl-password-dialog.h — change one's own password on the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_PASSWORD_DIALOG (fl_password_dialog_get_type ())
G_DECLARE_FINAL_TYPE (FlPasswordDialog, fl_password_dialog, FL, PASSWORD_DIALOG, AdwWindow)

FlPasswordDialog *fl_password_dialog_new (GtkWindow *parent,
                                          FlContext *context);

G_END_DECLS
