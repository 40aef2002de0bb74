// Conformance suite for template-function plugins (sdk/include/musicfs/template.h), run against
// every plugin offering template functions.
//
//   musicfs_conformance_template --plugin PATH [--expect 'NAME{ARG,...}=RESULT']...
//                                [--verbose] [doctest options]
//
//   --expect CALL=RESULT   also check one known result, e.g. --expect 'the{The Beatles}=Beatles, The'
//                          (arguments split at ','; "NAME{}" is one empty argument, "NAME" none)
//
// Every function the plugin declares is checked without knowing what it does:
//  - its declaration: a valid and unique name, min_args <= max_args, a one-line UTF-8 description;
//  - it answers every argument count in [min_args, max_args] (up to min_args + 4 for variadic
//    functions), with ordinary, empty, huge (64 KiB) and invalid UTF-8 arguments, a track with
//    tags and one without: a result, or a negative errno, never a crash;
//  - a result is valid UTF-8 (for valid UTF-8 arguments), has no NUL inside, and its returned
//    length is the length written;
//  - output buffers of 0, 1, 2, 5 bytes and of the exact length are never overrun, always
//    NUL-terminated, and the returned full length does not depend on the buffer (template.h);
//  - it is pure: the same inputs give the same output, again and from several threads at once;
//  - declared MFS_TEMPLATE_ARGS_ONLY, it never calls `field` and answers the same for a track
//    with tags and one without.
//
// Exit code: 0 when every check passed, 1 when one failed, 2 on bad usage.
#include <doctest/doctest.h>

#include "conformance.hpp"

#include "util/error.hpp"
#include "util/utf8.hpp"

#include <musicfs/template.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using musicfs::conformance::options;
using musicfs::conformance::printable;
using musicfs::conformance::Mismatches;
using musicfs::conformance::run_threads;

namespace {

using Args = std::vector<std::string>;
using Tags = std::vector<std::pair<std::string, std::string>>;

std::vector<const mfs_template_function_t*> functions() {
    return musicfs::conformance::plugin_under_test()->template_functions();
}

std::string fname(const mfs_template_function_t* f) { return f->name ? f->name : "(null)"; }

// The track a call is made for. field() answers the way the host's does: the first value of a
// tag, copied into at most `size` bytes with the NUL, returning the full length; -ENOENT.
struct Track {
    Tags tags;
    std::vector<mfs_tag_t> c_tags;
    mfs_tag_list_t list{};

    explicit Track(Tags t) : tags(std::move(t)) {
        for (const auto& [k, v] : tags) c_tags.push_back({k.c_str(), v.c_str()});
        list.struct_size = sizeof list;
        list.count = static_cast<std::uint32_t>(c_tags.size());
        list.tags = c_tags.empty() ? nullptr : c_tags.data();
    }
    Track(const Track&) = delete;

    static inline std::atomic<std::uint64_t> field_calls{0};

    static std::int64_t field(void* ctx, const char* name, char* buf, std::size_t size) {
        ++field_calls;
        const auto& track = *static_cast<const Track*>(ctx);
        for (const auto& [k, v] : track.tags) {
            if (k != name) continue;
            if (buf && size > 0) {
                const std::size_t n = std::min(v.size(), size - 1);
                std::memcpy(buf, v.data(), n);
                buf[n] = '\0';
            }
            return static_cast<std::int64_t>(v.size());
        }
        return -ENOENT;
    }
};

const Track& tagged_track() {
    static const Track track({{"title", "Svefn-g-englar"},
                              {"artist", "Sigur R\xC3\xB3s"},
                              {"albumartist", "Sigur R\xC3\xB3s"},
                              {"album", "\xC3\x81g\xC3\xA6tis byrjun"},
                              {"date", "1999-06-12"},
                              {"tracknumber", "2"},
                              {"genres", "Post-rock"},
                              {"genres", "Ambient"},
                              {"comment", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x8E\xB5"}});
    return track;
}

const Track& empty_track() {
    static const Track track({});
    return track;
}

struct Outcome {
    std::int64_t rc = 0;
    std::string out;           // what the function wrote, up to the NUL
    bool terminated = true;    // a NUL within the buffer (when the buffer has a byte)
    bool overrun = false;      // a byte past out_size was written
    bool operator==(const Outcome& o) const { return rc == o.rc && out == o.out; }
};

std::string describe_call(const mfs_template_function_t* f, const Args& args) {
    std::string s = "%" + fname(f) + "{";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) s += ",";
        s += args[i].size() > 40 ? printable(args[i].substr(0, 20)) + "...(" +
                                       std::to_string(args[i].size()) + " bytes)"
                                 : printable(args[i]);
    }
    return s + "}";
}

std::string describe(const Outcome& o) {
    if (o.rc < 0) return "error " + musicfs::errno_text(static_cast<int>(o.rc));
    return "'" + printable(o.out.size() > 60 ? o.out.substr(0, 60) + "..." : o.out) + "' (" +
           std::to_string(o.rc) + " bytes)";
}

constexpr std::size_t kCanary = 64;

// Calls `f` with a buffer of `out_size` bytes (nullptr when `null_buffer`), followed by canary
// bytes that must stay untouched.
Outcome call(const mfs_template_function_t* f, const Args& args, const Track& track,
             std::size_t out_size, bool null_buffer = false) {
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    mfs_template_call_t c{};
    c.struct_size = sizeof c;
    c.argc = static_cast<std::uint32_t>(args.size());
    c.argv = argv.empty() ? nullptr : argv.data();
    c.tags = &track.list;
    c.field = &Track::field;
    c.ctx = const_cast<Track*>(&track);
    std::vector<char> buf(out_size + kCanary, '#');
    Outcome o;
    o.rc = f->call(&c, null_buffer ? nullptr : buf.data(), out_size);
    for (std::size_t i = out_size; i < buf.size(); ++i)
        if (buf[i] != '#') o.overrun = true;
    if (!null_buffer && out_size > 0) {
        const auto* end = static_cast<const char*>(std::memchr(buf.data(), '\0', out_size));
        o.terminated = end != nullptr;
        if (end) o.out.assign(static_cast<const char*>(buf.data()), end);
    }
    return o;
}

// The complete result: asks for the length first, then calls with a buffer that fits, as the
// host does. Checks the contract of both calls on the way.
Outcome call_full(const mfs_template_function_t* f, const Args& args, const Track& track) {
    const Outcome probe = call(f, args, track, 0, true);
    if (probe.rc < 0) {
        CHECK_MESSAGE(probe.rc >= -4095, describe_call(f, args), " returned ", probe.rc,
                      ", not a negative errno");
        return probe;
    }
    const auto need = static_cast<std::size_t>(probe.rc);
    Outcome full = call(f, args, track, need + 1);
    CHECK_MESSAGE(!full.overrun, describe_call(f, args), " wrote past its output buffer");
    CHECK_MESSAGE(full.terminated, describe_call(f, args), " did not NUL-terminate its output");
    CHECK_MESSAGE(full.rc == probe.rc, describe_call(f, args), ": asked for its length it said ",
                  probe.rc, ", with a buffer ", full.rc, " (not pure?)");
    if (full.rc >= 0)
        CHECK_MESSAGE(full.out.size() == static_cast<std::size_t>(full.rc), describe_call(f, args),
                      " returned length ", full.rc, " but wrote ", full.out.size(),
                      " bytes before the NUL (a NUL inside the result?)");
    return full;
}

// Ordinary arguments: what path templates pass (field values, numbers, dates, flags).
const std::vector<std::string> kOrdinary = {
    "The Beatles", "3", "1999-06-12 10:20:30", "\xC3\x81g\xC3\xA6tis Byrjun", "a; b; c",
    "title",       "0", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",             "-2",
};

// Argument counts to try: every accepted one, up to min + 4 for (nearly) variadic functions.
std::vector<std::uint32_t> arg_counts(const mfs_template_function_t* f) {
    std::vector<std::uint32_t> out;
    const auto hi = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(f->max_args, std::uint64_t{f->min_args} + 4));
    for (std::uint64_t n = f->min_args; n <= hi; ++n) out.push_back(static_cast<std::uint32_t>(n));
    return out;
}

// A set of calls per function: every argument count, with rotating ordinary arguments.
std::vector<Args> ordinary_calls(const mfs_template_function_t* f) {
    std::vector<Args> calls;
    for (const std::uint32_t n : arg_counts(f)) {
        for (std::size_t shift = 0; shift < kOrdinary.size(); ++shift) {
            Args args;
            for (std::uint32_t i = 0; i < n; ++i) args.push_back(kOrdinary[(shift + i) % kOrdinary.size()]);
            calls.push_back(std::move(args));
        }
    }
    return calls;
}

int prepare(musicfs::conformance::Options&) {
    const auto& plugin = musicfs::conformance::plugin_under_test();
    if (!plugin->template_kind()) {
        std::cerr << "the plugin provides no template kind (it provides: " << plugin->kinds() << ")\n";
        return 2;
    }
    std::cout << functions().size() << " template functions:";
    for (const auto* f : functions()) std::cout << " %" << fname(f) << "{" << f->min_args << ".." << f->max_args << "}";
    std::cout << "\n";
    return 0;
}

}  // namespace

TEST_CASE("every function is declared with a valid name, argument range and description") {
    REQUIRE_MESSAGE(!functions().empty(), "a template kind without functions");
    CHECK(functions().size() == musicfs::conformance::plugin_under_test()->template_kind()->function_count);
    static const std::regex kName("[a-z0-9_]+");
    std::set<std::string> names;
    for (const auto* f : functions()) {
        CAPTURE(fname(f));
        REQUIRE(f->name);
        CHECK(std::regex_match(f->name, kName));
        CHECK_MESSAGE(names.insert(f->name).second, "two functions are called %", f->name);
        CHECK(f->struct_size >= sizeof(mfs_template_function_t));
        CHECK_MESSAGE(f->min_args <= f->max_args, "min_args ", f->min_args, " > max_args ", f->max_args);
        const bool has_call = f->call != nullptr;
        CHECK_MESSAGE(has_call, "no call callback");
        REQUIRE_MESSAGE(f->description, "no description");
        const std::string d = f->description;
        CHECK_MESSAGE(!d.empty(), "an empty description");
        CHECK_MESSAGE(musicfs::utf8::valid(d), "the description is not UTF-8: ", printable(d));
        CHECK_MESSAGE(d.find('\n') == std::string::npos, "the description is not one line");
    }
}

TEST_CASE("every function answers every accepted argument count with a result or an errno") {
    for (const auto* f : functions()) {
        CAPTURE(fname(f));
        int results = 0;
        for (const auto& args : ordinary_calls(f)) {
            CAPTURE(describe_call(f, args));
            for (const Track* track : {&tagged_track(), &empty_track()}) {
                const Outcome o = call_full(f, args, *track);
                if (o.rc < 0) continue;
                ++results;
                CHECK_MESSAGE(musicfs::utf8::valid(o.out), "a result that is not UTF-8: ", describe(o));
            }
        }
        // A function that refuses every ordinary call is not callable at all.
        CHECK_MESSAGE(results > 0, "%", fname(f), " returned an error for every ordinary call");
    }
}

TEST_CASE("short output buffers are never overrun and the full length does not change") {
    for (const auto* f : functions()) {
        CAPTURE(fname(f));
        for (const auto& args : ordinary_calls(f)) {
            CAPTURE(describe_call(f, args));
            const Outcome full = call_full(f, args, tagged_track());
            if (full.rc < 0) continue;
            const auto len = static_cast<std::size_t>(full.rc);
            for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{2},
                                           std::size_t{5}, len, len + 1, len + 7}) {
                CAPTURE(size);
                const Outcome o = call(f, args, tagged_track(), size);
                CHECK_MESSAGE(!o.overrun, "wrote past an output buffer of ", size, " bytes");
                CHECK_MESSAGE(o.rc == full.rc, "returned ", o.rc, " with a buffer of ", size,
                              " bytes, ", full.rc, " with one that fits");
                if (size == 0) continue;
                CHECK_MESSAGE(o.terminated, "no NUL in an output buffer of ", size, " bytes");
                // What fits is a prefix of the result (cut anywhere: the host retries).
                CHECK_MESSAGE(full.out.compare(0, o.out.size(), o.out) == 0,
                              "a short buffer got '", printable(o.out), "', not a prefix of '",
                              printable(full.out), "'");
                CHECK(o.out.size() == std::min(len, size - 1));
            }
        }
    }
}

TEST_CASE("empty, huge and invalid UTF-8 arguments give a result or an errno, never a crash") {
    // 64 KiB: far beyond any path component, small enough for functions that are not linear
    // (ICU's transliteration takes 40 s for 1 MiB of accented text).
    const std::string huge_ascii(64 * 1024, 'a');
    std::string huge_utf8;
    while (huge_utf8.size() < 64 * 1024) huge_utf8 += "\xC3\xA9\xE6\x97\xA5 ";
    const std::vector<std::string> invalid = {
        "\xFF\xFE",                 // never UTF-8
        "caf\xC3",                  // a sequence cut short
        "\xC0\xAF",                 // overlong '/'
        "\xED\xA0\x80",             // a UTF-16 surrogate
        "Bj\xF6rk",                 // Latin-1
    };
    const std::vector<std::string> numbers = {"99999999999999999999999999", "-1", "-2147483649",
                                              "nan", "1e400", " 7 "};
    for (const auto* f : functions()) {
        CAPTURE(fname(f));
        for (const std::uint32_t n : arg_counts(f)) {
            CAPTURE(n);
            const auto check_valid = [&](const Args& args) {
                CAPTURE(describe_call(f, args));
                for (const Track* track : {&tagged_track(), &empty_track()}) {
                    const Outcome o = call_full(f, args, *track);
                    if (o.rc >= 0)
                        CHECK_MESSAGE(musicfs::utf8::valid(o.out), "a result that is not UTF-8: ",
                                      describe(o));
                }
            };
            check_valid(Args(n, ""));
            check_valid(Args(n, huge_ascii));
            check_valid(Args(n, huge_utf8));
            for (const auto& num : numbers) {
                Args args(n, "x");
                for (auto& a : args) a = num;
                check_valid(args);
                if (n > 1) {  // a number where a later argument is expected
                    Args mixed(n, "The Beatles");
                    mixed.back() = num;
                    check_valid(mixed);
                }
            }
            for (const auto& bad : invalid) {
                Args args(n, bad);
                CAPTURE(describe_call(f, args));
                // The host only passes UTF-8, so anything goes here but a crash, an overrun or a
                // return value that is neither a length nor an errno.
                const Outcome o = call_full(f, args, tagged_track());
                if (o.rc >= 0 && !musicfs::utf8::valid(o.out))
                    MESSAGE("%", fname(f), " passes invalid UTF-8 through: ", describe(o));
            }
        }
    }
}

TEST_CASE("functions are pure: the same inputs give the same output, from several threads") {
    struct Expected {
        const mfs_template_function_t* f;
        Args args;
        const Track* track;
        Outcome outcome;
    };
    std::vector<Expected> expected;
    for (const auto* f : functions())
        for (const auto& args : ordinary_calls(f))
            for (const Track* track : {&tagged_track(), &empty_track()})
                expected.push_back({f, args, track, call_full(f, args, *track)});
    // Again, one thread: no state carried from one call to the next.
    for (auto it = expected.rbegin(); it != expected.rend(); ++it) {
        const Outcome again = call_full(it->f, it->args, *it->track);
        CHECK_MESSAGE(again == it->outcome, describe_call(it->f, it->args), " gave ",
                      describe(it->outcome), ", then ", describe(again));
    }
    Mismatches wrong;
    run_threads(6, [&](int t) {
        for (int round = 0; round < 20; ++round) {
            for (std::size_t k = 0; k < expected.size(); ++k) {
                const auto& e = expected[(k * 7 + static_cast<std::size_t>(t) * 13) % expected.size()];
                // Not call_full: doctest's assertions are not for other threads.
                const Outcome probe = call(e.f, e.args, *e.track, 0, true);
                Outcome o = probe;
                if (probe.rc >= 0) o = call(e.f, e.args, *e.track, static_cast<std::size_t>(probe.rc) + 1);
                if (!(o == e.outcome))
                    wrong.note([&] {
                        return describe_call(e.f, e.args) + " gave " + describe(o) + " instead of " +
                               describe(e.outcome);
                    });
            }
        }
    });
    INFO("first difference: ", wrong.first());
    CHECK(wrong.count() == 0);
}

TEST_CASE("a function declared MFS_TEMPLATE_ARGS_ONLY reads neither the tags nor the fields") {
    for (const auto* f : functions()) {
        if ((f->flags & MFS_TEMPLATE_ARGS_ONLY) == 0) continue;
        for (const auto& args : ordinary_calls(f)) {
            const auto before = Track::field_calls.load();
            const Outcome with = call_full(f, args, tagged_track());
            const Outcome without = call_full(f, args, empty_track());
            CHECK_MESSAGE(Track::field_calls.load() == before, describe_call(f, args),
                          " looked a field up, but is declared MFS_TEMPLATE_ARGS_ONLY");
            CHECK_MESSAGE(with == without, describe_call(f, args), " gives ", describe(with),
                          " for a tagged track and ", describe(without),
                          " for an untagged one, but is declared MFS_TEMPLATE_ARGS_ONLY");
        }
    }
}

TEST_CASE("known results (--expect)") {
    const auto expects = options().all("--expect");
    if (expects.empty()) {
        MESSAGE("no --expect given");
        return;
    }
    for (const auto& spec : expects) {
        CAPTURE(spec);
        // NAME{A,B}=RESULT; the call ends at the first "}=" (or the first '=' without braces).
        std::string name, result;
        Args args;
        const auto brace = spec.find('{');
        const auto close = spec.find("}=");
        if (brace != std::string::npos && close != std::string::npos && brace < close) {
            name = spec.substr(0, brace);
            std::stringstream ss(spec.substr(brace + 1, close - brace - 1));
            for (std::string a; std::getline(ss, a, ',');) args.push_back(a);
            if (spec[close - 1] == ',' || close == brace + 1) args.push_back("");
            result = spec.substr(close + 2);
        } else {
            const auto eq = spec.find('=');
            REQUIRE_MESSAGE(eq != std::string::npos, "--expect wants NAME{ARG,...}=RESULT");
            name = spec.substr(0, eq);
            result = spec.substr(eq + 1);
        }
        const auto& fs = functions();
        const auto it = std::find_if(fs.begin(), fs.end(), [&](const auto* f) { return fname(f) == name; });
        REQUIRE_MESSAGE(it != fs.end(), "the plugin has no function %", name);
        const Outcome o = call_full(*it, args, tagged_track());
        CHECK_MESSAGE(o.rc >= 0, describe_call(*it, args), ": ", describe(o));
        CHECK_MESSAGE(o.out == result, describe_call(*it, args), " gave '", printable(o.out),
                      "', expected '", printable(result), "'");
    }
}

int main(int argc, char** argv) {
    static constexpr std::string_view kUsage =
        "usage: musicfs_conformance_template --plugin PATH [--expect 'NAME{ARG,...}=RESULT']...\n"
        "           [--verbose] [doctest options]\n"
        "Checks the template functions of a plugin. See the top of\n"
        "tests/conformance/template_conformance.cpp.\n";
    return musicfs::conformance::run(argc, argv, kUsage, {{"--expect"}, {}}, &prepare);
}
