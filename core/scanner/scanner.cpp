#include "scanner/scanner.hpp"

#include "util/error.hpp"
#include "util/utf8.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace musicfs::scanner {
namespace {

// Directory depth past which the walk stops: guards against link cycles an origin could not
// detect (e.g. two sibling links pointing at each other's parents).
constexpr int kMaxDepth = 48;
// Results written per catalog transaction.
constexpr std::size_t kBatch = 256;

struct Outcome {
    const catalog::FoundFile* file;
    MetadataResult meta;            // meta.rc != 0: unreadable, meta.reason says why
    // (source, packed tags) for each source that understood the file, in precedence order:
    // packed by the worker, so the writer only binds one value per source.
    catalog::PackedSets tag_sets;
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string printable(std::string_view path) { return utf8::repair(path); }

}  // namespace

bool looks_like_audio(std::string_view name) {
    static constexpr std::string_view kExtensions[] = {
        "flac", "mp3", "mp2", "ogg", "oga", "opus", "spx", "m4a", "m4b", "mp4", "aac", "wav",
        "aif",  "aiff", "aifc", "wv", "ape", "mpc", "wma", "asf", "tta", "dsf"};
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    std::string ext(name.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

Scanner::Scanner(catalog::Catalog& catalog, origins::OriginSet& origins,
                 std::vector<std::unique_ptr<MetadataSource>>& sources,
                 const vfs::TreeLayout& layout, ScanOptions options)
    : catalog_(catalog), origins_(origins), sources_(sources), layout_(layout), options_(options) {}

ScanReport Scanner::run() {
    const auto start = std::chrono::steady_clock::now();
    ScanReport report;
    if (sources_.empty())
        throw UserError("no metadata source is available: nothing could be read (see the log)");
    // The writer below never waits for the disk; the WAL of what it wrote is synced while the
    // tree is built.
    catalog::BackgroundCheckpoints checkpoints(catalog_.db());
    keep_written_ = !catalog_.has_tracks();
    written_.clear();
    // One origin failing (unreachable, a broken plugin) must not stop the others; its files
    // stay in the catalog as they were, and it is not marked scanned.
    for (const auto& origin : origins_.all()) {
        try {
            scan_origin(*origin, report);
        } catch (const std::exception& e) {
            spdlog::error("origin '{}': scan failed: {}", origin->name(), e.what());
            report.failed_origins.push_back(origin->name());
            // What it kept may include a batch that was rolled back.
            keep_written_ = false;
            written_ = {};
        }
    }
    checkpoints.checkpoint_now();
    report.tree = rebuild_tree(report.added + report.changed + report.removed > 0);
    report.unreadable = catalog_.unreadable_files();
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

void Scanner::keep_written(std::int64_t origin_id, std::int64_t track_id,
                           const catalog::FoundFile& file, const catalog::AudioInfo& info,
                           catalog::PackedSets sets) {
    // As Catalog::tree_tracks() reads it back: properties put_track() left NULL as 0 (the sets'
    // order does not matter to effective_tags()).
    catalog::TreeTrack t;
    t.attrs.track_id = track_id;
    t.attrs.size = file.size;
    t.attrs.mtime_ns = file.mtime_ns;
    t.attrs.format = info.format;
    t.path = file.path;
    t.sets = std::move(sets);
    t.audio = info;
    for (auto* p : {&t.audio.duration_ms, &t.audio.bitrate_kbps, &t.audio.sample_rate,
                    &t.audio.channels, &t.audio.bits_per_sample})
        *p = std::max<std::int64_t>(*p, 0);
    written_.emplace_back(origin_id, std::move(t));
}

vfs::TreeStats Scanner::rebuild_tree(bool tracks_changed) {
    // As everywhere tags are read: an edited track stays where its edited tags put it.
    std::vector<std::string> names;
    for (const auto& s : sources_) names.push_back(s->name());
    const auto sources = catalog::with_user_first(names);
    // A rescan that found nothing to read or remove would rebuild the same tree: for 10^5
    // tracks, ~1.5 s of reading back, placing and comparing every track.
    if (!tracks_changed && vfs::tree_current(catalog_, layout_, sources)) {
        spdlog::debug("no track changed and the tree is current: not rebuilt");
        return {};
    }
    if (!keep_written_) return vfs::rebuild_tree(catalog_, layout_, sources);
    // In tree_tracks() order: by origin, then path (bytes, as SQLite compares blobs).
    std::sort(written_.begin(), written_.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.second.path < b.second.path;
    });
    std::vector<catalog::TreeTrack> tracks;
    tracks.reserve(written_.size());
    for (auto& [origin, track] : written_) tracks.push_back(std::move(track));
    written_ = {};
    return vfs::rebuild_tree(catalog_, layout_, sources, &tracks);
}

void Scanner::scan_origin(const origins::Origin& origin, ScanReport& report) {
    // A local directory's root is remembered so `musicfs tag` can map an original to its track.
    const auto root = origin.config().find("root");
    const bool local = origin.plugin().id() == "org.musicfs.origin.local";
    const std::int64_t origin_id = catalog_.ensure_origin(
        origin.name(), origin.plugin().name(),
        local && root != origin.config().end() ? root->second : std::string());
    auto known = catalog_.known_files(origin_id);

    // 1. Read new and changed files on worker threads while the walk below finds them; this
    //    thread walks, then is the only catalog writer.
    std::mutex mu;  // guards everything up to `finished`
    std::condition_variable work_cv, done_cv;
    std::deque<catalog::FoundFile> queue;  // grows at the back; references stay valid
    std::size_t next = 0;                  // the next candidate to read
    bool walked = false;                   // nothing more will come
    std::deque<Outcome> done;
    unsigned finished = 0;
    auto read_candidate = [&](const catalog::FoundFile& c) {
        Outcome out{&c, {}, {}};
        int err = 0;
        auto file = origin.open(c.path, err);
        if (!file) {
            out.meta.rc = err;
            out.meta.reason = "cannot open: " + errno_text(err);
            return out;
        }
        // Every source is asked; the first that understands the file gives format and
        // properties, and each contributes its tags under its own name.
        bool any = false;
        MetadataResult first_error;
        for (auto& source : sources_) {
            MetadataResult r = source->read(c.path, static_cast<std::uint64_t>(c.size), *file);
            if (r.rc != 0) {
                if (first_error.rc == 0 || first_error.rc == -ENOTSUP) first_error = std::move(r);
                continue;
            }
            // Format and each property come from the first source that reports them (a
            // sidecar source may give tags but no audio properties).
            auto& info = out.meta.info;
            if (info.format.empty()) info.format = r.info.format;
            for (auto [mine, theirs] : {std::pair{&info.duration_ms, r.info.duration_ms},
                                        std::pair{&info.bitrate_kbps, r.info.bitrate_kbps},
                                        std::pair{&info.sample_rate, r.info.sample_rate},
                                        std::pair{&info.channels, r.info.channels},
                                        std::pair{&info.bits_per_sample, r.info.bits_per_sample}})
                if (*mine == 0) *mine = theirs;
            any = true;
            if (!r.tags.empty()) out.tag_sets.emplace_back(source->name(), catalog::pack_tags(r.tags));
        }
        if (!any) {
            out.meta = std::move(first_error);
            if (out.meta.rc == 0) {
                out.meta.rc = -ENOTSUP;
                out.meta.reason = "no metadata source is configured";
            }
        } else if (out.meta.info.format.empty()) {
            out.meta.info.format = "unknown";
        }
        return out;
    };
    auto worker = [&] {
        std::unique_lock lock(mu);
        while (true) {
            work_cv.wait(lock, [&] { return next < queue.size() || walked; });
            if (next == queue.size()) break;  // walked, and everything taken
            const catalog::FoundFile& c = queue[next++];
            lock.unlock();
            Outcome out = read_candidate(c);
            lock.lock();
            done.push_back(std::move(out));
            // The writer waits for a full batch or the last results. Waking it for every file
            // cost a futex call and two context switches each (~2,200 for the scan corpus),
            // taken from the readers on a 2-CPU machine.
            if (done.size() >= kBatch || (walked && next == queue.size())) done_cv.notify_one();
        }
        ++finished;
        done_cv.notify_one();
    };
    const unsigned threads =
        options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    // However the walk ends (an origin whose root cannot be listed throws), the workers must
    // learn that nothing more comes before the pool joins them.
    struct WalkEnd {
        std::mutex& mu;
        bool& walked;
        std::condition_variable& cv;
        void operator()() {
            {
                std::lock_guard lock(mu);
                walked = true;
            }
            cv.notify_all();
        }
        ~WalkEnd() { (*this)(); }
    } walk_end{mu, walked, work_cv};

    // 2. Walk the origin. Directories that cannot be listed are remembered: files the catalog
    //    has under them are kept rather than dropped for a passing error.
    // Handed to the workers a directory (or 64 files) at a time.
    std::vector<catalog::FoundFile> found;
    auto hand_over = [&] {
        if (found.empty()) return;
        {
            std::lock_guard lock(mu);
            for (auto& c : found) queue.push_back(std::move(c));
        }
        found.clear();
        work_cv.notify_all();
    };
    std::vector<std::string> unlisted;
    const std::int64_t files_before = report.files;
    const auto walk_start = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, int>> stack{{"", 0}};
    while (!stack.empty()) {
        auto [dir, depth] = std::move(stack.back());
        stack.pop_back();
        const int rc = origin.list(dir, [&](std::string_view name, const mfs_origin_stat_t& st) {
            std::string path = dir.empty() ? std::string(name) : dir + "/" + std::string(name);
            if (st.type == MFS_ENTRY_DIRECTORY) {
                if (depth + 1 < kMaxDepth)
                    stack.emplace_back(std::move(path), depth + 1);
                else
                    spdlog::warn("{}: {}: deeper than {} directories; not scanned", origin.name(),
                                 printable(path), kMaxDepth);
            } else if (st.type == MFS_ENTRY_FILE && looks_like_audio(name)) {
                ++report.files;
                const auto size = static_cast<std::int64_t>(st.size);
                if (auto it = known.find(path); it != known.end()) {
                    const bool same = it->second.size == size && it->second.mtime_ns == st.mtime_ns;
                    const std::int64_t id = it->second.id;
                    known.erase(it);
                    if (same) {
                        ++report.unchanged;
                        return true;
                    }
                    found.push_back({std::move(path), size, st.mtime_ns, id});
                } else {
                    found.push_back({std::move(path), size, st.mtime_ns, 0});
                }
                if (found.size() >= 64) hand_over();
            }
            return true;
        });
        hand_over();
        if (rc != 0) {
            spdlog::warn("{}: cannot list {}: {}", origin.name(),
                         dir.empty() ? "its root" : printable(dir), errno_text(rc));
            if (dir.empty()) throw UserError("origin '{}' cannot be listed: {}", origin.name(),
                                             errno_text(rc));
            unlisted.push_back(dir + "/");
        }
    }
    walk_end();
    const std::size_t to_read = queue.size();  // final: only the walk added to it
    spdlog::info("{}: {} audio files, {} to read (listed in {:.1f} ms)", origin.name(),
                 report.files - files_before, to_read,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           walk_start)
                     .count());

    // Write what the workers read, up to kBatch results per transaction.
    std::size_t written = 0;
    while (written < to_read) {
        std::deque<Outcome> batch;
        {
            std::unique_lock lock(mu);
            done_cv.wait(lock, [&] { return done.size() >= kBatch || finished == pool.size() ||
                                            written + done.size() == to_read; });
            batch.swap(done);
        }
        if (batch.empty()) break;
        catalog::Transaction tx(catalog_.db());
        for (auto& o : batch) {
            const catalog::FoundFile& c = *o.file;
            if (o.meta.rc != 0) {
                spdlog::info("{}: {}: unreadable: {}", origin.name(), printable(c.path),
                             o.meta.reason);
                catalog_.put_unreadable(origin_id, c, o.meta.reason);
            } else {
                const auto track = catalog_.put_track(origin_id, c, o.meta.info, o.tag_sets);
                // A mounted daemon must drop what the kernel cached of the old bytes.
                if (c.id) catalog_.journal_track(track);
                if (keep_written_)
                    keep_written(origin_id, track, c, o.meta.info, std::move(o.tag_sets));
            }
            ++(c.id == 0 ? report.added : report.changed);
        }
        tx.commit();
        written += batch.size();
    }
    pool.clear();

    // 3. Forget files that are gone (but not those under a directory that failed to list).
    catalog::Transaction tx(catalog_.db());
    for (const auto& [path, file] : known) {
        const bool hidden = std::any_of(unlisted.begin(), unlisted.end(), [&](const auto& d) {
            return path.compare(0, d.size(), d) == 0;
        });
        if (hidden) continue;
        catalog_.remove_file(file.id);
        ++report.removed;
    }
    catalog_.mark_origin_scanned(origin_id, now_ns());
    tx.commit();
}

}  // namespace musicfs::scanner
