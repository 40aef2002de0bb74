#pragma once
// Errors a user can act on. The CLI prints `what()` as one line and exits with code 2;
// everything else that escapes is a bug and exits with code 1.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace musicfs {

class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;

    template <typename... Args>
    explicit UserError(fmt::format_string<Args...> fmt, Args&&... args)
        : std::runtime_error(fmt::format(fmt, std::forward<Args>(args)...)) {}
};

// strerror for a positive or negative errno value.
std::string errno_text(int err);

}  // namespace musicfs
