#include "fuse/session.hpp"

#include "util/error.hpp"

#include <spdlog/spdlog.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace musicfs::fuse {
namespace {

// /proc/self/mountinfo escapes space, tab, newline and backslash as octal.
std::string unescape_mountinfo(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            const int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
            out += static_cast<char>(v);
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool is_mount_point(const std::string& canonical) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        // Fields: id parent major:minor root mountpoint ...
        std::size_t pos = 0;
        for (int f = 0; f < 4 && pos != std::string::npos; ++f) pos = line.find(' ', pos + 1);
        if (pos == std::string::npos) continue;
        const std::size_t end = line.find(' ', pos + 1);
        if (unescape_mountinfo(line.substr(pos + 1, end - pos - 1)) == canonical) return true;
    }
    return false;
}

// Unmounts without waiting for open files to close (they keep working until closed).
void unmount(const std::string& mountpoint) {
    if (geteuid() == 0) {
        if (umount2(mountpoint.c_str(), 0) == 0) return;
        if (errno == EBUSY && umount2(mountpoint.c_str(), MNT_DETACH) == 0) return;
        if (errno == EINVAL) return;  // not mounted any more
        spdlog::error("unmounting {}: {}", mountpoint, std::strerror(errno));
        return;
    }
    for (const char* flag : {"-u", "-uz"}) {
        const pid_t pid = fork();
        if (pid == 0) {
            execlp("fusermount3", "fusermount3", "-q", flag, mountpoint.c_str(),
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        int status = 0;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            return;
    }
    spdlog::error("unmounting {} with fusermount3 failed", mountpoint);
}

struct SessionDeleter {
    void operator()(fuse_session* se) const { fuse_session_destroy(se); }
};

}  // namespace

void check_mountpoint(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        if (errno == ENOTCONN)
            throw UserError("mountpoint {} is a dead FUSE mount; run `fusermount3 -u {}` first",
                            path, path);
        throw UserError("mountpoint {}: {}", path, std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) throw UserError("mountpoint {} is not a directory", path);
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(path, ec).string();
    if (!ec && is_mount_point(canonical))
        throw UserError("mountpoint {} is busy: something is already mounted there", path);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), closedir);
    if (!dir) throw UserError("mountpoint {}: {}", path, std::strerror(errno));
    while (const dirent* e = readdir(dir.get())) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            throw UserError("mountpoint {} is not empty", path);
    }
}

void serve(Filesystem& fs, const MountOptions& options) {
    std::string opts = "fsname=" + options.fsname + ",subtype=musicfs";
    if (options.allow_other) opts += ",allow_other";
    std::vector<std::string> argv_s = {"musicfs", "-o", opts};
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());

    const auto& ops = Filesystem::operations();
    std::unique_ptr<fuse_session, SessionDeleter> se(
        fuse_session_new(&args, &ops, sizeof ops, &fs));
    if (!se) throw UserError("cannot create a FUSE session (options: {})", opts);
    if (fuse_session_mount(se.get(), options.mountpoint.c_str()) != 0)
        throw UserError("cannot mount at {} (see the FUSE message above; is /dev/fuse there?)",
                        options.mountpoint);
    spdlog::info("mounted at {}", options.mountpoint);

    // From here on, every way out unmounts.
    struct Unmounter {
        fuse_session* se;
        ~Unmounter() { fuse_session_unmount(se); }
    } unmounter{se.get()};

    if (options.on_ready) options.on_ready();
    // Forks; the parent exits once the child is set up. No thread has been started yet, so the
    // child loses nothing.
    if (options.daemonize && fuse_daemonize(0) != 0)
        throw UserError("cannot detach from the terminal");

    // Signals are taken by one thread with sigwait: no async-signal-safety puzzles, and a
    // signal can do what ending the loop needs (unmounting, which wakes every worker).
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    std::atomic<bool> loop_done{false};
    std::thread signals([&] {
        int sig = 0;
        bool unmounted = false;
        // Runs until the loop ends (SIGUSR1 from below), so that it can always be woken.
        while (sigwait(&set, &sig) == 0 && !loop_done.load()) {
            if (sig == SIGUSR1 || unmounted) continue;
            spdlog::info("{} received; unmounting {}", strsignal(sig), options.mountpoint);
            fuse_session_exit(se.get());
            unmount(options.mountpoint);
            unmounted = true;
        }
    });

    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 1);
    fuse_loop_cfg_set_max_threads(cfg, options.max_threads);
    fuse_loop_cfg_set_idle_threads(cfg, 4);
    const int rc = fuse_session_loop_mt(se.get(), cfg);
    fuse_loop_cfg_destroy(cfg);

    loop_done = true;
    pthread_kill(signals.native_handle(), SIGUSR1);
    signals.join();
    if (rc != 0 && rc != -ENODEV) spdlog::warn("the FUSE loop ended with {}", std::strerror(-rc));
    spdlog::info("unmounted {}", options.mountpoint);
}

}  // namespace musicfs::fuse
