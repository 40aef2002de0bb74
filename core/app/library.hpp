#pragma once
// A library assembled from its configuration: plugins loaded, origins and metadata sources
// created, catalog opened. What `mount` and `scan` share.
//
// A plugin that is missing, refused or fails to set up an instance costs only what depends on
// it: the origin or source is reported and left out, and the rest is served.

#include "app/config.hpp"
#include "catalog/catalog.hpp"
#include "origins/origin.hpp"
#include "overlay/format_writer.hpp"
#include "plugin/registry.hpp"
#include "scanner/metadata_source.hpp"
#include "scanner/scanner.hpp"
#include "vfs/layout.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace musicfs::app {

// The plugin directories a configuration asks for, the standard one last.
std::vector<std::filesystem::path> plugin_dirs(const Config& config);

class Library {
public:
    // Throws UserError for anything the user can fix (no origin at all, no usable origin, a
    // bad template, an unusable state directory).
    explicit Library(const Config& config);

    const std::string& name() const { return name_; }
    // <state_dir>/<name>: the catalog, and the log of a detached daemon.
    const std::string& dir() const { return dir_; }
    catalog::Catalog& catalog() { return *catalog_; }
    // Closes and reopens the catalog's connection: an SQLite connection must not cross a
    // fork() (`mount --daemon` detaches after the catalog was opened).
    void close_catalog() { catalog_.reset(); }
    void reopen_catalog();
    bool catalog_open() const { return catalog_ != nullptr; }
    origins::OriginSet& origins() { return origins_; }
    // The configured metadata sources that could be set up, in precedence order.
    std::vector<std::string> source_names() const;
    // Where effective tags come from, highest first: the user's edits, then source_names().
    // What the tree, the served files and the xattrs use.
    std::vector<std::string> precedence() const;

    // One writer per loaded format-writer plugin (options from its [format.<name>] table), in
    // plugin order: the first that serves a format is used for it. A writer that cannot be set
    // up is logged and left out (its formats are then served unedited).
    std::vector<std::shared_ptr<const overlay::FormatWriter>> format_writers() const;

    // True when some origin has never been scanned completely.
    bool needs_first_scan();
    // An incremental scan; the tree is then brought up to date with precedence().
    scanner::ScanReport scan(unsigned threads);
    // Rebuilds the tree (without reading files) if the layout (views, templates, replacements,
    // template plugins) or the sources changed since it was built, or a user's edit left it
    // dirty. The rebuild is a diff: paths that do not change keep their inodes, and every name
    // added or removed is journaled for a running daemon. Returns true when it did.
    bool refresh_tree();
    const vfs::TreeLayout& layout() const { return *layout_; }

    // Re-reads the plugin directories and moves origins and sources whose plugin changed onto
    // the new plugin (open files finish on the old one); origins and sources that could not
    // be set up before are tried again. [thread-safe]
    void reload_plugins();

private:
    void set_up_origin(const OriginConfig& oc);
    void set_up_source(const std::string& name);

    const Config config_;
    // Declared first so that it is destroyed last: instances must go before their plugins.
    std::unique_ptr<plugin::Registry> registry_;
    origins::OriginSet origins_;
    mutable std::mutex sources_mu_;  // guards sources_ (the scanner runs with it held)
    std::vector<std::unique_ptr<scanner::MetadataSource>> sources_;
    std::unique_ptr<vfs::TreeLayout> layout_;
    std::string name_;
    std::string dir_;
    std::unique_ptr<catalog::Catalog> catalog_;
};

}  // namespace musicfs::app
