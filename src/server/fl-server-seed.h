/* fl-server-seed.h — demo users and tickets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-server-store.h"

G_BEGIN_DECLS

#define FL_SEED_DEMO_PASSWORD "demo"

/* @checklists: the checklists (FlChecklist) the demo tickets walk, or NULL */
gboolean fl_server_seed_demo (FlServerStore  *store,
                              GPtrArray      *checklists,
                              guint          *n_tickets,
                              GError        **error);

G_END_DECLS
