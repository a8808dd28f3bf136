// Bindings of sapper::clutter and sapper::truncated_svd: see include/sapper/clutter/ and
// python/sapper/clutter/subspace.py (which validates arrays and parameters first).
#include "common.hpp"
#include "sapper/clutter.hpp"

namespace sapper::python {
namespace {
using namespace sapper::clutter;

RankSpec rank_spec(Index first, Index rank, double energy, Index max_rank) {
  RankSpec r;
  r.first = first, r.rank = rank, r.energy = energy, r.max_rank = max_rank;
  return r;
}

template <class T>
void bind_type(py::module_& m) {
  m.def("truncated_svd", [](Arr<T> a, Index k, Index over, int q, std::uint64_t seed, int th) {
    auto x = as_matrix(a);
    TruncatedSvd<T> r;
    {
      py::gil_scoped_release nogil;
      r = truncated_svd<T>(x, k, {over, q, seed, th});
    }
    const Index m = r.u.rows(), n = r.v.rows();
    Matrix<T> s = r.s;
    return py::make_tuple(adopt(std::move(r.u), m, k), adopt(std::move(s), k, 1), adopt(std::move(r.v), n, k));
  });
  m.def("eigenimage", [](Arr<T> in, Arr<T> out, Index first, Index rank, double energy, Index max_rank, Index block,
                         Index overlap, Index over, int q, std::uint64_t seed, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    EigenimageOptions o;
    o.rank = rank_spec(first, rank, energy, max_rank);
    o.block = block, o.overlap = overlap, o.svd = {over, q, seed, th};
    py::gil_scoped_release nogil;
    return eigenimage<T>(x, y, o);
  });
  m.def("rpca", [](Arr<T> in, Arr<T> low, Arr<T> sparse, Index rank, double lam, double tol, int max_iter, double rho,
                   int q, Index over, std::uint64_t seed, int th) {
    auto x = as_matrix(in), l = as_matrix(low), s = as_matrix(sparse);
    RpcaOptions o;
    o.rank = rank, o.lambda = lam, o.tol = tol, o.max_iter = max_iter, o.rho = rho, o.power_iters = q;
    o.oversample = over, o.seed = seed, o.threads = th;
    RpcaInfo i;
    {
      py::gil_scoped_release nogil;
      i = rpca<T>(x, l, s, o);
    }
    py::dict d;
    d["iterations"] = i.iterations, d["residual"] = i.residual, d["converged"] = i.converged;
    d["nuclear_norm"] = i.nuclear_norm, d["l1_norm"] = i.l1_norm, d["objective"] = i.objective;
    d["lam"] = i.lambda, d["rank"] = i.rank;
    return d;
  });
  m.def("whiten", [](Arr<T> in, Arr<T> out, Index window, bool causal, double min_std, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    py::gil_scoped_release nogil;
    whiten<T>(x, y, window, causal, min_std, th);
  });
  py::class_<EigenimageStream<T>>(m, "EigenimageStream")
      .def(py::init([](Index n, Index window, Index update, Index first, Index rank, double energy, Index max_rank,
                       Index over, int q, std::uint64_t seed, int th) {
        return new EigenimageStream<T>(n, window, update, rank_spec(first, rank, energy, max_rank),
                                       {over, q, seed, th});
      }))
      .def("process", [](EigenimageStream<T>& s, Arr<T> in, Arr<T> out) {
        auto x = as_matrix(in), y = as_matrix(out);
        py::gil_scoped_release nogil;
        s.process(x, y);
      })
      .def("reset", &EigenimageStream<T>::reset)
      .def_property_readonly("rank", &EigenimageStream<T>::rank);
  py::class_<GroundSuppressStream<T>>(m, "GroundSuppressStream")
      .def(py::init([](Index n, double dt, double s0, double s1, Index ow, double omads, int riters, double before,
                       double after, Index tt, bool fit_shift, bool ringing, Index rank, Index max_rank, Index window,
                       Index update, int q, int iters) {
        GroundStreamOptions o;
        o.search_start_ns = s0, o.search_end_ns = s1, o.outlier_window = ow, o.outlier_mads = omads;
        o.refine_iterations = riters, o.gate_before_ns = before, o.gate_after_ns = after, o.template_traces = tt;
        o.fit_shift = fit_shift, o.remove_ringing = ringing, o.ringing_rank = rank, o.ringing_max_rank = max_rank;
        o.ringing_window = window, o.ringing_update = update, o.power_iters = q, o.iterations = iters;
        return new GroundSuppressStream<T>(TraceFormat{n, dt, 0}, o);
      }))
      .def("process", [](GroundSuppressStream<T>& s, Arr<T> in, Arr<T> out,
                         py::array_t<double, py::array::c_style> picks) {
        auto x = as_matrix(in), y = as_matrix(out);
        std::span<double> p(picks.mutable_data(), std::size_t(picks.size()));
        py::gil_scoped_release nogil;
        s.process(x, y, p);
      })
      .def("reset", &GroundSuppressStream<T>::reset)
      .def_property_readonly("ringing_rank", &GroundSuppressStream<T>::ringing_rank)
      .def_property_readonly("traces_seen", &GroundSuppressStream<T>::traces_seen)
      .def_property_readonly("reference_ns", &GroundSuppressStream<T>::reference_ns)
      .def_property_readonly("gate_before_ns", &GroundSuppressStream<T>::gate_before_ns)
      .def_property_readonly("gate_after_ns", &GroundSuppressStream<T>::gate_after_ns);
  py::class_<WhitenStream<T>>(m, "WhitenStream")
      .def(py::init<Index, Index, double>())
      .def("process", [](WhitenStream<T>& s, Arr<T> in, Arr<T> out) {
        auto x = as_matrix(in), y = as_matrix(out);
        py::gil_scoped_release nogil;
        s.process(x, y);
      })
      .def("reset", &WhitenStream<T>::reset);
}
}  // namespace

void bind_clutter(py::module_& m) {
  auto c = m.def_submodule("clutter", "sapper::clutter (see sapper.clutter)");
  auto f32 = c.def_submodule("f32"), f64 = c.def_submodule("f64");
  bind_type<float>(f32);
  bind_type<double>(f64);
}
}  // namespace sapper::python
