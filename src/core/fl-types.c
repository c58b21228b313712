/* fl-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-types"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-types.h"

G_DEFINE_QUARK (fl-model-error-quark, fl_model_error)

static const char * const channel_names[] = { "phone", "email", "walk_in", "chat", "portal" };
static const char * const grade_names[] = { "low", "medium", "high" };
static const char * const status_names[] = {
  "new", "in_progress", "waiting", "escalated", "resolved", "closed"
};
static const char * const resolution_names[] = {
  NULL, "first_contact", "solved", "workaround", "duplicate", "not_reproducible", "withdrawn"
};
static const char * const op_names[] = {
  "create", "update", "note", "checklist", "claim", "assign", "handoff", "resolve", "reopen", "close"
};
static const char * const role_names[] = { "agent", "specialist", "lead" };

static gboolean
lookup (const char * const *names,
        guint               n_names,
        const char         *str,
        int                *out)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++)
    {
      if (names[i] != NULL && strcmp (names[i], str) == 0)
        {
          *out = (int) i;
          return TRUE;
        }
    }

  return FALSE;
}

#define DEFINE_ENUM_STRINGS(prefix, Type, table)                              \
  const char *                                                                \
  prefix##_to_string (Type value)                                             \
  {                                                                           \
    if ((guint) value >= G_N_ELEMENTS (table))                                \
      return NULL;                                                            \
    return table[value];                                                      \
  }                                                                           \
  gboolean                                                                    \
  prefix##_from_string (const char *str,                                      \
                        Type       *out)                                      \
  {                                                                           \
    int v;                                                                    \
    if (!lookup (table, G_N_ELEMENTS (table), str, &v))                       \
      return FALSE;                                                           \
    *out = (Type) v;                                                          \
    return TRUE;                                                              \
  }

DEFINE_ENUM_STRINGS (fl_channel, FlChannel, channel_names)
DEFINE_ENUM_STRINGS (fl_grade, FlGrade, grade_names)
DEFINE_ENUM_STRINGS (fl_status, FlStatus, status_names)
DEFINE_ENUM_STRINGS (fl_resolution_code, FlResolutionCode, resolution_names)
DEFINE_ENUM_STRINGS (fl_op_type, FlOpType, op_names)
DEFINE_ENUM_STRINGS (fl_role, FlRole, role_names)

gboolean
fl_status_is_open (FlStatus status)
{
  return status != FL_STATUS_RESOLVED && status != FL_STATUS_CLOSED;
}

const char *
fl_status_get_label (FlStatus status)
{
  switch (status)
    {
    case FL_STATUS_NEW:         return _("New");
    case FL_STATUS_IN_PROGRESS: return _("In progress");
    case FL_STATUS_WAITING:     return _("Waiting");
    case FL_STATUS_ESCALATED:   return _("Escalated");
    case FL_STATUS_RESOLVED:    return _("Resolved");
    case FL_STATUS_CLOSED:      return _("Closed");
    default:                    return "";
    }
}

const char *
fl_channel_get_label (FlChannel channel)
{
  switch (channel)
    {
    case FL_CHANNEL_PHONE:   return _("Phone");
    case FL_CHANNEL_EMAIL:   return _("Email");
    case FL_CHANNEL_WALK_IN: return _("Walk-in");
    case FL_CHANNEL_CHAT:    return _("Chat");
    case FL_CHANNEL_PORTAL:  return _("Portal");
    default:                 return "";
    }
}

const char *
fl_grade_get_label (FlGrade grade)
{
  switch (grade)
    {
    case FL_GRADE_LOW:    return _("Low");
    case FL_GRADE_MEDIUM: return _("Medium");
    case FL_GRADE_HIGH:   return _("High");
    default:              return "";
    }
}

const char *
fl_resolution_code_get_label (FlResolutionCode code)
{
  switch (code)
    {
    case FL_RESOLUTION_FIRST_CONTACT:    return _("Solved at first contact");
    case FL_RESOLUTION_SOLVED:           return _("Solved");
    case FL_RESOLUTION_WORKAROUND:       return _("Workaround");
    case FL_RESOLUTION_DUPLICATE:        return _("Duplicate");
    case FL_RESOLUTION_NOT_REPRODUCIBLE: return _("Not reproducible");
    case FL_RESOLUTION_WITHDRAWN:        return _("Withdrawn");
    case FL_RESOLUTION_NONE:
    default:                             return "";
    }
}

int
fl_priority_compute (FlGrade impact,
                     FlGrade urgency)
{
  /* high/high → 1; high/medium, medium/high → 2;
   * high/low, medium/medium, low/high → 3; the rest → 4 */
  int sum = (int) impact + (int) urgency;

  switch (sum)
    {
    case 4:  return 1;
    case 3:  return 2;
    case 2:  return 3;
    default: return 4;
    }
}

gint64
fl_time_now (void)
{
  return g_get_real_time () / 1000;
}

char *
fl_time_format (gint64 ms)
{
  g_autoptr(GDateTime) dt = NULL;
  gint64 secs = ms / 1000;
  int millis = (int) (ms % 1000);

  if (millis < 0)
    {
      millis += 1000;
      secs -= 1;
    }

  dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                          g_date_time_get_year (dt),
                          g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt),
                          g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt),
                          g_date_time_get_second (dt),
                          millis);
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, the range of GDateTime */
#define TIME_MIN_US (G_GINT64_CONSTANT (-62135596800) * G_USEC_PER_SEC)
#define TIME_MAX_US (G_GINT64_CONSTANT (253402300799) * G_USEC_PER_SEC + 999999)

gboolean
fl_time_parse (const char *str,
               gint64     *out_ms)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = NULL;
  gint64 us;

  if (str == NULL || !g_utf8_validate (str, -1, NULL) || strlen (str) > 64)
    return FALSE;

  /* RFC 3339 requires a date, a 'T' and a time; g_date_time_new_from_iso8601 accepts more. */
  if (strlen (str) < 20 || str[4] != '-' || str[7] != '-' || (str[10] != 'T' && str[10] != 't') ||
      str[13] != ':' || str[16] != ':')
    return FALSE;
  for (guint i = 0; i < 19; i++)
    if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && !g_ascii_isdigit (str[i]))
      return FALSE;
  /* GLib takes second 60 (and rolls it over); RFC 3339's leap second has no
   * place in our times: hours, minutes and seconds in their plain ranges. */
  if (g_ascii_digit_value (str[11]) * 10 + g_ascii_digit_value (str[12]) > 23 ||
      g_ascii_digit_value (str[14]) > 5 || g_ascii_digit_value (str[17]) > 5)
    return FALSE;

  utc = g_time_zone_new_utc ();
  dt = g_date_time_new_from_iso8601 (str, utc);
  if (dt == NULL)
    return FALSE;

  us = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);

  /* A year 1 or 9999 with an offset can fall outside them in UTC, where
   * fl_time_format() cannot write it. */
  if (us < TIME_MIN_US || us > TIME_MAX_US)
    return FALSE;

  *out_ms = us / 1000;
  return TRUE;
}

char *
fl_uuid_new (void)
{
  return g_uuid_string_random ();
}

gboolean
fl_uuid_is_valid (const char *str)
{
  if (str == NULL || strlen (str) != 36)
    return FALSE;

  for (guint i = 0; i < 36; i++)
    {
      char c = str[i];

      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (c != '-')
            return FALSE;
        }
      else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        {
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
fl_text_is_valid (const char *str,
                  guint       min_chars,
                  guint       max_chars)
{
  glong len;

  if (str == NULL || !g_utf8_validate (str, -1, NULL))
    return FALSE;

  len = g_utf8_strlen (str, -1);
  return len >= (glong) min_chars && len <= (glong) max_chars;
}

static const char * const default_queues[] = {
  "network", "applications", "hardware", "accounts", NULL
};

const char * const *
fl_queue_get_defaults (void)
{
  return default_queues;
}

const char *
fl_level_get_label (int level)
{
  switch (level)
    {
    case 1:  return _("1st level");
    case 2:  return _("2nd level");
    default: return _("3rd level");
    }
}

const char *
fl_queue_get_label (const char *queue)
{
  g_return_val_if_fail (queue != NULL, NULL);

  if (g_str_equal (queue, "first-level"))
    return C_("queue", "First Level");
  if (g_str_equal (queue, "network"))
    return C_("queue", "Network");
  if (g_str_equal (queue, "applications"))
    return C_("queue", "Applications");
  if (g_str_equal (queue, "hardware"))
    return C_("queue", "Hardware");
  if (g_str_equal (queue, "accounts"))
    return C_("queue", "Accounts");
  return queue;
}
