/* fl-context.c — what the app's parts share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-context"

#include "config.h"

#include "fl-context.h"

struct _FlContext
{
  GObject    parent_instance;

  /* owned */
  FlStore   *store;
  GSettings *settings;
  FlSyncEngine *sync_engine;
  FlChecklistLibrary *checklists; /* made on first use */
  GPtrArray *categories;          /* FlCategory; made on first use */

  gint64     fixed_now;          /* 0: the real clock */
};

G_DEFINE_FINAL_TYPE (FlContext, fl_context, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
fl_context_dispose (GObject *object)
{
  FlContext *self = (FlContext *)object;

  if (self->sync_engine != NULL)
    fl_sync_engine_stop (self->sync_engine);
  g_clear_object (&self->sync_engine);
  g_clear_object (&self->checklists);
  g_clear_pointer (&self->categories, g_ptr_array_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (fl_context_parent_class)->dispose (object);
}

static void
fl_context_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FlContext *self = FL_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fl_context_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  FlContext *self = FL_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A CA file chosen in the preferences applies at once: the next request (and a
 * sync started right away) uses it. */
static void
on_ca_file_changed_cb (FlContext  *self,
                       const char *key,
                       GSettings  *settings)
{
  g_autofree char *ca_file = g_settings_get_string (settings, "ca-file");

  fl_sync_engine_set_ca_file (self->sync_engine, ca_file);
}

static void
fl_context_constructed (GObject *object)
{
  FlContext *self = (FlContext *)object;

  G_OBJECT_CLASS (fl_context_parent_class)->constructed (object);

  self->sync_engine = fl_sync_engine_new (self->store);
  if (self->settings != NULL)
    {
      g_autofree char *ca_file = g_settings_get_string (self->settings, "ca-file");
      g_autoptr(GSettingsSchema) schema = NULL;

      fl_sync_engine_set_ca_file (self->sync_engine, ca_file);
      g_signal_connect_object (self->settings, "changed::ca-file",
                               G_CALLBACK (on_ca_file_changed_cb), self, G_CONNECT_SWAPPED);

      g_object_get (self->settings, "settings-schema", &schema, NULL);
      if (schema != NULL && g_settings_schema_has_key (schema, "allow-insecure-http"))
        fl_sync_engine_set_allow_insecure (self->sync_engine,
                                           g_settings_get_boolean (self->settings,
                                                                   "allow-insecure-http"));
    }
}

static void
fl_context_class_init (FlContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = fl_context_constructed;
  object_class->dispose = fl_context_dispose;
  object_class->get_property = fl_context_get_property;
  object_class->set_property = fl_context_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         FL_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fl_context_init (FlContext *self)
{
}

FlContext *
fl_context_new (FlStore   *store,
                GSettings *settings)
{
  g_return_val_if_fail (FL_IS_STORE (store), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (FL_TYPE_CONTEXT,
                       "store", store,
                       "settings", settings,
                       NULL);
}

FlStore *
fl_context_get_store (FlContext *self)
{
  g_return_val_if_fail (FL_IS_CONTEXT (self), NULL);

  return self->store;
}

FlSyncEngine *
fl_context_get_sync_engine (FlContext *self)
{
  g_return_val_if_fail (FL_IS_CONTEXT (self), NULL);

  return self->sync_engine;
}

FlChecklistLibrary *
fl_context_get_checklist_library (FlContext *self)
{
  g_return_val_if_fail (FL_IS_CONTEXT (self), NULL);

  if (self->checklists == NULL)
    self->checklists = fl_checklist_library_new (self->store, NULL);

  return self->checklists;
}

GPtrArray *
fl_context_get_categories (FlContext *self)
{
  g_return_val_if_fail (FL_IS_CONTEXT (self), NULL);

  if (self->categories == NULL)
    self->categories = fl_categories_load_default (NULL);

  return self->categories;
}

GSettings *
fl_context_get_settings (FlContext *self)
{
  g_return_val_if_fail (FL_IS_CONTEXT (self), NULL);

  return self->settings;
}

gint64
fl_context_get_now (FlContext *self)
{
  g_return_val_if_fail (FL_IS_CONTEXT (self), 0);

  return self->fixed_now != 0 ? self->fixed_now : fl_time_now ();
}

void
fl_context_set_now (FlContext *self,
                    gint64     now)
{
  g_return_if_fail (FL_IS_CONTEXT (self));

  self->fixed_now = now;
}

char *
fl_context_dup_default_cache_path (void)
{
  const char *env = g_getenv ("FIRSTLINE_CACHE");

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  return g_build_filename (g_get_user_data_dir (), "firstline", "cache.db", NULL);
}
