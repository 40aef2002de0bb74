#pragma once

namespace musicfs::app {

// The `musicfs` command line. Returns the process exit code: 0 success, 1 an internal error,
// 2 a problem the user can fix (bad argument, missing directory, busy mountpoint, bad config).
int run(int argc, char** argv);

}  // namespace musicfs::app
