/* fl-search-provider.h — GNOME Shell search over the local cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fl-store.h"

G_BEGIN_DECLS

#define FL_SEARCH_PROVIDER_PATH_SUFFIX "/SearchProvider"

/* Called for each request: the store to search (opened on first use), or NULL
 * when the cache cannot be opened. */
typedef FlStore *(*FlSearchProviderStoreFunc) (gpointer user_data);
/* Called for ActivateResult (@id_or_number is a ticket id) and LaunchSearch
 * (@id_or_number is NULL, @terms what was typed). */
typedef void (*FlSearchProviderActivateFunc) (const char         *id_or_number,
                                              const char * const *terms,
                                              gpointer            user_data);

#define FL_TYPE_SEARCH_PROVIDER (fl_search_provider_get_type ())
G_DECLARE_FINAL_TYPE (FlSearchProvider, fl_search_provider, FL, SEARCH_PROVIDER, GObject)

FlSearchProvider *fl_search_provider_new      (GApplication                 *application,
                                               FlSearchProviderStoreFunc     store_func,
                                               FlSearchProviderActivateFunc  activate_func,
                                               gpointer                      user_data);
gboolean          fl_search_provider_export   (FlSearchProvider             *self,
                                               GDBusConnection              *connection,
                                               const char                   *object_path,
                                               GError                      **error);
void              fl_search_provider_unexport (FlSearchProvider             *self);
/* The ids of the tickets matching every one of @terms, best first (at most 20). */
char            **fl_search_provider_search   (FlSearchProvider             *self,
                                               const char * const           *terms);

G_END_DECLS
