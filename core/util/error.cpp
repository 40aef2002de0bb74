#include "util/error.hpp"

#include <cstring>

namespace musicfs {

std::string errno_text(int err) {
    if (err < 0) err = -err;
    return std::strerror(err);
}

}  // namespace musicfs
