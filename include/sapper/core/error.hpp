// sapper: errors thrown at configuration and I/O time (never on the hot path).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace sapper {

/// Base of every exception sapper throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parameter or an input array is invalid (maps to Python's ValueError).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A file is malformed or cannot be read (maps to Python's OSError/ValueError).
class FormatError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}
}  // namespace detail

/// Throws ValueError("<what>: <args...>") unless `ok`.
template <class... Args>
void require(bool ok, const Args&... args) {
  if (!ok) throw ValueError(detail::concat(args...));
}

}  // namespace sapper
