// The chunks of a RIFF/WAVE or IFF/AIFF(-C) file, walked from their headers only.
#pragma once

#include "writer_support.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace musicfs::format_riff {

enum class Container { Wave, Aiff };

struct Chunk {
    std::string id;              // four characters
    std::string list_type;       // "INFO", "adtl", ... for LIST chunks
    std::uint64_t offset = 0;    // of the chunk header in the original
    std::uint64_t size = 0;      // payload bytes (the declared size, or what the file has)
    bool size_fixed = false;     // the declared size was wrong (audio running to the end)
    bool pad_in_file = false;    // an odd-sized chunk whose pad byte the original has
    bool audio = false;          // 'data' (WAVE) or 'SSND' (AIFF)
};

struct ChunkList {
    Container container = Container::Wave;
    std::string form_type;       // "WAVE", "AIFF" or "AIFC"
    std::vector<Chunk> chunks;   // in file order
    std::uint64_t trailing = 0;  // bytes after the last chunk that are left out (junk, tags)
};

// Walks the chunks of `source`. Throws id3::Refusal: -ENOTSUP for files that are not RIFF/WAVE
// or FORM/AIFF(-C) (and for RF64/BW64, RIFX), -EINVAL for broken ones (no audio chunk, a chunk
// before the audio running past the end of the file).
[[nodiscard]] ChunkList walk_chunks(const id3::Source& source);

}  // namespace musicfs::format_riff
