/* Convenience header: the whole MusicFS plugin ABI. */
#ifndef MUSICFS_MUSICFS_H
#define MUSICFS_MUSICFS_H

#include "abi.h"
#include "format.h"
#include "host.h"
#include "metadata.h"
#include "origin.h"
#include "plugin.h"
#include "template.h"
#include "track.h"

#endif /* MUSICFS_MUSICFS_H */
