// Tags as extended attributes: `user.musicfs.<name>` per tag (Picard names), a multi-valued
// tag's values separated by NUL bytes; and where the file comes from: `user.musicfs.origin`
// (the origin's name), `user.musicfs.origin_path` (the original's path in it) and
// `user.musicfs.catalog` (the catalog serving it, which `musicfs tag` edits). Read-only.

#include "fuse/filesystem.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace musicfs::fuse {
namespace {

constexpr std::string_view kPrefix = "user.musicfs.";
constexpr std::string_view kOriginPath = "origin_path";
constexpr std::string_view kOrigin = "origin";
constexpr std::string_view kCatalog = "catalog";

void reply_value(fuse_req_t req, const std::string& value, size_t size) {
    if (size == 0)
        fuse_reply_xattr(req, value.size());
    else if (size < value.size())
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, value.data(), value.size());
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) noexcept {
    guarded(req, "getxattr", [&] {
        const std::string_view n = name;
        if (n.substr(0, kPrefix.size()) != kPrefix) return (void)fuse_reply_err(req, ENODATA);
        const auto key = n.substr(kPrefix.size());
        auto& fs = fs_of(req);
        if (key == kOriginPath || key == kOrigin) {
            auto where = fs.reader().location(static_cast<std::int64_t>(ino));
            if (!where) return (void)fuse_reply_err(req, ENODATA);
            return reply_value(req, key == kOrigin ? where->origin : where->path, size);
        }
        if (key == kCatalog) return reply_value(req, fs.catalog_path(), size);
        std::string value;
        bool found = false;
        for (const auto& [k, v] : fs.reader().tags(static_cast<std::int64_t>(ino),
                                                   fs.options().sources)) {
            if (k != key) continue;
            if (found) value += '\0';
            value += v;
            found = true;
        }
        if (!found) return (void)fuse_reply_err(req, ENODATA);
        reply_value(req, value, size);
    });
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) noexcept {
    guarded(req, "listxattr", [&] {
        auto& fs = fs_of(req);
        const auto i = static_cast<std::int64_t>(ino);
        std::string list;
        if (fs.reader().location(i)) {
            auto add = [&](std::string_view key) {
                list += kPrefix;
                list += key;
                list += '\0';
            };
            add(kOriginPath);
            add(kOrigin);
            add(kCatalog);
            std::string_view last;
            const auto tags = fs.reader().tags(i, fs.options().sources);
            for (const auto& [k, v] : tags) {
                if (k == last) continue;
                add(k);
                last = k;
            }
        }
        reply_value(req, list, size);
    });
}

}  // namespace

void add_xattr_ops(fuse_lowlevel_ops& ops) {
    ops.getxattr = op_getxattr;
    ops.listxattr = op_listxattr;
}

}  // namespace musicfs::fuse
