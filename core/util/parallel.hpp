#pragma once
// Data parallelism for CPU-bound loops over independent items.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace musicfs {

// Runs body(i) for every i in [0, n) on up to `max_threads` threads (0: one per CPU; the
// calling thread is one of them), in blocks; rethrows the first exception a thread met once
// all have stopped.
template <typename Body>
void for_each_index(std::size_t n, unsigned max_threads, Body body) {
    constexpr std::size_t kBlock = 256;
    if (max_threads == 0) max_threads = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads = std::min<std::size_t>(max_threads, n / kBlock + 1);
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mu;
    auto work = [&] {
        try {
            for (std::size_t b; (b = next.fetch_add(kBlock)) < n;)
                for (std::size_t i = b; i < std::min(n, b + kBlock); ++i) body(i);
        } catch (...) {
            std::lock_guard lock(error_mu);
            if (!error) error = std::current_exception();
            next = n;  // the others stop after their block
        }
    };
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
    helpers.clear();  // joins
    if (error) std::rethrow_exception(error);
}

}  // namespace musicfs
