// The template parser and evaluator against beets' own cases (beets test/test_template.py),
// as data: template -> expected output, with the values and functions beets' EvalTest uses.
#include "vfs/template.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using musicfs::vfs::Template;
using musicfs::vfs::TemplateEnvironment;

namespace {

// beets' EvalTest environment: {foo: bar, baz: BaR}, functions lower and len (and %fail,
// which refuses every call, as a function raising an exception would).
class Env final : public TemplateEnvironment {
public:
    std::optional<std::string> field(std::string_view name) override {
        static const std::map<std::string, std::string, std::less<>> values = {{"foo", "bar"},
                                                                              {"baz", "BaR"}};
        const auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    }
    bool has_function(std::string_view name) override {
        return name == "lower" || name == "len" || name == "fail" || name == "join";
    }
    std::optional<std::string> call(std::string_view name, std::span<const std::string> args) override {
        if (name == "lower") {
            if (args.size() != 1) return std::nullopt;  // Python: TypeError
            std::string s = args[0];
            for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            return s;
        }
        if (name == "len") return std::to_string(args.empty() ? 0 : args[0].size());
        if (name == "join") {
            std::string s;
            for (const auto& a : args) {
                s += '[';
                s += a;
                s += ']';
            }
            return s;
        }
        return std::nullopt;
    }
};

std::string eval(std::string_view text) {
    Env env;
    return Template(text).evaluate(env);
}

// The parts of a parsed template with adjacent text merged: "text", "$name", "%name/N".
std::string shape(const Template::Expression& e) {
    std::string out, text;
    auto flush = [&] {
        if (!text.empty()) {
            out += '<';
            out += text;
            out += '>';
        }
        text.clear();
    };
    for (const auto& p : e.parts) {
        if (const auto* t = std::get_if<std::string>(&p)) {
            text += *t;
            continue;
        }
        flush();
        if (const auto* s = std::get_if<Template::Symbol>(&p)) {
            out += '$';
            out += s->name;
        } else {
            const auto& c = std::get<Template::Call>(p);
            out += '%';
            out += c.name;
            out += '(';
            for (std::size_t i = 0; i < c.args.size(); ++i) {
                if (i) out += ',';
                out += shape(c.args[i]);
            }
            out += ")";
        }
    }
    flush();
    return out;
}

std::string parse(std::string_view text) { return shape(Template(text).expression()); }

}  // namespace

TEST_CASE("parser: beets' ParseTest cases") {
    const std::pair<const char*, const char*> cases[] = {
        {"", ""},
        {"hello world", "<hello world>"},
        {"$$", "<$>"},
        {"a $$ b", "<a $ b>"},
        {"$$ hello", "<$ hello>"},
        {"hello $$", "<hello $>"},
        {"a $% b", "<a % b>"},
        {"a $, b", "<a , b>"},
        {"a $} b", "<a } b>"},
        {"a $ b", "<a $ b>"},
        {"a % b", "<a % b>"},
        {"a { b", "<a { b>"},
        {"a } b", "<a } b>"},
        {"a , b", "<a , b>"},
        {"$foo", "$foo"},
        {"hello $foo world", "<hello >$foo< world>"},
        {"hello${foo}world", "<hello>$foo<world>"},
        {"a ${ b", "<a ${ b>"},
        {"a ${} b", "<a ${} b>"},
        {"foo %bar", "<foo %bar>"},
        {"foo %bar baz", "<foo %bar baz>"},
        {"foo %bar{ baz", "<foo %bar{ baz>"},
        {"foo %bar{bar,bar baz", "<foo %bar{bar,bar baz>"},
        {"%foo{}", "%foo()"},
        {"%foo{bar}", "%foo(<bar>)"},
        {"%foo{bar,baz}", "%foo(<bar>,<baz>)"},
        {"%foo{bar$,baz}", "%foo(<bar,baz>)"},
        {"%foo{bar$}baz}", "%foo(<bar}baz>)"},
        {"%foo{$bar,baz}", "%foo($bar,<baz>)"},
        {"%foo{%bar{},baz}", "%foo(%bar(),<baz>)"},
        {"%foo{%bar{baz}}", "%foo(%bar(<baz>))"},
        // Beyond beets' tests, but beets' behaviour all the same:
        {"$", "<$>"},
        {"%", "<%>"},
        {"${title}s", "$title<s>"},
        {"${a b}", "$a b"},
        {"$track-$title", "$track<->$title"},
        {"$título", "$título"},
        {"%x{a,}", "%x(<a>,)"},
        {"%x{,}", "%x(,)"},
        {"a}$b", "<a}$b>"},  // everything after a top-level '}' is literal
        {"x}", "<x}>"},
        {"%f{a}}b", "%f(<a>)<}b>"},
        {"%f{a{b}", "%f(<a{b>)"},
    };
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        CHECK(parse(text) == expected);
    }
    // An empty argument list still has one (empty) argument.
    const Template t("%foo{}");
    REQUIRE(t.expression().parts.size() == 1);
    CHECK(std::get<Template::Call>(t.expression().parts[0]).args.size() == 1);
}

TEST_CASE("evaluation: beets' EvalTest cases") {
    const std::pair<const char*, const char*> cases[] = {
        {"foo", "foo"},
        {"$foo", "bar"},
        {"hello $foo world", "hello bar world"},
        {"$bar", "$bar"},  // an unknown field stays as written
        {"%lower{FOO}", "foo"},
        {"A %lower{FOO} B", "A foo B"},
        {"%lower{%lower{FOO}}", "foo"},
        {"%lower{$baz}", "bar"},
        {"%len{foo}", "3"},
        {"%bar{}", "%bar{}"},  // an unknown function stays as written
        {"%lower", "%lower"},
        {"%len{}", "0"},
        // A refused call (beets: an exception) stays as written, arguments unexpanded.
        {"%lower{a,b,c,d,e}", "%lower{a,b,c,d,e}"},
        {"%fail{$foo}", "%fail{$foo}"},
        {"%join{$foo,,$$x$,y}", "[bar][][$x,y]"},
        {"%nope{$foo}", "%nope{$foo}"},
        {"${foo}${baz}", "barBaR"},
        {"${nope}", "${nope}"},
    };
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        CHECK(eval(text) == expected);
    }
}

TEST_CASE("functions() lists every call, nested ones too") {
    CHECK(Template("%a{%b{$x},%a{}} %c{}").functions() == std::vector<std::string>{"a", "b", "c"});
    CHECK(Template("$x %").functions().empty());
}
