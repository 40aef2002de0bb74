// Rebuilding `moov` with new tags while keeping every sample where it was.
//
// The served file is the original's top-level atoms in order, with `moov` replaced. When moov
// precedes sample data (a "faststart" file), its size change shifts every later byte by
// `delta`, so every chunk offset (stco 32-bit, co64 64-bit) that points past the original moov
// is moved by delta; an stco whose entries would no longer fit 32 bits is written as a co64,
// which grows moov again, so the size is iterated to a fixed point.
#pragma once

#include "atom.hpp"

#include <cstdint>

namespace musicfs::format_mp4 {

// The original's picture item: the whole `covr` atom of moov/udta/meta/ilst, or empty when
// there is none (or the ilst cannot be read).
ByteSpan find_covr(ByteSpan moov);

struct RebuiltMoov {
    Bytes bytes;                   // the new moov atom, header included
    std::int64_t delta = 0;        // bytes.size() - the original moov's size
    std::size_t shifted_tables = 0;   // chunk offset tables with at least one entry moved
    std::size_t converted_tables = 0; // stco tables written as co64
};

// Rebuilds `moov` (the original atom, header included, found at `moov_offset` in the file):
//  - moov/udta: its `meta` becomes a new one (full atom, hdlr "mdir", `ilst_items` in an ilst)
//    in the same place, or at the end of udta; a udta is added at the end of moov when there is
//    none. Atoms that carry tags elsewhere (QuickTime ©xxx text atoms, 3GPP asset atoms, ID32,
//    Xtra, XMP_, a moov- or trak-level metadata `meta`) are dropped, since a tag the catalog
//    does not list must not be served. Empty `ilst_items` means no meta at all.
//  - trak/mdia/minf/stbl/stco|co64: entries >= the original moov's end move by delta.
//  - everything else is copied as it is.
// `data_follows` says whether anything follows moov in the file (the only case where offsets
// move). Throws Refusal: -ENOTSUP for fragmented files (mvex) and for offsets this writer does
// not know how to move (saio), -EINVAL for broken atoms, -EFBIG past 32-bit atom sizes.
RebuiltMoov rebuild_moov(ByteSpan moov, std::uint64_t moov_offset, bool data_follows,
                         ByteSpan ilst_items);

}  // namespace musicfs::format_mp4
