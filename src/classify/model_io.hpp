// Private to src/classify: reading sapper-model JSON with errors that name the file and the field.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sapper/classify/forest.hpp"
#include "sapper/classify/model.hpp"

namespace sapper::classify::detail {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

/// Checked access to a parsed model document; every failure is a FormatError
/// "model <source>: field "<path>" <why>".
struct Reader {
  std::string source;

  [[noreturn]] void fail(const std::string& field, const std::string& why) const;
  const json& at(const json& obj, const std::string& field, const std::string& path) const;
  double number(const json& v, const std::string& path) const;
  long long integer(const json& v, const std::string& path) const;
  /// An array of `n` finite numbers (n < 0: any length).
  std::vector<double> numbers(const json& v, const std::string& path, Index n = -1) const;
  std::vector<long long> integers(const json& v, const std::string& path, Index n = -1) const;
  /// An array of `rows` arrays of `cols` finite numbers.
  RowMatrix matrix(const json& v, const std::string& path, Index rows, Index cols) const;
  std::vector<std::string> strings(const json& v, const std::string& path) const;
};

/// Type-specific readers (defined beside each model); `j` is the whole document, classes and
/// feature names already read and checked.
std::unique_ptr<Model> read_logistic(const json& j, const Reader& r, std::vector<std::string> classes,
                                     std::vector<std::string> features);
std::unique_ptr<Model> read_boosting(const json& j, const Reader& r, std::vector<std::string> classes,
                                     std::vector<std::string> features);

/// Tree `ti` (forest or boosting): every array one entry per node, `value` with `cols` columns,
/// features in [-1, d), finite thresholds and values, children after their parent, one parent per
/// node but the root. Throws ValueError naming "trees[ti] node j".
void check_tree(const Tree& t, Index d, Index cols, Index ti);
/// Reads the tree object `tj` at path `p`: "value" is rows of `cols` numbers, or (cols = 0) one
/// number per node (read as one column). Links are range-checked here, the rest by check_tree.
Tree read_tree(const Reader& r, const json& tj, const std::string& p, Index d, Index cols);
/// The tree as a JSON object; `scalar`: value (one column) written as a flat array.
ojson tree_json(const Tree& t, bool scalar);
std::unique_ptr<Model> read_forest(const json& j, const Reader& r, std::vector<std::string> classes,
                                   std::vector<std::string> features);

inline ojson to_ojson(const Eigen::VectorXd& v) { return ojson(std::vector<double>(v.data(), v.data() + v.size())); }
inline ojson to_ojson(const RowMatrix& m) {
  ojson a = ojson::array();
  for (Index i = 0; i < m.rows(); ++i) {
    std::vector<double> row(m.cols());
    for (Index k = 0; k < m.cols(); ++k) row[k] = m(i, k);
    a.push_back(row);
  }
  return a;
}

}  // namespace sapper::classify::detail
