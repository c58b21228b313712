/* fl-sync-indicator.c — online, syncing, offline, error or login needed; unsent changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sync-indicator"

#include "config.h"

#include <glib/gi18n.h>

#include "fl-sync-indicator.h"

/* Brief flickers between syncing and idle are not worth showing. */
#define UPDATE_DELAY_MS 150

struct _FlSyncIndicator
{
  AdwBin        parent_instance;

  /* template widgets */
  GtkMenuButton *button;
  GtkImage     *icon;
  GtkLabel     *label;
  GtkLabel     *status_label;
  GtkLabel     *detail_label;
  GtkWidget    *conflicts_button;
  GtkWidget    *login_button;

  /* owned */
  FlSyncEngine *engine;
  char         *text;

  guint         update_source_id;
};

G_DEFINE_FINAL_TYPE (FlSyncIndicator, fl_sync_indicator, ADW_TYPE_BIN)

static void
update (FlSyncIndicator *self)
{
  FlSyncState state = fl_sync_engine_get_state (self->engine);
  guint pending = fl_sync_engine_get_pending_ops (self->engine);
  guint conflicts = fl_sync_engine_get_conflicts (self->engine);
  const char *last_error = fl_sync_engine_get_last_error (self->engine);
  gint64 last_sync = fl_sync_engine_get_last_sync (self->engine);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *detail = NULL;
  const char *icon = "network-offline-symbolic";
  const char *status = "";

  switch (state)
    {
    case FL_SYNC_STATE_IDLE:
      icon = "emblem-ok-symbolic";
      status = _("Online");
      break;
    case FL_SYNC_STATE_SYNCING:
      icon = "emblem-synchronizing-symbolic";
      status = _("Syncing");
      break;
    case FL_SYNC_STATE_CONNECTING:
      icon = "network-idle-symbolic";
      status = _("Connecting");
      break;
    case FL_SYNC_STATE_ERROR:
      icon = "dialog-error-symbolic";
      status = _("Sync error");
      break;
    case FL_SYNC_STATE_UNAUTHORIZED:
      icon = "dialog-password-symbolic";
      status = _("Login needed");
      break;
    case FL_SYNC_STATE_OFFLINE:
    default:
      icon = "network-offline-symbolic";
      status = _("Offline");
      break;
    }

  g_string_append (text, status);
  if (pending > 0)
    /* Translators: the number of local changes not yet sent to the server */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, " · %u unsent", " · %u unsent", pending),
                            pending);
  if (conflicts > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, " · %u conflict", " · %u conflicts",
                                               conflicts),
                            conflicts);

  g_free (self->text);
  self->text = g_string_free (g_steal_pointer (&text), FALSE);

  gtk_image_set_from_icon_name (self->icon, icon);
  gtk_label_set_label (self->label, self->text);
  gtk_label_set_label (self->status_label, self->text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->text, -1);

  /* An error is news only while it lasts: online, the popover never says
   * the server cannot be reached. */
  if (last_error != NULL && *last_error != '\0' &&
      state != FL_SYNC_STATE_IDLE && state != FL_SYNC_STATE_SYNCING)
    detail = g_strdup (last_error);
  else if (conflicts > 0 && (state == FL_SYNC_STATE_IDLE || state == FL_SYNC_STATE_SYNCING))
    detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Synced, but %u conflict waits for a decision",
                                           "Synced, but %u conflicts wait for a decision", conflicts),
                              conflicts);
  else if (last_sync > 0)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (last_sync / 1000);
      g_autoptr(GDateTime) local = g_date_time_to_local (utc);
      /* Translators: the time of day of the last sync, see g_date_time_format() */
      g_autofree char *when = g_date_time_format (local, _("%H:%M:%S"));
      /* Translators: %s is a time of day */
      detail = g_strdup_printf (_("Last synced at %s"), when);
    }
  else
    detail = g_strdup (_("Not synced yet"));
  gtk_label_set_label (self->detail_label, detail);

  gtk_widget_set_visible (self->conflicts_button, conflicts > 0);
  gtk_widget_set_visible (self->login_button, state == FL_SYNC_STATE_UNAUTHORIZED);

  if (state == FL_SYNC_STATE_ERROR || state == FL_SYNC_STATE_UNAUTHORIZED || conflicts > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->label), "warning");
}

static gboolean
update_cb (gpointer user_data)
{
  FlSyncIndicator *self = user_data;

  self->update_source_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

static void
on_engine_notify_cb (FlSyncIndicator *self)
{
  if (self->update_source_id == 0)
    self->update_source_id = g_timeout_add (UPDATE_DELAY_MS, update_cb, self);
}

static void
fl_sync_indicator_dispose (GObject *object)
{
  FlSyncIndicator *self = (FlSyncIndicator *)object;

  g_clear_handle_id (&self->update_source_id, g_source_remove);
  /* AdwBin unparents its child itself. */
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (fl_sync_indicator_parent_class)->dispose (object);
}

static void
fl_sync_indicator_finalize (GObject *object)
{
  FlSyncIndicator *self = (FlSyncIndicator *)object;

  g_free (self->text);

  G_OBJECT_CLASS (fl_sync_indicator_parent_class)->finalize (object);
}

static void
fl_sync_indicator_class_init (FlSyncIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fl_sync_indicator_dispose;
  object_class->finalize = fl_sync_indicator_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/firstline/Firstline/ui/fl-sync-indicator.ui");
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, button);
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, icon);
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, label);
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, status_label);
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, detail_label);
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, conflicts_button);
  gtk_widget_class_bind_template_child (widget_class, FlSyncIndicator, login_button);
}

static void
fl_sync_indicator_init (FlSyncIndicator *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
fl_sync_indicator_set_engine (FlSyncIndicator *self,
                              FlSyncEngine    *engine)
{
  g_return_if_fail (FL_IS_SYNC_INDICATOR (self));
  g_return_if_fail (FL_IS_SYNC_ENGINE (engine));
  g_return_if_fail (self->engine == NULL);

  self->engine = g_object_ref (engine);
  g_signal_connect_object (engine, "notify", G_CALLBACK (on_engine_notify_cb), self,
                           G_CONNECT_SWAPPED);
  update (self);
}

const char *
fl_sync_indicator_get_text (FlSyncIndicator *self)
{
  g_return_val_if_fail (FL_IS_SYNC_INDICATOR (self), NULL);

  return self->text ? self->text : "";
}
