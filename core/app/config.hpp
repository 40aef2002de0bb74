#pragma once
// Configuration: one TOML file, every option also settable by environment variable and CLI
// flag. Precedence: CLI > environment > file > defaults. The option table in config.cpp is the
// single source of truth for names, defaults and help (docs/configuration.md mirrors it).

#include "vfs/layout.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace musicfs::app {

// One configured origin: its name, plugin type and the plugin's own options.
struct OriginConfig {
    std::string name;
    std::string type;
    std::map<std::string, std::string> options;
};

struct Option {
    const char* key;      // TOML key, dotted for tables ("fuse.attr_timeout")
    const char* flag;     // CLI flag ("--attr-timeout")
    const char* env;      // environment variable ("MUSICFS_FUSE_ATTR_TIMEOUT")
    const char* kind;     // "string", "bool", "number", "count", "list"
    const char* fallback; // default, as it would be written in TOML ("" for none)
    const char* help;
};

// The option table.
const std::vector<Option>& options();

class Config {
public:
    // Layers the sources: `cli` holds values of flags given on the command line (by key).
    // Throws UserError naming the file, line and column, the variable or the flag at fault.
    static Config load(const std::optional<std::string>& file,
                       const std::map<std::string, std::string>& cli);

    std::string string(const std::string& key) const;
    bool boolean(const std::string& key) const;
    double number(const std::string& key) const;
    unsigned count(const std::string& key) const;
    std::vector<std::string> list(const std::string& key) const;
    // True when the option was set anywhere but its default.
    bool is_set(const std::string& key) const;

    std::vector<OriginConfig>& origins() { return origins_; }
    const std::vector<OriginConfig>& origins() const { return origins_; }
    // Options of a metadata source, from its [metadata.<name>] table.
    std::map<std::string, std::string> source_options(const std::string& name) const;
    // Options of a format writer, from its [format.<name>] table (the plugin's name: "mp3").
    std::map<std::string, std::string> format_options(const std::string& name) const;
    // Every plugin's own options, from the [plugins.<name>] tables.
    const std::map<std::string, std::map<std::string, std::string>>& plugin_options() const {
        return plugin_options_;
    }
    const std::optional<std::string>& file() const { return file_; }
    // The tree's layout: views and their paths blocks, replacements, %aunique/%sunique
    // defaults and the path options, from the file's [paths], [views.<name>] and [replace]
    // tables layered with the options.
    const vfs::LayoutConfig& layout() const { return layout_; }

private:
    struct Value {
        std::string text;
        std::string from;  // where it came from, for error messages
    };
    const Value& value(const std::string& key) const;

    std::map<std::string, Value> values_;
    std::vector<OriginConfig> origins_;
    std::map<std::string, std::map<std::string, std::string>> source_options_;
    std::map<std::string, std::map<std::string, std::string>> plugin_options_;
    std::map<std::string, std::map<std::string, std::string>> format_options_;
    std::optional<std::string> file_;
    vfs::LayoutConfig layout_;
};

// $XDG_STATE_HOME/musicfs, else ~/.local/state/musicfs.
std::string default_state_dir();

}  // namespace musicfs::app
