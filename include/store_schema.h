/* store_schema.h - the schema migrations of the database (used by store.c). */
#ifndef CPR_STORE_SCHEMA_H
#define CPR_STORE_SCHEMA_H

#include <glib.h>

/* The version a fully migrated database has. */
guint store_schema_version(void);
/* SQL that migrates from `from_version` to from_version + 1, or NULL. */
const char *store_schema_migration(guint from_version);

#endif
