#include "catalog/database.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace musicfs::catalog {
namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
    throw DatabaseError(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)),
                        rc);
}

// Process-wide SQLite settings, applied once before the first connection opens.
void configure_sqlite() {
    static const bool done = [] {
        // Memory statistics take a global mutex around every allocation SQLite makes, which
        // every FUSE thread's queries would contend on; MusicFS never reads them.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)done;
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, fmt::format("preparing `{}`", sql));
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK)
        fail(db_, rc, "binding an integer");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    if (const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(),
                                           SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK)
        fail(db_, rc, "binding text");
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    if (const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(),
                                           SQLITE_TRANSIENT);
        rc != SQLITE_OK)
        fail(db_, rc, "binding a blob");
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (const int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK)
        fail(db_, rc, "binding null");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, fmt::format("running `{}`", sqlite3_sql(stmt_)));
}

void Statement::run() {
    try {
        while (step()) {
        }
    } catch (...) {
        reset();
        throw;
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string_view Statement::text(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view{};
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
    configure_sqlite();
    const int flags = (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    if (const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw DatabaseError(fmt::format("cannot open catalog {}: {}", path, msg), rc);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Readers and the scanner may overlap; wait for each other rather than fail.
    sqlite3_busy_timeout(db_, 10'000);
    if (mode == Mode::ReadWrite) {
        // On a new, empty file the switch to WAL writes the first page through a rollback
        // journal, with four syncs (~3 ms of every first scan) to protect nothing yet.
        const bool empty = [&] {
            auto pages = prepare("PRAGMA page_count");
            return pages.step() && pages.int64(0) == 0;
        }();
        if (empty) exec("PRAGMA synchronous=OFF");
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
    }
    exec("PRAGMA foreign_keys=ON");
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(std::string_view sql) {
    char* err = nullptr;
    const std::string s(sql);
    if (const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw DatabaseError(fmt::format("catalog {}: {}", path_, msg), rc);
    }
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (done_) return;
    try {
        db_.exec("ROLLBACK");
    } catch (const std::exception& e) {
        spdlog::error("rolling back a catalog transaction failed: {}", e.what());
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

BackgroundCheckpoints::BackgroundCheckpoints(Database& writer, int pages)
    : writer_(writer),
      own_(writer.path(), Database::Mode::ReadWrite),
      pages_(pages),
      thread_([this](std::stop_token stop) { run(std::move(stop)); }) {
    // Replaces SQLite's auto-checkpoint, which is itself a WAL hook.
    sqlite3_wal_hook(writer_.handle(), &BackgroundCheckpoints::on_commit, this);
}

BackgroundCheckpoints::~BackgroundCheckpoints() {
    sqlite3_wal_autocheckpoint(writer_.handle(), kAutoCheckpointPages);
    thread_.request_stop();
    thread_.join();
}

void BackgroundCheckpoints::checkpoint_now() {
    {
        std::lock_guard lock(mu_);
        wanted_ = true;
    }
    cv_.notify_one();
}

int BackgroundCheckpoints::on_commit(void* self, sqlite3*, const char*, int pages) {
    auto* me = static_cast<BackgroundCheckpoints*>(self);
    if (pages >= me->pages_) me->checkpoint_now();
    return SQLITE_OK;
}

void BackgroundCheckpoints::run(std::stop_token stop) {
    while (true) {
        {
            std::unique_lock lock(mu_);
            if (!cv_.wait(lock, stop, [&] { return wanted_; })) return;
            wanted_ = false;
        }
        // PASSIVE: copies what no reader still needs and never blocks the writer. A failure
        // costs nothing but time: the next checkpoint, or the close, does the work.
        int log = 0, done = 0;
        const int rc = sqlite3_wal_checkpoint_v2(own_.handle(), nullptr,
                                                 SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc != SQLITE_OK)
            spdlog::debug("catalog {}: background checkpoint: {}", own_.path(),
                          sqlite3_errmsg(own_.handle()));
    }
}

}  // namespace musicfs::catalog
