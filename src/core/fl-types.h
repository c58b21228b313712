/* fl-types.h — enumerations, errors, time and id helpers of the ticket model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FL_MODEL_ERROR (fl_model_error_quark ())

/* Codes map onto the API's error table: a caller can act on them. */
typedef enum
{
  FL_MODEL_ERROR_INVALID,       /* well-formed but invalid: 422 unprocessable */
  FL_MODEL_ERROR_TYPE,          /* a field has the wrong type: 400 bad_request */
  FL_MODEL_ERROR_FORBIDDEN,     /* the role may not do this: 403 */
  FL_MODEL_ERROR_CONFLICT,      /* a conflict rule of the op table */
  FL_MODEL_ERROR_NOT_FOUND,     /* unknown ticket */
} FlModelError;

GQuark fl_model_error_quark (void);

typedef enum
{
  FL_CHANNEL_PHONE,
  FL_CHANNEL_EMAIL,
  FL_CHANNEL_WALK_IN,
  FL_CHANNEL_CHAT,
  FL_CHANNEL_PORTAL,
} FlChannel;

typedef enum
{
  FL_GRADE_LOW,
  FL_GRADE_MEDIUM,
  FL_GRADE_HIGH,
} FlGrade;                      /* impact and urgency */

typedef enum
{
  FL_STATUS_NEW,
  FL_STATUS_IN_PROGRESS,
  FL_STATUS_WAITING,
  FL_STATUS_ESCALATED,
  FL_STATUS_RESOLVED,
  FL_STATUS_CLOSED,
} FlStatus;

typedef enum
{
  FL_RESOLUTION_NONE,
  FL_RESOLUTION_FIRST_CONTACT,
  FL_RESOLUTION_SOLVED,
  FL_RESOLUTION_WORKAROUND,
  FL_RESOLUTION_DUPLICATE,
  FL_RESOLUTION_NOT_REPRODUCIBLE,
  FL_RESOLUTION_WITHDRAWN,
} FlResolutionCode;

typedef enum
{
  FL_OP_CREATE,
  FL_OP_UPDATE,
  FL_OP_NOTE,
  FL_OP_CHECKLIST,
  FL_OP_CLAIM,
  FL_OP_ASSIGN,
  FL_OP_HANDOFF,
  FL_OP_RESOLVE,
  FL_OP_REOPEN,
  FL_OP_CLOSE,
} FlOpType;                     /* also the event types */

typedef enum
{
  FL_ROLE_AGENT,
  FL_ROLE_SPECIALIST,
  FL_ROLE_LEAD,
} FlRole;

/* String forms exactly as in the API. from_string returns FALSE for unknown strings. */
const char *fl_channel_to_string         (FlChannel         channel);
gboolean    fl_channel_from_string       (const char       *str,
                                          FlChannel        *out);
const char *fl_grade_to_string           (FlGrade           grade);
gboolean    fl_grade_from_string         (const char       *str,
                                          FlGrade          *out);
const char *fl_status_to_string          (FlStatus          status);
gboolean    fl_status_from_string        (const char       *str,
                                          FlStatus         *out);
gboolean    fl_status_is_open            (FlStatus          status);
const char *fl_resolution_code_to_string (FlResolutionCode  code);
gboolean    fl_resolution_code_from_string (const char     *str,
                                          FlResolutionCode *out);
const char *fl_op_type_to_string         (FlOpType          type);
gboolean    fl_op_type_from_string       (const char       *str,
                                          FlOpType         *out);
const char *fl_role_to_string            (FlRole            role);
gboolean    fl_role_from_string          (const char       *str,
                                          FlRole           *out);

/* Localized names for people. */
const char *fl_status_get_label          (FlStatus          status);
const char *fl_channel_get_label         (FlChannel         channel);
const char *fl_grade_get_label           (FlGrade           grade);
const char *fl_resolution_code_get_label (FlResolutionCode  code);

/* The 2nd-level queues a ticket can be handed off to, when the server's
 * configuration names none: one list for the app, the CLI, the demo and the
 * server's seed data. NULL-terminated. */
const char * const *fl_queue_get_defaults (void);
/* The name of @queue for people; @queue itself for a queue we do not know. */
const char *fl_queue_get_label           (const char       *queue);
/* "1st level", "2nd level" */
const char *fl_level_get_label           (int               level);

int         fl_priority_compute          (FlGrade           impact,
                                          FlGrade           urgency);

/* Times are milliseconds since the Unix epoch, UTC; 0 means "none". */
gint64      fl_time_now                  (void);
char       *fl_time_format               (gint64            ms);
gboolean    fl_time_parse                (const char       *str,
                                          gint64           *out_ms);

char       *fl_uuid_new                  (void);
gboolean    fl_uuid_is_valid             (const char       *str);

/* TRUE when @str is valid UTF-8 of at most @max_chars characters (and at least @min_chars). */
gboolean    fl_text_is_valid             (const char       *str,
                                          guint             min_chars,
                                          guint             max_chars);

G_END_DECLS
