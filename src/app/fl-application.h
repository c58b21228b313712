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

G_END_DECLS
