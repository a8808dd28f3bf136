// FFTW behind RAII plans, one planner mutex and a bounded LRU plan cache.
#include "sapper/core/fft.hpp"

#include <fftw3.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <utility>

#include "sapper/core/error.hpp"

namespace sapper::fft {
namespace {

std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

constexpr std::size_t kMaxPlans = 64;
// FFTW_MEASURE times candidate algorithms, so which one wins (and the last bits of the results)
// can change with the machine's load from one process to the next; FFTW_ESTIMATE always picks the
// same one. SAPPER_FFT_PLANNING=estimate in the environment selects it from the start.
std::atomic<Planning>& planning_mode() {
  static std::atomic<Planning> mode{[] {
    const char* e = std::getenv("SAPPER_FFT_PLANNING");
    return e && std::strcmp(e, "estimate") == 0 ? Planning::estimate : Planning::measure;
  }()};
  return mode;
}
unsigned flags() { return planning_mode().load() == Planning::estimate ? FFTW_ESTIMATE : FFTW_MEASURE; }

template <class T>
struct Api;
template <>
struct Api<float> {
  using C = fftwf_complex;
  static void* r2c(int n, float* i, C* o) { return fftwf_plan_dft_r2c_1d(n, i, o, flags()); }
  static void* c2r(int n, C* i, float* o) { return fftwf_plan_dft_c2r_1d(n, i, o, flags()); }
  static void* c2c(int n, C* i, C* o) { return fftwf_plan_dft_1d(n, i, o, FFTW_BACKWARD, flags()); }
  static void* many(int n, int m, int s, C* d, int sign) {
    return fftwf_plan_many_dft(1, &n, m, d, nullptr, s, 1, d, nullptr, s, 1, sign, flags());
  }
  static void destroy(void* p) { fftwf_destroy_plan(static_cast<fftwf_plan>(p)); }
  static void exec_r2c(void* p, float* i, C* o) { fftwf_execute_dft_r2c(static_cast<fftwf_plan>(p), i, o); }
  static void exec_c2r(void* p, C* i, float* o) { fftwf_execute_dft_c2r(static_cast<fftwf_plan>(p), i, o); }
  static void exec_c2c(void* p, C* i, C* o) { fftwf_execute_dft(static_cast<fftwf_plan>(p), i, o); }
};
template <>
struct Api<double> {
  using C = fftw_complex;
  static void* r2c(int n, double* i, C* o) { return fftw_plan_dft_r2c_1d(n, i, o, flags()); }
  static void* c2r(int n, C* i, double* o) { return fftw_plan_dft_c2r_1d(n, i, o, flags()); }
  static void* c2c(int n, C* i, C* o) { return fftw_plan_dft_1d(n, i, o, FFTW_BACKWARD, flags()); }
  static void* many(int n, int m, int s, C* d, int sign) {
    return fftw_plan_many_dft(1, &n, m, d, nullptr, s, 1, d, nullptr, s, 1, sign, flags());
  }
  static void destroy(void* p) { fftw_destroy_plan(static_cast<fftw_plan>(p)); }
  static void exec_r2c(void* p, double* i, C* o) { fftw_execute_dft_r2c(static_cast<fftw_plan>(p), i, o); }
  static void exec_c2r(void* p, C* i, double* o) { fftw_execute_dft_c2r(static_cast<fftw_plan>(p), i, o); }
  static void exec_c2c(void* p, C* i, C* o) { fftw_execute_dft(static_cast<fftw_plan>(p), i, o); }
};

template <class T>
struct Cache {
  std::mutex m;
  std::list<std::pair<Index, std::shared_ptr<const RealPlan<T>>>> lru;  // front = most recent
};
template <class T>
Cache<T>& cache() {
  static Cache<T> c;
  return c;
}

struct ColumnsKey {
  Index n, howmany, stride;
  bool operator==(const ColumnsKey&) const = default;
};
template <class T>
struct ColumnsCache {
  std::mutex m;
  std::list<std::pair<ColumnsKey, std::shared_ptr<const ColumnsPlan<T>>>> lru;  // front = most recent
};
template <class T>
ColumnsCache<T>& columns_cache() {
  static ColumnsCache<T> c;
  return c;
}

}  // namespace

Index good_size(Index n) {
  if (n <= 1) return 1;
  for (Index m = n;; ++m) {
    Index r = m;
    for (Index p : {2, 3, 5, 7})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

template <class T>
RealPlan<T>::RealPlan(Index n) : n_(n) {
  using A = Api<T>;
  using C = typename A::C;
  Buffer<T> r(n);
  Buffer<std::complex<T>> c(n), c2(n);
  auto* cp = reinterpret_cast<C*>(c.data());
  std::lock_guard lock(planner_mutex());
  fwd_ = A::r2c(int(n), r.data(), cp);
  inv_ = A::c2r(int(n), cp, r.data());
  cinv_ = A::c2c(int(n), cp, reinterpret_cast<C*>(c2.data()));
  if (!fwd_ || !inv_ || !cinv_) throw Error(detail::concat("FFTW could not plan a transform of length ", n));
}

template <class T>
RealPlan<T>::~RealPlan() {
  std::lock_guard lock(planner_mutex());
  for (void* p : {fwd_, inv_, cinv_})
    if (p) Api<T>::destroy(p);
}

template <class T>
std::shared_ptr<const RealPlan<T>> RealPlan<T>::get(Index n) {
  require(n >= 1 && n <= (Index{1} << 30), "FFT length ", n, " is outside [1, 2^30]");
  auto& c = cache<T>();
  {
    std::lock_guard lock(c.m);
    for (auto it = c.lru.begin(); it != c.lru.end(); ++it)
      if (it->first == n) {
        c.lru.splice(c.lru.begin(), c.lru, it);
        return it->second;
      }
  }
  auto plan = std::make_shared<const RealPlan<T>>(n);  // plan outside the cache lock
  std::lock_guard lock(c.m);
  c.lru.emplace_front(n, plan);
  if (c.lru.size() > kMaxPlans) c.lru.pop_back();  // in-use plans live on through their shared_ptr
  return plan;
}

template <class T>
void RealPlan<T>::forward(T* in, std::complex<T>* out) const noexcept {
  Api<T>::exec_r2c(fwd_, in, reinterpret_cast<typename Api<T>::C*>(out));
}
template <class T>
void RealPlan<T>::inverse(std::complex<T>* in, T* out) const noexcept {
  Api<T>::exec_c2r(inv_, reinterpret_cast<typename Api<T>::C*>(in), out);
}
template <class T>
void RealPlan<T>::inverse_complex(std::complex<T>* in, std::complex<T>* out) const noexcept {
  using C = typename Api<T>::C;
  Api<T>::exec_c2c(cinv_, reinterpret_cast<C*>(in), reinterpret_cast<C*>(out));
}

template <class T>
ColumnsPlan<T>::ColumnsPlan(Index n, Index howmany, Index stride) {
  using A = Api<T>;
  using C = typename A::C;
  Buffer<std::complex<T>> d(std::size_t((n - 1) * stride + howmany));  // planning overwrites it
  auto* dp = reinterpret_cast<C*>(d.data());
  std::lock_guard lock(planner_mutex());
  fwd_ = A::many(int(n), int(howmany), int(stride), dp, FFTW_FORWARD);
  inv_ = A::many(int(n), int(howmany), int(stride), dp, FFTW_BACKWARD);
  if (!fwd_ || !inv_)
    throw Error(detail::concat("FFTW could not plan ", howmany, " column transforms of length ", n));
}

template <class T>
ColumnsPlan<T>::~ColumnsPlan() {
  std::lock_guard lock(planner_mutex());
  for (void* p : {fwd_, inv_})
    if (p) Api<T>::destroy(p);
}

template <class T>
std::shared_ptr<const ColumnsPlan<T>> ColumnsPlan<T>::get(Index n, Index howmany, Index stride) {
  require(n >= 1 && n <= (Index{1} << 30), "FFT length ", n, " is outside [1, 2^30]");
  require(howmany >= 1 && howmany <= stride && stride <= (Index{1} << 30) && (n - 1) * stride < (Index{1} << 31),
          "column block of ", howmany, " columns with row stride ", stride, " is invalid");
  const ColumnsKey key{n, howmany, stride};
  auto& c = columns_cache<T>();
  {
    std::lock_guard lock(c.m);
    for (auto it = c.lru.begin(); it != c.lru.end(); ++it)
      if (it->first == key) {
        c.lru.splice(c.lru.begin(), c.lru, it);
        return it->second;
      }
  }
  auto plan = std::make_shared<const ColumnsPlan<T>>(n, howmany, stride);  // plan outside the cache lock
  std::lock_guard lock(c.m);
  c.lru.emplace_front(key, plan);
  if (c.lru.size() > kMaxPlans) c.lru.pop_back();
  return plan;
}

template <class T>
void ColumnsPlan<T>::forward(std::complex<T>* data) const noexcept {
  using C = typename Api<T>::C;
  Api<T>::exec_c2c(fwd_, reinterpret_cast<C*>(data), reinterpret_cast<C*>(data));
}
template <class T>
void ColumnsPlan<T>::inverse(std::complex<T>* data) const noexcept {
  using C = typename Api<T>::C;
  Api<T>::exec_c2c(inv_, reinterpret_cast<C*>(data), reinterpret_cast<C*>(data));
}

void set_planning(Planning p) {
  decltype(cache<float>().lru) f;
  decltype(cache<double>().lru) d;
  decltype(columns_cache<float>().lru) cf;
  decltype(columns_cache<double>().lru) cd;
  {
    std::scoped_lock lock(cache<float>().m, cache<double>().m, columns_cache<float>().m, columns_cache<double>().m);
    if (planning_mode().exchange(p) == p) return;
    f.swap(cache<float>().lru), d.swap(cache<double>().lru);  // plans made the other way are dropped
    cf.swap(columns_cache<float>().lru), cd.swap(columns_cache<double>().lru);
  }
  std::lock_guard lock(planner_mutex());  // and what FFTW measured, which estimated plans would reuse
  fftw_forget_wisdom(), fftwf_forget_wisdom();
}  // the dropped plans are destroyed here, after the planner lock (their destructors take it)

Planning planning() { return planning_mode().load(); }

std::size_t cache_size() {
  std::size_t s = 0;
  auto add = [&s](auto& c) {
    std::lock_guard l(c.m);
    s += c.lru.size();
  };
  add(cache<float>()), add(cache<double>()), add(columns_cache<float>()), add(columns_cache<double>());
  return s;
}

template class RealPlan<float>;
template class RealPlan<double>;
template class ColumnsPlan<float>;
template class ColumnsPlan<double>;

}  // namespace sapper::fft
