// sapper: real FFTs through one thread-safe, bounded FFTW plan cache.
// fftw3.h stays private to src/. Plans are immutable and shareable across threads.
#pragma once

#include <complex>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "sapper/core/types.hpp"

namespace sapper::fft {

/// 64-byte aligned allocator so every buffer has the alignment the plans were made for.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{64}); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

template <class T>
using Buffer = std::vector<T, AlignedAllocator<T>>;

/// Smallest n' >= n of the form 2^a 3^b 5^c 7^d (fast FFT sizes).
Index good_size(Index n);

/// Real <-> half-complex transform of length n. Unnormalised (inverse(forward(x)) = n x).
/// Buffers must come from fft::Buffer (64-byte aligned). Execution is thread-safe.
template <class T>
class RealPlan {
 public:
  static std::shared_ptr<const RealPlan> get(Index n);  ///< cached; throws ValueError if n < 1
  Index size() const { return n_; }
  void forward(T* in, std::complex<T>* out) const noexcept;   ///< n reals -> n/2+1 bins
  void inverse(std::complex<T>* in, T* out) const noexcept;   ///< destroys `in`
  /// Complex length-n inverse transform (for analytic signals).
  void inverse_complex(std::complex<T>* in, std::complex<T>* out) const noexcept;
  ~RealPlan();
  RealPlan(Index n);  // use get()
  RealPlan(const RealPlan&) = delete;
  RealPlan& operator=(const RealPlan&) = delete;

 private:
  Index n_;
  void* fwd_ = nullptr;
  void* inv_ = nullptr;
  void* cinv_ = nullptr;
};

/// In-place complex transforms of `howmany` interleaved columns of length n: element j of column c
/// at data[j * stride + c] (a block of columns of a row-major array, FFTW's "many" plans, which
/// vectorise across the columns). Unnormalised. `data` must be 64-byte aligned like fft::Buffer's
/// start (a column offset that is a multiple of 4 complex doubles keeps it). Execution is thread-safe.
template <class T>
class ColumnsPlan {
 public:
  /// cached; throws ValueError unless 1 <= n, 1 <= howmany <= stride
  static std::shared_ptr<const ColumnsPlan> get(Index n, Index howmany, Index stride);
  void forward(std::complex<T>* data) const noexcept;  ///< exp(-2 pi i j k / n)
  void inverse(std::complex<T>* data) const noexcept;  ///< exp(+2 pi i j k / n)
  ~ColumnsPlan();
  ColumnsPlan(Index n, Index howmany, Index stride);  // use get()
  ColumnsPlan(const ColumnsPlan&) = delete;
  ColumnsPlan& operator=(const ColumnsPlan&) = delete;

 private:
  void* fwd_ = nullptr;
  void* inv_ = nullptr;
};

/// How new plans choose FFTW's algorithm: `measure` (the default) times candidates and takes the
/// fastest, which may differ from one process to the next and with it the results' last bits;
/// `estimate` always takes the same one (bit-reproducible runs, e.g. training models). Setting it
/// empties the plan cache. The environment variable SAPPER_FFT_PLANNING=estimate sets it at start.
enum class Planning { measure, estimate };
void set_planning(Planning p);
Planning planning();

/// Number of plans held by the cache (bounded; least recently used evicted).
std::size_t cache_size();

extern template class RealPlan<float>;
extern template class RealPlan<double>;
extern template class ColumnsPlan<float>;
extern template class ColumnsPlan<double>;

}  // namespace sapper::fft
