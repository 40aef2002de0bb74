// musicfs_layout_tool: serves one original through a format-writer plugin, the way the daemon
// does, and writes the served bytes to a file.
//
//   musicfs_layout_tool --plugin WRITER.so [--tags TAGS.json] [--picture TYPE:MIME:DESC:FILE]...
//                       [--no-pictures] [--chunk N] [--config KEY=VALUE]... ORIGINAL OUT
//
// TAGS.json: {"title": "x", "artists": ["A", "B"], ...} (Picard names; arrays are multi-valued
// tags, kept in order). Without --picture or --no-pictures, the original's pictures are kept.
// The served file is read in chunks of N bytes (default 65537, odd on purpose so that reads
// straddle segment boundaries). --config sets one entry of the writer's configuration (its
// `[format.<name>]` table, values in TOML spelling), e.g. --config id3v2_version=3. Prints a
// JSON summary of the layout on stdout; exits 2 with the writer's reason when it refuses the
// file, 1 on any other error.

#include "overlay/format_writer.hpp"
#include "plugin/registry.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace musicfs;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

catalog::TagList parse_tags(const std::string& path) {
    catalog::TagList tags;
    const auto doc = nlohmann::ordered_json::parse(slurp(path));
    for (const auto& [key, value] : doc.items()) {
        if (value.is_array()) {
            for (const auto& v : value) tags.emplace_back(key, v.get<std::string>());
        } else {
            tags.emplace_back(key, value.get<std::string>());
        }
    }
    return tags;
}

overlay::Picture parse_picture(const std::string& spec) {
    // TYPE:MIME:DESC:FILE (DESC may be empty; FILE may contain ':').
    overlay::Picture p;
    std::size_t a = spec.find(':'), b = spec.find(':', a + 1), c = spec.find(':', b + 1);
    if (a == std::string::npos || b == std::string::npos || c == std::string::npos)
        throw std::runtime_error("--picture wants TYPE:MIME:DESC:FILE, got " + spec);
    p.type = static_cast<std::uint32_t>(std::stoul(spec.substr(0, a)));
    p.mime = spec.substr(a + 1, b - a - 1);
    p.description = spec.substr(b + 1, c - b - 1);
    p.data = slurp(spec.substr(c + 1));
    return p;
}

const char* kind_name(overlay::Segment::Kind k) {
    switch (k) {
        case overlay::Segment::Kind::Literal: return "literal";
        case overlay::Segment::Kind::Original: return "original";
        case overlay::Segment::Kind::Transformed: return "transformed";
    }
    return "?";
}

int run(int argc, char** argv) {
    std::string plugin_path, tags_path, original_path, out_path;
    std::vector<overlay::Picture> pictures;
    bool replace_pictures = false;
    std::uint64_t chunk = 65537;
    std::vector<std::string> positional;
    std::map<std::string, std::string> config;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--plugin") plugin_path = next();
        else if (a == "--tags") tags_path = next();
        else if (a == "--picture") pictures.push_back(parse_picture(next())), replace_pictures = true;
        else if (a == "--no-pictures") replace_pictures = true;
        else if (a == "--chunk") chunk = std::stoull(next());
        else if (a == "--config") {
            const std::string entry = next();
            const std::size_t eq = entry.find('=');
            if (eq == std::string::npos || eq == 0)
                throw std::runtime_error("--config wants KEY=VALUE, got " + entry);
            config[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
        else positional.push_back(a);
    }
    if (plugin_path.empty() || positional.size() != 2 || chunk == 0) {
        std::cerr << "usage: musicfs_layout_tool --plugin WRITER.so [--tags TAGS.json] "
                     "[--picture TYPE:MIME:DESC:FILE]... [--no-pictures] [--chunk N] "
                     "[--config KEY=VALUE]... ORIGINAL OUT\n";
        return 1;
    }
    original_path = positional[0];
    out_path = positional[1];

    plugin::Registry registry({});
    const auto plugin = registry.load_file(plugin_path);
    if (!plugin || !plugin->format_kind()) {
        std::cerr << "not a loadable format-writer plugin: " << plugin_path << "\n";
        return 1;
    }
    overlay::FormatWriter writer(plugin, config);
    const catalog::TagList tags = tags_path.empty() ? catalog::TagList{} : parse_tags(tags_path);

    const int fd = ::open(original_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(original_path + ": " + std::strerror(errno));
    const std::uint64_t size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
    const overlay::ReadFn read = [fd](std::uint64_t off, void* buf, std::uint64_t len) -> std::int64_t {
        const ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
        return n < 0 ? -errno : n;
    };

    const auto result = writer.layout(original_path, size, read, tags,
                                      replace_pictures ? &pictures : nullptr);
    if (result.rc != 0) {
        std::cerr << "layout failed (" << std::strerror(-result.rc) << "): " << result.reason << "\n";
        ::close(fd);
        return 2;
    }
    const auto& layout = *result.layout;
    const overlay::TransformFn transform = [&](std::uint64_t arg, const std::uint8_t* in,
                                               std::uint8_t* out, std::uint64_t len) {
        return writer.transform(arg, in, out, len);
    };

    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    std::vector<char> buf(chunk);
    std::uint64_t total = 0;
    while (true) {
        const std::int64_t n = layout.read(total, buf.data(), chunk, read, transform);
        if (n < 0) throw std::runtime_error(std::string("read failed: ") + std::strerror(static_cast<int>(-n)));
        if (n == 0) break;
        out.write(buf.data(), n);
        total += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    if (total != layout.size())
        throw std::runtime_error("served " + std::to_string(total) + " bytes but the layout says " +
                                 std::to_string(layout.size()));

    nlohmann::json summary = {{"size", layout.size()}, {"original_size", size}};
    auto& segs = summary["segments"] = nlohmann::json::array();
    for (const auto& s : layout.segments())
        segs.push_back({{"kind", kind_name(s.kind)}, {"start", s.start}, {"length", s.length},
                        {"source", s.kind == overlay::Segment::Kind::Literal ? 0 : s.source}});
    std::cout << summary.dump() << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "musicfs_layout_tool: " << e.what() << "\n";
        return 1;
    }
}
