#include "vfs/layout.hpp"

#include "util/error.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace musicfs::vfs {
namespace {

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::istringstream in{std::string(s)};
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// A directory of the desired tree, while placing.
struct DirSlot {
    std::map<std::string, DirSlot> dirs;
    std::unordered_set<std::string> files;
    // For a file name taken more than once: the number to try next. Every smaller one is taken
    // (names are only added while placing), so n tracks with one name cost O(n), not O(n^2).
    std::unordered_map<std::string, unsigned> next_number;
};

// The tags that make tracks one album when they have no MusicBrainz album id: album, album
// artist (else artist, unless a compilation) and year. "" for a singleton.
std::string tag_key(const TrackData& t) {
    const std::string album = joined_tag(t.tags, "album");
    if (album.empty()) return {};
    std::string artist = joined_tag(t.tags, "albumartist");
    if (artist.empty() && beets_raw(t, nullptr, "comp").value_or("0") != "1")
        artist = joined_tag(t.tags, "artist");
    return album + '\x1f' + artist + '\x1f' + beets_raw(t, nullptr, "year").value_or("");
}

}  // namespace

// Places one batch of tracks: groups albums, answers %aunique/%sunique with memos.
class TreeLayout::Placer {
public:
    Placer(const TreeLayout& layout, const std::vector<TrackData>& tracks)
        : layout_(layout), tracks_(tracks), album_of_(tracks.size(), -1) {
        // Tracks with a MusicBrainz album id form one album per id. A track without one joins
        // the first album with an id whose tracks share its tags (a track the tagger missed),
        // else the album of its tags.
        std::unordered_map<std::string, std::size_t> by_mbid, by_tags, mbid_by_tags;
        std::vector<std::string> keys(tracks.size());
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            const std::string mbid = joined_tag(tracks[i].tags, "musicbrainz_albumid");
            if (mbid.empty()) continue;
            const auto [it, fresh] = by_mbid.emplace(mbid, albums_.size());
            if (fresh) albums_.push_back({tracks[i].track_id, &tracks[i]});
            join(i, it->second);
            if (const std::string k = tag_key(tracks[i]); !k.empty()) mbid_by_tags.emplace(k, it->second);
        }
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            if (album_of_[i] >= 0) continue;
            const std::string k = tag_key(tracks[i]);
            if (k.empty()) continue;  // a singleton
            if (const auto it = mbid_by_tags.find(k); it != mbid_by_tags.end()) {
                join(i, it->second);
                continue;
            }
            const auto [it, fresh] = by_tags.emplace(k, albums_.size());
            if (fresh) albums_.push_back({tracks[i].track_id, &tracks[i]});
            join(i, it->second);
        }
    }

    const AlbumRef* album(std::size_t track) const {
        return album_of_[track] < 0 ? nullptr : &albums_[static_cast<std::size_t>(album_of_[track])];
    }

    // %aunique{keys,disambiguators,bracket} for the album of `f`. [thread-safe]
    std::string aunique(std::span<const std::string> args, const TrackFields& f) {
        if (!f.album()) return {};
        std::lock_guard lock(mu_);  // the memo and the indexes below
        const auto& cfg = layout_.config_.aunique;
        const std::string keys = arg(args, 0).empty() ? cfg.keys : arg(args, 0);
        const std::string disam = arg(args, 1).empty() ? cfg.disambiguators : arg(args, 1);
        const std::string bracket = args.size() > 2 ? args[2] : cfg.bracket;
        const auto memo_key = std::make_tuple(f.album()->id, 'a', keys, disam, bracket);
        if (auto it = memo_.find(memo_key); it != memo_.end()) return it->second;

        // Every album sharing the album's values of `keys`.
        auto& index = album_index(keys);
        const auto& group = index.at(album_values(*f.album(), words(keys)));
        std::vector<const AlbumRef*> same;
        for (const std::size_t a : group) same.push_back(&albums_[a]);
        std::string result = disambiguate(
            same, words(disam), bracket, f.album()->id,
            [&](const AlbumRef* a, const std::string& field) { return album_raw(*a, field); },
            [&](const std::string& field) {
                return TrackFields(*f.album()->first, f.album(), layout_.config_.path_sep_replace)
                    .formatted(field)
                    .value_or("");
            });
        memo_.emplace(memo_key, result);
        return result;
    }

    // %sunique{keys,disambiguators,bracket} for the singleton `f`. [thread-safe]
    std::string sunique(std::span<const std::string> args, const TrackFields& f) {
        if (!f.singleton()) return {};
        std::lock_guard lock(mu_);
        const auto& cfg = layout_.config_.sunique;
        const std::string keys = arg(args, 0).empty() ? cfg.keys : arg(args, 0);
        const std::string disam = arg(args, 1).empty() ? cfg.disambiguators : arg(args, 1);
        const std::string bracket = args.size() > 2 ? args[2] : cfg.bracket;
        const auto memo_key = std::make_tuple(f.track().track_id, 's', keys, disam, bracket);
        if (auto it = memo_.find(memo_key); it != memo_.end()) return it->second;

        auto& index = singleton_index(keys);
        const auto key_words = words(keys);
        const auto& group = index.at(track_values(f.track(), key_words));
        std::vector<const TrackData*> same;
        for (const std::size_t t : group) same.push_back(&tracks_[t]);
        std::string result = disambiguate(
            same, words(disam), bracket, f.track().track_id,
            [&](const TrackData* t, const std::string& field) {
                return TrackFields(*t, nullptr).raw(field).value_or("");
            },
            [&](const std::string& field) { return f.formatted(field).value_or(""); });
        memo_.emplace(memo_key, result);
        return result;
    }

private:
    void join(std::size_t track, std::size_t album) {
        AlbumRef& a = albums_[album];
        a.id = std::min(a.id, tracks_[track].track_id);
        // The album's fields come from its first track in path order, as beets takes them
        // from the first item it imports.
        if (tracks_[track].path < a.first->path) a.first = &tracks_[track];
        album_of_[track] = static_cast<std::ptrdiff_t>(album);
    }

    static std::string arg(std::span<const std::string> args, std::size_t i) {
        return i < args.size() ? args[i] : std::string();
    }

    // beets' Album.get(field, ''): album-level fields from the album's first track, flexible
    // attributes (other tags) too; an item-only beets field is not the album's.
    std::string album_raw(const AlbumRef& a, const std::string& field) const {
        if (const BeetsField* f = find_beets_field(field); f && !f->album_level && field != "id")
            return {};
        if (field == "id") return std::to_string(a.id);
        return TrackFields(*a.first, &a).raw(field).value_or("");
    }

    std::vector<std::string> album_values(const AlbumRef& a, const std::vector<std::string>& keys) const {
        std::vector<std::string> v;
        for (const auto& k : keys) v.push_back(album_raw(a, k));
        return v;
    }

    std::vector<std::string> track_values(const TrackData& t, const std::vector<std::string>& keys) const {
        std::vector<std::string> v;
        const TrackFields f(t, nullptr);
        for (const auto& k : keys) v.push_back(f.raw(k).value_or(""));
        return v;
    }

    using Index = std::map<std::vector<std::string>, std::vector<std::size_t>>;

    Index& album_index(const std::string& keys) {
        auto [it, fresh] = album_indexes_.try_emplace(keys);
        if (fresh) {
            const auto key_words = words(keys);
            for (std::size_t a = 0; a < albums_.size(); ++a)
                it->second[album_values(albums_[a], key_words)].push_back(a);
        }
        return it->second;
    }

    Index& singleton_index(const std::string& keys) {
        auto [it, fresh] = singleton_indexes_.try_emplace(keys);
        if (fresh) {
            const auto key_words = words(keys);
            for (std::size_t t = 0; t < tracks_.size(); ++t)
                if (album_of_[t] < 0) it->second[track_values(tracks_[t], key_words)].push_back(t);
        }
        return it->second;
    }

    // beets' _tmpl_unique: "" when the object is alone; else the first disambiguator whose
    // values tell all of them apart, formatted and bracketed; else the object's id.
    template <typename Obj, typename Raw, typename Formatted>
    static std::string disambiguate(const std::vector<Obj>& same,
                                    const std::vector<std::string>& disam,
                                    const std::string& bracket, std::int64_t id, Raw raw,
                                    Formatted formatted) {
        if (same.size() <= 1) return {};
        const std::string l = bracket.size() == 2 ? bracket.substr(0, 1) : std::string();
        const std::string r = bracket.size() == 2 ? bracket.substr(1, 1) : std::string();
        for (const auto& d : disam) {
            std::set<std::string> values;
            for (const auto& o : same) values.insert(raw(o, d));
            if (values.size() == same.size()) {
                const std::string v = formatted(d);
                return v.empty() ? std::string() : bracketed(l, v, r);
            }
        }
        return bracketed(l, std::to_string(id), r);
    }

    static std::string bracketed(const std::string& l, const std::string& v, const std::string& r) {
        std::string out(1, ' ');
        out += l;
        out += v;
        out += r;
        return out;
    }

    const TreeLayout& layout_;
    const std::vector<TrackData>& tracks_;
    std::vector<AlbumRef> albums_;
    std::vector<std::ptrdiff_t> album_of_;
    std::mutex mu_;  // guards the memo and the indexes: tracks are placed on several threads
    // (album or track id, 'a' or 's', keys, disambiguators, bracket): the id first, so that a
    // lookup compares the long, mostly equal strings only for the one object it is about.
    std::map<std::tuple<std::int64_t, char, std::string, std::string, std::string>, std::string>
        memo_;
    std::map<std::string, Index> album_indexes_;
    std::map<std::string, Index> singleton_indexes_;
};

namespace {

// A template's view of one track.
class TrackEnvironment final : public TemplateEnvironment {
public:
    TrackEnvironment(const TrackFields& fields,
                     const std::map<std::string, TemplateFunction, std::less<>>& functions,
                     std::function<std::optional<std::string>(std::string_view,
                                                              std::span<const std::string>)>
                         builtin)
        : fields_(fields), functions_(functions), builtin_(std::move(builtin)) {}

    std::optional<std::string> field(std::string_view name) override {
        return fields_.formatted(name);
    }
    bool has_function(std::string_view name) override {
        return name == "aunique" || name == "sunique" || functions_.count(name) > 0;
    }
    std::optional<std::string> call(std::string_view name,
                                    std::span<const std::string> args) override {
        if (name == "aunique" || name == "sunique") {
            if (args.size() > 3) return std::nullopt;
            return builtin_ ? builtin_(name, args) : std::optional<std::string>(std::string());
        }
        const auto it = functions_.find(name);
        if (it == functions_.end()) return std::nullopt;
        const TemplateFunction& f = it->second;
        if (args.size() < f.min_args || args.size() > f.max_args || !f.call) return std::nullopt;
        return f.call(args, fields_);
    }

private:
    const TrackFields& fields_;
    const std::map<std::string, TemplateFunction, std::less<>>& functions_;
    std::function<std::optional<std::string>(std::string_view, std::span<const std::string>)> builtin_;
};

}  // namespace

TreeLayout::TreeLayout(LayoutConfig config, std::vector<TemplateFunction> functions)
    : config_(std::move(config)), replacements_([&] {
          try {
              return Replacements(config_.replacements);
          } catch (const std::invalid_argument& e) {
              throw UserError("replace: {}", e.what());
          }
      }()) {
    if (config_.max_filename_length == 0) config_.max_filename_length = kMaxNameBytes;
    for (auto& f : functions) {
        if (f.name == "aunique" || f.name == "sunique") continue;  // the core's own
        functions_.try_emplace(f.name, std::move(f));               // the first provider wins
    }
    if (config_.views.empty()) throw UserError("the tree needs at least one view");
    std::set<std::string> names;
    for (const auto& vc : config_.views) {
        View v;
        v.name = vc.name;
        if (config_.views.size() > 1 && vc.name.empty())
            throw UserError("a view needs a name when there are several");
        if (!vc.name.empty()) {
            v.name_components = legalize_path(nfc(vc.name), replacements_,
                                              config_.max_filename_length, "");
            if (v.name_components.size() != 1)
                throw UserError("view '{}': a view's name is one directory, without '/'", vc.name);
            if (!names.insert(v.name_components.front()).second)
                throw UserError("two views are named '{}'", v.name_components.front());
        }
        if (vc.paths.empty()) throw UserError("view '{}' has no paths", vc.name);
        for (const auto& pr : vc.paths) {
            if (pr.query == "default") {
                if (v.fallback) throw UserError("view '{}': two default templates", vc.name);
                v.fallback = v.rules.size();
                v.rules.push_back({pr.query, std::nullopt, Template(pr.tmpl)});
                continue;
            }
            try {
                v.rules.push_back({pr.query, TrackQuery(pr.query), Template(pr.tmpl)});
            } catch (const QueryError& e) {
                throw UserError("paths: query '{}': {}", pr.query, e.what());
            }
        }
        views_.push_back(std::move(v));
    }
    find_placing_tags();
}

TreeLayout::TreeLayout(std::string_view default_template, std::vector<TemplateFunction> functions)
    : TreeLayout(
          [&] {
              LayoutConfig c;
              c.views = {{"", {{"default", std::string(default_template)}}}};
              return c;
          }(),
          std::move(functions)) {}

TreeLayout::~TreeLayout() = default;
TreeLayout::TreeLayout(TreeLayout&&) noexcept = default;
TreeLayout& TreeLayout::operator=(TreeLayout&&) noexcept = default;

std::vector<std::string> TreeLayout::render(const Template& tmpl, const TrackData& track,
                                            const AlbumRef* album) const {
    const TrackFields fields(track, album, config_.path_sep_replace);
    TrackEnvironment env(fields, functions_, nullptr);
    std::string path = nfc(tmpl.evaluate(env));
    if (config_.asciify_paths) path = asciify(path, config_.path_sep_replace);
    return legalize_path(path, replacements_, config_.max_filename_length,
                         lowercase_extension(track.path));
}

std::vector<Placement> TreeLayout::place(const std::vector<TrackData>& tracks,
                                         unsigned threads) const {
    Placer placer(*this, tracks);
    // 1. Every track's legalised path in every view. Tracks are independent here (template
    //    functions are thread-safe, the placer's memo is locked), so this runs on every CPU.
    //    No components: no rule of the view matched.
    const std::size_t nviews = views_.size();
    std::vector<Placement> staged(tracks.size() * nviews);
    for_each_index(tracks.size(), threads, [&](std::size_t i) {
        const TrackData& track = tracks[i];
        const AlbumRef* album = placer.album(i);
        const TrackFields fields(track, album, config_.path_sep_replace);
        TrackEnvironment env(fields, functions_,
                             [&](std::string_view name, std::span<const std::string> args) {
                                 return std::optional<std::string>(
                                     name == "aunique" ? placer.aunique(args, fields)
                                                       : placer.sunique(args, fields));
                             });
        for (std::size_t v = 0; v < nviews; ++v) {
            const View& view = views_[v];
            // beets: the first query that matches, else the default.
            const Rule* rule = nullptr;
            for (const Rule& r : view.rules)
                if (r.query && r.query->match(fields)) {
                    rule = &r;
                    break;
                }
            if (!rule && view.fallback) rule = &view.rules[*view.fallback];
            if (!rule) continue;
            std::string path = nfc(rule->tmpl.evaluate(env));
            if (config_.asciify_paths) path = asciify(path, config_.path_sep_replace);
            auto comps = legalize_path(path, replacements_, config_.max_filename_length,
                                       lowercase_extension(track.path));
            comps.insert(comps.begin(), view.name_components.begin(), view.name_components.end());
            staged[i * nviews + v] = {track.track_id, std::move(comps)};
        }
    });

    // 2. Names taken twice are numbered in track order: a name's number depends on the tracks
    //    before it.
    std::vector<Placement> out;
    out.reserve(staged.size());
    DirSlot root;
    for (Placement& p : staged) {
        if (p.components.empty()) continue;
        auto& comps = p.components;
        DirSlot* dir = &root;
        for (std::size_t c = 0; c + 1 < comps.size(); ++c) {
            // A directory may not take a name a file already holds; it is numbered instead.
            std::string name = comps[c];
            for (unsigned k = 2; dir->files.count(name); ++k)
                name = numbered_name(comps[c], "", k, config_.max_filename_length);
            comps[c] = name;
            dir = &dir->dirs[name];
        }
        std::string& file = comps.back();
        if (dir->files.count(file) || dir->dirs.count(file)) {
            const auto [stem, ext] = split_extension(file);
            unsigned& k = dir->next_number.try_emplace(file, 2).first->second;
            std::string candidate;
            do {
                candidate = numbered_name(stem, ext, k++, config_.max_filename_length);
            } while (dir->files.count(candidate) || dir->dirs.count(candidate));
            file = candidate;
        }
        dir->files.insert(file);
        out.push_back(std::move(p));
    }
    return out;
}

std::string TreeLayout::signature() const {
    std::string sig;
    auto line = [&](std::string_view k, std::string_view v) {
        sig += k;
        sig += '=';
        sig += v;
        sig += '\n';
    };
    for (const auto& v : config_.views) {
        line("view", v.name);
        for (const auto& p : v.paths) line("path", p.query + '\x1f' + p.tmpl);
    }
    for (const auto& r : config_.replacements) line("replace", r.pattern + '\x1f' + r.replacement);
    line("aunique", config_.aunique.keys + '\x1f' + config_.aunique.disambiguators + '\x1f' +
                        config_.aunique.bracket);
    line("sunique", config_.sunique.keys + '\x1f' + config_.sunique.disambiguators + '\x1f' +
                        config_.sunique.bracket);
    line("path_sep_replace", config_.path_sep_replace);
    line("asciify_paths", config_.asciify_paths ? "1" : "0");
    line("max_filename_length", std::to_string(config_.max_filename_length));
    std::set<std::string> used;
    for (const auto& v : views_)
        for (const auto& r : v.rules)
            for (auto& f : r.tmpl.functions()) used.insert(std::move(f));
    for (const auto& name : used) {
        const auto it = functions_.find(name);
        line("function", name + '\x1f' + (it == functions_.end() ? std::string("-") : it->second.provider));
    }
    return sig;
}

namespace {
// An argument's text when it is literal; nullopt when it holds fields or calls.
std::optional<std::string> literal_text(const Template::Expression& expr) {
    std::string text;
    for (const auto& part : expr.parts) {
        const auto* s = std::get_if<std::string>(&part);
        if (!s) return std::nullopt;
        text += *s;
    }
    return text;
}
}  // namespace

void TreeLayout::find_placing_tags() {
    auto add_field = [&](std::string_view field) {
        for (const auto tag : field_tags(field)) placing_tags_.emplace(tag);
    };
    for (const auto tag : album_tags()) placing_tags_.emplace(tag);
    std::function<void(const Template::Expression&)> add_expression =
        [&](const Template::Expression& expr) {
            for (const auto& part : expr.parts) {
                if (const auto* sym = std::get_if<Template::Symbol>(&part)) add_field(sym->name);
                const auto* call = std::get_if<Template::Call>(&part);
                if (!call) continue;
                if (call->name == "aunique" || call->name == "sunique") {
                    // Their first two arguments name fields; empty, the configured ones.
                    const auto& cfg = call->name == "aunique" ? config_.aunique : config_.sunique;
                    for (std::size_t i = 0; i < 2; ++i) {
                        auto text = i < call->args.size() ? literal_text(call->args[i])
                                                          : std::optional<std::string>("");
                        if (!text) places_by_any_tag_ = true;  // fields named by fields
                        else if (text->empty()) text = i == 0 ? cfg.keys : cfg.disambiguators;
                        for (const auto& w : words(text.value_or(""))) add_field(w);
                    }
                } else if (const auto it = functions_.find(call->name); it != functions_.end()) {
                    if (!it->second.args_only) places_by_any_tag_ = true;
                } else {
                    continue;  // nothing provides it: kept as written, its arguments unread
                }
                for (const auto& a : call->args) add_expression(a);
            }
        };
    for (const auto& v : views_)
        for (const auto& r : v.rules) {
            add_expression(r.tmpl.expression());
            if (r.query)
                for (const auto& f : r.query->fields()) add_field(f);
        }
}

bool TreeLayout::places_by(std::string_view key) const {
    return places_by_any_tag_ || placing_tags_.count(key) > 0;
}

std::vector<std::string> TreeLayout::unknown_functions() const {
    std::set<std::string> out;
    for (const auto& v : views_)
        for (const auto& r : v.rules)
            for (auto& f : r.tmpl.functions())
                if (f != "aunique" && f != "sunique" && !functions_.count(f)) out.insert(f);
    return {out.begin(), out.end()};
}

}  // namespace musicfs::vfs
