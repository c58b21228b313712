/* fl-a11y.c — accessible names GTK 4.8 gets wrong on its own
 *
 * GTK 4.8 names a button with a mnemonic ("_Add Note") twice: its label
 * property goes into the accessible label, underscore included, and its inner
 * label names it again as the mnemonic label ("_Add Note Add Note"). A check
 * button gets the raw text only ("_Internal note"). This walks a widget tree
 * once and keeps those names right when the labels change later.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-a11y"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "fl-a11y.h"

#define FIXED_KEY "fl-a11y-fixed"
#define NAMED_KEY "fl-a11y-named"
#define ITEM_KEY  "fl-a11y-item"
#define NAME_KEY  "fl-a11y-name"

void
fl_a11y_set_label (GtkWidget  *widget,
                   const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (label != NULL);

  g_object_set_data (G_OBJECT (widget), NAMED_KEY, GINT_TO_POINTER (TRUE));
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

void
fl_a11y_set_drop_down_name (GtkWidget  *drop_down,
                            const char *name)
{
  g_return_if_fail (GTK_IS_WIDGET (drop_down));
  g_return_if_fail (name != NULL);

  g_object_set_data_full (G_OBJECT (drop_down), NAME_KEY, g_strdup (name), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (drop_down),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

char *
fl_a11y_strip_mnemonic (const char *label)
{
  GString *text;

  g_return_val_if_fail (label != NULL, NULL);

  text = g_string_sized_new (strlen (label));
  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (p[1] == '_')
            g_string_append_c (text, '_');
          if (p[1] != '\0')
            p++;
          else
            break;
        }
      g_string_append_c (text, *p);
    }
  return g_string_free (text, FALSE);
}

static void
fix_button (GtkWidget *widget)
{
  if (GTK_IS_CHECK_BUTTON (widget))
    {
      GtkCheckButton *check = GTK_CHECK_BUTTON (widget);
      const char *label = gtk_check_button_get_label (check);

      if (label == NULL || !gtk_check_button_get_use_underline (check))
        return;

      {
        g_autofree char *text = fl_a11y_strip_mnemonic (label);

        gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                        -1);
      }
    }
  else if (GTK_IS_BUTTON (widget))
    {
      GtkButton *button = GTK_BUTTON (widget);

      /* The inner mnemonic label names the button by itself. */
      if (gtk_button_get_label (button) != NULL && gtk_button_get_use_underline (button))
        gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
    }
}

static void
on_label_changed_cb (GtkWidget  *widget,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  fix_button (widget);
}

void
fl_a11y_fix_mnemonic_names (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if ((GTK_IS_BUTTON (root) || GTK_IS_CHECK_BUTTON (root)) &&
      g_object_get_data (G_OBJECT (root), FIXED_KEY) == NULL)
    {
      g_object_set_data (G_OBJECT (root), FIXED_KEY, GINT_TO_POINTER (TRUE));
      g_signal_connect (root, "notify::label", G_CALLBACK (on_label_changed_cb), NULL);
      g_signal_connect (root, "notify::use-underline", G_CALLBACK (on_label_changed_cb), NULL);
      fix_button (root);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    fl_a11y_fix_mnemonic_names (child);
}

/* GtkListView's item widgets (GtkListItemWidget, private in GTK 4.8) are
 * what a screen reader focuses, and GTK 4.8 names them from nothing: unless
 * their row named them (fl_a11y_set_label), they get the text of their
 * labels, kept current when a label changes. */
static gboolean
is_list_item_widget (GtkWidget *widget)
{
  static GType type = 0;

  if (type == 0)
    type = g_type_from_name ("GtkListItemWidget");
  return type != 0 && G_TYPE_CHECK_INSTANCE_TYPE (widget, type);
}

static void
collect_labels (GtkWidget *widget,
                GString   *text)
{
  if (!gtk_widget_get_visible (widget))
    return;

  if (GTK_IS_LABEL (widget))
    {
      const char *label = gtk_label_get_text (GTK_LABEL (widget));

      if (label != NULL && *label != '\0')
        {
          if (text->len > 0)
            g_string_append (text, ", ");
          g_string_append (text, label);
        }
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, text);
}

static void name_list_item (GtkWidget *item);

static void
on_item_label_changed_cb (GtkWidget  *label,
                          GParamSpec *pspec,
                          GtkWidget  *item)
{
  name_list_item (item);
}

static void
watch_labels (GtkWidget *widget,
              GtkWidget *item)
{
  if (GTK_IS_LABEL (widget) && g_object_get_data (G_OBJECT (widget), ITEM_KEY) == NULL)
    {
      g_object_set_data (G_OBJECT (widget), ITEM_KEY, item);
      g_signal_connect_object (widget, "notify::label", G_CALLBACK (on_item_label_changed_cb),
                               item, 0);
      g_signal_connect_object (widget, "notify::visible", G_CALLBACK (on_item_label_changed_cb),
                               item, 0);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    watch_labels (child, item);
}

static void
name_list_item (GtkWidget *item)
{
  g_autoptr(GString) text = NULL;

  if (g_object_get_data (G_OBJECT (item), NAMED_KEY) != NULL)
    return;

  text = g_string_new (NULL);
  collect_labels (item, text);
  if (text->len > 0)
    gtk_accessible_update_property (GTK_ACCESSIBLE (item),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, text->str,
                                    -1);
}

/* The list and the button inside a drop-down are named like the drop-down. */
static const char *
get_drop_down_name (GtkWidget *widget)
{
  GtkWidget *combo = gtk_widget_get_ancestor (widget, ADW_TYPE_COMBO_ROW);
  GtkWidget *drop_down;

  if (combo != NULL)
    return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (combo));

  drop_down = gtk_widget_get_ancestor (widget, GTK_TYPE_DROP_DOWN);
  if (drop_down != NULL)
    return g_object_get_data (G_OBJECT (drop_down), NAME_KEY);

  return NULL;
}

static void
fix_list (GtkWidget *widget)
{
  if (is_list_item_widget (widget))
    {
      watch_labels (widget, widget);
      name_list_item (widget);
    }
  else if (GTK_IS_LIST_VIEW (widget) || GTK_IS_TOGGLE_BUTTON (widget))
    {
      const char *name = get_drop_down_name (widget);

      if (name != NULL && *name != '\0' && g_object_get_data (G_OBJECT (widget), NAMED_KEY) == NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                        -1);
    }
}

static gboolean
on_map_hook_cb (GSignalInvocationHint *hint,
                guint                  n_params,
                const GValue          *params,
                gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&params[0]);

  /* A window walks all of itself, hidden pages included; a widget mapped
   * later (a new row, a dialog's button) fixes itself. */
  if (GTK_IS_WINDOW (widget) || GTK_IS_BUTTON (widget) || GTK_IS_CHECK_BUTTON (widget))
    fl_a11y_fix_mnemonic_names (widget);
  fix_list (widget);

  return TRUE;
}

void
fl_a11y_install (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      /* The signal exists once the class does. */
      g_type_class_unref (g_type_class_ref (GTK_TYPE_WIDGET));
      g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0,
                                  on_map_hook_cb, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}

static void
fix_preferences (GtkWidget *widget)
{
  if (GTK_IS_SEARCH_ENTRY (widget))
    fl_a11y_set_label (widget, _("Search preferences"));
  else if (GTK_IS_LIST_BOX (widget))
    {
      GtkWidget *group = gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_GROUP);
      const char *title = group ? adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)) : NULL;

      /* Only the window's own page of search results has a group without a title. */
      if (title == NULL || *title == '\0')
        fl_a11y_set_label (widget, _("Search results"));
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    fix_preferences (child);
}

void
fl_a11y_fix_preferences_window (GtkWidget *window)
{
  g_return_if_fail (ADW_IS_PREFERENCES_WINDOW (window));

  /* Its search entry and results list come without names, even with the
   * search turned off. */
  fix_preferences (window);
}
