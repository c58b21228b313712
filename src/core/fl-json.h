/* fl-json.h — parsing bytes that come from the network or a file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* How deep arrays and objects may nest in anything Firstline parses. */
#define FL_JSON_MAX_DEPTH 64

JsonNode *fl_json_parse        (const char  *data,
                                gsize        length,
                                GError     **error);
JsonNode *fl_json_parse_object (const char  *data,
                                gsize        length,
                                GError     **error);
JsonNode *fl_json_parse_file   (const char  *path,
                                gsize        max_size,
                                GError     **error);

G_END_DECLS
