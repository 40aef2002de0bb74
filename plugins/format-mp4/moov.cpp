#include "moov.hpp"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <set>

namespace musicfs::format_mp4 {
namespace {

// Atoms of a udta that carry tags of their own: QuickTime text atoms (©nam, ©ART, ...), 3GPP
// asset atoms (TS 26.244), and the ID3v2, Windows Media and XMP containers some taggers add.
bool is_tag_atom(FourCC type) noexcept {
    if ((type >> 24U) == 0xA9) {
        return true;
    }
    switch (type) {
        case fourcc("meta"):
        case fourcc("ID32"):
        case fourcc("Xtra"):
        case fourcc("XMP_"):
        case fourcc("titl"):
        case fourcc("dscp"):
        case fourcc("cprt"):
        case fourcc("perf"):
        case fourcc("auth"):
        case fourcc("gnre"):
        case fourcc("rtng"):
        case fourcc("clsf"):
        case fourcc("kywd"):
        case fourcc("loci"):
        case fourcc("albm"):
        case fourcc("yrrc"):
            return true;
        default:
            return false;
    }
}

// The children of a `meta` atom. ISO makes meta a full atom (version and flags first); Apple's
// QuickTime spec does not, and both are found in the wild: a plain meta starts with its hdlr.
Children meta_children(const Atom& meta) {
    const ByteSpan p = meta.payload();
    const bool plain = p.size() >= 8 && load_u32(p.data() + 4) == fourcc("hdlr");
    if (!plain && p.size() < 4) {
        return {};
    }
    return parse_children(plain ? p : p.subspan(4), "meta");
}

// The handler type of a meta atom's hdlr ("mdir", "mdta", ...), or 0 when it has none or
// cannot be read (such a meta is then kept as it is, like any atom this writer does not know).
FourCC meta_handler(const Atom& meta) {
    try {
        const Children children = meta_children(meta);
        const Atom* hdlr = find_child(children, fourcc("hdlr"));
        if (hdlr == nullptr || hdlr->payload().size() < 12) {
            return 0;
        }
        return load_u32(hdlr->payload().data() + 8);
    } catch (const Refusal&) {
        return 0;
    }
}

// A moov- or trak-level meta holding metadata (iTunes "mdir", QuickTime "mdta", ID3v2) rather
// than something else that happens to use a meta atom.
bool is_metadata_meta(const Atom& meta) {
    const FourCC handler = meta_handler(meta);
    return handler == fourcc("mdir") || handler == fourcc("mdta") || handler == fourcc("ID32");
}

class MoovWriter {
public:
    MoovWriter(std::uint64_t moov_end, std::int64_t delta,
               const std::set<const std::uint8_t*>& as_co64, ByteSpan ilst_items)
        : moov_end_(moov_end),
          delta_(delta),
          as_co64_(as_co64),
          ilst_items_(ilst_items) {}

    Bytes render(const Atom& moov) {
        Bytes out;
        out.reserve(moov.size + ilst_items_.size() + 256);
        AtomWriter w(out);
        const Children children = parse_children(moov.payload(), "moov");
        const auto token = w.begin(fourcc("moov"));
        bool meta_written = false;
        for (const Atom& child : children.atoms) {
            switch (child.type) {
                case fourcc("mvex"):
                    throw Refusal(-ENOTSUP, "fragmented MP4 (moov/mvex) is not supported");
                case fourcc("trak"):
                    trak(w, child);
                    break;
                case fourcc("udta"):
                    udta(w, child, !meta_written);
                    meta_written = true;
                    break;
                case fourcc("meta"):
                    if (!is_metadata_meta(child)) {
                        w.bytes(child.bytes);
                    }
                    break;
                default:
                    w.bytes(child.bytes);
                    break;
            }
        }
        if (!meta_written && !ilst_items_.empty()) {
            const auto udta_token = w.begin(fourcc("udta"));
            meta(w);
            w.end(udta_token);
        }
        w.bytes(children.tail);
        w.end(token);
        return out;
    }

    // stco tables (by their position in the original moov) whose entries did not fit 32 bits.
    [[nodiscard]] const std::set<const std::uint8_t*>& overflowed() const noexcept {
        return overflowed_;
    }
    [[nodiscard]] std::size_t shifted_tables() const noexcept { return shifted_tables_; }
    [[nodiscard]] bool saw_saio() const noexcept { return saw_saio_; }

private:
    void meta(AtomWriter& w) const {
        const auto meta_token = w.begin_full(fourcc("meta"), 0, 0);
        // The handler iTunes, mutagen and FFmpeg write: "mdir" from "appl", empty name.
        const auto hdlr = w.begin_full(fourcc("hdlr"), 0, 0);
        w.u32(0);  // pre_defined
        w.u32(fourcc("mdir"));
        w.u32(fourcc("appl"));
        w.u32(0);
        w.u32(0);
        w.u8(0);  // name: empty C string
        w.end(hdlr);
        const auto ilst = w.begin(fourcc("ilst"));
        w.bytes(ilst_items_);
        w.end(ilst);
        w.end(meta_token);
    }

    // A udta without its tag atoms; the first one gets the new meta where its old one was.
    void udta(AtomWriter& w, const Atom& atom, bool with_meta) const {
        const Children children = parse_children(atom.payload(), "udta");
        Bytes body;
        AtomWriter bw(body);
        bool placed = !with_meta || ilst_items_.empty();
        for (const Atom& child : children.atoms) {
            if (!is_tag_atom(child.type)) {
                bw.bytes(child.bytes);
            } else if (child.type == fourcc("meta") && !placed) {
                meta(bw);
                placed = true;
            }
        }
        if (!placed) {
            meta(bw);
        }
        if (body.empty()) {
            return;  // nothing left but tags (and maybe a QuickTime zero terminator)
        }
        const auto token = w.begin(fourcc("udta"));
        w.bytes(body);
        w.bytes(children.tail);
        w.end(token);
    }

    void trak(AtomWriter& w, const Atom& atom) {
        const Children children = parse_children(atom.payload(), "trak");
        const auto token = w.begin(atom.type);
        for (const Atom& child : children.atoms) {
            if (child.type == fourcc("mdia")) {
                descend(w, child, fourcc("minf"));
            } else if (child.type == fourcc("udta")) {
                udta(w, child, false);
            } else if (child.type == fourcc("meta") && is_metadata_meta(child)) {
                continue;
            } else {
                w.bytes(child.bytes);
            }
        }
        w.bytes(children.tail);
        w.end(token);
    }

    // Rewrites a container on the way to stbl (mdia -> minf -> stbl), copying the rest.
    void descend(AtomWriter& w, const Atom& atom, FourCC next) {
        const std::string where = fourcc_name(atom.type);
        const Children children = parse_children(atom.payload(), where);
        const auto token = w.begin(atom.type);
        for (const Atom& child : children.atoms) {
            if (child.type == next && next == fourcc("minf")) {
                descend(w, child, fourcc("stbl"));
            } else if (child.type == next && next == fourcc("stbl")) {
                stbl(w, child);
            } else {
                w.bytes(child.bytes);
            }
        }
        w.bytes(children.tail);
        w.end(token);
    }

    void stbl(AtomWriter& w, const Atom& atom) {
        const Children children = parse_children(atom.payload(), "stbl");
        const auto token = w.begin(atom.type);
        for (const Atom& child : children.atoms) {
            if (child.type == fourcc("stco") || child.type == fourcc("co64")) {
                chunk_offsets(w, child);
            } else {
                saw_saio_ = saw_saio_ || child.type == fourcc("saio");
                w.bytes(child.bytes);
            }
        }
        w.bytes(children.tail);
        w.end(token);
    }

    void chunk_offsets(AtomWriter& w, const Atom& atom) {
        const bool is64 = atom.type == fourcc("co64");
        const ByteSpan p = atom.payload();
        if (p.size() < 8) {
            throw Refusal(-EINVAL, "truncated " + fourcc_name(atom.type) + " atom");
        }
        const std::uint64_t count = load_u32(p.data() + 4);
        const std::uint64_t entry = is64 ? 8 : 4;
        if (count > (p.size() - 8) / entry) {
            throw Refusal(-EINVAL, fourcc_name(atom.type) + " lists " + std::to_string(count) +
                                       " chunks but has room for " +
                                       std::to_string((p.size() - 8) / entry));
        }
        const bool widen = !is64 && as_co64_.contains(atom.bytes.data());
        const auto token = w.begin(widen ? fourcc("co64") : atom.type);
        w.bytes(p.first(4));  // version and flags
        w.u32(static_cast<std::uint32_t>(count));
        bool shifted = false;
        for (std::uint64_t i = 0; i < count; ++i) {
            const std::uint8_t* e = p.data() + 8 + i * entry;
            const std::uint64_t before = is64 ? load_u64(e) : load_u32(e);
            const std::uint64_t after = move(before);
            shifted = shifted || after != before;
            if (is64 || widen) {
                w.u64(after);
            } else {
                if (after > std::numeric_limits<std::uint32_t>::max()) {
                    overflowed_.insert(atom.bytes.data());
                }
                w.u32(static_cast<std::uint32_t>(after));
            }
        }
        w.bytes(p.subspan(8 + count * entry));  // whatever follows the entries, as it was
        w.end(token);
        shifted_tables_ += shifted ? 1 : 0;
    }

    // Where a byte of the original lands in the served file. Offsets into moov itself address
    // no sample data; they are left alone.
    [[nodiscard]] std::uint64_t move(std::uint64_t offset) const {
        if (offset < moov_end_ || delta_ == 0) {
            return offset;
        }
        if (delta_ > 0) {
            const auto d = static_cast<std::uint64_t>(delta_);
            if (offset > std::numeric_limits<std::uint64_t>::max() - d) {
                throw Refusal(-EINVAL, "a chunk offset overflows 64 bits");
            }
            return offset + d;
        }
        // offset >= moov_end >= the original moov's size >= -delta
        return offset - static_cast<std::uint64_t>(-delta_);
    }

    std::uint64_t moov_end_;
    std::int64_t delta_;
    const std::set<const std::uint8_t*>& as_co64_;
    ByteSpan ilst_items_;
    std::set<const std::uint8_t*> overflowed_;
    std::size_t shifted_tables_ = 0;
    bool saw_saio_ = false;
};

Atom whole_atom(ByteSpan moov) {
    const AtomHeader h = parse_header(moov, moov.size(), "the file");
    if (h.type != fourcc("moov")) {
        throw Refusal(-EINVAL, "not a moov atom");
    }
    return {h.type, 0, static_cast<std::size_t>(h.header_size), static_cast<std::size_t>(h.size),
            moov.first(static_cast<std::size_t>(h.size))};
}

}  // namespace

ByteSpan find_covr(ByteSpan moov_bytes) {
    // Each level's Children owns the Atoms the next level points into: keep them all alive.
    try {
        const Atom moov = whole_atom(moov_bytes);
        const Children top = parse_children(moov.payload(), "moov");
        const Atom* udta = find_child(top, fourcc("udta"));
        if (udta == nullptr) {
            return {};
        }
        const Children udta_children = parse_children(udta->payload(), "udta");
        const Atom* meta = find_child(udta_children, fourcc("meta"));
        if (meta == nullptr) {
            return {};
        }
        const Children meta_list = meta_children(*meta);
        const Atom* ilst = find_child(meta_list, fourcc("ilst"));
        if (ilst == nullptr) {
            return {};
        }
        const Children items = parse_children(ilst->payload(), "ilst");
        const Atom* covr = find_child(items, fourcc("covr"));
        return covr != nullptr ? covr->bytes : ByteSpan{};
    } catch (const Refusal&) {
        // A broken ilst in the original: there is no picture to keep.
        return {};
    }
}

RebuiltMoov rebuild_moov(ByteSpan moov_bytes, std::uint64_t moov_offset, bool data_follows,
                         ByteSpan ilst_items) {
    const Atom moov = whole_atom(moov_bytes);
    const std::uint64_t moov_end = moov_offset + moov.size;
    const auto old_size = static_cast<std::int64_t>(moov.size);

    // The new size depends only on which stco become co64, never on delta itself; the set only
    // grows, so this ends after at most one pass per table plus one.
    std::set<const std::uint8_t*> as_co64;
    std::int64_t delta = 0;
    for (;;) {
        MoovWriter writer(moov_end, delta, as_co64, ilst_items);
        Bytes out = writer.render(moov);
        const std::int64_t actual = static_cast<std::int64_t>(out.size()) - old_size;
        if (actual == delta && writer.overflowed().empty()) {
            if (writer.saw_saio() && data_follows && delta != 0) {
                throw Refusal(-ENOTSUP,
                              "moov has sample auxiliary offsets (saio) that would need moving");
            }
            return {std::move(out), delta, writer.shifted_tables(), as_co64.size()};
        }
        const std::size_t before = as_co64.size();
        as_co64.insert(writer.overflowed().begin(), writer.overflowed().end());
        if (actual == delta && as_co64.size() == before) {
            // Cannot happen: an overflowing table is converted on the next pass.
            throw Refusal(-EIO, "chunk offsets did not settle");
        }
        delta = actual;
    }
}

}  // namespace musicfs::format_mp4
