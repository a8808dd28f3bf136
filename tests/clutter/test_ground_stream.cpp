// Streaming ground suppression (GroundSuppressStream) on B-scans written from the formula: a ground
// bounce drifting in time and amplitude over a rough surface, an antenna coupling drifting in
// scale, and a target hyperbola; the clutter is known exactly, so what is left of it is measured.
#include <gtest/gtest.h>

#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "sapper/clutter/ground.hpp"
#include "support/alloc_counter.hpp"

using namespace sapper;
using namespace sapper::clutter;

namespace {

double ricker(double t, double f_ghz) {
  const double a = std::numbers::pi * f_ghz * t;
  return (1 - 2 * a * a) * std::exp(-a * a);
}

struct Scene {
  Matrix<double> data, clutter, target;
  std::vector<double> t_ground;
  TraceFormat f{256, 0.025, 0};
};

/// m traces: bounce -(1 + 0.2 sin) at 2 ns + a slow drift of +-4 samples + roughness of +-1.6
/// samples; coupling (1 + 5 % sin) x `coupling` at `t_coupling` ns; a hyperbola (apex 3 ns,
/// amplitude 0.05, 1.5 GHz) centred on trace `apex`.
Scene drifting(Index m, double coupling, double t_coupling, Index apex) {
  Scene s;
  const Index n = s.f.n_samples;
  s.clutter.resize(n, m), s.target.resize(n, m);
  for (Index j = 0; j < m; ++j) {
    const double x = double(j);
    const double tg = 2.0 + 0.1 * std::sin(2 * std::numbers::pi * x / 400) +
                      0.04 * (std::sin(0.37 * x + 0.3) + 0.6 * std::sin(0.9 * x + 1.1)) / 1.6;
    s.t_ground.push_back(tg);
    const double amp = -(1.0 + 0.2 * std::sin(0.05 * x)), cs = (1 + 0.05 * std::sin(0.03 * x)) * coupling;
    const double xt = (x - double(apex)) * 0.02, tt = 3.0 + 2 * (std::sqrt(0.01 + xt * xt) - 0.1) / 0.12;
    for (Index i = 0; i < n; ++i) {
      const double t = double(i) * s.f.dt_ns;
      s.clutter(i, j) = amp * ricker(t - tg, 1.5) + cs * ricker(t - t_coupling, 1.5);
      s.target(i, j) = 0.05 * ricker(t - tt, 1.5);
    }
  }
  s.data = s.clutter + s.target;
  return s;
}

/// m traces over rough ground with excursions of up to +-5 samples (r = 0.12 ns) and an antenna
/// ringing that decays over the whole trace: coupling ricker at 0.8 ns + a 1.3 GHz tail (1/e in
/// 1.5 ns), scale drifting 5 %; target as drifting(). `ringing` holds the ringing part of clutter.
Scene rough_ringing(Index m, Matrix<double>* ringing) {
  Scene s;
  const Index n = s.f.n_samples;
  s.clutter.resize(n, m), s.target.resize(n, m), ringing->resize(n, m);
  for (Index j = 0; j < m; ++j) {
    const double x = double(j);
    const double tg = 2.0 + 0.1 * std::sin(2 * std::numbers::pi * x / 400) +
                      0.12 * (std::sin(0.37 * x + 0.3) + 0.6 * std::sin(0.9 * x + 1.1) + 0.8 * std::sin(0.131 * x)) / 2.4;
    s.t_ground.push_back(tg);
    const double amp = -(1.0 + 0.2 * std::sin(0.05 * x)), cs = 0.6 * (1 + 0.05 * std::sin(0.03 * x));
    const double xt = (x - 400) * 0.02, tt = 3.0 + 2 * (std::sqrt(0.01 + xt * xt) - 0.1) / 0.12;
    for (Index i = 0; i < n; ++i) {
      const double t = double(i) * s.f.dt_ns, u = std::max(t - 0.8, 0.0);
      const double ring = ricker(t - 0.8, 1.5) + 0.5 * std::exp(-u / 1.5) * std::sin(2 * std::numbers::pi * 1.3 * u) *
                                                     (1 - std::exp(-u * u / 0.1));
      (*ringing)(i, j) = cs * ring;
      s.clutter(i, j) = amp * ricker(t - tg, 1.5) + cs * ring;
      s.target(i, j) = 0.05 * ricker(t - tt, 1.5);
    }
  }
  s.data = s.clutter + s.target;
  return s;
}

/// Per trace j >= from: 10 log10 of the energy of (out - target) over t > t_ground + 1 ns (below
/// the bounce) relative to the ringing's there, sorted ascending.
std::vector<double> deep_left_db(const Scene& s, const Matrix<double>& out, const Matrix<double>& ringing, Index from) {
  std::vector<double> db;
  for (Index j = from; j < out.cols(); ++j) {
    double e = 0, er = 0;
    for (Index i = 0; i < out.rows(); ++i)
      if (double(i) * s.f.dt_ns > s.t_ground[std::size_t(j)] + 1.0) {
        const double l = out(i, j) - s.target(i, j);
        e += l * l, er += ringing(i, j) * ringing(i, j);
      }
    db.push_back(10 * std::log10(e / er));
  }
  std::sort(db.begin(), db.end());
  return db;
}

template <class T>
Matrix<T> run_split(GroundSuppressStream<T>& st, const Matrix<T>& x, std::initializer_list<Index> lens,
                    std::vector<double>* picks = nullptr) {
  Matrix<T> out(x.rows(), x.cols());
  if (picks) picks->assign(std::size_t(x.cols()), 0.0);
  Index j = 0;
  for (Index len : lens) {
    len = std::min(len, x.cols() - j);
    std::span<double> p;
    if (picks) p = std::span<double>(picks->data() + j, std::size_t(len));
    st.process(x.middleCols(j, len), out.middleCols(j, len), p);
    j += len;
  }
  EXPECT_EQ(j, x.cols());
  return out;
}

}  // namespace

TEST(ClutterGroundStream, RemovesADriftingBounceAndCouplingAndKeepsTheTarget) {
  const Index m = 600, warm = 64;
  const Scene s = drifting(m, 0.6, 0.8, 400);
  GroundStreamOptions o;
  o.search_start_ns = 1.3;  // after the coupling
  GroundSuppressStream<double> st(s.f, o);
  const Matrix<double> out = run_split(st, s.data, {m});
  // the picks follow the surface when C is the coupling alone (ringing_rank 0: the gap rule, rank
  // 1 here); the default rank 3 lets C take part of the bounce, and the picks on x - C then
  // wander (measured 2.9 samples) while B + C still remove it
  GroundStreamOptions oa = o;
  oa.ringing_rank = 0;
  GroundSuppressStream<double> sa(s.f, oa);
  std::vector<double> picks;
  run_split(sa, s.data, {m}, &picks);
  // after the warm-up: the picks follow the surface, the clutter is gone, the target stays
  double worst_pick = 0, e_clutter = 0, e_left = 0, e_t = 0, e_terr = 0;
  const double peak = s.target.cwiseAbs().maxCoeff();
  for (Index j = warm; j < m; ++j) {
    worst_pick = std::max(worst_pick, std::abs(picks[std::size_t(j)] - s.t_ground[std::size_t(j)]));
    for (Index i = 0; i < s.f.n_samples; ++i) {
      const double left = out(i, j) - s.target(i, j);
      e_clutter += s.clutter(i, j) * s.clutter(i, j), e_left += left * left;
      if (std::abs(s.target(i, j)) > 0.1 * peak) e_t += s.target(i, j) * s.target(i, j), e_terr += left * left;
    }
  }
  EXPECT_LT(worst_pick, 0.2 * s.f.dt_ns);
  // > 25 dB of bounce + coupling removed (measured 29.6; batch suppress_ground 31.8 on the same
  // data): the default gate (2.5 periods) reaches the coupling, which the running template and the
  // subspace then share
  EXPECT_LT(e_left / e_clutter, std::pow(10.0, -2.5));
  EXPECT_LT(std::sqrt(e_terr / e_t), 0.3);  // the target is kept to 30 % rms on its own support
  EXPECT_GE(st.ringing_rank(), 1);
  EXPECT_EQ(st.traces_seen(), m);
  // a gate that ends before the coupling leaves it to the subspace alone: > 40 dB with C the
  // coupling alone (rank 0, measured 42.0), > 33 dB at the default rank 3 (measured 35.2)
  for (Index rank : {0, 3}) {
    o.gate_before_ns = 1.0, o.ringing_rank = rank;
    GroundSuppressStream<double> st1(s.f, o);
    const Matrix<double> out1 = run_split(st1, s.data, {m});
    const double left1 =
        (out1 - s.target).rightCols(m - warm).squaredNorm() / s.clutter.rightCols(m - warm).squaredNorm();
    EXPECT_LT(left1, rank == 0 ? 1e-4 : 5e-4) << "rank " << rank;
  }
  std::printf("stream: pick error %.3g samples, clutter left %.1f dB, target error %.3f\n",
              worst_pick / s.f.dt_ns, 10 * std::log10(e_left / e_clutter), std::sqrt(e_terr / e_t));
}

// The bug of the first version (automatic rank re-chosen every 16 traces): on rough ground the gap
// rule flipped between 1 and 3, and the subspace was up to 16 traces stale; either way a ground
// excursion's bounce misfit, outside span(U), leaked into the ringing coefficient, and the trace
// came out with the ringing left (or doubled) over its whole depth: a full-depth stripe that an
// energy prescreener reports as a target. Here: the ringing below the bounce must be removed to
// -15 dB on 99 % of the traces (measured -19.5 dB; rank 0 / update 16: -9.1 dB, rank 3 / update 16:
// -4.6 dB; batch suppress_ground -14.7 dB) and no trace may keep more than -6 dB of it (-9.0; old
// -7.6, rank 3 / update 16: -1.9).
TEST(ClutterGroundStream, NoFullDepthStripesAtGroundExcursions) {
  const Index m = 600, warm = 64;
  Matrix<double> ringing;
  const Scene s = rough_ringing(m, &ringing);
  GroundStreamOptions o;
  o.search_start_ns = 1.3;
  GroundSuppressStream<double> st(s.f, o);
  const std::vector<double> db = deep_left_db(s, run_split(st, s.data, {m}), ringing, warm);
  const double p99 = db[std::size_t(0.99 * double(db.size() - 1))];
  EXPECT_LT(p99, -15.0);
  EXPECT_LT(db.back(), -6.0);
  EXPECT_EQ(st.ringing_rank(), 3);
  o.ringing_rank = 0, o.ringing_update = 16;  // the first version's defaults: the test can fail
  GroundSuppressStream<double> old(s.f, o);
  const std::vector<double> db0 = deep_left_db(s, run_split(old, s.data, {m}), ringing, warm);
  EXPECT_GT(db0[std::size_t(0.99 * double(db0.size() - 1))], -12.0);
  std::printf("deep ringing left: p99 %.1f dB, worst %.1f dB (rank 0, update 16: p99 %.1f, worst %.1f)\n", p99,
              db.back(), db0[std::size_t(0.99 * double(db0.size() - 1))], db0.back());
}

// The tracked ringing subspace against a fresh SVD of the window at every trace. Data zero over the
// bounce search and gate (samples < 100) make the bounce model exactly 0 (the template is 0), so
// y_j = x_j - U U^T x_j with U the leading 3 left singular vectors of the previous ringing_window
// traces of x, computed here by JacobiSVD, after the first window (in it the third direction is at
// the noise level, so not defined). x: three Rickers whose delays and amplitudes drift along the
// line, noise 0.01; window 64 traces, so the ring wraps five times.
TEST(ClutterGroundStream, RingingSubspaceTracksTheWindowSvd) {
  const Index n = 256, m = 400, W = 64;
  const TraceFormat f{n, 0.025, 0};
  Matrix<double> x = 0.01 * Matrix<double>::Random(n, m);
  x.topRows(100).setZero();
  for (Index j = 0; j < m; ++j)
    for (Index i = 100; i < n; ++i) {
      const double t = double(i) * f.dt_ns, s = double(j);
      x(i, j) += (1 + 0.3 * std::sin(0.05 * s)) * ricker(t - 3.5 - 0.3 * std::sin(0.011 * s), 1.5) +
                 0.5 * (1 + 0.5 * std::sin(0.13 * s)) * ricker(t - 4.5 - 0.2 * std::cos(0.017 * s), 2.0) +
                 0.3 * std::cos(0.07 * s) * ricker(t - 5.5 + 0.2 * std::sin(0.023 * s), 1.2);
    }
  GroundStreamOptions o;
  o.search_end_ns = 1.0, o.ringing_window = W;
  for (int q : {0, 2}) {
    o.power_iters = q;
    GroundSuppressStream<double> st(f, o);
    const Matrix<double> y = run_split(st, x, {m});
    double worst = 0;
    for (Index j = W; j < m; ++j) {
      const Index j0 = std::max<Index>(0, j - W);
      Eigen::JacobiSVD<Matrix<double>> svd(x.middleCols(j0, j - j0), Eigen::ComputeThinU);
      const auto U = svd.matrixU().leftCols(std::min<Index>(3, j - j0));
      const Eigen::VectorXd ref = x.col(j) - U * (U.transpose() * x.col(j));
      worst = std::max(worst, (y.col(j) - ref).norm() / x.col(j).norm());
    }
    // one power step per trace lags the turning subspace by < 1e-3 of the trace (measured 4.7e-4,
    // -66 dB); two more per trace converge (5.7e-7): the difference is the tracking lag
    EXPECT_LT(worst, q == 0 ? 2e-3 : 5e-6) << "power_iters " << q;
    std::printf("power_iters %d: worst |y - y_svd| / |x| = %.2g\n", q, worst);
  }
}

TEST(ClutterGroundStream, SameNumbersForAnySplitFloatAndDouble) {
  const Index m = 300;
  const Scene s = drifting(m, 0.6, 0.8, 150);
  GroundStreamOptions o;
  o.search_start_ns = 1.3;
  o.ringing_window = 64, o.ringing_update = 8, o.template_traces = 33;  // wrap both rings
  GroundSuppressStream<double> a(s.f, o);
  std::vector<double> p1, p2;
  const Matrix<double> whole = run_split(a, s.data, {m}, &p1);
  GroundSuppressStream<double> b(s.f, o);
  const Matrix<double> split = run_split(b, s.data, {1, 1, 3, 7, 30, 2, 100, 156}, &p2);
  EXPECT_EQ(whole, split);
  EXPECT_EQ(p1, p2);
  b.reset();  // reset gives the first run again
  EXPECT_EQ(run_split(b, s.data, {17, 283}), whole);
  // in place
  Matrix<double> inplace = s.data;
  GroundSuppressStream<double> c(s.f, o);
  for (Index j = 0; j < m; j += 10) c.process(inplace.middleCols(j, 10), inplace.middleCols(j, 10));
  EXPECT_EQ(inplace, whole);
  // float: trace by trace equals one block, and agrees with double to float precision
  const Matrix<float> xf = s.data.cast<float>();
  GroundSuppressStream<float> f1(s.f, o), f2(s.f, o);
  const Matrix<float> of = run_split(f1, xf, {m});
  Matrix<float> ot(s.f.n_samples, m);
  for (Index j = 0; j < m; ++j) f2.process(xf.col(j), ot.col(j));
  EXPECT_EQ(of, ot);
  EXPECT_LT((of.cast<double>() - whole).norm(), 1e-4 * s.data.norm());
}

TEST(ClutterGroundStream, ProcessAllocatesNothing) {
  const Scene s = drifting(200, 0.6, 0.8, 100);
  for (Index rank : {0, 2}) {
    GroundStreamOptions o;
    o.ringing_rank = rank, o.ringing_window = 64, o.ringing_update = 8, o.template_traces = 32;
    GroundSuppressStream<double> st(s.f, o);
    Matrix<double> out(s.f.n_samples, 200);
    std::vector<double> picks(200);
    const long before = test::allocation_count();
    for (Index j = 0; j < 200; j += 20)  // warm-up, re-estimations and both rings wrapping
      st.process(s.data.middleCols(j, 20), out.middleCols(j, 20), std::span<double>(picks.data() + j, 20));
    EXPECT_EQ(test::allocation_count() - before, 0) << "rank " << rank;
  }
}

TEST(ClutterGroundStream, BadInputNamed) {
  const TraceFormat f{256, 0.025, 0};
  const auto bad = [&](auto edit) {
    GroundStreamOptions o;
    edit(o);
    EXPECT_THROW(GroundSuppressStream<double>(f, o), ValueError);
  };
  bad([](auto& o) { o.template_traces = 0; });
  bad([](auto& o) { o.iterations = 0; });
  bad([](auto& o) { o.ringing_rank = 0, o.ringing_max_rank = 0; });
  bad([](auto& o) { o.ringing_rank = -1; });
  bad([](auto& o) { o.ringing_update = 0; });
  bad([](auto& o) { o.ringing_window = 3; });  // fewer than the 5 singular values computed
  bad([](auto& o) { o.gate_before_ns = -1; });
  bad([](auto& o) { o.search_start_ns = std::nan(""); });
  EXPECT_THROW(GroundSuppressStream<double>(TraceFormat{256, 0, 0}), ValueError);
  GroundSuppressStream<double> st(f);
  Matrix<double> x = Matrix<double>::Zero(256, 4), y(256, 4);
  EXPECT_THROW(st.process(Matrix<double>::Zero(255, 4), y), ValueError);
  EXPECT_THROW(st.process(x, y.leftCols(3)), ValueError);
  std::vector<double> p(3);
  EXPECT_THROW(st.process(x, y, p), ValueError);
  x(10, 2) = std::nan("");
  EXPECT_THROW(st.process(x, y), ValueError);
  EXPECT_EQ(st.traces_seen(), 0);  // nothing consumed by the failed calls
}

