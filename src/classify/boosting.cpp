// Gradient-boosted trees: softmax loss, Newton leaf values, histogram splits grown leaf-wise.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <numeric>

#include "model_io.hpp"
#include "sapper/classify/boosting.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/sim/random.hpp"

namespace sapper::classify {

namespace {

// A short decimal t with a <= t < b (a < b consecutive distinct training values): every such cut
// splits the training rows alike, and short numbers keep the model file small.
double cut_between(double a, double b) {
  const double mid = a / 2 + b / 2;
  char buf[40];
  for (int p = 1; p <= 17; ++p) {
    const auto end = std::to_chars(buf, buf + sizeof buf, mid, std::chars_format::general, p).ptr;
    double t = 0;
    std::from_chars(buf, end, t);
    if (t >= a && t < b) return t;
  }
  return a;
}

// Features quantised once per fit: bin[f * n + i] = number of cut[f] values below X(i, f), so that
// X(i, f) <= cut[f][b] exactly when bin <= b.
struct Binned {
  Index n = 0;
  std::vector<std::uint16_t> bin;
  std::vector<std::vector<double>> cut;

  Binned(ConstRows X, Index max_bins, int threads) : n(X.rows()), bin(X.size()), cut(X.cols()) {
    parallel_for(X.cols(), threads, [&](Index b, Index e) {
      std::vector<double> v(n);
      for (Index f = b; f < e; ++f) {
        for (Index i = 0; i < n; ++i) v[i] = X(i, f);
        std::sort(v.begin(), v.end());
        std::vector<double> value;  // distinct values and their counts
        std::vector<Index> count;
        for (double x : v) {
          if (value.empty() || x != value.back()) value.push_back(x), count.push_back(0);
          ++count.back();
        }
        // Equal-count bins: close a bin once it holds its share of the rows still to bin.
        Index rest = n, left = max_bins, acc = 0;
        for (std::size_t j = 0; j + 1 < value.size() && left > 1; ++j) {
          acc += count[j];
          if (Index(value.size()) <= max_bins || acc * left >= rest) {
            cut[f].push_back(cut_between(value[j], value[j + 1]));
            rest -= acc, acc = 0, --left;
          }
        }
        for (Index i = 0; i < n; ++i)
          bin[f * n + i] = std::uint16_t(std::lower_bound(cut[f].begin(), cut[f].end(), X(i, f)) - cut[f].begin());
      }
    }, 1);
  }
  Index bins(Index f) const { return Index(cut[f].size()) + 1; }
};

struct Sums {
  double g = 0, h = 0, n = 0;
};

// Grows the regression tree of one class on the round's rows: best-gain leaf first, histograms of
// the smaller child summed, the larger child's by subtraction from its parent.
class Grower {
 public:
  Grower(const Binned& b, const BoostingOptions& o) : b_(b), o_(o) {}

  Tree grow(const double* g, const double* h, const std::vector<Index>& rows, const std::vector<int>& features) {
    g_ = g, h_ = h, features_ = &features;
    idx_ = rows;
    tmp_.resize(rows.size());
    width_ = 0;
    for (int f : features) width_ += b_.bins(f);
    Tree t;
    auto add_node = [&] {
      t.feature.push_back(-1), t.threshold.push_back(0), t.left.push_back(-1), t.right.push_back(-1);
      return int(t.feature.size()) - 1;
    };
    leaves_.clear();
    leaves_.push_back(make_leaf(add_node(), 0, Index(idx_.size()), 0, 0));
    build(leaves_[0]);
    find_split(leaves_[0]);
    while (Index(leaves_.size()) < o_.max_leaves) {
      Leaf* p = nullptr;  // the largest gain; the lowest node of ties
      for (Leaf& l : leaves_)
        if (l.split.feature >= 0 &&
            (!p || l.split.gain > p->split.gain || (l.split.gain == p->split.gain && l.node < p->node)))
          p = &l;
      if (!p) break;
      const Split s = p->split;
      const Index mid = partition(*p, s);
      t.feature[p->node] = s.feature, t.threshold[p->node] = b_.cut[s.feature][s.bin];
      const int ln = add_node(), rn = add_node();
      t.left[p->node] = ln, t.right[p->node] = rn;
      // The smaller child's histogram is summed into a free slot, the larger one's is its parent's
      // minus that, in the parent's slot.
      Leaf l = make_leaf(ln, p->begin, mid, p->depth + 1, p->slot);
      Leaf r = make_leaf(rn, mid, p->end, p->depth + 1, Index(leaves_.size()));
      if (l.end - l.begin <= r.end - r.begin) std::swap(l.slot, r.slot);
      Leaf& small = l.slot == p->slot ? r : l;
      Leaf& large = &small == &l ? r : l;
      build(small);
      subtract(large, small);
      find_split(l), find_split(r);
      *p = l;
      leaves_.push_back(r);
    }
    t.value = RowMatrix::Zero(t.n_nodes(), 1);
    for (const Leaf& l : leaves_) t.value(l.node, 0) = leaf_value(l.G, l.H) * o_.learning_rate;
    return t;
  }

  // The Newton step -G / (H + l2) (0 when there is no curvature at all).
  double leaf_value(double G, double H) const { return H + o_.l2 > 0 ? -G / (H + o_.l2) : 0.0; }

 private:
  struct Split {
    int feature = -1, bin = 0;
    double gain = 0;
  };
  struct Leaf {
    int node;
    Index begin, end, depth, slot;
    double G, H;
    Split split;
  };

  Leaf make_leaf(int node, Index begin, Index end, Index depth, Index slot) const {
    Leaf l{node, begin, end, depth, slot, 0, 0, {}};
    for (Index i = begin; i < end; ++i) l.G += g_[idx_[i]], l.H += h_[idx_[i]];
    return l;
  }

  Sums* hist(const Leaf& l) { return pool_.data() + l.slot * width_; }

  void build(const Leaf& l) {
    if (Index(pool_.size()) < (l.slot + 1) * width_) pool_.resize(std::size_t((l.slot + 1) * width_));
    Sums* s = hist(l);
    std::fill(s, s + width_, Sums{});
    for (int f : *features_) {
      const std::uint16_t* col = b_.bin.data() + f * b_.n;
      for (Index i = l.begin; i < l.end; ++i) {
        const Index r = idx_[i];
        Sums& e = s[col[r]];
        e.g += g_[r], e.h += h_[r], e.n += 1;
      }
      s += b_.bins(f);
    }
  }

  void subtract(const Leaf& large, const Leaf& small) {
    Sums* a = hist(large);
    const Sums* s = hist(small);
    for (Index k = 0; k < width_; ++k) a[k].g -= s[k].g, a[k].h -= s[k].h, a[k].n -= s[k].n;
  }

  // Best cut "bin <= b" over the tree's features (first found of equal gains), gain
  // G_L^2/(H_L+l2) + G_R^2/(H_R+l2) - G^2/(H+l2) > min_split_gain; none at max_depth.
  void find_split(Leaf& l) {
    l.split = {};
    l.split.gain = o_.min_split_gain;
    const Index n = l.end - l.begin;
    if ((o_.max_depth > 0 && l.depth >= o_.max_depth) || n < 2 * o_.min_samples_leaf || !(l.H + o_.l2 > 0)) return;
    const double l2 = o_.l2, parent = l.G * l.G / (l.H + l2);
    const Sums* s = hist(l);
    for (int f : *features_) {
      const Index nb = b_.bins(f);
      double GL = 0, HL = 0, nL = 0;
      for (Index b = 0; b + 1 < nb; ++b) {
        GL += s[b].g, HL += s[b].h, nL += s[b].n;
        const double GR = l.G - GL, HR = l.H - HL, nR = double(n) - nL;
        if (nL < double(o_.min_samples_leaf) || HL < o_.min_hessian_leaf) continue;
        if (nR < double(o_.min_samples_leaf) || HR < o_.min_hessian_leaf) break;
        const double gain = GL * GL / (HL + l2) + GR * GR / (HR + l2) - parent;
        if (gain > l.split.gain) l.split = {f, int(b), gain};
      }
      s += nb;
    }
  }

  // Rows of the leaf with bin <= s.bin first, each side in its previous (ascending) order.
  Index partition(const Leaf& l, const Split& s) {
    const std::uint16_t* col = b_.bin.data() + s.feature * b_.n;
    Index a = l.begin, z = 0;
    for (Index i = l.begin; i < l.end; ++i)
      if (col[idx_[i]] <= s.bin) idx_[a++] = idx_[i];
      else tmp_[z++] = idx_[i];
    std::copy(tmp_.begin(), tmp_.begin() + z, idx_.begin() + a);
    return a;
  }

  const Binned& b_;
  const BoostingOptions& o_;
  const double *g_ = nullptr, *h_ = nullptr;
  const std::vector<int>* features_ = nullptr;
  std::vector<Index> idx_, tmp_;
  std::vector<Sums> pool_;
  Index width_ = 0;
  std::vector<Leaf> leaves_;
};

// The first m of a random permutation of 0..n-1 (partial Fisher-Yates), sorted.
template <class T>
std::vector<T> draw(std::vector<T> pool, Index m, sim::Rng& rng) {
  const Index n = Index(pool.size());
  if (m < n) {
    for (Index i = 0; i < m; ++i) std::swap(pool[i], pool[i + std::min(n - i - 1, Index(rng.uniform() * double(n - i)))]);
    pool.resize(m);
  }
  std::sort(pool.begin(), pool.end());
  return pool;
}

void check_options(const BoostingOptions& o) {
  auto fraction = [](double v) { return std::isfinite(v) && v > 0 && v <= 1; };
  require(o.n_rounds >= 1, "n_rounds = ", o.n_rounds, " must be >= 1");
  require(fraction(o.learning_rate), "learning_rate = ", o.learning_rate, " must be in (0, 1]");
  require(o.max_leaves >= 2, "max_leaves = ", o.max_leaves, " must be >= 2");
  require(o.max_depth >= 0, "max_depth = ", o.max_depth, " must be >= 0 (0 = unlimited)");
  require(o.min_samples_leaf >= 1, "min_samples_leaf = ", o.min_samples_leaf, " must be >= 1");
  require(std::isfinite(o.min_hessian_leaf) && o.min_hessian_leaf >= 0, "min_hessian_leaf = ", o.min_hessian_leaf,
          " must be finite and >= 0");
  require(std::isfinite(o.l2) && o.l2 >= 0, "l2 = ", o.l2, " must be finite and >= 0");
  require(o.l2 > 0 || o.min_hessian_leaf > 0, "l2 and min_hessian_leaf are both 0: a leaf could divide by 0");
  require(std::isfinite(o.min_split_gain) && o.min_split_gain >= 0, "min_split_gain = ", o.min_split_gain,
          " must be finite and >= 0");
  require(fraction(o.subsample), "subsample = ", o.subsample, " must be in (0, 1]");
  require(fraction(o.colsample), "colsample = ", o.colsample, " must be in (0, 1]");
  require(o.max_bins >= 2 && o.max_bins <= 65536, "max_bins = ", o.max_bins, " must be in [2, 65536]");
}

}  // namespace

GradientBoosting::GradientBoosting(std::vector<std::string> classes, std::vector<std::string> feature_names,
                                   double learning_rate, std::vector<double> init, std::vector<Tree> trees)
    : learning_rate_(learning_rate), init_(std::move(init)), trees_(std::move(trees)) {
  const Index d = Index(feature_names.size()), K = Index(classes.size());
  set_header(std::move(classes), std::move(feature_names), d);
  require(std::isfinite(learning_rate_) && learning_rate_ > 0, "learning_rate = ", learning_rate_,
          " must be finite and > 0");
  require(Index(init_.size()) == K, "init has ", init_.size(), " values for ", K, " classes");
  for (double v : init_) require(std::isfinite(v), "init holds ", v, ": must be finite");
  require(!trees_.empty() && Index(trees_.size()) % K == 0, "gradient boosting has ", trees_.size(),
          " trees: expected a positive multiple of the class count ", K, " (tree t belongs to class t % K)");
  for (std::size_t t = 0; t < trees_.size(); ++t) detail::check_tree(trees_[t], d, 1, Index(t));
}

GradientBoosting GradientBoosting::fit(ConstRows X, const std::vector<std::string>& y, const BoostingOptions& o) {
  check_options(o);
  require(X.rows() == Index(y.size()), "X has ", X.rows(), " rows but y has ", y.size(), " labels");
  require(X.cols() >= 1 && X.cols() < (Index(1) << 30), "X has ", X.cols(), " features (columns)");
  require_finite(X, "X");
  const Labels lab = encode_labels(y, o.class_weight);
  const Index n = X.rows(), d = X.cols(), K = Index(lab.classes.size());
  std::vector<std::string> names = o.feature_names;
  if (names.empty())
    for (Index j = 0; j < d; ++j) names.push_back("f" + std::to_string(j));
  require(Index(names.size()) == d, "feature_names has ", names.size(), " names for ", d, " features");

  const Binned binned(X, o.max_bins, o.threads);
  std::vector<int> usable;  // features with two bins or more
  for (Index f = 0; f < d; ++f)
    if (binned.bins(f) > 1) usable.push_back(int(f));
  std::vector<Index> all_rows(n);
  std::iota(all_rows.begin(), all_rows.end(), Index(0));
  const Index n_rows = std::max<Index>(1, std::llround(o.subsample * double(n)));
  const Index n_feat = std::max<Index>(1, std::llround(o.colsample * double(usable.size())));

  std::vector<double> w(n), init(K, 0.0);
  for (Index i = 0; i < n; ++i) w[i] = lab.weight[lab.index[i]], init[lab.index[i]] += w[i];
  const double total = std::accumulate(init.begin(), init.end(), 0.0);
  for (double& v : init) v = std::log(v / total);

  RowMatrix F(n, K), G(K, n), H(K, n);  // scores; gradients and hessians by class
  for (Index i = 0; i < n; ++i)
    for (Index k = 0; k < K; ++k) F(i, k) = init[k];
  std::vector<Tree> trees(o.n_rounds * K);
  std::vector<std::unique_ptr<Grower>> growers(K);  // one per parallel chunk (keyed by its first class)
  std::vector<std::vector<int>> features(K);
  for (Index r = 0; r < o.n_rounds; ++r) {
    for (Index i = 0; i < n; ++i) {
      const double m = F.row(i).maxCoeff();
      double s = 0;
      for (Index k = 0; k < K; ++k) s += G(k, i) = std::exp(F(i, k) - m);
      for (Index k = 0; k < K; ++k) {
        const double p = G(k, i) / s;
        G(k, i) = w[i] * (p - (lab.index[i] == k ? 1.0 : 0.0));
        H(k, i) = w[i] * p * (1 - p);
      }
    }
    sim::Rng rng(o.seed, std::uint64_t(r));
    const std::vector<Index> rows = draw(all_rows, n_rows, rng);
    for (Index k = 0; k < K; ++k) features[k] = draw(usable, n_feat, rng);
    parallel_for(K, o.threads, [&](Index b, Index e) {
      if (!growers[b]) growers[b] = std::make_unique<Grower>(binned, o);
      for (Index k = b; k < e; ++k) trees[r * K + k] = growers[b]->grow(&G(k, 0), &H(k, 0), rows, features[k]);
    }, 1);
    for (Index i = 0; i < n; ++i)
      for (Index k = 0; k < K; ++k) {
        const Tree& t = trees[r * K + k];
        F(i, k) += t.value(t.leaf(X.data() + i * X.outerStride()), 0);
      }
  }
  return GradientBoosting(lab.classes, std::move(names), o.learning_rate, std::move(init), std::move(trees));
}

void GradientBoosting::predict_rows(ConstRows X, Rows out, Index begin, Index end) const {
  const Index K = n_classes();
  // Blocks of rows go through one tree after another, so that a tree stays in cache for the block
  // (each row still sums its trees in order: the same numbers as row by row).
  constexpr Index block = 32;
  for (Index b = begin; b < end; b += block) {
    const Index e = std::min(end, b + block);
    for (Index i = b; i < e; ++i)
      for (Index k = 0; k < K; ++k) out(i, k) = init_[k];
    for (std::size_t t = 0; t < trees_.size(); ++t) {
      const Tree& tr = trees_[t];
      const Index k = Index(t) % K;
      for (Index i = b; i < e; ++i) out(i, k) += tr.value(tr.leaf(X.data() + i * X.outerStride()), 0);
    }
    for (Index i = b; i < e; ++i) {
      double* p = &out(i, 0);
      const double m = *std::max_element(p, p + K);
      double s = 0;
      for (Index k = 0; k < K; ++k) s += p[k] = std::exp(p[k] - m);
      for (Index k = 0; k < K; ++k) p[k] /= s;
    }
  }
}

std::string GradientBoosting::body_json() const {
  detail::ojson j, a = detail::ojson::array();
  for (const Tree& t : trees_) a.push_back(detail::tree_json(t, true));
  j["learning_rate"] = learning_rate_;
  j["init"] = init_;
  j["trees"] = std::move(a);
  return j.dump();
}

namespace detail {
std::unique_ptr<Model> read_boosting(const json& j, const Reader& r, std::vector<std::string> classes,
                                     std::vector<std::string> features) {
  const Index K = Index(classes.size()), d = Index(features.size());
  const double lr = r.number(r.at(j, "learning_rate", "learning_rate"), "learning_rate");
  if (!(lr > 0)) r.fail("learning_rate", "= " + std::to_string(lr) + " must be > 0");
  auto init = r.numbers(r.at(j, "init", "init"), "init", K);
  const auto& tj = r.at(j, "trees", "trees");
  if (!tj.is_array() || tj.empty()) r.fail("trees", "must be a non-empty array");
  if (Index(tj.size()) % K != 0)
    r.fail("trees", "has " + std::to_string(tj.size()) + " trees: expected a multiple of the " + std::to_string(K) +
                        " classes (tree t belongs to class t % K)");
  std::vector<Tree> trees;
  for (std::size_t t = 0; t < tj.size(); ++t) trees.push_back(read_tree(r, tj[t], "trees[" + std::to_string(t) + "]", d, 0));
  return std::make_unique<GradientBoosting>(std::move(classes), std::move(features), lr, std::move(init), std::move(trees));
}
}  // namespace detail

}  // namespace sapper::classify
