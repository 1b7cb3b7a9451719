/* catalog/internal.h - private to catalog/: what its files share. */
#ifndef CONNECTORD_CATALOG_INTERNAL_H
#define CONNECTORD_CATALOG_INTERNAL_H

#include "catalog/catalog.h"

/* The shared field with this key that caps add, or NULL (fields.c). */
const struct setting_field *catalog_cap_field_find(unsigned caps, const char *key);

#endif
