#include "app/tag_command.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace musicfs;
using namespace std::chrono_literals;

namespace {

// A catalog in a directory of its own, where `musicfs mount` would write daemon.pid.
struct Library {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("musicfs-wait-" + std::to_string(std::random_device{}()));
    std::string db = (dir / "catalog.sqlite3").string();
    catalog::Catalog cat{db};
    ~Library() { std::filesystem::remove_all(dir); }
    void daemon_pid(long pid) const { std::ofstream(dir / "daemon.pid") << pid << '\n'; }
};

// What the daemon writes, from a connection of its own, `after` from now.
std::thread daemon_writes(const std::string& db, std::chrono::milliseconds after,
                          std::string key, std::int64_t value) {
    return std::thread([=] {
        std::this_thread::sleep_for(after);
        catalog::Catalog(db).set_meta_int(key, value);
    });
}

const app::DaemonWait kShort{100ms, 5000ms, 5ms};

double seconds_of(auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("tag set waits for the daemon: applied, silent, absent") {
    Library lib;
    CHECK_FALSE(app::wait_for_daemon(lib.cat, 7, kShort));  // no daemon.pid: nobody to wait for
    lib.daemon_pid(::getpid());
    lib.cat.set_meta_int("applied_change", 7);
    CHECK(app::wait_for_daemon(lib.cat, 7, kShort));
    // A daemon that does not answer is given `answer`, not more.
    bool result = true;
    const double waited = seconds_of([&] { result = app::wait_for_daemon(lib.cat, 8, kShort); });
    CHECK_FALSE(result);
    CHECK(waited >= 0.1);
    CHECK(waited < 2.0);
    // A daemon.pid naming no process is stale.
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    lib.daemon_pid(child);
    CHECK(seconds_of([&] { CHECK_FALSE(app::wait_for_daemon(lib.cat, 8, kShort)); }) < 0.05);
}

TEST_CASE("tag set waits for a daemon rebuilding the tree for longer than it waits for an answer") {
    Library lib;
    lib.daemon_pid(::getpid());
    // The rebuild begins at once and ends after four times `answer`.
    auto begins = daemon_writes(lib.db, 20ms, "rebuilding_through", 9);
    auto ends = daemon_writes(lib.db, 400ms, "applied_change", 9);
    CHECK(app::wait_for_daemon(lib.cat, 9, kShort));
    begins.join();
    ends.join();

    // A daemon that ends during the rebuild ends the wait, long before `rebuild`.
    const pid_t child = ::fork();
    if (child == 0) {
        ::usleep(200'000);
        ::_exit(0);
    }
    lib.daemon_pid(child);
    lib.cat.set_meta_int("rebuilding_through", 10);
    std::thread reaper([&] { ::waitpid(child, nullptr, 0); });
    bool result = true;
    const double waited = seconds_of([&] { result = app::wait_for_daemon(lib.cat, 10, kShort); });
    reaper.join();
    CHECK_FALSE(result);
    CHECK(waited >= 0.15);
    CHECK(waited < 2.0);
}
