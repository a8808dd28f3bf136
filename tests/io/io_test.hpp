// Shared by the reader tests: the error check every bad-input test makes, and temporary files.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "sapper/core/error.hpp"

namespace sapper::test {

/// Expects f() to throw FormatError whose message contains every one of `pieces`.
template <class F>
void expect_format_error(F&& f, const std::vector<std::string>& pieces) {
  try {
    f();
    ADD_FAILURE() << "no FormatError";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    for (const auto& p : pieces) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a FormatError: " << e.what();
  }
}

/// A path in this process's temporary folder for `group` (created on first use).
inline std::string temp_path(const std::string& group, const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / ("sapper_" + group + "_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return (d / name).string();
}

}  // namespace sapper::test
