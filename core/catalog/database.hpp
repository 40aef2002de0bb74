#pragma once
// Thin RAII layer over SQLite: a connection and its prepared statements. Errors become
// musicfs::DatabaseError carrying SQLite's message.

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace musicfs::catalog {

class DatabaseError : public std::runtime_error {
public:
    DatabaseError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    ~Statement();

    // Binds are 1-based like SQLite's; each returns *this so calls chain.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);

    // Advances to the next row; false when done. Throws on error.
    bool step();
    // Runs a statement that returns no rows, then resets it.
    void run();
    // Resets and clears bindings so the statement can be reused.
    void reset();

    std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    // Text or blob column as bytes; valid until the next step/reset.
    std::string_view text(int col) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
    enum class Mode { ReadWrite, ReadOnly };

    // Opens (creating if ReadWrite) the database at `path`, in WAL mode with foreign keys on.
    Database(const std::string& path, Mode mode);
    Database(Database&&) = delete;
    Database(const Database&) = delete;
    ~Database();

    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) const { return Statement(db_, sql); }
    std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// A transaction that rolls back unless committed (BEGIN IMMEDIATE: one writer at a time).
class Transaction {
public:
    explicit Transaction(Database& db);
    Transaction(const Transaction&) = delete;
    ~Transaction();
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

// Moves WAL checkpoints off a writing connection while it lives: the writer no longer
// checkpoints at commit (SQLite's auto-checkpoint, which syncs the WAL and the database file on
// the committing thread), a thread with a connection of its own does. It checkpoints when the
// WAL holds `pages` pages (SQLite's auto-checkpoint size by default) and when asked with
// `checkpoint_now`. A commit is as durable as before: with synchronous=NORMAL it is on disk
// once a checkpoint, or the close of the last connection, has synced the WAL.
class BackgroundCheckpoints {
public:
    // SQLite's default auto-checkpoint size, which the writer gets back afterwards.
    static constexpr int kAutoCheckpointPages = 1000;

    explicit BackgroundCheckpoints(Database& writer, int pages = kAutoCheckpointPages);
    BackgroundCheckpoints(const BackgroundCheckpoints&) = delete;
    // Waits for a running checkpoint; the writer checkpoints at commit again.
    ~BackgroundCheckpoints();

    // Starts a checkpoint of everything committed so far (unless one is running; the next
    // commit over the threshold, or the close, takes the rest).
    void checkpoint_now();

private:
    static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
    void run(std::stop_token stop);

    Database& writer_;
    Database own_;
    int pages_;
    std::mutex mu_;
    std::condition_variable_any cv_;
    bool wanted_ = false;
    std::jthread thread_;  // last: started once everything above is ready
};

}  // namespace musicfs::catalog
