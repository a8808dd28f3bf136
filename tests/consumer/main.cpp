// Builds against the installed sapper and runs one operation.
#include <sapper/sapper.hpp>

#include <cstdio>

int main() {
  sapper::Matrix<float> x = sapper::Matrix<float>::Constant(64, 3, 2.f), y(64, 3);
  sapper::gpr::remove_dc<float>(x, y, {64, 0.1, 0});
  std::printf("consumer: max |y| after DC removal = %g\n", double(y.cwiseAbs().maxCoeff()));
  return y.cwiseAbs().maxCoeff() == 0.f ? 0 : 1;
}
