#include "fuse/session.hpp"

#include "fuse/invalidator.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
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

// The device number of the file system mounted at `canonical`, from /proc/self/mountinfo
// (never from stat(), which would ask the FUSE daemon, possibly this very process).
std::optional<dev_t> mounted_device(const std::string& canonical) {
    std::ifstream in("/proc/self/mountinfo");
    std::optional<dev_t> found;
    for (std::string line; std::getline(in, line);) {
        // Fields: id parent major:minor root mountpoint ...
        std::istringstream fields(line);
        std::string id, parent, majmin, root, point;
        if (!(fields >> id >> parent >> majmin >> root >> point)) continue;
        if (unescape_mountinfo(point) != canonical) continue;
        unsigned maj = 0, min = 0;
        if (std::sscanf(majmin.c_str(), "%u:%u", &maj, &min) == 2) found = makedev(maj, min);
    }
    return found;  // the last entry is the one on top
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

// Aborts a FUSE connection through fusectl (root only), which ends the loop even while files
// are open. Mounts fusectl if it is not mounted yet, as systemd does at boot.
void abort_connection(dev_t dev) {
    if (dev == 0 || geteuid() != 0 || major(dev) != 0) return;
    const std::string base = "/sys/fs/fuse/connections";
    const std::string file = base + "/" + std::to_string(minor(dev)) + "/abort";
    if (access(file.c_str(), W_OK) != 0) ::mount("fusectl", base.c_str(), "fusectl", 0, nullptr);
    if (FILE* f = std::fopen(file.c_str(), "w")) {
        std::fputs("1", f);
        std::fclose(f);
    }
}

// Answers the kernel's INIT, the first request of every new connection, before any worker
// starts: the connection's parameters (readahead among them) are settled once it returns.
bool answer_init(fuse_session* se) {
    fuse_buf buf{};
    int rc = 0;
    do rc = fuse_session_receive_buf(se, &buf);
    while (rc == -EINTR);
    if (rc > 0) fuse_session_process_buf(se, &buf);
    std::free(buf.mem);
    return rc > 0;
}

// Raises the per-mount readahead, which is also the largest read request the kernel sends
// (128 KiB by default; libfuse 3.14 takes up to 1 MiB). Only root may write the BDI's setting,
// and only after INIT: the kernel lowers it to what INIT negotiated.
void set_readahead(dev_t dev, unsigned kb) {
    if (kb == 0 || dev == 0) return;
    const std::string file =
        fmt::format("/sys/class/bdi/{}:{}/read_ahead_kb", major(dev), minor(dev));
    const std::string value = std::to_string(kb);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, value.data(), value.size()) < 0)
        spdlog::info("readahead stays at the kernel's default ({}: {})", file,
                     std::strerror(errno));
    else
        spdlog::debug("readahead {} KiB ({})", kb, file);
    if (fd >= 0) ::close(fd);
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
    if (!ec && mounted_device(canonical))
        throw UserError("mountpoint {} is busy: something is already mounted there", path);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), closedir);
    if (!dir) throw UserError("mountpoint {}: {}", path, std::strerror(errno));
    while (const dirent* e = readdir(dir.get())) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            throw UserError("mountpoint {} is not empty", path);
    }
}

namespace {

// Detaches like fuse_daemonize, except that the parent exits only when the child says it is
// serving (detached.ready()): by then its pid file exists, so `mount --daemon && musicfs tag
// set ...` finds the daemon. fuse_daemonize lets the parent go before the child's first step.
class Detached {
public:
    Detached() {
        int fds[2];
        if (pipe(fds) != 0) throw UserError("cannot detach from the terminal: {}", std::strerror(errno));
        const pid_t pid = fork();
        if (pid < 0) throw UserError("cannot detach from the terminal: {}", std::strerror(errno));
        if (pid > 0) {
            close(fds[1]);
            char status = 1;
            while (read(fds[0], &status, 1) < 0 && errno == EINTR) {
            }
            _exit(status == 0 ? 0 : 1);  // no byte: the child died before serving
        }
        close(fds[0]);
        ready_fd_ = fds[1];
        setsid();
        if (chdir("/") != 0) spdlog::debug("chdir /: {}", std::strerror(errno));
        if (const int null = open("/dev/null", O_RDWR); null >= 0) {
            for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) dup2(null, fd);
            if (null > STDERR_FILENO) close(null);
        }
    }
    Detached(const Detached&) = delete;
    Detached& operator=(const Detached&) = delete;
    ~Detached() {
        if (ready_fd_ >= 0) close(ready_fd_);
    }
    void ready() {
        if (ready_fd_ < 0) return;
        const char ok = 0;
        while (write(ready_fd_, &ok, 1) < 0 && errno == EINTR) {
        }
        close(ready_fd_);
        ready_fd_ = -1;
    }

private:
    int ready_fd_ = -1;
};

}  // namespace

void serve(Filesystem& fs, const MountOptions& options) {
    // Resolved before mounting: afterwards, resolving it would ask this very process.
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(options.mountpoint, ec);
    if (ec) throw UserError("mountpoint {}: {}", options.mountpoint, ec.message());
    // `ro` makes the kernel refuse writes itself and report ST_RDONLY to statvfs (file managers
    // then offer no editing); the EROFS handlers stay as a second line.
    std::string opts = "ro,fsname=" + options.fsname + ",subtype=musicfs";
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

    const dev_t device = mounted_device(canonical.string()).value_or(0);
    if (!answer_init(se.get()))
        throw UserError("the kernel closed the FUSE connection at {} before it started",
                        options.mountpoint);
    set_readahead(device, options.readahead_kb);

    if (options.on_ready) options.on_ready();
    // Forks; the parent exits once the child serves. No thread has been started yet, so the
    // child loses nothing.
    std::optional<Detached> detached;
    if (options.daemonize) detached.emplace();

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
            if (sig == SIGHUP) {
                spdlog::info("SIGHUP received; reloading");
                try {
                    if (options.on_reload) options.on_reload();
                } catch (const std::exception& e) {
                    spdlog::error("reload failed: {}", e.what());
                }
                continue;
            }
            spdlog::info("{} received; unmounting {}", strsignal(sig), options.mountpoint);
            fuse_session_exit(se.get());
            unmount(options.mountpoint);
            unmounted = true;
            // A lazy unmount leaves the connection up while files are open, and the loop with
            // it. A signal means "stop now": give open files a moment, then cut the connection.
            std::thread([&loop_done, dev = device] {
                for (int i = 0; i < 20 && !loop_done.load(); ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (loop_done.load()) return;
                spdlog::warn("files are still open on the mount; closing the connection");
                abort_connection(dev);
                for (int i = 0; i < 20 && !loop_done.load(); ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (loop_done.load()) return;
                // No fusectl to abort through: ending the process closes the connection.
                spdlog::warn("exiting with the connection still open");
                spdlog::default_logger()->flush();
                std::_Exit(0);
            }).detach();
        }
    });

    // Started after daemonising (a thread would not survive the fork), stopped before the
    // session goes away.
    std::optional<Invalidator> invalidator;
    try {
        if (options.on_serving) options.on_serving();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
    }
    fs.set_session(se.get());
    invalidator.emplace(se.get(), fs, options.on_poll, options.on_applied);
    if (detached) detached->ready();

    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 1);
    fuse_loop_cfg_set_max_threads(cfg, options.max_threads);
    // Keep workers alive: each has its own catalog connection, and a retired worker's
    // replacement would reopen it (measured: ~1.2M instructions each time).
    fuse_loop_cfg_set_idle_threads(cfg, options.max_threads);
    const int rc = fuse_session_loop_mt(se.get(), cfg);
    fuse_loop_cfg_destroy(cfg);
    fs.set_session(nullptr);

    loop_done = true;
    pthread_kill(signals.native_handle(), SIGUSR1);
    signals.join();
    invalidator.reset();
    if (rc != 0 && rc != -ENODEV) spdlog::warn("the FUSE loop ended with {}", std::strerror(-rc));
    spdlog::info("unmounted {}", options.mountpoint);
}

}  // namespace musicfs::fuse
