// MusicFS C++ helpers, all of them: #include <musicfs/cpp/sdk.hpp>.
//
// Optional, header-only C++20 over the C ABI (musicfs/*.h), needing nothing but the standard
// library. See docs/plugin-guide.md ("The C++ helper layer") and the header of each part:
//   host.hpp      sdk::Error, sdk::Host (log, config_get, counter_add, progress), sdk::Config
//   track.hpp     sdk::TrackSource (an original file), sdk::Tags (a tag list)
//   origin.hpp    sdk::OriginKind<Class>        an origin from a class with list/stat/open
//   metadata.hpp  sdk::MetadataKind<Class>      a metadata source from a class with read()
//   template.hpp  sdk::TemplateKind<Fn...>      template functions from function objects
//   format.hpp    sdk::FormatKind<Class>        a format writer from a class with layout()
//   plugin.hpp    sdk::PluginInfo, MUSICFS_SDK_PLUGIN(info, Kind...)  the descriptor and entry
#ifndef MUSICFS_CPP_SDK_HPP
#define MUSICFS_CPP_SDK_HPP

#include <musicfs/cpp/format.hpp>
#include <musicfs/cpp/host.hpp>
#include <musicfs/cpp/metadata.hpp>
#include <musicfs/cpp/origin.hpp>
#include <musicfs/cpp/plugin.hpp>
#include <musicfs/cpp/template.hpp>
#include <musicfs/cpp/track.hpp>

#endif  // MUSICFS_CPP_SDK_HPP
