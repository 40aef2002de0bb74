#pragma once
// The built-in path template: `$field` and `${field}` substituted from a track's tags, '/'
// separating directories. (A beets-compatible engine with functions and queries replaces this
// through the template plugin kind.)
//
// Fields: any tag by its Picard name, plus these derived ones, as beets formats them:
//   albumartist  albumartist, else artist, else "Unknown Artist"
//   artist       artist, else albumartist, else "Unknown Artist"
//   album        album, else "Unknown Album"
//   title        title, else the original file name without its extension
//   track, disc  tracknumber / discnumber zero-padded to 2 digits ("" when absent)
//   year         the year of `date` (4 digits)
// Multi-valued fields are joined with "; ".

#include "catalog/catalog.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace musicfs::vfs {

inline constexpr std::string_view kDefaultTemplate = "$albumartist/$album/$track $title";

class PathTemplate {
public:
    // Throws UserError when the template is unusable (empty, or an empty component).
    explicit PathTemplate(std::string_view text);

    const std::string& text() const { return text_; }

    // The sanitised path components for a track; the last one carries the extension of
    // `original_path` (lower-cased).
    std::vector<std::string> render(const catalog::TagList& tags,
                                     std::string_view original_path) const;

private:
    struct Piece {
        bool is_field;
        std::string text;  // literal text or field name
    };
    std::vector<std::vector<Piece>> components_;
    std::string text_;
};

}  // namespace musicfs::vfs
