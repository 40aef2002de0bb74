#pragma once
// Template functions offered by template plugins (musicfs/template.h), as the layout calls
// them.

#include "vfs/layout.hpp"

#include <musicfs/template.h>

#include <memory>
#include <string>

namespace musicfs::vfs {

// Wraps one function of a template plugin. `provider` names the plugin and its version (for
// the tree's signature); `keep_alive` keeps the plugin loaded as long as the function exists.
// A call with a number of arguments outside [min_args, max_args], or that the plugin answers
// with a negative errno, stays as written in the path (and is logged).
TemplateFunction adopt_template_function(const mfs_template_function_t* function,
                                         std::string provider,
                                         std::shared_ptr<const void> keep_alive);

}  // namespace musicfs::vfs
