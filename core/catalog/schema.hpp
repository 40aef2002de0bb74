#pragma once

#include "catalog/database.hpp"

namespace musicfs::catalog {

// The schema version this build writes. Catalogs from older builds are migrated forward on
// open; a catalog from a newer build is refused rather than misread.
inline constexpr int kSchemaVersion = 6;

// Brings `db` to `target` (kSchemaVersion; older targets only for tests of migrations)
// inside one transaction.
void migrate(Database& db, int target = kSchemaVersion);

}  // namespace musicfs::catalog
