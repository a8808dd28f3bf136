// Model: labels, validated prediction, and the sapper-model JSON document (write and read).
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "model_io.hpp"
#include "sapper/classify/model.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::classify {

Labels encode_labels(const std::vector<std::string>& y, const ClassWeights& w) {
  require(!y.empty(), "y is empty: need at least one labelled sample");
  Labels l;
  std::set<std::string> distinct(y.begin(), y.end());
  l.classes.assign(distinct.begin(), distinct.end());
  require(l.classes.front() != "", "y holds an empty label");
  require(l.classes.size() >= 2, "y holds one class (\"", l.classes.front(), "\"): need at least two");
  const Index K = Index(l.classes.size());
  std::vector<Index> count(K, 0);
  l.index.resize(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    l.index[i] = std::lower_bound(l.classes.begin(), l.classes.end(), y[i]) - l.classes.begin();
    ++count[l.index[i]];
  }
  for (const auto& [c, v] : w.weight) {
    require(std::binary_search(l.classes.begin(), l.classes.end(), c), "class_weight names class \"", c,
            "\" that is not in y");
    require(std::isfinite(v) && v > 0, "class_weight[\"", c, "\"] = ", v, " must be finite and > 0");
  }
  l.weight.resize(K);
  for (Index k = 0; k < K; ++k) {
    const auto it = w.weight.find(l.classes[k]);
    l.weight[k] = (w.balanced ? double(y.size()) / double(K * count[k]) : 1.0) * (it == w.weight.end() ? 1.0 : it->second);
  }
  return l;
}

void require_finite(ConstRows X, const char* what) {
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < X.cols(); ++j)
      require(std::isfinite(X(i, j)), what, "[", i, ", ", j, "] = ", X(i, j),
              " is not finite (NaN/Inf features are not supported: impute or drop the row)");
}

void Model::set_header(std::vector<std::string> classes, std::vector<std::string> names, Index n_features) {
  require(classes.size() >= 2, "a model needs at least two classes, got ", classes.size());
  require(std::set<std::string>(classes.begin(), classes.end()).size() == classes.size(), "classes repeat");
  for (const auto& c : classes) require(!c.empty(), "a class label is empty");
  require(n_features >= 1, "a model needs at least one feature");
  if (names.empty())
    for (Index j = 0; j < n_features; ++j) names.push_back("f" + std::to_string(j));
  require(Index(names.size()) == n_features, "feature_names has ", names.size(), " names for ", n_features, " features");
  require(std::set<std::string>(names.begin(), names.end()).size() == names.size(), "feature_names repeat");
  classes_ = std::move(classes), feature_names_ = std::move(names);
}

void Model::predict_proba(ConstRows X, Rows out, int threads) const {
  require(X.cols() == n_features(), "X has ", X.cols(), " features (columns); the model takes ", n_features());
  require(out.rows() == X.rows() && out.cols() == n_classes(), "out is ", out.rows(), " x ", out.cols(), "; expected ",
          X.rows(), " x ", n_classes());
  require_finite(X, "X");
  parallel_for(X.rows(), threads, [&](Index b, Index e) { predict_rows(X, out, b, e); }, 256);
}

RowMatrix Model::predict_proba(ConstRows X, int threads) const {
  RowMatrix p(X.rows(), n_classes());
  predict_proba(X, p, threads);
  return p;
}

std::vector<Index> Model::predict_index(ConstRows X, int threads) const {
  const RowMatrix p = predict_proba(X, threads);
  std::vector<Index> k(p.rows());
  for (Index i = 0; i < p.rows(); ++i) p.row(i).maxCoeff(&k[i]);
  return k;
}

std::vector<std::string> Model::predict(ConstRows X, int threads) const {
  std::vector<std::string> y;
  for (Index k : predict_index(X, threads)) y.push_back(classes_[k]);
  return y;
}

std::string Model::to_json() const {
  detail::ojson j;
  j["format"] = "sapper-model";
  j["version"] = 1;
  j["type"] = type();
  j["classes"] = classes_;
  j["feature_names"] = feature_names_;
  const detail::ojson body = detail::ojson::parse(body_json());
  for (auto it = body.begin(); it != body.end(); ++it) j[it.key()] = *it;
  return j.dump() + "\n";
}

void Model::save(const std::string& path) const {
  const std::string text = to_json();
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error("cannot write model file " + path);
}

namespace detail {

void Reader::fail(const std::string& field, const std::string& why) const {
  throw FormatError("model " + source + ": field \"" + field + "\" " + why);
}

const json& Reader::at(const json& obj, const std::string& field, const std::string& path) const {
  const auto it = obj.find(field);
  if (it == obj.end()) fail(path, "is missing");
  return *it;
}

double Reader::number(const json& v, const std::string& path) const {
  if (!v.is_number()) fail(path, "= " + v.dump().substr(0, 40) + " must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(path, "= " + v.dump() + " must be finite");
  return x;
}

long long Reader::integer(const json& v, const std::string& path) const {
  if (!v.is_number_integer()) fail(path, "= " + v.dump().substr(0, 40) + " must be an integer");
  return v.get<long long>();
}

template <class F>
static auto elements(const Reader& r, const json& v, const std::string& path, Index n, F&& get) {
  if (!v.is_array()) r.fail(path, "must be an array");
  if (n >= 0 && Index(v.size()) != n)
    r.fail(path, "has " + std::to_string(v.size()) + " entries; expected " + std::to_string(n));
  std::vector<decltype(get(v, path))> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(get(v[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<double> Reader::numbers(const json& v, const std::string& path, Index n) const {
  return elements(*this, v, path, n, [&](const json& e, const std::string& p) { return number(e, p); });
}

std::vector<long long> Reader::integers(const json& v, const std::string& path, Index n) const {
  return elements(*this, v, path, n, [&](const json& e, const std::string& p) { return integer(e, p); });
}

RowMatrix Reader::matrix(const json& v, const std::string& path, Index rows, Index cols) const {
  const auto r = elements(*this, v, path, rows, [&](const json& e, const std::string& p) { return numbers(e, p, cols); });
  RowMatrix m(rows, cols);
  for (Index i = 0; i < rows; ++i)
    for (Index k = 0; k < cols; ++k) m(i, k) = r[i][k];
  return m;
}

std::vector<std::string> Reader::strings(const json& v, const std::string& path) const {
  return elements(*this, v, path, -1, [&](const json& e, const std::string& p) {
    if (!e.is_string()) fail(p, "= " + e.dump().substr(0, 40) + " must be a string");
    return e.get<std::string>();
  });
}

}  // namespace detail

std::unique_ptr<Model> model_from_json(const std::string& text, const std::string& source) {
  const detail::Reader r{source};
  detail::json j;
  try {
    j = detail::json::parse(text);
  } catch (const detail::json::exception& e) {
    throw FormatError("model " + source + " is not valid JSON (truncated or corrupt?): " + e.what());
  }
  if (!j.is_object()) throw FormatError("model " + source + " is not a JSON object");
  const auto& fmt = r.at(j, "format", "format");
  if (fmt != "sapper-model") r.fail("format", "= " + fmt.dump().substr(0, 40) + " must be \"sapper-model\"");
  const long long version = r.integer(r.at(j, "version", "version"), "version");
  if (version != 1) r.fail("version", "= " + std::to_string(version) + " is not supported (this sapper reads version 1)");
  const auto& type = r.at(j, "type", "type");
  auto classes = r.strings(r.at(j, "classes", "classes"), "classes");
  auto features = r.strings(r.at(j, "feature_names", "feature_names"), "feature_names");
  if (classes.size() < 2) r.fail("classes", "must hold at least two labels");
  if (features.empty()) r.fail("feature_names", "must hold at least one name");
  try {
    if (type == "logistic_regression") return detail::read_logistic(j, r, std::move(classes), std::move(features));
    if (type == "random_forest") return detail::read_forest(j, r, std::move(classes), std::move(features));
    if (type == "gradient_boosting") return detail::read_boosting(j, r, std::move(classes), std::move(features));
  } catch (const FormatError&) {
    throw;
  } catch (const ValueError& e) {  // the constructor's consistency checks
    throw FormatError("model " + source + " is inconsistent: " + e.what());
  }
  r.fail("type", "= " + type.dump().substr(0, 40) + " is unknown (known: \"logistic_regression\", \"random_forest\", \"gradient_boosting\")");
}

std::unique_ptr<Model> load_model(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FormatError("cannot open model file " + path);
  std::ostringstream s;
  s << f.rdbuf();
  return model_from_json(s.str(), "file " + path);
}

}  // namespace sapper::classify
