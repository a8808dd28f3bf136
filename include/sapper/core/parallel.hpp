// sapper: parallel-for over traces. Thread-safe; allocates thread handles only.
#pragma once

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "sapper/core/types.hpp"

namespace sapper {

/// 0 means all hardware threads.
inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

/// Calls f(begin, end) over [0, n) split into at most `threads` contiguous chunks
/// of at least `min_chunk` items. Exceptions from workers are rethrown here.
template <class F>
void parallel_for(Index n, int threads, F&& f, Index min_chunk = 64) {
  if (n <= 0) return;
  const Index t = std::clamp<Index>(std::min<Index>(resolve_threads(threads), n / std::max<Index>(min_chunk, 1)), 1, n);
  if (t == 1) {
    f(Index{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  std::exception_ptr err;
  std::mutex m;
  for (Index i = 0; i < t; ++i) {
    const Index b = n * i / t, e = n * (i + 1) / t;
    pool.emplace_back([&, b, e] {
      try {
        f(b, e);
      } catch (...) {
        std::lock_guard lock(m);
        if (!err) err = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (err) std::rethrow_exception(err);
}

}  // namespace sapper
