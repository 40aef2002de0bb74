#pragma once
// The template language of beets' path formats (beets/util/functemplate.py), parsed and
// evaluated with the same semantics:
//
//   $field, ${field}      a field's value; a field the environment does not know is kept as
//                         written ("$foo" stays "$foo")
//   %func{arg,...}        a function call; arguments are templates themselves (nesting works)
//                         and are expanded before the call; an unknown function, or a call the
//                         function refuses, is kept as written
//   $$ $% $} $,           a literal $ % } ,
//
// Malformed syntax is never an error: it is kept literally, exactly where beets keeps it (an
// unclosed "${" or "%f{", a lone "$" or "%", and everything after a top-level "}").

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace musicfs::vfs {

// What a template is evaluated against.
class TemplateEnvironment {
public:
    virtual ~TemplateEnvironment() = default;
    // The value of a field, or nullopt when there is no such field.
    virtual std::optional<std::string> field(std::string_view name) = 0;
    // The result of calling `name` with the expanded arguments, or nullopt when there is no
    // such function or it refused the call (the call is then kept as written).
    virtual std::optional<std::string> call(std::string_view name,
                                            std::span<const std::string> args) = 0;
    // True when `name` is a function; false makes evaluation skip the arguments.
    virtual bool has_function(std::string_view name) = 0;
};

class Template {
public:
    struct Expression;
    struct Symbol {
        std::string name;
        std::string original;
    };
    struct Call {
        std::string name;
        std::vector<Expression> args;  // a call has at least one (maybe empty) argument
        std::string original;
    };
    using Part = std::variant<std::string, Symbol, Call>;
    struct Expression {
        std::vector<Part> parts;
    };

    explicit Template(std::string_view text);

    const std::string& text() const { return text_; }
    const Expression& expression() const { return expr_; }

    std::string evaluate(TemplateEnvironment& env) const;

    // Every function name the template calls, nested calls included.
    std::vector<std::string> functions() const;

private:
    std::string text_;
    Expression expr_;
};

// True for the characters of a field or function name: Python's \w (Unicode letters and
// digits, and '_').
bool is_identifier_char(char32_t c);

}  // namespace musicfs::vfs
