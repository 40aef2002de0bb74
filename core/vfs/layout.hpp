#pragma once
// The layout of the tree: views, each with a beets-style `paths:` block (an ordered list of
// (query, template)), the replacement rules and the template functions. It turns the library's
// tracks into paths.
//
// Without views the tree has one "view" with an empty name: its paths start at the root.
// With views, each view is a top-level directory.
//
// Albums. beets knows which album an item belongs to because it imported them together;
// MusicFS groups tracks by their tags: tracks with the same MusicBrainz album id form one
// album; without one, tracks with the same album, album artist (else artist, unless it is a
// compilation) and year do. A track with neither an album nor an album id is a singleton
// (beets' "Non-Album" items). An album's id (for %aunique's last resort) is its smallest track
// id, stable for as long as that track exists.
//
// %aunique and %sunique are implemented here rather than in the template-beets plugin: they
// need the whole library (every album sharing the keys), which a template function, called
// with one track's arguments and tags, does not see; and template.h requires functions to be
// pure in their inputs, which these two are not.

#include "vfs/fields.hpp"
#include "vfs/names.hpp"
#include "vfs/query.hpp"
#include "vfs/template.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs::vfs {

// beets' default paths block.
inline constexpr std::string_view kDefaultTemplate = "$albumartist/$album%aunique{}/$track $title";
inline constexpr std::string_view kDefaultSingletonTemplate = "Non-Album/$artist/$title";
inline constexpr std::string_view kDefaultCompTemplate = "Compilations/$album%aunique{}/$track $title";

// A function templates can call, e.g. a template plugin's.
struct TemplateFunction {
    std::string name;
    // Who provides it ("org.musicfs.template.beets 0.1.0"): part of the tree's signature, so
    // that another version of a plugin rebuilds the tree.
    std::string provider;
    std::uint32_t min_args = 0;
    std::uint32_t max_args = std::numeric_limits<std::uint32_t>::max();
    // True when the result depends on the arguments alone, never on the track's tags or
    // fields: a change of a tag no path reads then leaves the tree alone (see places_by).
    bool args_only = false;
    // The result, or nullopt to keep the call as written (the function refused it).
    std::function<std::optional<std::string>(std::span<const std::string> args,
                                             const TrackFields& track)>
        call;
};

// One entry of a paths block: "default", "comp", "singleton" or a beets query, and a template.
struct PathRule {
    std::string query;
    std::string tmpl;
};

struct ViewConfig {
    std::string name;  // "" for a tree at the root
    std::vector<PathRule> paths;
};

// %aunique / %sunique defaults (beets' `aunique:` and `sunique:` options).
struct UniqueConfig {
    std::string keys;
    std::string disambiguators;
    std::string bracket;
};

struct LayoutConfig {
    std::vector<ViewConfig> views{{"", {{"default", std::string(kDefaultTemplate)},
                                        {"singleton", std::string(kDefaultSingletonTemplate)},
                                        {"comp", std::string(kDefaultCompTemplate)}}}};
    std::vector<Replacement> replacements = default_replacements();
    UniqueConfig aunique{"albumartist album",
                         "albumtype year label catalognum albumdisambig releasegroupdisambig", "[]"};
    UniqueConfig sunique{"artist title", "year trackdisambig", "[]"};
    std::string path_sep_replace = "_";
    bool asciify_paths = false;
    std::size_t max_filename_length = kMaxNameBytes;
};

// A track placed in the tree: its path components, the last one being the file.
struct Placement {
    std::int64_t track_id = 0;
    std::vector<std::string> components;
};

class TreeLayout {
public:
    // Throws UserError when a query or a replacement pattern is unusable, or a view is
    // unnamed, duplicated or has no paths.
    explicit TreeLayout(LayoutConfig config = {}, std::vector<TemplateFunction> functions = {});
    // A tree at the root with one template for every track.
    explicit TreeLayout(std::string_view default_template,
                        std::vector<TemplateFunction> functions = {});
    ~TreeLayout();
    TreeLayout(TreeLayout&&) noexcept;
    TreeLayout& operator=(TreeLayout&&) noexcept;

    const LayoutConfig& config() const { return config_; }

    // Where each track goes, in every view it belongs to (a view whose paths have no default
    // leaves out the tracks none of its queries match). Names that collide in a directory are
    // told apart in track order: "01 Title.flac", "01 Title (2).flac", ...
    // `threads`: how many threads evaluate the templates (0: one per CPU). The result is the
    // same whatever their number.
    std::vector<Placement> place(const std::vector<TrackData>& tracks, unsigned threads = 0) const;

    // Everything the tree depends on besides the tracks: views, paths, replacements, options
    // and the provider of every function the templates call.
    std::string signature() const;

    // Whether a change of the tag `key`, on any track, can move a track: a template, a query
    // or %aunique/%sunique reads a field that depends on it, it groups albums, or a template
    // calls a function that sees every tag. Pictures place nothing.
    bool places_by(std::string_view key) const;

    // Functions the templates call that nothing provides (their calls stay as written).
    std::vector<std::string> unknown_functions() const;

    // Renders one template for one track, legalised (for tests and tools). `album` may be null.
    std::vector<std::string> render(const Template& tmpl, const TrackData& track,
                                    const AlbumRef* album) const;

    struct Rule {
        std::string query_text;
        std::optional<TrackQuery> query;  // none: the default
        Template tmpl;
    };
    struct View {
        std::string name;
        std::vector<std::string> name_components;  // the view's legalised directory name
        std::vector<Rule> rules;
        std::optional<std::size_t> fallback;  // the default rule
    };

private:
    class Placer;
    // Fills what places_by() answers, from the views and the functions.
    void find_placing_tags();

    LayoutConfig config_;
    std::vector<View> views_;
    Replacements replacements_;
    std::map<std::string, TemplateFunction, std::less<>> functions_;
    // What places_by answers: every tag, or these.
    bool places_by_any_tag_ = false;
    std::set<std::string, std::less<>> placing_tags_;
};

}  // namespace musicfs::vfs
