/* fl-search-provider.c — GNOME Shell search over the local cache
 *
 * Implements org.gnome.Shell.SearchProvider2 on the application's own bus
 * connection: the Shell asks for tickets matching what was typed (number,
 * title, requester, …), the cache answers offline, and activating a result
 * opens that ticket in the window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-search-provider"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fl-search-provider.h"
#include "fl-ticket.h"
#include "fl-types.h"

#define MAX_RESULTS 20

struct _FlSearchProvider
{
  GObject                       parent_instance;

  /* borrowed */
  GApplication                 *application;
  GDBusConnection              *connection;

  FlSearchProviderStoreFunc     store_func;
  FlSearchProviderActivateFunc  activate_func;
  gpointer                      user_data;
  guint                         registration_id;
};

G_DEFINE_FINAL_TYPE (FlSearchProvider, fl_search_provider, G_TYPE_OBJECT)

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.gnome.Shell.SearchProvider2'>"
  "    <method name='GetInitialResultSet'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetSubsearchResultSet'>"
  "      <arg type='as' name='previous_results' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetResultMetas'>"
  "      <arg type='as' name='identifiers' direction='in'/>"
  "      <arg type='aa{sv}' name='metas' direction='out'/>"
  "    </method>"
  "    <method name='ActivateResult'>"
  "      <arg type='s' name='identifier' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "    <method name='LaunchSearch'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

/* "#320" or "320": the number, else 0 */
static gint64
parse_number (const char *term)
{
  guint64 number;

  if (term[0] == '#')
    term++;
  if (!g_ascii_string_to_unsigned (term, 10, 1, G_MAXINT64, &number, NULL))
    return 0;
  return (gint64) number;
}

static GVariant *
result_meta (FlTicket *ticket)
{
  g_autofree char *number = fl_ticket_dup_display_number (ticket);
  g_autofree char *name = g_strdup_printf ("%s %s", number, ticket->title);
  g_autofree char *description = NULL;
  g_autoptr(GIcon) icon = g_themed_icon_new (APPLICATION_ID);
  GVariantBuilder meta;

  /* Translators: a search result in GNOME Shell: requester, status, category */
  description = g_strdup_printf (_("%s · %s · %s"),
                                 ticket->requester.name ? ticket->requester.name : "",
                                 fl_status_get_label (ticket->status), ticket->category);
  g_variant_builder_init (&meta, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&meta, "{sv}", "id", g_variant_new_string (ticket->id));
  g_variant_builder_add (&meta, "{sv}", "name", g_variant_new_string (name));
  g_variant_builder_add (&meta, "{sv}", "description", g_variant_new_string (description));
  g_variant_builder_add (&meta, "{sv}", "icon", g_icon_serialize (icon));
  return g_variant_builder_end (&meta);
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  FlSearchProvider *self = user_data;

  /* Each request counts as use: a service started for the Shell stays a while. */
  g_application_hold (self->application);

  if (g_str_equal (method_name, "GetInitialResultSet") ||
      g_str_equal (method_name, "GetSubsearchResultSet"))
    {
      g_autofree const char **terms = NULL;
      g_auto(GStrv) results = NULL;

      if (g_str_equal (method_name, "GetInitialResultSet"))
        g_variant_get (parameters, "(^a&s)", &terms);
      else
        g_variant_get (parameters, "(@as^a&s)", NULL, &terms);
      results = fl_search_provider_search (self, terms);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(^as)", results));
    }
  else if (g_str_equal (method_name, "GetResultMetas"))
    {
      g_autofree const char **ids = NULL;
      FlStore *store = self->store_func (self->user_data);
      GVariantBuilder metas;

      g_variant_get (parameters, "(^a&s)", &ids);
      g_variant_builder_init (&metas, G_VARIANT_TYPE ("aa{sv}"));
      for (guint i = 0; store != NULL && ids[i] != NULL; i++)
        {
          g_autoptr(FlTicket) ticket = fl_store_get_ticket (store, ids[i], NULL);

          if (ticket != NULL)
            g_variant_builder_add_value (&metas, result_meta (ticket));
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(aa{sv})", &metas));
    }
  else if (g_str_equal (method_name, "ActivateResult"))
    {
      const char *id;
      g_autofree const char **terms = NULL;
      guint32 timestamp;

      g_variant_get (parameters, "(&s^a&su)", &id, &terms, &timestamp);
      self->activate_func (id, terms, self->user_data);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "LaunchSearch"))
    {
      g_autofree const char **terms = NULL;
      guint32 timestamp;

      g_variant_get (parameters, "(^a&su)", &terms, &timestamp);
      self->activate_func (NULL, terms, self->user_data);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "Unknown method %s", method_name);

  g_application_release (self->application);
}

static const GDBusInterfaceVTable vtable = { method_call_cb, NULL, NULL, { 0 } };

static void
fl_search_provider_dispose (GObject *object)
{
  FlSearchProvider *self = FL_SEARCH_PROVIDER (object);

  fl_search_provider_unexport (self);

  G_OBJECT_CLASS (fl_search_provider_parent_class)->dispose (object);
}

static void
fl_search_provider_class_init (FlSearchProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = fl_search_provider_dispose;
}

static void
fl_search_provider_init (FlSearchProvider *self)
{
}

FlSearchProvider *
fl_search_provider_new (GApplication                 *application,
                        FlSearchProviderStoreFunc     store_func,
                        FlSearchProviderActivateFunc  activate_func,
                        gpointer                      user_data)
{
  FlSearchProvider *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (store_func != NULL, NULL);
  g_return_val_if_fail (activate_func != NULL, NULL);

  self = g_object_new (FL_TYPE_SEARCH_PROVIDER, NULL);
  self->application = application;
  self->store_func = store_func;
  self->activate_func = activate_func;
  self->user_data = user_data;
  return self;
}

gboolean
fl_search_provider_export (FlSearchProvider  *self,
                           GDBusConnection   *connection,
                           const char        *object_path,
                           GError           **error)
{
  g_autoptr(GDBusNodeInfo) info = NULL;

  g_return_val_if_fail (FL_IS_SEARCH_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (self->registration_id == 0, FALSE);

  info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (info == NULL)
    return FALSE;
  self->registration_id = g_dbus_connection_register_object (connection, object_path,
                                                             info->interfaces[0], &vtable,
                                                             self, NULL, error);
  if (self->registration_id == 0)
    return FALSE;
  self->connection = connection;
  return TRUE;
}

void
fl_search_provider_unexport (FlSearchProvider *self)
{
  g_return_if_fail (FL_IS_SEARCH_PROVIDER (self));

  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  self->connection = NULL;
}

char **
fl_search_provider_search (FlSearchProvider   *self,
                           const char * const *terms)
{
  g_autoptr(GStrvBuilder) results = g_strv_builder_new ();
  g_autoptr(GPtrArray) tickets = NULL;
  g_autofree char *query = NULL;
  g_autofree char *exact_id = NULL;
  FlStore *store;
  guint n = 0;

  g_return_val_if_fail (FL_IS_SEARCH_PROVIDER (self), NULL);
  g_return_val_if_fail (terms != NULL, NULL);

  store = self->store_func (self->user_data);
  query = g_strjoinv (" ", (char **) terms);
  g_strstrip (query);
  if (store == NULL || *query == '\0')
    return g_strv_builder_end (results);

  /* A number alone: that ticket first. */
  if (terms[0] != NULL && terms[1] == NULL && parse_number (terms[0]) > 0)
    {
      g_autofree char *number = g_strdup_printf ("#%" G_GINT64_FORMAT, parse_number (terms[0]));
      g_autoptr(FlTicket) ticket = fl_store_get_ticket (store, number, NULL);

      if (ticket != NULL)
        {
          exact_id = g_strdup (ticket->id);
          g_strv_builder_add (results, ticket->id);
          n++;
        }
    }

  tickets = fl_store_query_tickets (store, FL_VIEW_ALL, query, 0, MAX_RESULTS, NULL);
  for (guint i = 0; tickets != NULL && i < tickets->len && n < MAX_RESULTS; i++)
    {
      FlTicket *ticket = g_ptr_array_index (tickets, i);

      if (g_strcmp0 (ticket->id, exact_id) == 0)
        continue;
      g_strv_builder_add (results, ticket->id);
      n++;
    }
  return g_strv_builder_end (results);
}
