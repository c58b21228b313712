/* fl-answer.h — predefined answers (text modules): the format and its variables
 *
 * The format is documented in docs/answers.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fl-ticket.h"

G_BEGIN_DECLS

#define FL_ANSWER_ERROR (fl_answer_error_quark ())

typedef enum
{
  FL_ANSWER_ERROR_INVALID,       /* not an answer of the documented format */
} FlAnswerError;

GQuark      fl_answer_error_quark    (void);

#define FL_ANSWER_MAX_TITLE 200
#define FL_ANSWER_MAX_BODY  20000

/* The variables a body may use, NULL-terminated. */
extern const char * const fl_answer_variables[];

/* Whether @answer is an ANSWER: id (1–64 of a-z, 0-9, -), category (a string),
 * title and body ({"de": S, "en": S, LANG: S…}: language codes such as "fr" or
 * "pt_BR", at least one language),
 * optional keyword (1–32 of a-z, 0-9) and version (a positive integer); a body
 * uses only the known {variables}. The error message names the problem. */
gboolean    fl_answer_validate       (JsonNode      *answer,
                                      GError       **error);

/* The text of a localized member ("title", "body") in @lang ("de", "fr", …), or
 * with @lang NULL in the first of the user's languages (g_get_language_names ())
 * the answer has or the message catalog translates (context "answer"); else in
 * English, else in German. */
const char *fl_answer_get_text       (JsonObject    *answer,
                                      const char    *member,
                                      const char    *lang);

/* @body with its variables filled from @ticket (nullable) and the agent; an
 * unknown value is left empty. */
char       *fl_answer_expand         (const char    *body,
                                      FlTicket      *ticket,
                                      const char    *agent_username,
                                      const char    *agent_display_name);

/* The built-in answers (data/answers/answers.json), each a JsonNode. */
GPtrArray  *fl_answer_load_builtin   (GError       **error);

G_END_DECLS
