/* fl-ticket.c — the ticket model and its JSON form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-ticket"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-json-private.h"
#include "fl-ticket-private.h"

#define ENUM_GETTER(fn) ((gboolean (*) (const char *, int *)) (fn))

G_DEFINE_FINAL_TYPE (FlTicket, fl_ticket, G_TYPE_OBJECT)

static const FlPolicy default_policy = {
  .resolve_target = {
    4 * 3600 * 1000LL,
    8 * 3600 * 1000LL,
    24 * 3600 * 1000LL,
    72 * 3600 * 1000LL,
  },
};

static void
requester_clear (FlRequester *r)
{
  g_clear_pointer (&r->name, g_free);
  g_clear_pointer (&r->email, g_free);
  g_clear_pointer (&r->phone, g_free);
  g_clear_pointer (&r->department, g_free);
  g_clear_pointer (&r->location, g_free);
}

static void
requester_copy (FlRequester       *dst,
                const FlRequester *src)
{
  dst->name = g_strdup (src->name);
  dst->email = g_strdup (src->email);
  dst->phone = g_strdup (src->phone);
  dst->department = g_strdup (src->department);
  dst->location = g_strdup (src->location);
}

static void
build_requester (JsonBuilder       *builder,
                 const FlRequester *r)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, r->name ? r->name : "");
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, r->email ? r->email : "");
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, r->phone ? r->phone : "");
  json_builder_set_member_name (builder, "department");
  json_builder_add_string_value (builder, r->department ? r->department : "");
  json_builder_set_member_name (builder, "location");
  json_builder_add_string_value (builder, r->location ? r->location : "");
  json_builder_end_object (builder);
}

JsonNode *
_fl_requester_to_json (const FlRequester *r)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  build_requester (builder, r);
  return json_builder_get_root (builder);
}

/* Reads requester fields present in @obj into @r. With @require_name, the name must be there. */
static gboolean
parse_requester (JsonObject   *obj,
                 FlRequester  *r,
                 gboolean      require_name,
                 GError      **error)
{
  if (!_fl_json_get_string (obj, "requester", "name",
                            require_name ? FL_FIELD_REQUIRED : FL_FIELD_OPTIONAL,
                            1, FL_SHORT_TEXT_MAX, &r->name, NULL, error) ||
      !_fl_json_get_string (obj, "requester", "email", FL_FIELD_NULLABLE,
                            0, FL_SHORT_TEXT_MAX, &r->email, NULL, error) ||
      !_fl_json_get_string (obj, "requester", "phone", FL_FIELD_NULLABLE,
                            0, FL_SHORT_TEXT_MAX, &r->phone, NULL, error) ||
      !_fl_json_get_string (obj, "requester", "department", FL_FIELD_NULLABLE,
                            0, FL_SHORT_TEXT_MAX, &r->department, NULL, error) ||
      !_fl_json_get_string (obj, "requester", "location", FL_FIELD_NULLABLE,
                            0, FL_SHORT_TEXT_MAX, &r->location, NULL, error))
    return FALSE;

  return TRUE;
}

static void
ticket_fill_defaults (FlTicket *self)
{
  char **strs[] = {
    &self->title, &self->description, &self->requester.name, &self->requester.email,
    &self->requester.phone, &self->requester.department, &self->requester.location,
    &self->asset, &self->category, &self->queue, &self->created_by, &self->id,
  };

  for (guint i = 0; i < G_N_ELEMENTS (strs); i++)
    if (*strs[i] == NULL)
      *strs[i] = g_strdup ("");
}

static void
fl_ticket_finalize (GObject *object)
{
  FlTicket *self = (FlTicket *)object;

  g_free (self->id);
  g_free (self->title);
  g_free (self->description);
  requester_clear (&self->requester);
  g_free (self->asset);
  g_free (self->category);
  g_free (self->queue);
  g_free (self->assignee);
  g_free (self->resolution_summary);
  g_free (self->created_by);
  g_free (self->waiting_reason);

  G_OBJECT_CLASS (fl_ticket_parent_class)->finalize (object);
}

static void
fl_ticket_class_init (FlTicketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fl_ticket_finalize;
}

static void
fl_ticket_init (FlTicket *self)
{
  self->channel = FL_CHANNEL_PHONE;
  self->impact = FL_GRADE_MEDIUM;
  self->urgency = FL_GRADE_MEDIUM;
  self->priority = 3;
  self->status = FL_STATUS_NEW;
  self->level = 1;
}

const FlPolicy *
fl_policy_get_default (void)
{
  return &default_policy;
}

FlTicket *
fl_ticket_new (void)
{
  FlTicket *self = g_object_new (FL_TYPE_TICKET, NULL);

  ticket_fill_defaults (self);
  g_free (self->queue);
  self->queue = g_strdup ("first-level");
  return self;
}

FlTicket *
fl_ticket_copy (FlTicket *self)
{
  FlTicket *copy;

  g_return_val_if_fail (FL_IS_TICKET (self), NULL);

  copy = g_object_new (FL_TYPE_TICKET, NULL);
  copy->id = g_strdup (self->id);
  copy->number = self->number;
  copy->version = self->version;
  copy->seq = self->seq;
  copy->title = g_strdup (self->title);
  copy->description = g_strdup (self->description);
  requester_copy (&copy->requester, &self->requester);
  copy->asset = g_strdup (self->asset);
  copy->channel = self->channel;
  copy->category = g_strdup (self->category);
  copy->impact = self->impact;
  copy->urgency = self->urgency;
  copy->priority = self->priority;
  copy->status = self->status;
  copy->level = self->level;
  copy->queue = g_strdup (self->queue);
  copy->assignee = g_strdup (self->assignee);
  copy->resolution_code = self->resolution_code;
  copy->resolution_summary = g_strdup (self->resolution_summary);
  copy->created_by = g_strdup (self->created_by);
  copy->created_at = self->created_at;
  copy->updated_at = self->updated_at;
  copy->resolved_at = self->resolved_at;
  copy->due_at = self->due_at;
  copy->waiting_since = self->waiting_since;
  copy->waiting_reason = g_strdup (self->waiting_reason);
  copy->follow_up_at = self->follow_up_at;
  copy->pending = self->pending;
  copy->follow_up_due = self->follow_up_due;

  return copy;
}

gboolean
fl_ticket_equal (FlTicket *a,
                 FlTicket *b)
{
  g_autofree char *sa = NULL;
  g_autofree char *sb = NULL;

  g_return_val_if_fail (FL_IS_TICKET (a), FALSE);
  g_return_val_if_fail (FL_IS_TICKET (b), FALSE);

  sa = fl_ticket_to_string (a);
  sb = fl_ticket_to_string (b);
  return g_strcmp0 (sa, sb) == 0;
}

void
fl_ticket_build_json (FlTicket    *self,
                      JsonBuilder *builder)
{
  g_return_if_fail (FL_IS_TICKET (self));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "number");
  if (self->number > 0)
    json_builder_add_int_value (builder, self->number);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, self->version);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, self->seq);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, self->title);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, self->description);
  json_builder_set_member_name (builder, "requester");
  build_requester (builder, &self->requester);
  json_builder_set_member_name (builder, "asset");
  json_builder_add_string_value (builder, self->asset);
  json_builder_set_member_name (builder, "channel");
  json_builder_add_string_value (builder, fl_channel_to_string (self->channel));
  json_builder_set_member_name (builder, "category");
  json_builder_add_string_value (builder, self->category);
  json_builder_set_member_name (builder, "impact");
  json_builder_add_string_value (builder, fl_grade_to_string (self->impact));
  json_builder_set_member_name (builder, "urgency");
  json_builder_add_string_value (builder, fl_grade_to_string (self->urgency));
  json_builder_set_member_name (builder, "priority");
  json_builder_add_int_value (builder, self->priority);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, fl_status_to_string (self->status));
  json_builder_set_member_name (builder, "level");
  json_builder_add_int_value (builder, self->level);
  json_builder_set_member_name (builder, "queue");
  json_builder_add_string_value (builder, self->queue);
  _fl_json_add_string_or_null (builder, "assignee", self->assignee);
  json_builder_set_member_name (builder, "resolution");
  if (self->resolution_code != FL_RESOLUTION_NONE)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, fl_resolution_code_to_string (self->resolution_code));
      json_builder_set_member_name (builder, "summary");
      json_builder_add_string_value (builder,
                                     self->resolution_summary ? self->resolution_summary : "");
      json_builder_end_object (builder);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
  json_builder_set_member_name (builder, "created_by");
  json_builder_add_string_value (builder, self->created_by);
  _fl_json_add_time_or_null (builder, "created_at", self->created_at);
  _fl_json_add_time_or_null (builder, "updated_at", self->updated_at);
  _fl_json_add_time_or_null (builder, "resolved_at", self->resolved_at);
  _fl_json_add_time_or_null (builder, "due_at", self->due_at);
  _fl_json_add_time_or_null (builder, "waiting_since", self->waiting_since);
  _fl_json_add_string_or_null (builder, "waiting_reason", self->waiting_reason);
  _fl_json_add_time_or_null (builder, "follow_up_at", self->follow_up_at);
  json_builder_end_object (builder);
}

JsonNode *
fl_ticket_to_json (FlTicket *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (FL_IS_TICKET (self), NULL);

  fl_ticket_build_json (self, builder);
  return json_builder_get_root (builder);
}

char *
fl_ticket_to_string (FlTicket *self)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (FL_IS_TICKET (self), NULL);

  node = fl_ticket_to_json (self);
  return json_to_string (node, FALSE);
}

FlTicket *
fl_ticket_from_json (JsonNode  *node,
                     GError   **error)
{
  g_autoptr(FlTicket) self = NULL;
  JsonObject *obj;
  JsonObject *requester = NULL;
  JsonObject *resolution = NULL;
  gint64 level = 1;
  gint64 priority = 3;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FL_MODEL_ERROR, FL_MODEL_ERROR_TYPE, _("a ticket must be an object"));
      return NULL;
    }

  obj = json_node_get_object (node);
  self = g_object_new (FL_TYPE_TICKET, NULL);

  if (!_fl_json_get_uuid (obj, NULL, "id", FL_FIELD_REQUIRED, &self->id, error) ||
      !_fl_json_get_int (obj, NULL, "number", FL_FIELD_NULLABLE, 1, G_MAXINT64,
                         &self->number, NULL, error) ||
      !_fl_json_get_int (obj, NULL, "version", FL_FIELD_REQUIRED, 1, G_MAXINT64,
                         &self->version, NULL, error) ||
      !_fl_json_get_int (obj, NULL, "seq", FL_FIELD_OPTIONAL, 0, G_MAXINT64,
                         &self->seq, NULL, error) ||
      !_fl_json_get_string (obj, NULL, "title", FL_FIELD_REQUIRED, 1, FL_TITLE_MAX,
                            &self->title, NULL, error) ||
      !_fl_json_get_string (obj, NULL, "description", FL_FIELD_NULLABLE, 0, FL_TEXT_MAX,
                            &self->description, NULL, error) ||
      !_fl_json_get_object (obj, NULL, "requester", FL_FIELD_REQUIRED, &requester, error) ||
      !parse_requester (requester, &self->requester, TRUE, error) ||
      !_fl_json_get_string (obj, NULL, "asset", FL_FIELD_NULLABLE, 0, FL_SHORT_TEXT_MAX,
                            &self->asset, NULL, error) ||
      !_fl_json_get_enum (obj, NULL, "channel", FL_FIELD_REQUIRED,
                          ENUM_GETTER (fl_channel_from_string), (int *) &self->channel, NULL,
                          error) ||
      !_fl_json_get_string (obj, NULL, "category", FL_FIELD_REQUIRED, 1, FL_SHORT_TEXT_MAX,
                            &self->category, NULL, error) ||
      !_fl_json_get_enum (obj, NULL, "impact", FL_FIELD_OPTIONAL,
                          ENUM_GETTER (fl_grade_from_string), (int *) &self->impact, NULL,
                          error) ||
      !_fl_json_get_enum (obj, NULL, "urgency", FL_FIELD_OPTIONAL,
                          ENUM_GETTER (fl_grade_from_string), (int *) &self->urgency, NULL,
                          error) ||
      !_fl_json_get_int (obj, NULL, "priority", FL_FIELD_OPTIONAL, 1, 4, &priority, NULL,
                         error) ||
      !_fl_json_get_enum (obj, NULL, "status", FL_FIELD_OPTIONAL,
                          ENUM_GETTER (fl_status_from_string), (int *) &self->status, NULL,
                          error) ||
      !_fl_json_get_int (obj, NULL, "level", FL_FIELD_OPTIONAL, 1, 2, &level, NULL, error) ||
      !_fl_json_get_string (obj, NULL, "queue", FL_FIELD_OPTIONAL, 1, FL_SHORT_TEXT_MAX,
                            &self->queue, NULL, error) ||
      !_fl_json_get_string (obj, NULL, "assignee", FL_FIELD_NULLABLE, 1, FL_SHORT_TEXT_MAX,
                            &self->assignee, NULL, error) ||
      !_fl_json_get_object (obj, NULL, "resolution", FL_FIELD_NULLABLE, &resolution, error) ||
      !_fl_json_get_string (obj, NULL, "created_by", FL_FIELD_OPTIONAL, 0, FL_SHORT_TEXT_MAX,
                            &self->created_by, NULL, error) ||
      !_fl_json_get_time (obj, NULL, "created_at", FL_FIELD_REQUIRED, &self->created_at, NULL,
                          error) ||
      !_fl_json_get_time (obj, NULL, "updated_at", FL_FIELD_NULLABLE, &self->updated_at, NULL,
                          error) ||
      !_fl_json_get_time (obj, NULL, "resolved_at", FL_FIELD_NULLABLE, &self->resolved_at,
                          NULL, error) ||
      !_fl_json_get_time (obj, NULL, "due_at", FL_FIELD_NULLABLE, &self->due_at, NULL,
                          error) ||
      !_fl_json_get_time (obj, NULL, "waiting_since", FL_FIELD_NULLABLE,
                          &self->waiting_since, NULL, error) ||
      !_fl_json_get_string (obj, NULL, "waiting_reason", FL_FIELD_NULLABLE, 0,
                            FL_SHORT_TEXT_MAX, &self->waiting_reason, NULL, error) ||
      !_fl_json_get_time (obj, NULL, "follow_up_at", FL_FIELD_NULLABLE,
                          &self->follow_up_at, NULL, error))
    return NULL;

  if (resolution != NULL)
    {
      if (!_fl_json_get_enum (resolution, "resolution", "code", FL_FIELD_REQUIRED,
                              ENUM_GETTER (fl_resolution_code_from_string),
                              (int *) &self->resolution_code, NULL, error) ||
          !_fl_json_get_string (resolution, "resolution", "summary", FL_FIELD_NULLABLE,
                                0, FL_TEXT_MAX, &self->resolution_summary, NULL, error))
        return NULL;
    }

  self->priority = (int) priority;
  self->level = (int) level;
  if (self->queue == NULL)
    self->queue = g_strdup ("first-level");
  ticket_fill_defaults (self);

  return g_steal_pointer (&self);
}

char *
fl_ticket_dup_display_number (FlTicket *self)
{
  g_return_val_if_fail (FL_IS_TICKET (self), NULL);

  if (self->number > 0)
    return g_strdup_printf ("#%" G_GINT64_FORMAT, self->number);

  /* Translators: shown instead of a ticket number before the server assigned one */
  return g_strdup (_("not yet synced"));
}

char *
fl_ticket_format_due (FlTicket *self,
                      gint64    now)
{
  gint64 left;
  gint64 minutes;
  g_autofree char *span = NULL;

  g_return_val_if_fail (FL_IS_TICKET (self), NULL);

  if (!fl_status_is_open (self->status) || self->due_at == 0)
    return g_strdup ("");

  if (self->status == FL_STATUS_WAITING)
    return g_strdup (_("paused"));

  left = self->due_at - now;
  minutes = ABS (left) / 60000;

  if (minutes >= 48 * 60)
    {
      int days = (int) (minutes / (24 * 60));

      /* Translators: a duration in days, e.g. "3 d" */
      span = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d d", "%d d", days), days);
    }
  else if (minutes >= 60)
    /* Translators: a duration in hours and minutes, e.g. "2 h 05 min" */
    span = g_strdup_printf (_("%d h %02d min"), (int) (minutes / 60), (int) (minutes % 60));
  else
    /* Translators: a duration in minutes, e.g. "12 min" */
    span = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d min", "%d min", (gulong) minutes),
                            (int) minutes);

  if (left < 0)
    /* Translators: %s is a duration, e.g. "overdue 12 min" */
    return g_strdup_printf (_("overdue %s"), span);

  return g_steal_pointer (&span);
}

char *
fl_ticket_describe_due (FlTicket *self,
                        gint64    now)
{
  gint64 left;
  gint64 minutes;
  g_autofree char *span = NULL;

  g_return_val_if_fail (FL_IS_TICKET (self), NULL);

  if (!fl_status_is_open (self->status) || self->due_at == 0)
    return g_strdup ("");

  if (self->status == FL_STATUS_WAITING)
    /* Translators: spoken for a waiting ticket, whose due time does not run */
    return g_strdup (_("due time paused"));

  left = self->due_at - now;
  minutes = ABS (left) / 60000;

  if (minutes >= 48 * 60)
    {
      int days = (int) (minutes / (24 * 60));

      span = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day", "%d days", days), days);
    }
  else if (minutes >= 60 && minutes % 60 != 0)
    {
      int hours = (int) (minutes / 60);
      int mins = (int) (minutes % 60);
      g_autofree char *h = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour", "%d hours",
                                                         hours), hours);
      g_autofree char *m = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute",
                                                         "%d minutes", mins), mins);

      /* Translators: hours and minutes, e.g. "2 hours 5 minutes" */
      span = g_strdup_printf (_("%s %s"), h, m);
    }
  else if (minutes >= 60)
    {
      int hours = (int) (minutes / 60);

      span = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour", "%d hours", hours), hours);
    }
  else
    span = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute", "%d minutes",
                                         (gulong) minutes), (int) minutes);

  if (left < 0)
    /* Translators: spoken; %s is a duration, e.g. "overdue by 12 minutes" */
    return g_strdup_printf (_("overdue by %s"), span);

  /* Translators: spoken; %s is a duration, e.g. "due in 2 hours 5 minutes" */
  return g_strdup_printf (_("due in %s"), span);
}

gboolean
fl_ticket_is_follow_up_due (FlTicket *self,
                            gint64    now)
{
  g_return_val_if_fail (FL_IS_TICKET (self), FALSE);

  return self->status == FL_STATUS_WAITING && self->follow_up_at != 0 && self->follow_up_at <= now;
}
