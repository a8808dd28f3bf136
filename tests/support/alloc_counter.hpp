// Counts every allocation of the test binary (operator new is replaced in alloc_counter.cpp), for
// the no-allocation guarantee of the hot paths.
#pragma once

namespace sapper::test {
/// Number of operator new calls so far in this process.
long allocation_count();
}  // namespace sapper::test
