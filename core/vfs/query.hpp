#pragma once
// beets' query language, as used in the `paths:` block to choose a template per track
// (beets/dbcore/queryparse.py and query.py):
//
//   genre:jazz          the field contains "jazz" (case-insensitive); text fields
//   year:1960..1969     a numeric field in a range; "1965", "..1970" and "1990.." work too
//   length:3:00..4:00   durations as M:SS or seconds
//   comp:true           booleans: yes/true/t/y/1, anything else is false
//   title::^The         a regular expression (ICU syntax, which agrees with Python's for the
//                       usual constructs); case-sensitive
//   artist:=Nico        exactly this value (case-sensitive), as in newer beets
//   ^genre:jazz -x      '^' or '-' negates a term
//   beatles             no field: any of artist, title, comments, album, albumartist, genre
//   a b, c d            terms separated by spaces must all match; ',' separates alternatives
//   comp, singleton     (whole query) shorthands for comp:true, singleton:true
//
// Fields are the track's own values (TrackFields::raw), not the album's.

#include "vfs/fields.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs::vfs {

class QueryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class TrackQuery {
public:
    // Throws QueryError with the reason when the query cannot be understood (a range of a
    // numeric field that is not a number, an invalid regular expression, unbalanced quotes).
    explicit TrackQuery(std::string_view text);
    ~TrackQuery();
    TrackQuery(TrackQuery&&) noexcept;
    TrackQuery& operator=(TrackQuery&&) noexcept;

    const std::string& text() const { return text_; }
    bool match(const TrackFields& track) const;
    // The fields its terms read (a term without a field reads every search field).
    std::vector<std::string> fields() const;

    struct Term;

private:
    std::string text_;
    // OR of AND-groups.
    std::vector<std::vector<std::unique_ptr<Term>>> groups_;
};

// shlex.split in POSIX mode: words separated by white space, '...' and "..." quoting, '\'
// escaping. Throws QueryError on an unclosed quote.
std::vector<std::string> shell_split(std::string_view text);

}  // namespace musicfs::vfs
