// Builds against the installed sapper and runs one operation.
#include <sapper/sapper.hpp>

#include <cstdio>
#include <vector>

int main() {
  sapper::Matrix<float> x = sapper::Matrix<float>::Constant(64, 3, 2.f), y(64, 3);
  sapper::gpr::remove_dc<float>(x, y, {64, 0.1, 0});
  // the GPR chain's background window (sapper::pipeline): 0.06 m over 0.02 m traces = 3 traces
  const std::vector<double> pos = {0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12};
  if (sapper::pipeline::background_traces(0.06, pos) != 3) return 1;
  std::printf("consumer: max |y| after DC removal = %g\n", double(y.cwiseAbs().maxCoeff()));
  return y.cwiseAbs().maxCoeff() == 0.f ? 0 : 1;
}
