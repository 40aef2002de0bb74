// fsbench: the timing harness of the benchmark suite (tests/bench/run.sh). Each subcommand
// repeats one measurement for a number of rounds and prints "median min max" on one line, in the
// unit the subcommand names, so that run.sh can compare two file systems measured the same way.
//
//   fsbench stat DIR NAME [DIR NAME...] [-n CALLS] [-r ROUNDS]
//                                                      ns per fstatat(DIR, NAME)
//   fsbench openclose DIR NAME [DIR NAME...] [-n CALLS] [-r ROUNDS]
//                                                      ns per openat(DIR, NAME) + close
//   fsbench read FILE [FILE...] [--evict] [-b BYTES] [-r ROUNDS]
//                                                      GiB/s reading FILE start to end;
//                                                      --evict drops FILE's page cache first
//                                                      (posix_fadvise DONTNEED) every round
//   fsbench run [-r ROUNDS] [--prepare SH] [--warmup N] -- CMD [ARG...] [--- CMD [ARG...]]...
//                                                      seconds per run of each CMD (stdout and
//                                                      stderr to /dev/null); SH runs through
//                                                      /bin/sh before every run, untimed
//
// Paths relative to a directory fd keep path walking out of stat/open timings: every file system
// compared pays for exactly one name lookup per call. With several targets, rounds alternate
// between them (one line of output each, in order), so that a change in the machine's load
// during the measurement hits every target alike instead of the last one; `read` and `run`
// also start each round with the next target, since going first in a round costs. A failing call or command exits 1 with a
// message: the suite reports the row as failed instead of timing an error path.

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "fsbench: %s\n", what.c_str());
    std::exit(1);
}

[[noreturn]] void die_errno(const std::string& what) { die(what + ": " + std::strerror(errno)); }

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void print_summary(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    std::printf("%.6g %.6g %.6g\n", median, v.front(), v.back());
}

struct Args {
    std::vector<std::string> positional;
    std::vector<std::string> command;  // after "--"
    long calls = 100000;
    long rounds = 7;
    long block = 1 << 20;
    long warmup = 1;
    bool evict = false;
    std::string prepare;
};

long number(const char* s) {
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (!*s || *end || v <= 0) die(std::string("not a positive number: ") + s);
    return v;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 2; i < argc; ++i) {
        const std::string_view s = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) die(std::string(s) + " needs a value");
            return argv[++i];
        };
        if (s == "--") {
            for (++i; i < argc; ++i) a.command.emplace_back(argv[i]);
        } else if (s == "-n") {
            a.calls = number(value());
        } else if (s == "-r") {
            a.rounds = number(value());
        } else if (s == "-b") {
            a.block = number(value());
        } else if (s == "--warmup") {
            const char* v = value();
            a.warmup = std::string_view(v) == "0" ? 0 : number(v);
        } else if (s == "--evict") {
            a.evict = true;
        } else if (s == "--prepare") {
            a.prepare = value();
        } else if (!s.empty() && s[0] == '-') {
            die("unknown option " + std::string(s));
        } else {
            a.positional.emplace_back(s);
        }
    }
    return a;
}

int open_dir(const std::string& dir) {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die_errno(dir);
    return fd;
}

// ns per call for each target, one value per round, rounds interleaved across targets.
template <typename Call>
std::vector<std::vector<double>> per_call(const Args& a, std::vector<Call>& calls) {
    for (auto& call : calls)
        for (long i = 0; i < std::min(a.calls, 1000L); ++i) call();  // warm caches and daemons
    std::vector<std::vector<double>> out(calls.size());
    for (long r = 0; r < a.rounds; ++r) {
        for (std::size_t t = 0; t < calls.size(); ++t) {
            const auto start = Clock::now();
            for (long i = 0; i < a.calls; ++i) calls[t]();
            out[t].push_back(seconds_since(start) * 1e9 / static_cast<double>(a.calls));
        }
    }
    return out;
}

struct Target {
    int dir;
    std::string name;
};

std::vector<Target> targets(const Args& a, const char* usage) {
    if (a.positional.empty() || a.positional.size() % 2) die(usage);
    std::vector<Target> out;
    for (std::size_t i = 0; i < a.positional.size(); i += 2)
        out.push_back({open_dir(a.positional[i]), a.positional[i + 1]});
    return out;
}

int cmd_stat(const Args& a) {
    const auto ts = targets(a, "usage: fsbench stat DIR NAME [DIR NAME...] [-n CALLS] [-r ROUNDS]");
    std::vector<std::function<void()>> calls;
    for (const auto& t : ts) {
        calls.emplace_back([&t] {
            struct stat st {};
            if (fstatat(t.dir, t.name.c_str(), &st, 0) != 0) die_errno("stat " + t.name);
        });
    }
    for (auto& v : per_call(a, calls)) print_summary(v);
    for (const auto& t : ts) close(t.dir);
    return 0;
}

int cmd_openclose(const Args& a) {
    const auto ts =
        targets(a, "usage: fsbench openclose DIR NAME [DIR NAME...] [-n CALLS] [-r ROUNDS]");
    std::vector<std::function<void()>> calls;
    for (const auto& t : ts) {
        calls.emplace_back([&t] {
            const int fd = openat(t.dir, t.name.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) die_errno("open " + t.name);
            close(fd);
        });
    }
    for (auto& v : per_call(a, calls)) print_summary(v);
    for (const auto& t : ts) close(t.dir);
    return 0;
}

// GiB/s of one sequential read of `path`.
double read_once(const std::string& path, bool evict, std::vector<char>& buf) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_errno(path);
    if (evict) {
        // Cached pages would turn a daemon benchmark into a page-cache one.
        if (const int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); rc != 0)
            die(path + ": posix_fadvise: " + std::strerror(rc));
    }
    std::uint64_t total = 0;
    const auto start = Clock::now();
    for (;;) {
        const ssize_t n = read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            die_errno("read " + path);
        }
        if (n == 0) break;
        total += static_cast<std::uint64_t>(n);
    }
    const double s = seconds_since(start);
    close(fd);
    if (total == 0) die(path + " is empty");
    return static_cast<double>(total) / s / (1024.0 * 1024.0 * 1024.0);
}

int cmd_read(const Args& a) {
    if (a.positional.empty())
        die("usage: fsbench read FILE [FILE...] [--evict] [-b BYTES] [-r ROUNDS]");
    std::vector<char> buf(static_cast<std::size_t>(a.block));
    std::vector<std::vector<double>> out(a.positional.size());
    // Each round starts with another target: the first read of a round was measurably slower.
    const std::size_t n = a.positional.size();
    for (long r = 0; r < a.rounds; ++r)
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t t = (static_cast<std::size_t>(r) + i) % n;
            out[t].push_back(read_once(a.positional[t], a.evict, buf));
        }
    for (auto& v : out) print_summary(v);
    return 0;
}

// Runs argv with stdout and stderr on /dev/null; returns its exit status (-1: killed).
int spawn_wait(const std::vector<std::string>& cmd) {
    std::vector<char*> argv;
    for (const auto& s : cmd) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        die_errno("cannot run " + cmd[0]);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die_errno("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void prepare(const std::string& sh) {
    if (sh.empty()) return;
    // The preparation's own output stays visible: it explains a failure.
    if (std::system(sh.c_str()) != 0) die("preparation failed: " + sh);
}

int cmd_run(const Args& a) {
    if (a.command.empty())
        die("usage: fsbench run [-r ROUNDS] [--prepare SH] -- CMD [ARG...] [--- CMD...]");
    std::vector<std::vector<std::string>> cmds(1);
    for (const auto& w : a.command) {
        if (w == "---")
            cmds.emplace_back();
        else
            cmds.back().push_back(w);
    }
    for (const auto& c : cmds)
        if (c.empty()) die("an empty command");
    auto run_one = [&](const std::vector<std::string>& cmd) {
        prepare(a.prepare);
        const auto start = Clock::now();
        const int rc = spawn_wait(cmd);
        const double s = seconds_since(start);
        if (rc != 0) die(cmd[0] + " failed (exit status " + std::to_string(rc) + ")");
        return s;
    };
    for (const auto& c : cmds)
        for (long i = 0; i < a.warmup; ++i) run_one(c);
    std::vector<std::vector<double>> out(cmds.size());
    for (long r = 0; r < a.rounds; ++r)  // each round starts with another command
        for (std::size_t i = 0; i < cmds.size(); ++i) {
            const std::size_t t = (static_cast<std::size_t>(r) + i) % cmds.size();
            out[t].push_back(run_one(cmds[t]));
        }
    for (auto& v : out) print_summary(v);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: fsbench stat|openclose|read|run ... (see the source)\n");
        return 2;
    }
    const std::string_view cmd = argv[1];
    const Args a = parse(argc, argv);
    if (cmd == "stat") return cmd_stat(a);
    if (cmd == "openclose") return cmd_openclose(a);
    if (cmd == "read") return cmd_read(a);
    if (cmd == "run") return cmd_run(a);
    die("unknown subcommand " + std::string(cmd));
}
