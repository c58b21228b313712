/* fl-data.h — the built-in categories and checklists, compiled into the program
 *
 * data/categories.json and data/checklists/ are built into libfirstline as a
 * GResource, so that a program that is not installed finds them without a path
 * into the source tree. An installed file (PKGDATADIR) or $FIRSTLINE_CHECKLIST_DIR
 * comes first; this is the last resort.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The resource path of the built-in @name ("categories.json"). */
#define FL_DATA_RESOURCE_PATH "/io/github/firstline/Firstline/data"

/* The contents of the built-in file @name ("categories.json", "checklists/vpn.json"). */
GBytes     *fl_data_lookup              (const char  *name,
                                         GError     **error);
/* The file names (without directory) of the built-in checklists, sorted. */
GStrv       fl_data_list_checklists     (void);
/* The built-in checklists, sorted by file name: a GPtrArray of FlChecklist. */
GPtrArray  *fl_data_load_checklists     (GError     **error);
/* Writes the built-in checklists into the existing directory @dir, for a program
 * that only reads checklists from a directory. */
gboolean    fl_data_write_checklists    (const char  *dir,
                                         GError     **error);

G_END_DECLS
