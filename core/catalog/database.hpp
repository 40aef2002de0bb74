#pragma once
// Thin RAII layer over SQLite: a connection and its prepared statements. Errors become
// musicfs::DatabaseError carrying SQLite's message.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

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

}  // namespace musicfs::catalog
