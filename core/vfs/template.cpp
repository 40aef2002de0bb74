#include "vfs/template.hpp"

#include "vfs/unicode.hpp"

#include <unicode/uchar.h>

#include <algorithm>

namespace musicfs::vfs {
namespace {

// A port of functemplate.Parser: a left-to-right scan, recursing into a sub-parser for each
// function argument. Positions are byte offsets; every special character is ASCII.
class Parser {
public:
    Parser(std::string_view text, bool in_argument) : s_(text), in_argument_(in_argument) {}

    void parse_expression() {
        std::string text;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (!is_special(c)) {
                const std::size_t next = next_special(pos_);
                text.append(s_.substr(pos_, next - pos_));
                pos_ = next;
                continue;
            }
            if (pos_ == s_.size() - 1) {
                // The last character can never begin a structure: literal, unless it ends
                // the expression (a '}' or, in an argument, a ',').
                if (!is_terminator(c)) {
                    text += c;
                    ++pos_;
                }
                break;
            }
            const char next = s_[pos_ + 1];
            if (c == '$' && (next == '$' || next == '%' || next == '}' || next == ',')) {
                text += next;  // an escape; "${" is not one: it starts a symbol
                pos_ += 2;
                continue;
            }
            flush(text);
            if (c == '$') {
                parse_symbol();
            } else if (c == '%') {
                parse_call();
            } else if (is_terminator(c)) {
                break;
            } else {  // '{' means nothing here
                text += c;
                ++pos_;
            }
        }
        flush(text);
    }

    std::size_t pos() const { return pos_; }
    Template::Expression take() { return std::move(expr_); }

private:
    bool is_special(char c) const {
        return c == '$' || c == '%' || c == '{' || c == '}' || (in_argument_ && c == ',');
    }
    bool is_terminator(char c) const { return c == '}' || (in_argument_ && c == ','); }

    std::size_t next_special(std::size_t from) const {
        for (std::size_t i = from; i < s_.size(); ++i)
            if (is_special(s_[i])) return i;
        return s_.size();
    }

    void flush(std::string& text) {
        if (text.empty()) return;
        expr_.parts.emplace_back(std::move(text));
        text.clear();
    }

    void literal(std::string_view text) {
        // Adjacent literals stay separate parts, as in beets; evaluation joins them anyway.
        expr_.parts.emplace_back(std::string(text));
    }

    std::string parse_ident() {
        const std::size_t start = pos_;
        while (pos_ < s_.size()) {
            std::size_t i = pos_;
            const UChar32 c = next_code_point(s_, i);
            if (c < 0 || !is_identifier_char(static_cast<char32_t>(c))) break;
            pos_ = i;
        }
        return std::string(s_.substr(start, pos_ - start));
    }

    void parse_symbol() {
        const std::size_t start = pos_;
        if (pos_ == s_.size() - 1) {
            literal("$");
            ++pos_;
            return;
        }
        ++pos_;
        if (s_[pos_] == '{') {
            ++pos_;
            const std::size_t closer = s_.find('}', pos_);
            if (closer == std::string_view::npos || closer == pos_) {
                literal(s_.substr(start, pos_ - start));  // unclosed or empty: "${" literally
            } else {
                std::string name(s_.substr(pos_, closer - pos_));
                pos_ = closer + 1;
                expr_.parts.emplace_back(
                    Template::Symbol{std::move(name), std::string(s_.substr(start, pos_ - start))});
            }
            return;
        }
        std::string name = parse_ident();
        if (name.empty()) {
            literal("$");
            return;
        }
        expr_.parts.emplace_back(
            Template::Symbol{std::move(name), std::string(s_.substr(start, pos_ - start))});
    }

    void parse_call() {
        const std::size_t start = pos_;
        ++pos_;
        std::string name = parse_ident();
        if (name.empty()) {
            literal("%");
            return;
        }
        if (pos_ >= s_.size() || s_[pos_] != '{') {
            literal(s_.substr(start, pos_ - start));  // no argument list
            return;
        }
        ++pos_;
        auto args = parse_argument_list();
        if (pos_ >= s_.size() || s_[pos_] != '}') {
            literal(s_.substr(start, pos_ - start));  // arguments unclosed
            return;
        }
        ++pos_;
        expr_.parts.emplace_back(Template::Call{std::move(name), std::move(args),
                                                std::string(s_.substr(start, pos_ - start))});
    }

    std::vector<Template::Expression> parse_argument_list() {
        std::vector<Template::Expression> args;
        while (pos_ < s_.size()) {
            Parser sub(s_.substr(pos_), true);
            sub.parse_expression();
            args.push_back(sub.take());
            pos_ += sub.pos();
            if (pos_ >= s_.size() || s_[pos_] == '}') break;
            ++pos_;  // the ',' between arguments
        }
        return args;
    }

    std::string_view s_;
    bool in_argument_;
    std::size_t pos_ = 0;
    Template::Expression expr_;
};

std::string evaluate_expr(const Template::Expression& expr, TemplateEnvironment& env);

std::string evaluate_part(const Template::Part& part, TemplateEnvironment& env) {
    if (const auto* text = std::get_if<std::string>(&part)) return *text;
    if (const auto* sym = std::get_if<Template::Symbol>(&part)) {
        auto v = env.field(sym->name);
        return v ? std::move(*v) : sym->original;
    }
    const auto& call = std::get<Template::Call>(part);
    if (!env.has_function(call.name)) return call.original;
    std::vector<std::string> args;
    args.reserve(call.args.size());
    for (const auto& a : call.args) args.push_back(evaluate_expr(a, env));
    auto v = env.call(call.name, args);
    return v ? std::move(*v) : call.original;
}

std::string evaluate_expr(const Template::Expression& expr, TemplateEnvironment& env) {
    std::string out;
    for (const auto& part : expr.parts) out += evaluate_part(part, env);
    return out;
}

void collect_functions(const Template::Expression& expr, std::vector<std::string>& out) {
    for (const auto& part : expr.parts) {
        const auto* call = std::get_if<Template::Call>(&part);
        if (!call) continue;
        if (std::find(out.begin(), out.end(), call->name) == out.end()) out.push_back(call->name);
        for (const auto& a : call->args) collect_functions(a, out);
    }
}

}  // namespace

bool is_identifier_char(char32_t c) {
    if (c == U'_') return true;
    if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
    const auto mask = U_GET_GC_MASK(static_cast<UChar32>(c));
    return (mask & (U_GC_L_MASK | U_GC_N_MASK)) != 0;
}

Template::Template(std::string_view text) : text_(text) {
    Parser parser(text, false);
    parser.parse_expression();
    expr_ = parser.take();
    // Whatever the parser stopped before (a top-level '}') is literal text.
    if (parser.pos() < text.size()) expr_.parts.emplace_back(std::string(text.substr(parser.pos())));
}

std::string Template::evaluate(TemplateEnvironment& env) const { return evaluate_expr(expr_, env); }

std::vector<std::string> Template::functions() const {
    std::vector<std::string> out;
    collect_functions(expr_, out);
    return out;
}

}  // namespace musicfs::vfs
