/* fl-ticket-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-ticket.h"

G_BEGIN_DECLS

JsonNode *_fl_requester_to_json (const FlRequester *r);

G_END_DECLS
