// Random forest of CART trees: Gini splits on bootstrap samples with feature subsampling.
#include <algorithm>
#include <numeric>

#include "model_io.hpp"
#include "sapper/classify/forest.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/sim/random.hpp"

namespace sapper::classify {

Index Tree::depth() const {
  std::vector<Index> level(feature.size(), 0);
  Index deepest = 0;
  for (Index j = 0; j < n_nodes(); ++j) {  // pre-order: a parent comes before its children
    deepest = std::max(deepest, level[j]);
    if (feature[j] >= 0) level[left[j]] = level[right[j]] = level[j] + 1;
  }
  return deepest;
}

Index Tree::leaf(const double* x) const {
  Index j = 0;
  while (feature[j] >= 0) j = x[feature[j]] <= threshold[j] ? left[j] : right[j];
  return j;
}

namespace {

// Grows one tree on the rows idx (bootstrap draws, repeats allowed), depth first, with an explicit
// stack so that a deep tree cannot overflow the thread's stack.
class Grower {
 public:
  Grower(ConstRows X, const std::vector<Index>& y, const std::vector<double>& cw, Index K, const ForestOptions& o,
         Index mtry)
      : X_(X), y_(y), cw_(cw), K_(K), o_(o), mtry_(mtry) {}

  Tree grow(std::vector<Index> idx, sim::Rng rng) {
    idx_ = std::move(idx);
    Tree t;
    std::vector<double> value;
    std::vector<int> features(X_.cols());
    std::iota(features.begin(), features.end(), 0);
    struct Item { Index begin, end, depth; int parent; bool left; };
    std::vector<Item> stack{{0, Index(idx_.size()), 0, -1, false}};
    std::vector<double> count(K_);
    while (!stack.empty()) {
      const Item it = stack.back();
      stack.pop_back();
      const int node = int(t.feature.size());
      if (it.parent >= 0) (it.left ? t.left : t.right)[it.parent] = node;
      std::fill(count.begin(), count.end(), 0.0);
      for (Index i = it.begin; i < it.end; ++i) count[y_[idx_[i]]] += cw_[y_[idx_[i]]];
      const double total = std::accumulate(count.begin(), count.end(), 0.0);
      for (double c : count) value.push_back(c / total);
      t.feature.push_back(-1), t.threshold.push_back(0), t.left.push_back(-1), t.right.push_back(-1);

      const Index n = it.end - it.begin;
      const bool pure = std::count_if(count.begin(), count.end(), [](double c) { return c > 0; }) <= 1;
      if (pure || (o_.max_depth > 0 && it.depth >= o_.max_depth) || n < o_.min_samples_split ||
          n < 2 * o_.min_samples_leaf)
        continue;
      const Split s = best_split(it.begin, it.end, features, rng);
      if (s.feature < 0) continue;
      const auto mid = std::partition(idx_.begin() + it.begin, idx_.begin() + it.end,
                                      [&](Index r) { return X_(r, s.feature) <= s.threshold; });
      const Index m = mid - idx_.begin();
      t.feature[node] = s.feature, t.threshold[node] = s.threshold;
      stack.push_back({m, it.end, it.depth + 1, node, false});  // right popped after the whole left subtree
      stack.push_back({it.begin, m, it.depth + 1, node, true});
    }
    t.value = Eigen::Map<const RowMatrix>(value.data(), t.n_nodes(), K_);
    return t;
  }

 private:
  struct Split {
    int feature = -1;
    double threshold = 0, score = -1;
  };

  // The split of the largest sum_child (sum_k w_k^2) / w (= smallest weighted child Gini) over
  // features drawn in random order until mtry non-constant ones were tried (more than mtry when
  // needed, as in Breiman's forests, so that a node is a leaf only if no feature varies).
  Split best_split(Index begin, Index end, std::vector<int>& features, sim::Rng& rng) {
    Split best;
    const Index n = end - begin, d = Index(features.size());
    std::vector<double>& lc = left_, &rc = right_;
    lc.resize(K_), rc.resize(K_);
    Index tried = 0;
    for (Index f = 0; f < d && tried < mtry_; ++f) {
      std::swap(features[f], features[f + Index(rng.uniform() * double(d - f))]);
      const int feat = features[f];
      pairs_.clear();
      for (Index i = begin; i < end; ++i) pairs_.emplace_back(X_(idx_[i], feat), idx_[i]);
      std::sort(pairs_.begin(), pairs_.end());
      if (pairs_.front().first == pairs_.back().first) continue;
      ++tried;
      std::fill(lc.begin(), lc.end(), 0.0), std::fill(rc.begin(), rc.end(), 0.0);
      for (const auto& p : pairs_) rc[y_[p.second]] += cw_[y_[p.second]];
      double wl = 0, wr = std::accumulate(rc.begin(), rc.end(), 0.0);
      for (Index p = 0; p + 1 < n; ++p) {
        const Index c = y_[pairs_[p].second];
        lc[c] += cw_[c], rc[c] -= cw_[c], wl += cw_[c], wr -= cw_[c];
        const double a = pairs_[p].first, b = pairs_[p + 1].first;
        if (a == b || p + 1 < o_.min_samples_leaf || n - p - 1 < o_.min_samples_leaf) continue;
        double sl = 0, sr = 0;
        for (Index k = 0; k < K_; ++k) sl += lc[k] * lc[k], sr += rc[k] * rc[k];
        const double score = sl / wl + sr / std::max(wr, 1e-300);
        if (score > best.score) {
          double t = a / 2 + b / 2;
          if (!(t >= a && t < b)) t = a;  // adjacent doubles: the midpoint rounds onto b
          best = {feat, t, score};
        }
      }
    }
    return best;
  }

  ConstRows X_;
  const std::vector<Index>& y_;
  const std::vector<double>& cw_;
  Index K_;
  const ForestOptions& o_;
  Index mtry_;
  std::vector<Index> idx_;
  std::vector<std::pair<double, Index>> pairs_;
  std::vector<double> left_, right_;
};

}  // namespace

namespace detail {

void check_tree(const Tree& t, Index d, Index cols, Index ti) {
  const Index m = t.n_nodes();
  const std::string name = "trees[" + std::to_string(ti) + "]";
  require(m >= 1, name, " has no nodes");
  require(Index(t.threshold.size()) == m && Index(t.left.size()) == m && Index(t.right.size()) == m &&
              t.value.rows() == m && t.value.cols() == cols,
          name, ": feature, threshold, left, right and value must all have one entry per node (", m, ") and value ",
          cols, " columns");
  std::vector<int> parents(m, 0);
  for (Index j = 0; j < m; ++j) {
    const std::string node = name + " node " + std::to_string(j);
    require(t.feature[j] >= -1 && t.feature[j] < d, node, ": feature = ", t.feature[j], " must be -1 (leaf) or in [0, ",
            d, ")");
    require(std::isfinite(t.threshold[j]), node, ": threshold must be finite");
    require(t.value.row(j).allFinite(), node, ": value must be finite");
    if (t.feature[j] < 0) continue;
    for (int c : {t.left[j], t.right[j]}) {
      require(c > j && c < m, node, ": child ", c, " must be in (", j, ", ", m, ") (children after their parent)");
      ++parents[c];
    }
  }
  for (Index j = 1; j < m; ++j) require(parents[j] == 1, name, " node ", j, " has ", parents[j], " parents; expected 1");
}

Tree read_tree(const Reader& r, const json& tj, const std::string& p, Index d, Index cols) {
  if (!tj.is_object()) r.fail(p, "must be an object");
  const auto feature = r.integers(r.at(tj, "feature", p + ".feature"), p + ".feature");
  const Index m = Index(feature.size());
  auto ints = [&](const char* f, Index limit, const char* what) {
    const auto v = r.integers(r.at(tj, f, p + "." + f), p + "." + f, m);
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k] < -1 || v[k] >= limit) r.fail(p + "." + f + "[" + std::to_string(k) + "]", what);
    return std::vector<int>(v.begin(), v.end());
  };
  Tree t;
  t.feature = ints("feature", d, "is not a feature index or -1 (leaf)");
  t.left = ints("left", m, "is not a node index or -1");
  t.right = ints("right", m, "is not a node index or -1");
  t.threshold = r.numbers(r.at(tj, "threshold", p + ".threshold"), p + ".threshold", m);
  const json& v = r.at(tj, "value", p + ".value");
  if (cols == 0) {
    const auto s = r.numbers(v, p + ".value", m);
    t.value = Eigen::Map<const RowMatrix>(s.data(), m, 1);
  } else {
    t.value = r.matrix(v, p + ".value", m, cols);
  }
  return t;
}

ojson tree_json(const Tree& t, bool scalar) {
  ojson j;
  j["feature"] = t.feature, j["threshold"] = t.threshold, j["left"] = t.left, j["right"] = t.right;
  j["value"] = scalar ? ojson(std::vector<double>(t.value.data(), t.value.data() + t.value.rows())) : to_ojson(t.value);
  return j;
}

}  // namespace detail

RandomForest::RandomForest(std::vector<std::string> classes, std::vector<std::string> feature_names,
                           std::vector<Tree> trees)
    : trees_(std::move(trees)) {
  require(!trees_.empty(), "a forest needs at least one tree");
  const Index d = Index(feature_names.size()), K = Index(classes.size());
  set_header(std::move(classes), std::move(feature_names), d);
  for (std::size_t t = 0; t < trees_.size(); ++t) {
    detail::check_tree(trees_[t], n_features(), K, Index(t));
    for (Index j = 0; j < trees_[t].n_nodes(); ++j)
      require((trees_[t].value.row(j).array() >= 0).all() && std::abs(trees_[t].value.row(j).sum() - 1) <= 1e-9, "trees[",
              t, "] node ", j, ": value must be class fractions (>= 0, sum 1)");
  }
}

RandomForest RandomForest::fit(ConstRows X, const std::vector<std::string>& y, const ForestOptions& o) {
  require(o.n_trees >= 1, "n_trees = ", o.n_trees, " must be >= 1");
  require(o.max_depth >= 0, "max_depth = ", o.max_depth, " must be >= 0 (0 = unlimited)");
  require(o.min_samples_split >= 2, "min_samples_split = ", o.min_samples_split, " must be >= 2");
  require(o.min_samples_leaf >= 1, "min_samples_leaf = ", o.min_samples_leaf, " must be >= 1");
  require(o.max_features >= 0, "max_features = ", o.max_features, " must be >= 0 (0 = sqrt of the feature count)");
  require(X.rows() == Index(y.size()), "X has ", X.rows(), " rows but y has ", y.size(), " labels");
  require(X.cols() >= 1 && X.cols() < (Index(1) << 30), "X has ", X.cols(), " features (columns)");
  require_finite(X, "X");
  const Labels lab = encode_labels(y, o.class_weight);
  const Index n = X.rows(), d = X.cols(), K = Index(lab.classes.size());
  const Index mtry = o.max_features == 0 ? std::max<Index>(1, Index(std::lround(std::sqrt(double(d)))))
                                         : std::min(o.max_features, d);

  std::vector<Tree> trees(o.n_trees);
  parallel_for(o.n_trees, o.threads, [&](Index b, Index e) {
    Grower g(X, lab.index, lab.weight, K, o, mtry);
    for (Index t = b; t < e; ++t) {
      sim::Rng rng(o.seed, std::uint64_t(t));
      std::vector<Index> idx(n);
      if (o.bootstrap)
        for (auto& i : idx) i = std::min(n - 1, Index(rng.uniform() * double(n)));
      else
        std::iota(idx.begin(), idx.end(), Index(0));
      trees[t] = g.grow(std::move(idx), rng);
    }
  }, 1);
  std::vector<std::string> names = o.feature_names;
  if (names.empty())
    for (Index j = 0; j < d; ++j) names.push_back("f" + std::to_string(j));
  return RandomForest(lab.classes, std::move(names), std::move(trees));
}

void RandomForest::predict_rows(ConstRows X, Rows out, Index begin, Index end) const {
  const double inv = 1.0 / double(trees_.size());
  for (Index i = begin; i < end; ++i) {
    out.row(i).setZero();
    for (const Tree& t : trees_) out.row(i) += t.value.row(t.leaf(X.data() + i * X.outerStride()));
    out.row(i) *= inv;
  }
}

std::string RandomForest::body_json() const {
  detail::ojson j, a = detail::ojson::array();
  for (const Tree& t : trees_) a.push_back(detail::tree_json(t, false));
  j["trees"] = std::move(a);
  return j.dump();
}

namespace detail {
std::unique_ptr<Model> read_forest(const json& j, const Reader& r, std::vector<std::string> classes,
                                   std::vector<std::string> features) {
  const auto& tj = r.at(j, "trees", "trees");
  if (!tj.is_array() || tj.empty()) r.fail("trees", "must be a non-empty array");
  const Index K = Index(classes.size());
  std::vector<Tree> trees;
  for (std::size_t t = 0; t < tj.size(); ++t)
    trees.push_back(read_tree(r, tj[t], "trees[" + std::to_string(t) + "]", Index(features.size()), K));
  return std::make_unique<RandomForest>(std::move(classes), std::move(features), std::move(trees));
}
}  // namespace detail

}  // namespace sapper::classify
